"""Recognise basic shapes in traced contours: circles, ellipses, rectangles, rounded rectangles.

A designer expects a traced dot to be a ``<circle>``, not sixteen Bézier segments.  Each
candidate is fitted in closed form and accepted only if every contour point lies within the
tolerance of the shape's outline.  Shapes are axis-aligned (as they are in logos and icons);
anything rotated stays a path.
"""

from __future__ import annotations

import math

import numpy as np

from ..svg.pathdata import ellipse_path, rect_path, reverse_path

Shape = tuple  # ("circle", cx, cy, r) | ("ellipse", cx, cy, rx, ry) | ("rect", x, y, w, h, r)


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


def recognise(pts: np.ndarray, area: float, tolerance: float) -> Shape | None:
    """The simplest basic shape whose outline passes within ``tolerance`` of every point.

    Shapes get 1.5× the curve-fitting tolerance: a designer's circle is worth a slightly
    looser fit than a free-form curve, and the error measures here are conservative.
    """
    tolerance *= 1.5
    if len(pts) < 8:
        return None
    for fit in (_circle(pts), _ellipse(pts), _rounded_rect(pts, area)):
        if fit is not None and fit[1] <= tolerance:
            shape = fit[0]
            if shape[0] == "ellipse" and abs(shape[3] - shape[4]) <= tolerance:
                return None  # a circle that did not pass as one is not a good ellipse either
            if min(s for s in shape[3:5] if s) < 1.0:
                return None  # a speck, not a shape
            return shape
    return None


def shape_path(shape: Shape, area: float = 1.0) -> list[tuple[str, tuple[float, ...]]]:
    """The shape's outline as absolute M/L/C/Z commands, wound like the contour it replaces
    (positive ``area``: clockwise on screen) so that nonzero filling keeps holes open."""
    kind = shape[0]
    if kind == "circle":
        d = ellipse_path(shape[1], shape[2], shape[3], shape[3])
    elif kind == "ellipse":
        d = ellipse_path(*shape[1:5])
    else:
        x, y, w, h, r = shape[1:]
        d = rect_path(x, y, w, h, r, r)
    return d if area > 0 else reverse_path(d)
