"""The model a StarVector run trains and which of its parts learn: a new model from a decoder
and a vision tower (pretrained or random, see :meth:`StarVectorForCausalLM.from_parts`) or
``init_from`` a saved/official one; then LoRA on the decoder through peft (rank, alpha, dropout,
target modules), full fine-tuning or a frozen decoder; the adapter always trained; the vision
tower frozen or trained; gradient checkpointing on request."""

from __future__ import annotations

import warnings
from contextlib import contextmanager

from peft import LoraConfig, get_peft_model

from ..models.starvector import StarVectorForCausalLM
from ..models.starvector_checkpoints import load
from ..models.starvector_parts import load_tokenizer


@contextmanager
def peft_quietly():
    """Wrapping a model with peft, without the FutureWarning it triggers on every run: peft
    reads transformers' renamed ``is_gradient_checkpointing`` (transformers 5.x), which the user
    can do nothing about."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning
        )
        yield


def build_model(config: dict):
    """``(model, tokenizer)`` as the ``model`` section says."""
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
        lora = finetune["lora"]
        with warnings.catch_warnings():
            # peft reads transformers' renamed `is_gradient_checkpointing` (transformers 5.x
            # warns on every run); the user can do nothing about it.
            warnings.filterwarnings(
                "ignore",
                message="`is_gradient_checkpointing` is deprecated",
                category=FutureWarning,
            )
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
    """``(trainable, total)`` parameters."""
    total = trainable = 0
    for parameter in model.parameters():
        total += parameter.numel()
        trainable += parameter.numel() if parameter.requires_grad else 0
    return trainable, total
