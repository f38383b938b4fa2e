"""``describe``: what a drawing shows, shape by shape, as data and as text a language model reads.

VDLM's idea of a "primal visual description": instead of path data, each shape's kind (circle,
ellipse, rect, rounded-rect, line, polyline, polygon, path), geometry, paint, place in the
stacking order and relations to the others, then a summary.  SVG goes through ``normalize``
(absolute paths, resolved paint); an image goes through the tracer first.  Each outline is
sampled and named by the tracer's own primitive recogniser
(:func:`svgvl.trace.primitives.recognise_outline`).  Relations and symmetry are read from
rendered masks, so they hold for curves, strokes and holes alike.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from ..svg import Drawing, Path, normalize
from ..svg.gradients import average_color
from ..svg.pathdata import subpath_points
from ..trace.primitives import recognise_outline
from .cleanup import quieted
from .colors import color_name
from .raster import THIN, fitted_masks, pieces, stacking
from .relations import relate, symmetry

MASK_SIZE = 256  # pixels along the longer side of the masks that relations are read from
TOLERANCE_CLEAN = 1.2  # px (of 256): how far a traced outline may stray from a basic shape
TOLERANCE_NOISY = 1.5  # the same for a JPEG
HOOK = 12.0  # px (of 256): a traced polyline's end stretch this short is a hook
MAX_SHAPES = 400  # beyond this a drawing is summarised by counts, not shape by shape


@dataclass
class Shape:
    """One drawn shape.  Coordinates are in the drawing's units (pixels for an image), y down;
    ``z`` counts from the bottom of the stacking order."""

    z: int
    kind: str  # circle | ellipse | rect | rounded-rect | line | polyline | polygon | path
    centre: tuple[float, float]
    size: tuple[float, float]  # width and height of its bounding box
    bbox: tuple[float, float, float, float]  # x0, y0, x1, y1
    area: float  # of its painted region, in square units
    fill: str | None = None  # '#rrggbb'
    fill_name: str | None = None  # the nearest CSS colour name
    stroke: str | None = None
    stroke_name: str | None = None
    stroke_width: float = 0.0
    rotation: float = 0.0  # degrees clockwise, for ellipses and rectangles
    geometry: dict = field(default_factory=dict)  # r, rx/ry, width/height/corner, points, ...
    holes: int = 0
    contains: list[int] = field(default_factory=list)  # z of shapes inside this one
    overlaps: list[int] = field(default_factory=list)  # z of shapes sharing some area
    touches: list[int] = field(default_factory=list)  # z of shapes meeting it at an edge

    @property
    def color(self) -> str | None:
        """The colour it shows: its fill, or its stroke when it has none."""
        return self.fill_name or self.stroke_name


@dataclass
class Summary:
    shapes: int
    kinds: dict[str, int]
    colors: dict[str, int]
    bbox: tuple[float, float, float, float] | None
    symmetry: dict[str, bool]  # "left-right", "top-bottom": mirror symmetry of the rendering
    labels: list[tuple[str, float]] | None = None  # zero-shot labels, filled by a caller
    omitted: int = 0  # shapes past MAX_SHAPES, counted but not listed


@dataclass
class Description:
    width: float
    height: float
    shapes: list[Shape]
    summary: Summary
    source: str = "svg"  # "svg", or "image" (traced first)
    dropped: list[str] = field(default_factory=list)  # what normalisation could not carry

    def to_dict(self) -> dict:
        return asdict(self)

    def to_text(self) -> str:
        """Compact lines for a language model: the canvas, each shape bottom to top, the
        relations and the summary."""
        from .text import description_text

        return description_text(self)


def describe(
    svg_or_image, *, labels: list[tuple[str, float]] | None = None, tolerance: float | None = None
) -> Description:
    """Describe an SVG (path, text, bytes, parsed document or :class:`Drawing`) or an image
    (path, bytes, PIL image or array; traced first) shape by shape.

    ``labels``: zero-shot labels with scores to carry in the summary.  ``tolerance``: how far
    (in the drawing's units) an outline may stray from a basic shape and still be called one
    (default: 0.4 % of the drawing's size for SVG; for a traced image 1.2 px, 1.5 px for a
    JPEG, per 256 px of its size).  Raises
    ``SVGError`` for unreadable SVG and ``ImageError`` for unreadable images.
    """
    from ..metrics.comparison import is_svg  # here: it brings the renderer

    pixels, raw, noisy = None, None, False
    if isinstance(svg_or_image, Drawing):
        drawing, source = svg_or_image, "svg"
    elif is_svg(svg_or_image):
        drawing, source = normalize(svg_or_image), "svg"
    else:
        from ..images import load_image
        from ..trace import trace
        from ..trace.palette import Palette

        raw = load_image(svg_or_image, background=None)
        pixels, dominant, strokes = quieted(raw, lossy=_is_jpeg(svg_or_image))
        noisy, palette = dominant is not None, None
        if noisy:  # the colours found in the cleaned JPEG, thin strokes' included, for the
            # tracer's own (which takes the ringing for colours and drops a thin line's colour)
            colors = np.vstack([dominant, strokes])
            palette = Palette(colors, np.ones(len(colors), np.int64))
        drawing = trace(pixels, mode="fill", detail="high", palette=palette, noisy=noisy or None)
        source = "image"
    size = max(drawing.width, drawing.height) or 1.0
    if tolerance is None:
        # A traced outline strays further from the shape in a JPEG: its edges ring and blur.
        traced = (TOLERANCE_NOISY if noisy else TOLERANCE_CLEAN) * max(1.0, size / 256)
        tolerance = 0.004 * size if source == "svg" else traced
    if source == "image":
        shapes, masks, scale, omitted = _image_shapes(drawing, pixels, tolerance, strokes, raw)
    else:
        parts = [part for path in drawing.paths for part in _parts(path, drawing, size)]
        omitted = max(0, len(parts) - MAX_SHAPES)
        parts = parts[:MAX_SHAPES]
        shapes = [
            _shape(z, *outline, *_paints(path, drawing), path.stroke_width, holes, tolerance)[0]
            for z, (path, outline, holes) in enumerate(parts)
        ]
        masks, scale = _masks(drawing, [p for p, _, _ in parts])
    relate(shapes, masks, scale)
    image = pixels if pixels is not None else _render(drawing)
    summary = Summary(
        shapes=len(shapes) + omitted,
        kinds=_count(s.kind for s in shapes),
        colors=_count(s.color for s in shapes if s.color),
        bbox=_union([s.bbox for s in shapes]),
        symmetry=symmetry(image),
        labels=labels,
        omitted=omitted,
    )
    return Description(drawing.width, drawing.height, shapes, summary, source, drawing.dropped)


def _is_jpeg(source) -> bool:
    """Whether an image given as bytes, a file path or a PIL image is a JPEG."""
    import os

    from PIL import Image

    if isinstance(source, Image.Image):
        return source.format == "JPEG"
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source[:3]) == b"\xff\xd8\xff"
    if isinstance(source, str | os.PathLike) and os.path.isfile(source):
        with open(source, "rb") as f:
            return f.read(3) == b"\xff\xd8\xff"
    return False


def _image_shapes(drawing: Drawing, pixels: np.ndarray, tolerance: float, strokes=None, raw=None):
    """Shapes of a traced image, stacked as its pixels show them: (shapes, their masks as
    fitted, the mask pixel's size, how many were left out).  ``raw``: the image before its
    noise was taken out."""
    found, scale, image = pieces(
        drawing, pixels, MASK_SIZE, lambda path: _paints(path, drawing), strokes, raw
    )
    omitted = max(0, len(found) - MAX_SHAPES)
    found = found[:MAX_SHAPES]
    # A centre-line wavers with the stroke's width: the tolerance grows with it.
    made = [
        _shape(
            0,
            p.pts,
            p.closed,
            *_piece_paint(p),
            p.holes,
            max(tolerance, p.stroke_width / 2),
            p.hidden,
        )
        for p in found
    ]
    made = [_as_line(shape, fit, THIN * scale) for shape, fit in made]
    made = [_unhooked(shape, fit, HOOK * scale) for shape, fit in made]
    masks = fitted_masks(found, [fit for _, fit in made], drawing, scale)
    order = stacking(masks, [p.color for p in found], image)
    shapes = [made[i][0] for i in order]
    for z, shape in enumerate(shapes):
        shape.z = z
    masks = masks[order] if len(order) else np.zeros((0, 1, 1), bool)
    return shapes, masks, scale, omitted


def _as_line(shape: Shape, fit, thin: float):
    """A filled rectangle a few pixels wide and four times as long is a line drawn thick (the
    tracer outlined it where it met another shape): (the line, its fit)."""
    if shape.kind != "rect" or not shape.fill:
        return shape, fit
    w, h = shape.geometry["width"], shape.geometry["height"]
    short, long = min(w, h), max(w, h)
    if short > thin or long < 4 * short:
        return shape, fit
    turn = math.radians(shape.rotation + (0 if w >= h else 90))
    dx, dy = math.cos(turn) * long / 2, math.sin(turn) * long / 2
    cx, cy = shape.centre
    lo, hi = (cx - dx, cy - dy), (cx + dx, cy + dy)
    shape.kind, shape.rotation = "line", 0.0
    shape.geometry = {"from": _round(lo), "to": _round(hi)}
    shape.stroke, shape.stroke_name, shape.stroke_width = shape.fill, shape.fill_name, short
    shape.fill = shape.fill_name = None
    return shape, ("line", *lo, *hi)


def _unhooked(shape: Shape, fit, short: float):
    """A traced polyline with the short hooks its ends take where they meet another shape
    (or the kinks noise leaves along it) taken out; a line if only one straight stretch is
    left: (the shape, its fit)."""
    if shape.kind != "polyline":
        return shape, fit
    pts = [np.asarray(p, float) for p in fit[1:]]
    while len(pts) > 2 and math.dist(pts[0], pts[1]) < short:
        pts.pop(0)
    while len(pts) > 2 and math.dist(pts[-1], pts[-2]) < short:
        pts.pop()
    chord = pts[-1] - pts[0]
    length = float(np.hypot(*chord)) or 1.0
    off = [
        abs(float(chord[0] * (p - pts[0])[1] - chord[1] * (p - pts[0])[0])) / length for p in pts
    ]
    if len(pts) > 2 and max(off) <= max(shape.stroke_width, short / 4):
        pts = [pts[0], pts[-1]]
    if len(pts) == len(fit) - 1:
        return shape, fit
    half = shape.stroke_width / 2
    lo, hi = np.min(pts, 0) - half, np.max(pts, 0) + half
    shape.centre, shape.size, shape.bbox = (
        _round((lo + hi) / 2),
        _round(hi - lo),
        _round((*lo, *hi)),
    )
    if len(pts) == 2:
        shape.kind, shape.geometry = "line", {"from": _round(pts[0]), "to": _round(pts[1])}
        return shape, ("line", *pts[0], *pts[1])
    shape.geometry = {"points": [_round(p) for p in pts]}
    return shape, ("polyline", *(tuple(map(float, p)) for p in pts))


def _paint(paint: str, drawing: Drawing) -> str | None:
    """A flat '#rrggbb' for a paint: a gradient by the mean of its stops; None for none."""
    if paint == "none":
        return None
    if paint.startswith("url("):
        gradient = drawing.gradients.get(paint[5:-1])
        return average_color(gradient.stops)[0] if gradient else None
    return "#000000" if paint == "currentColor" else paint


def _paints(path: Path, drawing: Drawing) -> tuple[str | None, str | None]:
    return _paint(path.fill, drawing), _paint(path.stroke, drawing)


def _piece_paint(piece) -> tuple[str | None, str | None, float]:
    if piece.stroke_width:
        return None, piece.color, piece.stroke_width
    return piece.color, None, 0.0


def _parts(path: Path, drawing: Drawing, size: float):
    """A path's subpaths grouped into shapes: each outer outline with the holes inside it."""
    fill, stroke = _paints(path, drawing)
    outlines = [(np.array(pts), closed) for pts, closed in subpath_points(path.d, size / 256)]
    # A fill closes every subpath; a stroke that ends where it began draws a closed outline.
    ends_meet = [len(pts) > 2 and math.dist(pts[0], pts[-1]) <= 1e-4 * size for pts, _ in outlines]
    outlines = [
        (pts[:-1] if meet and not closed else pts, closed or bool(fill) or meet)
        for (pts, closed), meet in zip(outlines, ends_meet, strict=True)
    ]
    areas = [abs(_area(pts)) if closed else 0.0 for pts, closed in outlines]
    keep = [i for i, (pts, closed) in enumerate(outlines) if len(pts) >= 2]
    # Nested outlines of a fill are holes (and islands in them); strokes are each their own.
    depth = {
        i: sum(
            _inside(outlines[i][0], outlines[j][0]) for j in keep if j != i and areas[j] > areas[i]
        )
        if fill
        else 0
        for i in keep
    }
    out = []
    for i in keep:
        if depth[i] % 2:
            continue  # a hole: counted with the outline around it
        holes = [
            j for j in keep if depth[j] == depth[i] + 1 and _inside(outlines[j][0], outlines[i][0])
        ]
        commands = _commands(outlines[i]) + [c for j in holes for c in _commands(outlines[j])]
        part = Path(
            d=commands,
            fill=fill or "none",
            fill_rule="evenodd",
            stroke=stroke or "none",
            stroke_width=path.stroke_width if stroke else 0.0,
            stroke_linecap=path.stroke_linecap,
            stroke_linejoin=path.stroke_linejoin,
        )
        out.append((part, outlines[i], len(holes)))
    return out


def _area(pts: np.ndarray) -> float:
    x, y = pts[:, 0], pts[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _inside(inner: np.ndarray, outer: np.ndarray) -> bool:
    """Most of ``inner``'s points lie inside the polygon ``outer``."""
    from skimage.measure import points_in_poly

    sample = inner[:: max(1, len(inner) // 16)]
    return bool(points_in_poly(sample, outer).mean() > 0.5)


def _commands(outline) -> list:
    pts, closed = outline
    out = [("M", tuple(map(float, pts[0]))), *(("L", tuple(map(float, p))) for p in pts[1:])]
    return out + [("Z", ())] if closed else out


def _shape(z: int, pts, closed, fill, stroke, stroke_width, holes, tolerance, hidden=None):
    """A Shape for an outline, and the basic shape recognised in it (None: a free path)."""
    fit = recognise_outline(pts, closed, tolerance, hidden)
    if hidden is not None:
        fit = _squared(fit)
    half = stroke_width / 2 if stroke else 0.0
    lo, hi = pts.min(0) - half, pts.max(0) + half
    # A traced corner is rounded a little by anti-aliasing (and more by JPEG): a radius
    # within three tolerances is a sharp corner there.
    sharp = 3 * tolerance if hidden is not None else 0.0
    kind, rotation, geometry = _geometry(fit, pts, sharp)
    shape = Shape(
        z=z,
        kind=kind,
        centre=_round(geometry.pop("centre", (lo + hi) / 2)),
        size=_round(hi - lo),
        bbox=_round((*lo, *hi)),
        area=0.0,
        fill=fill,
        fill_name=color_name(fill) if fill else None,
        stroke=stroke,
        stroke_name=color_name(stroke) if stroke else None,
        stroke_width=round(float(stroke_width), 2) if stroke else 0.0,
        rotation=rotation,
        geometry={k: _round(v) for k, v in geometry.items()},
        holes=holes,
    )
    return shape, fit


def _squared(fit, degrees: float = 8.0):
    """A traced four-cornered polygon whose corners are all right angles is a rectangle
    (the side rule finds one that is partly hidden when the rectangle fit cannot)."""
    if fit is None or fit[0] != "polygon" or len(fit) != 5:
        return fit
    corners = np.array(fit[1:], float)
    sides = np.roll(corners, -1, axis=0) - corners
    lengths = np.hypot(*sides.T)
    if lengths.min() <= 0:
        return fit
    unit = sides / lengths[:, None]
    cos = (unit * np.roll(unit, -1, axis=0)).sum(1)
    if np.abs(cos).max() > math.sin(math.radians(degrees)):
        return fit
    w, h = (lengths[0] + lengths[2]) / 2, (lengths[1] + lengths[3]) / 2
    angle = math.degrees(math.atan2(sides[0][1], sides[0][0]))
    turn = (angle + 45) % 90 - 45
    if abs((angle + 45) % 180 - 45) > 45:
        w, h = h, w  # the first side runs nearer upright: it is the height
    cx, cy = corners.mean(0)
    return ("rect", float(cx - w / 2), float(cy - h / 2), float(w), float(h), 0.0, turn)


def _geometry(fit, pts, sharp: float = 0.0) -> tuple[str, float, dict]:
    """Kind, rotation and the numbers that place it, from a recognised shape (or none)."""
    if fit is None:
        return "path", 0.0, {"points": len(pts)}
    kind = fit[0]
    if kind == "circle":
        return "circle", 0.0, {"centre": fit[1:3], "r": fit[3]}
    if kind == "ellipse":
        cx, cy, rx, ry, angle = (*fit[1:5], fit[5] if len(fit) > 5 else 0.0)
        if ry > rx:  # the longer radius first, turned a quarter more
            rx, ry, angle = ry, rx, angle + 90
        angle = (angle + 90) % 180 - 90
        return "ellipse", round(angle, 1), {"centre": (cx, cy), "rx": rx, "ry": ry}
    if kind == "rect":
        x, y, w, h, r = fit[1:6]
        angle = fit[6] if len(fit) > 6 else 0.0
        geometry = {"centre": (x + w / 2, y + h / 2), "width": w, "height": h}
        r = r if r > sharp else 0.0
        if r > 0:
            geometry["corner"] = r
        return ("rounded-rect" if r > 0 else "rect"), round(angle, 1), geometry
    if kind == "line":
        return "line", 0.0, {"from": fit[1:3], "to": fit[3:5]}
    return kind, 0.0, {"points": [tuple(p) for p in fit[1:]]}  # centred on their box


def _round(value, digits: int = 1):
    if isinstance(value, list):
        return [_round(v, digits) for v in value]
    if isinstance(value, (tuple, np.ndarray)):
        return tuple(round(float(v), digits) for v in value)
    return round(float(value), digits) if isinstance(value, (float, np.floating)) else value


def _masks(drawing: Drawing, paths: list[Path]) -> tuple[np.ndarray, float]:
    """Each shape's painted pixels when drawn alone (N, H, W), on a grid MASK_SIZE px long,
    and the size of one pixel in the drawing's units."""
    from ..render.fast import rasterize_drawing

    scale = max(drawing.width, drawing.height) / MASK_SIZE or 1.0
    width = max(1, round(drawing.width / scale))
    height = max(1, round(drawing.height / scale))
    out = np.zeros((len(paths), height, width), bool)
    for i, path in enumerate(paths):
        black = Path(
            d=path.d,
            fill="#000000" if path.fill != "none" else "none",
            fill_rule=path.fill_rule,
            stroke="#000000" if path.stroke != "none" else "none",
            stroke_width=path.stroke_width,
            stroke_linecap=path.stroke_linecap,
            stroke_linejoin=path.stroke_linejoin,
        )
        alone = Drawing(width=drawing.width, height=drawing.height, paths=[black])
        out[i] = rasterize_drawing(alone, width, height)[..., 0] < 128
    return out, scale


def _render(drawing: Drawing) -> np.ndarray:
    """The drawing as RGB pixels, for symmetry: flat colours straight with cairo, anything
    else (gradients, clips, masks) through the reference renderer."""
    from ..render import rasterize
    from ..render.fast import rasterize_drawing
    from ..svg import write

    scale = max(drawing.width, drawing.height) / MASK_SIZE or 1.0
    width, height = max(1, round(drawing.width / scale)), max(1, round(drawing.height / scale))
    try:
        return rasterize_drawing(drawing, width, height)
    except ValueError:
        return rasterize(write(drawing), size=(width, height))


def _count(values) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def _union(boxes):
    if not boxes:
        return None
    b = np.array(boxes)
    return _round((*b[:, :2].min(0), *b[:, 2:].max(0)))


__all__ = ["Description", "Shape", "Summary", "describe"]
