"""The CLI on real files: outputs, exit codes, clear one-line errors and no partial files."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from svgvl.cli import main

from .conftest import SVG_FIXTURES

ROOT = Path(__file__).parent.parent
ICON = SVG_FIXTURES / "icons" / "mdi-cog.svg"
LOGO_PNG = ROOT / "examples" / "logo.png"
# The console script installed beside this interpreter (the venv need not be activated).
SCRIPT = Path(sys.executable).parent / "svgvl"


def run(*args, stdin: bytes | None = None):
    """The installed console script in a real process: what a user sees."""
    return subprocess.run(
        [str(SCRIPT) if SCRIPT.exists() else "svgvl", *map(str, args)],
        input=stdin,
        capture_output=True,
        timeout=120,
    )


def test_help_does_not_import_torch():
    code = "import sys, svgvl.cli; svgvl.cli.build_parser(); assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    result = run("--help")
    assert result.returncode == 0 and b"vectorize" in result.stdout


def test_tokenize_names_what_it_approximated(capsys):
    emoji = SVG_FIXTURES / "emoji" / "noto-crystal-ball.svg"
    assert main(["tokenize", str(emoji)]) == 0
    captured = capsys.readouterr()
    assert "tokens" in captured.out
    assert f"{emoji}: approximated fill gradients (averaged to one colour)" in captured.err


def test_normalize_writes_a_compact_equivalent_file(tmp_path):
    out = tmp_path / "out.svg"
    assert main(["normalize", str(ICON), "-o", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("<svg") and "<path" in text and "transform" not in text


def test_existing_output_is_not_overwritten_without_force(tmp_path, capsys):
    out = tmp_path / "out.svg"
    out.write_text("precious")
    assert main(["normalize", str(ICON), "-o", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err and out.read_text() == "precious"
    assert main(["normalize", str(ICON), "-o", str(out), "--force"]) == 0
    assert out.read_text().startswith("<svg")


def test_stdin_to_stdout():
    result = run("normalize", "-", "-o", "-", stdin=ICON.read_bytes())
    assert result.returncode == 0 and result.stdout.startswith(b"<svg")


BAD_SVGS = {
    "empty.svg": b"",
    "text.svg": b"just some words",
    "truncated.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0',
    "nan.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0 L nan 1"/></svg>',
    "huge.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0 L 1e300 1"/></svg>',
    "many.svg": b'<svg xmlns="http://www.w3.org/2000/svg">'
    + b'<path d="M0 0h1"/>' * 100_000
    + b"</svg>",
    "xxe.svg": b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>',
}


@pytest.mark.parametrize("name", sorted(BAD_SVGS))
@pytest.mark.parametrize("command", ["normalize", "render"])
def test_bad_svg_gives_a_clear_error_and_no_output(tmp_path, name, command):
    src = tmp_path / name
    src.write_bytes(BAD_SVGS[name])
    out = tmp_path / ("out.svg" if command == "normalize" else "out.png")
    # normalize draws bad path data up to the error unless --strict (tested below)
    strict = ["--strict"] if command == "normalize" and name in ("nan.svg", "huge.svg") else []
    result = run(command, src, "-o", out, *strict)
    err = result.stderr.decode()
    assert result.returncode == 1, err
    assert "Traceback" not in err and err.startswith("svgvl: error: ") and name in err
    assert err.count("\n") == 1
    assert not out.exists() and list(tmp_path.iterdir()) == [src]


def test_normalize_draws_bad_path_data_up_to_the_error_and_says_so(tmp_path):
    src = tmp_path / "cut.svg"
    src.write_bytes(
        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
        b'<path d="M1 1H9V9Z L nan 3"/><text>hi</text></svg>'
    )
    result = run("normalize", src, "-o", tmp_path / "out.svg")
    err = result.stderr.decode()
    assert result.returncode == 0, err
    assert err.count("\n") == 1 and "cut at its first error" in err and "<text>" in err
    assert "M1 1H9V9Z" in (tmp_path / "out.svg").read_text()


def test_missing_input_file(tmp_path):
    result = run("render", tmp_path / "nope.svg", "-o", tmp_path / "x.png")
    assert result.returncode == 1 and b"no such file" in result.stderr


def test_usage_error_exits_2():
    result = run("render", "--size", "0", "x.svg", "-o", "y.png")
    assert result.returncode == 2 and b"invalid size" in result.stderr


def test_repair_reports_what_it_changed(tmp_path):
    src = tmp_path / "model.txt"
    src.write_text('Here you go: <svg viewBox="0 0 10 10"><path d="M1 1H9V9Z"/><path d="M1')
    out = tmp_path / "fixed.svg"
    result = run("repair", src, "-o", out)
    assert result.returncode == 0
    assert b"repaired: dropped" in result.stderr and b"truncated" in result.stderr
    assert out.read_text().endswith("</svg>")


def test_render_matches_the_requested_size(tmp_path):
    out = tmp_path / "cog.png"
    assert main(["render", str(ICON), "-o", str(out), "--size", "64"]) == 0
    image = Image.open(out)
    assert image.size == (64, 64)
    pixels = np.asarray(image.convert("L"))
    assert pixels.min() < 64 and pixels.max() > 200  # a dark cog on white


def test_compare_an_svg_with_its_own_rendering(tmp_path):
    png = tmp_path / "cog.png"
    assert main(["render", str(ICON), "-o", str(png), "--size", "256"]) == 0
    result = run("compare", ICON, png, "--json")
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert scores["ssim"] > 0.999 and scores["mse"] < 1e-4
    assert scores["bytes"] == ICON.stat().st_size


def test_vectorize_example_logo(tmp_path):
    out = tmp_path / "logo.svg"
    result = run("vectorize", LOGO_PNG, "-o", out)
    assert result.returncode == 0, result.stderr
    assert b"ssim" in result.stderr
    assert out.read_text().startswith("<svg")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty.png", b""),
        ("corrupt.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40),
        ("text.png", b"hello"),
    ],
)
def test_vectorize_bad_image(tmp_path, name, data):
    src = tmp_path / name
    src.write_bytes(data)
    out = tmp_path / "out.svg"
    result = run("vectorize", src, "-o", out)
    assert (
        result.returncode == 1
        and b"Traceback" not in result.stderr
        and name.encode() in result.stderr
    )
    assert not out.exists()


def test_vectorize_a_folder_in_parallel_with_out_dir(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("icons/mdi-cog.svg", "logos/si-python.svg", "glyphs/dejavusans-g.svg"):
        main(
            [
                "render",
                str(SVG_FIXTURES / name),
                "-o",
                str(src / (Path(name).stem + ".png")),
                "--size",
                "128",
            ]
        )
    (src / "notes.txt").write_text("not an image")
    out = tmp_path / "out"
    result = run("vectorize", src, "--out-dir", out, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "dejavusans-g.svg",
        "mdi-cog.svg",
        "si-python.svg",
    ]
    assert b"3 of 3 images vectorized" in result.stderr
    # a second run refuses to overwrite, per file, and says so
    again = run("vectorize", src, "--out-dir", out, "--quiet")
    assert again.returncode == 1 and again.stderr.count(b"already exists") == 3


def test_vectorize_glob_and_a_missing_file_in_one_batch(tmp_path):
    main(["render", str(ICON), "-o", str(tmp_path / "a.png"), "--size", "64"])
    result = run(
        "vectorize",
        str(tmp_path / "*.png"),
        tmp_path / "missing.png",
        "--out-dir",
        tmp_path / "o",
        "--quiet",
    )
    assert result.returncode == 1
    assert (tmp_path / "o" / "a.svg").exists()
    assert b"missing.png" in result.stderr and b"Traceback" not in result.stderr


def test_vectorize_stdin_to_stdout():
    result = run("vectorize", "-", stdin=LOGO_PNG.read_bytes())
    assert result.returncode == 0 and result.stdout.startswith(b"<svg")


def test_vectorize_options_reach_the_engine(tmp_path):
    out = tmp_path / "logo.svg"
    result = run("vectorize", LOGO_PNG, "-o", out, "--colors", "2", "--detail", "low", "--quiet")
    assert result.returncode == 0, result.stderr
    assert out.read_text().count("<path") <= 2
    result = run("vectorize", LOGO_PNG, "-o", tmp_path / "x.svg", "--refine", "-1")
    assert result.returncode == 2


@pytest.mark.parametrize(
    ("name", "image", "paths"),
    [
        ("one-pixel.png", Image.new("RGB", (1, 1), (200, 30, 30)), 1),
        ("two-pixels.png", Image.new("RGB", (2, 1), (255, 255, 255)), 1),
        ("transparent.png", Image.new("RGBA", (40, 30), (0, 0, 0, 0)), 0),
        ("one-colour.png", Image.new("RGB", (40, 30), (30, 100, 200)), 1),
    ],
)
def test_vectorize_trivial_images(tmp_path, name, image, paths):
    """Degenerate images give a trivial SVG of their size and exit 0 (a 1×1 image used to exit
    1 after writing its SVG: scoring failed once the file was there)."""
    src = tmp_path / name
    image.save(src)
    out = tmp_path / "out.svg"
    result = run("vectorize", src, "-o", out)
    assert result.returncode == 0, result.stderr
    svg = out.read_text()
    assert f'viewBox="0 0 {image.width} {image.height}"' in svg
    assert svg.count("<path") == paths
    counted = f"{paths} path{'' if paths == 1 else 's'}".encode()  # "1 path", "0 paths"
    assert counted + b"\n" in result.stderr and b"Traceback" not in result.stderr


def test_vectorize_mode(tmp_path):
    art = np.kron(np.array([[0, 1, 1], [1, 0, 2]]), np.ones((8, 8), int))
    src = tmp_path / "art.png"
    Image.fromarray(np.array([[255, 0, 0], [0, 0, 255], [20, 160, 20]], np.uint8)[art]).save(src)
    out = tmp_path / "art.svg"
    assert run("vectorize", src, "-o", out, "--mode", "pixel", "--quiet").returncode == 0
    assert out.read_text().count("<path") == 3
    # A failure leaves no output file behind.
    for args in (
        ["--mode", "fill", "--engine", "vtracer"],
        ["--mode", "pixel", "--engine", "vtracer"],
    ):
        result = run("vectorize", src, "-o", tmp_path / "x.svg", *args)
        assert result.returncode == 1 and b"mode" in result.stderr, args
        assert b"Traceback" not in result.stderr and not (tmp_path / "x.svg").exists()
