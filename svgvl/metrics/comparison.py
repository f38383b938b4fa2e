"""``compare``: score a candidate against a target, each an SVG or an image.

Both sides are brought to the same pixels (SVGs rendered by :func:`svgvl.render.rasterize`,
images read by :func:`svgvl.render.load_image`), then scored for fidelity and, for an SVG
candidate, compactness; learned metrics are added when their models are given.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..images import fitted, image_size
from ..render import ImageError, load_image, rasterize
from ..sandbox import DEFAULT_MEMORY
from ..svg import Document, SVGError, parse
from ..svg.parse import MAX_BYTES
from .compactness import count_commands, count_paths, count_tokens
from .fidelity import mse, psnr, ssim
from .learned import DEFAULT_DINO, dino_score, lpips_distance

SCORE_PIXELS = 2048 * 2048
"""Pixels scored at most: a bigger comparison is scored at a reduced size (and says so), as
SSIM over an 8000² target took 33 s and 5.9 GB and tells no more than at 2048²."""

_RASTER_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\0", b"MM\0*", b"\0\0\1\0")


@dataclass
class _Side:
    """One side of a comparison: an SVG (``svg`` is True; ``raw`` is its text) or an image."""

    svg: bool
    source: object
    raw: bytes | None = None
    name: str | None = None


def compare(
    candidate,
    target,
    size=512,
    *,
    tokenizer=None,
    lpips=None,
    dino=None,
    timeout: float | None = 10.0,
    max_memory: int | None = DEFAULT_MEMORY,
    max_pixels: int = SCORE_PIXELS,
) -> dict:
    """Score ``candidate`` against ``target``; returns a flat dict of numbers.

    Each side is an SVG (text, bytes, ``.svg``/``.svgz`` path, file object or
    :class:`~svgvl.svg.Document`) or an image (raster file path, bytes, file object, numpy array
    or PIL image); bytes and files are told apart by their first bytes.

    Resolution: two SVGs are both rendered at ``size``×``size`` (SVG-Bench); with one image, the
    SVG is rendered at that image's pixel size, so ``compare(x, rasterize(x))`` is exact; two
    images of different shapes: the candidate is resized (Lanczos) to the target's shape.  A
    comparison over ``max_pixels`` is scored at a reduced size (aspect kept), and the result
    says so in ``scored_at`` (``"2048×2048 of 8000×8000"``).  ``timeout`` and ``max_memory``
    bound each render (see :func:`svgvl.render.rasterize`).

    Keys: ``mse``, ``psnr``, ``ssim``, then ``lpips`` if ``lpips`` (weights path, see
    :func:`lpips_distance`) and ``dino`` if ``dino`` (path or hub id, or True for
    ``facebook/dinov2-base``) are given; for an SVG candidate ``bytes``, ``paths``,
    ``commands`` (None if it does not parse) and ``tokens`` if ``tokenizer`` is given; always
    ``failed``.  A candidate that cannot be read or rendered scores as an all-white image
    (SVG-Bench) with ``failed: True`` and ``error``; a bad target raises.
    """
    render = functools.partial(rasterize, timeout=timeout, max_memory=max_memory)
    cand, targ = _side(candidate), _side(target)
    cand_pixels, natural, error = _load(cand, max_pixels)  # errors are kept, not raised
    if targ.svg:
        doc = targ.source
        if not isinstance(doc, Document):
            doc = parse(targ.raw if targ.raw is not None else targ.source, name=targ.name)
        natural = natural or ((size, size) if isinstance(size, int) else tuple(size))
        target_pixels = render(doc, fitted(natural, max_pixels))
    else:
        target_pixels = load_image(targ.source, max_pixels=max_pixels)  # names a bad file
        natural = image_size(targ.source)
    height, width = target_pixels.shape[:2]
    if cand.svg and error is None:
        try:
            cand_pixels = render(cand.source, (width, height))
        except SVGError as failure:
            error = str(failure)
    if error is not None:
        cand_pixels = np.full_like(target_pixels, 255)
    elif cand_pixels.shape != target_pixels.shape:
        resized = Image.fromarray(cand_pixels).resize((width, height), Image.Resampling.LANCZOS)
        cand_pixels = np.asarray(resized)

    result = {
        "mse": mse(cand_pixels, target_pixels),
        "psnr": psnr(cand_pixels, target_pixels),
        "ssim": ssim(cand_pixels, target_pixels),
    }
    if lpips is not None:
        result["lpips"] = lpips_distance(cand_pixels, target_pixels, lpips)
    if dino:
        result["dino"] = dino_score(
            cand_pixels, target_pixels, DEFAULT_DINO if dino is True else dino
        )
    if cand.svg:
        result.update(_compactness(cand, tokenizer))
    if (width, height) != tuple(natural):
        result["scored_at"] = f"{width}×{height} of {natural[0]}×{natural[1]}"
    result["failed"] = error is not None
    if error is not None:
        result["error"] = error
    return result


def _side(value) -> _Side:
    """Decide whether ``value`` is an SVG or an image, reading bytes only where needed."""
    if isinstance(value, Document):
        return _Side(True, value, value.tostring(), value.source)
    if isinstance(value, np.ndarray | Image.Image):
        return _Side(False, value)
    if hasattr(value, "read"):
        name = getattr(value, "name", None)
        value = value.read()
        if isinstance(value, str):
            value = value.encode("utf-8")
        return _Side(_looks_like_svg(value), value, value, name if isinstance(name, str) else None)
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value)
        return _Side(_looks_like_svg(value), value, value)
    if isinstance(value, str) and "<" in value:
        return _Side(True, value, value.encode("utf-8"))
    if isinstance(value, str | os.PathLike):
        path = os.fspath(value)
        return _Side(True, path, _read_small(path), path) if is_svg(path) else _Side(False, path)
    return _Side(True, value)  # parse names the unsupported type


def is_svg(value) -> bool:
    """Whether ``value`` (SVG text, bytes, a path, a Document, an image or an array) is an SVG
    rather than a raster image: by type, text, suffix, or the first bytes of the file.  A path
    that cannot be read counts as an image (``load_image`` then names the problem); a file
    object is not looked at (reading it would consume it)."""
    if isinstance(value, Document):
        return True
    if isinstance(value, np.ndarray | Image.Image) or hasattr(value, "read"):
        return False
    if isinstance(value, bytes | bytearray | memoryview):
        return _looks_like_svg(bytes(value))
    if isinstance(value, str) and "<" in value:
        return True
    if isinstance(value, str | os.PathLike):
        path = os.fspath(value)
        if path.lower().endswith((".svg", ".svgz")):
            return True
        try:
            with open(path, "rb") as handle:
                return _looks_like_svg(handle.read(1024))
        except OSError:
            return False
    return True


def _looks_like_svg(data: bytes) -> bool:
    if data.startswith(_RASTER_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return False
    return data.startswith(b"\x1f\x8b") or data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def _read_small(path: str) -> bytes | None:
    """The file's bytes for compactness, unless it is too large to parse anyway."""
    try:
        if os.path.getsize(path) <= MAX_BYTES:
            with open(path, "rb") as handle:
                return handle.read()
    except OSError:
        pass
    return None


def _load(side: _Side, max_pixels: int):
    """``(pixels, natural size, error)``: parse an SVG side (no pixels, no size) or read an
    image side (reduced to ``max_pixels``), never raising."""
    try:
        if side.svg:
            if not isinstance(side.source, Document):
                source = side.raw if side.raw is not None else side.source
                side.source = parse(source, name=side.name)
            return None, None, None
        pixels = load_image(side.source, max_pixels=max_pixels)  # names a bad file
        return pixels, image_size(side.source), None
    except (SVGError, ImageError) as error:
        return None, None, str(error)


def _compactness(side: _Side, tokenizer) -> dict:
    raw = side.raw or b""
    doc = side.source if isinstance(side.source, Document) else None
    if raw.startswith(b"\x1f\x8b"):  # .svgz: measure the SVG inside (parse bounded its size)
        raw = doc.tostring() if doc is not None else raw
    out = {
        "bytes": len(raw),
        "paths": count_paths(doc) if doc is not None else None,
        "commands": count_commands(doc) if doc is not None else None,
    }
    if tokenizer is not None:
        out["tokens"] = count_tokens(raw.decode("utf-8", "replace"), tokenizer)
    return out
