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

from .morphology import box_max, box_min, box_sum

TRANSPARENT = -1
MAX_COLORS = 32


@dataclass
class Palette:
    colors: np.ndarray  # (K, 3) float, most frequent first
    counts: np.ndarray  # (K,) pixels voting for each colour


def local_range(rgb: np.ndarray) -> np.ndarray:
    """Sum over channels of max − min in each pixel's 3×3 neighbourhood.

    (Channel sums here and below are spelt out or done by matmul: numpy's reduction over a
    last axis of length 3 is several times slower.)
    """
    d = box_max(rgb, 3).astype(np.int32) - box_min(rgb, 3)
    return d[..., 0] + d[..., 1] + d[..., 2]


def _square_norms(x: np.ndarray) -> np.ndarray:
    return (x * x) @ np.ones(x.shape[1])


def noise_level(rgb: np.ndarray, usable: np.ndarray, ranges: np.ndarray | None = None) -> float:
    """Share of pixels with a small but non-zero local range (3–30).

    A clean render is exactly flat inside its fills and changes sharply at edges: well under
    2 % of its pixels fall in that band (gradients and low-contrast edges); JPEG ringing puts
    5–35 % there on the development suites.
    """
    r = (local_range(rgb) if ranges is None else ranges)[usable]
    return float(((r >= 3) & (r <= 30)).mean()) if r.size else 0.0


def find_palette(
    rgb: np.ndarray,
    usable: np.ndarray,
    colors: int | None = None,
    *,
    flat_threshold: float = 48.0,
    merge_distance: float = 30.0,
    ranges: np.ndarray | None = None,
) -> Palette:
    """Cluster the colours of flat, usable pixels.

    ``merge_distance`` (RGB Euclidean) decides when two colours are the same: JPEG noise and
    gentle shading merge, distinct fills stay apart.  With ``colors`` the clusters are merged
    (closest pair first) or k-means-split down/up to exactly that many.  ``ranges``: the
    image's :func:`local_range`, when the caller has it already.
    """
    ranges = local_range(rgb) if ranges is None else ranges
    flat = usable & (ranges <= flat_threshold)
    if flat.sum() < max(16, 0.01 * usable.sum()):
        flat = usable  # a photo-like or tiny image: every pixel votes
    pixels = rgb[flat].astype(np.float64)
    if len(pixels) == 0:
        return Palette(np.zeros((0, 3)), np.zeros(0, dtype=np.int64))
    centres_arr, weights_arr = _greedy_clusters(pixels, merge_distance)
    centres_arr, weights_arr = _kmeans(pixels, centres_arr, iterations=3)
    # Clusters too small to be a shape are noise (or anti-aliasing that happened to be flat).
    minimum = max(6, 0.0004 * len(pixels))
    keep = weights_arr >= minimum
    if keep.any():
        centres_arr, weights_arr = centres_arr[keep], weights_arr[keep]
    # Thin strokes (text, outlines) may have no flat pixel at all: colours that many pixels are
    # far from join the palette, taken from the purest end of their cluster.
    everything = rgb[usable].astype(np.float64)
    sq = (
        _square_norms(everything)[:, None]
        - 2 * everything @ centres_arr.T
        + _square_norms(centres_arr)[None, :]
    )
    far = np.sqrt(np.maximum(sq.min(1), 0))
    residual = everything[far > 2 * merge_distance]
    if len(residual) >= max(24, 0.002 * len(everything)):
        extra, extra_w = _greedy_clusters(residual, merge_distance)
        big = extra_w >= max(24, 0.002 * len(everything))
        if big.any():
            extra, extra_w = extra[big], extra_w[big]
            member = _nearest(residual, extra)
            res_far = far[far > 2 * merge_distance]
            for i in range(len(extra)):
                m = member == i
                purest = res_far[m] >= np.percentile(res_far[m], 75)
                extra[i] = residual[m][purest].mean(0)
            centres_arr = np.vstack([centres_arr, extra])
            weights_arr = np.concatenate([weights_arr, extra_w])
    if colors is not None:
        centres_arr, weights_arr = _to_count(pixels, centres_arr, weights_arr, colors)
    elif len(centres_arr) > MAX_COLORS:
        centres_arr, weights_arr = _to_count(pixels, centres_arr, weights_arr, MAX_COLORS)
    order = np.argsort(-weights_arr)
    return Palette(centres_arr[order], weights_arr[order].astype(np.int64))


def _greedy_clusters(pixels: np.ndarray, merge_distance: float) -> tuple[np.ndarray, np.ndarray]:
    """Histogram on a 4-bit grid, then clusters grown greedily from the most populated bins."""
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
    return np.asarray(centres), np.asarray(weights)


def _nearest(pixels: np.ndarray, centres: np.ndarray) -> np.ndarray:
    # |p − c|² = |p|² − 2 p·c + |c|²; |p|² is the same for every centre.
    d = _square_norms(centres)[None, :] - 2 * pixels @ centres.T
    return d.argmin(1)


def _kmeans(
    pixels: np.ndarray, centres: np.ndarray, iterations: int
) -> tuple[np.ndarray, np.ndarray]:
    # Subsample for speed: the palette of a 1-megapixel logo is settled by 12k pixels.
    if len(pixels) > 12_000:
        pixels = pixels[np.random.default_rng(0).choice(len(pixels), 12_000, replace=False)]
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


def assign(
    rgb: np.ndarray,
    usable: np.ndarray,
    palette: Palette,
    *,
    window: int = 5,
    support: int = 1,
    ranges: np.ndarray | None = None,
) -> np.ndarray:
    """Label each pixel with a palette index (TRANSPARENT where not usable).

    An edge pixel may only take a colour that occurs among the flat pixels within ``window``:
    the mixture of red and green at their border must not turn into the palette's brown.
    (Specks are not removed here: contours below the speckle area are dropped when traced.)
    """
    h, w = usable.shape
    k = len(palette.colors)
    if k == 0:
        return np.full((h, w), TRANSPARENT, dtype=np.int32)
    # Squared distance to each colour, less the pixel's own |p|² (the same for every colour):
    # (H·W, K), by one matmul.
    dist = _square_norms(palette.colors)[None, :] - 2 * (
        rgb.reshape(-1, 3).astype(np.float64) @ palette.colors.T
    )
    nearest = dist.argmin(1).reshape(h, w)
    flat = usable & ((local_range(rgb) if ranges is None else ranges) <= 48.0)
    # A colour counts as present near a pixel when at least ``support`` flat pixels of it lie in
    # the window (noisy images ask for several, so that stray ringing pixels do not count).
    present = np.stack(
        [(box_sum((nearest == i) & flat, window) >= support).ravel() for i in range(k)], axis=1
    )
    constrained = np.where(present, dist, np.inf).argmin(1)
    labels = np.where(present.any(1), constrained, nearest.ravel()).astype(np.int32).reshape(h, w)
    labels[~usable] = TRANSPARENT
    return labels
