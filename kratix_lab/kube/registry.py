"""The kind registry: what kubectl's RESTMapper does, for the kinds a platform serves.

One ``KindInfo`` per kind (group, version, plural, singular, short names, categories, scope,
printer columns, the openAPI v3 schema when a CRD has one), built from the built-in kinds the lab
models and every CRD the platform serves. ``resolve(text)`` accepts what kubectl accepts
(``kubectl get TYPE``): kind, plural, singular or short name, any case, optionally qualified as
``plural.group`` / ``kind.group`` / ``plural.version.group``
(``k8s.io/apimachinery/pkg/api/meta/restmapper.go``, ``DefaultRESTMapper.ResourceFor``;
``k8s.io/cli-runtime/pkg/resource/builder.go``, ``resourceTuple``/``mappingFor``, which tries the
full ``plural.group`` split before the short-name expansion of ``shortcut.go``).

The registry is built from plain CRD dicts (``from_crds``), so any front end (the lab, a live
cluster's discovery, the ``serve`` facade) can make one without importing the lab.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from kratix_lab.errors import Invalid, UnknownKind


@dataclass(frozen=True)
class PrinterColumn:
    """One ``additionalPrinterColumns`` entry (``apiextensions.k8s.io/v1`` ``CustomResourceColumnDefinition``)."""

    name: str
    json_path: str
    type: str = "string"
    priority: int = 0
    description: str = ""
    format: str = ""


def column_text(obj: Mapping[str, Any], column: PrinterColumn) -> str:
    """A printer column's cell for ``obj``: its ``jsonPath`` (the subset CRDs use: ``.a.b``, ``.a[0].b``,
    ``.metadata.labels.x``) evaluated as the API server's table convertor does
    (apiextensions-apiserver pkg/registry/customresource/tableconvertor/tableconvertor.go: one value per
    cell; a path that finds nothing is an empty cell). Lists and maps print as JSON; booleans as true/false."""
    import json
    import re

    value: Any = obj
    for key, index in re.findall(r"\.([^.\[\]]+)|\[(\d+)\]", column.json_path):
        if key and isinstance(value, Mapping):
            value = value.get(key)
        elif index and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        else:
            return ""
        if value is None:
            return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


# apiextensions-apiserver pkg/apiserver/customresource_handler.go (getColumnsForVersion): a CRD version
# without additionalPrinterColumns is printed with one "Age" column over metadata.creationTimestamp;
# a version that lists columns gets exactly those (NAME always comes first, from the table convertor).
AGE_COLUMN = PrinterColumn("Age", ".metadata.creationTimestamp", "date", 0, "CreationTimestamp of the object")


@dataclass(frozen=True)
class KindInfo:
    """One served resource type, as ``kubectl api-resources`` and ``kubectl explain`` see it."""

    kind: str
    group: str  # "" for the core group
    version: str  # the preferred (storage) version
    plural: str
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    versions: tuple[str, ...] = ()  # every served version, preferred first
    printer_columns: tuple[PrinterColumn, ...] = (AGE_COLUMN,)
    schema: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)
    verbs: tuple[str, ...] = ("create", "delete", "get", "list", "patch", "update", "watch")
    builtin: bool = False  # a kind of Kubernetes itself or of the upstream projects the lab models

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def resource(self) -> str:
        """``plural[.group]``: how the API server names the resource in its messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def names(self) -> tuple[str, ...]:
        """Every lowercase name ``resolve`` accepts for this kind without a group."""
        return (self.kind.lower(), self.plural, self.singular, *self.short_names)

    def not_found(self, name: str) -> str:
        return f'Error from server (NotFound): {self.resource} "{name}" not found'


def _kind(
    kind: str,
    group: str,
    version: str,
    plural: str,
    short: tuple[str, ...] = (),
    *,
    namespaced: bool = True,
    categories: tuple[str, ...] = (),
    columns: tuple[PrinterColumn, ...] | None = None,
) -> KindInfo:
    return KindInfo(
        kind=kind,
        group=group,
        version=version,
        plural=plural,
        singular=kind.lower(),
        namespaced=namespaced,
        short_names=short,
        categories=categories,
        versions=(version,),
        printer_columns=(AGE_COLUMN,) if columns is None else columns,
        builtin=True,
    )


def _col(name: str, path: str, type_: str = "string", priority: int = 0) -> PrinterColumn:
    return PrinterColumn(name, path, type_, priority)


_READY = '.status.conditions[?(@.type=="Ready")]'
_RBAC = "rbac.authorization.k8s.io"
_KRATIX = "platform.kratix.io"
_ARGO = "argoproj.io"
_ESO = "external-secrets.io"

# Kubernetes' own kinds the lab models; names and short names as `kubectl api-resources` lists them
# (k8s.io/kubernetes pkg/registry/*/storage ShortNames(), Categories() — "all" for the workloads).
_CORE_KINDS: tuple[KindInfo, ...] = (
    _kind("Namespace", "", "v1", "namespaces", ("ns",), namespaced=False),
    _kind("Node", "", "v1", "nodes", ("no",), namespaced=False),
    _kind("Pod", "", "v1", "pods", ("po",), categories=("all",)),
    _kind("Service", "", "v1", "services", ("svc",), categories=("all",)),
    _kind("Endpoints", "", "v1", "endpoints", ("ep",)),
    _kind("ConfigMap", "", "v1", "configmaps", ("cm",)),
    _kind("Secret", "", "v1", "secrets"),
    _kind("ServiceAccount", "", "v1", "serviceaccounts", ("sa",)),
    _kind("LimitRange", "", "v1", "limitranges", ("limits",)),  # the vCluster chart's policies render these two
    _kind("ResourceQuota", "", "v1", "resourcequotas", ("quota",)),
    _kind("PersistentVolumeClaim", "", "v1", "persistentvolumeclaims", ("pvc",)),
    _kind("PersistentVolume", "", "v1", "persistentvolumes", ("pv",), namespaced=False),
    _kind("Event", "", "v1", "events", ("ev",)),
    _kind("Deployment", "apps", "v1", "deployments", ("deploy",), categories=("all",)),
    _kind("StatefulSet", "apps", "v1", "statefulsets", ("sts",), categories=("all",)),
    _kind("ReplicaSet", "apps", "v1", "replicasets", ("rs",), categories=("all",)),
    _kind("DaemonSet", "apps", "v1", "daemonsets", ("ds",), categories=("all",)),
    _kind("Job", "batch", "v1", "jobs", categories=("all",)),
    _kind("CronJob", "batch", "v1", "cronjobs", ("cj",), categories=("all",)),
    _kind("Role", _RBAC, "v1", "roles"),
    _kind("RoleBinding", _RBAC, "v1", "rolebindings"),
    _kind("ClusterRole", _RBAC, "v1", "clusterroles", namespaced=False),
    _kind("ClusterRoleBinding", _RBAC, "v1", "clusterrolebindings", namespaced=False),
    _kind("Ingress", "networking.k8s.io", "v1", "ingresses", ("ing",)),
    _kind("NetworkPolicy", "networking.k8s.io", "v1", "networkpolicies", ("netpol",)),
    _kind("StorageClass", "storage.k8s.io", "v1", "storageclasses", ("sc",), namespaced=False),
    _kind("PriorityClass", "scheduling.k8s.io", "v1", "priorityclasses", ("pc",), namespaced=False),
    _kind("PodDisruptionBudget", "policy", "v1", "poddisruptionbudgets", ("pdb",)),
    _kind("Lease", "coordination.k8s.io", "v1", "leases"),
    _kind(
        "CustomResourceDefinition",
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        ("crd", "crds"),
        namespaced=False,
        categories=("api-extensions",),
    ),
    _kind(
        "MutatingWebhookConfiguration",
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        namespaced=False,
        categories=("api-extensions",),
    ),
    _kind(
        "ValidatingWebhookConfiguration",
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        namespaced=False,
        categories=("api-extensions",),
    ),
)

# The upstream CRDs the lab serves, as their projects ship them (names, scope, short names, categories,
# printer columns): ../shared/reference/crds/{kratix,argocd,external-secrets} — Kratix config/crd/bases,
# Argo CD manifests/crds, External Secrets config/crds/bases.
_UPSTREAM_KINDS: tuple[KindInfo, ...] = (
    _kind(
        "Promise",
        _KRATIX,
        "v1alpha1",
        "promises",
        namespaced=False,
        categories=("kratix",),
        columns=(
            _col("Status", ".status.status"),
            _col("Kind", ".status.kind"),
            _col("API Version", ".status.apiVersion"),
            _col("Version", ".status.version"),
            _col("Message", ".status.message"),
        ),
    ),
    _kind(
        "PromiseRelease",
        _KRATIX,
        "v1alpha1",
        "promisereleases",
        namespaced=False,
        categories=("kratix",),
        columns=(_col("Status", ".status.status"), _col("Version", ".spec.version")),
    ),
    _kind(
        "PromiseRevision",
        _KRATIX,
        "v1alpha1",
        "promiserevisions",
        namespaced=False,
        categories=("kratix",),
        columns=(
            _col("Promise", ".spec.promiseRef.name"),
            _col("Version", ".spec.version"),
            _col("Latest", ".status.latest", "boolean"),
        ),
    ),
    _kind(
        "ResourceBinding",
        _KRATIX,
        "v1alpha1",
        "resourcebindings",
        categories=("kratix",),
        columns=(
            _col("Resource", ".spec.resourceRef.name"),
            _col("Promise", ".spec.promiseRef.name"),
            _col("Desired", ".spec.version"),
            _col("Applied", ".status.lastAppliedVersion"),
        ),
    ),
    _kind("Work", _KRATIX, "v1alpha1", "works", categories=("kratix",), columns=(_col("STATUS", f"{_READY}.message"),)),
    _kind(
        "WorkPlacement",
        _KRATIX,
        "v1alpha1",
        "workplacements",
        ("wp", "wps"),
        categories=("kratix",),
        columns=(_col("DESTINATION", ".spec.targetDestinationName"), _col("STATUS", f"{_READY}.message")),
    ),
    _kind(
        "Destination",
        _KRATIX,
        "v1alpha1",
        "destinations",
        ("dest", "dests"),
        namespaced=False,
        categories=("kratix",),
        columns=(
            _col("StateStoreKind", ".spec.stateStoreRef.kind"),
            _col("StateStoreName", ".spec.stateStoreRef.name"),
            _col("Ready", f"{_READY}.status"),
        ),
    ),
    _kind(
        "GitStateStore",
        _KRATIX,
        "v1alpha1",
        "gitstatestores",
        namespaced=False,
        categories=("kratix",),
        columns=(_col("URL", ".spec.url"), _col("Branch", ".spec.branch"), _col("Ready", f"{_READY}.status")),
    ),
    _kind(
        "BucketStateStore",
        _KRATIX,
        "v1alpha1",
        "bucketstatestores",
        namespaced=False,
        categories=("kratix",),
        columns=(
            _col("Name", ".spec.bucketName"),
            _col("Endpoint", ".spec.endpoint"),
            _col("Ready", f"{_READY}.status"),
        ),
    ),
    _kind(
        "Application",
        _ARGO,
        "v1alpha1",
        "applications",
        ("app", "apps"),
        columns=(
            _col("Sync Status", ".status.sync.status"),
            _col("Health Status", ".status.health.status"),
            _col("Revision", ".status.sync.revision", priority=10),
            _col("Project", ".spec.project", priority=10),
        ),
    ),
    _kind("AppProject", _ARGO, "v1alpha1", "appprojects", ("appproj", "appprojs")),
    _kind(
        "ExternalSecret",
        _ESO,
        "v1",
        "externalsecrets",
        ("es",),
        categories=("external-secrets",),
        columns=(
            _col("StoreType", ".spec.secretStoreRef.kind"),
            _col("Store", ".spec.secretStoreRef.name"),
            _col("Refresh Interval", ".spec.refreshInterval"),
            _col("Status", f"{_READY}.reason"),
            _col("Ready", f"{_READY}.status"),
        ),
    ),
    _kind(
        "ClusterSecretStore",
        _ESO,
        "v1",
        "clustersecretstores",
        ("css",),
        namespaced=False,
        categories=("external-secrets",),
        columns=(
            AGE_COLUMN,
            _col("Status", f"{_READY}.reason"),
            _col("Capabilities", ".status.capabilities"),
            _col("Ready", f"{_READY}.status"),
        ),
    ),
    _kind(
        "SecretStore",
        _ESO,
        "v1",
        "secretstores",
        ("ss",),
        categories=("external-secrets",),
        columns=(
            AGE_COLUMN,
            _col("Status", f"{_READY}.reason"),
            _col("Capabilities", ".status.capabilities"),
            _col("Ready", f"{_READY}.status"),
        ),
    ),
    _kind("ClusterIssuer", "cert-manager.io", "v1", "clusterissuers", namespaced=False, categories=("cert-manager",)),
)

BUILTIN_KINDS: tuple[KindInfo, ...] = _CORE_KINDS + _UPSTREAM_KINDS


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise Invalid(f"{where}: Required value")
    return value


def kind_from_crd(crd: Mapping[str, Any]) -> KindInfo:
    """A ``KindInfo`` from a CustomResourceDefinition (``apiextensions.k8s.io/v1``) dict.

    The preferred version is the storage version (else the first served one); printer columns and the
    schema are that version's. Raises ``Invalid`` naming the field when the CRD lacks what a mapping needs.
    """
    name = str((crd.get("metadata") or {}).get("name") or "<crd>")
    spec = crd.get("spec")
    if not isinstance(spec, Mapping):
        raise Invalid(f"CustomResourceDefinition {name}: spec: Required value")
    names = spec.get("names")
    if not isinstance(names, Mapping):
        raise Invalid(f"CustomResourceDefinition {name}: spec.names: Required value")
    where = f"CustomResourceDefinition {name}: spec"
    group = _str(spec.get("group"), f"{where}.group")
    kind = _str(names.get("kind"), f"{where}.names.kind")
    plural = _str(names.get("plural"), f"{where}.names.plural")
    singular = names.get("singular") or kind.lower()
    versions = [v for v in spec.get("versions") or [] if isinstance(v, Mapping) and v.get("served", True)]
    if not versions:
        raise Invalid(f"{where}.versions: Required value: no served version")
    preferred = next((v for v in versions if v.get("storage")), versions[0])
    version = _str(preferred.get("name"), f"{where}.versions[].name")
    cols_doc = preferred.get("additionalPrinterColumns") or spec.get("additionalPrinterColumns") or []
    columns = tuple(
        PrinterColumn(
            name=str(c.get("name", "")),
            json_path=str(c.get("jsonPath", "")),
            type=str(c.get("type", "string")),
            priority=int(c.get("priority") or 0),
            description=str(c.get("description") or ""),
            format=str(c.get("format") or ""),
        )
        for c in cols_doc
        if isinstance(c, Mapping)
    )
    schema = (preferred.get("schema") or {}).get("openAPIV3Schema")
    return KindInfo(
        kind=kind,
        group=group,
        version=version,
        plural=plural.lower(),
        singular=str(singular).lower(),
        namespaced=spec.get("scope", "Namespaced") != "Cluster",
        short_names=tuple(str(s).lower() for s in names.get("shortNames") or [] if isinstance(s, str)),
        categories=tuple(str(c) for c in names.get("categories") or [] if isinstance(c, str)),
        versions=(version, *(str(v.get("name")) for v in versions if v is not preferred)),
        printer_columns=columns or (AGE_COLUMN,),
        schema=schema if isinstance(schema, Mapping) else None,
    )


class KindRegistry:
    """The kinds a platform serves, resolvable by any name kubectl accepts.

    Later entries win over earlier ones for the same (group, kind), so a CRD can replace the built-in
    description of an upstream kind. Name collisions between kinds resolve as kubectl's priority
    RESTMapper does: the first registered kind with that name wins (core and upstream kinds before a
    platform's own CRDs), so ``apps`` stays Argo CD's Application when a Promise happens to claim it.
    """

    def __init__(self, kinds: Iterable[KindInfo] = ()) -> None:
        self._kinds: dict[tuple[str, str], KindInfo] = {}
        for k in kinds:
            self._kinds[(k.group, k.kind)] = k
        # name → kind, first registered wins; full names (kind, plural, singular) before short names
        self._exact: dict[str, KindInfo] = {}
        self._short: dict[str, KindInfo] = {}
        for k in self._kinds.values():
            for n in (k.kind.lower(), k.plural, k.singular):
                self._exact.setdefault(n, k)
            for n in k.short_names:
                self._short.setdefault(n, k)

    @classmethod
    def from_crds(cls, crds: Iterable[Mapping[str, Any]], *, builtins: bool = True) -> KindRegistry:
        """The built-in kinds (unless ``builtins=False``) plus one kind per CRD dict."""
        return cls([*(BUILTIN_KINDS if builtins else ()), *(kind_from_crd(c) for c in crds)])

    def with_kinds(self, kinds: Iterable[KindInfo]) -> KindRegistry:
        return KindRegistry([*self, *kinds])

    def __iter__(self) -> Iterator[KindInfo]:
        return iter(self._kinds.values())

    def __len__(self) -> int:
        return len(self._kinds)

    def __contains__(self, text: object) -> bool:
        if not isinstance(text, str):
            return False
        try:
            self.resolve(text)
        except UnknownKind:
            return False
        return True

    def get(self, group: str, kind: str) -> KindInfo | None:
        """The kind by its exact group and Kind (no name matching)."""
        return self._kinds.get((group, kind))

    def for_object(self, obj: Mapping[str, Any]) -> KindInfo | None:
        """The kind of an object dict (by apiVersion's group and kind), or None when not served."""
        group = str(obj.get("apiVersion", "")).rpartition("/")[0]
        return self.get(group, str(obj.get("kind", "")))

    def groups(self) -> list[str]:
        """Every served group ("" for core), in registration order."""
        return list(dict.fromkeys(k.group for k in self))

    def for_api(self, group: str, version: str | None = None) -> list[KindInfo]:
        """The kinds served in ``group`` (and ``version`` when given): one discovery document's resources."""
        return [k for k in self if k.group == group and (version is None or version in k.versions)]

    def namespaced(self, kind: str, group: str | None = None) -> bool:
        """Whether objects of ``kind`` live in a namespace; unknown kinds are namespaced (the API default)."""
        for k in self:
            if k.kind == kind and (group is None or k.group == group):
                return k.namespaced
        return True

    def categories(self, category: str) -> list[KindInfo]:
        return [k for k in self if category in k.categories]

    def _match(self, name: str, group: str | None) -> KindInfo | None:
        for k in self:
            if (group is None or k.group == group) and name in k.names:
                return k
        return None

    def resolve(self, text: str) -> KindInfo:
        """``pods``, ``po``, ``Pod``, ``deployments.apps``, ``vco``, ``applications.argoproj.io`` … → KindInfo.

        Case-insensitive. A dotted form is tried as ``name.group`` then ``name.version.group``
        (cli-runtime's builder); a bare name as kind, plural, singular, then short name. Raises
        ``UnknownKind`` with kubectl's message and a close match when there is one.
        """
        want = text.strip().lower()
        if not want:
            raise UnknownKind('the server doesn\'t have a resource type ""')
        found: KindInfo | None = None
        if "." in want:
            base, _, rest = want.partition(".")
            found = self._match(base, rest)
            if found is None and "." in rest:
                version, _, group = rest.partition(".")
                found = self._match(base, group)
                if found is not None and version not in found.versions:
                    found = None
        if found is None:
            found = self._match_exact(want)
        if found is not None:
            return found
        raise UnknownKind(f'the server doesn\'t have a resource type "{text.strip()}"' + self._hint(want))

    def _match_exact(self, want: str) -> KindInfo | None:
        # kind, plural and singular of every kind before any short name (kubectl expands short names
        # only when the resource is not otherwise found: cli-runtime shortcut.go, ResourceShortcuts).
        return self._exact.get(want) or self._short.get(want)

    def _hint(self, want: str) -> str:
        candidates = sorted({n for k in self for n in (*k.names, k.resource.lower())})
        close = difflib.get_close_matches(want, candidates, n=1, cutoff=0.75)
        return f' (did you mean "{close[0]}"?)' if close else ""


def promise_crds(promises: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The request CRDs (``spec.api``) of Promise dicts, for ``KindRegistry.from_crds``."""
    out: list[Mapping[str, Any]] = []
    for p in promises:
        api = (p.get("spec") or {}).get("api") if isinstance(p, Mapping) else None
        if isinstance(api, Mapping):
            out.append(api)
    return out


__all__ = [
    "AGE_COLUMN",
    "BUILTIN_KINDS",
    "KindInfo",
    "KindRegistry",
    "PrinterColumn",
    "column_text",
    "kind_from_crd",
    "promise_crds",
]
