"""The native tracer: raster image → Drawing, on a plain CPU with nothing to download.

Stages: palette (dominant colours) → stacked layers (each colour's layer also covers the colours
drawn above it, so neighbours never leave seams) → sub-pixel contours → polygon simplification.
"""

from __future__ import annotations

import numpy as np

from ..svg.model import Drawing, Path

MAX_COLORS = 16


def _palette(pixels: np.ndarray, colors: int | None) -> np.ndarray:
    """Dominant colours of an (N, 3) uint8 array, most frequent first."""
    from PIL import Image

    if colors is None:
        # Count 4-bit-per-channel bins holding at least 0.5 % of the pixels: anti-aliased
        # edges spread over many small bins and do not become colours of their own.
        bins = (pixels >> 4).astype(np.int32)
        keys = bins[:, 0] * 256 + bins[:, 1] * 16 + bins[:, 2]
        counts = np.bincount(keys, minlength=4096)
        colors = int(np.clip((counts >= 0.005 * len(pixels)).sum(), 1, MAX_COLORS))
    image = Image.fromarray(pixels.reshape(-1, 1, 3))
    quantized = image.quantize(
        colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    palette = np.array(quantized.getpalette()[: 3 * colors], dtype=np.uint8).reshape(-1, 3)
    used = np.bincount(np.asarray(quantized).ravel(), minlength=len(palette))
    order = np.argsort(-used)
    return palette[order][used[order] > 0]


def _contours(mask: np.ndarray, tolerance: float) -> list[list[tuple[str, tuple[float, ...]]]]:
    from skimage.measure import approximate_polygon, find_contours

    padded = np.pad(mask.astype(np.float32), 1)
    out = []
    for contour in find_contours(padded, 0.5):
        poly = approximate_polygon(contour, tolerance)
        if len(poly) < 4:
            continue
        # (row, col) in the padded grid → SVG coordinates where pixel i spans [i, i + 1].
        pts = [(float(c) - 0.5, float(r) - 0.5) for r, c in poly[:-1]]
        out.append([("M", pts[0]), *[("L", p) for p in pts[1:]], ("Z", ())])
    return out


def trace(rgba: np.ndarray, colors: int | None = None, tolerance: float = 0.6) -> Drawing:
    """Trace an RGBA uint8 image (H, W, 4) into a Drawing of one path per colour layer."""
    height, width = rgba.shape[:2]
    opaque = rgba[..., 3] >= 128
    drawing = Drawing(width=float(width), height=float(height))
    if not opaque.any():
        return drawing
    palette = _palette(rgba[..., :3][opaque], colors)
    distances = (
        (rgba[..., None, :3].astype(np.int32) - palette[None, None].astype(np.int32)) ** 2
    ).sum(-1)
    index = np.where(opaque, distances.argmin(-1), -1)
    for i, color in enumerate(palette):
        # Stacking: layer i covers its own pixels and those of every layer drawn above it.
        layer = index >= i
        if not layer.any():
            continue
        d = [command for contour in _contours(layer, tolerance) for command in contour]
        if d:
            hex_color = "#{:02x}{:02x}{:02x}".format(*(int(c) for c in color))
            drawing.paths.append(Path(d=d, fill=hex_color, fill_rule="evenodd"))
    return drawing
