"""What every workload reconciler shares: the round's state, counted writes, events, and pod creation and binding."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kratix_lab.model import MODELLED_ANNOTATION, clone, labels_of, matches_selector, name_of, namespace_of
from kratix_lab.platform.controller import Context
from kratix_lab.platform.store import Conflict, Store
from kratix_lab.platform.workloads.kubelet import _Crash, _crash_for, _PodRun, initial_pod_status
from kratix_lab.platform.workloads.objects import (
    _IP_COUNTER,
    _KINDS,
    NODE_NAME,
    Obj,
    _created,
    _deleting,
    _generated_name,
    _key,
    _phase,
    _spec,
    _uid,
    owner_reference,
)
from kratix_lab.platform.workloads.world import Alone, _World


class _ControllerBase:
    """One round's state and writes; the per-kind reconcilers and WorkloadsController build on it."""

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
        self._programs: dict[str, _Crash | None] = {}  # pod uid -> its program's start-up failure (kubelet)
        self._alone: Alone = {}  # the objects seen left alone, by resourceVersion (``_World``)

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
            created = self._store.create(obj, readonly=True)
        except Conflict:
            return None
        self._world.put(created)
        self._writes += 1
        return created

    def _update(self, obj: Obj, status: bool = False) -> Obj:
        before = obj["metadata"].get("resourceVersion")
        new = self._store.update(obj, status=status, readonly=True)
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
                annotations={**(tmeta.get("annotations") or {}), **(annotations or {}), MODELLED_ANNOTATION: "true"},
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
        run = _PodRun(self, pod, self._now, _crash_for(self._ctx, pod, self._programs))
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
        pod["metadata"].setdefault("annotations", {})[MODELLED_ANNOTATION] = "true"
        pod.setdefault("spec", {})["nodeName"] = self.node_name
        pod = self._update(pod)
        pod = self._update({**pod, "status": initial_pod_status(pod, _created(pod))}, status=True)
        ns, name = namespace_of(pod) or "", name_of(pod)
        self._event(
            pod, "Normal", "Scheduled", f"Successfully assigned {ns}/{name} to {self.node_name}", "default-scheduler"
        )
        return pod

    def _owned_pods(self, owner: Obj) -> list[Obj]:
        selector = _spec(owner).get("selector")
        return [p for p in self._world.children(owner, "Pod") if matches_selector(labels_of(p), selector)]
