"""Trace a request along the whole road, through any Source.

``Request → pipeline runs (logs) → Works → WorkPlacements (destination) → the state-repo commit
and its files → the Argo CD Application that syncs them (its revision against that commit) → the
live objects → sub-requests (recursively) → the Helm source and what it rendered → workloads → pods``.

Every node has one health vocabulary (Healthy, Progressing, Degraded, Missing, Suspended,
Unknown), the full message, since when, and evidence (paths, SHAs, conditions, log lines).

Where each stretch lives: ``node`` (the vocabulary: stages, healths, ``TraceNode``, ``RequestKind``, when trouble
began), ``manifests`` (a commit's files, each parsed once), ``base`` (what every stretch reads through), ``helm``
(Helm release → workloads → pods), ``gitops`` (state-repo commit → Argo CD sync → live objects) and ``kratix``
(request → pipeline runs → Works → WorkPlacements), whose ``_Tracer`` walks the whole road.
"""

from __future__ import annotations

from kratix_lab.sources import Source
from kratix_lab.trace.gitops import _norm, _sync_node, declared_requests
from kratix_lab.trace.kratix import _Tracer
from kratix_lab.trace.manifests import placement_files
from kratix_lab.trace.node import (
    ARGO,
    HEALTHS,
    KRATIX,
    STAGE_TITLES,
    STAGES,
    TROUBLE_WHEN_TRUE,
    UNREADABLE,
    RequestKind,
    TraceError,
    TraceNode,
    _in_trouble,
    _trouble_below,
    resolve,
    unreadable,
    went_bad,
)

__all__ = [
    "ARGO",
    "HEALTHS",
    "KRATIX",
    "STAGES",
    "STAGE_TITLES",
    "TROUBLE_WHEN_TRUE",
    "UNREADABLE",
    "RequestKind",
    "TraceError",
    "TraceNode",
    "_Tracer",
    "_in_trouble",
    "_norm",
    "_sync_node",
    "_trouble_below",
    "declared_requests",
    "placement_files",
    "resolve",
    "trace",
    "unreadable",
    "went_bad",
]


def trace(
    source: Source,
    kind: str,
    name: str,
    namespace: str | None = None,
    *,
    max_depth: int = 3,
    healthy_logs: bool = True,
) -> TraceNode:
    """The road of one request, as a tree of TraceNodes (sub-requests traced up to ``max_depth``).
    ``healthy_logs=False``: the pods and log tail of a pipeline run that succeeded are not read (its evidence
    ``pods`` and ``logTail`` are empty, its ``container`` None) — a fleet row never shows them (only a failed run's
    rule reads its pods), and live every log is a request to the API server."""
    rk = resolve(source, kind)
    return _Tracer(source, max_depth, healthy_logs).request(rk, name, namespace, 0)
