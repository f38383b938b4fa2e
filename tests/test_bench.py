"""svgvl bench on real fixture SVGs: scores, resuming, failures, parallel runs, reports."""

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from svgvl import bench
from svgvl.bench import BenchError, Method
from svgvl.cli import main
from svgvl.metrics import compare
from svgvl.render import rasterize

from .conftest import SVG_FIXTURES

SIZE = 64
PICKS = [
    "icons/mdi-cog.svg",
    "emoji/noto-crazy-face.svg",
    "logos/si-python.svg",
    "glyphs/dejavusans-g.svg",
]


def make_suite(folder: Path, picks=PICKS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for pick in picks:
        shutil.copy(SVG_FIXTURES / pick, folder / Path(pick).name)
    return folder


def grey_square(image, target_svg):
    """A deliberately bad method: a grey square whatever the input."""
    h, w = image.shape[:2]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}">'
        f'<rect x="{w // 4}" y="{h // 4}" width="{w // 2}" height="{h // 2}" fill="#888"/></svg>'
    )


@pytest.fixture(scope="module")
def done_run(tmp_path_factory):
    """One run shared by the structure, report and screenshot tests."""
    root = tmp_path_factory.mktemp("bench")
    suite = make_suite(root / "suite", PICKS[:3])
    out = root / "out"
    results = bench.run(
        suite, ["source", "trace", "tests.test_bench:grey_square"], out, size=SIZE, zoom=2
    )
    return results, out


def test_source_is_exact_and_trace_beats_a_bad_method(done_run):
    results, _ = done_run
    means = results["methods"]
    source = means["source"]
    assert source["ssim"] == 1.0 and source["ssim_zoom"] == 1.0 and source["mse"] == 0.0
    rows = {(r["id"], r["method"]): r for r in results["items"]}
    for item in ("mdi-cog", "noto-crazy-face", "si-python"):
        trace, bad = rows[item, "trace"], rows[item, "tests.test_bench:grey_square"]
        assert rows[item, "source"]["ssim"] == 1.0
        assert trace["ssim"] > bad["ssim"] + 0.1 and trace["mse"] < bad["mse"]
        assert trace["ssim_zoom"] > bad["ssim_zoom"]
    assert means["trace"]["ssim"] > 0.8 > means["tests.test_bench:grey_square"]["ssim"]


def test_results_json_and_md_structure(done_run):
    results, out = done_run
    on_disk = json.loads((out / "results.json").read_text())
    assert on_disk == json.loads(json.dumps(results))
    assert on_disk["suite"] == "suite" and on_disk["size"] == SIZE
    assert list(on_disk["methods"]) == ["source", "trace", "tests.test_bench:grey_square"]
    assert len(on_disk["items"]) == 9 and on_disk["skipped"] == []
    for summary in on_disk["methods"].values():
        assert summary["n"] == 3 and summary["failed"] == 0
        for key in ("mse", "psnr", "ssim", "ssim_zoom", "bytes", "paths", "commands", "sec"):
            assert isinstance(summary[key], float | int)
    row = on_disk["items"][0]
    for key in ("id", "method", "mse", "psnr", "ssim", "ssim_zoom", "bytes", "paths", "commands"):
        assert key in row
    assert row["failed"] is False and "error" not in row and "lpips" not in row
    for row in on_disk["items"]:  # per-item files: the output, its render, the difference
        for key in ("svg", "image", "diff", "input"):
            assert (out / row[key]).is_file(), row[key]
        saved = json.loads(
            (out / "items" / row["svg"].split("/")[1] / f"{Path(row['svg']).stem}.json").read_text()
        )
        assert saved["ssim"] == row["ssim"]
    md = (out / "results.md").read_text()
    lines = md.splitlines()
    assert lines[0] == "# svgvl bench: suite"
    assert lines[5].startswith("svgvl bench --suite ") and "--methods source,trace," in lines[5]
    assert f"--size {SIZE}" in lines[5] and "--zoom 2" in lines[5]
    table = [line for line in lines if line.startswith("| ")]
    assert table[0].startswith("| method | n | failed | SSIM | SSIM zoom |")
    assert [line.split("|")[1].strip() for line in table[1:]] == list(on_disk["methods"])
    assert "| source | 3 | 0 | 1.0000 | 1.0000 |" in md


def test_report_html_is_self_contained(done_run):
    _, out = done_run
    page = (out / "report.html").read_text()
    assert not re.search(r"""(src|href)=['"]?(https?:|//)""", page)
    sources = re.findall(r"src='([^']+)'", page)
    assert len(sources) == 3 + 3 * 3 * 2  # inputs, then an output and a difference per method
    assert all((out / src).is_file() for src in sources)
    assert page.count("data-sort=") == 1 + 3 * 8  # id, then 8 metrics for each method


def run_chromium(page: Path, shot: Path, size=(1400, 1000)):
    browser = next(
        (
            shutil.which(name)
            for name in ("chromium", "chromium-browser", "google-chrome")
            if shutil.which(name)
        ),
        None,
    )
    if browser is None:
        pytest.skip("chromium is not installed")
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={shot.parent / 'profile'}",
            f"--screenshot={shot}",
            f"--window-size={size[0]},{size[1]}",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        timeout=120,
    )
    if not shot.is_file():
        pytest.skip(f"chromium could not run here: {done.stderr.decode(errors='replace')[-300:]}")
    return np.asarray(Image.open(shot).convert("RGB")).astype(int)


def test_report_screenshot_shows_table_and_images(done_run, tmp_path):
    _, out = done_run
    pixels = run_chromium(out / "report.html", tmp_path / "shot.png")
    non_white = (pixels.min(axis=-1) < 240).mean()
    assert non_white > 0.05, "the page looks empty"
    # Text and table lines are grey (links blue); only rendered images bring colour: the
    # emoji's yellow, the Python logo's blue, the red of the difference images.  With the images
    # missing (checked by hand) these counts are 0, 144 and 0.
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    saturation = pixels.max(axis=-1) - pixels.min(axis=-1)
    assert (saturation > 80).mean() > 0.02, "no image was drawn"
    yellow = (r > 200) & (g > 150) & (b < 90)
    python_blue = (r < 100) & (g > 90) & (g < 150) & (b > 140)
    diff_red = (r > 200) & (g < 150) & (np.abs(g - b) < 20)
    assert yellow.sum() > 2000 and python_blue.sum() > 2000 and diff_red.sum() > 2000


def test_resume_skips_done_items_and_force_redoes_them(tmp_path):
    suite = make_suite(tmp_path / "suite")
    calls = tmp_path / "calls.txt"

    def counted(image, target_svg):  # runs in a forked child: count through a file
        with open(calls, "a") as handle:
            handle.write("x\n")
        return grey_square(image, target_svg)

    method = Method("counted", counted)
    out = tmp_path / "out"

    def count():
        return len(calls.read_text().splitlines()) if calls.exists() else 0

    first = bench.run(suite, [method, "source"], out, size=SIZE, zoom=0, limit=2)
    assert count() == 2 and len(first["items"]) == 4
    second = bench.run(suite, [method, "source"], out, size=SIZE, zoom=0)
    assert count() == 4 and len(second["items"]) == 8  # only the two new items ran
    assert second["items"][:4] == first["items"]
    third = bench.run(suite, [method, "source"], out, size=SIZE, zoom=0)
    assert count() == 4 and third["items"] == second["items"]
    # A changed target file is scored again.
    (suite / "mdi-cog.svg").write_bytes((SVG_FIXTURES / "icons/tabler-heart.svg").read_bytes())
    bench.run(suite, [method], out, size=SIZE, zoom=0)
    assert count() == 5
    bench.run(suite, [method], out, size=SIZE, zoom=0, force=True)
    assert count() == 9


def test_other_settings_need_force(tmp_path):
    suite = make_suite(tmp_path / "suite", PICKS[:1])
    out = tmp_path / "out"
    bench.run(suite, ["source"], out, size=SIZE, zoom=0)
    with pytest.raises(BenchError, match="other settings.*size.*--force"):
        bench.run(suite, ["source"], out, size=SIZE * 2, zoom=0)
    bench.run(suite, ["source"], out, size=SIZE * 2, zoom=0, force=True)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "precious.txt").write_text("keep")
    with pytest.raises(BenchError, match="holds other files"):
        bench.run(suite, ["source"], busy, size=SIZE, zoom=0)


def flaky(image, target_svg):
    if "M12 15.5A3.5" in target_svg:  # mdi-cog: the method breaks
        raise RuntimeError("cannot handle gears")
    if 'viewBox="0 0 1300 2384"' in target_svg:  # dejavusans-g: output that is not SVG
        return "this is not svg"
    return grey_square(image, target_svg)


@pytest.mark.slow
def test_a_failing_method_is_recorded_not_a_crash(tmp_path):
    suite = make_suite(tmp_path / "suite")
    out = tmp_path / "out"
    sleepy = Method("sleepy", lambda image, svg: time.sleep(30) or "")
    dies = Method("dies", lambda image, svg: os._exit(3))
    log = []
    results = bench.run(
        suite,
        [Method("flaky", flaky), sleepy, dies, "source"],
        out,
        size=SIZE,
        zoom=2,
        timeout=1.0,
        log=log.append,
    )
    rows = {(r["id"], r["method"]): r for r in results["items"]}
    broken = rows["mdi-cog", "flaky"]
    assert broken["failed"] is True and "cannot handle gears" in broken["error"]
    assert broken["bytes"] is None and broken["svg"] is None
    white = compare(np.full((SIZE, SIZE, 3), 255, np.uint8), rasterize(suite / "mdi-cog.svg", SIZE))
    assert broken["ssim"] == pytest.approx(white["ssim"]) and broken["mse"] == pytest.approx(
        white["mse"]
    )
    assert rows["noto-crazy-face", "flaky"]["failed"] is False
    assert rows["dejavusans-g", "flaky"]["failed"] is True  # unparsable output
    for item in ("mdi-cog", "si-python"):
        assert (
            rows[item, "sleepy"]["failed"]
            and "timed out after 1 s" in rows[item, "sleepy"]["error"]
        )
        assert rows[item, "sleepy"]["sec"] < 5
        assert rows[item, "dies"]["failed"] and "died" in rows[item, "dies"]["error"]
    assert results["methods"]["sleepy"]["failed"] == 4
    assert results["methods"]["source"]["failed"] == 0
    assert any("flaky failed on mdi-cog: RuntimeError: cannot handle gears" in line for line in log)
    assert (out / "report.html").read_text().count("class=failed") == 2 + 4 + 4


def test_jobs_2_gives_the_same_numbers_as_jobs_1(tmp_path):
    suite = make_suite(tmp_path / "suite")
    one = bench.run(suite, ["trace", "source"], tmp_path / "one", size=SIZE, zoom=2, jobs=1)
    two = bench.run(suite, ["trace", "source"], tmp_path / "two", size=SIZE, zoom=2, jobs=2)

    def numbers(results):
        return [{k: v for k, v in row.items() if k != "sec"} for row in results["items"]]

    assert numbers(one) == numbers(two) and len(numbers(one)) == 8
    for path in (tmp_path / "one" / "items" / "trace").glob("*.svg"):
        assert path.read_text() == (tmp_path / "two" / "items" / "trace" / path.name).read_text()


def test_broken_files_are_skipped_with_the_reason(tmp_path, capsys):
    suite = make_suite(tmp_path / "suite", PICKS[:1])
    (suite / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (suite / "empty.svg").write_bytes(b"")
    (suite / "broken.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'><path d='M0 0")
    (suite / "page.svg").write_text("<html><body/></html>")
    out = tmp_path / "out"
    code = main(
        [
            "bench",
            "--suite",
            str(suite),
            "--methods",
            "source,trace",
            "--size",
            str(SIZE),
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    err = capsys.readouterr().err
    results = json.loads((out / "results.json").read_text())
    skipped = {entry["id"]: entry["reason"] for entry in results["skipped"]}
    assert set(skipped) == {"photo.png", "empty", "broken", "page"}
    assert "not an SVG file" in skipped["photo.png"] and "empty" in skipped["empty"]
    assert "XML" in skipped["broken"] and "svg" in skipped["page"].lower()
    for name, reason in skipped.items():
        assert f"skipped {name}: {reason}" in err
    assert {row["id"] for row in results["items"]} == {"mdi-cog"}
    assert "Skipped:" in (out / "results.md").read_text()


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("svgvl: error: "), err
    return err[0]


def test_unknown_method_or_suite_lists_the_valid_names(tmp_path, capsys, monkeypatch):
    suite = make_suite(tmp_path / "suite", PICKS[:1])
    args = ["--size", str(SIZE), "--out", str(tmp_path / "out")]
    assert main(["bench", "--suite", str(suite), "--methods", "trace,nope", *args]) == 1
    line = one_error_line(capsys)
    assert "'nope'" in line and all(n in line for n in ("trace", "vtracer", "potrace", "source"))
    assert "starvector:PATH" in line and "package.module:function" in line
    assert main(["bench", "--suite", str(suite), "--methods", "no_such_module_x:fn", *args]) == 1
    assert "cannot import no_such_module_x" in one_error_line(capsys)

    monkeypatch.setenv("SVGVL_SUITES", str(tmp_path / "builtin"))
    make_manifest_suite(tmp_path / "builtin" / "icons")
    make_manifest_suite(tmp_path / "builtin" / "logos")
    assert main(["bench", "--suite", "nope", "--methods", "trace", *args]) == 1
    line = one_error_line(capsys)
    assert "unknown suite 'nope'" in line and "icons, logos" in line and "directory" in line
    assert main(["bench", "--suite", str(tmp_path / "missing"), "--methods", "trace", *args]) == 1
    assert "no such directory" in one_error_line(capsys)
    assert main(["bench", "--methods", "trace", *args]) == 1
    assert "--suite" in one_error_line(capsys)
    assert not (tmp_path / "out").exists()


def test_starvector_without_weights_is_one_clear_error(tmp_path, capsys):
    method = bench.resolve_method("starvector:/models/sv")
    assert method.name == "starvector:/models/sv" and not method.isolate
    suite = make_suite(tmp_path / "suite", PICKS[:1])
    argv = ["bench", "--suite", str(suite), "--methods", "starvector:/models/sv"]
    code = main([*argv, "--out", str(tmp_path / "out")])
    assert code == 1 and "starvector:/models/sv" in one_error_line(capsys)
    with pytest.raises(BenchError, match="needs PATH"):
        bench.resolve_method("starvector")


def make_manifest_suite(folder: Path) -> Path:
    folder.mkdir(parents=True)
    picks = PICKS[:2]
    for pick in picks:
        shutil.copy(SVG_FIXTURES / pick, folder / Path(pick).name)
    items = [
        {
            "id": f"{folder.name}/{Path(p).stem}",
            "file": Path(p).name,
            "source": "fixtures",
            "licence": "MIT",
            "labels": {"kind": p.split("/")[0]},
        }
        for p in picks
    ]
    items.append({"id": "gone", "file": "gone.svg", "source": "fixtures", "licence": "MIT"})
    (folder / "suite.json").write_text(
        json.dumps(
            {
                "name": folder.name,
                "description": f"{folder.name} for tests",
                "command": "made by hand",
                "sources": [{"name": "svgvl test fixtures"}],
                "items": items,
            }
        )
    )
    return folder


def test_builtin_suites_from_suite_json(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SVGVL_SUITES", str(tmp_path / "builtin"))
    make_manifest_suite(tmp_path / "builtin" / "icons")
    listed = bench.list_suites()
    assert [s["name"] for s in listed] == ["icons"]
    assert listed[0]["items"] == 2 and listed[0]["sources"] == ["svgvl test fixtures"]
    assert main(["bench", "--list"]) == 0
    shown = capsys.readouterr().out
    assert "icons" in shown and "2 items" in shown and "svgvl test fixtures" in shown
    assert "methods: trace, vtracer, potrace, source" in shown

    suite = bench.load_suite("icons")
    assert suite.builtin and suite.items[0].labels == {"kind": "icons"}
    assert suite.items[0].key == "icons_mdi-cog" and suite.items[0].licence == "MIT"
    results = bench.run("icons", ["source"], tmp_path / "out", size=SIZE, zoom=0)
    assert [row["id"] for row in results["items"]] == ["icons/mdi-cog", "icons/noto-crazy-face"]
    assert results["skipped"] == [{"id": "gone", "file": "gone.svg", "reason": "file not found"}]
    assert "--suite icons " in results["command"]


def test_register_method_and_plain_callables(tmp_path):
    name = "test-blank"
    try:

        @bench.register_method(name, isolate=False)
        def blank(image, target_svg):
            return grey_square(image, target_svg)

        assert bench.METHODS[name] is blank and blank.name == name
        with pytest.raises(ValueError, match="already registered"):
            bench.register_method(name, blank)
        with pytest.raises(ValueError, match="invalid method name"):
            bench.register_method("a:b", blank)
        suite = make_suite(tmp_path / "suite", PICKS[:1])
        results = bench.run(suite, [name, grey_square], tmp_path / "out", size=SIZE, zoom=0)
        assert [r["method"] for r in results["items"]] == [name, "grey_square"]
        assert results["items"][0]["ssim"] == results["items"][1]["ssim"]
    finally:
        bench.METHODS.pop(name, None)


def test_potrace_method(tmp_path, monkeypatch):
    if shutil.which("potrace") is None:
        monkeypatch.setenv("PATH", str(tmp_path))
        with pytest.raises(BenchError, match="potrace program"):
            bench.METHODS["potrace"].prepare()
        pytest.skip("potrace is not installed")
    suite = make_suite(tmp_path / "suite", PICKS[:3])
    results = bench.run(suite, ["potrace"], tmp_path / "out", size=128, zoom=0)
    assert results["methods"]["potrace"]["failed"] == 0
    assert results["methods"]["potrace"]["ssim"] > 0.9
    emoji = (tmp_path / "out" / "items" / "potrace" / "noto-crazy-face.svg").read_text()
    assert emoji.count("<path") >= 4 and 'fill="#' in emoji and "potrace" not in emoji.lower()
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BenchError, match="potrace program"):
        bench.METHODS["potrace"].prepare()
