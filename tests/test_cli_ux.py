"""The CLI as an SRE and a newcomer meet it (issue 17 items 3, 6, 8, 9): fleet output at 80 columns with a summary and
exit codes CI can gate on, fixes runnable where the user is, exact errors with hints, deduplicated findings."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from kratix_lab.cli import main
from kratix_lab.platform.lab import Lab
from tests.helpers import SAMPLES

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def cli(capsys, lab: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--lab", str(lab), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def fleet_lab(tmp_path_factory) -> Path:
    """sandbox (dev) and media (prod) settled, then sandbox's VClusterCore pipeline failing: one Healthy, one
    Degraded with a long verdict. Tests read it only."""
    path = tmp_path_factory.mktemp("ux") / "lab"
    with Lab(path) as lab:
        lab.submit(SAMPLES / "dev.yaml")
        lab.submit(SAMPLES / "media.yaml")
        assert lab.settle().quiescent
        lab.faults.inject("pipeline-fails", promise="vcluster-core")
        lab.reconcile("VClusterCore", "sandbox", "platform-requests")
        assert lab.settle().quiescent
    return path


@pytest.fixture
def terminal(monkeypatch, capsys):
    """stdout is a terminal of COLUMNS columns (as the CLI sees one: isatty, and Rich's width from $COLUMNS)."""

    def set_width(columns: int) -> None:
        monkeypatch.setenv("COLUMNS", str(columns))
        monkeypatch.setenv("NO_COLOR", "1")
        monkeypatch.setattr(sys.stdout, "isatty", lambda: True)

    return set_width


# ---- item 3: status and diagnose --all --------------------------------------------------------------------------


def test_status_on_an_80_column_terminal_keeps_name_and_health_whole(fleet_lab, capsys, terminal):
    terminal(80)
    code, out, _ = cli(capsys, fleet_lab, "status")
    lines = [ANSI.sub("", line).rstrip() for line in out.splitlines()]
    assert all(len(line) <= 80 for line in lines), lines
    header, *rows, summary = lines
    assert re.search(r"\bNAME\b", header) and "HEALTH" in header and "MESSAGE" in header
    by_name = {r.split()[1]: r for r in rows}
    assert set(by_name) == {"media", "sandbox"}, rows
    assert " Healthy " in by_name["media"] and " Degraded " in by_name["sandbox"]
    assert "…" in by_name["sandbox"], "the long verdict is cut, not NAME or HEALTH"
    assert summary == "2 vClusters: 1 Healthy, 1 Degraded"
    assert code == 1


def test_status_and_diagnose_all_exit_1_when_anything_is_not_healthy_with_a_summary(fleet_lab, capsys):
    code, out, _ = cli(capsys, fleet_lab, "status")
    assert code == 1 and out.splitlines()[-1] == "2 vClusters: 1 Healthy, 1 Degraded"
    code, out, _ = cli(capsys, fleet_lab, "status", "-o", "json")
    assert code == 1 and '"health": "Degraded"' in out
    code, out, _ = cli(capsys, fleet_lab, "diagnose", "--all")
    assert code == 1 and out.splitlines()[-1] == "2 vClusters: 1 Healthy, 1 Degraded"


def test_a_healthy_fleet_exits_0_with_its_summary(lab, capsys):
    code, out, _ = cli(capsys, lab.path, "status")
    assert code == 0 and out.splitlines()[-1] == "1 vCluster: 1 Healthy"
    code, out, _ = cli(capsys, lab.path, "diagnose", "--all")
    assert code == 0 and out.splitlines()[-1] == "1 vCluster: 1 Healthy"


def test_a_progressing_vcluster_fails_the_gate_too(lab, capsys):
    lab.submit(SAMPLES / "media.yaml")
    lab.step()  # committed and applied, not yet delivered: Progressing, no findings
    code, out, _ = cli(capsys, lab.path, "status")
    summary = out.splitlines()[-1]
    assert code == 1 and summary.startswith("2 vClusters: 1 Healthy, 1 "), summary
    code, out, _ = cli(capsys, lab.path, "diagnose", "--all")
    assert code == 1 and out.splitlines()[-1] == summary


# ---- item 8: CLI exactness ---------------------------------------------------------------------------------------


def test_a_typo_in_a_request_name_is_not_found_with_the_closest_name(fleet_lab, capsys):
    for args in (["trace", "vclusterorchestrator/medai"], ["diagnose", "vco", "medai", "-n", "platform-requests"]):
        code, out, err = cli(capsys, fleet_lab, *args)
        assert code == 2 and out == "", args
        assert err.startswith('error: VClusterOrchestrator "medai" not found') and "did you mean media?" in err, err
    code, _, err = cli(capsys, fleet_lab, "trace", "vco/zzzzzz")
    assert code == 2 and "not found" in err and "did you mean" not in err


def test_a_request_known_to_git_or_gone_after_a_delete_is_still_traced(lab, capsys):
    """Not NotFound: a request committed but not applied (Argo CD lists it OutOfSync), or deleted (its events)."""
    lab.faults.inject("argocd-autosync-disabled", app="platform")
    text = (SAMPLES / "dev.yaml").read_text().replace("sandbox", "ghost")
    (lab.path / "ghost.yaml").write_text(text)
    lab.submit(lab.path / "ghost.yaml")
    lab.settle()
    code, out, err = cli(capsys, lab.path, "trace", "vco/ghost")
    assert code == 0 and "VClusterOrchestrator ghost" in out and "not found" not in err  # the compact trace
    lab.faults.clear("argocd-autosync-disabled")
    lab.delete("VClusterOrchestrator", "sandbox", "platform-requests")
    lab.settle()
    code, out, _ = cli(capsys, lab.path, "diagnose", "vco/sandbox")
    assert code == 0 and out.startswith("deleted: VClusterOrchestrator/sandbox is gone")


def test_a_fault_aimed_at_an_unknown_object_is_refused(fleet_lab, capsys):
    before = Lab.open_for_reading(fleet_lab)
    active = dict(before.faults.active())
    before.close()
    for args, words in (
        (["pipeline-fails", "promise=nope"], "promise=nope: no Promise named 'nope'"),
        (["argocd-autosync-disabled", "app=platfrm"], "did you mean platform?"),
        (["destination-unlabelled", "destination=elsewhere"], "no Destination named 'elsewhere'"),
    ):
        code, out, err = cli(capsys, fleet_lab, "fault", "inject", *args)
        assert code == 2 and out == "" and words in err, err
    after = Lab.open_for_reading(fleet_lab)
    assert after.faults.active() == active, "nothing injected"
    after.close()


def test_explain_describes_the_kind_and_suggests_close_names(capsys):
    assert main(["explain", "vco"]) == 0
    out = capsys.readouterr().out
    assert "KIND:       VClusterOrchestrator" in out and "<empty>" not in out.split("FIELDS:")[0]
    assert "A complete vCluster environment." in out.split("FIELDS:")[0]
    assert main(["explain", "VClusterOrchestrater"]) == 2
    assert 'did you mean "VClusterOrchestrator"?' in capsys.readouterr().err
    assert main(["explain", "vclusterorchestrator.spec.vcluster.presett"]) == 2
    err = capsys.readouterr().err
    assert err == (
        'error: VClusterOrchestrator: field "spec.vcluster.presett" does not exist (did you mean "spec.vcluster.preset"?)\n'
    )
    assert "promise.yaml" not in err and not re.search(r"(^|\s)/\w", err), "never an absolute path"


def test_wide_output_has_no_python_reprs_and_counts_are_plural_right(fleet_lab, capsys):
    code, out, _ = cli(capsys, fleet_lab, "trace", "vco/media", "-o", "wide")
    assert code == 0
    assert "images=ghcr.io/" in out and "['" not in out and "{'" not in out
    assert "(1 file under " in out and "1 files" not in out


def test_a_destinationless_verdict_names_the_selector_as_a_label(lab):
    from kratix_lab.diagnose import diagnose
    from kratix_lab.sources.lab import LabSource

    lab.faults.inject("destination-unlabelled")
    (lab.path / "extra.yaml").write_text((SAMPLES / "dev.yaml").read_text().replace("sandbox", "extra"))
    lab.submit(lab.path / "extra.yaml")
    lab.settle()
    d = diagnose(LabSource(lab), "VClusterOrchestrator", "extra")
    text = " ".join(f.message for f in d.findings)
    assert "selectors integratn.tech/cluster-role=control-plane:" in text and "{'" not in text, text


def test_logs_of_a_modelled_pod_say_why_there_are_none(fleet_lab, capsys):
    code, out, err = cli(capsys, fleet_lab, "logs", "media-0", "-n", "vcluster-media")
    assert code == 0 and out == ""
    assert err.startswith("pod media-0 is modelled by kratix-lab: no container runs in the lab, so there are no logs")
    assert "`kratix-lab describe pod/media-0 -n vcluster-media`" in err
    code, out, err = cli(capsys, fleet_lab, "logs", "statefulset/media", "-n", "vcluster-media")
    assert code == 0 and out == "" and err.startswith("pods media-0, media-1, media-2 are modelled")
    code, out, err = cli(capsys, fleet_lab, "logs", "vcc/media", "-n", "platform-requests")
    assert code == 0 and "wrote " in out and "modelled" not in err, "a pipeline pod has its logs"


def test_trace_watch_says_the_lab_clock_is_not_running_until_it_moves(lab, capsys, monkeypatch):
    import kratix_lab.cli.trace as cli_module

    watch = ["trace", "vco/sandbox", "--watch", "--interval", "0", "--watch-count", "2"]
    code, out, _ = cli(capsys, lab.path, *watch)
    assert code == 0 and "the lab clock is not running" in out and f"kratix-lab --lab {lab.path} settle" in out
    lab.close()

    def another_shell_steps(_seconds):
        with Lab(lab.path, create=False) as other:
            other.step()

    monkeypatch.setattr(cli_module.time, "sleep", another_shell_steps)
    code, out, _ = cli(capsys, lab.path, *watch)
    last = out.rsplit("healthy: ", 1)[-1]
    assert code == 0 and "the lab clock is not running" not in last, "the note goes once the clock moves"


# ---- item 9: identical findings on sibling objects are one --------------------------------------------------------


def test_identical_findings_on_sibling_objects_are_one_finding_listing_them(lab, capsys):
    from kratix_lab.diagnose import diagnose
    from kratix_lab.sources.lab import LabSource

    lab.faults.inject("destination-unlabelled")
    (lab.path / "extra.yaml").write_text((SAMPLES / "dev.yaml").read_text().replace("sandbox", "extra"))
    lab.submit(lab.path / "extra.yaml")  # a new request makes Kratix re-check sandbox's placements too
    lab.settle()
    d = diagnose(LabSource(lab), "VClusterOrchestrator", "sandbox")
    misplaced = [n.ref for n, _ in d.trace.walk() if n.stage == "placement" and n.message.startswith("misplaced")]
    assert len(misplaced) > 1, "the fault misplaces every WorkPlacement of the request"
    (finding,) = [f for f in d.findings if f.id == "work-misplaced"]
    assert sorted(finding.objects) == sorted(misplaced) == sorted(finding.evidence["objects"])
    assert finding.message.startswith(f"{len(misplaced)} WorkPlacements: misplaced: Destination the-cluster")
    assert all(finding.covers(ref) for ref in misplaced)
    code, out, _ = cli(capsys, lab.path, "diagnose", "vco/sandbox")
    assert code == 1 and out.count("work-misplaced") == 1
    assert f"{len(misplaced)} WorkPlacements: misplaced" in out.splitlines()[0], "the verdict counts them"
    assert "   objects: " + ", ".join(finding.objects) in out


def test_findings_merge_by_rule_and_fix_and_keep_every_message():
    from kratix_lab.diagnose import Finding, merge_siblings

    def f(obj, message="gone", fix="restore it", rule="object-missing"):
        return Finding(rule, "warning", "object", obj, message, fix, since=10)

    (same,) = merge_siblings([f("ConfigMap/ns/a"), f("ConfigMap/ns/b")])
    assert same.message == "2 ConfigMaps: gone" and same.objects == ["ConfigMap/ns/a", "ConfigMap/ns/b"]
    (mixed,) = merge_siblings([f("ConfigMap/ns/a", "a is gone"), f("Namespace/b", "b is gone")])
    assert mixed.message == "2 objects: a is gone (and 1 other message like it)"
    assert mixed.evidence["messages"] == ["a is gone", "b is gone"] and mixed.objects == [
        "ConfigMap/ns/a",
        "Namespace/b",
    ]
    apart = merge_siblings([f("ConfigMap/ns/a"), f("ConfigMap/ns/b", fix="x"), f("ConfigMap/ns/c", rule="other")])
    assert [x.object for x in apart] == ["ConfigMap/ns/a", "ConfigMap/ns/b", "ConfigMap/ns/c"]
    assert all(not x.objects for x in apart)


# ---- item 12: deleted, resources remain --------------------------------------------------------------------------


def test_a_deleted_request_with_leftovers_has_the_leftovers_as_its_verdict_and_the_lab_fix_works(lab, capsys):
    import yaml

    from kratix_lab.diagnose import diagnose
    from kratix_lab.sources.lab import LabSource

    lab.faults.inject("argocd-autosync-disabled")  # kratix-state-reconciler: nothing is pruned
    lab.delete("VClusterOrchestrator", "sandbox", "platform-requests")
    lab.settle()
    d = diagnose(LabSource(lab), "VClusterOrchestrator", "sandbox")
    ids = {f.id for f in d.findings}
    assert ids == {"leftovers-after-delete"}, ids  # not request-missing: it was deleted, its objects remain
    left = [o for f in d.findings for o in (f.objects or [f.object])]
    assert "Namespace/vcluster-sandbox" in left
    assert d.verdict.startswith(f"deleted, but {len(left)} objects labelled with it remain (Namespace/vcluster-sandbox")
    assert "Argo CD application kratix-state-reconciler does not prune what left git" in d.verdict
    assert all(f.evidence["application"] == "kratix-state-reconciler" for f in d.findings)
    code, out, _ = cli(capsys, lab.path, "diagnose", "vco/sandbox")
    assert code == 1 and out.splitlines()[0] == d.verdict

    # the fix, run as the verdict says (kratix-lab get … -o yaml, set automated prune, apply, settle)
    assert "`kratix-lab get application/kratix-state-reconciler -n argocd -o yaml > app.yaml`" in d.verdict
    code, out, _ = cli(capsys, lab.path, "get", "application", "kratix-state-reconciler", "-n", "argocd", "-o", "yaml")
    app = yaml.safe_load(out)
    app["spec"].setdefault("syncPolicy", {})["automated"] = {"prune": True, "selfHeal": True}
    (lab.path / "app.yaml").write_text(yaml.safe_dump(app))
    assert cli(capsys, lab.path, "apply", "-f", str(lab.path / "app.yaml"))[0] == 0
    assert cli(capsys, lab.path, "settle")[0] == 0
    code, out, _ = cli(capsys, lab.path, "diagnose", "vco/sandbox")
    assert code == 0 and out.startswith("deleted: VClusterOrchestrator/sandbox is gone"), out


def test_leftovers_nobody_prunes_are_removed_by_hand_with_a_command_for_where_the_user_is(lab):
    from kratix_lab.diagnose import diagnose
    from kratix_lab.sources.lab import LabSource

    class LiveLike(LabSource):
        mode = "live"

    lab.delete("VClusterOrchestrator", "sandbox", "platform-requests")
    lab.settle()
    orphan = {"name": "orphan", "namespace": "default", "labels": {"kratix.io/resource-name": "sandbox"}}
    lab.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": orphan})
    (f,) = diagnose(LabSource(lab), "VClusterOrchestrator", "sandbox").findings
    assert f.id == "leftovers-after-delete" and f.fix.endswith("`kratix-lab delete configmap/orphan -n default`")
    (f,) = diagnose(LiveLike(lab), "VClusterOrchestrator", "sandbox").findings
    assert f.fix.endswith("`kubectl delete configmap -l kratix.io/resource-name=sandbox -n default`")


# ---- item 6: the fix is whole and runnable where the user is ----------------------------------------------------


def _commands(fix: str) -> list[str]:
    return re.findall(r"`([^`]+)`", fix)


def _live_like():
    from kratix_lab.sources.lab import LabSource

    class LiveLike(LabSource):  # the lab read as live mode reads a cluster: fixes name kubectl/git/argocd
        mode = "live"

    return LiveLike


def test_a_failed_pipeline_fix_runs_as_written_in_the_lab_and_names_kubectl_live(fleet_lab, capsys):
    import shlex

    from kratix_lab.diagnose import diagnose
    from kratix_lab.sources.lab import LabSource

    with Lab.open_for_reading(fleet_lab) as lab:
        d = diagnose(LabSource(lab), "VClusterCore", "sandbox", "platform-requests")
        live = diagnose(_live_like()(lab), "VClusterCore", "sandbox", "platform-requests")
    top = d.findings[0]
    assert top.id == "pipeline-failed" and d.verdict.endswith(top.fix)
    commands = _commands(top.fix)
    assert [c.split()[:2] for c in commands] == [["kratix-lab", "logs"], ["kratix-lab", "reconcile"]]
    logs = shlex.split(commands[0])[1:]
    code, out, _ = cli(capsys, fleet_lab, *logs)
    assert code == 0 and "fault 'pipeline-fails' injected" in out, "the logs the fix points at say why"
    assert not any(c.startswith("kratix-lab") for c in _commands(live.findings[0].fix))
    live_logs, live_label = _commands(live.findings[0].fix)
    # the failing container is an init container of the pipeline pod (kratix pipeline_factory.go:350-362): named
    assert live_logs.startswith("kubectl logs -n platform-requests kratix-vcluster-core-sandbox-")
    assert live_logs.endswith(" -c render")
    assert (
        live_label
        == "kubectl label vclustercore/sandbox -n platform-requests kratix.io/manual-reconciliation=true --overwrite"
    )
    # the dashboard: the keys that do it, the rest of the verdict unchanged
    assert d.dashboard_verdict == d.verdict[: -len(top.fix)] + top.keys
    assert "`l`" in top.keys and "`r` to reconcile" in top.keys


def test_reconcile_as_the_fix_says_reruns_the_pipeline(lab, capsys):
    import shlex

    from kratix_lab.diagnose import diagnose
    from kratix_lab.sources.lab import LabSource

    lab.faults.inject("pipeline-fails", promise="vcluster-core")
    lab.reconcile("VClusterCore", "sandbox", "platform-requests")
    lab.settle()
    lab.faults.clear("pipeline-fails")
    fix = diagnose(LabSource(lab), "VClusterCore", "sandbox", "platform-requests").findings[0].fix
    reconcile = shlex.split(_commands(fix)[1])[1:]
    assert cli(capsys, lab.path, *reconcile)[0] == 0 and cli(capsys, lab.path, "settle")[0] == 0
    assert diagnose(LabSource(lab), "VClusterCore", "sandbox", "platform-requests").healthy


def test_an_unscheduled_work_fix_runs_as_written_in_the_lab(lab, capsys):
    import yaml

    from kratix_lab.diagnose import diagnose
    from kratix_lab.sources.lab import LabSource

    lab.faults.inject("destination-unlabelled")
    (lab.path / "extra.yaml").write_text((SAMPLES / "dev.yaml").read_text().replace("sandbox", "extra"))
    lab.submit(lab.path / "extra.yaml")
    lab.settle()
    d = diagnose(LabSource(lab), "VClusterOrchestrator", "extra")
    top = d.findings[0]
    assert top.id == "work-unscheduled"
    get, apply = _commands(top.fix)
    assert get == "kratix-lab get destination/the-cluster -o yaml > destination.yaml"
    assert (
        apply == "kratix-lab apply -f destination.yaml" and "add integratn.tech/cluster-role=control-plane" in top.fix
    )
    code, out, _ = cli(capsys, lab.path, "get", "destination", "the-cluster", "-o", "yaml")
    dest = yaml.safe_load(out)
    dest["metadata"].setdefault("labels", {})["integratn.tech/cluster-role"] = "control-plane"
    (lab.path / "destination.yaml").write_text(yaml.safe_dump(dest))
    assert cli(capsys, lab.path, "apply", "-f", str(lab.path / "destination.yaml"))[0] == 0
    assert cli(capsys, lab.path, "settle")[0] == 0
    code, out, _ = cli(capsys, lab.path, "status")
    assert code == 0 and out.splitlines()[-1] == "2 vClusters: 2 Healthy"
    live = diagnose(_live_like()(lab), "VClusterOrchestrator", "sandbox")
    assert live.healthy


def test_fixes_live_name_no_lab_only_commands(lab):
    from kratix_lab.diagnose import diagnose
    from kratix_lab.sources.recorded import Recorder

    lab.faults.inject("argocd-autosync-disabled")
    (lab.path / "extra.yaml").write_text((SAMPLES / "dev.yaml").read_text().replace("sandbox", "extra"))
    lab.submit(lab.path / "extra.yaml")
    lab.settle()
    source = _live_like()(lab)
    d = diagnose(source, "VClusterOrchestrator", "extra")
    top = d.findings[0]
    assert top.id == "commit-not-synced"
    assert "kubectl patch application kratix-state-reconciler -n argocd" in top.fix
    assert "`argocd app sync kratix-state-reconciler`" in top.fix and "kratix-lab" not in top.fix
    assert d.dashboard_verdict == d.verdict, "no dashboard keys for this one (the fix is an edit)"
    recorded = Recorder(source)
    assert recorded.mode == "live" and recorded.replay().mode == "live"
