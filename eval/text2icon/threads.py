"""How many torch threads the text-to-icon model should sample with, on a quiet and a busy CPU.

    python eval/text2icon/threads.py [--model DIR] [--threads 1,2] [--repeats 3]

Each measurement is a fresh process that loads the model, then times ``generate_icons(prompt,
4, seed=0)`` for a few prompts with ``svgvl.engines.icons.SAMPLING_THREADS = k`` (the load is
not timed).
"Busy" runs the same with one process per core spinning at the same time, as on a shared
machine or beside a build.  Prints one markdown row per (load, threads): the median seconds per
call over ``--repeats`` processes.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import time

PROMPTS = ["rocket", "heart", "camera"]

CHILD = """
import sys, time
from svgvl.engines import icons
from svgvl.engines.icons import generate_icons
icons.SAMPLING_THREADS = int(sys.argv[1])  # generate_icons samples on this many threads
from svgvl.models.iconshop import load_iconshop
model = load_iconshop(sys.argv[2] or None)
generate_icons("warm up", 1, model=model, library=False)
start = time.perf_counter()
for prompt in sys.argv[3:]:
    generate_icons(prompt, 4, seed=0, model=model)
print((time.perf_counter() - start) / len(sys.argv[3:]))
"""


def spin(stop) -> None:
    while not stop.is_set():
        pass


def seconds_per_call(threads: int, model: str) -> float:
    run = subprocess.run(
        [sys.executable, "-c", CHILD, str(threads), model, *PROMPTS],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(run.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="", help="checkpoint folder (default: the shipped one)")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    counts = [int(t) for t in args.threads.split(",")]
    print(
        f"{os.cpu_count()} cores; seconds per generate_icons(prompt, 4) call, median of "
        f"{args.repeats} processes\n"
    )
    print("| machine | threads | seconds per call |\n|---|---:|---:|")
    for load in ("quiet", "busy"):
        stop = multiprocessing.Event()
        spinners = []
        if load == "busy":
            spinners = [
                multiprocessing.Process(target=spin, args=(stop,)) for _ in range(os.cpu_count())
            ]
            for p in spinners:
                p.start()
            time.sleep(0.5)
        try:
            for k in counts:
                times = [seconds_per_call(k, args.model) for _ in range(args.repeats)]
                print(f"| {load} | {k} | {statistics.median(times):.2f} |", flush=True)
        finally:
            stop.set()
            for p in spinners:
                p.join()


if __name__ == "__main__":
    main()
