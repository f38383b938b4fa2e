import json
import os
from pathlib import Path

import pytest

# Tests never reach a model hub: loading code must honour offline mode.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

FIXTURES = Path(__file__).parent / "fixtures"
SVG_FIXTURES = FIXTURES / "svg"
MANIFEST = json.loads((SVG_FIXTURES / "MANIFEST.json").read_text())
FIXTURE_FILES = [SVG_FIXTURES / entry["path"] for entry in MANIFEST]


def fixture_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


@pytest.fixture(params=FIXTURE_FILES, ids=fixture_id)
def fixture_svg(request) -> Path:
    return request.param
