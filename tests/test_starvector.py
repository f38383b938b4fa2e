"""The StarVector-style model (svgvl.models.starvector), its training and the starvector engine.

Everything runs on CPU with tiny random models built in-process; nothing is downloaded.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("open_clip")

from svgvl.cli import main  # noqa: E402
from svgvl.models import StarVectorConfig, StarVectorForCausalLM  # noqa: E402
from svgvl.models.starvector import ADDED_TOKENS, StarVectorError  # noqa: E402
from svgvl.models.starvector_checkpoints import official_config, official_key  # noqa: E402
from svgvl.models.starvector_parts import load_open_clip_weights, load_tokenizer  # noqa: E402
from svgvl.train.finetuning import apply_finetuning, parameter_counts  # noqa: E402
from svgvl.train.starvector import TrainError, load_config  # noqa: E402

from .conftest import SVG_FIXTURES  # noqa: E402

torch.set_num_threads(1)
ROOT = Path(__file__).parent.parent
TOKENIZER = ROOT / "tokenizers" / "svg-bpe-1k"
TINY_CONFIG = ROOT / "examples" / "configs" / "starvector-tiny.yaml"
# Short real icons, different enough for a tiny model to tell their images apart.
OVERFIT = ["tabler-heart", "lucide-cylinder", "mdi-flickr-after"]

TEXT = {
    "model_type": "gpt_bigcode",
    "vocab_size": 1024,
    "n_positions": 256,
    "n_embd": 64,
    "n_layer": 2,
    "n_head": 4,
    "n_inner": 128,
    "multi_query": True,
    "bos_token_id": 0,
    "eos_token_id": 0,
    "pad_token_id": 1,
    "attn_pdrop": 0.0,
    "resid_pdrop": 0.0,
    "embd_pdrop": 0.0,
}
VISION = {"image_size": 32, "patch_size": 8, "width": 32, "layers": 2, "head_width": 16}
VISUAL = (32 // 8) ** 2 + 1  # patches + class token


def tiny(**kwargs) -> StarVectorForCausalLM:
    torch.manual_seed(0)
    return StarVectorForCausalLM.from_parts(decoder=TEXT, vision=VISION, **kwargs)


def inputs(batch=2, length=7, seed=1):
    generator = torch.Generator().manual_seed(seed)
    pixels = torch.randn(batch, 3, 32, 32, generator=generator)
    ids = torch.randint(5, 1024, (batch, length), generator=generator)
    mask = torch.ones_like(ids)
    mask[1, -3:] = 0  # the second sequence is padded
    return pixels, ids, mask, ids.masked_fill(mask == 0, -100)


# -- the model ---------------------------------------------------------------------------------


def test_forward_prepends_visual_tokens_and_masks_their_labels():
    model = tiny(adapter_dropout=0.0)
    model.eval()
    pixels, ids, mask, labels = inputs()
    out = model(pixel_values=pixels, input_ids=ids, attention_mask=mask, labels=labels)
    assert model.num_visual_tokens == VISUAL
    assert out.logits.shape == (2, VISUAL + 7, 1024)
    # The loss is next-token cross-entropy on the text only: the visual positions and padding
    # carry -100, so the first text token is predicted from the last visual position.
    logits = out.logits[:, VISUAL - 1 : -1]
    expected = torch.nn.functional.cross_entropy(
        logits.reshape(-1, 1024), labels.reshape(-1), ignore_index=-100
    )
    assert torch.allclose(out.loss, expected, atol=1e-5)
    # What sits under the padding changes nothing.
    changed = ids.clone()
    changed[1, -3:] = 7
    again = model(pixel_values=pixels, input_ids=changed, attention_mask=mask, labels=labels)
    assert torch.allclose(again.loss, out.loss, atol=1e-6)
    # The image matters.
    other = model(pixel_values=pixels.flip(0), input_ids=ids, attention_mask=mask, labels=labels)
    assert not torch.allclose(other.loss, out.loss)


def test_backward_reaches_the_adapter_encoder_and_decoder():
    model = tiny()
    pixels, ids, mask, labels = inputs()
    model(pixel_values=pixels, input_ids=ids, attention_mask=mask, labels=labels).loss.backward()
    for module in (model.projector.c_fc, model.vision_tower.conv1, model.ln_vision):
        assert module.weight.grad is not None and module.weight.grad.abs().sum() > 0
    assert model.get_input_embeddings().weight.grad.abs().sum() > 0


def test_adapter_is_starvectors():
    model = tiny()
    adapter = model.projector
    assert adapter.c_fc.in_features == 32 and adapter.c_fc.out_features == 64  # d → 2d
    assert adapter.c_proj.out_features == 64  # → d_llm
    assert isinstance(adapter.act, torch.nn.SiLU) and isinstance(adapter.dropout, torch.nn.Dropout)
    assert isinstance(adapter.norm, torch.nn.BatchNorm1d) and adapter.norm.num_features == VISUAL
    assert torch.all(adapter.c_fc.bias == 0)  # Glorot weights, zero biases
    limit = (6 / (32 + 64)) ** 0.5
    assert adapter.c_fc.weight.abs().max() <= limit
    layer = tiny(adapter_norm="layer_norm").projector.norm
    assert isinstance(layer, torch.nn.LayerNorm) and tuple(layer.normalized_shape) == (VISUAL, 64)


def test_lora_trains_its_matrices_and_the_adapter_only():
    model = tiny()
    adapter = sum(p.numel() for p in model.projector.parameters())
    adapter += sum(p.numel() for p in model.ln_vision.parameters())
    total_before = sum(p.numel() for p in model.parameters())
    finetune = {
        "decoder": "lora",
        "lora": {
            "r": 4,
            "alpha": 8,
            "dropout": 0.0,
            "target_modules": ["c_attn", "c_proj", "c_fc"],
        },
        "vision": "frozen",
        "gradient_checkpointing": False,
    }
    wrapped, description = apply_finetuning(model, finetune)
    trainable, total = parameter_counts(wrapped)
    # r × (in + out) per adapted linear layer: c_attn 64→96 (multi-query: 64 + 2×16), attention
    # c_proj 64→64, mlp c_fc 64→128 and mlp c_proj 128→64, in each of 2 layers; the adapter's and
    # the ViT's own c_fc/c_proj are left alone.
    lora = 2 * 4 * ((64 + 96) + (64 + 64) + (64 + 128) + (128 + 64))
    assert trainable == lora + adapter
    assert total == total_before + lora
    assert "LoRA" in description and "vision encoder frozen" in description
    names = [n for n, p in wrapped.named_parameters() if p.requires_grad]
    assert all("lora_" in n or ".projector." in n or ".ln_vision." in n for n in names)
    pixels, ids, mask, labels = inputs()
    wrapped(pixel_values=pixels, input_ids=ids, attention_mask=mask, labels=labels).loss.backward()
    wrapped.eval()
    out = wrapped.generate(pixels, input_ids=ids[:, :2], max_new_tokens=3, do_sample=False)
    assert out.shape == (2, 3)


def test_save_and_load_give_identical_logits(tmp_path):
    model = tiny()
    pixels, ids, mask, labels = inputs()
    model(pixel_values=pixels, input_ids=ids, attention_mask=mask, labels=labels)  # BN stats move
    model.eval()
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["model_type"] == StarVectorConfig.model_type
    assert config["text_config"]["model_type"] == "gpt_bigcode"
    loaded = StarVectorForCausalLM.from_pretrained(tmp_path)
    loaded.eval()
    with torch.no_grad():
        a = model(pixel_values=pixels, input_ids=ids, attention_mask=mask).logits
        b = loaded(pixel_values=pixels, input_ids=ids, attention_mask=mask).logits
    assert torch.equal(a, b)
    from transformers import AutoModelForCausalLM

    assert isinstance(AutoModelForCausalLM.from_pretrained(tmp_path), StarVectorForCausalLM)


def test_other_decoders_and_a_siglip_tower_round_trip(tmp_path):
    text = {
        "model_type": "qwen2",
        "vocab_size": 1024,
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 256,
        "bos_token_id": 0,
        "eos_token_id": 0,
        "pad_token_id": 1,
    }
    vision = {
        "model_type": "siglip_vision_model",
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "image_size": 32,
        "patch_size": 8,
    }
    torch.manual_seed(0)
    model = StarVectorForCausalLM.from_parts(
        decoder=text, vision=vision, vision_backend="transformers", adapter_norm="layer_norm"
    )
    assert model.num_visual_tokens == 16  # SigLIP: no class token
    assert model.config.image_mean == [0.5, 0.5, 0.5] and not model.config.vision_norm
    model.eval()
    pixels, ids, mask, _ = inputs()
    model.save_pretrained(tmp_path)
    loaded = StarVectorForCausalLM.from_pretrained(tmp_path).eval()
    with torch.no_grad():
        a = model(pixel_values=pixels, input_ids=ids, attention_mask=mask).logits
        b = loaded(pixel_values=pixels, input_ids=ids, attention_mask=mask).logits
    assert a.shape == (2, 16 + 7, 1024) and torch.equal(a, b)


def test_generate_samples_batched_candidates_with_the_cache():
    model = tiny().eval()
    pixels, ids, _, _ = inputs()
    out = model.generate(
        pixels,
        input_ids=ids[:, :2],
        do_sample=True,
        top_p=0.95,
        temperature=0.7,
        max_new_tokens=6,
        num_return_sequences=3,
        use_cache=True,
    )
    assert out.shape == (6, 6)


def test_vision_layers_keep_the_first_blocks_and_drop_the_head():
    model = StarVectorForCausalLM.from_parts(
        decoder=TEXT, vision={**VISION, "layers": 3}, vision_layers=2
    )
    tower = model.vision_tower
    assert len(tower.transformer.resblocks) == 2 and tower.proj is None
    assert not any(k.startswith(("ln_post", "proj")) for k in tower.state_dict())


def test_open_clip_weights_file_loads_the_visual_half(tmp_path):
    source = StarVectorForCausalLM.from_parts(decoder=TEXT, vision={**VISION, "layers": 3})
    state = {f"visual.{k}": v for k, v in source.vision_tower.state_dict().items()}
    state["visual.ln_post.weight"] = torch.ones(32)  # the head StarVector does not use
    state["visual.proj"] = torch.zeros(32, 16)
    state["transformer.resblocks.0.ln_1.weight"] = torch.ones(8)  # the text tower's
    file = tmp_path / "open_clip_model.bin"
    torch.save(state, file)
    model = StarVectorForCausalLM.from_parts(
        decoder=TEXT, vision={**VISION, "layers": 3}, vision_layers=2
    )
    load_open_clip_weights(model.vision_tower, VISION, str(file))
    assert torch.equal(model.vision_tower.conv1.weight, source.vision_tower.conv1.weight)
    del state["visual.conv1.weight"]
    torch.save(state, file)
    with pytest.raises(StarVectorError, match="1 missing key: conv1.weight"):
        load_open_clip_weights(model.vision_tower, VISION, str(file))


# -- official checkpoints ----------------------------------------------------------------------

# The published starvector-1b-im2svg layout at toy sizes, written out by hand from the reference
# (OpenAI-CLIP visual keys, StarVector's adapter, HF GPTBigCode keys), not derived from svgvl.
W, PATCH, GRID, D, HEAD_DIM, INNER, VOCAB = 32, 8, 4, 64, 16, 128, 1024


def official_state() -> dict:
    generator = torch.Generator().manual_seed(3)

    def rand(*shape):
        return torch.randn(*shape, generator=generator) * 0.05

    state = {}
    enc = "model.image_encoder.visual_encoder."
    state[enc + "conv1.weight"] = rand(W, 3, PATCH, PATCH)
    state[enc + "class_embedding"] = rand(W)
    state[enc + "positional_embedding"] = rand(GRID * GRID + 1, W)
    state[enc + "ln_pre.weight"], state[enc + "ln_pre.bias"] = 1 + rand(W), rand(W)
    for i in range(2):
        block = f"{enc}transformer.resblocks.{i}."
        state[block + "attn.in_proj_weight"] = rand(3 * W, W)
        state[block + "attn.in_proj_bias"] = rand(3 * W)
        state[block + "attn.out_proj.weight"] = rand(W, W)
        state[block + "attn.out_proj.bias"] = rand(W)
        for norm in ("ln_1", "ln_2"):
            state[f"{block}{norm}.weight"], state[f"{block}{norm}.bias"] = 1 + rand(W), rand(W)
        state[block + "mlp.c_fc.weight"], state[block + "mlp.c_fc.bias"] = (
            rand(4 * W, W),
            rand(4 * W),
        )
        state[block + "mlp.c_proj.weight"], state[block + "mlp.c_proj.bias"] = (
            rand(W, 4 * W),
            rand(W),
        )
    state["model.image_encoder.ln_vision.weight"] = 1 + rand(W)
    state["model.image_encoder.ln_vision.bias"] = rand(W)
    tokens = GRID * GRID + 1
    adapter = "model.image_projection."
    state[adapter + "c_fc.weight"], state[adapter + "c_fc.bias"] = rand(2 * W, W), rand(2 * W)
    state[adapter + "c_proj.weight"], state[adapter + "c_proj.bias"] = rand(D, 2 * W), rand(D)
    state[adapter + "norm.weight"], state[adapter + "norm.bias"] = 1 + rand(tokens), rand(tokens)
    state[adapter + "norm.running_mean"] = rand(tokens)
    state[adapter + "norm.running_var"] = 1 + rand(tokens).abs()
    state[adapter + "norm.num_batches_tracked"] = torch.tensor(100)
    llm = "model.svg_transformer.transformer.transformer."
    state[llm + "wte.weight"], state[llm + "wpe.weight"] = rand(VOCAB, D), rand(256, D)
    for i in range(2):
        block = f"{llm}h.{i}."
        for norm in ("ln_1", "ln_2"):
            state[f"{block}{norm}.weight"], state[f"{block}{norm}.bias"] = 1 + rand(D), rand(D)
        qkv = D + 2 * HEAD_DIM  # multi-query: all heads' queries, one key and one value head
        state[block + "attn.c_attn.weight"], state[block + "attn.c_attn.bias"] = (
            rand(qkv, D),
            rand(qkv),
        )
        state[block + "attn.c_proj.weight"], state[block + "attn.c_proj.bias"] = rand(D, D), rand(D)
        state[block + "mlp.c_fc.weight"], state[block + "mlp.c_fc.bias"] = (
            rand(INNER, D),
            rand(INNER),
        )
        state[block + "mlp.c_proj.weight"], state[block + "mlp.c_proj.bias"] = (
            rand(D, INNER),
            rand(D),
        )
    state[llm + "ln_f.weight"], state[llm + "ln_f.bias"] = 1 + rand(D), rand(D)
    return state


def write_official(folder: Path, state: dict) -> Path:
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    save_file(state, folder / "model.safetensors")
    (folder / "config.json").write_text(json.dumps({"model_type": "starvector"}))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(TOKENIZER / name, folder / name)
    return folder


def test_official_checkpoint_keys_map_onto_the_model(tmp_path):
    state = official_state()
    model, tokenizer = StarVectorForCausalLM.from_official(str(write_official(tmp_path, state)))
    loaded = model.state_dict()
    for key, value in state.items():
        assert torch.equal(loaded[official_key(key)], value), key
    assert model.config.text_config.n_head == D // HEAD_DIM and model.config.text_config.multi_query
    assert model.num_visual_tokens == GRID * GRID + 1 and model.config.adapter_norm == "batch_norm"
    lm = model.language_model
    assert lm.lm_head.weight.data_ptr() == lm.transformer.wte.weight.data_ptr()  # tied
    assert not any(p.is_meta for p in model.parameters())
    assert all(t in tokenizer.get_vocab() for t in ADDED_TOKENS)
    assert model.config.generation_defaults == {
        "temperature": 0.2,
        "top_p": 0.95,
        "max_length": 7800,
    }
    with torch.no_grad():
        out = model(pixel_values=torch.randn(1, 3, 32, 32), input_ids=torch.tensor([[5, 6, 7]]))
    assert out.logits.shape == (1, GRID * GRID + 1 + 3, VOCAB)


def test_official_checkpoint_that_does_not_fit_lists_its_keys(tmp_path):
    state = official_state()
    del state["model.image_projection.c_fc.bias"]
    state["model.image_projection.extra.weight"] = torch.zeros(1)
    state["optimizer.step"] = torch.zeros(1)
    with pytest.raises(StarVectorError) as error:
        StarVectorForCausalLM.from_official(str(write_official(tmp_path, state)))
    message = str(error.value)
    assert "1 missing key: model.image_projection.c_fc.bias" in message
    assert "2 unexpected keys" in message and "optimizer.step" in message
    assert "model.image_projection.extra.weight" in message


def test_official_config_reads_starvector_1b_from_the_shapes():
    # The real 1B shapes on the meta device: no memory, no download.
    meta = {"device": "meta"}
    state = {
        "language_model.transformer.wte.weight": torch.empty(49156, 2048, **meta),
        "language_model.transformer.wpe.weight": torch.empty(8192, 2048, **meta),
        "vision_tower.conv1.weight": torch.empty(1024, 3, 14, 14, **meta),
        "vision_tower.positional_embedding": torch.empty(257, 1024, **meta),
        "ln_vision.weight": torch.empty(1024, **meta),
        "projector.norm.running_mean": torch.empty(257, **meta),
    }
    for i in range(24):
        block = f"language_model.transformer.h.{i}."
        state[block + "attn.c_attn.weight"] = torch.empty(2048 + 2 * 128, 2048, **meta)
        state[block + "mlp.c_fc.weight"] = torch.empty(8192, 2048, **meta)
    for i in range(23):
        state[f"vision_tower.transformer.resblocks.{i}.mlp.c_fc.weight"] = torch.empty(
            4096, 1024, **meta
        )
    config = official_config(state)
    text = config.text_config
    assert (text.n_embd, text.n_layer, text.n_head, text.n_inner) == (2048, 24, 16, 8192)
    assert text.multi_query and text.vocab_size == 49156 and text.n_positions == 8192
    assert config.vision_config["layers"] == 23 and config.image_size == 224
    assert config.vision_config["width"] == 1024 and config.vision_config["quick_gelu"]
    assert config.adapter_norm == "batch_norm" and config.vision_norm


def test_missing_weights_say_what_to_pass(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(StarVectorError, match="HF_HUB_OFFLINE is set"):
        StarVectorForCausalLM.from_official("starvector/starvector-1b-im2svg")
    with pytest.raises(StarVectorError, match="no such model folder"):
        StarVectorForCausalLM.from_official(str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(StarVectorError, match="no weights"):
        StarVectorForCausalLM.from_official(str(tmp_path / "empty"))


# -- tokenizer, configs, training --------------------------------------------------------------


def test_the_svg_tokenizer_ships_with_starvectors_tokens():
    tokenizer = load_tokenizer(str(TOKENIZER))
    assert len(tokenizer) == 1024
    assert tokenizer.eos_token == "<|endoftext|>" and tokenizer.pad_token == "[PAD]"
    assert tokenizer.convert_tokens_to_ids(list(ADDED_TOKENS)) == [2, 3, 4]
    svg = (SVG_FIXTURES / "icons" / "tabler-heart.svg").read_text().strip()
    ids = tokenizer(svg, add_special_tokens=False).input_ids
    assert tokenizer.decode(ids) == svg and len(ids) < len(svg) / 2


@pytest.mark.parametrize(
    "name", sorted(p.name for p in TINY_CONFIG.parent.glob("starvector-*.yaml"))
)
def test_shipped_configs_are_valid(name):
    config = load_config(TINY_CONFIG.parent / name)
    assert config["model"]["tokenizer"] or config["model"]["init_from"]


def test_bad_configs_fail_with_the_setting_named(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  decoder_config: {model_type: gpt_bigcode}\n  tokenizr: x\n")
    with pytest.raises(TrainError, match="unknown setting 'model.tokenizr'"):
        load_config(bad)
    bad.write_text("finetune:\n  decoder: half\nmodel:\n  decoder: x\n")
    code = main(
        [
            "train",
            "starvector",
            "--config",
            str(bad),
            "--data",
            str(tmp_path),
            "--out",
            str(tmp_path / "o"),
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and "finetune.decoder must be one of" in err[0]


@pytest.mark.slow
def test_train_then_vectorize_regenerates_the_icons(tmp_path, capsys):
    """Through the real entry points: the tiny config learns three real icons by heart (and a
    rerun resumes), then the engine redraws each from its image."""
    data = tmp_path / "icons"
    data.mkdir()
    for name in OVERFIT:
        shutil.copy(SVG_FIXTURES / "icons" / f"{name}.svg", data)
    out = tmp_path / "run"
    args = ["train", "starvector", "--config", str(TINY_CONFIG), "--data", str(data)]
    assert main([*args, "--out", str(out), "--max-steps", "50", "--quiet"]) == 0
    assert main([*args, "--out", str(out), "--max-steps", "130", "--quiet"]) == 0
    log = (out / "train.log").read_text()
    assert "resumed from" in log and "at step 50" in log
    assert "751,778 parameters, 751,778 trainable" in log  # 100%: the tiny config trains all
    card = (out / "model" / "README.md").read_text()
    assert "svgvl train starvector" in card
    capsys.readouterr()

    from svgvl.metrics import compare
    from svgvl.render import rasterize, save_png

    for name in OVERFIT:
        source = SVG_FIXTURES / "icons" / f"{name}.svg"
        png, svg = tmp_path / f"{name}.png", tmp_path / f"{name}.svg"
        save_png(rasterize(source, 128), png)
        command = ["vectorize", str(png), "-o", str(svg), "--quiet", "--engine", "starvector"]
        assert main([*command, "--model", str(out / "model"), "--candidates", "2"]) == 0
        assert compare(svg.read_text(), source, size=256)["ssim"] >= 0.95, name


def test_lora_run_logs_it_and_saves_a_merged_model(tmp_path):
    from svgvl.train.starvector import train

    data = tmp_path / "icons"
    data.mkdir()
    shutil.copy(SVG_FIXTURES / "icons" / "tabler-heart.svg", data)
    lines = []
    finetune = {"decoder": "lora", "vision": "frozen", "gradient_checkpointing": True}
    result = train(
        TINY_CONFIG,
        data,
        tmp_path / "run",
        max_steps=2,
        overrides={"finetune": finetune, "optim": {"batch_size": 1}},
        progress=False,
        log=lines.append,
    )
    text = "\n".join(lines)
    assert "LoRA on the decoder (r=16, alpha=32, on c_attn, c_proj, c_fc)" in text
    assert "vision encoder frozen" in text and "gradient checkpointing" in text
    assert 0 < result["trainable_parameters"] < result["total_parameters"]
    assert f"{result['trainable_parameters']:,} trainable" in text
    model = StarVectorForCausalLM.from_pretrained(tmp_path / "run" / "model")
    assert not any("lora" in key for key in model.state_dict())
    # The LoRA matrices are merged into the decoder: the tiny model's own size again.
    assert sum(p.numel() for p in model.parameters()) == 751_778 < result["total_parameters"]


def test_engine_errors_are_one_line(tmp_path, capsys):
    png = tmp_path / "in.png"
    from svgvl.render import rasterize, save_png

    save_png(rasterize(SVG_FIXTURES / "icons" / "tabler-heart.svg", 64), png)
    cases = [
        ([], "needs a model"),
        (["--model", str(tmp_path / "nope")], "no such model folder"),
        (["--model", "starvector/not-cached"], "HF_HUB_OFFLINE"),
    ]
    for extra, message in cases:
        code = main(
            ["vectorize", str(png), "-o", str(tmp_path / "o.svg"), "--engine", "starvector", *extra]
        )
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 1 and len(err) == 1 and message in err[0], err
        assert not (tmp_path / "o.svg").exists()
    assert main(["vectorize", str(png), "-o", str(tmp_path / "o.svg"), "--candidates", "2"]) == 1
    assert "--engine starvector" in capsys.readouterr().err
    from svgvl.engines import EngineError, vectorize

    with pytest.raises(EngineError, match="takes no option model"):
        vectorize(str(png), engine="trace", model="x")


def test_gpu_step_script_runs_at_toy_size(capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "starvector_step", ROOT / "eval" / "gpu" / "starvector_step.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert (
        script.main(["--tiny", "--steps", "1", "--warmup", "0", "--rows", "lora-64-gc-fp32"]) == 0
    )
    table = capsys.readouterr().out
    assert "| on | fp32 + bf16 autocast |" in table and "TINY smoke run" in table
