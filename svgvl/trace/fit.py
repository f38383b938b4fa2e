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

Command = tuple[str, tuple[float, ...]]


def contours(field: np.ndarray, min_area: float = 1.0) -> list[np.ndarray]:
    """Closed 0.5-contours of a coverage field as (N, 2) arrays of (x, y), without the repeated
    end point; pixel i spans [i, i + 1] as in SVG."""
    padded = np.pad(field, 1)
    out = []
    for c in find_contours(padded, 0.5):
        pts = np.stack([c[:, 1] - 0.5, c[:, 0] - 0.5], axis=1)
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


def _basis(t: np.ndarray) -> np.ndarray:
    """Bernstein basis (n, 4): the curve at parameters t is ``_basis(t) @ ctrl``."""
    mt = 1 - t
    out = np.empty((len(t), 4))
    out[:, 0] = mt * mt * mt
    out[:, 1] = 3 * mt * mt * t
    out[:, 2] = 3 * mt * t * t
    out[:, 3] = t * t * t
    return out


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.hypot(v[0], v[1]))
    return v / n if n > 1e-12 else v


def _chord_params(pts: np.ndarray) -> np.ndarray:
    step = np.diff(pts, axis=0)
    d = np.concatenate([[0.0], np.cumsum(np.hypot(step[:, 0], step[:, 1]))])
    return d / d[-1] if d[-1] > 0 else np.linspace(0, 1, len(pts))


def _fit_cubic(pts, basis, tan0, tan1):
    """Least-squares inner control points for fixed end points and end tangent directions.

    With B the basis matrix, the normal equations need only BᵀB and Bᵀ·pts (4×4 and 4×2);
    the 2×2 solve runs on Python floats, which is several times cheaper than numpy scalars.
    """
    g = (basis.T @ basis).tolist()
    r = (basis.T @ pts).tolist()
    (ax, ay), (bx, by) = pts[0].tolist(), pts[-1].tolist()
    (t0x, t0y), (t1x, t1y) = tan0.tolist(), tan1.tolist()
    c00, c11 = g[1][1], g[2][2]
    c01 = g[1][2] * (t0x * t1x + t0y * t1y)
    k0, k1 = g[1][0] + g[1][1], g[1][2] + g[1][3]
    k2, k3 = g[2][0] + g[2][1], g[2][2] + g[2][3]
    x0 = (r[1][0] - k0 * ax - k1 * bx) * t0x + (r[1][1] - k0 * ay - k1 * by) * t0y
    x1 = (r[2][0] - k2 * ax - k3 * bx) * t1x + (r[2][1] - k2 * ay - k3 * by) * t1y
    det = c00 * c11 - c01 * c01
    chord = math.hypot(bx - ax, by - ay)
    if abs(det) > 1e-12:
        alpha0 = (x0 * c11 - x1 * c01) / det
        alpha1 = (c00 * x1 - c01 * x0) / det
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


def _reparameterize(ctrl, pts, t, basis):
    """One Newton step per sample towards its closest point on the curve."""
    mt = 1 - t
    diff = basis @ ctrl - pts
    q = ctrl[1:] - ctrl[:-1]  # first derivative's control points (÷3)
    a, b, c = mt * mt, 2 * mt * t, t * t
    d1x = 3 * (a * q[0, 0] + b * q[1, 0] + c * q[2, 0])
    d1y = 3 * (a * q[0, 1] + b * q[1, 1] + c * q[2, 1])
    r = q[1:] - q[:-1]  # second derivative's control points (÷6)
    d2x = 6 * (mt * r[0, 0] + t * r[1, 0])
    d2y = 6 * (mt * r[0, 1] + t * r[1, 1])
    ex, ey = diff[:, 0], diff[:, 1]
    num = ex * d1x + ey * d1y
    den = d1x * d1x + d1y * d1y + ex * d2x + ey * d2y
    safe = np.abs(den) > 1e-12
    step = np.divide(num, den, out=np.zeros_like(num), where=safe)
    return np.clip(t - step, 0, 1)


def _max_error(ctrl, pts, basis) -> float:
    diff = basis @ ctrl - pts
    return float(np.sqrt(np.max(diff[:, 0] ** 2 + diff[:, 1] ** 2)))


def _fit_one(pts, tan0, tan1, tolerance):
    """The best single cubic for ``pts`` and its maximum error (Newton refinements only when
    the first fit is close enough for them to matter)."""
    t = _chord_params(pts)
    basis = _basis(t)
    ctrl = _fit_cubic(pts, basis, tan0, tan1)
    err = _max_error(ctrl, pts, basis)
    if tolerance < err < 4 * tolerance:
        for _ in range(3):
            t = _reparameterize(ctrl, pts, t, basis)
            basis = _basis(t)
            candidate = _fit_cubic(pts, basis, tan0, tan1)
            e = _max_error(candidate, pts, basis)
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


def fit_contour(pts: np.ndarray, tolerance: float, corner_angle: float) -> list[Command]:
    """Absolute M/L/C/Z commands approximating a closed contour within ``tolerance`` pixels."""
    pts = resample(pts, 1.0)
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
    commands: list[Command] = [("M", tuple(map(float, closed[0])))]
    for a, b in zip(cut, cut[1:], strict=False):
        piece = closed[a : b + 1]
        if len(piece) < 2:
            continue
        if len(piece) <= 3 or _line_error(piece) <= tolerance:
            commands.append(("L", tuple(map(float, piece[-1]))))
            continue
        if smooth:
            seam = _unit(closed[2] - closed[-3])
            tan0, tan1 = seam, -seam
        else:
            tan0, tan1 = _tangent(piece, 2, True), _tangent(piece, 2, False)
        for ctrl in fit_cubics(piece, tan0, tan1, tolerance):
            if _line_error(ctrl) <= tolerance * 0.5:
                commands.append(("L", tuple(map(float, ctrl[3]))))
            else:
                commands.append(("C", tuple(map(float, ctrl[1:].ravel()))))
    commands.append(("Z", ()))
    return commands
