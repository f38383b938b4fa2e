"""normalize(): each step checked on small documents with known answers, then on the real
fixtures through goldens and render equivalence."""

import math

import pytest

from svgvl.svg import normalize, parse
from svgvl.svg.pathdata import bounding_box

NS = 'xmlns="http://www.w3.org/2000/svg"'


def only_path(svg: str, **kwargs):
    drawing = normalize(svg, **kwargs)
    assert len(drawing.paths) == 1, drawing.paths
    return drawing.paths[0]


def close(a, b, tol=1e-6):
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def test_output_has_only_absolute_mlcz():
    d = "m1 1 h4 v4 H1 V2 q1 1 2 0 t2 0 s1 1 2 2 c1 0 1 1 0 1 a2 2 0 0 1 2 2 l-1 -1 z m10 10 l1 1"
    path = only_path(f'<svg {NS} viewBox="0 0 40 40"><path d="{d}"/></svg>')
    assert {letter for letter, _ in path.d} <= {"M", "L", "C", "Z"}
    # after "z" the relative moveto starts from the subpath start (1, 1)
    moves = [coords for letter, coords in path.d if letter == "M"]
    assert moves == [(1.0, 1.0), (11.0, 11.0)]


def test_quadratic_becomes_the_exact_cubic():
    path = only_path(f'<svg {NS}><path d="M0 0 Q30 60 60 0"/></svg>')
    assert path.d[1] == ("C", (20.0, 40.0, 40.0, 40.0, 60.0, 0.0))


def test_smooth_cubic_reflects_the_previous_control_point():
    path = only_path(f'<svg {NS}><path d="M0 0 C10 -10 20 -10 30 0 S50 10 60 0"/></svg>')
    assert path.d[2] == ("C", (40.0, 10.0, 50.0, 10.0, 60.0, 0.0))


def test_arc_is_split_into_quarter_cubics_on_the_circle():
    path = only_path(f'<svg {NS}><path d="M0 50 A50 50 0 0 1 100 50"/></svg>')  # upper semicircle
    cubics = [c for letter, c in path.d if letter == "C"]
    assert len(cubics) == 2
    assert cubics[-1][4:] == (100.0, 50.0)
    x0, y0, x1, y1 = bounding_box(path.d)
    assert close((x0, y0, x1, y1), (0, 0, 100, 50), tol=0.05)


def test_arc_radii_too_small_are_scaled_up():
    path = only_path(f'<svg {NS}><path d="M0 0 A1 1 0 0 1 10 0"/></svg>')
    x0, y0, x1, y1 = bounding_box(path.d)
    assert abs((y1 - y0) - 5) < 0.01  # radius corrected to half the chord


def test_rect_circle_ellipse_line_poly_become_paths():
    svg = f"""<svg {NS} viewBox="0 0 100 100">
      <rect x="10" y="10" width="30" height="20" rx="5"/>
      <circle cx="50" cy="50" r="10"/>
      <ellipse cx="50" cy="80" rx="20" ry="5"/>
      <line x1="0" y1="0" x2="100" y2="100" stroke="red"/>
      <polyline points="0,0 10,0 10,10" fill="none" stroke="blue"/>
      <polygon points="60 10 90 10 75 30"/>
      <rect width="0" height="10"/><circle r="0"/>
    </svg>"""
    paths = normalize(svg).paths
    assert len(paths) == 6
    boxes = [bounding_box(p.d) for p in paths]
    assert close(boxes[0], (10, 10, 40, 30), 1e-9)
    assert close(boxes[1], (40, 40, 60, 60), 1e-3)
    assert close(boxes[2], (30, 75, 70, 85), 1e-3)
    assert paths[3].fill == "none" and paths[3].stroke == "#ff0000"
    assert paths[5].d[-1] == ("Z", ())


def test_transforms_are_flattened_and_stroke_width_scaled():
    svg = f"""<svg {NS}><g transform="translate(10 0) scale(2)">
      <path d="M0 0 L1 1" transform="rotate(90)" stroke="#000" stroke-width="3" fill="none"/></g></svg>"""
    path = only_path(svg)
    assert close(path.d[0][1], (10, 0)) and close(path.d[1][1], (8, 2))
    assert path.stroke_width == pytest.approx(6)


def test_css_cascade():
    svg = f"""<svg {NS}><style>.a {{ fill: red }} #b {{ fill: lime !important }} path {{ stroke: blue }}</style>
      <g fill="#00f" stroke-width="2">
        <path class="a" d="M0 0h1v1z"/>
        <path id="b" style="fill: yellow" d="M0 0h1v1z"/>
        <path style="fill: rgb(10%, 20%, 30%); fill-opacity: 50%" d="M0 0h1v1z"/>
        <path fill="inherit" stroke="none" d="M0 0h1v1z"/>
      </g></svg>"""
    paths = normalize(svg).paths
    assert [p.fill for p in paths] == ["#ff0000", "#00ff00", "#1a334d", "#0000ff"]
    assert paths[2].fill_opacity == 0.5
    assert paths[0].stroke == "#0000ff" and paths[0].stroke_width == 2
    # a stylesheet rule beats a presentation attribute
    assert paths[3].stroke == "#0000ff"


def test_current_color_kept_unless_color_is_set():
    svg = f'<svg {NS}><path fill="currentColor" d="M0 0h1v1z"/><g color="teal"><path fill="currentColor" d="M0 0h1v1z"/></g></svg>'
    assert [p.fill for p in normalize(svg).paths] == ["currentColor", "#008080"]


def test_group_opacity_multiplies_and_display_none_hides():
    svg = f"""<svg {NS}><g opacity=".5"><path opacity=".5" d="M0 0h1v1z"/></g>
      <g style="display:none"><path d="M0 0h1v1z"/></g><path visibility="hidden" d="M0 0h1v1z"/>
      <path fill="none" d="M0 0h1v1z"/></svg>"""
    paths = normalize(svg).paths
    assert len(paths) == 1 and paths[0].opacity == 0.25


def test_use_with_symbol_viewbox_and_offset():
    svg = f"""<svg {NS} xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 100 100">
      <defs><symbol id="s" viewBox="0 0 10 10"><path d="M0 0h10v10z"/></symbol></defs>
      <use xlink:href="#s" x="20" y="30" width="40" height="40" fill="red"/></svg>"""
    path = only_path(svg)
    assert close(bounding_box(path.d), (20, 30, 60, 70))
    assert path.fill == "#ff0000"


def test_viewbox_is_mapped_onto_the_canvas():
    svg = f'<svg {NS} viewBox="-10 -10 200 100"><path d="M-10 -10h200v100h-200z"/></svg>'
    assert close(bounding_box(only_path(svg).d), (0, 0, 200, 100))
    drawing = normalize(svg, canvas=100)
    assert (drawing.width, drawing.height) == (100, 100)
    assert close(bounding_box(drawing.paths[0].d), (0, 25, 100, 75))


def test_width_height_with_another_aspect_letterboxes_like_a_renderer():
    svg = (
        f'<svg {NS} width="200" height="100" viewBox="0 0 10 10"><path d="M0 0h10v10h-10z"/></svg>'
    )
    drawing = normalize(svg)
    assert (drawing.width, drawing.height) == (200, 100)
    assert close(bounding_box(drawing.paths[0].d), (50, 0, 150, 100))


def test_gradients_are_kept_in_canvas_units_or_flattened():
    svg = f"""<svg {NS} viewBox="0 0 100 100"><defs>
      <linearGradient id="base"><stop offset="0" stop-color="#000"/><stop offset="1" stop-color="#fff"/></linearGradient>
      <linearGradient id="g" href="#base" x2="0" y2="1"/></defs>
      <rect x="10" y="20" width="50" height="40" fill="url(#g)"/></svg>"""
    drawing = normalize(svg)
    path = drawing.paths[0]
    gradient = drawing.gradients[path.fill[5:-1]]
    assert [s.color for s in gradient.stops] == ["#000000", "#ffffff"]
    # objectBoundingBox (0,0)→(0,1) becomes the rect's top edge → bottom edge
    g = gradient.geometry
    assert close((g["x1"], g["y1"], g["x2"], g["y2"]), (10, 20, 10, 60))
    flat = normalize(svg, flatten_gradients=True).paths[0]
    assert flat.fill in ("#808080", "#7f7f7f")


def test_missing_gradient_uses_the_fallback():
    svg = f'<svg {NS}><path fill="url(#nope) #123456" d="M0 0h1v1z"/><path fill="url(#nope)" stroke="red" d="M0 0h1v1z"/></svg>'
    paths = normalize(svg).paths
    assert paths[0].fill == "#123456" and paths[1].fill == "none"


def test_unsupported_content_is_reported():
    svg = f'<svg {NS}><text>hi</text><image href="data:image/png;base64,AAAA"/><path d="M0 0h1v1z" filter="url(#f)"/></svg>'
    drawing = normalize(svg)
    assert len(drawing.paths) == 1
    assert {"<text>", "<image>", "filter on <path>"} <= set(drawing.dropped)


def test_foreign_namespaces_are_ignored():
    svg = (
        f'<svg {NS} xmlns:i="http://ns.adobe.com/x"><i:pgf>junk</i:pgf><path d="M0 0h1v1z"/></svg>'
    )
    assert len(normalize(svg).paths) == 1


def test_fixture_normalises_with_nothing_dropped_except_known(fixture_svg):
    drawing = normalize(parse(fixture_svg))
    assert drawing.paths
    for path in drawing.paths:
        assert {letter for letter, _ in path.d} <= {"M", "L", "C", "Z"}
        assert all(math.isfinite(v) for _, coords in path.d for v in coords)
    assert drawing.dropped == []


def test_reverse_path_flips_winding_and_keeps_geometry():
    from svgvl.svg.pathdata import ellipse_path, reverse_path

    d = ellipse_path(10, 10, 5, 3) + [("M", (0, 0)), ("L", (4, 0)), ("L", (4, 4)), ("Z", ())]
    back = reverse_path(d)
    assert close(bounding_box(back), bounding_box(d), 1e-9)
    assert reverse_path(back) == d
