"""Build the benchmark suites in eval/suites/ from the test split of svgvl's datasets.

    python eval/suites/make_suites.py [--work DIR] [--per-suite 40] [--seed 0]

For each suite, the datasets of its sources are built (or, when already built, reused) with
``svgvl.data.build`` in WORK (default ``$SVGVL_CACHE/datasets``, i.e.
``~/.cache/svgvl/datasets``); packages are fetched once with ``npm pack``/``pip download`` and
cached.  From each dataset's **test split** only, a fixed sample is drawn: candidates in id
order, shuffled by a generator seeded with (seed, suite, source), taken in that order while they
pass the checks below, until the source's share of the suite is filled.  A candidate must

* carry its source's own licence (not one that a few logos state for themselves), and one that
  allows redistribution without share-alike or other terms (:data:`REDISTRIBUTABLE`),
* be small (normalised SVG at most :data:`MAX_BYTES`, so a suite stays well under 300 KB),
* render with cairosvg to something that is not blank, and
* render the same from its normalised and its original SVG (mean absolute difference under
  :data:`MAX_RENDER_DIFFERENCE` at 128 px), so the file is a faithful target.

The suite file is the record's normalised SVG (absolute paths, own viewBox, no comments):
``eval/suites/<suite>/<safe id>.svg``, listed with id, source, licence and labels in
``eval/suites/<suite>/suite.json``.  Needs npm (for the npm packages), pip (Font Awesome), the
DejaVu fonts (Debian fonts-dejavu-core) and ``svgvl[data]``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # svgvl from this checkout, installed or not

from svgvl.data import build, cache_dir, load  # noqa: E402
from svgvl.files import write_atomic  # noqa: E402

# suite → description and (source, share of the suite) pairs
SUITES = {
    "icons": (
        "Monochrome UI icons (strokes and fills in currentColor, drawn black): Tabler Icons "
        "(outline and filled), Material Design Icons, Lucide and Font Awesome Free, a quarter each.",
        [("tabler", 0.25), ("iconify:mdi", 0.25), ("lucide", 0.25), ("fontawesome", 0.25)],
    ),
    "emoji": (
        "Colour emoji with gradients and many small shapes: Twemoji, Noto Emoji and Fluent "
        "Emoji Flat, a third each.",
        [("twemoji", 1 / 3), ("noto", 1 / 3), ("fluent-emoji-flat", 1 / 3)],
    ),
    "logos": (
        "Brand logos: Simple Icons in their brand colour (one colour each) and SVG Logos "
        "(Iconify set logos) in full colour, half each.",
        [("simple-icons", 0.5), ("iconify:logos", 0.5)],
    ),
    "fonts": (
        "Font glyphs (letters, digits and punctuation of the Latin, Greek and Cyrillic blocks) "
        "from DejaVu Sans, DejaVu Serif and DejaVu Sans Mono, a third each.",
        [
            ("font:DejaVu Sans", 1 / 3),
            ("font:DejaVu Serif", 1 / 3),
            ("font:DejaVu Sans Mono", 1 / 3),
        ],
    ),
}
REDISTRIBUTABLE = {
    "Apache-2.0",
    "Bitstream-Vera",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "CC-BY-3.0",
    "CC-BY-4.0",
    "CC0-1.0",
    "ISC",
    "MIT",
    "Unlicense",
}
MAX_BYTES = 6000
MAX_RENDER_DIFFERENCE = 0.01  # mean |original − normalised| over RGB in [0, 1] at 128 px
GLYPH_CATEGORIES = {"letter", "number", "punctuation"}
GLYPH_LAST_CODEPOINT = 0x04FF  # Basic Latin … Cyrillic


def safe_name(record_id: str) -> str:
    """``tabler/outline/rocket`` → ``tabler-outline-rocket``; ``DejaVuSans/U+0041`` → ``DejaVuSans-U-0041``."""
    return re.sub(r"[^A-Za-z0-9._]+", "-", record_id).strip("-.")


def wanted(record: dict, licence: str) -> bool:
    """Within the licence, size and glyph-range rules (see the module's docstring)."""
    if record["licence"] != licence or licence not in REDISTRIBUTABLE:
        return False
    if len(record["normalized"]) > MAX_BYTES:
        return False
    if record["source"].startswith("font:"):
        code = int(record["meta"]["codepoint"][2:], 16)
        return record["labels"]["category"] in GLYPH_CATEGORIES and code <= GLYPH_LAST_CODEPOINT
    return True


def renders_faithfully(record: dict) -> bool:
    """Not blank, and the normalised SVG draws what the original draws (cairosvg, 128 px)."""
    from svgvl.render import rasterize

    try:
        original = rasterize(record["svg"].encode(), 128, strict=True) / 255.0
        normalized = rasterize(record["normalized"].encode(), 128, strict=True) / 255.0
    except ValueError:
        return False
    inked = (normalized < 0.9).any(axis=-1).mean()
    return inked > 0.002 and abs(original - normalized).mean() < MAX_RENDER_DIFFERENCE


def sample(records: list[dict], count: int, seed: str, licence: str) -> list[dict]:
    order = sorted(records, key=lambda r: r["id"])
    random.Random(seed).shuffle(order)
    chosen = []
    for record in order:
        if len(chosen) == count:
            break
        if wanted(record, licence) and renders_faithfully(record):
            chosen.append(record)
    if len(chosen) < count:
        raise SystemExit(f"only {len(chosen)} usable test items for {seed}, {count} wanted")
    return chosen


def shares(total: int, parts: list[float]) -> list[int]:
    """Whole counts in proportion to ``parts`` that add up to ``total`` (largest remainders)."""
    exact = [total * p / sum(parts) for p in parts]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(parts)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def make_suite(name: str, work: Path, per_suite: int, seed: int, command: str) -> dict:
    description, sources = SUITES[name]
    folder = HERE / name
    items, described = [], []
    for (source, _), count in zip(sources, shares(per_suite, [s for _, s in sources]), strict=True):
        out = work / safe_name(source).lower()
        manifest = build(source, out, progress=sys.stderr.isatty())
        licence = manifest["sources"][0]["licence"]
        chosen = sample(list(load(out, split="test")), count, f"{seed}:{name}:{source}", licence)
        described += [
            {"name": manifest["source"], **s, "items": count} for s in manifest["sources"]
        ]
        for record in chosen:
            items.append(
                {
                    "id": record["id"],
                    "file": safe_name(record["id"]) + ".svg",
                    "source": record["source"],
                    "licence": record["licence"],
                    "labels": record["labels"],
                    "svg": record["normalized"],
                }
            )
    files = [item["file"].lower() for item in items]
    if len(set(files)) != len(files):
        raise SystemExit(f"{name}: two items map to one file name")
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.svg"):
        if old.name.lower() not in files:
            old.unlink()
    for item in items:
        write_atomic(folder / item["file"], item.pop("svg"), force=True)
    suite = {
        "name": name,
        "description": description,
        "command": command,
        "sources": described,
        "items": items,
    }
    text = json.dumps(suite, indent=2, ensure_ascii=False) + "\n"
    write_atomic(folder / "suite.json", text, force=True)
    size = sum((folder / item["file"]).stat().st_size for item in items)
    print(f"{name}: {len(items)} items, {size:,} bytes of SVG", file=sys.stderr)
    return suite


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, help="dataset folder (default: $SVGVL_CACHE/datasets)")
    parser.add_argument("--per-suite", type=int, default=40, help="items per suite (default: 40)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (default: 0)")
    parser.add_argument(
        "suites", nargs="*", metavar="SUITE", help=f"{', '.join(SUITES)} (default: all)"
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.suites if name not in SUITES]
    if unknown:
        parser.error(f"unknown suite {unknown[0]!r}; suites: {', '.join(SUITES)}")
    work = args.work or cache_dir().parent / "datasets"
    command = (
        f"python eval/suites/make_suites.py --per-suite {args.per_suite} --seed {args.seed}"
        + "".join(f" {name}" for name in args.suites)
    )
    for name in args.suites or SUITES:
        make_suite(name, work, args.per_suite, args.seed, command)


if __name__ == "__main__":
    main()
