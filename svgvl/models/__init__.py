"""Hugging Face style models: ``PretrainedConfig`` + ``PreTrainedModel`` with ``generate()``.

    from svgvl.models import StarVectorConfig, StarVectorForCausalLM  # image → SVG (starvector.py)
    from svgvl.models import IconShopConfig, IconShopForCausalLM      # text → icon (iconshop.py)

Names are imported on first use, so ``import svgvl.models`` does not import torch.
"""

from __future__ import annotations

from ..lazy import lazy_names

_API = {
    "StarVectorConfig": ".starvector",
    "StarVectorForCausalLM": ".starvector",
    "StarVectorAdapter": ".starvector",
    "StarVectorError": ".starvector",
    "IconShopConfig": ".iconshop",
    "IconShopForCausalLM": ".iconshop",
    "KVCache": ".iconshop",
    "generate_icons": "..engines.icons",
    "load_iconshop": ".iconshop",
    "TextEncoder": ".text",
    "load_text_encoder": ".text",
}

__all__ = list(_API)


__getattr__ = lazy_names(__name__, _API)
