"""Suites: the SVG files a benchmark scores methods on.

A suite is a folder of SVG files.  The built-in ones live in ``eval/suites/<name>/`` next to a
``suite.json`` that fixes their sample and says where each file comes from::

    {"name": "icons", "description": "...", "command": "svgvl data ...", "sources": [...],
     "items": [{"id": "...", "file": "x.svg", "source": "...", "licence": "...", "labels": {...}}]}

Any other folder of SVG files is a suite too: every ``.svg``/``.svgz`` below it, sorted by path.
Files that cannot be items (not SVG, listed but missing, duplicate ids) are kept as *skipped*
entries with the reason, so a report can say what was left out and why.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

SVG_SUFFIXES = (".svg", ".svgz")
SUITE_FILE = "suite.json"


class BenchError(ValueError):
    """A benchmark cannot start: unknown suite or method, unusable output folder, bad options."""


@dataclass(frozen=True)
class Item:
    """One target SVG: ``id`` names it in results, ``key`` is its file-safe name in outputs."""

    id: str
    path: Path
    key: str
    source: str | None = None
    licence: str | None = None
    labels: dict = field(default_factory=dict)


@dataclass
class Suite:
    name: str
    root: Path
    items: list[Item]
    skipped: list[dict] = field(default_factory=list)  # {"id", "file", "reason"}
    description: str = ""
    sources: list = field(default_factory=list)
    builtin: bool = False


def suites_dir() -> Path | None:
    """The folder of built-in suites: ``$SVGVL_SUITES``, else ``eval/suites`` in the source tree."""
    override = os.environ.get("SVGVL_SUITES")
    if override:
        return Path(override)
    root = Path(__file__).resolve().parent.parent.parent / "eval" / "suites"
    return root if root.is_dir() else None


def builtin_names() -> list[str]:
    root = suites_dir()
    if root is None or not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / SUITE_FILE).is_file())


def list_suites() -> list[dict]:
    """The built-in suites: ``{"name", "items", "sources", "description", "path"}`` each."""
    out = []
    root = suites_dir()
    for name in builtin_names():
        suite = load_suite(root / name)
        out.append(
            {
                "name": suite.name,
                "items": len(suite.items),
                "sources": _source_names(suite),
                "description": suite.description,
                "path": str(suite.root),
            }
        )
    return out


def _source_names(suite: Suite) -> list[str]:
    names = []
    for source in suite.sources:
        if isinstance(source, dict):
            source = source.get("name") or source.get("id") or source.get("url") or ""
        if source and str(source) not in names:
            names.append(str(source))
    if not names:
        names = sorted({item.source for item in suite.items if item.source})
    return names


def load_suite(suite: str | os.PathLike, limit: int | None = None) -> Suite:
    """A built-in suite by name, or any folder of SVG files; the first ``limit`` items only."""
    path = Path(suite)
    bare = isinstance(suite, str) and os.sep not in suite and "/" not in suite
    root = suites_dir() if bare else None
    if root is not None and (root / suite / SUITE_FILE).is_file():  # a name: built-in first
        loaded = _load_dir(root / suite)
        loaded.builtin = True
    elif path.is_dir():  # ./icons for a local folder named like a built-in suite
        loaded = _load_dir(path)
    elif bare:
        names = builtin_names()
        if names:
            where = f"built-in suites: {', '.join(names)} (in {root})"
        else:
            place = f"in {root}" if root else "eval/suites is not next to the svgvl package"
            where = f"no built-in suites were found ({place}; set SVGVL_SUITES to their folder)"
        raise BenchError(f"unknown suite {suite!r}; {where}; or pass a directory of SVG files")
    else:
        raise BenchError(f"{suite}: no such directory (pass a suite name or a directory of SVGs)")
    if limit is not None:
        loaded.items = loaded.items[:limit]
    return loaded


def _load_dir(root: Path) -> Suite:
    manifest = root / SUITE_FILE
    if manifest.is_file():
        return _load_manifest(root, manifest)
    items, skipped, keys = [], [], set()
    for path in sorted(_walk(root)):
        rel = path.relative_to(root).as_posix()
        if not path.name.lower().endswith(SVG_SUFFIXES):
            skipped.append({"id": rel, "file": rel, "reason": "not an SVG file (.svg or .svgz)"})
            continue
        item_id = rel[: -len(path.suffix)]
        items.append(Item(item_id, path, _key(item_id, keys)))
    if not items:
        raise BenchError(f"{root}: no SVG files in this directory")
    return Suite(root.name, root, items, skipped)


def _walk(root: Path):
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if not name.startswith("."):
                yield Path(folder) / name


def _load_manifest(root: Path, manifest: Path) -> Suite:
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise ValueError('expected an object with an "items" list')
    except (OSError, ValueError) as error:
        raise BenchError(f"{manifest}: not a usable suite file ({error})") from None
    items, skipped, keys, ids = [], [], set(), set()
    for index, entry in enumerate(data["items"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            skipped.append({"id": f"#{index}", "file": None, "reason": 'no "file" in this entry'})
            continue
        file = entry["file"]
        item_id = str(entry.get("id") or Path(file).stem)
        path = (root / file).resolve()
        if item_id in ids:
            reason = "duplicate id"
        elif not path.is_relative_to(root.resolve()):
            reason = "the file is outside the suite folder"
        elif not path.is_file():
            reason = "file not found"
        elif not path.name.lower().endswith(SVG_SUFFIXES):
            reason = "not an SVG file (.svg or .svgz)"
        else:
            reason = None
        if reason:
            skipped.append({"id": item_id, "file": file, "reason": reason})
            continue
        ids.add(item_id)
        labels = entry.get("labels")
        items.append(
            Item(
                item_id,
                path,
                _key(item_id, keys),
                source=entry.get("source"),
                licence=entry.get("licence", entry.get("license")),
                labels=labels if isinstance(labels, dict) else {},
            )
        )
    return Suite(
        str(data.get("name") or root.name),
        root,
        items,
        skipped,
        description=str(data.get("description") or ""),
        sources=data.get("sources") if isinstance(data.get("sources"), list) else [],
    )


def file_key(name: str) -> str:
    """``name`` as a file name: letters, digits, ``.``, ``-`` and ``_`` only."""
    key = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "item"
    return key[:120]


def _key(item_id: str, taken: set) -> str:
    key = file_key(item_id)
    if key.lower() in taken:  # e.g. "a/b" and "a_b", or names differing in case only
        key = f"{key[:110]}-{hashlib.sha1(item_id.encode()).hexdigest()[:8]}"
    taken.add(key.lower())
    return key
