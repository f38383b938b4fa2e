"""The text-to-icon training data: icons as token ids with their labels, IconShop's captions,
and the seeded batches a run draws from them.

- **examples**: dataset folders built by ``svgvl data build`` (a split of them; the text comes
  from each record's name/title, tags and category) or plain folders of ``.svg`` files (all for
  training; the label is the file name with - and _ as spaces), tokenized once with the model's
  :class:`~svgvl.tokenize.PathTokenizer` and cached; icons too long or that do not tokenize are
  counted and left out.
- **captions**, drawn anew each step: the keywords shuffled (the title always among them), a
  short sentence ("a rocket icon"), or, at ``empty_rate``, nothing.
- **batches** follow from (seed, index) alone, so a resumed run sees the batches an unbroken one
  would have; :class:`TextCache` keeps the frozen text encoder's outputs per distinct text.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import sys
from collections import Counter, OrderedDict
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from .. import data as datasets
from ..data.records import labels as labels_of
from ..data.records import svg_text
from ..files import write_atomic

TEMPLATES = ("{}", "{} icon", "a {} icon", "an icon of {}", "a simple {} symbol", "{} pictogram")


@dataclass
class Example:
    id: str
    labels: dict
    ids: list[int]


def _is_dataset(folder: Path) -> bool:
    return (folder / "manifest.json").is_file()


def _svg_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".svg", ".svgz"))


def _folder_digest(folder: Path) -> str:
    """What a folder's tokenized cache depends on: its dataset shards, or its SVG files."""
    digest = hashlib.sha256()
    if _is_dataset(folder):
        digest.update((folder / "manifest.json").read_bytes())
    else:
        for path in _svg_files(folder):
            stat = path.stat()
            digest.update(
                f"{path.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode()
            )
    return digest.hexdigest()


def _records(folder: Path, split: str):
    """(id, labels, svg) of one split of a dataset folder or an SVG folder (all of it: train)."""
    if _is_dataset(folder):
        for record in datasets.load(folder, split=split):
            yield record["id"], record["labels"], record.get("normalized") or record["svg"]
        return
    if split != "train":
        return
    for path in _svg_files(folder):
        name = str(path.relative_to(folder).with_suffix(""))
        try:
            text = svg_text(path.read_bytes(), str(path))
        except (OSError, ValueError):
            text = None
        yield name, labels_of(path.stem), text


def load_examples(folders, split: str, tokenizer, max_len: int, cache: Path | None, progress=True):
    """Tokenized examples of one split and the count of icons left out, by reason."""
    examples: list[Example] = []
    dropped: Counter = Counter()
    for folder in map(Path, folders):
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder}: no such data folder")
        key = hashlib.sha256(
            json.dumps(
                [_folder_digest(folder), tokenizer.spec.to_dict(), max_len, split, 1]
            ).encode()
        ).hexdigest()[:20]
        cached = cache / f"tokens-{split}-{key}.json" if cache else None
        if cached and cached.is_file():
            try:
                stored = json.loads(cached.read_text(encoding="utf-8"))
                examples += [Example(*item) for item in stored["examples"]]
                dropped.update(stored["dropped"])
                continue
            except (OSError, ValueError, KeyError, TypeError):
                pass
        found, lost = [], Counter()
        records = _records(folder, split)
        for rid, labels, svg in tqdm(
            records, desc=f"tokenize {folder.name} {split}", disable=not progress, file=sys.stderr
        ):
            try:
                ids = tokenizer.encode(svg) if svg else None
            except (ValueError, RecursionError):
                ids = None
            if ids is None:
                lost["does not tokenize"] += 1
            elif len(ids) > max_len:
                lost[f"longer than {max_len} tokens"] += 1
            elif len(ids) <= 2:
                lost["draws nothing"] += 1
            else:
                found.append(Example(rid, labels, ids))
        if cached:
            content = {"examples": [[e.id, e.labels, e.ids] for e in found], "dropped": lost}
            write_atomic(cached, json.dumps(content, separators=(",", ":")), force=True)
        examples += found
        dropped.update(lost)
    return examples, dict(dropped)


def keywords(labels: dict) -> list[str]:
    """The title (or name) first, then tags and category, each once."""
    title = str(labels.get("title") or labels.get("name") or "").replace("-", " ").replace("_", " ")
    words = [title, *map(str, labels.get("tags") or []), str(labels.get("category") or "")]
    out: list[str] = []
    for word in words:
        word = " ".join(word.lower().split())
        if word and word not in out:
            out.append(word)
    return out


def caption(labels: dict, rng: random.Random, empty_rate: float = 0.1) -> str:
    """IconShop's text mix: shuffled keywords, a short sentence, or (at ``empty_rate``) ''."""
    words = keywords(labels)
    if not words or rng.random() < empty_rate:
        return ""
    others = words[1:]
    if rng.random() < 0.5:
        chosen = [words[0], *rng.sample(others, min(len(others), rng.randint(0, 5)))]
        rng.shuffle(chosen)
        return ", ".join(chosen)
    text = rng.choice(TEMPLATES).format(words[0])
    if others and rng.random() < 0.5:
        text += ", " + ", ".join(rng.sample(others, min(len(others), 3)))
    return text


def library_entries(examples) -> list[tuple[str, str, list[int]]]:
    """``(id, title, token ids)`` of tokenized examples, for the model's icon library
    (:func:`svgvl.models.library.build_library`): the title is the first keyword."""
    return [(e.id, (keywords(e.labels) or [e.id])[0], e.ids) for e in examples]


@functools.lru_cache(maxsize=4)
def _permutation(n: int, seed: int, epoch: int) -> tuple[int, ...]:
    order = list(range(n))
    random.Random(f"{seed}:epoch:{epoch}").shuffle(order)
    return tuple(order)


def batch_indices(n: int, batch_size: int, seed: int, index: int, lengths=None, bucket=1):
    """Micro-batch ``index`` of an endless stream of seeded permutations of ``range(n)``.

    With ``lengths`` and ``bucket`` > 1, each run of ``bucket`` batches is drawn together,
    sorted by length and cut into batches taken in a seeded order: a batch then holds icons of
    similar length, so less of it is padding.  A dataset of fewer than ``bucket`` batches
    groups fewer (a batch of copies of one icon teaches nothing about the text).
    """

    def stream(position: int) -> int:
        return _permutation(n, seed, position // n)[position % n]

    bucket = min(bucket, n // batch_size)  # a group never holds the dataset twice over
    if lengths is None or bucket <= 1:
        return [stream(p) for p in range(index * batch_size, (index + 1) * batch_size)]
    group, k = divmod(index, bucket)
    size = bucket * batch_size
    items = sorted(
        (stream(p) for p in range(group * size, (group + 1) * size)), key=lengths.__getitem__
    )
    batches = [items[j * batch_size : (j + 1) * batch_size] for j in range(bucket)]
    random.Random(f"{seed}:group:{group}").shuffle(batches)
    return batches[k]


def make_batch(examples, tokenizer, rng: random.Random, fim_rate: float, empty_rate: float):
    """(texts, input_ids, attention_mask, labels) as lists; labels -100 on padding."""
    texts, seqs = [], []
    for example in examples:
        ids = example.ids
        if fim_rate and rng.random() < fim_rate:
            ids = tokenizer.random_fim(ids, rng)
        seqs.append(ids)
        texts.append(caption(example.labels, rng, empty_rate))
    width = max(map(len, seqs))
    pad = tokenizer.pad_id
    input_ids = [s + [pad] * (width - len(s)) for s in seqs]
    mask = [[1] * len(s) + [0] * (width - len(s)) for s in seqs]
    labels = [s + [-100] * (width - len(s)) for s in seqs]
    return texts, input_ids, mask, labels


class TextCache:
    """Frozen text-encoder outputs per distinct text (least recently used go first)."""

    def __init__(self, encode, size: int):
        self.encode, self.size = encode, size
        self.entries: OrderedDict[str, object] = OrderedDict()

    def __call__(self, texts: list[str], device):
        missing = list(dict.fromkeys(t for t in texts if t not in self.entries))
        if missing:
            states, mask = self.encode(missing)
            for i, text in enumerate(missing):
                self.entries[text] = states[i, : int(mask[i].sum())].to("cpu", torch.float16)
        rows = []
        for text in texts:
            self.entries.move_to_end(text)
            rows.append(self.entries[text])
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)
        width = max(r.shape[0] for r in rows)
        states = torch.zeros(len(rows), width, rows[0].shape[1])
        mask = torch.zeros(len(rows), width, dtype=torch.bool)
        for i, row in enumerate(rows):
            states[i, : row.shape[0]] = row.float()
            mask[i, : row.shape[0]] = True
        return states.to(device), mask.to(device)
