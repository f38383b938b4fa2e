"""``svgvl render | compare | normalize | repair``: one SVG file at a time (svgvl.render,
svgvl.metrics, svgvl.svg)."""

from __future__ import annotations

import json
import math
import sys

from .options import add_limit_options, limits, positive_int, read_input, size

# The library is imported inside the handlers, not at the top: `svgvl --help` stays fast.


def add_commands(sub) -> None:
    p = sub.add_parser(
        "render", help="rasterize an SVG to PNG with the reference renderer (cairosvg)"
    )
    p.add_argument("input", help="SVG file, or - for standard input")
    p.add_argument("-o", "--output", required=True, help="output PNG (- for standard output)")
    p.add_argument(
        "--size",
        type=size,
        default=512,
        help="N for an N×N canvas (aspect kept), or WxH (default: 512)",
    )
    p.add_argument(
        "--background",
        default="white",
        help="background colour, or 'none' for transparency (default: white)",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing output")
    add_limit_options(p, timeout=10.0, what="rendering")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser(
        "compare", help="score a candidate SVG or image against a target (SVG-Bench metrics)"
    )
    p.add_argument("candidate", help="SVG or image")
    p.add_argument("target", help="SVG or image")
    p.add_argument(
        "--size",
        type=positive_int,
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
    add_limit_options(p, timeout=30.0, what="comparing (models loaded included)")
    p.set_defaults(func=cmd_compare)
    _add_rewrites(sub)


def _add_rewrites(sub) -> None:
    """normalize and repair: an SVG in, an SVG out."""
    p = sub.add_parser(
        "normalize", help="rewrite an SVG as absolute paths: no use/transforms/shapes/CSS"
    )
    p.add_argument("input", help="SVG file, or - for standard input")
    p.add_argument("-o", "--output", required=True, help="output SVG (- for standard output)")
    p.add_argument("--canvas", type=size, help="map the drawing onto an N×N or WxH canvas")
    p.add_argument(
        "--precision", type=int, help="decimals in coordinates (default: from the canvas size)"
    )
    p.add_argument(
        "--flatten-gradients", action="store_true", help="replace gradients by their average colour"
    )
    p.add_argument(
        "--language", default="en", help="the user language for systemLanguage and <switch>"
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="refuse invalid path data or transforms instead of drawing up to the error",
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


def cmd_render(args) -> int:
    from ..render import rasterize, save_png

    background = None if args.background.lower() in ("none", "transparent") else args.background
    # strict: a file with broken path data is an error here (scoring still renders it partly,
    # as SVG-Bench does).
    pixels = rasterize(
        read_input(args.input), size=args.size, background=background, strict=True, **limits(args)
    )
    save_png(pixels, args.output, force=args.force)
    return 0


def cmd_compare(args) -> int:
    """Scores on stdout; a failed candidate (scored as a blank image, as SVG-Bench does) is an
    error on stderr and exit status 1, its scores printed only with --json."""
    from ..errors import one_line
    from ..metrics import compare
    from ..sandbox import call

    bounds = limits(args)
    candidate = read_input(args.candidate)
    # The whole comparison under the limits (each render is bounded too, but two renders and
    # the scoring of a big target would add up).
    result = call(
        lambda: compare(
            candidate,
            args.target,
            size=args.size,
            tokenizer=args.tokenizer,
            lpips=args.lpips,
            dino=args.dino,
            **bounds,
        ),
        timeout=bounds["timeout"],
        memory=bounds["max_memory"],
        what=f"comparing {args.candidate} with {args.target}",
    )
    if result.get("scored_at"):
        print(f"svgvl: note: scored at {result['scored_at']} pixels (reduced)", file=sys.stderr)
    if result.get("failed"):
        print(
            f"svgvl: error: {one_line(ValueError(result.get('error')), args.candidate)} "
            "(the candidate scores as a blank image)",
            file=sys.stderr,
        )
    if args.json:
        clean = {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in result.items()
        }
        print(json.dumps(clean, indent=2))
    elif not result.get("failed"):
        for key, value in result.items():
            print(f"{key:>10}  {value:.6g}" if isinstance(value, float) else f"{key:>10}  {value}")
    return 1 if result.get("failed") else 0


def cmd_normalize(args) -> int:
    from ..files import write_atomic
    from ..svg import normalize, parse, write

    drawing = normalize(
        parse(read_input(args.input)),
        canvas=args.canvas,
        flatten_gradients=args.flatten_gradients,
        language=args.language,
        strict=args.strict,
    )
    if drawing.dropped:
        notes = "; ".join(drawing.dropped)
        print(f"svgvl: warning: {args.input}: not carried: {notes}", file=sys.stderr)
    write_atomic(args.output, write(drawing, precision=args.precision), force=args.force)
    return 0


def cmd_repair(args) -> int:
    from ..files import write_atomic
    from ..svg import repair

    data = read_input(args.input)
    if data is args.input:
        with open(args.input, "rb") as handle:
            data = handle.read()
    result = repair(data)
    for note in result.repairs:
        print(f"svgvl: repaired: {note}", file=sys.stderr)
    write_atomic(args.output, result.svg, force=args.force)
    return 0
