"""Training the StarVector-style model at research scale, on CPU with tiny random models: the
schedule and the weights on two processes (gloo) against one, the shipped accelerate configs,
tables in the SVG-Stack layout (and streams of them), truncation, text-to-SVG, LoRA adapter
save → merge, and the save path a sharded run takes."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("open_clip")

from svgvl.cli import main  # noqa: E402
from svgvl.models import StarVectorForCausalLM  # noqa: E402
from svgvl.models.starvector_parts import load_tokenizer  # noqa: E402
from svgvl.train.loop import TrainError  # noqa: E402
from svgvl.train.svg_code_data import (  # noqa: E402
    StreamBatches,
    SVGCode,
    collate,
    read_svgs,
)
from svgvl.train.svg_tables import TableRows, check_columns  # noqa: E402

from .conftest import SVG_FIXTURES  # noqa: E402

torch.set_num_threads(1)
ROOT = Path(__file__).parent.parent
TOKENIZER = ROOT / "tokenizers" / "svg-bpe-1k"
ICONS = ["tabler-heart", "lucide-cylinder", "mdi-flickr-after"]
TINY = {
    "model": {
        "decoder_config": {
            "model_type": "gpt_bigcode",
            "n_embd": 32,
            "n_layer": 1,
            "n_head": 2,
            "n_inner": 64,
            "n_positions": 512,
            "multi_query": True,
            "attn_pdrop": 0.0,
            "resid_pdrop": 0.0,
            "embd_pdrop": 0.0,
        },
        "tokenizer": str(TOKENIZER),
        "vision_config": {
            "image_size": 32,
            "patch_size": 16,
            "width": 32,
            "layers": 1,
            "head_width": 16,
            "mlp_ratio": 2.0,
        },
        "vision_norm": True,
        "adapter_dropout": 0.0,
    },
    "finetune": {"decoder": "full", "vision": "full"},
    "data": {"max_length": 512, "augment": False, "train_split": "all", "val_split": "all"},
    "optim": {
        "lr": 3.0e-3,
        "warmup_steps": 2,
        "max_steps": 6,
        "batch_size": 1,
        "grad_accum": 1,
        "weight_decay": 0.0,
    },
    "run": {"log_every": 1, "save_every": 0, "val_every": 0, "mixed_precision": "no"},
}


def config_file(folder: Path, **sections) -> Path:
    """The tiny config with ``sections`` merged in, as a YAML file."""
    import yaml

    config = json.loads(json.dumps(TINY))
    for name, values in sections.items():
        if isinstance(values, dict):
            config.setdefault(name, {}).update(values)
        else:
            config[name] = values
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture
def icons(tmp_path) -> Path:
    folder = tmp_path / "icons"
    folder.mkdir()
    for name in ICONS:
        shutil.copy(SVG_FIXTURES / "icons" / f"{name}.svg", folder)
    return folder


def logged(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]


def weights(folder: Path) -> dict:
    model = StarVectorForCausalLM.from_pretrained(folder)
    return {name: p.detach() for name, p in model.named_parameters()}


# -- several processes ---------------------------------------------------------------------------


def expected_lr(step: int, peak: float, warmup: int, total: int) -> float:
    """Linear warmup to ``peak``, then half a cosine to 0 at ``total``, read after ``step``
    optimizer steps (transformers' schedule, written out)."""
    if step < warmup:
        return peak * step / warmup
    return peak * 0.5 * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))


@pytest.mark.slow
def test_two_processes_follow_the_one_process_schedule_and_weights(tmp_path, icons):
    """Two gloo processes with batch 1 see, per optimizer step, the two micro-batches one
    process sees with grad_accum 2: same learning rate at every step (the schedule counts
    optimizer steps, not processes) and the same final weights."""
    one = tmp_path / "one"
    one.mkdir()
    from svgvl.train.starvector import train

    train(config_file(one, optim={"grad_accum": 2}), icons, one / "run", progress=False, log=print)
    two = tmp_path / "two"
    two.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2"]
    command += ["--master_port", "29517", "-m", "svgvl.cli", "train", "starvector"]
    config = config_file(two, run={"save_every": 3, "keep_checkpoints": 2})
    command += ["--config", config, "--data", icons, "--out", two / "run", "--quiet"]

    def launch():
        done = subprocess.run(
            list(map(str, command)), env=env, capture_output=True, text=True, timeout=240
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done

    done = launch()
    assert "2 process(es) (MULTI_CPU)" in (two / "run" / "train.log").read_text()
    assert done.stderr.count("svgvl: step 6") == 1  # one summary line, the main process's

    lrs = {name: [e["lr"] for e in logged(tmp_path / name / "run")] for name in ("one", "two")}
    assert lrs["two"] == lrs["one"]
    assert lrs["two"] == pytest.approx([expected_lr(s, 3e-3, 2, 6) for s in range(1, 7)])
    losses = [[e["loss"] for e in logged(tmp_path / name / "run")] for name in ("one", "two")]
    assert losses[1] == pytest.approx(losses[0], rel=1e-5)
    a, b = weights(one / "run" / "model"), weights(two / "run" / "model")
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(b[name], a[name], atol=2e-5, rtol=1e-4, msg=name)

    # Interrupted after the checkpoint at step 3, the two processes resume (model, optimizer,
    # schedule, data order) and end where the uninterrupted run ended.
    shutil.rmtree(two / "run" / "model")
    shutil.rmtree(two / "run" / "checkpoints" / "step-0000006")
    launch()
    assert "resumed from" in (two / "run" / "train.log").read_text()
    assert [e["lr"] for e in logged(two / "run")][6:] == lrs["one"][3:]
    c = weights(two / "run" / "model")
    for name in a:
        torch.testing.assert_close(c[name], a[name], atol=2e-5, rtol=1e-4, msg=name)


def test_shipped_accelerate_configs_load_as_accelerate_launch_reads_them():
    """FSDP needs a GPU in accelerate, so on CPU the configs are read as ``accelerate launch``
    reads them: the launch kind, FSDP's settings as the environment it hands the processes, and
    the decoder block it wraps present in a StarCoder-shaped decoder."""
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser
    from accelerate.utils import constants
    from accelerate.utils.launch import prepare_multi_gpu_env

    def read(name):
        path = ROOT / "examples" / "accelerate" / f"{name}.yaml"
        args = launch_command_parser().parse_args(["--config_file", str(path), "x.py"])
        return _validate_launch_command(args)[0]

    assert read("ddp").multi_gpu
    assert read("deepspeed-zero2").use_deepspeed and read("deepspeed-zero2").zero_stage == 2
    fsdp = read("fsdp")
    assert fsdp.use_fsdp and fsdp.mixed_precision == "bf16"
    env = prepare_multi_gpu_env(fsdp)
    assert env["FSDP_SHARDING_STRATEGY"] in constants.FSDP_SHARDING_STRATEGY
    assert env["FSDP_AUTO_WRAP_POLICY"] in constants.FSDP_AUTO_WRAP_POLICY
    assert env["FSDP_STATE_DICT_TYPE"] in constants.FSDP_STATE_DICT_TYPE
    assert env["FSDP_BACKWARD_PREFETCH"] in constants.FSDP_BACKWARD_PREFETCH
    assert env["FSDP_ACTIVATION_CHECKPOINTING"] == "true"
    assert env["FSDP_USE_ORIG_PARAMS"] == "true"  # LoRA mixes frozen and trained parameters
    from transformers import AutoConfig, AutoModelForCausalLM

    decoder = AutoModelForCausalLM.from_config(
        AutoConfig.for_model(**TINY["model"]["decoder_config"], vocab_size=64)
    )
    blocks = {type(m).__name__ for m in decoder.modules()}
    assert env["FSDP_TRANSFORMER_CLS_TO_WRAP"] in blocks


def test_a_sharded_run_saves_what_an_unsharded_one_saves(tmp_path):
    """Under FSDP no rank holds the model whole: the main process rebuilds it from the config
    and the gathered weights (here: the LoRA model's own state dict) before merging."""
    from svgvl.train.finetuning import apply_finetuning
    from svgvl.train.starvector import load_config
    from svgvl.train.starvector_outputs import _rebuilt

    config = load_config(config_file(tmp_path, finetune={"decoder": "lora"}))
    torch.manual_seed(0)
    model = StarVectorForCausalLM.from_parts(
        decoder=TINY["model"]["decoder_config"],
        vision=TINY["model"]["vision_config"],
        tokenizer=load_tokenizer(str(TOKENIZER)),
    )
    model, _ = apply_finetuning(model, config["finetune"])
    with torch.no_grad():  # trained LoRA matrices: B is zero at the start
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_()
    rebuilt = _rebuilt(model, config, model.state_dict())
    model.eval(), rebuilt.eval()
    pixels, ids = torch.randn(1, 3, 32, 32), torch.randint(5, 1024, (1, 9))
    expected = model.merge_and_unload()(pixels, ids).logits
    torch.testing.assert_close(rebuilt.merge_and_unload()(pixels, ids).logits, expected)


# -- data --------------------------------------------------------------------------------------


def stack_rows(n=3) -> list[dict]:
    """Rows in the SVG-Stack / Text2SVG-Stack layout."""
    rows = []
    for i, name in enumerate((ICONS * n)[:n]):
        rows.append(
            {
                "Filename": f"{name}-{i}.svg",
                "Svg": (SVG_FIXTURES / "icons" / f"{name}.svg").read_text(),
                "caption_blip2": f"a drawing of {name.split('-', 1)[1]}",
                "caption_llava": "",
            }
        )
    return rows


def tiny_code(rows, task="im2svg", max_text=500, **kwargs) -> SVGCode:
    model = StarVectorForCausalLM.from_parts(
        decoder=TINY["model"]["decoder_config"],
        vision=TINY["model"]["vision_config"],
        tokenizer=load_tokenizer(str(TOKENIZER)),
    )
    tokenizer = load_tokenizer(str(TOKENIZER))
    return SVGCode(rows, tokenizer, model.config, max_text, task=task, **kwargs)


def test_svg_stack_rows_read_through_the_configured_columns():
    columns = {"svg": "Svg", "id": "Filename", "caption": ["caption_blip2", "caption_llava"]}
    table = TableRows(stack_rows(), columns)
    assert len(table) == 3 and table[1]["id"] == "lucide-cylinder-1.svg"
    assert table[1]["captions"] == ["a drawing of cylinder"]  # empty captions are not captions
    code = tiny_code(table)
    item = code[0]
    assert item["pixel_values"].shape == (3, 32, 32) and item["svg"].startswith("<svg")
    with pytest.raises(TrainError, match="no column svg_code .*set data.columns"):
        check_columns(["Svg", "Filename"], {**columns, "svg": "svg_code"}, "set", "im2svg")
    with pytest.raises(TrainError, match="caption_blip2 or caption_llava"):
        check_columns(["Svg", "Filename"], columns, "set", "text2svg")


def test_long_svgs_are_cut_at_the_budget_as_the_official_code_cuts_them():
    rows = [{"id": "x", "svg": stack_rows()[2]["Svg"], "captions": []}]
    whole = tiny_code(rows, max_text=10_000)[0]["input_ids"]
    cut = tiny_code(rows, max_text=40).example(rows[0])
    assert cut["truncated"] and cut["input_ids"] == whole[:40]  # the start kept, the end lost
    assert tiny_code(rows, max_text=40, too_long="drop").example(rows[0]) is None


def test_text2svg_items_are_caption_then_svg_start_then_the_code():
    tokenizer = load_tokenizer(str(TOKENIZER))
    table = TableRows(stack_rows(), {"svg": "Svg", "id": "Filename", "caption": "caption_blip2"})
    item = tiny_code(table, task="text2svg")[0]
    text = tokenizer.decode(item["input_ids"])
    assert text.startswith("Draw an SVG of a drawing of heart<svg-start><svg")
    assert "pixel_values" not in item and text.endswith("</svg><|endoftext|>")
    assert tokenizer.decode(item["prompt_ids"]).endswith("<svg-start><svg")
    n = len(item["input_ids"])
    batch = collate([item, item, item], pad_id=tokenizer.pad_token_id, pack_to=2 * n + 1)
    assert batch["input_ids"].shape == (2, 2 * n)  # two fit a row, the third takes another
    assert batch["position_ids"][0, n].item() == 0 and batch["labels"][1, n:].eq(-100).all()


def test_streamed_batches_split_over_ranks_and_resume_where_they_stopped():
    """Rank r takes global micro-batches g ≡ r (mod world): two ranks together see what one
    rank sees, and a stream resumed at micro-step k goes on as an uninterrupted one."""
    rows = [{"id": str(i), "svg": f'<svg x="{i}"/>', "captions": []} for i in range(7)]

    class Ids:  # items: the row ids, batches: their lists
        rows = None

        def example(self, row, _rng):
            return int(row["id"])

    def batches(start, rank, world, n):
        stream = StreamBatches(lambda _e: iter(rows), Ids(), 2, start, rank, world, list)
        out = []
        for batch in stream:
            out.append(batch)
            if len(out) == n:
                return out

    alone = batches(0, 0, 1, 8)
    assert alone[:4] == [[0, 1], [2, 3], [4, 5], [0, 1]]  # epochs repeat; the odd row waits
    ranks = batches(0, 0, 2, 4), batches(0, 1, 2, 4)
    assert [b for pair in zip(*ranks, strict=True) for b in pair] == alone
    assert batches(3, 1, 2, 1) == [alone[7]]


def test_a_table_saved_by_datasets_trains_from_its_folder(tmp_path):
    datasets = pytest.importorskip("datasets")
    folder = tmp_path / "svg-stack"
    rows = stack_rows(6)
    table = datasets.Dataset.from_list(rows)
    datasets.DatasetDict({"train": table, "val": table.select(range(2))}).save_to_disk(folder)
    from svgvl.train.starvector import train

    summary = train(
        config_file(
            tmp_path, optim={"max_steps": 2}, data={"train_split": "train", "val_split": "val"}
        ),
        folder,
        tmp_path / "run",
        progress=False,
        log=print,
    )
    assert summary["train_items"] == 6 and summary["val_items"] == 2
    assert (tmp_path / "run" / "model" / "config.json").is_file()


# -- tasks, adapters -----------------------------------------------------------------------------


def test_text2svg_training_brings_the_loss_down(tmp_path, icons):
    from svgvl.train.starvector import train

    config = config_file(
        tmp_path,
        task="text2svg",
        optim={"max_steps": 120, "warmup_steps": 5, "batch_size": 3},
        run={"log_every": 20, "val_every": 120, "val_items": 1},
    )
    lines: list[str] = []
    summary = train(config, icons, tmp_path / "run", progress=False, log=lines.append)
    losses = [e["loss"] for e in logged(tmp_path / "run")]
    assert losses[-1] < 0.5 * losses[0] and losses == sorted(losses, reverse=True), losses
    assert "val_loss" in summary["last"] and "val_ssim" in summary["last"]
    model = StarVectorForCausalLM.from_pretrained(tmp_path / "run" / "model")
    assert model.config.task == "text2svg"


def test_lora_adapter_merges_into_the_model_the_run_saved(tmp_path, icons):
    """A LoRA run writes its adapter beside the merged model; ``svgvl train merge`` rebuilds the
    base from the run's config and seed and merges: the same logits as the run's model."""
    from svgvl.train.starvector import train

    config = config_file(
        tmp_path,
        finetune={"decoder": "lora", "vision": "frozen", "lora": {"r": 4, "alpha": 8}},
        optim={"max_steps": 3, "lr": 5e-2},
    )
    train(config, icons, tmp_path / "run", progress=False, log=print)
    adapter = tmp_path / "run" / "adapter"
    assert (adapter / "adapter_config.json").is_file() and (adapter / "svgvl_run.json").is_file()
    merged = tmp_path / "merged"
    assert main(["train", "merge", str(tmp_path / "run"), "--out", str(merged)]) == 0
    assert main(["train", "merge", str(adapter), "--out", str(merged)]) == 1  # no --force
    a = StarVectorForCausalLM.from_pretrained(tmp_path / "run" / "model").eval()
    b = StarVectorForCausalLM.from_pretrained(merged).eval()
    pixels, ids = torch.randn(2, 3, 32, 32), torch.randint(5, 1024, (2, 11))
    with torch.no_grad():
        torch.testing.assert_close(b(pixels, ids).logits, a(pixels, ids).logits)
        # The base with the trained modules but without the LoRA weights draws otherwise:
        # the merge carried what LoRA learned.
        from accelerate.utils import set_seed
        from safetensors.torch import load_file

        from svgvl.train.finetuning import build_model

        run = json.loads((adapter / "svgvl_run.json").read_text())
        set_seed(run["run"]["seed"])
        base, _ = build_model(run)
        base.load_state_dict(load_file(adapter / "trained_modules.safetensors"), strict=False)
        base.eval()
        assert not torch.allclose(base(pixels, ids).logits, a(pixels, ids).logits)


def test_folder_rows_carry_their_names_as_captions(icons):
    rows = read_svgs(icons, "all")
    assert {r["captions"][0] for r in rows} == {"heart", "cylinder", "flickr after"}


def test_gpu_step_job_runs_its_lora_and_full_rows_at_toy_size(tmp_path, capsys):
    """The GPU queue's StarVector job (eval/gpu/README.md) at toy size: a LoRA row at the long
    context and a full fine-tuning row (decoder, adapter and encoder trained) at the short one."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "starvector_step", ROOT / "eval" / "gpu" / "starvector_step.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = tmp_path / "gpu.md"
    rows = "lora-64-gc-bf16,full-32-nogc-fp32"
    assert (
        script.main(["--tiny", "--steps", "1", "--warmup", "0", "--rows", rows, "--out", str(out)])
        == 0
    )
    table = out.read_text()
    assert "| 64 | on | bf16 |" in table and "| 32 | off | fp32 + bf16 autocast |" in table
    assert "decoder fully fine-tuned; adapter trained; vision encoder trained" in table
    with pytest.raises(SystemExit, match="unknown rows"):
        script.main(["--tiny", "--rows", "gc-fp32"])


def test_a_table_streams_into_training(tmp_path, monkeypatch):
    """``data.streaming``: the rows come as a stream (here a list standing in for the hub's
    iterable table), cut into batches for this rank; training runs and logs from them."""
    import svgvl.train.starvector as trainer

    rows = stack_rows(4)
    monkeypatch.setattr(trainer, "is_table_spec", lambda data: True)
    monkeypatch.setattr(trainer, "open_table", lambda data, split, streaming: list(rows))
    lines: list[str] = []
    config = config_file(
        tmp_path,
        task="text2svg",
        data={"streaming": True, "pack": True, "train_split": "train", "val_split": "val"},
        optim={"max_steps": 3, "batch_size": 2},
        run={"val_every": 3, "val_items": 2},
    )
    summary = trainer.train(config, "hf:starvector/svg-stack", tmp_path / "run", log=lines.append)
    text = "\n".join(lines)
    assert "a stream of training rows, 2 validation rows" in text
    assert "image parts unused (text2svg)" in text
    assert summary["steps"] == 3 and len(logged(tmp_path / "run")) == 3
    assert summary["last"]["val_loss"] > 0
