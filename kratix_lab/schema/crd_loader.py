"""Loading and checking a CRD document: what the API server refuses, and what it only warns about.

``CRD.from_dict`` runs ``_Loader``: every version's ``openAPIV3Schema`` is checked as
apiextensions-apiserver's validation does (structural schema, forbidden keys, defaults that must
validate), with the server's wording and the path of each problem.
"""

from __future__ import annotations

import copy
from typing import Any

from kratix_lab.schema.crd import CRD, CRD_API_VERSION, CRDError, CRDVersion
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
    prune,
    render_value,
    to_json_like,
    validate,
)

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
                msg_expr = rule.get("messageExpression") if isinstance(rule, dict) else None
                if isinstance(msg_expr, str) and msg_expr.strip():
                    try:  # apiextensions-apiserver schema/cel/compilation.go: "messageExpression compilation failed"
                        compile_rule(msg_expr)
                    except ValueError as e:
                        raise self.fail(
                            f"{where}.x-kubernetes-validations[{i}].messageExpression",
                            f"{INVALID}: {go_quote(msg_expr)}: messageExpression compilation failed: {e}",
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
