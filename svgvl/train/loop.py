"""What every trainer shares: config reading, the accelerate set-up, the optimizer step, logs,
the cadence of periodic work and folders replaced whole (checkpoints, the final model).
``iconshop.py`` and ``starvector.py`` keep only what is their model's (schedule, validation,
checkpoint contents); their data live in ``icon_data.py`` and ``svg_code_data.py``.

A config is a YAML file (or a dict) of sections merged over the trainer's ``DEFAULTS``: one
schema style (nested mappings; a default's type decides how a value is read) and one error type,
:class:`TrainError`, for every bad setting.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import shutil
from pathlib import Path

import torch
from accelerate import Accelerator


class TrainError(ValueError):
    """A bad config, unusable data or an output folder that holds another run."""


# -- config ------------------------------------------------------------------------------------


def read_config(config, defaults: dict, overrides: dict | None = None) -> tuple[dict, str]:
    """``(merged, where)``: a YAML file or a dict merged over ``defaults`` (and ``overrides``
    over that); ``where`` names the source in messages."""
    if isinstance(config, str | os.PathLike):
        try:
            import yaml  # optional: only a config file needs it
        except ImportError:
            raise ImportError("reading a YAML config needs pyyaml: pip install pyyaml") from None
        try:
            text = Path(config).read_text(encoding="utf-8")
        except OSError as error:
            raise OSError(f"{config}: cannot read the config ({error.strerror})") from None
        try:
            given = yaml.safe_load(text) or {}
        except yaml.YAMLError as error:
            raise TrainError(f"{config}: not valid YAML: {error}") from None
        where = str(config)
    else:
        given, where = config or {}, "config"
    merged = merge(defaults, given, where)
    if overrides:
        merged = merge(merged, overrides, "overrides")
    return merged, where


def merge(defaults: dict, given: dict, where: str, prefix: str = "") -> dict:
    """``given`` over a deep copy of ``defaults``: unknown settings are errors, mappings merge,
    a number given as text is read as the default's type."""
    if not isinstance(given, dict):
        raise TrainError(f"{where}: {prefix.rstrip('.') or 'the config'} must be a mapping")
    out = copy.deepcopy(defaults)
    for key, value in given.items():
        name = f"{prefix}{key}"
        if key not in defaults:
            raise TrainError(
                f"{where}: unknown setting {name!r} (an unknown key); known: "
                + ", ".join(f"{prefix}{k}" for k in defaults)
            )
        default = defaults[key]
        if isinstance(default, dict) and isinstance(value, dict):
            out[key] = merge(default, value, where, name + ".")
        elif isinstance(default, dict) and value is not None:
            raise TrainError(f"{where}: {name} must be a mapping")
        elif isinstance(default, bool) or value is None:
            out[key] = value
        elif isinstance(default, float | int) and isinstance(value, str):
            try:
                out[key] = type(default)(float(value)) if isinstance(default, int) else float(value)
            except ValueError:
                raise TrainError(f"{where}: {name} must be a number, got {value!r}") from None
        else:
            out[key] = value
    return out


def resolve_paths(section: dict, keys, config_file) -> None:
    """Relative paths under ``keys`` in a config ``section`` that exist next to ``config_file``
    become absolute, so a config names its tokenizer or weights relative to itself and works
    from any directory; other values are left as written (hub ids, paths from the cwd)."""
    base = Path(config_file).resolve().parent
    for key in keys:
        value = section.get(key)
        if isinstance(value, str) and not os.path.isabs(value) and (base / value).exists():
            section[key] = str((base / value).resolve())


# -- the run -----------------------------------------------------------------------------------


def make_accelerator(mixed_precision: str, grad_accum: int = 1) -> tuple[Accelerator, str]:
    """The accelerator and its precision; ``"auto"``: what ``accelerate launch`` was told (its
    config file), else bf16 on a GPU that has it, else none.  ``grad_accum``: micro-batches per
    optimizer step when the accelerator does the accumulation (see :func:`optimizer_step`); an
    FSDP or DeepSpeed set-up from ``accelerate launch --config_file`` is taken from the
    environment the launcher sets."""
    cuda = torch.cuda.is_available()
    if mixed_precision == "auto":
        launched = os.environ.get("ACCELERATE_MIXED_PRECISION")
        bf16 = cuda and torch.cuda.is_bf16_supported()
        mixed_precision = launched or ("bf16" if bf16 else "no")
    accelerator = Accelerator(
        mixed_precision=mixed_precision, cpu=not cuda, gradient_accumulation_steps=grad_accum
    )
    accelerator.gradient_accumulation_steps = grad_accum  # the config's, over the launcher's
    return accelerator, mixed_precision


def is_sharded(accelerator) -> bool:
    """Whether each rank holds only part of the weights (FSDP, DeepSpeed ZeRO-3): then every
    rank takes part in gathering them, and no rank can run the model alone."""
    kind = accelerator.distributed_type.name
    if kind == "FSDP":
        return True
    if kind == "DEEPSPEED":
        return accelerator.state.deepspeed_plugin.zero_stage == 3
    return False


def adamw(parameters, lr: float, weight_decay: float, betas) -> torch.optim.AdamW:
    """AdamW over the trainable ``parameters``, with weight decay on matrices only."""
    trainable = [p for p in parameters if p.requires_grad]
    return torch.optim.AdamW(
        [
            {"params": [p for p in trainable if p.ndim >= 2], "weight_decay": weight_decay},
            {"params": [p for p in trainable if p.ndim < 2], "weight_decay": 0.0},
        ],
        lr=lr,
        betas=tuple(float(b) for b in betas),
    )


def optimizer_step(
    accelerator, model, optimizer, loss_of, accum: int, *, grad_clip=0.0, scheduler=None
) -> list[float]:
    """One optimizer step over ``accum`` micro-batches (gradient accumulation): the loss of
    micro-batch ``k``, ``loss_of(k)``, is back-propagated divided by ``accum``; gradients are
    synced across processes on the last one only, then clipped to ``grad_clip`` (0: not), and
    the scheduler (never passed through ``accelerator.prepare``, which would step it once per
    process) steps once.  When the accelerator was made with ``accum`` as its accumulation
    (:func:`make_accelerator`), accelerate accumulates, as DeepSpeed needs.
    Returns the micro-batch losses."""
    losses = []
    if accelerator.gradient_accumulation_steps == accum:
        for micro in range(accum):
            with accelerator.accumulate(model):
                with accelerator.autocast():
                    loss = loss_of(micro)
                accelerator.backward(loss)  # divided by accum by accelerate (or DeepSpeed)
                losses.append(loss.detach().item())
                if accelerator.sync_gradients:
                    _update(accelerator, model, optimizer, scheduler, grad_clip)
        return losses
    for micro in range(accum):
        last = micro == accum - 1
        with contextlib.nullcontext() if last else accelerator.no_sync(model):
            with accelerator.autocast():
                loss = loss_of(micro)
            accelerator.backward(loss / accum)
        losses.append(loss.detach().item())
    _update(accelerator, model, optimizer, scheduler, grad_clip)
    return losses


def _update(accelerator, model, optimizer, scheduler, grad_clip) -> None:
    """One optimizer step on the summed gradients: clipped, stepped, the schedule advanced."""
    if grad_clip:
        _clip(accelerator, model, float(grad_clip))
    optimizer.step()
    if scheduler is not None:
        scheduler.step()
    optimizer.zero_grad(set_to_none=True)


def _clip(accelerator, model, max_norm: float) -> None:
    """Clip the gradients' global norm; FSDP computes it over the shards when given all of the
    model's parameters (frozen ones have no gradient and count for nothing)."""
    if accelerator.distributed_type.name == "FSDP":
        accelerator.clip_grad_norm_(list(model.parameters()), max_norm)
    else:
        accelerator.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], max_norm)


def log_line(path: Path, entry: dict) -> None:
    """Append one JSON line to a run's ``log.jsonl``."""
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")


def due(step: int, every, last: int) -> bool:
    """Whether a task done every ``every`` steps (0: never) falls on ``step``; the ``last`` step
    always gets it, so a run ends with fresh logs, scores and checkpoints."""
    return bool(every) and (step % int(every) == 0 or step == last)


@contextlib.contextmanager
def replacing(final: Path):
    """A fresh temporary folder beside ``final`` to write into; when the block ends without an
    error it takes ``final``'s place, so a crash leaves the old or the new folder complete."""
    tmp, old = final.parent / f".{final.name}.tmp", final.parent / f".{final.name}.old"
    shutil.rmtree(tmp, ignore_errors=True)
    yield tmp
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    if old.exists():
        shutil.rmtree(old)
