"""The package layout promises of the foundation issue."""

import subprocess
import sys
from pathlib import Path

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
