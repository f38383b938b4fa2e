"""`svgvl icon` as a user meets it: standard output, a quiet stderr, the core install's message."""

from __future__ import annotations

import subprocess
import sys

import pytest

from svgvl.svg import parse

CLI = [sys.executable, "-c", "import sys; from svgvl.cli import main; sys.exit(main())"]


@pytest.mark.slow
def test_icons_to_standard_output_one_per_line_and_nothing_else(tmp_path):
    run = subprocess.run(
        [*CLI, "icon", "heart", "-n", "2", "--seed", "0", "-o", "-", "--no-library"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 2 and len(set(lines)) == 2
    for line in lines:
        assert parse(line.encode()).root is not None
    assert list(tmp_path.iterdir()) == []  # no folder named "-", no file
    # No library: nothing to say; and no deprecation noise from transformers or torch.
    assert run.stderr == ""


def test_the_core_install_says_which_extra_brings_the_model(tmp_path):
    blocked = (
        "import sys; sys.modules['torch'] = None; from svgvl.cli import main; sys.exit(main())"
    )
    run = subprocess.run(
        [sys.executable, "-c", blocked, "icon", "rocket", "-o", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert "pip install 'svgvl[learn]'" in run.stderr
    assert list(tmp_path.iterdir()) == []
