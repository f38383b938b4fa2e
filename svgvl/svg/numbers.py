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
    values = []
    pos = _SEPARATOR.match(text, 0).end()
    while pos < len(text):
        match = NUMBER.match(text, pos)
        if not match:
            raise SVGError(f"invalid {what} {text[:60]!r} at {text[pos : pos + 12]!r}")
        values.append(check_number(float(match.group()), what))
        pos = _SEPARATOR.match(text, match.end()).end()
    return values


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
    "em": 16.0,
    "ex": 8.0,
}


def parse_length(
    text: str | None, reference: float = 0.0, default: float | None = None
) -> float | None:
    """A length in user units (CSS px at 96 dpi); percentages are of ``reference``.

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
    value = value * reference / 100 if unit == "%" else value * _UNITS[unit]
    if not math.isfinite(value) or abs(value) > MAX_ABS:
        return default
    return value
