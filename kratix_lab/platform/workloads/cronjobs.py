"""CronJobs: Jobs created on schedule, concurrency policy, history limits and status.

Follows kube-controller-manager's cronjob controller (pkg/controller/cronjob/cronjob_controllerv2.go).
"""

from __future__ import annotations

import json
import zoneinfo
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from kratix_lab.kube.times import rfc3339
from kratix_lab.model import MODELLED_ANNOTATION, clone, name_of, namespace_of
from kratix_lab.platform.workloads.base import _ControllerBase
from kratix_lab.platform.workloads.cron import CronSchedule, _rfc3339_in, _time_zone
from kratix_lab.platform.workloads.objects import (
    CRONJOB_SCHEDULED,
    Obj,
    _created,
    _deleting,
    _job_finished,
    _meta,
    _spec,
    _status,
    _unix_minutes,
    owner_reference,
    parse_time,
)


class CronJobReconciler(_ControllerBase):
    """CronJobs: a Job per schedule time."""

    # -- CronJob

    def _schedule(self, cj: Obj, emit: bool) -> tuple[CronSchedule, tzinfo] | None:
        spec = _spec(cj)
        schedule = str(spec.get("schedule") or "")
        tz_name = spec.get("timeZone")
        try:
            tz = _time_zone(tz_name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as e:
            if emit:
                message = f"invalid timeZone: {json.dumps(tz_name)}: {e}"
                self._event_once(cj, "Warning", "UnknownTimeZone", message, "cronjob-controller", str(tz_name))
            return None
        try:
            return CronSchedule.parse(schedule), tz
        except ValueError as e:
            if emit:
                message = f"unparseable schedule: {json.dumps(schedule)} : {e}"
                self._event_once(cj, "Warning", "UnparseableSchedule", message, "cronjob-controller", schedule)
            return None

    def _sync_cronjob(self, cj: Obj) -> None:
        if _deleting(cj):
            return
        parsed = self._schedule(cj, emit=True)
        if parsed is None:
            return
        sched, tz = parsed
        spec = _spec(cj)
        name = name_of(cj)
        old = _status(cj)
        st = clone(old)
        jobs = {name_of(j): j for j in self._world.children(cj, "Job")}
        active: list[Obj] = []
        for ref in old.get("active") or []:
            job = jobs.get(ref.get("name"))
            if job is None:
                self._event(
                    cj, "Warning", "MissingJob", f"Active job went missing: {ref.get('name')}", "cronjob-controller"
                )
                continue
            finished = _job_finished(job)
            if finished:
                message = f"Saw completed job: {name_of(job)}, condition: {finished}"
                self._event(cj, "Normal", "SawCompletedJob", message, "cronjob-controller")
                if finished == "Complete" and _status(job).get("completionTime"):
                    st["lastSuccessfulTime"] = _status(job)["completionTime"]
                continue
            active.append(ref)
        listed = {ref.get("name") for ref in active}
        for job_name, job in jobs.items():
            if job_name not in listed and not _job_finished(job) and not _deleting(job):
                active.append(_job_ref(job))
        if not spec.get("suspend"):
            anchor = parse_time(old["lastScheduleTime"]) if old.get("lastScheduleTime") else _created(cj)
            scheduled = sched.latest(self._now, anchor, tz)
            if scheduled is not None:
                job_name = f"{name}-{_unix_minutes(scheduled)}"
                deadline = spec.get("startingDeadlineSeconds")
                policy = spec.get("concurrencyPolicy") or "Allow"
                if deadline is not None and scheduled + int(deadline) < self._now:
                    message = f"Missed scheduled time to start a job: {_rfc3339_in(scheduled, tz)}"
                    self._event_once(cj, "Warning", "MissSchedule", message, "cronjob-controller", str(scheduled))
                elif job_name in jobs:
                    pass  # already started for this time
                elif policy == "Forbid" and active:
                    message = "Not starting job because prior execution is running and concurrency policy is Forbid"
                    self._event_once(cj, "Normal", "JobAlreadyActive", message, "cronjob-controller", str(scheduled))
                else:
                    if policy == "Replace":
                        for ref in active:
                            if (job := jobs.pop(ref.get("name"), None)) is not None:
                                self._delete(job)
                                self._event(
                                    cj,
                                    "Normal",
                                    "SuccessfulDelete",
                                    f"Deleted job {name_of(job)}",
                                    "cronjob-controller",
                                )
                        active = []
                    job = self._create_job(cj, job_name, scheduled, tz)
                    if job is not None:
                        self._event(cj, "Normal", "SuccessfulCreate", f"Created job {job_name}", "cronjob-controller")
                        active.append(_job_ref(job))
                        jobs[job_name] = job
                    st["lastScheduleTime"] = rfc3339(scheduled)
        self._cleanup_jobs(cj, list(jobs.values()))
        if active:
            st["active"] = active
        else:
            st.pop("active", None)
        self._write_status(cj, st)

    def _create_job(self, cj: Obj, job_name: str, scheduled: int, tz: tzinfo) -> Obj | None:
        template = _spec(cj).get("jobTemplate") or {}
        tmeta = template.get("metadata") or {}
        annotations = {
            **(tmeta.get("annotations") or {}),
            CRONJOB_SCHEDULED: _rfc3339_in(scheduled, tz),
            MODELLED_ANNOTATION: "true",
        }
        meta: Obj = {"name": job_name, "namespace": namespace_of(cj)}
        if tmeta.get("labels"):
            meta["labels"] = dict(tmeta["labels"])
        meta.update(annotations=annotations, ownerReferences=[owner_reference(cj)])
        return self._create(
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": meta,
                "spec": clone(template.get("spec") or {}),
            }
        )

    def _cleanup_jobs(self, cj: Obj, jobs: list[Obj]) -> None:
        """successfulJobsHistoryLimit (default 3) and failedJobsHistoryLimit (default 1): oldest go."""
        spec = _spec(cj)
        for outcome, field, default in (
            ("Complete", "successfulJobsHistoryLimit", 3),
            ("Failed", "failedJobsHistoryLimit", 1),
        ):
            limit = spec.get(field, default)
            if limit is None:
                continue
            done = [j for j in jobs if _job_finished(j) == outcome and not _deleting(j)]
            done.sort(
                key=lambda j: (
                    parse_time(_status(j)["startTime"]) if _status(j).get("startTime") else _created(j),
                    name_of(j),
                )
            )
            for job in done[: max(len(done) - int(limit), 0)]:
                self._delete(job)
                self._event(cj, "Normal", "SuccessfulDelete", f"Deleted job {name_of(job)}", "cronjob-controller")

    def _cronjob_due(self, cj: Obj, now: int) -> int | None:
        if _deleting(cj) or _spec(cj).get("suspend"):
            return None
        parsed = self._schedule(cj, emit=False)
        if parsed is None:
            return None
        sched, tz = parsed
        last = _status(cj).get("lastScheduleTime")
        anchor = parse_time(last) if last else _created(cj)
        return sched.next_after(now, tz, anchor)


def _job_ref(job: Mapping[str, Any]) -> Obj:
    meta = _meta(job)
    return {
        "apiVersion": job.get("apiVersion", "batch/v1"),
        "kind": "Job",
        "name": meta.get("name"),
        "namespace": meta.get("namespace"),
        "uid": meta.get("uid"),
        "resourceVersion": meta.get("resourceVersion"),
    }
