"""normalize() on files from resvg's test suite (tests/fixtures/resvg/, unmodified): what it
carries must render like the original, and what it cannot carry must be named in ``dropped``.

Each file is rendered by the reference renderer (cairosvg) as it is, and again after
normalize → write, on the 200×200 canvas the files are drawn for; faithful means SSIM ≥ 0.99.
"""

from pathlib import Path

import pytest

from svgvl.metrics.fidelity import ssim
from svgvl.render import rasterize
from svgvl.svg import SVGError, normalize, parse, write

RESVG = Path(__file__).parent / "fixtures" / "resvg"
SIZE = 200

# Files whose content normalize carries: nested viewports, symbols, use of <svg>, CSS transform,
# transform-origin, switch, invalid paint, stop currentColor, clip and mask regions, em units,
# a negative radius, and path data or points drawn up to their first error.
CARRIED = [
    "svg-nested-svg-with-rect-and-viewBox-1",
    "svg-deeply-nested-svg",
    "symbol-with-viewBox-and-custom-use-rect",
    "symbol-content-outside-the-viewbox",
    "use-xlink-to-svg-element-with-width-height-on-use",
    "transform-origin-length-px",
    "style-transform",
    "switch-systemLanguage=ru-Ru",
    "fill-random-value",
    "stop-stop-color-with-currentColor-3",
    "clipPath-invisible-child-1",
    "mask-maskUnits=userSpaceOnUse-with-rect",
    "rect-em-values",
    "ellipse-negative-ry-attribute",
    "path-invalid-data-in-L",
    "polyline-stop-processing-on-invalid-data",
]

# Files with something normalize cannot carry as flat paths, and the note that must say so.
REPORTED = {
    "opacity-group-opacity": "group opacity",
    "mask-mask-on-self": "mask on a <mask>",
    "clipPath-clip-path-on-children": "clip-path on a child of a <clipPath>",
}


def round_trip(name: str, **options):
    doc = parse((RESVG / f"{name}.svg").read_bytes())
    drawing = normalize(doc, canvas=SIZE, **options)
    return drawing, ssim(rasterize(write(drawing), SIZE), rasterize(doc, SIZE))


@pytest.mark.parametrize("name", CARRIED)
def test_carried_files_render_like_the_original(name):
    drawing, score = round_trip(name)
    assert score >= 0.99, (score, drawing.dropped)


@pytest.mark.parametrize("name", sorted(REPORTED))
def test_what_is_not_carried_is_named(name):
    drawing, _ = round_trip(name)
    assert any(REPORTED[name] in note for note in drawing.dropped), drawing.dropped


def test_path_data_cut_at_the_error_is_noted_and_strict_refuses_it():
    drawing, _ = round_trip("path-invalid-data-in-L")
    assert any(note.startswith("path data cut at its first error") for note in drawing.dropped)
    assert drawing.paths  # the valid part is drawn
    with pytest.raises(SVGError, match="invalid path data"):
        normalize((RESVG / "path-invalid-data-in-L.svg").read_bytes(), strict=True)


def test_switch_follows_the_language_option():
    # The first child (red) asks for ru-RU: skipped in English, chosen for Russian.
    svg = (RESVG / "switch-systemLanguage=ru-Ru.svg").read_bytes()
    assert normalize(svg).paths[0].fill == "#008000"
    assert normalize(svg, language="ru").paths[0].fill == "#ff0000"


def test_nested_viewport_clips_its_content():
    drawing = normalize((RESVG / "svg-deeply-nested-svg.svg").read_bytes())
    circle = drawing.paths[0]
    assert circle.clip_path is not None
    inner = drawing.clips[circle.clip_path]
    assert inner.clip_path is not None  # the outer viewport's clip is intersected too


def test_evenodd_clip_is_written_so_that_the_reference_renderer_honours_it():
    # cairosvg fills every clipPath nonzero; the writer gives evenodd clips as masks instead.
    drawing, _ = round_trip("clip-rule-clip-rule=evenodd")
    star = "M100 15l50 160-130-100h160l-130 100z"
    expected = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200">'
        f'<path d="{star}" fill="green" fill-rule="evenodd"/>'
        '<rect x="1" y="1" width="198" height="198" fill="none" stroke="black"/></svg>'
    )
    assert ssim(rasterize(write(drawing), SIZE), rasterize(expected, SIZE)) >= 0.99
