"""The hard-suite vectorizer benchmark (eval/vectorize/hard.py, make_hard_suites.py) on tiny
generated inputs, so that the scripts keep running as svgvl changes."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from svgvl.render import rasterize

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "eval" / "vectorize"
POTRACE = shutil.which("potrace") and shutil.which("mkbitmap")


def _script(name: str):
    spec = importlib.util.spec_from_file_location(f"eval_{name}", SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def hard():
    return _script("hard")


def test_stroke_share_follows_inheritance_and_style(hard):
    ns = 'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"'
    grouped = f'<svg {ns}><g fill="none" stroke="#000"><path d="M1 1L9 9"/></g></svg>'
    styled = f'<svg {ns}><path style="fill:none;stroke:red" d="M1 1L9 9"/></svg>'
    filled = f'<svg {ns}><path d="M1 1h8v8z"/><path stroke="red" d="M1 1h8v8z"/></svg>'
    mixed = f'<svg {ns}><path d="M1 1h8v8z"/><path fill="none" stroke="red" d="M1 1L9 9"/></svg>'
    unstroked = f'<svg {ns}><path fill="none" d="M1 1L9 9"/></svg>'
    assert hard.stroke_share(grouped.encode()) == 1.0
    assert hard.stroke_share(styled.encode()) == 1.0
    assert hard.stroke_share(filled.encode()) == 0.0
    assert hard.stroke_share(mixed.encode()) == 0.5
    assert hard.stroke_share(unstroked.encode()) == 0.0
    assert hard.stroke_share(b"not svg") == 0.0


def test_measure_reports_the_child_not_this_process(hard):
    """A forked child inherits its parent's peak RSS on Linux; the launcher must hide ours."""
    import resource

    ours_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sec, mb, code = hard.measure(["true"], timeout=10)
    assert code == 0 and sec < 5
    assert mb < min(20, ours_mb / 2)
    _, big_mb, _ = hard.measure([sys.executable, "-c", "b = bytearray(200 << 20)"], timeout=30)
    assert big_mb > 200


def test_measure_stops_a_process_at_the_timeout(hard):
    sec, _, code = hard.measure(["sleep", "30"], timeout=0.5)
    assert code != 0 and sec < 5


def test_pixel_grid_svg_renders_back_to_the_pixels():
    make = _script("make_hard_suites")
    rng = np.random.default_rng(0)
    palette = np.array([[255, 255, 255], [200, 30, 40], [20, 20, 120]], np.uint8)
    pixels = palette[rng.integers(0, 3, (12, 12))]
    big = np.repeat(np.repeat(pixels, 8, axis=0), 8, axis=1)
    rendered = rasterize(make._grid_svg(pixels, 8), size=96)
    assert np.abs(rendered.astype(int) - big).max() <= 2


def test_a_real_files_reference_is_its_larger_drawing_shrunk_never_enlarged(hard, tmp_path):
    """Real suites (make_real_suites.py) have no SVG: the same icon's larger published file
    in ref/ is the zoomed target — shrunk to 4× the input, or to what it holds."""
    tile = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><circle cx="4" cy="4" r="3"/></svg>'
    (tmp_path / "ref").mkdir()
    small, large = rasterize(tile, size=16), rasterize(tile, size=256)
    Image.fromarray(small).save(tmp_path / "dot.png")
    Image.fromarray(large).save(tmp_path / "ref" / "dot.png")
    source = hard._source(tmp_path / "dot.png")
    assert source == tmp_path / "ref" / "dot.png"
    target = hard._zoom_target(source, small)
    assert target.shape == (64, 64, 3)
    assert np.abs(target.astype(int) - rasterize(tile, size=64)).mean() < 3
    assert hard._zoom_target(source, rasterize(tile, size=100)).shape == (200, 200, 3)
    assert hard._source(tmp_path / "other.png") is None


def _item(folder: Path, name: str, svg: str, size: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.svg").write_text(svg)
    Image.fromarray(rasterize(svg, size=size)).save(folder / f"{name}.png")


@pytest.mark.slow
def test_hard_harness_end_to_end(tmp_path):
    ns = 'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"'
    line = f'<svg {ns}><g fill="none" stroke="#000" stroke-width="1.5"><circle cx="12" cy="12" r="8"/><path d="M4 20L20 4"/></g></svg>'
    tile = f'<svg {ns}><rect width="24" height="24" rx="5" fill="#3178c6"/><circle cx="12" cy="12" r="5" fill="#fff"/></svg>'
    inputs = tmp_path / "inputs"
    _item(inputs / "lineart-1px", "ring", line, 48)
    _item(inputs / "favicon-32", "tile", tile, 32)
    work, md, sheets = tmp_path / "work", tmp_path / "hard.md", tmp_path / "sheets"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, SCRIPTS / "hard.py", inputs, "--work", work, "--out", md]
    subprocess.run([*map(str, cmd), "--sheets", str(sheets)], check=True, env=env, cwd=ROOT)

    rows = [json.loads(line) for line in (work / "items.jsonl").read_text().splitlines()]
    methods = {(r["suite"], r["method"]) for r in rows}
    expected = {"svgvl", "vtracer", "vt-poly"} | ({"potrace"} if POTRACE else set())
    assert {m for s, m in methods if s == "lineart-1px"} == expected
    assert {m for s, m in methods if s == "favicon-32"} == {"svgvl", "vtracer", "vt-poly"}
    for row in rows:
        assert row["exit"] == 0 and row["bytes"] > 0 and row["sec"] > 0 and row["mb"] > 0
        assert (work / row["suite"] / row["method"] / f"{row['name']}.svg").exists()
        assert 0 <= row["ssim"] <= 1 and 0 <= row["ssim4x"] <= 1
    # vtracer draws both clean inputs faithfully: a harness that scored against the wrong
    # image or size, or lost the output, would not see that
    for row in rows:
        if row["method"] == "vt-poly":
            assert row["ssim"] > 0.85 and row["ssim4x"] > 0.75 and not row["empty"]
    text = md.read_text()
    assert "python eval/vectorize/hard.py" in text
    for suite, method in methods:
        assert f"| {suite} | {method} | 1 |" in text
    sheet = Image.open(sheets / "lineart-1px.png")
    assert sheet.width == 3 * 160 and sheet.height == 160 + 14
