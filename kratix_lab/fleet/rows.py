"""Incremental fleet rows (issue 15): each row remembers what it read, and only the rows a change reaches are
computed again.

A row (``diagnose.fleet_row``: one request's diagnosis, reduced to stage, health, since and message) is computed
through a ``Recorder``, a Source that passes every question to the real one and writes down what the answer
depended on (``Deps``):

- the objects it got or listed, by kind/namespace/name and resourceVersion (its request, sub-requests, Works,
  WorkPlacements, Jobs, pods, Helm workloads, their Applications…), and each label-selected list it asked for (an
  object created later that the selector matches reaches the row too);
- objects every row reads — Argo CD Applications, Destinations, GitStateStores (``SHARED``) — as facts about the
  parts it read (``kratix_lab.fleet.track``): the state reconciler's Application, synced at every change, reaches
  only the rows whose facts it breaks (the commit it syncs is theirs, or its errors are new);
- events and pod logs by object, the state repo's head and files read at a branch, and the installed Promises
  and kinds (a change there reaches every row).

``FleetRows.refresh()`` asks the source's change feed (``kratix_lab.fleet.feeds``: the lab store's writes since the
last refresh, or the watch cache's events) what changed, finds the rows it reaches, computes those again, and
returns the rows. Rows never depend on the clock: a row holds ``since``, and durations are computed when shown.

Limits: events are read again at each refresh for the rows that read them (a row reads them only for an object
in trouble); live, a pod's log is taken to change with the pod (the watch cache has no log feed); a formatted
followed value reaches a row only through its message verbatim (``track.Facts.settle``).
"""

from __future__ import annotations

import builtins
import gc
import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

from kratix_lab.diagnose import Diagnosis, VClusterStatus, fleet_columns, fleet_members, fleet_row
from kratix_lab.fleet.track import Facts, TDict, TStr, followed_time, plain, wrap
from kratix_lab.model import matches_labels
from kratix_lab.trace import resolve

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


@dataclass
class Query:
    """A list a row asked for: every object of ``kind`` (in ``namespace``) whose labels match ``labels``."""

    kind: str
    group: str | None
    namespace: str | None
    labels: tuple[tuple[str, str], ...]

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

    def settle(self, row: VClusterStatus) -> VClusterStatus:
        """The row computed: its followed values made plain (recorded whole) and the formatted ones that reached
        its text made facts."""
        row = replace(row, since=plain(row.since) if row.since is not None else None)
        text = "\n".join((row.message, row.stage, row.health, row.preset, row.k8s_version))
        for facts in self.shared.values():
            facts.settle(text)
        return row


class _SharedResult(builtins.list):  # type: ignore[type-arg]
    """The list of a shared kind a ``Recorder`` returns: walking it records which object is at each index."""

    def __init__(self, items: builtins.list[Any], keys: builtins.list[Key], record: SharedList) -> None:
        super().__init__(items)
        self._keys, self._record = keys, record

    def _take(self, i: int) -> Any:
        self._record.taken[i] = self._keys[i]
        return builtins.list.__getitem__(self, i)

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


class Recorder:
    """A Source that answers from ``source`` and writes down in ``deps`` what each answer depended on."""

    def __init__(self, source: Any, deps: Deps, track: bool = True) -> None:
        self._s, self.deps, self.track = source, deps, track

    def __getattr__(self, name: str) -> Any:  # name, read_only, mode, state_repo_error …
        if name == "derived" and self.track:
            raise AttributeError(name)  # a value computed once would hide what each row read
        return getattr(self._s, name)

    def _facts(self, key: Key) -> Facts:
        facts = self.deps.shared.get(key)
        if facts is None:
            facts = self.deps.shared[key] = Facts()
        return facts

    def get(
        self, kind: str, name: str, namespace: str | None = None, group: str | None = None
    ) -> dict[str, Any] | None:
        obj: dict[str, Any] | None = self._s.get(kind, name, namespace, group)
        if not self.track:
            return obj
        key = (kind, namespace or "", name)
        if kind in SHARED:
            facts = self._facts(key)
            facts.add((), "exists", None, obj is not None)
            return None if obj is None else wrap(obj, facts, ())
        self.deps.objects[key] = _rv(obj)
        return obj

    def list(
        self, kind: str, namespace: str | None = None, labels: dict[str, str] | None = None, group: str | None = None
    ) -> builtins.list[dict[str, Any]]:
        objs: builtins.list[dict[str, Any]] = self._s.list(kind, namespace, labels, group)
        if not self.track:
            return objs
        query = Query(kind, group, namespace, tuple(sorted((labels or {}).items())))
        if kind in SHARED:
            record = SharedList(query)
            self.deps.shared_lists.append(record)
            keys = [_key_of(o) for o in objs]
            for k in keys:
                self._facts(k).add((), "exists", None, True)
            return _SharedResult([wrap(o, self._facts(k), ()) for o, k in zip(objs, keys, strict=True)], keys, record)
        self.deps.queries.append(query)
        for o in objs:
            self.deps.objects[_key_of(o)] = _rv(o)
        return objs

    def events(self, obj: dict[str, Any]) -> builtins.list[dict[str, Any]]:
        events: builtins.list[dict[str, Any]] = self._s.events(plain(obj) if isinstance(obj, TDict) else obj)
        if self.track:
            self.deps.events[_key_of(obj)] = _fingerprint(events)
        return events

    def logs(self, pod: dict[str, Any], tail: int | None = None, container: str | None = None) -> str:
        if self.track:
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
        if self.track and (rev is None or not _FULL_SHA.fullmatch(rev)):  # a branch moves; a commit never changes
            self.deps.files[(path, rev)] = _fingerprint({k: v.hex() for k, v in files.items()})
        return files  # type: ignore[no-any-return]

    def state_head(self) -> str | None:
        head = self._s.state_head()
        if self.track:
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


class FleetRows:
    """The fleet's rows, kept up to date incrementally (see the module docstring).

    ``refresh()`` returns the rows (sorted by namespace and name) and sets ``changed`` (the keys whose row was
    computed again or is new), ``gone`` (rows removed) and ``recomputed``. ``track=False`` records nothing (a
    one-shot ``status``/``diagnose --all``: every row computed once, each diagnosis kept in ``diagnoses()``)."""

    def __init__(
        self, source: Any, kind: str = "VClusterOrchestrator", *, track: bool = True, feed: Any = None, workers: int = 1
    ):
        from kratix_lab.fleet.feeds import feed_for

        self.source, self.kind, self.track = source, kind, track
        self.workers = workers  # one-shot: processes computing the rows (see _in_workers)
        self.feed = feed if feed is not None else (feed_for(source) if track else None)
        self.entries: dict[tuple[str, str], _Entry] = {}
        self.changed: builtins.list[tuple[str, str]] = []
        self.gone: builtins.list[tuple[str, str]] = []
        self.recomputed = 0
        self.why: dict[tuple[str, str], str] = {}  # the last refresh: why each row was computed again
        self._token: Any = None
        self._keep_diagnoses = not track

    def rows(self) -> builtins.list[VClusterStatus]:
        return [self.entries[k].row for k in sorted(self.entries)]

    def diagnoses(self) -> builtins.list[Diagnosis]:
        return [d for k in sorted(self.entries) if (d := self.entries[k].diagnosis) is not None]

    def refresh(self) -> builtins.list[VClusterStatus]:
        if self.track:
            return self._refresh()
        # one-shot: a fleet's objects are hundreds of thousands of dicts and lists, all alive until the rows are
        # made; the cyclic collector would walk them again and again as they pile up (a third of a cold ``status``),
        # and once more at its first full collection after (seconds): what is alive then is frozen out of its sight
        # (``gc.freeze``; freed by reference counting as ever) — a one-shot's process ends soon after
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._refresh()
        finally:
            if collecting:
                gc.freeze()
                gc.enable()

    def _refresh(self) -> builtins.list[VClusterStatus]:
        changes = self._changes()
        # one-shot: every row read from one bulk read of the platform (the source's ``snapshot()``, when it has one:
        # kratix_lab.sources.lab.LabSnapshot) — never when tracking, whose rows must record each read
        snapshot = None if self.track else getattr(self.source, "snapshot", None)
        s = snapshot() if snapshot is not None else self.source
        getattr(s, "prefetch", lambda: None)()  # what every row reads, read meanwhile where it can (the placements)
        rk = resolve(s, self.kind)
        members = {(ns, name): obj is not None for ns, name, obj in fleet_members(s, rk)}
        dirty = set(members) if changes is None or changes.everything else self._dirty(changes)
        self.gone = sorted(self.entries.keys() - members.keys())
        for k in self.gone:
            del self.entries[k]
        columns = fleet_columns(s, rk)
        todo = []
        for key, live in sorted(members.items()):
            entry = self.entries.get(key)
            if entry is None or key in dirty or entry.member[2] != live:
                todo.append((key, live))
        if not self.track and self.workers > 1 and len(todo) >= PARALLEL_FROM and hasattr(s, "reopened"):
            computed = _in_workers(s, rk, columns, todo, self.workers, self._keep_diagnoses)
        else:
            computed = [_compute(s, rk, columns, key, live, self.track, self._keep_diagnoses) for key, live in todo]
        for (key, _), entry in zip(todo, computed, strict=True):
            self.entries[key] = entry
        self.changed = [key for key, _ in todo]
        self.recomputed = len(self.changed)
        return self.rows()

    # ---- which rows a change reaches ----------------------------------------------------------

    def _changes(self) -> Changes | None:
        if not self.entries:
            if self.feed is not None:
                self.feed.poll()  # start from now
            self._token = self.source.change_token()
            return None
        if self.feed is None:  # no feed: everything when the source says it changed
            token = self.source.change_token()
            moved, self._token = token != self._token, token
            return Changes(everything=moved)
        changes: Changes = self.feed.poll()
        return changes

    def _dirty(self, changes: Changes) -> set[tuple[str, str]]:
        s = self.source
        dirty: set[tuple[str, str]] = set()
        if any(k[0] in EVERY_ROW for k in changes.objects):
            self.why = dict.fromkeys(self.entries, "a Promise or CRD changed")
            return set(self.entries)
        new: dict[Key, dict[str, Any] | None] = {}
        lists: dict[tuple[Any, ...], builtins.list[Key]] = {}

        def current(key: Key) -> dict[str, Any] | None:
            if key not in new:
                kind, ns, name = key
                new[key] = s.get(kind, name, ns or None)
            return new[key]

        def listed(q: Query) -> builtins.list[Key]:
            k = (q.kind, q.group, q.namespace, q.labels)
            if k not in lists:
                lists[k] = [_key_of(o) for o in s.list(q.kind, q.namespace, dict(q.labels) or None, q.group)]
            return lists[k]

        changed_kinds = {k[0] for k in changes.objects}
        self.why = {}
        for rowkey, e in self.entries.items():
            why = self._reached(e.deps, changes, changed_kinds, current, listed)
            if why is not None:
                dirty.add(rowkey)
                self.why[rowkey] = why
        return dirty

    def _reached(self, d: Deps, changes: Changes, kinds: set[str], current: Any, listed: Any) -> str | None:
        """Why the change reaches a row with these dependencies (None: it does not)."""
        s = self.source
        for key in changes.objects:
            if key in d.objects:
                return f"{'/'.join(key)} changed"
            facts = d.shared.get(key)
            if facts is not None:
                broken = facts.broken(current(key), s.is_ancestor, s.timestamp)
                if broken is not None:
                    return f"{'/'.join(key)}: {broken}"
        for q in d.queries:
            if q.kind in kinds:
                for key in changes.objects:
                    obj = current(key) if key[0] == q.kind else None
                    if obj is not None and q.matches(obj):
                        return f"{'/'.join(key)} joined a list it read"
        for record in d.shared_lists:
            if record.query.kind in kinds:
                keys = listed(record.query)
                if record.length is not None and len(keys) != record.length:
                    return f"the list of {record.query.kind} it read all of changed length"
                if any(i >= len(keys) or keys[i] != k for i, k in record.taken.items()):
                    return f"the list of {record.query.kind} it walked changed"
        if d.logs & changes.logs:
            return "a pod log it read grew"
        if changes.head and (d.head or d.files):
            if d.head and d.head[0] != s.state_head():
                return "the state repo's head moved"
            for (path, rev), fp in d.files.items():
                if _fingerprint({k: v.hex() for k, v in s.state_files(path, rev).items()}) != fp:
                    return f"{path} at {rev} changed"
        for (kind, ns, name), fp in d.events.items():  # events have no feed: read again (rows in trouble only)
            meta: dict[str, Any] = {"name": name}
            if ns:
                meta["namespace"] = ns
            if _fingerprint(s.events({"kind": kind, "metadata": meta})) != fp:
                return f"the events of {kind}/{ns}/{name} changed"
        return None


def _compute(source: Any, rk: Any, columns: Any, key: tuple[str, str], live: bool, track: bool, keep: bool) -> _Entry:
    deps = Deps()
    rec = Recorder(source, deps, track)
    ns, name = key
    obj = rec.get(rk.kind, name, ns or None, rk.group) if live else None
    if live and obj is None:  # gone since the member list was read: as a request in git, or absent
        rec.deps.objects[(rk.kind, ns, name)] = None
    row, d = fleet_row(rec, rk, columns, ns, name, obj)
    row = deps.settle(row) if track else row
    return _Entry((ns, name, live), row, deps, d if keep else None)


PARALLEL_FROM = 64  # rows: below this a one-shot computes them in this process (starting workers costs more)


def one_shot_workers() -> int:
    """How many processes a one-shot fleet (``status``, ``diagnose --all``) computes its rows in: two where the
    machine has two cores or more (issue 15 measures both the wall and the CPU time), else one."""
    import os

    return min(2, os.cpu_count() or 1)


def _in_workers(
    s: Any, rk: Any, columns: Any, todo: builtins.list[tuple[tuple[str, str], bool]], workers: int, keep: bool
) -> builtins.list[_Entry]:
    """A one-shot's rows computed by ``workers`` processes (issue 15: a cold ``status`` of a thousand vClusters on a
    machine's cores) over one snapshot ``s``, read once.

    The first row is computed here: it reads what every row reads (each kind the trace lists and its label indexes,
    the files of every WorkPlacement's commit, the Promises). Then ``workers - 1`` processes are forked, each with
    what this process has read (shared copy-on-write, never read again) and computing one contiguous share of the
    rest; for anything it reads from then on, a process opens the lab again (the snapshot's ``reopened()``: its own
    SQLite connection and git processes — a process never uses its parent's). This process computes the first share
    meanwhile, then takes the others' rows (pickled through a pipe). A process that dies without its rows (killed, or
    a row that raised) has its share computed here, where the same row raises the same error. Without ``fork``
    (another OS) every row is computed here."""
    import multiprocessing
    import sys

    def here(share: builtins.list[tuple[tuple[str, str], bool]]) -> builtins.list[_Entry]:
        return [_compute(s, rk, columns, key, live, False, keep) for key, live in share]

    if "fork" not in multiprocessing.get_all_start_methods():
        return here(todo)
    out = here(todo[:1])
    rest = todo[1:]
    size = -(-len(rest) // workers)
    shares = [rest[i : i + size] for i in range(0, len(rest), size)]
    ctx = multiprocessing.get_context("fork")
    getattr(s, "parse_while_reading", lambda: None)()  # the git batch may still run: its wait put to use
    getattr(s, "ready", lambda: None)()  # no thread of the snapshot's left running (a forked process has none)
    for stream in (sys.stdout, sys.stderr):  # a forked process flushes what it inherited when it exits
        stream.flush()
    children = []
    for share in shares[1:]:
        receive, send = ctx.Pipe(duplex=False)
        process = ctx.Process(target=_share, args=(send, s, rk, columns, share, keep), daemon=True)
        process.start()
        send.close()
        children.append((process, receive, share))
    out += here(shares[0] if shares else [])
    for process, receive, share in children:
        try:
            entries: builtins.list[_Entry] = receive.recv()
        except EOFError:  # it died without its rows
            entries = here(share)
        receive.close()
        process.join()
        out += entries
    return out


def _share(send: Any, s: Any, rk: Any, columns: Any, share: Any, keep: bool) -> None:
    """A forked process's rows (see ``_in_workers``): sent to the parent, or nothing when a row raises."""
    import contextlib
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's (it ends this daemon process)
    s = s.reopened()
    with contextlib.suppress(Exception):  # else the parent computes this share again and raises there
        send.send([_compute(s, rk, columns, key, live, False, keep) for key, live in share])
    send.close()


def fleet_rows(source: Any, kind: str = "VClusterOrchestrator") -> FleetRows:
    """A ``FleetRows`` over ``source``, computed once (``refresh()`` again after changes)."""
    rows = FleetRows(source, kind)
    rows.refresh()
    return rows


__all__ = ["SHARED", "Changes", "Deps", "FleetRows", "Recorder", "fleet_rows", "one_shot_workers"]
