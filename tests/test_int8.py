"""int8 shipping format: a checkpoint stored as int8 rows loads back as a float32 model that
computes what the original computes."""

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from svgvl.models.iconshop import IconShopConfig, IconShopForCausalLM, read_checkpoint  # noqa: E402
from svgvl.models.int8 import INT8_FILE, dequantize_rows, quantize_rows, save_int8  # noqa: E402


def test_rows_come_back_within_half_a_step():
    torch.manual_seed(0)
    weight = torch.randn(64, 48) * torch.logspace(-3, 1, 64)[:, None]  # rows of any scale
    rows, scale = quantize_rows(weight)
    assert rows.dtype == torch.int8 and scale.shape == (64,)
    error = (dequantize_rows(rows, scale) - weight).abs()
    step = weight.abs().amax(dim=1, keepdim=True) / 127
    assert (error <= 0.5 * step * (1 + 1e-5)).all()


def test_an_int8_checkpoint_loads_as_float32_and_gives_the_same_logits(tmp_path):
    torch.manual_seed(0)
    config = IconShopConfig(n_layer=2, n_head=4, d_model=64, max_svg_tokens=64, max_text_tokens=8)
    model = IconShopForCausalLM(config).eval()
    model.save_pretrained(tmp_path / "full")
    folder = tmp_path / "int8"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config.to_dict()))
    save_int8(model.state_dict(), folder / INT8_FILE)
    full_bytes = sum(p.stat().st_size for p in (tmp_path / "full").glob("*.safetensors"))
    assert (folder / INT8_FILE).stat().st_size < 0.4 * full_bytes
    loaded = read_checkpoint(folder).eval()
    assert loaded.dtype == torch.float32
    for name, value in model.state_dict().items():
        if value.ndim != 2:  # vectors are stored as they are
            assert torch.equal(loaded.state_dict()[name], value), name
    ids = torch.randint(config.point_start, config.vocab_size, (2, 20))
    states, mask = torch.randn(2, 5, config.text_dim), torch.ones(2, 5, dtype=torch.bool)
    with torch.no_grad():
        a = model(ids, text_states=states, text_mask=mask).logits
        b = loaded(ids, text_states=states, text_mask=mask).logits
    assert (a - b).abs().max() < 0.05 * a.abs().max()
    assert (a.argmax(-1) == b.argmax(-1)).float().mean() > 0.95
