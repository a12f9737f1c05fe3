"""The workloads controller skips by resourceVersion the objects it has seen left alone (``_World``'s ``alone``: the
Kratix pipelines' Jobs and Pods, ~16,000 objects at 1,000 vClusters that the dashboard's clock kept parsed for its
life and listed three times a round) and never keeps them parsed. Skipping must change nothing: after any sequence
of submits, deletes, faults, reconciles, gitops commits, steps and runs, a lab whose workloads controller skips them
and one that reads every object every round hold the same objects, events, logs, meta values and commits; an object
that stops being left alone (a new resourceVersion) is reconciled at once."""

from __future__ import annotations

import shutil

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kratix_lab.platform.controller import Context
from kratix_lab.platform.lab import Lab
from kratix_lab.platform.store import Store
from kratix_lab.platform.workloads import WorkloadsController
from kratix_lab.platform.workloads.objects import WORKLOADS, left_alone
from tests.test_fleet_incremental import OPS, apply
from tests.test_lab_quiet_rounds import state


def workloads(lab: Lab) -> WorkloadsController:
    return next(c for c in lab.controllers if isinstance(c, WorkloadsController))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(OPS, min_size=3, max_size=10))
@example(ops=[("step", 1), ("delete", "sandbox"), ("run", 30)])  # no pipeline pod left (found in CI)
def test_skipping_what_is_left_alone_leaves_the_lab_as_reading_everything_would(
    dev_lab_template, tmp_path_factory, ops
):
    where = tmp_path_factory.mktemp("alone")
    shutil.copytree(dev_lab_template, where / "skips")
    shutil.copytree(dev_lab_template, where / "reads")
    skips, reads = Lab(where / "skips", create=False), Lab(where / "reads", create=False)
    workloads(reads).skips_left_alone = False
    for lab in (skips, reads):
        lab.skips_quiet_rounds = False  # every round runs: the skip is used in each
        lab.store.keep_compact()
    with skips, reads:
        for op in [*ops, ("step", 3)]:
            apply(skips, op)
            apply(reads, op)
            assert state(skips) == state(reads), op
        alone = workloads(skips)._alone
        skipped = {}
        for kind in ("Pod", "Job"):  # the pipelines' pods and jobs in the lab are those skipped
            there = {(o["metadata"]["namespace"], o["metadata"]["name"]) for o in skips.store.list(kind)}
            skipped[kind] = {k for k in there if k in alone.get(kind, {})}
            assert skipped[kind] == {
                (o["metadata"]["namespace"], o["metadata"]["name"]) for o in skips.store.list(kind) if left_alone(o)
            }
        # not kept by the workloads controller (Kratix keeps the Jobs of a pipeline it is running: ``_current_job``)
        assert not [key for key in skips.store._parsed if key[1] == "Pod" and (key[2], key[3]) in alone.get("Pod", {})]
        assert len(skips.store._parsed) <= len(reads.store._parsed)
        if skipped["Pod"]:  # (a lab whose requests were all deleted has no pipeline pod left: nothing to keep less of)
            assert len(skips.store._parsed) < len(reads.store._parsed)


def pod(name: str, annotations: dict[str, str]) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "annotations": annotations},
        "spec": {"containers": [{"name": "app", "image": "nginx"}]},
    }


def test_an_object_left_alone_is_neither_kept_nor_read_again_until_it_changes(tmp_path, monkeypatch):
    store = Store(tmp_path / "s.db")
    ctx, ctl = Context(store=store, lab_dir=tmp_path, faults={}), WorkloadsController()
    store.create(pod("ignored", {WORKLOADS: "ignore"}))
    store.create(pod("run", {}))
    ctl.reconcile(ctx)
    assert ("", "Pod", "default", "ignored") not in store._parsed  # read, found left alone, not kept
    assert ctl._alone["Pod"] == {("default", "ignored"): store.rv("", "Pod", "default", "ignored")}
    read: list[str] = []
    inner = store._shared
    monkeypatch.setattr(store, "_shared", lambda key, rv, **kw: read.append(key[3]) or inner(key, rv, **kw))
    ctl.reconcile(ctx)
    ctl.next_due(ctx)
    assert "ignored" not in read  # skipped by resourceVersion
    changed = store.get("Pod", "ignored", "default")
    del changed["metadata"]["annotations"][WORKLOADS]
    store.update(changed)  # no longer left alone: a new resourceVersion
    ctl.reconcile(ctx)
    got = store.get("Pod", "ignored", "default")
    assert got["spec"].get("nodeName") and got["status"].get("phase"), "bound and run as soon as it changed"
    assert ctl._alone["Pod"] == {}
