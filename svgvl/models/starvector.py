"""StarVector-style image → SVG code model: vision tower → adapter → visual tokens → code LLM.

    model = StarVectorForCausalLM.from_parts(decoder="bigcode/starcoderbase-1b",
                                             vision="ViT-L-14", vision_weights="openai",
                                             vision_layers=23, tokenizer=tokenizer)
    out = model(pixel_values, input_ids, attention_mask, labels)      # loss, logits
    new_tokens = model.generate(pixel_values, input_ids=prompt_ids, do_sample=True, ...)
    model, tokenizer = StarVectorForCausalLM.from_official("starvector/starvector-1b-im2svg")

This module is the model; :mod:`.starvector_parts` builds one from pretrained parts (decoder,
vision tower, tokenizer) and :mod:`.starvector_checkpoints` loads saved and official checkpoints.

The layout is StarVector's (Rodriguez et al., "StarVector: Generating Scalable Vector Graphics
Code from Images and Text", CVPR 2025; github.com/joanrod/star-vector):

- **vision tower**: any open_clip VisionTransformer (by model name, with an optional weights file
  or pretrained tag) or a transformers vision model such as SigLIP's (by path or hub id), or a
  tiny config for tests.  The visual tokens are *all* its output tokens — class token and one per
  patch — taken before open_clip's ``ln_post``/``proj`` head (which is dropped), optionally from
  fewer blocks than the tower has (``vision_layers``; StarVector-1B keeps 23 of ViT-L/14's 24);
- **ln_vision**: a LayerNorm on those tokens (StarVector-1B; off for SigLIP, whose output is
  normalised already);
- **adapter**: Dropout → Linear(d, 2d) → Swish → Linear(2d, d_llm) → norm, where the norm is
  BatchNorm1d over the token axis (StarVector-1B) or LayerNorm over [tokens, d_llm] (8B);
  Glorot-initialised.  No pooling and no query tokens: one LLM position per visual token;
- **decoder**: any causal LM that ``AutoModelForCausalLM`` builds (GPTBigCode/StarCoder,
  StarCoder2, Qwen2, Llama, ...), stored inside this model so that ``save_pretrained`` /
  ``from_pretrained`` round-trip the whole thing.

The visual tokens are prepended to the decoder's ``inputs_embeds``; labels are -100 on them (and
the caller puts -100 on padding).  The text is the SVG code itself, prompted with ``<svg``.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import (
    AutoConfig,
    AutoModelForCausalLM,
    PretrainedConfig,
    PreTrainedModel,
)

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
SIGLIP_MEAN = SIGLIP_STD = (0.5, 0.5, 0.5)

PROMPT = "<svg"
ADDED_TOKENS = ("<svg-start>", "<image-start>", "<caption-start>")
"""StarVector's added tokens (after ``[PAD]``): the text→SVG trigger and two unused markers."""

# StarVector-1B's image encoder: CLIP ViT-L/14 at 224 px (open_clip names; OpenAI QuickGELU).
VIT_L_14 = {
    "image_size": 224,
    "patch_size": 14,
    "width": 1024,
    "layers": 24,
    "head_width": 64,
    "mlp_ratio": 4.0,
    "quick_gelu": True,
}
# StarVector-1B's decoder: bigcode/starcoderbase-1b (GPTBigCode, multi-query attention), with
# StarVector's four added tokens in the vocabulary.
STARCODERBASE_1B = {
    "model_type": "gpt_bigcode",
    "vocab_size": 49152 + 1 + len(ADDED_TOKENS),
    "n_positions": 8192,
    "n_embd": 2048,
    "n_layer": 24,
    "n_head": 16,
    "n_inner": 8192,
    "multi_query": True,
    "activation_function": "gelu_pytorch_tanh",
    "bos_token_id": 0,
    "eos_token_id": 0,
    "pad_token_id": 49152,
}
# StarVector's evaluation sampling (1B): nucleus sampling, one beam, max_length 7800.
GENERATION_1B = {"temperature": 0.2, "top_p": 0.95, "max_length": 7800}


class StarVectorError(ValueError):
    """Weights missing or unreadable, a checkpoint that does not fit, or a bad model setting."""


# -- configuration -----------------------------------------------------------------------------


class StarVectorConfig(PretrainedConfig):
    """Everything needed to build the model without fetching anything.

    - ``text_config``: the decoder's config (a dict with ``model_type``, or a config object).
    - ``vision_backend``: ``"open_clip"`` (``vision_config`` = an open_clip ``vision_cfg`` dict
      plus ``quick_gelu``) or ``"transformers"`` (``vision_config`` = a vision model's config
      dict with ``model_type``, e.g. ``siglip_vision_model``).
    - ``vision_layers``: keep this many transformer blocks of the tower (None: all).
    - ``vision_norm``: LayerNorm ``ln_vision`` after the tower (default: on for open_clip).
    - ``adapter_norm``: ``"batch_norm"`` (StarVector-1B) or ``"layer_norm"`` (8B).
    - ``image_mean``/``image_std``: pixel normalisation (default: CLIP's, SigLIP's for SigLIP).
    - ``prompt``: the text after the visual tokens that starts every SVG.
    - ``generation_defaults``: sampling settings the engine uses unless told otherwise.
    - ``svg_end``: the token that ends an SVG after ``</svg>`` (StarVector-8B's ``<svg-end>``;
      None: the tokenizer's end of sequence only).

    The defaults are StarVector-1B's layout (ViT-L/14, 23 blocks → starcoderbase-1b).
    """

    model_type = "svgvl_starvector"
    sub_configs = {"text_config": AutoConfig}

    def __init__(
        self,
        text_config=None,
        vision_backend: str = "open_clip",
        vision_config: dict | None = None,
        vision_layers: int | None = None,
        vision_norm: bool | None = None,
        adapter_norm: str = "batch_norm",
        adapter_dropout: float = 0.1,
        image_mean=None,
        image_std=None,
        prompt: str = PROMPT,
        generation_defaults: dict | None = None,
        svg_end: str | None = None,
        **kwargs,
    ):
        if vision_backend not in ("open_clip", "transformers"):
            raise StarVectorError(
                f"vision_backend must be 'open_clip' or 'transformers', got {vision_backend!r}"
            )
        if adapter_norm not in ("batch_norm", "layer_norm"):
            raise StarVectorError(
                f"adapter_norm must be 'batch_norm' or 'layer_norm', got {adapter_norm!r}"
            )
        if text_config is None:
            text_config = dict(STARCODERBASE_1B)
        if isinstance(text_config, dict):
            text_config = dict(text_config)
            text_config = AutoConfig.for_model(text_config.pop("model_type"), **text_config)
        if vision_config is None and vision_backend == "open_clip":
            vision_config, vision_layers = (
                dict(VIT_L_14),
                23 if vision_layers is None else vision_layers,
            )
        if vision_config is None:
            raise StarVectorError("vision_config is needed for the transformers vision backend")
        siglip = "siglip" in str(vision_config.get("model_type", ""))
        # The base class first: its __init__ would reset the decoder config's attention
        # implementation (it sets that recursively on sub-configs).
        super().__init__(**kwargs)
        self.text_config = text_config
        self.vision_backend = vision_backend
        self.vision_config = dict(vision_config)
        self.vision_layers = vision_layers
        self.vision_norm = vision_backend == "open_clip" if vision_norm is None else vision_norm
        self.adapter_norm = adapter_norm
        self.adapter_dropout = adapter_dropout
        self.image_mean = list(image_mean or (SIGLIP_MEAN if siglip else CLIP_MEAN))
        self.image_std = list(image_std or (SIGLIP_STD if siglip else CLIP_STD))
        self.prompt = prompt
        self.generation_defaults = dict(
            GENERATION_1B if generation_defaults is None else generation_defaults
        )
        self.svg_end = svg_end

    @property
    def image_size(self) -> int:
        size = self.vision_config["image_size"]
        return size if isinstance(size, int) else size[0]


# -- modules -----------------------------------------------------------------------------------


class StarVectorAdapter(nn.Module):
    """Visual features → LLM embeddings, exactly as StarVector's adapter."""

    def __init__(self, d_vision: int, d_model: int, tokens: int, norm: str, dropout: float):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.c_fc = nn.Linear(d_vision, 2 * d_vision)
        self.act = nn.SiLU()  # Swish
        self.c_proj = nn.Linear(2 * d_vision, d_model)
        # batch_norm: one statistic per token position (BatchNorm1d's channels = the token axis).
        self.norm = (
            nn.BatchNorm1d(tokens) if norm == "batch_norm" else nn.LayerNorm([tokens, d_model])
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.norm(self.c_proj(self.act(self.c_fc(self.dropout(features)))))


def build_vision_tower(config: StarVectorConfig) -> nn.Module:
    """An untrained tower of the configured shape (weights come from a checkpoint or a file)."""
    cfg = dict(config.vision_config)
    if config.vision_backend == "transformers":
        from transformers import AutoModel

        if config.vision_layers is not None:
            raise StarVectorError("vision_layers is for open_clip towers only")
        return AutoModel.from_config(AutoConfig.for_model(cfg.pop("model_type"), **cfg))
    from open_clip.model import _build_vision_tower

    quick_gelu = bool(cfg.pop("quick_gelu", False))
    tower = _build_vision_tower(
        embed_dim=cfg.get("width", 768), vision_cfg=cfg, quick_gelu=quick_gelu
    )
    if not hasattr(tower, "conv1") or not hasattr(tower, "transformer"):
        raise StarVectorError(
            f"open_clip vision tower {type(tower).__name__} is not a VisionTransformer; "
            "StarVector takes the tokens of a ViT"
        )
    blocks = tower.transformer.resblocks
    if config.vision_layers is not None:
        if not 1 <= config.vision_layers <= len(blocks):
            raise StarVectorError(
                f"vision_layers must be 1..{len(blocks)}, got {config.vision_layers}"
            )
        tower.transformer.resblocks = blocks[: config.vision_layers]
    # The pooled head is not used: the visual tokens are the last kept block's output.
    tower.ln_post = nn.Identity()
    tower.proj = None
    return tower


def _tower_width(tower: nn.Module, backend: str) -> int:
    if backend == "transformers":
        return tower.config.hidden_size
    return tower.conv1.out_channels


def _tower_tokens(tower: nn.Module, config: StarVectorConfig) -> int:
    """Visual tokens per image: one per patch, plus the class token where the tower has one."""
    size = config.image_size
    if config.vision_backend == "transformers":
        patch = tower.config.patch_size
        embeddings = getattr(getattr(tower, "vision_model", tower), "embeddings", None)
        class_token = hasattr(embeddings, "class_embedding")  # CLIP has one, SigLIP none
        return (size // patch) ** 2 + int(class_token)
    patch = tower.conv1.kernel_size[0]
    return (size // patch) ** 2 + 1


# -- the model ---------------------------------------------------------------------------------


class StarVectorForCausalLM(PreTrainedModel):
    """Image → SVG code: ``[adapter(vision(image))] ‖ embed(tokens)`` into a causal LM."""

    config_class = StarVectorConfig
    base_model_prefix = ""
    main_input_name = "pixel_values"
    supports_gradient_checkpointing = True
    _supports_sdpa = True
    _supports_flash_attn = True
    _supports_flex_attn = True
    _supports_attention_backend = True
    _no_split_modules = ["ResidualAttentionBlock", "StarVectorAdapter"]

    def __init__(
        self,
        config: StarVectorConfig,
        language_model: PreTrainedModel | None = None,
        vision_tower: nn.Module | None = None,
    ):
        super().__init__(config)
        self.vision_tower = vision_tower if vision_tower is not None else build_vision_tower(config)
        d_vision = _tower_width(self.vision_tower, config.vision_backend)
        self.num_visual_tokens = _tower_tokens(self.vision_tower, config)
        self.ln_vision = nn.LayerNorm(d_vision) if config.vision_norm else nn.Identity()
        if language_model is None:
            language_model = AutoModelForCausalLM.from_config(config.text_config)
        self.language_model = language_model
        config.text_config = language_model.config  # one object: resizing updates both
        self.projector = StarVectorAdapter(
            d_vision,
            language_model.get_input_embeddings().embedding_dim,
            self.num_visual_tokens,
            config.adapter_norm,
            config.adapter_dropout,
        )
        self.post_init()

    @torch.no_grad()
    def _init_weights(self, module):
        # Only this model's own layers: the decoder (and a transformers vision tower) are
        # PreTrainedModels that initialise themselves; open_clip towers keep open_clip's init.
        projector = getattr(self, "projector", None)
        if projector is None:
            return
        if module is projector.c_fc or module is projector.c_proj:
            nn.init.xavier_uniform_(module.weight)  # StarVector's Glorot init
            nn.init.zeros_(module.bias)
        elif (module is projector.norm or module is self.ln_vision) and hasattr(
            module, "reset_parameters"
        ):
            module.reset_parameters()  # ones and zeros (and fresh BatchNorm statistics)

    # embeddings, for HF utilities (resize_token_embeddings, peft, generation) ---------------

    def get_input_embeddings(self):
        return self.language_model.get_input_embeddings()

    def set_input_embeddings(self, value):
        self.language_model.set_input_embeddings(value)

    def get_output_embeddings(self):
        return self.language_model.get_output_embeddings()

    def set_output_embeddings(self, value):
        self.language_model.set_output_embeddings(value)

    def resize_token_embeddings(
        self, new_num_tokens=None, pad_to_multiple_of=None, mean_resizing=True
    ):
        embeddings = self.language_model.resize_token_embeddings(
            new_num_tokens, pad_to_multiple_of=pad_to_multiple_of, mean_resizing=mean_resizing
        )
        self.config.text_config = self.language_model.config
        return embeddings

    def gradient_checkpointing_enable(self, gradient_checkpointing_kwargs=None, **_):
        """Recompute activations in the backward pass: the decoder's blocks and the tower's."""
        kwargs = {"use_reentrant": False, **(gradient_checkpointing_kwargs or {})}
        for part in (self.language_model, self.vision_tower):
            if hasattr(part, "set_grad_checkpointing"):  # open_clip
                part.set_grad_checkpointing(True)
            elif hasattr(part, "activation_checkpointing_enable"):  # transformers 5
                part.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
            elif hasattr(part, "gradient_checkpointing_enable"):  # transformers 4
                part.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)

    activation_checkpointing_enable = gradient_checkpointing_enable

    # vision ----------------------------------------------------------------------------------

    def _vision_tokens(self, pixel_values: torch.Tensor) -> torch.Tensor:
        tower = self.vision_tower
        if self.config.vision_backend == "transformers":
            return tower(pixel_values=pixel_values).last_hidden_state
        # open_clip ViT, as StarVector's CLIP encoder: patches + class token + positions, ln_pre,
        # the kept blocks; every token is kept.
        x = tower.conv1(pixel_values).flatten(2).transpose(1, 2)
        cls = tower.class_embedding.to(x.dtype).expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1) + tower.positional_embedding.to(x.dtype)
        x = tower.ln_pre(tower.patch_dropout(x))
        return tower.transformer(x)

    def get_image_features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """Images (B, 3, H, W), normalised → visual tokens (B, num_visual_tokens, d_llm)."""
        dtype = next(self.vision_tower.parameters()).dtype
        frozen = not any(p.requires_grad for p in self.vision_tower.parameters())
        with torch.set_grad_enabled(torch.is_grad_enabled() and not frozen):
            features = self._vision_tokens(pixel_values.to(dtype))
        features = self.ln_vision(features.to(self.projector.c_fc.weight.dtype))
        return self.projector(features)

    def _merge(self, pixel_values, input_ids, attention_mask, labels=None, inputs_embeds=None):
        """``[visual tokens] ‖ embed(input_ids)``, with the mask and labels extended to match."""
        if inputs_embeds is None:
            inputs_embeds = self.get_input_embeddings()(input_ids)
        if pixel_values is None:
            return inputs_embeds, attention_mask, labels
        visual = self.get_image_features(pixel_values).to(inputs_embeds.dtype)
        batch, tokens = visual.shape[:2]
        if inputs_embeds.shape[0] != batch:
            raise StarVectorError(
                f"{batch} images for {inputs_embeds.shape[0]} token sequences; give one each"
            )
        inputs_embeds = torch.cat([visual, inputs_embeds], dim=1)
        device = inputs_embeds.device
        if attention_mask is not None:
            ones = attention_mask.new_ones((batch, tokens))
            attention_mask = torch.cat([ones, attention_mask.to(device)], dim=1)
        if labels is not None:
            ignore = torch.full((batch, tokens), -100, dtype=labels.dtype, device=labels.device)
            labels = torch.cat([ignore, labels], dim=1)
        return inputs_embeds, attention_mask, labels

    # forward and generation ------------------------------------------------------------------

    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.LongTensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        **kwargs,
    ):
        """Teacher-forced pass.  ``labels`` are the text's (-100 on padding); the visual
        positions get -100 here.  Logits cover visual and text positions: (B, V + T, vocab)."""
        inputs_embeds, attention_mask, labels = self._merge(
            pixel_values, input_ids, attention_mask, labels, inputs_embeds
        )
        return self.language_model(
            inputs_embeds=inputs_embeds, attention_mask=attention_mask, labels=labels, **kwargs
        )

    @torch.no_grad()
    def generate(
        self,
        pixel_values: torch.Tensor,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        **kwargs,
    ) -> torch.LongTensor:
        """Sample SVG tokens after the image and a prompt (``input_ids``, e.g. ``<svg``).

        Hugging Face ``generate`` on the decoder with ``inputs_embeds`` (KV cache on); the usual
        keywords apply (``do_sample``, ``temperature``, ``top_p``, ``max_new_tokens``,
        ``num_return_sequences`` for batched candidates, ``stopping_criteria``, ...).  Returns
        the *new* tokens only, (B × num_return_sequences, ≤ max_new_tokens).
        """
        if input_ids is None:
            input_ids = torch.empty((pixel_values.shape[0], 0), dtype=torch.long)
        input_ids = input_ids.to(self.get_input_embeddings().weight.device)
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        inputs_embeds, attention_mask, _ = self._merge(pixel_values, input_ids, attention_mask)
        return self.language_model.generate(
            inputs_embeds=inputs_embeds, attention_mask=attention_mask, **kwargs
        )

    # building from parts and loading official checkpoints ---------------------------------

    @classmethod
    def from_parts(cls, **parts) -> StarVectorForCausalLM:
        """A new model from a decoder and a vision tower, each pretrained or random (hub id,
        folder or config); the keywords are :func:`svgvl.models.starvector_parts.from_parts`'s
        (``decoder``, ``vision``, ``vision_backend``, ``vision_weights``, ``vision_layers``,
        ``vision_norm``, ``adapter_norm``, ``adapter_dropout``, ``tokenizer``, ``dtype``,
        ``generation_defaults``)."""
        from .starvector_parts import from_parts  # that module builds on this one

        return from_parts(**parts)

    @classmethod
    def from_official(
        cls, path_or_id: str, *, tokenizer: str | None = None, dtype: torch.dtype | None = None
    ):
        """Load a published StarVector checkpoint (starvector-1b-im2svg layout); returns
        ``(model, tokenizer)``.

        ``path_or_id``: a local folder or a hub id (``HF_HUB_OFFLINE`` honoured: the local cache
        only).  The shapes in the weights decide the sizes; key names are mapped by
        :mod:`svgvl.models.starvector_checkpoints`.  The tokenizer comes from the checkpoint
        folder, else from ``tokenizer`` (default ``bigcode/starcoderbase-1b``), with
        StarVector's added tokens.
        Raises :class:`StarVectorError` listing missing and unexpected keys when the weights do
        not fit.
        """
        from .starvector_checkpoints import load_official  # that module builds on this one

        return load_official(path_or_id, tokenizer=tokenizer, dtype=dtype)


def context_length(config: StarVectorConfig) -> int | None:
    text = config.text_config
    return getattr(text, "n_positions", None) or getattr(text, "max_position_embeddings", None)


AutoConfig.register(StarVectorConfig.model_type, StarVectorConfig, exist_ok=True)
AutoModelForCausalLM.register(StarVectorConfig, StarVectorForCausalLM, exist_ok=True)

__all__ = [
    "StarVectorConfig",
    "StarVectorForCausalLM",
    "StarVectorAdapter",
    "StarVectorError",
    "context_length",
]
