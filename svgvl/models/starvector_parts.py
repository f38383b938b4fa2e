"""The pretrained parts a new StarVector model is built from, each named by a hub id or a folder.

    model = from_parts(decoder="bigcode/starcoderbase-1b", vision="ViT-L-14",
                       vision_weights="openai", vision_layers=23, tokenizer=tokenizer)

The decoder is any causal LM that ``AutoModelForCausalLM`` loads; the vision tower is a
transformers vision model (SigLIP, CLIP, ...) or an open_clip ViT with a weights file or a
pretrained tag; the tokenizer gets StarVector's added tokens.  Every name is resolved by
:mod:`svgvl.hub`, so a missing part fails with an error that says what to pass.  This module
builds on :mod:`svgvl.models.starvector` (the model); ``StarVectorForCausalLM.from_parts`` calls
:func:`from_parts`.
"""

from __future__ import annotations

import os
import re

import torch
from torch import nn
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, PretrainedConfig

from .. import hub
from .starvector import (
    ADDED_TOKENS,
    StarVectorConfig,
    StarVectorError,
    StarVectorForCausalLM,
)

PAD_TOKEN = "[PAD]"
"""StarVector's pad token, added when the tokenizer has none."""


def from_parts(
    *,
    decoder: str | dict | PretrainedConfig,
    vision: str | dict = "ViT-L-14",
    vision_backend: str = "open_clip",
    vision_weights: str | None = None,
    vision_layers: int | None = None,
    vision_norm: bool | None = None,
    adapter_norm: str = "batch_norm",
    adapter_dropout: float = 0.1,
    tokenizer=None,
    dtype: torch.dtype | None = None,
    generation_defaults: dict | None = None,
) -> StarVectorForCausalLM:
    """A new model from a decoder and a vision tower, each pretrained or random.

    - ``decoder``: a causal LM's hub id or local path (its weights are loaded), or a config
      (dict with ``model_type``, or config object) for a randomly initialised one.
    - ``vision``: for open_clip, a model name (``"ViT-L-14"``) or a ``vision_cfg`` dict;
      for ``vision_backend="transformers"``, a path or hub id (weights loaded, e.g.
      ``google/siglip-large-patch16-384``) or a vision config dict (random).
    - ``vision_weights``: open_clip only: a weights file (a whole CLIP checkpoint or the
      tower's) or an open_clip pretrained tag such as ``"openai"``.
    - ``tokenizer``: its added tokens are given embeddings (the decoder is resized to it),
      and its pad/eos ids are written into the decoder config.
    """
    if isinstance(decoder, str):
        language_model = pretrained(AutoModelForCausalLM, decoder, dtype=dtype)
    else:
        text_config = decoder
        if isinstance(decoder, dict):
            text_config = dict(decoder)
            if tokenizer is not None:  # a random decoder gets the tokenizer's vocabulary
                add_starvector_tokens(tokenizer)
                text_config.setdefault("vocab_size", len(tokenizer))
                for key, value in token_ids(tokenizer).items():
                    text_config.setdefault(key, value)
            text_config = AutoConfig.for_model(text_config.pop("model_type"), **text_config)
        language_model = AutoModelForCausalLM.from_config(text_config)
    tower = None
    if vision_backend == "transformers" and isinstance(vision, str):
        tower = pretrained_vision_tower(vision, dtype=dtype)
        vision_config = tower.config.to_dict()
    elif vision_backend == "transformers":
        vision_config = dict(vision)
    else:
        vision_config = open_clip_config(vision, vision_weights)
    config = StarVectorConfig(
        text_config=language_model.config,
        vision_backend=vision_backend,
        vision_config=vision_config,
        vision_layers=vision_layers,
        vision_norm=vision_norm,
        adapter_norm=adapter_norm,
        adapter_dropout=adapter_dropout,
        generation_defaults=generation_defaults,
    )
    model = StarVectorForCausalLM(config, language_model=language_model, vision_tower=tower)
    if vision_backend == "open_clip" and vision_weights:
        load_open_clip_weights(model.vision_tower, vision, vision_weights)
    if tokenizer is not None:
        add_starvector_tokens(tokenizer)
        if len(tokenizer) > model.get_input_embeddings().num_embeddings:
            model.resize_token_embeddings(len(tokenizer))
        ids = token_ids(tokenizer)
        for settings in (model.config.text_config, model.language_model.generation_config):
            if settings is not None:
                for key, value in ids.items():
                    setattr(settings, key, value)
    if dtype is not None:
        model.to(dtype)
    return model


def token_ids(tokenizer) -> dict:
    """The decoder's pad, eos and bos ids from the tokenizer (bos is eos where it has none)."""
    bos = tokenizer.bos_token_id
    return {
        "pad_token_id": tokenizer.pad_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "bos_token_id": tokenizer.eos_token_id if bos is None else bos,
    }


def key_list(what: str, keys: list[str], shown: int = 12) -> str:
    """``"3 missing keys: a, b, c"`` for an error message (empty for no keys)."""
    if not keys:
        return ""
    listed = ", ".join(keys[:shown]) + (
        f", ... ({len(keys) - shown} more)" if len(keys) > shown else ""
    )
    return f"{len(keys)} {what} key{'s' if len(keys) != 1 else ''}: {listed}"


# -- decoder and vision tower ------------------------------------------------------------------


def pretrained(factory, name: str, **kwargs):
    """``factory.from_pretrained`` on a folder or hub id; failures as :class:`StarVectorError`."""
    try:
        return hub.from_pretrained(factory, name, **kwargs)
    except OSError as error:
        if os.path.isdir(name) or isinstance(error, hub.NoSuchFolder):
            raise StarVectorError(f"{name}: {str(error).splitlines()[0]}") from None
        raise StarVectorError(hub.unavailable(name, error)) from None


def pretrained_vision_tower(name: str, dtype=None) -> nn.Module:
    """A transformers vision model (SigLIP, CLIP, ...) from a path or hub id; a full two-tower
    checkpoint (e.g. google/siglip-large-patch16-384) gives its vision half."""
    from transformers import MODEL_MAPPING

    config = pretrained(AutoConfig, name)
    vision_config = getattr(config, "vision_config", None) or config
    model_class = MODEL_MAPPING[type(vision_config)]
    return pretrained(model_class, name, dtype=dtype)


def open_clip_config(vision, weights: str | None) -> dict:
    """An open_clip model's ``vision_cfg`` (plus ``quick_gelu``), by model name or as given."""
    if isinstance(vision, dict):
        return dict(vision)
    import open_clip

    model = open_clip.get_model_config(vision)
    if model is None:
        raise StarVectorError(
            f"unknown open_clip model {vision!r}; see open_clip.list_models() (e.g. ViT-L-14)"
        )
    cfg = dict(model["vision_cfg"])
    # OpenAI's weights were trained with QuickGELU (open_clip switches it on for them too).
    cfg["quick_gelu"] = (
        bool(model.get("quick_gelu")) or weights == "openai" or vision.endswith("-quickgelu")
    )
    return cfg


def load_open_clip_weights(tower: nn.Module, name, weights: str) -> None:
    """Load an open_clip checkpoint (file or pretrained tag) into a tower built here: ``visual.``
    prefixes are stripped, and the dropped head and blocks beyond ``vision_layers`` ignored."""
    if os.path.isfile(weights):
        try:
            state = hub.read_state_dict(weights)
        except TypeError as error:
            raise StarVectorError(f"vision_weights {weights}: {error}") from None
    else:
        if not isinstance(name, str):
            raise StarVectorError(f"vision_weights {weights!r}: no such file")
        import open_clip

        try:
            state = open_clip.create_model(name, pretrained=weights).visual.state_dict()
        except Exception as error:  # noqa: BLE001 - open_clip raises RuntimeError for tags
            raise StarVectorError(
                f"open_clip weights {name}/{weights}: {str(error).splitlines()[0][:200]}"
                + ("; " + hub.unavailable(f"{name} ({weights})") if hub.offline() else "")
            ) from None
    if any(k.startswith("visual.") for k in state):
        state = {k[len("visual.") :]: v for k, v in state.items() if k.startswith("visual.")}
    kept = len(tower.transformer.resblocks)
    state = {
        k: v
        for k, v in state.items()
        if not k.startswith(("ln_post.", "proj"))
        and not ((m := re.match(r"transformer\.resblocks\.(\d+)\.", k)) and int(m.group(1)) >= kept)
    }
    result = tower.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise StarVectorError(
            f"vision weights {weights}: "
            + "; ".join(
                filter(
                    None,
                    (
                        key_list("missing", result.missing_keys),
                        key_list("unexpected", result.unexpected_keys),
                    ),
                )
            )
        )


# -- tokenizer ---------------------------------------------------------------------------------


def add_starvector_tokens(tokenizer, svg_end: str | None = None) -> None:
    """StarVector's tokenizer additions, in its order: ``[PAD]`` when there is no pad token,
    then ``<svg-start>``, ``<image-start>``, ``<caption-start>`` and, for StarVector-8B,
    ``svg_end`` (``<svg-end>``) with left padding; existing ones are kept."""
    if tokenizer.pad_token_id is None:
        tokenizer.add_special_tokens({"pad_token": PAD_TOKEN})
    wanted = ADDED_TOKENS + ((svg_end,) if svg_end else ())
    missing = [t for t in wanted if t not in tokenizer.get_vocab()]
    if missing:
        tokenizer.add_tokens(missing)
    if svg_end:
        tokenizer.padding_side = "left"


def load_tokenizer(
    path_or_id: str, *, fallback: str | None = None, model=None, svg_end: str | None = None
):
    """A tokenizer with StarVector's added tokens, from a folder or hub id (else ``fallback``)."""
    folder = path_or_id if os.path.isdir(path_or_id) else None
    has_files = folder is None or any(
        os.path.isfile(os.path.join(folder, f))
        for f in ("tokenizer.json", "tokenizer_config.json", "vocab.json")
    )
    source = path_or_id if has_files else fallback
    if source is None:
        raise StarVectorError(f"{path_or_id}: no tokenizer files in this folder")
    tokenizer = pretrained(AutoTokenizer, source)
    add_starvector_tokens(tokenizer, svg_end)
    if model is not None and len(tokenizer) > model.get_input_embeddings().num_embeddings:
        raise StarVectorError(
            f"tokenizer {source} has {len(tokenizer)} tokens but the model only "
            f"{model.get_input_embeddings().num_embeddings} embeddings"
        )
    return tokenizer
