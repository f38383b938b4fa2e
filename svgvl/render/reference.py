"""The reference renderer: SVG → numpy pixels with cairosvg, at SVG-Bench settings.

Everything in svgvl that turns an SVG into pixels comes through :func:`rasterize`, so that a score
measured here means the same as one measured by SVG-Bench (cairosvg, white background, aspect kept).
SVG is untrusted input, so rendering is bounded three ways:

- *What it may read*: the document is parsed by :func:`svgvl.svg.parse` (size and depth limits, no
  entities) and cairosvg may resolve ``data:`` URIs only; ``file:``, ``http:`` and relative
  references draw nothing.
- *How many pixels*: at most :data:`MAX_PIXELS` per canvas or embedded image.
- *How long*: cairo does its heavy work (stroking, dashing, filling) inside single C calls that a
  Python signal cannot interrupt; a 14 kB zig-zag path with ``stroke-dasharray="0.05"`` ran for
  91 s under a 30 s ``SIGALRM``.  Such documents are recognised by cheap checks
  (:func:`_costly_feature`) and drawn in a child process that :mod:`svgvl.sandbox` kills at the
  deadline.  Plain documents (nearly every icon) are drawn in-process, 1–5 ms at 512 px, under a
  ``SIGALRM`` safety net when called from the main thread; a forked render costs 20–40 ms more,
  growing with the size of the calling process, too much to pay per icon in a benchmark.
"""

from __future__ import annotations

import base64
import functools
import io
import math
import os
import re
import struct
import sys
import urllib.parse

import numpy as np
from PIL import Image

from .. import sandbox
from ..images import MAX_PIXELS, background_color
from ..svg import Document, SVGError, parse
from ..svg.parse import XLINK_NS, is_svg_element, local_name
from ..svg.pathdata import parse_path

LARGE_DOCUMENT = 256 * 1024
"""Documents above this many bytes render in a child process (fill cost grows faster than size)."""

MANY_ELEMENTS = 5000
"""Element count, after expanding ``<use>``, above which a document renders in a child process."""

LONG_TEXT = 2000
"""Characters of ``<text>`` above which a document renders in a child process (~30 µs each)."""

CHILD_MEMORY = 4 << 30
"""Address space a render child may add beyond its parent's, so a runaway render cannot swap."""

_EMPTY_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'
# Features whose cost is not bounded by document size: dashes (one stroke per dash, in C),
# markers (one drawing per vertex) and SVG images in data: URIs (their content is not checked here).
_COSTLY = re.compile(rb"dasharray|marker|data:image/svg", re.IGNORECASE)


class RenderError(SVGError):
    """cairosvg could not draw the document, or it was too large or too slow to draw."""


# -- rasterize ---------------------------------------------------------------------------------


def rasterize(
    svg,
    size=512,
    *,
    background: str | None = "white",
    timeout: float | None = 10.0,
    strict: bool = False,
):
    """Render ``svg`` (text, bytes, path, file object or :class:`Document`) to a numpy array.

    ``size``: ``N`` → an N×N canvas with the drawing fitted, aspect kept and centred (cairosvg
    with ``output_width=output_height=N``, as SVG-Bench renders); ``(width, height)`` → that
    canvas, likewise fitted; ``None`` → the document's own width/height (96 dpi).
    ``background``: a CSS colour (default white, as SVG-Bench) gives ``uint8`` H×W×3 RGB;
    ``None`` (or ``"none"``/``"transparent"``) gives H×W×4 RGBA with straight alpha.
    ``timeout``: seconds before rendering is stopped with :class:`RenderError`; ``None`` for no
    limit.  On systems without ``fork`` only Python-level work is interrupted.
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
    costly = _costly_feature(doc.root, data)
    try:
        if timeout and costly and sandbox.CAN_FORK:
            pixels = _draw_in_child(data, canvas, fill, timeout, costly)
        else:
            with sandbox.time_limit(timeout):
                pixels = _draw(data, canvas, fill)
    except sandbox.Deadline:
        raise RenderError(
            f"rendering took longer than {timeout:g} s and was stopped", doc.source
        ) from None
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
        raise RenderError(
            f"{what} of {width:,}×{height:,} pixels is larger than the limit of "
            f"{MAX_PIXELS:,} pixels; pass a smaller size"
        )


def _check_path_data(doc: Document) -> None:
    for index, element in enumerate(doc.root.iter()):
        if local_name(element) == "path" and is_svg_element(element):
            try:
                parse_path(element.get("d", ""))
            except SVGError as error:
                where = element.get("id") or f"element {index + 1}"
                raise SVGError(f"<path> {where}: {error.reason}", doc.source) from None


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
        except Image.DecompressionBombError:
            size = (MAX_PIXELS, MAX_PIXELS)
        except Exception:  # not for us to judge; cairosvg reports unreadable images itself
            size = (0, 0)
        check_pixels(*size, "an embedded image")
    return data


# -- bounding time -----------------------------------------------------------------------------


def _costly_feature(root, data: bytes) -> str | None:
    """Why drawing this document could take long, or None for an ordinary document.

    Each rule is a measured slow case (2 CPUs, 512 px): dashed strokes (6 s for 1.5 kB), markers
    (12 s for 100k vertices), fills of large paths (3.4 s for 40k random segments, 512 kB),
    ``<use>`` fan-out (2.7 s for 10^4 references), long text (6.5 s for 200k characters).
    """
    if len(data) > LARGE_DOCUMENT:
        return f"a large document ({len(data):,} bytes)"
    match = _COSTLY.search(data)
    if match:
        return f"the document uses {match.group().decode().lower()}"
    elements = _expanded_size(root, MANY_ELEMENTS)
    if elements > MANY_ELEMENTS:
        return f"more than {MANY_ELEMENTS:,} elements once <use> is expanded"
    text = sum(len("".join(el.itertext())) for el in root.iter() if local_name(el) == "text")
    if text > LONG_TEXT:
        return f"{text:,} characters of text"
    return None


def _expanded_size(root, limit: int) -> int:
    """Elements cairosvg will draw with every ``<use>`` expanded (counting stops past ``limit``).

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
    on_path: set = set()
    stack = [(root, False)]
    while stack:
        el, done = stack.pop()
        if done:
            size[el] = min(limit + 1, 1 + sum(size[child] for child in edges(el)))
            on_path.discard(el)
        elif el not in size:
            if el in on_path:
                return limit + 1  # cycle
            on_path.add(el)
            stack.append((el, True))
            stack.extend((child, False) for child in edges(el) if child not in size)
    return size[root]


def _draw_in_child(data: bytes, canvas, fill, timeout: float, why: str) -> np.ndarray:
    """:func:`_draw` in a child that :func:`svgvl.sandbox.run_in_child` kills at the deadline,
    its address space capped at :data:`CHILD_MEMORY` beyond the parent's."""

    def draw() -> bytes:
        pixels = _draw(data, canvas, fill)
        return struct.pack("<III", *pixels.shape) + pixels.tobytes()

    def describe(error: BaseException) -> str:
        return error.reason if isinstance(error, RenderError) else _describe(error)

    try:
        outcome = sandbox.run_in_child(draw, timeout, describe=describe, memory=CHILD_MEMORY)
    except OSError as error:
        raise RenderError(f"cannot start a render process: {error.strerror or error}") from None
    if outcome.timed_out:
        raise RenderError(f"rendering took longer than {timeout:g} s and was stopped ({why})")
    if outcome.error is not None:
        raise RenderError(outcome.error)
    payload = bytearray(outcome.value or b"")  # writable, so the returned array is too
    shape = struct.unpack("<III", payload[:12]) if len(payload) >= 12 else (0, 0, 0)
    if not shape[0] or len(payload) != 12 + math.prod(shape):
        raise RenderError(f"the renderer process died ({_exit_reason(outcome.status)}; {why})")
    return np.frombuffer(payload, np.uint8, offset=12).reshape(shape)


def _exit_reason(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}, likely out of memory"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
