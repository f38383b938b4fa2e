"""Text → icons for users: :func:`generate_icons` and the icon-library steps around it.

    svgs = generate_icons("rocket", n=4, seed=0)          # svgvl icon rocket -n 4 --seed 0
    path, count = library_for("runs/small/model", ["datasets/tabler"])   # svgvl library

The model (:mod:`svgvl.models.iconshop`) samples token rows; this module turns a prompt into
``n`` distinct SVGs: it checks the arguments, starts from icons of the model's icon library that
the prompt names (:mod:`svgvl.models.library`), ranks ``best_of`` samples by the model's
likelihood, draws again where samples repeat, and writes the SVG text.
"""

from __future__ import annotations

import functools
import os
import random
import warnings
from pathlib import Path

import numpy as np

try:  # the core install has no torch: say in one line which extra brings the model
    import torch
    import transformers  # noqa: F401
except ModuleNotFoundError as error:
    raise ImportError(
        f"text-to-icon needs the learned extras ({error}): pip install 'svgvl[learn]'"
    ) from None

from ..metrics import COPY_SIZE, COPY_THRESHOLD, copy_likeness
from ..models.iconshop import (
    DEFAULT_BEST_OF,
    DEFAULT_GUIDANCE,
    DEFAULT_TOP_P,
    IconShopForCausalLM,
    check_prompt_text,
    checkpoint_folder,
    load_iconshop,
    read_checkpoint,
)
from ..models.library import (
    DEFAULT_MIN_MATCH,
    LIBRARY_FILE,
    MIN_LIKENESS,
    IconLibrary,
    build_library,
    likeness,
    provenance,
    start_of,
    tokenizer_digest,
)
from ..models.sampling import most_likely_first, scored_rows
from ..models.text import sentence_vectors
from ..render import rasterize
from ..svg import write
from ..tokenize import PathTokenizer
from ..train.icon_data import library_entries, load_examples


def fim_prompt(tokenizer: PathTokenizer, svg) -> list[int]:
    """IconShop's completion prompt for an SVG: ``<bos> its paths <mask> <mask>``, so that the
    model adds paths to it (the middle is empty on both sides)."""
    ids = tokenizer.encode(svg)
    mask = tokenizer.vocab["<mask>"]
    return [*ids[:-1], mask, mask]


def model_library(model: IconShopForCausalLM):
    """The icon library saved beside ``model``'s checkpoint (:mod:`svgvl.models.library`), or
    None when it has none."""
    folder = Path(getattr(model.config, "_name_or_path", "") or ".")
    if not (folder / LIBRARY_FILE).is_file():
        return None
    return _load_library(str(folder.resolve()))


@functools.lru_cache(maxsize=2)
def _load_library(folder: str):
    return IconLibrary.load(folder)


def _use_library(model, library):
    """The :class:`IconLibrary` that ``generate_icons(library=...)`` means, or None."""
    if library is None or library is False:
        return None
    if isinstance(library, IconLibrary):
        found = library
    elif library == "auto" or library is True:
        found = model_library(model)
        if found is None and library is True:
            raise ValueError(
                f"the model has no icon library ({LIBRARY_FILE}); build one with `svgvl library`"
            )
    elif isinstance(library, (str, os.PathLike)):
        found = IconLibrary.load(library)
    else:
        raise ValueError(
            f"library must be 'auto', True, False, a path or an IconLibrary, got {library!r}"
        )
    if found is not None and found.tokenizer != tokenizer_digest(model.path_tokenizer):
        raise ValueError("the icon library was built with another tokenizer than the model's")
    return found


def prompt_style(model, states, mask) -> str:
    """The style the model would draw for a prompt (its encoded ``states``/``mask``):
    "stroked" when its first path more likely has no fill, else "filled"."""
    tok = model.path_tokenizer
    ids = torch.tensor([[tok.bos_id, tok.vocab["<path>"]]], device=model.device)
    with torch.no_grad():
        logits = model(ids, text_states=states, text_mask=mask).logits[0, -1].float()
    allowed = torch.from_numpy(tok.grammar.allowed(tok.prompt_state(ids[0].tolist())))
    probs = torch.softmax(logits.cpu().masked_fill(~allowed, float("-inf")), dim=-1)
    return "stroked" if probs[tok.vocab.paint_ids("none")[0]] >= 0.5 else "filled"


def library_matches(model, library, states, mask, min_match: float = DEFAULT_MIN_MATCH):
    """(score, icon) of the library icons the prompt (its encoded ``states``/``mask``) names,
    in the style the model would draw it when the library has that style for it."""
    if library is None:
        return []
    vector = sentence_vectors(states, mask)[0].cpu().numpy()
    return library.search(vector, min_match, style=prompt_style(model, states, mask))


def library_samples(
    model, matches, states, mask, count: int, seed: int, *, per_icon: int = 1, **sampling
) -> list[str | None]:
    """``count`` icons drawn on from library icons: each starts from the first part of one of
    ``matches`` (best titles first, ties in a seeded order; :func:`svgvl.models.library.start_of`),
    the model draws the rest under the prompt, the most likely of ``per_icon`` continuations
    that still looks like its library icon (:data:`~svgvl.models.library.MIN_LIKENESS`) and is
    no near copy of it or of any other icon the prompt names (render SSIM and ink overlap below
    :data:`~svgvl.metrics.COPY_THRESHOLD`: another set's pencil is as much a copy as the
    pencil it started from) is kept; the SVG names its library icon
    (:func:`~svgvl.models.library.provenance`).  None where no continuation passed."""
    tok = model.path_tokenizer
    rng = random.Random(seed)
    order = sorted(matches, key=lambda match: (-round(match[0], 3), rng.random()))
    named = [rasterize(tok.decode(list(icon.ids)), COPY_SIZE) for _, icon in matches]
    icons = [order[j % len(order)][1] for j in range(count)]
    starts = [start_of(icon, tok, rng) for icon in icons]
    # One batch for all of them, each start's rows from its own seed (as if drawn alone).
    every = model.generate(
        starts,
        text_states=states,
        text_mask=mask,
        num_return_sequences=per_icon,
        seed=[seed + 104729 * j for j in range(count)],
        **sampling,
    )
    out: list[str | None] = []
    for j, (icon, start) in enumerate(zip(icons, starts, strict=True)):
        rows = every[j * per_icon : (j + 1) * per_icon]
        ranked = (
            most_likely_first(model, rows, states, mask, len(start))
            if per_icon > 1
            else [row.tolist() for row in rows]
        )
        svg = None
        for row in ranked:
            drawing = tok.decode_drawing(row)
            if not drawing.paths or tuple(row[: len(icon.ids)]) == icon.ids:
                continue
            text = write(drawing, precision=2)
            # Like its icon, but not a named icon given back (a shifted copy, one extra stroke).
            render = rasterize(text, COPY_SIZE)
            copy = any(max(copy_likeness(render, other)) >= COPY_THRESHOLD for other in named)
            if not copy and likeness(text, icon, tok) >= MIN_LIKENESS:
                svg = provenance(text, icon)
                break
        out.append(svg)
    return out


RANKINGS = ("auto", "likelihood", "embedding", "mix")


def _standard(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / (values.std() + 1e-6)


def best_first(model, rows, states, mask, start: int, prompt: str, ranking: str, embedder=None):
    """Sampled rows (cut after their end token) best first: by the model's mean log-probability
    per token (``"likelihood"``), by the SVG–text model's cosine between the render and the
    prompt (``"embedding"``), or by the sum of the two, each standardised over the candidates
    (``"mix"``).  A candidate that draws nothing is last under the embedding."""
    if ranking == "likelihood" or embedder is None:
        return most_likely_first(model, rows, states, mask, start)
    sequences, scores = scored_rows(model, rows, states, mask, start)
    tok = model.path_tokenizer
    svgs = [write(d, precision=2) if d.paths else None for d in map(tok.decode_drawing, sequences)]
    drawn = [i for i, svg in enumerate(svgs) if svg]
    cosine = np.full(len(svgs), -1.0)
    if drawn:
        text = embedder.embed_texts([prompt])[0]
        cosine[drawn] = embedder.embed_images([svgs[i] for i in drawn]) @ text
    keys = cosine if ranking == "embedding" else _standard(np.array(scores)) + _standard(cosine)
    order = sorted(range(len(sequences)), key=lambda i: -keys[i])
    return [sequences[i] for i in order]


def ranking_embedder(ranking: str):
    """(ranking, embedder) that ``generate_icons`` uses: ``"auto"`` is ``"embedding"`` with the
    shipped SVG–text model when it is installed (on held-out prompts it matched the prompt best
    with the fewest near copies, eval/results/text2icon-protocol.md), else ``"likelihood"``."""
    if ranking not in RANKINGS:
        raise ValueError(f"rank must be one of {', '.join(RANKINGS)}, got {ranking!r}")
    if ranking == "likelihood":
        return ranking, None
    from ..understand.embed import SHIPPED, load_embedder

    if ranking == "auto":
        if not (SHIPPED / "config.json").is_file():
            return "likelihood", None
        ranking = "embedding"
    return ranking, load_embedder()


# Sampling runs one token at a time on small matrices: one torch thread is as fast as two on a
# quiet CPU and several times faster on a busy one (eval/results/text2icon-threads.md), so
# generate_icons samples on SAMPLING_THREADS threads and gives torch its setting back after.
SAMPLING_THREADS = 1


def _on_sampling_threads(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        before = torch.get_num_threads()
        torch.set_num_threads(SAMPLING_THREADS)
        try:
            return function(*args, **kwargs)
        finally:
            torch.set_num_threads(before)

    return wrapper


@_on_sampling_threads
def generate_icons(
    prompt: str,
    n: int = 4,
    *,
    seed: int = 0,
    model=None,
    temperature: float = 1.0,
    top_p: float = DEFAULT_TOP_P,
    complete=None,
    max_length: int | None = None,
    rounds: int = 4,
    guidance_scale: float = DEFAULT_GUIDANCE,
    best_of: int | None = None,
    library="auto",
    min_match: float = DEFAULT_MIN_MATCH,
    rank: str = "auto",
    progress: bool = False,
) -> list[str]:
    """``n`` distinct SVG icons for a text prompt, e.g. ``generate_icons("rocket")``.

    ``model``: a checkpoint folder, a training output folder, a loaded
    :class:`IconShopForCausalLM`, or None for the shipped ``iconshop-gpu``.  ``complete``: a
    partial SVG (text or path) that the model adds paths to (fill-in-the-middle).  Samples that
    repeat an earlier one (or draw nothing) are drawn again with the next seeds, up to
    ``rounds`` times; a model that cannot give ``n`` distinct icons then repeats some, with a
    warning.  ``top_p``: nucleus sampling, in (0, 1] (default 0.6; IconShop's is 0.5);
    ``guidance_scale``: classifier-free guidance (see :meth:`IconShopForCausalLM.generate`; 1
    samples plainly).  ``best_of``: draw that many samples first and keep the ``n`` the model
    finds most likely for the prompt (mean log-probability per token): cleaner, more on-prompt
    icons at ``best_of / n`` times the work, but more often near copies of training icons
    (eval/results/text2icon.md); default ``DEFAULT_BEST_OF * n``, ``best_of=n`` samples plainly.
    ``rank``: how the ``best_of`` samples are ordered (:func:`best_first`): ``"likelihood"``,
    ``"embedding"`` (the SVG–text model's prompt–render cosine), ``"mix"``, or ``"auto"``
    (``"embedding"`` when the shipped SVG–text model is installed).

    ``library``: when the prompt names icons of the model's icon library (a title within
    MiniLM cosine ``min_match``; :mod:`svgvl.models.library`), each icon starts from the first
    part of one of them and the model draws the rest, so that rare concepts the model cannot
    draw alone (rocket) come out recognisable; such an SVG starts with a comment naming the
    library icon and its licence.  ``"auto"`` (default): the library saved with the model, if
    any; ``False``: the model alone; ``True``: the model's library, an error if it has none; a
    path or :class:`~svgvl.models.library.IconLibrary`: that library.  Where no library icon
    gives a new drawing, the last resampling round draws with the model alone.  ``progress``:
    a bar on stderr while the model samples.
    """
    check_prompt_text(prompt)
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not 0 < top_p <= 1:
        raise ValueError(f"top_p must be in (0, 1], got {top_p!r}")
    best_of = DEFAULT_BEST_OF * n if best_of is None else best_of
    if isinstance(best_of, bool) or not isinstance(best_of, int):
        raise ValueError(f"best_of must be an integer, got {best_of!r}")
    if best_of < n:
        raise ValueError(f"best_of must be at least n ({n}), got {best_of}")
    ranking, embedder = ranking_embedder(rank) if best_of > n else ("likelihood", None)
    if not isinstance(model, IconShopForCausalLM):
        model = load_iconshop(model)
    model.check_prompt(prompt)
    tok = model.path_tokenizer
    prompt_ids = None if complete is None else fim_prompt(tok, complete)
    limit = min(max_length or model.config.max_svg_tokens, model.config.max_svg_tokens)
    if prompt_ids is not None and len(prompt_ids) + 2 > limit:
        raise ValueError(
            f"the partial icon is {len(prompt_ids) - 2} tokens; this model takes {limit} in all"
        )
    states, mask = model.encode_text([prompt])
    library = _use_library(model, library) if complete is None else None
    matches = library_matches(model, library, states, mask, min_match)
    sampling = dict(
        max_length=limit,
        temperature=temperature,
        top_p=top_p,
        guidance_scale=guidance_scale,
        progress=progress,
    )
    per_icon = -(-best_of // n)  # continuations per library icon: best_of's share of each
    found: dict[str, None] = {}
    for attempt in range(rounds + 1):
        need = n - len(found)
        if need == 0:
            break
        round_seed = seed + 7919 * attempt
        # The last round is the model alone: library icons it can only give back unchanged
        # (an overfit model) must not leave the caller with nothing.
        if matches and attempt < max(rounds, 1):
            count = n if attempt == 0 else 2 * need
            svgs = library_samples(
                model, matches, states, mask, count, round_seed, per_icon=per_icon, **sampling
            )
        else:
            rows = model.generate(
                prompt_ids,
                text_states=states,
                text_mask=mask,
                num_return_sequences=best_of if attempt == 0 else 2 * need,
                seed=round_seed,
                **sampling,
            )
            if attempt == 0 and best_of > n:
                start = len(prompt_ids or [tok.bos_id])
                rows = best_first(model, rows, states, mask, start, prompt, ranking, embedder)
            drawings = [tok.decode_drawing(row) for row in rows]
            svgs = [write(d, precision=2) if d.paths else None for d in drawings]
        for svg in svgs:
            if svg is not None and len(found) < n:
                found.setdefault(svg, None)
    svgs = list(found)
    if not svgs:
        raise ValueError(f"the model drew nothing for {prompt!r} in {rounds + 1} tries")
    if len(svgs) < n:
        warnings.warn(
            f"only {len(svgs)} distinct icons for {prompt!r} after {rounds} resampling rounds; "
            "repeating some",
            stacklevel=2,
        )
        svgs += [svgs[k % len(svgs)] for k in range(n - len(svgs))]
    return svgs


def library_for(model, data, *, progress: bool = True):
    """Build and save the icon library of an existing checkpoint folder from the datasets it
    was trained on (``data``); returns the library file's path and the icon count."""
    folder = checkpoint_folder(model)
    core = read_checkpoint(folder)
    max_len = core.config.max_svg_tokens - 2  # what training with fill-in-the-middle keeps
    examples, _ = load_examples(data, "train", core.path_tokenizer, max_len, None, progress)
    if not examples:
        raise ValueError(f"no icons in the train split of {', '.join(map(str, data))}")
    library = build_library(library_entries(examples), data, core)
    return library.save(folder), len(library)
