"""The ``starvector`` vectorize engine: image → SVG with a StarVector-style model.

    svg = vectorize(rgb, model="runs/tiny/model", candidates=4)

Four steps: **preprocess** (pad the image to a white square, resize to the encoder's size,
normalise: :func:`pixel_values`), **sample** ``candidates`` SVGs in one batched ``generate``
(:func:`sample_svgs`), **repair** each (:func:`svgvl.svg.repair`) and **rerank** them by the
SSIM of their render against the image (:func:`rerank`).  The model is loaded once per process
(:func:`cached_model`); the trainer validates with the same steps.
"""

from __future__ import annotations

import os

import numpy as np
import torch
from PIL import Image

from ..metrics import ssim
from ..models.starvector import StarVectorConfig, StarVectorError, context_length
from ..models.starvector_checkpoints import load
from ..render import rasterize
from ..svg import SVGError, repair


def square(rgb, background=255):
    """Pad an H×W×3 uint8 image to a centred square with white (the model sees squares)."""
    height, width = rgb.shape[:2]
    side = max(height, width)
    if height == width:
        return rgb
    out = np.full((side, side, 3), background, dtype=np.uint8)
    top, left = (side - height) // 2, (side - width) // 2
    out[top : top + height, left : left + width] = rgb
    return out


def pixel_values(images, config: StarVectorConfig) -> torch.Tensor:
    """uint8 RGB images (H×W×3 arrays) → the encoder's input (B, 3, S, S): padded to a square
    with white, resized (bicubic) to the encoder's size, normalised."""
    size = config.image_size
    mean = torch.tensor(config.image_mean).view(3, 1, 1)
    std = torch.tensor(config.image_std).view(3, 1, 1)
    batch = []
    for rgb in images:
        rgb = square(np.asarray(rgb)[..., :3])
        if rgb.shape[0] != size:
            resized = Image.fromarray(rgb).resize((size, size), Image.Resampling.BICUBIC)
            rgb = np.asarray(resized)
        tensor = torch.from_numpy(np.array(rgb)).permute(2, 0, 1).float() / 255.0
        batch.append((tensor - mean) / std)
    return torch.stack(batch)


def sample_svgs(model, tokenizer, images, *, candidates: int = 1, **sampling) -> list[list[str]]:
    """Raw SVG texts sampled for each image: ``candidates`` per image, in one batched
    ``generate`` with a KV cache, each starting with the prompt and cut after ``</svg>``.

    ``sampling`` overrides ``config.generation_defaults`` (``temperature``, ``top_p``,
    ``max_length`` counted as StarVector counts it, visual tokens included; or
    ``max_new_tokens``; ``do_sample=False`` for greedy decoding).
    """
    config = model.config
    device = model.get_input_embeddings().weight.device
    pixels = pixel_values(images, config).to(device)
    prompt = tokenizer(config.prompt, add_special_tokens=False, return_tensors="pt").input_ids
    prompt = prompt.expand(len(images), -1).to(device)
    texts, _ = _sample(model, tokenizer, pixels, prompt, candidates, sampling)
    return [texts[i * candidates : (i + 1) * candidates] for i in range(len(images))]


def sample_captioned(model, tokenizer, caption: str, *, candidates: int = 1, **sampling):
    """``(texts, mean log-probabilities)`` of ``candidates`` SVGs sampled for a caption, prompted
    exactly as ``svgvl train starvector`` (task ``text2svg``) and StarVector's text2svg train:
    a template and the caption ("Draw an SVG of a red bus"), ``<svg-start>``, then the code's
    prompt ``<svg``, each part tokenized alone."""
    from ..train.svg_code_data import CAPTION_TEMPLATES, caption_prompt_ids

    config = model.config
    device = model.get_input_embeddings().weight.device
    if not caption.startswith(CAPTION_TEMPLATES):
        caption = CAPTION_TEMPLATES[0] + caption
    ids = caption_prompt_ids(tokenizer, caption)
    ids += tokenizer(config.prompt, add_special_tokens=False).input_ids
    prompt = torch.tensor([ids], device=device)
    return _sample(model, tokenizer, None, prompt, candidates, sampling)


def _sample(model, tokenizer, pixels, prompt, candidates: int, sampling: dict):
    """One batched ``generate`` after the prompt (and the images' visual tokens, if any):
    the texts, each starting with the prompt text and cut after ``</svg>``, and each one's mean
    log-probability per new token."""
    config = model.config
    settings = {**config.generation_defaults, **sampling}
    used = (model.num_visual_tokens if pixels is not None else 0) + prompt.shape[1]
    limit = settings.pop("max_new_tokens", None)
    total = settings.pop("max_length", None)
    room = [n for n in (limit, total and total - used) if n]
    if (context := context_length(config)) is not None:
        room.append(context - used)
    max_new = min(room) if room else 512
    if max_new <= 0:
        raise StarVectorError(f"no room to generate: {used} tokens of context used by the input")
    do_sample = settings.pop("do_sample", True)
    if not do_sample:
        settings.pop("temperature", None)
        settings.pop("top_p", None)
    output = model.generate(
        pixels,
        input_ids=prompt,
        do_sample=do_sample,
        num_return_sequences=candidates,
        max_new_tokens=max_new,
        stop_strings=["</svg>"],
        tokenizer=tokenizer,
        eos_token_id=_end_ids(tokenizer, config),
        pad_token_id=tokenizer.pad_token_id,
        return_dict_in_generate=True,
        output_scores=True,
        **settings,
    )
    steps = model.language_model.compute_transition_scores(
        output.sequences, output.scores, normalize_logits=True
    )
    real = output.sequences[:, -steps.shape[1] :] != tokenizer.pad_token_id
    mean_logprob = ((steps * real).sum(1) / real.sum(1).clamp(min=1)).tolist()
    texts = tokenizer.batch_decode(output.sequences, skip_special_tokens=True)
    texts = [
        config.prompt + t[: t.find("</svg>") + 6] if "</svg>" in t else config.prompt + t
        for t in texts
    ]
    return texts, mean_logprob


def _end_ids(tokenizer, config: StarVectorConfig) -> list[int]:
    """Tokens that end an SVG: the end of sequence, and StarVector-8B's ``<svg-end>``."""
    ends = [tokenizer.eos_token_id]
    if config.svg_end and config.svg_end in tokenizer.get_vocab():
        ends.append(tokenizer.convert_tokens_to_ids(config.svg_end))
    return ends


def rerank(texts: list[str], target, size: int | None = None) -> list[tuple[float, str, list[str]]]:
    """Repair each candidate and score its render against ``target`` by SSIM; best first.

    ``target``: the input image (H×W×3 uint8; padded to a square as the model saw it) or an SVG
    (rendered).  Both sides are drawn at ``size`` (default: the image's side, at most 512).  A
    candidate that cannot be repaired or drawn scores as a white image, as SVG-Bench scores it.
    Returns ``(ssim, svg, repairs)`` triples.
    """
    if isinstance(target, str):
        target = rasterize(target, size or 256)
    else:
        target = square(np.asarray(target)[..., :3])
        size = size or min(target.shape[0], 512)
        if target.shape[0] != size:
            resized = Image.fromarray(target).resize((size, size), Image.Resampling.BICUBIC)
            target = np.asarray(resized)
    size = target.shape[0]
    white = np.full_like(target, 255)
    scored = []
    for text in texts:
        try:
            fixed = repair(text)
            svg, repairs = fixed.svg, fixed.repairs
        except SVGError as error:
            svg, repairs = '<svg xmlns="http://www.w3.org/2000/svg"/>', [f"unusable: {error}"]
        try:
            pixels = rasterize(svg, size)
        except (SVGError, ValueError):
            pixels = white
        scored.append((ssim(pixels, target), svg, repairs))
    return sorted(scored, key=lambda item: -item[0])


_LOADED: dict = {}


def cached_model(path_or_id: str):
    """``(model, tokenizer)`` for the engine, loaded once per process (GPU and bf16 when there
    is a GPU)."""
    key = os.path.abspath(path_or_id) if os.path.isdir(path_or_id) else path_or_id
    if key not in _LOADED:
        cuda = torch.cuda.is_available()
        _LOADED.clear()  # one model at a time
        _LOADED[key] = load(
            path_or_id,
            device="cuda" if cuda else None,
            dtype=torch.bfloat16 if cuda else None,
        )
    return _LOADED[key]


def check_sampling(sampling: dict) -> dict:
    """``sampling`` with unset (None) settings left out, or StarVectorError naming the bad one."""
    sampling = {k: v for k, v in sampling.items() if v is not None}
    temperature, top_p = sampling.get("temperature"), sampling.get("top_p")
    if temperature is not None and not temperature > 0:
        raise StarVectorError(f"temperature must be > 0, got {temperature}")
    if top_p is not None and not 0 < top_p <= 1:
        raise StarVectorError(f"top_p must be in (0, 1], got {top_p}")
    for name in ("max_length", "max_new_tokens"):
        if name in sampling and (not isinstance(sampling[name], int) or sampling[name] < 1):
            raise StarVectorError(f"{name} must be a whole number >= 1, got {sampling[name]}")
    return sampling


def vectorize(rgb, *, model: str, candidates: int = 1, **sampling) -> str:
    """The ``starvector`` engine: image (H×W×3 uint8) → SVG text.

    Samples ``candidates`` SVGs (StarVector's sampling defaults from the model's config, which
    ``temperature``, ``top_p``, ``max_length`` or ``max_new_tokens`` override), repairs each
    (:func:`svgvl.svg.repair`) and keeps the one whose render is closest to the image (SSIM).
    ``model``: a folder written by ``svgvl train starvector`` / ``save_pretrained`` (or the run
    folder holding it), an official checkpoint folder, or a hub id (``HF_HUB_OFFLINE``
    honoured).
    """
    if candidates < 1:
        raise StarVectorError(f"candidates must be at least 1, got {candidates}")
    sampling = check_sampling(sampling)
    net, tokenizer = cached_model(model)
    texts = sample_svgs(net, tokenizer, [rgb], candidates=candidates, **sampling)[0]
    return rerank(texts, rgb)[0][1]


RANKINGS = ("auto", "likelihood", "embedding", "none")


def generate_svg(
    caption: str,
    *,
    model: str,
    n: int = 1,
    candidates: int = 4,
    rank: str = "auto",
    **sampling,
) -> list[str]:
    """Text → SVG with a StarVector-style model trained for ``text2svg``: ``n`` SVGs, best first.

    Samples ``candidates`` SVGs for ``caption`` (:func:`sample_captioned`: StarVector's prompt),
    repairs each (:func:`svgvl.svg.repair`) and orders them by ``rank``: the SVG–text model's
    caption–render cosine (``"embedding"``), the model's mean log-probability per token
    (``"likelihood"``), sample order (``"none"``), or ``"auto"`` (embedding when the shipped
    SVG–text model is installed, else likelihood).  Candidates that cannot be repaired or draw
    nothing come last.  ``sampling``: ``temperature``, ``top_p``, ``max_length``,
    ``max_new_tokens`` over the model's defaults.
    """
    caption = (caption or "").strip()
    if not caption or len(caption) > 1000:
        raise StarVectorError("the caption must be 1 to 1000 characters of text")
    if rank not in RANKINGS:
        raise StarVectorError(f"rank must be one of {', '.join(RANKINGS)}, got {rank!r}")
    if not 1 <= n <= candidates:
        raise StarVectorError(f"n must be between 1 and candidates ({candidates}), got {n}")
    sampling = check_sampling(sampling)
    embedder = _caption_embedder(rank)
    net, tokenizer = cached_model(model)
    texts, logprob = sample_captioned(net, tokenizer, caption, candidates=candidates, **sampling)
    svgs: list[str | None] = []
    for text in texts:
        try:
            svgs.append(repair(text).svg)
        except SVGError:
            svgs.append(None)
    keys = list(logprob) if rank != "none" else [-i for i in range(len(texts))]
    if embedder is not None:
        drawn = [i for i, svg in enumerate(svgs) if svg and _draws(svg)]
        keys = [-2.0] * len(svgs)
        if drawn:
            cosine = (
                embedder.embed_images([svgs[i] for i in drawn]) @ embedder.embed_texts([caption])[0]
            )
            for i, value in zip(drawn, cosine, strict=True):
                keys[i] = float(value)
    order = sorted(range(len(texts)), key=lambda i: (svgs[i] is None, -keys[i]))
    best = [svgs[i] for i in order if svgs[i] is not None][:n]
    if not best:
        raise StarVectorError(
            f"none of the {candidates} samples was a usable SVG (try more --candidates, or a "
            "model trained for text2svg)"
        )
    return best


def _caption_embedder(rank: str):
    """The SVG–text model for ``"embedding"`` (and ``"auto"`` when it is installed), else None:
    the choice ``generate_icons`` makes."""
    if rank in ("likelihood", "none"):
        return None
    from .icons import ranking_embedder

    return ranking_embedder(rank)[1]


def _draws(svg: str) -> bool:
    try:
        return rasterize(svg, 64).min() < 250
    except (SVGError, ValueError):
        return False
