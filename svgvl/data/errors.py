"""The one exception type of the dataset builders."""

from __future__ import annotations


class DataError(ValueError):
    """A dataset cannot be built or read: unknown source, missing tool, unusable folder.

    A ValueError, so the CLI reports it as one line (``svgvl: error: ...``) and exit status 1.
    Problems with single icons never raise: they are counted as dropped with their reason.
    """
