"""``svgvl train starvector``: fine-tune a StarVector-style model, image → SVG or text → SVG.

    svgvl train starvector --config examples/configs/starvector-tiny.yaml \\
        --data datasets/tabler --out runs/tiny [--max-steps N]
    accelerate launch --config_file examples/accelerate/fsdp.yaml -m svgvl.cli train starvector ...

- **task** ``im2svg`` (the SVG rendered on the fly is the input image) or ``text2svg``
  (StarVector's caption → ``<svg-start>`` → SVG, no image).
- **data** (:mod:`svgvl.train.svg_code_data`, :mod:`svgvl.train.svg_tables`): a dataset folder
  built by ``svgvl data build``, a folder of ``.svg`` files (split by id as datasets are), or a
  table in the SVG-Stack layout (``hf:NAME[:split]`` or a ``save_to_disk`` folder), streamed on
  request; tokenized on the fly, too-long sequences cut as the official code cuts them.
- **model** and **fine-tuning** (:mod:`svgvl.train.finetuning`): a new model or ``init_from`` a
  saved/official one; LoRA, full or a frozen decoder; the adapter always trained.
- **run**: accelerate — one process, DDP, FSDP or DeepSpeed ZeRO-2 as ``accelerate launch``
  says (``examples/accelerate/``); AdamW with warmup and a cosine schedule stepped once per
  optimizer step whatever the number of processes, gradient clipping; global micro-batch ``g``
  goes to rank ``g % world``, so N processes with ``grad_accum`` A train as one process with
  ``grad_accum`` N·A.  Checkpoints every ``save_every`` steps in ``OUT/checkpoints`` (a rerun of
  the same command resumes from the last one); validation every ``val_every`` steps: the
  teacher-forced loss on every rank, and on the main process greedy SVGs, repaired and rendered,
  SSIM against the target's render (not under FSDP, where no rank holds the whole model); the
  final model (LoRA merged) in ``OUT/model``, a LoRA run's adapter in ``OUT/adapter``
  (:mod:`svgvl.train.starvector_outputs`).
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import os
import sys
import time
from pathlib import Path

import torch
from accelerate.utils import set_seed
from torch.utils.data import DataLoader
from tqdm import tqdm
from transformers import get_constant_schedule_with_warmup, get_cosine_schedule_with_warmup

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
    resolve_paths,
)
from .starvector_outputs import checkpoints, model_card, save_checkpoint, save_final
from .starvector_validation import new_token_budget, validation
from .svg_code_data import StepBatches, StreamBatches, SVGCode, collate, read_svgs
from .svg_tables import COLUMNS, TableRows, check_columns, is_table_spec, open_table, stream_rows

DEFAULTS: dict = {
    "task": "im2svg",  # im2svg | text2svg
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
        "max_length": 8192,  # tokens, visual tokens included
        "too_long": "truncate",  # truncate (as StarVector) | drop
        "augment": True,
        "train_split": "train",  # train | val | test | all for folders; a table's split name
        "val_split": "val",
        "columns": dict(COLUMNS),  # a table's column names (svg, id, caption: one or a list)
        "streaming": False,  # read a table as a stream (hf: sets that do not fit on the disk)
        "pack": False,  # text2svg: pack a micro-batch's sequences into max_length rows
    },
    "optim": {
        "lr": 2e-4,
        "weight_decay": 1e-6,
        "betas": [0.95, 0.999],
        "warmup_steps": 100,
        "schedule": "cosine",  # cosine | constant
        "max_steps": 10000,
        "batch_size": 2,  # per process
        "grad_accum": 1,
        "grad_clip": 1.0,
    },
    "run": {
        "seed": 0,
        "mixed_precision": "auto",  # auto (the launcher's, else bf16 on GPU, no on CPU) | ...
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
    ("data", "too_long"): ("truncate", "drop"),
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
    if isinstance(path, str | os.PathLike):
        resolve_paths(config["model"], PATH_SETTINGS, path)
    check(config, where)
    return config


def check(config: dict, where: str) -> None:
    if config["task"] not in ("im2svg", "text2svg"):
        raise TrainError(f"{where}: task must be one of im2svg, text2svg, got {config['task']!r}")
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
    if config["data"]["pack"] and config["task"] != "text2svg":
        raise TrainError(f"{where}: data.pack needs task: text2svg (images are not packed)")
    columns = config["data"]["columns"]
    if not isinstance(columns, dict) or not columns.get("svg"):
        raise TrainError(f"{where}: data.columns needs svg (the column of SVG code)")
    optim = config["optim"]
    for key in ("max_steps", "batch_size", "grad_accum"):
        if int(optim[key]) < 1:
            raise TrainError(f"{where}: optim.{key} must be at least 1")
    for key in ("log_every", "save_every", "val_every"):
        if int(config["run"][key]) < 0:
            raise TrainError(f"{where}: run.{key} must be >= 0 (0: never)")


# -- validation --------------------------------------------------------------------------------


# -- the run -----------------------------------------------------------------------------------


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
    parameter counts, the model folder).  Every process of a launch calls this; the main one
    writes the logs and the final folders."""
    config = load_config(config_path, overrides)
    if max_steps is not None:
        config["optim"]["max_steps"] = int(max_steps)
    if not is_table_spec(data) and not Path(data).is_dir():
        raise TrainError(
            f"{data}: no such folder (pass a dataset, a folder of .svg files or hf:NAME)"
        )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _same_run(out, config)
    accelerator, precision = make_accelerator(
        config["run"]["mixed_precision"], int(config["optim"]["grad_accum"])
    )
    main = accelerator.is_main_process
    log_file = open(out / "train.log", "a", encoding="utf-8") if main else None  # noqa: SIM115

    def say(message: str) -> None:
        if not main:
            return
        line = f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}"
        log_file.write(line + "\n")
        log_file.flush()
        (log or (lambda m: print(m, file=sys.stderr)))(message)

    try:
        return _train(config, data, out, say, progress, accelerator, precision)
    finally:
        if log_file:
            log_file.close()


def _rows(config: dict, data, split: str, rank_seed: int):
    """The rows of one split: a sequence, or for a streamed table a function of the epoch
    that yields them (None when the set has no such split)."""
    spec = config["data"]
    columns, task = spec["columns"], config["task"]
    if not is_table_spec(data):
        return read_svgs(data, split, spec["svg_field"])
    table = open_table(data, split, streaming=bool(spec["streaming"]))
    if table is None:
        return []
    check_columns(getattr(table, "column_names", None), columns, data, task)
    if spec["streaming"]:
        return lambda epoch: stream_rows(table, columns, rank_seed, epoch)
    return TableRows(table, columns)


def _datasets(config: dict, data, model, tokenizer, say):
    """The train and val data (an :class:`SVGCode` over rows, or a stream) and the token budget
    left for the text (after the visual tokens, within the decoder's context)."""
    task = config["task"]
    visual = model.num_visual_tokens if task == "im2svg" else 0
    max_text = int(config["data"]["max_length"]) - visual
    context = context_length(model.config)
    if context is not None:
        max_text = min(max_text, context - visual)
    if max_text < 8:
        raise TrainError(f"data.max_length leaves {max_text} tokens for the SVG code")
    spec, seed = config["data"], int(config["run"]["seed"])

    def code(rows, augment: bool) -> SVGCode:
        return SVGCode(
            rows if isinstance(rows, list | TableRows) else None,
            tokenizer,
            model.config,
            max_text,
            task=task,
            augment=augment,
            too_long=spec["too_long"],
        )

    train_rows = _rows(config, data, spec["train_split"], seed)
    val_rows = _rows(config, data, spec["val_split"], seed)
    if callable(val_rows):  # a streamed val split: its first rows, enough to validate on
        val_rows = list(itertools.islice(val_rows(0), int(config["run"]["val_items"])))
    train_set, val_set = code(train_rows, bool(spec["augment"])), code(val_rows, False)
    streamed = callable(train_rows)
    if not streamed and not len(train_rows):
        raise TrainError(f"{data}: no rows in the {spec['train_split']} split")
    say(
        f"data: {'a stream of' if streamed else f'{len(train_rows):,}'} training rows, "
        f"{len(val_rows):,} validation rows, from {data} ({task}; sequences over {max_text} "
        f"tokens {'cut' if spec['too_long'] == 'truncate' else 'left out'})"
    )
    return train_set, train_rows if streamed else None, val_set, max_text


def _scheduler(optimizer, optim: dict):
    """Warmup, then cosine decay to 0 at ``max_steps`` or a constant rate."""
    steps, warmup = int(optim["max_steps"]), int(optim["warmup_steps"])
    if optim["schedule"] == "cosine":
        return get_cosine_schedule_with_warmup(optimizer, warmup, steps)
    return get_constant_schedule_with_warmup(optimizer, warmup)


def _loader(config, train_set, stream, tokenizer, start: int, accelerator) -> DataLoader:
    """This rank's micro-batches from global micro-batch ``start`` (a resumed run's place):
    index batches over the rows, or batches cut from the stream."""
    optim, run = config["optim"], config["run"]
    pack = int(config["data"]["max_length"]) if config["data"]["pack"] else 0
    collate_fn = functools.partial(collate, pad_id=tokenizer.pad_token_id, pack_to=pack)
    rank, world = accelerator.process_index, accelerator.num_processes
    workers = int(run["num_workers"])
    if stream is not None:
        batches = StreamBatches(
            stream, train_set, int(optim["batch_size"]), start, rank, world, collate_fn
        )
        return DataLoader(batches, batch_size=None, num_workers=workers)
    sampler = StepBatches(
        len(train_set), int(optim["batch_size"]), int(run["seed"]), start, rank, world
    )
    return DataLoader(
        train_set,
        batch_sampler=sampler,
        collate_fn=collate_fn,
        num_workers=workers,
        persistent_workers=workers > 0,
    )


def _train(config: dict, data, out: Path, say, progress: bool, accelerator, precision) -> dict:
    optim, run, finetune = config["optim"], config["run"], config["finetune"]
    set_seed(int(run["seed"]))

    model, tokenizer = build_model(config)
    model.config.task = config["task"]  # what the saved model was trained for
    model_config = model.config
    train_set, stream, val_set, max_text = _datasets(config, data, model, tokenizer, say)

    visual = model.num_visual_tokens
    model, description = apply_finetuning(model, finetune)
    if config["task"] == "text2svg":  # no image: parameters without gradients would stall DDP
        base = model.get_base_model() if hasattr(model, "get_base_model") else model
        for part in (base.vision_tower, base.ln_vision, base.projector):
            part.requires_grad_(False)
        description += "; image parts unused (text2svg)"
    trainable, total = parameter_counts(model)
    say(
        f"model: {total:,} parameters, {trainable:,} trainable ({100 * trainable / total:.2f}%); "
        f"{description}; {model_config.text_config.model_type} decoder, {visual} visual tokens"
    )
    world = accelerator.num_processes
    say(
        f"device: {accelerator.device}, mixed precision: {precision}, {world} process(es) "
        f"({accelerator.distributed_type.name}); {int(optim['batch_size']) * world} rows × "
        f"{int(optim['grad_accum'])} micro-batches per optimizer step"
    )

    optimizer = adamw(
        model.parameters(), float(optim["lr"]), float(optim["weight_decay"]), optim["betas"]
    )
    steps = int(optim["max_steps"])
    scheduler = _scheduler(optimizer, optim)
    if accelerator.distributed_type.name == "DEEPSPEED":  # its batch size, as no loader is prepared
        ds = accelerator.state.deepspeed_plugin.deepspeed_config
        ds["train_micro_batch_size_per_gpu"] = int(optim["batch_size"])
        ds["gradient_accumulation_steps"] = int(optim["grad_accum"])  # the engine accumulates
    # The scheduler is not prepared: accelerate would step it once per process.
    model, optimizer = accelerator.prepare(model, optimizer)
    accelerator.register_for_checkpointing(scheduler)

    step = 0
    found = checkpoints(out)
    if found:
        accelerator.load_state(str(found[-1]))
        step = int(json.loads((found[-1] / "state.json").read_text(encoding="utf-8"))["step"])
        say(f"resumed from {found[-1]} at step {step}")
    elif accelerator.is_main_process:
        (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")

    final = out / "model"
    if step >= steps and (final / "config.json").is_file():
        say(f"already trained to step {step}; the model is in {final}")
        return {"steps": step, "model": str(final), "last": None}
    accum = int(optim["grad_accum"])
    loader = _loader(config, train_set, stream, tokenizer, step * accum, accelerator)
    val_tokens = new_token_budget(val_set, int(run["val_items"]), max_text)
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
            summed = torch.tensor([sum(recent), len(recent), tokens_seen], dtype=torch.float64).to(
                accelerator.device
            )
            summed = accelerator.reduce(summed, "sum")  # every rank's share
            entry = {
                "step": step,
                "loss": float(summed[0] / summed[1]),
                "lr": scheduler.get_last_lr()[0],
                "tokens_per_s": float(summed[2]) / max(time.time() - started, 1e-9),
            }
            bar.set_postfix(loss=f"{entry['loss']:.4f}")
        if len(val_set) and due(step, run["val_every"], steps):
            entry = {
                **(entry or {"step": step}),
                **validation(accelerator, model, tokenizer, val_set, run, val_tokens),
            }
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
            save_checkpoint(accelerator, out, step, int(run["keep_checkpoints"]))
    bar.close()

    save_checkpoint(accelerator, out, step, int(run["keep_checkpoints"]))
    summary = {
        "steps": step,
        "trainable_parameters": trainable,
        "total_parameters": total,
        "finetuning": description,
        "train_items": len(train_set) if stream is None else 0,
        "val_items": len(val_set),
        "processes": world,
        "last": history[-1] if history else None,
        "model": str(final),
    }
    card = model_card(config, data, summary, history)
    save_final(accelerator, model, config, tokenizer, out, card)
    say(f"model saved in {final} ({step} steps)")
    return summary


__all__ = ["DEFAULTS", "TrainError", "train", "load_config"]
