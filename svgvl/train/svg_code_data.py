"""The StarVector training data: SVG code read from a dataset folder, a folder of SVGs or a table
(:mod:`svgvl.train.svg_tables`), tokenized on the fly as the model writes it, rendered on the fly
as the model's input image (image → SVG) or prompted by a caption (text → SVG), and batched in an
order that a resumed run repeats.

- **im2svg**: ``[visual tokens] <svg ... </svg> <eos>``; the image is the SVG rendered at the
  encoder's size (white background, aspect kept), with light augmentation that keeps the geometry.
- **text2svg** (StarVector's text-to-SVG): ``caption <svg-start> <svg ... </svg> <eos>``, the
  caption a template ("Draw an SVG of ") and one of the row's captions, every token a target as
  in the official code.
- A sequence longer than the budget is cut at the budget, as the official code's tokenizer does
  (``data.too_long: drop`` leaves it out instead); a row with no ``<svg`` (or, for text2svg, no
  caption) is skipped, as is one that cannot be drawn.
- Nothing is tokenized up front: a rank holds the rows (memory-mapped for tables) and tokenizes
  the few it batches, so its memory does not grow with the set.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageFilter

from .. import data as datasets
from ..data.records import split_of, svg_text
from ..engines.starvector import pixel_values
from ..render import rasterize
from ..svg import SVGError, normalize, parse, write
from .loop import TrainError

SVG_START = "<svg-start>"
CAPTION_TEMPLATES = (  # StarVector's text2svg prompts (starvector/data/stacksvg.py)
    "Draw an SVG of ",
    "Draw an SVG image of ",
    "Draw an SVG picture of ",
    "Generate an SVG of ",
    "Create an SVG of ",
    "Design an SVG of ",
    "Make an SVG of ",
)


def read_svgs(data: str | os.PathLike, split: str, field: str = "svg") -> list[dict]:
    """Rows ``{"id", "svg", "captions"}`` of one split (or ``all``) of a dataset folder or a
    folder of SVGs; the caption is the record's title (the file name's words for a folder)."""
    folder = Path(data)
    if not folder.is_dir():
        raise TrainError(f"{data}: no such folder (pass a dataset or a folder of .svg files)")
    if split not in ("train", "val", "test", "all"):
        raise TrainError(f"{data}: unknown split {split!r}; splits: train, val, test, all")
    if (folder / "manifest.json").is_file():
        records = datasets.load(folder, None if split == "all" else split)
        return [
            {"id": r["id"], "svg": r[field], "captions": [r.get("labels", {}).get("title") or ""]}
            for r in records
        ]
    rows = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".svg", ".svgz")):
        name = path.relative_to(folder).as_posix()
        if split != "all" and split_of(name) != split:
            continue
        try:
            text = svg_text(path.read_bytes(), name)
            if field == "normalized":
                text = write(normalize(parse(text.encode("utf-8"), name=name)))
        except (OSError, ValueError):
            continue  # unreadable files are skipped, as dataset builds drop them
        title = path.stem.split("-", 1)[-1].replace("-", " ").replace("_", " ")
        rows.append({"id": name, "svg": text, "captions": [title]})
    return rows


def svg_code(text: str) -> str | None:
    """The code the model writes: from ``<svg`` on (no XML declaration, doctype, comments)."""
    start = text.find("<svg")
    return text[start:].strip() if start >= 0 else None


def encode(tokenizer, texts: list[str], prompt: str) -> list[list[int]]:
    """Token ids of targets that start with the prompt: the prompt tokenised alone (as the
    engine gives it), then the rest of the code, then end-of-sequence."""
    head = tokenizer(prompt, add_special_tokens=False).input_ids
    rests = tokenizer([t[len(prompt) :] for t in texts], add_special_tokens=False).input_ids
    return [head + rest + [tokenizer.eos_token_id] for rest in rests]


def caption_prompt_ids(tokenizer, caption: str) -> list[int]:
    """What comes before the SVG code in text2svg: the caption's tokens and ``<svg-start>``
    (the engine then gives the code's prompt, ``<svg``, as in image → SVG)."""
    start = tokenizer.convert_tokens_to_ids(SVG_START)
    if start is None or start == tokenizer.unk_token_id:
        raise TrainError(f"the tokenizer has no {SVG_START} token (text2svg needs it)")
    return tokenizer(caption, add_special_tokens=False).input_ids + [start]


def pick_caption(captions: list[str], rng: random.Random | None) -> str | None:
    """A template and one of the captions (at random when ``rng`` is given, else the first of
    each); None when the row has no caption."""
    captions = [c for c in captions if c and c.strip()]
    if not captions:
        return None
    if rng is None:
        return CAPTION_TEMPLATES[0] + captions[0].strip()
    return rng.choice(CAPTION_TEMPLATES) + rng.choice(captions).strip()


class SVGCode:
    """Training items from rows: token ids (and, for im2svg, the rendered image), made when an
    item is asked for.  ``rows`` is a sequence (map-style) or None for a stream, whose rows
    go through :meth:`example` directly."""

    def __init__(
        self,
        rows,
        tokenizer,
        model_config,
        max_text_tokens: int,
        *,
        task: str = "im2svg",
        augment: bool = False,
        too_long: str = "truncate",
    ):
        self.rows, self.tokenizer, self.config = rows, tokenizer, model_config
        self.max_text, self.task, self.augment, self.too_long = (
            max_text_tokens,
            task,
            augment,
            too_long,
        )
        if task == "text2svg":
            caption_prompt_ids(tokenizer, "")  # fail now if the tokenizer lacks <svg-start>

    def __len__(self) -> int:
        return len(self.rows)

    def image(self, svg: str, rng: random.Random | None = None):
        """The SVG's render (S×S×3 uint8), lightly augmented when ``rng`` is given."""
        size = self.config.image_size
        if rng is None:
            return rasterize(svg, size)
        render = size
        if rng.random() < 0.5:  # resampling artefacts of another resolution
            render = max(8, round(size * rng.uniform(0.6, 1.6)))
        pixels = rasterize(svg, render)
        image = Image.fromarray(pixels)
        if render != size:
            image = image.resize((size, size), Image.Resampling.BICUBIC)
        if rng.random() < 0.3:
            image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 0.8)))
        return np.asarray(image)

    def example(self, row: dict, rng: random.Random | None = None) -> dict | None:
        """One item from a row, or None when the row is unusable: ``input_ids`` (cut to the
        budget), ``svg`` (the target code), ``prompt_ids`` (what generation starts from, after
        any visual tokens), ``truncated``, and ``pixel_values`` for im2svg."""
        prompt = self.config.prompt
        code = svg_code(row["svg"] or "")
        if code is None or not code.startswith(prompt):
            return None
        ids = encode(self.tokenizer, [code], prompt)[0]
        head = self.tokenizer(prompt, add_special_tokens=False).input_ids
        item = {"svg": code, "id": row["id"]}
        if self.task == "text2svg":
            caption = pick_caption(row.get("captions") or [], rng if self.augment else None)
            if caption is None:
                return None
            before = caption_prompt_ids(self.tokenizer, caption)
            ids, item["caption"], head = before + ids, caption, before + head
        item["prompt_ids"] = head
        item["truncated"] = len(ids) > self.max_text
        if item["truncated"]:
            if self.too_long == "drop":
                return None
            ids = ids[: self.max_text]
        item["input_ids"] = ids
        if self.task == "im2svg":
            try:
                pixels = self.image(code, rng if self.augment else None)
            except (SVGError, ValueError):
                return None  # an SVG that cannot be drawn
            item["pixel_values"] = pixel_values([pixels], self.config)[0]
        return item

    def __getitem__(self, index: int) -> dict:
        """Item ``index``; an unusable row's place is taken by the next usable one."""
        rng = random.Random(index * 7919 + time.time_ns()) if self.augment else None
        for attempt in range(len(self.rows)):
            position = (index + attempt) % len(self.rows)
            item = self.example(self.rows[position], rng)
            if item is not None:
                return item
        raise TrainError("none of the rows is usable (no <svg>, no caption or cannot be drawn)")


def collate(batch: list[dict], pad_id: int, pack_to: int = 0) -> dict:
    """Items padded into one batch; the labels are the ids, -100 on padding.  ``pack_to``
    (text only): items packed first-fit into rows of at most that many tokens, each item's
    positions counted from 0 (attention still sees the earlier items of its row)."""
    sequences = [list(item["input_ids"]) for item in batch]
    positions = [list(range(len(s))) for s in sequences]
    if pack_to:
        rows: list[tuple[list[int], list[int]]] = []
        for ids, pos in zip(sequences, positions, strict=True):
            for row in rows:
                if len(row[0]) + len(ids) <= pack_to:
                    row[0].extend(ids)
                    row[1].extend(pos)
                    break
            else:
                rows.append((list(ids), list(pos)))
        sequences, positions = [r[0] for r in rows], [r[1] for r in rows]
    longest = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), longest), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), longest), dtype=torch.long)
    for row, sequence in enumerate(sequences):
        ids[row, : len(sequence)] = torch.tensor(sequence)
        mask[row, : len(sequence)] = 1
    out = {"input_ids": ids, "attention_mask": mask, "labels": ids.masked_fill(mask == 0, -100)}
    if pack_to:
        out["position_ids"] = torch.zeros_like(ids)
        for row, pos in enumerate(positions):
            out["position_ids"][row, : len(pos)] = torch.tensor(pos)
    if "pixel_values" in batch[0]:
        out["pixel_values"] = torch.stack([item["pixel_values"] for item in batch])
    return out


class StepBatches:
    """Batch indices for micro-step ``start`` on: shuffled epochs seeded by (seed, epoch), so
    that a resumed run sees the batches an uninterrupted one would; one share per process
    (global micro-batch ``g`` goes to rank ``g % world``), so the union over ranks is the
    one-process order whatever the number of processes."""

    def __init__(self, items: int, batch_size: int, seed: int, start: int, rank=0, world=1):
        self.items, self.batch_size, self.seed = items, batch_size, seed
        self.start, self.rank, self.world = start, rank, world

    def __iter__(self):
        per_epoch = max(1, self.items // self.batch_size)
        step = self.start * self.world + self.rank
        while True:
            epoch, position = divmod(step, per_epoch)
            order = list(range(self.items))
            random.Random(self.seed * 1_000_003 + epoch).shuffle(order)
            chunk = order[position * self.batch_size : (position + 1) * self.batch_size]
            while len(chunk) < self.batch_size:  # fewer items than a batch: repeat them
                chunk += order[: self.batch_size - len(chunk)]
            yield chunk
            step += self.world


class StreamBatches(torch.utils.data.IterableDataset):
    """Collated micro-batches from a stream of rows, for data read as it comes: global
    micro-batch ``g`` is the ``g``-th run of ``batch_size`` rows (epochs repeat the stream,
    reshuffled); rank ``r`` of ``world`` takes ``g % world == r`` from its micro-step ``start``
    on, and DataLoader worker ``w`` of ``W`` every ``W``-th of those, in the order the loader
    reads them back.  Resuming skips the rows already seen without tokenizing them.  An unusable
    row's place is taken by a usable one of the same batch."""

    def __init__(self, rows_of_epoch, code: SVGCode, batch_size, start, rank, world, collate_fn):
        self.rows_of_epoch, self.code, self.batch_size = rows_of_epoch, code, batch_size
        self.start, self.rank, self.world, self.collate_fn = start, rank, world, collate_fn

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        worker, workers = (info.id, info.num_workers) if info else (0, 1)
        rng = random.Random(self.rank * 1_000_003 + worker + time.time_ns())
        local = self.start  # this rank's next micro-step
        global_batch, epoch, last = 0, 0, None
        while True:
            rows, seen = [], 0
            for row in self.rows_of_epoch(epoch):
                seen += 1
                rows.append(row)
                if len(rows) < self.batch_size:
                    continue
                mine = global_batch % self.world == self.rank
                if mine and global_batch // self.world == local:
                    if (local - self.start) % workers == worker:
                        last = self._batch(rows, rng) or last  # all unusable: the last again
                        if last is not None:
                            yield last
                    local += 1
                global_batch += 1
                rows = []
            if not seen:
                raise TrainError("the stream has no rows")
            epoch += 1

    def _batch(self, rows, rng):
        items = [self.code.example(row, rng) for row in rows]
        usable = [item for item in items if item is not None]
        if not usable:
            return None
        items = [item or usable[i % len(usable)] for i, item in enumerate(items)]
        return self.collate_fn(items)
