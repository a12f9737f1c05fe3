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
import itertools
import multiprocessing
import os
import pickle
import signal
import sys
import threading
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

    def pids(self) -> list[int]:
        """The processes this worker's jobs run in now (none for a thread): for a benchmark to name them."""
        return []

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
    _process_setup(niceness, environ, cwd)
    _opened = _Opened(settings, read_only)


def _process_setup(niceness: int, environ: dict[str, str] | None, cwd: str | None) -> None:
    """A worker process's start (``_process_init``, ``_host_main``): see ``_process_init``."""
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
        sent = _sendable(e)
        if sent is not e:
            raise sent from None
        raise
    finally:
        _trimmed_after()


def _sendable(e: BaseException) -> BaseException:
    """``e`` when it travels to the app as itself (it pickles), else a ``WorkerError`` with its message."""
    try:
        pickle.loads(pickle.dumps(e))
    except Exception:
        return WorkerError(f"{type(e).__name__}: {e}")
    return e


_TRIM_EVERY = 1.0  # seconds: at most one trim a second (each walks the heap: ~5 ms at 1,000 vClusters)
_last_trim = 0.0


def _trimmed_after() -> None:
    """What the job freed given back to the system (``give_back_free_memory``), at most once a second: a lab's first
    step, a fleet's first rows, a detail of a big request each leave a high-water mark the worker would keep. The
    documents and rendered charts the job parsed are written to the document cache first (``doccache.flush``): held
    until a batch was full, they were kept in memory for the worker's life — the clock's first round at 1,000
    vClusters left ~6 MB of them."""
    global _last_trim
    now = time.monotonic()
    if now - _last_trim >= _TRIM_EVERY:
        _last_trim = now
        from kratix_lab.model import doccache

        doccache.flush()
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

    def pids(self) -> list[int]:
        if self.fallback is not None:
            return []
        return list(getattr(self._executor, "_processes", None) or {})

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


# ---- one process, several workers --------------------------------------------------------------


class WorkerHost:
    """One worker process (``worker_context``) that runs the jobs of several workers (``LabHosted``), each on a
    thread of its own with its own platform: the dashboard's reader and writer share one (issue 15's memory). In
    the lab the writer is the clock, which holds the whole lab parsed; a reader of its own cost a process, its
    modules and its caches (~60 MB at 1,000 vClusters), where beside the clock its traces add ~7 MB (~25 MB when
    they run during the clock's first round: measured, ``bench/bench_dashboard.py``). Each worker's jobs run one
    at a time, in order, as in a process of its own; two workers' jobs run side by side (a detail opened during
    the clock's step is read meanwhile, sharing the process's CPU with it). Not for the fleet's worker, which forks
    processes (``kratix_lab.fleet.parallel``: only a process without threads may).

    The process starts with the first job (with the app's environment and working directory of that moment, as
    ``LabProcess``'s) and ends when every worker it ran was closed, after their queued jobs (a step is never cut
    short). When it dies, the jobs it had fail with ``BrokenProcessPool``; a worker's next job starts another
    (``restart``)."""

    def __init__(self, niceness: int = 0) -> None:
        self.niceness = niceness
        self._lock = threading.Lock()
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Any = None
        self._answering: threading.Thread | None = None  # the process's answers' thread, the one that joins it
        self._pending: dict[int, tuple[Future[Any], int]] = {}  # job id -> (its future, the process's generation)
        self._ids = itertools.count()
        self.generation = 0  # processes started so far
        self.worked = False  # whether a job of the current process has answered
        self._open: set[str] = set()  # the workers not closed yet

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def _started(self) -> None:
        """Start the process if none runs (under ``_lock``)."""
        if self._process is not None:
            return
        ctx = worker_context()
        here, there = ctx.Pipe()
        process = ctx.Process(  # type: ignore[attr-defined]  # (every context has it; BaseContext's type does not say)
            target=_host_main,
            args=(there, self.niceness, dict(os.environ), os.getcwd()),
            name="kratix-lab-workers",
        )
        with _main_left_alone():
            process.start()
        there.close()
        self._process, self._conn = process, here
        self.generation += 1
        self.worked = False
        self._answering = threading.Thread(
            target=self._answers, args=(here, process, self.generation), name="kratix-lab-host", daemon=True
        )
        self._answering.start()

    def submit(self, worker: str, settings: PlatformSettings, read_only: bool, job: Job[T]) -> Future[Answer[T]]:
        future: Future[Answer[T]] = Future()
        with self._lock:
            self._started()
            self._open.add(worker)
            job_id = next(self._ids)
            self._pending[job_id] = (future, self.generation)
            try:
                self._conn.send(("job", job_id, worker, settings, read_only, job))
            except (OSError, ValueError):  # the process is gone: its answers' thread fails what it had
                pass
            except Exception as e:  # the job does not pickle
                del self._pending[job_id]
                future.set_exception(e)
        return future

    def _answers(self, conn: Any, process: multiprocessing.process.BaseProcess, generation: int) -> None:
        """The answers of one process, each to its job's future; when it ends, its jobs left fail."""
        while True:
            try:
                job_id, ok, payload = conn.recv()
            except (EOFError, OSError):
                break
            try:
                value = pickle.loads(payload)
            except Exception as e:  # sent, yet not to be read here (a class this process cannot import)
                ok, value = False, WorkerError(f"the worker's answer cannot be read here: {type(e).__name__}: {e}")
            with self._lock:
                future, _ = self._pending.pop(job_id, (None, 0))
                if ok and generation == self.generation:
                    self.worked = True
            if future is not None and future.set_running_or_notify_cancel():
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
        process.join()
        conn.close()
        with self._lock:
            left = [f for f, gen in self._pending.values() if gen == generation]
            self._pending = {k: v for k, v in self._pending.items() if v[1] != generation}
            if self._process is process:
                self._process, self._conn = None, None
        for future in left:
            if future.set_running_or_notify_cancel():
                future.set_exception(BrokenProcessPool("the dashboard's worker process ended"))

    def close(self, worker: str, *, wait: bool = False) -> None:
        """No more jobs for ``worker``: the process ends after the last worker's queued jobs (``wait``: until it has
        ended, when this was the last)."""
        with self._lock:
            self._open.discard(worker)
            answering, conn, last = self._answering, self._conn, not self._open
            if conn is not None:
                with contextlib.suppress(OSError, ValueError):
                    conn.send(("close", worker))
        if last and wait and answering is not None:
            # the answers' thread joins the process (only one thread may: two reading its exit status at once, the
            # second finds it read and takes the process for one the forkserver lost, exit code 255)
            answering.join()


def _host_main(conn: Any, niceness: int, environ: dict[str, str], cwd: str) -> None:
    """The process of a ``WorkerHost``: each worker's jobs on a thread of its own with its own platform (opened on
    its first job, as ``_Opened``), their answers sent back as they come. A worker closed closes its platform after
    its queued jobs; the process ends when every worker it ran was closed, or when the app is gone (after the jobs
    it had)."""
    _process_setup(niceness, environ, cwd)
    workers: dict[str, tuple[ThreadPoolExecutor, _Opened]] = {}
    closed: set[str] = set()
    sending = threading.Lock()

    def answer(job_id: int, ok: bool, value: Any) -> None:
        try:
            payload = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        except Exception as e:  # the value does not pickle
            ok, payload = False, pickle.dumps(WorkerError(f"{type(e).__name__}: {e}"))
        with sending, contextlib.suppress(OSError, ValueError):  # (the app is gone)
            conn.send((job_id, ok, payload))

    def run(job_id: int, opened: _Opened, job: Job[Any]) -> None:
        try:
            value = opened.run(job)
        except BaseException as e:
            answer(job_id, False, _sendable(e))
        else:
            answer(job_id, True, value)
        finally:
            _trimmed_after()

    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the app is gone: nothing more comes
            break
        name = message[2] if message[0] == "job" else message[1]
        if name in closed:  # (the app closed it: a job sent after is refused, as a shut executor's)
            if message[0] == "job":
                answer(message[1], False, WorkerError(f"the {name} worker was closed"))
            continue
        if message[0] == "job":
            _, job_id, _, settings, read_only, job = message
            if name not in workers:
                pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"kratix-lab-{name}")
                workers[name] = (pool, _Opened(settings, read_only))
            pool, opened = workers[name]
            pool.submit(run, job_id, opened, job)
        else:
            closed.add(name)
            if name in workers:
                pool, opened = workers[name]
                pool.submit(opened.close)
                pool.shutdown(wait=False)
            if closed >= set(workers):
                break
    for name, (pool, opened) in workers.items():
        if name not in closed:
            pool.submit(opened.close)
        pool.shutdown(wait=True)
    conn.close()


class LabHosted(LabWorker):
    """A worker whose jobs run in a ``WorkerHost``'s process, beside other workers'. When the process dies it is
    started again (twice at most, as ``LabProcess``'s); one that never answered a job is replaced by a thread."""

    RESTARTS = 2

    def __init__(
        self, settings: PlatformSettings, name: str, *, read_only: bool, host: WorkerHost, niceness: int = 0
    ) -> None:
        self.host = host
        self.fallback: LabThread | None = None
        self._restarts = 0
        super().__init__(settings, name, read_only=read_only, niceness=niceness)

    def _start(self) -> Executor:  # the host's process starts with the first job
        return None  # type: ignore[return-value]

    def submit(self, job: Job[T]) -> Future[Answer[T]]:
        if self.fallback is not None:
            return self.fallback.submit(job)
        return self.host.submit(self.name, self.settings, self.read_only, job)

    def pids(self) -> list[int]:
        pid = self.host.pid
        return [pid] if pid is not None and self.fallback is None else []

    def _recover(self, generation: int) -> None:
        """After the host's process died with a job of ours: another process (the host starts one with the next
        job), or a thread when none ever answered."""
        if self.fallback is not None or self._closing:
            return
        if self.host.worked or generation < self.host.generation:
            self._restarts += 1
            if self._restarts <= self.RESTARTS:
                return
        self.fallback = LabThread(self.settings, self.name, read_only=self.read_only)

    async def run(self, job: Job[T]) -> T:
        future = self.submit(job)
        generation = self.host.generation  # the process the job went to
        try:
            return self._take(await asyncio.wrap_future(future))
        except BrokenProcessPool:  # the process died with this job (a step is one transaction: run it again)
            self._recover(generation)
            return self._take(await asyncio.wrap_future(self.submit(job)))

    def close(self, *, wait: bool = False) -> None:
        self._closing = True
        self.host.close(self.name, wait=wait)
        if self.fallback is not None:
            self.fallback.close(wait=wait)


def make_worker(
    kind: str,
    settings: PlatformSettings,
    name: str,
    *,
    read_only: bool,
    niceness: int = 0,
    host: WorkerHost | None = None,
) -> LabWorker:
    """A worker of ``kind`` (``WORKER_KINDS``); a process one runs in ``host``'s process when given (at the host's
    niceness: ``niceness`` is then not asked for), else in a process of its own."""
    if kind not in WORKER_KINDS:
        raise ValueError(f"workers must be one of {', '.join(WORKER_KINDS)}, not {kind!r}")
    if kind == "thread":
        return LabThread(settings, name, read_only=read_only, niceness=niceness)
    if host is not None:
        return LabHosted(settings, name, read_only=read_only, host=host, niceness=host.niceness)
    return LabProcess(settings, name, read_only=read_only, niceness=niceness)
