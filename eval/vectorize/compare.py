"""Measure ``svgvl vectorize`` side by side with vtracer (both modes), in one run.

    python eval/vectorize/make_suites.py DEV/svg                 # real SVGs, fixed sample
    python eval/vectorize/compare.py prepare DEV/svg DEV/inputs  # render the inputs
    python eval/vectorize/compare.py run DEV/inputs --out eval/results/vectorize.md

Inputs per SVG (as in the issue): NAME.png (256 px on white), NAME.alpha.png (transparent
background) and NAME.jpg (300 px, JPEG quality 70).  For each input and method:

- ``ssim``: the output rendered at the input's size on white vs the input composited on white;
- ``ssim4x``: the output and the original SVG both rendered at 4× the input size;
- ``bytes``, ``paths`` (drawn elements) and ``sec`` — for svgvl the wall time of the whole CLI
  process (``svgvl vectorize IN -o OUT``, imports and the printed SSIM included); for vtracer the
  in-process call.  ``source`` is the original SVG itself (the upper bound).

Everything renders through svgvl.render (cairosvg at SVG-Bench settings) and scores through
svgvl.metrics.  Runs sequentially so that the timings are not disturbed by each other.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from svgvl.metrics import count_paths, ssim
from svgvl.render import load_image, rasterize

KINDS = {"png": ".png", "alpha": ".alpha.png", "jpg": ".jpg"}


def prepare(svg_root: Path, out_root: Path, size: int = 256) -> None:
    for suite in sorted(p for p in svg_root.iterdir() if p.is_dir()):
        out = out_root / suite.name
        out.mkdir(parents=True, exist_ok=True)
        for svg in sorted(suite.glob("*.svg")):
            rgba = rasterize(svg, size=size, background=None)
            (out / svg.name).write_bytes(svg.read_bytes())
            Image.fromarray(rgba, "RGBA").save(out / f"{svg.stem}.alpha.png")
            flat = load_image(rgba)
            Image.fromarray(flat).save(out / f"{svg.stem}.png")
            Image.fromarray(flat).resize((300, 300), Image.BICUBIC).save(
                out / f"{svg.stem}.jpg", quality=70
            )


def _vtracer(data: bytes, fmt: str, **kwargs) -> tuple[bytes, float]:
    import vtracer

    start = time.perf_counter()
    svg = vtracer.convert_raw_image_to_svg(data, img_format=fmt, **kwargs).encode()
    return svg, time.perf_counter() - start


def _svgvl(command: str, inp: Path) -> tuple[bytes, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.svg"
        cmd = command.format(inp=shlex.quote(str(inp)), out=shlex.quote(str(out)))
        start = time.perf_counter()
        result = subprocess.run(cmd, shell=True, capture_output=True, timeout=300)
        elapsed = time.perf_counter() - start
        if result.returncode != 0 or not out.exists():
            print(f"FAILED {inp}: {result.stderr.decode()[-300:]}", file=sys.stderr)
            return b"", elapsed
        return out.read_bytes(), elapsed


def render_output(svg: bytes, like: np.ndarray) -> np.ndarray:
    """``svg`` on white at the size of the RGB image ``like``; a failed render (or no output)
    is a white image, as SVG-Bench counts it."""
    h, w = like.shape[:2]
    try:
        return rasterize(svg, size=(w, h))
    except Exception:
        return np.full_like(like, 255)


def score(svg: bytes, ref: np.ndarray, src_hi: np.ndarray) -> tuple[float, float]:
    """SSIM against the input ``ref`` and against the source rendered at zoom (``src_hi``)."""
    return ssim(render_output(svg, ref), ref), ssim(render_output(svg, src_hi), src_hi)


def run(root: Path, command: str, kinds: list[str], suites: list[str] | None, limit: int) -> dict:
    rows: dict = {}
    for suite_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        if suites and suite_dir.name not in suites:
            continue
        for kind in kinds:
            inputs = sorted(
                p
                for p in suite_dir.glob("*" + KINDS[kind])
                if kind != "png" or p.name.count(".") == 1
            )
            for inp in inputs[:limit] if limit else inputs:
                stem = inp.name.split(".")[0]
                source = (suite_dir / f"{stem}.svg").read_bytes()
                ref = load_image(inp)
                h, w = ref.shape[:2]
                src_hi = rasterize(source, size=(w * 4, h * 4))
                fmt = "jpg" if kind == "jpg" else "png"
                data = inp.read_bytes()
                outputs = {
                    "source": (source, 0.0),
                    "svgvl": _svgvl(command, inp),
                    "vtracer": _vtracer(data, fmt, path_precision=2),
                    "vt-poly": _vtracer(data, fmt, mode="polygon", path_precision=1),
                }
                for method, (svg, sec) in outputs.items():
                    s, s4 = score(svg, ref, src_hi)
                    rows.setdefault((suite_dir.name, kind, method), []).append(
                        (s, s4, len(svg), count_paths(svg) if svg else 0, sec)
                    )
                print(
                    f"{suite_dir.name}/{inp.name}: "
                    + ", ".join(
                        f"{m} {rows[(suite_dir.name, kind, m)][-1][0]:.4f}" for m in outputs
                    ),
                    file=sys.stderr,
                )
    return rows


def timing(root: Path, command: str, kinds: list[str]) -> str:
    """Only the svgvl CLI's wall time per input, run one after the other: on a 2-core machine a
    timing is only worth reporting when nothing else runs, so this pass is short enough to
    find a quiet moment for."""
    # Bytecode as an installed package has it (pip compiles at install; a user's Python caches
    # it on first run).  This machine sets PYTHONDONTWRITEBYTECODE=1, so an editable checkout
    # would otherwise recompile svgvl's ~60 modules in every run: ~0.1 s no user pays.
    import compileall

    import svgvl

    compileall.compile_dir(Path(svgvl.__file__).parent, quiet=1)
    lines = ["| suite | input | n | median sec | max sec |", "|---|---|---:|---:|---:|"]
    for suite_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for kind in kinds:
            inputs = sorted(
                p
                for p in suite_dir.glob("*" + KINDS[kind])
                if kind != "png" or p.name.count(".") == 1
            )
            secs = [_svgvl(command, inp)[1] for inp in inputs]
            lines.append(
                f"| {suite_dir.name} | {kind} | {len(secs)} | {statistics.median(secs):.3f} "
                f"| {max(secs):.3f} |"
            )
            print(lines[-1], file=sys.stderr)
    return "\n".join(lines)


def table(rows: dict) -> str:
    lines = [
        "| suite | input | method | n | SSIM | SSIM 4× | median bytes | median paths | median sec |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for (suite, kind, method), values in rows.items():
        s, s4, size, paths, sec = zip(*values, strict=True)
        lines.append(
            f"| {suite} | {kind} | {method} | {len(values)} | {statistics.mean(s):.4f} | {statistics.mean(s4):.4f} "
            f"| {statistics.median(size):.0f} | {statistics.median(paths):.0f} | {statistics.median(sec):.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("svg_root", type=Path)
    p.add_argument("out_root", type=Path)
    p = sub.add_parser("run")
    p.add_argument("root", type=Path)
    p.add_argument("--cmd", default="svgvl vectorize {inp} -o {out}")
    p.add_argument("--inputs", default="png,jpg,alpha")
    p.add_argument("--suites")
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--out", type=Path)
    p = sub.add_parser("time", help="the svgvl CLI's wall time only (run it on a quiet machine)")
    p.add_argument("root", type=Path)
    p.add_argument("--cmd", default="svgvl vectorize {inp} -o {out}")
    p.add_argument("--inputs", default="png,jpg,alpha")
    args = parser.parse_args()
    if args.command == "prepare":
        return prepare(args.svg_root, args.out_root)
    if args.command == "time":
        print(timing(args.root, args.cmd, args.inputs.split(",")))
        return None
    rows = run(
        args.root,
        args.cmd,
        args.inputs.split(","),
        args.suites.split(",") if args.suites else None,
        args.limit,
    )
    text = table(rows)
    print(text)
    if args.out:
        header = (
            "# Vectorizer comparison\n\nProduced by (2-core CPU, sequential runs):\n\n```sh\n"
            "python eval/vectorize/make_suites.py DEV/svg\n"
            "python eval/vectorize/compare.py prepare DEV/svg DEV/inputs\n"
            f"python eval/vectorize/compare.py run {' '.join(shlex.quote(a) for a in sys.argv[2:])}\n```\n\n"
            f"Host: {os.cpu_count()} CPUs. Suites from `eval/vectorize/make_suites.py` (real icons, emoji, "
            "logos, glyphs and flat illustrations, none of them test fixtures), inputs from "
            "`compare.py prepare`.\n\n"
        )
        args.out.write_text(header + text + "\n")


if __name__ == "__main__":
    main()
