"""Compact SVG text from a :class:`Drawing`.

Bytes matter (they are a benchmark column and model context), so the writer: rounds to a chosen
number of decimals without letting rounding error accumulate along a path; picks, per command,
relative or absolute coordinates — whichever is shorter — and H/V/S shorthands where exact; omits
repeated command letters, separators that the grammar does not need, and attributes equal to
their initial value; and hoists the most common paint attributes onto the root so that each path
states only what differs.
"""

from __future__ import annotations

import dataclasses
import math

from .model import Drawing, Gradient, Path
from .normalize import normalize
from .pathdata import Command
from .transform import IDENTITY

# (attribute, Path field, initial value, formatter kind); inherited, so hoistable to the root.
_INHERITED_ATTRS = [
    ("fill", "fill", "#000000", "paint"),
    ("fill-opacity", "fill_opacity", 1.0, "ratio"),
    ("fill-rule", "fill_rule", "nonzero", "keyword"),
    ("stroke", "stroke", "none", "paint"),
    ("stroke-width", "stroke_width", 1.0, "length"),
    ("stroke-opacity", "stroke_opacity", 1.0, "ratio"),
    ("stroke-linecap", "stroke_linecap", "butt", "keyword"),
    ("stroke-linejoin", "stroke_linejoin", "miter", "keyword"),
    ("stroke-miterlimit", "stroke_miterlimit", 4.0, "ratio"),
]


def auto_precision(width: float, height: float) -> int:
    """Decimals that keep the grid finer than 1/2000 of the canvas (well below a pixel at 512 px)."""
    return max(0, math.ceil(math.log10(2000 / max(width, height, 1e-9))))


def fmt(value: float, precision: int) -> str:
    """Shortest text for a rounded number: '0.50' → '.5', '-0.0' → '0', '3.0' → '3'."""
    text = f"{round(value, precision):.{precision}f}" if precision > 0 else str(round(value))
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text.startswith("0.") and len(text) > 2:
        text = text[1:]
    elif text.startswith("-0.") and len(text) > 3:
        text = "-" + text[2:]
    return "0" if text in ("-0", "", "-") else text


def _color(value: str) -> str:
    """#aabbcc → #abc where exact."""
    if (
        len(value) == 7
        and value.startswith("#")
        and value[1] == value[2]
        and value[3] == value[4]
        and value[5] == value[6]
    ):
        return "#" + value[1] + value[3] + value[5]
    return value


class _PathWriter:
    """Serialises commands, tracking the *rounded* current point so errors never accumulate.

    ``slack``: each point may move this far (a cubic's control points twice as far: they pull
    the curve by at most 4/9 of their move) when a coarser number says it in fewer characters,
    ``12`` for ``12.1``; chosen for the absolute and the relative form separately, so that a
    short step stays short wherever the current point lies.
    """

    def __init__(self, precision: int, slack: float = 0.0):
        self.p = precision
        self.slack = slack
        self.parts: list[str] = []
        self.last = ""  # last command letter written
        self.cur = (0.0, 0.0)
        self.start = (0.0, 0.0)
        self.ctrl: tuple[float, float] | None = None  # last cubic's 2nd control point (rounded)

    def _round(self, v: float) -> float:
        return round(v, self.p) if self.p > 0 else float(round(v))

    def _short(self, v: float, slack: float) -> float:
        """The value with the fewest decimals within ``slack`` of ``v`` (else rounded)."""
        for q in range(self.p):
            near = round(v, q) if q else float(round(v))
            if abs(near - v) <= slack:
                return near
        return self._round(v)

    def _numbers(self, values) -> str:
        out = ""
        for v in values:
            text = fmt(v, self.p)
            if out and not (
                text[0] == "-"
                or (text[0] == "." and "." in out.rsplit(" ", 1)[-1].lstrip("-").split("-")[-1])
            ):
                out += " "
            out += text
        return out

    def _token(self, letter: str, values) -> str:
        """The text this command adds, including any separator from what precedes it."""
        numbers = self._numbers(values)
        # A repeated moveto's numbers would be read as linetos (SVG 1.1, 8.3.2): M never repeats.
        implicit = (letter == self.last and letter not in "Mm") or (
            self.last in "Mm" and letter == ("L" if self.last == "M" else "l")
        )
        if not implicit or not self.parts:
            return letter + numbers
        prev = self.parts[-1]
        tail = prev.rsplit(" ", 1)[-1]
        if (
            numbers[0] == "-"
            or (numbers[0] == "." and "." in tail.split("-")[-1])
            or not (prev[-1].isdigit() or prev[-1] == ".")
        ):
            return numbers
        return " " + numbers

    def _emit(self, options) -> None:
        """Write the shortest of several (letter, values, new_point, new_ctrl) encodings."""
        best = min(
            (
                (self._token(letter, values), letter, point, ctrl)
                for letter, values, point, ctrl in options
            ),
            key=lambda o: len(o[0]),
        )
        text, letter, point, ctrl = best
        self.parts.append(text)
        self.last = letter
        self.cur = point
        self.ctrl = ctrl

    def add(self, letter: str, coords) -> None:
        r = self._round
        cx, cy = self.cur
        if letter == "Z":
            self.parts.append("z" if self.last.islower() else "Z")
            self.last = self.parts[-1]
            self.cur = self.start
            self.ctrl = None
            return
        slack = [
            2 * self.slack if letter == "C" and i < 4 else self.slack for i in range(len(coords))
        ]
        pts = [self._short(v, s) for v, s in zip(coords, slack, strict=True)]
        # Relative values are taken against the rounded current point and rounded again, so the
        # point a reader reconstructs is exactly on the grid, within the slack of the true one.
        exact = coords if self.slack else pts
        rel = [
            r(self._short(v - (cx, cy)[i % 2], s))
            for i, (v, s) in enumerate(zip(exact, slack, strict=True))
        ]
        ends = [(pts[-2], pts[-1]), (r(cx + rel[-2]), r(cy + rel[-1]))]  # absolute, relative
        if letter == "M":
            self._emit([("M", pts, ends[0], None), ("m", rel, ends[1], None)])
            self.start = self.cur
            return
        if letter == "L":
            options = [("L", pts, ends[0], None), ("l", rel, ends[1], None)]
            # H writes x where y stays, V writes y where x stays.
            for (a, b), (moves, stays) in zip(("Hh", "Vv"), ((0, 1), (1, 0)), strict=True):
                if ends[0][stays] == (cx, cy)[stays]:
                    options.append((a, pts[moves : moves + 1], ends[0], None))
                if ends[1][stays] == (cx, cy)[stays]:
                    options.append((b, rel[moves : moves + 1], ends[1], None))
            self._emit(options)
            return
        ctrls = [(pts[2], pts[3]), (r(cx + rel[2]), r(cy + rel[3]))]
        options = [("C", pts, ends[0], ctrls[0]), ("c", rel, ends[1], ctrls[1])]
        if self.ctrl is not None and self.last in "CcSs":
            # The first control point as the reflection of the last one: S, when that is close.
            reflected = (r(2 * cx - self.ctrl[0]), r(2 * cy - self.ctrl[1]))
            if reflected == (pts[0], pts[1]) or all(
                abs(a - b) <= slack[0] for a, b in zip(reflected, coords[:2], strict=True)
            ):
                options += [("S", pts[2:], ends[0], ctrls[0]), ("s", rel[2:], ends[1], ctrls[1])]
        self._emit(options)

    def text(self) -> str:
        return "".join(self.parts)


def _drop_closing_lines(commands: list[Command], precision: int) -> list[Command]:
    """Remove an L that returns to the subpath start just before Z (Z draws that same line),
    unless it is the subpath's only segment."""
    out: list[Command] = []
    start = None
    for i, (letter, coords) in enumerate(commands):
        if letter == "M":
            start = coords
        nxt = commands[i + 1][0] if i + 1 < len(commands) else None
        if (
            letter == "L"
            and nxt == "Z"
            and out
            and out[-1][0] != "M"  # "M p L p Z" is a dot with round caps; "M p Z" draws nothing
            and start is not None
            and all(
                round(a, precision) == round(b, precision)
                for a, b in zip(coords, start, strict=True)
            )
        ):
            continue
        out.append((letter, coords))
    return out


def path_data(commands: list[Command], precision: int = 2, slack: float = 0.0) -> str:
    """Compact ``d`` text for absolute M/L/C/Z commands (``slack``: see :class:`_PathWriter`)."""
    writer = _PathWriter(precision, slack)
    for letter, coords in _drop_closing_lines(commands, precision):
        writer.add(letter, coords)
    return writer.text()


def _attr_value(kind: str, value, precision: int) -> str:
    if kind == "paint":
        return _color(value)
    if kind == "keyword":
        return value
    if kind == "ratio":
        return fmt(value, 3)
    return fmt(value, max(precision, 2))


def _hoist(paths: list[Path], precision: int) -> dict[str, str]:
    """Root values for inherited attributes that minimise the total attribute bytes."""
    root: dict[str, str] = {}
    for attr, field, initial, kind in _INHERITED_ATTRS:
        relevant = [p for p in paths if p.stroke != "none"] if attr.startswith("stroke-") else paths
        values = [_attr_value(kind, getattr(p, field), precision) for p in relevant]
        default = _attr_value(kind, initial, precision)
        best, best_cost = default, None
        for candidate in dict.fromkeys([default, *values]):
            cost = (len(attr) + len(candidate) + 4 if candidate != default else 0) + sum(
                len(attr) + len(v) + 4 for v in values if v != candidate
            )
            if best_cost is None or cost < best_cost:
                best, best_cost = candidate, cost
        if best != default:
            root[attr] = best
    return root


def _quote(value: str) -> str:
    """An XML attribute value in double quotes (xml.sax.saxutils would import urllib: 40 ms)."""
    return '"' + value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;") + '"'


def _attrs(items: dict[str, str]) -> str:
    return "".join(f" {name}={_quote(value)}" for name, value in items.items())


def _gradient_xml(ident: str, g: Gradient, precision: int) -> str:
    tag = "linearGradient" if g.kind == "linear" else "radialGradient"
    attrs = {"id": ident, "gradientUnits": "userSpaceOnUse"}
    exact = precision + 3 if g.transform != IDENTITY else precision
    for key, value in g.geometry.items():
        if g.kind == "radial" and key in ("fx", "fy") and value == g.geometry["c" + key[1]]:
            continue
        attrs[key] = fmt(value, exact)
    if g.transform != IDENTITY:
        a, b, c, d, e, f = g.transform
        attrs["gradientTransform"] = (
            "matrix("
            + " ".join(
                [fmt(v, precision + 4) for v in (a, b, c, d)]
                + [fmt(v, precision + 1) for v in (e, f)]
            )
            + ")"
        )
    if g.spread != "pad":
        attrs["spreadMethod"] = g.spread
    stops = []
    for stop in g.stops:
        s = {"offset": fmt(stop.offset, 4), "stop-color": _color(stop.color)}
        if stop.opacity != 1:
            s["stop-opacity"] = fmt(stop.opacity, 3)
        stops.append(f"<stop{_attrs(s)}/>")
    return f"<{tag}{_attrs(attrs)}>{''.join(stops)}</{tag}>"


def write(drawing, precision: int | None = None, slack: float = 0.0) -> str:
    """Serialise a Drawing (or anything ``normalize`` takes) as compact SVG text.

    ``precision``: decimals for coordinates; None picks them from the canvas size
    (:func:`auto_precision`).  ``slack``: how far (in user units) a path's points may move
    for a shorter number — for geometry that is only known within a tolerance anyway (a
    trace); 0 writes every point at exactly ``precision``.  The root carries only ``xmlns``
    and ``viewBox`` plus hoisted paint.
    """
    if not isinstance(drawing, Drawing):
        drawing = normalize(drawing)
    if precision is None:
        precision = auto_precision(drawing.width, drawing.height)
    if precision < 0:
        raise ValueError("precision must be >= 0")
    root = {
        "xmlns": "http://www.w3.org/2000/svg",
        "viewBox": f"0 0 {fmt(drawing.width, precision)} {fmt(drawing.height, precision)}",
    }
    hoisted = _hoist(drawing.paths, precision)
    root.update(hoisted)
    parts = [f"<svg{_attrs(root)}>"]
    for ident, gradient in drawing.gradients.items():
        parts.append(_gradient_xml(ident, gradient, precision))
    as_masks = _evenodd_clips(drawing)
    for ident, clip in drawing.clips.items():
        # its clip_path is applied by a group around each user (see _clipped)
        if ident in as_masks:
            parts.append(_clip_as_mask(ident, clip, drawing, hoisted, precision, slack))
            continue
        inner = "".join(
            f"<path{_attrs({'d': path_data(d, precision, slack), **({'clip-rule': 'evenodd'} if rule == 'evenodd' else {})})}/>"
            for d, rule in clip.paths
        )
        parts.append(f"<clipPath{_attrs({'id': ident})}>{inner}</clipPath>")
    for ident, mask in drawing.masks.items():
        region = _mask_region(ident, drawing, precision)
        inner = "".join(
            _clipped(path, hoisted, precision, drawing.clips, as_masks, slack)
            for path in mask.paths
        )  # inherits the root's
        parts.append(f"<mask{_attrs(region)}>{inner}</mask>")
    parts.extend(
        _clipped(path, hoisted, precision, drawing.clips, as_masks, slack) for path in drawing.paths
    )
    parts.append("</svg>")
    return "".join(parts)


def _geometry(path: Path, precision: int, slack: float = 0.0) -> tuple[str, dict[str, str]]:
    """The element and geometry attributes: a basic shape when the path is one, else ``d``."""
    shape = path.shape
    f = lambda v: fmt(v, precision)  # noqa: E731
    if shape and shape[0] == "circle":
        return "circle", {"cx": f(shape[1]), "cy": f(shape[2]), "r": f(shape[3])}
    if shape and shape[0] == "ellipse":
        return "ellipse", {
            "cx": f(shape[1]),
            "cy": f(shape[2]),
            "rx": f(shape[3]),
            "ry": f(shape[4]),
        }
    if shape and shape[0] == "rect":
        attrs = {"x": f(shape[1]), "y": f(shape[2]), "width": f(shape[3]), "height": f(shape[4])}
        if shape[5] and f(shape[5]) != "0":
            attrs["rx"] = f(shape[5])
        return "rect", attrs
    return "path", {"d": path_data(path.d, precision, slack)}


def _evenodd_clips(drawing: Drawing) -> set[str]:
    """Clips with an evenodd shape, written as masks: cairosvg, the reference renderer, fills
    every clip nonzero (it ignores ``clip-rule``) but honours ``fill-rule`` in a mask."""
    return {
        ident
        for ident, clip in drawing.clips.items()
        if any(rule == "evenodd" for _, rule in clip.paths)
    }


def _mask_region(ident: str, drawing: Drawing, precision: int) -> dict[str, str]:
    """A mask's attributes: its region is the whole canvas, in canvas units."""
    return {
        "id": ident,
        "maskUnits": "userSpaceOnUse",
        "x": "0",
        "y": "0",
        "width": fmt(drawing.width, precision),
        "height": fmt(drawing.height, precision),
    }


def _clip_as_mask(ident, clip, drawing, hoisted, precision, slack=0.0) -> str:
    """A clip as the mask that lets through exactly its shapes: each filled white by its rule."""
    region = _mask_region(ident, drawing, precision)
    inner = "".join(
        _path_xml(Path(d=d, fill="#ffffff", fill_rule=rule), hoisted, precision, slack)
        for d, rule in clip.paths
    )
    return f"<mask{_attrs(region)}>{inner}</mask>"


def _clipped(
    path: Path,
    hoisted: dict[str, str],
    precision: int,
    clips: dict,
    as_masks: set[str],
    slack: float = 0.0,
) -> str:
    """A path whose clip lies within further clips, as groups around it, one per outer clip:
    ``clip-path`` on ``<clipPath>`` itself is valid SVG but cairosvg ignores it.  A clip
    written as a mask is applied by a masked group."""
    own = path.clip_path
    if own in as_masks:
        path = dataclasses.replace(path, clip_path=None)
    xml = _path_xml(path, hoisted, precision, slack)
    if own in as_masks:
        xml = f'<g mask="url(#{own})">{xml}</g>'
    clip = clips.get(own)
    seen = set()
    while clip is not None and clip.clip_path and clip.clip_path not in seen:
        outer = clip.clip_path
        seen.add(outer)
        attr = "mask" if outer in as_masks else "clip-path"
        xml = f'<g {attr}="url(#{outer})">{xml}</g>'
        clip = clips.get(outer)
    return xml


def _path_xml(path: Path, hoisted: dict[str, str], precision: int, slack: float = 0.0) -> str:
    """One shape element stating the attributes that differ from what it inherits."""
    tag, attrs = _geometry(path, precision, slack)
    for attr, field, initial, kind in _INHERITED_ATTRS:
        value = _attr_value(kind, getattr(path, field), precision)
        inherited = hoisted.get(attr, _attr_value(kind, initial, precision))
        if value != inherited and not (attr.startswith("stroke-") and path.stroke == "none"):
            attrs[attr] = value
    if path.stroke != "none" and path.stroke_dasharray:
        attrs["stroke-dasharray"] = ",".join(
            fmt(v, max(precision, 2)) for v in path.stroke_dasharray
        )
        if path.stroke_dashoffset:
            attrs["stroke-dashoffset"] = fmt(path.stroke_dashoffset, max(precision, 2))
    if path.opacity != 1:
        attrs["opacity"] = fmt(path.opacity, 3)
    if path.clip_path:
        attrs["clip-path"] = f"url(#{path.clip_path})"
    if path.mask:
        attrs["mask"] = f"url(#{path.mask})"
    return f"<{tag}{_attrs(attrs)}/>"
