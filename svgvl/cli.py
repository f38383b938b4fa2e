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


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (0 <= value < 3600):
        raise argparse.ArgumentTypeError(f"expected seconds between 0 and 3600, got {text!r}")
    return value


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
        from .metrics import compare

        if hasattr(image, "seek"):
            image.seek(0)
        result = compare(svg, image)
        return (
            True,
            f"{out}: ssim {result['ssim']:.4f}, {result['bytes']:,} bytes, {result['paths']} paths",
        )
    except Exception as error:  # noqa: BLE001 - reported per file, the batch goes on
        if not _is_user_error(error) or os.environ.get("SVGVL_DEBUG"):
            raise
        return False, f"svgvl: error: {_message(error, path)}"


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
    jobs = [(path, _output_for(path, args)) for path in inputs]
    score = not args.quiet
    failed = 0

    def report(ok: bool, message: str, write) -> None:
        nonlocal failed
        failed += not ok
        if message and (not ok or score):
            write(message)

    if len(jobs) == 1:
        report(
            *_vectorize_one(*jobs[0], options, args.force, score and jobs[0][1] != "-"),
            lambda m: print(m, file=sys.stderr),
        )
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
        choices=["trace", "vtracer"],
        help="vectorizer (default: trace, the native tracer)",
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
