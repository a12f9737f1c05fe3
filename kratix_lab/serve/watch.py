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

import bisect
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
        self.window = window
        self.events: list[Event] = []  # sorted by rv; trimmed to the last ``window`` when it doubles
        with lock:
            self._index = {k: dict(v) for k, v in store._rv_index().items()}
            self.rv, self._count = store.version()
        self.floor = self.rv  # events after this resourceVersion are all in the ring
        self._bodies: dict[tuple[str, str, str, str], dict[str, Any]] = {}

    def poll(self) -> int:
        """Record the changes since the last poll; returns how many events were added.

        Cheap when the lab writes all the time: only the rows written since the last poll are read
        (``Store.written_since``); the whole index is compared only when the object count says that
        something was removed."""
        with self.lock:
            counter, count = self.store.version()
            if counter == self.rv and count == self._count:
                return 0
            new: list[Event] = []
            added = 0
            for g, kind, ns, name, rv in self.store.written_since(self.rv):
                before = self._index.setdefault(kind, {})
                old = before.get((g, ns, name))
                if old == rv:
                    continue
                obj = self.store.get(kind, name, ns or None, g, readonly=True)
                if obj is None:
                    continue
                if old is None:
                    added += 1
                previous = self._bodies.get((g, kind, ns, name))
                if old is not None and previous is not None and _uid(previous) != _uid(obj):
                    # removed and created again between two polls: a watcher sees both
                    new.append(Event(rv, "DELETED", g, kind, ns, name, previous))
                    old = None
                self._bodies[(g, kind, ns, name)] = obj
                before[(g, ns, name)] = rv
                new.append(Event(rv, "ADDED" if old is None else "MODIFIED", g, kind, ns, name, obj))
            if count < self._count + added:  # something was removed: find what
                index = self.store._rv_index()
                for kind, before in self._index.items():
                    now = index.get(kind, {})
                    for key in before.keys() - now.keys():
                        g, ns, name = key
                        body = self._bodies.pop((g, kind, ns, name), None) or {
                            "apiVersion": f"{g}/v1" if g else "v1",
                            "kind": kind,
                            "metadata": {"name": name, "namespace": ns or None, "resourceVersion": str(counter)},
                        }
                        new.append(Event(counter, "DELETED", g, kind, ns, name, body))
                self._index = {k: dict(v) for k, v in index.items()}
            self.rv, self._count = counter, count
        new.sort(key=lambda e: e.rv)
        with self.cond:
            self.events.extend(new)
            if len(self.events) > 2 * self.window:
                cut = len(self.events) - self.window
                self.floor = self.events[cut - 1].rv
                del self.events[:cut]
            self.cond.notify_all()
        return len(new)

    def since(self, rv: int) -> list[Event] | None:
        """Events after ``rv``, or None when ``rv`` is older than the window (410 Gone)."""
        with self.cond:
            if rv < self.floor:
                return None
            return self.events[bisect.bisect_right(self.events, rv, key=lambda e: e.rv) :]  # 50 watchers ask per change

    def wait(self, timeout: float, after: int | None = None) -> None:
        """Until the next poll that adds events; at once when there are already events after ``after`` (one the
        poller added between a watcher's ``since`` and this wait would otherwise wait for the next change)."""
        with self.cond:
            if after is not None and self.events and self.events[-1].rv > after:
                return
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


def _uid(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("uid", ""))
