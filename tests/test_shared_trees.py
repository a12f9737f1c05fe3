"""Equal parts of kept objects held once (``kratix_lab.model.objects.SharedTrees``, issue 15: the dashboard's clock
holds a whole lab parsed — 585 MB at 300 vClusters before, ~260 MB after), the store's ``keep_compact`` and a lab
snapshot's ``forget_parsed`` (the forked processes of the dashboard's first paint hold the rows at hand only)."""

from __future__ import annotations

import json
import sys
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kratix_lab.model import objects
from kratix_lab.model.objects import SharedTrees, keep_parts_once, kept
from kratix_lab.platform.store import Store
from kratix_lab.sources.lab import LabSource
from tests.helpers import SAMPLES


def strict(a, b) -> bool:
    """Equal as JSON and of the same types all the way down (``1`` is not ``True`` nor ``1.0``), keys in order."""
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return list(a) == list(b) and all(strict(a[k], b[k]) for k in a)
    if type(a) is list:
        return len(a) == len(b) and all(strict(x, y) for x, y in zip(a, b, strict=True))
    return a == b or (a != a and b != b)  # NaN


def pod(name: str, node: str = "node-1") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "vc", "labels": {"app": "vcluster", "release": "vc"}},
        "spec": {
            "nodeName": node,
            "containers": [{"name": "syncer", "image": "loft/vcluster:0.30.0", "ports": [{"containerPort": 8443}]}],
        },
    }


def test_equal_parts_are_one_object_and_each_result_equals_its_input():
    trees = SharedTrees()
    a, b = trees.share(pod("a")), trees.share(pod("b", node="node-2"))
    assert strict(a, pod("a")) and strict(b, pod("b", node="node-2"))
    assert a["spec"]["containers"] is b["spec"]["containers"]  # the same containers: kept once
    assert a["metadata"]["labels"] is b["metadata"]["labels"]
    assert a["spec"] is not b["spec"]  # nodeName differs
    assert a["metadata"]["name"] == "a" and b["metadata"]["name"] == "b"


def test_the_input_is_neither_changed_nor_kept():
    trees = SharedTrees()
    given_ = pod("a")
    out = trees.share(given_)
    assert out is not given_ and out["spec"] is not given_["spec"]  # the caller may change its own copy later
    given_["spec"]["containers"][0]["image"] = "changed"
    assert out["spec"]["containers"][0]["image"] == "loft/vcluster:0.30.0"
    assert trees.share(pod("b"))["spec"]["containers"][0]["image"] == "loft/vcluster:0.30.0"


@pytest.mark.parametrize(
    "values",
    [
        [{"v": True}, {"v": 1}, {"v": 1.0}],
        [[True], [1], [1.0]],
        [{"v": False}, {"v": 0}, {"v": 0.0}, {"v": None}],
        [{"a": 1, "b": 2}, {"b": 2, "a": 1}],  # key order is kept (a dump of either gives its own text)
        [{"v": 10**30}, {"v": float(10**30)}],
    ],
)
def test_values_equal_in_python_but_not_in_json_are_never_merged(values):
    trees = SharedTrees()
    for _ in range(2):  # in either order of first sight
        shared = [trees.share(v) for v in values]
        for v, s in zip(values, shared, strict=True):
            assert strict(s, v), (s, v)
            assert json.dumps(s) == json.dumps(v)
        values = values[::-1]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(JSON, min_size=1, max_size=6))
def test_sharing_any_json_gives_it_back_exactly(values):
    trees = SharedTrees(limit=8)  # small: sweeps happen between and within the values
    shared = [trees.share(v) for v in values]
    for v, s in zip(values, shared, strict=True):
        assert strict(s, v)
        assert json.dumps(s) == json.dumps(v)


def test_the_table_forgets_what_only_it_holds_and_stays_within_twice_what_is_alive():
    trees = SharedTrees(limit=1000)
    alive = [trees.share(pod(f"p{i}")) for i in range(50)]
    for i in range(5000):  # churn: pods that come and go, each with parts of its own
        trees.share(pod(f"gone-{i}", node=f"node-{i}"))
        assert len(trees) <= max(1000, 2 * 50 * 8) + 10
    again = trees.share(pod("p7"))
    assert again["spec"]["containers"] is alive[0]["spec"]["containers"]  # what is alive is still shared


def test_a_stored_objects_root_and_metadata_are_its_own_and_not_in_the_table():
    """``share_object``: a stored object's root and metadata (its uid and resourceVersion: equal to no other
    object's) are built of shared parts but take no entry in the table; the rest is shared as ``share`` shares it."""
    trees = SharedTrees()
    a, b = trees.share_object(pod("a")), trees.share_object(pod("b"))
    assert strict(a, pod("a")) and strict(b, pod("b"))
    assert a["spec"] is b["spec"] and a["metadata"]["labels"] is b["metadata"]["labels"]
    tabled = {id(v) for v in trees._parts}
    assert id(a) not in tabled and id(a["metadata"]) not in tabled and id(a["spec"]) in tabled
    assert trees.share_object(pod("a")) is not a  # never one object for two reads
    for odd in ([1, {"x": 1}], "text", {"metadata": "not a map", "k": [1]}):
        assert strict(trees.share_object(odd), odd)


@settings(max_examples=200, deadline=None)
@given(st.lists(JSON, min_size=1, max_size=6))
def test_sharing_any_json_as_an_object_gives_it_back_exactly(values):
    trees = SharedTrees(limit=8)
    shared = [trees.share_object({"metadata": v, "spec": v}) for v in values]
    for v, s in zip(values, shared, strict=True):
        assert strict(s, {"metadata": v, "spec": v})


def test_every_part_is_found_again_after_the_table_has_grown_and_been_swept():
    """The table's own index (open addressing, built again as it grows and after a sweep) finds every part it
    holds, whatever the order parts came in; none is entered twice."""
    trees = SharedTrees(limit=3000)
    first = [trees.share({"n": f"n{i}", "l": [True, str(i)]}) for i in range(2000)]
    assert len(trees) == 4000
    for _ in range(3):  # parts that go at once: sweeps, the index built again each time
        for i in range(2000):
            trees.share({"gone": str(i)})
    again = [trees.share({"n": f"n{i}", "l": [True, str(i)]}) for i in reversed(range(2000))][::-1]
    assert all(a is b for a, b in zip(first, again, strict=True))
    assert len(trees) <= trees.limit + 1
    assert len({id(p) for p in trees._parts}) == len(trees)


def test_kept_is_the_object_itself_until_a_process_keeps_parts_once(monkeypatch):
    monkeypatch.setattr(objects, "_kept_trees", None)
    p = pod("a")
    assert kept(p) is p
    keep_parts_once()
    assert kept(pod("b"))["spec"]["containers"] is kept(pod("c"))["spec"]["containers"]


def test_a_compact_store_reads_writes_and_lists_the_same_objects(tmp_path, monkeypatch):
    monkeypatch.setattr(objects, "_kept_trees", None)
    path = tmp_path / "store.sqlite"
    plain, compact = Store(path), Store(path)
    plain.create(pod("a"))
    before = compact.list("Pod", readonly=True)
    handed_out = json.dumps(before)
    compact.keep_compact()
    compact.create(pod("b"), readonly=True)
    c = compact.get("Pod", "c", "vc")
    assert c is None
    plain.create(pod("c", node="node-2"))
    mine = compact.get("Pod", "a", "vc")  # a read without readonly: the caller's own copy, changeable
    mine["spec"]["nodeName"] = "elsewhere"
    got = compact.list("Pod", readonly=True)
    assert [strict(x, y) for x, y in zip(got, plain.list("Pod"), strict=True)] == [True] * 3
    assert got[0]["spec"]["containers"] is got[1]["spec"]["containers"] is got[2]["spec"]["containers"]
    assert json.dumps(before) == handed_out  # what was handed out before is unchanged
    b = compact.get("Pod", "b", "vc")
    b["metadata"]["labels"]["app"] = "other"
    compact.update(b)  # an update through the compact store: the shared labels of the others are untouched
    assert [o["metadata"]["labels"]["app"] for o in compact.list("Pod", readonly=True)] == [
        "vcluster",
        "other",
        "vcluster",
    ]
    assert [o["metadata"]["labels"]["app"] for o in plain.list("Pod")] == ["vcluster", "other", "vcluster"]


def test_a_snapshot_forgets_the_bodies_parsed_and_reads_them_again_when_asked(lab):
    lab.submit(SAMPLES / "media.yaml")
    lab.settle()
    source = LabSource(lab)
    s = source.snapshot()
    s.forget_parsed()  # start counting
    keys = [(o.name, o.namespace or None) for o in s._kind("Pod").rows]
    pods = [s.get("Pod", name, ns) for name, ns in keys]
    assert pods and all(o.value is not None for o in s._kind("Pod").rows)
    s.forget_parsed()
    assert all(o.value is None and o.body is None for o in s._kind("Pod").rows)
    assert [s.get("Pod", name, ns) for name, ns in keys] == pods  # read again from the store: the same objects
    s.forget_parsed()
    assert all(o.value is not None for o in s._kind("Pod").rows)  # read again once: kept from then on
    assert s.list("Pod") == pods
    first = s._kind("Job").rows[0]
    s.get("Job", first.name, first.namespace or None)
    s.forget_parsed()
    lab.store.delete("Job", first.name, first.namespace or None)
    with pytest.raises(LookupError, match="deleted since the snapshot read it"):
        s.get("Job", first.name, first.namespace or None)


def test_a_forgetting_snapshot_reads_kinds_without_their_texts_and_answers_as_one_that_keeps_them(lab):
    lab.submit(SAMPLES / "media.yaml")
    lab.settle()
    source = LabSource(lab)
    keeping, forgetting = source.snapshot(), source.snapshot()
    forgetting.forget_parsed()
    selectors = [("Job", {"kratix.io/promise-name": "vcluster-core"}), ("Pod", {"app": "vcluster"}), ("Pod", {})]
    for kind, labels in selectors:
        assert keeping.list(kind, labels=labels or None)  # something to compare
        assert forgetting.list(kind, labels=labels or None) == keeping.list(kind, labels=labels or None)
        assert all(o.body is None for o in forgetting._kind(kind).rows)  # no text kept: each body read when asked
    for o in keeping._kind("Service").rows:
        assert forgetting.get("Service", o.name, o.namespace or None) == keeping.get(
            "Service", o.name, o.namespace or None
        )


def test_threads_sharing_at_once_enter_each_part_once_and_find_it_again():
    """A live watch cache shares from one thread per kind (``live.cache.Informer._keep``): the table's probe, its
    entering and its sweep are many steps each, so one thread at a time (the table's lock). Four threads share the
    same new parts at once, thread switches forced as often as the interpreter allows, sweeps during the run."""
    trees = SharedTrees(limit=2000)
    objs = [
        {
            "metadata": {"name": f"o{i}"},
            "spec": {"items": [{"n": f"{i}-{j}"} for j in range(8)], "node": {"name": f"node-{i % 100}"}},
        }
        for i in range(4000)
    ]
    results: dict[int, list] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def run(n: int) -> None:
        try:
            start.wait()
            results[n] = [trees.share_object(o) for o in objs]
        except BaseException as e:  # reported below
            errors.append(e)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert not errors, errors
    texts = [json.dumps(p) for p in trees._parts]
    assert len(set(texts)) == len(texts), f"{len(texts) - len(set(texts))} parts entered twice"
    for shared in results.values():
        assert all(strict(a, b) for a, b in zip(shared, objs, strict=True))
    # equal parts are one object whichever thread shared them, and found again
    first = results[0]
    for shared in results.values():
        assert all(a["spec"] is b["spec"] for a, b in zip(shared, first, strict=True))
    assert all(trees.share_object(o)["spec"] is a["spec"] for o, a in zip(objs, first, strict=True))


def test_a_cache_by_digest_keeps_results_under_digests_not_the_texts():
    calls: list[str] = []

    @objects.cached_by_digest(maxsize=2)
    def length(text: str) -> int:
        calls.append(text)
        return len(text)

    big = "x" * 100_000
    assert length(big) == 100_000 and length("x" * 100_000) == 100_000 and len(calls) == 1
    kept = next(c.cell_contents for c in length.__closure__ if isinstance(c.cell_contents, dict))
    assert list(kept.values()) == [100_000]
    assert all(type(k) is bytes and len(k) == 16 for k in kept), "a digest, not the text"
    assert length("a") == 1 and length("b") == 1  # the oldest (the big text's) goes
    assert len(kept) == 2 and length(big) == 100_000 and len(calls) == 4
    length.cache_clear()
    assert not kept
