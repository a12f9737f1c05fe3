"""A request committed to git but never applied is a fleet row (issue 17 item 1).

``fault inject argocd-autosync-disabled app=platform`` then ``submit ghost.yaml``: Argo CD lists the request in the
``platform`` Application's ``status.resources`` (OutOfSync, health Missing: argo-cd controller/state.go
``CompareAppState`` compares every object of the source with the cluster whether or not it syncs), and nothing
applies it (appcontroller.go ``autoSync`` returns early without ``spec.syncPolicy.automated``). ``status``,
``diagnose --all`` and the dashboard list it, stuck where Argo CD should apply it, and ``diagnose`` names the
Application and its fix instead of "never applied, or refused → validate it"."""

from __future__ import annotations

from pathlib import Path

import pytest

from kratix_lab.cli import main
from kratix_lab.diagnose import DEGRADED, all_healthy, diagnose, fleet, fleet_summary
from kratix_lab.diagnose.fleet import FleetMembers, fleet_members
from kratix_lab.platform.lab import Lab
from kratix_lab.sources.lab import LabSource
from kratix_lab.trace import RequestKind, declared_requests, resolve, trace
from tests.helpers import SAMPLES


def cli(capsys, lab: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--lab", str(lab), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def submit_ghost(lab: Lab) -> None:
    text = (SAMPLES / "dev.yaml").read_text().replace("sandbox", "ghost")
    (lab.path / "ghost.yaml").write_text(text)
    lab.submit(lab.path / "ghost.yaml")
    assert lab.settle().quiescent


@pytest.fixture
def ghost_lab(lab) -> Lab:
    lab.faults.inject("argocd-autosync-disabled", app="platform")
    submit_ghost(lab)
    assert lab.store.get("VClusterOrchestrator", "ghost", "platform-requests", "platform.integratn.tech") is None
    return lab


def test_diagnose_names_the_application_that_does_not_apply_it(ghost_lab):
    d = diagnose(LabSource(ghost_lab), "VClusterOrchestrator", "ghost")
    assert [f.id for f in d.findings] == ["commit-not-synced"], d.findings  # the cause, not the symptom
    top = d.findings[0]
    assert top.object == "Application/argocd/platform" and top.stage == "sync"
    assert "automated sync is off, nothing applies VClusterOrchestrator ghost" in top.message
    assert "enable automated sync on platform" in top.fix
    assert "validate" not in d.verdict and d.verdict.startswith("stuck at Argo CD sync")


def test_the_trace_says_the_request_is_in_git_with_the_application_below_it(ghost_lab):
    root = trace(LabSource(ghost_lab), "VClusterOrchestrator", "ghost")
    assert root.namespace == "platform-requests"  # from the Application's entry, though none was given
    assert "is in git (Argo CD application platform lists it OutOfSync) but not in the cluster" in root.message
    (app,) = root.children
    assert (app.kind, app.name, app.stage, app.health) == ("Application", "platform", "sync", DEGRADED)
    assert app.evidence["resource"]["name"] == "ghost" and app.evidence["automated"] is False


def test_status_and_diagnose_all_list_it_and_exit_1(ghost_lab, capsys):
    rows = {r.name: r for r in fleet(LabSource(ghost_lab))}
    assert set(rows) == {"sandbox", "ghost"}
    ghost = rows["ghost"]
    assert (ghost.namespace, ghost.stage, ghost.health) == ("platform-requests", "sync", DEGRADED)
    assert ghost.preset == "" and "automated sync is off" in ghost.message
    assert not all_healthy(list(rows.values()))
    assert fleet_summary(list(rows.values())) == "2 vClusters: 1 Healthy, 1 Degraded"
    ghost_lab.close()
    code, out, _ = cli(capsys, ghost_lab.path, "status")
    assert code == 1 and "ghost" in out and out.rstrip().endswith("2 vClusters: 1 Healthy, 1 Degraded")
    code, out, _ = cli(capsys, ghost_lab.path, "diagnose", "--all")
    assert code == 1 and "== VClusterOrchestrator/platform-requests/ghost" in out
    assert "commit-not-synced at Argo CD sync: Application/argocd/platform" in out


def test_once_applied_it_is_one_ordinary_row(ghost_lab):
    ghost_lab.faults.clear("argocd-autosync-disabled")
    assert ghost_lab.settle().quiescent
    rows = fleet(LabSource(ghost_lab))
    assert sorted(r.name for r in rows) == ["ghost", "sandbox"]  # no second row for the one in git
    ghost = next(r for r in rows if r.name == "ghost")
    assert ghost.preset == "dev" and ghost.health == "Healthy", ghost


def test_a_synced_application_applying_it_at_its_next_sync_is_progressing_not_degraded(lab):
    """Automated sync on, the comparison done, the sync not yet run: a warning (Progressing), not an error."""
    submit_ghost_no_settle = (SAMPLES / "dev.yaml").read_text().replace("sandbox", "ghost")
    (lab.path / "ghost.yaml").write_text(submit_ghost_no_settle)
    lab.submit(lab.path / "ghost.yaml")
    source = LabSource(lab)
    app = source.get("Application", "platform", "argocd", "argoproj.io")
    app["status"]["resources"].append(
        {
            "group": "platform.integratn.tech",
            "kind": "VClusterOrchestrator",
            "namespace": "platform-requests",
            "name": "ghost",
            "status": "OutOfSync",
            "health": {"status": "Missing"},
        }
    )
    lab.store.update(app)
    d = diagnose(source, "VClusterOrchestrator", "ghost", "platform-requests")
    assert d.findings[0].id == "commit-not-synced" and d.findings[0].severity == "warning", d.findings
    assert "Argo CD applies VClusterOrchestrator ghost at its next sync" in d.findings[0].message
    row = next(r for r in fleet(source) if r.name == "ghost")
    assert row.health == "Progressing" and row.stage == "sync"


def test_entries_awaiting_prune_and_other_kinds_are_not_requests_in_git():
    rk = RequestKind("VClusterOrchestrator", "platform.integratn.tech", "vcluster-orchestrator")
    app = {
        "metadata": {"name": "platform"},
        "status": {
            "resources": [
                {"group": "platform.integratn.tech", "kind": "VClusterOrchestrator", "name": "kept"},
                {
                    "group": "platform.integratn.tech",
                    "kind": "VClusterOrchestrator",
                    "name": "gone",
                    "requiresPruning": True,
                },
                {"group": "other.example.com", "kind": "VClusterOrchestrator", "name": "lookalike"},
                {"group": "", "kind": "Namespace", "name": "platform-requests"},
            ]
        },
    }
    assert [e["name"] for _, e in declared_requests([app, {"metadata": {"name": "empty"}}], rk)] == ["kept"]


def test_a_name_in_no_application_and_not_in_the_cluster_is_still_not_found(ghost_lab, capsys):
    ghost_lab.close()
    code, out, err = cli(capsys, ghost_lab.path, "diagnose", "vco/ghots")
    assert out == ""
    assert code == 2 and "did you mean ghost?" in err, err


def test_a_request_never_applied_is_deleted_from_git(ghost_lab, capsys):
    """`delete vco/ghost` (and the dashboard's delete) removes the file: the request exists only there."""
    route = ghost_lab.delete_route("vco", "ghost", "platform-requests")
    assert (
        route
        == "removes platform/vclusters/ghost.yaml from the gitops repo (the request was never applied: nothing to prune)"
    )
    ghost_lab.close()
    code, out, _ = cli(capsys, ghost_lab.path, "delete", "vco/ghost", "-n", "platform-requests")
    assert code == 0 and out.startswith("removed platform/vclusters/ghost.yaml from the gitops repo ("), out
    assert "never applied" in out
    again = Lab(ghost_lab.path, create=False)
    try:
        assert "platform/vclusters/ghost.yaml" not in again.gitops_repo.read_files("platform/vclusters")
        again.settle()
        assert [r.name for r in fleet(LabSource(again))] == ["sandbox"], "the row is gone"
    finally:
        again.close()
    code, _, err = cli(capsys, ghost_lab.path, "delete", "vco/ghost", "-n", "platform-requests")
    assert code == 1 and 'vclusterorchestrators.platform.integratn.tech "ghost" not found' in err, err  # as kubectl


def test_the_members_equal_those_read_from_every_application(ghost_lab):
    """The fleet's members — the cluster's requests and those an Application lists from git — found through the text
    filter (``FleetMembers.declared_by``: only an Application whose JSON names the kind is parsed) are those found
    over every Application."""
    source = LabSource(ghost_lab)
    rk = resolve(source, "VClusterOrchestrator")
    members = FleetMembers().whole(source, rk)
    assert False in members.values()  # the request only in git
    whole = {(ns, name): obj is not None for ns, name, obj in fleet_members(source, rk)}

    class Unfiltered:  # the same source, without the filter
        def __init__(self, s):
            self.s = s

        def __getattr__(self, name):
            return getattr(self.s, name)

    assert members == whole == FleetMembers().whole(Unfiltered(source), rk)
