"""Trace a request along the whole road, through any Source.

``Request → pipeline runs (logs) → Works → WorkPlacements (destination) → the state-repo commit
and its files → the Argo CD Application that syncs them (its revision against that commit) → the
live objects → sub-requests (recursively) → the Helm source and what it rendered → workloads → pods``.

Every node has one health vocabulary (Healthy, Progressing, Degraded, Missing, Suspended,
Unknown), the full message, since when, and evidence (paths, SHAs, conditions, log lines).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kratix_lab.errors import Forbidden, UnknownKind, UsageError
from kratix_lab.kube.health import (
    DEGRADED,
    HEALTHY,
    MISSING,
    PROGRESSING,
    SUSPENDED,
    UNKNOWN,
    assess,
    operation_message,
    sync_failed,
    worst,
)
from kratix_lab.model import GVK, YamlError, get_condition, load_documents, namespace_of
from kratix_lab.pipeline.contract import placement_dir, state_store_base
from kratix_lab.pipeline.pod import failed_container, user_containers
from kratix_lab.sources import Source
from kratix_lab.words import plural

KRATIX = "platform.kratix.io"
ARGO = "argoproj.io"
STAGES = ("request", "pipeline", "work", "placement", "commit", "sync", "object", "helm", "workload", "pod")
STAGE_TITLES = {
    "request": "request",
    "pipeline": "pipeline run",
    "work": "Work",
    "placement": "WorkPlacement",
    "commit": "state-repo commit",
    "sync": "Argo CD sync",
    "object": "live object",
    "helm": "Helm release (Argo CD)",
    "workload": "workload",
    "pod": "pod",
}
HEALTHS = (HEALTHY, PROGRESSING, DEGRADED, MISSING, SUSPENDED, UNKNOWN)
# What a live source raises for a kind the identity may not read (403) or the cluster does not serve
# (404 on the kind): that node becomes Unknown with the reason, never Missing, and the trace goes on.
UNREADABLE = (Forbidden, UnknownKind)


# Condition types whose ``True`` is the trouble (every other type is in trouble when ``False``): a Job's
# ``Failed``, a Deployment's ``ReplicaFailure``, kstatus' ``Stalled``; Argo CD's ``*Error``/``*Warning``
# conditions carry no status at all — being there is the trouble.
TROUBLE_WHEN_TRUE = ("Failed", "ReplicaFailure", "Stalled")


def _in_trouble(c: dict[str, Any]) -> bool:
    ctype = str(c.get("type", ""))
    if "status" not in c:
        return ctype.endswith(("Error", "Warning"))
    return c.get("status") == ("True" if ctype in TROUBLE_WHEN_TRUE else "False")


def went_bad(obj: dict[str, Any] | None, *types: str) -> str | None:
    """When ``obj``'s trouble began, as its conditions say: the lastTransitionTime of the condition that went
    bad — of ``types`` when given, else of any — the earliest of those still bad (a problem began with its first
    symptom). None when no bad condition has a time.

    A lastTransitionTime moves only when the condition's status flips (kubernetes/apimachinery
    pkg/api/meta/conditions.go:25-68 ``SetStatusCondition``, commit eed236ce; the lab's
    ``model.objects.set_condition`` does the same), so it is when the problem began, not the last reconcile."""
    times = [
        str(c["lastTransitionTime"])
        for c in ((obj or {}).get("status") or {}).get("conditions") or []
        if isinstance(c, dict)
        and (not types or c.get("type") in types)
        and _in_trouble(c)
        and c.get("lastTransitionTime")
    ]
    return min(times) if times else None  # RFC 3339 in UTC sorts as time does


def unreadable(kind: str, name: str, namespace: str | None, stage: str, error: Exception) -> TraceNode:
    return TraceNode(kind, name, namespace, stage, UNKNOWN, str(error), evidence={"error": str(error)})


class TraceError(UsageError, LookupError):
    """The reference cannot be traced (unknown kind); the message says why."""


@dataclass
class TraceNode:
    kind: str
    name: str
    namespace: str | None
    stage: str
    health: str
    message: str = ""
    since: int | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    children: list[TraceNode] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}" if self.namespace else f"{self.kind}/{self.name}"

    def walk(self, depth: int = 0) -> Iterator[tuple[TraceNode, int]]:
        yield self, depth
        for c in self.children:
            yield from c.walk(depth + 1)

    def worst(self) -> str:
        return worst([n.health for n, _ in self.walk()])


@dataclass(frozen=True)
class RequestKind:
    kind: str
    group: str
    promise: str


def resolve(source: Source, kind: str) -> RequestKind:
    """A request kind as typed (kind, plural, singular, short name or ``plural.group``, any case) → its
    CRD kind, group and Promise, through the source's kind registry."""
    known = sorted(p.crd.kind for p in source.promises() if p.crd)
    try:
        info = source.kinds().resolve(kind)
    except UnknownKind:
        info = None
    if info is not None:
        for p in source.promises():
            if p.crd and (p.crd.group, p.crd.kind) == (info.group, info.kind):
                return RequestKind(p.crd.kind, p.crd.group, p.name)
    raise TraceError(f'no installed Promise serves kind "{kind}" (known: {", ".join(known)})')


def parse_ref(text: str) -> tuple[str, str, str | None]:
    """``KIND/NAME`` or ``KIND/NAMESPACE/NAME`` → (kind, name, namespace)."""
    parts = text.split("/")
    if len(parts) == 2 and all(parts):
        return parts[0], parts[1], None
    if len(parts) == 3 and all(parts):
        return parts[0], parts[2], parts[1]
    raise TraceError(f"{text!r}: expected KIND/NAME or KIND/NAMESPACE/NAME")


class _Tracer:
    def __init__(self, source: Source, max_depth: int):
        self.s = source
        self.max_depth = max_depth
        self._apps: list[dict[str, Any]] | None = None
        self._apps_error: Exception | None = None
        self._stores: dict[str, dict[str, Any]] | None = None
        self._kinds = {(p.crd.group, p.crd.kind): p.name for p in source.promises() if p.crd}

    # ---- helpers -----------------------------------------------------------------------

    def ts(self, text: str | None) -> int | None:
        return self.s.timestamp(text)

    def problem_since(self, obj: dict[str, Any] | None, *types: str, also: dict[str, Any] | None = None) -> int | None:
        """When the trouble of ``obj`` began — a trace node's ``since`` when it is not Healthy (issue 17 item 5):
        1. the lastTransitionTime of its condition that went bad (``went_bad``; of ``types`` when given);
        2. else that of ``also``, the object that reports it (a misplaced WorkPlacement: its Work's ``Ready``);
        3. else the first Warning event of the failure (after the object's last Normal event; an event
           aggregated with a count keeps its firstTimestamp);
        4. else the object's creation — only when nothing better exists.
        None for no object."""
        if obj is None:
            return None
        for holder in (obj, also):
            when = went_bad(holder, *types)
            if when:
                return self.ts(when)
        try:
            events = self.s.events(obj)
        except UNREADABLE:
            events = []
        last_normal = max((e.get("lastTimestamp") or "" for e in events if e.get("type") != "Warning"), default="")
        failure = [
            e.get("firstTimestamp") or e.get("lastTimestamp") or ""
            for e in events
            if e.get("type") == "Warning" and (e.get("lastTimestamp") or "") >= last_normal
        ]
        first = min((t for t in failure if t), default=None)
        return self.ts(first or obj["metadata"].get("creationTimestamp"))

    def apps(self) -> list[dict[str, Any]]:
        if self._apps is None:
            try:
                self._apps = self.s.list("Application", "argocd", group=ARGO)
            except UNREADABLE as e:
                self._apps, self._apps_error = [], e
        return self._apps

    def state_store_url(self, destination: str) -> tuple[str | None, str]:
        if self._stores is None:
            self._stores = {g["metadata"]["name"]: g for g in self.s.list("GitStateStore", group=KRATIX)}
        dest = self.s.get("Destination", destination, group=KRATIX)
        if dest is None:
            return None, ""
        gss = self._stores.get(((dest.get("spec") or {}).get("stateStoreRef") or {}).get("name", ""))
        if gss is None:
            return None, ""
        base = state_store_base((gss.get("spec") or {}).get("path", ""), dest["spec"].get("path", ""))
        return (gss.get("spec") or {}).get("url"), base

    # ---- the request -------------------------------------------------------------------

    def request(self, rk: RequestKind, name: str, namespace: str | None, depth: int) -> TraceNode:
        try:
            obj = self.s.get(rk.kind, name, namespace, rk.group)
            if obj is None and namespace is None:
                found = [o for o in self.s.list(rk.kind, group=rk.group) if o["metadata"]["name"] == name]
                obj = found[0] if len(found) == 1 else None
        except UNREADABLE as e:
            return unreadable(rk.kind, name, namespace, "request", e)
        if obj is None:
            declared = self.declared(rk, name, namespace) if depth == 0 else None
            if declared is not None:
                app, entry = declared
                node = TraceNode(
                    rk.kind,
                    name,
                    entry.get("namespace") or namespace,
                    "request",
                    MISSING,
                    f"{rk.kind} {name} is in git (Argo CD application {app['metadata']['name']} lists it "
                    f"{entry.get('status', 'Unknown')}) but not in the cluster",
                    evidence={"promise": rk.promise, "application": app["metadata"]["name"]},
                )
                node.children.append(self.applying(app, entry))
                return node
            return TraceNode(
                rk.kind,
                name,
                namespace,
                "request",
                MISSING,
                f"{rk.kind} {name} is not in the cluster: it was never applied, or the API server refused it"
                + self._platform_app_hint(name),
                evidence={"promise": rk.promise},
            )
        ns = namespace_of(obj)
        st = obj.get("status") or {}
        rec = get_condition(obj, "Reconciled") or {}
        if obj["metadata"].get("deletionTimestamp"):
            health, why = (
                PROGRESSING,
                f"being deleted (finalizers: {', '.join(obj['metadata'].get('finalizers') or [])})",
            )
        elif rec.get("status") == "True":
            health, why = HEALTHY, rec.get("message", "Reconciled")
        elif rec.get("status") == "False":
            health, why = DEGRADED, f"{rec.get('reason', '')}: {rec.get('message', '')}"
        else:
            health, why = PROGRESSING, f"{rec.get('reason', 'Pending')}: {rec.get('message', 'waiting for Kratix')}"
        message = f"{st.get('message', 'Pending')} ({why})" if st.get("message") else why
        node = TraceNode(
            rk.kind,
            name,
            ns,
            "request",
            health,
            message,
            self.ts(rec.get("lastTransitionTime") or obj["metadata"].get("creationTimestamp")),
            {
                "promise": rk.promise,
                "generation": obj["metadata"].get("generation"),
                "observedGeneration": st.get("observedGeneration"),
                "conditions": st.get("conditions", []),
                "pipelines": ((st.get("kratix") or {}).get("workflows") or {}).get("pipelines", []),
            },
        )
        node.children += self.pipeline_runs(rk, name, ns)
        try:
            works = self.s.list(
                "Work", ns, {"kratix.io/promise-name": rk.promise, "kratix.io/resource-name": name}, group=KRATIX
            )
        except UNREADABLE as e:
            node.children.append(unreadable("Work", "?", ns, "work", e))
            return node
        node.children += [self.work(w, depth) for w in works]
        return node

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

    def pipeline_runs(self, rk: RequestKind, name: str, ns: str | None) -> list[TraceNode]:
        try:
            jobs = self.s.list("Job", ns, {"kratix.io/promise-name": rk.promise, "kratix.io/resource-name": name})
        except UNREADABLE as e:
            return [unreadable("Job", "?", ns, "pipeline", e)]
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        counts: dict[tuple[str, str], int] = {}
        for j in sorted(jobs, key=lambda j: (j["metadata"].get("creationTimestamp", ""), j["metadata"]["name"])):
            labels = j["metadata"].get("labels") or {}
            key = (labels.get("kratix.io/workflow-action", ""), labels.get("kratix.io/pipeline-name", ""))
            latest[key] = j
            counts[key] = counts.get(key, 0) + 1
        nodes = []
        for key, job in latest.items():
            st = job.get("status") or {}
            if (get_condition(job, "Failed") or {}).get("status") == "True":
                health, phase = DEGRADED, "Failed"
            elif (get_condition(job, "Complete") or {}).get("status") == "True":
                health, phase = HEALTHY, "Succeeded"
            else:
                health, phase = PROGRESSING, "Running"
            container = None
            try:
                pods = self.s.list("Pod", namespace_of(job), {"job-name": job["metadata"]["name"]})
                # the failing container is an init container (a Pipeline's own containers run between
                # Kratix's reader and work-writer): its log, by name, is the one that says why
                container = next((c for p in reversed(pods) if (c := failed_container(p))), None)
                logs = "".join(self.s.logs(p, tail=10, container=container) for p in pods)
            except UNREADABLE as e:  # the phase comes from the Job; only the log tail is missing
                pods, logs = [], f"(logs unreadable: {e})\n"
            start, end = self.ts(st.get("startTime")), self.ts(st.get("completionTime"))
            images = [c.get("image") for c in user_containers(job["spec"]["template"]["spec"])]
            failed = get_condition(job, "Failed") or {}
            last_line = next((line for line in reversed(logs.splitlines()) if line.strip()), "")
            message = f"{key[0]} pipeline {key[1]}: {phase}" + (
                f" — {last_line}" if phase == "Failed" and last_line else ""
            )
            nodes.append(
                TraceNode(
                    "Job",
                    job["metadata"]["name"],
                    namespace_of(job),
                    "pipeline",
                    health,
                    message,
                    self.problem_since(job, "Failed") if health == DEGRADED else end or start,
                    {
                        "pipeline": key[1],
                        "action": key[0],
                        "phase": phase,
                        "runs": counts[key],
                        "images": images,
                        "durationSeconds": (end - start) if start is not None and end is not None else None,
                        "logTail": logs.splitlines()[-10:],
                        "failure": failed.get("message"),
                        "pods": [p["metadata"]["name"] for p in pods],
                        "container": container,
                    },
                )
            )
        return nodes

    # ---- Works and placements ----------------------------------------------------------

    def work(self, work: dict[str, Any], depth: int) -> TraceNode:
        ready = get_condition(work, "Ready") or {}
        sched = get_condition(work, "ScheduleSucceeded") or {}
        if ready.get("status") == "True":
            health, msg = HEALTHY, "every workload group scheduled to a destination (AllWorkplacementsScheduled)"
        elif ready.get("reason") in ("UnscheduledWorkloads", "Misplaced", "WorkplacementsFailing"):
            health = DEGRADED
            # ScheduleSucceeded says which groups or placements (kratix scheduler.go:100-133, work_controller.go:177-192)
            msg = f"{ready.get('reason')}: {sched.get('message') or ready.get('message') or ''}"
        elif work["metadata"].get("deletionTimestamp"):
            health, msg = PROGRESSING, "being deleted: its placements remove their files"
        else:
            health, msg = PROGRESSING, ready.get("message") or "waiting for the scheduler"
        groups = work["spec"].get("workloadGroups") or []
        node = TraceNode(
            "Work",
            work["metadata"]["name"],
            namespace_of(work),
            "work",
            health,
            f"{ready.get('reason', 'Pending')}: {msg}" if health != HEALTHY else msg,
            self.ts(ready.get("lastTransitionTime") or work["metadata"].get("creationTimestamp")),
            {
                "pipeline": (work["metadata"].get("labels") or {}).get("kratix.io/pipeline-name"),
                "groups": [
                    {
                        "id": g["id"][:5],
                        "directory": g.get("directory"),
                        "files": [w["filepath"] for w in g.get("workloads") or []],
                        "selectors": [s.get("matchLabels") for s in g.get("destinationSelectors") or []],
                    }
                    for g in groups
                ],
                "conditions": (work.get("status") or {}).get("conditions", []),
            },
        )
        try:
            wps = self.s.list(
                "WorkPlacement", namespace_of(work), {"kratix.io/work": work["metadata"]["name"]}, group=KRATIX
            )
        except UNREADABLE as e:
            node.children.append(unreadable("WorkPlacement", "?", namespace_of(work), "placement", e))
            return node
        for wp in wps:
            node.children.append(self.placement(wp, depth, work))
        return node

    def placement(self, wp: dict[str, Any], depth: int, work: dict[str, Any] | None = None) -> TraceNode:
        write = get_condition(wp, "WriteSucceeded") or {}
        version = (wp.get("status") or {}).get("versionID")
        dest = wp["spec"].get("targetDestinationName", "")
        store_error: Exception | None
        try:
            url, base = self.state_store_url(dest)
        except UNREADABLE as e:
            url, base, store_error = None, "", e
        else:
            store_error = None
        labels = wp["metadata"].get("labels") or {}
        path = placement_dir(base, wp)
        sched = get_condition(wp, "ScheduleSucceeded")
        # misplaced: the ScheduleSucceeded condition says so now (the kratix.io/misplaced label, once set, stays:
        # kratix scheduler.go:300-327, 437-457); a placement without conditions goes by the label
        if (sched or {}).get("reason") == "DestinationSelectorMismatch" or (
            sched is None and labels.get("kratix.io/misplaced") == "true"
        ):
            health, msg = (
                DEGRADED,
                f"misplaced: Destination {dest} no longer matches; Kratix does not move it and keeps writing updates there",
            )
        elif write.get("status") == "True":
            health, msg = HEALTHY, f"written to {dest} at {version[:8] if version else '?'}"
        elif write.get("status") == "False":
            health, msg = DEGRADED, f"{write.get('reason')}: {write.get('message')}"
        else:
            health, msg = PROGRESSING, f"waiting to be written to {dest}"
        if labels.get("kratix.io/misplaced") == "true":
            # since it stopped matching, not since it was written: upstream marks the WorkPlacement
            # ScheduleSucceeded=False (and Ready=False Misplaced) and the Work Ready=False Misplaced (kratix
            # internal/controller/scheduler.go:116-133, 436-451); a label alone has no time
            misplaced_work = work if (get_condition(work or {}, "Ready") or {}).get("reason") == "Misplaced" else None
            since = self.problem_since(wp, "ScheduleSucceeded", "Ready", also=misplaced_work)
        else:
            since = self.ts(write.get("lastTransitionTime") or wp["metadata"].get("creationTimestamp"))
        node = TraceNode(
            "WorkPlacement",
            wp["metadata"]["name"],
            namespace_of(wp),
            "placement",
            health,
            msg,
            since,
            {"destination": dest, "versionID": version, "path": path, "stateRepo": url},
        )
        if version and store_error is not None:
            node.children.append(unreadable("Commit", version[:12], None, "commit", store_error))
        elif version:
            node.children.append(self.commit(version, path, url, depth, wp))
        return node

    # ---- git and Argo CD ---------------------------------------------------------------

    def commit(self, sha: str, path: str, url: str | None, depth: int, wp: dict[str, Any] | None = None) -> TraceNode:
        info = self.s.state_commit(sha)
        files = self.s.state_files(path, sha)
        # A source that cannot read the state repo (live mode: no access, a BucketStateStore) says why;
        # the files then come from the WorkPlacement itself and the commit is Unknown, never Missing.
        repo_error = getattr(self.s, "state_repo_error", None)
        repo_unreadable = repo_error(url) if info is None and repo_error is not None else None
        if repo_unreadable and wp is not None:
            files = placement_files(wp, path)
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
        for app in self.apps():
            src = (app.get("spec") or {}).get("source") or {}
            app_path = (src.get("path") or "").strip("/")
            same_repo = bool(url) and _norm(src.get("repoURL", "")) == _norm(url or "")
            if same_repo and (not app_path or path == app_path or path.startswith(app_path + "/")):
                return app
        return None

    def sync(
        self,
        app: dict[str, Any],
        sha: str,
        files: dict[str, bytes],
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
                docs = load_documents(files[fpath].decode("utf-8"), fpath)
            except (YamlError, UnicodeDecodeError) as e:
                node.children.append(TraceNode("File", fpath, None, "object", DEGRADED, f"not YAML: {e}"))
                continue
            for d in docs:
                if isinstance(d.data, dict) and d.data.get("kind"):
                    node.children.append(self.live(d.data, fpath, dest_ns, depth))
        return node

    def _objects_synced(self, status: dict[str, Any], files: dict[str, bytes]) -> bool:
        state = {(r.get("kind"), r.get("name")): r.get("status") for r in status.get("resources") or []}
        wanted = self._objects_of(files)
        return bool(wanted) and all(state.get(k) == "Synced" for k in wanted)

    def _objects_of(self, files: dict[str, bytes]) -> list[tuple[Any, Any]]:
        out = []
        for fpath, content in files.items():
            try:
                docs = load_documents(content.decode("utf-8"), fpath)
            except (YamlError, UnicodeDecodeError):
                continue
            out += [
                (d.data.get("kind"), (d.data.get("metadata") or {}).get("name"))
                for d in docs
                if isinstance(d.data, dict)
            ]
        return out

    def _failed_here(self, op: dict[str, Any], files: dict[str, bytes]) -> bool:
        """Did the failed sync fail on an object of these files (not on someone else's)?"""
        failed = {
            (r.get("kind"), r.get("name"))
            for r in (op.get("syncResult") or {}).get("resources") or []
            if r.get("status") == "SyncFailed"
        }
        for fpath, content in files.items():
            try:
                docs = load_documents(content.decode("utf-8"), fpath)
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

    # ---- Helm, workloads, pods ---------------------------------------------------------

    def helm(self, app: dict[str, Any]) -> TraceNode:
        src = app["spec"]["source"]
        helm = src.get("helm") or {}
        st = app.get("status") or {}
        dest_ns = (app["spec"].get("destination") or {}).get("namespace")
        errors = [c for c in st.get("conditions") or [] if c.get("type", "").endswith("Error")]
        health = (st.get("health") or {}).get("status", UNKNOWN)
        msg = (
            errors[0]["message"]
            if errors
            else (
                f"chart {src['chart']} {src.get('targetRevision')} from {src.get('repoURL')}: {(st.get('sync') or {}).get('status', 'Unknown')}, "
                f"{health}"
                + (f" ({(st.get('health') or {}).get('message')})" if (st.get("health") or {}).get("message") else "")
            )
        )
        node = TraceNode(
            "HelmRelease",
            helm.get("releaseName") or app["metadata"]["name"],
            dest_ns,
            "helm",
            DEGRADED if errors else health,
            msg,
            # an error: since the condition appeared, not since the last sync
            self.ts(errors[0].get("lastTransitionTime"))
            if errors and errors[0].get("lastTransitionTime")
            else self.ts(((st.get("operationState") or {}).get("finishedAt")) or st.get("reconciledAt")),
            {
                "chart": src["chart"],
                "version": src.get("targetRevision"),
                "repoURL": src.get("repoURL"),
                "releaseName": helm.get("releaseName") or app["metadata"]["name"],
                "values": helm.get("valuesObject") or {},
                "rendered": [f"{r['kind']}/{r['name']}" for r in st.get("resources") or []],
                "notes": (st.get("summary") or {}).get("notes", []),
                "modelled": True,
            },
        )
        for r in st.get("resources") or []:
            if r["kind"] in ("StatefulSet", "Deployment", "DaemonSet"):
                node.children.append(self.workload(r["kind"], r["name"], r.get("namespace") or dest_ns))
        try:
            extras = self.s.list("Deployment", dest_ns, {"vcluster.loft.sh/managed-by": node.name}, group="apps")
        except UNREADABLE as e:
            node.children.append(unreadable("Deployment", "?", dest_ns, "workload", e))
            return node
        for extra in extras:
            node.children.append(self.workload("Deployment", extra["metadata"]["name"], dest_ns))
        if node.health != HEALTHY and not errors:
            # Argo CD times the app's health (appcontroller.go:2437-2450: it moves only when the status
            # changes); else the trouble of what it rendered; not the last sync
            when = self.ts((st.get("health") or {}).get("lastTransitionTime"))
            node.since = when if when is not None else _trouble_below(node, node.since)
        return node

    def workload(self, kind: str, name: str, ns: str | None) -> TraceNode:
        try:
            obj = self.s.get(kind, name, ns, "apps")
        except UNREADABLE as e:
            return unreadable(kind, name, ns, "workload", e)
        h = assess(obj)
        spec, st = (obj or {}).get("spec") or {}, (obj or {}).get("status") or {}
        node = TraceNode(
            kind,
            name,
            ns,
            "workload",
            h.status if h else UNKNOWN,
            (h.message if h and h.message else f"{st.get('readyReplicas', 0)}/{spec.get('replicas', 1)} ready"),
            self.ts((obj or {}).get("metadata", {}).get("creationTimestamp")),
            {"replicas": spec.get("replicas"), "readyReplicas": st.get("readyReplicas", 0)},
        )
        selector = (spec.get("selector") or {}).get("matchLabels") or {}
        if obj is not None and selector:
            try:
                pods = self.s.list("Pod", ns, selector)
            except UNREADABLE as e:
                node.children.append(unreadable("Pod", "?", ns, "pod", e))
                return node
            for pod in pods:
                node.children.append(self.pod(pod))
        if obj is not None and node.health != HEALTHY:
            # its own condition that went bad (a Deployment's Available=False); else, having none (a StatefulSet),
            # since its pods' trouble began; else its first Warning event, else its creation
            own = went_bad(obj)
            below = _trouble_below(node, None)
            node.since = self.ts(own) if own else below if below is not None else self.problem_since(obj)
        return node

    def pod(self, pod: dict[str, Any]) -> TraceNode:
        h = assess(pod)
        st = pod.get("status") or {}
        restarts = sum(c.get("restartCount", 0) for c in st.get("containerStatuses") or [])
        ready = get_condition(pod, "Ready") or {}
        last = [
            ((c.get("lastState") or {}).get("terminated") or {}).get("reason")
            for c in st.get("containerStatuses") or []
            if (c.get("lastState") or {}).get("terminated")
        ]
        return TraceNode(
            "Pod",
            pod["metadata"]["name"],
            namespace_of(pod),
            "pod",
            h.status if h else UNKNOWN,
            (h.message if h and h.message else st.get("phase", "Pending"))
            + (f" (restarts: {restarts})" if restarts else ""),
            self.ts(ready.get("lastTransitionTime") or st.get("startTime")),
            {"phase": st.get("phase"), "restarts": restarts, "lastTermination": last, "podIP": st.get("podIP")},
        )


def _trouble_below(node: TraceNode, otherwise: int | None) -> int | None:
    """When the trouble of ``node``'s children began (the earliest ``since`` of those not Healthy), else
    ``otherwise``: the time of a node whose own status has none (a StatefulSet without conditions, whose pod
    crashes)."""
    times = [c.since for c in node.children if c.health != HEALTHY and c.since is not None]
    return min(times) if times else otherwise


def placement_files(wp: dict[str, Any], path: str) -> dict[str, bytes]:
    """The files a WorkPlacement holds (``spec.workloads[].content``, gzip then base64:
    ``kratix api/v1alpha1/work_types.go`` Workload, ``lib/compression/compression.go``) by repo path."""
    import base64
    import binascii
    import gzip

    out = {}
    for w in (wp.get("spec") or {}).get("workloads") or []:
        try:
            content = gzip.decompress(base64.b64decode(w.get("content") or ""))
        except (binascii.Error, OSError, EOFError):
            content = (w.get("content") or "").encode()  # not compressed: as written
        out[f"{path}/{w.get('filepath', '')}".replace("//", "/")] = content
    return out


def _norm(url: str) -> str:
    return url.rstrip("/").removesuffix(".git")


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


def trace(source: Source, kind: str, name: str, namespace: str | None = None, *, max_depth: int = 3) -> TraceNode:
    """The road of one request, as a tree of TraceNodes (sub-requests traced up to ``max_depth``)."""
    rk = resolve(source, kind)
    return _Tracer(source, max_depth).request(rk, name, namespace, 0)
