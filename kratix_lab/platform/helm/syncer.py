"""What vCluster's syncer creates at runtime: host names of synced objects, the synced CoreDNS, the
synced ``kube-dns`` Service and the kubeconfig Secret ``vc-<name>``."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kratix_lab.model import clone
from kratix_lab.platform.externalsecrets import kubeconfig_value, modelled_kubeconfig
from kratix_lab.platform.helm.coredns import _coredns_container
from kratix_lab.platform.helm.release import _backing_store, _Release, external_etcd_host
from kratix_lab.platform.helm.source import BY_SYNCER, MANAGED_BY_LABEL
from kratix_lab.platform.helm.values import _get, _int, _map, _on

# How long vCluster v0.30.5 waits before giving up, by distro (seconds): k8s — StartK8S's waitForAPI polls
# /readyz every 2 s for 5 minutes (pkg/k8s/k8s.go:368-401); k3s — StartK3S's WaitForEtcd polls every second for
# 10 minutes (pkg/k3s/k3s.go:75-86, pkg/etcd/util.go:17-19, 27-48).
START_TIMEOUT = {"k8s": 300, "k3s": 600}
# tls.LoadX509KeyPair("", "") — the external etcd's tls.certFile/keyFile default to "" (chart/values.yaml:360-367)
NO_TLS_FILES = "open : no such file or directory"


@dataclass(frozen=True)
class StartFailure:
    """The syncer container failing at start-up: it runs ``seconds`` (never Ready), logs ``log`` and exits 1."""

    seconds: int
    log: str
    error: str  # the last line: what it exits with
    cause: str  # the value at fault, as the chart names it


def start_failure(values: Mapping[str, Any]) -> StartFailure | None:
    """What vCluster v0.30.5's control plane (the ``syncer`` container) does at start with these effective values
    (the chart's ``vc-config-<name>`` ``config.yaml``), when it cannot start; None when it starts.

    Modelled: an external etcd without an endpoint (``controlPlane.backingStore.etcd.external.enabled`` and no
    ``endpoint``). Neither the schema nor the chart nor vCluster's config validation refuses it
    (values.schema.json ``EtcdExternal``; pkg/config/validation.go has no etcd check); the control plane dials
    ``https://`` (pkg/k8s/k8s.go:307-313, pkg/k3s/k3s.go:75-76). ``etcd.WaitForEtcd`` (pkg/etcd/util.go:27-48)
    retries every second, logging ``Couldn't connect to etcd (will retry in a second): <err>``; with the chart's
    default empty tls files the error is loading the client certificate (util.go:78-84, 90-96). With the k8s
    distro the API server never comes up, StartK8S's ``waitForAPI`` gives up after 5 minutes (k8s.go:106-113, 128-131,
    384-401) and the syncer exits 1 (``Error running k8s: …``, pkg/setup/initialize.go:131-142); with k3s,
    WaitForEtcd gives up after 10 minutes (``Error running k3s: …``, initialize.go:89-97). The kubelet restarts
    it with its back-off: CrashLoopBackOff, never Ready."""
    host = external_etcd_host(values)
    if host is None or host:
        return None
    tls = {
        k: str(_get(values, f"controlPlane.backingStore.etcd.external.tls.{k}") or "") for k in ("certFile", "keyFile")
    }
    dial = NO_TLS_FILES if not all(tls.values()) else 'the etcd client\'s error dialling "https://" (an empty host)'
    retry = f"Couldn't connect to etcd (will retry in a second): {dial}"
    if _on(_get(values, "controlPlane.distro.k3s.enabled")):
        seconds = START_TIMEOUT["k3s"]
        error = f"Error running k3s: error waiting for etcd: {dial}"
    else:
        seconds = START_TIMEOUT["k8s"]
        error = (
            "Error running k8s: waited until timeout for the api to be up: error waiting for API server: "
            'Get "https://127.0.0.1:6443/readyz": dial tcp 127.0.0.1:6443: connect: connection refused'
        )
    log = (
        "kratix-lab (modelled): vCluster's start-up with controlPlane.backingStore.etcd.external.enabled: true and "
        "no controlPlane.backingStore.etcd.external.endpoint: it dials https://\n"
        f"{retry}\n{retry} (again every second for {seconds} s)\n{error}\n"
    )
    return StartFailure(seconds, log, error, "controlPlane.backingStore.etcd.external.endpoint")


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


# vCluster's object annotations on synced host objects (pkg/util/translate/types.go:10-16 at v0.30.5).
NAME_ANNOTATION = "vcluster.loft.sh/object-name"
NAMESPACE_ANNOTATION = "vcluster.loft.sh/object-namespace"
HOST_NAME_ANNOTATION = "vcluster.loft.sh/object-host-name"
HOST_NAMESPACE_ANNOTATION = "vcluster.loft.sh/object-host-namespace"
NAMESPACE_LABEL = "vcluster.loft.sh/namespace"  # translate.NamespaceLabel (types.go:21)


def _kube_dns_synced(r: _Release) -> list[dict]:
    """The virtual cluster's ``kube-system/kube-dns`` Service as the service syncer writes it to the host namespace.

    The Service vCluster applies inside the virtual cluster is pkg/coredns/template.go:308-345 at v0.30.5
    (embedded CoreDNS: :75-107, no selector): labels ``k8s-app: vcluster-kube-dns``, the prometheus annotations,
    ``controlPlane.coredns.service.{labels,annotations,spec}``, ports dns 53/UDP and dns-tcp 53/TCP → 1053 and
    metrics 9153 unless ``spec.ports`` is set. The service syncer (pkg/controllers/resources/services/translate.go:
    10-29) names it ``kube-dns-x-kube-system-x-<vcluster>`` in the host namespace (single_namespace.go:35-45,
    ``SafeConcatName``), adds the marker and namespace labels to labels and selector (translate/labels.go:43-70),
    the object annotations (translate/translate.go:115-145; the virtual object's uid is not modelled), clears the
    cluster IP (the host assigns one) and strips node ports."""
    if not _on(r.get("controlPlane.coredns.enabled")):
        return []
    embedded = _on(r.get("controlPlane.coredns.embedded"))
    spec = _map(r.values, "controlPlane.coredns.service.spec")
    if not embedded and not spec.get("selector"):
        spec["selector"] = {"k8s-app": "vcluster-kube-dns"}
    if not spec.get("ports"):
        spec["ports"] = [
            {"name": "dns", "port": 53, "targetPort": 1053, "protocol": "UDP"},
            {"name": "dns-tcp", "port": 53, "targetPort": 1053, "protocol": "TCP"},
            {"name": "metrics", "port": 9153, "protocol": "TCP"},
        ]
    marker = {MANAGED_BY_LABEL: r.name, NAMESPACE_LABEL: "kube-system"}
    if spec.get("selector"):
        spec["selector"] = {**{str(k): str(v) for k, v in spec["selector"].items()}, **marker}
    if spec.get("clusterIP") != "None":
        spec.pop("clusterIP", None)
    spec.pop("clusterIPs", None)
    spec.pop("ipFamilies", None)
    spec.pop("ipFamilyPolicy", None)
    spec["ports"] = [{k: v for k, v in p.items() if k != "nodePort"} for p in spec["ports"] if isinstance(p, dict)]
    labels = {
        "k8s-app": "vcluster-kube-dns",
        "kubernetes.io/cluster-service": "true",
        "kubernetes.io/name": "CoreDNS",
        **{str(k): str(v) for k, v in _map(r.values, "controlPlane.coredns.service.labels").items()},
        **marker,
    }
    host_name = synced_name("kube-dns", "kube-system", r.name)
    annotations = {
        "prometheus.io/port": "9153",
        "prometheus.io/scrape": "true",
        **_map(r.values, "controlPlane.coredns.service.annotations"),
        NAME_ANNOTATION: "kube-dns",
        NAMESPACE_ANNOTATION: "kube-system",
        HOST_NAME_ANNOTATION: host_name,
        HOST_NAMESPACE_ANNOTATION: r.namespace,
    }
    return [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": r.meta(host_name, labels, annotations, rendered_by=BY_SYNCER),
            "spec": spec,
        }
    ]


def kubeconfig_server(values: dict[str, Any]) -> str:
    """The server of the exported kubeconfig: ``exportKubeConfig.server``, else ``https://localhost:<proxy port>``
    (pkg/setup/controller_context.go:244-265 and controllers.go:221-240 at v0.30.5)."""
    server = str(_get(values, "exportKubeConfig.server") or "")
    return server or f"https://localhost:{_get(values, 'controlPlane.proxy.port') or 8443}"


def _kubeconfig_secret(r: _Release) -> list[dict]:
    """``vc-<name>``: the kubeconfig Secret the syncer writes in its host namespace once it has started.

    pkg/setup/controllers.go:285-326 (``WriteKubeConfigToSecret``) at v0.30.5 writes
    ``kubeconfig.GetDefaultSecretName(name)`` = ``vc-<name>`` (pkg/util/kubeconfig/kubeconfig.go:29, 121-123) in
    the current namespace; ``WriteKubeConfig`` (kubeconfig.go:40-104) makes it an Opaque Secret labelled
    ``app: vcluster`` and ``vcluster-name: <name>`` with the keys ``config`` (the whole kubeconfig),
    ``certificate-authority``, ``client-certificate``, ``client-key`` (raw PEM) and ``token`` (empty without
    ``exportKubeConfig.serviceAccount``). The server is ``exportKubeConfig.server`` or ``https://localhost:8443``,
    the context ``exportKubeConfig.context`` (controller_context.go:244-330). Certificates are modelled
    (``externalsecrets.modelled_kubeconfig``). Not written when the control plane cannot start (external etcd
    without an endpoint, ``_backing_store``) or in standalone mode (controllers.go:294-296). Owned by the
    vCluster's Service (config.go:237-257, ``experimental.syncSettings.setOwner``; set by the lab's syncer)."""
    if _backing_store(r)[1] is not None or _on(r.get("controlPlane.standalone.enabled")):
        return []
    context = str(r.get("exportKubeConfig.context") or "")
    config = modelled_kubeconfig(r.name, r.namespace, kubeconfig_server(r.values), context or "my-vcluster")
    if _on(r.get("exportKubeConfig.insecure")):
        config = config.replace(
            f"    certificate-authority-data: {kubeconfig_value(config, 'certificate-authority-data')}\n",
            "    insecure-skip-tls-verify: true\n",
        )
    data = {  # Secret data is base64 of the raw PEM: the kubeconfig's *-data values as they are
        "config": base64.b64encode(config.encode()).decode(),
        "certificate-authority": kubeconfig_value(config, "certificate-authority-data"),
        "client-certificate": kubeconfig_value(config, "client-certificate-data"),
        "client-key": kubeconfig_value(config, "client-key-data"),
        "token": "",
    }
    meta = r.meta(f"vc-{r.name}", {"app": "vcluster", "vcluster-name": r.name}, rendered_by=BY_SYNCER)
    return [{"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque", "data": data}]
