"""StarVector checkpoints on disk or on the hub: a folder written here (``save_pretrained``) or
an official one (joanrod/star-vector, ``starvector-1b-im2svg`` layout).

    model, tokenizer = load("runs/sv/model")                      # either kind, folder or hub id

:func:`resolve_model_folder` turns a hub id into a local snapshot (from the local cache under
``HF_HUB_OFFLINE``).  Official checkpoints are read as nanoGPT's ``from_pretrained`` reads
GPT-2's: the official key names are mapped onto this model's modules by the prefixes in
:data:`OFFICIAL_KEYS`, and the sizes are read from the shapes of the weights, so nothing but
the weights (and a tokenizer) is needed.  ``StarVectorForCausalLM.from_official`` calls
:func:`load_official`.
"""

from __future__ import annotations

import json
import os
import re

import torch
from accelerate import init_empty_weights

from .. import hub
from .starvector import (
    GENERATION_1B,
    STARCODERBASE_1B,
    StarVectorConfig,
    StarVectorError,
    StarVectorForCausalLM,
)
from .starvector_parts import key_list, load_tokenizer, pretrained

OFFICIAL_TOKENIZER = "bigcode/starcoderbase-1b"
"""Where StarVector-1B's tokenizer comes from when its checkpoint folder has none."""

SNAPSHOT_FILES = ("*.json", "*.safetensors", "*.bin", "*.txt", "*.model", "*.py")
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def load(path_or_id: str, *, device=None, dtype=None):
    """``(model, tokenizer)`` in eval mode from a folder written here (``save_pretrained``) or
    an official StarVector checkpoint, by local path or hub id."""
    folder = resolve_model_folder(path_or_id)
    if is_svgvl_folder(folder):
        model = pretrained(StarVectorForCausalLM, folder, dtype=dtype)
        tokenizer = load_tokenizer(folder, model=model)
    else:
        model, tokenizer = load_official(folder, dtype=dtype)
    if device is not None:
        model.to(device)
    return model.eval(), tokenizer


def resolve_model_folder(path_or_id: str) -> str:
    """A local folder, or a hub id's snapshot (from the local cache when offline)."""
    try:
        return hub.snapshot(path_or_id, SNAPSHOT_FILES)
    except hub.NoSuchFolder:
        raise StarVectorError(
            f"{path_or_id}: no such model folder (pass a folder written by `svgvl train "
            "starvector` or a Hugging Face hub id such as starvector/starvector-1b-im2svg)"
        ) from None
    except OSError as error:
        raise StarVectorError(str(error)) from None


def config_json(folder: str | None) -> dict:
    if folder and os.path.isfile(os.path.join(folder, "config.json")):
        with open(os.path.join(folder, "config.json"), encoding="utf-8") as handle:
            return json.load(handle)
    return {}


def is_svgvl_folder(folder: str) -> bool:
    return config_json(folder).get("model_type") == StarVectorConfig.model_type


# -- official checkpoints ----------------------------------------------------------------------

OFFICIAL_KEYS = (
    # (prefix in joanrod/star-vector checkpoints, prefix here)
    ("model.svg_transformer.transformer.", "language_model."),  # HF GPTBigCodeForCausalLM keys
    ("model.image_encoder.visual_encoder.", "vision_tower."),  # OpenAI-CLIP = open_clip ViT keys
    ("model.image_encoder.ln_vision.", "ln_vision."),
    ("model.image_projection.", "projector."),  # c_fc, c_proj, norm
)


def official_key(key: str) -> str | None:
    """An official checkpoint's key → this model's key (None: not part of the model)."""
    for old, new in OFFICIAL_KEYS:
        if key.startswith(old):
            return new + key[len(old) :]
    return None


def official_config(state: dict, folder: str | None = None) -> StarVectorConfig:
    """The config an official checkpoint's (mapped) weights imply, read from their shapes."""

    def shape(key):
        if key not in state:
            raise StarVectorError(f"not a StarVector-1B checkpoint: no {official_name(key)}")
        return tuple(state[key].shape)

    # decoder: GPTBigCode (starcoderbase)
    vocab, n_embd = shape("language_model.transformer.wte.weight")
    n_positions = shape("language_model.transformer.wpe.weight")[0]
    n_layer = count_blocks(state, r"language_model\.transformer\.h\.(\d+)\.")
    n_inner = shape("language_model.transformer.h.0.mlp.c_fc.weight")[0]
    qkv = shape("language_model.transformer.h.0.attn.c_attn.weight")[0]
    multi_query = qkv != 3 * n_embd
    official = config_json(folder)
    n_head = (
        (n_embd // ((qkv - n_embd) // 2)) if multi_query else official.get("n_head", n_embd // 64)
    )
    text_config = {
        **STARCODERBASE_1B,
        "vocab_size": vocab,
        "n_positions": n_positions,
        "n_embd": n_embd,
        "n_layer": n_layer,
        "n_head": n_head,
        "n_inner": n_inner,
        "multi_query": multi_query,
        "pad_token_id": min(STARCODERBASE_1B["pad_token_id"], vocab - 1),
        "tie_word_embeddings": "language_model.lm_head.weight" not in state,
    }
    # vision: OpenAI-CLIP ViT (QuickGELU, 64-wide heads)
    width, _, patch, _ = shape("vision_tower.conv1.weight")
    positions = shape("vision_tower.positional_embedding")[0]
    grid = round((positions - 1) ** 0.5)
    layers = count_blocks(state, r"vision_tower\.transformer\.resblocks\.(\d+)\.")
    mlp = shape("vision_tower.transformer.resblocks.0.mlp.c_fc.weight")[0]
    vision_config = {
        "image_size": grid * patch,
        "patch_size": patch,
        "width": width,
        "layers": layers,
        "head_width": 64 if width % 64 == 0 else width,
        "mlp_ratio": mlp / width,
        "quick_gelu": True,
    }
    norm = "batch_norm" if "projector.norm.running_mean" in state else "layer_norm"
    return StarVectorConfig(
        text_config=text_config,
        vision_backend="open_clip",
        vision_config=vision_config,
        vision_layers=None,
        vision_norm="ln_vision.weight" in state,
        adapter_norm=norm,
        generation_defaults=GENERATION_1B,
    )


def official_name(key: str) -> str:
    for old, new in OFFICIAL_KEYS:
        if key.startswith(new):
            return old + key[len(new) :]
    return key


def count_blocks(state: dict, pattern: str) -> int:
    found = {int(m.group(1)) for key in state if (m := re.match(pattern, key))}
    return max(found) + 1 if found else 0


def read_weights(folder: str) -> dict:
    """All tensors of a checkpoint folder: one file or shards listed in an index."""
    for name in WEIGHT_FILES:
        index = os.path.join(folder, name + ".index.json")
        if os.path.isfile(index):
            with open(index, encoding="utf-8") as handle:
                files = sorted(set(json.load(handle)["weight_map"].values()))
            state = {}
            for file in files:
                state.update(hub.read_state_dict(os.path.join(folder, file)))
            return state
        if os.path.isfile(os.path.join(folder, name)):
            return hub.read_state_dict(os.path.join(folder, name))
    raise StarVectorError(
        f"{folder}: no weights ({', '.join(WEIGHT_FILES)} or a sharded index) in this folder"
    )


def load_official(
    path_or_id: str, *, tokenizer: str | None = None, dtype: torch.dtype | None = None
):
    """``(model, tokenizer)`` from a published StarVector checkpoint folder or hub id; see
    :meth:`StarVectorForCausalLM.from_official`."""
    folder = resolve_model_folder(path_or_id)
    official = read_weights(folder)
    state, unexpected = {}, []
    for key, value in official.items():
        new = official_key(key)
        if new is None:
            unexpected.append(key)
        else:
            state[new] = value
    config = official_config(state, folder)
    with init_empty_weights(include_buffers=False):
        model = StarVectorForCausalLM(config)
    expected = set(model.state_dict())
    # A tied output layer shares the embedding's weights and is not stored on its own.
    tie = model.config.text_config.tie_word_embeddings
    tied = {k for k in expected if k == "language_model.lm_head.weight"} if tie else set()
    missing = sorted(official_name(k) for k in expected - set(state) - tied)
    unexpected += sorted(official_name(k) for k in set(state) - expected)
    if missing or unexpected:
        raise StarVectorError(
            f"{path_or_id}: the weights do not fit a StarVector model: "
            + key_list("missing", missing)
            + ("; " if missing and unexpected else "")
            + key_list("unexpected", unexpected)
        )
    model.load_state_dict(state, strict=False, assign=True)
    model.tie_weights()
    if dtype is not None:
        model.to(dtype)
    model.eval()
    return model, load_tokenizer(folder, fallback=tokenizer or OFFICIAL_TOKENIZER, model=model)
