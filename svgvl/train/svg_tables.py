"""SVG datasets as tables, read through Hugging Face ``datasets``: the published StarVector sets
(SVG-Stack, SVG-Icons, SVG-Fonts, SVG-Emoji, Text2SVG-Stack) and anything in their layout — one
row per drawing, its code in ``Svg``, its name in ``Filename`` and, for text-to-SVG, captions
(``caption_blip2`` and ``caption_llava`` in Text2SVG-Stack, ``Caption`` in SVG-Emoji).

    --data hf:starvector/svg-stack          the hub (HF_HUB_OFFLINE honoured: the local cache)
    --data hf:starvector/svg-stack:train    a split named in the spec wins over the config's
    --data runs/my-set                      a folder written by ``Dataset.save_to_disk``

Column names come from the config (``data.columns``).  A map-style table is memory-mapped
Arrow, so a rank holds the rows it reads, not the set; ``data.streaming`` reads the hub's files
as a stream instead (for sets that do not fit on the disk).  Rows come out in svgvl's shape:
``{"id", "svg", "captions"}``.
"""

from __future__ import annotations

import os
from pathlib import Path

from .loop import TrainError

COLUMNS = {"svg": "Svg", "id": "Filename", "caption": ["caption_blip2", "caption_llava", "Caption"]}
"""The published sets' column names: ``data.columns``'s defaults."""


def is_table_spec(data) -> bool:
    """Whether ``data`` names a table: ``hf:NAME[:split]`` or a folder ``save_to_disk`` wrote."""
    if str(data).startswith("hf:"):
        return True
    folder = Path(data)
    return any((folder / name).is_file() for name in ("dataset_dict.json", "dataset_info.json"))


def _datasets():
    try:
        import datasets
    except ImportError:
        raise TrainError(
            "reading a Hugging Face dataset needs the datasets package: pip install datasets"
        ) from None
    return datasets


def open_table(data, split: str, *, streaming: bool = False):
    """The table of ``split`` (a ``datasets.Dataset``, or an ``IterableDataset`` when
    streaming), or None when the set has no such split."""
    datasets = _datasets()
    text = str(data)
    if text.startswith("hf:"):
        name, _, named = text[3:].partition(":")
        if not name:
            raise TrainError(f"{data}: name a dataset after hf: (hf:NAME or hf:NAME:SPLIT)")
        try:
            return datasets.load_dataset(name, split=named or split, streaming=streaming)
        except ValueError as error:
            if "split" in str(error).lower() and not named:
                return None  # a set without (say) a val split: nothing to validate on
            raise TrainError(f"{data}: {error}") from None
        except (OSError, ConnectionError) as error:
            offline = os.environ.get("HF_HUB_OFFLINE") not in (None, "", "0")
            hint = " (HF_HUB_OFFLINE is set: only cached sets load)" if offline else ""
            raise TrainError(
                f"{data}: cannot load it{hint}; pass a folder saved with "
                f"Dataset.save_to_disk instead ({error})"
            ) from None
    table = datasets.load_from_disk(str(data))
    if isinstance(table, datasets.DatasetDict):
        if split not in table:
            return None
        table = table[split]
    return table.to_iterable_dataset() if streaming else table


def check_columns(names, columns: dict, where, task: str) -> None:
    """One clear error when the table lacks a configured column (``names``: its columns;
    None when a stream does not know them yet)."""
    if names is None:
        return
    wanted = [columns["svg"]] + ([columns["id"]] if columns.get("id") else [])
    missing = [name for name in wanted if name not in names]
    captions = _caption_columns(columns)
    if task == "text2svg" and not any(name in names for name in captions):
        missing.append(" or ".join(captions) or "a caption column")
    if missing:
        raise TrainError(
            f"{where}: no column {', '.join(missing)} (columns: {', '.join(names)}); "
            "set data.columns"
        )


def _caption_columns(columns: dict) -> list[str]:
    caption = columns.get("caption") or []
    return [caption] if isinstance(caption, str) else list(caption)


def row_of(record: dict, columns: dict, index: int) -> dict:
    """A table row in svgvl's shape: ``id`` (the name column, else the row's index), ``svg``,
    ``captions`` (the non-empty caption columns' texts)."""
    name = columns.get("id")
    captions = [record.get(c) for c in _caption_columns(columns)]
    return {
        "id": str(record[name]) if name and record.get(name) is not None else str(index),
        "svg": record.get(columns["svg"]) or "",
        "captions": [str(c) for c in captions if isinstance(c, str) and c.strip()],
    }


class TableRows:
    """A map-style table as a sequence of rows in svgvl's shape, read one at a time."""

    def __init__(self, table, columns: dict):
        self.table, self.columns = table, columns

    def __len__(self) -> int:
        return len(self.table)

    def __getitem__(self, index: int) -> dict:
        return row_of(self.table[int(index)], self.columns, int(index))


def stream_rows(table, columns: dict, seed: int, epoch: int):
    """The rows of a streamed table for one epoch, shuffled in a buffer by (seed, epoch) when
    the stream can be."""
    if hasattr(table, "shuffle"):
        table = table.shuffle(seed=seed, buffer_size=1000)
        if hasattr(table, "set_epoch"):
            table.set_epoch(epoch)
    for index, record in enumerate(table):
        yield row_of(record, columns, index)
