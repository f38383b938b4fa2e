"""SVG path data: parse any ``d`` into absolute M/L/C/Z commands, transform, measure.

After parsing, a path is a list of ``(letter, coordinates)`` with only four letters — the shape
every later stage (writer, tokenizer, tracer, renderer checks) relies on:

- ``("M", (x, y))`` starts a subpath, ``("L", (x, y))`` a line,
- ``("C", (x1, y1, x2, y2, x, y))`` a cubic Bézier, ``("Z", ())`` closes the subpath.

H/V become L, Q/T become exact cubics, S/T reflections are resolved, and elliptical arcs become
cubics of at most 90° each (spec: https://www.w3.org/TR/SVG11/implnote.html#ArcImplementationNotes).
"""

from __future__ import annotations

import math
import re

from . import transform as tf
from .errors import SVGError
from .numbers import NUMBER, check_number

Command = tuple[str, tuple[float, ...]]

_ARITY = {"M": 2, "L": 2, "H": 1, "V": 1, "C": 6, "S": 4, "Q": 4, "T": 2, "A": 7, "Z": 0}
_SKIP = re.compile(r"[\s,]*")
_FLAG = re.compile(r"[01]")


def parse_path(d: str) -> list[Command]:
    """Parse path data strictly: any error raises :class:`SVGError` naming the offending text."""
    commands, error, _ = parse_path_prefix(d)
    if error:
        raise SVGError(f"invalid path data: {error}")
    return commands


def parse_path_prefix(d: str) -> tuple[list[Command], str | None, int]:
    """Parse as far as the data is valid, as the SVG error-handling rules render it.

    Returns the commands of the valid prefix, a description of the first error (or None), and
    the offset in ``d`` where the valid prefix ends (so that repair can cut the text there).
    """
    out: list[Command] = []
    pos = _SKIP.match(d, 0).end()
    letter = None
    cx = cy = sx = sy = 0.0  # current point, subpath start
    last_ctrl = None  # reflected control point for S/T: (letter-kind, x, y)
    n = len(d)
    end = pos  # end of the last complete command
    while pos < n:
        end = pos
        char = d[pos]
        if char.isalpha():
            letter = char
            if letter.upper() not in _ARITY:
                return out, f"unknown path command {letter!r} at offset {pos}", end
            pos = _SKIP.match(d, pos + 1).end()
            if letter in "Zz":
                if out:
                    out.append(("Z", ()))
                cx, cy, last_ctrl = sx, sy, None
                continue
        elif letter is None:
            return out, f"path data must start with a command, not {d[pos : pos + 12]!r}", end
        elif letter in "Zz":
            return out, f"unexpected number after Z at offset {pos}", end
        upper = letter.upper()
        args = []
        for i in range(_ARITY[upper]):
            match = _FLAG.match(d, pos) if upper == "A" and i in (3, 4) else NUMBER.match(d, pos)
            if not match:
                found = d[pos : pos + 12] or "end of data"
                return (
                    out,
                    f"expected a number for {letter!r} at offset {pos}, found {found!r}",
                    end,
                )
            try:
                args.append(check_number(float(match.group()), "path coordinate"))
            except SVGError as error:
                return out, f"{error.reason} in path data at offset {pos}", end
            pos = _SKIP.match(d, match.end()).end()
        relative = letter.islower()
        ox, oy = (cx, cy) if relative else (0.0, 0.0)
        if upper == "M":
            cx, cy = args[0] + ox, args[1] + oy
            sx, sy = cx, cy
            out.append(("M", (cx, cy)))
            letter = "l" if relative else "L"  # implicit lineto after moveto
            last_ctrl = None
            continue
        if not out:
            return out, "path data must start with a moveto (M or m)", end
        if out[-1][0] == "Z" and upper != "M":
            # A command after Z starts a new subpath at the closing point.
            out.append(("M", (cx, cy)))
        if upper in "LHV":
            x = cx if upper == "V" else args[0] + ox
            y = cy if upper == "H" else args[-1] + oy
            cx, cy = x, y
            out.append(("L", (x, y)))
            last_ctrl = None
        elif upper in "CS":
            if upper == "C":
                x1, y1 = args[0] + ox, args[1] + oy
                rest = args[2:]
            else:
                x1, y1 = (
                    (2 * cx - last_ctrl[1], 2 * cy - last_ctrl[2])
                    if last_ctrl and last_ctrl[0] == "C"
                    else (cx, cy)
                )
                rest = args
            x2, y2, x, y = rest[0] + ox, rest[1] + oy, rest[2] + ox, rest[3] + oy
            out.append(("C", (x1, y1, x2, y2, x, y)))
            last_ctrl = ("C", x2, y2)
            cx, cy = x, y
        elif upper in "QT":
            if upper == "Q":
                qx, qy = args[0] + ox, args[1] + oy
                x, y = args[2] + ox, args[3] + oy
            else:
                qx, qy = (
                    (2 * cx - last_ctrl[1], 2 * cy - last_ctrl[2])
                    if last_ctrl and last_ctrl[0] == "Q"
                    else (cx, cy)
                )
                x, y = args[0] + ox, args[1] + oy
            out.append(("C", quad_to_cubic(cx, cy, qx, qy, x, y)))
            last_ctrl = ("Q", qx, qy)
            cx, cy = x, y
        else:  # A
            rx, ry, angle, large, sweep = args[:5]
            x, y = args[5] + ox, args[6] + oy
            out.extend(
                ("C", c) if len(c) == 6 else ("L", c)
                for c in arc_to_cubics(cx, cy, rx, ry, angle, large, sweep, x, y)
            )
            last_ctrl = None
            cx, cy = x, y
    return out, None, len(d)


def quad_to_cubic(x0, y0, qx, qy, x, y) -> tuple[float, ...]:
    """The exact cubic for a quadratic Bézier (degree elevation)."""
    return (
        x0 + 2 / 3 * (qx - x0),
        y0 + 2 / 3 * (qy - y0),
        x + 2 / 3 * (qx - x),
        y + 2 / 3 * (qy - y),
        x,
        y,
    )


def arc_to_cubics(x0, y0, rx, ry, angle, large, sweep, x, y) -> list[tuple[float, ...]]:
    """Endpoint-parameterised elliptical arc → cubics (each ≤ 90°), or a line when degenerate.

    Follows the SVG implementation notes F.6.5 (centre conversion) and F.6.6 (radius correction).
    """
    if x0 == x and y0 == y:
        return []
    rx, ry = abs(rx), abs(ry)
    if rx == 0 or ry == 0:
        return [(x, y)]
    phi = math.radians(angle % 360)
    cos_phi, sin_phi = math.cos(phi), math.sin(phi)
    dx, dy = (x0 - x) / 2, (y0 - y) / 2
    x1p = cos_phi * dx + sin_phi * dy
    y1p = -sin_phi * dx + cos_phi * dy
    lam = (x1p / rx) ** 2 + (y1p / ry) ** 2
    if lam > 1:
        scale_r = math.sqrt(lam)
        rx, ry = rx * scale_r, ry * scale_r
    num = rx * rx * ry * ry - rx * rx * y1p * y1p - ry * ry * x1p * x1p
    den = rx * rx * y1p * y1p + ry * ry * x1p * x1p
    coef = math.sqrt(max(0.0, num / den)) if den else 0.0
    if bool(large) == bool(sweep):
        coef = -coef
    cxp, cyp = coef * rx * y1p / ry, -coef * ry * x1p / rx
    cx = cos_phi * cxp - sin_phi * cyp + (x0 + x) / 2
    cy = sin_phi * cxp + cos_phi * cyp + (y0 + y) / 2

    def angle_of(ux, uy, vx, vy):
        return math.atan2(ux * vy - uy * vx, ux * vx + uy * vy)

    theta1 = angle_of(1, 0, (x1p - cxp) / rx, (y1p - cyp) / ry)
    delta = angle_of((x1p - cxp) / rx, (y1p - cyp) / ry, (-x1p - cxp) / rx, (-y1p - cyp) / ry)
    if not sweep and delta > 0:
        delta -= 2 * math.pi
    elif sweep and delta < 0:
        delta += 2 * math.pi
    segments = max(1, math.ceil(abs(delta) / (math.pi / 2) - 1e-9))
    step = delta / segments
    k = 4 / 3 * math.tan(step / 4)
    out = []
    t = theta1
    for i in range(segments):
        c1, s1 = math.cos(t), math.sin(t)
        c2, s2 = math.cos(t + step), math.sin(t + step)
        p1 = (c1 - k * s1, s1 + k * c1)
        p2 = (c2 + k * s2, s2 - k * c2)
        p3 = (c2, s2)
        pts = []
        for px, py in (p1, p2, p3):
            ex, ey = px * rx, py * ry
            pts += [cos_phi * ex - sin_phi * ey + cx, sin_phi * ex + cos_phi * ey + cy]
        if i == segments - 1:
            pts[4], pts[5] = x, y  # land exactly on the endpoint
        out.append(tuple(pts))
        t += step
    return out


def ellipse_path(cx: float, cy: float, rx: float, ry: float) -> list[Command]:
    """Four quarter arcs from the rightmost point, clockwise on screen (SVG 2 circle/ellipse)."""
    out: list[Command] = [("M", (cx + rx, cy))]
    x0, y0 = cx + rx, cy
    for x, y in ((cx, cy + ry), (cx - rx, cy), (cx, cy - ry), (cx + rx, cy)):
        out.extend(("C", c) for c in arc_to_cubics(x0, y0, rx, ry, 0, 0, 1, x, y))
        x0, y0 = x, y
    out.append(("Z", ()))
    return out


def rect_path(
    x: float, y: float, w: float, h: float, rx: float = 0.0, ry: float = 0.0
) -> list[Command]:
    """A rectangle, with elliptical corners of radii (rx, ry) when both are positive (SVG 2 rect);
    radii are taken as already clamped to half the width and height."""
    if rx <= 0 or ry <= 0:
        return [
            ("M", (x, y)),
            ("L", (x + w, y)),
            ("L", (x + w, y + h)),
            ("L", (x, y + h)),
            ("Z", ()),
        ]
    out: list[Command] = [("M", (x + rx, y)), ("L", (x + w - rx, y))]
    corners = [
        (x + w, y + ry, (x + w, y + h - ry)),
        (x + w - rx, y + h, (x + rx, y + h)),
        (x, y + h - ry, (x, y + ry)),
        (x + rx, y, None),
    ]
    cx, cy = x + w - rx, y
    for ex, ey, line_to in corners:
        out.extend(("C", c) for c in arc_to_cubics(cx, cy, rx, ry, 0, 0, 1, ex, ey))
        cx, cy = ex, ey
        if line_to and line_to != (cx, cy):
            out.append(("L", line_to))
            cx, cy = line_to
    out.append(("Z", ()))
    return out


def reverse_path(commands: list[Command]) -> list[Command]:
    """The same closed subpaths traversed the other way (flips the winding for nonzero fills)."""
    out: list[Command] = []
    subpaths: list[list[Command]] = []
    for letter, coords in commands:
        if letter == "M":
            subpaths.append([(letter, coords)])
        elif subpaths:
            subpaths[-1].append((letter, coords))
    for sub in subpaths:
        closed = sub[-1][0] == "Z"
        body = sub[:-1] if closed else sub
        points = [body[0][1]]
        for _, c in body[1:]:
            points.append(c[-2:])
        out.append(("M", points[-1]))
        for i in range(len(body) - 1, 0, -1):
            letter, c = body[i]
            start = points[i - 1]
            out.append(("C", (c[2], c[3], c[0], c[1], *start)) if letter == "C" else ("L", start))
        if closed:
            out.append(("Z", ()))
    return out


def transform_path(commands: list[Command], m: tf.Affine) -> list[Command]:
    """Apply an affine transform to every point (exact: M/L/C are closed under affine maps)."""
    if m == tf.IDENTITY:
        return list(commands)
    out = []
    for letter, coords in commands:
        points = []
        for i in range(0, len(coords), 2):
            points.extend(tf.apply(m, coords[i], coords[i + 1]))
        out.append((letter, tuple(points)))
    return out


def _cubic_extrema(p0, p1, p2, p3) -> list[float]:
    """Parameters in (0, 1) where one coordinate of a cubic has zero derivative."""
    a = -p0 + 3 * p1 - 3 * p2 + p3
    b = 2 * (p0 - 2 * p1 + p2)
    c = p1 - p0
    roots = []
    if abs(a) < 1e-12:
        if abs(b) > 1e-12:
            roots.append(-c / b)
    else:
        disc = b * b - 4 * a * c
        if disc >= 0:
            sq = math.sqrt(disc)
            roots += [(-b + sq) / (2 * a), (-b - sq) / (2 * a)]
    return [t for t in roots if 0 < t < 1]


def bounding_box(commands: list[Command]) -> tuple[float, float, float, float] | None:
    """Exact geometric bounds (x0, y0, x1, y1) of the path, curves included; None when empty."""
    xs: list[float] = []
    ys: list[float] = []
    cx = cy = 0.0
    for letter, c in commands:
        if letter in "ML":
            cx, cy = c
            xs.append(cx)
            ys.append(cy)
        elif letter == "C":
            for t in _cubic_extrema(cx, c[0], c[2], c[4]) + _cubic_extrema(cy, c[1], c[3], c[5]):
                mt = 1 - t
                xs.append(mt**3 * cx + 3 * mt * mt * t * c[0] + 3 * mt * t * t * c[2] + t**3 * c[4])
                ys.append(mt**3 * cy + 3 * mt * mt * t * c[1] + 3 * mt * t * t * c[3] + t**3 * c[5])
            cx, cy = c[4], c[5]
            xs.append(cx)
            ys.append(cy)
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


def subpath_points(
    commands: list[Command], spacing: float = 1.0
) -> list[tuple[list[tuple[float, float]], bool]]:
    """Each subpath sampled as points about ``spacing`` apart (lines and cubics alike, corners
    kept as points), with whether it is closed: the outline that shape recognition reads."""
    out: list[tuple[list[tuple[float, float]], bool]] = []
    points: list[tuple[float, float]] = []
    closed = False

    def finish():
        if points:
            out.append((points, closed))

    cx = cy = 0.0
    for letter, c in commands:
        if letter == "M":
            finish()
            points, closed = [tuple(c)], False
            cx, cy = c
            continue
        if not points:
            points = [(cx, cy)]
        if letter == "Z":  # the closing line, without repeating the start point
            sx, sy = points[0]
            n = max(1, math.ceil(math.hypot(sx - cx, sy - cy) / spacing))
            points.extend((cx + (sx - cx) * i / n, cy + (sy - cy) * i / n) for i in range(1, n))
            if len(points) > 1 and math.dist(points[-1], points[0]) < 1e-9:
                points.pop()
            closed = True
            finish()
            points, (cx, cy) = [], (sx, sy)
            continue
        if letter == "L":
            n = max(1, math.ceil(math.hypot(c[0] - cx, c[1] - cy) / spacing))
            points.extend(
                (cx + (c[0] - cx) * i / n, cy + (c[1] - cy) * i / n) for i in range(1, n + 1)
            )
        else:  # C: its control polygon bounds its length
            hull = (
                math.dist((cx, cy), c[0:2]) + math.dist(c[0:2], c[2:4]) + math.dist(c[2:4], c[4:6])
            )
            n = max(2, math.ceil(hull / spacing))
            for i in range(1, n + 1):
                t = i / n
                mt = 1 - t
                a, b, d, e = mt**3, 3 * mt * mt * t, 3 * mt * t * t, t**3
                points.append(
                    (
                        a * cx + b * c[0] + d * c[2] + e * c[4],
                        a * cy + b * c[1] + d * c[3] + e * c[5],
                    )
                )
        cx, cy = c[-2], c[-1]
    finish()
    return out
