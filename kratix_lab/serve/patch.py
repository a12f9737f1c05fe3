"""Patch bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902), strategic merge (as a merge patch whose
lists of named items merge by ``name``) and server-side apply (last applier wins, no field-manager conflicts)."""

from __future__ import annotations

import copy
from typing import Any

from kratix_lab.serve.status import ApiError, bad_request


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def strategic_merge(target: Any, patch: Any) -> Any:
    """Merge patch, except lists whose items all have a ``name`` merge item by item (containers, ports, env)."""
    if isinstance(patch, list) and isinstance(target, list):
        if all(isinstance(i, dict) and "name" in i for i in [*patch, *target]):
            out = [copy.deepcopy(i) for i in target]
            for item in patch:
                at = next((n for n, t in enumerate(out) if t["name"] == item["name"]), None)
                if at is None:
                    out.append(copy.deepcopy(item))
                else:
                    out[at] = strategic_merge(out[at], item)
            return out
        return copy.deepcopy(patch)
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if k.startswith("$"):
            continue  # $patch / $setElementOrder directives: the lab keeps the merge result
        if v is None:
            out.pop(k, None)
        else:
            out[k] = strategic_merge(out.get(k), v)
    return out


def apply_patch(live: Any, applied: Any) -> Any:
    """Server-side apply with one field manager's intent: the applied fields win, others stay."""
    if isinstance(live, dict) and isinstance(applied, dict):
        out = dict(live)
        for k, v in applied.items():
            out[k] = apply_patch(out.get(k), v)
        return out
    return copy.deepcopy(applied)


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f"json patch: path {path!r} must start with /")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc: Any, parts: list[str], path: str) -> Any:
    for p in parts:
        if isinstance(doc, dict) and p in doc:
            doc = doc[p]
        elif isinstance(doc, list) and p.isdigit() and int(p) < len(doc):
            doc = doc[int(p)]
        else:
            raise ApiError(422, "Invalid", f"json patch: path {path!r} not found")
    return doc


def json_patch(doc: Any, ops: Any) -> Any:
    if not isinstance(ops, list):
        raise bad_request("json patch: the body must be a JSON array of operations")
    doc = copy.deepcopy(doc)
    for n, op in enumerate(ops):
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise bad_request(f"json patch: operation {n} needs 'op' and 'path'")
        kind, path = op["op"], op["path"]
        parts = _pointer(path)
        if kind in ("add", "replace", "test") and "value" not in op:
            raise bad_request(f"json patch: operation {n} ({kind}) needs 'value'")
        if kind == "test":
            if _walk(doc, parts, path) != op["value"]:
                raise ApiError(422, "Invalid", f"json patch: test of {path!r} failed")
            continue
        value = None
        if kind in ("move", "copy"):
            src = _pointer(op.get("from", ""))
            value = copy.deepcopy(_walk(doc, src, op.get("from", "")))
            if kind == "move":
                doc = json_patch(doc, [{"op": "remove", "path": op["from"]}])
            kind = "add"
        elif kind in ("add", "replace"):
            value = op["value"]
        elif kind != "remove":
            raise bad_request(f"json patch: unknown op {kind!r}")
        if not parts:
            doc = value
            continue
        parent = _walk(doc, parts[:-1], path)
        last = parts[-1]
        if isinstance(parent, dict):
            if kind in ("replace", "remove") and last not in parent:
                raise ApiError(422, "Invalid", f"json patch: path {path!r} not found")
            if kind == "remove":
                del parent[last]
            else:
                parent[last] = value
        elif isinstance(parent, list):
            if last == "-" and kind == "add":
                parent.append(value)
                continue
            if not last.isdigit() or int(last) > len(parent) - (0 if kind == "add" else 1):
                raise ApiError(422, "Invalid", f"json patch: index {last!r} out of range at {path!r}")
            i = int(last)
            if kind == "add":
                parent.insert(i, value)
            elif kind == "replace":
                parent[i] = value
            else:
                del parent[i]
        else:
            raise ApiError(422, "Invalid", f"json patch: path {path!r} not found")
    return doc
