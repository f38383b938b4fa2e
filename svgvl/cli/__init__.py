"""The ``svgvl`` command: a thin layer over the Python API.

Each subcommand parses its arguments, calls the API, and turns the library's clear exceptions
into one line on stderr and exit status 1 (2 for usage errors) — never a traceback.  One module
per command group adds its subparsers; each imports the library inside its handlers, so that
``svgvl --help`` stays fast.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from ..errors import one_line, reported
from . import bench, data, generate, icon, svgtools, train, understand, vectorize
from .options import CLIError

__all__ = ["CLIError", "build_parser", "main"]

# In the order `svgvl --help` lists them.
GROUPS = (vectorize, svgtools, understand, data, bench, icon, generate, train)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="svgvl",
        description="Generate and understand SVG: vectorize images, render, compare, normalise.",
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"svgvl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in GROUPS:
        group.add_commands(sub)
    return parser


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
        if not reported(error):
            raise
        print(f"svgvl: error: {one_line(error)}", file=sys.stderr)
        return 1
