"""Pixel art traced on its grid, small images traced at a working size, trivial images."""

import io
import re

import numpy as np
import pytest
from PIL import Image

from svgvl.metrics import ssim
from svgvl.render import load_image, rasterize
from svgvl.svg import write
from svgvl.trace import trace
from svgvl.trace.pixels import boundary_loops, find_grid, trace_pixels
from svgvl.trace.working import add_missing_colors, enlarge, working_factor

from .conftest import SVG_FIXTURES

SPRITES = [
    SVG_FIXTURES / "emoji" / "twemoji-alembic.svg",
    SVG_FIXTURES / "emoji" / "fluent-camping.svg",
    SVG_FIXTURES / "logos" / "logos-mastercard.svg",
]


def sprite(svg, size: int = 16, colors: int = 10, alpha: bool = True) -> np.ndarray:
    """A real icon as pixel art: drawn at ``size`` px, few colours, hard-edged alpha."""
    rgba = rasterize(svg.read_bytes(), size=size, background=None)
    rgb = Image.fromarray(rgba, "RGBA").convert("RGB").quantize(colors).convert("RGB")
    a = np.where(rgba[..., 3] >= 128, 255, 0).astype(np.uint8)
    out = np.dstack([np.asarray(rgb), a])
    return out if alpha else np.dstack([load_image(out), np.full(a.shape, 255, np.uint8)])


def upscale(rgba: np.ndarray, factor: int) -> np.ndarray:
    return rgba.repeat(factor, 0).repeat(factor, 1)


def drawn(svg: str, width: int, height: int) -> np.ndarray:
    return rasterize(svg.encode(), size=(width, height))


def retraced(svg: str, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """An SVG drawn opaque at width×height, and its trace drawn the same: (input, output)."""
    rgb = rasterize(svg, size=(width, height))
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    return rgb, drawn(write(trace(rgba)), width, height)


def commands(drawing) -> list:
    return [c for p in drawing.paths for c in p.d]


@pytest.mark.parametrize("path", SPRITES, ids=lambda p: p.stem)
@pytest.mark.parametrize("alpha", [True, False], ids=["alpha", "white"])
def test_upscaled_pixel_art_is_traced_exactly_on_its_grid(path, alpha):
    small = sprite(path, alpha=alpha)
    big = upscale(small, 8)[3:, 5:]  # cropped: the grid starts part-way into a cell
    grid = find_grid(big)
    assert grid is not None and grid.period == 8
    assert grid.xs[:3].tolist() == [0, 3, 11] and grid.ys[:3].tolist() == [0, 5, 13]
    drawing = trace(big)
    svg = write(drawing, precision=1)
    h, w = big.shape[:2]
    # Crisp: at the input's size and at 4x the drawing is the input, pixel for pixel.
    assert np.array_equal(drawn(svg, w, h), load_image(big))
    assert np.array_equal(drawn(svg, 4 * w, 4 * h), load_image(upscale(big, 4)))
    # Only horizontal and vertical moves, on grid lines, one path per colour.
    points = [args for op, args in commands(drawing) if op in "ML"]
    assert all(op in "MLZ" for op, _ in commands(drawing))
    assert {x for x, _ in points} <= set(grid.xs.tolist())
    assert {y for _, y in points} <= set(grid.ys.tolist())
    visible = big[big[..., 3] > 0]
    colours = {tuple(c) for c in visible[:, :3].tolist()} - (
        {(255, 255, 255)} if not alpha else set()
    )
    assert len(drawing.paths) == len(colours)


def test_boundary_loops_enclose_exactly_the_cells():
    rng = np.random.default_rng(0)
    for _ in range(20):
        mask = rng.random((13, 17)) < 0.5
        loops = boundary_loops(mask)
        # Shoelace areas, y down: outer loops clockwise (+), holes anticlockwise (-).
        area = sum(
            0.5
            * float(np.dot(p[:, 0], np.roll(p[:, 1], -1)) - np.dot(p[:, 1], np.roll(p[:, 0], -1)))
            for p in loops
        )
        assert area == mask.sum()
        for p in loops:  # edges alternate horizontal and vertical, one lattice step or more
            step = np.diff(np.vstack([p, p[:1]]), axis=0)
            assert ((step[:, 0] == 0) != (step[:, 1] == 0)).all()
            assert ((step[:-1, 0] == 0) != (step[1:, 0] == 0)).all()


def test_boundary_loops_of_a_ring_and_a_diagonal_pair():
    ring = np.ones((3, 3), bool)
    ring[1, 1] = False
    outer, hole = boundary_loops(ring)
    assert outer.tolist() == [[0, 0], [3, 0], [3, 3], [0, 3]]
    assert hole.tolist() == [[1, 1], [1, 2], [2, 2], [2, 1]]
    # Cells touching at a corner only stay two squares.
    assert [p.tolist() for p in boundary_loops(np.eye(2, dtype=bool))] == [
        [[0, 0], [1, 0], [1, 1], [0, 1]],
        [[1, 1], [2, 1], [2, 2], [1, 2]],
    ]


def test_native_sprite_in_pixel_mode_is_exact():
    small = sprite(SPRITES[0], size=24)
    assert find_grid(small) is None  # at 1:1 nothing says it is pixel art ...
    svg = write(trace(small, mode="pixel"), precision=1)  # ... unless the user says so
    assert np.array_equal(drawn(svg, 96, 96), load_image(upscale(small, 4)))


@pytest.mark.parametrize("path", [p for p in SVG_FIXTURES.glob("*/*.svg")], ids=lambda p: p.stem)
def test_anti_aliased_renders_and_jpegs_are_not_pixel_art(path):
    rgba = rasterize(path.read_bytes(), size=96, background=None)
    assert find_grid(rgba) is None
    assert find_grid(np.dstack([load_image(rgba), np.full((96, 96), 255, np.uint8)])) is None
    buffer = io.BytesIO()
    Image.fromarray(load_image(upscale(rgba, 2))).save(buffer, "JPEG", quality=90)
    jpeg = np.asarray(Image.open(buffer).convert("RGBA"))
    assert find_grid(jpeg) is None  # even when it was upscaled before compression


def test_many_colours_are_quantised_and_colors_is_honoured():
    smooth = rasterize(SPRITES[1].read_bytes(), size=64, background=None)
    big = upscale(smooth, 4)
    assert len(np.unique(smooth.reshape(-1, 4), axis=0)) > 256
    drawing = trace(big)
    assert 2 <= len(drawing.paths) <= 32
    assert ssim(drawn(write(drawing), 256, 256), load_image(big)) > 0.9
    assert len(trace_pixels(big, colors=3).paths) <= 3


def test_modes():
    big = upscale(sprite(SPRITES[2]), 6)
    assert all(op in "MLZ" for p in trace(big).paths for op, _ in p.d)
    assert any(op == "C" for p in trace(big, mode="fill").paths for op, _ in p.d)
    assert all(op in "MLZ" for p in trace(big, mode="pixel").paths for op, _ in p.d)
    with pytest.raises(ValueError, match="mode"):
        trace(big, mode="wobbly")


@pytest.mark.parametrize(
    ("rgba", "expected"),
    [
        (
            np.full((1, 1, 4), (200, 30, 30, 255), np.uint8),
            '<path d="M0 0H1V1H0Z" fill="#c81e1e"/>',
        ),
        (np.full((9, 5, 4), 255, np.uint8), '<path d="M0 0H5V9H0Z" fill="#fff"/>'),
        (np.zeros((40, 40, 4), np.uint8), ""),
    ],
    ids=["one-pixel", "white", "transparent"],
)
def test_trivial_images(rgba, expected):
    h, w = rgba.shape[:2]
    for mode in ("auto", "fill", "pixel"):
        svg = write(trace(rgba, mode=mode))
        assert (
            svg == f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}">{expected}</svg>'
        )


def test_working_factor_enlarges_only_small_images():
    assert working_factor(32, 32) == 4 and working_factor(64, 40) == 2
    assert working_factor(65, 65) == 1 and working_factor(256, 256) == 1
    assert working_factor(1, 1) == 8


def test_enlarge_keeps_edge_colours_of_transparent_images():
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[3:5, 3:5] = (250, 20, 10, 255)
    big = enlarge(rgba, 4)
    assert big.shape == (32, 32, 4)
    seen = big[big[..., 3] >= 16]
    # Premultiplied filtering: the fading edge is still red, not darkened towards black.
    assert (np.abs(seen[:, :3].astype(int) - (250, 20, 10)) <= 12).all()


def test_a_small_mark_without_flat_pixels_still_gets_its_colour():
    from svgvl.trace.palette import Palette

    rgba = rasterize(SVG_FIXTURES / "logos" / "si-spotify.svg", size=12, background=None)
    rgba = np.pad(load_image(rgba), ((10, 10), (10, 10), (0, 0)), constant_values=255)
    rgba = np.dstack([rgba, np.full(rgba.shape[:2], 255, np.uint8)])
    white = Palette(np.array([[255.0, 255.0, 255.0]]), np.array([500]))
    added = add_missing_colors(white, rgba).colors[1:]
    assert len(added) >= 1
    ink = rgba[..., :3].reshape(-1, 3).astype(float)
    ink = ink[np.linalg.norm(ink - 255, axis=1) > 100]
    # The added colour is the mark's purest colour, not a washed-out mixture with white.
    assert np.linalg.norm(added[0] - ink.mean(0)) < np.linalg.norm(ink.mean(0) - 255)
    assert len(trace(rgba).paths) >= 1


@pytest.mark.parametrize("size", [32, 64])
def test_small_icons_keep_their_parts(size, monkeypatch):
    """At 32 and 64 px, tracing at the working size follows the original drawing closer (SSIM
    at 4x against the source SVG) than tracing at the input's size, on every icon and by 0.015
    on average (a clear gain: the input's own trace keeps thin parts of fills too), and keeps
    the input's viewBox."""
    import svgvl.trace.working as working

    default = working.SMALL
    gains = []
    for path in SPRITES + [SVG_FIXTURES / "logos" / "si-blender.svg"]:
        rgba = rasterize(path.read_bytes(), size=size, background=None)
        target = rasterize(path.read_bytes(), size=4 * size)
        scores = []
        for small in (default, 0):  # 0: nothing is small, the input's size is used
            monkeypatch.setattr(working, "SMALL", small)
            svg = write(trace(rgba), precision=1)
            assert f'viewBox="0 0 {size} {size}"' in svg
            scores.append(ssim(drawn(svg, 4 * size, 4 * size), target))
        assert scores[0] > scores[1], path.stem
        gains.append(scores[0] - scores[1])
    assert np.mean(gains) > 0.015


def _restyled(name: str, old: str, new: str) -> bytes:
    return (SVG_FIXTURES / "icons" / f"{name}.svg").read_text().replace(old, new).encode()


def test_thin_white_lines_on_a_small_tile_have_no_halo():
    svg = _restyled(
        "tabler-settings", 'stroke="currentColor" stroke-linecap', 'stroke="#fff" stroke-linecap'
    )
    svg = svg.replace(b'stroke-width="2"', b'stroke-width="1.4"')
    svg = svg.replace(b"<g ", b'<rect width="24" height="24" rx="5" fill="#1a5fd0"/><g ')
    rgba = rasterize(svg, size=32, background=None)
    drawing = trace(rgba)
    fills = np.array([[int(p.fill[i : i + 2], 16) for i in (1, 3, 5)] for p in drawing.paths])
    # Only the tile's blue and the lines' white (within a blend's rounding), no light-blue
    # rings of the blends between them.
    near = np.minimum(
        np.linalg.norm(fills - (0x1A, 0x5F, 0xD0), axis=1), np.linalg.norm(fills - 255, axis=1)
    )
    assert len(fills) >= 2 and (near < 40).all()
    target = rasterize(svg, size=128)
    assert ssim(drawn(write(drawing, precision=1), 128, 128), target) > 0.93


@pytest.mark.parametrize("name", ["tabler-settings", "lucide-image", "lucide-shapes"])
def test_hairlines_on_a_small_image_are_not_lost(name):
    """Lines thinner than a pixel are nowhere darker than half their colour: tracing them
    without the blend colours loses them, so the blends stay where the render says so."""
    svg = _restyled(name, 'stroke-width="2"', 'stroke-width="0.45"')
    flat = rasterize(svg, size=32)
    ink = (255 - flat.astype(int)).sum()
    out = drawn(write(trace(np.dstack([flat, np.full((32, 32), 255, np.uint8)]))), 32, 32)
    assert (255 - out.astype(int)).sum() > 0.95 * ink


def test_no_hairline_between_colours_at_any_zoom():
    """Two colours meeting exactly each anti-alias the shared edge, and the white under them
    shows through as a hairline unless the lower one runs on under the upper one."""
    small = sprite(SPRITES[0], size=16, colors=6, alpha=False)
    drawing = trace(upscale(small, 8))
    size = 301  # 301/128: cell edges fall anywhere inside the output pixels
    out = drawn(write(drawing, precision=1), size, size).astype(float)
    cells = load_image(small).astype(float)
    # A pixel that only overlaps inked (non-white) cells must be a mix of their colours: no
    # lighter than the lightest of them.
    lo = np.floor(np.arange(size) * 16 / size).astype(int)
    hi = np.minimum(np.ceil((np.arange(size) + 1) * 16 / size).astype(int) - 1, 15)
    checked = 0
    for y in range(size):
        for x in range(0, size, 3):
            patch = cells[lo[y] : hi[y] + 1, lo[x] : hi[x] + 1].reshape(-1, 3)
            if (patch.sum(1) < 3 * 245).all() and len(np.unique(patch, axis=0)) > 1:
                checked += 1
                assert out[y, x].sum() <= patch.sum(1).max() + 6, (y, x)
    assert checked > 100


@pytest.mark.parametrize("size", [48, 256])
def test_no_rim_of_a_third_colour_that_resembles_a_blend(size):
    """A dark letter's anti-aliased edge on white passes through mid blues: with a blue shape
    beside it, that blue must not ring the letter (it did at 48 px, all round the letter)."""
    dark, blue = (0x2B, 0x3B, 0x47), (0x59, 0x7B, 0x91)
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48">'
        '<rect x="2" y="16" width="16" height="26" fill="#597b91"/>'
        '<path d="M18 42 27 6h8l10 36h-7l-8-27-6 27z" fill="#2b3b47"/></svg>'
    )
    rgb = rasterize(svg, size=size)
    out = drawn(write(trace(np.dstack([rgb, np.full((size, size), 255, np.uint8)]))), 192, 192)
    # The letter's right half, away from the blue rectangle: only the dark, white and blends
    # of the two may be drawn there.
    right = out[:, 100:].reshape(-1, 3).astype(float)
    span = np.subtract((255, 255, 255), dark)
    t = np.clip((right - dark) @ span / (span @ span), 0, 1)
    off = np.linalg.norm(right - dark - t[:, None] * span, axis=1)
    bluish = np.linalg.norm(right - blue, axis=1) < 20
    assert (bluish & (off > 15)).sum() <= 5
    assert ssim(out, rasterize(svg, size=192)) > 0.95


def test_an_edge_pixel_takes_the_inside_colour_it_is_a_blend_of():
    """Layer coverage at an edge: a half dark, half white pixel next to a mid-blue layer under
    the dark one is half *dark*, not 70 % of the blue that it resembles (a blue rim)."""
    from svgvl.trace.layers import _blend_end

    white, blue, dark = (255.0, 255, 255), (89.0, 123, 145), (43.0, 59, 71)
    ordered = np.array([white, blue, dark], np.float32)
    pixels = np.array([np.add(dark, white) / 2, np.add(blue, white) / 2], np.float32)
    c_in = np.array([blue, blue], np.float32)  # the nearest colour at or above the blue layer
    c_out = np.array([white, white], np.float32)
    near = np.ones((2, 3), bool)
    ends = _blend_end(pixels, c_in, c_out, ordered, near, 1, {})
    assert np.allclose(ends, [dark, blue])
    near[0, 2] = False  # no dark near the first pixel: nothing else to take
    assert np.allclose(_blend_end(pixels, c_in, c_out, ordered, near, 1, {})[0], blue)


def test_a_thin_line_of_a_fills_colour_across_one_colour_stays_whole():
    """A wand of the skin's brown drawn 2 px wide across a cyan wing: no flat pixel of brown
    lies near it and only cyan lies around, yet brown is a fill elsewhere, so the line is
    that brown (it came out as dashes of the wing's colour)."""
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 256 256">'
        '<circle cx="60" cy="190" r="45" fill="#6d4c41"/>'
        '<rect x="120" y="20" width="120" height="200" fill="#84fdee"/>'
        '<path d="M150 40 172 200" stroke="#6d4c41" stroke-width="2.2"/></svg>'
    )
    _, out = retraced(svg, 256, 256)
    # Along the line, the darkest pixel across it must be brown, not the wing's cyan.
    brown = 0
    for y in range(50, 191, 2):
        x = 150 + 22 * (y - 40) / 160
        across = out[y, int(x) - 2 : int(x) + 3].astype(int)
        brown += int((np.abs(across - (0x6D, 0x4C, 0x41)).sum(1) < 60).any())
    assert brown >= 0.95 * len(range(50, 191, 2))


def _stopwatch(gap: float) -> str:
    """A white stopwatch on a blue tile (after the Algolia logo): a ring, a crown above it and
    a button at 45°, each ``gap`` units (half a pixel each at 64 px tall) from the ring."""
    d = 35.75 + gap + 5.5
    bx, by = 64.7 - d / 2**0.5, 67.7 - d / 2**0.5
    top = 67.7 - 35.75 - gap - 10
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 128">'
        '<rect width="512" height="128" fill="#fff"/>'
        '<rect width="126" height="126" rx="16" fill="#5468ff"/>'
        '<circle cx="64.7" cy="67.7" r="30.5" fill="none" stroke="#fff" stroke-width="10.5"/>'
        f'<rect x="{bx - 7}" y="{by - 5.5}" width="14" height="11" rx="5" fill="#fff" '
        f'transform="rotate(-45 {bx} {by})"/>'
        f'<rect x="52" y="{top}" width="25" height="10" rx="4" fill="#fff"/></svg>'
    )


@pytest.mark.parametrize("gap", [3.0, 4.0])
def test_gaps_of_a_fill_between_shapes_keep_them_apart(gap):
    """The blue between a stopwatch's ring and its crown or button is one or two pixels wide,
    with no flat blue within two pixels of much of it: such pixels were taken for the white on
    either side and the shapes merged.  Each white part must stay a part of its own."""
    from svgvl.trace.morphology import components

    rgb, out = retraced(_stopwatch(gap), 256, 64)

    def parts(image):  # white parts inside the tile
        white = image[6:58, 6:58].astype(int).sum(-1) > 640
        return len(np.unique(components(white))) - 1

    assert parts(rgb) == 3
    assert parts(out) == 3


def test_small_dark_features_of_a_big_face_are_kept():
    """Eyes 6×8 px on a 220 px face have some 30 flat pixels each, under the share of the
    image a colour needs to count (0.22 % of its flat pixels): they were dropped as noise and
    the face came out blank.  A cluster that far from every big one is a shape, not noise."""
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 256 256">'
        '<rect width="256" height="256" fill="#fff"/>'
        '<circle cx="128" cy="128" r="110" fill="#a56c43"/>'
        '<ellipse cx="100" cy="110" rx="3" ry="4" fill="#1a1717"/>'
        '<ellipse cx="156" cy="110" rx="3" ry="4" fill="#1a1717"/></svg>'
    )
    _, out = retraced(svg, 256, 256)
    for x in (100, 156):
        assert np.abs(out[110, x].astype(int) - (0x1A, 0x17, 0x17)).sum() < 40


def test_a_blend_left_out_of_a_small_palette_goes_to_its_own_ends():
    """A 48 px padlock: its grey shackle between black outlines has no flat pixel and reads as
    a blend of black and white, so the small-image palette leaves it out; its pixels then took
    the nearest colour left, the key's orange.  They go to black or white, as their own
    position between the two says."""
    lock = b"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 72 72">
    <path d="M16 34V24a12 12 0 0 1 24 0v10" fill="none" stroke="#000" stroke-width="6"/>
    <path d="M16 34V24a12 12 0 0 1 24 0v10" fill="none" stroke="#9b9b9a" stroke-width="2.5"/>
    <rect x="10" y="34" width="36" height="28" fill="#fcea2b" stroke="#000" stroke-width="2"/>
    <circle cx="56" cy="22" r="10" fill="#f4aa41" stroke="#000" stroke-width="2"/>
    <path d="M53 31h6v30h-6z" fill="#f4aa41" stroke="#000" stroke-width="2"/></svg>"""
    px = rasterize(lock, size=48)
    out = drawn(write(trace(np.dstack([px, np.full((48, 48), 255, np.uint8)]))), 192, 192)
    shackle = out[30:90, 40:110].astype(int)  # above the body, left of the key, at 4x
    orange = np.abs(shackle - (0xF4, 0xAA, 0x41)).sum(-1) < 60
    assert orange.sum() < 20  # the old trace drew ~590 such pixels there
    dark = shackle.sum(-1) < 120
    assert dark.sum() > 500  # the shackle is still drawn


def test_a_badge_that_fills_its_favicon_is_a_circle():
    """A round badge drawn edge to edge in a 32 px favicon (crypto and app icons are): the
    outline runs along the frame where the last row of pixels is partly covered, and was
    traced as ~60 wobbly segments; cut by the frame, it is still a circle."""
    badge = b"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
    <circle cx="16" cy="16" r="16" fill="#da1157"/><path d="M9 11h14v10H9z" fill="#fff"/></svg>"""
    for size in (32, 48):
        out = write(trace(rasterize(badge, size=size, background=None)))
        cx, cy, r = (
            float(v)
            for v in re.search(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="([\d.]+)"', out).groups()
        )
        scale = size / 32
        assert abs(cx / scale - 16) < 0.2 and abs(cy / scale - 16) < 0.2
        assert abs(r / scale - 16) < 0.3
    # A circle with a band along the bottom edge is no circle: the band stays drawn.
    banded = badge.replace(b'<path d="M9', b'<path d="M0 26h32v6H0z" fill="#da1157"/><path d="M9')
    out = write(trace(rasterize(banded, size=32, background=None)))
    assert "<circle" not in out
    corner = drawn(out, 128, 128)[120:128, 0:8].astype(int)  # the band's corner, at 4x
    assert (np.abs(corner - (0xDA, 0x11, 0x57)).sum(-1) < 60).mean() > 0.8


def test_small_images_keep_gradients_only_where_they_draw_closer():
    """A Noto face at 32 and 64 px has real radial gradients: drawn in flat bands it looked
    banded at every zoom.  Flat Twemoji at 32 px, whose enlargement has soft ramps at every
    edge (a flat sailboat lost 0.12 SSIM to gradients fitted to them), are shaded only where
    that draws them no worse."""
    face = SVG_FIXTURES / "emoji" / "noto-beaming-face-with-smiling-eyes.svg"
    for size in (32, 64):
        px = rasterize(face.read_bytes(), size=size, background=None)
        target = rasterize(face.read_bytes(), size=4 * size)
        shaded, flat = (write(trace(px, gradients=g)) for g in (True, False))
        assert "Gradient" in shaded
        assert ssim(drawn(shaded, 4 * size, 4 * size), target) > ssim(
            drawn(flat, 4 * size, 4 * size), target
        )
    for name in ("saxophone", "alembic", "bubbles", "black-flag"):
        svg = (SVG_FIXTURES / "emoji" / f"twemoji-{name}.svg").read_bytes()
        px, target = rasterize(svg, size=32, background=None), rasterize(svg, size=128)
        chosen, flat = (write(trace(px, gradients=g)) for g in (True, False))
        assert ssim(drawn(chosen, 128, 128), target) >= ssim(drawn(flat, 128, 128), target) - 0.002


def test_an_outline_between_several_fills_is_not_a_colour_of_its_own():
    """At 48 px a dark one-pixel outline between a yellow face, its pale highlight and pink
    ears blends with each of them: one cluster of olive blends, off every line between two
    colours, that was traced as a speckled olive layer (a Streamline cat: 295 commands of it).
    Each of its pixels goes to an end of its own blend."""
    cat = b"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48">
    <g stroke="#45413c" stroke-width="1.2" stroke-linejoin="round">
    <path d="M9 6l9 8h12l9-8 2 14v10c0 8-8 14-17 14S7 38 7 30V20z" fill="#ffe500"/>
    <path d="M11 10l5 5-6 4z M37 10l-5 5 6 4z" fill="#ff866e"/>
    <path d="M12 18c4-4 20-4 24 0" fill="none" stroke="#fff48c" stroke-width="3"/></g>
    <g fill="none" stroke="#45413c" stroke-width="1.2" stroke-linecap="round">
    <path d="M15 31h6M27 31h6M17 26l4 1M31 26l-4 1M21 36c2 1 4 1 6 0"/></g></svg>"""
    px = rasterize(cat, size=48, background=None)
    drawing = trace(px)
    source = np.array(
        [(0x45, 0x41, 0x3C), (0xFF, 0xE5, 0x00), (0xFF, 0x86, 0x6E), (0xFF, 0xF4, 0x8C)]
    )
    for path in drawing.paths:
        color = np.array([int(path.fill[i : i + 2], 16) for i in (1, 3, 5)])
        assert np.abs(source - color).sum(1).min() < 60, path.fill  # no olive of blends
    out = drawn(write(drawing), 192, 192)
    target = rasterize(cat, size=192)
    assert ssim(out, target) > 0.9


def test_no_beard_of_the_hairs_colour_around_a_small_mouth():
    """Enlarged, the one-pixel blends around a 48 px face's mouth (its dark outline against
    the skin and the red) are flat patches of their own, and took the nearest colour anywhere:
    the hair's brown, a beard around every mouth.  They go to the ends of their own blends."""
    face = b"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48">
    <g stroke="#434441" stroke-width="1.2" stroke-linejoin="round">
    <path d="M8 20c0-12 32-12 32 0z" fill="#a86c4d"/>
    <path d="M8 20h32v10c0 9-7 14-16 14S8 39 8 30z" fill="#ffcebf"/>
    <path d="M17 32h14c0 4-3 6-7 6s-7-2-7-6z" fill="#ff6196"/></g>
    <circle cx="18" cy="26" r="1.6" fill="#434441"/><circle cx="30" cy="26" r="1.6" fill="#434441"/></svg>"""
    px = rasterize(face, size=48, background=None)
    out = drawn(write(trace(px)), 192, 192)
    mouth = out[118:160, 56:136].astype(int)  # around the mouth, at 4x
    brown = np.abs(mouth - (0xA8, 0x6C, 0x4D)).sum(-1) < 40
    # The old trace ringed the mouth with ~520 such pixels.  What is left is its top edge, a
    # blend of three colours (outline, skin, red) that no two explain: at most one outline's
    # width (6 px at 4x) along the mouth's 56 px.
    assert brown.sum() < 6 * 56
    hair = out[40:70, 60:130].astype(int)
    assert (np.abs(hair - (0xA8, 0x6C, 0x4D)).sum(-1) < 40).mean() > 0.5  # the hair is still brown
