"""Objects listed by what their JSON text holds (``kratix_lab.sources.list_containing``, ``Store.list(containing=…)``):
the lab's sources leave out, unparsed, the objects whose stored text holds none of the strings asked for — the fleet's
members (the Applications that list requests) and the values every row computes alike (the state repo's Applications,
those that cannot compare) no longer parse a thousand vClusters' Applications for the one or two that matter (issue
15) — and give the same answers as a whole list (the members: ``tests/test_git_only_requests.py``)."""

from __future__ import annotations

import pytest

from kratix_lab.diagnose.rules.gitops import COMPARISON_ERRORS
from kratix_lab.platform import store as store_module
from kratix_lab.sources import PerObject, list_containing, plain_text
from kratix_lab.sources.lab import LabSource
from kratix_lab.trace.gitops import apps_of_repo


def cm(name: str, note: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default"},
        "data": {"note": note},
    }


@pytest.fixture
def parses(monkeypatch):
    """The bodies the store parses from now on (their names)."""
    seen: list[str] = []
    real = store_module.parse_json

    def counting(text):
        obj = real(text)
        seen.append(obj["metadata"]["name"])
        return obj

    monkeypatch.setattr(store_module, "parse_json", counting)
    return seen


@pytest.mark.parametrize("count", [5, 40])  # one by one, and in one query (Store.list: BULK_READ_FROM)
def test_the_lab_leaves_out_unparsed_the_objects_whose_text_holds_none(lab, parses, count):
    for i in range(count):
        lab.store.create(cm(f"c{i:02d}", "needle here" if i % 4 == 0 else "hay"))
    source = LabSource(lab)
    parses.clear()
    got = list_containing(source, "ConfigMap", "default", "", ("needle",))
    wanted = [f"c{i:02d}" for i in range(count) if i % 4 == 0]
    assert [o["metadata"]["name"] for o in got] == wanted
    assert sorted(parses) == wanted  # the others were never parsed
    # two strings: an object holding either one
    got = list_containing(source, "ConfigMap", "default", "", ("needle", "c01"))
    assert [o["metadata"]["name"] for o in got] == sorted({*wanted, "c01"})


def test_an_object_kept_parsed_is_listed_whatever_its_text_holds(lab):
    lab.store.create(cm("kept", "hay"))
    source = LabSource(lab)
    source.list("ConfigMap", "default")  # parsed, and kept by the store
    got = list_containing(source, "ConfigMap", "default", "", ("needle",))
    assert "kept" in [o["metadata"]["name"] for o in got]  # a filter: the caller looks at each object as ever


def test_the_store_filters_a_selected_or_writable_list_too(lab):
    for i, note in enumerate(["needle", "hay", "needle"]):
        obj = cm(f"s{i}", note)
        obj["metadata"]["labels"] = {"team": "a"}
        lab.store.create(obj)
    for readonly in (True, False):
        got = lab.store.list("ConfigMap", "default", {"team": "a"}, "", readonly=readonly, containing=("needle",))
        assert [o["metadata"]["name"] for o in got] == ["s0", "s2"]


def test_a_needle_json_may_escape_or_a_source_without_text_lists_everything(lab):
    lab.store.create(cm("é", "needle"))  # json.dumps writes it "\u00e9"
    lab.store.create(cm("plain", "hay"))
    source = LabSource(lab)
    assert not plain_text("é") and not plain_text('a"b') and not plain_text("a\\b") and not plain_text("")
    assert plain_text("https://github.com/org/kratix-platform-state")
    got = list_containing(source, "ConfigMap", "default", "", ("é",))  # (first: nothing parsed and kept yet)
    everything = sorted(o["metadata"]["name"] for o in source.list("ConfigMap", "default"))
    assert sorted(o["metadata"]["name"] for o in got) == everything  # not left out for how JSON wrote it

    class Wrapper:  # a source that hands on what it does not have (as the row engine's Recorder does)
        def __init__(self, s):
            self.s = s

        def __getattr__(self, name):
            return getattr(self.s, name)

    lab.store.create(cm("w-needle", "needle"))  # (not parsed yet)
    lab.store.create(cm("w-hay", "hay"))
    got = list_containing(Wrapper(LabSource(lab)), "ConfigMap", "default", "", ("needle",))
    assert {"w-needle", "w-hay"} <= {o["metadata"]["name"] for o in got}  # its own list: what it records, it sees


def test_a_snapshot_leaves_them_out_as_the_source_does(lab):
    for i in range(6):
        lab.store.create(cm(f"n{i}", "needle" if i in (1, 4) else "hay"))
    snap = LabSource(lab).snapshot()
    got = list_containing(snap, "ConfigMap", "default", "", ("needle",))
    assert [o["metadata"]["name"] for o in got] == ["n1", "n4"]


def test_values_with_needles_equal_the_values_read_whole(lab):
    """COMPARISON_ERRORS and the state repo's Applications (``apps_of_repo``) read through the filter equal the same
    values read from every Application, on a lab where one Application cannot compare."""
    source = LabSource(lab)
    apps = source.list("Application", "argocd", group="argoproj.io")
    url = next((a["spec"]["source"]["repoURL"] for a in apps if "state" in a["spec"]["source"]["repoURL"]), None)
    assert url is not None
    broken = lab.store.get("Application", apps[-1]["metadata"]["name"], "argocd", "argoproj.io")
    broken.setdefault("status", {}).setdefault("conditions", []).append(
        {"type": "ComparisonError", "message": "failed to unmarshal vc.yaml"}
    )
    lab.store.update_status(broken)
    for value in (COMPARISON_ERRORS, apps_of_repo(url.rstrip("/").removesuffix(".git"))):
        whole = PerObject(value.kind, value.namespace, value.group, value.part)  # no needles: every object read
        assert value.needles
        assert value(LabSource(lab)) == whole(LabSource(lab)) and value(LabSource(lab))
    together = PerObject.parts_together(LabSource(lab), [COMPARISON_ERRORS, apps_of_repo(url)])
    assert together == [COMPARISON_ERRORS.parts(LabSource(lab)), apps_of_repo(url).parts(LabSource(lab))]
