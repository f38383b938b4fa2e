"""The few binary-image operations the tracer needs, in numpy.

scipy.ndimage would do, but importing it costs a quarter of a second — a quarter of the
tracer's whole time budget for a 256 px icon.
"""

from __future__ import annotations

import numpy as np


def _shifts(size: int):
    r = size // 2
    return range(-r, size - r)


def box_max(x: np.ndarray, size: int) -> np.ndarray:
    """Maximum over a size×size window (edges replicated), separably along rows then columns."""
    r = size // 2
    pad = [(r, size - 1 - r), (r, size - 1 - r)] + [(0, 0)] * (x.ndim - 2)
    p = np.pad(x, pad, mode="edge")
    h, w = x.shape[:2]
    rows = p[0:h]
    for i in range(1, size):
        rows = np.maximum(rows, p[i : i + h])
    out = rows[:, 0:w]
    for j in range(1, size):
        out = np.maximum(out, rows[:, j : j + w])
    return out


def box_min(x: np.ndarray, size: int) -> np.ndarray:
    return -box_max(-x.astype(np.int32) if x.dtype == np.uint8 else -x, size)


def dilate(mask: np.ndarray, size: int = 3) -> np.ndarray:
    return box_max(mask.astype(np.uint8), size).astype(bool)


def components(mask: np.ndarray) -> np.ndarray:
    """8-connected component labels (the smallest flat pixel index in each component; -1 off
    the mask), by neighbour-minimum propagation with pointer jumping (O(log n) rounds)."""
    h, w = mask.shape
    big = h * w
    labels = np.where(mask, np.arange(big).reshape(h, w), big)
    while True:
        p = np.pad(labels, 1, constant_values=big)
        low = labels
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if dy or dx:
                    low = np.minimum(low, p[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w])
        low = np.where(mask, low, big)
        flat = np.append(low.ravel(), big)
        # Pointer jumping: every pixel adopts the label of the pixel its label names.
        while True:
            jumped = flat[flat]
            if np.array_equal(jumped, flat):
                break
            flat = jumped
        new = flat[:-1].reshape(h, w)
        if np.array_equal(new, labels):
            return np.where(mask, new, -1)
        labels = new


def blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of a 2-D float array (edges replicated), separably."""
    radius = max(1, int(round(3 * sigma)))
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    h, w = x.shape
    p = np.pad(x.astype(np.float32), radius, mode="edge")
    rows = sum(k * p[i : i + h] for i, k in enumerate(kernel))
    return sum(k * rows[:, j : j + w] for j, k in enumerate(kernel))


def mode_filter(labels: np.ndarray, values: int, size: int = 3) -> np.ndarray:
    """Each pixel takes the most frequent label among its size×size neighbours (ties keep the
    pixel's own label); labels are 0..values-1, with -1 left alone."""
    best = np.zeros(labels.shape, dtype=np.int32)
    best_label = labels.copy()
    own_count = np.zeros(labels.shape, dtype=np.int32)
    counts = []
    for v in range(values):
        c = box_sum(labels == v, size)
        counts.append(c)
        own_count = np.where(labels == v, c, own_count)
    for v, c in enumerate(counts):
        better = c > best
        best = np.where(better, c, best)
        best_label = np.where(better, v, best_label)
    keep = (own_count >= best) | (labels < 0)
    return np.where(keep, labels, best_label).astype(labels.dtype)


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
