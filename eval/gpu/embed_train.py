"""Train a larger SVG–text embedding model on one GPU within a time budget, from a pack.

    python eval/gpu/embed_train.py --pack eval/gpu/embed-pack \
        --config examples/configs/embed-gpu.yaml --minutes 4 --out $OUT/embed
    python eval/gpu/embed_train.py --pack PACK --config TINY.yaml --minutes 0.1 --out /tmp/run
                                    # the CPU smoke run the test suite does

The pack (``eval/gpu/embed_pack.py``) carries the rendered icons, their texts and an int8 copy
of the frozen MiniLM.  The texts are encoded once on the device (bf16, the pack's encoder);
then every icon, text vector and title id lives on the GPU and a step never waits on the host:
rows from a seeded permutation on the device, the augmentation of ``svgvl train embed``
(:func:`svgvl.train.embed.augment`) on the device's generator, the model of
:mod:`svgvl.models.embedder` and its loss with same-title positives, bf16 autocast, fused AdamW,
channels-last.  The step count is planned from the measured step rate so the cosine schedule
(:func:`svgvl.train.embed.learning_rate`) ends inside ``--minutes``; ``train.steps`` caps it.

It prints images/s, the loss and the val recall (text → icon among the first
``train.eval_gallery`` val icons, as ``svgvl train embed`` logs it) and writes to ``--out``:
the weights (bf16 safetensors, shards ≤ 16 MB), ``model-meta.tar`` (config.json, the shard
index if any, training.json) and ``train-log.jsonl``.  ``eval/gpu/iconshop_unpack.sh OUT DIR``
makes the model folder that ``svgvl.understand.embed.load_embedder(DIR)`` loads.
"""

from __future__ import annotations

import argparse
import copy
import importlib.metadata
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from embed_pack import read_pack  # noqa: E402
from iconshop_train import QuantizedTextEncoder, json_log, save_weights, write_meta  # noqa: E402

from svgvl.models.embedder import EmbedderConfig, SvgTextEmbedder  # noqa: E402
from svgvl.models.text import sentence_vectors  # noqa: E402
from svgvl.train.embed import DEFAULTS, augment, learning_rate, plain_pixels, recall_at  # noqa: E402
from svgvl.train.loop import read_config  # noqa: E402

MAX_TEXT_TOKENS = 32  # as svgvl.train.embed_data.prepare encodes them


def gpu_defaults() -> dict:
    """``svgvl train embed``'s settings, plus what only this run has."""
    d = copy.deepcopy(DEFAULTS)
    d["model"]["vision_kwargs"] = None  # any timm keyword arguments (None: the architecture's own)
    d["train"].update(
        {
            "steps": 100_000,  # a cap: the budget plans the real count
            "grad_clip": 1.0,
            "channels_last": True,
            "text_batch": 4096,
        }
    )
    return d


@torch.no_grad()
def encode_texts(encoder, texts: list[str], batch: int) -> torch.Tensor:
    """U×D float32 unit sentence vectors on the encoder's device, in ``texts``' order (encoded
    shortest first, so a batch carries little padding)."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = torch.empty(len(texts), encoder.dim, device=encoder.device)
    for start in range(0, len(order), batch):
        rows = order[start : start + batch]
        states, mask = encoder([texts[i] for i in rows], MAX_TEXT_TOKENS)
        out[torch.tensor(rows, device=encoder.device)] = sentence_vectors(states, mask).float()
    return out


class Budget:
    """The planned step count: from the step rate measured at a few early steps, then at every
    log point until the last tenth of the budget (steps speed up as kernels and clocks settle)."""

    def __init__(self, seconds: float, cap: int, every: int):
        self.seconds, self.cap, self.every = seconds, cap, max(1, every)
        self.total = cap
        self.points = {min(10, max(1, cap // 20)), min(60, max(2, cap // 8))}
        self.start = time.time()
        self.mark = (self.start, 0)

    def due(self, step: int) -> bool:
        late = step > max(self.points) and step % self.every == 0
        return (step in self.points or late) and time.time() - self.start < 0.9 * self.seconds

    def replan(self, step: int) -> dict | None:
        """Called (after a device sync) where :meth:`due`; the plan entry for the log."""
        now = time.time()
        entry = None
        if step > min(self.points):
            per_step = (now - self.mark[0]) / (step - self.mark[1])
            fits = step + int((self.seconds - (now - self.start)) / per_step)
            self.total = max(step + 1, min(self.cap, fits))
            entry = {"step": step, "sec_per_step": round(per_step, 5), "planned_steps": self.total}
        self.mark = (now, step)
        return entry


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pack", type=Path, required=True)
    p.add_argument("--config", type=Path, required=True, help="svgvl train embed config")
    p.add_argument("--minutes", type=float, required=True, help="training time budget")
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    wall = time.time()
    try:
        cfg, where = read_config(args.config, gpu_defaults())
        items, images, pack = read_pack(args.pack)
    except (OSError, ValueError) as error:  # TrainError is a ValueError
        print(f"embed_train: {error}", file=sys.stderr)
        return 1
    m, a, t = cfg["model"], cfg["augment"], cfg["train"]
    if m["image_size"] != pack["image_size"]:
        print(
            f"embed_train: {where}: model.image_size {m['image_size']} is not the pack's "
            f"{pack['image_size']} (repack from data prepared at that size)",
            file=sys.stderr,
        )
        return 1
    train_rows = np.array([i for i, item in enumerate(items) if item["split"] == "train"])
    val_rows = np.array([i for i, item in enumerate(items) if item["split"] == "val"], int)
    size = t["batch_size"]
    if not 2 <= size <= len(train_rows):
        print(
            f"embed_train: {where}: train.batch_size must be in 2..{len(train_rows)}",
            file=sys.stderr,
        )
        return 1
    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    torch.backends.cudnn.benchmark = True
    args.out.mkdir(parents=True, exist_ok=True)
    record = json_log(args.out / "train-log.jsonl")

    # Texts: each distinct string encoded once; an icon's K texts are rows of that table.
    began = time.time()
    encoder = QuantizedTextEncoder(args.pack, device, torch.bfloat16 if cuda else torch.float32)
    distinct = sorted({text for item in items for text in item["texts"]})
    row_of = {text: n for n, text in enumerate(distinct)}
    vectors = encode_texts(encoder, distinct, t["text_batch"])
    del encoder
    variants = len(items[0]["texts"])
    text_rows = torch.tensor([[row_of[x] for x in item["texts"]] for item in items], device=device)
    titles = {}
    title_ids = torch.tensor(
        [titles.setdefault(item["title"], len(titles)) for item in items], device=device
    )
    mono = torch.tensor([item["mono"] for item in items], device=device)
    pixels_u8 = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous().to(device)
    train_index = torch.from_numpy(train_rows).to(device)
    record(
        {
            "setup": True,
            "icons": {"train": len(train_rows), "val": len(val_rows)},
            "texts": len(distinct),
            "encode_s": round(time.time() - began, 1),
            "device": torch.cuda.get_device_name() if cuda else "cpu",
        }
    )

    torch.manual_seed(t["seed"])
    model = SvgTextEmbedder(
        EmbedderConfig(
            **{**m, "vision_kwargs": m["vision_kwargs"] or {}}, text_dim=vectors.shape[1]
        )
    ).to(device)
    memory = torch.channels_last if t["channels_last"] else torch.contiguous_format
    model.to(memory_format=memory).train()
    params = [q for q in model.parameters() if q.requires_grad]
    optimizer = torch.optim.AdamW(  # as svgvl.train.loop.adamw: no decay on vectors
        [
            {"params": [q for q in params if q.ndim >= 2], "weight_decay": t["weight_decay"]},
            {"params": [q for q in params if q.ndim < 2], "weight_decay": 0.0},
        ],
        lr=t["lr"],
        betas=(0.9, 0.98),
        fused=cuda,
    )
    n_params = sum(q.numel() for q in model.parameters())
    print(
        f"embed_train: {m['vision_model']} {n_params:,} parameters, {len(train_rows):,} train / "
        f"{len(val_rows):,} val icons, {len(distinct):,} texts, batch {size}, {device}, "
        f"budget {args.minutes} min",
        flush=True,
    )

    gallery = val_rows[: t["eval_gallery"]]
    val_pixels = plain_pixels(images[gallery])
    val_vectors = vectors[text_rows[torch.from_numpy(gallery).to(device), 0]].cpu()
    val_titles = [items[n]["title"] for n in gallery]

    def validate(step):
        if len(gallery) > 1:
            scores = recall_at(model, val_pixels.to(memory_format=memory), val_vectors, val_titles)
            record({"step": step, "val": {k: round(v, 4) for k, v in scores.items()}})
            return scores
        return {}

    budget = Budget(args.minutes * 60, t["steps"], t["log_every"])
    gen = torch.Generator(device).manual_seed(t["seed"])
    per_epoch = len(train_rows) // size
    running = torch.zeros((), device=device)
    step, last, curve, val = 0, (time.time(), 0), [], {}
    order = None
    while step < budget.total:
        epoch, index = divmod(step, per_epoch)
        if index == 0 or order is None:
            order = train_index[torch.randperm(len(train_rows), generator=gen, device=device)]
        rows = order[index * size : (index + 1) * size]
        variant = torch.randint(0, variants, (size,), generator=gen, device=device)
        rgba = pixels_u8[rows].float().div_(255)
        pixels = augment(rgba, mono[rows], a, gen).contiguous(memory_format=memory)
        texts = vectors[text_rows[rows, variant]]
        same = title_ids[rows][:, None] == title_ids[rows][None, :]
        lr = learning_rate(step, {**t, "steps": budget.total})
        for group in optimizer.param_groups:
            group["lr"] = lr
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cuda):
            loss = model(pixels, texts, same)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, t["grad_clip"], foreach=True)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        running += loss.detach()
        step += 1
        if budget.due(step):
            if cuda:
                torch.cuda.synchronize()
            entry = budget.replan(step)
            if entry:
                record(entry)
        if step % t["log_every"] == 0 or step == budget.total:
            now = time.time()
            entry = {
                "step": step,
                "epoch": round(step * size / len(train_rows), 2),
                "loss": round(float(running) / (step - last[1]), 4),
                "lr": round(lr, 7),
                "temperature": round(1 / model.logit_scale.exp().item(), 4),
                "images_per_s": round((step - last[1]) * size / max(now - last[0], 1e-6)),
                "elapsed_s": round(now - budget.start, 1),
            }
            running.zero_()
            last = (time.time(), step)
            curve.append(entry)
            record(entry)
        if t["eval_every"] and step % t["eval_every"] == 0 and step < budget.total:
            validate(step)
            last = (time.time(), last[1])  # validation time is not training speed
    train_s = time.time() - budget.start
    val = validate(step)
    summary = {
        "format": "svgvl-embed-gpu-run/1",
        "config": cfg,
        "config_file": str(args.config),
        "pack": {k: pack.get(k) for k in ("command", "splits", "sources", "loss")},
        "licences": pack.get("licences", {}),
        "text_encoder": {
            "trained_on": "the pack's int8 MiniLM (bf16 on the device)",
            "int8_min_cosine": pack.get("int8_min_cosine"),
        },
        "parameters": n_params,
        "steps": step,
        "batch_size": size,
        "images_seen": step * size,
        "epochs": round(step * size / len(train_rows), 2),
        "train_seconds": round(train_s, 1),
        "images_per_s": round(step * size / train_s),
        "val": val,
        "device": torch.cuda.get_device_name() if cuda else "cpu",
        "torch": torch.__version__,
        "timm": importlib.metadata.version("timm"),
        "curve": curve,
    }
    model.to(memory_format=torch.contiguous_format)
    meta = save_weights(model, args.out)  # bf16 shards ≤ 16 MB
    meta["training.json"] = json.dumps(summary, indent=1).encode()
    write_meta(args.out, meta)
    record(
        {
            "done": True,
            "steps": step,
            "train_seconds": summary["train_seconds"],
            "images_per_s": summary["images_per_s"],
            "val": val,
            "wall_s": round(time.time() - wall, 1),
        }
    )
    record.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
