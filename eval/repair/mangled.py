"""Does ``svgvl.svg.repair`` give back the drawing that was there?

Real SVG files are mangled the ways language-model output goes wrong — chatter and code fences
around the document, a stray ``<svg`` before it, an ``<svg>`` tag quoted in the chatter, a
repeated attribute, a document cut off between elements or inside one and then followed by
chatter that itself says ``</svg>`` — and repaired.  Each repair is rendered at 128 px and scored
against the *intact part*: the original (for chatter and repeated attributes) or the original
without every element that starts after the cut (for truncation; an element cut inside is not
intact).  *kept*: SSIM ≥ 0.99; *error*: a clear ``SVGError``; *lost*: anything else.

Cuts inside a ``<path>``'s ``d`` keep the path's complete commands on purpose; they are scored
apart (``cut in path data``) against the intact part with that path's complete commands, taken
from the original's own parse, so both the salvage and the rest of the drawing are checked.

    python eval/repair/mangled.py eval/suites --out eval/results/repair.md
"""

from __future__ import annotations

import argparse
import collections
import random
import re
import sys
from pathlib import Path

from lxml import etree

from svgvl.metrics.fidelity import ssim
from svgvl.render import rasterize
from svgvl.svg import SVGError, parse, repair
from svgvl.svg.parse import local_name
from svgvl.svg.pathdata import parse_path_prefix

KEPT = 0.99
PAINT = {"fill", "stroke", "style", "class"}
SHAPES = ("path", "rect", "circle", "ellipse", "line", "polyline", "polygon")
SHAPE_NAMES = "|".join(SHAPES)
CHATTER_AFTER = "\n\nI ran out of space, so close it with </svg> yourself. Hope it helps!"


def canonical(path: Path) -> str:
    """The file as one line of XML (what a model would be trained to emit)."""
    root = parse(path.read_bytes()).root
    return etree.tostring(root, encoding="unicode")


def without_after(text: str, cut: int, salvage: str | None = None) -> str:
    """``text``'s document without the elements whose start tags begin at or after ``cut``.

    The element ``cut`` falls inside is not intact either, unless ``salvage`` gives the data of
    the path it cut: then that path keeps the attributes written before its ``d`` — unless it has
    no paint of its own while an earlier shape had (its paint would have come after the cut).
    """
    root = etree.fromstring(text.encode())
    starts = [m.start() for m in re.finditer(r"<(?![/!?])", text)]
    elements = list(root.iter())
    assert len(starts) == len(elements), "one start tag per element in canonical text"
    painted = False
    for element, start in zip(elements, starts, strict=True):
        inside = start < cut < text.find(">", start) + 1
        if inside and salvage is not None:
            names = list(element.attrib)
            before = names[: names.index("d")]
            for name in names[names.index("d") + 1 :]:
                del element.attrib[name]
            element.set("d", salvage)
            if painted and not set(before) & PAINT:
                element.getparent().remove(element)
        elif start >= cut or inside:
            parent = element.getparent()
            if parent is not None:
                parent.remove(element)
        elif local_name(element) in SHAPES and set(element.attrib) & PAINT:
            painted = True
    return etree.tostring(root, encoding="unicode")


def mangles(text: str, rng: random.Random):
    """(kind, mangled text, intact part) for one canonical document."""
    yield "code fence and chatter", f"Sure! Here is the icon:\n```svg\n{text}\n```\nEnjoy.", text
    yield "stray <svg before", "I think this is right. <svg" + text, text
    yield "<svg> quoted in chatter", f"Here's an `<svg>` icon:\n\n{text}\nOne `<svg>` root.", text
    shape = re.search(rf'<(?:{SHAPE_NAMES})\b[^>]*?\s([\w:-]+)="([^"]*)"', text)
    if shape:
        at = shape.end()
        doubled = text[:at] + f' {shape.group(1)}="{shape.group(2)}x"' + text[at:]
        yield "repeated attribute", doubled, text
    tags = [m for m in re.finditer(rf"<({SHAPE_NAMES})\b[^>]*>", text)]
    if len(tags) >= 2:
        after = rng.choice(tags[:-1]).end()
        yield (
            "cut between elements + chatter",
            text[:after] + CHATTER_AFTER,
            without_after(text, after),
        )
        tag = rng.choice(tags)
        data = re.search(r'\sd="[^"]*"', tag.group())
        spans = [(tag.start() + 2, tag.end() - 1)]
        if data:  # outside the path data, which is the next mangle's
            spans = [(tag.start() + 2, tag.start() + data.start() + 4)]
            spans.append((tag.start() + data.end(), tag.end() - 1))
        low, high = rng.choice([span for span in spans if span[1] > span[0]] or spans)
        if high > low:
            cut = rng.randrange(low, high)
            mangled = text[:cut] + CHATTER_AFTER
            yield "cut in a start tag + chatter", mangled, without_after(text, cut)
    paths = [m for m in re.finditer(r'<path\b[^>]*?\sd="([^"]{40,})"', text)]
    if paths:
        path = rng.choice(paths)
        cut = rng.randrange(path.start(1) + 10, path.end(1) - 5)
        d = path.group(1)[: cut - path.start(1)]
        # The number the cut fell in, or ended with, is not intact; nor a letter left without
        # its numbers.
        d = d.rstrip(" ,")
        numbers = list(re.finditer(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+.]$", d))
        if numbers and numbers[-1].end() == len(d):
            d = d[: numbers[-1].start()]  # the number the cut fell in
        d = re.sub(r"(?:[\s,]*[A-Y\[a-y])+[\s,]*$", "", d)  # letters left without numbers
        commands, _, end = parse_path_prefix(d)
        if any(letter != "M" for letter, _ in commands):
            intact = without_after(text, cut, salvage=d[:end])
            yield "cut in path data + chatter", text[:cut] + CHATTER_AFTER, intact
            yield "cut in path data", text[:cut], intact


def score(mangled: str, intact: str) -> tuple[str, float | None, str]:
    try:
        fixed = repair(mangled)
        got = rasterize(fixed.svg, 128)
    except SVGError as error:
        return "error", None, str(error)
    value = ssim(got, rasterize(intact, 128))
    return ("kept" if value >= KEPT else "lost"), value, "; ".join(fixed.repairs)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    files = sorted(p for folder in args.folders for p in folder.rglob("*.svg"))
    if not files:
        sys.exit("no .svg files in the given folders")
    rng = random.Random(args.seed)
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    worst = []
    for path in files:
        try:
            text = canonical(path)
        except SVGError:
            continue
        for kind, mangled, intact in mangles(text, rng):
            verdict, value, notes = score(mangled, intact)
            counts[kind][verdict] += 1
            if verdict != "kept":
                worst.append((value or 0.0, kind, path.name, verdict, notes))
    lines = [
        "# repair on mangled real SVG",
        "",
        "Real SVG files mangled the ways model output goes wrong, repaired by `svgvl.svg.repair`,",
        f"rendered at 128 px and scored against the intact part (kept: SSIM ≥ {KEPT}; error: a",
        "clear SVGError; lost: anything else). See the script's docstring for each mangle. The",
        "mangles were written alongside repair's rules, so this table shows that the rules hold",
        "on real files of every kind, not how often real model output is mangled this way.",
        "",
        f"    python eval/repair/mangled.py {' '.join(map(str, args.folders))} --seed {args.seed}",
        "",
        "| mangle | cases | kept | error | lost |",
        "|---|---|---|---|---|",
    ]
    for kind, c in counts.items():
        total = sum(c.values())
        lines.append(f"| {kind} | {total} | {c['kept']} | {c['error']} | {c['lost']} |")
    if worst:
        lines += ["", "Misses (SSIM, mangle, file, verdict, what repair said):", ""]
        for value, kind, name, verdict, notes in sorted(worst)[:20]:
            lines.append(f"- {value:.3f} {kind} {name} {verdict}: {notes[:160]}")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
