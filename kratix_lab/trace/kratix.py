"""The first stretch of the road: the request, its pipeline runs (logs), its Works and their WorkPlacements
(destination); a placement's commit goes on to the state-repo stretch."""

from __future__ import annotations

from typing import Any

from kratix_lab.kube.health import DEGRADED, HEALTHY, MISSING, PROGRESSING
from kratix_lab.model import get_condition, namespace_of
from kratix_lab.pipeline.contract import placement_dir
from kratix_lab.pipeline.pod import failed_container, user_containers
from kratix_lab.trace.gitops import GitopsStretch
from kratix_lab.trace.node import KRATIX, UNREADABLE, RequestKind, TraceNode, unreadable


class _Tracer(GitopsStretch):
    """The whole road: the Kratix stretch here, on the state-repo + Argo CD and Helm + workloads stretches."""

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
            if health == HEALTHY and not self.healthy_logs:
                pods, logs = [], ""  # its pods are read for their logs (and a failed run's rule): neither here
            else:
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
