"""Strokes: line work traced as stroked centre-lines, the way outline icons are written.

A 1 px line at a non-integer position has no pixel above 50 % coverage, so the fill tracer's
0.5-contours lose it (and its palette turns the anti-aliased ramp into a dozen greys).  Here the
image is read as *ink over a background*: every pixel is the background mixed with one ink
colour, and the mixing ratio is its coverage.  Per ink colour, each connected blob of ink that is
long and thin becomes a candidate:

1. its skeleton is walked into polylines that split at junctions and continue across them where
   the direction goes on (:mod:`.skeleton`);
2. each polyline point moves to the ink's centroid across the line, and the ink summed across
   the line is the stroke width — sub-pixel, from coverage, so faint 1 px lines keep their width;
3. the polylines are fitted with the fewest lines and cubics (:mod:`.fit`);
4. the stroke (with each cap and join style) and the blob's filled outline are both drawn and
   compared with the blob's coverage: the stroke is kept when it matches as well or better.

Kept blobs are painted out of the image, so the fill tracer traces only what remains; mixed
icons get both.  :func:`ensure_ink` is the last guard: an input with visible ink never becomes
an empty drawing.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..svg.model import Drawing, Path
from ..svg.pathdata import Command
from ..svg.style import hex_color
from .fit import contours, fit_contour
from .morphology import components, dilate, erode
from .palette import find_palette, runs
from .skeleton import centre_lines, fit_centre_line, skeletonize

# (linecap, linejoin) styles tried for each blob; the render decides.
STYLES = (("round", "round"), ("butt", "miter"), ("square", "miter"))
MIN_INK = 0.2  # coverage that counts as part of a line when finding blobs and skeletons


def background(rgba: np.ndarray) -> np.ndarray | None:
    """The colour ink is drawn on: None for a transparent background, else the colour of most
    of the border (an opaque image without one has no background to speak of: returns False)."""
    alpha = rgba[..., 3]
    if (alpha < 128).any():
        return None
    rgb = rgba[..., :3]
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(np.int32)
    keys = (border[:, 0] >> 3) * 1024 + (border[:, 1] >> 3) * 32 + (border[:, 2] >> 3)
    values, counts = np.unique(keys, return_counts=True)
    common = border[keys == values[counts.argmax()]]
    if len(common) < 0.5 * len(border):
        return False
    return common.mean(0).astype(np.float32)


def ink_colors(
    rgba: np.ndarray, back: np.ndarray | None, ranges: np.ndarray | None = None
) -> np.ndarray:
    """The ink colours: the palette less the background and less the mixtures of the
    background with a stronger ink (an anti-aliased ramp is one ink, not a dozen greys).
    ``ranges``: the image's :func:`~.palette.local_range`, when the caller has it."""
    rgb, alpha = rgba[..., :3], rgba[..., 3]
    usable = alpha >= 128
    if not usable.any():
        usable = alpha > 0
    colors = find_palette(rgb, usable, merge_distance=16.0, ranges=ranges).colors.astype(np.float32)
    if back is None:
        return colors
    span = colors - back
    strength = np.hypot.reduce(span, axis=1) if len(colors) else np.zeros(0)
    keep = []
    for i in np.argsort(-strength):
        if strength[i] < 24:
            continue
        mixture = False
        for j in keep:
            t = float(span[i] @ span[j]) / float(span[j] @ span[j])
            if 0 < t < 1 and np.linalg.norm(span[i] - t * span[j]) < 16:
                mixture = True
                break
        if not mixture:
            keep.append(int(i))
    # A palette colour is a cluster's mean: on thin lines it is lighter than the line's
    # darkest pixels.  The ink is the strongest colour seen along its direction (so that
    # pixels darker than the mean are not lost and the width is not overestimated).
    step = max(1, usable.size // BAND_PIXELS)  # a sample will do
    rgbf = rgb.reshape(-1, 3)[::step][usable.ravel()[::step]].astype(np.float32) - back
    out = []
    for i in keep:
        span = colors[i] - back
        t = rgbf @ span / float(span @ span)
        resid = rgbf - t[:, None] * span
        on_line = ((resid * resid) @ np.ones(3, np.float32) < 24.0**2) & (t > 0.5)
        top = float(np.percentile(t[on_line], 99.5)) if on_line.sum() >= 4 else 1.0
        out.append(np.clip(back + max(top, 1.0) * span, 0, 255))
    return np.array(out, dtype=np.float32).reshape(-1, 3)


def ink_owner(rgba: np.ndarray, back: np.ndarray | None, inks: np.ndarray):
    """Per pixel: which ink (-1: none) and its coverage in [0, 1].

    On an opaque background the coverage is the pixel's position on the segment from the
    background to the ink colour (the ink with the smallest residual wins); on a transparent
    one it is the alpha channel and the ink is the nearest colour.  Worked out once per run of
    equal pixels along the rows (flat fills make long runs), so the float arithmetic grows with
    the edges rather than the area; the runs go in bands, so its temporaries stay small.
    """
    h, w = rgba.shape[:2]
    if not len(inks):
        return np.full((h, w), -1, dtype=np.int32), np.zeros((h, w), dtype=np.float32)
    start, length = runs(np.ascontiguousarray(rgba).view("<i4").reshape(h, w))
    pixels = rgba.reshape(-1, 4)[start]
    owner = np.empty(len(start), dtype=np.int32)
    cover = np.empty(len(start), dtype=np.float32)
    for i in range(0, len(start), BAND_PIXELS):
        owner[i : i + BAND_PIXELS], cover[i : i + BAND_PIXELS] = _ink_owner_pixels(
            pixels[i : i + BAND_PIXELS], back, inks
        )
    return np.repeat(owner, length).reshape(h, w), np.repeat(cover, length).reshape(h, w)


MAX_BLOBS = 2_000
"""Thin blobs of one ink beyond which the ink is texture, not line work (each blob is fitted
and rendered twice: thousands take minutes)."""

BAND_PIXELS = 1 << 18
"""Runs per band in :func:`ink_owner`, and the sample of pixels :func:`ink_colors` reads."""


def _ink_owner_pixels(rgba: np.ndarray, back: np.ndarray | None, inks: np.ndarray):
    """:func:`ink_owner` for (N, 4) pixels."""
    rgb = rgba[:, :3].astype(np.float32)
    ones = np.ones(3, np.float32)
    if back is None:
        alpha = rgba[:, 3].astype(np.float32) / 255
        dist = np.stack([((rgb - c) ** 2) @ ones for c in inks])
        owner = np.where(alpha > 0.02, dist.argmin(0), -1).astype(np.int32)
        return owner, np.where(owner >= 0, alpha, 0).astype(np.float32)
    owner = np.full(len(rgb), -1, dtype=np.int32)
    cover = np.zeros(len(rgb), dtype=np.float32)
    best = np.full(len(rgb), np.inf, dtype=np.float32)
    diff = rgb - back
    for k, c in enumerate(inks):
        span = c - back
        t = (diff @ span) / float(span @ span)
        resid = diff - t[:, None] * span  # off the line through background and ink
        resid = (resid * resid) @ ones
        better = (resid < best) & (t > 0.04) & (t < 1.25)
        best = np.where(better, resid, best)
        owner = np.where(better, k, owner)
        cover = np.where(better, np.minimum(t, 1), cover)
    lost = best > 40.0**2  # neither background nor a mixture with one ink
    owner[lost] = -1
    cover[lost] = 0
    return owner, cover


# -- sub-pixel centre and width ----------------------------------------------------------------


def _sample(field: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Bilinear samples of a per-pixel field at (x, y) (pixel i's centre at i + 0.5), zero
    outside."""
    h, w = field.shape
    fx, fy = x - 0.5, y - 0.5
    x0, y0 = np.floor(fx).astype(np.int64), np.floor(fy).astype(np.int64)
    ax, ay = fx - x0, fy - y0
    out = np.zeros(x.shape, dtype=np.float64)
    for dx, dy, wgt in (
        (0, 0, (1 - ax) * (1 - ay)),
        (1, 0, ax * (1 - ay)),
        (0, 1, (1 - ax) * ay),
        (1, 1, ax * ay),
    ):
        xi, yi = x0 + dx, y0 + dy
        ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        out += np.where(ok, field[np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)], 0) * wgt
    return out


def _directions(pts: np.ndarray, closed: bool, reach: int = 2) -> np.ndarray:
    n = len(pts)
    i = np.arange(n)
    if closed:
        d = pts[(i + reach) % n] - pts[(i - reach) % n]
    else:
        d = pts[np.minimum(i + reach, n - 1)] - pts[np.maximum(i - reach, 0)]
    return d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-9)


def cross_sections(
    pts: np.ndarray, closed: bool, field: np.ndarray, reach: float, fixed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Points moved to the ink's centroid across the line (not the ``fixed`` ones, near
    junctions, where a crossing line pulls), and the ink summed across the line at each."""
    if len(pts) < 2:
        return pts, np.array([float(field.sum())])
    tangent = _directions(pts, closed)
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)
    step = 0.25
    s = np.arange(-reach, reach + 1e-9, step)
    qx = pts[:, :1] + s[None] * normal[:, :1]
    qy = pts[:, 1:] + s[None] * normal[:, 1:]
    f = _sample(field, qx, qy)
    total = f.sum(1)
    shift = np.clip((f * s[None]).sum(1) / np.maximum(total, 1e-9), -0.75, 0.75)
    moved = pts + shift[:, None] * normal
    free = ~fixed & (total >= 1e-6)
    if free.any() and not free.all():
        # Fixed points follow their free neighbours: between two, on the straight line joining
        # them (a junction's centroid is pulled towards the crossing line); past the last one,
        # by its shift.
        n = len(pts)
        i = np.arange(n)
        idx = np.nonzero(free)[0]
        if closed:
            ext = np.concatenate([idx - n, idx, idx + n])
            mx = np.concatenate([moved[idx]] * 3)
        else:
            ext, mx = idx, moved[idx]
        for axis in (0, 1):
            moved[~free, axis] = np.interp(i[~free], ext, mx[:, axis])
        if not closed:
            lo, hi = i < idx[0], i > idx[-1]
            moved[lo] = pts[lo] + (moved[idx[0]] - pts[idx[0]])
            moved[hi] = pts[hi] + (moved[idx[-1]] - pts[idx[-1]])
    return moved, total * step


def _shift(d: list[Command], dx: float, dy: float) -> list[Command]:
    out = []
    for letter, c in d:
        out.append((letter, tuple(v + (dx if k % 2 == 0 else dy) for k, v in enumerate(c))))
    return out


def _coverage(paths: list[Path], w: int, h: int) -> np.ndarray:
    from ..render import rasterize_drawing

    image = rasterize_drawing(Drawing(width=float(w), height=float(h), paths=paths), w, h)
    return 1 - image[..., 1].astype(np.float32) / 255


# -- the pass -----------------------------------------------------------------------------------


def _blob_stroke(field, tolerance, corner_angle, speckle, force):
    """A blob's stroke (commands, width, cap, join) when it beats its filled outline (or, with
    ``force``, whenever it is line-like); a thin blob's outline (commands, 0, "", "") when
    that is better; else None.  ``field``: the blob's coverage, cropped."""
    h, w = field.shape
    mask = field >= MIN_INK
    area = float(field.sum())
    skel = skeletonize(mask)
    rough = area / max(float(skel.sum()), 1.0)
    lines, junctions = centre_lines(skel, spur=max(2.0, rough))
    length = sum(float(np.linalg.norm(np.diff(p, axis=0), axis=1).sum()) for p, _ in lines)
    if not lines or length < 3 * rough:
        dot = _dot(field) if area <= 12 else None  # else a blob, not a line
        return dot and _choose(field, dot[0], dot[1], tolerance, corner_angle, speckle, force)
    width0 = area / max(length, 1.0)
    reach = max(1.5, 0.5 * width0 + 1.5)
    refined, widths = [], []
    for p, closed in lines:
        # Near junctions the cross-section also holds the crossing line: those points follow
        # their neighbours instead.
        fixed = np.zeros(len(p), dtype=bool)
        for j in junctions:
            fixed |= np.linalg.norm(p - j, axis=1) < reach
        q, sums = cross_sections(p, closed, field, reach, fixed)
        refined.append((q, closed))
        widths.append(sums[~fixed] if (~fixed).any() else sums)
    samples = np.concatenate(widths)
    width = float(np.median(samples))
    if not math.isfinite(width) or width <= 0.2:
        return None
    spread = float(np.percentile(samples, 80) - np.percentile(samples, 20))
    if spread > 0.6 * width + 0.5:
        return None  # not of near-constant width: a shape, not a line
    d: list[Command] = []
    for q, closed in refined:
        d.extend(fit_centre_line(q, closed, 0.6 * tolerance, corner_angle, junctions, reach, width))
    return _choose(field, d, width, tolerance, corner_angle, speckle, force)


def _dot(field: np.ndarray):
    """A small round blob of ink (a dot drawn as a zero-length line with round caps): its
    centroid and the diameter of a disc of its ink."""
    area = float(field.sum())
    if area < 0.5 or field.max() < 0.5:
        return None  # a faint speck, not a dot
    ys, xs = np.mgrid[: field.shape[0], : field.shape[1]]
    x = float((field * (xs + 0.5)).sum()) / area
    y = float((field * (ys + 0.5)).sum()) / area
    return [("M", (x, y)), ("L", (x + 0.01, y))], 2 * math.sqrt(area / math.pi), "round", "round"


# A stroke is kept while its error is at most this times the filled outline's: where the two
# draw a blob about equally well, the stroke is what the artist drew and what a designer edits.
# (With centre-lines fitted as exact lines and arcs, 1.02 strokes as much line art; 1.1 keeps
# a thin stroke in a logo that SSIM prefers to its outline.)
STROKE_MARGIN = 1.1


def _choose(field, d, width, tolerance, corner_angle, speckle, force):
    """The stroke with the cap and join that draw ``field`` best, if it draws it as well as the
    filled outline does (always with ``force``)."""
    h, w = field.shape
    area = float(field.sum())
    best = None
    for cap, join in STYLES:
        stroke = Path(
            d=d,
            fill="none",
            stroke="#000000",
            stroke_width=width,
            stroke_linecap=cap,
            stroke_linejoin=join,
        )
        err = float(np.abs(_coverage([stroke], w, h) - field).sum())
        if best is None or err < best[0]:
            best = (err, cap, join)
    err, cap, join = best
    if not force:
        fill_d: list[Command] = []
        for c in contours(field, min_area=speckle):
            fill_d.extend(fit_contour(c, tolerance, corner_angle))
        fill = Path(d=fill_d, fill="#000000", fill_rule="evenodd")
        fill_err = float(np.abs(_coverage([fill], w, h) - field).sum()) if fill_d else area
        if err > STROKE_MARGIN * fill_err:
            # A thin blob drawn better filled: its outline from the coverage here, since the
            # fill tracer's palette tends to lose lines a few pixels wide.
            return (fill_d, 0.0, "", "") if fill_d and width <= 3 else None
    return d, width, cap, join


def stroke_pass(
    rgba: np.ndarray,
    tolerance: float,
    corner_angle: float,
    speckle: float,
    force: bool = False,
    ranges: np.ndarray | None = None,
) -> tuple[list[Path], np.ndarray]:
    """Stroked centre-lines for the image's line work, and the image with that line work
    painted out (for the fill tracer).  ``force``: every line-like blob becomes a stroke.
    ``ranges``: the image's :func:`~.palette.local_range`, when the caller has it."""
    back = background(rgba)
    if back is False:
        return [], rgba
    inks = ink_colors(rgba, back, ranges)
    if not len(inks):
        return [], rgba
    owner, cover = ink_owner(rgba, back, inks)
    h, w = owner.shape
    found = []  # (ink, width, cap, join, commands)
    erase = np.zeros((h, w), dtype=bool)
    for k in range(len(inks)):
        mask = (owner == k) & (cover >= MIN_INK)
        if mask.sum() < 3:
            continue
        labels = components(mask)
        # Long and thin: a line's pixels are nearly all on its boundary (counted per component
        # with bincount; only the thin ones' pixels are gathered, for memory at 2048 px).
        edge = mask & ~erode(mask, 3)
        n = np.bincount(labels[mask])
        thin = np.append(np.bincount(labels[edge], minlength=len(n)) >= 0.5 * n, False)
        if not thin.any():
            continue
        if np.count_nonzero(thin) > MAX_BLOBS:
            continue  # texture or noise, not line work: left to the fill tracer
        # The thin components' pixels, grouped by component (one sort, not a scan per blob).
        ys, xs = np.nonzero(thin[labels])  # label -1 (off the mask) reads the last slot
        member = labels[ys, xs]
        order = np.argsort(member, kind="stable")
        ys, xs, member = ys[order], xs[order], member[order]
        bounds = np.flatnonzero(np.diff(member, prepend=-1, append=len(n)))
        for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            y0, y1 = max(int(ys[a:b].min()) - 3, 0), min(int(ys[a:b].max()) + 4, h)
            x0, x1 = max(int(xs[a:b].min()) - 3, 0), min(int(xs[a:b].max()) + 4, w)
            own = labels[y0:y1, x0:x1] == member[a]
            # Only line work drawn on the background: a thin detail on a fill stays part of
            # the fill's layers (as a stroke it would cost bytes and redraw the fill's edges).
            ring = dilate(own, 5) & ~dilate(own, 3)
            around = owner[y0:y1, x0:x1][ring]
            if around.size and ((around == -1) | (around == k)).mean() < 0.9:
                continue
            # Its faint edge pixels too, but none of another blob (a neighbouring letter two
            # pixels away is not this blob's to take or to erase).
            mine = (owner[y0:y1, x0:x1] == k) & ~(mask[y0:y1, x0:x1] & ~own)
            region = dilate(own, 3) & mine
            blob = np.where(region, cover[y0:y1, x0:x1], 0).astype(np.float32)
            result = _blob_stroke(blob, tolerance, corner_angle, speckle, force)
            if result is None:
                continue
            d, width, cap, join = result
            found.append((k, width, cap, join, _shift(d, x0, y0)))
            erase[y0:y1, x0:x1] |= dilate(region, 3) & mine
    if not found:
        return [], rgba
    fills = [f for f in found if not f[1]]
    paths = [
        Path(
            d=[c for f in fills if f[0] == k for c in f[4]],
            fill=hex_color(inks[k]),
            fill_rule="evenodd",
        )
        for k in sorted({f[0] for f in fills})
    ] + _group([f for f in found if f[1]], inks)
    cleaned = rgba.copy()
    if back is None:
        cleaned[erase, 3] = 0
    else:
        cleaned[erase, :3] = np.round(back).astype(np.uint8)
    return paths, cleaned


def _group(found, inks) -> list[Path]:
    """One path per ink, cap, join and width (widths within 15 % of each other share one)."""
    paths = []
    found.sort(key=lambda f: (f[0], f[2], f[3], f[1]))
    group: list = []

    def flush():
        if group:
            lengths = np.array([max(len(g[4]), 1) for g in group], dtype=float)
            width = float(np.average([g[1] for g in group], weights=lengths))
            k, _, cap, join, _ = group[0]
            d = [c for g in group for c in g[4]]
            paths.append(
                Path(
                    d=d,
                    fill="none",
                    stroke=hex_color(inks[k]),
                    stroke_width=width,
                    stroke_linecap=cap,
                    stroke_linejoin=join,
                )
            )

    for f in found:
        if (
            group
            and (f[0], f[2], f[3]) == (group[0][0], group[0][2], group[0][3])
            and (f[1] <= 1.15 * group[0][1])
        ):
            group.append(f)
        else:
            flush()
            group = [f]
    flush()
    return paths


# -- never empty ------------------------------------------------------------------------------


def ensure_ink(drawing: Drawing, rgba: np.ndarray, tolerance: float, corner_angle: float):
    """The drawing, or for an input with visible ink that came out empty, the ink traced
    coarsely (quarter-coverage outlines, no speck removal), with a warning saying so."""
    if any(p.visible for p in drawing.paths):
        return drawing
    back = background(rgba)
    if back is False:
        return drawing
    inks = ink_colors(rgba, back)
    owner, cover = ink_owner(rgba, back, inks)
    if not (cover > 0.15).any():
        return drawing
    for k in range(len(inks)):
        field = np.clip(2 * np.where(owner == k, cover, 0), 0, 1)  # its 0.5 level: coverage 1/4
        d: list[Command] = []
        for c in contours(field, min_area=0.0):
            d.extend(fit_contour(c, tolerance, corner_angle))
        if d:
            drawing.paths.append(Path(d=d, fill=hex_color(inks[k]), fill_rule="evenodd"))
    if drawing.paths:
        warnings.warn(
            "the tracer lost all the ink at normal detail; traced it coarsely instead",
            RuntimeWarning,
            stacklevel=3,
        )
    return drawing
