"""The by-eye protocol: 40 everyday prompts, 4 icons each (seed 0), as sheets to judge by eye.

    python eval/text2icon/protocol.py --out eval/results/text2icon-protocol \
        [--model DIR] [--no-library] [--name NAME] [--data DIR...]

The prompts (``protocol-prompts.txt``, chosen before looking at any output) are 32 everyday
subjects and 8 whose words are in no title of the icon sets the models here train on (giraffe,
llama, ...); with ``--data`` the script checks that against the datasets' titles and marks each
prompt "unseen" or not.  Each icon is what ``svgvl icon PROMPT -n 4 --seed 0`` gives (or with
``--no-library``: the model alone), so the sheets show what a user sees.

Writes ``NAME-1.png`` and ``NAME-2.png`` (20 prompts each; a red tile is an icon that does not
render) and ``NAME.json``: per prompt, whether it is unseen, how many icons were drawn on from
the library (their first-line provenance), the SVGs themselves, and — with ``--data`` — each icon's SSIM and ink
overlap with its nearest training icon (with ``--copies``) (``svgvl.bench.text2icon.nearest_copies``; a copy at
>= 0.9).  The per-prompt counts of recognisable icons are a person's judgement of the sheets,
written down in ``eval/results/text2icon-protocol.md`` beside the command.  ``--copies`` (with
``--data``) adds the nearest-training-icon measures; it builds the bench's reference index
(minutes for 100,000 icons).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

from svgvl.bench import text2icon
from svgvl.engines.icons import generate_icons
from svgvl.metrics import COPY_THRESHOLD, ink_features
from svgvl.models.iconshop import load_iconshop
from svgvl.models.library import PROVENANCE
from svgvl.train.sheets import sample_sheet

PROMPTS = Path(__file__).with_name("protocol-prompts.txt")


def title_words(data) -> set[str]:
    from svgvl import data as datasets

    words: set[str] = set()
    for folder in data:
        for record in datasets.load(folder):
            title = (record.get("labels") or {}).get("title") or ""
            words |= set(re.split(r"[^a-z0-9]+", title.lower())) - {""}
    return words


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--model", help="checkpoint folder (default: the shipped one)")
    parser.add_argument("--no-library", dest="library", action="store_false")
    parser.add_argument("--name", help="file stem (default: default or model-alone)")
    parser.add_argument("--data", nargs="*", default=[], help="the model's training datasets")
    parser.add_argument(
        "--copies", action="store_true", help="with --data: each icon's nearest training icon"
    )
    parser.add_argument("-n", type=int, default=4)
    parser.add_argument(
        "--rank", default="auto", help="generate_icons' ranking of best-of samples (auto)"
    )
    args = parser.parse_args()
    name = args.name or ("default" if args.library else "model-alone")
    prompts = [p.strip() for p in PROMPTS.read_text().splitlines() if p.strip()]
    model = load_iconshop(args.model)
    words = title_words(args.data) if args.data else None
    index = embed = None
    if args.data and args.copies:
        tok = model.path_tokenizer
        _, _, index, embed = text2icon.reference(args.data, tok, 1, prompts=prompts)
    start = time.time()
    rows, record = [], {}
    for prompt in prompts:
        svgs = generate_icons(
            prompt,
            args.n,
            seed=0,
            model=model,
            library="auto" if args.library else False,
            rank=args.rank,
        )
        rows.append((prompt, svgs))
        entry = {"library": sum(s.startswith(PROVENANCE) for s in svgs), "svgs": svgs}
        if words is not None:
            entry["unseen"] = not (set(re.split(r"[^a-z0-9]+", prompt.lower())) - {""}) & words
        if index is not None:
            similarity = text2icon.ink_similarity(ink_features(svgs), index)
            entry["nearest"] = text2icon.nearest_copies(svgs, similarity, index).round(3).tolist()
        record[prompt] = entry
        print(prompt, {k: v for k, v in entry.items() if k != "svgs"}, flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    drawn = dict(rows)
    half = len(rows) // 2
    for part, chunk in ((1, prompts[:half]), (2, prompts[half:])):
        sample_sheet(
            model, chunk, args.n, args.out / f"{name}-{part}.png", icons=lambda p, n: drawn[p]
        )
    summary = {
        "command": "python eval/text2icon/protocol.py "
        + " ".join(
            f"--{k.replace('_', '-')} {v}"
            for k, v in (("model", args.model), ("name", name), ("rank", args.rank))
            if v
        )
        + ("" if args.library else " --no-library"),
        "seconds": round(time.time() - start),
        "prompts": record,
    }
    if index is not None:
        nearest = [
            max(ssim_ink) >= COPY_THRESHOLD for e in record.values() for ssim_ink in e["nearest"]
        ]
        summary["copy_rate"] = sum(nearest) / len(nearest)
    (args.out / f"{name}.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(args.out / f"{name}.json")


if __name__ == "__main__":
    main()
