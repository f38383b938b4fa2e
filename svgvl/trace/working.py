"""Working size: small images are traced enlarged, and the result scaled back.

Every fixed size in the tracer — the 3×3 flat test that picks palette colours, the 5 px windows
that decide which colours an edge pixel may take, the speckle area, the run-on under upper
layers — is a pixel count tuned on 256 px images.  At 32 px a one-pixel white stroke has no flat
pixel, so its colour never enters the palette, and a 5 px window spans a sixth of the icon:
outlines, bellies and letters vanish.  Enlarged with a smooth filter to about 256 px, the same
image has flat cores in its thin parts again and every window is small beside its shapes; the
traced outlines are then scaled back, so the SVG keeps the input's size.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from PIL import Image

from ..images import load_image
from ..svg import write
from ..svg.model import Drawing
from .budget import scale_drawing
from .morphology import box_max
from .noise import NOISY_LEVEL, noise_level
from .palette import (
    Palette,
    _greedy_clusters,
    best_blend,
    blend_offset,
    find_palette,
    local_range,
)
from .translucent import has_translucency

SMALL = 64  # images up to this many pixels on their longer side are traced enlarged
TARGET = 128  # ... to about this size
MAX_FACTOR = 8
# SSIM at the input's size that a crisp trace without blend colours may cost (see trace_small).
BLEND_MARGIN = 0.015
BLEND_BYTES = 4.0
BLEND_LOSS = 0.06
MIXED = -1  # Palette.ends of a blend of several pairs: each pixel goes to its own pair's end
MIXED_SHARE = 0.7  # of a colour's pixels that must be blends for it to be one of those
UNBLEND_EXACT = 12.0  # RGB distance within which a pixel simply is its label's colour
GRADIENT_MARGIN = 0.002  # SSIM a shaded trace must gain (see trace_small)


def working_factor(width: int, height: int) -> int:
    """The integer enlargement for an image of this size: 1 (none) above :data:`SMALL` px."""
    side = max(width, height)
    if side > SMALL:
        return 1
    return int(min(MAX_FACTOR, max(1, math.ceil(TARGET / side))))


def enlarge(rgba: np.ndarray, factor: int) -> np.ndarray:
    """``rgba`` enlarged ``factor`` times with a bicubic filter on premultiplied colour (so that
    transparent pixels lend no colour to the edges), rounded back to uint8."""
    if factor == 1:
        return rgba
    height, width = rgba.shape[:2]
    size = (width * factor, height * factor)
    alpha = rgba[..., 3].astype(np.float32) / 255.0
    channels = [rgba[..., c].astype(np.float32) * alpha for c in range(3)] + [alpha * 255.0]
    big = [np.asarray(Image.fromarray(c, "F").resize(size, Image.BICUBIC)) for c in channels]
    a = np.clip(big[3], 0.0, 255.0)
    scale = np.where(a > 0, 255.0 / np.maximum(a, 1e-6), 0.0)
    rgb = [np.clip(c * scale, 0.0, 255.0) for c in big[:3]]
    return np.rint(np.dstack([*rgb, a])).astype(np.uint8)


def _mixture_distance(pixels: np.ndarray, colors: np.ndarray) -> np.ndarray:
    """Each pixel's RGB distance to the nearest palette colour or mixture of two colours (the
    segment between them: what an anti-aliased edge between them holds)."""
    best = np.full(len(pixels), np.inf)
    for i in range(len(colors)):
        best = np.minimum(best, np.linalg.norm(pixels - colors[i], axis=1))
        for j in range(i):
            best = np.minimum(best, blend_offset(pixels, colors[i], colors[j])[1])
    return best


def add_missing_colors(
    palette: Palette, rgba: np.ndarray, distance: float = 40.0, min_pixels: int = 3
) -> Palette:
    """``palette`` with the colours of ink it can neither match nor mix, from a small image.

    At 32 px a small shape or a thin part has no flat pixel and too few pixels for the palette's
    own thresholds (tuned at 256 px), so a green logo on white came out empty.  Pixels farther
    than ``distance`` from every colour and from every mixture of two colours are such ink;
    each cluster of at least ``min_pixels`` joins the palette with the colour of its purest
    quarter, and the search repeats once with the new colours mixing too.
    """
    pixels = rgba[rgba[..., 3] >= 250][:, :3].astype(np.float64)
    colors, counts = palette.colors, palette.counts
    for _ in range(2):
        far = _mixture_distance(pixels, colors) if len(colors) else np.full(len(pixels), np.inf)
        ink = far > distance
        if ink.sum() < min_pixels:
            break
        centres, weights = _greedy_clusters(pixels[ink], 30.0, np.ones(int(ink.sum())))
        keep = weights >= min_pixels
        if not keep.any():
            break
        member = np.linalg.norm(pixels[ink][:, None] - centres[keep][None], axis=2).argmin(1)
        extra = []
        for i in range(int(keep.sum())):
            own = far[ink][member == i]
            purest = own >= np.percentile(own, 75)
            extra.append(pixels[ink][member == i][purest].mean(0))
        colors = np.vstack([colors.reshape(-1, 3), extra])
        counts = np.concatenate([counts, weights[keep].astype(np.int64)])
    return Palette(colors, counts)


def small_palette(rgba: np.ndarray, colors: int | None = None) -> tuple[Palette, bool]:
    """The palette of a small image, found on its own pixels (an enlarged image's smooth ramps
    would vote for colours of their own), and whether it is noisy (a JPEG) — by the noise level
    alone, not :func:`~.noise.noise_kind`: a 32 px favicon's edges are all soft, and the
    noisy path suits it (0.01 SSIM better on the favicon suite); with :func:`add_missing_colors`
    unless ``colors`` fixes the count."""
    rgb, alpha = rgba[..., :3], rgba[..., 3]
    usable = alpha >= 128
    voters = usable & (alpha >= 250) if (alpha >= 250).any() else usable
    ranges = local_range(rgb)
    noisy = noise_level(rgb, usable, ranges) > NOISY_LEVEL
    merge = 30.0 if noisy else 16.0
    palette = find_palette(rgb, voters, colors, merge_distance=merge, ranges=ranges)
    return (palette if colors is not None else add_missing_colors(palette, rgba)), noisy


def drop_mixtures(palette: Palette, rgba: np.ndarray, distance: float = 12.0) -> Palette:
    """``palette`` without the colours of anti-aliased edges in a small image.

    At 32 px a one-pixel line is never its pure colour: the blends between it and its
    background form clusters of their own, which would be traced as halo rings around the
    line.  A colour is such a blend when it lies between two other colours (within
    ``distance``, a tenth to nine tenths of the way) and has hardly any pixel inside a 3×3 patch
    of its own (a real fill has an inside); the thinnest such colour goes first, and the test
    repeats with the colours left.  A blend nearer to a third colour than to its nearer end
    stays in the palette, marked with its two ends (:attr:`~.palette.Palette.ends`): its pixels
    then go to the end each is nearer along the blend, not to that unrelated colour (a 48 px
    lock's grey shackle, a blend of its black outlines and white, went to the orange of the key
    beside it).
    """
    colors, counts = palette.colors, palette.counts
    rgb = rgba[..., :3].reshape(-1, 3).astype(np.float64)
    dist = ((rgb[:, None, :] - colors[None]) ** 2).sum(-1)
    nearest = np.where(rgba[..., 3].ravel() >= 128, dist.argmin(1), -1).reshape(rgba.shape[:2])
    padded = np.pad(nearest, 1, constant_values=-1)
    h, w = nearest.shape
    inside = np.ones((h, w), dtype=bool)
    for dy in range(3):
        for dx in range(3):
            inside &= padded[dy : dy + h, dx : dx + w] == nearest
    interior = np.bincount(nearest[inside & (nearest >= 0)], minlength=len(colors))
    keep = list(range(len(colors)))
    into = np.arange(len(colors))
    pair = {}
    while len(keep) > 2:
        blends = []
        for k in keep:
            if interior[k] > max(1, 0.05 * counts[k]):
                continue
            ends = np.array([(i, j) for i in keep for j in keep if i < j and k not in (i, j)])
            a, b = colors[ends[:, 0]], colors[ends[:, 1]]
            span = b - a
            t = ((colors[k] - a) * span).sum(1) / np.maximum((span * span).sum(1), 1e-9)
            off = np.linalg.norm(colors[k] - a - t[:, None] * span, axis=1)
            between = (t > 0.1) & (t < 0.9) & (off < distance)
            if between.any():
                best = int(np.argmin(np.where(between, off, np.inf)))
                end = ends[best, 0] if t[best] < 0.5 else ends[best, 1]
                blends.append((interior[k], counts[k], k, int(end), tuple(ends[best])))
            elif _mixed_pixels(rgb[nearest.ravel() == k], colors, ends, distance):
                blends.append((interior[k], counts[k], k, MIXED, (MIXED, MIXED)))
        if not blends:
            break
        _, _, k, end, pair[k] = min(blends)
        keep.remove(k)
        into[into == k] = end  # colours that went into k go on with it
        into[k] = end
    if len(keep) == len(colors):
        return palette
    # A blend whose nearest colour left is its nearer end is simply dropped: its pixels take
    # that end, or split between the ends as an anti-aliased edge's pixels do.  One nearer to
    # a third colour stays, to hand its pixels to its ends.
    kept = colors[keep]
    closest = [keep[int(((kept - c) ** 2).sum(1).argmin())] for c in colors]
    stays = [k for k in range(len(colors)) if k in keep or closest[k] != into[k]]
    if len(stays) == len(keep):
        return Palette(kept, counts[keep])
    number = {k: i for i, k in enumerate(stays)}
    number[MIXED] = MIXED
    blend_ends = []
    for k in stays:
        ends = [int(into[e]) if e != MIXED else MIXED for e in pair.get(k, (k, k))]
        blend_ends.append([MIXED] * 2 if MIXED in ends else [number[e] for e in ends])
    return Palette(colors[stays], counts[stays], np.array(blend_ends))


def unblend(labels: np.ndarray, rgb: np.ndarray, palette: Palette, window: int = 9):
    """``labels`` of the enlarged copy of a small image with its blend patches given back.

    Enlarged, a one-pixel blend (a 48 px face's mouth against its outline; an outline's rim
    against a fill) is a flat patch of its own, so it took the nearest colour anywhere in the
    image: the hair's brown around every mouth, a brown fringe along the outlines.  A pixel
    whose colour is a blend of two colours present within ``window`` — explained at least twice
    as well as by its own colour, or by a blend of its own colour with one near it (an
    anti-aliased edge of its own), and its own colour not that blend (a hairline the palette
    keeps on purpose) — goes to the end of that blend it is nearer to.  Dev suites drawn at
    32 and 48 px: flat art SSIM at 4× +0.012/+0.008 with bytes −15 %/−32 %, emoji +0.004."""
    colors = palette.colors
    k = len(colors)
    if k < 3:
        return labels
    present = box_max((labels[..., None] == np.arange(k)).astype(np.uint8), window) > 0
    own = np.where(labels >= 0, labels, 0)
    apart = np.linalg.norm(rgb.astype(np.float64) - colors[own], axis=-1)
    ys, xs = np.nonzero((labels >= 0) & (apart > UNBLEND_EXACT))
    if not len(ys):
        return labels
    pixels, mine, near = rgb[ys, xs].astype(np.float64), labels[ys, xs], present[ys, xs]
    own_best = apart[ys, xs]
    for i in range(k):  # blends of its own colour with one near it
        ok = near[:, i] & (mine != i)
        if ok.any():
            own_best = np.where(
                ok, np.minimum(own_best, blend_offset(pixels, colors[mine], colors[i])[1]), own_best
            )

    def allowed(i: int, j: int) -> np.ndarray:
        both = near[:, i] & near[:, j] & (mine != i) & (mine != j)
        if not both.any():
            return both
        # Not when its own colour is that very blend: a hairline kept on purpose.
        t, off = blend_offset(colors[mine], colors[i], colors[j])
        return both & ((off >= UNBLEND_EXACT) | (t <= 0.1) | (t >= 0.9))

    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    best, choice = best_blend(pixels, colors, pairs, allowed=allowed, inside=(0.1, 0.9))
    change = best < 0.5 * own_best
    labels = labels.copy()
    labels[ys[change], xs[change]] = choice[change]
    return labels


def _mixed_pixels(pixels: np.ndarray, colors: np.ndarray, pairs: np.ndarray, distance: float):
    """Whether most of a colour's pixels are blends of two other colours each, though not of
    one pair: a one-pixel outline between several fills (a 48 px cat's dark outline between its
    yellow face, pale highlight and pink ears) makes one cluster of olive blends off every line
    between two colours, which was traced as a speckled olive layer."""
    if len(pixels) < 3:
        return False
    best, _ = best_blend(pixels, colors, pairs, inside=(0.1, 0.9))
    return (best < distance).mean() >= MIXED_SHARE


def trace_small(
    rgba: np.ndarray,
    colors: int | None = None,
    detail: str = "medium",
    gradients: bool = True,
    translucency: bool | None = None,
) -> Drawing:
    """Trace a small image at its working size (:func:`working_factor`), in its own pixels.

    Without the blends of :func:`drop_mixtures` a thin line is drawn in its own colour, crisp;
    but a line that is nowhere darker than half its colour then falls below the tracer's 0.5
    coverage threshold and is lost (a 32 px line drawing, small text).  Both are traced and the
    one without blends is kept unless its render is clearly further from the input (SSIM
    lower by more than :data:`BLEND_MARGIN`, and by more than :data:`BLEND_LOSS` where the
    blends cost over :data:`BLEND_BYTES` times the bytes).

    ``gradients``: the enlargement's own smooth ramps at every edge can pass for gradients (a
    flat 32 px sailboat emoji lost 0.12 SSIM to them), while a real gradient logo drawn in flat
    bands looks banded at any zoom (browser logos at 32 and 64 px: SSIM at 4x against their
    own large drawings +0.015 with gradients).  The shaded trace is kept only where its render
    is nearer the input by more than :data:`GRADIENT_MARGIN`, or nearer at all and smaller.
    """
    from ..metrics import ssim  # only small images pay for scoring and a renderer
    from ..render.fast import rasterize_quick
    from . import DETAIL, trace  # the package's entry point; this module is one of its stages

    height, width = rgba.shape[:2]
    factor = working_factor(width, height)
    big = enlarge(rgba, factor)
    palette, noisy = small_palette(rgba, colors)
    palettes = [palette]
    if colors is None:
        pure = drop_mixtures(palette, rgba)
        if pure is not palette:
            palettes = [pure, dataclasses.replace(palette, unblend=False)]

    if translucency is None:
        translucency = has_translucency(rgba, DETAIL[detail].speckle)

    def traced(palette: Palette, shaded: bool = False) -> Drawing:
        drawing = trace(
            big,
            colors,
            detail,
            "fill",
            shaded,
            palette=palette,
            noisy=noisy,
            translucency=translucency,
        )
        return scale_drawing(drawing, width, height)

    if min(width, height) < 3:
        return traced(palettes[0])
    target = load_image(rgba)

    def scored(drawing: Drawing) -> tuple[str, float]:
        svg = write(drawing, precision=2)
        return svg, ssim(rasterize_quick(svg, (width, height)), target)

    shade = gradients and colors is None
    drawings = [traced(p) for p in palettes]
    scores = [scored(d) for d in drawings] if len(drawings) > 1 or shade else []
    chosen = 0
    if len(drawings) > 1:
        (crisp, crisp_score), (blended, blended_score) = scores
        gain = blended_score - crisp_score
        # Blends cost bytes: more than BLEND_BYTES times the crisp trace only for a clear loss
        # (lines that vanish), not for a little fidelity (a 48 px emoji: +0.02 SSIM at 6x the
        # size; a 32 px icon of hairlines: +0.017 at 3x, its lines kept).
        worth = gain > BLEND_MARGIN and (
            len(blended) <= BLEND_BYTES * len(crisp) or gain > BLEND_LOSS
        )
        chosen = 1 if worth else 0
    if shade:
        shaded = traced(palettes[chosen], shaded=True)
        if shaded.gradients:
            # Weighed against the flat trace without unblend: at 32 px its cleaner outlines
            # score close to a gradient face's at the input's size, not at 4x (0.900 vs 0.922).
            flat_svg, flat_score = scores[chosen]
            if palettes[chosen].unblend:
                plain = dataclasses.replace(palettes[chosen], unblend=False)
                flat_svg, flat_score = scored(traced(plain))
            svg, score = scored(shaded)
            gain = score - flat_score
            if gain > GRADIENT_MARGIN or (gain > 0 and len(svg) < len(flat_svg)):
                return shaded
    return drawings[chosen]


__all__ = [
    "SMALL",
    "add_missing_colors",
    "enlarge",
    "small_palette",
    "working_factor",
]
