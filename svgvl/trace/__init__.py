"""The native tracer: raster image → Drawing, on a plain CPU with nothing to download.

Stages, each in its own module and each with one knob a user can understand:

1. ``palette``  — flat colours, immune to anti-aliasing and JPEG noise (``colors``), merged
                  more widely for an image that ``noise`` finds noisy (a JPEG, a blur);
2. ``assign``   — every pixel labelled, edge pixels only with colours found nearby, specks
                  absorbed (``speckle``); ``shading`` joins the bands of a smooth ramp into
                  one region with a fitted gradient (``gradients``);
3. ``layers``   — stacked layers bottom to top with sub-pixel coverage fields;
4. ``fit``      — 0.5-contours cut at corners (``corner_angle``) and fitted with the fewest lines
                  and cubics within ``tolerance`` pixels.

Before them, ``translucent`` takes fills of flat partial opacity on a transparent background
(a duotone's tone) out as paths with that opacity, ``shadows`` takes a soft drop shadow or
glow out of the image as nested translucent shapes drawn under everything (with
``gradients``), and ``strokes`` takes line work drawn on the background out as stroked
centre-lines (``mode``); the result is one path per layer (holes by the even-odd rule) plus
those translucent, stroke and shadow shapes, in pixel units.  Small
images are traced enlarged (``working``); pixel art (nearest-neighbour upscaled, or any image
with ``mode="pixel"``) is traced on its grid instead (``pixels``).  ``budget`` bounds the work
on big or noisy images.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..svg.model import Drawing, Path
from ..svg.style import hex_color
from .budget import scale_drawing, within_budget, within_layer_budget
from .fit import contours, fit_contour, polygon_area
from .layers import coverage_fields, layer_order, pixel_layers
from .morphology import mode_filter
from .noise import CLEAN, NOISY, noise_kind
from .palette import TRANSPARENT, Palette, assign, find_palette, local_range, resolve
from .pixels import TooDetailed, find_grid, trace_pixels
from .primitives import recognise, recognise_cut, shape_path
from .shading import shade
from .shadows import shadow_pass
from .strokes import background, ensure_ink, stroke_pass
from .translucent import translucent_pass
from .working import trace_small, unblend, working_factor


@dataclass(frozen=True)
class Detail:
    tolerance: float  # max distance of the outline from the traced edge, in pixels
    corner_angle: float  # turns sharper than this (degrees over ~2.5 px) stay corners
    speckle: int  # regions smaller than this many pixels are absorbed
    slack: float = 0.0  # a point may move this far when written, for a shorter number


DETAIL = {
    "low": Detail(tolerance=0.8, corner_angle=70, speckle=12, slack=0.25),
    "medium": Detail(tolerance=0.4, corner_angle=60, speckle=5, slack=0.15),
    "high": Detail(tolerance=0.25, corner_angle=55, speckle=2, slack=0.08),
}


MODES = ("auto", "fill", "stroke", "pixel")


def trace(
    rgba: np.ndarray,
    colors: int | None = None,
    detail: str = "medium",
    mode: str = "auto",
    gradients: bool = True,
    speckle: float | None = None,
    *,
    palette: Palette | None = None,
    noisy: bool | None = None,
    translucency: bool | None = None,
) -> Drawing:
    """Trace an RGBA uint8 image (H, W, 4) into a Drawing with one path per colour layer.

    ``mode``: ``"auto"`` traces pixel art on its grid and draws line work as stroked
    centre-lines where they match the image as well as filled outlines (:mod:`.strokes`);
    ``"fill"`` outlines everything, ``"stroke"`` makes every line-like part a stroke, ``"pixel"``
    traces on the pixel grid (crisp squares).  An input with visible ink never comes out empty.
    ``gradients``: smooth colour ramps become one region filled with a linear or radial
    gradient (:mod:`.shading`) instead of flat bands, and a soft shadow or glow a few nested
    translucent shapes (:mod:`.shadows`) instead of grey rings.  ``speckle``: regions smaller
    than this many pixels are dropped (absorbed by the colour around them); the default comes
    from ``detail``, given for 256 px and scaled with the area.  Images of at most 64 px are traced
    enlarged (:mod:`.working`), with ``palette``, ``noisy`` (JPEG-like) and ``translucency``
    (False: no flat translucent fills, :mod:`.translucent`) found on the original pixels
    instead of the traced ones; ``noisy`` is otherwise judged on the whole image, before its
    line work is painted out.  An image over the work budget (:mod:`.budget`)
    is traced at a reduced size, with a :class:`~svgvl.trace.budget.TraceBudgetWarning`.
    """
    if detail not in DETAIL:
        raise ValueError(f"detail must be one of {', '.join(DETAIL)}, got {detail!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    grid = find_grid(rgba, minimum=1 if mode == "pixel" else 2)
    if grid is not None and (mode in ("auto", "pixel") or len(grid.xs) == len(grid.ys) == 2):
        try:
            return trace_pixels(rgba, grid, colors=colors)  # pixel art, or one colour
        except TooDetailed:
            if mode == "pixel":
                raise  # asked for: the user hears why not; found by itself: traced as fill
    knobs = DETAIL[detail]
    height, width = rgba.shape[:2]
    if palette is None and working_factor(width, height) > 1:
        drawing = trace_small(rgba, colors, detail, gradients, translucency)
        return ensure_ink(drawing, rgba, knobs.tolerance, knobs.corner_angle)
    # The edge budget before any work that grows with the edges, the stroke pass included (not
    # for the enlarged copy of a small image, which trace_small passes with its palette).
    ranges = local_range(rgba[..., :3])
    if (
        palette is None
        and (reduced := within_budget(rgba, ranges, rgba[..., 3] >= 128)) is not None
    ):
        return _retrace(reduced, width, height, colors, detail, gradients, speckle, mode)
    original, strokes, shadows = rgba, [], []
    translucent = []
    if colors is None and (rgba[..., 3] < 255).any() and translucency is not False:
        scale = max(1.0, (width * height / 65536) ** 0.5)
        translucent, rgba = translucent_pass(
            rgba, knobs.tolerance, knobs.corner_angle, knobs.speckle * scale * scale
        )
    if gradients and colors is None and isinstance(back := background(rgba), np.ndarray):
        shadows, rgba = shadow_pass(rgba, back, knobs.tolerance, ranges)
        if shadows:  # a soft shadow is no noise: judged without it
            ranges = local_range(rgba[..., :3])
    if noisy is None:  # judged on the whole image, before line work is painted out of it
        noise = noise_kind(rgba[..., :3], rgba[..., 3] >= 128, ranges)
    else:
        noise = NOISY if noisy else CLEAN
    painted = rgba
    if mode != "fill":
        strokes, rgba = stroke_pass(
            rgba,
            knobs.tolerance,
            knobs.corner_angle,
            knobs.speckle,
            force=mode == "stroke",
            ranges=ranges,
        )
    # The local range of the image as it is traced: unchanged unless line work was taken out.
    if rgba is not painted:
        ranges = local_range(rgba[..., :3])
    drawing = _fills(rgba, ranges, colors, detail, gradients, speckle, palette, noise, shadows)
    drawing.paths[:0] = translucent
    drawing.paths.extend(strokes)
    return ensure_ink(drawing, original, knobs.tolerance, knobs.corner_angle)


def _fills(
    rgba: np.ndarray,
    ranges: np.ndarray,
    colors: int | None,
    detail: str,
    gradients: bool,
    speckle: float | None,
    palette: Palette | None,
    noise: str,
    under: list[Path] = (),
) -> Drawing:
    """Filled outlines: one path per colour layer (``ranges``: the image's local range;
    ``noise``: its :func:`~.noise.noise_kind`), with ``under`` (a soft shadow) drawn first,
    above the background."""
    knobs = DETAIL[detail]
    height, width = rgba.shape[:2]
    rgb, alpha = rgba[..., :3], rgba[..., 3]
    usable = alpha >= 128
    drawing = Drawing(width=float(width), height=float(height))
    if not usable.any():
        return drawing
    voters = usable & (alpha >= 250) if (alpha >= 250).any() else usable
    # A clean render has exactly flat fills: colours 16 apart are different colours.  JPEG
    # noise and ringing need a wider merge, a majority filter on the labels, and edges taken
    # from the smoothed labels instead of from the (noisy) pixel colours.  Smooth ramps take
    # the filter and the looser shading fit, but their flat colours are exact: no wide merge,
    # and thin gaps between fills stay (on 30 smooth images: mean SSIM 4x 0.9841 -> 0.9853,
    # median bytes -4 %, against the whole noisy path).
    noisy = noise != CLEAN
    # Specks are measured relative to a 256 px image; the tolerance stays in pixels, since an
    # outline off by a pixel costs the same fidelity at any size (at 512 px a scaled tolerance
    # lost 0.006 SSIM to stacked potrace).
    scale = max(1.0, (width * height / 65536) ** 0.5)
    min_area = knobs.speckle * scale * scale if speckle is None else speckle
    fresh = palette is None
    if fresh:
        palette = find_palette(
            rgb, voters, colors, merge_distance=30.0 if noise == NOISY else 16.0, ranges=ranges
        )
    # Not for the enlarged copy of a small image (given its palette): it is small by nature.
    if fresh and (reduced := within_layer_budget(rgba, len(palette.colors))) is not None:
        return _retrace(reduced, width, height, colors, detail, gradients, speckle)
    labels = assign(
        rgb, usable, palette, ranges=ranges, thin_lines=fresh, thin_fills=noise != NOISY
    )
    labels, palette = resolve(labels, rgb, palette)
    if not fresh and not gradients and palette.unblend:  # a small image's, traced flat
        labels = unblend(labels, rgb, palette)
    if noisy:
        for _ in range(2):
            labels = mode_filter(labels, len(palette.colors))
    if (reduced := within_budget(rgba, ranges, usable, labels)) is not None:
        return _retrace(reduced, width, height, colors, detail, gradients, speckle)
    shadings = {}
    if gradients and colors is None:
        labels, palette, shadings = shade(
            rgb, labels, palette, ranges, tolerance=5.0 if noisy else 3.0
        )
    order = layer_order(labels, palette)
    rank = pixel_layers(labels, palette, order)
    opaque = bool(usable.all())
    del labels, usable, voters  # not needed while the layers are fitted (24 MB at 2048 px)
    fields = coverage_fields(rgb, alpha, rank, palette, order, shading=shadings, opaque=opaque)
    drawing.paths.extend(under)
    for index, field, origin in fields:
        color = palette.colors[index]
        fill = hex_color(color)
        if index in shadings:
            ident = _gradient_id(len(drawing.gradients))
            drawing.gradients[ident] = shadings[index].gradient()
            fill = f"url(#{ident})"
        if index == order[0] and opaque:
            # An opaque background: white is left out (the SVG stays transparent there, which
            # composites identically on white); another colour is one exact rectangle.
            if (color >= 245).all() and index not in shadings:
                continue
            box = [
                ("M", (0.0, 0.0)),
                ("L", (float(width), 0.0)),
                ("L", (float(width), float(height))),
                ("L", (0.0, float(height))),
                ("Z", ()),
            ]
            drawing.paths.insert(0, Path(d=box, fill=fill))
            continue
        d = []
        shapes = []
        tolerance = knobs.tolerance
        for pts in contours(field, min_area=min_area, offset=origin):
            area = polygon_area(pts)
            shape = recognise(pts, area, tolerance) or recognise_cut(
                pts, area, tolerance, width, height
            )
            shapes.append(shape)
            d.extend(
                shape_path(shape) if shape else fit_contour(pts, tolerance, knobs.corner_angle)
            )
        if d:
            single = shapes[0] if len(shapes) == 1 else None
            drawing.paths.append(
                Path(
                    d=d,
                    fill=fill,
                    fill_rule="nonzero" if single else "evenodd",
                    shape=single,
                )
            )
    used = {path.fill for path in drawing.paths}
    drawing.gradients = {k: g for k, g in drawing.gradients.items() if f"url(#{k})" in used}
    return drawing


def written_slack(detail: str, width: int, height: int) -> float:
    """How far a traced point may move when written (see :func:`svgvl.svg.write`): the
    detail's slack in the pixels the image is traced at — a small image is traced enlarged, so
    its outlines are known that much more finely."""
    return DETAIL[detail].slack / working_factor(width, height)


def _retrace(small, width, height, colors, detail, gradients, speckle, mode="fill") -> Drawing:
    """Trace an image reduced to fit the work budget, scaled back onto the full canvas (with
    the region budget, from the fill stage: its line work was taken out at full size)."""
    shrink = small.shape[0] * small.shape[1] / (width * height)
    speckle = None if speckle is None else speckle * shrink
    drawing = trace(small, colors, detail, mode=mode, gradients=gradients, speckle=speckle)
    return scale_drawing(drawing, width, height)


def _gradient_id(n: int) -> str:
    """Short ids: a … z, then a0, b0, …"""
    letters = "abcdefghijklmnopqrstuvwxyz"
    return letters[n % 26] + (str(n // 26 - 1) if n >= 26 else "")


__all__ = ["DETAIL", "MODES", "TRANSPARENT", "trace", "written_slack"]
