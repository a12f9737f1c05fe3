"""Jobs: pods run to completion, the pod-failure back-off, backoffLimit, ttlSecondsAfterFinished and status.

Follows kube-controller-manager's job controller (pkg/controller/job).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kratix_lab.kube.times import rfc3339
from kratix_lab.model import clone, get_condition, name_of, set_condition
from kratix_lab.platform.workloads.base import _ControllerBase
from kratix_lab.platform.workloads.objects import (
    JOB_BACKOFF_INITIAL,
    JOB_BACKOFF_MAX,
    RUN_SECONDS,
    Obj,
    _active,
    _annotations,
    _created,
    _deleting,
    _job_finished,
    _omit_zero,
    _phase,
    _ready_since,
    _restarts,
    _spec,
    _status,
    _uid,
    parse_time,
)


class JobReconciler(_ControllerBase):
    """Jobs: pods to completion or failure."""

    # -- Job

    def _sync_job(self, job: Obj) -> None:
        if _deleting(job):
            return
        spec = _spec(job)
        if _job_finished(job):
            ttl = spec.get("ttlSecondsAfterFinished")
            finished = _job_finish_time(job)
            if ttl is not None and finished is not None and self._now >= finished + int(ttl):
                self._delete(job)  # the TTL-after-finished controller
            return
        if spec.get("suspend"):
            return
        pods = self._world.children(job, "Pod")
        active = [p for p in pods if _active(p)]
        succeeded = sum(_phase(p) == "Succeeded" for p in pods)
        failed = sum(_phase(p) == "Failed" for p in pods)
        completions = int(spec.get("completions") or 1)
        if succeeded >= completions:
            return
        limit = int(spec.get("backoffLimit", 6))
        template = spec.get("template") or {}
        policy = (template.get("spec") or {}).get("restartPolicy") or "Never"
        restarts = sum(_restarts(p) for p in active)
        on_failure_exceeded = policy == "OnFailure" and (restarts > 0 if limit == 0 else restarts >= limit)
        if failed > limit or on_failure_exceeded:
            for pod in active:
                self._delete(pod)
                self._event(job, "Normal", "SuccessfulDelete", f"Deleted pod: {name_of(pod)}", "job-controller")
            self._job_failed[_uid(job)] = len(active)
            return
        want = min(int(spec.get("parallelism", 1)), completions - succeeded) - len(active)
        if want <= 0 or any(t > self._now for t in _job_backoff(pods)):
            return
        labels = {
            "batch.kubernetes.io/controller-uid": _uid(job),
            "batch.kubernetes.io/job-name": name_of(job),
            "controller-uid": _uid(job),
            "job-name": name_of(job),
        }
        annotations = {RUN_SECONDS: _annotations(job)[RUN_SECONDS]} if RUN_SECONDS in _annotations(job) else {}
        for _ in range(want):
            pod = self._new_pod(
                job,
                template,
                generate_name=f"{name_of(job)}-",
                labels=labels,
                annotations=annotations,
                default_restart="Never",
            )
            if pod is not None:
                self._event(job, "Normal", "SuccessfulCreate", f"Created pod: {name_of(pod)}", "job-controller")

    def _job_status(self, job: Obj) -> None:
        if _deleting(job):
            return
        spec = _spec(job)
        pods = self._world.children(job, "Pod")
        active = [p for p in pods if _active(p)]
        old = _status(job)
        st: Obj = {"conditions": clone(old.get("conditions") or [])}
        now = rfc3339(self._now)
        if old.get("startTime"):
            st["startTime"] = old["startTime"]
        elif not spec.get("suspend"):
            st["startTime"] = now
        if old.get("completionTime"):
            st["completionTime"] = old["completionTime"]
        succeeded = sum(_phase(p) == "Succeeded" for p in pods)
        failed = max(
            sum(_phase(p) == "Failed" for p in pods) + self._job_failed.get(_uid(job), 0), int(old.get("failed") or 0)
        )
        st.update(active=len(active), succeeded=succeeded, failed=failed, terminating=0, uncountedTerminatedPods={})
        st["ready"] = sum(_ready_since(p) is not None for p in active)
        _omit_zero(st, "active", "succeeded", "failed")
        holder = {"status": st}

        def condition(ctype: str, reason: str, message: str) -> None:
            if set_condition(holder, ctype, "True", reason, message, now):
                get_condition(holder, ctype)["lastProbeTime"] = now  # type: ignore[index]

        if not _job_finished(job):
            if succeeded >= int(spec.get("completions") or 1):
                message = "Reached expected number of succeeded pods"
                condition("SuccessCriteriaMet", "CompletionsReached", message)
                condition("Complete", "CompletionsReached", message)
                st["completionTime"] = now
                self._event(job, "Normal", "Completed", "Job completed", "job-controller")
            elif _uid(job) in self._job_failed:
                message = "Job has reached the specified backoff limit"
                condition("FailureTarget", "BackoffLimitExceeded", message)
                condition("Failed", "BackoffLimitExceeded", message)
                self._event(job, "Warning", "BackoffLimitExceeded", message, "job-controller")
        if not st["conditions"]:
            del st["conditions"]
        self._write_status(job, st)

    def _job_due(self, job: Obj, pods: list[Obj], now: int) -> list[int]:
        if _deleting(job):
            return []
        if _job_finished(job):
            ttl = _spec(job).get("ttlSecondsAfterFinished")
            finished = _job_finish_time(job)
            return [finished + int(ttl)] if ttl is not None and finished is not None else []
        return [t for t in _job_backoff(pods) if t > now]


def _job_finish_time(job: Mapping[str, Any]) -> int | None:
    if _status(job).get("completionTime"):
        return parse_time(_status(job)["completionTime"])
    cond = get_condition(job, "Failed")
    return parse_time(cond["lastTransitionTime"]) if cond and cond.get("lastTransitionTime") else None


def _job_backoff(pods: list[Obj]) -> list[int]:
    """When the Job controller may replace failed pods: 10 s doubling per failure, capped at 6 min."""
    failed = [p for p in pods if _phase(p) == "Failed"]
    if not failed:
        return []
    finished = [
        parse_time(t)
        for p in failed
        for cs in _status(p).get("containerStatuses") or []
        if (t := ((cs.get("state") or {}).get("terminated") or {}).get("finishedAt"))
    ]
    last = max(finished) if finished else max(_created(p) for p in failed)
    return [last + min(JOB_BACKOFF_INITIAL * 2 ** (len(failed) - 1), JOB_BACKOFF_MAX)]
