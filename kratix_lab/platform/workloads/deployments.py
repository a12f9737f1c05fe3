"""Deployments and ReplicaSets: rollouts (RollingUpdate and Recreate), scaling, revision history and status.

Follows kube-controller-manager's deployment controller (pkg/controller/deployment: sync.go,
rolling.go, recreate.go, progress.go) and replicaset controller (pkg/controller/replicaset).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kratix_lab.kube.applied import LAST_APPLIED
from kratix_lab.kube.times import rfc3339
from kratix_lab.model import (
    MODELLED_ANNOTATION,
    clone,
    get_condition,
    labels_of,
    matches_selector,
    name_of,
    namespace_of,
    set_condition,
)
from kratix_lab.platform.workloads.base import _ControllerBase
from kratix_lab.platform.workloads.objects import (
    DESIRED_REPLICAS,
    MAX_REPLICAS,
    POD_TEMPLATE_HASH,
    REVISION,
    Obj,
    _active,
    _annotations,
    _available,
    _count,
    _created,
    _deleting,
    _fenceposts,
    _key,
    _max_unavailable,
    _meta,
    _omit_zero,
    _phase,
    _ready_since,
    _recreate,
    _replicas,
    _restarts,
    _revision,
    _spec,
    _status,
    _uid,
    owner_reference,
    parse_time,
    template_hash,
)


class DeploymentReconciler(_ControllerBase):
    """Deployments (through their ReplicaSets) and ReplicaSets (through their Pods)."""

    # -- Deployment

    def _sync_deployment(self, d: Obj) -> None:
        if _deleting(d):
            return
        spec = _spec(d)
        desired = _replicas(d)
        template = spec.get("template") or {}
        h = template_hash(template)
        rss = self._world.children(d, "ReplicaSet")
        new = next((rs for rs in rss if labels_of(rs).get(POD_TEMPLATE_HASH) == h), None)
        if spec.get("paused"):
            return
        surge, _ = _fenceposts(spec, desired)
        max_old_revision = max((_revision(rs) for rs in rss if rs is not new), default=0)
        old = sorted((rs for rs in rss if rs is not new), key=lambda rs: (_created(rs), name_of(rs)))

        if _recreate(spec):
            if any(_replicas(rs) > 0 for rs in old):
                for rs in old:
                    if _replicas(rs) > 0:
                        self._scale(d, rs, 0, 0)
                return
            if any(_active(p) for rs in old for p in self._world.children(rs, "Pod")):
                return  # Recreate: the old pods must be gone first
            if new is None:
                new = self._create_replicaset(d, h, desired, desired, max_old_revision + 1, 0)
            elif _replicas(new) != desired:
                self._scale(d, new, desired, 0)
        else:
            if new is None:
                current = sum(_replicas(rs) for rs in old)
                count = 0 if current >= desired + surge else min(desired + surge - current, desired)
                new = self._create_replicaset(d, h, count, desired, max_old_revision + 1, surge)
            elif _replicas(new) > desired:
                self._scale(d, new, desired, surge)
                return
            elif _replicas(new) < desired:
                current = sum(_replicas(rs) for rs in self._world.children(d, "ReplicaSet"))
                up = min(desired + surge - current, desired - _replicas(new))
                if up > 0:
                    self._scale(d, new, _replicas(new) + up, surge)
                    return
            if new is not None:
                self._scale_down_old(d, new)
        if new is None:
            return
        new = self._world.get(_key(new)) or new
        if _revision(new) <= max_old_revision:  # a rollback: the old template becomes the newest revision
            new = self._annotate(new, {REVISION: str(max_old_revision + 1)})
        self._annotate(d, {REVISION: str(_revision(new))})
        self._cleanup_history(d, new)

    def _create_replicaset(self, d: Obj, h: str, replicas: int, desired: int, revision: int, surge: int) -> Obj | None:
        spec = _spec(d)
        template = clone(spec.get("template") or {})
        tmeta = template.setdefault("metadata", {})
        tmeta["labels"] = {**(tmeta.get("labels") or {}), POD_TEMPLATE_HASH: h}
        selector = clone(spec.get("selector") or {"matchLabels": dict(labels_of(template))})
        selector["matchLabels"] = {**(selector.get("matchLabels") or {}), POD_TEMPLATE_HASH: h}
        annotations = {
            k: v
            for k, v in _annotations(d).items()
            if not k.startswith("deployment.kubernetes.io/") and k != LAST_APPLIED
        }
        annotations.update(
            {
                DESIRED_REPLICAS: str(desired),
                MAX_REPLICAS: str(desired + surge),
                REVISION: str(revision),
                MODELLED_ANNOTATION: "true",
            }
        )
        rs_spec: Obj = {"replicas": replicas}
        if spec.get("minReadySeconds"):
            rs_spec["minReadySeconds"] = spec["minReadySeconds"]
        rs_spec.update(selector=selector, template=template)
        name = f"{name_of(d)}-{h}"
        rs = self._create(
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {
                    "name": name,
                    "namespace": namespace_of(d),
                    "labels": dict(tmeta["labels"]),
                    "annotations": annotations,
                    "ownerReferences": [owner_reference(d)],
                },
                "spec": rs_spec,
            }
        )
        if rs is None:
            return None
        self._new_rs.add(_uid(d))
        if replicas > 0:
            self._event(
                d,
                "Normal",
                "ScalingReplicaSet",
                f"Scaled up replica set {name} from 0 to {replicas}",
                "deployment-controller",
            )
        return rs

    def _scale(self, d: Obj, rs: Obj, replicas: int, surge: int) -> None:
        rs = self._world.get(_key(rs)) or rs
        before = _replicas(rs)
        desired = _replicas(d)
        notes = {DESIRED_REPLICAS: str(desired), MAX_REPLICAS: str(desired + surge)}
        if before == replicas and all(_annotations(rs).get(k) == v for k, v in notes.items()):
            return
        rs = clone(rs)
        rs["spec"]["replicas"] = replicas
        rs["metadata"]["annotations"] = {**_annotations(rs), **notes}
        self._update(rs)
        if before != replicas:
            way = "up" if replicas > before else "down"
            message = f"Scaled {way} replica set {name_of(rs)} from {before} to {replicas}"
            self._event(d, "Normal", "ScalingReplicaSet", message, "deployment-controller")

    def _scale_down_old(self, d: Obj, new: Obj) -> None:
        """reconcileOldReplicaSets: unhealthy old replicas first, then as availability allows."""
        spec = _spec(d)
        desired = _replicas(d)
        surge, _ = _fenceposts(spec, desired)
        new = self._world.get(_key(new)) or new
        rss = self._world.children(d, "ReplicaSet")
        old = sorted(
            (rs for rs in rss if _key(rs) != _key(new) and _replicas(rs) > 0),
            key=lambda rs: (_created(rs), name_of(rs)),
        )
        if not old:
            return
        min_available = desired - _max_unavailable(spec)
        all_pods = sum(_replicas(rs) for rs in rss)
        new_unavailable = _replicas(new) - _count(new, "availableReplicas")
        max_scaled_down = all_pods - min_available - new_unavailable
        if max_scaled_down <= 0:
            return
        done = 0
        for rs in old:
            unhealthy = _replicas(rs) - _count(rs, "availableReplicas")
            if done >= max_scaled_down or unhealthy <= 0:
                continue
            n = min(max_scaled_down - done, unhealthy)
            self._scale(d, rs, _replicas(rs) - n, surge)
            done += n
        rss = self._world.children(d, "ReplicaSet")
        available = sum(_count(rs, "availableReplicas") for rs in rss)
        budget = available - min_available
        for rs in sorted((rs for rs in rss if _key(rs) != _key(new)), key=lambda rs: (_created(rs), name_of(rs))):
            if budget <= 0:
                break
            n = min(_replicas(rs), budget)
            if n > 0:
                self._scale(d, rs, _replicas(rs) - n, surge)
                budget -= n

    def _annotate(self, obj: Obj, notes: Mapping[str, str]) -> Obj:
        obj = self._world.get(_key(obj)) or obj
        if all(_annotations(obj).get(k) == v for k, v in notes.items()):
            return obj
        obj = clone(obj)
        obj["metadata"]["annotations"] = {**_annotations(obj), **notes}
        return self._update(obj)

    def _cleanup_history(self, d: Obj, new: Obj) -> None:
        limit = _spec(d).get("revisionHistoryLimit", 10)
        cleanable = [
            rs
            for rs in self._world.children(d, "ReplicaSet")
            if _key(rs) != _key(new)
            and _replicas(rs) == 0
            and _count(rs, "replicas") == 0
            and not any(_active(p) for p in self._world.children(rs, "Pod"))
        ]
        excess = len(cleanable) - int(limit)
        for rs in sorted(cleanable, key=lambda rs: (_revision(rs), name_of(rs)))[: max(excess, 0)]:
            self._delete(rs)

    def _deployment_status(self, d: Obj) -> None:
        spec = _spec(d)
        desired = _replicas(d)
        h = template_hash(spec.get("template") or {})
        rss = self._world.children(d, "ReplicaSet")
        new = next((rs for rs in rss if labels_of(rs).get(POD_TEMPLATE_HASH) == h), None)
        old_status = _status(d)
        counts = {
            "replicas": sum(_count(rs, "replicas") for rs in rss),
            "updatedReplicas": _count(new, "replicas") if new else 0,
            "readyReplicas": sum(_count(rs, "readyReplicas") for rs in rss),
            "availableReplicas": sum(_count(rs, "availableReplicas") for rs in rss),
        }
        counts["unavailableReplicas"] = max(desired - counts["availableReplicas"], 0)
        generation = int(_meta(d).get("generation") or 1)
        st: Obj = {"observedGeneration": generation, **counts}
        _omit_zero(st, *counts)
        st["conditions"] = clone(old_status.get("conditions") or [])
        holder = {"status": st}
        now = rfc3339(self._now)

        def condition(ctype: str, status: str, reason: str, message: str, progress: bool = False) -> None:
            if set_condition(holder, ctype, status, reason, message, now) or progress:
                get_condition(holder, ctype)["lastUpdateTime"] = now  # type: ignore[index]

        if counts["availableReplicas"] >= desired - _max_unavailable(spec):
            condition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
        else:
            condition(
                "Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability."
            )
        rs_name = name_of(new) if new else ""
        what = f'ReplicaSet "{rs_name}"' if new else f'Deployment "{name_of(d)}"'
        progressing = get_condition(holder, "Progressing")
        if spec.get("paused"):
            condition("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused")
        else:
            if progressing and progressing.get("reason") == "DeploymentPaused":
                condition("Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed")
            if _uid(d) in self._new_rs and new:
                condition("Progressing", "True", "NewReplicaSetCreated", f'Created new replica set "{rs_name}"')
            elif get_condition(holder, "Progressing") is None and new:
                condition("Progressing", "True", "FoundNewReplicaSet", f'Found new replica set "{rs_name}"')
            complete = (
                counts["updatedReplicas"] == desired
                and counts["replicas"] == desired
                and counts["availableReplicas"] == desired
            )
            old_old = _count(d, "replicas") - _count(d, "updatedReplicas")
            made_progress = (
                counts["updatedReplicas"] > _count(d, "updatedReplicas")
                or counts["replicas"] - counts["updatedReplicas"] < old_old
                or counts["readyReplicas"] > _count(d, "readyReplicas")
                or counts["availableReplicas"] > _count(d, "availableReplicas")
            )
            if complete:
                condition("Progressing", "True", "NewReplicaSetAvailable", f"{what} has successfully progressed.")
            elif made_progress:
                condition("Progressing", "True", "ReplicaSetUpdated", f"{what} is progressing.", progress=True)
            elif self._timed_out({"spec": spec, "status": st}):
                condition("Progressing", "False", "ProgressDeadlineExceeded", f"{what} has timed out progressing.")
        self._write_status(d, st)

    def _timed_out(self, d: Mapping[str, Any]) -> bool:
        due = self._deadline_due(d)
        cond = get_condition(d, "Progressing")
        if cond and cond.get("reason") == "ProgressDeadlineExceeded":
            return True
        return due is not None and self._now >= due

    @staticmethod
    def _deadline_due(d: Mapping[str, Any]) -> int | None:
        """When a rollout that stopped progressing times out (``progressDeadlineSeconds``, default 600)."""
        deadline = _spec(d).get("progressDeadlineSeconds", 600)
        cond = get_condition(d, "Progressing")
        if deadline is None or cond is None or _spec(d).get("paused"):
            return None
        if cond.get("reason") in ("NewReplicaSetAvailable", "ProgressDeadlineExceeded", "DeploymentPaused"):
            return None
        since = cond.get("lastUpdateTime") or cond.get("lastTransitionTime")
        return parse_time(since) + int(deadline) + 1 if since else None

    # -- ReplicaSet

    def _sync_replicaset(self, rs: Obj) -> None:
        if _deleting(rs):
            return
        active = [p for p in self._owned_pods(rs) if _active(p)]
        diff = len(active) - _replicas(rs)
        template = _spec(rs).get("template") or {}
        for _ in range(-diff):
            pod = self._new_pod(rs, template, generate_name=f"{name_of(rs)}-")
            if pod is not None:
                self._event(rs, "Normal", "SuccessfulCreate", f"Created pod: {name_of(pod)}", "replicaset-controller")
        if diff > 0:
            for pod in sorted(active, key=_deletion_rank)[:diff]:
                self._delete(pod)
                self._event(rs, "Normal", "SuccessfulDelete", f"Deleted pod: {name_of(pod)}", "replicaset-controller")

    def _replicaset_status(self, rs: Obj) -> None:
        pods = [p for p in self._owned_pods(rs) if _active(p)]
        min_ready = int(_spec(rs).get("minReadySeconds") or 0)
        template_labels = labels_of(_spec(rs).get("template") or {})
        st: Obj = {
            "replicas": len(pods),
            "fullyLabeledReplicas": sum(matches_selector(labels_of(p), {"matchLabels": template_labels}) for p in pods),
            "readyReplicas": sum(_ready_since(p) is not None for p in pods),
            "availableReplicas": sum(_available(p, min_ready, self._now) for p in pods),
            "observedGeneration": int(_meta(rs).get("generation") or 1),
        }
        self._write_status(rs, _omit_zero(st, "fullyLabeledReplicas", "readyReplicas", "availableReplicas"))


def _deletion_rank(pod: Mapping[str, Any]) -> tuple[Any, ...]:
    """Which pods a ReplicaSet deletes first (the controller's ActivePodsWithRanks, simplified)."""
    phase_rank = {"Pending": 0, "Unknown": 1, "Running": 2}.get(_phase(pod), 0)
    since = _ready_since(pod)
    return (
        1 if _spec(pod).get("nodeName") else 0,
        phase_rank,
        since is not None,
        -(since or 0),
        -_restarts(pod),
        -_created(pod),
        name_of(pod),
    )
