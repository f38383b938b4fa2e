"""Repair of model output: the text a language model emits is rarely a clean SVG file.

It may carry chatter before ``<svg`` or after ``</svg>``, stop mid-element when the token budget
runs out, or contain path data that goes wrong half-way.  :func:`repair` keeps everything that
is valid, cuts what is not, and says what it did — so a benchmark can count repairs instead of
silently scoring a blank image.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from lxml import etree

from .errors import SVGError
from .parse import SVG_NS, local_name, parse
from .pathdata import parse_path_prefix

_TAG = re.compile(
    r"<(/?)([A-Za-z_][\w:.-]*)((?:[^<>\"']|\"[^\"]*\"|'[^']*')*?)(/?)>|<!--.*?-->|<!\[CDATA\[.*?\]\]>",
    re.S,
)


class Repaired(NamedTuple):
    svg: str
    repairs: list[str]  # what was changed, in words; empty when the input was already valid

    @property
    def changed(self) -> bool:
        return bool(self.repairs)


def repair(text: str | bytes) -> Repaired:
    """Make model output a valid SVG document, reporting each change.

    - text before the first ``<svg`` and after the last ``</svg>`` is dropped;
    - a truncated document is cut after its last complete tag and its open elements closed;
    - a missing SVG namespace is added;
    - path data is cut at its first error (an element with no valid data is removed).

    Raises :class:`SVGError` when nothing usable is left (no ``<svg`` start tag at all).
    """
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", errors="replace")
    repairs: list[str] = []
    start = text.find("<svg")
    if start < 0:
        raise SVGError("no <svg> element in the text")
    if text[:start].strip():
        repairs.append(f"dropped {start} characters before <svg")
    text = text[start:]

    end = text.rfind("</svg>")
    if end >= 0:
        tail = text[end + len("</svg>") :]
        if tail.strip():
            repairs.append(f"dropped {len(tail.strip())} characters after </svg>")
        text = text[: end + len("</svg>")]

    text, closed = _close_truncated(text)
    if closed is not None:
        repairs.append(closed)
    text, added = _ensure_namespace(text)
    if added:
        repairs.append("added the SVG namespace")

    try:
        doc = parse(text)
    except SVGError:
        doc = _recover(text)
        repairs.append("recovered malformed XML")

    fixed = _repair_paths(doc.root)
    repairs.extend(fixed)
    if fixed or "recovered malformed XML" in repairs:
        text = etree.tostring(doc.root, encoding="unicode")
    return Repaired(text, repairs)


def _close_truncated(text: str) -> tuple[str, str | None]:
    """Cut after the last complete tag and close the elements still open there."""
    stack: list[str] = []
    last_end = 0
    for match in _TAG.finditer(text):
        closing, name, _, self_closing = (
            match.group(1),
            match.group(2),
            match.group(3),
            match.group(4),
        )
        last_end = match.end()
        if name is None or self_closing:
            continue
        if closing:
            if name in stack:
                while stack and stack.pop() != name:
                    pass
        else:
            stack.append(name)
    if last_end == 0:
        raise SVGError("truncated before the <svg> start tag ended")
    if not stack:
        return text, None
    cut = len(text) - last_end
    closing = "".join(f"</{name}>" for name in reversed(stack))
    note = f"closed a truncated document after its last complete tag ({cut} characters dropped; closed {', '.join(f'<{n}>' for n in reversed(stack))})"
    return text[:last_end] + closing, note


def _ensure_namespace(text: str) -> tuple[str, bool]:
    match = re.match(r"<svg\b[^>]*>", text)
    if match and "xmlns=" not in match.group():
        return text[:4] + f' xmlns="{SVG_NS}"' + text[4:], True
    return text, False


def _recover(text: str):
    """Last resort for malformed XML: libxml2's recovering parser, then the secure parse again."""
    parser = etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(text.encode("utf-8"), parser)
    except etree.XMLSyntaxError:
        root = None
    if root is None or local_name(root) != "svg":
        raise SVGError("not repairable: no well-formed <svg> element could be recovered")
    return parse(etree.tostring(root))


def _repair_paths(root) -> list[str]:
    notes = []
    for element in list(root.iter()):
        if local_name(element) != "path":
            continue
        d = element.get("d")
        if d is None:
            continue
        commands, error, end = parse_path_prefix(d)
        if error is None:
            continue
        if not commands:
            element.getparent().remove(element)
            notes.append(f"removed a <path> with invalid data ({error})")
        else:
            element.set("d", d[:end].rstrip(" ,"))
            notes.append(f"cut path data at its first error ({error})")
    return notes
