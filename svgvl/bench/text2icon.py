"""Text-to-icon evaluation: validity, uniqueness, novelty and a weight-free prompt match.

- ``validity``: samples that decode and render.
- ``uniqueness`` / ``novelty``: SkexGen's definitions on the exact token sequence (a sample is
  unique when its sequence occurs once among all samples, novel when it is not in the training
  set); ``novelty_render`` also counts a sample as seen when its render is a near duplicate
  (ink cosine >= :data:`NEAR_DUPLICATE`) of a training icon's.
- ``copy_rate``: the honest measure beside those two — the share of valid samples whose nearest
  training icon (of the :data:`COPY_CANDIDATES` most alike by ink) has render SSIM >= 0.9 at
  128 px, or ink overlap (intersection over union of the dark pixels) >= 0.9.  A training icon
  shifted by a pixel or drawn with one extra stroke is novel to the token hash; it is a copy
  here.
- ``prompt_match``: no downloaded weights needed.  Each sample's render retrieves its
  :data:`NEIGHBOURS` nearest training icons by image similarity; the score is how well their
  labels agree with the prompt (MiniLM cosine, weighted by image similarity).  The same score
  with the prompts shuffled across samples is the chance level it must clearly beat.
- ``clip_score`` / ``fid_clip`` when CLIP weights are given (open_clip ``ARCH:PATH``).
- ``embed_score`` / ``fid_embed``: the same two with svgvl's own SVG–text model
  (:mod:`svgvl.understand.embed`; the shipped one unless told), beside ``embed_score_shuffled``,
  the score with the prompts shuffled across samples (its chance level).  The model was trained
  on the same icon sets' training split: it rewards drawing like those icons, so read it with
  the copy rate.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from .. import data as datasets
from ..files import write_atomic
from ..metrics import COPY_SIZE, COPY_THRESHOLD, copy_likeness, ink_features
from ..render import rasterize
from ..tokenize import PathTokenizer

# torch, open_clip, scipy and the text encoder are imported inside the functions that need them:
# they are optional (svgvl[learn]) and the weight-free scores run without them.

NEIGHBOURS = 5
NEAR_DUPLICATE = 0.97
COPY_CANDIDATES = 5


def token_hash(ids: Sequence[int]) -> str:
    return hashlib.sha1(np.asarray(ids, dtype=np.int64).tobytes()).hexdigest()


def label_text(labels: dict) -> str:
    """The words a record's labels say: title, then tags and category."""
    words = [labels.get("title") or labels.get("name") or ""]
    words += list(labels.get("tags") or [])[:8]
    if labels.get("category"):
        words.append(str(labels["category"]))
    return ", ".join(w for w in words if w)


class TrainingIndex:
    """What novelty, copy rate and prompt match compare against: token hashes, ink features,
    label texts, and each icon as the tokenizer draws it (``drawn``: what a model that learnt
    the icon by heart would output, so a copy is compared like with like)."""

    def __init__(self, records: Sequence[dict], tokenizer, embed: Callable):
        self.hashes = set()
        svgs, texts, self.drawn = [], [], []
        for record in records:
            svg = record.get("normalized") or record["svg"]
            try:
                ids = tokenizer.encode(svg)
            except ValueError:
                continue
            self.hashes.add(token_hash(ids))
            svgs.append(svg)
            self.drawn.append(np.asarray(ids, dtype=np.int32))
            texts.append(label_text(record.get("labels") or {}))
        if not svgs:
            raise ValueError("no training icons to compare against")
        self.tokenizer = tokenizer
        self.features = ink_features(svgs)
        self.text_vectors = embed(texts)

    def drawing(self, i: int) -> str:
        return self.tokenizer.decode(self.drawn[i].tolist())


def ink_similarity(features: np.ndarray, index: TrainingIndex) -> np.ndarray:
    """Ink cosine of each sample (rows of ``features``) with each training icon: what novelty,
    copy rate and prompt match all start from, computed once per evaluation."""
    return features @ index.features.T


def nearest_copies(svgs: Sequence[str], similarity: np.ndarray, index: TrainingIndex) -> np.ndarray:
    """Per sample: (SSIM, ink overlap) with its nearest training icon — the one of the
    :data:`COPY_CANDIDATES` most alike by ink (``similarity``: :func:`ink_similarity`) whose SSIM
    is highest (N×2)."""
    out = np.zeros((len(svgs), 2))
    k = min(COPY_CANDIDATES, similarity.shape[1])
    for i, svg in enumerate(svgs):
        candidates = np.argpartition(-similarity[i], k - 1)[:k]
        out[i] = max(copy_likeness(svg, index.drawing(j), COPY_SIZE) for j in candidates)
    return out


def prompt_match(
    prompts: Sequence[str], similarity: np.ndarray, index: TrainingIndex, embed: Callable
) -> np.ndarray:
    """Per sample: similarity-weighted MiniLM cosine between its prompt and the labels of the
    training icons that look most like it (``similarity``: :func:`ink_similarity`)."""
    prompt_vectors = embed(list(prompts))
    k = min(NEIGHBOURS, similarity.shape[1])
    nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
    scores = np.empty(len(prompts))
    for i, row in enumerate(nearest):
        weights = np.maximum(similarity[i, row], 1e-6)
        agreement = index.text_vectors[row] @ prompt_vectors[i]
        scores[i] = float((weights * agreement).sum() / weights.sum())
    return scores


def evaluate(
    samples: dict[str, list[str | None]],
    index: TrainingIndex,
    tokenizer,
    embed: Callable,
    *,
    clip=None,
    embedder=None,
    reference_svgs: Sequence[str] = (),
    seed: int = 0,
) -> dict:
    """Score generated samples (``{prompt: [svg or None per sample]}``) against ``index``."""
    rows, total = [], 0
    for prompt, svgs in samples.items():
        for svg in svgs:
            total += 1
            if svg is None:
                continue
            try:
                ids = tokenizer.encode(svg)
                rasterize(svg, 16)
            except ValueError:
                continue
            rows.append((prompt, svg, token_hash(ids)))
    if total == 0:
        raise ValueError("no samples to evaluate")
    result = {"prompts": len(samples), "samples": total, "validity": len(rows) / total}
    if not rows:
        return result
    prompts, svgs, hashes = zip(*rows, strict=True)
    counts = Counter(hashes)
    features = ink_features(svgs)
    similarity = ink_similarity(features, index)
    nearest = similarity.max(axis=1)
    result["uniqueness"] = sum(counts[h] == 1 for h in hashes) / len(rows)
    result["novelty"] = sum(h not in index.hashes for h in hashes) / len(rows)
    result["novelty_render"] = float(
        np.mean(
            [
                h not in index.hashes and s < NEAR_DUPLICATE
                for h, s in zip(hashes, nearest, strict=True)
            ]
        )
    )
    copies = nearest_copies(svgs, similarity, index)
    is_copy = (copies >= COPY_THRESHOLD).any(axis=1)
    result["copy_rate"] = float(is_copy.mean())
    result["copy_rate_by_ssim"] = float((copies[:, 0] >= COPY_THRESHOLD).mean())
    result["copy_rate_by_ink"] = float((copies[:, 1] >= COPY_THRESHOLD).mean())
    result["nearest_ssim_median"] = float(np.median(copies[:, 0]))
    scores = prompt_match(prompts, similarity, index, embed)
    result["prompt_match"] = float(scores.mean())
    by_prompt = _mean_by_key(prompts, scores)
    result["prompt_match_by_prompt"] = by_prompt
    result["prompt_match_se"] = standard_error(list(by_prompt.values()))
    shuffled = _derangement(list(prompts), random.Random(seed))
    result["prompt_match_shuffled"] = float(prompt_match(shuffled, similarity, index, embed).mean())
    if clip is not None:
        result.update(clip_metrics(clip, prompts, svgs, reference_svgs))
    if embedder is not None:
        result.update(embed_metrics(embedder, prompts, shuffled, svgs, reference_svgs))
    return result


def _mean_by_key(keys: Sequence[str], values: np.ndarray) -> dict[str, float]:
    groups: dict[str, list[float]] = {}
    for key, value in zip(keys, values, strict=True):
        groups.setdefault(key, []).append(float(value))
    return {key: float(np.mean(group)) for key, group in groups.items()}


def standard_error(values: Sequence[float]) -> float:
    """Standard error of the mean; samples of one prompt are not independent, so callers pass
    one value per prompt (and per-prompt differences to compare two models on the same seeds)."""
    if len(values) < 2:
        return float("nan")
    return float(np.std(values, ddof=1) / np.sqrt(len(values)))


def paired_difference(by_prompt: dict[str, float], base: dict[str, float]) -> tuple[float, float]:
    """Mean per-prompt difference of two prompt-match results on the same prompts and seeds,
    and its standard error over prompts: whether a change is more than noise."""
    diffs = [by_prompt[p] - base[p] for p in sorted(by_prompt.keys() & base.keys())]
    if not diffs:
        raise ValueError("the two results share no prompts")
    return sum(diffs) / len(diffs), standard_error(diffs)


def comparison_header(*columns: str) -> str:
    """The header of a paired comparison table (eval/text2icon/*.py): ``columns`` name a row,
    then the metrics of :func:`comparison_cells`."""
    metrics = (
        "validity | uniqueness | novelty (tokens) | novelty (renders) | copy rate "
        "| prompt match | shuffled | vs first row"
    )
    rule = "|---" * len(columns) + "|---:" * 8 + "|"
    return f"| {' | '.join(columns)} | {metrics} |\n{rule}"


def comparison_cells(result: dict, first: dict[str, float]) -> str:
    """The metric cells of one row: ``result`` of :func:`evaluate`, and the prompt match
    minus the first row's (``first``: its ``prompt_match_by_prompt``), ± its standard error."""
    delta, se = paired_difference(result["prompt_match_by_prompt"], first)
    return (
        f"{result['validity']:.1%} | {result['uniqueness']:.1%} | {result['novelty']:.1%} "
        f"| {result['novelty_render']:.1%} | {result['copy_rate']:.1%} "
        f"| {result['prompt_match']:.4f} "
        f"| {result['prompt_match_shuffled']:.4f} | {delta:+.4f} ± {se:.4f} |"
    )


def _derangement(prompts: list[str], rng: random.Random) -> list[str]:
    """The prompts reassigned so that (where possible) no sample keeps a prompt equal to its own."""
    for _ in range(100):
        shuffled = prompts[:]
        rng.shuffle(shuffled)
        if all(a != b for a, b in zip(shuffled, prompts, strict=True)) or len(set(prompts)) < 2:
            return shuffled
    return shuffled


# -- CLIP (only when the user has weights) -----------------------------------------------------


def load_clip(spec: str):
    """``ARCH:PATH`` → (model, preprocess, tokenizer) from open_clip, weights from a local file."""
    import open_clip

    arch, _, path = spec.partition(":")
    if not arch or not path:
        raise ValueError(f"--clip takes ARCH:PATH (e.g. ViT-B-32:/models/clip.bin), got {spec!r}")
    try:
        model, _, preprocess = open_clip.create_model_and_transforms(arch, pretrained=path)
    except RuntimeError as error:
        raise ValueError(f"cannot load CLIP {spec!r}: {error}") from None
    model.eval()
    return model, preprocess, open_clip.get_tokenizer(arch)


def clip_metrics(clip, prompts, svgs, reference_svgs) -> dict:
    """CLIPScore (100 × max(cos, 0), mean) and, with references, FID on CLIP image features."""
    import torch

    model, preprocess, tokenize = clip

    def image_features(items):
        images = [preprocess(Image.fromarray(rasterize(s, 224))) for s in items]
        with torch.no_grad():
            f = model.encode_image(torch.stack(images)).float()
        return torch.nn.functional.normalize(f, dim=-1)

    with torch.no_grad():
        text = torch.nn.functional.normalize(
            model.encode_text(tokenize(list(prompts))).float(), dim=-1
        )
    images = image_features(svgs)
    out = {"clip_score": float(100 * (images * text).sum(-1).clamp(min=0).mean())}
    if len(reference_svgs) >= 2 and len(svgs) >= 2:
        out["fid_clip"] = frechet_distance(images.numpy(), image_features(reference_svgs).numpy())
    return out


def embed_metrics(embedder, prompts, shuffled, svgs, reference_svgs) -> dict:
    """:func:`clip_metrics` with svgvl's SVG–text model, and the shuffled-prompt chance level."""
    images = embedder.embed_images(list(svgs))
    distinct = sorted(set(prompts) | set(shuffled))
    vectors = dict(zip(distinct, embedder.embed_texts(distinct), strict=True))

    def score(texts):
        cosines = (images * np.stack([vectors[t] for t in texts])).sum(-1)
        return float(100 * np.clip(cosines, 0, None).mean())

    out = {"embed_score": score(prompts), "embed_score_shuffled": score(shuffled)}
    if len(reference_svgs) >= 2 and len(svgs) >= 2:
        out["fid_embed"] = frechet_distance(images, embedder.embed_images(list(reference_svgs)))
    return out


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """FID between two feature sets (Heusel et al. 2017)."""
    from scipy import linalg

    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = linalg.sqrtm(cov_a @ cov_b)
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * root.real))


def sentence_embedder(name: str | None = None) -> Callable[[list[str]], np.ndarray]:
    """``texts → unit vectors``: the text-to-icon model's frozen encoder (all-MiniLM-L6-v2 by
    default), mean-pooled over its tokens as sentence-transformers pools it."""
    from ..models.text import DEFAULT_TEXT_ENCODER, load_text_encoder

    return load_text_encoder(name or DEFAULT_TEXT_ENCODER).sentences


# -- a whole run -------------------------------------------------------------------------------


def held_out_prompts(records: Sequence[dict], limit: int, seed: int = 0) -> list[str]:
    """Distinct titles of held-out records, a seeded sample of ``limit``."""
    titles = sorted({(r.get("labels") or {}).get("title") or "" for r in records} - {""})
    random.Random(seed).shuffle(titles)
    return titles[:limit]


def reference(data: Sequence, tokenizer, limit: int, seed: int = 0, prompts=None):
    """What every text-to-icon evaluation compares against: (prompts — ``prompts`` or a seeded
    sample of ``limit`` held-out titles —, the test records, the :class:`TrainingIndex` of the
    train splits, the sentence embedder)."""
    train, test = [], []
    for folder in data:
        train += list(datasets.load(folder, split="train"))
        test += list(datasets.load(folder, split="test"))
    prompts = list(prompts) if prompts else held_out_prompts(test, limit, seed)
    if not prompts:
        raise ValueError("no prompts: give --prompts or datasets with a test split")
    embed = sentence_embedder()
    return prompts, test, TrainingIndex(train, tokenizer, embed), embed


def run(
    generate: Callable[[str, int, int], list[str | None]],
    data: Sequence,
    out,
    *,
    prompts: Sequence[str] | None = None,
    limit: int = 200,
    n: int = 4,
    seed: int = 0,
    tokenizer=None,
    clip: str | None = None,
    embed_model="auto",
    progress: bool = True,
    command: str | None = None,
    trained_on: Sequence[str] | None = None,
) -> dict:
    """Generate ``n`` samples per prompt with ``generate(prompt, n, seed)`` and score them.

    ``data``: dataset folders from ``svgvl data build`` — the train split is what novelty and
    prompt match compare against; the test split gives the prompts unless ``prompts`` is given.
    ``trained_on``: the model's training sources, when known; those ``data`` leaves out are
    recorded as ``unindexed_sources`` (novelty is then overstated).  ``embed_model``: the
    SVG–text model for ``embed_score``/``fid_embed`` — ``"auto"`` the shipped one when present,
    None for none, or a folder.  Writes ``samples/*.svg``,
    ``results.json`` and ``results.md`` to ``out``.
    """
    if n <= 0:
        raise ValueError(f"n must be at least 1, got {n}")
    tokenizer = tokenizer or PathTokenizer()
    prompts, test, index, embed = reference(data, tokenizer, limit, seed, prompts)
    out = Path(out)
    samples: dict[str, list[str | None]] = {}
    for k, prompt in enumerate(tqdm(prompts, desc="text2icon", disable=not progress)):
        try:
            svgs = list(generate(prompt, n, seed + k))
        except ValueError:
            svgs = [None] * n
        samples[prompt] = svgs
        for i, svg in enumerate(svgs):
            if svg is not None:
                write_atomic(out / "samples" / f"{k:04d}-{i}.svg", svg, force=True)
    references = [r.get("normalized") or r["svg"] for r in test[:500]]
    result = evaluate(
        samples,
        index,
        tokenizer,
        embed,
        clip=load_clip(clip) if clip else None,
        embedder=_embedder(embed_model),
        reference_svgs=references,
        seed=seed,
    )
    result.update(command=command, training_icons=len(index.hashes), n=n, seed=seed)
    unindexed = unindexed_sources(trained_on, data)
    if unindexed:
        result["unindexed_sources"] = unindexed
    result["prompt_list"] = prompts
    write_atomic(out / "results.json", json.dumps(result, indent=1) + "\n", force=True)
    write_atomic(out / "results.md", markdown(result), force=True)
    return result


def _embedder(embed_model):
    from ..understand.embed import SHIPPED, load_embedder

    if embed_model == "auto":
        return load_embedder() if (SHIPPED / "config.json").is_file() else None
    return None if embed_model is None else load_embedder(embed_model)


def unindexed_sources(trained_on: Sequence[str] | None, data: Sequence) -> list[str]:
    """The model's training sources that the reference folders ``data`` do not hold: its
    samples may copy icons from them that novelty cannot see."""
    return sorted(set(trained_on or ()) - {datasets.source_of(f) for f in data})


def markdown(result: dict) -> str:
    keys = [
        ("validity", "validity", True),
        ("uniqueness", "uniqueness", True),
        ("novelty", "novelty (tokens)", True),
        ("novelty_render", "novelty (renders)", True),
        ("copy_rate", "copy rate (nearest training icon: SSIM or ink overlap >= 0.9)", True),
        ("copy_rate_by_ssim", "copy rate by SSIM alone", True),
        ("copy_rate_by_ink", "copy rate by ink overlap alone", True),
        ("nearest_ssim_median", "median SSIM to the nearest training icon", False),
        ("prompt_match", "prompt match", False),
        ("prompt_match_se", "prompt match, standard error over prompts", False),
        ("prompt_match_shuffled", "prompt match, shuffled prompts", False),
        ("clip_score", "CLIPScore", False),
        ("fid_clip", "FID-CLIP", False),
        ("embed_score", "embedding score (svgvl SVG–text model, 100 × cosine)", False),
        ("embed_score_shuffled", "embedding score, shuffled prompts", False),
        ("fid_embed", "FID on the SVG–text model's image features", False),
    ]
    lines = []
    if result.get("command"):
        lines += ["Produced by:", "", "```sh", result["command"], "```", ""]
    lines += [
        f"{result['prompts']} prompts × {result.get('n', '?')} samples = {result['samples']}; "
        f"{result.get('training_icons', '?')} training icons.",
        "",
    ]
    if result.get("unindexed_sources"):
        lines += [
            "Novelty is overstated: the model was also trained on "
            f"{', '.join(result['unindexed_sources'])}, which the reference data leave out.",
            "",
        ]
    lines += ["| metric | value |", "|---|---:|"]
    for key, label, percent in keys:
        if key in result:
            value = result[key]
            lines.append(
                f"| {label} | {100 * value:.1f} % |" if percent else f"| {label} | {value:.4f} |"
            )
    return "\n".join(lines) + "\n"
