"""The workloads controller: one transaction per round, each kind's reconciler in the upstream order.

The reconcilers live one per kind (``deployments``, ``statefulsets``, ``jobs``, ``cronjobs``) on
the shared ``base``; this module is the Controller protocol (``reconcile``, ``next_due``,
``next_periodic``) that runs them and the timers that say when the next round is due.
"""

from __future__ import annotations

from kratix_lab.platform.controller import Context
from kratix_lab.platform.workloads.cronjobs import CronJobReconciler
from kratix_lab.platform.workloads.deployments import DeploymentReconciler
from kratix_lab.platform.workloads.jobs import JobReconciler
from kratix_lab.platform.workloads.kubelet import _crash_for, _PodRun
from kratix_lab.platform.workloads.objects import _KINDS, _deleting, _phase, _ready_since, _spec
from kratix_lab.platform.workloads.statefulsets import StatefulSetReconciler
from kratix_lab.platform.workloads.world import _World


class WorkloadsController(DeploymentReconciler, StatefulSetReconciler, JobReconciler, CronJobReconciler):
    """Deployments, ReplicaSets, StatefulSets, Jobs, CronJobs and Pods (modelled kubelet)."""

    name = "workloads"
    skips_left_alone = True  # ``_World``'s ``alone``: False reads every object every round (tests compare the two)

    # -- the Controller protocol

    def reconcile(self, ctx: Context) -> int:
        store = ctx.store
        with store.transaction():
            self._ctx, self._now, self._writes = ctx, store.now_seconds(), 0
            self._new_rs, self._job_failed = set(), {}
            w = self._w = _World(store, alone=self._alone if self.skips_left_alone else None)
            for cj in w.each("CronJob"):
                self._sync_cronjob(cj)
            for d in w.each("Deployment"):
                self._sync_deployment(d)
            for rs in w.each("ReplicaSet"):
                self._sync_replicaset(rs)
            for sts in w.each("StatefulSet"):
                self._sync_statefulset(sts)
            for job in w.each("Job"):
                self._sync_job(job)
            for pod in w.each("Pod"):
                self._run_pod(pod)
            for rs in w.each("ReplicaSet"):
                self._replicaset_status(rs)
            for sts in w.each("StatefulSet"):
                self._statefulset_status(sts)
            for job in w.each("Job"):
                self._job_status(job)
            for d in w.each("Deployment"):
                self._deployment_status(d)
        self._w = None
        return self._writes

    def _timers(self, ctx: Context) -> tuple[list[int], list[int]]:
        """(convergence timers, periodic timers): crash-loop restarts and CronJob schedules recur for ever."""
        store = ctx.store
        now = store.now_seconds()
        kinds = {k: g for k, g in _KINDS.items() if k != "PersistentVolumeClaim"}
        w = _World(store, kinds, alone=self._alone if self.skips_left_alone else None)
        times: list[int] = []
        periodic: list[int] = []
        for pod in w.each("Pod"):
            if _deleting(pod):
                continue
            if not _phase(pod):
                times.append(now)
                continue
            crash = _crash_for(ctx, pod, self._programs)
            t = _PodRun(self, pod, now, crash).next_time()
            if t is not None:
                (periodic if crash is not None else times).append(t)
        for kind in ("ReplicaSet", "StatefulSet"):
            for owner in w.each(kind):
                min_ready = int(_spec(owner).get("minReadySeconds") or 0)
                if min_ready:
                    for pod in w.children(owner, "Pod"):
                        since = _ready_since(pod)
                        if since is not None and since + min_ready > now:
                            times.append(since + min_ready)
        for d in w.each("Deployment"):
            if (t := self._deadline_due(d)) is not None:
                times.append(t)
        for job in w.each("Job"):
            times.extend(self._job_due(job, w.children(job, "Pod"), now))
        for cj in w.each("CronJob"):
            if (t := self._cronjob_due(cj, now)) is not None:
                periodic.append(t)
        return times, periodic

    def next_due(self, ctx: Context) -> int | None:
        """When the cluster next converges further (pods starting, becoming Ready, Jobs finishing)."""
        times, _ = self._timers(ctx)
        now = ctx.store.now_seconds()
        return max(min(times), now) if times else None

    def next_periodic(self, ctx: Context) -> int | None:
        """When recurring work next fires (CronJob schedules, crash-loop restarts)."""
        _, periodic = self._timers(ctx)
        now = ctx.store.now_seconds()
        return max(min(periodic), now) if periodic else None
