"""The store's index of every object's resourceVersion (``Store._rv_index``: what a read-only list and ``versions``
answer from) follows another connection's writes — read incrementally, by resourceVersion, and all again only
after a removal (issue 15: the dashboard's fleet process reads while its writer writes; reading a thousand
vClusters' index again after every step cost it most of a refresh)."""

from __future__ import annotations

from kratix_lab.platform.store import Store


def cm(name: str, value: str = "1") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default"},
        "data": {"v": value},
    }


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
    assert names(reader) == [("a", "2")]  # a removal: the count tells, the index is read again
    writer.delete("ConfigMap", "a", "default")
    writer.create(cm("c"))  # one out, one in: the count alone would not tell
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


def test_only_a_removal_reads_the_whole_index_again(tmp_path):
    path = tmp_path / "store.sqlite"
    writer, reader = Store(path), Store(path)
    writer.create(cm("a"))
    index = reader._rv_index()
    writer.create(cm("b"))
    assert reader._rv_index() is index and ("", "default", "b") in index["ConfigMap"]  # the writes since, added
    writer.delete("ConfigMap", "a", "default")
    again = reader._rv_index()
    assert again is not index and set(again["ConfigMap"]) == {("", "default", "b")}
