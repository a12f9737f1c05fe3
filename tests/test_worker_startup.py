"""A dashboard worker process starts as the CLI does (kratix_lab.startup): rfc3987-syntax hidden before anything
imports jsonschema — a spawned process starts afresh, and otherwise its first lab step compiled ~40 Lark grammars
(3.5-6 s) for format checks the lab never makes."""

from __future__ import annotations

import os
import sys

import pytest

from kratix_lab.platform.lab import Lab
from kratix_lab.sources import Actions, Source
from tui.lab_workers import LabProcess


def hidden_after_a_step(source: Source, actions: Actions) -> tuple[bool, bool]:
    """In the worker: step the lab (a step validates Helm values with jsonschema), then say what was imported."""
    assert actions.clock is not None
    actions.clock.step()
    return "jsonschema" in sys.modules, "rfc3987_syntax" in sys.modules and sys.modules["rfc3987_syntax"] is None


def test_a_worker_process_hides_rfc3987_syntax_before_its_first_step(tmp_path):
    from kratix_lab.sources.factory import PlatformSettings

    Lab(tmp_path / "lab").close()
    worker = LabProcess(PlatformSettings(lab=str(tmp_path / "lab")), "probe", read_only=False)
    try:
        answer = worker.submit(hidden_after_a_step).result(timeout=120)
    finally:
        worker.close(wait=True)
    assert answer.value == (True, True)


def compacting(source: Source, actions: Actions) -> tuple[bool, bool]:
    """In the worker: whether its lab store keeps parsed objects compact, and whether the process shares parts."""
    from kratix_lab.model import objects

    return source.lab.store._compacting, objects._kept_trees is not None  # type: ignore[attr-defined]


def test_the_dashboards_clock_and_reader_keep_the_lab_compact_and_the_fleets_worker_does_not(tmp_path):
    """The writer (the lab's clock: it holds the whole lab parsed, issue 15's memory) and the reader open the lab
    with ``PlatformSettings.compact``; the fleet's worker (whose reads are a changed row's latency) does not."""
    from tui.app import KratixLabApp

    Lab(tmp_path / "lab").close()
    app = KratixLabApp(tmp_path / "lab", play=False, workers="process")
    try:
        assert app.writer is not None
        assert app.writer.submit(compacting).result(timeout=120).value == (True, True)
        assert app.reader.submit(compacting).result(timeout=120).value == (True, True)
        assert app.fleet_reader.submit(compacting).result(timeout=120).value == (False, False)
    finally:
        for worker in (app.reader, app.fleet_reader, app.writer):
            worker.close(wait=True)


def documents_read(source: Source, actions: Actions) -> tuple[bool, int, int]:
    """In the worker: step the lab (its Argo CD reads the repos' files on a process's first round), then say whether
    the document cache is open and how many files it decoded from what was kept and how many it parsed."""
    from kratix_lab.model import doccache

    assert actions.clock is not None
    actions.clock.step()
    cache = doccache._cache
    return cache is not None, cache.hits if cache else 0, cache.misses if cache else 0


def test_a_dashboard_worker_keeps_the_documents_it_parses_for_the_next_process(lab, tmp_path, monkeypatch):
    """The dashboard's workers open the document cache (``tui.lab_workers._keep_documents``): a process's parses
    are written when it ends (a pool's process runs no ``atexit``), and the next process decodes them."""
    from kratix_lab.sources.factory import PlatformSettings

    monkeypatch.setenv("KRATIX_LAB_CACHE_DIR", str(tmp_path / "documents"))
    path = lab.path
    lab.close()
    answers = []
    for name in ("first", "second"):
        worker = LabProcess(PlatformSettings(lab=str(path)), name, read_only=False)
        try:
            answers.append(worker.submit(documents_read).result(timeout=120).value)
        finally:
            worker.close(wait=True)
    (opened, hits, parsed), (opened_again, hits_again, parsed_again) = answers
    assert opened and opened_again
    assert hits == 0 and parsed > 0, "the first process parses the files"
    assert hits_again == parsed and parsed_again == 0, "the next one decodes every one of them"


def where_it_started(source: Source, actions: Actions) -> tuple[bool, int, str | None, str]:
    """In the worker: whether it was forked with the workers' modules imported — and frozen, the collector never
    walks them (``gc.freeze``, which the forkserver did) —, its parent, and its environment's and working
    directory's say."""
    import gc
    import os

    preloaded = "tui.worker_preload" in sys.modules and gc.get_freeze_count() > 10_000
    return preloaded, os.getppid(), os.environ.get("KRATIX_LAB_PROBE"), os.getcwd()


def test_workers_share_a_forkserver_yet_see_the_apps_environment_as_they_start(tmp_path, monkeypatch):
    """The workers are forked from one forkserver that imported what they all import (``tui.worker_preload``: its
    pages shared, issue 15's memory), yet each starts with the app's environment and working directory of the
    moment, as a spawned process would — not the forkserver's, fixed when the first worker started."""
    import os

    from kratix_lab.sources.factory import PlatformSettings

    Lab(tmp_path / "lab").close()
    settings = PlatformSettings(lab=str(tmp_path / "lab"))
    answers = []
    for probe in ("first", "second"):
        monkeypatch.setenv("KRATIX_LAB_PROBE", probe)
        (tmp_path / probe).mkdir()
        monkeypatch.chdir(tmp_path / probe)
        worker = LabProcess(settings, probe, read_only=True)
        try:
            answers.append(worker.submit(where_it_started).result(timeout=120).value)
        finally:
            worker.close(wait=True)
    (preloaded, parent, env, cwd), (preloaded_2, parent_2, env_2, cwd_2) = answers
    assert preloaded and preloaded_2
    assert parent == parent_2 != os.getpid(), "both forked by the one forkserver"
    assert (env, env_2) == ("first", "second")
    assert (cwd, cwd_2) == (str(tmp_path / "first"), str(tmp_path / "second"))


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads the process's RSS from /proc")
def test_free_memory_is_given_back_to_the_system():
    """``give_back_free_memory`` (glibc's malloc_trim): what the C allocator kept of freed objects over 512 bytes
    (a JSON body, a big map's table) leaves the process — kept, it stays its high-water mark."""
    from kratix_lab import startup

    startup.give_back_free_memory()
    if not startup._libc:
        pytest.skip("not glibc: nothing to give back through")
    big = [os.urandom(8) * 128 for _ in range(60_000)]  # ~60 MB in 1 KB blocks from the C allocator
    pinned = os.urandom(8) * 128  # allocated after them: the heap's top stays in use, nothing is trimmed by itself
    del big
    before = _rss_mb()
    startup.give_back_free_memory()
    assert before - _rss_mb() > 30 and pinned


def test_a_worker_gives_back_free_memory_at_most_once_a_second(monkeypatch):
    from tui import lab_workers

    calls: list[float] = []
    now = [100.0]
    monkeypatch.setattr(lab_workers, "give_back_free_memory", lambda: calls.append(now[0]))
    monkeypatch.setattr(lab_workers.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(lab_workers, "_last_trim", 0.0)
    for t in (100.0, 100.4, 100.9, 101.0, 101.5, 103.0):
        now[0] = t
        lab_workers._trimmed_after()
    assert calls == [100.0, 101.0, 103.0]


def test_a_worker_writes_what_it_parsed_to_the_document_cache_before_giving_memory_back(tmp_path, monkeypatch):
    """The documents a job parsed (and the charts it rendered) are written to the document cache when the worker gives
    its free memory back (``_trimmed_after``): kept pending until a batch was full, they stayed in the worker's memory
    for its life (~6 MB after the lab's clock's first round at 1,000 vClusters). A process opening the cache after
    finds them; at most once a second, as the trim."""
    from kratix_lab.model import doccache
    from tui import lab_workers

    now = [100.0]
    monkeypatch.setattr(lab_workers, "give_back_free_memory", lambda: None)
    monkeypatch.setattr(lab_workers.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(lab_workers, "_last_trim", 0.0)
    cache = doccache.open_cache(tmp_path)
    try:
        doccache.documents(b"a: 1\n", "one.yaml")
        lab_workers._trimmed_after()
        assert not cache._pending
        now[0] = 100.5
        doccache.documents(b"b: 2\n", "two.yaml")
        lab_workers._trimmed_after()  # (within the second: neither trimmed nor written)
        assert len(cache._pending) == 1
        other = doccache.DocumentCache(doccache.cache_file(tmp_path))
        assert [d.data for d in other.documents(b"a: 1\n", "one.yaml")] == [{"a": 1}] and other.hits == 1
        other.close()
    finally:
        doccache.close_cache()
