"""Questions with known answers, the rule-based solver, the causal-LM harness and the describe
benchmark (svgvl.understand.questions, svgvl.bench.understand)."""

import json
from pathlib import Path

import pytest

from svgvl.bench import understand
from svgvl.cli import main
from svgvl.understand import describe
from svgvl.understand.questions import (
    Question,
    ask_model,
    load_causal_lm,
    normalize_answer,
    questions,
    score,
    solve,
)
from svgvl.understand.scenes import random_scene

ROOT = Path(__file__).parent.parent
TOKENIZER = ROOT / "tokenizers" / "svg-bpe-1k"


def test_answers_normalise_to_one_spelling():
    assert normalize_answer(" Three.") == "3"
    assert normalize_answer("The Rectangle") == "rect"
    assert normalize_answer("rounded rectangle\nbecause ...") == "rounded-rect"
    assert normalize_answer("Grey shape") == "gray"
    assert normalize_answer("") == ""


def test_questions_follow_the_scene():
    scene = random_scene(3)
    asked = questions(scene, 3)
    total = next(q for q in asked if q.type == "total")
    assert total.answer == str(len(scene.shapes))
    for q in asked:
        if q.type == "count":
            assert q.answer == str(sum(s.kind == q.params["kind"] for s in scene.shapes))
        if q.type == "on-top":
            a, b = (next(s for s in scene.shapes if s.color == q.params[k]) for k in "ab")
            assert q.answer == (a if a.z > b.z else b).color
    assert {q.type for q in asked} >= {"total", "count", "color-kind", "left-of"}


@pytest.mark.parametrize("seed", range(5))
def test_the_solver_answers_from_an_svg_description(seed):
    """What describe gets right from SVG, the rules answer right: every answer here."""
    scene = random_scene(seed)
    description = describe(scene.svg())
    for q in questions(scene, seed):
        assert normalize_answer(solve(q, description)) == normalize_answer(q.answer), q.text


def test_score_counts_exact_matches_by_type():
    result = score([("count", "Two", "2"), ("count", "3", "2"), ("total", "4", "4")])
    assert result == {"accuracy": 2 / 3, "questions": 3, "by_type": {"count": 0.5, "total": 1.0}}


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory):
    """A random two-layer GPT-2 with the repository's SVG tokenizer, saved as a folder."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(TOKENIZER))
    config = transformers.GPT2Config(
        vocab_size=len(tokenizer),
        n_embd=32,
        n_layer=2,
        n_head=2,
        n_positions=128,
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny-lm")
    transformers.GPT2LMHeadModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.mark.slow
def test_a_causal_lm_answers_with_the_svg_or_the_description(tiny_lm):
    model, tokenizer = load_causal_lm(str(tiny_lm))
    scene = random_scene(1)
    q = questions(scene, 1)[0]
    # The SVG code is longer than the model's 128 positions: its start is cut, not the question.
    answer = ask_model(model, tokenizer, q, scene.svg(), "SVG code", max_new_tokens=4)
    again = ask_model(model, tokenizer, q, scene.svg(), "SVG code", max_new_tokens=4)
    assert isinstance(answer, str) and "\n" not in answer and answer == again  # greedy
    text = describe(scene.svg()).to_text()
    assert isinstance(ask_model(model, tokenizer, q, text, "Description", max_new_tokens=4), str)


def test_a_missing_lm_is_one_clear_error(tmp_path, monkeypatch):
    with pytest.raises(OSError, match="no such folder"):
        load_causal_lm(str(tmp_path / "no" / "such" / "model"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(OSError, match="HF_HUB_OFFLINE"):
        load_causal_lm("nobody-has/this-model")


@pytest.mark.slow
def test_bench_scores_describe_and_the_lm(tiny_lm):
    result = understand.run(2, seed=5, inputs=("svg", "png"), progress=False, lm=str(tiny_lm))
    svg = result["inputs"]["svg"]
    assert svg["precision"] == svg["recall"] == svg["colour"] == svg["answers"] == 1.0
    assert 0 <= result["inputs"]["png"]["recall"] <= 1
    assert result["lm"]["svg code"]["questions"] == svg["questions"]
    table = understand.markdown(result)
    assert table.startswith("| input |") and "| svg | 1.000 | 1.000 |" in table
    assert "answers, given" in table


def test_bench_matches_shapes_by_kind_and_place():
    scene = random_scene(0)
    described = describe(scene.svg())
    row = understand.score_scene(scene, described)
    assert row["kind"] == row["colour"] == row["true"] == row["described"]
    described.shapes[0].kind = "path"
    described.shapes[1].centre = (-100.0, -100.0)
    row = understand.score_scene(scene, described)
    assert row["kind"] == row["true"] - 2 and row["colour"] == row["true"] - 1


def test_cli_bench_understand_writes_its_table_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        main(["bench", "--task", "understand", "--scenes", "1", "--quiet", "--out", str(out)]) == 0
    )
    assert "| svg |" in capsys.readouterr().out
    assert json.loads((out / "results.json").read_text())["scenes"] == 1
    assert (out / "results.md").read_text().startswith("`svgvl bench --task understand")
    assert main(["bench", "--task", "understand", "--scenes", "1", "--out", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err


def test_a_question_of_unknown_type_is_refused():
    with pytest.raises(ValueError, match="unknown question type"):
        solve(Question("?", "", "riddle"), describe(random_scene(0).svg()))
