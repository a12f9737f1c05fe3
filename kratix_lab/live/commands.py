"""The read-side commands in live mode that are not trace/diagnose/status: ``logs`` and ``events``,
answered through the ``Source`` protocol the same way the lab answers them (``Lab.logs``,
``Store.events``), so a served lab prints the same lines through the API as from its directory."""

from __future__ import annotations

import builtins
from typing import Any

from kratix_lab.errors import NotFound, UsageError
from kratix_lab.kube.registry import KindInfo
from kratix_lab.live.source import LiveSource
from kratix_lab.model import namespace_of
from kratix_lab.sources.shape import SourceShape, SourceStore

WORKLOADS = ("Deployment", "StatefulSet", "ReplicaSet", "DaemonSet")


def find(source: LiveSource, info: KindInfo, name: str, namespace: str | None) -> dict[str, Any]:
    """One named object: in ``namespace`` when given, else the only one by that name in any namespace."""
    if not info.namespaced or namespace:
        obj = source.get(info.kind, name, namespace if info.namespaced else None, info.group)
        if obj is None:
            raise NotFound(info.not_found(name))
        return obj
    hits = [o for o in source.list(info.kind, None, None, info.group) if o["metadata"]["name"] == name]
    if not hits:
        raise NotFound(info.not_found(name))
    if len(hits) > 1:
        spaces = ", ".join(sorted(namespace_of(o) or "" for o in hits))
        raise UsageError(f"{info.kind} {name} exists in several namespaces ({spaces}): give -n NAMESPACE")
    return hits[0]


def _containers(pod: dict[str, Any]) -> set[str]:
    spec = pod.get("spec") or {}
    return {c.get("name") for c in (spec.get("initContainers") or []) + (spec.get("containers") or [])}


def logs(source: LiveSource, kind_text: str, name: str, namespace: str | None, container: str | None) -> str:
    """A Pod's log, a Job's or a workload's pods' logs, or a request's pipeline pods' logs (``Lab.logs``)."""
    info = source.kinds().resolve(kind_text)
    obj = find(source, info, name, namespace)
    ns = namespace_of(obj) or ""
    if obj["kind"] == "Pod":
        pods = [obj]
    elif obj["kind"] == "Job":
        pods = source.list("Pod", ns, {"job-name": name}, "")
    elif obj["kind"] in WORKLOADS:
        match = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        pods = source.list("Pod", ns, match, "") if match else []
    else:
        promise = next(
            (p.name for p in source.promises() if p.crd and (p.crd.group, p.crd.kind) == (info.group, info.kind)), None
        )
        if promise is None:
            raise UsageError(f"{info.kind} has no logs (Pods, Jobs, Deployments/StatefulSets and Kratix requests do)")
        pods = source.list("Pod", ns, {"kratix.io/resource-name": name, "kratix.io/promise-name": promise}, "")
    if container is not None:
        having = [p for p in pods if container in _containers(p)]
        if pods and not having:
            raise UsageError(f"container {container} is not valid for pod {pods[-1]['metadata']['name']}")
        pods = having
    return "".join(
        (f"==> {p['metadata']['name']} <==\n" if len(pods) > 1 else "") + source.logs(p, container=container)
        for p in pods
    )


def events(source: LiveSource, for_ref: tuple[str, str] | None, namespace: str | None) -> list[dict[str, Any]]:
    """core/v1 Events: of one object (``--for KIND/NAME``), or all in ``namespace`` (every one when None)."""
    if for_ref is not None:
        info = source.kinds().resolve(for_ref[0])
        ns = namespace if info.namespaced else None
        return source.events({"kind": info.kind, "metadata": {"name": for_ref[1], "namespace": ns}})
    return source.list("Event", namespace, None, "")


__all__ = ["events", "find", "logs"]


def selector_text(sel: dict[str, Any] | None) -> str | None:
    """A LabelSelector (``kube_view.parse_selector``'s) as a ``labelSelector`` query string."""
    if not sel:
        return None
    parts = [f"{k}={v}" for k, v in (sel.get("matchLabels") or {}).items()]
    for e in sel.get("matchExpressions") or []:
        op, key, values = e.get("operator"), e["key"], e.get("values") or []
        if op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})" if len(values) != 1 else f"{key}!={values[0]}")
        elif op == "In":
            parts.append(f"{key} in ({','.join(values)})")
    return ",".join(parts) or None


class _Store(SourceStore):
    """``SourceStore`` with the whole label selector sent to the API server (``labelSelector``)."""

    source: LiveSource

    def list(
        self,
        kind: str,
        namespace: str | None = None,
        selector: dict[str, Any] | None = None,
        group: str | None = None,
        **_: Any,
    ) -> builtins.list[dict[str, Any]]:
        info = self.source._info(kind, group)
        if not info.namespaced and namespace:
            return []
        return self.source.kube.list(info, namespace, selector_text(selector))


class LabShape(SourceShape):
    """What ``kratix_lab.views.lab_view``'s ``get``/``describe`` printers read from a lab, answered by a
    LiveSource: so ``kratix-lab get`` and ``describe`` print a cluster exactly as they print the lab."""

    def __init__(self, source: LiveSource) -> None:
        super().__init__(source)
        self.store = _Store(source)


MANUAL_RECONCILE = "kratix.io/manual-reconciliation"  # kratix api/v1alpha1/promise_types.go (Kratix removes it)


def reconcile(source: LiveSource, kind_text: str, name: str, namespace: str | None) -> dict[str, Any]:
    """Label a request for manual reconciliation with one merge patch (not GET + Update: no lost update)."""
    from kratix_lab.errors import Forbidden

    if source.read_only:
        raise Forbidden("live mode is read-only: reconcile patches the request's labels; add --write to allow writes")
    info = source.kinds().resolve(kind_text)
    obj = find(source, info, name, namespace)
    if not any(p.crd and (p.crd.group, p.crd.kind) == (info.group, info.kind) for p in source.promises()):
        raise UsageError(f"{info.kind} is not a Kratix request kind (no installed Promise serves it)")
    patch = {"metadata": {"labels": {MANUAL_RECONCILE: "true"}}}
    return source.kube.merge_patch(info, name, namespace_of(obj), patch)
