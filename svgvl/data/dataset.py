"""Building a dataset folder from a source, resumably; reading one back.

Layout of the output folder::

    data-00000.jsonl    records, one JSON object a line (the items of one fixed chunk each)
    data-00001.jsonl    ...
    dropped.jsonl       {"id", "reason", "detail"} for every item that did not become a record
    manifest.json       counts per split, licence and drop reason; sources; command; versions
    .build/             resume state, one small JSON file per finished shard

Items are processed in id order in chunks of ``shard_size``; chunk *k* becomes
``data-<k>.jsonl``, written atomically, then its state file.  The state holds a digest chained
over the content of every item up to the end of the chunk, so a rerun keeps a finished shard
exactly when it would build it again byte for byte (same items, same svgvl version, same earlier
shards for deduplication) and rebuilds it otherwise.  An interrupted build therefore continues
where it stopped, and a rebuild after ``--limit`` keeps what still applies.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from tqdm import tqdm

from .. import __version__
from ..files import write_atomic
from .errors import DataError
from .records import SPLIT_NAMES, SPLITS, Item, record
from .sources import canonical_name
from .sources import load as load_source

FORMAT = "svgvl-dataset/1"
SHARD_SIZE = 1000
STATE_DIR = ".build"
MANIFEST = "manifest.json"
DROPPED = "dropped.jsonl"
_SHARD = re.compile(r"data-(\d{5,})\.jsonl")
NORMALIZATION = (
    "svgvl.svg.normalize with the document's own units (viewBox size, origin at 0,0; gradients "
    "kept), then svgvl.svg.write at automatic precision (1/2000 of the larger side)"
)


def shard_name(index: int) -> str:
    return f"data-{index:05d}.jsonl"


def _json_line(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n"


def _chain(previous: str, chunk: list[Item]) -> str:
    """A digest of everything a shard's content depends on: the chain so far and its items."""
    digest = hashlib.sha256(previous.encode("utf-8"))
    for item in chunk:
        fields = [item.id, item.svg, item.labels, item.licence, item.meta, item.error]
        digest.update(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


def _file_digest(path: Path) -> str | None:
    try:
        return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _owner(out: Path) -> str | None:
    """The source a folder's dataset (finished or not) was built from, if any."""
    manifest = _read_json(out / MANIFEST)
    if isinstance(manifest, dict) and manifest.get("source"):
        return manifest["source"]
    states = sorted((out / STATE_DIR).glob("shard-*.json")) if (out / STATE_DIR).is_dir() else []
    for path in states:
        state = _read_json(path)
        if isinstance(state, dict) and state.get("source"):
            return state["source"]
    return None


def _own_files(out: Path) -> list[Path]:
    """Every file a build writes in ``out`` (and nothing else, so --force never removes more)."""
    files = [p for p in out.iterdir() if _SHARD.fullmatch(p.name)] if out.is_dir() else []
    files += [out / MANIFEST, out / DROPPED]
    if (out / STATE_DIR).is_dir():
        files += list((out / STATE_DIR).glob("shard-*.json"))
    return [p for p in files if p.is_file()]


def _claim(out: Path, source: str, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise DataError(f"{out}: exists and is not a directory")
    owner = _owner(out)
    if owner and owner != source:
        if not force:
            raise DataError(
                f"{out}: holds a dataset built from {owner}; choose another --out, or pass "
                "--force to replace it"
            )
        for path in _own_files(out):
            path.unlink()


def _split_reason(reason: str) -> tuple[str, str | None]:
    head, sep, detail = reason.partition(": ")
    return (head, detail) if sep else (reason, None)


def _command(source: str, out, limit, shard_size: int, licence) -> str:
    words = ["svgvl", "data", "build", source, "--out", str(out)]
    if limit is not None:
        words += ["--limit", str(limit)]
    if shard_size != SHARD_SIZE:
        words += ["--shard-size", str(shard_size)]
    if licence:
        words += ["--licence", licence]
    return shlex.join(words)


def build(
    source: str,
    out,
    *,
    limit: int | None = None,
    progress: bool = True,
    shard_size: int = SHARD_SIZE,
    licence: str | None = None,
    force: bool = False,
) -> dict:
    """Build (or finish building) the dataset of ``source`` in folder ``out``; return its manifest.

    ``limit`` keeps the first N items in id order (quick runs).  ``licence`` is the SPDX id for
    ``dir:`` and ``font:`` sources, whose files do not state one.  ``force`` replaces a dataset
    of another source in ``out``.  Items that cannot become records never raise: they are listed
    in ``dropped.jsonl`` and counted in the manifest.
    """
    if limit is not None and limit <= 0:
        raise DataError(f"limit must be a positive number, not {limit}")
    if shard_size <= 0:
        raise DataError(f"shard size must be a positive number, not {shard_size}")
    out = Path(out)
    known = canonical_name(source)
    if known:  # refuse a wrong --out before fetching anything
        _claim(out, known, force)
    elif out.exists() and not out.is_dir():
        raise DataError(f"{out}: exists and is not a directory")
    loaded = load_source(source, licence)
    items = loaded.items[:limit] if limit is not None else loaded.items
    _claim(out, loaded.name, force)
    (out / STATE_DIR).mkdir(parents=True, exist_ok=True)
    # While shards change, the folder has no manifest: load() refuses a half-built dataset.
    (out / MANIFEST).unlink(missing_ok=True)

    chain = hashlib.sha256(
        json.dumps([FORMAT, __version__, loaded.name, NORMALIZATION]).encode()
    ).hexdigest()
    seen: dict[str, str] = {}  # content hash → id of the record that has it
    shards, dropped, kept = [], [], []  # kept: (split, licence) per record
    bar = _progress(len(items), loaded.name, progress)
    try:
        for index, start in enumerate(range(0, len(items), shard_size)):
            chunk = items[start : start + shard_size]
            chain = _chain(chain, chunk)
            path, state_path = out / shard_name(index), out / STATE_DIR / f"shard-{index:05d}.json"
            state = _read_json(state_path)
            if not (
                isinstance(state, dict)
                and state.get("chain") == chain
                and state.get("sha256") == _file_digest(path)
            ):
                state = _build_shard(chunk, loaded.name, seen, chain)
                write_atomic(path, state.pop("content"), force=True)
                state["sha256"] = _file_digest(path)
                write_atomic(state_path, json.dumps(state, ensure_ascii=False), force=True)
            else:
                seen.update({h: i for i, h, _, _ in state["records"]})
            shards.append(
                {"file": path.name, "records": len(state["records"]), "sha256": state["sha256"]}
            )
            kept += [(split, lic) for _, _, split, lic in state["records"]]
            dropped += state["dropped"]
            bar.update(len(chunk))
            bar.set_postfix(records=len(kept), dropped=len(dropped), refresh=False)
    finally:
        bar.close()

    for path in _own_files(out):  # shards of an earlier, longer build
        match = _SHARD.fullmatch(path.name) or re.fullmatch(r"shard-(\d+)\.json", path.name)
        if match and int(match.group(1)) >= len(shards):
            path.unlink()
    write_atomic(out / DROPPED, "".join(_json_line(d) for d in dropped), force=True)
    manifest = {
        "format": FORMAT,
        "source": loaded.name,
        "sources": loaded.sources,
        "svgvl_version": __version__,
        "command": _command(source, out, limit, shard_size, licence),
        "args": {"source": source, "limit": limit, "shard_size": shard_size, "licence": licence},
        "normalization": NORMALIZATION,
        "split": {"method": "first 8 bytes of sha256(id) as a fraction", "shares": dict(SPLITS)},
        "items": len(items),
        "records": len(kept),
        "counts": {
            "split": {name: sum(1 for s, _ in kept if s == name) for name in SPLIT_NAMES},
            "licence": dict(sorted(Counter(lic for _, lic in kept).items())),
        },
        "dropped": dict(sorted(Counter(d["reason"] for d in dropped).items())),
        "dropped_file": DROPPED,
        "shards": shards,
    }
    write_atomic(
        out / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", force=True
    )
    return manifest


def _build_shard(chunk: list[Item], source: str, seen: dict[str, str], chain: str) -> dict:
    """Records of one chunk (deduplicated against ``seen``, which it extends) and its state."""
    lines, records, dropped = [], [], []
    for item in chunk:
        rec, reason = record(item, source)
        if rec is None:
            head, detail = _split_reason(reason)
            dropped.append({"id": item.id, "reason": head, "detail": detail})
        elif rec["hash"] in seen:
            dropped.append(
                {
                    "id": item.id,
                    "reason": "duplicate",
                    "detail": f"same drawing as {seen[rec['hash']]}",
                }
            )
        else:
            seen[rec["hash"]] = item.id
            lines.append(_json_line(rec))
            records.append([item.id, rec["hash"], rec["split"], rec["licence"]])
    return {
        "source": source,
        "chain": chain,
        "records": records,
        "dropped": dropped,
        "content": "".join(lines),
    }


def _progress(total: int, name: str, enabled: bool):
    return tqdm(total=total, desc=name, unit="item", disable=not enabled, file=sys.stderr)


def info(path) -> dict:
    """The manifest of a finished dataset folder."""
    folder = Path(path)
    if not folder.is_dir():
        raise DataError(f"{path}: no such directory")
    manifest = _read_json(folder / MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        unfinished = (folder / STATE_DIR).is_dir()
        raise DataError(
            f"{path}: no dataset manifest ({MANIFEST})"
            + ("; the build did not finish: run it again to complete it" if unfinished else "")
        )
    return manifest


def source_of(path) -> str:
    """What a data folder holds, as a source name: its dataset's (``iconify:tabler``), or
    ``dir:PATH`` for a plain folder of SVGs (what ``svgvl train`` also reads)."""
    return _owner(Path(path)) or f"dir:{Path(path).resolve()}"


def load(path, split: str | None = None) -> Iterator[dict]:
    """Iterate the records of a dataset folder (all, or one split), in id order."""
    if split is not None and split not in SPLIT_NAMES:
        raise DataError(f"unknown split {split!r}; splits: {', '.join(SPLIT_NAMES)}")
    manifest = info(path)
    folder = Path(path)
    missing = [s["file"] for s in manifest["shards"] if not (folder / s["file"]).is_file()]
    if missing:
        raise DataError(f"{path}: shard {missing[0]} is missing")
    return _records(folder, manifest, split)


def _records(folder: Path, manifest: dict, split: str | None) -> Iterator[dict]:
    for shard in manifest["shards"]:
        with open(folder / shard["file"], encoding="utf-8") as lines:
            for line in lines:
                entry = json.loads(line)
                if split is None or entry["split"] == split:
                    yield entry
