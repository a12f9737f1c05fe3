"""Data shown literally: the one place where text taken from objects, files and repos is made safe to print.

Two dangers (issue 18 item 11): terminal control sequences in data (an annotation holding ``ESC]0;…BEL`` retitles
the terminal, ``ESC[2J`` clears it; kubectl prints them raw) and Rich console markup in data (``targetRevision:
"[/]"`` is a ``MarkupError`` when a string cell is parsed as markup). The rules, used by the CLI and the dashboard:

- :func:`printable` escapes every C0 and C1 control character except newline and tab, and DEL, as ``\\x1b``-style
  escapes (the form Python and Go's ``%q`` use), so nothing in the data reaches the terminal as a control code;
- :class:`LiteralConsole` is the CLI's Rich console: markup off (``[/]`` is text) and every segment of data escaped
  by :func:`printable` as it is rendered (the console's own style codes are added after, so colours still work);
- :class:`LiteralStream` wraps a text stream (the CLI's stdout for plain, YAML and JSON output) and escapes what is
  written through it;
- :func:`literal` makes a :class:`rich.text.Text` of data for widgets that would otherwise parse a ``str`` as markup
  (Textual's ``DataTable`` and ``Static``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import IO, Any

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.text import Text

# C0 controls except \t (0x09) and \n (0x0a), DEL, and the C1 controls (0x80-0x9f; 0x9b is a one-byte CSI).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def printable(text: str) -> str:
    """``text`` with every control character but newline and tab shown as an escape (``\\x1b``)."""
    return _CONTROL.sub(_escape, text) if _CONTROL.search(text) else text


def literal(text: object, style: str = "") -> Text:
    """A Rich ``Text`` showing ``text`` as it is: never parsed as markup, control characters escaped."""
    return Text(printable(str(text)), style=style)


class LiteralConsole(Console):
    """A Rich console that prints data literally: markup off, and every rendered segment's text passed through
    :func:`printable` (control segments, which Rich itself emits for cursor movement, are left alone)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("markup", False)
        kwargs.setdefault("emoji", False)
        super().__init__(**kwargs)

    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control or not _CONTROL.search(segment.text):
                yield segment
            else:
                yield Segment(printable(segment.text), segment.style)


class LiteralStream:
    """A text stream that escapes control characters in everything written to it (newlines and tabs kept)."""

    def __init__(self, stream: IO[str]) -> None:
        self.inner = stream

    def write(self, text: str) -> int:
        self.inner.write(printable(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding, … of the wrapped stream
        return getattr(self.inner, name)
