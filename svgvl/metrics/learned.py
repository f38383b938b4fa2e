"""Metrics that need a model by path or hub id (read through :mod:`svgvl.hub`): LPIPS,
DinoScore, and the tokenizer that counts ``tokens``.

torch and transformers are imported only when one of them is asked for, so that
``import svgvl.metrics`` stays light; a missing package, model or tokenizer is a
:class:`MetricError` naming the option to pass.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import re

import numpy as np
from PIL import Image

from .. import hub
from .fidelity import to_uint8

DEFAULT_DINO = "facebook/dinov2-base"


class MetricError(ValueError):
    """A requested metric cannot be computed: its model or tokenizer is missing or unreadable."""


def lpips_distance(a, b, weights) -> float:
    """LPIPS (VGG, v0.1) between two uint8 RGB images of the same shape; 0 when identical.

    The published definition: inputs scaled to [-1, 1] and shifted by LPIPS's scaling layer,
    VGG16 features at relu1_2, relu2_2, relu3_3, relu4_3, relu5_3, each unit-normalised over
    channels, squared difference, a learned 1×1 linear layer, spatial mean, summed over layers.

    ``weights``: a file, or a folder of files, whose state dicts together hold

    - the VGG16 convolutions under torchvision's names ``features.N.weight/bias`` (torchvision's
      ``vgg16-397923af.pth``), or the lpips package's ``net.sliceK.N.*``, and
    - the five linear layers ``lin0.model.1.weight`` … ``lin4.model.1.weight`` (the lpips
      project's ``weights/v0.1/vgg.pth``); if only the backbone is given and the ``lpips``
      package is installed, its bundled ``vgg.pth`` is used.

    ``.pth``/``.pt``/``.bin`` files are read with ``torch.load(weights_only=True)``,
    ``.safetensors`` with safetensors.  Missing or unreadable weights raise :class:`MetricError`.
    """
    if not isinstance(weights, str | os.PathLike):
        raise _lpips_error(repr(weights), "not a path to weights")
    torch = _require("torch", "lpips=PATH")
    model = _lpips_model(os.path.abspath(os.fspath(weights)))
    pair = np.stack([to_uint8(a), to_uint8(b)])
    if pair.ndim != 4 or pair.shape[-1] != 3:
        raise ValueError(f"expected two H×W×3 images of the same shape, got {pair.shape[1:]}")
    with torch.inference_mode():
        x = torch.from_numpy(pair).permute(0, 3, 1, 2).float() / 127.5 - 1.0
        return float(model(x[:1], x[1:]).item())


_VGG16 = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512]
_LPIPS_TAPS = (3, 8, 15, 22, 29)  # indices of relu1_2 … relu5_3 in torchvision's vgg16.features


@functools.lru_cache(maxsize=4)
def _lpips_model(path: str):
    import torch
    from torch import nn

    class LPIPS(nn.Module):
        def __init__(self):
            super().__init__()
            layers, channels = [], 3
            for spec in _VGG16:
                if spec == "M":
                    layers.append(nn.MaxPool2d(2, 2))
                else:
                    layers += [nn.Conv2d(channels, spec, 3, padding=1), nn.ReLU()]
                    channels = spec
            self.features = nn.Sequential(*layers)
            self.lins = nn.ModuleList(
                nn.Conv2d(self.features[tap - 1].out_channels, 1, 1, bias=False)
                for tap in _LPIPS_TAPS
            )
            self.register_buffer("shift", torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1))
            self.register_buffer("scale", torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1))

        def taps(self, x):
            x, out = (x - self.shift) / self.scale, []
            for index, layer in enumerate(self.features):
                x = layer(x)
                if index in _LPIPS_TAPS:
                    out.append(x / (x.pow(2).sum(dim=1, keepdim=True).sqrt() + 1e-10))
            return out

        def forward(self, x0, x1):
            n = len(x0)
            taps = self.taps(torch.cat([x0, x1]))  # one pass for both batches
            return sum(
                lin((f[:n] - f[n:]) ** 2).mean(dim=(2, 3))
                for lin, f in zip(self.lins, taps, strict=True)
            ).flatten()

    state = _lpips_state(path)
    model = LPIPS()
    try:
        model.features.load_state_dict(
            {k[len("features.") :]: v for k, v in state.items() if k.startswith("features.")}
        )
        for i, lin in enumerate(model.lins):
            lin.weight.data.copy_(state[f"lin{i}.model.1.weight"].reshape(lin.weight.shape))
    except (RuntimeError, KeyError) as error:
        raise _lpips_error(path, f"weights do not fit VGG16-LPIPS: {_short(error)}") from None
    return model.eval()


def _lpips_state(path: str) -> dict:
    """Merged state dict from ``path`` (file or folder), keys mapped onto torchvision's names."""
    if os.path.isdir(path):
        files = sorted(
            os.path.join(path, name)
            for name in os.listdir(path)
            if name.endswith((".pth", ".pt", ".bin", ".safetensors"))
        )
    elif os.path.isfile(path):
        files = [path]
    else:
        raise _lpips_error(path, "no such file or folder")
    state = {}
    for file in files:
        state.update(_read_state(file, path))
    state = {re.sub(r"^net\.slice\d+\.", "features.", k): v for k, v in state.items()}
    if not any(k.startswith("lin0.") for k in state):
        bundled = _bundled_lpips_lin()
        if bundled:
            state.update(_read_state(bundled, path))
    missing = [
        what
        for what, prefix in (("VGG16 features.*", "features."), ("lin0..lin4 layers", "lin0."))
        if not any(k.startswith(prefix) for k in state)
    ]
    if missing:
        raise _lpips_error(path, f"no {' and no '.join(missing)} weights found")
    return state


def _read_state(file: str, option: str) -> dict:
    try:
        return hub.read_state_dict(file)
    except Exception as error:
        raise _lpips_error(option, f"cannot read {file}: {_short(error)}") from None


def _bundled_lpips_lin() -> str | None:
    spec = importlib.util.find_spec("lpips")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], "weights", "v0.1", "vgg.pth")
    return path if os.path.isfile(path) else None


def _lpips_error(path: str, reason: str) -> MetricError:
    return MetricError(
        f"LPIPS weights {path!r}: {reason}; pass lpips=PATH (CLI: --lpips PATH) naming torchvision's "
        "vgg16-*.pth and the lpips project's vgg.pth (a folder holding both, or one combined "
        "state dict); see svgvl.metrics.lpips_distance"
    )


def dino_score(a, b, model=DEFAULT_DINO) -> float:
    """DinoScore: ``(cos + 1) / 2`` between the mean last hidden states of a DINOv2 model.

    ``model``: a local path or hub id for ``transformers.AutoModel`` (offline when
    ``HF_HUB_OFFLINE`` is set or the path is a folder).  Images are prepared by the model's own
    image processor, or DINOv2's published one (shortest edge 256, centre crop 224, ImageNet
    mean/std) when the folder has none.
    """
    torch = _require("torch", "dino=PATH_OR_HUB_ID")
    _require("transformers", "dino=PATH_OR_HUB_ID")
    network, processor = _dino_model(os.fspath(model))
    inputs = processor(images=[to_uint8(a), to_uint8(b)], return_tensors="pt")
    with torch.inference_mode():
        features = network(pixel_values=inputs["pixel_values"]).last_hidden_state.mean(dim=1)
        cosine = torch.nn.functional.cosine_similarity(features[:1], features[1:]).item()
    return (cosine + 1.0) / 2.0


@functools.lru_cache(maxsize=4)
def _dino_model(name: str):
    try:
        from transformers import AutoModel

        network = hub.from_pretrained(AutoModel, name).eval()
    except Exception as error:
        raise MetricError(
            f"cannot load the DINOv2 model {name!r} ({_short(error)}); pass dino=PATH_OR_HUB_ID "
            f"(CLI: --dino PATH_OR_HUB_ID) naming a local copy of {DEFAULT_DINO}"
        ) from None
    try:
        from transformers import AutoImageProcessor

        processor = hub.from_pretrained(AutoImageProcessor, name)
    except Exception:
        from transformers import BitImageProcessor

        processor = BitImageProcessor(
            size={"shortest_edge": 256},
            crop_size={"height": 224, "width": 224},
            resample=Image.Resampling.BICUBIC,
            image_mean=[0.485, 0.456, 0.406],
            image_std=[0.229, 0.224, 0.225],
        )
    return network, processor


def _require(module: str, option: str):
    """Import an optional dependency, or say how to get it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MetricError(
            f"{option} needs {module}, which is not installed: pip install 'svgvl[learn]'"
        ) from None


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


@functools.lru_cache(maxsize=8)
def load_tokenizer(name: str):
    """A Hugging Face tokenizer by folder or hub id, for counting ``tokens``."""
    _require("transformers", "tokenizer=PATH")
    try:
        from transformers import AutoTokenizer

        return hub.from_pretrained(AutoTokenizer, name)
    except Exception as error:
        raise MetricError(
            f"cannot load the tokenizer {name!r} ({_short(error)}); pass tokenizer=PATH "
            "(CLI: --tokenizer PATH) naming a saved Hugging Face tokenizer, e.g. a local copy of "
            "bigcode/starcoderbase-1b"
        ) from None
