"""How shapes stand to each other, and to a mirror: read from rendered masks, not geometry.

Masks make one rule serve circles, strokes, curves and holes alike: a shape contains another
when nearly all of the other's pixels lie in what it encloses (its pixels with their holes
filled: a stroked ring encloses its inside), two overlap when they share more than a sliver of
pixels, and they touch when they share none but meet within a pixel.  The thresholds forgive
anti-aliasing, not real gaps.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

CONTAINED = 0.97  # of the smaller shape's pixels inside the larger one
SLIVER = 0.02  # of the smaller shape's pixels shared: less is a touch, not an overlap
MIRROR_MISMATCH = 0.03  # of the ink pixels differing from their mirror image: still symmetric


def relate(shapes, masks: np.ndarray, scale: float) -> None:
    """Fill each shape's ``area``, ``contains``, ``overlaps`` and ``touches`` from ``masks``
    (one boolean image per shape, pixels of ``scale`` drawing units)."""
    if not shapes:
        return
    areas = masks.reshape(len(masks), -1).sum(1)
    boxes = [_box(m) for m in masks]
    # What a shape encloses, for containment: a ring drawn as a stroke holds what lies in it.
    regions = [
        ndimage.binary_fill_holes(m) if b is not None else m
        for m, b in zip(masks, boxes, strict=True)
    ]
    grown = None
    for shape, area in zip(shapes, areas, strict=True):
        shape.area = round(float(area) * scale * scale, 1)
    for i in range(len(shapes)):
        for j in range(i + 1, len(shapes)):
            if boxes[i] is None or boxes[j] is None or not _near(boxes[i], boxes[j]):
                continue
            for big, little in ((i, j), (j, i)):
                if regions[big].sum() > areas[little] and (
                    (regions[big] & masks[little]).sum() >= CONTAINED * areas[little]
                ):
                    shapes[big].contains.append(little)
            shared = int((masks[i] & masks[j]).sum())
            if shared > max(2, SLIVER * min(areas[i], areas[j])):
                shapes[i].overlaps.append(j)
                shapes[j].overlaps.append(i)
                continue
            if grown is None:
                grown = {}
            if i not in grown:
                grown[i] = ndimage.binary_dilation(masks[i], iterations=1)
            if (grown[i] & masks[j]).any():
                shapes[i].touches.append(j)
                shapes[j].touches.append(i)
    for shape in shapes:
        shape.overlaps.sort()
        shape.touches.sort()
        shape.contains.sort()


def _box(mask: np.ndarray):
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if not len(rows):
        return None
    return cols[0], rows[0], cols[-1], rows[-1]


def _near(a, b) -> bool:
    return a[0] <= b[2] + 1 and b[0] <= a[2] + 1 and a[1] <= b[3] + 1 and b[1] <= a[3] + 1


def symmetry(image: np.ndarray) -> dict[str, bool]:
    """Whether the ink (what is not paper: transparent or near-white) mirrors onto itself
    left to right and top to bottom, about the middle of its own bounding box."""
    rgb = image[..., :3].astype(int)
    ink = rgb.min(-1) < 235
    if image.shape[-1] == 4:
        ink &= image[..., 3] >= 128
    box = _box(ink)
    if box is None:
        return {"left-right": False, "top-bottom": False}
    x0, y0, x1, y1 = box
    rgb, ink = rgb[y0 : y1 + 1, x0 : x1 + 1], ink[y0 : y1 + 1, x0 : x1 + 1]
    out = {}
    for name, axis in (("left-right", 1), ("top-bottom", 0)):
        mirror, mirror_ink = np.flip(rgb, axis), np.flip(ink, axis)
        # A pixel of give at every edge: the mirror axis rarely falls on a pixel boundary.
        differ = (ink & ~ndimage.binary_dilation(mirror_ink)) | (
            mirror_ink & ~ndimage.binary_dilation(ink)
        )
        core = ndimage.binary_erosion(ink) & ndimage.binary_erosion(mirror_ink)
        differ |= core & (np.abs(rgb - mirror).max(-1) > 60)
        out[name] = bool(differ.sum() <= MIRROR_MISMATCH * (ink | mirror_ink).sum())
    return out
