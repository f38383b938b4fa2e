"""Soft shadows and glows: a blurred falloff traced as a few nested translucent shapes.

A drop shadow is the background darkened by a smooth alpha: every pixel of it is the background
mixed with one shadow colour (black for a shadow, a light or bright colour for a glow), by a
ratio that falls off over many pixels.  The palette would cut that ramp into two or three flat
grey rings with hard borders.  Here the shadow is found as the pixels that join the background
through soft steps only, lie on one line from the background colour towards the shadow colour,
and fall off slowly (no anti-aliased edge, no flat shape); their mixing ratio is a field, filled
in under whatever covers the shadow (it is drawn below everything, so only its visible part
matters) and drawn as nested level sets of the shadow colour, each with the opacity that brings
the stack to its level.  The image handed on to the fill tracer has the shadow painted out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..svg.model import Path
from ..svg.style import hex_color
from .fit import contours, fit_contour
from .morphology import blur, box_max, components, dilate, erode
from .palette import local_range

SOFT_RANGE = 60  # local range (3×3, channels summed) above which a step is an edge
OFF_LINE = 6.0  # colour distance off the background→shadow line still read as the shadow
MIN_DEPTH = 0.15  # the deepest shade, as a share of the way to the shadow colour
MIN_WIDTH = 10.0  # pixels (at 256 px) the falloff takes from nothing to its deepest
MIN_AREA = 0.01  # share of the image the shadow must cover
NEAR_BACK = 30.0  # colour distance within which the fill tracer may merge a colour into
# the background: such pixels show what lies under them, so no shadow is filled in there
SOFT_TOLERANCE = 0.75  # pixels: a blurred outline needs no sharper fit
EXTEND = 3  # pixels the deepest visible level reaches under the edge of what covers it
ROUGH = 1.0  # RMS colour difference between the falloff and its own blur (1 px), at most
CRISP = 0.5  # share of sharp steps among strong edges for the image to count as sharp
BAND_PIXELS = 1 << 18  # pixels per band of rows in the per-pixel colour arithmetic
LEVEL_STEP = 12.0  # colour step between nested levels (per channel, at the widest)


@dataclass(frozen=True)
class Shadow:
    back: np.ndarray  # (3,) the background colour
    color: np.ndarray  # (3,) the colour the background is mixed with
    alpha: np.ndarray  # (H, W) float32 mixing ratio, filled in under what covers the shadow
    seen: np.ndarray  # (H, W) bool: the pixels that show the shadow or the bare background
    depth: float  # the deepest visible ratio


def find_shadow(rgba: np.ndarray, back: np.ndarray, ranges: np.ndarray | None = None):
    """The soft shadow or glow on the opaque background colour ``back``, or None."""
    rgb = rgba[..., :3]
    height, width = rgb.shape[:2]
    if ranges is None:
        ranges = local_range(rgb)
    soft = ranges <= SOFT_RANGE
    least = MIN_AREA * height * width
    # Cheap tests first (most images have no shadow): enough pixels that change softly, and
    # sharp edges elsewhere.
    if np.count_nonzero(soft & (ranges > 0)) < least or not _crisp(rgb, ranges):
        return None
    # Moving pixels in the soft surroundings of the background, clearly off it (JPEG noise
    # has directions of its own): the shadow's direction is the one most of them share.
    ys, xs = np.nonzero(_border_component(soft) & (ranges > 0))
    moved = rgb[ys, xs].astype(np.float32) - back.astype(np.float32)
    lengths = np.sqrt(np.einsum("...c,...c->...", moved, moved))
    candidate = lengths > 2 * OFF_LINE
    if np.count_nonzero(candidate) < least:
        return None
    direction = _main_direction(moved[candidate], lengths[candidate])
    # How far the line runs before leaving the colour cube: that end is the shadow colour.
    with np.errstate(divide="ignore", invalid="ignore"):  # 0/0 where a channel stays put
        ends = np.where(direction > 0, (255 - back) / direction, -back / direction)
    reach = float(np.min(ends[np.abs(direction) > 1e-3]))
    if not math.isfinite(reach) or reach < 20:
        return None
    color = back + reach * direction
    distance, along, off = _line_coordinates(rgb, back, direction)
    # Flat pixels only of the bare background: a flat grey shape is drawn, not cast.
    bare = distance <= OFF_LINE
    seen = _touching(soft & (off <= OFF_LINE) & (along > -OFF_LINE) & (bare | (ranges > 0)), bare)
    alpha = np.clip(along / reach, 0, 1).astype(np.float32)
    shade = seen & (distance > OFF_LINE)
    area = int(shade.sum())
    if area < MIN_AREA * height * width:
        return None
    depth = float(np.percentile(alpha[shade], 99))
    # A ramp, not a flat light shape: most of it changes, and slowly (an edge, even a blurred
    # one, takes a few pixels; a shadow's falloff many more).
    moving = ranges[shade] > 0
    scale = max(1.0, math.sqrt(height * width / 65536))
    if depth < MIN_DEPTH or moving.mean() < 0.5:
        return None
    slope = float(np.median(ranges[shade][moving])) / (6 * reach)  # ratio per pixel
    if depth / max(slope, 1e-6) < MIN_WIDTH * scale:
        return None
    # Colours the fill tracer takes for the background (within its merge distance) show what
    # lies under them: no shadow there.
    known = seen | (distance <= NEAR_BACK)
    alpha = np.where(known, alpha, 0).astype(np.float32)
    # A shadow goes on under what casts it: its levels reach a few pixels under the edge (so
    # that the edge, not a level's outline, bounds the deepest ones), then fade smoothly.
    for _ in range(EXTEND):
        grown = box_max(alpha, 3)
        alpha = np.where(known, alpha, grown)
        known = dilate(known, 3)
    alpha = _fill_in(alpha, known)
    # Smooth: a shadow is a blur, JPEG's bleeding colours are blocks and noise.
    inner = shade & erode(seen, 5)
    wobble = (alpha - blur(alpha, 1.0))[inner] * float(np.abs(color - back).max())
    if not inner.any() or float(np.sqrt((wobble * wobble).mean())) > ROUGH:
        return None
    return Shadow(back.astype(np.float64), color, alpha, seen, depth)


def _line_coordinates(rgb: np.ndarray, back: np.ndarray, direction: np.ndarray):
    """Per pixel (float32): distance from the background colour, and position along and
    distance off the line from it in ``direction`` — worked out in bands of rows, so that the
    (H, W, 3) float temporaries stay small on big images."""
    h, w = rgb.shape[:2]
    distance, along, off = (np.empty((h, w), np.float32) for _ in range(3))
    back, unit = back.astype(np.float32), direction.astype(np.float32)
    step = max(1, BAND_PIXELS // w)
    for y in range(0, h, step):
        offset = rgb[y : y + step].astype(np.float32) - back
        d2 = np.einsum("...c,...c->...", offset, offset)
        a = offset @ unit
        distance[y : y + step] = np.sqrt(d2)
        along[y : y + step] = a
        off[y : y + step] = np.sqrt(np.maximum(d2 - a * a, 0))
    return distance, along, off


def _crisp(rgb: np.ndarray, ranges: np.ndarray) -> bool:
    """Whether the image's strong edges are sharp (a step between two pixels makes half of the
    local range across most of them): in a blurred image every edge fades over pixels, and a
    soft falloff is no sign of a shadow."""
    strong = ranges > 150
    if not strong.any():
        return True
    step = np.zeros(ranges.shape, np.int16)
    for axis in (0, 1):
        d = sum(np.abs(np.diff(rgb[..., c].astype(np.int16), axis=axis)) for c in range(3))
        lo = [slice(None)] * 2
        hi = [slice(None)] * 2
        lo[axis], hi[axis] = slice(None, -1), slice(1, None)
        np.maximum(step[tuple(lo)], d, out=step[tuple(lo)])
        np.maximum(step[tuple(hi)], d, out=step[tuple(hi)])
    return float((2 * step[strong] >= ranges[strong]).mean()) >= CRISP


def _main_direction(offsets: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The direction (unit RGB vector) shared by the most ``offsets`` from the background
    (within ~8°): the shadow's, not that of a light shape that also fades into the background."""
    units = offsets / lengths[:, None]
    if len(units) > 4000:
        units = units[:: len(units) // 4000]
    trials = units[:: max(1, len(units) // 200)]
    support = ((trials @ units.T) > 0.99).sum(1)
    best = trials[int(support.argmax())]
    inliers = units[(units @ best) > 0.99]
    mean = inliers.mean(0)
    return mean / max(float(np.linalg.norm(mean)), 1e-6)


def _touching(mask: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """The parts of ``mask`` (8-connected) that hold a pixel of ``seeds``: a shadow is seen
    where it fades into the bare background, around the drawing or in its holes."""
    labels = components(mask)
    hit = np.bincount(labels[seeds & mask] + 1, minlength=int(labels.max()) + 2) > 0
    hit[0] = False
    return hit[labels + 1]


def _border_component(mask: np.ndarray) -> np.ndarray:
    """The part of ``mask`` connected to the image's border (the background's side)."""
    labels = components(mask)
    edge = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    ids = np.unique(edge[edge >= 0])
    return np.isin(labels, ids) if len(ids) else np.zeros_like(mask)


def _fill_in(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """``values`` where ``known``, elsewhere a smooth fill from the known values around
    (push–pull: averaged down a pyramid of halvings, then filled back in from the coarser)."""
    if known.all() or not known.any():
        return values.astype(np.float32)
    sums = np.where(known, values, 0).astype(np.float32)
    weights = known.astype(np.float32)
    levels = []
    while min(sums.shape) > 1:
        levels.append((sums, weights))
        h, w = sums.shape
        sums = _halve(sums, h, w)
        weights = _halve(weights, h, w)
    filled = sums / np.maximum(weights, 1e-6)
    for sums, weights in reversed(levels):
        h, w = sums.shape
        coarse = _double(_double(filled, 0), 1)[:h, :w]
        mean = sums / np.maximum(weights, 1e-6)
        share = np.minimum(weights, 1.0)
        filled = share * mean + (1 - share) * coarse
    return np.where(known, values, filled).astype(np.float32)


def _double(x: np.ndarray, axis: int) -> np.ndarray:
    """Twice the size along ``axis``, linearly interpolated (edges clamped)."""
    x = np.moveaxis(x, axis, 0)
    before = np.concatenate([x[:1], x[:-1]])
    after = np.concatenate([x[1:], x[-1:]])
    out = np.empty((2 * len(x), *x.shape[1:]), dtype=x.dtype)
    out[0::2] = 0.75 * x + 0.25 * before
    out[1::2] = 0.75 * x + 0.25 * after
    return np.moveaxis(out, 0, axis)


def _halve(x: np.ndarray, h: int, w: int) -> np.ndarray:
    """Sums over 2×2 blocks (the last row/column padded with zeros)."""
    padded = np.pad(x, ((0, h % 2), (0, w % 2)))
    return padded[0::2, 0::2] + padded[1::2, 0::2] + padded[0::2, 1::2] + padded[1::2, 1::2]


def shadow_paths(shadow: Shadow, tolerance: float) -> list[Path]:
    """Nested level sets of the shadow, each a translucent fill of the shadow colour, bottom
    first: pixels between two thresholds show the stack at the level between them."""
    span = shadow.depth * float(np.abs(shadow.color - shadow.back).max())
    count = max(2, int(round(span / LEVEL_STEP)))
    step = shadow.depth / count
    field = blur(shadow.alpha, 1.0)
    ys, xs = np.nonzero(field >= 0.5 * step)
    if not len(ys):
        return []
    y0, y1 = max(int(ys.min()) - 2, 0), int(ys.max()) + 3
    x0, x1 = max(int(xs.min()) - 2, 0), int(xs.max()) + 3
    crop = field[y0:y1, x0:x1]
    paths = []
    below = 0.0
    for k in range(1, count + 1):
        level = k * step
        d = []
        for pts in contours(crop - (k - 0.5) * step + 0.5, min_area=4.0, offset=(x0, y0)):
            d.extend(fit_contour(pts, max(tolerance, SOFT_TOLERANCE), 179.0))
        if not d:
            break
        # Whole pixels: a blurred level moved by half a pixel does not show; a fifth of the
        # bytes does.
        d = [(c, tuple(float(round(v)) for v in args)) for c, args in d]
        opacity = 1 - (1 - level) / (1 - below)
        below = level
        paths.append(
            Path(
                d=d,
                fill=hex_color(shadow.color),
                fill_opacity=round(opacity, 3),
                fill_rule="evenodd",
            )
        )
    return paths


def shadow_pass(
    rgba: np.ndarray, back: np.ndarray, tolerance: float, ranges: np.ndarray | None = None
) -> tuple[list[Path], np.ndarray]:
    """The shadow's paths (to be drawn under everything else) and the image with the shadow
    painted out; no paths and the image unchanged when there is no soft shadow."""
    shadow = find_shadow(rgba, back, ranges)
    if shadow is None:
        return [], rgba
    paths = shadow_paths(shadow, tolerance)
    if not paths:
        return [], rgba
    return paths, _lift(rgba, shadow)


def _lift(rgba: np.ndarray, shadow: Shadow) -> np.ndarray:
    """The image without the shadow: its visible pixels become the background, and the
    anti-aliased rims of what covers it lose the shadow's share (a rim pixel mixes the shape's
    colour, read from its most different neighbour, with the shadow colour at that pixel)."""
    cleaned = rgba.copy()
    cleaned[shadow.seen, :3] = np.round(shadow.back).astype(np.uint8)
    cast = shadow.seen & (shadow.alpha > 0.02)
    rim = dilate(cast, 5) & ~shadow.seen
    ys, xs = np.nonzero(rim)
    if not len(ys):
        return cleaned
    h, w = rim.shape
    pixel = rgba[ys, xs, :3].astype(np.float32)
    a = shadow.alpha[ys, xs][:, None]
    under = shadow.back + a * (shadow.color - shadow.back)  # the shadowed background there
    best, shape = np.zeros(len(ys), np.float32), pixel.copy()
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            qy, qx = np.clip(ys + dy, 0, h - 1), np.clip(xs + dx, 0, w - 1)
            q = rgba[qy, qx, :3].astype(np.float32)
            far = ((q - under) ** 2).sum(1) * ~shadow.seen[qy, qx]
            take = far > best
            best = np.where(take, far, best)
            shape[take] = q[take]
    span = shape - under
    cover = np.clip(((pixel - under) * span).sum(1) / np.maximum(best, 1e-6), 0, 1)[:, None]
    lifted = pixel + (1 - cover) * a * (shadow.back - shadow.color)
    cleaned[ys, xs, :3] = np.round(np.clip(lifted, 0, 255)).astype(np.uint8)
    return cleaned
