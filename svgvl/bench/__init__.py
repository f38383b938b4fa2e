"""``svgvl.bench``: score image→SVG methods side by side on suites of real SVGs (SVG-Bench style).

    from svgvl import bench

    results = bench.run("icons", ["source", "trace", "vtracer"], "out/icons", size=512)
    results["methods"]["trace"]["ssim"]            # mean SSIM of the native tracer

    @bench.register_method("mine")
    def mine(image, target_svg):                   # image: uint8 H×W×3 RGB on white
        return my_vectorizer(image)                # SVG text

Each target SVG is rendered at ``size`` on white (SVG-Bench settings); every method gets that
image and returns SVG text; the output is scored against the target with :mod:`svgvl.metrics`.
Modules: :mod:`.suites` (what is scored), :mod:`.methods` (what scores), :mod:`.harness`
(running, timing out), :mod:`.outputs` (the output folder: layout, claiming it, resuming) and
:mod:`.report` (results.json, results.md, report.html).
"""

from .harness import run
from .methods import METHODS, Method, method_names, register_method, resolve_method
from .suites import BenchError, Item, Suite, list_suites, load_suite

__all__ = [
    "METHODS",
    "BenchError",
    "Item",
    "Method",
    "Suite",
    "list_suites",
    "load_suite",
    "method_names",
    "register_method",
    "resolve_method",
    "run",
]
