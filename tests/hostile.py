"""Hostile inputs, generated small: each one made svgvl run for minutes or gigabytes once.

Each writer makes its file in a folder and returns its path.  The big images are 1-bit PNGs of
one flat colour, which zlib packs into a few kilobytes, so the files stay small while the pixels
are many; only the noise image (random by design) is as large as it looks (about 1 MB), and it
is written, never committed.  Used by the tests (tests/test_bounds.py) and by
eval/robustness/deadline.py.
"""

from __future__ import annotations

import base64
import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

BIG_SIDE = 8000


def blank_png(side: int = BIG_SIDE) -> bytes:
    """A ``side``² 1-bit PNG, all black but for a white square: a few kB for 64 Mpixels."""
    image = Image.new("1", (side, side), 0)
    image.paste(1, (side // 4, side // 4, side // 2, side // 2))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def image_uses(folder: Path, uses: int = 20) -> Path:
    """One 8000² PNG data URI drawn ``uses`` times through ``<use>`` (cairo decodes each)."""
    uri = "data:image/png;base64," + base64.b64encode(blank_png()).decode()
    refs = "".join(f'<use href="#i" x="{i % 5 * 20}" y="{i // 5 * 20}"/>' for i in range(uses))
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="100" height="100">'
        f'<defs><image id="i" href="{uri}" width="100" height="100"/></defs>{refs}</svg>'
    )
    return _write(folder / "image_uses.svg", svg)


def nested_patterns(folder: Path, depth: int = 8, fan: int = 5) -> Path:
    """Patterns whose tiles hold ``fan`` shapes filled with the pattern below: cairosvg draws a
    pattern's tile anew for every fill that uses it, so the work is ``fan ** depth`` tiles."""
    defs = [
        '<pattern id="p0" width="1" height="1" patternUnits="userSpaceOnUse">'
        '<rect width="0.5" height="0.5" fill="#000"/></pattern>'
    ]
    for level in range(1, depth):
        rects = "".join(
            f'<rect x="{i}" width="1" height="{fan}" fill="url(#p{level - 1})"/>'
            for i in range(fan)
        )
        defs.append(
            f'<pattern id="p{level}" width="{fan}" height="{fan}" patternUnits="userSpaceOnUse">'
            f"{rects}</pattern>"
        )
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="512" height="512">'
        f"<defs>{''.join(defs)}</defs>"
        f'<rect width="100" height="100" fill="url(#p{depth - 1})"/></svg>'
    )
    return _write(folder / "nested_patterns.svg", svg)


def dashed_zigzag(folder: Path, points: int = 2000) -> Path:
    """A long zig-zag stroked with tiny dashes: one cairo call strokes every dash."""
    coords = " ".join(f"{i * 512 / points:.2f},{(i % 2) * 512}" for i in range(points))
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512">'
        f'<path d="M{coords}" fill="none" stroke="#000" stroke-dasharray="0.05"/></svg>'
    )
    return _write(folder / "dashed_zigzag.svg", svg)


def big_target(folder: Path) -> Path:
    """An 8000² 1-bit PNG, the target of a comparison with a small SVG."""
    path = folder / "big_target.png"
    path.write_bytes(blank_png())
    return path


def small_svg(folder: Path) -> Path:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4">'
        '<rect width="4" height="4"/><rect x="1" y="1" width="1" height="1" fill="#fff"/></svg>'
    )
    return _write(folder / "small.svg", svg)


def noise_png(folder: Path, side: int = 2048, colors: int = 6, seed: int = 0) -> Path:
    """``side``² pixels of ``colors`` random colours: every pixel on an edge."""
    rng = np.random.default_rng(seed)
    palette = rng.integers(0, 256, (colors, 3), dtype=np.uint8)
    pixels = palette[rng.integers(0, colors, (side, side))]
    path = folder / "noise.png"
    Image.fromarray(pixels).save(path)
    return path


def many_colours_png(folder: Path, side: int = 2048, colors: int = 200) -> Path:
    """``side``² pixels in ``colors`` vertical stripes: few edges, but one canvas-sized layer per
    colour when traced with ``--colors 200`` (34 s and 4.5 GB before the colour budget)."""
    palette = np.random.default_rng(0).integers(0, 256, (colors, 3), dtype=np.uint8)
    row = palette[np.arange(side) * colors // side]
    path = folder / "stripes.png"
    Image.fromarray(np.ascontiguousarray(np.broadcast_to(row, (side, side, 3)))).save(path)
    return path


def png_bomb(folder: Path, side: int = 100_000) -> Path:
    """A PNG whose header claims ``side``² pixels (the data is a few bytes of nothing)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b""))
    path = folder / "bomb.png"
    path.write_bytes(data + chunk(b"IEND", b""))
    return path


def tiny_png(folder: Path) -> Path:
    path = folder / "tiny.png"
    Image.new("RGB", (1, 1), (200, 30, 30)).save(path)
    return path


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
