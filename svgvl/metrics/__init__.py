"""Scores: fidelity (SVG-Bench definitions) and compactness; everything in svgvl that scores.

Fidelity compares pixels rendered by :func:`svgvl.render.rasterize`:

- ``mse``: mean squared error on RGB scaled to [0, 1] (SVG-Bench's "L2").
- ``psnr``: ``10·log10(1/mse)`` in dB, capped at :data:`PSNR_CAP` so identical images give a
  finite, JSON-safe number and benchmark means stay finite.
- ``ssim``: ``skimage.metrics.structural_similarity`` on uint8 RGB, ``win_size=11``,
  ``channel_axis=-1``, ``data_range=255`` (uniform window, as StarVector computes it).
- ``lpips`` (lower is better) and ``dino`` (DinoScore, higher is better) when weights are given;
  torch and transformers are imported only then.

Compactness describes a candidate SVG as given: ``bytes``, ``paths`` (shape elements),
``commands`` (path commands with implicit repeats; other shapes count 1) and ``tokens``.

Modules: :mod:`.fidelity` (MSE, PSNR, SSIM, ink likeness), :mod:`.compactness` (counts),
:mod:`.learned` (LPIPS, DinoScore, tokenizers: models read through :mod:`svgvl.hub`) and
:mod:`.comparison` (``compare``: an SVG or an image against another); every name is
importable from ``svgvl.metrics``.
"""

from .compactness import SHAPES, count_commands, count_path_commands, count_paths, count_tokens
from .comparison import compare
from .fidelity import (
    COPY_SIZE,
    COPY_THRESHOLD,
    PSNR_CAP,
    copy_likeness,
    ink_features,
    mse,
    psnr,
    ssim,
)
from .learned import DEFAULT_DINO, MetricError, dino_score, lpips_distance

__all__ = [
    "COPY_SIZE",
    "COPY_THRESHOLD",
    "DEFAULT_DINO",
    "PSNR_CAP",
    "SHAPES",
    "MetricError",
    "compare",
    "copy_likeness",
    "count_commands",
    "count_path_commands",
    "count_paths",
    "count_tokens",
    "dino_score",
    "ink_features",
    "lpips_distance",
    "mse",
    "psnr",
    "ssim",
]
