"""``Lab(path)``: the seed's whole platform as a directory — Kratix, a Destination, a real git state
repo, Argo CD, the Helm stage and the workloads — deterministic and shared between processes.

Layout of a lab directory::

    lab.json            what this is (version, seed) and its settings (externalSecretsVersion: the ESO it models)
    store.sqlite        objects, events, logs, the simulated clock (SQLite, WAL)
    gitops/             the gitops repo (gitops_homelab_2_0): requests in platform/vclusters/<name>.yaml
    state.git/          the Kratix state store: a bare repo, the "remote"
    state/              the state store writer's clone (Kratix pushes from here)
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from kratix_lab import __version__
from kratix_lab.errors import KratixLabError, Refused, UnknownKind
from kratix_lab.kube.applied import last_applied, record_applied
from kratix_lab.kube.registry import KindRegistry, promise_crds
from kratix_lab.model import GVK, MODELLED_ANNOTATION, YamlError, clone, dump, load_documents, load_file, namespace_of
from kratix_lab.model.objects import CLUSTER_SCOPED_KINDS
from kratix_lab.pipeline.executors import Executor, make_executor
from kratix_lab.platform.argocd import ARGO_GROUP, ARGO_NS, TRACKING, ArgoCDController
from kratix_lab.platform.cluster import ClusterController
from kratix_lab.platform.controller import Context
from kratix_lab.platform.externalsecrets import (
    DEFAULT_ESO_VERSION,
    Vaults,
    parse_version,
    promise_for_eso,
    served_map,
)
from kratix_lab.platform.faults import Faults
from kratix_lab.platform.gitrepo import NAME_MAX, GitRepo, Identity
from kratix_lab.platform.kratix import KRATIX_API, KRATIX_GROUP, MANUAL_RECONCILE, SYSTEM_NAMESPACE, KratixController
from kratix_lab.platform.legacy import FailingExecutor, StaleImageExecutor
from kratix_lab.platform.scheduler import Scheduler
from kratix_lab.platform.statestore import StateStoreWriter
from kratix_lab.platform.store import Store
from kratix_lab.platform.workloads import WorkloadsController
from kratix_lab.promise import Promise
from kratix_lab.promises import CATALOGUE_PROMISES, promise_path
from kratix_lab.schema import CRD
from kratix_lab.schema.builtin import builtin_errors, decode_error
from kratix_lab.schema.upstream import upstream_crd

GITOPS_URL = "https://github.com/jamesatintegratnio/gitops_homelab_2_0"
STATE_URL = "https://github.com/jamesatintegratnio/kratix-platform-state"
REQUESTS_NAMESPACE = "platform-requests"
DESTINATION = "the-cluster"
DESTINATION_LABELS = {"integratn.tech/cluster-role": "control-plane", "environment": "platform"}
STEP_SECONDS = 5
GITOPS_IDENTITY = Identity("platform-engineer", "platform@integratn.tech")
# The platform's ClusterSecretStore: named and labelled as on the real platform (docs/upstream.md, External Secrets).
SECRET_STORE = "onepassword-store"
SECRET_STORE_LABELS = {"integratn.tech/cluster-secret-store": SECRET_STORE}


class LabError(KratixLabError):
    """A lab operation failed; the message says what and why."""


class AdmissionError(LabError, Refused):
    """The API server refused the object (the message is the server's)."""


class Undecodable(AdmissionError):
    """The API server could not decode the object into its kind's type (a 400 BadRequest, not a 422 Invalid)."""


@dataclass
class StepResult:
    time: str
    writes: dict[str, int] = field(default_factory=dict)
    skipped: bool = False  # no controller ran: nothing was written since a quiet round and nothing was due (``_round``)

    @property
    def total(self) -> int:
        return sum(self.writes.values())


class _Quiet(NamedTuple):
    """After a round that wrote nothing: what the lab's marker was then (``Lab._marker``, moved on by the skipped
    rounds' clock) and when the controllers' timed work is next due (``Lab._timers``)."""

    marker: tuple[Any, ...]
    due: int | None
    periodic: int | None

    def due_by(self, now: int) -> bool:
        return any(t is not None and t <= now for t in (self.due, self.periodic))


@dataclass
class SettleResult:
    steps: int
    time: str
    quiescent: bool
    writes: int

    def __str__(self) -> str:
        """In words, as ``kratix-lab settle`` prints it (``print(lab.settle())`` in a notebook), not the repr."""
        from kratix_lab.words import plural

        state = "quiescent" if self.quiescent else "NOT quiescent"
        return f"{plural(self.steps, 'step')}, {plural(self.writes, 'write')}; simulated time {self.time}; {state}"


def default_lab_dir() -> Path:
    import os

    if os.environ.get("KRATIX_LAB_DIR"):
        return Path(os.environ["KRATIX_LAB_DIR"])
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "kratix-lab" / "default"


class Lab:
    """Open (or create) a lab directory. Any number of processes may open the same lab."""

    skips_quiet_rounds = True  # ``_round``: False runs every round (tests compare the two)

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        executor: str | Executor = "in-process",
        seed: str = "kratix-lab",
        vcluster_schema: Path | None = None,
        create: bool = True,
        read_only: bool = False,
        external_secrets_version: str | None = None,
    ):
        """``read_only=True`` opens an existing lab without writing anything — no lock file, no repair, a read-only
        SQLite connection — so reading commands work on a lab the user may not write (issue 18 item 14); a lab
        that needs repairing or was never bootstrapped is an error saying to open it writable once."""
        self.path = Path(path) if path is not None else default_lab_dir()
        if external_secrets_version is not None:
            try:
                parse_version(external_secrets_version)
            except ValueError as e:
                raise LabError(str(e)) from None
        self.read_only = read_only
        marker = self.path / "lab.json"
        if self.path.exists() and not self.path.is_dir():
            raise LabError(f"{self.path}: is a file, not a lab directory")
        if not marker.exists():
            if not create or read_only:
                raise LabError(f"{self.path}: no lab here (create one with `kratix-lab lab init`)")
            if self.path.exists() and any(self.path.iterdir()):
                raise LabError(f"{self.path}: exists, is not empty and is not a lab; choose another directory")
            self.path.mkdir(parents=True, exist_ok=True)
        self.executor = make_executor(executor) if isinstance(executor, str) else executor
        self.vcluster_schema = vcluster_schema
        self._eso_wanted = external_secrets_version
        if read_only:
            self._open_read_only(marker)
        else:
            self._open_writable(marker, seed)
        self.external_secrets_version = _read_settings(marker).get("externalSecretsVersion", DEFAULT_ESO_VERSION)
        if external_secrets_version is not None and external_secrets_version != self.external_secrets_version:
            raise LabError(
                f"{self.path}: the lab models External Secrets {self.external_secrets_version} (lab.json), not "
                f"{external_secrets_version}; the version is chosen when the lab is created (`lab init --force`)"
            )
        # API versions the lab's "cluster" serves for CRD groups it does not install from Promises
        self.served = {"external-secrets.io": served_map(self.external_secrets_version)}
        self.faults = Faults(self.store)
        self.controllers = [
            ArgoCDController(),
            KratixController(),
            Scheduler(),
            StateStoreWriter(),
            ClusterController(),
        ]
        self.controllers.append(WorkloadsController())
        self._promise_cache: dict[tuple[str, str], Promise] = {}
        self._kinds: tuple[tuple[int, ...], KindRegistry] | None = None
        self._synced_head: str | None = self.state_repo.head()
        self._quiet: _Quiet | None = None  # after a round that wrote nothing: ``_round`` skips rounds while it holds

    @classmethod
    def open_for_reading(cls, path: str | Path, **kwargs: Any) -> Lab:
        """Open a lab to read it: as usual when it may be written (the lock keeps the view consistent with
        writers), read-only when the user may not write it (a read-only mount, or permissions)."""
        try:
            return cls(path, create=False, **kwargs)
        except PermissionError:
            return cls(path, create=False, read_only=True, **kwargs)
        except OSError as e:
            if e.errno != errno.EROFS:
                raise
            return cls(path, create=False, read_only=True, **kwargs)

    def _open_read_only(self, marker: Path) -> None:
        self.seed = _read_marker(marker)
        _check_parts(self.path)
        try:
            self.store = Store(self.path / "store.sqlite", self.seed, read_only=True)
        except sqlite3.DatabaseError as e:
            raise LabError(f"{self.path / 'store.sqlite'}: {e} (the lab is damaged)") from None
        self.gitops_repo = GitRepo(self.path / "gitops")
        self.state_remote = GitRepo(self.path / "state.git")
        self.state_repo = GitRepo(self.path / "state")
        if not self.store.get_meta("bootstrapped"):
            raise LabError(f"{self.path}: the lab was never started; open it once with a command that may write it")

    def _open_writable(self, marker: Path, seed: str) -> None:
        with self._lock():
            if not marker.exists():
                self._create(seed)
            self.seed = _read_marker(marker)
            _check_parts(self.path)
            try:
                self.store = Store(self.path / "store.sqlite", self.seed)
            except sqlite3.DatabaseError as e:
                raise LabError(f"{self.path / 'store.sqlite'}: {e} (the lab is damaged)") from None
            self.gitops_repo = GitRepo(self.path / "gitops")
            self.state_remote = GitRepo(self.path / "state.git")
            self.state_repo = GitRepo(self.path / "state")
            for repo in (self.gitops_repo, self.state_remote, self.state_repo):
                repo.repair()  # an interrupted write (a kill, a full disk) never wedges the lab
            self.state_repo.point_origin_at(self.path / "state.git")  # a moved or copied lab pushes to its own remote
            if not self.store.get_meta("bootstrapped"):
                self._bootstrap()

    # ---- paths ---------------------------------------------------------------------------

    @property
    def state_repo_path(self) -> Path:
        return self.path / "state"

    @property
    def state_remote_path(self) -> Path:
        return self.path / "state.git"

    @property
    def gitops_repo_path(self) -> Path:
        return self.path / "gitops"

    def repo_for(self, url: str) -> GitRepo | None:
        url = url.rstrip("/").removesuffix(".git")
        if url == GITOPS_URL:
            return self.gitops_repo
        if url == STATE_URL:
            return self.state_remote
        return None

    # ---- creation ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """One writer of the git repositories and one controller round at a time, across processes."""
        with open(self.path / ".lock", "a+") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def _create(self, seed: str) -> None:
        os.chmod(self.path, 0o700)  # private: store.sqlite holds the lab's Secrets
        GitRepo.init(self.path / "gitops").accept_pushes()  # `git push` to it works, as to a hosted repo
        GitRepo.init_bare(self.path / "state.git")
        GitRepo.clone(self.path / "state.git", self.path / "state")
        repo = GitRepo(self.path / "gitops")
        repo.write_files(
            {
                "platform/vclusters/00-namespace.yaml": dump(
                    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": REQUESTS_NAMESPACE}}
                ).encode(),
                "platform/vclusters/README.md": b"# vClusters\n\nOne VClusterOrchestrator per file; Argo CD syncs this folder into platform-requests.\n",
            },
            "Bootstrap the platform requests folder",
            GITOPS_IDENTITY,
            0,
        )
        repo.sync_worktree()
        Store(self.path / "store.sqlite", seed).close()  # exists before lab.json: a lab without it is damaged
        os.chmod(self.path / "store.sqlite", 0o600)
        info = {
            "format": LAB_FORMAT,
            "kratix-lab": __version__,
            "seed": seed,
            "externalSecretsVersion": self._eso_wanted or DEFAULT_ESO_VERSION,
        }
        (self.path / "lab.json").write_text(json.dumps(info, indent=2) + "\n")

    def _bootstrap(self) -> None:
        s = self.store
        eso = _read_settings(self.path / "lab.json").get("externalSecretsVersion", DEFAULT_ESO_VERSION)
        with s.transaction():
            for ns in ("default", "kube-system", "argocd", SYSTEM_NAMESPACE, REQUESTS_NAMESPACE):
                s.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
            s.create(
                {
                    "apiVersion": KRATIX_API,
                    "kind": "GitStateStore",
                    "metadata": {"name": "default"},
                    "spec": {
                        "url": STATE_URL,
                        "branch": "main",
                        "path": "clusters",
                        "authMethod": "basicAuth",
                        "secretRef": {"name": "kratix-platform-state-store-credentials", "namespace": SYSTEM_NAMESPACE},
                        "gitAuthor": {"name": "kratix", "email": "kratix@kratix.io"},
                    },
                }
            )
            s.create(
                {
                    "apiVersion": KRATIX_API,
                    "kind": "Destination",
                    "metadata": {"name": DESTINATION, "labels": dict(DESTINATION_LABELS)},
                    "spec": {"path": DESTINATION, "stateStoreRef": {"kind": "GitStateStore", "name": "default"}},
                }
            )
            s.create(
                {
                    "apiVersion": f"external-secrets.io/{served_map(eso)['ClusterSecretStore'][0]}",
                    "kind": "ClusterSecretStore",
                    "metadata": {
                        "name": SECRET_STORE,
                        "labels": dict(SECRET_STORE_LABELS),
                        "annotations": {MODELLED_ANNOTATION: "true"},
                    },
                    "spec": {
                        "provider": {
                            "onepassword": {
                                "connectHost": "http://onepassword-connect.external-secrets:8080",
                                "vaults": {"homelab": 1},
                                "auth": {
                                    "secretRef": {
                                        "connectTokenSecretRef": {
                                            "name": "onepassword-connect-token",
                                            "namespace": "external-secrets",
                                            "key": "token",
                                        }
                                    }
                                },
                            }
                        }
                    },
                }
            )
            s.create(
                {
                    "apiVersion": f"{ARGO_GROUP}/v1alpha1",
                    "kind": "AppProject",
                    "metadata": {"name": "default", "namespace": ARGO_NS},
                    "spec": {
                        "sourceRepos": ["*"],
                        "destinations": [{"server": "*", "namespace": "*"}],
                        "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
                    },
                }
            )
            for name, url, path, ns in (
                ("platform", GITOPS_URL, "platform", REQUESTS_NAMESPACE),
                ("kratix-state-reconciler", STATE_URL, f"clusters/{DESTINATION}", REQUESTS_NAMESPACE),
            ):
                s.create(
                    {
                        "apiVersion": f"{ARGO_GROUP}/v1alpha1",
                        "kind": "Application",
                        "metadata": {"name": name, "namespace": ARGO_NS},
                        "spec": {
                            "project": "default",
                            "source": {
                                "repoURL": url,
                                "targetRevision": "HEAD",
                                "path": path,
                                "directory": {"recurse": True},
                            },
                            "destination": {"server": "https://kubernetes.default.svc", "namespace": ns},
                            "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
                        },
                    }
                )
            for name in CATALOGUE_PROMISES:
                self.install_promise(promise_for_eso(Promise.from_file(promise_path(name)).doc, eso))
            s.set_meta("bootstrapped", "1")

    def install_promise(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Install a Promise as Kratix does: the Promise object and its CRD (the API)."""
        promise = Promise.from_dict(doc)
        live = self.store.get("Promise", promise.name, group=KRATIX_GROUP)
        if live is None:
            obj = self.store.create({k: v for k, v in doc.items() if k != "status"})
        else:
            obj = self.store.update(clone(live) | {"spec": doc["spec"]})
        if promise.crd is not None:
            crd = clone(doc["spec"]["api"])
            crd.setdefault("apiVersion", "apiextensions.k8s.io/v1")
            existing = self.store.get("CustomResourceDefinition", crd["metadata"]["name"], group="apiextensions.k8s.io")
            if existing is None:
                self.store.create(crd)
            else:
                self.store.update(existing | {"spec": crd["spec"]})
        return obj

    # ---- Promises and admission ----------------------------------------------------------

    def promises(self) -> list[Promise]:
        """The installed Promises (parsed again only when one changes)."""
        out = []
        for _, name, rv in self.store.versions("Promise", KRATIX_GROUP):
            key = (name, str(rv))
            if key not in self._promise_cache:
                obj = self.store.get("Promise", name, None, KRATIX_GROUP)
                if obj is None:
                    continue
                self._promise_cache[key] = Promise.from_dict(obj, f"Promise/{name}")
            out.append(self._promise_cache[key])
        return out

    def kinds(self) -> KindRegistry:
        """The lab's kind registry: the built-in and upstream kinds plus the installed Promises' request
        kinds (``kratix_lab.kube.registry``), rebuilt only when a Promise changes."""
        promises = self.promises()
        key = tuple(id(p) for p in promises)  # cached Promise objects live as long as the lab
        if self._kinds is None or self._kinds[0] != key:
            self._kinds = (key, KindRegistry.from_crds(promise_crds(p.doc for p in promises)))
        return self._kinds[1]

    def crd_for(self, obj: dict[str, Any]) -> CRD | None:
        gvk = GVK.of(obj)
        for p in self.promises():
            if p.crd is not None and p.crd.group == gvk.group and p.crd.kind == gvk.kind:
                return p.crd
        return None

    def cluster_scoped(self, obj: dict[str, Any]) -> bool:
        crd = self.crd_for(obj)
        if crd is not None:
            return crd.scope == "Cluster"
        return obj.get("kind") in CLUSTER_SCOPED_KINDS

    def admit(self, obj: dict[str, Any], dry_run: bool = False) -> dict[str, Any]:
        """The API server's admission: served version, namespace, CRD schema. Returns what is stored.
        ``dry_run`` is a client dry-run (``kubectl apply --dry-run=client``): the namespace need not exist."""
        gvk = GVK.of(obj)
        if not gvk.kind or not obj.get("apiVersion"):
            raise AdmissionError("Object 'Kind' is missing" if not gvk.kind else "Object 'apiVersion' is missing")
        if not isinstance(obj.get("metadata"), dict) or not obj["metadata"].get("name"):
            raise AdmissionError(f"{gvk.kind}: metadata.name: Required value: name or generateName is required")
        served = self.served.get(gvk.group, {}).get(gvk.kind)
        if served is not None and gvk.version not in served:
            raise AdmissionError(
                f'resource mapping not found for name: "{(obj.get("metadata") or {}).get("name")}" namespace: '
                f'"{namespace_of(obj) or ""}": no matches for kind "{gvk.kind}" in version "{gvk.api_version}" '
                f"(this cluster serves {gvk.group}/{', '.join(served)})"
            )
        crd = self.crd_for(obj)
        if crd is None and gvk.group.endswith("platform.integratn.tech"):
            raise AdmissionError(
                f'no matches for kind "{gvk.kind}" in version "{gvk.api_version}": is its Promise installed?'
            )
        if crd is not None:
            # an update when the object is stored: CEL transition rules (oldSelf) see it (schema/engine/cel.py)
            ns = namespace_of(obj) if crd.namespaced else None
            stored = self.store.get(gvk.kind, obj["metadata"]["name"], ns or None, gvk.group, readonly=True)
            admission = crd.admit(obj, old=stored)
            if not admission.ok:
                raise AdmissionError(admission.message)
            obj = admission.object
        else:  # a built-in kind: decoded into its type, then the kind and ObjectMeta rules (kratix_lab/schema/builtin.py)
            undecodable = decode_error(obj)
            if undecodable:
                raise Undecodable(undecodable)
            refused = builtin_errors(obj, namespaced=not self.cluster_scoped(obj))
            if refused:
                raise AdmissionError(refused)
            if not self._serves(gvk):
                # what kubectl says when discovery has no such kind (the API server serves only what it knows)
                raise AdmissionError(
                    f'resource mapping not found for name: "{obj["metadata"]["name"]}" namespace: '
                    f'"{namespace_of(obj) or ""}": no matches for kind "{gvk.kind}" in version "{gvk.api_version}"; '
                    "ensure CRDs are installed first"
                )
            upstream = upstream_crd(gvk.group, gvk.kind)  # its schema and CEL rules (kratix_lab/schema/upstream.py)
            if upstream is not None:
                ns = namespace_of(obj) if upstream.namespaced else None
                stored = self.store.get(gvk.kind, obj["metadata"]["name"], ns or None, gvk.group, readonly=True)
                if stored is not None:  # as the API server would have stored it: defaulted
                    stored = upstream.admit(stored).object
                admission = upstream.admit(obj, old=stored)
                if not admission.ok:
                    raise AdmissionError(admission.message)
        if not self.cluster_scoped(obj):
            ns = namespace_of(obj)
            if not ns:
                raise AdmissionError(
                    f"{obj['kind']}/{(obj.get('metadata') or {}).get('name')}: an explicit namespace is required"
                )
            if not dry_run:
                self._namespace_exists(obj)
        return obj

    def _namespace_exists(self, obj: dict[str, Any]) -> None:
        ns = namespace_of(obj)
        if ns and not self.cluster_scoped(obj) and self.store.get("Namespace", ns, group="", readonly=True) is None:
            raise AdmissionError(f'namespaces "{ns}" not found')

    def apply_object(
        self,
        obj: dict[str, Any],
        manager: str = "kratix-lab",
        previous: dict[str, Any] | None = None,
        admitted: bool = False,
    ) -> str:
        """Create or update like ``kubectl apply``: returns created, configured or unchanged.

        ``previous`` is the configuration applied last time (kubectl's last-applied annotation): a map
        field it set that ``obj`` no longer sets is removed, as kubectl's three-way merge does.
        ``admitted``: ``obj`` is what a dry run (``admit(..., dry_run=True)``) returned; only the
        namespace is checked again."""
        if admitted:
            self._namespace_exists(obj)
            obj = clone(obj)
        else:
            obj = self.admit(clone(obj))
        gvk = GVK.of(obj)
        meta = obj["metadata"]
        live = self.store.get(gvk.kind, meta["name"], namespace_of(obj), gvk.group, readonly=True)
        if live is None:
            self.store.create(obj)
            return "created"
        if live["metadata"].get("deletionTimestamp"):
            raise AdmissionError(f'{gvk.kind} "{meta["name"]}" is being deleted; it cannot be updated')
        merged = clone(live)
        for k, v in obj.items():
            if k in ("metadata", "status"):
                continue
            merged[k] = _merge(merged.get(k), v)
        if previous:
            for k, v in previous.items():
                if k not in ("metadata", "status", "apiVersion", "kind"):
                    _drop_removed(merged, k, v, obj)
        m = merged["metadata"]
        m["labels"] = {**(m.get("labels") or {}), **(meta.get("labels") or {})}
        m["annotations"] = {**(m.get("annotations") or {}), **(meta.get("annotations") or {})}
        if previous:
            for k in ("labels", "annotations"):
                for key, v in (((previous.get("metadata") or {}).get(k)) or {}).items():
                    _drop_removed(m[k], key, v, meta.get(k) or {})
        if meta.get("finalizers"):
            m["finalizers"] = list(dict.fromkeys([*(m.get("finalizers") or []), *meta["finalizers"]]))
        for k in ("labels", "annotations"):
            if not m[k]:
                del m[k]
        if merged == live:
            return "unchanged"
        self.store.update(merged)
        return "configured"

    # ---- the public surface --------------------------------------------------------------

    def _read(self, file_or_obj: str | Path | dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        if isinstance(file_or_obj, dict):
            return clone(file_or_obj), None
        try:
            docs = load_file(file_or_obj)
        except YamlError as e:
            raise LabError(str(e)) from None
        if len(docs) != 1 or not isinstance(docs[0].data, dict):
            raise LabError(f"{file_or_obj}: expected exactly one object, found {len(docs)} documents")
        return docs[0].data, Path(file_or_obj).read_text()

    def apply(self, file_or_obj: str | Path | dict[str, Any]) -> str:
        """Apply directly to the cluster (like ``kubectl apply -f``), bypassing GitOps.

        As kubectl's client-side apply, the object records the configuration applied (its last-applied annotation,
        ``kube/applied.py``) and a field the previous apply set that this one does not is removed (a key dropped
        from a ConfigMap's ``data``, a label)."""
        obj, _ = self._read(file_or_obj)
        if not self.cluster_scoped(obj) and not namespace_of(obj) and isinstance(obj.get("metadata"), dict):
            obj["metadata"]["namespace"] = REQUESTS_NAMESPACE if self.crd_for(obj) else "default"
        previous = None
        if isinstance(obj.get("metadata"), dict) and obj["metadata"].get("name"):
            gvk = GVK.of(obj)
            live = self.store.get(gvk.kind, obj["metadata"]["name"], namespace_of(obj), gvk.group, readonly=True)
            previous = last_applied(live)
            obj = clone(obj)
            record_applied(obj)
        return self.apply_object(obj, previous=previous)

    @staticmethod
    def gitops_path(kind: str, name: str, crd: CRD) -> str:
        """Where ``submit`` commits a request in the gitops repo: vClusters in platform/vclusters/, other
        requests in platform/<plural>/, one file per name."""
        folder = "vclusters" if kind == "VClusterOrchestrator" else crd.plural
        return f"platform/{folder}/{name}.yaml"

    def submit(self, file_or_obj: str | Path | dict[str, Any], message: str | None = None) -> str:
        """The seed's GitOps entry: validate, then commit the request to the gitops repo.

        Returns the new commit's SHA, or None when the repo already holds exactly this request.
        """
        obj, text = self._read(file_or_obj)
        checked = clone(obj)
        if isinstance(checked.get("metadata"), dict) and not namespace_of(checked):
            checked["metadata"]["namespace"] = REQUESTS_NAMESPACE
        self.admit(checked)  # a request the API server would refuse never reaches git
        crd = self.crd_for(checked)
        if crd is None:
            raise LabError(
                f"{obj.get('kind')} is not a resource request of an installed Promise; submit commits requests "
                "to the gitops repo (use apply for other objects)"
            )
        name = checked["metadata"]["name"]
        path = self.gitops_path(obj["kind"], name, crd)
        if len(path.rpartition("/")[2].encode()) > NAME_MAX:
            # The API server allows 253 characters; the gitops file <name>.yaml must fit a file name.
            raise AdmissionError(
                f"{obj['kind']}: metadata.name: Too long: the gitops file {path[:60]}… would have a "
                f"{len(path.rpartition('/')[2].encode())}-byte file name; file systems allow {NAME_MAX} "
                f"(at most {NAME_MAX - len('.yaml')} characters)"
            )
        content = (text if text is not None else dump(obj)).encode()
        with self._lock():
            exists = path in self.gitops_repo.read_files(path)
            verb = "Update" if exists else "Add"
            sha = self.gitops_repo.write_files(
                {path: content}, message or f"{verb} {obj['kind']} {name}", GITOPS_IDENTITY, self.store.now_seconds()
            )
            self.gitops_repo.sync_worktree()
        return sha  # None: the gitops repo already holds exactly this request

    def gitops_file(self, obj: dict[str, Any]) -> str | None:
        """The gitops repo file an object came from (Argo CD's ``platform`` app applied it), else None."""
        tracking = ((obj["metadata"].get("annotations") or {}).get(TRACKING) or "").split(":", 1)[0]
        if tracking != "platform":
            return None
        return self._gitops_path(obj["kind"], obj["metadata"]["name"], None)

    def _gitops_path(self, kind: str, name: str, namespace: str | None) -> str | None:
        """The file under platform/ of the gitops repo that defines ``kind``/``name`` (in ``namespace`` when given
        and the document names one), else None."""
        for path, content in self.gitops_repo.read_files("platform").items():
            try:
                docs = load_documents(content.decode(), path)
            except (YamlError, UnicodeDecodeError):
                continue
            for d in docs:
                meta = (d.data.get("metadata") or {}) if isinstance(d.data, dict) else {}
                if (
                    isinstance(d.data, dict)
                    and d.data.get("kind") == kind
                    and meta.get("name") == name
                    and (namespace is None or meta.get("namespace") in (None, namespace))
                ):
                    return path
        return None

    def never_applied(self, kind: str, name: str, namespace: str | None) -> str | None:
        """The gitops file of a request committed but not in the cluster (Argo CD never applied it), else None."""
        resolved, _ = self.resolve_kind(kind)
        return self._gitops_path(resolved, name, namespace)

    def delete_route(self, kind: str, name: str, namespace: str | None = None) -> str:
        """How ``delete`` would remove the object, in a sentence (for a confirmation)."""
        obj = self.get(kind, name, namespace)
        if obj is None:
            path = self.never_applied(kind, name, namespace)
            if path is not None:
                return f"removes {path} from the gitops repo (the request was never applied: nothing to prune)"
            raise LabError(f'{kind} "{name}" not found' + (f' in namespace "{namespace}"' if namespace else ""))
        path = self.gitops_file(obj)
        if path is not None:
            return f"removes {path} from the gitops repo; Argo CD (app platform) prunes the request"
        return f"deletes {obj['kind']} {name} directly (it is not in the gitops repo)"

    def delete(self, kind: str, name: str, namespace: str | None = None) -> str:
        """Delete: through GitOps when the object came from the gitops repo, else directly. A request committed
        but never applied (in git, not in the cluster: issue 17 item 1) is removed from git."""
        obj = self.get(kind, name, namespace)
        if obj is None:
            path = self.never_applied(kind, name, namespace)
            if path is None:
                raise LabError(f'{kind} "{name}" not found' + (f' in namespace "{namespace}"' if namespace else ""))
            with self._lock():
                sha = self.gitops_repo.write_files(
                    {path: None}, f"Remove {name} (never applied)", GITOPS_IDENTITY, self.store.now_seconds()
                )
                self.gitops_repo.sync_worktree()
            return f"removed {path} from the gitops repo ({sha[:8] if sha else 'unchanged'}); it was never applied"
        with self._lock():
            path = self.gitops_file(obj)
            if path is not None:
                sha = self.gitops_repo.write_files(
                    {path: None}, f"Remove {obj['kind']} {name}", GITOPS_IDENTITY, self.store.now_seconds()
                )
                self.gitops_repo.sync_worktree()
                return f"removed {path} from the gitops repo ({sha[:8] if sha else 'unchanged'}); Argo CD prunes it"
        self.store.delete(obj["kind"], name, namespace_of(obj), GVK.of(obj).group)
        return f"{obj['kind'].lower()}/{name} deleted"

    def put_onepassword_item(self, title: str, fields: dict[str, str], vault: str = "homelab") -> None:
        """Store an item in the lab's modelled 1Password vault, as a person or a tool outside the cluster would
        (``op item create``); ExternalSecrets reading it sync at the next round. Field values are strings."""
        if not title or not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
            raise LabError("put_onepassword_item: a title and string field values are required")
        with self._lock(), self.store.transaction():
            Vaults(self.store).put(vault, title, dict(fields), "kratix-lab (by hand)", self.store.now())

    def onepassword_items(self) -> dict[str, dict[str, Any]]:
        """The modelled 1Password vaults: ``{vault: {title: {"fields": {...}, "by": writer, "updated": time}}}``."""
        return Vaults(self.store).items()

    def _serves(self, gvk: GVK) -> bool:
        """Does the lab's API serve this group and kind (the kind registry: built-ins, upstream CRDs, Promises)?"""
        return any(info.group == gvk.group and info.kind == gvk.kind for info in self.kinds())

    def resolve_kind(self, kind: str) -> tuple[str, str | None]:
        """A kind as typed by a user (kind, plural, singular or short name, any case) → (Kind, group), by the kind
        registry (``kinds()``) alone: admission refuses kinds it does not serve, so nothing else is stored. Raises
        LabError for a kind the lab's API does not serve."""
        try:
            info = self.kinds().resolve(kind)
            return info.kind, info.group
        except UnknownKind as e:
            raise LabError(str(e)) from None

    def _resolve(self, kind: str) -> tuple[str, str | None]:
        try:
            return self.resolve_kind(kind)
        except LabError:
            return kind, None

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        k, group = self._resolve(kind)
        obj = self.store.get(k, name, namespace, group)
        if obj is None and namespace is None:
            matches = [o for o in self.store.list(k, group=group) if o["metadata"]["name"] == name]
            obj = matches[0] if len(matches) == 1 else None
        return obj

    def list(
        self, kind: str, namespace: str | None = None, selector: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        k, group = self._resolve(kind)
        return self.store.list(k, namespace, selector, group)

    def events(
        self, kind: str | None = None, name: str | None = None, namespace: str | None = None
    ) -> list[dict[str, Any]]:
        return self.store.events(self._resolve(kind)[0] if kind else None, name, namespace)

    def logs(
        self,
        kind: str,
        name: str,
        namespace: str | None = None,
        tail: int | None = None,
        container: str | None = None,
    ) -> str:
        """Logs of a Pod, or of the pods of a Job, or of a request's pipeline runs (newest last).

        ``container`` keeps one container's lines; a pod without that container is refused as the API
        server does (``pkg/registry/core/pod/strategy.go``, ``LogLocation``:
        ``container X is not valid for pod Y``).
        """
        obj = self.get(kind, name, namespace)
        if obj is None:
            raise LabError(f'{kind} "{name}" not found')
        ns = namespace_of(obj) or ""
        if obj["kind"] == "Pod":
            pods = [obj]
        elif obj["kind"] == "Job":
            pods = self.store.list("Pod", ns, {"job-name": name})
        else:
            pods = self.store.list(
                "Pod", ns, {"kratix.io/resource-name": name, "kratix.io/promise-name": self._promise_of(obj)}
            )
        if container is not None:
            having = [p for p in pods if container in _container_names(p)]
            if pods and not having:
                raise LabError(f"container {container} is not valid for pod {pods[-1]['metadata']['name']}")
            pods = having
        text = "".join(
            (f"==> {p['metadata']['name']} <==\n" if len(pods) > 1 else "")
            + self.store.logs(ns, p["metadata"]["name"], container)
            for p in pods
        )
        if tail is not None:
            text = "".join(line + "\n" for line in text.splitlines()[-tail:]) if tail > 0 else ""
        return text

    def _promise_of(self, obj: dict[str, Any]) -> str:
        gvk = GVK.of(obj)
        return next(
            (p.name for p in self.promises() if p.crd and (p.crd.group, p.crd.kind) == (gvk.group, gvk.kind)), ""
        )

    def reconcile(self, kind: str, name: str, namespace: str | None = None) -> None:
        """Ask Kratix to run the request's workflows again (the manual-reconciliation label)."""
        obj = self.get(kind, name, namespace)
        if obj is None:
            raise LabError(f'{kind} "{name}" not found')
        obj["metadata"].setdefault("labels", {})[MANUAL_RECONCILE] = "true"
        self.store.update(obj)

    def now(self) -> str:
        return self.store.now()

    # ---- controllers -----------------------------------------------------------------------

    def executor_for(self, promise: Promise, ctx: Context) -> Executor:
        fault = ctx.fault("pipeline-fails")
        if fault is not None and fault.get("promise") == promise.name:
            return FailingExecutor(self.executor, fault.get("request") or None)
        return StaleImageExecutor(self.executor)

    def step(self) -> StepResult:
        """One controller round: the clock moves on by STEP_SECONDS, then every controller runs once."""
        result = self._round()
        self.sync_checkouts()
        return result

    def _round(self) -> StepResult:
        """One round in one store transaction: a process killed mid-round leaves the last whole round.

        A round after a quiet one (it wrote nothing at all: no object, event, log, meta value or commit) is skipped —
        the clock moves on and no controller runs — while nothing was written since (here or by another process) and
        no controller's timed work is due yet (``next_due``, ``next_periodic``): the controllers are level-triggered
        over the store, the repositories and the clock, so such a round would write nothing either. It is the
        assumption ``settle`` and ``run_for`` already make when they jump the clock to the next due timer; it makes
        an idle lab's clock cost nothing (a round over 1,000 vClusters reads ~94,000 objects: a second of CPU)."""
        with self._lock(), self.store.transaction():
            quiet = self._quiet if self._quiet is not None and self._quiet.marker == self._marker() else None
            self.store.advance(STEP_SECONDS)
            result = StepResult(self.store.now())
            if quiet is not None and self.skips_quiet_rounds and not quiet.due_by(self.store.now_seconds()):
                self._quiet = quiet._replace(marker=self._marker())  # the clock's own write
                result.skipped = True
                return result
            ctx = Context(self.store, self.path, self.faults.active(), lab=self)
            before = self._marker()
            for c in self.controllers:
                result.writes[c.name] = c.reconcile(ctx)
            after = self._marker()
            self._quiet = _Quiet(after, *self._timers(ctx)) if after == before else None
            for repo in (self.gitops_repo, self.state_remote, self.state_repo):
                repo.release_pack_pages()  # what the round read of them stays in the page cache, not in this process
            return result

    def _marker(self) -> tuple[Any, ...]:
        """What the controllers read besides the clock, as a value that changes when any of it is written: the
        store (``Store.change_marker``), the repositories' heads and the pipeline executor."""
        heads = tuple(r.head() for r in (self.gitops_repo, self.state_remote, self.state_repo))
        return self.store.change_marker(), heads, id(self.executor)

    def _timers(self, ctx: Context) -> tuple[int | None, int | None]:
        """(when convergence work is next due, when recurring work is): the controllers' ``next_due`` and
        ``next_periodic``, None for none."""
        due = [d for c in self.controllers if (d := c.next_due(ctx)) is not None]
        periodic = [d for c in self.controllers if (d := _periodic(c, ctx)) is not None]
        return min(due, default=None), min(periodic, default=None)

    def sync_checkouts(self) -> None:
        """Bring the writer's clone's files up to its HEAD (commits are made in the object database)."""
        head = self.state_repo.head()
        if head != self._synced_head:
            with self._lock():
                self.state_repo.sync_worktree()
            self._synced_head = head

    def settle(self, max_steps: int = 1000, horizon: int = 600) -> SettleResult:
        """Step until nothing changes and nothing converges within ``horizon`` simulated seconds.

        Recurring work (CronJob schedules, crash-loop restarts, retries) is not waited for.
        """
        return self._run(max_steps=max_steps, horizon=horizon, end=None)

    def run_for(self, seconds: int) -> SettleResult:
        """Let ``seconds`` of simulated time pass, recurring work included (CronJobs, restarts, retries)."""
        return self._run(max_steps=None, horizon=None, end=self.store.now_seconds() + seconds)

    def _run(self, *, max_steps: int | None, horizon: int | None, end: int | None) -> SettleResult:
        """Rounds; when a round changes nothing, the clock jumps to the next due timer."""
        steps = writes = 0
        try:
            while (max_steps is None or steps < max_steps) and (
                end is None or self.store.now_seconds() + STEP_SECONDS <= end
            ):
                r = self._round()
                steps += 1
                writes += r.total
                if r.total:
                    continue
                if self._quiet is not None:  # the round was quiet: its timers are known
                    due, periodic = self._quiet.due, self._quiet.periodic
                else:
                    ctx = Context(self.store, self.path, self.faults.active(), lab=self)
                    due, periodic = self._timers(ctx)
                dues = [d for d in (due, periodic if end is not None else None) if d is not None]
                now = self.store.now_seconds()
                if end is None and (not dues or min(dues) - now > (horizon or 0)):
                    return SettleResult(steps, self.store.now(), True, writes)
                target = min([*dues, *([end] if end is not None else [])]) - STEP_SECONDS
                if target > now:
                    self.store.advance(target - now)
            return SettleResult(steps, self.store.now(), False, writes)
        finally:
            self.sync_checkouts()

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


LAB_PARTS = ("store.sqlite", "gitops", "state.git", "state")
# The lab directory's layout (lab.json, the store's tables, the repositories). A lab.json without "format" was
# written before the number existed and is format 1. Raise it when a change makes older code misread a lab; a lab
# of a newer format is refused with an error rather than read wrong.
LAB_FORMAT = 1


def _read_marker(marker: Path) -> str:
    """The seed from lab.json; a damaged lab.json is an error naming it, never a reason to re-create."""
    try:
        info = json.loads(marker.read_text())
    except (ValueError, UnicodeDecodeError) as e:
        raise LabError(f"{marker}: not a valid lab.json ({e}); the lab is damaged") from None
    if not isinstance(info, dict) or "kratix-lab" not in info or not isinstance(info.get("seed"), str):
        raise LabError(f'{marker}: not a lab.json (expected "kratix-lab" and "seed"); the lab is damaged')
    fmt = info.get("format", 1)
    if isinstance(fmt, bool) or not isinstance(fmt, int) or fmt < 1:
        raise LabError(f"{marker}: format: {fmt!r} is not a lab format number (1, 2, ...); the lab is damaged")
    if fmt > LAB_FORMAT:
        raise LabError(
            f"{marker}: format: this lab was written by kratix-lab {info['kratix-lab']} in lab format {fmt}; "
            f"kratix-lab {__version__} reads format {LAB_FORMAT} and older: upgrade kratix-lab to open it"
        )
    return info["seed"]


def _read_settings(marker: Path) -> dict[str, Any]:
    """lab.json's settings (a lab made before a setting existed has the default)."""
    try:
        info = json.loads(marker.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    return info if isinstance(info, dict) else {}


def _check_parts(path: Path) -> None:
    """A lab whose store or repositories are missing (or whose store is empty) is reported, never
    re-initialised: re-creating store.sqlite would silently lose its objects, faults and clock."""
    for name in LAB_PARTS:
        part = path / name
        if not part.exists():
            raise LabError(f"{part}: missing; the lab is damaged (restore it, or re-create the lab with `lab reset`)")
    if (path / "store.sqlite").stat().st_size == 0:
        raise LabError(f"{path / 'store.sqlite'}: empty; the lab is damaged (restore it, or `lab reset`)")


def _periodic(controller: Any, ctx: Context) -> int | None:
    fn = getattr(controller, "next_periodic", None)
    return fn(ctx) if fn is not None else None


def _drop_removed(live: dict[str, Any], key: str, previous: Any, config: dict[str, Any]) -> None:
    """Remove ``live[key]`` where the previous configuration set it and ``config`` does not
    (recursing through maps both still set)."""
    if key not in live:
        return
    if key not in config:
        del live[key]
    elif isinstance(previous, dict) and isinstance(config[key], dict) and isinstance(live[key], dict):
        for k, v in previous.items():
            _drop_removed(live[key], k, v, config[key])


def _merge(live: Any, desired: Any) -> Any:
    """``desired`` over ``live``: maps merge (fields only the server set are kept), the rest replaces."""
    if isinstance(live, dict) and isinstance(desired, dict):
        out = dict(live)
        for k, v in desired.items():
            out[k] = _merge(live.get(k), v)
        return out
    return clone(desired)


def _container_names(pod: dict[str, Any]) -> set[str]:
    spec = pod.get("spec") or {}
    return {str(c.get("name")) for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]}
