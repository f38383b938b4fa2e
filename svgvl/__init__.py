"""svgvl: generate and understand SVG.

    import svgvl
    svg_text = svgvl.vectorize("logo.png")            # raster → SVG (native tracer)
    scores = svgvl.compare("out.svg", "logo.png")      # SVG-Bench fidelity + compactness
    pixels = svgvl.rasterize("icon.svg", size=512)     # reference renderer (cairosvg)
    drawing = svgvl.normalize("icon.svg", canvas=256)  # absolute paths, resolved paint
    svgs = svgvl.generate_icons("rocket", n=4)         # text → icons (needs svgvl[learn])
    svgs = svgvl.generate_svg("a red bus", model=DIR)  # text → SVG, StarVector text2svg model
    vectors = svgvl.embed_texts(["rocket"])            # SVG–text space (with embed_images)
    print(svgvl.describe("icon.svg").to_text())        # the shapes it draws, as text

The public names are imported on first use, so ``import svgvl`` (and ``svgvl --help``) stays fast
and never imports torch.
"""

from __future__ import annotations

from .lazy import lazy_names

__version__ = "0.1.0"

_API = {
    "vectorize": ".engines",
    "compare": ".metrics",
    "rasterize": ".render",
    "load_image": ".render",
    "parse": ".svg",
    "normalize": ".svg",
    "write": ".svg",
    "repair": ".svg",
    "SVGError": ".svg",
    "generate_icons": ".engines.icons",
    "generate_svg": ".engines.starvector",
    "embed_texts": ".understand.embed",
    "embed_images": ".understand.embed",
    "describe": ".understand",
}

__all__ = [*_API, "__version__"]


__getattr__ = lazy_names(__name__, _API)
