"""Scenes with known ground truth: 1–12 random primitives in named colours, as SVG, PNG, JPEG.

What ``describe`` should say about a drawing is known exactly when the drawing was made from a
list of primitives: each shape's kind, colour, centre, size and place in the stacking order.
The scenes are seeded, so the same seed gives the same scene on every machine.  Every shape
keeps most of itself visible (a shape hidden under others has no answer a reader could give),
and no two shapes share a colour, so "the red shape" names one shape.
"""

from __future__ import annotations

import io
import math
from dataclasses import asdict, dataclass, field

import numpy as np
from PIL import Image

KINDS = ("circle", "ellipse", "rect", "rounded-rect", "line", "polyline", "polygon", "path")

# CSS colours far enough apart that JPEG noise cannot move one onto another.
PALETTE = {
    "red": "#ff0000",
    "orange": "#ffa500",
    "yellow": "#ffff00",
    "green": "#008000",
    "teal": "#008080",
    "cyan": "#00ffff",
    "blue": "#0000ff",
    "navy": "#000080",
    "purple": "#800080",
    "magenta": "#ff00ff",
    "pink": "#ffc0cb",
    "brown": "#a52a2a",
    "black": "#000000",
    "gray": "#808080",
    "olive": "#808000",
}

SIZE = 256  # the canvas, in user units and in pixels of the rendered images
MARGIN = 6.0
MIN_VISIBLE = 0.7  # of each shape's own pixels, not covered by the shapes above it


@dataclass
class Primitive:
    """One drawn shape as the scene knows it (coordinates in canvas units, y down)."""

    kind: str
    color: str  # a name from PALETTE: the fill, or the stroke of a line or polyline
    z: int  # 0 is drawn first (bottom)
    centre: tuple[float, float]
    size: tuple[float, float]  # width and height of its bounding box
    area: float  # of its own pixels when drawn alone
    element: str  # the SVG element
    stroke_width: float = 0.0
    rotation: float = 0.0
    visible: float = 1.0  # fraction of its pixels not covered by shapes above

    @property
    def hex(self) -> str:
        return PALETTE[self.color]


@dataclass
class Scene:
    seed: int
    shapes: list[Primitive]
    overlaps: list[tuple[int, int]] = field(default_factory=list)  # z-indices, lower first
    size: int = SIZE

    def svg(self) -> str:
        body = "".join(shape.element for shape in self.shapes)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.size}" height="{self.size}" '
            f'viewBox="0 0 {self.size} {self.size}">{body}</svg>'
        )

    def png(self) -> bytes:
        return _encode(self.pixels(), "PNG")

    def jpeg(self, quality: int = 75) -> bytes:
        return _encode(self.pixels(), "JPEG", quality=quality)

    def pixels(self) -> np.ndarray:
        from ..render import rasterize

        return rasterize(self.svg(), size=self.size)

    def to_dict(self) -> dict:
        return asdict(self)


def _encode(pixels: np.ndarray, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _f(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _points(pts) -> str:
    return " ".join(f"{_f(x)},{_f(y)}" for x, y in pts)


def _rotate(pts: np.ndarray, angle: float, centre) -> np.ndarray:
    a = math.radians(angle)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return (pts - centre) @ rot.T + centre


def _place(rng, half_w: float, half_h: float) -> tuple[float, float]:
    lo_x, lo_y = MARGIN + half_w, MARGIN + half_h
    return float(rng.uniform(lo_x, SIZE - lo_x)), float(rng.uniform(lo_y, SIZE - lo_y))


def _angle(rng) -> float:
    """Half the shapes that can turn stay axis-aligned, as they mostly are in icons."""
    return 0.0 if rng.random() < 0.5 else float(rng.uniform(10, 80))


def _circle(rng, color):
    r = float(rng.uniform(12, 42))
    cx, cy = _place(rng, r, r)
    el = f'<circle cx="{_f(cx)}" cy="{_f(cy)}" r="{_f(r)}" fill="{PALETTE[color]}"/>'
    return dict(centre=(cx, cy), size=(2 * r, 2 * r), element=el)


def _box(w, h, angle):
    """Half the bounding box of a w×h box turned by ``angle`` degrees."""
    a = math.radians(angle)
    return (
        (abs(w * math.cos(a)) + abs(h * math.sin(a))) / 2,
        (abs(w * math.sin(a)) + abs(h * math.cos(a))) / 2,
    )


def _ellipse(rng, color):
    rx = float(rng.uniform(20, 55))
    ry = rx * float(rng.uniform(0.35, 0.7))
    angle = _angle(rng)
    hw, hh = _box(2 * rx, 2 * ry, angle)
    cx, cy = _place(rng, hw, hh)
    turn = f' transform="rotate({_f(angle)} {_f(cx)} {_f(cy)})"' if angle else ""
    el = (
        f'<ellipse cx="{_f(cx)}" cy="{_f(cy)}" rx="{_f(rx)}" ry="{_f(ry)}" '
        f'fill="{PALETTE[color]}"{turn}/>'
    )
    return dict(centre=(cx, cy), size=(2 * hw, 2 * hh), element=el, rotation=angle)


def _rect(rng, color, rounded=False):
    w = float(rng.uniform(24, 90))
    h = float(np.clip(w * rng.uniform(0.4, 1.6), 20, 90))
    angle = _angle(rng)
    hw, hh = _box(w, h, angle)
    cx, cy = _place(rng, hw, hh)
    corner = f' rx="{_f(min(w, h) * rng.uniform(0.2, 0.35))}"' if rounded else ""
    turn = f' transform="rotate({_f(angle)} {_f(cx)} {_f(cy)})"' if angle else ""
    el = (
        f'<rect x="{_f(cx - w / 2)}" y="{_f(cy - h / 2)}" width="{_f(w)}" height="{_f(h)}"'
        f'{corner} fill="{PALETTE[color]}"{turn}/>'
    )
    return dict(centre=(cx, cy), size=(2 * hw, 2 * hh), element=el, rotation=angle)


def _stroked(pts: np.ndarray, color: str, width: float, tag: str) -> dict:
    lo, hi = pts.min(0), pts.max(0)
    if tag == "line":
        (x1, y1), (x2, y2) = pts
        el = f'<line x1="{_f(x1)}" y1="{_f(y1)}" x2="{_f(x2)}" y2="{_f(y2)}"'
    else:
        el = f'<polyline points="{_points(pts)}" fill="none"'
    el += f' stroke="{PALETTE[color]}" stroke-width="{_f(width)}" stroke-linejoin="round"/>'
    centre = tuple(float(v) for v in (lo + hi) / 2)
    return dict(
        centre=centre, size=tuple(float(v) for v in hi - lo), element=el, stroke_width=width
    )


def _line(rng, color):
    length = float(rng.uniform(50, 160))
    a = rng.uniform(0, math.pi)
    d = np.array([math.cos(a), math.sin(a)]) * length / 2
    c = np.array(_place(rng, abs(d[0]), abs(d[1])))
    width = float(rng.integers(3, 7))
    return _stroked(np.array([c - d, c + d]), color, width, "line")


def _polyline(rng, color):
    for _ in range(100):
        n = int(rng.integers(3, 5))
        heading = rng.uniform(0, 2 * math.pi)
        pts = [np.zeros(2)]
        for _ in range(n - 1):
            step = rng.uniform(35, 70)
            pts.append(pts[-1] + step * np.array([math.cos(heading), math.sin(heading)]))
            heading += rng.choice([-1, 1]) * rng.uniform(math.radians(50), math.radians(120))
        pts = np.array(pts)
        span = pts.max(0) - pts.min(0)
        if (span < SIZE - 2 * MARGIN).all():
            lo = np.array([MARGIN, MARGIN]) - pts.min(0)
            hi = np.array([SIZE - MARGIN, SIZE - MARGIN]) - pts.max(0)
            pts = pts + rng.uniform(lo, hi)
            return _stroked(pts, color, float(rng.integers(3, 7)), "polyline")
    raise RuntimeError("no polyline fits the canvas")  # pragma: no cover - 100 tries suffice


def _polygon(rng, color):
    n = int(rng.choice([3, 5, 6, 10]))  # 10: a five-pointed star
    radius = float(rng.uniform(22, 50))
    turns = rng.uniform(0, 2 * math.pi) + np.arange(n) * 2 * math.pi / n
    radii = radius * rng.uniform(0.9, 1.0, n)
    if n == 10:
        radii[1::2] *= 0.45
    pts = np.stack([np.cos(turns), np.sin(turns)], 1) * radii[:, None]
    lo, hi = pts.min(0), pts.max(0)
    cx, cy = _place(rng, *((hi - lo) / 2))
    pts = pts - (lo + hi) / 2 + (cx, cy)
    el = f'<polygon points="{_points(pts)}" fill="{PALETTE[color]}"/>'
    return dict(centre=(cx, cy), size=tuple(float(v) for v in hi - lo), element=el)


def _blob(rng, color):
    """A smooth closed curve through points at uneven radii (Catmull-Rom as cubics), drawn
    again until it is no basic shape even at three times describe's tolerance."""
    from ..svg import normalize
    from ..svg.pathdata import bounding_box, subpath_points
    from ..trace.primitives import recognise_outline

    for _ in range(50):
        made = _curve(rng, color)
        drawing = normalize(f'<svg xmlns="http://www.w3.org/2000/svg">{made["element"]}</svg>')
        ((pts, _),) = subpath_points(drawing.paths[0].d)
        if recognise_outline(np.array(pts), True, 3 * 0.004 * SIZE) is None:
            break
    x0, y0, x1, y1 = bounding_box(drawing.paths[0].d)  # the curve's own box, exactly
    made.update(centre=((x0 + x1) / 2, (y0 + y1) / 2), size=(x1 - x0, y1 - y0))
    return made


def _curve(rng, color):
    n = int(rng.integers(5, 8))
    radius = float(rng.uniform(24, 50))
    turns = rng.uniform(0, 2 * math.pi) + np.arange(n) * 2 * math.pi / n
    radii = radius * rng.uniform(0.5, 1.0, n)
    radii[rng.integers(n)] = radius * 0.5  # uneven enough to be no ellipse
    radii[(np.argmin(radii) + n // 2) % n] = radius
    pts = np.stack([np.cos(turns), np.sin(turns)], 1) * radii[:, None]
    lo, hi = pts.min(0) * 1.1, pts.max(0) * 1.1  # the curve bulges a little past its points
    cx, cy = _place(rng, *((hi - lo) / 2))
    pts = pts - (lo + hi) / 2 + (cx, cy)
    d = f"M{_f(pts[0][0])},{_f(pts[0][1])}"
    for i in range(n):
        p0, p1, p2, p3 = (pts[(i + k) % n] for k in (-1, 0, 1, 2))
        c1, c2 = p1 + (p2 - p0) / 6, p2 - (p3 - p1) / 6
        d += f"C{_points([c1, c2, p2]).replace(' ', ' ')}"
    el = f'<path d="{d}Z" fill="{PALETTE[color]}"/>'
    return dict(centre=(cx, cy), size=tuple(float(v) for v in hi - lo), element=el)


_MAKERS = {
    "circle": _circle,
    "ellipse": _ellipse,
    "rect": _rect,
    "rounded-rect": lambda rng, color: _rect(rng, color, rounded=True),
    "line": _line,
    "polyline": _polyline,
    "polygon": _polygon,
    "path": _blob,
}


def _masks(shapes: list[Primitive]) -> np.ndarray:
    """Each shape's pixels when drawn alone, as booleans (N, SIZE, SIZE)."""
    from ..render.fast import rasterize_drawing
    from ..svg import normalize

    svg = Scene(0, shapes).svg()
    drawing = normalize(svg)
    out = []
    for path in drawing.paths:
        alone = type(drawing)(width=drawing.width, height=drawing.height, paths=[path])
        out.append(rasterize_drawing(alone, SIZE, SIZE).min(axis=2) < 250)
    return np.array(out)


def random_scene(seed: int, n: int | None = None, kinds=KINDS) -> Scene:
    """A scene of ``n`` (default: 1–12, at random) primitives of random kinds, colours, sizes
    and places; a shape that would leave less than MIN_VISIBLE of itself or of a shape below
    it in view is drawn again elsewhere."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 13)) if n is None else n
    if not 1 <= n <= len(PALETTE):
        raise ValueError(f"a scene has 1 to {len(PALETTE)} shapes, not {n}")
    colors = [str(c) for c in rng.permutation(list(PALETTE))[:n]]
    shapes: list[Primitive] = []
    masks = np.zeros((0, SIZE, SIZE), bool)
    for z, color in enumerate(colors):
        for _ in range(200):
            kind = str(rng.choice(kinds))
            made = _MAKERS[kind](rng, color)
            shape = Primitive(kind=kind, color=color, z=z, area=0.0, **made)
            mask = _masks([shape])[0]
            if _all_visible(np.concatenate([masks, mask[None]])):
                break
        else:  # pragma: no cover - a crowded canvas: fewer shapes
            break
        shape.area = float(mask.sum())
        shapes.append(shape)
        masks = np.concatenate([masks, mask[None]])
    covered = np.zeros((SIZE, SIZE), bool)
    for i in range(len(shapes) - 1, -1, -1):
        shapes[i].visible = round(float((masks[i] & ~covered).sum() / masks[i].sum()), 3)
        covered |= masks[i]
    overlaps = [
        (i, j)
        for i in range(len(shapes))
        for j in range(i + 1, len(shapes))
        if (masks[i] & masks[j]).sum() >= 20
    ]
    return Scene(seed=seed, shapes=shapes, overlaps=overlaps)


def _all_visible(masks: np.ndarray) -> bool:
    covered = np.zeros(masks.shape[1:], bool)
    for mask in masks[::-1]:
        own = mask.sum()
        if own == 0 or (mask & ~covered).sum() < MIN_VISIBLE * own:
            return False
        covered |= mask
    return True
