"""The Argo CD application controller, modelled: git-path and Helm sources, sync, health, projects.

What it does as Argo CD does (docs/kratix-semantics.md): compares the desired objects of a git
revision (or a rendered Helm chart) with the live ones and reports ``sync.status`` with the
revision it compared; automated sync applies, ``prune`` deletes what left git, ``selfHeal``
re-applies drift; an app's health is its worst child's; ``RepeatedResourceWarning`` (one object
in two files), ``SharedResourceWarning`` (one object in two apps); a missing AppProject, a source
outside ``sourceRepos`` or a destination outside ``destinations`` is an ``InvalidSpecError``; a
multi-source ``$values`` reference must be a git repository. Helm sources are rendered by the
lab's *modelled* chart (``platform.helm``); a chart it does not model is a ``ComparisonError``.
"""

from __future__ import annotations

import collections
import fnmatch
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from kratix_lab.kube import health as H
from kratix_lab.kube.applied import LAST_APPLIED, last_applied, record_applied
from kratix_lab.kube.times import parse_time, rfc3339
from kratix_lab.model import GVK, YamlError, clone, doccache
from kratix_lab.model.objects import kept
from kratix_lab.platform.controller import Context, Reader
from kratix_lab.platform.store import Conflict

ARGO_GROUP = "argoproj.io"
ARGO_NS = "argocd"
TRACKING = "argocd.argoproj.io/tracking-id"
_OWN_ANNOTATIONS = (TRACKING, LAST_APPLIED)
APP_FINALIZER = "resources-finalizer.argocd.argoproj.io"
IN_CLUSTER = "https://kubernetes.default.svc"
SYNC_WAVE = "argocd.argoproj.io/sync-wave"
# the charts rendered for the Applications being compared, kept as objects (``ArgoCDController._helm``)
HELM_IN_USE = 64
# An Application gone quiet (``ArgoCDController._remember_quiet``) whose chart renders at most this many objects lets
# its comparison go: compared again object by object only once something of it changes (a bigger one — the
# state reconciler's git path, thousands of objects — keeps it for the next commit)
QUIET_COMPARISON_KEPT_ABOVE = 64
# An automated sync's retry strategy when the app sets none (argo-cd v3.5.1
# controller/appcontroller.go:2383 ``Retry: appv1.RetryStrategy{Limit: 5}``) and the default backoff
# (pkg/apis/application/v1alpha1/application_defaults.go:6-8): 5 s ×2, at most 3 min.
RETRY_LIMIT, RETRY_SECONDS, RETRY_FACTOR, RETRY_MAX_SECONDS = 5, 5, 2, 180

# kubectl's apply order (Argo CD syncs in this order; prune runs in reverse)
KIND_ORDER = [
    "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy", "PodDisruptionBudget",
    "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass", "PersistentVolume",
    "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
    "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod",
    "ReplicationController", "ReplicaSet", "Deployment", "HorizontalPodAutoscaler", "StatefulSet", "Job",
    "CronJob", "IngressClass", "Ingress", "APIService",
]  # fmt: skip


def kind_rank(kind: str) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def tracking_id(app: str, obj: dict[str, Any]) -> str:
    gvk = GVK.of(obj)
    meta = obj.get("metadata") or {}
    return f"{app}:{gvk.group}/{gvk.kind}:{meta.get('namespace') or ''}/{meta.get('name')}"


def is_subset(desired: Any, live: Any) -> bool:
    """Argo CD's comparison, roughly: every field git sets is live as set (server defaults ignored)."""
    if desired == live:  # equal is a subset; most subtrees are equal, and comparing them is done in C
        return True
    if isinstance(desired, dict):
        return isinstance(live, dict) and all(k in live and is_subset(v, live[k]) for k, v in desired.items())
    if isinstance(desired, list):
        return (
            isinstance(live, list)
            and len(desired) == len(live)
            and all(is_subset(a, b) for a, b in zip(desired, live, strict=True))
        )
    return desired == live


def removed_fields(orig: Any, config: Any, live: Any) -> bool:
    """Whether a map field the last apply set, and the desired config no longer sets, is still live:
    the part of a three-way merge patch that deletes (gitops-engine pkg/diff/diff.go:692-724
    ThreeWayDiff and 773-820 threeWayMergePatch; lists are replaced whole, so the two-way check
    covers them)."""
    if not (isinstance(orig, dict) and isinstance(config, dict) and isinstance(live, dict)):
        return False
    for k, v in orig.items():
        if k not in live:
            continue
        if k not in config:
            return True
        if isinstance(v, dict) and removed_fields(v, config[k], live[k]):
            return True
    return False


def _meta_map(obj: dict[str, Any], key: str) -> dict[str, Any]:
    got = (obj.get("metadata") or {}).get(key) or {}
    return {k: v for k, v in got.items() if k not in _OWN_ANNOTATIONS} if key == "annotations" else got


def in_sync(desired: dict[str, Any], live: dict[str, Any] | None) -> bool:
    """Argo CD's comparison of one object (gitops-engine pkg/diff/diff.go:76-133 Diff): every field git
    sets is live as set (fields only the server set are ignored), and, when the live object carries
    the configuration last applied to it, the three-way part too: a field git no longer sets that
    the last apply set is OutOfSync until a sync removes it, and so is a changed apiVersion."""
    if live is None:
        return False
    body_d = {k: v for k, v in desired.items() if k not in ("metadata", "status", "apiVersion")}
    body_l = {k: v for k, v in live.items() if k not in ("metadata", "status", "apiVersion")}
    if not (
        is_subset(body_d, body_l)
        and is_subset(_meta_map(desired, "labels"), _meta_map(live, "labels"))
        and is_subset(_meta_map(desired, "annotations"), _meta_map(live, "annotations"))
    ):
        return False
    orig = last_applied(live)
    if orig is None:
        return True
    if orig.get("apiVersion") != desired.get("apiVersion") and live.get("apiVersion") != desired.get("apiVersion"):
        return False
    orig_body = {k: v for k, v in orig.items() if k not in ("metadata", "status", "apiVersion", "kind")}
    return not (
        removed_fields(orig_body, body_d, body_l)
        or removed_fields(_meta_map(orig, "labels"), _meta_map(desired, "labels"), _meta_map(live, "labels"))
        or removed_fields(
            _meta_map(orig, "annotations"), _meta_map(desired, "annotations"), _meta_map(live, "annotations")
        )
    )


_serials = itertools.count(1)


@dataclass(slots=True)
class Compared:
    """One desired object compared with the live one (cached while neither changes)."""

    key: tuple[str, str, str, str]
    token: tuple
    desired: dict[str, Any]
    synced: bool
    missing: bool
    owner: str | None
    resource: dict[str, Any]


@dataclass
class Manifests:
    objects: list[dict[str, Any]] = field(default_factory=list)
    revision: str | None = None
    error: str | None = None
    repeated: list[tuple[dict[str, Any], int]] = field(default_factory=list)  # (the object, how many times)
    notes: list[str] = field(default_factory=list)
    serial: int = field(default_factory=lambda: next(_serials))  # identifies this rendering in caches
    # What each object's content is, for caches: git objects are (blob sha, document index), the
    # same across revisions while their file is unchanged; a rendered chart's (its inputs, index): a comparison
    # cached under an earlier copy of the same rendering still holds; otherwise (serial, index).
    content_ids: list[tuple[Any, int]] | None = None
    helm_key: str | None = None  # a rendered chart's: its key in ``ArgoCDController._helm_in_use``

    def content_id(self, index: int) -> tuple[Any, int]:
        if self.content_ids is not None:
            return self.content_ids[index]
        return (self.helm_key if self.helm_key is not None else self.serial, index)


class ArgoCDController:
    name = "argocd"

    def __init__(self) -> None:
        self._git_cache: dict[tuple[str, str, str, bool], Manifests] = {}
        # The charts rendered for the Applications being compared, by source, release and namespace, least recently
        # used dropped first (an Application gone quiet lets its own go: ``_let_go``); each chart is rendered once
        # per input whatever the number of comparisons (``platform.helm.render_chart``'s cache, as Argo CD's repo
        # server keeps generated manifests).
        self._helm_in_use: collections.OrderedDict[str, Manifests] = collections.OrderedDict()
        self._fingerprints: dict[str, tuple] = {}
        self._compared: dict[str, dict[tuple[str, str, str, str], Compared]] = {}
        self._blob_docs: dict[str, list[Any]] = {}  # blob sha -> its parsed documents (read-only)
        self._desired_keys: dict[tuple, list[tuple[dict[str, Any], tuple[str, str, str, str]]]] = {}
        self._retry_due: dict[str, int] = {}  # app uid -> simulated second its sync is retried
        # Applications whose comparison was unchanged at their last look, by (namespace, name): (fingerprint, project,
        # how to find the revision again) — not read again while none of it changed (``_unchanged``)
        self._quiet: dict[tuple[str, str], tuple[tuple, str, tuple[str, str] | None]] = {}
        self.skips_unchanged = True  # False: every Application read every round (the tests compare the two)

    def next_due(self, ctx: Context) -> int | None:
        """When the next retry of a failed automated sync is due (bounded: the retry limit ends them)."""
        return min(self._retry_due.values(), default=None)

    def reconcile(self, ctx: Context) -> int:
        store = ctx.store
        writes = 0
        if self.skips_unchanged:  # Applications and AppProjects are read again only when changed: none kept parsed
            store.keep_none_of("Application")
            store.keep_none_of("AppProject")
        quiet, self._quiet = self._quiet, {}
        due = []
        for ns, name, rv in store.versions("Application", ARGO_GROUP):
            if ns != ARGO_NS:
                continue
            if self._unchanged(ctx, quiet.get((ns, name)), rv):
                self._quiet[(ns, name)] = quiet[(ns, name)]
            else:
                due.append((ns, name, rv))
        for app in Reader.read_all(store, "Application", ARGO_GROUP, due, len(due) + len(self._quiet)):
            try:
                writes += self._app(ctx, app)
            except Conflict:
                writes += 1
        return writes

    def _unchanged(self, ctx: Context, quiet: tuple[tuple, str, tuple[str, str] | None] | None, rv: int) -> bool:
        """Whether an Application's comparison is what it was at its last look, without reading it: its
        fingerprint's parts (``_fingerprint``: its resourceVersion, its project's, the revision of its source and
        the live objects' resourceVersions) are the same — what ``_app`` would find before it returns 0."""
        if quiet is None or not self.skips_unchanged:
            return False
        fingerprint, project, source = quiet
        store = ctx.store
        if int(fingerprint[0]) != rv or store.rv(ARGO_GROUP, "AppProject", ARGO_NS, project) != fingerprint[1]:
            return False
        if source is not None:
            repo = ctx.lab.repo_for(source[0])
            if repo is None or repo.head(source[1]) != fingerprint[2]:
                return False
        return tuple(store.rv(*k) for k in fingerprint[5]) == fingerprint[4]

    def _remember_quiet(self, ctx: Context, app: dict[str, Any], fingerprint: tuple, manifests: Manifests) -> None:
        """Note an Application found unchanged (see ``_unchanged``) — not one whose sync is retried, which is looked
        at every round — and let go of what only its next comparison would use (``_let_go``)."""
        if ((app.get("status") or {}).get("operationState") or {}).get("phase") == "Running":
            return
        self._let_go(app, manifests)
        spec = app.get("spec") or {}
        if spec.get("sources"):
            charts = [s for s in spec["sources"] if not s.get("ref")]
            src: dict[str, Any] | None = charts[0] if len(charts) == 1 else None
        else:
            src = spec.get("source") or {}
        source = None
        if src is not None and not src.get("chart"):  # a git source: its revision is its branch's head (``_source``)
            rev_name = src.get("targetRevision") or "HEAD"
            source = (src.get("repoURL", ""), "main" if rev_name in ("HEAD", "main") else rev_name)
        meta = app["metadata"]
        self._quiet[(meta["namespace"], meta["name"])] = (fingerprint, spec.get("project") or "default", source)

    def _let_go(self, app: dict[str, Any], manifests: Manifests) -> None:
        """An Application gone quiet is not compared again until something of it changes: its rendered chart stays
        in the cache serialized only, and a small one's comparison (each desired object against its live one) is
        dropped — at 1,000 vClusters ~40 MB of the dashboard's clock that only the next comparison of each would
        have read. When one changes, its chart comes back from the cache (not rendered again) and its few objects
        are compared anew. A git source's objects are parsed once per blob for every Application and revision
        (``_blob_docs``), and a big comparison (the state reconciler's) is kept for its next commit."""
        if manifests.helm_key is None:
            return
        uid = app["metadata"]["uid"]
        if len(self._compared.get(uid, ())) <= QUIET_COMPARISON_KEPT_ABOVE:
            self._compared.pop(uid, None)
        self._helm_in_use.pop(manifests.helm_key, None)
        for token in [t for t in self._desired_keys if t[0] == manifests.serial]:
            del self._desired_keys[token]

    # ---- one Application ---------------------------------------------------------------------

    def _app(self, ctx: Context, app: dict[str, Any]) -> int:
        store, now = ctx.store, ctx.store.now()
        name = app["metadata"]["name"]
        if app["metadata"].get("deletionTimestamp"):
            return self._delete_app(ctx, app)
        spec = app.get("spec") or {}
        dest = spec.get("destination") or {}
        # its AppProject as it is now (argo-cd controller/appcontroller.go ``getAppProj``: the projects informer's
        # lister at each reconcile), so a project the state reconciler applied earlier in the round is seen at once
        project = store.get("AppProject", spec.get("project") or "default", ARGO_NS, ARGO_GROUP, readonly=True)
        invalid = self._validate_spec(spec, project)
        conditions = []
        if not invalid:
            manifests = self.manifests(ctx, app)
            fingerprint = self._fingerprint(ctx, app, manifests)
            retrying = ((app.get("status") or {}).get("operationState") or {}).get("phase") == "Running"
            if self._fingerprints.get(app["metadata"]["uid"]) == fingerprint and not retrying:
                self._remember_quiet(ctx, app, fingerprint, manifests)
                return 0  # nothing it compares has changed since the last round
        # Only top-level status fields are set below, never changed in place: a shallow copy will do.
        st = dict(app.get("status") or {})
        new = {**app, "status": st}
        if invalid:
            conditions.append({"type": "InvalidSpecError", "message": invalid, "lastTransitionTime": now})
            st["sync"] = {"status": "Unknown", "comparedTo": {"source": spec.get("source"), "destination": dest}}
            st["health"] = _health(app, H.UNKNOWN, invalid, now)
            st["conditions"] = self._keep_times(app, conditions)
            return self._save(ctx, app, new)
        if manifests.error:
            conditions.append({"type": "ComparisonError", "message": manifests.error, "lastTransitionTime": now})
            st["sync"] = {
                "status": "Unknown",
                "revision": manifests.revision,
                "comparedTo": {"source": spec.get("source"), "destination": dest},
            }
            st["health"] = _health(app, H.UNKNOWN, manifests.error, now)
            st["conditions"] = self._keep_times(app, conditions)
            return self._save(ctx, app, new)
        for raw, count in manifests.repeated:
            # one condition per object, in argo-cd's words (controller/state.go DeduplicateTargetObjects: the
            # key is kube.ResourceKey — group/kind/namespace/name, the destination namespace filled in)
            g, k, ns, n = self._key(self._with_namespace(ctx, raw, dest.get("namespace"), copy_obj=False))
            conditions.append(
                {
                    "type": "RepeatedResourceWarning",
                    "message": f"Resource {g}/{k}/{ns}/{n} appeared {count} times among application resources.",
                    "lastTransitionTime": now,
                }
            )
        compared = self._compare(ctx, app, manifests, dest.get("namespace"))
        tracked_before = {self._key_of(r): r for r in (app.get("status") or {}).get("resources") or []}
        desired_keys = {c.key for c in compared}
        automated = (spec.get("syncPolicy") or {}).get("automated")
        if automated is not None and automated.get("enabled") is False:
            automated = None  # types.go:1531-1536 IsAutomatedSyncEnabled: ``enabled: false`` turns it off
        last_synced = ((app.get("status") or {}).get("operationState") or {}).get("syncResult", {}).get("revision")
        shared = [
            f"{c.desired['kind']}/{c.desired['metadata']['name']} is part of applications {name} and {c.owner}"
            for c in compared
            if c.owner not in (None, name)
        ]
        out_of_sync = [c for c in compared if not c.synced]
        to_prune = [
            r for k, r in tracked_before.items() if k not in desired_keys and self._live_tracked(store, r, name)
        ]
        operation = None
        last_op = (app.get("status") or {}).get("operationState") or {}
        source = spec.get("source") or spec.get("sources")
        uid = app["metadata"]["uid"]
        self._retry_due.pop(uid, None)
        # A failed operation with retries left is "Running" with finishedAt set; it is retried when
        # NextRetryAt(finishedAt, retryCount) is reached (appcontroller.go:1548-1578).
        retry_count = 0
        if last_op.get("phase") == "Running" and last_op.get("finishedAt"):
            retry_count = int(last_op.get("retryCount") or 0)
            due = parse_time(last_op["finishedAt"]) + _backoff(self._retry(spec), retry_count)
            if store.now_seconds() < due:
                self._retry_due[uid] = due
                automated, operation = None, None
        # Argo CD does not retry an automated sync that failed against the same revision and source
        # once its retries are spent (only a new commit, a changed source or a manual sync tries again):
        # appcontroller.go:2393-2400 alreadyAttemptedSync, "Failed last sync attempt to [rev]: msg".
        attempted_here = (last_op.get("syncResult") or {}).get("revision") == manifests.revision and (
            last_op.get("syncResult") or {}
        ).get("source") == source
        failed_here = last_op.get("phase") in ("Failed", "Error") and attempted_here
        if automated is not None and (out_of_sync or to_prune) and failed_here:
            conditions.append(
                {
                    "type": "SyncError",
                    "message": f"Failed last sync attempt to [{manifests.revision}]: {last_op.get('message', '')}",
                    "lastTransitionTime": now,
                }
            )
        elif automated is not None and (out_of_sync or to_prune):
            new_revision = manifests.revision != last_synced
            prune_only = not out_of_sync
            if prune_only and not automated.get("prune"):
                pass  # appcontroller.go:2352-2364: nothing to do but prune, and automated prune is off
            elif new_revision or automated.get("selfHeal") or retry_count:
                # appcontroller.go:2401-2403: without selfHeal, a drifted (or deleted) object is not
                # re-synced to the revision last synced successfully
                operation = self._sync(
                    ctx,
                    app,
                    [self._with_namespace(ctx, c.desired, dest.get("namespace"), copy_obj=False) for c in out_of_sync],
                    to_prune if automated.get("prune") else [],
                    manifests.revision,
                )
                self._retried(ctx, app, operation, retry_count)
                compared = self._compare(ctx, app, manifests, dest.get("namespace"))
                out_of_sync = [c for c in compared if not c.synced]
                to_prune = [
                    r for k, r in tracked_before.items() if k not in desired_keys and self._live_tracked(store, r, name)
                ]
        # one condition per object, in argo-cd's words (controller/state.go CompareAppState)
        conditions += [{"type": "SharedResourceWarning", "message": m, "lastTransitionTime": now} for m in shared]
        resources, healths = [], []
        for c in compared:
            res = dict(c.resource)
            # a missing child does not count: OutOfSync already says so (argo-cd controller/health.go
            # setApplicationHealth, "Missing resources should not affect parent app health")
            if "health" in res and not c.missing:
                healths.append(res["health"]["status"])
            resources.append(res)
        for r in to_prune:
            resources.append({**r, "status": "OutOfSync", "requiresPruning": True})
        st["resources"] = resources
        synced = not out_of_sync and not to_prune
        st["sync"] = {
            "status": "Synced" if synced else "OutOfSync",
            "revision": manifests.revision,
            "comparedTo": {"source": spec.get("source") or spec.get("sources"), "destination": dest},
        }
        app_health = H.worst(healths)
        if compared and all(c.missing for c in compared):
            app_health = H.MISSING  # resources expected and none live (setApplicationHealth, containsLiveResources)
        msg = next(
            (
                r["health"].get("message", "")
                for r in resources
                if r.get("health", {}).get("status") == app_health and app_health != H.HEALTHY
            ),
            "",
        )
        st["health"] = _health(app, app_health, msg, now)
        if operation is not None:
            st["operationState"] = operation
        st["reconciledAt"] = now if operation else (app.get("status") or {}).get("reconciledAt", now)
        if manifests.notes:
            st["summary"] = {"notes": manifests.notes}
        st["conditions"] = self._keep_times(app, conditions)
        writes = self._save(ctx, app, new) + (1 if operation else 0)
        if not writes:
            self._fingerprints[app["metadata"]["uid"]] = fingerprint
            self._remember_quiet(ctx, app, fingerprint, manifests)
        return writes

    def _compare(
        self, ctx: Context, app: dict[str, Any], manifests: Manifests, namespace: str | None
    ) -> list[Compared]:
        """Each desired object against its live one, in sync order; an object whose desired form and
        live resourceVersion are unchanged since the last round is not compared again."""
        store = ctx.store
        cache = self._compared.setdefault(app["metadata"]["uid"], {})
        out = []
        for index, (desired, key) in enumerate(self._desired(ctx, manifests, namespace)):
            rv = store.rv(*key[:3], key[3])
            token = (manifests.content_id(index), rv)
            hit = cache.get(key)
            if hit is not None and hit.token == token:
                out.append(hit)
                continue
            # not kept parsed: what is concluded from it is kept (``hit``), read again only once it has changed
            live = store.get(key[1], key[3], key[2] or None, key[0], readonly=True, keep=False)
            h = H.assess(live) if desired["kind"] != "Application" else None
            synced = in_sync(desired, live)
            gvk = GVK.of(desired)
            resource: dict[str, Any] = {"group": gvk.group, "version": gvk.version, "kind": desired["kind"]}
            if desired["metadata"].get("namespace"):
                resource["namespace"] = desired["metadata"]["namespace"]
            resource |= {"name": desired["metadata"]["name"], "status": "Synced" if synced else "OutOfSync"}
            if h is not None:
                resource["health"] = {"status": h.status, **({"message": h.message} if h.message else {})}
            hit = Compared(key, token, desired, synced, live is None, self._owner(live), kept(resource))
            cache[key] = hit
            out.append(hit)
        out.sort(key=lambda c: (kind_rank(c.key[1]), c.key[2], c.key[3]))
        return out

    def _desired(
        self, ctx: Context, manifests: Manifests, namespace: str | None
    ) -> list[tuple[dict[str, Any], tuple[str, str, str, str]]]:
        """Each desired object as it lands (the destination namespace added) with its key, worked
        out once per rendering, namespace and set of installed Promises (they decide what is
        cluster-scoped); shared and read-only."""
        token = (manifests.serial, namespace, tuple(ctx.store.versions("Promise")))
        found = self._desired_keys.get(token)
        if found is None:
            if len(self._desired_keys) > 256:
                self._desired_keys.clear()
            found = []
            for raw in manifests.objects:
                desired = self._with_namespace(ctx, raw, namespace, copy_obj=False)
                found.append((desired, self._key(desired)))
            self._desired_keys[token] = found
        return found

    def _fingerprint(self, ctx: Context, app: dict[str, Any], manifests: Manifests) -> tuple:
        """What an app's comparison depends on: the app, its project, the revision and the live objects."""
        store = ctx.store
        dest_ns = ((app.get("spec") or {}).get("destination") or {}).get("namespace")
        keys = {key: None for _, key in self._desired(ctx, manifests, dest_ns)}
        # those it tracks that are not desired (to prune); one it both wants and tracks is there once (which it
        # tracks is the Application's own status: its resourceVersion says when that changes)
        keys.update(dict.fromkeys(map(self._key_of, (app.get("status") or {}).get("resources") or [])))
        project = (app.get("spec") or {}).get("project") or "default"
        return (
            app["metadata"]["resourceVersion"],
            store.rv(ARGO_GROUP, "AppProject", ARGO_NS, project),
            manifests.revision,
            manifests.error,
            tuple(store.rv(k[0], k[1], k[2], k[3]) for k in keys),
            tuple(keys),  # (which objects: what the live resourceVersions are of, for ``_unchanged``)
        )

    def _save(self, ctx: Context, app: dict[str, Any], new: dict[str, Any]) -> int:
        if not new["status"].get("conditions"):
            new["status"].pop("conditions", None)
        if (new.get("status") or {}) == (app.get("status") or {}):
            return 0
        ctx.store.update_status(new, readonly=True)
        old_sync = ((app.get("status") or {}).get("sync") or {}).get("status")
        new_sync = new["status"].get("sync", {}).get("status")
        if old_sync != new_sync:
            ctx.store.event(
                new,
                "Normal",
                "ResourceUpdated",
                f"Updated sync status: {old_sync or 'Unknown'} -> {new_sync}",
                "argocd-application-controller",
            )
        old_h = ((app.get("status") or {}).get("health") or {}).get("status")
        new_h = new["status"].get("health", {}).get("status")
        if old_h != new_h:
            ctx.store.event(
                new,
                "Normal",
                "ResourceUpdated",
                f"Updated health status: {old_h or 'Unknown'} -> {new_h}",
                "argocd-application-controller",
            )
        return 1

    @staticmethod
    def _retry(spec: dict[str, Any]) -> dict[str, Any]:
        return (spec.get("syncPolicy") or {}).get("retry") or {"limit": RETRY_LIMIT}

    def _retried(self, ctx: Context, app: dict[str, Any], op: dict[str, Any], count: int) -> None:
        """A failed sync with retries left becomes ``Running`` with ``retryCount`` + 1 and the time of
        the next attempt in its message; with none left its message counts the retries
        (appcontroller.go:1619-1640)."""
        if op["phase"] != "Failed":
            if count:
                op["retryCount"] = count
            return
        retry = self._retry(app.get("spec") or {})
        limit = int(retry.get("limit", RETRY_LIMIT))
        now = ctx.store.now_seconds()
        if count < limit or limit < 0:
            at = now + _backoff(retry, count)
            op["phase"], op["retryCount"] = "Running", count + 1
            op["message"] += f". Retrying attempt #{count + 1} at {_kitchen(at)}."
            self._retry_due[app["metadata"]["uid"]] = now + _backoff(retry, count + 1)
        elif count:
            op["retryCount"] = count
            op["message"] += f" (retried {count} times)."

    def _keep_times(self, app: dict[str, Any], conditions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A condition of the same type and message keeps its lastTransitionTime (when the problem began); a new
        message is a new condition, timed now (argo-cd pkg/apis/application/v1alpha1/types.go:3713-3749
        ``SetConditions``, commit 37ee0097)."""
        old = {(c.get("type"), c.get("message")): c for c in (app.get("status") or {}).get("conditions") or []}
        return [old.get((c["type"], c["message"]), c) for c in conditions]

    # ---- spec checks -----------------------------------------------------------------------

    def _validate_spec(self, spec: dict[str, Any], project: dict[str, Any] | None) -> str | None:
        """Why an Application's spec is refused by its project (None: it is not); ``project`` is its AppProject."""
        pname = spec.get("project") or "default"
        if project is None:
            return f"Application referencing project {pname} which does not exist"
        pspec = project.get("spec") or {}
        sources = [spec["source"]] if spec.get("source") else list(spec.get("sources") or [])
        for src in sources:
            url = src.get("repoURL", "")
            if not any(fnmatch.fnmatchcase(url, pat) for pat in pspec.get("sourceRepos") or []):
                return f"application repo {url} is not permitted in project '{pname}'"
        dest = spec.get("destination") or {}
        server, ns = dest.get("server") or IN_CLUSTER, dest.get("namespace") or ""
        allowed = any(
            fnmatch.fnmatchcase(server, d.get("server", "*") or "*")
            and fnmatch.fnmatchcase(ns, d.get("namespace", "*") or "*")
            for d in pspec.get("destinations") or []
        )
        if not allowed:
            return f"application destination server '{server}' and namespace '{ns}' do not match any of the allowed destinations in project '{pname}'"
        return None

    # ---- manifests ---------------------------------------------------------------------------

    def manifests(self, ctx: Context, app: dict[str, Any]) -> Manifests:
        """The desired objects of an app (git path or Helm chart), as Argo CD's repo server renders them."""
        spec = app.get("spec") or {}
        if spec.get("sources"):
            refs = {s["ref"]: s for s in spec["sources"] if s.get("ref")}
            for r, src in refs.items():
                if ctx.lab.repo_for(src.get("repoURL", "")) is None:
                    return Manifests(
                        error=f"rpc error: unable to resolve '${r}' source: repository {src.get('repoURL')} is not a git "
                        "repository (a $values reference must point at a git repository source)"
                    )
            chart_sources = [s for s in spec["sources"] if not s.get("ref")]
            if len(chart_sources) != 1:
                return Manifests(
                    error="the lab models applications with one rendering source (plus $values references)"
                )
            return self._source(ctx, app, chart_sources[0])
        return self._source(ctx, app, spec.get("source") or {})

    def _source(self, ctx: Context, app: dict[str, Any], src: dict[str, Any]) -> Manifests:
        if src.get("chart"):
            return self._helm(ctx, app, src)
        repo = ctx.lab.repo_for(src.get("repoURL", ""))
        if repo is None:
            return Manifests(
                error=f"rpc error: repository not found: {src.get('repoURL')} (the lab knows only its own repositories)"
            )
        rev_name = src.get("targetRevision") or "HEAD"
        rev = repo.head("main" if rev_name in ("HEAD", "main") else rev_name)
        if rev is None:
            return Manifests(error=f"unable to resolve '{rev_name}' to a commit SHA in {src.get('repoURL')}")
        path = (src.get("path") or "").strip("/")
        recurse = bool((src.get("directory") or {}).get("recurse"))
        key = (src.get("repoURL", ""), rev, path, recurse)
        if key not in self._git_cache:
            if len(self._git_cache) > 64:
                self._git_cache.clear()
            self._git_cache[key] = self._read_git(repo, rev, path, recurse)
        return self._git_cache[key]  # shared and read-only: callers copy what they change

    def _read_git(self, repo, rev: str, path: str, recurse: bool) -> Manifests:
        objects: dict[str, tuple[dict[str, Any], tuple[str, int]]] = {}  # ident -> (object, content id)
        counts: dict[str, int] = {}
        shas = repo.tree_shas(path, rev)
        for rel in sorted(shas):
            fpath = f"{path}/{rel}" if path else rel
            if not recurse and "/" in rel:
                continue
            if not fpath.endswith((".yaml", ".yml", ".json")):
                continue
            docs = self._blob_docs.get(shas[rel])
            if docs is None:  # a blob is parsed once, whichever revision it appears in
                try:
                    content = repo.read_files(fpath, rev)[fpath]
                    # as load_documents gives them; kept by content when a cache is open (the dashboard's workers)
                    docs = [kept(d.data) for d in doccache.documents(content, fpath)]
                except (YamlError, UnicodeDecodeError) as e:
                    return Manifests(revision=rev, error=f"rpc error: failed to unmarshal {fpath}: {e}")
                if len(self._blob_docs) > 20000:
                    self._blob_docs.clear()
                self._blob_docs[shas[rel]] = docs
            for doc_index, obj in enumerate(docs):
                if not isinstance(obj, dict) or not obj.get("kind") or not obj.get("apiVersion"):
                    continue
                meta = obj.get("metadata") or {}
                ident = f"{GVK.of(obj).group}/{obj['kind']}/{meta.get('namespace') or ''}/{meta.get('name')}"
                counts[ident] = counts.get(ident, 0) + 1
                objects[ident] = (obj, (shas[rel], doc_index))  # the last one wins, as upstream keeps it
        return Manifests(
            [obj for obj, _ in objects.values()],
            rev,
            None,
            [(objects[ident][0], n) for ident, n in counts.items() if n > 1],
            content_ids=[content for _, content in objects.values()],
        )

    def _helm(self, ctx: Context, app: dict[str, Any], src: dict[str, Any]) -> Manifests:
        helm = src.get("helm") or {}
        dest = (app.get("spec") or {}).get("destination") or {}
        key = json.dumps([src, app["metadata"]["name"], dest.get("namespace")], sort_keys=True)
        cached = self._helm_in_use.get(key)
        if cached is not None:
            self._helm_in_use.move_to_end(key)
            return cached
        cached = self._render_helm(ctx, app, src, helm, dest)
        cached.helm_key = key  # (also what its objects' content is: ``Manifests.content_id``)
        self._helm_in_use[key] = cached
        if len(self._helm_in_use) > HELM_IN_USE:
            self._helm_in_use.popitem(last=False)
        return cached

    def _render_helm(
        self, ctx: Context, app: dict[str, Any], src: dict[str, Any], helm: dict[str, Any], dest: dict[str, Any]
    ) -> Manifests:
        from kratix_lab.platform.helm import ChartError, HelmSource, render_chart

        source = HelmSource(
            repo_url=src.get("repoURL", ""),
            chart=src["chart"],
            target_revision=str(src.get("targetRevision", "")),
            release_name=helm.get("releaseName") or app["metadata"]["name"],
            namespace=dest.get("namespace") or "default",
            values=clone(helm.get("valuesObject") or {}),
        )
        revision = f"{source.chart}-{source.target_revision}"
        if helm.get("valueFiles"):
            return Manifests(
                revision=revision, error="helm.valueFiles need a git $values source; the lab renders helm.valuesObject"
            )
        try:
            rendered = render_chart(source, ctx.lab.vcluster_schema, shared=True)
        except ChartError as e:
            return Manifests(revision=revision, error=f"rpc error: Manifest generation error (cached): {e}")
        return Manifests(rendered.chart_objects, source.target_revision, None, [], list(rendered.notes))

    # ---- apply / prune -----------------------------------------------------------------------

    def _with_namespace(
        self, ctx: Context, obj: dict[str, Any], namespace: str | None, copy_obj: bool = True
    ) -> dict[str, Any]:
        meta = obj.get("metadata") or {}
        needs = not meta.get("namespace") and namespace and not ctx.lab.cluster_scoped(obj)
        if not copy_obj and not needs:
            return obj
        obj = clone(obj) if copy_obj else {**obj, "metadata": dict(meta)}
        if needs:
            obj.setdefault("metadata", {})["namespace"] = namespace
        return obj

    def _key(self, obj: dict[str, Any]) -> tuple[str, str, str, str]:
        m = obj["metadata"]
        return (GVK.of(obj).group, obj["kind"], m.get("namespace") or "", m["name"])

    def _key_of(self, res: dict[str, Any]) -> tuple[str, str, str, str]:
        return (res.get("group", ""), res["kind"], res.get("namespace") or "", res["name"])

    def _owner(self, live: dict[str, Any] | None) -> str | None:
        if live is None:
            return None
        tid = ((live.get("metadata") or {}).get("annotations") or {}).get(TRACKING)
        return tid.split(":", 1)[0] if tid else None

    def _live_tracked(self, store, res: dict[str, Any], app: str) -> bool:
        live = store.get(res["kind"], res["name"], res.get("namespace"), res.get("group", ""), readonly=True)
        return live is not None and self._owner(live) == app

    def _sync(
        self,
        ctx: Context,
        app: dict[str, Any],
        apply: list[dict[str, Any]],
        prune: list[dict[str, Any]],
        revision: str | None,
    ) -> dict[str, Any]:
        store = ctx.store
        name = app["metadata"]["name"]
        results, failed = [], []
        # A client dry-run of every object gates the sync: if one fails, nothing is applied or pruned
        # (gitops-engine pkg/sync/sync_context.go:424-458; a custom resource whose CRD is missing is
        # skipped when the CRD is part of this sync, 881-898).
        kinds_in_sync = {
            (o.get("spec") or {}).get("names", {}).get("kind")
            for o in apply
            if o.get("kind") == "CustomResourceDefinition"
        }
        dry: dict[int, dict[str, Any]] = {}  # id(desired) -> what the dry run admitted (applied below)
        for obj in apply:
            try:
                dry[id(obj)] = ctx.lab.admit(clone(obj), dry_run=True)
            except Exception as e:
                if obj.get("kind") in kinds_in_sync:
                    continue
                failed.append(f"{obj['kind']}/{obj['metadata']['name']}: {e}")
                results.append(self._result(obj, "SyncFailed", str(e)))
        if failed:
            return self._operation(
                ctx, app, revision, results, "one or more objects failed to apply (dry run)", bool(prune)
            )
        # Tasks run in order of sync wave, then kind, then name, and a failed wave stops the sync
        # (pkg/sync/sync_tasks.go:85-110 Less; sync_context.go:560-600).
        apply = sorted(apply, key=lambda o: (_wave(o), kind_rank(o["kind"]), o["metadata"]["name"]))
        schemas_changed = False
        for i, obj in enumerate(apply):
            if failed and _wave(obj) != _wave(apply[i - 1]):
                break
            # an object applied earlier in this sync may change admission (a CRD, a Promise): re-admit then
            admitted = dry.get(id(obj)) if not schemas_changed else None
            schemas_changed = schemas_changed or obj.get("kind") in ("CustomResourceDefinition", "Promise")
            obj = clone(obj)
            annotations = obj["metadata"].setdefault("annotations", {})
            annotations[TRACKING] = tracking_id(name, obj)
            # Argo CD applies as ``kubectl apply`` does: the object records the configuration applied
            # (kubectl's last-applied annotation, read back by the three-way diff), and a field the
            # previous configuration set that this one does not is removed.
            key = self._key(obj)
            previous = last_applied(ctx.store.get(key[1], key[3], key[2] or None, key[0], readonly=True))
            record_applied(obj)
            if admitted is not None:  # the dry run's object (defaults applied) with this apply's annotations
                admitted["metadata"]["annotations"] = {**(admitted["metadata"].get("annotations") or {}), **annotations}
                obj = admitted
            try:
                verb = ctx.lab.apply_object(
                    obj, manager=f"argocd/{name}", previous=previous, admitted=admitted is not None
                )
                results.append(self._result(obj, "Synced", f"{obj['kind'].lower()}/{obj['metadata']['name']} {verb}"))
            except Exception as e:  # any API error is a failed resource in the sync result, as in Argo CD
                failed.append(f"{obj['kind']}/{obj['metadata']['name']}: {e}")
                results.append(self._result(obj, "SyncFailed", str(e)))
        if failed:
            return self._operation(
                ctx, app, revision, results, "one or more objects failed to apply: " + "; ".join(failed), bool(prune)
            )
        for res in sorted(prune, key=lambda r: -kind_rank(r["kind"])):
            store.delete(res["kind"], res["name"], res.get("namespace"), res.get("group", ""))
            results.append(
                {**{k: res.get(k) for k in ("kind", "name", "namespace")}, "status": "Pruned", "message": "pruned"}
            )
        return self._operation(ctx, app, revision, results, None, bool(prune))

    @staticmethod
    def _result(obj: dict[str, Any], status: str, message: str) -> dict[str, Any]:
        return {
            "kind": obj["kind"],
            "name": obj["metadata"]["name"],
            "namespace": obj["metadata"].get("namespace"),
            "status": status,
            "message": message,
        }

    def _operation(
        self,
        ctx: Context,
        app: dict[str, Any],
        revision: str | None,
        results: list[dict[str, Any]],
        failure: str | None,
        prune: bool,
    ) -> dict[str, Any]:
        store, now = ctx.store, ctx.store.now()
        failed = failure is not None
        phase = "Failed" if failed else "Succeeded"
        message = failure or "successfully synced (all tasks run)"
        store.event(
            app,
            "Warning" if failed else "Normal",
            "OperationCompleted",
            f"Sync operation to {revision} {'failed' if failed else 'succeeded'}",
            "argocd-application-controller",
        )
        return {
            "phase": phase,
            "message": message,
            "startedAt": now,
            "finishedAt": now,
            "operation": {"sync": {"revision": revision, "prune": prune}, "initiatedBy": {"automated": True}},
            "syncResult": {
                "revision": revision,
                "source": (app.get("spec") or {}).get("source") or (app.get("spec") or {}).get("sources"),
                "resources": results,
            },
        }

    def _delete_app(self, ctx: Context, app: dict[str, Any]) -> int:
        store = ctx.store
        finalizers = app["metadata"].get("finalizers") or []
        if APP_FINALIZER not in finalizers:
            return 0
        remaining = 0
        for res in (app.get("status") or {}).get("resources") or []:
            if self._live_tracked(store, res, app["metadata"]["name"]):
                live = store.get(res["kind"], res["name"], res.get("namespace"), res.get("group", ""))
                if live and not live["metadata"].get("deletionTimestamp"):
                    store.delete(res["kind"], res["name"], res.get("namespace"), res.get("group", ""))
                if store.get(res["kind"], res["name"], res.get("namespace"), res.get("group", "")):
                    remaining += 1
        if remaining:
            return 1
        new = clone(app)
        new["metadata"]["finalizers"] = [f for f in finalizers if f != APP_FINALIZER]
        store.update(new)
        return 1


def _health(app: dict[str, Any], status: str, message: str, now: str) -> dict[str, Any]:
    """The Application's ``status.health``; its lastTransitionTime moves only when the health status changes
    (argo-cd controller/appcontroller.go:2437-2450, commit 37ee0097: "the ONLY place … aware of the previous and
    updated health statuses"), so a Degraded app says since when it is Degraded, not when it was last refreshed."""
    old = (app.get("status") or {}).get("health") or {}
    since = old.get("lastTransitionTime") if old.get("status") == status and old.get("lastTransitionTime") else now
    return {"status": status, **({"message": message} if message else {}), "lastTransitionTime": since}


def _wave(obj: dict[str, Any]) -> int:
    """An object's sync wave (``argocd.argoproj.io/sync-wave``, default 0): gitops-engine
    pkg/sync/syncwaves/waves.go:12-24."""
    text = ((obj.get("metadata") or {}).get("annotations") or {}).get(SYNC_WAVE)
    try:
        return int(text) if text is not None else 0
    except ValueError:
        return 0


def _backoff(retry: dict[str, Any], count: int) -> int:
    """Seconds from a failed attempt to the next: duration × factor^count, at most maxDuration
    (argo-cd v3.5.1 pkg/apis/application/v1alpha1/types.go:1567-1595 NextRetryAt)."""
    backoff = retry.get("backoff") or {}
    duration = _seconds(backoff.get("duration"), RETRY_SECONDS)
    cap = _seconds(backoff.get("maxDuration"), RETRY_MAX_SECONDS)
    wait = duration * float(backoff.get("factor", RETRY_FACTOR)) ** count
    return int(min(cap, wait) if cap > 0 else wait)


def _seconds(text: Any, default: int) -> int:
    if text in (None, ""):
        return default
    text = str(text)
    units = {"s": 1, "m": 60, "h": 3600}
    if text[-1:] in units and text[:-1].isdigit():
        return int(text[:-1]) * units[text[-1]]
    return int(text) if text.isdigit() else default


def _kitchen(seconds: int) -> str:
    """Go's time.Kitchen layout ("3:04PM") of a simulated second."""
    hh, mm = int(rfc3339(seconds)[11:13]), rfc3339(seconds)[14:16]
    return f"{(hh % 12) or 12}:{mm}{'AM' if hh < 12 else 'PM'}"
