"""Normalisation: any SVG document → a :class:`Drawing` of absolute M/L/C/Z paths.

One walk over the tree does, per drawn element, the chain of steps that picosvg runs as separate
passes: resolve ``<use>`` (with ``<symbol>``/nested ``<svg>`` viewports), cascade CSS and
presentation attributes, convert shapes to paths (SVG 2 §10 equivalent path), parse path data to
absolute M/L/C/Z (arcs and quadratics to cubics), flatten the current transform matrix into the
coordinates, and map the root viewBox onto the target canvas.  Gradients become concrete
user-space gradients on the canvas (or their average colour on request); clip paths are flattened
the same way.  What cannot be carried as paths (text, raster images, filters, masks, markers,
patterns) is listed in ``Drawing.dropped``.
"""

from __future__ import annotations

import math

from . import transform as tf
from .errors import SVGError
from .model import Clip, Drawing, Gradient, Mask, Path, Stop
from .numbers import parse_length, parse_numbers
from .parse import XLINK_NS, Document, is_svg_element, local_name, parse
from .pathdata import Command, bounding_box, ellipse_path, parse_path, rect_path, transform_path
from .style import (
    INHERITED,
    Stylesheet,
    cascade,
    hex_color,
    parse_color,
    parse_opacity,
    parse_paint,
    url_fallback,
)

# Elements that never draw where they stand; some are drawn by reference (use, paint, clip-path).
_NOT_RENDERED = {
    "defs", "symbol", "clipPath", "mask", "pattern", "marker", "linearGradient",
    "radialGradient", "style", "title", "desc", "metadata", "filter", "font", "font-face",
}  # fmt: skip
# Elements that draw something normalisation cannot express as a path: reported as dropped.
_UNSUPPORTED = {"text", "image", "foreignObject", "script", "video", "audio", "iframe", "canvas"}
_CONTAINERS = {"g", "a", "switch"}
_SHAPES = {"path", "rect", "circle", "ellipse", "line", "polyline", "polygon"}

# Bounds the work of expanding <use>: a few references can otherwise fan out exponentially.
MAX_EXPANDED_ELEMENTS = 100_000


def normalize(
    doc,
    canvas: int | float | tuple[float, float] | None = None,
    *,
    flatten_gradients: bool = False,
) -> Drawing:
    """Normalise ``doc`` (a :class:`Document` or anything :func:`parse` takes) to a Drawing.

    ``canvas``: None keeps the document's own units (viewBox size, origin moved to 0,0); a number
    or (width, height) maps the document's viewport onto that canvas, aspect preserved and
    centred, as the reference renderer fits it.  ``flatten_gradients`` replaces each gradient by
    the average colour of its stops.  Raises :class:`SVGError` for invalid path data or numbers.
    """
    if not isinstance(doc, Document):
        doc = parse(doc)
    try:
        return _Normalizer(doc, flatten_gradients).run(canvas)
    except SVGError as error:
        raise error.with_source(doc.source) from None
    except RecursionError:
        raise SVGError("references nested too deeply", doc.source) from None


def parse_viewbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``min-x min-y width height``; None when absent or invalid (then no viewBox applies)."""
    if not text:
        return None
    try:
        values = parse_numbers(text, "viewBox")
    except SVGError:
        return None
    if len(values) != 4 or values[2] <= 0 or values[3] <= 0:
        return None
    return tuple(values)


def viewbox_transform(
    viewbox, x: float, y: float, width: float, height: float, par: str | None
) -> tf.Affine:
    """The matrix mapping a viewBox into the viewport (x, y, width, height) per
    ``preserveAspectRatio`` (SVG 2 §8.2, 'Equivalent transform of an SVG viewport')."""
    vx, vy, vw, vh = viewbox
    parts = (par or "xMidYMid meet").split()
    if parts and parts[0] == "defer":
        parts = parts[1:]
    align = parts[0] if parts else "xMidYMid"
    meet_or_slice = parts[1] if len(parts) > 1 else "meet"
    sx, sy = width / vw, height / vh
    if align != "none":
        sx = sy = max(sx, sy) if meet_or_slice == "slice" else min(sx, sy)
    tx, ty = x - vx * sx, y - vy * sy
    if align != "none":
        if "xMid" in align:
            tx += (width - vw * sx) / 2
        elif "xMax" in align:
            tx += width - vw * sx
        if "YMid" in align:
            ty += (height - vh * sy) / 2
        elif "YMax" in align:
            ty += height - vh * sy
    return (sx, 0.0, 0.0, sy, tx, ty)


def root_viewport(root, canvas=None) -> tuple[float, float, tf.Affine]:
    """(width, height, matrix) of the normalised canvas for the outermost ``<svg>``.

    Without a canvas the viewBox's own units are kept when the element's width/height have the
    same aspect (the usual icon case: ``width="1em" viewBox="0 0 24 24"``); otherwise the
    viewport is width×height and the viewBox is fitted into it, as a renderer would.
    """
    viewbox = parse_viewbox(root.get("viewBox"))
    width = _absolute_length(root.get("width"))
    height = _absolute_length(root.get("height"))
    if viewbox:
        vw, vh = viewbox[2], viewbox[3]
        if width is None and height is None:
            width, height = vw, vh
        elif width is None:
            width = height * vw / vh
        elif height is None:
            height = width * vh / vw
        if abs(width / height - vw / vh) < 1e-6 * (vw / vh):
            out_w, out_h, matrix = vw, vh, tf.translate(-viewbox[0], -viewbox[1])
        else:
            out_w, out_h = width, height
            matrix = viewbox_transform(
                viewbox, 0, 0, width, height, root.get("preserveAspectRatio")
            )
    else:
        out_w, out_h, matrix = width or 300.0, height or 150.0, tf.IDENTITY
    if out_w <= 0 or out_h <= 0:
        raise SVGError("the <svg> element has a zero or negative size")
    if canvas is None:
        return out_w, out_h, matrix
    cw, ch = (canvas, canvas) if isinstance(canvas, int | float) else canvas
    if cw <= 0 or ch <= 0:
        raise SVGError(f"canvas must be positive, got {canvas!r}")
    fit = viewbox_transform((0, 0, out_w, out_h), 0, 0, cw, ch, None)
    return float(cw), float(ch), tf.multiply(fit, matrix)


def _absolute_length(text):
    """A width/height in user units, or None when absent, relative (%) or not positive."""
    if text is None or text.strip().endswith("%"):
        return None
    value = parse_length(text)
    return value if value and value > 0 else None


def _href(element) -> str | None:
    ref = element.get("href") or element.get(f"{{{XLINK_NS}}}href")
    if ref and ref.strip().startswith("#"):
        return ref.strip()[1:]
    return None


class _Normalizer:
    def __init__(self, doc: Document, flatten_gradients: bool):
        self.doc = doc
        self.flatten = flatten_gradients
        self.ids = {}
        for element in doc.root.iter():
            ident = element.get("id") if isinstance(element.tag, str) else None
            if ident and ident not in self.ids:
                self.ids[ident] = element
        self.styles = Stylesheet(doc.root)
        self.visited = 0
        self.expanding: set[str] = set()
        self.gradient_keys: dict = {}
        self.clip_keys: dict = {}
        self.drawing: Drawing

    def run(self, canvas) -> Drawing:
        width, height, matrix = root_viewport(self.doc.root, canvas)
        self.drawing = Drawing(width=width, height=height)
        root_style = {name: default for name, default in INHERITED.items()}
        viewport = self._viewport_size(self.doc.root)
        self.visit(self.doc.root, matrix, root_style, 1.0, None, viewport, is_root=True)
        self.drawing.dropped = sorted(set(self.drawing.dropped))
        return self.drawing

    def _viewport_size(self, svg_element) -> tuple[float, float]:
        viewbox = parse_viewbox(svg_element.get("viewBox"))
        if viewbox:
            return viewbox[2], viewbox[3]
        return (
            _absolute_length(svg_element.get("width")) or 300.0,
            _absolute_length(svg_element.get("height")) or 150.0,
        )

    def drop(self, what: str) -> None:
        self.drawing.dropped.append(what)

    # -- the walk -----------------------------------------------------------------------------

    def visit(
        self, element, matrix, parent_style, opacity, clip, viewport, is_root=False, mask=None
    ):
        """Draw ``element`` under ``matrix`` (its parent's CTM) and the inherited state."""
        if not is_svg_element(element):
            return
        self.visited += 1
        if self.visited > MAX_EXPANDED_ELEMENTS:
            raise SVGError(
                f"too many elements after expanding <use> (more than {MAX_EXPANDED_ELEMENTS:,})"
            )
        name = local_name(element)
        if name in _NOT_RENDERED:
            return
        specified = self.styles.specified(element)
        if specified.get("display", "").strip() == "none":
            return
        if name in _UNSUPPORTED:
            self.drop(f"<{name}>")
            return
        style = cascade(parent_style, specified)
        opacity *= parse_opacity(specified.get("opacity"))
        matrix = tf.multiply(matrix, tf.parse_transform(element.get("transform")))
        if specified.get("filter", "none").strip() not in ("none", ""):
            self.drop(f"filter on <{name}>")
        mask_ref = specified.get("mask", "none").strip()
        if mask_ref not in ("none", ""):
            mask = self.mask(mask_ref, matrix, viewport, mask, name)
        clip_ref = specified.get("clip-path", "none").strip()
        if clip_ref not in ("none", ""):
            clip = self.clip(clip_ref, matrix, element, clip)

        if name == "svg":
            if not is_root:
                matrix = tf.multiply(matrix, self._nested_viewport(element, viewport))
                viewport = self._viewport_size(element)
            for child in element:
                self.visit(child, matrix, style, opacity, clip, viewport, mask=mask)
        elif name in _CONTAINERS:
            children = list(element)[:1] if name == "switch" else element
            for child in children:
                self.visit(child, matrix, style, opacity, clip, viewport, mask=mask)
        elif name == "use":
            self.use(element, matrix, style, opacity, clip, viewport, mask)
        elif name in _SHAPES:
            self.shape(element, name, matrix, style, opacity, clip, viewport, mask)
        elif name not in ("", "animate", "set", "animateTransform", "animateMotion"):
            self.drop(f"<{name}>")

    def _nested_viewport(self, element, viewport) -> tf.Affine:
        vw, vh = viewport
        x = parse_length(element.get("x"), vw, 0.0)
        y = parse_length(element.get("y"), vh, 0.0)
        width = parse_length(element.get("width"), vw, vw)
        height = parse_length(element.get("height"), vh, vh)
        viewbox = parse_viewbox(element.get("viewBox"))
        if viewbox and width > 0 and height > 0:
            return viewbox_transform(
                viewbox, x, y, width, height, element.get("preserveAspectRatio")
            )
        return tf.translate(x, y)

    def use(self, element, matrix, style, opacity, clip, viewport, mask=None):
        ref = _href(element)
        target = self.ids.get(ref) if ref else None
        if target is None:
            if element.get("href") or element.get(f"{{{XLINK_NS}}}href"):
                self.drop("<use> of a missing or external reference")
            return
        if ref in self.expanding or any(a is target for a in element.iterancestors()):
            self.drop(f"<use> cycle through #{ref}")
            return
        vw, vh = viewport
        x = parse_length(element.get("x"), vw, 0.0)
        y = parse_length(element.get("y"), vh, 0.0)
        matrix = tf.multiply(matrix, tf.translate(x, y))
        self.expanding.add(ref)
        try:
            if local_name(target) in ("symbol", "svg"):
                # A symbol's viewport takes the use's width/height (default 100%).
                width = parse_length(element.get("width") or target.get("width"), vw, vw)
                height = parse_length(element.get("height") or target.get("height"), vh, vh)
                viewbox = parse_viewbox(target.get("viewBox"))
                specified = self.styles.specified(target)
                if specified.get("display", "").strip() == "none":
                    return
                inner_style = cascade(style, specified)
                inner_opacity = opacity * parse_opacity(specified.get("opacity"))
                inner = matrix
                if local_name(target) == "svg":
                    inner = tf.multiply(inner, tf.parse_transform(target.get("transform")))
                if viewbox and width > 0 and height > 0:
                    inner = tf.multiply(
                        inner,
                        viewbox_transform(
                            viewbox, 0, 0, width, height, target.get("preserveAspectRatio")
                        ),
                    )
                    viewport = (viewbox[2], viewbox[3])
                for child in target:
                    self.visit(child, inner, inner_style, inner_opacity, clip, viewport, mask=mask)
            else:
                self.visit(target, matrix, style, opacity, clip, viewport, mask=mask)
        finally:
            self.expanding.discard(ref)

    # -- shapes -------------------------------------------------------------------------------

    def shape(self, element, name, matrix, style, opacity, clip, viewport, mask=None):
        if style.get("visibility", "visible") in ("hidden", "collapse"):
            return
        local = shape_to_path(element, name, viewport)
        if not local:
            return
        path = Path(d=transform_path(local, matrix), opacity=opacity, clip_path=clip, mask=mask)
        current = style.get("color", "")
        bbox = None

        fill, alpha = parse_paint(style["fill"], current)
        if name == "line":
            fill = "none"  # a line has no interior
        if fill.startswith("url("):
            bbox = bounding_box(local)
            fill, alpha = self.paint_server(fill, style["fill"], current, matrix, bbox)
        path.fill = fill
        path.fill_opacity = alpha * parse_opacity(style["fill-opacity"])
        path.fill_rule = "evenodd" if style["fill-rule"].strip() == "evenodd" else "nonzero"

        stroke, alpha = parse_paint(style["stroke"], current)
        if stroke.startswith("url("):
            bbox = bbox or bounding_box(local)
            stroke, alpha = self.paint_server(stroke, style["stroke"], current, matrix, bbox)
        path.stroke = stroke
        path.stroke_opacity = alpha * parse_opacity(style["stroke-opacity"])
        if stroke != "none":
            scale = tf.mean_scale(matrix)
            diag = math.hypot(*viewport) / math.sqrt(2)
            path.stroke_width = (parse_length(style["stroke-width"], diag, 1.0) or 0.0) * scale
            path.stroke_linecap = (
                style["stroke-linecap"].strip()
                if style["stroke-linecap"].strip() in ("butt", "round", "square")
                else "butt"
            )
            path.stroke_linejoin = (
                style["stroke-linejoin"].strip()
                if style["stroke-linejoin"].strip()
                in ("miter", "round", "bevel", "arcs", "miter-clip")
                else "miter"
            )
            path.stroke_miterlimit = max(
                1.0, parse_length(style["stroke-miterlimit"], 0, 4.0) or 4.0
            )
            path.stroke_dasharray = _dasharray(style["stroke-dasharray"], diag, scale)
            if path.stroke_dasharray:
                path.stroke_dashoffset = (
                    parse_length(style["stroke-dashoffset"], diag, 0.0) or 0.0
                ) * scale
        if path.visible:
            self.drawing.paths.append(path)

    # -- paint servers and clips ----------------------------------------------------------------

    def paint_server(self, paint, raw, current, matrix, bbox) -> tuple[str, float]:
        """Resolve ``url(#id)`` to a canvas gradient id, a flat colour, or the fallback."""
        ref = paint[5:-1]
        target = self.ids.get(ref)
        kind = local_name(target) if target is not None else None
        if kind not in ("linearGradient", "radialGradient"):
            if kind == "pattern":
                self.drop("pattern paint")
            return url_fallback(raw, current)
        attrs, stops = self._gradient_chain(target)
        if not stops:
            return "none", 1.0
        if len(stops) == 1 or self.flatten:
            return average_color(stops)
        object_units = attrs.get("gradientUnits", "objectBoundingBox") != "userSpaceOnUse"
        if object_units:
            if bbox is None or bbox[2] - bbox[0] <= 0 or bbox[3] - bbox[1] <= 0:
                return "none", 1.0
            x0, y0, x1, y1 = bbox
            units = (x1 - x0, 0.0, 0.0, y1 - y0, x0, y0)
            ref_w = ref_h = 1.0
        else:
            units = tf.IDENTITY
            ref_w, ref_h = self._viewport_size(self.doc.root)
        full = tf.multiply(
            tf.multiply(matrix, units), tf.parse_transform(attrs.get("gradientTransform"))
        )
        geometry = _gradient_geometry(kind, attrs, ref_w, ref_h)
        spread = (
            attrs.get("spreadMethod", "pad")
            if attrs.get("spreadMethod") in ("pad", "reflect", "repeat")
            else "pad"
        )
        gradient = Gradient(
            "linear" if kind == "linearGradient" else "radial", geometry, stops, full, spread
        )
        gradient = bake_transform(gradient)
        key = (
            gradient.kind,
            tuple(sorted(gradient.geometry.items())),
            tuple((s.offset, s.color, s.opacity) for s in stops),
            gradient.transform,
            gradient.spread,
        )
        if key not in self.gradient_keys:
            ident = f"g{len(self.gradient_keys)}"
            self.gradient_keys[key] = ident
            self.drawing.gradients[ident] = gradient
        return f"url(#{self.gradient_keys[key]})", 1.0

    def _gradient_chain(self, element) -> tuple[dict, list[Stop]]:
        """Attributes and stops with ``href`` inheritance resolved (nearest element wins)."""
        attrs: dict[str, str] = {}
        stops: list[Stop] = []
        seen = set()
        while element is not None and id(element) not in seen:
            seen.add(id(element))
            for key, value in element.attrib.items():
                attrs.setdefault(key, value)
            if not stops:
                stops = self._stops(element)
            ref = _href(element)
            element = self.ids.get(ref) if ref else None
            if element is not None and local_name(element) not in (
                "linearGradient",
                "radialGradient",
            ):
                break
        return attrs, stops

    def _stops(self, gradient) -> list[Stop]:
        stops = []
        last = 0.0
        for child in gradient:
            if local_name(child) != "stop":
                continue
            style = self.styles.specified(child)
            offset_text = (child.get("offset") or "0").strip()
            offset = parse_opacity(offset_text, 0.0)  # a number or percentage clamped to [0, 1]
            last = max(last, offset)
            color, alpha = parse_color(style.get("stop-color", "black")) or ("#000000", 1.0)
            if color == "currentColor":
                color = "#000000"
            stops.append(Stop(last, color, alpha * parse_opacity(style.get("stop-opacity"))))
        return stops

    def mask(self, ref_text, matrix, viewport, outer, name) -> str | None:
        """Flatten ``mask: url(#id)`` under ``matrix``: its content drawn as paths of a Mask."""
        paint = parse_paint(ref_text)[0]
        target = self.ids.get(paint[5:-1]) if paint.startswith("url(") else None
        if target is None or local_name(target) != "mask":
            return outer
        if outer is not None:
            self.drop(f"nested mask on <{name}>")
            return outer
        if target.get("maskContentUnits") == "objectBoundingBox":
            self.drop(f"objectBoundingBox mask content on <{name}>")
            return outer
        ref = paint[5:-1]
        if ref in self.expanding:
            self.drop(f"mask cycle through #{ref}")
            return outer
        saved = self.drawing.paths
        self.drawing.paths = []
        self.expanding.add(ref)
        try:
            style = cascade({n: d for n, d in INHERITED.items()}, self.styles.specified(target))
            for child in target:
                self.visit(child, matrix, style, 1.0, None, viewport)
            content = self.drawing.paths
        finally:
            self.drawing.paths = saved
            self.expanding.discard(ref)
        ident = f"m{len(self.drawing.masks)}"
        self.drawing.masks[ident] = Mask(paths=content)
        return ident

    def clip(self, ref_text, matrix, element, outer) -> str | None:
        """Flatten ``clip-path: url(#id)`` under ``matrix`` into a Clip; returns its id."""
        paint = parse_paint(ref_text)[0]
        target = self.ids.get(paint[5:-1]) if paint.startswith("url(") else None
        if target is None or local_name(target) != "clipPath":
            return outer  # a missing reference clips nothing
        if target.get("clipPathUnits") == "objectBoundingBox":
            name = local_name(element)
            box = bounding_box(shape_to_path(element, name, (1, 1))) if name in _SHAPES else None
            if not box:
                self.drop("objectBoundingBox clip on a group")
                return outer
            matrix = tf.multiply(
                matrix, (box[2] - box[0], 0.0, 0.0, box[3] - box[1], box[0], box[1])
            )
        matrix = tf.multiply(matrix, tf.parse_transform(target.get("transform")))
        paths = []
        clip_style = cascade({n: d for n, d in INHERITED.items()}, self.styles.specified(target))
        for child in target:
            name = local_name(child)
            if name not in _SHAPES and name != "use":
                if name == "text":
                    self.drop("<text> in clipPath")
                continue
            specified = self.styles.specified(child)
            if specified.get("display", "").strip() == "none":
                continue
            child_style = cascade(clip_style, specified)
            if name == "use":
                ref = _href(child)
                shape = self.ids.get(ref) if ref else None
                if shape is None or local_name(shape) not in _SHAPES:
                    continue
                m = tf.multiply(
                    tf.multiply(matrix, tf.parse_transform(child.get("transform"))),
                    tf.translate(
                        parse_length(child.get("x"), 0, 0.0), parse_length(child.get("y"), 0, 0.0)
                    ),
                )
                m = tf.multiply(m, tf.parse_transform(shape.get("transform")))
                local = shape_to_path(shape, local_name(shape), (1, 1))
                child_style = cascade(child_style, self.styles.specified(shape))
            else:
                m = tf.multiply(matrix, tf.parse_transform(child.get("transform")))
                local = shape_to_path(child, name, (1, 1))
            if local:
                rule = (
                    "evenodd"
                    if child_style.get("clip-rule", "").strip() == "evenodd"
                    else "nonzero"
                )
                paths.append((transform_path(local, m), rule))
        key = (tuple((tuple(p), r) for p, r in paths), outer)
        if key not in self.clip_keys:
            ident = f"c{len(self.clip_keys)}"
            self.clip_keys[key] = ident
            self.drawing.clips[ident] = Clip(paths=paths, clip_path=outer)
        return self.clip_keys[key]


# -- pure helpers ------------------------------------------------------------------------------


def _number(element, attr, reference, default=0.0) -> float:
    return parse_length(element.get(attr), reference, default)


def shape_to_path(element, name: str, viewport) -> list[Command]:
    """The equivalent path of a basic shape, in its own user space (SVG 2 §10).

    Shapes with a zero or negative size draw nothing and give an empty list.
    """
    vw, vh = viewport
    diag = math.hypot(vw, vh) / math.sqrt(2)
    if name == "path":
        return parse_path(element.get("d") or "")
    if name == "rect":
        x, y = _number(element, "x", vw), _number(element, "y", vh)
        w, h = _number(element, "width", vw), _number(element, "height", vh)
        if w <= 0 or h <= 0:
            return []
        rx = parse_length(element.get("rx"), vw, None)
        ry = parse_length(element.get("ry"), vh, None)
        rx = ry if rx is None or rx < 0 else rx
        ry = rx if ry is None or ry < 0 else ry
        rx, ry = min(rx or 0.0, w / 2), min(ry or 0.0, h / 2)
        return rect_path(x, y, w, h, rx, ry)
    if name == "circle":
        r = _number(element, "r", diag)
        if r <= 0:
            return []
        return ellipse_path(_number(element, "cx", vw), _number(element, "cy", vh), r, r)
    if name == "ellipse":
        rx = parse_length(element.get("rx"), vw, None)
        ry = parse_length(element.get("ry"), vh, None)
        rx = ry if rx is None else rx
        ry = rx if ry is None else ry
        if not rx or not ry or rx <= 0 or ry <= 0:
            return []
        return ellipse_path(_number(element, "cx", vw), _number(element, "cy", vh), rx, ry)
    if name == "line":
        return [
            ("M", (_number(element, "x1", vw), _number(element, "y1", vh))),
            ("L", (_number(element, "x2", vw), _number(element, "y2", vh))),
        ]
    # polyline / polygon: an odd trailing coordinate is ignored, as renderers do.
    values = parse_numbers(element.get("points") or "", "points")
    points = [(values[i], values[i + 1]) for i in range(0, len(values) - 1, 2)]
    if not points:
        return []
    out = [("M", points[0])] + [("L", p) for p in points[1:]]
    if name == "polygon":
        out.append(("Z", ()))
    return out


def _dasharray(text: str, diag: float, scale: float) -> tuple[float, ...] | None:
    if not text or text.strip() == "none":
        return None
    try:
        values = [parse_length(v, diag) for v in text.replace(",", " ").split()]
    except SVGError:
        return None
    if not values or any(v is None or v < 0 for v in values) or sum(values) <= 0:
        return None
    if len(values) % 2:
        values = values * 2
    return tuple(v * scale for v in values)


def _gradient_geometry(kind: str, attrs: dict, ref_w: float, ref_h: float) -> dict[str, float]:
    """Gradient coordinates as numbers; percentages are of the bbox (1) or the viewport."""
    diag = math.hypot(ref_w, ref_h) / math.sqrt(2)

    def value(name, default, ref):
        return (
            parse_length(attrs.get(name), ref, None)
            if attrs.get(name)
            else parse_length(default, ref)
        )

    if kind == "linearGradient":
        return {
            "x1": value("x1", "0%", ref_w),
            "y1": value("y1", "0%", ref_h),
            "x2": value("x2", "100%", ref_w),
            "y2": value("y2", "0%", ref_h),
        }
    cx, cy = value("cx", "50%", ref_w), value("cy", "50%", ref_h)
    return {
        "cx": cx,
        "cy": cy,
        "r": value("r", "50%", diag),
        "fx": value("fx", str(cx), ref_w) if attrs.get("fx") else cx,
        "fy": value("fy", str(cy), ref_h) if attrs.get("fy") else cy,
    }


def bake_transform(gradient: Gradient) -> Gradient:
    """Move a similarity transform (rotation, uniform scale, translation) into the geometry,
    which is exact for both gradient kinds; other transforms stay as ``gradientTransform``."""
    a, b, c, d, e, f = gradient.transform
    g = gradient.geometry
    similarity = abs(a - d) <= 1e-9 * max(1, abs(a)) and abs(b + c) <= 1e-9 * max(1, abs(b))
    # An axis-aligned scale keeps a horizontal or vertical gradient's stripes perpendicular to it.
    axis_aligned = (
        gradient.kind == "linear"
        and b == 0
        and c == 0
        and (g["x1"] == g["x2"] or g["y1"] == g["y2"])
    )
    if gradient.transform == tf.IDENTITY or not (similarity or axis_aligned):
        return gradient
    m = gradient.transform
    g = dict(g)
    if gradient.kind == "linear":
        g["x1"], g["y1"] = tf.apply(m, g["x1"], g["y1"])
        g["x2"], g["y2"] = tf.apply(m, g["x2"], g["y2"])
    else:
        g["cx"], g["cy"] = tf.apply(m, g["cx"], g["cy"])
        g["fx"], g["fy"] = tf.apply(m, g["fx"], g["fy"])
        g["r"] *= tf.mean_scale(m)
    return Gradient(gradient.kind, g, gradient.stops, tf.IDENTITY, gradient.spread)


def average_color(stops: list[Stop]) -> tuple[str, float]:
    """The mean colour of a gradient over [0, 1] (stops linearly interpolated, ends padded)."""
    if len(stops) == 1:
        return stops[0].color, stops[0].opacity

    def rgba(stop):
        h = stop.color
        return [int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16), stop.opacity]

    total = [0.0, 0.0, 0.0, 0.0]
    segments = [(0.0, stops[0], stops[0].offset, stops[0])]
    segments += [(a.offset, a, b.offset, b) for a, b in zip(stops, stops[1:], strict=False)]
    segments.append((stops[-1].offset, stops[-1], 1.0, stops[-1]))
    weight = 0.0
    for start, a, end, b in segments:
        length = max(0.0, end - start)
        ca, cb = rgba(a), rgba(b)
        for i in range(4):
            total[i] += length * (ca[i] + cb[i]) / 2
        weight += length
    if weight <= 0:
        return stops[-1].color, stops[-1].opacity
    r, g, b, alpha = (t / weight for t in total)
    return hex_color((r, g, b)), alpha
