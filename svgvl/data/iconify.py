"""Iconify icon sets: npm ``@iconify-json/<set>`` (tabler, mdi, lucide, twemoji, noto, logos, ...).

Each package holds ``icons.json`` (every icon's inner ``body`` with its box, plus ``aliases``),
``info.json`` (title, author, SPDX licence) and ``metadata.json`` (categories, for some sets).
An icon's SVG is built as Iconify's own ``iconToSVG`` builds it: the body in an ``<svg>`` with the
icon's ``viewBox``, width and height, flips and rotations applied with a ``<g transform>``.
Aliases that only rename an icon become tags of that icon; aliases that flip or rotate it are
icons of their own.  Icons marked ``hidden`` (kept by Iconify for old names) are left out.
"""

from __future__ import annotations

import json

from .errors import DataError
from .packages import Package, npm_package
from .records import UNKNOWN_LICENCE, Item, labels

_DIMENSIONS = {"left": 0, "top": 0, "width": 16, "height": 16}
_TRANSFORMS = ("rotate", "hFlip", "vFlip")


def _merge(parent: dict, child: dict) -> dict:
    """Iconify's ``mergeIconData``: flips toggle, rotations add, other fields from the child."""
    result = {}
    if bool(parent.get("hFlip")) != bool(child.get("hFlip")):
        result["hFlip"] = True
    if bool(parent.get("vFlip")) != bool(child.get("vFlip")):
        result["vFlip"] = True
    rotate = (parent.get("rotate", 0) + child.get("rotate", 0)) % 4
    if rotate:
        result["rotate"] = rotate
    for key in (*_DIMENSIONS, "body", "hidden"):
        if key in child:
            result[key] = child[key]
        elif key in parent:
            result[key] = parent[key]
    return result


def icon_data(data: dict, name: str) -> dict | None:
    """The full data of icon or alias ``name`` (Iconify's ``getIconData``); None if unknown."""
    icons, aliases = data.get("icons", {}), data.get("aliases", {})
    chain, seen = [], set()
    while name not in icons:
        alias = aliases.get(name)
        if alias is None or name in seen or "parent" not in alias:
            return None
        seen.add(name)
        chain.append(alias)
        name = alias["parent"]
    props: dict = {}
    for entry in [*chain, icons[name]]:
        props = _merge(entry, props)
    return _merge({k: data[k] for k in _DIMENSIONS if k in data}, props)


def _js(value) -> str:
    """A number as JavaScript prints it (Iconify builds its strings in JavaScript)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _wrap_body(body: str, start: str, end: str) -> str:
    """Iconify's ``wrapSVGContent``: a group around the body, ``<defs>`` kept outside it."""
    defs = ""
    index = body.find("<defs")
    while index >= 0:
        open_end, close = body.find(">", index), body.find("</defs")
        if open_end == -1 or close == -1:
            break
        close_end = body.find(">", close)
        if close_end == -1:
            break
        defs += body[open_end + 1 : close].strip()
        body = body[:index].strip() + body[close_end + 1 :]
        index = body.find("<defs")
    return (f"<defs>{defs}</defs>" if defs else "") + start + body + end


def icon_svg(data: dict, name: str) -> str:
    """The SVG of icon or alias ``name`` of an Iconify set (``icons.json`` content).

    Width and height are the box size (Iconify's ``height: "auto"``); ``xmlns:xlink`` is declared
    when the body uses ``xlink:href``.  Raises KeyError for an unknown name.
    """
    icon = icon_data(data, name)
    if icon is None:
        raise KeyError(name)
    left, top = icon.get("left", 0), icon.get("top", 0)
    width, height = icon.get("width", 16), icon.get("height", 16)
    body = icon.get("body", "")
    transforms = []
    rotation = icon.get("rotate", 0)
    if icon.get("hFlip"):
        if icon.get("vFlip"):
            rotation += 2
        else:
            transforms += [f"translate({_js(width + left)} {_js(0 - top)})", "scale(-1 1)"]
            left = top = 0
    elif icon.get("vFlip"):
        transforms += [f"translate({_js(0 - left)} {_js(height + top)})", "scale(1 -1)"]
        left = top = 0
    rotation %= 4
    if rotation == 1:
        centre = _js(height / 2 + top)
        transforms.insert(0, f"rotate(90 {centre} {centre})")
    elif rotation == 2:
        transforms.insert(0, f"rotate(180 {_js(width / 2 + left)} {_js(height / 2 + top)})")
    elif rotation == 3:
        centre = _js(width / 2 + left)
        transforms.insert(0, f"rotate(-90 {centre} {centre})")
    if rotation % 2:
        left, top, width, height = top, left, height, width
    if transforms:
        body = _wrap_body(body, f'<g transform="{" ".join(transforms)}">', "</g>")
    xlink = ' xmlns:xlink="http://www.w3.org/1999/xlink"' if "xlink:" in body else ""
    w, h = _js(width), _js(height)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg"{xlink} viewBox="{_js(left)} {_js(top)} {w} {h}"'
        f' width="{w}" height="{h}">{body}</svg>'
    )


def set_info(package: Package) -> dict:
    """Title, author and SPDX licence of a set, from its ``info.json``."""
    info = package.read_json("info.json")
    licence = info.get("license") or {}
    author = info.get("author") or {}
    return {
        "title": info.get("name") or package.name,
        "licence": licence.get("spdx") or UNKNOWN_LICENCE,
        "licence_url": licence.get("url"),
        "author": author.get("name"),
        "url": author.get("url"),
        "upstream_version": info.get("version"),
    }


def load_set(prefix: str, version: str | None = None) -> tuple[list[Item], dict]:
    """Every visible icon of ``@iconify-json/<prefix>`` as items ``<prefix>:<name>``, and the
    package's description for the manifest."""
    package = npm_package(f"@iconify-json/{prefix}", version)
    return set_items(package, prefix)


def set_items(package: Package, prefix: str) -> tuple[list[Item], dict]:
    files = package.files(lambda n: n in ("icons.json", "info.json", "metadata.json"))
    if "icons.json" not in files:
        raise DataError(f"{package.spec}: no icons.json (is it an Iconify icon set package?)")
    data = json.loads(files["icons.json"])
    info = set_info(package) if "info.json" in files else {"licence": UNKNOWN_LICENCE}
    metadata = json.loads(files.get("metadata.json", b"{}"))
    category = {}
    for name_of_category, names in (metadata.get("categories") or {}).items():
        for name in names:
            category.setdefault(name, name_of_category)

    icons, aliases = data.get("icons", {}), data.get("aliases", {})

    def is_rename(name: str) -> bool:
        return name in aliases and not set(aliases[name]) - {"parent"}

    def visible(name: str) -> bool:
        resolved = icon_data(data, name)
        return resolved is not None and not resolved.get("hidden")

    names = {n for n in icons if visible(n)}
    names |= {a for a in aliases if not is_rename(a) and visible(a)}  # flipped, rotated, re-boxed
    renames: dict[str, list[str]] = {}
    for alias in aliases:
        root, hops = alias, 0
        while is_rename(root) and hops < len(aliases):
            root, hops = aliases[root]["parent"], hops + 1
        if alias != root and root in names:
            renames.setdefault(root, []).append(alias)

    items = []
    for name in sorted(names):
        items.append(
            Item(
                id=f"{prefix}:{name}",
                svg=icon_svg(data, name),
                labels=labels(
                    name,
                    tags=[a.replace("-", " ") for a in renames.get(name, [])],
                    category=category.get(name),
                ),
                licence=info["licence"],
                meta={"alias_of": aliases[name]["parent"]} if name in aliases else {},
            )
        )
    description = {
        "source": f"iconify:{prefix}",
        "package": package.name,
        "version": package.version,
        "registry": package.registry,
        **info,
    }
    return items, description
