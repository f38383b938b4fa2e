"""A :class:`~svgvl.understand.describe.Description` as compact lines a language model reads."""

from __future__ import annotations


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _xy(point) -> str:
    return f"({_n(point[0])}, {_n(point[1])})"


def _paint(shape) -> str:
    parts = []
    if shape.fill:
        parts.append(f"fill {shape.fill_name} {shape.fill}")
    if shape.stroke:
        parts.append(f"stroke {shape.stroke_name} {shape.stroke} width {_n(shape.stroke_width)}")
    return ", ".join(parts) or "unpainted"


def _geometry(shape) -> str:
    g = shape.geometry
    if shape.kind == "circle":
        text = f"centre {_xy(shape.centre)} r {_n(g['r'])}"
    elif shape.kind == "ellipse":
        text = f"centre {_xy(shape.centre)} rx {_n(g['rx'])} ry {_n(g['ry'])}"
    elif shape.kind in ("rect", "rounded-rect"):
        text = f"centre {_xy(shape.centre)} {_n(g['width'])}×{_n(g['height'])}"
        if "corner" in g:
            text += f" corner {_n(g['corner'])}"
    elif shape.kind == "line":
        text = f"from {_xy(g['from'])} to {_xy(g['to'])}"
    elif shape.kind in ("polygon", "polyline"):
        text = f"{len(g['points'])} points " + " ".join(_xy(p) for p in g["points"])
    else:
        text = f"centre {_xy(shape.centre)} size {_n(shape.size[0])}×{_n(shape.size[1])}"
    if shape.rotation:
        text += f" turned {_n(shape.rotation)}°"
    if shape.holes:
        text += f" with {shape.holes} hole{'s' if shape.holes > 1 else ''}"
    return text


def description_text(description) -> str:
    d, s = description, description.summary
    lines = [
        f"canvas {_n(d.width)}×{_n(d.height)}, y down; {s.shapes} shape"
        f"{'' if s.shapes == 1 else 's'} from bottom to top"
        + (" (traced from an image)" if d.source == "image" else "")
    ]
    for shape in d.shapes:
        lines.append(f"#{shape.z} {shape.kind}: {_geometry(shape)}; {_paint(shape)}")
    if s.omitted:
        lines.append(f"... {s.omitted} more shapes not listed")
    relations = []
    for shape in d.shapes:
        for other in shape.contains:
            relations.append(f"#{shape.z} contains #{other}")
        for other in shape.overlaps:
            if (
                other > shape.z
                and other not in shape.contains
                and shape.z not in (d.shapes[other].contains)
            ):
                relations.append(f"#{other} overlaps #{shape.z} (on top)")
        relations += [f"#{shape.z} touches #{o}" for o in shape.touches if o > shape.z]
    if relations:
        lines.append("relations: " + "; ".join(relations))
    kinds = ", ".join(f"{k} {v}" for k, v in s.kinds.items())
    colors = ", ".join(f"{k} {v}" for k, v in s.colors.items())
    lines.append(f"kinds: {kinds or 'none'}")
    lines.append(f"colours: {colors or 'none'}")
    if s.bbox:
        lines.append(f"bounding box {_xy(s.bbox[:2])} to {_xy(s.bbox[2:])}")
    mirror = [name for name, yes in s.symmetry.items() if yes]
    lines.append("symmetric: " + (", ".join(mirror) if mirror else "no"))
    if s.labels:
        lines.append("labels: " + ", ".join(f"{name} {score:.2f}" for name, score in s.labels))
    if d.dropped:
        lines.append("not described: " + ", ".join(d.dropped))
    return "\n".join(lines)
