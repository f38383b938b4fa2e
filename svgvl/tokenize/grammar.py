"""The token grammar: which ids may follow which, for decoding and for constrained sampling.

    sequence := <bos> path* <eos>
              | <bos> path* <mask> path* <mask> path* <eom>      (fill-in-the-middle)
    path     := <path> paint paint [width cap join] rule subpath+       (fill, then stroke)
    paint    := none | currentColor | rgb channel channel channel
    subpath  := M point (L point | C point point point)* [Z]
    point    := cell [offset]                                    (offset when spec.fine > 1)

Width, cap and join follow only when the stroke is not ``none``.  A state
is a small tuple, and :meth:`Grammar.allowed` gives the boolean mask of the ids allowed in it,
so a sampler can zero out everything else and every sample decodes.
"""

from __future__ import annotations

import numpy as np

from .vocab import CAPS, JOINS, RULES, Vocab


class TokenError(ValueError):
    """An id sequence that is not a drawing: the message names the position and the reason."""


# (name, masks seen): name says what comes next.
State = tuple[str, int]
START: State = ("start", 0)

_NEXT_PATH = ("paths", "segment", "closed")  # states after which a path may end


class Grammar:
    def __init__(self, vocab: Vocab):
        self.vocab = vocab
        v = vocab
        self._families = {
            "start": [v["<bos>"]],
            "paths": [v["<path>"]],
            "fill": range(v.paint, v.colours),
            "stroke": range(v.paint, v.colours),
            "channel": range(v.colours, v.widths),
            "width": range(v.widths, v.offsets),
            "cap": [v[f"cap:{c}"] for c in CAPS],
            "join": [v[f"join:{j}"] for j in JOINS],
            "rule": [v[f"rule:{r}"] for r in RULES],
            "move": [v["M"]],
            "m_point": range(v.points, v.size),
            "segment": [v["L"], v["C"], v["Z"], v["M"], v["<path>"]],
            "l_point": range(v.points, v.size),
            "c1": range(v.points, v.size),
            "c2": range(v.points, v.size),
            "c3": range(v.points, v.size),
            "closed": [v["M"], v["<path>"]],
            "end": [],
            "offset": range(v.offsets, v.points),
        }
        self._masks: dict[State, np.ndarray] = {}

    def allowed(self, state: State) -> np.ndarray:
        """Boolean mask over the vocabulary of the ids that may come next."""
        mask = self._masks.get(state)
        if mask is None:
            name, masks = state
            mask = np.zeros(self.vocab.size, dtype=bool)
            family = self._families[name.split(">")[0] if ">" in name else name]
            if isinstance(family, range):
                mask[family.start : family.stop] = True
            else:
                mask[list(family)] = True
            if name in _NEXT_PATH:
                mask[self.vocab["<eos>"]] = masks == 0
                mask[self.vocab["<mask>"]] = masks < 2
                mask[self.vocab["<eom>"]] = masks == 2
            self._masks[state] = mask
        return mask

    def step(self, state: State, token: int) -> State:
        """The state after ``token``; TokenError when the grammar does not allow it."""
        v = self.vocab
        name, masks = state
        if not 0 <= token < v.size:
            raise TokenError(f"id {token} is outside the vocabulary (size {v.size})")
        if not self.allowed(state)[token]:
            raise TokenError(
                f"{v.name(token)} cannot follow here (expected {self.expected(state)})"
            )
        if token == v["<mask>"]:
            return ("paths", masks + 1)
        if token in (v["<eos>"], v["<eom>"]):
            return ("end", masks)
        if token == v["<path>"]:
            return ("fill", masks)
        if token == v["M"]:
            return ("m_point", masks)
        if token == v["L"]:
            return ("l_point", masks)
        if token == v["C"]:
            return ("c1", masks)
        if token == v["Z"]:
            return ("closed", masks)
        following = {
            "start": "paths",
            "fill": "stroke",
            "width": "cap",
            "cap": "join",
            "join": "rule",
            "rule": "move",
            "m_point": "segment",
            "l_point": "segment",
            "c1": "c2",
            "c2": "c3",
            "c3": "segment",
        }
        if name in ("fill", "stroke"):
            after = "stroke" if name == "fill" else "width"
            word = v.paint_word(token)
            if word == "rgb":
                return (f"channel>channel>channel>{after}", masks)
            return ("rule" if name == "stroke" and word == "none" else after, masks)
        if ">" in name:  # a run of fixed families: take the next one
            return (name.split(">", 1)[1], masks)
        if v.is_point(token) and v.spec.fine > 1:
            return ("offset>" + following[name], masks)
        return (following[name], masks)

    def expected(self, state: State) -> str:
        names = {
            "start": "<bos>",
            "paths": "<path> or the end",
            "fill": "a fill paint",
            "stroke": "a stroke paint",
            "width": "a stroke width",
            "cap": "a line cap",
            "join": "a line join",
            "rule": "a fill rule",
            "move": "M",
            "segment": "L, C, Z, M, <path> or the end",
            "closed": "M, <path> or the end",
            "end": "nothing after the end",
        }
        if state[0].startswith("offset>"):
            return "a point offset"
        if state[0].startswith("channel>"):
            return "a colour channel"
        return names.get(state[0], "a point")
