"""Incremental fleet rows (issue 15): each row remembers what it read, and only the rows a change reaches are
computed again.

A row (``diagnose.fleet_row``: one request's diagnosis, reduced to stage, health, since and message) is computed
through a ``Recorder``, a Source that passes every question to the real one and writes down what the answer
depended on (``Deps``; what a row records: ``kratix_lab.fleet.deps``).

``FleetRows.refresh()`` asks the source's change feed (``kratix_lab.fleet.feeds``: the lab store's writes since the
last refresh, or the watch cache's events) what changed, finds the rows it reaches, computes those again, and
returns the rows. Rows never depend on the clock: a row holds ``since``, and durations are computed when shown.

Limits: events are read again at each refresh for the rows that read them (a row reads them only for an object
in trouble); live, a pod's log is taken to change with the pod (the watch cache has no log feed); a formatted
followed value reaches a row only through its message verbatim (``track.Facts.settle``).
"""

from __future__ import annotations

import builtins
import contextlib
import gc
import sys
from dataclasses import dataclass
from typing import Any

from kratix_lab.diagnose import Diagnosis, VClusterStatus, fleet_columns, fleet_members
from kratix_lab.diagnose.fleet import FleetMembers
from kratix_lab.errors import KratixLabError
from kratix_lab.fleet.deps import (
    EVERY_ROW,
    Changes,
    Derived,
    Key,
    _compute,
    _derive,
    _Entry,
    _events_changed,
    _repo_moved,
    _walked,
)
from kratix_lab.fleet.index import _Canon, _Index, _rows_of
from kratix_lab.model import doccache
from kratix_lab.trace import resolve


class FleetRows:
    """The fleet's rows, kept up to date incrementally (see the module docstring).

    ``refresh()`` returns the rows (sorted by namespace and name) and sets ``changed`` (the keys whose row was
    computed again or is new), ``gone`` (rows removed) and ``recomputed``. ``track=False`` records nothing (a
    one-shot ``status``/``diagnose --all``: every row computed once, each diagnosis kept in ``diagnoses()`` unless
    ``diagnoses=False``: ``status``, which shows the rows alone).

    ``refresh(limit=N)`` computes at most N of the rows due here (the dashboard's streaming first paint): the others
    are ``pending`` (a count; a member never computed has no row yet, a stale one keeps its last row) and the next
    refresh computes them first, with whatever the changes seen meanwhile reach; many rows due at once stream in from
    forked processes (``_Stream``). ``total`` is the number of members the last refresh saw. Without a change feed
    (``change_token`` only), a pass under way is finished before the token is compared again — else a token that
    moves at every call (a direct ``LiveSource``) would start the pass again at each refresh and never end it."""

    def __init__(
        self,
        source: Any,
        kind: str = "VClusterOrchestrator",
        *,
        track: bool = True,
        feed: Any = None,
        workers: int = 1,
        diagnoses: bool | None = None,
    ):
        from kratix_lab.fleet.feeds import feed_for

        if track and diagnoses:
            raise ValueError("FleetRows: diagnoses are kept only by a one-shot (track=False)")

        self.source, self.kind, self.track = source, kind, track
        self.workers = workers  # one-shot: processes computing the rows (see _in_workers)
        self.feed = feed if feed is not None else (feed_for(source) if track else None)
        self.entries: dict[tuple[str, str], _Entry] = {}
        self.changed: builtins.list[tuple[str, str]] = []
        self.gone: builtins.list[tuple[str, str]] = []
        self.recomputed = 0
        self.why: dict[tuple[str, str], str] = {}  # the last refresh: why each row was computed again
        self._token: Any = None
        # a one-shot keeps each row's diagnosis (``diagnoses()``: ``diagnose --all`` prints them) unless told not to
        # (``status``: its rows alone — the same rows, without the logs of pipeline runs that succeeded, and without
        # sending every diagnosis back from the forked processes)
        self._keep_diagnoses = not track if diagnoses is None else diagnoses
        self._index = _Index()  # what each row read, by what was read (``_dirty``)
        self._canon = _Canon()  # one object for each equal key, path and query the rows keep
        self._members = FleetMembers()  # the members, kept from one change to the next
        self._members_whole = True  # whether they are read whole at the next refresh
        self._member_keys: set[Key] = set()  # the requests and Applications changed since they were read
        self._member_kind = kind
        self._stream: _Stream | None = None  # the first rows being computed by forked processes
        self.pending = 0  # rows not computed yet: streaming in, or due and left for a later ``refresh(limit)``
        self._due: dict[tuple[str, str], bool] = {}  # rows due, not computed yet (a refresh with a limit)
        self.total = 0  # members the last refresh saw
        self.memo: dict[str, Derived] = {}  # values computed once for every row (``Recorder.derived``)
        if track:  # the rows' first question of the state repo's history, asked now (LabSource.prefetch_history)
            getattr(source, "prefetch_history", lambda: None)()

    def rows(self) -> builtins.list[VClusterStatus]:
        return [self.entries[k].row for k in sorted(self.entries)]

    def diagnoses(self) -> builtins.list[Diagnosis]:
        return [d for k in sorted(self.entries) if (d := self.entries[k].diagnosis) is not None]

    def warm(self) -> None:
        """Read what the first refresh reads before its first row — the requests and the Applications that list
        requests from git (``fleet_members``) — so that it finds them parsed in the source: the dashboard asks for
        this as it starts (``tui.jobs.warm_fleet``), while the app's own start takes its time (at 1,000 vClusters
        ~0.18 s of the first row). An error is left for the refresh to raise."""
        with contextlib.suppress(KratixLabError):
            fleet_members(self.source, resolve(self.source, self.kind))

    def refresh(self, limit: int | None = None) -> builtins.list[VClusterStatus]:
        """Bring the rows up to date and return them. While the first rows stream in (``pending`` > 0: tracked rows
        of a fleet of ``STREAM_FROM`` or more on a source with a bulk snapshot, computed by forked processes, see
        ``_Stream``), a refresh returns the rows in so far: ``limit`` caps the rows it computes here (the first
        ones, read directly, so the first row comes at once), and it waits for the processes' next rows only when
        it has nothing else to do."""
        if limit is not None and limit < 1:
            raise ValueError(f"FleetRows.refresh: limit must be at least 1, not {limit}")
        if self.track:
            return self._refresh(limit)
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

    def _refresh(self, limit: int | None = None) -> builtins.list[VClusterStatus]:
        rows = self._streaming(limit) if self._stream is not None else self._refresh_rows(limit)
        if limit is None and (self._stream is not None or self._due):  # no limit: every row, once all are in
            changed, gone, why = builtins.list(self.changed), builtins.list(self.gone), dict(self.why)
            while self._stream is not None or self._due:
                rows = self._streaming(None) if self._stream is not None else self._refresh_rows(None)
                changed += self.changed
                gone += self.gone
                why |= self.why
            self.changed, self.gone, self.why = sorted(set(changed)), sorted(set(gone)), why
            self.recomputed = len(self.changed)
        return rows

    def _refresh_rows(self, limit: int | None) -> builtins.list[VClusterStatus]:
        token = self._token
        changes = self._changes()
        if self.feed is None and self._due and changes is not None and changes.everything:
            changes, self._token = Changes(), token  # no feed: the pass under way first (see the class docstring)
        # every row computed (a one-shot, or the first refresh): read from one bulk read of the platform (the source's
        # ``snapshot()``, when it has one: kratix_lab.sources.lab.LabSnapshot). Tracking, the rows record what they
        # read of it as they would of the source: the feed was polled before it was read, so a write the snapshot
        # saw or missed is reported at the next refresh and reaches the rows that read it.
        every = changes is None or changes.everything
        # (a refresh that computes only ``limit`` rows here reads them directly, unless they may stream in)
        # (rows that may stream in are read by the processes: this one reads only the members, directly, and the
        # Applications it parses then serve its own first rows)
        may_stream = self.track and _Stream.possible(self, None)
        bulk = every and not may_stream and (limit is None or not self.track)
        snapshot = getattr(self.source, "snapshot", None) if bulk else None
        s = snapshot() if snapshot is not None else self.source
        if not self.track:  # what every row reads, read meanwhile where it can (the placements)
            getattr(s, "prefetch", lambda: None)()
        rk = resolve(s, self.kind)
        if every or self._members_whole:
            members, self._members_whole = self._members.whole(s, rk), False
        else:
            members = self._members.changed(s, rk, self._member_keys)
        self._member_keys, self._member_kind = set(), rk.kind
        dirty = set(members) if changes is None or changes.everything else self._dirty(changes)
        self.total = len(members)
        self.gone = sorted(self.entries.keys() - members.keys())
        for k in self.gone:
            self._index.remove(k, self.entries.pop(k).deps)
        columns = fleet_columns(s, rk)
        todo = []
        for k in self.gone:
            self._due.pop(k, None)
        for key, live in sorted(members.items()):
            entry = self.entries.get(key)
            if entry is None or key in dirty or entry.member[2] != live or key in self._due:
                todo.append((key, live))
        if self.track and _Stream.possible(self, todo):  # many rows due (the first, or every CronJob firing at once)
            self._due = {}
            if snapshot is None:  # read by the processes only
                snapshot = self.source.snapshot
                s = snapshot()
            self._stream = _Stream(s, rk, columns, todo, self.workers)
            return self._streaming(limit)
        if not self.track and self.workers > 1 and len(todo) >= PARALLEL_FROM and hasattr(s, "reopened"):
            computed = _in_workers(s, rk, columns, todo, self.workers, self._keep_diagnoses)
        else:
            if limit is not None and self.track:  # the rows due wait their turn (``pending``); the rest stay shown
                self._due.update(todo)
                todo = [(k, self._due.pop(k)) for k in builtins.list(self._due)[:limit]]
                self.pending = len(self._due)
            else:
                self._due, self.pending = {}, 0
            computed = [
                _compute(s, rk, columns, key, live, self.track, self._keep_diagnoses, self.memo) for key, live in todo
            ]
        for (key, _), entry in zip(todo, computed, strict=True):
            if self.track:
                self._put(key, entry)
            else:
                self.entries[key] = entry
        self.changed = [key for key, _ in todo]
        self.recomputed = len(self.changed)
        return self.rows()

    def _put(self, key: tuple[str, str], entry: _Entry) -> None:
        """A tracked row computed: kept, and what it read indexed (its keys the ones every row shares)."""
        key = self._canon.value(key)
        entry.member = self._canon.value(entry.member)
        self._canon.deps(entry.deps)
        old = self.entries.get(key)
        if old is not None:
            self._index.remove(key, old.deps)
        self.entries[key] = entry
        self._index.add(key, entry.deps)

    def _streaming(self, limit: int | None) -> builtins.list[VClusterStatus]:
        """A refresh while the first rows stream in (``_Stream``): the rows here are brought up to date as ever,
        the stream's new rows are taken — and checked against every change since it started (they may have read
        before it) — and, up to ``limit``, the rows left to this process are computed."""
        stream = self._stream
        assert stream is not None and self.feed is not None
        changes: Changes = self.feed.poll()
        self._note_members(changes)
        since = stream.since
        since.objects |= changes.objects
        since.logs |= changes.logs
        since.head |= changes.head
        since.everything |= changes.everything
        dirty = self._dirty(changes) if self.entries else set()
        why = dict(self.why) if dirty else {}
        mine = stream.mine(limit)
        arrived, orphans = stream.take(block=not mine and not dirty)
        for key, entry in arrived:
            self._put(key, entry)
        for name, derived in stream.memo.items():  # what the streamed rows used, as it is now (``_dirty`` compares)
            if name not in self.memo:
                self.memo[name] = _derive(self.source, derived.compute)
        if arrived:
            late = self._dirty(since, only={k for k, _ in arrived})
            dirty |= late
            why |= {k: self.why[k] for k in late}
        again = [(k, self.entries[k].member[2]) for k in sorted(dirty) if k in self.entries]
        if len(again) > STREAM_HERE:  # many rows reached at once (CronJobs): streamed after this stream
            self._due.update(again)
            again = []
        todo = [*mine, *orphans, *again]
        for key, live in todo:
            self._put(key, _compute(self.source, stream.rk, stream.columns, key, live, True, False, self.memo))
        self.why = why
        self.changed = [*(k for k, _ in arrived), *(k for k, _ in todo)]
        self.recomputed = len(self.changed)
        self.gone = []
        self.pending = stream.pending + len(self._due)
        if not stream.pending:
            stream.close()
            self._stream = None
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
        self._note_members(changes)
        return changes

    def _note_members(self, changes: Changes) -> None:
        """What a poll of the feed says of the members (``FleetMembers``): the requests and Applications to read
        again at the next refresh, or all of them."""
        if changes.everything or any(k[0] in EVERY_ROW for k in changes.objects):
            self._members_whole = True
        else:
            self._member_keys.update(k for k in changes.objects if k[0] in (self._member_kind, "Application"))

    def _dirty(self, changes: Changes, only: set[tuple[str, str]] | None = None) -> set[tuple[str, str]]:
        """The rows ``changes`` reach (of ``only``, when given), and why (``self.why``), found through the index of
        what each row read (``_Index``): the work is the rows that read a changed object, not every row."""
        s, idx = self.source, self._index
        if changes.everything or any(k[0] in EVERY_ROW for k in changes.objects):
            if only is None:
                self.memo.clear()
            self.why = dict.fromkeys(self.entries if only is None else only, "a Promise or CRD changed")
            return set(self.why)
        # rows outside ``only`` count as reached already: nothing is looked up for them
        why: dict[tuple[str, str], str] = {} if only is None else dict.fromkeys(self.entries.keys() - only, "")
        new: dict[Key, dict[str, Any] | None] = {}

        def current(key: Key) -> dict[str, Any] | None:
            if key not in new:
                kind, ns, name = key
                new[key] = s.get(kind, name, ns or None)
            return new[key]

        def mark(rows: Any, reason: Any) -> None:
            for row in rows:
                if row not in why:
                    why[row] = reason() if callable(reason) else reason

        kinds = {k[0] for k in changes.objects}
        for key in changes.objects:
            mark(_rows_of(idx.objects.get(key)), lambda key=key: f"{'/'.join(key)} changed")
            readers = idx.shared.get(key)
            if readers:
                obj, memo = current(key), dict[Any, Any]()
                for row in [r for r in _rows_of(readers) if r not in why]:
                    broken = self.entries[row].deps.shared[key].broken(obj, s.is_ancestor, s.timestamp, memo)
                    if broken is not None:
                        why[row] = f"{'/'.join(key)}: {broken}"
            if key[0] in idx.query_kinds:
                obj = current(key)
                if obj is not None:
                    for row in idx.listing(obj, key) - why.keys():
                        why[row] = f"{'/'.join(key)} joined a list it read"
        lists: dict[tuple[Any, ...], builtins.list[Key]] = {}
        for kind in kinds & idx.shared_lists.keys():
            for row in [r for r in _rows_of(idx.shared_lists[kind]) if r not in why]:
                reason = _walked(self.entries[row].deps, kind, s, lists)
                if reason is not None:
                    why[row] = reason
        if only is None:  # the values computed for every row, computed again after a change to what they read
            for name in builtins.list(self.memo):
                entry = self.memo[name]
                if not idx.derived.get(name):
                    del self.memo[name]  # no row uses it any more
                elif entry.always or entry.kinds & kinds:
                    self.memo[name] = _derive(s, entry.compute)
        for name, rows in idx.derived.items():  # (the memo is current: rows streamed in are checked against it)
            now = self.memo.get(name)
            for row in [r for r in _rows_of(rows) if r not in why]:
                if now is None or self.entries[row].deps.derived[name] != now.fingerprint:
                    why[row] = f"{name} changed (computed once for every row)"
        for log in changes.logs:
            mark(_rows_of(idx.logs.get(log)), "a pod log it read grew")
        if changes.head and idx.repo:
            head, fingerprints = s.state_head(), dict[tuple[str, str | None], str]()
            for row in idx.repo - why.keys():
                reason = _repo_moved(self.entries[row].deps, head, s, fingerprints)
                if reason is not None:
                    why[row] = reason
        events: dict[Key, str] = {}
        for row in idx.events - why.keys():  # events have no feed: read again (rows in trouble only)
            reason = _events_changed(self.entries[row].deps, s, events)
            if reason is not None:
                why[row] = reason
        if only is not None:
            why = {k: v for k, v in why.items() if k in only}
        self.why = why
        return set(why)


PARALLEL_FROM = 64  # rows: below this a one-shot computes them in this process (starting workers costs more)
STREAM_FROM = 64  # rows: from this many, a tracked fleet's first rows stream in from forked processes (_Stream)
STREAM_HERE = 16  # of those, the first ones this process computes itself, read directly (the first row at once)
STREAM_CHUNK = 16  # rows a forked process sends at a time


class _Stream:
    """A tracked fleet's first rows (issue 15: the dashboard's first paint), computed by ``workers`` forked
    processes over the bulk snapshot and streamed back ``STREAM_CHUNK`` rows at a time, each with what it read.

    Why forked: the snapshot of a thousand vClusters is every object parsed (a gigabyte at its peak); read in a
    long-lived process (the dashboard's fleet worker) the memory stays with it, fragmented among the rows'
    dependency records; a forked process that reads it and exits gives all of it back, and two use both cores.
    Each process holds the bodies of the rows at hand only (``LabSnapshot.forget_parsed``: a kind read without its
    texts, each body read when a row asks, those of the rows sent dropped): they held every body of the kinds they
    read and every one they parsed (at 300 vClusters 270 MB of PSS each; 120 MB now), and the dashboard's memory
    budget counts them. This process computes the first ``STREAM_HERE`` rows itself, read directly from the source,
    so the first rows show at once while the processes read the snapshot (seconds). Each process opens the lab again
    (``LabSnapshot.reopened``). A process that dies leaves the rows it did not send to this process. Rows read
    before a change that this process polls meanwhile are checked against every change since the start
    (``FleetRows._streaming``)."""

    def __init__(self, s: Any, rk: Any, columns: Any, todo: builtins.list[tuple[tuple[str, str], bool]], workers: int):
        import multiprocessing

        self.rk, self.columns = rk, columns
        self.since = Changes()  # every change polled since the stream started
        self.memo: dict[str, Derived] = {}  # the values computed for every row the processes' rows used
        self.here = todo[:STREAM_HERE]
        rest = todo[STREAM_HERE:]
        size = -(-len(rest) // workers)
        ctx = multiprocessing.get_context("fork")
        getattr(s, "ready", lambda: None)()  # no thread of the snapshot's left running (a forked process has none)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        self.children: builtins.list[_Child] = []
        for i in range(0, len(rest), size):
            share = rest[i : i + size]
            receive, send = ctx.Pipe(duplex=False)
            process = ctx.Process(target=_stream_share, args=(send, s, rk, columns, share), daemon=True)
            process.start()
            send.close()
            self.children.append(_Child(process, receive, {k: live for k, live in share}))
        self.pending = len(todo)

    @staticmethod
    def possible(rows: FleetRows, todo: builtins.list[Any] | None) -> bool:
        """Whether ``todo`` (None: any batch big enough) may stream in from forked processes."""
        import multiprocessing
        import threading

        return (
            rows.workers > 1
            and rows.feed is not None
            and callable(getattr(rows.source, "snapshot", None))
            and (todo is None or len(todo) >= STREAM_FROM)
            and "fork" in multiprocessing.get_all_start_methods()
            and threading.active_count() == 1  # forking a process with threads can copy a lock held
        )

    def mine(self, limit: int | None) -> builtins.list[tuple[tuple[str, str], bool]]:
        """The next rows this process computes itself (``limit`` of them, else all it has)."""
        n = len(self.here) if limit is None else max(0, min(limit, len(self.here)))
        out, self.here = self.here[:n], self.here[n:]
        self.pending -= len(out)
        return out

    def take(
        self, block: bool
    ) -> tuple[builtins.list[tuple[tuple[str, str], _Entry]], builtins.list[tuple[tuple[str, str], bool]]]:
        """The rows the processes sent (waiting for some when ``block``), and the rows of a process that died
        without sending them (to compute here)."""
        from multiprocessing.connection import wait

        arrived: builtins.list[tuple[tuple[str, str], _Entry]] = []
        orphans: builtins.list[tuple[tuple[str, str], bool]] = []
        open_ = [c for c in self.children if c.todo]
        if not open_:
            return arrived, orphans
        ready = set(wait([c.conn for c in open_], timeout=None if block else 0))
        for child in open_:
            if child.conn not in ready:
                continue
            try:
                while True:
                    rows, memo = child.conn.recv()
                    for key, entry in rows:
                        if child.todo.pop(key, None) is not None:
                            arrived.append((key, entry))
                    for name, derived in memo.items():
                        self.memo.setdefault(name, derived)
                    if not child.todo or not child.conn.poll():
                        break
            except (EOFError, OSError):  # it died: its rows left are computed here
                orphans += sorted(child.todo.items())
                child.todo.clear()
            if not child.todo:
                child.close()
        self.pending -= len(arrived) + len(orphans)
        return arrived, orphans

    def close(self) -> None:
        for child in self.children:
            child.close()


@dataclass
class _Child:
    process: Any
    conn: Any
    todo: dict[tuple[str, str], bool]  # rows it has not sent yet

    def close(self) -> None:
        self.conn.close()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def _stream_share(send: Any, s: Any, rk: Any, columns: Any, share: Any) -> None:
    """A forked process's tracked rows (``_Stream``), sent ``STREAM_CHUNK`` at a time with the values computed for
    every row they used; it stops at a row that raises (the parent computes the rest and raises there)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's (it ends this daemon process)
    try:
        s = s.reopened()
        forget = getattr(s, "forget_parsed", lambda: None)  # the bodies of the rows sent: not held (a lab's snapshot)
        forget()
        memo: dict[str, Derived] = {}
        sent: set[str] = set()
        for i in range(0, len(share), STREAM_CHUNK):
            chunk = share[i : i + STREAM_CHUNK]
            rows = [(key, _compute(s, rk, columns, key, live, True, False, memo)) for key, live in chunk]
            send.send((rows, {name: d for name, d in memo.items() if name not in sent}))
            sent |= memo.keys()
            forget()
    except Exception:  # the parent computes what was not sent, and raises there
        pass
    finally:
        send.close()
        doccache.flush()  # (status -w keeps the documents it parses: a forked process runs no atexit)


def one_shot_workers() -> int:
    """How many processes a one-shot fleet (``status``, ``diagnose --all``) computes its rows in: two where the
    machine has two cores or more (issue 15 measures both the wall and the CPU time), else one."""
    import os

    return min(2, os.cpu_count() or 1)


ONE_SHOT_CHUNK = 4  # rows a one-shot's process takes at a time (``_in_workers``)
_CHUNKS_MAX = 1024  # chunks at most: their numbers (4 bytes each) fit in a pipe before any process reads it


def _in_workers(
    s: Any, rk: Any, columns: Any, todo: builtins.list[tuple[tuple[str, str], bool]], workers: int, keep: bool
) -> builtins.list[_Entry]:
    """A one-shot's rows computed by ``workers`` processes (issue 15: a cold ``status`` of a thousand vClusters on a
    machine's cores) over one snapshot ``s``, read once.

    The first row is computed here: it reads what every row reads (each kind the trace lists and its label indexes,
    the files of every WorkPlacement's commit, the Promises). Then ``workers - 1`` processes are forked, each with
    what this process has read (shared copy-on-write, never read again); for anything it reads from then on, a
    process opens the lab again (the snapshot's ``reopened()``: its own SQLite connection and git processes — a
    process never uses its parent's). The rest is cut into chunks of ``ONE_SHOT_CHUNK`` rows whose numbers wait in a
    pipe: every process, this one too, takes the next chunk when it is done with one, so they end together whatever
    each row costs (a forked process's rows cost more, its pages copied as it touches them; a first run parses the
    YAML of some rows' files and not of others'). Between its chunks this one takes the rows the others sent
    (pickled through a pipe, from a thread of theirs: a process goes on computing while its rows wait to be taken).
    A chunk a process took and did not send (it died, or a row raised) is computed here at the end, in order, where
    the same row raises the same error. Without ``fork`` (another OS) every row is computed here."""
    import multiprocessing
    import os
    from multiprocessing.connection import wait

    def here(share: builtins.list[tuple[tuple[str, str], bool]]) -> builtins.list[_Entry]:
        return [_compute(s, rk, columns, key, live, False, keep) for key, live in share]

    if "fork" not in multiprocessing.get_all_start_methods():
        return here(todo)
    out = here(todo[:1])
    rest = todo[1:]
    size = max(ONE_SHOT_CHUNK, -(-len(rest) // _CHUNKS_MAX))
    chunks = [rest[i : i + size] for i in range(0, len(rest), size)]
    ctx = multiprocessing.get_context("fork")
    getattr(s, "parse_while_reading", lambda: None)()  # the git batch may still run: its wait put to use
    getattr(s, "ready", lambda: None)()  # no thread of the snapshot's left running (a forked process has none)
    for stream in (sys.stdout, sys.stderr):  # a forked process flushes what it inherited when it exits
        stream.flush()
    numbers, writer = os.pipe()
    os.write(writer, b"".join(i.to_bytes(4, "big") for i in range(len(chunks))))  # ≤ 4 KB: never blocks
    os.close(writer)  # (before the fork: a process reading an empty pipe is told the end, never left waiting)

    def take() -> int | None:
        number = os.read(numbers, 4)  # (a read of 4 bytes from a pipe is whole: no two processes split one)
        return int.from_bytes(number, "big") if len(number) == 4 else None

    done: dict[int, builtins.list[_Entry]] = {}
    children: dict[Any, Any] = {}
    try:
        for _ in range(workers - 1 if chunks else 0):
            receive, send = ctx.Pipe(duplex=False)
            process = ctx.Process(target=_share, args=(send, s, rk, columns, chunks, take, keep), daemon=True)
            process.start()
            send.close()
            children[receive] = process

        def collect(block: bool) -> None:
            ready: builtins.list[Any] = wait(builtins.list(children), timeout=None if block else 0)
            for conn in ready:
                try:
                    while True:
                        number, entries = conn.recv()
                        done[number] = entries
                        if not conn.poll():
                            break
                except (EOFError, OSError):  # it has ended (what it took and did not send is computed below)
                    conn.close()
                    children.pop(conn).join()

        while (number := take()) is not None:
            done[number] = here(chunks[number])
            if children:
                collect(block=False)
        while children:
            collect(block=True)
    finally:
        while take() is not None:  # (a row raised here: the others stop at their next chunk)
            pass
        os.close(numbers)
        for conn, process in children.items():
            conn.close()
            process.join()
    for number, chunk in enumerate(chunks):  # (in order: the first row that raises raises here)
        if number not in done:
            done[number] = here(chunk)
    return out + [entry for number in range(len(chunks)) for entry in done[number]]


def _share(send: Any, s: Any, rk: Any, columns: Any, chunks: Any, take: Any, keep: bool) -> None:
    """A forked process's rows (see ``_in_workers``): the chunks it takes, each sent to the parent with its number as
    soon as it is computed (from a thread: a big diagnosis waits in the pipe while this process goes on); it stops at
    a chunk whose row raises (the parent computes that chunk again and raises there)."""
    import contextlib
    import queue
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's (it ends this daemon process)
    outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def sending() -> None:
        with contextlib.suppress(Exception):  # (the parent has gone: nothing to send to)
            while (item := outbox.get()) is not None:
                send.send(item)

    sender = threading.Thread(target=sending, name="kratix-lab-rows", daemon=True)
    sender.start()
    try:
        s = s.reopened()
        with contextlib.suppress(Exception):  # else the parent computes this chunk again and raises there
            while (number := take()) is not None:
                outbox.put((number, [_compute(s, rk, columns, key, live, False, keep) for key, live in chunks[number]]))
    finally:
        outbox.put(None)
        sender.join()
        send.close()
        doccache.flush()  # the documents it parsed, for the next process (a forked process runs no atexit)


def fleet_rows(source: Any, kind: str = "VClusterOrchestrator") -> FleetRows:
    """A ``FleetRows`` over ``source``, computed once (``refresh()`` again after changes)."""
    rows = FleetRows(source, kind)
    rows.refresh()
    return rows


__all__ = ["FleetRows", "fleet_rows", "one_shot_workers"]
