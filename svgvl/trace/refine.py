"""Refine: rasterize-and-compare local optimisation of a traced drawing against its input.

Gradient-based optimisation through a soft rasterizer costs ~0.5 s per step on a CPU; cairo draws
a traced icon in about a millisecond.  So refinement is derivative-free: first each path's colour
is set to the mean of the input pixels it shows, then control points are nudged one at a time
and a nudge is kept only if the squared error of the fast render goes down, with the step
shrinking as nudges stop paying.  The result is checked with the reference renderer (cairosvg)
and SSIM: refinement never returns a drawing that scores worse than the one it was given.
"""

from __future__ import annotations

import copy
import time

import numpy as np

from ..metrics import ssim
from ..render import rasterize, rasterize_drawing
from ..svg import write
from ..svg.model import Drawing
from ..svg.style import hex_color


def _target(rgba: np.ndarray) -> np.ndarray:
    alpha = rgba[..., 3:4].astype(np.float32) / 255
    return rgba[..., :3].astype(np.float32) * alpha + 255 * (1 - alpha)


def _error(drawing: Drawing, target: np.ndarray) -> float:
    h, w = target.shape[:2]
    out = rasterize_drawing(drawing, w, h).astype(np.float32)
    return float(((out - target) ** 2).mean())


def _reference_ssim(drawing: Drawing, target_u8: np.ndarray, precision: int) -> float:
    h, w = target_u8.shape[:2]
    return ssim(rasterize(write(drawing, precision=precision), size=(w, h)), target_u8)


def _recolour(drawing: Drawing, target: np.ndarray) -> Drawing:
    """Each path's colour becomes the mean of the input where that path is the one seen."""
    h, w = target.shape[:2]
    ids = copy.deepcopy(drawing)
    for i, path in enumerate(ids.paths):
        path.fill = hex_color(((i + 1) & 255, ((i + 1) >> 8) & 255, 0))
        path.fill_opacity = path.opacity = 1.0
    index = rasterize_drawing(ids, w, h).astype(np.int32)
    owner = index[..., 0] + (index[..., 1] << 8) - 1
    # Only pixels well inside a path (the id render is anti-aliased too): 3×3 agreement.
    padded = np.pad(owner, 1, mode="edge")
    stable = np.ones_like(owner, dtype=bool)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            stable &= padded[dy : dy + h, dx : dx + w] == owner
    out = copy.deepcopy(drawing)
    for i, path in enumerate(out.paths):
        mask = stable & (owner == i)
        if mask.sum() >= 4 and path.fill.startswith("#"):
            path.fill = hex_color(target[mask].mean(0))
    return out


def refine(
    drawing: Drawing, rgba: np.ndarray, seconds: float, precision: int = 1, seed: int = 0
) -> Drawing:
    """Improve ``drawing`` (traced from ``rgba``, in its pixel units) for about ``seconds``."""
    deadline = time.perf_counter() + seconds
    target = _target(rgba)
    target_u8 = np.rint(target).astype(np.uint8)
    if (
        any(p.fill.startswith("url(") or p.clip_path or p.mask for p in drawing.paths)
        or not drawing.paths
    ):
        return drawing
    start_score = _reference_ssim(drawing, target_u8, precision)
    best = _recolour(drawing, target)
    best_error = _error(best, target)
    if _error(drawing, target) < best_error:
        best, best_error = copy.deepcopy(drawing), _error(drawing, target)
    # Every movable coordinate: (path, command, offset in the coordinate tuple).
    handles = [
        (i, j, k)
        for i, p in enumerate(best.paths)
        for j, (letter, c) in enumerate(p.d)
        for k in range(len(c))
        if letter != "Z"
    ]
    rng = np.random.default_rng(seed)
    step, tried, kept = 0.5, 0, 0
    while handles and time.perf_counter() < deadline:
        i, j, k = handles[rng.integers(len(handles))]
        letter, coords = best.paths[i].d[j]
        for delta in (step, -step):
            moved = list(coords)
            moved[k] += delta
            best.paths[i].d[j] = (letter, tuple(moved))
            error = _error(best, target)
            if error < best_error:
                best_error, kept = error, kept + 1
                best.paths[i].shape = None  # no longer the exact basic shape
                break
            best.paths[i].d[j] = (letter, coords)
        tried += 1
        if tried % 200 == 0:
            if kept < 10:
                step = max(0.05, step / 2)
            kept = 0
    if _reference_ssim(best, target_u8, precision) >= start_score:
        return best
    return drawing
