"""Painting a shape (SVG 2 §13): the order of fill, stroke and markers, the paint as used.

``paint-order`` says whether a shape's fill, stroke and markers are painted in another order
than fill → stroke → markers.  A drawing has no such property, so a stroke painted under its
fill becomes its own stroke-only path emitted before the fill-only one.  An element's
``opacity`` composites its content as one group; a drawing multiplies it into each path, which
is exact unless those paths overlap, and then says so.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .context import resolve_context
from .model import Path
from .pathdata import bounding_box
from .style import parse_opacity

DEFAULT_ORDER = ("fill", "stroke", "markers")


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


def note_compositing(normalizer, specified: dict[str, str], before: int) -> None:
    """Name what compositing a drawing cannot carry: a blend mode, and an element's ``opacity``
    (which composites its content as one group) multiplied into several overlapping paths,
    where the overlaps come out darker."""
    blend = specified.get("mix-blend-mode", "normal").strip()
    if blend not in ("normal", "", "inherit", "initial"):
        normalizer.drop(f"mix-blend-mode {blend}")
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


def resolve_style(normalizer, style: dict[str, str], matrix) -> dict[str, str]:
    """A shape's computed style as it paints: context paint made concrete (for a shape under
    ``matrix``), font-relative stroke lengths (em, ex) in px of the element's ``font-size``."""
    return resolve_context(normalizer, _font_relative(style), matrix)


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
