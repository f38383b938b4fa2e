"""Text-to-icon metrics on real icons: what a perfect, a copying and a confused model score."""

from __future__ import annotations

import re

import pytest

from svgvl.bench.text2icon import (
    TrainingIndex,
    comparison_cells,
    comparison_header,
    evaluate,
    frechet_distance,
    paired_difference,
    sentence_embedder,
    standard_error,
    token_hash,
)
from svgvl.tokenize import PathTokenizer

from .conftest import MANIFEST, SVG_FIXTURES

TOK = PathTokenizer()


def _title(entry) -> str:
    return re.sub(r"[-_/]+", " ", entry["name"]).strip()


RECORDS = [
    {"svg": (SVG_FIXTURES / e["path"]).read_text(), "labels": {"title": _title(e)}}
    for e in MANIFEST
    if e["kind"] != "glyphs"
]


@pytest.fixture(scope="module")
def embed():
    return sentence_embedder()


@pytest.fixture(scope="module")
def index(embed):
    return TrainingIndex(RECORDS, TOK, embed)


def test_copying_the_training_set_is_valid_and_on_prompt_but_not_novel(index, embed):
    samples = {r["labels"]["title"]: [TOK.decode(TOK.encode(r["svg"]))] for r in RECORDS}
    result = evaluate(samples, index, TOK, embed)
    assert result["validity"] == 1.0
    assert result["novelty"] == 0.0 and result["novelty_render"] == 0.0
    assert result["uniqueness"] == 1.0
    # Each render retrieves itself first: its own labels agree with the prompt.
    assert result["prompt_match"] > result["prompt_match_shuffled"] + 0.15
    # One sample per prompt: the per-prompt scores are the samples' scores.
    by_prompt = result["prompt_match_by_prompt"]
    assert by_prompt.keys() == samples.keys()
    assert sum(by_prompt.values()) / len(by_prompt) == pytest.approx(result["prompt_match"])
    assert 0 < result["prompt_match_se"] < 0.1


def _shifted(svg: str, dx: float) -> str:
    """The same drawing moved right by ``dx`` user units: new tokens, the same picture."""
    doc = TOK.decode(TOK.encode(svg))
    head, _, body = doc.partition(">")
    return f'{head}><g transform="translate({dx} 0)">{body.rsplit("</svg>", 1)[0]}</g></svg>'


def test_copy_rate_sees_a_shifted_training_icon_that_token_novelty_misses(index, embed):
    records = RECORDS[:6]
    shifted = {r["labels"]["title"]: [_shifted(r["svg"], 0.5)] for r in records}
    result = evaluate(shifted, index, TOK, embed)
    assert result["validity"] == 1.0
    assert result["novelty"] == 1.0  # every token sequence is new...
    assert result["copy_rate"] == 1.0  # ...but each picture is a training icon moved a little
    # Another icon's drawing under each prompt is not a copy of the icon the prompt names, but
    # it is still a training icon: copy rate looks at all of them.
    assert (
        evaluate(
            dict(zip(shifted, reversed(list(shifted.values())), strict=True)), index, TOK, embed
        )["copy_rate"]
        == 1.0
    )


def test_copy_rate_is_low_for_drawings_that_are_no_training_icon(index, embed):
    circles = {
        f"ring {i}": [
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path fill="none" '
            f'stroke="#000" stroke-width="{0.5 + i / 4}" d="M{3 + i} 12a{9 - i} {4 + i} 0 1 0 '
            f'{18 - 2 * i} 0a{9 - i} {4 + i} 0 1 0 {2 * i - 18} 0"/></svg>'
        ]
        for i in range(5)
    }
    result = evaluate(circles, index, TOK, embed)
    assert result["validity"] == 1.0 and result["copy_rate"] == 0.0
    assert result["nearest_ssim_median"] < 0.9


@pytest.mark.slow
def test_comparison_rows_pair_prompts_and_fit_their_header(index, embed):
    samples = {r["labels"]["title"]: [TOK.decode(TOK.encode(r["svg"]))] for r in RECORDS}
    copies = evaluate(samples, index, TOK, embed)
    swapped = dict(zip(samples, reversed(list(samples.values())), strict=True))
    other = evaluate(swapped, index, TOK, embed)
    header, rule = comparison_header("selection").splitlines()
    for result in (copies, other):
        row = f"| x | {comparison_cells(result, copies['prompt_match_by_prompt'])}"
        assert row.count("|") == header.count("|") == rule.count("|")
    assert comparison_cells(copies, copies["prompt_match_by_prompt"]).endswith("+0.0000 ± 0.0000 |")
    delta, se = paired_difference(other["prompt_match_by_prompt"], copies["prompt_match_by_prompt"])
    assert delta == pytest.approx(other["prompt_match"] - copies["prompt_match"]) and delta < 0
    assert f"{delta:+.4f} ± {se:.4f}" in comparison_cells(other, copies["prompt_match_by_prompt"])


def test_standard_error_of_the_mean():
    assert standard_error([1.0, 3.0]) == pytest.approx(1.0)  # sd sqrt(2), over sqrt(2)
    assert standard_error([0.5] * 10) == 0.0
    assert standard_error([0.5]) != standard_error([0.5])  # nan: one value says nothing


def test_shifted_copies_are_new_tokens_but_near_duplicate_renders(index, embed):
    def shifted(svg):
        ids = TOK.encode(svg)
        v = TOK.vocab
        return TOK.decode(
            [i + 1 if v.is_point(i) and v.point_value(i)[0] < v.spec.grid else i for i in ids]
        )

    samples = {r["labels"]["title"]: [shifted(r["svg"])] for r in RECORDS[:12]}
    result = evaluate(samples, index, TOK, embed)
    assert result["novelty"] > 0.9
    assert result["novelty_render"] < 0.5


def test_invalid_and_repeated_samples_are_counted(index, embed):
    heart = TOK.decode(TOK.encode(SVG_FIXTURES / "icons" / "tabler-heart.svg"))
    result = evaluate({"heart": [heart, heart, None, "<svg"]}, index, TOK, embed)
    assert result["validity"] == 0.5
    assert result["uniqueness"] == 0.0  # both valid samples are the same sequence
    with pytest.raises(ValueError, match="no samples"):
        evaluate({}, index, TOK, embed)


def test_token_hash_and_frechet_distance():
    import numpy as np

    assert token_hash([1, 2, 3]) == token_hash(np.array([1, 2, 3])) != token_hash([1, 2])
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 4))
    assert frechet_distance(a, a) == pytest.approx(0, abs=1e-6)
    assert frechet_distance(a, a + 1) == pytest.approx(4, rel=0.05)


def test_a_run_writes_samples_and_a_table(tmp_path, embed, monkeypatch):
    import json

    from svgvl import data
    from svgvl.bench import text2icon

    monkeypatch.setattr(text2icon, "sentence_embedder", lambda: embed)
    data.build(f"dir:{SVG_FIXTURES / 'icons'}", tmp_path / "icons", progress=False)
    train = {r["labels"]["title"]: r["svg"] for r in data.load(tmp_path / "icons", "train")}
    prompts = sorted(train)[:4]

    def generate(prompt, n, seed):  # a model that draws the training icon of its prompt
        return [train[prompt]] * (n - 1) + [None]

    result = text2icon.run(
        generate, [tmp_path / "icons"], tmp_path / "run", prompts=prompts, n=3, progress=False
    )
    assert result["validity"] == pytest.approx(2 / 3)
    assert result["novelty"] == 0.0
    assert result["prompt_match"] > result["prompt_match_shuffled"]
    assert len(list((tmp_path / "run" / "samples").glob("*.svg"))) == 8
    assert json.loads((tmp_path / "run" / "results.json").read_text())["prompts"] == 4
    assert "| validity | 66.7 % |" in (tmp_path / "run" / "results.md").read_text()
    with pytest.raises(ValueError, match="n must be"):
        text2icon.run(generate, [tmp_path / "icons"], tmp_path / "r2", prompts=prompts, n=0)


def test_cli_scores_a_model_on_held_out_prompts(tmp_path, capsys):
    import json

    from svgvl import data
    from svgvl.cli import main
    from svgvl.models import IconShopConfig, IconShopForCausalLM

    data.build(f"dir:{SVG_FIXTURES}", tmp_path / "fixtures", progress=False)
    config = IconShopConfig(n_layer=1, n_head=2, d_model=32, max_svg_tokens=48)
    IconShopForCausalLM(config).save_pretrained(tmp_path / "model")  # random weights
    # Its record says it saw another set too: novelty against --data alone is overstated.
    sources = ["iconify:ph", data.source_of(tmp_path / "fixtures")]
    (tmp_path / "model" / "training.json").write_text(json.dumps({"sources": sources}))
    (tmp_path / "prompts.txt").write_text("rocket\nheart\n")
    argv = ["bench", "--task", "text2icon", "--model", str(tmp_path / "model")]
    argv += ["--data", str(tmp_path / "fixtures"), "--prompts", str(tmp_path / "prompts.txt")]
    argv += ["-n", "2", "--quiet", "--out", str(tmp_path / "run")]
    assert main(argv) == 0
    result = json.loads((tmp_path / "run" / "results.json").read_text())
    assert result["samples"] == 4
    assert result["validity"] == 1.0  # grammar-constrained: even random weights decode
    table = (tmp_path / "run" / "results.md").read_text()
    assert "--task text2icon" in table
    assert "warning: the model was also trained on iconify:ph;" in capsys.readouterr().err
    assert result["unindexed_sources"] == ["iconify:ph"] and "trained on iconify:ph," in table
    assert main(["bench", "--task", "text2icon", "--out", str(tmp_path / "x")]) == 1
