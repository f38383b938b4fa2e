"""Basic shapes as their equivalent paths (SVG 2 §10), and stroke dash arrays as numbers."""

from __future__ import annotations

import math

from .errors import SVGError
from .numbers import parse_length, parse_numbers_prefix
from .pathdata import Command, ellipse_path, parse_path_prefix, rect_path

SHAPES = {"path", "rect", "circle", "ellipse", "line", "polyline", "polygon"}


def shape_to_path(
    element, name: str, viewport, font_size: float = 16.0, notes: list[str] | None = None
) -> list[Command]:
    """The equivalent path of a basic shape, in its own user space (SVG 2 §10).

    Shapes with a zero or negative size draw nothing and give an empty list.  Lengths in
    ``em``/``ex`` are of ``font_size``.  Path data and ``points`` with an error draw up to it,
    as SVG's error handling says, with a note appended to ``notes``; without ``notes`` an error
    raises :class:`SVGError` instead (strict reading).
    """
    vw, vh = viewport
    diag = math.hypot(vw, vh) / math.sqrt(2)

    def _number(element, attr, reference, default=0.0):
        return parse_length(element.get(attr), reference, default, font_size)

    def cut(error: str, what: str) -> None:
        if notes is None:
            raise SVGError(error)
        notes.append(f"{what} cut at its first error: {error}")

    if name == "path":
        commands, error, _ = parse_path_prefix(element.get("d") or "")
        if error:
            cut(f"invalid path data: {error}", "path data")
        return commands
    if name == "rect":
        x, y = _number(element, "x", vw), _number(element, "y", vh)
        w, h = _number(element, "width", vw), _number(element, "height", vh)
        if w <= 0 or h <= 0:
            return []
        rx = _number(element, "rx", vw, None)
        ry = _number(element, "ry", vh, None)
        rx = ry if rx is None or rx < 0 else rx
        ry = rx if ry is None or ry < 0 else ry
        rx, ry = min(rx or 0.0, w / 2), min(ry or 0.0, h / 2)
        return rect_path(x, y, w, h, rx, ry)
    if name == "circle":
        r = _number(element, "r", diag)
        if r <= 0:
            return []
        return ellipse_path(_number(element, "cx", vw), _number(element, "cy", vh), r, r)
    if name == "ellipse":
        # A missing or negative radius is 'auto' (SVG 2): it takes the other one.
        rx = _number(element, "rx", vw, None)
        ry = _number(element, "ry", vh, None)
        rx = ry if rx is None or rx < 0 else rx
        ry = rx if ry is None or ry < 0 else ry
        if not rx or not ry or rx <= 0 or ry <= 0:
            return []
        return ellipse_path(_number(element, "cx", vw), _number(element, "cy", vh), rx, ry)
    if name == "line":
        return [
            ("M", (_number(element, "x1", vw), _number(element, "y1", vh))),
            ("L", (_number(element, "x2", vw), _number(element, "y2", vh))),
        ]
    # polyline / polygon: an odd trailing coordinate is ignored, as renderers do.
    values, error = parse_numbers_prefix(element.get("points") or "", "points")
    if error:
        cut(error, "points")
    points = [(values[i], values[i + 1]) for i in range(0, len(values) - 1, 2)]
    if not points:
        return []
    out = [("M", points[0])] + [("L", p) for p in points[1:]]
    if name == "polygon":
        out.append(("Z", ()))
    return out


def dasharray(
    text: str, diag: float, scale: float, font_size: float = 16.0
) -> tuple[float, ...] | None:
    if not text or text.strip() == "none":
        return None
    values = [parse_length(v, diag, None, font_size) for v in text.replace(",", " ").split()]
    if not values or any(v is None or v < 0 for v in values) or sum(values) <= 0:
        return None
    if len(values) % 2:
        values = values * 2
    return tuple(v * scale for v in values)
