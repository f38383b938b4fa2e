"""Painting order and context paint (SVG 2 §13.6, §13.2.4).

``paint-order`` says whether a shape's fill, stroke and markers are painted in another order
than fill → stroke → markers.  A drawing has no such property, so a stroke painted under its
fill becomes its own stroke-only path emitted before the fill-only one.

``context-fill`` / ``context-stroke`` paint an element with the fill or stroke of its *context
element*: the shape a marker decorates, or the ``<use>`` that instantiates it.  The normaliser
keeps the paint of the innermost context element in ``normalizer.context`` while it draws
marker or ``<use>`` content; outside any context the values paint nothing.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .model import Path
from .parse import local_name
from .pathdata import bounding_box
from .style import parse_opacity

DEFAULT_ORDER = ("fill", "stroke", "markers")
CONTEXT_PAINT = {"context-fill": "fill", "context-stroke": "stroke"}
_URL_ID = re.compile(r"\s*url\(\s*['\"]?#([^'\")\s]+)")


def paint_order(value: str | None) -> tuple[str, ...]:
    """The full painting order: the listed layers first, then the rest in the default order.

    An unknown keyword or a repeated one makes the value invalid, which means ``normal``.
    """
    words = (value or "normal").split()
    if words == ["normal"] or not words:
        return DEFAULT_ORDER
    if len(set(words)) != len(words) or any(w not in DEFAULT_ORDER for w in words):
        return DEFAULT_ORDER
    return tuple(words) + tuple(layer for layer in DEFAULT_ORDER if layer not in words)


def paint(normalizer, path: Path, style: dict[str, str], draw_markers) -> None:
    """Append ``path`` to the drawing in its painting order; ``draw_markers()`` draws the
    shape's markers (appending their paths) when their turn comes."""
    order = paint_order(style.get("paint-order"))
    paths = normalizer.drawing.paths
    fill_at, stroke_at = order.index("fill"), order.index("stroke")
    together = stroke_at == fill_at + 1 or path.stroke == "none" or path.fill == "none"
    for layer in order:
        if layer == "markers":
            draw_markers()
        elif together:
            if layer == ("fill" if fill_at < stroke_at else "stroke") and path.visible:
                paths.append(path)
        else:
            part = replace(path, stroke="none") if layer == "fill" else replace(path, fill="none")
            if part.visible:
                paths.append(part)


def note_group_opacity(normalizer, specified: dict[str, str], before: int) -> None:
    """Name the loss when an element's ``opacity`` (which composites its content as one
    group) had to be multiplied into several overlapping paths, where overlaps darken."""
    if parse_opacity(specified.get("opacity")) >= 1:
        return
    paths = normalizer.drawing.paths[before:]
    if len(paths) < 2:
        return
    boxes = []
    for path in paths[:200]:
        box = bounding_box(path.d)
        if box is None:
            continue
        pad = path.stroke_width / 2 if path.stroke != "none" else 0.0
        boxes.append((box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad))
    overlap = len(paths) > 200 or any(
        a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
    )
    if overlap:
        normalizer.drop("group opacity applied to each overlapping path")


def _resolved(value: str, role: str, style: dict[str, str], context) -> str:
    """A fill or stroke value with context paint and ``currentColor`` made concrete."""
    text = value.strip()
    if text in CONTEXT_PAINT:
        return context[CONTEXT_PAINT[text]] if context else "none"
    if text.lower() == "currentcolor" and style.get("color", "").strip():
        return style["color"].strip()
    return text


def resolve_style(normalizer, style: dict[str, str]) -> dict[str, str]:
    """A shape's computed style as it paints: context paint made concrete, font-relative stroke
    lengths (em, ex) in px of the element's ``font-size``."""
    style = _font_relative(style)
    if not any(style.get(p, "").strip() in CONTEXT_PAINT for p in ("fill", "stroke")):
        return style
    context = getattr(normalizer, "context", None)
    for role in ("fill", "stroke"):
        value = style.get(role, "").strip()
        paint = context[CONTEXT_PAINT[value]] if value in CONTEXT_PAINT and context else ""
        server = _URL_ID.match(paint)
        target = normalizer.ids.get(server.group(1)) if server else None
        if target is not None and local_name(target).endswith("Gradient"):
            # SVG 2 maps it onto the context element's box; each shape's own box is used here.
            normalizer.drop("context-fill/stroke gradient mapped onto each shape's own box")
    return {
        **style,
        "fill": _resolved(style["fill"], "fill", style, context),
        "stroke": _resolved(style["stroke"], "stroke", style, context),
    }


_EM = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(em|ex)\b")


def _font_relative(style: dict[str, str]) -> dict[str, str]:
    """Stroke lengths in em/ex made px: the shared length parser has no font size to go by."""
    lengths = ("stroke-width", "stroke-dasharray", "stroke-dashoffset")
    if not any("e" in style.get(name, "") for name in lengths):
        return style
    try:
        em = float(style.get("font-size", "16"))
    except ValueError:
        em = 16.0

    def px(match) -> str:
        return repr(float(match.group(1)) * (em if match.group(2) == "em" else em / 2))

    return {**style, **{name: _EM.sub(px, style[name]) for name in lengths if name in style}}


def enter_context(normalizer, style: dict[str, str]):
    """Make the element whose computed style is ``style`` the context element; returns the
    previous context for :func:`leave_context`."""
    previous = getattr(normalizer, "context", None)
    normalizer.context = {
        role: _resolved(style.get(role, ""), role, style, previous) for role in ("fill", "stroke")
    }
    return previous


def leave_context(normalizer, previous) -> None:
    normalizer.context = previous
