"""``python -m svgvl.cli``: the ``svgvl`` command."""

import sys

from . import main

sys.exit(main())
