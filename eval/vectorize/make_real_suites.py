"""Build suites of real raster files — favicons and logos as their makers published them.

    python eval/vectorize/make_real_suites.py /work/real/inputs
    python eval/vectorize/hard.py /work/real/inputs --work /work/real/runs/NAME \\
        --built-by make_real_suites.py --title "Vectorizer on real published raster files" \\
        --out eval/results/vectorize-real.md --sheets eval/results/vectorize-real

The hard suites (make_hard_suites.py) render SVG sources with svgvl's own renderer; these are
PNG files from npm packages, drawn by other tools at the sizes their users download them:

- ``real-favicon-16``, ``-32``, ``-64``: the browser logos of ``@browser-logos/*`` at that size
  (12 browsers), and at 32 px also 12 coin logos of ``cryptocurrency-icons`` (``32/color``);
- ``real-browser-256``: the same browser logos at 256 px;
- ``real-coin-128``: 24 coin logos at 128 px (``128/color``).

The 4× reference (hard.py's ``SSIM 4×``) is the same icon's own larger file where the package
has one (``ref/NAME.png``: the browser logos' 256 or 512 px drawing, shrunk to 4× the input),
else its SVG (the coin logos' ``svg/color``).  Items are picked by a salted hash, so the sample
is fixed; the packages are pinned below.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import pathlib
import sys

from PIL import Image

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # svgvl from this checkout

from svgvl.data.packages import npm_package  # noqa: E402

BROWSERS = {
    "brave": "3.0.13",
    "chrome": "2.0.0",
    "chromium": "2.0.1",
    "edge": "2.0.7",
    "firefox": "3.0.10",
    "firefox-developer-edition": "3.0.6",
    "opera": "1.1.11",
    "safari": "2.1.0",
    "samsung-internet": "4.0.6",
    "tor": "2.0.4",
    "vivaldi": "2.1.10",
    "yandex": "1.0.8",
}
COINS = ("cryptocurrency-icons", "0.18.1")
LICENCES = {
    "@browser-logos": "MIT (alrra/browser-logos); the logos are their owners' trademarks",
    "cryptocurrency-icons": "CC0-1.0",
}


def _key(name: str) -> str:
    return hashlib.sha256(f"real:{name}".encode()).hexdigest()


def _png(data: bytes) -> bytes:
    """The file as PNG (they all are; re-saved so that odd chunks cannot trip a reader)."""
    with Image.open(io.BytesIO(data)) as image:
        out = io.BytesIO()
        image.convert("RGBA").save(out, format="PNG")
        return out.getvalue()


def browsers():
    """(suite, stem, source, item, png, reference name, reference bytes) per browser logo."""
    for browser, version in BROWSERS.items():
        package = npm_package(f"@browser-logos/{browser}", version)
        files = package.files(lambda n: n.endswith(".png") and "/" not in n)
        source = f"@browser-logos/{browser}@{version}"
        for size, ref in ((16, 256), (32, 256), (64, 256), (256, 512)):
            png = files[f"{browser}_{size}x{size}.png"]
            suite = f"real-browser-{size}" if size == 256 else f"real-favicon-{size}"
            reference = files[f"{browser}_{ref}x{ref}.png"]
            yield suite, browser, source, f"{browser}_{size}x{size}.png", png, "ref", reference


def coins(count_32: int = 12, count_128: int = 24):
    name, version = COINS
    package = npm_package(name, version)
    svgs = package.files(lambda n: n.startswith("svg/color/") and n.endswith(".svg"))
    slugs = sorted((n[len("svg/color/") : -4] for n in svgs), key=_key)
    picks = {32: slugs[:count_32], 128: slugs[count_32 : count_32 + count_128]}
    wanted = {f"{size}/color/{s}.png" for size, chosen in picks.items() for s in chosen}
    pngs = package.files(lambda n: n in wanted)
    for size, chosen in picks.items():
        suite = "real-favicon-32" if size == 32 else "real-coin-128"
        for slug in chosen:
            png = pngs.get(f"{size}/color/{slug}.png")
            if png is not None:
                svg = svgs[f"svg/color/{slug}.svg"]
                yield (
                    suite,
                    f"coin-{slug}",
                    f"{name}@{version}",
                    f"{size}/color/{slug}.png",
                    png,
                    "svg",
                    svg,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=pathlib.Path)
    args = parser.parse_args()
    manifests: dict[str, list] = {}
    for suite, stem, source, item, png, kind, reference in [*browsers(), *coins()]:
        folder = args.out / suite
        (folder / "ref").mkdir(parents=True, exist_ok=True)
        (folder / f"{stem}.png").write_bytes(_png(png))
        if kind == "ref":
            (folder / "ref" / f"{stem}.png").write_bytes(_png(reference))
        else:
            (folder / f"{stem}.svg").write_bytes(reference)
        with Image.open(io.BytesIO(png)) as image:
            size = list(image.size)
        manifests.setdefault(suite, []).append(
            {
                "name": stem,
                "source": source,
                "item": item,
                "license": LICENCES[source.rsplit("@", 1)[0].split("/")[0]],  # scope or name
                "recipe": "the published file as it is",
                "reference": f"ref/{stem}.png" if kind == "ref" else f"{stem}.svg",
                "size": size,
            }
        )
    for suite, manifest in manifests.items():
        (args.out / suite / "suite.json").write_text(json.dumps(manifest, indent=1) + "\n")
        print(f"{suite}: {len(manifest)} items", file=sys.stderr)


if __name__ == "__main__":
    main()
