"""SVG → numpy pixels: the reference renderer (:mod:`.reference`, cairosvg at SVG-Bench
settings) and the fast renderers for inner loops (:mod:`.fast`).

Raster image files are read and written by :mod:`svgvl.images`; their names are here too, so
``from svgvl.render import load_image`` keeps working.
"""

from ..images import MAX_PIXELS, ImageError, load_image, save_png
from .fast import rasterize_drawing, rasterize_quick
from .reference import RenderError, rasterize

__all__ = [
    "MAX_PIXELS",
    "ImageError",
    "RenderError",
    "load_image",
    "rasterize",
    "rasterize_drawing",
    "rasterize_quick",
    "save_png",
]
