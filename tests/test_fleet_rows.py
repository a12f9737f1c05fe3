"""The fleet's rows (``status``, the dashboard): a request being deleted is ``Deleting`` from its deletionTimestamp,
not ``Progressing`` (issue 17 item 11); a failing delete stays ``Degraded``."""

from __future__ import annotations

import pytest

from kratix_lab.diagnose import DELETING, fleet
from kratix_lab.errors import KratixLabError
from kratix_lab.fleet.rows import FleetRows
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


def test_the_fleet_columns_are_the_request_kinds_printer_columns(lab):
    """Issue 10 item 2: the fleet's two request columns (the dashboard's and ``status``'s PRESET and K8S) are the
    request kind's CRD ``additionalPrinterColumns`` — for the VClusterOrchestrator Preset (.spec.vcluster.preset)
    and K8s (.spec.vcluster.k8sVersion) — not field paths written in the code: a CRD saying other columns (as a
    ``VClusterOrchestratorV2`` may) lists those, and a path that finds nothing is an empty cell."""
    from dataclasses import replace

    from kratix_lab.kube.registry import PrinterColumn, column_text
    from tui.widgets.vcluster_table import column_labels

    source = LabSource(lab)
    row = next(r for r in fleet(source) if r.name == "sandbox")
    assert (row.preset, row.k8s_version, row.columns) == ("dev", "v1.34.3", ("Preset", "K8s"))
    assert column_labels([row])["preset"] == "PRESET" and column_labels([row])["k8s"] == "K8S"

    class OtherColumns(LabSource):
        def kinds(self):
            reg = super().kinds()
            vco = reg.get("platform.integratn.tech", "VClusterOrchestrator")
            cols = (
                PrinterColumn("Isolation", ".spec.vcluster.isolationMode"),
                PrinterColumn("Wide", ".spec.nothing", priority=1),  # wide only: not a fleet column
                PrinterColumn("Replicas", ".spec.vcluster.replicas", "integer"),
                PrinterColumn("Age", ".metadata.creationTimestamp", "date"),  # SINCE says when
            )
            reg._kinds[(vco.group, vco.kind)] = replace(vco, printer_columns=cols)
            return reg

    other = next(r for r in fleet(OtherColumns(lab)) if r.name == "sandbox")
    assert (other.preset, other.k8s_version, other.columns) == ("standard", "", ("Isolation", "Replicas"))
    assert column_labels([other])["preset"] == "ISOLATION" and column_labels([other])["k8s"] == "REPLICAS"
    obj = {"spec": {"a": [{"b": True}], "m": {"x": 1}}}
    assert column_text(obj, PrinterColumn("B", ".spec.a[0].b")) == "true"
    assert column_text(obj, PrinterColumn("M", ".spec.m")) == '{"x":1}'
    assert column_text(obj, PrinterColumn("N", ".spec.a[3].b")) == ""


def test_warm_parses_the_members_the_first_refresh_then_reads_as_they_are(lab: Lab):
    """``FleetRows.warm`` (the dashboard's fleet worker, as the app starts): the requests and Applications the first
    refresh reads before its first row are parsed ahead, and that refresh takes them as they are."""
    source = LabSource(lab)
    rows = FleetRows(source)
    rows.warm()
    ahead = dict(lab.store._parsed)
    assert {key[1] for key in ahead} >= {"VClusterOrchestrator", "Application"}
    assert rows.refresh() == fleet(source)
    assert all(lab.store._parsed[key][1] is obj for key, (_, obj) in ahead.items())


def test_warm_leaves_an_error_to_the_refresh(lab: Lab):
    rows = FleetRows(LabSource(lab), kind="NoSuchKind")
    rows.warm()
    with pytest.raises(KratixLabError):
        rows.refresh()
