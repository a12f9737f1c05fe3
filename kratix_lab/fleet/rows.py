"""Incremental fleet rows (issue 15): each row remembers what it read, and only the rows a change reaches are
computed again.

A row (``diagnose.fleet_row``: one request's diagnosis, reduced to stage, health, since and message) is computed
through a ``Recorder``, a Source that passes every question to the real one and writes down what the answer
depended on (``Deps``; what a row records: ``kratix_lab.fleet.deps``).

``FleetRows.refresh()`` asks the source's change feed (``kratix_lab.fleet.feeds``: the lab store's writes since the
last refresh, or the watch cache's events) what changed, finds the rows it reaches, computes those again, and
returns the rows. Rows never depend on the clock: a row holds ``since``, and durations are computed when shown.
The rows a change reaches are looked up in an index of what each row read (``kratix_lab.fleet.index``); many
rows due at once are computed by forked processes (``kratix_lab.fleet.parallel``).

Limits: events are read again at each refresh for the rows that read them (a row reads them only for an object
in trouble); live, a pod's log is taken to change with the pod (the watch cache has no log feed); a formatted
followed value reaches a row only through its message verbatim (``track.Facts.settle``).
"""

from __future__ import annotations

import builtins
import contextlib
import gc
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
from kratix_lab.fleet.feeds import feed_for
from kratix_lab.fleet.index import _Canon, _Index, _rows_of
from kratix_lab.fleet.parallel import _in_workers, _Stream
from kratix_lab.trace import resolve

PARALLEL_FROM = 64  # rows: below this a one-shot computes them in this process (starting workers costs more)


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
        if not self.track:  # what every row reads, read meanwhile where it can (the placements; the state history)
            # (rows computed by processes: each reads its own rows' placements, ``_in_workers``)
            many = self.workers > 1 and hasattr(s, "reopened")
            getattr(s, "prefetch_history" if many else "prefetch", lambda: None)()
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
            # the first row here, before the processes fork: what every row computes alike (``Recorder.derived``:
            # the Applications of the state repo, those that cannot compare) is computed once, here, and the
            # processes start with it — each computing it would read (and copy the pages of) every Application
            (key, live), first = todo[0], [todo[0][0]]
            self._put(key, _compute(self.source, rk, columns, key, live, True, False, self.memo))
            todo = todo[1:]
            if _Stream.possible(self, todo):  # (still: no thread started by that row)
                self._due = {}
                if snapshot is None:  # read by the processes only
                    snapshot = self.source.snapshot
                    s = snapshot()
                self._stream = _Stream(s, rk, columns, todo, self.workers, self.memo)
                return self._streaming(None if limit is None else limit - 1, first)
            if limit is not None:
                limit -= 1
        else:
            first = []
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
        self.changed = [*first, *(key for key, _ in todo)]
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

    def _streaming(
        self, limit: int | None, first: builtins.list[tuple[str, str]] | None = None
    ) -> builtins.list[VClusterStatus]:
        """A refresh while the first rows stream in (``_Stream``): the rows here are brought up to date as ever,
        the stream's new rows are taken — and checked against every change since it started (they may have read
        before it) — and, up to ``limit``, the rows left to this process are computed. ``first``: the rows this
        refresh computed before the stream started (it waits for none of the processes' then)."""
        first = first or []
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
        arrived, orphans = stream.take(block=not mine and not dirty and not first)
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
        if _Stream.later(len(again)):  # many rows reached at once (CronJobs): streamed after this stream
            self._due.update(again)
            again = []
        todo = [*mine, *orphans, *again]
        for key, live in todo:
            self._put(key, _compute(self.source, stream.rk, stream.columns, key, live, True, False, self.memo))
        self.why = why
        self.changed = [*first, *(k for k, _ in arrived), *(k for k, _ in todo)]
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
                    self.memo[name] = _derive(s, entry.compute, entry, changes.objects)
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


def fleet_rows(source: Any, kind: str = "VClusterOrchestrator") -> FleetRows:
    """A ``FleetRows`` over ``source``, computed once (``refresh()`` again after changes)."""
    rows = FleetRows(source, kind)
    rows.refresh()
    return rows


__all__ = ["FleetRows", "fleet_rows"]
