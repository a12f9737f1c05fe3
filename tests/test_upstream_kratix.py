"""The lab's Kratix model against upstream (syntasso/kratix main ae170e2); each test names its source."""

from __future__ import annotations

import re

import pytest

from kratix_lab import Lab
from kratix_lab.platform.kratix import generate_object_name
from tests.helpers import SAMPLES


@pytest.mark.parametrize(
    ("name", "expected_base"),
    [
        ("short", "short"),
        ("a" * 57, "a" * 57),  # exactly maxNameLength: kept whole
        ("a" * 58, "a" * 56),  # longer: cut to maxNameLength-1
        ("b" * 55 + "-xyz", "b" * 55),  # the cut leaves "bbb…b-": the trailing '-' is dropped
        ("c" * 54 + "..", "c" * 54),  # trailing non-alphanumerics are dropped even when not cut
    ],
)
def test_generate_object_name_follows_upstream(name, expected_base):
    """lib/objectutil/name.go:11-19 and 38-47: ``maxNameLength = 63 - 1 - 5``; a longer name becomes
    ``name[0:maxNameLength-1]`` (56 characters), trailing non-alphanumerics are removed, then ``-`` and a
    5-character id are appended. The result is never longer than 63 characters."""
    got = generate_object_name(name, "abcde")
    assert got == f"{expected_base}-abcde"
    assert len(got) <= 63


def test_generate_object_name_refuses_a_suffix_that_is_not_five_characters():
    """lib/objectutil/name.go:18: the id is ``id[0:5]``, always five characters."""
    with pytest.raises(ValueError, match="must be 5 characters"):
        generate_object_name("x", "abc")


@pytest.fixture(scope="module")
def media_lab(tmp_path_factory):
    lab = Lab(tmp_path_factory.mktemp("media") / "lab")
    lab.submit(SAMPLES / "media.yaml")
    assert lab.settle().quiescent
    return lab


def test_job_work_and_workplacement_names_are_upstream_shaped(media_lab):
    """Job: api/v1alpha1/pipeline_factory.go:436-446 (``kratix-<promise>-<request>-<pipeline>`` through
    GenerateObjectName); Work: work-creator/lib/work_creator.go:40-48 and 211
    (``<promise>-<request>-<pipeline>`` through GenerateObjectName); WorkPlacement:
    internal/controller/scheduler.go:371 and shared.go:153-155 (``<work>.<destination>-<groupID[0:5]>``)."""
    lab = media_lab
    jobs = lab.list("Job", "platform-requests", {"kratix.io/promise-name": "vcluster-orchestrator"})
    assert jobs
    for job in jobs:
        name = job["metadata"]["name"]
        assert len(name) <= 63, name
        assert re.fullmatch(r"kratix-vcluster-orchestrator-media-.*-[a-z0-9]{5}", name), name
    works = lab.list("Work")
    assert works
    for work in works:
        name = work["metadata"]["name"]
        assert len(name) <= 63, name
        assert re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]-[a-z0-9]{5}", name), name
    placements = lab.list("WorkPlacement")
    assert placements
    work_names = {w["metadata"]["name"] for w in works}
    for wp in placements:
        work_name, _, rest = wp["metadata"]["name"].partition(".")
        assert work_name in work_names
        dest = wp["spec"]["targetDestinationName"]
        assert rest == f"{dest}-{wp['spec']['id'][:5]}"


def test_kratix_labels_every_request_with_its_own_promise(media_lab):
    """internal/controller/dynamic_resource_request_controller.go:159-165 and :1783-1791: on reconcile,
    a request whose ``kratix.io/promise-name`` is not its Promise's name is relabelled (setPromiseLabels).
    The orchestrator's sub-requests therefore carry their own Promise's name there, and their parent
    under keys Kratix does not own."""
    core = media_lab.get("VClusterCore", "media", "platform-requests")
    labels = core["metadata"]["labels"]
    assert labels["kratix.io/promise-name"] == "vcluster-core"
    assert labels["integratn.tech/parent-promise"] == "vcluster-orchestrator"
    assert labels["integratn.tech/parent-resource"] == "media"
    top = media_lab.get("VClusterOrchestrator", "media", "platform-requests")
    assert top["metadata"]["labels"]["kratix.io/promise-name"] == "vcluster-orchestrator"


def test_a_request_labelled_with_another_promise_is_relabelled(tmp_path):
    """dynamic_resource_request_controller.go:160-161: any other value is overwritten with the Promise's
    name, before finalizers or workflows (the reconcile returns right after the update, :164). Here the
    live object is edited (git does not carry the label, so Argo CD has nothing to put back)."""
    lab = Lab(tmp_path / "lab")
    lab.submit(SAMPLES / "media.yaml")
    assert lab.settle().quiescent
    top = lab.get("VClusterOrchestrator", "media", "platform-requests")
    top["metadata"]["labels"]["kratix.io/promise-name"] = "someone-else"
    lab.store.update(top)
    assert lab.settle().quiescent
    top = lab.get("VClusterOrchestrator", "media", "platform-requests")
    assert top["metadata"]["labels"]["kratix.io/promise-name"] == "vcluster-orchestrator"


def test_a_sub_request_labelled_with_the_parent_promise_flaps_and_diagnose_says_so(tmp_path):
    """The seed's old orchestrator labelled sub-requests ``kratix.io/promise-name: vcluster-orchestrator``.
    Kratix relabels them (dynamic_resource_request_controller.go:159-165), Argo CD's self-heal re-applies
    git's value: the lab never settles, and ``diagnose`` reports ``promise-label-flap`` with the fix."""
    from kratix_lab.diagnose import diagnose
    from kratix_lab.sources.lab import LabSource

    lab = Lab(tmp_path / "lab")
    lab.submit(SAMPLES / "media.yaml")
    assert lab.settle().quiescent
    assert not [
        f
        for f in diagnose(LabSource(lab), "VClusterOrchestrator", "media", "platform-requests").findings
        if f.id == "promise-label-flap"
    ]
    lab.faults.inject("pipeline-image-stale", promise="vcluster-orchestrator")
    top = lab.get("VClusterOrchestrator", "media", "platform-requests")
    top["metadata"]["labels"]["kratix.io/manual-reconciliation"] = "true"
    lab.store.update(top)
    result = lab.settle(max_steps=120)
    assert not result.quiescent
    versions = []
    for _ in range(3):
        lab.settle(max_steps=20)
        versions.append(lab.get("VClusterCore", "media", "platform-requests")["metadata"]["resourceVersion"])
    assert len(set(versions)) == 3  # still being rewritten
    findings = diagnose(LabSource(lab), "VClusterOrchestrator", "media", "platform-requests").findings
    flaps = [f for f in findings if f.id == "promise-label-flap"]
    assert flaps, [f.id for f in findings]
    assert "kratix.io/promise-name=vcluster-orchestrator" in flaps[0].message
    assert "integratn.tech/parent-promise" in flaps[0].fix
    lab.faults.clear("pipeline-image-stale")
    top = lab.get("VClusterOrchestrator", "media", "platform-requests")
    top["metadata"]["labels"]["kratix.io/manual-reconciliation"] = "true"
    lab.store.update(top)
    assert lab.settle().quiescent
