"""Compactness of an SVG as given: shape elements, path commands and tokens.

``bytes`` is the file's length; ``paths`` counts shape elements (path, rect, circle, ellipse,
line, polyline, polygon), ``commands`` path commands with implicit repeats (other shapes count
1) and ``tokens`` the SVG text's tokens under a Hugging Face tokenizer, as StarVector counts.
"""

from __future__ import annotations

import os
import re

from ..svg import Document, parse
from ..svg.numbers import NUMBER
from ..svg.parse import is_svg_element, local_name
from .learned import load_tokenizer

SHAPES = frozenset({"path", "rect", "circle", "ellipse", "line", "polyline", "polygon"})

_ARITY = {"m": 2, "l": 2, "h": 1, "v": 1, "c": 6, "s": 4, "q": 4, "t": 2, "a": 7, "z": 0}
_SEPARATOR = re.compile(r"[\s,]*")
_FLAG = re.compile(r"[01]")


def count_paths(svg) -> int:
    """Shape elements in the file (path, rect, circle, ellipse, line, polyline, polygon).

    Each counts once where it is written (a shape in ``<defs>`` drawn by ``<use>`` counts once);
    shapes inside ``<clipPath>`` only cut others and are not counted.
    """
    return len(_shapes(svg))


def count_commands(svg) -> int:
    """Path commands, implicit repeats included (``M0 0 1 1 2 2`` is 3), plus 1 per other shape.

    Path data is counted up to its first error, as renderers draw it.
    """
    return sum(
        count_path_commands(el.get("d", "")) if local_name(el) == "path" else 1
        for el in _shapes(svg)
    )


def count_path_commands(d: str) -> int:
    """Commands in one ``d`` attribute, implicit repeats included, up to the first error."""
    count, pos, letter, n = 0, 0, None, len(d)
    while True:
        pos = _SEPARATOR.match(d, pos).end()
        if pos >= n:
            return count
        if d[pos].isalpha():
            letter = d[pos].lower()
            if letter not in _ARITY or (count == 0 and letter != "m"):
                return count
            pos += 1
            if letter == "z":
                count += 1
                continue
        elif letter in (None, "z"):
            return count  # numbers with no command, or after Z
        pos = _arguments(d, pos, letter)
        if pos is None:
            return count
        count += 1


def _arguments(d: str, pos: int, letter: str) -> int | None:
    """Position after one complete argument group of ``letter``, or None if it is not there."""
    for index in range(_ARITY[letter]):
        if index:
            pos = _SEPARATOR.match(d, pos).end()
        pattern = _FLAG if letter == "a" and index in (3, 4) else NUMBER
        match = pattern.match(d, pos)
        if not match:
            return None
        pos = match.end()
    return pos


def _shapes(svg) -> list:
    root = (svg if isinstance(svg, Document) else parse(svg)).root
    clipping = {el for clip in root.iter() if local_name(clip) == "clipPath" for el in clip.iter()}
    return [
        el
        for el in root.iter()
        if local_name(el) in SHAPES and is_svg_element(el) and el not in clipping
    ]


def count_tokens(text: str, tokenizer) -> int:
    """Tokens of the SVG text, as StarVector counts them (``tokenizer.encode(text)``).

    ``tokenizer``: a Hugging Face tokenizer (``transformers`` or ``tokenizers``), or a local path
    or hub id loaded with ``AutoTokenizer`` (offline when ``HF_HUB_OFFLINE`` is set).
    """
    if isinstance(tokenizer, str | os.PathLike):
        tokenizer = load_tokenizer(os.fspath(tokenizer))
    ids = tokenizer.encode(text)
    return len(getattr(ids, "ids", ids))
