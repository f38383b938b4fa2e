"""Clipping and masking as normalisation carries them (SVG 2 §14, CSS Masking): a ``clip-path``
becomes a :class:`Clip` of paths in canvas coordinates, chained to the clips it lies within; a
``mask`` becomes a :class:`Mask` of drawn paths, its region a clip on what it masks; nested
``<svg>`` viewports clip through the same chain.  What has no flat form is reported.
"""

from __future__ import annotations

from . import transform as tf
from .model import Clip, Mask
from .numbers import parse_length
from .parse import XLINK_NS, is_svg_element, local_name
from .pathdata import bounding_box, rect_path, transform_path
from .shapes import SHAPES, shape_to_path
from .style import INHERITED, cascade, parse_paint


def href_id(element) -> str | None:
    ref = element.get("href") or element.get(f"{{{XLINK_NS}}}href")
    if ref and ref.strip().startswith("#"):
        return ref.strip()[1:]
    return None


def covers(box, paths) -> bool:
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


class Masking:
    """The clip and mask steps of the normalising walk (mixed into its class, sharing its state:
    ``drawing``, ``ids``, ``styles``, ``expanding``, ``in_mask``, ``visit``, ``applies``)."""

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
        if covers(box, drawn):
            return  # the usual case: the default region holds all that was drawn
        for path in drawn:
            path.clip_path = self.within(
                self.register_clip([(box, "nonzero")], None), path.clip_path
            )

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
                    if name in SHAPES
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
            if name not in SHAPES and name != "use":
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
                ref = href_id(child)
                shape = self.ids.get(ref) if ref else None
                if shape is None or local_name(shape) not in SHAPES:
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
