"""What the fleet's rows keep, kept once (issue 15's memory budget, ``kratix_lab.fleet.index._Canon`` and
``_Index``): equal keys, queries and facts are one object, what no row keeps any more is forgotten, and an object
read by one row is indexed as that row (no one-row set) — with the rows a change reaches unchanged."""

from __future__ import annotations

import gc
import sys

from kratix_lab.fleet.deps import Deps, Query, SharedList
from kratix_lab.fleet.index import _Canon, _Index, _rows_of
from kratix_lab.fleet.rows import FleetRows
from kratix_lab.fleet.track import Facts
from kratix_lab.sources.lab import LabSource
from tests.helpers import SAMPLES


def _copy(s: str) -> str:
    return "".join(list(s))  # an equal string that is not the same object (as an unpickled one)


def _deps(ns: str, name: str) -> Deps:
    d = Deps()
    d.objects[("Pod", _copy(ns), _copy(name + "-0"))] = _copy("12")
    d.queries.append(Query("Job", None, _copy("platform-requests"), ((_copy("kratix.io/resource-name"), name),)))
    facts = Facts()
    facts.add(("status", _copy("sync"), "status"), "get", None, _copy("Synced"))
    facts.settle("")
    d.shared[("Application", "argocd", _copy("kratix-state-reconciler"))] = facts
    record = SharedList(Query("Application", "argoproj.io", _copy("argocd"), ()))
    record.taken[0] = ("Application", "argocd", _copy("kratix-state-reconciler"))
    d.shared_lists.append(record)
    d.logs.add((_copy(ns), _copy(name + "-0")))
    return d


def test_equal_keys_queries_and_facts_of_two_rows_are_one_object():
    canon = _Canon()
    a, b = _deps("vcluster-a", "a"), _deps("vcluster-b", "b")
    before = [(dict(a.objects), list(a.queries), a.shared_lists[0].taken.copy()), (dict(b.objects), list(b.queries))]
    canon.deps(a)
    canon.deps(b)
    assert (dict(a.objects), list(a.queries), a.shared_lists[0].taken) == before[0]
    assert (dict(b.objects), list(b.queries)) == before[1]
    (ka,) = a.shared
    (kb,) = b.shared
    assert ka is kb  # the state reconciler's key
    assert a.shared[ka].seen is b.shared[kb].seen  # the same facts: one dict
    assert a.shared_lists[0].query is b.shared_lists[0].query
    assert a.shared_lists[0].taken[0] is ka
    assert next(iter(a.objects))[1] is sys.intern("vcluster-a")  # strings interned
    assert a.queries[0].labels[0][0] is b.queries[0].labels[0][0]


def test_facts_that_differ_are_kept_apart():
    canon = _Canon()
    a, b = _deps("vcluster-a", "a"), _deps("vcluster-b", "b")
    (fb,) = b.shared.values()
    fb.seen = {k: "OutOfSync" for k in fb.seen}
    canon.deps(a)
    canon.deps(b)
    (fa,) = a.shared.values()
    assert fa.seen is not fb.seen
    assert set(fa.seen.values()) == {"Synced"} and set(fb.seen.values()) == {"OutOfSync"}


def test_a_sweep_forgets_what_no_row_keeps_and_keeps_the_rest():
    canon = _Canon()
    kept, dropped = _deps("vcluster-a", "a"), _deps("vcluster-gone", "gone")
    canon.deps(kept)
    canon.deps(dropped)
    size = len(canon)
    del dropped
    gc.collect()
    canon.sweep()
    assert 0 < len(canon) < size
    again = _deps("vcluster-a", "a")
    canon.deps(again)
    assert next(iter(again.objects)) is next(iter(kept.objects))  # what a row keeps is still the shared one
    assert again.shared_lists[0].query is kept.shared_lists[0].query
    (fa,) = kept.shared.values()
    (fb,) = again.shared.values()
    assert fa.seen is fb.seen
    assert canon.limit >= 2 * len(canon)


def test_a_table_past_its_limit_is_swept_as_rows_come_and_go():
    def kept_after(canon: _Canon) -> int:
        alive = []
        for i in range(200):
            d = _deps(f"vcluster-{i}", f"r{i}")
            canon.deps(d)
            if i % 10 == 0:
                alive.append(d)  # one row in ten stays
        return len(canon)

    unswept = kept_after(_Canon(limit=1 << 30))
    swept = kept_after(_Canon(limit=8))
    assert swept < unswept / 3, (swept, unswept)  # the gone rows' keys did not pile up


def test_one_row_is_indexed_as_itself_and_more_as_a_set():
    index = _Index()
    key = ("Pod", "ns", "p")
    d1, d2 = Deps(objects={key: "1"}), Deps(objects={key: "1"})
    index.add(("ns", "a"), d1)
    assert index.objects[key] == ("ns", "a")
    assert list(_rows_of(index.objects.get(key))) == [("ns", "a")]
    index.add(("ns", "a"), d1)  # the same row again: still itself
    assert index.objects[key] == ("ns", "a")
    index.add(("ns", "b"), d2)
    assert index.objects[key] == {("ns", "a"), ("ns", "b")}
    index.remove(("ns", "a"), d1)
    assert index.objects[key] == ("ns", "b")
    index.remove(("ns", "a"), d1)  # a row not there: nothing changes
    assert index.objects[key] == ("ns", "b")
    index.remove(("ns", "b"), d2)
    assert key not in index.objects
    assert list(_rows_of(index.objects.get(key))) == []


def test_a_fleets_rows_share_their_keys(lab):
    lab.submit(SAMPLES / "media.yaml")
    lab.settle()
    rows = FleetRows(LabSource(lab))
    rows.refresh()
    entries = list(rows.entries.values())
    assert len(entries) >= 2
    shared = [set(map(id, e.deps.shared)) for e in entries]
    assert set.intersection(*shared)  # the keys of what every row reads: one object for all
    seen = [id(f.seen) for e in entries for k, f in e.deps.shared.items() if k[0] == "GitStateStore"]
    assert len(seen) == len(entries) and len(set(seen)) == 1, seen
