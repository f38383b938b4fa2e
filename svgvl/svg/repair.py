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
    r"<(/?)([A-Za-z_][\w:.-]*)((?:[^<>\"']|\"[^\"]*\"|'[^']*')*?)(/?)>"
    r"|<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>",
    re.S,
)
_ATTRIBUTE = re.compile(r"""([A-Za-z_][\w:.-]*)\s*=\s*("[^"]*"|'[^']*')""")
# An attribute whose value the text ends inside: ``name="value…`` with no closing quote.
_OPEN_ATTRIBUTE = re.compile(r"""([A-Za-z_][\w:.-]*)\s*=\s*(["'])([^"']*)$""")
_PROSE = re.compile(r"[^\s]")
_PAINT = re.compile(r"\b(?:fill|stroke|style|class)\s*=")
_PATH_DATA = re.compile(r"[\s,0-9.eE+\-MmLlHhVvCcSsQqTtAaZz]*")
_PATH_TOKEN = re.compile(r"[A-Za-z]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_SHAPE = re.compile(r"(?:path|rect|circle|ellipse|line|polyline|polygon)$")


class Repaired(NamedTuple):
    svg: str
    repairs: list[str]  # what was changed, in words; empty when the input was already valid

    @property
    def changed(self) -> bool:
        return bool(self.repairs)


def repair(text: str | bytes) -> Repaired:
    """Make model output a valid SVG document, reporting each change.

    - chatter before the document's ``<svg`` start tag and after its matching ``</svg>`` is
      dropped; a ``<svg`` that is not a complete start tag (``<svg<svg …``) or is quoted in prose
      (\"an `<svg>` icon\") is chatter too;
    - a truncated document is closed: its open elements are ended, and a ``<path>`` cut inside
      its ``d`` keeps its complete commands (any other unfinished element is dropped);
    - a repeated attribute keeps its first value, as HTML parsers do;
    - a missing SVG namespace is added;
    - path data is cut at its first error (an element with no valid data is removed).

    Raises :class:`SVGError` when nothing usable is left (no ``<svg`` start tag at all).
    """
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", errors="replace")
    repairs: list[str] = []
    start = _document_start(text)
    if text[:start].strip():
        repairs.append(f"dropped {len(text[:start].strip())} characters before <svg")
    text, notes = _scan(text[start:])
    repairs.extend(notes)
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


def _document_start(text: str) -> int:
    """Where the document's ``<svg`` start tag begins.

    Candidates are complete ``<svg …>`` start tags.  One directly followed by prose, or
    self-closing, is a mention in chatter when a later candidate exists (a real document's start
    tag is followed by markup or whitespace).
    """
    candidates = []
    for found in re.finditer(r"<svg(?=[\s/>])", text):
        tag = _TAG.match(text, found.start())
        if tag and tag.group(2) == "svg" and not tag.group(1):
            candidates.append(tag)
    if not candidates:
        if "<svg" in text:
            raise SVGError("truncated before the <svg> start tag ended")
        raise SVGError("no <svg> element in the text")
    for tag in candidates[:-1]:
        following = text[tag.end() :].split("<", 1)[0]
        if not _PROSE.search(following) and not tag.group(4):
            return tag.start()
    return candidates[-1].start()


def _scan(text: str) -> tuple[str, list[str]]:
    """Walk the markup from the root's start tag: cut after the root's own ``</svg>``, close a
    truncated document, salvage a cut ``<path>``, and drop repeated attributes."""
    out: list[str] = []
    stack: list[str] = []
    notes: list[str] = []
    duplicates = 0
    painted = False  # whether a shape so far carried paint of its own
    pos = 0
    while True:
        lt = text.find("<", pos)
        if lt < 0:
            out.append(text[pos:])
            pos = len(text)
            break
        tag = _TAG.match(text, lt)
        if tag is None:
            if re.match(r"</?[A-Za-z_]", text[lt:]):  # a tag the text ends (or breaks) inside
                break
            out.append(text[pos:lt] + "&lt;")  # a stray '<' in character data
            pos = lt + 1
            continue
        out.append(text[pos:lt])
        pos = tag.end()
        closing, name, attributes, self_closing = tag.group(1, 2, 3, 4)
        if name is None:
            out.append(tag.group())
            continue
        if closing:
            out.append(tag.group())
            if name in stack:
                while stack and stack.pop() != name:
                    pass
            if not stack:
                break  # the root is closed: the rest is chatter
            continue
        kept, dropped = _unique_attributes(attributes)
        duplicates += dropped
        painted = painted or bool(_SHAPE.match(name) and _PAINT.search(kept))
        out.append(f"<{name}{kept}{self_closing}>" if dropped else tag.group())
        if not self_closing:
            stack.append(name)
    if duplicates:
        notes.append(f"dropped {duplicates} repeated attribute(s), keeping the first value")
    tail = text[pos:]
    if not stack:
        if tail.strip():
            notes.append(f"dropped {len(tail.strip())} characters after </svg>")
        return "".join(out), notes
    salvaged = _salvage_path(tail, painted)
    if salvaged:
        out.append(salvaged)
        notes.append("kept the complete commands of a <path> cut off inside its data")
    opened = ", ".join(f"<{n}>" for n in reversed(stack))
    notes.append(
        f"closed a truncated document ({len(tail) - len(salvaged or '')} characters dropped; "
        f"closed {opened})"
    )
    out.extend(f"</{n}>" for n in reversed(stack))
    return "".join(out), notes


def _unique_attributes(attributes: str) -> tuple[str, int]:
    """``attributes`` with every repeated name after the first removed, and how many were."""
    seen: set[str] = set()
    dropped = 0

    def keep(match: re.Match) -> str:
        nonlocal dropped
        if match.group(1) in seen:
            dropped += 1
            return ""
        seen.add(match.group(1))
        return match.group()

    return _ATTRIBUTE.sub(keep, attributes), dropped


def _salvage_path(tail: str, painted_before: bool) -> str | None:
    """A ``<path …>`` start tag that the text ends inside its ``d``, as a complete element
    holding its complete attributes and ``d`` up to its last whole command; None when ``tail``
    is anything else.

    An unfinished element other than a path is dropped (its paint or geometry would be a
    guess), and so is a path without paint of its own when earlier shapes had theirs: its
    paint came after the cut.  The number the data ends with may be cut short, and chatter may
    follow it, so that number is dropped unless a sign, comma or command letter follows it directly.
    """
    head = re.match(r"<path\b", tail)
    cut = _OPEN_ATTRIBUTE.search(tail)
    if not head or not cut or cut.group(1) != "d":
        return None
    attributes, _ = _unique_attributes(tail[head.end() : cut.start()])
    if _ATTRIBUTE.sub("", attributes).strip():
        return None  # something else unfinished in the tag
    if painted_before and not _PAINT.search(attributes):
        return None
    data = _PATH_DATA.match(cut.group(3)).group()
    tokens = list(_PATH_TOKEN.finditer(data))
    while tokens and tokens[-1].group() not in "Zz" and tokens[-1].group().isalpha():
        tokens.pop()  # a command with none of its numbers, or chatter's first letters
    number = tokens[-1] if tokens and not tokens[-1].group().isalpha() else None
    if number and not re.match(r"[-+,A-DF-Za-df-z]", data[number.end() : number.end() + 1]):
        tokens.pop()  # the last number, not followed by what only a whole number can be
    d = data[: tokens[-1].end()] if tokens else ""
    commands, _, end = parse_path_prefix(d)
    if not any(letter != "M" for letter, _ in commands):
        return None
    return f'<path{attributes.rstrip()} d="{d[:end].strip(" ,")}"/>'


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
