"""``svgvl.vectorize``: raster image → SVG text, through a named engine.

Engines share one signature, ``engine(rgba, **options) -> str``, and are registered in
:data:`ENGINES` so that the CLI, the benchmark and users' own code pick them by name.
"""

from __future__ import annotations

import io

import numpy as np

from .render import load_image
from .svg import write


class EngineError(ValueError):
    """An engine is unknown, not installed, or given options it does not take."""


def _trace(
    rgba: np.ndarray, colors: int | None = None, precision: int | None = None, **options
) -> str:
    from .trace import trace

    if options:
        raise EngineError(f"engine 'trace' does not take {', '.join(sorted(options))}")
    return write(trace(rgba, colors=colors), precision=1 if precision is None else precision)


def _vtracer(
    rgba: np.ndarray,
    colors: int | None = None,
    precision: int | None = None,
    mode: str = "spline",
    **options,
) -> str:
    """vtracer (MIT, optional) as the classical baseline; the image is passed as PNG bytes."""
    try:
        import vtracer
    except ImportError:
        raise EngineError(
            "engine 'vtracer' needs the vtracer package: pip install vtracer"
        ) from None
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG")
    kwargs = {
        "colormode": "color",
        "mode": mode,
        "path_precision": 2 if precision is None else precision,
    }
    if colors is not None:
        # vtracer has no colour count; colour_precision (bits per channel) is its nearest knob.
        kwargs["color_precision"] = int(np.clip(np.ceil(np.log2(max(colors, 2))), 1, 8))
    kwargs.update(options)
    return vtracer.convert_raw_image_to_svg(buffer.getvalue(), img_format="png", **kwargs)


ENGINES = {"trace": _trace, "vtracer": _vtracer}


def vectorize(image, *, engine: str = "trace", colors: int | None = None, **options) -> str:
    """Vectorize ``image`` (a path, PIL image or uint8 array) and return SVG text.

    ``engine``: ``"trace"`` (native, default) or ``"vtracer"``.  ``colors`` overrides the
    automatic palette size.  Transparent pixels stay transparent in the SVG.
    """
    if engine not in ENGINES:
        raise EngineError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    if colors is not None and not 1 <= colors <= 256:
        raise EngineError(f"colors must be between 1 and 256, got {colors}")
    rgba = load_image(image, background=None)
    return ENGINES[engine](rgba, colors=colors, **options)
