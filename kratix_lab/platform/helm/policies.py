"""Ingress and policies: the Ingress, ResourceQuota, LimitRange and NetworkPolicies the chart renders when asked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kratix_lab.platform.helm.release import _Release
from kratix_lab.platform.helm.source import MANAGED_BY_LABEL
from kratix_lab.platform.helm.values import _list, _map, _on, _str_bool


def _ingress(r: _Release) -> list[dict]:
    base = "controlPlane.ingress"
    if not _on(r.get(f"{base}.enabled")):
        return []
    spec = _map(r.values, f"{base}.spec")
    if not spec.get("rules"):
        backend = {"service": {"name": r.name, "port": {"name": "https"}}}
        path = {"backend": backend, "path": "/", "pathType": r.get(f"{base}.pathType")}
        spec["rules"] = [{"host": str(r.get(f"{base}.host")), "http": {"paths": [path]}}]
    return [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": r.meta(
                r.name,
                r.labels(extra=_map(r.values, f"{base}.labels")),
                {**r.global_annotations(), **_map(r.values, f"{base}.annotations")},
            ),
            "spec": spec,
        }
    ]


def _quantities(values: Mapping[str, Any]) -> dict[str, str]:
    """`{{ $val | quote }}`: every quantity becomes a string."""
    return {str(k): str(v) for k, v in values.items()}


def _policies(r: _Release) -> list[dict]:
    out: list[dict] = []
    quota_on = _str_bool(r.get("policies.resourceQuota.enabled"))
    limits_on = _str_bool(r.get("policies.limitRange.enabled"))
    either_true = "true" in (quota_on, limits_on)
    if either_true and quota_on != "false":
        base = "policies.resourceQuota"
        spec: dict[str, Any] = {}
        if _on(r.get(f"{base}.quota")):
            spec["hard"] = _quantities(_map(r.values, f"{base}.quota"))
        if _on(r.get(f"{base}.scopeSelector.matchExpressions")):
            spec["scopeSelector"] = {"matchExpressions": _list(r.values, f"{base}.scopeSelector.matchExpressions")}
        if _on(r.get(f"{base}.scopes")):
            spec["scopes"] = _list(r.values, f"{base}.scopes")
        out.append(
            {
                "apiVersion": "v1",
                "kind": "ResourceQuota",
                "metadata": r.meta(
                    f"vc-{r.name}",
                    r.labels(extra=_map(r.values, f"{base}.labels")),
                    r.global_annotations(f"{base}.annotations"),
                ),
                "spec": spec,
            }
        )
    if either_true and limits_on != "false":
        base = "policies.limitRange"
        limit: dict[str, Any] = {
            "default": _quantities(_map(r.values, f"{base}.default")),
            "defaultRequest": _quantities(_map(r.values, f"{base}.defaultRequest")),
        }
        for key in ("min", "max"):
            if _on(r.get(f"{base}.{key}")):
                limit[key] = _quantities(_map(r.values, f"{base}.{key}"))
        limit["type"] = "Container"
        out.append(
            {
                "apiVersion": "v1",
                "kind": "LimitRange",
                "metadata": r.meta(
                    f"vc-{r.name}",
                    r.labels(extra=_map(r.values, f"{base}.labels")),
                    r.global_annotations(f"{base}.annotations"),
                ),
                "spec": {"limits": [limit]},
            }
        )
    if _on(r.get("policies.networkPolicy.enabled")):
        out += _network_policies(r)
    return out


def _network_policies(r: _Release) -> list[dict]:
    """vc-work-<release> (the vCluster's workloads) and vc-cp-<release> (its control plane)."""
    base = "policies.networkPolicy"
    labels = r.labels(extra=_map(r.values, f"{base}.labels"))
    annotations = r.global_annotations(f"{base}.annotations")
    workloads = {"matchLabels": {MANAGED_BY_LABEL: r.name}}
    control_plane = {"matchLabels": {"release": r.name}}
    block = _map(r.values, f"{base}.outgoingConnections.ipBlock")
    ip_block: dict[str, Any] = {"cidr": str(block.get("cidr") or "0.0.0.0/0")}
    if block.get("except"):
        ip_block["except"] = [str(c) for c in block["except"]]
    work_egress = [
        {"ports": [{"port": 443}, {"port": 8443}], "to": [{"podSelector": control_plane}]},
        {"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]},
        {"to": [{"podSelector": workloads}, {"ipBlock": ip_block}]},
        *_list(r.values, f"{base}.extraWorkloadRules"),
    ]
    cp_egress = [
        {"ports": [{"port": 443}, {"port": 8443}, {"port": 6443}]},
        {
            "to": [
                {"podSelector": {}},
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                },
            ]
        },
    ]
    if _on(r.get(f"{base}.outgoingConnections.platform")):
        cp_egress.append({"to": [{"podSelector": {"matchLabels": {"app": "loft"}}, "namespaceSelector": {}}]})
    cp_egress += _list(r.values, f"{base}.extraControlPlaneRules")
    return [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": r.meta(name, labels, annotations),
            "spec": {"podSelector": selector, "egress": egress, "policyTypes": ["Egress"]},
        }
        for name, selector, egress in (
            (f"vc-cp-{r.name}", control_plane, cp_egress),
            (f"vc-work-{r.name}", workloads, work_egress),
        )
    ]
