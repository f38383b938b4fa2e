"""``svgvl train starvector``: fine-tune a StarVector-style image → SVG model on SVG files.

    svgvl train starvector --config examples/configs/starvector-tiny.yaml \\
        --data datasets/tabler --out runs/tiny [--max-steps N]

- **data** (:mod:`svgvl.train.svg_code_data`): a dataset folder built by ``svgvl data build``
  (its train/val splits) or any folder of ``.svg`` files (split by id as datasets are), each SVG
  rendered on the fly as the input image; the target is its code.
- **model** and **fine-tuning** (:mod:`svgvl.train.finetuning`): a new model or ``init_from`` a
  saved/official one; LoRA, full or a frozen decoder; the adapter always trained.
- **run**: accelerate (bf16 on GPU, fp32 on CPU), AdamW with warmup and a cosine schedule,
  gradient clipping; checkpoints every ``save_every`` steps in ``OUT/checkpoints`` (a rerun of the
  same command resumes from the last one); validation every ``val_every`` steps: greedy SVGs
  for a few val items, repaired and rendered, SSIM against the target's render; the final model
  (LoRA merged) in ``OUT/model`` with its tokenizer and a model card.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import shutil
import sys
import time
from pathlib import Path

import torch
import yaml
from accelerate.utils import set_seed
from torch.utils.data import DataLoader
from tqdm import tqdm
from transformers import get_constant_schedule_with_warmup, get_cosine_schedule_with_warmup

from ..engines.starvector import rerank, sample_svgs
from ..models.starvector import context_length
from .finetuning import apply_finetuning, build_model, parameter_counts
from .loop import (
    TrainError,
    adamw,
    due,
    log_line,
    make_accelerator,
    optimizer_step,
    read_config,
    replacing,
    resolve_paths,
)
from .svg_code_data import StepBatches, SVGImages, collate, read_svgs

DEFAULTS: dict = {
    "model": {
        "decoder": None,  # hub id or path of a pretrained causal LM ...
        "decoder_config": None,  # ... or a config for a random one ({model_type: ..., ...})
        "tokenizer": None,  # default: the decoder's
        "vision_backend": "open_clip",  # or transformers (SigLIP, CLIP, ... by path or hub id)
        "vision": "ViT-L-14",  # open_clip model name, or the transformers model's path/hub id
        "vision_config": None,  # a config instead, for a random tower
        "vision_weights": None,  # open_clip weights file or pretrained tag
        "vision_layers": None,
        "vision_norm": None,
        "adapter_norm": "batch_norm",
        "adapter_dropout": 0.1,
        "init_from": None,  # a saved svgvl StarVector folder or an official checkpoint
        "generation": None,  # sampling defaults saved with the model
    },
    "finetune": {
        "decoder": "lora",  # lora | full | frozen
        "lora": {
            "r": 16,
            "alpha": 32,
            "dropout": 0.05,
            "target_modules": ["c_attn", "c_proj", "c_fc"],
        },
        "vision": "frozen",  # frozen | full
        "gradient_checkpointing": False,
    },
    "data": {
        "svg_field": "svg",  # svg (as published) | normalized (svgvl.svg.normalize)
        "max_length": 8192,  # tokens, visual tokens included; longer SVGs are left out
        "augment": True,
        "train_split": "train",  # train | val | test | all
        "val_split": "val",
    },
    "optim": {
        "lr": 2e-4,
        "weight_decay": 1e-6,
        "betas": [0.95, 0.999],
        "warmup_steps": 100,
        "schedule": "cosine",  # cosine | constant
        "max_steps": 10000,
        "batch_size": 2,
        "grad_accum": 1,
        "grad_clip": 1.0,
    },
    "run": {
        "seed": 0,
        "mixed_precision": "auto",  # auto (bf16 on GPU, no on CPU) | bf16 | fp16 | no
        "log_every": 10,
        "save_every": 500,
        "keep_checkpoints": 2,
        "val_every": 500,
        "val_items": 8,
        "num_workers": 0,
    },
}
CHOICES = {
    ("finetune", "decoder"): ("lora", "full", "frozen"),
    ("finetune", "vision"): ("frozen", "full"),
    ("data", "svg_field"): ("svg", "normalized"),
    ("data", "train_split"): ("train", "val", "test", "all"),
    ("data", "val_split"): ("train", "val", "test", "all"),
    ("optim", "schedule"): ("cosine", "constant"),
    ("run", "mixed_precision"): ("auto", "bf16", "fp16", "no"),
}
PATH_SETTINGS = ("decoder", "tokenizer", "vision", "vision_weights", "init_from")


# -- config ------------------------------------------------------------------------------------


def load_config(path: str | os.PathLike, overrides: dict | None = None) -> dict:
    """The YAML config merged over :data:`DEFAULTS` (:func:`~svgvl.train.loop.read_config`),
    checked; relative paths in ``model`` are resolved against the config file's folder when
    they exist there."""
    config, where = read_config(path, DEFAULTS, overrides)
    resolve_paths(config["model"], PATH_SETTINGS, path)
    check(config, where)
    return config


def check(config: dict, where: str) -> None:
    for (section, key), allowed in CHOICES.items():
        if config[section][key] not in allowed:
            raise TrainError(
                f"{where}: {section}.{key} must be one of {', '.join(allowed)}, "
                f"got {config[section][key]!r}"
            )
    model = config["model"]
    if not (model["init_from"] or model["decoder"] or model["decoder_config"]):
        raise TrainError(f"{where}: model needs decoder, decoder_config or init_from")
    if model["decoder"] and model["decoder_config"]:
        raise TrainError(f"{where}: model takes decoder (pretrained) or decoder_config, not both")
    if not (model["init_from"] or model["tokenizer"] or model["decoder"]):
        raise TrainError(f"{where}: a random decoder needs model.tokenizer")
    optim = config["optim"]
    for key in ("max_steps", "batch_size", "grad_accum"):
        if int(optim[key]) < 1:
            raise TrainError(f"{where}: optim.{key} must be at least 1")
    for key in ("log_every", "save_every", "val_every"):
        if int(config["run"][key]) < 0:
            raise TrainError(f"{where}: run.{key} must be >= 0 (0: never)")


# -- validation --------------------------------------------------------------------------------


def validate(model, tokenizer, dataset: SVGImages, items: int, max_new_tokens: int) -> dict:
    """Greedy SVGs for the first ``items`` items: repaired, rendered at 256 px, SSIM against the
    target SVG's render."""
    picked = dataset.items[:items]
    if not picked:
        return {}
    scores, repaired = [], 0
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for _id, code, _ids in picked:
                image = dataset.image(code)
                text = sample_svgs(
                    model, tokenizer, [image], do_sample=False, max_new_tokens=max_new_tokens
                )[0]
                score, _svg, repairs = rerank(text, code, size=256)[0]
                scores.append(score)
                repaired += bool(repairs)
    finally:
        model.train(was_training)
    return {
        "val_ssim": sum(scores) / len(scores),
        "val_repaired": repaired / len(scores),
        "val_items": len(scores),
    }


# -- the run -----------------------------------------------------------------------------------


def _checkpoints(out: Path) -> list[Path]:
    folder = out / "checkpoints"
    if not folder.is_dir():
        return []
    found = [
        p for p in folder.iterdir() if p.name.startswith("step-") and (p / "state.json").is_file()
    ]
    return sorted(found, key=lambda p: int(p.name.split("-")[1]))


def _same_run(out: Path, config: dict) -> None:
    saved = out / "config.json"
    if not saved.is_file():
        return
    previous = json.loads(saved.read_text(encoding="utf-8"))
    a, b = copy.deepcopy(previous), copy.deepcopy(config)
    a["optim"].pop("max_steps", None)
    b["optim"].pop("max_steps", None)
    if a != b:
        raise TrainError(
            f"{out} holds a run with another config; resume it with that config or pass "
            "another --out"
        )


def train(
    config_path: str | os.PathLike,
    data: str | os.PathLike,
    out: str | os.PathLike,
    *,
    max_steps: int | None = None,
    overrides: dict | None = None,
    progress: bool = True,
    log=None,
) -> dict:
    """Train (or resume) as the config says; returns a summary (steps, losses, validation,
    parameter counts, the model folder)."""
    config = load_config(config_path, overrides)
    if max_steps is not None:
        config["optim"]["max_steps"] = int(max_steps)
    if not Path(data).is_dir():
        raise TrainError(f"{data}: no such folder (pass a dataset or a folder of .svg files)")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _same_run(out, config)
    log_file = open(out / "train.log", "a", encoding="utf-8")  # noqa: SIM115 - closed below

    def say(message: str) -> None:
        line = f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}"
        log_file.write(line + "\n")
        log_file.flush()
        (log or (lambda m: print(m, file=sys.stderr)))(message)

    try:
        return _train(config, data, out, say, progress)
    finally:
        log_file.close()


def _datasets(config: dict, data, model, tokenizer, say) -> tuple[SVGImages, SVGImages, int]:
    """The train and val sets and the token budget left for SVG code (after the visual
    tokens, within the decoder's context)."""
    model_config = model.config
    max_text = int(config["data"]["max_length"]) - model.num_visual_tokens
    context = context_length(model_config)
    if context is not None:
        max_text = min(max_text, context - model.num_visual_tokens)
    if max_text < 8:
        raise TrainError(f"data.max_length leaves {max_text} tokens for the SVG code")
    field = config["data"]["svg_field"]
    train_set = SVGImages(
        read_svgs(data, config["data"]["train_split"], field),
        tokenizer,
        model_config,
        max_text,
        bool(config["data"]["augment"]),
    )
    val_set = SVGImages(
        read_svgs(data, config["data"]["val_split"], field),
        tokenizer,
        model_config,
        max_text,
        False,
    )
    if not len(train_set):
        raise TrainError(
            f"{data}: no usable SVGs in the {config['data']['train_split']} split "
            f"(left out: {train_set.dropped})"
        )
    dropped = ", ".join(f"{n} {why}" for why, n in train_set.dropped.items() if n)
    say(
        f"data: {len(train_set):,} training SVGs"
        + (f" ({dropped} left out)" if dropped else "")
        + f", {len(val_set):,} validation SVGs, from {data}"
    )
    return train_set, val_set, max_text


def _scheduler(optimizer, optim: dict):
    """Warmup, then cosine decay to 0 at ``max_steps`` or a constant rate."""
    steps, warmup = int(optim["max_steps"]), int(optim["warmup_steps"])
    if optim["schedule"] == "cosine":
        return get_cosine_schedule_with_warmup(optimizer, warmup, steps)
    return get_constant_schedule_with_warmup(optimizer, warmup)


def _train(config: dict, data, out: Path, say, progress: bool) -> dict:
    optim, run, finetune = config["optim"], config["run"], config["finetune"]
    accelerator, precision = make_accelerator(run["mixed_precision"])
    set_seed(int(run["seed"]))

    model, tokenizer = build_model(config)
    model_config = model.config
    train_set, val_set, max_text = _datasets(config, data, model, tokenizer, say)

    visual = model.num_visual_tokens
    model, description = apply_finetuning(model, finetune)
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    trainable, total = parameter_counts(model)
    say(
        f"model: {total:,} parameters, {trainable:,} trainable ({100 * trainable / total:.2f}%); "
        f"{description}; {model_config.text_config.model_type} decoder, {visual} visual tokens"
    )
    say(f"device: {accelerator.device}, mixed precision: {precision}")

    optimizer = adamw(
        model.parameters(), float(optim["lr"]), float(optim["weight_decay"]), optim["betas"]
    )
    steps = int(optim["max_steps"])
    scheduler = _scheduler(optimizer, optim)
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)

    step = 0
    checkpoints = _checkpoints(out)
    if checkpoints:
        accelerator.load_state(str(checkpoints[-1]))
        state = json.loads((checkpoints[-1] / "state.json").read_text(encoding="utf-8"))
        step = int(state["step"])
        say(f"resumed from {checkpoints[-1]} at step {step}")
    elif accelerator.is_main_process:
        (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")

    final = out / "model"
    if step >= steps and (final / "config.json").is_file():
        say(f"already trained to step {step}; the model is in {final}")
        return {"steps": step, "model": str(final), "last": None}
    accum = int(optim["grad_accum"])
    batches = StepBatches(
        len(train_set),
        int(optim["batch_size"]),
        int(run["seed"]),
        step * accum,
        accelerator.process_index,
        accelerator.num_processes,
    )
    workers = int(run["num_workers"])
    loader = DataLoader(
        train_set,
        batch_sampler=batches,
        collate_fn=functools.partial(collate, pad_id=tokenizer.pad_token_id),
        num_workers=workers,
        persistent_workers=workers > 0,
    )
    val_tokens = min(max_text, max((len(ids) for _, _, ids in val_set.items), default=1) + 16)
    history: list[dict] = []
    losses: list[float] = []
    tokens_seen = 0
    started = time.time()
    bar = tqdm(
        total=steps,
        initial=min(step, steps),
        unit="step",
        disable=not progress or not accelerator.is_main_process or None,
        file=sys.stderr,
    )
    model.train()
    batch_iter = iter(loader)

    def micro_loss(_micro: int):
        nonlocal tokens_seen
        batch = {k: v.to(accelerator.device) for k, v in next(batch_iter).items()}
        tokens_seen += int(batch["attention_mask"].sum())
        return model(**batch).loss

    while step < steps:
        losses += optimizer_step(
            accelerator,
            model,
            optimizer,
            micro_loss,
            accum,
            grad_clip=float(optim["grad_clip"] or 0),
            scheduler=scheduler,
        )
        step += 1
        bar.update()
        entry = None
        if due(step, run["log_every"], steps):
            recent = losses[-accum * int(run["log_every"]) :]
            entry = {
                "step": step,
                "loss": sum(recent) / len(recent),
                "lr": scheduler.get_last_lr()[0],
                "tokens_per_s": tokens_seen / max(time.time() - started, 1e-9),
            }
            bar.set_postfix(loss=f"{entry['loss']:.4f}")
        if len(val_set) and due(step, run["val_every"], steps):
            with accelerator.autocast():
                scores = validate(base, tokenizer, val_set, int(run["val_items"]), val_tokens)
            entry = {**(entry or {"step": step}), **scores}
        if entry:
            history.append(entry)
            say(
                f"step {step}: "
                + ", ".join(
                    f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                    for k, v in entry.items()
                    if k != "step"
                )
            )
            if accelerator.is_main_process:
                log_line(out / "log.jsonl", entry)
        if due(step, run["save_every"], steps) and step < steps:
            _save_checkpoint(accelerator, out, step, int(run["keep_checkpoints"]))
    bar.close()

    if not accelerator.is_main_process:
        return {"steps": step, "model": str(final)}
    _save_checkpoint(accelerator, out, step, int(run["keep_checkpoints"]))
    summary = {
        "steps": step,
        "trainable_parameters": trainable,
        "total_parameters": total,
        "finetuning": description,
        "train_items": len(train_set),
        "val_items": len(val_set),
        "last": history[-1] if history else None,
        "model": str(final),
    }
    unwrapped = accelerator.unwrap_model(model)
    if hasattr(unwrapped, "merge_and_unload"):
        unwrapped = unwrapped.merge_and_unload()
    with replacing(final) as temp:
        unwrapped.save_pretrained(temp)
        tokenizer.save_pretrained(temp)
        (temp / "README.md").write_text(_model_card(config, data, summary, history), "utf-8")
        umask = os.umask(0)
        os.umask(umask)
        for file in temp.iterdir():  # some savers create 0600 files; outputs get the usual mode
            file.chmod(0o666 & ~umask)
    say(f"model saved in {final} ({step} steps)")
    return summary


def _save_checkpoint(accelerator, out: Path, step: int, keep: int) -> None:
    folder = out / "checkpoints" / f"step-{step:07d}"
    accelerator.save_state(str(folder))
    if accelerator.is_main_process:
        (folder / "state.json").write_text(json.dumps({"step": step}) + "\n", encoding="utf-8")
        for old in _checkpoints(out)[: -max(keep, 1)]:
            shutil.rmtree(old, ignore_errors=True)


def _model_card(config: dict, data, summary: dict, history: list[dict]) -> str:
    """The final model's README: what it is, its data and licences, the command, the config
    and the validation scores over the run."""
    rows = [h for h in history if "val_ssim" in h]
    table = "\n".join(
        f"| {h['step']} | {h.get('loss', float('nan')):.4f} | {h['val_ssim']:.4f} | "
        f"{h['val_repaired']:.2f} |"
        for h in rows
    )
    manifest = Path(data) / "manifest.json"
    sources = "a folder of SVG files (licences as its files state)"
    if manifest.is_file():
        info = json.loads(manifest.read_text(encoding="utf-8"))
        licences = ", ".join(f"{k} ({v})" for k, v in info["counts"]["licence"].items())
        sources = f"svgvl dataset `{info['source']}` (licences: {licences})"
    spec = config["model"]
    decoder = spec["decoder"] or spec["decoder_config"] or spec["init_from"]
    return f"""---
library_name: transformers
tags: [svg, image-to-svg, starvector, svgvl]
---

# StarVector-style image → SVG model (svgvl)

Vision tower → adapter → visual tokens prepended to a code LLM that writes SVG code
(`svgvl.models.starvector`).  Load with `StarVectorForCausalLM.from_pretrained(this folder)` or use
`svgvl vectorize IMAGE --engine starvector --model THIS_FOLDER`.

- Decoder: `{decoder if isinstance(decoder, str) else decoder.get("model_type")}`;
  vision: `{spec["vision_config"] or spec["vision"]}` ({spec["vision_backend"]});
  {summary["finetuning"]} (LoRA merged into the weights).
- Parameters: {summary["total_parameters"]:,} ({summary["trainable_parameters"]:,} trained).
- Data: {sources}; {summary["train_items"]:,} training and {summary["val_items"]:,} validation
  SVGs; {summary["steps"]} steps.
- Training command: `svgvl train starvector --config CONFIG --data {data} --out OUT`
  with the config below.

## Validation (greedy decoding, repaired, render SSIM against the target)

| step | loss | SSIM | repaired |
|---|---|---|---|
{table or "| - | - | - | - |"}

## Config

```yaml
{yaml.safe_dump(config, sort_keys=False).strip()}
```
"""


__all__ = ["DEFAULTS", "TrainError", "train", "load_config"]
