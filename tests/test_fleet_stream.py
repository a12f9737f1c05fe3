"""A tracked fleet's first rows streamed in from forked processes (issue 15: the dashboard's first paint, memory
and both cores; ``kratix_lab.fleet.parallel._Stream``), and rows due computed a few at a time (``refresh(limit)``):
the rows equal the rows from scratch whatever happens meanwhile — a change made after a process read its rows, a
process that dies."""

from __future__ import annotations

import os
import sys

import pytest

from kratix_lab.diagnose import fleet
from kratix_lab.fleet import parallel as parallel_mod
from kratix_lab.fleet.rows import FleetRows
from kratix_lab.model.yamlio import load_one
from kratix_lab.sources.lab import LabSource
from tests.helpers import SAMPLES

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="streaming forks (POSIX)")


def request(i: int) -> dict:
    media = load_one((SAMPLES / "media.yaml").read_text())
    name = f"vc{i:02d}"
    media["metadata"] = {"name": name, "namespace": "platform-requests"}
    media["spec"].update(name=name, targetNamespace=f"vcluster-{name}", projectName=f"vcluster-{name}")
    media["spec"]["exposure"]["hostname"] = f"{name}.integratn.tech"
    return media


@pytest.fixture
def fleet_lab(lab):
    for i in range(5):
        lab.submit(request(i))
    assert lab.settle().quiescent
    return lab  # six vClusters: sandbox and vc00..vc04


@pytest.fixture
def small_stream(monkeypatch):
    """Streaming from 4 rows: 1 computed here, the rest by two processes, 2 rows a message."""
    monkeypatch.setattr(parallel_mod, "STREAM_FROM", 4)
    monkeypatch.setattr(parallel_mod, "STREAM_HERE", 1)
    monkeypatch.setattr(parallel_mod, "STREAM_CHUNK", 2)


def drain(rows: FleetRows, limit: int = 1) -> list[int]:
    pending = [rows.pending]
    while rows.pending:
        rows.refresh(limit=limit)
        pending.append(rows.pending)
    return pending


def test_the_first_rows_stream_in_and_equal_the_rows_from_scratch(fleet_lab, small_stream):
    source = LabSource(fleet_lab)
    rows = FleetRows(source, workers=2)
    first = rows.refresh(limit=1)
    import threading

    assert rows._stream is not None, f"six rows from four: streamed {threading.enumerate()} {rows.entries.keys()}"
    assert 1 <= len(first) < 6 and rows.pending == 6 - len(first)
    assert first[0] in fleet(source)
    pending = drain(rows)
    assert pending == sorted(pending, reverse=True) and pending[-1] == 0
    assert rows.rows() == fleet(source) and rows._stream is None
    assert rows._index.objects and "comparison_errors" in rows.memo  # what the processes' rows read, indexed here
    fleet_lab.reconcile("VClusterCore", "vc03", "platform-requests")
    touched = set()
    for _ in range(4):
        fleet_lab.step()
        assert rows.refresh() == fleet(source), rows.why
        touched |= set(rows.changed)
    assert touched == {("platform-requests", "vc03")}, rows.why  # incremental from then on


def test_a_refresh_without_a_limit_waits_for_every_row(fleet_lab, small_stream):
    source = LabSource(fleet_lab)
    rows = FleetRows(source, workers=2)
    assert rows.refresh() == fleet(source) and rows.pending == 0 and len(rows.changed) == 6


def test_a_change_after_a_process_read_its_rows_reaches_them_when_they_arrive(fleet_lab, small_stream):
    """The processes compute their rows and send them; the lab changes before they are taken: the rows arrive read
    before the change, are checked against every change since the stream began, and computed again here."""
    source = LabSource(fleet_lab)
    rows = FleetRows(source, workers=2)
    rows.refresh(limit=1)
    stream = rows._stream
    assert stream is not None
    for child in stream.children:  # every process has sent its rows (a few: they fit in the pipe): read before now
        assert child.conn.poll(60)
        child.process.join(60)  # (each body is read when its row asks: a row computed after the change is right)
    late = next(k for c in stream.children for k in c.todo)  # a row still in a process's pipe
    fleet_lab.faults.inject("pipeline-fails", promise="vcluster-core")
    fleet_lab.reconcile("VClusterCore", late[1], late[0])
    for _ in range(3):
        fleet_lab.step()
    drain(rows)
    assert late in rows.why, rows.why  # computed again after it arrived
    assert rows.rows() == fleet(source)
    row = next(r for r in rows.rows() if (r.namespace, r.name) == late)
    assert row.health == "Degraded" and row.stage == "pipeline"


def test_a_process_that_dies_leaves_its_rows_to_this_one(fleet_lab, small_stream, monkeypatch):
    def dies(send, *args):
        os._exit(3)

    monkeypatch.setattr(parallel_mod, "_stream_share", dies)
    source = LabSource(fleet_lab)
    rows = FleetRows(source, workers=2)
    assert rows.refresh() == fleet(source) and rows.pending == 0


def test_no_stream_below_its_size_with_one_worker_or_without_a_feed(fleet_lab, small_stream, monkeypatch):
    source = LabSource(fleet_lab)
    one = FleetRows(source, workers=1)
    one.refresh(limit=2)
    assert one._stream is None
    monkeypatch.setattr(parallel_mod, "STREAM_FROM", 7)
    seven = FleetRows(source, workers=2)
    seven.refresh(limit=2)
    assert seven._stream is None


def test_rows_due_are_computed_a_few_at_a_time_and_changes_meanwhile_are_kept(fleet_lab):
    """Without a stream (one worker), ``refresh(limit)`` computes at most ``limit`` of the rows due and says how
    many wait (``pending``); a change that reaches a row still waiting, or one already shown, is not lost."""
    source = LabSource(fleet_lab)
    rows = FleetRows(source, workers=1)
    assert len(rows.refresh(limit=2)) == 2 and rows.pending == 4
    fleet_lab.reconcile("VClusterCore", "vc04", "platform-requests")
    fleet_lab.reconcile("VClusterCore", "sandbox", "platform-requests")
    for _ in range(3):
        fleet_lab.step()
        rows.refresh(limit=1)
        assert rows.recomputed <= 1
    drain(rows, limit=1)
    assert rows.rows() == fleet(source)


def test_many_rows_reached_at_once_stream_in_too(fleet_lab, small_stream):
    """Every vCluster's kubeconfig-sync CronJob fires in the same lab minute: every row is reached. They are
    computed by forked processes as the first rows were (the memory they read goes with them), while the rows
    shown stay until replaced."""
    source = LabSource(fleet_lab)
    rows = FleetRows(source, workers=2)
    rows.refresh()
    fleet_lab.run_for(600)  # two */5 firings of every CronJob
    shown = rows.refresh(limit=1)
    assert rows._stream is not None and len(shown) == 6  # the old rows stay shown meanwhile
    drain(rows)
    assert rows.rows() == fleet(source)


def test_the_processes_fork_with_what_this_one_holds_frozen_and_this_one_collects_as_ever(
    fleet_lab, small_stream, monkeypatch, tmp_path
):
    """The processes are forked with this process's objects out of the collector's sight (``gc.freeze``: their
    collections do not touch, and so copy, the pages they share with it); this one is not left frozen."""
    import gc

    seen, share = tmp_path / "frozen", parallel_mod._stream_share

    def probe(send, *args):
        with seen.open("a") as f:
            f.write(f"{gc.get_freeze_count()}\n")
        return share(send, *args)

    monkeypatch.setattr(parallel_mod, "_stream_share", probe)
    source = LabSource(fleet_lab)
    rows = FleetRows(source, workers=2)
    assert rows.refresh() == fleet(source)
    counts = [int(n) for n in seen.read_text().split()]
    assert len(counts) == 2 and min(counts) > 10_000, counts
    assert gc.get_freeze_count() == 0


def test_the_processes_start_with_what_every_row_computes_alike(fleet_lab, small_stream, monkeypatch, tmp_path):
    """The first row is computed here, before the processes fork: the values every row computes alike
    (``Recorder.derived``: the Applications of the state repo, those that cannot compare) are computed once, here,
    and the processes start with them — each computing them would read every Application (issue 15: and copy the
    pages of this process's copy of them)."""
    from kratix_lab.fleet import deps as deps_mod

    seen, share, derive = tmp_path / "memo", parallel_mod._stream_share, deps_mod._derive

    def probe(send, s, rk, columns, todo, memo):
        computed = []

        def counting(source, compute):
            computed.append(compute)
            return derive(source, compute)

        deps_mod._derive = counting  # (in the forked process only)
        try:
            return share(send, s, rk, columns, todo, memo)
        finally:
            with seen.open("a") as f:
                f.write(f"{len(computed)} {' '.join(sorted(memo))}\n")

    monkeypatch.setattr(parallel_mod, "_stream_share", probe)
    source = LabSource(fleet_lab)
    rows = FleetRows(source, workers=2)
    first = rows.refresh(limit=1)
    assert rows._stream is not None and len(first) == 1 and rows.changed == [("platform-requests", "sandbox")]
    assert rows.refresh() == fleet(source)
    lines = seen.read_text().splitlines()
    assert len(lines) == 2
    for line in lines:
        computed, *names = line.split(" ")
        assert computed == "0", line  # nothing computed again there
        assert "comparison_errors" in names and any(n.startswith("apps-of-repo") for n in names), line


def test_a_new_vcluster_reaches_its_own_row_only(fleet_lab):
    """A row finds the Application that syncs its commit among the state repo's Applications (a value computed once
    for every row, ``apps_of_repo``): a new vCluster's own Application is a chart's, so it changes nothing there,
    and the new request reaches no other row (issue 15) — but for the kubeconfig-sync CronJobs, which every five lab
    minutes reach every row."""
    source = LabSource(fleet_lab)
    rows = FleetRows(source, workers=1)
    rows.refresh()
    repo = [k for k in rows.memo if k.startswith("apps-of-repo ")]
    assert len(repo) == 1 and rows.memo[repo[0]].value  # (name, path) of each Application of the state repo
    before = rows.memo[repo[0]].fingerprint
    fleet_lab.submit(request(7))
    new, others = ("platform-requests", "vc07"), {}
    for _ in range(40):
        fleet_lab.step()
        rows.refresh()
        others |= {k: rows.why[k] for k in rows.changed if k != new}
    assert rows.rows() == fleet(source)
    assert new in {(r.namespace, r.name) for r in rows.rows()}
    assert fleet_lab.store.get("Application", "vc07", "argocd", "argoproj.io") is not None
    assert rows.memo[repo[0]].fingerprint == before
    assert all(why.endswith("-kubeconfig-sync changed") for why in others.values()), others
