"""Painting: markers, context paint, paint-order and font-relative stroke lengths — the geometry
on small paths with known answers, then resvg's own test files through normalize → write →
cairosvg against the original's picture."""

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from svgvl.metrics.fidelity import ssim
from svgvl.render import rasterize
from svgvl.svg import normalize, parse, write
from svgvl.svg.markers import vertices
from svgvl.svg.painting import paint_order
from svgvl.svg.pathdata import parse_path

RESVG = Path(__file__).parent / "fixtures" / "resvg" / "painting"
NS = 'xmlns="http://www.w3.org/2000/svg"'


def angles(d: str) -> list[tuple[str, float, float, float]]:
    return [(k, x, y, round(a, 6) % 360) for k, x, y, a in vertices(parse_path(d))]


def test_vertex_directions_on_lines():
    # start: the outgoing direction; mid: the bisector of in and out; end: the incoming one.
    assert angles("M0 0 L10 0 L10 10") == [
        ("start", 0, 0, 0.0),
        ("mid", 10, 0, 45.0),
        ("end", 10, 10, 90.0),
    ]


def test_closed_subpath_ends_at_its_start_along_the_closing_line():
    kinds = angles("M0 0 L10 0 L10 10 Z Z Z")  # repeated closepaths are one
    assert [k for k, *_ in kinds] == ["start", "mid", "mid", "end"]
    assert kinds[-1][1:3] == (0, 0)
    assert kinds[-1][3] == pytest.approx(225.0)  # from (10, 10) back to (0, 0)
    assert kinds[2][3] == pytest.approx((90 + 225) / 2)


def test_curve_tangents_come_from_control_points():
    # Leaves straight down, arrives moving right: a control point on the vertex is skipped.
    (_, *_, a_start), (_, *_, a_end) = angles("M0 0 C0 10 10 20 20 20")
    assert a_start == pytest.approx(90.0)
    assert a_end == pytest.approx(0.0)
    degenerate = angles("M0 0 C0 0 10 10 10 10")
    assert degenerate[0][3] == pytest.approx(45.0)
    assert degenerate[1][3] == pytest.approx(45.0)


def test_a_new_subpath_gets_a_mid_marker():
    kinds = [k for k, *_ in angles("M0 0 L10 0 M20 0 L30 0")]
    assert kinds == ["start", "mid", "mid", "end"]


def test_paint_order_keywords():
    assert paint_order("stroke") == ("stroke", "fill", "markers")
    assert paint_order("markers stroke") == ("markers", "stroke", "fill")
    for invalid in ("stroke stroke", "stroke invalid", "stroke markers fill qwe", "normal x"):
        assert paint_order(invalid) == ("fill", "stroke", "markers")


def test_stroke_painted_first_becomes_its_own_path():
    svg = (
        f'<svg {NS} viewBox="0 0 20 20"><rect x="2" y="2" width="16" height="16" fill="red" '
        'stroke="blue" stroke-width="4" paint-order="stroke"/></svg>'
    )
    stroke, fill = normalize(svg).paths
    assert (stroke.fill, stroke.stroke, fill.fill, fill.stroke) == (
        "none",
        "#0000ff",
        "#ff0000",
        "none",
    )


def test_marker_instance_geometry():
    # A 2×2 square marker centred on each vertex, scaled by the stroke width 3 and turned.
    svg = (
        f'<svg {NS} viewBox="0 0 100 100"><marker id="m" refX="1" refY="1" markerWidth="2" '
        'markerHeight="2" orient="auto"><rect width="2" height="2"/></marker>'
        '<path d="M10 10 L50 10 L50 50" stroke="none" stroke-width="3" fill="none" '
        'marker-start="url(#m)" marker-end="url(#m)"/></svg>'
    )
    drawing = normalize(svg)
    starts = [p.d[0][1] for p in drawing.paths]
    assert starts[0] == pytest.approx((7, 7))  # (10, 10) - 3·(1, 1), not turned
    assert starts[1] == pytest.approx((53, 47))  # turned 90° about (50, 50)
    # The content lies inside the marker's box, so its overflow clip changes nothing: left out.
    assert [p.clip_path for p in drawing.paths] == [None, None] and drawing.clips == {}
    overflowing = normalize(svg.replace('width="2" height="2"/>', 'width="3" height="2"/>'))
    assert all(p.clip_path in overflowing.clips for p in overflowing.paths)


def test_context_paint_in_use():
    svg = (
        f'<svg {NS} xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 20 20"><defs>'
        '<rect id="r" width="10" height="10" fill="context-stroke" stroke="context-fill"/>'
        '</defs><use xlink:href="#r" fill="#00ff00" stroke="#0000ff"/>'
        '<rect width="1" height="1" fill="context-fill"/></svg>'
    )
    inside, *outside = normalize(svg).paths
    assert (inside.fill, inside.stroke) == ("#0000ff", "#00ff00")
    assert outside == []  # no context element: context-fill paints nothing


def _reference_png(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        rgba = np.asarray(image.convert("RGBA"), np.float64)
    alpha = rgba[..., 3:4] / 255.0
    return np.rint(rgba[..., :3] * alpha + 255.0 * (1 - alpha)).astype(np.uint8)


# cairosvg agrees with the spec on these, so its render of the original is the reference.
AGAINST_CAIROSVG = [
    "marker/with-viewBox-1",
    "marker/target-with-subpaths-2",
    "marker/orient=auto-start-reverse",
    "marker/the-marker-property-in-CSS",
    "marker/orient=auto-on-M-L-L-Z-Z-Z",
    "stroke-dasharray/em-units",
]
# cairosvg is wrong on these (no marker clip, fits markers to their content, no paint-order,
# no context paint, no nested markers): resvg's reference PNG is the picture to match.
AGAINST_RESVG = [
    "marker/default-clip",
    "marker/with-markerUnits=userSpaceOnUse",
    "marker/orient=auto-on-M-C-C-4",
    "marker/nested",
    "context/in-marker",
    "context/in-use",
    "context/in-nested-use-and-marker",
    "context/with-gradient-on-marker",  # cairosvg cannot read its orient="0.25turn"
    "paint-order/stroke",
    "paint-order/stroke-markers",
    "paint-order/fill-markers-stroke",
    "paint-order/markers",
]


def _normalized_render(name: str, size: tuple[int, int]) -> np.ndarray:
    drawing = normalize(parse((RESVG / f"{name}.svg").read_bytes()), canvas=size)
    # nested.svg's half-transparent marker path carries markers of its own: named, not lost.
    assert [note for note in drawing.dropped if "group opacity" not in note] == []
    return rasterize(write(drawing), size)


@pytest.mark.parametrize("name", AGAINST_CAIROSVG)
def test_markers_render_like_cairosvg(name):
    original = rasterize(parse((RESVG / f"{name}.svg").read_bytes()), (300, 300))
    assert ssim(_normalized_render(name, (300, 300)), original) >= 0.99


@pytest.mark.parametrize("name", AGAINST_RESVG)
def test_markers_render_like_resvg(name):
    reference = _reference_png(RESVG / f"{name}.png")
    size = (reference.shape[1], reference.shape[0])
    assert ssim(_normalized_render(name, size), reference) >= 0.99


@pytest.mark.parametrize(
    "name, reason",
    [
        ("marker/with-a-text-child", "<text> in a marker"),
        ("marker/on-ArcTo", "marker-mid on an elliptical arc"),
        ("opacity/group-opacity", "group opacity"),
    ],
)
def test_what_is_not_carried_is_named(name, reason):
    drawing = normalize(parse((RESVG / f"{name}.svg").read_bytes()))
    assert any(reason in note for note in drawing.dropped), drawing.dropped


def test_context_gradient_spans_the_use_not_each_shape():
    # SVG 2: objectBoundingBox units of a context paint server are the context element's box.
    svg = (
        f'<svg {NS} xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 100 100"><defs>'
        '<linearGradient id="lg"><stop offset="0" stop-color="#000"/>'
        '<stop offset="1" stop-color="#fff"/></linearGradient>'
        '<g id="g"><rect x="0" width="10" height="10" fill="context-fill"/>'
        '<rect x="90" width="10" height="10" fill="context-fill"/></g></defs>'
        '<use xlink:href="#g" x="0" fill="url(#lg)"/></svg>'
    )
    drawing = normalize(svg)
    left, right = (drawing.gradients[p.fill[5:-1]] for p in drawing.paths)
    assert left is right or left.geometry == right.geometry
    assert (left.geometry["x1"], left.geometry["x2"]) == pytest.approx((0.0, 100.0))


def test_blend_modes_are_named():
    svg = f'<svg {NS}><rect width="5" height="5" style="mix-blend-mode: multiply"/></svg>'
    assert normalize(svg).dropped == ["mix-blend-mode multiply"]


def test_group_opacity_without_overlap_is_exact():
    svg = (
        f'<svg {NS} viewBox="0 0 20 20"><g opacity=".5"><rect width="5" height="5"/>'
        '<rect x="10" width="5" height="5"/></g></svg>'
    )
    assert normalize(svg).dropped == []


def test_marker_angle_units():
    svg = (
        f'<svg {NS} viewBox="0 0 100 100"><marker id="m" orient="{{}}" markerWidth="4" '
        'markerHeight="4" overflow="visible"><path d="M0 0 L4 0" stroke="#000"/></marker>'
        '<path d="M10 10 L50 10" marker-start="url(#m)"/></svg>'
    )
    for orient, expected in [("0.25turn", 90), ("100grad", 90), ("-45", -45)]:
        path = normalize(svg.format(orient)).paths[-1]  # the marker, after its path
        (x0, y0), (x1, y1) = path.d[0][1], path.d[1][1]
        assert math.degrees(math.atan2(y1 - y0, x1 - x0)) == pytest.approx(expected)


def test_em_stroke_lengths_follow_the_inherited_font_size():
    svg = (
        f'<svg {NS} viewBox="0 0 100 100"><g font-size="20"><g font-size="50%">'
        '<path d="M0 0 L50 0" stroke="#000" stroke-width=".5em" stroke-dasharray="1em 2ex"/>'
        "</g></g></svg>"
    )
    path = normalize(svg).paths[0]
    assert path.stroke_width == pytest.approx(5.0)
    assert path.stroke_dasharray == pytest.approx((10.0, 10.0))
