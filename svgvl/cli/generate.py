"""``svgvl generate-svg``: text → SVG with a StarVector-style model trained for text2svg
(svgvl.engines.starvector.generate_svg)."""

from __future__ import annotations

import os
import sys

from .options import CLIError, positive_int
from .vectorize import _add_sampling


def add_commands(sub) -> None:
    p = sub.add_parser(
        "generate-svg",
        help="generate SVG from a caption (StarVector-style model trained for text2svg)",
    )
    p.add_argument("caption", help="what to draw")
    p.add_argument(
        "--model",
        required=True,
        metavar="DIR_OR_HUB_ID",
        help="a model folder or training run (svgvl train starvector, task: text2svg)",
    )
    p.add_argument("-n", type=positive_int, default=1, help="SVGs to keep (default: 1)")
    p.add_argument(
        "--candidates",
        type=positive_int,
        default=4,
        metavar="K",
        help="samples to draw and rank, at least -n (default: 4)",
    )
    p.add_argument(
        "--rank",
        choices=["auto", "likelihood", "embedding", "none"],
        default="auto",
        help="order of the samples: the SVG–text model's caption–render similarity "
        "(embedding), the model's likelihood, or sample order (auto: embedding when the "
        "SVG–text model is installed)",
    )
    _add_sampling(p)
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument(
        "-o",
        "--out",
        default="-",
        help="output SVG file (-n 1) or folder for CAPTION-0.svg, ... (default: -, standard "
        "output, one SVG per line)",
    )
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    p.set_defaults(func=cmd_generate_svg)


def cmd_generate_svg(args) -> int:
    from ..engines.starvector import generate_svg
    from ..files import OutputExistsError, write_atomic
    from .icon import _icon_path

    if args.n > args.candidates:
        raise CLIError(f"-n {args.n} is more than --candidates {args.candidates}")
    if args.out == "-" or args.n == 1:
        paths = [args.out]
    else:
        paths = [_icon_path(args.out, args.caption, i) for i in range(args.n)]
    existing = [p for p in paths if p != "-" and os.path.exists(p)]
    if existing and not args.force:
        raise OutputExistsError(existing[0])
    import torch

    torch.manual_seed(args.seed)
    svgs = generate_svg(
        args.caption,
        model=args.model,
        n=args.n,
        candidates=args.candidates,
        rank=args.rank,
        temperature=args.temperature,
        top_p=args.top_p,
        max_length=args.max_length,
    )
    if args.out == "-":
        for svg in svgs:
            sys.stdout.write(svg.replace("\n", " ").strip() + "\n")
        return 0
    for path, svg in zip(paths, svgs, strict=False):
        write_atomic(path, svg, force=args.force)
        print(path)
    if len(svgs) < args.n:
        print(f"svgvl: only {len(svgs)} of the samples were usable SVGs", file=sys.stderr)
    return 0
