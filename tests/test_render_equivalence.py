"""normalize + write must not change what a document looks like: the fixture set round-trips
with render SSIM >= 0.99 (the foundation issue's bar: for at least 98 % of it)."""

import pytest

from svgvl.metrics import ssim
from svgvl.render import rasterize
from svgvl.svg import normalize, parse, write

from .conftest import FIXTURE_FILES, fixture_id

SIZE = 256


def round_trip_ssim(path, **kwargs) -> float:
    original = rasterize(path, size=SIZE)
    text = write(normalize(parse(path), **kwargs))
    return ssim(rasterize(text, size=SIZE), original)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=fixture_id)
def test_normalized_fixture_renders_like_the_original(path):
    # Every single fixture stays close; the set as a whole is checked against 0.99 below.
    assert round_trip_ssim(path) >= 0.97


@pytest.mark.slow
def test_at_least_98_percent_of_fixtures_round_trip_at_0_99():
    scores = {fixture_id(p): round_trip_ssim(p) for p in FIXTURE_FILES}
    passing = [name for name, s in scores.items() if s >= 0.99]
    assert len(passing) >= 0.98 * len(scores), {
        n: round(s, 4) for n, s in scores.items() if s < 0.99
    }


@pytest.mark.parametrize("path", FIXTURE_FILES[::6], ids=fixture_id)
def test_mapping_onto_a_canvas_keeps_the_picture(path):
    # The canvas only rescales: rendered at the same size, nothing moves.
    assert round_trip_ssim(path, canvas=200) >= 0.97


def test_low_precision_still_renders_close():
    path = FIXTURE_FILES[0]
    original = rasterize(path, size=SIZE)
    coarse = write(normalize(parse(path), canvas=256), precision=0)
    assert ssim(rasterize(coarse, size=SIZE), original) > 0.95
