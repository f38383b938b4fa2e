"""Understanding SVG: what a drawing shows, as data and text (``describe``), scenes with known
answers to measure it on (``scenes``, ``questions``), and a shared SVG–text space (``embed``:
vectors, search, zero-shot labels)."""

from .describe import Description, Shape, Summary, describe

__all__ = ["Description", "Shape", "Summary", "describe"]
