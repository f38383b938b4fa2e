"""The reference renderer: same pixels as cairosvg, nothing read from outside, bounded in time."""

import base64
import io
import os
import signal
import struct
import time
import zlib

import numpy as np
import pytest
from cairosvg import svg2png
from PIL import Image

from svgvl.files import OutputExistsError
from svgvl.render import ImageError, RenderError, load_image, rasterize, save_png
from svgvl.svg import SVGError, parse

from .conftest import SVG_FIXTURES

NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
# A tabler-style stroked icon and an mdi-style filled path, as their sets publish them.
STROKED = (
    f'<svg {NS} width="24" height="24" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
    'stroke-width="2" stroke-linecap="round" stroke-linejoin="round">'
    '<path d="M19.5 12.572l-7.5 7.428l-7.5-7.428a5 5 0 1 1 7.5-6.566a5 5 0 1 1 7.5 6.572"/></svg>'
)
FILLED = (
    f'<svg {NS} viewBox="0 0 24 24"><path fill="#1565c0" d="M12 2A10 10 0 0 0 2 12a10 10 0 0 0 '
    "10 10a10 10 0 0 0 10-10A10 10 0 0 0 12 2m0 4a6 6 0 0 1 6 6a6 6 0 0 1-6 6a6 6 0 0 1-6-6a6 "
    '6 0 0 1 6-6Z"/></svg>'
)
WIDE = f'<svg {NS} viewBox="0 0 200 100"><rect width="200" height="100" fill="#ff0000"/></svg>'


def cairosvg_pixels(svg: bytes, size: int, mode: str) -> np.ndarray:
    """What SVG-Bench computes: cairosvg's own svg2png at size×size, decoded by Pillow."""
    background = "white" if mode == "RGB" else None
    png = svg2png(
        bytestring=svg, output_width=size, output_height=size, background_color=background
    )
    return np.asarray(Image.open(io.BytesIO(png)).convert(mode))


def png_bytes(color=(255, 0, 0, 255), size=(8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, color).save(out, format="PNG")
    return out.getvalue()


# -- output format -----------------------------------------------------------------------------


def test_rgb_on_white_by_default():
    pixels = rasterize(STROKED, 64)
    assert pixels.shape == (64, 64, 3) and pixels.dtype == np.uint8
    assert (pixels[0, 0] == 255).all()  # background
    assert pixels.min() < 60  # the black stroke is there


def test_transparent_background_gives_straight_rgba():
    pixels = rasterize(FILLED, 64, background=None)
    assert pixels.shape == (64, 64, 4)
    assert pixels[0, 0, 3] == 0  # corner: outside the ring
    inside = pixels[pixels[..., 3] == 255]
    assert len(inside) and (inside[:, :3] == (0x15, 0x65, 0xC0)).all()
    assert rasterize(FILLED, 64, background="none").shape == (64, 64, 4)


def test_background_colour_and_bad_colours():
    assert (rasterize(STROKED, 32, background="#000080")[0, 0] == (0, 0, 128)).all()
    with pytest.raises(ValueError, match="unknown background"):
        rasterize(STROKED, 32, background="blurple")
    with pytest.raises(ValueError, match="opaque"):
        rasterize(STROKED, 32, background="#ff000080")


def test_accepts_text_bytes_path_and_document(tmp_path):
    path = tmp_path / "heart.svg"
    path.write_text(STROKED)
    expected = rasterize(STROKED, 48)
    for source in (STROKED.encode(), path, str(path), parse(STROKED)):
        assert np.array_equal(rasterize(source, 48), expected)


# -- geometry ----------------------------------------------------------------------------------


def test_wide_viewbox_is_letterboxed_with_aspect_kept():
    pixels = rasterize(WIDE, 100)
    red = (pixels == (255, 0, 0)).all(axis=-1)
    rows = np.flatnonzero(red.any(axis=1))
    assert (rows[0], rows[-1]) == (25, 74)  # 2:1 drawing centred in the square
    assert red[25:75].all()  # full width, no stretching
    assert (pixels[:25] == 255).all() and (pixels[75:] == 255).all()


def test_tuple_size_and_intrinsic_size():
    assert rasterize(WIDE, (60, 90)).shape == (90, 60, 3)
    assert rasterize(STROKED, None).shape == (24, 24, 3)  # width/height attributes
    assert rasterize(WIDE, None).shape == (100, 200, 3)  # viewBox only


def test_fixture_pixels_equal_cairosvg_svg2png(fixture_svg):
    """SVG-Bench's pixels, except for a mask drawn below the document's own size (next test)."""
    data = fixture_svg.read_bytes()
    assert np.array_equal(rasterize(fixture_svg), cairosvg_pixels(data, 512, "RGB"))
    if b"<mask" not in data:
        assert np.array_equal(
            rasterize(fixture_svg, 128, background=None), cairosvg_pixels(data, 128, "RGBA")
        )


@pytest.mark.parametrize("size", [32, 64, 200])
def test_masked_drawings_survive_small_sizes(size):
    """cairosvg draws a mask unscaled, so below the document's own size (the Drive logo's is
    256 px) what it masks was cut off: blank at 32 px, a few pixels at 64.  Drawn larger and
    shrunk, it matches resvg, an independent renderer that gets masks right at any size."""
    import resvg_py

    svg = (SVG_FIXTURES / "logos" / "logos-google-drive.svg").read_text()
    height = round(size * 238 / 256)
    ours = rasterize(svg, (size, height))
    png = resvg_py.svg_to_bytes(svg_string=svg, width=size, height=height, background="white")
    theirs = np.asarray(Image.open(io.BytesIO(bytes(png))).convert("RGB"))
    ink, their_ink = (ours.min(-1) < 128).sum(), (theirs.min(-1) < 128).sum()
    assert abs(int(ink) - int(their_ink)) <= 0.05 * their_ink
    assert np.abs(ours.astype(int) - theirs).mean() < 3  # anti-aliasing apart, the same


# -- limits and failures -----------------------------------------------------------------------


def test_pixel_limit_is_checked_before_allocating():
    with pytest.raises(RenderError, match="larger than the limit"):
        rasterize(STROKED, (100_000, 100_000))
    huge = f'<svg {NS} width="100000" height="100000"><rect width="9" height="9"/></svg>'
    with pytest.raises(RenderError, match="larger than the limit"):
        rasterize(huge, None)
    with pytest.raises(ValueError, match="positive"):
        rasterize(STROKED, 0)


def test_render_failures_are_render_errors_with_the_reason(tmp_path):
    cycle = f'<svg {NS} viewBox="0 0 9 9"><g id="a"><use href="#b"/></g><g id="b"><use href="#a"/></g></svg>'
    path = tmp_path / "cycle.svg"
    path.write_text(cycle)
    with pytest.raises(RenderError, match="RecursionError") as info:
        rasterize(path)
    assert isinstance(info.value, SVGError) and info.value.source == str(path)
    with pytest.raises(RenderError, match="no usable size"):
        rasterize(f'<svg {NS}><rect width="9" height="9"/></svg>', None)
    with pytest.raises(SVGError, match="not well-formed"):
        rasterize("<svg><path d='M0 0'")


def test_bad_path_data_is_drawn_up_to_the_error_unless_strict():
    svg = (
        f'<svg {NS} viewBox="0 0 20 10"><rect width="9" height="9" fill="#f00"/>'
        '<path id="p" d="M10 0h9v9h-9z L nan 1"/></svg>'
    )
    pixels = rasterize(svg, 40)
    assert np.array_equal(pixels, cairosvg_pixels(svg.encode(), 40, "RGB"))  # as SVG-Bench sees it
    assert (pixels[10, 30] == 0).all()  # the valid prefix is drawn
    with pytest.raises(SVGError, match=r"<path> p: .*expected a number"):
        rasterize(svg, 40, strict=True)
    assert rasterize(STROKED, 40, strict=True).shape == (40, 40, 3)


# -- external resources ------------------------------------------------------------------------


def test_local_files_and_urls_are_never_read(tmp_path, monkeypatch):
    import cairosvg.url

    red = png_bytes()
    (tmp_path / "red.png").write_bytes(red)
    (tmp_path / "other.svg").write_text(
        f'<svg {NS}><rect id="x" width="100" height="100" fill="#ff0000"/></svg>'
    )
    (tmp_path / "red.css").write_text("rect { fill: #ff0000 }")
    monkeypatch.chdir(tmp_path)  # so that relative references would resolve to these files

    def no_network(*args, **kwargs):
        raise AssertionError("the renderer tried to open a URL")

    monkeypatch.setattr(cairosvg.url, "urlopen", no_network)
    file_url = (tmp_path / "red.png").as_uri()
    hostile = [
        f'<image href="{file_url}" width="100" height="100"/>',
        '<image xlink:href="red.png" width="100" height="100"/>',
        '<image href="http://127.0.0.1:9/red.png" width="100" height="100"/>',
        '<use href="other.svg#x"/>',
        f'<use href="{(tmp_path / "other.svg").as_uri()}#x"/>',
        '<style>@import url("red.css");</style><rect width="100" height="100" fill="#fff"/>',
    ]
    for body in hostile:
        pixels = rasterize(f'<svg {NS} viewBox="0 0 100 100">{body}</svg>', 32)
        assert (pixels == 255).all(), body

    # The same picture as a data: URI is drawn, so the white results above are meaningful.
    inline = base64.b64encode(red).decode()
    body = f'<image href="data:image/png;base64,{inline}" width="100" height="100"/>'
    pixels = rasterize(f'<svg {NS} viewBox="0 0 100 100">{body}</svg>', 32)
    assert (pixels[16, 16] == (255, 0, 0)).all()


def test_embedded_image_bomb_is_refused():
    # A PNG whose header claims 100000×100000 pixels: cairo would allocate 40 GB for it.
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 6, 0, 0, 0)
    ihdr = b"IHDR" + header
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", 13)
        + ihdr
        + struct.pack(">I", zlib.crc32(ihdr))
        + b"\0\0\0\0IEND\xaeB`\x82"
    )
    body = f'<image href="data:image/png;base64,{base64.b64encode(bomb).decode()}" width="9" height="9"/>'
    with pytest.raises(RenderError, match="embedded image"):
        rasterize(f'<svg {NS} viewBox="0 0 9 9">{body}</svg>', 32)


# -- time limit --------------------------------------------------------------------------------

# 14 kB: a zig-zag of 2000 diagonals dashed every 0.05 units; cairo strokes it for ~90 s in C.
DASHED = (
    f'<svg {NS} viewBox="0 0 100 100"><path d="M0 0{" L100 100 L0 0" * 1000}" '
    'stroke="black" fill="none" stroke-dasharray="0.05"/></svg>'
)


# An ordinary dashed line: drawn in a child process because of its dashes.
DASHED_LINE = (
    f'<svg {NS} viewBox="0 0 10 10"><path d="M0 5H10" stroke="#000" stroke-dasharray="2"/></svg>'
)


def use_fan_out(levels: int) -> str:
    defs = '<path id="a0" d="M0 0h1v1z"/>'
    for level in range(1, levels + 1):
        uses = f'<use xlink:href="#a{level - 1}"/>' * 10
        defs += f'<g id="a{level}">{uses}</g>'
    return f'<svg {NS} viewBox="0 0 9 9"><defs>{defs}</defs><use xlink:href="#a{levels}"/></svg>'


@pytest.mark.parametrize("svg", [DASHED, use_fan_out(11)], ids=["dasharray", "use-fan-out"])
def test_pathological_documents_stop_at_the_timeout(svg):
    start = time.monotonic()
    # Stopped at the deadline, or (dashes: cairo allocates every dash) at the memory cap.
    with pytest.raises(RenderError, match="longer than 1 s|memory limit"):
        rasterize(svg, 256, timeout=1)
    assert time.monotonic() - start < 5


def test_ordinary_documents_with_costly_features_still_render():
    row = rasterize(DASHED_LINE, 100)[50]
    dark = row.min(axis=-1) < 128
    assert 0.3 < dark.mean() < 0.7  # dashes: about half the line is drawn
    assert np.array_equal(
        rasterize(DASHED_LINE, 100, background=None),
        cairosvg_pixels(DASHED_LINE.encode(), 100, "RGBA"),
    )


def test_a_crashing_render_process_is_reported(monkeypatch):
    import svgvl.render.reference

    monkeypatch.setattr(
        svgvl.render.reference, "_draw", lambda *args: os.kill(os.getpid(), signal.SIGKILL)
    )
    with pytest.raises(RenderError, match="died of signal 9 .the document uses dasharray."):
        rasterize(DASHED_LINE, 64)


def test_render_process_memory_is_capped():
    # In a fresh interpreter: after other tests the parent's heap may hold enough free memory
    # for the canvas, and the child would then need no new address space at all.
    import subprocess
    import sys

    script = (
        "import svgvl.render.reference as r\n"
        "try:  # a 64 MB canvas, 32 MB more than the parent allowed\n"
        f"    r.rasterize({DASHED_LINE!r}, 4096, max_memory=32 << 20)\n"
        "except r.RenderError as error:\n"
        "    print(error)\n"
        f"print(r.rasterize({DASHED_LINE!r}, 256).shape)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "needed more than 32 MiB of memory" in result.stdout
    assert "(256, 256, 3)" in result.stdout


def test_many_translucent_shapes_are_drawn_in_a_child_at_a_short_timeout():
    # 4,900 translucent circles: no costly feature, but a worst-case cost (~1.3 s at 512 px)
    # over a quarter of the timeout, so drawn where the deadline can stop it, no alarm used.
    circles = "".join(
        f'<circle cx="{i % 70}" cy="{i // 70}" r="5" fill-opacity="0.5"/>' for i in range(4900)
    )
    svg = f'<svg {NS} viewBox="0 0 70 70">{circles}</svg>'
    with pytest.raises(RenderError, match="longer than 0.01 s"):
        rasterize(svg, 512, timeout=0.01)
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0
    assert rasterize(STROKED, 16).shape == (16, 16, 3)


def test_icons_are_drawn_in_process_and_costly_documents_are_not():
    from svgvl.render.reference import _out_of_process
    from svgvl.svg import parse

    def why(svg, size=512):
        doc = parse(svg)
        return _out_of_process(doc.root, doc.tostring(), (size, size), 10, 1 << 30)

    assert why(STROKED) is None and why(STROKED, 2048) is None
    assert "dasharray" in why(DASHED_LINE)
    assert "<pattern>" in why(f'<svg {NS}><pattern id="p"/><rect fill="url(#p)"/></svg>')
    assert "data:" in why(f'<svg {NS}><image href="data:image/png;base64,AAAA"/></svg>')
    assert "take up to" in why(use_fan_out(4))  # 10^4 elements once <use> is expanded
    zigzag = f'<svg {NS} viewBox="0 0 100 100"><path d="M0 0{" L100 100 L0 0" * 2000}"/></svg>'
    assert why(zigzag) is None and "take up to" in why(zigzag, 2048)  # 4,000 long segments


# -- raster images -----------------------------------------------------------------------------


def test_load_image_composites_alpha_over_the_background(tmp_path):
    path = tmp_path / "half.png"
    path.write_bytes(png_bytes(color=(0, 0, 0, 128), size=(4, 3)))
    rgb = load_image(path)
    assert rgb.shape == (3, 4, 3) and rgb.dtype == np.uint8
    assert (rgb == 127).all()  # 50 % black over white
    assert (load_image(path, background="black") == 0).all()
    rgba = load_image(path, background=None)
    assert rgba.shape == (3, 4, 4) and (rgba[..., 3] == 128).all()


def test_load_image_formats_and_exif_orientation(tmp_path):
    image = Image.new("RGB", (20, 10), (0, 0, 255))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    image.save(tmp_path / "photo.jpg", exif=exif)
    assert load_image(tmp_path / "photo.jpg").shape == (20, 10, 3)
    frames = [Image.new("P", (5, 5), i) for i in (1, 2)]
    frames[0].putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0] + [0] * 759)
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    assert (load_image(tmp_path / "anim.gif") == (255, 0, 0)).all()  # the first frame
    image.save(tmp_path / "a.webp")
    image.save(tmp_path / "a.bmp")
    for name in ("a.webp", "a.bmp"):
        assert load_image(tmp_path / name).shape == (10, 20, 3)
    assert load_image(Image.open(tmp_path / "a.bmp")).shape == (10, 20, 3)
    assert load_image(io.BytesIO((tmp_path / "a.bmp").read_bytes())).shape == (10, 20, 3)
    gray = np.linspace(0, 1, 12).reshape(3, 4)
    assert load_image(gray)[2, 3].tolist() == [255, 255, 255]


def test_bad_images_raise_image_error(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("not an image")
    (tmp_path / "cut.png").write_bytes(png_bytes(size=(64, 64))[:60])
    cases = {
        "empty.png": "empty",
        "text.png": "not an image",
        "cut.png": "corrupt or truncated",
        "missing.png": "no such file",
    }
    for name, reason in cases.items():
        with pytest.raises(ImageError, match=reason) as info:
            load_image(tmp_path / name)
        assert name in str(info.value)
    with pytest.raises(ImageError, match="shape"):
        load_image(np.zeros((4, 4, 2), np.uint8))


@pytest.mark.parametrize("side", [9000, 60_000])  # above our limit; above Pillow's too
def test_huge_image_is_refused_from_its_header(tmp_path, side):
    path = tmp_path / "huge.png"
    data = bytearray(png_bytes(size=(1, 1)))
    data[16:24] = struct.pack(">II", side, side)  # IHDR width, height
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))
    start = time.monotonic()
    with pytest.raises(ImageError, match="larger than the limit"):
        load_image(path)
    assert time.monotonic() - start < 1  # refused before decoding


def test_vectorizing_reads_its_image_without_importing_a_renderer():
    # svgvl.images reads the input; the default engine never renders, so it pays for no renderer.
    import subprocess
    import sys
    from pathlib import Path

    logo = Path(__file__).parent.parent / "examples" / "logo.png"
    code = (
        f"import sys, svgvl; assert svgvl.vectorize({str(logo)!r}).startswith('<svg');"
        "assert not {'svgvl.render', 'cairosvg', 'cairocffi'} & set(sys.modules), sorted(sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_save_png_is_atomic_and_keeps_existing_files(tmp_path):
    pixels = rasterize(FILLED, 32)
    out = tmp_path / "icon.png"
    save_png(pixels, out)
    assert np.array_equal(load_image(out), pixels)
    with pytest.raises(OutputExistsError):
        save_png(pixels[::-1], out)
    assert np.array_equal(load_image(out), pixels)
    save_png(rasterize(FILLED, 32, background=None), out, force=True)
    assert load_image(out, background=None).shape == (32, 32, 4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["icon.png"]  # no temporary files left
    with pytest.raises(ValueError, match="uint8"):
        save_png(pixels.astype(float), tmp_path / "float.png")
