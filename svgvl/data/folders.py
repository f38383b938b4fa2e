"""Any folder of SVG files (``dir:<path>``), searched recursively.

Ids are ``<folder name>/<path below it, without .svg>``; the file name gives the name and
title, the sub-folder (if any) the category.  Files that cannot be read or are not SVG text are
kept as items with the reason, so the build counts them as dropped instead of failing.
Hidden files and folders (``.name``) are skipped.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import DataError
from .records import MAX_SVG_BYTES, UNKNOWN_LICENCE, Item, labels, svg_text

SUFFIXES = (".svg", ".svgz")


def load_folder(spec: str, licence: str | None = None) -> tuple[list[Item], dict, str]:
    """Items for every ``.svg``/``.svgz`` file below ``spec``; (items, description, source name)."""
    root = Path(spec).expanduser()
    if not root.is_dir():
        raise DataError(f"{spec}: no such directory")
    base = root.resolve().name or "root"
    items = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith(".") or not name.lower().endswith(SUFFIXES):
                continue
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            stem = rel.rsplit(".", 1)[0]
            parent = Path(rel).parent.as_posix()
            svg, error = None, None
            try:
                if path.stat().st_size > MAX_SVG_BYTES:
                    raise ValueError(f"too large (over {MAX_SVG_BYTES:,} bytes)")
                svg = svg_text(path.read_bytes(), rel)
            except OSError as problem:
                error = f"{rel}: {problem.strerror or problem}"
            except ValueError as problem:
                error = f"{rel}: {getattr(problem, 'reason', None) or problem}"
            items.append(
                Item(
                    id=f"{base}/{stem}",
                    svg=svg,
                    labels=labels(Path(stem).name, category=None if parent == "." else parent),
                    licence=licence or UNKNOWN_LICENCE,
                    meta={"file": rel},
                    error=error,
                )
            )
    description = {
        "source": f"dir:{base}",
        "path": str(root),
        "licence": licence or UNKNOWN_LICENCE,
    }
    return items, description, f"dir:{base}"
