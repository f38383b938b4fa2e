"""Viewports: a ``viewBox`` and ``preserveAspectRatio`` as the matrix into the viewport, and the
normalised canvas of the outermost ``<svg>`` (SVG 2 §8.2)."""

from __future__ import annotations

from . import transform as tf
from .errors import SVGError
from .numbers import parse_length, parse_numbers


def parse_viewbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``min-x min-y width height``; None when absent or invalid (then no viewBox applies)."""
    if not text:
        return None
    try:
        values = parse_numbers(text, "viewBox")
    except SVGError:
        return None
    if len(values) != 4 or values[2] <= 0 or values[3] <= 0:
        return None
    return tuple(values)


def viewbox_transform(
    viewbox, x: float, y: float, width: float, height: float, par: str | None
) -> tf.Affine:
    """The matrix mapping a viewBox into the viewport (x, y, width, height) per
    ``preserveAspectRatio`` (SVG 2 §8.2, 'Equivalent transform of an SVG viewport')."""
    vx, vy, vw, vh = viewbox
    parts = (par or "xMidYMid meet").split()
    if parts and parts[0] == "defer":
        parts = parts[1:]
    align = parts[0] if parts else "xMidYMid"
    meet_or_slice = parts[1] if len(parts) > 1 else "meet"
    sx, sy = width / vw, height / vh
    if align != "none":
        sx = sy = max(sx, sy) if meet_or_slice == "slice" else min(sx, sy)
    tx, ty = x - vx * sx, y - vy * sy
    if align != "none":
        if "xMid" in align:
            tx += (width - vw * sx) / 2
        elif "xMax" in align:
            tx += width - vw * sx
        if "YMid" in align:
            ty += (height - vh * sy) / 2
        elif "YMax" in align:
            ty += height - vh * sy
    return (sx, 0.0, 0.0, sy, tx, ty)


def root_viewport(root, canvas=None) -> tuple[float, float, tf.Affine]:
    """(width, height, matrix) of the normalised canvas for the outermost ``<svg>``.

    Without a canvas the viewBox's own units are kept when the element's width/height have the
    same aspect (the usual icon case: ``width="1em" viewBox="0 0 24 24"``); otherwise the
    viewport is width×height and the viewBox is fitted into it, as a renderer would.
    """
    viewbox = parse_viewbox(root.get("viewBox"))
    width = absolute_length(root.get("width"))
    height = absolute_length(root.get("height"))
    if viewbox:
        vw, vh = viewbox[2], viewbox[3]
        if width is None and height is None:
            width, height = vw, vh
        elif width is None:
            width = height * vw / vh
        elif height is None:
            height = width * vh / vw
        if abs(width / height - vw / vh) < 1e-6 * (vw / vh):
            out_w, out_h, matrix = vw, vh, tf.translate(-viewbox[0], -viewbox[1])
        else:
            out_w, out_h = width, height
            matrix = viewbox_transform(
                viewbox, 0, 0, width, height, root.get("preserveAspectRatio")
            )
    else:
        out_w, out_h, matrix = width or 300.0, height or 150.0, tf.IDENTITY
    if out_w <= 0 or out_h <= 0:
        raise SVGError("the <svg> element has a zero or negative size")
    if canvas is None:
        return out_w, out_h, matrix
    cw, ch = (canvas, canvas) if isinstance(canvas, int | float) else canvas
    if cw <= 0 or ch <= 0:
        raise SVGError(f"canvas must be positive, got {canvas!r}")
    fit = viewbox_transform((0, 0, out_w, out_h), 0, 0, cw, ch, None)
    return float(cw), float(ch), tf.multiply(fit, matrix)


def absolute_length(text):
    """A width/height in user units, or None when absent, relative (%) or not positive."""
    if text is None or text.strip().endswith("%"):
        return None
    value = parse_length(text)
    return value if value and value > 0 else None
