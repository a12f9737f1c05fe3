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
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import zoneinfo
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from kratix_lab.kube.times import EPOCH, rfc3339
from kratix_lab.kube.times import parse_time as _parse_time
from kratix_lab.model import clone, get_condition, labels_of, matches_selector, name_of, namespace_of, set_condition
from kratix_lab.platform.controller import Context
from kratix_lab.platform.store import _SUFFIX_ALPHABET, Conflict, Store

MODELLED = "kratix-lab.io/modelled"
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
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

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


# ---- small helpers over plain objects ------------------------------------------------------


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


@functools.lru_cache(maxsize=4096)
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


# ---- cron schedules -------------------------------------------------------------------------

_MONTHS = {
    m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))
}
_WEEKDAYS = {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
_CRON_FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 6, _WEEKDAYS),
)
_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_SEARCH_YEARS = 5


def _cron_int(text: str, names: Mapping[str, int], expr: str) -> int:
    if text.lower() in names:
        return names[text.lower()]
    if not text.isdigit():
        raise ValueError(f"failed to parse int from {text}: {expr}")
    return int(text)


def _cron_field(expr: str, lo: int, hi: int, names: Mapping[str, int]) -> tuple[frozenset[int], bool]:
    values: set[int] = set()
    star = False
    for part in expr.split(","):
        range_step = part.split("/")
        if len(range_step) > 2:
            raise ValueError(f"too many slashes: {part}")
        bounds = range_step[0].split("-")
        if len(bounds) > 2:
            raise ValueError(f"too many hyphens: {part}")
        part_star = bounds[0] in ("*", "?")
        if part_star:
            start, end = lo, hi
        else:
            start = _cron_int(bounds[0], names, part)
            end = _cron_int(bounds[1], names, part) if len(bounds) == 2 else start
        step = 1
        if len(range_step) == 2:
            step = _cron_int(range_step[1], {}, part)
            if step <= 0:
                raise ValueError(f"step of range should be a positive number: {part}")
            if len(bounds) == 1 and not part_star:
                end = hi  # "N/step" means "N-max/step"
        if start < lo:
            raise ValueError(f"beginning of range ({start}) below minimum ({lo}): {part}")
        if end > hi:
            raise ValueError(f"end of range ({end}) above maximum ({hi}): {part}")
        if start > end:
            raise ValueError(f"beginning of range ({start}) beyond end of range ({end}): {part}")
        values.update(range(start, end + 1, step))
        star = star or (part_star and step == 1)
    return frozenset(values), star


def _every_seconds(text: str) -> int:
    """A Go duration (``1h30m``, ``90s``) as whole seconds, at least 1 (cron ``@every``)."""
    total, pos = 0.0, 0
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    for m in re.finditer(r"(\d+(?:\.\d+)?)(ms|h|m|s)", text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * units[m.group(2)]
        pos = m.end()
    if not text or pos != len(text):
        raise ValueError(f"failed to parse duration @every {text}: time: invalid duration {json.dumps(text)}")
    return max(1, int(total))


@dataclass(frozen=True)
class CronSchedule:
    """A parsed standard cron schedule (robfig/cron semantics, as the CronJob controller uses)."""

    minutes: frozenset[int] = frozenset()
    hours: frozenset[int] = frozenset()
    days: frozenset[int] = frozenset()
    months: frozenset[int] = frozenset()
    weekdays: frozenset[int] = frozenset()
    day_star: bool = False
    weekday_star: bool = False
    every: int | None = None  # "@every <duration>": fires every this many seconds from the anchor

    @classmethod
    def parse(cls, text: str) -> CronSchedule:
        """Five fields (``*``, ``*/n``, ``a-b``, ``a-b/n``, ``a,b``, numbers, month/day names) or a
        ``@`` macro. Raises ValueError with robfig/cron's message."""
        spec = text.strip()
        if not spec:
            raise ValueError("empty spec string")
        if spec.startswith(("TZ=", "CRON_TZ=")):
            raise ValueError("cannot use TZ or CRON_TZ in schedule, use timeZone field instead")
        if spec.startswith("@every "):
            return cls(every=_every_seconds(spec[len("@every ") :].strip()))
        if spec.startswith("@"):
            if spec not in _MACROS:
                raise ValueError(f"unrecognized descriptor: {spec}")
            spec = _MACROS[spec]
        fields = spec.split()
        if len(fields) != 5:
            raise ValueError(f"expected exactly 5 fields, found {len(fields)}: {spec}")
        parsed = [_cron_field(f, lo, hi, names) for f, (_, lo, hi, names) in zip(fields, _CRON_FIELDS, strict=True)]
        return cls(
            minutes=parsed[0][0],
            hours=parsed[1][0],
            days=parsed[2][0],
            months=parsed[3][0],
            weekdays=parsed[4][0],
            day_star=parsed[2][1],
            weekday_star=parsed[4][1],
        )

    def _day_matches(self, d: datetime) -> bool:
        dom = d.day in self.days
        dow = (d.isoweekday() % 7) in self.weekdays
        if self.day_star or self.weekday_star:
            return dom and dow
        return dom or dow

    def next_after(self, t: int, tz: tzinfo, anchor: int) -> int | None:
        """The first firing strictly after simulated second ``t`` (``anchor``: where @every counts from)."""
        if self.every is not None:
            return anchor + ((max(t, anchor) - anchor) // self.every + 1) * self.every
        c = _local(t, tz).replace(second=0, microsecond=0) + timedelta(minutes=1)
        end = c.year + _SEARCH_YEARS
        while c.year <= end:
            if c.month not in self.months:
                c = datetime(c.year + (c.month == 12), c.month % 12 + 1, 1)
            elif not self._day_matches(c):
                c = (c + timedelta(days=1)).replace(hour=0, minute=0)
            elif c.hour not in self.hours:
                c = (c + timedelta(hours=1)).replace(minute=0)
            elif c.minute not in self.minutes:
                c += timedelta(minutes=1)
            else:
                s = _simulated(c, tz)
                if s > t:
                    return s
                c += timedelta(minutes=1)
        return None

    def latest(self, now: int, after: int, tz: tzinfo) -> int | None:
        """The most recent firing in ``(after, now]`` (the one a late controller starts), else None."""
        if self.every is not None:
            k = (now - after) // self.every
            return after + k * self.every if k >= 1 else None
        c = _local(now, tz).replace(second=0, microsecond=0)
        floor = _local(after, tz)
        while c > floor:
            if c.month not in self.months:
                c = datetime(c.year, c.month, 1) - timedelta(minutes=1)
            elif not self._day_matches(c):
                c = c.replace(hour=0, minute=0) - timedelta(minutes=1)
            elif c.hour not in self.hours:
                c = c.replace(minute=0) - timedelta(minutes=1)
            elif c.minute not in self.minutes:
                c -= timedelta(minutes=1)
            else:
                s = _simulated(c, tz)
                if after < s <= now:
                    return s
                c -= timedelta(minutes=1)
        return None


def _local(t: int, tz: tzinfo) -> datetime:
    return (EPOCH + timedelta(seconds=t)).astimezone(tz).replace(tzinfo=None)


def _simulated(local: datetime, tz: tzinfo) -> int:
    return int((local.replace(tzinfo=tz) - EPOCH).total_seconds())


def _time_zone(name: str | None) -> tzinfo:
    if not name:
        return UTC
    return zoneinfo.ZoneInfo(name)


def _rfc3339_in(t: int, tz: tzinfo) -> str:
    local = (EPOCH + timedelta(seconds=t)).astimezone(tz)
    if local.utcoffset() == timedelta(0):
        return rfc3339(t)
    return local.isoformat()


# ---- the modelled kubelet -------------------------------------------------------------------


@dataclass(frozen=True)
class _Crash:
    reason: str
    exit_code: int
    container: str | None  # None: every container of the pod


def _crash_for(ctx: Context, pod: Mapping[str, Any]) -> _Crash | None:
    """The active workload fault matching this pod (namespace, and name prefix of pod or workload)."""
    ns, name = namespace_of(pod) or "", name_of(pod)
    for fault, reason, code in FAULTS:
        params = ctx.fault(fault)
        if params is None:
            continue
        if params.get("namespace") and params["namespace"] != ns:
            continue
        if params.get("name") and not name.startswith(str(params["name"])):
            continue
        return _Crash(reason, code, params.get("container"))
    return None


def _container_status(container: Mapping[str, Any], reason: str) -> Obj:
    return {
        "name": container.get("name", ""),
        "image": container.get("image", ""),
        "imageID": "",
        "ready": False,
        "started": False,
        "restartCount": 0,
        "state": {"waiting": {"reason": reason}},
        "lastState": {},
    }


def initial_pod_status(pod: Mapping[str, Any], t0: int) -> Obj:
    """Status of a pod the modelled scheduler has just bound: Pending, PodScheduled True."""
    spec = _spec(pod)
    init = list(spec.get("initContainers") or [])
    containers = list(spec.get("containers") or [])
    now = rfc3339(t0)
    status: Obj = {"phase": "Pending"}
    holder = {"status": status}
    set_condition(holder, "PodReadyToStartContainers", "False", "", "", now)
    if init:
        names = " ".join(c.get("name", "") for c in init)
        set_condition(
            holder,
            "Initialized",
            "False",
            "ContainersNotInitialized",
            f"containers with incomplete status: [{names}]",
            now,
        )
    else:
        set_condition(holder, "Initialized", "True", "", "", now)
    unready = f"containers with unready status: [{' '.join(c.get('name', '') for c in containers)}]"
    set_condition(holder, "Ready", "False", "ContainersNotReady", unready, now)
    set_condition(holder, "ContainersReady", "False", "ContainersNotReady", unready, now)
    set_condition(holder, "PodScheduled", "True", "", "", now)
    status.update(hostIP=HOST_IP, hostIPs=[{"ip": HOST_IP}], startTime=now, qosClass=_qos_class(spec))
    if init:
        status["initContainerStatuses"] = [_container_status(c, "PodInitializing") for c in init]
    waiting = "PodInitializing" if init else "ContainerCreating"
    status["containerStatuses"] = [_container_status(c, waiting) for c in containers]
    return status


class _PodRun:
    """One pod's containers stepped through simulated time up to ``now``, as the kubelet would."""

    def __init__(self, ctl: WorkloadsController, pod: Obj, now: int, crash: _Crash | None):
        self.ctl = ctl
        self.pod = pod  # copied only when something is due (most pods, most rounds, have nothing)
        self.status: Obj = pod.get("status") or {}
        self.changed = False
        self.now = now
        self.crash = crash
        meta, spec = self.pod["metadata"], _spec(self.pod)
        self.name, self.ns, self.uid = meta["name"], meta.get("namespace") or "", meta.get("uid", "")
        self.start_at = _created(self.pod) + ctl.start_delay
        self.policy = spec.get("restartPolicy") or "Always"
        self.run_seconds = self._run_seconds()
        self.ready_delay = 0 if self.run_seconds is not None else ctl.ready_delay
        self.specs = {c.get("name"): c for c in spec.get("containers") or []}
        self.events: list[tuple[str, str, str]] = []
        self.logs: list[tuple[str, str]] = []

    def _run_seconds(self) -> int | None:
        """How long a container runs before exiting 0, or None for a server that runs on."""
        if self.policy == "Always":
            return None
        value = _annotations(self.pod).get(RUN_SECONDS)
        if value is not None:
            try:
                return max(0, int(value))
            except ValueError:
                pass
        return self.ctl.job_duration if _controller_kind(self.pod) == "Job" else None

    def _crash_of(self, container: str) -> _Crash | None:
        if self.crash and self.crash.container in (None, container):
            return self.crash
        return None

    def _statuses(self) -> list[Obj]:
        return self.status.get("containerStatuses") or []

    def _next(self, cs: Mapping[str, Any]) -> int | None:
        state = cs.get("state") or {}
        if "waiting" in state:
            reason = state["waiting"].get("reason")
            if reason in _NOT_STARTED:
                return self.start_at
            if reason == "CrashLoopBackOff":
                finished = ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
                if finished:
                    return parse_time(finished) + _backoff_of(state["waiting"].get("message", ""))
            return None
        if "running" in state:
            started = parse_time(state["running"]["startedAt"])
            if self._crash_of(cs.get("name", "")):
                return max(started, self.now)  # exits as soon as the fault is there
            times = [] if cs.get("ready") else [started + self.ready_delay]
            if self.run_seconds is not None:
                times.append(started + self.run_seconds)
            return min(times) if times else None
        return None  # terminated for good

    def next_time(self) -> int | None:
        times = [t for cs in self._statuses() if (t := self._next(cs)) is not None]
        return min(times) if times else None

    def run(self) -> None:
        for _ in range(100_000):  # each step moves a container forward; the bound is a safety net
            t = self.next_time()
            if t is None or t > self.now:
                return
            if not self.changed:
                self.pod = clone(self.pod)
                self.status = self.pod.setdefault("status", {})
                self.changed = True
            for cs in self._statuses():
                if self._next(cs) == t:
                    self._step(cs, t)
            self._refresh(t)
        raise RuntimeError(f"pod {self.ns}/{self.name} did not settle")  # pragma: no cover

    # -- transitions

    def _event(self, type_: str, reason: str, message: str) -> None:
        self.events.append((type_, reason, message))

    def _started_events(self, name: str, image: str) -> None:
        self._event("Normal", "Pulled", f'Container image "{image}" already present on machine')
        self._event("Normal", "Created", f"Created container: {name}")
        self._event("Normal", "Started", f"Started container {name}")

    def _sandbox(self, t: int) -> None:
        """The pod sandbox comes up: pod IP, init containers run to completion."""
        if "podIP" in self.status:
            return
        ip = self.ctl._allocate_ip()
        self.status["podIP"] = ip
        self.status["podIPs"] = [{"ip": ip}]
        for cs in self.status.get("initContainerStatuses") or []:
            self._started_events(cs["name"], cs.get("image", ""))
            cs["containerID"] = _container_id(self.uid, cs["name"], 0)
            cs["state"] = {
                "terminated": {
                    "exitCode": 0,
                    "reason": "Completed",
                    "startedAt": rfc3339(t),
                    "finishedAt": rfc3339(t),
                    "containerID": cs["containerID"],
                }
            }
            cs["ready"] = True
            cs["started"] = False

    def _step(self, cs: Obj, t: int) -> None:
        state = cs["state"]
        if "waiting" in state:
            if state["waiting"].get("reason") in _NOT_STARTED:
                self._sandbox(t)
                self._start(cs, t, fresh=True)
            else:  # CrashLoopBackOff over: the kubelet restarts the container
                cs["restartCount"] = int(cs.get("restartCount") or 0) + 1
                self._start(cs, t, fresh=False)
            return
        started = parse_time(state["running"]["startedAt"])
        crash = self._crash_of(cs["name"])
        if crash:
            self._exit(cs, crash, started, t, fresh=True)
        elif self.run_seconds is not None and t >= started + self.run_seconds:
            cs["state"] = {
                "terminated": {
                    "exitCode": 0,
                    "reason": "Completed",
                    "startedAt": rfc3339(started),
                    "finishedAt": rfc3339(t),
                    "containerID": cs.get("containerID", ""),
                }
            }
            cs["ready"] = cs["started"] = False
        else:
            cs["ready"] = True

    def _start(self, cs: Obj, t: int, fresh: bool) -> None:
        name = cs["name"]
        cs["containerID"] = _container_id(self.uid, name, int(cs.get("restartCount") or 0))
        crash = self._crash_of(name)
        if fresh or not crash:
            self._started_events(name, cs.get("image", ""))
        if crash:
            self._exit(cs, crash, t, t, fresh=fresh)
            return
        cs["state"] = {"running": {"startedAt": rfc3339(t)}}
        cs["started"] = True
        cs["ready"] = self.ready_delay == 0

    def _exit(self, cs: Obj, crash: _Crash, started: int, t: int, fresh: bool) -> None:
        """The container exits non-zero at ``t``; Never leaves it terminated, else the back-off starts."""
        name = cs["name"]
        previous = _backoff_of((cs["state"].get("waiting") or {}).get("message", "")) if not fresh else 0
        term = {
            "exitCode": crash.exit_code,
            "reason": crash.reason,
            "startedAt": rfc3339(started),
            "finishedAt": rfc3339(t),
            "containerID": cs.get("containerID", ""),
        }
        self._log(cs, crash)
        cs["ready"] = cs["started"] = False
        if self.policy == "Never":
            cs["state"] = {"terminated": term}
            return
        if fresh:
            # Not in back-off yet: the kubelet restarts at once; the second exit starts the back-off.
            cs["restartCount"] = int(cs.get("restartCount") or 0) + 1
            cs["containerID"] = _container_id(self.uid, name, cs["restartCount"])
            term = {**term, "startedAt": rfc3339(t), "containerID": cs["containerID"]}
            self._log(cs, crash)
            backoff = BACKOFF_INITIAL
        else:
            backoff = min(previous * 2, BACKOFF_MAX)
        cs["lastState"] = {"terminated": term}
        cs["state"] = {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": f"back-off {_go_duration(backoff)} restarting failed container={name} "
                f"pod={self.name}_{self.ns}({self.uid})",
            }
        }
        self._event(
            "Warning",
            "BackOff",
            f"Back-off restarting failed container {name} in pod {self.name}_{self.ns}({self.uid})",
        )

    def _log(self, cs: Mapping[str, Any], crash: _Crash) -> None:
        name, n = cs["name"], cs.get("restartCount", 0)
        if crash.reason == "OOMKilled":
            limit = ((self.specs.get(name) or {}).get("resources") or {}).get("limits", {}).get("memory")
            why = f": memory limit {limit} exceeded" if limit else ""
            text = f"kratix-lab (modelled): container {name} was OOMKilled (exit code 137){why}; restartCount {n}\n"
        else:
            text = f"kratix-lab (modelled): container {name} exited with an error (exit code 1); restartCount {n}\n"
        self.logs.append((name, text))

    def _refresh(self, t: int) -> None:
        """Pod phase and conditions from its containers, as the kubelet reports them."""
        css = self._statuses()
        states = [next(iter(cs.get("state") or {"waiting": {}})) for cs in css]
        if css and all(s == "terminated" for s in states):
            ok = all(cs["state"]["terminated"].get("exitCode") == 0 for cs in css)
            phase = "Succeeded" if ok else "Failed"
        elif any(
            s == "waiting" and cs["state"]["waiting"].get("reason") in _NOT_STARTED
            for s, cs in zip(states, css, strict=True)
        ):
            phase = "Pending"
        else:
            phase = "Running"
        self.status["phase"] = phase
        now = rfc3339(t)
        terminal = phase in ("Succeeded", "Failed")
        sandbox = "podIP" in self.status and not terminal
        set_condition(self.pod, "PodReadyToStartContainers", "True" if sandbox else "False", "", "", now)
        if "podIP" in self.status:
            set_condition(self.pod, "Initialized", "True", "", "", now)
        if terminal:
            reason = "PodCompleted" if phase == "Succeeded" else "PodFailed"
            set_condition(self.pod, "Ready", "False", reason, "", now)
            set_condition(self.pod, "ContainersReady", "False", reason, "", now)
        else:
            unready = [cs["name"] for cs in css if not cs.get("ready")]
            if unready:
                msg = f"containers with unready status: [{' '.join(unready)}]"
                set_condition(self.pod, "Ready", "False", "ContainersNotReady", msg, now)
                set_condition(self.pod, "ContainersReady", "False", "ContainersNotReady", msg, now)
            else:
                set_condition(self.pod, "Ready", "True", "", "", now)
                set_condition(self.pod, "ContainersReady", "True", "", "", now)


# ---- one round's view of the store ----------------------------------------------------------


class _World:
    """The objects of one round (one list per kind), indexed by owner, kept current as we write.

    Objects are the store's shared read-only copies: the controller clones what it changes."""

    def __init__(self, store: Store, kinds: Mapping[str, str] = _KINDS):
        self.objs: dict[str, dict[tuple[str, str], Obj]] = {k: {} for k in _KINDS}
        self.owned: dict[str, dict[Key, None]] = {}
        for kind, group in kinds.items():
            for obj in store.list(kind, group=group, readonly=True):
                if not left_alone(obj):
                    self.put(obj)

    def put(self, obj: Obj) -> None:
        kind, ns, name = _key(obj)
        self._unindex((kind, ns, name))
        self.objs[kind][(ns, name)] = obj
        for ref in _meta(obj).get("ownerReferences") or []:
            if ref.get("uid"):
                self.owned.setdefault(ref["uid"], {})[(kind, ns, name)] = None

    def _unindex(self, key: Key) -> None:
        old = self.objs[key[0]].get(key[1:])
        for ref in (_meta(old).get("ownerReferences") or []) if old else []:
            self.owned.get(ref.get("uid", ""), {}).pop(key, None)

    def remove(self, key: Key) -> None:
        """Forget an object and, as the garbage collector does, its dependents."""
        obj = self.objs[key[0]].get(key[1:])
        if obj is None:
            return
        self._unindex(key)
        del self.objs[key[0]][key[1:]]
        for child in list(self.owned.pop(_uid(obj), {})):
            self.remove(child)

    def get(self, key: Key) -> Obj | None:
        return self.objs[key[0]].get(key[1:])

    def keys(self, kind: str) -> list[Key]:
        return [(kind, ns, name) for ns, name in sorted(self.objs[kind])]

    def each(self, kind: str) -> Iterator[Obj]:
        """Every object of ``kind`` still present, current at the moment it is reached."""
        for key in self.keys(kind):
            obj = self.get(key)
            if obj is not None:
                yield obj

    def children(self, owner: Mapping[str, Any], kind: str) -> list[Obj]:
        uid = _uid(owner)
        out = [
            obj
            for key in self.owned.get(uid, {})
            if key[0] == kind and (obj := self.get(key)) is not None and _controller_uid(obj) == uid
        ]
        return sorted(out, key=name_of)


# ---- the controller -------------------------------------------------------------------------


class WorkloadsController:
    """Deployments, ReplicaSets, StatefulSets, Jobs, CronJobs and Pods (modelled kubelet)."""

    name = "workloads"

    def __init__(
        self, *, start_delay: int = 5, ready_delay: int = 10, job_duration: int = 10, node_name: str = NODE_NAME
    ):
        self.start_delay = start_delay
        self.ready_delay = ready_delay
        self.job_duration = job_duration
        self.node_name = node_name
        self._ctx: Context | None = None
        self._w: _World | None = None
        self._now = 0
        self._writes = 0
        self._new_rs: set[str] = set()  # Deployments whose new ReplicaSet was created this round
        self._job_failed: dict[str, int] = {}  # Job uid -> pods deleted when it failed this round

    # -- the Controller protocol

    def reconcile(self, ctx: Context) -> int:
        store = ctx.store
        with store.transaction():
            self._ctx, self._now, self._writes = ctx, store.now_seconds(), 0
            self._new_rs, self._job_failed = set(), {}
            w = self._w = _World(store)
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
        w = _World(store, {k: g for k, g in _KINDS.items() if k != "PersistentVolumeClaim"})
        times: list[int] = []
        periodic: list[int] = []
        for pod in w.each("Pod"):
            if _deleting(pod):
                continue
            if not _phase(pod):
                times.append(now)
                continue
            crash = _crash_for(ctx, pod)
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

    # -- writes (each one counted; the round's view kept current)

    @property
    def _world(self) -> _World:
        assert self._w is not None
        return self._w

    @property
    def _store(self) -> Store:
        assert self._ctx is not None
        return self._ctx.store

    def _create(self, obj: Obj) -> Obj | None:
        try:
            created = self._store.create(obj)
        except Conflict:
            return None
        self._world.put(created)
        self._writes += 1
        return created

    def _update(self, obj: Obj, status: bool = False) -> Obj:
        before = obj["metadata"].get("resourceVersion")
        new = self._store.update(obj, status=status)
        if new["metadata"].get("resourceVersion") != before:
            self._writes += 1
        self._world.put(new)
        return new

    def _write_status(self, obj: Obj, status: Obj) -> Obj:
        if status == obj.get("status"):
            return obj
        return self._update({**obj, "status": status}, status=True)

    def _delete(self, obj: Mapping[str, Any]) -> None:
        kind, ns, name = _key(obj)
        left = self._store.delete(kind, name, ns or None, group=_KINDS.get(kind))
        self._writes += 1
        if left is None:
            self._world.remove((kind, ns, name))
        else:
            self._world.put(left)

    def _event(self, obj: Mapping[str, Any], type_: str, reason: str, message: str, source: str) -> None:
        self._store.event(obj, type_, reason, message, source)

    def _event_once(
        self, obj: Mapping[str, Any], type_: str, reason: str, message: str, source: str, occasion: str
    ) -> None:
        """An event recorded once per occasion (the controller does not requeue on it)."""
        key = f"workloads:event:{_uid(obj)}:{reason}"
        if self._store.get_meta(key) == occasion:
            return
        self._store.set_meta(key, occasion)
        self._event(obj, type_, reason, message, source)
        self._writes += 1

    def _allocate_ip(self) -> str:
        n = int(self._store.get_meta(_IP_COUNTER, "1") or "1") + 1
        self._store.set_meta(_IP_COUNTER, str(n))
        n = (n - 2) % 65532 + 2
        return f"10.244.{n >> 8}.{n & 255}"

    def _suffix(self, purpose: str) -> str:
        return self._store.suffix(purpose)

    # -- pods

    def _new_pod(
        self,
        owner: Obj,
        template: Mapping[str, Any],
        *,
        name: str | None = None,
        generate_name: str | None = None,
        labels: Mapping[str, str] | None = None,
        annotations: Mapping[str, str] | None = None,
        spec: Mapping[str, Any] | None = None,
        default_restart: str = "Always",
    ) -> Obj | None:
        """Create a pod from a template, already bound to the modelled node (Pending)."""
        tmeta = template.get("metadata") or {}
        pod_spec = clone(template.get("spec") or {})
        pod_spec.setdefault("restartPolicy", default_restart)
        pod_spec.setdefault("dnsPolicy", "ClusterFirst")
        pod_spec.setdefault("schedulerName", "default-scheduler")
        pod_spec.setdefault("terminationGracePeriodSeconds", 30)
        pod_spec.update(spec or {})
        pod_spec["nodeName"] = self.node_name
        ns = namespace_of(owner)
        for _ in range(5):
            pod_name = name or _generated_name(generate_name or "", self._suffix(f"pod:{ns}/{generate_name}"))
            meta: Obj = {"name": pod_name}
            if generate_name:
                meta["generateName"] = generate_name
            meta.update(
                namespace=ns,
                labels={**(tmeta.get("labels") or {}), **(labels or {})},
                annotations={**(tmeta.get("annotations") or {}), **(annotations or {}), MODELLED: "true"},
                ownerReferences=[owner_reference(owner)],
            )
            pod: Obj = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod_spec}
            pod["status"] = initial_pod_status(pod, self._now)
            created = self._create(pod)
            if created is not None:
                self._event(
                    created,
                    "Normal",
                    "Scheduled",
                    f"Successfully assigned {ns}/{pod_name} to {self.node_name}",
                    "default-scheduler",
                )
                return created
            if name:
                return None
        return None

    def _run_pod(self, pod: Obj) -> None:
        if _deleting(pod):
            return
        if not _phase(pod):
            pod = self._bind(pod)
        assert self._ctx is not None
        run = _PodRun(self, pod, self._now, _crash_for(self._ctx, pod))
        run.run()
        if run.changed and run.status != pod.get("status"):
            pod = self._update(run.pod, status=True)
        for type_, reason, message in run.events:
            self._event(pod, type_, reason, message, "kubelet")
        for container, text in run.logs:
            self._store.write_log(namespace_of(pod) or "", name_of(pod), container, text)

    def _bind(self, pod: Obj) -> Obj:
        """A pod this controller did not create: the modelled scheduler binds it to the node."""
        pod = clone(pod)
        pod["metadata"].setdefault("annotations", {})[MODELLED] = "true"
        pod.setdefault("spec", {})["nodeName"] = self.node_name
        pod = self._update(pod)
        pod = self._update({**pod, "status": initial_pod_status(pod, _created(pod))}, status=True)
        ns, name = namespace_of(pod) or "", name_of(pod)
        self._event(
            pod, "Normal", "Scheduled", f"Successfully assigned {ns}/{name} to {self.node_name}", "default-scheduler"
        )
        return pod

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
                MODELLED: "true",
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

    def _owned_pods(self, owner: Obj) -> list[Obj]:
        selector = _spec(owner).get("selector")
        return [p for p in self._world.children(owner, "Pod") if matches_selector(labels_of(p), selector)]

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

    # -- StatefulSet

    def _sync_statefulset(self, sts: Obj) -> None:
        if _deleting(sts):
            return
        spec = _spec(sts)
        name = name_of(sts)
        desired = _replicas(sts)
        revision = f"{name}-{template_hash(spec.get('template') or {})}"
        parallel = spec.get("podManagementPolicy") == "Parallel"
        pods: dict[int, Obj] = {}
        for pod in self._world.children(sts, "Pod"):
            ordinal = _ordinal(name, name_of(pod))
            if ordinal is not None:
                pods[ordinal] = pod
        if any(_deleting(p) for p in pods.values()) and not parallel:
            return  # OrderedReady waits for a terminating pod
        for i in range(desired):
            pod = pods.get(i)
            if pod is not None and _phase(pod) in ("Failed", "Succeeded"):
                self._delete_sts_pod(sts, pod, claims=False)
                pods.pop(i, None)
                pod = None
            if pod is None:
                created = self._create_sts_pod(sts, i, revision)
                if created is not None:
                    pods[i] = created
                if not parallel:
                    return
                continue
            if not parallel and not _running_and_ready(pod):
                return  # OrderedReady: nothing more until this pod is Running and Ready
        # Scale down from the highest ordinal; OrderedReady one pod per round, once the rest are Ready.
        condemned = sorted((o for o in pods if o >= desired), reverse=True)
        when_scaled = (spec.get("persistentVolumeClaimRetentionPolicy") or {}).get("whenScaled", "Retain")
        for o in condemned:
            self._delete_sts_pod(sts, pods.pop(o), claims=when_scaled == "Delete")
            if not parallel:
                return
        strategy = spec.get("updateStrategy") or {}
        if strategy.get("type", "RollingUpdate") != "RollingUpdate":
            return
        partition = int((strategy.get("rollingUpdate") or {}).get("partition") or 0)
        for i in range(desired - 1, partition - 1, -1):
            pod = pods.get(i)
            if pod is None:
                return
            if labels_of(pod).get(STS_REVISION) != revision:
                self._delete_sts_pod(sts, pod, claims=False)
                return
            if not _running_and_ready(pod):
                return

    def _create_sts_pod(self, sts: Obj, ordinal: int, revision: str) -> Obj | None:
        spec = _spec(sts)
        name = name_of(sts)
        ns = namespace_of(sts) or ""
        pod_name = f"{name}-{ordinal}"
        template = spec.get("template") or {}
        volumes = [v for v in (template.get("spec") or {}).get("volumes") or []]
        for vct in spec.get("volumeClaimTemplates") or []:
            claim_name = f"{name_of(vct)}-{pod_name}"
            missing = self._world.get(("PersistentVolumeClaim", ns, claim_name)) is None
            if missing and self._create_claim(sts, vct, claim_name) is not None:
                message = f"create Claim {claim_name} Pod {pod_name} in StatefulSet {name} success"
                self._event(sts, "Normal", "SuccessfulCreate", message, "statefulset-controller")
            volumes = [v for v in volumes if v.get("name") != name_of(vct)]
            volumes.append({"name": name_of(vct), "persistentVolumeClaim": {"claimName": claim_name}})
        overrides: Obj = {"hostname": pod_name}
        if spec.get("serviceName"):
            overrides["subdomain"] = spec["serviceName"]
        if volumes:
            overrides["volumes"] = volumes
        labels = {STS_REVISION: revision, STS_POD_NAME: pod_name, STS_POD_INDEX: str(ordinal)}
        pod = self._new_pod(sts, template, name=pod_name, labels=labels, spec=overrides)
        if pod is not None:
            message = f"create Pod {pod_name} in StatefulSet {name} successful"
            self._event(sts, "Normal", "SuccessfulCreate", message, "statefulset-controller")
        return pod

    def _create_claim(self, sts: Obj, vct: Mapping[str, Any], claim_name: str) -> Obj | None:
        """A PVC from a volumeClaimTemplate, Bound at once (modelled dynamic provisioning)."""
        spec = _spec(sts)
        vmeta = vct.get("metadata") or {}
        vspec = clone(vct.get("spec") or {})
        vspec.setdefault("volumeMode", "Filesystem")
        meta: Obj = {
            "name": claim_name,
            "namespace": namespace_of(sts),
            "labels": {**(vmeta.get("labels") or {}), **((spec.get("selector") or {}).get("matchLabels") or {})},
            "annotations": {
                **(vmeta.get("annotations") or {}),
                "pv.kubernetes.io/bind-completed": "yes",
                "pv.kubernetes.io/bound-by-controller": "yes",
                MODELLED: "true",
            },
        }
        if (spec.get("persistentVolumeClaimRetentionPolicy") or {}).get("whenDeleted") == "Delete":
            meta["ownerReferences"] = [owner_reference(sts)]
        storage = ((vspec.get("resources") or {}).get("requests") or {}).get("storage")
        status: Obj = {"phase": "Bound", "accessModes": list(vspec.get("accessModes") or ["ReadWriteOnce"])}
        if storage:
            status["capacity"] = {"storage": storage}
        claim = self._create(
            {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta, "spec": vspec, "status": status}
        )
        if claim is None:
            return None
        claim = clone(claim)
        claim["spec"]["volumeName"] = f"pvc-{_uid(claim)}"  # the name a dynamic provisioner gives the volume
        return self._update(claim)

    def _delete_sts_pod(self, sts: Obj, pod: Obj, claims: bool) -> None:
        self._delete(pod)
        message = f"delete Pod {name_of(pod)} in StatefulSet {name_of(sts)} successful"
        self._event(sts, "Normal", "SuccessfulDelete", message, "statefulset-controller")
        if claims:
            ns = namespace_of(sts) or ""
            for vct in _spec(sts).get("volumeClaimTemplates") or []:
                claim = self._world.get(("PersistentVolumeClaim", ns, f"{name_of(vct)}-{name_of(pod)}"))
                if claim is not None:
                    self._delete(claim)

    def _statefulset_status(self, sts: Obj) -> None:
        spec = _spec(sts)
        name = name_of(sts)
        update_revision = f"{name}-{template_hash(spec.get('template') or {})}"
        pods = [
            p for p in self._world.children(sts, "Pod") if _ordinal(name, name_of(p)) is not None and not _deleting(p)
        ]
        min_ready = int(spec.get("minReadySeconds") or 0)
        old = _status(sts)
        current_revision = old.get("currentRevision") or update_revision
        replicas = len(pods)
        ready = sum(_running_and_ready(p) for p in pods)
        updated = sum(labels_of(p).get(STS_REVISION) == update_revision for p in pods)
        current = sum(labels_of(p).get(STS_REVISION) == current_revision for p in pods)
        if updated == replicas and ready == replicas:
            current_revision, current = update_revision, updated
        st: Obj = {
            "observedGeneration": int(_meta(sts).get("generation") or 1),
            "replicas": replicas,
            "readyReplicas": ready,
            "currentReplicas": current,
            "updatedReplicas": updated,
            "currentRevision": current_revision,
            "updateRevision": update_revision,
            "collisionCount": 0,
            "availableReplicas": sum(_available(p, min_ready, self._now) for p in pods),
        }
        self._write_status(sts, _omit_zero(st, "readyReplicas", "currentReplicas", "updatedReplicas"))

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
            MODELLED: "true",
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


def _ordinal(set_name: str, pod_name: str) -> int | None:
    prefix = f"{set_name}-"
    if pod_name.startswith(prefix) and pod_name[len(prefix) :].isdigit():
        return int(pod_name[len(prefix) :])
    return None


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
