"""Fast renderers for inner loops and printed scores, each agreeing with the reference
(:func:`svgvl.render.rasterize`, cairosvg) within a tested tolerance.

- :func:`rasterize_quick`: resvg for a plain drawing, the score line the CLI prints after each
  vectorize (resvg imports in ~1 ms, cairocffi in ~0.3 s).
- :func:`rasterize_drawing`: a :class:`~svgvl.svg.Drawing` straight onto a cairo surface, for
  optimisation loops that render thousands of candidates (~1 ms per icon).
"""

from __future__ import annotations

import io
import re

import numpy as np
from PIL import Image, ImageColor

from ..images import background_color
from ..svg import Document, parse
from ..svg.parse import is_svg_element, local_name
from .reference import canvas_size, check_pixels, rasterize, surface_pixels, unpremultiply

_PLAIN_ELEMENTS = frozenset({"svg", "g", "path", "rect", "circle", "ellipse", "title", "desc"})
_GRADIENT_ELEMENTS = frozenset({"defs", "linearGradient", "radialGradient", "stop"})
_LOCAL_URL = re.compile(r"url\(\s*#([^)\s]+)\s*\)")


def rasterize_quick(svg, size) -> np.ndarray:
    """Render a plain drawing (paths and basic shapes in flat colours or the tracer's linear and
    radial gradients) on white, as uint8 RGB, for a score printed to a user: the CLI's line
    after each vectorize.

    resvg draws it when installed: it imports in ~1 ms, where cairocffi's import parses C
    headers for ~0.3 s, more than tracing a 256 px icon takes.  The two renderers differ only
    in anti-aliasing: ~0.001 SSIM on traced output, 0.009 at worst (a barcode's hairlines).
    Gradients agree as closely (both follow the spec; 0.007 SSIM at worst on traced gradient
    logos).  Anything else — another element, a ``url(...)`` that is not a local gradient,
    ``href``, ``style``, or no resvg — and a failure of resvg go to the reference
    :func:`rasterize`, as does every benchmark score.
    """
    doc = svg if isinstance(svg, Document) else parse(svg)
    canvas = canvas_size(size)
    try:
        import resvg_py
    except ImportError:
        resvg_py = None
    if resvg_py is not None and canvas is not None and _plain(doc.root):
        width, height = canvas
        try:
            png = resvg_py.svg_to_bytes(
                svg_string=doc.tostring().decode("utf-8"),
                width=width,
                height=height,
                background="white",
                skip_system_fonts=True,
            )
            with Image.open(io.BytesIO(bytes(png))) as image:
                pixels = np.asarray(image.convert("RGB"))
            if pixels.shape[:2] == (height, width):
                return pixels
        except Exception:  # noqa: BLE001, S110 - any resvg failure: the reference renderer decides
            pass
    return rasterize(doc, size)


def _plain(root) -> bool:
    gradients, references = set(), set()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = local_name(element)
        if not is_svg_element(element) or name not in _PLAIN_ELEMENTS | _GRADIENT_ELEMENTS:
            return False
        if name.endswith("Gradient"):
            gradients.add(element.get("id"))
        for key, value in element.attrib.items():
            if "href" in key or key == "style":
                return False
            if "url(" in value:
                match = _LOCAL_URL.fullmatch(value.strip())
                if match is None:
                    return False
                references.add(match.group(1))
    return references <= gradients


def rasterize_drawing(
    drawing, width: int, height: int, background: str | None = "white"
) -> np.ndarray:
    """Draw a :class:`~svgvl.svg.Drawing` of flat-colour paths straight with cairo, skipping
    SVG text and cairosvg's tree: the renderer for optimisation loops (~1 ms per icon).

    It fits the drawing into the canvas as :func:`rasterize` does and agrees with it within
    anti-aliasing rounding (tested); gradients, clips and masks are not supported here.
    """
    import cairocffi as cairo

    check_pixels(width, height, "the canvas")
    surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, width, height)
    ctx = cairo.Context(surface)
    if background is not None:
        r, g, b = ImageColor.getrgb(background_color(background))[:3]
        ctx.set_source_rgb(r / 255, g / 255, b / 255)
        ctx.paint()
    s = min(width / drawing.width, height / drawing.height)
    ctx.translate((width - drawing.width * s) / 2, (height - drawing.height * s) / 2)
    ctx.scale(s, s)
    for path in drawing.paths:
        if (
            path.clip_path
            or path.mask
            or path.fill.startswith("url(")
            or path.stroke.startswith("url(")
        ):
            raise ValueError(
                "rasterize_drawing draws flat colours only (no gradients, clips or masks)"
            )
        ctx.new_path()
        for letter, c in path.d:
            if letter == "M":
                ctx.move_to(*c)
            elif letter == "L":
                ctx.line_to(*c)
            elif letter == "C":
                ctx.curve_to(*c)
            else:
                ctx.close_path()
        if path.fill != "none":
            ctx.set_fill_rule(
                cairo.FILL_RULE_EVEN_ODD if path.fill_rule == "evenodd" else cairo.FILL_RULE_WINDING
            )
            ctx.set_source_rgba(*_rgb(path.fill), path.fill_opacity * path.opacity)
            ctx.fill_preserve()
        if path.stroke != "none" and path.stroke_width > 0:
            ctx.set_line_width(path.stroke_width)
            ctx.set_line_cap(
                {"round": cairo.LINE_CAP_ROUND, "square": cairo.LINE_CAP_SQUARE}.get(
                    path.stroke_linecap, cairo.LINE_CAP_BUTT
                )
            )
            ctx.set_line_join(
                {"round": cairo.LINE_JOIN_ROUND, "bevel": cairo.LINE_JOIN_BEVEL}.get(
                    path.stroke_linejoin, cairo.LINE_JOIN_MITER
                )
            )
            ctx.set_miter_limit(path.stroke_miterlimit)
            ctx.set_source_rgba(*_rgb(path.stroke), path.stroke_opacity * path.opacity)
            ctx.stroke_preserve()
    pixels = surface_pixels(surface, opaque=background is not None)
    return pixels if background is not None else unpremultiply(pixels)


def _rgb(color: str) -> tuple[float, float, float]:
    if color == "currentColor":
        return 0.0, 0.0, 0.0
    return int(color[1:3], 16) / 255, int(color[3:5], 16) / 255, int(color[5:7], 16) / 255
