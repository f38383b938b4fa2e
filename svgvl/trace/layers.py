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
from .palette import Palette, blend_offset


def layer_order(labels: np.ndarray, palette: Palette) -> list[int]:
    """Palette indices bottom to top: the colour touching the image border most, then by area."""
    k = len(palette.colors)
    area = np.bincount(labels.ravel() + 1, minlength=k + 1)[1:]  # label -1 → slot 0, dropped
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
    *,
    opaque: bool = False,
):
    """Yield (palette index, coverage field, (x0, y0)) per layer, bottom to top;
    ``pixel_rank`` is :func:`pixel_layers`.  ``shading`` maps palette indices filled with a
    gradient to their :class:`~svgvl.trace.shading.Shading`: their colour is taken at each
    pixel.  ``opaque``: the bottom layer covers the image and is drawn as a rectangle, so its
    field is not made (None).

    Each field is already restricted to where the layer is drawn (:func:`extent`,
    :func:`restrict`) and cropped to that place; (x0, y0) is the crop's corner in the image.
    Away from edges a field is just 0 or 1, so the colour arithmetic runs only on the band of
    pixels that see more than one layer in their window: the cost grows with the edges, not
    with the image area times the number of colours.
    """
    shading = shading or {}
    h, w = pixel_rank.shape
    band = _band(pixel_rank, window)
    ys, xs = (v.astype(np.int32) for v in np.nonzero(band))  # kept while the layers are fitted
    rank_e, near, near_transparent, lo3, hi3 = _neighbours(pixel_rank, ys, xs, window, len(order))
    colors = palette.colors.astype(np.float32)
    ordered = colors[order]
    rgbe = rgb[ys, xs].astype(np.float32)
    # A gradient layer's colour, taken at each band pixel.
    shaded = {
        r: shading[i].colors_at(xs + 0.5, ys + 0.5).astype(np.float32)
        for r, i in enumerate(order)
        if i in shading
    }
    # How far each band pixel's colour is from each layer's colour occurring near it.
    dist = np.stack([_square_sum(rgbe - shaded.get(r, c)) for r, c in enumerate(ordered)], axis=1)
    dist = np.where(near, dist, np.inf)
    # Best inside colour among ranks >= r: suffix minimum; best outside: prefix minimum (< r).
    count = len(order)
    suffix_arg = np.empty((len(ys), count), dtype=np.int16)
    best = np.full(len(ys), np.inf, dtype=np.float32)
    arg = np.zeros(len(ys), dtype=np.int16)
    for r in range(count - 1, -1, -1):
        better = dist[:, r] < best
        best = np.where(better, dist[:, r], best)
        arg = np.where(better, r, arg)
        suffix_arg[:, r] = np.where(np.isfinite(best), arg, -1)
    prefix_arg = np.empty_like(suffix_arg)
    best = np.full(len(ys), np.inf, dtype=np.float32)
    arg = np.full(len(ys), -1, dtype=np.int16)
    for r in range(count):
        prefix_arg[:, r] = arg
        better = dist[:, r] < best
        best = np.where(better, dist[:, r], best)
        arg = np.where(better, r, arg)
    del dist, best, arg, better  # the generator keeps its locals while the layers are fitted
    a = alpha[ys, xs].astype(np.float32) / 255.0
    translucent = (a < 0.99) & near_transparent
    boxes = _boxes(pixel_rank, ys, xs, rank_e, count)
    for r in range(count):
        if r == 0 and opaque:
            yield order[0], None, (0, 0)
            continue
        if boxes[r] is None:
            continue
        y0, y1, x0, x1 = boxes[r]
        # Wide enough that the extent (2 px), its dilation (1), blur (3) and the edge pixel
        # beyond it all fit, so the crop gives the very field the whole image would.
        y0, x0 = max(0, y0 - 8), max(0, x0 - 8)
        y1, x1 = min(h, y1 + 8), min(w, x1 + 8)
        crop = pixel_rank[y0:y1, x0:x1]
        field = (crop >= r).astype(np.float32)
        sel = np.flatnonzero((ys >= y0) & (ys < y1) & (xs >= x0) & (xs < x1))
        inside = rank_e[sel] >= r
        in_arg, out_arg = suffix_arg[sel, r], prefix_arg[sel, r]
        # Edge pixels: next to both sides of this layer's boundary, with an inside colour nearby.
        edge = (in_arg >= 0) & (hi3[sel] >= r) & (lo3[sel] < r)
        value = inside.astype(np.float32)
        # At a border with transparency the alpha channel is the coverage.
        clear = translucent[sel]
        value = np.where(clear & (in_arg >= 0) & (inside | edge), a[sel], value)
        mix = edge & ~clear & (out_arg >= 0)
        if mix.any():
            c_in = ordered[in_arg[mix]]
            c_out = ordered[out_arg[mix]]
            rows = sel[mix]
            for rank, at in shaded.items():
                for c, arg in ((c_in, in_arg[mix]), (c_out, out_arg[mix])):
                    hit = arg == rank
                    c[hit] = at[rows[hit]]
            c_in = _blend_end(rgbe[sel][mix], c_in, c_out, ordered, near[sel][mix], r, shaded)
            span = c_in - c_out
            denom = (span**2).sum(-1)
            ratio = ((rgbe[sel][mix] - c_out) * span).sum(-1) / np.maximum(denom, 1e-6)
            ratio = np.where(denom > 1e-6, ratio, inside[mix])
            value[mix] = np.clip(ratio, 0.0, 1.0)
        field[ys[sel] - y0, xs[sel] - x0] = value
        yield order[r], restrict(field, extent(crop, r)), (x0, y0)


BLEND_MISS = 12.0
"""RGB distance from the blend of its inside and outside colour beyond which an edge pixel's
inside colour is looked for again among the other layers above (see :func:`_blend_end`)."""


def _blend_end(pixels, c_in, c_out, ordered, near, r, shaded):
    """The inside colour of each edge pixel of layer ``r``: the colour of a layer at or above
    ``r`` near it whose blend with ``c_out`` comes closest to the pixel, where the nearest
    inside colour (``c_in``) is no such blend.  The anti-aliased edge of a dark letter on white
    passes through mid blues: with a blue layer under the letter, the nearest inside colour
    was that blue, its coverage came out above the letter's own and the blue showed as a rim
    around the letter."""

    best = blend_offset(pixels, c_out, c_in)[1]
    again = np.flatnonzero(best > BLEND_MISS)
    if not len(again):
        return c_in
    c_in = c_in.copy()
    pixels, c_out, best = pixels[again], c_out[again], best[again]
    chosen = c_in[again]
    for rank in range(r, len(ordered)):
        # A gradient layer's colour varies per pixel: it is not looked for here.
        if rank in shaded or not near[again, rank].any():
            continue
        end = np.broadcast_to(ordered[rank], pixels.shape)
        off = blend_offset(pixels, c_out, end)[1]
        better = near[again, rank] & (off < best)
        best = np.where(better, off, best)
        chosen = np.where(better[:, None], end, chosen)
    c_in[again] = chosen
    return c_in


def _square_sum(d: np.ndarray) -> np.ndarray:
    d = d * d
    return d[:, 0] + d[:, 1] + d[:, 2]


def _band(pixel_rank: np.ndarray, window: int) -> np.ndarray:
    """Pixels whose window may hold more than one layer: within window//2 of a pixel whose
    right or lower neighbour is of another layer (a superset of the exact set, which is all
    that is needed)."""
    change = np.zeros(pixel_rank.shape, dtype=bool)
    horizontal = pixel_rank[:, 1:] != pixel_rank[:, :-1]
    vertical = pixel_rank[1:] != pixel_rank[:-1]
    change[:, :-1] |= horizontal
    change[:, 1:] |= horizontal
    change[:-1] |= vertical
    change[1:] |= vertical
    return dilate(change, window)


def _neighbours(pixel_rank, ys, xs, window, count):
    """For the band pixels: own rank, which ranks occur in the window (E, count), whether
    transparency does, and the lowest and highest rank in the 3×3 neighbourhood (edges
    replicated, as :func:`~svgvl.trace.morphology.dilate` has them)."""
    r = window // 2
    h, w = pixel_rank.shape
    padded = np.pad(pixel_rank, r, mode="edge").ravel()
    centre = (ys + r) * (w + 2 * r) + xs + r
    row = np.arange(len(ys))
    near = np.zeros((len(ys), count + 1), dtype=bool)  # the last column: transparent (-1)
    lo3 = pixel_rank[ys, xs].copy()
    hi3 = lo3.copy()
    for dy in range(-r, window - r):
        for dx in range(-r, window - r):
            seen = padded[centre + dy * (w + 2 * r) + dx]
            near[row, seen] = True
            if abs(dy) <= 1 and abs(dx) <= 1:
                np.minimum(lo3, seen, out=lo3)
                np.maximum(hi3, seen, out=hi3)
    return pixel_rank[ys, xs], near[:, :count], near[:, count], lo3, hi3


def _boxes(pixel_rank, ys, xs, rank_e, count):
    """Bounding box (y0, y1, x0, x1) of each layer's own pixels, or None where it has none.

    A layer's extreme pixel either lies on the image border or has another layer just beyond
    it, and so is in the band: the band pixels and the border rows and columns suffice."""
    h, w = pixel_rank.shape
    boxes = []
    edges = [pixel_rank[0], pixel_rank[-1], pixel_rank[:, 0], pixel_rank[:, -1]]
    on_edge = [np.bincount(e[e >= 0], minlength=count) > 0 for e in edges]
    valid = rank_e >= 0
    ry, rx, rr = ys[valid], xs[valid], rank_e[valid]
    lo_y = np.full(count, h)
    hi_y = np.full(count, -1)
    lo_x = np.full(count, w)
    hi_x = np.full(count, -1)
    np.minimum.at(lo_y, rr, ry)
    np.maximum.at(hi_y, rr, ry)
    np.minimum.at(lo_x, rr, rx)
    np.maximum.at(hi_x, rr, rx)
    for r in range(count):
        y0 = 0 if on_edge[0][r] else lo_y[r]
        y1 = h if on_edge[1][r] else hi_y[r] + 1
        x0 = 0 if on_edge[2][r] else lo_x[r]
        x1 = w if on_edge[3][r] else hi_x[r] + 1
        boxes.append((y0, y1, x0, x1) if y1 > y0 and x1 > x0 else None)
    return boxes


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
        # Holes lie inside the layer's bounding box; everything beyond it counts as leaking.
        ys, xs = np.nonzero(near.any(1))[0], np.nonzero(near.any(0))[0]
        y0, y1, x0, x1 = ys[0], ys[-1] + 1, xs[0], xs[-1] + 1
        near[y0:y1, x0:x1] |= _holes(near[y0:y1, x0:x1], pixel_rank[y0:y1, x0:x1] < r)
    return near


def _holes(near: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """Pixels off ``near`` that no path off ``near`` joins to a ``lower`` pixel or the border.

    Off ``near`` lie lower pixels and upper ones out of reach; only a group of upper ones can
    be a hole, and it is one unless it touches the border or a lower pixel.  So only those
    groups are labelled (usually a few small shapes, not the whole box).
    """
    candidates = ~near & ~lower
    if not candidates.any():
        return candidates
    ys, xs = np.nonzero(candidates.any(1))[0], np.nonzero(candidates.any(0))[0]
    y0, y1, x0, x1 = ys[0], ys[-1] + 1, xs[0], xs[-1] + 1
    window = candidates[y0:y1, x0:x1]
    labels = components(window)
    leaking = np.zeros(labels.max() + 2, dtype=bool)
    # Lower pixels one beyond the window count too: dilate a window one pixel wider.
    dy, dx = int(y0 > 0), int(x0 > 0)
    grown = dilate(lower[y0 - dy : y1 + 1, x0 - dx : x1 + 1])
    touch = window & grown[dy : dy + y1 - y0, dx : dx + x1 - x0]
    leaking[labels[touch]] = True
    h, w = near.shape
    border = np.zeros_like(window)
    border[0] |= y0 == 0
    border[-1] |= y1 == h
    border[:, 0] |= x0 == 0
    border[:, -1] |= x1 == w
    leaking[labels[window & border]] = True
    leaking[-1] = True  # label -1: off the candidates
    out = np.zeros_like(near)
    out[y0:y1, x0:x1] = window & ~leaking[labels]
    return out


def restrict(field: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The field where the layer is drawn: kept a pixel beyond ``mask`` (the anti-aliased edge
    pixels belong to lower colours), faded out smoothly where it ends under upper layers."""
    return field * np.clip(2 * blur(dilate(mask), 1.0), 0, 1)
