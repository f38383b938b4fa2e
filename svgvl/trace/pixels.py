"""Pixel art: blocks of constant colour on a grid, traced as crisp rectilinear polygons.

Nearest-neighbour upscaling turns every source pixel into a k×k block, so every colour change
in the image falls on a grid line ``offset + n·k``.  :func:`find_grid` reads the period and
offset off the positions where colours change (their greatest common divisor); since *every*
change lies on the grid, every cell is constant by construction.  An anti-aliased render or a
JPEG changes colour between almost every pair of neighbours, so its period is 1 and it is not
pixel art.

:func:`trace_pixels` draws one path per colour, in input pixels: the union of the colour's
cells, as the closed boundary loops of the region on the grid lattice with only the corners as
vertices — squares stay squares at any zoom.  Outer loops run clockwise and holes
anticlockwise, so the default nonzero rule (and even-odd alike) leaves the holes open.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import reduce

import numpy as np
from PIL import Image

from ..svg.model import Drawing, Path
from ..svg.style import hex_color

# Colours beyond this many among the cells are quantised by median cut (a
# nearest-neighbour upscaled photo is not pixel art a user wants one path per colour of).
MAX_EXACT_COLORS = 256
MAX_QUANTISED_COLORS = 32  # ... to this many, as the tracer's palette does
# Cell edges between colours beyond which an image is no pixel art (noise, a photo): its SVG
# would run to megabytes and take minutes to write.
MAX_EDGES = 250_000


class TooDetailed(ValueError):
    """The image changes colour between too many cells to be traced as pixel art."""


@dataclass(frozen=True)
class Grid:
    """Cell boundaries along each axis: ``xs[i]``..``xs[i + 1]`` is cell column i, in pixels."""

    xs: np.ndarray
    ys: np.ndarray

    @property
    def period(self) -> int:
        """The common cell size (cells cut by the image border may be smaller)."""
        inner = np.concatenate([np.diff(self.xs[1:-1]), np.diff(self.ys[1:-1])])
        return int(inner.max()) if inner.size else int(max(self.xs[-1], self.ys[-1]))


def _packed(rgba: np.ndarray) -> np.ndarray:
    """One uint32 per pixel; every fully transparent pixel the same (its RGB is invisible)."""
    packed = np.ascontiguousarray(rgba, dtype=np.uint8).view(np.uint32)[..., 0]
    clear = rgba[..., 3] == 0
    return np.where(clear, np.uint32(0), packed) if clear.any() else packed


def _period(changes: np.ndarray) -> int | None:
    """The largest step that every change position (a sorted array) is a multiple of, apart
    from a common offset; None when fewer than two changes say nothing about a step."""
    if len(changes) < 2:
        return None
    return int(reduce(math.gcd, np.diff(changes).tolist()))


def _lines(size: int, period: int, offset: int) -> np.ndarray:
    inner = np.arange(offset % period or period, size, period)
    return np.concatenate([[0], inner[inner < size], [size]])


def find_grid(rgba: np.ndarray, minimum: int = 2) -> Grid | None:
    """The grid of a nearest-neighbour upscaled image (cells of at least ``minimum`` pixels on a
    side), or None when it is not one.  ``minimum=1`` always answers (pixels as cells); an
    image of one colour is one cell."""
    packed = _packed(rgba)
    height, width = packed.shape
    xs = np.nonzero((packed[:, 1:] != packed[:, :-1]).any(0))[0] + 1
    ys = np.nonzero((packed[1:] != packed[:-1]).any(1))[0] + 1
    if not len(xs) and not len(ys):
        return Grid(np.array([0, width]), np.array([0, height]))  # one colour: one cell
    px, py = _period(xs), _period(ys)
    if px is None and py is None:
        if minimum > 1:
            return None  # one change per axis: no step to read
        px = py = 1
    px, py = px or py, py or px
    if min(px, py) < minimum:
        return None
    return Grid(
        _lines(width, px, int(xs[0]) if len(xs) else 0),
        _lines(height, py, int(ys[0]) if len(ys) else 0),
    )


def _cell_labels(
    rgba: np.ndarray, grid: Grid, colors: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per cell a colour index (-1: transparent) and the (K, 4) RGBA colours.  The exact
    colours, unless there are very many or ``colors`` asks for fewer: then they are quantised
    (and half-transparent cells become opaque or transparent)."""
    cells = rgba[grid.ys[:-1]][:, grid.xs[:-1]]
    packed = _packed(cells)
    visible = cells[..., 3] > 0
    values, inverse = np.unique(packed[visible], return_inverse=True)
    labels = np.full(packed.shape, -1, dtype=np.int64)
    if len(values) <= (MAX_EXACT_COLORS if colors is None else colors):
        labels[visible] = inverse
        colors = values.astype(np.uint32).view(np.uint8).reshape(-1, 4)
        return labels, colors
    # Median cut (Pillow's, in C): the tracer's palette search costs minutes on a noisy image.
    opaque = cells[..., 3] >= 128
    image = Image.fromarray(np.ascontiguousarray(cells[..., :3]))
    count = colors or MAX_QUANTISED_COLORS
    quantised = image.quantize(count, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    palette = np.array(quantised.getpalette()[: 3 * count], dtype=np.uint8).reshape(-1, 3)
    labels = np.where(opaque, np.asarray(quantised).astype(np.int64), -1)
    colors_rgba = np.concatenate([palette, np.full((len(palette), 1), 255, np.uint8)], axis=1)
    return labels, colors_rgba


def boundary_loops(mask: np.ndarray) -> list[np.ndarray]:
    """The closed boundary loops of a boolean cell mask, each an (N, 2) array of lattice corners
    (x, y) with the region on the right of the direction of travel (clockwise on screen for
    outer edges); horizontal and vertical edges alternate, so only corners are listed.

    Cells touching at a corner only belong to separate loops.  Vectorised: corners are found
    from each lattice vertex's 2×2 cells, each edge's end is the next corner along its row or
    column, and loops are ordered by pointer jumping instead of walking them point by point.
    """
    m = np.pad(mask.astype(bool), 1)
    a, b, c, d = m[:-1, :-1], m[:-1, 1:], m[1:, :-1], m[1:, 1:]  # cells around each vertex
    corner = ~((a == b) & (c == d)) & ~((a == c) & (b == d))
    # Outgoing edge at a vertex going east, south, west, north (y down), the region on the
    # right of travel.
    out = np.stack([d & ~b, c & ~d, a & ~c, b & ~a], axis=-1) & corner[..., None]
    vy, vx = np.nonzero(corner)  # row-major order
    if len(vy) == 0:
        return []
    n = len(vy)
    row_major = np.arange(n)
    col_order = np.lexsort((vy, vx))  # column-major order of the corners
    col_rank = np.empty(n, dtype=np.int64)
    col_rank[col_order] = np.arange(n)
    # The corner an edge reaches: the next corner along its row (east/west) or column.
    reach = np.stack(
        [
            np.minimum(row_major + 1, n - 1),
            col_order[np.minimum(col_rank + 1, n - 1)],
            np.maximum(row_major - 1, 0),
            col_order[np.maximum(col_rank - 1, 0)],
        ],
        axis=1,
    )
    corner_dirs = out[vy, vx]  # (n, 4)
    edge_corner, edge_dir = np.nonzero(corner_dirs)
    edge_id = np.full((n, 4), -1, dtype=np.int64)
    edge_id[edge_corner, edge_dir] = np.arange(len(edge_corner))
    end = reach[edge_corner, edge_dir]
    # At the end corner turn right if the region allows (a saddle offers both), else left.
    right, left = (edge_dir + 1) % 4, (edge_dir + 3) % 4
    nxt = np.where(edge_id[end, right] >= 0, edge_id[end, right], edge_id[end, left])
    order, loop = _cycles(nxt)
    starts = np.flatnonzero(np.r_[True, loop[order][1:] != loop[order][:-1]])
    pts = np.stack([vx[edge_corner], vy[edge_corner]], axis=1)[order]
    return np.split(pts, starts[1:])


def _cycles(nxt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a permutation ``nxt`` (disjoint cycles): the nodes ordered cycle by cycle, each cycle
    in travel order from its smallest node, and each node's cycle id (its smallest node)."""
    n = len(nxt)
    # Smallest node of each cycle by pointer jumping: min over 1, 2, 4, ... steps ahead.
    low, jump = np.arange(n), nxt.copy()
    for _ in range(max(1, int(n).bit_length())):
        low = np.minimum(low, low[jump])
        jump = jump[jump]
    # Distance of each node from its cycle's start: cut each cycle before its start and rank
    # the chains (Wyllie's list ranking).
    succ = np.where(nxt == low, -1, nxt)
    dist = (succ >= 0).astype(np.int64)  # steps to the chain's end
    while (succ >= 0).any():
        live = succ >= 0
        dist[live] += dist[succ[live]]
        succ = np.where(live, succ[np.maximum(succ, 0)], -1)
    order = np.lexsort((-dist, low))
    return order, low


def _loops_path(loops: list[np.ndarray], grid: Grid) -> list:
    d = []
    for loop in loops:
        xs, ys = grid.xs[loop[:, 0]].astype(float), grid.ys[loop[:, 1]].astype(float)
        d.append(("M", (xs[0], ys[0])))
        d.extend(("L", (x, y)) for x, y in zip(xs[1:].tolist(), ys[1:].tolist(), strict=True))
        d.append(("Z", ()))
    return d


def _grow(mask: np.ndarray) -> np.ndarray:
    """``mask`` and its 8 neighbours: one cell further."""
    p = np.pad(mask, 1)
    h, w = mask.shape
    out = mask.copy()
    for dy in range(3):
        for dx in range(3):
            out |= p[dy : dy + h, dx : dx + w]
    return out


def trace_pixels(rgba: np.ndarray, grid: Grid | None = None, colors: int | None = None) -> Drawing:
    """Trace an RGBA uint8 image as pixel art on ``grid`` (default: :func:`find_grid`, else
    every pixel a cell): one path per colour, crisp right angles, coordinates in input pixels.
    ``colors``: at most this many colours (default: the image's own, up to 256).  Raises
    :class:`TooDetailed` for an image whose cells change colour more than :data:`MAX_EDGES`
    times.

    An opaque background colour (the one on most of the border) is one rectangle under the
    others — left out when white and not alone, as the tracer does; the other colours are
    stacked (see below), half-transparent ones on top, each exactly its own cells.
    """
    height, width = rgba.shape[:2]
    grid = grid or find_grid(rgba, minimum=1)
    drawing = Drawing(width=float(width), height=float(height))
    labels, colors = _cell_labels(rgba, grid, colors)
    edges = int((labels[:, 1:] != labels[:, :-1]).sum() + (labels[1:] != labels[:-1]).sum())
    if edges > MAX_EDGES:
        raise TooDetailed(
            f"{edges:,} colour changes between its {labels.size:,} pixel-art cells (at most "
            f"{MAX_EDGES:,}): this is not pixel art; trace it with mode fill"
        )
    if not len(colors):
        return drawing
    area = np.bincount(labels[labels >= 0], minlength=len(colors))
    order = [int(i) for i in np.argsort(-area, kind="stable") if area[i] > 0]
    border = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    counts = np.bincount(border[border >= 0], minlength=len(colors))
    background = int(counts.argmax()) if counts.any() else -1
    filled = bool((labels >= 0).all())
    if (
        filled
        and background >= 0
        and counts[background] >= 0.5 * len(border)
        and colors[background, 3] == 255
    ):
        order.remove(background)
        if order == [] or not (colors[background, :3] >= 245).all():
            box = [("M", (0.0, 0.0)), ("L", (float(width), 0.0))]
            box += [("L", (float(width), float(height))), ("L", (0.0, float(height))), ("Z", ())]
            drawing.paths.append(Path(d=box, fill=hex_color(colors[background, :3])))
    elif filled and len(order) > 1 and (colors[order[0]] == 255).all():
        order.pop(0)  # white at the bottom of an opaque image: the page shows through instead
    # Stacked, as vtracer stacks: each opaque colour also covers the cells of the opaque colours
    # drawn after it, so that no edge between two colours has the background under it (two
    # anti-aliased edges meeting exactly let it show through as a hairline at most zooms).
    opaque = [i for i in order if colors[i, 3] == 255]
    rank = np.full(len(colors) + 1, -1)
    rank[opaque] = np.arange(len(opaque))
    cell_rank = rank[labels]  # label -1 (transparent) takes the last slot: -1
    for r, index in enumerate(opaque + [i for i in order if colors[i, 3] < 255]):
        if r < len(opaque):
            own = cell_rank == r
            mask = own | ((cell_rank > r) & _grow(own))
        else:
            mask = labels == index
        drawing.paths.append(
            Path(
                d=_loops_path(boundary_loops(mask), grid),
                fill=hex_color(colors[index, :3]),
                fill_opacity=round(float(colors[index, 3]) / 255, 3),
            )
        )
    return drawing


__all__ = ["Grid", "TooDetailed", "boundary_loops", "find_grid", "trace_pixels"]
