"""``Lab.apply`` is kubectl's client-side apply: the last-applied annotation and the three-way removal.

kubernetes/kubectl ``pkg/util/apply.go:71-117`` (GetModifiedConfiguration: the annotation is the object as given,
without the annotation itself), ``pkg/cmd/apply/apply.go:675-689`` (written on a create), ``pkg/util/apply.go:29-46``
with ``pkg/cmd/apply/patcher.go:126`` (the previous configuration read back for the three-way patch, so a field
the previous apply set and this one does not is removed)."""

from __future__ import annotations

import json

import pytest

from kratix_lab import Lab
from kratix_lab.kube.applied import LAST_APPLIED, last_applied
from kratix_lab.platform.lab import AdmissionError


@pytest.fixture
def lab(tmp_path):
    with Lab(tmp_path / "lab") as lab:
        yield lab


def cm(data: dict, labels: dict | None = None) -> dict:
    meta: dict = {"name": "settings", "namespace": "default"}
    if labels is not None:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def live(lab: Lab) -> dict:
    return lab.get("ConfigMap", "settings", "default")


def test_the_annotation_is_the_configuration_as_kubectl_writes_it(lab):
    assert lab.apply(cm({"b": "2", "a": "1"})) == "created"
    text = live(lab)["metadata"]["annotations"][LAST_APPLIED]
    # sorted keys and no spaces (Go's json.Marshal of a map), annotations present and empty, no status
    assert text == (
        '{"apiVersion":"v1","data":{"a":"1","b":"2"},"kind":"ConfigMap",'
        '"metadata":{"annotations":{},"name":"settings","namespace":"default"}}'
    )
    assert lab.apply(cm({"b": "2", "a": "1"})) == "unchanged"


def test_a_key_the_last_apply_set_and_this_one_drops_is_removed(lab):
    lab.apply(cm({"a": "1", "b": "2"}, labels={"team": "x", "tier": "web"}))
    assert lab.apply(cm({"a": "1"}, labels={"team": "x"})) == "configured"
    obj = live(lab)
    assert obj["data"] == {"a": "1"}
    assert obj["metadata"]["labels"] == {"team": "x"}
    assert last_applied(obj)["data"] == {"a": "1"}


def test_an_empty_data_map_removes_every_key_the_last_apply_set(lab):
    lab.apply(cm({"a": "1", "b": "2"}))
    assert lab.apply(cm({})) == "configured"
    assert not live(lab).get("data")


def test_a_key_someone_else_added_survives_an_apply_that_never_set_it(lab):
    """Three-way, not replace: a field outside the last-applied configuration is not the applier's to remove."""
    lab.apply(cm({"a": "1"}))
    other = live(lab)
    other["data"]["added-by-hand"] = "yes"
    lab.store.update(other)
    lab.apply(cm({"a": "2"}))
    assert live(lab)["data"] == {"a": "2", "added-by-hand": "yes"}


def test_an_object_without_the_annotation_gets_a_two_way_merge(lab):
    """kubectl applies to an object created otherwise (no annotation) without removing anything, then records."""
    lab.store.create(cm({"a": "1", "b": "2"}))
    lab.apply(cm({"a": "1"}))
    obj = live(lab)
    assert obj["data"] == {"a": "1", "b": "2"}
    assert json.loads(obj["metadata"]["annotations"][LAST_APPLIED])["data"] == {"a": "1"}
    lab.apply(cm({}))  # now the annotation says a was applied: it goes, b (never applied) stays
    assert live(lab)["data"] == {"b": "2"}


def test_a_damaged_annotation_falls_back_to_the_two_way_merge(lab):
    lab.apply(cm({"a": "1", "b": "2"}))
    obj = live(lab)
    obj["metadata"]["annotations"][LAST_APPLIED] = "{not json"
    lab.store.update(obj)
    lab.apply(cm({"a": "1"}))
    assert live(lab)["data"] == {"a": "1", "b": "2"}
    assert last_applied(live(lab)) == json.loads(live(lab)["metadata"]["annotations"][LAST_APPLIED])


def test_an_object_the_api_server_refuses_is_not_recorded(lab):
    lab.apply(cm({"a": "1"}))
    bad = cm({"b": "2"}, labels={"team": "not a valid value!"})
    with pytest.raises(AdmissionError, match="metadata.labels"):
        lab.apply(bad)
    obj = live(lab)
    assert obj["data"] == {"a": "1"} and last_applied(obj)["data"] == {"a": "1"}
