"""The vectorize engines: raster image → SVG text, through a named engine.

:func:`vectorize` is the public ``svgvl.vectorize``.  Engines share one signature,
``engine(rgba, **options) -> str``, and are registered in :data:`ENGINES` so that the CLI, the
benchmark and users' own code pick them by name.  (The package is not called ``vectorize``: a
submodule of that name would replace the function ``svgvl.vectorize`` once imported.)
:mod:`svgvl.engines.batch` runs an engine over many files.
"""

from __future__ import annotations

import inspect
import io
import math
import warnings

import numpy as np

from .. import sandbox
from ..images import load_image
from ..svg import write


class EngineError(ValueError):
    """An engine is unknown, not installed, or given options it does not take."""


def trace_precision(width: int, height: int) -> int:
    """Decimals for traced coordinates: a tenth of a pixel up to 1000 px, whole pixels beyond
    (where a pixel is already finer than any display needs)."""
    return 1 if max(width, height) <= 1000 else 0


def _trace(
    rgba: np.ndarray,
    colors: int | None = None,
    detail: str = "medium",
    refine: float = 0.0,
    precision: int | None = None,
    mode: str = "auto",
    gradients: bool = True,
    speckle: int | None = None,
) -> str:
    from ..trace import MODES, trace, written_slack

    if mode not in MODES:
        raise EngineError(f"engine 'trace' has no mode {mode!r}; choose one of: {', '.join(MODES)}")
    if speckle is not None and (not isinstance(speckle, (int, np.integer)) or speckle < 0):
        raise EngineError(f"speckle must be a whole number of pixels >= 0, got {speckle!r}")
    drawing = trace(
        rgba, colors=colors, detail=detail, mode=mode, gradients=gradients, speckle=speckle
    )
    if refine > 0:
        from ..trace.refine import refine as refine_drawing

        drawing = refine_drawing(drawing, rgba, seconds=refine)
    if precision is None:
        precision = trace_precision(rgba.shape[1], rgba.shape[0])
    slack = written_slack(detail, rgba.shape[1], rgba.shape[0])
    return write(drawing, precision=precision, slack=slack)


def _vtracer(
    rgba: np.ndarray,
    colors: int | None = None,
    detail: str = "medium",
    refine: float = 0.0,
    precision: int | None = None,
    mode: str = "spline",
) -> str:
    """vtracer (MIT, optional) as the classical baseline; the image is passed as PNG bytes."""
    try:
        import vtracer
    except ImportError:
        raise EngineError(
            "engine 'vtracer' needs the vtracer package: pip install vtracer"
        ) from None
    if refine:
        raise EngineError("engine 'vtracer' does not support --refine")
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG")
    kwargs = {
        "colormode": "color",
        "mode": mode,
        "path_precision": 2 if precision is None else precision,
        "filter_speckle": {"low": 8, "medium": 4, "high": 2}.get(detail, 4),
    }
    if colors is not None:
        # vtracer has no colour count; colour_precision (bits per channel) is its nearest knob.
        kwargs["color_precision"] = int(np.clip(math.ceil(math.log2(max(colors, 2))), 1, 8))
    return vtracer.convert_raw_image_to_svg(buffer.getvalue(), img_format="png", **kwargs)


def _starvector(
    rgba: np.ndarray,
    colors: int | None = None,
    detail: str = "medium",
    refine: float = 0.0,
    precision: int | None = None,
    model: str | None = None,
    candidates: int = 1,
    temperature: float | None = None,
    top_p: float | None = None,
    max_length: int | None = None,
    max_new_tokens: int | None = None,
) -> str:
    """The learned engine (svgvl.engines.starvector): sample ``candidates`` SVGs, repair them,
    keep the one whose render is closest to the image.  Sampling settings left None come from
    the model's config (StarVector's own)."""
    if not model:
        raise EngineError(
            "engine 'starvector' needs a model: a folder written by `svgvl train starvector`, "
            "an official checkpoint folder, or a hub id such as starvector/starvector-1b-im2svg "
            "(--model)"
        )
    if colors is not None or refine or precision is not None:
        raise EngineError("engine 'starvector' takes no --colors, --refine or --precision")
    try:
        from .starvector import vectorize as starvector
    except ImportError as error:
        raise EngineError(
            f"engine 'starvector' needs the learned extras ({error}): pip install 'svgvl[learn]'"
        ) from None
    return starvector(
        load_image(rgba),
        model=model,
        candidates=candidates,
        temperature=temperature,
        top_p=top_p,
        max_length=max_length,
        max_new_tokens=max_new_tokens,
    )


ENGINES = {"trace": _trace, "vtracer": _vtracer, "starvector": _starvector}

# A 2048 px logo traces in about a second and 200 MB; noise is bounded by trace.budget.
MAX_TRACE_PIXELS = 2048 * 2048
DETAILS = ("low", "medium", "high")


def vectorize(
    image,
    *,
    engine: str = "trace",
    colors: int | None = None,
    detail: str = "medium",
    refine: float = 0.0,
    precision: int | None = None,
    timeout: float | None = None,
    max_memory: int | None = None,
    **options,
) -> str:
    """Vectorize ``image`` (a path, bytes, file object, PIL image or uint8 array); return SVG text.

    - ``engine``: ``"trace"`` (native, default), ``"vtracer"`` (the classical baseline) or
      ``"starvector"`` (learned; ``model=PATH_OR_HUB_ID``, ``candidates=N`` reranked by SSIM,
      ``temperature``, ``top_p``, ``max_length``/``max_new_tokens`` over the model's defaults).
    - ``colors``: palette size (default: found from the image).
    - ``detail``: ``"low"``, ``"medium"`` or ``"high"`` — how closely outlines follow the pixels.
    - ``refine``: seconds of rasterize-and-compare optimisation (0: none); never makes it worse.
    - ``precision``: decimals in coordinates (default: from the image size).
    - ``mode`` (trace): ``"auto"`` (line work as stroked centre-lines where they match, the
      rest as filled outlines), ``"fill"`` (outlines only) or ``"stroke"`` (every line-like
      part stroked).
    - ``gradients`` (trace): smooth ramps as linear/radial gradients and soft shadows as nested
      translucent shapes (default True), or flat bands.
    - ``speckle`` (trace): regions smaller than this many pixels are absorbed (default: from
      ``detail``).

    - ``timeout`` (seconds), ``max_memory`` (bytes): bound the work from outside: it runs in a
      child process killed at the limit (:func:`svgvl.sandbox.call`; the starvector engine,
      whose model stays loaded here, is not bounded).  Without them only the tracer's own
      budgets (pixels × colours) hold.

    Transparent pixels stay transparent in the SVG; a white opaque background is left out.
    Raises ``ImageError`` for unreadable images, :class:`EngineError` for bad options and
    ``LimitError`` when a limit stops the work.
    """
    if engine not in ENGINES:
        raise EngineError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    if colors is not None and not 1 <= colors <= 256:
        raise EngineError(f"colors must be between 1 and 256, got {colors}")
    if detail not in DETAILS:
        raise EngineError(f"detail must be one of {', '.join(DETAILS)}, got {detail!r}")
    if refine < 0 or not math.isfinite(refine):
        raise EngineError(f"refine must be a number of seconds >= 0, got {refine}")
    rgba = load_image(image, background=None)
    height, width = rgba.shape[:2]
    if width * height > MAX_TRACE_PIXELS:
        raise EngineError(
            f"image of {width}×{height} pixels is too large to trace (the limit is "
            f"{MAX_TRACE_PIXELS:,} pixels, e.g. 2048×2048); downscale it first"
        )
    unknown = sorted(set(options) - set(inspect.signature(ENGINES[engine]).parameters))
    if unknown:
        raise EngineError(f"engine {engine!r} takes no option {', '.join(unknown)}")

    def work():
        return ENGINES[engine](
            rgba, colors=colors, detail=detail, refine=refine, precision=precision, **options
        )

    if not (timeout or max_memory) or engine == "starvector":
        return work()

    def bounded():  # the warnings the work gives, carried back to be given here
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            svg = work()
        return svg, [(str(w.message), w.category) for w in caught]

    svg, given = sandbox.call(bounded, timeout=timeout, memory=max_memory, what="vectorizing")
    for message, category in given:
        warnings.warn(message, category, stacklevel=2)
    return svg
