"""Trace and diagnose over the lab: a healthy road, every fault found at its stage, clear verdicts."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from kratix_lab.cli import main
from kratix_lab.diagnose import RULES, diagnose, fleet
from kratix_lab.platform.hostdns import resolve_in
from kratix_lab.platform.lab import GITOPS_IDENTITY, Lab
from kratix_lab.sources.lab import LabSource
from kratix_lab.trace import TraceError, trace
from kratix_lab.views import trace_view as tv
from tests.helpers import SAMPLES

EXTRA = {
    "apiVersion": "platform.integratn.tech/v1alpha1",
    "kind": "VClusterOrchestrator",
    "metadata": {"name": "extra", "namespace": "platform-requests"},
    "spec": {"name": "extra"},
}


def git(lab, *args):
    return subprocess.run(["git", *args], cwd=lab.state_remote_path, capture_output=True, text=True, check=True).stdout


def test_healthy_media_is_healthy_at_every_stage_and_shas_match(tmp_path):
    lab = Lab(tmp_path / "lab")
    lab.submit(SAMPLES / "media.yaml")
    lab.settle()
    source = LabSource(lab)
    root = trace(source, "vclusterorchestrators", "media")
    nodes = [n for n, _ in root.walk()]
    assert {n.health for n in nodes} == {"Healthy"}
    assert {"request", "pipeline", "work", "placement", "commit", "sync", "object", "helm", "workload", "pod"} <= {
        n.stage for n in nodes
    }
    assert sum(n.stage == "request" for n in nodes) == 8, "the orchestrator and its seven sub-requests"
    head = git(lab, "rev-parse", "HEAD").strip()
    state_app = lab.get("Application", "kratix-state-reconciler", "argocd")
    assert state_app["status"]["sync"]["revision"] == head
    for n in nodes:
        if n.stage == "placement":
            (commit,) = n.children
            assert commit.evidence["sha"] == n.evidence["versionID"]
            assert git(lab, "cat-file", "-t", commit.evidence["sha"]).strip() == "commit"
            (sync,) = commit.children
            assert sync.evidence["revision"] == head
            assert commit.evidence["files"], "the files the commit wrote"
    helm = next(n for n in nodes if n.stage == "helm")
    assert helm.evidence["chart"] == "vcluster" and helm.evidence["version"] == "0.30.4"
    assert helm.evidence["values"]["controlPlane"]["statefulSet"]["highAvailability"]["replicas"] == 3
    pods = [n for n in nodes if n.stage == "pod"]
    assert len(pods) == 7
    d = diagnose(source, "VClusterOrchestrator", "media", "platform-requests")
    assert d.healthy and d.findings == []
    assert d.verdict == "healthy: VClusterOrchestrator/platform-requests/media is Healthy at every stage"


def test_at_least_twelve_rules():
    assert len(RULES) >= 12


def inject(lab, fault, **params):
    lab.faults.inject(fault, **params)


SCENARIOS = [
    # fault, params, action, request traced, expected rule, expected stage, words in the verdict
    (
        "pipeline-fails",
        {"promise": "vcluster-core"},
        "reconcile",
        "sandbox",
        "pipeline-failed",
        "pipeline",
        "render failed",
    ),
    ("destination-unlabelled", {}, "extra", "extra", "work-unscheduled", "work", "no Destination matches"),
    ("destination-unlabelled", {}, "reconcile", "sandbox", "work-misplaced", "placement", "misplaced"),
    (
        "statestore-push-rejected",
        {},
        "extra",
        "extra",
        "statestore-write-failed",
        "placement",
        "cannot write to the state store",
    ),
    ("argocd-autosync-disabled", {}, "extra", "extra", "commit-not-synced", "sync", "automated sync is off"),
    ("pipeline-image-stale", {}, None, "sandbox", "output-secret", "commit", "plain Secret"),
    (
        "workload-oomkilled",
        {"namespace": "vcluster-sandbox", "name": "sandbox-0"},
        "run",
        "sandbox",
        "pod-oomkilled",
        "pod",
        "ran out of memory",
    ),
    (
        "secret-item-missing",
        {"item": "vcluster-sandbox-kubeconfig"},
        "run",
        "sandbox",
        "external-secret-failed",
        "object",
        "vcluster-sandbox-kubeconfig",
    ),
    (
        "workload-crashloop",
        {"namespace": "vcluster-sandbox", "name": "sandbox-0"},
        "run",
        "sandbox",
        "pod-crashloop",
        "pod",
        "CrashLoopBackOff",
    ),
]


@pytest.mark.parametrize(
    ("fault", "params", "action", "name", "rule_id", "stage", "words"),
    SCENARIOS,
    ids=[f"{s[0]}-{s[4]}" for s in SCENARIOS],
)
def test_each_fault_is_found_at_its_stage_and_clears(lab, fault, params, action, name, rule_id, stage, words):
    inject(lab, fault, **params)
    if action == "reconcile":
        lab.reconcile("VClusterCore", "sandbox", "platform-requests")
    elif action == "extra":
        lab.submit(EXTRA)
    lab.settle()
    if action == "run":
        lab.run_for(60)
    source = LabSource(lab)
    d = diagnose(source, "VClusterOrchestrator", name, "platform-requests")
    ids = [f.id for f in d.findings]
    assert rule_id in ids, (ids, d.verdict)
    top = d.findings[0]
    assert (top.id, top.stage) == (rule_id, stage), (ids, d.verdict)
    assert top.fix and top.object
    # every command a fix quotes names its object as KIND/NAME, the form every command takes (issue 10); a bare
    # KIND lists (`get jobs -n …`)
    for f in d.findings:
        for command in re.findall(r"kratix-lab (?:get|describe|reconcile|delete|trace|diagnose|logs) ([^`]*)", f.fix):
            args = command.split()
            kind_then_name = len(args) >= 2 and "/" not in args[0] and not {args[0][0], args[1][0]} & {"-", ">", "|"}
            assert not kind_then_name, (f.id, command)
    assert d.verdict.startswith("stuck at ") and words in d.verdict and "→" in d.verdict, d.verdict
    assert "since 2026-01-01T" in d.verdict
    lab.faults.clear(fault)
    if action == "reconcile" or fault in ("pipeline-fails",):
        lab.reconcile("VClusterCore", "sandbox", "platform-requests")
    lab.run_for(400)
    lab.settle()
    after = diagnose(source, "VClusterOrchestrator", name, "platform-requests")
    assert after.healthy, after.verdict


def test_a_request_the_api_server_refused(lab):
    # committed straight to the gitops repo (skipping submit's check): Argo CD's apply is refused
    text = (SAMPLES / "invalid" / "bad-enum.yaml").read_text()
    lab.gitops_repo.write_files(
        {"platform/vclusters/huge.yaml": text.encode()}, "add huge", GITOPS_IDENTITY, lab.store.now_seconds()
    )
    lab.gitops_repo.sync_worktree()
    lab.settle()
    d = diagnose(LabSource(lab), "VClusterOrchestrator", "huge", "platform-requests")
    # the cause is the Application whose sync the API server refused, not the request's absence (issue 17 item 1)
    assert [(f.id, f.object) for f in d.findings] == [("sync-failed", "Application/argocd/platform")]
    assert d.verdict.startswith("stuck at Argo CD sync since "), d.verdict
    assert 'spec.vcluster.preset: Unsupported value: "huge"' in d.verdict
    assert "is in git (Argo CD application platform lists it" in d.trace.message


def test_a_request_waiting_for_a_destination(lab):
    lab.faults.inject("destination-unlabelled")
    lab.submit(EXTRA)
    lab.settle()
    d = diagnose(LabSource(lab), "VClusterOrchestrator", "extra")
    assert d.verdict.startswith("stuck at Work since ")
    assert "no Destination matches the selectors integratn.tech/cluster-role=control-plane:" in d.verdict
    assert (
        "`kratix-lab get destination/the-cluster -o yaml > destination.yaml`, add integratn.tech/cluster-role=control-plane"
        in d.verdict
    )


def test_a_failed_pipeline_verdict_names_the_logs_and_the_fix(lab):
    lab.faults.inject("pipeline-fails", promise="vcluster-core")
    lab.reconcile("VClusterCore", "sandbox", "platform-requests")
    lab.settle()
    d = diagnose(LabSource(lab), "VClusterCore", "sandbox", "platform-requests")
    assert d.verdict.startswith("stuck at pipeline run since ")
    assert "pipeline vcluster-core-configure failed: " in d.verdict
    assert "kratix-lab logs vclustercore/sandbox -n platform-requests" in d.verdict
    assert "kratix-lab reconcile vclustercore/sandbox -n platform-requests" in d.verdict
    assert d.findings[0].evidence["logTail"]


def test_leftovers_after_delete_are_found(lab):
    lab.delete("VClusterOrchestrator", "sandbox", "platform-requests")
    lab.settle()
    clean = diagnose(LabSource(lab), "VClusterOrchestrator", "sandbox")
    assert clean.deleted and clean.findings == [] and not clean.healthy
    assert clean.verdict.startswith("deleted: VClusterOrchestrator/sandbox is gone (its delete pipeline completed at")
    assert main(["--lab", str(lab.path), "diagnose", "vclusterorchestrator/sandbox"]) == 0
    never = diagnose(LabSource(lab), "VClusterOrchestrator", "never-was")
    assert [f.id for f in never.findings] == ["request-missing"] and not never.deleted
    lab.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "orphan", "namespace": "default", "labels": {"kratix.io/resource-name": "sandbox"}},
        }
    )
    d = diagnose(LabSource(lab), "VClusterOrchestrator", "sandbox")
    assert "leftovers-after-delete" in [f.id for f in d.findings] and not d.deleted


def test_views(lab):
    d = diagnose(LabSource(lab), "VClusterOrchestrator", "sandbox")
    data = json.loads(tv.to_json(tv.diagnosis_json(d)))
    assert data["schema"] == "kratix-lab.trace/v1" and data["healthy"] is True
    assert data["trace"]["stage"] == "request" and data["trace"]["children"]
    assert tv.diagnosis_markdown(d).startswith("# VClusterOrchestrator/platform-requests/sandbox")
    mermaid = tv.trace_mermaid(d.trace)
    assert mermaid.startswith("flowchart TD") and ":::healthy" in mermaid


def test_unknown_kind_and_bad_ref(lab):
    with pytest.raises(TraceError, match='no installed Promise serves kind "pizza"'):
        trace(LabSource(lab), "pizza", "x")


def test_cli_trace_diagnose_status(lab, capsys):
    args = ["--lab", str(lab.path)]
    assert main([*args, "trace", "vclusterorchestrator/sandbox"]) == 0
    assert "healthy: VClusterOrchestrator/platform-requests/sandbox" in capsys.readouterr().out
    assert (
        main([*args, "trace", "vclusterorchestrator/sandbox", "--watch", "--interval", "0", "--watch-count", "2"]) == 0
    )
    assert "Healthy" in capsys.readouterr().out
    for fmt, marker in (
        ("wide", "versionID="),
        ("md", "**Verdict:**"),
        ("mermaid", "flowchart TD"),
        ("json", '"schema"'),
    ):
        assert main([*args, "trace", "vclusterorchestrator/platform-requests/sandbox", "-o", fmt]) == 0
        assert marker in capsys.readouterr().out, fmt
    assert main([*args, "diagnose", "vclusterorchestrator/sandbox", "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["healthy"] is True
    assert main([*args, "status", "-o", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["name"] == "sandbox" and row["health"] == "Healthy" and row["preset"] == "dev"
    lab.faults.inject("pipeline-fails", promise="vcluster-core")
    lab.reconcile("VClusterCore", "sandbox", "platform-requests")
    lab.settle()
    assert main([*args, "diagnose", "--all"]) == 1
    assert "stuck at pipeline run" in capsys.readouterr().out
    assert main([*args, "diagnose", "pizza/x"]) == 2
    assert main([*args, "trace", "nonsense"]) == 2
    assert "expected KIND/NAME" in capsys.readouterr().err
    rows = fleet(LabSource(lab))
    assert rows[0].stage == "pipeline" and rows[0].health == "Degraded"


def request(kind, name, spec):
    return {
        "apiVersion": "platform.integratn.tech/v1alpha1",
        "kind": kind,
        "metadata": {"name": name, "namespace": "platform-requests"},
        "spec": spec,
    }


APP_SPEC = {
    "name": "demo",
    "project": "nowhere",
    "source": {
        "repoURL": "https://charts.loft.sh",
        "chart": "vcluster",
        "targetRevision": "0.30.4",
        "helm": {"releaseName": "demo"},
    },
    "destination": {"namespace": "default"},
}


def test_application_project_missing_then_fixed(lab):
    lab.apply(request("ArgocdApplication", "demo", APP_SPEC))
    lab.settle()
    source = LabSource(lab)
    d = diagnose(source, "ArgocdApplication", "demo")
    assert (d.findings[0].id, d.findings[0].stage) == ("app-invalid-spec", "helm")
    assert [f.id for f in d.findings] == ["app-invalid-spec"], "a refused Application was never rendered"
    assert "project nowhere which does not exist" in d.verdict
    lab.apply(
        request(
            "ArgocdProject",
            "nowhere",
            {"name": "nowhere", "sourceRepos": ["*"], "destinations": [{"namespace": "*", "server": "*"}]},
        )
    )
    lab.settle()
    assert diagnose(source, "ArgocdApplication", "demo").healthy


def test_invalid_helm_values_then_fixed(lab):
    spec = {**APP_SPEC, "project": "default"}
    spec["source"] = {
        **spec["source"],
        "helm": {
            "releaseName": "demo",
            "valuesObject": {"controlPlane": {"statefulSet": {"highAvailability": {"replicas": "three"}}}},
        },
    }
    lab.run_for(300)  # the last sync is long before the bad values arrive
    lab.apply(request("ArgocdApplication", "demo", spec))
    lab.settle()
    source = LabSource(lab)
    d = diagnose(source, "ArgocdApplication", "demo")
    assert d.findings[0].id == "helm-values-invalid" and d.findings[0].stage == "helm"
    assert source.now() - d.findings[0].since < 120, "stuck since the error appeared, not since the last sync"
    assert "controlPlane.statefulSet.highAvailability.replicas" in d.verdict
    spec["source"]["helm"]["valuesObject"]["controlPlane"]["statefulSet"]["highAvailability"]["replicas"] = 1
    lab.apply(request("ArgocdApplication", "demo", spec))
    lab.settle()
    assert diagnose(source, "ArgocdApplication", "demo").healthy


def test_sync_failed_then_fixed(lab):
    # reads the item the sandbox's kubeconfig sync writes, so once served it syncs (tests/test_external_secrets.py)
    spec = {
        "name": "old",
        "targetNamespace": "default",
        "externalSecretsApiVersion": "v1beta1",
        "remoteKey": "vcluster-sandbox-kubeconfig",
    }
    lab.apply(request("VClusterKubeconfigExternalSecret", "old", spec))
    lab.settle()
    source = LabSource(lab)
    d = diagnose(source, "VClusterKubeconfigExternalSecret", "old")
    assert d.findings[0].id == "sync-failed"
    assert 'no matches for kind "ExternalSecret" in version "external-secrets.io/v1beta1"' in d.verdict
    assert diagnose(source, "VClusterOrchestrator", "sandbox").healthy, "another request's failure is not sandbox's"
    lab.apply(request("VClusterKubeconfigExternalSecret", "old", {**spec, "externalSecretsApiVersion": "v1"}))
    lab.settle()
    assert diagnose(source, "VClusterKubeconfigExternalSecret", "old").healthy


def test_object_written_by_two_works(lab):
    project = {"name": "shared", "sourceRepos": ["*"], "destinations": [{"namespace": "*", "server": "*"}]}
    lab.apply(request("ArgocdProject", "one", project))
    lab.apply(request("ArgocdProject", "two", {**project, "description": "the second writer"}))
    lab.settle()
    source = LabSource(lab)
    d = diagnose(source, "ArgocdProject", "one")
    assert "object-written-twice" in [f.id for f in d.findings]
    assert "RepeatedResourceWarning" in next(f.message for f in d.findings if f.id == "object-written-twice")
    lab.delete("ArgocdProject", "two", "platform-requests")
    lab.settle()
    assert diagnose(source, "ArgocdProject", "one").healthy


def test_promise_unavailable_then_fixed(lab):
    promise = lab.get("Promise", "argocd-project")
    promise["spec"]["requiredPromises"] = [{"name": "cert-manager", "version": "v1.0.0"}]
    lab.store.update(promise)
    lab.apply(request("ArgocdProject", "waiting", {"name": "waiting", "destinations": [{"namespace": "*"}]}))
    lab.settle()
    source = LabSource(lab)
    d = diagnose(source, "ArgocdProject", "waiting")
    assert d.findings[0].id == "promise-unavailable"
    assert "cert-manager" in d.verdict
    promise = lab.get("Promise", "argocd-project")
    promise["spec"].pop("requiredPromises")
    lab.store.update(promise)
    lab.settle()
    assert diagnose(source, "ArgocdProject", "waiting").healthy


def test_stale_image_output_misses_the_ownership_labels(lab):
    lab.faults.inject("pipeline-image-stale")
    lab.settle()
    d = diagnose(LabSource(lab), "VClusterOrchestrator", "sandbox")
    ids = [f.id for f in d.findings]
    assert {"output-secret", "output-missing-labels", "pipeline-image-stale"} <= set(ids), ids
    lab.faults.clear("pipeline-image-stale")
    lab.settle()
    assert diagnose(LabSource(lab), "VClusterOrchestrator", "sandbox").healthy


def test_a_chart_the_lab_does_not_model_then_fixed(lab):
    spec = {**APP_SPEC, "project": "default"}
    spec["source"] = {"repoURL": "https://charts.bitnami.com/bitnami", "chart": "nginx", "targetRevision": "18.0.0"}
    lab.apply(request("ArgocdApplication", "demo", spec))
    lab.settle()
    source = LabSource(lab)
    d = diagnose(source, "ArgocdApplication", "demo")
    assert (d.findings[0].id, d.findings[0].stage) == ("helm-render-failed", "helm")
    assert "not modelled by kratix-lab" in d.verdict
    spec["source"] = APP_SPEC["source"]
    lab.apply(request("ArgocdApplication", "demo", spec))
    lab.settle()
    assert diagnose(source, "ArgocdApplication", "demo").healthy


def test_an_unapplied_commit_is_stuck_since_it_was_written_not_since_the_last_sync(lab):
    lab.run_for(900)  # the last sync is now long ago
    inject(lab, "argocd-autosync-disabled")
    lab.submit(EXTRA)
    lab.settle()
    source = LabSource(lab)
    d = diagnose(source, "VClusterOrchestrator", "extra", "platform-requests")
    top = d.findings[0]
    assert top.id == "commit-not-synced"
    commit = next(n for n, _ in d.trace.walk() if n.stage == "commit" and top.object in [c.ref for c in n.children])
    assert top.since == commit.since, (top.since, commit.since)
    assert source.now() - top.since < 120, d.verdict


def test_a_shared_object_is_blamed_on_its_writers_only(lab):
    project = {"name": "shared", "sourceRepos": ["*"], "destinations": [{"namespace": "*", "server": "*"}]}
    lab.apply(request("ArgocdProject", "one", project))
    lab.apply(request("ArgocdProject", "two", {**project, "description": "the second writer"}))
    lab.settle()
    source = LabSource(lab)
    assert "object-written-twice" in [f.id for f in diagnose(source, "ArgocdProject", "two").findings]
    sandbox = diagnose(source, "VClusterOrchestrator", "sandbox", "platform-requests")
    assert sandbox.healthy, sandbox.verdict


def test_external_etcd_without_an_endpoint_crash_loops_and_diagnose_names_the_value_then_fixed(lab):
    """vcluster v0.30.5 with ``controlPlane.backingStore.etcd.external.enabled`` and no endpoint: the chart renders
    (values.schema.json ``EtcdExternal`` requires nothing) but the control plane dials ``https://`` and never starts:
    ``Couldn't connect to etcd (will retry in a second)`` (pkg/etcd/util.go:27-48), ``Error running k8s: waited until
    timeout for the api to be up`` after 5 minutes (pkg/k8s/k8s.go:128-131, 368-401; pkg/setup/initialize.go:
    131-142) and exit 1; the kubelet restarts it (CrashLoopBackOff between runs), never Ready, so the syncer never
    writes ``vc-<name>`` (pkg/setup/controllers.go:285-326 runs after start-up). With the endpoint it starts."""
    spec = {"name": "etcd", "vcluster": {"backingStore": {"etcd": {"external": {"enabled": True}}}}}
    lab.submit(request("VClusterOrchestrator", "etcd", spec))
    lab.settle()
    source = LabSource(lab)
    (pod,) = lab.list("Pod", "vcluster-etcd", {"app": "vcluster", "release": "etcd"})
    pod_name = pod["metadata"]["name"]
    waits = set()
    for _ in range(12):  # ~20 minutes: it runs 5 minutes each time, then waits out its back-off
        lab.run_for(100)
        pod = lab.get("Pod", pod_name, "vcluster-etcd")
        (syncer,) = pod["status"]["containerStatuses"]
        assert syncer["ready"] is False and pod["status"]["phase"] == "Running"
        waits.add((syncer["state"].get("waiting") or {}).get("reason"))
    assert "CrashLoopBackOff" in waits, waits
    assert syncer["restartCount"] >= 3
    assert syncer["lastState"]["terminated"]["exitCode"] == 1
    assert (lab.get("Deployment", "etcd", "vcluster-etcd")["status"].get("readyReplicas") or 0) == 0
    assert lab.get("Secret", "vc-etcd", "vcluster-etcd") is None, "the syncer never started: no kubeconfig Secret"
    log = lab.logs("Pod", pod_name, "vcluster-etcd", container="syncer")
    assert "Couldn't connect to etcd (will retry in a second): open : no such file or directory" in log
    assert "Error running k8s: waited until timeout for the api to be up" in log
    d = diagnose(source, "VClusterOrchestrator", "etcd", "platform-requests")
    top = d.findings[0]
    assert (top.id, top.stage) == ("vcluster-etcd-endpoint-missing", "helm"), [f.id for f in d.findings]
    assert "controlPlane.backingStore.etcd.external.endpoint is empty" in top.message
    assert "spec.vcluster.backingStore.etcd.external.endpoint of vclusterorchestrator/etcd -n platform-requests" in (
        top.fix
    )
    assert f"kratix-lab logs pod/{pod_name} -n vcluster-etcd -c syncer" in top.fix
    ids = [f.id for f in d.findings]
    assert "pod-crashloop" not in ids and "helm-render-failed" not in ids, "the cause, not its symptoms"
    assert "host-dns-unresolved" not in ids, "its names come with the control plane: not a cause"
    # the credential chain waits on the control plane: the kubeconfig sync has no vc-etcd to read, so the 1Password
    # item it writes is missing and the ExternalSecrets reading it fail; their fix points back at the control plane
    chained = [f for f in d.findings if f.id == "external-secret-failed"]
    assert chained and all("has nothing to write: it reads Secret vc-etcd in vcluster-etcd" in f.fix for f in chained)
    assert all("secret-item-missing" not in f.fix for f in chained), "not the fault's advice: no fault is active"
    spec["vcluster"]["backingStore"]["etcd"]["external"]["endpoint"] = "etcd.example.internal:2379"
    lab.submit(request("VClusterOrchestrator", "etcd", spec))
    lab.settle()
    deployment = lab.get("Deployment", "etcd", "vcluster-etcd")
    assert deployment["status"].get("readyReplicas") == 1
    assert lab.get("Secret", "vc-etcd", "vcluster-etcd") is not None
    assert diagnose(source, "VClusterOrchestrator", "etcd", "platform-requests").healthy


# ---- host-dns-unresolved: a vCluster name k3s's CoreDNS cannot resolve (kratix_lab/kube/hostdns.py) ---------------


def sandbox(**spec):
    return request("VClusterOrchestrator", "sandbox", {"name": "sandbox", **spec})


def test_an_exposure_hostname_the_host_cannot_resolve_then_fixed(lab):
    """k3s's CoreDNS (k3s manifests/coredns.yaml:55-77: the ``kubernetes cluster.local`` plugin of ``.:53``) answers
    ``<service>.<namespace>.svc.cluster.local`` for the host's Services only; the exported kubeconfig's server
    (``exportKubeConfig.server``, from ``spec.exposure.hostname``) names a Service that is not there: diagnose quotes
    the host CoreDNS model's reason and says which field to set. A public name is the host's upstream resolver's
    (not modelled: no finding); the vCluster's own Service resolves (healthy)."""
    source = LabSource(lab)
    lab.submit(sandbox(exposure={"hostname": "api.sandbox.svc.cluster.local"}))
    lab.settle()
    d = diagnose(source, "VClusterOrchestrator", "sandbox", "platform-requests")
    top = d.findings[0]
    assert (top.id, top.stage, top.object) == ("host-dns-unresolved", "helm", "HelmRelease/vcluster-sandbox/sandbox")
    reason = resolve_in(lab, "api.sandbox.svc.cluster.local").reason
    assert reason.startswith("the kubernetes plugin finds no Service sandbox/api on the host (NXDOMAIN)")
    assert top.message.endswith(reason) and "api.sandbox.svc.cluster.local" in top.message
    assert "spec.exposure.hostname" in top.fix and "of vclusterorchestrator/sandbox -n platform-requests" in top.fix
    assert "`kratix-lab get service/sandbox -n vcluster-sandbox`" in top.fix
    assert "sandbox.vcluster-sandbox.svc.cluster.local" in top.fix
    assert [f.id for f in d.findings] == ["host-dns-unresolved"], "nothing else is wrong"
    lab.submit(sandbox(exposure={"hostname": "sandbox.integratn.tech"}))
    lab.settle()
    assert diagnose(source, "VClusterOrchestrator", "sandbox", "platform-requests").healthy, "outside the cluster"
    lab.submit(sandbox(exposure={"hostname": "sandbox.vcluster-sandbox.svc.cluster.local"}))
    lab.settle()
    assert diagnose(source, "VClusterOrchestrator", "sandbox", "platform-requests").healthy


def test_the_dns_name_of_a_vcluster_without_coredns_does_not_resolve(lab):
    """``VClusterCoreDNS`` records ``kube-dns-x-kube-system-x-<name>``; vCluster syncs that Service only when its
    CoreDNS is on (vcluster v0.30.5 pkg/coredns/template.go:308-345; the lab's ``test_no_kube_dns_service_without_
    coredns``): with ``controlPlane.coredns.enabled: false`` the recorded name is NXDOMAIN on the host once the
    control plane runs; before that (its names come with it) nothing is reported."""
    source = LabSource(lab)
    spec = {"name": "nodns", "vcluster": {"helmOverrides": {"controlPlane": {"coredns": {"enabled": False}}}}}
    lab.submit(request("VClusterOrchestrator", "nodns", spec))
    lab.settle()
    d = diagnose(source, "VClusterOrchestrator", "nodns", "platform-requests")
    top = d.findings[0]
    assert (top.id, top.stage, top.object) == (
        "host-dns-unresolved",
        "request",
        "VClusterCoreDNS/platform-requests/nodns",
    )
    name = "kube-dns-x-kube-system-x-nodns.vcluster-nodns.svc.cluster.local"
    assert top.message.endswith(resolve_in(lab, name).reason) and name in top.message
    assert "controlPlane.coredns.enabled" in top.fix and "`kratix-lab get services -n vcluster-nodns`" in top.fix
    assert [f.id for f in d.findings] == ["host-dns-unresolved"]
    lab.store.update_status(
        lab.get("StatefulSet", "nodns", "vcluster-nodns") | {"status": {"readyReplicas": 0, "replicas": 1}}
    )
    not_ready = diagnose(source, "VClusterOrchestrator", "nodns", "platform-requests")
    assert "host-dns-unresolved" not in [f.id for f in not_ready.findings], "not ready: its names come with it"
    del spec["vcluster"]
    lab.submit(request("VClusterOrchestrator", "nodns", spec))
    lab.settle()
    assert "host-dns-unresolved" not in [
        f.id for f in diagnose(source, "VClusterOrchestrator", "nodns", "platform-requests").findings
    ]


def test_a_host_coredns_block_that_loops_is_reported_with_the_key_to_fix(lab):
    """A ``*.server`` key of ``kube-system/coredns-custom`` (imported at the top level: k3s manifests/coredns.yaml:77,
    134-137) whose zone takes the vCluster's names (the longest zone wins: coredns core/dnsserver/server.go
    ``ServeDNS``) and forwards to k3s's own kube-dns (10.43.0.10) loops: a configuration error, reported with the
    block and the object to fix; removing the key makes the names resolve again."""
    source = LabSource(lab)
    block = "vcluster-sandbox.svc.cluster.local:53 {\n    forward . 10.43.0.10\n}\n"
    custom = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "coredns-custom", "namespace": "kube-system"},
        "data": {"sandbox.server": block},
    }
    lab.apply(custom)
    lab.settle()
    d = diagnose(source, "VClusterOrchestrator", "sandbox", "platform-requests")
    found = {f.object: f for f in d.findings if f.id == "host-dns-unresolved"}
    # the names VClusterCoreDNS records and the exported kubeconfig's server (the in-cluster name) both loop
    assert set(found) == {"VClusterCoreDNS/platform-requests/sandbox", "HelmRelease/vcluster-sandbox/sandbox"}
    assert d.findings[0].id == "host-dns-unresolved"
    for f in found.values():
        assert "10.43.0.10 is the host's own kube-dns" in f.message and "forwarding loop" in f.message
        assert "`kratix-lab get configmap/coredns-custom -n kube-system -o yaml`" in f.fix
        assert "key sandbox.server" in f.fix
    lab.delete("ConfigMap", "coredns-custom", "kube-system")
    lab.settle()
    assert diagnose(source, "VClusterOrchestrator", "sandbox", "platform-requests").healthy
