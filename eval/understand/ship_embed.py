"""Ship a trained embedding model: copy its weights into the package and build its label
vocabulary (what ``svgvl describe`` picks zero-shot labels from).

    python eval/understand/ship_embed.py runs/embed-cpu --out svgvl/models/weights/embed

The vocabulary is the titles (without style words such as "outline" or "filled") that at least
``--min-sources`` icon sets of the training split use (common concepts, not one set's naming),
most widely used first, at most ``--size`` of them.
The model card (README.md in the output folder) is written by hand from the evaluation.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from svgvl.train.embed_data import Prepared  # noqa: E402
from svgvl.understand.embed import build_vocabulary, load_embedder  # noqa: E402

FILES = ("config.json", "model.safetensors", "training.json")


# Words that name a drawing style or variant, not what is drawn ("heart outline" is a heart).
STYLE = frozenset(
    {"outline", "outlined", "filled", "fill", "solid", "bold", "regular", "light", "thin"}
    | {"duotone", "line", "lines", "linear", "round", "rounded", "sharp", "twotone", "two"}
    | {"tone", "alt", "broken", "bulk", "mini", "micro", "small", "large", "sm", "lg"}
)


def concept(title: str) -> str:
    """A title without its style words and numbers: ``"heart outline 2"`` → ``"heart"``."""
    return " ".join(w for w in title.split() if w not in STYLE and not w.isdigit())


def vocabulary(store: Prepared, min_sources: int, size: int) -> list[str]:
    sources = defaultdict(set)
    for item in store.items:
        if item["split"] == "train" and concept(item["title"]):
            sources[concept(item["title"])].add(item["source"])
    common = [t for t, s in sources.items() if len(s) >= min_sources and len(t) <= 40]
    common.sort(key=lambda t: (-len(sources[t]), t))
    return common[:size]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a `svgvl train embed` output folder")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--prepared", type=Path, help="its prepared data (default: RUN/data)")
    parser.add_argument("--min-sources", type=int, default=3)
    parser.add_argument("--size", type=int, default=3000)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copy2(args.run / "model" / name, args.out / name)
    labels = vocabulary(Prepared(args.prepared or args.run / "data"), args.min_sources, args.size)
    build_vocabulary(load_embedder(args.out), labels, args.out)
    print(f"{args.out}: weights and a vocabulary of {len(labels)} labels")


if __name__ == "__main__":
    main()
