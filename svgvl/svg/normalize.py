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
from .gradients import average_color, bake_transform, gradient_geometry
from .model import Clip, Drawing, Gradient, Mask, Path, Stop
from .numbers import parse_length
from .parse import XLINK_NS, Document, is_svg_element, local_name, parse
from .pathdata import bounding_box, rect_path, transform_path
from .shapes import dasharray, shape_to_path
from .style import (
    INHERITED,
    Stylesheet,
    cascade,
    parse_color,
    parse_opacity,
    parse_paint,
    url_fallback,
)
from .viewport import absolute_length, parse_viewbox, root_viewport, viewbox_transform

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
    language: str = "en",
    strict: bool = False,
) -> Drawing:
    """Normalise ``doc`` (a :class:`Document` or anything :func:`parse` takes) to a Drawing.

    ``canvas``: None keeps the document's own units (viewBox size, origin moved to 0,0); a number
    or (width, height) maps the document's viewport onto that canvas, aspect preserved and
    centred, as the reference renderer fits it.  ``flatten_gradients`` replaces each gradient by
    the average colour of its stops.  ``language`` is the user's language that ``systemLanguage``
    conditions (and so ``<switch>``) are tested against.

    Path data and ``points`` with an error are drawn up to the error (SVG's error handling, as
    renderers do) and an invalid ``transform`` is ignored, each noted in ``Drawing.dropped``;
    ``strict=True`` raises :class:`SVGError` for them instead, for tools that reject bad files.
    """
    if not isinstance(doc, Document):
        doc = parse(doc)
    try:
        return _Normalizer(doc, flatten_gradients, language, strict).run(canvas)
    except SVGError as error:
        raise error.with_source(doc.source) from None
    except RecursionError:
        raise SVGError("references nested too deeply", doc.source) from None


def _href(element) -> str | None:
    ref = element.get("href") or element.get(f"{{{XLINK_NS}}}href")
    if ref and ref.strip().startswith("#"):
        return ref.strip()[1:]
    return None


def _covers(box, paths) -> bool:
    """Whether the axis-aligned rectangle path ``box`` holds every path, strokes included."""
    points = [c for letter, c in box if letter in "ML"]
    if not all(any(p[i] == q[i] for q in points if q is not p) for p in points for i in (0, 1)):
        return False  # rotated or skewed
    x0, y0, x1, y1 = bounding_box(box)
    for path in paths:
        bounds = bounding_box(path.d)
        pad = path.stroke_width * max(path.stroke_miterlimit, 1.5) if path.stroke != "none" else 0
        if not bounds or not (
            x0 <= bounds[0] - pad and y0 <= bounds[1] - pad
            and bounds[2] + pad <= x1 and bounds[3] + pad <= y1
        ):  # fmt: skip
            return False
    return True


class _Normalizer:
    def __init__(
        self, doc: Document, flatten_gradients: bool, language: str = "en", strict: bool = False
    ):
        self.doc = doc
        self.strict = strict
        self.language = language.strip() or "en"
        self.flatten = flatten_gradients
        self.ids = {}
        for element in doc.root.iter():
            ident = element.get("id") if isinstance(element.tag, str) else None
            if ident and ident not in self.ids:
                self.ids[ident] = element
        self.styles = Stylesheet(doc.root)
        self.visited = 0
        self.expanding: set[str] = set()
        self.in_mask = 0  # depth of <mask> content being drawn
        self.gradient_keys: dict = {}
        self.clip_keys: dict = {}
        self.drawing: Drawing

    def run(self, canvas) -> Drawing:
        width, height, matrix = root_viewport(self.doc.root, canvas)
        self.drawing = Drawing(width=width, height=height)
        root_style = {name: default for name, default in INHERITED.items()}
        viewport = self._viewport_size(self.doc.root)
        sizes = [parse_length(self.doc.root.get(a), 100.0) for a in ("width", "height")]
        if any(size is not None and size <= 0 for size in sizes):
            self.drop("the <svg> has a zero or negative size: nothing is drawn")
        else:
            self.visit(self.doc.root, matrix, root_style, 1.0, None, viewport, is_root=True)
        self.drawing.dropped = sorted(set(self.drawing.dropped))
        return self.drawing

    def _viewport_size(self, svg_element) -> tuple[float, float]:
        viewbox = parse_viewbox(svg_element.get("viewBox"))
        if viewbox:
            return viewbox[2], viewbox[3]
        return (
            absolute_length(svg_element.get("width")) or 300.0,
            absolute_length(svg_element.get("height")) or 150.0,
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
        if not is_root and not self.applies(element):
            return
        if name in _UNSUPPORTED:
            self.drop(f"<{name}>")
            return
        style = cascade(parent_style, specified)
        opacity *= parse_opacity(specified.get("opacity"))
        matrix = tf.multiply(matrix, self.transform_of(specified, viewport))
        if specified.get("filter", "none").strip() not in ("none", ""):
            self.drop(f"filter on <{name}>")
        mask_ref = specified.get("mask", "none").strip()
        region = None
        first = len(self.drawing.paths)
        if mask_ref not in ("none", ""):
            outer_mask = mask
            mask = self.mask(mask_ref, matrix, viewport, mask, name)
            if mask is not outer_mask:
                region = (self.ids[parse_paint(mask_ref)[0][5:-1]], len(self.drawing.paths))
        clip_ref = specified.get("clip-path", "none").strip()
        if clip_ref not in ("none", ""):
            clip = self.clip(clip_ref, matrix, element, clip, viewport)

        if name == "svg" and not is_root:
            self.viewport(element, element, matrix, style, opacity, clip, viewport, mask)
        elif name in _CONTAINERS or name == "svg":
            children = self.switch_child(element) if name == "switch" else element
            for child in children:
                self.visit(child, matrix, style, opacity, clip, viewport, mask=mask)
        elif name == "use":
            self.use(element, matrix, style, opacity, clip, viewport, mask)
        elif name in _SHAPES:
            self.shape(element, name, matrix, style, opacity, clip, viewport, mask)
        elif name not in ("", "animate", "set", "animateTransform", "animateMotion"):
            self.drop(f"<{name}>")
        if region is not None:
            self.mask_region(*region, matrix, viewport)
        if name not in _SHAPES and parse_opacity(specified.get("opacity")) < 1:
            self.group_opacity(first)

    def group_opacity(self, first: int) -> None:
        """A group's opacity is carried by each of its paths, which differs from compositing the
        group once (SVG 2 §13.1) only where they overlap: say so when their bounds do."""
        boxes = [bounding_box(p.d) for p in self.drawing.paths[first:]]
        boxes = [b for b in boxes if b]
        for i, a in enumerate(boxes[:200]):
            for b in boxes[i + 1 : 200]:
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                    self.drop("group opacity applied to each path (overlaps differ)")
                    return

    def mask_region(self, target, first: int, matrix, viewport) -> None:
        """Clip what a masked element drew (paths from ``first`` on) to the mask's region:
        x/y/width/height, by default −10 %/−10 %/120 %/120 % of the element's bounding box
        (``maskUnits="objectBoundingBox"``), or user-space lengths of the viewport."""
        drawn = self.drawing.paths[first:]
        if not drawn:
            return
        if target.get("maskUnits") == "userSpaceOnUse":
            vw, vh = viewport
            x = parse_length(target.get("x"), vw, -0.1 * vw)
            y = parse_length(target.get("y"), vh, -0.1 * vh)
            width = parse_length(target.get("width"), vw, 1.2 * vw)
            height = parse_length(target.get("height"), vh, 1.2 * vh)
        else:
            inverse = tf.invert(matrix)
            boxes = [bounding_box(transform_path(p.d, inverse)) for p in drawn] if inverse else []
            boxes = [b for b in boxes if b]
            if not boxes:
                return
            x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
            bw = max(b[2] for b in boxes) - x0
            bh = max(b[3] for b in boxes) - y0
            x = x0 + parse_length(target.get("x"), 1.0, -0.1) * bw
            y = y0 + parse_length(target.get("y"), 1.0, -0.1) * bh
            width = parse_length(target.get("width"), 1.0, 1.2) * bw
            height = parse_length(target.get("height"), 1.0, 1.2) * bh
        if width <= 0 or height <= 0:
            del self.drawing.paths[first:]  # an empty region masks everything out
            return
        box = transform_path(rect_path(x, y, width, height, 0, 0), matrix)
        if _covers(box, drawn):
            return  # the usual case: the default region holds all that was drawn
        for path in drawn:
            path.clip_path = self.within(
                self.register_clip([(box, "nonzero")], None), path.clip_path
            )

    @property
    def notes(self) -> list[str] | None:
        """Where shapes note what they cut (None: strict, errors raise)."""
        return None if self.strict else self.drawing.dropped

    def transform_of(self, specified, viewport) -> tf.Affine:
        """An element's ``transform`` (attribute or CSS property) about its ``transform-origin``;
        an invalid one is ignored (noted), as renderers do, unless strict."""
        try:
            matrix = tf.parse_transform(specified.get("transform"))
        except SVGError as error:
            if self.strict:
                raise
            self.drop(f"{error.reason}: ignored")
            return tf.IDENTITY
        origin = specified.get("transform-origin")
        if origin and matrix != tf.IDENTITY:
            matrix = tf.around(matrix, tf.transform_origin(origin, *viewport))
        return matrix

    # -- conditional processing (SVG 2 §5.7) ----------------------------------------------------

    def applies(self, element) -> bool:
        """Whether ``element``'s conditions hold: ``systemLanguage`` names the user's language
        (or a more specific tag of it), and no ``requiredExtensions`` are asked for (svgvl
        supports none).  ``requiredFeatures`` was removed in SVG 2 and always holds."""
        if element.get("requiredExtensions") is not None:
            return False
        languages = element.get("systemLanguage")
        if languages is None:
            return True
        user = self.language.lower()
        return any(
            tag == user or tag.startswith(user + "-")
            for tag in (t.strip().lower() for t in languages.split(","))
        )

    def switch_child(self, element) -> list:
        """The first direct child of a ``<switch>`` that is an SVG element whose conditions hold."""
        for child in element:
            if is_svg_element(child) and local_name(child) and self.applies(child):
                return [child]
        return []

    # -- viewports: nested <svg>, and <symbol>/<svg> instanced by <use> (SVG 2 §8.2, §5.6) -------

    def viewport(self, element, sizing, matrix, style, opacity, clip, viewport, mask):
        """Draw the children of ``element`` (a nested ``<svg>`` or a ``<symbol>``) in their own
        viewport: x/y/width/height from ``sizing`` (the element, or a ``<use>`` overriding its
        width and height), percentages of the parent ``viewport``, width and height 100 % by
        default; the viewBox fitted per preserveAspectRatio; and, unless ``overflow`` is visible,
        everything clipped to the viewport rectangle.  A zero or negative size draws nothing."""
        vw, vh = viewport
        x = parse_length(element.get("x"), vw, 0.0)
        y = parse_length(element.get("y"), vh, 0.0)
        width = parse_length(sizing.get("width") or element.get("width"), vw, vw)
        height = parse_length(sizing.get("height") or element.get("height"), vh, vh)
        if width <= 0 or height <= 0:
            return
        overflow = self.styles.specified(element).get("overflow", "hidden").strip()
        if overflow not in ("visible", "auto"):
            box = transform_path(rect_path(x, y, width, height, 0, 0), matrix)
            clip = self.register_clip([(box, "nonzero")], clip)
        viewbox = parse_viewbox(element.get("viewBox"))
        if viewbox:
            fit = viewbox_transform(
                viewbox, x, y, width, height, element.get("preserveAspectRatio")
            )
            inner_viewport = (viewbox[2], viewbox[3])
        else:
            fit, inner_viewport = tf.translate(x, y), (width, height)
        matrix = tf.multiply(matrix, fit)
        for child in element:
            self.visit(child, matrix, style, opacity, clip, inner_viewport, mask=mask)

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
            if local_name(target) == "symbol":
                # The instanced symbol is drawn as a nested <svg> would be (SVG 2 §5.6.2).
                specified = self.styles.specified(target)
                if specified.get("display", "").strip() == "none" or not self.applies(target):
                    return
                inner_style = cascade(style, specified)
                inner_opacity = opacity * parse_opacity(specified.get("opacity"))
                self.viewport(
                    target, element, matrix, inner_style, inner_opacity, clip, viewport, mask
                )
            elif local_name(target) == "svg":
                # A referenced <svg> takes the use's width and height when given.
                self.visit_instance(target, element, matrix, style, opacity, clip, viewport, mask)
            else:
                self.visit(target, matrix, style, opacity, clip, viewport, mask=mask)
        finally:
            self.expanding.discard(ref)

    def visit_instance(self, target, use, matrix, style, opacity, clip, viewport, mask):
        """A ``<use>`` of an ``<svg>``: the element drawn as a nested viewport, sized by the use."""
        specified = self.styles.specified(target)
        if specified.get("display", "").strip() == "none" or not self.applies(target):
            return
        style = cascade(style, specified)
        opacity *= parse_opacity(specified.get("opacity"))
        matrix = tf.multiply(matrix, self.transform_of(specified, viewport))
        self.viewport(target, use, matrix, style, opacity, clip, viewport, mask)

    # -- shapes -------------------------------------------------------------------------------

    def shape(self, element, name, matrix, style, opacity, clip, viewport, mask=None):
        if style.get("visibility", "visible") in ("hidden", "collapse"):
            return
        font = float(style["font-size"])
        local = shape_to_path(element, name, viewport, font, self.notes)
        if all(letter == "M" for letter, _ in local):
            return  # nothing but movetos (or nothing) draws nothing
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
            path.stroke_width = (
                parse_length(style["stroke-width"], diag, 1.0, font) or 0.0
            ) * scale
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
            path.stroke_dasharray = dasharray(style["stroke-dasharray"], diag, scale, font)
            if path.stroke_dasharray:
                path.stroke_dashoffset = (
                    parse_length(style["stroke-dashoffset"], diag, 0.0, font) or 0.0
                ) * scale
        if path.visible:
            if path.stroke != "none" and tf.anisotropy(matrix) > 1.01:
                self.drop("stroke under a non-uniform scale or skew: its width averaged")
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
                return url_fallback(raw, current)  # no box to map onto: the fallback paints
            x0, y0, x1, y1 = bbox
            units = (x1 - x0, 0.0, 0.0, y1 - y0, x0, y0)
            ref_w = ref_h = 1.0
        else:
            units = tf.IDENTITY
            ref_w, ref_h = self._viewport_size(self.doc.root)
        gradient_transform = self.transform_of(
            {"transform": attrs.get("gradientTransform", "")}, (ref_w, ref_h)
        )
        if tf.invert(gradient_transform) is None:
            gradient_transform = tf.IDENTITY  # a singular gradientTransform is ignored, as resvg
        full = tf.multiply(tf.multiply(matrix, units), gradient_transform)
        geometry = gradient_geometry(kind, attrs, ref_w, ref_h)
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
            specified = self.styles.specified(child)
            offset_text = (child.get("offset") or "0").strip()
            offset = parse_opacity(offset_text, 0.0)  # a number or percentage clamped to [0, 1]
            last = max(last, offset)
            # stop-color and stop-opacity are not inherited, but 'inherit' takes the gradient's,
            # and currentColor is the stop's own computed color (from the gradient's ancestors).
            parent = self.styles.specified(gradient)
            color_text = specified.get("stop-color", "black")
            if color_text == "inherit":
                color_text = parent.get("stop-color", "black")
            opacity_text = specified.get("stop-opacity")
            if opacity_text == "inherit":
                opacity_text = parent.get("stop-opacity")
            current = self.computed(child).get("color", "")
            color, alpha = parse_color(color_text, current) or ("#000000", 1.0)
            if color == "currentColor":
                color = "#000000"
            stops.append(Stop(last, color, alpha * parse_opacity(opacity_text)))
        return stops

    def computed(self, element) -> dict[str, str]:
        """The computed inherited style of ``element`` where it stands in the document."""
        parent = element.getparent()
        base = (
            self.computed(parent)
            if parent is not None and is_svg_element(parent)
            else {n: d for n, d in INHERITED.items()}
        )
        return cascade(base, self.styles.specified(element))

    def mask(self, ref_text, matrix, viewport, outer, name) -> str | None:
        """Flatten ``mask: url(#id)`` under ``matrix``: its content drawn as paths of a Mask."""
        paint = parse_paint(ref_text)[0]
        target = self.ids.get(paint[5:-1]) if paint.startswith("url(") else None
        if target is None or local_name(target) != "mask":
            return outer
        if outer is not None or self.in_mask:
            self.drop(f"nested mask on <{name}>")
            return outer
        if target.get("maskContentUnits") == "objectBoundingBox":
            self.drop(f"objectBoundingBox mask content on <{name}>")
            return outer
        if self.styles.specified(target).get("mask", "none").strip() not in ("none", ""):
            self.drop("mask on a <mask>")
        if (
            target.get("mask-type") or self.styles.specified(target).get("mask-type", "")
        ) == "alpha":
            self.drop("mask-type alpha drawn as a luminance mask")
        ref = paint[5:-1]
        if ref in self.expanding:
            self.drop(f"mask cycle through #{ref}")
            return outer
        saved = self.drawing.paths
        self.drawing.paths = []
        self.expanding.add(ref)
        try:
            style = cascade({n: d for n, d in INHERITED.items()}, self.styles.specified(target))
            self.in_mask += 1
            for child in target:
                self.visit(child, matrix, style, 1.0, None, viewport)
            content = self.drawing.paths
        finally:
            self.drawing.paths = saved
            self.expanding.discard(ref)
            self.in_mask -= 1
        ident = f"m{len(self.drawing.masks)}"
        self.drawing.masks[ident] = Mask(paths=content)
        return ident

    def clip(self, ref_text, matrix, element, outer, viewport=None) -> str | None:
        """Flatten ``clip-path: url(#id)`` under ``matrix`` into a Clip; returns its id.

        The clip region is the union of the clipPath's visible shapes, intersected with the
        clipPath's own ``clip-path`` and with ``outer`` (a chain of Clips).  ``clip-path`` on a
        child is carried when the child is the only shape (the intersection then chains);
        beside other shapes it is reported, as the union of intersections has no flat form.
        """
        paint = parse_paint(ref_text)[0]
        ref = paint[5:-1] if paint.startswith("url(") else None
        target = self.ids.get(ref) if ref else None
        if target is None or local_name(target) != "clipPath":
            return outer  # a missing reference clips nothing
        if ref in self.expanding:
            self.drop(f"clip-path cycle through #{ref}")
            return outer
        viewport = viewport or self._viewport_size(self.doc.root)
        self.expanding.add(ref)
        try:
            own = target_clip = None
            own_ref = self.styles.specified(target).get("clip-path", "none").strip()
            if own_ref not in ("none", ""):
                own = self.clip(own_ref, matrix, element, None, viewport)
            if target.get("clipPathUnits") == "objectBoundingBox":
                name = local_name(element)
                box = (
                    bounding_box(shape_to_path(element, name, viewport, notes=[]))
                    if name in _SHAPES
                    else None
                )
                if not box:
                    self.drop("objectBoundingBox clip on a group")
                    return outer
                matrix = tf.multiply(
                    matrix, (box[2] - box[0], 0.0, 0.0, box[3] - box[1], box[0], box[1])
                )
                viewport = (1.0, 1.0)
            target_specified = self.styles.specified(target)
            matrix = tf.multiply(matrix, self.transform_of(target_specified, viewport))
            paths, child_clips = self._clip_shapes(target, matrix, viewport)
            if len(child_clips) == 1 and len(paths) == 1:
                target_clip = child_clips[0]
            elif child_clips:
                self.drop("clip-path on a child of a <clipPath> with other shapes")
            chain = self.within(own, self.within(target_clip, outer))
            return self.register_clip(paths, chain)
        finally:
            self.expanding.discard(ref)

    def _clip_shapes(self, target, matrix, viewport):
        """The visible shapes of a clipPath in canvas coordinates with their clip-rule, and the
        clips that its children's own ``clip-path`` name."""
        paths, child_clips = [], []
        clip_style = cascade({n: d for n, d in INHERITED.items()}, self.styles.specified(target))
        for child in target:
            name = local_name(child) if is_svg_element(child) else ""
            if name not in _SHAPES and name != "use":
                if name == "text":
                    self.drop("<text> in clipPath")
                continue
            specified = self.styles.specified(child)
            if specified.get("display", "").strip() == "none" or not self.applies(child):
                continue
            child_style = cascade(clip_style, specified)
            m = tf.multiply(matrix, self.transform_of(specified, viewport))
            shape = child
            if name == "use":
                ref = _href(child)
                shape = self.ids.get(ref) if ref else None
                if shape is None or local_name(shape) not in _SHAPES:
                    continue
                m = tf.multiply(
                    m,
                    tf.translate(
                        parse_length(child.get("x"), viewport[0], 0.0),
                        parse_length(child.get("y"), viewport[1], 0.0),
                    ),
                )
                shape_specified = self.styles.specified(shape)
                m = tf.multiply(m, self.transform_of(shape_specified, viewport))
                child_style = cascade(child_style, shape_specified)
            if child_style.get("visibility", "visible").strip() in ("hidden", "collapse"):
                continue
            font = float(child_style["font-size"])
            local = shape_to_path(shape, local_name(shape), viewport, font, self.notes)
            if not local:
                continue
            rule = "evenodd" if child_style.get("clip-rule", "").strip() == "evenodd" else "nonzero"
            paths.append((transform_path(local, m), rule))
            child_ref = specified.get("clip-path", "none").strip()
            if child_ref not in ("none", ""):
                child_clip = self.clip(child_ref, m, child, None, viewport)
                if child_clip is not None:
                    child_clips.append(child_clip)
        return paths, child_clips

    def within(self, ident: str | None, outer: str | None) -> str | None:
        """The clip ``ident`` (with its own chain) further intersected with ``outer``."""
        if ident is None:
            return outer
        if outer is None:
            return ident
        clip = self.drawing.clips[ident]
        return self.register_clip(clip.paths, self.within(clip.clip_path, outer))

    def register_clip(self, paths, outer) -> str:
        """The id of a Clip of ``paths`` (canvas coordinates) within ``outer``, shared by equals."""
        key = (tuple((tuple(p), r) for p, r in paths), outer)
        if key not in self.clip_keys:
            ident = f"c{len(self.clip_keys)}"
            self.clip_keys[key] = ident
            self.drawing.clips[ident] = Clip(paths=paths, clip_path=outer)
        return self.clip_keys[key]
