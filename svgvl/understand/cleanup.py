"""A JPEG's noise taken out before tracing, so that the tracer sees flat colours again.

A JPEG of a flat drawing rings around every edge and blurs its colours into 8×8 blocks; the
tracer takes the rings for colours of their own (a light halo layer round each shape, which
frays the shape's outline) and breaks thin lines into dashes.  Two steps undo most of it: a
3×3 median per channel takes out the ringing's specks, and each pixel near one of the drawing's
dominant colours (found in its flat stretches) is set to that colour.  Pixels far from all of
them, the blends along edges and the thin strokes too narrow to have flat stretches, are kept
as they are: snapping them would move edges and drop lines.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..trace.noise import NOISY_LEVEL, noise_level
from .raster import PAPER  # a dominant colour this bright in every channel is the paper

FLAT = 24  # a pixel is in a flat stretch when its 3×3 neighbourhood spans at most this
ALIKE = 40.0  # RGB distance: flat colours closer than this are one colour with noise
SNAP = 36.0  # RGB distance: pixels this close to a dominant colour are set to it
MIN_PIXELS = 30  # flat pixels (per 256×256) a colour needs to count as dominant
RIM = 6  # pixels (per 256): how far a JPEG spreads a colour's blends with the paper


def quieted(
    rgba: np.ndarray, lossy: bool = False
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """The image with a JPEG's noise taken out (a clean image is returned as it is), and for
    a noisy one the colours it was drawn in: its dominant colours and its strokes' colours
    (None, None for a clean one).  ``lossy``: the image is known to be a JPEG, noisy however
    little its noise shows (a lone line rings too few pixels to pass NOISY_LEVEL)."""
    if not lossy and noise_level(rgba[..., :3], rgba[..., 3] >= 128) <= NOISY_LEVEL:
        return rgba, None, None
    out = rgba.copy()
    for c in range(3):
        out[..., c] = ndimage.median_filter(rgba[..., c], size=3)
    rgb = out[..., :3].astype(float)
    colors = dominant_colors(out[..., :3])
    if len(colors):
        gaps = np.linalg.norm(rgb[:, :, None] - colors[None, None], axis=3)
        near = gaps.min(2) <= SNAP
        out[..., :3][near] = np.round(colors[gaps.argmin(2)[near]]).astype(np.uint8)
    return out, colors, stroke_colors(out[..., :3], colors)


def stroke_coverage(rgb: np.ndarray, color: np.ndarray) -> np.ndarray:
    """Where a thin stroke of ``color`` is drawn: the pixels near its colour, with one-pixel
    breaks (a JPEG block that lost its chroma) closed."""
    near = np.linalg.norm(rgb.astype(float) - color, axis=2) < ALIKE
    return ndimage.binary_closing(near, structure=np.ones((3, 3)), border_value=0) | near


def dominant_colors(rgb: np.ndarray) -> np.ndarray:
    """The colours of the image's flat stretches (K, 3), most common first: pixels binned
    coarsely, each bin with enough pixels a candidate, candidates within ALIKE of a more common
    one dropped, then each colour taken as the median of the flat pixels nearest it."""
    spread = np.stack(
        [
            ndimage.maximum_filter(rgb[..., c], 3).astype(int)
            - ndimage.minimum_filter(rgb[..., c], 3)
            for c in range(3)
        ],
        -1,
    ).max(-1)
    flat = rgb[spread <= FLAT].astype(float)
    if not len(flat):
        return np.zeros((0, 3))
    least = MIN_PIXELS * rgb.shape[0] * rgb.shape[1] / 256**2
    keys = (flat // 16).astype(int) @ np.array([256, 16, 1])
    _, which, counts = np.unique(keys, return_inverse=True, return_counts=True)
    colors: list[np.ndarray] = []
    for b in np.argsort(-counts, kind="stable"):
        if counts[b] < least:
            break
        color = np.median(flat[which.ravel() == b], axis=0)
        if all(np.linalg.norm(color - c) > ALIKE for c in colors):
            colors.append(color)
    if not colors:
        return np.zeros((0, 3))
    centres = np.array(colors)
    gaps = np.linalg.norm(flat[:, None] - centres[None], axis=2)
    nearest = gaps.argmin(1)
    return np.array(
        [
            np.median(flat[(nearest == k) & (gaps[:, k] < ALIKE)], axis=0)
            for k in range(len(centres))
        ]
    )


def stroke_colors(rgb: np.ndarray, colors: np.ndarray, least: int = 20) -> np.ndarray:
    """Colours of thin strokes (too narrow for a flat stretch): groups of at least ``least``
    pixels (per 256×256) that are neither near a known colour nor a blend of two known colours
    drawn beside them, each group's colour its median (or its commonest colour: see
    _main_colour); groups of about one colour give one.
    Strokes that cross make one group: once its main colour is found, the pixels of that colour
    and its blends with the others are taken out and what is left is grouped again."""
    h, w = rgb.shape[:2]
    px = rgb.reshape(-1, 3).astype(float)
    if len(colors) == 0:
        return np.zeros((0, 3))
    least = least * h * w / 256**2
    known = [np.asarray(c, float) for c in colors]
    gaps = np.linalg.norm(px[:, None] - colors[None], axis=2)
    odd = gaps.min(1) > 2 * ALIKE
    odd |= _pale(gaps, colors, (h, w))
    odd &= ~_blends(px, (h, w), known, 0, odd)
    found: list[np.ndarray] = []
    while True:
        labels, _ = ndimage.label(odd.reshape(h, w), structure=np.ones((3, 3)))
        sizes = np.bincount(labels.ravel())
        new = []
        for k in np.argsort(-sizes):
            if k == 0 or sizes[k] < least:
                continue
            color = _main_colour(px[labels.ravel() == k])
            if all(np.linalg.norm(color - c) > ALIKE for c in [*known, *new]):
                new.append(color)
        if not new:
            break
        found += new
        odd &= np.linalg.norm(px[:, None] - np.array(new)[None], axis=2).min(1) >= ALIKE
        odd &= ~_blends(px, (h, w), known + new, len(known), odd)
        known += new
    return np.array(found).reshape(-1, 3)


def _pale(gaps: np.ndarray, colors: np.ndarray, shape) -> np.ndarray:
    """Pixels of a pale thin stroke on white paper: a 3 px pink line blurred with the paper
    beside it comes within 2 ALIKE of white, though further than ALIKE.  Such pixels within
    RIM of another colour are its blends with the paper (a yellow shape's rim, which a JPEG
    spreads that far), not a stroke."""
    paper = np.flatnonzero(colors.min(1) >= PAPER)
    if not len(paper):
        return np.zeros(len(gaps), bool)
    others = np.delete(np.arange(len(colors)), paper)
    near_paper = gaps[:, paper].min(1)
    pale = (near_paper > ALIKE) & (near_paper <= 2 * ALIKE)
    if len(others):
        drawn = (gaps[:, others] < ALIKE).any(1).reshape(shape)
        rim = max(1, round(RIM * max(shape) / 256))
        beside = ndimage.binary_dilation(drawn, iterations=rim).ravel()
        pale &= (gaps[:, others].min(1) > 2 * ALIKE) & ~beside
    return pale


def _main_colour(px: np.ndarray) -> np.ndarray:
    """A group's colour: its median, or where most pixels are far from that (two thin strokes of
    different colours that cross or touch make one group, whose median is neither), the
    colour most of them have."""
    median = np.median(px, axis=0)
    if (np.linalg.norm(px - median, axis=1) < ALIKE).mean() >= 0.5:
        return median
    keys = (px // 32).astype(int) @ np.array([64, 8, 1])
    values, counts = np.unique(keys, return_counts=True)
    centre = np.median(px[keys == values[np.argmax(counts)]], axis=0)
    return np.median(px[np.linalg.norm(px - centre, axis=1) < ALIKE], axis=0)


def _blends(px: np.ndarray, shape, colors: list, first: int, among: np.ndarray) -> np.ndarray:
    """Which pixels of ``among`` are a blend of two of ``colors`` (one of them from index
    ``first`` on) that are both drawn within two pixels: a dark grey line is no blend of a
    purple and a green drawn elsewhere."""
    blend = np.zeros(len(px), bool)
    if len(colors) < 2 or not among.any():
        return blend
    near = [
        ndimage.binary_dilation(
            (np.linalg.norm(px - c, axis=1) < ALIKE).reshape(shape), iterations=2
        ).ravel()
        for c in colors
    ]
    for j in range(max(1, first), len(colors)):
        for i in range(j):
            where = np.flatnonzero(among & near[i] & near[j] & ~blend)
            if not len(where):
                continue
            a, b = colors[i], colors[j]
            ab = a - b
            p = px[where]
            t = np.clip((p - b) @ ab / float(ab @ ab), 0.0, 1.0)
            apart = np.linalg.norm(p - (b + t[:, None] * ab), axis=1)
            blend[where[apart <= ALIKE / 2]] = True
    return blend
