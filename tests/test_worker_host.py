"""The dashboard's reader and writer share one worker process (``tui.lab_workers.WorkerHost``, issue 15's memory):
each worker's jobs run in order on a thread of its own, the two side by side; errors come back as from a process of
their own; a process that dies fails its jobs and the next one starts another; closed, it ends."""

from __future__ import annotations

import asyncio
import functools
import os
import time
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from kratix_lab.platform.lab import Lab
from kratix_lab.sources import Actions, Source
from kratix_lab.sources.factory import PlatformSettings
from tui.lab_workers import LabHosted, LabThread, WorkerError, WorkerHost, make_worker

TIMEOUT = 120


@pytest.fixture
def settings(tmp_path: Path) -> PlatformSettings:
    Lab(tmp_path / "lab").close()
    return PlatformSettings(lab=str(tmp_path / "lab"))


def pid(source: Source, actions: Actions) -> int:
    return os.getpid()


def wait_for(path: str, source: Source, actions: Actions) -> bool:
    """Wait (up to 30 s) for ``path`` to exist: whether it did."""
    end = time.monotonic() + 30
    while time.monotonic() < end:
        if os.path.exists(path):
            return True
        time.sleep(0.02)
    return False


def make(path: str, source: Source, actions: Actions) -> str:
    Path(path).write_text("made")
    return "made"


def record(log: str, n: int, source: Source, actions: Actions) -> int:
    with open(log, "a") as f:
        f.write(f"{n}\n")
    return n


def can_write(source: Source, actions: Actions) -> bool:
    return not actions.read_only


class Unpicklable(Exception):
    def __init__(self, what: str, extra: object) -> None:  # pickles as Unpicklable(what): its __init__ refuses that
        super().__init__(what)
        self.extra = extra


def fails(source: Source, actions: Actions) -> None:
    raise ValueError("no such vCluster: vc404")


def fails_oddly(source: Source, actions: Actions) -> None:
    raise Unpicklable("an odd error", object())


def gives_a_lock(source: Source, actions: Actions) -> object:
    import threading

    return threading.Lock()


def dies(app_pid: int, source: Source, actions: Actions) -> None:
    if os.getpid() != app_pid:  # (never the test's process: a thread there runs it too)
        os._exit(3)


@pytest.fixture
def hosted(settings: PlatformSettings) -> Iterator[tuple[WorkerHost, LabHosted, LabHosted]]:
    """A host and the reader and writer it runs, as the dashboard makes them (closed after the test)."""
    host = WorkerHost()
    reader = make_worker("process", settings, "reader", read_only=True, host=host)
    writer = make_worker("process", settings, "writer", read_only=False, host=host)
    assert isinstance(reader, LabHosted) and isinstance(writer, LabHosted)
    try:
        yield host, reader, writer
    finally:
        reader.close(wait=True)
        writer.close(wait=True)


def test_the_reader_and_the_writer_run_in_one_process_side_by_side(hosted, tmp_path):
    host, reader, writer = hosted
    where = {reader.submit(pid).result(TIMEOUT).value, writer.submit(pid).result(TIMEOUT).value}
    assert where == {host.pid} and host.pid != os.getpid()
    # each with its own platform: the writer's may write, the reader's not
    assert writer.submit(can_write).result(TIMEOUT).value is True
    assert reader.submit(can_write).result(TIMEOUT).value is False
    # the writer's job waits for what the reader's job makes: run one after the other, it would wait in vain
    flag = str(tmp_path / "flag")
    waiting = writer.submit(functools.partial(wait_for, flag))
    made = reader.submit(functools.partial(make, flag))
    assert made.result(TIMEOUT).value == "made"
    assert waiting.result(TIMEOUT).value is True


def test_one_workers_jobs_run_in_the_order_they_were_given(hosted, tmp_path):
    _, _, writer = hosted
    log = tmp_path / "log"
    futures = [writer.submit(functools.partial(record, str(log), n)) for n in range(30)]
    assert [f.result(TIMEOUT).value for f in futures] == list(range(30))
    assert log.read_text().split() == [str(n) for n in range(30)]


def test_errors_come_back_as_from_a_process_of_their_own(hosted):
    host, reader, writer = hosted
    with pytest.raises(ValueError, match="vc404"):
        reader.submit(fails).result(TIMEOUT)
    with pytest.raises(WorkerError, match="Unpicklable: an odd error"):
        reader.submit(fails_oddly).result(TIMEOUT)
    with pytest.raises(WorkerError, match="lock"):  # an answer that does not pickle
        writer.submit(gives_a_lock).result(TIMEOUT)
    with pytest.raises(Exception, match="pickle|lock"):  # a job that does not pickle never leaves
        reader.submit(functools.partial(lambda s, a: None)).result(TIMEOUT)
    assert reader.submit(pid).result(TIMEOUT).value == host.pid, "the process goes on"


def test_a_process_that_dies_fails_its_jobs_and_the_next_job_starts_another(hosted, tmp_path):
    host, reader, writer = hosted
    first = reader.submit(pid).result(TIMEOUT).value
    flag = str(tmp_path / "never")
    waiting = writer.submit(functools.partial(wait_for, flag))  # the writer's job, cut off by the reader's death
    with pytest.raises(BrokenProcessPool):
        reader.submit(functools.partial(dies, os.getpid())).result(TIMEOUT)
    with pytest.raises(BrokenProcessPool):
        waiting.result(TIMEOUT)
    # ``run`` (what the app awaits) starts another process and runs the job again there
    again = asyncio.run(writer.run(pid))
    assert again == host.pid and again != first and host.generation == 2
    assert reader.fallback is None and writer.fallback is None


def test_a_worker_whose_process_never_answered_falls_back_to_a_thread(hosted):
    _, reader, _ = hosted
    assert asyncio.run(reader.run(functools.partial(dies, os.getpid()))) is None  # ran again on a thread
    assert isinstance(reader.fallback, LabThread)
    assert reader.submit(pid).result(TIMEOUT).value == os.getpid()


def test_closed_the_process_ends_after_the_jobs_it_had(hosted, tmp_path):
    host, reader, writer = hosted
    log = tmp_path / "log"
    reader.submit(pid).result(TIMEOUT)
    process = host._process
    assert process is not None
    futures = [writer.submit(functools.partial(record, str(log), n)) for n in range(5)]
    reader.close()
    assert process.is_alive(), "the writer is not closed"
    with pytest.raises(WorkerError, match="the reader worker was closed"):  # sent after its close: refused
        host.submit("reader", reader.settings, True, pid).result(TIMEOUT)
    host._open.discard("reader")
    writer.close(wait=True)
    assert not process.is_alive() and process.exitcode == 0
    assert [f.result(TIMEOUT).value for f in futures] == list(range(5)), "its queued jobs were run first"
