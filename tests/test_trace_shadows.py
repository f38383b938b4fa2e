"""Soft drop shadows and glows: traced as nested translucent shapes, not as flat grey rings;
flat light shapes, blurred images and JPEG noise are no shadows."""

import io

import numpy as np
import pytest
from PIL import Image

from svgvl.metrics import ssim
from svgvl.render import load_image, rasterize
from svgvl.svg import normalize, parse, write
from svgvl.trace import trace
from svgvl.trace.morphology import blur
from svgvl.trace.shadows import _fill_in, find_shadow
from svgvl.trace.strokes import background

ICON = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 256 256">'
    b'<rect x="50" y="40" width="130" height="110" rx="18" fill="#1e88e5"/>'
    b'<circle cx="150" cy="170" r="45" fill="#fb8c00"/></svg>'
)


def with_shadow(svg: bytes, offset=(6, 8), strength=0.45, color=(0, 0, 0)) -> np.ndarray:
    """The icon over a Gaussian drop shadow (σ 6 px) of its own silhouette, on white (opaque
    RGBA); with a ``color`` other than black, a glow."""
    icon = rasterize(svg, size=256, background=None).astype(np.float32) / 255
    alpha = icon[..., 3]
    shadow = (np.roll(blur(alpha, 6.0), offset[::-1], axis=(0, 1)) * strength)[..., None]
    ground = (1 - shadow) + shadow * np.array(color, np.float32) / 255
    rgb = icon[..., :3] * alpha[..., None] + ground * (1 - alpha[..., None])
    out = np.full((256, 256, 4), 255, np.uint8)
    out[..., :3] = np.round(rgb * 255)
    return out


def opaque(rgb: np.ndarray) -> np.ndarray:
    return np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])


def score(image: np.ndarray, svg: str) -> float:
    return ssim(rasterize(svg.encode(), size=(256, 256)), load_image(image))


def test_a_soft_shadow_becomes_nested_translucent_shapes_under_the_icon():
    image = with_shadow(ICON)
    svg = write(trace(image), precision=1)
    drawing = normalize(parse(svg))
    translucent = [p for p in drawing.paths if p.fill_opacity < 1]
    # Several levels of black, all drawn first (under the icon), then the two flat colours.
    assert len(translucent) >= 4
    assert {p.fill for p in translucent} == {"#000000"}
    assert drawing.paths[: len(translucent)] == translucent
    assert {p.fill for p in drawing.paths[len(translucent) :]} == {"#1e88e5", "#fb8c00"}
    # The stack darkens the background by about as much as the shadow's deepest visible point.
    stack = 1 - np.prod([1 - p.fill_opacity for p in translucent])
    bare = rasterize(ICON, size=256, background=None)[..., 3] == 0
    assert stack == pytest.approx(1 - image[bare, 0].min() / 255, abs=0.04)
    # Flat bands of the same shadow (its exact colours kept: a smooth image) score ~0.004
    # lower; rings merged as JPEG noise once scored 0.01 lower.
    flat = write(trace(image, gradients=False), precision=1)
    assert score(image, svg) > score(image, flat) + 0.003
    assert score(image, svg) > 0.985


def test_a_glow_takes_the_glow_colour():
    blue = np.array([30, 60, 230])
    image = with_shadow(ICON, offset=(0, 0), strength=0.6, color=blue)
    shadow = find_shadow(image, background(image))
    assert shadow is not None
    direction = (shadow.color - 255) / np.linalg.norm(shadow.color - 255)
    assert direction @ ((blue - 255) / np.linalg.norm(blue - 255)) > 0.99


def test_flat_light_shapes_are_no_shadow():
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 256 256">'
        b'<rect x="20" y="20" width="216" height="216" fill="#e0e0e0"/>'
        b'<circle cx="128" cy="128" r="60" fill="#9e9e9e"/></svg>'
    )
    image = opaque(rasterize(svg, size=256))
    assert find_shadow(image, background(image)) is None
    assert all(p.fill_opacity == 1 for p in trace(image).paths)


def test_a_blurred_or_jpeg_image_has_no_shadow():
    image = with_shadow(ICON)
    small = Image.fromarray(image).resize((64, 64), Image.BICUBIC)
    blurred = np.asarray(small.resize((256, 256), Image.BICUBIC))
    assert find_shadow(blurred, background(blurred)) is None
    # JPEG's colour bleeding around a yellow shape fades into the white slowly too.
    yellow = rasterize(ICON.replace(b"#1e88e5", b"#fdd835").replace(b"#fb8c00", b"#fff176"), 256)
    buffer = io.BytesIO()
    Image.fromarray(yellow).save(buffer, format="JPEG", quality=30)
    noisy = np.asarray(Image.open(buffer).convert("RGBA"))
    assert background(noisy) is not False
    assert find_shadow(noisy, background(noisy)) is None


def test_fill_in_keeps_known_values_and_fills_holes_smoothly():
    ys, xs = np.mgrid[0:64, 0:64]
    values = (xs / 63.0).astype(np.float32)
    known = np.ones((64, 64), bool)
    known[20:40, 10:50] = False
    filled = _fill_in(np.where(known, values, 9.0), known)
    assert np.array_equal(filled[known], values[known])
    hole = filled[~known]
    assert hole.min() >= 0 and hole.max() <= 1
    # A linear ramp is filled close to itself (push-pull smooths, it does not copy edges).
    assert np.abs(hole - values[~known]).mean() < 0.1
