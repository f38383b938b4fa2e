"""The reference renderer: SVG → numpy pixels with cairosvg, at SVG-Bench settings.

Everything in svgvl that turns an SVG into pixels comes through :func:`rasterize`, so that a score
measured here means the same as one measured by SVG-Bench (cairosvg, white background, aspect kept).
SVG is untrusted input, so rendering is bounded three ways:

- *What it may read*: the document is parsed by :func:`svgvl.svg.parse` (size and depth limits, no
  entities) and cairosvg may resolve ``data:`` URIs only; ``file:``, ``http:`` and relative
  references draw nothing.
- *How many pixels*: at most :data:`MAX_PIXELS` per canvas or embedded image.
- *How long and how much memory*: cairo does its heavy work (stroking, dashing, filling,
  drawing patterns) inside single C calls that a Python signal cannot interrupt (a 14 kB dashed
  zig-zag ran 91 s under a 30 s ``SIGALRM``), and a signal that lands in one of cairo's
  callbacks into Python (the PNG reader of an embedded image) is printed as "Exception ignored"
  and lost.  So a document is drawn in-process only when it provably cannot run long: no
  feature whose cost is unbounded or that calls back into Python (:data:`OUT_OF_PROCESS`,
  dashes, markers, ``data:`` URIs) and a worst-case cost (:func:`_cost`) under
  :data:`IN_PROCESS_SECONDS` and :data:`IN_PROCESS_MEMORY`.  Nearly every icon qualifies
  (1–5 ms at 512 px); anything else is drawn in a child process that :func:`svgvl.sandbox.call`
  kills at the deadline, its memory capped (a fork costs 10–40 ms, too much to pay per icon in
  a benchmark, fine for the rest).
"""

from __future__ import annotations

import base64
import functools
import io
import math
import re
import sys
import urllib.parse

import numpy as np
from PIL import Image

from .. import sandbox
from ..images import MAX_PIXELS, background_color, bomb_pixels, too_large
from ..svg import Document, SVGError, parse
from ..svg.parse import XLINK_NS, is_svg_element, local_name
from ..svg.pathdata import parse_path
from ..svg.viewport import parse_viewbox

IN_PROCESS_SECONDS = 0.5
"""Worst-case drawing time (estimated by :func:`_cost`) up to which a document is drawn
in-process without a deadline; above it, or above a quarter of the timeout, in a child."""

IN_PROCESS_MEMORY = 512 << 20
"""Worst-case canvas memory (one canvas per nesting level) up to which a document is drawn
in-process."""

FILL_SECONDS = 1e-9
"""Seconds per element per canvas pixel: the worst measured fill (full-canvas translucent
rectangles, opacity groups, wide strokes, 2 CPUs) was 0.3–1.0 ns."""

EDGE_SECONDS = 1e-7
"""Seconds per path segment per canvas row: a filled zig-zag of full-height segments measured
40 ns; random segments cost more."""

OUT_OF_PROCESS = frozenset(
    {"image", "feImage", "pattern", "filter", "marker", "foreignObject", "script"}
)
"""Elements never drawn in-process: images call back into Python (cairo's PNG reader) and
allocate their full size; patterns are redrawn for every use (a 2.6 kB file of nested patterns
ran 18 s); filters and markers draw whole sub-canvases (a mask is costed like an opacity
group)."""

MAX_SUPERSAMPLING = 16  # see mask_supersampling
_EMPTY_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'
# Properties with the same risks, wherever they are set (attribute, style, <style>): dashes
# (one stroke per dash, in C), markers, and data: URIs (images, SVG documents, fonts).
_OUT_OF_PROCESS_TEXT = re.compile(rb"dasharray|marker|data:", re.IGNORECASE)
_NUMBER = re.compile(rb"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


class RenderError(SVGError):
    """cairosvg could not draw the document, or it was too large or too slow to draw."""


# -- rasterize ---------------------------------------------------------------------------------


def rasterize(
    svg,
    size=512,
    *,
    background: str | None = "white",
    timeout: float | None = 10.0,
    max_memory: int | None = sandbox.DEFAULT_MEMORY,
    strict: bool = False,
):
    """Render ``svg`` (text, bytes, path, file object or :class:`Document`) to a numpy array.

    ``size``: ``N`` → an N×N canvas with the drawing fitted, aspect kept and centred (cairosvg
    with ``output_width=output_height=N``, as SVG-Bench renders); ``(width, height)`` → that
    canvas, likewise fitted; ``None`` → the document's own width/height (96 dpi).
    ``background``: a CSS colour (default white, as SVG-Bench) gives ``uint8`` H×W×3 RGB;
    ``None`` (or ``"none"``/``"transparent"``) gives H×W×4 RGBA with straight alpha.
    ``timeout``: seconds before rendering is stopped with :class:`RenderError`; ``max_memory``:
    bytes a render may add to this process (default :data:`svgvl.sandbox.DEFAULT_MEMORY`);
    ``None`` for no limit.  Both hold for documents that could exceed them (see the module
    docstring); on systems without ``fork`` only Python-level work is interrupted.
    ``strict``: refuse path data with errors (``SVGError`` naming the path) instead of drawing
    it up to the error as SVG specifies and cairosvg (so SVG-Bench) does; for tools that should
    reject bad files, never for scoring.

    Raises :class:`SVGError` for unreadable SVG and :class:`RenderError` when drawing fails.
    """
    canvas = canvas_size(size)
    fill = background_color(background)
    doc = svg if isinstance(svg, Document) else parse(svg)
    if strict:
        _check_path_data(doc)
    data = doc.tostring()
    factor = mask_supersampling(doc.root, canvas) if b"mask" in data else 1
    drawn = canvas and (canvas[0] * factor, canvas[1] * factor)
    why = None
    if timeout or max_memory:
        why = _out_of_process(doc.root, data, drawn, timeout, max_memory)
    try:
        if why and sandbox.CAN_FORK:
            pixels = _draw_in_child(data, drawn, fill, timeout, max_memory, why)
        elif why:  # no fork (Windows): the alarm interrupts Python-level work at least
            with sandbox.time_limit(timeout):
                pixels = _draw(data, drawn, fill)
        else:
            pixels = _draw(data, drawn, fill)
        pixels = box_shrink(pixels, factor)
    except sandbox.Deadline:
        raise RenderError(sandbox.time_message("rendering", timeout), doc.source) from None
    except RenderError as error:
        raise RenderError(error.reason, error.source or doc.source) from None
    return unpremultiply(pixels) if fill is None else pixels


# -- arguments ---------------------------------------------------------------------------------


def canvas_size(size) -> tuple[int, int] | None:
    if size is None:
        return None
    width, height = (size, size) if isinstance(size, int | np.integer) else tuple(size)
    if int(width) != width or int(height) != height or width <= 0 or height <= 0:
        raise ValueError(f"size must be a positive int or (width, height), got {size!r}")
    check_pixels(int(width), int(height), "canvas")
    return int(width), int(height)


def check_pixels(width, height, what: str) -> None:
    if width * height > MAX_PIXELS:
        hint = "; pass a smaller size" if what == "canvas" else ""
        raise RenderError(too_large(what, width, height) + hint)


def _check_path_data(doc: Document) -> None:
    for index, element in enumerate(doc.root.iter()):
        if local_name(element) == "path" and is_svg_element(element):
            try:
                parse_path(element.get("d", ""))
            except SVGError as error:
                where = element.get("id") or f"element {index + 1}"
                raise SVGError(f"<path> {where}: {error.reason}", doc.source) from None


def mask_supersampling(root, canvas) -> int:
    """How many times larger to draw a document with ``<mask>`` on ``canvas``, then shrink.

    cairosvg draws a mask on a surface of the document's own size, unscaled: below scale 1 the
    mask is cut off and what it masks vanishes (every circle flag and masked logo came out
    blank at 32 px, half wrong at 200 px, right from the document's own size up; resvg draws
    them right at any size).  Drawn at a whole multiple of the canvas at least that size and
    shrunk by averaging blocks, they come out as resvg draws them."""
    if canvas is None or not any(local_name(el) == "mask" for el in root.iter()):
        return 1
    width, height = _own_size(root)
    if not (width and height):
        box = parse_viewbox(root.get("viewBox"))
        width, height = (box[2], box[3]) if box else (0.0, 0.0)
    if not (width > 0 and height > 0):
        return 1
    scale = min(canvas[0] / width, canvas[1] / height)
    factor = min(MAX_SUPERSAMPLING, math.ceil(1 / scale - 1e-9)) if scale < 1 else 1
    while factor > 1 and canvas[0] * canvas[1] * factor * factor > MAX_PIXELS:
        factor -= 1
    return factor


def box_shrink(pixels: np.ndarray, factor: int) -> np.ndarray:
    """``pixels`` (H·f × W·f × C, premultiplied if RGBA) averaged over f×f blocks, rounded."""
    if factor == 1:
        return pixels
    h, w, c = pixels.shape[0] // factor, pixels.shape[1] // factor, pixels.shape[2]
    blocks = pixels.reshape(h, factor, w, factor, c).astype(np.uint32).sum(axis=(1, 3))
    area = factor * factor
    return ((blocks + area // 2) // area).astype(np.uint8)


# -- drawing -----------------------------------------------------------------------------------


def _draw(data: bytes, canvas, fill) -> np.ndarray:
    """Draw with cairosvg, reading cairo's buffer: RGB on a background, else premultiplied RGBA.

    Reading the surface directly instead of through ``svg2png`` skips PNG encoding and decoding,
    which measured 11 of 13.5 ms per 512 px icon; the pixels are the same.
    """
    from cairosvg.parser import Tree

    width, height = canvas or (None, None)
    try:
        tree = Tree(bytestring=data, url_fetcher=_fetch_data_uri, unsafe=False)
        surface = _surface_class()(
            tree, None, 96, output_width=width, output_height=height, background_color=fill
        )
        return surface_pixels(surface.cairo, opaque=fill is not None)
    except RenderError:
        raise
    except ValueError as error:
        if "size is undefined" in str(error):
            raise RenderError(
                "the document has no usable size (no width/height or viewBox); pass a size"
            ) from None
        raise RenderError(f"cairosvg could not render it: {_describe(error)}") from None
    except Exception as error:  # cairosvg raises anything from its parser, cairo, PIL
        raise RenderError(f"cairosvg could not render it: {_describe(error)}") from None


def _describe(error: BaseException) -> str:
    text = str(error)
    if isinstance(error, MemoryError) or "NO_MEMORY" in text:
        return "out of memory"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


@functools.cache
def _surface_class():
    """cairosvg's PNG surface, checking its size before allocating; imported on first render."""
    from cairosvg.surface import PNGSurface

    class ArraySurface(PNGSurface):
        def _create_surface(self, width, height):
            if not (math.isfinite(width) and math.isfinite(height)):
                raise RenderError("the document size is not finite")
            check_pixels(round(width), round(height), "the document size")
            return super()._create_surface(width, height)

    return ArraySurface


def surface_pixels(surface, opaque: bool) -> np.ndarray:
    """A copy of a cairo ARGB32 surface: RGB when ``opaque``, else premultiplied RGBA."""
    surface.flush()
    height, width = surface.get_height(), surface.get_width()
    rows = np.frombuffer(surface.get_data(), np.uint8).reshape(height, -1)
    pixels = rows[:, : 4 * width].reshape(height, width, 4)
    # cairo's ARGB32 is a native-endian 32-bit word: B, G, R, A in memory on little-endian.
    order = [2, 1, 0, 3] if sys.byteorder == "little" else [1, 2, 3, 0]
    return pixels[..., order[:3] if opaque else order]  # fancy indexing copies


def unpremultiply(pixels: np.ndarray) -> np.ndarray:
    """Straight alpha with exactly cairo's PNG-writer rounding, so results equal ``svg2png``."""
    alpha = pixels[..., 3:4].astype(np.uint32)
    rgb = (pixels[..., :3].astype(np.uint32) * 255 + alpha // 2) // np.maximum(alpha, 1)
    out = np.concatenate([np.where(alpha == 0, 0, rgb), alpha], axis=-1)
    return out.astype(np.uint8)


def _fetch_data_uri(url: str, resource_type: str) -> bytes:
    """cairosvg's URL fetcher: decode ``data:`` URIs; anything else is an empty resource.

    cairosvg turns relative references into ``file://`` URLs and passes ``http(s):`` on, so
    refusing every non-``data:`` URL is what keeps local files and the network out of reach.
    Empty resources draw nothing (an empty SVG for ``<use href="other.svg#id">``).
    """
    if not url.startswith("data:"):
        return _EMPTY_SVG if resource_type == "image/svg+xml" else b""
    header, _, payload = url[5:].partition(",")
    if header.lower().endswith(";base64"):
        data = base64.b64decode(urllib.parse.unquote_to_bytes(payload) + b"==")
    else:
        data = urllib.parse.unquote_to_bytes(payload)
    if resource_type.startswith("image/") and b"<svg" not in data[:4096]:
        try:  # cairo allocates a PNG's full size before drawing it: refuse bombs first
            with Image.open(io.BytesIO(data)) as embedded:
                size = embedded.size
        except Image.DecompressionBombError as error:
            raise RenderError(too_large("an embedded image", pixels=bomb_pixels(error))) from None
        except Exception:  # not for us to judge; cairosvg reports unreadable images itself
            size = (0, 0)
        check_pixels(*size, "an embedded image")
    return data


# -- bounding time and memory ------------------------------------------------------------------


def _out_of_process(root, data: bytes, canvas, timeout, memory) -> str | None:
    """Why this document must be drawn in a child process, or None when drawing it here is
    provably quick and small (see the module docstring)."""
    match = _OUT_OF_PROCESS_TEXT.search(data)
    if match:
        return f"the document uses {match.group().decode().lower()}"
    names = {local_name(el) for el in root.iter() if isinstance(el.tag, str)}
    if found := sorted(names & OUT_OF_PROCESS):
        return f"the document has <{found[0]}>"
    width, height = canvas or _own_size(root)
    if not width or not height:
        return "the canvas size is known only once drawn"
    seconds, memory_needed = _cost(root, data, width, height)
    if seconds > IN_PROCESS_SECONDS or (timeout and seconds > timeout / 4):
        return f"it may take up to {seconds:.2g} s to draw"
    if memory_needed > IN_PROCESS_MEMORY or (memory and memory_needed > memory / 2):
        return f"it may need up to {sandbox.amount(memory_needed)} of canvases"
    return None


def _cost(root, data: bytes, width: int, height: int) -> tuple[float, int]:
    """Worst-case (seconds, bytes) to draw: every element filling the whole canvas, every
    path segment crossing every row, one canvas per nesting level (opacity groups)."""
    raw = sum(1 for el in root.iter() if isinstance(el.tag, str))
    elements, depth = _expanded_size(root, 10**7)
    fan_out = elements / max(raw, 1)
    numbers = sum(
        len(_NUMBER.findall(el.get(key, "").encode()))
        for el in root.iter()
        if isinstance(el.tag, str)
        for key in ("d", "points")
    )
    text = sum(len("".join(el.itertext())) for el in root.iter() if local_name(el) == "text")
    pixels = width * height
    seconds = (
        FILL_SECONDS * (elements + text) * pixels + EDGE_SECONDS * fan_out * numbers / 2 * height
    )
    return seconds, 4 * pixels * (depth + 2)


def _own_size(root) -> tuple[float, float]:
    """The document's width and height in px when given as plain numbers, else zeros."""
    try:
        return float(root.get("width", "").removesuffix("px")), float(
            root.get("height", "").removesuffix("px")
        )
    except ValueError:
        return 0.0, 0.0


def _expanded_size(root, limit: int) -> tuple[int, int]:
    """(elements, nesting depth) cairosvg will draw with every ``<use>`` expanded (counting
    stops past ``limit``).

    Iterative post-order walk over children and ``<use>`` targets with memoised sizes, so nested
    references (10 uses of 10 uses of …) are costed without being expanded; a reference cycle
    counts as unlimited.
    """
    ids = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}

    def edges(el):
        out = [child for child in el if isinstance(child.tag, str)]
        if local_name(el) == "use":
            href = (el.get("href") or el.get(f"{{{XLINK_NS}}}href") or "").strip()
            if href.startswith("#") and href[1:] in ids:
                out.append(ids[href[1:]])
        return out

    size: dict = {}
    depth: dict = {}
    on_path: set = set()
    stack = [(root, False)]
    while stack:
        el, done = stack.pop()
        if done:
            children = edges(el)
            size[el] = min(limit + 1, 1 + sum(size[child] for child in children))
            depth[el] = 1 + max((depth[child] for child in children), default=0)
            on_path.discard(el)
        elif el not in size:
            if el in on_path:
                return limit + 1, limit + 1  # cycle
            on_path.add(el)
            stack.append((el, True))
            stack.extend((child, False) for child in edges(el) if child not in size)
    return size[root], depth[root]


def _draw_in_child(data: bytes, canvas, fill, timeout, memory, why: str) -> np.ndarray:
    """:func:`_draw` in a child that :func:`svgvl.sandbox.call` kills at the deadline, its
    memory capped at ``memory`` bytes beyond this process's."""
    try:
        return sandbox.call(
            lambda: _draw(data, canvas, fill),
            timeout=timeout,
            memory=memory,
            what="rendering",
            why=why,
        )
    except sandbox.LimitError as error:
        raise RenderError(str(error)) from None
    except RenderError as error:
        if not error.reason.endswith("out of memory"):
            raise
        raise RenderError(sandbox.memory_message("rendering", memory, why)) from None
    except OSError as error:
        raise RenderError(f"cannot start a render process: {error.strerror or error}") from None
