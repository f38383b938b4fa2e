"""Do the time and memory limits hold?  Runs each hostile input through the ``svgvl`` command
many times and records the worst wall time against the limit, the peak memory, the exit codes,
and whether any traceback or swallowed exception ("Exception ignored") was printed.

    PYTHONPATH=$PWD python eval/robustness/deadline.py --runs 100 --limit 2 \
        --out eval/results/robustness.md

The inputs are generated (tests/hostile.py): a PNG of 8000² pixels drawn 20 times through
``<use>``, nested patterns, a dashed zig-zag, an 8000² compare target, a 2048² noise image,
a 2048² image traced in 200 colours.
Wall time includes the interpreter's start (measured apart: ``svgvl --version``); the peak
memory is the largest resident size of the command and its children (``wait4``).
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests import hostile  # noqa: E402 - the generators live with the tests that use them


def cases(folder: Path, limit: float) -> list[tuple[str, list[str], bool]]:
    """(name, svgvl arguments, whether it should fail) for each hostile case."""
    t = ["--timeout", f"{limit:g}"]
    small = hostile.small_svg(folder)
    patterns = hostile.nested_patterns(folder)
    noise = hostile.noise_png(folder)
    stripes = ["vectorize", hostile.many_colours_png(folder), "--colors", "200"]
    out = str(folder / "out")
    return [
        ("render: 8000² PNG used 20×", ["render", hostile.image_uses(folder), "-o", out, *t], True),
        ("render: nested patterns", ["render", patterns, "-o", out, *t], True),
        ("render: dashed zig-zag", ["render", hostile.dashed_zigzag(folder), "-o", out, *t], True),
        ("compare: nested-pattern candidate", ["compare", patterns, small, *t], True),
        ("compare: 8000² target", ["compare", small, hostile.big_target(folder)], False),
        ("vectorize: 2048² noise", ["vectorize", noise, "-o", out], False),
        ("vectorize: 2048² noise, limit", ["vectorize", noise, "-o", out, *t], None),
        ("vectorize: 2048² in 200 colours", [*stripes, "-o", out], False),
        ("vectorize: 2048² in 200 colours, limit", [*stripes, "-o", out, *t], True),
    ]


def run_once(args: list, out: Path) -> tuple[float, int, int, str]:
    """(wall seconds, exit status, peak resident kB, stderr) of ``svgvl ARGS``."""
    for leftover in (out, out.with_suffix(".png")):
        leftover.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SVGVL_DEBUG", None)
    start = time.monotonic()
    with tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "svgvl.cli", *map(str, args)],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    return wall, process.returncode, usage.ru_maxrss, text


def measure(runs: int, limit: float, folder: Path) -> tuple[list[dict], float]:
    startup = min(run_once(["--version"], folder / "out")[0] for _ in range(3))
    rows = []
    for name, args, should_fail in cases(folder, limit):
        walls, codes, peaks, tracebacks, unclear = [], Counter(), [], 0, 0
        for _ in range(runs):
            wall, code, peak, err = run_once(args, folder / "out")
            walls.append(wall)
            codes[code] += 1
            peaks.append(peak)
            tracebacks += "Traceback" in err or "Exception ignored" in err
            errors = [line for line in err.splitlines() if line.startswith("svgvl: error:")]
            unclear += code != 0 and len(errors) != 1
            left = (folder / "out").exists() and code != 0
            unclear += left  # an output left by a failed run counts as unclear
        limited = "--timeout" in args
        rows.append(
            {
                "case": name,
                "limit": f"{limit:g} s" if limited else "default",
                "expect": {True: "error", False: "success", None: "either"}[should_fail],
                "max_wall": max(walls),
                "overrun": max(walls) - limit if limited else None,
                "peak_mb": max(peaks) / 1024,
                "codes": ", ".join(f"{code}: {n}" for code, n in sorted(codes.items())),
                "tracebacks": tracebacks,
                "unclear": unclear,
                "example": (err.strip().splitlines() or [""])[-1][:160],
            }
        )
        print(rows[-1], file=sys.stderr, flush=True)
    return rows, startup


def markdown(rows: list[dict], startup: float, runs: int, command: str) -> str:
    lines = [
        "# Time and memory limits on hostile inputs",
        "",
        f"Each case run {runs} times through the `svgvl` command; wall time includes the",
        f"interpreter's start ({startup:.2f} s for `svgvl --version` here); peak memory is the",
        "largest resident size of the command and its children.  *Overrun*: the worst wall time",
        "minus the limit.  *Unclear*: failed runs without exactly one `svgvl: error:` line, or",
        "leaving an output file.",
        "",
        "```",
        command,
        "```",
        "",
        "| case | limit | expected | worst wall s | overrun s | peak MB | exit codes (count) "
        "| tracebacks | unclear | last line of stderr |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        overrun = "" if row["overrun"] is None else f"{row['overrun']:+.2f}"
        example = row["example"].replace("|", "\\|")
        lines.append(
            f"| {row['case']} | {row['limit']} | {row['expect']} | {row['max_wall']:.2f} | "
            f"{overrun} | {row['peak_mb']:.0f} | {row['codes']} | {row['tracebacks']} | "
            f"{row['unclear']} | {example} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="runs per case (default: 100)")
    parser.add_argument("--limit", type=float, default=2.0, help="--timeout given (default: 2)")
    parser.add_argument("--out", type=Path, help="write the table here (markdown)")
    args = parser.parse_args(argv)
    command = shlex.join(["python", "eval/robustness/deadline.py", *(argv or sys.argv[1:])])
    with tempfile.TemporaryDirectory() as folder:
        rows, startup = measure(args.runs, args.limit, Path(folder))
    text = markdown(rows, startup, args.runs, command)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
