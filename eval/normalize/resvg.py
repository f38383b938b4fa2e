"""How faithful is ``svgvl.svg.normalize`` on resvg's test suite?

For every test SVG of the chosen areas of the public linebender/resvg repository
(``crates/resvg/tests/tests/<area>/**.svg``, each with resvg's reference PNG beside it):

1. render the original with the reference renderer (cairosvg) at the PNG's size;
2. normalise it (``normalize(doc, canvas=size)``), write it (``svg.write``) and render that;
3. call it *faithful* when the normalised render matches cairosvg's (SSIM ≥ 0.99 on white), or
   matches resvg's PNG where cairosvg itself is wrong (its own render is < 0.99 against resvg's
   and the normalised one is ≥ 0.99 against resvg's) — drawn by cairosvg, or, when the
   ``resvg_py`` wheel is installed, by resvg itself (cairosvg may draw the normalised file as
   wrongly as the original: masks by alpha instead of luminance, no context paint).

Files cairosvg cannot render are counted apart (they are not in the denominator).  A miss is
*reported* when ``Drawing.dropped`` names something (or normalize refused the file with a clear
``SVGError``), else *silent*; a crash is any other exception; a hang is a file that did not finish
within ``--timeout`` seconds (each file runs in a killed-at-deadline child).

Usage (the repository fetched or cloned anywhere)::

    python eval/normalize/resvg.py RESVG_REPO [--areas shapes,structure,...] \
        [--out eval/results/normalize-resvg.md] [--csv eval/results/normalize-resvg.csv]
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

import numpy as np

from svgvl import sandbox
from svgvl.images import load_image
from svgvl.metrics.fidelity import ssim
from svgvl.render import rasterize
from svgvl.svg import SVGError, normalize, parse, write

AREAS = ("shapes", "structure", "painting", "paint-servers", "masking")
FAITHFUL = 0.99


def reference_png(path: Path) -> np.ndarray | None:
    """resvg's expected image composited on white, or None when there is none."""
    png = path.with_suffix(".png")
    return load_image(png) if png.exists() else None


def check(path: Path) -> dict:
    """One file's verdict (run in a child)."""
    resvg = reference_png(path)
    size = (resvg.shape[1], resvg.shape[0]) if resvg is not None else (200, 200)
    row: dict = {"dropped": [], "error": None}
    try:
        doc = parse(path.read_bytes())
        original = rasterize(doc, size)
    except SVGError as error:
        return {**row, "status": "cairosvg cannot render", "error": str(error)}
    row["cairo_vs_resvg"] = None if resvg is None else round(ssim(original, resvg), 4)
    try:
        drawing = normalize(doc, canvas=size)
    except SVGError as error:
        return {**row, "status": "refused", "error": str(error)}
    row["dropped"] = list(drawing.dropped)
    try:
        redrawn = rasterize(write(drawing), size)
    except SVGError as error:
        return {**row, "status": "crash", "error": f"its output does not render: {error}"}
    row["ssim"] = round(ssim(redrawn, original), 4)
    row["ssim_resvg"] = None if resvg is None else round(ssim(redrawn, resvg), 4)
    cairo_wrong = row["cairo_vs_resvg"] is not None and row["cairo_vs_resvg"] < FAITHFUL
    if row["ssim"] >= FAITHFUL:
        status = "faithful"
    elif cairo_wrong and row["ssim_resvg"] >= FAITHFUL:
        status = "faithful (to resvg)"
    elif cairo_wrong and (by_resvg := resvg_render(write(drawing), size)) is not None:
        row["resvg_both"] = round(ssim(by_resvg, resvg), 4)
        if row["resvg_both"] >= FAITHFUL:
            status = "faithful (resvg draws both)"
        else:
            status = "reported" if row["dropped"] else "silent"
    else:
        status = "reported" if row["dropped"] else "silent"
    return {**row, "status": status}


def resvg_render(svg: str, size) -> np.ndarray | None:
    """``svg`` drawn by resvg itself (the ``resvg_py`` wheel) on white, or None without it: where
    cairosvg draws the original wrongly, it may draw the normalised file wrongly too, so the
    normalised file is drawn by the renderer whose reference PNG it is compared with."""
    try:
        import resvg_py
    except ImportError:
        return None
    try:
        png = resvg_py.svg_to_bytes(svg_string=svg, width=size[0], height=size[1])
    except ValueError:
        return None
    return load_image(bytes(png))


def run_one(path: Path, timeout: float) -> dict:
    def work() -> bytes:
        return json.dumps(check(path)).encode()

    def describe(error: BaseException) -> str:
        return f"{type(error).__name__}: {error}"

    outcome = sandbox.run_in_child(work, timeout, describe=describe, memory=2 << 30)
    if outcome.timed_out:
        return {"status": "hang", "error": f"not done in {timeout:g} s", "dropped": []}
    if outcome.error is not None:
        return {"status": "crash", "error": outcome.error, "dropped": []}
    if outcome.value is None:
        return {"status": "crash", "error": "the check process died", "dropped": []}
    return json.loads(outcome.value)


def tests(repo: Path, areas) -> list[tuple[str, Path]]:
    root = repo / "crates" / "resvg" / "tests" / "tests"
    found = []
    for area in areas:
        found += [(area, p) for p in sorted((root / area).rglob("*.svg"))]
    if not found:
        sys.exit(f"no test SVGs under {root} for areas {', '.join(areas)}")
    return found


def table(rows: list[dict], areas, command: str) -> str:
    """The Markdown summary: per area, and the misses with their reasons."""
    lines = [
        "# normalize on resvg's test suite",
        "",
        "Each test SVG rendered by cairosvg (the reference renderer) against the same file after",
        "`normalize` → `write` → cairosvg, at the size of resvg's reference PNG, SSIM on white.",
        f"Faithful: SSIM ≥ {FAITHFUL} to cairosvg; or, where cairosvg's own render of the",
        "original is below that against resvg's PNG (cairosvg is wrong), the normalised file",
        "matches resvg's PNG drawn by cairosvg (*to resvg*) or by resvg itself (*resvg draws",
        "both*, with the `resvg_py` wheel). Reported: a miss whose reason `Drawing.dropped` names",
        "(or a clear refusal); silent: a miss with nothing said. The share is of files cairosvg",
        "renders; the cairosvg-only column counts only the first kind.",
        "",
        f"    {command}",
        "",
        "| area | files | cairosvg renders | faithful | of which cairosvg only | reported | silent "
        "| crash | hang |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for area in [*areas, "all"]:
        group = [r for r in rows if area == "all" or r["area"] == area]
        counts = collections.Counter(r["status"] for r in group)
        renders = len(group) - counts["cairosvg cannot render"]
        faithful = sum(n for status, n in counts.items() if status.startswith("faithful"))
        share = f"{faithful} ({faithful / renders:.1%})" if renders else "0"
        lines.append(
            f"| {area} | {len(group)} | {renders} | {share} | {counts['faithful']} | "
            f"{counts['reported'] + counts['refused']} | {counts['silent']} | "
            f"{counts['crash']} | {counts['hang']} |"
        )
    reasons = collections.Counter(
        reason for r in rows if r["status"] in ("reported", "refused") for reason in r["dropped"]
    )
    refused = collections.Counter(
        (r.get("error") or "").split(":")[0] for r in rows if r["status"] == "refused"
    )
    if reasons or refused:
        lines += ["", "## Reasons given for misses", "", "| reason | files |", "|---|---|"]
        lines += [f"| {reason} | {n} |" for reason, n in (reasons + refused).most_common()]
    silent = [r for r in rows if r["status"] in ("silent", "crash", "hang")]
    if silent:
        lines += ["", "## Silent misses, crashes and hangs", "", "| file | status | SSIM |"]
        lines.append("|---|---|---|")
        lines += [f"| {r['file']} | {r['status']} | {r.get('ssim', '')} |" for r in silent]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", type=Path, help="a checkout of linebender/resvg")
    parser.add_argument("--areas", default=",".join(AREAS))
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per file")
    parser.add_argument("--out", type=Path, help="write the Markdown table here")
    parser.add_argument("--csv", type=Path, help="write one row per file here")
    parser.add_argument("--only", help="check only files whose path contains this")
    args = parser.parse_args(argv)
    areas = [a for a in args.areas.split(",") if a]
    rows = []
    start = time.perf_counter()
    found = tests(args.repo, areas)
    if args.only:
        found = [(a, p) for a, p in found if args.only in str(p)]
    base = args.repo / "crates" / "resvg" / "tests" / "tests"
    for index, (area, path) in enumerate(found, 1):
        row = {"area": area, "file": str(path.relative_to(base)), **run_one(path, args.timeout)}
        rows.append(row)
        if index % 50 == 0 or index == len(found):
            print(f"{index}/{len(found)} files, {time.perf_counter() - start:.0f} s", flush=True)
    command = "python eval/normalize/resvg.py RESVG_REPO " + " ".join(
        a for a in (argv if argv is not None else sys.argv[1:]) if a != str(args.repo)
    )
    text = table(rows, areas, command.strip())
    print(text)
    if args.out:
        args.out.write_text(text)
    if args.csv:
        import csv

        with args.csv.open("w", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(["file", "status", "ssim", "ssim_resvg", "cairo_vs_resvg", "dropped"])
            for r in rows:
                out.writerow(
                    [
                        r["file"],
                        r["status"],
                        r.get("ssim", ""),
                        r.get("ssim_resvg", ""),
                        r.get("cairo_vs_resvg", ""),
                        "; ".join(r["dropped"]) or r.get("error") or "",
                    ]
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
