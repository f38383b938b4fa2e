"""What counts as a user's error, and how it reads in one line.

Bad input and a missing environment (an unreadable image, an existing output, a missing package)
are reported as one line naming the file; anything else is a bug in svgvl and keeps its
traceback, as does every error when ``SVGVL_DEBUG`` is set.
"""

from __future__ import annotations

import os


class LimitError(RuntimeError):
    """Work stopped at its time or memory limit (``--timeout``, ``--max-memory``): the input
    is too costly for the limits given, which is the user's to judge, not a bug."""


USER_ERRORS = (ValueError, OSError, ImportError, TimeoutError, LimitError)


def reported(error: BaseException) -> bool:
    """Whether ``error`` is told to the user as one line rather than raised with its traceback."""
    return isinstance(error, USER_ERRORS) and not os.environ.get("SVGVL_DEBUG")


def one_line(error: BaseException, path: str | None = None) -> str:
    """``error`` as one line that names ``path`` (the input it concerns) when given."""
    text = str(error)
    if isinstance(error, OSError) and error.filename and error.strerror:
        text = f"{error.filename}: {error.strerror}"
    if path and path not in text:
        text = f"{path}: {text}"
    return text
