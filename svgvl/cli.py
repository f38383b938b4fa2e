"""The ``svgvl`` command: a thin layer over the Python API.

Each subcommand parses its arguments, calls the API, and turns the library's clear exceptions
into one line on stderr and exit status 1 (2 for usage errors) — never a traceback.  Heavy
modules are imported inside the handlers so that ``svgvl --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import sys


class CLIError(Exception):
    """A user-facing failure: printed as ``svgvl: error: ...``, exit status 1."""


def _size(text: str):
    """``N`` → N (square canvas), ``WxH`` → (W, H)."""
    try:
        if "x" in text.lower():
            w, h = text.lower().split("x", 1)
            size = (int(w), int(h))
            if min(size) <= 0:
                raise ValueError
            return size
        size = int(text)
        if size <= 0:
            raise ValueError
        return size
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid size {text!r}: use N or WxH with positive integers"
        ) from None


def _number(cast, low: float, high: float = math.inf, *, expected: str):
    """An argparse type: ``cast(text)`` within [low, high), else a one-line error."""

    def parse(text: str):
        try:
            value = cast(text)
        except ValueError:
            value = math.nan
        if not low <= value < high:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


_positive_int = _number(int, 1, expected="a positive integer")
_non_negative_int = _number(int, 0, expected="an integer >= 0")
_guidance = _number(float, 1, expected="a number of at least 1")
_seconds = _number(float, 0, 3600, expected="seconds between 0 and 3600")
_top_p = _number(float, math.ulp(0.0), math.nextafter(1.0, 2.0), expected="a number in (0, 1]")


def _sampling_options(parser) -> None:
    parser.add_argument(
        "--guidance",
        type=_guidance,
        metavar="SCALE",
        help="classifier-free guidance: how hard to follow the prompt (1: plain sampling; "
        "default: 1.25, svgvl.models.iconshop.DEFAULT_GUIDANCE)",
    )
    parser.add_argument(
        "--top-p",
        type=_top_p,
        help="nucleus sampling (default: 0.6, svgvl.models.iconshop.DEFAULT_TOP_P)",
    )


def _read_input(path: str) -> bytes | str:
    """``-`` reads standard input; anything else stays a path for the library to open."""
    if path == "-":
        return sys.stdin.buffer.read()
    return path


# -- commands ----------------------------------------------------------------------------------


def cmd_render(args) -> int:
    from .render import rasterize, save_png

    background = None if args.background.lower() in ("none", "transparent") else args.background
    # strict: a file with broken path data is an error here (scoring still renders it partly,
    # as SVG-Bench does).
    pixels = rasterize(_read_input(args.input), size=args.size, background=background, strict=True)
    save_png(pixels, args.output, force=args.force)
    return 0


def cmd_compare(args) -> int:
    from .metrics import compare

    result = compare(
        _read_input(args.candidate),
        args.target,
        size=args.size,
        tokenizer=args.tokenizer,
        lpips=args.lpips,
        dino=args.dino,
    )
    if args.json:
        print(
            json.dumps(
                {
                    k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                    for k, v in result.items()
                },
                indent=2,
            )
        )
    else:
        for key, value in result.items():
            print(f"{key:>10}  {value:.6g}" if isinstance(value, float) else f"{key:>10}  {value}")
    return 1 if result.get("failed") else 0


def cmd_normalize(args) -> int:
    from .files import write_atomic
    from .svg import normalize, parse, write

    drawing = normalize(
        parse(_read_input(args.input)), canvas=args.canvas, flatten_gradients=args.flatten_gradients
    )
    for note in drawing.dropped:
        print(f"svgvl: warning: {args.input}: dropped {note}", file=sys.stderr)
    write_atomic(args.output, write(drawing, precision=args.precision), force=args.force)
    return 0


def cmd_repair(args) -> int:
    from .files import write_atomic
    from .svg import repair

    data = _read_input(args.input)
    if data is args.input:
        with open(args.input, "rb") as handle:
            data = handle.read()
    result = repair(data)
    for note in result.repairs:
        print(f"svgvl: repaired: {note}", file=sys.stderr)
    write_atomic(args.output, result.svg, force=args.force)
    return 0


# -- data: dataset builders (svgvl.data) -------------------------------------------------------


def _counts(counts: dict) -> str:
    return ", ".join(f"{key} {value:,}" for key, value in counts.items())


def cmd_data_build(args) -> int:
    from .data import build

    manifest = build(
        args.source,
        args.out,
        limit=args.limit,
        progress=not args.quiet,
        shard_size=args.shard_size,
        licence=args.licence,
        force=args.force,
    )
    dropped = sum(manifest["dropped"].values())
    print(
        f"svgvl: {manifest['records']:,} records ({_counts(manifest['counts']['split'])})"
        + (f", {dropped:,} dropped ({_counts(manifest['dropped'])})" if dropped else "")
        + f"; manifest in {os.path.join(args.out, 'manifest.json')}",
        file=sys.stderr,
    )
    return 0


def cmd_data_info(args) -> int:
    from .data import info

    manifest = info(args.dir)
    if args.json:
        print(json.dumps(manifest, indent=2, ensure_ascii=False))
        return 0
    packages = ", ".join(
        f"{s['package']} {s['version']}" if s.get("package") else s.get("file") or s["source"]
        for s in manifest["sources"]
    )
    rows = [
        ("source", f"{manifest['source']} ({packages})"),
        ("records", f"{manifest['records']:,} of {manifest['items']:,} items"),
        ("splits", _counts(manifest["counts"]["split"])),
        ("licences", _counts(manifest["counts"]["licence"]) or "-"),
        ("dropped", _counts(manifest["dropped"]) or "none"),
        ("shards", f"{len(manifest['shards'])} (data-*.jsonl)"),
        ("built by", f"svgvl {manifest['svgvl_version']}: {manifest['command']}"),
    ]
    for key, value in rows:
        print(f"{key:>9}  {value}")
    return 0


def cmd_data_sources(args) -> int:
    from .data import SOURCES

    width = max(map(len, SOURCES))
    for name, text in SOURCES.items():
        print(f"{name:<{width}}  {text}")
    return 0


IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


def _expand_inputs(inputs: list[str]) -> list[str]:
    """Files as given, images inside directories, and globs the shell did not expand."""
    import glob

    out: list[str] = []
    for item in inputs:
        if item == "-" or os.path.isfile(item):
            out.append(item)
        elif os.path.isdir(item):
            found = sorted(
                os.path.join(item, n)
                for n in os.listdir(item)
                if os.path.splitext(n)[1].lower() in IMAGE_SUFFIXES
            )
            if not found:
                raise CLIError(
                    f"{item}: no images in this directory ({', '.join(sorted(IMAGE_SUFFIXES))})"
                )
            out.extend(found)
        elif glob.has_magic(item):
            found = sorted(glob.glob(item, recursive=True))
            if not found:
                raise CLIError(f"{item}: no files match")
            out.extend(found)
        else:
            out.append(item)  # missing: reported per file, the batch goes on
    return out


def _output_for(path: str, args) -> str:
    if args.output:
        return args.output
    stem = "stdin" if path == "-" else os.path.splitext(os.path.basename(path))[0]
    if args.out_dir:
        return os.path.join(args.out_dir, stem + ".svg")
    return "-" if path == "-" else os.path.splitext(path)[0] + ".svg"


def _vectorize_one(
    path: str, out: str, options: dict, force: bool, score: bool
) -> tuple[bool, str]:
    """Vectorize one file; returns (ok, message). Runs in worker processes for --jobs."""
    import io

    from .files import OutputExistsError, write_atomic
    from .vectorize import vectorize

    try:
        if out != "-" and not force and os.path.exists(out):
            raise OutputExistsError(out)
        image = io.BytesIO(sys.stdin.buffer.read()) if path == "-" else path
        svg = vectorize(image, **options)
        write_atomic(out, svg, force=force)
        if not score:
            return True, ""
        if hasattr(image, "seek"):
            image.seek(0)
        return True, _score_line(out, svg, image)
    except Exception as error:  # noqa: BLE001 - reported per file, the batch goes on
        if not _is_user_error(error) or os.environ.get("SVGVL_DEBUG"):
            raise
        return False, f"svgvl: error: {_message(error, path)}"


def _score_line(out: str, svg: str, image) -> str:
    """The line printed per output: its SSIM against the input, its size and path count.

    Drawn with :func:`~svgvl.render.rasterize_quick`, so printing it costs a few milliseconds
    rather than the reference renderer's 0.3 s import; ``svgvl bench`` scores with the
    reference."""
    from .metrics import count_paths, ssim
    from .render import load_image, rasterize_quick
    from .svg import parse

    target = load_image(image)
    doc = parse(svg)
    pixels = rasterize_quick(doc, target.shape[1::-1])
    size = len(svg.encode("utf-8"))
    return f"{out}: ssim {ssim(pixels, target):.4f}, {size:,} bytes, {count_paths(doc)} paths"


def cmd_vectorize(args) -> int:
    inputs = _expand_inputs(args.inputs)
    if len(inputs) > 1 and args.output:
        raise CLIError("-o/--output takes one input; use --out-dir for several")
    if inputs.count("-") > 1 or ("-" in inputs and len(inputs) > 1):
        raise CLIError("standard input (-) can only be vectorized on its own")
    options = {
        "engine": args.engine,
        "colors": args.colors,
        "detail": args.detail,
        "refine": args.refine,
    }
    if args.engine == "starvector":
        options.update(model=args.model, candidates=args.candidates or 1)
    elif args.model or args.candidates:
        raise CLIError("--model and --candidates are for --engine starvector")
    jobs = [(path, _output_for(path, args)) for path in inputs]
    score = not args.quiet
    failed = 0

    def report(ok: bool, message: str, write) -> None:
        nonlocal failed
        failed += not ok
        if message and (not ok or score):
            write(message)

    if len(jobs) == 1:
        path, out = jobs[0]
        result = _vectorize_one(path, out, options, args.force, score and out != "-")
        report(*result, lambda m: print(m, file=sys.stderr))
        return 1 if failed else 0

    from tqdm import tqdm

    workers = args.jobs or os.cpu_count() or 1
    with tqdm(total=len(jobs), unit="image", disable=args.quiet or None, file=sys.stderr) as bar:

        def write(message: str) -> None:
            bar.write(message, file=sys.stderr)

        if workers == 1:
            for path, out in jobs:
                report(*_vectorize_one(path, out, options, args.force, score), write)
                bar.update()
        else:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor, as_completed

            context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                futures = [
                    pool.submit(_vectorize_one, path, out, options, args.force, score)
                    for path, out in jobs
                ]
                for future in as_completed(futures):
                    report(*future.result(), write)
                    bar.update()
    if len(jobs) > 1 and not args.quiet:
        print(
            f"svgvl: {len(jobs) - failed} of {len(jobs)} images vectorized"
            + (f", {failed} failed" if failed else ""),
            file=sys.stderr,
        )
    return 1 if failed else 0


def _bench_text2icon(args) -> int:
    """``--task text2icon``: raw samples of a text-to-icon model scored on held-out prompts."""
    from .bench import text2icon
    from .models.iconshop import (
        DEFAULT_GUIDANCE,
        DEFAULT_TOP_P,
        load_iconshop,
        training_sources,
    )

    missing = [o for o, v in (("--data", args.data), ("--out", args.out)) if not v]
    if missing:
        raise CLIError(f"bench --task text2icon needs {', '.join(missing)}")
    model = load_iconshop(args.model)
    trained_on = training_sources(args.model)
    unindexed = text2icon.unindexed_sources(trained_on, args.data)
    if unindexed:
        print(
            f"svgvl: warning: the model was also trained on {', '.join(unindexed)}; add them to "
            "--data, or novelty counts copies of their icons as new",
            file=sys.stderr,
        )
    prompts = None
    if args.prompts:
        with open(args.prompts, encoding="utf-8") as handle:
            prompts = [line.strip() for line in handle if line.strip()]

    def generate(prompt: str, n: int, seed: int) -> list[str | None]:
        # Raw samples, no resampling of repeats: uniqueness is the model's own.
        model.check_prompt(prompt)
        rows = model.generate(
            text=prompt,
            num_return_sequences=n,
            seed=seed,
            top_p=args.top_p or DEFAULT_TOP_P,
            temperature=1.0,
            guidance_scale=args.guidance or DEFAULT_GUIDANCE,
        )
        return [model.path_tokenizer.decode(row) for row in rows]

    result = text2icon.run(
        generate,
        args.data,
        args.out,
        prompts=prompts,
        limit=args.limit or 200,
        n=args.n,
        seed=args.seed,
        tokenizer=model.path_tokenizer,
        clip=args.clip,
        progress=not args.quiet,
        command=args.command_line,
        trained_on=trained_on,
    )
    print(text2icon.markdown(result), end="")
    return 0


def cmd_bench(args) -> int:
    from .bench import list_suites, method_names, run
    from .bench.suites import suites_dir

    if args.task == "text2icon":
        return _bench_text2icon(args)
    if args.list:
        suites = list_suites()
        if not suites:
            where = suites_dir() or "eval/suites is not next to the svgvl package"
            raise CLIError(
                f"no built-in suites found ({where}); set SVGVL_SUITES to their folder, "
                "or pass --suite DIR"
            )
        width = max(len(s["name"]) for s in suites)
        for suite in suites:
            sources = ", ".join(suite["sources"]) or "-"
            print(f"{suite['name']:<{width}}  {suite['items']:>5} items  {sources}")
            if suite["description"]:
                print(f"{'':<{width}}  {suite['description']}")
        print(f"methods: {', '.join(method_names())}")
        return 0
    required = (("--suite", args.suite), ("--methods", args.methods), ("--out", args.out))
    missing = [option for option, value in required if not value]
    if missing:
        raise CLIError(f"bench needs {', '.join(missing)} (or --list to see the suites)")
    from tqdm import tqdm

    from .bench.report import markdown

    results = run(
        args.suite,
        [name.strip() for name in args.methods.split(",") if name.strip()],
        args.out,
        size=args.size,
        limit=args.limit,
        jobs=args.jobs,
        timeout=args.timeout or None,
        zoom=args.zoom,
        tokenizer=args.tokenizer,
        lpips=args.lpips,
        dino=args.dino,
        force=args.force,
        progress=not args.quiet,
        log=lambda message: tqdm.write(message, file=sys.stderr),
    )
    if not args.quiet:
        print("\n".join(line for line in markdown(results).splitlines() if line.startswith("|")))
    items = len({row["id"] for row in results["items"]})
    print(
        f"svgvl: {items} items × {len(results['methods'])} methods"
        + (f", {len(results['skipped'])} skipped" if results["skipped"] else "")
        + f"; results in {os.path.join(args.out, 'results.md')} and report.html",
        file=sys.stderr,
    )
    return 0


# -- text to icon (svgvl.models.iconshop, svgvl.train.iconshop, svgvl.tokenize) ----------------


def _slug(text: str) -> str:
    """A file-name stem from a prompt: 'A red rocket!' → 'a-red-rocket'."""
    import re

    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48].strip("-") or "icon"


def cmd_icon(args) -> int:
    import warnings

    from .files import OutputExistsError, write_atomic
    from .models.iconshop import check_prompt_text

    check_prompt_text(args.prompt)  # bad input fails before any model loads
    if args.n <= 0:
        raise CLIError(f"-n must be a positive number of icons, got {args.n}")
    if args.best_of is not None and args.best_of < args.n:
        raise CLIError(f"--best-of must be at least -n ({args.n}), got {args.best_of}")
    paths = [os.path.join(args.out, f"{_slug(args.prompt)}-{i}.svg") for i in range(args.n)]
    existing = [p for p in paths if os.path.exists(p)]
    if existing and not args.force:
        raise OutputExistsError(existing[0])
    from .engines.icons import generate_icons
    from .models.iconshop import DEFAULT_GUIDANCE, DEFAULT_TOP_P
    from .models.library import PROVENANCE

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        svgs = generate_icons(
            args.prompt,
            args.n,
            seed=args.seed,
            model=args.model,
            temperature=args.temperature,
            top_p=args.top_p or DEFAULT_TOP_P,
            guidance_scale=args.guidance or DEFAULT_GUIDANCE,
            complete=_read_input(args.complete) if args.complete else None,
            best_of=args.best_of,
            library="auto" if args.library else False,
        )
    for warning in caught:
        print(f"svgvl: warning: {warning.message}", file=sys.stderr)
    for path, svg in zip(paths, svgs, strict=True):
        write_atomic(path, svg, force=args.force)
        print(path)
    drawn_on = sum(svg.startswith(PROVENANCE) for svg in svgs)
    if drawn_on:
        print(
            f"svgvl: {drawn_on} of {len(svgs)} drawn on from library icons, each named with its "
            "licence in its first line (--no-library: the model alone)",
            file=sys.stderr,
        )
    return 0


def cmd_tokenize(args) -> int:
    from .files import write_atomic
    from .tokenize import PathTokenizer

    tokenizer = PathTokenizer.from_pretrained(args.tokenizer) if args.tokenizer else PathTokenizer()
    dropped: list[str] = []
    ids = tokenizer.encode(_read_input(args.input), dropped)
    output = args.output or ("-" if args.roundtrip else None)
    report = sys.stderr if output == "-" else sys.stdout
    print(f"{args.input}: {len(ids)} tokens", file=report)
    if args.ids:
        print(" ".join(map(str, ids)), file=report)
    for note in dropped:
        print(f"svgvl: warning: {args.input}: dropped {note}", file=sys.stderr)
    if output:
        write_atomic(output, tokenizer.decode(ids), force=args.force)
    return 0


def cmd_train_iconshop(args) -> int:
    from .train.iconshop import train

    result = train(
        args.config,
        args.data,
        args.out,
        max_steps=args.max_steps,
        resume=args.resume,
        init=args.init,
        progress=not args.quiet,
    )
    losses = f"train loss {result['train_loss']:.4f}" if result["train_loss"] is not None else ""
    if result.get("val_loss") is not None:
        losses += f", val loss {result['val_loss']:.4f}"
    print(
        f"svgvl: step {result['step']:,}"
        + (f": {losses}" if losses else "")
        + f"; model in {result['model']}",
        file=sys.stderr,
    )
    return 0


def cmd_library(args) -> int:
    from .engines.icons import library_for

    path, count = library_for(args.model, args.data, progress=not args.quiet)
    print(f"svgvl: {count:,} icons in {path}", file=sys.stderr)
    return 0


def cmd_train_starvector(args) -> int:
    from .train.starvector import train

    result = train(
        args.config, args.data, args.out, max_steps=args.max_steps, progress=not args.quiet
    )
    last = result.get("last") or {}
    scores = ", ".join(
        f"{name} {last[key]:.4f}"
        for key, name in (("loss", "loss"), ("val_ssim", "val ssim"))
        if last.get(key) is not None
    )
    print(
        f"svgvl: step {result['steps']:,}"
        + (f": {scores}" if scores else "")
        + f"; model in {result['model']}",
        file=sys.stderr,
    )
    return 0


# -- wiring ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="svgvl",
        description="Generate and understand SVG: vectorize images, render, compare, normalise.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"svgvl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("vectorize", help="turn raster images (PNG, JPEG, WebP, BMP, GIF) into SVG")
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="images, directories of images, globs, or - (standard input)",
    )
    p.add_argument("-o", "--output", help="output SVG (one input only; - for standard output)")
    p.add_argument("--out-dir", help="folder for the outputs (default: next to each input)")
    p.add_argument(
        "--engine",
        default="trace",
        choices=["trace", "vtracer", "starvector"],
        help="vectorizer (default: trace, the native tracer; starvector: learned, needs --model)",
    )
    p.add_argument(
        "--model",
        metavar="DIR_OR_HUB_ID",
        help="starvector: a model folder (svgvl train starvector) or official checkpoint/hub id",
    )
    p.add_argument(
        "--candidates",
        type=_positive_int,
        metavar="N",
        help="starvector: sample N SVGs, keep the closest to the input by SSIM (default: 1)",
    )
    p.add_argument("--colors", type=_positive_int, help="number of colours (default: automatic)")
    p.add_argument(
        "--detail",
        default="medium",
        choices=["low", "medium", "high"],
        help="how closely outlines follow the pixels (default: medium)",
    )
    p.add_argument(
        "--refine",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="optimise the result against the input for this long (default: 0, off)",
    )
    p.add_argument(
        "--jobs",
        type=_non_negative_int,
        default=1,
        metavar="N",
        help="parallel processes for several inputs (0: all cores; default: 1)",
    )
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    p.add_argument(
        "--quiet", action="store_true", help="no progress bar, no SSIM and size per output"
    )
    p.set_defaults(func=cmd_vectorize)

    p = sub.add_parser(
        "render", help="rasterize an SVG to PNG with the reference renderer (cairosvg)"
    )
    p.add_argument("input", help="SVG file, or - for standard input")
    p.add_argument("-o", "--output", required=True, help="output PNG (- for standard output)")
    p.add_argument(
        "--size",
        type=_size,
        default=512,
        help="N for an N×N canvas (aspect kept), or WxH (default: 512)",
    )
    p.add_argument(
        "--background",
        default="white",
        help="background colour, or 'none' for transparency (default: white)",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing output")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser(
        "compare", help="score a candidate SVG or image against a target (SVG-Bench metrics)"
    )
    p.add_argument("candidate", help="SVG or image")
    p.add_argument("target", help="SVG or image")
    p.add_argument(
        "--size",
        type=_positive_int,
        default=512,
        help="render size when both sides are SVG (default: 512)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--tokenizer", help="Hugging Face tokenizer (local path or hub id) for a token count"
    )
    p.add_argument(
        "--lpips",
        metavar="PATH",
        help="LPIPS weights (see svgvl.metrics.lpips) to add the LPIPS metric",
    )
    p.add_argument(
        "--dino", metavar="PATH_OR_ID", help="DINOv2 model (local path or hub id) to add DinoScore"
    )
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser(
        "normalize", help="rewrite an SVG as absolute paths: no use/transforms/shapes/CSS"
    )
    p.add_argument("input", help="SVG file, or - for standard input")
    p.add_argument("-o", "--output", required=True, help="output SVG (- for standard output)")
    p.add_argument("--canvas", type=_size, help="map the drawing onto an N×N or WxH canvas")
    p.add_argument(
        "--precision", type=int, help="decimals in coordinates (default: from the canvas size)"
    )
    p.add_argument(
        "--flatten-gradients", action="store_true", help="replace gradients by their average colour"
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing output")
    p.set_defaults(func=cmd_normalize)

    p = sub.add_parser(
        "repair", help="make model output a valid SVG (cut chatter, close truncation)"
    )
    p.add_argument("input", help="text file, or - for standard input")
    p.add_argument("-o", "--output", required=True, help="output SVG (- for standard output)")
    p.add_argument("--force", action="store_true", help="overwrite an existing output")
    p.set_defaults(func=cmd_repair)

    from .data.sources import SOURCES as DATA_SOURCES  # a plain table: light to import

    p = sub.add_parser("data", help="build datasets of labelled SVGs from icon sets, emoji, fonts")
    data = p.add_subparsers(dest="data_command", metavar="ACTION")
    p.set_defaults(func=lambda _args, p=p: p.print_help() or 2)
    p = data.add_parser(
        "build",
        help="build (or resume) a dataset folder: JSONL shards + manifest.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="sources:\n"
        + "\n".join(f"  {name:<22} {text}" for name, text in DATA_SOURCES.items())
        + "\n\npackages are cached in $SVGVL_CACHE/packages (default ~/.cache/svgvl/packages)",
    )
    p.add_argument("source", help="where the SVGs come from (see below)")
    p.add_argument("--out", required=True, help="dataset folder (a rerun resumes where it stopped)")
    p.add_argument("--limit", type=_positive_int, help="the first N items (in id order) only")
    p.add_argument(
        "--shard-size",
        type=_positive_int,
        default=1000,
        metavar="N",
        help="items per data-NNNNN.jsonl shard (default: 1000)",
    )
    p.add_argument("--licence", metavar="SPDX", help="licence of dir: and font: sources")
    p.add_argument("--force", action="store_true", help="replace a dataset of another source")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_data_build)
    p = data.add_parser("info", help="print a dataset's counts (splits, licences, dropped)")
    p.add_argument("dir", help="dataset folder")
    p.add_argument("--json", action="store_true", help="print the whole manifest")
    p.set_defaults(func=cmd_data_info)
    p = data.add_parser("sources", help="list the sources that build accepts")
    p.set_defaults(func=cmd_data_sources)

    p = sub.add_parser(
        "bench", help="score vectorizers side by side on a suite of SVGs (SVG-Bench metrics)"
    )
    p.add_argument("--suite", help="built-in suite (icons, emoji, logos, fonts) or an SVG folder")
    p.add_argument(
        "--methods",
        help="comma-separated: trace, vtracer, potrace, source, starvector:PATH, "
        "package.module:function",
    )
    p.add_argument("--out", help="folder for the results (a rerun resumes where it stopped)")
    p.add_argument("--list", action="store_true", help="list the built-in suites and methods")
    p.add_argument("--limit", type=_positive_int, help="the first N items of the suite only")
    p.add_argument(
        "--size", type=_positive_int, default=512, help="input and scoring size (default: 512)"
    )
    p.add_argument(
        "--zoom",
        type=_non_negative_int,
        default=4,
        help="ssim_zoom renders output and target at this many times --size (0: off; default: 4)",
    )
    p.add_argument(
        "--jobs",
        type=_non_negative_int,
        default=1,
        metavar="N",
        help="parallel processes (0: all cores; default: 1)",
    )
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=60.0,
        metavar="SECONDS",
        help="limit per method and item; a timeout is a failure (0: none; default: 60)",
    )
    p.add_argument("--tokenizer", help="Hugging Face tokenizer (path or hub id) to add tokens")
    p.add_argument("--lpips", metavar="PATH", help="LPIPS weights to add the lpips metric")
    p.add_argument("--dino", metavar="PATH_OR_ID", help="DINOv2 model to add the dino metric")
    p.add_argument(
        "--force", action="store_true", help="score everything again, writing into any --out"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar and no table")
    p.add_argument(
        "--task",
        choices=["vectorize", "text2icon"],
        default="vectorize",
        help="vectorize (default): methods on a suite; text2icon: a text-to-icon model",
    )
    t = p.add_argument_group("text2icon")
    t.add_argument("--model", help="text-to-icon checkpoint (default: the shipped model)")
    t.add_argument(
        "--data", nargs="+", metavar="DIR", help="datasets: train split to compare, test prompts"
    )
    t.add_argument("--prompts", help="a file with one prompt per line (default: held-out titles)")
    t.add_argument("-n", type=_positive_int, default=4, help="samples per prompt (default: 4)")
    t.add_argument("--seed", type=int, default=0, help="first seed (default: 0)")
    _sampling_options(t)
    t.add_argument("--clip", metavar="ARCH:PATH", help="open_clip weights for CLIPScore/FID")
    p.set_defaults(func=cmd_bench)
    p = sub.add_parser("icon", help="generate icons from a text prompt (IconShop-style model)")
    p.add_argument("prompt", help="what to draw, in a few words (at most 200 characters)")
    p.add_argument("-n", type=int, default=4, help="number of distinct icons (default: 4)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument(
        "-o", "--out", default=".", help="folder for PROMPT-0.svg, PROMPT-1.svg, ... (default: .)"
    )
    p.add_argument(
        "--model",
        help="checkpoint folder or training output folder (default: the shipped iconshop-cpu)",
    )
    p.add_argument("--complete", metavar="SVG", help="add paths to this partial icon instead")
    p.add_argument("--temperature", type=float, default=1.0, help="sampling temperature (1.0)")
    _sampling_options(p)
    p.add_argument(
        "--best-of",
        type=_positive_int,
        metavar="K",
        help="draw K samples, keep the N the model finds most likely for the prompt: cleaner "
        "icons, K/N times slower, more often close to training icons (default: 2N; N: plain "
        "sampling)",
    )
    p.add_argument(
        "--no-library",
        dest="library",
        action="store_false",
        help="draw with the model alone, never from the first part of a library icon that the "
        "prompt names (see svgvl library)",
    )
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    p.set_defaults(func=cmd_icon)

    p = sub.add_parser(
        "library",
        help="build a text-to-icon model's icon library from its training data",
        description="Save the train split of DIRs, tokenized, as MODEL's icon library "
        "(library.safetensors): svgvl icon starts rare concepts from the first part of the "
        "library icons the prompt names. svgvl train iconshop writes one itself.",
    )
    p.add_argument("--model", required=True, help="checkpoint folder or training output folder")
    p.add_argument(
        "--data", required=True, nargs="+", metavar="DIR", help="the model's dataset folders"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_library)

    p = sub.add_parser("tokenize", help="encode an SVG with the path tokenizer; count, round-trip")
    p.add_argument("input", help="SVG file, or - for standard input")
    p.add_argument(
        "--roundtrip", action="store_true", help="decode the tokens back to SVG (to -o or stdout)"
    )
    p.add_argument("-o", "--output", help="decoded SVG (implies --roundtrip; - for stdout)")
    p.add_argument("--ids", action="store_true", help="print the token ids")
    p.add_argument(
        "--tokenizer", help="tokenizer spec file or model folder (default: v1, grid 128)"
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing output")
    p.set_defaults(func=cmd_tokenize)

    # train: one subcommand per model (svgvl.train.<model>); add others to this group.
    p = sub.add_parser(
        "train", help="train models (iconshop: text → icon; starvector: image → SVG)"
    )
    train = p.add_subparsers(dest="train_command", metavar="MODEL")
    p.set_defaults(func=lambda _args, p=p: p.print_help() or 2)
    p = train.add_parser(
        "iconshop",
        help="train the text-to-icon model (resumes from OUT/checkpoint-last)",
        description="Train the IconShop-style text-to-icon model; a rerun resumes.",
    )
    p.add_argument("--config", required=True, help="YAML (examples/configs/iconshop-*.yaml)")
    p.add_argument(
        "--data", required=True, nargs="+", metavar="DIR", help="dataset folders or SVG folders"
    )
    p.add_argument("--out", required=True, help="run folder: log, checkpoints, samples, model/")
    p.add_argument("--max-steps", type=_positive_int, help="stop at this step (default: config)")
    p.add_argument(
        "--resume",
        nargs="?",
        const=True,
        default=None,
        metavar="CHECKPOINT",
        help="require a checkpoint to resume (OUT/checkpoint-last, or this one); "
        "by default a run resumes when OUT has one",
    )
    p.add_argument(
        "--init",
        nargs="?",
        const=True,
        default=None,
        metavar="MODEL",
        help="fine-tune: start a new run from these weights (a checkpoint or run folder; "
        "alone: the shipped model) with the config's schedule; the model settings are MODEL's",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_train_iconshop)
    p = train.add_parser(
        "starvector",
        help="train the StarVector-style image-to-SVG model (a rerun resumes)",
        description="Fine-tune a StarVector-style image-to-SVG model (LoRA or full) on SVGs; "
        "a rerun of the same command resumes from OUT/checkpoints.",
    )
    p.add_argument("--config", required=True, help="YAML (examples/configs/starvector-*.yaml)")
    p.add_argument(
        "--data",
        required=True,
        metavar="DIR",
        help="dataset folder (svgvl data build) or SVG folder",
    )
    p.add_argument("--out", required=True, help="run folder: log, checkpoints, model/")
    p.add_argument("--max-steps", type=_positive_int, help="stop at this step (default: config)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_train_starvector)
    return parser


def _is_user_error(error: BaseException) -> bool:
    """Errors that describe bad input or environment, as opposed to bugs in svgvl."""
    return isinstance(error, CLIError | ValueError | OSError | ImportError | TimeoutError)


def _message(error: BaseException, path: str | None = None) -> str:
    text = str(error)
    if isinstance(error, OSError) and error.filename and error.strerror:
        text = f"{error.filename}: {error.strerror}"
    if path and path not in text:
        text = f"{path}: {text}"
    return text


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.command_line = shlex.join(["svgvl", *(sys.argv[1:] if argv is None else argv)])
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("svgvl: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as error:
        if not _is_user_error(error) or os.environ.get("SVGVL_DEBUG"):
            raise
        print(f"svgvl: error: {_message(error)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
