"""The Source seam: trace, diagnose and the fleet give the same answers through a recorded, in-memory
Source with no Lab behind it as through LabSource."""

from __future__ import annotations

import pytest

from kratix_lab.diagnose import diagnose, fleet
from kratix_lab.sources import factory
from kratix_lab.sources.lab import LabSource
from kratix_lab.sources.recorded import NotRecorded, RecordedSource, Recorder
from kratix_lab.trace import TraceError, trace


def _same_through_a_replay(lab, kind: str, name: str, namespace: str | None):
    live = LabSource(lab, read_only=True)
    expected = (trace(live, kind, name, namespace), diagnose(live, kind, name, namespace), fleet(live))

    recorder = Recorder(LabSource(lab, read_only=True))
    recorded = (trace(recorder, kind, name, namespace), diagnose(recorder, kind, name, namespace), fleet(recorder))
    assert recorded == expected

    replay = recorder.replay()
    assert isinstance(replay, RecordedSource) and not hasattr(replay, "lab")
    lab.close()  # nothing behind the replay: the lab is closed
    replayed = (trace(replay, kind, name, namespace), diagnose(replay, kind, name, namespace), fleet(replay))
    assert replayed == expected
    return expected


def test_a_healthy_request_replays_identically(lab):
    tree, diagnosis, rows = _same_through_a_replay(lab, "vco", "sandbox", None)
    assert tree.kind == "VClusterOrchestrator" and tree.children
    assert not diagnosis.findings and [r.name for r in rows] == ["sandbox"]


def test_findings_replay_identically(lab):
    lab.faults.inject("pipeline-fails", promise="vcluster-core")
    lab.reconcile("VClusterCore", "sandbox", "platform-requests")
    lab.settle()
    _, diagnosis, rows = _same_through_a_replay(lab, "VClusterOrchestrator", "sandbox", "platform-requests")
    assert diagnosis.findings and rows[0].health == "Degraded"


def test_errors_replay_identically_and_unrecorded_questions_are_refused(lab):
    recorder = Recorder(LabSource(lab, read_only=True))
    with pytest.raises(TraceError) as live_error:
        trace(recorder, "pizza", "x")
    replay = recorder.replay()
    with pytest.raises(TraceError) as replayed_error:
        trace(replay, "pizza", "x")
    assert str(replayed_error.value) == str(live_error.value)
    with pytest.raises(NotRecorded, match="was not asked while recording"):
        replay.get("Pod", "nope", "default")


def test_sources_open_is_the_composition_root(lab):
    path = lab.path
    lab.close()
    source = factory.open(path, read_only=True)
    assert isinstance(source, LabSource) and source.read_only
    assert source.kinds().resolve("vco").kind == "VClusterOrchestrator"
    assert [r.name for r in fleet(source)] == ["sandbox"]
    source.lab.close()
