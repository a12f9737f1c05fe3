"""The fleet: one row per vCluster (stage reached, health, since when, verdict) and its summary."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kratix_lab.diagnose.engine import diagnose
from kratix_lab.diagnose.model import Diagnosis
from kratix_lab.kube.health import DEGRADED, HEALTHY, MISSING, PROGRESSING
from kratix_lab.kube.registry import PrinterColumn, column_text
from kratix_lab.model import namespace_of
from kratix_lab.sources import Source, list_containing
from kratix_lab.trace import UNREADABLE, RequestKind, declared_requests, resolve

DELETING = "Deleting"  # a fleet row's state while its request is being deleted (not one of the trace's healths)


@dataclass
class VClusterStatus:
    """A fleet row. ``preset`` and ``k8s_version`` are the first two of the request kind's printer columns (its
    CRD's ``additionalPrinterColumns``: Preset and K8s for the VClusterOrchestrator); ``columns`` names them."""

    name: str
    namespace: str
    preset: str
    k8s_version: str
    stage: str
    health: str
    since: int | None  # when the row's problem began (its verdict's since); shown as a duration at display time
    message: str  # the verdict without its time (``Verdict.summary``): never a duration that goes stale
    columns: tuple[str, ...] = ()  # the printer columns' names the two values come from (``fleet_columns``)


def fleet_columns(source: Source, rk: RequestKind) -> tuple[PrinterColumn, ...]:
    """The request kind's printer columns a fleet row shows: its CRD's ``additionalPrinterColumns`` of priority 0
    that are not dates (SINCE says when), the first two — never a field path written here, so another request
    kind (a ``VClusterOrchestratorV2``) lists what its own CRD says."""
    info = source.kinds().get(rk.group, rk.kind)
    cols = info.printer_columns if info is not None else ()
    return tuple(c for c in cols if c.priority == 0 and c.type != "date")[:2]


def fleet(source: Source, kind: str = "VClusterOrchestrator") -> list[VClusterStatus]:
    """Every vCluster with the stage its road reached, its health, since when, and the verdict.

    The fleet is the cluster's requests and the ones Argo CD lists from git without a live object (issue 17
    item 1: a request committed but never applied is a row, stuck where Argo CD should apply it). Each row is
    ``fleet_row``; ``kratix_lab.fleet.rows.FleetRows`` keeps them and recomputes only the rows a change reaches."""
    rk = resolve(source, kind)
    columns = fleet_columns(source, rk)
    rows = [fleet_row(source, rk, columns, ns, name, obj)[0] for ns, name, obj in fleet_members(source, rk)]
    rows.sort(key=lambda r: (r.namespace, r.name))
    return rows


def fleet_members(source: Source, rk: RequestKind) -> list[tuple[str, str, dict[str, Any] | None]]:
    """The fleet's rows as ``(namespace, name, the request or None)``: the cluster's requests, then the ones an Argo
    CD Application lists from git that are not in the cluster (None), each once."""
    objects = source.list(rk.kind, group=rk.group)
    out: list[tuple[str, str, dict[str, Any] | None]] = [
        (namespace_of(o) or "", o["metadata"]["name"], o) for o in objects
    ]
    live = {(ns, name) for ns, name, _ in out}
    for _, entry in FleetMembers.declared_by(source, rk):
        key = _entry_key(entry)
        if key not in live:
            live.add(key)
            out.append((*key, None))
    return out


class FleetMembers:
    """The fleet's members (``fleet_members``: the cluster's requests, then the ones an Application lists from git)
    kept from one change to the next (issue 15): ``whole`` reads every request and Application; ``changed`` reads
    again only the requests and Applications that changed. A thousand vClusters' Applications change at every
    step of the lab (Argo CD syncs); listing them all and walking each one's resources at every refresh was 40-150
    ms of each change's time in the dashboard's fleet worker."""

    def __init__(self) -> None:
        self.live: set[tuple[str, str]] = set()  # the cluster's requests
        self.declared: dict[str, list[tuple[str, str]]] = {}  # an Application (argocd) -> the requests it lists

    def whole(self, source: Source, rk: RequestKind) -> dict[tuple[str, str], bool]:
        """Every member, read afresh: (namespace, name) -> whether the request is in the cluster."""
        self.live = {(namespace_of(o) or "", o["metadata"]["name"]) for o in source.list(rk.kind, group=rk.group)}
        self.declared = {}
        for app, entry in self.declared_by(source, rk):
            self.declared.setdefault(app["metadata"]["name"], []).append(_entry_key(entry))
        return self._members()

    def changed(
        self, source: Source, rk: RequestKind, keys: Iterable[tuple[str, str, str]]
    ) -> dict[tuple[str, str], bool]:
        """The members after the objects at ``keys`` ((kind, namespace, name)) changed: those of the request kind
        and the Applications in argocd read again, the rest as they were."""
        for kind, ns, name in keys:
            if kind == rk.kind:
                if source.get(rk.kind, name, ns or None, rk.group) is None:
                    self.live.discard((ns, name))
                else:
                    self.live.add((ns, name))
            elif kind == "Application" and ns == "argocd":
                listed = [_entry_key(entry) for _, entry in self.declared_by(source, rk, name)]
                if listed:
                    self.declared[name] = listed
                else:
                    self.declared.pop(name, None)
        return self._members()

    def _members(self) -> dict[tuple[str, str], bool]:
        members = dict.fromkeys(self.live, True)
        for listed in self.declared.values():
            for key in listed:
                members.setdefault(key, False)
        return members

    @staticmethod
    def declared_by(
        source: Source, rk: RequestKind, name: str | None = None
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """The requests the Applications in argocd list from git, with the Application (``name``: that one only;
        none when Applications cannot be read — live mode without the right to: the cluster's requests only)."""
        try:
            if name is None:  # (only an Application whose JSON names the kind may list one: ``list_containing``)
                apps = list_containing(source, "Application", "argocd", "argoproj.io", (rk.kind,))
            else:
                app = source.get("Application", name, "argocd", "argoproj.io")
                apps = [] if app is None else [app]
        except UNREADABLE:
            return []
        return declared_requests(apps, rk)


def _entry_key(entry: dict[str, Any]) -> tuple[str, str]:
    return (entry.get("namespace") or "", str(entry.get("name")))


def fleet_row(
    source: Source,
    rk: RequestKind,
    columns: tuple[PrinterColumn, ...],
    namespace: str,
    name: str,
    obj: dict[str, Any] | None,
    *,
    healthy_logs: bool = True,
) -> tuple[VClusterStatus, Diagnosis]:
    """One fleet row and the diagnosis it comes from: the request ``obj`` (None: in git, not in the cluster).
    ``healthy_logs=False`` when the diagnosis is not kept: the row is the same, the pods and logs of the pipeline
    runs that succeeded are not read (``trace``)."""
    names = tuple(c.name for c in columns)
    if obj is None:
        return _git_only_row(source, rk, namespace, name, names, healthy_logs)
    meta = obj["metadata"]
    cells = [column_text(obj, c) for c in columns] + ["", ""]
    d = diagnose(source, rk.kind, meta["name"], meta.get("namespace"), healthy_logs=healthy_logs)
    if d.findings:
        top = d.findings[0]
        stage, health, since = top.stage, DEGRADED if top.severity == "error" else PROGRESSING, top.since
    else:
        pending = [(n, depth) for n, depth in d.trace.walk() if n.health != HEALTHY]
        if pending:
            node = max(pending, key=lambda nd: nd[1])[0]
            stage, health, since = node.stage, node.health, node.since
        else:
            stage, health, since = "pod", HEALTHY, d.trace.since
    if meta.get("deletionTimestamp") and health != DEGRADED:
        # being deleted (its delete pipeline, finalizers, pruning): say so, not "Progressing" (issue 17.11)
        health, since = DELETING, source.timestamp(meta["deletionTimestamp"])
    row = VClusterStatus(
        meta["name"], meta.get("namespace") or "", cells[0], cells[1], stage, health, since, d.judged.summary, names
    )
    return row, d


def _git_only_row(
    source: Source,
    rk: RequestKind,
    namespace: str,
    name: str,
    columns: tuple[str, ...] = (),
    healthy_logs: bool = True,
) -> tuple[VClusterStatus, Diagnosis]:
    """A request in git that is not in the cluster: its stage and health are the Application's that should apply
    it (the request itself has no preset or version to show but what git holds, which the seam does not read)."""
    d = diagnose(source, rk.kind, name, namespace or None, healthy_logs=healthy_logs)
    top = d.findings[0] if d.findings else None
    stage = top.stage if top else "request"
    health = MISSING if top is None else DEGRADED if top.severity == "error" else PROGRESSING
    row = VClusterStatus(name, namespace, "", "", stage, health, top.since if top else None, d.judged.summary, columns)
    return row, d


SUMMARY_ORDER = (HEALTHY, DEGRADED, PROGRESSING, DELETING, MISSING)


def fleet_summary(rows: list[VClusterStatus]) -> str:
    """One line counting the fleet by health, e.g. ``30 vClusters: 27 Healthy, 1 Degraded, 2 Progressing`` (the last
    line of ``status`` and ``diagnose --all``)."""
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.health] = counts.get(r.health, 0) + 1
    order = [*SUMMARY_ORDER, *sorted(set(counts) - set(SUMMARY_ORDER))]
    parts = [f"{counts[h]} {h}" for h in order if counts.get(h)]
    noun = "vCluster" if len(rows) == 1 else "vClusters"
    return f"{len(rows)} {noun}: {', '.join(parts)}" if parts else f"0 {noun}"


def all_healthy(rows: list[VClusterStatus]) -> bool:
    """Whether every vCluster is Healthy (``status`` and ``diagnose --all`` exit 1 otherwise, so CI can gate on them)."""
    return all(r.health == HEALTHY for r in rows)
