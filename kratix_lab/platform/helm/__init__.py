"""The lab's modelled Helm stage: what `helm template` of the vCluster chart 0.30.x gives Argo CD.

The lab cannot download or run charts. Argo CD renders a Helm source with `helm template` and
applies the objects itself (no Helm release Secret), so for the one chart the platform deploys we
build those objects in Python — names, labels, selectors, replicas, resources and images as the
chart's templates at v0.30.5 make them — mark every one as modelled, and refuse any other chart.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from kratix_lab.errors import KratixLabError
from kratix_lab.model import clone, dump, load_one

CHART = "vcluster"
CHART_REPO = "https://charts.loft.sh"
MODELLED_VERSIONS = "0.30.x"
_VERSION = re.compile(r"0\.30\.(0|[1-9][0-9]?)")

MODELLED_ANNOTATION = "kratix-lab.io/modelled"
# Who creates the object in a real cluster: the chart (`helm template`) or vCluster's syncer at runtime.
RENDERED_BY_ANNOTATION = "kratix-lab.io/rendered-by"
BY_CHART = "helm-template"
BY_SYNCER = "vcluster-syncer"
# vCluster marks host objects it syncs with the owning vCluster's name (translate.MarkerLabel).
MANAGED_BY_LABEL = "vcluster.loft.sh/managed-by"

SCHEMA_ENV = "KRATIX_LAB_VCLUSTER_SCHEMA"
VALUES_ENV = "KRATIX_LAB_VCLUSTER_VALUES"
_REFERENCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "vcluster"
DEFAULT_SCHEMA_PATHS: tuple[Path, ...] = (_REFERENCE / "values.schema.json",)
DEFAULT_VALUES_PATHS: tuple[Path, ...] = (_REFERENCE / "values.yaml",)

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
_ALL_VERBS = ["create", "delete", "patch", "update", "get", "list", "watch"]


class ChartError(KratixLabError):
    """The chart cannot be rendered: not a modelled chart/version, or values the chart refuses."""

    def __init__(self, message: str, errors: Iterable[str] = ()):
        super().__init__(message)
        self.errors = list(errors)


@dataclass(frozen=True)
class HelmSource:
    """The Helm source of an Argo CD Application (`helm.valuesObject`, already merged)."""

    repo_url: str
    chart: str
    target_revision: str
    release_name: str
    namespace: str
    values: dict = field(default_factory=dict)


@dataclass
class ChartRender:
    """What the modelled `helm template` produced, and what it was produced from."""

    objects: list[dict]
    values: dict
    modelled: bool = True
    notes: list[str] = field(default_factory=list)
    source: HelmSource | None = None

    @property
    def chart_objects(self) -> list[dict]:
        """Objects the chart itself renders (what Argo CD applies and lists in status.resources)."""
        return [o for o in self.objects if _annotation(o, RENDERED_BY_ANNOTATION) == BY_CHART]

    @property
    def synced_objects(self) -> list[dict]:
        """Objects vCluster's syncer creates in the host namespace at runtime (not chart output)."""
        return [o for o in self.objects if _annotation(o, RENDERED_BY_ANNOTATION) == BY_SYNCER]


def _annotation(obj: Mapping[str, Any], key: str) -> str | None:
    return ((obj.get("metadata") or {}).get("annotations") or {}).get(key)


# --- which charts are modelled ------------------------------------------------------------------


def supported(repo_url: str, chart: str, version: str) -> bool:
    """True only for chart ``vcluster`` 0.30.0–0.30.99 from https://charts.loft.sh."""
    return (
        str(repo_url).strip().rstrip("/").lower() == CHART_REPO
        and chart == CHART
        and _VERSION.fullmatch(str(version).strip()) is not None
    )


def _not_modelled(source: HelmSource) -> ChartError:
    return ChartError(
        f"chart {source.chart} {source.target_revision} from {source.repo_url} is not modelled by kratix-lab "
        f"(modelled: {CHART} {MODELLED_VERSIONS} from {CHART_REPO})"
    )


# --- the chart's reference files: values.schema.json and values.yaml ---------------------------


def _first_existing(env: str, defaults: tuple[Path, ...]) -> Path | None:
    candidates = [Path(os.environ[env])] if os.environ.get(env) else []
    for p in [*candidates, *defaults]:
        if p.is_file():
            return p.resolve()
    return None


def find_schema_file() -> Path | None:
    """The chart's values.schema.json: ``$KRATIX_LAB_VCLUSTER_SCHEMA``, then DEFAULT_SCHEMA_PATHS."""
    return _first_existing(SCHEMA_ENV, DEFAULT_SCHEMA_PATHS)


def schema_available() -> bool:
    """Whether values can be validated (callers say "values not validated: no schema" otherwise)."""
    return find_schema_file() is not None


def find_values_file() -> Path | None:
    """The chart's values.yaml: ``$KRATIX_LAB_VCLUSTER_VALUES``, then DEFAULT_VALUES_PATHS."""
    return _first_existing(VALUES_ENV, DEFAULT_VALUES_PATHS)


@lru_cache(maxsize=8)
def _validator(path: str, mtime_ns: int) -> jsonschema.Draft202012Validator:
    schema = json.loads(Path(path).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


@lru_cache(maxsize=8)
def _chart_defaults(path: str, mtime_ns: int) -> dict[str, Any]:
    data = load_one(Path(path).read_text(encoding="utf-8"), path)
    if not isinstance(data, dict):
        raise ChartError(f"{path}: chart values.yaml is not a mapping")
    return data


def _json_path(parts: Iterable[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _unknown_keys(error: jsonschema.ValidationError) -> list[str]:
    props = error.schema.get("properties") or {}
    patterns = error.schema.get("patternProperties") or {}
    return [k for k in error.instance if k not in props and not any(re.search(p, k) for p in patterns)]


def validate_values(values: dict, schema_path: Path | None = None) -> list[str]:
    """Every error of ``values`` against the chart's values.schema.json, as ``path.to.field: message``.

    Returns [] when no schema file is found (see ``schema_available``).
    """
    path = Path(schema_path) if schema_path is not None else find_schema_file()
    if path is None or not path.is_file():
        return []
    validator = _validator(str(path), path.stat().st_mtime_ns)
    errors: list[str] = []
    for e in validator.iter_errors(values):
        where = list(e.absolute_path)
        if e.validator == "additionalProperties" and e.validator_value is False and isinstance(e.instance, dict):
            errors += [
                f"{_json_path([*where, k])}: unknown field, not in the chart's values.schema.json"
                for k in _unknown_keys(e)
            ]
        else:
            errors.append(f"{_json_path(where) or '<root>'}: {e.message}")
    return sorted(set(errors))


# --- values: Helm's coalescing and Go-template truthiness -------------------------------------


def _coalesce(defaults: Mapping[str, Any], user: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's merge of user values over chart defaults: maps merge, lists and scalars replace, null deletes."""
    out = {k: v for k, v in defaults.items()}
    for k, v in user.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = _coalesce(out[k], v)
        else:
            out[k] = v
    return out


def _get(values: Mapping[str, Any], dotted: str, default: Any = None) -> Any:
    node: Any = values
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return default
        node = node[part]
    return node


def _on(value: Any) -> bool:
    """Go-template truthiness (`{{ if x }}`): false, 0, "", nil and empty collections are false."""
    return bool(value)


def _str_bool(value: Any) -> str:
    """`toString` of a StrBool value ("true" | "false" | "auto")."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _int(values: Mapping[str, Any], dotted: str) -> int:
    value = _get(values, dotted)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ChartError(f"{dotted}: expected an integer, got {value!r}", [f"{dotted}: {value!r} is not an integer"])
    return value


def _map(values: Mapping[str, Any], dotted: str) -> dict[str, Any]:
    value = _get(values, dotted)
    return clone(value) if isinstance(value, dict) else {}


def _list(values: Mapping[str, Any], dotted: str) -> list[Any]:
    value = _get(values, dotted)
    return clone(value) if isinstance(value, list) else []


def _keys_sorted(data: Any) -> Any:
    """Maps with sorted keys, as Helm's `toYaml` writes them."""
    if isinstance(data, dict):
        return {k: _keys_sorted(data[k]) for k in sorted(data, key=str)}
    if isinstance(data, list):
        return [_keys_sorted(v) for v in data]
    return data


# --- the render ---------------------------------------------------------------------------------


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
    done = _renders.get(key)
    if done is None:
        done = _render_chart(source, schema, defaults_file)
        if len(_renders) >= _RENDERS_KEPT:
            _renders.pop(next(iter(_renders)))
        _renders[key] = done
    return done


_RENDERS_KEPT = 256
_renders: dict[tuple, ChartRender] = {}  # shared renders (see render_chart), oldest first


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
    """The chart's own `fail` calls, which make `helm template` exit with an error."""
    stores = [
        r.get("controlPlane.backingStore.etcd.embedded.enabled"),
        r.get("controlPlane.backingStore.etcd.deploy.enabled"),
        r.get("controlPlane.backingStore.database.embedded.enabled"),
        r.get("controlPlane.backingStore.database.external.enabled"),
    ]
    if sum(map(_on, stores)) > 1:
        raise ChartError("execution error: you can only enable one backingStore at the same time")
    if _on(r.get("controlPlane.distro.k3s.enabled")) and _on(r.get("controlPlane.distro.k8s.enabled")):
        raise ChartError("execution error: you can only enable one distro at the same time")


def _distro(r: _Release) -> str:
    return "k3s" if _on(r.get("controlPlane.distro.k3s.enabled")) else "k8s"


def _embedded_database(r: _Release) -> bool:
    """vcluster.database.embedded.enabled: on when asked for, or when no other backing store is."""
    others = [
        "controlPlane.backingStore.etcd.embedded.enabled",
        "controlPlane.backingStore.etcd.deploy.enabled",
        "controlPlane.backingStore.database.external.enabled",
    ]
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


# --- ServiceAccounts, config Secret, CoreDNS ConfigMap -------------------------------------------


def _service_account_name(r: _Release) -> str:
    return r.get("controlPlane.advanced.serviceAccount.name") or f"vc-{r.name}"


def _service_accounts(r: _Release) -> list[dict]:
    out = []
    pull = _list(r.values, "controlPlane.advanced.serviceAccount.imagePullSecrets")
    for key, default, pull_secrets in (
        ("serviceAccount", f"vc-{r.name}", pull),
        (
            "workloadServiceAccount",
            f"vc-workload-{r.name}",
            pull + _list(r.values, "controlPlane.advanced.workloadServiceAccount.imagePullSecrets"),
        ),
    ):
        base = f"controlPlane.advanced.{key}"
        if not _on(r.get(f"{base}.enabled")):
            continue
        sa: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": r.meta(
                r.get(f"{base}.name") or default,
                r.labels(extra=_map(r.values, f"{base}.labels")),
                {**r.global_annotations(), **_map(r.values, f"{base}.annotations")},
            ),
        }
        if pull_secrets:
            sa["imagePullSecrets"] = pull_secrets
        out.append(sa)
    return out


def _config_yaml(r: _Release) -> str:
    """The effective values with sorted keys (as Helm's `toYaml`), through the one YAML dumper."""
    try:
        canonical = json.dumps(r.values, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):  # values JSON cannot carry: dump them directly
        return dump(_keys_sorted(r.values))
    return _dump_canonical(canonical)


@lru_cache(maxsize=256)
def _dump_canonical(canonical_json: str) -> str:
    """Cached: a lab re-renders the same Application every reconcile round."""
    return dump(json.loads(canonical_json))


def _config_secret(r: _Release) -> dict:
    """vc-config-<release>: the chart writes the whole effective values as the vCluster config."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": r.meta(f"vc-config-{r.name}", r.labels(), r.global_annotations()),
        "type": "Opaque",
        "data": {"config.yaml": base64.b64encode(_config_yaml(r).encode()).decode()},
    }


def _config_hash(r: _Release) -> str:
    """vcluster.vClusterConfigHash: a digest of the config without privateNodes.autoNodes (modelled: JSON, not toYaml)."""
    values = dict(r.values)
    if isinstance(values.get("privateNodes"), dict):
        values["privateNodes"] = {k: v for k, v in values["privateNodes"].items() if k != "autoNodes"}
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


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


# --- RBAC ----------------------------------------------------------------------------------------


def _rule(groups: list[str], resources: list[str], verbs: list[str]) -> dict[str, Any]:
    return {"apiGroups": groups, "resources": resources, "verbs": verbs}


def _role_rules(r: _Release) -> list[dict]:
    overwrite = _list(r.values, "rbac.role.overwriteRules")
    if overwrite:
        return overwrite
    on = lambda dotted: _on(r.get(dotted))  # noqa: E731
    rules = []
    if on("privateNodes.enabled"):
        rules += [
            _rule([""], ["secrets", "configmaps"], _ALL_VERBS),
            _rule([""], ["services", "pods", "persistentvolumeclaims"], ["get", "list", "watch"]),
        ]
    else:
        core = ["configmaps", "secrets", "services", "pods", "pods/attach", "pods/portforward", "pods/exec"]
        rules += [
            _rule([""], [*core, "persistentvolumeclaims"], _ALL_VERBS),
            _rule([""], ["pods/status", "pods/ephemeralcontainers"], ["patch", "update"]),
        ]
    rules += [
        _rule(["apps"], ["statefulsets", "replicasets", "deployments"], ["get", "list", "watch"]),
        _rule([""], ["endpoints", "events", "pods/log"], ["get", "list", "watch"]),
    ]
    if on("sync.toHost.endpoints.enabled"):
        rules.append(_rule([""], ["endpoints"], ["create", "delete", "patch", "update"]))
    if on("privateNodes.enabled") or _int(r.values, "controlPlane.statefulSet.highAvailability.replicas") > 1:
        rules.append(_rule(["coordination.k8s.io"], ["leases"], _ALL_VERBS))
    if on("integrations.metricsServer.enabled") and on("integrations.metricsServer.pods"):
        rules.append(_rule(["metrics.k8s.io"], ["pods"], ["get", "list"]))
    for dotted, group, resource in (
        ("sync.toHost.ingresses.enabled", "networking.k8s.io", "ingresses"),
        ("sync.toHost.networkPolicies.enabled", "networking.k8s.io", "networkpolicies"),
        ("sync.toHost.volumeSnapshots.enabled", "snapshot.storage.k8s.io", "volumesnapshots"),
        ("sync.toHost.serviceAccounts.enabled", "", "serviceaccounts"),
        ("sync.toHost.podDisruptionBudgets.enabled", "policy", "poddisruptionbudgets"),
    ):
        if on(dotted):
            rules.append(_rule([group], [resource], _ALL_VERBS))
    if on("integrations.externalSecrets.enabled"):
        rules.append(_rule(["external-secrets.io"], ["externalsecrets"], _ALL_VERBS))
        if on("integrations.externalSecrets.sync.toHost.stores.enabled"):
            rules.append(_rule(["external-secrets.io"], ["secretstores"], _ALL_VERBS))
    if on("integrations.certManager.enabled"):
        for kind in ("certificates", "issuers"):
            if on(f"integrations.certManager.sync.toHost.{kind}.enabled"):
                rules.append(_rule(["cert-manager.io"], [kind], _ALL_VERBS))
    if on("integrations.istio.enabled"):
        rules += [
            _rule(
                ["networking.istio.io"],
                ["destinationrules", "gateways", "serviceentries", "virtualservices"],
                _ALL_VERBS,
            ),
            _rule(["gateway.networking.k8s.io"], ["referencegrants"], _ALL_VERBS),
        ]
    return rules + _list(r.values, "rbac.role.extraRules")


def _snapshot_rules_on(r: _Release) -> bool:
    enabled = _str_bool(r.get("rbac.enableVolumeSnapshotRules.enabled"))
    return enabled == "true" or (enabled == "auto" and not _on(r.get("privateNodes.enabled")))


def _cluster_role_needed(r: _Release) -> bool:
    """vcluster.createClusterRole (the triggers the model knows; see _rbac.tpl)."""
    enabled = _str_bool(r.get("rbac.clusterRole.enabled"))
    if enabled != "auto":
        return enabled == "true"
    on = lambda dotted: _on(r.get(dotted))  # noqa: E731
    is_true = lambda dotted: _str_bool(r.get(dotted)) == "true"  # noqa: E731
    return any(
        [
            on("rbac.clusterRole.overwriteRules"),
            on("rbac.clusterRole.extraRules"),
            on("networking.replicateServices.fromHost"),
            on("pro"),
            *(
                on(f"sync.toHost.{k}.enabled")
                for k in (
                    "storageClasses",
                    "persistentVolumes",
                    "priorityClasses",
                    "volumeSnapshotContents",
                    "namespaces",
                )
            ),
            *(
                on(f"sync.fromHost.{k}.enabled")
                for k in (
                    "priorityClasses",
                    "volumeSnapshotClasses",
                    "ingressClasses",
                    "runtimeClasses",
                    "nodes",
                    "configMaps",
                    "secrets",
                )
            ),
            *(
                is_true(f"sync.fromHost.{k}.enabled")
                for k in ("storageClasses", "csiNodes", "csiDrivers", "csiStorageCapacities")
            ),
            _distro(r) == "k8s" and on("controlPlane.distro.k8s.scheduler.enabled"),
            on("controlPlane.advanced.virtualScheduler.enabled"),
            on("sync.toHost.pods.hybridScheduling.enabled"),
            on("integrations.kubeVirt.enabled"),
            on("integrations.externalSecrets.enabled"),
            on("integrations.certManager.enabled")
            and on("integrations.certManager.sync.fromHost.clusterIssuers.enabled"),
            on("integrations.metricsServer.enabled") and on("integrations.metricsServer.nodes"),
            on("integrations.istio.enabled"),
            _snapshot_rules_on(r),
        ]
    )


def _cluster_role_rules(r: _Release) -> list[dict]:
    overwrite = _list(r.values, "rbac.clusterRole.overwriteRules")
    if overwrite:
        return overwrite
    on = lambda dotted: _on(r.get(dotted))  # noqa: E731
    watch = ["get", "watch", "list"]
    rules = []
    if on("pro") or on("sync.fromHost.nodes.enabled"):
        rules.append(_rule([""], ["pods", "nodes", "nodes/status"], watch))
    if on("sync.fromHost.nodes.enabled") and (
        on("networking.advanced.proxyKubelets.byIP") or on("networking.advanced.proxyKubelets.byHostname")
    ):
        rules.append(_rule([""], ["nodes/metrics", "nodes/stats", "nodes/proxy"], ["get"]))
    if on("sync.fromHost.nodes.enabled") and on("sync.fromHost.nodes.syncBackChanges"):
        rules.append(_rule([""], ["nodes", "nodes/status"], ["update", "patch"]))
    if on("controlPlane.distro.k8s.scheduler.enabled") or on("controlPlane.advanced.virtualScheduler.enabled"):
        rules.append(
            _rule(["storage.k8s.io"], ["storageclasses", "csinodes", "csidrivers", "csistoragecapacities"], watch)
        )
    for key, resource in (
        ("storageClasses", "storageclasses"),
        ("csiNodes", "csinodes"),
        ("csiDrivers", "csidrivers"),
        ("csiStorageCapacities", "csistoragecapacities"),
    ):
        if _str_bool(r.get(f"sync.fromHost.{key}.enabled")) == "true":
            rules.append(_rule(["storage.k8s.io"], [resource], watch))
    snapshots = _snapshot_rules_on(r)
    if on("sync.toHost.persistentVolumes.enabled") or snapshots:
        rules.append(_rule([""], ["persistentvolumes"], ["get", "list"]))
    if on("sync.toHost.persistentVolumes.enabled"):
        rules.append(_rule([""], ["persistentvolumes"], ["create", "delete", "patch", "update", "watch"]))
    if on("sync.fromHost.ingressClasses.enabled"):
        rules.append(_rule(["networking.k8s.io"], ["ingressclasses"], watch))
    if on("sync.fromHost.runtimeClasses.enabled"):
        rules.append(_rule(["node.k8s.io"], ["runtimeclasses"], watch))
    if on("sync.toHost.storageClasses.enabled"):
        rules.append(_rule(["storage.k8s.io"], ["storageclasses"], _ALL_VERBS))
    if on("sync.toHost.priorityClasses.enabled") or on("sync.fromHost.priorityClasses.enabled"):
        rules.append(_rule(["scheduling.k8s.io"], ["priorityclasses"], _ALL_VERBS))
    if on("sync.fromHost.volumeSnapshotClasses.enabled") or snapshots:
        rules.append(_rule(["snapshot.storage.k8s.io"], ["volumesnapshotclasses"], ["get", "list"]))
    if on("sync.toHost.volumeSnapshotContents.enabled") or snapshots:
        rules.append(
            _rule(
                ["snapshot.storage.k8s.io"],
                ["volumesnapshotcontents"],
                ["create", "delete", "patch", "update", "get", "list"],
            )
        )
    if on("networking.replicateServices.fromHost"):
        rules.append(_rule([""], ["services", "endpoints"], watch))
    if on("sync.toHost.namespaces.enabled"):
        rules.append(_rule([""], ["namespaces", "serviceaccounts"], _ALL_VERBS))
    if on("integrations.metricsServer.enabled") and on("integrations.metricsServer.nodes"):
        rules.append(_rule(["metrics.k8s.io"], ["nodes"], ["get", "list"]))
    if any(on(f"integrations.{i}.enabled") for i in ("kubeVirt", "externalSecrets", "certManager", "istio")):
        rules.append(_rule(["apiextensions.k8s.io"], ["customresourcedefinitions"], ["get", "list", "watch"]))
    if on("integrations.externalSecrets.enabled") and on(
        "integrations.externalSecrets.sync.fromHost.clusterStores.enabled"
    ):
        rules.append(_rule(["external-secrets.io"], ["clustersecretstores"], ["get", "list", "watch"]))
    if on("integrations.certManager.enabled") and on("integrations.certManager.sync.fromHost.clusterIssuers.enabled"):
        rules.append(_rule(["cert-manager.io"], ["clusterissuers"], ["get", "list", "watch"]))
    return rules + _list(r.values, "rbac.clusterRole.extraRules")


def _rbac(r: _Release) -> list[dict]:
    out: list[dict] = []
    subject = {"kind": "ServiceAccount", "name": _service_account_name(r), "namespace": r.namespace}
    annotations = r.global_annotations()
    if _on(r.get("rbac.role.enabled")):
        if _on(r.get("sync.toHost.namespaces.enabled")):  # the role becomes cluster-wide
            name, kind, namespaced = f"vc-mn-{r.name}-v-{r.namespace}"[:63].rstrip("-"), "ClusterRole", False
        else:
            name, kind, namespaced = f"vc-{r.name}", "Role", True
        out.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": kind,
                "metadata": r.meta(name, r.labels(), annotations, namespaced=namespaced),
                "rules": _role_rules(r),
            }
        )
        out.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": f"{kind}Binding",
                "metadata": r.meta(name, r.labels(), annotations, namespaced=namespaced),
                "subjects": [subject],
                "roleRef": {"kind": kind, "name": name, "apiGroup": "rbac.authorization.k8s.io"},
            }
        )
    if _cluster_role_needed(r):
        name = f"vc-{r.name}-v-{r.namespace}"[:63].rstrip("-")
        out.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": r.meta(name, r.labels(), annotations, namespaced=False),
                "rules": _cluster_role_rules(r),
            }
        )
        out.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": r.meta(name, r.labels(), annotations, namespaced=False),
                "subjects": [subject],
                "roleRef": {"kind": "ClusterRole", "name": name, "apiGroup": "rbac.authorization.k8s.io"},
            }
        )
    return out


# --- Services ------------------------------------------------------------------------------------


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


# --- the control plane ---------------------------------------------------------------------------


def _scheduling(r: _Release, base: str) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if r.get(f"{base}.priorityClassName"):
        spec["priorityClassName"] = r.get(f"{base}.priorityClassName")
    for key in ("nodeSelector", "affinity", "topologySpreadConstraints", "tolerations"):
        value = r.get(f"{base}.{key}")
        if _on(value):
            spec[key] = clone(value)
    return spec


def _probe(r: _Release, kind: str, path: str) -> dict[str, Any] | None:
    probe = _map(r.values, f"controlPlane.statefulSet.probes.{kind}")
    if not _on(probe.get("enabled")):
        return None
    out: dict[str, Any] = {"httpGet": {"path": path, "port": 8443, "scheme": "HTTPS"}}
    keys = ["initialDelaySeconds"] if kind == "livenessProbe" else []
    for key in [*keys, "periodSeconds", "timeoutSeconds", "failureThreshold"]:
        if probe.get(key) is not None:
            out[key] = probe[key]
    return out


def _distro_image(r: _Release) -> str:
    if _distro(r) == "k3s":
        base = "controlPlane.distro.k3s.image"
        return r.image(r.get(f"{base}.registry") or "", r.get(f"{base}.repository"), r.get(f"{base}.tag"))
    base = "controlPlane.distro.k8s"
    tag = r.get(f"{base}.version") or r.get(f"{base}.image.tag")
    return r.image(r.get(f"{base}.image.registry") or "", r.get(f"{base}.image.repository"), tag)


def _init_containers(r: _Release) -> list[dict]:
    """The distro's binaries are copied into the syncer's pod by an init container."""
    distro = _distro(r)
    base = f"controlPlane.distro.{distro}"
    mounts = [{"name": "binaries", "mountPath": "/binaries"}]
    if distro == "k3s":
        c: dict[str, Any] = {
            "name": "vcluster",
            "image": _distro_image(r),
            "command": ["/bin/sh"],
            "args": ["-c", "cp /bin/k3s /binaries/k3s"],
        }
    else:
        c = {
            "name": "kubernetes",
            "image": _distro_image(r),
            "command": ["cp"],
            "args": ["-a", "/kubernetes/.", "/binaries/"],
        }
    c["volumeMounts"] = mounts
    if r.get(f"{base}.imagePullPolicy"):
        c["imagePullPolicy"] = r.get(f"{base}.imagePullPolicy")
    if _on(r.get(f"{base}.securityContext")):
        c["securityContext"] = _map(r.values, f"{base}.securityContext")
    c["resources"] = _map(r.values, f"{base}.resources")
    return [*_list(r.values, "controlPlane.statefulSet.initContainers"), c]


def _syncer_image(r: _Release) -> str:
    """The control plane runs vCluster's own image; its tag defaults to the chart version."""
    base = "controlPlane.statefulSet.image"
    tag = r.get(f"{base}.tag") or r.version
    return r.image(r.get(f"{base}.registry") or "", r.get(f"{base}.repository"), tag)


def _field_env(name: str, path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}


def _syncer(r: _Release) -> dict[str, Any]:
    base = "controlPlane.statefulSet"
    c: dict[str, Any] = {"name": "syncer", "image": _syncer_image(r)}
    if r.get(f"{base}.imagePullPolicy"):
        c["imagePullPolicy"] = r.get(f"{base}.imagePullPolicy")
    if r.get(f"{base}.workingDir"):
        c["workingDir"] = r.get(f"{base}.workingDir")
    for key in ("command", "args"):
        if _list(r.values, f"{base}.{key}"):
            c[key] = _list(r.values, f"{base}.{key}")
    for kind, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"), ("startupProbe", "/readyz")):
        probe = _probe(r, kind, path)
        if probe:
            c[kind] = probe
    security = _map(r.values, f"{base}.security.containerSecurityContext")
    if _on(r.get("controlPlane.advanced.kubeVip.enabled")):
        caps = security.setdefault("capabilities", {})
        caps["add"] = list(dict.fromkeys([*(caps.get("add") or []), "NET_ADMIN", "NET_RAW"]))
    if security:
        c["securityContext"] = security
    c["resources"] = _map(r.values, f"{base}.resources")
    env: list[dict[str, Any]] = [{"name": "VCLUSTER_NAME", "value": r.name}]
    if _on(r.get("logging")):
        env.append({"name": "LOFT_LOG_ENCODING", "value": str(r.get("logging.encoding") or "console")})
    env += [
        _field_env("POD_NAME", "metadata.name"),
        _field_env("POD_IP", "status.podIP"),
        _field_env("NODE_NAME", "spec.nodeName"),
        _field_env("NODE_IP", "status.hostIP"),
        *_list(r.values, f"{base}.env"),
        *_list(r.values, f"controlPlane.distro.{_distro(r)}.env"),
    ]
    c["env"] = env
    mounts = [
        {"name": "data", "mountPath": "/data"},
        {"name": "binaries", "mountPath": "/binaries"},
        {"name": "certs", "mountPath": "/pki"},
        {"name": "helm-cache", "mountPath": "/.cache/helm"},
    ]
    if _distro(r) == "k3s":
        mounts.append({"name": "k3s-config", "mountPath": "/etc/rancher"})
    mounts += [
        {"name": "vcluster-config", "mountPath": "/var/lib/vcluster"},
        {"name": "tmp", "mountPath": "/tmp"},
        *_list(r.values, f"{base}.persistence.addVolumeMounts"),
    ]
    c["volumeMounts"] = mounts
    return c


def _control_plane_volumes(r: _Release, claim: bool) -> list[dict]:
    base = "controlPlane.statefulSet.persistence"
    volumes: list[dict[str, Any]] = [
        {"name": "helm-cache", "emptyDir": {}},
        *_list(r.values, f"{base}.binariesVolume"),
        {"name": "tmp", "emptyDir": {}},
        {"name": "certs", "emptyDir": {}},
    ]
    if _distro(r) == "k3s":
        volumes.append({"name": "k3s-config", "emptyDir": {}})
    volumes.append({"name": "vcluster-config", "secret": {"secretName": f"vc-config-{r.name}"}})
    if _list(r.values, f"{base}.dataVolume"):
        volumes += _list(r.values, f"{base}.dataVolume")
    elif not claim:
        volumes.append({"name": "data", "emptyDir": {}})
    return volumes + _list(r.values, f"{base}.addVolumes")


def _claim_templates(r: _Release, base: str) -> list[dict]:
    templates = _list(r.values, f"{base}.persistence.volumeClaimTemplates")
    if templates:
        return templates
    claim = f"{base}.persistence.volumeClaim"
    spec: dict[str, Any] = {"accessModes": _list(r.values, f"{claim}.accessModes")}
    if r.get(f"{claim}.storageClass"):
        spec["storageClassName"] = r.get(f"{claim}.storageClass")
    spec["resources"] = {"requests": {"storage": str(r.get(f"{claim}.size"))}}
    return [{"metadata": {"name": "data"}, "spec": spec}]


def _control_plane(r: _Release, kind: str) -> dict:
    base = "controlPlane.statefulSet"
    replicas = _int(r.values, f"{base}.highAvailability.replicas")
    claim, _ = _volume_claim(r)
    selector = {"app": "vcluster", "release": r.name}
    pod_annotations = {"vClusterConfigHash": _config_hash(r), **_map(r.values, f"{base}.pods.annotations")}
    pod_spec: dict[str, Any] = {"terminationGracePeriodSeconds": 10}
    pod_spec.update(_scheduling(r, f"{base}.scheduling"))
    if _on(r.get(f"{base}.security.podSecurityContext")):
        pod_spec["securityContext"] = _map(r.values, f"{base}.security.podSecurityContext")
    if r.get(f"{base}.dnsPolicy"):
        pod_spec["dnsPolicy"] = r.get(f"{base}.dnsPolicy")
    if _on(r.get(f"{base}.dnsConfig")):
        pod_spec["dnsConfig"] = _map(r.values, f"{base}.dnsConfig")
    pod_spec["serviceAccountName"] = _service_account_name(r)
    pod_spec["volumes"] = _control_plane_volumes(r, claim)
    pod_spec["initContainers"] = _init_containers(r)
    pod_spec["enableServiceLinks"] = bool(r.get(f"{base}.enableServiceLinks"))
    pod_spec["containers"] = [_syncer(r), *_list(r.values, f"{base}.sidecarContainers")]
    spec: dict[str, Any] = {"selector": {"matchLabels": dict(selector)}}
    if kind == "StatefulSet":
        spec["persistentVolumeClaimRetentionPolicy"] = {
            "whenDeleted": r.get(f"{base}.persistence.volumeClaim.retentionPolicy")
        }
        spec["serviceName"] = f"{r.name}-headless"
        spec["podManagementPolicy"] = r.get(f"{base}.scheduling.podManagementPolicy")
        if claim:
            spec["volumeClaimTemplates"] = _claim_templates(r, base)
    else:
        spec["strategy"] = {
            "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0 if replicas == 1 else 1},
            "type": "RollingUpdate",
        }
    spec["replicas"] = replicas
    spec["template"] = {
        "metadata": {
            "annotations": pod_annotations,
            "labels": {**selector, **{str(k): str(v) for k, v in _map(r.values, f"{base}.pods.labels").items()}},
        },
        "spec": pod_spec,
    }
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": r.meta(
            r.name,
            r.labels(extra=_map(r.values, f"{base}.labels")),
            {**r.global_annotations(), **_map(r.values, f"{base}.annotations")},
        ),
        "spec": spec,
    }


# --- deployed etcd -------------------------------------------------------------------------------


def _etcd_statefulset(r: _Release) -> list[dict]:
    base = "controlPlane.backingStore.etcd.deploy.statefulSet"
    if not _on(r.get("controlPlane.backingStore.etcd.deploy.enabled")) or not _on(r.get(f"{base}.enabled")):
        return []
    replicas = _int(r.values, f"{base}.highAvailability.replicas")
    name, ns, headless = f"{r.name}-etcd", r.namespace, f"{r.name}-etcd-headless"
    selector = {"app": "vcluster-etcd", "release": r.name}
    peers = ",".join(f"{name}-{i}=https://{name}-{i}.{headless}.{ns}:2380" for i in range(replicas))
    command = [
        "etcd",
        "--cert-file=/run/config/pki/etcd-server.crt",
        "--client-cert-auth=true",
        "--data-dir=/var/lib/etcd",
        f"--advertise-client-urls=https://$(NAME).{headless}.{ns}:2379",
        f"--initial-advertise-peer-urls=https://$(NAME).{headless}.{ns}:2380",
        f"--initial-cluster={peers}",
        f"--initial-cluster-token={r.name}",
        "--initial-cluster-state=new",
        "--listen-client-urls=https://0.0.0.0:2379",
        "--listen-metrics-urls=http://0.0.0.0:2381",
        "--listen-peer-urls=https://0.0.0.0:2380",
        "--key-file=/run/config/pki/etcd-server.key",
        "--name=$(NAME)",
        "--peer-cert-file=/run/config/pki/etcd-peer.crt",
        "--peer-client-cert-auth=true",
        "--peer-key-file=/run/config/pki/etcd-peer.key",
        "--peer-trusted-ca-file=/run/config/pki/etcd-ca.crt",
        "--snapshot-count=10000",
        "--trusted-ca-file=/run/config/pki/etcd-ca.crt",
        *(str(a) for a in _list(r.values, f"{base}.extraArgs")),
    ]
    container: dict[str, Any] = {
        "name": "etcd",
        "image": r.image(
            r.get(f"{base}.image.registry") or "", r.get(f"{base}.image.repository"), r.get(f"{base}.image.tag")
        ),
        "command": command,
    }
    if _on(r.get(f"{base}.security.containerSecurityContext")):
        container["securityContext"] = _map(r.values, f"{base}.security.containerSecurityContext")
    container["env"] = [_field_env("NAME", "metadata.name"), *_list(r.values, f"{base}.env")]
    container["volumeMounts"] = [
        {"name": "data", "mountPath": "/var/lib/etcd"},
        {"mountPath": "/run/config/pki", "name": "certs", "readOnly": True},
        *_list(r.values, f"{base}.persistence.addVolumeMounts"),
    ]
    container["resources"] = _map(r.values, f"{base}.resources")
    probe = {"initialDelaySeconds": 10, "timeoutSeconds": 15, "periodSeconds": 10, "successThreshold": 1}
    container["livenessProbe"] = {
        "httpGet": {"path": "/livez", "port": 2381, "scheme": "HTTP"},
        **probe,
        "failureThreshold": 8,
    }
    container["startupProbe"] = {
        "httpGet": {"path": "/readyz", "port": 2381, "scheme": "HTTP"},
        **probe,
        "failureThreshold": 24,
    }
    if r.get(f"{base}.imagePullPolicy"):
        container["imagePullPolicy"] = r.get(f"{base}.imagePullPolicy")

    def anti_affinity(weight: int, topology: str) -> dict[str, Any]:
        expressions = [{"key": k, "operator": "In", "values": [v]} for k, v in selector.items()]
        term = {"labelSelector": {"matchExpressions": expressions}, "topologyKey": topology}
        return {"weight": weight, "podAffinityTerm": term}

    pod_spec: dict[str, Any] = {"terminationGracePeriodSeconds": 10}
    pod_spec["affinity"] = _map(r.values, f"{base}.scheduling.affinity") or {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                anti_affinity(100, "kubernetes.io/hostname"),
                anti_affinity(50, "topology.kubernetes.io/zone"),
            ]
        }
    }
    for key in ("topologySpreadConstraints", "nodeSelector", "tolerations"):
        if _on(r.get(f"{base}.scheduling.{key}")):
            pod_spec[key] = clone(r.get(f"{base}.scheduling.{key}"))
    pod_spec["automountServiceAccountToken"] = False
    pod_spec["serviceAccountName"] = _service_account_name(r)
    volumes: list[dict[str, Any]] = [{"name": "certs", "secret": {"secretName": f"{r.name}-certs"}}]
    volumes += _list(r.values, f"{base}.persistence.addVolumes")
    claim = _on(r.get(f"{base}.persistence.volumeClaim.enabled"))
    if not claim:
        volumes.append({"name": "data", "emptyDir": {}})
    pod_spec["volumes"] = volumes
    if r.get(f"{base}.scheduling.priorityClassName"):
        pod_spec["priorityClassName"] = r.get(f"{base}.scheduling.priorityClassName")
    if _on(r.get(f"{base}.security.podSecurityContext")):
        pod_spec["securityContext"] = _map(r.values, f"{base}.security.podSecurityContext")
    pod_spec["enableServiceLinks"] = bool(r.get(f"{base}.enableServiceLinks"))
    pod_spec["containers"] = [container]

    spec: dict[str, Any] = {
        "replicas": replicas,
        "podManagementPolicy": r.get(f"{base}.scheduling.podManagementPolicy"),
        "serviceName": headless,
    }
    if r.get(f"{base}.persistence.volumeClaim.retentionPolicy") == "Delete":
        spec["persistentVolumeClaimRetentionPolicy"] = {"whenDeleted": "Delete"}
    spec["selector"] = {"matchLabels": dict(selector)}
    if _list(r.values, f"{base}.persistence.volumeClaimTemplates"):
        spec["volumeClaimTemplates"] = _list(r.values, f"{base}.persistence.volumeClaimTemplates")
    elif claim:
        spec["volumeClaimTemplates"] = _claim_templates(r, base)
    pod_meta: dict[str, Any] = {}
    if _on(r.get(f"{base}.pods.annotations")):
        pod_meta["annotations"] = {str(k): str(v) for k, v in _map(r.values, f"{base}.pods.annotations").items()}
    pod_meta["labels"] = {**selector, **{str(k): str(v) for k, v in _map(r.values, f"{base}.pods.labels").items()}}
    spec["template"] = {"metadata": pod_meta, "spec": pod_spec}
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": r.meta(
                name,
                r.labels("vcluster-etcd", _map(r.values, f"{base}.labels")),
                {**_map(r.values, f"{base}.annotations"), **r.global_annotations()},
            ),
            "spec": spec,
        }
    ]


# --- Ingress and policies ------------------------------------------------------------------------


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


# --- what vCluster's syncer creates at runtime ---------------------------------------------------


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


# --- chart defaults when values.yaml is not at hand ----------------------------------------------

# The v0.30.5 defaults of every key the model reads (tests check them against the chart's values.yaml).
_BUILTIN_DEFAULTS_YAML = """\
sync:
  toHost:
    endpoints: {enabled: true}
    pods:
      hybridScheduling: {enabled: false}
    ingresses: {enabled: false}
    priorityClasses: {enabled: false}
    networkPolicies: {enabled: false}
    volumeSnapshots: {enabled: false}
    volumeSnapshotContents: {enabled: false}
    podDisruptionBudgets: {enabled: false}
    serviceAccounts: {enabled: false}
    storageClasses: {enabled: false}
    persistentVolumes: {enabled: false}
    namespaces: {enabled: false}
  fromHost:
    configMaps: {enabled: false}
    csiDrivers: {enabled: auto}
    csiNodes: {enabled: auto}
    csiStorageCapacities: {enabled: auto}
    storageClasses: {enabled: auto}
    ingressClasses: {enabled: false}
    runtimeClasses: {enabled: false}
    priorityClasses: {enabled: false}
    nodes: {enabled: false, syncBackChanges: false}
    secrets: {enabled: false}
    volumeSnapshotClasses: {enabled: false}
controlPlane:
  distro:
    k8s:
      enabled: false
      version: ''
      imagePullPolicy: ''
      image: {registry: ghcr.io, repository: loft-sh/kubernetes, tag: v1.34.0}
      scheduler: {enabled: false}
      env: []
      securityContext: {}
      resources:
        limits: {cpu: 100m, memory: 256Mi}
        requests: {cpu: 40m, memory: 64Mi}
    k3s:
      enabled: false
      imagePullPolicy: ''
      image: {registry: '', repository: rancher/k3s, tag: v1.34.1-k3s1}
      securityContext: {}
      resources:
        limits: {cpu: 100m, memory: 256Mi}
        requests: {cpu: 40m, memory: 64Mi}
  backingStore:
    database:
      embedded: {enabled: false}
      external: {enabled: false}
    etcd:
      embedded: {enabled: false}
      deploy:
        enabled: false
        statefulSet:
          enabled: true
          enableServiceLinks: true
          annotations: {}
          labels: {}
          image: {registry: registry.k8s.io, repository: etcd, tag: 3.6.4-0}
          imagePullPolicy: ''
          extraArgs: []
          env: []
          resources:
            requests: {cpu: 20m, memory: 150Mi}
          pods:
            annotations: {}
            labels: {}
          highAvailability: {replicas: 1}
          scheduling:
            podManagementPolicy: Parallel
            nodeSelector: {}
            affinity: {}
            tolerations: []
            topologySpreadConstraints: []
            priorityClassName: ''
          security:
            podSecurityContext: {}
            containerSecurityContext: {}
          persistence:
            volumeClaim:
              enabled: true
              retentionPolicy: Retain
              size: 5Gi
              storageClass: ''
              accessModes: [ReadWriteOnce]
            volumeClaimTemplates: []
            addVolumes: []
            addVolumeMounts: []
        service:
          enabled: true
          annotations: {}
        headlessService:
          annotations: {}
  coredns:
    enabled: true
    embedded: false
    overwriteManifests: ''
    overwriteConfig: ''
    priorityClassName: ''
    service:
      spec: {type: ClusterIP}
    deployment:
      annotations: {}
      labels: {}
      image: ''
      replicas: 1
      pods:
        labels: {}
        annotations: {}
      nodeSelector: {}
      affinity: {}
      tolerations: []
      resources:
        limits: {cpu: 1000m, memory: 170Mi}
        requests: {cpu: 20m, memory: 64Mi}
      topologySpreadConstraints:
      - maxSkew: 1
        topologyKey: kubernetes.io/hostname
        whenUnsatisfiable: DoNotSchedule
        labelSelector:
          matchLabels: {k8s-app: vcluster-kube-dns}
  service:
    enabled: true
    labels: {}
    annotations: {}
    kubeletNodePort: 0
    httpsNodePort: 0
    spec: {type: ClusterIP}
  ingress:
    enabled: false
    host: my-host.com
    pathType: ImplementationSpecific
    labels: {}
    annotations: {nginx.ingress.kubernetes.io/backend-protocol: HTTPS, nginx.ingress.kubernetes.io/ssl-passthrough: 'true',
      nginx.ingress.kubernetes.io/ssl-redirect: 'true'}
    spec:
      tls: []
  statefulSet:
    labels: {}
    annotations: {}
    imagePullPolicy: ''
    image: {registry: ghcr.io, repository: loft-sh/vcluster-pro, tag: ''}
    workingDir: ''
    command: []
    args: []
    env: []
    resources:
      limits: {ephemeral-storage: 10Gi, memory: 4Gi}
      requests: {ephemeral-storage: 1Gi, cpu: 200m, memory: 256Mi}
    pods:
      labels: {}
      annotations: {}
    highAvailability: {replicas: 1}
    security:
      podSecurityContext: {}
      containerSecurityContext: {allowPrivilegeEscalation: false, runAsUser: 0, runAsGroup: 0}
    persistence:
      volumeClaim:
        enabled: auto
        retentionPolicy: Retain
        size: 5Gi
        storageClass: ''
        accessModes: [ReadWriteOnce]
      volumeClaimTemplates: []
      addVolumeMounts: []
      addVolumes: []
      dataVolume: []
      binariesVolume:
      - name: binaries
        emptyDir: {}
    enableServiceLinks: true
    scheduling:
      podManagementPolicy: Parallel
      topologySpreadConstraints: []
      priorityClassName: ''
      nodeSelector: {}
      affinity: {}
      tolerations: []
    probes:
      livenessProbe: {enabled: true, failureThreshold: 60, initialDelaySeconds: 60, timeoutSeconds: 3, periodSeconds: 2}
      readinessProbe: {enabled: true, failureThreshold: 60, timeoutSeconds: 3, periodSeconds: 2}
      startupProbe: {enabled: true, failureThreshold: 300, timeoutSeconds: 3, periodSeconds: 6}
    initContainers: []
    sidecarContainers: []
  serviceMonitor: {enabled: false}
  advanced:
    defaultImageRegistry: ''
    virtualScheduler: {enabled: false}
    serviceAccount:
      enabled: true
      name: ''
      imagePullSecrets: []
      labels: {}
      annotations: {}
    workloadServiceAccount:
      enabled: true
      name: ''
      imagePullSecrets: []
      annotations: {}
      labels: {}
    headlessService:
      labels: {}
      annotations: {}
    kubeVip: {enabled: false}
    globalMetadata:
      annotations: {}
privateNodes: {enabled: false}
integrations:
  metricsServer: {enabled: false, nodes: true, pods: true}
  externalSecrets:
    enabled: false
    sync:
      toHost:
        stores: {enabled: false}
      fromHost:
        clusterStores: {enabled: false}
  kubeVirt: {enabled: false}
  certManager:
    enabled: false
    sync:
      toHost:
        certificates: {enabled: true}
        issuers: {enabled: true}
      fromHost:
        clusterIssuers: {enabled: true}
  istio: {enabled: false}
rbac:
  role:
    enabled: true
    overwriteRules: []
    extraRules: []
  clusterRole:
    enabled: auto
    overwriteRules: []
    extraRules: []
  enableVolumeSnapshotRules: {enabled: auto}
networking:
  replicateServices:
    fromHost: []
  resolveDNS: []
  advanced:
    fallbackHostCluster: false
    proxyKubelets: {byHostname: true, byIP: true}
policies:
  resourceQuota:
    enabled: auto
    labels: {}
    annotations: {}
    quota: {requests.cpu: 10, requests.memory: 20Gi, requests.storage: 100Gi, requests.ephemeral-storage: 60Gi, limits.cpu: 20,
      limits.memory: 40Gi, limits.ephemeral-storage: 160Gi, services.nodeports: 0, services.loadbalancers: 1, count/endpoints: 40,
      count/pods: 20, count/services: 20, count/secrets: 100, count/configmaps: 100, count/persistentvolumeclaims: 20}
    scopeSelector:
      matchExpressions: []
    scopes: []
  limitRange:
    enabled: auto
    labels: {}
    annotations: {}
    default: {ephemeral-storage: 8Gi, memory: 512Mi, cpu: '1'}
    defaultRequest: {ephemeral-storage: 3Gi, memory: 128Mi, cpu: 100m}
    min: {}
    max: {}
  networkPolicy:
    enabled: false
    labels: {}
    annotations: {}
    fallbackDns: 8.8.8.8
    extraControlPlaneRules: []
    extraWorkloadRules: []
    outgoingConnections:
      platform: true
      ipBlock:
        cidr: 0.0.0.0/0
        except: [100.64.0.0/10, 127.0.0.0/8, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]
plugins: {}
experimental:
  deploy:
    host: {manifests: ''}
logging: {encoding: console}
"""


@lru_cache(maxsize=1)
def _builtin_defaults_cached() -> dict[str, Any]:
    data = load_one(_BUILTIN_DEFAULTS_YAML, "kratix_lab/platform/helm.py:_BUILTIN_DEFAULTS_YAML")
    return data if isinstance(data, dict) else {}


def _builtin_defaults() -> dict[str, Any]:
    return _builtin_defaults_cached()
