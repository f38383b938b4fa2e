"""``svgvl vectorize``: raster images → SVG files, one or a batch (svgvl.engines)."""

from __future__ import annotations

import argparse
import json
import sys

from .options import CLIError, add_limit_options, limits, non_negative_int, positive_int, seconds


def add_commands(sub) -> None:
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
        type=positive_int,
        metavar="N",
        help="starvector: sample N SVGs, keep the closest to the input by SSIM (default: 1)",
    )
    _add_sampling(p)
    p.add_argument("--colors", type=positive_int, help="number of colours (default: automatic)")
    p.add_argument(
        "--detail",
        default="medium",
        choices=["low", "medium", "high"],
        help="how closely outlines follow the pixels (default: medium)",
    )
    p.add_argument(
        "--mode",
        default="auto",
        choices=["auto", "fill", "stroke", "pixel"],
        help="trace: filled outlines (fill), centre-lines for line work (stroke), crisp squares "
        "on the pixel grid (pixel), or chosen from the image (default: auto)",
    )
    p.add_argument(
        "--gradients",
        action=argparse.BooleanOptionalAction,
        help="trace: smooth colour ramps as linear/radial gradients and soft shadows as "
        "translucent shapes (default: on)",
    )
    p.add_argument(
        "--speckle",
        type=non_negative_int,
        metavar="N",
        help="trace: absorb regions smaller than N pixels (default: from --detail)",
    )
    p.add_argument(
        "--refine",
        type=seconds,
        default=0.0,
        metavar="SECONDS",
        help="optimise the result against the input for this long (default: 0, off)",
    )
    p.add_argument(
        "--jobs",
        type=non_negative_int,
        default=1,
        metavar="N",
        help="parallel processes for several inputs (0: all cores; default: 1)",
    )
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    p.add_argument(
        "--quiet", action="store_true", help="no progress bar, no SSIM and size per output"
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per output on standard output (input, path, ssim, bytes, paths, "
        "seconds, error, warnings) instead of the lines on stderr",
    )
    add_limit_options(p, timeout=30.0, what="one image (plus --refine)")
    p.set_defaults(func=cmd_vectorize)


def _add_sampling(p) -> None:
    """StarVector's sampling settings (default: the model's own, StarVector's published ones)."""
    p.add_argument(
        "--temperature", type=float, help="starvector: sampling temperature (> 0; default: model's)"
    )
    p.add_argument(
        "--top-p", type=float, metavar="P", help="starvector: nucleus sampling mass (0 < P <= 1)"
    )
    p.add_argument(
        "--max-length",
        type=positive_int,
        metavar="N",
        help="starvector: at most N tokens, visual tokens and prompt included (default: model's)",
    )


def cmd_vectorize(args) -> int:
    # The library is imported here, not at the top: `svgvl --help` stays fast.
    from ..engines.batch import image_inputs, output_path, vectorize_file, vectorize_many

    inputs = image_inputs(args.inputs)
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
    if args.mode != "auto":
        if args.engine != "trace":
            raise CLIError("--mode is for --engine trace")
        options["mode"] = args.mode
    if args.gradients is not None:
        if args.engine != "trace":
            raise CLIError("--gradients/--no-gradients are for --engine trace")
        options["gradients"] = args.gradients
    if args.speckle is not None:
        options["speckle"] = args.speckle
    sampling = {"temperature": args.temperature, "top_p": args.top_p}
    sampling["max_length"] = args.max_length
    if args.engine == "starvector":
        options.update(model=args.model, candidates=args.candidates or 1, **sampling)
    elif args.model or args.candidates or any(v is not None for v in sampling.values()):
        raise CLIError(
            "--model, --candidates, --temperature, --top-p and --max-length are for "
            "--engine starvector"
        )
    if args.json and args.output == "-":
        raise CLIError("--json prints on standard output: write the SVG to a file (-o FILE)")
    bounds = limits(args)
    if bounds["timeout"]:
        bounds["timeout"] += args.refine
    options.update(bounds)
    score = not args.quiet or args.json
    report = _json_line if args.json else _report
    if len(inputs) == 1:
        out = args.output or output_path(inputs[0], args.out_dir)
        result = vectorize_file(inputs[0], out, force=args.force, score=score, **options)
        report(result, not args.quiet, lambda line: print(line, file=sys.stderr))
        return 0 if result.ok else 1

    from tqdm import tqdm

    results = vectorize_many(
        inputs,
        args.out_dir,
        jobs=args.jobs,
        force=args.force,
        score=score,
        progress=not args.quiet,
        on_result=lambda r: report(
            r, not args.quiet, lambda line: tqdm.write(line, file=sys.stderr)
        ),
        **options,
    )
    failed = sum(not result.ok for result in results)
    if not args.quiet and not args.json:
        print(
            f"svgvl: {len(results) - failed} of {len(results)} images vectorized"
            + (f", {failed} failed" if failed else ""),
            file=sys.stderr,
        )
    return 1 if failed else 0


def _report(result, score: bool, write) -> None:
    """One line per output: its error, or (``score``) its SSIM against the input and its size."""
    for note in result.warnings:
        write(f"svgvl: warning: {note}")
    if not result.ok:
        write(f"svgvl: error: {result.error}")
    elif score and result.bytes is not None:
        fidelity = "" if result.ssim is None else f"ssim {result.ssim:.4f}, "
        paths = f"{result.paths} path{'' if result.paths == 1 else 's'}"
        where = "standard output" if result.output == "-" else result.output
        write(f"{where}: {fidelity}{result.bytes:,} bytes, {paths}")


def _json_line(result, score: bool, write) -> None:
    """One JSON object per output, on standard output (``write`` is for the human lines)."""
    fields = {
        "input": result.input,
        "path": result.output,
        "ssim": result.ssim,
        "bytes": result.bytes,
        "paths": result.paths,
        "seconds": None if result.seconds is None else round(result.seconds, 3),
        "error": result.error,
        "warnings": list(result.warnings),
    }
    print(json.dumps(fields), flush=True)
