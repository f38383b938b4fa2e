"""The table of dataset sources: what ``svgvl data build SOURCE`` accepts.

Package sources take an optional version, ``iconify:tabler@1.2.41`` or ``fontawesome@6.6.0``;
without one, the version pinned in :data:`svgvl.data.packages.VERSIONS` is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import DataError
from .records import Item

# Each builder is imported when its source is loaded: `svgvl --help` lists SOURCES without them.

SOURCES = {
    "iconify:<set>": "an Iconify icon set, npm @iconify-json/<set> (tabler, mdi, lucide, logos, "
    "...): names, aliases, categories",
    "tabler": "Tabler Icons, npm @tabler/icons: outline and filled icons with tags and categories",
    "lucide": "Lucide, npm lucide-static: icons with tags",
    "fontawesome": "Font Awesome Free, PyPI fontawesomefree: labels, search terms, categories",
    "simple-icons": "Simple Icons, npm simple-icons: brand logos in their brand colours",
    "twemoji": "Twemoji emoji (iconify:twemoji): names and categories",
    "noto": "Noto Emoji (iconify:noto): names and categories",
    "fluent-emoji-flat": "Fluent Emoji Flat (iconify:fluent-emoji-flat): names and categories",
    "font:<path or family>": "glyph outlines of a font file or installed family (fontTools), "
    "e.g. font:'DejaVu Sans'",
    "dir:<path>": "every .svg/.svgz file below a folder (recursive)",
}
EMOJI_SETS = ("twemoji", "noto", "fluent-emoji-flat")
_PACKAGE_SOURCES = ("tabler", "lucide", "fontawesome", "simple-icons")
_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
_VERSION = re.compile(r"\d[\w.+-]*")


@dataclass
class Loaded:
    """A source's items (sorted by id) and, for the manifest, what they came from."""

    name: str  # canonical: "iconify:tabler", "tabler", "font:DejaVuSans", "dir:icons"
    items: list[Item]
    sources: list[dict]


def valid_sources() -> str:
    return ", ".join(SOURCES)


def _versioned(text: str) -> tuple[str, str | None]:
    name, at, version = text.rpartition("@")
    if at and name and _VERSION.fullmatch(version):
        return name, version
    return text, None


def canonical_name(spec: str) -> str | None:
    """The name a package source's records carry (``twemoji`` → ``iconify:twemoji``), known
    before anything is fetched; None for ``font:``/``dir:`` (named after the font or folder)."""
    kind, colon, arg = spec.partition(":")
    if colon and kind in ("font", "dir"):
        return None
    name, _ = _versioned(arg if colon and kind == "iconify" else spec)
    if (colon and kind == "iconify") or (not colon and name in EMOJI_SETS):
        return f"iconify:{name}"
    return name if not colon and name in _PACKAGE_SOURCES else None


def load(spec: str, licence: str | None = None) -> Loaded:
    """Fetch (or find in the cache) and read a source; raises DataError for an unknown one."""
    kind, colon, arg = spec.partition(":")
    if colon and kind in ("font", "dir"):
        if not arg:
            raise DataError(
                f"{kind}: needs a {'font file or family' if kind == 'font' else 'folder'}"
            )
        if kind == "font":
            from .fonts import load_font

            items, description, name = load_font(arg, licence)
        else:
            from .folders import load_folder

            items, description, name = load_folder(arg, licence)
        return Loaded(name, sorted(items, key=lambda i: i.id), [description])
    if licence:
        raise DataError(f"--licence is for dir: and font: sources; {spec} states its own licences")
    name, version = _versioned(arg if colon and kind == "iconify" else spec)
    if (colon and kind == "iconify") or (not colon and name in EMOJI_SETS):
        if not _NAME.fullmatch(name):
            raise DataError(f"{spec}: not an Iconify set name (lowercase letters, digits, -)")
        from .iconify import load_set

        items, description = load_set(name, version)
        return Loaded(f"iconify:{name}", sorted(items, key=lambda i: i.id), [description])
    if not colon and name in _PACKAGE_SOURCES:
        from . import iconsets

        loader = {
            "tabler": iconsets.load_tabler,
            "lucide": iconsets.load_lucide,
            "fontawesome": iconsets.load_fontawesome,
            "simple-icons": iconsets.load_simple_icons,
        }[name]
        items, description = loader(version)
        return Loaded(name, sorted(items, key=lambda i: i.id), [description])
    raise DataError(f"unknown source {spec!r}; valid sources: {valid_sources()}")
