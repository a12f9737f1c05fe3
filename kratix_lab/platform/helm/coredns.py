"""CoreDNS: the Corefile, the manifests the syncer applies in the virtual cluster and the CoreDNS ConfigMap."""

from __future__ import annotations

from typing import Any

from kratix_lab.model import dump
from kratix_lab.platform.helm.release import _Release
from kratix_lab.platform.helm.values import _int, _map, _on


def _corefile(r: _Release) -> str:
    if r.get("controlPlane.coredns.overwriteConfig"):
        return str(r.get("controlPlane.coredns.overwriteConfig"))
    embedded = _on(r.get("controlPlane.coredns.embedded"))
    fallback_host = _on(r.get("networking.advanced.fallbackHostCluster"))
    lines = [".:1053 {", "    errors", "    health", "    ready"]
    if embedded and _on(r.get("networking.resolveDNS")):
        lines.append("    vcluster")
    if _on(r.get("networking.advanced.proxyKubelets.byHostname")):
        lines.append(r"    rewrite name regex .*\.nodes\.vcluster\.com kubernetes.default.svc.cluster.local")
    lines.append("    kubernetes cluster.local in-addr.arpa ip6.arpa {")
    if embedded:
        lines.append("        kubeconfig /data/vcluster/admin.conf")
    lines.append("        pods insecure")
    lines.append(f"        fallthrough {'cluster.local ' if fallback_host else ''}in-addr.arpa ip6.arpa")
    lines += [
        "    }",
        "    hosts /etc/NodeHosts {",
        "        ttl 60",
        "        reload 15s",
        "        fallthrough",
        "    }",
    ]
    lines.append("    prometheus :9153")
    if fallback_host:
        lines.append("    forward . {{.HOST_CLUSTER_DNS}}")
    elif _on(r.get("policies.networkPolicy.enabled")):
        dns = r.get("policies.networkPolicy.fallbackDns")
        lines += [f"    forward . /etc/resolv.conf {dns} {{", "        policy sequential", "    }"]
    else:
        lines.append("    forward . /etc/resolv.conf")
    lines += ["    cache 30", "    loop", "    loadbalance", "}", "", "import /etc/coredns/custom/*.server"]
    return "\n".join(lines)


def _coredns_manifests(r: _Release) -> str:
    """The CoreDNS objects vCluster applies *inside* the virtual cluster (modelled, abridged)."""
    if r.get("controlPlane.coredns.overwriteManifests"):
        return str(r.get("controlPlane.coredns.overwriteManifests"))
    selector = {"k8s-app": "vcluster-kube-dns"}
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "kube-dns",
            "namespace": "kube-system",
            "labels": {**selector, "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"},
        },
        "spec": {
            **_map(r.values, "controlPlane.coredns.service.spec"),
            "selector": selector,
            "ports": [
                {"name": "dns", "port": 53, "targetPort": 1053, "protocol": "UDP"},
                {"name": "dns-tcp", "port": 53, "targetPort": 1053, "protocol": "TCP"},
                {"name": "metrics", "port": 9153, "protocol": "TCP"},
            ],
        },
    }
    if _on(r.get("controlPlane.coredns.embedded")):
        return dump(service)
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "coredns",
            "namespace": "kube-system",
            "labels": {**selector, "kubernetes.io/name": "CoreDNS"},
        },
        "spec": {
            "replicas": _int(r.values, "controlPlane.coredns.deployment.replicas"),
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": selector},
                "spec": {"serviceAccountName": "coredns", "containers": [_coredns_container(r)]},
            },
        },
    }
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "coredns", "namespace": "kube-system"},
        "data": {"Corefile": _corefile(r), "NodeHosts": ""},
    }
    account = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "coredns", "namespace": "kube-system"},
    }
    return "---\n".join(dump(o) for o in (account, config, deployment, service))


def _coredns_image(r: _Release) -> str:
    image = r.get("controlPlane.coredns.deployment.image")
    if not image:
        return "{{.IMAGE}}"  # the chart leaves it to vCluster, which picks the CoreDNS of its Kubernetes version
    registry = r.get("controlPlane.advanced.defaultImageRegistry")
    return f"{registry}/{image}" if registry else str(image)


def _coredns_container(r: _Release) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "coredns",
        "image": _coredns_image(r),
        "imagePullPolicy": "IfNotPresent",
        "args": ["-conf", "/etc/coredns/Corefile"],
    }
    resources = _map(r.values, "controlPlane.coredns.deployment.resources")
    if resources:
        container["resources"] = resources
    return container


def _coredns_configmap(r: _Release) -> list[dict]:
    if not _on(r.get("controlPlane.coredns.enabled")):
        return []
    data = {"coredns.yaml": _coredns_manifests(r)}
    if _on(r.get("controlPlane.coredns.embedded")) and not r.get("controlPlane.coredns.overwriteManifests"):
        data = {"Corefile": _corefile(r), **data}
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": r.meta(f"vc-coredns-{r.name}", r.labels(), r.global_annotations()),
            "data": data,
        }
    ]
