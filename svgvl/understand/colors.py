"""Colour names: the nearest CSS named colour to a hex colour, by distance in CIELAB.

A language model reads "red" more reliably than "#fc0101".  Distances are taken in CIELAB,
where equal steps look about equally different, so that a JPEG's #fc0101 is red and a dark
blue is navy rather than black.  Synonyms (aqua/cyan, fuchsia/magenta, grey/gray) are named
once, by the more common word.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import tinycss2.color3
from skimage.color import rgb2lab

_SYNONYMS = {"aqua": "cyan", "fuchsia": "magenta"}


def rgb(hex_color: str) -> tuple[int, int, int]:
    """(r, g, b) in 0..255 from '#rrggbb'."""
    h = hex_color.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


@lru_cache(maxsize=1)
def _table() -> tuple[list[str], np.ndarray]:
    names: dict[tuple[int, int, int], str] = {}
    for name, value in tinycss2.color3._COLOR_KEYWORDS.items():
        if isinstance(value, str) or value.alpha < 1 or "grey" in name:
            continue
        key = tuple(round(c * 255) for c in (value.red, value.green, value.blue))
        name = _SYNONYMS.get(name, name)
        if key not in names or len(name) < len(names[key]):
            names[key] = name
    keys = list(names)
    lab = rgb2lab(np.array([keys], dtype=float) / 255.0)[0]
    return [names[k] for k in keys], lab


def color_name(hex_color: str) -> str:
    """The CSS named colour nearest to ``hex_color`` ('#rrggbb'), e.g. '#fc0101' → 'red'."""
    names, lab = _table()
    here = rgb2lab(np.array([[rgb(hex_color)]], dtype=float) / 255.0)[0, 0]
    return names[int(np.argmin(np.linalg.norm(lab - here, axis=1)))]
