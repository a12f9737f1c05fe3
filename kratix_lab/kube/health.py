"""Argo CD's health assessment of live objects (the built-in checks the lab models).

Kinds without a built-in check have no health (None) and do not count towards an app's health,
as in Argo CD; ``Application`` children are not assessed (Argo CD ≥ 1.8). Kratix requests get the
platform's resource customisation (argocd-cm): ``Reconciled`` True → Healthy, False → Degraded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kratix_lab.model import get_condition

HEALTHY, PROGRESSING, DEGRADED, SUSPENDED, MISSING, UNKNOWN = (
    "Healthy",
    "Progressing",
    "Degraded",
    "Suspended",
    "Missing",
    "Unknown",
)
# Argo CD's order, best to worst: an app's health is its worst child's.
ORDER = {HEALTHY: 0, SUSPENDED: 1, PROGRESSING: 2, MISSING: 3, DEGRADED: 4, UNKNOWN: 5}
REQUEST_GROUPS = ("platform.integratn.tech",)


@dataclass(frozen=True)
class Health:
    status: str
    message: str = ""


def worst(statuses: list[str]) -> str:
    return max(statuses, key=lambda s: ORDER.get(s, 5)) if statuses else HEALTHY


def assess(obj: dict[str, Any] | None) -> Health | None:
    if obj is None:
        return Health(MISSING, "resource is missing")
    kind = obj.get("kind")
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    check = _CHECKS.get(kind)
    if check is not None:
        return check(obj)
    if group in REQUEST_GROUPS:
        return _kratix_request(obj)
    return None


def _replicas(obj: dict[str, Any], ready_key: str) -> Health:
    spec, st = obj.get("spec") or {}, obj.get("status") or {}
    want = spec.get("replicas", 1)
    if st.get("observedGeneration", 0) < obj["metadata"].get("generation", 1):
        return Health(PROGRESSING, "Waiting for rollout to finish: observed generation less than desired generation")
    ready = st.get(ready_key, 0) or 0
    if ready < want:
        return Health(
            PROGRESSING, f"Waiting for rollout to finish: {ready} of {want} updated replicas are available..."
        )
    return Health(HEALTHY, f"{obj['kind'].lower()} rolling update complete" if obj["kind"] != "Deployment" else "")


def _deployment(obj):
    """gitops-engine ``pkg/health/health_deployment.go`` ``getAppsv1DeploymentHealth`` (after kubectl's
    rollout_status.go): paused → Suspended; a Progressing condition with reason ``ProgressDeadlineExceeded`` →
    Degraded; then the three rollout waits, in upstream's order and words; an unobserved generation → Progressing."""
    spec, st, meta = obj.get("spec") or {}, obj.get("status") or {}, obj.get("metadata") or {}
    if spec.get("paused"):
        return Health(SUSPENDED, "Deployment is paused")
    if meta.get("generation", 1) > st.get("observedGeneration", 0):
        return Health(
            PROGRESSING, "Waiting for rollout to finish: observed deployment generation less then desired generation"
        )
    if (get_condition(obj, "Progressing") or {}).get("reason") == "ProgressDeadlineExceeded":
        return Health(DEGRADED, f'Deployment "{meta.get("name", "")}" exceeded its progress deadline')
    want, updated = spec.get("replicas", 1), st.get("updatedReplicas", 0)
    if updated < want:
        return Health(
            PROGRESSING, f"Waiting for rollout to finish: {updated} out of {want} new replicas have been updated..."
        )
    if st.get("replicas", 0) > updated:
        return Health(
            PROGRESSING,
            f"Waiting for rollout to finish: {st.get('replicas', 0) - updated} old replicas are pending termination...",
        )
    if st.get("availableReplicas", 0) < updated:
        return Health(
            PROGRESSING,
            f"Waiting for rollout to finish: {st.get('availableReplicas', 0)} of {updated} updated replicas are "
            "available...",
        )
    return Health(HEALTHY, "")


def _statefulset(obj):
    return _replicas(obj, "readyReplicas")


def _pod(obj):
    st = obj.get("status") or {}
    for cs in st.get("containerStatuses") or []:
        waiting = (cs.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in (
            "CrashLoopBackOff",
            "ImagePullBackOff",
            "ErrImagePull",
            "CreateContainerConfigError",
        ):
            last = ((cs.get("lastState") or {}).get("terminated") or {}).get("reason")
            extra = f" (last termination: {last})" if last else ""
            return Health(DEGRADED, f"{waiting.get('message') or waiting['reason']}{extra}")
    phase = st.get("phase", "Pending")
    if phase == "Succeeded":
        return Health(HEALTHY, "pod completed")
    if phase == "Failed":
        return Health(DEGRADED, st.get("message") or "pod failed")
    if phase == "Running":
        ready = get_condition(obj, "Ready")
        if ready and ready.get("status") == "True":
            return Health(HEALTHY, "")
        return Health(PROGRESSING, "pod is running but not ready")
    return Health(PROGRESSING, "pod is pending")


def _job(obj):
    if (get_condition(obj, "Failed") or {}).get("status") == "True":
        return Health(DEGRADED, (get_condition(obj, "Failed") or {}).get("message", "job failed"))
    if (get_condition(obj, "Complete") or {}).get("status") == "True":
        return Health(HEALTHY, "job completed")
    if (obj.get("spec") or {}).get("suspend"):
        return Health(SUSPENDED, "job is suspended")
    return Health(PROGRESSING, "job is running")


def _cronjob(obj):
    """Argo CD's built-in Lua check, word for word (argo-cd ``resource_customizations/batch/CronJob/health.lua``
    at 31087e21): suspended → Suspended; never succeeded, or a run active → Healthy with a caveat; the last
    success older than the last schedule → Degraded (RFC 3339 times compare as strings, as in the Lua); no
    status at all → Progressing."""
    if (obj.get("spec") or {}).get("suspend") is True:
        return Health(SUSPENDED, "CronJob is Suspended")
    st = obj.get("status")
    if st is None:
        return Health(PROGRESSING, "Waiting for CronJob")
    if st.get("lastScheduleTime") is None:
        return Health(HEALTHY, "CronJob has not been scheduled yet")
    if st.get("lastSuccessfulTime") is None:
        return Health(HEALTHY, "The Cronjob never completed succesfully. It may not be healthy")  # upstream's spelling
    if st.get("active"):
        return Health(HEALTHY, "The job is running. Its last execution may not have been successful")
    if st["lastSuccessfulTime"] < st["lastScheduleTime"]:
        return Health(DEGRADED, "CronJob has not completed its last execution successfully")
    return Health(HEALTHY, "CronJob has completed its last execution successfully")


def _pvc(obj):
    """gitops-engine ``pkg/health/health_pvc.go`` ``getCorev1PVCHealth``: a switch on ``status.phase`` —
    Lost → Degraded, Pending → Progressing, Bound → Healthy, anything else (no phase yet) → Unknown."""
    phase = (obj.get("status") or {}).get("phase")
    if phase == "Bound":
        return Health(HEALTHY, "")
    if phase == "Lost":
        return Health(DEGRADED, "claim lost")
    if phase == "Pending":
        return Health(PROGRESSING, "waiting for the claim to be bound")
    return Health(UNKNOWN, "")


def _service(obj):
    if (obj.get("spec") or {}).get("type") == "LoadBalancer" and not (
        (obj.get("status") or {}).get("loadBalancer") or {}
    ).get("ingress"):
        return Health(PROGRESSING, "waiting for a load balancer address")
    return Health(HEALTHY, "")


def _ingress(obj):
    if ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress"):
        return Health(HEALTHY, "")
    return Health(PROGRESSING, "waiting for an ingress address")


def _external_secret(obj):
    ready = get_condition(obj, "Ready")
    if ready is None:
        return Health(PROGRESSING, "waiting for the secret to be synced")
    if ready.get("status") == "True":
        return Health(HEALTHY, ready.get("message", ""))
    return Health(DEGRADED, ready.get("message", "secret not synced"))


def _kratix_request(obj):
    rec = get_condition(obj, "Reconciled")
    if rec and rec.get("status") == "True":
        return Health(HEALTHY, (obj.get("status") or {}).get("message", ""))
    if rec and rec.get("status") == "False":
        return Health(DEGRADED, f"{(obj.get('status') or {}).get('message', '')}: {rec.get('reason', '')}")
    return Health(PROGRESSING, (obj.get("status") or {}).get("message") or "waiting for Kratix")


_CHECKS = {
    "Deployment": _deployment,
    "StatefulSet": _statefulset,
    "ReplicaSet": _deployment,
    "DaemonSet": lambda o: _replicas(o, "numberReady"),
    "Pod": _pod,
    "Job": _job,
    "CronJob": _cronjob,
    "PersistentVolumeClaim": _pvc,
    "Service": _service,
    "Ingress": _ingress,
    "ExternalSecret": _external_secret,
}


def sync_failed(op: dict[str, Any]) -> bool:
    """A failed sync: ``Failed``, or ``Running`` between a failed attempt and its retry (argo-cd
    v3.5.1 controller/appcontroller.go:1619-1634 sets Running with finishedAt and retryCount)."""
    return op.get("phase") == "Failed" or (op.get("phase") == "Running" and bool(op.get("retryCount")))


def operation_message(op: dict[str, Any]) -> str:
    """A sync operation's message with the objects that failed and why: Argo CD keeps each object's
    error in ``syncResult.resources`` (a failed dry run's message names none, gitops-engine
    pkg/sync/sync_context.go:455-457), as its UI shows them beside the message."""
    msg = op.get("message", "")
    failed = [
        f"{r.get('kind')}/{r.get('name')}: {r.get('message', '')}"
        for r in (op.get("syncResult") or {}).get("resources") or []
        if r.get("status") == "SyncFailed"
    ]
    missing = [f for f in failed if f not in msg]
    return f"{msg} [{'; '.join(missing)}]" if missing else msg
