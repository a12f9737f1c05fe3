"""Live fleet rows through the watch cache (issue 15's live budget, against ``kratix-lab serve``): the watch connections
a fleet's ``status -w`` holds do not grow with the number of vClusters (counted at the server), nothing is listed
again while rows are kept (watches that end are resumed, not re-listed), a change reaches its row through the watch,
and the trimmed cache (no managedFields, no WorkPlacement payloads) gives direct mode's rows and traces. Speed is
bench/bench_live_fleet.py's business; nothing here is timed (``wait_for`` only bounds a wait)."""

from __future__ import annotations

import contextlib
import json

from kratix_lab.diagnose import fleet
from kratix_lab.fleet.rows import FleetRows
from kratix_lab.live import cache
from kratix_lab.live.cache import CachedSource
from kratix_lab.live.source import KRATIX
from kratix_lab.platform.lab import STATE_URL, Lab
from kratix_lab.sources.factory import open_live
from kratix_lab.trace import trace
from kratix_lab.views.trace_view import node_json as trace_json
from tests.live.conftest import live_source, served
from tests.live.test_cache import wait_for

GROUP = "platform.integratn.tech"


def dev(name: str) -> dict:
    return {
        "apiVersion": f"{GROUP}/v1alpha1",
        "kind": "VClusterOrchestrator",
        "metadata": {"name": name, "namespace": "platform-requests"},
        "spec": {"name": name},
    }


@contextlib.contextmanager
def fleet_status(run, path, cache_dir, repos=None):
    """What ``status -w`` keeps live: a started watch cache and the fleet's rows over its change feed."""
    direct = open_live(
        kubeconfig=run.kubeconfig, repos=repos or {STATE_URL: str(path / "state.git")}, cache_dir=cache_dir
    )
    src = CachedSource(direct.kube, direct.repos).start()
    try:
        rows = FleetRows(src)
        rows.refresh()
        wait_for(lambda: run.server.open_watches() == len(src.informers), "every informer watching, at the server")
        yield src, rows
    finally:
        src.stop()


def watched(run) -> dict[str, int]:
    with run.server._counts_lock:
        return {r: n for r, n in run.server.watches.items() if n}


def lists_of_watched(run) -> int:
    """LISTs served of the watched resources. What is not watched is asked each time a row is computed — a row in
    trouble lists its object's events (field-selected), by design (``kratix_lab/live/cache.py``) — and how many times
    a row is computed while its pod is in trouble is timing; a re-list of a watched kind is the budget."""
    kinds = set(watched(run))
    with run.server._counts_lock:
        return sum(n for (verb, resource), n in run.server.requests.items() if verb == "LIST" and resource in kinds)


def test_the_watches_of_a_fleet_status_do_not_grow_with_the_fleet(lab, tmp_path):
    path = lab.path
    lab.submit(dev("second"))
    assert lab.settle().quiescent
    lab.close()
    seen = {}
    with served(path, tmp_path / "kubeconfig") as run, fleet_status(run, path, tmp_path / "c") as (src, rows):
        assert len(rows.rows()) == 2
        seen[2] = watched(run)
    with Lab(path, create=False) as again:
        for name in ("third", "fourth", "fifth", "sixth"):
            again.submit(dev(name))
        assert again.settle().quiescent
    with served(path, tmp_path / "kubeconfig") as run, fleet_status(run, path, tmp_path / "c") as (src, rows):
        assert len(rows.rows()) == 6
        seen[6] = watched(run)
        assert run.server.open_watches() == len(src.informers)
    assert seen[2] == seen[6], "the same kinds, each watched once, whatever the number of vClusters"
    assert set(seen[6].values()) == {1}, "one cluster-wide watch per kind (none per namespace or per selector)"
    assert sum(seen[6].values()) <= 20
    assert "pods" in seen[6] and f"vclusterorchestrators.{GROUP}" in seen[6]


def test_nothing_is_listed_again_while_rows_are_kept(lab, tmp_path, monkeypatch):
    """Lab steps while ``status -w`` keeps its rows, and every watch ends (the server's timeout) and is resumed from
    its resourceVersion: not one LIST at the server after the first sync."""
    path = lab.path
    lab.close()
    monkeypatch.setattr(cache, "WATCH_SECONDS", 1)  # each watch ends after a second: resumed, never re-listed
    with served(path, tmp_path / "kubeconfig") as run, fleet_status(run, path, tmp_path / "c") as (src, rows):
        lists = run.server.lists()
        watches = sum(i.watches for i in src.informers.values())
        for _ in range(4):
            with run.api.lock:
                run.api.lab.step()
            run.api.hub.poll()
            rows.refresh()
        wait_for(lambda: sum(i.watches for i in src.informers.values()) >= watches + len(src.informers), "resumes")
        rows.refresh()
        assert run.server.lists() == lists, "a LIST after the first sync"
        assert all(i.lists == 1 for i in src.informers.values())
        assert run.server.open_watches() <= len(src.informers)


def test_a_change_reaches_its_row_through_the_watch_without_a_relist(lab, tmp_path):
    path = lab.path
    lab.close()
    with served(path, tmp_path / "kubeconfig") as run, fleet_status(run, path, tmp_path / "c") as (src, rows):
        (before,) = rows.rows()
        assert before.health == "Healthy"
        lists = lists_of_watched(run)
        assert lists >= len(src.informers)  # each watched kind listed once at the sync: the count counts
        src.wait_change(0)  # forget the first sync's changes
        with run.api.lock:
            run.api.lab.faults.inject("workload-oomkilled", namespace="vcluster-sandbox", name="sandbox")
        for _ in range(12):  # until the lab itself shows the pod in trouble
            with run.api.lock:
                run.api.lab.step()
            run.api.hub.poll()
            assert src.wait_change(20), "status -w is woken by the change (no polling tick)"
            wait_for(lambda: rows.refresh() is not None and rows.rows()[0] != before, "the row to change", 20)
            if rows.rows()[0].health == "Degraded":
                break
        (after,) = rows.rows()
        assert after.health == "Degraded" and after.stage == "pod", after
        assert rows.why, "the row was recomputed because of a change the watch delivered"
        assert lists_of_watched(run) == lists, "the change came through the watch, not a re-list"
        assert all(i.lists == 1 for i in src.informers.values())
        direct = live_source(run.kubeconfig, path, tmp_path / "d")
        assert rows.rows() == fleet(direct)


def test_the_trimmed_cache_gives_direct_modes_rows_and_traces(lab, tmp_path):
    path = lab.path
    lab.close()
    with served(path, tmp_path / "kubeconfig") as run:
        direct = live_source(run.kubeconfig, path, tmp_path / "d")
        with fleet_status(run, path, tmp_path / "c") as (src, rows):
            full = direct.list("WorkPlacement", group=KRATIX)
            assert any("content" in w for wp in full for w in wp["spec"]["workloads"]), "direct mode has payloads"
            kept = src.list("WorkPlacement", group=KRATIX)
            assert sorted(wp["metadata"]["name"] for wp in kept) == sorted(wp["metadata"]["name"] for wp in full)
            assert all("content" not in w for wp in kept for w in wp["spec"]["workloads"]), "payloads trimmed"
            assert [w["filepath"] for wp in kept for w in wp["spec"]["workloads"]] == [
                w["filepath"] for wp in full for w in wp["spec"]["workloads"]
            ]
            assert all(
                "managedFields" not in o["metadata"] for inf in src.informers.values() for o in inf.objects.values()
            )
            applied = cache.LAST_APPLIED
            full_sts = direct.list("StatefulSet", group="apps")
            assert any(applied in (o["metadata"].get("annotations") or {}) for o in full_sts), "direct mode has it"
            kept_sts = {o["metadata"]["name"]: o for o in src.list("StatefulSet", group="apps")}
            for o in full_sts:
                others = {k: v for k, v in (o["metadata"].get("annotations") or {}).items() if k != applied}
                assert (kept_sts[o["metadata"]["name"]]["metadata"].get("annotations") or {}) == others
            assert rows.rows() == fleet(direct)
            a = trace_json(trace(src, "vco", "sandbox", "platform-requests"))
            b = trace_json(trace(direct, "vco", "sandbox", "platform-requests"))
            assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_payloads_are_kept_where_the_state_repo_cannot_be_read(lab, tmp_path):
    """With the state repo unreadable a trace reads a WorkPlacement's own files: the cache keeps them, and its trace
    (files "read from the WorkPlacement's spec.workloads instead") is direct mode's."""
    path = lab.path
    lab.close()
    nowhere = {STATE_URL: str(tmp_path / "no-such-repo.git")}
    with served(path, tmp_path / "kubeconfig") as run:
        direct = open_live(kubeconfig=run.kubeconfig, repos=nowhere, cache_dir=tmp_path / "d")
        with fleet_status(run, path, tmp_path / "c", repos=nowhere) as (src, rows):
            assert src.trimmed_destinations == frozenset()
            kept = src.list("WorkPlacement", group=KRATIX)
            assert kept and all("content" in w for wp in kept for w in wp["spec"]["workloads"])
            a = trace_json(trace(src, "vco", "sandbox", "platform-requests"))
            b = trace_json(trace(direct, "vco", "sandbox", "platform-requests"))
            assert "read from the WorkPlacement's spec.workloads instead" in json.dumps(a)
            assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
            assert rows.rows() == fleet(direct)


def test_an_identity_that_may_not_read_the_state_stores_keeps_every_payload(lab, tmp_path):
    """Which WorkPlacements may lose their payloads is decided from the GitStateStores: an identity that may not list
    them (403) still gets a started cache, and nothing trimmed."""
    import yaml

    from kratix_lab.live.doctor import allowed_resources, cluster_role

    path = lab.path
    lab.close()
    with served(path, tmp_path / "kubeconfig") as run:
        direct = live_source(run.kubeconfig, path, tmp_path / "d")
        run.server.limited["nostores"] = allowed_resources(cluster_role(direct)) - {f"gitstatestores.{KRATIX}"}
        doc = yaml.safe_load(run.kubeconfig.read_text())
        doc["users"][0]["user"]["token"] = "nostores"
        limited = tmp_path / "limited"
        limited.write_text(yaml.safe_dump(doc))
        live = open_live(kubeconfig=limited, repos={STATE_URL: str(path / "state.git")}, cache_dir=tmp_path / "c")
        src = CachedSource(live.kube, live.repos).start()
        try:
            assert src.trimmed_destinations == frozenset()
            kept = src.list("WorkPlacement", group=KRATIX)
            assert kept and all("content" in w for wp in kept for w in wp["spec"]["workloads"])
        finally:
            src.stop()
