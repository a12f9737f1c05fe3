"""The lab's object store: Kubernetes API-server semantics on SQLite.

Objects keep uid, resourceVersion, generation, creationTimestamp, labels, annotations, finalizers,
ownerReferences and status. Writes use optimistic concurrency: an update carrying a stale
``resourceVersion`` is refused (``Conflict``), never merged. Deleting an object with finalizers
only sets ``deletionTimestamp``; removing the last finalizer removes it and garbage-collects its
dependents (``ownerReferences``). Several processes may open one store; every write runs in an
``IMMEDIATE`` transaction (WAL mode), so a killed process leaves the last committed state.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import operator
import sqlite3
import sys
import threading
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from kratix_lab import errors
from kratix_lab.kube.times import rfc3339
from kratix_lab.model import GVK, clone, matches_selector, parse_json
from kratix_lab.model.objects import keep_parts_once, kept_object

_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # Kubernetes' generateName alphabet
_NAMESPACE_NAME_GROUP = operator.itemgetter(1, 2, 0)  # of a ``read_kind`` row: its order
_IN_AT_MOST = 500  # values bound in one ``IN (…)`` (SQLite's limit on a statement's variables is 32,766; older 999)


class Conflict(errors.Conflict):
    """The write lost a race (stale resourceVersion) or the object already exists."""


class NotFound(errors.NotFound):
    pass


class Invalid(errors.Invalid):
    """The object is not a storable Kubernetes object; the message names the field."""


def _label_expr(key: str) -> str:
    """SQL for a label's value. The path is a literal (not a bound parameter) so that the
    expression indexes on the labels the controllers select by can serve the query."""
    path = '$.metadata.labels."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "json_extract(body, '" + path.replace("'", "''") + "')"


# Labels the controllers select on every round: indexed so a lookup does not scan every object.
INDEXED_LABELS = ("kratix.io/resource-name", "kratix.io/work", "job-name")


def _key(obj: Mapping[str, Any]) -> tuple[str, str, str, str]:
    gvk = GVK.of(obj)
    meta = obj.get("metadata") or {}
    return gvk.group, gvk.kind, str(meta.get("namespace") or ""), str(meta.get("name") or "")


_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
  grp TEXT NOT NULL, kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
  uid TEXT NOT NULL, rv INTEGER NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY (grp, kind, namespace, name)
);
DROP INDEX IF EXISTS objects_kind;
CREATE INDEX IF NOT EXISTS objects_kind_versions ON objects (kind, namespace, name, grp, rv);
CREATE INDEX IF NOT EXISTS objects_uid ON objects (uid);
CREATE INDEX IF NOT EXISTS objects_rv ON objects (rv);
{label_indexes}
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, kind TEXT NOT NULL, namespace TEXT NOT NULL,
  name TEXT NOT NULL, uid TEXT NOT NULL, type TEXT NOT NULL, reason TEXT NOT NULL, message TEXT NOT NULL,
  source TEXT NOT NULL, count INTEGER NOT NULL DEFAULT 1, last_ts INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_obj ON events (kind, namespace, name);
CREATE TABLE IF NOT EXISTS logs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, namespace TEXT NOT NULL, pod TEXT NOT NULL,
  container TEXT NOT NULL, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS logs_pod ON logs (namespace, pod);
CREATE TABLE IF NOT EXISTS removed (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, grp TEXT NOT NULL, kind TEXT NOT NULL, namespace TEXT NOT NULL,
  name TEXT NOT NULL
);
"""
# a readonly list missing more parsed objects than this reads the kind's bodies in one query (one query each below)
BULK_READ_FROM = 16
KIND_INDEXED_AFTER = 64  # reads of single objects of a kind after which its versions are read into the index
REMOVED_KEPT = 100_000  # the removals a reader behind by more must compare every object to find (``removed_since``)
_LEFT_OUT: Any = object()  # an object ``list(containing=…)`` leaves out


def holds_any(text: str, needles: tuple[str, ...]) -> bool:
    """Whether a body's JSON text holds one of ``needles`` (none asked for: it does): ``list(containing=…)``'s test,
    and ``LabSnapshot.list_containing``'s."""
    return not needles or any(n in text for n in needles)


class Store:
    """One lab's objects, events, logs, clock and deterministic id counters.

    Reads with ``readonly=True`` return objects shared with a cache of parsed bodies, keyed by
    object and resourceVersion: a body is JSON-decoded again only when its resourceVersion
    changed (here or in another process). The caller must not change such an object (``clone()``
    it first); every other read returns a fresh object the caller owns.

    Which resourceVersion is current comes from SQLite: from the row read, or from an index of
    objects' resourceVersions that this connection's writes keep current and that is brought up to
    date whenever another connection has committed (SQLite's ``data_version`` says so). The index
    holds a kind once it is asked about (a process that reads a few kinds never reads every
    object's version: at 1,000 vClusters that is 85,000 rows and a third of a second).
    """

    def __init__(self, path: str | Path, seed: str = "kratix-lab", *, read_only: bool = False):
        self.path = Path(path)
        self.seed = seed
        self.read_only = read_only
        self._local = threading.local()
        self._parsed: dict[tuple[str, str, str, str], tuple[int, dict[str, Any]]] = {}
        self._compacting = False  # keep_compact(): the parsed objects' equal parts kept once
        self._never_kept: set[str] = set()  # keep_none_of(): kinds whose objects are never kept parsed
        self._kept_from = 0  # keep_big_only(): bytes of JSON under which a body read is not kept parsed
        self._rvs: dict[str, dict[tuple[str, str, str], int]] | None = None  # see _rv_index: the kinds read
        self._rvs_all = False  # whether _rvs holds every kind (a kind with no object then has no entry)
        self._reads_of: dict[str, int] = {}  # reads of one object of a kind the index does not hold yet (``get``)
        self._rvs_data_version: int | None = None
        self._rvs_top = 0  # the highest resourceVersion in _rvs
        self._rvs_removed: int | None = None  # the last removal (``removed_since``) _rvs has seen
        if read_only:
            self._conn = self._connect_read_only()
            return
        self._conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=60000")
        with self.transaction():
            label_indexes = "".join(
                f"CREATE INDEX IF NOT EXISTS objects_label_ns_{i} ON objects (kind, namespace, {_label_expr(k)});\n"
                for i, k in enumerate(INDEXED_LABELS)
            )
            for stmt in _SCHEMA.replace("{label_indexes}", label_indexes).strip().split(";"):
                if stmt.strip():
                    self._conn.execute(stmt)

    def _connect_read_only(self) -> sqlite3.Connection:
        """A connection that never writes, for a lab the user may only read (a read-only mount or permissions).

        ``mode=ro`` first: it sees other processes' commits, but SQLite needs the WAL's ``-shm`` file for that
        (https://sqlite.org/wal.html#readonly); when it cannot have it, the file is opened ``immutable`` (nobody can
        be writing a database this process may not write next to)."""
        if not self.path.is_file():
            raise FileNotFoundError(errno.ENOENT, "no such file", str(self.path))
        uri = f"file:{urllib.parse.quote(str(self.path.resolve()))}?mode=ro"
        for extra in ("", "&immutable=1"):
            conn = sqlite3.connect(uri + extra, uri=True, timeout=60, isolation_level=None, check_same_thread=False)
            try:
                conn.execute("SELECT count(*) FROM meta").fetchone()
                return conn
            except sqlite3.OperationalError:
                conn.close()
                if extra:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._conn.close()

    # ---- transactions --------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """An IMMEDIATE (write-locking) transaction; nested calls join the outer one."""
        depth = getattr(self._local, "depth", 0)
        if depth:
            self._local.depth = depth + 1
            try:
                yield
            finally:
                self._local.depth = depth
            return
        self._conn.execute("BEGIN IMMEDIATE")
        self._local.depth = 1
        # Meta rows read or written in this transaction: while it holds the write lock nobody else
        # changes them, so each is read once and written once, at commit.
        self._local.meta, self._local.meta_dirty = {}, set()
        self._local.rvs_checked = False
        if self._rvs is not None:  # brought up to date before this transaction's writes extend it
            self._indexed(None, load=False)
        try:
            yield
            for key in sorted(self._local.meta_dirty):
                value = self._local.meta[key]
                self._conn.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = ?",
                    (key, value, value),
                )
        except BaseException:
            self._conn.execute("ROLLBACK")
            # Rolled-back writes gave resourceVersions that the next writes will give again.
            self._parsed.clear()
            self._rvs = None
            raise
        else:
            self._conn.execute("COMMIT")
        finally:
            self._local.depth = 0
            self._local.meta = self._local.meta_dirty = None
            self._local.rvs_checked = False

    # ---- meta: clock and counters --------------------------------------------------------

    def _meta(self, key: str, default: str) -> str:
        value = self.get_meta(key)
        return default if value is None else value

    def _set_meta(self, key: str, value: str) -> None:
        """Within a transaction (every caller holds one): written at its commit."""
        self._local.meta[key] = value
        self._local.meta_dirty.add(key)

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        """A meta value (inside a transaction, as that transaction has set it)."""
        cache = getattr(self._local, "meta", None)
        if cache is not None and key in cache:
            value = cache[key]
        else:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            value = row[0] if row else None
            if cache is not None:
                cache[key] = value
        return default if value is None else value

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self._set_meta(key, value)

    def _counter(self, name: str) -> int:
        with self.transaction():
            n = int(self._meta(f"counter:{name}", "0")) + 1
            self._set_meta(f"counter:{name}", str(n))
        return n

    def now_seconds(self) -> int:
        return int(self._meta("clock", "0"))

    def now(self) -> str:
        return rfc3339(self.now_seconds())

    def advance(self, seconds: int) -> int:
        with self.transaction():
            t = self.now_seconds() + int(seconds)
            self._set_meta("clock", str(t))
        return t

    def suffix(self, purpose: str) -> str:
        """A seeded 5-character name suffix (like generateName), the same for the same history."""
        n = self._counter(f"suffix:{purpose}")
        digest = hashlib.sha256(f"{self.seed}/{purpose}/{n}".encode()).digest()
        return "".join(_SUFFIX_ALPHABET[b % len(_SUFFIX_ALPHABET)] for b in digest[:5])

    def _uid(self) -> str:
        n = self._counter("uid")
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"kratix-lab://{self.seed}/{n}"))

    # ---- objects -------------------------------------------------------------------------

    def get(
        self,
        kind: str,
        name: str,
        namespace: str | None = None,
        group: str | None = None,
        *,
        readonly: bool = False,
        keep: bool | Callable[[dict[str, Any]], bool] = True,
    ) -> dict[str, Any] | None:
        """One object, or None. ``readonly=True``: shared with the parsed cache, never to be changed.

        ``keep=False`` (with ``readonly=True``): a read this process will not make again while the object is unchanged
        (its reader remembers what it concluded, by resourceVersion) — the cache's copy when it holds this version,
        else the object parsed for this call and not kept: the cache would otherwise hold it for the process's life
        (the dashboard's clock: Argo CD compares every live object once, ~100 MB at 1,000 vClusters, and then only
        what changed). ``keep`` a function: kept when it says so of the object parsed.

        A kind's versions are read into the index once it is read often (``KIND_INDEXED_AFTER`` reads), so that
        reading a few objects of a big kind (a pod of 15,000) does not read the versions of every one of them;
        before, each read is one query, as a read of an object not parsed yet is."""
        if readonly and group is not None and self._through_index(kind):
            key = (group, kind, namespace or "", name)
            rv = self.rv(group, kind, namespace, name)
            return None if rv is None else self._shared(key, rv, keep=keep)
        sql = "SELECT grp, kind, namespace, name, rv, body FROM objects WHERE kind = ? AND namespace = ? AND name = ?"
        args: list[Any] = [kind, namespace or "", name]
        if group is not None:
            sql += " AND grp = ?"
            args.append(group)
        rows = self._conn.execute(sql, args).fetchall()
        if not rows:
            return None
        return self._parse(rows[0], keep=keep) if readonly else parse_json(rows[0][5])

    def body(self, kind: str, name: str, namespace: str | None, group: str) -> str | None:
        """One object's JSON text as stored (None when there is none): for a reader that decodes what it needs."""
        row = self._conn.execute(
            "SELECT body FROM objects WHERE grp = ? AND kind = ? AND namespace = ? AND name = ?",
            (group, kind, namespace or "", name),
        ).fetchone()
        return None if row is None else str(row[0])

    def _through_index(self, kind: str) -> bool:
        """Whether reads of ``kind`` go through the index: it holds the kind, or the kind is read often."""
        if self._holds(kind):
            return True
        seen = self._reads_of.get(kind, 0) + 1
        self._reads_of[kind] = seen
        return seen > KIND_INDEXED_AFTER

    def _shared(
        self,
        key: tuple[str, str, str, str],
        rv: int,
        *,
        keep: bool | Callable[[dict[str, Any]], bool] = True,
        containing: tuple[str, ...] = (),
    ) -> Any:
        """The parsed object at ``key`` whose current resourceVersion is ``rv`` (read if not cached; kept: ``keep``);
        ``_LEFT_OUT`` when its text holds none of ``containing`` (``list``)."""
        hit = self._parsed.get(key)
        if hit is not None and hit[0] == rv:
            return hit[1]
        row = self._conn.execute(
            "SELECT grp, kind, namespace, name, rv, body FROM objects WHERE grp=? AND kind=? AND namespace=? AND name=?",
            key,
        ).fetchone()
        return self._parse(row, keep=keep) if holds_any(row[5], containing) else _LEFT_OUT

    def _parse(self, row: tuple[Any, ...], *, keep: bool | Callable[[dict[str, Any]], bool] = True) -> dict[str, Any]:
        """The parsed body of a ``(grp, kind, namespace, name, rv, body)`` row, decoded once per version (``keep``:
        kept in the cache; else the cache's copy if it has this version, or a copy parsed for the caller alone)."""
        key = (sys.intern(row[0]), sys.intern(row[1]), sys.intern(row[2]), sys.intern(row[3]))  # as ``_read_rvs``'s
        hit = self._parsed.get(key)
        if hit is not None and hit[0] == row[4]:
            return hit[1]
        obj = parse_json(row[5])
        if (
            (keep is not True and (keep is False or not keep(obj)))
            or row[1] in self._never_kept
            or len(row[5]) < self._kept_from
        ):
            return obj
        if self._compacting:
            obj = kept_object(obj)
        self._parsed[key] = (row[4], obj)
        return obj

    def keep_none_of(self, kind: str) -> None:
        """In a process that keeps its lab compact (``keep_compact``: the dashboard's clock, which holds the whole
        lab for long), keep no object of ``kind`` parsed from now on, whatever a read or a write asks (those kept are
        dropped): its controllers look at the kind's objects by resourceVersion (``platform.controller.Concluded``),
        and the cache would otherwise keep each object a write or another reader's read left there for as long as it
        does not change again. Elsewhere (a notebook, a command, a test that steps a lab and traces it in one
        process) nothing changes: the objects stay parsed for the traces that read them again."""
        if self._compacting and kind not in self._never_kept:
            self._never_kept.add(kind)
            for key in [key for key in self._parsed if key[1] == kind]:
                del self._parsed[key]

    def keep_big_only(self, size: int) -> None:
        """From now on keep parsed only the bodies read of ``size`` bytes of JSON or more (those kept already stay):
        for a process that reads each object seldom — the dashboard's fleet worker reads every request and
        Application for the fleet's members, and then each object again only when its row is computed again (a few
        KB: decoded in a fraction of a millisecond; the values every row computes alike read again only the
        Applications that changed, ``sources.PerObject``) — while what every row reads (the state reconciler's
        Application, megabytes at 1,000 vClusters) stays parsed, and the fleet's forked processes take it from here
        (``LabSnapshot.reopened``). Measured at 1,000 vClusters: the fleet worker after the first paint 187 → 108 MB."""
        self._kept_from = size

    def keep_compact(self) -> None:
        """Keep the parsed objects' equal parts once in memory from now on (``keep_parts_once``: a table for the
        whole process), those parsed already included: for a process that holds a whole lab parsed for long (the
        dashboard's clock, which steps every controller over every object), at the cost of about twice the CPU of
        each body's decoding. Objects handed out before are not changed."""
        if not self._compacting:
            keep_parts_once()
            self._compacting = True
            for key, (rv, obj) in list(self._parsed.items()):
                self._parsed[key] = (rv, kept_object(obj))

    def _read_rvs(self, version: int) -> None:
        """``_indexed``'s reading. Another connection committed: what it wrote has resourceVersions above every
        one known here (one counter, one writer at a time) and what it removed is in the removal log; only a log
        that cannot say (a lab from before it, a reader too far behind) needs the kinds read again — and the
        count of each kind's objects checks the result."""
        rvs = self._rvs
        removed = self.removed_since(self._rvs_removed) if rvs is not None and self._rvs_removed is not None else None
        if rvs is not None and removed is not None:
            self._rvs_removed = removed[0]
            for g, k, ns, n in removed[1]:
                rvs.get(k, {}).pop((g, ns, n), None)
            written = self._conn.execute(
                "SELECT grp, kind, namespace, name, rv FROM objects WHERE rv > ?", (self._rvs_top,)
            ).fetchall()
            every = self._rvs_all
            for g, k, ns, n, rv in written:
                if every or k in rvs:  # a kind not read yet is read whole when it is asked about
                    rvs.setdefault(k, {})[(g, ns, n)] = rv
                self._rvs_top = max(self._rvs_top, rv)
            if self._counts_match(rvs):
                self._rvs_data_version = version
                return
        now = self.removed_since(None)
        self._rvs_removed = now[0] if now is not None else None
        self._rvs, self._rvs_all = {}, False
        self._rvs_top = self._conn.execute("SELECT coalesce(max(rv), 0) FROM objects").fetchone()[0]
        self._rvs_data_version = version

    def _counts_match(self, rvs: dict[str, dict[tuple[str, str, str], int]]) -> bool:
        if self._rvs_all:
            count = self._conn.execute("SELECT count(*) FROM objects").fetchone()[0]
            return sum(len(objs) for objs in rvs.values()) == count
        counts = dict(self._conn.execute("SELECT kind, count(*) FROM objects GROUP BY kind").fetchall())
        return all(len(objs) == counts.get(kind, 0) for kind, objs in rvs.items())

    def _read_kinds(self, kind: str | None) -> None:
        """Read one kind's resourceVersions into the index (None: every kind's), in the state the index is in."""
        assert self._rvs is not None
        if kind is None:
            rows = self._conn.execute("SELECT grp, kind, namespace, name, rv FROM objects").fetchall()
            self._rvs_all = True
        else:
            rows = self._conn.execute(
                "SELECT grp, kind, namespace, name, rv FROM objects WHERE kind = ?", (kind,)
            ).fetchall()
            self._rvs.setdefault(kind, {})
        # one string for each group, namespace and name, shared with the parsed objects' (``SharedTrees`` interns
        # their strings) and the cache's keys: not one per row read (at 1,000 vClusters 83,000 rows, ~20 MB)
        intern = sys.intern
        for g, k, ns, n, rv in rows:
            self._rvs.setdefault(k, {})[(intern(g), intern(ns), intern(n))] = rv
        self._rvs_top = max(self._rvs_top, max((row[4] for row in rows), default=0))

    def parsed_at(self, group: str, kind: str, namespace: str | None, name: str, rv: int | None) -> Any:
        """The parsed body this store keeps of an object at resourceVersion ``rv`` (None: none kept at that version);
        shared and read-only. Reads no database: safe on a store a forked process inherited (whose connection it
        must never use), to take what its parent parsed rather than parse it again (``LabSnapshot.reopened``)."""
        hit = self._parsed.get((group, kind, namespace or "", name))
        return hit[1] if hit is not None and rv is not None and hit[0] == rv else None

    def parsed_places(self) -> set[tuple[str, str]]:
        """``(kind, namespace)`` (``""`` for cluster-scoped) of every parsed body this store keeps: whether
        ``parsed_at`` can find anything there, asked without reading a resourceVersion (``LabSnapshot.reopened``).
        Reads no database."""
        return {(kind, namespace) for _, kind, namespace, _ in self._parsed}

    def rv(self, group: str, kind: str, namespace: str | None, name: str) -> int | None:
        """An object's resourceVersion without reading its body (cheap change detection)."""
        return self._kind_rvs(kind).get((group, namespace or "", name))

    def rvs_of(self, kind: str) -> Mapping[tuple[str, str, str], int]:
        """Every object of ``kind``'s resourceVersion by ``(group, namespace, name)`` (``""`` for a cluster-scoped
        one), the index brought up to date once: for many look-ups in a row (``rv`` asks SQLite whether another
        connection wrote, each call outside a transaction). Read-only."""
        return self._kind_rvs(kind)

    def _rv_index(self) -> dict[str, dict[tuple[str, str, str], int]]:
        """Every object's resourceVersion: kind -> (group, namespace, name) -> resourceVersion (every kind read)."""
        return self._indexed(None)

    def _kind_rvs(self, kind: str) -> dict[tuple[str, str, str], int]:
        """The resourceVersion of every object of ``kind``: (group, namespace, name) -> resourceVersion."""
        rvs = self._rvs
        if rvs is not None and getattr(self._local, "rvs_checked", False):  # in a transaction, up to date
            objs = rvs.get(kind)
            if objs is not None:
                return objs
        return self._indexed(kind).get(kind, {})

    def _holds(self, kind: str | None) -> bool:
        """Whether the index holds ``kind`` (None: every kind)."""
        return self._rvs is not None and (self._rvs_all or (kind is not None and kind in self._rvs))

    def _indexed(self, kind: str | None, *, load: bool = True) -> dict[str, dict[tuple[str, str, str], int]]:
        """The index brought up to date, holding ``kind`` (None: every kind; ``load=False``: the kinds it holds).

        This connection's writes keep it current; it is brought up to date from SQLite when another connection has
        committed since (``PRAGMA data_version`` changes then, and only then). Inside a transaction that is asked
        once: the write lock keeps every other writer out. Outside one, a kind is read in the same read transaction
        the index is brought up to date in, so it and the kinds read before show one state of the store."""
        local = self._local
        if self._rvs is not None and getattr(local, "rvs_checked", False) and (not load or self._holds(kind)):
            return self._rvs
        if getattr(local, "depth", 0):  # in a transaction: what it reads is one state of the store
            rvs = self._bring_up_to_date()
            local.rvs_checked = True
            if load and not self._holds(kind):
                self._read_kinds(kind)
            return rvs
        if (
            self._rvs is not None
            and (not load or self._holds(kind))
            and self._conn.execute("PRAGMA data_version").fetchone()[0] == self._rvs_data_version
        ):
            return self._rvs
        self._conn.execute("BEGIN")  # the log, the writes, the counts and the kind read as of one commit
        try:
            rvs = self._bring_up_to_date()
            if load and not self._holds(kind):
                self._read_kinds(kind)
            return rvs
        finally:
            self._conn.execute("COMMIT")

    def _bring_up_to_date(self) -> dict[str, dict[tuple[str, str, str], int]]:
        version = self._conn.execute("PRAGMA data_version").fetchone()[0]
        if self._rvs is None or version != self._rvs_data_version:
            self._read_rvs(version)
        assert self._rvs is not None
        return self._rvs

    def versions(self, kind: str, group: str | None = None) -> list[tuple[str, str, int]]:
        """``(namespace, name, resourceVersion)`` of every object of a kind, without bodies,
        sorted by namespace and name."""
        objs = self._kind_rvs(kind)
        return sorted((ns, name, rv) for (g, ns, name), rv in objs.items() if group is None or g == group)

    def written_since(self, rv: int) -> list[tuple[str, str, str, str, int]]:
        """``(group, kind, namespace, name, resourceVersion)`` of every object written after ``rv``, in order
        (a watch's catch-up: ``kratix_lab/serve/watch.py``)."""
        return self._conn.execute(
            "SELECT grp, kind, namespace, name, rv FROM objects WHERE rv > ? ORDER BY rv", (rv,)
        ).fetchall()

    def change_marker(self) -> tuple[int, int, int]:
        """A value that differs whenever anything in the store was written since it was taken — an object, an
        event, a log line, a meta value, the clock — by this connection or by another one (SQLite's
        ``total_changes`` counts this connection's rows written; ``PRAGMA data_version`` changes when another
        connection commits). Inside a transaction, the meta values it has written so far count as written (they are
        at its commit; a value written again is not counted again): a marker taken there equals one taken after the
        commit when nothing else is written. Comparable only with a marker of the same store object."""
        conn = self._conn
        pending = getattr(self._local, "meta_dirty", None) or ()
        return id(conn), conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes + len(pending)

    def version(self) -> tuple[int, int]:
        """(the last resourceVersion given out, the number of objects): it changes whenever an object is
        created, changed or removed, here or in another process, and never with the clock alone — a
        front end refreshes only when it changes."""
        count = self._conn.execute("SELECT count(*) FROM objects").fetchone()[0]
        return int(self.get_meta("counter:resourceVersion") or 0), count

    def kinds(self) -> list[str]:
        """Every kind that has at least one object."""
        return [r[0] for r in self._conn.execute("SELECT DISTINCT kind FROM objects ORDER BY kind")]

    def read_kind(
        self, kind: str, body: Callable[[str], Any] | None = None, namespace: str | None = None
    ) -> list[tuple[str, str, str, Any]]:
        """Every object of ``kind`` (any group; only those in ``namespace`` when given, ``""`` the cluster-scoped
        ones) as ``(group, namespace, name, body)`` — its JSON text, or what ``body(text)`` makes of it as the rows are
        read (no text then kept) — sorted by namespace, name and group, in one query: a snapshot's bulk read
        (``kratix_lab.sources.lab.LabSnapshot``), which parses a body only when it is asked for.

        Sorted here, not by SQLite: an ORDER BY SQLite cannot take from an index copies every body through a sort
        (at 1,000 vClusters, 300 MB: half the read). Python orders ``str`` by code point, as SQLite's BINARY
        collation orders their UTF-8 bytes; the primary key makes (namespace, name, group) unique within a kind."""
        sql, args = "SELECT grp, namespace, name, body FROM objects WHERE kind = ?", (kind,)
        if namespace is not None:  # (objects_kind_versions: the index on (kind, namespace, …) finds them)
            sql, args = sql + " AND namespace = ?", (kind, namespace)
        cursor = self._conn.execute(sql, args)
        rows = cursor.fetchall() if body is None else [(g, ns, name, body(text)) for g, ns, name, text in cursor]
        rows.sort(key=_NAMESPACE_NAME_GROUP)
        return rows

    def read_kinds_in(self, namespace: str, kinds: Iterable[str]) -> dict[str, list[tuple[str, str, str, Any]]]:
        """``read_kind(kind, None, namespace)`` of each of ``kinds``, in one query (the index on (kind, namespace, …)
        finds each): a snapshot's read of the kinds a vClusters' rows read in their own namespace, ten queries a
        row before (``LabSnapshot._in``). Every kind asked has its list, empty when it has no object there."""
        wanted = sorted(set(kinds))
        out: dict[str, list[tuple[str, str, str, Any]]] = {kind: [] for kind in wanted}
        sql = (
            f"SELECT kind, grp, namespace, name, body FROM objects "
            f"WHERE kind IN ({','.join('?' * len(wanted))}) AND namespace = ?"
        )
        for kind, *row in self._conn.execute(sql, (*wanted, namespace)):
            out[kind].append(tuple(row))  # type: ignore[arg-type]
        for rows in out.values():
            rows.sort(key=_NAMESPACE_NAME_GROUP)
        return out

    def read_labelled(
        self, kind: str, namespace: str, key: str, values: Iterable[str]
    ) -> list[tuple[str, str, str, str, Any]]:
        """The objects of ``kind`` in ``namespace`` whose label ``key`` (one of ``INDEXED_LABELS``) holds one of
        ``values``, as ``(group, namespace, name, body, value)`` sorted as ``read_kind`` sorts them, through the
        label's expression index: a snapshot's read of some requests' objects in the namespace every request shares
        (``LabSnapshot.expect``: a cold ``status``'s process reads its own rows' Jobs and Works, not all 8,000 of
        each). Raises ``sqlite3.Error`` where that index is missing (a store no writer has opened since it came)."""
        index = INDEXED_LABELS.index(key)
        expr = _label_expr(key)
        sql = (
            f"SELECT grp, namespace, name, body, {expr} FROM objects INDEXED BY objects_label_ns_{index} "
            f"WHERE kind = ? AND namespace = ? AND {expr} IN "
        )
        wanted = sorted(set(values))
        rows: list[tuple[str, str, str, str, Any]] = []
        for i in range(0, len(wanted), _IN_AT_MOST):
            chunk = wanted[i : i + _IN_AT_MOST]
            rows += self._conn.execute(sql + f"({','.join('?' * len(chunk))})", (kind, namespace, *chunk)).fetchall()
        rows.sort(key=_NAMESPACE_NAME_GROUP)
        return rows

    def rows(self, kind: str, group: str) -> dict[tuple[str, str], tuple[Any, ...]]:
        """Every stored row of ``kind`` in ``group``, in one query, by (namespace, name): ``(grp, kind, namespace,
        name, rv, body)`` with the body not parsed (``parse_row``) — a whole kind read at once (a controller's first
        round) held as its JSON text until each object is looked at: at 1,000 vClusters the Applications are 18 MB of
        text and five times that parsed."""
        sql = "SELECT grp, kind, namespace, name, rv, body FROM objects WHERE kind = ? AND grp = ?"
        return {(row[2], row[3]): row for row in self._conn.execute(sql, (kind, group))}

    def parse_row(self, row: tuple[Any, ...]) -> dict[str, Any]:
        """The object of a row ``rows`` read, read-only and not kept (the cache's copy when it holds this version)."""
        return self._parse(row, keep=False)

    def list(
        self,
        kind: str | None = None,
        namespace: str | None = None,
        selector: Mapping[str, Any] | None = None,
        group: str | None = None,
        *,
        readonly: bool = False,
        keep: bool = True,
        containing: tuple[str, ...] = (),
    ) -> list[dict[str, Any]]:
        """Objects of ``kind`` (all kinds when None), optionally in ``namespace``, label-selected.

        ``selector`` is a LabelSelector (``{"matchLabels": …, "matchExpressions": …}``) or a plain
        label map. Sorted by kind, namespace, name — the order the API server lists in.
        ``readonly=True``: the objects are shared with the parsed cache, never to be changed; ``keep=False``: those
        the cache does not hold at their version are parsed for this call and not kept (as ``get``'s).
        ``containing``: an object not parsed yet whose JSON text holds none of these strings is left out, unparsed (a
        filter for a caller that looks at each object after: ``kratix_lab.sources.list_containing``).
        """
        if readonly and kind is not None and not selector:
            # Which objects there are, and their versions, from the index: SQLite is read only
            # for objects that changed since they were last parsed.
            objs = self._kind_rvs(kind)
            wanted = sorted(
                (ns, name, g, rv)
                for (g, ns, name), rv in objs.items()
                if (group is None or g == group) and (namespace is None or ns == namespace)
            )
            parsed = self._parsed
            out: list[Any] = []
            missing: list[tuple[int, tuple[str, str, str, str], int]] = []
            for ns, name, g, rv in wanted:
                key = (g, kind, ns, name)
                hit = parsed.get(key)
                if hit is not None and hit[0] == rv:
                    out.append(hit[1])
                else:
                    missing.append((len(out), key, rv))
                    out.append(None)
            if len(missing) > BULK_READ_FROM:  # a kind not read yet: its bodies in one query, not one each
                sql = "SELECT grp, kind, namespace, name, rv, body FROM objects WHERE kind = ?"
                args: tuple[str, ...] = (kind,) if namespace is None else (kind, namespace)
                at = {key: i for i, key, _ in missing}
                for row in self._conn.execute(sql + (" AND namespace = ?" if namespace is not None else ""), args):
                    # a row another connection wrote since the index was read is read again by _shared below
                    if (group is None or row[0] == group) and objs.get((row[0], row[2], row[3])) == row[4]:
                        i = at.get((row[0], row[1], row[2], row[3]))
                        if i is not None:
                            out[i] = self._parse(row, keep=keep) if holds_any(row[5], containing) else _LEFT_OUT
            for i, key, rv in missing:
                if out[i] is None:
                    out[i] = self._shared(key, rv, keep=keep, containing=containing)
            return [o for o in out if o is not _LEFT_OUT] if containing else out
        table = "objects"
        labels = (
            dict((selector or {}).get("matchLabels") or {})
            if selector and ("matchLabels" in selector or "matchExpressions" in selector)
            else dict(selector or {})
        )
        indexed = next((i for i, k in enumerate(INDEXED_LABELS) if k in labels), None)
        if kind is not None and namespace is not None and indexed is not None:
            table = f"objects INDEXED BY objects_label_ns_{indexed}"  # the planner would pick the wider primary key
        sql, args = f"SELECT grp, kind, namespace, name, rv, body FROM {table} WHERE 1=1", []
        if kind is not None:
            sql += " AND kind = ?"
            args.append(kind)
        if namespace is not None:
            sql += " AND namespace = ?"
            args.append(namespace)
        if group is not None:
            sql += " AND grp = ?"
            args.append(group)
        sel = None
        if selector:
            sel = (
                selector if ("matchLabels" in selector or "matchExpressions" in selector) else {"matchLabels": selector}
            )
            for key, value in (sel.get("matchLabels") or {}).items():  # filtered inside SQLite, not in Python
                sql += f" AND {_label_expr(key)} = ?"
                args.append(value)
        sql += " ORDER BY kind, namespace, name"
        rows = self._conn.execute(sql, args)
        if containing:
            rows = [r for r in rows if holds_any(r[5], containing)]
        objs = [self._parse(r, keep=keep) for r in rows] if readonly else [parse_json(r[5]) for r in rows]
        if sel and sel.get("matchExpressions"):
            objs = [o for o in objs if matches_selector((o.get("metadata") or {}).get("labels") or {}, sel)]
        return objs

    def _check(self, obj: Mapping[str, Any]) -> None:
        if not isinstance(obj, Mapping):
            raise Invalid(f"expected an object, got {type(obj).__name__}")
        for f in ("apiVersion", "kind"):
            if not obj.get(f):
                raise Invalid(f"{f}: Required value")
        if not (obj.get("metadata") or {}).get("name"):
            raise Invalid("metadata.name: Required value")

    def create(self, obj: Mapping[str, Any], *, readonly: bool = False) -> dict[str, Any]:
        """Store a new object. ``readonly=True``: the object returned is shared with the parsed cache (as a
        ``readonly=True`` read's), never to be changed; the next read of it then decodes nothing."""
        self._check(obj)
        obj = clone(obj)
        meta = obj.setdefault("metadata", {})
        with self.transaction():
            key = _key(obj)
            if self.rv(*key) is not None:
                raise Conflict(f'{key[1]} "{key[3]}" already exists')
            for f in ("resourceVersion", "deletionTimestamp"):
                meta.pop(f, None)
            meta["uid"] = self._uid()
            meta["generation"] = 1
            meta["creationTimestamp"] = self.now()
            return self._write(obj, insert=True, cache=readonly)

    def _write(self, obj: dict[str, Any], insert: bool = False, cache: bool = False) -> dict[str, Any]:
        """Write ``obj`` (JSON-shaped) with a new resourceVersion. ``cache``: ``obj`` becomes the parsed cache's
        copy of the new version (what decoding the body gives), so the caller must never change it."""
        rv = self._counter("resourceVersion")
        obj["metadata"]["resourceVersion"] = str(rv)
        key = _key(obj)
        if self._rvs is not None:
            if self._rvs_all or key[1] in self._rvs:
                self._rvs.setdefault(key[1], {})[(key[0], key[2], key[3])] = rv
            self._rvs_top = max(self._rvs_top, rv)
        body = json.dumps(obj, sort_keys=False, separators=(",", ":"))
        if insert:
            self._conn.execute(
                "INSERT INTO objects (grp, kind, namespace, name, uid, rv, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (*key, obj["metadata"]["uid"], rv, body),
            )
        else:
            self._conn.execute(
                "UPDATE objects SET rv = ?, body = ? WHERE grp=? AND kind=? AND namespace=? AND name=?",
                (rv, body, *key),
            )
        if cache and key[1] not in self._never_kept:
            if self._compacting:
                obj = kept_object(obj)
            self._parsed[key] = (rv, obj)
        else:
            self._parsed.pop(key, None)  # the version it held is gone: no read can be given it again
        return obj

    def update(self, obj: Mapping[str, Any], *, status: bool = False, readonly: bool = False) -> dict[str, Any]:
        """Replace an object; refused when its resourceVersion is stale.

        ``status=True`` is the status subresource: only ``.status`` changes. Otherwise ``.status``
        is kept from storage and ``generation`` increases when anything but metadata changed.
        Removing the last finalizer of an object being deleted removes it.

        ``readonly=True``: the object returned is shared with the parsed cache (as a ``readonly=True`` read's),
        never to be changed; the stored object is then not copied, and the next read decodes nothing.
        """
        self._check(obj)
        if not status:
            obj = clone(obj)
        with self.transaction():
            key = _key(obj)
            rv = self.rv(*key)
            if rv is None:
                raise NotFound(f'{key[1]} "{key[3]}" not found')
            stored = self._shared(key, rv)  # read-only: copied below where it is changed or returned
            cm = stored["metadata"]
            if (obj.get("metadata") or {}).get("resourceVersion") not in (None, cm["resourceVersion"]):
                raise Conflict(
                    f'Operation cannot be fulfilled on {key[1]} "{key[3]}": the object has been modified; '
                    "please apply your changes to the latest version and try again"
                )
            if status:
                # The status subresource: the caller's status and the rest of the stored object, in its key order.
                st = clone(obj.get("status", {}))
                if "status" in stored and stored["status"] == st:
                    return stored if readonly else clone(stored)  # nothing changed: no new resourceVersion
                if readonly:  # shares the stored (read-only) parts; only metadata is written to
                    new = {k: None if k == "status" else v for k, v in stored.items()}
                    new["metadata"] = dict(cm)
                else:
                    new = {k: None if k == "status" else clone(v) for k, v in stored.items()}
                new["status"] = st
                obj = new
            else:
                nm = obj["metadata"]
                for f in ("uid", "creationTimestamp", "deletionTimestamp", "generation"):
                    if f in cm:
                        nm[f] = cm[f]
                    else:
                        nm.pop(f, None)
                if "status" in stored:
                    obj["status"] = stored["status"] if readonly else clone(stored["status"])
                else:
                    obj.pop("status", None)
                body_old = {k: v for k, v in stored.items() if k not in ("metadata", "status")}
                body_new = {k: v for k, v in obj.items() if k not in ("metadata", "status")}
                if body_old != body_new:
                    nm["generation"] = int(cm.get("generation", 1)) + 1
                nm["resourceVersion"] = cm["resourceVersion"]
                if obj == stored:
                    return stored if readonly else clone(stored)  # nothing changed: no new resourceVersion
            if obj["metadata"].get("deletionTimestamp") and not obj["metadata"].get("finalizers"):
                self._remove(stored)
                return obj
            return self._write(obj, cache=readonly)

    def update_status(self, obj: Mapping[str, Any], *, readonly: bool = False) -> dict[str, Any]:
        return self.update(obj, status=True, readonly=readonly)

    def delete(
        self,
        kind: str,
        name: str,
        namespace: str | None = None,
        group: str | None = None,
        propagation: str = "Background",
    ) -> dict[str, Any] | None:
        """Delete as the API server does: finalizers first, then removal and garbage collection of dependents
        (``ownerReferences``) by ``propagation`` (``k8s.io/kubernetes/pkg/controller/garbagecollector/
        garbagecollector.go``): ``Background`` removes the object and then its dependents; ``Foreground`` keeps
        it (``deletionTimestamp``, finalizer ``foregroundDeletion``) until its dependents are gone
        (``processDeletingDependentsItem``); ``Orphan`` removes the owner reference from its dependents and
        leaves them (``orphanDependents``)."""
        if propagation not in ("Background", "Foreground", "Orphan"):
            raise ValueError(f"propagationPolicy {propagation!r} is not one of Background, Foreground, Orphan")
        with self.transaction():
            obj = self.get(kind, name, namespace, group)
            if obj is None:
                return None
            meta = obj["metadata"]
            if propagation == "Orphan":
                for dep in self._dependents(meta["uid"]):
                    refs = [o for o in dep["metadata"].get("ownerReferences") or [] if o.get("uid") != meta["uid"]]
                    if refs:
                        dep["metadata"]["ownerReferences"] = refs
                    else:
                        dep["metadata"].pop("ownerReferences", None)
                    self._write(dep)
            elif propagation == "Foreground" and "foregroundDeletion" not in (meta.get("finalizers") or []):
                dependents = self._dependents(meta["uid"])
                if dependents:
                    meta["finalizers"] = [*(meta.get("finalizers") or []), "foregroundDeletion"]
                    meta.setdefault("deletionTimestamp", self.now())
                    self._write(obj)
                    for dep in dependents:
                        d = dep["metadata"]
                        self.delete(dep["kind"], d["name"], d.get("namespace"), GVK.of(dep).group)
                    return self.get(kind, name, namespace, group)
            if meta.get("finalizers"):
                if not meta.get("deletionTimestamp"):
                    meta["deletionTimestamp"] = self.now()
                    return self._write(obj)
                return obj
            self._remove(obj)
            return None

    def _dependents(self, uid: str) -> list[dict[str, Any]]:
        pattern = f'%"uid":"{uid}"%'
        out = []
        for (body,) in self._conn.execute("SELECT body FROM objects WHERE body LIKE ?", (pattern,)).fetchall():
            dep = json.loads(body)
            if any(o.get("uid") == uid for o in (dep.get("metadata") or {}).get("ownerReferences") or []):
                out.append(dep)
        return out

    def _remove(self, obj: dict[str, Any]) -> None:
        key = _key(obj)
        self._conn.execute("DELETE FROM objects WHERE grp=? AND kind=? AND namespace=? AND name=?", key)
        seq = self._conn.execute("INSERT INTO removed (grp, kind, namespace, name) VALUES (?, ?, ?, ?)", key).lastrowid
        if seq is not None and seq % 10_000 == 0:
            self._conn.execute("DELETE FROM removed WHERE seq <= ?", (seq - REMOVED_KEPT,))
        self._parsed.pop(key, None)
        if self._rvs is not None:
            self._rvs.get(key[1], {}).pop((key[0], key[2], key[3]), None)
            self._rvs_removed = seq
        uid = obj["metadata"]["uid"]
        # Background garbage collection of dependents (ownerReferences to this uid).
        for dep in self._dependents(uid):
            d = dep["metadata"]
            self.delete(dep["kind"], d["name"], d.get("namespace"), GVK.of(dep).group)
        # an owner deleted in the foreground goes when its last dependent has gone
        for ref in obj["metadata"].get("ownerReferences") or []:
            for (body,) in self._conn.execute("SELECT body FROM objects WHERE uid = ?", (ref.get("uid"),)).fetchall():
                owner = json.loads(body)
                om = owner["metadata"]
                if "foregroundDeletion" in (om.get("finalizers") or []) and not self._dependents(om["uid"]):
                    om["finalizers"] = [f for f in om["finalizers"] if f != "foregroundDeletion"]
                    self.update(owner)  # removes it when that was its last finalizer

    def namespaces_in_use(self) -> list[str]:
        """Every namespace that holds at least one object (the namespace controller's question)."""
        return [r[0] for r in self._conn.execute("SELECT DISTINCT namespace FROM objects WHERE namespace != ''")]

    # ---- events and logs -----------------------------------------------------------------

    def event(self, obj: Mapping[str, Any], type_: str, reason: str, message: str, source: str) -> None:
        """Record an event; a repeat of the last identical one bumps its count (like kubectl shows)."""
        meta = obj.get("metadata") or {}
        ident = (obj.get("kind", ""), meta.get("namespace") or "", meta.get("name", ""))
        now = self.now_seconds()
        with self.transaction():
            row = self._conn.execute(
                "SELECT seq, type, reason, message FROM events WHERE kind=? AND namespace=? AND name=? "
                "ORDER BY seq DESC LIMIT 1",
                ident,
            ).fetchone()
            if row and row[1:] == (type_, reason, message):
                self._conn.execute("UPDATE events SET count = count + 1, last_ts = ? WHERE seq = ?", (now, row[0]))
                return
            self._conn.execute(
                "INSERT INTO events (ts, kind, namespace, name, uid, type, reason, message, source, last_ts) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (now, *ident, meta.get("uid", ""), type_, reason, message, source, now),
            )

    def events(
        self, kind: str | None = None, name: str | None = None, namespace: str | None = None
    ) -> list[dict[str, Any]]:
        sql, args = (
            "SELECT ts, last_ts, kind, namespace, name, type, reason, message, source, count FROM events WHERE 1=1",
            [],
        )
        for col, val in (("kind", kind), ("name", name), ("namespace", namespace)):
            if val is not None:
                sql += f" AND {col} = ?"
                args.append(val)
        sql += " ORDER BY seq"
        return [
            {
                "firstTimestamp": rfc3339(r[0]),
                "lastTimestamp": rfc3339(r[1]),
                "involvedObject": {"kind": r[2], "namespace": r[3] or None, "name": r[4]},
                "type": r[5],
                "reason": r[6],
                "message": r[7],
                "source": r[8],
                "count": r[9],
            }
            for r in self._conn.execute(sql, args)
        ]

    def write_log(self, namespace: str, pod: str, container: str, text: str) -> None:
        with self.transaction():
            self._conn.execute(
                "INSERT INTO logs (ts, namespace, pod, container, text) VALUES (?, ?, ?, ?, ?)",
                (self.now_seconds(), namespace, pod, container, text),
            )

    def removed_since(self, seq: int | None) -> tuple[int, list[tuple[str, str, str, str]]] | None:
        """(the last removal's sequence number, the ``(group, kind, namespace, name)`` of every object removed after
        ``seq``, in order) from the removal log — the removal half of a change feed (``written_since`` has the
        writes); ``seq=None``: where the log stands now, nothing listed. None when the log cannot say: a lab
        written before the log was kept (opened read-only), or ``seq`` older than the ``REMOVED_KEPT`` removals
        kept — a reader then compares every object (a watch's ``410 Gone``)."""
        try:
            if seq is None:
                self._conn.execute("SELECT 1 FROM removed LIMIT 1")  # there is a log (else OperationalError)
                top = self._conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'removed'").fetchone()
                return (top[0] if top else 0), []
            oldest = self._conn.execute("SELECT min(seq) FROM removed").fetchone()[0]
            if oldest is not None and oldest > seq + 1:
                return None
            rows = self._conn.execute(
                "SELECT seq, grp, kind, namespace, name FROM removed WHERE seq > ? ORDER BY seq", (seq,)
            ).fetchall()
        except sqlite3.OperationalError:  # no log in this lab (nor the sequence table: nothing ever logged)
            return None
        return (rows[-1][0] if rows else seq), [r[1:] for r in rows]

    def last_log_seq(self) -> int:
        """The last log write's sequence number (where ``logs_written_since`` starts from now)."""
        return int(self._conn.execute("SELECT coalesce(max(seq), 0) FROM logs").fetchone()[0])

    def logs_written_since(self, seq: int) -> tuple[int, set[tuple[str, str]]]:
        """(the last log write's sequence number, the ``(namespace, pod)`` of every log written after ``seq``): the
        log half of a change feed (``kratix_lab.fleet.feeds.LabFeed``; objects come from ``written_since``)."""
        rows = self._conn.execute("SELECT seq, namespace, pod FROM logs WHERE seq > ?", (seq,)).fetchall()
        return max((r[0] for r in rows), default=seq), {(r[1], r[2]) for r in rows}

    def read_logs(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        """Every pod's log as ``(namespace, pod) -> [(container, text)]`` in the order written, in one query: a
        snapshot's bulk read (``kratix_lab.sources.lab.LabSnapshot``; ``logs`` reads one pod's)."""
        out: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for ns, pod, container, text in self._conn.execute(
            "SELECT namespace, pod, container, text FROM logs ORDER BY seq"
        ):
            out.setdefault((ns, pod), []).append((container, text))
        return out

    def logs(self, namespace: str, pod: str, container: str | None = None) -> str:
        sql, args = "SELECT container, text FROM logs WHERE namespace=? AND pod=?", [namespace, pod]
        if container:
            sql += " AND container = ?"
            args.append(container)
        return "".join(t for _, t in self._conn.execute(sql + " ORDER BY seq", args))
