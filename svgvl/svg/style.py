"""CSS for SVG: the cascade of presentation attributes, ``<style>`` sheets and ``style``
attributes, and the paint and colour values svgvl carries.

Cascade (lowest to highest): presentation attribute < stylesheet rule (by specificity, then
order) < ``style`` attribute < ``!important``.  Spec: https://www.w3.org/TR/SVG2/styling.html
"""

from __future__ import annotations

import colorsys
import re

import cssselect2
import tinycss2
import tinycss2.color3

from .numbers import parse_length
from .parse import local_name

# Properties that normalisation resolves; anything else in a style is irrelevant to drawing paths.
INHERITED = {
    "fill": "#000000",
    "fill-opacity": "1",
    "fill-rule": "nonzero",
    "stroke": "none",
    "stroke-width": "1",
    "stroke-opacity": "1",
    "stroke-linecap": "butt",
    "stroke-linejoin": "miter",
    "stroke-miterlimit": "4",
    "stroke-dasharray": "none",
    "stroke-dashoffset": "0",
    "clip-rule": "nonzero",
    "color": "",
    "visibility": "visible",
    "marker-start": "none",
    "marker-mid": "none",
    "marker-end": "none",
    "paint-order": "normal",
    "font-size": "16",  # computed to px by cascade, for em/ex lengths
}
NOT_INHERITED = {
    "opacity", "display", "clip-path", "mask", "filter", "stop-color", "stop-opacity",
    "transform", "transform-origin", "overflow", "mix-blend-mode",
}  # fmt: skip
# Shorthands that a stylesheet or style attribute may use (not presentation attributes).
SHORTHANDS = {"marker": ("marker-start", "marker-mid", "marker-end")}
PROPERTIES = set(INHERITED) | NOT_INHERITED


def parse_declarations(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """A ``style`` attribute or rule body → (normal, important) property dicts."""
    normal: dict[str, str] = {}
    important: dict[str, str] = {}
    for decl in tinycss2.parse_declaration_list(text, skip_whitespace=True, skip_comments=True):
        if decl.type != "declaration":
            continue
        name = decl.lower_name
        value = tinycss2.serialize(decl.value).strip()
        for longhand in SHORTHANDS.get(name, (name,)):
            if longhand in PROPERTIES:
                (important if decl.important else normal)[longhand] = value
    return normal, important


class Stylesheet:
    """The specified style of each element after the cascade, computed once per document."""

    def __init__(self, root):
        self._rules: dict = {}
        matcher = cssselect2.Matcher()
        found = False
        for element in root.iter():
            if local_name(element) == "style" and (element.get("type") or "text/css") == "text/css":
                css = "".join(element.itertext())
                for rule in tinycss2.parse_stylesheet(
                    css, skip_whitespace=True, skip_comments=True
                ):
                    if rule.type != "qualified-rule":
                        continue  # @import, @media, @font-face: nothing to fetch or evaluate
                    try:
                        selectors = cssselect2.compile_selector_list(rule.prelude)
                    except cssselect2.SelectorError:
                        continue
                    declarations = parse_declarations(tinycss2.serialize(rule.content))
                    for selector in selectors:
                        if selector.pseudo_element is None:
                            matcher.add_selector(selector, declarations)
                            found = True
        if found:
            for wrapper in cssselect2.ElementWrapper.from_xml_root(root).iter_subtree():
                matches = matcher.match(wrapper)
                if matches:
                    self._rules[wrapper.etree_element] = [payload for *_, payload in matches]

    def specified(self, element) -> dict[str, str]:
        """The properties this element itself specifies (before inheritance)."""
        style: dict[str, str] = {}
        for name, value in element.attrib.items():
            if name in PROPERTIES:
                style[name] = value.strip()
        important: dict[str, str] = {}
        for normal, imp in self._rules.get(element, ()):
            style.update(normal)
            important.update(imp)
        if "style" in element.attrib:
            normal, imp = parse_declarations(element.get("style"))
            style.update(normal)
            important.update(imp)
        style.update(important)
        return style


def cascade(parent: dict[str, str], specified: dict[str, str]) -> dict[str, str]:
    """The computed style of an element from its parent's and its own specified values."""
    computed = {name: parent.get(name, default) for name, default in INHERITED.items()}
    for name, value in specified.items():
        if value == "inherit":
            if name in parent:
                computed[name] = parent[name]
            continue
        if name in ("fill", "stroke") and not valid_paint(value):
            continue  # an invalid declaration is ignored: the inherited value stays
        if name == "font-size":
            value = font_size(value, float(computed["font-size"]))
        computed[name] = value
    return computed


# CSS absolute-size keywords (CSS Fonts §2.5, medium = 16 px) and relative ones (× 1.2).
_FONT_SIZES = {
    "xx-small": 9.0, "x-small": 10.0, "small": 13.0, "medium": 16.0, "large": 18.0,
    "x-large": 24.0, "xx-large": 32.0, "xxx-large": 48.0,
}  # fmt: skip


def font_size(value: str, parent: float) -> str:
    """A computed ``font-size`` in px (as text): lengths, percentages and ``em`` of the parent's."""
    value = value.strip().lower()
    if value in _FONT_SIZES:
        return repr(_FONT_SIZES[value])
    if value in ("larger", "smaller"):
        return repr(parent * 1.2 if value == "larger" else parent / 1.2)
    size = parse_length(value, parent, None, font_size=parent)
    return repr(size) if size is not None and size >= 0 else repr(parent)


_FUNCTION = re.compile(r"(rgba?|hsla?)\(\s*([^()]*)\)\s*$", re.I)
_ARG = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(%|deg)?$")


def _functional_color(name: str, text: str) -> tuple[tuple[float, float, float], float] | None:
    """``rgb()``/``hsl()`` with 3 or 4 comma-separated arguments, read as renderers do: floats
    allowed and clamped, ``hsl`` with an alpha as ``hsla``; percentages and numbers may not be
    mixed in ``rgb``, and the alpha is a number.  Colours in 0..255 and alpha in 0..1."""
    args = [a.strip() for a in text.split(",")]
    matches = [_ARG.match(a) for a in args]
    if len(args) not in (3, 4) or not all(matches):
        return None
    units = [m.group(1) for m in matches]
    values = [float(m.group(0).rstrip("%deg")) for m in matches]
    alpha = 1.0
    if len(args) == 4:
        if units[3] is not None:
            return None
        alpha = max(0.0, min(1.0, values[3]))
    if name.startswith("rgb"):
        if units[0] == "deg" or len(set(units[:3])) != 1:
            return None
        scale = 2.55 if units[0] == "%" else 1.0
        return tuple(max(0.0, min(255.0, v * scale)) for v in values[:3]), alpha
    if units[0] == "%" or units[1] != "%" or units[2] != "%":
        return None
    hue = (values[0] % 360) / 360
    sat, light = (max(0.0, min(1.0, v / 100)) for v in values[1:3])
    return tuple(c * 255 for c in colorsys.hls_to_rgb(hue, light, sat)), alpha


_URL = re.compile(r"url\(\s*['\"]?#([^'\")\s]+)['\"]?\s*\)\s*(.*)$", re.S)


def hex_color(channels) -> str:
    """``#rrggbb`` from red, green, blue in 0..255 (floats round half to even, then clamp)."""
    return "#" + "".join(f"{min(255, max(0, round(float(c)))):02x}" for c in channels)


def parse_color(value: str, current: str = "") -> tuple[str, float] | None:
    """A CSS colour → ('#rrggbb', alpha), or ('currentColor', 1.0); None if not a colour."""
    value = value.strip()
    if value.lower() == "currentcolor":
        if current and current.lower() != "currentcolor":
            return parse_color(current)
        return "currentColor", 1.0
    function = _FUNCTION.match(value)
    if function:
        parsed = _functional_color(function.group(1).lower(), function.group(2))
        if parsed is None:
            return None
        channels, a = parsed
        return hex_color([int(c + 0.5) for c in channels]), a  # round half up, as browsers do
    color = tinycss2.color3.parse_color(value)
    if color is None or color == "currentColor":
        return None
    r, g, b, a = (max(0.0, min(1.0, c)) for c in color)
    return hex_color([int(c * 255 + 0.5) for c in (r, g, b)]), a


def valid_paint(value: str) -> bool:
    """Whether ``value`` is a paint SVG 2 accepts: none, a colour, ``url(...)`` with an optional
    fallback, or a context paint.  Renderers ignore any other value (``fill="#"``,
    ``fill="red icc-color(...)"``), keeping the inherited paint, and so does :func:`cascade`."""
    value = value.strip()
    if value.lower() in ("none", "context-fill", "context-stroke"):
        return True
    match = _URL.match(value)
    if match:
        rest = match.group(2).strip()
        return not rest or rest.lower() == "none" or parse_color(rest) is not None
    return parse_color(value) is not None


def parse_paint(value: str, current: str = "") -> tuple[str, float]:
    """A fill/stroke value → (paint, alpha): '#rrggbb', 'none', 'currentColor' or 'url(#id)'.

    Unparseable paint is 'none' (an invalid value makes the property invalid, and a renderer
    draws nothing rather than failing the document); ``url()`` keeps its fallback in the id
    position only when the referenced element exists — resolved by the caller.
    """
    value = value.strip()
    if not value or value.lower() == "none":
        return "none", 1.0
    match = _URL.match(value)
    if match:
        return f"url(#{match.group(1)})", 1.0
    return parse_color(value, current) or ("none", 1.0)


def url_fallback(value: str, current: str = "") -> tuple[str, float]:
    """The fallback paint after ``url(#id)`` (used when the reference is missing): none by default."""
    match = _URL.match(value.strip())
    if match and match.group(2).strip():
        return parse_paint(match.group(2), current)
    return "none", 1.0


def parse_opacity(value: str | None, default: float = 1.0) -> float:
    if value is None:
        return default
    value = value.strip()
    try:
        number = float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError:
        return default
    if number != number:  # NaN
        return default
    return max(0.0, min(1.0, number))
