"""Growing a trained text-to-icon model deeper without losing what it learned."""

from __future__ import annotations

import copy

from torch import nn

from ..models.iconshop import IconShopForCausalLM


def grow_depth(model: IconShopForCausalLM, n_layer: int) -> IconShopForCausalLM:
    """A deeper copy of ``model`` that computes the same function: each new block is a copy of
    the block below it whose two output projections are zero, so it adds nothing until
    training moves them (function-preserving growth, as Net2Net), and a trained model can gain
    capacity without starting over.  At most doubles the depth; blocks are copied evenly."""
    n = model.config.n_layer
    if not n < n_layer <= 2 * n:
        raise ValueError(f"can grow {n} layers to {n + 1}..{2 * n}, not {n_layer}")
    extra = n_layer - n
    copied = {(2 * j + 1) * n // (2 * extra) for j in range(extra)}  # evenly spread
    grown = copy.deepcopy(model)  # embeddings, text projection and head as they are
    blocks = []
    for i, block in enumerate(grown.blocks):
        blocks.append(block)
        if i in copied:
            twin = copy.deepcopy(block)
            for proj in (twin.attn.proj, twin.mlp.proj):
                nn.init.zeros_(proj.weight)
                nn.init.zeros_(proj.bias)
            blocks.append(twin)
    grown.blocks = nn.ModuleList(blocks)
    grown.config.n_layer = n_layer
    return grown
