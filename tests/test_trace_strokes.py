"""Line work as stroked centre-lines (svgvl.trace.strokes), on outline icons redrawn with thin
strokes: the inputs on which the fill tracer returned an empty drawing or dashes."""

import re
import warnings

import numpy as np
import pytest

from svgvl.cli import main
from svgvl.metrics import ssim
from svgvl.render import load_image, rasterize
from svgvl.svg import write
from svgvl.trace import trace
from svgvl.trace.skeleton import centre_lines, skeletonize

from .conftest import SVG_FIXTURES

OUTLINE_ICONS = ["icons/lucide-image.svg", "icons/tabler-settings.svg", "icons/lucide-cylinder.svg"]


def thin(
    name: str, pixels: float, size: int = 128, fill_circle: bool = False, background="white"
) -> np.ndarray:
    """A 24-unit outline icon rendered (RGBA) at ``size`` px with strokes ``pixels`` px wide."""
    svg = (SVG_FIXTURES / name).read_text()
    svg = svg.replace('stroke-width="2"', f'stroke-width="{pixels * 24 / size:.4f}"')
    if fill_circle:
        svg = svg.replace("<circle", '<circle fill="#000" stroke="none"')
    rgba = rasterize(svg, size=size, background=background)
    if rgba.shape[2] == 3:
        rgba = np.dstack([rgba, np.full(rgba.shape[:2], 255, dtype=np.uint8)])
    return rgba


def traced(rgba: np.ndarray, **options) -> tuple[str, float]:
    svg = write(trace(rgba, **options), precision=1)
    h, w = rgba.shape[:2]
    return svg, ssim(rasterize(svg, size=(w, h)), load_image(rgba))


def stroked(svg: str) -> list[float]:
    return [float(w) for w in re.findall(r'stroke-width="([\d.]+)"', svg)]


@pytest.mark.parametrize("pixels", [1, 2])
@pytest.mark.parametrize("name", OUTLINE_ICONS)
def test_thin_outline_icons_come_out_as_strokes_of_their_width(name, pixels):
    svg, score = traced(thin(name, pixels))
    assert 'fill="none"' in svg and "<path" in svg
    assert not re.search(r'fill="#', svg)  # nothing of it left as a filled outline
    # The width is read from the coverage: a 1 px line has no pixel above 50 %, yet its ink
    # summed across the line is 1 px.
    assert all(abs(w - pixels) <= 0.25 * pixels for w in stroked(svg)), svg
    # Before strokes these scored 0.5-0.75 (empty or dashed); potrace reaches ~0.92-0.97.
    assert score >= 0.93


def test_transparent_background_line_art_is_stroked_too():
    svg, score = traced(thin("icons/lucide-image.svg", 1.5, size=160, background=None))
    assert stroked(svg) and score >= 0.93


def test_fill_mode_traces_outlines_and_stroke_mode_strokes_them():
    rgba = thin("icons/lucide-image.svg", 4, size=128)
    fill, fill_score = traced(rgba, mode="fill")
    stroke, stroke_score = traced(rgba, mode="stroke")
    assert not stroked(fill) and stroked(stroke)
    assert min(fill_score, stroke_score) >= 0.95


@pytest.mark.parametrize(
    "name", ["icons/fa-solid-mug-hot.svg", "icons/mdi-cog.svg", "glyphs/dejavusans-g.svg"]
)
def test_filled_icons_and_glyphs_stay_filled(name):
    svg, score = traced(rasterize(SVG_FIXTURES / name, size=256, background=None))
    assert not stroked(svg) and score >= 0.97


def test_mixed_icon_gets_strokes_and_fills():
    svg, score = traced(thin("icons/lucide-image.svg", 2, fill_circle=True))
    filled = re.findall(r'<(?:path|circle|ellipse)(?![^>]*fill="none")[^>]*>', svg)
    assert stroked(svg) and filled  # the solid disc stays a filled shape
    assert score >= 0.93


def test_an_input_with_ink_never_comes_out_empty():
    # The fill tracer alone loses 1 px lines entirely (no pixel reaches 50 % coverage): the
    # fallback traces them coarsely and says so.
    rgba = thin("icons/tabler-settings.svg", 1)
    with pytest.warns(RuntimeWarning, match="coarsely"):
        svg, score = traced(rgba, mode="fill")
    assert "<path" in svg and score >= 0.85
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning when nothing was lost
        blank = write(trace(np.full((32, 32, 4), 255, dtype=np.uint8)))
    assert 'fill="#fff"' in blank  # one white rectangle, nothing traced "coarsely"


def test_centre_lines_split_at_junctions_and_continue_across_them():
    plus = np.zeros((21, 21), dtype=bool)
    plus[10, 2:19] = plus[2:19, 10] = True
    lines, junctions = centre_lines(plus)
    assert len(lines) == 2 and len(junctions) == 1  # two straight lines cross
    assert all(not closed and len(p) >= 15 for p, closed in lines)
    tee = np.zeros((21, 21), dtype=bool)
    tee[3, 2:19] = tee[3:19, 10] = True
    lines, _ = centre_lines(tee)
    assert sorted(len(p) for p, _ in lines) == [16, 17]  # the bar goes on, the stem ends
    ring = np.zeros((21, 21), dtype=bool)
    yy, xx = np.mgrid[:21, :21]
    ring[np.abs(np.hypot(yy - 10, xx - 10) - 7) < 0.5] = True

    lines, junctions = centre_lines(skeletonize(ring))
    assert len(lines) == 1 and lines[0][1] and not len(junctions)


@pytest.mark.parametrize("pixels", [1, 2])
def test_straight_strokes_are_exact_axis_lines_and_arcs_stay_curves(pixels):
    # Lucide's mailbox at 120 px (5 px a unit, so its lines sit off the pixel grid): its
    # sides, top, bottom and the door's edge are horizontal and vertical strokes between arcs
    # of 10-22 px radius, the sides joined to the rest at junctions, so their centre-lines are
    # open polylines.  Each comes back as one exact axis line, not a cubic bent along it.
    drawing = trace(thin("icons/lucide-static-mailbox.svg", pixels, size=120))
    segments = []
    for path in drawing.paths:
        assert path.fill == "none"
        start = current = None
        for letter, coords in path.d:
            if letter == "L":
                segments.append((current, coords))
            current = coords[-2:] if letter != "Z" else start
            start = coords if letter == "M" else start
    long = [s for s in segments if np.hypot(*np.subtract(s[1], s[0])) >= 15]
    vertical = [s for s in long if s[0][0] == s[1][0]]
    horizontal = [s for s in long if s[0][1] == s[1][1]]
    assert len(vertical) >= 3  # the two sides and the door's edge
    assert len(horizontal) >= 2  # top and bottom
    # Nothing else is straight: the rounded corners and the door's arch stay curves.
    slanted = [(a, b) for a, b in segments if a[0] != b[0] and a[1] != b[1]]
    assert max((np.hypot(*np.subtract(b, a)) for a, b in slanted), default=0.0) < 6


def test_cli_mode_flag(tmp_path, capsys):
    png = tmp_path / "icon.png"
    from PIL import Image

    Image.fromarray(thin("icons/lucide-cylinder.svg", 1)).save(png)
    assert main(["vectorize", str(png), "-o", str(tmp_path / "a.svg"), "--mode", "fill"]) == 0
    assert not stroked((tmp_path / "a.svg").read_text())
    assert main(["vectorize", str(png), "-o", str(tmp_path / "b.svg"), "--mode", "stroke"]) == 0
    assert stroked((tmp_path / "b.svg").read_text())
    out = tmp_path / "c.svg"
    assert main(["vectorize", str(png), "-o", str(out), "--mode", "pixel"]) == 0
    commands = "".join(re.findall(r' d="([^"]*)"', out.read_text()))
    assert commands and not re.search(r"[CcSsQqAa]", commands)  # squares on the pixel grid


@pytest.mark.parametrize(
    ("name", "background"),
    [("emoji/noto-crazy-face.svg", "white"), ("emoji/noto-crazy-face.svg", None)],
)
def test_ink_ownership_per_run_equals_the_per_pixel_rule(name, background):
    """ink_owner works once per run of equal pixels; every pixel must read as if done alone
    (on an opaque background and on a transparent one)."""
    from svgvl.trace.strokes import _ink_owner_pixels, ink_colors, ink_owner
    from svgvl.trace.strokes import background as find_background

    pixels = rasterize(SVG_FIXTURES / name, size=192, background=background)
    image = (
        pixels if pixels.shape[2] == 4 else np.dstack([pixels, np.full((192, 192), 255, np.uint8)])
    )
    back = find_background(image)
    inks = ink_colors(image, back)
    assert len(inks) >= 3  # a face, its eyes and mouth: several inks compete per pixel
    owner, cover = ink_owner(image, back, inks)
    alone, alone_cover = _ink_owner_pixels(image.reshape(-1, 4), back, inks)
    # Equal up to the last bit of a float32 product: the matrix-vector kernel rounds by where
    # a row falls in its array (numpy 2.4 differs by 1 ulp between the runs and all pixels).
    assert np.array_equal(owner.ravel(), alone)
    assert np.allclose(cover.ravel(), alone_cover, rtol=0, atol=1e-6)
    assert (owner >= 0).mean() > 0.2
