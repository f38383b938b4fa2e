"""Scores: fidelity (SVG-Bench definitions) and compactness; everything in svgvl that scores.

Fidelity compares pixels rendered by :func:`svgvl.render.rasterize`:

- ``mse``: mean squared error on RGB scaled to [0, 1] (SVG-Bench's "L2").
- ``psnr``: ``10·log10(1/mse)`` in dB, capped at :data:`PSNR_CAP` so identical images give a
  finite, JSON-safe number and benchmark means stay finite.
- ``ssim``: ``skimage.metrics.structural_similarity`` on uint8 RGB, ``win_size=11``,
  ``channel_axis=-1``, ``data_range=255`` (uniform window, as StarVector computes it).
- ``lpips`` (lower is better) and ``dino`` (DinoScore, higher is better) when weights are given;
  torch and transformers are imported only then.

Compactness describes a candidate SVG as given: ``bytes``, ``paths`` (shape elements),
``commands`` (path commands with implicit repeats; other shapes count 1) and ``tokens``.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import math
import os
import re
from dataclasses import dataclass

import numpy as np
from PIL import Image

from . import hub
from .render import ImageError, load_image, rasterize
from .svg import Document, SVGError, parse
from .svg.numbers import NUMBER
from .svg.parse import MAX_BYTES, is_svg_element, local_name

PSNR_CAP = 100.0
"""PSNR for identical images and ceiling for all (dB); above it, 512² images differ by a few
one-level pixel changes at most, so nothing a reader could see is lost."""

SHAPES = frozenset({"path", "rect", "circle", "ellipse", "line", "polyline", "polygon"})
DEFAULT_DINO = "facebook/dinov2-base"

_ARITY = {"m": 2, "l": 2, "h": 1, "v": 1, "c": 6, "s": 4, "q": 4, "t": 2, "a": 7, "z": 0}
_SEPARATOR = re.compile(r"[\s,]*")
_FLAG = re.compile(r"[01]")
_RASTER_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\0", b"MM\0*", b"\0\0\1\0")


class MetricError(ValueError):
    """A requested metric cannot be computed: its model or tokenizer is missing or unreadable."""


# -- fidelity ----------------------------------------------------------------------------------


def mse(a, b) -> float:
    """Mean squared error of two images on [0, 1] (uint8 arrays are divided by 255)."""
    a, b = _unit(a), _unit(b)
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    return float(np.mean((a - b) ** 2))


def psnr(a, b) -> float:
    """Peak signal-to-noise ratio in dB on [0, 1]; :data:`PSNR_CAP` for identical images."""
    error = mse(a, b)
    return PSNR_CAP if error == 0 else min(PSNR_CAP, 10.0 * math.log10(1.0 / error))


def _box_mean(x: np.ndarray, size: int) -> np.ndarray:
    """Mean over every size×size window that lies inside the image, by cumulative sums.

    SSIM averages only over these windows (skimage crops the filtered maps by half a window),
    so the mirrored edges that ``uniform_filter`` computes would be thrown away.
    """
    c = np.cumsum(x, axis=0)
    c[size:] -= c[:-size]
    c = np.cumsum(c[size - 1 :], axis=1)
    c[:, size:] -= c[:, :-size]
    return c[:, size - 1 :] / (size * size)


def ssim(a, b) -> float:
    """SSIM of two uint8 RGB images at SVG-Bench settings (window 11, or the image side if less).

    The definition of ``skimage.metrics.structural_similarity(a, b, win_size=11,
    channel_axis=-1, data_range=255)`` (uniform window, sample covariance, K1=0.01, K2=0.03,
    mean over the valid region and the channels), computed in numpy so that scoring one
    image does not import scipy; tests check it equals skimage's.
    """
    a, b = _uint8(a), _uint8(b)
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    window = min(11, *a.shape[:2])
    window -= 1 - window % 2  # an odd window, as skimage requires
    if window < 3:
        raise ValueError(f"images of {a.shape[1]}×{a.shape[0]} pixels are too small for SSIM")
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    norm = window * window / (window * window - 1)
    total = 0.0
    channels = a.shape[2] if a.ndim == 3 else 1
    for ch in range(channels):
        x = (a[..., ch] if a.ndim == 3 else a).astype(np.float64)
        y = (b[..., ch] if b.ndim == 3 else b).astype(np.float64)
        ux, uy = _box_mean(x, window), _box_mean(y, window)
        vx = norm * (_box_mean(x * x, window) - ux * ux)
        vy = norm * (_box_mean(y * y, window) - uy * uy)
        vxy = norm * (_box_mean(x * y, window) - ux * uy)
        s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
        total += s.mean()
    return float(total / channels)


def _unit(image) -> np.ndarray:
    image = np.asarray(image)
    return image.astype(np.float64) / 255.0 if image.dtype == np.uint8 else image.astype(np.float64)


def _uint8(image) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype == np.uint8:
        return image
    return np.rint(np.clip(image, 0, 1) * 255).astype(np.uint8)


# -- compactness -------------------------------------------------------------------------------


def ink_features(svgs, size: int = 32) -> np.ndarray:
    """Unit vectors of each drawing's ink (darkness on white) at ``size`` px: their dot
    product is a cheap likeness of two drawings (text-to-icon novelty, retrieval, the icon
    library's check that a variant still looks like its source)."""
    out = np.zeros((len(svgs), size * size), dtype=np.float32)
    for i, svg in enumerate(svgs):
        grey = rasterize(svg, size).astype(np.float32).mean(axis=2)
        out[i] = (255 - grey).ravel()
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-6)


def count_paths(svg) -> int:
    """Shape elements in the file (path, rect, circle, ellipse, line, polyline, polygon).

    Each counts once where it is written (a shape in ``<defs>`` drawn by ``<use>`` counts once);
    shapes inside ``<clipPath>`` only cut others and are not counted.
    """
    return len(_shapes(svg))


def count_commands(svg) -> int:
    """Path commands, implicit repeats included (``M0 0 1 1 2 2`` is 3), plus 1 per other shape.

    Path data is counted up to its first error, as renderers draw it.
    """
    return sum(
        count_path_commands(el.get("d", "")) if local_name(el) == "path" else 1
        for el in _shapes(svg)
    )


def count_path_commands(d: str) -> int:
    """Commands in one ``d`` attribute, implicit repeats included, up to the first error."""
    count, pos, letter, n = 0, 0, None, len(d)
    while True:
        pos = _SEPARATOR.match(d, pos).end()
        if pos >= n:
            return count
        if d[pos].isalpha():
            letter = d[pos].lower()
            if letter not in _ARITY or (count == 0 and letter != "m"):
                return count
            pos += 1
            if letter == "z":
                count += 1
                continue
        elif letter in (None, "z"):
            return count  # numbers with no command, or after Z
        pos = _arguments(d, pos, letter)
        if pos is None:
            return count
        count += 1


def _arguments(d: str, pos: int, letter: str) -> int | None:
    """Position after one complete argument group of ``letter``, or None if it is not there."""
    for index in range(_ARITY[letter]):
        if index:
            pos = _SEPARATOR.match(d, pos).end()
        pattern = _FLAG if letter == "a" and index in (3, 4) else NUMBER
        match = pattern.match(d, pos)
        if not match:
            return None
        pos = match.end()
    return pos


def _shapes(svg) -> list:
    root = (svg if isinstance(svg, Document) else parse(svg)).root
    clipping = {el for clip in root.iter() if local_name(clip) == "clipPath" for el in clip.iter()}
    return [
        el
        for el in root.iter()
        if local_name(el) in SHAPES and is_svg_element(el) and el not in clipping
    ]


def count_tokens(text: str, tokenizer) -> int:
    """Tokens of the SVG text, as StarVector counts them (``tokenizer.encode(text)``).

    ``tokenizer``: a Hugging Face tokenizer (``transformers`` or ``tokenizers``), or a local path
    or hub id loaded with ``AutoTokenizer`` (offline when ``HF_HUB_OFFLINE`` is set).
    """
    if isinstance(tokenizer, str | os.PathLike):
        _require("transformers", "tokenizer=PATH")
        tokenizer = _load_tokenizer(os.fspath(tokenizer))
    ids = tokenizer.encode(text)
    return len(getattr(ids, "ids", ids))


@functools.lru_cache(maxsize=8)
def _load_tokenizer(name: str):
    try:
        from transformers import AutoTokenizer

        return hub.from_pretrained(AutoTokenizer, name)
    except Exception as error:
        raise MetricError(
            f"cannot load the tokenizer {name!r} ({_short(error)}); pass tokenizer=PATH "
            "(CLI: --tokenizer PATH) naming a saved Hugging Face tokenizer, e.g. a local copy of "
            "bigcode/starcoderbase-1b"
        ) from None


# -- learned metrics ---------------------------------------------------------------------------


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
    pair = np.stack([_uint8(a), _uint8(b)])
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
    inputs = processor(images=[_uint8(a), _uint8(b)], return_tensors="pt")
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


# -- compare -----------------------------------------------------------------------------------


@dataclass
class _Side:
    """One side of a comparison: an SVG (``svg`` is True; ``raw`` is its text) or an image."""

    svg: bool
    source: object
    raw: bytes | None = None
    name: str | None = None


def compare(candidate, target, size=512, *, tokenizer=None, lpips=None, dino=None) -> dict:
    """Score ``candidate`` against ``target``; returns a flat dict of numbers.

    Each side is an SVG (text, bytes, ``.svg``/``.svgz`` path, file object or
    :class:`~svgvl.svg.Document`) or an image (raster file path, bytes, file object, numpy array
    or PIL image); bytes and files are told apart by their first bytes.

    Resolution: two SVGs are both rendered at ``size``×``size`` (SVG-Bench); with one image, the
    SVG is rendered at that image's pixel size, so ``compare(x, rasterize(x))`` is exact; two
    images of different shapes: the candidate is resized (Lanczos) to the target's shape.

    Keys: ``mse``, ``psnr``, ``ssim``, then ``lpips`` if ``lpips`` (weights path, see
    :func:`lpips_distance`) and ``dino`` if ``dino`` (path or hub id, or True for
    ``facebook/dinov2-base``) are given; for an SVG candidate ``bytes``, ``paths``,
    ``commands`` (None if it does not parse) and ``tokens`` if ``tokenizer`` is given; always
    ``failed``.  A candidate that cannot be read or rendered scores as an all-white image
    (SVG-Bench) with ``failed: True`` and ``error``; a bad target raises.
    """
    cand, targ = _side(candidate), _side(target)
    cand_pixels, error = _load(cand)  # an image candidate's pixels; errors are kept, not raised
    if targ.svg:
        doc = targ.source
        if not isinstance(doc, Document):
            doc = parse(targ.raw if targ.raw is not None else targ.source, name=targ.name)
        canvas = cand_pixels.shape[1::-1] if cand_pixels is not None else size
        target_pixels = rasterize(doc, canvas)
    else:
        target_pixels = load_image(targ.source)
    height, width = target_pixels.shape[:2]
    if cand.svg and error is None:
        try:
            cand_pixels = rasterize(cand.source, (width, height))
        except SVGError as failure:
            error = str(failure)
    if error is not None:
        cand_pixels = np.full_like(target_pixels, 255)
    elif cand_pixels.shape != target_pixels.shape:
        resized = Image.fromarray(cand_pixels).resize((width, height), Image.Resampling.LANCZOS)
        cand_pixels = np.asarray(resized)

    result = {
        "mse": mse(cand_pixels, target_pixels),
        "psnr": psnr(cand_pixels, target_pixels),
        "ssim": ssim(cand_pixels, target_pixels),
    }
    if lpips is not None:
        result["lpips"] = lpips_distance(cand_pixels, target_pixels, lpips)
    if dino:
        result["dino"] = dino_score(
            cand_pixels, target_pixels, DEFAULT_DINO if dino is True else dino
        )
    if cand.svg:
        result.update(_compactness(cand, tokenizer))
    result["failed"] = error is not None
    if error is not None:
        result["error"] = error
    return result


def _side(value) -> _Side:
    """Decide whether ``value`` is an SVG or an image, reading bytes only where needed."""
    if isinstance(value, Document):
        return _Side(True, value, value.tostring(), value.source)
    if isinstance(value, np.ndarray | Image.Image):
        return _Side(False, value)
    if hasattr(value, "read"):
        name = getattr(value, "name", None)
        value = value.read()
        if isinstance(value, str):
            value = value.encode("utf-8")
        return _Side(_looks_like_svg(value), value, value, name if isinstance(name, str) else None)
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value)
        return _Side(_looks_like_svg(value), value, value)
    if isinstance(value, str) and "<" in value:
        return _Side(True, value, value.encode("utf-8"))
    if isinstance(value, str | os.PathLike):
        path = os.fspath(value)
        if path.lower().endswith((".svg", ".svgz")):
            return _Side(True, path, _read_small(path), path)
        try:
            with open(path, "rb") as handle:
                head = handle.read(1024)
        except OSError:
            return _Side(False, path)  # load_image names the problem
        if _looks_like_svg(head):
            return _Side(True, path, _read_small(path), path)
        return _Side(False, path)
    return _Side(True, value)  # parse names the unsupported type


def _looks_like_svg(data: bytes) -> bool:
    if data.startswith(_RASTER_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return False
    return data.startswith(b"\x1f\x8b") or data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def _read_small(path: str) -> bytes | None:
    """The file's bytes for compactness, unless it is too large to parse anyway."""
    try:
        if os.path.getsize(path) <= MAX_BYTES:
            with open(path, "rb") as handle:
                return handle.read()
    except OSError:
        pass
    return None


def _load(side: _Side):
    """``(pixels or None, error or None)``: parse an SVG side or read an image side, no raising."""
    try:
        if side.svg:
            if not isinstance(side.source, Document):
                source = side.raw if side.raw is not None else side.source
                side.source = parse(source, name=side.name)
            return None, None
        return load_image(side.source), None
    except (SVGError, ImageError) as error:
        return None, str(error)


def _compactness(side: _Side, tokenizer) -> dict:
    raw = side.raw or b""
    doc = side.source if isinstance(side.source, Document) else None
    if raw.startswith(b"\x1f\x8b"):  # .svgz: measure the SVG inside (parse bounded its size)
        raw = doc.tostring() if doc is not None else raw
    out = {
        "bytes": len(raw),
        "paths": count_paths(doc) if doc is not None else None,
        "commands": count_commands(doc) if doc is not None else None,
    }
    if tokenizer is not None:
        out["tokens"] = count_tokens(raw.decode("utf-8", "replace"), tokenizer)
    return out
