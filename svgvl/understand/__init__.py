"""Understanding SVG: what a drawing shows, as data and text (``describe``), and scenes with
known answers to measure it on (``scenes``, ``questions``)."""

from .describe import Description, Shape, Summary, describe

__all__ = ["Description", "Shape", "Summary", "describe"]
