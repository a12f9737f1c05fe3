"""Fleet rows computed in forked processes (issue 15): a tracked fleet's first rows streamed in (``_Stream``: the
dashboard's first paint, ``status -w``) and a one-shot's rows shared among processes (``_in_workers``: ``status``,
``diagnose --all``). ``kratix_lab.fleet.rows.FleetRows`` decides which; names with a leading underscore are the
fleet package's own.
"""

from __future__ import annotations

import builtins
import gc
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kratix_lab.fleet.deps import Changes, Derived, _compute, _Entry
from kratix_lab.model import doccache

if TYPE_CHECKING:
    from kratix_lab.fleet.rows import FleetRows

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
    so the first rows show at once while the processes read the snapshot (seconds); the very first it computed
    before they forked (``FleetRows._refresh_rows``), and they start with the values every row computes alike
    (``memo``). Each process opens the lab again (``LabSnapshot.reopened``). A process that dies leaves the rows it did not send to this process. Rows read
    before a change that this process polls meanwhile are checked against every change since the start
    (``FleetRows._streaming``)."""

    def __init__(
        self,
        s: Any,
        rk: Any,
        columns: Any,
        todo: builtins.list[tuple[tuple[str, str], bool]],
        workers: int,
        memo: dict[str, Derived] | None = None,
    ):
        import multiprocessing
        import sys

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
        # what this process holds, out of the cyclic collector's sight while the processes fork (``gc.freeze``): a
        # process's full collection would otherwise touch every object it inherited and copy every page it shares
        # with this one (Python's gc docs: freeze before fork). Seen again here after: it collects as ever.
        gc.freeze()
        try:
            self._fork(s, rk, columns, rest, size, ctx, dict(memo or {}))
        finally:
            gc.unfreeze()
        self.pending = len(todo)

    def _fork(self, s: Any, rk: Any, columns: Any, rest: Any, size: int, ctx: Any, memo: dict[str, Derived]) -> None:
        for i in range(0, len(rest), size):
            share = rest[i : i + size]
            receive, send = ctx.Pipe(duplex=False)
            process = ctx.Process(target=_stream_share, args=(send, s, rk, columns, share, memo), daemon=True)
            process.start()
            send.close()
            self.children.append(_Child(process, receive, {k: live for k, live in share}))

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

    @staticmethod
    def later(reached: int) -> bool:
        """Whether rows reached at once while a stream runs (``reached`` of them: every CronJob firing) are left due,
        to stream after it, rather than computed here: more than ``STREAM_HERE``."""
        return reached > STREAM_HERE

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


def _stream_share(send: Any, s: Any, rk: Any, columns: Any, share: Any, memo: dict[str, Derived]) -> None:
    """A forked process's tracked rows (``_Stream``), sent ``STREAM_CHUNK`` at a time with the values computed for
    every row they used that ``memo`` (the parent's, computed before the fork) did not hold; it stops at a row that
    raises (the parent computes the rest and raises there)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's (it ends this daemon process)
    # No cyclic collection here: a row's garbage has no cycles (``tests/test_fleet_cold.py`` checks), and the young
    # collections walked what the rows at hand hold — at 1,000 vClusters ~20 of ~37 ms each, 8 % of each process's
    # CPU. Whatever cycle an unusual row makes waits for the process's end, when its rows are sent.
    gc.disable()
    try:
        s = s.reopened()
        getattr(s, "expect", lambda _: None)([key for key, _ in share])  # (the placements' files read: its rows')
        forget = getattr(s, "forget_parsed", lambda: None)  # the bodies of the rows sent: not held (a lab's snapshot)
        forget()
        sent = set(memo)  # (the parent has them)
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
    machine's cores) over one snapshot ``s``.

    The first row is computed here, alone (``expect``: the snapshot reads that request's Jobs, Works and placements
    only): what every row computes alike (the Applications every row lists, the values derived from them, the
    state repo's history) is then read once, and each process forked after starts with it (shared copy-on-write,
    never read again). The rest is cut into one share of rows a process, each in chunks of ``ONE_SHOT_CHUNK`` rows
    whose numbers wait in a pipe of its own. Each process (this one too) is told its share (``expect``: it reads its
    requests' objects in the namespace every request shares, and the files of their placements in one batch, no
    other's), reads for it through the lab opened again (the snapshot's ``reopened()``: its own SQLite connection
    and git processes — a process never uses its parent's), and takes its own chunks; one done with them takes the
    next chunks of another's share (their placements' files read in one batch first: ``read_ahead``), so they end
    together whatever each row costs. Between its chunks this one takes the rows the others sent (pickled through a
    pipe, from a thread of theirs: a process goes on computing while its rows wait to be taken). A chunk a process
    took and did not send (it died, or a row raised) is computed here at the end, in order, where the same row
    raises the same error. Without ``fork``
    (another OS) every row is computed here.

    Before, every process started from what the first row had read — the whole shared namespace (at 1,000
    vClusters 87 MB of Jobs, Works and WorkPlacements and 23,000 labels decoded) and the files of every placement —
    read by this process alone while the other core waited: 1.6 s of a 6.5 s ``status``."""
    import functools
    import multiprocessing
    import os
    import sys
    from multiprocessing.connection import wait

    def here(share: builtins.list[tuple[tuple[str, str], bool]]) -> builtins.list[_Entry]:
        return [_compute(s, rk, columns, key, live, False, keep) for key, live in share]

    expect = getattr(s, "expect", lambda _: None)
    prefetch = getattr(s, "prefetch", lambda: None)
    if "fork" not in multiprocessing.get_all_start_methods():
        prefetch()
        return here(todo)
    expect([key for key, _ in todo[:1]])
    out = here(todo[:1])
    rest = todo[1:]
    size = max(ONE_SHOT_CHUNK, -(-len(rest) // _CHUNKS_MAX))
    chunks = [rest[i : i + size] for i in range(0, len(rest), size)]
    per = -(-len(chunks) // workers)  # chunks of a share
    shares = [range(i, min(i + per, len(chunks))) for i in range(0, len(chunks), per)]
    told = [[key for i in share for key, _ in chunks[i]] for share in shares]  # each process's requests
    ctx = multiprocessing.get_context("fork")
    getattr(s, "ready", lambda: None)()  # no thread of the snapshot's left running (a forked process has none)
    for stream in (sys.stdout, sys.stderr):  # a forked process flushes what it inherited when it exits
        stream.flush()
    pipes = []
    for share in shares:
        numbers, writer = os.pipe()
        os.write(writer, b"".join(i.to_bytes(4, "big") for i in share))  # ≤ 4 KB: never blocks
        os.close(writer)  # (before the fork: a process reading an empty pipe is told the end, never left waiting)
        pipes.append(numbers)

    def take(mine: int, s: Any) -> int | None:
        """The next chunk of share ``mine``, else of the next share that has one left (its placements' files read
        in one batch first: ``read_ahead``); None when none has."""
        for i in range(len(pipes)):
            number = os.read(pipes[(mine + i) % len(pipes)], 4)  # (a read of 4 bytes from a pipe is whole)
            if len(number) == 4:
                taken = int.from_bytes(number, "big")
                if i:
                    getattr(s, "read_ahead", lambda _: None)([key for key, _ in chunks[taken]])
                return taken
        return None

    done: dict[int, builtins.list[_Entry]] = {}
    children: dict[Any, Any] = {}
    try:
        for mine in range(1, len(shares)):
            receive, send = ctx.Pipe(duplex=False)
            process = ctx.Process(
                target=_share,
                args=(send, s, rk, columns, chunks, functools.partial(take, mine), told[mine], keep),
                daemon=True,
            )
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

        if shares:
            expect(told[0])
            prefetch()
        while (number := take(0, s)) is not None:
            done[number] = here(chunks[number])
            if children:
                collect(block=False)
        while children:
            collect(block=True)
    finally:
        while any(len(os.read(numbers, 4)) == 4 for numbers in pipes):  # (a row raised here: the others stop)
            pass
        for numbers in pipes:
            os.close(numbers)
        for conn, process in children.items():
            conn.close()
            process.join()
    for number, chunk in enumerate(chunks):  # (in order: the first row that raises raises here)
        if number not in done:
            done[number] = here(chunk)
    return out + [entry for number in range(len(chunks)) for entry in done[number]]


def _share(
    send: Any, s: Any, rk: Any, columns: Any, chunks: Any, take: Any, told: builtins.list[Any], keep: bool
) -> None:
    """A forked process's rows (see ``_in_workers``): told its share (``told``), the chunks it takes, each sent to the
    parent with its number as soon as it is computed (from a thread: a big diagnosis waits in the pipe while this
    process goes on); it stops at a chunk whose row raises (the parent computes that chunk again and raises there)."""
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
            getattr(s, "expect", lambda _: None)(told)
            getattr(s, "prefetch", lambda: None)()
            while (number := take(s)) is not None:
                outbox.put((number, [_compute(s, rk, columns, key, live, False, keep) for key, live in chunks[number]]))
    finally:
        outbox.put(None)
        sender.join()
        send.close()
        doccache.flush()  # the documents it parsed, for the next process (a forked process runs no atexit)


__all__ = ["one_shot_workers"]
