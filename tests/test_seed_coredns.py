"""The seed's CoreDNS design in the lab (the old pipeline image): two vClusters, one shared coredns-custom written by
two Works, one entry lost (k3s's CoreDNS serves only the surviving key), found by diagnose; the current release
patches nothing on the host."""

from __future__ import annotations

import subprocess

from kratix_lab.diagnose import diagnose
from kratix_lab.platform.hostdns import resolve_in
from kratix_lab.sources.lab import LabSource


def state_files(lab):
    out = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", "HEAD"], cwd=lab.state_remote_path, capture_output=True, text=True
    )
    return out.stdout.split()


def test_the_old_coredns_image_writes_the_one_shared_object_and_an_entry_is_lost(lab):
    lab.submit(
        {
            "apiVersion": "platform.integratn.tech/v1alpha1",
            "kind": "VClusterOrchestrator",
            "metadata": {"name": "studio", "namespace": "platform-requests"},
            "spec": {"name": "studio"},
        }
    )
    lab.settle()
    lab.faults.inject("pipeline-image-stale", promise="vcluster-coredns")
    lab.settle()
    shared = [f for f in state_files(lab) if f.endswith("/configmap-coredns-custom.yaml")]
    assert len(shared) == 2, "two Works write the one object"
    assert not [f for f in state_files(lab) if "/configmap-coredns-custom-" in f]
    app = lab.get("Application", "kratix-state-reconciler", "argocd")
    (repeated,) = [c for c in app["status"]["conditions"] if c["type"] == "RepeatedResourceWarning"]
    # argo-cd controller/state.go DeduplicateTargetObjects, word for word (the key is group/kind/namespace/name)
    assert (
        repeated["message"]
        == "Resource /ConfigMap/kube-system/coredns-custom appeared 2 times among application resources."
    )
    live = lab.get("ConfigMap", "coredns-custom", "kube-system")
    assert len(live["data"]) == 1, "one vCluster's entry is lost"
    # k3s's CoreDNS (hostdns.py; k3s manifests/coredns.yaml:77, 187-190) imports only the surviving key: the other
    # vCluster's zone falls through to the kubernetes plugin and is NXDOMAIN.
    (kept,) = live["data"]
    lost = "studio" if kept == "sandbox.server" else "sandbox"
    r = resolve_in(lab, f"web.{lost}.svc.cluster.local")
    assert not r.resolved and r.block == ".:53 (k3s Corefile)" and "no Service" in r.reason
    served = resolve_in(lab, f"web.{kept.removesuffix('.server')}.svc.cluster.local")
    assert served.block.endswith(f"key {kept})")
    assert "kratix-lab-pipeline v0.0.9" in lab.logs("VClusterCoreDNS", "sandbox", "platform-requests")
    d = diagnose(LabSource(lab), "VClusterOrchestrator", "sandbox", "platform-requests")
    assert {"object-written-twice", "pipeline-image-stale"} <= {f.id for f in d.findings}

    lab.faults.clear("pipeline-image-stale")
    lab.settle()
    assert lab.get("ConfigMap", "coredns-custom", "kube-system") is None, "Argo CD prunes the shared object"
    assert lab.list("ConfigMap", "kube-system") == [], "the current release patches nothing on the host"
    for name in ("sandbox", "studio"):
        assert diagnose(LabSource(lab), "VClusterOrchestrator", name, "platform-requests").healthy
        assert resolve_in(lab, f"{name}.vcluster-{name}.svc.cluster.local").resolved
