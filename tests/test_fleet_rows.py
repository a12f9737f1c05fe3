"""The fleet's rows (``status``, the dashboard): a request being deleted is ``Deleting`` from its deletionTimestamp,
not ``Progressing`` (issue 17 item 11); a failing delete stays ``Degraded``."""

from __future__ import annotations

from kratix_lab.diagnose import DELETING, fleet
from kratix_lab.kube.health import DEGRADED, HEALTHY
from kratix_lab.platform.lab import Lab
from kratix_lab.sources.lab import LabSource
from tests.helpers import SAMPLES


def _row(lab, name):
    return next(r for r in fleet(LabSource(lab)) if r.name == name)


def test_a_request_being_deleted_is_deleting_then_gone(tmp_path):
    with Lab(tmp_path / "lab") as lab:
        lab.submit(SAMPLES / "dev.yaml")
        lab.submit(SAMPLES / "media.yaml")
        assert lab.settle().quiescent
        lab.delete("VClusterOrchestrator", "media", "platform-requests")
        seen = []
        for _ in range(40):
            lab.step()
            obj = lab.get("VClusterOrchestrator", "media", "platform-requests")
            if obj is None:
                break
            if obj["metadata"].get("deletionTimestamp"):
                row = _row(lab, "media")
                seen.append(row.health)
                assert row.since == LabSource(lab).timestamp(obj["metadata"]["deletionTimestamp"])
        assert DELETING in seen and set(seen) <= {DELETING}, seen
        assert [r.name for r in fleet(LabSource(lab))] == ["sandbox"]
        assert _row(lab, "sandbox").health == HEALTHY


def test_a_failing_delete_stays_degraded(tmp_path):
    with Lab(tmp_path / "lab") as lab:
        lab.submit(SAMPLES / "media.yaml")
        assert lab.settle().quiescent
        lab.faults.inject("pipeline-fails", promise="vcluster-orchestrator")
        lab.delete("VClusterOrchestrator", "media", "platform-requests")
        lab.run_for(60)
        assert _row(lab, "media").health == DEGRADED
