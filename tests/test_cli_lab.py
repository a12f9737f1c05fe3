"""The lab commands of kratix-lab: lab init/status/reset, apply/submit/delete, get/describe/logs/events,
step/settle/run-for, fault and repo — output as kubectl/git print it, and every refusal's exit code."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kratix_lab.cli import main, parse_duration
from kratix_lab.kube.times import rfc3339
from kratix_lab.model import load_one
from kratix_lab.platform.lab import Lab
from kratix_lab.views.lab_view import TableData, human_duration, parse_selector
from tests.helpers import SAMPLES

KRATIX_FILE = (
    "clusters/the-cluster/resources/platform-requests/vcluster-core/media/vcluster-core-configure/5058f/"
    "namespace-vcluster-media.yaml"
)


def run(lab: Path, *args: str) -> list[str]:
    return ["--lab", str(lab), *args]


def cli(capsys, lab: Path, *args: str) -> tuple[int, str, str]:
    code = main(run(lab, *args))
    out = capsys.readouterr()
    return code, out.out, out.err


def parse_table(text: str) -> list[dict[str, str]]:
    """Rows of kubectl's plain table, cut at the header columns' offsets."""
    lines = [line for line in text.splitlines() if line.strip()]
    header = lines[0]
    cols = [(m.group(), m.start()) for m in re.finditer(r"\S+(?: \S+)*", header)]
    rows = []
    for line in lines[1:]:
        row = {}
        for i, (name, start) in enumerate(cols):
            end = cols[i + 1][1] if i + 1 < len(cols) else None
            row[name] = line[start:end].strip()
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> Path:
    """One lab with media submitted and settled, built through the CLI; tests here only read it."""
    lab = tmp_path_factory.mktemp("cli-lab") / "lab"
    assert main(run(lab, "lab", "init")) == 0
    assert main(run(lab, "submit", str(SAMPLES / "media.yaml"))) == 0
    assert main(run(lab, "settle")) == 0
    return lab


@pytest.fixture
def fresh(tmp_path, capsys) -> Path:
    lab = tmp_path / "lab"
    assert main(run(lab, "lab", "init")) == 0
    capsys.readouterr()
    return lab


# ---- lab init / reset / no lab -------------------------------------------------------------------


def test_lab_init_creates_a_lab_once(tmp_path, capsys):
    lab = tmp_path / "lab"
    code, out, _ = cli(capsys, lab, "lab", "init")
    assert code == 0 and f"created lab {lab}" in out
    assert (lab / "lab.json").is_file() and (lab / "state.git").is_dir()
    code, _, err = cli(capsys, lab, "lab", "init")
    assert code == 2 and "already a lab" in err and "--force" in err
    code, out, _ = cli(capsys, lab, "lab", "init", "--force")
    assert code == 0 and "created lab" in out


def test_lab_init_refuses_a_non_empty_directory_that_is_not_a_lab(tmp_path, capsys):
    d = tmp_path / "notes"
    d.mkdir()
    (d / "todo.txt").write_text("keep me\n")
    for extra in ([], ["--force"]):
        code, out, err = cli(capsys, d, "lab", "init", *extra)
        assert code == 2 and out == ""
        assert f"error: {d}: exists, is not empty and is not a lab" in err
    assert sorted(p.name for p in d.iterdir()) == ["todo.txt"], "nothing written, nothing deleted"
    f = tmp_path / "plain-file"
    f.write_text("x")
    code, _, err = cli(capsys, f, "lab", "init")
    assert code == 2 and str(f) in err


def test_commands_without_a_lab_say_how_to_create_one(tmp_path, capsys):
    lab = tmp_path / "nowhere"
    for args in (["get", "pods"], ["lab", "status"], ["settle"], ["fault", "list"], ["repo", "log"]):
        code, _, err = cli(capsys, lab, *args)
        assert code == 2, args
        assert f"error: {lab}: no lab here (create one with `kratix-lab lab init`)" in err
    assert not lab.exists(), "reading commands never create a lab"


def test_lab_reset_needs_yes_and_a_lab(fresh, tmp_path, capsys):
    assert main(run(fresh, "submit", str(SAMPLES / "dev.yaml"))) == 0
    capsys.readouterr()
    code, _, err = cli(capsys, fresh, "lab", "reset")
    assert code == 2 and "re-run with --yes" in err
    code, out, _ = cli(capsys, fresh, "repo", "log", "--gitops")
    assert "Add VClusterOrchestrator" in out, "refused: the lab is untouched"

    other = tmp_path / "other"
    other.mkdir()
    (other / "data.txt").write_text("precious\n")
    code, _, err = cli(capsys, other, "lab", "reset", "--yes")
    assert code == 2 and f"{other}: not a lab (no lab.json); refusing to delete it" in err
    assert (other / "data.txt").read_text() == "precious\n"
    code, _, err = cli(capsys, tmp_path / "absent", "lab", "reset", "--yes")
    assert code == 2 and "no lab here" in err

    code, out, _ = cli(capsys, fresh, "lab", "reset", "--yes")
    assert code == 0 and f"reset lab {fresh}" in out
    code, out, _ = cli(capsys, fresh, "repo", "log", "--gitops")
    assert "Add VClusterOrchestrator" not in out and "Bootstrap the platform requests folder" in out


def test_lab_option_after_the_command_and_from_the_environment(media, capsys, monkeypatch):
    assert main(["get", "vclusterorchestrators", "--lab", str(media)]) == 0
    assert "media" in capsys.readouterr().out
    monkeypatch.setenv("KRATIX_LAB_DIR", str(media))
    assert main(["get", "applications", "-n", "argocd"]) == 0
    assert "kratix-state-reconciler" in capsys.readouterr().out


# ---- lab status ------------------------------------------------------------------------------------


def test_lab_status(media, capsys):
    code, out, _ = cli(capsys, media, "lab", "status")
    assert code == 0
    assert f"lab:              {media}" in out
    # 00:01:30: Kratix's first reconcile of each request only sets its kratix.io/promise-name label
    # (dynamic_resource_request_controller.go:159-165), one round before finalizers and workflows.
    assert "simulated time:   2026-01-01T00:01:30Z" in out
    assert re.search(r"VClusterOrchestrator\s+vcluster-orchestrator\s+1\s+1", out)
    assert re.search(r"media\s+Synced\s+Healthy\s+0\.30\.4", out)
    assert "active faults:    none" in out
    head = Lab(media, create=False).state_remote.head()
    assert f"state repo head:  {head[:7]} Update from: " in out
    code, out, _ = cli(capsys, media, "lab", "status", "-o", "json")
    data = json.loads(out)
    assert data["stateRepo"]["sha"] == head and data["faults"] == {}
    assert {r["kind"]: (r["total"], r["reconciled"]) for r in data["requests"]}["VClusterCore"] == (1, 1)


# ---- get ---------------------------------------------------------------------------------------------


def test_get_requests_shows_the_kratix_printer_columns(media, capsys):
    code, out, _ = cli(capsys, media, "get", "vclusterorchestrators")
    assert code == 0
    assert out.splitlines()[0].split() == ["NAMESPACE", "NAME", "MESSAGE", "STATUS", "AGE"]
    (row,) = parse_table(out)
    assert row["NAMESPACE"] == "platform-requests" and row["NAME"] == "media"
    assert row["MESSAGE"].startswith("Rendered 7 sub-requests: VClusterCore/media")
    assert row["STATUS"] == "Reconciled"
    assert row["AGE"] == "85s"  # created at 00:00:05 on the simulated clock, now 00:01:30
    code, out, _ = cli(capsys, media, "get", "VClusterCore", "media", "-n", "platform-requests", "-o", "wide")
    (row,) = parse_table(out)
    assert "NAMESPACE" not in row, "-n: no NAMESPACE column"
    assert row["STATUS"] == "Reconciled" and row["PROMISE"] == "vcluster-core"
    assert row["GENERATION"] == "1" and row["OBSERVED GENERATION"] == "1"


def test_get_applications_synced_and_healthy(media, capsys):
    code, out, _ = cli(capsys, media, "get", "applications", "-n", "argocd")
    assert code == 0
    assert out.splitlines()[0].split() == ["NAME", "SYNC", "STATUS", "HEALTH", "STATUS"]
    code, wide, _ = cli(capsys, media, "get", "applications", "-n", "argocd", "-o", "wide")
    rows = {r["NAME"]: r for r in parse_table(wide)}
    assert set(rows) == {"kratix-state-reconciler", "media", "platform"}
    for r in rows.values():
        assert (r["SYNC STATUS"], r["HEALTH STATUS"]) == ("Synced", "Healthy")
    lab = Lab(media, create=False)
    assert rows["kratix-state-reconciler"]["REVISION"] == lab.state_remote.head()[:7]
    assert rows["media"]["REVISION"] == "0.30.4"
    assert "REVISION" not in out  # Revision is a priority-10 printer column: -o wide only, as kubectl shows it


def test_get_pods_ready_and_wide(media, capsys):
    code, out, _ = cli(capsys, media, "get", "pods", "-n", "vcluster-media")
    assert code == 0
    rows = parse_table(out)
    assert {r["NAME"] for r in rows} >= {"media-0", "media-1", "media-2", "media-etcd-0"}
    for r in rows:
        assert (r["READY"], r["STATUS"], r["RESTARTS"]) == ("1/1", "Running", "0"), r
    code, out, _ = cli(capsys, media, "get", "po", "media-0", "-n", "vcluster-media", "-o", "wide")
    (row,) = parse_table(out)
    assert re.fullmatch(r"10\.244\.\d+\.\d+", row["IP"]) and row["NODE"] == "kratix-lab-node"
    code, out, _ = cli(capsys, media, "get", "pods", "-n", "platform-requests")
    rows = parse_table(out)
    assert len(rows) == 8 and {(r["READY"], r["STATUS"]) for r in rows} == {("0/1", "Completed")}


def test_get_kratix_and_workload_kinds(media, capsys):
    _, out, _ = cli(capsys, media, "get", "works")
    rows = parse_table(out)
    assert len(rows) == 8 and {r["STATUS"] for r in rows} == {"Ready"}
    _, out, _ = cli(capsys, media, "get", "workplacements")
    rows = parse_table(out)
    assert {r["DESTINATION"] for r in rows} == {"the-cluster"}
    assert all(re.fullmatch(r"[0-9a-f]{7}", r["VERSION"]) for r in rows)
    _, out, _ = cli(capsys, media, "get", "jobs", "-n", "platform-requests")
    assert {r["COMPLETIONS"] for r in parse_table(out)} == {"1/1"}
    _, out, _ = cli(capsys, media, "get", "destinations")
    (row,) = parse_table(out)
    assert "NAMESPACE" not in row, "cluster-scoped: no NAMESPACE column"
    assert row["LABELS"] == "environment=platform,integratn.tech/cluster-role=control-plane"
    _, out, _ = cli(capsys, media, "get", "deploy,sts", "-n", "vcluster-media")
    assert "statefulset.apps/media-etcd" in out and "deployment.apps/coredns-x-kube-system-x-media" in out
    assert re.search(r"statefulset\.apps/media\s+3/3", out)


def test_get_output_yaml_json_name_round_trip(media, capsys):
    lab = Lab(media, create=False)
    live = lab.get("VClusterOrchestrator", "media", "platform-requests")
    code, out, _ = cli(capsys, media, "get", "vclusterorchestrator", "media", "-o", "yaml")
    assert code == 0 and load_one(out) == live
    code, out, _ = cli(capsys, media, "get", "vclusterorchestrator", "media", "-o", "json")
    assert code == 0 and json.loads(out) == live
    code, out, _ = cli(capsys, media, "get", "applications", "-n", "argocd", "-o", "json")
    doc = json.loads(out)
    assert doc["kind"] == "List" and [i["metadata"]["name"] for i in doc["items"]] == [
        "kratix-state-reconciler",
        "media",
        "platform",
    ]
    assert load_one(cli(capsys, media, "get", "applications", "-n", "argocd", "-o", "yaml")[1]) == doc
    _, out, _ = cli(capsys, media, "get", "applications", "-n", "argocd", "-o", "name")
    assert out.splitlines() == [
        "application.argoproj.io/kratix-state-reconciler",
        "application.argoproj.io/media",
        "application.argoproj.io/platform",
    ]


def test_get_label_selector(media, capsys):
    _, out, _ = cli(capsys, media, "get", "works", "-l", "kratix.io/promise-name=vcluster-core,kratix.io/resource-name")
    (row,) = parse_table(out)
    assert row["NAME"].startswith("vcluster-core-media-")
    _, out, _ = cli(capsys, media, "get", "pods", "-n", "vcluster-media", "-l", "app!=vcluster", "-o", "name")
    assert all("media-etcd" in n or "coredns" in n for n in out.split())
    _, out, _ = cli(capsys, media, "get", "pods", "-n", "vcluster-media", "-l", "app in (vcluster,x)", "-o", "name")
    assert out.split() and all("media-etcd" not in n and "coredns" not in n for n in out.split())
    code, _, err = cli(capsys, media, "get", "pods", "-l", "app in (x")
    assert code == 2 and "invalid label selector" in err
    code, _, err = cli(capsys, media, "get", "pods", "media-0", "-l", "app=vcluster")
    assert code == 2 and "cannot be given together" in err


def test_get_not_found_unknown_kind_and_nothing_found(media, capsys):
    code, out, err = cli(capsys, media, "get", "vclusterorchestrators", "nope")
    assert (code, out) == (1, "")
    assert err == 'Error from server (NotFound): vclusterorchestrators.platform.integratn.tech "nope" not found\n'
    code, _, err = cli(capsys, media, "get", "pods", "media-0", "-n", "argocd")
    assert code == 1 and err == 'Error from server (NotFound): pods "media-0" not found\n'
    code, out, err = cli(capsys, media, "get", "pizzas")
    assert (code, out) == (2, "") and 'error: the server doesn\'t have a resource type "pizzas"' in err
    code, out, err = cli(capsys, media, "get", "pods", "-n", "kube-system")
    assert (code, out) == (0, "") and "No resources found in kube-system namespace." in err
    with pytest.raises(SystemExit) as exc:
        main(run(media, "get", "pods", "-n", "x", "-A"))
    assert exc.value.code == 2
    capsys.readouterr()


def test_a_kind_the_lab_does_not_serve_is_refused_and_the_chart_policies_resolve(media, capsys, tmp_path):
    """The API server stores only kinds it serves (discovery); kubectl says so before sending anything:
    kubectl apply.go / RESTMapper "no matches for kind … ensure CRDs are installed first". Nothing is stored,
    so the kind registry is the one resolver (issue 10): no guessing from stored objects."""
    widget = tmp_path / "widget.yaml"
    widget.write_text("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: default\n")
    code, out, err = cli(capsys, media, "apply", "-f", str(widget))
    assert code == 1 and out == ""
    assert 'no matches for kind "Widget" in version "example.com/v1"; ensure CRDs are installed first' in err
    code, out, err = cli(capsys, media, "get", "widgets", "-A")
    assert code == 2 and 'the server doesn\'t have a resource type "widgets"' in err
    # the vCluster chart's policies render LimitRange and ResourceQuota: served, with kubectl's short names
    for name in ("limitranges", "limits", "resourcequotas", "quota"):
        code, _, err = cli(capsys, media, "get", name, "-A")
        assert code == 0, (name, err)


# ---- describe / logs / events ----------------------------------------------------------------------


def test_describe_shows_spec_conditions_and_events(media, capsys):
    code, out, _ = cli(capsys, media, "describe", "vclusterorchestrator", "media")
    assert code == 0
    assert out.startswith("Name:         media\nNamespace:    platform-requests\n")
    assert "Promise:      vcluster-orchestrator" in out
    assert re.search(r"^    Preset: +prod$", out, re.M)
    conditions = out.split("Conditions:\n", 1)[1].split("Events:", 1)[0]
    rows = {r["TYPE"]: r for r in parse_table(conditions)}
    assert rows["Reconciled"]["STATUS"] == "True" and rows["Reconciled"]["REASON"] == "Reconciled"
    assert rows["ConfigureWorkflowCompleted"]["REASON"] == "PipelinesExecutedSuccessfully"
    events = out.split("Events:\n", 1)[1]
    assert "PipelineStarted" in events and "Configure Pipeline started: vcluster-orchestrator-configure" in events
    code, _, err = cli(capsys, media, "describe", "vclusterorchestrator", "nope")
    assert code == 1 and "NotFound" in err
    code, out, _ = cli(capsys, media, "describe", "namespace", "argocd")
    assert code == 0 and "Events:       <none>" in out


def test_logs_of_a_request_a_job_and_a_pod(media, capsys):
    code, out, _ = cli(capsys, media, "logs", "vclusterorchestrator/media")
    assert code == 0
    assert "vCluster media: preset prod" in out and "wrote vclustercore-media.yaml: VClusterCore/media" in out
    _, tail, _ = cli(capsys, media, "logs", "vclusterorchestrator/media", "--tail", "1")
    assert tail == out.splitlines()[-1] + "\n"
    assert cli(capsys, media, "logs", "vclusterorchestrator/media", "--tail", "0")[1] == ""
    job = Lab(media, create=False).list("Job", "platform-requests", {"kratix.io/promise-name": "vcluster-core"})[0]
    _, out, _ = cli(capsys, media, "logs", f"job/{job['metadata']['name']}")
    assert "Namespace/vcluster-media" in out
    code, _, err = cli(capsys, media, "logs", "nope", "-n", "vcluster-media")
    assert code == 1 and err == 'Error from server (NotFound): pods "nope" not found\n'
    code, _, err = cli(capsys, media, "logs", "configmap/media-vcluster-values", "-n", "vcluster-media")
    assert code == 2 and "ConfigMap has no logs" in err
    code, _, err = cli(capsys, media, "logs", "vclusterorchestrator/")
    assert code == 2 and "expected KIND/NAME" in err


def test_events_table(media, capsys):
    code, out, _ = cli(capsys, media, "events")
    assert code == 0
    assert out.splitlines()[0].split() == ["NAMESPACE", "LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    rows = parse_table(out)
    assert any(r["OBJECT"] == "vclusterorchestrator/media" and r["REASON"] == "PipelineStarted" for r in rows)
    _, out, _ = cli(capsys, media, "events", "-n", "argocd")
    rows = parse_table(out)
    assert "NAMESPACE" not in rows[0] and {r["OBJECT"].split("/")[0] for r in rows} == {"application", "externalsecret"}
    _, out, _ = cli(capsys, media, "events", "--for", "vclusterorchestrator/media")
    rows = parse_table(out)
    assert [r["REASON"] for r in rows] == ["PipelineStarted", "PipelinesExecutedSuccessfully"]
    assert rows[0]["LAST SEEN"] == "75s"
    code, _, err = cli(capsys, media, "events", "--for", "pizza/x")
    assert code == 2 and "pizza" in err
    code, _, err = cli(capsys, media, "events", "--for", "media")
    assert code == 2 and "expected KIND/NAME" in err
    code, out, err = cli(capsys, media, "events", "-n", "kube-system")
    assert (code, out) == (0, "") and "No events found in kube-system namespace." in err


# ---- repo -----------------------------------------------------------------------------------------


def test_repo_log_and_show(media, capsys):
    code, out, _ = cli(capsys, media, "repo", "log")
    assert code == 0
    commits = [line for line in out.splitlines() if not line.startswith("    ")]
    updates = [c for c in commits if "kratix <kratix@kratix.io>  Update from: " in c]
    assert len(updates) >= 8
    assert re.match(r"[0-9a-f]{7}  2026-01-01 00:00:\d\d  kratix <kratix@kratix.io>  Update from: ", updates[0])
    assert any(line.startswith("    clusters/the-cluster/resources/") for line in out.splitlines())
    _, out, _ = cli(capsys, media, "repo", "log", "-n", "1")
    assert len([line for line in out.splitlines() if not line.startswith("    ")]) == 1
    _, out, _ = cli(capsys, media, "repo", "log", "clusters/the-cluster/resources/platform-requests/vcluster-core")
    assert "Update from: vcluster-core-media-" in out and "vcluster-coredns" not in out
    _, out, _ = cli(capsys, media, "repo", "log", "--gitops")
    assert "platform-engineer <platform@integratn.tech>  Add VClusterOrchestrator media" in out
    head = Lab(media, create=False).state_remote.head()
    code, out, _ = cli(capsys, media, "repo", "show", head[:10])
    assert code == 0 and out.startswith(f"commit {head}\nAuthor: kratix <kratix@kratix.io>\n")
    assert "\n    Update from: " in out and re.search(r"^\d+ files? changed:$", out, re.M)
    for rev in ("nope", "0" * 40):
        code, _, err = cli(capsys, media, "repo", "show", rev)
        assert code == 2 and f"unknown revision '{rev}' in the state repo" in err


def test_repo_files_lists_kratix_paths_and_prints_files(media, capsys):
    code, out, _ = cli(capsys, media, "repo", "files")
    assert code == 0
    files = out.splitlines()
    assert KRATIX_FILE in files and "clusters/the-cluster/dependencies/kratix-canary-namespace.yaml" in files
    _, out, _ = cli(capsys, media, "repo", "files", "clusters/the-cluster/resources/platform-requests/vcluster-core")
    assert out.splitlines() == sorted(
        [KRATIX_FILE, KRATIX_FILE.replace("namespace-vcluster-media", "configmap-media-vcluster-values")]
    )
    _, out, _ = cli(capsys, media, "repo", "files", KRATIX_FILE)
    obj = load_one(out)
    assert obj["kind"] == "Namespace" and obj["metadata"]["name"] == "vcluster-media"
    _, out, _ = cli(capsys, media, "repo", "files", "--gitops")
    assert "platform/vclusters/media.yaml" in out.splitlines()
    code, _, err = cli(capsys, media, "repo", "files", "clusters/nowhere")
    assert code == 1 and 'path "clusters/nowhere" does not exist in the state repo at main' in err
    code, _, err = cli(capsys, media, "repo", "files", "--rev", "nope")
    assert code == 2 and "unknown revision 'nope'" in err


# ---- submit / apply / delete ----------------------------------------------------------------------


def test_submit_refused_request_commits_nothing(fresh, capsys):
    lab = Lab(fresh, create=False)
    before = lab.gitops_repo.head()
    code, out, err = cli(capsys, fresh, "submit", str(SAMPLES / "invalid" / "bad-enum.yaml"))
    assert (code, out) == (1, "")
    expected = (SAMPLES / "invalid" / "bad-enum.expected").read_text().strip()
    assert err == f'error: VClusterOrchestrator.platform.integratn.tech "huge" is invalid: {expected}\n'
    assert lab.gitops_repo.head() == before, "nothing committed"
    code, _, err = cli(capsys, fresh, "submit", str(SAMPLES / "invalid" / "unknown-kind.yaml"))
    assert code == 1 and "no matches for kind" in err
    code, _, err = cli(capsys, fresh, "submit", str(SAMPLES / "invalid" / "several-documents.yaml"))
    assert code == 2 and "expected exactly one object" in err
    code, _, err = cli(capsys, fresh, "submit", str(SAMPLES / "nope.yaml"))
    assert code == 2 and "no such file" in err
    cm = fresh.parent / "cm.yaml"
    cm.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: kube-system}\n")
    code, _, err = cli(capsys, fresh, "submit", str(cm))
    assert code == 2 and "not a Kratix resource request" in err and "apply -f" in err
    assert lab.gitops_repo.head() == before


def test_submit_then_step_settle_and_run_for(fresh, capsys):
    code, out, err = cli(capsys, fresh, "settle")
    assert code == 0 and out.endswith("quiescent\n") and "NOT" not in out
    code, out, err = cli(capsys, fresh, "submit", str(SAMPLES / "media.yaml"))
    assert code == 0
    sha, path = out.split()
    assert re.fullmatch(r"[0-9a-f]{40}", sha) and path == "platform/vclusters/media.yaml"
    assert Lab(fresh, create=False).gitops_repo.head() == sha
    code, out, _ = cli(capsys, fresh, "submit", str(SAMPLES / "media.yaml"))
    assert code == 0 and out.startswith("unchanged:")

    code, out, _ = cli(capsys, fresh, "step", "2")
    assert code == 0
    rows = parse_table(out)
    assert [r["STEP"] for r in rows] == ["1", "2"]
    assert set(rows[0]) == {
        "STEP",
        "TIME",
        "ARGOCD",
        "KRATIX",
        "SCHEDULER",
        "STATESTORE",
        "CLUSTER",
        "WORKLOADS",
        "TOTAL",
    }
    assert int(rows[0]["ARGOCD"]) > 0, "Argo CD syncs the new commit in the first round"
    for r in rows:
        parts = [int(r[c]) for c in ("ARGOCD", "KRATIX", "SCHEDULER", "STATESTORE", "CLUSTER", "WORKLOADS")]
        assert sum(parts) == int(r["TOTAL"])
    code, out, _ = cli(capsys, fresh, "settle", "--max-steps", "1")
    assert code == 1 and out.startswith("1 step,") and "NOT quiescent" in out
    before = Lab(fresh, create=False).store.now_seconds()
    code, out, _ = cli(capsys, fresh, "run-for", "90s")
    after = Lab(fresh, create=False).store.now_seconds()
    assert code == 0 and out.startswith("ran 90s:") and 85 <= after - before <= 90
    assert out.rstrip().endswith(f"simulated time {rfc3339(after)}")
    for bad in ("0", "10x", "5m10", ""):
        code, _, err = cli(capsys, fresh, "run-for", bad)
        assert code == 2 and "invalid duration" in err, bad
    code, _, err = cli(capsys, fresh, "step", "0")
    assert code == 2 and "N must be 1 or more" in err


def test_apply_and_delete(fresh, capsys, tmp_path):
    f = tmp_path / "objs.yaml"
    f.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: demo, namespace: kube-system}\ndata: {a: '1'}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: kube-system}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: demo, namespace: argocd}\n"
    )
    code, out, err = cli(capsys, fresh, "apply", "-f", str(f))
    assert code == 1, "one document refused"
    assert out == "configmap/demo created\nconfigmap/demo created\n"
    assert "(line 6): ConfigMap: resource name may not be empty" in err
    code, out, _ = cli(capsys, fresh, "apply", "-f", str(f))
    assert out == "configmap/demo unchanged\nconfigmap/demo unchanged\n"
    code, _, err = cli(capsys, fresh, "describe", "configmap", "demo")
    assert code == 2 and "several namespaces (argocd, kube-system); choose one with -n" in err
    code, out, err = cli(capsys, fresh, "apply", "-f", str(SAMPLES / "invalid" / "bad-enum.yaml"))
    assert code == 1 and 'spec.vcluster.preset: Unsupported value: "huge"' in err and out == ""
    code, out, _ = cli(capsys, fresh, "delete", "cm", "demo", "-n", "kube-system")
    assert (code, out) == (0, "configmap/demo deleted\n")
    code, _, err = cli(capsys, fresh, "delete", "cm", "demo", "-n", "kube-system")
    assert code == 1 and err == 'Error from server (NotFound): configmaps "demo" not found\n'
    code, _, err = cli(capsys, fresh, "delete", "gremlins", "x")
    assert code == 2 and "resource type" in err


# ---- faults ------------------------------------------------------------------------------------------


def test_fault_list_inject_clear(fresh, capsys):
    code, out, _ = cli(capsys, fresh, "fault", "list")
    assert code == 0
    rows = {r["NAME"]: r for r in parse_table(out)}
    assert len(rows) == 8 and {r["ACTIVE"] for r in rows.values()} == {"-"}
    # item has no default and inject refuses without it: listed as required, not optional
    assert rows["secret-item-missing"]["PARAMS (defaults)"] == "item (required), vault=homelab"
    assert rows["pipeline-fails"]["PARAMS (defaults)"] == "promise=vcluster-core, request (optional)"
    data = json.loads(cli(capsys, fresh, "fault", "list", "-o", "json")[1])
    assert {d["name"] for d in data} == set(rows) and all(d["symptom"] for d in data)

    code, out, err = cli(capsys, fresh, "fault", "inject", "destination-unlabelled")
    assert code == 0
    assert out == "injected destination-unlabelled (destination=the-cluster, label=integratn.tech/cluster-role)\n"
    assert err.startswith("expect: new Works stay Ready=False")
    (dest,) = parse_table(cli(capsys, fresh, "get", "destinations")[1])
    assert dest["LABELS"] == "environment=platform"
    rows = {r["NAME"]: r for r in parse_table(cli(capsys, fresh, "fault", "list")[1])}
    assert rows["destination-unlabelled"]["ACTIVE"].startswith("active (destination=the-cluster")
    assert "active faults:    destination-unlabelled (" in cli(capsys, fresh, "lab", "status")[1]
    code, _, err = cli(capsys, fresh, "fault", "inject", "destination-unlabelled")
    assert code == 2 and "error: fault destination-unlabelled is already active (clear it first)" in err

    code, out, _ = cli(capsys, fresh, "fault", "clear", "destination-unlabelled")
    assert (code, out) == (0, "cleared destination-unlabelled\n")
    (dest,) = parse_table(cli(capsys, fresh, "get", "destinations")[1])
    assert dest["LABELS"] == "environment=platform,integratn.tech/cluster-role=control-plane"

    assert cli(capsys, fresh, "fault", "inject", "workload-crashloop", "namespace=x", "name=y")[0] == 0
    assert cli(capsys, fresh, "fault", "inject", "pipeline-fails")[0] == 0
    code, out, _ = cli(capsys, fresh, "fault", "clear", "--all")
    assert code == 0 and out == "cleared pipeline-fails, workload-crashloop\n"
    assert cli(capsys, fresh, "fault", "clear", "--all")[1] == "no active faults\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["inject", "gremlins"], "error: unknown fault 'gremlins' (known: pipeline-fails, "),
        (["inject", "pipeline-fails", "colour=red"], "fault pipeline-fails has no parameter(s) colour"),
        (["inject", "pipeline-fails", "colour"], "'colour': expected key=value"),
        (["inject", "destination-unlabelled", "destination=nowhere"], "no Destination named 'nowhere'"),
        (["clear", "pipeline-fails"], "fault pipeline-fails is not active (active: none)"),
        (["clear"], "fault clear takes a fault NAME or --all"),
        (["clear", "pipeline-fails", "--all"], "fault clear takes a fault NAME or --all"),
    ],
)
def test_fault_refusals_exit_2_with_the_message(media, capsys, args, message):
    code, out, err = cli(capsys, media, "fault", *args)
    assert (code, out) == (2, "")
    assert message in err
    assert Lab(media, create=False).faults.active() == {}, "a refused fault command changes nothing"


# ---- output and helpers ----------------------------------------------------------------------------


def test_piped_output_is_plain(media):
    env = dict(os.environ, KRATIX_LAB_DIR=str(media))
    res = subprocess.run(
        [sys.executable, "-m", "kratix_lab.cli", "get", "pods", "-n", "vcluster-media"],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert res.returncode == 0, res.stderr
    assert "\x1b[" not in res.stdout
    assert res.stdout.splitlines()[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]


def test_help_documents_the_exit_codes(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "exit codes:" in out and "refused by the API server (admission" in out
    for command in (
        "lab",
        "apply",
        "submit",
        "get",
        "describe",
        "logs",
        "events",
        "step",
        "settle",
        "run-for",
        "fault",
        "repo",
    ):
        assert command in out


def test_durations_and_ages():
    assert [parse_duration(t) for t in ("90s", "10m", "1h30m", "2d", "45")] == [90, 600, 5400, 172800, 45]
    cases = {
        **{0: "0s", 45: "45s", 119: "119s", 180: "3m", 190: "3m10s", 600: "10m", 7200: "120m"},
        **{3 * 3600: "3h", 3 * 3600 + 1800: "3h30m", 20 * 3600: "20h", 5 * 86400: "5d", 30 * 86400: "30d"},
    }
    assert {s: human_duration(s) for s in cases} == cases


def test_selector_parsing_and_plain_tables():
    assert parse_selector("a=b,c==d,e!=f,g,!h") == {
        "matchLabels": {"a": "b", "c": "d"},
        "matchExpressions": [
            {"key": "e", "operator": "NotIn", "values": ["f"]},
            {"key": "g", "operator": "Exists"},
            {"key": "h", "operator": "DoesNotExist"},
        ],
    }
    assert parse_selector("a in (x, y),b notin (z)") == {  # set-based (labels/selector.go Parse)
        "matchExpressions": [
            {"key": "a", "operator": "In", "values": ["x", "y"]},
            {"key": "b", "operator": "NotIn", "values": ["z"]},
        ]
    }
    for bad in ("a=b,", "in (x)", "a in ()", "a in (x", "a in (x))"):
        with pytest.raises(ValueError, match="invalid label selector"):
            parse_selector(bad)
    t = TableData(["NAME", "AGE"], [["a-long-name", "5s"], ["b", "10m"]])
    assert t.plain() == "NAME          AGE\na-long-name   5s\nb             10m\n"
    assert t.records()[1] == {"NAME": "b", "AGE": "10m"}


def test_reconcile_reruns_the_pipeline(fresh, capsys):
    cli(capsys, fresh, "submit", str(SAMPLES / "dev.yaml"))
    cli(capsys, fresh, "settle")
    code, out, _ = cli(capsys, fresh, "reconcile", "vclustercore", "sandbox", "-n", "platform-requests")
    assert code == 0 and "manual-reconciliation" in out
    cli(capsys, fresh, "settle")
    code, out, _ = cli(
        capsys,
        fresh,
        "get",
        "jobs",
        "-n",
        "platform-requests",
        "-l",
        "kratix.io/promise-name=vcluster-core",
        "-o",
        "name",
    )
    assert code == 0 and len(out.split()) == 2
    code, _, err = cli(capsys, fresh, "reconcile", "vclustercore", "nope", "-n", "platform-requests")
    assert code == 1 and "not found" in err


def test_rich_tables_print_cells_literally():
    """A pattern or a Go type in a cell is text, not rich markup (it lost "[a-z0-9]" before)."""
    from rich.console import Console

    from kratix_lab.views.lab_view import TableData

    console = Console(width=200, record=True)
    console.print(TableData(["PATTERN"], [["^[a-z0-9]x map[string]string [bold]"]]).rich())
    assert "^[a-z0-9]x map[string]string [bold]" in console.export_text()


# ---- object references: KIND NAME… and KIND/NAME… everywhere (kratix_lab.kube.refs) ------------------

MIXED = "there is no need to specify a resource type as a separate argument"


@pytest.mark.parametrize(
    "refs",
    [["vclusterorchestrator", "media"], ["vco", "media"], ["vclusterorchestrator/media"], ["VCO/media"]],
)
def test_get_and_describe_accept_both_reference_forms(media, capsys, refs):
    code, out, _ = cli(capsys, media, "get", *refs, "-o", "name")
    assert (code, out) == (0, "vclusterorchestrator.platform.integratn.tech/media\n")
    code, out, _ = cli(capsys, media, "describe", *refs)
    assert code == 0 and out.startswith("Name:") and "media" in out.splitlines()[0]


def test_get_several_names_and_kinds(media, capsys):
    _, out, _ = cli(capsys, media, "get", "ns", "argocd", "vcluster-media", "-o", "name")
    assert out == "namespace/argocd\nnamespace/vcluster-media\n"
    _, out2, _ = cli(capsys, media, "get", "ns/argocd", "namespace/vcluster-media", "-o", "name")
    assert out2 == out
    code, out, err = cli(capsys, media, "get", "ns", "argocd", "nope", "-o", "name")
    assert (
        code == 1
        and out == "namespace/argocd\n"
        and err == 'Error from server (NotFound): namespaces "nope" not found\n'
    )
    code, out, _ = cli(capsys, media, "get", "vco,ns", "-A", "-o", "name")
    assert code == 0 and "namespace/argocd" in out and "vclusterorchestrator.platform.integratn.tech/media" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["get", "vco", "vco/media"], MIXED),
        (["describe", "vco/media", "media"], MIXED),
        (["delete", "ns", "ns/argocd"], MIXED),
        (["reconcile", "vco/media", "dev"], MIXED),
        (["trace", "vco", "vco/media"], MIXED),
        (["diagnose", "vco/media", "x"], MIXED),
        (["get", "vco/a/b/c"], "may not have more than one slash"),
        (["describe", "vco/"], "must have a single resource and name"),
        (["describe", "vco"], "expected KIND/NAME"),
        (["reconcile", "/media"], "must have a single resource and name"),
        (["get", "vco", "media", "-A"], "cannot be retrieved by name across all namespaces"),
        (["trace", "vco", "a", "b"], "expected one object, got 2"),
        (["diagnose", "vco/media", "--all"], "not both"),
        (["events", "--for", "vco", "media"], "unrecognized arguments"),
    ],
)
def test_mixed_and_bad_references_are_refused_like_kubectl(media, capsys, args, message):
    with contextlib.suppress(SystemExit):  # argparse errors exit 2 themselves
        code, _, err = cli(capsys, media, *args)
        assert code == 2 and message in err, err
        return
    assert message in capsys.readouterr().err


def test_trace_diagnose_reconcile_and_delete_accept_both_forms(fresh, capsys):
    cli(capsys, fresh, "submit", str(SAMPLES / "dev.yaml"))
    cli(capsys, fresh, "settle")
    traces = [
        cli(capsys, fresh, "trace", *refs, "-o", "json")[1]
        for refs in (
            ["vco/sandbox"],
            ["vco", "sandbox"],
            ["vclusterorchestrators", "sandbox", "-n", "platform-requests"],
        )
    ]
    assert traces[0] == traces[1] == traces[2] and '"stage"' in traces[0]
    assert cli(capsys, fresh, "diagnose", "vco", "sandbox")[0] == cli(capsys, fresh, "diagnose", "vco/sandbox")[0] == 0
    code, out, _ = cli(capsys, fresh, "reconcile", "vcc/sandbox", "vco/sandbox", "-n", "platform-requests")
    assert code == 0 and out.count("manual-reconciliation") == 2 and out.startswith("vclustercore/sandbox")
    code, out, _ = cli(capsys, fresh, "delete", "vco/sandbox")
    assert code == 0 and "gitops repo" in out
    cli(capsys, fresh, "settle")
    code, _, err = cli(capsys, fresh, "delete", "vco", "sandbox")
    assert (
        code == 1
        and err == 'Error from server (NotFound): vclusterorchestrators.platform.integratn.tech "sandbox" not found\n'
    )


def test_logs_container_and_positional_container(media, capsys):
    lab = Lab(media, create=False)
    pod = lab.list("Pod", "platform-requests", {"kratix.io/promise-name": "vcluster-orchestrator"})[0]
    spec = pod["spec"]
    names = [c["name"] for c in [*(spec.get("initContainers") or []), *spec["containers"]]]
    pod_name = pod["metadata"]["name"]
    whole = cli(capsys, media, "logs", f"pod/{pod_name}", "-n", "platform-requests")[1]
    parts = [cli(capsys, media, "logs", pod_name, "-n", "platform-requests", "-c", n)[1] for n in names]
    assert "".join(parts) and all(p in whole for p in parts if p)
    assert cli(capsys, media, "logs", pod_name, names[-1], "-n", "platform-requests")[1] == parts[-1]
    code, out, _ = cli(capsys, media, "logs", "vco/media", "-c", names[-1])
    assert code == 0 and parts[-1] in out
    code, _, err = cli(capsys, media, "logs", "vco/media", "-c", "nope")
    assert code == 2 and "container nope is not valid for pod" in err
    code, _, err = cli(capsys, media, "logs", pod_name, "a", "-c", "b", "-n", "platform-requests")
    assert code == 2 and "container given twice" in err
    code, _, err = cli(capsys, media, "logs", "a/b/c")
    assert code == 2 and "more than one slash" in err


def test_a_bug_exits_70_with_a_traceback_hint(media, capsys, monkeypatch):
    from kratix_lab.cli import kubectl as cli_module

    def boom(args):
        raise KeyError("x")

    monkeypatch.setattr(cli_module, "cmd_describe", boom)  # build_parser binds the command at each main()
    code, _, err = cli(capsys, media, "describe", "ns", "argocd")
    assert code == 70
    assert "Traceback" in err and "KeyError" in err and "kratix-lab bug" in err and "error: 'x'" not in err
