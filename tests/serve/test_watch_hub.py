"""The watch hub (``kratix_lab/serve/watch.py``): events from store writes, removals, the window and ``410 Gone``."""

from __future__ import annotations

import threading

from kratix_lab.platform.store import Store
from kratix_lab.serve.watch import WatchHub


def _cm(name: str, **data: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"}, "data": data}


def _seen(events):
    return [(e.type, e.name) for e in events]


def test_events_follow_writes_removals_and_recreation_between_polls(tmp_path):
    store = Store(tmp_path / "s.db")
    hub = WatchHub(store, threading.RLock())
    start = hub.rv
    store.create(_cm("a"))
    store.create(_cm("b"))
    hub.poll()
    assert _seen(hub.since(start)) == [("ADDED", "a"), ("ADDED", "b")]
    mark = hub.rv
    obj = store.get("ConfigMap", "a", "default", "")
    obj["data"] = {"x": "1"}
    store.update(obj)
    store.delete("ConfigMap", "b", "default", "")
    hub.poll()
    assert _seen(hub.since(mark)) == [("MODIFIED", "a"), ("DELETED", "b")]
    assert hub.since(mark)[-1].obj["metadata"]["name"] == "b"  # the last body it had
    mark = hub.rv
    store.delete("ConfigMap", "a", "default", "")
    store.create(_cm("a", y="2"))  # gone and back between two polls: a new uid
    hub.poll()
    assert _seen(hub.since(mark)) == [("DELETED", "a"), ("ADDED", "a")]
    assert hub.poll() == 0  # nothing new


def test_another_connection_s_writes_are_seen(tmp_path):
    store = Store(tmp_path / "s.db")
    hub = WatchHub(store, threading.RLock())
    start = hub.rv
    other = Store(tmp_path / "s.db")
    other.create(_cm("far"))
    other.delete("ConfigMap", "far", "default", "")
    other.create(_cm("near"))
    hub.poll()
    assert _seen(hub.since(start)) == [("ADDED", "near")]  # far came and went between polls: never seen


def test_the_window_moves_on_and_older_resource_versions_are_gone(tmp_path):
    store = Store(tmp_path / "s.db")
    hub = WatchHub(store, threading.RLock(), window=3)
    start = hub.rv
    for n in range(8):
        store.create(_cm(f"c{n}"))
        hub.poll()
    assert hub.since(start) is None  # 410 Gone: older than the window
    assert len(hub.events) <= 6 and hub.floor > start
    recent = hub.since(hub.floor)
    assert recent is not None and _seen(recent)[-1] == ("ADDED", "c7")
