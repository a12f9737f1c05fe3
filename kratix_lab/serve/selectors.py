"""Label and field selectors of list/watch requests.

Label selectors use the lab's one parser and matcher (``views.lab_view.parse_selector``, which also
reads the set-based ``in``/``notin`` forms, and ``model.objects.matches_selector``).
Field selectors: ``metadata.name``, ``metadata.namespace`` and any dotted path (events'
``involvedObject.*``, ``type``, ``reason``) with ``=``, ``==``, ``!=``.
"""

from __future__ import annotations

import re
from typing import Any

from kratix_lab.model.objects import matches_selector
from kratix_lab.serve.status import bad_request
from kratix_lab.views.lab_view import parse_selector


def label_selector(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        return parse_selector(text)
    except ValueError as e:
        raise bad_request(f"unable to parse requirement: {e}") from None


def field_selector(text: str | None) -> list[tuple[str, str, str]]:
    out = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        m = re.fullmatch(r"\s*([A-Za-z0-9_.]+)\s*(==|!=|=)\s*(.*?)\s*", part)
        if not m:
            raise bad_request(f"invalid field selector {text!r}: {part!r} is not field=value or field!=value")
        out.append((m.group(1), "!=" if m.group(2) == "!=" else "=", m.group(3)))
    return out


def _field(obj: dict[str, Any], path: str) -> str:
    cur: Any = obj
    for p in path.split("."):
        cur = cur.get(p) if isinstance(cur, dict) else None
    return "" if cur is None else str(cur)


def matches(obj: dict[str, Any], labels: dict[str, Any] | None, fields: list[tuple[str, str, str]]) -> bool:
    if labels and not matches_selector((obj.get("metadata") or {}).get("labels") or {}, labels):
        return False
    return all((_field(obj, path) == value) == (op == "=") for path, op, value in fields)
