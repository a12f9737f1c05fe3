"""Field ownership (``kratix_lab/serve/fields.py``): managedFields, server-side apply conflicts and removals."""

from __future__ import annotations

import pytest

from kratix_lab.serve import fields
from kratix_lab.serve.status import ApiError

NOW = "2026-01-01T00:00:00Z"
AV = "example.com/v1"


def _obj(**spec):
    return {"apiVersion": AV, "kind": "Thing", "metadata": {"name": "a", "namespace": "ns", "uid": "u"}, "spec": spec}


def _owners(obj):
    return {
        (e["manager"], e["operation"]): fields.from_fields_v1(e["fieldsV1"]) for e in obj["metadata"]["managedFields"]
    }


def test_a_create_owns_every_field_it_set_but_identity_and_status():
    obj = _obj(a=1, b={"c": [1, 2]})
    obj["status"] = {"x": 1}
    obj["metadata"]["labels"] = {"team": "blue"}
    fields.record_update(None, obj, "kubectl-create", AV, NOW)
    assert _owners(obj) == {
        ("kubectl-create", "Update"): {("spec", "a"), ("spec", "b", "c"), ("metadata", "labels", "team")}
    }
    entry = obj["metadata"]["managedFields"][0]
    assert entry["fieldsType"] == "FieldsV1" and entry["time"] == NOW and entry["apiVersion"] == AV
    assert entry["fieldsV1"] == {
        "f:metadata": {"f:labels": {"f:team": {}}},
        "f:spec": {"f:a": {}, "f:b": {"f:c": {}}},
    }


def test_an_update_takes_over_only_the_fields_it_changed():
    obj = _obj(a=1, b=2)
    fields.record_update(None, obj, "creator", AV, NOW)
    new = _obj(a=1, b=3)
    new["metadata"]["managedFields"] = obj["metadata"]["managedFields"]
    fields.record_update(obj, new, "kubectl-patch", AV, NOW)
    assert _owners(new) == {("creator", "Update"): {("spec", "a")}, ("kubectl-patch", "Update"): {("spec", "b")}}


def test_apply_conflicts_with_another_managers_different_value_and_names_it():
    live = _obj(replicas=1, image="x")
    fields.record_update(None, live, "kubectl-patch", AV, NOW)
    with pytest.raises(ApiError) as e:
        fields.apply(live, _obj(replicas=2, image="x"), "kubectl", AV, NOW, force=False)
    err = e.value
    assert err.code == 409 and err.reason == "Conflict"
    assert str(err) == (
        f'Apply failed with 1 conflict: conflict with "kubectl-patch" using {AV} at {NOW}: .spec.replicas'
    )
    assert err.status()["details"]["causes"] == [
        {
            "reason": "FieldManagerConflict",
            "message": f'conflict with "kubectl-patch" using {AV} at {NOW}',
            "field": ".spec.replicas",
        }
    ]


def test_apply_with_the_same_value_shares_the_field_and_force_takes_it_over():
    live = _obj(replicas=1, image="x")
    fields.record_update(None, live, "creator", AV, NOW)
    shared = fields.apply(live, _obj(replicas=1), "kubectl", AV, NOW, force=False)
    assert _owners(shared) == {
        ("creator", "Update"): {("spec", "replicas"), ("spec", "image")},
        ("kubectl", "Apply"): {("spec", "replicas")},
    }
    forced = fields.apply(live, _obj(replicas=5), "kubectl", AV, NOW, force=True)
    assert forced["spec"] == {"replicas": 5, "image": "x"}
    assert _owners(forced) == {("creator", "Update"): {("spec", "image")}, ("kubectl", "Apply"): {("spec", "replicas")}}


def test_many_conflicts_are_listed_by_manager():
    live = _obj(a=1, b=1)
    fields.record_update(None, live, "one", AV, NOW)
    with pytest.raises(ApiError) as e:
        fields.apply(live, _obj(a=2, b=2), "kubectl", AV, NOW, force=False)
    assert str(e.value).startswith('Apply failed with 2 conflicts: conflicts with "one" using')
    assert str(e.value).endswith(":\n- .spec.a\n- .spec.b")


def test_a_field_left_out_of_the_next_apply_is_removed_unless_someone_else_owns_it():
    live = _obj()
    first = fields.apply(
        live, {**_obj(a=1, b=1), "metadata": {"name": "a", "labels": {"x": "1"}}}, "me", AV, NOW, force=False
    )
    assert first["spec"] == {"a": 1, "b": 1} and first["metadata"]["labels"] == {"x": "1"}
    second = fields.apply(first, _obj(a=1), "me", AV, NOW, force=False)
    assert second["spec"] == {"a": 1} and "labels" not in second["metadata"]
    # another manager owns b too: it stays
    other = fields.apply(first, _obj(b=1), "other", AV, NOW, force=False)
    third = fields.apply(other, _obj(a=1), "me", AV, NOW, force=False)
    assert third["spec"] == {"a": 1, "b": 1}


def test_status_is_owned_through_the_status_subresource_only():
    live = _obj(a=1)
    live["status"] = {"phase": "x"}
    new = fields.apply(live, {**_obj(a=1), "status": {"phase": "y"}}, "me", AV, NOW, force=False)
    assert new["status"] == {"phase": "x"}  # the main resource ignores status
    st = fields.apply(live, {**_obj(a=9), "status": {"phase": "y"}}, "ctl", AV, NOW, force=False, subresource="status")
    assert st["status"] == {"phase": "y"} and st["spec"] == {"a": 1}
    assert st["metadata"]["managedFields"][0]["subresource"] == "status"


@pytest.mark.parametrize(
    ("params", "agent", "apply", "want"),
    [
        ({"fieldManager": "kubectl-label"}, "kubectl/v1.32", False, "kubectl-label"),
        ({}, "OpenAPI-Generator/35.0.0/python", False, "OpenAPI-Generator"),
        ({}, "", False, "unknown"),
    ],
)
def test_the_manager_is_the_parameter_or_the_user_agents_product(params, agent, apply, want):
    assert fields.manager_of(params, agent, apply=apply) == want


def test_an_apply_needs_a_field_manager_and_a_long_one_is_refused():
    with pytest.raises(ApiError, match="fieldManager is required for apply requests"):
        fields.manager_of({}, "kubectl/v1.32", apply=True)
    with pytest.raises(ApiError, match="may not be more than 128"):
        fields.manager_of({"fieldManager": "m" * 129}, "", apply=False)


def test_fields_v1_round_trips():
    paths = {("spec", "a"), ("spec", "b", "c"), ("metadata", "labels", "x.y/z")}
    assert fields.from_fields_v1(fields.to_fields_v1(paths)) == paths
