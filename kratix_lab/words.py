"""Counted nouns in messages: ``1 file``, ``2 files`` (issue 17 item 8: "1 files" read as a bug)."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``count`` and ``noun``, in the plural unless count is 1 (``many`` for irregular plurals)."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"
