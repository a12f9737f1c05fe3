"""The Kratix controller: Promises, resource requests, their workflows (as Jobs) and Works.

Follows upstream Kratix (see docs/kratix-semantics.md): finalizers, one pipeline Job at a time,
status and conditions (``Pending`` → ``Resource requested``, ``ConfigureWorkflowCompleted``,
``WorksSucceeded``, ``Reconciled``), a failed pipeline leaves the previous Work in place (and is retried
after the reconciliation interval), workflow-control suspends, and a deleted request runs its delete
pipeline (once; again only when asked), then its Works are deleted (which removes their files).
Each behaviour and its upstream line: docs/upstream.md.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
from typing import Any

from kratix_lab.kube.times import parse_time, rfc3339
from kratix_lab.model import MODELLED_ANNOTATION, clone, get_condition, set_condition
from kratix_lab.pipeline.contract import WorkloadGroup, merge_status, pipeline_env
from kratix_lab.pipeline.pod import (
    KRATIX_CONTAINERS,
    container_status,
    pipeline_volumes,
    reader_container,
    spec_hash,
    status_writer_container,
    user_container,
    work_writer_container,
)
from kratix_lab.pipeline.runner import PipelineRun, run_pipeline, workflow_pipelines
from kratix_lab.platform.controller import Concluded, Context, Reader
from kratix_lab.platform.store import Conflict, NotFound
from kratix_lab.promise import Promise

KRATIX_GROUP = "platform.kratix.io"
KRATIX_API = f"{KRATIX_GROUP}/v1alpha1"
SYSTEM_NAMESPACE = "kratix-platform-system"
MANUAL_RECONCILE = "kratix.io/manual-reconciliation"  # lib/resourceutil/util.go:29
RUN_FROM_START = "internal.workflows.kratix.io/run-from-start"  # lib/resourceutil/util.go:30
WORKFLOW_SUSPENDED = "kratix.io/workflow-suspended"  # api/v1alpha1/promise_types.go:50
# How often Kratix re-runs a request's configure workflow, also after a failure (reconcileAfterFailure,
# default true): internal/controller/shared.go:35, cmd/main.go:639-644.
RECONCILIATION_INTERVAL = 10 * 3600
RECONCILE_AFTER_FAILURE = True
# The request's finalizers, in upstream's order (dynamic_resource_request_controller.go:63-64, 1793-1795;
# shared.go:28-29); all four on every request, whether or not its Promise has a delete workflow.
FINALIZER_WORKS = "kratix.io/work-cleanup"
FINALIZER_WORKFLOWS = "kratix.io/workflows-cleanup"
FINALIZER_DELETE = "kratix.io/delete-workflows"
FINALIZER_BINDING = "kratix.io/resource-binding-cleanup"
REQUEST_FINALIZERS = (FINALIZER_WORKS, FINALIZER_WORKFLOWS, FINALIZER_DELETE, FINALIZER_BINDING)
PROMISE_NAME_LABEL = "kratix.io/promise-name"  # api/v1alpha1 PromiseNameLabel
WORK_FINALIZER = "kratix.io/work-cleanup"  # internal/controller/work_controller.go:50, 116-125


def compress(content: bytes) -> str:
    """Work content as Kratix stores it: gzip, then base64 (mtime 0: deterministic)."""
    return base64.b64encode(gzip.compress(content, mtime=0)).decode()


def decompress(content: str) -> bytes:
    return gzip.decompress(base64.b64decode(content))


_MAX_NAME_LENGTH = 63 - 1 - 5  # upstream maxNameLength: a 5-character id plus the separator


def generate_object_name(name: str, suffix: str) -> str:
    """A generated Kratix object name, as ``GenerateObjectName`` makes it.

    Upstream (syntasso/kratix ae170e2, lib/objectutil/name.go:11-19, 38-47): a name longer than
    ``maxNameLength`` (57) is cut to ``name[0:maxNameLength-1]`` (56 characters), trailing
    non-alphanumerics are dropped, then ``-`` and five characters are added (upstream: the first five of
    a UUID; the lab: a seeded suffix, so runs are deterministic). Used for pipeline Jobs
    (api/v1alpha1/pipeline_factory.go:436-446) and Works (work-creator/lib/work_creator.go:40-48, 211).
    """
    if len(suffix) != 5:
        raise ValueError(f"generate_object_name: suffix {suffix!r} must be 5 characters")
    if len(name) > _MAX_NAME_LENGTH:
        name = name[: _MAX_NAME_LENGTH - 1]
    while name and not (name[-1].isascii() and name[-1].isalnum()):
        name = name[:-1]
    return f"{name}-{suffix}"


def short_name(base: str, suffix: str, limit: int = 63) -> str:
    """``base-suffix`` cut to ``limit`` characters as Kratix does for generated names."""
    base = base[: limit - len(suffix) - 1].rstrip("-.")
    return f"{base}-{suffix}"


def _request_labels(promise: Promise, meta: dict[str, Any]) -> dict[str, str]:
    """The labels Kratix puts on what it makes for a request (its Works and pipeline Jobs)."""
    return {"kratix.io/resource-name": meta["name"], "kratix.io/promise-name": promise.name}


def _request_works(store: Any, promise: Promise, meta: dict[str, Any]) -> list[dict[str, Any]]:
    """The request's Works (read only)."""
    # not kept parsed: read while the request is handled; each round looks at Works by resourceVersion (``_works_at_start``)
    return store.list(
        "Work", meta["namespace"], _request_labels(promise, meta), group=KRATIX_GROUP, readonly=True, keep=False
    )


def _work_owner(work: dict[str, Any]) -> tuple[str, str]:
    """The request and Promise a Work is for (its ``kratix.io/resource-name`` and ``kratix.io/promise-name``)."""
    labels = work["metadata"].get("labels") or {}
    return labels.get("kratix.io/resource-name", ""), labels.get("kratix.io/promise-name", "")


def _conds(obj: dict[str, Any], now: str, *triples: tuple[str, str, str, str]) -> bool:
    changed = False
    for ctype, status, reason, message in triples:
        changed |= set_condition(obj, ctype, status, reason, message, now)
    return changed


class KratixController:
    name = "kratix"

    def __init__(self) -> None:
        self._due: dict[str, int] = {}  # request uid -> when Kratix looks at it again (interval, retryAfter)
        self._due_memo: dict[str, tuple[Any, int | None]] = {}  # uid -> (resourceVersion, interval due)
        # Requests whose Works' state was last found already in their status, by (kind, namespace, name):
        # ((request resourceVersion, Promise resourceVersion, its Works' (name, resourceVersion)), uid, interval due).
        # Such a request is not read again while those are the same and its interval is not due (``_still_settled``).
        self._settled: dict[tuple[str, str, str], tuple[tuple[Any, ...], str, int | None]] = {}
        self.skips_settled = True  # False: every request read and reconciled every round (the tests compare the two)
        self._works: dict[tuple[str, str, str], tuple[tuple[str, int], ...]] = {}  # see _works_at_start
        self._promise_hashes: dict[str, tuple[Any, str]] = {}  # Promise name -> (resourceVersion, spec md5)
        self._work_owners = Concluded("Work", KRATIX_GROUP, _work_owner)  # each Work's (request, Promise)

    # ---- round -------------------------------------------------------------------------------

    def reconcile(self, ctx: Context) -> int:
        self._due = {}
        writes = self._promises(ctx)
        self._works = self._works_at_start(ctx)
        for promise in ctx.lab.promises():
            if promise.crd is None:
                continue
            kind, group = promise.crd.kind, promise.crd.group
            if self.skips_settled:  # a request is read again only when it changed (``_still_settled``): none kept
                ctx.store.keep_none_of(kind)
            promise_rv = ctx.store.rv(KRATIX_GROUP, "Promise", None, promise.name)
            versions = ctx.store.versions(kind, group)
            due = [
                (ns, name, rv)
                for ns, name, rv in versions
                if not self._still_settled(
                    ctx, (kind, ns, name), (rv, promise_rv, self._works.get((ns, name, promise.name), ()))
                )
            ]
            for req in Reader.read_all(ctx.store, kind, group, due, len(versions)):
                try:
                    writes += self._request(ctx, promise, req)
                except Conflict:
                    writes += 1  # someone else wrote it first: look again next round
        return writes

    def _still_settled(self, ctx: Context, key: tuple[str, str, str], inputs: tuple[Any, ...]) -> bool:
        """Whether a request found settled (``_request``) still is without reading it: its resourceVersion, its
        Promise's and its Works' are those it was settled at, and its reconciliation interval is not due — the
        inputs of every decision ``_request`` makes on the way to "settled", the clock apart. Its interval is
        noted for ``next_periodic`` as ``_request`` notes it."""
        settled = self._settled.get(key)
        if not self.skips_settled or settled is None or settled[0] != inputs:
            return False
        uid, due = settled[1], settled[2]
        if due is not None:
            if ctx.store.now_seconds() > due:
                return False  # the interval has passed: ``_request`` forces a run
            self._due[uid] = due
        return True

    def next_due(self, ctx: Context) -> int | None:
        return None

    def next_periodic(self, ctx: Context) -> int | None:
        """When a request's workflow runs again on its own: the reconciliation interval (after a success
        or a failure) or a pipeline's ``retryAfter`` (run_for waits for them; settle does not)."""
        return min(self._due.values(), default=None)

    def _works_at_start(self, ctx: Context) -> dict[tuple[str, str, str], tuple[tuple[str, int], ...]]:
        """Every request's Works as ``((name, resourceVersion), …)`` by (namespace, request, Promise),
        as this round starts. Within the round a request's Works change only while that request is
        handled (its pipeline writes them, its deletion deletes them), and each request is handled
        once, so this is current for every request when it is reached. A Work's labels are read again only
        when its resourceVersion changed (``_work_owners``)."""
        out: dict[tuple[str, str, str], list[tuple[str, int]]] = {}
        for seen in self._work_owners.each(ctx.store):
            out.setdefault((seen.namespace, *seen.conclusion), []).append((seen.name, seen.rv))
        return {k: tuple(v) for k, v in out.items()}

    # ---- Promises ------------------------------------------------------------------------------

    def _promises(self, ctx: Context) -> int:
        writes = 0
        store, now = ctx.store, ctx.store.now()
        promises = {p["metadata"]["name"]: p for p in store.list("Promise", group=KRATIX_GROUP, readonly=True)}
        for _name, obj in promises.items():
            if obj["metadata"].get("deletionTimestamp"):
                continue
            missing = [
                r["name"]
                for r in (obj.get("spec") or {}).get("requiredPromises") or []
                if (promises.get(r["name"], {}).get("status") or {}).get("status") != "Available"
                and r["name"] not in promises
            ]
            new = clone(obj)
            st = new.setdefault("status", {})
            if missing:
                st["status"] = "Unavailable"
                changed = _conds(
                    new,
                    now,
                    (
                        "RequirementsFulfilled",
                        "False",
                        "RequirementsNotInstalled",
                        f"Required Promises not installed: {', '.join(missing)}",
                    ),
                    ("Available", "False", "PromiseUnavailable", "Promise is unavailable: requirements not fulfilled"),
                )
            else:
                st["status"] = "Available"
                changed = _conds(
                    new,
                    now,
                    ("RequirementsFulfilled", "True", "RequirementsInstalled", "Requirements fulfilled"),
                    ("Available", "True", "PromiseAvailable", "Ready to fulfil resource requests"),
                )
            for k in ("workflows", "workflowsSucceeded", "workflowsFailed"):
                st.setdefault(k, 0)
            generation = obj["metadata"].get("generation", 1)
            if st.get("observedGeneration") not in (None, generation):
                writes += self._rerun_requests(ctx, obj)  # a changed Promise re-runs every request
            st["observedGeneration"] = generation
            if changed or new["status"] != obj.get("status"):
                store.update_status(new, readonly=True)
                writes += 1
        return writes

    def _rerun_requests(self, ctx: Context, promise_obj: dict[str, Any]) -> int:
        """A changed Promise re-runs every request's workflow from the start: Kratix labels each
        ``internal.workflows.kratix.io/run-from-start=true`` (promise_controller.go:683, 1163-1185), not
        with the user's manual-reconciliation label; the workflow removes it when it starts
        (lib/workflow/reconciler.go:681-685)."""
        promise = Promise.from_dict(promise_obj)
        if promise.crd is None:
            return 0
        n = 0
        for req in ctx.store.list(promise.crd.kind, group=promise.crd.group):
            if req["metadata"].get("deletionTimestamp"):
                continue
            req["metadata"].setdefault("labels", {})[RUN_FROM_START] = "true"
            ctx.store.update(req)
            n += 1
        return n

    # ---- requests ------------------------------------------------------------------------------

    def _request(self, ctx: Context, promise: Promise, req: dict[str, Any]) -> int:
        store = ctx.store
        meta = req["metadata"]
        if meta.get("deletionTimestamp"):
            return self._delete(ctx, promise, req)
        if (meta.get("labels") or {}).get(PROMISE_NAME_LABEL) != promise.name:
            return self._set_promise_label(ctx, promise, req)
        promise_obj = store.get("Promise", promise.name, group=KRATIX_GROUP, readonly=True) or {}
        available = get_condition(promise_obj, "Available")
        if available is not None and available.get("status") == "False":
            return self._write_status(ctx, req, lambda new: self._promise_unavailable(ctx, new))
        if (get_condition(req, "PromiseAvailable") or {}).get("status") == "False":
            return self._write_status(ctx, req, lambda new: self._promise_available(ctx, new))
        if not set(REQUEST_FINALIZERS) <= set(meta.get("finalizers") or []):
            new = clone(req)
            new["metadata"]["finalizers"] = list(dict.fromkeys([*(meta.get("finalizers") or []), *REQUEST_FINALIZERS]))
            store.update(new)
            return 1
        wf = ((req.get("status") or {}).get("kratix") or {}).get("workflows") or {}
        phases = [p.get("phase") for p in wf.get("pipelines") or []]
        running = phases.index("Running") if "Running" in phases else None
        labels = meta.get("labels") or {}
        manual = labels.get(MANUAL_RECONCILE) == "true" or labels.get(RUN_FROM_START) == "true"
        generation_changed = (req.get("status") or {}).get("observedGeneration") != meta.get("generation")
        if not manual and not generation_changed and labels.get(RUN_FROM_START) != "true":
            due = self._interval_due(req)
            if due is not None and ctx.store.now_seconds() > due:
                return self._force_rerun(ctx, req)
            if due is not None:
                self._due[meta["uid"]] = due
        if (generation_changed or manual) and (running is None or generation_changed):
            return self._start_workflow(ctx, promise, req, manual)
        if labels.get(WORKFLOW_SUSPENDED) == "true":
            return self._suspended(ctx, req, wf)
        if "Suspended" in phases and running is None:
            return self._resume(ctx, req, phases.index("Suspended"))
        if running is not None:
            return self._run_next(ctx, promise, req, running)
        # Settled: its status follows from itself, its Promise and its Works; unchanged, skip it.
        promise_rv = (promise_obj.get("metadata") or {}).get("resourceVersion")
        inputs = (
            int(meta["resourceVersion"]),
            None if promise_rv is None else int(promise_rv),
            self._works.get((meta["namespace"], meta["name"], promise.name), ()),
        )
        key = (req["kind"], meta["namespace"], meta["name"])
        settled = self._settled.get(key)
        if settled is not None and settled[0] == inputs and settled[1] == meta["uid"]:
            return 0
        writes = self._write_status(ctx, req, lambda new: self._works_conditions(ctx, promise, new))
        if not writes:
            self._settled[key] = (inputs, meta["uid"], self._interval_due(req))
        return writes

    def _set_promise_label(self, ctx: Context, promise: Promise, req: dict[str, Any]) -> int:
        """Label the request ``kratix.io/promise-name=<its Promise>``, overwriting any other value, and
        end this reconcile (the update triggers the next one).

        Upstream: internal/controller/dynamic_resource_request_controller.go:159-165 (the check, before
        finalizers and workflows) and :1783-1791 (``setPromiseLabels``). Kratix owns this key: a request
        whose source (e.g. a git file Argo CD self-heals) sets another value flaps between the two
        writers; ``diagnose`` reports that as ``promise-label-flap``."""
        new = clone(req)
        new["metadata"].setdefault("labels", {})[PROMISE_NAME_LABEL] = promise.name
        ctx.store.update(new)
        return 1

    def _interval_due(self, req: dict[str, Any]) -> int | None:
        """When Kratix re-runs the configure workflow on its own: the reconciliation interval after the
        ``ConfigureWorkflowCompleted`` condition last changed, if it is True, or False with
        ``ConfigureWorkflowFailed`` (reconcileAfterFailure); never while a run is in progress.
        Upstream: dynamic_resource_request_controller.go:221-230, 1454-1458, 1472-1500, 1775-1781."""
        uid, rv = req["metadata"]["uid"], req["metadata"]["resourceVersion"]
        memo = self._due_memo.get(uid)
        if memo is not None and memo[0] == rv:
            return memo[1]
        cond = get_condition(req, "ConfigureWorkflowCompleted")
        due = None
        if cond is not None and cond.get("lastTransitionTime"):
            failed = cond.get("status") == "False" and cond.get("reason") == "ConfigureWorkflowFailed"
            if cond.get("status") == "True" or (RECONCILE_AFTER_FAILURE and failed):
                due = parse_time(cond["lastTransitionTime"]) + RECONCILIATION_INTERVAL
        self._due_memo[uid] = (rv, due)
        return due

    def _force_rerun(self, ctx: Context, req: dict[str, Any]) -> int:
        """The interval has passed: Kratix sets the manual-reconciliation label, and the next reconcile runs
        the workflow (dynamic_resource_request_controller.go:1472-1500)."""
        new = clone(req)
        new["metadata"].setdefault("labels", {})[MANUAL_RECONCILE] = "true"
        ctx.store.update(new)
        return 1

    def _suspended(self, ctx: Context, req: dict[str, Any], wf: dict[str, Any]) -> int:
        """A workflow a pipeline suspended (``kratix.io/workflow-suspended=true``): nothing runs; with a
        ``nextRetryAt`` that has passed, the label is removed and the suspended pipeline runs again
        (dynamic_resource_request_controller.go:760-820, 1825-1838). A manual reconcile or a spec change
        runs the workflow from the start (handled before this)."""
        retry_at = next(
            (
                parse_time(p["nextRetryAt"])
                for p in wf.get("pipelines") or []
                if p.get("phase") == "Suspended" and p.get("nextRetryAt")
            ),
            None,
        )
        if retry_at is None:
            return 0
        if ctx.store.now_seconds() > retry_at:
            new = clone(req)
            new["metadata"]["labels"].pop(WORKFLOW_SUSPENDED, None)
            ctx.store.update(new)
            return 1
        self._due[req["metadata"]["uid"]] = retry_at + 1
        return 0

    def _resume(self, ctx: Context, req: dict[str, Any], index: int) -> int:
        """The suspension was lifted (label removed): the suspended pipeline runs again, not the ones before
        it (lib/workflow/reconciler.go:243-253, 279-283, 398-407); its message goes, its attempts and
        nextRetryAt stay (lib/resourceutil/util.go:394-433)."""
        now = ctx.store.now()

        def mutate(new: dict[str, Any]) -> None:
            p = new["status"]["kratix"]["workflows"]["pipelines"][index]
            p.pop("message", None)
            p.update(phase="Running", lastTransitionTime=now)
            new["status"]["message"] = "Pending"
            _conds(
                new,
                now,
                ("ConfigureWorkflowCompleted", "False", "PipelinesInProgress", "Pipelines are still in progress"),
                ("Reconciled", "Unknown", "WorkflowPending", "Pending"),
            )

        return self._write_status(ctx, req, mutate)

    def _promise_unavailable(self, ctx: Context, new: dict[str, Any]) -> None:
        """A Promise that cannot fulfil requests (its ``Available`` condition False): the request's message
        becomes ``Pending`` and ``PromiseAvailable=False`` (reason ``PromiseRequirementsNotInstalled``); no
        finalizers, no workflow (dynamic_resource_request_controller.go:189-191, 1505-1520;
        lib/resourceutil/util.go:32-34, 496-508). Set once: the status is not rewritten while it holds."""
        if (get_condition(new, "PromiseAvailable") or {}).get("status") == "False":
            return
        new.setdefault("status", {})["message"] = "Pending"
        _conds(
            new,
            ctx.store.now(),
            ("PromiseAvailable", "False", "PromiseRequirementsNotInstalled", "Promise Requirements are not installed"),
        )

    def _promise_available(self, ctx: Context, new: dict[str, Any]) -> None:
        """The Promise is Available again: ``PromiseAvailable=True`` (reason ``PromiseAvailable``), then the
        next reconcile goes on (dynamic_resource_request_controller.go:193-198, 1522-1529; util.go:510-520)."""
        _conds(new, ctx.store.now(), ("PromiseAvailable", "True", "PromiseAvailable", "Promise Requirements are met"))

    def _write_status(self, ctx: Context, req: dict[str, Any], mutate) -> int:
        """Write the status ``mutate`` makes, if it changed. ``mutate`` changes only ``.status``, so
        only the status is copied (``req`` may be the store's shared read-only object)."""
        new = {**req, "status": clone(req["status"])} if "status" in req else dict(req)
        mutate(new)
        if new.get("status") == req.get("status"):
            return 0
        ctx.store.update_status(new, readonly=True)
        return 1

    def _start_workflow(self, ctx: Context, promise: Promise, req: dict[str, Any], manual: bool) -> int:
        store, now = ctx.store, ctx.store.now()
        pipelines = workflow_pipelines(promise, "resource", "configure")
        labels = req["metadata"].get("labels") or {}
        if {MANUAL_RECONCILE, RUN_FROM_START, WORKFLOW_SUSPENDED} & set(labels):
            # Kratix removes the labels once it has seen them (lib/workflow/reconciler.go:676-685); a run
            # from the start also lifts a suspension (dynamic_resource_request_controller.go:768-792)
            new = clone(req)
            for key in (MANUAL_RECONCILE, RUN_FROM_START, WORKFLOW_SUSPENDED):
                new["metadata"]["labels"].pop(key, None)
            req = store.update(new)
        new = clone(req)
        st = new.setdefault("status", {})
        st["observedGeneration"] = req["metadata"]["generation"]
        # Each run starts from "Pending" (reconciler.go:726-731) with its counters reset: workflowsSucceeded
        # counts the pipelines completed in this run, workflowsFailed goes back to 0 (reconciler.go:297-333).
        st["message"] = "Pending"
        st["workflows"] = len(pipelines)
        st["workflowsSucceeded"] = 0
        st["workflowsFailed"] = 0
        wf = st.setdefault("kratix", {}).setdefault("workflows", {})
        wf["pipelines"] = [
            {"name": p["metadata"]["name"], "phase": "Running" if i == 0 else "Pending", "lastTransitionTime": now}
            for i, p in enumerate(pipelines)
        ]
        wf.pop("suspendedGeneration", None)  # ResetPipelineStatusToPending (lib/resourceutil/util.go:435-447)
        _conds(
            new,
            now,
            ("ConfigureWorkflowCompleted", "False", "PipelinesInProgress", "Pipelines are still in progress"),
            ("Reconciled", "Unknown", "WorkflowPending", "Pending"),
        )
        store.update_status(new, readonly=True)
        store.event(
            new,
            "Normal",
            "PipelineStarted",
            f"Configure Pipeline started: {pipelines[0]['metadata']['name']}"
            if pipelines
            else "No configure pipelines",
            "kratix",
        )
        if pipelines:
            self._job(ctx, promise, new, pipelines[0], "configure")
        return 1

    def _job(
        self, ctx: Context, promise: Promise, req: dict[str, Any], pipeline: dict[str, Any], action: str
    ) -> dict[str, Any]:
        """The Job (and its Pod) Kratix creates for one pipeline run, in the request's namespace.

        Shaped as upstream's ``PipelineFactory.pipelineJob`` (syntasso/kratix ae170e2,
        api/v1alpha1/pipeline_factory.go:315-406): init containers ``reader``, the Pipeline's own
        containers, then ``work-writer`` (configure only, :353-362); one container, ``status-writer``
        (:418-433). Every container carries the ``KRATIX_*`` environment (:166-197). The ServiceAccount
        is ``<promise>-resource-<action>-<pipeline>`` unless the Pipeline names one (:88-104,
        pipeline_types.go:296); restartPolicy ``OnFailure`` and the backoffLimit are the Pipeline's or
        the defaults (:340-348, pipeline_types.go:96-99). Labels :449-466 (``kratix.io/hash`` from
        :482-510), annotations :468-480."""
        store = ctx.store
        meta = req["metadata"]
        pname = pipeline["metadata"]["name"]
        pspec = pipeline.get("spec") or {}
        name = generate_object_name(f"kratix-{promise.name}-{meta['name']}-{pname}", store.suffix("job"))
        labels = {
            "kratix.io/promise-name": promise.name,
            "kratix.io/workflow-type": "resource",
            "kratix.io/workflow-action": action,
            "kratix.io/pipeline-name": pname,
            "app.kubernetes.io/managed-by": "Kratix",
            "kratix.io/resource-name": meta["name"],
            "kratix.io/hash": self._request_hash(ctx, promise, req),
            **((pipeline.get("metadata") or {}).get("labels") or {}),
        }
        crd = promise.crd
        env = [
            {"name": k, "value": v}
            for k, v in pipeline_env(
                action=action,
                workflow_type="resource",
                promise_name=promise.name,
                pipeline_name=pname,
                obj=req,
                plural=crd.plural if crd else "",
                cluster_scoped=bool(crd and crd.scope == "Cluster"),
            ).items()
        ]
        init = [reader_container(env), *(user_container(c, env) for c in pspec.get("containers") or [])]
        if action == "configure":
            init.append(work_writer_container(promise.name, pname, meta))
        sa = ((pspec.get("rbac") or {}).get("serviceAccount")) or f"{promise.name}-resource-{action}-{pname}"
        self._service_account(ctx, meta["namespace"], sa, promise.name)
        job_spec: dict[str, Any] = {
            "template": {
                "metadata": {
                    "labels": labels,
                    "annotations": dict((pipeline.get("metadata") or {}).get("annotations") or {}),
                },
                "spec": {
                    "initContainers": init,
                    "containers": [status_writer_container(env)],
                    "restartPolicy": pspec.get("restartPolicy") or "OnFailure",
                    "serviceAccountName": sa,
                    "volumes": pipeline_volumes(promise.name, action) + list(pspec.get("volumes") or []),
                },
            },
        }
        backoff = (pspec.get("jobOptions") or {}).get("backoffLimit")
        if backoff is not None:
            job_spec["backoffLimit"] = backoff
        job = store.create(
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {
                    "name": name,
                    "namespace": meta["namespace"],
                    "labels": labels,
                    "annotations": {
                        "kratix.io/job-resource-namespace": meta["namespace"],
                        "kratix.io/job-resource-name": meta["name"],
                        "kratix.io/job-resource-kind": req["kind"],
                        "kratix.io/job-resource-api-version": req["apiVersion"],
                        MODELLED_ANNOTATION: "true",
                        "kratix-lab.io/workloads": "ignore",
                    },
                    "ownerReferences": [
                        {"apiVersion": req["apiVersion"], "kind": req["kind"], "name": meta["name"], "uid": meta["uid"]}
                    ],
                },
                "spec": job_spec,
                "status": {},
            }
        )
        job = store.update_status(job | {"status": {"active": 1, "startTime": store.now()}})
        return job

    def _request_hash(self, ctx: Context, promise: Promise, req: dict[str, Any]) -> str:
        """``kratix.io/hash``: md5 of "<md5 of the Promise's spec>-<md5 of the request's spec>", each spec
        marshalled as Go's ``encoding/json`` does (lib/hash/hasher.go:11-21,
        api/v1alpha1/pipeline_factory.go:482-510). The Promise is the stored one (what Kratix reads)."""
        stored = ctx.store.get("Promise", promise.name, group=KRATIX_GROUP, readonly=True)
        pspec = (stored or promise.doc).get("spec")
        rv = ((stored or {}).get("metadata") or {}).get("resourceVersion")
        memo = self._promise_hashes.get(promise.name)
        if memo is None or memo[0] != rv or rv is None:
            memo = (rv, spec_hash(pspec))
            self._promise_hashes[promise.name] = memo
        return hashlib.md5(f"{memo[1]}-{spec_hash(req.get('spec'))}".encode()).hexdigest()

    def _service_account(self, ctx: Context, namespace: str, name: str, promise_name: str) -> None:
        """The pipeline's ServiceAccount, created once (api/v1alpha1/pipeline_factory.go:88-104; Kratix
        applies it with the Job's shared resources). Its Role/RoleBinding are not modelled."""
        if ctx.store.get("ServiceAccount", name, namespace, readonly=True) is None:
            ctx.store.create(
                {
                    "apiVersion": "v1",
                    "kind": "ServiceAccount",
                    "metadata": {
                        "name": name,
                        "namespace": namespace,
                        "labels": {PROMISE_NAME_LABEL: promise_name},
                        "annotations": {MODELLED_ANNOTATION: "true"},
                    },
                }
            )

    def _current_job(self, ctx: Context, req: dict[str, Any], pipeline_name: str, action: str) -> dict[str, Any] | None:
        jobs = ctx.store.list(
            "Job",
            req["metadata"]["namespace"],
            {
                "kratix.io/resource-name": req["metadata"]["name"],
                "kratix.io/pipeline-name": pipeline_name,
                "kratix.io/workflow-action": action,
            },
            readonly=True,
        )
        active = [j for j in jobs if (j.get("status") or {}).get("active")]
        return active[-1] if active else None

    def _finish_job(self, ctx: Context, job: dict[str, Any], run: PipelineRun) -> None:
        """Record the run on the Job and its (completed) Pod, with the container logs."""
        store, now = ctx.store, ctx.store.now()
        ok = run.phase in ("Succeeded", "Suspended")
        pod_name = short_name(job["metadata"]["name"], store.suffix("pod"))
        ns = job["metadata"]["namespace"]
        spec = job["spec"]["template"]["spec"]
        ran = {c.name: c.exit_code for c in run.containers}
        # A run that failed with no container exiting non-zero broke Kratix's output contract: the
        # Kratix container that reads the outputs (work-writer for configure, status-writer for delete) fails.
        contract_failure = run.phase == "Failed" and not any(c.exit_code for c in run.containers)
        has_writer = any(c["name"] == "work-writer" for c in spec.get("initContainers") or [])
        failing = ("work-writer" if has_writer else "status-writer") if contract_failure else None
        stopped = False
        init_statuses, statuses = [], []
        for i, c in enumerate([*(spec.get("initContainers") or []), *(spec.get("containers") or [])]):
            cname = c["name"]
            if stopped:
                code = None
            elif cname in ran and cname not in KRATIX_CONTAINERS:
                code = ran[cname]
            elif cname == failing:
                code = 1
            else:
                code = 0
            stopped = stopped or bool(code)
            entry = container_status(cname, c.get("image", ""), pod_name, code, now)
            (init_statuses if i < len(spec.get("initContainers") or []) else statuses).append(entry)
        store.create(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": pod_name,
                    "namespace": ns,
                    "labels": {**job["metadata"]["labels"], "job-name": job["metadata"]["name"]},
                    "annotations": {MODELLED_ANNOTATION: "true", "kratix-lab.io/workloads": "ignore"},
                    "ownerReferences": [
                        {
                            "apiVersion": "batch/v1",
                            "kind": "Job",
                            "name": job["metadata"]["name"],
                            "uid": job["metadata"]["uid"],
                            "controller": True,
                        }
                    ],
                },
                "spec": spec,
                "status": {
                    "phase": "Succeeded" if ok else "Failed",
                    "initContainerStatuses": init_statuses,
                    "containerStatuses": statuses,
                    "startTime": job["status"].get("startTime"),
                },
            }
        )
        for c in run.containers:
            if c.logs:
                store.write_log(ns, pod_name, c.name, c.logs if c.logs.endswith("\n") else c.logs + "\n")
        if contract_failure:
            store.write_log(ns, pod_name, failing, f"error: {run.error}\n")
        status = (
            {"startTime": job["status"].get("startTime"), "completionTime": now}
            if ok
            else {"startTime": job["status"].get("startTime"), "failed": 1}
        )
        if ok:
            status["succeeded"] = 1
        cond = (
            ("Complete", "True", "", "")
            if ok
            else ("Failed", "True", "BackoffLimitExceeded", run.error or "Job has reached the specified backoff limit")
        )
        new = clone(job)
        new["status"] = status
        set_condition(new, cond[0], cond[1], cond[2], cond[3], now)
        store.update_status(new, readonly=True)
        store.event(
            job,
            "Normal" if ok else "Warning",
            "Completed" if ok else "BackoffLimitExceeded",
            f"Job {'completed' if ok else 'failed'}: pipeline {run.name}",
            "job-controller",
        )

    def _executor(self, ctx: Context, promise: Promise):
        return ctx.lab.executor_for(promise, ctx)

    def _run_next(self, ctx: Context, promise: Promise, req: dict[str, Any], index: int) -> int:
        store, now = ctx.store, ctx.store.now()
        pipelines = workflow_pipelines(promise, "resource", "configure")
        pipeline = pipelines[index]
        pname = pipeline["metadata"]["name"]
        job = self._current_job(ctx, req, pname, "configure") or self._job(ctx, promise, req, pipeline, "configure")
        input_object = {k: v for k, v in req.items() if k != "status"} | {"status": clone(req.get("status") or {})}
        run = run_pipeline(promise, pipeline, input_object, "configure", executor=self._executor(ctx, promise))
        self._finish_job(ctx, job, run)
        new = clone(store.get(req["kind"], req["metadata"]["name"], req["metadata"]["namespace"], readonly=True) or req)
        st = new.setdefault("status", {})
        phases = st["kratix"]["workflows"]["pipelines"]
        phases[index].update(phase=run.phase, lastTransitionTime=now)
        if run.phase == "Failed":
            # Conditions and workflowsFailed=1 only; status.message is left as the run set it
            # (lib/workflow/reconciler.go:428-445, lib/resourceutil/util.go:63-72, 134-142).
            st["workflowsFailed"] = 1
            _conds(
                new,
                now,
                (
                    "ConfigureWorkflowCompleted",
                    "False",
                    "ConfigureWorkflowFailed",
                    f"A Configure Pipeline has failed: {pname}",
                ),
                ("Reconciled", "False", "ConfigureWorkflowFailed", "Failing"),
            )
            store.update_status(new, readonly=True)
            store.event(
                new,
                "Warning",
                "ConfigureWorkflowFailed",
                f"A resource/configure Pipeline has failed: {pname}",
                "kratix",
            )
            return 1
        merged = merge_status(st, run.status_update)
        merged["kratix"] = st["kratix"]
        new["status"] = merged
        if run.phase == "Suspended":
            return self._suspend(ctx, new, index, run)
        self._write_work(ctx, promise, new, pname, run.groups)
        if index + 1 < len(pipelines):
            new["status"]["workflowsSucceeded"] = index + 1  # completed in this run (reconciler.go:277-290, 318-319)
            phases[index + 1].update(phase="Running", lastTransitionTime=now)
            store.update_status(new, readonly=True)
            self._job(ctx, promise, new, pipelines[index + 1], "configure")
            return 1
        st = new["status"]
        st["workflowsSucceeded"] = len(pipelines)  # dynamic_resource_request_controller.go:1181-1201
        st["kratix"]["workflows"]["lastSuccessfulConfigureWorkflowTime"] = now
        if st.get("message") in (None, "", "Pending"):
            st["message"] = "Resource requested"
        _conds(new, now, ("ConfigureWorkflowCompleted", "True", "PipelinesExecutedSuccessfully", "Pipelines completed"))
        self._works_conditions(ctx, promise, new)
        store.update_status(new, readonly=True)
        store.event(new, "Normal", "PipelinesExecutedSuccessfully", "All Configure Pipelines completed", "kratix")
        return 1

    def _suspend(self, ctx: Context, new: dict[str, Any], index: int, run: PipelineRun) -> int:
        """``workflow-control.yaml`` asked to ``suspend`` or ``retryAfter``: no Work is created or updated
        (work-creator/lib/work_creator.go:102-112); the status-writer labels the request
        ``kratix.io/workflow-suspended=true`` and marks the pipeline ``Suspended`` with the message and, for
        a retry, ``nextRetryAt`` and ``attempts`` (work-creator/cmd/update_status.go:119-153,
        lib/status_updater.go:72-126); Reconciled is ``Unknown WorkflowSuspended`` ("Suspended",
        lib/resourceutil/util.go:164-172). Later pipelines do not run."""
        store, now = ctx.store, ctx.store.now()
        wc = run.workflow_control
        wf = new["status"]["kratix"]["workflows"]
        p = wf["pipelines"][index]
        if wc.message:
            p["message"] = wc.message
        else:
            p.pop("message", None)
        retry = wc.retry_seconds
        if retry is not None:
            p["nextRetryAt"] = rfc3339(store.now_seconds() + retry)
            p["attempts"] = int(p.get("attempts") or 0) + 1
        else:
            p.pop("nextRetryAt", None)
            p.pop("attempts", None)
        wf["suspendedGeneration"] = new["metadata"].get("generation")
        new["status"]["workflowsSucceeded"] = index
        _conds(new, now, ("Reconciled", "Unknown", "WorkflowSuspended", "Suspended"))
        current = clone(
            store.get(new["kind"], new["metadata"]["name"], new["metadata"]["namespace"], readonly=True) or new
        )
        current["metadata"].setdefault("labels", {})[WORKFLOW_SUSPENDED] = "true"
        labelled = store.update(current)
        store.update_status({**new, "metadata": labelled["metadata"]}, readonly=True)
        store.event(
            new,
            "Warning",
            "WorkflowSuspended",
            f"'{WORKFLOW_SUSPENDED}' label set to 'true' for resource request; skipping reconciliation",
            "kratix",
        )
        return 1

    # ---- Works -------------------------------------------------------------------------------

    def _write_work(
        self, ctx: Context, promise: Promise, req: dict[str, Any], pipeline_name: str, groups: list[WorkloadGroup]
    ) -> None:
        store = ctx.store
        meta = req["metadata"]
        labels = {
            "kratix.io/promise-name": promise.name,
            "kratix.io/resource-name": meta["name"],
            "kratix.io/pipeline-name": pipeline_name,
            "kratix.io/work-type": "resource",
        }
        spec = {
            "promiseName": promise.name,
            "resourceName": meta["name"],
            "workloadGroups": [
                {
                    "id": g.id,
                    "directory": g.directory,
                    "workloads": [{"filepath": w.filepath, "content": compress(w.content)} for w in g.workloads],
                    "destinationSelectors": [{"matchLabels": g.match_labels, "source": "promise"}]
                    if g.match_labels
                    else [],
                }
                for g in groups
            ],
        }
        existing = store.list("Work", meta["namespace"], labels, group=KRATIX_GROUP, readonly=True, keep=False)
        if existing:
            work = clone(existing[0])
            if work["spec"] | {"lastExecutionTimestamp": None} == spec | {"lastExecutionTimestamp": None}:
                return
            work["spec"] = {**spec, "lastExecutionTimestamp": store.now()}
            store.update(work)
            return
        store.create(
            {
                "apiVersion": KRATIX_API,
                "kind": "Work",
                "metadata": {
                    "name": generate_object_name(
                        f"{promise.name}-{meta['name']}-{pipeline_name}", store.suffix("work")
                    ),
                    "namespace": meta["namespace"],
                    "labels": labels,
                    "finalizers": [WORK_FINALIZER],
                    "ownerReferences": [
                        {"apiVersion": req["apiVersion"], "kind": req["kind"], "name": meta["name"], "uid": meta["uid"]}
                    ],
                },
                "spec": {**spec, "lastExecutionTimestamp": store.now()},
            }
        )

    def _works_conditions(self, ctx: Context, promise: Promise, new: dict[str, Any]) -> None:
        """WorksSucceeded from the Works' ``Ready`` condition *message* (``Failing``, ``Misplaced``,
        ``Pending``, ``Ready``; none or empty counts as Pending), naming the Works; then Reconciled
        (first match wins). Upstream: dynamic_resource_request_controller.go:1139-1179 (getWorksStatus),
        :828-865 (updateWorksSucceededCondition), :1021-1055 (updateReconciledCondition);
        lib/resourceutil/util.go:74-112, 124-152."""
        store, now = ctx.store, ctx.store.now()
        meta = new["metadata"]
        works = _request_works(store, promise, meta)
        by: dict[str, list[str]] = {"Failing": [], "Misplaced": [], "Pending": [], "Ready": []}
        for w in works:
            message = (get_condition(w, "Ready") or {}).get("message") or "Pending"
            by.get(message, []).append(w["metadata"]["name"])
        if by["Failing"]:
            works_cond = (
                "WorksSucceeded",
                "False",
                "WorksFailing",
                f"Some works associated with this resource failed: [{','.join(by['Failing'])}]",
            )
        elif by["Pending"]:
            works_cond = (
                "WorksSucceeded",
                "Unknown",
                "WorksPending",
                f"Some works associated with this resource are not ready: [{','.join(by['Pending'])}]",
            )
        elif by["Misplaced"]:
            works_cond = (
                "WorksSucceeded",
                "False",
                "WorksMisplaced",
                f"Some works associated with this resource are misplaced: [{','.join(by['Misplaced'])}]",
            )
        else:
            works_cond = (
                "WorksSucceeded",
                "True",
                "WorksSucceeded",
                "All works associated with this resource are ready",
            )
        configure = get_condition(new, "ConfigureWorkflowCompleted") or {}
        if configure.get("reason") == "PipelinesInProgress":
            reconciled = ("Reconciled", "Unknown", "WorkflowPending", "Pending")
        elif configure.get("status") == "False":
            reconciled = ("Reconciled", "False", "ConfigureWorkflowFailed", "Failing")
        elif works_cond[1] == "Unknown":
            reconciled = ("Reconciled", "Unknown", "WorksPending", "Pending")
        elif works_cond[1] == "False":
            reconciled = ("Reconciled", "False", "WorksFailing", "Failing")
        else:
            reconciled = ("Reconciled", "True", "Reconciled", "Reconciled")
        _conds(new, now, works_cond, reconciled)

    # ---- delete ------------------------------------------------------------------------------

    def _last_delete_job(self, ctx: Context, promise: Promise, req: dict[str, Any]) -> dict[str, Any] | None:
        """The request's most recent delete Job (lib/workflow/reconciler.go:774-782)."""
        meta = req["metadata"]
        jobs = ctx.store.list(
            "Job",
            meta["namespace"],
            {
                "kratix.io/promise-name": promise.name,
                "kratix.io/resource-name": meta["name"],
                "kratix.io/workflow-action": "delete",
            },
            group="batch",
            readonly=True,
        )
        return max(
            jobs, key=lambda j: (j["metadata"].get("creationTimestamp", ""), j["metadata"]["name"]), default=None
        )

    def _delete(self, ctx: Context, promise: Promise, req: dict[str, Any]) -> int:
        store, now = ctx.store, ctx.store.now()
        meta = req["metadata"]
        finalizers = list(meta.get("finalizers") or [])
        if FINALIZER_DELETE in finalizers:
            pipelines = workflow_pipelines(promise, "resource", "delete")
            new = clone(req)
            if pipelines:
                # A failed delete Job is not re-run on its own: Kratix reports the failure each time and
                # creates a new Job only for the manual-reconciliation label (lib/workflow/reconciler.go:69-148:
                # :105 creates one only without a previous Job or with the label; :142-143 a failed one is
                # ErrDeletePipelineFailed). The Job itself retries its pod (restartPolicy OnFailure).
                last = self._last_delete_job(ctx, promise, req)
                manual = (meta.get("labels") or {}).get(MANUAL_RECONCILE) == "true"
                if last is not None and not manual:
                    return 0  # its failure is already on the request (below)
                if manual:
                    new["metadata"]["labels"].pop(MANUAL_RECONCILE, None)
                    new = store.update(new)  # reconciler.go:150-156
                    req = new
                    new = clone(new)
                job = self._job(ctx, promise, req, pipelines[0], "delete")
                input_object = clone(req)
                run = run_pipeline(promise, pipelines[0], input_object, "delete", executor=self._executor(ctx, promise))
                self._finish_job(ctx, job, run)
                if run.phase == "Failed":
                    # dynamic_resource_request_controller.go:1323-1333; lib/resourceutil/util.go:174-184
                    _conds(
                        new,
                        now,
                        ("DeleteWorkflowCompleted", "False", "DeleteWorkflowFailed", "The Delete Pipeline has failed"),
                    )
                    if new.get("status") != req.get("status"):
                        store.update_status(new, readonly=True)
                    store.event(new, "Warning", "Failed Pipeline", "The Delete Pipeline has failed", "kratix")
                    return 1  # the failed Job (and its Pod) were written
                _conds(
                    new,
                    now,
                    ("DeleteWorkflowCompleted", "True", "PipelinesExecutedSuccessfully", "Delete Pipeline completed"),
                )
                new = store.update_status(new)
                store.event(
                    new, "Normal", "DeleteWorkflowCompleted", f"Delete Pipeline completed: {run.name}", "kratix"
                )
            new["metadata"]["finalizers"] = [f for f in finalizers if f != FINALIZER_DELETE]
            store.update(new)
            return 1
        if FINALIZER_WORKS in finalizers:
            works = _request_works(store, promise, meta)
            if works:
                for w in works:
                    if not w["metadata"].get("deletionTimestamp"):
                        store.delete("Work", w["metadata"]["name"], w["metadata"]["namespace"], KRATIX_GROUP)
                return 0 if all(w["metadata"].get("deletionTimestamp") for w in works) else 1
            new = clone(req)
            new["metadata"]["finalizers"] = [f for f in finalizers if f != FINALIZER_WORKS]
            store.update(new)
            return 1
        if FINALIZER_WORKFLOWS in finalizers:
            for job in store.list("Job", meta["namespace"], _request_labels(promise, meta), readonly=True):
                store.delete("Job", job["metadata"]["name"], meta["namespace"])
            new = clone(req)
            new["metadata"]["finalizers"] = [f for f in finalizers if f != FINALIZER_WORKFLOWS]
            with contextlib.suppress(NotFound):
                store.update(new)
            return 1
        if FINALIZER_BINDING in finalizers:
            # The request's ResourceBinding is deleted (dynamic_resource_request_controller.go:1295-1300);
            # the lab does not model ResourceBindings, so only the finalizer goes.
            new = clone(req)
            new["metadata"]["finalizers"] = [f for f in finalizers if f != FINALIZER_BINDING]
            with contextlib.suppress(NotFound):
                store.update(new)
            return 1
        return 0
