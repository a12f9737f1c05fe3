"""What every catalogue pipeline shares: required labels, safe serialisation, useful status.

Objects are built as Python data and serialised with the one YAML dumper, so a value from a
request (newlines, quotes, ``: ``, ``$(…)``, unicode) can never change a document's structure.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import kratix_sdk as ks

from kratix_lab.errors import Invalid
from kratix_lab.model import dump, load_one
from kratix_lab.model.objects import CLUSTER_SCOPED_KINDS

MANAGED_BY = ("app.kubernetes.io/managed-by", "kratix")
PROMISE_LABEL = "kratix.io/promise-name"
RESOURCE_LABEL = "kratix.io/resource-name"
REQUEST_GROUP = "platform.integratn.tech"  # the catalogue Promises' API group: objects in it are Kratix requests
PARENT_PROMISE_LABEL = "integratn.tech/parent-promise"
PARENT_RESOURCE_LABEL = "integratn.tech/parent-resource"
REQUESTS_NAMESPACE = "platform-requests"


class PipelineInputError(Invalid):
    """The request cannot be rendered; the message names the field."""


def required_labels(sdk: ks.KratixSDK, resource: ks.Resource) -> dict[str, str]:
    return {
        PROMISE_LABEL: sdk.promise_name(),
        RESOURCE_LABEL: resource.get_name(),
        MANAGED_BY[0]: MANAGED_BY[1],
    }


def sub_request_labels(sdk: ks.KratixSDK, resource: ks.Resource) -> dict[str, str]:
    """The labels a pipeline puts on a request it renders (a sub-request of another Promise).

    Kratix owns ``kratix.io/promise-name`` on every request: it sets it to the request's own Promise
    on first reconcile (syntasso/kratix internal/controller/dynamic_resource_request_controller.go:159-165,
    1783-1791). A pipeline that writes the parent Promise's name there makes Argo CD (self-heal) and Kratix
    overwrite each other for ever, so the parent is recorded under keys Kratix does not own."""
    return {
        PARENT_PROMISE_LABEL: sdk.promise_name(),
        PARENT_RESOURCE_LABEL: resource.get_name(),
        MANAGED_BY[0]: MANAGED_BY[1],
    }


def is_request(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is a request of one of the catalogue's Promises (its apiVersion's group)."""
    return str(obj.get("apiVersion", "")).split("/", 1)[0] == REQUEST_GROUP


def read_input(sdk: ks.KratixSDK) -> ks.Resource:
    """The request as the SDK's ``Resource``, parsed with the one (libyaml-backed) loader.

    Same file and type as ``sdk.read_resource_input()``, which parses with PyYAML's pure-Python
    loader and so costs most of a pipeline's run time in the lab.
    """
    path = ks.get_input_dir() / "object.yaml"
    return ks.Resource(load_one(path.read_text(encoding="utf-8"), "/kratix/input/object.yaml") or {})


def spec_of(resource: ks.Resource) -> dict[str, Any]:
    spec = resource.get_value("spec", default={})
    if not isinstance(spec, dict):
        raise PipelineInputError("spec: expected an object")
    return spec


def need(spec: Mapping[str, Any], field: str, path: str = "spec") -> Any:
    """A required value, failing the pipeline with the field's path (defence behind the schema)."""
    value = spec.get(field)
    if value in (None, ""):
        raise PipelineInputError(f"{path}.{field}: Required value")
    return value


def deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` merged into a copy of ``base``: maps merge recursively, anything else replaces."""
    out = copy.deepcopy(base)
    for k, v in override.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


class Outputs:
    """Collects a pipeline's objects, enforces the platform's output rules, writes them."""

    def __init__(self, sdk: ks.KratixSDK, resource: ks.Resource):
        self.sdk = sdk
        self.labels = required_labels(sdk, resource)
        self.request_labels = sub_request_labels(sdk, resource)
        self.objects: list[dict[str, Any]] = []

    def add(self, obj: dict[str, Any]) -> dict[str, Any]:
        kind = obj.get("kind")
        meta = obj.setdefault("metadata", {})
        if kind == "Secret":
            raise PipelineInputError(
                f"refusing to output Secret/{meta.get('name')}: pipelines never output kind: Secret "
                "(use an ExternalSecret)"
            )
        if kind not in CLUSTER_SCOPED_KINDS and not meta.get("namespace"):
            raise PipelineInputError(f"{kind}/{meta.get('name')}: namespaced objects need an explicit namespace")
        meta["labels"] = {**(meta.get("labels") or {}), **(self.request_labels if is_request(obj) else self.labels)}
        self.objects.append(obj)
        return obj

    def write(self) -> list[str]:
        names = []
        for obj in self.objects:
            meta = obj["metadata"]
            filename = f"{obj['kind'].lower()}-{meta['name']}.yaml"
            if filename in names:
                filename = f"{obj['kind'].lower()}-{meta.get('namespace', '')}-{meta['name']}.yaml"
            self.sdk.write_output(filename, dump(obj).encode("utf-8"))
            names.append(filename)
            print(f"wrote {filename}: {obj['kind']}/{meta['name']}")
        return names


def refs(objects: list[dict[str, Any]]) -> list[str]:
    return [f"{o['kind']}/{o['metadata']['name']}" for o in objects]


def write_status(sdk: ks.KratixSDK, message: str, **fields: Any) -> None:
    """The pipeline's ``status.yaml``: the file and data ``sdk.write_status()`` writes, keys sorted
    as its ``yaml.safe_dump`` sorts them, but through the one (libyaml-backed) dumper: the SDK's
    pure-Python emitter costs more than the rest of a small pipeline in the lab."""
    status = ks.Status()
    status.set("message", message)
    for k, v in fields.items():
        status.set(k, v)
    path = ks.get_metadata_dir() / "status.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump(_keys_sorted(status.to_dict())), encoding="utf-8")


def _keys_sorted(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _keys_sorted(data[k]) for k in sorted(data)}
    if isinstance(data, list):
        return [_keys_sorted(v) for v in data]
    return data


def delete_pipeline(sdk: ks.KratixSDK, what: str) -> None:
    """The common delete pipeline: nothing imperative to undo; Kratix deletes the Works."""
    resource = read_input(sdk)
    print(f"delete {sdk.promise_name()}/{resource.get_name()}: {what}")
    write_status(sdk, f"Deleted: {what}")
