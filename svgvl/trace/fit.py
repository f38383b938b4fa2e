"""Contours and curve fitting: sub-pixel boundary points → the fewest lines and cubics.

A closed contour is cut at its corners (where the direction turns sharply over a few pixels);
each piece between corners becomes one straight line if it is straight within the tolerance,
else cubic Béziers fitted by least squares (Schneider, 'An Algorithm for Automatically Fitting
Digitized Curves', Graphics Gems 1990), split at the worst point until every sample lies within
the tolerance.  Tangents are shared across smooth joins, so curves meet without kinks.
"""

from __future__ import annotations

import math

import numpy as np
from skimage.measure import find_contours

from ..svg.pathdata import Command
from .lines import (
    LINE_TOLERANCE,
    MIN_RUN,
    curved_point,
    fitted_line,
    intersect,
    project,
    settled_end,
    straight_runs,
)

SMOOTH_JOIN = 10  # degrees: a curve leaving a line more gently than this runs on tangent to it
# ... and so does one leaving it more steeply, up to this, with no corner found there: a line
# fitted along a rounded corner reaches a pixel or two into the arc, so the arc's first points
# already point away from it.
SMOOTH_ARC = 40


def contours(
    field: np.ndarray, min_area: float = 1.0, offset: tuple[int, int] = (0, 0)
) -> list[np.ndarray]:
    """Closed 0.5-contours of a coverage field as (N, 2) arrays of (x, y), without the repeated
    end point; pixel i spans [i, i + 1] as in SVG.  ``offset``: the field's (x, y) corner in
    the image, when it is a crop."""
    padded = np.pad(field, 1)
    out = []
    for c in find_contours(padded, 0.5):
        # Steps are at most √2 long, so n points enclose at most n²/2π (isoperimetry): most
        # specks are dropped here, before any arithmetic.
        if len(c) * len(c) < 2 * math.pi * min_area:
            continue
        pts = np.stack([c[:, 1] + (offset[0] - 0.5), c[:, 0] + (offset[1] - 0.5)], axis=1)
        if len(pts) > 1 and np.allclose(pts[0], pts[-1]):
            pts = pts[:-1]
        keep = np.ones(len(pts), dtype=bool)
        keep[1:] = np.any(np.abs(np.diff(pts, axis=0)) > 1e-6, axis=1)
        pts = pts[keep]
        if len(pts) >= 3 and abs(polygon_area(pts)) >= min_area:
            out.append(pts)
    return out


def polygon_area(pts: np.ndarray) -> float:
    x, y = pts[:, 0], pts[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def find_corners(pts: np.ndarray, angle_deg: float, reach: float = 2.5) -> list[int]:
    """Indices where the contour turns by more than ``angle_deg`` over ``reach`` pixels on each
    side, one per turn (the sharpest)."""
    n = len(pts)
    if n < 8:
        return list(range(n))
    seg = np.linalg.norm(np.diff(pts, axis=0, append=pts[:1]), axis=1)
    step = max(1, int(round(reach / max(float(np.median(seg)), 1e-6))))
    prev = pts - np.roll(pts, step, axis=0)
    nxt = np.roll(pts, -step, axis=0) - pts
    cos = (prev * nxt).sum(1) / np.maximum(
        np.linalg.norm(prev, axis=1) * np.linalg.norm(nxt, axis=1), 1e-9
    )
    turn = np.degrees(np.arccos(np.clip(cos, -1, 1)))
    candidates = np.nonzero(turn > angle_deg)[0]
    corners = []
    for i in candidates:
        window = turn[[(i + j) % n for j in range(-step, step + 1)]]
        if turn[i] >= window.max() and not (corners and (i - corners[-1]) <= step):
            corners.append(int(i))
    if len(corners) > 1 and (corners[0] + n - corners[-1]) <= step:
        corners.pop()
    return corners


# -- Bézier least squares ---------------------------------------------------------------------
#
# The functions below run thousands of times per image on short runs of points, so they are
# written for few numpy calls: the samples' powers [1 t t² t³] times a constant matrix give the
# Bernstein basis, and the curve with both derivatives in one matmul.

_POWERS = np.arange(4.0)
# [1 t t² t³] @ _BERNSTEIN = [(1-t)³, 3(1-t)²t, 3(1-t)t², t³]
_BERNSTEIN = np.array([[1, 0, 0, 0], [-3, 3, 0, 0], [3, -6, 3, 0], [-1, 3, -3, 1]], dtype=float)
# [1 t t² t³] @ (_DERIVATIVES[k] @ ctrl) is the k-th derivative of the curve with controls ctrl.
_DERIVATIVES = np.zeros((3, 4, 4))
_DERIVATIVES[0] = np.eye(4)
_DERIVATIVES[1, :3, 1:] = np.diag([1.0, 2.0, 3.0])
_DERIVATIVES[2, :2, 2:] = np.diag([2.0, 6.0])
_DERIVATIVES = _DERIVATIVES @ _BERNSTEIN


def _powers(t: np.ndarray) -> np.ndarray:
    return t[:, None] ** _POWERS


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.hypot(v[0], v[1]))
    return v / n if n > 1e-12 else v


def _chord_params(pts: np.ndarray) -> np.ndarray:
    step = pts[1:] - pts[:-1]
    d = np.empty(len(pts))
    d[0] = 0.0
    np.cumsum(np.hypot(step[:, 0], step[:, 1]), out=d[1:])
    return d / d[-1] if d[-1] > 0 else np.linspace(0, 1, len(pts))


def _fit_cubic(normal: list[list[float]], ends: tuple[float, ...]) -> np.ndarray:
    """Least-squares inner control points for fixed end points and end tangent directions.

    ``normal`` holds rows 1 and 2 of [BᵀB | Bᵀ·pts] (B the n×4 basis matrix): all the normal
    equations need.  ``ends`` = (a, b, tan0, tan1) as eight floats.  The 2×2 solve runs on
    Python floats, which is several times cheaper than numpy scalars.
    """
    (g10, g11, g12, g13, r1x, r1y), (g20, g21, g22, g23, r2x, r2y) = normal
    ax, ay, bx, by, t0x, t0y, t1x, t1y = ends
    c01 = g12 * (t0x * t1x + t0y * t1y)
    k0, k1 = g10 + g11, g12 + g13
    k2, k3 = g20 + g21, g22 + g23
    x0 = (r1x - k0 * ax - k1 * bx) * t0x + (r1y - k0 * ay - k1 * by) * t0y
    x1 = (r2x - k2 * ax - k3 * bx) * t1x + (r2y - k2 * ay - k3 * by) * t1y
    det = g11 * g22 - c01 * c01
    chord = math.hypot(bx - ax, by - ay)
    if abs(det) > 1e-12:
        alpha0 = (x0 * g22 - x1 * c01) / det
        alpha1 = (g11 * x1 - c01 * x0) / det
    else:
        alpha0 = alpha1 = chord / 3
    if alpha0 < 1e-3 * chord or alpha1 < 1e-3 * chord or alpha0 > 3 * chord or alpha1 > 3 * chord:
        alpha0 = alpha1 = chord / 3  # Wu/Barsky heuristic when the solution is degenerate
    return np.array(
        [
            [ax, ay],
            [ax + alpha0 * t0x, ay + alpha0 * t0y],
            [bx + alpha1 * t1x, by + alpha1 * t1y],
            [bx, by],
        ]
    )


def _max_error(ctrl, pts, basis) -> float:
    diff = basis @ ctrl
    diff -= pts
    diff *= diff
    return math.sqrt(float(np.maximum.reduce(np.add.reduce(diff, 1))))


def _fit_one(pts, tan0, tan1, tolerance):
    """The best single cubic for ``pts`` and its maximum error (Newton refinements only when
    the first fit is close enough for them to matter)."""
    work = np.empty((len(pts), 6))  # [basis | pts]: one matmul gives the normal equations
    work[:, 4:] = pts
    basis = work[:, :4]
    ends = (*pts[0].tolist(), *pts[-1].tolist(), *tan0.tolist(), *tan1.tolist())

    def fit_at(powers):
        np.matmul(powers, _BERNSTEIN, out=basis)
        ctrl = _fit_cubic((work[:, 1:3].T @ work).tolist(), ends)
        return ctrl, _max_error(ctrl, pts, basis)

    t = _chord_params(pts)
    powers = _powers(t)
    ctrl, err = fit_at(powers)
    if tolerance < err < 4 * tolerance:
        for _ in range(3):
            # One Newton step per sample towards its closest point on the curve.
            curve, d1, d2 = powers @ (_DERIVATIVES @ ctrl)
            curve -= pts
            num = np.add.reduce(curve * d1, 1)
            den = np.add.reduce(d1 * d1 + curve * d2, 1)
            den[np.abs(den) <= 1e-12] = np.inf
            t = np.minimum(np.maximum(t - num / den, 0.0), 1.0)
            powers = _powers(t)
            candidate, e = fit_at(powers)
            if e >= err:
                break
            ctrl, err = candidate, e
            if err <= tolerance:
                break
    return ctrl, err


def _tangents(pts: np.ndarray, reach: int = 2) -> np.ndarray:
    """Unit forward directions at every point from its ±reach neighbours (ends one-sided)."""
    n = len(pts)
    lo = np.clip(np.arange(n) - reach, 0, n - 1)
    hi = np.clip(np.arange(n) + reach, 0, n - 1)
    d = pts[hi] - pts[lo]
    return d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-12)


def fit_cubics(
    pts: np.ndarray, tan0: np.ndarray, tan1: np.ndarray, tolerance: float
) -> list[np.ndarray]:
    """Cubics (4×2 control arrays) through ``pts`` with the given unit end tangents.

    Greedy: each cubic runs as far along the points as it can while staying within the
    tolerance (found by doubling, then bisection), which gives far fewer segments than
    splitting at the worst point; joints share one tangent so the outline stays smooth.
    """
    n = len(pts)
    if n <= 3:
        chord = np.linalg.norm(pts[-1] - pts[0])
        return [np.array([pts[0], pts[0] + tan0 * chord / 3, pts[-1] + tan1 * chord / 3, pts[-1]])]
    tangents = _tangents(pts)
    out = []
    i, start_tan = 0, tan0
    last_span = 16
    while i < n - 1:
        if n - 1 - i <= 2 * last_span:
            ctrl, err = _fit_one(pts[i:], start_tan, tan1, tolerance)
            if err <= tolerance:
                out.append(ctrl)
                break
        good, good_ctrl, bad = i, None, n - 1
        step = max(4, last_span // 2)
        while good + step < bad:
            j = good + step
            c, e = _fit_one(pts[i : j + 1], start_tan, -tangents[j], tolerance)
            if e > tolerance:
                bad = j
                break
            good, good_ctrl = j, c
            step *= 2
        while bad - good > 1:
            j = (good + bad) // 2
            c, e = _fit_one(pts[i : j + 1], start_tan, -tangents[j], tolerance)
            if e <= tolerance:
                good, good_ctrl = j, c
            else:
                bad = j
        if good_ctrl is None:  # not even three points fit: take a short step regardless
            good = min(i + 2, n - 1)
            good_ctrl, _ = _fit_one(pts[i : good + 1], start_tan, -tangents[good], tolerance)
        out.append(good_ctrl)
        last_span = max(4, good - i)
        start_tan = tangents[good]
        i = good
    return out


def piece_commands(piece: np.ndarray, tolerance: float, steer=None) -> list[Command]:
    """A stretch between corners: one line when it is straight within ``tolerance``, else the
    fewest cubics (:func:`cubic_commands`) along its end tangents, which ``steer(tan0, tan1)``
    may replace (a seam's, a neighbouring line's)."""
    if len(piece) <= 3 or _line_error(piece) <= tolerance:
        return [("L", tuple(map(float, piece[-1])))]
    tan0, tan1 = _tangent(piece, 2, True), _tangent(piece, 2, False)
    if steer is not None:
        tan0, tan1 = steer(tan0, tan1)
    return cubic_commands(piece, tan0, tan1, tolerance)


def cubic_commands(
    piece: np.ndarray, tan0: np.ndarray, tan1: np.ndarray, tolerance: float
) -> list[Command]:
    """``piece`` as the fewest cubics within ``tolerance`` (:func:`fit_cubics`), each one flat
    to half the tolerance written as a line."""
    return [
        ("L", tuple(map(float, c[3])))
        if _line_error(c) <= tolerance * 0.5
        else ("C", tuple(map(float, c[1:].ravel())))
        for c in fit_cubics(piece, tan0, tan1, tolerance)
    ]


def _line_error(pts: np.ndarray) -> float:
    a, b = pts[0], pts[-1]
    ab = b - a
    length = np.linalg.norm(ab)
    if length < 1e-9:
        return float(np.linalg.norm(pts - a, axis=1).max())
    cross = np.abs((pts[:, 0] - a[0]) * ab[1] - (pts[:, 1] - a[1]) * ab[0]) / length
    return float(cross.max())


def _tangent(pts: np.ndarray, reach: int, forward: bool) -> np.ndarray:
    """One-sided unit tangent at the start (forward) or end of an open run of points."""
    k = min(reach, len(pts) - 1)
    return _unit(pts[k] - pts[0]) if forward else _unit(pts[-1 - k] - pts[-1])


def resample(pts: np.ndarray, spacing: float) -> np.ndarray:
    """Drop points closer than ``spacing`` (arc length) to the last kept one: marching squares
    gives ~0.7 px steps, and fitting costs grow with the number of points."""
    steps = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    arc = np.concatenate([[0.0], np.cumsum(steps)])
    keep = np.unique(np.searchsorted(arc, np.arange(0, arc[-1], spacing)))
    return pts[keep] if len(keep) >= 8 else pts


def fit_contour(
    pts: np.ndarray, tolerance: float, corner_angle: float, settle: bool = False
) -> list[Command]:
    """Absolute M/L/C/Z commands approximating a closed contour within ``tolerance`` pixels.
    ``settle``: the finer line/curve joins of :func:`fit_with_lines` (for centre-lines)."""
    pts = resample(pts, 1.0)
    if len(pts) >= 2 * MIN_RUN:
        rolled = np.roll(pts, -curved_point(pts), axis=0)
        runs = straight_runs(rolled, min(LINE_TOLERANCE, tolerance), shrink=settle)
        if runs:
            corners = find_corners(rolled, corner_angle)
            return fit_with_lines(rolled, runs, tolerance, corners, settle=settle)
    n = len(pts)
    corners = find_corners(pts, corner_angle)
    smooth = not corners
    if smooth:
        # No corner: start where the contour is most curved so that the seam is a natural joint.
        start = 0
        corners = [start]
    rolled = np.roll(pts, -corners[0], axis=0)
    cut = [(c - corners[0]) % n for c in corners] + [n]
    closed = np.vstack([rolled, rolled[:1]])

    def seam(tan0, tan1):  # no corner: the curve closes smoothly through its start
        direction = _unit(closed[2] - closed[-3])
        return direction, -direction

    commands: list[Command] = [("M", tuple(map(float, closed[0])))]
    for a, b in zip(cut, cut[1:], strict=False):
        piece = closed[a : b + 1]
        if len(piece) < 2:
            continue
        commands.extend(piece_commands(piece, tolerance, seam if smooth else None))
    commands.append(("Z", ()))
    return commands


def fit_with_lines(
    pts: np.ndarray,
    runs: list[tuple[int, int]],
    tolerance: float,
    corners: list[int],
    closed: bool = True,
    loose: np.ndarray | None = None,
    corner_slack: float = 0.0,
    settle: bool = False,
) -> list[Command]:
    """A contour (or, not ``closed``, an open centre-line) with straight runs: each run one
    exact line (:mod:`.lines`), lines that meet across a short bend joined at their
    intersection (a sharp corner), and what lies between runs (or, open, before the first and
    after the last) fitted with cubics cut at ``corners``, tangent to a neighbouring line where
    it runs on smoothly.

    ``loose`` marks points whose place is only a guess (a centre-line's at a junction, where
    the crossing line's ink hides it): lines meeting across them are joined regardless, and a
    line whose open end lies among them runs on to that end.  ``corner_slack``: how much
    farther than the tolerance a bend may cut inside two lines' crossing and still be a sharp
    corner (a stroke's centre-line, found from its ink, cuts a corner by a fraction of its
    width).  ``settle``: a run's end beside a curve goes back to where the curve leaves the
    line, and the curve runs on tangent to it unless a corner is found there (SMOOTH_ARC); the
    fill tracer does without, for fewer segments."""
    n = len(pts)
    loose = np.zeros(n, dtype=bool) if loose is None else loose
    lines = [fitted_line(pts[s : e + 1], tolerance) for s, e in runs]
    runs = [list(r) for r in runs]
    m = len(runs)
    # Per stretch between runs: (first index, its points, line before, line after); None when
    # the two lines are joined at a corner.  Open: also the stretches off both ends.
    joined = [None] * m
    for k in range(m if closed else m - 1):
        e, nxt = runs[k][1], (k + 1) % m
        s = runs[nxt][0] + (n if nxt == 0 else 0)
        crossing = intersect(*lines[k], *lines[nxt]) if s - e <= 10 else None
        # A corner the anti-aliasing rounded off: the bend hugs both lines up to where they
        # cross.  (A bevel or a cut-off tip does not, and keeps its own segments.)
        if crossing is not None:
            idx = np.arange(e, s + 1) % n
            gap, sure = pts[idx], ~loose[idx]
            tail, head = project(pts[e], *lines[k]), project(pts[s % n], *lines[nxt])
            near = sure.all() or float(np.hypot(*(gap - crossing).T).min()) <= 4.0
            off = max(_segment_distance(gap[sure], tail, crossing, head), default=0.0)
            if near and off <= tolerance + corner_slack:
                joined[k] = crossing
    if not closed:  # open ends hidden in a junction: the line runs on to them
        if loose[: runs[0][0]].all():
            runs[0][0] = 0
        if loose[runs[-1][1] + 1 :].all():
            runs[-1][1] = n - 1
    for k in range(m if settle else 0):  # a run's end beside a curve: where the curve leaves
        if runs[k][0] > 0 if not closed and k == 0 else joined[k - 1] is None:
            runs[k][0] = settled_end(pts, runs[k], lines[k], tolerance, False)
        if runs[k][1] < n - 1 if not closed and k == m - 1 else joined[k] is None:
            runs[k][1] = settled_end(pts, runs[k], lines[k], tolerance, True)
    heads = [project(pts[s], *line) for (s, _), line in zip(runs, lines, strict=True)]
    tails = [project(pts[e], *line) for (_, e), line in zip(runs, lines, strict=True)]
    gaps: list = []
    for k in range(m if closed else m - 1):
        nxt = (k + 1) % m
        if joined[k] is not None:
            tails[k] = heads[nxt] = joined[k]
            gaps.append(None)
            continue
        e, s = runs[k][1], runs[nxt][0] + (n if nxt == 0 else 0)
        gaps.append((e, np.take(pts, np.arange(e, s + 1), axis=0, mode="wrap"), k, nxt))
    corner_set = set(corners)
    first = heads[0]
    if not closed:
        s0, e1 = runs[0][0], runs[-1][1]
        lead = (0, pts[: s0 + 1], None, 0) if s0 > 0 else None
        gaps.append((e1, pts[e1:], m - 1, None) if e1 < n - 1 else None)
        first = pts[0] if lead else heads[0]
    commands: list[Command] = [("M", tuple(map(float, first)))]
    if not closed and lead:
        commands.extend(_fit_gap(lead, lines, heads, tails, corner_set, tolerance, n, settle))
    for k, gap in enumerate(gaps):
        commands.append(("L", tuple(map(float, tails[k]))))
        if gap is not None:
            commands.extend(_fit_gap(gap, lines, heads, tails, corner_set, tolerance, n, settle))
    if closed:
        if commands[-1][0] == "L" and np.allclose(commands[-1][1], commands[0][1], atol=1e-9):
            commands.pop()  # a line back to the start: Z draws it
        commands.append(("Z", ()))
    return commands


def _fit_gap(gap, lines, heads, tails, corners, tolerance, n, settle) -> list[Command]:
    """L/C commands along the points between a line's tail and the next line's head (either
    line None at an open end), cut at corners, tangent to a line where the curve runs on
    smoothly from it."""
    start, pts, before, after = gap
    pts = pts.copy()
    if before is not None:
        pts[0] = tails[before]
    if after is not None:
        pts[-1] = heads[after]
    cuts = [0] + [i for i in range(1, len(pts) - 1) if (start + i) % n in corners]
    cuts.append(len(pts) - 1)
    near = 3  # points: a corner this close to a gap's end is where the curve leaves the line
    start_corner = any((start + i) % n in corners for i in range(near + 1))
    end_corner = any((start + len(pts) - 1 - i) % n in corners for i in range(near + 1))
    smooth = math.cos(math.radians(SMOOTH_JOIN))
    arc_ok = math.cos(math.radians(SMOOTH_ARC if settle else SMOOTH_JOIN))
    out: list[Command] = []

    def run_on(first: bool, last: bool):
        """Tangents that run on smoothly from a neighbouring line, unless the curve leaves it
        at a corner."""

        def steer(tan0, tan1):
            if first and before is not None:
                cos = tan0 @ lines[before][1]
                if cos > smooth or (cos > arc_ok and not start_corner):
                    tan0 = lines[before][1]
            if last and after is not None:
                cos = -tan1 @ lines[after][1]
                if cos > smooth or (cos > arc_ok and not end_corner):
                    tan1 = -lines[after][1]
            return tan0, tan1

        return steer

    for a, b in zip(cuts, cuts[1:], strict=False):
        out.extend(piece_commands(pts[a : b + 1], tolerance, run_on(a == 0, b == len(pts) - 1)))
    return out


def _segment_distance(pts: np.ndarray, a: np.ndarray, corner: np.ndarray, b: np.ndarray):
    """Each point's distance to the polyline a → corner → b."""

    def to_segment(p, q):
        d = q - p
        t = np.clip(((pts - p) @ d) / max(float(d @ d), 1e-12), 0.0, 1.0)
        return np.hypot(*(pts - p - t[:, None] * d).T)

    return np.minimum(to_segment(a, corner), to_segment(corner, b))
