"""The token vocabulary of the path tokenizer, derived from a small versioned specification.

IconShop's scheme (Wu et al., 2023) is the base: paths of M/L/C only on a square grid, one
joint token per (x, y) point, EOS, and MASK/EOM for fill-in-the-middle.  svgvl extends it so
that real icons survive: a token opens each path and carries its paint (fill colour as
``rgb`` and one token per channel, ``none`` or ``currentColor``; stroke colour, quantised width,
cap and join) and fill rule, Z closes subpaths so strokes keep their joins, and an optional
offset token per point refines IconShop's coarse grid.

The layout is a pure function of the spec, so a spec file (``tokenizers/*.json``, or the copy
saved next to a model) is all it takes to rebuild the exact ids.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

SPECIALS = ("<eos>", "<mask>", "<eom>", "<bos>")  # <eos> is also padding, as in IconShop
COMMANDS = ("<path>", "M", "L", "C", "Z")
RULES = ("nonzero", "evenodd")
CAPS = ("butt", "round", "square")
JOINS = ("miter", "round", "bevel")
PAINT_WORDS = ("none", "currentColor", "rgb")  # rgb: three channel tokens follow


def _widths(grid: int) -> tuple[float, ...]:
    """Linear steps of grid/512 up to grid/8, then ~3 % steps up to grid/2.

    Thin strokes need absolute precision: a 2 px stroke 5 % too wide already costs SSIM at
    256 px, and icon sets draw most strokes with a few widths in the linear range.
    """
    step = grid / 512
    linear = [step * k for k in range(1, 65)]
    geometric = [linear[-1] * 1.03**k for k in range(1, 200) if linear[-1] * 1.03**k <= grid / 2]
    return tuple(round(w, 4) for w in linear + geometric)


def channel_levels(count: int) -> tuple[int, ...]:
    """``count`` evenly spaced values 0..255 for each colour channel (256: exact colours)."""
    return tuple(round(255 * k / (count - 1)) for k in range(count))


@dataclass(frozen=True)
class TokenizerSpec:
    """What a tokenizer version is: everything that fixes the id of every token.

    ``grid``: the canvas is ``grid`` units square; a point is one joint token for its grid cell
    corner 0..grid, as in IconShop.  ``fine``: when above 1, each point token is followed by a
    joint offset token that places it on a ``fine``× finer grid: IconShop's coarse grid alone
    moves edges by up to a pixel at 256 px, which costs thin strokes their shape (SSIM < 0.98).
    ``colour_bits``: bits per channel (8: exact colours).  A colour is ``rgb`` and three channel
    tokens rather than one of 4,096 joint tokens (OmniSVG): SSIM, the benchmark's metric,
    compares dark values by their ratio, so 12-bit rounding (#030303 → #000000) costs a flat
    near-black logo 0.17 SSIM; exact channels cost 256 tokens of vocabulary and three of length
    per colour.
    ``stroke_widths``: the width levels, in grid units (default: :func:`_widths`).
    """

    name: str = "svgvl-paths"
    version: int = 1
    grid: int = 128
    fine: int = 3
    colour_bits: int = 8
    stroke_widths: tuple[float, ...] = ()

    def __post_init__(self):
        if not 8 <= self.grid <= 1024:
            raise ValueError(f"grid must be between 8 and 1024, got {self.grid}")
        if not 1 <= self.colour_bits <= 8:
            raise ValueError(f"colour_bits must be between 1 and 8, got {self.colour_bits}")
        if not 1 <= self.fine <= 16:
            raise ValueError(f"fine must be between 1 and 16, got {self.fine}")
        widths = tuple(float(w) for w in self.stroke_widths) or _widths(self.grid)
        if not widths or any(w <= 0 or not math.isfinite(w) for w in widths):
            raise ValueError("stroke_widths must be positive numbers")
        if list(widths) != sorted(set(widths)):
            raise ValueError("stroke_widths must be increasing")
        object.__setattr__(self, "stroke_widths", widths)

    @classmethod
    def from_file(cls, path: str | Path) -> TokenizerSpec:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ValueError(f"{path}: not a readable tokenizer specification ({error})") from None
        known = {"name", "version", "grid", "fine", "colour_bits", "stroke_widths"}
        if not isinstance(data, dict) or not {"grid", "version"} <= set(data):
            raise ValueError(f"{path}: a tokenizer specification needs 'version' and 'grid'")
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_dict(self) -> dict:
        return {**asdict(self), "stroke_widths": list(self.stroke_widths)}

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")


class Vocab:
    """Id ranges of every token family for one spec: specials, commands, rules, caps, joins,
    paint words + colours, widths, fine offsets, then the (grid+1)² points, last (the largest
    family)."""

    def __init__(self, spec: TokenizerSpec):
        self.spec = spec
        self.levels = 1 << spec.colour_bits
        self.channel = channel_levels(self.levels)
        self.side = spec.grid + 1
        names = [*SPECIALS, *COMMANDS, *(f"rule:{r}" for r in RULES)]
        names += [*(f"cap:{c}" for c in CAPS), *(f"join:{j}" for j in JOINS)]
        self.index = {name: i for i, name in enumerate(names)}
        self.paint = len(names)  # none, currentColor, rgb
        self.colours = self.paint + len(PAINT_WORDS)  # channel levels, shared by r, g and b
        self.widths = self.colours + self.levels
        self.offsets = self.widths + len(spec.stroke_widths)
        self.points = self.offsets + (spec.fine * spec.fine if spec.fine > 1 else 0)
        self.size = self.points + self.side * self.side

    def __getitem__(self, name: str) -> int:
        return self.index[name]

    # -- paint -------------------------------------------------------------------------------

    def paint_ids(self, value: str) -> list[int]:
        """'none', 'currentColor' or '#rrggbb' → its tokens (channels rounded to the levels)."""
        if value in PAINT_WORDS[:2]:
            return [self.paint + PAINT_WORDS.index(value)]
        steps = self.channel
        return [self.paint + 2] + [
            self.colours
            + min(range(len(steps)), key=lambda k, c=int(value[i : i + 2], 16): abs(steps[k] - c))
            for i in (1, 3, 5)
        ]

    def paint_word(self, token: int) -> str:
        return PAINT_WORDS[token - self.paint]

    def channel_value(self, token: int) -> int:
        return self.channel[token - self.colours]

    # -- widths and points -------------------------------------------------------------------

    def width_id(self, width: float) -> int:
        """The nearest level."""
        levels = self.spec.stroke_widths
        best = min(range(len(levels)), key=lambda k: abs(levels[k] - width))
        return self.widths + best

    def width_value(self, token: int) -> float:
        return self.spec.stroke_widths[token - self.widths]

    def point_ids(self, x: float, y: float) -> list[int]:
        """The token(s) of a point in grid units: its cell corner, then its fine offset."""
        f, top = self.spec.fine, self.spec.grid * self.spec.fine
        qx, qy = (min(max(round(c * f), 0), top) for c in (x, y))
        ids = [self.point_id(qx // f, qy // f)]
        if f > 1:
            ids.append(self.offsets + (qy % f) * f + qx % f)
        return ids

    def offset_value(self, token: int) -> tuple[float, float]:
        k, f = token - self.offsets, self.spec.fine
        return (k % f) / f, (k // f) / f

    def point_id(self, x: int, y: int) -> int:
        return self.points + y * self.side + x

    def point_value(self, token: int) -> tuple[int, int]:
        k = token - self.points
        return k % self.side, k // self.side

    def is_point(self, token: int) -> bool:
        return self.points <= token < self.size

    def name(self, token: int) -> str:
        """A readable name for any id (for errors and debugging)."""
        if not 0 <= token < self.size:
            return f"<out of range {token}>"
        if token < self.paint:
            return next(k for k, v in self.index.items() if v == token)
        if token < self.colours:
            return f"paint:{self.paint_word(token)}"
        if token < self.widths:
            return f"channel:{self.channel_value(token)}"
        if token < self.offsets:
            return f"width:{self.width_value(token):g}"
        if token < self.points:
            return "offset:{:g},{:g}".format(*self.offset_value(token))
        return "point:{},{}".format(*self.point_value(token))
