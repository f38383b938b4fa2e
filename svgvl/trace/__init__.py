"""The native tracer: raster image → Drawing, on a plain CPU with nothing to download.

Stages, each in its own module and each with one knob a user can understand:

1. ``palette``  — flat colours, immune to anti-aliasing and JPEG noise (``colors``);
2. ``assign``   — every pixel labelled, edge pixels only with colours found nearby, specks
                  absorbed (``speckle``);
3. ``layers``   — stacked layers bottom to top with sub-pixel coverage fields;
4. ``fit``      — 0.5-contours cut at corners (``corner_angle``) and fitted with the fewest lines
                  and cubics within ``tolerance`` pixels.

The result is one path per layer (holes by the even-odd rule), in pixel units; small images
are traced enlarged (``working``).  Pixel art
(nearest-neighbour upscaled, or any image with ``mode="pixel"``) is traced on its grid instead
(``pixels``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..svg.model import Drawing, Path
from ..svg.style import hex_color
from .fit import contours, fit_contour, polygon_area
from .layers import coverage_fields, extent, layer_order, pixel_layers, restrict
from .morphology import mode_filter
from .palette import TRANSPARENT, Palette, assign, find_palette, local_range, noise_level
from .pixels import TooDetailed, find_grid, trace_pixels
from .primitives import recognise, shape_path
from .working import trace_small, working_factor


@dataclass(frozen=True)
class Detail:
    tolerance: float  # max distance of the outline from the traced edge, in pixels
    corner_angle: float  # turns sharper than this (degrees over ~2.5 px) stay corners
    speckle: int  # regions smaller than this many pixels are absorbed


DETAIL = {
    "low": Detail(tolerance=0.8, corner_angle=70, speckle=12),
    "medium": Detail(tolerance=0.5, corner_angle=60, speckle=5),
    "high": Detail(tolerance=0.25, corner_angle=55, speckle=2),
}


MODES = ("auto", "fill", "stroke", "pixel")


def trace(
    rgba: np.ndarray,
    colors: int | None = None,
    detail: str = "medium",
    mode: str = "auto",
    *,
    palette: Palette | None = None,
    noisy: bool = False,
) -> Drawing:
    """Trace an RGBA uint8 image (H, W, 4) into a Drawing with one path per colour layer.

    ``mode``: ``"fill"`` traces filled outlines; ``"pixel"`` traces on the pixel grid (crisp
    squares); ``"auto"`` is ``"pixel"`` for nearest-neighbour upscaled pixel art, else
    ``"fill"``.  Images of at most 64 px are traced enlarged (``working``), with ``palette``
    (and ``noisy``: JPEG-like) found on the original pixels instead of the traced ones.
    """
    if detail not in DETAIL:
        raise ValueError(f"detail must be one of {', '.join(DETAIL)}, got {detail!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "stroke":
        raise ValueError("mode 'stroke' is not available in this version; use auto or fill")
    grid = find_grid(rgba, minimum=1 if mode == "pixel" else 2)
    if grid is not None and (mode != "fill" or len(grid.xs) == len(grid.ys) == 2):
        try:
            return trace_pixels(rgba, grid, colors=colors)  # pixel art, or one colour
        except TooDetailed:
            if mode == "pixel":
                raise  # asked for: the user hears why not; found by itself: traced as fill
    knobs = DETAIL[detail]
    height, width = rgba.shape[:2]
    if palette is None and working_factor(width, height) > 1:
        return trace_small(rgba, colors, detail)
    rgb, alpha = rgba[..., :3], rgba[..., 3]
    usable = alpha >= 128
    drawing = Drawing(width=float(width), height=float(height))
    if not usable.any():
        return drawing
    voters = usable & (alpha >= 250) if (alpha >= 250).any() else usable
    # A clean render has exactly flat fills: colours 16 apart are different colours.  JPEG
    # noise and ringing need a wider merge, a majority filter on the labels, and edges taken
    # from the smoothed labels instead of from the (noisy) pixel colours.
    ranges = local_range(rgb)
    if palette is None:
        noisy = noise_level(rgb, usable, ranges) > 0.02
        palette = find_palette(
            rgb, voters, colors, merge_distance=30.0 if noisy else 16.0, ranges=ranges
        )
    # Specks are measured relative to a 256 px image; the tolerance stays in pixels, since an
    # outline off by a pixel costs the same fidelity at any size (at 512 px a scaled tolerance
    # lost 0.006 SSIM to stacked potrace).
    scale = max(1.0, (width * height / 65536) ** 0.5)
    labels = assign(rgb, usable, palette, ranges=ranges)
    if noisy:
        for _ in range(2):
            labels = mode_filter(labels, len(palette.colors))
    order = layer_order(labels, palette)
    rank = pixel_layers(labels, palette, order)
    for index, field in coverage_fields(rgb, alpha, rank, palette, order):
        color = palette.colors[index]
        if index == order[0] and usable.all():
            # An opaque background: white is left out (the SVG stays transparent there, which
            # composites identically on white); another colour is one exact rectangle.
            if (color >= 245).all():
                continue
            box = [
                ("M", (0.0, 0.0)),
                ("L", (float(width), 0.0)),
                ("L", (float(width), float(height))),
                ("L", (0.0, float(height))),
                ("Z", ()),
            ]
            drawing.paths.append(Path(d=box, fill=hex_color(color)))
            continue
        field = restrict(field, extent(rank, order.index(index)))
        d = []
        shapes = []
        tolerance = knobs.tolerance
        for pts in contours(field, min_area=knobs.speckle * scale * scale):
            shape = recognise(pts, polygon_area(pts), tolerance)
            shapes.append(shape)
            d.extend(
                shape_path(shape) if shape else fit_contour(pts, tolerance, knobs.corner_angle)
            )
        if d:
            single = shapes[0] if len(shapes) == 1 else None
            drawing.paths.append(
                Path(
                    d=d,
                    fill=hex_color(color),
                    fill_rule="nonzero" if single else "evenodd",
                    shape=single,
                )
            )
    return drawing


__all__ = ["DETAIL", "MODES", "TRANSPARENT", "trace"]
