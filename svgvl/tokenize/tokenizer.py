"""SVG ⇄ token ids: encode through svgvl's normaliser, decode through its writer.

Encoding maps the document onto the ``grid`` canvas (aspect kept, as the renderer fits it),
rounds every point to the grid and every colour to the palette, and drops segments that
quantisation made empty.  What the vocabulary cannot carry at all (text, images, filters, clip
paths, masks — normalisation's ``Drawing.dropped`` and the tokenizer's own) is named in
``dropped``; what it carries only approximately (gradients averaged to one colour, opacity
blended with white, dashes drawn solid, joins and miter limits it has no token for, colours
rounded to fewer levels) in ``approximated``.  Decoding is total: any id sequence either gives
a valid SVG or raises :class:`TokenError` naming the position.
"""

from __future__ import annotations

import random
from pathlib import Path as FilePath

from ..svg import Drawing, Path, normalize, parse, write
from ..svg.gradients import average_color
from ..svg.style import hex_color
from .grammar import START, Grammar, TokenError
from .vocab import TokenizerSpec, Vocab

SPEC_FILE = "tokenizer.json"  # the spec's name inside a model or tokenizer folder


def _blend_with_white(colour: str, alpha: float) -> str:
    channels = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return hex_color([255 - alpha * (255 - c) for c in channels])


def _complete_paint(path: Path) -> bool:
    """False for a path whose colour was cut short (a truncated sequence)."""
    return all(not c.startswith("#") or len(c) == 7 for c in (path.fill, path.stroke))


class PathTokenizer:
    """IconShop-style tokenizer with paint; ``PathTokenizer()`` is version 1 on a 128 grid."""

    def __init__(self, spec: TokenizerSpec | None = None):
        self.spec = spec or TokenizerSpec()
        self.vocab = Vocab(self.spec)
        self.grammar = Grammar(self.vocab)

    @property
    def vocab_size(self) -> int:
        return self.vocab.size

    @property
    def bos_id(self) -> int:
        return self.vocab["<bos>"]

    @property
    def eos_id(self) -> int:
        return self.vocab["<eos>"]

    @property
    def pad_id(self) -> int:
        return self.vocab["<eos>"]

    # -- files -------------------------------------------------------------------------------

    @classmethod
    def from_pretrained(cls, path: str | FilePath) -> PathTokenizer:
        """From a spec file or a folder holding ``tokenizer.json`` (a model checkpoint)."""
        path = FilePath(path)
        return cls(TokenizerSpec.from_file(path / SPEC_FILE if path.is_dir() else path))

    def save_pretrained(self, folder: str | FilePath) -> None:
        FilePath(folder).mkdir(parents=True, exist_ok=True)
        self.spec.save(FilePath(folder) / SPEC_FILE)

    # -- encoding ----------------------------------------------------------------------------

    def encode(
        self, svg, dropped: list[str] | None = None, approximated: list[str] | None = None
    ) -> list[int]:
        """Token ids of an SVG (text, bytes, path or parsed Document), ``<bos>`` … ``<eos>``.

        Pass lists as ``dropped`` and ``approximated`` to learn what the tokens do not carry
        and what they carry only approximately (without ``approximated``, both go to
        ``dropped``).
        """
        drawing = normalize(parse(svg), canvas=self.spec.grid)
        return self.encode_drawing(drawing, dropped, approximated)

    def encode_drawing(
        self,
        drawing: Drawing,
        dropped: list[str] | None = None,
        approximated: list[str] | None = None,
    ) -> list[int]:
        lost = list(drawing.dropped)
        changed: list[str] = []
        notes = (lost, changed)
        ids = [self.bos_id]
        for path in drawing.paths:
            if path.visible:
                ids.extend(self._encode_path(path, drawing, notes))
        ids.append(self.eos_id)
        if approximated is None:
            lost += changed
        else:
            approximated.extend(dict.fromkeys(changed))  # once each, in order
        if dropped is not None:
            dropped.extend(dict.fromkeys(lost))
        return ids

    def _paint(self, paint: str, alpha: float, what: str, drawing: Drawing, notes) -> list[int]:
        lost, changed = notes
        if paint.startswith("url("):
            gradient = drawing.gradients.get(paint[5:-1])
            if gradient is None:
                lost.append(f"{what} paint servers (black instead)")
                paint = "#000000"
            else:
                changed.append(f"{what} gradients (averaged to one colour)")
                paint, stop_alpha = average_color(gradient.stops)
                alpha *= stop_alpha
        if alpha < 0.999:
            changed.append(f"{what} opacity (blended with white)")
            if paint != "currentColor":
                paint = _blend_with_white(paint, alpha)
        ids = self.vocab.paint_ids(paint)
        if paint.startswith("#") and self.vocab.levels < 256:
            kept = [self.vocab.channel[i - self.vocab.colours] for i in ids[1:]]
            if kept != [int(paint[i : i + 2], 16) for i in (1, 3, 5)]:
                changed.append(f"colours (rounded to {self.vocab.levels} levels per channel)")
        return ids

    def _encode_path(self, path: Path, drawing: Drawing, notes) -> list[int]:
        v = self.vocab
        lost, changed = notes
        if path.clip_path or path.mask:
            lost.append("clip paths and masks (shapes drawn unclipped)")
        fill = "none" if path.fill_opacity * path.opacity <= 0 else path.fill
        stroked = path.stroke != "none" and path.stroke_width > 0 and path.stroke_opacity > 0
        head = [v["<path>"]]
        head += (
            v.paint_ids("none")
            if fill == "none"
            else self._paint(fill, path.fill_opacity * path.opacity, "fill", drawing, notes)
        )
        if stroked:
            if path.stroke_dasharray:
                changed.append("stroke dashes (drawn solid)")
            join = path.stroke_linejoin if path.stroke_linejoin in ("round", "bevel") else "miter"
            if join != path.stroke_linejoin:
                changed.append(f"stroke-linejoin {path.stroke_linejoin} (drawn as miter)")
            if join == "miter" and path.stroke_miterlimit != 4.0:
                changed.append("stroke-miterlimit (drawn at 4)")
            alpha = path.stroke_opacity * path.opacity
            head += self._paint(path.stroke, alpha, "stroke", drawing, notes)
            head += [
                v.width_id(path.stroke_width),
                v[f"cap:{path.stroke_linecap}"],
                v[f"join:{join}"],
            ]
        else:
            head += v.paint_ids("none")
        head.append(v[f"rule:{path.fill_rule}"])
        body = self._encode_geometry(path.d, keep_dots=stroked and path.stroke_linecap != "butt")
        return head + body if body else []

    def _encode_geometry(self, commands, keep_dots: bool) -> list[int]:
        """Subpaths as tokens; segments that quantisation made empty are dropped, except the
        first of a round- or square-capped stroke, which SVG draws as a dot (tabler's
        ``M x y v.01``)."""
        v = self.vocab

        def q(x: float, y: float) -> tuple[int, ...]:
            return tuple(v.point_ids(x, y))  # the tokens stand for the quantised point

        out: list[int] = []
        sub: list[int] = []  # the subpath being built (kept only if it draws something)
        drawn = False
        start = current = ()
        for letter, coords in commands:
            if letter == "M":
                if drawn:
                    out += sub
                start = current = q(*coords)
                sub, drawn = [v["M"], *current], False
            elif letter == "L":
                p = q(*coords)
                if p != current or (keep_dots and not drawn):
                    sub += [v["L"], *p]
                    current, drawn = p, True
            elif letter == "C":
                pts = [q(*coords[i : i + 2]) for i in (0, 2, 4)]
                if any(p != current for p in pts):
                    sub += [v["C"], *(t for p in pts for t in p)]
                    current, drawn = pts[2], True
                elif keep_dots and not drawn:
                    sub += [v["L"], *pts[2]]
                    drawn = True
            elif letter == "Z" and sub and sub[-1] != v["Z"]:
                closing = [v["L"], *start]
                if len(sub) > 2 + 2 * len(start) and sub[-len(closing) :] == closing:
                    del sub[-len(closing) :]  # Z draws that line: one spelling per drawing
                sub.append(v["Z"])
                current = start
        if drawn:
            out += sub
        return out

    # -- decoding ----------------------------------------------------------------------------

    def decode(self, ids, *, strict: bool = True) -> str:
        """SVG text for an id sequence (``<bos>`` optional; anything after the end ignored).

        A sequence cut short (model output at its length limit) loses only its unfinished
        command.  ``strict=False`` skips ids the grammar does not allow instead of raising.
        """
        return write(self.decode_drawing(ids, strict=strict), precision=2)

    def decode_drawing(self, ids, *, strict: bool = True) -> Drawing:
        v, grammar = self.vocab, self.grammar
        ids = [int(i) for i in ids]
        if ids and ids[0] != self.bos_id:
            ids = [self.bos_id, *ids]
        groups: list[list[Path]] = [[]]  # fill-in-the-middle: left, right, middle
        path: Path | None = None
        pending: list = []  # the command being read: letter, then points
        painting = "fill"
        state = START
        for position, token in enumerate(ids):
            try:
                new_state = grammar.step(state, token)
            except TokenError as error:
                if strict:
                    raise TokenError(f"position {position}: {error}") from None
                continue
            name = state[0]
            if token == v["<path>"]:
                path = Path(d=[], stroke_width=1.0)
                groups[-1].append(path)
            elif token == v["<mask>"]:
                groups.append([])
            elif name in ("fill", "stroke"):
                painting = name  # the attribute that channel tokens, if any, belong to
                word = v.paint_word(token)
                setattr(path, painting, "#" if word == "rgb" else word)
            elif name.startswith("channel>"):
                value = getattr(path, painting) + f"{v.channel_value(token):02x}"
                setattr(path, painting, value)
            elif name == "width":
                path.stroke_width = v.width_value(token)
            elif name == "cap":
                path.stroke_linecap = v.name(token).split(":")[1]
            elif name == "join":
                path.stroke_linejoin = v.name(token).split(":")[1]
            elif name == "rule":
                path.fill_rule = v.name(token).split(":")[1]
            elif token in (v["M"], v["L"], v["C"]):
                pending = [v.name(token)]
            elif token == v["Z"]:
                path.d.append(("Z", ()))
            elif v.is_point(token) or name.startswith("offset>"):
                if v.is_point(token):
                    pending.append(v.point_value(token))
                else:
                    dx, dy = v.offset_value(token)
                    pending[-1] = (pending[-1][0] + dx, pending[-1][1] + dy)
                if len(pending) == (4 if pending[0] == "C" else 2) and new_state[0] == "segment":
                    path.d.append((pending[0], tuple(float(c) for p in pending[1:] for c in p)))
                    pending = []
            state = new_state
            if state[0] == "end":
                break
        left, *rest = groups
        ordered = left + (rest[1] if len(rest) > 1 else []) + (rest[0] if rest else [])
        grid = float(self.spec.grid)
        paths = [p for p in ordered if p.d and _complete_paint(p)]
        return Drawing(width=grid, height=grid, paths=paths)

    # -- fill-in-the-middle ------------------------------------------------------------------

    def split_paths(self, ids) -> list[list[int]]:
        """The per-path token runs of a plain ``<bos> … <eos>`` sequence."""
        start, end = self.vocab["<path>"], self.eos_id
        runs: list[list[int]] = []
        for token in ids:
            token = int(token)
            if token == end:
                break
            if token == start:
                runs.append([])
            if runs:
                runs[-1].append(token)
        return runs

    def fim(self, ids, start: int, stop: int) -> list[int]:
        """IconShop's layout ``left <mask> right <mask> middle <eom>`` with paths
        ``start:stop`` as the middle to be filled in."""
        runs = self.split_paths(ids)
        flat = lambda rs: [t for r in rs for t in r]  # noqa: E731
        mask = self.vocab["<mask>"]
        return [
            self.bos_id,
            *flat(runs[:start]),
            mask,
            *flat(runs[stop:]),
            mask,
            *flat(runs[start:stop]),
            self.vocab["<eom>"],
        ]

    def random_fim(self, ids, rng: random.Random) -> list[int]:
        runs = self.split_paths(ids)
        if not runs:
            return list(ids)
        start = rng.randrange(len(runs))
        return self.fim(ids, start, rng.randrange(start, len(runs)) + 1)

    def prompt_state(self, ids):
        """The grammar state after a prompt (e.g. ``fim`` without its middle and ``<eom>``)."""
        state = START
        for position, token in enumerate(ids):
            try:
                state = self.grammar.step(state, int(token))
            except TokenError as error:
                raise TokenError(f"prompt position {position}: {error}") from None
        return state

    def describe(self, ids) -> list[str]:
        return [self.vocab.name(int(t)) for t in ids]


__all__ = ["PathTokenizer", "TokenError"]
