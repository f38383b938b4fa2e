"""svgvl.data on trimmed real packages: records, labels, licences, splits, dedup, resume, CLI.

The archives in tests/fixtures/data/packages/ (made by make_fixtures.py) are put in a cache
folder, so nothing is fetched: the fetchers are replaced by ones that fail the test.
"""

import json
import shutil
from pathlib import Path

import pytest

from svgvl import data
from svgvl.cli import main
from svgvl.data import DataError, build, load, packages
from svgvl.data import dataset as build_module
from svgvl.data.iconify import icon_svg
from svgvl.data.iconsets import _simple_icons_licence
from svgvl.data.records import SPLIT_NAMES, split_of

from .conftest import SVG_FIXTURES

FIXTURES = Path(__file__).parent / "fixtures" / "data"
FONT = FIXTURES / "DejaVuSans-subset.ttf"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">{}</svg>'


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A package cache holding the trimmed fixtures; any fetch fails the test."""
    root = tmp_path / "cache"
    shutil.copytree(FIXTURES / "packages", root / "packages")
    monkeypatch.setenv("SVGVL_CACHE", str(root))

    def no_network(*args, **kwargs):
        raise AssertionError(f"a test tried to fetch a package: {args}")

    monkeypatch.setattr(packages, "_npm_pack", no_network)
    monkeypatch.setattr(packages, "_pip_download", no_network)
    return root


def records(folder) -> dict[str, dict]:
    return {r["id"]: r for r in load(folder)}


def dropped(folder) -> dict[str, dict]:
    lines = (Path(folder) / "dropped.jsonl").read_text().splitlines()
    return {d["id"]: d for d in map(json.loads, lines)}


def test_sources_table_names_every_source_with_one_line_of_help():
    for name in ("iconify:<set>", "tabler", "lucide", "fontawesome", "simple-icons", "twemoji"):
        assert name in data.SOURCES
    assert {"noto", "fluent-emoji-flat", "font:<path or family>", "dir:<path>"} <= set(data.SOURCES)
    assert all(text and "\n" not in text for text in data.SOURCES.values())


def test_iconify_set_names_aliases_hidden_icons_and_duplicates(cache, tmp_path):
    manifest = build("iconify:tabler", tmp_path / "ds", progress=False)
    got = records(tmp_path / "ds")
    assert set(got) == {
        "tabler:arrow-big-up",
        "tabler:circle",
        "tabler:heart",
        "tabler:rocket",
        "tabler:settings",
    }  # barell is hidden; wash-dryclean is the same drawing as circle
    assert dropped(tmp_path / "ds") == {
        "tabler:wash-dryclean": {
            "id": "tabler:wash-dryclean",
            "reason": "duplicate",
            "detail": "same drawing as tabler:circle",
        }
    }
    rocket = got["tabler:rocket"]
    assert rocket["source"] == "iconify:tabler" and rocket["licence"] == "MIT"
    assert rocket["labels"] == {"name": "rocket", "title": "rocket", "tags": [], "category": None}
    assert got["tabler:arrow-big-up"]["labels"]["tags"] == ["arrow big top"]  # its alias
    assert rocket["svg"].startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"')
    assert rocket["normalized"].startswith(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"'
    )
    assert rocket["hash"].startswith("sha256:") and rocket["split"] == split_of("tabler:rocket")
    assert manifest["records"] == 5 and manifest["items"] == 6
    assert manifest["dropped"] == {"duplicate": 1}
    assert manifest["counts"]["licence"] == {"MIT": 5}
    assert sum(manifest["counts"]["split"].values()) == 5
    assert manifest["sources"][0]["package"] == "@iconify-json/tabler"
    assert manifest["sources"][0]["version"] == "1.2.41"
    assert manifest["svgvl_version"] and manifest["command"].startswith(
        "svgvl data build iconify:tabler"
    )


def test_the_fixture_icons_are_built_exactly_as_fetch_fixtures_made_them(cache, tmp_path):
    build("iconify:tabler", tmp_path / "ds", progress=False)
    rocket = records(tmp_path / "ds")["tabler:rocket"]["svg"]
    assert rocket + "\n" == (SVG_FIXTURES / "icons" / "tabler-rocket.svg").read_text()


def test_emoji_sets_are_iconify_sets_with_categories(cache, tmp_path):
    build("twemoji", tmp_path / "ds", progress=False)
    got = records(tmp_path / "ds")
    assert "twemoji:adult" not in got  # hidden
    heart = got["twemoji:red-heart"]
    assert heart["source"] == "iconify:twemoji" and heart["licence"] == "CC-BY-4.0"
    assert heart["labels"]["category"] == "Smileys & Emotion"
    assert heart["labels"]["title"] == "red heart"
    assert got["twemoji:a-button-blood-type"]["labels"]["tags"] == ["a button"]


def test_tabler_package_outline_and_filled_with_tags_and_categories(cache, tmp_path):
    build("tabler", tmp_path / "ds", progress=False)
    got = records(tmp_path / "ds")
    assert set(got) == {
        "tabler/outline/rocket",
        "tabler/outline/heart",
        "tabler/outline/accessible",
        "tabler/filled/heart",
        "tabler/filled/accessible",
    }
    rocket = got["tabler/outline/rocket"]
    assert rocket["labels"]["category"] == "Map" and "spaceship" in rocket["labels"]["tags"]
    assert rocket["licence"] == "MIT" and got["tabler/filled/heart"]["meta"] == {"style": "filled"}


def test_lucide_tags_and_its_duplicate_names(cache, tmp_path):
    manifest = build("lucide", tmp_path / "ds", progress=False)
    got = records(tmp_path / "ds")
    assert got["lucide/rocket"]["labels"]["tags"] == [
        "release",
        "boost",
        "launch",
        "space",
        "version",
    ]
    assert got["lucide/rocket"]["licence"] == "ISC"
    # alarm-check is an old name shipped as a second file: the first in id order is kept
    assert "lucide/alarm-check" in got and "lucide/alarm-clock-check" not in got
    assert manifest["dropped"] == {"duplicate": 1}


def test_simple_icons_get_brand_colours_and_their_own_licences(cache, tmp_path):
    build("simple-icons", tmp_path / "ds", progress=False)
    got = records(tmp_path / "ds")
    python = got["simple-icons/python"]
    assert 'fill="#3776AB"' in python["svg"] and "#3776ab" in python["normalized"].lower()
    assert python["labels"]["title"] == "Python" and python["meta"]["hex"] == "3776AB"
    assert {k.split("/")[1]: r["licence"] for k, r in got.items()} == {
        "python": "CC0-1.0",
        "blender": "CC0-1.0",
        "dotnet": "CC0-1.0",
        "30secondsofcode": "CC-BY-4.0",
        "abdownloadmanager": "Apache-2.0",
    }
    assert got["simple-icons/abdownloadmanager"]["labels"]["tags"] == ["ABDM"]
    assert _simple_icons_licence({"license": {"type": "custom", "url": "u"}}) == (
        "LicenseRef-custom",
        {"licence_url": "u"},
    )


def test_fontawesome_labels_search_terms_and_categories_from_the_wheel(cache, tmp_path):
    build("fontawesome", tmp_path / "ds", progress=False)
    got = records(tmp_path / "ds")
    assert set(got) == {
        "fontawesome/solid/rocket",
        "fontawesome/solid/mug-hot",
        "fontawesome/regular/face-smile",
        "fontawesome/brands/github",
    }
    rocket = got["fontawesome/solid/rocket"]
    assert rocket["labels"]["title"] == "Rocket" and "launch" in rocket["labels"]["tags"]
    assert rocket["labels"]["category"] and rocket["licence"] == "CC-BY-4.0"
    assert rocket["meta"]["style"] == "solid"


def test_font_glyphs_upright_with_unicode_labels(cache, tmp_path):
    manifest = build(f"font:{FONT}", tmp_path / "ds", progress=False)
    got = records(tmp_path / "ds")
    assert set(got) == {f"DejaVuSans/U+{c:04X}" for c in b"Ag@1."} | {"DejaVuSans/U+03A9"}
    a = got["DejaVuSans/U+0041"]
    assert a["source"] == "font:DejaVuSans" and a["licence"] == "Bitstream-Vera"
    assert a["labels"]["name"] == "A" and a["labels"]["title"] == "latin capital letter a"
    assert a["labels"]["category"] == "letter" and a["meta"]["unicode_category"] == "Lu"
    # the same outline as the committed fixture glyph (y flipped through the ascender)
    glyph = (SVG_FIXTURES / "glyphs" / "dejavusans-g.svg").read_text()
    assert got["DejaVuSans/U+0067"]["svg"] + "\n" == glyph
    why = {k: d["reason"] for k, d in dropped(tmp_path / "ds").items()}
    assert why == {"DejaVuSans/U+2126": "duplicate", "DejaVuSans/U+0301": "unreadable"}
    assert manifest["sources"][0]["family"] == "DejaVu Sans"  # the space is not an item
    assert manifest["items"] == 8


def test_font_family_names_are_resolved_and_unknown_fonts_are_errors(tmp_path):
    from svgvl.data.fonts import find_font

    if Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").is_file():
        assert find_font("DejaVu Sans").name == "DejaVuSans.ttf"
        assert find_font("DejaVuSans-Bold").name == "DejaVuSans-Bold.ttf"
    with pytest.raises(DataError, match="no such font file"):
        build(f"font:{tmp_path / 'missing.ttf'}", tmp_path / "ds", progress=False)
    with pytest.raises(DataError, match="not found"):
        find_font("No Such Family Anywhere")
    (tmp_path / "bad.ttf").write_bytes(b"not a font")
    with pytest.raises(DataError, match="not a readable font"):
        build(f"font:{tmp_path / 'bad.ttf'}", tmp_path / "ds", progress=False)


def test_a_folder_with_broken_svgs_skips_them_with_reasons(tmp_path):
    import gzip

    icons = tmp_path / "icons"
    (icons / "shapes").mkdir(parents=True)
    (icons / "square.svg").write_text(SVG.format('<path d="M1 1h8v8H1z"/>'))
    (icons / "shapes" / "box.svg").write_text(
        SVG.format('<rect x="1" y="1" width="8" height="8"/>')
    )
    (icons / "circle.svgz").write_bytes(
        gzip.compress(SVG.format('<circle cx="5" cy="5" r="4"/>').encode())
    )
    (icons / "broken.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'><path")
    (icons / "html.svg").write_text("<html><body/></html>")
    (icons / "empty.svg").write_text("")
    (icons / "words.svg").write_text(SVG.format("<text>hi</text>"))
    (icons / "bad-path.svg").write_text(SVG.format('<path d="M1 1 L"/>'))
    (icons / ".hidden.svg").write_text(SVG.format('<path d="M0 0h1v1z"/>'))
    (icons / "notes.txt").write_text("not an svg")
    manifest = build(f"dir:{icons}", tmp_path / "ds", progress=False, licence="CC0-1.0")
    got = records(tmp_path / "ds")
    assert set(got) == {"icons/circle", "icons/shapes/box"}
    box = got["icons/shapes/box"]
    assert box["licence"] == "CC0-1.0" and box["source"] == "dir:icons"
    assert box["labels"]["name"] == "box" and box["labels"]["category"] == "shapes"
    why = {k: d["reason"] for k, d in dropped(tmp_path / "ds").items()}
    assert why == {
        "icons/bad-path": "invalid SVG",
        "icons/broken": "invalid SVG",
        "icons/empty": "invalid SVG",
        "icons/html": "invalid SVG",
        "icons/square": "duplicate",  # the same drawing as the rect, written as a path
        "icons/words": "draws nothing",
    }
    assert dropped(tmp_path / "ds")["icons/html"]["detail"].startswith("not an SVG document")
    assert manifest["dropped"] == {"draws nothing": 1, "duplicate": 1, "invalid SVG": 4}
    assert manifest["counts"]["licence"] == {"CC0-1.0": 2}
    with pytest.raises(DataError, match="no such directory"):
        build(f"dir:{tmp_path / 'nowhere'}", tmp_path / "ds2", progress=False)


def test_splits_follow_the_id_alone_about_90_5_5():
    ids = [f"set/icon-{i}" for i in range(20000)]
    splits = [split_of(i) for i in ids]
    assert splits == [split_of(i) for i in ids]
    shares = {name: splits.count(name) / len(ids) for name in SPLIT_NAMES}
    assert abs(shares["train"] - 0.9) < 0.01 and abs(shares["test"] - 0.05) < 0.005
    assert split_of("tabler:rocket") == split_of("tabler:rocket")


def test_builds_are_deterministic_and_load_filters_splits(cache, tmp_path):
    one = build("fontawesome", tmp_path / "one", progress=False)
    two = build("fontawesome", tmp_path / "two", progress=False)
    assert (tmp_path / "one/data-00000.jsonl").read_bytes() == (
        tmp_path / "two/data-00000.jsonl"
    ).read_bytes()
    assert {**one, "command": ""} == {**two, "command": ""}
    for split in SPLIT_NAMES:
        chosen = list(load(tmp_path / "one", split=split))
        assert len(chosen) == one["counts"]["split"][split]
        assert all(r["split"] == split for r in chosen)
    with pytest.raises(DataError, match="unknown split"):
        load(tmp_path / "one", split="dev")
    with pytest.raises(DataError, match="no dataset manifest"):
        load(tmp_path)


def test_an_interrupted_build_resumes_after_its_finished_shards(cache, tmp_path, monkeypatch):
    full = build(f"font:{FONT}", tmp_path / "fresh", progress=False, shard_size=2)
    real_record, calls = build_module.record, []

    def interrupt_at_fifth(item, source):
        calls.append(item.id)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return real_record(item, source)

    monkeypatch.setattr(build_module, "record", interrupt_at_fifth)
    with pytest.raises(KeyboardInterrupt):
        build(f"font:{FONT}", tmp_path / "ds", progress=False, shard_size=2)
    left = sorted(p.name for p in (tmp_path / "ds").iterdir())
    assert left == [".build", "data-00000.jsonl", "data-00001.jsonl"]  # no manifest, no .part
    with pytest.raises(DataError, match="did not finish: run it again"):
        load(tmp_path / "ds")
    calls.clear()
    again = build(f"font:{FONT}", tmp_path / "ds", progress=False, shard_size=2)
    assert len(calls) == full["items"] - 4  # the two finished shards were kept
    assert {**again, "command": ""} == {**full, "command": ""}
    for shard in full["shards"]:
        assert (tmp_path / "ds" / shard["file"]).read_bytes() == (
            tmp_path / "fresh" / shard["file"]
        ).read_bytes()
    ids = [r["id"] for r in load(tmp_path / "ds")]
    assert len(ids) == len(set(ids)) == full["records"]
    calls.clear()
    build(f"font:{FONT}", tmp_path / "ds", progress=False, shard_size=2)
    assert calls == []  # a finished build is not redone


def test_limit_takes_the_first_items_and_a_later_build_extends_or_trims(cache, tmp_path):
    out = tmp_path / "ds"
    small = build("iconify:tabler", out, limit=3, progress=False, shard_size=2)
    assert small["items"] == 3 and [r["id"] for r in load(out)] == [
        "tabler:arrow-big-up",
        "tabler:circle",
        "tabler:heart",
    ]
    assert "--limit 3" in small["command"]
    assert build("iconify:tabler", out, progress=False, shard_size=2)["records"] == 5
    assert len(list(out.glob("data-*.jsonl"))) == 3
    build("iconify:tabler", out, limit=3, progress=False, shard_size=2)
    assert sorted(p.name for p in out.glob("data-*.jsonl")) == [
        "data-00000.jsonl",
        "data-00001.jsonl",
    ]
    with pytest.raises(DataError, match="positive"):
        build("iconify:tabler", out, limit=0, progress=False)


def test_a_folder_of_another_dataset_is_only_replaced_with_force(cache, tmp_path):
    build("lucide", tmp_path / "ds", progress=False)
    with pytest.raises(DataError, match="built from lucide"):
        build("iconify:tabler", tmp_path / "ds", progress=False)
    (tmp_path / "ds" / "mine.txt").write_text("keep")
    assert build("iconify:tabler", tmp_path / "ds", progress=False, force=True)["records"] == 5
    assert (tmp_path / "ds" / "mine.txt").read_text() == "keep"
    assert all(r["source"] == "iconify:tabler" for r in load(tmp_path / "ds"))


def test_missing_npm_names_what_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SVGVL_CACHE", str(tmp_path / "empty"))
    monkeypatch.setenv("PATH", "")
    with pytest.raises(DataError, match=r"npm is needed .* install Node\.js with npm"):
        build("iconify:tabler", tmp_path / "ds", progress=False)
    assert main(["data", "build", "twemoji", "--out", str(tmp_path / "ds"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("svgvl: error: npm is needed") and err.count("\n") == 1
    assert "iconify-json-twemoji-1.2.5.tgz" in err  # or where to put the package by hand


def test_unknown_sources_list_the_valid_ones(tmp_path, capsys):
    with pytest.raises(
        DataError, match=r"unknown source 'emoji'; valid sources: iconify:<set>, tabler"
    ):
        build("emoji", tmp_path / "ds")
    assert main(["data", "build", "iconify:Bad Name", "--out", str(tmp_path / "ds")]) == 1
    assert "not an Iconify set name" in capsys.readouterr().err
    with pytest.raises(DataError, match="--licence is for dir: and font:"):
        build("lucide", tmp_path / "ds", licence="MIT")


def test_a_corrupt_cached_archive_is_an_error_that_says_what_to_do(cache, tmp_path):
    (cache / "packages" / "lucide-static-1.62.0.tgz").write_bytes(b"\x1f\x8bnot gzip at all")
    with pytest.raises(DataError, match="not a readable package archive.*delete it"):
        build("lucide", tmp_path / "ds", progress=False)


def test_iconify_flips_and_rotations_follow_iconify():
    icons = {
        "width": 24,
        "height": 24,
        "icons": {
            "arrow": {"body": '<path d="M0 0h4v2z"/>'},
            "wide": {"body": "<defs><g id='a'/></defs><use href='#a'/>", "width": 32, "left": 2},
        },
        "aliases": {
            "arrow-left": {"parent": "arrow", "hFlip": True},
            "arrow-down": {"parent": "arrow", "rotate": 1},
            "arrow-both": {"parent": "arrow-left", "hFlip": True, "vFlip": True},
            "wide-turned": {"parent": "wide", "rotate": 3},
            "loop": {"parent": "loop"},
        },
    }
    head = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24">'
    assert icon_svg(icons, "arrow-left") == (
        head + '<g transform="translate(24 0) scale(-1 1)"><path d="M0 0h4v2z"/></g></svg>'
    )
    assert (
        icon_svg(icons, "arrow-down")
        == head + '<g transform="rotate(90 12 12)"><path d="M0 0h4v2z"/></g></svg>'
    )
    assert (
        icon_svg(icons, "arrow-both")
        == head + '<g transform="translate(0 24) scale(1 -1)"><path d="M0 0h4v2z"/></g></svg>'
    )
    assert icon_svg(icons, "wide-turned") == (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 2 24 32" width="24" height="32">'
        "<defs><g id='a'/></defs><g transform=\"rotate(-90 18 18)\"><use href='#a'/></g></svg>"
    )
    with pytest.raises(KeyError):
        icon_svg(icons, "loop")


def test_cli_build_info_and_sources(cache, tmp_path, capsys):
    out = tmp_path / "ds"
    assert main(["data", "build", "iconify:tabler", "--out", str(out), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("svgvl: 5 records") and "1 dropped (duplicate 1)" in err
    assert main(["data", "info", str(out)]) == 0
    text = capsys.readouterr().out
    assert "iconify:tabler (@iconify-json/tabler 1.2.41)" in text and "5 of 6 items" in text
    assert main(["data", "info", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["records"] == 5
    assert main(["data", "info", str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith("svgvl: error: ")
    assert main(["data", "sources"]) == 0 and "dir:<path>" in capsys.readouterr().out
    assert main(["data"]) == 2
    with pytest.raises(SystemExit) as exit_:
        main(["data", "build", "tabler", "--out", str(out), "--limit", "0"])
    assert exit_.value.code == 2
