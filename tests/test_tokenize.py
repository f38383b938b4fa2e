"""The path tokenizer: round trips on real icons, a total decoder, the grammar, FIM."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from svgvl.metrics import ssim
from svgvl.render import rasterize
from svgvl.svg import normalize, parse
from svgvl.tokenize import START, PathTokenizer, TokenError, TokenizerSpec

from .conftest import MANIFEST, SVG_FIXTURES

ROOT = Path(__file__).parent.parent
TOK = PathTokenizer()

# Monochrome icons, flat colour icons and glyphs: what the round-trip target covers.
FLAT = [
    SVG_FIXTURES / e["path"]
    for e in MANIFEST
    if e["path"].split("/")[0] in ("icons", "glyphs") or e["path"].startswith("logos/si-")
]


def _roundtrip_ssim(path: Path, tok: PathTokenizer = TOK) -> float:
    return ssim(rasterize(tok.decode(tok.encode(path)), 256), rasterize(path, 256))


@pytest.mark.parametrize("path", FLAT, ids=lambda p: p.stem)
def test_round_trip_keeps_real_icons(path):
    assert _roundtrip_ssim(path) >= 0.98


def test_coarse_grid_alone_loses_thin_strokes():
    # Why the default spec has fine offsets: IconShop's single 128-grid token per point.
    coarse = PathTokenizer(TokenizerSpec(fine=1))
    icon = SVG_FIXTURES / "icons" / "tabler-settings.svg"
    assert _roundtrip_ssim(icon, coarse) < 0.98 <= _roundtrip_ssim(icon)


def test_spec_file_is_the_default_spec(tmp_path):
    shipped = TokenizerSpec.from_file(ROOT / "tokenizers" / "svgvl-paths-v1.json")
    assert shipped == TokenizerSpec()
    TOK.save_pretrained(tmp_path)
    assert PathTokenizer.from_pretrained(tmp_path).vocab_size == TOK.vocab_size


def test_bad_spec_files_are_named(tmp_path):
    (tmp_path / "a.json").write_text("{not json")
    (tmp_path / "b.json").write_text('{"version": 1, "grid": 2}')
    with pytest.raises(ValueError, match="a.json"):
        TokenizerSpec.from_file(tmp_path / "a.json")
    with pytest.raises(ValueError, match="grid"):
        TokenizerSpec.from_file(tmp_path / "b.json")


def test_paint_survives():
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">'
        '<path d="M2 2h20v20H2z" fill="#ff0000" fill-rule="evenodd"/>'
        '<path d="M4 12h16" fill="none" stroke="currentColor" stroke-width="2" '
        'stroke-linecap="round" stroke-linejoin="round"/></svg>'
    )
    drawing = normalize(parse(TOK.decode(TOK.encode(svg))))
    filled, stroked = drawing.paths
    assert (filled.fill, filled.fill_rule, filled.stroke) == ("#ff0000", "evenodd", "none")
    assert (stroked.fill, stroked.stroke) == ("none", "currentColor")
    assert (stroked.stroke_linecap, stroked.stroke_linejoin) == ("round", "round")
    assert stroked.stroke_width == pytest.approx(2 * 128 / 24, abs=0.15)  # in grid units


def test_what_is_not_carried_is_named():
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">'
        '<text x="2" y="12">hi</text>'
        '<path d="M2 2h20v20H2z" fill="#00f" opacity="0.5"/>'
        '<path d="M2 20H22" stroke="#000" stroke-dasharray="2 2"/></svg>'
    )
    dropped: list[str] = []
    ids = TOK.encode(svg, dropped)
    text = " ".join(dropped)
    assert "text" in text and "opacity" in text and "dash" in text
    assert TOK.decode(ids)  # what remains still decodes


def test_approximations_are_named_apart_from_losses():
    # A real emoji with gradients: the tokens carry each as its average colour, and say so.
    path = SVG_FIXTURES / "emoji" / "noto-crystal-ball.svg"
    dropped: list[str] = []
    approximated: list[str] = []
    ids = TOK.encode(path, dropped, approximated)
    assert any("gradients (averaged to one colour)" in note for note in approximated)
    assert not any("gradient" in note for note in dropped)
    assert ids == TOK.encode(path)  # reporting changes nothing
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">'
        '<path d="M2 20H22" stroke="#000" stroke-dasharray="2 2" stroke-linejoin="arcs"/>'
        '<rect width="4" height="4" clip-path="url(#c)"/><clipPath id="c"><rect width="2" '
        'height="2"/></clipPath></svg>'
    )
    dropped, approximated = [], []
    TOK.encode(svg, dropped, approximated)
    assert approximated == ["stroke dashes (drawn solid)", "stroke-linejoin arcs (drawn as miter)"]
    assert dropped == ["clip paths and masks (shapes drawn unclipped)"]


def test_coarse_colours_say_they_were_rounded():
    tok = PathTokenizer(TokenizerSpec(colour_bits=4))
    approximated: list[str] = []
    tok.encode(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8">'
        '<rect width="8" height="8" fill="#030303"/></svg>',
        [],
        approximated,
    )
    assert approximated == ["colours (rounded to 16 levels per channel)"]


def test_fill_in_the_middle_restores_order():
    ids = TOK.encode(SVG_FIXTURES / "emoji" / "twemoji-alembic.svg")
    n = len(TOK.split_paths(ids))
    assert n >= 3
    for start, stop in [(0, 1), (1, n - 1), (n - 1, n)]:
        assert TOK.decode(TOK.fim(ids, start, stop)) == TOK.decode(ids)
    prompt = TOK.fim(ids, 1, 2)
    cut = prompt.index(TOK.vocab["<mask>"], prompt.index(TOK.vocab["<mask>"]) + 1) + 1
    assert TOK.prompt_state(prompt[:cut]) == ("paths", 2)


@pytest.mark.parametrize("path", FLAT[:6], ids=lambda p: p.stem)
def test_every_prefix_decodes(path):
    # Model output cut at its length limit loses only the unfinished command.
    ids = TOK.encode(path)
    full = rasterize(TOK.decode(ids), 64)
    for cut in range(1, len(ids), max(1, len(ids) // 25)):
        rasterize(TOK.decode(ids[:cut]), 64)
    assert np.array_equal(rasterize(TOK.decode(ids[:-1]), 64), full)


def test_grammar_accepts_every_encoding_and_guides_sampling():
    rng = np.random.default_rng(0)
    for path in FLAT[:8]:
        state = START
        for token in TOK.encode(path):
            assert TOK.grammar.allowed(state)[token]
            state = TOK.grammar.step(state, token)
        assert state[0] == "end"
    for _ in range(20):  # random walks through the grammar always decode
        state, ids = START, []
        while state[0] != "end" and len(ids) < 300:
            choices = np.flatnonzero(TOK.grammar.allowed(state))
            token = int(rng.choice(choices))
            ids.append(token)
            state = TOK.grammar.step(state, token)
        rasterize(TOK.decode(ids), 32)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(min_value=-5, max_value=TOK.vocab_size + 5), max_size=60))
def test_decode_is_total(ids):
    try:
        svg = TOK.decode(ids)
    except TokenError as error:
        assert "position" in str(error)
    else:
        rasterize(svg, 16)
    rasterize(TOK.decode(ids, strict=False), 16)


def test_unknown_ids_are_reported_by_position():
    with pytest.raises(TokenError, match="position 2"):
        TOK.decode([TOK.bos_id, TOK.vocab["<path>"], TOK.vocab_size + 3])


def test_token_counts_are_compact():
    # One token per point plus its offset: a 24-px tabler icon stays well under 512 tokens.
    lengths = [len(TOK.encode(p)) for p in FLAT if "tabler" in p.name]
    assert max(lengths) < 512
    assert min(lengths) > 10
