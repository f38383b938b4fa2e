"""Datasets of real SVGs with text labels: icon sets, emoji, brand logos, font glyphs, folders.

    from svgvl import data
    manifest = data.build("iconify:tabler", "datasets/tabler")    # fetch, normalise, dedup, shard
    for record in data.load("datasets/tabler", split="train"):     # dicts, in id order
        record["labels"]["name"], record["normalized"]
    data.SOURCES                                                   # {source: one-line help}

A build writes JSONL shards (``data-00000.jsonl``, ...), ``dropped.jsonl`` and ``manifest.json``;
see :mod:`svgvl.data.dataset` for the layout and :mod:`svgvl.data.records` for a record's fields.
Packages are fetched with ``npm pack`` / ``pip download`` into ``$SVGVL_CACHE/packages``
(default ``~/.cache/svgvl/packages``) and read from there afterwards.
"""

from __future__ import annotations

from ..lazy import lazy_names

# Imported on first use, so that the CLI lists the sources without loading the builders.
_API = {
    "build": ".dataset",
    "info": ".dataset",
    "load": ".dataset",
    "source_of": ".dataset",
    "DataError": ".errors",
    "cache_dir": ".packages",
    "SPLIT_NAMES": ".records",
    "SOURCES": ".sources",
}

__all__ = list(_API)


__getattr__ = lazy_names(__name__, _API)
