"""The normalised drawing: what every svgvl stage works on after ``normalize``.

A :class:`Drawing` is a canvas (``0 0 width height``) and an ordered list of :class:`Path` — no
groups, transforms, shapes, ``<use>`` or CSS left.  Paint is resolved to '#rrggbb', 'none',
'currentColor' or a reference to one of the drawing's gradients.  Like picosvg's types these
mirror the SVG attributes they stand for, with the spec's initial values as defaults, so that
the writer can leave out whatever equals the default.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .pathdata import Command
from .transform import IDENTITY, Affine


@dataclass
class Path:
    d: list[Command]
    fill: str = "#000000"
    fill_opacity: float = 1.0
    fill_rule: str = "nonzero"
    stroke: str = "none"
    stroke_width: float = 1.0
    stroke_opacity: float = 1.0
    stroke_linecap: str = "butt"
    stroke_linejoin: str = "miter"
    stroke_miterlimit: float = 4.0
    stroke_dasharray: tuple[float, ...] | None = None
    stroke_dashoffset: float = 0.0
    opacity: float = 1.0
    clip_path: str | None = None  # id of a Clip in Drawing.clips
    mask: str | None = None  # id of a Mask in Drawing.masks
    # A basic shape that ``d`` traces exactly, so the writer may emit <circle>, <ellipse> or
    # <rect> instead: ("circle", cx, cy, r), ("ellipse", cx, cy, rx, ry), ("rect", x, y, w, h, r).
    shape: tuple | None = None

    @property
    def visible(self) -> bool:
        return (
            bool(self.d)
            and self.opacity > 0
            and (
                (self.fill != "none" and self.fill_opacity > 0)
                or (self.stroke != "none" and self.stroke_opacity > 0 and self.stroke_width > 0)
            )
        )


@dataclass
class Stop:
    offset: float
    color: str
    opacity: float = 1.0


@dataclass
class Gradient:
    """A linear or radial gradient in canvas units (``gradientUnits="userSpaceOnUse"``).

    ``geometry`` holds x1,y1,x2,y2 (linear) or cx,cy,r,fx,fy (radial) as numbers; ``transform``
    is what remains of the element's CTM that could not be baked into the geometry.
    """

    kind: str  # "linear" | "radial"
    geometry: dict[str, float]
    stops: list[Stop]
    transform: Affine = IDENTITY
    spread: str = "pad"


@dataclass
class Clip:
    """A clip path flattened to canvas coordinates: the union of its paths, by ``clip_rule``."""

    paths: list[tuple[list[Command], str]]  # (commands, clip-rule)
    clip_path: str | None = None  # a further clip to intersect with (clip-path on <clipPath>)


@dataclass
class Mask:
    """A luminance mask flattened to canvas coordinates; its region is the whole canvas."""

    paths: list[Path]


@dataclass
class Drawing:
    width: float
    height: float
    paths: list[Path] = field(default_factory=list)
    gradients: dict[str, Gradient] = field(default_factory=dict)
    clips: dict[str, Clip] = field(default_factory=dict)
    masks: dict[str, Mask] = field(default_factory=dict)
    # Human-readable notes on what normalisation could not carry (text, images, filters, ...).
    dropped: list[str] = field(default_factory=list)
