"""What every lab controller is: one reconcile round over the store, and when it next has timed work."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, Protocol, TypeVar

from kratix_lab.platform.store import Store

if TYPE_CHECKING:
    from kratix_lab.platform.gitrepo import GitRepo
    from kratix_lab.promise import Promise


T = TypeVar("T")


class Seen(NamedTuple, Generic[T]):
    """One object of a kind as ``Concluded.each`` gives it: where it is, its resourceVersion, what was concluded of
    it at that version, and the object when it was read for this (None when the conclusion was remembered)."""

    namespace: str
    name: str
    rv: int
    conclusion: T
    obj: dict[str, Any] | None


BULK_FROM = 64  # objects to read from which a ``Reader`` reads the whole kind in one query


class Reader:
    """Reads of objects of one kind a controller looks at by resourceVersion (read-only, never kept parsed): each on
    its own, or — when most of the kind is to be read (``wanted`` of ``total``: a process's first round) — the whole
    kind in one query, as ``Store.list`` reads a kind it does not hold, its bodies kept as text and each parsed when
    it is asked for (``Store.rows``): the dashboard's clock's first round held every Application parsed at once
    (at 1,000 vClusters ~80 MB of a high-water mark it never gave back)."""

    def __init__(self, store: Store, kind: str, group: str, wanted: int, total: int):
        self.store, self.kind, self.group = store, kind, group
        self._bulk: dict[tuple[str, str], tuple[Any, ...]] | None = None
        if wanted > BULK_FROM and 2 * wanted > total:
            self._bulk = store.rows(kind, group)

    def __call__(self, namespace: str, name: str, rv: int) -> dict[str, Any] | None:
        """The object at ``rv`` (read again if the bulk read saw another version), None when it is gone."""
        row = self._bulk.get((namespace, name)) if self._bulk is not None else None
        if row is not None and row[4] == rv:
            return self.store.parse_row(row)
        return self.store.get(self.kind, name, namespace or None, self.group, readonly=True, keep=False)

    @classmethod
    def read_all(
        cls, store: Store, kind: str, group: str, due: list[tuple[str, str, int]], total: int
    ) -> Iterable[dict[str, Any]]:
        """The objects at ``due`` ((namespace, name, resourceVersion) of ``total`` of the kind), those gone left out —
        all read before the caller handles any, as a list of the kind would be (what handling one writes is seen at
        the next round): a few parsed at once, many read in one query and each parsed as the caller reaches it."""
        read = cls(store, kind, group, len(due), total)
        if read._bulk is None:
            return [obj for ns, name, rv in due if (obj := read(ns, name, rv)) is not None]
        return (obj for ns, name, rv in due if (obj := read(ns, name, rv)) is not None)


class Concluded(Generic[T]):
    """What a controller concludes of each object of one kind, remembered by resourceVersion: a controller that looks
    at every object of a kind every round (is this Service given its IP, this placement written?) reads again only the
    objects whose resourceVersion changed, and the store never keeps them parsed for it (``Store.get(keep=False)``).

    The lab's controllers are level-triggered: each round they look at the whole store. At 1,000 vClusters that kept
    every Work, WorkPlacement, Service, Ingress, ExternalSecret and the Secrets ESO writes parsed in the dashboard's
    clock for its life (~70 MB) only to find, round after round, that nothing had changed. An object does not change
    without a new resourceVersion (one counter for the whole store, so a deleted and re-created object has a new one
    too), so what ``conclude`` said of it still holds while its version is the same: skipping it changes nothing.
    Kubernetes controllers do the same with their informers' resync and generation checks (controller-runtime's
    ``predicate.ResourceVersionChangedPredicate``, pkg/predicate/predicate.go).

    ``reads_everything`` (tests): every object read and concluded again every round, as before."""

    reads_everything = False

    def __init__(self, kind: str, group: str, conclude: Callable[[dict[str, Any]], T]):
        self.kind, self.group, self.conclude = kind, group, conclude
        self._seen: dict[tuple[str, str], tuple[int, T]] = {}

    def each(self, store: Store) -> list[Seen[T]]:
        """Every object of the kind now, sorted by namespace and name (the store's list order), with its conclusion;
        an object removed since is forgotten."""
        if not self.reads_everything:
            store.keep_none_of(self.kind)  # what the cache would keep of the kind for a write or another read
        seen: dict[tuple[str, str], tuple[int, T]] = {}
        out: list[Seen[T]] = []
        versions = store.versions(self.kind, self.group)
        read = Reader(store, self.kind, self.group, sum(self._stale(*v) for v in versions), len(versions))
        for ns, name, rv in versions:
            obj = None
            if self._stale(ns, name, rv):
                obj = read(ns, name, rv)
                if obj is None:  # removed by another process since the versions were read (outside a transaction)
                    continue
                known = (rv, self.conclude(obj))
            else:
                known = self._seen[(ns, name)]
            seen[(ns, name)] = known
            out.append(Seen(ns, name, rv, known[1], obj))
        self._seen = seen
        return out

    def _stale(self, namespace: str, name: str, rv: int) -> bool:
        """Whether the object at ``rv`` is to be read and concluded (again)."""
        known = self._seen.get((namespace, name))
        return self.reads_everything or known is None or known[0] != rv

    def read(self, store: Store, seen: Seen[T]) -> dict[str, Any] | None:
        """The object of ``seen`` (read-only, not kept parsed): the one read for it, else read now."""
        if seen.obj is not None:
            return seen.obj
        return store.get(self.kind, seen.name, seen.namespace or None, self.group, readonly=True, keep=False)


class LabServices(Protocol):
    """What of the Lab a controller may use (its repos, Promises, admission and pipeline executor) — the Lab
    implements it; a controller never sees the rest of it."""

    state_repo: GitRepo
    state_remote: GitRepo
    vcluster_schema: Path | None

    def promises(self) -> list[Promise]: ...
    def repo_for(self, url: str) -> GitRepo | None: ...
    def cluster_scoped(self, obj: dict[str, Any]) -> bool: ...
    def admit(self, obj: dict[str, Any], dry_run: bool = False) -> dict[str, Any]: ...
    def apply_object(
        self,
        obj: dict[str, Any],
        manager: str = "kratix-lab",
        previous: dict[str, Any] | None = None,
        admitted: bool = False,
    ) -> str: ...
    def executor_for(self, promise: Promise, ctx: Context) -> Any: ...  # a pipeline.executors.Executor


@dataclass
class Context:
    """What a controller may use during one round."""

    store: Store
    lab_dir: Path
    faults: dict[str, dict[str, Any]] = field(default_factory=dict)  # active fault name -> its parameters
    lab: LabServices | None = None  # None only for a controller tried alone (tests); the lab always sets it

    def fault(self, name: str) -> dict[str, Any] | None:
        return self.faults.get(name)


class Controller(Protocol):
    name: str

    def reconcile(self, ctx: Context) -> int:
        """One round: act on what changed; return how many writes were made (0 = nothing to do)."""
        ...

    def next_due(self, ctx: Context) -> int | None:
        """The simulated second at which timed work is next due (a pod turning Ready), or None."""
        ...
