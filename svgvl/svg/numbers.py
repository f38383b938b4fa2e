"""Strict number parsing for SVG attributes and path data.

SVG numbers are finite decimals; ``nan``/``inf`` and absurd magnitudes are rejected here, once, so
that no later stage (geometry, rendering, writing) ever sees them.
"""

from __future__ import annotations

import math
import re

from .errors import SVGError

# A number as the SVG grammar allows it: "1", "-.5", "1e3", "1.5.5" (= 1.5 and .5).
NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_SEPARATOR = re.compile(r"[\s,]*")

# Coordinates beyond this are surely corrupt (a 1e9 px canvas is already absurd).
MAX_ABS = 1e9


def check_number(value: float, what: str = "number") -> float:
    if not math.isfinite(value) or abs(value) > MAX_ABS:
        raise SVGError(f"{what} out of range: {value!r}")
    return value


def parse_number(text: str, what: str = "number") -> float:
    text = text.strip()
    if not NUMBER.fullmatch(text):
        raise SVGError(f"invalid {what} {text[:40]!r}")
    return check_number(float(text), what)


def parse_numbers(text: str, what: str = "number list") -> list[float]:
    """Parse a whitespace/comma separated list such as ``points`` or transform arguments."""
    values, error = parse_numbers_prefix(text, what)
    if error:
        raise SVGError(error)
    return values


def parse_numbers_prefix(text: str, what: str = "number list") -> tuple[list[float], str | None]:
    """The numbers before the first error, and that error (None when the list is valid): SVG
    draws a ``points`` list up to its first error (SVG 2 §10.7, 'error processing')."""
    values = []
    pos = _SEPARATOR.match(text, 0).end()
    while pos < len(text):
        match = NUMBER.match(text, pos)
        if not match:
            return values, f"invalid {what} {text[:60]!r} at {text[pos : pos + 12]!r}"
        try:
            values.append(check_number(float(match.group()), what))
        except SVGError as error:
            return values, error.reason
        pos = _SEPARATOR.match(text, match.end()).end()
    return values, None


_LENGTH = re.compile(
    r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(px|pt|pc|mm|cm|in|em|ex|%)?\s*$"
)
_UNITS = {
    None: 1.0,
    "px": 1.0,
    "pt": 4 / 3,
    "pc": 16.0,
    "mm": 96 / 25.4,
    "cm": 96 / 2.54,
    "in": 96.0,
}


def parse_length(
    text: str | None,
    reference: float = 0.0,
    default: float | None = None,
    font_size: float = 16.0,
) -> float | None:
    """A length in user units (CSS px at 96 dpi); percentages are of ``reference``, ``em`` of
    ``font_size`` and ``ex`` of half of it (the usual x-height without font metrics).

    Returns ``default`` when the attribute is absent or unparseable: presentation lengths are
    forgiving in every renderer, so a bad ``width`` must not sink a whole document.
    """
    if text is None:
        return default
    match = _LENGTH.match(text)
    if not match:
        return default
    value = float(match.group(1))
    unit = match.group(2)
    if unit == "%":
        value = value * reference / 100
    elif unit in ("em", "ex"):
        value = value * font_size * (1.0 if unit == "em" else 0.5)
    else:
        value = value * _UNITS[unit]
    if not math.isfinite(value) or abs(value) > MAX_ABS:
        return default
    return value
