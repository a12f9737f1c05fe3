"""x-kubernetes-validations (CEL) at admission.

Upstream: kubernetes staging/src/k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel/validation.go
(validateExpressions: null values skipped, transition rules only with an old value, the value omitted for
objects/arrays, ``fieldPath`` appended; ruleMessageOrDefault → "failed rule: <rule>"; fieldErrorForReason).
Evaluated with the ``common-expression-language`` package (cel-rust bindings), not a hand-written interpreter.
"""

from __future__ import annotations

import pytest

from kratix_lab.schema.engine import validate

OBJ = {
    "type": "object",
    "properties": {"chart": {"type": "string"}, "path": {"type": "string"}, "n": {"type": "integer"}},
    "x-kubernetes-validations": [{"rule": "has(self.chart) != has(self.path)"}],
}


def _msgs(obj, schema, old=None):
    return [str(e) for e in validate(obj, schema, "spec", old=old)]


def test_default_message_and_the_schema_type_as_value():
    """validation.go ruleMessageOrDefault: no message → "failed rule: <rule>"; the error's value is the schema type
    (``sts.Type``), as kubectl shows it: `Invalid value: "object": …` (e.g. grafana/k6-operator#697)."""
    assert _msgs({"chart": "a", "path": "b"}, OBJ) == [
        'spec: Invalid value: "object": failed rule: has(self.chart) != has(self.path)'
    ]
    assert _msgs({"chart": "a"}, OBJ) == []
    assert _msgs({}, OBJ) == ['spec: Invalid value: "object": failed rule: has(self.chart) != has(self.path)']


def test_scalar_rule_message_and_field_path():
    """validation.go: the schema type as the value; message trimmed; fieldPath appended to the path."""
    s = {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "x-kubernetes-validations": [{"rule": "self < 5", "message": " too big "}]}
        },
        "x-kubernetes-validations": [{"rule": "self.n != 4", "message": "not four", "fieldPath": ".n"}],
    }
    assert _msgs({"n": 7}, s) == ['spec.n: Invalid value: "integer": too big']
    assert _msgs({"n": 4}, s) == ['spec.n: Invalid value: "object": not four']


def test_reason_required_and_forbidden():
    """validation.go fieldErrorForReason: FieldValueRequired / FieldValueForbidden."""
    s = {
        "type": "object",
        "x-kubernetes-validations": [{"rule": "has(self.a)", "message": "a please", "reason": "FieldValueRequired"}],
    }
    assert _msgs({}, s) == ["spec: Required value: a please"]
    s["x-kubernetes-validations"][0]["reason"] = "FieldValueForbidden"
    assert _msgs({}, s) == ["spec: Forbidden: a please"]


def test_transition_rule_runs_only_on_update():
    """validation.go: rules using oldSelf are skipped without an old value (create)."""
    s = {"type": "string", "x-kubernetes-validations": [{"rule": "self == oldSelf", "message": "immutable"}]}
    assert validate("a", s) == []
    assert [str(e) for e in validate("b", s, "spec.x", old="a")] == ['spec.x: Invalid value: "string": immutable']
    assert validate("a", s, "spec.x", old="a") == []


def test_string_list_regex_and_url_libraries():
    """apiserver pkg/cel/library (strings/lists/regex, urls.go isURL) as rules in upstream CRDs use them."""
    s = {
        "type": "object",
        "x-kubernetes-validations": [
            {"rule": "self.items.all(i, i.matches('^[a-z]+$'))", "message": "lowercase"},
            {"rule": "isURL(self.url)", "message": "url"},
            {"rule": "self.items.size() <= 2", "message": "few"},
        ],
    }
    assert _msgs({"items": ["a", "b"], "url": "https://x.example/p"}, s) == []
    assert _msgs({"items": ["A", "b", "c"], "url": "not a url"}, s) == [
        'spec: Invalid value: "object": lowercase',
        'spec: Invalid value: "object": url',
        'spec: Invalid value: "object": few',
    ]


def test_runtime_error_is_reported_not_raised():
    """validation.go: "<err> evaluating rule: <rule>" for no-such-key and friends."""
    s = {"type": "object", "x-kubernetes-validations": [{"rule": "self.missing == 1"}]}
    (msg,) = _msgs({}, s)
    assert msg.startswith('spec: Invalid value: "object": ') and "evaluating rule: self.missing == 1" in msg


def test_null_is_not_validated():
    """validation.go: only non-null values are validated."""
    s = {"type": "object", "nullable": True, "x-kubernetes-validations": [{"rule": "false"}]}
    assert validate(None, s) == []


def test_crd_with_a_bad_rule_is_refused():
    """The CRD's rule must compile (apiextensions validation: compilation failed)."""
    from kratix_lab.errors import Invalid
    from kratix_lab.schema.crd import CRD

    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "things.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "Thing", "plural": "things", "singular": "thing", "listKind": "ThingList"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-validations": [{"rule": "self.("}]}},
                }
            ],
        },
    }
    with pytest.raises(Invalid, match=r"x-kubernetes-validations\[0\]\.rule.*compilation failed"):
        CRD.from_dict(crd)


def test_catalogue_application_with_chart_and_path_is_refused_at_admission(capsys):
    """The seed's chart-or-path rule is a CEL rule on the ArgocdApplication CRD: `validate` exits 1."""
    from pathlib import Path

    from kratix_lab.cli import main

    sample = Path(__file__).parent.parent / "sample_requests" / "invalid" / "application-chart-and-path.yaml"
    assert main(["validate", str(sample)]) == 1
    assert 'spec.source: Invalid value: "object": exactly one of chart' in capsys.readouterr().err
