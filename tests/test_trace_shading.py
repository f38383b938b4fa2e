"""Gradients in traced images: smooth ramps become one region filled with a fitted gradient,
flat art stays flat."""

import io

import numpy as np
import pytest
from PIL import Image

from svgvl.cli import main
from svgvl.metrics import ssim
from svgvl.render import load_image, rasterize
from svgvl.svg import normalize, parse, write
from svgvl.trace import trace
from svgvl.trace.shading import fit_shading

from .conftest import SVG_FIXTURES


def rgba(svg, size=256) -> np.ndarray:
    return rasterize(svg, size=size, background=None)


def traced(image: np.ndarray, **options) -> tuple[str, float]:
    """SVG text and its SSIM against the image (both on white)."""
    svg = write(trace(image, **options), precision=1)
    h, w = image.shape[:2]
    return svg, ssim(rasterize(svg.encode(), size=(w, h)), load_image(image))


def ramp(gradient: str, shape: str = '<rect x="20" y="30" width="210" height="190"/>') -> bytes:
    """A real SVG document: one shape filled with ``gradient`` (id g)."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 256 256">'
        f"<defs>{gradient}</defs><g fill='url(#g)'>{shape}</g></svg>"
    ).encode()


LINEAR = ramp(
    '<linearGradient id="g" gradientUnits="userSpaceOnUse" x1="30" y1="40" x2="220" y2="200">'
    '<stop offset="0" stop-color="#ffd54f"/><stop offset=".6" stop-color="#e53935"/>'
    '<stop offset="1" stop-color="#4a148c"/></linearGradient>'
)
RADIAL = ramp(
    '<radialGradient id="g" gradientUnits="userSpaceOnUse" cx="100" cy="90" r="150">'
    '<stop offset="0" stop-color="#e1f5fe"/><stop offset="1" stop-color="#01579b"/>'
    "</radialGradient>"
)


def interior_pixels(image: np.ndarray):
    """Pixels well inside the drawn rectangle of :func:`ramp` (canvas coordinates)."""
    ys, xs = np.mgrid[36:216, 26:224]
    ys, xs = ys.ravel(), xs.ravel()
    return xs + 0.5, ys + 0.5, image[ys, xs, :3].astype(float)


def test_a_linear_ramp_is_fitted_with_its_direction_and_stops():
    image = rgba(LINEAR)
    xs, ys, colors = interior_pixels(image)
    shading = fit_shading(xs, ys, colors)
    assert shading is not None and shading.kind == "linear"
    # The field reproduces the pixels, and its iso-lines run across the source's direction.
    error = np.sqrt(((shading.colors_at(xs, ys) - colors) ** 2).mean())
    assert error < 2.0
    direction = shading.matrix[0, :2] / np.linalg.norm(shading.matrix[0, :2])
    source = np.array([190.0, 160.0]) / np.hypot(190, 160)
    assert abs(direction @ source) > 0.999
    # The kink at 60 % needs a stop between the ends; a straight ramp would not.
    assert 3 <= len(shading.offsets) <= 5


def test_a_radial_ramp_is_fitted_around_its_centre():
    image = rgba(RADIAL)
    xs, ys, colors = interior_pixels(image)
    shading = fit_shading(xs, ys, colors)
    assert shading is not None and shading.kind == "radial"
    gradient = shading.gradient()
    assert gradient.geometry["cx"] == pytest.approx(100, abs=2)
    assert gradient.geometry["cy"] == pytest.approx(90, abs=2)


def test_one_colour_with_noise_stays_flat():
    image = rgba(LINEAR)
    rng = np.random.default_rng(0)
    xs, ys, _ = interior_pixels(image)
    flat = np.full((len(xs), 3), [120.0, 80.0, 200.0]) + rng.normal(0, 2.5, (len(xs), 3))
    assert fit_shading(xs, ys, flat) is None


@pytest.mark.parametrize(
    ("svg", "kind"), [(LINEAR, "linear"), (RADIAL, "radial")], ids=["linear", "radial"]
)
def test_a_ramp_becomes_one_region_filled_with_a_gradient(svg, kind):
    image = rgba(svg)
    out, score = traced(image)
    banded, banded_score = traced(image, gradients=False)
    drawing = normalize(parse(out))
    assert len(drawing.paths) == 1 and drawing.paths[0].fill.startswith("url(#")
    assert [g.kind for g in drawing.gradients.values()] == [kind]
    assert score >= 0.99 and score > banded_score
    assert len(out) < len(banded)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["logos/logos-google-drive.svg", "emoji/noto-beaming-face-with-smiling-eyes.svg"]
)
def test_gradient_art_is_closer_with_gradients(name):
    image = rgba(SVG_FIXTURES / name)
    out, score = traced(image)
    banded, banded_score = traced(image, gradients=False)
    assert "Gradient" in out
    assert score >= banded_score + 0.01
    assert len(out) <= 1.1 * len(banded)


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(load_image(image)).save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGBA"))


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["emoji/twemoji-saxophone.svg", "logos/logos-mastercard.svg", "icons/mdi-cog.svg"]
)
def test_flat_art_stays_flat_even_as_jpeg(name):
    image = rgba(SVG_FIXTURES / name)
    for version in (image, jpeg(image, 40)):
        drawing = trace(version)
        assert drawing.gradients == {}
        assert all(p.fill.startswith("#") or p.fill == "none" for p in drawing.paths)


def test_a_blurred_edge_is_not_a_gradient():
    """Two flat colours with a soft (down- then up-scaled) straight border stay two fills."""
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 256 256">'
        b'<rect width="256" height="256" fill="#1e88e5"/>'
        b'<rect x="128" width="128" height="256" fill="#fdd835"/></svg>'
    )
    small = Image.fromarray(rgba(svg)).resize((64, 64), Image.BICUBIC)
    blurred = np.asarray(small.resize((256, 256), Image.BICUBIC))
    assert trace(blurred).gradients == {}


def test_cli_gradients_switch(tmp_path):
    src = tmp_path / "ramp.png"
    Image.fromarray(rgba(LINEAR, size=128)).save(src)
    on, off = tmp_path / "on.svg", tmp_path / "off.svg"
    assert main(["vectorize", str(src), "-o", str(on), "--quiet"]) == 0
    assert main(["vectorize", str(src), "-o", str(off), "--no-gradients", "--quiet"]) == 0
    assert "<linearGradient" in on.read_text()
    assert "Gradient" not in off.read_text()
    bad = tmp_path / "bad.svg"
    code = main(["vectorize", str(src), "-o", str(bad), "--engine", "vtracer", "--no-gradients"])
    assert code != 0 and not bad.exists()


def test_interior_test_on_bytes_equals_the_window_minimum_and_maximum():
    """shading._interior finds 5×5 windows of one group from neighbour changes; it must agree
    with the plain definition (window min == max, clipped at the border) on any map."""
    from svgvl.trace.morphology import box_max, box_min
    from svgvl.trace.shading import _interior

    rng = np.random.default_rng(0)
    for _ in range(40):
        cells = rng.integers(0, 3, rng.integers(1, 12, 2)).astype(np.int32)
        group = np.repeat(np.repeat(cells, rng.integers(1, 7), 0), rng.integers(1, 7), 1)
        expected = box_min(group, 5) == box_max(group, 5)
        assert np.array_equal(_interior(group), expected.ravel())
