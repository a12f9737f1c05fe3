"""What every stretch of the road shares: the source, simulated time, when a node's trouble began, the Argo CD
Applications and the state stores (each read once per trace)."""

from __future__ import annotations

from typing import Any

from kratix_lab.pipeline.contract import state_store_base
from kratix_lab.sources import Source
from kratix_lab.trace.manifests import CommitManifests
from kratix_lab.trace.node import ARGO, KRATIX, UNREADABLE, RequestKind, TraceNode, went_bad


class _TracerBase:
    """One trace's state and the helpers every stretch reads through."""

    def __init__(self, source: Source, max_depth: int, healthy_logs: bool = True):
        self.s = source
        self.max_depth = max_depth
        self.healthy_logs = healthy_logs  # read the pods and log tail of a pipeline run that succeeded (``trace``)
        self._apps: list[dict[str, Any]] | None = None
        self._apps_error: Exception | None = None
        self._stores: dict[str, dict[str, Any]] | None = None
        self._manifests: dict[tuple[str, str], CommitManifests] = {}
        self._kinds = {(p.crd.group, p.crd.kind): p.name for p in source.promises() if p.crd}

    # ---- helpers -----------------------------------------------------------------------

    def ts(self, text: str | None) -> int | None:
        return self.s.timestamp(text)

    def problem_since(self, obj: dict[str, Any] | None, *types: str, also: dict[str, Any] | None = None) -> int | None:
        """When the trouble of ``obj`` began — a trace node's ``since`` when it is not Healthy (issue 17 item 5):
        1. the lastTransitionTime of its condition that went bad (``went_bad``; of ``types`` when given);
        2. else that of ``also``, the object that reports it (a misplaced WorkPlacement: its Work's ``Ready``);
        3. else the first Warning event of the failure (after the object's last Normal event; an event
           aggregated with a count keeps its firstTimestamp);
        4. else the object's creation — only when nothing better exists.
        None for no object."""
        if obj is None:
            return None
        for holder in (obj, also):
            when = went_bad(holder, *types)
            if when:
                return self.ts(when)
        try:
            events = self.s.events(obj)
        except UNREADABLE:
            events = []
        last_normal = max((e.get("lastTimestamp") or "" for e in events if e.get("type") != "Warning"), default="")
        failure = [
            e.get("firstTimestamp") or e.get("lastTimestamp") or ""
            for e in events
            if e.get("type") == "Warning" and (e.get("lastTimestamp") or "") >= last_normal
        ]
        first = min((t for t in failure if t), default=None)
        return self.ts(first or obj["metadata"].get("creationTimestamp"))

    def apps(self) -> list[dict[str, Any]]:
        if self._apps is None:
            try:
                self._apps = self.s.list("Application", "argocd", group=ARGO)
            except UNREADABLE as e:
                self._apps, self._apps_error = [], e
        return self._apps

    def state_store_url(self, destination: str) -> tuple[str | None, str]:
        if self._stores is None:
            self._stores = {g["metadata"]["name"]: g for g in self.s.list("GitStateStore", group=KRATIX)}
        dest = self.s.get("Destination", destination, group=KRATIX)
        if dest is None:
            return None, ""
        gss = self._stores.get(((dest.get("spec") or {}).get("stateStoreRef") or {}).get("name", ""))
        if gss is None:
            return None, ""
        base = state_store_base((gss.get("spec") or {}).get("path", ""), dest["spec"].get("path", ""))
        return (gss.get("spec") or {}).get("url"), base

    def manifests(self, sha: str, path: str) -> CommitManifests:
        """The state repo's files under ``path`` at commit ``sha``, read and parsed once per trace."""
        files = self._manifests.get((sha, path))
        if files is None:
            files = self._manifests[(sha, path)] = CommitManifests(self.s.state_files(path, sha))
        return files

    def request(self, rk: RequestKind, name: str, namespace: str | None, depth: int) -> TraceNode:
        """Trace a request (the Kratix stretch, ``trace.kratix``): a live object that is a sub-request recurses
        into it from the state-repo stretch."""
        raise NotImplementedError
