"""Workloads: Deployments, StatefulSets, Jobs and CronJobs make Pods that become Ready over simulated time.

The lab's model of kube-controller-manager's workload controllers (deployment, replicaset,
statefulset, job, cronjob) and of the scheduler and kubelet. Names, labels, ownerReferences,
status fields (zero counters omitted, as the API serves them), conditions and events follow the
upstream controllers, so what the trace and diagnose read here is what they read on a cluster.

Nothing runs: every pod is modelled (annotation ``kratix-lab.io/modelled: "true"``). A pod is
bound at once to one modelled node, its containers start ``start_delay`` seconds after it is
created and it is Ready ``ready_delay`` seconds after they start; a Job's pod exits 0
``job_duration`` seconds after it starts (annotation ``kratix-lab.io/run-seconds`` overrides).
The faults ``workload-crashloop`` and ``workload-oomkilled`` make containers exit at once, and
the kubelet's back-off (immediate first restart, then 10 s doubling to 300 s) restarts them.

Simplified, and said so: pod deletion is immediate (no grace period); a StatefulSet keeps no
ControllerRevisions (pods created during a partitioned update get the current template); PVCs are
Bound at once to a volume named as a dynamic provisioner would (no PersistentVolume object);
no adoption of orphans, proportional scaling, Job ``activeDeadlineSeconds``/indexed completion,
or CronJob ``TooManyMissedTimes``. Objects annotated ``kratix-lab.io/workloads: ignore`` are left
to whichever lab controller models them, as are Kratix pipeline Jobs and their Pods.

Where each part lives: ``objects`` (helpers over plain objects, shared constants), ``cron`` (the
schedule, pure), ``kubelet`` (a pod's containers over time), ``world`` (one round's view of the
store), ``base`` (counted writes, events, pod creation), one reconciler per kind (``deployments``
for Deployments and ReplicaSets, ``statefulsets`` with their PVCs, ``jobs``, ``cronjobs``) and
``controller``, the thin ``WorkloadsController`` that runs them in one transaction per round.
"""

from kratix_lab.platform.workloads.controller import WorkloadsController
from kratix_lab.platform.workloads.cron import CronSchedule
from kratix_lab.platform.workloads.objects import template_hash

__all__ = ["CronSchedule", "WorkloadsController", "template_hash"]
