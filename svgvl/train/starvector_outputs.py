"""What a StarVector run leaves behind, under any process layout (one process, DDP, FSDP,
DeepSpeed): checkpoints (``OUT/checkpoints/step-N``, written by every rank: a sharded model's
state is in all of them), the final model (``OUT/model``, LoRA merged), the LoRA adapter alone
(``OUT/adapter``: peft's files, the trained non-LoRA modules and the run's config, from which
:func:`merge_adapter` rebuilds the merged model), and the model card.

The weights are gathered once (``accelerator.get_state_dict``, a collective) and written by the
main process: directly from the model when every rank holds all of it, else into a copy built
from the model's config on the CPU.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import yaml
from accelerate.utils import set_seed
from safetensors.torch import load_file, save_file

from ..models.starvector import StarVectorForCausalLM
from .finetuning import apply_finetuning, build_model, peft_quietly
from .loop import TrainError, is_sharded, replacing

RUN_CONFIG = "svgvl_run.json"  # the run's config, beside an adapter
TRAINED = "trained_modules.safetensors"  # the non-LoRA modules a LoRA run trained


# -- checkpoints -------------------------------------------------------------------------------


def checkpoints(out: Path) -> list[Path]:
    folder = out / "checkpoints"
    if not folder.is_dir():
        return []
    found = [
        p for p in folder.iterdir() if p.name.startswith("step-") and (p / "state.json").is_file()
    ]
    return sorted(found, key=lambda p: int(p.name.split("-")[1]))


def save_checkpoint(accelerator, out: Path, step: int, keep: int) -> None:
    """Every rank writes its part (``save_state``); the main process marks the checkpoint
    complete (``state.json``) and removes the oldest beyond ``keep``."""
    folder = out / "checkpoints" / f"step-{step:07d}"
    accelerator.save_state(str(folder))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        (folder / "state.json").write_text(json.dumps({"step": step}) + "\n", encoding="utf-8")
        for old in checkpoints(out)[: -max(keep, 1)]:
            shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()


# -- the final model and the adapter -----------------------------------------------------------


def save_final(accelerator, model, config: dict, tokenizer, out: Path, card: str) -> None:
    """``OUT/model`` (LoRA merged) and, for a LoRA run, ``OUT/adapter``; call on every rank."""
    state = accelerator.get_state_dict(model)  # a collective under FSDP / ZeRO-3
    if not accelerator.is_main_process:
        accelerator.wait_for_everyone()
        return
    if is_sharded(accelerator):
        model = _rebuilt(accelerator.unwrap_model(model), config, state)
    else:
        model = accelerator.unwrap_model(model)
    lora = hasattr(model, "merge_and_unload")
    if lora:
        with replacing(out / "adapter") as temp:
            save_adapter(model, state, config, tokenizer, temp)
            _usual_modes(temp)
        model = model.merge_and_unload()
    with replacing(out / "model") as temp:
        model.save_pretrained(temp)
        tokenizer.save_pretrained(temp)
        (temp / "README.md").write_text(card, "utf-8")
        _usual_modes(temp)
    accelerator.wait_for_everyone()


def _rebuilt(unwrapped, config: dict, state: dict):
    """The trained model as a plain CPU module: one built from the model's config, wrapped as
    the run wrapped it, with the gathered weights loaded."""
    base = unwrapped.get_base_model() if hasattr(unwrapped, "get_base_model") else unwrapped
    model = StarVectorForCausalLM(base.config)
    model, _ = apply_finetuning(model, {**config["finetune"], "gradient_checkpointing": False})
    model.load_state_dict(state)
    return model


def save_adapter(peft_model, state: dict, config: dict, tokenizer, folder: Path) -> None:
    """peft's adapter files, the trained non-LoRA modules (adapter, norms, a trained vision
    tower, their buffers included) and the run's config: all :func:`merge_adapter` needs
    besides the base the config names."""
    peft_model.save_pretrained(folder, state_dict=state)
    prefix = "base_model.model."
    trained = {
        name[len(prefix) :].split(".")[0]
        for name, p in peft_model.named_parameters()
        if p.requires_grad and "lora_" not in name and name.startswith(prefix)
    }
    modules = {
        key[len(prefix) :]: value.detach().to("cpu").contiguous()
        for key, value in state.items()
        if key.startswith(prefix) and key[len(prefix) :].split(".")[0] in trained
    }
    save_file(modules, str(folder / TRAINED))
    (folder / RUN_CONFIG).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    tokenizer.save_pretrained(folder)


def merge_adapter(adapter: str | os.PathLike, out: str | os.PathLike, *, force: bool = False):
    """The merged model from a LoRA run's ``adapter`` folder: the base rebuilt as the run built
    it (its config and seed: a pretrained decoder or ``init_from`` is loaded again, a random one
    drawn again), the trained modules loaded, the LoRA weights merged; written to ``out``.
    Returns ``(model, tokenizer)``."""
    from peft import PeftModel

    from ..models.starvector_parts import load_tokenizer

    adapter, out = Path(adapter), Path(out)
    if (adapter / "adapter").is_dir() and not (adapter / RUN_CONFIG).is_file():
        adapter = adapter / "adapter"  # a run folder
    if not (adapter / RUN_CONFIG).is_file() or not (adapter / "adapter_config.json").is_file():
        raise TrainError(f"{adapter}: not a LoRA adapter saved by svgvl train (no {RUN_CONFIG})")
    if out.exists() and not force:
        raise TrainError(f"{out} exists; pass --force to replace it")
    config = json.loads((adapter / RUN_CONFIG).read_text(encoding="utf-8"))
    set_seed(int(config["run"]["seed"]))
    base, _ = build_model(config)
    base.config.task = config["task"]
    _missing, unexpected = base.load_state_dict(load_file(str(adapter / TRAINED)), strict=False)
    if unexpected:  # the missing ones are the base's own; these would be dropped silently
        raise TrainError(f"{adapter}: trained modules that the base lacks: {unexpected[:5]}")
    with peft_quietly():
        model = PeftModel.from_pretrained(base, str(adapter)).merge_and_unload()
    model.eval()
    tokenizer = load_tokenizer(str(adapter))
    out.parent.mkdir(parents=True, exist_ok=True)
    with replacing(out) as temp:
        model.save_pretrained(temp)
        tokenizer.save_pretrained(temp)
        _usual_modes(temp)
    return model, tokenizer


def _usual_modes(folder: Path) -> None:
    umask = os.umask(0)
    os.umask(umask)
    for file in folder.iterdir():  # some savers create 0600 files; outputs get the usual mode
        file.chmod(0o666 & ~umask)


# -- the model card ----------------------------------------------------------------------------


def model_card(config: dict, data, summary: dict, history: list[dict]) -> str:
    """The final model's README: what it is, its data and licences, the command, the config
    and the validation scores over the run."""
    rows = [h for h in history if "val_loss" in h or "val_ssim" in h]
    table = "\n".join(
        f"| {h['step']} | {h.get('loss', float('nan')):.4f} | {h.get('val_loss', float('nan')):.4f}"
        f" | {h.get('val_ssim', float('nan')):.4f} | {h.get('val_repaired', float('nan')):.2f} |"
        for h in rows
    )
    manifest = Path(str(data)) / "manifest.json"
    sources = f"`{data}` (licences as its rows or files state)"
    if manifest.is_file():
        info = json.loads(manifest.read_text(encoding="utf-8"))
        licences = ", ".join(f"{k} ({v})" for k, v in info["counts"]["licence"].items())
        sources = f"svgvl dataset `{info['source']}` (licences: {licences})"
    spec = config["model"]
    decoder = spec["decoder"] or spec["decoder_config"] or spec["init_from"]
    task = config["task"]
    what = "image → SVG" if task == "im2svg" else "text → SVG (caption, `<svg-start>`, SVG)"
    use = (
        "`svgvl vectorize IMAGE --engine starvector --model THIS_FOLDER`"
        if task == "im2svg"
        else "`svgvl generate-svg CAPTION --model THIS_FOLDER`"
    )
    return f"""---
library_name: transformers
tags: [svg, {"image-to-svg" if task == "im2svg" else "text-to-svg"}, starvector, svgvl]
---

# StarVector-style {what} model (svgvl)

Vision tower → adapter → visual tokens prepended to a code LLM that writes SVG code
(`svgvl.models.starvector`); trained for `{task}`.  Load with
`StarVectorForCausalLM.from_pretrained(this folder)` or use {use}.

- Decoder: `{decoder if isinstance(decoder, str) else decoder.get("model_type")}`;
  vision: `{spec["vision_config"] or spec["vision"]}` ({spec["vision_backend"]});
  {summary["finetuning"]} (LoRA merged into the weights).
- Parameters: {summary["total_parameters"]:,} ({summary["trainable_parameters"]:,} trained).
- Data: {sources}; {summary["train_items"]:,} training and {summary["val_items"]:,} validation
  rows; {summary["steps"]} steps on {summary.get("processes", 1)} process(es).
- Training command: `svgvl train starvector --config CONFIG --data {data} --out OUT`
  with the config below.

## Validation (teacher-forced loss; greedy decoding, repaired, render SSIM against the target)

| step | loss | val loss | SSIM | repaired |
|---|---|---|---|---|
{table or "| - | - | - | - | - |"}

## Config

```yaml
{yaml.safe_dump(config, sort_keys=False).strip()}
```
"""


__all__ = ["checkpoints", "save_checkpoint", "save_final", "merge_adapter", "model_card"]
