"""2-D affine transforms as SVG writes them: ``matrix(a b c d e f)`` maps (x, y) to
(a·x + c·y + e, b·x + d·y + f).  Kept as plain 6-tuples so that they hash and compare exactly.

Spec: https://www.w3.org/TR/SVG11/coords.html#TransformAttribute
"""

from __future__ import annotations

import math
import re

from .errors import SVGError
from .numbers import NUMBER, parse_length, parse_numbers

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


def invert(m: Affine) -> Affine | None:
    """The inverse matrix, or None when ``m`` is singular."""
    a, b, c, d, e, f = m
    det = determinant(m)
    if abs(det) < 1e-12:
        return None
    return (d / det, -b / det, -c / det, a / det, (c * f - d * e) / det, (b * e - a * f) / det)


def anisotropy(m: Affine) -> float:
    """How far ``m`` is from a similarity: the ratio of its largest to smallest scale (1 for
    rotations and uniform scales; a flattened stroke is exact only there)."""
    a, b, c, d = m[:4]
    p, q = (
        (a * a + b * b + c * c + d * d) / 2,
        math.hypot((a * a + b * b - c * c - d * d) / 2, a * c + b * d),
    )
    smallest = math.sqrt(max(0.0, p - q))
    return math.inf if smallest == 0 else math.sqrt(p + q) / smallest


def mean_scale(m: Affine) -> float:
    """The factor by which ``m`` scales lengths on average: how stroke widths change when a
    transform is flattened into coordinates (exact for similarity transforms)."""
    return math.sqrt(abs(determinant(m)))


# CSS units in transform arguments (the ``transform`` property, SVG 2 / CSS Transforms):
# angles become degrees, lengths user units (px).
_UNIT = re.compile(rf"({NUMBER.pattern})(deg|grad|rad|turn|px)\b", re.I)
_DEGREES = {"deg": 1.0, "grad": 0.9, "rad": 180 / math.pi, "turn": 360.0, "px": 1.0}


def _strip_units(args: str) -> str:
    return _UNIT.sub(lambda m: repr(float(m.group(1)) * _DEGREES[m.group(2).lower()]), args)


def parse_transform(text: str | None) -> Affine:
    """Parse an SVG ``transform`` attribute or CSS ``transform`` property into one matrix (the
    list composed left to right; CSS units such as ``45deg`` or ``10px`` are accepted)."""
    if not text or not text.strip() or text.strip() == "none":
        return IDENTITY
    result = IDENTITY
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TRANSFORM.match(text, pos)
        if not match:
            raise SVGError(f"invalid transform {text[:60]!r}")
        name = match.group(1).lower()
        args = parse_numbers(_strip_units(match.group(2)), what="transform")
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


_ORIGIN_X = {"left": 0.0, "center": 50.0, "right": 100.0}
_ORIGIN_Y = {"top": 0.0, "center": 50.0, "bottom": 100.0}


def transform_origin(text: str | None, width: float, height: float) -> tuple[float, float]:
    """The point a ``transform-origin`` names, in user units (CSS Transforms §6).

    Percentages and keywords are of the reference box, which for SVG elements is the nearest
    viewport (``transform-box: view-box``, its initial value) of ``width`` × ``height``.  An
    invalid value is ignored (the origin stays 0 0); a third (z) value has no effect in 2-D.
    """
    words = (text or "").replace(",", " ").split()[:2]
    if not words:
        return 0.0, 0.0
    if len(words) == 1:
        words = [words[0], "center"] if words[0] not in ("top", "bottom") else ["center", words[0]]
    elif words[0] in ("top", "bottom") or words[1] in ("left", "right"):
        words = words[::-1]  # "top left" = "left top"
    x_word, y_word = words
    x = _ORIGIN_X.get(x_word)
    y = _ORIGIN_Y.get(y_word)
    x = width * x / 100 if x is not None else parse_length(x_word, width, None)
    y = height * y / 100 if y is not None else parse_length(y_word, height, None)
    if x is None or y is None:
        return 0.0, 0.0
    return x, y


def around(m: Affine, origin: tuple[float, float]) -> Affine:
    """``m`` applied about ``origin`` instead of 0,0: translate(o) · m · translate(−o)."""
    if origin == (0.0, 0.0) or m == IDENTITY:
        return m
    return multiply(translate(*origin), multiply(m, translate(-origin[0], -origin[1])))
