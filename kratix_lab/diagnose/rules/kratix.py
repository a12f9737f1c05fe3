"""Rules of the Kratix stretch: the request, its Promise, pipeline runs, Works, WorkPlacements and the state-store
write."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kratix_lab.diagnose.model import Finding, _cmd_ref, _gitops_file_fix, fix_for
from kratix_lab.diagnose.rules.registry import _request_of, rule
from kratix_lab.kube.health import DEGRADED, MISSING
from kratix_lab.model import get_condition
from kratix_lab.pipeline.image import PIPELINE_IMAGE, image_tag, is_catalogue_image
from kratix_lab.sources import Source
from kratix_lab.trace import UNREADABLE, TraceNode


@rule("request-missing", stages=("request",))
def _missing_request(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage == "request" and n.health == MISSING:
        parent = _request_of(parents)
        where = f" (rendered by {parent.ref})" if parent else ""
        fix = fix_for(
            s,
            lab="check that the request was committed and applied: `kratix-lab get applications -n argocd`; validate it "
            "with `kratix-lab validate FILE` and fix the fields it names",
            live="check that the request was committed and applied: `kubectl get applications -n argocd`; validate it "
            "with `kubectl apply --dry-run=server -f FILE` and fix the fields it names",
        )
        if "cannot read git" in n.message:
            fix = _gitops_file_fix(s)
        yield Finding("request-missing", "error", "request", n.ref, n.message + where, fix, None, depth)


@rule("promise-unavailable", stages=("request",))
def _promise_unavailable(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage != "request":
        return
    # PromiseAvailable=False, reason PromiseRequirementsNotInstalled, on the request (kratix
    # lib/resourceutil/util.go:32-34, 496-508; dynamic_resource_request_controller.go:189-191)
    rec: dict[str, Any] = next((c for c in n.evidence.get("conditions", []) if c.get("type") == "PromiseAvailable"), {})
    if rec.get("status") == "False":
        why = ""
        try:  # the Promise's own condition names what it waits for
            promise = s.get("Promise", str(n.evidence.get("promise")), None, "platform.kratix.io") or {}
        except UNREADABLE:
            promise = {}
        req_cond = get_condition(promise, "RequirementsFulfilled") or {}
        if req_cond.get("status") == "False" and req_cond.get("message"):
            why = f" ({req_cond['message']})"
        yield Finding(
            "promise-unavailable",
            "error",
            "request",
            n.ref,
            f"the Promise {n.evidence.get('promise')} is not Available: {rec.get('message')}{why}",
            fix_for(
                s,
                lab=f"install its required Promises (`kratix-lab get promises`, "
                f"`kratix-lab describe promise/{n.evidence.get('promise')}`)",
                live=f"install its required Promises (`kubectl get promises`, "
                f"`kubectl describe promise/{n.evidence.get('promise')}`)",
            ),
            n.since,
            depth,
        )


@rule("pipeline-failed", stages=("pipeline",))
def _pipeline_failed(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage == "pipeline" and n.health == DEGRADED:
        req = _request_of(parents)
        tail = [line for line in n.evidence.get("logTail", []) if line.strip()]
        reason = tail[-1] if tail else (n.evidence.get("failure") or "the container exited non-zero")
        # The failing container is an init container of the pipeline pod (Kratix's reader, the Pipeline's
        # containers, work-writer: api/v1alpha1/pipeline_factory.go:350-362): name it, or the logs shown
        # are the status-writer's (kubectl's default container) and say nothing.
        container = n.evidence.get("container")
        pods = n.evidence.get("pods") or []
        c_opt = f" -c {container}" if container else ""
        if req:
            target = _cmd_ref(req)
            selector = f"kratix.io/promise-name={req.evidence.get('promise')},kratix.io/resource-name={req.name}"
            live_logs = (
                f"kubectl logs -n {req.namespace} {pods[-1]}{c_opt}"
                if container and pods
                else f"kubectl logs -n {req.namespace} -l {selector} --all-containers --prefix"
            )
            fix = fix_for(
                s,
                lab=f"read the logs (`kratix-lab logs {req.kind.lower()}/{req.name} -n {req.namespace}{c_opt}`), fix the "
                f"request or the pipeline, then `kratix-lab reconcile {target}`",
                live=f"read the logs (`{live_logs}`), fix the "
                f"request or the pipeline, then `kubectl label {target} kratix.io/manual-reconciliation=true "
                "--overwrite`",
            )
        else:
            fix = fix_for(
                s,
                lab=f"read the pipeline pod's logs (`kratix-lab logs job/{n.name} -n {n.namespace}{c_opt}`)",
                live=f"read the pipeline pod's logs (`kubectl logs job/{n.name} -n {n.namespace}"
                f"{c_opt or ' --all-containers'}`)",
            )
        yield Finding(
            "pipeline-failed",
            "error",
            "pipeline",
            n.ref,
            f"pipeline {n.evidence.get('pipeline')} failed: {reason}",
            fix,
            n.since,
            depth,
            {"logTail": tail[-5:]},
            keys="press `l` for the pipeline's logs, fix the request or the pipeline, then `r` to reconcile"
            if req
            else "",
        )


@rule("pipeline-image-stale", stages=("pipeline",))
def _image_stale(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage != "pipeline":
        return
    for image in n.evidence.get("images", []):
        if image and is_catalogue_image(image) and image_tag(image) != image_tag(PIPELINE_IMAGE):
            req = _request_of(parents)
            yield Finding(
                "pipeline-image-stale",
                "warning",
                "pipeline",
                n.ref,
                f"pipeline ran image {image}, not the current release {PIPELINE_IMAGE}: changes to the pipeline code are not running",
                f"point the Promise {req.evidence.get('promise') if req else ''} at {PIPELINE_IMAGE} (and a pinned tag or "
                "imagePullPolicy: Always), then reconcile its requests",
                n.since,
                depth,
            )


@rule("work-unscheduled", stages=("work",))
def _unscheduled(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage == "work" and n.health == DEGRADED and "UnscheduledWorkloads" in n.message:
        selectors: dict[str, str] = {}
        for g in n.evidence.get("groups", []):
            for sel in g.get("selectors") or []:
                selectors.update(sel or {})
        labels = " ".join(f"{k}={v}" for k, v in selectors.items())
        yield Finding(
            "work-unscheduled",
            "error",
            "work",
            n.ref,
            f"no Destination matches the selectors {','.join(labels.split()) or '(none)'}: the files are not written "
            "anywhere",
            fix_for(
                s,
                lab="label a Destination to match: `kratix-lab get destination/the-cluster -o yaml > destination.yaml`, "
                f"add {labels} to metadata.labels, `kratix-lab apply -f destination.yaml` (or fix the Promise's "
                "destinationSelectors)",
                live=f"label a Destination to match: `kubectl label destination/the-cluster {labels}` (or fix the "
                "Promise's destinationSelectors)",
            ),
            n.since,
            depth,
            {"selectors": selectors},
        )


@rule("work-misplaced", stages=("placement",))
def _misplaced(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage == "placement" and n.health == DEGRADED and n.message.startswith("misplaced"):
        yield Finding(
            "work-misplaced",
            "warning",
            "placement",
            n.ref,
            n.message,
            fix_for(
                s,
                lab="restore the Destination's labels (`kratix-lab get destination/the-cluster -o yaml > "
                "destination.yaml`, edit metadata.labels, `kratix-lab apply -f destination.yaml`), or delete the "
                "request and submit it again to schedule it elsewhere",
                live="restore the Destination's labels (`kubectl label destination/the-cluster KEY=VALUE`), or delete "
                "the request and create it again to schedule it elsewhere",
            ),
            n.since,
            depth,
        )


@rule("statestore-write-failed", stages=("placement",))
def _write_failed(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    # WriteSucceeded=False reason WorkloadsFailedWrite (kratix api/v1alpha1/workplacement_types.go:138-155);
    # a Destination or store that does not exist is not a write the store refused
    if (
        n.stage == "placement"
        and n.health == DEGRADED
        and n.message.startswith("WorkloadsFailedWrite")
        and not n.message.endswith("not found")
    ):
        yield Finding(
            "statestore-write-failed",
            "error",
            "placement",
            n.ref,
            f"Kratix cannot write to the state store: {n.message.split(': ', 1)[-1]}",
            "check the GitStateStore's credentials Secret and the branch's push rules "
            + fix_for(
                s,
                lab="(`kratix-lab describe gitstatestore/default`)",
                live="(`kubectl describe gitstatestore/default`)",
            )
            + "; Kratix retries on its own once pushes are accepted",
            n.since,
            depth,
        )
