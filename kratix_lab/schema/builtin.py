"""Built-in kinds on ``apply``: the API server's kind and ObjectMeta rules (issue 18 item 12).

- ObjectMeta: k8s.io/apimachinery/pkg/api/validation/objectmeta.go ``ValidateObjectMeta`` (name,
  namespace, labels, annotations up to ``TotalAnnotationSizeLimitB = 256 * (1 << 10)``), as
  ``engine.validate_object_meta`` models it.
- Names per kind: kubernetes pkg/apis/core/validation/validation.go — ``ValidateNamespaceName`` is
  ``NameIsDNSLabel``, ``ValidateServiceName`` is ``NameIsDNS1035Label``; ConfigMaps, Secrets,
  ServiceAccounts and the rest use ``NameIsDNSSubdomain``.
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
