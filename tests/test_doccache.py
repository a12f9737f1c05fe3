"""The YAML documents kept on disk by content (``kratix_lab.model.doccache``, issue 15): what it gives is what the
loader gives, for a text met before or not; what a JSON round trip would change, and what is not YAML, is never kept;
another file's bytes are another file; a cache that cannot be used is no cache."""

from __future__ import annotations

import contextlib
import io
import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kratix_lab.model import YamlError, doccache, dump_all, load_documents


@pytest.fixture
def cache(tmp_path):
    doccache.close_cache()
    opened = doccache.open_cache(tmp_path / "cache")
    yield opened
    doccache.close_cache()


def _reopen(cache):
    """The cache as the next process opens it (what this one parsed written first)."""
    directory = cache.path.parent
    doccache.close_cache()
    return doccache.open_cache(directory)


def _same(a, b) -> bool:
    """Equal documents, and equal types all the way down (``True == 1 == 1.0`` for ``==``)."""

    def typed(x):
        if isinstance(x, dict):
            return ("map", [(typed(k), typed(v)) for k, v in x.items()])
        if isinstance(x, list):
            return ("seq", [typed(v) for v in x])
        return (type(x).__name__, repr(x))

    return [(typed(d.data), d.source, d.index, d.line) for d in a] == [
        (typed(d.data), d.source, d.index, d.line) for d in b
    ]


MULTI = b"""# a comment
apiVersion: v1
kind: ConfigMap
metadata:
  name: one
  labels: {a: "1", b: 2}
data:
  x: "yes"
  y: yes
  z: 1.5
  t: 2026-01-01T00:00:00Z
---
---
kind: Secret
metadata: {name: two}
stringData:
  big: 18446744073709551615
  block: |
    line one
    line two
"""


def test_a_text_gives_the_loaders_documents_parsed_or_kept(cache):
    want = load_documents(MULTI.decode(), "f.yaml")
    assert _same(doccache.documents(MULTI, "f.yaml"), want) and (cache.hits, cache.misses) == (0, 1)
    again = _reopen(cache)
    got = doccache.documents(MULTI, "f.yaml")
    assert _same(got, want) and (again.hits, again.misses) == (1, 0)
    moved = doccache.documents(MULTI, "elsewhere/g.yaml")  # the same bytes at another path: that path's documents
    assert _same(moved, load_documents(MULTI.decode(), "elsewhere/g.yaml"))


def test_what_json_would_change_is_parsed_every_time(cache):
    """Documents a JSON round trip would not give back exactly (a key that is not a string, NaN, infinity) are
    never kept: each process parses them (and gets the loader's values)."""
    texts = [b"1: a\n", b"x: .nan\n", b"x: .inf\n", b"true: 1\n", b"1.5: a\n", b"null: a\n"]
    for text in texts:
        assert _same(doccache.documents(text, "t.yaml"), load_documents(text.decode(), "t.yaml"))
    again = _reopen(cache)
    for text in texts:
        assert _same(doccache.documents(text, "t.yaml"), load_documents(text.decode(), "t.yaml"))
    assert (again.hits, again.misses) == (0, len(texts))


def test_what_is_not_yaml_raises_what_the_loader_raises_every_time(cache):
    for text in (b"a: [1,\n", b"a: 1\na: 2\n", b"\xff\xfe not utf-8", b"x: !!binary aGVsbG8=\n"):
        errors = []
        for _ in range(2):
            for read in (
                lambda t=text: doccache.documents(t, "bad.yaml"),
                lambda t=text: load_documents(t.decode(), "bad.yaml"),
            ):
                with pytest.raises((YamlError, UnicodeDecodeError)) as e:
                    read()
                errors.append((type(e.value), str(e.value)))
            _reopen(cache)
        assert len(set(errors)) == 1, errors
    assert doccache._cache is not None and doccache._cache.hits == 0


def test_another_files_bytes_are_another_file(cache):
    """The key is the content: a file whose bytes changed (the repo holds another version at the same path) is parsed
    for what it holds now, never answered with what the old bytes held."""
    old, new = b"kind: A\nmetadata: {name: x}\n", b"kind: B\nmetadata: {name: x}\n"
    doccache.documents(old, "p.yaml")
    again = _reopen(cache)
    assert doccache.documents(new, "p.yaml")[0].data["kind"] == "B" and again.misses == 1
    assert doccache.documents(old, "p.yaml")[0].data["kind"] == "A" and again.hits == 1


def test_a_cache_that_cannot_be_used_is_no_cache(tmp_path):
    doccache.close_cache()
    (tmp_path / "file").write_text("not a directory")
    try:
        broken = doccache.open_cache(tmp_path / "file" / "cache")
        assert _same(doccache.documents(MULTI, "f.yaml"), load_documents(MULTI.decode(), "f.yaml"))
        doccache.flush()
        assert broken.broken and broken.misses == 1
    finally:
        doccache.close_cache()
    # an entry that is not what this version writes is parsed again (and written again)
    opened = doccache.open_cache(tmp_path / "c2")
    doccache.documents(MULTI, "f.yaml")
    again = _reopen(opened)
    conn = again._connection()
    assert conn is not None
    conn.execute("UPDATE docs SET value = ?", (b"[not json",))
    assert _same(doccache.documents(MULTI, "f.yaml"), load_documents(MULTI.decode(), "f.yaml"))
    assert (again.hits, again.misses) == (0, 1)
    doccache.close_cache()


def test_a_forked_process_keeps_its_own_documents(cache):
    """A forked process never uses its parent's connection nor writes what the parent had left to write; what it
    flushes is there for the next process."""
    mine, theirs = b"kind: Mine\n", b"kind: Theirs\n"
    doccache.documents(mine, "m.yaml")  # pending here
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        code = 1
        with contextlib.suppress(BaseException):
            doccache.documents(theirs, "t.yaml")
            doccache.flush()
            code = 0
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    again = _reopen(cache)
    doccache.documents(theirs, "t.yaml")
    doccache.documents(mine, "m.yaml")  # written before the fork (a connection never crosses one)
    assert (again.hits, again.misses) == (2, 0)


@settings(max_examples=60, deadline=None)
@given(
    docs=st.lists(
        st.recursive(
            st.none()
            | st.booleans()
            | st.integers(-(2**63), 2**64 - 1)
            | st.floats(allow_nan=False)
            | st.text(max_size=20),
            lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
            max_leaves=12,
        ).filter(lambda d: d is not None),
        min_size=1,
        max_size=3,
    )
)
def test_any_dumped_documents_come_back_as_the_loader_reads_them(docs, tmp_path_factory):
    """Whatever the dumper writes (the state repo's files are such texts), parsed or kept, is what the loader reads."""
    doccache.close_cache()
    opened = doccache.open_cache(tmp_path_factory.mktemp("c"))
    try:
        text = dump_all(docs).encode()
        want = load_documents(text.decode(), "d.yaml")
        assert _same(doccache.documents(text, "d.yaml"), want)
        _reopen(opened)
        assert _same(doccache.documents(text, "d.yaml"), want)
    finally:
        doccache.close_cache()


def test_status_with_the_cache_cold_and_warm_prints_what_it_prints_without(lab, tmp_path, monkeypatch):
    """``status`` and ``diagnose --all`` keep the state repo's documents in the cache directory (written and closed
    when the command ends); run again (the documents read from it), under a fault that writes a plain Secret to the repo, they print exactly what they print
    with no cache, and a file changed in the repo since (a new commit) is read for what it holds now."""
    from kratix_lab.cli import main

    monkeypatch.setenv("KRATIX_LAB_CACHE_DIR", str(tmp_path / "cache"))
    path = str(lab.path)

    def run(*args: str, cached: bool = True) -> tuple[int, str]:
        out = io.StringIO()
        with monkeypatch.context() as m:
            if not cached:
                m.setattr(doccache, "open_cache", lambda directory: None)
            with contextlib.redirect_stdout(out):
                code = main(["--lab", path, *args])
        assert doccache._cache is None  # the command wrote what it parsed and closed the cache
        return code, out.getvalue()

    commands = [("status", "-o", "json"), ("status",), ("diagnose", "--all", "-o", "json")]
    for step in ("healthy", "stale image"):
        if step == "stale image":
            lab.faults.inject("pipeline-image-stale")
            lab.reconcile("VClusterArgocdClusterRegistration", "sandbox", "platform-requests")
            lab.run_for(120)
        for command in commands:
            plain = run(*command, cached=False)
            assert run(*command) == plain == run(*command), (step, command)
    rows = json.loads(run("status", "-o", "json")[1])
    assert {r["health"] for r in rows} == {"Degraded"} and "plain Secret" in rows[0]["message"]
    assert list((tmp_path / "cache").glob("yaml-documents-*.sqlite"))


def test_files_read_in_bulk_answer_as_files_read_one_by_one(cache):
    """``preload`` reads what is kept for many files in a few queries: those files are then answered (kept or not)
    without a look-up of their own, as they would have been by one."""
    kept, new = MULTI, b"kind: New\n"
    doccache.documents(kept, "k.yaml")
    again = _reopen(cache)
    doccache.preload([kept, new, kept])
    conn = again._connection()
    assert conn is not None
    asked: list[str] = []
    conn.set_trace_callback(asked.append)
    assert _same(doccache.documents(kept, "k.yaml"), load_documents(kept.decode(), "k.yaml"))
    assert _same(doccache.documents(new, "n.yaml"), load_documents(new.decode(), "n.yaml"))
    assert not [q for q in asked if q.startswith("SELECT")] and (again.hits, again.misses) == (1, 1)
    conn.set_trace_callback(None)
    third = _reopen(again)
    doccache.documents(new, "n.yaml")  # kept by the process that parsed it
    assert (third.hits, third.misses) == (1, 0)


def test_the_oldest_entries_go_first_past_the_limit(cache, monkeypatch):
    monkeypatch.setattr(doccache, "KEPT", 3)
    texts = [f"kind: K{i}\n".encode() for i in range(5)]
    for text in texts:
        doccache.documents(text, "k.yaml")
        doccache.flush()  # one after another: each entry newer than the last
    again = _reopen(cache)
    for text in reversed(texts):  # newest first: the two oldest were dropped
        doccache.documents(text, "k.yaml")
    assert (again.hits, again.misses) == (3, 2)


# ---- other values kept: the lab's Argo CD's rendered charts (kratix_lab.platform.helm.render)


def _source(name: str = "vc001", **values) -> object:
    from kratix_lab.platform.helm import HelmSource

    return HelmSource(
        "https://charts.loft.sh", "vcluster", "0.30.4", name, name, {"controlPlane": {"distro": {"k8s": {}}}, **values}
    )


@pytest.fixture
def renders(counted_renders, monkeypatch):
    """Renders made (release names: ``counted_renders``), with the process's own caches empty."""
    from kratix_lab.platform.helm import render

    monkeypatch.setattr(render, "_renders", type(render._renders)())
    monkeypatch.setattr(render, "_renders_in_use", type(render._renders_in_use)())
    return counted_renders


def _forget_in_process() -> None:
    from kratix_lab.platform.helm import render

    render._renders.clear()
    render._renders_in_use.clear()


def test_a_render_kept_on_disk_is_the_next_processes_not_rendered_again(cache, renders):
    """With a document cache open (the dashboard's workers, ``status``), a rendered chart is kept in its file, not
    in the process (issue 15's memory: ~15 MB of the clock at 1,000 vClusters), and the next process takes it from
    there — equal to a render made now, objects, values and notes."""
    from kratix_lab.platform.helm import render

    first = render.render_chart(_source(), shared=True)
    assert renders == ["vc001"] and render._renders == {}, "kept on disk, not in the process"
    _reopen(cache)
    _forget_in_process()
    again = render.render_chart(_source(), shared=True)
    assert renders == ["vc001"], "read, not rendered"
    fresh = render.render_chart(_source())  # (not shared: always rendered)
    for r in (first, again):
        assert (r.objects, r.values, r.notes, r.modelled, r.source) == (
            fresh.objects,
            fresh.values,
            fresh.notes,
            fresh.modelled,
            fresh.source,
        )
    assert render.render_chart(_source("vc002"), shared=True).source.release_name == "vc002"
    assert renders == ["vc001", "vc001", "vc002"], "another release is another render"


def test_a_render_made_by_other_code_or_from_other_files_is_not_read(cache, renders, monkeypatch, tmp_path):
    from kratix_lab.platform.helm import reference, render

    render.render_chart(_source(), shared=True)
    _reopen(cache)
    _forget_in_process()
    monkeypatch.setattr(render, "code_digest", lambda: "other code")
    render.render_chart(_source(), shared=True)
    assert renders == ["vc001", "vc001"], "kratix-lab changed: rendered again"
    _forget_in_process()
    schema = reference.find_schema_file()
    if schema is not None:  # the chart's schema beside the seed: a copy with other content, its mtime kept
        copy = tmp_path / "values.schema.json"
        copy.write_text(schema.read_text())
        render.render_chart(_source(), copy, shared=True)
        _forget_in_process()
        render.render_chart(_source(), copy, shared=True)
        assert renders[2:] == ["vc001"], "another file (its name is in the notes), then its render kept"
        stat = copy.stat()
        copy.write_text(schema.read_text().replace('"description"', '"title"', 1))
        os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        render._content.cache_clear()
        _forget_in_process()
        render.render_chart(_source(), copy, shared=True)
        assert renders[2:] == ["vc001", "vc001"], "another content, the same time: rendered again"


def test_a_damaged_render_on_disk_is_rendered_again_and_one_json_would_change_is_not_kept(cache, renders):
    from kratix_lab.platform.helm import ChartRender, render

    render.render_chart(_source(), shared=True)
    key = next(iter(cache._pending_values))
    cache._pending_values[key] = b"not zlib"
    _forget_in_process()
    render.render_chart(_source(), shared=True)
    assert renders == ["vc001", "vc001"]
    odd = ("odd",) * 8
    render._keep(odd, ChartRender(objects=[{"ports": (80, 443)}], values={}, notes=[]))  # a tuple: JSON gives a list
    assert cache.value(render._disk_key(odd)) is None


def test_values_are_written_with_the_documents_and_the_oldest_go_first(cache, monkeypatch):
    monkeypatch.setattr(doccache, "KEPT_VALUES", 3)
    for n in range(5):
        cache.keep(b"k%d" % n, b"v%d" % n)
    assert cache.value(b"k0") == b"v0", "pending: this process reads it before it is written"
    reopened = _reopen(cache)
    assert [reopened.value(b"k%d" % n) for n in range(5)] == [None, None, b"v2", b"v3", b"v4"]
    doccache.close_cache()
    assert doccache.value(b"k4") is None and not doccache.is_open(), "no cache: nothing kept"
    doccache.keep(b"k5", b"v5")  # (nothing happens)


def test_two_threads_share_one_cache_without_breaking_it(cache, monkeypatch):
    """The dashboard's reader and clock share a process (``tui.lab_workers.WorkerHost``), each on a thread, and one
    cache: a flush's transaction is never another thread's to end, and nothing either kept is lost."""
    import threading

    monkeypatch.setattr(doccache, "PENDING", 2)
    monkeypatch.setattr(doccache, "PENDING_VALUES", 2)
    errors: list[BaseException] = []

    def work(who: str) -> None:
        try:
            for n in range(150):
                cache.documents(f"who: {who}\nn: {n}\n".encode(), f"{who}-{n}.yaml")
                cache.keep(f"{who}{n}".encode(), b"v")
                assert cache.value(f"{who}{n}".encode()) == b"v"
        except BaseException as e:  # pragma: no cover - what the test reports
            errors.append(e)

    threads = [threading.Thread(target=work, args=(who,)) for who in ("reader", "clock")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and not cache.broken
    reopened = _reopen(cache)
    assert all(reopened.value(f"{who}{n}".encode()) == b"v" for who in ("reader", "clock") for n in range(150))
    assert reopened.documents(b"who: clock\nn: 7\n", "x.yaml")[0].data == {"who": "clock", "n": 7}
    assert reopened.hits == 1


def test_status_run_as_a_command_prints_everything_and_keeps_its_documents(lab, tmp_path):
    """``kratix-lab status`` and ``diagnose --all`` end their process at once when done (``cli._end_now``: no
    finalization of what they read): what they print piped is whole, their exit code is theirs, and the documents
    the first run parsed are in the cache for the next; the next prints the same; the exit handlers ran."""
    import sqlite3
    import subprocess
    import sys

    env = dict(os.environ, KRATIX_LAB_CACHE_DIR=str(tmp_path / "cache"))
    for command in (["status", "-o", "json"], ["diagnose", "--all", "-o", "json"]):
        cmd = [sys.executable, "-m", "kratix_lab.cli", "--lab", str(lab.path), *command]
        first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout)  # whole: it parses
        (kept,) = list((tmp_path / "cache").glob("yaml-documents-*.sqlite"))
        with contextlib.closing(sqlite3.connect(kept)) as conn:
            assert conn.execute("SELECT count(*) FROM docs").fetchone()[0] > 0
        again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert (again.returncode, again.stdout) == (first.returncode, first.stdout)
    lab.faults.inject("pipeline-image-stale")
    lab.reconcile("VClusterArgocdClusterRegistration", "sandbox", "platform-requests")
    lab.run_for(120)
    handlers = "import atexit, sys; atexit.register(lambda: print('handlers ran', file=sys.stderr)); "
    cmd = [sys.executable, "-c", handlers + "from kratix_lab.cli import main; sys.exit(main())", "--lab", str(lab.path)]
    degraded = subprocess.run([*cmd, "status"], env=env, capture_output=True, text=True, timeout=300)
    assert degraded.returncode == 1 and degraded.stdout.rstrip().endswith("Degraded")
    assert degraded.stderr == "handlers ran\n"
