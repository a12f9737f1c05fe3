"""kubectl get's columns come from one per-kind table (views.kube_view.KIND_COLUMNS); a kind it does not list
shows AGE (and LABELS with -o wide), and a Kratix request shows Kratix's printer columns."""

from __future__ import annotations

from kratix_lab.views.kube_view import KIND_COLUMNS, kind_columns, request_columns

NOW = 3600
META = {"name": "x", "namespace": "ns", "creationTimestamp": "2026-01-01T00:00:00Z", "labels": {"a": "b"}}


def test_each_listed_kind_has_its_columns_and_wide_adds_to_them():
    assert set(KIND_COLUMNS) == {
        "Pod", "Deployment", "StatefulSet", "ReplicaSet", "Application", "Work", "WorkPlacement", "Job",
        "Destination", "Namespace",
    }  # fmt: skip
    for kind in KIND_COLUMNS:
        narrow, _ = kind_columns({"kind": kind, "metadata": META}, NOW, False)
        wide, cells = kind_columns({"kind": kind, "metadata": META}, NOW, True)
        assert wide[: len(narrow)] == narrow, kind
        assert len(wide) == len(cells), kind


def test_a_kind_not_listed_shows_age_and_labels_when_wide():
    obj = {"kind": "ConfigMap", "metadata": META}
    assert kind_columns(obj, NOW, False) == (["AGE"], ["60m"])
    assert kind_columns(obj, NOW, True) == (["AGE", "LABELS"], ["60m", "a=b"])
    assert kind_columns({"metadata": META}, NOW, False) == (["AGE"], ["60m"])  # no kind at all


def test_a_failed_job_and_a_terminating_namespace():
    job = {
        "kind": "Job",
        "metadata": META,
        "spec": {"completions": 1, "template": {"spec": {"containers": [{"name": "c", "image": "i:1"}]}}},
        "status": {"conditions": [{"type": "Failed", "status": "True"}]},
    }
    h, c = kind_columns(job, NOW, True)
    assert dict(zip(h, c, strict=True))["STATUS"] == "Failed"
    assert dict(zip(h, c, strict=True))["COMPLETIONS"] == "0/1"
    ns = {"kind": "Namespace", "metadata": {**META, "deletionTimestamp": "2026-01-01T00:30:00Z"}}
    assert kind_columns(ns, NOW, False) == (["STATUS", "AGE"], ["Terminating", "60m"])


def test_a_request_names_its_promise_only_when_wide():
    asked = []

    def promise():
        asked.append(1)
        return "vcluster-orchestrator"

    obj = {"kind": "VClusterOrchestrator", "metadata": {**META, "generation": 2}, "status": {"message": "ok"}}
    assert request_columns(obj, NOW, False, promise) == (["MESSAGE", "STATUS", "AGE"], ["ok", "", "60m"])
    assert not asked
    h, c = request_columns(obj, NOW, True, promise)
    assert h[3:] == ["PROMISE", "GENERATION", "OBSERVED GENERATION"]
    assert c[3:] == ["vcluster-orchestrator", "2", "<none>"]
