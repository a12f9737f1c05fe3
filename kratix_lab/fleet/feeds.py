"""Change feeds for ``FleetRows``: what changed since the last poll, as object keys, pod logs and the state head.

- ``LabFeed``: the lab store gives every write a resourceVersion from one counter; ``Store.written_since`` lists the
  objects written after the last one seen and ``Store.removed_since`` the objects removed (the store's removal
  log); a lab without the log (written by an older kratix-lab, opened read-only) has the index of every object's
  resourceVersion compared when the object count says something was removed (as ``kratix_lab/serve/watch.py``'s
  hub does for ``kratix-lab serve``'s watches). Logs come from ``Store.logs_written_since``; the head from the
  state remote.
- ``CacheFeed``: a ``kratix_lab.live.cache.CachedSource``'s informers report every ADDED/MODIFIED/DELETED (a relist
  after ``410 Gone`` reports the differences once); the state head is asked at each poll.

Sources without a feed (a direct ``LiveSource``) get none: ``FleetRows`` then computes every row again when the
source's ``change_token()`` moves.
"""

from __future__ import annotations

import threading
from typing import Any

from kratix_lab.fleet.deps import Changes, Key


class LabFeed:
    """The lab store's writes (see the module docstring). ``lab`` is a ``kratix_lab.platform.lab.Lab``."""

    def __init__(self, lab: Any) -> None:
        self.lab = lab
        self.store = lab.store
        self.rv, self.count = self.store.version()
        now = self.store.removed_since(None)
        self.removed: int | None = now[0] if now is not None else None
        # a lab without the removal log (written before it, opened read-only): removals found by comparing indexes
        self.index = self._index() if self.removed is None else None
        self.log_seq = self.store.last_log_seq()
        self.head = lab.state_remote.head()

    def _index(self) -> dict[tuple[str, str, str, str], int]:
        return {
            (g, kind, ns, name): rv
            for kind, objs in self.store._rv_index().items()
            for (g, ns, name), rv in objs.items()
        }

    def poll(self) -> Changes:
        changes = Changes()
        rv, count = self.store.version()
        if (rv, count) != (self.rv, self.count):
            added = 0
            for g, kind, ns, name, obj_rv in self.store.written_since(self.rv):
                if self.index is not None:
                    added += (g, kind, ns, name) not in self.index
                    self.index[(g, kind, ns, name)] = obj_rv
                changes.objects.add((kind, ns, name))
            if self.removed is not None:
                removed = self.store.removed_since(self.removed)
                if removed is None:  # further behind than the log keeps: every row again
                    changes.everything = True
                    now = self.store.removed_since(None)
                    self.removed = now[0] if now is not None else None
                else:
                    self.removed = removed[0]
                    changes.objects |= {(kind, ns, name) for _, kind, ns, name in removed[1]}
            elif count < self.count + added:  # something was removed: find what
                now_index = self._index()
                for _, kind, ns, name in (self.index or {}).keys() - now_index.keys():
                    changes.objects.add((kind, ns, name))
                self.index = now_index
            self.rv, self.count = rv, count
        self.log_seq, changes.logs = self.store.logs_written_since(self.log_seq)
        head = self.lab.state_remote.head()
        changes.head, self.head = head != self.head, head
        return changes


class CacheFeed:
    """The watch cache's events (see the module docstring)."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self._lock = threading.Lock()
        self._keys: set[Key] = set()
        self.head = source.state_head()
        source.listeners.append(self._on_change)

    def _on_change(self, kind: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        with self._lock:
            for obj in (old, new):
                if obj is not None:
                    meta = obj.get("metadata") or {}
                    self._keys.add(
                        (str(obj.get("kind") or ""), str(meta.get("namespace") or ""), str(meta.get("name")))
                    )

    def poll(self) -> Changes:
        with self._lock:
            keys, self._keys = self._keys, set()
        changes = Changes(objects=keys)
        # no log feed live: a pod's log is taken to change with the pod (its status, restarts)
        changes.logs = {(ns, name) for kind, ns, name in keys if kind == "Pod"}
        head = self.source.state_head()
        changes.head, self.head = head != self.head, head
        return changes

    def close(self) -> None:
        if self._on_change in self.source.listeners:
            self.source.listeners.remove(self._on_change)


def feed_for(source: Any) -> LabFeed | CacheFeed | None:
    """The change feed of ``source``: the lab's store (a ``LabSource``), the watch cache (a ``CachedSource``), or
    None (every row again when ``change_token()`` moves)."""
    lab = getattr(source, "lab", None)
    if lab is not None and hasattr(lab, "store"):
        return LabFeed(lab)
    if isinstance(getattr(source, "listeners", None), list):
        return CacheFeed(source)
    return None
