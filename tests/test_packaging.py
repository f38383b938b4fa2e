"""The package layout promises of the foundation issue."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def test_transformers_imports_from_the_repo_root():
    # tokenizers/ at the top level is data: it must never shadow Hugging Face's tokenizers.
    code = "import tokenizers, transformers; print(tokenizers.__file__)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "site-packages" in result.stdout and not result.stdout.startswith(
        str(ROOT / "tokenizers")
    )


def test_data_folders_are_not_packages():
    for folder in ("tokenizers", "eval"):
        assert not (ROOT / folder / "__init__.py").exists()


def test_import_is_light():
    code = "import sys, svgvl; svgvl.__version__; assert not {'torch', 'transformers', 'numpy'} & set(sys.modules), sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_vectorize_cli_path_does_not_import_torch_or_scipy(tmp_path):
    code = (
        "import sys, svgvl; from svgvl.cli import main;"
        f"main(['vectorize', {str(ROOT / 'examples' / 'logo.png')!r}, '-o', {str(tmp_path / 'o.svg')!r}]);"
        "assert not {'torch', 'scipy.ndimage', 'skimage.metrics'} & set(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_the_version_has_one_source():
    # pyproject reads the version from svgvl.__version__ instead of repeating it.
    tomllib = pytest.importorskip("tomllib")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"]
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "svgvl.__version__"}


@pytest.mark.slow
def test_the_wheel_ships_py_typed_and_the_version(tmp_path):
    import svgvl

    source = tmp_path / "source"  # a copy, so that the build leaves nothing in the checkout
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "svgvl", source / "svgvl", ignore=shutil.ignore_patterns("__pycache__"))
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run([*command, str(source), "-w", str(tmp_path / "dist")], check=True, timeout=300)
    (wheel,) = (tmp_path / "dist").glob("svgvl-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
    assert "svgvl/py.typed" in names
    assert "svgvl/models/weights/iconshop-gpu/model.int8.safetensors" in names
    assert f"Version: {svgvl.__version__}\n" in metadata.decode()
    assert wheel.name.startswith(f"svgvl-{svgvl.__version__}-")
