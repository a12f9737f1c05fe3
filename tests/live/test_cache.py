"""The watch cache (issue 15) against ``kratix-lab serve``: list once per kind, then watch; the same answers as
direct mode; a change in the lab reaches it; a dropped connection, a ``410 Gone`` and a server restart lose
no event and report none twice (client-go reflector.go ListAndWatch semantics)."""

from __future__ import annotations

import json
import threading
import time

import pytest

from kratix_lab.diagnose import diagnose, fleet
from kratix_lab.live.cache import WATCHED, CachedSource
from kratix_lab.sources.factory import open_live
from kratix_lab.trace import trace
from kratix_lab.views.trace_view import node_json as trace_json
from tests.live.conftest import live_source, served

GROUP = "platform.integratn.tech"


def cached(run, path, cache_dir) -> CachedSource:
    direct = live_source(run.kubeconfig, path, cache_dir)
    return CachedSource(direct.kube, direct.repos).start()


def wait_for(predicate, what: str, seconds: float = 20.0) -> None:
    """Wait for something the watch delivers (a bound on a test's run, not a speed assertion)."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:g}s: {what}")
        time.sleep(0.02)


class Recorder:
    """Every change an informer reports, per object: (type, resourceVersion)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: dict[tuple[str, str, str], list[tuple[str, str]]] = {}

    def __call__(self, kind, old, new) -> None:
        obj = new or old
        meta = obj["metadata"]
        with self.lock:
            key = (obj["kind"], meta.get("namespace") or "", meta["name"])
            self.seen.setdefault(key, []).append((kind, meta.get("resourceVersion", "")))

    def of(self, kind, ns, name):
        with self.lock:
            return list(self.seen.get((kind, ns, name), []))


def label(run, name, value):
    with run.api.lock:
        obj = run.api.lab.store.get("VClusterOrchestrator", name, "platform-requests", GROUP)
        obj["metadata"].setdefault("labels", {})["team"] = value
        run.api.lab.store.update(obj)
        rv = run.api.lab.store.get("VClusterOrchestrator", name, "platform-requests", GROUP)["metadata"][
            "resourceVersion"
        ]
    run.api.hub.poll()
    return rv


def test_the_cache_answers_as_direct_mode_does_with_one_watch_per_kind(lab, tmp_path):
    path = lab.path
    lab.close()
    with served(path, tmp_path / "kubeconfig") as run:
        direct = live_source(run.kubeconfig, path, tmp_path / "d")
        with cached(run, path, tmp_path / "c") as src:
            kinds = {k for (_, k) in src.informers}
            assert {k for _, k in WATCHED} | {"VClusterOrchestrator", "VClusterCore"} <= kinds
            for inf in src.informers.values():
                assert inf.lists == 1 and inf.error is None, (inf.kind.kind, inf.error)
            wait_for(lambda: src.watch_connections() == len(src.informers), "every informer watching")
            assert len(src.informers) <= 20
            for group, kind in src.informers:
                names = sorted(o["metadata"]["name"] for o in src.list(kind, group=group))
                assert names == sorted(o["metadata"]["name"] for o in direct.list(kind, group=group)), kind
            before = src.kube.requests
            a = trace_json(trace(src, "vco", "sandbox", "platform-requests"))
            b = trace_json(trace(direct, "vco", "sandbox", "platform-requests"))
            assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
            assert src.kube.requests - before < direct.kube.requests / 4, "the cache answers most reads"
            assert [r.message for r in fleet(src)] == [r.message for r in fleet(direct)]
            d = diagnose(src, "VClusterOrchestrator", "sandbox", "platform-requests")
            assert d.verdict == diagnose(direct, "VClusterOrchestrator", "sandbox", "platform-requests").verdict
            assert all("managedFields" not in o["metadata"] for o in src.list("VClusterOrchestrator", group=GROUP))
            # what the informers keep shares its equal parts (model.objects.keep_parts_once): equal label maps of
            # different objects are one object
            by_text: dict[str, list] = {}
            for inf in src.informers.values():
                for o in list(inf.objects.values()):
                    if o["metadata"].get("labels"):
                        by_text.setdefault(json.dumps(o["metadata"]["labels"]), []).append(o["metadata"]["labels"])
            repeated = [maps for maps in by_text.values() if len(maps) > 1]
            assert repeated, "the lab has objects with equal labels"
            assert all(m is maps[0] for maps in repeated for m in maps)


def test_a_change_reaches_the_cache_and_moves_the_change_token(lab, tmp_path):
    path = lab.path
    lab.close()
    with served(path, tmp_path / "kubeconfig") as run, cached(run, path, tmp_path / "c") as src:
        token = src.change_token()
        assert src.change_token() == token, "direct mode's token moves at every call; the cache's only on a change"
        rv = label(run, "sandbox", "one")
        wait_for(
            lambda: (
                (src.get("VClusterOrchestrator", "sandbox", "platform-requests", GROUP) or {})["metadata"].get(
                    "resourceVersion"
                )
                == rv
            ),
            "the label in the cache",
        )
        assert src.change_token() != token
        assert src.list("VClusterOrchestrator", labels={"team": "one"}, group=GROUP)


def test_a_dropped_connection_and_a_410_lose_no_event_and_repeat_none(lab, tmp_path):
    path = lab.path
    lab.close()
    rec = Recorder()
    with served(path, tmp_path / "kubeconfig") as run, cached(run, path, tmp_path / "c") as src:
        src.listeners.append(rec)
        vco = src.informers[(GROUP, "VClusterOrchestrator")]
        wait_for(lambda: vco._resp is not None, "the watch open")

        # the connection drops: the informer resumes from its resourceVersion
        watches = vco.watches
        vco._resp.shutdown()
        rv1 = label(run, "sandbox", "after-drop")
        wait_for(lambda: ("MODIFIED", rv1) in rec.of("VClusterOrchestrator", "platform-requests", "sandbox"), "rv1")
        # (the event may come on the dropped connection still: a socket shut for reading may yet read what arrives
        # before the informer sees its end — then the resumed watch, from that event's resourceVersion, repeats none)
        wait_for(lambda: vco.watches > watches, "the watch resumed")
        assert vco.lists == 1, "resumed, not listed again"

        # the server forgets old events while the watch is down: the resume is a 410, then one relist
        hub = run.api.hub
        with run.api.lock:
            resp, vco._resp = vco._resp, None
            obj = run.api.lab.store.get("VClusterOrchestrator", "sandbox", "platform-requests", GROUP)
            obj["metadata"]["labels"]["team"] = "during-410"
            run.api.lab.store.update(obj)
            rv2 = run.api.lab.store.get("VClusterOrchestrator", "sandbox", "platform-requests", GROUP)["metadata"][
                "resourceVersion"
            ]
            hub.poll()
            with hub.cond:
                hub.events.clear()
                hub.floor = hub.rv  # as when the event window has moved past the watcher's resourceVersion
            resp.shutdown()
        wait_for(lambda: vco.lists == 2, "a relist after 410")
        wait_for(lambda: ("MODIFIED", rv2) in rec.of("VClusterOrchestrator", "platform-requests", "sandbox"), "rv2")
        seen = rec.of("VClusterOrchestrator", "platform-requests", "sandbox")
        assert len(seen) == len(set(seen)), f"an event reported twice: {seen}"
        assert [rv for _, rv in seen] == sorted({rv for _, rv in seen}, key=int), seen


def served_and_cached(lab, tmp_path, rec):
    """The lab served (paused) and a watch cache over it reporting to ``rec``; ``restart()`` serves the lab again on
    the same port with the same CA and token (the server coming back after ``run.stop()``)."""
    from kratix_lab import serve

    path = lab.path
    lab.close()
    run = serve.start(path, paused=True, kubeconfig=tmp_path / "kubeconfig")
    port, creds = run.server.server_address[1], run.credentials
    src = cached(run, path, tmp_path / "c")
    src.listeners.append(rec)

    def restart():
        return serve.start(path, paused=True, kubeconfig=tmp_path / "kubeconfig", port=port, credentials=creds)

    return path, run, src, restart


def test_the_cache_survives_a_server_restart(lab, tmp_path):
    rec = Recorder()
    _, run, src, restart = served_and_cached(lab, tmp_path, rec)
    try:
        vco = src.informers[(GROUP, "VClusterOrchestrator")]
        wait_for(lambda: vco._resp is not None, "the watch open")
        run.stop()
        again = restart()
        try:
            rv = label(again, "sandbox", "after-restart")
            wait_for(
                lambda: ("MODIFIED", rv) in rec.of("VClusterOrchestrator", "platform-requests", "sandbox"),
                "the change after the restart",
                seconds=30,
            )
            seen = rec.of("VClusterOrchestrator", "platform-requests", "sandbox")
            assert len(seen) == len(set(seen)), seen
            obj = src.get("VClusterOrchestrator", "sandbox", "platform-requests", GROUP)
            assert obj["metadata"]["labels"]["team"] == "after-restart"
        finally:
            again.stop()
    finally:
        src.stop()


def test_changes_made_while_the_server_was_down_arrive_once_each(lab, tmp_path):
    """The server stops, another process changes, removes and creates objects, the server comes back (a new watch
    window: the informer's resourceVersion is older than it keeps, ``410 Gone``): the relist reports each of the
    three once — MODIFIED with the new resourceVersion, DELETED with the last body the cache had, ADDED — and
    nothing else (client-go ``reflector.go`` relist, ``DeltaFIFO.Replace`` emitting deletions for what is gone)."""
    from kratix_lab.platform.lab import Lab

    rec = Recorder()
    path, run, src, restart = served_and_cached(lab, tmp_path, rec)
    try:
        services = src.informers[("", "Service")]
        vco = src.informers[(GROUP, "VClusterOrchestrator")]
        wait_for(lambda: vco._resp is not None and services._resp is not None, "the watches open")
        gone = src.list("Service", "vcluster-sandbox")[0]["metadata"]["name"]
        before = {k: len(v) for k, v in rec.seen.items()}
        run.stop()
        with Lab(path, create=False) as down:  # the server is down: another process writes
            obj = down.store.get("VClusterOrchestrator", "sandbox", "platform-requests", GROUP)
            obj["metadata"].setdefault("labels", {})["team"] = "while-down"
            down.store.update(obj)
            rv = down.store.get("VClusterOrchestrator", "sandbox", "platform-requests", GROUP)["metadata"][
                "resourceVersion"
            ]
            down.store.delete("Service", gone, "vcluster-sandbox", "")
            down.store.create(
                {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "born-while-down", "namespace": "default"}}
            )
        again = restart()
        try:
            wait_for(lambda: vco.lists == 2 and services.lists == 2, "a relist after the 410", seconds=30)
            wait_for(lambda: rec.of("Service", "default", "born-while-down"), "the Service created while down")
            assert ("MODIFIED", rv) in rec.of("VClusterOrchestrator", "platform-requests", "sandbox")
            assert [t for t, _ in rec.of("Service", "vcluster-sandbox", gone)] == ["DELETED"]
            assert [t for t, _ in rec.of("Service", "default", "born-while-down")] == ["ADDED"]
            assert src.get("Service", gone, "vcluster-sandbox", "") is None
            assert (
                src.get("VClusterOrchestrator", "sandbox", "platform-requests", GROUP)["metadata"]["labels"]["team"]
                == "while-down"
            )
            time.sleep(0.5)  # anything reported twice would have come by now (bounds a wait, asserts no speed)
            after = {k: len(v) for k, v in rec.seen.items()}
            grown = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
            assert grown == {
                ("VClusterOrchestrator", "platform-requests", "sandbox"): 1,
                ("Service", "vcluster-sandbox", gone): 1,
                ("Service", "default", "born-while-down"): 1,
            }, grown
        finally:
            again.stop()
    finally:
        src.stop()


def test_a_kind_the_identity_may_not_watch_is_read_directly_and_says_why(lab, tmp_path):
    """An informer refused (403) stops (no retry storm); reads of that kind go to the API, which names the rule."""
    import yaml

    from kratix_lab.live.doctor import allowed_resources, cluster_role
    from kratix_lab.live.kube import AccessDenied

    path = lab.path
    lab.close()
    with served(path, tmp_path / "kubeconfig") as run:
        direct = live_source(run.kubeconfig, path, tmp_path / "d")
        run.server.limited["nojobs"] = allowed_resources(cluster_role(direct)) - {"jobs.batch"}
        doc = yaml.safe_load(run.kubeconfig.read_text())
        doc["users"][0]["user"]["token"] = "nojobs"
        limited = tmp_path / "limited"
        limited.write_text(yaml.safe_dump(doc))
        src = CachedSource(open_live(kubeconfig=limited, cache_dir=tmp_path / "c").kube).start()
        try:
            jobs = src.informers[("batch", "Job")]
            assert isinstance(jobs.error, AccessDenied) and not jobs._thread.is_alive()
            with pytest.raises(AccessDenied, match="grant list on jobs.batch"):
                src.list("Job", "platform-requests")
        finally:
            src.stop()


def test_trim_drops_managed_fields_and_the_last_applied_annotation_only():
    from kratix_lab.live.cache import LAST_APPLIED, _trim

    obj = {
        "kind": "Service",
        "metadata": {
            "name": "s",
            "managedFields": [{"manager": "kubectl"}],
            "annotations": {LAST_APPLIED: '{"kind":"Service"}', "argocd.argoproj.io/tracking-id": "app:/Service:ns/s"},
            "labels": {"a": "b"},
        },
        "spec": {"ports": []},
    }
    kept = _trim(obj)
    assert kept["metadata"] == {
        "name": "s",
        "annotations": {"argocd.argoproj.io/tracking-id": "app:/Service:ns/s"},
        "labels": {"a": "b"},
    }
    assert kept["spec"] is obj["spec"]
    assert LAST_APPLIED in obj["metadata"]["annotations"] and "managedFields" in obj["metadata"], "input untouched"
    plain = {"kind": "Pod", "metadata": {"name": "p", "annotations": {"x": "y"}}}
    assert _trim(plain) is plain
    assert _trim({"kind": "Pod"}) == {"kind": "Pod"}
