"""Rule of the host's DNS: a name host clients use for a vCluster that k3s's CoreDNS cannot resolve.

The names: the ones ``VClusterCoreDNS`` records in ``status.hostNames`` (the vCluster's API Service and its synced
``kube-dns``, ``<name>.<targetNamespace>.svc.cluster.local`` and ``kube-dns-x-kube-system-x-<name>.…``), and the
server of the kubeconfig the vCluster exports (``exportKubeConfig.server``: ``spec.exposure.hostname`` or
``spec.vcluster.exportKubeConfig.server`` of an orchestrator). Each is asked of the host CoreDNS model
(``kratix_lab/kube/hostdns.py``: k3s ``manifests/coredns.yaml:55-77, 134-137, 187-190``, coredns
``core/dnsserver/server.go`` ``ServeDNS``), whose reason the finding quotes.

While the vCluster is coming up its names do not exist yet (vCluster's syncer creates the synced Services once
its control plane runs): a name the ``kubernetes`` plugin does not find is reported only once the control plane
in that namespace is ready. A custom server block that takes the name and cannot answer it (a forwarding loop,
no forward, no Service at the address) is a configuration error whenever it is found. Names outside the
cluster domain go to the host's upstream resolver, which the lab does not model: not reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from kratix_lab.diagnose.model import Finding, _cmd_ref, fix_for, mode
from kratix_lab.diagnose.rules.registry import rule
from kratix_lab.kube.hostdns import CLUSTER_DOMAIN, CUSTOM_NAME, CUSTOM_NAMESPACE, Resolution, resolve
from kratix_lab.sources import Source
from kratix_lab.trace import TraceNode
from kratix_lab.trace import resolve as resolve_kind

MAIN_BLOCK = ".:53"


def _resolve(s: Source, name: str) -> Resolution:
    """hostdns.resolve with what it needs: the one ``coredns-custom``, and the Services of the name's namespace
    (every Service when a custom block takes the name: its forward target and kube-dns may be anywhere)."""
    custom = s.get("ConfigMap", CUSTOM_NAME, CUSTOM_NAMESPACE, "")
    configmaps = [custom] if custom is not None else []
    parts = name.strip().lower().rstrip(".").removesuffix("." + CLUSTER_DOMAIN).split(".")
    ns = parts[1] if len(parts) == 3 and parts[2] == "svc" else None
    answer = resolve(name, configmaps, s.list("Service", ns, None, group="") if ns else [])
    if not answer.block.startswith(MAIN_BLOCK):
        answer = resolve(name, configmaps, s.list("Service", None, None, group=""))
    return answer


def _ready(s: Source, name: str, namespace: str) -> bool:
    """Whether the vCluster ``name``'s control plane (its StatefulSet or Deployment) is ready in ``namespace``."""
    for kind in ("StatefulSet", "Deployment"):
        obj = s.get(kind, name, namespace, "apps")
        if obj is not None:
            want = (obj.get("spec") or {}).get("replicas", 1)
            return bool(want) and ((obj.get("status") or {}).get("readyReplicas") or 0) >= want
    return False


def _names(s: Source, n: TraceNode) -> tuple[str, str, list[tuple[str, str]]] | None:
    """(vCluster name, its namespace, [(what, host name)]) the node stands for, or None."""
    if n.stage == "helm":
        values = n.evidence.get("values") or {}
        export = values.get("exportKubeConfig") if isinstance(values, dict) else None
        server = str((export or {}).get("server") or "") if isinstance(export, dict) else ""
        host = urlsplit(server).hostname if server else None
        return (n.name, n.namespace or "", [("exportKubeConfig.server", host)]) if host else None
    if n.stage != "request" or n.kind != "VClusterCoreDNS":
        return None
    obj = s.get(n.kind, n.name, n.namespace, resolve_kind(s, n.kind).group)
    spec, status = (obj or {}).get("spec") or {}, (obj or {}).get("status") or {}
    hosts = status.get("hostNames") or {}
    names = [(what, str(hosts[what])) for what in ("apiServer", "dns") if hosts.get(what)]
    if not names or not spec.get("name") or not spec.get("targetNamespace"):
        return None
    return str(spec["name"]), str(spec["targetNamespace"]), names


def _fix(s: Source, n: TraceNode, parents: list[TraceNode], what: str, vcluster: str, ns: str, r: Resolution) -> str:
    if not r.block.startswith(MAIN_BLOCK):
        where = f"configmap/{CUSTOM_NAME} -n {CUSTOM_NAMESPACE}"
        return fix_for(
            s,
            lab=f"the block {r.block} takes the name and cannot answer it: fix or remove that key of the host's "
            f"{CUSTOM_NAMESPACE}/{CUSTOM_NAME} (`kratix-lab get {where} -o yaml`; a vCluster needs no host CoreDNS "
            "patch: its synced Services resolve through the kubernetes plugin) and let Argo CD apply the change",
            live=f"the block {r.block} takes the name and cannot answer it: fix or remove that key of "
            f"`kubectl get {where} -o yaml` (whatever writes it: a vCluster needs no host CoreDNS patch), then "
            f"`kubectl rollout restart deployment/coredns -n {CUSTOM_NAMESPACE}`",
        )
    api = f"{vcluster}.{ns}.svc.{CLUSTER_DOMAIN}"
    cmd = "kubectl" if mode(s) == "live" else "kratix-lab"
    if what == "exportKubeConfig.server":
        root = next((p for p in parents if p.stage == "request"), None)
        orchestrated = root is not None and root.kind == "VClusterOrchestrator"
        field_ = (
            "spec.exposure.hostname (or spec.vcluster.exportKubeConfig.server)"
            if orchestrated
            else "the helm value exportKubeConfig.server"
        )
        target = f" of {_cmd_ref(root)}" if root else ""
        return (
            f"set {field_}{target} to a name that resolves — the vCluster's API Service is {api} "
            f"(`{cmd} get service/{vcluster} -n {ns}`) — or to a public name your DNS serves, and submit the request "
            "again"
        )
    if what == "dns":
        return (
            f"vCluster's syncer creates that Service in {ns} only while the vCluster runs its CoreDNS "
            f"(controlPlane.coredns.enabled, the chart's default; `{cmd} get services -n {ns}` lists what is there): "
            "turn it back on (the orchestrator's spec.vcluster.helmOverrides) and submit the request again, or do not "
            "point host pods at this name"
        )
    return (
        f"the vCluster's Service {vcluster} is not in {ns} (`{cmd} get service/{vcluster} -n {ns}`): if {vcluster} "
        f"runs in another namespace, set spec.targetNamespace of {_cmd_ref(n)} to it and submit it again"
    )


@rule("host-dns-unresolved")
def _host_dns(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    found = _names(s, n)
    if found is None:
        return
    vcluster, ns, names = found
    ready: bool | None = None
    for what, name in names:
        r = _resolve(s, name)
        if r.resolved or r.reason.startswith("outside the cluster"):
            continue
        if r.block.startswith(MAIN_BLOCK):
            if ready is None:
                ready = _ready(s, vcluster, ns)
            if not ready:
                continue  # the vCluster is not up (yet): its names come with it; other rules say why not
        evidence: dict[str, Any] = {"name": name, "block": r.block, "reason": r.reason, "answer": r.answer}
        yield Finding(
            "host-dns-unresolved",
            "error",
            n.stage,
            n.ref,
            f"the host's CoreDNS cannot resolve {name} ({what} of vCluster {vcluster}): {r.reason}",
            _fix(s, n, parents, what, vcluster, ns, r),
            n.since,
            depth,
            evidence,
        )
