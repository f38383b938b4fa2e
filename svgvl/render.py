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
  (:func:`_costly_feature`) and drawn in a forked child process that is killed at the deadline.
  Plain documents (nearly every icon) are drawn in-process, 1–5 ms at 512 px, under a
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
import signal
import struct
import sys
import urllib.parse

import numpy as np
from PIL import Image, ImageColor, ImageOps, UnidentifiedImageError

from .deadline import Deadline, read_pipe, time_limit
from .svg import Document, SVGError, parse
from .svg.parse import XLINK_NS, is_svg_element, local_name
from .svg.pathdata import parse_path
from .svg.style import hex_color

MAX_PIXELS = 8192 * 8192
"""Largest canvas (and largest embedded or loaded raster image), in pixels."""

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


class ImageError(ValueError):
    """A raster image could not be read: missing, empty, corrupt, unsupported or too large."""


# -- public API --------------------------------------------------------------------------------


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
    canvas = _canvas(size)
    fill = _background(background)
    doc = svg if isinstance(svg, Document) else parse(svg)
    if strict:
        _check_path_data(doc)
    data = doc.tostring()
    costly = _costly_feature(doc.root, data)
    try:
        if timeout and costly and hasattr(os, "fork"):
            pixels = _draw_in_child(data, canvas, fill, timeout, costly)
        else:
            with time_limit(timeout):
                pixels = _draw(data, canvas, fill)
    except Deadline:
        raise RenderError(
            f"rendering took longer than {timeout:g} s and was stopped", doc.source
        ) from None
    except RenderError as error:
        raise RenderError(error.reason, error.source or doc.source) from None
    return _unpremultiply(pixels) if fill is None else pixels


def load_image(image, background: str | None = "white") -> np.ndarray:
    """Read a raster image as ``uint8`` RGB (H×W×3), or RGBA (H×W×4) when ``background=None``.

    ``image``: a path, bytes, binary file object, PIL image or numpy array (H×W gray, H×W×3 RGB
    or H×W×4 RGBA; floats are taken as 0–1).  Files may be PNG, JPEG, WebP, BMP, GIF (first
    frame) or anything else Pillow reads; EXIF orientation is applied and transparency is
    composited over ``background``.  Bad input raises :class:`ImageError` naming the reason.
    """
    if isinstance(image, np.ndarray):
        rgba = _array_to_rgba(image)
    else:
        rgba = np.array(_open_image(image).convert("RGBA"))  # a writable copy
    if background is None or str(background).lower() in ("none", "transparent"):
        return rgba
    rgb = np.array(ImageColor.getrgb(_background(background)), dtype=np.float32)
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    mixed = rgba[..., :3].astype(np.float32) * alpha + rgb * (1.0 - alpha)
    return np.rint(mixed).astype(np.uint8)


def save_png(array, path, *, force: bool = False) -> None:
    """Write a uint8 array (H×W gray, H×W×3 RGB or H×W×4 RGBA) as PNG, atomically.

    Goes through :func:`svgvl.files.write_atomic`: a temporary file in the same folder and a
    rename, so a crash never leaves half a PNG; an existing file is kept unless ``force``.
    ``path="-"`` writes to standard output.
    """
    from .files import write_atomic

    array = np.asarray(array)
    if (
        array.dtype != np.uint8
        or array.ndim not in (2, 3)
        or (array.ndim == 3 and array.shape[2] not in (3, 4))
    ):
        raise ValueError(
            f"expected a uint8 array of shape H×W, H×W×3 or H×W×4, got {array.dtype} {array.shape}"
        )
    out = io.BytesIO()
    Image.fromarray(array).save(out, format="PNG")
    write_atomic(path, out.getvalue(), force=force)


# -- arguments ---------------------------------------------------------------------------------


def _canvas(size) -> tuple[int, int] | None:
    if size is None:
        return None
    width, height = (size, size) if isinstance(size, int | np.integer) else tuple(size)
    if int(width) != width or int(height) != height or width <= 0 or height <= 0:
        raise ValueError(f"size must be a positive int or (width, height), got {size!r}")
    _check_pixels(int(width), int(height), "canvas")
    return int(width), int(height)


def _check_pixels(width, height, what: str) -> None:
    if width * height > MAX_PIXELS:
        raise RenderError(
            f"{what} of {width:,}×{height:,} pixels is larger than the limit of "
            f"{MAX_PIXELS:,} pixels; pass a smaller size"
        )


def _background(background) -> str | None:
    """The background as ``#rrggbb`` for cairosvg, or None for transparent."""
    if background is None or str(background).strip().lower() in ("none", "transparent"):
        return None
    try:
        rgb = ImageColor.getrgb(str(background).strip())
    except ValueError:
        raise ValueError(f"unknown background colour {background!r}") from None
    if len(rgb) == 4 and rgb[3] != 255:
        raise ValueError("the background colour must be opaque; pass None for transparency")
    return hex_color(rgb[:3])


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
        surface.cairo.flush()
        image = surface.cairo
        rows = np.frombuffer(image.get_data(), np.uint8).reshape(image.get_height(), -1)
        pixels = rows[:, : 4 * image.get_width()].reshape(image.get_height(), -1, 4)
        # cairo's ARGB32 is a native-endian 32-bit word: B, G, R, A in memory on little-endian.
        order = [2, 1, 0, 3] if sys.byteorder == "little" else [1, 2, 3, 0]
        return pixels[..., order if fill is None else order[:3]]  # fancy indexing copies
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
            _check_pixels(round(width), round(height), "the document size")
            return super()._create_surface(width, height)

    return ArraySurface


def _unpremultiply(pixels: np.ndarray) -> np.ndarray:
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
        _check_pixels(*size, "an embedded image")
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
    """:func:`_draw` in a forked child that is killed at the deadline.

    The child sends ``0 + shape + pixels`` or ``1 + message`` through a pipe.  A plain
    ``fork`` (not multiprocessing) keeps the cost at one page-table copy and needs no importable
    ``__main__``.
    """
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError as error:
        os.close(read_end)
        os.close(write_end)
        raise RenderError(f"cannot start a render process: {error.strerror or error}") from None
    if pid == 0:  # child: never returns into the caller's code
        try:
            os.close(read_end)
            _limit_memory()
            pixels = _draw(data, canvas, fill)
            payload = b"\0" + struct.pack("<III", *pixels.shape) + pixels.tobytes()
        except BaseException as error:  # noqa: BLE001 - reported to the parent
            reason = error.reason if isinstance(error, RenderError) else _describe(error)
            payload = b"\1" + reason.encode("utf-8", "replace")
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(write_end, view) :]
        finally:
            os._exit(0)

    os.close(write_end)
    data, finished = b"", False
    try:
        data, finished = read_pipe(read_end, timeout)
    finally:
        os.close(read_end)
        if not finished:
            os.kill(pid, signal.SIGKILL)
        try:
            status = os.waitpid(pid, 0)[1]
        except ChildProcessError:  # SIGCHLD ignored by the application: already reaped
            status = 0
    if not finished:
        raise RenderError(f"rendering took longer than {timeout:g} s and was stopped ({why})")
    payload = bytearray(data)  # writable, so the returned array is too
    if payload[:1] == b"\1":
        raise RenderError(payload[1:].decode("utf-8", "replace"))
    shape = struct.unpack("<III", payload[1:13]) if len(payload) >= 13 else (0, 0, 0)
    if not shape[0] or len(payload) != 13 + math.prod(shape):
        raise RenderError(f"the renderer process died ({_exit_reason(status)}; {why})")
    return np.frombuffer(payload, np.uint8, offset=13).reshape(shape)


def _exit_reason(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}, likely out of memory"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


def _limit_memory() -> None:
    """Cap the child's address space at its current size plus :data:`CHILD_MEMORY` (Linux)."""
    try:
        import resource

        with open("/proc/self/statm") as handle:
            current = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = current + CHILD_MEMORY
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        if soft == resource.RLIM_INFINITY or soft > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass


# -- raster images -----------------------------------------------------------------------------


def _open_image(image) -> Image.Image:
    """A loaded, upright PIL image (first frame) from a path, bytes, file object or PIL image."""
    if isinstance(image, Image.Image):
        _check_image_size(image.size, "")
        return _upright(image)
    name = None
    if isinstance(image, bytes | bytearray | memoryview):
        image = io.BytesIO(bytes(image))
    elif isinstance(image, str | os.PathLike):
        name = os.fspath(image)
    else:
        name = getattr(image, "name", None)
    label = f"{name}: " if isinstance(name, str) else ""
    try:
        if name is not None and os.path.isfile(name) and os.path.getsize(name) == 0:
            raise ImageError(f"{label}empty file")
        with Image.open(image) as opened:
            _check_image_size(opened.size, label)
            opened.seek(0)
            opened.load()
            upright = _upright(opened)
    except ImageError:
        raise
    except FileNotFoundError:
        raise ImageError(f"{label}no such file") from None
    except IsADirectoryError:
        raise ImageError(f"{label}is a directory, not an image") from None
    except UnidentifiedImageError:
        raise ImageError(f"{label}not an image Pillow can read (empty or unknown format)") from None
    except Image.DecompressionBombError as error:
        raise ImageError(
            f"{label}image is larger than the limit of {MAX_PIXELS:,} pixels ({error})"
        ) from None
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise ImageError(f"{label}corrupt or truncated image ({error})") from None
    if upright.mode in ("I", "I;16", "I;16B", "I;16L"):  # 16-bit gray: scale, don't clip
        upright = Image.fromarray((np.asarray(upright, dtype=np.uint32) // 257).astype(np.uint8))
    return upright


def _upright(image: Image.Image) -> Image.Image:
    """A copy turned as its EXIF orientation says; a broken EXIF block is ignored, not fatal."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:
        return image.copy()


def _check_image_size(size, label: str) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise ImageError(f"{label}image has no pixels ({width}×{height})")
    if width * height > MAX_PIXELS:
        raise ImageError(
            f"{label}image of {width:,}×{height:,} pixels is larger than the limit of "
            f"{MAX_PIXELS:,} pixels"
        )


def _array_to_rgba(array: np.ndarray) -> np.ndarray:
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ImageError(f"expected an H×W, H×W×3 or H×W×4 array, got shape {array.shape}")
    _check_image_size(array.shape[1::-1], "")
    if array.dtype != np.uint8:
        if array.dtype.kind not in "fb" or not np.isfinite(array).all():
            raise ImageError(f"expected uint8 or 0–1 float pixels, got {array.dtype}")
        array = np.rint(np.clip(array.astype(np.float64), 0, 1) * 255).astype(np.uint8)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    if array.shape[2] == 3:
        array = np.concatenate([array, np.full(array.shape[:2] + (1,), 255, np.uint8)], axis=2)
    return np.array(array, copy=True)  # never the caller's own array


# -- fast paths ------------------------------------------------------------------------------------

_PLAIN_ELEMENTS = frozenset({"svg", "g", "path", "rect", "circle", "ellipse", "title", "desc"})


def rasterize_quick(svg, size) -> np.ndarray:
    """Render a plain drawing (paths and basic shapes in flat colours, nothing referenced) on
    white, as uint8 RGB, for a score printed to a user: the CLI's line after each vectorize.

    resvg draws it when installed: it imports in ~1 ms, where cairocffi's import parses C
    headers for ~0.3 s, more than tracing a 256 px icon takes.  The two renderers differ only
    in anti-aliasing: ~0.001 SSIM on traced output, 0.009 at worst (a barcode's hairlines).
    Anything else — another element, ``url(...)``, ``href``, or no resvg — and a failure of
    resvg go to the reference :func:`rasterize`, as does every benchmark score.
    """
    doc = svg if isinstance(svg, Document) else parse(svg)
    canvas = _canvas(size)
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
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if not is_svg_element(element) or local_name(element) not in _PLAIN_ELEMENTS:
            return False
        for key, value in element.attrib.items():
            if "href" in key or "url(" in value or key == "style":
                return False
    return True


# -- fast path for inner loops ------------------------------------------------------------------


def rasterize_drawing(
    drawing, width: int, height: int, background: str | None = "white"
) -> np.ndarray:
    """Draw a :class:`~svgvl.svg.Drawing` of flat-colour paths straight with cairo, skipping
    SVG text and cairosvg's tree: the renderer for optimisation loops (~1 ms per icon).

    It fits the drawing into the canvas as :func:`rasterize` does and agrees with it within
    anti-aliasing rounding (tested); gradients, clips and masks are not supported here.
    """
    import cairocffi as cairo

    _check_pixels(width, height, "the canvas")
    surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, width, height)
    ctx = cairo.Context(surface)
    if background is not None:
        r, g, b = ImageColor.getrgb(_background(background))[:3]
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
    surface.flush()
    rows = np.frombuffer(surface.get_data(), np.uint8).reshape(height, -1)
    pixels = rows[:, : 4 * width].reshape(height, width, 4)
    order = [2, 1, 0, 3] if sys.byteorder == "little" else [1, 2, 3, 0]
    if background is not None:
        return pixels[..., order[:3]]
    return _unpremultiply(pixels[..., order])


def _rgb(color: str) -> tuple[float, float, float]:
    if color == "currentColor":
        return 0.0, 0.0, 0.0
    return int(color[1:3], 16) / 255, int(color[3:5], 16) / 255, int(color[5:7], 16) / 255
