"""Patch bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902), strategic merge (the built-ins' merge keys)
and the merge under server-side apply (``fields.py`` decides ownership, conflicts and removals)."""

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


# Lists that merge item by item, and their merge keys: the ``patchStrategy:"merge" patchMergeKey:…`` tags of
# ``k8s.io/api/core/v1/types.go`` and ``apps/v1/types.go`` for the fields of the built-ins the lab models. Any other
# list is replaced whole, as the API server does. ``ports`` merges by ``containerPort`` in a container and by
# ``port`` in a Service.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "conditions": "type",
    "ownerReferences": "uid",
    "resourceClaims": "name",
}
MERGE_PRIMITIVES = {"finalizers"}  # ObjectMeta.Finalizers: patchStrategy:"merge" on a list of strings


def _merge_key(field: str, items: list[Any]) -> str | None:
    if field == "ports":
        return "containerPort" if any(isinstance(i, dict) and "containerPort" in i for i in items) else "port"
    return MERGE_KEYS.get(field)


def strategic_merge(target: Any, patch: Any, field: str = "") -> Any:
    """A strategic merge patch of a built-in (``k8s.io/apimachinery/pkg/util/strategicpatch/patch.go``): a merge
    patch whose keyed lists merge item by item, with the ``$patch: replace|delete`` directives, ``$patch: delete``
    items in keyed lists and ``$deleteFromPrimitiveList/<field>``; ``$setElementOrder`` and ``$retainKeys`` are
    read and ignored (the lab keeps the merged order)."""
    if isinstance(patch, list):
        if not isinstance(target, list):
            target = []
        key = _merge_key(field, [*patch, *target])
        if field in MERGE_PRIMITIVES and all(not isinstance(i, (dict, list)) for i in patch):
            return [*target, *(i for i in patch if i not in target)]
        if key is None or not all(isinstance(i, dict) for i in [*patch, *target]):
            return copy.deepcopy(patch)
        if any(i.get("$patch") == "replace" for i in patch):
            return [copy.deepcopy(i) for i in patch if i.get("$patch") != "replace"]
        out = [copy.deepcopy(i) for i in target]
        for item in patch:
            if key not in item:
                raise bad_request(f"strategic merge patch: an item of {field} has no merge key {key!r}")
            at = next((n for n, t in enumerate(out) if t.get(key) == item[key]), None)
            if item.get("$patch") == "delete":
                if at is not None:
                    del out[at]
            elif at is None:
                out.append(strategic_merge({}, item))
            else:
                out[at] = strategic_merge(out[at], item)
        return out
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    directive = patch.get("$patch")
    if directive == "delete":
        return None
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if directive not in (None, "merge"):
        raise bad_request(f"strategic merge patch: unknown $patch directive {directive!r}")
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if k.startswith("$deleteFromPrimitiveList/"):
            name = k.split("/", 1)[1]
            if isinstance(out.get(name), list) and isinstance(v, list):
                out[name] = [i for i in out[name] if i not in v]
            continue
        if k.startswith("$"):
            continue  # $patch (handled above), $setElementOrder/…, $retainKeys
        if v is None:
            out.pop(k, None)
            continue
        merged = strategic_merge(out.get(k), v, k)
        if merged is None:
            out.pop(k, None)
        else:
            out[k] = merged
    return out


def apply_patch(live: Any, applied: Any) -> Any:
    """The merge under server-side apply: the applied fields win, others stay (``fields.apply`` around it)."""
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
