"""Small helpers over plain objects: the annotations and labels the controllers write, owners, counts, hashes.

Also the constants every workload module shares (annotations, labels, the modelled node, the
kubelet's and the Job controller's back-off) and the Deployment rollout arithmetic
(maxSurge/maxUnavailable fenceposts) the upstream controllers compute from a spec.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from kratix_lab.kube.times import EPOCH
from kratix_lab.kube.times import parse_time as _parse_time
from kratix_lab.model import get_condition, labels_of, name_of, namespace_of
from kratix_lab.model.objects import cached_by_digest
from kratix_lab.platform.store import _SUFFIX_ALPHABET

WORKLOADS = "kratix-lab.io/workloads"  # "ignore": another lab controller models this object
RUN_SECONDS = "kratix-lab.io/run-seconds"
NODE_NAME = "kratix-lab-node"  # the one modelled node
HOST_IP = "172.18.0.2"

POD_TEMPLATE_HASH = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
STS_POD_NAME = "statefulset.kubernetes.io/pod-name"
STS_REVISION = "controller-revision-hash"
STS_POD_INDEX = "apps.kubernetes.io/pod-index"
CRONJOB_SCHEDULED = "batch.kubernetes.io/cronjob-scheduled-timestamp"

BACKOFF_INITIAL, BACKOFF_MAX = 10, 300  # the kubelet's container restart back-off
JOB_BACKOFF_INITIAL, JOB_BACKOFF_MAX = 10, 360  # the Job controller's pod-failure back-off
FAULTS = (("workload-oomkilled", "OOMKilled", 137), ("workload-crashloop", "Error", 1))

_KINDS = {
    "CronJob": "batch",
    "Job": "batch",
    "Deployment": "apps",
    "ReplicaSet": "apps",
    "StatefulSet": "apps",
    "Pod": "",
    "PersistentVolumeClaim": "",
}
_NOT_STARTED = ("ContainerCreating", "PodInitializing")
_IP_COUNTER = "workloads:pod-ip"
_UNIX_EPOCH = int(EPOCH.timestamp())

Obj = dict[str, Any]

parse_time = functools.lru_cache(maxsize=65536)(_parse_time)  # timestamps repeat across rounds; strptime is slow
Key = tuple[str, str, str]  # kind, namespace, name


def _key(obj: Mapping[str, Any]) -> Key:
    return str(obj.get("kind", "")), namespace_of(obj) or "", name_of(obj)


def _meta(obj: Mapping[str, Any]) -> Obj:
    return obj.get("metadata") or {}


def _annotations(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict(_meta(obj).get("annotations") or {})


def _uid(obj: Mapping[str, Any]) -> str:
    return str(_meta(obj).get("uid", ""))


def _deleting(obj: Mapping[str, Any]) -> bool:
    return bool(_meta(obj).get("deletionTimestamp"))


def _created(obj: Mapping[str, Any]) -> int:
    ts = _meta(obj).get("creationTimestamp")
    return parse_time(ts) if ts else 0


def _controller_uid(obj: Mapping[str, Any]) -> str | None:
    for ref in _meta(obj).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref.get("uid")
    return None


def _controller_kind(obj: Mapping[str, Any]) -> str | None:
    for ref in _meta(obj).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref.get("kind")
    return None


def left_alone(obj: Mapping[str, Any]) -> bool:
    """Objects another lab controller models: annotated ``kratix-lab.io/workloads: ignore``, and
    Kratix pipeline Jobs and their Pods (the lab's Kratix controller runs pipelines in-process and
    records their Job and Pod itself)."""
    if _annotations(obj).get(WORKLOADS) == "ignore":
        return True
    labels = labels_of(obj)
    return (
        obj.get("kind") in ("Job", "Pod")
        and labels.get("app.kubernetes.io/managed-by") == "Kratix"
        and "kratix.io/pipeline-name" in labels
    )


def owner_reference(owner: Mapping[str, Any]) -> Obj:
    """The controller reference a workload controller puts on what it creates (uid included, for GC)."""
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": name_of(owner),
        "uid": _uid(owner),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _spec(obj: Mapping[str, Any]) -> Obj:
    return obj.get("spec") or {}


def _status(obj: Mapping[str, Any]) -> Obj:
    return obj.get("status") or {}


def _replicas(obj: Mapping[str, Any]) -> int:
    r = _spec(obj).get("replicas")
    return 1 if r is None else int(r)


def _count(obj: Mapping[str, Any], field: str) -> int:
    return int(_status(obj).get(field) or 0)


def _phase(pod: Mapping[str, Any]) -> str:
    return str(_status(pod).get("phase") or "")


def _active(pod: Mapping[str, Any]) -> bool:
    """Counted by its controller: not finished and not being deleted."""
    return _phase(pod) not in ("Succeeded", "Failed") and not _deleting(pod)


def _ready_since(pod: Mapping[str, Any]) -> int | None:
    cond = get_condition(pod, "Ready")
    if cond and cond.get("status") == "True":
        return parse_time(cond["lastTransitionTime"])
    return None


def _running_and_ready(pod: Mapping[str, Any]) -> bool:
    return _phase(pod) == "Running" and _ready_since(pod) is not None and not _deleting(pod)


def _available(pod: Mapping[str, Any], min_ready: int, now: int) -> bool:
    since = _ready_since(pod)
    return since is not None and since + min_ready <= now and _phase(pod) == "Running"


def _restarts(pod: Mapping[str, Any]) -> int:
    st = _status(pod)
    return sum(
        int(cs.get("restartCount") or 0)
        for cs in (st.get("containerStatuses") or []) + (st.get("initContainerStatuses") or [])
    )


def _omit_zero(status: Obj, *fields: str) -> Obj:
    """Zero counters are absent from the API's JSON (``omitempty``), as consumers must expect."""
    for f in fields:
        if not status.get(f):
            status.pop(f, None)
    return status


def _go_duration(seconds: int) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


_BACKOFF_RE = re.compile(r"back-off (?:(\d+)m)?(\d+)s")


def _backoff_of(message: str) -> int:
    m = _BACKOFF_RE.search(message or "")
    return int(m.group(1) or 0) * 60 + int(m.group(2)) if m else BACKOFF_INITIAL


def _generated_name(base: str, suffix: str) -> str:
    return base[:58] + suffix  # generateName keeps the name within 63 characters


@cached_by_digest(maxsize=4096)  # (every round asks for every template's hash: the texts not kept)
def _hash_text(text: str) -> str:
    h = 0x811C9DC5  # FNV-1a, 32 bit, as the controllers hash templates
    for b in text.encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    # rand.SafeEncodeString of the decimal digits, padded to 10 so every hash has 10 characters
    return "".join(_SUFFIX_ALPHABET[ord(ch) % len(_SUFFIX_ALPHABET)] for ch in f"{h:010d}")


def template_hash(template: Mapping[str, Any]) -> str:
    """A stable 10-character hash of a pod template, in the style of ``pod-template-hash``."""
    return _hash_text(json.dumps(template, sort_keys=True, separators=(",", ":")))


def _container_id(pod_uid: str, container: str, restart: int) -> str:
    return "containerd://" + hashlib.sha256(f"{pod_uid}/{container}/{restart}".encode()).hexdigest()


def _qos_class(spec: Mapping[str, Any]) -> str:
    containers = list(spec.get("containers") or []) + list(spec.get("initContainers") or [])
    resources = [c.get("resources") or {} for c in containers]
    if not any((r.get("requests") or r.get("limits")) for r in resources):
        return "BestEffort"
    for r in resources:
        limits, requests = r.get("limits") or {}, r.get("requests") or {}
        for res in ("cpu", "memory"):
            if res not in limits or requests.get(res, limits[res]) != limits[res]:
                return "Burstable"
    return "Guaranteed"


def _scaled(value: Any, total: int, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        part = int(value[:-1]) * total
        return -(-part // 100) if round_up else part // 100
    return int(value)


def _fenceposts(spec: Mapping[str, Any], desired: int) -> tuple[int, int]:
    """maxSurge (rounded up) and maxUnavailable (rounded down); never both zero."""
    ru = (spec.get("strategy") or {}).get("rollingUpdate") or {}
    surge = _scaled(ru.get("maxSurge", "25%"), desired, True)
    unavailable = _scaled(ru.get("maxUnavailable", "25%"), desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def _recreate(spec: Mapping[str, Any]) -> bool:
    return (spec.get("strategy") or {}).get("type") == "Recreate"


def _max_unavailable(spec: Mapping[str, Any]) -> int:
    desired = _replicas({"spec": spec})
    if _recreate(spec) or desired == 0:
        return 0
    return min(_fenceposts(spec, desired)[1], desired)


def _revision(rs: Mapping[str, Any]) -> int:
    try:
        return int(_annotations(rs).get(REVISION, "0"))
    except ValueError:
        return 0


def _job_finished(job: Mapping[str, Any]) -> str | None:
    """``Complete`` or ``Failed`` once the Job has finished, else None."""
    for ctype in ("Complete", "Failed"):
        cond = get_condition(job, ctype)
        if cond and cond.get("status") == "True":
            return ctype
    return None


def _unix_minutes(t: int) -> int:
    return (_UNIX_EPOCH + t) // 60
