"""CustomResourceDefinitions as data: load one (or a Promise's ``spec.api``), admit objects, explain.

``CRD.admit`` is the create path of the API server for a custom resource: type meta, decoding
(prune unknown fields, drop non-nullable nulls, coerce metadata), defaulting, the strategy's
PrepareForCreate (status dropped under a status subresource, namespace dropped for cluster scope)
and validation (metadata, schema, embedded resources, list sets and maps), in that order.

Loading is tolerant where Kratix is (a Promise's ``spec.api`` may omit the apiVersion/kind
wrapper) and strict where the API server would refuse the CRD; problems that a real server would
only warn about, or that make the CRD non-structural, are kept in ``CRD.warnings``.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass, field
from typing import Any

from kratix_lab.errors import Invalid
from kratix_lab.schema.engine import (
    EMBEDDED,
    FORBIDDEN,
    INT_OR_STRING,
    INVALID,
    LIST_MAP_KEYS,
    LIST_TYPE,
    PRESERVE,
    REQUIRED,
    UNSUPPORTED,
    FieldError,
    PatternError,
    Schema,
    compile_pattern,
    compile_rule,
    default,
    go_quote,
    is_dns1123_label,
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

_SCHEMA_KEYS = frozenset(
    {
        "description",
        "type",
        "format",
        "title",
        "default",
        "maximum",
        "exclusiveMaximum",
        "minimum",
        "exclusiveMinimum",
        "maxLength",
        "minLength",
        "pattern",
        "maxItems",
        "minItems",
        "uniqueItems",
        "multipleOf",
        "enum",
        "maxProperties",
        "minProperties",
        "required",
        "items",
        "allOf",
        "oneOf",
        "anyOf",
        "not",
        "properties",
        "additionalProperties",
        "externalDocs",
        "example",
        "nullable",
        PRESERVE,
        EMBEDDED,
        INT_OR_STRING,
        LIST_MAP_KEYS,
        LIST_TYPE,
        "x-kubernetes-map-type",
        "x-kubernetes-validations",
    }
)
# JSONSchemaProps fields a CRD schema may not use (apiextensions validation: Forbidden).
_FORBIDDEN_SCHEMA_KEYS = {
    "$ref": "$ref is not supported",
    "definitions": "definitions are not supported",
    "patternProperties": "patternProperties is not supported",
    "dependencies": "dependencies is not supported",
    "additionalItems": "additionalItems is not supported",
    "id": "id is not supported",
    "$schema": "$schema is not supported",
}
_TYPES = ("array", "boolean", "integer", "number", "object", "string")
_NUMBER_KEYS = ("maximum", "minimum", "multipleOf")
_COUNT_KEYS = ("maxLength", "minLength", "maxItems", "minItems", "maxProperties", "minProperties")

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

    def admit(self, obj: Any) -> Admission:
        """Create ``obj`` as the API server would; ``obj`` itself is never changed."""
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
        errors += validate(out, schema)
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


# ------------------------------------------------------------------------------------------------
# Loading and checking a CRD document.
# ------------------------------------------------------------------------------------------------


class _Loader:
    def __init__(self, source: str, prefix: str) -> None:
        self.source = source
        self.prefix = prefix
        self.warnings: list[str] = []

    def fail(self, field_path: str, problem: str) -> CRDError:
        return CRDError(self.source, self.prefix + field_path, problem)

    def warn(self, error: FieldError) -> None:
        self.warnings.append(str(FieldError(self.prefix + error.path, error.type, error.detail, error.value)))

    def _string(self, d: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
        v = d.get(key)
        if v is None or v == "":
            if required:
                raise self.fail(f"{where}.{key}", REQUIRED)
            return ""
        if not isinstance(v, str):
            raise self.fail(f"{where}.{key}", f"{INVALID}: {render_value(v)}: must be a string")
        return v

    def load(self, doc: Any) -> CRD:
        if not isinstance(doc, dict):
            where = self.prefix.rstrip(".")
            raise CRDError(
                self.source, where, f"{INVALID}: {render_value(doc)}: must be a CustomResourceDefinition object"
            )
        api_version, kind = doc.get("apiVersion"), doc.get("kind")
        if kind is not None and kind != "CustomResourceDefinition":
            raise self.fail("kind", f"{INVALID}: {render_value(kind)}: must be CustomResourceDefinition")
        if api_version is not None and api_version != CRD_API_VERSION:
            why = f"must be {CRD_API_VERSION}"
            if api_version == "apiextensions.k8s.io/v1beta1":
                why += " (v1beta1 is no longer served since Kubernetes 1.22)"
            raise self.fail("apiVersion", f"{INVALID}: {render_value(api_version)}: {why}")
        spec = doc.get("spec")
        if spec is None:
            raise self.fail("spec", REQUIRED)
        if not isinstance(spec, dict):
            raise self.fail("spec", f"{INVALID}: {render_value(spec)}: must be an object")

        group = self._string(spec, "group", "spec")
        if "." not in group:
            raise self.fail("spec.group", f"{INVALID}: {go_quote(group)}: should be a domain with at least one dot")
        names = spec.get("names")
        if not isinstance(names, dict):
            raise self.fail("spec.names", REQUIRED if names is None else f"{INVALID}: must be an object")
        kind_name = self._string(names, "kind", "spec.names")
        plural = self._string(names, "plural", "spec.names")
        singular = self._string(names, "singular", "spec.names", required=False) or kind_name.lower()
        list_kind = self._string(names, "listKind", "spec.names", required=False) or kind_name + "List"
        for key, value in (("plural", plural), ("singular", singular)):
            if problems := is_dns1123_label(value):
                raise self.fail(f"spec.names.{key}", f"{INVALID}: {go_quote(value)}: {'; '.join(problems)}")
        kind_problems = is_dns1123_label(kind_name.lower())
        if kind_problems or not kind_name[0].isalpha():
            raise self.fail(
                "spec.names.kind",
                f"{INVALID}: {go_quote(kind_name)}: may have mixed case, but should otherwise match: "
                "[a-z]([-a-z0-9]*[a-z0-9])?",
            )
        short_names = [s for s in names.get("shortNames") or [] if isinstance(s, str)]
        categories = [s for s in names.get("categories") or [] if isinstance(s, str)]

        scope = spec.get("scope")
        if scope is None:
            self.warn(FieldError("spec.scope", REQUIRED, "assuming Namespaced"))
            scope = "Namespaced"
        elif scope not in ("Cluster", "Namespaced"):
            raise self.fail(
                "spec.scope", f'{UNSUPPORTED}: {render_value(scope)}: supported values: "Cluster", "Namespaced"'
            )
        if spec.get("preserveUnknownFields") is True:
            raise self.fail(
                "spec.preserveUnknownFields",
                f"{INVALID}: true: must be false in order to use defaults in the schema",
            )

        versions = self._versions(spec.get("versions"))
        name = ""
        meta = doc.get("metadata")
        if isinstance(meta, dict) and isinstance(meta.get("name"), str):
            name = meta["name"]
        expected = f"{plural}.{group}"
        if name and name != expected:
            self.warn(FieldError("metadata.name", INVALID, 'must be spec.names.plural+"."+spec.group', name))
        return CRD(
            source=self.source,
            name=name or expected,
            group=group,
            kind=kind_name,
            plural=plural,
            singular=singular,
            scope=scope,
            list_kind=list_kind,
            short_names=short_names,
            categories=categories,
            versions=versions,
            warnings=self.warnings,
        )

    def _versions(self, raw: Any) -> list[CRDVersion]:
        if raw is None or raw == []:
            raise self.fail("spec.versions", f"{REQUIRED}: must have exactly one version marked as storage version")
        if not isinstance(raw, list):
            raise self.fail("spec.versions", f"{INVALID}: {render_value(raw)}: must be a list")
        versions: list[CRDVersion] = []
        for i, v in enumerate(raw):
            where = f"spec.versions[{i}]"
            if not isinstance(v, dict):
                raise self.fail(where, f"{INVALID}: {render_value(v)}: must be an object")
            name = self._string(v, "name", where)
            if is_dns1123_label(name) or not name[0].isalpha():
                raise self.fail(
                    f"{where}.name",
                    f"{INVALID}: {go_quote(name)}: a DNS-1035 label must consist of lower case alphanumeric "
                    "characters or '-', start with an alphabetic character, and end with an alphanumeric "
                    "character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
                )
            if any(x.name == name for x in versions):
                raise self.fail(f"{where}.name", f"{INVALID}: {go_quote(name)}: must be unique")
            schema_holder = v.get("schema")
            schema = schema_holder.get("openAPIV3Schema") if isinstance(schema_holder, dict) else None
            if schema is None:
                raise self.fail(f"{where}.schema.openAPIV3Schema", f"{REQUIRED}: schemas are required")
            self._check_schema(schema, f"{where}.schema.openAPIV3Schema", root=True)
            subresources = v.get("subresources")
            status = isinstance(subresources, dict) and isinstance(subresources.get("status"), dict)
            served, storage = v.get("served"), v.get("storage")
            for key, flag in (("served", served), ("storage", storage)):
                if flag is not None and not isinstance(flag, bool):
                    raise self.fail(f"{where}.{key}", f"{INVALID}: {render_value(flag)}: must be a boolean")
            versions.append(
                CRDVersion(
                    name=name,
                    served=served is True,
                    storage=storage is True,
                    schema=copy.deepcopy(schema),
                    status_subresource=status,
                    deprecated=v.get("deprecated") is True,
                    deprecation_warning=v.get("deprecationWarning")
                    if isinstance(v.get("deprecationWarning"), str)
                    else None,
                )
            )
        storage_count = sum(x.storage for x in versions)
        if storage_count != 1:
            listed = ", ".join(go_quote(x.name) for x in versions if x.storage) or "none"
            raise self.fail(
                "spec.versions",
                f"{INVALID}: must have exactly one version marked as storage version (marked: {listed})",
            )
        if not any(x.served for x in versions):
            self.warn(
                FieldError("spec.versions", INVALID, "no version is served: no object of this kind can be created")
            )
        return versions

    # ---- schema checks ---------------------------------------------------------------------

    def _check_schema(
        self, s: Any, where: str, *, root: bool = False, junctor: bool = False, int_or_string: bool = False
    ) -> None:
        """Refuse what cannot be run; warn about what a real server would refuse or drop.

        Unusable (CRDError): a node that is not an object, an unknown type name, malformed
        ``required``/``enum``/bounds, an array-form ``items``, a pattern Go would not compile.
        Warned: unknown keywords (the server drops them), missing types (non-structural),
        forbidden keywords, ``uniqueItems``, invalid or unpruned defaults, CEL rules (not run here).
        """
        if not isinstance(s, dict):
            raise self.fail(where, f"{INVALID}: {render_value(s)}: must be a JSON schema object")
        for k in s:
            if k in _FORBIDDEN_SCHEMA_KEYS:
                self.warn(FieldError(f"{where}.{k}", FORBIDDEN, _FORBIDDEN_SCHEMA_KEYS[k]))
            elif k not in _SCHEMA_KEYS:
                self.warnings.append(f"unknown field {go_quote(self.prefix + where + '.' + k)}")
        t = s.get("type")
        if t is not None and t not in _TYPES:
            supported = ", ".join(go_quote(x) for x in _TYPES)
            raise self.fail(f"{where}.type", f"{UNSUPPORTED}: {render_value(t)}: supported values: {supported}")
        if not t and not junctor and s.get(INT_OR_STRING) is not True and s.get(PRESERVE) is not True:
            why = "must not be empty at the root" if root else "must not be empty for specified object fields"
            self.warn(FieldError(f"{where}.type", REQUIRED, why))
        if junctor:
            for k in ("type", "default", "nullable", "additionalProperties", PRESERVE, EMBEDDED):
                # anyOf: [{type: integer}, {type: string}] is how int-or-string is spelled out
                if k in s and not (k == "type" and int_or_string):
                    self.warn(
                        FieldError(f"{where}.{k}", FORBIDDEN, "must not be specified inside anyOf, allOf, oneOf or not")
                    )

        required = s.get("required")
        if required is not None and (not isinstance(required, list) or not all(isinstance(r, str) for r in required)):
            raise self.fail(f"{where}.required", f"{INVALID}: {render_value(required)}: must be a list of strings")
        enum = s.get("enum")
        if enum is not None and not isinstance(enum, list):
            raise self.fail(f"{where}.enum", f"{INVALID}: {render_value(enum)}: must be a list")
        for k in _NUMBER_KEYS:
            v = s.get(k)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
                raise self.fail(f"{where}.{k}", f"{INVALID}: {render_value(v)}: must be a number")
        for k in _COUNT_KEYS:
            v = s.get(k)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                raise self.fail(f"{where}.{k}", f"{INVALID}: {render_value(v)}: must be a non-negative integer")
        pattern = s.get("pattern")
        if pattern is not None:
            if not isinstance(pattern, str):
                raise self.fail(f"{where}.pattern", f"{INVALID}: {render_value(pattern)}: must be a string")
            try:
                compile_pattern(pattern)
            except PatternError as e:
                raise self.fail(
                    f"{where}.pattern",
                    f"{INVALID}: {go_quote(pattern)}: must be a valid regular expression, but isn't: {e}",
                ) from None
        if s.get("uniqueItems") is True:
            self.warn(
                FieldError(
                    f"{where}.uniqueItems",
                    FORBIDDEN,
                    "uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
                )
            )
        rules = s.get("x-kubernetes-validations")
        if isinstance(rules, list):
            for i, rule in enumerate(rules):
                text = rule.get("rule") if isinstance(rule, dict) else None
                if not isinstance(text, str) or not text.strip():
                    raise self.fail(f"{where}.x-kubernetes-validations[{i}].rule", REQUIRED)
                try:
                    compile_rule(text)
                except ValueError as e:
                    raise self.fail(
                        f"{where}.x-kubernetes-validations[{i}].rule",
                        f"{INVALID}: {go_quote(text)}: compilation failed: {e}",
                    ) from None
        list_type = s.get(LIST_TYPE)
        if list_type is not None:
            if list_type not in ("atomic", "set", "map"):
                raise self.fail(
                    f"{where}.{LIST_TYPE}",
                    f'{UNSUPPORTED}: {render_value(list_type)}: supported values: "atomic", "set", "map"',
                )
            keys = s.get(LIST_MAP_KEYS)
            if list_type == "map" and (not isinstance(keys, list) or not keys):
                raise self.fail(
                    f"{where}.{LIST_MAP_KEYS}", f"{REQUIRED}: must not be empty if x-kubernetes-list-type is map"
                )

        props = s.get("properties")
        if props is not None:
            if not isinstance(props, dict):
                raise self.fail(f"{where}.properties", f"{INVALID}: {render_value(props)}: must be an object")
            for name, sub in props.items():
                self._check_schema(sub, f"{where}.properties[{name}]", junctor=junctor)
        items = s.get("items")
        if items is not None:
            if isinstance(items, list):
                raise self.fail(f"{where}.items", f"{FORBIDDEN}: items must be a schema object and not an array")
            self._check_schema(items, f"{where}.items", junctor=junctor)
        additional = s.get("additionalProperties")
        if additional is not None:
            if isinstance(additional, dict):
                if props:
                    self.warn(
                        FieldError(
                            f"{where}.additionalProperties",
                            FORBIDDEN,
                            "additionalProperties and properties are mutual exclusive",
                        )
                    )
                self._check_schema(additional, f"{where}.additionalProperties", junctor=junctor)
            elif additional is False:
                self.warn(FieldError(f"{where}.additionalProperties", FORBIDDEN, "must not be false"))
            elif additional is True:
                self.warnings.append(
                    f"{self.prefix}{where}.additionalProperties: true keeps unknown keys, but nested objects under "
                    f"them are pruned; use {PRESERVE}: true for free-form data"
                )
            else:
                raise self.fail(
                    f"{where}.additionalProperties",
                    f"{INVALID}: {render_value(additional)}: must be a boolean or a schema",
                )
        ios = int_or_string or s.get(INT_OR_STRING) is True
        for k in ("allOf", "anyOf", "oneOf"):
            branches = s.get(k)
            if branches is None:
                continue
            if not isinstance(branches, list):
                raise self.fail(f"{where}.{k}", f"{INVALID}: {render_value(branches)}: must be a list of schemas")
            for i, sub in enumerate(branches):
                self._check_schema(sub, f"{where}.{k}[{i}]", junctor=True, int_or_string=ios)
        if "not" in s:
            self._check_schema(s["not"], f"{where}.not", junctor=True, int_or_string=ios)

        if s.get("default") is not None and not junctor:
            self._check_default(s, where)

    def _check_default(self, s: Schema, where: str) -> None:
        """A default must survive pruning unchanged and validate against its own schema."""
        value = to_json_like(s["default"])
        unknown = prune(value, s, "", is_resource_root=False)
        for p in unknown:
            self.warn(FieldError(f"{where}.default", INVALID, f"must not have unknown fields: {p}", s["default"]))
        default(value, s)
        for err in validate(value, s, "<default>"):
            self.warn(FieldError(f"{where}.default", INVALID, str(err), s["default"]))


# ------------------------------------------------------------------------------------------------
# Promises.
# ------------------------------------------------------------------------------------------------


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


# ------------------------------------------------------------------------------------------------
# explain: what ``kubectl explain`` shows, as data.
# ------------------------------------------------------------------------------------------------

_TYPE_NAME = "x-kratix-lab-type-name"  # marks the synthetic ObjectMeta node below

_API_CONVENTIONS = "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md"
_STANDARD_ROOT: dict[str, Schema] = {
    "apiVersion": {
        "type": "string",
        "description": "APIVersion defines the versioned schema of this representation of an object. Servers "
        "should convert recognized schemas to the latest internal value, and may reject unrecognized values. "
        f"More info: {_API_CONVENTIONS}#resources",
    },
    "kind": {
        "type": "string",
        "description": "Kind is a string value representing the REST resource this object represents. Servers "
        "may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. "
        f"More info: {_API_CONVENTIONS}#types-kinds",
    },
    "metadata": {
        "type": "object",
        _TYPE_NAME: "ObjectMeta",
        "description": f"Standard object's metadata. More info: {_API_CONVENTIONS}#metadata",
        "properties": {
            "name": {"type": "string", "description": "Name must be unique within a namespace."},
            "generateName": {
                "type": "string",
                "description": "GenerateName is an optional prefix, used by the server, to generate a unique "
                "name ONLY IF the Name field has not been provided.",
            },
            "namespace": {
                "type": "string",
                "description": "Namespace defines the space within which each name must be unique.",
            },
            "labels": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Map of string keys and values that can be used to organize and categorize "
                "(scope and select) objects.",
            },
            "annotations": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Annotations is an unstructured key value map stored with a resource that may be "
                "set by external tools to store and retrieve arbitrary metadata.",
            },
            "finalizers": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Must be empty before the object is deleted from the registry.",
            },
            "ownerReferences": {
                "type": "array",
                "items": {"type": "object"},
                "description": "List of objects depended by this object.",
            },
            "uid": {"type": "string", "description": "UID is the unique in time and space value for this object."},
            "resourceVersion": {
                "type": "string",
                "description": "An opaque value that represents the internal version of this object.",
            },
            "generation": {
                "type": "integer",
                "description": "A sequence number representing a specific generation of the desired state.",
            },
            "creationTimestamp": {
                "type": "string",
                "description": "CreationTimestamp is a timestamp representing the server time when this object "
                "was created.",
            },
            "deletionTimestamp": {
                "type": "string",
                "description": "DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted.",
            },
            "deletionGracePeriodSeconds": {
                "type": "integer",
                "description": "Number of seconds allowed for this object to gracefully terminate before it will "
                "be removed from the system.",
            },
            "managedFields": {
                "type": "array",
                "items": {"type": "object"},
                "description": "ManagedFields maps workflow-id and version to the set of fields that are managed "
                "by that workflow.",
            },
            "selfLink": {"type": "string", "description": "Deprecated: selfLink is a legacy read-only field."},
        },
    },
}


def _summary(description: str) -> str:
    """The first sentence (or line) of a description."""
    text = description.strip().split("\n\n")[0].replace("\n", " ").strip()
    for i, ch in enumerate(text):
        if ch == "." and (i + 1 == len(text) or text[i + 1] == " "):
            return text[: i + 1]
    return text


def type_name(s: Schema) -> str:
    """The type as kubectl explain prints it: string, []Object, map[string]string, IntOrString."""
    if isinstance(s.get(_TYPE_NAME), str):
        return s[_TYPE_NAME]
    if s.get(INT_OR_STRING) is True:
        return "IntOrString"
    t = s.get("type")
    if t == "array":
        items = s.get("items")
        return "[]" + (type_name(items) if isinstance(items, dict) else "")
    additional = s.get("additionalProperties")
    if t == "object" or (not t and (s.get("properties") or additional or s.get(PRESERVE) or s.get(EMBEDDED))):
        if isinstance(additional, dict) and not s.get("properties"):
            return "map[string]" + type_name(additional)
        return "Object"
    return t if isinstance(t, str) else ""


@dataclass(frozen=True)
class ExplainField:
    """One child field of an explained node."""

    name: str
    type: str
    required: bool = False
    description: str = ""
    default: Any = None
    enum: tuple[Any, ...] | None = None

    @property
    def summary(self) -> str:
        return _summary(self.description)


@dataclass(frozen=True)
class ExplainNode:
    """A field of a CRD's schema with its constraints and children, like ``kubectl explain``."""

    group: str
    version: str
    kind: str
    path: str  # "" for the root, else "spec.vcluster"
    name: str
    type: str
    description: str = ""
    required: bool = False
    default: Any = None
    enum: tuple[Any, ...] | None = None
    pattern: str | None = None
    format: str | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    min_length: int | None = None
    max_length: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    min_properties: int | None = None
    max_properties: int | None = None
    nullable: bool = False
    preserve_unknown_fields: bool = False
    fields: tuple[ExplainField, ...] = ()

    @property
    def summary(self) -> str:
        return _summary(self.description)


def _properties_of(s: Schema) -> tuple[dict[str, Schema], list[str]]:
    """Properties and required names of a node, looking through arrays to their items."""
    while s.get("type") == "array" and isinstance(s.get("items"), dict):
        s = s["items"]
    props = s.get("properties")
    required = s.get("required")
    return (props if isinstance(props, dict) else {}), (required if isinstance(required, list) else [])


def _root_properties(schema: Schema) -> dict[str, Schema]:
    """The root's fields as the API server publishes them: ``metadata`` is always ObjectMeta, whatever the CRD
    restricts of ``metadata.name``/``generateName`` (those restrictions are enforced at admission only;
    apiextensions-apiserver pkg/controller/openapi/builder/builder.go buildKubeNative sets the root's metadata to an
    ObjectMeta reference)."""
    props = dict(_properties_of(schema)[0])
    for k, standard in _STANDARD_ROOT.items():
        declared = props.get(k)
        if not isinstance(declared, dict) or k == "metadata":
            props[k] = standard
    return props


def explain(crd: CRD, version: str | None, field_path: str = "") -> ExplainNode:
    """Describe ``field_path`` (``"spec.vcluster"``; ``""`` is the root) of ``version`` (None: storage).

    The path may start with the resource name as kubectl's does (``vcluster.spec``); arrays are
    looked through to their items. An unknown field is a CRDError ``field "spec.foo" does not exist``.
    """
    version = version or crd.storage_version
    schema = crd.version(version).schema
    segments = [s.removesuffix("[]").removesuffix("[*]") for s in field_path.strip().strip(".").split(".") if s]
    root_props = _root_properties(schema)
    names = {crd.kind.lower(), crd.plural, crd.singular, *crd.short_names}
    if segments and segments[0].lower() in names and segments[0] not in root_props:
        segments = segments[1:]

    node, required, walked = schema, False, []
    for seg in segments:
        props, req = (root_props, _properties_of(schema)[1]) if not walked else _properties_of(node)
        if seg not in props:
            close = difflib.get_close_matches(seg, [k for k in props if isinstance(k, str)], n=1, cutoff=0.6)
            hint = f" (did you mean {go_quote('.'.join([*walked, close[0]]))}?)" if close else ""
            raise CRDError(crd.source, "", f"field {go_quote('.'.join([*walked, seg]))} does not exist{hint}")
        node, required = props[seg], seg in req
        walked.append(seg)

    if walked:
        child_props, child_required = _properties_of(node)
    else:
        child_props, child_required = root_props, _properties_of(schema)[1]
    fields = tuple(
        ExplainField(
            name=k,
            type=type_name(sub),
            required=k in child_required,
            description=str(sub.get("description") or ""),
            default=sub.get("default"),
            enum=tuple(sub["enum"]) if isinstance(sub.get("enum"), list) else None,
        )
        for k, sub in sorted(child_props.items())
        if isinstance(sub, dict)
    )

    def num(key: str) -> Any:
        v = node.get(key)
        return v if isinstance(v, int | float) and not isinstance(v, bool) else None

    return ExplainNode(
        group=crd.group,
        version=version,
        kind=crd.kind,
        path=".".join(walked),
        name=walked[-1] if walked else crd.kind,
        type=type_name(node) or ("Object" if not walked else ""),
        # the root: its own description, else the spec's (a Promise's CRD says what a request is there; kubectl
        # would print <empty>, which tells the reader nothing about the kind: issue 17 item 8)
        description=str(
            node.get("description") or (not walked and (root_props.get("spec") or {}).get("description")) or ""
        ),
        required=required,
        default=node.get("default"),
        enum=tuple(node["enum"]) if isinstance(node.get("enum"), list) else None,
        pattern=node.get("pattern") if isinstance(node.get("pattern"), str) else None,
        format=node.get("format") if isinstance(node.get("format"), str) else None,
        minimum=num("minimum"),
        maximum=num("maximum"),
        exclusive_minimum=node.get("exclusiveMinimum") is True,
        exclusive_maximum=node.get("exclusiveMaximum") is True,
        min_length=num("minLength"),
        max_length=num("maxLength"),
        min_items=num("minItems"),
        max_items=num("maxItems"),
        min_properties=num("minProperties"),
        max_properties=num("maxProperties"),
        nullable=node.get("nullable") is True,
        preserve_unknown_fields=node.get(PRESERVE) is True,
        fields=fields,
    )
