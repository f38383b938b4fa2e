"""svgvl.engines: the public svgvl.vectorize beside its engine package, and batch vectorizing."""

import subprocess
import sys
from pathlib import Path

import pytest

import svgvl
from svgvl.engines import EngineError
from svgvl.engines.batch import image_inputs, output_path, vectorize_file, vectorize_many
from svgvl.render import rasterize, save_png

from .conftest import SVG_FIXTURES

LOGO_PNG = Path(__file__).parent.parent / "examples" / "logo.png"


def test_importing_the_engines_keeps_svgvl_vectorize_a_function():
    # A fresh interpreter: the engine package imported by name first, then the public function
    # (a submodule named svgvl.vectorize once replaced the function with itself).
    code = (
        "from svgvl.engines import EngineError, ENGINES\n"
        "import svgvl.engines.batch\n"
        "import svgvl\n"
        f"svg = svgvl.vectorize({str(LOGO_PNG)!r})\n"
        "assert svg.startswith('<svg') and '<path' in svg, svg[:80]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    assert svgvl.vectorize(LOGO_PNG).startswith("<svg")
    with pytest.raises(EngineError, match="unknown engine"):
        svgvl.vectorize(LOGO_PNG, engine="nope")


@pytest.fixture
def images(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("icons/mdi-cog.svg", "logos/si-python.svg"):
        save_png(rasterize(SVG_FIXTURES / name, size=64), str(folder / (Path(name).stem + ".png")))
    (folder / "notes.txt").write_text("not an image")
    return folder


def test_image_inputs_expand_folders_and_globs_and_keep_missing_files(images, tmp_path):
    cog, python = str(images / "mdi-cog.png"), str(images / "si-python.png")
    assert image_inputs([str(images)]) == [cog, python]
    assert image_inputs([str(images / "*-cog.png"), "missing.png"]) == [cog, "missing.png"]
    with pytest.raises(ValueError, match="no images in this directory"):
        image_inputs([str(tmp_path)])
    with pytest.raises(ValueError, match="no files match"):
        image_inputs([str(images / "*.jpg")])
    assert output_path(cog, "out") == "out/mdi-cog.svg" and output_path(cog) == cog[:-4] + ".svg"
    assert output_path("-") == "-" and output_path("-", "out") == "out/stdin.svg"


@pytest.mark.parametrize("jobs", [1, 2])
def test_vectorize_many_reports_each_file_and_goes_on(images, tmp_path, jobs):
    inputs = image_inputs([str(images)]) + [str(tmp_path / "missing.png")]
    out = tmp_path / "out"
    seen = []
    results = vectorize_many(inputs, str(out), jobs=jobs, score=True, on_result=seen.append)
    assert [r.input for r in results] == inputs and sorted(
        seen, key=lambda r: inputs.index(r.input)
    ) == results
    assert [r.ok for r in results] == [True, True, False]
    assert "missing.png" in results[2].error and "\n" not in results[2].error
    cog = results[0]
    assert cog.output == str(out / "mdi-cog.svg") and cog.ssim > 0.9
    assert cog.bytes == len((out / "mdi-cog.svg").read_bytes()) and cog.paths >= 1
    # Nothing is overwritten without force, file by file; options reach the engine.
    again = vectorize_many(inputs[:2], str(out), jobs=jobs, colors=2)
    assert all("already exists" in r.error for r in again)
    forced = vectorize_file(inputs[0], cog.output, force=True, colors=2)
    assert forced.ok and forced.ssim is None
    assert (out / "mdi-cog.svg").read_text().count("<path") <= 2
    bad = vectorize_file(inputs[0], str(tmp_path / "x.svg"), colors=0)
    assert not bad.ok and "colors must be between" in bad.error
