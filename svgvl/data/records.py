"""Dataset records: one icon, emoji, logo or glyph with its labels, licence and split.

A source yields :class:`Item` objects (raw SVG plus what the source says about it); :func:`record`
turns one into the stored dict or says why it cannot be one.  Everything here is a pure function
of the item, so a record never depends on which other items were built before it — except for
deduplication, which the builder does by the ``hash`` field.

Normalised SVG: ``svgvl.svg.normalize`` with the document's own coordinate system kept (the
viewBox size, origin moved to 0,0; no fixed canvas, so a 24-unit icon grid stays a 24-unit grid),
gradients kept, and ``svgvl.svg.write`` at its automatic precision (1/2000 of the canvas).  A
model or tokenizer that wants a fixed canvas scales from there.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

# svgvl.svg is imported inside svg_text and record: `svgvl --help` imports this module (for the
# source table) and stays fast without lxml.

# (split, share): a record's split follows from its id alone, so it never changes between builds,
# versions or machines, and an icon never moves from test into train when a set grows.
SPLITS = (("train", 0.90), ("val", 0.05), ("test", 0.05))
SPLIT_NAMES = tuple(name for name, _ in SPLITS)

# An SPDX expression's stand-in when the source does not say (https://spdx.org/licenses/).
UNKNOWN_LICENCE = "NOASSERTION"

MAX_SVG_BYTES = 16 * 1024 * 1024


@dataclass
class Item:
    """What a source knows about one drawing, before normalisation.

    ``svg`` is the SVG as published (plus only the changes the source documents, e.g. an Iconify
    body wrapped in ``<svg>``); ``error`` says why there is none (a glyph that cannot be drawn, a
    file that cannot be read), and the item is then dropped with that reason.
    """

    id: str
    svg: str | None
    labels: dict
    licence: str
    meta: dict = field(default_factory=dict)
    error: str | None = None


def labels(name: str, title: str | None = None, tags=(), category: str | None = None) -> dict:
    """The text fields every record has: ``name`` (the source's identifier), ``title`` (words a
    person would use), ``tags`` (search terms and aliases, as given, without repeats) and
    ``category`` (None where the source has none)."""
    seen: list[str] = []
    for tag in tags:
        text = str(tag).strip()
        if text and text not in seen:
            seen.append(text)
    return {
        "name": name,
        "title": title if title is not None else name.replace("-", " ").replace("_", " "),
        "tags": seen,
        "category": category,
    }


def split_of(record_id: str) -> str:
    """``train``, ``val`` or ``test`` from the first 8 bytes of sha256(id) (90/5/5)."""
    fraction = int.from_bytes(hashlib.sha256(record_id.encode("utf-8")).digest()[:8], "big") / 2**64
    edge = 0.0
    for name, share in SPLITS:
        edge += share
        if fraction < edge:
            return name
    return SPLITS[-1][0]


def content_hash(normalized: str) -> str:
    """The deduplication key: two records with the same normalised SVG are the same drawing."""
    return "sha256:" + hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def svg_text(data: bytes, name: str | None = None) -> str:
    """SVG file content as text: gzip (.svgz) undone, any declared encoding decoded.

    Raises :class:`svgvl.svg.SVGError` (a ValueError) when it is not SVG text."""
    from ..svg import SVGError, parse
    from ..svg.parse import gunzip

    if data[:2] == b"\x1f\x8b":
        data = gunzip(data, MAX_SVG_BYTES, name)
    if len(data) > MAX_SVG_BYTES:
        raise SVGError(f"too large (over {MAX_SVG_BYTES:,} bytes)", name)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return parse(data, name=name).tostring().decode("utf-8")


def record(item: Item, source: str) -> tuple[dict | None, str | None]:
    """(record, None) for a usable item, or (None, reason) for one that is dropped.

    Reasons are short and stable (they are counted): ``unreadable: ...``, ``invalid SVG: ...``,
    ``draws nothing``, and ``normalisation failed: ...`` for an error inside svgvl (a bug to
    report, counted apart so that it shows).
    """
    from ..svg import normalize, parse, write

    if item.error or item.svg is None:
        return None, f"unreadable: {item.error or 'no SVG'}"
    try:
        # strict: a file with broken path data is left out of a dataset, not drawn in part
        drawing = normalize(parse(item.svg.encode("utf-8"), name=item.id), strict=True)
        normalized = write(drawing)
    except (ValueError, RecursionError) as error:  # SVGError is a ValueError
        return None, f"invalid SVG: {getattr(error, 'reason', None) or error}"
    except Exception as error:  # noqa: BLE001 - one odd file must not stop a 40,000-item build
        return None, f"normalisation failed: {type(error).__name__}: {error}"
    if not drawing.paths:
        return None, "draws nothing"
    return {
        "id": item.id,
        "source": source,
        "licence": item.licence or UNKNOWN_LICENCE,
        "split": split_of(item.id),
        "labels": item.labels,
        "svg": item.svg,
        "normalized": normalized,
        "hash": content_hash(normalized),
        "notes": [f"normalisation dropped {what}" for what in drawing.dropped],
        "meta": item.meta,
    }, None
