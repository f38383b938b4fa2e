"""Raster images in and out: user files read into numpy arrays, arrays written as PNG.

Images from users are untrusted input: every reader here bounds the size (:data:`MAX_PIXELS`,
checked before Pillow decodes, so a decompression bomb costs nothing) and turns every failure
into an :class:`ImageError` that names the file and the reason.  Nothing here renders SVG, so
the vectorize path reads its input without importing a renderer.
"""

from __future__ import annotations

import io
import os

import numpy as np
from PIL import Image, ImageColor, ImageOps, UnidentifiedImageError

from .svg.style import hex_color

MAX_PIXELS = 8192 * 8192
"""Largest canvas (and largest embedded or loaded raster image), in pixels."""


class ImageError(ValueError):
    """A raster image could not be read: missing, empty, corrupt, unsupported or too large."""


def load_image(
    image, background: str | None = "white", *, max_pixels: int | None = None
) -> np.ndarray:
    """Read a raster image as ``uint8`` RGB (H×W×3), or RGBA (H×W×4) when ``background=None``.

    ``image``: a path, bytes, binary file object, PIL image or numpy array (H×W gray, H×W×3 RGB
    or H×W×4 RGBA; floats are taken as 0–1).  Files may be PNG, JPEG, WebP, BMP, GIF (first
    frame) or anything else Pillow reads; EXIF orientation is applied and transparency is
    composited over ``background``.  ``max_pixels``: an image with more pixels is reduced (by
    area averaging, aspect kept) to fit, before it is widened to RGBA.  Bad input raises
    :class:`ImageError` naming the reason.
    """
    if isinstance(image, np.ndarray):
        rgba = _array_to_rgba(image)
        if max_pixels and fitted(rgba.shape[1::-1], max_pixels) != rgba.shape[1::-1]:
            rgba = np.asarray(_fit(Image.fromarray(rgba, "RGBA"), max_pixels))
    else:
        opened = _open_image(image)
        if max_pixels:
            opened = _fit(opened, max_pixels)
        rgba = np.array(opened.convert("RGBA"))  # a writable copy
    if background is None or str(background).lower() in ("none", "transparent"):
        return rgba
    rgb = np.array(ImageColor.getrgb(background_color(background)), dtype=np.float32)
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


def background_color(background) -> str | None:
    """A background as ``#rrggbb`` (what cairosvg takes), or None for transparent."""
    if background is None or str(background).strip().lower() in ("none", "transparent"):
        return None
    try:
        rgb = ImageColor.getrgb(str(background).strip())
    except ValueError:
        raise ValueError(f"unknown background colour {background!r}") from None
    if len(rgb) == 4 and rgb[3] != 255:
        raise ValueError("the background colour must be opaque; pass None for transparency")
    return hex_color(rgb[:3])


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
        raise ImageError(f"{label}{too_large('image', pixels=bomb_pixels(error))}") from None
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise ImageError(f"{label}corrupt or truncated image ({error})") from None
    if upright.mode in ("I", "I;16", "I;16B", "I;16L"):  # 16-bit gray: scale, don't clip
        upright = Image.fromarray((np.asarray(upright, dtype=np.uint32) // 257).astype(np.uint8))
    return upright


def image_size(image) -> tuple[int, int]:
    """(width, height) of an image (as :func:`load_image` takes it), from its header only."""
    if isinstance(image, np.ndarray):
        return image.shape[1], image.shape[0]
    if isinstance(image, Image.Image):
        return image.size
    if isinstance(image, bytes | bytearray | memoryview):
        image = io.BytesIO(bytes(image))
    try:
        with Image.open(image) as opened:
            return opened.size
    except Image.DecompressionBombError as error:
        raise ImageError(too_large("image", pixels=bomb_pixels(error))) from None
    except (OSError, ValueError, SyntaxError) as error:  # load_image names the problem
        raise ImageError(f"cannot read the image ({error})") from None


def fitted(size, max_pixels: int) -> tuple[int, int]:
    """``size`` (width, height) scaled down, aspect kept, to at most ``max_pixels``."""
    width, height = size
    if width * height <= max_pixels:
        return width, height
    scale = (max_pixels / (width * height)) ** 0.5
    return max(1, int(width * scale)), max(1, int(height * scale))


def _fit(image: Image.Image, max_pixels: int) -> Image.Image:
    """``image`` reduced by area averaging to at most ``max_pixels`` (1-bit and palette
    images widened first: Pillow averages only grey and colour pixels)."""
    size = fitted(image.size, max_pixels)
    if size == image.size:
        return image
    if image.mode not in ("L", "LA", "RGB", "RGBA"):
        image = image.convert("L" if image.mode == "1" else "RGBA")
    return image.resize(size, Image.Resampling.BOX)


def too_large(what: str, width=None, height=None, *, pixels=None) -> str:
    """The one message for an image over :data:`MAX_PIXELS`: its real size, the one limit."""
    if width is not None:
        size = f"{width:,}×{height:,} pixels"
    else:
        size = "unknown size" if pixels is None else f"{pixels:,} pixels"
    return f"{what} of {size} is larger than the limit of {MAX_PIXELS:,} pixels"


def bomb_pixels(error: Exception) -> int | None:
    """The pixel count in Pillow's ``DecompressionBombError`` (raised before the size is known
    to the caller), so that the message states the image's size and not Pillow's own limit."""
    import re

    found = re.search(r"Image size \((\d+) pixels\)", str(error))
    return int(found.group(1)) if found else None


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
        raise ImageError(f"{label}{too_large('image', width, height)}")


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
