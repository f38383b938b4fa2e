"""2-D affine transforms as SVG writes them: ``matrix(a b c d e f)`` maps (x, y) to
(a·x + c·y + e, b·x + d·y + f).  Kept as plain 6-tuples so that they hash and compare exactly.

Spec: https://www.w3.org/TR/SVG11/coords.html#TransformAttribute
"""

from __future__ import annotations

import math
import re

from .errors import SVGError
from .numbers import parse_numbers

Affine = tuple[float, float, float, float, float, float]

IDENTITY: Affine = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)

_TRANSFORM = re.compile(r"\s*(matrix|translate|scale|rotate|skewX|skewY)\s*\(([^)]*)\)\s*,?", re.I)
_ARITY = {
    "matrix": (6,),
    "translate": (1, 2),
    "scale": (1, 2),
    "rotate": (1, 3),
    "skewx": (1,),
    "skewy": (1,),
}


def multiply(m: Affine, n: Affine) -> Affine:
    """m · n: apply ``n`` first, then ``m`` (the order of nested SVG transforms, outer = m)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (
        a * A + c * B,
        b * A + d * B,
        a * C + c * D,
        b * C + d * D,
        a * E + c * F + e,
        b * E + d * F + f,
    )


def apply(m: Affine, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def translate(tx: float, ty: float = 0.0) -> Affine:
    return (1.0, 0.0, 0.0, 1.0, tx, ty)


def scale(sx: float, sy: float | None = None) -> Affine:
    return (sx, 0.0, 0.0, sx if sy is None else sy, 0.0, 0.0)


def rotate(degrees: float, cx: float = 0.0, cy: float = 0.0) -> Affine:
    t = math.radians(degrees)
    cos, sin = math.cos(t), math.sin(t)
    r = (cos, sin, -sin, cos, 0.0, 0.0)
    if cx or cy:
        return multiply(translate(cx, cy), multiply(r, translate(-cx, -cy)))
    return r


def determinant(m: Affine) -> float:
    return m[0] * m[3] - m[1] * m[2]


def mean_scale(m: Affine) -> float:
    """The factor by which ``m`` scales lengths on average: how stroke widths change when a
    transform is flattened into coordinates (exact for similarity transforms)."""
    return math.sqrt(abs(determinant(m)))


def parse_transform(text: str | None) -> Affine:
    """Parse an SVG ``transform`` attribute into one matrix (the list composed left to right)."""
    if not text or not text.strip():
        return IDENTITY
    result = IDENTITY
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TRANSFORM.match(text, pos)
        if not match:
            raise SVGError(f"invalid transform {text[:60]!r}")
        name = match.group(1).lower()
        args = parse_numbers(match.group(2), what="transform")
        if len(args) not in _ARITY[name]:
            raise SVGError(
                f"{name}() takes {' or '.join(map(str, _ARITY[name]))} numbers in transform {text[:60]!r}"
            )
        if name == "matrix":
            step = tuple(args)
        elif name == "translate":
            step = translate(*args)
        elif name == "scale":
            step = scale(*args)
        elif name == "rotate":
            step = rotate(*args)
        elif name == "skewx":
            step = (1.0, 0.0, math.tan(math.radians(args[0])), 1.0, 0.0, 0.0)
        else:
            step = (1.0, math.tan(math.radians(args[0])), 0.0, 1.0, 0.0, 0.0)
        result = multiply(result, step)
        pos = match.end()
    return result
