"""The trace's vocabulary: stages, healths, a TraceNode, a request kind, and when a node's trouble began."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kratix_lab.errors import Forbidden, UnknownKind, UsageError
from kratix_lab.kube.health import DEGRADED, HEALTHY, MISSING, PROGRESSING, SUSPENDED, UNKNOWN, worst
from kratix_lab.sources import Source
from kratix_lab.trace.manifests import CommitManifests

KRATIX = "platform.kratix.io"
ARGO = "argoproj.io"
STAGES = ("request", "pipeline", "work", "placement", "commit", "sync", "object", "helm", "workload", "pod")
STAGE_TITLES = {
    "request": "request",
    "pipeline": "pipeline run",
    "work": "Work",
    "placement": "WorkPlacement",
    "commit": "state-repo commit",
    "sync": "Argo CD sync",
    "object": "live object",
    "helm": "Helm release (Argo CD)",
    "workload": "workload",
    "pod": "pod",
}
HEALTHS = (HEALTHY, PROGRESSING, DEGRADED, MISSING, SUSPENDED, UNKNOWN)
# What a live source raises for a kind the identity may not read (403) or the cluster does not serve
# (404 on the kind): that node becomes Unknown with the reason, never Missing, and the trace goes on.
UNREADABLE = (Forbidden, UnknownKind)


# Condition types whose ``True`` is the trouble (every other type is in trouble when ``False``): a Job's
# ``Failed``, a Deployment's ``ReplicaFailure``, kstatus' ``Stalled``; Argo CD's ``*Error``/``*Warning``
# conditions carry no status at all — being there is the trouble.
TROUBLE_WHEN_TRUE = ("Failed", "ReplicaFailure", "Stalled")


def _in_trouble(c: dict[str, Any]) -> bool:
    ctype = str(c.get("type", ""))
    if "status" not in c:
        return ctype.endswith(("Error", "Warning"))
    return c.get("status") == ("True" if ctype in TROUBLE_WHEN_TRUE else "False")


def went_bad(obj: dict[str, Any] | None, *types: str) -> str | None:
    """When ``obj``'s trouble began, as its conditions say: the lastTransitionTime of the condition that went
    bad — of ``types`` when given, else of any — the earliest of those still bad (a problem began with its first
    symptom). None when no bad condition has a time.

    A lastTransitionTime moves only when the condition's status flips (kubernetes/apimachinery
    pkg/api/meta/conditions.go:25-68 ``SetStatusCondition``, commit eed236ce; the lab's
    ``model.objects.set_condition`` does the same), so it is when the problem began, not the last reconcile."""
    times = [
        str(c["lastTransitionTime"])
        for c in ((obj or {}).get("status") or {}).get("conditions") or []
        if isinstance(c, dict)
        and (not types or c.get("type") in types)
        and _in_trouble(c)
        and c.get("lastTransitionTime")
    ]
    return min(times) if times else None  # RFC 3339 in UTC sorts as time does


def unreadable(kind: str, name: str, namespace: str | None, stage: str, error: Exception) -> TraceNode:
    return TraceNode(kind, name, namespace, stage, UNKNOWN, str(error), evidence={"error": str(error)})


class TraceError(UsageError, LookupError):
    """The reference cannot be traced (unknown kind); the message says why."""


@dataclass
class TraceNode:
    kind: str
    name: str
    namespace: str | None
    stage: str
    health: str
    message: str = ""
    since: int | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    children: list[TraceNode] = field(default_factory=list)
    # a commit node's files, each parsed once, for diagnose's commit rules (only when they came from the state
    # repo); not part of what a node says: never shown, serialised or compared
    manifests: CommitManifests | None = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (a fleet's worker process sends its diagnoses back) without ``manifests``: a commit's parsed
        files are for the rules, which ran where the trace was made; nothing shown, serialised or compared reads
        them (and they are most of a diagnosis's size)."""
        return {**self.__dict__, "manifests": None}

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}" if self.namespace else f"{self.kind}/{self.name}"

    def walk(self, depth: int = 0) -> Iterator[tuple[TraceNode, int]]:
        """Every node of the tree from this one, parents before their children, children in order, with its depth
        (a stack, not nested generators: a fleet's rows walk each of their sixty-odd nodes twice, each row)."""
        stack = [(self, depth)]
        while stack:
            node, d = stack.pop()
            yield node, d
            if node.children:
                stack.extend([(c, d + 1) for c in reversed(node.children)])

    def worst(self) -> str:
        return worst([n.health for n, _ in self.walk()])


@dataclass(frozen=True)
class RequestKind:
    kind: str
    group: str
    promise: str


def resolve(source: Source, kind: str) -> RequestKind:
    """A request kind as typed (kind, plural, singular, short name or ``plural.group``, any case) → its
    CRD kind, group and Promise, through the source's kind registry."""
    known = sorted(p.crd.kind for p in source.promises() if p.crd)
    try:
        info = source.kinds().resolve(kind)
    except UnknownKind:
        info = None
    if info is not None:
        for p in source.promises():
            if p.crd and (p.crd.group, p.crd.kind) == (info.group, info.kind):
                return RequestKind(p.crd.kind, p.crd.group, p.name)
    raise TraceError(f'no installed Promise serves kind "{kind}" (known: {", ".join(known)})')


def _trouble_below(node: TraceNode, otherwise: int | None) -> int | None:
    """When the trouble of ``node``'s children began (the earliest ``since`` of those not Healthy), else
    ``otherwise``: the time of a node whose own status has none (a StatefulSet without conditions, whose pod
    crashes)."""
    times = [c.since for c in node.children if c.health != HEALTHY and c.since is not None]
    return min(times) if times else otherwise
