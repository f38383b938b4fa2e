"""Translucent fills on a transparent background (svgvl.trace.translucent)."""

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from svgvl.images import load_image
from svgvl.metrics import ssim
from svgvl.render import rasterize
from svgvl.svg import write
from svgvl.trace import trace

from .conftest import SVG_FIXTURES

# A duotone icon as Phosphor and Material's two-tone sets draw one: an outline over a 20 % fill.
DUOTONE = b"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 256 256">
<path d="M40 72h176v136H40z" opacity=".2"/>
<path d="M40 72h176v136H40z" fill="none" stroke="#000" stroke-width="16"/>
<path d="M96 40h64v32H96z"/></svg>"""


def _on_white(svg: str, size: int) -> np.ndarray:
    return rasterize(svg.encode(), size=(size, size))


def test_a_duotone_fill_survives_as_a_translucent_path():
    """Under half opacity a pixel was transparent to the tracer: the duotone's 20 % tone
    vanished from every transparent PNG (Phosphor duotone at 128 px: SSIM 0.975 -> 0.996)."""
    for size in (48, 100):  # off the pixel grid (at 128 px it is pixel art, traced as such)
        px = rasterize(DUOTONE, size=size, background=None)
        out = write(trace(px))
        assert 'fill-opacity=".2"' in out or 'fill-opacity="0.2"' in out
        target = rasterize(DUOTONE, size=4 * size)
        inside = _on_white(out, 4 * size)[size * 2, size * 2].astype(int)  # the tone's middle
        assert np.abs(inside - target[size * 2, size * 2]).max() <= 8
        without = write(trace(px, translucency=False))
        assert ssim(_on_white(out, 4 * size), target) > ssim(_on_white(without, 4 * size), target)


def test_opaque_icons_and_soft_shadows_do_not_turn_translucent():
    """An opaque icon's anti-aliased rim ramps through every opacity but is never flat; a soft
    shadow's ramp is not flat either: at most its plateau is one translucent layer."""
    icon = rasterize(SVG_FIXTURES / "icons" / "mdi-cog.svg", size=128, background=None)
    assert "opacity" not in write(trace(icon))
    shadow = Image.new("L", (256, 256), 0)
    ImageDraw.Draw(shadow).ellipse((60, 70, 210, 220), fill=140)
    picture = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    picture.putalpha(shadow.filter(ImageFilter.GaussianBlur(6)))
    ImageDraw.Draw(picture).ellipse((50, 50, 190, 190), fill=(30, 120, 220, 255))
    rgba = np.asarray(picture)
    out = write(trace(rgba))
    assert out.count("fill-opacity") <= 1
    reference = load_image(rgba)
    assert ssim(_on_white(out, 256), reference) >= ssim(
        _on_white(write(trace(rgba, translucency=False)), 256), reference
    )


def test_a_logo_exported_at_partial_opacity_keeps_its_lightness():
    """A whole logo at 60 % opacity came out solid (its pixels are over half opaque)."""
    px = rasterize(SVG_FIXTURES / "logos" / "logos-visa.svg", size=256, background=None)
    px[..., 3] = (px[..., 3].astype(np.float32) * 0.6).astype(np.uint8)
    reference = load_image(px)
    traced = ssim(_on_white(write(trace(px)), 256), reference)
    solid = ssim(_on_white(write(trace(px, translucency=False)), 256), reference)
    assert traced > solid + 0.02


def test_a_small_emojis_thin_ground_shadow_is_kept():
    """At 48 px a Streamline emoji's 15 % ground shadow is two or three pixels high: no pixel of
    it is flat over 3×3, but it is flat along its rows, with nothing opaque beside it."""
    emoji = b"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48">
    <ellipse cx="24" cy="44.5" rx="15" ry="1.5" fill="#45413c" opacity=".15"/>
    <circle cx="24" cy="22" r="18" fill="#ffe500" stroke="#45413c" stroke-width="1.2"/></svg>"""
    px = rasterize(emoji, size=48, background=None)
    out = write(trace(px))
    assert "fill-opacity" in out
    target = rasterize(emoji, size=192)
    shadow = _on_white(out, 192)[176:181, 80:112].astype(int)  # the shadow's middle, at 4x
    assert np.abs(shadow - target[176:181, 80:112]).max() <= 24
