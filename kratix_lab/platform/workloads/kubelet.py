"""The modelled kubelet: a pod's containers stepped through simulated time.

Containers start ``start_delay`` seconds after the pod is created and are Ready ``ready_delay``
seconds later; a Job's pod exits 0 after ``job_duration`` seconds; the ``workload-crashloop`` and
``workload-oomkilled`` faults make containers exit at once and the kubelet's back-off (immediate
first restart, then 10 s doubling to 300 s) restarts them. A container whose own program cannot start
(vCluster's ``syncer`` with a config it cannot run: ``helm.syncer.start_failure``, read from the
``vc-config-<name>`` Secret the pod mounts) runs, never Ready, for as long as that program waits, logs what it
logs and exits 1, and the same back-off restarts it.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kratix_lab.kube.times import rfc3339
from kratix_lab.model import YamlError, clone, load_one, name_of, namespace_of, set_condition
from kratix_lab.model.objects import cached_by_digest
from kratix_lab.platform.controller import Context
from kratix_lab.platform.workloads.objects import (
    _NOT_STARTED,
    BACKOFF_INITIAL,
    BACKOFF_MAX,
    FAULTS,
    HOST_IP,
    RUN_SECONDS,
    Obj,
    _annotations,
    _backoff_of,
    _container_id,
    _controller_kind,
    _created,
    _go_duration,
    _qos_class,
    _spec,
    parse_time,
)

if TYPE_CHECKING:
    from kratix_lab.platform.workloads.controller import WorkloadsController


@dataclass(frozen=True)
class _Crash:
    reason: str
    exit_code: int
    container: str | None  # None: every container of the pod
    after: int = 0  # seconds the container runs (never Ready) before it exits; 0: at once
    log: str = ""  # what it logs before exiting ("": the lab's note)


def _crash_for(ctx: Context, pod: Mapping[str, Any], programs: dict[str, _Crash | None] | None = None) -> _Crash | None:
    """The active workload fault matching this pod (namespace, and name prefix of pod or workload); else its own
    program failing at start (:func:`_program_crash`; ``programs`` remembers that per pod uid)."""
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
    if programs is None:
        return _program_crash(ctx, pod)
    uid = str((pod.get("metadata") or {}).get("uid") or "")
    if uid in programs:
        return programs[uid]
    crash = _program_crash(ctx, pod)
    mounted = _mounts_config(pod)
    if crash is not None or not mounted or ctx.store.rv("", "Secret", namespace_of(pod), mounted) is not None:
        if len(programs) > 65536:  # a long-lived lab: forget the oldest half
            for key in list(programs)[: len(programs) // 2]:
                del programs[key]
        programs[uid] = crash  # the program reads its config once, at start; a pod keeps its config
    return crash


SYNCER, VCLUSTER_CONFIG = "syncer", "vcluster-config"  # the chart's control-plane container and its config volume


def _program_crash(ctx: Context, pod: Mapping[str, Any]) -> _Crash | None:
    """vCluster's ``syncer`` container reads its config from the Secret mounted as ``vcluster-config``
    (``vc-config-<name>``, key ``config.yaml``: the chart's effective values; vcluster cmd/vcluster/cmd/start.go:68-86
    parses it at start); when vCluster cannot start with it (``helm.syncer.start_failure``) the container fails."""
    secret = _config_secret(ctx, pod) if _mounts_config(pod) else None
    config = ((secret or {}).get("data") or {}).get("config.yaml")
    return _config_crash(config) if isinstance(config, str) else None


def _mounts_config(pod: Mapping[str, Any]) -> str | None:
    """The Secret a pod running vCluster's ``syncer`` mounts as ``vcluster-config``, or None."""
    spec = _spec(pod)
    if not any(c.get("name") == SYNCER for c in spec.get("containers") or []):
        return None
    return next(
        (
            str((v.get("secret") or {}).get("secretName"))
            for v in spec.get("volumes") or []
            if v.get("name") == VCLUSTER_CONFIG and (v.get("secret") or {}).get("secretName")
        ),
        None,
    )


def _config_secret(ctx: Context, pod: Mapping[str, Any]) -> dict[str, Any] | None:
    """Not kept parsed: read once per pod (``_crash_for``'s ``programs``), the Secret's text is what is kept
    (``_config_crash``)."""
    name = _mounts_config(pod)
    return ctx.store.get("Secret", name, namespace_of(pod), "", readonly=True, keep=False) if name else None


@cached_by_digest(maxsize=1024)
def _config_crash(config_b64: str) -> _Crash | None:
    """Cached by the config's text: each new control-plane pod asks, and most share a few configs."""
    from kratix_lab.platform.helm.syncer import start_failure  # the vCluster model, loaded only for its pods

    try:
        values = load_one(base64.b64decode(config_b64).decode(), "config.yaml")
    except (ValueError, UnicodeDecodeError, YamlError):  # vCluster fails on a config it cannot parse: not modelled
        return None
    failure = start_failure(values) if isinstance(values, dict) else None
    if failure is None:
        return None
    return _Crash("Error", 1, SYNCER, failure.seconds, failure.log)


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
            crash = self._crash_of(cs.get("name", ""))
            if crash and crash.after:
                return started + crash.after  # its program gives up (never Ready until then)
            if crash:
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
        if crash and crash.after:
            self._give_up(cs, crash, started, t)
        elif crash:
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
        if fresh or not crash or crash.after:
            self._started_events(name, cs.get("image", ""))
        if crash and not crash.after:
            self._exit(cs, crash, t, t, fresh=fresh)
            return
        cs["state"] = {"running": {"startedAt": rfc3339(t)}}
        cs["started"] = True
        cs["ready"] = self.ready_delay == 0 and crash is None

    def _give_up(self, cs: Obj, crash: _Crash, started: int, t: int) -> None:
        """A container whose program gave up after ``crash.after`` seconds exits 1 at ``t``: the kubelet restarts it
        at once the first time, then after its back-off (10 s doubling to 300 s), as for a crash at start."""
        name = cs["name"]
        restarts = int(cs.get("restartCount") or 0)
        term = _terminated(cs, crash, started, t)
        self._log(cs, crash)
        cs["lastState"] = {"terminated": term}
        cs["ready"] = cs["started"] = False
        if self.policy == "Never":
            cs["state"] = {"terminated": term}
            cs.pop("lastState")
            return
        if restarts == 0:
            cs["restartCount"] = 1
            self._start(cs, t, fresh=False)
            return
        self._back_off(cs, name, min(BACKOFF_INITIAL * 2 ** (restarts - 1), BACKOFF_MAX))

    def _exit(self, cs: Obj, crash: _Crash, started: int, t: int, fresh: bool) -> None:
        """The container exits non-zero at ``t``; Never leaves it terminated, else the back-off starts."""
        name = cs["name"]
        previous = _backoff_of((cs["state"].get("waiting") or {}).get("message", "")) if not fresh else 0
        term = _terminated(cs, crash, started, t)
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
        self._back_off(cs, name, backoff)

    def _back_off(self, cs: Obj, name: str, backoff: int) -> None:
        """The container waits ``backoff`` seconds in CrashLoopBackOff, with the kubelet's BackOff event."""
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
        if crash.log:
            text = crash.log
        elif crash.reason == "OOMKilled":
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


def _terminated(cs: Mapping[str, Any], crash: _Crash, started: int, t: int) -> dict[str, Any]:
    """A container status's ``terminated`` state for ``crash`` (ran from ``started`` to ``t``)."""
    return {
        "exitCode": crash.exit_code,
        "reason": crash.reason,
        "startedAt": rfc3339(started),
        "finishedAt": rfc3339(t),
        "containerID": cs.get("containerID", ""),
    }
