"""Palette: the flat colours of an image, robust to anti-aliasing and JPEG noise.

Only *flat* pixels (whose 3×3 neighbourhood barely varies) vote for colours: an anti-aliased
edge pixel is a mixture of its neighbours, and JPEG ringing lives at edges too, so neither may
become a colour of its own.  Every pixel is then labelled with a palette colour, an edge pixel
only with a colour that actually occurs near it, and specks below a size are absorbed by their
surroundings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .morphology import box_max, components, dilate

TRANSPARENT = -1
MAX_COLORS = 32


@dataclass
class Palette:
    colors: np.ndarray  # (K, 3) float, most frequent first
    counts: np.ndarray  # (K,) pixels voting for each colour
    # (K, 2) for a blend that a small image's palette leaves out, the two colours its pixels
    # go to (each to the one it is nearer along the blend), or (-1, -1) for a blend of several
    # pairs (each pixel to its best pair's end); (k, k) for the others; None: all themselves.
    # See :func:`resolve`.
    ends: np.ndarray | None = None
    # False for a small image's palette that keeps its blend colours on purpose (hairlines, see
    # working.trace_small): its blends are not undone (working.unblend).
    unblend: bool = True


def resolve(labels: np.ndarray, rgb: np.ndarray, palette: Palette) -> tuple[np.ndarray, Palette]:
    """``labels`` with each blend colour's pixels handed to the nearer of its two ends (see
    :attr:`Palette.ends`), and the palette of the colours left, renumbered."""
    if palette.ends is None:
        return labels, palette
    index = np.arange(len(palette.colors))
    kept = np.flatnonzero((palette.ends[:, 0] == index) & (palette.ends[:, 1] == index))
    labels = labels.copy()
    for k in np.setdiff1d(index, kept):
        ys, xs = np.nonzero(labels == k)
        pairs = [tuple(palette.ends[k])]
        if pairs[0][0] < 0:  # a blend of several pairs: each pixel's own best pair
            pairs = [(i, j) for i in kept for j in kept if i < j]
        _, end = best_blend(rgb[ys, xs].astype(np.float64), palette.colors, pairs)
        labels[ys, xs] = np.where(end >= 0, end, k)
    number = np.full(len(palette.colors) + 1, TRANSPARENT, dtype=labels.dtype)
    number[kept] = np.arange(len(kept))
    return number[labels], Palette(palette.colors[kept], palette.counts[kept])


def local_range(rgb: np.ndarray) -> np.ndarray:
    """Sum over channels of max − min in each pixel's 3×3 neighbourhood (uint16).

    Kept in uint8 until the sum: max ≥ min, so the difference cannot wrap, and a quarter of
    the memory traffic of int32 matters on a 2048 px image.  (Channel sums here and below are
    spelt out or done by matmul: numpy's reduction over a last axis of length 3 is several
    times slower.)
    """
    d = box_max(rgb, 3)
    d -= 255 - box_max(255 - rgb, 3)
    return d[..., 0].astype(np.uint16) + d[..., 1] + d[..., 2]


def pack(rgb: np.ndarray) -> np.ndarray:
    """Each pixel's colour as one int32 (0xRRGGBB): equal colours compare in one operation."""
    h, w = rgb.shape[:2]
    quad = np.zeros((h, w, 4), dtype=np.uint8)
    quad[..., :3] = rgb[..., ::-1]  # B, G, R, 0: little-endian bytes of 0x00RRGGBB
    return quad.view("<i4").reshape(h, w)


def unpack(values: np.ndarray) -> np.ndarray:
    """(N,) packed colours → (N, 3) float64 RGB."""
    return np.stack([(values >> s) & 255 for s in (16, 8, 0)], axis=1).astype(np.float64)


def runs(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index and length of every run of equal values along the flattened image.

    Flat fills make long runs, so per-run work grows with the number of colour changes (the
    edges) rather than with the image area.
    """
    k = key.ravel()
    change = np.empty(k.size, dtype=bool)
    change[0] = True
    np.not_equal(k[1:], k[:-1], out=change[1:])
    start = np.flatnonzero(change)
    return start, np.diff(np.append(start, k.size))


def colour_counts(rgb: np.ndarray, mask: np.ndarray, packed: np.ndarray | None = None):
    """The distinct colours under ``mask`` as ((U, 3) float64, (U,) pixel counts), counted run
    by run."""
    packed = pack(rgb) if packed is None else packed
    start, length = runs(np.where(mask, packed, -1))
    keep = mask.ravel()[start]
    values, inverse = np.unique(packed.ravel()[start[keep]], return_inverse=True)
    counts = np.bincount(inverse.ravel(), weights=length[keep], minlength=len(values))
    return unpack(values), counts


MAX_DISTINCT = 65_536
"""Distinct colours clustered as they are; above this (photos, noise) they are first merged on
a 5-bit grid (weighted means of each cell), which bounds the clustering's pixels × centres
arrays: 2048 px of RGB noise took 1.8 GB without it."""


def coarsen(pixels: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pixels`` (U, 3) with their ``counts``, merged on a 5-bit grid when U exceeds
    :data:`MAX_DISTINCT` (each cell: the count-weighted mean colour and the summed count)."""
    if len(pixels) <= MAX_DISTINCT:
        return pixels, counts
    q = pixels.astype(np.int64) >> 3
    keys = (q[:, 0] << 10) | (q[:, 1] << 5) | q[:, 2]
    cells, inverse = np.unique(keys, return_inverse=True)
    total = np.bincount(inverse, weights=counts, minlength=len(cells))
    sums = np.stack(
        [
            np.bincount(inverse, weights=pixels[:, c] * counts, minlength=len(cells))
            for c in range(3)
        ],
        axis=1,
    )
    return sums / total[:, None], total


def _square_norms(x: np.ndarray) -> np.ndarray:
    return (x * x) @ np.ones(x.shape[1])


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
    image's :func:`local_range`, when the caller has it already.  Everything below works on
    the distinct colours with their pixel counts, so a flat 2048 px logo costs little more
    than a 256 px one.
    """
    ranges = local_range(rgb) if ranges is None else ranges
    flat = usable & (ranges <= flat_threshold)
    if flat.sum() < max(16, 0.01 * usable.sum()):
        flat = usable  # a photo-like or tiny image: every pixel votes
    packed = pack(rgb)
    pixels, weights = coarsen(*colour_counts(rgb, flat, packed))
    if len(pixels) == 0:
        return Palette(np.zeros((0, 3)), np.zeros(0, dtype=np.int64))
    n = float(weights.sum())
    centres_arr, weights_arr = _greedy_clusters(pixels, merge_distance, weights)
    centres_arr, weights_arr = _kmeans(pixels, weights, centres_arr, iterations=3)
    centres_arr, weights_arr = _merge_close(centres_arr, weights_arr, merge_distance)
    # Clusters too small to be a shape are noise (or anti-aliasing that happened to be flat).
    # The share asked for grows from 0.04 % of a tiny image's flat pixels to 0.22 % from 256 px
    # on (what k-means on a 12k-pixel sample used to ask for).
    minimum = max(6, 0.0004 * n * min(max(n / 12_000, 1.0), 65536 / 12_000))
    keep = weights_arr >= minimum
    if keep.any():
        # A small cluster far from every big one is a small shape of its own colour (the eyes
        # of a 60 px face: 30 flat pixels, dark on skin), not noise, which lies near the
        # colours it spoils.
        gap = np.sqrt(np.maximum(_square_distances(centres_arr, centres_arr[keep]).min(1), 0))
        keep |= (weights_arr >= 6) & (gap > DISTINCT * merge_distance)
        centres_arr, weights_arr = centres_arr[keep], weights_arr[keep]
    # Thin strokes (text, outlines) may have no flat pixel at all: colours that many pixels are
    # far from join the palette, taken from the purest end of their cluster.
    everything, every_count = coarsen(*colour_counts(rgb, usable, packed))
    total = float(every_count.sum())
    sq = _square_distances(everything, centres_arr)
    far = np.sqrt(np.maximum(sq.min(1), 0))
    out = far > 2 * merge_distance
    residual, res_count, res_far = everything[out], every_count[out], far[out]
    if res_count.sum() >= max(24, 0.002 * total):
        extra, extra_w = _greedy_clusters(residual, merge_distance, res_count)
        big = extra_w >= max(24, 0.002 * total)
        if big.any():
            extra, extra_w = extra[big], extra_w[big]
            member = _nearest(residual, extra)
            for i in range(len(extra)):
                m = member == i
                purest = res_far[m] >= _quantile(res_far[m], res_count[m], 0.75)
                extra[i] = np.average(residual[m][purest], axis=0, weights=res_count[m][purest])
            centres_arr = np.vstack([centres_arr, extra])
            weights_arr = np.concatenate([weights_arr, extra_w])
    if colors is not None:
        centres_arr, weights_arr = _to_count(pixels, weights, centres_arr, weights_arr, colors)
    elif len(centres_arr) > MAX_COLORS:
        centres_arr, weights_arr = _to_count(pixels, weights, centres_arr, weights_arr, MAX_COLORS)
    order = np.argsort(-weights_arr)
    return Palette(centres_arr[order], weights_arr[order].astype(np.int64))


DISTINCT = 3.0
"""A flat colour cluster this many merge distances from every big one is kept however small
(see :func:`find_palette`)."""


def _square_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) squared RGB distances, through one matmul."""
    return _square_norms(a)[:, None] - 2 * a @ b.T + _square_norms(b)[None, :]


def _merge_close(
    centres: np.ndarray, weights: np.ndarray, distance: float = np.inf, count: int = 1
):
    """Clusters merged closest pair first (into their weighted mean) while the pair is within
    ``distance`` and more than ``count`` are left.  The pairwise distances are kept in one
    matrix, a row and a column updated per merge: recomputed whole per merge, the hundreds of
    clusters of a noise image with random transparency took 80 s at 2048 px."""
    centres, weights = centres.copy(), weights.astype(np.float64).copy()
    n = len(centres)
    alive = np.ones(n, dtype=bool)
    d = np.linalg.norm(centres[:, None] - centres[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    for _ in range(n - max(count, 1)):
        i, j = divmod(int(d.argmin()), n)
        if d[i, j] > distance:
            break
        w = weights[i] + weights[j]
        centres[i] = (centres[i] * weights[i] + centres[j] * weights[j]) / w
        weights[i] = w
        alive[j] = False
        row = np.where(alive, np.linalg.norm(centres - centres[i], axis=1), np.inf)
        row[i] = np.inf
        d[i], d[:, i], d[j], d[:, j] = row, row, np.inf, np.inf
    return centres[alive], weights[alive]


def _quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """``np.percentile(np.repeat(values, weights), 100 q)`` without repeating (integer weights)."""
    order = np.argsort(values)
    values, cum = values[order], np.cumsum(weights[order])
    position = q * (cum[-1] - 1)
    lo, hi = math.floor(position), math.ceil(position)
    at = np.searchsorted(cum, [lo + 1, hi + 1])
    a, b = values[min(at[0], len(values) - 1)], values[min(at[1], len(values) - 1)]
    return float(a + (b - a) * (position - lo))


def _greedy_clusters(
    pixels: np.ndarray, merge_distance: float, counts_in: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Histogram on a 4-bit grid, then clusters grown greedily from the most populated bins;
    ``counts_in``: how many pixels each row of ``pixels`` stands for."""
    keys = (
        (pixels[:, 0].astype(np.int64) >> 4) * 256
        + (pixels[:, 1].astype(np.int64) >> 4) * 16
        + (pixels[:, 2].astype(np.int64) >> 4)
    )
    counts = np.bincount(keys, weights=counts_in, minlength=4096)
    sums = np.stack(
        [np.bincount(keys, weights=pixels[:, c] * counts_in, minlength=4096) for c in range(3)],
        axis=1,
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


def _nearest(pixels: np.ndarray, centres: np.ndarray, chunk: int = 1 << 18) -> np.ndarray:
    # |p − c|² = |p|² − 2 p·c + |c|²; |p|² is the same for every centre.  In chunks, so that a
    # noisy image's million distinct colours never make an (N, K) matrix at once.
    norms = _square_norms(centres)[None, :]
    return np.concatenate(
        [
            (norms - 2 * pixels[i : i + chunk] @ centres.T).argmin(1)
            for i in range(0, max(len(pixels), 1), chunk)
        ]
    )


def _kmeans(
    pixels: np.ndarray, counts: np.ndarray, centres: np.ndarray, iterations: int
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted k-means (``counts`` pixels per row); weights come back as pixel counts."""
    scale = 1.0
    if len(pixels) > 12_000:
        # Many distinct colours (JPEG noise): a 12k-pixel sample settles the palette.
        total = counts.sum()
        pick = np.random.default_rng(0).choice(len(pixels), 12_000, p=counts / total)
        pixels, counts, scale = pixels[pick], np.ones(12_000), total / 12_000
    weights = np.zeros(len(centres))
    for _ in range(iterations):
        label = _nearest(pixels, centres)
        weights = np.bincount(label, weights=counts, minlength=len(centres))
        for c in range(3):
            s = np.bincount(label, weights=pixels[:, c] * counts, minlength=len(centres))
            centres[:, c] = np.where(weights > 0, s / np.maximum(weights, 1e-9), centres[:, c])
    keep = weights > 0
    return centres[keep], weights[keep] * scale


def _to_count(pixels, counts, centres, weights, k):
    """Merge the closest pair (weighted) until k remain, or split the widest cluster until k exist
    (``counts``: pixels per row of ``pixels``)."""
    centres, weights = _merge_close(centres, weights, count=k)
    if len(centres) < k:
        label = _nearest(pixels, centres)
        while len(centres) < k:
            spread = [_spread(pixels[label == i], counts[label == i]) for i in range(len(centres))]
            i = int(np.argmax(spread))
            if spread[i] == 0:
                break
            members, member_counts = pixels[label == i], counts[label == i]
            axis = _std(members, member_counts).argmax()
            split = members[:, axis] > _quantile(members[:, axis], member_counts, 0.5)
            if split.all() or not split.any():
                break
            centres = np.vstack(
                [centres, np.average(members[split], axis=0, weights=member_counts[split])]
            )
            centres[i] = np.average(members[~split], axis=0, weights=member_counts[~split])
            label = _nearest(pixels, centres)
        centres, weights = _kmeans(pixels, counts, centres, 3)
    return centres, weights


def _std(pixels: np.ndarray, counts: np.ndarray) -> np.ndarray:
    mean = np.average(pixels, axis=0, weights=counts)
    return np.sqrt(np.average((pixels - mean) ** 2, axis=0, weights=counts))


def _spread(pixels: np.ndarray, counts: np.ndarray) -> float:
    return float(_std(pixels, counts).sum()) if counts.sum() > 1 else 0.0


def assign(
    rgb: np.ndarray,
    usable: np.ndarray,
    palette: Palette,
    *,
    window: int = 5,
    support: int = 1,
    ranges: np.ndarray | None = None,
    thin_lines: bool = True,
    thin_fills: bool = True,
) -> np.ndarray:
    """Label each pixel with a palette index (TRANSPARENT where not usable).

    An edge pixel may only take a colour that occurs among the flat pixels within ``window``:
    the mixture of red and green at their border must not turn into the palette's brown.
    (Specks are not removed here: contours below the speckle area are dropped when traced.)

    A flat pixel's own colour is always among those near it, so it simply takes the nearest
    colour; that is found once per run of equal pixels, and only the edge pixels look around.
    ``thin_lines``: an edge pixel may also keep a colour absent around it where it is that
    colour and no mixture of its neighbours, in a line of such pixels (see
    :func:`_thin_line_pixels`); off for an enlarged copy, where lines are wide enough.
    ``thin_fills`` (with ``thin_lines``): an edge pixel that is mostly a fill's colour absent
    around it takes that colour (see :func:`_thin_fill_pixels`); off for JPEG-like noise,
    whose ringing makes such pixels of its own.
    """
    h, w = usable.shape
    k = len(palette.colors)
    if k == 0:
        return np.full((h, w), TRANSPARENT, dtype=np.int32)
    packed = pack(rgb)
    start, length = runs(packed)
    colours, inverse = np.unique(packed.ravel()[start], return_inverse=True)
    nearest = _nearest(unpack(colours), palette.colors).astype(np.int32)[inverse.ravel()]
    labels = np.repeat(nearest, length).reshape(h, w)
    del packed, start, length, colours, inverse, nearest  # a gradient has a run per pixel
    flat = usable & ((local_range(rgb) if ranges is None else ranges) <= 48.0)
    edge = usable & ~flat
    if edge.any():
        # A colour counts as present near a pixel when at least ``support`` flat pixels of it
        # lie in the window (noisy images ask for several, so that stray ringing pixels do not
        # count); outside the image counts as nothing.
        votes = np.where(flat, labels, k)
        ys, xs = np.nonzero(edge)
        present = _votes(votes, ys, xs, window, k) >= support
        colours = rgb[ys, xs].astype(np.float64)
        dist = _square_norms(palette.colors)[None, :] - 2 * colours @ palette.colors.T
        # Colours with an inside of their own (flat pixels); the others are the blends a
        # small image keeps on purpose (hairlines), which are not undone as blends.
        inside = np.bincount(labels[flat], minlength=k)
        fills = inside > np.maximum(1, 0.05 * np.bincount(labels[usable], minlength=k))
        if thin_lines and support == 1:
            rows, colour = _thin_line_pixels(present, colours, dist, palette.colors)
            # Mixtures judged against the colours of a wider window (a blurred edge ramps over
            # more pixels than the 5×5 window sees).  Over a single colour, only the colour of
            # a fill drawn elsewhere (a wand of the skin's brown across a wing): a line of a
            # colour that is nowhere flat has nothing to be told apart from, and its
            # anti-aliasing would become a patchwork of greys (the stroke pass draws it).
            around = _votes(votes, ys[rows], xs[rows], WIDE_WINDOW, k) >= 1
            keep = _no_mixture(colours[rows], around, palette.colors) & (
                (around.sum(1) >= 2) | fills[colour]
            )
            rows, colour = _lines_only(rows[keep], colour[keep], ys, xs)
            present[rows, colour] = True
            if thin_fills:
                rows, colour = _thin_fill_pixels(present, colours, dist, palette.colors, fills)
                present[rows, colour] = True
        # A wide ramp (a blurred or enlarged edge) has no flat pixel in the window: any
        # colour may be taken there.
        present[~present.any(1)] = True
        masked = np.where(present, dist, np.inf)
        del votes, dist, present  # the peak of a big image comes next
        labels[ys, xs] = _unmixed(colours, masked, palette.colors, fills)
    labels[~usable] = TRANSPARENT
    return labels


def blend_offset(pixels: np.ndarray, a: np.ndarray, b: np.ndarray):
    """(t, off) per pixel against the blends of colours ``a`` and ``b`` (each (3,) or one per
    pixel): ``t`` how far along from a to b its projection lies (unclipped), ``off`` its RGB
    distance from the segment between them — what an anti-aliased edge between them holds."""
    span = b - a
    t = ((pixels - a) * span).sum(-1) / np.maximum((span * span).sum(-1), 1e-9)
    off = np.linalg.norm(pixels - a - np.clip(t, 0, 1)[..., None] * span, axis=-1)
    return t, off


def best_blend(pixels, colors, pairs, *, allowed=None, inside=(-np.inf, np.inf)):
    """Each pixel's nearest blend of two ``colors`` among ``pairs``: (its offset from it, the
    pair's end it is nearer to), inf and -1 where none qualifies.  ``allowed(i, j)``: which
    pixels may take that pair (None: all); ``inside``: the open span of the way from i to j
    (:func:`blend_offset`'s ``t``) a pixel must lie in.  Ties go to the earlier pair."""
    best = np.full(len(pixels), np.inf)
    end = np.full(len(pixels), -1)
    for i, j in pairs:
        mask = None if allowed is None else allowed(i, j)
        if mask is not None and not mask.any():
            continue
        t, off = blend_offset(pixels, colors[i], colors[j])
        better = (off < best) & (t > inside[0]) & (t < inside[1])
        if mask is not None:
            better &= mask
        best = np.where(better, off, best)
        end = np.where(better, np.where(t < 0.5, i, j), end)
    return best, end


UNMIX_RATIO = 0.5
"""An edge pixel goes to an end of a blend of two colours near it when that blend explains its
colour this many times better than the nearest colour alone (see :func:`_unmixed`)."""


def _unmixed(
    colours: np.ndarray, masked: np.ndarray, palette: np.ndarray, fills: np.ndarray
) -> np.ndarray:
    """Each edge pixel's label: the nearest colour present near it (``masked``: squared
    distances up to a constant, inf where absent), unless it is a blend of two present colours
    that a third, a fill (``fills``), merely resembles.  The anti-aliased edge of a dark letter
    on white passes through a mid blue; taking the nearest colour there traced a blue rim
    around the letter.  Such a pixel goes to the end of the blend it is nearer to."""
    nearest = masked.argmin(1)
    if masked.shape[1] < 3:
        return nearest
    rows = np.arange(len(colours))
    three = np.argpartition(masked, 2, axis=1)[:, :3]  # the blend's ends are among them
    finite = np.isfinite(masked[rows[:, None], three])
    alone = np.sqrt(np.maximum(masked[rows, nearest] + (colours * colours).sum(1), 0.0))
    best = np.full(len(colours), np.inf)
    label = nearest.copy()
    for i, j in ((0, 1), (0, 2), (1, 2)):
        t, off = blend_offset(colours, palette[three[:, i]], palette[three[:, j]])
        ends = finite[:, i] & finite[:, j] & fills[three[:, i]] & fills[three[:, j]]
        blend = ends & (t > 0.15) & (t < 0.85) & (off < best)
        best = np.where(blend, off, best)
        label = np.where(blend, np.where(t < 0.5, three[:, i], three[:, j]), label)
    return np.where((best < UNMIX_RATIO * alone) & fills[nearest], label, nearest)


THIN_MATCH = 24.0
"""RGB distance within which an edge pixel *is* a palette colour (not a mixture of others)."""
MIXTURE_GAP = 36.0
"""RGB distance from every mixture of the colours around beyond which a pixel is no mixture."""
WIDE_WINDOW = 11
"""Window whose flat colours a thin line's pixel must be no mixture of."""
THIN_PIXELS = 8
"""Pixels a thin line of a colour without flat pixels needs to be kept (see :func:`assign`)."""


def _votes(votes: np.ndarray, ys: np.ndarray, xs: np.ndarray, window: int, k: int):
    """(N, k + 1) counts of each label among ``votes`` (k: no vote) in the window×window
    around each pixel (ys, xs); outside the image counts as no vote."""
    r = window // 2
    h, w = votes.shape
    padded = np.pad(votes, r, constant_values=k).ravel()
    centre = (ys + r) * (w + 2 * r) + xs + r
    row = np.arange(len(ys))
    count = np.zeros((len(ys), k + 1), dtype=np.uint8 if window < 16 else np.int32)
    for dy in range(-r, window - r):
        for dx in range(-r, window - r):
            count[row, padded[centre + dy * (w + 2 * r) + dx]] += 1
    return count[:, :k]


def _thin_line_pixels(
    present: np.ndarray, colours: np.ndarray, dist: np.ndarray, palette: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Edge pixels (rows) that are a palette colour no flat pixel nearby has, and that colour:
    a line two pixels wide between two fills (a white rim between a black letter and a blue
    field) has no flat pixel of its own.  :func:`_no_mixture` then rules out the pixels that
    merely happen to match (a grey between black and white)."""
    norms = (colours * colours).sum(1)
    nearest = dist.argmin(1)
    close = dist[np.arange(len(dist)), nearest] + norms <= THIN_MATCH**2
    rows = np.flatnonzero(close & ~present[np.arange(len(present)), nearest])
    return rows, nearest[rows]


def _thin_fill_pixels(
    present: np.ndarray,
    colours: np.ndarray,
    dist: np.ndarray,
    palette: np.ndarray,
    fills: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Edge pixels (rows) that are mostly a fill's colour absent from their window, blended
    with a colour present there, and no blend of the present colours; and that fill.  A part
    of a fill narrower than the window has no flat pixel of it nearby: the blue gaps of one
    or two pixels between a stopwatch's ring, its button and its crown (pure blue, or 90 %)
    were taken for the white on either side, and the three shapes merged."""
    nearest = dist.argmin(1)
    rows = np.flatnonzero(fills[nearest] & ~present[np.arange(len(present)), nearest])
    if not len(rows):
        return rows, nearest[rows]
    c = palette[nearest[rows]]
    on_blend = np.zeros(len(rows), dtype=bool)
    for a in np.flatnonzero(present[rows].any(0)):
        t, off = blend_offset(colours[rows], palette[a], c)
        # Between the two (not beyond the fill: a third colour is no blend of them), nearer
        # the fill, and on the line that joins them.
        on_blend |= present[rows, a] & (t >= 0.5) & (t <= 1.05) & (off <= BLEND_GAP)
    # The ramp between two present colours is theirs, whatever fill it passes near.
    on_blend &= _no_mixture(colours[rows], present[rows], palette)
    return rows[on_blend], nearest[rows[on_blend]]


BLEND_GAP = 16.0
"""RGB distance from the blend of two colours within which a pixel is that blend (see
:func:`_thin_fill_pixels`)."""


def _no_mixture(pixels: np.ndarray, around: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Whether each pixel lies far from every mixture of two colours ``around`` it (a single
    colour is a mixture of length zero)."""
    mixture = np.full(len(pixels), np.inf)
    for i in range(len(palette)):
        for j in range(i, len(palette)):
            both = around[:, i] & around[:, j]
            if not both.any():
                continue
            off = blend_offset(pixels, palette[i], palette[j])[1]
            mixture = np.where(both, np.minimum(mixture, off), mixture)
    return mixture > MIXTURE_GAP


def _lines_only(rows, colour, ys, xs, least: int = THIN_PIXELS):
    """The proposals of :func:`_thin_line_pixels` that join into runs of ``least`` pixels or
    more (8-connected, one colour): a line, not the odd pixel of a glyph's corner."""
    if not len(rows):
        return rows, colour
    # On the proposals' bounding box (with a margin for the erosion below), not the image.
    py, px = ys[rows], xs[rows]
    y0, x0 = max(int(py.min()) - 1, 0), max(int(px.min()) - 1, 0)
    py, px = py - y0, px - x0
    mask = np.zeros((int(py.max()) + 2, int(px.max()) + 2), dtype=bool)
    mask[py, px] = True
    # One colour per component: pixels of two colours that touch split where they differ.
    labels = components(mask)
    group = labels[py, px].astype(np.int64) * (int(colour.max()) + 1) + colour
    _, inverse, counts = np.unique(group, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    # Thin: a line's pixels nearly all lie on its edge; a wide area without flat pixels (a
    # blurred fill) is left to the colours around it, as before.
    inner = ~dilate(~mask, 3)[py, px]
    thick = np.bincount(inverse, weights=inner, minlength=len(counts)) > 0.25 * counts
    keep = (counts[inverse] >= least) & ~thick[inverse]
    return rows[keep], colour[keep]
