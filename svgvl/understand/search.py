"""Search folders of icons by text or by example, and label icons zero-shot.

- :func:`collect` finds what to index: SVG and raster files below the given paths, and the
  records of dataset folders (``svgvl data build``).
- :class:`Index` keeps one vector per item on disk (an ``.npz`` in the user's cache, or where
  ``index=`` says), keyed by the file's size and mtime: a rerun embeds only what changed, and an
  index made by another model version is rebuilt with a message.  Unreadable files are skipped
  and listed; the rest is indexed.
- :func:`search` ranks the indexed items by cosine to a text query or to an example drawing;
  :func:`classify` scores drawings against a list of labels (a prompt ensemble per label).
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..files import cache_root, write_atomic
from .embed import Embedder, EmbedError, image_pixels, label_vectors, load_embedder

IMAGE_SUFFIXES = (".svg", ".svgz", ".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif")
INDEX_FORMAT = "svgvl-search-index/1"


@dataclass(frozen=True)
class Item:
    """One thing to index: ``name`` (a path, or ``dataset/record-id``), a ``stamp`` that changes
    when it does, and how to read it (``path`` to a file, or ``svg`` text of a record)."""

    name: str
    stamp: str
    path: str | None = None
    svg: str | None = None

    def source(self):
        return self.svg if self.svg is not None else self.path


def _dataset_items(folder: Path) -> list[Item]:
    """A dataset folder's records; the record's content hash is its stamp."""
    from .. import data as datasets

    items = []
    for record in datasets.load(folder):
        svg = record.get("normalized") or record.get("svg")
        if svg:
            stamp = record.get("hash") or hashlib.sha256(svg.encode()).hexdigest()
            items.append(Item(f"{folder.name}/{record['id']}", stamp, svg=svg))
    return items


def collect(paths) -> list[Item]:
    """The files (and dataset records) below ``paths``, sorted by name; a missing path is an
    EmbedError."""
    found: dict[str, Item] = {}
    for given in map(Path, paths):
        if not given.exists():
            raise EmbedError(f"{given}: no such file or folder")
        if given.is_dir() and (given / "manifest.json").is_file():
            for item in _dataset_items(given):
                found[item.name] = item
            continue
        files = (
            [given]
            if given.is_file()
            else sorted(
                p
                for p in given.rglob("*")
                if p.suffix.lower() in IMAGE_SUFFIXES
                and not any(s.startswith(".") for s in p.parts)
            )
        )
        for path in files:
            stat = path.stat()
            found[str(path)] = Item(str(path), f"{stat.st_size}:{stat.st_mtime_ns}", path=str(path))
    return [found[name] for name in sorted(found)]


def default_index(paths) -> Path:
    """Where the index of these paths lives unless told: the user's cache, one file per set of
    paths."""
    base = cache_root() / "search"
    key = hashlib.sha256("\n".join(sorted(str(Path(p).resolve()) for p in paths)).encode())
    return base / f"{key.hexdigest()[:20]}.npz"


@dataclass
class Index:
    """Vectors of indexed items: ``names`` (list), ``vectors`` (N×dim), ``skipped`` ({name: why})."""

    names: list[str]
    vectors: np.ndarray
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _read(path: Path, version: str) -> tuple[dict, str | None]:
    """The stored {name: (stamp, vector)} and a note when it cannot be reused."""
    if not path.is_file():
        return {}, None
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            vectors = data["vectors"]
    except (OSError, ValueError, KeyError):
        return {}, f"{path}: unreadable index, rebuilt"
    if meta.get("format") != INDEX_FORMAT or meta.get("model") != version:
        return {}, f"{path}: made by another model version, rebuilt"
    return {n: (s, v) for n, s, v in zip(meta["names"], meta["stamps"], vectors, strict=True)}, None


def build_index(paths, *, model=None, index=None, progress: bool = True) -> Index:
    """Embed every item below ``paths`` not already in the index with the same stamp, save the
    index (atomically), and return it."""
    embedder: Embedder = load_embedder(model)
    items = collect(paths)
    where = Path(index) if index else default_index(paths)
    stored, note = _read(where, embedder.version)
    notes = [note] if note else []
    vectors, skipped, todo = {}, {}, []
    for item in items:
        old = stored.get(item.name)
        if old is not None and old[0] == item.stamp:
            vectors[item.name] = old[1]
        else:
            todo.append(item)
    if todo:
        from tqdm import tqdm

        for start in tqdm(
            range(0, len(todo), 64),
            desc="index",
            unit_scale=64,
            disable=not progress or len(todo) < 64,
            file=sys.stderr,
        ):
            chunk, pixels = [], []
            for item in todo[start : start + 64]:
                try:
                    pixels.append(image_pixels(item.source(), embedder.size))
                    chunk.append(item)
                except Exception as error:  # noqa: BLE001 - one unreadable file is skipped, named
                    skipped[item.name] = (
                        str(error).strip().splitlines()[0][:200]
                        if str(error)
                        else type(error).__name__
                    )
            if chunk:
                for item, vector in zip(
                    chunk, embedder.embed_pixels(np.stack(pixels)), strict=True
                ):
                    vectors[item.name] = vector
    names = [item.name for item in items if item.name in vectors]
    matrix = (
        np.stack([vectors[n] for n in names]) if names else np.zeros((0, embedder.dim), np.float32)
    )
    if todo or note or len(stored) != len(names):
        stamps = {item.name: item.stamp for item in items}
        meta = {
            "format": INDEX_FORMAT,
            "model": embedder.version,
            "names": names,
            "stamps": [stamps[n] for n in names],
        }
        buffer = io.BytesIO()
        np.savez(buffer, meta=np.array(json.dumps(meta)), vectors=matrix.astype(np.float32))
        where.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(where, buffer.getvalue(), force=True)
    return Index(names, matrix, skipped, notes)


def rank(index: Index, query: np.ndarray, top: int) -> list[tuple[str, float]]:
    """The ``top`` items closest to the unit vector ``query``, best first, with cosines."""
    scores = index.vectors @ query
    order = np.argsort(-scores, kind="stable")[:top]
    return [(index.names[i], float(scores[i])) for i in order]


def classify(items, labels, *, model=None) -> list[list[tuple[str, float]]]:
    """For each drawing (SVG or image, as :func:`svgvl.embed_images` takes), every label with
    its probability (softmax of the model's scaled cosines), most likely first."""
    embedder = load_embedder(model)
    pixels = np.stack([image_pixels(item, embedder.size) for item in items])
    return classify_pixels(embedder, pixels, labels)


def classify_pixels(
    embedder: Embedder, pixels: np.ndarray, labels
) -> list[list[tuple[str, float]]]:
    """:func:`classify` for drawings already turned into pixels (:func:`image_pixels`)."""
    labels = list(dict.fromkeys(str(label).strip() for label in labels if str(label).strip()))
    if len(labels) < 2:
        raise EmbedError("zero-shot labels need at least two different labels")
    texts = label_vectors(embedder, labels)
    images = embedder.embed_pixels(pixels)
    scale = float(embedder.model.logit_scale.exp().clamp(max=100))
    logits = scale * images @ texts.T
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    return [[(labels[j], float(row[j])) for j in np.argsort(-row, kind="stable")] for row in probs]
