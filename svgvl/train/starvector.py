"""``svgvl train starvector``: fine-tune a StarVector-style image → SVG model on SVG files.

    svgvl train starvector --config examples/configs/starvector-tiny.yaml \\
        --data datasets/tabler --out runs/tiny [--max-steps N]

- **data**: a dataset folder built by ``svgvl data build`` (its train/val splits) or any folder of
  ``.svg`` files (split by id as datasets are).  Each SVG is rendered on the fly at the encoder's
  size (white background, aspect kept) with light augmentation that keeps the geometry (render
  scale jitter, slight blur); the target is the SVG code from ``<svg`` on, plus end-of-sequence.
- **model**: a new model from a decoder and a vision tower (pretrained or random, see
  :meth:`StarVectorForCausalLM.from_parts`), or ``init_from`` a saved/official one.
- **fine-tuning**: LoRA on the decoder through peft (rank, alpha, dropout, target modules), or full
  fine-tuning, or a frozen decoder; the adapter is always trained; the vision tower frozen or
  trained; gradient checkpointing on request.
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
import random
import shutil
import sys
import time
from pathlib import Path

from .loop import (
    TrainError,
    adamw,
    log_line,
    make_accelerator,
    optimizer_step,
    read_config,
    replace_folder,
    resolve_paths,
)

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


# -- model -------------------------------------------------------------------------------------


def build_model(config: dict):
    """``(model, tokenizer)`` as the ``model`` section says."""
    from ..models.starvector import StarVectorForCausalLM
    from ..models.starvector_checkpoints import load
    from ..models.starvector_parts import load_tokenizer

    spec = config["model"]
    if spec["init_from"]:
        model, tokenizer = load(spec["init_from"])
        model.train()
    else:
        tokenizer = load_tokenizer(spec["tokenizer"] or spec["decoder"])
        vision = spec["vision_config"] if spec["vision_config"] is not None else spec["vision"]
        model = StarVectorForCausalLM.from_parts(
            decoder=spec["decoder"] or spec["decoder_config"],
            vision=vision,
            vision_backend=spec["vision_backend"],
            vision_weights=spec["vision_weights"],
            vision_layers=spec["vision_layers"],
            vision_norm=spec["vision_norm"],
            adapter_norm=spec["adapter_norm"],
            adapter_dropout=spec["adapter_dropout"],
            tokenizer=tokenizer,
            generation_defaults=spec["generation"],
        )
    if spec["generation"]:
        model.config.generation_defaults = dict(spec["generation"])
    return model, tokenizer


def lora_target(names) -> str:
    """peft's ``target_modules`` as a regex that matches the decoder's modules only (the
    adapter and open_clip towers have ``c_fc``/``c_proj`` too)."""
    if isinstance(names, str):
        names = [names]
    return r"language_model\..*\.(?:" + "|".join(map(str, names)) + r")"


def apply_finetuning(model, finetune: dict):
    """Freeze and wrap as ``finetune`` says; returns ``(model, description)``: the model may now
    be a peft model (LoRA), whose base is the StarVector model."""
    for parameter in model.parameters():
        parameter.requires_grad = False
    parts = []
    if finetune["decoder"] == "full":
        for parameter in model.language_model.parameters():
            parameter.requires_grad = True
        parts.append("decoder fully fine-tuned")
    elif finetune["decoder"] == "lora":
        from peft import LoraConfig, get_peft_model

        lora = finetune["lora"]
        model = get_peft_model(
            model,
            LoraConfig(
                r=int(lora["r"]),
                lora_alpha=float(lora["alpha"]),
                lora_dropout=float(lora["dropout"]),
                target_modules=lora_target(lora["target_modules"]),
            ),
        )
        targets = lora["target_modules"]
        targets = ", ".join(targets) if isinstance(targets, list) else targets
        parts.append(f"LoRA on the decoder (r={lora['r']}, alpha={lora['alpha']}, on {targets})")
    else:
        parts.append("decoder frozen")
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    for module in (base.projector, base.ln_vision):
        for parameter in module.parameters():
            parameter.requires_grad = True
    parts.append("adapter trained")
    if finetune["vision"] == "full":
        for parameter in base.vision_tower.parameters():
            parameter.requires_grad = True
        parts.append("vision encoder trained")
    else:
        parts.append("vision encoder frozen")
    if finetune["gradient_checkpointing"]:
        base.gradient_checkpointing_enable()
        if hasattr(model, "enable_input_require_grads"):
            model.enable_input_require_grads()
        parts.append("gradient checkpointing")
    return model, "; ".join(parts)


def parameter_counts(model) -> tuple[int, int]:
    total = trainable = 0
    for parameter in model.parameters():
        total += parameter.numel()
        trainable += parameter.numel() if parameter.requires_grad else 0
    return trainable, total


# -- data --------------------------------------------------------------------------------------


def read_svgs(data: str | os.PathLike, split: str, field: str = "svg") -> list[tuple[str, str]]:
    """``(id, svg)`` pairs of one split (or ``all``) of a dataset folder or a folder of SVGs."""
    from ..data.records import split_of, svg_text

    folder = Path(data)
    if not folder.is_dir():
        raise TrainError(f"{data}: no such folder (pass a dataset or a folder of .svg files)")
    if (folder / "manifest.json").is_file():
        from .. import data as datasets

        records = datasets.load(folder, None if split == "all" else split)
        return [(r["id"], r[field]) for r in records]
    pairs = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".svg", ".svgz")):
        name = path.relative_to(folder).as_posix()
        if split != "all" and split_of(name) != split:
            continue
        try:
            text = svg_text(path.read_bytes(), name)
            if field == "normalized":
                from ..svg import normalize, parse, write

                text = write(normalize(parse(text.encode("utf-8"), name=name)))
        except (OSError, ValueError):
            continue  # unreadable files are skipped, as dataset builds drop them
        pairs.append((name, text))
    return pairs


def svg_code(text: str) -> str | None:
    """The code the model writes: from ``<svg`` on (no XML declaration, doctype, comments)."""
    start = text.find("<svg")
    return text[start:].strip() if start >= 0 else None


def encode(tokenizer, texts: list[str], prompt: str) -> list[list[int]]:
    """Token ids of targets that start with the prompt: the prompt tokenised alone (as the
    engine gives it), then the rest of the code, then end-of-sequence."""
    head = tokenizer(prompt, add_special_tokens=False).input_ids
    rests = tokenizer([t[len(prompt) :] for t in texts], add_special_tokens=False).input_ids
    return [head + rest + [tokenizer.eos_token_id] for rest in rests]


class SVGImages:
    """Items for the model: the SVG rendered at the encoder's size, its token ids."""

    def __init__(self, items, tokenizer, model_config, max_text_tokens: int, augment: bool):
        self.config = model_config
        self.augment = augment
        self.items, self.dropped = [], {"no <svg>": 0, "too long": 0}
        prompt = model_config.prompt
        codes = []
        for item_id, text in items:
            code = svg_code(text)
            if code is None or not code.startswith(prompt):
                self.dropped["no <svg>"] += 1
            else:
                codes.append((item_id, code))
        for start in range(0, len(codes), 1000):  # the tokenizer is fastest on batches
            chunk = codes[start : start + 1000]
            encoded = encode(tokenizer, [code for _, code in chunk], prompt)
            for (item_id, code), ids in zip(chunk, encoded, strict=True):
                if len(ids) > max_text_tokens:
                    self.dropped["too long"] += 1
                else:
                    self.items.append((item_id, code, ids))

    def __len__(self) -> int:
        return len(self.items)

    def image(self, svg: str, rng: random.Random | None = None):
        """The SVG's render (S×S×3 uint8), lightly augmented when ``rng`` is given."""
        import numpy as np
        from PIL import Image, ImageFilter

        from ..render import rasterize

        size = self.config.image_size
        if rng is None:
            return rasterize(svg, size)
        render = size
        if rng.random() < 0.5:  # resampling artefacts of another resolution
            render = max(8, round(size * rng.uniform(0.6, 1.6)))
        pixels = rasterize(svg, render)
        image = Image.fromarray(pixels)
        if render != size:
            image = image.resize((size, size), Image.Resampling.BICUBIC)
        if rng.random() < 0.3:
            image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 0.8)))
        return np.asarray(image)

    def __getitem__(self, index: int) -> dict:
        from ..engines.starvector import pixel_values
        from ..svg import SVGError

        rng = random.Random(index * 7919 + time.time_ns()) if self.augment else None
        for attempt in range(len(self.items)):
            item_id, code, ids = self.items[(index + attempt) % len(self.items)]
            try:
                pixels = self.image(code, rng)
            except (SVGError, ValueError):
                continue  # an SVG that cannot be drawn: the next item stands in
            return {"pixel_values": pixel_values([pixels], self.config)[0], "input_ids": ids}
        raise TrainError("none of the SVGs can be rendered")


def collate(batch: list[dict], pad_id: int) -> dict:
    import torch

    longest = max(len(item["input_ids"]) for item in batch)
    ids = torch.full((len(batch), longest), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), longest), dtype=torch.long)
    for row, item in enumerate(batch):
        ids[row, : len(item["input_ids"])] = torch.tensor(item["input_ids"])
        mask[row, : len(item["input_ids"])] = 1
    return {
        "pixel_values": torch.stack([item["pixel_values"] for item in batch]),
        "input_ids": ids,
        "attention_mask": mask,
        "labels": ids.masked_fill(mask == 0, -100),
    }


class StepBatches:
    """Batch indices for micro-step ``start`` on: shuffled epochs seeded by (seed, epoch), so
    that a resumed run sees the batches an uninterrupted one would; one share per process."""

    def __init__(self, items: int, batch_size: int, seed: int, start: int, rank=0, world=1):
        self.items, self.batch_size, self.seed = items, batch_size, seed
        self.start, self.rank, self.world = start, rank, world

    def __iter__(self):
        per_epoch = max(1, self.items // self.batch_size)
        step = self.start * self.world + self.rank
        while True:
            epoch, position = divmod(step, per_epoch)
            order = list(range(self.items))
            random.Random(self.seed * 1_000_003 + epoch).shuffle(order)
            chunk = order[position * self.batch_size : (position + 1) * self.batch_size]
            while len(chunk) < self.batch_size:  # fewer items than a batch: repeat them
                chunk += order[: self.batch_size - len(chunk)]
            yield chunk
            step += self.world


# -- validation --------------------------------------------------------------------------------


def validate(model, tokenizer, dataset: SVGImages, items: int, max_new_tokens: int) -> dict:
    """Greedy SVGs for the first ``items`` items: repaired, rendered at 256 px, SSIM against the
    target SVG's render."""
    import torch

    from ..engines.starvector import rerank, sample_svgs

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


def _train(config: dict, data, out: Path, say, progress: bool) -> dict:
    from accelerate.utils import set_seed

    optim, run, finetune = config["optim"], config["run"], config["finetune"]
    accelerator, precision = make_accelerator(run["mixed_precision"])
    set_seed(int(run["seed"]))

    model, tokenizer = build_model(config)
    model_config = model.config
    max_text = int(config["data"]["max_length"]) - model.num_visual_tokens
    from ..models.starvector import context_length

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
    warmup = int(optim["warmup_steps"])
    if optim["schedule"] == "cosine":
        from transformers import get_cosine_schedule_with_warmup

        scheduler = get_cosine_schedule_with_warmup(optimizer, warmup, steps)
    else:
        from transformers import get_constant_schedule_with_warmup

        scheduler = get_constant_schedule_with_warmup(optimizer, warmup)
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
    from torch.utils.data import DataLoader

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
    from tqdm import tqdm

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
        if run["log_every"] and (step % int(run["log_every"]) == 0 or step == steps):
            recent = losses[-accum * int(run["log_every"]) :]
            entry = {
                "step": step,
                "loss": sum(recent) / len(recent),
                "lr": scheduler.get_last_lr()[0],
                "tokens_per_s": tokens_seen / max(time.time() - started, 1e-9),
            }
            bar.set_postfix(loss=f"{entry['loss']:.4f}")
        if (
            len(val_set)
            and run["val_every"]
            and (step % int(run["val_every"]) == 0 or step == steps)
        ):
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
        if run["save_every"] and step % int(run["save_every"]) == 0 and step < steps:
            _save_checkpoint(accelerator, out, step, int(run["keep_checkpoints"]))
    bar.close()

    if accelerator.is_main_process:
        _save_checkpoint(accelerator, out, step, int(run["keep_checkpoints"]))
        unwrapped = accelerator.unwrap_model(model)
        if hasattr(unwrapped, "merge_and_unload"):
            unwrapped = unwrapped.merge_and_unload()
        temp = out / ".model.tmp"
        shutil.rmtree(temp, ignore_errors=True)
        unwrapped.save_pretrained(temp)
        tokenizer.save_pretrained(temp)
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
        (temp / "README.md").write_text(_model_card(config, data, summary, history), "utf-8")
        umask = os.umask(0)
        os.umask(umask)
        for file in temp.iterdir():  # some savers create 0600 files; outputs get the usual mode
            file.chmod(0o666 & ~umask)
        replace_folder(temp, final, out / ".model.old")
        say(f"model saved in {final} ({step} steps)")
        return summary
    return {"steps": step, "model": str(final)}


def _save_checkpoint(accelerator, out: Path, step: int, keep: int) -> None:
    folder = out / "checkpoints" / f"step-{step:07d}"
    accelerator.save_state(str(folder))
    if accelerator.is_main_process:
        (folder / "state.json").write_text(json.dumps({"step": step}) + "\n", encoding="utf-8")
        for old in _checkpoints(out)[: -max(keep, 1)]:
            shutil.rmtree(old, ignore_errors=True)


def _model_card(config: dict, data, summary: dict, history: list[dict]) -> str:
    import yaml

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


__all__ = ["DEFAULTS", "TrainError", "train", "load_config", "build_model", "apply_finetuning"]
