"""Every lab fault: injected, observed the way a real cluster shows it, cleared, and healthy again."""

from __future__ import annotations

import subprocess

import pytest

from kratix_lab.kube.health import assess
from kratix_lab.model import get_condition
from kratix_lab.platform.faults import FAULTS, FaultError


def cond(obj, ctype):
    return get_condition(obj, ctype) or {}


def heads(lab):
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=lab.state_remote_path, capture_output=True, text=True
    ).stdout.strip()


def second_vcluster(lab, name="extra"):
    lab.submit(
        {
            "apiVersion": "platform.integratn.tech/v1alpha1",
            "kind": "VClusterOrchestrator",
            "metadata": {"name": name, "namespace": "platform-requests"},
            "spec": {"name": name},
        }
    )


def all_healthy(lab):
    for app in lab.list("Application", "argocd"):
        assert app["status"]["sync"]["status"] == "Synced", (app["metadata"]["name"], app["status"])
        assert app["status"]["health"]["status"] == "Healthy", (app["metadata"]["name"], app["status"]["health"])
    for kind in ("VClusterOrchestrator", "VClusterCore", "ArgocdApplication"):
        for obj in lab.list(kind):
            assert cond(obj, "Reconciled").get("status") == "True", (kind, obj["status"])


def test_fault_catalogue_and_bad_input(lab):
    assert {"pipeline-fails", "destination-unlabelled", "statestore-push-rejected", "argocd-autosync-disabled",
            "pipeline-image-stale", "workload-crashloop", "workload-oomkilled"} <= set(FAULTS)  # fmt: skip
    with pytest.raises(FaultError, match="unknown fault 'gremlins'"):
        lab.faults.inject("gremlins")
    with pytest.raises(FaultError, match="has no parameter"):
        lab.faults.inject("pipeline-fails", colour="red")
    with pytest.raises(FaultError, match="is not active"):
        lab.faults.clear("pipeline-fails")
    with pytest.raises(FaultError, match="no Destination named 'nowhere'"):
        lab.faults.inject("destination-unlabelled", destination="nowhere")
    assert lab.faults.active() == {}, "a refused injection leaves nothing behind"


def test_pipeline_fails(lab):
    files_before = heads(lab)
    lab.faults.inject("pipeline-fails", promise="vcluster-core")
    lab.reconcile("VClusterCore", "sandbox", "platform-requests")
    lab.settle()
    core = lab.get("VClusterCore", "sandbox", "platform-requests")
    # a failure sets conditions only; the message stays the run's "Pending" (kratix lib/workflow/reconciler.go:428-445)
    assert core["status"]["message"] == "Pending"
    assert cond(core, "ConfigureWorkflowCompleted")["reason"] == "ConfigureWorkflowFailed"
    assert cond(core, "Reconciled")["status"] == "False"
    jobs = lab.list("Job", "platform-requests", {"kratix.io/promise-name": "vcluster-core"})
    assert any(cond(j, "Failed").get("status") == "True" for j in jobs)
    assert "error: render failed" in lab.logs("VClusterCore", "sandbox", "platform-requests")
    assert any(e["reason"] == "ConfigureWorkflowFailed" for e in lab.events("VClusterCore", "sandbox"))
    assert heads(lab) == files_before, "the previous Work stays: nothing new reaches the state store"
    assert lab.get("Namespace", "vcluster-sandbox") is not None
    lab.faults.clear("pipeline-fails")
    lab.reconcile("VClusterCore", "sandbox", "platform-requests")
    lab.settle()
    all_healthy(lab)


def test_destination_unlabelled(lab):
    lab.faults.inject("destination-unlabelled")
    assert "integratn.tech/cluster-role" not in lab.get("Destination", "the-cluster")["metadata"]["labels"]
    second_vcluster(lab)
    lab.settle()
    orch = lab.get("VClusterOrchestrator", "extra", "platform-requests")
    assert cond(orch, "WorksSucceeded")["reason"] == "WorksPending"
    assert cond(orch, "Reconciled")["status"] == "Unknown"
    (work,) = lab.list("Work", "platform-requests", {"kratix.io/resource-name": "extra"})
    assert cond(work, "Ready")["reason"] == "UnscheduledWorkloads"
    assert "No matching destination found" in cond(work, "ScheduleSucceeded")["message"]
    placed = lab.list("WorkPlacement", "platform-requests", {"kratix.io/resource-name": "sandbox"})
    assert placed and all(wp["metadata"]["labels"].get("kratix.io/misplaced") == "true" for wp in placed)
    lab.faults.clear("destination-unlabelled")
    lab.run_for(120)
    lab.settle()
    # Kratix never removes the label (kratix scheduler.go:300-327); the placement's condition says it is fine again
    for wp in placed:
        wp = lab.get("WorkPlacement", wp["metadata"]["name"], "platform-requests")
        assert wp["metadata"]["labels"].get("kratix.io/misplaced") == "true"
        assert cond(wp, "ScheduleSucceeded")["reason"] == "ScheduledToDestination"
        assert cond(wp, "Ready")["status"] == "True"
    all_healthy(lab)
    assert lab.get("VClusterOrchestrator", "extra", "platform-requests") is not None


def test_statestore_push_rejected(lab):
    before = heads(lab)
    lab.faults.inject("statestore-push-rejected")
    second_vcluster(lab)
    lab.settle()
    assert heads(lab) == before, "no commit reached the remote"
    wps = lab.list("WorkPlacement", "platform-requests", {"kratix.io/resource-name": "extra"})
    (wp,) = wps
    assert cond(wp, "WriteSucceeded")["status"] == "False"
    assert "remote rejected" in cond(wp, "WriteSucceeded")["message"]
    (work,) = lab.list("Work", "platform-requests", {"kratix.io/resource-name": "extra"})
    assert cond(work, "Ready")["reason"] == "WorkplacementsFailing"
    orch = lab.get("VClusterOrchestrator", "extra", "platform-requests")
    assert cond(orch, "WorksSucceeded")["reason"] == "WorksFailing"
    assert any(e["reason"] == "StateStoreWriteFailed" for e in lab.events("WorkPlacement"))
    lab.faults.clear("statestore-push-rejected")
    lab.settle()
    assert heads(lab) != before
    all_healthy(lab)


def test_argocd_autosync_disabled(lab):
    lab.faults.inject("argocd-autosync-disabled")
    app = lab.get("Application", "kratix-state-reconciler", "argocd")
    assert "automated" not in app["spec"]["syncPolicy"]
    second_vcluster(lab)
    lab.settle()
    app = lab.get("Application", "kratix-state-reconciler", "argocd")
    assert app["status"]["sync"]["status"] == "OutOfSync"
    assert app["status"]["sync"]["revision"] == heads(lab), "Argo CD compared the new commit but did not sync"
    assert lab.get("VClusterCore", "extra", "platform-requests") is None, "sub-requests never reach the cluster"
    lab.faults.clear("argocd-autosync-disabled")
    lab.settle()
    all_healthy(lab)
    assert lab.get("VClusterCore", "extra", "platform-requests") is not None


def test_pipeline_image_stale(lab):
    lab.faults.inject("pipeline-image-stale")
    promise = lab.get("Promise", "vcluster-argocd-cluster-registration")
    image = promise["spec"]["workflows"]["resource"]["configure"][0]["spec"]["containers"][0]["image"]
    assert image.endswith(":v0.0.9")
    lab.settle()
    logs = lab.logs("VClusterArgocdClusterRegistration", "sandbox", "platform-requests")
    assert "kratix-lab-pipeline v0.0.9" in logs
    files = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", "HEAD"], cwd=lab.state_remote_path, capture_output=True, text=True
    ).stdout
    assert "/secret-sandbox-cluster.yaml" in files, "the old release writes a plain Secret to git"
    secret = lab.get("Secret", "sandbox-cluster", "argocd")
    assert "argocd.argoproj.io/tracking-id" in secret["metadata"]["annotations"]
    lab.faults.clear("pipeline-image-stale")
    lab.settle()
    files = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", "HEAD"], cwd=lab.state_remote_path, capture_output=True, text=True
    ).stdout
    assert "/secret-sandbox-cluster.yaml" not in files and "externalsecret-sandbox-cluster.yaml" in files
    all_healthy(lab)


@pytest.mark.parametrize(
    ("fault", "reason", "code"), [("workload-crashloop", "Error", 1), ("workload-oomkilled", "OOMKilled", 137)]
)
def test_workload_faults(lab, fault, reason, code):
    lab.faults.inject(fault, namespace="vcluster-sandbox", name="sandbox-0")
    lab.run_for(60)
    pod = lab.get("Pod", "sandbox-0", "vcluster-sandbox")
    (cs,) = [c for c in pod["status"]["containerStatuses"] if c["name"] == "syncer"] or pod["status"][
        "containerStatuses"
    ][:1]
    assert cs["restartCount"] >= 2
    assert cs["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert cs["lastState"]["terminated"]["reason"] == reason and cs["lastState"]["terminated"]["exitCode"] == code
    assert any(e["reason"] == "BackOff" for e in lab.events("Pod", "sandbox-0", "vcluster-sandbox"))
    assert lab.logs("Pod", "sandbox-0", "vcluster-sandbox")
    # Argo CD rates a StatefulSet with unready pods Progressing (not Degraded); the pod itself is Degraded
    app = lab.get("Application", "sandbox", "argocd")
    assert app["status"]["health"]["status"] == "Progressing"
    pod_health = assess(pod)
    assert pod_health.status == "Degraded" and "last termination: " + reason in pod_health.message
    lab.faults.clear(fault)
    lab.run_for(400)
    lab.settle()
    all_healthy(lab)


def test_faults_work_over_a_bare_store_with_no_lab(tmp_path):
    """Faults take the lab's Store, nothing else of it (issue 10 item 5: no lab<->faults cycle, enforced by the
    import contract "the lab's faults work over its Store"): inject, refuse, clear against a Store alone."""
    from kratix_lab.platform.faults import Faults
    from kratix_lab.platform.store import Store

    store = Store(tmp_path / "store.sqlite")
    store.create(
        {
            "apiVersion": "platform.kratix.io/v1alpha1",
            "kind": "Destination",
            "metadata": {"name": "the-cluster", "labels": {"integratn.tech/cluster-role": "host", "env": "lab"}},
            "spec": {},
        }
    )
    faults = Faults(store)
    with pytest.raises(FaultError, match="no Destination named 'the-clustr'.*did you mean the-cluster"):
        faults.inject("destination-unlabelled", destination="the-clustr")
    assert faults.active() == {}
    faults.inject("destination-unlabelled")
    assert store.get("Destination", "the-cluster", group="platform.kratix.io")["metadata"]["labels"] == {"env": "lab"}
    assert set(Faults(store).active()) == {"destination-unlabelled"}  # kept in the store's meta, not in the object
    assert any(e["reason"] == "FaultInjected" for e in store.events())
    faults.clear("destination-unlabelled")
    labels = store.get("Destination", "the-cluster", group="platform.kratix.io")["metadata"]["labels"]
    assert labels == {"env": "lab", "integratn.tech/cluster-role": "host"}
    assert faults.active() == {}
    with pytest.raises(FaultError, match="fault destination-unlabelled is not active"):
        faults.clear("destination-unlabelled")
