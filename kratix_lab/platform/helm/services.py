"""Services: the control plane's Service and its headless Service."""

from __future__ import annotations

from typing import Any

from kratix_lab.model import clone
from kratix_lab.platform.helm.release import _Release
from kratix_lab.platform.helm.values import _map, _on


def _port(name: str, port: int, target: int, node_port: Any = 0) -> dict[str, Any]:
    p: dict[str, Any] = {"name": name, "port": port, "targetPort": target, "protocol": "TCP"}
    if isinstance(node_port, int) and not isinstance(node_port, bool) and node_port:
        p["nodePort"] = node_port
    return p


def _services(r: _Release, kind: str) -> list[dict]:
    out = []
    selector = {"app": "vcluster", "release": r.name}
    if _on(r.get("controlPlane.service.enabled")):
        spec = _map(r.values, "controlPlane.service.spec")
        if not spec.get("ports"):
            ports = [_port("https", 443, 8443, r.get("controlPlane.service.httpsNodePort"))]
            if _on(r.get("integrations.istio.enabled")):
                ports.append({"name": "wake-http", "port": 9090, "protocol": "TCP"})
            if _on(r.get("networking.advanced.proxyKubelets.byHostname")) and spec.get("type") != "LoadBalancer":
                ports.append(_port("kubelet", 10250, 8443, r.get("controlPlane.service.kubeletNodePort")))
            spec["ports"] = ports
        spec.setdefault("selector", selector)
        labels = r.labels(extra={"vcluster.loft.sh/service": "true", **_map(r.values, "controlPlane.service.labels")})
        annotations = r.global_annotations("controlPlane.service.annotations")
        out.append(
            {"apiVersion": "v1", "kind": "Service", "metadata": r.meta(r.name, labels, annotations), "spec": spec}
        )
    if kind == "StatefulSet":
        ports = [_port("https", 443, 8443)]
        if _on(r.get("controlPlane.backingStore.etcd.embedded.enabled")):
            ports += [_port("etcd", 2379, 2379), _port("peer", 2380, 2380)]
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": r.meta(
                    f"{r.name}-headless",
                    r.labels(extra=_map(r.values, "controlPlane.advanced.headlessService.labels")),
                    {**r.global_annotations(), **_map(r.values, "controlPlane.advanced.headlessService.annotations")},
                ),
                "spec": {"publishNotReadyAddresses": True, "ports": ports, "clusterIP": "None", "selector": selector},
            }
        )
    if _on(r.get("controlPlane.backingStore.etcd.deploy.enabled")):
        etcd_selector = {"app": "vcluster-etcd", "release": r.name}
        etcd_ports = [_port("etcd", 2379, 2379), _port("peer", 2380, 2380)]
        if _on(r.get("controlPlane.backingStore.etcd.deploy.service.enabled")):
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": r.meta(
                        f"{r.name}-etcd",
                        r.labels("vcluster-etcd"),
                        r.global_annotations("controlPlane.backingStore.etcd.deploy.service.annotations"),
                    ),
                    "spec": {"type": "ClusterIP", "ports": etcd_ports, "selector": etcd_selector},
                }
            )
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": r.meta(
                    f"{r.name}-etcd-headless",
                    r.labels("vcluster-etcd"),
                    r.global_annotations("controlPlane.backingStore.etcd.deploy.headlessService.annotations"),
                ),
                "spec": {
                    "publishNotReadyAddresses": True,
                    "ports": clone(etcd_ports),
                    "clusterIP": "None",
                    "selector": etcd_selector,
                },
            }
        )
    return out
