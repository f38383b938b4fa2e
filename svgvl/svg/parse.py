"""Secure parsing of untrusted SVG.

SVG reaches svgvl from users' files and from model output, so parsing assumes hostility: no
network, no external entities or DTDs, internal entities only when they cannot blow up, and hard
limits on bytes, nesting depth and element count.  Every failure is an :class:`SVGError` that says
why (empty, not XML, not SVG, too large), never an lxml traceback.
"""

from __future__ import annotations

import gzip
import io
import os
import re
from dataclasses import dataclass

from lxml import etree

from .errors import SVGError

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"

MAX_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 200
MAX_ELEMENTS = 50_000

_ENTITY_DECL = re.compile(rb"<!ENTITY\s+%?\s*[^\s>]+\s+(SYSTEM|PUBLIC|\"[^\"]*\"|'[^']*')", re.I)


@dataclass
class Document:
    """A parsed SVG: the lxml root element plus the name of where it came from (for messages)."""

    root: etree._Element
    source: str | None = None

    def tostring(self) -> bytes:
        """The document as UTF-8 SVG bytes, without DTD or XML declaration."""
        return etree.tostring(self.root, encoding="utf-8")

    def __repr__(self) -> str:
        return f"Document(source={self.source!r}, elements={sum(1 for _ in self.root.iter())})"


def local_name(element) -> str:
    """The tag without namespace ('' for comments and entities); SVG from models often lacks xmlns."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


def is_svg_element(element) -> bool:
    """True for elements in the SVG namespace or in none (foreign metadata such as Inkscape's is not)."""
    tag = element.tag
    return isinstance(tag, str) and (not tag.startswith("{") or tag.startswith("{" + SVG_NS + "}"))


def _read(source, max_bytes: int) -> tuple[bytes, str | None]:
    """Bytes and a display name from text, bytes, a path or a binary file object."""
    if isinstance(source, Document):
        return source.tostring(), source.source
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), None
    if isinstance(source, str) and "<" in source:
        # Text: drop an XML declaration, whose encoding no longer applies to a decoded string.
        text = re.sub(r"^\s*<\?xml[^>]*\?>", "", source, count=1)
        return text.encode("utf-8"), None
    if hasattr(source, "read"):
        data = source.read(max_bytes + 1)
        return (data.encode("utf-8") if isinstance(data, str) else data), getattr(
            source, "name", None
        )
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        try:
            size = os.path.getsize(path)
            if size > max_bytes:
                raise SVGError(f"file too large ({size:,} bytes; the limit is {max_bytes:,})", path)
            with open(path, "rb") as handle:
                return handle.read(), path
        except SVGError:
            raise
        except IsADirectoryError:
            raise SVGError("is a directory, not an SVG file", path) from None
        except FileNotFoundError:
            raise SVGError("no such file", path) from None
        except OSError as error:
            raise SVGError(f"cannot read file ({error.strerror or error})", path) from None
    raise SVGError(f"cannot parse an object of type {type(source).__name__} as SVG")


def gunzip(data: bytes, max_bytes: int, name: str | None) -> bytes:
    """Decompress .svgz content, refusing decompression bombs."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
            out = handle.read(max_bytes + 1)
    except (OSError, EOFError) as error:
        raise SVGError(f"corrupt gzip (svgz) data: {error}", name) from None
    if len(out) > max_bytes:
        raise SVGError(f"decompressed SVG larger than {max_bytes:,} bytes", name)
    return out


def _check_entities(data: bytes, name: str | None) -> None:
    """Allow simple internal entities (old Illustrator files use them), refuse anything else."""
    if b"<!ENTITY" not in data and b"<!entity" not in data:
        return
    declarations = _ENTITY_DECL.findall(data)
    if any(kind.upper() in (b"SYSTEM", b"PUBLIC") for kind in declarations):
        raise SVGError("external entities are not allowed", name)
    if len(declarations) > 64 or re.search(
        rb"<!ENTITY\s+%?\s*[^\s>]+\s+(\"[^\"]*&|'[^']*&)", data, re.I
    ):
        raise SVGError(
            "nested or numerous entity declarations are not allowed (possible XML bomb)", name
        )


def parse(
    source,
    *,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_elements: int = MAX_ELEMENTS,
    name: str | None = None,
) -> Document:
    """Parse SVG from text, bytes, a path (``.svg`` or ``.svgz``) or a binary file object.

    Raises :class:`SVGError` naming the reason: empty input, not XML, not SVG (root element is
    not ``<svg>``), or a limit exceeded (bytes, depth, element count).
    """
    data, display = _read(source, max_bytes)
    display = name or display
    if data[:2] == b"\x1f\x8b":
        data = gunzip(data, max_bytes, display)
    if len(data) > max_bytes:
        raise SVGError(
            f"input too large ({len(data):,} bytes; the limit is {max_bytes:,})", display
        )
    if not data.strip():
        raise SVGError("empty input", display)
    _check_entities(data, display)
    parser = etree.XMLParser(
        resolve_entities="internal",
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        remove_blank_text=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        message = (
            str(error.msg if getattr(error, "msg", None) else error)
            .split(", line")[0]
            .split(" (line")[0]
        )
        if "Excessive depth" in message:
            raise SVGError("elements nested too deeply (libxml2's limit)", display) from None
        line = f" (line {error.lineno})" if getattr(error, "lineno", None) else ""
        raise SVGError(f"not well-formed XML: {message}{line}", display) from None
    except ValueError as error:
        raise SVGError(f"not well-formed XML: {error}", display) from None
    if root is None:
        raise SVGError("not well-formed XML: no root element", display)
    if local_name(root) != "svg":
        raise SVGError(
            f"not an SVG document: the root element is <{local_name(root) or root.tag}>", display
        )
    _check_size(root, max_depth, max_elements, display)
    return Document(root=root, source=display)


def _check_size(root, max_depth: int, max_elements: int, name: str | None) -> None:
    count = 0
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        count += 1
        if count > max_elements:
            raise SVGError(f"too many elements (more than {max_elements:,})", name)
        if depth > max_depth:
            raise SVGError(f"elements nested too deeply (more than {max_depth} levels)", name)
        stack.extend((child, depth + 1) for child in element)
