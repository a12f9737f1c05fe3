"""Where the dashboard's platform work runs: off the UI, each worker with its own open platform.

Each role (the reader, the fleet's reader, the writer — in the lab, the clock) gets one long-lived
worker that opens the platform itself from picklable ``PlatformSettings`` (a lab directory, or a
kubeconfig context with its timeout, repo overrides and cache directory) through the composition root
``kratix_lab.sources.factory.open_platform`` — the dashboard never holds a ``Lab``. A lab's caches
(parsed objects, git trees, parsed state-repo files) and SQLite connections pay off only when one lab
serves every refresh; a live source keeps its discovery and Promises. A job is ``job(source, actions)``
(``kratix_lab.sources.Source`` and ``Actions``), picklable (a module-level function or a
``functools.partial`` of one: see ``tui.jobs``), so it runs the same way in either kind of worker:

- ``LabProcess`` (the default): a process of its own (forked from a forkserver that has imported what every
  worker imports: ``worker_context``). A 100-vCluster lab's step or fleet read is
  a second of pure Python; in a thread of the app's process it holds the GIL long enough to make
  key presses wait (measured: 0.3–2 s stalls), in another process it cannot.
- ``LabThread``: a thread of the app's process (cheaper to start: the tests use it).

Many processes opening one lab is what the lab is built for (its writes are transactions and take
a file lock).

Every answer comes back with the platform's ``Header`` state read after the job (the lab's time and
active faults; nothing for a live cluster, whose header is its context and server): the UI thread never
reads the platform itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import pickle
import signal
import sys
import time
import types
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from kratix_lab.sources import Actions, Platform, Source
from kratix_lab.sources.factory import PlatformSettings, open_platform
from kratix_lab.startup import give_back_free_memory, skip_slow_optional_imports, tune_gc

T = TypeVar("T")
Job = Callable[[Source, Actions], T]
WORKER_KINDS = ("process", "thread")


def noop(source: Source, actions: Actions) -> None:
    """A job that does nothing: waiting for it waits for every job queued before it."""


@dataclass(frozen=True)
class Header:
    """What the header shows of a platform with a clock (the lab): its time and active faults."""

    time: str
    faults: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answer(Generic[T]):
    value: T
    header: Header | None


class _Opened:
    """The platform a worker opened, on first use (an unreadable lab or an unreachable cluster is then one
    job's error, not a dead worker)."""

    def __init__(self, settings: PlatformSettings, read_only: bool) -> None:
        self.settings, self.read_only = settings, read_only
        self.platform: Platform | None = None

    def run(self, job: Job[T]) -> Answer[T]:
        if self.platform is None:
            # a reader also works on a lab the user may not write (Lab.open_for_reading)
            self.platform = open_platform(self.settings, read_only=self.read_only)
        value = job(self.platform.source, self.platform.actions)
        clock = self.platform.actions.clock
        return Answer(value, Header(clock.time(), clock.faults()) if clock is not None else None)

    def close(self) -> None:
        if self.platform is not None:
            from tui.jobs import forget_fleet

            forget_fleet(self.platform.source)  # the fleet's rows kept for it (tui.jobs.read_fleet)
            self.platform.close()
            stop = getattr(self.platform.source, "stop", None)  # a watch cache's informers (PlatformSettings.watch)
            if stop is not None:
                stop()
            self.platform = None


class LabWorker:
    """One worker: ``await worker.run(job)``; ``submit`` for a Future of its ``Answer``; ``close`` when done.
    ``on_header`` (when set) gets the platform's header state after each job ``run`` awaited."""

    def __init__(self, settings: PlatformSettings, name: str, *, read_only: bool, niceness: int = 0) -> None:
        self.settings = settings
        self.name = name
        self.read_only = read_only
        self.niceness = niceness  # a process's: how much less it is scheduled than the dashboard (_process_init)
        self.on_header: Callable[[Header], None] | None = None
        self._closing = False
        self._executor = self._start()

    def _start(self) -> Executor:
        raise NotImplementedError

    def submit(self, job: Job[T]) -> Future[Answer[T]]:
        raise NotImplementedError

    @property
    def closing(self) -> bool:
        """True once ``close`` was asked: a job cut off now failed because the app is quitting."""
        return self._closing

    async def run(self, job: Job[T]) -> T:
        """Run ``job(source, actions)`` on the worker and wait for it without blocking the event loop."""
        return self._take(await asyncio.wrap_future(self.submit(job)))

    def _take(self, answer: Answer[T]) -> T:
        if answer.header is not None and self.on_header is not None:
            self.on_header(answer.header)
        return answer.value

    def flush(self, timeout: float | None = None) -> None:
        """Wait (blocking) until the jobs queued so far are done."""
        self.submit(noop).result(timeout)

    def close(self, *, wait: bool = False) -> None:
        raise NotImplementedError


class LabThread(LabWorker):
    def _start(self) -> Executor:
        self._opened = _Opened(self.settings, self.read_only)  # touched only on the pool's thread
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"kratix-lab-{self.name}")

    def submit(self, job: Job[T]) -> Future[Answer[T]]:
        return self._executor.submit(self._opened.run, job)

    def close(self, *, wait: bool = False) -> None:
        """Finish the jobs already queued, close the platform, and end the thread (``wait``: until it has)."""
        if not self._closing:
            self._closing = True
            self._executor.submit(self._opened.close)
        self._executor.shutdown(wait=wait)


# ---- a worker process --------------------------------------------------------------------------

_opened: _Opened | None = None  # in a worker process: its platform


WORKER_NICENESS = 5  # how much less the reader and the writer are scheduled than the dashboard (_process_init)


def _process_init(
    settings: PlatformSettings,
    read_only: bool,
    niceness: int = 0,
    environ: dict[str, str] | None = None,
    cwd: str | None = None,
) -> None:
    """In the worker process: the terminal belongs to the dashboard (nothing may be printed on it,
    ctrl+c is the dashboard's key), and the platform is opened on the first job.

    A worker may yield the CPU to the dashboard's process (``niceness``; the app gives the reader and the writer
    ``WORKER_NICENESS``): on a busy machine a key press waited behind their work — the trace that opening a detail
    asks for, computed while the detail is drawn; the lab's step every second. The fleet's reader is not: how soon a
    changed row is on screen is its time.

    ``environ`` and ``cwd``: the app's environment and working directory as the worker starts — what a spawned
    process would have; a worker forked from the forkserver would otherwise have the forkserver's, as they were
    when the first worker started (a cache directory or kubeconfig set since would be missed)."""
    global _opened
    if environ is not None:  # the app's, as the worker starts (a forkserver's child has the forkserver's)
        os.environ.clear()
        os.environ.update(environ)
    if cwd is not None:
        with contextlib.suppress(OSError):  # gone meanwhile: absolute paths still work
            os.chdir(cwd)
    if niceness:
        with contextlib.suppress(OSError, AttributeError):  # not on every platform
            os.nice(niceness)
    skip_slow_optional_imports()  # a spawned process starts afresh: else its first step compiles grammars for seconds
    tune_gc()  # the lab's objects parsed: the collector at Python's defaults took a quarter of a row's CPU
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the worker's whole life
    _keep_documents()
    _opened = _Opened(settings, read_only)


def _keep_documents() -> None:
    """The YAML documents of the state repo's files, kept by content in the cache directory as ``status`` keeps them
    (``kratix_lab.model.doccache``: a file parsed once on this machine is decoded, not parsed, by the next process —
    the fleet's rows, the traces of a detail, the lab's Argo CD on its first round). A pool's process exits without
    running ``atexit``: what it parsed is written by a finalizer multiprocessing runs as the process ends."""
    from multiprocessing import util

    from kratix_lab.live.repos import default_cache_dir
    from kratix_lab.model import doccache

    doccache.open_cache(default_cache_dir())
    util.Finalize(None, doccache.close_cache, exitpriority=10)


@contextlib.contextmanager
def _main_left_alone() -> Iterator[None]:
    """While a worker process is spawned: it needs nothing from ``__main__`` (jobs live in tui.jobs),
    so it is not told about it — else it would run the main program again, and a program without an
    ``if __name__ == "__main__"`` guard would start a dashboard in each worker."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def worker_context() -> multiprocessing.context.BaseContext:
    """How a worker process starts: forked from a forkserver (a single-threaded process of its own, started with
    the first worker, that has imported ``tui.worker_preload``) where there is one, so the workers share the pages
    of the modules they all import (~38 MB each); else spawned. Never forked from the app: it runs threads."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tui.worker_preload"])
    return ctx


class WorkerError(Exception):
    """An error raised in a worker process that cannot travel back as itself (it does not pickle): its
    message, under its class's name."""


def _process_run(job: Job[Any]) -> Answer[Any]:
    assert _opened is not None
    try:
        return _opened.run(job)
    except Exception as e:
        try:
            pickle.loads(pickle.dumps(e))
        except Exception:
            raise WorkerError(f"{type(e).__name__}: {e}") from None
        raise
    finally:
        _trimmed_after()


_TRIM_EVERY = 1.0  # seconds: at most one trim a second (each walks the heap: ~5 ms at 1,000 vClusters)
_last_trim = 0.0


def _trimmed_after() -> None:
    """What the job freed given back to the system (``give_back_free_memory``), at most once a second: a lab's first
    step, a fleet's first rows, a detail of a big request each leave a high-water mark the worker would keep."""
    global _last_trim
    now = time.monotonic()
    if now - _last_trim >= _TRIM_EVERY:
        _last_trim = now
        give_back_free_memory()


class LabProcess(LabWorker):
    """A worker process (``worker_context``: never forked from the app, which runs threads). A process that dies
    is started again (twice at most); one that cannot start at all (Python cannot spawn this
    program: say, it was read from stdin) is replaced by a thread — slower under load, never broken."""

    RESTARTS = 2

    def _start(self) -> Executor:
        self._restarts = getattr(self, "_restarts", -1) + 1
        self._worked = False
        self.fallback: LabThread | None = getattr(self, "fallback", None)
        return ProcessPoolExecutor(
            max_workers=1,
            mp_context=worker_context(),
            initializer=_process_init,
            initargs=(self.settings, self.read_only, self.niceness, dict(os.environ), os.getcwd()),
        )

    def _recover(self) -> None:
        """After the process died: another one, or a thread when processes do not work here."""
        if self.fallback is not None or self._closing:
            return
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._worked and self._restarts < self.RESTARTS:
            self._executor = self._start()
        else:
            self.fallback = LabThread(self.settings, self.name, read_only=self.read_only)  # a thread: no niceness

    def _worked_once(self, future: Future[Any]) -> None:
        if not future.cancelled() and not isinstance(future.exception(), BrokenProcessPool):
            self._worked = True

    def submit(self, job: Job[T]) -> Future[Answer[T]]:
        if self.fallback is not None:
            return self.fallback.submit(job)
        try:
            with _main_left_alone():  # the first submit spawns the process
                future = self._executor.submit(_process_run, job)
        except BrokenProcessPool:
            self._recover()
            return self.submit(job)
        future.add_done_callback(self._worked_once)
        return future

    async def run(self, job: Job[T]) -> T:
        try:
            return self._take(await asyncio.wrap_future(self.submit(job)))
        except BrokenProcessPool:  # the process died with this job (a step is one transaction: run it again)
            self._recover()
            return self._take(await asyncio.wrap_future(self.submit(job)))

    def close(self, *, wait: bool = False) -> None:
        """Let the worker finish its current job (a step is never cut short) and exit."""
        self._closing = True
        self._executor.shutdown(wait=wait, cancel_futures=True)
        if self.fallback is not None:
            self.fallback.close(wait=wait)


def make_worker(kind: str, settings: PlatformSettings, name: str, *, read_only: bool, niceness: int = 0) -> LabWorker:
    if kind not in WORKER_KINDS:
        raise ValueError(f"workers must be one of {', '.join(WORKER_KINDS)}, not {kind!r}")
    cls = LabProcess if kind == "process" else LabThread
    return cls(settings, name, read_only=read_only, niceness=niceness)
