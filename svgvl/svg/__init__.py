"""The document layer: secure parsing, normalisation to absolute paths, compact writing, repair.

doc = parse("icon.svg")                 # lxml tree behind limits; SVGError on bad input
drawing = normalize(doc, canvas=256)    # flat list of absolute M/L/C/Z paths with resolved paint
text = write(drawing, precision=2)      # compact SVG text
fixed, report = repair(model_output)    # close truncated model output, drop invalid path data
"""

from .errors import SVGError
from .model import Clip, Drawing, Gradient, Mask, Path, Stop
from .normalize import normalize
from .parse import Document, parse
from .repair import Repaired, repair
from .write import write

__all__ = [
    "Clip",
    "Document",
    "Drawing",
    "Gradient",
    "Mask",
    "Path",
    "Repaired",
    "SVGError",
    "Stop",
    "normalize",
    "parse",
    "repair",
    "write",
]
