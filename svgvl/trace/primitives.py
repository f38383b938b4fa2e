"""Recognise basic shapes in outlines: circles, ellipses, (rounded) rectangles, polygons, lines.

A designer expects a traced dot to be a ``<circle>``, not sixteen Bézier segments.  Each
candidate is fitted in closed form and accepted only if every contour point lies within the
tolerance of the shape's outline.  The tracer asks for axis-aligned shapes only (as they are in
logos and icons; anything rotated stays a path); ``describe`` asks for turned ones too, and for
polygons, lines and polylines (:func:`recognise_outline`) — one recogniser for both.
"""

from __future__ import annotations

import math

import numpy as np

from ..svg import transform as tf
from ..svg.pathdata import ellipse_path, rect_path, reverse_path, transform_path
from .fit import polygon_area

# ("circle", cx, cy, r) | ("ellipse", cx, cy, rx, ry[, angle]) | ("rect", x, y, w, h, r[, angle])
# | ("line", x1, y1, x2, y2) | ("polyline", (x, y), ...) | ("polygon", (x, y), ...); an angle
# (degrees, clockwise on screen) turns the shape about its centre.
Shape = tuple
MAX_VERTICES = 12  # more corners than this is a free path, not a polygon
STRAIGHT = 0.3  # of the tolerance: how far a traced polygon's side may waver
CURVES = ("circle", "ellipse")  # in describe, sure only within half the shapes' tolerance


def _circle(pts: np.ndarray):
    x, y = pts[:, 0], pts[:, 1]
    a = np.column_stack([x, y, np.ones_like(x)])
    b = x * x + y * y
    (c0, c1, c2), *_ = np.linalg.lstsq(a, b, rcond=None)
    cx, cy = c0 / 2, c1 / 2
    r2 = c2 + cx * cx + cy * cy
    if r2 <= 0:
        return None
    r = math.sqrt(r2)
    error = np.abs(np.hypot(x - cx, y - cy) - r).max()
    return ("circle", float(cx), float(cy), float(r)), float(error)


def _ellipse(pts: np.ndarray):
    """Axis-aligned conic p·x² + q·y² + s·x + t·y + u = 0 by SVD (points centred for stability)."""
    mean = pts.mean(0)
    x, y = pts[:, 0] - mean[0], pts[:, 1] - mean[1]
    a = np.column_stack([x * x, y * y, x, y, np.ones_like(x)])
    p, q, s, t, u = np.linalg.svd(a, full_matrices=False)[2][-1]
    if p * q <= 0:
        return None  # a hyperbola or a parabola, not an ellipse
    cx, cy = -s / (2 * p), -t / (2 * q)
    k = p * cx * cx + q * cy * cy - u
    if k / p <= 0 or k / q <= 0:
        return None
    rx, ry = math.sqrt(k / p), math.sqrt(k / q)
    # Distance to the outline, to first order: the gap along the ray from the centre.
    angle = np.arctan2((y - cy) / ry, (x - cx) / rx)
    error = np.hypot(x - cx - rx * np.cos(angle), y - cy - ry * np.sin(angle)).max()
    return ("ellipse", float(cx + mean[0]), float(cy + mean[1]), float(rx), float(ry)), float(error)


def _rect_error(pts: np.ndarray, x0, y0, w, h, r) -> float:
    """Largest distance from the points to a rounded rectangle's outline (signed-distance form)."""
    cx, cy = x0 + w / 2, y0 + h / 2
    qx = np.abs(pts[:, 0] - cx) - (w / 2 - r)
    qy = np.abs(pts[:, 1] - cy) - (h / 2 - r)
    outside = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0))
    inside = np.minimum(np.maximum(qx, qy), 0)
    return float(np.abs(outside + inside - r).max())


def _rounded_rect(pts: np.ndarray, area: float):
    x0, y0 = pts.min(0)
    x1, y1 = pts.max(0)
    w, h = float(x1 - x0), float(y1 - y0)
    if w <= 0 or h <= 0:
        return None
    # The corner radius from the area the corners cut off: w·h − area = (4 − π)·r².
    r = min(math.sqrt(max(0.0, w * h - abs(area)) / (4 - math.pi)), w / 2, h / 2)
    # Anti-aliasing trims even a sharp corner a little: prefer r = 0 when it fits as well.
    sharp = _rect_error(pts, x0, y0, w, h, 0.0)
    rounded = _rect_error(pts, x0, y0, w, h, r)
    if sharp <= rounded + 0.15:
        r, rounded = 0.0, sharp
    return ("rect", float(x0), float(y0), w, h, float(r)), rounded


def _turn(pts: np.ndarray, degrees: float) -> np.ndarray:
    """Points in the frame of a shape turned by ``degrees`` (they turn the other way)."""
    a = math.radians(degrees)
    return pts @ np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])


def _snap(degrees: float) -> float:
    """An angle in (-45, 45] (a quarter turn swaps width and height), 0 within half a degree."""
    degrees = (degrees + 45) % 90 - 45
    return 0.0 if abs(degrees) < 0.5 else float(degrees)


def _turned_ellipse(pts: np.ndarray):
    """The general conic A·x² + B·xy + C·y² + D·x + E·y + F = 0 by SVD, as centre, radii and
    the angle of the first radius (points centred and scaled for stability)."""
    mean = pts.mean(0)
    scale = float(pts.std()) or 1.0
    q = (pts - mean) / scale
    x, y = q[:, 0], q[:, 1]
    a = np.column_stack([x * x, x * y, y * y, x, y, np.ones_like(x)])
    A, B, C, D, E, F = np.linalg.svd(a, full_matrices=False)[2][-1]
    if 4 * A * C - B * B <= 0:
        return None
    m = np.array([[A, B / 2], [B / 2, C]])
    centre = np.linalg.solve(2 * m, [-D, -E])
    k = -(F + (D * centre[0] + E * centre[1]) / 2)  # the conic is qᵀ·m·q = k about its centre
    values, vectors = np.linalg.eigh(m)
    if (k / values <= 0).any():
        return None
    radii = np.sqrt(k / values)
    angle = _snap(math.degrees(math.atan2(vectors[1, 0], vectors[0, 0])))
    # The radius along the snapped angle's x axis comes first.
    first = math.radians(angle)
    along = abs(vectors[0, 0] * math.cos(first) + vectors[1, 0] * math.sin(first)) > 0.5
    rx, ry = (radii[0], radii[1]) if along else (radii[1], radii[0])
    local = _turn(q - centre, angle)
    t = np.arctan2(local[:, 1] / ry, local[:, 0] / rx)
    error = np.hypot(local[:, 0] - rx * np.cos(t), local[:, 1] - ry * np.sin(t)).max() * scale
    cx, cy = centre * scale + mean
    shape = ("ellipse", float(cx), float(cy), float(rx * scale), float(ry * scale), angle)
    return shape, float(error)


def _turned_rect(pts: np.ndarray, area: float):
    """A rounded rectangle along the smallest box around the hull (the sides of a rectangle,
    rounded or not, are edges of its hull)."""
    # Imported here: scipy.spatial costs the tracer's import half a second, for turned shapes
    # that only describe asks for.
    from scipy.spatial import ConvexHull, QhullError

    try:
        hull = pts[ConvexHull(pts).vertices]
    except (QhullError, ValueError):
        return None
    edges = np.diff(np.vstack([hull, hull[:1]]), axis=0)
    angles = np.unique(np.round(np.degrees(np.arctan2(edges[:, 1], edges[:, 0])) % 90, 3))
    spans = [np.ptp(_turn(hull, a), axis=0).prod() for a in angles]
    angle = _snap(float(angles[int(np.argmin(spans))]))
    fit = _rounded_rect(_turn(pts, angle), area)
    if fit is None:
        return None
    (_, x, y, w, h, r), error = fit
    centre = _turn(np.array([[x + w / 2, y + h / 2]]), -angle)[0]
    shape = ("rect", float(centre[0] - w / 2), float(centre[1] - h / 2), w, h, r, angle)
    return shape, error


def recognise(pts: np.ndarray, area: float, tolerance: float, turned: bool = False) -> Shape | None:
    """The simplest basic shape whose outline passes within ``tolerance`` of every point.

    Shapes get 1.5× the curve-fitting tolerance: a designer's circle is worth a slightly
    looser fit than a free-form curve, and the error measures here are conservative.
    ``turned``: ellipses and rectangles may be rotated (their tuples then end in the angle).
    """
    tolerance *= 1.5
    if len(pts) < 8:
        return None
    fits = (
        (_circle(pts), _turned_ellipse(pts), _turned_rect(pts, area))
        if turned
        else (_circle(pts), _ellipse(pts), _rounded_rect(pts, area))
    )
    if turned:  # the closest fit first: a small rounded square is nearly an ellipse too
        fits = sorted((fit for fit in fits if fit is not None), key=lambda fit: fit[1])
    for fit in fits:
        if fit is not None and fit[1] <= tolerance:
            shape = fit[0]
            if turned and _round_rect(shape, tolerance):
                continue  # corners as round as it is wide and high: the circle or ellipse
            if shape[0] == "ellipse" and abs(shape[3] - shape[4]) <= tolerance:
                if turned:
                    continue  # the circle, if it fits, comes later
                return None  # a circle that did not pass as one is not a good ellipse either
            if min(s for s in shape[3:5] if s) < 1.0:
                return None  # a speck, not a shape
            return shape
    return None


def recognise_cut(pts: np.ndarray, area: float, tolerance: float, width: float, height: float):
    """A circle or ellipse cut off by the image's frame (a badge filling its favicon), or None.
    Along the frame the last, partly covered row of pixels counts whole (a 32 px circle traced
    at 4x hugs the frame ~1.5 px beyond it): the frame's points may stand 2 px outside the
    shape, the rest must fit as in :func:`recognise`, and the cut shape has the outline's area."""
    tolerance *= 1.5
    framed = (pts <= 1).any(1) | (pts[:, 0] >= width - 1) | (pts[:, 1] >= height - 1)
    seen = pts[~framed]
    if not framed.any() or len(seen) < max(8, len(pts) // 2):
        return None
    for fit in (_circle(seen), _ellipse(seen)):
        if fit is None or fit[1] > tolerance or min(fit[0][3:5]) < 1.0:
            continue
        shape = fit[0]
        if shape[0] == "ellipse" and abs(shape[3] - shape[4]) <= tolerance:
            return None  # a circle that did not pass as one
        if signed_distance(shape, pts[framed]).max() <= tolerance + 2.0:
            turn = np.linspace(0, 2 * math.pi, 360, endpoint=False)
            outline = np.column_stack([np.cos(turn), np.sin(turn)]) * (shape[3], shape[-1])
            cut = np.clip(outline + shape[1:3], 0, (width, height))
            length = float(np.hypot(*np.diff(pts, axis=0, append=pts[:1]).T).sum())
            if abs(abs(polygon_area(cut)) - abs(area)) <= 0.02 * abs(area) + tolerance * length:
                return shape
    return None


def _indices(pts: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """Where each of Douglas-Peucker's corners (a subsequence of ``pts``) stands in ``pts``."""
    out, start = [], 0
    for corner in corners:
        start += int(np.flatnonzero((pts[start:] == corner).all(1))[0])
        out.append(start)
    return np.array(out)


def _bulge(pts: np.ndarray) -> float:
    """How far the middle three fifths of a stretch stray from its chord, on average: about
    0.9 of the greatest gap for an arc, next to nothing for a straight side."""
    a, b = pts[0], pts[-1]
    length = float(np.hypot(*(b - a))) or 1.0
    middle = pts[len(pts) // 5 : len(pts) - len(pts) // 5] if len(pts) >= 5 else pts
    d, m = b - a, middle - a
    return float((np.abs(d[0] * m[:, 1] - d[1] * m[:, 0]) / length).mean())


def _straight(pts: np.ndarray, tolerance: float) -> bool:
    """Whether the middle three fifths of a stretch lie along one line (within a fifth of the
    tolerance on average): a polygon's side, drawn or traced, whose ends a tracer may round."""
    middle = pts[len(pts) // 5 : len(pts) - len(pts) // 5] if len(pts) >= 5 else pts
    centred = middle - middle.mean(0)
    normal = np.linalg.svd(centred, full_matrices=False)[2][-1]
    return float(np.abs(centred @ normal).mean()) <= 0.2 * tolerance


def _polygon(pts: np.ndarray, closed: bool, tolerance: float) -> np.ndarray | None:
    """The fewest corners within ``tolerance`` (Douglas-Peucker), or None past MAX_VERTICES."""
    from skimage.measure import approximate_polygon  # as ConvexHull above: describe only

    if closed:  # start at a corner: the point farthest from the middle is one
        pts = np.roll(pts, -int(np.argmax(np.hypot(*(pts - pts.mean(0)).T))), axis=0)
        pts = np.vstack([pts, pts[:1]])
    corners = approximate_polygon(pts, tolerance)
    at = list(zip(_indices(pts, corners)[:-1], _indices(pts, corners)[1:], strict=True))
    # A curve cut into chords bulges from each by most of the tolerance, a polygon's sides
    # hardly at all; or, where a tracer cut the corners off (moving the chords), the sides
    # are straight in the middle and the corners stay at twice the tolerance, where a curve
    # needs fewer chords.
    chords = all(_bulge(pts[a : b + 1]) <= 0.5 * tolerance for a, b in at if b - a > 2)
    if not chords and not (
        all(_straight(pts[a : b + 1], tolerance) for a, b in at)
        and len(approximate_polygon(pts, 2 * tolerance)) == len(corners)
    ):
        return None
    if closed:
        corners = corners[:-1]
    return corners if len(corners) <= MAX_VERTICES + (0 if closed else 1) else None


def signed_distance(shape: Shape, pts: np.ndarray) -> np.ndarray:
    """Each point's distance to a circle's, ellipse's or rectangle's outline, negative inside
    (to first order for ellipses, as the fits measure it)."""
    kind = shape[0]
    if kind == "circle":
        return np.hypot(pts[:, 0] - shape[1], pts[:, 1] - shape[2]) - shape[3]
    if kind == "ellipse":
        rx, ry = shape[3:5]
        q = _turn(pts - shape[1:3], shape[5] if len(shape) > 5 else 0.0)
        t = np.arctan2(q[:, 1] / ry, q[:, 0] / rx)
        gap = np.hypot(q[:, 0] - rx * np.cos(t), q[:, 1] - ry * np.sin(t))
        return np.where((q[:, 0] / rx) ** 2 + (q[:, 1] / ry) ** 2 > 1, gap, -gap)
    x, y, w, h, r = shape[1:6]
    q = np.abs(_turn(pts - (x + w / 2, y + h / 2), shape[6] if len(shape) > 6 else 0.0))
    q = q - (w / 2 - r, h / 2 - r)
    outside = np.hypot(np.maximum(q[:, 0], 0), np.maximum(q[:, 1], 0))
    return outside + np.minimum(np.maximum(q[:, 0], q[:, 1]), 0) - r


def _partly_hidden(pts: np.ndarray, hidden: np.ndarray, area: float, tolerance: float):
    """A circle, ellipse or rectangle of which only the points not ``hidden`` are sure to be
    its own outline: where another shape meets it, it may be cut away or, since the tracer
    stacks its layers, reach on beneath the other.  (shape, error), or None.

    A fitting circle is the answer unless a rectangle fits closer (a rounded square is
    nearly round); an ellipse, which fits any arc a circle fits, only where no circle does."""
    seen = pts[~hidden]
    if len(seen) < max(8, len(pts) // 4):
        return None
    fits = [_circle(seen), _turned_ellipse(seen)]
    for rect in (_turned_rect(pts, area), _turned_rect(seen, area)):
        if rect:  # its sides from the extremes, which are rarely all hidden; the corner radius
            # that fits what is seen best (the area that gives it otherwise is not all seen)
            x, y, w, h = rect[0][1:5]
            radii = np.linspace(0.0, min(w, h) / 2, 12)
            tries = [(*rect[0][:5], float(r), *rect[0][6:]) for r in radii]
            errors = [np.abs(signed_distance(t, seen)).max() for t in tries]
            best = tries[int(np.argmin(errors))]
            fits.append((best, 0.0))
            # Fitted freely, it bends to an arc or a blob as well: only a close fit along two
            # sides seen counts.
            fitted = _fitted_rect(best, seen, tolerance)
            close = np.abs(signed_distance(fitted, seen)).max() <= tolerance / 2
            if close and _sides_seen(fitted, seen, tolerance) >= 2:
                fits.append((fitted, 0.0))
    circle, best, best_error = None, None, math.inf
    for fit in fits:
        if fit is None or min(fit[0][3:5]) < 1.0:
            continue
        shape = fit[0]
        if _round_rect(shape, tolerance):
            continue
        error = float(np.abs(signed_distance(shape, seen)).max())
        if error > tolerance or _area_of(shape) > 2.5 * abs(area):
            continue  # a curve through what is seen must not invent most of the shape
        if shape[0] == "circle":
            circle = (shape, error)
            continue
        if shape[0] == "ellipse" and (circle or abs(shape[3] - shape[4]) <= tolerance):
            continue
        if error < best_error:
            best, best_error = shape, error
    if circle and (best is None or best[0] == "ellipse" or circle[1] <= best_error):
        return circle
    return (best, best_error) if best is not None else None


def _fitted_rect(rect: Shape, seen: np.ndarray, tolerance: float) -> Shape:
    """A turned rounded rectangle moved, resized and rounded to fit the points seen (least
    squares, its angle kept): one whose corner is hidden keeps its sides where they are
    seen, not where the box around what is seen ends."""
    from scipy.optimize import least_squares  # as ConvexHull above: describe only

    x, y, w, h, r = rect[1:6]
    angle = rect[6] if len(rect) > 6 else 0.0

    def shape(p):
        cx, cy, w, h, k = p
        return ("rect", cx - w / 2, cy - h / 2, w, h, k * min(w, h) / 2, angle)

    k = min(1.0, max(0.0, 2 * r / max(min(w, h), 1e-9)))
    start = [x + w / 2, y + h / 2, max(w, 1.0), max(h, 1.0), k]
    fit = least_squares(
        lambda p: signed_distance(shape(p), seen),
        start,
        bounds=([-np.inf, -np.inf, 1.0, 1.0, 0.0], [np.inf, np.inf, np.inf, np.inf, 1.0]),
        loss="soft_l1",
        f_scale=tolerance,
    )
    return tuple(float(v) if not isinstance(v, str) else v for v in shape(fit.x))


def _sides_seen(rect: Shape, seen: np.ndarray, tolerance: float) -> int:
    """Along how many of a rounded rectangle's four straight sides ``seen`` runs for at least
    a third of the side."""
    x, y, w, h, r = rect[1:6]
    q = _turn(seen - (x + w / 2, y + h / 2), rect[6] if len(rect) > 6 else 0.0)
    count = 0
    for along, across, length, half in ((0, 1, w, h / 2), (1, 0, h, w / 2)):
        straight = np.abs(q[:, along]) <= length / 2 - r
        for sign in (-1, 1):
            on = q[straight & (np.abs(sign * q[:, across] - half) <= tolerance), along]
            count += int(len(on) >= 3 and np.ptp(on) >= (length - 2 * r) / 3)
    return count


def _round_rect(shape: Shape, tolerance: float) -> bool:
    """A rectangle whose corner radius is half its width and half its height: a circle."""
    if shape[0] != "rect":
        return False
    w, h, r = shape[3:6]
    return w / 2 - r <= tolerance and h / 2 - r <= tolerance


def _hidden_polygon(pts: np.ndarray, hidden: np.ndarray, tolerance: float):
    """A polygon whose sides are the straight stretches of the outline that are seen, met
    where they cross: a corner under another shape is where its two sides would meet."""
    from skimage.measure import approximate_polygon

    start = int(np.argmax(np.hypot(*(pts - pts.mean(0)).T)))
    pts, hidden = np.roll(pts, -start, axis=0), np.roll(hidden, -start)
    loop = np.vstack([pts, pts[:1]])
    corners = approximate_polygon(loop, tolerance)
    at = _indices(loop, corners)
    stable = len(approximate_polygon(loop, 2 * tolerance)) == len(corners)  # as in _polygon
    sides = []
    for a, b in zip(at[:-1], at[1:], strict=True):
        run = loop[a : b + 1]
        straight = _bulge(run) <= 0.5 * tolerance or (stable and _straight(run, tolerance))
        if b - a >= 4 and hidden[a:b].mean() < 0.3 and straight:
            sides.append((run[0], run[-1]))
    if not 3 <= len(sides) <= MAX_VERTICES:
        return None
    corners = []
    for (p0, p1), (q0, q1) in zip(sides, sides[1:] + sides[:1], strict=True):
        if np.allclose(p1, q0):
            corners.append(p1)
            continue
        u, v = p1 - p0, q1 - q0
        det = float(u[0] * v[1] - u[1] * v[0])
        if abs(det) < 1e-9 * float(np.hypot(*u) * np.hypot(*v)):
            return None  # parallel sides with a hidden stretch between: no corner to find
        w = q0 - p0
        corners.append(p0 + u * float(w[0] * v[1] - w[1] * v[0]) / det)
    corners = np.array(corners)
    edges = np.vstack([corners, corners[:1]])
    seen = pts[~hidden]
    gaps = np.min([_segment_gap(seen, a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)], 0)
    if gaps.max() > tolerance or abs(polygon_area(corners)) > 2.5 * abs(polygon_area(pts)):
        return None
    return corners


def _sided_polygon(pts: np.ndarray, hidden: np.ndarray, tolerance: float):
    """A traced polygon whose corners the tracer rounded: straight sides (each fitted by a
    line through the middle of its stretch) met where they cross, provided the outline keeps
    to those sides everywhere it is seen, away from the corners only by as much as a corner
    rounded with a radius of ``tolerance`` cuts off.  A smooth curve cut into chords fails
    this: it leaves each chord's line well before the next corner."""
    from skimage.measure import approximate_polygon

    if len(pts) < 12:
        return None
    start = int(np.argmax(np.hypot(*(pts - pts.mean(0)).T)))
    pts, hidden = np.roll(pts, -start, axis=0), np.roll(hidden, -start)
    loop = np.vstack([pts, pts[:1]])
    seen = np.append(~hidden, ~hidden[0])
    at = _indices(loop, approximate_polygon(loop, tolerance))
    # Per side: the points its line is fitted to and whether they were seen.  Stretches of
    # one side (split by noise or a notch) are fitted as one; where one stretch is seen and
    # the other runs along another shape, the seen one alone: a JPEG moves an edge between
    # two colours a pixel or two from where the same edge meets the paper.
    runs: list[tuple[np.ndarray, bool]] = []
    for a, b in zip(at[:-1], at[1:], strict=True):
        run = loop[a : b + 1]
        length = float(np.hypot(*(run[-1] - run[0])))
        if length < 3 * tolerance:
            continue  # a rounded corner
        use = seen[a : b + 1]
        is_seen = use.mean() >= 0.5
        if not is_seen:
            # Along another shape: a side all the same if long and straight (the shape
            # beside it may lie beneath), else a stretch under another shape.
            if length < 6 * tolerance or not _straight(run, tolerance):
                continue
            use = np.ones(len(run), bool)
        middle = run[len(run) // 5 : len(run) - len(run) // 5]
        middle = middle[use[len(run) // 5 : len(run) - len(run) // 5]]
        if len(middle) < 3:
            continue
        if runs and _parallel(_direction(runs[-1][0]), _direction(middle)):
            runs[-1] = _one_side(runs[-1], (middle, is_seen))
            continue
        runs.append((middle, is_seen))
    if len(runs) > 1 and _parallel(_direction(runs[-1][0]), _direction(runs[0][0])):
        runs[0] = _one_side(runs.pop(), runs[0])
    sides = [(points.mean(0), _direction(points)) for points, _ in runs]
    if not 3 <= len(sides) <= MAX_VERTICES:
        return None
    corners = []
    for (p, u), (q, v) in zip(sides, sides[1:] + sides[:1], strict=True):
        det = float(u[0] * v[1] - u[1] * v[0])
        if abs(det) < math.sin(math.radians(8)):
            return None
        w = q - p
        corners.append(p + u * float(w[0] * v[1] - w[1] * v[0]) / det)
    corners = np.array(corners)
    area = abs(polygon_area(corners))
    if area > 2.5 * abs(polygon_area(pts)) or area < 0.5 * abs(polygon_area(pts)):
        return None
    edges = np.vstack([corners, corners[:1]])
    visible = pts[~hidden]
    gap = np.min(
        [_segment_gap(visible, a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)], 0
    )
    # How far a corner rounded by ``tolerance`` strays from it: r·(1/sin(θ/2) − 1) at the
    # corner, within r/tan(θ/2) of it along the sides (θ: the corner's inner angle).
    before, after = np.roll(corners, 1, axis=0) - corners, np.roll(corners, -1, axis=0) - corners
    cos = (before * after).sum(1) / (np.hypot(*before.T) * np.hypot(*after.T))
    half = np.arccos(np.clip(cos, -1.0, 1.0)) / 2
    cut = tolerance * (1 / np.maximum(np.sin(half), 0.1) - 1)
    reach = tolerance / np.maximum(np.tan(half), 0.1) + tolerance
    near = np.hypot(*(visible[:, None] - corners[None]).transpose(2, 0, 1))  # (points, corners)
    straight = STRAIGHT * tolerance
    allowed = np.where(near <= reach[None] + cut[None], straight + cut[None], straight).max(1)
    if (gap > allowed).any():
        return None
    return corners


def _direction(pts: np.ndarray) -> np.ndarray:
    """The unit direction of the line fitted to ``pts``."""
    return np.linalg.svd(pts - pts.mean(0), full_matrices=False)[2][0]


def _parallel(u: np.ndarray, v: np.ndarray) -> bool:
    return abs(_cross(u, v)) < math.sin(math.radians(8))


def _one_side(first: tuple[np.ndarray, bool], second: tuple[np.ndarray, bool]):
    """Two stretches of one side as one: their points together, or the seen one's alone."""
    (p, p_seen), (q, q_seen) = first, second
    if p_seen == q_seen:
        return np.vstack([p, q]), p_seen
    return first if p_seen else second


def _gap(shape: Shape, pts: np.ndarray) -> float:
    return float(np.abs(signed_distance(shape, pts)).max())


def _cross(u: np.ndarray, v: np.ndarray) -> float:
    return float(u[0] * v[1] - u[1] * v[0])


def _area_of(shape: Shape) -> float:
    if shape[0] == "circle":
        return math.pi * shape[3] ** 2
    if shape[0] == "ellipse":
        return math.pi * shape[3] * shape[4]
    return shape[3] * shape[4]


def _segment_gap(pts: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    t = np.clip((pts - a) @ ab / max(float(ab @ ab), 1e-12), 0.0, 1.0)
    return np.hypot(*(pts - (a + t[:, None] * ab)).T)


def recognise_outline(
    pts: np.ndarray, closed: bool, tolerance: float, hidden: np.ndarray | None = None
) -> Shape | None:
    """Any basic shape for an outline, turned or not: a closed one as a circle, ellipse,
    (rounded) rectangle or polygon, an open one as a line or a polyline; None: a free path.
    ``hidden``: points where another shape meets this one in a picture, which may hide part
    of it or be hidden by it; only the rest must fit.  A circle or ellipse straying more
    than half the tolerance (true ones in traced images stray under a third) is the answer
    only where no polygon fits: it may be a small polygon with its corners rounded."""
    pts = np.asarray(pts, dtype=float)
    if len(pts) < 2:
        return None
    corners, loose = None, None
    if closed:
        area = polygon_area(pts)
        shape = None
        if hidden is not None and hidden.any():
            partial = _partly_hidden(pts, hidden, area, tolerance * 1.5)
            # A curve fits a small polygon's or a rounded square's rounded corners loosely
            # too: one that does not fit closely waits for the polygon rules.
            if partial and (partial[0][0] not in CURVES or partial[1] <= 0.75 * tolerance):
                shape = partial[0]
            else:
                loose = partial[0] if partial else None
                corners = _hidden_polygon(pts, hidden, tolerance * 1.5)
        if shape is None and corners is None:
            shape = recognise(pts, area, tolerance, turned=True)
            if shape and shape[0] in CURVES and _gap(shape, pts) > 0.75 * tolerance:
                shape, loose = None, shape
        if shape is not None:
            return shape
    if corners is None:
        corners = _polygon(pts, closed, tolerance * 1.5)
    if corners is None and closed and hidden is not None:
        corners = _sided_polygon(pts, hidden, tolerance * 1.5)
    if corners is None or len(corners) < (3 if closed else 2):
        return loose
    points = tuple((float(x), float(y)) for x, y in corners)
    if not closed and len(points) == 2:
        return ("line", *points[0], *points[1])
    return ("polygon" if closed else "polyline", *points)


def shape_path(shape: Shape, area: float = 1.0) -> list[tuple[str, tuple[float, ...]]]:
    """The shape's outline as absolute M/L/C/Z commands, wound like the contour it replaces
    (positive ``area``: clockwise on screen) so that nonzero filling keeps holes open."""
    kind = shape[0]
    angle = 0.0
    if kind == "circle":
        d = ellipse_path(shape[1], shape[2], shape[3], shape[3])
    elif kind == "ellipse":
        d = ellipse_path(*shape[1:5])
        angle, centre = (shape[5] if len(shape) > 5 else 0.0), shape[1:3]
    elif kind == "rect":
        x, y, w, h, r = shape[1:6]
        d = rect_path(x, y, w, h, r, r)
        angle, centre = (shape[6] if len(shape) > 6 else 0.0), (x + w / 2, y + h / 2)
    elif kind == "line":
        return [("M", shape[1:3]), ("L", shape[3:5])]
    else:
        d = [("M", shape[1]), *(("L", p) for p in shape[2:])]
        if kind == "polyline":
            return d
        d.append(("Z", ()))
    if angle:
        d = transform_path(d, tf.rotate(angle, *centre))
    return d if area > 0 else reverse_path(d)
