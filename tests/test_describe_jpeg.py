"""describe from JPEG: the cleanup before tracing, polygons with rounded corners, thin strokes."""

import math

import numpy as np
import pytest

from svgvl.images import load_image
from svgvl.render import rasterize
from svgvl.svg.pathdata import ellipse_path, subpath_points
from svgvl.trace.primitives import _sided_polygon, recognise_outline
from svgvl.understand import describe
from svgvl.understand.cleanup import quieted
from svgvl.understand.describe import Shape, _unhooked
from svgvl.understand.scenes import KINDS, _encode, random_scene


def svg(body: str) -> str:
    return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 256 256">{body}</svg>'


def test_a_jpeg_is_cleaned_to_its_colours_and_a_png_left_alone():
    """The fills' colours come back from their flat stretches, the thin line's from its own
    pixels; a clean render is not touched."""
    pixels = rasterize(
        svg(
            '<rect x="20" y="20" width="100" height="80" fill="#ffa500"/>'
            '<circle cx="180" cy="180" r="50" fill="#000080"/>'
            '<line x1="20" y1="200" x2="110" y2="140" stroke="#008080" stroke-width="3"/>'
        ),
        size=256,
    )
    png = load_image(_encode(pixels, "PNG"), background=None)
    assert quieted(png)[1] is None and quieted(png)[0] is png
    jpeg = load_image(_encode(pixels, "JPEG", quality=75), background=None)
    cleaned, dominant, strokes = quieted(jpeg)
    for color in ((255, 255, 255), (255, 165, 0), (0, 0, 128)):
        assert np.linalg.norm(dominant - color, axis=1).min() < 12
    assert len(dominant) == 3  # no ringing colour among them
    assert len(strokes) == 1 and np.linalg.norm(strokes[0] - (0, 128, 128)) < 60
    assert (cleaned[60, 70, :3] == np.round(dominant[1])).all()  # snapped inside the rect


def rounded_polygon(corners, blur, noise, seed=0):
    """A polygon's outline with its corners rounded (averaged over ``blur`` px of its length,
    as a JPEG's trace has them), and jittered."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    ends = np.roll(corners, -1, 0)
    dense = np.vstack(
        [
            np.linspace(a, b, int(2 * np.hypot(*(b - a))), endpoint=False)
            for a, b in zip(corners, ends, strict=True)
        ]
    )
    dense = ndimage.uniform_filter1d(dense, int(2 * blur), axis=0, mode="wrap")
    return dense + rng.normal(0, noise, dense.shape)


def test_a_traced_polygon_with_rounded_corners_is_a_polygon_and_a_blob_is_not():
    angles = np.radians(90 + 72 * np.arange(5))
    pentagon = np.stack([128 + 40 * np.cos(angles), 128 + 40 * np.sin(angles)], 1)
    pts = rounded_polygon(pentagon, 4.0, 0.03)
    seen = np.zeros(len(pts), bool)
    assert recognise_outline(pts, True, 1.5, seen)[0] == "polygon"
    corners = _sided_polygon(pts, seen, 1.5 * 1.5)  # its sides, met where they cross
    assert len(corners) == 5
    assert max(min(math.dist(c, p) for p in corners) for c in pentagon) < 2.0
    blob = [
        ("M", (60, 128)),
        ("C", (60, 40, 180, 50, 200, 110)),
        ("C", (220, 170, 120, 230, 60, 128)),
        ("Z", ()),
    ]
    ((curve, _),) = subpath_points(blob)
    assert recognise_outline(np.array(curve), True, 1.5, np.zeros(len(curve), bool)) is None
    ((circle, _),) = subpath_points(ellipse_path(128, 128, 30, 30))
    assert recognise_outline(np.array(circle), True, 1.5, np.zeros(len(circle), bool))[0] == (
        "circle"
    )


def test_a_line_with_a_hook_where_it_meets_a_shape_is_a_line():
    fit = ("polyline", (10.0, 10.0), (110.0, 60.0), (118.0, 52.0))
    shape = Shape(0, "polyline", (64, 35), (108, 50), (10, 10, 118, 60), 0.0, stroke="#000000")
    shape.stroke_width = 4.0
    shape, fit = _unhooked(shape, fit, 20.0)
    assert shape.kind == "line" and fit == ("line", 10.0, 10.0, 110.0, 60.0)
    assert shape.centre == (60.0, 35.0)
    real = ("polyline", (10.0, 10.0), (60.0, 60.0), (110.0, 10.0))
    assert (
        _unhooked(Shape(0, "polyline", (60, 35), (100, 50), (10, 10, 110, 60), 0.0), real, 20.0)[1]
        == real
    )


@pytest.mark.parametrize("seed", [1, 11, 28, 2263])
def test_generated_scenes_from_jpeg_are_counted_and_named_right(seed):
    """Scenes with a thin pink line (1), a pentagon whose corners the JPEG rounds (11), a
    thin teal line that the tracer alone merged into a grey shape (28) and a magenta line
    crossing an olive one, whose blend at the crossing the tracer gives a layer of its own
    (2263): a piece within two pixels of the strokes, which is dropped."""
    scene = random_scene(seed)
    d = describe(scene.jpeg())
    assert len(d.shapes) == len(scene.shapes)
    for kind in KINDS:
        assert sum(s.kind == kind for s in d.shapes) == sum(s.kind == kind for s in scene.shapes)
    assert sorted(s.color for s in d.shapes) == sorted(s.color for s in scene.shapes)


def jpeg_of(body: str) -> bytes:
    return _encode(rasterize(svg(body), size=256), "JPEG", quality=75)


def test_crossing_thin_strokes_each_keep_their_colour():
    """Thin lines that cross make one group of odd pixels: each colour is still found, and a
    thin blue line reads blue, not the medium blue its blurred colour averages to (at 3 px
    even its middle keeps too little of its colour for that)."""
    jpeg = load_image(
        jpeg_of(
            '<line x1="20" y1="60" x2="230" y2="200" stroke="#00ffff" stroke-width="5"/>'
            '<line x1="30" y1="200" x2="220" y2="40" stroke="#0000ff" stroke-width="3"/>'
        ),
        background=None,
    )
    _, dominant, strokes = quieted(jpeg)
    found = np.vstack([dominant, strokes])
    for color in ((0, 255, 255), (0, 0, 255)):
        assert np.linalg.norm(found - color, axis=1).min() < 60
    d = describe(
        jpeg_of('<line x1="30" y1="200" x2="220" y2="40" stroke="#0000ff" stroke-width="4"/>')
    )
    assert [(s.kind, s.color) for s in d.shapes] == [("line", "blue")]


def test_a_grey_polyline_over_a_blue_fill_is_one_grey_polyline():
    """Over the blue circle the JPEG tints the grey line bluish, a colour of its own: that
    stretch is the same line, drawn over blue."""
    d = describe(
        jpeg_of(
            '<circle cx="80" cy="100" r="35" fill="#0000ff"/>'
            '<polyline points="114,61 75,94 118,124 128,124 178,96" fill="none"'
            ' stroke="#808080" stroke-width="3" stroke-linejoin="round"/>'
        )
    )
    assert sorted((s.kind, s.color) for s in d.shapes) == [
        ("circle", "blue"),
        ("polyline", "gray"),
    ]


def test_a_polyline_turning_beneath_a_shape_is_one_polyline():
    """Both arms end under the square, pointing to one corner hidden there."""
    d = describe(
        _encode(
            rasterize(
                svg(
                    '<polyline points="30,200 128,110 226,200" fill="none" stroke="#ff00ff"'
                    ' stroke-width="6" stroke-linejoin="round"/>'
                    '<rect x="98" y="80" width="60" height="60" fill="#800080"/>'
                ),
                size=256,
            ),
            "PNG",
        )
    )
    assert sorted((s.kind, s.color) for s in d.shapes) == [
        ("polyline", "magenta"),
        ("rect", "purple"),
    ]


def test_a_lone_line_in_a_jpeg_is_found():
    """A JPEG of one line rings too few pixels to measure as noisy: known as a JPEG, it is
    cleaned all the same, and the line is found."""
    d = describe(
        jpeg_of('<line x1="123" y1="109" x2="181" y2="90" stroke="#0000ff" stroke-width="6"/>')
    )
    assert [(s.kind, s.color) for s in d.shapes] == [("line", "blue")]


def test_a_four_cornered_polygon_with_right_angles_is_a_rectangle():
    from svgvl.understand.describe import _squared

    turn = math.radians(30)
    u, v = np.array([math.cos(turn), math.sin(turn)]), np.array([-math.sin(turn), math.cos(turn)])
    corners = [tuple(p) for p in (np.zeros(2), 40 * u, 40 * u + 20 * v, 20 * v)]
    kind, x, y, w, h, r, angle = _squared(("polygon", *corners))
    assert kind == "rect" and (round(w), round(h), round(angle)) == (40, 20, 30)
    assert np.allclose((x + w / 2, y + h / 2), np.mean(corners, axis=0))
    skewed = ("polygon", (0.0, 0.0), (40.0, 0.0), (48.0, 20.0), (0.0, 20.0))
    assert _squared(skewed) == skewed


def test_a_polyline_whose_corner_is_under_an_ellipse_is_one_polyline():
    """Scene 1029: the cyan polyline turns under the navy ellipse, and its upper arm's end,
    drawn out by half a width, overshoots the corner the two arms point to."""
    d = describe(random_scene(1029).jpeg())
    assert [s.kind for s in d.shapes if s.color == "cyan"] == ["polyline"]


def test_a_rounded_square_and_a_hexagon_beside_other_shapes_are_no_circles():
    """What is seen of a rounded square under a triangle fits a circle within the tolerance,
    but a rounded rectangle closer; a small hexagon's rounded JPEG outline fits a circle only
    loosely, and its sides make it a polygon."""
    d = describe(
        jpeg_of(
            '<rect x="100" y="100" width="50" height="50" rx="16" fill="#ffc0cb"'
            ' transform="rotate(18 125 125)"/>'
            '<polygon points="60,60 135,80 95,130" fill="#ff00ff"/>'
        )
    )
    assert [s.kind for s in d.shapes if s.color == "pink"] == ["rounded-rect"]
    d = describe(
        jpeg_of(
            '<circle cx="150" cy="100" r="30" fill="#a52a2a"/>'
            '<polygon points="154.9,123.7 174.9,136.7 173.3,160.3 152.6,171 131,159.3 132.5,134"'
            ' fill="#000080"/>'
        )
    )
    assert sorted((s.kind, s.color) for s in d.shapes) == [("circle", "brown"), ("polygon", "navy")]


@pytest.mark.parametrize(("seed", "color"), [(2164, "green"), (2140, "cyan")])
def test_a_polyline_whose_arm_reaches_past_a_hidden_corner_is_one_polyline(seed, color):
    """Scene 2164: the green polyline turns under a star's tip, and the arm that reaches the
    corner, drawn out by its trimmed end and half a width, overshoots it by two widths;
    scene 2140: the cyan one turns where two thin lines cross it."""
    d = describe(random_scene(seed).jpeg())
    assert [s.kind for s in d.shapes if s.color == color] == ["polyline"]


@pytest.mark.parametrize(("seed", "color"), [(2266, "olive"), (2096, "magenta")])
def test_a_triangle_whose_side_runs_partly_along_another_shape_is_a_polygon(seed, color):
    """Each triangle lies over another shape along part of one side: there the JPEG moves
    the edge between the two colours by a pixel or two from where the same side meets the
    paper, and the side's line is fitted to the stretch that meets the paper."""
    d = describe(random_scene(seed).jpeg())
    assert [s.kind for s in d.shapes if s.color == color] == ["polygon"]


def test_two_thin_lines_that_cross_are_both_found():
    """A teal and a brown 3 px line that touch (scene 2227) or cross make one group of odd
    pixels whose median is a grey neither line has: each line's colour is the colour most
    of the group's pixels near it have."""
    for body in (
        '<line x1="31" y1="87" x2="145" y2="100" stroke="#008080" stroke-width="3"/>'
        '<line x1="63" y1="161" x2="157" y2="89" stroke="#a52a2a" stroke-width="3"/>',
        '<line x1="40" y1="60" x2="200" y2="80" stroke="#008080" stroke-width="3"/>'
        '<line x1="60" y1="200" x2="190" y2="60" stroke="#a52a2a" stroke-width="3"/>',
    ):
        d = describe(jpeg_of(body))
        assert sorted((s.kind, s.color) for s in d.shapes) == [("line", "brown"), ("line", "teal")]


def test_a_rounded_rectangle_whose_corners_are_hidden_is_fitted_to_its_seen_sides():
    """The ellipse hides the rounded rectangle's top corners: the box around what is seen
    ends where the ellipse begins, and no corner radius fits a rectangle of that box; one
    fitted to the seen sides reaches on beneath the ellipse.  A triangle mostly hidden
    (scene 2011's green one) fits such a rectangle too, but along one side only, and stays a
    polygon."""
    body = (
        '<rect x="36" y="106" width="65" height="81" rx="20" fill="#ffff00"/>'
        '<ellipse cx="76" cy="112" rx="48" ry="17" fill="#00ffff"/>'
    )
    for image in (_encode(rasterize(svg(body), size=256), "PNG"), jpeg_of(body)):
        d = describe(image)
        assert sorted((s.kind, s.color) for s in d.shapes) == [
            ("ellipse", "cyan"),
            ("rounded-rect", "yellow"),
        ]
    d = describe(random_scene(2011).jpeg())
    assert [s.kind for s in d.shapes if s.color == "green"] == ["polygon"]


def test_a_line_passing_beneath_a_shape_near_its_end_is_one_line():
    """Beyond the ellipse only a stub of the orange line is seen, bent by its blends with
    the blue at one end: its own direction does not point back at the line, but it lies on
    the line's way, and it is laid on it."""
    body = (
        '<line x1="41.6" y1="125" x2="155.8" y2="164.1" stroke="#ffa500" stroke-width="6"/>'
        '<ellipse cx="66" cy="132.2" rx="20.1" ry="9.1" fill="#0000ff"'
        ' transform="rotate(70.6 66 132.2)"/>'
    )
    for image in (_encode(rasterize(svg(body), size=256), "PNG"), jpeg_of(body)):
        d = describe(image)
        assert sorted((s.kind, s.color) for s in d.shapes) == [
            ("ellipse", "blue"),
            ("line", "orange"),
        ]


def test_a_polyline_cut_near_its_corner_by_a_crossing_line_is_one_polyline():
    """Scene 2261: the cyan line crosses the grey 3 px polyline just past its corner; the
    blends bend both ends at the gap, a little over two widths, which lies beneath the cyan."""
    d = describe(random_scene(2261).jpeg())
    assert [s.kind for s in d.shapes if s.color == "gray"] == ["polyline"]


def test_a_sliver_rectangle_is_refitted_without_error():
    """A box under a pixel wide (a sliver of a shape seen beside another) starts the fit at
    the narrowest width it allows."""
    from svgvl.trace.primitives import _fitted_rect

    seen = np.column_stack([np.full(20, 62.5), np.linspace(96, 123, 20)])
    fit = _fitted_rect(("rect", 62.0, 95.5, 0.9, 28.0, 0.0, 32.8), seen, 2.25)
    assert fit[0] == "rect" and min(fit[3:5]) >= 1.0


def test_a_pale_thin_line_on_white_is_found_beside_a_yellow_shape():
    """A 3 px pink line, blurred with the paper, comes within 2 ALIKE of white and passed for
    paper; its pixels away from other colours now make a stroke colour, while the yellow
    circle's rim, as pale but beside the yellow, does not (the circle stays a circle)."""
    d = describe(
        jpeg_of(
            '<line x1="20" y1="42" x2="68" y2="66" stroke="#ffc0cb" stroke-width="3"/>'
            '<circle cx="160" cy="150" r="40" fill="#ffff00"/>'
            '<rect x="40" y="150" width="50" height="60" fill="#ff0000"/>'
        )
    )
    assert sorted((s.kind, s.color) for s in d.shapes) == [
        ("circle", "yellow"),
        ("line", "pink"),
        ("rect", "red"),
    ]
