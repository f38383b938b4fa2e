"""Font glyphs as SVG: every visible character of a font file or installed family.

Outlines come from fontTools' ``SVGPathPen``; font units have y up, SVG has y down, so each
glyph is drawn through ``y' = ascender - y``.  The viewBox is the glyph's advance width by the
line height (hhea ascender − descender), so glyphs of one font share a baseline and a scale.
A family name is looked up as a file name in the usual font folders, then with ``fc-match``
(whose answer is checked: fontconfig falls back to some other font for an unknown name).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

from .errors import DataError
from .records import UNKNOWN_LICENCE, Item, labels

# fontTools is imported where a font is read: it is optional (pip install 'svgvl[data]').

FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc", ".woff", ".woff2")
FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
    "~/Library/Fonts",
    "C:/Windows/Fonts",
)
# Unicode general categories that draw nothing: controls, formats, surrogates, private use,
# unassigned, separators (spaces).
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"}
CATEGORY_WORDS = {
    "L": "letter",
    "M": "mark",
    "N": "number",
    "P": "punctuation",
    "S": "symbol",
    "Z": "separator",
    "C": "other",
}
# (phrase in the font's licence description, SPDX id); the first match wins.
_LICENCE_PHRASES = (
    ("bitstream vera", "Bitstream-Vera"),
    ("open font license", "OFL-1.1"),
    ("apache license", "Apache-2.0"),
    ("ubuntu font licence", "Ubuntu-font-1.0"),
)


def _squash(text: str) -> str:
    return re.sub(r"[\s_-]+", "", text).lower()


def find_font(spec: str) -> Path:
    """A font file from a path or a family name such as ``DejaVu Sans`` or ``DejaVuSans-Bold``."""
    path = Path(spec).expanduser()
    if path.is_file():
        return path
    if path.suffix.lower() in FONT_SUFFIXES or os.sep in spec or "/" in spec:
        raise DataError(f"{spec}: no such font file")
    key = _squash(spec)
    for folder in FONT_DIRS:
        root = Path(folder).expanduser()
        if not root.is_dir():
            continue
        found = sorted(
            Path(d) / name
            for d, _, names in os.walk(root)
            for name in names
            if name.lower().endswith(FONT_SUFFIXES) and _squash(Path(name).stem) == key
        )
        if found:
            return found[0]
    fc_match = shutil.which("fc-match")
    if fc_match:
        result = subprocess.run(
            [fc_match, "--format=%{family}\n%{style}\n%{file}", spec],
            capture_output=True,
            text=True,
            timeout=30,
        )
        lines = result.stdout.split("\n")
        if result.returncode == 0 and len(lines) == 3 and lines[2]:
            families = [_squash(f) for f in lines[0].split(",")]
            styles = [_squash(s) for s in lines[1].split(",")]
            if key in families or any(key == f + s for f in families for s in styles):
                return Path(lines[2])
    raise DataError(
        f"font {spec!r} not found: pass a font file (.ttf, .otf) or the name of an installed "
        "family (`fc-list : family` lists them)"
    )


def font_licence(font) -> str:
    """An SPDX id from the font's licence description (name ID 13), where it is unambiguous."""
    text = " ".join(str(font["name"].getDebugName(i) or "") for i in (13, 0)).lower()
    for phrase, spdx in _LICENCE_PHRASES:
        if phrase in text:
            return spdx
    return UNKNOWN_LICENCE


def glyph_svg(font, glyph_name: str) -> str:
    """One glyph as an SVG path, upright, in a box of its advance width by the line height."""
    from fontTools.pens.svgPathPen import SVGPathPen
    from fontTools.pens.transformPen import TransformPen

    glyph_set = font.getGlyphSet()
    ascent, descent = font["hhea"].ascent, font["hhea"].descent
    advance = font["hmtx"][glyph_name][0]
    pen = SVGPathPen(glyph_set)
    glyph_set[glyph_name].draw(TransformPen(pen, (1, 0, 0, -1, 0, ascent)))
    height = ascent - descent
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {advance} {height}"'
        f' width="{advance}" height="{height}"><path d="{pen.getCommands()}"/></svg>'
    )


def _open(path: Path):
    try:
        from fontTools.ttLib import TTFont, TTLibError
    except ImportError:
        raise ImportError(
            "fontTools is needed for font: sources: pip install fonttools "
            "(or pip install 'svgvl[data]')"
        ) from None
    try:
        return TTFont(path, fontNumber=0, lazy=True)
    except (TTLibError, OSError, ValueError, AssertionError) as error:
        raise DataError(f"{path}: not a readable font file ({error})") from None


def load_font(spec: str, licence: str | None = None) -> tuple[list[Item], dict, str]:
    """Every visible character of a font as items ``<PostScript name>/U+XXXX``.

    Returns (items, manifest description, canonical source name ``font:<PostScript name>``).
    """
    path = find_font(spec)
    font = _open(path)
    names = font["name"]
    postscript = str(names.getDebugName(6) or path.stem).replace(" ", "")
    family = str(names.getDebugName(16) or names.getDebugName(1) or postscript)
    style = str(names.getDebugName(17) or names.getDebugName(2) or "")
    licence = licence or font_licence(font)
    items = []
    for codepoint, glyph_name in sorted(font.getBestCmap().items()):
        char = chr(codepoint)
        category = unicodedata.category(char)
        if category in _INVISIBLE:
            continue
        code = f"U+{codepoint:04X}"
        svg, error = None, None
        try:
            if font["hmtx"][glyph_name][0] <= 0:
                error = "zero advance width (a combining mark)"
            else:
                svg = glyph_svg(font, glyph_name)
                if 'd=""' in svg:
                    svg, error = None, "blank glyph (no outline)"
        except Exception as problem:  # noqa: BLE001 - a broken glyph is dropped, not fatal
            error = f"glyph {glyph_name} cannot be drawn ({type(problem).__name__}: {problem})"
        items.append(
            Item(
                id=f"{postscript}/{code}",
                svg=svg,
                labels=labels(
                    char,
                    title=unicodedata.name(char, code).lower(),
                    tags=[glyph_name, code, family],
                    category=CATEGORY_WORDS.get(category[0]),
                ),
                licence=licence,
                meta={
                    "codepoint": code,
                    "unicode_category": category,
                    "glyph": glyph_name,
                    "family": family,
                    "style": style,
                },
                error=error,
            )
        )
    description = {
        "source": f"font:{postscript}",
        "file": path.name,
        "family": family,
        "style": style,
        "version": str(names.getDebugName(5) or "").strip() or None,
        "licence": licence,
        "author": str(names.getDebugName(0) or "").strip() or None,
    }
    return items, description, f"font:{postscript}"
