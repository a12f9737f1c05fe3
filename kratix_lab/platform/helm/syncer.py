"""What vCluster's syncer creates at runtime: host names of synced objects, the synced CoreDNS."""

from __future__ import annotations

import hashlib
from typing import Any

from kratix_lab.model import clone
from kratix_lab.platform.helm.coredns import _coredns_container
from kratix_lab.platform.helm.release import _Release
from kratix_lab.platform.helm.source import BY_SYNCER, MANAGED_BY_LABEL
from kratix_lab.platform.helm.values import _int, _map, _on


def synced_name(name: str, namespace: str, vcluster: str) -> str:
    """The host name vCluster gives a synced object (translate.SafeConcatName(name, "x", ns, "x", vc))."""
    full = "-".join([name, "x", namespace, "x", vcluster])
    if len(full) > 63:
        digest = hashlib.sha256(full.encode()).hexdigest()
        full = (full[:52] + "-" + digest[:10]).replace(".-", "-")
    return full


def _coredns_synced(r: _Release) -> list[dict]:
    """CoreDNS runs in the vCluster's kube-system; modelled as a Deployment in the host namespace."""
    if not _on(r.get("controlPlane.coredns.enabled")) or _on(r.get("controlPlane.coredns.embedded")):
        return []
    base = "controlPlane.coredns.deployment"
    selector = {"k8s-app": "vcluster-kube-dns", MANAGED_BY_LABEL: r.name}
    labels = {**selector, "vcluster.loft.sh/namespace": "kube-system"}
    pod_labels = {**labels, **{str(k): str(v) for k, v in _map(r.values, f"{base}.pods.labels").items()}}
    container = _coredns_container(r)
    if container["image"] == "{{.IMAGE}}":
        container["image"] = "coredns/coredns"  # vCluster picks the tag for its Kubernetes version at runtime
    pod_spec: dict[str, Any] = {
        "containers": [container],
        "nodeSelector": {"kubernetes.io/os": "linux", **_map(r.values, f"{base}.nodeSelector")},
    }
    for key in ("affinity", "tolerations", "topologySpreadConstraints"):
        if _on(r.get(f"{base}.{key}")):
            pod_spec[key] = clone(r.get(f"{base}.{key}"))
    if r.get("controlPlane.coredns.priorityClassName"):
        pod_spec["priorityClassName"] = r.get("controlPlane.coredns.priorityClassName")
    template_meta: dict[str, Any] = {"labels": pod_labels}
    if _on(r.get(f"{base}.pods.annotations")):
        template_meta["annotations"] = {str(k): str(v) for k, v in _map(r.values, f"{base}.pods.annotations").items()}
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": r.meta(
                synced_name("coredns", "kube-system", r.name),
                {**labels, **{str(k): str(v) for k, v in _map(r.values, f"{base}.labels").items()}},
                _map(r.values, f"{base}.annotations"),
                rendered_by=BY_SYNCER,
            ),
            "spec": {
                "replicas": _int(r.values, f"{base}.replicas"),
                "selector": {"matchLabels": selector},
                "template": {"metadata": template_meta, "spec": pod_spec},
            },
        }
    ]
