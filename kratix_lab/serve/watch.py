"""Watch fan-out: one poller notices every committed change to the lab's store and keeps a window of events.

The store gives every write a new resourceVersion from one counter and SQLite's ``PRAGMA data_version``
tells when another connection (another kratix-lab process) committed (``platform/store.py``,
``_rv_index``). The hub diffs the index of every object's resourceVersion against its previous copy →
ADDED / MODIFIED / DELETED (keeping each object's last body so DELETED carries it, as the API server's
watch cache does), in a ring of recent events; a watch resumes from any resourceVersion still in the ring
and gets ``410 Gone`` (``reason: Expired``) for an older one (``k8s.io/apiserver/pkg/storage/cacher/
watch_cache.go``, ``getAllEventsSinceLocked``: "too old resource version").
"""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass
from typing import Any

from kratix_lab.platform.store import Store


@dataclass(frozen=True)
class Event:
    rv: int
    type: str  # ADDED | MODIFIED | DELETED
    group: str
    kind: str
    namespace: str
    name: str
    obj: dict[str, Any]


class WatchHub:
    """Turns store changes into watch events; ``poll`` is called by the poller thread and before each watch."""

    def __init__(self, store: Store, lock: threading.RLock, window: int = 10_000) -> None:
        self.store = store
        self.lock = lock
        self.cond = threading.Condition()
        self.events: collections.deque[Event] = collections.deque(maxlen=window)
        with lock:
            self._index = {k: dict(v) for k, v in store._rv_index().items()}
            self.rv = store.version()[0]
        self.floor = self.rv  # events after this resourceVersion are all in the ring
        self._bodies: dict[tuple[str, str, str, str], dict[str, Any]] = {}

    def poll(self) -> int:
        """Record the changes since the last poll; returns how many events were added."""
        with self.lock:
            index = self.store._rv_index()
            counter = self.store.version()[0]
            if counter == self.rv and sum(map(len, index.values())) == sum(map(len, self._index.values())):
                return 0
            new: list[Event] = []
            for kind in set(index) | set(self._index):
                now, before = index.get(kind, {}), self._index.get(kind, {})
                for key, rv in now.items():
                    old = before.get(key)
                    if old == rv:
                        continue
                    g, ns, name = key
                    obj = self.store.get(kind, name, ns or None, g, readonly=True)
                    if obj is None:
                        continue
                    self._bodies[(g, kind, ns, name)] = obj
                    new.append(Event(rv, "ADDED" if old is None else "MODIFIED", g, kind, ns, name, obj))
                for key in before.keys() - now.keys():
                    g, ns, name = key
                    body = self._bodies.pop((g, kind, ns, name), None) or {
                        "apiVersion": f"{g}/v1" if g else "v1",
                        "kind": kind,
                        "metadata": {"name": name, "namespace": ns or None, "resourceVersion": str(counter)},
                    }
                    new.append(Event(counter, "DELETED", g, kind, ns, name, body))
            self._index = {k: dict(v) for k, v in index.items()}
            self.rv = counter
        new.sort(key=lambda e: e.rv)
        with self.cond:
            for e in new:
                if len(self.events) == self.events.maxlen:
                    self.floor = self.events[0].rv
                self.events.append(e)
            self.cond.notify_all()
        return len(new)

    def since(self, rv: int) -> list[Event] | None:
        """Events after ``rv``, or None when ``rv`` is older than the window (410 Gone)."""
        with self.cond:
            if rv < self.floor:
                return None
            return [e for e in self.events if e.rv > rv]

    def wait(self, timeout: float) -> None:
        with self.cond:
            self.cond.wait(timeout)


def parse_bool(text: str | None) -> bool:
    """Go's ``strconv.ParseBool`` (the Python client sends ``True``)."""
    if text is None:
        return False
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False", ""):
        return False
    raise ValueError(f"invalid boolean {text!r}")
