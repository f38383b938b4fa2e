"""Scores: SVG-Bench fidelity, compactness counted by hand, learned metrics on tiny random models."""

import io
import json
import os

import numpy as np
import pytest
from PIL import Image

from svgvl.metrics import (
    PSNR_CAP,
    MetricError,
    compare,
    count_commands,
    count_path_commands,
    count_paths,
    count_tokens,
    lpips_distance,
    mse,
    psnr,
    ssim,
)
from svgvl.render import ImageError, rasterize, save_png
from svgvl.svg import SVGError, parse

NS = 'xmlns="http://www.w3.org/2000/svg"'
HEART = (
    f'<svg {NS} width="24" height="24" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
    'stroke-width="2" stroke-linecap="round" stroke-linejoin="round">'
    '<path d="M19.5 12.572l-7.5 7.428l-7.5-7.428a5 5 0 1 1 7.5-6.566a5 5 0 1 1 7.5 6.572"/></svg>'
)
RING = (
    f'<svg {NS} viewBox="0 0 24 24"><path fill="#1565c0" d="M12 2A10 10 0 0 0 2 12a10 10 0 0 0 '
    "10 10a10 10 0 0 0 10-10A10 10 0 0 0 12 2m0 4a6 6 0 0 1 6 6a6 6 0 0 1-6 6a6 6 0 0 1-6-6a6 "
    '6 0 0 1 6-6Z"/></svg>'
)


# -- pure fidelity functions -------------------------------------------------------------------


def test_mse_psnr_ssim_on_known_images():
    black = np.zeros((16, 16, 3), np.uint8)
    white = np.full((16, 16, 3), 255, np.uint8)
    assert mse(black, white) == 1.0 and psnr(black, white) == 0.0
    assert mse(black, black) == 0.0 and psnr(black, black) == PSNR_CAP
    gray = np.full((16, 16, 3), 51, np.uint8)  # 0.2
    assert mse(black, gray) == pytest.approx(0.04)
    assert psnr(black, gray) == pytest.approx(10 * np.log10(1 / 0.04))
    assert ssim(white, white) == 1.0
    noise = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    assert ssim(noise, white) < 0.1
    with pytest.raises(ValueError, match="shape"):
        mse(black, black[:8])


def test_ssim_matches_svg_bench_settings():
    from skimage.metrics import structural_similarity

    a, b = rasterize(HEART, 64), rasterize(RING, 64)
    expected = structural_similarity(a, b, win_size=11, channel_axis=-1, data_range=255)
    assert ssim(a, b) == pytest.approx(expected, abs=1e-12)


# -- compare: fidelity and resolution rules ----------------------------------------------------


def test_svg_against_its_own_render_is_exact(fixture_svg):
    pixels = rasterize(fixture_svg, 128)
    result = compare(fixture_svg, pixels)
    assert result["ssim"] > 0.999 and result["mse"] < 1e-5
    assert result["failed"] is False
    json.dumps(result, allow_nan=False)  # JSON-safe, even with identical images


def test_svg_against_its_render_on_disk_and_as_bytes(tmp_path):
    png = tmp_path / "heart.png"
    save_png(rasterize(HEART, (80, 40)), png)  # not square: the SVG is rendered at 80×40
    for target in (png, str(png), png.read_bytes(), io.BytesIO(png.read_bytes())):
        result = compare(HEART, target)
        assert result["mse"] == 0.0 and result["psnr"] == PSNR_CAP, type(target)
    # ... and at the default square size it would not match: the rule matters.
    assert compare(rasterize(HEART, 512), png)["mse"] > 1e-3


def test_a_visibly_different_svg_scores_clearly_worse():
    same = compare(HEART, HEART, size=128)
    other = compare(RING, HEART, size=128)
    assert same["ssim"] == 1.0 and same["mse"] == 0.0
    assert other["ssim"] < 0.8 and other["mse"] > 0.02 and other["psnr"] < 20


def test_two_images_of_different_shapes_resize_the_candidate():
    small, large = rasterize(RING, 64), rasterize(RING, 128)
    result = compare(small, large)
    assert result["ssim"] > 0.9 and result["mse"] < 0.01
    assert "bytes" not in result  # compactness only describes SVG candidates


def test_svg_or_image_is_decided_by_content_not_suffix(tmp_path):
    svg_txt = tmp_path / "icon.txt"
    svg_txt.write_text(HEART)
    png_noext = tmp_path / "render"
    save_png(rasterize(HEART, 64), png_noext)
    result = compare(svg_txt, png_noext)
    assert result["mse"] == 0.0 and result["bytes"] == len(HEART.encode())


def test_broken_candidate_scores_as_white_and_never_raises():
    target = rasterize(RING, 64)
    white = np.full_like(target, 255)
    for broken in ("<svg><path d='M0 0'", "not svg at all <", b"\x89PNG\r\n\x1a\ncut"):
        result = compare(broken, target)
        assert result["failed"] is True and result["error"]
        assert result["mse"] == pytest.approx(mse(white, target))
        assert result["ssim"] == pytest.approx(ssim(white, target))
    unrenderable = f'<svg {NS} viewBox="0 0 9 9"><g id="a"><use href="#b"/></g><g id="b"><use href="#a"/></g></svg>'
    result = compare(unrenderable, RING, size=64)
    assert result["failed"] is True and "RecursionError" in result["error"]
    assert result["paths"] == 0 and result["bytes"] == len(unrenderable)


def test_broken_target_raises():
    with pytest.raises(SVGError):
        compare(RING, "<svg><g>")
    with pytest.raises(ImageError):
        compare(RING, b"\x89PNG\r\n\x1a\ncut")


# -- compactness -------------------------------------------------------------------------------

# Counted by hand: 4 drawn shapes (the clip rectangle only cuts); commands 5 + 3 + 1 + 1 = 10.
SMALL = f"""<svg {NS} viewBox="0 0 24 24">
  <defs><clipPath id="c"><rect width="24" height="24"/></clipPath></defs>
  <g clip-path="url(#c)">
    <path d="M2 2h20v20H2z"/>
    <path d="M4 4 8 8 12 4" stroke="#000" fill="none"/>
    <circle cx="12" cy="12" r="3"/>
    <rect x="1" y="1" width="2" height="2"/>
  </g>
</svg>"""


def test_compactness_counted_by_hand(tmp_path):
    assert count_paths(SMALL) == 4
    assert count_commands(SMALL) == 10
    path = tmp_path / "small.svg"
    path.write_text(SMALL)
    result = compare(path, SMALL)
    assert (result["bytes"], result["paths"], result["commands"]) == (len(SMALL), 4, 10)
    assert compare(parse(SMALL), SMALL)["paths"] == 4
    unicode = SMALL.replace("<defs>", "<title>café ☕</title><defs>")
    assert compare(unicode, SMALL)["bytes"] == len(unicode) + 3  # UTF-8: é is 2 bytes, ☕ 3


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        ("M0 0 1 1 2 2", 3),  # implicit lineto repeats
        ("M0 0L1 1zm5 5h1v1z", 7),
        ("m0,0l1-1.5.5.5", 3),  # compact numbers: ".5.5" is two
        ("M1 1a1 1 0 00 5 5 1 1 0 1,1 6 6", 3),  # arc flags written without separators
        ("M0 0 C1 2 3", 1),  # counted up to the first error, as drawn
        ("M0 0 L1 1 Z 5 5", 3),
        ("L1 1", 0),  # must start with moveto
        ("", 0),
    ],
)
def test_count_path_commands(d, expected):
    assert count_path_commands(d) == expected


# -- tokens ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_tokenizer(tmp_path_factory):
    """A byte-level BPE trained on a few icons, saved like any Hugging Face tokenizer."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["[UNK]"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator([HEART, RING, SMALL] * 3, trainer)
    folder = tmp_path_factory.mktemp("tokenizer")
    PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]").save_pretrained(folder)
    return tokenizer, folder


def test_tokens_with_a_saved_tokenizer(tiny_tokenizer):
    tokenizer, folder = tiny_tokenizer
    expected = len(tokenizer.encode(SMALL).ids)
    assert 0 < expected < len(SMALL)
    assert compare(SMALL, SMALL, tokenizer=str(folder))["tokens"] == expected
    assert count_tokens(SMALL, tokenizer) == expected  # a tokenizers object works too


def test_missing_tokenizer_names_the_option(tmp_path):
    with pytest.raises(MetricError, match="tokenizer=PATH"):
        compare(SMALL, SMALL, tokenizer=str(tmp_path / "nowhere"))


# -- learned metrics ---------------------------------------------------------------------------

VGG16_CONVS = [(0, 3, 64), (2, 64, 64), (5, 64, 128), (7, 128, 128), (10, 128, 256)]
VGG16_CONVS += [(12, 256, 256), (14, 256, 256), (17, 256, 512), (19, 512, 512), (21, 512, 512)]
VGG16_CONVS += [(24, 512, 512), (26, 512, 512), (28, 512, 512)]
LIN_CHANNELS = [64, 128, 256, 512, 512]


@pytest.fixture(scope="module")
def lpips_weights(tmp_path_factory):
    """Random weights in the two files LPIPS users have: torchvision's VGG16 and lpips' vgg.pth."""
    import torch

    generator = torch.Generator().manual_seed(0)
    backbone = {}
    for index, cin, cout in VGG16_CONVS:
        backbone[f"features.{index}.weight"] = torch.randn(cout, cin, 3, 3, generator=generator)
        backbone[f"features.{index}.weight"] *= (2 / (9 * cin)) ** 0.5
        backbone[f"features.{index}.bias"] = torch.zeros(cout)
    lins = {
        f"lin{i}.model.1.weight": torch.rand(1, c, 1, 1, generator=generator)
        for i, c in enumerate(LIN_CHANNELS)
    }
    folder = tmp_path_factory.mktemp("lpips")
    torch.save(backbone, folder / "vgg16-random.pth")
    torch.save(lins, folder / "vgg.pth")
    return folder, backbone, lins


def test_lpips_identical_zero_different_positive(lpips_weights):
    folder = lpips_weights[0]
    same = compare(HEART, HEART, size=64, lpips=str(folder))
    other = compare(RING, HEART, size=64, lpips=str(folder))
    assert same["lpips"] == 0.0
    assert other["lpips"] > 0.01


def test_lpips_matches_torchvision_vgg_and_the_published_formula(lpips_weights, tmp_path):
    """An independent computation: torchvision's VGG16 layers, the LPIPS v0.1 formula."""
    import torch
    from torchvision.models.vgg import cfgs, make_layers

    folder, backbone, lins = lpips_weights
    a, b = rasterize(HEART, 48), rasterize(RING, 48)
    features = make_layers(cfgs["D"]).eval()
    features.load_state_dict({k.removeprefix("features."): v for k, v in backbone.items()})
    shift = torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1)
    scale = torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1)

    def taps(image):
        x = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 127.5 - 1
        x, out = (x - shift) / scale, []
        for index, layer in enumerate(features):
            x = layer(x)
            if index in (3, 8, 15, 22, 29):
                out.append(x / (x.norm(dim=1, keepdim=True) + 1e-10))
        return out

    with torch.no_grad():
        expected = sum(
            ((fa - fb) ** 2 * lins[f"lin{i}.model.1.weight"]).sum(dim=1).mean().item()
            for i, (fa, fb) in enumerate(zip(taps(a), taps(b), strict=True))
        )
    assert lpips_distance(a, b, folder) == pytest.approx(expected, rel=1e-4)
    # One combined file with the lpips package's own key names gives the same number.
    combined = {k.replace("features.", "net.slice1."): v for k, v in backbone.items()} | lins
    torch.save(combined, tmp_path / "lpips_vgg.pth")
    assert lpips_distance(a, b, tmp_path / "lpips_vgg.pth") == pytest.approx(expected, rel=1e-4)


def test_lpips_missing_or_incomplete_weights_name_the_option(lpips_weights, tmp_path):
    with pytest.raises(MetricError, match=r"lpips=PATH.*--lpips PATH"):
        compare(HEART, HEART, size=32, lpips=str(tmp_path / "missing"))
    (tmp_path / "only-backbone").mkdir()
    os.link(lpips_weights[0] / "vgg16-random.pth", tmp_path / "only-backbone" / "vgg16.pth")
    with pytest.raises(MetricError, match="lin0..lin4"):
        compare(HEART, HEART, size=32, lpips=tmp_path / "only-backbone")
    (tmp_path / "junk.pth").write_text("not a checkpoint")
    with pytest.raises(MetricError, match="cannot read"):
        compare(HEART, HEART, size=32, lpips=tmp_path / "junk.pth")


@pytest.fixture(scope="module")
def tiny_dino(tmp_path_factory):
    """A random 2-layer DINOv2 saved like facebook/dinov2-base (without an image processor)."""
    import torch
    from transformers import Dinov2Config, Dinov2Model

    torch.manual_seed(0)
    config = Dinov2Config(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        image_size=56,
        patch_size=14,
    )
    folder = tmp_path_factory.mktemp("dino")
    Dinov2Model(config).eval().save_pretrained(folder)
    return folder


@pytest.mark.slow
def test_dino_score_identical_one_different_less(tiny_dino):
    same = compare(RING, RING, size=64, dino=str(tiny_dino))
    other = compare(HEART, RING, size=64, dino=str(tiny_dino))
    assert same["dino"] == pytest.approx(1.0, abs=1e-6)
    assert 0.0 <= other["dino"] < 0.9999


def test_dino_missing_model_names_the_option(tmp_path):
    assert os.environ.get("HF_HUB_OFFLINE") == "1"  # never a download in tests
    with pytest.raises(MetricError, match=r"dino=PATH_OR_HUB_ID.*--dino"):
        compare(RING, RING, size=32, dino=str(tmp_path / "missing"))
    with pytest.raises(MetricError, match="facebook/dinov2-base"):
        compare(RING, RING, size=32, dino=True)


def test_learned_metrics_are_omitted_unless_asked():
    result = compare(RING, HEART, size=32)
    assert "lpips" not in result and "dino" not in result and "tokens" not in result


def test_image_inputs_as_pil_and_arrays():
    pixels = rasterize(RING, 32)
    result = compare(Image.fromarray(pixels), pixels.astype(np.float64) / 255)
    assert result["mse"] == 0.0


def test_numpy_ssim_equals_skimage_on_real_renders_and_noise():
    from skimage.metrics import structural_similarity

    from svgvl.metrics import ssim
    from svgvl.render import rasterize

    from .conftest import FIXTURE_FILES

    rng = np.random.default_rng(0)
    pairs = [
        (rasterize(FIXTURE_FILES[i], size=96), rasterize(FIXTURE_FILES[i + 1], size=96))
        for i in range(0, 12, 3)
    ]
    pairs.append(
        (
            rng.integers(0, 256, (40, 57, 3), dtype=np.uint8),
            rng.integers(0, 256, (40, 57, 3), dtype=np.uint8),
        )
    )
    small = rng.integers(0, 256, (7, 9, 3), dtype=np.uint8)
    pairs.append((small, np.clip(small.astype(int) + 20, 0, 255).astype(np.uint8)))
    for a, b in pairs:
        window = min(11, *a.shape[:2])
        window -= 1 - window % 2
        expected = structural_similarity(a, b, win_size=window, channel_axis=-1, data_range=255)
        assert abs(ssim(a, b) - expected) < 1e-9
