"""CSS for SVG: the cascade of presentation attributes, ``<style>`` sheets and ``style``
attributes, and the paint and colour values svgvl carries.

Cascade (lowest to highest): presentation attribute < stylesheet rule (by specificity, then
order) < ``style`` attribute < ``!important``.  Spec: https://www.w3.org/TR/SVG2/styling.html
"""

from __future__ import annotations

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
    "font-size": "16",  # computed to px by cascade(): what em and ex lengths are relative to
}
NOT_INHERITED = {"opacity", "display", "clip-path", "mask", "filter", "stop-color", "stop-opacity"}
NOT_INHERITED |= {"overflow", "mix-blend-mode"}
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
        computed[name] = value
    if "font-size" in specified:
        computed["font-size"] = font_size(computed["font-size"], parent.get("font-size", "16"))
    return computed


_FONT_KEYWORDS = {"xx-small": 9, "x-small": 10, "small": 13, "medium": 16, "large": 18}
_FONT_KEYWORDS |= {"x-large": 24, "xx-large": 32, "xxx-large": 48}


def font_size(value: str, parent: str) -> str:
    """A computed ``font-size`` in px (as text) from its specified value and the parent's."""
    try:
        inherited = float(parent)
    except ValueError:
        inherited = 16.0
    value = value.strip().lower()
    if value in _FONT_KEYWORDS:
        return str(float(_FONT_KEYWORDS[value]))
    if value in ("larger", "smaller"):
        return str(inherited * 1.2 if value == "larger" else inherited / 1.2)
    match = _RELATIVE_LENGTH.fullmatch(value)
    if not match:
        return str(inherited)
    number, unit = float(match.group(1)), match.group(2)
    scale = {"em": inherited, "ex": inherited / 2, "%": inherited / 100, "rem": 16.0}
    absolute = number * scale[unit] if unit in scale else parse_length(value)
    return str(absolute) if absolute is not None and 0 <= absolute < 1e6 else str(inherited)


_RELATIVE_LENGTH = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*([a-z%]*)")
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
    color = tinycss2.color3.parse_color(value)
    if color is None or color == "currentColor":
        return None
    r, g, b, a = (max(0.0, min(1.0, c)) for c in color)
    return hex_color([int(c * 255 + 0.5) for c in (r, g, b)]), a  # round half up, as browsers do


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
