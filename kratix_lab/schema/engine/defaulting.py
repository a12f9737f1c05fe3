"""Defaulting (structuraldefaulting.Default)."""

from __future__ import annotations

import copy
from typing import Any

from kratix_lab.schema.engine.nodes import Schema, _additional, _items, _props


def default(obj: Any, schema: Schema | None) -> Any:
    """Apply ``default`` values in place and return ``obj``.

    A property's default is set when the property is absent (or null but not nullable) and its
    parent object is present; the walk then continues into every present child, including the
    defaults just set, so an object default is itself defaulted. Absent parents are not created.
    """
    if not isinstance(schema, dict):
        return obj
    if isinstance(obj, dict):
        props = _props(schema)
        for k, p in props.items():
            d = p.get("default")
            if d is None:
                continue
            if k not in obj or (obj[k] is None and p.get("nullable") is not True):
                obj[k] = copy.deepcopy(d)
        has_additional, additional = _additional(schema)
        for k in list(obj):
            if k in props:
                default(obj[k], props[k])
            elif has_additional:
                if obj[k] is None and additional is not None and additional.get("nullable") is not True:
                    obj[k] = copy.deepcopy(additional.get("default"))
                default(obj[k], additional)
    elif isinstance(obj, list):
        items = _items(schema)
        for i in range(len(obj)):
            if obj[i] is None and items is not None and items.get("nullable") is not True:
                obj[i] = copy.deepcopy(items.get("default"))
            default(obj[i], items)
    return obj
