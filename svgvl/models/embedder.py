"""A shared space for SVG drawings and text: a LiT-style two-tower model.

The text tower is the frozen sentence encoder the text-to-icon model uses (all-MiniLM-L6-v2,
:mod:`svgvl.models.text`), so the space starts from language that already knows "rocket" is near
"spaceship"; only a small projection on top of its sentence vector is trained.  The image tower
is a small CNN built from a timm architecture name (random init, trained from scratch) that sees
the drawing rendered at ``image_size`` pixels.  Both end in unit vectors of ``embed_dim``; the
cosine between them, times the learned ``logit_scale``, is the contrastive logit (CLIP's loss).

The text side takes *sentence vectors*, not token ids: the frozen encoder runs outside the
model (:class:`svgvl.understand.embed.Embedder` does it), so training reads vectors computed
once for the whole dataset and a checkpoint never contains the encoder (its config names it).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PretrainedConfig, PreTrainedModel

from .text import DEFAULT_TEXT_ENCODER

# Pixel values in [0, 1] are mapped to [-1, 1] before the CNN.
PIXEL_MEAN, PIXEL_STD = 0.5, 0.5


class EmbedderConfig(PretrainedConfig):
    """Sizes of the two towers; ``vision_model`` is any timm architecture name and
    ``vision_kwargs`` its constructor arguments (e.g. narrower ``channels``)."""

    model_type = "svgvl-embedder"

    def __init__(
        self,
        vision_model: str = "resnet18",
        vision_kwargs: dict | None = None,
        image_size: int = 64,
        embed_dim: int = 256,
        text_encoder: str = DEFAULT_TEXT_ENCODER,
        text_dim: int = 384,
        text_hidden: int = 768,
        logit_scale_init: float = math.log(1 / 0.07),
        **kwargs,
    ):
        self.vision_model = vision_model
        self.vision_kwargs = dict(vision_kwargs or {})
        self.image_size = int(image_size)
        self.embed_dim = int(embed_dim)
        self.text_encoder = text_encoder
        self.text_dim = int(text_dim)
        self.text_hidden = int(text_hidden)
        self.logit_scale_init = float(logit_scale_init)
        super().__init__(**kwargs)


class TextHead(nn.Module):
    """Frozen sentence vector → shared space: a linear map plus a residual MLP, so the trained
    part can bend the encoder's space where icons need it without losing what it knows."""

    def __init__(self, text_dim: int, hidden: int, embed_dim: int):
        super().__init__()
        self.linear = nn.Linear(text_dim, embed_dim)
        self.mlp = nn.Sequential(
            nn.LayerNorm(text_dim),
            nn.Linear(text_dim, hidden),
            nn.GELU(),
            nn.Linear(hidden, embed_dim),
        )

    def forward(self, vectors: torch.Tensor) -> torch.Tensor:
        return self.linear(vectors) + self.mlp(vectors)


class SvgTextEmbedder(PreTrainedModel):
    """``image_features(pixels)`` and ``text_features(sentence_vectors)`` → unit vectors;
    ``forward`` → the symmetric contrastive loss of a batch of matching pairs."""

    config_class = EmbedderConfig
    main_input_name = "pixels"

    def __init__(self, config: EmbedderConfig):
        super().__init__(config)
        import timm  # a training extra: `import svgvl` never loads it

        self.vision = timm.create_model(
            config.vision_model, pretrained=False, num_classes=0, **config.vision_kwargs
        )
        self.image_head = nn.Linear(self.vision.num_features, config.embed_dim, bias=False)
        self.text_head = TextHead(config.text_dim, config.text_hidden, config.embed_dim)
        self.logit_scale = nn.Parameter(torch.tensor(config.logit_scale_init))
        self.post_init()

    def _init_weights(self, module):
        """timm initialises its own layers; the heads keep PyTorch's defaults."""

    def image_features(self, pixels: torch.Tensor) -> torch.Tensor:
        """B×3×S×S pixels in [0, 1] (the drawing on its background) → B×embed_dim unit vectors."""
        features = self.vision((pixels - PIXEL_MEAN) / PIXEL_STD)
        return F.normalize(self.image_head(features), dim=-1)

    def text_features(self, vectors: torch.Tensor) -> torch.Tensor:
        """B×text_dim sentence vectors of the frozen encoder → B×embed_dim unit vectors."""
        return F.normalize(self.text_head(vectors.to(self.logit_scale.dtype)), dim=-1)

    def forward(self, pixels, vectors, same_text: torch.Tensor | None = None):
        """The CLIP loss of B matching (image, text) pairs.  ``same_text`` (B×B bool), when
        given, marks pairs whose texts are the same words: icon sets draw "home" forty times,
        and calling those forty pairs negatives would teach the model to tell them apart by
        style instead of by meaning, so each row's target is spread over its equal texts."""
        images, texts = self.image_features(pixels), self.text_features(vectors)
        logits = self.logit_scale.exp().clamp(max=100) * images @ texts.T
        if same_text is None:
            target = torch.arange(len(logits), device=logits.device)
            return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2
        target = same_text.float()
        target = target / target.sum(1, keepdim=True)
        return (
            torch.sum(-target * F.log_softmax(logits, 1), 1).mean()
            + torch.sum(-target.T * F.log_softmax(logits.T, 1), 1).mean()
        ) / 2


def is_embedder_folder(folder: Path) -> bool:
    """Whether ``folder`` holds a saved embedder (its config's ``model_type``)."""
    try:
        config = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and config.get("model_type") == EmbedderConfig.model_type
