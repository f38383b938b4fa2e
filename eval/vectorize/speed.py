"""Whole-process time and peak memory of ``svgvl vectorize`` against vtracer, by image size.

    python eval/vectorize/speed.py eval/suites --out eval/results/vectorize-speed.md

Real SVGs from the development suites (logos and emoji, the first few of each) are rendered on
white at 256, 1024 and 2048 px, plus a 2048 px image of six flat colours at random (every
pixel an edge: the work budget's worst case).  Each input goes through

- ``svgvl vectorize IN -o OUT`` (the installed console script: imports, decoding, tracing,
  writing and the printed SSIM included), and
- ``python -c "import vtracer; vtracer.convert_image_to_svg_py(IN, OUT)"`` (vtracer's defaults),

one after the other, each as its own process, in the same run.  Wall time, CPU time (user +
system: less disturbed when others share the cores) and peak resident memory per process
(GNU time); the table gives medians per size and the median ratio svgvl / vtracer.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from svgvl.render import rasterize

SIZES = (256, 1024, 2048)


def inputs(suites: Path, folder: Path, per_suite: int) -> dict[int, list[Path]]:
    out: dict[int, list[Path]] = {size: [] for size in SIZES}
    for suite in ("logos", "emoji"):
        for svg in sorted((suites / suite).glob("*.svg"))[:per_suite]:
            for size in SIZES:
                path = folder / f"{svg.stem}-{size}.png"
                Image.fromarray(rasterize(svg, size=size)).save(path)
                out[size].append(path)
    colours = np.array(
        [[255, 255, 255], [0, 0, 0], [200, 30, 30], [30, 160, 40], [30, 60, 200], [240, 200, 20]],
        dtype=np.uint8,
    )
    noise = colours[np.random.default_rng(0).integers(0, 6, (2048, 2048))]
    Image.fromarray(noise).save(folder / "noise6-2048.png")
    return out


def measure(command: list[str], timeout: float) -> tuple[float, float, float, int]:
    """(wall s, CPU s, peak MB, exit status) of one process, as GNU time reports it (started
    from this big process, a child would count our memory as its own until it execs)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        start = time.perf_counter()
        status = subprocess.run(
            ["/usr/bin/time", "-f", "%U %S %M", "-o", report.name, "timeout", str(timeout)]
            + command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ).returncode
        wall = time.perf_counter() - start
        user, system, peak_kb = report.read().split()[-3:]
    return wall, float(user) + float(system), int(peak_kb) / 1024, status


def run_pair(image: Path, out: Path, timeout: float) -> dict[str, tuple]:
    svgvl = str(Path(sys.executable).parent / "svgvl")  # the console script, not a shim
    ours = [svgvl, "vectorize", str(image), "-o", str(out / "svgvl.svg"), "--force"]
    theirs = [
        sys.executable,
        "-c",
        f"import vtracer; vtracer.convert_image_to_svg_py({str(image)!r}, "
        f"{str(out / 'vtracer.svg')!r})",
    ]
    return {"svgvl": measure(ours, timeout), "vtracer": measure(theirs, timeout)}


def table(rows: dict[str, list[dict]]) -> str:
    lines = [
        "| input | n | svgvl wall s | svgvl CPU s | svgvl MB | vtracer wall s | vtracer CPU s "
        "| vtracer MB | CPU ratio | memory ratio | svgvl failed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, results in rows.items():

        def median(method, i, results=results):
            return statistics.median(r[method][i] for r in results)

        ratio_cpu = statistics.median(r["svgvl"][1] / r["vtracer"][1] for r in results)
        ratio_mem = statistics.median(r["svgvl"][2] / r["vtracer"][2] for r in results)
        lines.append(
            f"| {label} | {len(results)} | {median('svgvl', 0):.2f} | {median('svgvl', 1):.2f} "
            f"| {median('svgvl', 2):.0f} | {median('vtracer', 0):.2f} | {median('vtracer', 1):.2f} "
            f"| {median('vtracer', 2):.0f} | {ratio_cpu:.2f} | {ratio_mem:.2f} "
            f"| {sum(r['svgvl'][3] != 0 for r in results)} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suites", type=Path, help="the development suites (eval/suites)")
    parser.add_argument("--per-suite", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        images = inputs(args.suites, folder, args.per_suite)
        rows: dict[str, list[dict]] = {}
        for size, paths in images.items():
            for path in paths:
                rows.setdefault(f"{size} px", []).append(run_pair(path, folder, args.timeout))
                print(path.name, rows[f"{size} px"][-1], file=sys.stderr)
        noise = run_pair(folder / "noise6-2048.png", folder, args.timeout)
        rows["2048 px noise"] = [noise]
        print("noise", noise, file=sys.stderr)
    text = table(rows)
    print(text)
    if args.out:
        header = (
            "# Vectorizer speed and memory\n\nProduced by:\n\n```sh\n"
            f"python eval/vectorize/speed.py {args.suites} --per-suite {args.per_suite}"
            f" --out {args.out}\n```\n\n"
            f"Host: {os.cpu_count()} CPUs, shared with other jobs while measured (compare the CPU "
            "columns; wall time includes waiting for a core). "
            + "Inputs: real SVGs from the development suites (logos, emoji) rendered on white at "
            "256, 1024 and 2048 px, and a 2048 px image of six flat colours at random. Each goes "
            "through `svgvl vectorize IN -o OUT` (the console script: imports, decoding, "
            'tracing, writing and the printed SSIM included) and through `python -c "import '
            'vtracer; vtracer.convert_image_to_svg_py(IN, OUT)"`, each its own process, one '
            "after the other. CPU is user + system time and MB the peak resident memory (GNU "
            "time); medians per size, and the median of the per-image ratios svgvl / vtracer.\n\n"
        )
        args.out.write_text(header + text + "\n")


if __name__ == "__main__":
    main()
