"""Basic shapes as their equivalent paths (SVG 2 §10), and stroke dash arrays as numbers."""

from __future__ import annotations

import math

from .errors import SVGError
from .numbers import parse_length, parse_numbers
from .pathdata import Command, ellipse_path, parse_path, rect_path


def _number(element, attr, reference, default=0.0) -> float:
    return parse_length(element.get(attr), reference, default)


def shape_to_path(element, name: str, viewport) -> list[Command]:
    """The equivalent path of a basic shape, in its own user space (SVG 2 §10).

    Shapes with a zero or negative size draw nothing and give an empty list.
    """
    vw, vh = viewport
    diag = math.hypot(vw, vh) / math.sqrt(2)
    if name == "path":
        return parse_path(element.get("d") or "")
    if name == "rect":
        x, y = _number(element, "x", vw), _number(element, "y", vh)
        w, h = _number(element, "width", vw), _number(element, "height", vh)
        if w <= 0 or h <= 0:
            return []
        rx = parse_length(element.get("rx"), vw, None)
        ry = parse_length(element.get("ry"), vh, None)
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
        rx = parse_length(element.get("rx"), vw, None)
        ry = parse_length(element.get("ry"), vh, None)
        rx = ry if rx is None else rx
        ry = rx if ry is None else ry
        if not rx or not ry or rx <= 0 or ry <= 0:
            return []
        return ellipse_path(_number(element, "cx", vw), _number(element, "cy", vh), rx, ry)
    if name == "line":
        return [
            ("M", (_number(element, "x1", vw), _number(element, "y1", vh))),
            ("L", (_number(element, "x2", vw), _number(element, "y2", vh))),
        ]
    # polyline / polygon: an odd trailing coordinate is ignored, as renderers do.
    values = parse_numbers(element.get("points") or "", "points")
    points = [(values[i], values[i + 1]) for i in range(0, len(values) - 1, 2)]
    if not points:
        return []
    out = [("M", points[0])] + [("L", p) for p in points[1:]]
    if name == "polygon":
        out.append(("Z", ()))
    return out


def dasharray(text: str, diag: float, scale: float) -> tuple[float, ...] | None:
    if not text or text.strip() == "none":
        return None
    try:
        values = [parse_length(v, diag) for v in text.replace(",", " ").split()]
    except SVGError:
        return None
    if not values or any(v is None or v < 0 for v in values) or sum(values) <= 0:
        return None
    if len(values) % 2:
        values = values * 2
    return tuple(v * scale for v in values)
