"""The image → SVG training data: SVG files read from a dataset or a folder, their code
tokenized as the model writes it, rendered on the fly as the model's input image, and batched in
an order that a resumed run repeats.

- an item is the SVG code from ``<svg`` on (no XML declaration, doctype, comments) plus
  end-of-sequence; SVGs with no ``<svg`` or longer than the token budget are counted and left out;
- the image is the SVG rendered at the encoder's size (white background, aspect kept), with light
  augmentation that keeps the geometry (render scale jitter, slight blur).
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


def read_svgs(data: str | os.PathLike, split: str, field: str = "svg") -> list[tuple[str, str]]:
    """``(id, svg)`` pairs of one split (or ``all``) of a dataset folder or a folder of SVGs."""
    folder = Path(data)
    if not folder.is_dir():
        raise TrainError(f"{data}: no such folder (pass a dataset or a folder of .svg files)")
    if (folder / "manifest.json").is_file():
        records = datasets.load(folder, None if split == "all" else split)
        return [(r["id"], r[field]) for r in records]
    pairs = []
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
        pairs.append((name, text))
    return pairs


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


class SVGImages:
    """Items for the model: the SVG rendered at the encoder's size, its token ids."""

    def __init__(self, items, tokenizer, model_config, max_text_tokens: int, augment: bool):
        self.config = model_config
        self.augment = augment
        self.items, self.dropped = [], {"no <svg>": 0, "too long": 0}
        prompt = model_config.prompt
        codes = []
        for item_id, text in items:
            code = svg_code(text)
            if code is None or not code.startswith(prompt):
                self.dropped["no <svg>"] += 1
            else:
                codes.append((item_id, code))
        for start in range(0, len(codes), 1000):  # the tokenizer is fastest on batches
            chunk = codes[start : start + 1000]
            encoded = encode(tokenizer, [code for _, code in chunk], prompt)
            for (item_id, code), ids in zip(chunk, encoded, strict=True):
                if len(ids) > max_text_tokens:
                    self.dropped["too long"] += 1
                else:
                    self.items.append((item_id, code, ids))

    def __len__(self) -> int:
        return len(self.items)

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

    def __getitem__(self, index: int) -> dict:
        rng = random.Random(index * 7919 + time.time_ns()) if self.augment else None
        for attempt in range(len(self.items)):
            item_id, code, ids = self.items[(index + attempt) % len(self.items)]
            try:
                pixels = self.image(code, rng)
            except (SVGError, ValueError):
                continue  # an SVG that cannot be drawn: the next item stands in
            return {"pixel_values": pixel_values([pixels], self.config)[0], "input_ids": ids}
        raise TrainError("none of the SVGs can be rendered")


def collate(batch: list[dict], pad_id: int) -> dict:
    """Items padded into one batch; the labels are the ids, -100 on padding."""
    longest = max(len(item["input_ids"]) for item in batch)
    ids = torch.full((len(batch), longest), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), longest), dtype=torch.long)
    for row, item in enumerate(batch):
        ids[row, : len(item["input_ids"])] = torch.tensor(item["input_ids"])
        mask[row, : len(item["input_ids"])] = 1
    return {
        "pixel_values": torch.stack([item["pixel_values"] for item in batch]),
        "input_ids": ids,
        "attention_mask": mask,
        "labels": ids.masked_fill(mask == 0, -100),
    }


class StepBatches:
    """Batch indices for micro-step ``start`` on: shuffled epochs seeded by (seed, epoch), so
    that a resumed run sees the batches an uninterrupted one would; one share per process."""

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
