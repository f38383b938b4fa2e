"""Context paint (SVG 2 §13.2.4): ``context-fill`` and ``context-stroke``.

They paint an element with the fill or stroke of its *context element*: the shape a marker
decorates, or the ``<use>`` that instantiates it.  While the normaliser draws marker or
``<use>`` content it keeps the innermost context element's paint in ``normalizer.context``,
with its user space (CTM) and, computed when first needed, its bounding box; outside any
context the values paint nothing.

A context gradient is mapped onto the *context element's* box and user space, not the painted
shape's: it is handed to the normaliser's paint-server code as a stand-in gradient element in
``userSpaceOnUse`` units whose ``gradientTransform`` carries the context's space into the
shape's.  Its key in ``normalizer.ids`` holds a character XML forbids, so no document id can
meet it.
"""

from __future__ import annotations

import math
import re

from . import transform as tf
from .errors import SVGError
from .gradients import gradient_geometry
from .parse import is_svg_element, local_name
from .pathdata import bounding_box, transform_path
from .shapes import shape_to_path

CONTEXT_PAINT = {"context-fill": "fill", "context-stroke": "stroke"}
_URL = re.compile(r"\s*url\(\s*['\"]?#([^'\")\s]+)['\"]?\s*\)(.*)$", re.S)
_SHAPES = {"path", "rect", "circle", "ellipse", "line", "polyline", "polygon"}
_GROUPS = {"g", "a", "switch", "svg", "symbol"}


def _resolved(value: str, style: dict[str, str], context) -> str:
    """A fill or stroke value with context paint and ``currentColor`` made concrete."""
    text = value.strip()
    if text in CONTEXT_PAINT:
        return context[CONTEXT_PAINT[text]] if context else "none"
    if text.lower() == "currentcolor" and style.get("color", "").strip():
        return style["color"].strip()
    return text


def enter_context(normalizer, style: dict[str, str], matrix=tf.IDENTITY, box=None):
    """Make the element with computed ``style``, CTM ``matrix`` and bounding box ``box()`` (in
    its user space; a callable, as most content never asks) the context element.  Returns the
    previous context for :func:`leave_context`."""
    previous = getattr(normalizer, "context", None)
    context = {role: _resolved(style.get(role, ""), style, previous) for role in ("fill", "stroke")}
    context["space"] = {"matrix": matrix, "box": box}
    for role in ("fill", "stroke"):
        # A paint passed on from an outer context keeps that context's space.
        if style.get(role, "").strip() in CONTEXT_PAINT and previous:
            context[f"{role} space"] = previous.get(
                f"{CONTEXT_PAINT[style[role].strip()]} space", previous["space"]
            )
    normalizer.context = context
    return previous


def leave_context(normalizer, previous) -> None:
    normalizer.context = previous


def resolve_context(normalizer, style: dict[str, str], matrix) -> dict[str, str]:
    """``style`` with ``context-fill``/``context-stroke`` replaced by the context's paint, a
    context gradient standing in for itself as seen from a shape under ``matrix``."""
    if not any(style.get(p, "").strip() in CONTEXT_PAINT for p in ("fill", "stroke")):
        return style
    context = getattr(normalizer, "context", None)
    out = dict(style)
    for role in ("fill", "stroke"):
        value = style.get(role, "").strip()
        out[role] = _resolved(value, style, context)
        if value in CONTEXT_PAINT and context:
            source = CONTEXT_PAINT[value]
            space = context.get(f"{source} space", context["space"])
            out[role] = _in_context_space(normalizer, out[role], space, matrix)
    return out


def _in_context_space(normalizer, paint: str, space, matrix) -> str:
    """``paint`` itself, or for a gradient ``url(#…)`` a stand-in mapped onto the context."""
    match = _URL.match(paint)
    target = normalizer.ids.get(match.group(1)) if match else None
    if target is None or local_name(target) not in ("linearGradient", "radialGradient"):
        return paint
    attrs, _ = normalizer._gradient_chain(target)
    if attrs.get("gradientUnits", "objectBoundingBox") == "userSpaceOnUse":
        units, ref = tf.IDENTITY, normalizer._viewport_size(normalizer.doc.root)
    else:
        box = space["box"]() if space["box"] else None
        if not box or box[2] - box[0] <= 0 or box[3] - box[1] <= 0:
            return match.group(2).strip() or "none"  # no box to map onto: the fallback
        units, ref = (box[2] - box[0], 0.0, 0.0, box[3] - box[1], box[0], box[1]), (1.0, 1.0)
    inverse = _invert(matrix)
    if inverse is None:
        return paint
    try:
        own = tf.parse_transform(attrs.get("gradientTransform"))
    except SVGError:
        own = tf.IDENTITY
    carried = tf.multiply(tf.multiply(inverse, space["matrix"]), tf.multiply(units, own))
    stand_in = target.makeelement(target.tag)
    stand_in.set("href", f"#{match.group(1)}")
    stand_in.set("gradientUnits", "userSpaceOnUse")
    stand_in.set("gradientTransform", "matrix({})".format(" ".join(map(repr, carried))))
    for name, value in gradient_geometry(local_name(target), attrs, *ref).items():
        stand_in.set(name, repr(value))
    keys = normalizer.__dict__.setdefault("context_gradients", [])
    ident = f"\x00context{len(keys)}"
    keys.append(ident)
    normalizer.ids[ident] = stand_in
    return f"url(#{ident}){match.group(2)}"


def _invert(m: tf.Affine) -> tf.Affine | None:
    a, b, c, d, e, f = m
    det = a * d - b * c
    if abs(det) < 1e-12:
        return None
    return (d / det, -b / det, -c / det, a / det, (c * f - d * e) / det, (b * e - a * f) / det)


def content_box(normalizer, element, matrix=tf.IDENTITY, depth: int = 0):
    """The geometric bounding box of what ``element`` draws, in the space ``matrix`` maps its
    parent's user space into (strokes left out, as for objectBoundingBox)."""
    if depth > 16 or not is_svg_element(element):
        return None
    if normalizer.styles.specified(element).get("display", "").strip() == "none":
        return None
    name = local_name(element)
    viewport = normalizer._viewport_size(normalizer.doc.root)
    try:
        specified = normalizer.styles.specified(element)
        inner = tf.multiply(matrix, normalizer.transform_of(specified, viewport))
        if name in _SHAPES:
            return bounding_box(transform_path(shape_to_path(element, name, viewport), inner))
    except SVGError:
        return None
    if name == "use":
        ref = element.get("href") or element.get("{http://www.w3.org/1999/xlink}href") or ""
        target = normalizer.ids.get(ref.strip()[1:]) if ref.strip().startswith("#") else None
        x, y = (_number(element.get(k)) for k in ("x", "y"))
        moved = tf.multiply(inner, tf.translate(x, y))
        return content_box(normalizer, target, moved, depth + 1) if target is not None else None
    if name not in _GROUPS:
        return None
    boxes = [content_box(normalizer, child, inner, depth + 1) for child in element]
    boxes = [b for b in boxes if b]
    if not boxes:
        return None
    xs0, ys0, xs1, ys1 = zip(*boxes, strict=True)
    return min(xs0), min(ys0), max(xs1), max(ys1)


def _number(text) -> float:
    try:
        value = float(text) if text else 0.0
    except ValueError:
        return 0.0
    return value if math.isfinite(value) else 0.0
