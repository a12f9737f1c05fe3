"""The YAML documents of files parsed before, kept on disk by their content's hash (issue 15: a cold ``status`` of a
thousand vClusters parses the seventeen thousand files of its WorkPlacements' commits, a fifth of its time).

``documents(data, source)`` is ``load_documents(data.decode("utf-8"), source)``: the same documents (data, index and
line; ``source`` as given), the same errors. When a cache is open (``open_cache``: the fleet's commands, ``status`` and
``diagnose --all``, on the state repo's files) the documents of a text met before are decoded from what was kept — a
JSON of them, msgspec: several times faster than YAML — and a text parsed now is kept for the next process.

A key is the SHA-256 of the file's bytes and nothing else, so an entry never goes stale: what a repo holds is read
from the repo every time, and only the parse of those exact bytes is remembered (a file changed in the repo has other
bytes, another key). The loader's own rules are part of the file's name (``VERSION``, PyYAML's version): entries
made by another loader are never read. Only documents a JSON round trip gives back exactly are kept (maps with
string keys, lists, strings, integers, booleans, null, finite floats); a file that is not YAML is never kept (parsed again, its error raised again). The cache is a cache: a directory that cannot be
written, a locked or broken database (another process writing for more than a quarter of a second), a value that will
not encode — the file is parsed, as without it.

Entries are written in batches (``flush``: at ``PENDING`` entries, when the process exits, and by a forked process
before it exits — ``kratix_lab.fleet.parallel``); at most ``KEPT`` entries are kept, the oldest dropped first.

The same file keeps other values a process computed and the next may reuse (``value``/``keep``: bytes under a key
the caller makes of everything the value depends on — the lab's Argo CD's rendered charts,
``kratix_lab.platform.helm.render``), at most ``KEPT_VALUES``, the oldest dropped first."""

from __future__ import annotations

import atexit
import hashlib
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

import yaml

from kratix_lab.model.yamlio import Document, load_documents

VERSION = 1  # bump when the loader builds other documents from the same text
KEPT = 100_000  # files, ~1 KB each (a 1,000-vCluster lab: ~17,000 at the commits its placements name, 21 MB)
PENDING = 4096  # entries written at once
KEPT_VALUES = 20_000  # values (``keep``): a rendered chart ~10 KB, so ~200 MB at most
PENDING_VALUES = 256  # values written at once (a few MB held until then)
_CHUNK = 900  # keys a query reads (SQLite's limit on variables: 999 before 3.32)


def cache_file(directory: str | os.PathLike[str]) -> Path:
    return Path(directory) / f"yaml-documents-v{VERSION}-pyyaml{yaml.__version__}.sqlite"


class DocumentCache:
    """One cache file, opened by the process that uses it (a forked process opens its own connection)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        import msgspec

        self.path = Path(path)
        self._encode = msgspec.json.Encoder().encode
        self._decode = msgspec.json.Decoder(tuple[list[Any], list[int]]).decode
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self._pending: dict[bytes, bytes] = {}
        self._pending_values: dict[bytes, bytes] = {}
        self._known: dict[bytes, bytes | None] = {}  # read in bulk (``preload``): the value, or None when not kept
        self.broken = False  # the cache failed once: every file is parsed from then on
        self.hits = self.misses = 0
        # one user of the connection and the pending entries at a time: the dashboard's reader and clock share a
        # process, each on a thread (``tui.lab_workers.WorkerHost``); a flush's transaction is not another's to end
        self._lock = threading.RLock()

    def _connection(self) -> sqlite3.Connection | None:
        if self.broken:
            return None
        if self._pid != os.getpid():  # never a parent's connection, nor what it had left to write
            if self._conn is not None:  # (closed before a fork, see ``open_cache``): never closed here either
                _inherited.append(self._conn)
            self._conn, self._pid, self._pending = None, os.getpid(), {}  # (what it read in bulk is still true)
            self._pending_values = {}
        if self._conn is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=0.25, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=OFF")  # an entry lost in a crash is parsed again
                conn.execute("CREATE TABLE IF NOT EXISTS docs (key BLOB PRIMARY KEY, value BLOB NOT NULL)")
                conn.execute("CREATE TABLE IF NOT EXISTS kept (key BLOB PRIMARY KEY, value BLOB NOT NULL)")
            except (OSError, sqlite3.Error):
                self.broken = True
                return None
            self._conn = conn
        return self._conn

    def preload(self, files: list[bytes]) -> None:
        """Read what is kept for these files in a few queries (a one-shot fleet's state files, before its rows ask one
        by one: seventeen thousand look-ups at 1,000 vClusters); ``documents`` asks the database only for others."""
        with self._lock:
            self._preload(files)

    def _preload(self, files: list[bytes]) -> None:
        conn = self._connection()
        if conn is None:
            return
        keys = list(dict.fromkeys(hashlib.sha256(data).digest() for data in files))
        known: dict[bytes, bytes | None] = dict.fromkeys(keys)
        try:
            for i in range(0, len(keys), _CHUNK):
                chunk = keys[i : i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                known.update(conn.execute(f"SELECT key, value FROM docs WHERE key IN ({marks})", chunk).fetchall())
        except sqlite3.Error:
            self.broken = True
            return
        self._known.update(known)

    def documents(self, data: bytes, source: str) -> list[Document]:
        key = hashlib.sha256(data).digest()
        with self._lock:
            conn = self._connection()
            row = None
            if conn is not None:
                if key in self._known:
                    row = (value,) if (value := self._known[key]) is not None else None
                else:
                    try:
                        row = conn.execute("SELECT value FROM docs WHERE key = ?", (key,)).fetchone()
                    except sqlite3.Error:
                        self.broken, row = True, None
        if row is not None:
            try:
                datas, lines = self._decode(row[0])
            except Exception:  # not what this version writes: parsed again (and written again)
                pass
            else:
                if len(datas) == len(lines):
                    self.hits += 1
                    return [Document(d, source, i, ln) for i, (d, ln) in enumerate(zip(datas, lines, strict=True))]
        docs = load_documents(data.decode("utf-8"), source)
        self.misses += 1
        if conn is not None:
            kept = ([d.data for d in docs], [d.line for d in docs])
            try:
                value = self._encode(kept)
                # kept only when decoding gives back exactly these documents: JSON keeps the types of strings,
                # integers, floats, booleans and null apart, and a map key that is not a string, a float that is
                # not finite or a value JSON has no type for (bytes: base64) comes back unequal
                if self._decode(value) != kept:
                    return docs
            except Exception:  # a value msgspec will not encode: not kept
                return docs
            with self._lock:
                self._pending[key] = value
                self._known.pop(key, None)  # asked of the database again (a long status -w keeps no values)
                if len(self._pending) >= PENDING:
                    self.flush()
        return docs

    def value(self, key: bytes) -> bytes | None:
        """The value kept under ``key`` (``keep``) by this process or an earlier one; None when there is none."""
        with self._lock:
            return self._value(key)

    def _value(self, key: bytes) -> bytes | None:
        pending = self._pending_values.get(key)
        if pending is not None:
            return pending
        conn = self._connection()
        if conn is None:
            return None
        try:
            row = conn.execute("SELECT value FROM kept WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            self.broken = True
            return None
        return None if row is None else bytes(row[0])

    def keep(self, key: bytes, value: bytes) -> None:
        """Keep ``value`` under ``key`` for this process and the next (written with the documents, ``flush``)."""
        with self._lock:
            if self._connection() is None:
                return
            self._pending_values[key] = value
            if len(self._pending_values) >= PENDING_VALUES:
                self.flush()

    def flush(self) -> None:
        """Write what this process parsed and kept since the last flush (nothing when it is not the process that
        opened it)."""
        with self._lock:
            self._flush()

    def _flush(self) -> None:
        if (not self._pending and not self._pending_values) or self._pid != os.getpid() or self._conn is None:
            self._pending, self._pending_values = {}, {}
            return
        pending, self._pending = self._pending, {}
        values, self._pending_values = self._pending_values, {}
        try:
            with self._conn:  # one transaction
                self._conn.execute("BEGIN")
                for table, entries, most in (("docs", pending, KEPT), ("kept", values, KEPT_VALUES)):
                    if entries:
                        self._conn.executemany(
                            f"INSERT OR IGNORE INTO {table} (key, value) VALUES (?, ?)", entries.items()
                        )
                        self._conn.execute(
                            f"DELETE FROM {table} WHERE rowid <= (SELECT MAX(rowid) FROM {table}) - ?", (most,)
                        )  # the oldest first
        except sqlite3.Error:
            self.broken = True

    def close(self) -> None:
        with self._lock:
            self._flush()
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None


_cache: DocumentCache | None = None
_inherited: list[sqlite3.Connection] = []  # a parent's connections a forked process holds and must not close


def _before_fork() -> None:
    """A connection must not cross a fork (https://www.sqlite.org/howtocorrupt.html, 2.6): this process writes what
    it has and closes it; each side opens its own when it next reads."""
    if _cache is not None:
        _cache.close()


os.register_at_fork(before=_before_fork)


def open_cache(directory: str | os.PathLike[str]) -> DocumentCache:
    """Keep the documents of the files ``documents`` parses in ``directory`` (created when needed) from now on, in
    this process and the processes it forks; written at the latest when the process exits."""
    global _cache
    if _cache is None or _cache.path != cache_file(directory):
        if _cache is not None:
            _cache.close()
        _cache = DocumentCache(cache_file(directory))
        atexit.register(_cache.close)
    return _cache


def close_cache() -> None:
    """Stop keeping documents (what is pending is written first)."""
    global _cache
    if _cache is not None:
        _cache.close()
        _cache = None


def flush() -> None:
    """Write what this process parsed (a forked process calls this before it exits: it runs no ``atexit``)."""
    if _cache is not None:
        _cache.flush()


def preload(files: list[bytes]) -> None:
    """``DocumentCache.preload`` of the open cache (nothing without one)."""
    if _cache is not None:
        _cache.preload(files)


def is_open() -> bool:
    """Whether this process keeps documents and values (``open_cache``)."""
    return _cache is not None and not _cache.broken


def value(key: bytes) -> bytes | None:
    """``DocumentCache.value`` of the open cache (None without one)."""
    return None if _cache is None else _cache.value(key)


def keep(key: bytes, value: bytes) -> None:
    """``DocumentCache.keep`` in the open cache (nothing without one)."""
    if _cache is not None:
        _cache.keep(key, value)


def documents(data: bytes, source: str) -> list[Document]:
    """The YAML documents of a file's bytes, as ``load_documents(data.decode("utf-8"), source)`` gives them (and
    raising what it raises); through the open cache, when there is one."""
    if _cache is None:
        return load_documents(data.decode("utf-8"), source)
    return _cache.documents(data, source)
