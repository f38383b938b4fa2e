"""Sample sheets: what a text-to-icon model draws for a few fixed prompts, as one PNG a person
can scan at a glance (a run writes one every ``eval.sample_every`` steps; the model cards show
how to draw one for a shipped model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ..render import rasterize, save_png


def sample_sheet(
    model,
    prompts,
    n: int,
    path: Path,
    *,
    size=96,
    top_p=0.5,
    temperature=1.0,
    guidance_scale=1.0,
    icons=None,
):
    """A PNG grid: one row per prompt, ``n`` generated icons each (seed 0), prompt on the left.
    ``icons``: ``(prompt, n) → SVG strings`` instead of the model's raw samples (e.g.
    ``generate_icons`` with its defaults)."""
    tok = model.path_tokenizer
    label_width, pad = 120, 4
    sheet = Image.new("RGB", (label_width + n * (size + pad), len(prompts) * (size + pad)), "white")
    draw = ImageDraw.Draw(sheet)
    for r, prompt in enumerate(prompts):
        top = r * (size + pad)
        draw.text((4, top + size // 2 - 6), prompt[:18], fill="black")
        if icons is None:
            rows = model.generate(
                text=prompt,
                num_return_sequences=n,
                seed=0,
                top_p=top_p,
                temperature=temperature,
                guidance_scale=guidance_scale,
            )
            svgs = [tok.decode(row) for row in rows]
        else:
            svgs = icons(prompt, n)
        for c, svg in enumerate(svgs):
            try:
                pixels = rasterize(svg, size)
            except (ValueError, OSError):
                pixels = np.full((size, size, 3), (255, 200, 200), dtype=np.uint8)
            sheet.paste(Image.fromarray(pixels), (label_width + c * (size + pad), top))
    save_png(np.asarray(sheet), path, force=True)
    return path
