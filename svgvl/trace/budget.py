"""The tracer's work budget, checked before the costly stages.

Tracing costs grow with the pixels on edges (labelling, coverage) and with the number of
regions (each one's contour is fitted in Python), not with the image area: a detailed 2048 px
logo has under 100,000 edge pixels and a few hundred regions.  Random noise, a photo of gravel
or a dithered image has millions of edge pixels and hundreds of thousands of regions, and ran
for minutes.  Two limits, each checked before the work it bounds:

- edge pixels (:data:`MAX_EDGE_PIXELS`), from the local range, before the palette is found;
- regions (:data:`MAX_REGIONS`), from the labels, before contours are traced and fitted
  (counted only for images with many edge pixels; specks count too, as each is a contour).

- pixels × colours (:data:`MAX_LAYER_PIXELS`), once the palette is known, before pixels are
  assigned to colours (each colour gets canvas-sized layers: 2048² pixels in 200 colours took
  34 s and 4.5 GB).

An image over any of them is traced at a reduced working size that fits (averaging pixels, as a
downscale should), the outline scaled back to the full canvas, and a
:class:`TraceBudgetWarning` says so.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import replace

import numpy as np

from ..svg.model import Drawing, Gradient
from ..svg.transform import IDENTITY

MAX_EDGE_PIXELS = 1_000_000
"""Edge pixels one image may have (over 10× a detailed 2048 px logo)."""

MAX_REGIONS = 20_000
"""Regions one image may have (a few seconds of contour tracing and curve fitting)."""

MAX_LAYER_PIXELS = 1 << 27
"""Pixels × palette colours one image may have: 32 colours at 2048², about 0.7 GB."""

COUNT_REGIONS_FROM = 200_000
"""Edge pixels from which regions are counted (labelling them costs ~0.2 s at 2048 px)."""

EDGE_RANGE = 48
"""A pixel is on an edge when its 3×3 neighbourhood spans more than this (summed over RGB);
the palette's flat pixels are the others."""


class TraceBudgetWarning(UserWarning):
    """An image had more edge pixels than the budget and was traced at a reduced size."""


def edge_pixels(ranges: np.ndarray, usable: np.ndarray) -> int:
    """Usable pixels whose neighbourhood is not flat (``ranges``: the palette's local range)."""
    return int(np.count_nonzero((ranges > EDGE_RANGE) & usable))


def regions(labels: np.ndarray) -> int:
    """Connected regions of equal label (8-connected, transparency left out)."""
    from skimage.measure._ccomp import label_cython  # see morphology.components

    return int(label_cython(labels.astype(np.int32), -1, False, 2).max())


def working_size(width: int, height: int, amount: int, limit: int):
    """(width, height) at which ``amount`` fits ``limit``, assuming it scales with the area
    (true for noise; a real drawing's edges shrink only with the side, so it fits with room to
    spare); None when it fits already."""
    if amount <= limit:
        return None
    scale = math.sqrt(0.9 * limit / amount)
    return max(1, int(width * scale)), max(1, int(height * scale))


def reduce(rgba: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``rgba`` downscaled to ``size`` (width, height) by area averaging (alpha-weighted)."""
    from PIL import Image

    image = Image.fromarray(np.ascontiguousarray(rgba), "RGBA")
    return np.asarray(image.resize(size, Image.Resampling.BOX))


def within_budget(
    rgba: np.ndarray,
    ranges: np.ndarray,
    usable: np.ndarray,
    labels: np.ndarray | None = None,
):
    """None when the image fits the budget, else the image reduced to fit (with a warning).

    Without ``labels``: the edge-pixel check; with them: the region check."""
    height, width = rgba.shape[:2]
    edges = edge_pixels(ranges, usable)
    if labels is None:
        amount, limit, what = edges, MAX_EDGE_PIXELS, "edge pixels"
    elif edges >= COUNT_REGIONS_FROM:
        amount, limit, what = regions(labels), MAX_REGIONS, "regions"
    else:
        return None
    size = working_size(width, height, amount, limit)
    if size is None:
        return None
    warnings.warn(
        f"{width}×{height} image has {amount:,} {what}, over the tracer's budget of {limit:,} "
        f"(noise or very fine texture): traced at {size[0]}×{size[1]} instead, with less "
        "detail; denoise or downscale the image for a cleaner result",
        TraceBudgetWarning,
        stacklevel=3,
    )
    return reduce(rgba, size)


def within_layer_budget(rgba: np.ndarray, colors: int):
    """None when ``colors`` layers of this image fit :data:`MAX_LAYER_PIXELS`, else the image
    reduced to fit (with a warning)."""
    height, width = rgba.shape[:2]
    size = working_size(width, height, width * height * colors, MAX_LAYER_PIXELS)
    if size is None:
        return None
    warnings.warn(
        f"{width}×{height} image in {colors} colours is over the tracer's budget of "
        f"{MAX_LAYER_PIXELS:,} pixels × colours: traced at {size[0]}×{size[1]} instead; "
        "pass fewer --colors or downscale the image",
        TraceBudgetWarning,
        stacklevel=3,
    )
    return reduce(rgba, size)


def scale_drawing(drawing: Drawing, width: int, height: int) -> Drawing:
    """``drawing`` (absolute M/L/C/Z paths, as traced) stretched onto a width×height canvas,
    its gradients with it (they are in canvas units)."""
    sx, sy = width / drawing.width, height / drawing.height
    uniform = math.isclose(sx, sy, rel_tol=1e-9)
    for path in drawing.paths:
        path.d = [
            (letter, tuple(v * (sy if i % 2 else sx) for i, v in enumerate(coords)))
            for letter, coords in path.d
        ]
        shape = path.shape
        if shape is not None and uniform:
            path.shape = (shape[0], *(v * sx for v in shape[1:]))
        else:
            path.shape = None
    for key, gradient in drawing.gradients.items():
        drawing.gradients[key] = _scale_gradient(gradient, sx, sy)
    drawing.width, drawing.height = float(width), float(height)
    return drawing


def _scale_gradient(gradient: Gradient, sx: float, sy: float) -> Gradient:
    a, b, c, d, e, f = gradient.transform
    if gradient.transform == IDENTITY and math.isclose(sx, sy, rel_tol=1e-9):
        geometry = {k: v * sx for k, v in gradient.geometry.items()}
        return replace(gradient, geometry=geometry)
    # The canvas scale applied after the gradient's own transform.
    return replace(gradient, transform=(a * sx, b * sy, c * sx, d * sy, e * sx, f * sy))
