"""int8 weights for shipping: each matrix as int8 rows with one scale per row, float32 on load.

A 28 M-parameter text-to-icon model is 112 MB in float32 and 56 MB in bf16; stored as int8 rows
(``scale = max|row| / 127``) it is 28 MB, small enough to ship inside the package, and the
float32 weights it loads back differ from the originals by about half a step of their row
(0.4 % of the row's largest weight).  Vectors (biases, LayerNorms) stay as they were.  The same
rows serve the GPU pack's frozen text encoder (``eval/gpu/iconshop_pack.py``).

    save_int8(model.state_dict(), folder / INT8_FILE)
    model.load_state_dict(load_int8(folder / INT8_FILE))
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

INT8_FILE = "model.int8.safetensors"
QUANTIZED, SCALE = ".int8", ".scale"


def quantize_rows(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(int8 rows, float32 scale per row) of a matrix."""
    weight = weight.float()
    scale = weight.abs().amax(dim=1, keepdim=True).clamp(min=1e-12) / 127
    return torch.round(weight / scale).to(torch.int8), scale.squeeze(1)


def dequantize_rows(rows: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return rows.float() * scale.float()[:, None]


def save_int8(state: dict[str, torch.Tensor], path, metadata: dict | None = None) -> Path:
    """Write ``state`` with every matrix as int8 rows; other tensors keep their dtype.
    Tensors that share storage (tied weights) are written once each under their own name."""
    tensors = {}
    for name, value in state.items():
        if value.ndim == 2 and value.is_floating_point():
            tensors[name + QUANTIZED], tensors[name + SCALE] = quantize_rows(value)
        else:
            tensors[name] = value.detach().clone().contiguous()
    save_file(tensors, str(path), metadata={"format": "svgvl-int8-rows/1", **(metadata or {})})
    return Path(path)


def load_int8(path) -> dict[str, torch.Tensor]:
    """The float32 state dict of a file :func:`save_int8` wrote."""
    tensors = load_file(str(path))
    state = {}
    for name, value in tensors.items():
        if name.endswith(QUANTIZED):
            base = name[: -len(QUANTIZED)]
            state[base] = dequantize_rows(value, tensors[base + SCALE])
        elif not name.endswith(SCALE):
            state[name] = value.float() if value.is_floating_point() else value
    return state
