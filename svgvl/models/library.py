"""The icon library: the labelled training icons, tokenized, that generation can start from.

A model small enough to train on a CPU learns the common shapes of its data (hearts, houses,
users) but not the rare ones: the shipped model saw 19 rockets among 23k icons and draws none.
With a library, :func:`svgvl.engines.icons.generate_icons` looks up the icons whose titles
are closest to the prompt (MiniLM cosine, the model's own text encoder), keeps the first part
of one (whole sub-paths, :data:`KEEP` of its tokens) and lets the model draw the rest under the
prompt: a new icon that still reads as the concept.  Icons in the style the model would draw
for the prompt (stroked or filled, from its first fill token) are preferred when one of them
still names the concept well (:meth:`IconLibrary.search`): a model continues its own style
cleanly and breaks the other (the shipped model draws "rocket" stroked and scribbles over
filled rockets).  Each such icon names the library icon it started from,
and that icon's licence, in a comment (see :func:`provenance`).

The library is one safetensors file beside the checkpoint (:data:`LIBRARY_FILE`): the token
ids, one int8 sentence vector per distinct title, and the icons' ids, titles, licences and
styles in its metadata.  ``svgvl train iconshop`` writes it with the model; ``svgvl library`` builds one
for an existing checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

LIBRARY_FILE = "library.safetensors"
FORMAT = "svgvl-icon-library"
VERSION = 1
DEFAULT_MIN_MATCH = 0.6  # MiniLM cosine of prompt and title; "spaceship"/"space ship": 0.72
MARGIN = 0.2  # candidates: titles within this of the best match ...
CANDIDATES = 12  # ... at most this many icons
STYLE_MATCH = 0.75  # a title this close names the concept well enough to prefer a style
KEEP = (0.5, 0.85)  # share of an icon's tokens kept as the start, cut before a sub-path
# A variant must still look like its library icon (ink cosine at 32 px): below this the model
# has drawn over it (a filled disc, a scribble); measured on the default sheet's prompts,
# recognisable variants scored 0.5-0.97, the failures 0.07-0.3.
MIN_LIKENESS = 0.4


@dataclass(frozen=True)
class LibraryIcon:
    id: str
    title: str
    licence: str
    ids: tuple[int, ...]
    style: str = "filled"  # "stroked": its first path is an outline (fill none)


def drawing_style(ids, tokenizer) -> str:
    """ "stroked" when the first path of a ``<bos> <path> fill ...`` sequence has no fill."""
    none = tokenizer.vocab.paint_ids("none")[0]
    return "stroked" if len(ids) > 2 and ids[2] == none else "filled"


def tokenizer_digest(tokenizer) -> str:
    """What a library's token ids depend on: the tokenizer specification."""
    spec = json.dumps(tokenizer.spec.to_dict(), sort_keys=True).encode()
    return hashlib.sha256(spec).hexdigest()[:16]


class IconLibrary:
    """Tokenized icons with unit title vectors; :meth:`search` finds those a prompt names."""

    def __init__(self, icons: Sequence[LibraryIcon], vectors: np.ndarray, tokenizer: str):
        titles = sorted({icon.title for icon in icons})
        if len(vectors) != len(titles):
            raise ValueError(f"{len(vectors)} title vectors for {len(titles)} titles")
        self.icons = list(icons)
        self.titles = titles
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.tokenizer = tokenizer
        row = {title: i for i, title in enumerate(titles)}
        self._title_row = np.array([row[icon.title] for icon in self.icons], dtype=np.int64)
        self._styles = np.array([icon.style for icon in self.icons])

    def __len__(self) -> int:
        return len(self.icons)

    def __iter__(self):
        return iter(self.icons)

    @classmethod
    def build(cls, icons: Sequence[LibraryIcon], tokenizer, embed) -> IconLibrary:
        """A library of ``icons`` (token ids of ``tokenizer``; their ``style`` is read from the
        ids); ``embed``: texts → unit vectors (``TextEncoder.sentences`` of the model's text
        encoder)."""
        if not icons:
            raise ValueError("an icon library needs at least one icon")
        icons = [replace(icon, style=drawing_style(icon.ids, tokenizer)) for icon in icons]
        titles = sorted({icon.title for icon in icons})
        return cls(icons, embed(titles), tokenizer_digest(tokenizer))

    # -- storage -----------------------------------------------------------------------------

    def save(self, folder) -> Path:
        """Write :data:`LIBRARY_FILE` into ``folder`` (atomically); returns its path."""
        from safetensors.numpy import save

        from ..files import write_atomic

        tokens = np.array([t for icon in self.icons for t in icon.ids], dtype=np.int64)
        tokens = tokens.astype(np.uint16 if tokens.max(initial=0) < 2**16 else np.int32)
        offsets = np.cumsum([0] + [len(icon.ids) for icon in self.icons], dtype=np.int64)
        scales = np.maximum(np.abs(self.vectors).max(axis=1), 1e-12) / 127
        quantized = np.round(self.vectors / scales[:, None]).astype(np.int8)
        meta = {
            "format": FORMAT,
            "version": str(VERSION),
            "tokenizer": self.tokenizer,
            "titles": json.dumps(self.titles, ensure_ascii=False),
            "icons": json.dumps(
                [
                    [icon.id, self._title_row[i].item(), icon.licence, icon.style]
                    for i, icon in enumerate(self)
                ],
                ensure_ascii=False,
            ),
        }
        arrays = {
            "tokens": tokens,
            "offsets": offsets,
            "vectors": quantized,
            "scales": scales.astype(np.float32),
        }
        path = Path(folder) / LIBRARY_FILE
        write_atomic(path, save(arrays, metadata=meta), force=True)
        return path

    @classmethod
    def load(cls, path) -> IconLibrary:
        """A library file (or a folder holding one); OSError of one line when it is damaged."""
        from safetensors import safe_open

        path = Path(path)
        if path.is_dir():
            path = path / LIBRARY_FILE
        try:
            with safe_open(str(path), framework="numpy") as handle:
                meta = handle.metadata() or {}
                arrays = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
            if meta.get("format") != FORMAT or meta.get("version") != str(VERSION):
                raise ValueError(f"not a version-{VERSION} {FORMAT} file")
            titles = json.loads(meta["titles"])
            rows = json.loads(meta["icons"])
            tokens, offsets = arrays["tokens"].astype(np.int64), arrays["offsets"]
            if len(offsets) != len(rows) + 1 or offsets[-1] != len(tokens):
                raise ValueError("token offsets do not match the icons")
            icons = [
                LibraryIcon(rid, titles[t], licence, tuple(tokens[a:b].tolist()), style)
                for (rid, t, licence, style), a, b in zip(
                    rows, offsets[:-1], offsets[1:], strict=True
                )
            ]
            vectors = arrays["vectors"].astype(np.float32) * arrays["scales"][:, None]
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            return cls(icons, vectors, meta["tokenizer"])
        except FileNotFoundError:
            raise
        except Exception as error:  # noqa: BLE001 - a damaged file reads as one clear line
            raise OSError(f"{path}: not a readable icon library ({error})") from None

    # -- use ---------------------------------------------------------------------------------

    def search(self, vector: np.ndarray, min_match: float = DEFAULT_MIN_MATCH, style=None):
        """(score, icon) of the icons whose titles are closest to the unit ``vector``: those
        within :data:`MARGIN` of the best title and at least ``min_match``, best first, at most
        :data:`CANDIDATES`; empty when no title reaches ``min_match``.  With ``style``, only
        icons of that style when one of them still names the concept well: its title scores
        :data:`STYLE_MATCH` (or the best score, if that is lower).  The concept first, the
        style second: "house" takes a stroked "houses" (0.89) over a filled "house", but
        "spaceship" keeps its filled "space ship" (0.72) rather than a stroked "ship" (0.64)."""
        per_icon = (self.vectors @ np.asarray(vector, dtype=np.float32))[self._title_row]
        best = float(per_icon.max())
        if best < min_match:
            return []
        styled = self._styles == style
        if styled.any() and per_icon[styled].max() >= max(min_match, min(best, STYLE_MATCH)):
            per_icon = np.where(styled, per_icon, -np.inf)
            best = float(per_icon.max())
        keep = np.flatnonzero(per_icon >= max(min_match, best - MARGIN))
        order = keep[np.argsort(-per_icon[keep], kind="stable")][:CANDIDATES]
        return [(float(per_icon[i]), self.icons[i]) for i in order]


def start_of(icon: LibraryIcon, tokenizer, rng: random.Random) -> list[int]:
    """The first part of ``icon`` to draw on from: its tokens up to the start of a sub-path
    (or path) chosen by ``rng`` so that :data:`KEEP` of them stay; an icon without such a
    point keeps all but its last sub-path."""
    vocab = tokenizer.vocab
    starts = {vocab["M"], vocab["<path>"]}
    body = list(icon.ids[:-1])  # without <eos>
    cuts = [i for i, t in enumerate(body) if t in starts and i > 2]
    within = [i for i in cuts if KEEP[0] <= i / len(body) <= KEEP[1]]
    if within:
        return body[: rng.choice(within)]
    if cuts:
        return body[: cuts[-1]]
    return body[:2]  # <bos> <path>: only the title is kept


def likeness(svg: str, icon: LibraryIcon, tokenizer) -> float:
    """Ink cosine (32 px) of a drawing and a library icon: how much it still looks like it."""
    from ..metrics import ink_features

    drawing, source = ink_features([svg, tokenizer.decode(list(icon.ids))])
    return float(drawing @ source)


PROVENANCE = "<!-- svgvl: drawn on from the library icon "


def provenance(svg: str, icon: LibraryIcon) -> str:
    """``svg`` with a leading comment naming the library icon it started from."""
    licence = f", {icon.licence}" if icon.licence else ""
    name = f"{icon.id} ({icon.title}{licence})".replace("--", "- -")
    return f"{PROVENANCE}{name} -->\n{svg}"


def read_licences(folders) -> dict[str, str]:
    """Icon id → licence of the train split of dataset folders (plain SVG folders: none)."""
    from .. import data as datasets

    out: dict[str, str] = {}
    for folder in map(Path, folders):
        if (folder / "manifest.json").is_file():
            for record in datasets.load(folder, split="train"):
                out[record["id"]] = str(record.get("licence") or "")
    return out


def build_library(entries, folders, model) -> IconLibrary:
    """The icon library of ``model``: ``entries`` are ``(id, title, token ids)`` of its training
    icons, with the licences their dataset ``folders`` record (:func:`read_licences`)."""
    licences = read_licences(folders)
    icons = [
        LibraryIcon(icon_id, title, licences.get(icon_id, ""), tuple(ids))
        for icon_id, title, ids in entries
    ]
    return IconLibrary.build(icons, model.path_tokenizer, model.text_encoder.sentences)


__all__ = [
    "DEFAULT_MIN_MATCH",
    "LIBRARY_FILE",
    "IconLibrary",
    "LibraryIcon",
    "build_library",
    "drawing_style",
    "likeness",
    "provenance",
    "read_licences",
    "start_of",
]
