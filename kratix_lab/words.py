"""Counted nouns in messages: ``1 file``, ``2 files`` (issue 17 item 8: "1 files" read as a bug)."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``count`` and ``noun``, in the plural unless count is 1 (``many`` for irregular plurals)."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"


def kinds(count: int, kind: str) -> str:
    """``count`` objects of ``kind`` as kubectl pluralises kinds: ``1 WorkPlacement``, ``8 WorkPlacements``,
    ``2 NetworkPolicies``, ``3 Ingresses``."""
    if count == 1:
        return f"1 {kind}"
    if kind.endswith(("s", "x", "ch", "sh")):
        return f"{count} {kind}es"
    if kind.endswith("y") and kind[-2:-1].lower() not in "aeiou":
        return f"{count} {kind[:-1]}ies"
    return f"{count} {kind}s"
