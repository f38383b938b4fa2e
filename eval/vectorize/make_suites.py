"""Build the vectorizer development suites: real SVGs sampled from icon sets and fonts.

    python eval/vectorize/make_suites.py OUT_DIR [--per-suite 30]

Writes OUT_DIR/<suite>/<name>.svg for the suites icons, emoji, logos, glyphs and flat
(flat-colour illustrations). The sample is fixed (names ordered by a hash), and names used by the
test fixtures are skipped so that development never tunes on what the tests check. Needs `npm`
(svgvl.data.packages fetches each package at its pinned version with `npm pack` and keeps it in
$SVGVL_CACHE/packages) and fontTools for the glyphs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))  # svgvl from this checkout

from svgvl.data.packages import npm_package  # noqa: E402

# suite → [(package, share of the suite)]
SUITES = {
    "icons": [("@iconify-json/mdi", 0.5), ("@iconify-json/tabler", 0.5)],
    "emoji": [("@iconify-json/twemoji", 0.5), ("@iconify-json/fluent-emoji-flat", 0.5)],
    "logos": [("@iconify-json/logos", 1.0)],
    "flat": [("@iconify-json/openmoji", 1.0)],
}
FONTS = ["DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf", "DejaVuSans-Bold.ttf"]
GLYPH_CHARS = "ABCDEFGHJKMNPQRSWXYZabdefghkmnpqrsty0123456789&@%$?#"


def _key(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()


def _fixture_names() -> set[str]:
    manifest = pathlib.Path(__file__).resolve().parents[2] / "tests/fixtures/svg/MANIFEST.json"
    return (
        {entry["name"] for entry in json.loads(manifest.read_text())}
        if manifest.exists()
        else set()
    )


def _iconify(package: str) -> dict:
    """The set's icons.json, at the version pinned in svgvl.data.packages.VERSIONS."""
    files = npm_package(package).files(lambda name: name == "icons.json")
    return json.loads(files["icons.json"])


def _wrap(data: dict, name: str) -> str:
    icon = data["icons"][name]
    width = icon.get("width", data.get("width", 16))
    height = icon.get("height", data.get("height", 16))
    left, top = icon.get("left", data.get("left", 0)), icon.get("top", data.get("top", 0))
    xlink = ' xmlns:xlink="http://www.w3.org/1999/xlink"' if "xlink:" in icon["body"] else ""
    return f'<svg xmlns="http://www.w3.org/2000/svg"{xlink} viewBox="{left} {top} {width} {height}" width="{width}" height="{height}">{icon["body"]}</svg>'


def _glyphs(out: pathlib.Path, count: int) -> None:
    from fontTools.pens.svgPathPen import SVGPathPen
    from fontTools.ttLib import TTFont

    items = sorted(
        ((f, c) for f in FONTS for c in GLYPH_CHARS), key=lambda fc: _key(fc[0] + fc[1])
    )[:count]
    for font_name, char in items:
        font = TTFont(f"/usr/share/fonts/truetype/dejavu/{font_name}")
        glyph_set = font.getGlyphSet()
        glyph = font.getBestCmap()[ord(char)]
        pen = SVGPathPen(glyph_set)
        glyph_set[glyph].draw(pen)
        ascent, descent = font["hhea"].ascent, font["hhea"].descent
        advance = glyph_set[glyph].width
        size = max(advance, ascent - descent)
        x0 = (advance - size) / 2
        svg = (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x0:g} 0 {size} {size}">'
            f'<path transform="matrix(1 0 0 -1 0 {ascent})" d="{pen.getCommands()}"/></svg>'
        )
        stem = f"{font_name.split('.')[0].lower()}-{ord(char):04x}"
        (out / f"{stem}.svg").write_text(svg)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=pathlib.Path)
    parser.add_argument("--per-suite", type=int, default=30)
    args = parser.parse_args()
    skip = _fixture_names()
    sets = {package: _iconify(package) for parts in SUITES.values() for package, _ in parts}
    for suite, parts in SUITES.items():
        out = args.out / suite
        out.mkdir(parents=True, exist_ok=True)
        for package, share in parts:
            data = sets[package]
            names = sorted(
                (n for n in data["icons"] if n not in skip and not data["icons"][n].get("hidden")),
                key=_key,
            )
            prefix = package.split("/")[-1].split("-")[0]
            for name in names[: round(args.per_suite * share)]:
                (out / f"{prefix}-{name}.svg").write_text(_wrap(data, name))
    glyphs = args.out / "glyphs"
    glyphs.mkdir(parents=True, exist_ok=True)
    _glyphs(glyphs, args.per_suite)


if __name__ == "__main__":
    main()
