"""The embedding model's training data, prepared once: every labelled icon rendered and every
text encoded, stored as arrays a CPU run reads at memory speed.

A prepared folder holds

    items.jsonl     one JSON object per icon: id, source, split, title, category, texts, mono
    images.npy      N×S×S×4 uint8 RGBA renders (straight alpha) at the model's image size
    texts.npy       N×K×D float16 unit sentence vectors of the K texts of each icon
    prepared.json   what it was made from (folders and their digests, size, K, encoder), counts

Texts: the first is the icon's title (what a user types to search), the rest IconShop's mix of
shuffled keywords and short sentences (:func:`svgvl.train.icon_data.caption`), seeded per icon.
``mono`` marks drawings of a single colour (most icon sets draw in ``currentColor``); training
recolours those at random and keeps the colours of the others (emoji, brand logos).

Held-out icons stay held out: a training icon whose drawing (record hash) is also a val or test
icon of any folder is left out, since icon sets copy each other's glyphs.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .icon_data import _folder_digest, _is_dataset, _svg_files, caption, keywords
from .loop import TrainError

FORMAT = "svgvl-embed-data/1"
SPLITS = ("train", "val", "test")


def _rows(folder: Path):
    """(id, split, labels, svg, hash) of every record of a dataset or SVG folder."""
    from .. import data as datasets
    from ..data.records import labels as labels_of
    from ..data.records import svg_text

    if _is_dataset(folder):
        for record in datasets.load(folder):
            svg = record.get("normalized") or record["svg"]
            yield record["id"], record["split"], record["labels"], svg, record.get("hash")
        return
    for path in _svg_files(folder):
        try:
            svg = svg_text(path.read_bytes(), str(path))
        except (OSError, ValueError):
            continue
        rid = f"{folder.name}/{path.relative_to(folder).with_suffix('')}"
        yield rid, "train", labels_of(path.stem), svg, hashlib.sha256(svg.encode()).hexdigest()


def _render(job: tuple[str, int]) -> np.ndarray | None:
    """The RGBA render of one SVG at size×size (None when it cannot be drawn)."""
    from ..render import rasterize

    svg, size = job
    try:
        pixels = rasterize(svg, size, background=None, timeout=10)
    except Exception:  # noqa: BLE001 - an icon that does not render is left out, counted
        return None
    return pixels if pixels.shape == (size, size, 4) and pixels[..., 3].any() else None


def is_mono(rgba: np.ndarray) -> bool:
    """Whether every clearly drawn pixel has the same colour (within a little anti-aliasing)."""
    ink = rgba[..., 3] > 160
    if not ink.any():
        return True
    colours = rgba[..., :3][ink].astype(np.int16)
    return bool(np.abs(colours - np.median(colours, 0)).max() <= 24)


def texts_of(rid: str, labels: dict, variants: int) -> list[str]:
    """The icon's title, then ``variants - 1`` captions drawn with a seed from its id."""
    words = keywords(labels) or [rid.rsplit("/", 1)[-1].rsplit(":", 1)[-1].replace("-", " ")]
    rng = random.Random(hashlib.sha256(rid.encode()).hexdigest())
    out = [words[0]]
    for _ in range(variants - 1):
        out.append(caption(labels, rng, empty_rate=0.0) or words[0])
    return out


def prepare(
    folders,
    out,
    *,
    image_size: int = 64,
    variants: int = 4,
    text_encoder: str | None = None,
    workers: int = 2,
    limit: int | None = None,
    progress: bool = True,
) -> dict:
    """Render and encode every icon of ``folders`` into ``out`` (see the module docstring);
    an ``out`` already prepared from the same inputs and settings is kept as it is."""
    from ..models.text import DEFAULT_TEXT_ENCODER, load_text_encoder

    text_encoder = text_encoder or DEFAULT_TEXT_ENCODER
    folders = [Path(f) for f in folders]
    for folder in folders:
        if not folder.is_dir():
            raise TrainError(f"{folder}: no such data folder")
    out = Path(out)
    wanted = {
        "format": FORMAT,
        "folders": {str(f.resolve()): _folder_digest(f) for f in folders},
        "image_size": image_size,
        "variants": variants,
        "text_encoder": text_encoder,
        "limit": limit,
    }
    done = out / "prepared.json"
    if done.is_file():
        stored = json.loads(done.read_text(encoding="utf-8"))
        if {k: stored.get(k) for k in wanted} == wanted:
            return stored

    rows, held_out = [], set()
    for folder in folders:
        found = list(_rows(folder))
        if limit:
            found = found[:limit]
        for rid, split, labels, svg, digest in found:
            rows.append((folder.name, rid, split, labels, svg, digest))
            if split != "train" and digest:
                held_out.add(digest)
    dropped = Counter()
    kept = []
    for row in rows:
        if row[2] == "train" and row[5] in held_out:
            dropped["train copy of a held-out drawing"] += 1
        elif not row[4]:
            dropped["no SVG"] += 1
        else:
            kept.append(row)

    tmp = out.parent / f".{out.name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    # Renders go straight into the array as they arrive (a list of them would hold the whole
    # dataset in memory a second time); rows that do not render are squeezed out after.
    shape = (len(kept), image_size, image_size, 4)
    images = np.lib.format.open_memmap(tmp / "images.npy", mode="w+", dtype=np.uint8, shape=shape)
    good, mono = [], []
    with ProcessPoolExecutor(max(1, workers)) as pool:
        renders = pool.map(_render, [(row[4], image_size) for row in kept], chunksize=64)
        bar = tqdm(renders, total=len(kept), desc="render", disable=not progress, file=sys.stderr)
        for i, render in enumerate(bar):
            if render is not None:
                images[len(good)] = render
                good.append(i)
                mono.append(is_mono(render))
    dropped["does not render or draws nothing"] += len(kept) - len(good)
    images.flush()
    del images
    if len(good) < len(kept):
        full = np.load(tmp / "images.npy", mmap_mode="r")
        np.save(tmp / "images.part.npy", full[: len(good)])
        del full
        (tmp / "images.part.npy").replace(tmp / "images.npy")
    items = []
    for i, is_single in zip(good, mono, strict=True):
        source, rid, split, labels, _, _ = kept[i]
        items.append(
            {
                "id": rid,
                "source": source,
                "split": split,
                "title": keywords(labels)[0] if keywords(labels) else rid,
                "category": str(labels.get("category") or ""),
                "texts": texts_of(rid, labels, variants),
                "mono": is_single,
            }
        )

    encoder = load_text_encoder(text_encoder)
    flat = [t for item in items for t in item["texts"]]
    unique = sorted(set(flat), key=lambda t: (len(t), t))  # batches of even length: less padding
    vectors = np.zeros((len(unique), encoder.dim), np.float16)
    step = 1024
    for start in tqdm(
        range(0, len(unique), step), desc="encode texts", disable=not progress, file=sys.stderr
    ):
        vectors[start : start + step] = encoder.sentences(unique[start : start + step], 32)
    where = {t: n for n, t in enumerate(unique)}
    texts = vectors[[where[t] for t in flat]].reshape(len(items), variants, encoder.dim)
    np.save(tmp / "texts.npy", texts)
    with open(tmp / "items.jsonl", "w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")
    summary = {
        **wanted,
        "text_dim": encoder.dim,
        "items": len(items),
        "splits": dict(Counter(item["split"] for item in items)),
        "sources": dict(Counter(item["source"] for item in items)),
        "dropped": dict(dropped),
    }
    (tmp / "prepared.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    return summary


def on_white(rgba: np.ndarray) -> np.ndarray:
    """N×S×S×4 uint8 straight-alpha renders → N×S×S×3 float32 pixels in [0, 1] on white: what
    :func:`svgvl.understand.embed.image_pixels` gives for the same drawings."""
    x = rgba.astype(np.float32) / 255
    alpha = x[..., 3:]
    return x[..., :3] * alpha + (1 - alpha)


class Prepared:
    """A prepared folder, read back: ``items`` (dicts), ``images`` (memory-mapped), ``texts``."""

    def __init__(self, folder):
        folder = Path(folder)
        try:
            self.info = json.loads((folder / "prepared.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise TrainError(f"{folder}: not a prepared embedding-data folder") from None
        with open(folder / "items.jsonl", encoding="utf-8") as handle:
            self.items = [json.loads(line) for line in handle]
        self.images = np.load(folder / "images.npy", mmap_mode="r")
        self.texts = np.load(folder / "texts.npy", mmap_mode="r")

    def split(self, name: str) -> np.ndarray:
        """Row numbers of one split."""
        return np.array([n for n, item in enumerate(self.items) if item["split"] == name], int)
