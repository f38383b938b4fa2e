"""Gradients as normalisation needs them: their coordinates as numbers, a similarity transform
moved into the geometry, and the mean colour that replaces a gradient when asked to flatten."""

from __future__ import annotations

import math

from . import transform as tf
from .model import Gradient, Stop
from .numbers import parse_length
from .style import hex_color


def gradient_geometry(kind: str, attrs: dict, ref_w: float, ref_h: float) -> dict[str, float]:
    """Gradient coordinates as numbers; percentages are of the bbox (1) or the viewport."""
    diag = math.hypot(ref_w, ref_h) / math.sqrt(2)

    def value(name, default, ref):
        return (
            parse_length(attrs.get(name), ref, None)
            if attrs.get(name)
            else parse_length(default, ref)
        )

    if kind == "linearGradient":
        return {
            "x1": value("x1", "0%", ref_w),
            "y1": value("y1", "0%", ref_h),
            "x2": value("x2", "100%", ref_w),
            "y2": value("y2", "0%", ref_h),
        }
    cx, cy = value("cx", "50%", ref_w), value("cy", "50%", ref_h)
    return {
        "cx": cx,
        "cy": cy,
        "r": value("r", "50%", diag),
        "fx": value("fx", str(cx), ref_w) if attrs.get("fx") else cx,
        "fy": value("fy", str(cy), ref_h) if attrs.get("fy") else cy,
    }


def bake_transform(gradient: Gradient) -> Gradient:
    """Move a similarity transform (rotation, uniform scale, translation) into the geometry,
    which is exact for both gradient kinds; other transforms stay as ``gradientTransform``."""
    a, b, c, d, e, f = gradient.transform
    g = gradient.geometry
    similarity = abs(a - d) <= 1e-9 * max(1, abs(a)) and abs(b + c) <= 1e-9 * max(1, abs(b))
    # An axis-aligned scale keeps a horizontal or vertical gradient's stripes perpendicular to it.
    axis_aligned = (
        gradient.kind == "linear"
        and b == 0
        and c == 0
        and (g["x1"] == g["x2"] or g["y1"] == g["y2"])
    )
    if gradient.transform == tf.IDENTITY or not (similarity or axis_aligned):
        return gradient
    m = gradient.transform
    g = dict(g)
    if gradient.kind == "linear":
        g["x1"], g["y1"] = tf.apply(m, g["x1"], g["y1"])
        g["x2"], g["y2"] = tf.apply(m, g["x2"], g["y2"])
    else:
        g["cx"], g["cy"] = tf.apply(m, g["cx"], g["cy"])
        g["fx"], g["fy"] = tf.apply(m, g["fx"], g["fy"])
        g["r"] *= tf.mean_scale(m)
    return Gradient(gradient.kind, g, gradient.stops, tf.IDENTITY, gradient.spread)


def average_color(stops: list[Stop]) -> tuple[str, float]:
    """The mean colour of a gradient over [0, 1] (stops linearly interpolated, ends padded)."""
    if len(stops) == 1:
        return stops[0].color, stops[0].opacity

    def rgba(stop):
        h = stop.color
        return [int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16), stop.opacity]

    total = [0.0, 0.0, 0.0, 0.0]
    segments = [(0.0, stops[0], stops[0].offset, stops[0])]
    segments += [(a.offset, a, b.offset, b) for a, b in zip(stops, stops[1:], strict=False)]
    segments.append((stops[-1].offset, stops[-1], 1.0, stops[-1]))
    weight = 0.0
    for start, a, end, b in segments:
        length = max(0.0, end - start)
        ca, cb = rgba(a), rgba(b)
        for i in range(4):
            total[i] += length * (ca[i] + cb[i]) / 2
        weight += length
    if weight <= 0:
        return stops[-1].color, stops[-1].opacity
    r, g, b, alpha = (t / weight for t in total)
    return hex_color((r, g, b)), alpha
