"""The embedded lab end to end: the seed's road on one machine, faithfully and deterministically."""

from __future__ import annotations

import json
import subprocess

import pytest

from kratix_lab import Lab
from kratix_lab.model import dump_all, get_condition, load_one
from kratix_lab.platform.lab import AdmissionError, LabError
from tests.helpers import SAMPLES, SUB_KINDS, needs_shared, run_validator


def git(lab: Lab, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=lab.state_remote_path, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def media_lab(tmp_path_factory):
    lab = Lab(tmp_path_factory.mktemp("media") / "lab")
    lab.submit(SAMPLES / "media.yaml")
    result = lab.settle()
    assert result.quiescent, result
    return lab


def reconciled(obj) -> bool:
    return (get_condition(obj, "Reconciled") or {}).get("status") == "True"


def test_media_and_its_seven_sub_requests_are_reconciled(media_lab):
    orch = media_lab.get("VClusterOrchestrator", "media", "platform-requests")
    assert reconciled(orch), orch["status"]
    assert orch["status"]["message"].startswith("Rendered 7 sub-requests")
    assert get_condition(orch, "ConfigureWorkflowCompleted")["reason"] == "PipelinesExecutedSuccessfully"
    assert get_condition(orch, "WorksSucceeded")["status"] == "True"
    assert orch["status"]["kratix"]["workflows"]["pipelines"][0]["phase"] == "Succeeded"
    for kind in SUB_KINDS:
        sub = media_lab.get(kind, "media", "platform-requests")
        assert sub is not None and reconciled(sub), (kind, sub and sub.get("status"))


def test_state_repo_holds_files_at_kratix_paths_with_kratix_commits(media_lab):
    files = git(media_lab, "ls-tree", "-r", "--name-only", "HEAD").split()
    base = "clusters/the-cluster/resources/platform-requests"
    assert f"{base}/vcluster-core/media/vcluster-core-configure/5058f/namespace-vcluster-media.yaml" in files
    assert f"{base}/vcluster-orchestrator/media/vcluster-orchestrator-configure/5058f/vclustercore-media.yaml" in files
    assert "clusters/the-cluster/dependencies/kratix-canary-namespace.yaml" in files
    messages = git(media_lab, "log", "--format=%s").splitlines()
    placements = media_lab.list("WorkPlacement")
    assert len(placements) == 8
    for wp in placements:
        assert f"Update from: {wp['metadata']['name']}" in messages
        sha = wp["status"]["versionID"]
        assert git(media_lab, "cat-file", "-t", sha).strip() == "commit"
    assert git(media_lab, "log", "-1", "--format=%an <%ae>").strip() == "kratix <kratix@kratix.io>"


def test_argo_apps_are_synced_at_the_head_commit_and_healthy(media_lab):
    head = git(media_lab, "rev-parse", "HEAD").strip()
    state = media_lab.get("Application", "kratix-state-reconciler", "argocd")
    assert state["status"]["sync"] == state["status"]["sync"] | {"status": "Synced", "revision": head}
    assert state["status"]["health"]["status"] == "Healthy"
    platform = media_lab.get("Application", "platform", "argocd")
    assert platform["status"]["sync"]["status"] == "Synced"
    assert platform["status"]["sync"]["revision"] == media_lab.gitops_repo.head()
    app = media_lab.get("Application", "media", "argocd")
    assert app["status"]["sync"]["status"] == "Synced" and app["status"]["health"]["status"] == "Healthy", app["status"]


def test_vcluster_workloads_are_ready(media_lab):
    cp = media_lab.get("StatefulSet", "media", "vcluster-media")
    etcd = media_lab.get("StatefulSet", "media-etcd", "vcluster-media")
    assert cp["spec"]["replicas"] == 3 and cp["status"]["readyReplicas"] == 3
    assert etcd["spec"]["replicas"] == 3 and etcd["status"]["readyReplicas"] == 3
    pods = media_lab.list("Pod", "vcluster-media")
    assert len(pods) >= 7
    for pod in pods:
        if pod["status"].get("phase") == "Succeeded":
            continue
        assert get_condition(pod, "Ready")["status"] == "True", pod["metadata"]["name"]


def test_helm_stage_is_labelled_modelled(media_lab):
    cp = media_lab.get("StatefulSet", "media", "vcluster-media")
    assert cp["metadata"]["annotations"]["kratix-lab.io/modelled"] == "true"
    assert media_lab.get("Secret", "vc-config-media", "vcluster-media") is not None


def test_the_modelled_annotation_is_spelled_once_and_marks_what_the_lab_models(media_lab):
    """One constant for "kratix-lab.io/modelled" (issue 10 item 5): model.MODELLED_ANNOTATION; every lab controller
    that models an object (the chart, the workloads, Kratix's pipeline pods, the lab's own) writes it through that,
    and is_modelled reads it."""
    from pathlib import Path

    import kratix_lab
    from kratix_lab.model import MODELLED_ANNOTATION, is_modelled

    assert MODELLED_ANNOTATION == "kratix-lab.io/modelled"
    root = Path(kratix_lab.__file__).parent
    spelled = [str(p.relative_to(root)) for p in root.rglob("*.py") if f'"{MODELLED_ANNOTATION}"' in p.read_text()]
    assert spelled == ["model/objects.py"]
    kinds = {p["kind"] for p in media_lab.list("Pod") if is_modelled(p)}
    kinds |= {o["kind"] for o in media_lab.list("StatefulSet", "vcluster-media") if is_modelled(o)}
    assert kinds == {"Pod", "StatefulSet"}
    assert not is_modelled({"metadata": {"annotations": {MODELLED_ANNOTATION: "false"}}})
    assert not is_modelled({"metadata": {"annotations": None}}) and not is_modelled({})


def test_pipeline_jobs_and_logs(media_lab):
    jobs = media_lab.list("Job", "platform-requests", {"kratix.io/promise-name": "vcluster-orchestrator"})
    assert len(jobs) == 1
    job = jobs[0]
    assert job["metadata"]["name"].startswith("kratix-vcluster-orchestrator-media-")
    assert job["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Kratix"
    assert get_condition(job, "Complete")["status"] == "True"
    logs = media_lab.logs("VClusterOrchestrator", "media", "platform-requests")
    assert "vCluster media: preset prod" in logs and "wrote vclustercore-media.yaml" in logs


@needs_shared
def test_every_object_in_the_store_validates_upstream(media_lab, tmp_path):
    objs = [o for o in media_lab.store.list() if o["kind"] not in ("Event",)]
    (tmp_path / "objects.yaml").write_text(dump_all(objs))
    res = run_validator(tmp_path)
    assert res.returncode == 0, "\n".join(line for line in res.stdout.splitlines() if not line.startswith("ok"))


def test_two_labs_give_identical_commits(tmp_path):
    shas = []
    for name in ("a", "b"):
        lab = Lab(tmp_path / name)
        lab.submit(SAMPLES / "dev.yaml")
        lab.settle()
        shas.append((git(lab, "log", "--format=%H %s"), lab.gitops_repo.head()))
        lab.close()
    assert shas[0] == shas[1]
    assert len(shas[0][0].splitlines()) >= 9


def test_rejected_requests_never_reach_git_or_a_pipeline(tmp_path):
    lab = Lab(tmp_path / "lab")
    before = lab.gitops_repo.head()
    with pytest.raises(AdmissionError, match=r'spec.vcluster.preset: Unsupported value: "huge"'):
        lab.submit(SAMPLES / "invalid" / "bad-enum.yaml")
    with pytest.raises(AdmissionError, match=r"spec.name: Required value"):
        lab.apply(SAMPLES / "invalid" / "missing-required-field.yaml")
    with pytest.raises(LabError, match="2 documents"):
        lab.submit(SAMPLES / "invalid" / "several-documents.yaml")
    assert lab.gitops_repo.head() == before
    lab.settle()
    assert lab.list("Job") == []


def test_two_vclusters_side_by_side_then_delete_one(tmp_path):
    lab = Lab(tmp_path / "lab")
    lab.submit(SAMPLES / "media.yaml")
    lab.submit(SAMPLES / "dev.yaml")
    assert lab.settle().quiescent
    dns = {cm["metadata"]["name"]: cm["data"] for cm in lab.list("ConfigMap", "kube-system")}
    assert set(dns) == {"coredns-custom-media", "coredns-custom-sandbox"}
    for app in ("media", "sandbox"):
        a = lab.get("Application", app, "argocd")
        assert a["status"]["health"]["status"] == "Healthy"
        assert not [c for c in a["status"].get("conditions", []) if "Warning" in c["type"]]
    state = lab.get("Application", "kratix-state-reconciler", "argocd")
    assert not state["status"].get("conditions"), "no Repeated/SharedResourceWarning"

    lab.delete("VClusterOrchestrator", "media", "platform-requests")
    assert lab.settle().quiescent
    leftovers = [
        f"{o['kind']}/{o['metadata'].get('namespace')}/{o['metadata']['name']}"
        for o in lab.store.list()
        if "media" in json.dumps(o["metadata"])
    ]
    assert leftovers == []
    messages = git(lab, "log", "--format=%s").splitlines()
    assert sum(m.startswith("Delete from: ") and "media" in m for m in messages) == 8
    assert "media" not in git(lab, "ls-tree", "-r", "--name-only", "HEAD")
    events = [e for e in lab.events() if e["reason"] == "PipelineStarted" or "Delete" in e["message"]]
    assert any("delete" in e["message"].lower() for e in events)
    sandbox = lab.get("VClusterOrchestrator", "sandbox", "platform-requests")
    assert reconciled(sandbox)
    assert lab.get("ConfigMap", "coredns-custom-sandbox", "kube-system") is not None


def test_reopening_a_lab_sees_the_same_state(tmp_path):
    lab = Lab(tmp_path / "lab")
    lab.submit(SAMPLES / "dev.yaml")
    lab.settle()
    count = len(lab.store.list())
    lab.close()
    again = Lab(tmp_path / "lab", create=False)
    assert len(again.store.list()) == count
    assert again.settle().steps == 1


def test_not_a_lab(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "file").write_text("mine")
    with pytest.raises(LabError, match="is not a lab"):
        Lab(tmp_path / "x")
    with pytest.raises(LabError, match="no lab here"):
        Lab(tmp_path / "y", create=False)


def test_manual_reconciliation_reruns_the_pipeline(tmp_path):
    lab = Lab(tmp_path / "lab")
    lab.submit(SAMPLES / "dev.yaml")
    lab.settle()
    lab.reconcile("VClusterCore", "sandbox", "platform-requests")
    lab.settle()
    core = lab.get("VClusterCore", "sandbox", "platform-requests")
    assert "kratix.io/manual-reconciliation" not in core["metadata"].get("labels", {})
    assert len(lab.list("Job", "platform-requests", {"kratix.io/promise-name": "vcluster-core"})) == 2
    assert reconciled(core)


def test_values_in_the_cluster_match_git(media_lab):
    cm = media_lab.get("ConfigMap", "media-vcluster-values", "vcluster-media")
    app = media_lab.get("Application", "media", "argocd")
    assert load_one(cm["data"]["values.yaml"]) == app["spec"]["source"]["helm"]["valuesObject"]


def test_the_state_repo_log_reads_right_after_a_push_in_a_long_lived_process(tmp_path):
    """A Lab kept open (a notebook, the dashboard) reads the state remote's history after each round's push;
    gitpython's pack cache went stale and raised BadObject on the first read."""
    lab = Lab(tmp_path / "lab")
    assert lab.state_remote.log() == []  # nothing pushed yet; gitpython has opened the object store
    lab.submit(SAMPLES / "media.yaml")
    for _ in range(4):
        lab.step()
        head = lab.state_remote.head()
        assert lab.state_remote.log()[0].sha == head
        assert lab.state_remote.show(head).sha == head
    lab.close()


def test_a_failing_delete_pipeline_is_not_rerun_until_asked_and_settle_goes_quiet(tmp_path):
    """kratix lib/workflow/reconciler.go:69-148: a failed delete Job is reported
    (ErrDeletePipelineFailed, DeleteWorkflowCompleted=False "The Delete Pipeline has failed") and no new
    Job is created until the request carries ``kratix.io/manual-reconciliation`` (:105-121); the lab used
    to rerun it every round (1000 failed Jobs), then with backoff. The Job retries its own pod
    (restartPolicy OnFailure)."""
    lab = Lab(tmp_path / "lab")
    lab.apply(SAMPLES / "argocd-project.yaml")
    assert lab.settle().quiescent
    lab.faults.inject("pipeline-fails", promise="argocd-project")
    [project] = lab.list("ArgocdProject")
    name, ns = project["metadata"]["name"], project["metadata"]["namespace"]
    lab.delete("ArgocdProject", name, ns)
    assert lab.settle().quiescent

    def delete_jobs():
        return [j for j in lab.list("Job") if j["metadata"]["labels"].get("kratix.io/workflow-action") == "delete"]

    assert len(delete_jobs()) == 1
    assert delete_jobs()[0]["spec"]["template"]["spec"]["restartPolicy"] == "OnFailure"
    lab.run_for(1800)
    assert len(delete_jobs()) == 1, "not re-run on its own"
    cond = get_condition(lab.get("ArgocdProject", name, ns), "DeleteWorkflowCompleted")
    assert (cond["status"], cond["reason"], cond["message"]) == (
        "False",
        "DeleteWorkflowFailed",
        "The Delete Pipeline has failed",
    )
    lab.faults.clear("pipeline-fails")
    lab.run_for(700)
    assert lab.get("ArgocdProject", name, ns) is not None, "still waiting for someone to ask"
    lab.reconcile("ArgocdProject", name, ns)
    lab.settle()
    assert lab.list("ArgocdProject") == []
    lab.close()
