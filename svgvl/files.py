"""Output files that never end half-written and never replace a user's file by surprise; where
svgvl keeps its caches."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


class OutputExistsError(FileExistsError):
    """The output path exists and overwriting was not asked for."""

    def __init__(self, path: str):
        super().__init__(f"{path}: already exists (pass --force to overwrite)")
        self.path = path


def write_atomic(path: str | os.PathLike, data: bytes | str, *, force: bool = False) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    A crash or a kill leaves either the old file or the complete new one, never a partial file.
    ``path == "-"`` writes to standard output.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    path = os.fspath(path)
    if path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    if not force and os.path.exists(path):
        raise OutputExistsError(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=".svgvl-", suffix=".part", dir=folder)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp creates 0600; outputs get the usual mode
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if not force and os.path.exists(path):
            raise OutputExistsError(path)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def cache_root() -> Path:
    """svgvl's cache folder: ``$SVGVL_CACHE``, else ``$XDG_CACHE_HOME/svgvl`` (``~/.cache``)."""
    root = os.environ.get("SVGVL_CACHE")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(base, "svgvl")
    return Path(root)
