"""The harness: run each method on each item of a suite, score it, keep every result on disk.

For each item the target SVG is rendered once at the benchmark size on white (the methods'
input and the reference for ``mse``/``psnr``/``ssim``/``lpips``/``dino``) and once at ``zoom``
times that size (the reference for ``ssim_zoom``: the fidelity of the vector itself, where a
traced outline that only matched at the input's resolution shows its steps).  Everything renders
through :mod:`svgvl.render` and scores through :mod:`svgvl.metrics`.  The output folder (its
layout, and what a rerun finds done) is :mod:`svgvl.bench.outputs`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .. import sandbox
from ..files import write_atomic
from ..metrics import MetricError, compare, ssim
from ..render import MAX_PIXELS, rasterize, save_png
from ..svg import SVGError, parse
from .methods import Method, resolve_method
from .outputs import (
    FORMAT,
    claim,
    command_line,
    file_sha256,
    finite,
    method_keys,
    read_row,
    relative,
)
from .report import results_json, write_html, write_markdown
from .suites import BenchError, Suite, load_suite


@dataclass
class _Run:
    """What forked workers need; a module global so that nothing has to be pickled."""

    suite: Suite
    methods: list[Method]
    keys: dict[str, str]  # method name -> folder name
    out: Path
    size: int
    zoom: int
    timeout: float | None
    max_memory: int | None
    tokenizer: str | None
    lpips: str | None
    dino: str | None


_RUN: _Run | None = None


def run(
    suite,
    methods: Sequence,
    out,
    *,
    size: int = 512,
    limit: int | None = None,
    jobs: int = 1,
    timeout: float | None = 60.0,
    max_memory: int | None = sandbox.DEFAULT_MEMORY,
    zoom: int = 4,
    tokenizer: str | None = None,
    lpips: str | None = None,
    dino: str | None = None,
    force: bool = False,
    progress: bool = False,
    log: Callable[[str], None] | None = None,
    command: str | None = None,
) -> dict:
    """Benchmark ``methods`` on ``suite``; write the results to ``out`` and return them.

    - ``suite``: a built-in suite name (``icons``, ``emoji``, ``logos``, ``fonts``), a folder
      of SVG files, or a :class:`~svgvl.bench.suites.Suite`; ``limit``: its first N items.
    - ``methods``: names (see :data:`~svgvl.bench.METHODS`), ``starvector:PATH``,
      ``package.module:function``, :class:`~svgvl.bench.Method` objects or plain
      ``fn(image, target_svg) -> str`` callables.
    - ``size``: the input image and scoring size (SVG-Bench: 512); ``zoom``: ``ssim_zoom``
      renders at ``zoom × size`` (0: leave ``ssim_zoom`` out).
    - ``jobs``: processes (0: all cores); ``timeout``: seconds per method call (None: none);
      ``max_memory``: bytes a method call may add to its process (isolated methods; None: none).
    - ``tokenizer``, ``lpips``, ``dino``: add ``tokens``, ``lpips``, ``dino`` (see
      :func:`svgvl.metrics.compare`).
    - ``force``: score everything again and write into a folder holding other results.
    - ``progress``: a tqdm bar on stderr; ``log``: called with one line per skipped item and
      per failure (the CLI prints them on stderr).

    Returns the content of ``results.json``: ``{"suite", "size", "methods": {name: {metric:
    mean, "n", "failed"}}, "items": [rows], "skipped": [{"id", "file", "reason"}], ...}``.
    """
    global _RUN
    if not isinstance(size, int) or size < 8:
        raise BenchError(f"size must be an integer of at least 8 pixels, got {size!r}")
    if zoom < 0 or int(zoom) != zoom:
        raise BenchError(f"zoom must be a whole number >= 0, got {zoom!r}")
    if (size * max(zoom, 1)) ** 2 > MAX_PIXELS:
        raise BenchError(
            f"size {size} × zoom {zoom} is larger than the renderer's limit of {MAX_PIXELS:,} "
            "pixels; pass a smaller --size or --zoom"
        )
    if timeout is not None and (timeout <= 0 or not math.isfinite(timeout)):
        timeout = None
    loaded = suite if isinstance(suite, Suite) else load_suite(suite)
    if limit is not None:
        loaded = dataclasses.replace(loaded, items=loaded.items[:limit])
    if not loaded.items:
        raise BenchError(f"suite {loaded.name!r} has no items")
    if isinstance(methods, str):  # "trace,vtracer" as on the command line
        methods = [name.strip() for name in methods.split(",") if name.strip()]
    resolved = [resolve_method(m) for m in methods]
    if not resolved:
        raise BenchError("no methods given")
    names = [m.name for m in resolved]
    if len(set(names)) != len(names):
        raise BenchError(f"a method is given twice: {', '.join(names)}")
    for method in resolved:
        if method.prepare is not None:
            method.prepare()
    keys = method_keys(names)
    out = Path(out)
    settings = {
        "format": FORMAT,
        "suite": loaded.name,
        "suite_root": str(loaded.root.resolve()),
        "size": size,
        "zoom": int(zoom),
        "tokenizer": tokenizer,
        "lpips": None if lpips is None else os.fspath(lpips),
        "dino": None if dino is None else (dino if isinstance(dino, bool) else os.fspath(dino)),
    }
    claim(out, settings, force)
    if command is None:
        command = command_line(
            loaded, names, out, size, limit, jobs, timeout, zoom, tokenizer, lpips, dino
        )

    # What is done already: rows for the same target file and settings.
    rows: dict[tuple[int, str], dict] = {}
    todo: list[tuple[int, list[str]]] = []
    for index, item in enumerate(loaded.items):
        digest = file_sha256(item.path)
        pending = []
        for name in names:
            row = None if force else read_row(out / "items" / keys[name] / f"{item.key}.json")
            if row is not None and row.get("target_sha256") == digest:
                rows[index, name] = row
            else:
                pending.append(name)
        if pending:
            todo.append((index, pending))

    _RUN = _Run(
        loaded,
        resolved,
        keys,
        out,
        size,
        int(zoom),
        timeout,
        max_memory,
        tokenizer,
        None if lpips is None else os.fspath(lpips),
        settings["dino"],
    )
    skipped = list(loaded.skipped)
    for entry in skipped:
        _say(log, f"svgvl: skipped {entry['id']}: {entry['reason']}")
    failures: dict[str, int] = {}

    def collect(index: int, result: dict) -> None:
        if "skipped" in result:
            item = loaded.items[index]
            skipped.append(
                {
                    "id": item.id,
                    "file": relative(item.path, loaded.root),
                    "reason": result["skipped"],
                }
            )
            _say(log, f"svgvl: skipped {item.id}: {result['skipped']}")
            return
        for row in result["rows"]:
            rows[index, row["method"]] = row
            if row.get("failed"):
                seen = failures[row["method"]] = failures.get(row["method"], 0) + 1
                if seen <= 3:
                    _say(log, f"svgvl: {row['method']} failed on {row['id']}: {row.get('error')}")
                if seen == 3:
                    _say(log, f"svgvl: further failures of {row['method']} are in results.json")

    try:
        _execute(todo, jobs, collect, progress, loaded.name)
    finally:
        _RUN = None

    ordered = [
        rows[index, name]
        for index in range(len(loaded.items))
        for name in names
        if (index, name) in rows
    ]
    results = results_json(loaded, names, ordered, skipped, settings, command)
    write_atomic(out / "results.json", json.dumps(results, indent=1) + "\n", force=True)
    write_markdown(results, out / "results.md")
    write_html(results, out / "report.html")
    return results


# -- running -----------------------------------------------------------------------------------


def _execute(todo, jobs: int, collect, progress: bool, name: str) -> None:
    class Bar(tqdm):
        monitor_interval = 0  # no monitor thread: the harness forks, and forks want no threads

    workers = min(jobs or os.cpu_count() or 1, max(len(todo), 1))
    with Bar(
        total=sum(len(p) for _, p in todo),
        unit="run",
        desc=f"bench {name}",
        file=sys.stderr,
        disable=None if progress else True,
        dynamic_ncols=True,
    ) as bar:

        def done(index: int, pending: list[str], result: dict) -> None:
            collect(index, result)
            bar.update(len(pending))

        if workers <= 1 or not hasattr(os, "fork"):
            for index, pending in todo:
                done(index, pending, _score_item(index, pending))
            return
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=sandbox.die_with_parent,  # a killed bench leaves no workers behind
            initargs=(os.getpid(),),
        )
        try:
            futures = {
                pool.submit(_score_item, index, pending): (index, pending)
                for index, pending in todo
            }
            for future in as_completed(futures):
                done(*futures[future], future.result())
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()


def _score_item(index: int, pending: list[str]) -> dict:
    """Run the pending methods on one item: ``{"rows": [...]}`` or ``{"skipped": reason}``."""
    job = _RUN
    item = job.suite.items[index]
    try:
        raw = item.path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        doc = parse(raw, name=str(item.path))
        try:  # the file's own text (compactness of `source` is the file's); .svgz unpacked
            text = raw.decode("utf-8") if raw[:2] != b"\x1f\x8b" else None
        except UnicodeDecodeError:
            text = None
        if text is None:
            text = doc.tostring().decode("utf-8")
        target = rasterize(doc, job.size)
        target_zoom = rasterize(doc, job.size * job.zoom) if job.zoom else None
    except Exception as error:  # noqa: BLE001 - a broken target is skipped, the run goes on
        return {"skipped": _reason(error)}
    save_png(target, job.out / "inputs" / f"{item.key}.png", force=True)
    by_name = {m.name: m for m in job.methods}
    rows = []
    for name in pending:
        method = by_name[name]
        svg, sec, error = _call(method, target, text, job.timeout, job.max_memory)
        row = {"id": item.id, "method": name}
        row.update(_score(svg, error, target, target_zoom))
        row["sec"] = round(sec, 4)
        folder = job.out / "items" / job.keys[name]
        base = folder / item.key
        if svg is not None:
            write_atomic(f"{base}.svg", svg, force=True)
        row["svg"] = relative(Path(f"{base}.svg"), job.out) if svg is not None else None
        row["image"] = relative(Path(f"{base}.png"), job.out)
        row["diff"] = relative(Path(f"{base}.diff.png"), job.out)
        row["input"] = f"inputs/{item.key}.png"
        pixels = _render_or_white(svg, target.shape)
        save_png(pixels, f"{base}.png", force=True)
        save_png(difference(pixels, target), f"{base}.diff.png", force=True)
        row["target_sha256"] = digest
        write_atomic(f"{base}.json", json.dumps(finite(row), indent=1) + "\n", force=True)
        rows.append(row)
    return {"rows": rows}


def _score(svg: str | None, error: str | None, target: np.ndarray, target_zoom) -> dict:
    job = _RUN
    options = {"lpips": job.lpips, "dino": job.dino}
    if svg is not None:
        try:
            result = compare(svg, target, tokenizer=job.tokenizer, **options)
        except MetricError:
            raise  # a missing model or tokenizer stops the run: every row would lack it
        except Exception as failure:  # noqa: BLE001 - an output that breaks scoring is a failure
            svg, error = None, f"scoring failed: {_reason(failure)}"
    if svg is None:
        result = compare(np.full_like(target, 255), target, **options)
        result.update(bytes=None, paths=None, commands=None)
        if job.tokenizer is not None:
            result["tokens"] = None
        result["failed"], result["error"] = True, error
    row = {key: result[key] for key in ("mse", "psnr", "ssim")}
    if target_zoom is not None:
        zoomed = _render_or_white(None if result["failed"] else svg, target_zoom.shape)
        row["ssim_zoom"] = ssim(zoomed, target_zoom)
    for key in ("lpips", "dino", "bytes", "paths", "commands", "tokens"):
        if key in result:
            row[key] = result[key]
    row["failed"] = bool(result["failed"])
    if result.get("error"):
        row["error"] = result["error"]
    return row


def _render_or_white(svg: str | None, shape) -> np.ndarray:
    if svg is not None:
        try:
            pixels = rasterize(svg, (shape[1], shape[0]))
            if pixels.shape == tuple(shape):
                return pixels
        except SVGError:
            pass
    return np.full(shape, 255, dtype=np.uint8)


def difference(candidate: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Where two RGB images differ: white where equal, red in proportion to the difference."""
    delta = np.abs(candidate.astype(np.int16) - target.astype(np.int16)).max(axis=-1)
    out = np.full(target.shape[:2] + (3,), 255, dtype=np.uint8)
    out[..., 1] = out[..., 2] = 255 - delta.astype(np.uint8)
    return out


# -- calling a method --------------------------------------------------------------------------


def _call(method: Method, image: np.ndarray, text: str, timeout: float | None, memory=None):
    """``(svg or None, seconds, error or None)``; never raises for the method's own failures."""
    if method.isolate and sandbox.CAN_FORK:
        return _call_in_child(method, image, text, timeout, memory)
    start = time.perf_counter()
    try:
        with sandbox.time_limit(timeout):
            svg = _as_text(method(image.copy(), text))
        return svg, time.perf_counter() - start, None
    except sandbox.Deadline:
        return None, time.perf_counter() - start, f"timed out after {timeout:g} s"
    except Exception as error:  # noqa: BLE001 - recorded as the item's failure
        return None, time.perf_counter() - start, _reason(error)


def _as_text(svg) -> str:
    if isinstance(svg, bytes | bytearray):
        return bytes(svg).decode("utf-8", "replace")
    if hasattr(svg, "tostring"):
        svg = svg.tostring()
        return svg.decode("utf-8", "replace") if isinstance(svg, bytes) else svg
    if not isinstance(svg, str):
        raise TypeError(f"the method returned {type(svg).__name__}, not SVG text")
    return svg


def _call_in_child(method: Method, image: np.ndarray, text: str, timeout, memory):
    """Run the method in a child that :func:`svgvl.sandbox.run_in_child` kills (with anything
    it started) at the deadline, its memory capped at ``memory`` bytes beyond this process's."""

    def describe(error: BaseException) -> str:
        if isinstance(error, MemoryError):
            return sandbox.memory_message("the method", memory)
        return _reason(error)

    outcome = sandbox.run_in_child(
        lambda: _as_text(method(image, text)).encode("utf-8", "replace"),
        timeout,
        describe=describe,
        memory=memory,
    )
    if outcome.timed_out:
        return None, outcome.seconds, f"timed out after {timeout:g} s"
    if outcome.died:
        return None, outcome.seconds, sandbox.death_message("the method", outcome.status, memory)
    if outcome.error is not None:
        return None, outcome.seconds, outcome.error
    return outcome.value.decode("utf-8", "replace"), outcome.seconds, None


def _reason(error: BaseException) -> str:
    if isinstance(error, SVGError):
        return error.reason
    if isinstance(error, sandbox.Deadline):
        return "timed out"
    text = str(error).strip()
    if isinstance(error, OSError) and error.strerror:
        text = error.strerror
    first = text.splitlines()[0] if text else ""
    kind = type(error).__name__
    message = first if isinstance(error, BenchError | ValueError) and first else f"{kind}: {first}"
    return message[:500].rstrip(": ")


def _say(log, message: str) -> None:
    if log is not None:
        log(message)
