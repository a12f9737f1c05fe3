"""Incremental fleet rows (issue 15, ``kratix_lab.fleet.rows``): after any sequence of submits, deletes, fault injects
and clears, reconciles and steps, the rows kept incrementally equal the rows computed from scratch
(``diagnose.fleet``) — a hypothesis property test over the faults the diagnose tests use — and a change reaches only
the rows that read what changed."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kratix_lab.diagnose import fleet
from kratix_lab.diagnose.fleet import FleetMembers
from kratix_lab.errors import KratixLabError
from kratix_lab.fleet.index import _Index
from kratix_lab.fleet.proxies import TDict, TInt, TStr, plain, wrap
from kratix_lab.fleet.rows import FleetRows
from kratix_lab.fleet.track import MISSING, Facts
from kratix_lab.model.yamlio import load_one
from kratix_lab.platform.lab import GITOPS_IDENTITY, Lab
from kratix_lab.sources.lab import LabSource
from kratix_lab.trace import resolve
from tests.helpers import SAMPLES

# the faults of tests/test_diagnose.py's SCENARIOS, with their parameters for the dev lab's "sandbox"
FAULTS = [
    ("pipeline-fails", {"promise": "vcluster-core"}),
    ("destination-unlabelled", {}),
    ("statestore-push-rejected", {}),
    ("argocd-autosync-disabled", {}),
    ("pipeline-image-stale", {}),
    ("workload-oomkilled", {"namespace": "vcluster-sandbox", "name": "sandbox-0"}),
    ("secret-item-missing", {"item": "vcluster-sandbox-kubeconfig"}),
    ("workload-crashloop", {"namespace": "vcluster-sandbox", "name": "sandbox-0"}),
]
FAULT_NAMES = [f for f, _ in FAULTS]


def under_fault(lab: Lab, fault: str, params: dict) -> Iterator[str]:
    """``fault`` injected and the sandbox reconciled: yields "mid-flight" after one step, then "settled" after a
    lab minute — the two moments the fleet tests compare rows at."""
    lab.faults.inject(fault, **params)
    lab.reconcile("VClusterCore", "sandbox", "platform-requests")
    lab.step()
    yield "mid-flight"
    lab.run_for(60)
    yield "settled"


OPS = st.one_of(
    st.tuples(st.just("step"), st.integers(1, 3)),
    st.tuples(st.just("run"), st.sampled_from([30, 120])),
    st.tuples(st.just("submit"), st.sampled_from(["media.yaml", "dev.yaml"])),
    st.tuples(st.just("delete"), st.sampled_from(["sandbox", "media"])),
    st.tuples(st.just("inject"), st.integers(0, len(FAULTS) - 1)),
    st.tuples(st.just("clear"), st.integers(0, len(FAULTS) - 1)),
    st.tuples(st.just("reconcile"), st.sampled_from(["sandbox", "media"])),
    st.tuples(st.just("gitops"), st.sampled_from(["refused", "not-yaml", "fix"])),
)

# straight to the gitops repo (skipping submit's checks): a request the API server refuses, a file Argo CD cannot
# read (a ComparisonError on the Application every request row reads: only the facts about it reach those rows)
GITOPS = {
    "refused": {"platform/vclusters/huge.yaml": (SAMPLES / "invalid" / "bad-enum.yaml").read_bytes()},
    "not-yaml": {"platform/vclusters/broken.yaml": b"kind: [unclosed\n"},
    "fix": {"platform/vclusters/huge.yaml": None, "platform/vclusters/broken.yaml": None},
}


def apply(lab: Lab, op: tuple[str, object]) -> None:
    what, arg = op
    try:
        if what == "step":
            for _ in range(int(arg)):  # type: ignore[call-overload]
                lab.step()
        elif what == "run":
            lab.run_for(int(arg))  # type: ignore[call-overload]
        elif what == "submit":
            lab.submit(SAMPLES / str(arg))
        elif what == "delete":
            lab.delete("VClusterOrchestrator", str(arg), "platform-requests")
        elif what == "inject":
            name, params = FAULTS[int(arg)]  # type: ignore[call-overload]
            lab.faults.inject(name, **params)
        elif what == "clear":
            lab.faults.clear(FAULT_NAMES[int(arg)])  # type: ignore[call-overload]
        elif what == "reconcile":
            lab.reconcile("VClusterCore", str(arg), "platform-requests")
        elif what == "gitops":
            lab.gitops_repo.write_files(GITOPS[str(arg)], f"gitops {arg}", GITOPS_IDENTITY, lab.store.now_seconds())
            lab.gitops_repo.sync_worktree()
    except KratixLabError:
        pass  # refused (a fault already active, nothing to delete): the lab is unchanged, the rows must be too


def index_of(rows: FleetRows) -> dict[str, object]:
    """The index of what each row read, as one built afresh from the rows' dependencies would be."""
    return vars(rows._index)


def rebuilt(rows: FleetRows) -> dict[str, object]:
    index = _Index()
    for key, entry in rows.entries.items():
        index.add(key, entry.deps)
    return vars(index)


def check(rows: FleetRows, source: LabSource, why: object = None) -> None:
    """The kept rows equal the rows from scratch, and the index the rows are found by is the one their dependencies
    make (nothing left behind by a row computed again or removed)."""
    assert rows.refresh() == fleet(source), why if why is not None else rows.why
    assert index_of(rows) == rebuilt(rows)
    # the members kept from change to change are the ones read afresh
    assert rows._members._members() == FleetMembers().whole(source, resolve(source, rows.kind))


@pytest.fixture(scope="module")
def base(dev_lab_template, tmp_path_factory):
    return dev_lab_template


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(OPS, min_size=3, max_size=10))
def test_incremental_rows_equal_rows_from_scratch(base, tmp_path_factory, ops):
    path = tmp_path_factory.mktemp("incremental") / "lab"
    shutil.copytree(base, path)
    with Lab(path, create=False) as lab:
        source = LabSource(lab)
        rows = FleetRows(source)
        check(rows, source)
        for op in ops:
            apply(lab, op)
            check(rows, source, (op, rows.why))
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize(("fault", "params"), FAULTS, ids=FAULT_NAMES)
def test_each_fault_injected_and_cleared_keeps_the_rows_right(lab, fault, params):
    """Every fault of the diagnose scenarios, injected then cleared, with a second vCluster beside the one it hits:
    the kept rows equal the rows from scratch at every step."""
    lab.submit(SAMPLES / "media.yaml")
    lab.settle()
    source = LabSource(lab)
    rows = FleetRows(source)
    rows.refresh()
    lab.faults.inject(fault, **params)
    lab.reconcile("VClusterCore", "sandbox", "platform-requests")
    for _ in range(6):
        lab.step()
        check(rows, source)
    lab.run_for(60)
    check(rows, source)
    lab.faults.clear(fault)
    lab.reconcile("VClusterCore", "sandbox", "platform-requests")
    lab.run_for(400)
    lab.settle()
    check(rows, source)


def test_a_change_to_one_request_recomputes_only_its_row(lab):
    lab.submit(SAMPLES / "media.yaml")
    lab.settle()
    source = LabSource(lab)
    rows = FleetRows(source)
    rows.refresh()
    assert rows.refresh() == fleet(source) and rows.recomputed == 0  # nothing changed: nothing computed
    lab.faults.inject("pipeline-fails", promise="vcluster-core")
    lab.reconcile("VClusterCore", "sandbox", "platform-requests")
    touched = set()
    for _ in range(4):
        lab.step()
        rows.refresh()
        touched |= set(rows.changed)
    assert touched == {("platform-requests", "sandbox")}, rows.why
    row = next(r for r in rows.rows() if r.name == "sandbox")
    assert row.health == "Degraded" and row.stage == "pipeline"


def test_the_state_reconcilers_sync_reaches_only_the_row_whose_commit_it_syncs(lab):
    """Reconciling media writes a new commit; Argo CD's state reconciler (read by every row) syncs it: the sandbox
    row's facts about it (its own commit is still an ancestor of the synced revision) hold, so it is not computed."""
    lab.submit(SAMPLES / "media.yaml")
    lab.settle()
    source = LabSource(lab)
    rows = FleetRows(source)
    rows.refresh()
    before = source.get("Application", "kratix-state-reconciler", "argocd", "argoproj.io")["metadata"][
        "resourceVersion"
    ]
    media = load_one((SAMPLES / "media.yaml").read_text())
    media["spec"]["exposure"]["hostname"] = "media-renamed.integratn.tech"
    lab.submit(media)
    touched = set()
    for _ in range(8):
        lab.step()
        rows.refresh()
        touched |= set(rows.changed)
    after = source.get("Application", "kratix-state-reconciler", "argocd", "argoproj.io")["metadata"]["resourceVersion"]
    assert rows.rows() == fleet(source)
    assert before != after  # the state reconciler synced media's new commit
    assert ("platform-requests", "media") in touched
    assert ("platform-requests", "sandbox") not in touched, rows.why


# ---- the facts kept about a shared object --------------------------------------------------------


def _hold(facts: Facts, obj: object) -> bool:
    return facts.hold(obj, lambda a, d: d.startswith(a), lambda t: int(t) if t.isdigit() else None)


def test_facts_record_what_was_read_not_the_whole_object():
    obj = {"status": {"sync": {"revision": "abc123", "status": "Synced"}, "health": {"status": "Healthy"}}}
    facts = Facts()
    app = wrap(obj, facts, ())
    rev = app["status"]["sync"]["revision"]
    assert isinstance(app, TDict) and isinstance(rev, TStr)
    assert rev  # truth is a fact; the value is not
    facts.settle("output without the revision")
    changed = {"status": {"sync": {"revision": "fff999", "status": "OutOfSync"}, "health": {"status": "Degraded"}}}
    assert _hold(facts, changed)  # only that a revision exists was read
    assert not _hold(facts, {"status": {"sync": {"status": "Synced"}}})  # the revision is gone
    assert not _hold(facts, None)


def test_a_formatted_value_is_a_fact_only_when_it_reaches_the_output():
    obj = {"status": {"sync": {"revision": "abcdef123456"}}}
    shown, hidden = Facts(), Facts()
    for facts, output in ((shown, "synced at abcdef12"), (hidden, "healthy")):
        rev = wrap(obj, facts, ())["status"]["sync"]["revision"]
        _ = f"synced at {str(rev)[:8]}"
        facts.settle(output)
    other = {"status": {"sync": {"revision": "99999999aaaa"}}}
    assert not _hold(shown, other)
    assert _hold(hidden, other)


def test_ancestry_and_times_are_facts_about_the_answer():
    facts = Facts()
    app = wrap({"status": {"sync": {"revision": "c2"}, "reconciledAt": "100"}}, facts, ())
    rev, at = app["status"]["sync"]["revision"], app["status"]["reconciledAt"]
    facts.add(rev._path, "ancestor", "c", True)  # as Recorder.is_ancestor records it
    t = TInt(100, facts, at._path)
    assert t > 50 and plain(t) == 100
    facts.settle("")
    assert _hold(facts, {"status": {"sync": {"revision": "c3"}, "reconciledAt": "100"}})  # still a descendant of c
    assert not _hold(facts, {"status": {"sync": {"revision": "d1"}, "reconciledAt": "100"}})
    assert not _hold(facts, {"status": {"sync": {"revision": "c3"}, "reconciledAt": "101"}})  # whole: plain(t)


def test_a_missing_key_and_a_refused_write_on_a_shared_object():
    facts = Facts()
    app = wrap({"status": {}}, facts, ())
    assert app["status"].get("conditions") is None
    assert facts.seen[(("status",), "get", "conditions")] == MISSING
    with pytest.raises(TypeError, match="read-only"):
        app["status"]["x"] = 1
    assert not _hold(facts, {"status": {"conditions": []}})


def test_a_part_read_again_is_the_same_proxy_and_records_the_same_facts():
    """A row reads the state reconciler's status once for each of its commits: the parts are made once
    (``TDict._kids``, ``TList._kids``), and the facts are those of one read."""
    obj = {"status": {"sync": {"revision": "abc"}, "conditions": [{"type": "X"}]}}
    once, twice = Facts(), Facts()
    for facts, times in ((once, 1), (twice, 2)):
        app = wrap(obj, facts, ())
        for _ in range(times):
            st = app.get("status")
            assert st.get("sync") is st["sync"] and st["sync"]["revision"] == "abc"
            assert [c.get("type") for c in st["conditions"]] == ["X"]
            assert st["conditions"][0] is st["conditions"][-1]
    assert twice.seen == once.seen
    assert (("status", "conditions"), "item", 0) in once.seen


def test_a_followed_strings_methods_record_its_whole_value():
    for method, args, out in (("startswith", ("ab",), True), ("split", ("b",), ["a", "c"]), ("upper", (), "ABC")):
        facts = Facts()
        rev = wrap({"r": "abc"}, facts, ())["r"]
        assert getattr(rev, method)(*args) == out
        assert facts.seen[(("r",), "whole", None)] == "abc", method
    facts = Facts()
    rev = wrap({"r": "abc"}, facts, ())["r"]
    assert rev._path == ("r",) and (("r",), "whole", None) not in facts.seen  # its own attributes record nothing


def test_the_recorder_gives_one_proxy_per_shared_object_while_it_is_the_same(lab):
    from kratix_lab.fleet.deps import Deps, Recorder

    source = LabSource(lab)
    rec = Recorder(source, Deps())
    first = rec.get("Application", "kratix-state-reconciler", "argocd", "argoproj.io")
    again = rec.get("Application", "kratix-state-reconciler", "argocd", "argoproj.io")
    assert isinstance(first, TDict) and again is first  # the source gives the very object again (kept parsed)
    plain_app = plain(first)
    other = Recorder(_Gives(plain_app), rec.deps)  # a source that gives an equal object, not the same one
    assert other.get("Application", "x", "argocd") is not other.get("Application", "x", "argocd")


class _Gives:
    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def get(self, *args: Any) -> Any:
        return dict(self.obj)


def test_a_file_argo_cd_cannot_read_reaches_every_row_through_the_facts(lab):
    """A ComparisonError on the Application that applies the requests changes no request's own objects: only the
    facts the rows keep about that Application tell them (every request row gains the app-comparison-error
    warning)."""
    source = LabSource(lab)
    rows = FleetRows(source)
    rows.refresh()
    apply(lab, ("gitops", "not-yaml"))
    for _ in range(3):
        lab.step()
        assert rows.refresh() == fleet(source), rows.why
    assert "cannot read git" in next(r for r in rows.rows() if r.name == "sandbox").message
    apply(lab, ("gitops", "fix"))
    lab.settle()
    assert rows.refresh() == fleet(source), rows.why
    assert "cannot read git" not in next(r for r in rows.rows() if r.name == "sandbox").message


def test_the_applications_that_cannot_compare_are_computed_once_for_every_row(lab):
    """diagnose's scan of every Application for a ComparisonError (``comparison_errors``) is a value computed once
    for all rows (``Recorder.derived``): no row records facts about Applications it did not take, and after an
    Application changes the scan is made again once — the rows that used it are computed again only when its answer
    moved."""
    source = LabSource(lab)
    rows = FleetRows(source)
    rows.refresh()
    assert "comparison_errors" in rows.memo and rows.memo["comparison_errors"].value == ()  # (per Application)
    assert rows.memo["comparison_errors"].kinds == {"Application"}
    for entry in rows.entries.values():
        assert "comparison_errors" in entry.deps.derived
        apps = {k for k in entry.deps.shared if k[0] == "Application"}
        assert len(apps) <= 3, apps  # the one that syncs its commit, its own, the platform's — not every one
    lab.reconcile("VClusterCore", "sandbox", "platform-requests")  # the state reconciler syncs a new commit
    lab.settle()
    check(rows, source)
    assert not any("comparison_errors" in why for why in rows.why.values()), rows.why
    apply(lab, ("gitops", "not-yaml"))
    reasons: list[str] = []
    for _ in range(3):
        lab.step()
        check(rows, source)
        reasons += rows.why.values()
    assert rows.memo["comparison_errors"].value != []
    assert any("comparison_errors changed" in why for why in reasons), reasons


def test_rows_removed_leave_nothing_in_the_index(lab):
    source = LabSource(lab)
    rows = FleetRows(source)
    rows.refresh()
    assert rows._index.objects and rows._index.queries
    lab.delete("VClusterOrchestrator", "sandbox", "platform-requests")
    lab.settle()
    check(rows, source)
    assert rows.rows() == []
    assert not any(vars(rows._index).values()), {k: v for k, v in vars(rows._index).items() if v}


def test_the_lab_feed_reports_writes_removals_and_logs_once(lab):
    from kratix_lab.fleet.feeds import LabFeed

    feed = LabFeed(lab)
    assert feed.poll().objects == set()
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "probe", "namespace": "default"}}
    lab.store.create(cm)
    lab.store.write_log("default", "probe-pod", "main", "hello\n")
    changes = feed.poll()
    assert ("ConfigMap", "default", "probe") in changes.objects
    assert changes.logs == {("default", "probe-pod")}
    assert feed.poll().objects == set() and feed.poll().logs == set()  # reported once
    lab.store.delete("ConfigMap", "probe", "default")
    assert ("ConfigMap", "default", "probe") in feed.poll().objects  # a removal too


def test_a_followed_value_pickles_as_its_plain_value_and_records_it_whole():
    """A row can carry a followed value out to another process (the dashboard's fleet worker): it pickles as the
    plain str/int, and sending it is a use of the whole value (a fact)."""
    import pickle

    facts = Facts()
    app = wrap({"status": {"sync": {"revision": "abc123"}, "reconciledAt": "100"}}, facts, ())
    rev = app["status"]["sync"]["revision"]
    t = TInt(100, facts, app["status"]["reconciledAt"]._path)
    assert (pickle.loads(pickle.dumps(rev)), pickle.loads(pickle.dumps(t))) == ("abc123", 100)
    assert type(pickle.loads(pickle.dumps([rev, t]))[0]) is str
    assert facts.seen[(("status", "sync", "revision"), "whole", None)] == "abc123"
    assert facts.seen[(("status", "reconciledAt"), "ts:whole", None)] == 100


def test_a_fleet_row_reads_no_log_of_a_pipeline_run_that_succeeded(lab):
    """A kept row (dashboard, ``status -w``, live) never shows a succeeded run's log, so it does not read it (live,
    each log is a request to the API server); a failed run's log is read — its last line is the row's message."""
    from kratix_lab.trace import trace

    source = LabSource(lab)
    rows = FleetRows(source)
    rows.refresh()
    assert all(not e.deps.logs for e in rows.entries.values())
    jobs = [
        n for n, _ in trace(source, "VClusterOrchestrator", "sandbox", "platform-requests").walk() if n.kind == "Job"
    ]
    assert jobs and any(n.evidence["logTail"] for n in jobs)  # a trace, as ever, shows them
    quiet = trace(source, "VClusterOrchestrator", "sandbox", "platform-requests", healthy_logs=False)
    assert not any(n.evidence["logTail"] for n, _ in quiet.walk() if n.kind == "Job")
    assert not any(n.evidence["pods"] for n, _ in quiet.walk() if n.kind == "Job")  # nor their pods listed
    assert any(n.evidence["pods"] for n in jobs)
    lab.faults.inject("pipeline-fails", promise="vcluster-core")
    lab.reconcile("VClusterCore", "sandbox", "platform-requests")
    for _ in range(4):
        lab.step()
        check(rows, source)
    assert any(e.deps.logs for e in rows.entries.values())


def _chain(*shas: str) -> Any:
    """An ``is_ancestor`` over one first-parent chain ``shas`` (oldest first) that counts what it is asked."""
    asked: list[tuple[str, str]] = []

    def ancestor(a: str, b: str) -> bool:
        asked.append((a, b))
        return a in shas and b in shas and shas.index(a) <= shas.index(b)

    ancestor.asked = asked  # type: ignore[attr-defined]
    return ancestor


def _reconciler(rev: str) -> dict[str, Any]:
    return {"status": {"sync": {"revision": rev}, "operationState": {"syncResult": {"revision": rev}}}}


def _synced_commits(facts: Facts, rev: str, commits: dict[str, bool]) -> None:
    """A row that read the reconciler at ``rev`` and asked whether each commit was synced (as the trace does)."""
    facts.saw(_reconciler(rev))
    for sha, answer in commits.items():
        facts.add(("status", "sync", "revision"), "ancestor", sha, answer)
    facts.settle("")


def test_ancestries_that_held_on_an_ancestor_revision_are_not_asked_again():
    facts = Facts()
    _synced_commits(facts, "r2", {"c0": True, "c1": True, "r3": False})
    ancestor = _chain("c0", "c1", "r2", "r3", "r4")
    assert facts.broken(_reconciler("r4"), ancestor, lambda s: None) is not None  # r3 is an ancestor of r4 now
    assert ("r2", "r4") in ancestor.asked
    assert ("c0", "r4") not in ancestor.asked and ("c1", "r4") not in ancestor.asked  # true on r2, so on r4
    facts = Facts()
    _synced_commits(facts, "r2", {"c0": True, "c1": True})
    ancestor = _chain("c0", "c1", "r2", "r3")
    assert facts.broken(_reconciler("r3"), ancestor, lambda s: None) is None
    assert facts.at == (
        (("status", "sync", "revision"), "r3"),
        (("status", "operationState", "syncResult", "revision"), "r3"),
    )  # they hold on r3 now: the next check starts from there


def test_ancestries_after_a_rewound_history_are_asked_again():
    facts = Facts()
    _synced_commits(facts, "r2", {"c0": True, "c1": True})
    rewound = _chain("c0", "x1")  # r2 and c1 are not on the new revision's chain
    assert facts.broken(_reconciler("x1"), rewound, lambda s: None) is not None
    assert ("c1", "x1") in rewound.asked


def test_a_row_that_read_two_revisions_assumes_nothing_of_either():
    facts = Facts()
    facts.saw(_reconciler("r1"))
    facts.saw(_reconciler("r2"))  # the reconciler changed while the row was computed
    facts.add(("status", "sync", "revision"), "ancestor", "c2", True)
    facts.settle("")
    assert facts.at is None
    ancestor = _chain("c0", "r1", "r2", "r3")  # c2 is on no chain: not an ancestor of r3
    assert facts.broken(_reconciler("r3"), ancestor, lambda s: None) is not None


def test_the_members_are_read_whole_once_then_where_requests_and_applications_changed(lab, monkeypatch):
    source = LabSource(lab)
    rows = FleetRows(source)
    wholes, changed = [], []
    real_whole, real_changed = FleetMembers.whole, FleetMembers.changed
    monkeypatch.setattr(FleetMembers, "whole", lambda self, s, rk: wholes.append(1) or real_whole(self, s, rk))
    monkeypatch.setattr(
        FleetMembers, "changed", lambda self, s, rk, keys: changed.append(set(keys)) or real_changed(self, s, rk, keys)
    )
    check(rows, source)
    assert len(wholes) == 2  # the rows' first refresh, and check's own afresh
    lab.submit(SAMPLES / "media.yaml")
    lab.settle()
    check(rows, source)
    assert len(wholes) == 3, "read whole again"
    assert any(("VClusterOrchestrator", "platform-requests", "media") in keys for keys in changed)
    assert all(k[0] in ("VClusterOrchestrator", "Application") for keys in changed for k in keys)
    lab.gitops_repo.write_files(GITOPS["refused"], "gitops refused", GITOPS_IDENTITY, lab.store.now_seconds())
    lab.gitops_repo.sync_worktree()
    lab.settle()
    check(rows, source)  # a request only in git: a member that is not in the cluster
    assert any(not live for (_, _, live) in (e.member for e in rows.entries.values()))
