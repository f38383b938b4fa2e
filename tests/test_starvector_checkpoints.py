"""StarVector checkpoints beyond the 1B layout: StarVector-8B (SigLIP → StarCoder2), tied
decoders saved under the output layer's name, early layout checks, run folders, and the
engine's sampling settings.  Tiny random models on CPU; nothing is downloaded."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("open_clip")

from svgvl.cli import main  # noqa: E402
from svgvl.models import StarVectorForCausalLM  # noqa: E402
from svgvl.models.starvector import StarVectorError  # noqa: E402
from svgvl.models.starvector_checkpoints import check_layout, load, official_key  # noqa: E402
from svgvl.models.starvector_parts import load_tokenizer  # noqa: E402

from .test_starvector import TOKENIZER, official_state, tiny, write_official  # noqa: E402

torch.set_num_threads(1)

# The published starvector-8b-im2svg layout at toy sizes, written out by hand from the reference
# (joanrod/star-vector: SigLIP's vision_model under model.image_encoder.visual_encoder, the
# Adapter with a LayerNorm over [tokens, d], HF StarCoder2 under
# model.svg_transformer.transformer), not derived from svgvl.
SW, SPATCH, SGRID = 64, 8, 4  # SigLIP width, patch, grid (32 px images, 16 tokens, no class)
D8, HEAD8, KV8, INNER8, VOCAB8 = 256, 128, 1, 512, 1032  # StarCoder2: 128-wide heads


def official_8b_state(tied: bool = False) -> dict:
    generator = torch.Generator().manual_seed(5)

    def rand(*shape):
        return torch.randn(*shape, generator=generator) * 0.05

    def linear(state, name, out, inp):
        state[name + ".weight"], state[name + ".bias"] = rand(out, inp), rand(out)

    def norm(state, name, *shape):
        state[name + ".weight"], state[name + ".bias"] = 1 + rand(*shape), rand(*shape)

    state = {}
    enc = "model.image_encoder.visual_encoder."
    state[enc + "embeddings.patch_embedding.weight"] = rand(SW, 3, SPATCH, SPATCH)
    state[enc + "embeddings.patch_embedding.bias"] = rand(SW)
    state[enc + "embeddings.position_embedding.weight"] = rand(SGRID * SGRID, SW)
    for i in range(2):
        layer = f"{enc}encoder.layers.{i}."
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            linear(state, layer + "self_attn." + proj, SW, SW)
        norm(state, layer + "layer_norm1", SW)
        norm(state, layer + "layer_norm2", SW)
        linear(state, layer + "mlp.fc1", 2 * SW, SW)
        linear(state, layer + "mlp.fc2", SW, 2 * SW)
    norm(state, enc + "post_layernorm", SW)
    state[enc + "head.probe"] = rand(1, 1, SW)
    state[enc + "head.attention.in_proj_weight"] = rand(3 * SW, SW)
    state[enc + "head.attention.in_proj_bias"] = rand(3 * SW)
    linear(state, enc + "head.attention.out_proj", SW, SW)
    norm(state, enc + "head.layernorm", SW)
    linear(state, enc + "head.mlp.fc1", 2 * SW, SW)
    linear(state, enc + "head.mlp.fc2", SW, 2 * SW)
    tokens = SGRID * SGRID
    linear(state, "model.image_projection.c_fc", 2 * SW, SW)
    linear(state, "model.image_projection.c_proj", D8, 2 * SW)
    norm(state, "model.image_projection.norm", tokens, D8)
    llm = "model.svg_transformer.transformer."
    state[llm + "model.embed_tokens.weight"] = rand(VOCAB8, D8)
    for i in range(2):
        layer = f"{llm}model.layers.{i}."
        linear(state, layer + "self_attn.q_proj", D8, D8)
        linear(state, layer + "self_attn.k_proj", KV8 * HEAD8, D8)
        linear(state, layer + "self_attn.v_proj", KV8 * HEAD8, D8)
        linear(state, layer + "self_attn.o_proj", D8, D8)
        linear(state, layer + "mlp.c_fc", INNER8, D8)
        linear(state, layer + "mlp.c_proj", D8, INNER8)
        norm(state, layer + "input_layernorm", D8)
        norm(state, layer + "post_attention_layernorm", D8)
    norm(state, llm + "model.norm", D8)
    if not tied:
        state[llm + "lm_head.weight"] = rand(VOCAB8, D8)
    return state


def write_8b(folder, state):
    write_official(folder, state)
    config = {"model_type": "starvector", "starcoder_model_name": "bigcode/starcoder2-7b"}
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_starvector_8b_layout_maps_onto_siglip_and_starcoder2(tmp_path):
    state = official_8b_state()
    model, tokenizer = StarVectorForCausalLM.from_official(str(write_8b(tmp_path, state)))
    loaded = model.state_dict()
    for key, value in state.items():
        assert torch.equal(loaded[official_key(key, "siglip")], value), key
    text = model.config.text_config
    assert text.model_type == "starcoder2" and not text.tie_word_embeddings
    assert (text.num_attention_heads, text.num_key_value_heads) == (D8 // HEAD8, KV8)
    assert model.config.vision_backend == "transformers" and not model.config.vision_norm
    assert model.config.adapter_norm == "layer_norm" and model.num_visual_tokens == SGRID**2
    assert model.config.image_mean == [0.5, 0.5, 0.5]  # SigLIP's normalisation
    assert model.config.generation_defaults["max_length"] == 16000
    # StarVector-8B's tokenizer: <svg-end> after the three 1B additions, left padding.
    assert model.config.svg_end == "<svg-end>" and "<svg-end>" in tokenizer.get_vocab()
    assert tokenizer.padding_side == "left"
    with torch.no_grad():
        pixels = torch.randn(1, 3, SGRID * SPATCH, SGRID * SPATCH)
        out = model(pixel_values=pixels, input_ids=torch.tensor([[5, 6, 7]]))
    assert out.logits.shape == (1, SGRID**2 + 3, VOCAB8)
    assert torch.isfinite(out.logits).all()


@pytest.mark.parametrize("layout", ["1b", "8b"])
def test_a_tied_decoder_saved_under_its_output_layer_loads_tied(tmp_path, layout):
    if layout == "1b":
        state = official_state()  # tied: only the embedding is stored
        embedding = "model.svg_transformer.transformer.transformer.wte.weight"
    else:
        state = official_8b_state(tied=True)
        embedding = "model.svg_transformer.transformer.model.embed_tokens.weight"
    shared = state.pop(embedding)
    state["model.svg_transformer.transformer.lm_head.weight"] = shared
    folder = write_8b(tmp_path, state) if layout == "8b" else write_official(tmp_path, state)
    model, _ = StarVectorForCausalLM.from_official(str(folder))
    lm = model.language_model
    assert torch.equal(lm.get_input_embeddings().weight, shared)
    assert lm.lm_head.weight.data_ptr() == lm.get_input_embeddings().weight.data_ptr()


def test_the_layout_is_checked_from_the_index_before_any_weights(tmp_path):
    # An index naming a decoder svgvl maps but no image encoder, and no weight files at all:
    # the refusal must come from the index alone (a hub download would stop here).
    keys = ["model.svg_transformer.transformer.model.layers.0.mlp.c_fc.weight", "lm_head.weight"]
    index = {"weight_map": {key: "model-00001-of-00002.safetensors" for key in keys}}
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "starvector"}))
    with pytest.raises(StarVectorError, match="no CLIP or SigLIP image encoder"):
        check_layout(str(tmp_path))
    with pytest.raises(StarVectorError, match="no CLIP or SigLIP image encoder"):
        load(str(tmp_path))
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama"}))
    with pytest.raises(StarVectorError, match="'llama' model, not a StarVector checkpoint"):
        load(str(tmp_path))


def test_a_training_run_folder_resolves_to_its_model(tmp_path):
    model = tiny()
    run = tmp_path / "run"
    model.save_pretrained(run / "model")
    load_tokenizer(str(TOKENIZER)).save_pretrained(run / "model")
    (run / "log.jsonl").write_text("")
    loaded, _ = load(str(run))
    with torch.no_grad():
        ids = torch.tensor([[5, 6, 7]])
        pixels = torch.randn(1, 3, 32, 32)
        assert torch.equal(
            model.eval()(pixel_values=pixels, input_ids=ids).logits,
            loaded(pixel_values=pixels, input_ids=ids).logits,
        )


def test_sampling_settings_are_checked_with_one_clear_line(tmp_path, capsys):
    from svgvl.engines.starvector import check_sampling

    assert check_sampling({"temperature": None, "top_p": 0.9}) == {"top_p": 0.9}
    for bad, name in (({"temperature": 0}, "temperature"), ({"top_p": 1.5}, "top_p")):
        with pytest.raises(StarVectorError, match=name):
            check_sampling(bad)
    image = tmp_path / "in.png"
    from PIL import Image

    Image.new("RGB", (16, 16), "red").save(image)
    code = main(["vectorize", str(image), "--temperature", "0.5"])
    assert code != 0 and "are for --engine starvector" in capsys.readouterr().err


def test_official_config_reads_starvector_8b_from_the_shapes():
    # The real 8B shapes (SigLIP-large-patch16-384 → StarCoder2-7B) on the meta device.
    from accelerate import init_empty_weights

    from svgvl.models.starvector_checkpoints import official_config

    meta = {"device": "meta"}
    state = {
        "language_model.model.embed_tokens.weight": torch.empty(49157, 4608, **meta),
        "language_model.lm_head.weight": torch.empty(49157, 4608, **meta),
        "vision_tower.embeddings.patch_embedding.weight": torch.empty(1024, 3, 16, 16, **meta),
        "vision_tower.embeddings.position_embedding.weight": torch.empty(576, 1024, **meta),
        "vision_tower.head.probe": torch.empty(1, 1, 1024, **meta),
        "projector.norm.weight": torch.empty(576, 4608, **meta),
    }
    for i in range(32):
        layer = f"language_model.model.layers.{i}."
        state[layer + "self_attn.k_proj.weight"] = torch.empty(4 * 128, 4608, **meta)
        state[layer + "mlp.c_fc.weight"] = torch.empty(18432, 4608, **meta)
    for i in range(24):
        state[f"vision_tower.encoder.layers.{i}.mlp.fc1.weight"] = torch.empty(4096, 1024, **meta)
    config = official_config(state)
    text = config.text_config
    assert (text.hidden_size, text.num_hidden_layers, text.intermediate_size) == (4608, 32, 18432)
    assert (text.num_attention_heads, text.num_key_value_heads) == (36, 4)
    assert text.vocab_size == 49157 and not text.tie_word_embeddings
    vision = config.vision_config
    assert (vision["hidden_size"], vision["num_hidden_layers"], vision["num_attention_heads"]) == (
        1024,
        24,
        16,
    )
    assert config.image_size == 384 and config.adapter_norm == "layer_norm"
    with init_empty_weights():
        model = StarVectorForCausalLM(config)
    assert model.num_visual_tokens == 576  # the reference's query_length for siglip_384
    assert tuple(model.projector.norm.weight.shape) == (576, 4608)
    parameters = sum(p.numel() for p in model.parameters())
    assert 7.5e9 < parameters < 8.5e9  # "8B"


# -- text → SVG --------------------------------------------------------------------------------


@pytest.mark.slow
def test_generate_svg_draws_what_a_text2svg_model_learned(tmp_path, capsys):
    """A tiny model overfitted on two caption → icon pairs in the trainer's text2svg format
    (template and caption, <svg-start>, SVG, end of sequence) draws each icon back from its
    caption: generate_svg prompts as the trainer trains."""
    from types import SimpleNamespace

    from svgvl.engines.starvector import generate_svg
    from svgvl.svg import normalize
    from svgvl.train.svg_code_data import caption_prompt_ids, encode, pick_caption

    from .conftest import SVG_FIXTURES

    tokenizer = load_tokenizer(str(TOKENIZER))
    model = tiny()
    pairs = {
        "a heart": (SVG_FIXTURES / "icons" / "tabler-heart.svg").read_text().strip(),
        "a cylinder": (SVG_FIXTURES / "icons" / "lucide-cylinder.svg").read_text().strip(),
    }
    # Each training sequence as `svgvl train starvector` (task: text2svg) writes it.
    rows = [
        caption_prompt_ids(tokenizer, pick_caption([caption], None))
        + encode(tokenizer, [svg], "<svg")[0]
        for caption, svg in pairs.items()
    ]
    width = max(map(len, rows))
    pad = tokenizer.pad_token_id
    batch = SimpleNamespace(
        input_ids=torch.tensor([r + [pad] * (width - len(r)) for r in rows]),
        attention_mask=torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows]),
    )
    labels = batch.input_ids.masked_fill(batch.attention_mask == 0, -100)
    assert batch.input_ids.shape[1] < 250  # fits the tiny decoder's 256 positions
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(300):
        loss = model(
            input_ids=batch.input_ids, attention_mask=batch.attention_mask, labels=labels
        ).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.05
    folder = tmp_path / "model"
    model.eval().save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    for caption, svg in pairs.items():
        (got,) = generate_svg(caption, model=str(folder), candidates=2, rank="likelihood")
        want = normalize(svg)
        assert [p.d for p in normalize(got).paths] == [p.d for p in want.paths]
    code = main(["generate-svg", "a heart", "--model", str(tmp_path), "--rank", "none"])
    assert code == 0 and "<path" in capsys.readouterr().out  # a run folder finds its model


def test_generate_svg_says_when_no_sample_is_usable(tmp_path, capsys):
    model = tiny()  # random: emits no SVG
    model.eval().save_pretrained(tmp_path)
    load_tokenizer(str(TOKENIZER)).save_pretrained(tmp_path)
    args = ["generate-svg", "a heart", "--model", str(tmp_path), "--max-length", "40"]
    code = main([*args, "--rank", "none", "--candidates", "2"])
    err = capsys.readouterr().err
    assert code == 1 and "usable SVG" in err and "Traceback" not in err
    assert main([*args, "-n", "3", "--candidates", "2"]) == 1
    assert "-n 3 is more than --candidates 2" in capsys.readouterr().err
    assert main(["generate-svg", " ", "--model", str(tmp_path)]) == 1
    assert "caption" in capsys.readouterr().err
