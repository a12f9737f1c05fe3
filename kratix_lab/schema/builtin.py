"""Built-in kinds on ``apply``: the API server's kind and ObjectMeta rules (issue 18 item 12).

- ObjectMeta: k8s.io/apimachinery/pkg/api/validation/objectmeta.go ``ValidateObjectMeta`` (name,
  namespace, labels, annotations up to ``TotalAnnotationSizeLimitB = 256 * (1 << 10)``), as
  ``engine.validate_object_meta`` models it.
- Names per kind: kubernetes pkg/apis/core/validation/validation.go — ``ValidateNamespaceName`` is
  ``NameIsDNSLabel``, ``ValidateServiceName`` is ``NameIsDNS1035Label``; ConfigMaps, Secrets,
  ServiceAccounts and the rest use ``NameIsDNSSubdomain``.
- Decoding (``decode_error``): the API server decodes a built-in object into its Go type before anything else, and a
  value of the wrong JSON type — a number in a ConfigMap's ``data`` (map[string]string), a Secret ``data`` value
  that is not base64 ([]byte) — is a 400 BadRequest worded by apiserver pkg/endpoints/handlers/rest.go:245-256
  ``transformDecodeError`` (``<Kind> in version "<v>" cannot be handled as a <Kind>: <error>``) around
  sigs.k8s.io/json's ``UnmarshalTypeError`` (``json: cannot unmarshal number into Go struct field ConfigMap.data of
  type string``) or Go's base64 ``CorruptInputError`` (``illegal base64 data at input byte N``). Modelled for the
  kinds the platform's pipelines write by hand: ConfigMap and Secret.
- Kind: a resource's kind is a DNS-1035 label once lower-cased
  (apiextensions-apiserver validation.go ``ValidateCustomResourceDefinitionNames``), so a kind like
  ``Foo\\nBar`` matches no resource: the server answers ``no matches for kind``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kratix_lab.schema.engine import (
    go_quote,
    is_dns1035_label,
    is_dns1123_label,
    name_is_dns_subdomain,
    validate_object_meta,
)

_DNS1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")  # a kind, lower-cased


def _dns1035_label(name: str, prefix: bool) -> list[str]:
    """apimachinery ``IsDNS1035Label`` (NameIsDNS1035Label)."""
    return is_dns1035_label(name)


def _dns_label(name: str, prefix: bool) -> list[str]:
    return is_dns1123_label(name)


_NAME_RULES: dict[str, Callable[[str, bool], list[str]]] = {"Namespace": _dns_label, "Service": _dns1035_label}

# Go types of the decoded fields (k8s.io/api/core/v1/types.go ConfigMap, Secret): a map's element type, or a scalar's
_MAPS = {
    ("ConfigMap", "data"): "string",
    ("ConfigMap", "binaryData"): "[]uint8",
    ("Secret", "data"): "[]uint8",
    ("Secret", "stringData"): "string",
}
_SCALARS = {("ConfigMap", "immutable"): "bool", ("Secret", "immutable"): "bool", ("Secret", "type"): "v1.SecretType"}
_BASE64 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def _json_kind(v: Any) -> str:
    """The JSON value's kind as Go's decoder names it in an UnmarshalTypeError."""
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    return "array" if isinstance(v, list) else "object"


def base64_error_offset(text: str) -> int | None:
    """Where Go's ``base64.StdEncoding.Decode`` stops with ``CorruptInputError`` (a byte offset), or None when
    ``text`` decodes: encoding/base64/base64.go ``decodeQuantum`` (padding ``=``, ``\\r``/``\\n`` skipped, data
    after the padding refused); ``Decode``'s fast paths take only whole valid quanta, so the offset is
    decodeQuantum's."""
    src, si = text.encode(), 0
    while si < len(src):
        j = 0
        while j < 4:
            if si == len(src):
                if j == 0:
                    return None
                return si - j  # a quantum cut short (padding is required)
            c = src[si]
            si += 1
            if c in _BASE64:
                j += 1
                continue
            if c in b"\r\n":
                continue
            if c != ord("=") or j < 2:  # not the alphabet, or padding too early
                return si - 1
            if j == 2:  # "==" expected: the first "=" consumed
                while si < len(src) and src[si] in b"\r\n":
                    si += 1
                if si == len(src):
                    return len(src)
                if src[si] != ord("="):
                    return si - 1
                si += 1
            while si < len(src) and src[si] in b"\r\n":
                si += 1
            return si if si < len(src) else None  # data after the padding
    return None


def decode_error(obj: dict[str, Any]) -> str | None:
    """The API server's refusal to decode a built-in object whose field has the wrong JSON type (see the module
    docstring), or None."""
    kind = obj.get("kind")
    version = str(obj.get("apiVersion", "")).rpartition("/")[2]

    def refused(err: str) -> str:
        return f'{kind} in version "{version}" cannot be handled as a {kind}: {err}'

    def type_error(json_kind: str, field: str, go_type: str) -> str:
        return refused(f"json: cannot unmarshal {json_kind} into Go struct field {kind}.{field} of type {go_type}")

    # Go's decoder keeps going after a type error and reports the first one met, in the document's order
    for field, value in obj.items():
        if value is None:
            continue
        elem = _MAPS.get((kind, field))
        if elem is not None:
            if not isinstance(value, dict):
                return type_error(_json_kind(value), field, f"map[string]{elem}")
            for v in value.values():
                if v is None:
                    continue
                if not isinstance(v, str):
                    return type_error(_json_kind(v), field, elem)
                if elem == "[]uint8" and (at := base64_error_offset(v)) is not None:
                    return refused(f"illegal base64 data at input byte {at}")
        go_type = _SCALARS.get((kind, field))
        if go_type is not None and not isinstance(value, bool if go_type == "bool" else str):
            return type_error(_json_kind(value), field, go_type)
    return None


def builtin_errors(obj: dict[str, Any], *, namespaced: bool) -> str | None:
    """The API server's refusal of a built-in object, or None when it would accept it."""
    kind, api_version = obj.get("kind"), obj.get("apiVersion")
    if not isinstance(kind, str) or len(kind) > 63 or not _DNS1035.fullmatch(kind.lower()):
        return f"no matches for kind {go_quote(str(kind)[:100])} in version {go_quote(str(api_version)[:100])}"
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return f"{kind}: metadata: Invalid value: must be an object"
    errs = validate_object_meta(meta, name_fn=_NAME_RULES.get(kind, name_is_dns_subdomain), namespaced=namespaced)
    if not errs:
        return None
    name = meta.get("name")
    shown = go_quote(name[:253] + ("..." if len(name) > 253 else "")) if isinstance(name, str) else '""'
    return f"The {kind} {shown} is invalid: " + "; ".join(str(e) for e in errs)
