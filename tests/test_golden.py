"""Golden outputs: normalize + write on every real fixture, compared byte for byte.

A change in the output is either a bug or an improvement; after checking the new output renders
the same (test_render_equivalence), regenerate with:  SVGVL_UPDATE_GOLDEN=1 pytest tests/test_golden.py
"""

import os
from pathlib import Path

from svgvl.svg import normalize, parse, write

GOLDEN = Path(__file__).parent / "golden" / "normalize"


def test_normalize_write_matches_golden(fixture_svg):
    out = write(normalize(parse(fixture_svg)))
    golden = GOLDEN / fixture_svg.parent.name / fixture_svg.name
    if os.environ.get("SVGVL_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(out)
    assert golden.exists(), f"no golden file {golden}; run with SVGVL_UPDATE_GOLDEN=1"
    assert out == golden.read_text()
