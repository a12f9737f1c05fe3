"""What a fleet row read (issue 15): a ``Recorder``, a Source that passes every question to the real one and writes
down what the answer depended on (``Deps``), and the checks of those dependencies after a change.

What a row records:

- the objects it got or listed, by kind/namespace/name and resourceVersion (its request, sub-requests, Works,
  WorkPlacements, Jobs, pods, Helm workloads, their Applications…), and each label-selected list it asked for (an
  object created later that the selector matches reaches the row too);
- objects every row reads — Argo CD Applications, Destinations, GitStateStores (``SHARED``) — as facts about the
  parts it read (``kratix_lab.fleet.track``): the state reconciler's Application, synced at every change, reaches
  only the rows whose facts it breaks (the commit it syncs is theirs, or its errors are new);
- events and pod logs by object, the state repo's head and files read at a branch, and the installed Promises
  and kinds (a change there reaches every row);
- values every row computes alike, computed once (``Derived``).

``_compute`` computes one row through a ``Recorder``; ``kratix_lab.fleet.rows.FleetRows`` keeps the rows and finds
the ones a change reaches (``_walked``, ``_repo_moved`` and ``_events_changed`` here say why). Names with a leading
underscore are the fleet package's own.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

from kratix_lab.diagnose import Diagnosis, VClusterStatus, fleet_row
from kratix_lab.diagnose.rules.gitops import COMPARISON_ERRORS, COMPARISON_ERRORS_KEY
from kratix_lab.fleet.proxies import TDict, TStr, followed_time, plain, wrap
from kratix_lab.fleet.track import Facts
from kratix_lab.model import matches_labels
from kratix_lab.sources import PerObject

Key = tuple[str, str, str]  # kind, namespace ("" cluster-wide), name
SHARED = frozenset({"Application", "Destination", "GitStateStore"})  # read by many rows: compared on facts
EVERY_ROW = frozenset({"Promise", "CustomResourceDefinition"})  # what resolve()/kinds() depend on
_FULL_SHA = re.compile(r"[0-9a-f]{40}")


def _rv(obj: dict[str, Any] | None) -> str | None:
    return None if obj is None else str((obj.get("metadata") or {}).get("resourceVersion") or "")


def _key_of(obj: dict[str, Any]) -> Key:
    meta = obj.get("metadata") or {}
    return (str(obj.get("kind") or ""), str(meta.get("namespace") or ""), str(meta.get("name") or ""))


def _fingerprint(value: Any) -> str:
    return hashlib.sha1(json.dumps(value, sort_keys=True, default=repr).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Query:
    """A list a row asked for: every object of ``kind`` (in ``namespace``) whose labels match ``labels``. Frozen:
    one instance stands for every equal one the rows keep (``_Canon``)."""

    kind: str
    group: str | None
    namespace: str | None
    labels: tuple[tuple[str, str], ...]

    def __reduce__(self) -> tuple[Any, ...]:
        # (a frozen dataclass with slots unpickles through dataclasses' __setstate__, which looks its fields up for
        # every object: a thousand rows' queries arrive pickled from the processes that stream them in)
        return (Query, (self.kind, self.group, self.namespace, self.labels))

    def matches(self, obj: dict[str, Any]) -> bool:
        meta = obj.get("metadata") or {}
        if self.namespace is not None and (meta.get("namespace") or "") != self.namespace:
            return False
        return not self.labels or matches_labels(meta.get("labels") or {}, dict(self.labels))


@dataclass
class SharedList:
    """A list of a shared kind as a row walked it: which object it took at each index, and whether it reached the
    end (then the length is a fact too)."""

    query: Query
    taken: dict[int, Key] = field(default_factory=dict)
    length: int | None = None


@dataclass
class Deps:
    objects: dict[Key, str | None] = field(default_factory=dict)  # key -> resourceVersion (None: absent)
    queries: list[Query] = field(default_factory=list)  # label-selected lists of non-shared kinds
    shared: dict[Key, Facts] = field(default_factory=dict)
    shared_lists: list[SharedList] = field(default_factory=list)
    events: dict[Key, str] = field(default_factory=dict)  # the involved object -> fingerprint of its events
    logs: set[tuple[str, str]] = field(default_factory=set)  # (namespace, pod)
    files: dict[tuple[str, str | None], str] = field(default_factory=dict)  # (path, branch) -> fingerprint
    head: list[str | None] = field(default_factory=list)  # the state head, when the row read it
    derived: dict[str, str] = field(default_factory=dict)  # a value computed for every row it used -> fingerprint

    def settle(self, row: VClusterStatus) -> VClusterStatus:
        """The row computed: its followed values made plain (recorded whole) and the formatted ones that reached
        its text made facts."""
        row = replace(row, since=plain(row.since) if row.since is not None else None)
        text = "\n".join((row.message, row.stage, row.health, row.preset, row.k8s_version))
        for facts in self.shared.values():
            facts.settle(text)
        return row


class _SharedResult(builtins.list):  # type: ignore[type-arg]
    """The list of a shared kind a ``Recorder`` returns: walking it records which object is at each index, and an
    object taken is read through facts (``Recorder._facts``) from then on — the list holds the plain objects, so a
    row that stops at the second of a thousand Applications records two (a C-level read of the list, which Python
    does not let a subclass see, reads plain objects: untracked, as it would read the proxies)."""

    def __init__(self, items: builtins.list[Any], record: SharedList, rec: Recorder) -> None:
        super().__init__(items)
        self._record, self._rec = record, rec
        self._wrapped: dict[int, Any] = {}

    def _take(self, i: int) -> Any:
        obj = self._wrapped.get(i)
        if obj is None:
            plain = builtins.list.__getitem__(self, i)
            key = self._record.taken[i] = _key_of(plain)  # an object's key when taken (a row takes few of them)
            facts = self._rec._facts(key)
            facts.saw(plain)
            facts.add((), "exists", None, True)
            obj = self._wrapped[i] = wrap(plain, facts, ())
        return obj

    def _len(self) -> int:
        self._record.length = builtins.list.__len__(self)
        return self._record.length

    def __iter__(self) -> Any:
        n = builtins.list.__len__(self)

        def walk() -> Any:
            for i in range(n):
                yield self._take(i)
            self._record.length = n

        return walk()

    def __len__(self) -> int:
        return self._len()

    def __bool__(self) -> bool:
        return self._len() > 0

    def __getitem__(self, index: Any) -> Any:
        n = self._len()
        if isinstance(index, slice):
            return [self._take(i) for i in range(*index.indices(n))]
        return self._take(index + n if index < 0 else index)

    def __reversed__(self) -> Any:
        n = self._len()
        return (self._take(i) for i in reversed(range(n)))


@dataclass
class Derived:
    """A value computed once from the platform for every row (``Recorder.derived``: diagnose's Applications that
    cannot compare), what it read, and its fingerprint: after a change to a kind it read it is computed again, and
    only when its fingerprint moved are the rows that used it computed again."""

    compute: Any  # compute(source)
    value: Any
    fingerprint: str
    kinds: frozenset[str]
    always: bool  # it read events, logs or the state repo (no kind to follow): computed again at every refresh
    parts: dict[tuple[str, str], Any] | None = None  # a ``PerObject``'s parts by (namespace, name)


class _Reads:
    """A Source that answers as ``source`` and notes which kinds were read (what a ``Derived`` depends on)."""

    _UNFOLLOWED = frozenset({"events", "logs", "state_files", "state_head", "state_commit", "is_ancestor"})

    def __init__(self, source: Any) -> None:
        self._s, self.kinds, self.always = source, set[str](), False

    def get(self, kind: str, name: str, namespace: str | None = None, group: str | None = None) -> Any:
        self.kinds.add(kind)
        return self._s.get(kind, name, namespace, group)

    def list(
        self, kind: str, namespace: str | None = None, labels: dict[str, str] | None = None, group: str | None = None
    ) -> Any:
        self.kinds.add(kind)
        return self._s.list(kind, namespace, labels, group)

    def __getattr__(self, name: str) -> Any:
        if name in self._UNFOLLOWED:
            self.always = True
        return getattr(self._s, name)


# The values every row computes alike that are known before a row asks (a row's trace asks for the state repo's
# Applications — ``trace.gitops.apps_of_repo``, keyed by the repo — and its diagnosis then for these): computed in the
# same read of the kind as the first value of that kind a row asks for (``Recorder.derived``). The fleet's worker
# keeps no small body parsed (``Store.keep_big_only``): at 1,000 vClusters each read of the Applications parses a
# thousand of them, ~0.3 s of the first row.
ROW_VALUES: dict[str, PerObject] = {COMPARISON_ERRORS_KEY: COMPARISON_ERRORS}


def _derive_together(source: Any, computes: dict[str, PerObject]) -> dict[str, Derived]:
    """``_derive`` of several ``PerObject`` values alike (one kind, namespace and group) from one read."""
    keys = list(computes)
    parts = PerObject.parts_together(source, [computes[k] for k in keys])
    return {key: _of_parts(computes[key], part) for key, part in zip(keys, parts, strict=True)}


def _of_parts(compute: PerObject, parts: dict[tuple[str, str], Any]) -> Derived:
    value = compute.value(parts)
    return Derived(compute, value, _fingerprint(value), frozenset({compute.kind}), False, parts)


def _derive(source: Any, compute: Any, previous: Derived | None = None, changed: Any = None) -> Derived:
    """``compute`` over ``source``; a ``PerObject`` with its ``previous`` parts brought up to date by reading again
    only the objects ``changed`` (keys) of its kind."""
    if isinstance(compute, PerObject):
        if previous is not None and previous.parts is not None and changed is not None:
            parts = dict(previous.parts)
            for kind, ns, name in changed:
                if kind != compute.kind or (compute.namespace is not None and ns != compute.namespace):
                    continue
                part = compute.part_of(source, ns, name, compute.group)
                if part is None:
                    parts.pop((ns, name), None)
                else:
                    parts[(ns, name)] = part
        else:
            parts = compute.parts(source)
        return _of_parts(compute, parts)
    reads = _Reads(source)
    value = compute(reads)
    return Derived(compute, value, _fingerprint(value), frozenset(reads.kinds), reads.always)


class Recorder:
    """A Source that answers from ``source`` and writes down in ``deps`` what each answer depended on; values every
    row computes alike (``derived``) are kept in ``memo``, shared by the rows of one ``FleetRows``."""

    def __init__(self, source: Any, deps: Deps, memo: dict[str, Derived] | None = None) -> None:
        self._s, self.deps = source, deps
        self.memo: dict[str, Derived] = {} if memo is None else memo
        # a shared object got again as the very object got before: the same proxy (its parts made once, ``TDict``)
        self._proxies: dict[Key, tuple[dict[str, Any], TDict]] = {}

    def __getattr__(self, name: str) -> Any:  # name, read_only, mode, state_repo_error …
        return getattr(self._s, name)

    def derived(self, key: str, compute: Any) -> Any:
        """``compute(source)``, a value that is the same for every row (a scan of every Application), computed once:
        kept in the memo and recorded as a dependency of the row on the value as a whole (``Derived``)."""
        entry = self.memo.get(key)
        if entry is None:
            if isinstance(compute, PerObject):
                together = {key: compute}
                together.update((k, v) for k, v in ROW_VALUES.items() if k not in self.memo and v.alike(compute))
                self.memo.update(_derive_together(self._s, together))
                entry = self.memo[key]
            else:
                entry = self.memo[key] = _derive(self._s, compute)
        self.deps.derived[key] = entry.fingerprint
        return entry.value

    def _facts(self, key: Key) -> Facts:
        facts = self.deps.shared.get(key)
        if facts is None:
            facts = self.deps.shared[key] = Facts()
        return facts

    def get(
        self, kind: str, name: str, namespace: str | None = None, group: str | None = None
    ) -> dict[str, Any] | None:
        obj: dict[str, Any] | None = self._s.get(kind, name, namespace, group)
        key = (kind, namespace or "", name)
        if kind in SHARED:
            facts = self._facts(key)
            facts.saw(obj)
            facts.add((), "exists", None, obj is not None)
            if obj is None:
                return None
            kept = self._proxies.get(key)
            if kept is None or kept[0] is not obj:
                kept = self._proxies[key] = (obj, wrap(obj, facts, ()))
            return kept[1]
        self.deps.objects[key] = _rv(obj)
        return obj

    def list(
        self, kind: str, namespace: str | None = None, labels: dict[str, str] | None = None, group: str | None = None
    ) -> builtins.list[dict[str, Any]]:
        objs: builtins.list[dict[str, Any]] = self._s.list(kind, namespace, labels, group)
        query = Query(kind, group, namespace, tuple(sorted((labels or {}).items())))
        if kind in SHARED:
            record = SharedList(query)
            self.deps.shared_lists.append(record)
            return _SharedResult(objs, record, self)
        self.deps.queries.append(query)
        for o in objs:
            self.deps.objects[_key_of(o)] = _rv(o)
        return objs

    def events(self, obj: dict[str, Any]) -> builtins.list[dict[str, Any]]:
        events: builtins.list[dict[str, Any]] = self._s.events(plain(obj) if isinstance(obj, TDict) else obj)
        self.deps.events[_key_of(obj)] = _fingerprint(events)
        return events

    def logs(self, pod: dict[str, Any], tail: int | None = None, container: str | None = None) -> str:
        meta = pod.get("metadata") or {}
        self.deps.logs.add((str(meta.get("namespace") or ""), str(meta.get("name") or "")))
        return str(self._s.logs(pod, tail, container))

    def timestamp(self, text: str | None) -> int | None:
        if isinstance(text, TStr):
            return followed_time(text, self._s.timestamp(str.__str__(text)))  # type: ignore[no-any-return]
        return self._s.timestamp(text)  # type: ignore[no-any-return]

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        a = plain(ancestor)
        if isinstance(descendant, TStr):
            answer = bool(self._s.is_ancestor(a, str.__str__(descendant)))
            descendant._facts.add(descendant._path, "ancestor", a, answer)
            return answer
        return bool(self._s.is_ancestor(a, descendant))

    def state_files(self, path: str, rev: str | None = None) -> dict[str, bytes]:
        rev = plain(rev)
        files = self._s.state_files(path, rev)
        if rev is None or not _FULL_SHA.fullmatch(rev):  # a branch moves; a commit never changes
            self.deps.files[(path, rev)] = _fingerprint({k: v.hex() for k, v in files.items()})
        return files  # type: ignore[no-any-return]

    def state_head(self) -> str | None:
        head = self._s.state_head()
        self.deps.head[:] = [head]
        return head  # type: ignore[no-any-return]

    def state_commit(self, sha: str) -> Any:
        return self._s.state_commit(plain(sha))


@dataclass
class Changes:
    """What a change feed saw since its last poll."""

    objects: set[Key] = field(default_factory=set)
    logs: set[tuple[str, str]] = field(default_factory=set)
    head: bool = False  # the state repo's head moved
    everything: bool = False  # the feed cannot tell (or a Promise changed): every row is computed again


@dataclass
class _Entry:
    member: tuple[str, str, bool]  # namespace, name, in the cluster
    row: VClusterStatus
    deps: Deps
    diagnosis: Diagnosis | None


def _walked(d: Deps, kind: str, s: Any, lists: dict[tuple[Any, ...], builtins.list[Key]]) -> str | None:
    """Why a list of a shared ``kind`` the row walked is no longer what it walked (None: it is)."""
    for record in d.shared_lists:
        q = record.query
        if q.kind != kind:
            continue
        k = (q.kind, q.group, q.namespace, q.labels)
        if k not in lists:
            lists[k] = [_key_of(o) for o in s.list(q.kind, q.namespace, dict(q.labels) or None, q.group)]
        keys = lists[k]
        if record.length is not None and len(keys) != record.length:
            return f"the list of {kind} it read all of changed length"
        if any(i >= len(keys) or keys[i] != taken for i, taken in record.taken.items()):
            return f"the list of {kind} it walked changed"
    return None


def _repo_moved(d: Deps, head: str | None, s: Any, fingerprints: dict[tuple[str, str | None], str]) -> str | None:
    """Why the state repo's head moving reaches a row that read the head or a branch's files (None: it does not)."""
    if d.head and d.head[0] != head:
        return "the state repo's head moved"
    for (path, rev), fp in d.files.items():
        if (path, rev) not in fingerprints:
            fingerprints[(path, rev)] = _fingerprint({k: v.hex() for k, v in s.state_files(path, rev).items()})
        if fingerprints[(path, rev)] != fp:
            return f"{path} at {rev} changed"
    return None


def _events_changed(d: Deps, s: Any, seen: dict[Key, str]) -> str | None:
    """Why the events a row read are no longer the same (None: they are)."""
    for key, fp in d.events.items():
        if key not in seen:
            kind, ns, name = key
            meta: dict[str, Any] = {"name": name}
            if ns:
                meta["namespace"] = ns
            seen[key] = _fingerprint(s.events({"kind": kind, "metadata": meta}))
        if seen[key] != fp:
            return f"the events of {'/'.join(key)} changed"
    return None


def _compute(
    source: Any,
    rk: Any,
    columns: Any,
    key: tuple[str, str],
    live: bool,
    track: bool,
    keep: bool,
    memo: dict[str, Derived] | None = None,
) -> _Entry:
    deps = Deps()
    # untracked (a one-shot's rows): the source answers itself — a Recorder that records nothing passes each of a row's
    # ~300 questions on (a thousand rows: 0.1-0.2 s of CPU); ``derived`` is then the source's own, or none (the rules
    # compute the value: what an untracked Recorder did)
    rec: Any = Recorder(source, deps, memo) if track else source
    ns, name = key
    obj = rec.get(rk.kind, name, ns or None, rk.group) if live else None
    if live and obj is None:  # gone since the member list was read: as a request in git, or absent
        deps.objects[(rk.kind, ns, name)] = None
    row, d = fleet_row(rec, rk, columns, ns, name, obj, healthy_logs=keep)
    row = deps.settle(row) if track else row
    return _Entry((ns, name, live), row, deps, d if keep else None)


__all__ = ["EVERY_ROW", "SHARED", "Changes", "Deps", "Derived", "Key", "Query", "Recorder", "SharedList"]
