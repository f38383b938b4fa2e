"""Build the hard vectorizer suites: everyday inputs the dev suites do not cover.

    python eval/vectorize/make_hard_suites.py OUT [--per-suite 24]

Writes OUT/<suite>/NAME.png (the input) and, where a vector original exists, NAME.svg beside it
(the target of SSIM at 4× zoom), plus OUT/<suite>/suite.json (source package, icon, licence
and recipe per item).  Suites:

- ``lineart-1px``, ``lineart-2px``: outline icons (Lucide, Tabler) whose strokes are set to 1 px /
  2 px at 128 px, black on white, 128 px.
- ``gradient-256``, ``gradient-1024``: logos and emoji whose SVG uses linear/radial gradients
  (Logos, Noto), on white.
- ``favicon-32``, ``favicon-64``: logos (Logos) and app tiles (a Simple Icons glyph on its brand
  colour), rendered small.
- ``pixelart``: emoji rendered at 16/24/32 px, hard alpha, ≤ 12 colours without dithering, blown
  up with nearest neighbour to ~256 px; the SVG is the exact pixel grid.
- ``blurred``: 256 px render scaled down to 64 px and back up to 256 px (bicubic).
- ``jpeg40``: 256 px render saved as JPEG quality 40 (NAME.jpg); NAME.png holds its decoded
  pixels so every suite's input is a PNG.
- ``shadow``: icon over a soft, offset Gaussian drop shadow; the SVG carries the shadow as an
  embedded 4× image under the vector icon, so the 4× target is exact too.
- ``text48``: a word or short line set in a DejaVu font at a 48 px em (fontTools outlines).
- ``big-2048``: real logos/emoji at 2048 px.  ``noise-2048``: one 2048 px uniform noise image
  (a bounded-work check; no SVG).

Paired suites (1/2 px, 256/1024, 32/64) hold the same items.  The sample is fixed: names ordered
by a salted hash, skipping test fixtures, the eval/suites/ bench suites and the dev sample of
make_suites.py.  Needs npm (packages come through svgvl.data.packages at their pinned versions)
and fontTools with the DejaVu fonts.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import pathlib
import re
import sys

import numpy as np
from PIL import Image
from scipy import ndimage

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # svgvl from this checkout
sys.path.insert(0, str(HERE))

from make_suites import _fixture_names, _iconify, _key, _wrap  # noqa: E402

from svgvl.data.packages import VERSIONS, npm_package  # noqa: E402
from svgvl.images import load_image  # noqa: E402
from svgvl.render import rasterize  # noqa: E402

DEV_SAMPLE = (
    60  # make_suites.py takes at most this many names per package from the front of _key order
)
FONT_DIR = pathlib.Path("/usr/share/fonts/truetype/dejavu")
FONTS = [
    "DejaVuSans.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSans-Oblique.ttf",
    "DejaVuSerif-Italic.ttf",
    "DejaVuSansCondensed.ttf",
    "DejaVuSans-ExtraLight.ttf",
    "DejaVuSerif-Bold.ttf",
]
WORDS = [
    "Hamburgefonstiv", "Vectorize", "Sphinx of black quartz", "Typography", "Office hours",
    "jump & run", "Zürich 2048", "WAVE", "Kerning", "coffee?", "Open source", "Quality",
    "@svgvl", "Gradient", "Hello, world!", "bold ideas", "Mix & Match", "49.95 $", "Lighthouse",
    "Oxygen", "Wolfgang", "fjord", "Raster", "Ship it", "Yes / No", "gigabyte", "Museum",
    "Paris", "Waffle", "Summer sale",
]  # fmt: skip


def _licence(package: str) -> str:
    info = npm_package(package).files(lambda n: n == "info.json")
    return json.loads(info["info.json"])["license"]["spdx"] if info else "see package"


def _taken() -> set[str]:
    """Names the tests or the other suites already use (fixtures, eval/suites/, dev sample)."""
    names = set(_fixture_names())
    for svg in (HERE.parents[1] / "eval" / "suites").glob("*/*.svg"):
        parts = svg.stem.split("-")
        names.update("-".join(parts[i:]) for i in range(len(parts)))
    return names


def _sample(data: dict, package: str, salt: str, count: int, keep, taken: set[str]) -> list[str]:
    icons = data["icons"]
    dev = set(sorted(icons, key=_key)[:DEV_SAMPLE])
    names = [
        n
        for n in icons
        if n not in taken and n not in dev and not icons[n].get("hidden") and keep(icons[n])
    ]
    return sorted(names, key=lambda n: _key(f"{salt}:{package}:{n}"))[:count]


def _svg(data: dict, name: str, color: str = "#000") -> str:
    return _wrap(data, name).replace("currentColor", color)


def _flat(svg: str, size) -> np.ndarray:
    return load_image(rasterize(svg, size=size, background=None))


def _save(out: pathlib.Path, stem: str, pixels: np.ndarray, svg: str | None) -> None:
    Image.fromarray(pixels).save(out / f"{stem}.png", optimize=True)
    if svg is not None:
        (out / f"{stem}.svg").write_text(svg)


# -- suites --------------------------------------------------------------------------------------


def _is_outline(icon: dict) -> bool:
    body = icon["body"]
    fills = set(re.findall(r'fill="([^"]*)"', body))
    return "stroke-width" in body and fills == {"none"} and len(body) < 4000


def lineart(sets, taken, count):
    """Outline icons at 128 px with every stroke set to `px` pixels."""
    items = []
    for package in ("@iconify-json/lucide", "@iconify-json/tabler"):
        data = sets[package]
        for name in _sample(data, package, "lineart", count // 2, _is_outline, taken):
            items.append((package, name, _svg(data, name)))
    for px in (1, 2):
        suite = []
        for package, name, svg in items:
            width = 24 / 128 * px  # both sets draw on a 24-unit grid
            svg = re.sub(r'stroke-width="[^"]*"', f'stroke-width="{width:g}"', svg)
            stem = f"{package.split('/')[-1]}-{name}"
            suite.append((stem, package, name, _flat(svg, 128), svg, f"stroke {px} px at 128 px"))
        yield f"lineart-{px}px", suite


def _has_gradient(icon: dict) -> bool:
    return "Gradient" in icon["body"] and len(icon["body"]) < 40_000


def gradients(sets, taken, count):
    picks = [
        (package, name)
        for package in ("@iconify-json/logos", "@iconify-json/noto")
        for name in _sample(sets[package], package, "gradient", count // 2, _has_gradient, taken)
    ]
    for size in (256, 1024):
        suite = []
        for package, name in picks:
            svg = _svg(sets[package], name)
            stem = f"{package.split('/')[-1]}-{name}"
            suite.append((stem, package, name, _flat(svg, size), svg, f"{size} px on white"))
        yield f"gradient-{size}", suite


def _tile(slug_svg: str, hex_color: str) -> str:
    """A Simple Icons glyph as an app tile: the glyph in white (black on light brands)."""
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (0, 2, 4))
    ink = "#000" if 0.299 * r + 0.587 * g + 0.114 * b > 186 else "#fff"
    path = re.search(r"<path d=\"[^\"]*\"/>", slug_svg).group()
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24">'
        f'<rect width="24" height="24" rx="5" fill="#{hex_color}"/>'
        f'<g transform="translate(4.8 4.8) scale(.6)" fill="{ink}">{path}</g></svg>'
    )


def favicons(sets, taken, count):
    logos = "@iconify-json/logos"
    picks = [
        (logos, name, _svg(sets[logos], name))
        for name in _sample(sets[logos], logos, "favicon", count // 2, lambda i: True, taken)
    ]
    brands = npm_package("simple-icons")
    meta = json.loads(
        brands.files(lambda n: n == "data/simple-icons.json")["data/simple-icons.json"]
    )
    hexes = {b["slug"]: b["hex"] for b in meta if "slug" in b}
    slugs = sorted((s for s in hexes if s not in taken), key=lambda s: _key(f"favicon:si:{s}"))
    files = brands.files(lambda n: n in {f"icons/{s}.svg" for s in slugs[: count * 2]})
    for slug in [s for s in slugs if f"icons/{s}.svg" in files][: count - len(picks)]:
        picks.append(
            ("simple-icons", slug, _tile(files[f"icons/{slug}.svg"].decode(), hexes[slug]))
        )
    for size in (32, 64):
        suite = [
            (f"{p.split('/')[-1]}-{n}", p, n, _flat(svg, size), svg, f"{size} px on white")
            for p, n, svg in picks
        ]
        yield f"favicon-{size}", suite


def _grid_svg(pixels: np.ndarray, scale: int) -> str:
    """The exact vector form of a pixel image: one path per colour of unit-square row runs."""
    h, w = pixels.shape[:2]
    flat = pixels.reshape(-1, 3)
    colors, index = np.unique(flat, axis=0, return_inverse=True)
    index = index.reshape(h, w)
    paths = []
    for c, rgb in enumerate(colors):
        runs = []
        for y in range(h):  # an image of at most 32×32 pixels: loops stay tiny
            row = np.flatnonzero(np.diff(np.r_[0, (index[y] == c).astype(np.int8), 0]))
            runs += [
                f"M{x0} {y}h{x1 - x0}v1h{x0 - x1}z"
                for x0, x1 in zip(row[::2], row[1::2], strict=True)
            ]
        paths.append(f'<path fill="#{rgb[0]:02x}{rgb[1]:02x}{rgb[2]:02x}" d="{"".join(runs)}"/>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" '
        f'width="{w * scale}" height="{h * scale}" shape-rendering="crispEdges">{"".join(paths)}</svg>'
    )


def pixelart(sets, taken, count):
    suite = []
    for package in ("@iconify-json/twemoji", "@iconify-json/fluent-emoji-flat"):
        data = sets[package]
        for name in _sample(data, package, "pixel", count // 2, lambda i: True, taken):
            small = (16, 24, 32)[int(_key(name), 16) % 3]
            rgba = rasterize(_svg(data, name), size=small, background=None)
            rgb = np.where(rgba[..., 3:] >= 128, rgba[..., :3], 255).astype(np.uint8)
            quant = Image.fromarray(rgb).quantize(12, Image.Quantize.MEDIANCUT, dither=0)
            pixels = np.array(quant.convert("RGB"))
            scale = 256 // small
            big = np.repeat(np.repeat(pixels, scale, axis=0), scale, axis=1)
            recipe = f"{small} px render, ≤12 colours, nearest ×{scale}"
            stem = f"{package.split('/')[-1]}-{name}"
            suite.append((stem, package, name, big, _grid_svg(pixels, scale), recipe))
    yield "pixelart", suite


def _mixed(sets, taken, salt: str, count: int):
    """A quarter each of Twemoji, Fluent Emoji Flat, Logos and Material Design Icons."""
    packages = (
        "@iconify-json/twemoji",
        "@iconify-json/fluent-emoji-flat",
        "@iconify-json/logos",
        "@iconify-json/mdi",
    )
    for package in packages:
        data = sets[package]
        for name in _sample(data, package, salt, -(-count // 4), lambda i: True, taken):
            yield package, name, _svg(data, name)


def degraded(sets, taken, count):
    blurred, jpeg = [], []
    for package, name, svg in _mixed(sets, taken, "blurred", count):
        small = Image.fromarray(_flat(svg, 256)).resize((64, 64), Image.BICUBIC)
        pixels = np.array(small.resize((256, 256), Image.BICUBIC))
        stem = f"{package.split('/')[-1]}-{name}"
        blurred.append((stem, package, name, pixels, svg, "256 → 64 → 256 px, bicubic"))
    yield "blurred", blurred
    for package, name, svg in _mixed(sets, taken, "jpeg", count):
        data = io.BytesIO()
        Image.fromarray(_flat(svg, 256)).save(data, "JPEG", quality=40)
        pixels = np.array(Image.open(io.BytesIO(data.getvalue())).convert("RGB"))
        stem = f"{package.split('/')[-1]}-{name}"
        jpeg.append((stem, package, name, pixels, svg, "256 px JPEG quality 40", data.getvalue()))
    yield "jpeg40", jpeg


def _shadow_svg(icon_svg: str, zoom: int = 4) -> str:
    """The icon at 200 px in a 256 px canvas over a blurred, offset copy of its alpha (black,
    45 %), embedded as a PNG drawn at `zoom`× so that the 4× render is as sharp as the input."""
    inner = re.sub(r"^<svg ", '<svg x="20" y="16" width="200" height="200" ', icon_svg)
    inner = re.sub(r' width="[^"]*" height="[^"]*">', ">", inner, count=1)
    alone = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 256 256">{inner}</svg>'
    alpha = rasterize(alone, size=256 * zoom, background=None)[..., 3].astype(np.float32)
    shadow = ndimage.shift(ndimage.gaussian_filter(alpha, 6 * zoom), (8 * zoom, 6 * zoom))
    rgba = np.zeros((*alpha.shape, 4), np.uint8)
    rgba[..., 3] = np.clip(np.rint(shadow * 0.45), 0, 255).astype(np.uint8)
    png = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(png, "PNG", optimize=True)
    href = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'viewBox="0 0 256 256" width="256" height="256"><image width="256" height="256" '
        f'xlink:href="{href}"/>{inner}</svg>'
    )


def shadows(sets, taken, count):
    suite = []
    for package, name, svg in _mixed(sets, taken, "shadow", count):
        source = _shadow_svg(svg)
        recipe = "icon at 200 px over a Gaussian shadow (σ 6 px, offset 6,8 px, 45 % black)"
        stem = f"{package.split('/')[-1]}-{name}"
        suite.append((stem, package, name, _flat(source, 256), source, recipe))
    yield "shadow", suite


def _text_svg(font_name: str, text: str, em_px: int = 48, margin_px: int = 8) -> tuple:
    from fontTools.pens.svgPathPen import SVGPathPen
    from fontTools.pens.transformPen import TransformPen
    from fontTools.ttLib import TTFont

    font = TTFont(FONT_DIR / font_name)
    glyphs, cmap = font.getGlyphSet(), font.getBestCmap()
    upm = font["head"].unitsPerEm
    ascent, descent = font["hhea"].ascent, font["hhea"].descent
    pen, x = SVGPathPen(glyphs), 0
    for char in text:
        glyph = glyphs[cmap.get(ord(char), cmap[ord("?")])]
        glyph.draw(TransformPen(pen, (1, 0, 0, -1, x, ascent)))
        x += glyph.width
    unit = upm / em_px  # font units per pixel
    margin = margin_px * unit
    width = int(np.ceil((x + 2 * margin) / unit))
    height = int(np.ceil((ascent - descent + 2 * margin) / unit))
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{-margin:g} {-margin:g} '
        f'{width * unit:g} {height * unit:g}" width="{width}" height="{height}">'
        f'<rect x="{-margin:g}" y="{-margin:g}" width="100%" height="100%" fill="#fff"/>'
        f'<path d="{pen.getCommands()}"/></svg>'
    )
    return svg, (width, height)


def text(count):
    suite = []
    for i, words in enumerate(sorted(WORDS, key=lambda w: _key(f"text:{w}"))[:count]):
        font_name = FONTS[i % len(FONTS)]
        svg, size = _text_svg(font_name, words)
        stem = f"{font_name.split('.')[0].lower()}-{re.sub(r'[^a-z0-9]+', '-', words.lower()).strip('-')}"
        suite.append((stem, "fonts-dejavu", font_name, _flat(svg, size), svg, "48 px em"))
    yield "text48", suite


def big(sets, taken):
    picks = [
        ("@iconify-json/noto", "gradient"),
        ("@iconify-json/logos", "big"),
        ("@iconify-json/fluent-emoji-flat", "big"),
    ]
    keep = {"gradient": _has_gradient, "big": lambda i: True}
    suite = []
    for package, kind in picks:
        (name,) = _sample(sets[package], package, "big", 1, keep[kind], taken)
        svg = _svg(sets[package], name)
        stem = f"{package.split('/')[-1]}-{name}"
        suite.append((stem, package, name, _flat(svg, 2048), svg, "2048 px on white"))
    yield "big-2048", suite
    noise = np.random.default_rng(0).integers(0, 256, (2048, 2048, 3), dtype=np.uint8)
    yield "noise-2048", [("noise", "numpy", "default_rng(0)", noise, None, "uniform RGB noise")]


# -- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=pathlib.Path)
    parser.add_argument("--per-suite", type=int, default=24)
    parser.add_argument("--suites", help="comma-separated subset (default: all)")
    args = parser.parse_args()
    wanted = set(args.suites.split(",")) if args.suites else None
    taken, count = _taken(), args.per_suite
    packages = [
        "@iconify-json/lucide",
        "@iconify-json/tabler",
        "@iconify-json/logos",
        "@iconify-json/noto",
        "@iconify-json/twemoji",
        "@iconify-json/fluent-emoji-flat",
        "@iconify-json/mdi",
    ]
    sets = {p: _iconify(p) for p in packages}
    licences = {p: _licence(p) for p in packages}
    licences["simple-icons"] = "CC0-1.0 (brand marks belong to their owners)"
    licences["fonts-dejavu"] = "Bitstream Vera / DejaVu font licence"
    builders = [
        lineart(sets, taken, count),
        gradients(sets, taken, count),
        favicons(sets, taken, count),
        pixelart(sets, taken, count),
        degraded(sets, taken, count),
        shadows(sets, taken, count),
        text(count),
        big(sets, taken),
    ]
    for builder in builders:
        for suite, items in builder:
            if wanted and suite not in wanted:
                continue
            out = args.out / suite
            out.mkdir(parents=True, exist_ok=True)
            manifest = []
            for stem, package, name, pixels, svg, recipe, *extra in items:
                _save(out, stem, pixels, svg)
                if extra:
                    (out / f"{stem}.jpg").write_bytes(extra[0])
                version = VERSIONS.get(package, "")
                manifest.append(
                    {
                        "name": stem,
                        "source": f"{package}@{version}" if version else package,
                        "item": name,
                        "license": licences.get(package, ""),
                        "recipe": recipe,
                        "size": list(pixels.shape[1::-1]),
                    }
                )
            (out / "suite.json").write_text(json.dumps(manifest, indent=1) + "\n")
            print(f"{suite}: {len(manifest)} items", file=sys.stderr)


if __name__ == "__main__":
    main()
