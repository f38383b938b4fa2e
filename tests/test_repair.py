"""repair(): model output in, a valid SVG and an honest list of repairs out."""

from pathlib import Path

import pytest

from svgvl.metrics.fidelity import ssim
from svgvl.render import rasterize
from svgvl.svg import SVGError, normalize, parse, repair

NS = 'xmlns="http://www.w3.org/2000/svg"'
CLEAN = f'<svg {NS} viewBox="0 0 10 10"><path d="M1 1H9V9Z" fill="red"/></svg>'


def test_clean_input_is_returned_unchanged():
    result = repair(CLEAN)
    assert result.svg == CLEAN and not result.changed


def test_chatter_around_the_document_is_dropped():
    result = repair("Sure! Here is your icon:\n" + CLEAN + "\nHope this helps.")
    assert result.svg == CLEAN
    assert any("before <svg" in r for r in result.repairs)
    assert any("after </svg>" in r for r in result.repairs)


def test_truncated_document_is_closed_after_its_last_complete_element():
    truncated = f'<svg {NS} viewBox="0 0 10 10"><g fill="red"><path d="M1 1H9V9Z"/><path d="M1 1 L5'
    result = repair(truncated)
    doc = parse(result.svg)
    paths = normalize(doc).paths
    assert len(paths) == 1 and paths[0].fill == "#ff0000"
    assert any("truncated" in r and "<g>" in r for r in result.repairs)


def test_invalid_path_data_is_cut_at_the_first_error():
    text = f'<svg {NS}><path d="M1 1 L5 5 L nan 3"/><path d="Q 1"/><path d="M0 0h2v2z"/></svg>'
    result = repair(text)
    paths = normalize(result.svg).paths
    assert len(paths) == 2
    assert paths[0].d == [("M", (1.0, 1.0)), ("L", (5.0, 5.0))]
    assert sum("cut path data" in r for r in result.repairs) == 1
    assert sum("removed a <path>" in r for r in result.repairs) == 1


def test_missing_namespace_is_added():
    result = repair('<svg viewBox="0 0 4 4"><path d="M0 0h4v4z"/></svg>')
    assert parse(result.svg).root.tag == "{http://www.w3.org/2000/svg}svg"


def test_starvector_style_output_without_closing_tag():
    # StarVector prompts with "<svg" and may stop anywhere when max_length is reached.
    output = '<svg width="24" height="24" viewBox="0 0 24 24"><circle cx="12" cy="12" r="10"/><rect x="2" y="'
    result = repair(output)
    assert len(normalize(result.svg).paths) == 1


@pytest.mark.parametrize("text", ["no svg here", "<svg", "<svg viewBox='0 0"])
def test_nothing_usable_raises(text):
    with pytest.raises(SVGError):
        repair(text)


def test_bytes_with_bad_utf8():
    result = repair(b"\xff\xfe junk " + CLEAN.encode())
    assert result.svg == CLEAN


# -- mangled real drawings: each must come back as the drawing that was there ----------------

REAL = (Path(__file__).parent / "fixtures/svg/emoji/twemoji-alembic.svg").read_text().strip()


def _render(svg: str):
    return rasterize(svg, 128)


def test_a_stray_svg_before_the_real_document_is_chatter():
    result = repair("I think this is right. <svg" + REAL)
    assert ssim(_render(result.svg), _render(REAL)) >= 0.99
    assert any("before <svg" in r for r in result.repairs)


def test_an_svg_tag_quoted_in_chatter_does_not_become_the_root():
    result = repair("Here's an `<svg>` icon for you:\n\n```svg\n" + REAL + "\n```\nEnjoy!")
    assert result.svg == REAL
    result = repair(REAL + "\nI used one `<svg>` root and six shapes.")
    assert result.svg == REAL


def test_repeated_attributes_keep_the_first_value():
    mangled = REAL.replace('fill="#67757f"', 'fill="#67757f" fill="#ff0000"', 1)
    result = repair(mangled)
    assert ssim(_render(result.svg), _render(REAL)) >= 0.99
    assert any("repeated attribute" in r for r in result.repairs)


def test_truncated_document_followed_by_chatter_with_a_closing_tag_keeps_its_drawing():
    # Cut inside the last path's data, then chatter that itself mentions </svg>.
    last = REAL.rindex('<path fill="#e1e8ed" d="')
    data_start = last + len('<path fill="#e1e8ed" d="')
    cut = data_start + 120
    mangled = REAL[:cut] + "\n\n(I ran out of room; close it with </svg> yourself.)"
    result = repair(mangled)
    repaired = normalize(result.svg).paths
    complete = normalize(REAL[:last] + "</svg>").paths
    original_last = normalize(REAL).paths[len(complete)]
    # Every complete element is there, unchanged ...
    assert [p.d for p in repaired[: len(complete)]] == [p.d for p in complete]
    # ... and the cut path keeps a non-empty prefix of its own commands and its fill.
    salvaged = repaired[len(complete)]
    assert 1 < len(salvaged.d) < len(original_last.d)
    assert salvaged.fill == original_last.fill
    assert salvaged.d == original_last.d[: len(salvaged.d)]
    assert any("truncated" in r for r in result.repairs)


def test_an_unfinished_element_other_than_a_path_is_dropped_not_guessed():
    cut = REAL.index('r="13.873"') + len('r="13')
    result = repair(REAL[:cut])
    kinds = [element.tag.split("}")[1] for element in parse(result.svg).root.iter()]
    assert kinds == ["svg", "path"]  # the circle's radius might have been 13, 130 or 13.873


def test_a_cut_path_whose_paint_would_come_after_its_data_is_dropped_not_painted_black():
    # Earlier shapes carry their own fill, so this one's fill was still to come.
    cut = REAL.index('d="M3.592') + len('d="M3.592 16.139c.232 6.334 5.427 11.402 ')
    mangled = REAL[:cut].replace('<path fill="#50a5e6" d=', "<path d=")
    result = repair(mangled)
    assert [p.fill for p in normalize(result.svg).paths] == ["#67757f", "#e1e8ed"]
