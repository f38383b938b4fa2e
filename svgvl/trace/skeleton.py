"""Centre-lines: a one-pixel skeleton walked into polylines, and polylines fitted as paths.

A thinned mask is a graph of pixels.  Chains run between free ends and junctions; a junction's
pixels are one node; thinning's short side branches go; and at a node a chain continues into
the one that carries on in its direction, so that a cross is two lines, not four.  The
polylines are then fitted with the fewest lines and cubics by :mod:`.fit`.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from ..svg.pathdata import Command
from .fit import (
    fit_contour,
    fit_with_lines,
    piece_commands,
    polygon_area,
    resample,
)
from .lines import LINE_TOLERANCE, corner_runs, straight_runs
from .morphology import components
from .primitives import recognise, shape_path

# Points (~px) a centre-line's straight run needs: more than a contour's, since a thin line's
# centre, found from coverage, lies flat along each row of pixels it crosses, which makes short
# stretches of a gentle arc look straight.
CENTRE_MIN_RUN = 16
SHORT_RUN = 10

_OFFSETS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


def skeletonize(mask: np.ndarray) -> np.ndarray:
    """One-pixel-wide skeleton (scikit-image's compiled thinning, loaded without importing
    skimage.morphology and, with it, scipy.ndimage: half a second per CLI call)."""
    try:
        import glob
        import importlib.util
        import os

        import skimage

        found = glob.glob(
            os.path.join(skimage.__path__[0], "morphology", "_skeletonize_various_cy*")
        )
        spec = importlib.util.spec_from_file_location(
            "skimage.morphology._skeletonize_various_cy", found[0]
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        thin = module._fast_skeletonize
    except (ImportError, IndexError, AttributeError):
        from skimage.morphology import skeletonize as thin
    padded = np.pad(mask.astype(np.uint8), 1)
    return np.asarray(thin(padded), dtype=bool)[1:-1, 1:-1]


def _adjacency(skel: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
    """Skeleton pixels (ys, xs) and their neighbours, without the diagonal links that a
    4-connected path already makes (those give staircases false junctions)."""
    h, w = skel.shape
    pad = np.pad(skel, 1)
    ys, xs = np.nonzero(skel)
    index = np.full((h + 2, w + 2), -1, dtype=np.int64)
    index[ys + 1, xs + 1] = np.arange(len(ys))
    adjacency: list[list[int]] = [[] for _ in range(len(ys))]
    for dy, dx in _OFFSETS:
        there = pad[ys + 1 + dy, xs + 1 + dx]
        if dy and dx:
            there &= ~(pad[ys + 1 + dy, xs + 1] | pad[ys + 1, xs + 1 + dx])
        for a in np.nonzero(there)[0].tolist():
            adjacency[a].append(int(index[ys[a] + 1 + dy, xs[a] + 1 + dx]))
    return ys, xs, adjacency


def centre_lines(
    skel: np.ndarray, spur: float = 2.0
) -> tuple[list[tuple[np.ndarray, bool]], np.ndarray]:
    """Polylines (points (x, y) at pixel centres, closed?) along a skeleton, and its junctions.

    Chains run between ends and junctions; a junction's pixels become one node at their
    centroid; side branches shorter than ``spur`` pixels ending free are thinning artefacts
    and go; at a node two chains are joined when one continues the other's direction (or when
    only two meet there, a corner).
    """
    ys, xs, adjacency = _adjacency(skel)
    n = len(ys)
    if n == 0:
        return [], np.zeros((0, 2))
    pts = np.stack([xs + 0.5, ys + 0.5], axis=1).astype(float)
    degree = np.array([len(a) for a in adjacency])
    junction = degree >= 3
    node = np.full(n, -1)
    centroids = []
    if junction.any():
        jmask = np.zeros(skel.shape, dtype=bool)
        jmask[ys[junction], xs[junction]] = True
        labels = components(jmask)[ys, xs]
        ids = {v: i for i, v in enumerate(np.unique(labels[junction]).tolist())}
        node[junction] = [ids[v] for v in labels[junction].tolist()]
        centroids = [pts[node == i].mean(0) for i in range(len(ids))]
    visited = np.zeros(n, dtype=bool)
    chains: list[list[int]] = []
    closed_chains: list[list[int]] = []
    seen_links: set[tuple[int, int]] = set()
    for start in np.nonzero(degree != 2)[0].tolist():
        if degree[start] == 0:
            chains.append([start])
            continue
        for nxt in adjacency[start]:
            if (start, nxt) in seen_links or (degree[nxt] == 2 and visited[nxt]):
                continue
            chain, prev, cur = [start, nxt], start, nxt
            while degree[cur] == 2 and not visited[cur]:
                visited[cur] = True
                a, b = adjacency[cur]
                prev, cur = cur, (b if a == prev else a)
                chain.append(cur)
            seen_links.add((chain[-1], chain[-2]))
            seen_links.add((start, nxt))
            if node[chain[0]] >= 0 and node[chain[0]] == node[chain[-1]] and len(chain) <= 3:
                continue  # inside one junction
            chains.append(chain)
    for start in np.nonzero((degree == 2) & ~visited)[0].tolist():
        if visited[start]:
            continue
        chain, prev, cur = [start], adjacency[start][0], start
        visited[start] = True
        while True:
            a, b = adjacency[cur]
            prev, cur = cur, (b if a == prev else a)
            if cur == start or visited[cur]:
                break
            visited[cur] = True
            chain.append(cur)
        closed_chains.append(chain)
    lines = _join(chains, pts, node, centroids, spur) + [(pts[c], True) for c in closed_chains]
    return lines, np.array(centroids).reshape(-1, 2)


def _join(chains, pts, node, centroids, spur) -> list[tuple[np.ndarray, bool]]:
    """Chains with their junction ends moved to the node, spurs dropped, and continuing
    chains joined across nodes."""
    lines = []
    ends: dict[int, list[tuple[int, int]]] = defaultdict(list)  # node → (line, 0 start/1 end)
    for chain in chains:
        p = pts[chain]
        a, b = node[chain[0]], node[chain[-1]]
        if a >= 0:
            p = np.vstack([centroids[a], p[1:]]) if len(p) > 1 else p
        if b >= 0:
            p = np.vstack([p[:-1], centroids[b]]) if len(p) > 1 else p
        lines.append((p, a, b))
    length = [float(np.linalg.norm(np.diff(p, axis=0), axis=1).sum()) for p, _, _ in lines]
    count = defaultdict(int)
    for _, a, b in lines:
        for v in (a, b):
            if v >= 0:
                count[v] += 1
    alive = []
    for i, (_p, a, b) in enumerate(lines):
        free = (a < 0) + (b < 0)
        at = a if a >= 0 else b
        if free == 1 and length[i] < spur and count[at] >= 3:
            count[at] -= 1
            continue
        alive.append(i)
    for i in alive:
        _, a, b = lines[i]
        if a >= 0:
            ends[a].append((i, 0))
        if b >= 0:
            ends[b].append((i, 1))
    link: dict[tuple[int, int], tuple[int, int]] = {}
    for here in ends.values():
        if len(here) == 2:
            link[here[0]], link[here[1]] = here[1], here[0]
            continue
        outward = {}
        for i, e in here:
            p = lines[i][0] if e == 0 else lines[i][0][::-1]
            k = min(len(p) - 1, 4)
            d = p[k] - p[0]
            outward[(i, e)] = d / max(float(np.hypot(*d)), 1e-9)
        pairs = sorted(
            (float(outward[x] @ outward[y]), x, y)
            for ix, x in enumerate(here)
            for y in here[ix + 1 :]
            if x[0] != y[0] or len(here) == 2
        )
        for cos, x, y in pairs:
            if cos > -0.8:
                break
            if x not in link and y not in link:
                link[x], link[y] = y, x
    out = []
    used = set()

    def walk(i, e):
        """Follow links from line i entered at end e; return points and whether it closed."""
        parts = []
        first = (i, e)
        while True:
            used.add(i)
            p = lines[i][0] if e == 0 else lines[i][0][::-1]
            parts.append(p if not parts else p[1:])
            nxt = link.get((i, 1 - e))
            if nxt is None:
                return np.vstack(parts), False
            if nxt == first:
                return np.vstack(parts)[:-1], True
            if nxt[0] in used:
                return np.vstack(parts), False
            i, e = nxt
        # unreachable

    for i in alive:  # lines with a free (unlinked) end first: open polylines
        if i in used:
            continue
        for e in (0, 1):
            if (i, e) not in link:
                out.append(walk(i, e))
                break
    for i in alive:  # what remains is linked at both ends: loops
        if i not in used:
            out.append(walk(i, 0))
    return out


def _open_corners(pts: np.ndarray, angle_deg: float, reach: int = 3) -> list[int]:
    n = len(pts)
    if n < 2 * reach + 1:
        return []
    i = np.arange(reach, n - reach)
    a, b = pts[i] - pts[i - reach], pts[i + reach] - pts[i]
    cos = (a * b).sum(1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-9)
    turn = np.degrees(np.arccos(np.clip(cos, -1, 1)))
    out: list[int] = []
    for j in np.nonzero(turn > angle_deg)[0].tolist():
        lo, hi = max(0, j - reach), min(len(turn), j + reach + 1)
        if turn[j] >= turn[lo:hi].max() and not (out and i[j] - out[-1] <= reach):
            out.append(int(i[j]))
    return out


def _meets_bend(pts: np.ndarray, s: int, e: int, reach: int = 6, angle: float = 20) -> bool:
    """Whether the run s..e of an open polyline ends at a free end or where the line bends by
    more than ``angle`` degrees within ``reach`` points: a flat stretch of a gentle arc (or of
    points placed on a straight line across a junction) does neither."""
    n = len(pts)
    if s <= 1 or e >= n - 2:
        return True
    along = pts[e] - pts[s]
    cos = math.cos(math.radians(angle))
    for d in (pts[s] - pts[max(s - reach, 0)], pts[min(e + reach, n - 1)] - pts[e]):
        if d @ along < cos * float(np.hypot(*d) * np.hypot(*along)):
            return True
    return False


def fit_centre_line(
    pts: np.ndarray,
    closed: bool,
    tolerance: float,
    corner_angle: float,
    junctions: np.ndarray | None = None,
    reach: float = 0.0,
    width: float = 0.0,
) -> list[Command]:
    """Absolute M/L/C(/Z) commands along a centre-line, within ``tolerance`` pixels: straight
    stretches as exact lines (:func:`.fit.fit_with_lines`).  Points within ``reach`` of one of
    the ``junctions`` are placed only roughly, and do not keep two lines from meeting; a stroke
    ``width`` wide cuts its corners by a fraction of it."""
    if closed and len(pts) >= 4:
        # A ring drawn as a circle, an ellipse or a (rounded) rectangle comes back as one.
        shape = recognise(pts, polygon_area(pts), tolerance)
        if shape:
            return shape_path(shape)
        return fit_contour(pts, tolerance, corner_angle, settle=True)
    if len(pts) == 1:
        x, y = map(float, pts[0])
        return [("M", (x, y)), ("L", (x + 0.01, y))]
    dense = resample(pts, 1.0)
    if not np.allclose(dense[-1], pts[-1]):
        dense = np.vstack([dense, pts[-1:]])
    corners = _open_corners(dense, corner_angle)
    line_tol = min(LINE_TOLERANCE, tolerance)
    runs = straight_runs(dense, line_tol, CENTRE_MIN_RUN, closed=False, shrink=True)
    # Shorter runs where they are straight to within half the tolerance (an arrow head's
    # arms): over 10 px that rules out arcs of radius under ~250 px.
    short = straight_runs(dense, line_tol / 2, SHORT_RUN, closed=False, shrink=True)
    short = [r for r in short if _meets_bend(dense, *r)]  # not a flat stretch of an arc
    short += corner_runs(dense, corners, line_tol)
    for s, e in short:
        if not any(s <= e1 and s1 <= e for s1, e1 in runs):
            runs.append((s, e))
    if runs:
        loose = np.zeros(len(dense), dtype=bool)
        for j in junctions if junctions is not None else ():
            loose |= np.hypot(*(dense - j).T) < reach
        slack = 0.2 * width
        return fit_with_lines(dense, sorted(runs), tolerance, corners, False, loose, slack, True)
    cut = [0, *corners, len(dense) - 1]
    commands: list[Command] = [("M", tuple(map(float, dense[0])))]
    for a, b in zip(cut, cut[1:], strict=False):
        commands.extend(piece_commands(dense[a : b + 1], tolerance))
    return commands
