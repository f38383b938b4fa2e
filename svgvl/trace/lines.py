"""Straight runs in a traced contour: the edges a designer drew with a ruler.

A cubic fitted across a straight edge and the rounded tip of an anti-aliased corner bends the
edge by a fraction of a pixel — invisible at 1×, a hand-drawn wobble at 4× zoom.  So before
curve fitting, runs of points that lie on a line (within a tight tolerance, over at least a
dozen pixels) are found, fitted by least squares, snapped to exactly horizontal or vertical
when their slope stays within the tolerance, and consecutive lines meet at their intersection:
a square corner comes back square.  A circular arc gives no such run unless its radius is
large (a run of 12 px departs from an arc of radius r by 18/r px), and a run that bows like
an arc is not taken for a line: arcs stay arcs.
"""

from __future__ import annotations

import numpy as np

LINE_TOLERANCE = 0.25  # px: how far a run's points may lie from its line
MIN_RUN = 12  # points (about px, at the fitter's 1 px spacing): shorter runs stay curves
LOCAL_SPAN = 3  # points on each side for the local straightness test


def _chord_deviation(pts: np.ndarray) -> float:
    a, b = pts[0], pts[-1]
    ab = b - a
    length = float(np.hypot(ab[0], ab[1]))
    if length < 1e-9:
        return float(np.hypot(*(pts - a).T).max())
    return float(np.abs((pts[:, 0] - a[0]) * ab[1] - (pts[:, 1] - a[1]) * ab[0]).max() / length)


def _bow(pts: np.ndarray) -> float:
    """How far a parabola fitted across the points bows between its middle and its ends: an
    arc bows steadily (L²/8r), a straight edge only by its noise."""
    centre = pts.mean(0)
    along = pts[-1] - pts[0]
    along = along / max(float(np.hypot(along[0], along[1])), 1e-12)
    t = (pts - centre) @ along
    y = (pts - centre) @ np.array([-along[1], along[0]])
    curvature = np.polyfit(t, y, 2)[0]
    return float(abs(curvature) * (np.ptp(t) / 2) ** 2)


def _longest_from(pts: np.ndarray, start: int, stop: int, tol: float) -> int:
    """The farthest index e ≤ stop with pts[start..e] within ``tol`` of its chord (doubling,
    then bisection: a few numpy calls per run, none per point)."""
    if _chord_deviation(pts[start : stop + 1]) <= tol:
        return stop
    good, bad, step = start + 1, stop, 4
    while good + step < bad:
        if _chord_deviation(pts[start : good + step + 1]) > tol:
            bad = good + step
            break
        good += step
        step *= 2
    while bad - good > 1:
        mid = (good + bad) // 2
        if _chord_deviation(pts[start : mid + 1]) <= tol:
            good = mid
        else:
            bad = mid
    return good


def _local_deviation(pts: np.ndarray, closed: bool) -> np.ndarray:
    """Each point's distance from the chord between its neighbours LOCAL_SPAN away (an open
    polyline's ends take the nearest points there are)."""
    k = LOCAL_SPAN
    if closed:
        before, after = np.roll(pts, k, axis=0), np.roll(pts, -k, axis=0)
    else:
        i = np.arange(len(pts))
        before, after = pts[np.maximum(i - k, 0)], pts[np.minimum(i + k, len(pts) - 1)]
    chord = after - before
    length = np.maximum(np.hypot(chord[:, 0], chord[:, 1]), 1e-9)
    rel = pts - before
    return np.abs(chord[:, 0] * rel[:, 1] - chord[:, 1] * rel[:, 0]) / length


def _unbowed(pts: np.ndarray, s: int, e: int, tol: float, min_run: int, shrink: bool):
    """The run s..e, or failing that the run cut back by LOCAL_SPAN points at one end or both,
    that does not bow like an arc; None if none does.  (A straight edge's run may reach into a
    bend — a junction, the start of a curve — by a few points, which bows it as a whole.)  The
    cut must take away most of the bow (the bend it reached into), not a little of it, as
    cutting the ends off an arc of large radius does, and leave a run LOCAL_SPAN points longer
    than the shortest (a short stretch of a large arc's flattest part, cut so, was taken for a
    line: a facet at zoom).  ``shrink``: cut up to three times as far at one end, whatever the
    bow taken away."""
    if e - s + 1 < min_run:
        return None
    whole = _bow(pts[s : e + 1])
    if whole <= 0.4 * tol:
        return s, e
    tries, shortest = (3, min_run) if shrink else (1, min_run + LOCAL_SPAN)
    for cut in range(LOCAL_SPAN, min(tries * LOCAL_SPAN, e - s + 1 - shortest) + 1, LOCAL_SPAN):
        ends = [(s, e - cut), (s + cut, e)]
        if not shrink and e - s + 1 - 2 * cut >= shortest:
            ends.append((s + cut, e - cut))  # a side between two bends reaches into both
        for a, b in ends:
            bow = _bow(pts[a : b + 1])
            if bow <= 0.4 * tol and (shrink or bow <= 0.25 * whole):
                return a, b
    return None


def straight_runs(
    pts: np.ndarray,
    tol: float = LINE_TOLERANCE,
    min_run: int = MIN_RUN,
    closed: bool = True,
    shrink: bool = False,
) -> list[tuple[int, int]]:
    """(start, end) index pairs, in order along ``pts`` (spaced ~1 px), of maximal runs within
    ``tol`` of a straight line and at least ``min_run`` points long.

    A closed contour should start off every run (:func:`curved_point`), so that each run is a
    plain slice; otherwise no runs are reported.  An open polyline (a stroke's centre-line) may
    start or end on one.  A run that bows as a whole because it reaches into a bend by the
    few points the local test cannot see is taken cut back at that end; ``shrink``: cut back
    farther, and whatever the bow (see :func:`_unbowed`; the fill tracer does without, for
    fewer segments on large arcs).
    """
    n = len(pts)
    if n < (2 if closed else 1) * min_run:
        return []
    k = LOCAL_SPAN
    flat = _local_deviation(pts, closed) <= 0.6 * tol
    if not flat.any() or (closed and flat.all()):
        return []
    # Candidate stretches of locally straight points, then split into globally straight runs.
    if closed and flat[0]:  # a stretch wraps around index 0: the caller starts where none does
        return []
    edges = np.flatnonzero(np.diff(flat.astype(np.int8)))
    starts, ends = edges[flat[edges + 1]] + 1, edges[~flat[edges + 1]]
    if flat[0]:
        starts = np.insert(starts, 0, 0)
    if flat[-1]:
        ends = np.append(ends, n - 1)
    runs = []
    for s0, e0 in zip(starts, ends, strict=True):
        s0, e0 = s0 - k, e0 + k  # the local test is blind within k points of a bend
        s0, e0 = max(s0, runs[-1][1] if runs else 0), min(e0, n - 1)
        s = s0
        while e0 - s + 1 >= min_run:
            e = _longest_from(pts, s, e0, tol)
            run = _unbowed(pts, s, e, tol, min_run, shrink)
            if run:
                runs.append(run)
            elif shrink and s < s0 + k:
                s += 1  # started in the bend before the stretch: try from a point further on
                continue
            s = max(e, s + 1)
    return runs


def corner_runs(
    pts: np.ndarray, corners: list[int], tol: float = LINE_TOLERANCE, min_len: int = 6
) -> list[tuple[int, int]]:
    """Straight stretches of an open polyline between its corners (or ends), too short for
    :func:`straight_runs` but unambiguous: bounded by corners, a short piece of arc does not
    pass for a line.  The two points next to a corner (its rounded tip) are left out."""
    cuts = [0, *corners, len(pts) - 1]
    out = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        s = a + (2 if a in corners else 0)
        e = b - (2 if b in corners else 0)
        piece = pts[s : e + 1]
        if e - s + 1 >= min_len and _chord_deviation(piece) <= tol and _bow(piece) <= 0.4 * tol:
            out.append((s, e))
    return out


def curved_point(pts: np.ndarray) -> int:
    """The index where the contour is locally least straight (a start for :func:`straight_runs`)."""
    return int(_local_deviation(pts, True).argmax())


def fitted_line(pts: np.ndarray, snap: float) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares line through ``pts`` as (point, unit direction along the run); exactly
    horizontal or vertical when the run's rise across its length is within ``snap``."""
    centre = pts.mean(0)
    spread = pts - centre
    _, vectors = np.linalg.eigh(spread.T @ spread)
    direction = vectors[:, -1]
    if direction @ (pts[-1] - pts[0]) < 0:
        direction = -direction
    extent = float(np.abs(spread @ direction).max()) * 2
    if abs(direction[1]) * extent <= snap:
        direction = np.array([np.sign(direction[0]) or 1.0, 0.0])
    elif abs(direction[0]) * extent <= snap:
        direction = np.array([0.0, np.sign(direction[1]) or 1.0])
    return centre, direction


def project(point: np.ndarray, centre: np.ndarray, direction: np.ndarray) -> np.ndarray:
    return centre + direction * float((point - centre) @ direction)


def intersect(c0, d0, c1, d1) -> np.ndarray | None:
    """Where two lines (point, direction) cross; None when nearly parallel."""
    det = d0[0] * d1[1] - d0[1] * d1[0]
    if abs(det) < 0.1:  # under ~6°: no corner worth sharpening
        return None
    diff = c1 - c0
    t = (diff[0] * d1[1] - diff[1] * d1[0]) / det
    return c0 + t * d0


def settled_end(pts: np.ndarray, run, line, tol: float, at_end: bool) -> int:
    """A run's end index moved back (by up to LOCAL_SPAN points) to where the points still lie
    on its line: a run may reach a pixel or two into the arc that follows it (an arc departs
    from its tangent quadratically), and a curve made tangent to the line there turns too
    sharply."""
    s, e = run
    idx = (
        np.arange(e, max(e - LOCAL_SPAN, s + MIN_RUN // 2) - 1, -1)
        if at_end
        else (np.arange(s, min(s + LOCAL_SPAN, e - MIN_RUN // 2) + 1))
    )
    if len(idx) == 0:
        return e if at_end else s
    centre, direction = line
    rel = pts[idx] - centre
    off = np.abs(rel[:, 0] * direction[1] - rel[:, 1] * direction[0])
    on = np.nonzero(off <= 0.4 * tol)[0]
    return int(idx[on[0]] if len(on) else idx[-1])
