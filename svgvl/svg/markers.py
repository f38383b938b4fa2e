"""Markers (SVG 2 §11.6) expanded into the paths they draw.

A marker is drawn at each vertex of a path, line, polyline or polygon: ``marker-start`` at the
first vertex, ``marker-mid`` at every other vertex but the last, ``marker-end`` at the last.  Each
instance is the marker's content under

    CTM · translate(vertex) · rotate(orient) · scale(markerUnits, viewBox) · translate(-refX, -refY)

clipped to the marker's viewport unless ``overflow`` is visible (the clip is left out where the
content lies inside it, as arrowheads usually do).  Directions for
``orient="auto"`` follow the spec's path vertex directions: the bisector of the incoming and
outgoing tangents at a mid vertex, the outgoing tangent at the start, the incoming one at the
end, curve tangents taken from the nearest distinct control point — as resvg computes them,
which is what the checker on resvg's suite compares against where cairosvg is wrong.

Only the four shapes above carry markers (neither reference renderer draws them on rect,
circle or ellipse).  Markers on marker content are drawn too, as resvg draws them; a marker
that would draw itself again is dropped.
"""

from __future__ import annotations

import math
import re

from . import transform as tf
from .context import enter_context, leave_context
from .model import Clip
from .numbers import parse_length
from .parse import local_name
from .pathdata import Command, bounding_box, rect_path, transform_path
from .style import INHERITED, cascade, parse_paint
from .viewport import parse_viewbox, viewbox_transform

_ARC = re.compile(r"[Aa]")
MARKER_SHAPES = {"path", "line", "polyline", "polygon"}
POSITIONS = ("marker-start", "marker-mid", "marker-end")


# -- vertex directions --------------------------------------------------------------------------


def _angle(vx: float, vy: float) -> float:
    return math.atan2(vy, vx) % (2 * math.pi)


def _bisect(v_in, v_out) -> float:
    """The direction halfway between two directions (radians), on the side of the smaller turn."""
    a_in, a_out = _angle(*v_in), _angle(*v_out)
    half = (a_out - a_in) / 2
    angle = a_in + half
    if abs(half) > math.pi / 2:
        angle -= math.pi
    return angle % (2 * math.pi)


def _vec(a, b) -> tuple[float, float]:
    return b[0] - a[0], b[1] - a[1]


def _same(a, b) -> bool:
    return math.isclose(a[0], b[0], abs_tol=1e-9) and math.isclose(a[1], b[1], abs_tol=1e-9)


def _curve_corner(prev, c_in, point, c_out, nxt) -> float:
    """Bisector at ``point`` between a segment arriving via control ``c_in`` and one leaving via
    ``c_out``; a control point that coincides with the vertex defers to the far end point."""
    if _same(c_in, point):
        return _bisect(_vec(prev, point), _vec(point, c_out))
    if _same(point, c_out):
        return _bisect(_vec(c_in, point), _vec(point, nxt))
    return _bisect(_vec(c_in, point), _vec(point, c_out))


def _segments(commands: list[Command]) -> list[Command]:
    """Path commands as a renderer's path holds them: repeated closepaths and movetos merged."""
    out: list[Command] = []
    for letter, coords in commands:
        if out and letter == "Z" and out[-1][0] == "Z":
            continue
        if out and letter == "M" and out[-1][0] == "M":
            out[-1] = (letter, coords)
            continue
        out.append((letter, coords))
    while out and out[-1][0] == "M":
        out.pop()
    return out


def _end(seg: Command, start) -> tuple[float, float]:
    return start if seg[0] == "Z" else seg[1][-2:]


def vertices(commands: list[Command]) -> list[tuple[str, float, float, float]]:
    """Marker positions of a path: (``start``/``mid``/``end``, x, y, auto angle in degrees)."""
    segs = _segments(commands)
    if len(segs) < 2:
        return []
    starts = []  # the subpath start in force at each segment
    start = segs[0][1]
    for letter, coords in segs:
        if letter == "M":
            start = coords
        starts.append(start)
    ends = [_end(s, starts[i]) for i, s in enumerate(segs)]

    def prev_point(i):
        return starts[i] if segs[i - 1][0] == "Z" else ends[i - 1]

    def direction(i) -> float:
        last = len(segs) - 1
        if i == 0:
            kind, coords = segs[1]
            p0 = segs[0][1]
            if kind == "L":
                return _angle(*_vec(p0, coords))
            if kind == "C":
                return _angle(*_vec(p0, coords[4:6] if _same(p0, coords[:2]) else coords[:2]))
            return 0.0
        if i == last:
            kind, coords = segs[i]
            if kind == "L":
                return _angle(*_vec(prev_point(i), coords))
            if kind == "C":
                c2, p = coords[2:4], coords[4:6]
                return _angle(*_vec(coords[:2] if _same(c2, p) else c2, p))
            before = segs[i - 1]  # a closepath: its line back to the subpath start
            if before[0] == "L":
                return _angle(*_vec(before[1], starts[i]))
            if before[0] == "C":
                s = starts[i]
                return _curve_corner(prev_point(i - 1), before[1][2:4], before[1][4:6], s, s)
            return 0.0
        (kind, coords), (nkind, ncoords) = segs[i], segs[i + 1]
        here = ends[i]
        if kind == "M":
            if nkind == "L":
                return _angle(*_vec(here, ncoords))
            if nkind == "C":
                return _angle(*_vec(here, ncoords[:2]))
            return 0.0
        prev = prev_point(i)
        c_in = coords[2:4] if kind == "C" else prev
        if nkind == "M":
            if kind == "C" and not _same(here, c_in):
                return _angle(*_vec(c_in, here))
            return _angle(*_vec(prev, here))
        if nkind == "Z":
            if kind == "L":
                return _bisect(_vec(prev, here), _vec(here, starts[i]))
            return _angle(*_vec(prev, starts[i]))
        if kind == "L" and nkind == "L":
            return _bisect(_vec(prev, here), _vec(here, ncoords))
        c_out = ncoords[:2] if nkind == "C" else ncoords
        nxt = ncoords[-2:]
        if kind == "L":
            return _curve_corner(prev, prev, here, c_out, nxt)
        return _curve_corner(prev, c_in, here, c_out, nxt)

    out = [("start", *segs[0][1], direction(0))]
    for i in range(1, len(segs) - 1):
        if segs[i][0] != "Z":
            out.append(("mid", *ends[i], direction(i)))
    last = len(segs) - 1
    if segs[last][0] in "LCZ":
        out.append(("end", *ends[last], direction(last)))
    return [(kind, x, y, math.degrees(a)) for kind, x, y, a in out]


# -- the marker element -------------------------------------------------------------------------


def _orient(text: str | None) -> str | float:
    """'auto', 'auto-start-reverse' or an angle in degrees (deg, grad, rad, turn; else 0)."""
    text = (text or "0").strip()
    if text in ("auto", "auto-start-reverse"):
        return text
    units = {"deg": 1.0, "grad": 0.9, "rad": 180 / math.pi, "turn": 360.0}
    for unit, factor in units.items():
        if text.endswith(unit):
            text, scale = text[: -len(unit)], factor
            break
    else:
        scale = 1.0
    try:
        value = float(text) * scale
    except ValueError:
        return 0.0
    return value if math.isfinite(value) else 0.0


def _overflow_hidden(normalizer, marker) -> bool:
    """Markers clip to their viewport unless overflow is visible or auto (``inherit`` reads the
    parent's value, visible when none)."""
    value = normalizer.styles.specified(marker).get("overflow", "hidden").strip()
    if value == "inherit":
        parent = marker.getparent()
        value = "visible"
        if parent is not None:
            value = normalizer.styles.specified(parent).get("overflow", "visible").strip()
    return value not in ("visible", "auto")


def _marker_style(normalizer, marker) -> dict[str, str]:
    """The computed style of the marker element: its content inherits from where the marker
    stands in the document, never from the shape it decorates."""
    style = {name: default for name, default in INHERITED.items()}
    for element in [*reversed(list(marker.iterancestors())), marker]:
        style = cascade(style, normalizer.styles.specified(element))
    return style


def _marker_ref(value: str, ids) -> object | None:
    paint = parse_paint(value or "none")[0]
    if not paint.startswith("url("):
        return None
    target = ids.get(paint[5:-1])
    return target if target is not None and local_name(target) == "marker" else None


def draw_markers(normalizer, element, local, matrix, style, opacity, clip, viewport, mask) -> None:
    """Draw the markers of one shape (``local``: its path in user space) as paths."""
    name = local_name(element)
    if name not in MARKER_SHAPES:
        return
    wanted = {pos: _marker_ref(style.get(pos, "none"), normalizer.ids) for pos in POSITIONS}
    if all(m is None for m in wanted.values()):
        return
    if wanted["marker-mid"] is not None and name == "path" and _ARC.search(element.get("d", "")):
        # Arcs are cubics by now; SVG draws no mid marker inside an arc, this draws one at
        # each joint of its cubics.
        normalizer.drop("marker-mid on an elliptical arc")
    stack = normalizer.__dict__.setdefault("marker_stack", [])
    vw, vh = viewport
    diag = math.hypot(vw, vh) / math.sqrt(2)
    stroke_width = parse_length(style.get("stroke-width"), diag, 1.0) or 0.0
    points = vertices(local)
    styles: dict[int, dict[str, str]] = {}
    for kind, x, y, auto in points:
        marker = wanted[f"marker-{kind}"]
        if marker is None:
            continue
        if any(m is marker for m in stack):
            normalizer.drop(f"marker cycle through #{marker.get('id')}")
            continue
        instance = _instance(marker, x, y, auto, kind, stroke_width, viewport)
        if instance is None:
            continue
        placement, clip_rect = instance
        where = tf.multiply(matrix, placement)
        marker_clip = clip
        if clip_rect is not None and _overflow_hidden(normalizer, marker):
            marker_clip = _clip(normalizer, transform_path(clip_rect, where), clip)
        if id(marker) not in styles:
            styles[id(marker)] = _marker_style(normalizer, marker)
        marker_style = styles[id(marker)]
        stack.append(marker)
        previous = enter_context(normalizer, style, matrix, lambda: bounding_box(local))
        notes = len(normalizer.drawing.dropped)
        drawn = len(normalizer.drawing.paths)
        try:
            for child in marker:
                normalizer.visit(
                    child, where, marker_style, opacity, marker_clip, viewport, mask=mask
                )
        finally:
            leave_context(normalizer, previous)
            stack.pop()
        if marker_clip != clip:
            _unclip_inside(normalizer, marker_clip, clip, drawn)
        dropped = normalizer.drawing.dropped
        dropped[notes:] = [
            note
            if note.startswith("marker") or note.endswith("in a marker")
            else f"{note} in a marker"
            for note in dropped[notes:]
        ]


def _instance(marker, x, y, auto, kind, stroke_width, viewport):
    """(transform from marker content to the shape's user space, clip rectangle in content
    units or None); None when the marker draws nothing (zero or negative size)."""
    vw, vh = viewport
    width = parse_length(marker.get("markerWidth"), vw, 3.0)
    height = parse_length(marker.get("markerHeight"), vh, 3.0)
    ref_x = parse_length(marker.get("refX"), vw, 0.0) or 0.0
    ref_y = parse_length(marker.get("refY"), vh, 0.0) or 0.0
    if not width or not height or width <= 0 or height <= 0:
        return None
    units = 1.0 if marker.get("markerUnits") == "userSpaceOnUse" else stroke_width
    if units <= 0:
        return None
    orient = _orient(marker.get("orient"))
    if orient == "auto-start-reverse":
        angle = auto + 180.0 if kind == "start" else auto
    elif orient == "auto":
        angle = auto
    else:
        angle = orient
    placement = tf.multiply(tf.translate(x, y), tf.rotate(angle))
    viewbox = parse_viewbox(marker.get("viewBox"))
    if viewbox:
        fit = viewbox_transform(
            viewbox, 0, 0, width * units, height * units, marker.get("preserveAspectRatio")
        )
        placement = tf.multiply(placement, tf.scale(fit[0], fit[3]))
        clip = rect_path(*viewbox, 0.0, 0.0)
    else:
        placement = tf.multiply(placement, tf.scale(units))
        clip = rect_path(0.0, 0.0, width, height, 0.0, 0.0)
    return tf.multiply(placement, tf.translate(-ref_x, -ref_y)), clip


def _clip(normalizer, rect: list[Command], outer: str | None) -> str:
    """A Clip of one canvas-space rectangle (within ``outer``), shared between equal ones."""
    keys = normalizer.__dict__.setdefault("marker_clip_keys", {})
    key = (tuple(rect), outer)
    if key not in keys:
        count = normalizer.__dict__.get("marker_clip_count", 0)
        normalizer.marker_clip_count = count + 1
        ident = f"mk{count}"
        keys[key] = ident
        normalizer.drawing.clips[ident] = Clip(paths=[(rect, "nonzero")], clip_path=outer)
    return keys[key]


def _inside(path, quad: list[tuple[float, float]]) -> bool:
    """Whether ``path`` (control points, and stroke with room for joins and caps) lies within
    the convex quadrilateral ``quad``: then clipping to it changes nothing."""
    margin = 0.0
    if path.stroke != "none":
        reach = path.stroke_miterlimit if path.stroke_linejoin == "miter" else math.sqrt(2)
        margin = path.stroke_width / 2 * max(reach, math.sqrt(2))
    points = [c[i : i + 2] for _, c in path.d for i in range(0, len(c), 2)]
    area = sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(quad, quad[1:] + quad[:1], strict=True))
    sign = 1.0 if area > 0 else -1.0
    for a, b in zip(quad, quad[1:] + quad[:1], strict=True):
        length = math.hypot(b[0] - a[0], b[1] - a[1]) or 1.0
        for x, y in points:
            # distance of (x, y) to the inner side of edge a→b
            if sign * ((b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0])) / length < margin:
                return False
    return True


def _unclip_inside(normalizer, marker_clip: str, outer: str | None, first: int) -> None:
    """Drop the marker's clip from the paths it drew that lie inside it (the usual arrowhead),
    and the clip itself once nothing uses it: fewer ``<clipPath>`` elements, the same picture."""
    drawing = normalizer.drawing
    quad = [c for letter, c in drawing.clips[marker_clip].paths[0][0] if letter in "ML"]
    for path in drawing.paths[first:]:
        if path.clip_path == marker_clip and _inside(path, quad):
            path.clip_path = outer
    used = any(p.clip_path == marker_clip for p in drawing.paths) or any(
        c.clip_path == marker_clip for c in drawing.clips.values()
    )
    if not used:
        del drawing.clips[marker_clip]
        keys = normalizer.__dict__.get("marker_clip_keys", {})
        for key in [k for k, v in keys.items() if v == marker_clip]:
            del keys[key]
