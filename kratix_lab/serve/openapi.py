"""OpenAPI v3 documents from the kinds' schemas, so ``kubectl explain``/``apply``/``diff`` work (live.md §5.2).

kubectl finds a kind's schema through ``paths`` whose operations carry ``x-kubernetes-group-version-kind``
(``kubectl@v0.32:pkg/explain/v2/templates/plaintext.tmpl``) and turns on server-side field validation
only when the ``patch`` operation lists a ``fieldValidation`` parameter
(``cli-runtime@v0.32:pkg/resource/query_param_verifier_v3.go``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from kratix_lab.kube.registry import KindInfo, KindRegistry

_OBJECT_META = {
    "type": "object",
    "description": "Standard object's metadata.",
    "x-kubernetes-preserve-unknown-fields": True,
}


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _schema_name(k: KindInfo) -> str:
    rev = ".".join(reversed(k.group.split("."))) if k.group else "io.k8s.api.core"
    return f"{rev}.{k.version}.{k.kind}"


def _schema(k: KindInfo) -> dict[str, Any]:
    base = (
        json.loads(json.dumps(k.schema))
        if k.schema
        else {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    )
    props = base.setdefault("properties", {})
    props.setdefault("apiVersion", {"type": "string", "description": "APIVersion defines the versioned schema."})
    props.setdefault("kind", {"type": "string", "description": "Kind is a string value for the REST resource."})
    props["metadata"] = _OBJECT_META
    base["x-kubernetes-group-version-kind"] = [{"group": k.group, "version": k.version, "kind": k.kind}]
    return base


def document(reg: KindRegistry, group: str, version: str) -> dict[str, Any] | None:
    kinds = [k for k in reg.for_api(group, version) if k.version == version]
    if not kinds:
        return None
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for k in kinds:
        name = _schema_name(k)
        schemas[name] = _schema(k)
        gvk = {"group": k.group, "version": k.version, "kind": k.kind}
        ref = {"$ref": f"#/components/schemas/{name}"}
        ok = {"200": {"description": "OK", "content": {"application/json": {"schema": ref}}}}
        prefix = "/" + _gv_path(group, version) + ("/namespaces/{namespace}" if k.namespaced else "")
        params = [{"name": "fieldValidation", "in": "query", "schema": {"type": "string"}, "uniqueItems": True}]
        paths[f"{prefix}/{k.plural}/{{name}}"] = {
            "get": {"x-kubernetes-group-version-kind": gvk, "responses": ok},
            "put": {"x-kubernetes-group-version-kind": gvk, "parameters": params, "responses": ok},
            "patch": {"x-kubernetes-group-version-kind": gvk, "parameters": params, "responses": ok},
        }
        paths[f"{prefix}/{k.plural}"] = {
            "post": {"x-kubernetes-group-version-kind": gvk, "parameters": params, "responses": ok},
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": "kratix-lab", "version": "v1.32.0+kratix-lab"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def index(reg: KindRegistry) -> dict[str, Any]:
    paths = {}
    for g in reg.groups():
        for v in dict.fromkeys(k.version for k in reg.for_api(g)):
            doc = document(reg, g, v)
            digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16].upper()
            rel = _gv_path(g, v)
            paths[rel] = {"serverRelativeURL": f"/openapi/v3/{rel}?hash={digest}"}
    return {"paths": paths}


# An OpenAPI v2 document with no paths and no definitions. kubectl reads v2 only where v3 has no answer: for
# a kind the server does not serve (``kubectl apply -f`` a typo'd kind), ``cli-runtime@v0.32:pkg/resource/
# query_param_verifier_v3.go`` (HasSupport: ParamUnsupportedError) makes ``kubectl@v0.32:pkg/validation/
# schema.go`` validate on the client from v2, where a kind v2 does not describe is skipped
# (``kubectl@v0.32:pkg/util/openapi/validation/validation.go``, validateResource: "resource is not present,
# let's just skip validation") and kubectl goes on to say 'no matches for kind'. Without any v2 that apply
# failed with "failed to download openapi". kubectl asks for protobuf (client-go ``discovery_client.go``,
# OpenAPISchema: ``application/com.github.proto-openapi.spec.v2@v1.0+protobuf``): gnostic's
# ``openapi_v2.Document`` with only field 1, ``swagger: "2.0"``, answered as ``kube-openapi``'s
# ``pkg/handler/handler.go`` does, with ``.v1.0`` for ``@v1.0`` (Go's mime parser refuses the ``@``).
_V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
_V2_DOCUMENT = b"\x0a\x032.0"


def empty_v2(accept: str) -> tuple[bytes, str]:
    """The body and content type of ``/openapi/v2``: protobuf when asked for, else JSON."""
    if "protobuf" in accept:
        return _V2_DOCUMENT, _V2_PROTOBUF
    doc = {"swagger": "2.0", "info": {"title": "kratix-lab", "version": "v2 (empty: see /openapi/v3)"}, "paths": {}}
    return json.dumps(doc).encode(), "application/json"
