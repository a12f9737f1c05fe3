"""The last stretch of the road: the Helm release an Argo CD Application renders, its workloads and their pods."""

from __future__ import annotations

from typing import Any

from kratix_lab.kube.health import DEGRADED, HEALTHY, UNKNOWN, assess
from kratix_lab.model import get_condition, namespace_of
from kratix_lab.trace.base import _TracerBase
from kratix_lab.trace.node import UNREADABLE, TraceNode, _trouble_below, unreadable, went_bad


class HelmStretch(_TracerBase):
    """Helm release (Argo CD) → workloads → pods."""

    def helm(self, app: dict[str, Any]) -> TraceNode:
        src = app["spec"]["source"]
        helm = src.get("helm") or {}
        st = app.get("status") or {}
        dest_ns = (app["spec"].get("destination") or {}).get("namespace")
        errors = [c for c in st.get("conditions") or [] if c.get("type", "").endswith("Error")]
        health = (st.get("health") or {}).get("status", UNKNOWN)
        msg = (
            errors[0]["message"]
            if errors
            else (
                f"chart {src['chart']} {src.get('targetRevision')} from {src.get('repoURL')}: {(st.get('sync') or {}).get('status', 'Unknown')}, "
                f"{health}"
                + (f" ({(st.get('health') or {}).get('message')})" if (st.get("health") or {}).get("message") else "")
            )
        )
        node = TraceNode(
            "HelmRelease",
            helm.get("releaseName") or app["metadata"]["name"],
            dest_ns,
            "helm",
            DEGRADED if errors else health,
            msg,
            # an error: since the condition appeared, not since the last sync
            self.ts(errors[0].get("lastTransitionTime"))
            if errors and errors[0].get("lastTransitionTime")
            else self.ts(((st.get("operationState") or {}).get("finishedAt")) or st.get("reconciledAt")),
            {
                "chart": src["chart"],
                "version": src.get("targetRevision"),
                "repoURL": src.get("repoURL"),
                "releaseName": helm.get("releaseName") or app["metadata"]["name"],
                "values": helm.get("valuesObject") or {},
                "rendered": [f"{r['kind']}/{r['name']}" for r in st.get("resources") or []],
                "notes": (st.get("summary") or {}).get("notes", []),
                "modelled": True,
            },
        )
        for r in st.get("resources") or []:
            if r["kind"] in ("StatefulSet", "Deployment", "DaemonSet"):
                node.children.append(self.workload(r["kind"], r["name"], r.get("namespace") or dest_ns))
        try:
            extras = self.s.list("Deployment", dest_ns, {"vcluster.loft.sh/managed-by": node.name}, group="apps")
        except UNREADABLE as e:
            node.children.append(unreadable("Deployment", "?", dest_ns, "workload", e))
            return node
        for extra in extras:
            node.children.append(self.workload("Deployment", extra["metadata"]["name"], dest_ns))
        if node.health != HEALTHY and not errors:
            # Argo CD times the app's health (appcontroller.go:2437-2450: it moves only when the status
            # changes); else the trouble of what it rendered; not the last sync
            when = self.ts((st.get("health") or {}).get("lastTransitionTime"))
            node.since = when if when is not None else _trouble_below(node, node.since)
        return node

    def workload(self, kind: str, name: str, ns: str | None) -> TraceNode:
        try:
            obj = self.s.get(kind, name, ns, "apps")
        except UNREADABLE as e:
            return unreadable(kind, name, ns, "workload", e)
        h = assess(obj)
        spec, st = (obj or {}).get("spec") or {}, (obj or {}).get("status") or {}
        node = TraceNode(
            kind,
            name,
            ns,
            "workload",
            h.status if h else UNKNOWN,
            (h.message if h and h.message else f"{st.get('readyReplicas', 0)}/{spec.get('replicas', 1)} ready"),
            self.ts((obj or {}).get("metadata", {}).get("creationTimestamp")),
            {"replicas": spec.get("replicas"), "readyReplicas": st.get("readyReplicas", 0)},
        )
        selector = (spec.get("selector") or {}).get("matchLabels") or {}
        if obj is not None and selector:
            try:
                pods = self.s.list("Pod", ns, selector)
            except UNREADABLE as e:
                node.children.append(unreadable("Pod", "?", ns, "pod", e))
                return node
            for pod in pods:
                node.children.append(self.pod(pod))
        if obj is not None and node.health != HEALTHY:
            # its own condition that went bad (a Deployment's Available=False); else, having none (a StatefulSet),
            # since its pods' trouble began; else its first Warning event, else its creation
            own = went_bad(obj)
            below = _trouble_below(node, None)
            node.since = self.ts(own) if own else below if below is not None else self.problem_since(obj)
        return node

    def pod(self, pod: dict[str, Any]) -> TraceNode:
        h = assess(pod)
        st = pod.get("status") or {}
        restarts = sum(c.get("restartCount", 0) for c in st.get("containerStatuses") or [])
        ready = get_condition(pod, "Ready") or {}
        last = [
            ((c.get("lastState") or {}).get("terminated") or {}).get("reason")
            for c in st.get("containerStatuses") or []
            if (c.get("lastState") or {}).get("terminated")
        ]
        return TraceNode(
            "Pod",
            pod["metadata"]["name"],
            namespace_of(pod),
            "pod",
            h.status if h else UNKNOWN,
            (h.message if h and h.message else st.get("phase", "Pending"))
            + (f" (restarts: {restarts})" if restarts else ""),
            self.ts(ready.get("lastTransitionTime") or st.get("startTime")),
            {"phase": st.get("phase"), "restarts": restarts, "lastTermination": last, "podIP": st.get("podIP")},
        )
