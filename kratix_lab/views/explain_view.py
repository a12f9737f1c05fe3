"""``kubectl explain``-style text for a CRD field, with the constraints kubectl leaves out."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from kratix_lab.schema import CRD, ExplainNode, explain


def _json(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False)


def constraints(node: ExplainNode) -> list[str]:
    """Every constraint of a field as short lines (default, enum, pattern, bounds)."""
    lines = []
    if node.default is not None:
        lines.append(f"default: {_json(node.default)}")
    if node.enum:
        lines.append("allowed values: " + ", ".join(_json(v) for v in node.enum))
    if node.pattern:
        lines.append(f"pattern: {node.pattern}")
    for label, lo, hi in (
        ("value", node.minimum, node.maximum),
        ("length", node.min_length, node.max_length),
        ("items", node.min_items, node.max_items),
        ("properties", node.min_properties, node.max_properties),
    ):
        if lo is not None or hi is not None:
            lines.append(f"{label}: {'' if lo is None else lo}..{'' if hi is None else hi}")
    if node.preserve_unknown_fields:
        lines.append("accepts any fields (x-kubernetes-preserve-unknown-fields)")
    return lines


def explain_text(crd: CRD, node: ExplainNode, *, recursive: bool = False) -> str:
    out = [f"GROUP:      {node.group}", f"KIND:       {node.kind}", f"VERSION:    {node.version}", ""]
    if node.path:
        req = " -required-" if node.required else ""
        out += [f"FIELD: {node.name} <{node.type}>{req}", ""]
    out.append("DESCRIPTION:")
    desc = node.description.strip() or "<empty>"
    out += [textwrap.indent(textwrap.fill(p, 90), "    ") for p in desc.split("\n\n")]
    for c in constraints(node):
        out.append(f"    {c}")
    if node.fields:
        out += ["", "FIELDS:"]
        _fields(crd, node, out, depth=1, recursive=recursive)
    return "\n".join(out) + "\n"


def _fields(crd: CRD, node: ExplainNode, out: list[str], depth: int, recursive: bool) -> None:
    pad = "  " * depth
    for f in node.fields:
        req = " -required-" if f.required else ""
        out.append(f"{pad}{f.name}\t<{f.type}>{req}")
        extra = []
        if f.default is not None:
            extra.append(f"default {_json(f.default)}")
        if f.enum:
            extra.append("one of " + ", ".join(_json(v) for v in f.enum))
        if not recursive:
            if f.summary:
                out.append(f"{pad}  {f.summary}")
            if extra:
                out.append(f"{pad}  ({'; '.join(extra)})")
            out.append("")
        else:
            child = explain(crd, node.version, f"{node.path}.{f.name}" if node.path else f.name)
            if child.fields and child.path.count(".") < 12:
                _fields(crd, child, out, depth + 1, recursive)


def field_rows(crd: CRD, root: str = "spec", version: str | None = None) -> list[dict[str, Any]]:
    """Every field under ``root`` (depth first) as a row: the API table of the cookbook and the dashboard's form.

    Keys: ``field`` (dotted path), ``type``, ``required``, ``default``, ``allowed`` (enum or None),
    ``constraints`` (the other constraint lines) and ``description`` (first sentence).
    """
    rows: list[dict[str, Any]] = []

    def walk(path: str) -> None:
        node = explain(crd, version, path)
        for f in node.fields:
            child = explain(crd, version, f"{path}.{f.name}")
            rows.append(
                {
                    "field": child.path,
                    "type": child.type,
                    "required": child.required,
                    "default": child.default,
                    "allowed": list(child.enum) if child.enum else None,
                    "constraints": [c for c in constraints(child) if not c.startswith(("default:", "allowed values:"))],
                    "description": child.summary,
                }
            )
            if child.fields and child.path.count(".") < 12:
                walk(child.path)

    walk(root)
    return rows
