"""Schema nodes and JSON typing: the ``x-kubernetes-*`` keys, a value's JSON type, and the parts of a node
(properties, items, additionalProperties) every pass walks.
"""

from __future__ import annotations

import math
from typing import Any

Schema = dict[str, Any]


PRESERVE = "x-kubernetes-preserve-unknown-fields"
EMBEDDED = "x-kubernetes-embedded-resource"
INT_OR_STRING = "x-kubernetes-int-or-string"
LIST_TYPE = "x-kubernetes-list-type"
LIST_MAP_KEYS = "x-kubernetes-list-map-keys"


def json_type(v: Any) -> str:
    """The JSON type name kube-openapi reports for a Go value decoded from JSON."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, dict):
        return "object"
    if isinstance(v, list | tuple):
        return "array"
    return "string"


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_json_integer(f: float) -> bool:
    """swag.IsFloat64AJSONInteger: integral, allowing a relative error of 1e-9."""
    if math.isnan(f) or math.isinf(f):
        return False
    if f == math.trunc(f):
        return True
    g = float(round(f))
    return abs(f - g) / min(abs(f) + abs(g), 1.7976931348623157e308) < 1e-9


def _types(s: Schema) -> list[str]:
    """Allowed JSON types of a node; int-or-string becomes ["integer", "string"] as upstream does."""
    if s.get(INT_OR_STRING) is True:
        return ["integer", "string"]
    t = s.get("type")
    if isinstance(t, str) and t:
        return [t]
    if isinstance(t, list):
        return [x for x in t if isinstance(x, str)]
    return []


def _type_ok(v: Any, types: list[str]) -> bool:
    t = json_type(v)
    if t in types:
        return True
    if t == "number" and "integer" in types and _is_json_integer(v):
        return True
    return t == "integer" and "number" in types


def _props(s: Schema | None) -> dict[str, Schema]:
    p = s.get("properties") if isinstance(s, dict) else None
    return p if isinstance(p, dict) else {}


def _items(s: Schema | None) -> Schema | None:
    i = s.get("items") if isinstance(s, dict) else None
    return i if isinstance(i, dict) else None


def _additional(s: Schema | None) -> tuple[bool, Schema | None]:
    """(additionalProperties is set, its schema). ``true`` is set but has no schema."""
    a = s.get("additionalProperties") if isinstance(s, dict) else None
    if isinstance(a, dict):
        return True, a
    return (a is True), None


def _field_schema(key: str, s: Schema | None) -> Schema | None:
    if not isinstance(s, dict):
        return None
    props = _props(s)
    if key in props:
        return props[key]
    return _additional(s)[1]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
