"""Training loops on accelerate: one module per model (``iconshop``, ``starvector``).

    from svgvl.train.iconshop import train       # svgvl train iconshop --config ... --data ... --out ...

Only the standard library is imported here, so ``import svgvl.train`` stays light.
"""

import os
from pathlib import Path


def resolve_paths(section: dict, keys, config_file) -> None:
    """Relative paths under ``keys`` in a config ``section`` that exist next to ``config_file``
    become absolute, so a config names its tokenizer or weights relative to itself and works
    from any directory; other values are left as written (hub ids, paths from the cwd)."""
    base = Path(config_file).resolve().parent
    for key in keys:
        value = section.get(key)
        if isinstance(value, str) and not os.path.isabs(value) and (base / value).exists():
            section[key] = str((base / value).resolve())
