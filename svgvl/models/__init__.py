"""Hugging Face style models: ``PretrainedConfig`` + ``PreTrainedModel`` with ``generate()``.

    from svgvl.models import StarVectorConfig, StarVectorForCausalLM  # image → SVG (starvector.py)
    from svgvl.models import IconShopConfig, IconShopForCausalLM      # text → icon (iconshop.py)

Names are imported on first use, so ``import svgvl.models`` does not import torch.
"""

from __future__ import annotations

import importlib

_API = {
    "StarVectorConfig": ".starvector",
    "StarVectorForCausalLM": ".starvector",
    "StarVectorAdapter": ".starvector",
    "StarVectorError": ".starvector",
    "IconShopConfig": ".iconshop",
    "IconShopForCausalLM": ".iconshop",
    "KVCache": ".iconshop",
    "generate_icons": ".iconshop",
    "load_iconshop": ".iconshop",
    "TextEncoder": ".text",
    "load_text_encoder": ".text",
}

__all__ = list(_API)


def __getattr__(name: str):
    if name in _API:
        value = getattr(importlib.import_module(_API[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'svgvl.models' has no attribute {name!r}")
