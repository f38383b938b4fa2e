"""Stacked layers and their sub-pixel coverage.

Colours are drawn bottom to top, largest area first.  Layer *i* is the region of colour *i*
together with every region of a colour drawn above it that touches it: so the lower layer runs
on *under* its upper neighbours and no hairline of background shows at a shared edge, yet
unrelated shapes elsewhere do not bloat it.

Each layer is described by a coverage field in [0, 1] per pixel: 1 inside, 0 outside, and at an
anti-aliased edge the mixing ratio between the inside and outside colours found nearby.  Its 0.5
contour is the edge at sub-pixel precision — what the original vector drawing had.
"""

from __future__ import annotations

import numpy as np

from .morphology import blur, components, dilate
from .palette import Palette


def layer_order(labels: np.ndarray, palette: Palette) -> list[int]:
    """Palette indices bottom to top: the colour touching the image border most, then by area."""
    k = len(palette.colors)
    area = np.bincount(labels[labels >= 0].ravel(), minlength=k)
    border = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    border_count = np.bincount(border[border >= 0], minlength=k)
    order = sorted(range(k), key=lambda i: -area[i])
    if border_count.any():
        first = int(border_count.argmax())
        if border_count[first] >= 0.5 * len(border):  # a real background
            order.remove(first)
            order.insert(0, first)
    return [i for i in order if area[i] > 0]


def pixel_layers(labels: np.ndarray, palette: Palette, order: list[int]) -> np.ndarray:
    """Each pixel's layer: its label's position in ``order`` (-1 for transparent pixels)."""
    rank = np.full(len(palette.colors) + 1, -1, dtype=np.int32)  # label -1 → last slot → -1
    rank[order] = np.arange(len(order))
    return rank[labels]


def coverage_fields(
    rgb: np.ndarray,
    alpha: np.ndarray,
    pixel_rank: np.ndarray,
    palette: Palette,
    order: list[int],
    window: int = 5,
    shading: dict | None = None,
):
    """Yield (palette index, coverage field) per layer, bottom to top; ``pixel_rank`` is
    :func:`pixel_layers`.  ``shading`` maps palette indices filled with a gradient to their
    :class:`~svgvl.trace.shading.Shading`: their colour is taken at each pixel."""
    shading = shading or {}
    h, w = pixel_rank.shape
    colors = palette.colors.astype(np.float32)
    # Which ranks occur near each pixel, and how far each pixel's colour is from each of them.
    near = np.zeros((len(order), h, w), dtype=bool)
    for r in range(len(order)):
        near[r] = dilate(pixel_rank == r, window)
    near_transparent = dilate(pixel_rank < 0, window)
    rgbf = rgb.astype(np.float32)

    def color_at(i, ys, xs):
        return shading[i].colors_at(xs, ys).astype(np.float32)

    dist = np.stack([((rgbf - colors[i]) ** 2).sum(-1) for i in order])  # (L, H, W)
    for r, i in enumerate(order):
        if i in shading:  # a gradient's colour is taken where the layer may be the nearest
            ys, xs = np.nonzero(near[r])
            dist[r][ys, xs] = ((rgbf[ys, xs] - color_at(i, ys + 0.5, xs + 0.5)) ** 2).sum(-1)
    dist = np.where(near, dist, np.inf)
    # Best inside colour among ranks >= r: suffix minimum; best outside: prefix minimum (< r).
    suffix_arg = np.empty_like(pixel_rank, shape=(len(order), h, w))
    best = np.full((h, w), np.inf, dtype=np.float32)
    arg = np.zeros((h, w), dtype=np.int32)
    for r in range(len(order) - 1, -1, -1):
        better = dist[r] < best
        best = np.where(better, dist[r], best)
        arg = np.where(better, r, arg)
        suffix_arg[r] = np.where(np.isfinite(best), arg, -1)
    prefix_arg = np.empty_like(suffix_arg)
    best = np.full((h, w), np.inf, dtype=np.float32)
    arg = np.full((h, w), -1, dtype=np.int32)
    for r in range(len(order)):
        prefix_arg[r] = arg
        better = dist[r] < best
        best = np.where(better, dist[r], best)
        arg = np.where(better, r, arg)
    a = alpha.astype(np.float32) / 255.0
    translucent = (a < 0.99) & near_transparent
    ordered = colors[order]
    for r, index in enumerate(order):
        inside = pixel_rank >= r
        field = inside.astype(np.float32)
        in_arg, out_arg = suffix_arg[r], prefix_arg[r]
        # Edge pixels: next to both sides of this layer's boundary, with an inside colour nearby.
        edge = (in_arg >= 0) & dilate(inside) & dilate(~inside)
        # At a border with transparency the alpha channel is the coverage.
        field = np.where(translucent & (in_arg >= 0) & (inside | edge), a, field)
        mix = edge & ~translucent & (out_arg >= 0)
        if mix.any():
            ys, xs = np.nonzero(mix)
            c_in = ordered[in_arg[ys, xs]]
            c_out = ordered[out_arg[ys, xs]]
            for rank in [r for r, i in enumerate(order) if i in shading]:
                for c, arg in ((c_in, in_arg), (c_out, out_arg)):
                    hit = arg[ys, xs] == rank
                    if hit.any():
                        c[hit] = color_at(order[rank], ys[hit] + 0.5, xs[hit] + 0.5)
            span = c_in - c_out
            denom = (span**2).sum(-1)
            ratio = ((rgbf[ys, xs] - c_out) * span).sum(-1) / np.maximum(denom, 1e-6)
            ratio = np.where(denom > 1e-6, ratio, inside[ys, xs])
            field[ys, xs] = np.clip(ratio, 0.0, 1.0)
        yield index, field


def extent(pixel_rank: np.ndarray, r: int, reach: int = 2, fill_holes: bool = True) -> np.ndarray:
    """Where layer ``r`` is drawn: its own region, ``reach`` pixels under the layers above it,
    and any hole that only upper layers fill.

    Running on under upper layers hides seams at shared edges.  It must not run on to where an
    upper layer meets the background: both layers would anti-alias the same edge and it would
    look a third of a pixel too bold.
    """
    own = pixel_rank == r
    near = own | ((pixel_rank > r) & dilate(own, 2 * reach + 1))
    if fill_holes and near.any():
        # Holes lie inside the layer's bounding box: label only that window, with a frame of
        # "leaking" pixels around it standing for everything beyond.
        ys, xs = np.nonzero(near)
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        window = np.pad(near[y0:y1, x0:x1], 1)
        lower = np.pad(pixel_rank[y0:y1, x0:x1] < r, 1, constant_values=True)
        outside = ~window
        labels = components(outside)
        leaking = np.unique(labels[outside & lower])
        holes = outside & ~np.isin(labels, leaking)
        near[y0:y1, x0:x1] |= holes[1:-1, 1:-1]
    return near


def restrict(field: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The field where the layer is drawn: kept a pixel beyond ``mask`` (the anti-aliased edge
    pixels belong to lower colours), faded out smoothly where it ends under upper layers."""
    return field * np.clip(2 * blur(dilate(mask), 1.0), 0, 1)
