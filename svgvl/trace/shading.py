"""Shading: smooth colour ramps traced as one region filled with a linear or radial gradient.

A palette cuts a smooth ramp into bands of colours ~16 apart, and each band would become a layer
with its own wobbly outline.  Here neighbouring regions whose shared border is no real edge — the
colour changes across it no faster than inside them — are joined, and the joined region's colour
field is fitted by least squares over its interior pixels (away from anti-aliased edges) as a
function of one parameter: the projection on a direction (linear) or the distance from a centre,
elliptical if need be (radial).  The profile along that parameter is piecewise linear with the
fewest stops within a tolerance.  A group that no gradient fits is split at its harder borders
and tried again, else stays as its flat bands; one colour with noise is never made a gradient,
so flat art stays flat.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..svg.model import Gradient, Stop
from ..svg.style import hex_color
from .morphology import box_max, regions
from .palette import TRANSPARENT, Palette

SAMPLE = 2000  # interior pixels that settle a fit's geometry
KNOTS = 12  # uniform profile knots while the geometry is searched
MAX_STOPS = 8
FIT_PIXELS = 1 << 18  # interior pixels of a group read for its fit, at most
LOOSE = 2.0
MAX_JUMP = 96  # colour difference (largest channel) beyond which two regions are no bands


@dataclass(frozen=True)
class Shading:
    """A colour field ``colour = profile(t)`` with ``t`` from pixel coordinates.

    ``matrix`` (2×3) maps a point (x, y, 1) in canvas units to gradient space: ``t`` is its
    first coordinate (linear) or its length (radial, the unit circle being ``t = 1``).
    """

    kind: str  # "linear" | "radial"
    matrix: np.ndarray  # (2, 3)
    offsets: np.ndarray  # (K,) increasing, in [0, 1]
    colors: np.ndarray  # (K, 3) float RGB

    def parameter(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        u = self.matrix[0, 0] * xs + self.matrix[0, 1] * ys + self.matrix[0, 2]
        if self.kind == "linear":
            return u
        v = self.matrix[1, 0] * xs + self.matrix[1, 1] * ys + self.matrix[1, 2]
        return np.hypot(u, v)

    def colors_at(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Colours (N, 3) at canvas points, with the ends padded as SVG's spreadMethod="pad"."""
        t = self.parameter(xs, ys)
        return np.stack([np.interp(t, self.offsets, self.colors[:, c]) for c in range(3)], axis=-1)

    def gradient(self) -> Gradient:
        """The SVG gradient (userSpaceOnUse) that draws this field, rounded to what shows: stop
        offsets to about half a pixel, a transform to four significant digits."""
        a = self.matrix
        length = 1 / float(np.linalg.svd(a[:, :2], compute_uv=False).max())
        digits = int(np.clip(math.ceil(math.log10(2 * length)), 2, 4))
        stops = [
            Stop(round(float(o), digits), hex_color(c))
            for o, c in zip(self.offsets, self.colors, strict=True)
        ]
        if self.kind == "linear":
            # t = a·p + a0: the t = 0 point on the normal through the origin, then one unit of t.
            n = a[0, :2] / float(a[0, :2] @ a[0, :2])
            start = -a[0, 2] * n
            end = start + n
            geometry = {"x1": start[0], "y1": start[1], "x2": end[0], "y2": end[1]}
            return Gradient("linear", {k: float(v) for k, v in geometry.items()}, stops)
        # Gradient space → canvas: the inverse of the matrix; a circle bakes into cx, cy, r.
        inverse = np.linalg.inv(np.vstack([a, [0.0, 0.0, 1.0]]))[:2]
        u, v = inverse[:, 0], inverse[:, 1]
        if abs(math.hypot(*u) - math.hypot(*v)) <= 0.03 * math.hypot(*u):
            geometry = {"cx": inverse[0, 2], "cy": inverse[1, 2], "r": math.hypot(*u)}
            geometry["fx"], geometry["fy"] = geometry["cx"], geometry["cy"]
            return Gradient("radial", {k: float(x) for k, x in geometry.items()}, stops)
        big = float(np.abs(inverse[:, :2]).max())
        step = 10 ** (math.floor(math.log10(big)) - 3)
        transform = tuple(float(round(x / step) * step) for x in (u[0], u[1], v[0], v[1])) + (
            round(float(inverse[0, 2]), 1),
            round(float(inverse[1, 2]), 1),
        )
        geometry = {"cx": 0.0, "cy": 0.0, "r": 1.0, "fx": 0.0, "fy": 0.0}
        return Gradient("radial", geometry, stops, transform)


def _hat_weights(t: np.ndarray, knots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each ``t``'s knot interval ``i`` and weight ``w`` of knot i + 1 (1 - w of knot i)."""
    i = np.clip(np.searchsorted(knots, t, side="right") - 1, 0, len(knots) - 2)
    w = np.clip((t - knots[i]) / (knots[i + 1] - knots[i]), 0.0, 1.0)
    return i, w


def _profile(t: np.ndarray, colors: np.ndarray, knots: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares knot colours (K, 3) and the mean squared residual per channel.

    The normal equations of piecewise-linear interpolation are tridiagonal: they are summed
    with bincount, and the residual follows from them without forming the (N, K) basis.
    """
    k = len(knots)
    i, w = _hat_weights(t, knots)
    v = 1 - w
    gram = np.zeros((k, k))
    diagonal = np.bincount(i, v * v, k) + np.bincount(i + 1, w * w, k)
    off = np.bincount(i, v * w, k)[: k - 1]
    gram[np.arange(k), np.arange(k)] = diagonal + 1e-6
    gram[np.arange(k - 1), np.arange(1, k)] = off
    gram[np.arange(1, k), np.arange(k - 1)] = off
    rhs = np.stack(
        [
            np.bincount(i, v * colors[:, c], k) + np.bincount(i + 1, w * colors[:, c], k)
            for c in range(3)
        ],
        axis=1,
    )
    values = np.linalg.solve(gram, rhs)
    total = float((colors * colors).sum())
    error = total - 2 * float((values * rhs).sum()) + float((values * (gram @ values)).sum())
    return values, max(error, 0.0) / colors.size


def _evaluate(t: np.ndarray, knots: np.ndarray, values: np.ndarray) -> np.ndarray:
    i, w = _hat_weights(t, knots)
    return values[i] * (1 - w)[:, None] + values[i + 1] * w[:, None]


def _uniform_error(t: np.ndarray, colors: np.ndarray) -> float:
    lo, hi = float(t.min()), float(t.max())
    if hi - lo < 1e-9:
        return math.inf
    return _profile(t, colors, np.linspace(lo, hi, KNOTS))[1]


def _nelder_mead(f, x0: np.ndarray, step: np.ndarray, iterations: int = 120) -> np.ndarray:
    """A plain Nelder–Mead minimiser (scipy.optimize costs half a second to import)."""
    simplex = [x0] + [x0 + np.eye(len(x0))[i] * step[i] for i in range(len(x0))]
    values = [f(x) for x in simplex]
    for _ in range(iterations):
        order = np.argsort(values)
        simplex = [simplex[i] for i in order]
        values = [values[i] for i in order]
        centre = np.mean(simplex[:-1], axis=0)
        worst = simplex[-1]
        reflected = centre + (centre - worst)
        fr = f(reflected)
        if fr < values[0]:
            expanded = centre + 2 * (centre - worst)
            fe = f(expanded)
            simplex[-1], values[-1] = (expanded, fe) if fe < fr else (reflected, fr)
        elif fr < values[-2]:
            simplex[-1], values[-1] = reflected, fr
        else:
            contracted = centre + 0.5 * (worst - centre)
            fc = f(contracted)
            if fc < values[-1]:
                simplex[-1], values[-1] = contracted, fc
            else:
                best = simplex[0]
                simplex = [best + 0.5 * (s - best) for s in simplex]
                values = [values[0]] + [f(s) for s in simplex[1:]]
        if max(values) - min(values) < 1e-4 * (1 + abs(min(values))):
            break
    return simplex[int(np.argmin(values))]


def _linear_direction(x: np.ndarray, y: np.ndarray, colors: np.ndarray) -> tuple[float, float]:
    """The angle whose projection explains the colours best, and its residual."""
    angles = np.linspace(0, math.pi, 36, endpoint=False)
    errors = [_uniform_error(x * math.cos(a) + y * math.sin(a), colors) for a in angles]
    best = float(angles[int(np.argmin(errors))])
    lo, hi = best - math.pi / 36, best + math.pi / 36
    golden = (math.sqrt(5) - 1) / 2
    for _ in range(14):
        a, b = hi - golden * (hi - lo), lo + golden * (hi - lo)
        ea = _uniform_error(x * math.cos(a) + y * math.sin(a), colors)
        eb = _uniform_error(x * math.cos(b) + y * math.sin(b), colors)
        lo, hi = (lo, b) if ea < eb else (a, hi)
    angle = (lo + hi) / 2
    return angle, _uniform_error(x * math.cos(angle) + y * math.sin(angle), colors)


def _radial_t(params: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    cx, cy, log_ratio, angle = params
    c, s = math.cos(angle), math.sin(angle)
    dx, dy = x - cx, y - cy
    return np.hypot(c * dx + s * dy, (-s * dx + c * dy) * math.exp(-log_ratio))


def _radial_fit(x: np.ndarray, y: np.ndarray, colors: np.ndarray) -> tuple[np.ndarray, float]:
    """Centre, axis ratio and angle of the ellipses the colours are constant on."""
    # Start from the stationary point of a quadratic fitted to the main colour component.
    centred = colors - colors.mean(0)
    main = centred @ np.linalg.svd(centred, full_matrices=False)[2][0]
    design = np.stack([x * x, x * y, y * y, x, y, np.ones_like(x)], axis=1)
    qa, qb, qc, qd, qe, _ = np.linalg.lstsq(design, main, rcond=None)[0]
    hessian = np.array([[2 * qa, qb], [qb, 2 * qc]])
    starts = [np.array([0.0, 0.0, 0.0, 0.0])]
    if abs(np.linalg.det(hessian)) > 1e-9:
        centre = -np.linalg.solve(hessian, [qd, qe])
        if np.all(np.abs(centre) < 4):
            starts.append(np.array([centre[0], centre[1], 0.0, 0.0]))
    best, best_error = starts[0], math.inf
    for start in starts:
        params = _nelder_mead(
            lambda p: (
                _uniform_error(_radial_t(p, x, y), colors) + (0.0 if abs(p[2]) < 2.5 else math.inf)
            ),
            start,
            np.array([0.3, 0.3, 0.3, 0.5]),
        )
        error = _uniform_error(_radial_t(params, x, y), colors)
        if error < best_error:
            best, best_error = params, error
    return best, best_error


def _simplify(t: np.ndarray, colors: np.ndarray, tolerance: float) -> np.ndarray:
    """The fewest knots whose piecewise-linear profile stays within ``tolerance`` of the binned
    mean colours (Douglas–Peucker on the profile), t in [0, 1]."""
    bins = 64
    index = np.minimum((t * bins).astype(np.int64), bins - 1)
    count = np.bincount(index, minlength=bins)
    sums = np.stack([np.bincount(index, colors[:, c], minlength=bins) for c in range(3)], 1)
    tsum = np.bincount(index, t, minlength=bins)
    used = count > 0
    pt = tsum[used] / count[used]
    pc = sums[used] / count[used][:, None]
    keep = {0, len(pt) - 1}
    stack = [(0, len(pt) - 1)]
    while stack:
        i, j = stack.pop()
        if j - i < 2:
            continue
        w = (pt[i + 1 : j] - pt[i]) / max(pt[j] - pt[i], 1e-9)
        line = pc[i] + w[:, None] * (pc[j] - pc[i])
        error = np.abs(pc[i + 1 : j] - line).max(1)
        k = int(error.argmax())
        if error[k] > tolerance:
            keep.add(i + 1 + k)
            stack += [(i, i + 1 + k), (i + 1 + k, j)]
    knots = pt[sorted(keep)]
    knots[0], knots[-1] = 0.0, 1.0
    return knots


def fit_shading(
    xs: np.ndarray,
    ys: np.ndarray,
    colors: np.ndarray,
    tolerance: float = 3.0,
    edge_width: float = 6.0,
) -> Shading | None:
    """The gradient that best explains ``colors`` at canvas points (xs, ys), or None when
    neither a linear nor a radial field fits within ``tolerance`` (RMS per channel), or when
    the field is a blurred edge (most of its change within ``edge_width`` pixels)."""
    colors = colors.astype(np.float64)
    if len(xs) > SAMPLE:
        pick = np.random.default_rng(0).choice(len(xs), SAMPLE, replace=False)
        xs, ys, colors = xs[pick], ys[pick], colors[pick]
    if len(xs) < 30:
        return None
    # One colour with noise is settled before any search: its colours barely spread.
    low, high = np.percentile(colors, [2, 98], axis=0)
    if float((high - low).max()) < max(12.0, 4 * tolerance):
        return None
    # Coordinates centred and scaled to about ±1 so that one step size suits every image.
    mx, my = float(xs.mean()), float(ys.mean())
    scale = max(float(np.abs(xs - mx).max()), float(np.abs(ys - my).max()), 1.0)
    x, y = (xs - mx) / scale, (ys - my) / scale
    angle, linear_error = _linear_direction(x, y, colors)
    # The radial model has more freedom (a far centre mimics a linear ramp, and bends to fit
    # quantisation noise): it must explain clearly more, by ratio and by amount.
    params, radial_error = _radial_fit(x, y, colors) if linear_error > 1.0 else (None, math.inf)
    if radial_error < 0.6 * linear_error and linear_error - radial_error > 1.0:
        kind, t = "radial", _radial_t(params, x, y)
        cx, cy, log_ratio, theta = params
        c, s = math.cos(theta), math.sin(theta)
        ratio = math.exp(-log_ratio)
        # Normalised coordinates → gradient space (u, v), then scaled so that max t is 1.
        rot = np.array([[c, s], [-s * ratio, c * ratio]]) / scale
        shift = -rot @ np.array([mx + cx * scale, my + cy * scale])
        top = float(t.max())
        matrix = np.hstack([rot, shift[:, None]]) / top
        t = t / top
        length = top * scale * min(1.0, 1 / ratio)  # along the short axis
    else:
        kind = "linear"
        t = x * math.cos(angle) + y * math.sin(angle)
        lo, hi = float(t.min()), float(t.max())
        row = np.array([math.cos(angle), math.sin(angle), 0.0]) / scale
        row[2] = -(row[0] * mx + row[1] * my)
        matrix = np.vstack([(row - np.array([0, 0, lo])) / (hi - lo), [0.0, 0.0, 0.0]])
        t = (t - lo) / (hi - lo)
        length = (hi - lo) * scale
    # Pixels the field does not explain at all (a stray anti-aliased pixel, a speck) may be a
    # few; more, and this is no gradient.
    knots = _simplify(t, colors, 0.7 * tolerance)
    values, _ = _profile(t, colors, knots)
    residual = np.sqrt(((colors - _evaluate(t, knots, values)) ** 2).mean(1))
    inlier = residual <= 4 * tolerance
    if inlier.mean() < 0.97:
        return None
    t, colors = t[inlier], colors[inlier]
    knots = _simplify(t, colors, 0.7 * tolerance)
    values, error = _profile(t, colors, knots)
    if math.sqrt(error) > tolerance or _edge_like(knots, values, length, edge_width):
        return None
    # One colour with noise stays flat: the ramp must span several tolerances and explain
    # most of the variation, with a handful of stops (noise fitted by stops is no gradient).
    spread = float((colors - colors.mean(0)).var(0).mean())
    if (
        float(np.ptp(values, axis=0).max()) < max(12.0, 4 * tolerance)
        or error > 0.3 * spread
        or len(knots) > MAX_STOPS
    ):
        return None
    # A flat run at either end is what spreadMethod="pad" draws anyway.
    values = np.clip(values, 0, 255)
    if len(knots) > 2 and np.abs(values[0] - values[1]).max() <= tolerance:
        knots, values = knots[1:], values[1:]
    if len(knots) > 2 and np.abs(values[-1] - values[-2]).max() <= tolerance:
        knots, values = knots[:-1], values[:-1]
    return Shading(kind, matrix, knots, values)


def _edge_like(knots: np.ndarray, values: np.ndarray, length: float, width: float) -> bool:
    """Whether most of the profile's change happens within ``width`` pixels: a blurred edge
    between two flat colours, which is sharper drawn as an edge than as a gradient."""
    n = max(2, int(math.ceil(length)) + 1)
    grid = np.linspace(0, 1, n)
    profile = np.stack([np.interp(grid, knots, values[:, c]) for c in range(3)], 1)
    steps = np.abs(np.diff(profile, axis=0)) @ np.ones(3)
    total = float(steps.sum())
    w = max(1, int(round(width)))
    if total < 30 or len(steps) <= w:
        return False
    window = np.convolve(steps, np.ones(w), mode="valid")
    return float(window.max()) > 0.6 * total


def _soft_pairs(
    region: np.ndarray, labels: np.ndarray, rgb: np.ndarray, palette: Palette
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of touching regions (R, 2) and how hard their shared border is (R,).

    Across an edge, even an anti-aliased one, two neighbouring pixels differ by a third or more
    of the difference between the two colours (the transition takes at most ~3 pixels); across
    the border of two bands of a smooth ramp they differ only by the ramp's slope.  The
    hardness is that ratio at the 70th percentile of the border's pixels.
    """
    pairs, ratios = [], []
    ones = np.ones(3, np.float32)
    for first, second in (
        ((slice(None), slice(None, -1)), (slice(None), slice(1, None))),
        ((slice(None, -1), slice(None)), (slice(1, None), slice(None))),
    ):
        a, b = region[first], region[second]
        differ = (a != b) & (a > 0) & (b > 0)
        la, lb = labels[first][differ], labels[second][differ]
        span = np.abs(palette.colors[la] - palette.colors[lb]).astype(np.float32) @ ones
        step = (
            np.abs(rgb[first][differ].astype(np.float32) - rgb[second][differ].astype(np.float32))
            @ ones
        )
        ra, rb = a[differ], b[differ]
        pairs.append(np.stack([np.minimum(ra, rb), np.maximum(ra, rb)], 1))
        # Neighbouring bands of a ramp are a palette step apart; colours far apart meet at an
        # edge however their border pixels were labelled.
        jump = np.abs(palette.colors[la] - palette.colors[lb]).max(1) > MAX_JUMP
        ratios.append(np.where(jump, 1.0, step / np.maximum(span, 1.0)))
    pairs_all = np.concatenate(pairs)
    if not len(pairs_all):
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0)
    ratio = np.concatenate(ratios)
    keys, inverse = np.unique(pairs_all, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    order = np.lexsort((ratio, inverse))
    total = np.bincount(inverse)
    start = np.concatenate([[0], np.cumsum(total)[:-1]])
    hardness = ratio[order][start + (0.7 * (total - 1)).astype(np.int64)]
    keep = total >= 3
    return keys[keep], hardness[keep]


def _explains_every_region(
    shading: Shading, rgb: np.ndarray, region: np.ndarray, pixels: np.ndarray, tolerance: float
) -> bool:
    """Whether the field matches each region it would replace on most of its pixels (flat
    ``pixels`` indices): a small region of another colour (a letter, a highlight) must not
    vanish into a gradient."""
    if len(pixels) > 40_000:  # a sample settles the shares on big images
        pixels = pixels[:: len(pixels) // 20_000]
    ys, xs = np.divmod(pixels, region.shape[1])
    error = shading.colors_at(xs + 0.5, ys + 0.5) - rgb[ys, xs]
    close = np.sqrt((error * error).mean(1)) <= 3 * tolerance
    _, inverse = np.unique(region.ravel()[pixels], return_inverse=True)
    share = np.bincount(inverse.ravel(), close) / np.bincount(inverse.ravel())
    return bool((share >= 0.5).all())


def _union(n: int, pairs: np.ndarray) -> np.ndarray:
    """Connected components of a graph on ``n`` nodes given by edge ``pairs``: a root each."""
    parent = np.arange(n)
    for a, b in pairs:
        ra, rb = a, b
        while parent[ra] != ra:
            ra = parent[ra]
        while parent[rb] != rb:
            rb = parent[rb]
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    for i in range(n):
        parent[i] = parent[parent[i]]
    return parent


def _group_pixels(group: np.ndarray, labels: np.ndarray, wanted: np.ndarray):
    """For a map of group ids: which pixels are interior (the whole 5×5 neighbourhood in the
    same group, away from its edges; flat), and the flat indices of the pixels of the
    ``wanted`` groups (a boolean per id) sorted by group, with each group's bounds in that
    order.  Only the wanted groups' pixels are sorted: on a logo with one gradient that is a
    small part of the image."""
    return _interior(group) & (labels != TRANSPARENT).ravel(), *_sorted_members(group, wanted)


def _interior(group: np.ndarray) -> np.ndarray:
    """Flat mask of the pixels whose 5×5 window (clipped at the border) holds one group: no
    change between horizontal neighbours in its rows and columns x−2…x+1, nor between
    vertical ones in rows y−2…y+1 (bytes, where a window minimum and maximum of the ids
    would move int32s)."""
    change = np.zeros(group.shape, dtype=np.uint8)
    np.not_equal(group[:, :-1], group[:, 1:], out=change[:, :-1], casting="unsafe")
    across = box_max(change, (5, 4))
    change[:] = 0
    np.not_equal(group[:-1], group[1:], out=change[:-1], casting="unsafe")
    across |= box_max(change, (4, 5))
    return (across == 0).ravel()


def _sorted_members(group: np.ndarray, wanted: np.ndarray):
    flat = group.ravel()
    pixels = np.flatnonzero(wanted[flat])
    ids = flat[pixels]
    order = np.argsort(ids, kind="stable")
    return pixels[order], np.searchsorted(ids[order], np.arange(len(wanted) + 1))


# Borders softer than these join regions; a group no gradient fits is split at the next level.
HARDNESS = (0.3, 0.15, 0.08)


def shade(
    rgb: np.ndarray,
    labels: np.ndarray,
    palette: Palette,
    ranges: np.ndarray,
    tolerance: float = 3.0,
) -> tuple[np.ndarray, Palette, dict[int, Shading]]:
    """Join the bands of smooth ramps into one label each, with the gradient that fills it.

    ``ranges`` is the image's local range (palette.local_range); ``tolerance`` the RMS colour
    error a gradient may leave.  Returns new labels, the palette extended by one colour per
    joined group (its mean), and the shading of each such palette index.
    """
    region = regions(labels, TRANSPARENT)
    n = int(region.max()) + 1
    pairs, hardness = _soft_pairs(region, labels, rgb, palette)
    colors, counts = list(palette.colors), list(palette.counts)
    shadings: dict[int, Shading] = {}
    labels = labels.copy()
    flat_labels = labels.reshape(-1)
    size = max(1.0, (labels.size / 65536) ** 0.5)  # blurred edges widen with the image
    done = np.zeros(n, dtype=bool)
    tried: set[tuple[int, int]] = set()
    for level in HARDNESS:
        use = pairs[(hardness <= level) & ~done[pairs[:, 0]] & ~done[pairs[:, 1]]]
        if not len(use):
            break
        root = _union(n, use).astype(np.int32)  # int32 group maps: half the memory
        sizes = np.bincount(root[np.unique(use)], minlength=n)
        wanted = sizes >= 2
        interior, order, bounds = _group_pixels(root[region], labels, wanted)
        for g in np.nonzero(wanted)[0]:
            pixels = order[bounds[g] : bounds[g + 1]]
            members = root == g
            key = (int(members.sum()), int(np.nonzero(members)[0].sum()))
            if key in tried:
                continue
            tried.add(key)
            inside = pixels[interior[pixels]]
            if len(inside) < 30:
                continue
            # An even sample of a big group settles its field as well (the fit samples
            # SAMPLE pixels), without gigantic coordinate arrays at 2048 px.
            inside = inside[:: len(inside) // FIT_PIXELS + 1]
            ys, xs = np.divmod(inside, labels.shape[1])
            # Edges inside the group (a stray anti-aliased border) are no part of its field.
            smooth = ranges[ys, xs] <= 4 * np.median(ranges[ys, xs]) + 12
            ys, xs = ys[smooth], xs[smooth]
            shading = None
            for tol in (tolerance, LOOSE * tolerance):
                shading = fit_shading(xs + 0.5, ys + 0.5, rgb[ys, xs], tol, 6.0 * size)
                if shading is not None and _explains_every_region(
                    shading, rgb, region, pixels, tol
                ):
                    break
                shading = None
            if shading is None:
                continue
            index = len(colors)
            colors.append(rgb[ys, xs].mean(0))
            counts.append(len(pixels))
            flat_labels[pixels] = index
            shadings[index] = shading
            done |= members
        # Freed before the next level's are made (~80 MB at 2048 px; ``pixels`` is a view).
        interior = order = pixels = None
    return labels, Palette(np.asarray(colors), np.asarray(counts, dtype=np.int64)), shadings
