"""The one exception type of the document layer."""

from __future__ import annotations


class SVGError(ValueError):
    """An SVG could not be read, normalised or written; the message names the input and the reason.

    ``source`` is the file name (or ``None`` for in-memory input) so that batch tools can report
    which file failed without parsing the message.
    """

    def __init__(self, reason: str, source: str | None = None):
        self.reason = reason
        self.source = source
        super().__init__(f"{source}: {reason}" if source else reason)

    def with_source(self, source: str | None) -> SVGError:
        """The same error, naming ``source`` (used when a lower layer did not know the file name)."""
        return self if self.source or not source else SVGError(self.reason, source)
