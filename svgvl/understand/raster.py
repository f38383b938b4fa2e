"""Shapes in a traced image: the tracer's colour layers cut into the pieces a reader sees.

The tracer gives one path per colour layer, bottom to top, fitted for fidelity; ``describe``
needs one outline per drawn shape.  Each layer is drawn alone on the mask grid and cut into
connected pieces.  A long piece a few pixels wide is a stroke: its centre-line (the tracer's
skeleton walk) becomes a line or polyline.  Any other piece keeps its outline, the 0.5-contour
of its coverage (the tracer's contour step), with each outline point marked *hidden* where it
borders another shape rather than the paper, since a shape above may cover part of it there.
A piece's colour is the median of the image's pixels where it is on top, away from its edge, so
that anti-aliasing and JPEG ringing do not tint it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from ..render.fast import rasterize_drawing
from ..svg import Drawing, Path
from ..svg.style import hex_color
from ..trace.fit import contours, polygon_area
from ..trace.primitives import shape_path
from ..trace.skeleton import centre_lines, skeletonize

THIN = 12.0  # pixels (of a 256 px grid): pieces at most this wide and long are strokes
SPECK = 60  # pixels (of a 256 px grid): smaller pieces are noise
PAPER = 235  # a traced layer this bright in every channel is the paper
HALO = 2.0  # pixels (of a 256 px grid): a stroke thinner than this along a fill's edge is ringing
HIDDEN_TURN = 48.0  # pixels (of a 256 px grid): how far a stroke may run hidden to a corner
ALIKE = 40.0  # layers closer than this in RGB are one colour split by noise


@dataclass
class Piece:
    pts: np.ndarray  # outline or centre-line, in the drawing's units
    closed: bool
    mask: np.ndarray  # its pixels on the grid
    color: str  # '#rrggbb'
    stroke_width: float = 0.0  # a stroke's width, in the drawing's units; 0 for a fill
    hidden: np.ndarray | None = None  # per outline point: meets another shape, not the paper
    holes: int = 0


def pieces(drawing: Drawing, rgba: np.ndarray, grid: int, paint, strokes=None, raw=None):
    """The pieces of each traced layer in the tracer's order, the size of a grid pixel in the
    drawing's units, and the image on the grid.  ``paint(path)`` gives a path's (fill,
    stroke) as '#rrggbb' or None.  ``strokes``: colours (K, 3) of thin strokes in a noisy
    image, whose layers are taken from the image's pixels of about that colour instead of
    from the trace (which breaks a thin JPEG line into dashes or drops it).  ``raw``: the
    image before its noise was taken out (default ``rgba``), which a stroke's colour is read
    from (the median filter dulls a thin line's colour further)."""
    scale = max(drawing.width, drawing.height) / grid
    width, height = max(1, round(drawing.width / scale)), max(1, round(drawing.height / scale))
    raw = rgba if raw is None else raw
    if rgba.shape[:2] != (height, width):
        rgba = np.asarray(Image.fromarray(rgba).resize((width, height), Image.Resampling.BOX))
    if raw.shape[:2] != (height, width):
        raw = np.asarray(Image.fromarray(raw).resize((width, height), Image.Resampling.BOX))
    unit = grid / 256  # THIN and SPECK are for a 256 px grid
    # White is the paper only when the picture lies on white: white art on a coloured tile
    # (a logo's glyph) is a shape like any other.
    on_paper = _on_paper(rgba)
    layers = []
    for path in drawing.paths:
        fill, stroke = paint(path)
        if (
            not fill
            and not stroke
            or (on_paper and fill and min(_rgb(fill)) >= PAPER and not stroke)
        ):
            continue
        alone = Path(
            d=path.d,
            fill="#000000" if fill else "none",
            fill_rule=path.fill_rule,
            stroke="#000000" if stroke else "none",
            stroke_width=path.stroke_width,
            stroke_linecap=path.stroke_linecap,
            stroke_linejoin=path.stroke_linejoin,
        )
        one = Drawing(width=drawing.width, height=drawing.height, paths=[alone])
        coverage = 1.0 - rasterize_drawing(one, width, height)[..., 0] / 255.0
        # A translucent fill (a duotone's tone) as it looks on white: black at 20 % is not
        # the black of the outline over it, and must not merge with it.
        alpha = path.opacity * (path.fill_opacity if fill else path.stroke_opacity)
        layers.append((_on_white(np.array(_rgb(fill or stroke), float), alpha), coverage))
    if strokes is not None and len(strokes):
        from .cleanup import stroke_coverage

        layers = [
            (color, coverage)
            for color, coverage in layers
            if np.linalg.norm(strokes - color, axis=1).min() > ALIKE / 4
        ]
        for color in strokes:
            drawn = stroke_coverage(rgba[..., :3], color)
            if drawn.sum() >= SPECK * unit * unit:
                layers.append((np.asarray(color, float), drawn.astype(float)))
    layers = _merge_alike(layers)
    regions = [c >= 0.5 for c in layers]
    above = np.zeros((height, width), bool)
    covered_from_above = []
    for region in regions[::-1]:
        covered_from_above.append(above.copy())
        above |= region
    covered_from_above.reverse()
    ink = np.zeros((height, width), np.int32)  # how many layers cover each pixel
    broad = np.zeros((height, width), np.int32)  # how many layers wider than a stroke
    for region in regions:
        ink += region
        if ndimage.distance_transform_edt(region).max() > THIN * unit / 2:
            broad += region
    out = []
    for coverage, region, covered in zip(layers, regions, covered_from_above, strict=True):
        # Where another layer's pixels come within two pixels, this one may be hidden.
        others = ndimage.binary_dilation((ink - region) > 0, iterations=2)
        fills = ndimage.binary_dilation((broad - region) > 0, iterations=2)
        layer = []
        labels, n = ndimage.label(region, structure=np.ones((3, 3)))
        for k in range(1, n + 1):
            mask = labels == k
            visible = mask & ~covered
            if mask.sum() < SPECK * unit * unit or visible.sum() < SPECK * unit * unit / 3:
                continue
            color = _median_color(rgba, visible, coverage)
            if on_paper and min(_rgb(color)) >= PAPER - 10:
                continue  # JPEG's ringing around a shape, on the paper
            piece = _stroke(mask, color, scale, unit)
            if (
                piece is not None
                and piece.stroke_width < HALO * scale * unit
                and (mask & fills).sum() > 0.7 * mask.sum()
            ):
                continue  # a JPEG's ring along a fill's edge, not a stroke
            if piece is not None:  # its colour where no fill is near to tint it
                alone = visible & ~fills
                enough = alone.sum() >= max(8, visible.sum() / 4)
                piece.color = _stroke_color(raw, alone if enough else visible)
            else:
                piece = _fill(mask, coverage, color, scale, others)
            if piece is not None:
                layer.append(piece)
        out += _join_strokes(layer, others, scale)
    # A thin line in a JPEG may come out in two layers of nearly its colour (or of its
    # colour tinted by a shape it crosses): pieces that touch are one, the rest joined across.
    fills = [p for p in out if not (p.stroke_width and not p.closed)]
    strokes = _merge_touching(
        [p for p in out if p.stroke_width and not p.closed], rgba, scale, unit
    )
    anywhere = ndimage.binary_dilation(ink > 0, iterations=2)
    return _off_strokes(fills, strokes, unit) + _join_strokes(strokes, anywhere, scale), scale, rgba


def _off_strokes(fills: list[Piece], strokes: list[Piece], unit: float) -> list[Piece]:
    """The fills less those lying within two pixels of thin strokes: where a JPEG's thin line
    crosses a fill, the tracer gives the blend of the two the nearest colour it knows (a
    red line over purple comes out brown), a piece no wider than the line beneath it."""
    if not strokes:
        return fills
    drawn = np.any([p.mask for p in strokes], axis=0)
    near = ndimage.binary_dilation(drawn, iterations=max(1, round(2 * unit)))
    return [p for p in fills if (p.mask & ~near).sum() > 0.2 * p.mask.sum()]


def fitted_masks(found: list[Piece], fits: list, drawing: Drawing, scale: float) -> np.ndarray:
    """Each piece's pixels as the shape recognised in it draws them, hidden parts included
    (a circle half under a square is a whole circle); a free path keeps its traced pixels."""
    h, w = found[0].mask.shape if found else (1, 1)
    out = np.zeros((len(found), h, w), bool)
    for i, (piece, fit) in enumerate(zip(found, fits, strict=True)):
        if fit is None:
            out[i] = piece.mask
            continue
        d = shape_path(fit)
        path = (
            Path(d=d, fill="none", stroke="#000000", stroke_width=piece.stroke_width)
            if piece.stroke_width
            else Path(d=d, fill="#000000")
        )
        one = Drawing(width=drawing.width, height=drawing.height, paths=[path])
        out[i] = rasterize_drawing(one, w, h)[..., 0] < 128
    return out


def stacking(masks: np.ndarray, colors: list[str], rgba: np.ndarray) -> list[int]:
    """The order of the pieces, bottom first, that the image shows: where two shapes share
    pixels, those pixels have the colour of the one on top.  Pairs without such evidence keep
    the tracer's order; so do cycles."""
    n = len(masks)
    rgb = rgba[..., :3].astype(float)
    palette = np.array([_rgb(c) for c in colors], float).reshape(n, 3)
    below: dict[int, set[int]] = {i: set() for i in range(n)}  # i: the pieces under i
    for i in range(n):
        for j in range(i + 1, n):
            shared = masks[i] & masks[j]
            if shared.sum() < 6:
                continue
            seen = rgb[ndimage.binary_erosion(shared) if shared.sum() > 30 else shared]
            near_i = np.linalg.norm(seen - palette[i], axis=1)
            near_j = np.linalg.norm(seen - palette[j], axis=1)
            votes_i, votes_j = (near_i < near_j).sum(), (near_j < near_i).sum()
            if votes_i > 2 * votes_j:
                below[i].add(j)
            elif votes_j > 2 * votes_i:
                below[j].add(i)
    order, left = [], list(range(n))
    while left:
        ready = [i for i in left if not (below[i] & set(left))]
        pick = min(ready) if ready else min(left)
        order.append(pick)
        left.remove(pick)
    return order


def _join_strokes(layer: list[Piece], others: np.ndarray, scale: float) -> list[Piece]:
    """Strokes of one colour whose ends face each other across another shape are one stroke
    passing beneath it, and those whose ends nearly meet one stroke broken by noise: joined,
    nearest ends first."""
    strokes = [p for p in layer if p.stroke_width and not p.closed]
    rest = [p for p in layer if not (p.stroke_width and not p.closed)]
    joined = True
    while joined and len(strokes) > 1:
        joined = False
        best = None
        for i in range(len(strokes)):
            for j in range(i + 1, len(strokes)):
                if _distance(strokes[i].color, strokes[j].color) > 1.5 * ALIKE:
                    continue
                a, b = strokes[i].pts, strokes[j].pts
                for ea, eb in ((0, 0), (0, -1), (-1, 0), (-1, -1)):
                    gap = float(np.hypot(*(a[ea] - b[eb])))
                    width = max(strokes[i].stroke_width, strokes[j].stroke_width)
                    corner = _corner(a, ea, b, eb, 3 * width) if gap <= 6 * width else None
                    if corner is None:  # a corner hidden beneath another shape; an end
                        # that reaches it is drawn out past it by about two widths (its
                        # trimmed end, half a width, the round join)
                        corner = _hidden_corner(a, ea, b, eb, others, scale, 2 * width)
                    beneath = _beneath(a[ea], b[eb], others, scale)
                    # A stub beyond a shape on a straight stroke's way: which piece it extends.
                    along = None
                    if beneath and _continues(a, ea, b, width):
                        along = 0
                    elif beneath and _continues(b, eb, a, width):
                        along = 1
                    if (best is None or gap < best[0]) and (
                        gap <= 2 * width
                        or corner is not None
                        or (beneath and _facing(a, ea, b, eb))
                        # a short gap where another stroke crosses, whose blends with this
                        # one bend both ends
                        or (beneath and gap <= 4 * width)
                        or along is not None
                    ):
                        best = (gap, i, j, ea, eb, corner, along)
        if best is not None:
            _, i, j, ea, eb, corner, along = best
            a, b = strokes[i], strokes[j]
            first = a.pts[::-1] if ea == 0 else a.pts
            second = b.pts if eb == 0 else b.pts[::-1]
            if along == 0:  # the stub laid on the line it extends
                second = _onto(second, a.pts[ea], _outward(a.pts, ea))
            elif along == 1:
                first = _onto(first, b.pts[eb], _outward(b.pts, eb))
            if corner is not None:  # the corner the noise or the tracer took away, put back
                # (an end drawn out past it cut back to it)
                u, v = _outward(a.pts, ea), _outward(b.pts, eb)
                first = np.vstack([first[(first - corner) @ u <= 0], corner[None]])
                second = second[(second - corner) @ v <= 0]
            width = (a.stroke_width * a.mask.sum() + b.stroke_width * b.mask.sum()) / (
                a.mask.sum() + b.mask.sum()
            )
            merged = Piece(
                pts=np.vstack([first, second]),
                closed=False,
                mask=a.mask | b.mask,
                color=a.color,
                stroke_width=width,
            )
            strokes = [p for k, p in enumerate(strokes) if k not in (i, j)] + [merged]
            joined = True
    return rest + strokes


def _merge_touching(strokes: list[Piece], rgba, scale: float, unit: float) -> list[Piece]:
    """Stroke pieces of one stroke that touch, as one: pieces of about one colour, or one
    tinted by what it is drawn over (a JPEG blurs a thin line's colour with the colour beneath
    it, keeping its brightness), whose pixels together have a centre-line without branches."""
    rgb = rgba[..., :3].astype(float)
    strokes = list(strokes)
    merged = True
    while merged:
        merged = False
        grown = [ndimage.binary_dilation(p.mask, iterations=1) for p in strokes]
        for i in range(len(strokes)):
            for j in range(i + 1, len(strokes)):
                a, b = strokes[i], strokes[j]
                color = _one_colour(a, b, rgb) if (grown[i] & b.mask).any() else None
                if color is None:
                    continue
                small, large = sorted((a, b), key=lambda p: p.mask.sum())
                near = ndimage.binary_dilation(large.mask, iterations=max(1, round(unit * 2)))
                if (small.mask & near).sum() >= 0.9 * small.mask.sum():
                    # the same stretch twice (in two layers' colours): the larger is it
                    piece = Piece(
                        large.pts, False, large.mask | small.mask, color, large.stroke_width
                    )
                else:
                    piece = _stroke(a.mask | b.mask, color, scale, unit, branched=False)
                if piece is None:
                    continue
                strokes = [p for k, p in enumerate(strokes) if k not in (i, j)] + [piece]
                merged = True
                break
            if merged:
                break
    return strokes


def _one_colour(a: Piece, b: Piece, rgb: np.ndarray) -> str | None:
    """The colour of two stroke pieces as one stroke, if their colours allow it: alike, or
    one the other's colour tinted by the colour around it.  The stroke's colour is that of
    the piece less pulled towards what surrounds the other: a grey line's stretch over blue
    reads bluish."""
    under_a, under_b = _surround(a, rgb), _surround(b, rgb)
    alike = _distance(a.color, b.color) <= 1.5 * ALIKE
    if not (alike or _tinted(b, a, under_b) or _tinted(a, b, under_a)):
        return None
    ca, cb = np.asarray(_rgb(a.color), float), np.asarray(_rgb(b.color), float)
    pulled_b = np.linalg.norm(cb - under_b) < np.linalg.norm(ca - under_b)
    pulled_a = np.linalg.norm(ca - under_a) < np.linalg.norm(cb - under_a)
    if pulled_b != pulled_a:
        return a.color if pulled_b else b.color
    return a.color if a.mask.sum() >= b.mask.sum() else b.color


def _surround(piece: Piece, rgb: np.ndarray) -> np.ndarray:
    """The colour just around a piece: what a stroke is drawn over."""
    ring = ndimage.binary_dilation(piece.mask, iterations=3) & ~ndimage.binary_dilation(
        piece.mask, iterations=1
    )
    return np.median(rgb[ring], axis=0) if ring.any() else np.full(3, 255.0)


def _tinted(piece: Piece, stroke: Piece, under: np.ndarray) -> bool:
    """Whether ``piece`` shows ``stroke``'s colour drawn over ``under``: a brightness and a
    colour each between the two (blurred together, the colour more than the brightness, as
    a JPEG keeps colour at half resolution)."""
    seen = np.asarray(_rgb(piece.color), float) @ _YCC.T
    own = np.asarray(_rgb(stroke.color), float) @ _YCC.T
    under = under @ _YCC.T
    low, high = sorted((own[0], under[0]))
    if not low - ALIKE / 2 <= seen[0] <= high + ALIKE / 2:
        return False
    ab = under[1:] - own[1:]
    t = np.clip((seen[1:] - own[1:]) @ ab / max(float(ab @ ab), 1e-9), 0.0, 1.0)
    return float(np.hypot(*(seen[1:] - (own[1:] + t * ab)))) <= ALIKE / 2


def _corner(a: np.ndarray, ea: int, b: np.ndarray, eb: int, reach: float, slack: float = 0.0):
    """Where two strokes' ends, carried on straight, would meet (a polyline's corner lost in
    tracing), if that is ahead of both within ``reach`` (or behind by at most ``slack``: an
    end drawn out past the corner); else None."""
    u, v = _outward(a, ea), _outward(b, eb)
    det = float(u[0] * v[1] - u[1] * v[0])
    if abs(det) < 0.2:  # near parallel: no corner (a straight gap is for _facing)
        return None
    w = b[eb] - a[ea]
    s = float(w[0] * v[1] - w[1] * v[0]) / det
    t = float(w[0] * u[1] - w[1] * u[0]) / det
    if -slack <= s <= reach and -slack <= t <= reach:
        return a[ea] + s * u
    return None


def _hidden_corner(a: np.ndarray, ea: int, b: np.ndarray, eb: int, others, scale, slack=0.0):
    """Where two strokes' ends, carried on straight beneath other shapes all the way, would
    meet within HIDDEN_TURN: a polyline turning out of sight; else None."""
    corner = _corner(a, ea, b, eb, HIDDEN_TURN * scale, slack)
    if corner is None:
        return None
    if _beneath(a[ea], corner, others, scale) and _beneath(corner, b[eb], others, scale):
        return corner
    return None


def _outward(pts: np.ndarray, end: int) -> np.ndarray:
    """The unit direction in which a centre-line leaves at ``end`` (0 or -1)."""
    inner = pts[min(len(pts) - 1, 14)] if end == 0 else pts[max(0, len(pts) - 15)]
    d = pts[end] - inner
    return d / (float(np.hypot(*d)) or 1.0)


def _facing(a: np.ndarray, ea: int, b: np.ndarray, eb: int, degrees: float = 20.0) -> bool:
    """Whether two ends point at each other along one line, as a line's two visible parts do."""
    gap = b[eb] - a[ea]
    gap = gap / (float(np.hypot(*gap)) or 1.0)
    cos = np.cos(np.radians(degrees))
    return bool(_outward(a, ea) @ gap >= cos and -(_outward(b, eb) @ gap) >= cos)


def _continues(a: np.ndarray, ea: int, b: np.ndarray, width: float) -> bool:
    """Whether the centre-line ``b`` lies ahead of ``a``'s end ``ea``, along the line that end
    leaves on (most of it within a width of that line): the stretch of a straight stroke
    beyond a shape it passes beneath.  A short stretch's own direction, bent by the blends
    at its ends, cannot say so."""
    if len(a) < 15:
        return False
    u = _outward(a, ea)
    d = b - a[ea]
    ahead = d @ u
    off = np.abs(d[:, 0] * u[1] - d[:, 1] * u[0])
    return bool((ahead > 0).all() and np.median(off) <= width)


def _onto(pts: np.ndarray, origin: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Points moved onto the line through ``origin`` along ``u``."""
    return origin + np.outer((pts - origin) @ u, u)


def _beneath(p: np.ndarray, q: np.ndarray, others: np.ndarray, scale: float) -> bool:
    """Whether the straight gap from ``p`` to ``q`` (drawing units) runs under other shapes."""
    n = max(2, int(np.hypot(*(q - p)) / scale))
    t = np.linspace(0, 1, n)[:, None]
    xy = ((p + t * (q - p)) / scale).astype(int)
    h, w = others.shape
    inside = (xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h)
    return bool(inside.all() and others[xy[:, 1], xy[:, 0]].mean() >= 0.6)


def _on_paper(rgba: np.ndarray) -> bool:
    """Whether most of the image's border is near-white (or transparent): the paper."""
    border = np.concatenate([rgba[0], rgba[-1], rgba[:, 0], rgba[:, -1]])
    clear = border[:, 3] < 128 if border.shape[1] == 4 else np.zeros(len(border), bool)
    white = border[:, :3].min(1) >= PAPER - 10
    return bool(np.mean(clear | white) >= 0.5)


def _merge_alike(layers: list[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
    """Coverages of the layers, those of about one colour (a JPEG's flat colour may come out
    as two layers) as one, at the place of the larger: distinct colours are further apart.
    A layer is not moved under one it lies on (orange dots drawn on a white ring stay above
    the ring, not merged into the orange tile below it)."""
    merged: list[list] = []
    for color, coverage in layers:
        for i, entry in enumerate(merged):
            between = merged[i + 1 :]
            if any(((c >= 0.5) & (coverage >= 0.5)).any() for _, c in between):
                continue
            if np.linalg.norm(entry[0] - color) < ALIKE:
                if coverage.sum() > entry[1].sum():
                    entry[0] = color
                entry[1] = np.maximum(entry[1], coverage)
                break
        else:
            merged.append([color, coverage])
    return [coverage for _, coverage in merged]


def _distance(a: str, b: str) -> float:
    return float(np.linalg.norm(np.subtract(_rgb(a), _rgb(b))))


def _rgb(hex_color_: str) -> tuple[int, int, int]:
    h = hex_color_.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _median_color(rgba: np.ndarray, visible: np.ndarray, coverage: np.ndarray) -> str:
    """The colour of a piece's inside: pixels it covers wholly, away from its edge where they
    are enough (a thin white line on orange is white, not the blend at its edges)."""
    solid = visible & (coverage >= 0.99)
    inner = ndimage.binary_erosion(solid, iterations=1)
    where = inner if inner.sum() >= 4 else solid if solid.sum() >= 4 else visible
    pixels = rgba[where].astype(float)
    if pixels.shape[1] == 4:  # as seen on white: a translucent tone is light, not its own ink
        pixels = _on_white(pixels[:, :3], pixels[:, 3:] / 255.0)
    return hex_color(np.median(pixels, axis=0))


def _on_white(rgb: np.ndarray, alpha) -> np.ndarray:
    """Colours (0-255) at opacity ``alpha`` (0-1) as they look on white."""
    return rgb * alpha + 255.0 * (1 - alpha)


def _stroke_color(rgba: np.ndarray, visible: np.ndarray) -> str:
    """A thin stroke's colour: the median brightness of its inside, with the colourfulness
    its most colourful tenth shows.  A JPEG keeps brightness at full resolution but colour at
    half, blurred with the paper beside the stroke: the median reads a thin blue line as
    medium blue and orange as goldenrod, while the line's middle keeps most of its colour."""
    inner = ndimage.binary_erosion(visible)
    px = rgba[..., :3][inner if inner.sum() >= 4 else visible].astype(float)
    ycc = px @ _YCC.T
    luma, chroma = float(np.median(ycc[:, 0])), ycc[:, 1:]
    toward = np.median(chroma, axis=0)
    norm = float(np.hypot(*toward))
    if norm < 1e-6:  # grey: no colour to restore
        return hex_color(np.clip(_RGB @ [luma, *toward], 0, 255))
    toward /= norm
    # At most a third more than the median: a grey line's colour is noise in every direction.
    along = chroma @ toward
    strength = min(float(np.percentile(along, 90)), 1.3 * float(np.median(along)))
    return hex_color(np.clip(_RGB @ [luma, *(toward * strength)], 0, 255))


# RGB to (luma, blue, red chroma) as JPEG codes colour (ITU-R BT.601), and back.
_YCC = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])
_RGB = np.linalg.inv(_YCC)


def _stroke(mask, color, scale, unit, branched: bool = True) -> Piece | None:
    """A long piece at most THIN wide, as its centre-line (the longest chain of its skeleton),
    reaching as far as the piece does.  ``branched=False``: None where the skeleton has
    branches beyond the longest chain (two strokes crossing)."""
    depth = ndimage.distance_transform_edt(mask)
    if 2 * depth.max() > THIN * unit:
        return None
    skeleton = skeletonize(mask)
    length, area = float(skeleton.sum()), float(mask.sum())
    # The skeleton stops half a width short of each end: area = width · (length + width).
    width = (math.sqrt(length * length + 4 * area) - length) / 2
    if length < 1.5 * width:
        return None  # a dot: a small fill
    # Two pieces put together leave a stub where they overlap at a corner: pruned further.
    lines, _ = centre_lines(skeleton, spur=width if branched else 2 * width)
    if not lines:
        return None
    pts, closed = max(lines, key=lambda line: len(line[0]))
    if not branched and sum(len(line) for line, _ in lines) > len(pts) + 2 * width + 2:
        return None
    trim = int(width)  # thinning bends a square end's last width or so towards a corner
    if not closed and len(pts) > 4 * trim + 5:
        pts = pts[trim : len(pts) - trim]
    else:
        trim = 0
    if len(pts) >= 5:  # the skeleton's pixel steps smoothed out, its ends kept
        smooth = ndimage.uniform_filter1d(pts, 5, axis=0, mode="wrap" if closed else "nearest")
        pts = np.vstack([pts[:1], smooth[1:-1], pts[-1:]]) if not closed else smooth
    if not closed and len(pts) >= 2:  # back out to the ends: what was trimmed, and half a width
        reach = trim + width / 2
        k = min(len(pts) - 1, 5)
        for end, inner in ((0, k), (-1, -1 - k)):
            direction = pts[end] - pts[inner]
            norm = float(np.hypot(*direction))
            if norm > 0:
                pts[end] = pts[end] + direction / norm * reach
    return Piece(pts=pts * scale, closed=closed, mask=mask, color=color, stroke_width=width * scale)


def _fill(mask, coverage, color, scale, others) -> Piece | None:
    """A filled piece: its outline from the coverage around it, hidden where ``others`` are."""
    around = ndimage.binary_dilation(mask, iterations=2)
    outlines = contours(np.where(around, coverage, 0.0))
    if not outlines:
        return None
    areas = [abs(polygon_area(c)) for c in outlines]
    outer = outlines[int(np.argmax(areas))]
    h, w = mask.shape
    ix = np.clip(outer[:, 0].astype(int), 0, w - 1)
    iy = np.clip(outer[:, 1].astype(int), 0, h - 1)
    return Piece(
        pts=outer * scale,
        closed=True,
        mask=mask,
        color=color,
        hidden=others[iy, ix],
        holes=len(outlines) - 1,
    )
