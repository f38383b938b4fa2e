"""What every command shares: the user-facing error, argument types, and reading ``-``."""

from __future__ import annotations

import argparse
import math
import sys


class CLIError(ValueError):
    """A user-facing failure: printed as ``svgvl: error: ...``, exit status 1."""


def size(text: str):
    """``N`` → N (square canvas), ``WxH`` → (W, H)."""
    try:
        if "x" in text.lower():
            w, h = text.lower().split("x", 1)
            value = (int(w), int(h))
            if min(value) <= 0:
                raise ValueError
            return value
        value = int(text)
        if value <= 0:
            raise ValueError
        return value
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid size {text!r}: use N or WxH with positive integers"
        ) from None


def number(cast, low: float, high: float = math.inf, *, expected: str):
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


positive_int = number(int, 1, expected="a positive integer")
non_negative_int = number(int, 0, expected="an integer >= 0")
seconds = number(float, 0, 3600, expected="seconds between 0 and 3600")
_guidance = number(float, 1, expected="a number of at least 1")
_top_p = number(float, math.ulp(0.0), math.nextafter(1.0, 2.0), expected="a number in (0, 1]")


_UNITS = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def memory_size(text: str) -> int:
    """``1.5G``, ``512M``, ``2GiB`` → bytes; ``0`` → 0 (no limit)."""
    value = text.strip().lower().removesuffix("ib").removesuffix("b")
    try:
        if value == "0":
            return 0
        if value[-1:] in _UNITS and float(value[:-1]) > 0:
            return int(float(value[:-1]) * _UNITS[value[-1]])
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(
        f"invalid memory size {text!r}: use a number with a unit, like 1.5G or 512M (0: none)"
    )


def add_limit_options(parser, *, timeout: float, what: str) -> None:
    """--timeout and --max-memory: the limits :func:`svgvl.sandbox.call` enforces, in one
    place for render, compare, vectorize and bench."""
    from ..sandbox import DEFAULT_MEMORY, amount  # light: no renderer, no numpy

    parser.add_argument(
        "--timeout",
        type=seconds,
        default=timeout,
        metavar="SECONDS",
        help=f"stop {what} after this long, with an error (0: no limit; default: {timeout:g})",
    )
    parser.add_argument(
        "--max-memory",
        type=memory_size,
        default=DEFAULT_MEMORY,
        metavar="SIZE",
        help=f"memory {what} may use beyond svgvl itself, like 512M or 4G; more is an error "
        f"(0: no limit; default: {amount(DEFAULT_MEMORY).replace(' ', '')})",
    )


def limits(args) -> dict:
    """--timeout and --max-memory as ``timeout``/``max_memory`` keywords (0 → None)."""
    return {"timeout": args.timeout or None, "max_memory": args.max_memory or None}


def add_sampling_options(parser) -> None:
    """--guidance and --top-p, for the commands that sample the text-to-icon model."""
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


def sampling(args) -> dict:
    """--top-p and --guidance as ``generate`` keywords, the model's defaults where not given."""
    from ..models.iconshop import DEFAULT_GUIDANCE, DEFAULT_TOP_P  # lazy: torch

    return {
        "top_p": args.top_p or DEFAULT_TOP_P,
        "guidance_scale": args.guidance or DEFAULT_GUIDANCE,
    }


def read_input(path: str) -> bytes | str:
    """``-`` reads standard input; anything else stays a path for the library to open."""
    if path == "-":
        return sys.stdin.buffer.read()
    return path
