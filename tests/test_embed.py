"""The SVG–text embedding model: tiny random models built here, the real offline text encoder.

What must hold whatever the weights: unit vectors, an SVG and its PNG landing together, the
search index embedding only what changed and rebuilding for another model, unreadable files
skipped and named, zero-shot probabilities, clear errors, and training that resumes exactly
and learns (the overfit check on a handful of fixture icons)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from svgvl.models.embedder import EmbedderConfig, SvgTextEmbedder
from svgvl.render import rasterize
from svgvl.understand import embed as embed_module
from svgvl.understand.embed import Embedder, EmbedError, load_embedder
from svgvl.understand.search import build_index, classify, rank

from .conftest import SVG_FIXTURES

ICONS = sorted((SVG_FIXTURES / "icons").glob("*.svg"))
TINY = {
    "vision_model": "resnet18",
    "vision_kwargs": {"channels": [8, 8, 16, 16]},
    "image_size": 32,
    "embed_dim": 16,
    "text_hidden": 32,
}


def _save_tiny(folder, seed=0):
    torch.manual_seed(seed)
    SvgTextEmbedder(EmbedderConfig(**TINY)).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return str(_save_tiny(tmp_path_factory.mktemp("embedder")))


def test_vectors_are_unit_and_an_svg_meets_its_png(tiny, tmp_path):
    model = load_embedder(tiny)
    texts = model.embed_texts(["rocket", "a red heart"])
    assert texts.shape == (2, 16)
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1, atol=1e-5)
    png = tmp_path / "heart.png"
    from PIL import Image

    heart = SVG_FIXTURES / "icons" / "tabler-heart.svg"
    Image.fromarray(rasterize(heart, 256)).save(png)
    images = model.embed_images([heart, heart.read_text(), str(png), ICONS[0]])
    np.testing.assert_allclose(np.linalg.norm(images, axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(images[0], images[1], atol=1e-6)  # path and text: one drawing
    sims = images @ images[0]
    assert sims[2] > sims[3]  # its PNG is closer than another icon


def test_bad_queries_and_models_are_clear(tiny, tmp_path):
    model = load_embedder(tiny)
    with pytest.raises(EmbedError, match="empty"):
        model.embed_texts(["  "])
    with pytest.raises(EmbedError, match="too long"):
        model.embed_texts(["word " * 300])
    with pytest.raises(FileNotFoundError):
        Embedder(str(tmp_path / "missing" / "x"))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "config.json").write_text('{"model_type": "bert"}')
    with pytest.raises(EmbedError, match="not an svgvl embedding model"):
        Embedder(str(tmp_path / "other"))


def test_index_embeds_only_what_changed(tiny, tmp_path, monkeypatch):
    folder = tmp_path / "icons"
    folder.mkdir()
    for path in ICONS[:4]:
        shutil.copy(path, folder)
    (folder / "broken.png").write_bytes(b"\x89PNG not really")
    index_file = tmp_path / "index.npz"
    first = build_index([folder], model=tiny, index=index_file, progress=False)
    assert len(first.names) == 4 and list(first.skipped) == [str(folder / "broken.png")]

    calls = []
    embedder = load_embedder(tiny)
    original = embedder.embed_pixels
    monkeypatch.setattr(embedder, "embed_pixels", lambda p: calls.append(len(p)) or original(p))
    again = build_index([folder], model=tiny, index=index_file, progress=False)
    assert calls == [] and again.names == first.names
    np.testing.assert_allclose(again.vectors, first.vectors)

    shutil.copy(ICONS[5], folder / ICONS[0].name)  # one file changes
    changed = build_index([folder], model=tiny, index=index_file, progress=False)
    assert calls == [1]
    i = changed.names.index(str(folder / ICONS[0].name))
    assert rank(changed, changed.vectors[i], 1)[0][0] == changed.names[i]

    other = str(_save_tiny(tmp_path / "other", seed=1))
    rebuilt = build_index([folder], model=other, index=index_file, progress=False)
    assert any("another model version" in note for note in rebuilt.notes)
    assert not np.allclose(rebuilt.vectors, changed.vectors)


def test_classify_gives_probabilities(tiny):
    results = classify(ICONS[:2], ["heart", "rocket", "cog"], model=tiny)
    for ranked in results:
        assert sorted(label for label, _ in ranked) == ["cog", "heart", "rocket"]
        assert abs(sum(p for _, p in ranked) - 1) < 1e-5
        assert [p for _, p in ranked] == sorted((p for _, p in ranked), reverse=True)
    with pytest.raises(EmbedError, match="two different labels"):
        classify(ICONS[:1], ["heart", "heart "], model=tiny)


def _cli(*args, cwd=None, env_cache=None):
    env = None
    if env_cache:
        import os

        env = {**os.environ, "XDG_CACHE_HOME": str(env_cache)}
    return subprocess.run(
        [sys.executable, "-m", "svgvl.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


@pytest.mark.slow
def test_cli_search_and_classify(tiny, tmp_path):
    folder = tmp_path / "icons"
    folder.mkdir()
    for path in ICONS[:5]:
        shutil.copy(path, folder)
    done = _cli(
        "search", "heart", folder, "--model", tiny, "--json", "--top", "3", env_cache=tmp_path
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["searched"] == 5 and len(result["results"]) == 3
    like = _cli("search", "--like", ICONS[2], folder, "--model", tiny, env_cache=tmp_path)
    assert like.returncode == 0 and like.stdout.split()[1] == str(folder / ICONS[2].name)

    empty = tmp_path / "empty"
    empty.mkdir()
    for bad in (
        _cli("search", "heart", empty, "--model", tiny, env_cache=tmp_path),
        _cli("search", "heart", "--model", tiny, env_cache=tmp_path),
        _cli("search", "", folder, "--model", tiny, env_cache=tmp_path),
        _cli("classify", ICONS[0], "--labels", "cat", "--model", tiny),
    ):
        assert bad.returncode != 0 and "Traceback" not in bad.stderr
        assert bad.stderr.strip().count("\n") == 0, bad.stderr

    broken = tmp_path / "broken.svg"
    broken.write_text("<svg")
    mixed = _cli("classify", ICONS[0], broken, "--labels", "heart,cog", "--model", tiny, "--json")
    assert mixed.returncode == 1 and str(broken) in mixed.stderr
    assert list(json.loads(mixed.stdout)) == [str(ICONS[0])]


@pytest.mark.slow
def test_training_resumes_exactly_and_learns(tmp_path):
    from svgvl.train.embed import train

    data = tmp_path / "icons"
    data.mkdir()
    for path in ICONS:
        shutil.copy(path, data)
    config = {
        "model": TINY,
        "data": {"prepared": str(tmp_path / "prepared"), "workers": 1, "variants": 2},
        "train": {
            "batch_size": 8,
            "steps": 6,
            "lr": 3e-3,
            "warmup": 1,
            "save_every": 3,
            "log_every": 1,
        },
    }
    whole = train(config, [data], tmp_path / "whole", progress=False, log=lambda *_: None)
    train(config, [data], tmp_path / "parts", max_steps=3, progress=False, log=lambda *_: None)
    parts = train(config, [data], tmp_path / "parts", progress=False, log=lambda *_: None)
    assert whole["steps"] == parts["steps"] == 6
    a = SvgTextEmbedder.from_pretrained(tmp_path / "whole" / "model").state_dict()
    b = SvgTextEmbedder.from_pretrained(tmp_path / "parts" / "model").state_dict()
    for key in a:
        torch.testing.assert_close(a[key], b[key], msg=key)

    # Overfit: without augmentation, on its own training icons (one batch of all sixteen), the
    # model must learn to find each by its title; chance is a loss of ln 16 = 2.8 and 1/16 hits.
    config["augment"] = {"plain": 1.0, "thicken": 0, "thin": 0, "min_scale": 1.0, "shift": 0}
    config["train"].update(batch_size=16, steps=60, save_every=0, log_every=1)
    train(config, [data], tmp_path / "fit", progress=False, log=lambda *_: None)
    losses = [
        json.loads(line)["loss"]
        for line in (tmp_path / "fit" / "log.jsonl").read_text().splitlines()
        if "loss" in line
    ]
    assert losses[0] > 2 and losses[-1] < 0.5
    model = load_embedder(tmp_path / "fit" / "model")
    from svgvl.data.records import labels
    from svgvl.train.icon_data import keywords

    titles = [keywords(labels(path.stem))[0] for path in ICONS]
    hits = np.argmax(model.embed_texts(titles) @ model.embed_images(ICONS).T, axis=1)
    assert (hits == np.arange(len(ICONS))).mean() >= 0.5  # chance: 1/16


def test_import_svgvl_stays_light():
    code = "import sys, svgvl; svgvl.embed_texts; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "False"


def test_missing_shipped_model_says_how_to_train(monkeypatch, tmp_path):
    monkeypatch.setattr(embed_module, "SHIPPED", tmp_path / "none")
    with pytest.raises(FileNotFoundError, match="svgvl train embed"):
        Embedder(None)


def test_text2icon_embedding_score_and_fid(tiny):
    from svgvl.bench.text2icon import embed_metrics

    svgs = [path.read_text() for path in ICONS[:6]]
    prompts = ["heart", "rocket", "cog", "mug", "github", "sun"]
    shuffled = prompts[1:] + prompts[:1]
    result = embed_metrics(load_embedder(tiny), prompts, shuffled, svgs, svgs[::-1])
    assert 0 <= result["embed_score"] <= 100 and 0 <= result["embed_score_shuffled"] <= 100
    assert abs(result["fid_embed"]) < 1e-3  # the same drawings on both sides: distance zero


def test_vocabulary_gives_top_labels(tmp_path):
    from svgvl.understand.embed import build_vocabulary, top_labels

    folder = _save_tiny(tmp_path / "model")
    heart = SVG_FIXTURES / "icons" / "tabler-heart.svg"
    assert top_labels(heart, 2, folder) == []  # no vocabulary: nothing to say
    build_vocabulary(load_embedder(folder), ["heart", "rocket", "cog"], folder)
    load_embedder.cache_clear()
    labels = top_labels(heart, 2, folder)
    assert len(labels) == 2 and {name for name, _ in labels} <= {"heart", "rocket", "cog"}
    assert labels[0][1] >= labels[1][1]


def test_shipped_model_finds_fixture_icons_by_name():
    """The shipped weights load offline and see drawings as they were trained to: each of the
    26 fixture icons and emoji is found by its name among all of them far above chance (1/26).
    These sets were in its training data, so this guards the weights and the preprocessing (a
    wrong colour order, size or background breaks it), not generalisation."""
    from .conftest import MANIFEST

    rows = [e for e in MANIFEST if e["path"].split("/")[0] in ("icons", "emoji")]
    names = [e["name"].split("/")[-1].replace("-", " ") for e in rows]
    images = embed_module.embed_images([SVG_FIXTURES / e["path"] for e in rows])
    texts = embed_module.embed_texts(names)
    found = (texts @ images.T).argmax(1) == np.arange(len(rows))
    assert found.mean() >= 0.6, [n for n, f in zip(names, found, strict=True) if not f]
