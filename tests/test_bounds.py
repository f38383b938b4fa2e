"""Bounded work: every costly step ends at its time or memory limit with one clear line, a
non-zero exit, no traceback and no output file; hostile inputs are generated (tests/hostile.py).
"""

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from svgvl import sandbox
from svgvl.cli.options import memory_size
from svgvl.errors import LimitError

from . import hostile

pytestmark = pytest.mark.skipif(not sandbox.CAN_FORK, reason="needs fork")

ROOT = Path(__file__).parent.parent
LOGO_PNG = ROOT / "examples" / "logo.png"


def svgvl(*args, timeout=120):
    """``svgvl ARGS`` in a fresh process: (exit status, stdout, stderr, wall seconds)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SVGVL_DEBUG", None)
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "svgvl.cli", *map(str, args)],
        capture_output=True,
        timeout=timeout,
        env=env,
    )
    wall = time.monotonic() - start
    return done.returncode, done.stdout, done.stderr.decode("utf-8", "replace"), wall


def one_clear_error(stderr: str, *words: str) -> None:
    lines = [line for line in stderr.splitlines() if line.startswith("svgvl: error:")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    for word in words:
        assert word in lines[0], lines[0]


# -- sandbox.call ------------------------------------------------------------------------------


def test_call_returns_the_value_and_raises_what_the_work_raised():
    assert sandbox.call(lambda: {"answer": [42]}, timeout=10) == {"answer": [42]}
    with pytest.raises(KeyError, match="gears"):
        sandbox.call(lambda: {}["gears"], timeout=10)


def test_call_stops_at_the_deadline_with_one_limit_error():
    start = time.monotonic()
    with pytest.raises(LimitError, match="tracing took longer than 0.5 s .noise. and was stopped"):
        sandbox.call(lambda: time.sleep(30), timeout=0.5, what="tracing", why="noise")
    assert time.monotonic() - start < 3


def test_call_caps_memory():
    with pytest.raises(LimitError, match="needed more than 64 MiB of memory; --max-memory"):
        sandbox.call(lambda: len(bytearray(512 << 20)), timeout=30, memory=64 << 20)
    assert sandbox.call(lambda: len(bytearray(16 << 20)), timeout=30, memory=64 << 20) == 16 << 20


def test_an_allocation_that_fails_without_memoryerror_is_still_the_memory_limit():
    # Under a tight cap CPython's regex compiler fails an allocation with a bare SystemError.
    def work():
        raise SystemError("error return without exception set")

    with pytest.raises(LimitError, match="needed more than 4 MiB of memory; --max-memory"):
        sandbox.call(work, timeout=30, memory=4 << 20)
    with pytest.raises(SystemError):  # without a cap it is a bug, reported as such
        sandbox.call(work, timeout=30, memory=None)


def test_memory_sizes_read_as_people_write_them():
    assert memory_size("1.5G") == 3 << 29 and memory_size("512M") == 512 << 20
    assert memory_size("2GiB") == 2 << 30 and memory_size("0") == 0
    for bad in ("12", "lots", "-1G", "G"):
        with pytest.raises(Exception, match="invalid memory size"):
            memory_size(bad)
    assert sandbox.amount(3 << 29) == "1.5 GiB"


# -- hostile inputs through the CLI ------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "make",
    [hostile.image_uses, hostile.nested_patterns, hostile.dashed_zigzag],
    ids=lambda make: make.__name__,
)
def test_hostile_renders_end_at_the_limit(tmp_path, make):
    out = tmp_path / "out.png"
    status, _, err, wall = svgvl("render", make(tmp_path), "-o", out, "--timeout", 2)
    assert status == 1 and not out.exists() and not list(tmp_path.glob(".svgvl-*"))
    one_clear_error(err, "rendering")
    assert "longer than 2 s" in err or "memory" in err
    assert wall < 2 + 1  # the limit and one second, the interpreter's start included


@pytest.mark.slow
def test_a_big_compare_target_is_scored_at_a_reduced_size_and_says_so(tmp_path):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    status, out, err, wall = svgvl(
        "compare", hostile.small_svg(tmp_path), hostile.big_target(tmp_path), "--json"
    )
    assert status == 0, err
    assert "scored at 2048×2048 of 8000×8000 pixels" in err
    result = json.loads(out)
    assert result["ssim"] > 0.99 and result["scored_at"] == "2048×2048 of 8000×8000"
    assert wall < 30
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert peak < 2 << 20 or peak == before  # kB; 5.9 GB before the budget


@pytest.mark.slow
def test_noise_is_traced_within_the_budget_or_stopped_cleanly(tmp_path):
    noise = hostile.noise_png(tmp_path)
    out = tmp_path / "noise.svg"
    status, _, err, wall = svgvl("vectorize", noise, "-o", out)
    assert status == 0 and out.exists() and "over the tracer's budget" in err and wall < 30
    out.unlink()
    status, _, err, wall = svgvl("vectorize", noise, "-o", out, "--timeout", 0.5)
    assert status == 1 and not out.exists() and wall < 0.5 + 1
    one_clear_error(err, "noise.png: vectorizing took longer than 0.5 s")


def test_vectorize_memory_limit_is_one_clear_error_and_no_file(tmp_path):
    out = tmp_path / "logo.svg"
    status, _, err, _ = svgvl("vectorize", LOGO_PNG, "-o", out, "--max-memory", "4M")
    assert status == 1 and not out.exists()
    one_clear_error(err, "logo.png: vectorizing", "--max-memory")


def test_png_bomb_states_its_real_size_and_one_limit(tmp_path):
    status, _, err, _ = svgvl("vectorize", hostile.png_bomb(tmp_path), "-o", tmp_path / "b.svg")
    assert status == 1 and not (tmp_path / "b.svg").exists()
    one_clear_error(err, "10,000,000,000 pixels", "limit of 67,108,864 pixels")
    assert err.count("limit") == 1 and "67,108,864×67,108,864" not in err


# -- what the user reads -----------------------------------------------------------------------


def test_vectorize_to_stdout_scores_on_stderr():
    status, out, err, _ = svgvl("vectorize", LOGO_PNG, "-o", "-")
    assert status == 0 and out.startswith(b"<svg")
    assert "standard output: ssim 0." in err and " bytes, " in err


def test_vectorize_json_gives_one_object_per_output(tmp_path):
    bomb, tiny = hostile.png_bomb(tmp_path), hostile.tiny_png(tmp_path)
    status, out, err, _ = svgvl(
        "vectorize", LOGO_PNG, tiny, bomb, "--out-dir", tmp_path / "out", "--json"
    )
    assert status == 1 and "Traceback" not in err
    rows = {Path(row["input"]).name: row for row in map(json.loads, out.splitlines())}
    assert set(rows) == {"logo.png", "tiny.png", "bomb.png"}
    logo = rows["logo.png"]
    assert logo["error"] is None and logo["ssim"] > 0.9 and logo["paths"] >= 1
    assert logo["bytes"] == Path(logo["path"]).stat().st_size and logo["seconds"] > 0
    assert rows["tiny.png"]["ssim"] is None  # too small to score, written all the same
    assert "larger than the limit" in rows["bomb.png"]["error"]
    assert not Path(rows["bomb.png"]["path"]).exists()


def test_compare_with_a_broken_candidate_is_an_error_not_a_table(tmp_path):
    broken = tmp_path / "broken.svg"
    broken.write_text("<svg")
    status, out, err, _ = svgvl("compare", broken, hostile.small_svg(tmp_path))
    assert status == 1 and out == b""
    one_clear_error(err, "broken.svg", "blank image")


@pytest.mark.slow
def test_killing_vectorize_kills_its_workers(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    for index in range(4):
        hostile.noise_png(folder, side=1024, seed=index).rename(folder / f"n{index}.png")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen(
        [sys.executable, "-m", "svgvl.cli", "vectorize", folder, "--jobs", "2", "--quiet"],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    workers = []
    for _ in range(100):  # until the pool and a vectorizing child have started
        workers = _descendants(parent.pid)
        if len(workers) >= 3:
            break
        time.sleep(0.1)
    assert len(workers) >= 3
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    for _ in range(50):
        if not any(_alive(pid) for pid in workers):
            break
        time.sleep(0.1)
    left = [pid for pid in workers if _alive(pid)]
    for pid in left:  # no strays after a failure
        os.kill(pid, signal.SIGKILL)
    assert not left


def _descendants(pid: int) -> list[int]:
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        found.extend(map(int, children))
        frontier.extend(map(int, children))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0] != "Z"
    except OSError:
        return False


def test_trace_reduces_an_image_whose_colours_overrun_the_budget(monkeypatch):
    import numpy as np

    from svgvl.trace import budget, trace

    colors = np.random.default_rng(0).integers(0, 256, (12, 3))
    stripes = colors[np.arange(128) * 12 // 128][None].repeat(128, axis=0)
    rgba = np.dstack([stripes, np.full((128, 128), 255)]).astype(np.uint8)
    monkeypatch.setattr(budget, "MAX_LAYER_PIXELS", 64 * 64 * 12)
    with pytest.warns(budget.TraceBudgetWarning, match="in 12 colours .* pixels × colours"):
        drawing = trace(rgba, gradients=False)
    assert (drawing.width, drawing.height) == (128, 128)  # scaled back onto the full canvas
    assert len(drawing.paths) >= 11


@pytest.mark.slow
def test_the_vectorize_function_takes_the_same_limits(tmp_path):
    import svgvl
    from svgvl.errors import LimitError

    image = hostile.many_colours_png(tmp_path)
    start = time.monotonic()
    with pytest.raises(LimitError, match="vectorizing took longer than 1 s"):
        svgvl.vectorize(image, colors=200, timeout=1)
    assert time.monotonic() - start < 1 + 1.5  # the image is read here first
    small = hostile.tiny_png(tmp_path)
    assert "<svg" in svgvl.vectorize(small, timeout=10, max_memory=1 << 30)
