"""Batch vectorizing: many images to SVG files, on all cores, one bad file never stopping the rest.

    from svgvl.engines.batch import image_inputs, vectorize_many
    results = vectorize_many(image_inputs(["logos/"]), "svgs", jobs=0, colors=8)
    failed = [r for r in results if not r.ok]

This is what ``svgvl vectorize`` runs; each file's failure (an unreadable image, an existing
output) is returned in its result, so a batch goes on to the end.
"""

from __future__ import annotations

import glob
import io
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from .. import sandbox
from ..errors import one_line, reported
from ..files import OutputExistsError, write_atomic
from ..images import load_image
from ..metrics import count_paths, ssim
from ..render.fast import rasterize_quick
from ..svg import parse
from . import vectorize

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


@dataclass(frozen=True)
class FileResult:
    """One input's outcome: where its SVG went and how close it is, or why it failed."""

    input: str
    output: str
    error: str | None = None  # one line naming the input
    ssim: float | None = None  # scored results only: against the input image
    bytes: int | None = None
    paths: int | None = None
    warnings: tuple[str, ...] = ()  # e.g. traced at a reduced size (the work budget)
    seconds: float | None = None  # the vectorizing and scoring, not the writing

    @property
    def ok(self) -> bool:
        return self.error is None


def image_inputs(items: Iterable[str]) -> list[str]:
    """Files as given, the images inside directories, and globs the shell did not expand.

    A missing file stays in the list (its failure is reported with the others); a directory
    without images or a glob that matches nothing is a ValueError at once."""
    out: list[str] = []
    for item in items:
        if item == "-" or os.path.isfile(item):
            out.append(item)
        elif os.path.isdir(item):
            found = sorted(
                os.path.join(item, n)
                for n in os.listdir(item)
                if os.path.splitext(n)[1].lower() in IMAGE_SUFFIXES
            )
            if not found:
                raise ValueError(
                    f"{item}: no images in this directory ({', '.join(sorted(IMAGE_SUFFIXES))})"
                )
            out.extend(found)
        elif glob.has_magic(item):
            found = sorted(glob.glob(item, recursive=True))
            if not found:
                raise ValueError(f"{item}: no files match")
            out.extend(found)
        else:
            out.append(item)
    return out


def output_path(path: str, out_dir: str | None = None) -> str:
    """The SVG for image ``path``: in ``out_dir`` if given, else beside it (``-``: stdout)."""
    stem = "stdin" if path == "-" else os.path.splitext(os.path.basename(path))[0]
    if out_dir:
        return os.path.join(out_dir, stem + ".svg")
    return "-" if path == "-" else os.path.splitext(path)[0] + ".svg"


def vectorize_file(
    path: str,
    output: str,
    *,
    force: bool = False,
    score: bool = False,
    timeout: float | None = None,
    max_memory: int | None = None,
    **options,
) -> FileResult:
    """Vectorize the image ``path`` (``-``: standard input) into ``output`` (``-``: stdout).

    ``options`` go to :func:`svgvl.vectorize`; ``score`` measures the SVG against the input.
    ``timeout`` (seconds) and ``max_memory`` (bytes beyond this process) bound the work: it runs
    in a child process killed at the limit (see :func:`svgvl.sandbox.call`), except for the
    starvector engine, whose model stays loaded here.  A user's error (see
    :mod:`svgvl.errors`), a limit included, is returned in the result; a bug is raised.  Nothing
    is written unless everything before the write succeeded."""
    start = time.perf_counter()
    try:
        if output != "-" and not force and os.path.exists(output):
            raise OutputExistsError(output)  # before the work, not after
        image = sys.stdin.buffer.read() if path == "-" else path
        bounded = (timeout or max_memory) and options.get("engine", "trace") != "starvector"
        if bounded:
            svg, notes, measured = sandbox.call(
                lambda: _vectorize(image, path, score, options),
                timeout=timeout,
                memory=max_memory,
                what="vectorizing",
            )
        else:
            svg, notes, measured = _vectorize(image, path, score, options)
        seconds = time.perf_counter() - start
        write_atomic(output, svg, force=force)
        return FileResult(path, output, warnings=notes, seconds=seconds, **measured)
    except Exception as error:  # noqa: BLE001 - reported per file, the batch goes on
        if not reported(error):
            raise
        seconds = time.perf_counter() - start
        return FileResult(path, output, error=one_line(error, path), seconds=seconds)


def _vectorize(image, path: str, score: bool, options: dict):
    """(svg, warnings, measures) for one image (a path or its bytes)."""
    if isinstance(image, bytes):
        image = io.BytesIO(image)
    if score:
        image = load_image(image, background=None)  # decoded once, for both
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        svg = vectorize(image, **options)
    notes = tuple(one_line(w.message, path) for w in caught)
    # Scored before the file is written: whatever fails, no output is left behind.
    return svg, notes, _measure(svg, image) if score else {}


SCORE_SIDE = 512
"""Inputs larger than this (longer side, pixels) are scored at this size."""


def _measure(svg: str, rgba) -> dict:
    """SSIM against the input (RGBA array), size and path count of an output.

    Drawn with :func:`~svgvl.render.rasterize_quick`, so scoring costs a few milliseconds rather
    than the reference renderer's 0.3 s import; ``svgvl bench`` scores with the reference.  A
    big input is scored at :data:`SCORE_SIDE` (the input reduced by area averaging): SSIM over
    a 2048 px image costs three times as long as tracing it."""
    height, width = rgba.shape[:2]
    scale = SCORE_SIDE / max(height, width)
    if scale < 1:
        from PIL import Image

        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        rgba = np.asarray(Image.fromarray(rgba, "RGBA").resize(size, Image.Resampling.BOX))
    target = load_image(rgba)
    doc = parse(svg)
    pixels = rasterize_quick(doc, target.shape[1::-1])
    return {
        # SSIM needs a 3×3 window at least: a smaller image is written unscored.
        "ssim": ssim(pixels, target) if min(target.shape[:2]) >= 3 else None,
        "bytes": len(svg.encode("utf-8")),
        "paths": count_paths(doc),
    }


def vectorize_many(
    images: Iterable[str],
    out_dir: str | None = None,
    *,
    jobs: int = 1,
    force: bool = False,
    score: bool = False,
    progress: bool = False,
    on_result: Callable[[FileResult], None] | None = None,
    timeout: float | None = None,
    max_memory: int | None = None,
    **options,
) -> list[FileResult]:
    """Vectorize image files into SVG files; return one :class:`FileResult` per image, in order.

    ``images``: paths (:func:`image_inputs` expands folders and globs).  ``out_dir``: where the
    SVGs go (default: beside each image).  ``jobs``: processes (0: all cores).  ``force``:
    overwrite existing SVGs.  ``score``: measure each SVG against its image.  ``progress``: a
    progress bar on stderr.  ``on_result``: called as each file finishes (print through
    ``tqdm.write`` while the bar runs).  ``timeout``, ``max_memory``: limits per image (see
    :func:`vectorize_file`).  ``options`` go to :func:`svgvl.vectorize`.  Worker processes die
    with this one (Linux), so killing a batch leaves none behind.
    """
    options = {**options, "timeout": timeout, "max_memory": max_memory}
    # Imported here: one image (`svgvl vectorize IN -o OUT`, timed in eval/results/vectorize.md)
    # needs neither the progress bar nor the process pool.
    from tqdm import tqdm

    work = [(path, output_path(path, out_dir)) for path in images]
    results: list[FileResult | None] = [None] * len(work)
    disable = None if progress else True  # None: a bar only on a terminal
    with tqdm(total=len(work), unit="image", disable=disable, file=sys.stderr) as bar:
        for index, result in _results(work, jobs or os.cpu_count() or 1, force, score, options):
            results[index] = result
            if on_result:
                on_result(result)
            bar.update()
    return results


def _results(
    work: list[tuple[str, str]], workers: int, force: bool, score: bool, options: dict
) -> Iterator[tuple[int, FileResult]]:
    """(index, result) for each (image, output) of ``work``, in the order they finish."""
    if workers == 1:
        for index, (path, out) in enumerate(work):
            yield index, vectorize_file(path, out, force=force, score=score, **options)
        return
    import multiprocessing  # lazy, as tqdm in vectorize_many
    from concurrent.futures import ProcessPoolExecutor, as_completed

    context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=sandbox.die_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        futures = {
            pool.submit(vectorize_file, path, out, force=force, score=score, **options): index
            for index, (path, out) in enumerate(work)
        }
        for future in as_completed(futures):
            yield futures[future], future.result()
