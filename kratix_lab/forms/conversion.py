"""Values → request and back: each entered value converted as the request holds it (``convert``), the
request built from the form (``build_request``), and a request's values for the form."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kratix_lab.forms.model import (
    _METADATA_FIELDS,
    BOOLEAN,
    ENUM,
    INT_OR_STR,
    INTEGER,
    LIST,
    MAP,
    NUMBER,
    STRING,
    YAML,
    FormError,
    FormField,
    FormModel,
    format_value,
)
from kratix_lab.model import YamlError, clone, load_documents
from kratix_lab.model.yamlio import MAX_REQUEST_BYTES, request_too_large
from kratix_lab.render import DEFAULT_NAMESPACE
from kratix_lab.schema.engine import to_json_like

_INT_RE = re.compile(r"[+-]?[0-9]+")


# ------------------------------------------------------------------------------------------------
# Values → request
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the form: the field (or section, or "" for the whole form) it belongs to
    and the message, which starts with the path it is about."""

    field: str
    message: str

    def __str__(self) -> str:
        return self.message


class _Unset:
    pass


UNSET: Any = _Unset()


def is_empty(value: Any) -> bool:
    return value is None or value is UNSET or (isinstance(value, str) and not value.strip())


def convert(f: FormField, value: Any) -> Any:
    """One entered value as the request holds it; UNSET when empty; ValueError naming the field."""
    if is_empty(value):
        return UNSET
    if f.kind == YAML:
        return _convert_yaml(f, value)
    if f.kind == MAP:
        return _convert_map(f, value)
    if f.kind == LIST:
        return _convert_list(f, value)
    return _scalar(f.value_kind if f.kind == ENUM else f.kind, value, f.path)


def _scalar(kind: str | None, value: Any, where: str) -> Any:
    raw = value.strip() if isinstance(value, str) else value
    if kind == INTEGER:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and _INT_RE.fullmatch(raw):
            return int(raw)
        raise ValueError(f"{where}: must be an integer, got {_shown(value)}")
    if kind == NUMBER:
        if isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw):
            return raw
        if isinstance(raw, str):
            if _INT_RE.fullmatch(raw):
                return int(raw)
            try:
                number = float(raw)
            except ValueError:
                number = math.nan
            if math.isfinite(number) and not raw.lower().startswith(("+inf", "-inf", "inf", "nan")):
                return number
        raise ValueError(f"{where}: must be a number, got {_shown(value)}")
    if kind == BOOLEAN:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise ValueError(f"{where}: must be true or false, got {_shown(value)}")
    if kind == INT_OR_STR:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and _INT_RE.fullmatch(raw):
            return int(raw)
        if isinstance(value, str):
            return value
        raise ValueError(f"{where}: must be an integer or a string, got {_shown(value)}")
    # strings stay exactly as entered (byte for byte); only an all-blank entry means "not set"
    if isinstance(value, str):
        return value
    raise ValueError(f"{where}: must be text, got {_shown(value)}")


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) else f"{value!r} ({type(value).__name__})"


def _entries(text: str) -> list[str]:
    return [e.strip() for e in re.split(r"[,\n]", text) if e.strip()]


def _convert_map(f: FormField, value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _scalar(f.value_kind, v, f"{f.path}.{k}") for k, v in value.items()}
    if not isinstance(value, str):
        raise ValueError(f"{f.path}: must be key=value entries, got {_shown(value)}")
    out: dict[str, Any] = {}
    for entry in _entries(value):
        key, eq, val = entry.partition("=")
        key, val = key.strip(), val.strip()
        if not eq:
            raise ValueError(f"{f.path}: {entry!r} is not key=value (separate entries with commas)")
        if not key:
            raise ValueError(f"{f.path}: {entry!r} has an empty key")
        if key in out:
            raise ValueError(f"{f.path}: key {key!r} is given twice")
        out[key] = val if f.value_kind == STRING else _scalar(f.value_kind, val, f"{f.path}.{key}")
    return out if out else UNSET


def _convert_list(f: FormField, value: Any) -> Any:
    if isinstance(value, list | tuple):
        items = list(value)
    elif isinstance(value, str):
        items = _entries(value)
    else:
        raise ValueError(f"{f.path}: must be a comma-separated list, got {_shown(value)}")
    return [_scalar(f.value_kind, v, f"{f.path}[{i}]") for i, v in enumerate(items)] or UNSET


def _convert_yaml(f: FormField, value: Any) -> Any:
    if not isinstance(value, str):
        return clone(value)
    try:
        docs = load_documents(value, f.path)  # the one YAML loader: errors say <field>:<line>:<column>
    except YamlError as e:
        raise ValueError(str(e)) from None
    if not docs:
        return UNSET  # only comments or blank lines: not set
    if len(docs) > 1:
        lines = ", ".join(str(d.line) for d in docs)
        raise ValueError(f"{f.path}: {len(docs)} YAML documents (starting at lines {lines}); expected one")
    data = to_json_like(docs[0].data)  # as the API server holds it: timestamps as text, keys as strings
    _check_json(data, f.path)
    want_list = f.type.startswith("[]")
    if want_list and not isinstance(data, list):
        raise ValueError(f"{f.path}:{docs[0].line}: must be a YAML list (- item lines), got {_yaml_type(data)}")
    if not want_list and f.type != "" and not isinstance(data, dict):
        raise ValueError(f"{f.path}:{docs[0].line}: must be a YAML mapping (key: value lines), got {_yaml_type(data)}")
    return data


def _check_json(data: Any, where: str) -> None:
    """Refuse what JSON (and so a Kubernetes object) cannot hold, naming where it is."""
    if isinstance(data, dict):
        for k, v in data.items():
            _check_json(v, f"{where}.{k}")
    elif isinstance(data, list):
        for i, v in enumerate(data):
            _check_json(v, f"{where}[{i}]")
    elif isinstance(data, float) and not math.isfinite(data):
        raise ValueError(f"{where}: {data} is not a JSON number (a Kubernetes object cannot hold it)")
    elif not isinstance(data, str | int | float | bool | type(None)):
        raise ValueError(
            f"{where}: a YAML {type(data).__name__} value is not JSON (a Kubernetes object cannot hold it)"
        )


def _yaml_type(data: Any) -> str:
    if isinstance(data, dict):
        return "a mapping"
    if isinstance(data, list):
        return "a list"
    return f"the {type(data).__name__} {data!r}"


@dataclass
class Built:
    """A request built from entered values, with the conversion problems (fields left out)."""

    request: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)


def build_request(model: FormModel, values: Mapping[str, Any]) -> Built:
    """The request object for ``values`` (field path → entered value; missing or empty = not set).

    ``metadata.name`` left empty takes ``spec.name``; ``metadata.namespace`` left empty is
    ``platform-requests`` (where the platform's Argo CD app syncs requests to).
    """
    fields = {f.path: f for f in model.fields()}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise FormError(f"no field {unknown[0]!r} in the {model.kind} form (fields: {', '.join(fields)})")
    obj: dict[str, Any] = {"apiVersion": model.api_version, "kind": model.kind, "metadata": {}}
    problems = []
    sizes = {p: len(v) for p, v in values.items() if isinstance(v, str)}
    if sum(sizes.values()) > MAX_REQUEST_BYTES:  # the API server's body limit, refused before any parsing
        return Built(obj, [Problem(max(sizes, key=sizes.__getitem__), request_too_large())])
    for path, f in fields.items():
        try:
            v = convert(f, values.get(path))
        except ValueError as e:
            problems.append(Problem(path, str(e)))
            continue
        if v is not UNSET:
            _set(obj, f.keys, v)
    for section in model.all_sections():  # a required object left empty: its own required fields say what is missing
        parent = _get(obj, section.keys[:-1])
        if section.required and isinstance(parent, dict) and section.name not in parent:
            parent[section.name] = {}
    meta = obj["metadata"]
    spec_name = (obj.get("spec") or {}).get("name") if isinstance(obj.get("spec"), dict) else None
    if "name" not in meta and isinstance(spec_name, str) and "metadata.name" not in {p.field for p in problems}:
        meta["name"] = spec_name
    if model.crd.namespaced and "namespace" not in meta:
        meta["namespace"] = DEFAULT_NAMESPACE
    obj["metadata"] = {k: meta[k] for k in _METADATA_FIELDS if k in meta}  # the usual order
    return Built(obj, problems)


def _get(obj: Any, keys: tuple[str, ...]) -> Any:
    for k in keys:
        obj = obj.get(k) if isinstance(obj, dict) else None
    return obj


def _set(obj: dict[str, Any], keys: tuple[str, ...], value: Any) -> None:
    for k in keys[:-1]:
        obj = obj.setdefault(k, {})
    obj[keys[-1]] = value


def values_from_request(model: FormModel, obj: Mapping[str, Any]) -> dict[str, str]:
    """What the form's inputs hold for an existing request (the inverse of ``build_request``)."""
    out: dict[str, str] = {}
    for f in model.fields():
        node: Any = obj
        for k in f.keys:
            node = node.get(k, UNSET) if isinstance(node, Mapping) else UNSET
        if node is not UNSET and node is not None:
            out[f.path] = format_value(f, node)
    return out
