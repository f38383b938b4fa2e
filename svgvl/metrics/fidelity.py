"""Pixel fidelity at SVG-Bench's definitions: MSE, PSNR and SSIM of two rendered images.

- ``mse``: mean squared error on RGB scaled to [0, 1] (SVG-Bench's "L2").
- ``psnr``: ``10·log10(1/mse)`` in dB, capped at :data:`PSNR_CAP` so identical images give a
  finite, JSON-safe number and benchmark means stay finite.
- ``ssim``: ``skimage.metrics.structural_similarity`` on uint8 RGB, ``win_size=11``,
  ``channel_axis=-1``, ``data_range=255`` (uniform window, as StarVector computes it), in numpy.

:func:`ink_features` is a cheaper likeness of two drawings, for novelty and retrieval;
:func:`copy_likeness` says how near a copy one drawing is of another.
"""

from __future__ import annotations

import math

import numpy as np

from ..render import rasterize

PSNR_CAP = 100.0
"""PSNR for identical images and ceiling for all (dB); above it, 512² images differ by a few
one-level pixel changes at most, so nothing a reader could see is lost."""


def mse(a, b) -> float:
    """Mean squared error of two images on [0, 1] (uint8 arrays are divided by 255)."""
    a, b = _unit(a), _unit(b)
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    return float(np.mean((a - b) ** 2))


def psnr(a, b) -> float:
    """Peak signal-to-noise ratio in dB on [0, 1]; :data:`PSNR_CAP` for identical images."""
    error = mse(a, b)
    return PSNR_CAP if error == 0 else min(PSNR_CAP, 10.0 * math.log10(1.0 / error))


def _box_mean(x: np.ndarray, size: int) -> np.ndarray:
    """Mean over every size×size window that lies inside the image, by cumulative sums.

    SSIM averages only over these windows (skimage crops the filtered maps by half a window),
    so the mirrored edges that ``uniform_filter`` computes would be thrown away.
    """
    c = np.cumsum(x, axis=0)
    c[size:] -= c[:-size]
    c = np.cumsum(c[size - 1 :], axis=1)
    c[:, size:] -= c[:, :-size]
    return c[:, size - 1 :] / (size * size)


def ssim(a, b) -> float:
    """SSIM of two uint8 RGB images at SVG-Bench settings (window 11, or the image side if less).

    The definition of ``skimage.metrics.structural_similarity(a, b, win_size=11,
    channel_axis=-1, data_range=255)`` (uniform window, sample covariance, K1=0.01, K2=0.03,
    mean over the valid region and the channels), computed in numpy so that scoring one
    image does not import scipy; tests check it equals skimage's.
    """
    a, b = to_uint8(a), to_uint8(b)
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    window = min(11, *a.shape[:2])
    window -= 1 - window % 2  # an odd window, as skimage requires
    if window < 3:
        raise ValueError(f"images of {a.shape[1]}×{a.shape[0]} pixels are too small for SSIM")
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    norm = window * window / (window * window - 1)
    total = 0.0
    channels = a.shape[2] if a.ndim == 3 else 1
    for ch in range(channels):
        x = (a[..., ch] if a.ndim == 3 else a).astype(np.float64)
        y = (b[..., ch] if b.ndim == 3 else b).astype(np.float64)
        ux, uy = _box_mean(x, window), _box_mean(y, window)
        vx = norm * (_box_mean(x * x, window) - ux * ux)
        vy = norm * (_box_mean(y * y, window) - uy * uy)
        vxy = norm * (_box_mean(x * y, window) - ux * uy)
        s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
        total += s.mean()
    return float(total / channels)


def _unit(image) -> np.ndarray:
    image = np.asarray(image)
    return image.astype(np.float64) / 255.0 if image.dtype == np.uint8 else image.astype(np.float64)


def to_uint8(image) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype == np.uint8:
        return image
    return np.rint(np.clip(image, 0, 1) * 255).astype(np.uint8)


def ink_features(svgs, size: int = 32) -> np.ndarray:
    """Unit vectors of each drawing's ink (darkness on white) at ``size`` px: their dot
    product is a cheap likeness of two drawings (text-to-icon novelty, retrieval, the icon
    library's check that a variant still looks like its source)."""
    out = np.zeros((len(svgs), size * size), dtype=np.float32)
    for i, svg in enumerate(svgs):
        grey = rasterize(svg, size).astype(np.float32).mean(axis=2)
        out[i] = (255 - grey).ravel()
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-6)


COPY_THRESHOLD = 0.9
"""A drawing is a copy of another when their render SSIM or ink overlap reaches this ..."""
COPY_SIZE = 128
"""... rendered at this many pixels."""


def copy_likeness(a, b, size: int = COPY_SIZE) -> tuple[float, float]:
    """(render SSIM, ink overlap) of two drawings at ``size`` px: how near a copy ``a`` is of
    ``b``.  Ink overlap is the intersection over union of their dark pixels (below mid-grey);
    either at :data:`COPY_THRESHOLD` or more makes a copy (text-to-icon copy rate, the icon
    library's refusal of continuations that give a library icon back).  ``a`` and ``b`` may
    also be renders at ``size`` px already (one drawing checked against many)."""
    ra, rb = (x if isinstance(x, np.ndarray) else rasterize(x, size) for x in (a, b))
    ink_a, ink_b = ra.mean(axis=2) < 128, rb.mean(axis=2) < 128
    union = np.logical_or(ink_a, ink_b).sum()
    overlap = float(np.logical_and(ink_a, ink_b).sum() / union) if union else 1.0
    return ssim(ra, rb), overlap
