"""The few binary-image operations the tracer needs, in numpy.

scipy.ndimage would do, but importing it costs a quarter of a second — a quarter of the
tracer's whole time budget for a 256 px icon.
"""

from __future__ import annotations

import numpy as np


def _shifts(size: int):
    r = size // 2
    return range(-r, size - r)


def box_max(x: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """Maximum over a size×size window (or rows × columns for a pair), edges replicated,
    separably along rows then columns; the window is centred, or one pixel before the centre
    for an even size.

    The window is simply clipped at the border, which gives the same maximum as replicated
    edges; every pass runs in place on shifted views, without a padded copy.
    """
    tall, wide = (size, size) if isinstance(size, int) else size
    rows = x.copy()
    for s in range(1, tall // 2 + 1):
        np.maximum(rows[s:], x[:-s], out=rows[s:])
    for s in range(1, tall - tall // 2):
        np.maximum(rows[:-s], x[s:], out=rows[:-s])
    out = rows.copy()
    for s in range(1, wide // 2 + 1):
        np.maximum(out[:, s:], rows[:, :-s], out=out[:, s:])
    for s in range(1, wide - wide // 2):
        np.maximum(out[:, :-s], rows[:, s:], out=out[:, :-s])
    return out


def box_min(x: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    return -box_max(-x.astype(np.int32) if x.dtype == np.uint8 else -x, size)


def dilate(mask: np.ndarray, size: int = 3) -> np.ndarray:
    return box_max(mask.astype(np.uint8), size).astype(bool)


def erode(mask: np.ndarray, size: int = 3) -> np.ndarray:
    """Where the whole size×size window is on the mask (edges replicated), in bytes rather
    than box_min's int32."""
    return ~dilate(~mask, size)


def components(mask: np.ndarray) -> np.ndarray:
    """8-connected component labels: -1 off the mask, 0… per component in raster order of
    their first pixel (:func:`regions` on the mask's runs, so the cost follows its edges)."""
    # Labelled on the mask's bounding box: one ink of a big image often covers a corner of it.
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    out = np.full(mask.shape, -1, dtype=np.int32)
    if not len(rows):
        return out
    box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    out[box] = regions(mask[box].view(np.int8) - 1, -1, connectivity=2)
    out[box] -= 1  # regions numbers them from 1, with 0 off the mask
    return out


def blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of a 2-D float array (edges replicated), separably, accumulating in place."""
    radius = max(1, int(round(3 * sigma)))
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    h, w = x.shape
    p = np.pad(x.astype(np.float32), radius, mode="edge")
    rows = np.zeros((h, w + 2 * radius), dtype=np.float32)
    term = np.empty_like(rows)
    for i, k in enumerate(kernel):
        rows += np.multiply(p[i : i + h], np.float32(k), out=term)
    out = np.zeros((h, w), dtype=np.float32)
    term = term[:, :w]
    for j, k in enumerate(kernel):
        out += np.multiply(rows[:, j : j + w], np.float32(k), out=term)
    return out


def mode_filter(labels: np.ndarray, values: int, size: int = 3) -> np.ndarray:
    """Each pixel takes the most frequent label among its size×size neighbours (ties keep the
    pixel's own label, else go to the smallest); labels are 0..values-1, with -1 left alone
    and not counted.

    Only pixels whose window holds more than one label can change, and those lie along the
    edges: their windows are gathered (N × size²) and counted by comparing every pair of window
    positions, size⁴/2 cheap comparisons whatever the number of labels — so the cost follows
    the edges, not the area (the whole image counted so took 0.15 s at 2048 px).
    """
    r = size // 2
    mixed = box_max(labels, size) != box_min(labels, size)  # windows clipped at the border
    ys, xs = np.nonzero(mixed & (labels >= 0))
    out = labels.copy()
    if not len(ys):
        return out
    padded = np.pad(labels, r, constant_values=-1)
    seen = padded[
        ys[:, None] + np.repeat(np.arange(size), size), xs[:, None] + np.tile(np.arange(size), size)
    ]
    counts = np.ones(seen.shape, dtype=np.uint8)  # each position counts itself
    for i in range(size * size):
        same = seen[:, i + 1 :] == seen[:, i : i + 1]
        counts[:, i] += same.sum(1, dtype=np.uint8)
        counts[:, i + 1 :] += same
    counts[seen < 0] = 0
    best = counts.max(1)
    best_label = np.where(counts == best[:, None], seen, values).min(1)
    own = counts[:, size * size // 2]
    out[ys, xs] = np.where(own >= best, labels[ys, xs], best_label)
    return out


def box_sum(mask: np.ndarray, size: int) -> np.ndarray:
    """Number of set pixels in each size×size window (zero outside the image)."""
    r = size // 2
    p = np.pad(mask.astype(np.int32), r)
    c = np.cumsum(np.cumsum(p, axis=0), axis=1)
    c = np.pad(c, ((1, 0), (1, 0)))
    h, w = mask.shape
    return (
        c[size : size + h, size : size + w]
        - c[0:h, size : size + w]
        - c[size : size + h, 0:w]
        + c[0:h, 0:w]
    )


def regions(
    labels: np.ndarray, background: int = -1, rounds: int = 64, connectivity: int = 1
) -> np.ndarray:
    """Connected regions of equal labels (4-connected, or 8-connected for ``connectivity=2``):
    0 on ``background``, 1… per region in raster order of their first pixel (int32).

    Worked on runs of equal labels along the rows, so the cost grows with the edges rather than
    the area (skimage's labeller compares every pixel with its neighbours: 0.3 s at 2048 px for
    a multi-label map): each run is joined to the runs of the same label it touches in the row
    above, and the joins are resolved by hooking roots and pointer jumping.  A map that takes
    more than ``rounds`` rounds (a long spiral) goes to the pixel labeller instead.
    """
    h, w = labels.shape
    flat = labels.ravel()
    change = np.empty(flat.size, dtype=bool)
    change[0] = True
    np.not_equal(flat[1:], flat[:-1], out=change[1:])
    change[::w] = True  # runs end at the end of a row
    start = np.flatnonzero(change)
    length = np.diff(np.append(start, flat.size))
    value = flat[start]
    # The runs of the row above that touch each run (a contiguous range, since runs tile rows;
    # diagonally too for 8-connectivity, clipped to that row).
    below = np.flatnonzero(start >= w)
    reach = connectivity - 1
    lo = np.searchsorted(start, start[below] - w - reach, side="right") - 1
    hi = np.searchsorted(start, start[below] - w + length[below] - 1 + reach, side="right") - 1
    if reach:
        row_start = start[below] // w * w - w
        lo = np.maximum(lo, np.searchsorted(start, row_start))
        hi = np.minimum(hi, np.searchsorted(start, row_start + w) - 1)
    count = hi - lo + 1
    b = np.repeat(below, count)
    a = np.repeat(lo - np.cumsum(count) + count, count) + np.arange(int(count.sum()))
    joined = (value[a] == value[b]) & (value[b] != background)
    a, b = a[joined], b[joined]
    parent = np.arange(len(start))
    for _ in range(rounds):
        root_a, root_b = parent[a], parent[b]
        differ = root_a != root_b
        if not differ.any():
            break
        low = np.minimum(root_a[differ], root_b[differ])
        np.minimum.at(parent, root_a[differ], low)
        np.minimum.at(parent, root_b[differ], low)
        while True:  # every run straight to its root
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
    else:
        from skimage.measure._ccomp import label_cython

        dense = np.unique(labels, return_inverse=True)[1].reshape(h, w).astype(np.int64) + 1
        dense[labels == background] = 0
        return label_cython(dense, 0, False, connectivity).astype(np.int32)
    drawn = value != background
    ids = np.zeros(len(start), dtype=np.int32)
    ids[drawn] = np.unique(parent[drawn], return_inverse=True)[1].ravel() + 1
    return np.repeat(ids, length).reshape(h, w)
