"""Icon sets from their projects' own packages, which carry richer labels than Iconify's copies.

- ``tabler``: npm ``@tabler/icons`` — ``icons/{outline,filled}/*.svg`` and ``icons.json`` with
  each icon's tags and category.
- ``lucide``: npm ``lucide-static`` — ``icons/*.svg`` and ``tags.json``.
- ``fontawesome``: PyPI ``fontawesomefree`` — ``svgs/{solid,regular,brands}/*.svg``,
  ``metadata/icons.json`` (label, search terms, alias names) and ``metadata/categories.yml``.
- ``simple-icons``: npm ``simple-icons`` — brand logos ``icons/*.svg`` and
  ``data/simple-icons.json`` (title, brand colour, aliases, licence where it is not CC0).  The
  published SVGs have no fill (black); records get ``fill="#<brand hex>"`` on the root.

SVG files are kept as published except for that fill.
"""

from __future__ import annotations

import json

from ..svg import parse
from .errors import DataError
from .packages import Package, npm_package, wheel_package
from .records import Item, labels


def _describe(source: str, package: Package, **extra) -> dict:
    return {
        "source": source,
        "package": package.name,
        "version": package.version,
        "registry": package.registry,
        **extra,
    }


def _svg_files(files: dict[str, bytes], folder: str) -> dict[str, bytes]:
    """``folder/<rest>.svg`` → {rest: content}."""
    return {
        name[len(folder) : -len(".svg")]: data
        for name, data in files.items()
        if name.startswith(folder) and name.endswith(".svg")
    }


def _text(data: bytes, name: str) -> tuple[str | None, str | None]:
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return None, f"{name} is not UTF-8 text"


def _json(files: dict[str, bytes], name: str, package: Package):
    if name not in files:
        raise DataError(f"{package.spec} ({package.path}): the package has no {name}")
    try:
        return json.loads(files[name])
    except ValueError as error:
        raise DataError(f"{package.spec}: {name} is not valid JSON ({error})") from None


def _icons_and_metadata(name: str, version: str | None, metadata: str):
    """(package, its JSON ``metadata`` file, its ``icons/**.svg`` files by name) of an npm
    package laid out as Tabler's and Lucide's are."""
    package = npm_package(name, version)
    files = package.files(
        lambda n: n == metadata or (n.startswith("icons/") and n.endswith(".svg"))
    )
    return package, _json(files, metadata, package), sorted(_svg_files(files, "icons/").items())


def load_tabler(version: str | None = None) -> tuple[list[Item], dict]:
    package, info, svgs = _icons_and_metadata("@tabler/icons", version, "icons.json")
    items = []
    for key, data in svgs:
        style, _, name = key.partition("/")
        if not name or "/" in name:
            continue
        entry = info.get(name) or {}
        svg, error = _text(data, key)
        items.append(
            Item(
                id=f"tabler/{style}/{name}",
                svg=svg,
                labels=labels(name, tags=entry.get("tags", ()), category=entry.get("category")),
                licence="MIT",
                meta={"style": style},
                error=error,
            )
        )
    return items, _describe(
        "tabler", package, title="Tabler Icons", licence="MIT", author="Paweł Kuna"
    )


def load_lucide(version: str | None = None) -> tuple[list[Item], dict]:
    package, tags, svgs = _icons_and_metadata("lucide-static", version, "tags.json")
    items = []
    for name, data in svgs:
        svg, error = _text(data, name)
        items.append(
            Item(
                id=f"lucide/{name}",
                svg=svg,
                labels=labels(name, tags=tags.get(name, ())),
                licence="ISC",
                error=error,
            )
        )
    return items, _describe(
        "lucide",
        package,
        title="Lucide",
        licence="ISC",
        author="Lucide Contributors",
        licence_note="icons derived from Feather are also under MIT (Cole Bemis)",
    )


FONTAWESOME_ROOT = "fontawesomefree/static/fontawesomefree/"


def _fontawesome_categories(text: bytes) -> dict[str, str]:
    """icon name → label of the first category that lists it."""
    try:
        import yaml
    except ImportError:
        raise ImportError(
            "PyYAML is needed to read Font Awesome's categories: pip install pyyaml "
            "(or pip install 'svgvl[data]')"
        ) from None
    out: dict[str, str] = {}
    for key, entry in (yaml.safe_load(text) or {}).items():
        for name in entry.get("icons") or ():
            out.setdefault(name, entry.get("label") or key)
    return out


def load_fontawesome(version: str | None = None) -> tuple[list[Item], dict]:
    package = wheel_package("fontawesomefree", version, root=FONTAWESOME_ROOT)
    wanted = ("metadata/icons.json", "metadata/categories.yml")
    files = package.files(lambda n: n in wanted or (n.startswith("svgs/") and n.endswith(".svg")))
    info = _json(files, "metadata/icons.json", package)
    categories = (
        _fontawesome_categories(files["metadata/categories.yml"])
        if "metadata/categories.yml" in files
        else {}
    )
    items = []
    for key, data in sorted(_svg_files(files, "svgs/").items()):
        style, _, name = key.partition("/")
        entry = info.get(name) or {}
        tags = [*(entry.get("search") or {}).get("terms", ())]
        tags += [n.replace("-", " ") for n in (entry.get("aliases") or {}).get("names", ())]
        svg, error = _text(data, key)
        items.append(
            Item(
                id=f"fontawesome/{style}/{name}",
                svg=svg,
                labels=labels(
                    name, title=entry.get("label"), tags=tags, category=categories.get(name)
                ),
                licence="CC-BY-4.0",
                meta={
                    "style": style,
                    **({"unicode": entry["unicode"]} if "unicode" in entry else {}),
                },
                error=error,
            )
        )
    return items, _describe(
        "fontawesome",
        package,
        title="Font Awesome Free",
        licence="CC-BY-4.0",
        author="Fonticons, Inc.",
        licence_note="icons CC-BY-4.0; fonts OFL-1.1, code MIT (not used here)",
    )


def _simple_icons_licence(entry: dict) -> tuple[str, dict]:
    licence = entry.get("license")
    if not licence:
        return "CC0-1.0", {}
    if licence.get("type") == "custom" or not licence.get("type"):
        return "LicenseRef-custom", {"licence_url": licence.get("url")}
    return licence["type"], ({"licence_url": licence["url"]} if licence.get("url") else {})


def brand_svg(svg: str, hex_colour: str) -> str:
    """A Simple Icons SVG with its brand colour as the root's fill (they are published black)."""
    document = parse(svg.encode("utf-8"))
    document.root.set("fill", f"#{hex_colour.upper()}")
    return document.tostring().decode("utf-8")


def load_simple_icons(version: str | None = None) -> tuple[list[Item], dict]:
    package = npm_package("simple-icons", version)
    files = package.files(
        lambda n: n == "data/simple-icons.json" or (n.startswith("icons/") and n.endswith(".svg"))
    )
    data = _json(files, "data/simple-icons.json", package)
    entries = data.get("icons", data) if isinstance(data, dict) else data
    svgs = _svg_files(files, "icons/")
    items = []
    for entry in sorted(entries, key=lambda e: e.get("slug") or ""):
        slug = entry.get("slug")
        if not slug or slug not in svgs:
            continue
        aliases = entry.get("aliases") or {}
        tags = [*aliases.get("aka", ()), *(d.get("title") for d in aliases.get("dup", ()))]
        tags += list((aliases.get("loc") or {}).values())
        licence, licence_meta = _simple_icons_licence(entry)
        svg, error = _text(svgs[slug], slug)
        if svg is not None:
            try:
                svg = brand_svg(svg, entry["hex"])
            except ValueError as problem:  # SVGError
                svg, error = None, f"{slug}.svg: {problem}"
        meta = {"hex": entry.get("hex"), "url": entry.get("source"), **licence_meta}
        if entry.get("guidelines"):
            meta["guidelines"] = entry["guidelines"]
        items.append(
            Item(
                id=f"simple-icons/{slug}",
                svg=svg,
                labels=labels(slug, title=entry.get("title"), tags=tags),
                licence=licence,
                meta=meta,
                error=error,
            )
        )
    return items, _describe(
        "simple-icons",
        package,
        title="Simple Icons",
        licence="CC0-1.0",
        author="Simple Icons Collaborators",
        licence_note="a few icons state their own licence (kept per record); brand logos are "
        "trademarks of their owners",
    )
