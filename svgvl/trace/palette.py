"""Palette: the flat colours of an image, robust to anti-aliasing and JPEG noise.

Only *flat* pixels (whose 3×3 neighbourhood barely varies) vote for colours: an anti-aliased
edge pixel is a mixture of its neighbours, and JPEG ringing lives at edges too, so neither may
become a colour of its own.  Every pixel is then labelled with a palette colour, an edge pixel
only with a colour that actually occurs near it, and specks below a size are absorbed by their
surroundings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .morphology import box_max, box_min, dilate

TRANSPARENT = -1
MAX_COLORS = 32


@dataclass
class Palette:
    colors: np.ndarray  # (K, 3) float, most frequent first
    counts: np.ndarray  # (K,) pixels voting for each colour


def local_range(rgb: np.ndarray) -> np.ndarray:
    """Sum over channels of max − min in each pixel's 3×3 neighbourhood."""
    return (box_max(rgb, 3).astype(np.int32) - box_min(rgb, 3)).sum(-1)


def find_palette(
    rgb: np.ndarray,
    usable: np.ndarray,
    colors: int | None = None,
    *,
    flat_threshold: float = 48.0,
    merge_distance: float = 30.0,
) -> Palette:
    """Cluster the colours of flat, usable pixels.

    ``merge_distance`` (RGB Euclidean) decides when two colours are the same: JPEG noise and
    gentle shading merge, distinct fills stay apart.  With ``colors`` the clusters are merged
    (closest pair first) or k-means-split down/up to exactly that many.
    """
    flat = usable & (local_range(rgb) <= flat_threshold)
    if flat.sum() < max(16, 0.01 * usable.sum()):
        flat = usable  # a photo-like or tiny image: every pixel votes
    pixels = rgb[flat].astype(np.float64)
    if len(pixels) == 0:
        return Palette(np.zeros((0, 3)), np.zeros(0, dtype=np.int64))
    # Histogram on a 4-bit grid, then grow clusters greedily from the most populated bins.
    keys = (
        (pixels[:, 0].astype(np.int64) >> 4) * 256
        + (pixels[:, 1].astype(np.int64) >> 4) * 16
        + (pixels[:, 2].astype(np.int64) >> 4)
    )
    counts = np.bincount(keys, minlength=4096).astype(np.float64)
    sums = np.stack(
        [np.bincount(keys, weights=pixels[:, c], minlength=4096) for c in range(3)], axis=1
    )
    order = np.argsort(-counts)
    order = order[counts[order] > 0]
    centres: list[np.ndarray] = []
    weights: list[float] = []
    for b in order:
        mean = sums[b] / counts[b]
        if centres:
            d = np.linalg.norm(np.asarray(centres) - mean, axis=1)
            j = int(d.argmin())
            if d[j] <= merge_distance:
                w = weights[j] + counts[b]
                centres[j] = (centres[j] * weights[j] + mean * counts[b]) / w
                weights[j] = w
                continue
        centres.append(mean)
        weights.append(counts[b])
    centres_arr, weights_arr = _kmeans(pixels, np.asarray(centres), iterations=3)
    # Clusters too small to be a shape are noise (or anti-aliasing that happened to be flat).
    minimum = max(6, 0.0004 * len(pixels))
    keep = weights_arr >= minimum
    if keep.any():
        centres_arr, weights_arr = centres_arr[keep], weights_arr[keep]
    if colors is not None:
        centres_arr, weights_arr = _to_count(pixels, centres_arr, weights_arr, colors)
    elif len(centres_arr) > MAX_COLORS:
        centres_arr, weights_arr = _to_count(pixels, centres_arr, weights_arr, MAX_COLORS)
    order = np.argsort(-weights_arr)
    return Palette(centres_arr[order], weights_arr[order].astype(np.int64))


def _nearest(pixels: np.ndarray, centres: np.ndarray) -> np.ndarray:
    d = ((pixels[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    return d.argmin(1)


def _kmeans(
    pixels: np.ndarray, centres: np.ndarray, iterations: int
) -> tuple[np.ndarray, np.ndarray]:
    # Subsample for speed: the palette of a 1-megapixel logo is settled by 40k pixels.
    if len(pixels) > 40_000:
        pixels = pixels[np.random.default_rng(0).choice(len(pixels), 40_000, replace=False)]
    weights = np.zeros(len(centres))
    for _ in range(iterations):
        label = _nearest(pixels, centres)
        weights = np.bincount(label, minlength=len(centres)).astype(np.float64)
        for c in range(3):
            s = np.bincount(label, weights=pixels[:, c], minlength=len(centres))
            centres[:, c] = np.where(weights > 0, s / np.maximum(weights, 1), centres[:, c])
    keep = weights > 0
    return centres[keep], weights[keep]


def _to_count(pixels, centres, weights, k):
    """Merge the closest pair (weighted) until k remain, or split the widest cluster until k exist."""
    centres, weights = centres.copy(), weights.copy()
    while len(centres) > k:
        d = np.linalg.norm(centres[:, None] - centres[None], axis=-1) + np.eye(len(centres)) * 1e9
        i, j = np.unravel_index(d.argmin(), d.shape)
        w = weights[i] + weights[j]
        centres[i] = (centres[i] * weights[i] + centres[j] * weights[j]) / w
        weights[i] = w
        centres, weights = np.delete(centres, j, 0), np.delete(weights, j)
    if len(centres) < k:
        label = _nearest(pixels, centres)
        while len(centres) < k:
            spread = [
                pixels[label == i].std(0).sum() if (label == i).sum() > 1 else 0
                for i in range(len(centres))
            ]
            i = int(np.argmax(spread))
            if spread[i] == 0:
                break
            members = pixels[label == i]
            axis = members.std(0).argmax()
            split = members[:, axis] > np.median(members[:, axis])
            if split.all() or not split.any():
                break
            centres = np.vstack([centres, members[split].mean(0)])
            centres[i] = members[~split].mean(0)
            label = _nearest(pixels, centres)
            weights = np.bincount(label, minlength=len(centres)).astype(np.float64)
        centres, weights = _kmeans(pixels, centres, 3)
    return centres, weights


def assign(rgb: np.ndarray, usable: np.ndarray, palette: Palette, *, window: int = 5) -> np.ndarray:
    """Label each pixel with a palette index (TRANSPARENT where not usable).

    An edge pixel may only take a colour that occurs among the flat pixels within ``window``:
    the mixture of red and green at their border must not turn into the palette's brown.
    (Specks are not removed here: contours below the speckle area are dropped when traced.)
    """
    h, w = usable.shape
    k = len(palette.colors)
    if k == 0:
        return np.full((h, w), TRANSPARENT, dtype=np.int32)
    rgbf = rgb.astype(np.float32)
    dist = ((rgbf[None] - palette.colors[:, None, None, :].astype(np.float32)) ** 2).sum(
        -1
    )  # (K, H, W)
    nearest = dist.argmin(0)
    flat = usable & (local_range(rgb) <= 48.0)
    present = np.stack([dilate((nearest == i) & flat, window) for i in range(k)])
    constrained = np.where(present, dist, np.inf).argmin(0)
    labels = np.where(present.any(0), constrained, nearest).astype(np.int32)
    labels[~usable] = TRANSPARENT
    return labels
