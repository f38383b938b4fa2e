"""``svgvl describe``: what an SVG or an image shows, shape by shape (svgvl.understand)."""

from __future__ import annotations

import json
import os

from .options import CLIError

# The library is imported inside the handlers, not at the top: `svgvl --help` stays fast.


def add_commands(sub) -> None:
    p = sub.add_parser(
        "describe",
        help="list the shapes an SVG or image draws: kind, geometry, colours, z-order, relations",
    )
    p.add_argument("input", help="SVG file, or an image (PNG, JPEG, ...) to trace first")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(func=cmd_describe)


def cmd_describe(args) -> int:
    from ..errors import one_line
    from ..understand import describe

    if not os.path.isfile(args.input):
        raise CLIError(f"{args.input}: no such file")
    try:
        description = describe(args.input)
    except (ValueError, OSError) as error:
        raise CLIError(one_line(error, args.input)) from None
    if args.json:
        print(json.dumps(description.to_dict(), ensure_ascii=False))
    else:
        print(description.to_text())
    return 0
