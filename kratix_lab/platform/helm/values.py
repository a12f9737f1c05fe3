"""Values: Helm's coalescing (user values over chart defaults) and Go-template truthiness."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kratix_lab.model import clone
from kratix_lab.platform.helm.source import ChartError


def _coalesce(defaults: Mapping[str, Any], user: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's merge of user values over chart defaults: maps merge, lists and scalars replace, null deletes."""
    out = {k: v for k, v in defaults.items()}
    for k, v in user.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = _coalesce(out[k], v)
        else:
            out[k] = v
    return out


def _get(values: Mapping[str, Any], dotted: str, default: Any = None) -> Any:
    node: Any = values
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return default
        node = node[part]
    return node


def _on(value: Any) -> bool:
    """Go-template truthiness (`{{ if x }}`): false, 0, "", nil and empty collections are false."""
    return bool(value)


def _str_bool(value: Any) -> str:
    """`toString` of a StrBool value ("true" | "false" | "auto")."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _int(values: Mapping[str, Any], dotted: str) -> int:
    value = _get(values, dotted)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ChartError(f"{dotted}: expected an integer, got {value!r}", [f"{dotted}: {value!r} is not an integer"])
    return value


def _map(values: Mapping[str, Any], dotted: str) -> dict[str, Any]:
    value = _get(values, dotted)
    return clone(value) if isinstance(value, dict) else {}


def _list(values: Mapping[str, Any], dotted: str) -> list[Any]:
    value = _get(values, dotted)
    return clone(value) if isinstance(value, list) else []


def _keys_sorted(data: Any) -> Any:
    """Maps with sorted keys, as Helm's `toYaml` writes them."""
    if isinstance(data, dict):
        return {k: _keys_sorted(data[k]) for k in sorted(data, key=str)}
    if isinstance(data, list):
        return [_keys_sorted(v) for v in data]
    return data
