"""The output folder of a bench run: its layout, claiming it, and what a rerun finds done.

Output folder::

    bench.json                      the settings; a rerun with other settings needs --force
    inputs/<item>.png               the input image every method received
    items/<method>/<item>.json      one result row, written last (its presence = done)
    items/<method>/<item>.svg       the method's output
    items/<method>/<item>.png       the output rendered like the input
    items/<method>/<item>.diff.png  where the output differs from the input (red = more)
    results.json, results.md, report.html

A rerun skips every item × method whose row exists for the same target file (by SHA-256), so an
interrupted run resumes; delete a row (or pass ``force``) to score it again.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shlex
from pathlib import Path

from ..files import write_atomic
from .suites import BenchError, Suite, file_key

FORMAT = 1
"""Version of the output folder's layout, stored in bench.json."""

RESULT_FILES = ("results.json", "results.md", "report.html")


def claim(out: Path, settings: dict, force: bool) -> None:
    """Make ``out`` this run's folder: new, or holding a run with the same settings."""
    marker = out / "bench.json"
    if out.exists() and not out.is_dir():
        raise BenchError(f"{out}: exists and is not a directory")
    if marker.is_file():
        try:
            previous = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = None
        if previous != settings and not force:
            differing = sorted(
                k
                for k in settings
                if not isinstance(previous, dict) or previous.get(k) != settings[k]
            )
            raise BenchError(
                f"{out}: holds results with other settings ({', '.join(differing)}); "
                "pass --force to score everything again, or choose another --out"
            )
    elif out.is_dir() and any(out.iterdir()) and not force:
        raise BenchError(
            f"{out}: exists and holds other files; pass --force to write into it, "
            "or choose another --out"
        )
    write_atomic(marker, json.dumps(settings, indent=1) + "\n", force=True)


def read_row(path: Path) -> dict | None:
    """A finished result row, or None where there is none (or only a broken one)."""
    try:
        row = json.loads(path.read_text(encoding="utf-8"))
        return row if isinstance(row, dict) and "method" in row else None
    except (OSError, ValueError):
        return None


def file_sha256(path: Path) -> str | None:
    """The target file's digest, which a kept row must match to count as done."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def method_keys(names: list[str]) -> dict[str, str]:
    """Method name → its folder under items/, unique even on case-insensitive disks."""
    keys, taken = {}, set()
    for name in names:
        key = file_key(name)
        if key.lower() in taken:
            key = f"{key}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"
        taken.add(key.lower())
        keys[name] = key
    return keys


def relative(path: Path, root: Path) -> str:
    """``path`` as written into rows: relative to ``root``, with forward slashes."""
    try:
        return Path(os.path.relpath(path, root)).as_posix()
    except ValueError:
        return str(path)


def finite(row: dict) -> dict:
    """The row with NaN and infinities as None, so that results.json is strict JSON."""
    return {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()
    }


def command_line(
    suite: Suite, names, out, size, limit, jobs, timeout, zoom, tokenizer, lpips, dino
) -> str:
    """The ``svgvl bench`` command line that reproduces a run."""
    parts = ["svgvl", "bench", "--suite", suite.name if suite.builtin else str(suite.root)]
    parts += ["--methods", ",".join(names), "--size", str(size)]
    if limit is not None:
        parts += ["--limit", str(limit)]
    if zoom != 4:
        parts += ["--zoom", str(zoom)]
    if jobs != 1:
        parts += ["--jobs", str(jobs)]
    if timeout != 60.0:
        parts += ["--timeout", "0" if timeout is None else f"{timeout:g}"]
    for option, value in (("--tokenizer", tokenizer), ("--lpips", lpips), ("--dino", dino)):
        if value is not None:
            parts += [option, str(value)]
    parts += ["--out", os.fspath(out)]
    return shlex.join(parts)
