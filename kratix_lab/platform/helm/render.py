"""The render: `helm template` of the vCluster chart, modelled.

``render_chart`` checks the source and the values (against the chart's values.schema.json when it
is at hand), coalesces them over the chart defaults and asks each template module for its objects,
which it sorts in Helm's install order (pkg/releaseutil/kind_sorter.go).
"""

from __future__ import annotations

import collections
import functools
import hashlib
import pickle
import re
import threading
import zlib
from pathlib import Path

import msgspec

from kratix_lab.model import clone, doccache
from kratix_lab.platform.helm.control_plane import _config_secret, _control_plane
from kratix_lab.platform.helm.coredns import _coredns_configmap
from kratix_lab.platform.helm.etcd import _etcd_statefulset
from kratix_lab.platform.helm.policies import _ingress, _policies
from kratix_lab.platform.helm.rbac import _rbac, _service_accounts
from kratix_lab.platform.helm.reference import (
    SCHEMA_ENV,
    VALUES_ENV,
    _builtin_defaults,
    _chart_defaults,
    find_schema_file,
    find_values_file,
    validate_values,
)
from kratix_lab.platform.helm.release import BACKING_STORES, _backing_store, _control_plane_kind, _Release
from kratix_lab.platform.helm.services import _services
from kratix_lab.platform.helm.source import CHART, ChartError, ChartRender, HelmSource, _not_modelled, supported
from kratix_lab.platform.helm.syncer import _coredns_synced, _kube_dns_synced, _kubeconfig_secret
from kratix_lab.platform.helm.values import _coalesce, _on

# Helm's InstallOrder (pkg/releaseutil/kind_sorter.go): `helm template` prints objects in this order.
_INSTALL_ORDER = [
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
]
_RELEASE_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def render_chart(source: HelmSource, schema_path: Path | None = None, *, shared: bool = False) -> ChartRender:
    """The objects `helm template` of ``source`` would give Argo CD, modelled for vcluster 0.30.x.

    Raises ChartError for a chart the lab does not model (never a pretend success) and for values
    the chart refuses (every schema error, with its path).

    ``shared=True``: the result may be one made earlier for the same inputs (the source, the
    schema and values files and their modification times) and the caller must not change it.
    Argo CD and the modelled vCluster syncer render the same release this way.
    """
    schema = Path(schema_path) if schema_path is not None else find_schema_file()
    defaults_file = find_values_file()
    if not shared:
        return _render_chart(source, schema, defaults_file)
    key = (
        source.repo_url,
        source.chart,
        source.target_revision,
        source.release_name,
        source.namespace,
        repr(source.values),  # types and key order included: both can change what is rendered
        _file_identity(schema),
        _file_identity(defaults_file),
    )
    with _lock:
        done = _renders_in_use.get(key)
        if done is not None:
            _renders_in_use.move_to_end(key)
            return done
    done = _kept(key, source)
    if done is None:
        done = _render_chart(source, schema, defaults_file)
        _keep(key, done)
    with _lock:
        _renders_in_use[key] = done
        if len(_renders_in_use) > _RENDERS_IN_USE:
            _renders_in_use.popitem(last=False)
    return done


# Argo CD renders every release in a round and the modelled syncer then asks for the same ones, and Argo CD asks again
# for an Application that changes: as Argo CD's repo server keeps generated manifests (reposerver/cache/cache.go
# SetManifests/GetManifests, kept --repo-cache-expiration, 24 h, in Redis: a restarted controller does not render
# them again), a release is rendered once per input. Kept serialized (~10 KB a release) in the document cache's file
# when the process keeps one (``kratix_lab.model.doccache``: the dashboard's workers, ``status``), so also for the
# next process — at 1,000 vClusters ~15 MB the dashboard's clock no longer holds, and its first round ~10 s shorter
# when a process rendered them before —, else in this process (``_renders``: ~1 ms to load one again, against ~27 ms
# to render it); the latest asked for as objects as well. Fewer kept than the fleet's releases would render each
# twice in a process's first round.
_RENDERS_KEPT = 4096
_RENDERS_IN_USE = 8
_renders: collections.OrderedDict[tuple, bytes] = collections.OrderedDict()  # least recently used first
_renders_in_use: collections.OrderedDict[tuple, ChartRender] = collections.OrderedDict()
_lock = threading.Lock()  # the dashboard's reader and clock share a process (``tui.lab_workers.WorkerHost``)
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


def _kept(key: tuple, source: HelmSource) -> ChartRender | None:
    """The render kept for ``key`` (on disk when a document cache is open, else in ``_renders``), or None."""
    if doccache.is_open():
        stored = doccache.value(_disk_key(key))
        if stored is None:
            return None
        try:
            fields = _decode(zlib.decompress(stored))
            return ChartRender(
                objects=fields["objects"],
                values=fields["values"],
                modelled=fields["modelled"],
                notes=fields["notes"],
                source=source,
            )
        except Exception:  # not what this code writes (the key names the code: a damaged file)
            return None
    with _lock:
        stored = _renders.get(key)
        if stored is not None:
            _renders.move_to_end(key)
    return None if stored is None else pickle.loads(zlib.decompress(stored))


def _keep(key: tuple, done: ChartRender) -> None:
    if doccache.is_open():
        fields = {"objects": done.objects, "values": done.values, "modelled": done.modelled, "notes": done.notes}
        try:
            text = _encode(fields)
            if _decode(text) == fields:  # kept only when JSON gives back exactly this render (types included)
                doccache.keep(_disk_key(key), zlib.compress(text, 6))
        except Exception:  # a value JSON has no type for: rendered again next time
            pass
        return
    stored = zlib.compress(pickle.dumps(done, pickle.HIGHEST_PROTOCOL), 9)
    with _lock:
        _renders[key] = stored
        if len(_renders) > _RENDERS_KEPT:
            _renders.popitem(last=False)


def _disk_key(key: tuple) -> bytes:
    """A render's key in the document cache: its inputs (the files by name, which its notes give, and by content,
    not by modification time) and the code that renders (``code_digest``: a render made by other code is never
    read)."""
    inputs = (*key[:6], _content(key[6]), _content(key[7]))
    return hashlib.sha256(repr(("helm-render", code_digest(), inputs)).encode()).digest()


@functools.lru_cache(maxsize=16)
def _content(identity: tuple[str, int] | None) -> str | None:
    if identity is None:
        return None
    try:
        return f"{identity[0]} {hashlib.sha256(Path(identity[0]).read_bytes()).hexdigest()}"
    except OSError:
        return f"{identity[0]} unreadable at {identity[1]}"


@functools.cache
def code_digest() -> str:
    """A digest of kratix-lab's modules' source (~180 files, ~10 ms once a process): what a render depends on
    besides its inputs."""
    root = Path(__file__).resolve().parents[2]
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _file_identity(path: Path | None) -> tuple[str, int] | None:
    if path is None or not path.is_file():
        return None
    return str(path), path.stat().st_mtime_ns


def _render_chart(source: HelmSource, schema: Path | None, defaults_file: Path | None) -> ChartRender:
    if not supported(source.repo_url, source.chart, source.target_revision):
        raise _not_modelled(source)
    version = str(source.target_revision).strip()
    release = source.release_name
    if not release or len(release) > 53 or not _RELEASE_NAME.fullmatch(release):
        raise ChartError(
            f"release name {release!r} is invalid: Helm needs a lowercase DNS-1123 name of at most 53 characters"
        )
    if not source.namespace or not _DNS_LABEL.fullmatch(source.namespace) or len(source.namespace) > 63:
        raise ChartError(f"namespace {source.namespace!r} is invalid: expected a DNS-1123 label")
    user = source.values if source.values is not None else {}
    if not isinstance(user, dict):
        raise ChartError(f"values of release {release}: expected a mapping, got {type(user).__name__}")

    notes = [
        f"modelled render of {CHART} {version} (release {release}, namespace {source.namespace}): built by "
        "kratix-lab after the chart's templates at v0.30.5, not by helm template",
        "Argo CD applies the rendered objects itself: there is no Helm release Secret (sh.helm.release.v1.*)",
    ]
    if schema is not None and schema.is_file():
        errors = validate_values(user, schema)
        if errors:
            listing = "\n".join(f"- {e}" for e in errors)
            raise ChartError(
                f"values don't meet the specifications of the schema(s) in the following chart(s):\n"
                f"{CHART} {version} (release {release}, {len(errors)} error{'s' * (len(errors) != 1)}):\n{listing}",
                errors,
            )
        notes.append(f"values validated against {schema}")
    else:
        notes.append(f"values not validated: no schema (set {SCHEMA_ENV} to the chart's values.schema.json)")

    if defaults_file is not None:
        defaults = _chart_defaults(str(defaults_file), defaults_file.stat().st_mtime_ns)
        notes.append(f"chart defaults from {defaults_file}")
    else:
        defaults = _builtin_defaults()
        notes.append(
            f"chart defaults: kratix-lab's built-in copy of the keys it models (no values.yaml; set {VALUES_ENV})"
        )
    effective = clone(_coalesce(defaults, user))
    rel = _Release(release, source.namespace, version, effective)
    objects, more_notes = _render(rel)
    return ChartRender(objects=objects, values=effective, notes=notes + more_notes, source=source)


def _render(r: _Release) -> tuple[list[dict], list[str]]:
    _check_fails(r)
    notes: list[str] = []
    kind, why = _control_plane_kind(r)
    notes.append(f"control plane: {kind} {r.name} ({why})")
    store, store_warning = _backing_store(r)
    notes.append(f"backing store: {store}")
    if store_warning:
        notes.append(store_warning)
    chart: list[dict] = [
        *_service_accounts(r),
        _config_secret(r),
        *_coredns_configmap(r),
        *_rbac(r),
        *_services(r, kind),
        _control_plane(r, kind),
        *_etcd_statefulset(r),
        *_ingress(r),
        *_policies(r),
    ]
    order = {k: i for i, k in enumerate(_INSTALL_ORDER)}
    chart.sort(key=lambda o: (order.get(o["kind"], len(order)), o["kind"], o["metadata"]["name"]))
    synced = _coredns_synced(r)
    if synced:
        notes.append(
            f"CoreDNS: Deployment {synced[0]['metadata']['name']} models what vCluster's syncer puts in the host "
            "namespace at runtime (in a real cluster: the synced CoreDNS pods); it is not chart output"
        )
    dns_service = _kube_dns_synced(r)
    kubeconfig = _kubeconfig_secret(r)
    if dns_service:
        notes.append(
            f"kube-dns: Service {dns_service[0]['metadata']['name']} is the virtual cluster's kube-system/kube-dns as "
            "vCluster's service syncer writes it to the host namespace at runtime; it is not chart output"
        )
    if kubeconfig:
        notes.append(
            f"kubeconfig: Secret vc-{r.name} (keys config, certificate-authority, client-certificate, client-key, "
            "token) is written by vCluster's syncer once the control plane runs (modelled certificates); it is not "
            "chart output"
        )
    synced += dns_service + kubeconfig
    if _on(r.get("exportKubeConfig.secret.name")) or _on(r.get("exportKubeConfig.additionalSecrets")):
        notes.append("set in values but not modelled: exportKubeConfig.secret / additionalSecrets (only vc-<name>)")
    unmodelled = [
        label
        for dotted, label in (
            ("controlPlane.serviceMonitor.enabled", "ServiceMonitor"),
            ("privateNodes.enabled", "private nodes"),
            ("plugins", "plugins"),
            ("experimental.deploy.host.manifests", "experimental.deploy host manifests"),
        )
        if _on(r.get(dotted))
    ]
    if unmodelled:
        notes.append("set in values but not modelled: " + ", ".join(unmodelled))
    return chart + synced, notes


def _check_fails(r: _Release) -> None:
    """The chart's own `fail` calls, which make `helm template` exit with an error: more than one of the
    five backing stores (chart/templates/_backingstore.tpl:6-23 at v0.30.5 counts etcd embedded, deploy and
    external, database embedded and external), more than one distro."""
    if sum(_on(r.get(s)) for s in BACKING_STORES) > 1:
        raise ChartError("execution error: you can only enable one backingStore at the same time")
    if _on(r.get("controlPlane.distro.k3s.enabled")) and _on(r.get("controlPlane.distro.k8s.enabled")):
        raise ChartError("execution error: you can only enable one distro at the same time")
