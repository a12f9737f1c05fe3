"""CustomResourceDefinitions as data: load one (or a Promise's ``spec.api``) and admit objects.

``CRD.admit`` is the create path of the API server for a custom resource: type meta, decoding
(prune unknown fields, drop non-nullable nulls, coerce metadata), defaulting, the strategy's
PrepareForCreate (status dropped under a status subresource, namespace dropped for cluster scope)
and validation (metadata, schema, embedded resources, list sets and maps), in that order.

Loading is tolerant where Kratix is (a Promise's ``spec.api`` may omit the apiVersion/kind
wrapper) and strict where the API server would refuse the CRD; problems that a real server would
only warn about, or that make the CRD non-structural, are kept in ``CRD.warnings``. The loader
itself is ``crd_loader``; ``explain`` (``kubectl explain`` as data) is its own module.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from kratix_lab.errors import Invalid
from kratix_lab.schema.engine import (
    INVALID,
    PRESERVE,
    REQUIRED,
    FieldError,
    Schema,
    default,
    go_quote,
    object_meta_type_errors,
    prune,
    prune_nulls,
    render_value,
    to_json_like,
    validate,
    validate_object_meta,
)

CRD_API_VERSION = "apiextensions.k8s.io/v1"
PROMISE_API_VERSION = "platform.kratix.io/v1alpha1"


# The status Kratix puts on every version of a Promise's CRD (setStatusFieldsOnCRD).
_KRATIX_STATUS_SCHEMA: Schema = {
    "type": "object",
    PRESERVE: True,
    "properties": {
        "message": {"type": "string"},
        "observedGeneration": {"type": "integer", "format": "int64"},
        "workflows": {"type": "integer", "format": "int64"},
        "workflowsSucceeded": {"type": "integer", "format": "int64"},
        "workflowsFailed": {"type": "integer", "format": "int64"},
        "conditions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "lastTransitionTime": {"type": "string", "format": "datetime"},
                    "message": {"type": "string"},
                    "reason": {"type": "string"},
                    "status": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
        "kratix": {
            "type": "object",
            "properties": {
                "workflows": {
                    "type": "object",
                    "properties": {
                        "lastSuccessfulConfigureWorkflowTime": {"type": "string"},
                        "pipelines": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "name": {"type": "string"},
                                    "phase": {"type": "string"},
                                    "message": {"type": "string"},
                                    "lastTransitionTime": {"type": "string", "format": "datetime"},
                                },
                            },
                        },
                        "suspendedGeneration": {"type": "integer", "format": "int64"},
                    },
                },
            },
        },
    },
}


class CRDError(Invalid):
    """A CRD (or a Promise's ``spec.api``) that cannot be used; names the source and the field."""

    def __init__(self, source: str, field_path: str, problem: str) -> None:
        self.source = source
        self.field = field_path
        self.problem = problem
        super().__init__(f"{source}: {field_path}: {problem}" if field_path else f"{source}: {problem}")


@dataclass(frozen=True)
class CRDVersion:
    """One entry of ``spec.versions``."""

    name: str
    served: bool
    storage: bool
    schema: Schema
    status_subresource: bool = False
    deprecated: bool = False
    deprecation_warning: str | None = None


@dataclass
class Admission:
    """The outcome of creating a custom resource: what would be stored, what was dropped, errors."""

    object: dict[str, Any]
    pruned: list[str] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    group_kind: str = ""
    version: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def warnings(self) -> list[str]:
        """The warnings the API server returns for pruned fields (kubectl prints them)."""
        return [f"unknown field {go_quote(p)}" for p in self.pruned]

    @property
    def message(self) -> str:
        """The whole rejection as the API server words it; empty when admitted.

        ``<kind>.<group> "<name>" is invalid: <error>`` with several errors as ``[e1, e2]``
        (``field.ErrorList.ToAggregate`` drops duplicate messages).
        """
        if not self.errors:
            return ""
        texts = list(dict.fromkeys(str(e) for e in self.errors))
        agg = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
        meta = self.object.get("metadata")
        name = meta.get("name") if isinstance(meta, dict) else None
        return f"{self.group_kind} {go_quote(name if isinstance(name, str) else '')} is invalid: {agg}"


class CRD:
    """A CustomResourceDefinition (apiextensions.k8s.io/v1) as data."""

    def __init__(
        self,
        *,
        source: str,
        name: str,
        group: str,
        kind: str,
        plural: str,
        singular: str,
        scope: str,
        list_kind: str,
        short_names: list[str],
        categories: list[str],
        versions: list[CRDVersion],
        warnings: list[str],
    ) -> None:
        self.source = source
        self.name = name
        self.group = group
        self.kind = kind
        self.plural = plural
        self.singular = singular
        self.scope = scope
        self.list_kind = list_kind
        self.short_names = short_names
        self.categories = categories
        self._versions = {v.name: v for v in versions}
        self.warnings = warnings

    def __repr__(self) -> str:
        return f"CRD({self.name!r}, kind={self.kind!r}, versions={self.versions!r})"

    # ---- loading ---------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, doc: Any, source: str = "<crd>", *, path_prefix: str = "") -> CRD:
        """Read a CRD document; ``path_prefix`` (e.g. ``"spec.api."``) prefixes field names in errors."""
        from kratix_lab.schema.crd_loader import _Loader  # the loader builds CRDs: imported when used

        return _Loader(source, path_prefix).load(doc)

    # ---- identity --------------------------------------------------------------------------

    @property
    def versions(self) -> list[str]:
        return list(self._versions)

    @property
    def served_versions(self) -> list[str]:
        return [v.name for v in self._versions.values() if v.served]

    @property
    def storage_version(self) -> str:
        return next(v.name for v in self._versions.values() if v.storage)

    @property
    def api_versions(self) -> list[str]:
        """``group/version`` of every served version."""
        return [f"{self.group}/{v}" for v in self.served_versions]

    @property
    def group_kind(self) -> str:
        """``kind.group`` as the API server names the type in errors (``vcluster.marketplace.kratix.io``)."""
        return f"{self.kind}.{self.group}"

    @property
    def namespaced(self) -> bool:
        return self.scope == "Namespaced"

    def version(self, name: str) -> CRDVersion:
        if name not in self._versions:
            raise CRDError(
                self.source, "spec.versions", f"no version {go_quote(name)} (versions: {', '.join(self.versions)})"
            )
        return self._versions[name]

    def schema(self, version: str) -> Schema:
        """A copy of the openAPIV3Schema of ``version``."""
        return copy.deepcopy(self.version(version).schema)

    # ---- the create path -------------------------------------------------------------------

    def admit(self, obj: Any, old: Any = None) -> Admission:
        """Create ``obj`` as the API server would; ``obj`` itself is never changed.

        ``old`` is the stored object when this is an update: the CEL rules that use ``oldSelf`` run only then,
        and a rule failing on a value equal to the stored one is ratcheted (apiextensions-apiserver
        pkg/registry/customresource/strategy.go ``ValidateUpdate`` passes the old object to the CEL validator)."""
        if not isinstance(obj, dict):
            bad = FieldError("", INVALID, "must be an object", to_json_like(obj))
            return Admission({}, [], [bad], self.group_kind, self.storage_version)
        out: dict[str, Any] = to_json_like(obj)
        errors, version = self._check_type_meta(out)
        info = self._versions[version]
        schema = info.schema

        # Decoding: prune unknown fields (metadata through ObjectMeta), drop non-nullable nulls.
        pruned = prune(out, schema, is_resource_root=True)
        prune_nulls(out, schema)
        # Defaulting; then prune again, in case a default carries fields the schema does not know.
        default(out, schema)
        pruned += prune(out, schema, is_resource_root=True)

        # PrepareForCreate / BeforeCreate.
        if info.status_subresource:
            out.pop("status", None)
        meta = out.get("metadata")
        if not self.namespaced and isinstance(meta, dict):
            meta.pop("namespace", None)

        # Validation.
        if meta is None:
            errors.append(FieldError("metadata.name", REQUIRED, "name or generateName is required"))
        else:
            errors += object_meta_type_errors(meta)
            if isinstance(meta, dict):
                errors += validate_object_meta(meta, namespaced=self.namespaced)
        errors += validate(out, schema, old=old if isinstance(old, dict) else None)
        return Admission(out, pruned, errors, self.group_kind, version)

    def _check_type_meta(self, obj: dict[str, Any]) -> tuple[list[FieldError], str]:
        """apiVersion must be served and kind must match; pick the version whose schema applies."""
        errors = []
        served = self.api_versions
        version = self.storage_version if self._versions[self.storage_version].served else None
        version = version or (self.served_versions[0] if self.served_versions else self.storage_version)
        api_version = obj.get("apiVersion")
        if api_version is None:
            errors.append(FieldError("apiVersion", REQUIRED))
        elif api_version in served:
            version = api_version.rpartition("/")[2]
        else:
            must = served[0] if len(served) == 1 else "one of " + ", ".join(served)
            if not served:
                must = f"a served version of {self.group} (none is served)"
            errors.append(FieldError("apiVersion", INVALID, f"must be {must}", api_version))
        kind = obj.get("kind")
        if kind is None:
            errors.append(FieldError("kind", REQUIRED))
        elif kind != self.kind:
            errors.append(FieldError("kind", INVALID, f"must be {self.kind}", kind))
        return errors, version


def crd_from_promise(promise: Any, source: str = "<promise>") -> CRD | None:
    """The CRD Kratix would install for a Promise's ``spec.api``; None when it has no API.

    As Kratix's ``setStatusFieldsOnCRD`` does, every version gets the status subresource and
    Kratix's status schema, so a request's ``status`` is ignored on create.
    """
    if not isinstance(promise, dict):
        raise CRDError(source, "", f"{INVALID}: {render_value(promise)}: a Promise must be an object")
    kind = promise.get("kind")
    if kind != "Promise":
        raise CRDError(source, "kind", f"{INVALID}: {render_value(kind)}: must be Promise")
    spec = promise.get("spec")
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise CRDError(source, "spec", f"{INVALID}: {render_value(spec)}: must be an object")
    api = spec.get("api")
    if api is None or api == {}:
        return None
    if not isinstance(api, dict):
        raise CRDError(source, "spec.api", f"{INVALID}: {render_value(api)}: must be a CustomResourceDefinition object")
    doc = dict(api)
    doc.setdefault("apiVersion", CRD_API_VERSION)
    doc.setdefault("kind", "CustomResourceDefinition")
    crd = CRD.from_dict(doc, source, path_prefix="spec.api.")
    if promise.get("apiVersion") != PROMISE_API_VERSION:
        crd.warnings.append(f"apiVersion: {render_value(promise.get('apiVersion'))}: expected {PROMISE_API_VERSION}")
    for name, version in list(crd._versions.items()):
        schema = copy.deepcopy(version.schema)
        props = schema.get("properties")
        if not isinstance(props, dict):
            props = schema["properties"] = {}
        props["status"] = copy.deepcopy(_KRATIX_STATUS_SCHEMA)
        crd._versions[name] = CRDVersion(
            name=version.name,
            served=version.served,
            storage=version.storage,
            schema=schema,
            status_subresource=True,
            deprecated=version.deprecated,
            deprecation_warning=version.deprecation_warning,
        )
    return crd
