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
        tokenizer = load_tokenizer(folder, model=model, svg_end=model.config.svg_end)
    else:
        model, tokenizer = load_official(folder, dtype=dtype)
    if device is not None:
        model.to(device)
    return model.eval(), tokenizer


def resolve_model_folder(path_or_id: str) -> str:
    """A local folder, or a hub id's snapshot (from the local cache when offline).

    A training run's folder (``svgvl train starvector --out RUN``) resolves to the model inside
    it (``RUN/model``).  For a hub id the config and weight index come first and are checked
    (:func:`check_layout`), so that a repository that is no StarVector checkpoint fails before
    gigabytes of weights are downloaded.
    """
    try:
        if not os.path.isdir(path_or_id) and not hub.looks_like_path(path_or_id):
            check_layout(hub.snapshot(path_or_id, ("config.json", "*.index.json")), path_or_id)
        folder = hub.snapshot(path_or_id, SNAPSHOT_FILES)
    except hub.NoSuchFolder:
        raise StarVectorError(
            f"{path_or_id}: no such model folder (pass a folder written by `svgvl train "
            "starvector` or a Hugging Face hub id such as starvector/starvector-1b-im2svg)"
        ) from None
    except OSError as error:
        raise StarVectorError(str(error)) from None
    inner = os.path.join(folder, "model")
    if not _has_model(folder) and _has_model(inner):
        return inner
    return folder


def _has_model(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, "config.json")) or any(
        os.path.isfile(os.path.join(folder, name + suffix))
        for name in WEIGHT_FILES
        for suffix in ("", ".index.json")
    )


def check_layout(folder: str, name: str | None = None) -> None:
    """Refuse, from ``config.json`` and the weight index alone, a checkpoint svgvl cannot read:
    another model type, or official weights whose image encoder or decoder it does not map."""
    name = name or folder
    model_type = config_json(folder).get("model_type")
    if model_type == StarVectorConfig.model_type:
        return
    if model_type not in (None, "starvector"):
        raise StarVectorError(
            f"{name}: a {model_type!r} model, not a StarVector checkpoint (model_type "
            f"'starvector' or {StarVectorConfig.model_type!r})"
        )
    keys = _index_keys(folder)
    if keys is None:
        return  # one unsharded file: checked when it is read
    if vision_family(keys) is None:
        raise StarVectorError(
            f"{name}: no CLIP or SigLIP image encoder under model.image_encoder.visual_encoder "
            "in its weight index: not a StarVector im2svg checkpoint svgvl can read"
        )
    decoder = "model.svg_transformer.transformer."
    if not any(k.startswith((decoder + "transformer.h.", decoder + "model.layers.")) for k in keys):
        raise StarVectorError(
            f"{name}: no GPTBigCode or StarCoder2 decoder under {decoder} in its weight index"
        )


def _index_keys(folder: str) -> list[str] | None:
    for file in WEIGHT_FILES:
        index = os.path.join(folder, file + ".index.json")
        if os.path.isfile(index):
            with open(index, encoding="utf-8") as handle:
                return list(json.load(handle).get("weight_map", {}))
    return None


def config_json(folder: str | None) -> dict:
    if folder and os.path.isfile(os.path.join(folder, "config.json")):
        with open(os.path.join(folder, "config.json"), encoding="utf-8") as handle:
            return json.load(handle)
    return {}


def is_svgvl_folder(folder: str) -> bool:
    return config_json(folder).get("model_type") == StarVectorConfig.model_type


# -- official checkpoints ----------------------------------------------------------------------

# (prefix in joanrod/star-vector checkpoints, prefix here), by the image encoder's family:
# StarVector-1B's OpenAI-CLIP ViT (open_clip keys) or StarVector-8B's SigLIP (the transformers
# vision model's keys; transformers 4 nests them under ``vision_model.``, which
# :func:`_nest_like` adds back); the decoder (HF GPTBigCode or StarCoder2 keys) and the adapter
# map alike.
OFFICIAL_KEYS = {
    "clip": (
        ("model.image_encoder.visual_encoder.", "vision_tower."),
        ("model.image_encoder.ln_vision.", "ln_vision."),
    ),
    "siglip": (("model.image_encoder.visual_encoder.", "vision_tower."),),
}
SHARED_KEYS = (
    ("model.svg_transformer.transformer.", "language_model."),
    ("model.image_projection.", "projector."),  # c_fc, c_proj, norm
)
EMBEDDINGS = {  # the decoder's input embedding, by family (the key a tied lm_head shares)
    "gpt_bigcode": "language_model.transformer.wte.weight",
    "starcoder2": "language_model.model.embed_tokens.weight",
}
# StarCoder2's settings that shapes do not show (the published 3B/7B/15B configs agree on all
# but rope_theta); heads are 128 wide in every size.
STARCODER2 = {
    "model_type": "starcoder2",
    "max_position_embeddings": 16384,
    "sliding_window": 4096,
    "norm_epsilon": 1e-5,
    "use_bias": True,
    "hidden_act": "gelu_pytorch_tanh",
    "rope_theta": 1_000_000.0,
    "bos_token_id": 0,
    "eos_token_id": 0,
    "attention_dropout": 0.0,
    "residual_dropout": 0.0,
    "embedding_dropout": 0.0,
}
STARCODER2_ROPE = {"bigcode/starcoder2-15b": 100_000.0}
STARCODER2_HEAD = 128
# StarVector-8B's sampling (configs/generation/hf/starvector-8b/im2svg.yaml of the reference).
GENERATION_8B = {"temperature": 0.7, "top_p": 0.95, "max_length": 16000}
SVG_END = "<svg-end>"


def vision_family(keys) -> str | None:
    """``"clip"`` or ``"siglip"`` from an official checkpoint's key names (None: neither)."""
    encoder = "model.image_encoder.visual_encoder."
    if any(k.startswith(encoder + "embeddings.patch_embedding") for k in keys):
        return "siglip"
    if any(k.startswith(encoder + "conv1") for k in keys):
        return "clip"
    return None


def official_key(key: str, vision: str = "clip") -> str | None:
    """An official checkpoint's key → this model's key (None: not part of the model)."""
    for old, new in OFFICIAL_KEYS[vision] + SHARED_KEYS:
        if key.startswith(old):
            return new + key[len(old) :]
    return None


def official_config(state: dict, folder: str | None = None) -> StarVectorConfig:
    """The config an official checkpoint's (mapped) weights imply, read from their shapes:
    StarVector-1B (CLIP ViT-L/14 → StarCoderBase-1B, BatchNorm adapter) or StarVector-8B
    (SigLIP → StarCoder2-7B, LayerNorm adapter, ``<svg-end>``)."""
    official = config_json(folder)
    siglip = "vision_tower.embeddings.patch_embedding.weight" in state
    if "language_model.transformer.wte.weight" in state:
        text_config = _gpt_bigcode_config(state, official)
    elif EMBEDDINGS["starcoder2"] in state:
        text_config = _starcoder2_config(state, official)
    else:
        raise StarVectorError(
            "not a StarVector checkpoint svgvl can read: its decoder is neither GPTBigCode "
            "(StarVector-1B) nor StarCoder2 (StarVector-8B)"
        )
    text_config["tie_word_embeddings"] = "language_model.lm_head.weight" not in state
    vision_config = _siglip_config(state) if siglip else _clip_config(state)
    norm = "batch_norm" if "projector.norm.running_mean" in state else "layer_norm"
    eight_b = text_config["model_type"] == "starcoder2"
    return StarVectorConfig(
        text_config=text_config,
        vision_backend="transformers" if siglip else "open_clip",
        vision_config=vision_config,
        vision_layers=None,
        vision_norm="ln_vision.weight" in state,
        adapter_norm=norm,
        generation_defaults=GENERATION_8B if eight_b else GENERATION_1B,
        svg_end=SVG_END if eight_b else None,
    )


def _shape(state: dict, key: str) -> tuple:
    if key not in state:
        raise StarVectorError(f"not a StarVector checkpoint: no {official_name(key)}")
    return tuple(state[key].shape)


def _gpt_bigcode_config(state: dict, official: dict) -> dict:
    """StarCoderBase (StarVector-1B's decoder)."""
    vocab, n_embd = _shape(state, "language_model.transformer.wte.weight")
    qkv = _shape(state, "language_model.transformer.h.0.attn.c_attn.weight")[0]
    multi_query = qkv != 3 * n_embd
    n_head = (
        (n_embd // ((qkv - n_embd) // 2)) if multi_query else official.get("n_head", n_embd // 64)
    )
    return {
        **STARCODERBASE_1B,
        "vocab_size": vocab,
        "n_positions": _shape(state, "language_model.transformer.wpe.weight")[0],
        "n_embd": n_embd,
        "n_layer": count_blocks(state, r"language_model\.transformer\.h\.(\d+)\."),
        "n_head": n_head,
        "n_inner": _shape(state, "language_model.transformer.h.0.mlp.c_fc.weight")[0],
        "multi_query": multi_query,
        "pad_token_id": min(STARCODERBASE_1B["pad_token_id"], vocab - 1),
    }


def _starcoder2_config(state: dict, official: dict) -> dict:
    """StarCoder2 (StarVector-8B's decoder); grouped-query heads read from the key width."""
    vocab, hidden = _shape(state, EMBEDDINGS["starcoder2"])
    layer = "language_model.model.layers.0."
    kv_width = _shape(state, layer + "self_attn.k_proj.weight")[0]
    if hidden % STARCODER2_HEAD or kv_width % STARCODER2_HEAD:
        raise StarVectorError(
            f"a StarCoder2 decoder of width {hidden} (keys {kv_width}) does not have "
            f"{STARCODER2_HEAD}-wide heads as every published StarCoder2 has"
        )
    name = official.get("starcoder_model_name", "")
    return {
        **STARCODER2,
        "rope_theta": STARCODER2_ROPE.get(name, STARCODER2["rope_theta"]),
        "vocab_size": vocab,
        "hidden_size": hidden,
        "intermediate_size": _shape(state, layer + "mlp.c_fc.weight")[0],
        "num_hidden_layers": count_blocks(state, r"language_model\.model\.layers\.(\d+)\."),
        "num_attention_heads": hidden // STARCODER2_HEAD,
        "num_key_value_heads": kv_width // STARCODER2_HEAD,
        "pad_token_id": min(49152, vocab - 1),  # [PAD], added after the 49,152 tokens
    }


def _clip_config(state: dict) -> dict:
    """OpenAI-CLIP ViT (StarVector-1B's encoder: QuickGELU, 64-wide heads)."""
    width, _, patch, _ = _shape(state, "vision_tower.conv1.weight")
    positions = _shape(state, "vision_tower.positional_embedding")[0]
    mlp = _shape(state, "vision_tower.transformer.resblocks.0.mlp.c_fc.weight")[0]
    return {
        "image_size": round((positions - 1) ** 0.5) * patch,
        "patch_size": patch,
        "width": width,
        "layers": count_blocks(state, r"vision_tower\.transformer\.resblocks\.(\d+)\."),
        "head_width": 64 if width % 64 == 0 else width,
        "mlp_ratio": mlp / width,
        "quick_gelu": True,
    }


def _siglip_config(state: dict) -> dict:
    """SigLIP's vision model (StarVector-8B's encoder: siglip-large-patch16-384); heads are 64
    wide in the SigLIP sizes StarVector uses (so400m's 1152 width has 16)."""
    tower = "vision_tower."
    hidden, _, patch, _ = _shape(state, tower + "embeddings.patch_embedding.weight")
    positions = _shape(state, tower + "embeddings.position_embedding.weight")[0]
    return {
        "model_type": "siglip_vision_model",
        "hidden_size": hidden,
        "intermediate_size": _shape(state, tower + "encoder.layers.0.mlp.fc1.weight")[0],
        "num_hidden_layers": count_blocks(state, r"vision_tower\.encoder\.layers\.(\d+)\."),
        "num_attention_heads": 16 if hidden == 1152 else hidden // 64,
        "image_size": round(positions**0.5) * patch,
        "patch_size": patch,
        "vision_use_head": any(k.startswith(tower + "head.") for k in state),
    }


def official_name(key: str) -> str:
    """This model's key → the official checkpoint's name for it (for messages)."""
    key = key.replace("vision_tower.vision_model.", "vision_tower.")
    vision = (
        "siglip" if key.startswith(("vision_tower.embeddings", "vision_tower.encoder")) else "clip"
    )
    for old, new in OFFICIAL_KEYS[vision] + SHARED_KEYS:
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
    check_layout(folder, path_or_id)
    official = read_weights(folder)
    vision = vision_family(official)
    if vision is None:
        raise StarVectorError(
            f"{path_or_id}: no CLIP or SigLIP image encoder under "
            "model.image_encoder.visual_encoder: not a StarVector im2svg checkpoint"
        )
    state, unexpected = {}, []
    for key, value in official.items():
        new = official_key(key, vision)
        if new is None:
            unexpected.append(key)
        else:
            state[new] = value
    _tie_from_output_layer(state)
    config = official_config(state, folder)
    with init_empty_weights(include_buffers=False):
        model = StarVectorForCausalLM(config)
    expected = set(model.state_dict())
    state = _nest_like(state, expected)
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
    fallback = config_json(folder).get("starcoder_model_name") or OFFICIAL_TOKENIZER
    return model, load_tokenizer(
        folder, fallback=tokenizer or fallback, model=model, svg_end=config.svg_end
    )


def _nest_like(state: dict, expected: set) -> dict:
    """Official SigLIP keys under ``vision_tower.vision_model.`` where this transformers version
    nests the vision model's weights there."""
    nested = "vision_tower.vision_model."
    if not any(k.startswith(nested) for k in expected):
        return state
    return {
        nested + k[len("vision_tower.") :] if k.startswith("vision_tower.") else k: v
        for k, v in state.items()
    }


def _tie_from_output_layer(state: dict) -> None:
    """A checkpoint of a tied decoder may keep the shared matrix under the output layer's name
    instead of the embedding's: store it as the embedding, tied, as the model expects."""
    head = "language_model.lm_head.weight"
    if head in state and not any(key in state for key in EMBEDDINGS.values()):
        family = "starcoder2" if any(".model.layers." in k for k in state) else "gpt_bigcode"
        state[EMBEDDINGS[family]] = state.pop(head)
