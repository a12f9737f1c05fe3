"""Pruning (structuralpruning.Prune) and ObjectMeta coercion."""

from __future__ import annotations

from typing import Any

from kratix_lab.schema.engine.fields import META_FIELDS, OBJECT_META_FIELDS
from kratix_lab.schema.engine.nodes import EMBEDDED, PRESERVE, Schema, _additional, _field_schema, _items, _join, _props


def prune(obj: Any, schema: Schema | None, path: str = "", *, is_resource_root: bool | None = None) -> list[str]:
    """Remove, in place, fields the schema does not specify; returns their paths in document order.

    Like ``structuralpruning.PruneWithOptions``: a resource root (``path == ""`` unless told
    otherwise) and every ``x-kubernetes-embedded-resource`` keep apiVersion/kind/metadata, whose
    metadata is instead coerced to ObjectMeta (unknown metadata fields are dropped and reported);
    ``x-kubernetes-preserve-unknown-fields`` stops pruning below a node except under declared
    properties; ``additionalProperties`` keeps every key and prunes its value with that schema.
    """
    out: list[str] = []
    root = (path == "") if is_resource_root is None else is_resource_root
    _prune(obj, schema, path, out, embedded_root=root)
    return out


def _prune(
    x: Any, s: Schema | None, path: str, out: list[str], *, embedded_root: bool = False, skip: bool = False
) -> None:
    """Drop (and record in ``out``) what ``s`` does not declare. Under ``x-kubernetes-preserve-unknown-fields``
    (``skip``, upstream's ``skipPrune``) unknown keys stay but declared ones are still pruned inside, and list
    items carry the skip on (k8s.io/apiextensions-apiserver pkg/apiserver/schema/pruning/algorithm.go ``prune``
    and ``skipPrune``)."""
    if not skip and isinstance(s, dict) and s.get(PRESERVE) is True:
        skip = True
    if isinstance(x, dict):
        if s is None:
            if not skip:
                for k in list(x):
                    out.append(_join(path, k))
                    del x[k]
            return
        embedded = embedded_root or s.get(EMBEDDED) is True
        props = _props(s)
        has_additional, additional = _additional(s)
        for k in list(x):
            if embedded and k in META_FIELDS:
                if k == "metadata" and isinstance(x[k], dict):
                    out.extend(prune_object_meta(x[k], _join(path, k)))
                continue
            if k in props:
                _prune(x[k], props[k], _join(path, k), out)
            elif has_additional:
                _prune(x[k], additional, _join(path, k), out)
            elif not skip:
                out.append(_join(path, k))
                del x[k]
    elif isinstance(x, list):
        items = _items(s)
        if skip and items is None:
            return
        for i, v in enumerate(x):
            _prune(v, items, f"{path}[{i}]", out, skip=skip)


def prune_object_meta(meta: dict[str, Any], path: str = "metadata") -> list[str]:
    """Decode ``meta`` the way it passes through metav1.ObjectMeta: unknown fields are dropped
    (and returned), and empty or null known fields vanish (ObjectMeta fields are all omitempty)."""
    pruned = []
    for k in list(meta):
        v = meta[k]
        if k not in OBJECT_META_FIELDS:
            pruned.append(_join(path, k))
            del meta[k]
        elif v is None or (v == _META_ZERO.get(k, object()) and type(v) is type(_META_ZERO[k])):
            del meta[k]
    return pruned


# The zero value of each ObjectMeta field: encoding/json omits it (every field is omitempty).
_META_ZERO: dict[str, Any] = {
    **dict.fromkeys(("name", "generateName", "namespace", "selfLink", "uid", "resourceVersion"), ""),
    "generation": 0,
    "labels": {},
    "annotations": {},
    "finalizers": [],
    "ownerReferences": [],
    "managedFields": [],
}


def prune_nulls(obj: Any, schema: Schema | None) -> Any:
    """``PruneNonNullableNullsWithoutDefaults``: drop nulls of fields that are neither nullable nor
    defaulted (a null with a default is replaced by the default later). Returns ``obj``."""
    if isinstance(obj, dict):
        for k in list(obj):
            sub = _field_schema(k, schema)
            v = obj[k]
            if v is None and sub is not None and sub.get("nullable") is not True and sub.get("default") is None:
                del obj[k]
            else:
                prune_nulls(v, sub)
    elif isinstance(obj, list):
        items = _items(schema)
        for v in obj:
            prune_nulls(v, items)
    return obj
