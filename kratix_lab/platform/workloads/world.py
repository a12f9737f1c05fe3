"""One round's view of the store: the workload objects by kind, indexed by owner, kept current as we write."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kratix_lab.model import name_of
from kratix_lab.platform.store import Store
from kratix_lab.platform.workloads.objects import _KINDS, Key, Obj, _controller_uid, _key, _meta, _uid, left_alone

Alone = dict[str, dict[tuple[str, str], int]]  # kind -> (namespace, name) -> the resourceVersion seen left alone


def _not_left_alone(obj: Obj) -> bool:
    return not left_alone(obj)


class _World:
    """The objects of one round (one list per kind), indexed by owner, kept current as we write.

    Objects are the store's shared read-only copies: the controller clones what it changes."""

    def __init__(self, store: Store, kinds: Mapping[str, str] = _KINDS, alone: Alone | None = None):
        """``alone``: the objects seen left alone, by kind, (namespace, name) and resourceVersion (the controller's,
        brought up to date here): skipped by resourceVersion without reading them, and never kept parsed. They are
        the Kratix pipelines' Jobs and Pods, which the lab's Kratix controller records and no controller reads
        again: at 1,000 vClusters 16,000 objects, 98 MB of JSON that the store kept parsed for the process's life
        (the dashboard's clock) and that each round listed three times. An object does not change without a new
        resourceVersion, so what ``left_alone`` said of it still holds."""
        self.objs: dict[str, dict[tuple[str, str], Obj]] = {k: {} for k in _KINDS}
        self.owned: dict[str, dict[Key, None]] = {}
        for kind, group in kinds.items():
            if alone is None:
                for obj in store.list(kind, group=group, readonly=True):
                    if not left_alone(obj):
                        self.put(obj)
                continue
            seen, now_alone = alone.get(kind, {}), {}
            for ns, name, rv in store.versions(kind, group):
                if seen.get((ns, name)) == rv:
                    now_alone[(ns, name)] = rv
                    continue
                obj = store.get(kind, name, ns or None, group, readonly=True, keep=_not_left_alone)
                if obj is None:  # removed by another process since the versions were read (outside a transaction)
                    continue
                if left_alone(obj):
                    now_alone[(ns, name)] = int(obj["metadata"]["resourceVersion"])
                else:
                    self.put(obj)
            alone[kind] = now_alone

    def put(self, obj: Obj) -> None:
        kind, ns, name = _key(obj)
        self._unindex((kind, ns, name))
        self.objs[kind][(ns, name)] = obj
        for ref in _meta(obj).get("ownerReferences") or []:
            if ref.get("uid"):
                self.owned.setdefault(ref["uid"], {})[(kind, ns, name)] = None

    def _unindex(self, key: Key) -> None:
        old = self.objs[key[0]].get(key[1:])
        for ref in (_meta(old).get("ownerReferences") or []) if old else []:
            self.owned.get(ref.get("uid", ""), {}).pop(key, None)

    def remove(self, key: Key) -> None:
        """Forget an object and, as the garbage collector does, its dependents."""
        obj = self.objs[key[0]].get(key[1:])
        if obj is None:
            return
        self._unindex(key)
        del self.objs[key[0]][key[1:]]
        for child in list(self.owned.pop(_uid(obj), {})):
            self.remove(child)

    def get(self, key: Key) -> Obj | None:
        return self.objs[key[0]].get(key[1:])

    def keys(self, kind: str) -> list[Key]:
        return [(kind, ns, name) for ns, name in sorted(self.objs[kind])]

    def each(self, kind: str) -> Iterator[Obj]:
        """Every object of ``kind`` still present, current at the moment it is reached."""
        for key in self.keys(kind):
            obj = self.get(key)
            if obj is not None:
                yield obj

    def children(self, owner: Mapping[str, Any], kind: str) -> list[Obj]:
        uid = _uid(owner)
        out = [
            obj
            for key in self.owned.get(uid, {})
            if key[0] == kind and (obj := self.get(key)) is not None and _controller_uid(obj) == uid
        ]
        return sorted(out, key=name_of)
