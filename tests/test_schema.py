"""The structural-schema engine against the API server's rules and its exact wording.

Expected messages are written out in full: they are what a cluster prints, and people search for
them. Each comes from the upstream source (apimachinery field errors, kube-openapi validators,
apiextensions-apiserver pruning/defaulting/objectmeta/listtype).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kratix_lab.model import load_one
from kratix_lab.schema import (
    CRD,
    CRDError,
    ExplainNode,
    FieldError,
    crd_from_promise,
    default,
    explain,
    prune,
    prune_nulls,
    validate,
)
from kratix_lab.schema.engine import go_float, go_json, go_quote

API = "marketplace.kratix.io/v1alpha1"

VCLUSTER_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: vclusters.marketplace.kratix.io
spec:
  group: marketplace.kratix.io
  names: {kind: VCluster, plural: vclusters, singular: vcluster, shortNames: [vc]}
  scope: Namespaced
  versions:
  - name: v1alpha1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        description: A virtual cluster.
        properties:
          spec:
            type: object
            required: [name]
            properties:
              name:
                type: string
                description: Name of the cluster. Lowercase.
                maxLength: 63
                pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'
              vcluster:
                type: object
                default: {}
                description: vCluster settings.
                properties:
                  preset: {type: string, enum: [dev, prod], default: dev, description: Size preset.}
                  replicas: {type: integer, minimum: 1, maximum: 5, default: 1}
                  ha:
                    type: object
                    properties:
                      etcd: {type: boolean, default: false}
              items:
                type: array
                items:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string}
                    port: {type: integer, default: 80}
              labels:
                type: object
                additionalProperties: {type: string}
              envs:
                type: object
                additionalProperties:
                  type: object
                  properties:
                    value: {type: string}
              values:
                type: object
                x-kubernetes-preserve-unknown-fields: true
                properties:
                  known:
                    type: object
                    properties:
                      a: {type: string}
              port:
                x-kubernetes-int-or-string: true
                anyOf: [{type: integer}, {type: string}]
              note: {type: string, nullable: true}
              size: {type: string, default: small}
              tags:
                type: array
                items: {type: string}
                x-kubernetes-list-type: set
          status:
            type: object
            properties:
              phase: {type: string}
"""


@pytest.fixture(scope="module")
def vc() -> CRD:
    return CRD.from_dict(load_one(VCLUSTER_CRD, "vcluster-crd.yaml"), "vcluster-crd.yaml")


def request(spec: Any = None, **extra: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": API,
        "kind": "VCluster",
        "metadata": {"name": "demo", "namespace": "default"},
    }
    if spec is not None:
        obj["spec"] = spec
    obj.update(extra)
    return obj


def messages(admission_or_errors: Any) -> list[str]:
    errors = getattr(admission_or_errors, "errors", admission_or_errors)
    return [str(e) for e in errors]


def crd_with(schema: dict[str, Any], *, scope: str = "Namespaced", status: bool = True) -> CRD:
    """A one-version CRD of kind Thing whose openAPIV3Schema is ``schema``."""
    version: dict[str, Any] = {"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": schema}}
    if status:
        version["subresources"] = {"status": {}}
    return CRD.from_dict(
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "spec": {
                "group": "example.com",
                "names": {"kind": "Thing", "plural": "things"},
                "scope": scope,
                "versions": [version],
            },
        },
        "thing-crd.yaml",
    )


def thing(spec: Any, **meta: Any) -> dict[str, Any]:
    return {"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t", **meta}, "spec": spec}


def spec_schema(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": {"spec": {"type": "object", "properties": props}}}


# ---- the wording of every rule ---------------------------------------------------------------


def test_enum_wording(vc):
    a = vc.admit(request({"name": "demo", "vcluster": {"preset": "huge"}}))
    assert messages(a) == ['spec.vcluster.preset: Unsupported value: "huge": supported values: "dev", "prod"']


def test_required_wording(vc):
    assert messages(vc.admit(request({}))) == ["spec.name: Required value"]


def test_pattern_wording(vc):
    assert messages(vc.admit(request({"name": "Bad_Name"}))) == [
        "spec.name: Invalid value: \"Bad_Name\": spec.name in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'"
    ]


def test_type_wording_shows_the_json_type_name(vc):
    a = vc.admit(request({"name": "demo", "vcluster": {"replicas": "string"}}))
    assert messages(a) == [
        'spec.vcluster.replicas: Invalid value: "string": spec.vcluster.replicas in body must be of type integer: "string"'
    ]


def test_max_length_wording_counts_characters(vc):
    assert messages(vc.admit(request({"name": "a" * 64}))) == ["spec.name: Too long: may not be more than 63 bytes"]
    # 63 two-byte characters are 63 characters: not too long (the pattern then rejects them)
    errs = messages(vc.admit(request({"name": "é" * 63})))
    assert errs and not any("Too long" in e for e in errs)


def test_maximum_and_minimum_wording(vc):
    assert messages(vc.admit(request({"name": "demo", "vcluster": {"replicas": 9}}))) == [
        "spec.vcluster.replicas: Invalid value: 9: spec.vcluster.replicas in body should be less than or equal to 5"
    ]
    assert messages(vc.admit(request({"name": "demo", "vcluster": {"replicas": 0}}))) == [
        "spec.vcluster.replicas: Invalid value: 0: spec.vcluster.replicas in body should be greater than or equal to 1"
    ]


def test_minimum_on_a_bare_validate():
    errs = validate({"x": 0}, {"type": "object", "properties": {"x": {"type": "integer", "minimum": 1}}}, "spec")
    assert messages(errs) == ["spec.x: Invalid value: 0: spec.x in body should be greater than or equal to 1"]


@pytest.mark.parametrize(
    ("schema", "value", "expected"),
    [
        ({"type": "integer", "minimum": 0, "exclusiveMinimum": True}, 0, "should be greater than 0"),
        ({"type": "integer", "maximum": 10, "exclusiveMaximum": True}, 10, "should be less than 10"),
        ({"type": "number", "maximum": 1.5}, 2.25, "should be less than or equal to 1.5"),
        ({"type": "number", "minimum": 1000000}, 0.5, "should be greater than or equal to 1e+06"),
        ({"type": "integer", "multipleOf": 5}, 12, "should be a multiple of 5"),
        ({"type": "number", "multipleOf": 0.5}, 0.75, "should be a multiple of 0.5"),
    ],
)
def test_number_bounds(schema, value, expected):
    assert messages(validate(value, schema, "spec.x")) == [
        f"spec.x: Invalid value: {go_float(value) if isinstance(value, float) else value}: spec.x in body {expected}"
    ]


def test_number_bounds_accept_the_bound_itself():
    assert validate(5, {"type": "integer", "minimum": 5, "maximum": 5}, "x") == []
    assert validate(10, {"type": "integer", "multipleOf": 5}, "x") == []


def test_string_length_and_pattern_report_only_the_first_failure():
    s = {"type": "string", "minLength": 3, "maxLength": 5, "pattern": "^[a-z]+$"}
    assert messages(validate("A", s, "spec.n")) == [
        'spec.n: Invalid value: "A": spec.n in body should be at least 3 chars long'
    ]
    assert messages(validate("AAAAAAA", s, "spec.n")) == ["spec.n: Too long: may not be more than 5 bytes"]
    assert messages(validate("AAAA", s, "spec.n")) == [
        "spec.n: Invalid value: \"AAAA\": spec.n in body should match '^[a-z]+$'"
    ]
    assert messages(validate("x", {"type": "string", "maxLength": 0}, "n")) == [
        "n: Too long: may not be more than 0 bytes"
    ]
    assert messages(validate("xy", {"type": "string", "maxLength": 1}, "n")) == [
        "n: Too long: may not be more than 1 byte"
    ]


def test_item_and_property_counts():
    arr = {"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "string"}}
    assert messages(validate([], arr, "spec.a")) == [
        "spec.a: Invalid value: 0: spec.a in body should have at least 1 items"
    ]
    assert messages(validate(["a", "b", "c"], arr, "spec.a")) == ["spec.a: Too many: 3: must have at most 2 items"]
    obj = {"type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": {"type": "string"}}
    assert messages(validate({}, obj, "spec.m")) == [
        "spec.m: Invalid value: 0: spec.m in body should have at least 1 properties"
    ]
    assert messages(validate({"a": "1", "b": "2"}, obj, "spec.m")) == ["spec.m: Too many: 2: must have at most 1 item"]


def test_integer_enum_values_are_quoted_like_upstream():
    # field.NotSupported quotes every supported value, JSON-rendered first when not a string
    assert messages(validate(3, {"type": "integer", "enum": [1, 2]}, "spec.n")) == [
        'spec.n: Unsupported value: 3: supported values: "1", "2"'
    ]
    assert validate(2, {"type": "integer", "enum": [1, 2]}, "spec.n") == []
    assert validate(2.0, {"type": "number", "enum": [1, 2]}, "spec.n") == []
    assert messages(validate(True, {"enum": [1, "a"]}, "n")) == [
        'n: Unsupported value: true: supported values: "1", "a"'
    ]


@pytest.mark.parametrize(
    ("schema_type", "value", "json_type"),
    [
        ("integer", True, "boolean"),
        ("integer", 1.5, "number"),
        ("integer", "1", "string"),
        ("number", "1", "string"),
        ("boolean", 0, "integer"),
        ("boolean", "true", "string"),
        ("string", 1, "integer"),
        ("string", ["a"], "array"),
        ("object", [], "array"),
        ("array", {}, "object"),
    ],
)
def test_type_mismatches(schema_type, value, json_type):
    assert messages(validate(value, {"type": schema_type}, "spec.x")) == [
        f'spec.x: Invalid value: "{json_type}": spec.x in body must be of type {schema_type}: "{json_type}"'
    ]


@pytest.mark.parametrize(
    ("schema_type", "value"),
    [("integer", 3), ("integer", 3.0), ("number", 3), ("number", 0.5), ("boolean", False), ("string", "")],
)
def test_type_matches(schema_type, value):
    assert validate(value, {"type": schema_type}, "spec.x") == []


def test_errors_continue_after_the_first_and_come_in_document_order(vc):
    a = vc.admit(
        request(
            {
                "name": "Bad_Name",
                "vcluster": {"preset": "huge", "replicas": 9},
                "items": [{"port": 1}, {"name": 7}],
            }
        )
    )
    assert [(e.path, e.type) for e in a.errors] == [
        ("spec.name", "Invalid value"),
        ("spec.vcluster.preset", "Unsupported value"),
        ("spec.vcluster.replicas", "Invalid value"),
        ("spec.items[0].name", "Required value"),
        ("spec.items[1].name", "Invalid value"),
    ]


def test_field_error_fields():
    e = FieldError("spec.name", "Required value", "")
    assert (e.path, e.type, e.detail, e.value) == ("spec.name", "Required value", "", None)
    assert str(FieldError("", "Invalid value", "must be an object", 3)) == "<nil>: Invalid value: 3: must be an object"
    assert (
        str(FieldError("spec.m", "Invalid value", "bad", {"b": 1, "a": [1.5, None]}))
        == 'spec.m: Invalid value: {"a":[1.5,null],"b":1}: bad'
    )


def test_go_formatting_helpers():
    assert [go_float(f) for f in (5.0, 1.5, 1e6, 123456789.0, 100000.0, 0.0001, 1e-05, -2.5)] == [
        "5",
        "1.5",
        "1e+06",
        "1.23456789e+08",
        "100000",
        "0.0001",
        "1e-05",
        "-2.5",
    ]
    assert go_quote('a"b\\\n\té\x01') == '"a\\"b\\\\\\n\\té\\x01"'
    assert (
        go_json({"b": "<&>", "a": 1e21, "c": 1e-7, "d": 2.0})
        == '{"a":1e+21,"b":"\\u003c\\u0026\\u003e","c":1e-7,"d":2}'
    )


# ---- patterns: Go RE2 semantics ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "value", "ok"),
    [
        ("b", "abc", True),  # unanchored, like regexp.MatchString
        ("^a$", "a\n", False),  # Go's $ is the end of the text, not "before a final newline"
        ("^a\\z", "a", True),
        ("^\\d+$", "١٢", False),  # \d is ASCII in RE2
        ("^[[:alpha:]]+$", "abcXYZ", True),
        ("^[[:alpha:]]+$", "abc1", False),
        ("^(?<word>[a-z]+)$", "abc", True),
        ("^\\Q1.5\\E$", "1.5", True),
        ("^\\Q1.5\\E$", "105", False),
    ],
)
def test_patterns_follow_go(pattern, value, ok):
    assert (validate(value, {"type": "string", "pattern": pattern}, "p") == []) is ok


# ---- nulls and nullable -------------------------------------------------------------------------


def test_null_of_a_non_nullable_field_is_dropped_silently(vc):
    a = vc.admit(request({"name": "demo", "vcluster": {"preset": None, "ha": None}, "labels": None}))
    assert a.ok and a.pruned == []
    assert a.object["spec"]["vcluster"] == {"preset": "dev", "replicas": 1}  # null with a default is defaulted
    assert "labels" not in a.object["spec"]


def test_nullable_keeps_null(vc):
    a = vc.admit(request({"name": "demo", "note": None}))
    assert a.ok and a.object["spec"]["note"] is None


def test_null_that_cannot_be_dropped_is_a_type_error(vc):
    a = vc.admit(request({"name": "demo", "tags": ["a", None]}))
    assert messages(a) == ['spec.tags[1]: Invalid value: "null": spec.tags[1] in body must be of type string: "null"']


def test_null_required_field_is_required(vc):
    assert messages(vc.admit(request({"name": None}))) == ["spec.name: Required value"]


def test_prune_nulls_alone():
    schema = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string", "nullable": True}}}
    assert prune_nulls({"a": None, "b": None, "c": None}, schema) == {"b": None, "c": None}


# ---- defaulting ----------------------------------------------------------------------------------


def test_nested_defaults_and_default_object_recursion(vc):
    # spec.vcluster defaults to {}, and that {} is then defaulted itself
    a = vc.admit(request({"name": "demo"}))
    assert a.ok
    assert a.object["spec"] == {"name": "demo", "vcluster": {"preset": "dev", "replicas": 1}, "size": "small"}


def test_object_default_applies_only_when_its_parent_is_present(vc):
    a = vc.admit(request({"name": "demo"}))
    assert "ha" not in a.object["spec"]["vcluster"]  # ha has no default of its own
    a = vc.admit(request({"name": "demo", "vcluster": {"ha": {}}}))
    assert a.object["spec"]["vcluster"]["ha"] == {"etcd": False}
    # no spec: spec has no default, so nothing below it is created either
    a = vc.admit(request())
    assert "spec" not in a.object and a.ok


def test_given_values_win_over_defaults(vc):
    a = vc.admit(request({"name": "demo", "vcluster": {"preset": "prod", "replicas": 3}, "size": ""}))
    assert a.object["spec"]["vcluster"] == {"preset": "prod", "replicas": 3}
    assert a.object["spec"]["size"] == ""


def test_defaults_in_array_items_and_map_values():
    schema = {
        "type": "object",
        "properties": {
            "list": {
                "type": "array",
                "items": {"type": "object", "properties": {"p": {"type": "integer", "default": 80}}},
            },
            "map": {
                "type": "object",
                "additionalProperties": {"type": "object", "properties": {"v": {"type": "string", "default": "x"}}},
            },
        },
    }
    obj = {"list": [{}, {"p": 1}], "map": {"a": {}, "b": {"v": "y"}}}
    assert default(obj, schema) == {"list": [{"p": 80}, {"p": 1}], "map": {"a": {"v": "x"}, "b": {"v": "y"}}}


def test_defaults_are_copies(vc):
    a1 = vc.admit(request({"name": "demo"}))
    a1.object["spec"]["vcluster"]["preset"] = "changed"
    a2 = vc.admit(request({"name": "demo"}))
    assert a2.object["spec"]["vcluster"]["preset"] == "dev"
    assert vc.schema("v1alpha1")["properties"]["spec"]["properties"]["vcluster"]["default"] == {}


def test_a_default_with_unknown_fields_is_pruned_and_reported():
    c = crd_with(
        spec_schema(
            cfg={"type": "object", "default": {"known": "a", "stray": 1}, "properties": {"known": {"type": "string"}}}
        )
    )
    assert any("must not have unknown fields: stray" in w for w in c.warnings)
    a = c.admit(thing({}))
    assert a.object["spec"]["cfg"] == {"known": "a"}
    assert a.pruned == ["spec.cfg.stray"]


# ---- pruning ---------------------------------------------------------------------------------------


def test_unknown_fields_are_pruned_and_reported_with_full_paths(vc):
    a = vc.admit(
        request(
            {
                "name": "demo",
                "vcluster": {"colour": "red"},
                "items": [{"name": "a", "x": 1}, {"name": "b"}, {"name": "c", "y": {"z": 1}}],
                "envs": {"FOO": {"value": "1", "secret": True}},
                "labels": {"team": "a"},
            },
            extra="gone",
        )
    )
    assert a.ok
    assert a.pruned == ["spec.vcluster.colour", "spec.items[0].x", "spec.items[2].y", "spec.envs.FOO.secret", "extra"]
    assert a.warnings[0] == 'unknown field "spec.vcluster.colour"'
    assert a.object["spec"]["labels"] == {"team": "a"}  # map keys are data, not unknown fields
    assert a.object["spec"]["envs"] == {"FOO": {"value": "1"}}
    assert "extra" not in a.object


def test_preserve_unknown_fields_keeps_unknowns_but_prunes_declared_children(vc):
    values = {"anything": {"deep": [1, {"x": 2}]}, "known": {"a": "1", "b": "2"}}
    a = vc.admit(request({"name": "demo", "values": values}))
    assert a.object["spec"]["values"] == {"anything": {"deep": [1, {"x": 2}]}, "known": {"a": "1"}}
    assert a.pruned == ["spec.values.known.b"]


def test_root_keeps_type_meta_and_prunes_unknown_metadata(vc):
    obj = request({"name": "demo"})
    obj["metadata"].update(colour="red", labels={"a": "b"}, annotations={}, creationTimestamp=None)
    a = vc.admit(obj)
    assert a.pruned == ["metadata.colour"]
    assert a.object["metadata"] == {"name": "demo", "namespace": "default", "labels": {"a": "b"}}
    assert a.object["apiVersion"] == API and a.object["kind"] == "VCluster"


def test_prune_without_schema_drops_everything_below():
    obj = {"a": {"b": 1}, "c": [{"d": 1}]}
    assert prune(obj, {"type": "object", "properties": {"a": {"type": "object"}, "c": {"type": "array"}}}, "spec") == [
        "spec.a.b",
        "spec.c[0].d",
    ]
    assert obj == {"a": {}, "c": [{}]}


def test_prune_at_a_non_root_path_does_not_keep_type_meta():
    obj = {"kind": "x", "metadata": {}}
    assert prune(obj, {"type": "object"}, "spec.template") == ["spec.template.kind", "spec.template.metadata"]


def test_additional_properties_true_keeps_scalars_and_prunes_inside_objects():
    schema = spec_schema(free={"type": "object", "additionalProperties": True})
    c = crd_with(schema)
    assert any("additionalProperties: true keeps unknown keys" in w for w in c.warnings)
    a = c.admit(thing({"free": {"a": 1, "b": {"c": 2}}}))
    assert a.object["spec"]["free"] == {"a": 1, "b": {}}
    assert a.pruned == ["spec.free.b.c"]


# ---- int-or-string, anyOf / oneOf / allOf / not ------------------------------------------------------


def test_int_or_string_takes_both(vc):
    assert vc.admit(request({"name": "demo", "port": 8080})).ok
    assert vc.admit(request({"name": "demo", "port": "http"})).ok


def test_int_or_string_refuses_others(vc):
    assert messages(vc.admit(request({"name": "demo", "port": True}))) == [
        'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
        'spec.port: Invalid value: "": "spec.port" must validate at least one schema (anyOf)',
        'spec.port: Invalid value: "boolean": spec.port in body must be of type integer: "boolean"',
    ]


def test_any_of_with_value_constraints():
    s = {"type": "string", "anyOf": [{"pattern": "^a"}, {"enum": ["zz"]}]}
    assert validate("abc", s, "x") == [] and validate("zz", s, "x") == []
    assert messages(validate("b", s, "x")) == [
        'x: Invalid value: "": "x" must validate at least one schema (anyOf)',
        "x: Invalid value: \"b\": x in body should match '^a'",
    ]


def test_one_of_all_of_and_not():
    one = {"oneOf": [{"required": ["a"]}, {"required": ["b"]}]}
    assert validate({"a": 1}, one, "x") == []
    assert messages(validate({"a": 1, "b": 2}, one, "x")) == [
        'x: Invalid value: "": "x" must validate one and only one schema (oneOf). Found 2 valid alternatives'
    ]
    assert messages(validate({}, one, "x")) == [
        'x: Invalid value: "": "x" must validate one and only one schema (oneOf). Found none valid',
        "x.a: Required value",
    ]
    both = {"allOf": [{"minLength": 2}, {"pattern": "^a"}]}
    assert messages(validate("b", both, "x")) == [
        'x: Invalid value: "b": x in body should be at least 2 chars long',
        "x: Invalid value: \"b\": x in body should match '^a'",
        'x: Invalid value: "": "x" must validate all the schemas (allOf). None validated',
    ]
    assert messages(validate("b", {"not": {"enum": ["b"]}}, "x")) == [
        'x: Invalid value: "": "x" must not validate the schema (not)'
    ]


# ---- list types and embedded resources ------------------------------------------------------------------


def test_list_type_set_reports_the_second_appearance(vc):
    assert messages(vc.admit(request({"name": "demo", "tags": ["a", "b", "a", "a", "b"]}))) == [
        'spec.tags[2]: Duplicate value: "a"',
        'spec.tags[4]: Duplicate value: "b"',
    ]


def test_list_type_map_duplicates_by_key():
    s = {
        "type": "array",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
        "items": {"type": "object"},
    }
    assert messages(validate([{"name": "http", "port": 1}, {"name": "http", "port": 2}], s, "spec.ports")) == [
        'spec.ports[1]: Duplicate value: {"name":"http"}'
    ]
    assert messages(validate(["x"], s, "spec.ports")) == [
        'spec.ports[0]: Invalid value: "x": must be an object for an array of list-type map',
        'spec.ports[0]: Invalid value: "string": spec.ports[0] in body must be of type object: "string"',
    ]


def test_embedded_resource():
    c = crd_with(
        spec_schema(
            template={
                "type": "object",
                "x-kubernetes-embedded-resource": True,
                "x-kubernetes-preserve-unknown-fields": True,
            }
        )
    )
    a = c.admit(thing({"template": {"metadata": {"name": "a/b", "colour": 1}, "data": {"k": "v"}}}))
    assert a.pruned == ["spec.template.metadata.colour"]
    assert a.object["spec"]["template"] == {"metadata": {"name": "a/b"}, "data": {"k": "v"}}
    assert messages(a) == [
        "spec.template.apiVersion: Required value: must not be empty",
        "spec.template.kind: Required value: must not be empty",
        "spec.template.metadata.name: Invalid value: \"a/b\": may not contain '/'",
    ]
    ok = c.admit(thing({"template": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}}))
    assert ok.ok
    bad = c.admit(thing({"template": {"apiVersion": "a/b/c", "kind": ""}}))
    assert messages(bad) == [
        'spec.template.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c',
        'spec.template.kind: Invalid value: "": must not be empty',
    ]


# ---- the create path: type meta, metadata, status, scope, no mutation -----------------------------------


def test_input_is_never_mutated(vc):
    obj = request({"name": "Bad_Name", "vcluster": {"colour": "x", "preset": None}}, status={"phase": "x"})
    obj["metadata"]["junk"] = 1
    before = copy.deepcopy(obj)
    a = vc.admit(obj)
    assert obj == before
    assert a.object is not obj and a.object["spec"] is not obj["spec"]


def test_status_is_dropped_under_the_status_subresource(vc):
    a = vc.admit(request({"name": "demo"}, status={"phase": 1, "whatever": True}))
    assert a.ok and "status" not in a.object and a.pruned == ["status.whatever"]


def test_status_without_subresource_is_kept_and_validated():
    c = crd_with(
        {
            "type": "object",
            "properties": {
                "spec": {"type": "object"},
                "status": {"type": "object", "properties": {"phase": {"type": "string"}}},
            },
        },
        status=False,
    )
    a = c.admit({**thing({}), "status": {"phase": 1}})
    assert a.object["status"] == {"phase": 1}
    assert messages(a) == [
        'status.phase: Invalid value: "integer": status.phase in body must be of type string: "integer"'
    ]


def test_api_version_and_kind_must_match(vc):
    a = vc.admit({**request({"name": "demo"}), "apiVersion": "marketplace.kratix.io/v2", "kind": "Vcluster"})
    assert messages(a) == [
        'apiVersion: Invalid value: "marketplace.kratix.io/v2": must be marketplace.kratix.io/v1alpha1',
        'kind: Invalid value: "Vcluster": must be VCluster',
    ]
    assert a.message.startswith('VCluster.marketplace.kratix.io "demo" is invalid: [apiVersion: Invalid value:')
    missing = vc.admit({"metadata": {"name": "demo"}})
    assert messages(missing) == ["apiVersion: Required value", "kind: Required value"]


def test_lowercase_kinds_are_matched_exactly():
    c = CRD.from_dict(load_one(VCLUSTER_CRD.replace("kind: VCluster", "kind: vcluster"), "lower.yaml"), "lower.yaml")
    assert c.admit(request({"name": "demo"}) | {"kind": "vcluster"}).ok
    assert messages(c.admit(request({"name": "demo"}))) == ['kind: Invalid value: "VCluster": must be vcluster']


MULTI_VERSION = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object, properties: {size: {type: integer}}}}}}
  - name: v2
    served: true
    storage: false
    schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object, properties: {size: {type: string}}}}}}
  - name: v0
    served: false
    storage: false
    schema: {openAPIV3Schema: {type: object}}
"""


def test_each_version_uses_its_own_schema_and_unserved_versions_are_refused():
    c = CRD.from_dict(load_one(MULTI_VERSION, "widget.yaml"), "widget.yaml")
    assert (c.versions, c.served_versions, c.storage_version) == (["v1", "v2", "v0"], ["v1", "v2"], "v1")
    assert c.api_versions == ["example.com/v1", "example.com/v2"]
    widget = {"kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": "big"}}
    assert c.admit({**widget, "apiVersion": "example.com/v2"}).ok
    assert c.admit({**widget, "apiVersion": "example.com/v2"}).version == "v2"
    assert not c.admit({**widget, "apiVersion": "example.com/v1"}).ok
    assert messages(c.admit({**widget, "apiVersion": "example.com/v0"}))[0] == (
        'apiVersion: Invalid value: "example.com/v0": must be one of example.com/v1, example.com/v2'
    )


def test_metadata_name_rules(vc):
    bad = vc.admit(request({"name": "demo"}) | {"metadata": {"name": "Bad_Name"}})
    assert messages(bad) == [
        'metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case '
        "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
        "'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    ]
    assert messages(vc.admit(request({"name": "demo"}) | {"metadata": {}})) == [
        "metadata.name: Required value: name or generateName is required"
    ]
    assert messages(vc.admit({"apiVersion": API, "kind": "VCluster", "spec": {"name": "demo"}})) == [
        "metadata.name: Required value: name or generateName is required"
    ]
    assert vc.admit(request({"name": "demo"}) | {"metadata": {"name": "a.b-c.d"}}).ok
    assert vc.admit(request({"name": "demo"}) | {"metadata": {"generateName": "demo-"}}).ok
    too_long = vc.admit(request({"name": "demo"}) | {"metadata": {"name": "a" * 254}})
    assert messages(too_long) == [f'metadata.name: Invalid value: "{"a" * 254}": must be no more than 253 characters']


def test_namespace_labels_and_annotations(vc):
    obj = request({"name": "demo"})
    obj["metadata"] = {
        "name": "demo",
        "namespace": "Team_A",
        "labels": {"ok": "yes", "tier": "-bad", "n": 3},
        "annotations": {"a/b/c": "x"},
    }
    assert messages(vc.admit(obj)) == [
        "metadata.labels.n: Invalid value: 3: json: cannot unmarshal number into Go struct field ObjectMeta.labels of type string",
        'metadata.namespace: Invalid value: "Team_A": a lowercase RFC 1123 label must consist of lower case '
        "alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  "
        "or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        'metadata.labels: Invalid value: "-bad": a valid label must be an empty string or consist of '
        "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
        "'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        'metadata.annotations: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '
        "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
        "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS "
        "subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ]


def test_a_missing_namespace_stays_missing(vc):
    obj = request({"name": "demo"})
    del obj["metadata"]["namespace"]
    a = vc.admit(obj)
    assert a.ok and "namespace" not in a.object["metadata"]


def test_cluster_scoped_drops_the_namespace():
    c = crd_with(spec_schema(), scope="Cluster")
    a = c.admit(thing({}, namespace="default"))
    assert a.ok and a.object["metadata"] == {"name": "t"}
    assert not c.namespaced


def test_non_object_input_is_an_error_not_an_exception(vc):
    a = vc.admit(["not", "an", "object"])
    assert messages(a) == ['<nil>: Invalid value: ["not","an","object"]: must be an object']


def test_yaml_values_are_normalised_like_kubectl_sends_them():
    c = crd_with(
        spec_schema(
            when={"type": "string"},
            count={"type": "integer"},
            m={"type": "object", "additionalProperties": {"type": "string"}},
        )
    )
    obj = load_one(
        "apiVersion: example.com/v1\nkind: Thing\nmetadata: {name: t}\nspec:\n  when: 2024-01-02\n  count: 3.0\n  m: {80: http}\n"
    )
    a = c.admit(obj)
    assert a.ok, messages(a)
    assert a.object["spec"] == {"when": "2024-01-02", "count": 3, "m": {"80": "http"}}


# ---- loading CRDs and Promises ----------------------------------------------------------------------------


def _vc_doc() -> dict[str, Any]:
    return load_one(VCLUSTER_CRD, "x")


def _set(path: str, value: Any):
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for p in parents:
            node = node[int(p)] if p.isdigit() else node[p]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value

    return mutate


_DELETE = object()
_SCHEMA = "spec.versions.0.schema.openAPIV3Schema"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (_set("spec.group", _DELETE), "bad.yaml: spec.group: Required value"),
        (
            _set("spec.group", "nodots"),
            'bad.yaml: spec.group: Invalid value: "nodots": should be a domain with at least one dot',
        ),
        (_set("spec.names.kind", _DELETE), "bad.yaml: spec.names.kind: Required value"),
        (_set("spec.names.plural", _DELETE), "bad.yaml: spec.names.plural: Required value"),
        (_set("spec.names.plural", "VClusters"), 'bad.yaml: spec.names.plural: Invalid value: "VClusters"'),
        (_set("spec.names", _DELETE), "bad.yaml: spec.names: Required value"),
        (_set("spec.versions", _DELETE), "bad.yaml: spec.versions: Required value"),
        (
            _set("spec.versions.0.schema", _DELETE),
            "bad.yaml: spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required",
        ),
        (
            _set("spec.versions.0.storage", False),
            "bad.yaml: spec.versions: Invalid value: must have exactly one version marked as storage version",
        ),
        (_set("spec.versions.0.name", "V1"), 'bad.yaml: spec.versions[0].name: Invalid value: "V1": a DNS-1035 label'),
        (
            _set("spec.scope", "Global"),
            'bad.yaml: spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
        ),
        (_set("spec.preserveUnknownFields", True), "bad.yaml: spec.preserveUnknownFields: Invalid value: true"),
        (_set("kind", "Deployment"), 'bad.yaml: kind: Invalid value: "Deployment": must be CustomResourceDefinition'),
        (_set("apiVersion", "apiextensions.k8s.io/v1beta1"), "no longer served since Kubernetes 1.22"),
        (
            _set(f"{_SCHEMA}.properties.spec.properties.name.type", "strin"),
            'bad.yaml: spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[name].type: Unsupported value: "strin"',
        ),
        (
            _set(f"{_SCHEMA}.properties.spec.properties.name.pattern", "^(?=a)"),
            'bad.yaml: spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[name].pattern: Invalid value: "^(?=a)": must be a valid regular expression, but isn\'t: error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
        ),
        (
            _set(f"{_SCHEMA}.properties.spec.properties.name.maxLength", -1),
            "properties[name].maxLength: Invalid value: -1: must be a non-negative integer",
        ),
        (
            _set(f"{_SCHEMA}.properties.spec.required", "name"),
            'properties[spec].required: Invalid value: "name": must be a list of strings',
        ),
        (
            _set(f"{_SCHEMA}.properties.spec.properties.items.items", [{"type": "string"}]),
            "properties[items].items: Forbidden: items must be a schema object and not an array",
        ),
        (
            _set(f"{_SCHEMA}.properties.spec.properties", "nope"),
            'properties[spec].properties: Invalid value: "nope": must be an object',
        ),
    ],
)
def test_malformed_crds_name_the_source_and_the_field(mutate, expected):
    doc = _vc_doc()
    mutate(doc)
    with pytest.raises(CRDError) as err:
        CRD.from_dict(doc, "bad.yaml")
    assert expected in str(err.value)
    assert isinstance(err.value, ValueError)


def test_two_storage_versions_are_refused():
    doc = load_one(MULTI_VERSION, "w")
    doc["spec"]["versions"][1]["storage"] = True
    with pytest.raises(
        CRDError, match=r'must have exactly one version marked as storage version \(marked: "v1", "v2"\)'
    ):
        CRD.from_dict(doc, "w.yaml")


def test_non_dict_crd():
    with pytest.raises(CRDError, match=r"^x.yaml: Invalid value: \"text\": must be a CustomResourceDefinition object$"):
        CRD.from_dict("text", "x.yaml")


def test_non_structural_crds_load_with_warnings():
    doc = _vc_doc()
    schema = doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    del schema["type"]
    spec = schema["properties"]["spec"]["properties"]
    spec["name"]["regex"] = "^x$"
    del spec["size"]["type"]
    spec["vcluster"]["properties"]["preset"]["default"] = "huge"
    spec["tags"]["uniqueItems"] = True
    c = CRD.from_dict(doc, "w.yaml")
    base = "spec.versions[0].schema.openAPIV3Schema"
    assert c.warnings == [
        f"{base}.type: Required value: must not be empty at the root",
        f'unknown field "{base}.properties[spec].properties[name].regex"',
        f'{base}.properties[spec].properties[vcluster].properties[preset].default: Invalid value: "huge": '
        '<default>: Unsupported value: "huge": supported values: "dev", "prod"',
        # the parent's default {} is defaulted before it is validated, so it inherits the bad preset
        f"{base}.properties[spec].properties[vcluster].default: Invalid value: {{}}: "
        '<default>.preset: Unsupported value: "huge": supported values: "dev", "prod"',
        f"{base}.properties[spec].properties[size].type: Required value: must not be empty for specified object fields",
        f"{base}.properties[spec].properties[tags].uniqueItems: Forbidden: uniqueItems cannot be set to true since "
        "the runtime complexity becomes quadratic",
    ]


def test_crd_identity(vc):
    assert (vc.group, vc.kind, vc.plural, vc.singular, vc.scope) == (
        "marketplace.kratix.io",
        "VCluster",
        "vclusters",
        "vcluster",
        "Namespaced",
    )
    assert (vc.list_kind, vc.short_names, vc.name) == ("VClusterList", ["vc"], "vclusters.marketplace.kratix.io")
    assert vc.api_versions == [API]
    with pytest.raises(CRDError, match=r'vcluster-crd.yaml: spec.versions: no version "v9"'):
        vc.schema("v9")


PROMISE = """
apiVersion: platform.kratix.io/v1alpha1
kind: Promise
metadata: {name: vcluster}
spec:
  api:
    spec:
      group: marketplace.kratix.io
      names: {kind: vcluster, plural: vclusters}
      scope: Namespaced
      versions:
      - name: v1alpha1
        served: true
        storage: true
        schema:
          openAPIV3Schema:
            type: object
            properties:
              spec: {type: object, properties: {namespace: {type: string, default: vc}}}
"""


def test_promise_api_without_the_crd_wrapper():
    crd = crd_from_promise(load_one(PROMISE, "promise.yaml"), "promise.yaml")
    assert crd is not None and crd.kind == "vcluster" and crd.warnings == []
    a = crd.admit(
        {"apiVersion": API, "kind": "vcluster", "metadata": {"name": "x"}, "spec": {}, "status": {"message": "hi"}}
    )
    assert a.ok and a.object["spec"] == {"namespace": "vc"} and "status" not in a.object
    # Kratix's status schema (preserve-unknown-fields) is on every version
    assert crd.schema("v1alpha1")["properties"]["status"]["x-kubernetes-preserve-unknown-fields"] is True


def test_dependencies_only_promise_has_no_crd():
    promise = {
        "apiVersion": "platform.kratix.io/v1alpha1",
        "kind": "Promise",
        "metadata": {"name": "cm"},
        "spec": {"dependencies": [{}]},
    }
    assert crd_from_promise(promise, "cm.yaml") is None
    assert crd_from_promise({**promise, "spec": {"api": None}}, "cm.yaml") is None


@pytest.mark.parametrize(
    ("promise", "expected"),
    [
        (
            {"kind": "Promise", "spec": {"api": "oops"}},
            'p.yaml: spec.api: Invalid value: "oops": must be a CustomResourceDefinition object',
        ),
        ({"kind": "Promise", "spec": {"api": {"spec": {"names": {}}}}}, "p.yaml: spec.api.spec.group: Required value"),
        (
            {"kind": "Promise", "spec": {"api": {"kind": "Service"}}},
            'p.yaml: spec.api.kind: Invalid value: "Service": must be CustomResourceDefinition',
        ),
        ({"kind": "PromiseRelease", "spec": {}}, 'p.yaml: kind: Invalid value: "PromiseRelease": must be Promise'),
        ({"kind": "Promise", "spec": []}, "p.yaml: spec: Invalid value: []: must be an object"),
        (["a list"], 'p.yaml: Invalid value: ["a list"]: a Promise must be an object'),
    ],
)
def test_unusable_promise_apis_name_the_file_and_field(promise, expected):
    with pytest.raises(CRDError) as err:
        crd_from_promise(promise, "p.yaml")
    assert str(err.value).startswith(expected)


# ---- explain -----------------------------------------------------------------------------------------------


def test_explain_a_nested_object(vc):
    node = explain(vc, "v1alpha1", "spec.vcluster")
    assert isinstance(node, ExplainNode)
    assert (node.path, node.name, node.type, node.default, node.required) == (
        "spec.vcluster",
        "vcluster",
        "Object",
        {},
        False,
    )
    assert node.description == "vCluster settings."
    assert [(f.name, f.type, f.required, f.default, f.enum) for f in node.fields] == [
        ("ha", "Object", False, None, None),
        ("preset", "string", False, "dev", ("dev", "prod")),
        ("replicas", "integer", False, 1, None),
    ]
    assert node.fields[1].summary == "Size preset."


def test_explain_a_leaf_with_constraints(vc):
    node = explain(vc, None, "vcluster.spec.name")  # kubectl-style resource prefix
    assert (node.path, node.type, node.required, node.pattern, node.max_length) == (
        "spec.name",
        "string",
        True,
        "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        63,
    )
    assert node.summary == "Name of the cluster."
    replicas = explain(vc, None, "spec.vcluster.replicas")
    assert (replicas.minimum, replicas.maximum, replicas.default) == (1, 5, 1)


def test_explain_root_lists_type_meta_and_spec(vc):
    root = explain(vc, None, "")
    assert (root.kind, root.version, root.group, root.type, root.description) == (
        "VCluster",
        "v1alpha1",
        "marketplace.kratix.io",
        "Object",
        "A virtual cluster.",
    )
    assert [(f.name, f.type) for f in root.fields] == [
        ("apiVersion", "string"),
        ("kind", "string"),
        ("metadata", "ObjectMeta"),
        ("spec", "Object"),
        ("status", "Object"),
    ]
    assert explain(vc, None, "vc").path == ""  # a short name is a resource name too
    labels = explain(vc, None, "metadata.labels")
    assert labels.type == "map[string]string"


def test_explain_types_and_arrays(vc):
    spec = {f.name: f.type for f in explain(vc, None, "spec").fields}
    assert spec["items"] == "[]Object" and spec["tags"] == "[]string" and spec["labels"] == "map[string]string"
    assert spec["port"] == "IntOrString" and spec["envs"] == "map[string]Object"
    item_name = explain(vc, None, "spec.items.name")  # arrays are looked through
    assert (item_name.type, item_name.required) == ("string", True)


def test_explain_unknown_field(vc):
    with pytest.raises(CRDError, match=r'field "spec.foo" does not exist'):
        explain(vc, None, "spec.foo")
    with pytest.raises(CRDError, match=r'field "spec.name.deeper" does not exist'):
        explain(vc, None, "spec.name.deeper")
    with pytest.raises(CRDError, match=r'no version "v2"'):
        explain(vc, "v2", "spec")


# ---- properties ------------------------------------------------------------------------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 12),
    st.floats(-2, 8, allow_nan=False).map(lambda f: round(f, 2)),
    st.sampled_from(["", "dev", "prod", "huge", "demo", "Bad_Name", "a" * 70, "80"]),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["name", "port", "x", "preset", "a", "known", "value"]), inner, max_size=3),
    ),
    max_leaves=8,
)
_spec_keys = st.sampled_from(
    ["name", "vcluster", "items", "labels", "envs", "values", "port", "note", "size", "tags", "colour"]
)
_vcluster = st.fixed_dictionaries(
    {}, optional={"preset": _values, "replicas": _values, "ha": _values, "colour": _values}
)
_specs = st.one_of(
    st.dictionaries(_spec_keys, _values, max_size=5),
    st.dictionaries(_spec_keys, _values, max_size=4).flatmap(lambda d: _vcluster.map(lambda v: {**d, "vcluster": v})),
)
_objects = st.builds(
    lambda spec, status, extra, ns: {
        "apiVersion": API,
        "kind": "VCluster",
        "metadata": {"name": "demo", **({"namespace": ns} if ns else {})},
        **({"spec": spec} if spec is not None else {}),
        **({"status": status} if status is not None else {}),
        **extra,
    },
    st.one_of(st.none(), _specs, _values),
    st.one_of(st.none(), _values),
    st.dictionaries(st.sampled_from(["extra", "other"]), _values, max_size=1),
    st.sampled_from([None, "default", "Bad_NS"]),
)


@settings(max_examples=300, deadline=None)
@given(_objects)
def test_admit_is_idempotent_and_never_mutates(obj):
    crd = CRD.from_dict(load_one(VCLUSTER_CRD, "vcluster-crd.yaml"), "vcluster-crd.yaml")
    before = copy.deepcopy(obj)
    first = crd.admit(obj)
    assert obj == before
    second = crd.admit(first.object)
    assert second.object == first.object
    assert second.pruned == []
    assert messages(second) == messages(first)
