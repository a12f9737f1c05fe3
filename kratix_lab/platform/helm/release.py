"""One release being rendered: its name, namespace, chart version and effective values.

Every template module reads the values through ``_Release`` (labels, metadata with the modelled
and rendered-by annotations, images) and the few derived facts several templates share: the
distro, the backing store and whether the control plane keeps a volume.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kratix_lab.model import MODELLED_ANNOTATION
from kratix_lab.platform.helm.source import BY_CHART, CHART, RENDERED_BY_ANNOTATION
from kratix_lab.platform.helm.values import _get, _list, _map, _on, _str_bool


@dataclass
class _Release:
    name: str
    namespace: str
    version: str
    values: dict[str, Any]

    @property
    def chart_label(self) -> str:
        return f"{CHART}-{self.version}".replace("+", "_").replace("@", "_")[:63]

    def get(self, dotted: str, default: Any = None) -> Any:
        return _get(self.values, dotted, default)

    def labels(self, app: str = "vcluster", extra: Mapping[str, Any] | None = None) -> dict[str, str]:
        labels = {"app": app, "chart": self.chart_label, "release": self.name, "heritage": "Helm"}
        labels.update({str(k): str(v) for k, v in (extra or {}).items()})
        return labels

    def meta(
        self,
        name: str,
        labels: Mapping[str, str] | None,
        annotations: Mapping[str, Any] | None = None,
        *,
        namespaced: bool = True,
        rendered_by: str = BY_CHART,
    ) -> dict[str, Any]:
        meta: dict[str, Any] = {"name": name}
        if namespaced:
            meta["namespace"] = self.namespace
        if labels:
            meta["labels"] = dict(labels)
        merged = {str(k): str(v) for k, v in (annotations or {}).items()}
        merged.update({MODELLED_ANNOTATION: "true", RENDERED_BY_ANNOTATION: rendered_by})
        meta["annotations"] = merged
        return meta

    def global_annotations(self, *more: str) -> dict[str, Any]:
        """globalMetadata.annotations plus the object's own maps (modelled: the object's own win on a clash)."""
        out = _map(self.values, "controlPlane.advanced.globalMetadata.annotations")
        for dotted in more:
            out.update(_map(self.values, dotted))
        return out

    def image(self, registry: str, repository: str, tag: str) -> str:
        default_registry = self.get("controlPlane.advanced.defaultImageRegistry") or ""
        if default_registry:
            return f"{default_registry}/{repository}:{tag}"
        return f"{registry}/{repository}:{tag}" if registry else f"{repository}:{tag}"


def _distro(r: _Release) -> str:
    return "k3s" if _on(r.get("controlPlane.distro.k3s.enabled")) else "k8s"


# The five backing stores the chart counts (chart/templates/_backingstore.tpl:4-26 at v0.30.5).
BACKING_STORES = (
    "controlPlane.backingStore.etcd.embedded.enabled",
    "controlPlane.backingStore.etcd.deploy.enabled",
    "controlPlane.backingStore.etcd.external.enabled",
    "controlPlane.backingStore.database.embedded.enabled",
    "controlPlane.backingStore.database.external.enabled",
)


def _embedded_database(r: _Release) -> bool:
    """vcluster.database.embedded.enabled (chart/templates/_backingstore.tpl:4-26 at v0.30.5, and
    config/config.go:907-909 ``EmbeddedDatabase``): on when asked for, or when no other backing store is —
    deployed etcd, embedded etcd, an external etcd (``etcd.external.enabled``) or an external database."""
    others = [s for s in BACKING_STORES if s != "controlPlane.backingStore.database.embedded.enabled"]
    return _on(r.get("controlPlane.backingStore.database.embedded.enabled")) or not any(_on(r.get(o)) for o in others)


def _volume_claim(r: _Release) -> tuple[bool, str]:
    """vcluster.persistence.volumeClaim.enabled, with the reason in words."""
    if _list(r.values, "controlPlane.statefulSet.persistence.volumeClaimTemplates"):
        return True, "persistence.volumeClaimTemplates set"
    enabled = _str_bool(r.get("controlPlane.statefulSet.persistence.volumeClaim.enabled"))
    if enabled == "true":
        return True, "persistence.volumeClaim.enabled: true"
    if enabled == "auto":
        if _on(r.get("controlPlane.backingStore.etcd.embedded.enabled")):
            return True, "volume claim auto: embedded etcd needs a volume"
        if _embedded_database(r):
            return True, "volume claim auto: the embedded database needs a volume"
        return False, "volume claim auto: the backing store keeps no data in the control plane"
    return False, f"persistence.volumeClaim.enabled: {enabled}"


def _control_plane_kind(r: _Release) -> tuple[str, str]:
    claim, why = _volume_claim(r)
    if claim:
        return "StatefulSet", why
    if _on(r.get("controlPlane.backingStore.etcd.embedded.enabled")):
        return "StatefulSet", "embedded etcd"
    return "Deployment", f"no persistent volume claim: {why}"


def external_etcd_host(values: Mapping[str, Any]) -> str | None:
    """The host vCluster dials for an external etcd (``etcd.external.enabled``), or None when it is off.

    vCluster v0.30.5 dials ``"https://" + strings.TrimPrefix(endpoint, "https://")`` (pkg/etcd/client.go:64-65,
    pkg/k8s/k8s.go:307-313, pkg/k3s/k3s.go:75-76): ``""`` means the endpoint is missing (an empty endpoint, or
    ``https://`` alone, both dial ``https://``)."""
    if not _on(_get(values, "controlPlane.backingStore.etcd.external.enabled")):
        return None
    endpoint = str(_get(values, "controlPlane.backingStore.etcd.external.endpoint") or "").strip()
    return endpoint.removeprefix("https://")


def _backing_store(r: _Release) -> tuple[str, str | None]:
    """The backing store the control plane uses, as vCluster's ``Config.BackingStoreType`` picks it
    (config/config.go:888-905 at v0.30.5: etcd embedded, etcd external, etcd deploy, database embedded,
    database external, else the embedded database), and a warning when the values leave it unusable.

    The chart and its schema accept ``etcd.external.enabled`` without ``endpoint`` (values.schema.json
    ``EtcdExternal`` requires nothing), but the control plane then dials ``https://`` — pkg/etcd/client.go:64-65,
    pkg/k8s/k8s.go:313, pkg/k3s/k3s.go:75-76 prefix the empty endpoint — and does not come up: the syncer
    container exits 1 and restarts for ever (``syncer.start_failure``, which the modelled kubelet runs)."""
    if _on(r.get("controlPlane.backingStore.etcd.embedded.enabled")):
        return "embedded etcd", None
    host = external_etcd_host(r.values)
    if host is not None:
        if not host:
            return "external etcd (no endpoint)", (
                "controlPlane.backingStore.etcd.external.endpoint is empty while etcd.external.enabled is true: "
                "the chart renders, but vCluster dials https:// (pkg/etcd/client.go:64-65) and its control plane "
                "does not start (the syncer container exits 1 and restarts: CrashLoopBackOff, never Ready); the "
                "modelled syncer writes no vc-" + r.name + " kubeconfig Secret"
            )
        return f"external etcd at https://{host}", None
    if _on(r.get("controlPlane.backingStore.etcd.deploy.enabled")):
        return "deployed etcd", None
    if _on(r.get("controlPlane.backingStore.database.external.enabled")) and not _on(
        r.get("controlPlane.backingStore.database.embedded.enabled")
    ):
        return "external database", None
    return "embedded database", None
