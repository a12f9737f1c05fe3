"""The middle stretch of the road: the state-repo commit a WorkPlacement wrote, the Argo CD Application that syncs
it (its revision against that commit), and the live objects of its files (sub-requests recurse into the Kratix
stretch; an Application of a chart goes on to the Helm stretch)."""

from __future__ import annotations

from functools import partial
from typing import Any

from kratix_lab.kube.health import (
    DEGRADED,
    HEALTHY,
    MISSING,
    PROGRESSING,
    UNKNOWN,
    assess,
    operation_message,
    sync_failed,
)
from kratix_lab.model import GVK, YamlError, namespace_of
from kratix_lab.sources import PerObject
from kratix_lab.trace.helm import HelmStretch
from kratix_lab.trace.manifests import CommitManifests, placement_files
from kratix_lab.trace.node import ARGO, UNREADABLE, RequestKind, TraceNode, unreadable
from kratix_lab.words import plural


class GitopsStretch(HelmStretch):
    """State-repo commit → Argo CD sync → live objects."""

    def declared(
        self, rk: RequestKind, name: str, namespace: str | None
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The Application whose source (git) holds this request, and its entry there, when Argo CD lists it."""
        for app, entry in declared_requests(self.apps(), rk):
            if entry.get("name") == name and namespace in (None, entry.get("namespace")):
                return app, entry
        return None

    def applying(self, app: dict[str, Any], entry: dict[str, Any]) -> TraceNode:
        """The Application that should apply a request it lists from git but that is not in the cluster: why it
        has not (issue 17 item 1). Argo CD compares every object of its source with the cluster whether or not it
        syncs (argo-cd controller/state.go ``CompareAppState``: a desired object without a live one is OutOfSync,
        health Missing); only a sync applies it — automated (``spec.syncPolicy.automated``, appcontroller.go
        ``autoSync`` returns early without it) or by hand."""
        st = app.get("status") or {}
        sync = st.get("sync") or {}
        revision = sync.get("revision") or ""
        automated = ((app.get("spec") or {}).get("syncPolicy") or {}).get("automated") is not None
        op = st.get("operationState") or {}
        errors = [
            c for c in st.get("conditions") or [] if c.get("type", "").endswith("Error") and c["type"] != "SyncError"
        ]
        what = f"{entry.get('kind')} {entry.get('name')}"
        since = None  # Argo CD records no time for "became OutOfSync"; the last sync is not when this began
        if errors:
            health, msg = DEGRADED, f"{errors[0]['type']}: {errors[0].get('message', '')}"
            since = self.ts(errors[0].get("lastTransitionTime"))
        elif sync_failed(op) and str(entry.get("name")) in operation_message(op):
            health, msg = DEGRADED, f"sync failed: {operation_message(op)}"
            since = self.ts(op.get("finishedAt"))
        elif op.get("phase") == "Running":
            health, msg = PROGRESSING, f"syncing {revision[:8]}: applying {what}"
        elif not automated:
            health, msg = DEGRADED, f"OutOfSync at {revision[:8]}: automated sync is off, nothing applies {what}"
        else:
            health, msg = PROGRESSING, f"OutOfSync at {revision[:8]}: Argo CD applies {what} at its next sync"
        return _sync_node(app, health, msg, since, commit=revision, automated=automated, resource=entry, files=[])

    def _platform_app_hint(self, name: str) -> str:
        for app in self.apps():
            op = (app.get("status") or {}).get("operationState") or {}
            if sync_failed(op) and name in operation_message(op):
                return f"; Argo CD application {app['metadata']['name']} failed to apply it: {operation_message(op)}"
        for app in self.apps():  # a file Argo CD cannot read stops the whole Application (controller/state.go)
            for c in (app.get("status") or {}).get("conditions") or []:
                if c.get("type") == "ComparisonError":
                    return f"; Argo CD application {app['metadata']['name']} cannot read git: {c.get('message', '')}"
        return ""

    def commit(self, sha: str, path: str, url: str | None, depth: int, wp: dict[str, Any] | None = None) -> TraceNode:
        info = self.s.state_commit(sha)
        files = self.manifests(sha, path)
        # A source that cannot read the state repo (live mode: no access, a BucketStateStore) says why;
        # the files then come from the WorkPlacement itself and the commit is Unknown, never Missing.
        repo_error = getattr(self.s, "state_repo_error", None)
        repo_unreadable = repo_error(url) if info is None and repo_error is not None else None
        if repo_unreadable and wp is not None:
            files = CommitManifests(placement_files(wp, path))
            node = TraceNode(
                "Commit",
                sha[:12],
                None,
                "commit",
                UNKNOWN,
                f"{repo_unreadable}: {plural(len(files), 'file')} under {path} read from the WorkPlacement's spec.workloads instead "
                "(the commit's message, author and ancestry are unknown)",
                None,
                {"sha": sha, "path": path, "files": sorted(files), "author": None, "filesFrom": "WorkPlacement"},
            )
        else:
            node = TraceNode(
                "Commit",
                sha[:12],
                None,
                "commit",
                HEALTHY if info else MISSING,
                (
                    f"{info.message} ({plural(len(files), 'file')} under {path})"
                    if info
                    else f"commit {sha} is not in the state repo"
                ),
                self.ts(info.date.replace("+00:00", "Z")) if info else None,
                {"sha": sha, "path": path, "files": sorted(files), "author": info.author if info else None},
            )
            node.manifests = files
        app = self.syncing_app(url, path)
        if app is None and self._apps_error is not None:
            node.children.append(unreadable("Application", "?", "argocd", "sync", self._apps_error))
            return node
        if app is None:
            node.children.append(
                TraceNode(
                    "Application", "?", "argocd", "sync", MISSING, f"no Argo CD Application syncs {path} of {url}"
                )
            )
            return node
        node.children.append(self.sync(app, sha, files, depth, written=node.since, history=not repo_unreadable))
        return node

    def syncing_app(self, url: str | None, path: str) -> dict[str, Any] | None:
        """The first Application (in the list's order) whose source is the repo ``url`` and whose path holds
        ``path`` (no path: the whole repo).

        A source that keeps derived values (``derived(key, compute)``: the fleet's snapshot and row engine) answers
        from the names and paths of the Applications of that repo (``apps_of_repo``), read once for every row, and
        gets the one found: a fleet's row reads that Application only, not the list (issue 15: every row listed a
        thousand Applications; the dashboard's forked processes copied their pages as the list touched them). The key
        names the repo, so a vCluster's own Application (a chart's repo) coming or going changes nothing here."""
        if not url:
            return None
        derived = getattr(self.s, "derived", None)
        if derived is None:
            return self._first_syncing(self.apps(), url, path)
        try:
            apps = derived(f"apps-of-repo {_norm(url)}", apps_of_repo(_norm(url)))
        except UNREADABLE:
            return self._first_syncing(self.apps(), url, path)  # (the list says why: ``_apps_error``)
        for name, app_path in apps:
            if _holds(app_path, path):
                try:
                    return self.s.get("Application", name, "argocd", ARGO)
                except UNREADABLE as e:
                    self._apps_error = e
                    return None
        return None

    @staticmethod
    def _first_syncing(apps: list[dict[str, Any]], url: str, path: str) -> dict[str, Any] | None:
        for app in apps:
            found = _of_repo(_norm(url), app)
            if found is not None and _holds(found[1], path):
                return app
        return None

    def sync(
        self,
        app: dict[str, Any],
        sha: str,
        files: CommitManifests,
        depth: int,
        written: int | None = None,
        history: bool = True,
    ) -> TraceNode:
        st = app.get("status") or {}
        sync = st.get("sync") or {}
        revision = sync.get("revision")
        automated = ((app.get("spec") or {}).get("syncPolicy") or {}).get("automated") is not None
        op = st.get("operationState") or {}
        synced_rev = (op.get("syncResult") or {}).get("revision")
        applied = bool(op.get("phase") == "Succeeded" and self.s.is_ancestor(sha, synced_rev)) if synced_rev else False
        compared = self.s.is_ancestor(sha, revision) if revision else False
        # SyncError repeats the failed operation, which is judged per commit below (another request's
        # failure must not mark this one's objects).
        errors = [
            c for c in st.get("conditions") or [] if c.get("type", "").endswith("Error") and c["type"] != "SyncError"
        ]
        if errors:
            health, msg = DEGRADED, f"{errors[0]['type']}: {errors[0]['message']}"
        elif not history and not compared and not applied:
            # without the repo's history, "Argo CD's revision holds this commit" cannot be decided
            health, msg = (
                (HEALTHY, "this commit's objects are Synced (ancestry unknown: the state repo is unreadable)")
                if self._objects_synced(st, files)
                else (
                    UNKNOWN,
                    f"cannot tell whether Argo CD's revision {revision[:8] if revision else '?'} holds commit "
                    f"{sha[:8]}: the state repo is unreadable",
                )
            )
        elif not compared:
            health, msg = (
                PROGRESSING,
                f"written, not yet seen by Argo CD (it compared {revision[:8] if revision else 'nothing yet'})",
            )
        elif sync_failed(op) and sync.get("status") != "Synced" and self._failed_here(op, files):
            health, msg = DEGRADED, f"sync failed: {operation_message(op)}"
        elif applied or sync.get("status") == "Synced":  # applied first: the fleet's rows need not read the status
            health, msg = HEALTHY, f"synced at {str(synced_rev or revision)[:8]}"
        elif self._objects_synced(st, files):
            health, msg = (
                HEALTHY,
                f"this commit's objects are Synced (the app is {sync.get('status')} because of others)",
            )
        elif not automated:
            health, msg = (
                DEGRADED,
                f"OutOfSync at {str(revision)[:8]}: automated sync is off, nothing applies this commit",
            )
        else:
            health, msg = PROGRESSING, f"{sync.get('status', 'Unknown')} at {revision[:8] if revision else '?'}"
        since = self.ts(op.get("finishedAt") or st.get("reconciledAt"))
        if errors and errors[0].get("lastTransitionTime"):
            since = self.ts(errors[0]["lastTransitionTime"])  # since the condition appeared, not the last refresh
        elif health != HEALTHY and not applied and written is not None and (since is None or written > since):
            since = written  # waiting on this commit: since it was written, not since the last sync
        node = _sync_node(app, health, msg, since, commit=sha, automated=automated, files=sorted(files))
        dest_ns = ((app.get("spec") or {}).get("destination") or {}).get("namespace")
        for fpath in sorted(files):
            try:
                docs = files.documents(fpath)
            except (YamlError, UnicodeDecodeError) as e:
                node.children.append(TraceNode("File", fpath, None, "object", DEGRADED, f"not YAML: {e}"))
                continue
            for d in docs:
                if isinstance(d.data, dict) and d.data.get("kind"):
                    node.children.append(self.live(d.data, fpath, dest_ns, depth))
        return node

    def _objects_synced(self, status: dict[str, Any], files: CommitManifests) -> bool:
        state = {(r.get("kind"), r.get("name")): r.get("status") for r in status.get("resources") or []}
        wanted = self._objects_of(files)
        return bool(wanted) and all(state.get(k) == "Synced" for k in wanted)

    def _objects_of(self, files: CommitManifests) -> list[tuple[Any, Any]]:
        out = []
        for fpath in files:
            try:
                docs = files.documents(fpath)
            except (YamlError, UnicodeDecodeError):
                continue
            out += [
                (d.data.get("kind"), (d.data.get("metadata") or {}).get("name"))
                for d in docs
                if isinstance(d.data, dict)
            ]
        return out

    def _failed_here(self, op: dict[str, Any], files: CommitManifests) -> bool:
        """Did the failed sync fail on an object of these files (not on someone else's)?"""
        failed = {
            (r.get("kind"), r.get("name"))
            for r in (op.get("syncResult") or {}).get("resources") or []
            if r.get("status") == "SyncFailed"
        }
        for fpath in files:
            try:
                docs = files.documents(fpath)
            except (YamlError, UnicodeDecodeError):
                continue
            if any(
                isinstance(d.data, dict) and (d.data.get("kind"), (d.data.get("metadata") or {}).get("name")) in failed
                for d in docs
            ):
                return True
        return False

    def live(self, desired: dict[str, Any], fpath: str, dest_ns: str | None, depth: int) -> TraceNode:
        gvk = GVK.of(desired)
        meta = desired.get("metadata") or {}
        ns = meta.get("namespace") or (dest_ns if desired.get("kind") not in ("Namespace",) else None)
        promise = self._kinds.get((gvk.group, gvk.kind))
        if promise is not None:
            rk = RequestKind(gvk.kind, gvk.group, promise)
            if depth < self.max_depth:
                sub = self.request(rk, meta.get("name", ""), ns, depth + 1)
                sub.evidence["file"] = fpath
                return sub
        try:
            live = self.s.get(gvk.kind, meta.get("name", ""), ns if ns else None, gvk.group)
            if live is None and ns:
                live = self.s.get(gvk.kind, meta.get("name", ""), None, gvk.group)
        except UNREADABLE as e:
            node = unreadable(gvk.kind, meta.get("name", ""), ns, "object", e)
            node.evidence.update({"file": fpath, "apiVersion": desired.get("apiVersion")})
            return node
        h = assess(live)
        health = h.status if h else HEALTHY
        message = h.message if h and h.message else ("present" if live else "not in the cluster")
        node = TraceNode(
            gvk.kind,
            meta.get("name", ""),
            namespace_of(live) if live else ns,
            "object",
            health,
            message,
            # not Healthy: since its trouble began; else since it exists
            self.problem_since(live)
            if health != HEALTHY
            else self.ts((live or {}).get("metadata", {}).get("creationTimestamp")),
            {"file": fpath, "apiVersion": desired.get("apiVersion")},
        )
        if (
            live is not None
            and gvk.kind == "Application"
            and (((live.get("spec") or {}).get("source") or {}).get("chart"))
        ):
            node.children.append(self.helm(live))
        return node


def _norm(url: str) -> str:
    return url.rstrip("/").removesuffix(".git")


def apps_of_repo(url: str) -> PerObject:
    """The Applications in argocd whose source is the git repo ``url`` (normalized: ``_norm``), as (name, path
    without its slashes), in (namespace, name) order: what ``GitopsStretch.syncing_app`` looks for (a derived
    value; ``PerObject``: after a change only the Applications that changed are read again)."""
    return PerObject("Application", "argocd", ARGO, partial(_of_repo, url), (url,))  # (its repoURL holds ``url``)


def _holds(app_path: str, path: str) -> bool:
    """Whether an Application whose source path is ``app_path`` (none: the whole repo) syncs ``path``."""
    return not app_path or path == app_path or path.startswith(app_path + "/")


def _of_repo(url: str, app: dict[str, Any]) -> tuple[str, str] | None:
    src = (app.get("spec") or {}).get("source") or {}
    if _norm(src.get("repoURL", "")) != url:
        return None
    return (str(app["metadata"]["name"]), (src.get("path") or "").strip("/"))


def _sync_node(
    app: dict[str, Any], health: str, message: str, since: int | None, *, commit: Any, automated: bool, **evidence: Any
) -> TraceNode:
    """An Argo CD Application at the sync stage, with what it says of its sync, the commit the node is about and
    whether auto-sync is on (``evidence`` adds the files, or the git entry)."""
    st = app.get("status") or {}
    sync = st.get("sync") or {}
    return TraceNode(
        "Application",
        app["metadata"]["name"],
        namespace_of(app),
        "sync",
        health,
        message,
        since,
        {
            "sync": sync.get("status"),
            "revision": sync.get("revision"),
            "syncedRevision": ((st.get("operationState") or {}).get("syncResult") or {}).get("revision"),
            "commit": commit,
            "automated": automated,
            "health": (st.get("health") or {}).get("status"),
            "conditions": st.get("conditions", []),
            **evidence,
        },
    )


def declared_requests(apps: list[dict[str, Any]], rk: RequestKind) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every request of this kind an Argo CD Application lists from its source (git), with the Application.

    ``status.resources`` holds every object of the source whether or not it is live (argo-cd
    controller/state.go ``CompareAppState``), plus live objects no longer in git marked ``requiresPruning``
    (controller/sync.go): those are not in git, so they are left out."""
    out = []
    for app in apps:
        for entry in (app.get("status") or {}).get("resources") or []:
            if (
                entry.get("kind") == rk.kind
                and (entry.get("group") or "") == rk.group
                and not entry.get("requiresPruning")
            ):
                out.append((app, entry))
    return out
