"""describe: shapes of real SVGs and of generated scenes, from SVG and from images; the CLI."""

import json
import math

import numpy as np
import pytest

from svgvl.cli import main
from svgvl.svg.pathdata import ellipse_path, rect_path, subpath_points, transform_path
from svgvl.svg.transform import rotate
from svgvl.trace.primitives import recognise, recognise_outline
from svgvl.understand import describe
from svgvl.understand.colors import color_name
from svgvl.understand.scenes import PALETTE, random_scene

from .conftest import SVG_FIXTURES

SHAPES = SVG_FIXTURES / "icons" / "lucide-shapes.svg"  # a triangle path, a rounded square, a circle


def outline(commands):
    ((pts, closed),) = subpath_points(commands)
    return np.array(pts), closed


def svg(body: str, size: int = 100) -> str:
    return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}">{body}</svg>'


# -- the recogniser, turned shapes included ------------------------------------------------


def test_turned_shapes_are_recognised_with_their_angle():
    ellipse = recognise_outline(
        *outline(transform_path(ellipse_path(50, 50, 30, 12), rotate(30, 50, 50))), 0.3
    )
    assert ellipse[0] == "ellipse" and ellipse[1:3] == pytest.approx((50, 50), abs=0.01)
    assert sorted(ellipse[3:5]) == pytest.approx([12, 30], abs=0.05)
    rect = recognise_outline(
        *outline(transform_path(rect_path(20, 30, 40, 20, 5, 5), rotate(20, 40, 40))), 0.3
    )
    assert (
        rect[0] == "rect" and rect[5] == pytest.approx(5, abs=0.3) and rect[6] == pytest.approx(20)
    )
    triangle = recognise_outline(
        np.array([(10, 10), (80, 20), (40, 90)], float).repeat(1, 0), True, 0.3
    )
    assert triangle[0] == "polygon" and len(triangle) == 4
    line = recognise_outline(*outline([("M", (0, 0)), ("L", (50, 10))]), 0.3)
    assert line == ("line", 0.0, 0.0, 50.0, 10.0)


def test_a_smooth_curve_is_no_polygon():
    """Cut into chords within the tolerance, a curve still bulges from them: a free path."""
    blob = [
        ("M", (10, 50)),
        ("C", (10, 0, 60, 10, 80, 40)),
        ("C", (100, 70, 40, 110, 10, 50)),
        ("Z", ()),
    ]
    assert recognise_outline(*outline(blob), 0.4) is None


def test_a_circle_half_hidden_is_still_a_circle():
    """Points where another shape cuts the outline are marked hidden; the rest must fit."""
    pts, closed = outline(ellipse_path(50, 50, 20, 20))
    hidden = pts[:, 0] > 60
    cut = pts.copy()
    cut[hidden, 0] = 60  # a square on top cuts it straight
    assert (
        recognise_outline(cut, True, 0.4) is None
        or recognise_outline(cut, True, 0.4)[0] != "circle"
    )
    shape = recognise_outline(cut, True, 0.4, hidden)
    assert shape[0] == "circle" and shape[3] == pytest.approx(20, abs=0.2)


def test_the_tracer_still_recognises_only_axis_aligned_shapes():
    """The tracer calls recognise without ``turned``: a rotated rectangle stays a path there,
    and an upright one keeps the tracer's six-number tuple."""
    turned, _ = outline(transform_path(rect_path(20, 30, 40, 20), rotate(25, 40, 40)))
    assert recognise(turned, 800.0, 0.5) is None
    upright, _ = outline(rect_path(20, 30, 40, 20))
    assert recognise(upright, 800.0, 0.5) == pytest.approx(("rect", 20, 30, 40, 20, 0.0))


# -- describe on SVG -----------------------------------------------------------------------


def test_describe_a_real_icon():
    d = describe(SHAPES)
    assert [s.kind for s in d.shapes] == ["path", "rounded-rect", "circle"]
    circle = d.shapes[2]
    assert circle.centre == (17.5, 17.5) and circle.geometry["r"] == 3.5
    assert circle.fill is None and circle.stroke_name == "black" and circle.stroke_width == 2
    assert d.shapes[1].geometry == {"width": 7.0, "height": 7.0, "corner": 1.0}
    assert d.summary.kinds == {"circle": 1, "path": 1, "rounded-rect": 1}


def test_geometry_paint_and_relations():
    d = describe(
        svg(
            '<rect x="10" y="10" width="60" height="60" fill="#ff0000"/>'
            '<circle cx="40" cy="40" r="10" fill="#0000ff"/>'  # inside the square, on top
            '<ellipse cx="80" cy="80" rx="15" ry="6" fill="#008000" transform="rotate(45 80 80)"/>'
            '<line x1="70" y1="10" x2="95" y2="10" stroke="black" stroke-width="2"/>'  # touches
            '<polygon points="5,95 25,95 15,75" fill="yellow"/>'
        )
    )
    square, circle, ellipse, line, triangle = d.shapes
    assert [s.kind for s in d.shapes] == ["rect", "circle", "ellipse", "line", "polygon"]
    assert (square.fill_name, circle.fill_name, ellipse.fill_name) == ("red", "blue", "green")
    assert square.contains == [1] and circle.overlaps == [0]
    assert abs(ellipse.rotation) == 45 and ellipse.geometry["rx"] == 15
    assert line.geometry == {"from": (70.0, 10.0), "to": (95.0, 10.0)} and line.touches == [0]
    assert triangle.geometry["points"] and triangle.overlaps == [] and triangle.touches == []
    assert square.area == pytest.approx(3600, rel=0.02)


def test_symmetry_of_the_rendering():
    heart = describe(SVG_FIXTURES / "icons" / "tabler-heart.svg")
    assert heart.summary.symmetry == {"left-right": True, "top-bottom": False}
    dot = describe(svg('<circle cx="30" cy="60" r="10" fill="red"/>'))
    assert dot.summary.symmetry == {"left-right": True, "top-bottom": True}


def test_text_and_json_and_the_labels_hook():
    d = describe(SHAPES, labels=[("shapes", 0.91), ("toys", 0.05)])
    text = d.to_text()
    assert "#2 circle: centre (17.5, 17.5) r 3.5; stroke black #000000 width 2" in text
    assert "labels: shapes 0.91, toys 0.05" in text
    data = json.loads(json.dumps(d.to_dict()))
    assert data["summary"]["labels"] == [["shapes", 0.91], ["toys", 0.05]]
    assert data["shapes"][2]["kind"] == "circle"


def test_colour_names_are_the_nearest_css_colour():
    assert color_name("#fc0101") == "red" and color_name("#000081") == "navy"
    assert all(color_name(hex_) == name for name, hex_ in PALETTE.items())


@pytest.mark.parametrize("seed", range(4))
def test_generated_scenes_from_svg_are_described_exactly(seed):
    scene = random_scene(seed)
    d = describe(scene.svg())
    assert [(s.kind, s.color) for s in d.shapes] == [(p.kind, p.color) for p in scene.shapes]
    for truth, shape in zip(scene.shapes, d.shapes, strict=True):
        assert math.dist(truth.centre, shape.centre) < 1.0


def test_scenes_are_seeded_and_keep_their_shapes_in_view():
    a, b = random_scene(7), random_scene(7)
    assert a.svg() == b.svg() and a.svg() != random_scene(8).svg()
    assert all(s.visible >= 0.7 for s in a.shapes)
    assert len({s.color for s in a.shapes}) == len(a.shapes)
    assert a.png()[:4] == b"\x89PNG" and a.jpeg()[:2] == b"\xff\xd8"


# -- describe on images ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["png", "jpeg"])
def test_an_image_is_traced_and_described(fmt):
    """Apart shapes come back with their kinds, colours and places from a raster."""
    from svgvl.understand.scenes import _encode

    text = svg(
        '<circle cx="60" cy="60" r="35" fill="#ff0000"/>'
        '<rect x="140" y="30" width="80" height="50" fill="#0000ff"/>'
        '<polygon points="40,230 110,230 75,160" fill="#008000"/>'
        '<line x1="150" y1="140" x2="230" y2="220" stroke="#000000" stroke-width="6"/>',
        256,
    )
    from svgvl.render import rasterize

    pixels = rasterize(text, size=256)
    d = describe(
        _encode(
            pixels, "PNG" if fmt == "png" else "JPEG", **({} if fmt == "png" else {"quality": 75})
        )
    )
    assert d.source == "image"  # traced, not parsed
    found = sorted((s.kind, s.color) for s in d.shapes)
    assert found == [("circle", "red"), ("line", "black"), ("polygon", "green"), ("rect", "blue")]
    circle = next(s for s in d.shapes if s.kind == "circle")
    assert math.dist(circle.centre, (60, 60)) < 1.5 and abs(circle.geometry["r"] - 35) < 1.5


def test_a_partly_hidden_shape_and_the_stacking_from_an_image():
    """A circle half under a square is still a circle, and below it."""
    from svgvl.render import rasterize
    from svgvl.understand.scenes import _encode

    text = svg(
        '<circle cx="100" cy="128" r="50" fill="#ffa500"/>'
        '<rect x="120" y="90" width="90" height="80" fill="#800080"/>',
        256,
    )
    d = describe(_encode(rasterize(text, size=256), "PNG"))
    assert [(s.kind, s.color) for s in d.shapes] == [("circle", "orange"), ("rect", "purple")]
    assert d.shapes[0].geometry["r"] == pytest.approx(50, abs=1.5)
    assert d.shapes[1].overlaps == [0]


# -- the command ---------------------------------------------------------------------------


def test_cli_describe_prints_text_and_json(capsys):
    assert main(["describe", str(SHAPES)]) == 0
    assert "#1 rounded-rect" in capsys.readouterr().out
    assert main(["describe", str(SHAPES), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["shapes"] == 3


@pytest.mark.parametrize(
    "content, reason",
    [(None, "no such file"), (b"", "empty"), (b"<svg", "XML"), (b"\x89PNG garbage", "image")],
)
def test_cli_describe_bad_input_is_one_line(tmp_path, capsys, content, reason):
    path = tmp_path / ("in.png" if content and content.startswith(b"\x89") else "in.svg")
    if content is not None:
        path.write_bytes(content)
    assert main(["describe", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err and reason in err and "Traceback" not in err


def test_strokes_that_close_are_outlines_and_only_fills_have_holes():
    rings = "M4 12a8 8 0 1 0 16 0a8 8 0 1 0-16 0M8 12a4 4 0 1 0 8 0a4 4 0 1 0-8 0"
    d = describe(
        svg(
            f'<path d="{rings}" fill="none" stroke="red"/>'
            f'<path d="{rings}" fill="blue" fill-rule="evenodd"/>',
            24,
        )
    )
    assert [(s.kind, s.holes) for s in d.shapes] == [("circle", 0), ("circle", 0), ("circle", 1)]
    assert [s.geometry["r"] for s in d.shapes] == [8, 4, 8]
    assert d.shapes[0].contains == [1, 2]  # a stroked ring encloses what lies inside it


def test_an_empty_image_has_no_shapes():
    d = describe(np.full((32, 32, 3), 255, np.uint8))
    assert d.shapes == [] and d.summary.shapes == 0 and "0 shapes" in d.to_text()


def test_a_translucent_tone_is_a_shape_of_its_own():
    """A duotone icon as a transparent PNG: the tracer draws its 20 % tone as a translucent
    path of the outline's own colour, which describe merged with the outline (alike colours);
    seen on white it is another colour, and another shape, named by how it looks."""
    from svgvl.render import rasterize

    from .test_trace_translucent import DUOTONE

    shapes = describe(rasterize(DUOTONE, size=200, background=None)).shapes
    tone = [s for s in shapes if s.kind == "rect"]
    assert len(shapes) == 2 and len(tone) == 1
    x0, y0, x1, y1 = tone[0].bbox  # the tone: 40..216 x 72..208 of 256, inside the outline
    assert abs(x0 - 40 * 200 / 256) < 6 and abs(y1 - 208 * 200 / 256) < 6
    # Its colour as it looks on white (black at 20 %: #cccccc), as a reader would name it.
    assert abs(int(tone[0].fill[1:3], 16) - 0xCC) <= 8 and tone[0].fill_name != "black"
