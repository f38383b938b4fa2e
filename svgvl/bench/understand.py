"""Understanding, measured: ``describe`` on generated scenes with known ground truth.

Each scene (:mod:`svgvl.understand.scenes`, 1–12 primitives) is described from its SVG, from a
clean PNG render and from a JPEG of it.  Described shapes are matched one-to-one to the true
ones by centre distance (Hungarian assignment; a match lies within :data:`NEAR` of the true
centre, or a fifth of the shape's size when larger).  Reported, per input:

- ``precision`` / ``recall``: matched shapes of the right kind, over described / true shapes
  (recall also per true kind);
- ``kind`` / ``colour``: true shapes whose matched shape has the right kind / colour name;
- ``count``: scenes described with exactly the true number of shapes; ``kind_counts``: scenes
  with every kind counted right;
- ``answers``: questions (:mod:`svgvl.understand.questions`) answered right by the rule-based
  solver from the description.

With a local causal LM (``lm``), the same questions go to the model with the scene's SVG code,
then with its description, as context (exact match after normalising).

The retrieval and zero-shot parts of ``--task understand`` live beside this one.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from tqdm import tqdm

from ..understand import describe
from ..understand.questions import ask_model, load_causal_lm, questions, score, solve
from ..understand.scenes import KINDS, random_scene

INPUTS = ("svg", "png", "jpeg")
NEAR = 8.0  # canvas units (the canvas is 256)


def match(truth, described) -> list[tuple[int, int]]:
    """Pairs (true index, described index) matched by centre distance within reach."""
    if not truth or not described:
        return []
    t = np.array([s.centre for s in truth])
    d = np.array([s.centre for s in described])
    cost = np.linalg.norm(t[:, None] - d[None], axis=2)
    reach = np.array([max(NEAR, 0.2 * max(s.size)) for s in truth])
    rows, cols = linear_sum_assignment(np.where(cost <= reach[:, None], cost, 1e6))
    return [(int(r), int(c)) for r, c in zip(rows, cols, strict=True) if cost[r, c] <= reach[r]]


def score_scene(scene, description) -> dict:
    """One scene's counts: true, described, matched by position, right kind, right colour."""
    truth, shapes = scene.shapes, description.shapes
    pairs = match(truth, shapes)
    kinds = sum(truth[i].kind == shapes[j].kind for i, j in pairs)
    colors = sum(truth[i].color == shapes[j].color for i, j in pairs)
    counts_right = all(
        sum(s.kind == k for s in truth) == sum(s.kind == k for s in shapes) for k in KINDS
    )
    right = {i for i, j in pairs if truth[i].kind == shapes[j].kind}
    return {
        "seed": scene.seed,
        "true": len(truth),
        "described": len(shapes),
        "kind": kinds,
        "colour": colors,
        "kind_counts": counts_right,
        "by_kind": {
            k: [sum(t.kind == k for t in truth), sum(truth[i].kind == k for i in right)]
            for k in KINDS
        },
    }


def run(
    scenes: int = 200,
    seed: int = 0,
    inputs=INPUTS,
    progress: bool = True,
    lm: str | None = None,
) -> dict:
    """Describe ``scenes`` scenes (seeds ``seed`` …) from each of ``inputs``; the table's
    numbers, per input, and the per-scene rows behind them; with ``lm`` (a folder or hub id),
    that model's answers too."""
    loaded = load_causal_lm(lm) if lm else None  # a missing model is told before the work
    rows: dict[str, list[dict]] = {name: [] for name in inputs}
    answers: dict[str, list] = {name: [] for name in inputs}
    for k in tqdm(range(scenes), desc="scenes", disable=not progress):
        scene = random_scene(seed + k)
        asked = questions(scene, seed + k)
        for name in inputs:
            source = {"svg": scene.svg, "png": scene.png, "jpeg": scene.jpeg}[name]()
            description = describe(source)
            rows[name].append(score_scene(scene, description))
            answers[name] += [(q.type, solve(q, description), q.answer) for q in asked]
    result = {
        "scenes": scenes,
        "seed": seed,
        "inputs": {name: summarize(rows[name], answers[name]) for name in inputs},
        "rows": rows,
    }
    if lm:
        result["lm"] = {"model": lm, **ask_lm(*loaded, scenes, seed, progress)}
    return result


def ask_lm(model, tokenizer, scenes: int, seed: int = 0, progress: bool = True) -> dict:
    """A causal LM's answers to each scene's questions, given its SVG code or its description
    (from the SVG) as context: accuracy per context."""
    pairs: dict[str, list] = {"svg code": [], "description": []}
    for k in tqdm(range(scenes), desc="questions", disable=not progress):
        scene = random_scene(seed + k)
        svg = scene.svg()
        text = describe(svg).to_text()
        for q in questions(scene, seed + k):
            given = ask_model(model, tokenizer, q, svg, "SVG code")
            pairs["svg code"].append((q.type, given, q.answer))
            given = ask_model(model, tokenizer, q, text, "Description")
            pairs["description"].append((q.type, given, q.answer))
    return {context: score(p) for context, p in pairs.items()}


def summarize(rows: list[dict], answers: list) -> dict:
    true = sum(r["true"] for r in rows)
    described = sum(r["described"] for r in rows)
    kinds = sum(r["kind"] for r in rows)
    solved = score(answers)
    true_of = {k: sum(r["by_kind"][k][0] for r in rows) for k in KINDS}
    right_of = {k: sum(r["by_kind"][k][1] for r in rows) for k in KINDS}
    return {
        "recall_by_kind": {k: right_of[k] / true_of[k] if true_of[k] else None for k in KINDS},
        "precision": kinds / described if described else 0.0,
        "recall": kinds / true if true else 0.0,
        "kind": kinds / true if true else 0.0,
        "colour": sum(r["colour"] for r in rows) / true if true else 0.0,
        "count": float(np.mean([r["described"] == r["true"] for r in rows])),
        "kind_counts": float(np.mean([r["kind_counts"] for r in rows])),
        "answers": solved["accuracy"],
        "questions": solved["questions"],
        "answers_by_type": solved["by_type"],
    }


def markdown(result: dict, worst: int = 5) -> str:
    """The table, then per input the scenes described worst (most shapes missed or wrong)."""
    head = "| input | precision | recall | kind | colour | count | kind counts | answers |"
    lines = [head, "|---|---|---|---|---|---|---|---|"]
    for name, m in result["inputs"].items():
        lines.append(
            f"| {name} | {m['precision']:.3f} | {m['recall']:.3f} | {m['kind']:.3f} | "
            f"{m['colour']:.3f} | {m['count']:.3f} | {m['kind_counts']:.3f} | "
            f"{m['answers']:.3f} ({m['questions']}) |"
        )
    lines += ["", "| recall by kind | " + " | ".join(result["inputs"]) + " |"]
    lines.append("|---" * (len(result["inputs"]) + 1) + "|")
    for k in KINDS:
        cells = [
            "-" if m["recall_by_kind"][k] is None else f"{m['recall_by_kind'][k]:.3f}"
            for m in result["inputs"].values()
        ]
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    types = sorted({t for m in result["inputs"].values() for t in m["answers_by_type"]})
    lines += ["", "| answers by question | " + " | ".join(result["inputs"]) + " |"]
    lines.append("|---" * (len(result["inputs"]) + 1) + "|")
    for t in types:
        cells = [f"{m['answers_by_type'].get(t, 0):.3f}" for m in result["inputs"].values()]
        lines.append(f"| {t} | " + " | ".join(cells) + " |")
    if "lm" in result:
        lm = result["lm"]
        lines += ["", f"| {lm['model']} answers, given | accuracy | questions |", "|---|---|---|"]
        for context in ("svg code", "description"):
            lines.append(
                f"| {context} | {lm[context]['accuracy']:.3f} | {lm[context]['questions']} |"
            )
    for name, rows in result["rows"].items():
        bad = sorted(rows, key=lambda r: (r["kind"] + r["colour"] - 2 * r["true"], -r["seed"]))
        bad = [r for r in bad[:worst] if r["kind"] < r["true"] or r["colour"] < r["true"]]
        if bad:
            lines += ["", f"worst scenes from {name} (seed: right kinds, colours / true shapes):"]
            lines.append(
                ", ".join(f"{r['seed']}: {r['kind']}, {r['colour']} / {r['true']}" for r in bad)
            )
    return "\n".join(lines) + "\n"
