"""Packages whose public names are imported on first use (PEP 562), so that ``import svgvl``
and ``svgvl --help`` stay fast and never import torch."""

from __future__ import annotations

import importlib
import sys


def lazy_names(package: str, table: dict[str, str]):
    """A module ``__getattr__`` for ``package`` that imports ``name`` from the module
    ``table[name]`` (relative to the package) the first time it is asked for."""

    def __getattr__(name: str):
        if name in table:
            value = getattr(importlib.import_module(table[name], package), name)
            setattr(sys.modules[package], name, value)
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
