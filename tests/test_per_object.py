"""A value derived from every object of a kind, one part per object (``kratix_lab.sources.PerObject``: the state
repo's Applications a row looks for its syncing one among, the Applications that cannot compare), kept up to date
by reading again only the objects that changed — in the fleet's row engine after a change (``fleet.deps._derive``)
and in a lab's source by resourceVersion (``LabSource.derived``) — equal to the value read whole (issue 15)."""

from __future__ import annotations

from kratix_lab.diagnose.rules.gitops import COMPARISON_ERRORS
from kratix_lab.fleet.deps import _derive
from kratix_lab.sources import PerObject
from kratix_lab.sources.lab import LabSource
from kratix_lab.trace.gitops import apps_of_repo


def _name_if_labelled(obj: dict) -> str | None:
    return obj["metadata"]["name"] if (obj["metadata"].get("labels") or {}).get("pick") else None


PICK = PerObject("ConfigMap", "default", "", _name_if_labelled)


def cm(name: str, pick: bool) -> dict:
    labels = {"pick": "yes"} if pick else {}
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default", "labels": labels},
    }


class Counting:
    """A source that counts its reads."""

    def __init__(self, source):
        self.s, self.gets, self.lists = source, 0, 0

    def get(self, *args):
        self.gets += 1
        return self.s.get(*args)

    def list(self, *args, **kwargs):
        self.lists += 1
        return self.s.list(*args, **kwargs)


def test_the_row_engine_reads_again_only_the_objects_that_changed(lab):
    store = lab.store
    for i in range(6):
        store.create(cm(f"c{i}", i % 2 == 0))
    source = Counting(LabSource(lab))
    first = _derive(source, PICK)
    assert first.value == ("c0", "c2", "c4") and source.lists == 1 and first.kinds == {"ConfigMap"}
    c1 = store.get("ConfigMap", "c1", "default")
    c1["metadata"]["labels"] = {"pick": "yes"}
    store.update(c1)
    store.delete("ConfigMap", "c2", "default")
    store.create(cm("c9", True))
    changed = [("ConfigMap", "default", n) for n in ("c1", "c2", "c9")] + [("Secret", "default", "c3")]
    again = _derive(source, PICK, first, changed)
    assert source.lists == 1 and source.gets == 3  # the three ConfigMaps, nothing else
    assert again.value == _derive(LabSource(lab), PICK).value == ("c0", "c1", "c4", "c9")
    assert again.fingerprint != first.fingerprint
    assert _derive(source, PICK, again, [("ConfigMap", "default", "c5")]).fingerprint == again.fingerprint


def test_a_labs_source_reads_again_only_what_was_written_since(lab):
    store = lab.store
    for i in range(6):
        store.create(cm(f"c{i}", i % 2 == 0))
    source = LabSource(lab)
    reads = []
    get = source.get
    source.get = lambda *args: reads.append(args[1]) or get(*args)  # type: ignore[method-assign]
    assert source.derived("pick", PICK) == ("c0", "c2", "c4") and len(reads) == 6
    reads.clear()
    assert source.derived("pick", PICK) == ("c0", "c2", "c4") and reads == []  # nothing written since
    c3 = store.get("ConfigMap", "c3", "default")
    c3["metadata"]["labels"] = {"pick": "yes"}
    store.update(c3)
    store.delete("ConfigMap", "c0", "default")
    assert source.derived("pick", PICK) == ("c2", "c3", "c4") and reads == ["c3"]
    assert source.derived("pick", PICK) == PICK(source)  # as read whole


def test_the_traces_per_object_values_equal_their_whole_reads(lab):
    source = LabSource(lab)
    url = "https://github.com/jamesatintegratnio/kratix-platform-state"
    repo = apps_of_repo(url)
    assert source.derived("repo", repo) == repo(source) == _derive(source, repo).value
    assert ("kratix-state-reconciler", "clusters/the-cluster") in repo(source)
    assert source.derived("errors", COMPARISON_ERRORS) == COMPARISON_ERRORS(source) == ()


def test_the_row_engine_computes_the_values_rows_compute_alike_in_one_read_of_their_kind(lab):
    """The first row asks for the state repo's Applications (its trace) and then for those that cannot compare (its
    diagnosis): both come from one read of the Applications (``fleet.deps.ROW_VALUES``; the fleet's worker parses
    each read anew), each equal to its own read, and a value already kept is not computed again."""
    from kratix_lab.diagnose.rules.gitops import COMPARISON_ERRORS_KEY
    from kratix_lab.fleet.deps import ROW_VALUES, Deps, Recorder

    assert ROW_VALUES[COMPARISON_ERRORS_KEY] is COMPARISON_ERRORS
    source = Counting(LabSource(lab))
    memo: dict = {}
    recorder = Recorder(source, Deps(), memo)
    url = "https://github.com/jamesatintegratnio/kratix-platform-state"
    repo = apps_of_repo(url)
    assert recorder.derived("repo", repo) == repo(LabSource(lab))
    assert source.lists == 1 and set(memo) == {"repo", COMPARISON_ERRORS_KEY}
    assert recorder.derived(COMPARISON_ERRORS_KEY, COMPARISON_ERRORS) == COMPARISON_ERRORS(LabSource(lab))
    assert source.lists == 1, "kept from the read before"
    assert memo[COMPARISON_ERRORS_KEY].parts == COMPARISON_ERRORS.parts(LabSource(lab))
    Recorder(source, Deps(), memo).derived("picked", PICK)  # another kind: its own read, nothing else with it
    assert source.lists == 2 and set(memo) == {"repo", COMPARISON_ERRORS_KEY, "picked"}


def test_values_of_other_kinds_are_not_read_together():
    import pytest

    with pytest.raises(ValueError, match="other kinds"):
        PerObject.parts_together(None, [PICK, COMPARISON_ERRORS])
