"""Controllers remember what they concluded of an object by its resourceVersion (``platform.controller.Concluded``):
the scheduler and the state-store writer each WorkPlacement, Kratix each Work's request, the modelled cluster each
Service, Ingress and ExternalSecret, the vCluster syncer each Application — read again only when it changed, never kept
parsed by the store; Kratix does not read a settled request again while it, its Promise and its Works are unchanged
and its interval is not due (``KratixController._still_settled``), nor Argo CD an Application whose comparison's
inputs are unchanged (``ArgoCDController._unchanged``). Remembering must change nothing: after any sequence of submits, deletes,
faults, reconciles, gitops commits, steps and runs, a lab whose controllers remember and one whose controllers read
every object every round hold the same objects, events, logs, meta values and commits; and the store of the one that
remembers keeps none of those objects parsed."""

from __future__ import annotations

import shutil

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kratix_lab.platform.argocd import ArgoCDController
from kratix_lab.platform.controller import Concluded, Context
from kratix_lab.platform.kratix import KratixController
from kratix_lab.platform.lab import Lab
from kratix_lab.platform.store import Store
from tests.test_fleet_incremental import OPS, apply
from tests.test_lab_quiet_rounds import state

# kinds no controller keeps parsed once its round is over (Kratix reads a running request's Works while it handles it)
NOT_KEPT = ("WorkPlacement", "Service", "Ingress", "ExternalSecret", "Application", "AppProject", "Namespace")


def concluded(lab: Lab) -> list[Concluded]:
    """Every ``Concluded`` of the lab's controllers."""
    return [v for c in lab.controllers for v in vars(c).values() if isinstance(v, Concluded)]


def reading_everything(lab: Lab) -> Lab:
    """``lab`` with controllers that read every object every round, as before they remembered."""
    for c in concluded(lab):
        c.reads_everything = True
    for c in lab.controllers:
        if isinstance(c, KratixController):
            c.skips_settled = False
        if isinstance(c, ArgoCDController):
            c.skips_unchanged = False
    return lab


def test_the_controllers_that_look_at_every_object_remember_by_version(lab):
    kinds = {(c.kind, c.group) for c in concluded(lab)}
    assert kinds == {
        ("Work", "platform.kratix.io"),
        ("WorkPlacement", "platform.kratix.io"),
        ("Service", ""),
        ("Ingress", "networking.k8s.io"),
        ("ExternalSecret", "external-secrets.io"),
        ("Application", "argoproj.io"),
        ("Namespace", ""),
    }


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(OPS, min_size=3, max_size=10))
@example(ops=[("submit", "media.yaml"), ("run", 120), ("delete", "media"), ("run", 120)])
@example(ops=[("inject", 0), ("step", 3), ("clear", 0), ("run", 30)])
@example(ops=[("step", 1), ("run", 120), ("reconcile", "sandbox"), ("step", 2), ("inject", 1), ("run", 120)])
def test_remembering_by_version_leaves_the_lab_as_reading_everything_would(dev_lab_template, tmp_path_factory, ops):
    where = tmp_path_factory.mktemp("concluded")
    shutil.copytree(dev_lab_template, where / "remembers")
    shutil.copytree(dev_lab_template, where / "reads")
    remembers, reads = Lab(where / "remembers", create=False), reading_everything(Lab(where / "reads", create=False))
    for one in (remembers, reads):
        one.skips_quiet_rounds = False  # every round runs: what is remembered is used in each
        one.store.keep_compact()
    with remembers, reads:
        for op in [*ops, ("step", 3)]:
            apply(remembers, op)
            apply(reads, op)
            assert state(remembers) == state(reads), op
        requests = {p.crd.kind for p in remembers.promises() if p.crd}
        assert not [key for key in remembers.store._parsed if key[1] in NOT_KEPT or key[1] in requests]
        assert {key for key in remembers.store._parsed if key[1] == "Work"} <= {
            key for key in reads.store._parsed if key[1] == "Work"
        }


def service(name: str, **spec: object) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"ports": [{"port": 80}], **spec},
    }


def test_an_object_is_read_again_only_when_its_version_changed(tmp_path, monkeypatch):
    store = Store(tmp_path / "s.db")
    store.create(service("a"))
    store.create(service("b", clusterIP="10.0.0.9"))
    seen = Concluded("Service", "", lambda svc: bool(svc["spec"].get("clusterIP")))
    first = seen.each(store)
    assert [(s.name, s.conclusion, s.obj is not None) for s in first] == [("a", False, True), ("b", True, True)]
    assert not [key for key in store._parsed if key[1] == "Service"]  # read, not kept
    read: list[str] = []
    inner = store._shared
    monkeypatch.setattr(store, "_shared", lambda key, rv, **kw: read.append(key[3]) or inner(key, rv, **kw))
    again = seen.each(store)
    assert read == [] and [(s.name, s.conclusion, s.obj) for s in again] == [("a", False, None), ("b", True, None)]
    assert seen.read(store, again[0])["metadata"]["name"] == "a"  # read when asked, not kept either
    assert read == ["a"] and not [key for key in store._parsed if key[1] == "Service"]
    changed = store.get("Service", "a", "default")
    changed["spec"]["clusterIP"] = "10.0.0.1"
    store.update(changed)
    store.delete("Service", "b", "default")
    read.clear()  # (the update read what it replaced)
    now = seen.each(store)
    assert read == ["a"] and [(s.name, s.conclusion) for s in now] == [("a", True)]  # b forgotten
    store.create(service("b"))  # the same name again: a new resourceVersion, concluded anew
    assert [(s.name, s.conclusion) for s in seen.each(store)] == [("a", True), ("b", False)]


def test_a_service_whose_ip_is_taken_away_gets_one_again(tmp_path):
    from kratix_lab.platform.cluster import ClusterController

    store = Store(tmp_path / "s.db")
    ctx, ctl = Context(store=store, lab_dir=tmp_path, faults={}), ClusterController()
    store.create(service("web"))
    assert ctl._services(ctx) == 1
    ip = store.get("Service", "web", "default")["spec"]["clusterIP"]
    assert ip.startswith("10.43.") and ctl._services(ctx) == 0  # remembered: nothing to do, nothing read
    svc = store.get("Service", "web", "default")
    svc["spec"]["clusterIP"] = ""
    store.update(svc)
    assert ctl._services(ctx) == 1 and store.get("Service", "web", "default")["spec"]["clusterIP"] == ip


def test_a_list_that_keeps_nothing_gives_what_a_kept_list_gives(tmp_path):
    store = Store(tmp_path / "s.db")
    for i in range(40):  # more than BULK_READ_FROM: the kind's bodies read in one query
        store.create(
            service(f"s{i:02}")
            | {"metadata": {"name": f"s{i:02}", "namespace": "default", "labels": {"n": str(i % 2)}}}
        )
    for selector in (None, {"n": "1"}):
        loose = store.list("Service", selector=selector, group="", readonly=True, keep=False)
        assert not [key for key in store._parsed if key[1] == "Service"]
        kept = store.list("Service", selector=selector, group="", readonly=True)
        assert loose == kept and len(kept) == (40 if selector is None else 20)
        assert len([key for key in store._parsed if key[1] == "Service"]) == len(kept)
        again = store.list("Service", selector=selector, group="", readonly=True, keep=False)
        assert all(a is b for a, b in zip(again, kept, strict=True))  # the cache's copies when it holds them
        store._parsed.clear()


def test_a_settled_request_not_read_again_still_runs_when_its_interval_is_due(dev_lab_template, tmp_path, monkeypatch):
    """The reconciliation interval is the one decision about a settled request that the clock alone makes
    (dynamic_resource_request_controller.go:1472-1500): a request not read again is re-run when it is due, as one
    read every round is."""
    from kratix_lab.platform import kratix

    monkeypatch.setattr(kratix, "RECONCILIATION_INTERVAL", 600)  # (10 h upstream: a lab's CronJobs run meanwhile)
    shutil.copytree(dev_lab_template, tmp_path / "remembers")
    shutil.copytree(dev_lab_template, tmp_path / "reads")
    remembers, reads = (
        Lab(tmp_path / "remembers", create=False),
        reading_everything(Lab(tmp_path / "reads", create=False)),
    )
    with remembers, reads:
        jobs = len(remembers.store.list("Job", "platform-requests"))
        for one in (remembers, reads):
            one.run_for(900)
        assert state(remembers) == state(reads)
        assert len(remembers.store.list("Job", "platform-requests")) > jobs  # the interval ran the workflows again


def test_many_objects_to_read_are_read_in_one_query(tmp_path, monkeypatch):
    from kratix_lab.platform.controller import BULK_FROM

    store = Store(tmp_path / "s.db")
    for i in range(BULK_FROM + 10):
        store.create(service(f"s{i:03}", **({"clusterIP": "10.0.0.1"} if i % 3 == 0 else {})))
    lists: list[str] = []
    inner, one = store.rows, store.get
    monkeypatch.setattr(store, "rows", lambda kind, group: lists.append(kind) or inner(kind, group))
    monkeypatch.setattr(store, "get", lambda kind, *a, **kw: lists.append(f"one {kind}") or one(kind, *a, **kw))
    seen = Concluded("Service", "", lambda svc: bool(svc["spec"].get("clusterIP")))
    first = seen.each(store)
    assert lists == ["Service"]  # a first round: one query (its bodies parsed one at a time)
    assert [(s.name, s.conclusion) for s in first] == [(f"s{i:03}", i % 3 == 0) for i in range(BULK_FROM + 10)]
    assert all(s.obj is not None for s in first) and not store._parsed
    changed = store.get("Service", "s001", "default")
    changed["spec"]["clusterIP"] = "10.0.0.2"
    store.update(changed)
    lists.clear()
    again = seen.each(store)
    assert lists == ["one Service"] and [s.name for s in again if s.obj is not None] == ["s001"]  # one read, on its own
    assert next(s for s in again if s.name == "s001").conclusion is True


def test_only_a_compact_process_keeps_none_of_a_kind(tmp_path):
    """``Store.keep_none_of`` is for the dashboard's clock (a store kept compact): a process that steps a lab and traces
    it (a notebook, a command) keeps what its traces read, as before."""
    for compact in (False, True):
        store = Store(tmp_path / f"{compact}.db")
        if compact:
            store.keep_compact()
        store.create(service("web"))
        kept = store.get("Service", "web", "default", "", readonly=True)
        store.keep_none_of("Service")
        assert (("", "Service", "default", "web") in store._parsed) is not compact
        again = store.get("Service", "web", "default", "", readonly=True)
        assert again == kept and (again is kept) is not compact
        store.update_status(dict(again, status={"loadBalancer": {}}), readonly=True)  # a write that would cache
        assert bool([k for k in store._parsed if k[1] == "Service"]) is not compact


def test_a_whole_kind_read_at_once_is_parsed_one_object_at_a_time(tmp_path, monkeypatch):
    """``Reader.read_all`` of most of a kind (a process's first round): one query before any is handled, as a list
    would be, each body parsed only as the caller reaches it (the clock's first round held every Application parsed
    at once); what is written meanwhile (a change, a deletion) is the next round's, as with the list."""
    from kratix_lab.platform.controller import BULK_FROM, Reader

    store = Store(tmp_path / "s.db")
    for i in range(BULK_FROM + 10):
        store.create(service(f"s{i:03}"))
    parsed: list[str] = []
    inner = store.parse_row
    monkeypatch.setattr(store, "parse_row", lambda row: parsed.append(row[3]) or inner(row))
    due = store.versions("Service", "")
    objs = iter(Reader.read_all(store, "Service", "", due, len(due)))
    assert parsed == []
    first = next(objs)
    assert parsed == ["s000"] and first["metadata"]["name"] == "s000"
    changed = store.get("Service", "s002", "default")
    changed["spec"]["clusterIP"] = "10.0.0.9"
    store.update(changed)
    store.delete("Service", "s003", "default")
    rest = list(objs)
    assert [o["metadata"]["name"] for o in rest][:2] == ["s001", "s002"] and len(rest) == BULK_FROM + 9
    assert "clusterIP" not in rest[1]["spec"], "read as the round began"
    few = Reader.read_all(store, "Service", "", store.versions("Service", "")[:3], len(due))
    assert isinstance(few, list) and len(few) == 3  # a few: read at once
