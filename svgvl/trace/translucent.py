"""Translucent fills on a transparent background: a duotone icon's 20 % tone, an emoji's 15 %
ground shadow, a whole logo exported at 60 % opacity.

The fill tracer takes a pixel under half opacity for transparent and one above for opaque, so
such a fill vanished (every duotone icon saved as a transparent PNG lost its second tone) or came
out solid.  Here a translucent fill is found as pixels whose opacity is *flat* — the same over a
3×3 window, where an anti-aliased edge ramps — between :data:`LOW` and :data:`HIGH`; the pixels
of one colour and one opacity form a layer.  Its coverage field is the pixel's opacity over the
layer's (so its edge against transparency is sub-pixel exact), and it runs on under the
opaque shapes it touches (it is drawn below them: no hairline shows between a duotone's tone
and its outline).  Each layer becomes one path with that ``fill-opacity``; its pixels are taken
out of the image handed on to the fill tracer.
"""

from __future__ import annotations

import numpy as np

from ..svg.model import Path
from ..svg.style import hex_color
from .fit import contours, fit_contour, polygon_area
from .morphology import box_max, box_min, components, dilate
from .primitives import recognise, shape_path

LOW, HIGH = 12, 232  # opacity (0-255) of a translucent pixel; above HIGH it is opaque
FLAT = 2  # the most a flat pixel's opacity varies over its 3×3 window (a soft shadow's ramp: more)
SAME_COLOR = 24.0  # RGB distance within one layer
SAME_ALPHA = 16  # opacity difference within one layer
RUN_ON = 2  # pixels a layer runs on under the opaque shapes it touches
MAX_LAYERS = 8


def translucent_pass(
    rgba: np.ndarray, tolerance: float, corner_angle: float, min_area: float
) -> tuple[list[Path], np.ndarray]:
    """(paths, image): the translucent layers of ``rgba`` as paths, bottom first, and the
    image with their pixels made transparent; ([], rgba) when it has none."""
    alpha = rgba[..., 3].astype(np.int16)
    between = (alpha > LOW) & (alpha < HIGH)
    flat = _flat(alpha, between)
    if np.count_nonzero(flat) < min_area:
        return [], rgba
    rgb = rgba[..., :3].astype(np.float32)
    paths, taken = [], np.zeros(alpha.shape, dtype=bool)
    for color, level in _layers(rgb[flat], alpha[flat], min_area):
        near = np.linalg.norm(rgb - color, axis=-1) <= SAME_COLOR
        core = between & near & (np.abs(alpha - level) <= SAME_ALPHA)
        # Joined to a flat pixel of its own: an opaque shape's anti-aliased rim passes through
        # the same opacity in a one-pixel line, never flat.
        parts = components(core)
        seeds = np.unique(parts[core & flat])
        core = np.isin(parts, seeds[seeds >= 0])
        if np.count_nonzero(core) < min_area:
            continue
        reach = dilate(core, 2 * RUN_ON + 1)
        # Its own fading edge (same colour, less opaque) and whatever lies on top of it.
        edge = reach & ((near & (alpha < level)) | (alpha >= level))
        field = np.where(core, 1.0, np.where(edge, np.minimum(alpha / level, 1.0), 0.0))
        d = []
        for pts in contours(field.astype(np.float32), min_area=min_area):
            shape = recognise(pts, polygon_area(pts), tolerance)
            d.extend(shape_path(shape) if shape else fit_contour(pts, tolerance, corner_angle))
        if not d:
            continue
        paths.append(
            Path(
                d=d,
                fill=hex_color(np.rint(color)),
                fill_opacity=round(level / 255, 3),
                fill_rule="evenodd",
            )
        )
        taken |= core | (edge & near & (alpha < level))
    if not paths:
        return [], rgba
    out = rgba.copy()
    out[taken, 3] = 0
    return paths, out


def has_translucency(rgba: np.ndarray, min_area: float) -> bool:
    """Whether ``rgba`` has at least ``min_area`` pixels of flat partial opacity.  A small
    image is judged on its own pixels: enlarged, every anti-aliased edge becomes a wide soft
    ramp whose tail is flat enough to pass (16 px favicons grew by a sixth, for nothing).  At
    48 px an emoji's ground shadow is two or three pixels high: flat along its rows, and with
    no opaque pixel beside it (a shape's straight anti-aliased edge is flat along it too)."""
    alpha = rgba[..., 3].astype(np.int16)
    between = (alpha > LOW) & (alpha < HIGH)
    along = (box_max(alpha, (1, 3)) - box_min(alpha, (1, 3)) <= FLAT) | (
        box_max(alpha, (3, 1)) - box_min(alpha, (3, 1)) <= FLAT
    )
    thin = between & along & (box_max(alpha, 3) < HIGH)
    return bool(np.count_nonzero(_flat(alpha, between) | thin) >= min_area)


def _flat(alpha: np.ndarray, between: np.ndarray) -> np.ndarray:
    if not between.any():
        return between
    return between & (box_max(alpha, 3) - box_min(alpha, 3) <= FLAT)


def _layers(colors: np.ndarray, alphas: np.ndarray, min_area: float):
    """(colour, opacity) of each group of flat translucent pixels with at least ``min_area``
    of them, most populous first: greedy over a coarse histogram, as the palette is found."""
    keys = np.column_stack([colors // 16, alphas // 16]).astype(np.int64)
    bins, inverse, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    sums = np.zeros((len(bins), 4))
    np.add.at(sums, inverse, np.column_stack([colors, alphas]))
    centres: list[np.ndarray] = []
    weights: list[float] = []
    for b in np.argsort(-counts):
        mean = sums[b] / counts[b]
        for i, centre in enumerate(centres):
            if (
                np.linalg.norm(centre[:3] - mean[:3]) <= SAME_COLOR
                and abs(centre[3] - mean[3]) <= SAME_ALPHA
            ):
                total = weights[i] + counts[b]
                centres[i] = (centre * weights[i] + mean * counts[b]) / total
                weights[i] = total
                break
        else:
            centres.append(mean)
            weights.append(float(counts[b]))
    ranked = sorted(((w, i) for i, w in enumerate(weights)), reverse=True)
    for weight, i in ranked[:MAX_LAYERS]:
        if weight >= min_area:
            yield centres[i][:3], float(centres[i][3])
