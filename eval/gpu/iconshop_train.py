"""Train an IconShop-scale text-to-icon model on one GPU within a time budget, from a pack.

    python eval/gpu/iconshop_train.py --pack eval/gpu/pack \
        --config examples/configs/iconshop-gpu.yaml --minutes 7 --out $OUT
    python eval/gpu/iconshop_train.py --pack PACK --config examples/configs/iconshop-tiny.yaml \
        --minutes 0.2 --out /tmp/run          # the CPU smoke run the test suite does

The pack (``eval/gpu/iconshop_pack.py``) carries the tokenized icons, their keywords and an
int8 copy of the frozen MiniLM text encoder, so the device needs only torch and transformers.
The model, the captions (shuffled keywords / sentences / empty), fill-in-the-middle, the loss
on SVG tokens only and the length-bucketed batches are those of ``svgvl train iconshop``; what
differs is how it runs: bf16 autocast, fused AdamW, one large batch, batches made one step
ahead on a host thread, no host sync except at log, validation and save points, and a cosine
schedule sized to the time budget after the first timed steps (``train.max_steps`` caps it).

It prints tokens/s and the loss curve and writes to ``--out``: the weights (bf16 safetensors
in shards of ≤ 16 MB), ``model-meta.tar`` (config.json, tokenizer.json, the shard index,
training.json, samples.json — a few decoded samples per prompt), and ``train-log.jsonl``.
Unpack with ``eval/gpu/iconshop_unpack.sh`` (or ``tar xf``) beside the shards.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import queue
import random
import sys
import tarfile
import threading
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from svgvl.models.iconshop import IconShopForCausalLM  # noqa: E402
from svgvl.tokenize import PathTokenizer, TokenizerSpec  # noqa: E402
from svgvl.train.icon_data import Example  # noqa: E402
from svgvl.train.icon_data import make_batch as icon_batch  # noqa: E402
from svgvl.train.iconshop import load_config, model_config  # noqa: E402

SHARD = "16MB"  # 10**6 bytes: under the 16 MiB a returned file may have
PROMPTS = ["rocket", "heart", "settings", "user", "camera", "star", "house", "cloud"]


class QuantizedTextEncoder:
    """The pack's int8 MiniLM as a BERT on ``device``: ``encoder(texts, n) → (states, mask)``,
    the same contract as :class:`svgvl.models.text.TextEncoder`."""

    def __init__(self, pack: Path, device, dtype=torch.bfloat16):
        from safetensors import safe_open
        from transformers import AutoTokenizer, BertConfig, BertModel

        from svgvl.models.int8 import load_int8

        path = pack / "minilm-int8.safetensors"
        with safe_open(str(path), framework="pt") as f:
            config = BertConfig(**json.loads(f.metadata()["config"]))
        state = load_int8(path)
        kept = state.pop("kept_ids").long()
        words = torch.zeros(config.vocab_size, config.hidden_size)
        words[kept] = state.pop("embeddings.word_embeddings.weight")
        state["embeddings.word_embeddings.weight"] = words
        self.network = BertModel(config, add_pooling_layer=False)
        missing, unexpected = self.network.load_state_dict(state, strict=False)
        if unexpected or [m for m in missing if "position_ids" not in m]:
            raise ValueError(f"{path}: missing {missing}, unexpected {unexpected}")
        self.network.to(device=device, dtype=dtype).eval().requires_grad_(False)
        self.tokenizer = AutoTokenizer.from_pretrained(
            str(pack / "wordpiece"), local_files_only=True
        )
        self.device, self.dim = device, config.hidden_size

    def tokenize(self, texts: list[str], max_tokens: int):
        return self.tokenizer(
            list(texts), padding=True, truncation=True, max_length=max_tokens, return_tensors="pt"
        )

    @torch.no_grad()
    def encode(self, batch) -> tuple[torch.Tensor, torch.Tensor]:
        batch = {k: v.to(self.device, non_blocking=True) for k, v in batch.items()}
        states = self.network(**batch).last_hidden_state.float()
        return states, batch["attention_mask"].bool()

    def __call__(self, texts: list[str], max_tokens: int):
        return self.encode(self.tokenize(texts, max_tokens))


class Split:
    """One split of the pack: ids padded into one array, lengths, keyword labels."""

    def __init__(self, data, name: str, width: int):
        tokens, offsets = data[f"{name}_tokens"], data[f"{name}_offsets"]
        self.lengths = np.diff(offsets)
        self.ids = np.zeros((len(self.lengths), width), np.int64)
        for i, (a, b) in enumerate(zip(offsets[:-1], offsets[1:], strict=True)):
            self.ids[i, : b - a] = tokens[a:b]
        rows = json.loads(bytes(data[f"{name}_labels"]).decode())
        self.names = [r[0] for r in rows]
        self.labels = [{"title": r[1][0] if r[1] else r[0], "tags": r[1][1:]} for r in rows]

    def __len__(self) -> int:
        return len(self.lengths)


def make_batch(split: Split, rows, tokenizer, encoder, rng, t: dict, max_text: int):
    """Host tensors of one batch, made as ``svgvl train iconshop`` makes them
    (:func:`svgvl.train.icon_data.make_batch`: fill-in-the-middle, captions, padding), with the
    captions tokenized for the encoder."""
    examples = [
        Example(split.names[i], split.labels[i], split.ids[i, : split.lengths[i]].tolist())
        for i in rows
    ]
    texts, input_ids, _, labels = icon_batch(
        examples, tokenizer, rng, t["fim_rate"], t["empty_text_rate"]
    )
    input_ids, labels = torch.tensor(input_ids), torch.tensor(labels)
    text = encoder.tokenize(texts, max_text)
    batch = {"input_ids": input_ids, "labels": labels, "text": dict(text)}
    if torch.cuda.is_available():
        batch = {
            k: (
                {a: b.pin_memory() for a, b in v.items()} if isinstance(v, dict) else v.pin_memory()
            )
            for k, v in batch.items()
        }
    return batch


def batch_rows(lengths: np.ndarray, t: dict, start_group: int = 0):
    """Row indices of each batch: seeded permutations of the icons, drawn ``bucket`` batches at
    a time, sorted by length and cut into batches taken in a seeded order (as ``svgvl train
    iconshop`` does, in numpy: the python version costs milliseconds a batch at this size)."""
    n, size = len(lengths), t["batch_size"]
    bucket = max(1, min(t["bucket"], n // size))
    group = start_group
    while True:
        rng = np.random.default_rng([t["seed"], group])
        rows = (
            rng.permutation(n)[: bucket * size] if bucket * size <= n else rng.integers(0, n, size)
        )
        rows = rows[np.argsort(lengths[rows], kind="stable")]
        cut = [rows[j * size : (j + 1) * size] for j in range(len(rows) // size)]
        for j in rng.permutation(len(cut)):
            yield cut[j].tolist()
        group += 1


def batches(split, tokenizer, encoder, t, max_text, depth: int = 3):
    """Training batches, made ahead on a thread (the GPU never waits on Python for captions,
    fill-in-the-middle or WordPiece)."""
    out: queue.Queue = queue.Queue(maxsize=depth)

    def work():
        for step, rows in enumerate(batch_rows(split.lengths, t)):
            rng = random.Random(f"{t['seed']}:batch:{step}")
            out.put(make_batch(split, rows, tokenizer, encoder, rng, t, max_text))

    threading.Thread(target=work, daemon=True).start()
    while True:
        yield out.get()


def loss_of(model, encoder, batch, device):
    """Mean next-token cross-entropy on SVG tokens, computed without a host sync."""
    input_ids = batch["input_ids"].to(device, non_blocking=True)
    labels = batch["labels"].to(device, non_blocking=True)
    states, mask = encoder.encode(batch["text"])
    out = model(input_ids, attention_mask=labels != -100, text_states=states, text_mask=mask)
    logits = out.logits[:, :-1]
    return F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]).float(), labels[:, 1:].reshape(-1), ignore_index=-100
    ), (labels[:, 1:] != -100).sum()


def cosine(step: int, total: int, t: dict) -> float:
    if step < t["warmup_steps"]:
        return t["lr"] * (step + 1) / t["warmup_steps"]
    progress = min(1.0, (step - t["warmup_steps"]) / max(1, total - t["warmup_steps"]))
    return t["min_lr"] + 0.5 * (t["lr"] - t["min_lr"]) * (1 + math.cos(math.pi * progress))


@torch.no_grad()
def validate(model, encoder, split, tokenizer, t, max_text, device, n_batches: int) -> float:
    if not len(split):
        return float("nan")
    model.eval()
    rng = random.Random("val")
    order = list(range(len(split)))
    rng.shuffle(order)
    total = count = 0.0
    size = t["batch_size"]
    for b in range(min(n_batches, max(1, len(order) // size))):
        rows = order[b * size : (b + 1) * size]
        batch = make_batch(split, rows, tokenizer, encoder, rng, {**t, "fim_rate": 0}, max_text)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            loss, n = loss_of(model, encoder, batch, device)
        total += float(loss) * int(n)
        count += int(n)
    model.train()
    return total / max(count, 1)


@torch.no_grad()
def samples(model, encoder, prompts, per_prompt: int, max_text: int) -> dict:
    """A few decoded samples per prompt (plain sampling, top-p 0.5), to look at on the CPU."""
    model.eval()
    out = {}
    for prompt in prompts:
        states, mask = encoder([prompt], max_text)
        ids = model.generate(
            text_states=states.to(model.dtype),
            text_mask=mask,
            num_return_sequences=per_prompt,
            top_p=0.5,
            seed=0,
        )
        out[prompt] = [model.path_tokenizer.decode(row) for row in ids.tolist()]
    return out


def save_weights(model, out: Path) -> dict[str, bytes]:
    """bf16 shards in ``out``; returns the small files (config, tokenizer, index) by name."""
    staging = out / ".model"
    model.to(torch.bfloat16).save_pretrained(staging, max_shard_size=SHARD)
    small = {}
    for path in sorted(staging.iterdir()):
        if path.suffix == ".safetensors":
            path.rename(out / path.name)
        else:
            small[path.name] = path.read_bytes()
            path.unlink()
    staging.rmdir()
    return small


def write_meta(out: Path, files: dict[str, bytes]) -> None:
    """The small files as one tar (at most 8 files come back from the device)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    (out / "model-meta.tar").write_bytes(buffer.getvalue())


def json_log(path: Path):
    """``record(entry)``: one JSON line to ``path`` (flushed, so a killed run keeps its log) and
    to stdout (the device call's output); ``record.close()`` at the end."""
    handle = open(path, "w", encoding="utf-8")  # noqa: SIM115 - open for the whole run

    def record(entry: dict) -> None:
        handle.write(json.dumps(entry) + "\n")
        handle.flush()
        print(json.dumps(entry), flush=True)

    record.close = handle.close
    return record


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pack", type=Path, required=True)
    p.add_argument("--config", type=Path, required=True, help="svgvl train iconshop config")
    p.add_argument("--minutes", type=float, required=True, help="training time budget")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--samples", type=int, default=4, help="samples per prompt at the end")
    args = p.parse_args(argv)
    wall = time.time()
    cfg = load_config(args.config)
    t, e = cfg["train"], cfg["eval"]
    pack = json.loads((args.pack / "pack.json").read_text())
    config = model_config(cfg)
    if config.tokenizer_spec != TokenizerSpec(**pack["tokenizer_spec"]).to_dict():
        print("iconshop_train: the config's tokenizer is not the pack's", file=sys.stderr)
        return 1
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(t["seed"])
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    tokenizer = PathTokenizer(TokenizerSpec(**pack["tokenizer_spec"]))
    data = np.load(args.pack / "icons.npz")
    width = config.max_svg_tokens
    train, val = Split(data, "train", width), Split(data, "val", width)
    if int(train.lengths.max()) + 2 > width:
        print(
            f"iconshop_train: pack icons reach {train.lengths.max()} tokens; "
            f"model.max_svg_tokens {width} must leave 2 for fill-in-the-middle",
            file=sys.stderr,
        )
        return 1
    encoder = QuantizedTextEncoder(
        args.pack, device, torch.bfloat16 if device.type == "cuda" else torch.float32
    )
    model = IconShopForCausalLM(config).to(device)
    model.train()
    n_params = sum(p.numel() for p in model.parameters())
    decay = [p for p in model.parameters() if p.ndim >= 2]
    other = [p for p in model.parameters() if p.ndim < 2]
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": t["weight_decay"]},
            {"params": other, "weight_decay": 0},
        ],
        lr=t["lr"],
        betas=tuple(t["betas"]),
        fused=device.type == "cuda",
    )
    max_text = config.max_text_tokens
    print(
        f"iconshop_train: {n_params:,} parameters, {len(train):,} train / {len(val):,} val icons "
        f"({pack['train_tokens']:,} tokens), batch {t['batch_size']}, {device}, "
        f"budget {args.minutes} min",
        flush=True,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    record = json_log(args.out / "train-log.jsonl")

    budget = args.minutes * 60
    total = t["max_steps"]  # until the first timing says how many steps fit the budget
    # warm-up steps (allocator, kernels) run slow: time from the 10th step
    plan_at = [
        min(10, max(1, total // 20)),
        min(60, max(2, total // 8)),
        min(300, max(3, total // 4)),
    ]
    stream = batches(train, tokenizer, encoder, t, max_text)
    running = torch.zeros((), device=device)
    tokens = torch.zeros((), device=device, dtype=torch.long)
    start = time.time()
    mark = (start, 0)  # the last plan point: (time, step)
    step = 0
    curve = []
    while step < total:
        lr = cosine(step, total, t)
        for group in optimizer.param_groups:
            group["lr"] = lr
        batch = next(stream)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            loss, n = loss_of(model, encoder, batch, device)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), t["grad_clip"], foreach=True)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        running += loss.detach()
        tokens += n
        step += 1
        # Size the schedule to the budget from the recent step rate (one sync): first at the
        # plan points, then at every log point until the last tenth of the budget (steps get
        # faster as the allocator and clocks settle, so an early rate alone underfills it).
        replan = step in plan_at or (step > plan_at[-1] and step % t["log_every"] == 0)
        if replan and time.time() - start < 0.9 * budget:
            if device.type == "cuda":
                torch.cuda.synchronize()
            now = time.time()
            if step > plan_at[0]:
                per_step = (now - mark[0]) / (step - mark[1])
                fits = int((budget - (now - start)) / per_step) + step
                total = max(step + 1, min(t["max_steps"], fits))
                record({"step": step, "sec_per_step": round(per_step, 4), "planned_steps": total})
            mark = (now, step)
        if step % t["log_every"] == 0 or step == total:
            elapsed = time.time() - start
            entry = {
                "step": step,
                "loss": round(float(running) / (step - (curve[-1]["step"] if curve else 0)), 4),
                "lr": round(lr, 7),
                "tokens_per_s": round(int(tokens) / elapsed),
                "elapsed_s": round(elapsed, 1),
            }
            running.zero_()
            if e["every"] and (step % e["every"] == 0 or step == total):
                entry["val_loss"] = round(
                    validate(model, encoder, val, tokenizer, t, max_text, device, e["batches"]), 4
                )
            curve.append(entry)
            record(entry)
    train_s = time.time() - start
    summary = {
        "format": "svgvl-iconshop-gpu-run/1",
        "config": cfg,
        "config_file": str(args.config),
        "pack": {k: pack[k] for k in ("command", "train_icons", "val_icons", "train_tokens")},
        "sources": sorted({s["source"] for sets in pack["licences"].values() for s in sets}),
        "licences": [s for sets in pack["licences"].values() for s in sets],
        "parameters": n_params,
        "steps": step,
        "icons_seen": step * t["batch_size"],
        "epochs": round(step * t["batch_size"] / len(train), 2),
        "train_seconds": round(train_s, 1),
        "tokens_per_s": round(int(tokens) / train_s),
        "device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
        "torch": torch.__version__,
        "curve": curve,
    }
    meta = save_weights(model, args.out)  # first: nothing after this can lose the weights
    meta["training.json"] = json.dumps(summary, indent=1).encode()
    write_meta(args.out, meta)
    try:
        model.float()
        meta["samples.json"] = json.dumps(
            samples(model, encoder, PROMPTS, args.samples, max_text)
        ).encode()
        write_meta(args.out, meta)
    except Exception as error:  # noqa: BLE001 - the weights are saved; say what failed
        print(f"iconshop_train: sampling failed: {type(error).__name__}: {error}", flush=True)
    record(
        {
            "done": True,
            "steps": step,
            "train_seconds": summary["train_seconds"],
            "tokens_per_s": summary["tokens_per_s"],
            "wall_s": round(time.time() - wall, 1),
        }
    )
    record.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
