"""Questions about a drawing with known answers (VGBench/VDLM style), and who answers them.

Questions are generated from a scene's ground truth: how many circles, what colour is the
largest shape, is the red shape left of the blue one, which of two overlapping shapes is on top.
Only questions with a clear answer are asked (a largest shape clearly larger than the next, two
shapes clearly apart).  Two answerers: :func:`solve`, a few rules over a
:class:`~svgvl.understand.describe.Description` (what ``describe`` gets right, it answers right),
and :func:`ask_model`, any local Hugging Face causal LM given the raw SVG code or the description
as context.  Answers are compared after :func:`normalize_answer`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .colors import rgb
from .scenes import KINDS, PALETTE, Scene

NAMES = {
    "circle": "circles",
    "ellipse": "ellipses",
    "rect": "rectangles with square corners",
    "rounded-rect": "rounded rectangles",
    "line": "straight lines",
    "polyline": "polylines (open lines with bends)",
    "polygon": "polygons",
    "path": "free-form curved shapes",
}
_WORDS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
]
_KIND_WORDS = {
    "rectangle": "rect",
    "square": "rect",
    "rounded rectangle": "rounded-rect",
    "rounded rect": "rounded-rect",
    "rounded-rectangle": "rounded-rect",
    "circles": "circle",
    "ellipses": "ellipse",
    "oval": "ellipse",
    "polygons": "polygon",
    "polylines": "polyline",
    "lines": "line",
    "curve": "path",
    "free-form shape": "path",
}
APART = 15.0  # canvas units between two centres before "left of" has an answer
LARGER = 1.25  # the largest shape is this many times the next before it is "the largest"


TYPES = (
    "total",
    "count",
    "largest-color",
    "kind-color",
    "color-kind",
    "left-of",
    "above",
    "on-top",
)


@dataclass
class Question:
    text: str
    answer: str
    type: str  # count | total | largest-color | kind-color | color-kind | left-of | above | on-top
    params: dict = field(default_factory=dict)


def normalize_answer(text: str) -> str:
    """The first word or phrase of an answer, lowercased: numbers as digits, kind names as
    describe spells them ('rectangle' → 'rect'), 'grey' as 'gray'."""
    text = text.strip().lower().splitlines()[0] if text.strip() else ""
    text = re.sub(r"^(the|a|an)\s+", "", text)
    text = re.sub(r"[.!?,;:\"']+$", "", text).strip()
    text = re.sub(r"\s+(shape|one)$", "", text).replace("grey", "gray")
    if text in _WORDS:
        return str(_WORDS.index(text))
    return _KIND_WORDS.get(text, text)


def questions(scene: Scene, rng: np.random.Generator | int = 0) -> list[Question]:
    """The questions ``scene`` has clear answers to, one or two of each type."""
    rng = np.random.default_rng(rng)
    shapes = scene.shapes
    out = [Question("How many shapes are there?", str(len(shapes)), "total")]
    for kind in rng.permutation(KINDS)[:2]:
        n = sum(s.kind == kind for s in shapes)
        out.append(Question(f"How many {NAMES[kind]} are there?", str(n), "count", {"kind": kind}))
    by_area = sorted(shapes, key=lambda s: -s.area)
    if len(shapes) == 1 or by_area[0].area >= LARGER * by_area[1].area:
        out.append(Question("What colour is the largest shape?", by_area[0].color, "largest-color"))
    unique = [k for k in KINDS if sum(s.kind == k for s in shapes) == 1]
    if unique:
        kind = str(rng.choice(unique))
        shape = next(s for s in shapes if s.kind == kind)
        name = NAMES[kind].split(" (")[0][:-1].replace("rectangles with", "rectangle with")
        out.append(
            Question(f"What colour is the {name}?", shape.color, "kind-color", {"kind": kind})
        )
    shape = shapes[int(rng.integers(len(shapes)))]
    out.append(
        Question(
            f"What kind of shape is the {shape.color} one? Answer with one of: "
            + ", ".join(KINDS)
            + ".",
            shape.kind,
            "color-kind",
            {"color": shape.color},
        )
    )
    pairs = [(a, b) for a in shapes for b in shapes if a.z < b.z]
    rng.shuffle(pairs)
    for type_, axis, word in (("left-of", 0, "left of"), ("above", 1, "above")):
        for a, b in pairs:
            if abs(a.centre[axis] - b.centre[axis]) >= APART:
                a, b = (a, b) if rng.random() < 0.5 else (b, a)
                answer = "yes" if a.centre[axis] < b.centre[axis] else "no"
                text = f"Is the {a.color} shape {word} the {b.color} shape? Answer yes or no."
                out.append(Question(text, answer, type_, {"a": a.color, "b": b.color}))
                break
    if scene.overlaps:
        i, j = scene.overlaps[int(rng.integers(len(scene.overlaps)))]
        a, b = shapes[i], shapes[j]
        first, second = (a, b) if rng.random() < 0.5 else (b, a)
        out.append(
            Question(
                f"The {first.color} shape and the {second.color} shape overlap. Which is drawn "
                "on top? Answer with its colour.",
                b.color,
                "on-top",
                {"a": first.color, "b": second.color},
            )
        )
    return out


# -- the rule-based solver ----------------------------------------------------------------------


def _named(description, color: str):
    """The shape showing ``color``: named so, else the nearest in colour (a traced JPEG's
    pink may be named 'lightpink'); the largest of equals."""
    shapes = description.shapes
    if not shapes:
        return None
    exact = [s for s in shapes if s.color == color]
    if exact:
        return max(exact, key=lambda s: s.area)
    target = np.array(rgb(PALETTE.get(color, "#000000")), float)

    def distance(s):
        shown = s.fill or s.stroke
        return np.linalg.norm(np.array(rgb(shown), float) - target) if shown else np.inf

    return min(shapes, key=lambda s: (distance(s), -s.area))


def solve(question: Question, description) -> str:
    """Answer ``question`` from a description alone, by rules."""
    shapes, p = description.shapes, question.params
    if question.type not in TYPES:
        raise ValueError(f"unknown question type {question.type!r}")
    if question.type == "total":
        return str(len(shapes))
    if question.type == "count":
        return str(sum(s.kind == p["kind"] for s in shapes))
    if not shapes:
        return ""
    if question.type == "largest-color":
        return max(shapes, key=lambda s: s.area).color or ""
    if question.type == "kind-color":
        of_kind = [s for s in shapes if s.kind == p["kind"]] or shapes
        return max(of_kind, key=lambda s: s.area).color or ""
    if question.type == "color-kind":
        return _named(description, p["color"]).kind
    a, b = _named(description, p["a"]), _named(description, p["b"])
    if question.type == "left-of":
        return "yes" if a.centre[0] < b.centre[0] else "no"
    if question.type == "above":
        return "yes" if a.centre[1] < b.centre[1] else "no"
    return p["a"] if a.z > b.z else p["b"]  # on-top


# -- a language model as the answerer -----------------------------------------------------------

PROMPT = (
    "{context_name}:\n{context}\n\nQuestion: {question}\n"
    "Answer with a single word or number.\nAnswer:"
)


def load_causal_lm(name: str):
    """(model, tokenizer) from a local folder or a hub id (through :mod:`svgvl.hub`, honouring
    HF_HUB_OFFLINE); OSError saying what to pass when it cannot be had."""
    from transformers import AutoModelForCausalLM, AutoTokenizer  # the learned extra only

    from .. import hub

    try:
        tokenizer = hub.from_pretrained(AutoTokenizer, name)
        model = hub.from_pretrained(AutoModelForCausalLM, name)
    except hub.NoSuchFolder:
        raise
    except OSError as error:
        raise OSError(hub.unavailable(name, error)) from None
    model.eval()
    return model, tokenizer


def ask_model(
    model,
    tokenizer,
    question: Question,
    context: str,
    context_name: str = "SVG code",
    max_new_tokens: int = 8,
    max_context_tokens: int | None = None,
) -> str:
    """The model's greedy answer to ``question`` given ``context`` (the SVG code or a
    description), cut at the first line; the context is cut from its start to fit the
    model's window."""
    import torch

    prompt = PROMPT.format(context_name=context_name, context=context, question=question.text)
    ids = tokenizer(prompt, return_tensors="pt").input_ids
    window = max_context_tokens or getattr(model.config, "max_position_embeddings", None) or 2048
    if ids.shape[1] + max_new_tokens > window:
        ids = ids[:, -(window - max_new_tokens) :]
    with torch.no_grad():
        out = model.generate(
            ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id or 0,
        )
    text = tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True)
    return text.strip().splitlines()[0] if text.strip() else ""


def score(pairs) -> dict:
    """Exact-match accuracy of (given, expected) answers after normalising, overall and by
    question type: ``pairs`` holds (type, given, expected)."""
    by_type: dict[str, list[bool]] = {}
    for type_, given, expected in pairs:
        by_type.setdefault(type_, []).append(normalize_answer(given) == normalize_answer(expected))
    every = [hit for hits in by_type.values() for hit in hits]
    return {
        "accuracy": float(np.mean(every)) if every else 0.0,
        "questions": len(every),
        "by_type": {t: float(np.mean(h)) for t, h in sorted(by_type.items())},
    }
