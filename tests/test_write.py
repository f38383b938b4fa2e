"""write(): compact text that parses back to the same geometry within the chosen precision."""

from hypothesis import given, settings
from hypothesis import strategies as st

from svgvl.svg import Drawing, Path, normalize, parse, write
from svgvl.svg.pathdata import parse_path
from svgvl.svg.write import auto_precision, fmt, path_data

NS = 'xmlns="http://www.w3.org/2000/svg"'


def test_fmt():
    assert fmt(0.5, 2) == ".5"
    assert fmt(-0.5, 2) == "-.5"
    assert fmt(3.0, 2) == "3"
    assert fmt(-0.001, 2) == "0"
    assert fmt(12.345, 1) == "12.3"
    assert fmt(1234.5, 0) == "1234" or fmt(1234.5, 0) == "1235"


def test_relative_commands_win_far_from_the_origin():
    d = [("M", (1000.25, 1000.25)), ("L", (1001.5, 1000.25)), ("L", (1001.5, 1002)), ("Z", ())]
    text = path_data(d, 2)
    assert text.startswith("M1000.25 1000.25h1.25")
    assert len(text) <= len("M1000.25 1000.25h1.25v1.75z")


def test_implicit_repeats_and_separators():
    d = [("M", (0, 0)), ("L", (1, 2)), ("L", (-3, 4)), ("L", (0.5, 0.5))]
    text = path_data(d, 2)
    assert text.startswith("M0 0")
    assert "L" not in text.replace("l", "")[4:] or text.count("L") + text.count("l") <= 1
    assert [c for c in parse_path(text)] == [
        ("M", (0.0, 0.0)),
        ("L", (1.0, 2.0)),
        ("L", (-3.0, 4.0)),
        ("L", (0.5, 0.5)),
    ]


def test_consecutive_movetos_stay_movetos():
    # "M1 1 5 5" would draw a line: a lone moveto (a round-capped dot) must keep its own M.
    d = [("M", (1, 1)), ("M", (5, 5)), ("L", (6, 6)), ("M", (9, 1)), ("M", (9, 9))]
    assert [c for c, _ in parse_path(path_data(d, 2))] == ["M", "M", "L", "M", "M"]


def test_a_dot_keeps_its_segment():
    dot = [("M", (10, 10)), ("L", (10, 10)), ("Z", ())]
    svg = f'<svg {NS} viewBox="0 0 20 20"><path d="{path_data(dot, 2)}" stroke="#000" stroke-width="4" stroke-linecap="round"/></svg>'
    from svgvl.render import rasterize

    assert (rasterize(svg, 20) < 128).sum() > 20


def test_smooth_cubic_shorthand():
    d = [("M", (0, 0)), ("C", (10, -10, 20, -10, 30, 0)), ("C", (40, 10, 50, 10, 60, 0))]
    text = path_data(d, 0)
    assert "s" in text.lower()
    assert parse_path(text) == [
        ("M", (0.0, 0.0)),
        ("C", (10.0, -10.0, 20.0, -10.0, 30.0, 0.0)),
        ("C", (40.0, 10.0, 50.0, 10.0, 60.0, 0.0)),
    ]


coords = st.floats(min_value=-500, max_value=500, allow_nan=False, allow_infinity=False)
point = st.tuples(coords, coords)
segment = st.one_of(
    st.tuples(st.just("L"), point),
    st.tuples(st.just("C"), st.tuples(coords, coords, coords, coords, coords, coords)),
)


@settings(max_examples=200, deadline=None)
@given(
    start=point,
    segments=st.lists(segment, min_size=1, max_size=30),
    precision=st.integers(0, 3),
    closed=st.booleans(),
)
def test_round_trip_error_stays_within_half_a_unit_of_precision(start, segments, precision, closed):
    d = [("M", start), *segments] + ([("Z", ())] if closed else [])
    back = parse_path(path_data(d, precision))
    tolerance = 0.5 * 10**-precision + 1e-9
    original = [c for c in d]
    # the writer may drop a final L that returns to the start before Z: compare points only
    kept = [c for c in original if c[0] != "Z"]
    back_points = [c for c in back if c[0] != "Z"]
    if len(back_points) < len(kept):
        kept = kept[: len(back_points)]
    assert len(back_points) == len(kept)
    for (la, ca), (lb, cb) in zip(kept, back_points, strict=True):
        assert la == lb
        assert all(abs(a - b) <= tolerance for a, b in zip(ca, cb, strict=True))


def test_common_paint_is_hoisted_to_the_root():
    drawing = Drawing(
        24,
        24,
        paths=[
            Path(
                d=[("M", (i, 0)), ("L", (i, 9))],
                fill="none",
                stroke="currentColor",
                stroke_width=2,
                stroke_linecap="round",
            )
            for i in range(5)
        ],
    )
    text = write(drawing)
    assert text.count("currentColor") == 1 and text.count("stroke-linecap") == 1
    root = parse(text).root
    assert root.get("stroke") == "currentColor" and root.get("fill") == "none"
    assert normalize(text).paths[0].stroke_width == 2


def test_default_attributes_are_omitted():
    text = write(
        Drawing(10, 10, paths=[Path(d=[("M", (0, 0)), ("L", (5, 5)), ("L", (0, 5)), ("Z", ())])])
    )
    assert text == f'<svg {NS} viewBox="0 0 10 10"><path d="M0 0 5 5H0Z"/></svg>'


def test_auto_precision():
    assert auto_precision(24, 24) == 2
    assert auto_precision(256, 256) == 1
    assert auto_precision(2048, 1000) == 0


def test_write_accepts_anything_normalize_takes():
    text = write(f'<svg {NS} viewBox="0 0 10 10"><rect width="5" height="5" fill="red"/></svg>')
    assert text == f'<svg {NS} viewBox="0 0 10 10"><path d="M0 0H5V5H0Z" fill="#f00"/></svg>'


@settings(max_examples=200, deadline=None)
@given(
    start=point,
    segments=st.lists(segment, min_size=1, max_size=30),
    precision=st.integers(1, 3),
    slack=st.sampled_from([0.05, 0.15, 0.3]),
)
def test_slack_moves_end_points_by_at_most_the_slack_and_control_points_twice(
    start, segments, precision, slack
):
    d = [("M", start), *segments]
    back = parse_path(path_data(d, precision, slack))
    assert [c[0] for c in back] == [c[0] for c in d]
    half = 0.5 * 10**-precision + 1e-9
    for (letter, ca), (_, cb) in zip(d, back, strict=True):
        for i, (a, b) in enumerate(zip(ca, cb, strict=True)):
            control = letter == "C" and i < 4
            assert abs(a - b) <= max(2 * slack if control else slack, half) + 1e-9


def test_slack_writes_whole_numbers_where_they_are_close_enough():
    # 0.1 px from whole pixels: within a slack of 0.15 each number loses its decimals.
    d = [("M", (10.1, 20.1)), ("L", (30.9, 20.1)), ("C", (40.1, 25.1, 45.9, 30.1, 50.1, 40.1))]
    exact, loose = path_data(d, 1), path_data(d, 1, slack=0.15)
    assert "." in exact and "." not in loose
    assert len(loose) < len(exact)
    # Where nothing coarser is close enough, the slack changes nothing.
    far = [("M", (10.5, 20.5)), ("L", (30.5, 20.5))]
    assert path_data(far, 1, slack=0.15) == path_data(far, 1)
