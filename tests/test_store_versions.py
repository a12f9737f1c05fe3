"""The store's index of objects' resourceVersions (``Store._rv_index``: what a read-only list and ``versions``
answer from) follows another connection's writes — read incrementally, by resourceVersion, and all again only
after a removal (issue 15: the dashboard's fleet process reads while its writer writes; reading a thousand
vClusters' index again after every step cost it most of a refresh). It holds a kind once the kind is asked about:
a process reading a few kinds never reads 85,000 objects' versions (the dashboard's first row at 1,000 vClusters)."""

from __future__ import annotations

from kratix_lab.platform.store import Store


def obj(kind: str, name: str, value: str = "1") -> dict:
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": "default"}, "data": {"v": value}}


def cm(name: str, value: str = "1") -> dict:
    return obj("ConfigMap", name, value)


def names(store: Store) -> list[tuple[str, str]]:
    return [(o["metadata"]["name"], o["data"]["v"]) for o in store.list("ConfigMap", readonly=True)]


def test_another_connections_creates_updates_and_removals_are_seen(tmp_path):
    path = tmp_path / "store.sqlite"
    writer, reader = Store(path), Store(path)
    writer.create(cm("a"))
    assert names(reader) == [("a", "1")]
    writer.create(cm("b"))
    a = writer.get("ConfigMap", "a", "default")
    a["data"]["v"] = "2"
    writer.update(a)
    assert names(reader) == [("a", "2"), ("b", "1")]  # read from the writes since the last version seen
    writer.delete("ConfigMap", "b", "default")
    assert names(reader) == [("a", "2")]  # a removal: from the removal log
    writer.delete("ConfigMap", "a", "default")
    writer.create(cm("c"))  # one out, one in: a count alone would not tell
    assert names(reader) == [("c", "1")]
    writer.create(cm("a", "3"))  # back, with a new resourceVersion
    assert names(reader) == [("a", "3"), ("c", "1")]
    assert [(n, rv) for _, n, rv in reader.versions("ConfigMap")] == [
        (n, rv) for _, n, rv in writer.versions("ConfigMap")
    ]


def test_the_readers_own_writes_and_the_others_interleave(tmp_path):
    path = tmp_path / "store.sqlite"
    one, two = Store(path), Store(path)
    one.create(cm("a"))
    assert names(two) == [("a", "1")]
    two.create(cm("b"))
    one.create(cm("c"))
    assert names(one) == names(two) == [("a", "1"), ("b", "1"), ("c", "1")]
    two.delete("ConfigMap", "a", "default")
    one.create(cm("d"))
    assert names(one) == names(two) == [("b", "1"), ("c", "1"), ("d", "1")]


def test_writes_and_removals_are_read_from_the_log_not_the_whole_index(tmp_path):
    path = tmp_path / "store.sqlite"
    writer, reader = Store(path), Store(path)
    writer.create(cm("a"))
    index = reader._rv_index()
    writer.create(cm("b"))
    assert reader._rv_index() is index and ("", "default", "b") in index["ConfigMap"]  # the writes since, added
    writer.delete("ConfigMap", "a", "default")
    assert reader._rv_index() is index and set(index["ConfigMap"]) == {("", "default", "b")}  # the removal log
    assert writer.removed_since(0) == (1, [("", "ConfigMap", "default", "a")])


def test_a_write_here_after_another_connections_write_loses_neither(tmp_path):
    """The index is brought up to date when a transaction begins: this connection's write (a higher
    resourceVersion) never hides the other's, committed before it."""
    path = tmp_path / "store.sqlite"
    one, two = Store(path), Store(path)
    one.create(cm("a"))
    assert names(two) == [("a", "1")]
    one.create(cm("b"))  # two has not looked since
    two.create(cm("c"))
    assert names(two) == [("a", "1"), ("b", "1"), ("c", "1")]
    one.delete("ConfigMap", "a", "default")
    two.delete("ConfigMap", "c", "default")
    two.create(cm("a", "2"))
    assert names(two) == names(one) == [("a", "2"), ("b", "1")]


def test_a_lab_without_the_removal_log_and_a_reader_too_far_behind_read_everything_again(tmp_path, monkeypatch):
    import sqlite3

    from kratix_lab.platform import store as store_mod

    path = tmp_path / "store.sqlite"
    writer = Store(path)
    writer.create(cm("a"))
    writer.create(cm("b"))
    reader = Store(path, read_only=True)
    assert names(reader) == [("a", "1"), ("b", "1")]
    writer.delete("ConfigMap", "a", "default")
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE removed")  # as a lab written before the log
    conn.commit()
    conn.close()
    writer.create(cm("c"))
    assert reader.removed_since(0) is None
    assert names(reader) == [("b", "1"), ("c", "1")]
    # a log that no longer reaches back to where a reader stands
    monkeypatch.setattr(store_mod, "REMOVED_KEPT", 1)
    fresh = Store(tmp_path / "other.sqlite")
    late = Store(tmp_path / "other.sqlite")
    for i in range(4):
        fresh.create(cm(f"x{i}"))
    assert len(names(late)) == 4
    fresh._conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('removed', 9999)")
    for i in range(3):  # the 10,000th removal prunes all but the last
        fresh.delete("ConfigMap", f"x{i}", "default")
    assert late.removed_since(0) is None
    assert names(late) == [("x3", "1")]


def test_the_lab_feed_reports_removals_from_the_log_and_without_it(tmp_path):
    import sqlite3

    from kratix_lab.fleet.feeds import LabFeed
    from kratix_lab.platform.lab import Lab

    with Lab(tmp_path / "lab") as lab:
        lab.store.create(cm("a"))
        feed = LabFeed(lab)
        assert feed.index is None  # nothing to index: the log says what is removed
        lab.store.delete("ConfigMap", "a", "default")
        lab.store.create(cm("b"))
        assert {("ConfigMap", "default", "a"), ("ConfigMap", "default", "b")} <= feed.poll().objects
        conn = sqlite3.connect(tmp_path / "lab" / "store.sqlite")
        conn.execute("DROP TABLE removed")
        conn.commit()
        old = LabFeed(lab)
        assert old.index is not None
        conn.execute("DELETE FROM objects WHERE name = 'b'")  # a removal by an older kratix-lab's writer
        conn.commit()
        conn.close()
        assert ("ConfigMap", "default", "b") in old.poll().objects


def secret(name: str, value: str = "1") -> dict:
    return obj("Secret", name, value)


def test_the_index_holds_a_kind_once_asked_and_follows_the_others_that_it_holds(tmp_path):
    path = tmp_path / "store.sqlite"
    writer, reader = Store(path), Store(path)
    writer.create(cm("a"))
    writer.create(secret("s"))
    assert names(reader) == [("a", "1")]
    assert set(reader._rvs or {}) == {"ConfigMap"}  # the Secrets' versions were not read
    writer.create(secret("t"))  # written while the reader does not hold Secrets
    writer.create(cm("b"))
    writer.delete("Secret", "s", "default")
    assert names(reader) == [("a", "1"), ("b", "1")]
    assert "Secret" not in (reader._rvs or {})
    # asked later: read whole, as of now, and followed from then on
    assert [n for _, n, _ in reader.versions("Secret")] == ["t"]
    writer.create(secret("u"))
    writer.delete("ConfigMap", "a", "default")
    assert [n for _, n, _ in reader.versions("Secret")] == ["t", "u"]
    assert names(reader) == [("b", "1")]
    assert reader.rv("", "Secret", "default", "u") == writer.rv("", "Secret", "default", "u")
    # every kind (the watch hub, an old lab's feed): the same versions as the writer's
    assert reader._rv_index() == writer._rv_index()


def test_reads_of_one_object_before_and_after_its_kind_is_indexed_give_the_current_object(tmp_path, monkeypatch):
    from kratix_lab.platform import store as store_mod

    monkeypatch.setattr(store_mod, "KIND_INDEXED_AFTER", 3)
    path = tmp_path / "store.sqlite"
    writer, reader = Store(path), Store(path)
    writer.create(cm("a"))
    seen = []
    for i in range(6):  # three reads by query, then through the index
        obj = writer.get("ConfigMap", "a", "default")
        obj["data"]["v"] = str(i)
        writer.update(obj)
        got = reader.get("ConfigMap", "a", "default", "", readonly=True)
        seen.append((got["data"]["v"], "ConfigMap" in (reader._rvs or {})))
    assert seen == [("0", False), ("1", False), ("2", False), ("3", True), ("4", True), ("5", True)]
    writer.delete("ConfigMap", "a", "default")
    assert reader.get("ConfigMap", "a", "default", "", readonly=True) is None
    assert reader.get("ConfigMap", "missing", "default", "", readonly=True) is None


def test_a_kind_listed_whole_is_read_in_one_query_and_equals_a_fresh_read(tmp_path, monkeypatch):
    from kratix_lab.platform import store as store_mod

    path = tmp_path / "store.sqlite"
    writer, reader = Store(path), Store(path)
    for i in range(40):
        writer.create(cm(f"c{i:02}", str(i)))
        writer.create(secret(f"s{i:02}"))
    queries: list[str] = []
    reader._conn.set_trace_callback(queries.append)
    listed = reader.list("ConfigMap", readonly=True)
    reader._conn.set_trace_callback(None)
    assert listed == writer.list("ConfigMap")
    assert sum("body" in q for q in queries) == 1  # the bodies in one query, not forty
    # some changed since: those read again, the rest shared with the cache
    for i in (3, 17):
        obj = writer.get("ConfigMap", f"c{i:02}", "default")
        obj["data"]["v"] = "new"
        writer.update(obj)
    again = reader.list("ConfigMap", readonly=True)
    assert again == writer.list("ConfigMap")
    assert sum(a is b for a, b in zip(listed, again, strict=True)) == 38
    monkeypatch.setattr(store_mod, "BULK_READ_FROM", 0)
    assert reader.list("ConfigMap", "default", readonly=True) == writer.list("ConfigMap", "default")
    assert reader.list("Secret", "elsewhere", readonly=True) == []


def test_a_read_not_kept_gives_the_current_object_and_leaves_the_cache_as_it_was(tmp_path, monkeypatch):
    """``get(readonly=True, keep=False)``: a read its caller will not repeat (Argo CD's comparison of a live object,
    remembered by resourceVersion) — the cache's copy when it holds this version, else parsed for the caller alone,
    before and after the kind is read through the index (issue 15: the dashboard's clock kept every object Argo CD
    compared once for the rest of its life)."""
    monkeypatch.setattr("kratix_lab.platform.store.KIND_INDEXED_AFTER", 2)
    path = tmp_path / "store.sqlite"
    writer, reader = Store(path), Store(path)
    for i in range(4):
        writer.create(cm(f"c{i}"))
    for i in range(4):  # the first two by a query each, the others through the index
        got = reader.get("ConfigMap", f"c{i}", "default", "", readonly=True, keep=False)
        assert got == writer.get("ConfigMap", f"c{i}", "default")
        assert reader._parsed == {}
    assert reader.get("ConfigMap", "missing", "default", "", readonly=True, keep=False) is None
    kept = reader.get("ConfigMap", "c1", "default", "", readonly=True)
    assert reader.get("ConfigMap", "c1", "default", "", readonly=True, keep=False) is kept  # the cache's copy
    changed = writer.get("ConfigMap", "c1", "default")
    changed["data"]["v"] = "2"
    writer.update(changed)
    fresh = reader.get("ConfigMap", "c1", "default", "", readonly=True, keep=False)
    assert fresh is not kept and fresh["data"]["v"] == "2"  # the cached version is not the current one
    assert reader._parsed[("", "ConfigMap", "default", "c1")][1] is kept  # and the cache is not changed by it
    assert reader.get("ConfigMap", "c1", "default", "", readonly=True)["data"]["v"] == "2"


def test_a_store_that_keeps_big_bodies_only_parses_a_small_one_at_each_read(tmp_path):
    """``keep_big_only(size)``: a body under ``size`` bytes of JSON is parsed for its reader and not kept (read again,
    parsed again: equal, another object), one of that size or more is kept (the dashboard's fleet worker: issue 15,
    a thousand vClusters' requests read for the fleet's members and each again only by its row)."""
    path = tmp_path / "store.sqlite"
    writer = Store(path)
    writer.create(cm("small"))
    writer.create(cm("big", "x" * 2000))
    reader = Store(path, read_only=True)
    reader.keep_big_only(1000)
    for name in ("small", "big"):
        first = reader.get("ConfigMap", name, "default", "", readonly=True)
        again = reader.get("ConfigMap", name, "default", "", readonly=True)
        assert first == again == writer.get("ConfigMap", name, "default")
        assert (first is again) == (name == "big"), name
    listed = {o["metadata"]["name"]: o for o in reader.list("ConfigMap", readonly=True)}
    assert listed["big"] is reader.get("ConfigMap", "big", "default", "", readonly=True)
    assert listed["small"] is not reader.get("ConfigMap", "small", "default", "", readonly=True)
    assert {key[3] for key in reader._parsed} == {"big"}
