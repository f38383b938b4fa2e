"""Measure ``svgvl vectorize`` on the hard suites against vtracer (both modes) and potrace.

    python eval/vectorize/make_hard_suites.py /work/hard/inputs
    python eval/vectorize/hard.py /work/hard/inputs --work /work/hard/runs/NAME \\
        --out eval/results/vectorize-hard.md --sheets eval/results/vectorize-hard

Every method runs as a whole process, one after the other, timed from start to exit, with its
peak memory (``ru_maxrss`` of that process and its children, through GNU time):

- ``svgvl``: ``svgvl vectorize IN -o OUT`` (``--cmd`` changes it);
- ``vtracer`` / ``vt-poly``: vtracer's spline mode (``path_precision=2``) and polygon mode
  (``mode="polygon", path_precision=1``), as compare.py sets them, through ``python -c`` since
  the wheel ships no CLI (so ~0.2 s of interpreter start is included, as for svgvl);
- ``potrace`` on the black-on-white suites (line art, text): ``mkbitmap -n -s 1 -t 0.5 IN.pgm |
  potrace -s`` (threshold at 50 %, the best of the mkbitmap settings tried on these suites).

Per item: SSIM against the input; SSIM against the source SVG rendered at 4× (capped at 2048 px,
so 2× for 1024 px inputs and 1× at 2048 px) or a larger raster file of the same icon
(``ref/NAME.png``, make_real_suites.py), where one exists; bytes; paths; seconds; MB;
``empty`` (the input has ink but the output renders as blank white); and ``stroked`` (at least
half of the drawn elements are ``fill="none"`` with a stroke).  Outputs are kept under WORK,
per-item numbers in WORK/items.jsonl; ``--sheets`` draws input | svgvl | best peer for the ten
worst svgvl items of each suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compare import render_output  # noqa: E402

from svgvl.images import load_image  # noqa: E402
from svgvl.metrics import count_paths, ssim  # noqa: E402
from svgvl.render import rasterize  # noqa: E402
from svgvl.svg import SVGError, parse  # noqa: E402
from svgvl.svg.parse import local_name  # noqa: E402
from svgvl.svg.style import parse_declarations  # noqa: E402

BLACK_ON_WHITE = ("lineart-", "text")  # suite name prefixes where potrace runs
# potrace is GPL and optional: compared where the machine has it, left out of the table where not.
POTRACE = bool(shutil.which("potrace") and shutil.which("mkbitmap"))
MAX_ZOOM_SIDE = 2048
INK = 48  # a pixel this far from white (0-255, any channel) is ink
VTRACER = (
    "import sys, vtracer; vtracer.convert_image_to_svg_py(sys.argv[1], sys.argv[2], "
    "path_precision={precision}{mode})"
)
NOTES = """\
Inputs: the script named above (what each suite is: its docstring; each suite's suite.json
lists its items, sources and licences). Each method runs as a whole process, one after the other; `sec` is its
wall time from start to exit (imports included), `MB` its peak resident memory (`ru_maxrss`
through GNU time, children included). vtracer runs through `python -c` (the wheel has no CLI), svgvl
through its CLI, potrace as `mkbitmap -n -s 1 -t 0.5 | potrace -s` on the black-on-white suites.

**Timings are noisy**: this machine has 2 cores shared with other jobs. Read time and memory as
the ratios `sec ÷ vt` and `MB ÷ vt` (median over the suite ÷ vtracer's median, same run).
`SSIM 4×` compares with the source SVG rendered at 4× (2× for 1024 px inputs, 1× at 2048 px,
so no render passes 2048 px) or, for real files, the same icon's larger file from its package
shrunk to 4× (2× where it is only twice as large); `–` where there is none (noise). `empty`: inputs with ink
whose output renders blank (or failed). `stroked`: share of outputs whose drawn elements are
mostly `fill="none"` with a stroke. `failed`: non-zero exit, or killed at the timeout (then no
memory reading); a failed output scores as blank.
"""
SHAPES = {"path", "rect", "circle", "ellipse", "line", "polyline", "polygon"}


# -- running one process -------------------------------------------------------------------------


def measure(argv: list[str], timeout: float) -> tuple[float, float, int]:
    """Run ``argv`` to its end (killed, with its group, after ``timeout`` s): wall seconds,
    peak resident MB, exit status.

    The peak comes from GNU time (``%M``: the process's ``ru_maxrss``, children it waited for
    included).  It must be a small launcher: Linux carries a forking parent's high-water RSS
    into the child, so ``os.wait4`` straight from this (large) process would report its own size.
    """
    with tempfile.TemporaryFile() as log, tempfile.NamedTemporaryFile("r") as peak:
        start = time.perf_counter()
        proc = subprocess.Popen(
            ["/usr/bin/time", "-f", "%M", "-o", peak.name, *argv],
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
        timer.start()
        code = proc.wait()
        elapsed = time.perf_counter() - start
        timer.cancel()
        kb = peak.read().split()
        if code != 0:
            log.seek(0)
            tail = log.read()[-300:].decode(errors="replace")
            print(f"  exit {code} after {elapsed:.1f} s: {tail}", file=sys.stderr)
    return elapsed, int(kb[-1]) / 1024 if kb and kb[-1].isdigit() else float("nan"), code


def commands(inp: Path, outs: Path, svgvl_cmd: str, black_on_white: bool) -> dict:
    """Each method's argv and output file (OUTS/<method>/NAME.svg) for one input; potrace only
    on black-on-white suites where it is installed, reading NAME.pgm beside its output."""

    def out(method: str) -> Path:
        return outs / method / f"{inp.stem}.svg"

    def vtracer(precision: int, mode: str = "") -> list:
        return [sys.executable, "-c", VTRACER.format(precision=precision, mode=mode), str(inp)]

    found = {
        "svgvl": shlex.split(
            svgvl_cmd.format(inp=shlex.quote(str(inp)), out=shlex.quote(str(out("svgvl"))))
        ),
        "vtracer": vtracer(2) + [str(out("vtracer"))],
        "vt-poly": vtracer(1, ", mode='polygon'") + [str(out("vt-poly"))],
    }
    if black_on_white and POTRACE:
        svg = out("potrace")
        pgm = shlex.quote(str(svg.with_suffix(".pgm")))
        pipe = f"mkbitmap -n -s 1 -t 0.5 -o - {pgm} | potrace -s -o {shlex.quote(str(svg))}"
        found["potrace"] = ["sh", "-c", pipe]
    return {method: (argv, out(method)) for method, argv in found.items()}


# -- what an output is ---------------------------------------------------------------------------


def stroke_share(svg: bytes) -> float:
    """Share of drawn elements painted as lines: ``fill`` none and a ``stroke`` (inherited
    presentation attributes and ``style`` followed)."""
    drawn = stroked = 0

    def walk(element, fill: str, stroke: str) -> None:
        nonlocal drawn, stroked
        if not isinstance(element.tag, str) or local_name(element) in ("defs", "clipPath", "mask"):
            return
        style, _ = parse_declarations(element.get("style", ""))
        fill = style.get("fill", element.get("fill", fill)).strip()
        stroke = style.get("stroke", element.get("stroke", stroke)).strip()
        if local_name(element) in SHAPES:
            drawn += 1
            stroked += fill == "none" and stroke not in ("none", "")
        for child in element:
            walk(child, fill, stroke)

    try:
        walk(parse(svg).root, "black", "none")
    except Exception:
        return 0.0
    return stroked / drawn if drawn else 0.0


def _zoom_target(source: Path | None, ref: np.ndarray) -> np.ndarray | None:
    """What the output is compared with at zoom: the source SVG rendered at 4× (so that no
    render passes MAX_ZOOM_SIDE), or a larger raster file of the same icon (``.png``, a real
    suite's ``ref/NAME.png``) shrunk to at most 4× — never enlarged."""
    if source is None:
        return None
    h, w = ref.shape[:2]
    zoom = max(1, min(4, MAX_ZOOM_SIDE // max(w, h)))
    if source.suffix == ".png":
        larger = Image.fromarray(load_image(source))
        zoom = max(1, min(zoom, larger.width // w))
        return np.asarray(larger.resize((w * zoom, h * zoom), Image.LANCZOS))
    return rasterize(source.read_bytes(), size=(w * zoom, h * zoom))


def _source(inp: Path) -> Path | None:
    """The input's source SVG, or its larger raster reference (real suites), or None."""
    for candidate in (inp.with_suffix(".svg"), inp.parent / "ref" / inp.name):
        if candidate.exists():
            return candidate
    return None


def _paths(svg: bytes) -> int:
    """Drawn elements; for an output over the parser's size limit (vtracer on noise writes
    tens of MB), its <path> tags."""
    if not svg:
        return 0
    try:
        return count_paths(svg)
    except SVGError:
        return svg.count(b"<path")


# -- the run -------------------------------------------------------------------------------------


def run(
    root: Path, work: Path, svgvl_cmd: str, suites, limit: int, timeout: float, resume=False
) -> list:
    """Every method on every input; returns (and appends to WORK/items.jsonl) one row each.
    ``resume``: rows already in WORK/items.jsonl are kept and their inputs not run again."""
    work.mkdir(parents=True, exist_ok=True)
    rows, done = [], set()
    log_path = work / "items.jsonl"
    if resume and log_path.exists():
        rows = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
        done = {(row["suite"], row["name"]) for row in rows}
    with open(log_path, "a" if resume else "w") as log:
        for suite_dir in sorted(p for p in root.iterdir() if p.is_dir()):
            suite = suite_dir.name
            if suites and suite not in suites:
                continue
            inputs = sorted(suite_dir.glob("*.png"))
            for inp in inputs[:limit] if limit else inputs:
                if (suite, inp.stem) in done:
                    continue
                ref = load_image(inp)
                target = _zoom_target(_source(inp), ref)
                has_ink = bool((255 - ref.min(axis=2).astype(int) > INK).any())
                bow = suite.startswith(BLACK_ON_WHITE)
                scores = []
                for method, (argv, out) in commands(inp, work / suite, svgvl_cmd, bow).items():
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.unlink(missing_ok=True)
                    if method == "potrace":  # format conversion only, outside the timing
                        Image.fromarray(ref).convert("L").save(out.with_suffix(".pgm"))
                    sec, mb, code = measure(argv, timeout)
                    svg = out.read_bytes() if code == 0 and out.exists() else b""
                    low = render_output(svg, ref)
                    row = {
                        "suite": suite,
                        "name": inp.stem,
                        "method": method,
                        "ssim": ssim(low, ref),
                        "ssim4x": None
                        if target is None
                        else ssim(render_output(svg, target), target),
                        "bytes": len(svg),
                        "paths": _paths(svg),
                        "sec": sec,
                        "mb": mb,
                        "exit": code,
                        "empty": has_ink and not (255 - low.min(axis=2).astype(int) > INK).any(),
                        "stroked": stroke_share(svg) >= 0.5 if svg else False,
                    }
                    rows.append(row)
                    log.write(json.dumps(row) + "\n")
                    scores.append(f"{method} {row['ssim']:.3f} {sec:.2f}s")
                log.flush()
                print(f"{suite}/{inp.stem}: " + ", ".join(scores), file=sys.stderr)
    return rows


# -- tables --------------------------------------------------------------------------------------


def _median(values):
    values = [v for v in values if v == v]  # a killed process has no memory reading (nan)
    return statistics.median(values) if values else float("nan")


def _max(values):
    values = [v for v in values if v == v]
    return max(values) if values else float("nan")


def table(rows: list) -> str:
    """One Markdown table: a row per suite and method, time and memory also as ratios to
    vtracer (spline mode, the CLI's default) in the same run."""
    groups: dict = {}
    for row in rows:
        groups.setdefault((row["suite"], row["method"]), []).append(row)
    lines = [
        "| suite | method | n | SSIM | SSIM 4× | median bytes | median paths | median sec "
        "| max sec | median MB | max MB | sec ÷ vt | MB ÷ vt | failed | empty | stroked |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (suite, method), items in groups.items():
        vt = groups.get((suite, "vtracer"), items)
        s4 = [r["ssim4x"] for r in items if r["ssim4x"] is not None]
        sec, mb = [r["sec"] for r in items], [r["mb"] for r in items]
        cells = [
            suite,
            method,
            len(items),
            f"{statistics.mean(r['ssim'] for r in items):.4f}",
            f"{statistics.mean(s4):.4f}" if s4 else "–",
            f"{_median([r['bytes'] for r in items]):.0f}",
            f"{_median([r['paths'] for r in items]):.0f}",
            f"{_median(sec):.2f}",
            f"{_max(sec):.2f}",
            f"{_median(mb):.0f}",
            f"{_max(mb):.0f}",
            f"{_median(sec) / _median([r['sec'] for r in vt]):.2f}",
            f"{_median(mb) / _median([r['mb'] for r in vt]):.2f}",
            sum(r["exit"] != 0 for r in items),
            sum(r["empty"] for r in items),
            f"{sum(r['stroked'] for r in items) / len(items):.0%}",
        ]
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    return "\n".join(lines)


def verdict(rows: list) -> str:
    """svgvl against the best peer per suite, on the issue's quality targets."""
    groups: dict = {}
    for row in rows:
        groups.setdefault(row["suite"], {}).setdefault(row["method"], []).append(row)
    lines = [
        "| suite | svgvl SSIM | best peer SSIM | svgvl SSIM 4× | best peer SSIM 4× "
        "| svgvl bytes ÷ vt-poly | svgvl empty |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for suite, methods in groups.items():
        if "svgvl" not in methods:
            continue

        def mean(method, key, methods=methods):
            values = [r[key] for r in methods[method] if r[key] is not None]
            return statistics.mean(values) if values else None

        peers = [m for m in methods if m != "svgvl"]
        best = max(peers, key=lambda m: mean(m, "ssim"))
        best4 = max(peers, key=lambda m: mean(m, "ssim4x") or 0)
        s4 = mean("svgvl", "ssim4x")
        # Against the outputs vt-poly wrote: where it failed (killed at the timeout) there is
        # nothing to compare with.
        peer_bytes = [r["bytes"] for r in methods.get("vt-poly", []) if r["exit"] == 0]
        bytes_ratio = (
            f"{_median([r['bytes'] for r in methods['svgvl']]) / max(1, _median(peer_bytes)):.2f}"
            if peer_bytes
            else "–"
        )
        lines.append(
            f"| {suite} | {mean('svgvl', 'ssim'):.4f} | {mean(best, 'ssim'):.4f} ({best}) "
            + (f"| {s4:.4f} | {mean(best4, 'ssim4x'):.4f} ({best4}) " if s4 else "| – | – ")
            + f"| {bytes_ratio} | {sum(r['empty'] for r in methods['svgvl'])} |"
        )
    return "\n".join(lines)


# -- contact sheets ------------------------------------------------------------------------------


def _tile(image: np.ndarray, side: int) -> Image.Image:
    picture = Image.fromarray(image)
    scale = side / max(picture.size)
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    resample = Image.NEAREST if scale > 1 else Image.LANCZOS
    tile = Image.new("RGB", (side, side), "white")
    tile.paste(picture.resize(size, resample), ((side - size[0]) // 2, (side - size[1]) // 2))
    return tile


def _render_tile(svg_path: Path, ref: np.ndarray, side: int) -> np.ndarray:
    h, w = ref.shape[:2]
    scale = side / max(w, h)
    like = np.empty((max(1, round(h * scale)), max(1, round(w * scale)), 3), np.uint8)
    return render_output(svg_path.read_bytes() if svg_path.exists() else b"", like)


def sheets(rows: list, root: Path, work: Path, out: Path, worst: int = 10, side: int = 160):
    """Per suite, the `worst` svgvl items by SSIM: input | svgvl | the best peer on that item,
    outputs rendered at the tile size (so small inputs show the vector at zoom)."""
    out.mkdir(parents=True, exist_ok=True)
    by_item: dict = {}
    for row in rows:
        by_item.setdefault((row["suite"], row["name"]), {})[row["method"]] = row
    for suite in sorted({s for s, _ in by_item}):
        items = [(n, m) for (s, n), m in by_item.items() if s == suite and "svgvl" in m]
        items.sort(key=lambda item: item[1]["svgvl"]["ssim"])
        caption = 14
        sheet = Image.new("RGB", (3 * side, len(items[:worst]) * (side + caption)), "white")
        draw = ImageDraw.Draw(sheet)
        for i, (name, methods) in enumerate(items[:worst]):
            ref = load_image(root / suite / f"{name}.png")
            peer = max((m for m in methods if m != "svgvl"), key=lambda m: methods[m]["ssim"])
            cells = [
                (ref, name[:26]),
                (
                    _render_tile(work / suite / "svgvl" / f"{name}.svg", ref, side),
                    f"svgvl {methods['svgvl']['ssim']:.3f}",
                ),
                (
                    _render_tile(work / suite / peer / f"{name}.svg", ref, side),
                    f"{peer} {methods[peer]['ssim']:.3f}",
                ),
            ]
            y = i * (side + caption)
            for j, (image, label) in enumerate(cells):
                sheet.paste(_tile(image, side), (j * side, y + caption))
                draw.text((j * side + 2, y + 1), label, fill="black")
            draw.line([(0, y), (3 * side, y)], fill="gray")
        sheet.quantize(256, dither=Image.Dither.NONE).save(out / f"{suite}.png", optimize=True)


# -- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="suites from make_hard_suites.py")
    parser.add_argument("--work", type=Path, required=True, help="where outputs are kept")
    parser.add_argument("--cmd", default="svgvl vectorize {inp} -o {out}")
    parser.add_argument("--suites", help="comma-separated subset")
    parser.add_argument("--limit", type=int, default=0, help="first N items per suite")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per process")
    parser.add_argument("--out", type=Path, help="Markdown file to write")
    parser.add_argument("--sheets", type=Path, help="folder for the contact sheets")
    parser.add_argument(
        "--built-by",
        default="make_hard_suites.py",
        help="the script that built ROOT, named in the results' header (make_real_suites.py)",
    )
    parser.add_argument("--title", default="Vectorizer on hard inputs")
    parser.add_argument(
        "--resume", action="store_true", help="keep WORK/items.jsonl's rows, run the rest"
    )
    args = parser.parse_args()
    # Bytecode as an installed package has it (see compare.timing): an editable checkout under
    # PYTHONDONTWRITEBYTECODE=1 would otherwise recompile svgvl in every run, ~0.1 s no user pays.
    import compileall

    import svgvl

    compileall.compile_dir(Path(svgvl.__file__).parent, quiet=1)
    if not POTRACE:
        print("potrace or mkbitmap is not installed: left out of the comparison", file=sys.stderr)
    start = time.time()
    suites = args.suites.split(",") if args.suites else None
    rows = run(args.root, args.work, args.cmd, suites, args.limit, args.timeout, args.resume)
    rows.sort(key=lambda row: row["suite"])  # resumed rows come after the new ones
    text = verdict(rows) + "\n\n" + table(rows)
    print(text)
    if args.sheets:
        sheets(rows, args.root, args.work, args.sheets)
    if args.out:
        minutes = (time.time() - start) / 60
        header = (
            f"# {args.title}\n\nProduced by (one command after building the suites; "
            f"this run took {minutes:.0f} min on {os.cpu_count()} CPUs):\n\n```sh\n"
            f"python eval/vectorize/{args.built_by} {args.root}\n"
            f"python eval/vectorize/hard.py {' '.join(shlex.quote(a) for a in sys.argv[1:])}\n"
            "```\n\n"
        )
        args.out.write_text(header + NOTES + "\n" + text + "\n")


if __name__ == "__main__":
    main()
