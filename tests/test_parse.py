"""Secure parsing: every hostile input gets a clear SVGError, fast, and nothing is resolved."""

import gzip
import time

import pytest

from svgvl.svg import SVGError, normalize, parse

SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><path d="M1 1H9V9Z"/></svg>'


def test_parses_text_bytes_path_and_svgz(tmp_path):
    path = tmp_path / "a.svg"
    path.write_text(SVG)
    gz = tmp_path / "a.svgz"
    gz.write_bytes(gzip.compress(SVG.encode()))
    for source in (SVG, SVG.encode(), path, str(path), gz):
        doc = parse(source)
        assert doc.root.get("viewBox") == "0 0 10 10"
    assert parse(path).source == str(path)


def test_xml_declaration_with_encoding_in_a_str():
    doc = parse('<?xml version="1.0" encoding="ISO-8859-1"?>' + SVG)
    assert doc.root.get("viewBox") == "0 0 10 10"


def test_external_entity_is_refused_and_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>'
    )
    with pytest.raises(SVGError, match="external entities"):
        parse(xxe)


def test_parameter_entity_to_a_remote_dtd_is_refused():
    doc = '<!DOCTYPE svg [<!ENTITY % p SYSTEM "http://example.invalid/x.dtd"> %p;]><svg xmlns="http://www.w3.org/2000/svg"/>'
    with pytest.raises(SVGError):
        parse(doc)


def test_billion_laughs_is_rejected_quickly():
    levels = ['<!ENTITY a0 "lol">'] + [
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)
    ]
    bomb = f'<?xml version="1.0"?><!DOCTYPE svg [{"".join(levels)}]><svg xmlns="http://www.w3.org/2000/svg"><text>&a9;</text></svg>'
    start = time.perf_counter()
    with pytest.raises(SVGError, match="entity"):
        parse(bomb)
    assert time.perf_counter() - start < 2


def test_simple_internal_entities_still_work():
    # Old Illustrator exports declare namespace entities; they are harmless and must parse.
    doc = '<!DOCTYPE svg [<!ENTITY ns_svg "http://www.w3.org/2000/svg">]><svg xmlns="&ns_svg;" viewBox="0 0 4 4"/>'
    assert parse(doc).root.get("viewBox") == "0 0 4 4"


def test_doctype_with_public_dtd_is_not_loaded():
    doc = (
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">'
        + SVG
    )
    assert parse(doc).root.get("viewBox") == "0 0 10 10"


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        (b"", "empty input"),
        (b"   \n ", "empty input"),
        (b"hello, this is not svg", "not well-formed XML"),
        ("<html><body/></html>", "not an SVG document: the root element is <html>"),
        ('<svg xmlns="http://www.w3.org/2000/svg"><path d="M1 1"', "not well-formed XML"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not well-formed XML"),
    ],
)
def test_bad_input_names_the_reason(source, reason):
    with pytest.raises(SVGError, match=reason):
        parse(source)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(SVGError, match="no such file"):
        parse(tmp_path / "missing.svg")
    with pytest.raises(SVGError, match="directory"):
        parse(tmp_path)


def test_size_limits():
    with pytest.raises(SVGError, match="too large"):
        parse(SVG, max_bytes=20)
    deep = '<svg xmlns="http://www.w3.org/2000/svg">' + "<g>" * 300 + "</g>" * 300 + "</svg>"
    with pytest.raises(SVGError, match="nested too deeply"):
        parse(deep)
    many = '<svg xmlns="http://www.w3.org/2000/svg">' + '<path d="M0 0h1"/>' * 100_000 + "</svg>"
    start = time.perf_counter()
    with pytest.raises(SVGError, match="too many elements"):
        parse(many)
    assert time.perf_counter() - start < 5


def test_gzip_bomb_is_refused():
    bomb = gzip.compress(b"<svg>" + b" " * (20 * 1024 * 1024) + b"</svg>")
    with pytest.raises(SVGError, match="larger than"):
        parse(bomb)


def _fan_out(levels: int) -> str:
    """Each level references the previous one ten times: 10^levels paths once expanded."""
    defs = ['<path id="u0" d="M0 0h1v1z"/>'] + [
        f'<g id="u{i}">' + f'<use href="#u{i - 1}"/>' * 10 + "</g>" for i in range(1, levels + 1)
    ]
    return f'<svg xmlns="http://www.w3.org/2000/svg"><defs>{"".join(defs)}</defs><use href="#u{levels}"/></svg>'


def test_use_fan_out_is_refused_before_drawing():
    start = time.perf_counter()
    with pytest.raises(SVGError, match="too many elements"):
        normalize(_fan_out(8))
    # Counted, not drawn: drawing up to the limit takes ~15 s, counting milliseconds.
    assert time.perf_counter() - start < 5


def test_use_fan_out_under_the_limit_draws_every_instance():
    assert len(normalize(_fan_out(3)).paths) == 1000


def test_use_cycle_is_dropped_not_recursed():
    doc = '<svg xmlns="http://www.w3.org/2000/svg"><g id="a"><use href="#a"/><path d="M0 0h5v5z"/></g></svg>'
    drawing = normalize(doc)
    assert len(drawing.paths) == 1
    assert any("cycle" in note for note in drawing.dropped)


@pytest.mark.parametrize("d", ["M0 0 L nan 5", "M0 0 L 1e400 5", "M0 0 L 1e12 5", "M0 0 Linf 3"])
def test_nan_and_huge_numbers_in_path_data(d):
    svg = f'<svg xmlns="http://www.w3.org/2000/svg"><path d="{d}"/></svg>'
    with pytest.raises(SVGError, match="path"):
        normalize(svg, strict=True)
    # By default the path is drawn up to the bad number (here: nothing) and the cut is noted.
    drawing = normalize(svg)
    assert drawing.paths == []
    assert any(note.startswith("path data cut at its first error") for note in drawing.dropped)
