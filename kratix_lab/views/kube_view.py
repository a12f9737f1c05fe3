"""Kubernetes-generic printers: kubectl's tables, pod/workload columns, conditions and events.

Nothing here knows the lab: every function takes objects (plain dicts) and the clock's ``now``, so the
CLI, the notebooks and the dashboard print a lab and a live cluster alike. ``lab_view`` builds the
lab-specific views on top of these.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.table import Table
from rich.text import Text

from kratix_lab.kube.times import human_duration, parse_time
from kratix_lab.model import GVK, get_condition, labels_of

NONE = "<none>"


@dataclass
class TableData:
    """A table as plain data: upper-case headers and rows of strings (kubectl's printer model)."""

    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def plain(self) -> str:
        """Aligned columns separated by three spaces, as kubectl prints them (nothing truncated)."""
        if not self.headers:
            return ""
        widths = [
            max(len(h), *(len(r[i]) for r in self.rows)) if self.rows else len(h) for i, h in enumerate(self.headers)
        ]
        lines = []
        for row in [self.headers, *self.rows]:
            cells = [c.ljust(w) for c, w in zip(row, widths, strict=True)]
            lines.append("   ".join(cells).rstrip())
        return "\n".join(lines) + "\n"

    def rich(self, title: str | None = None) -> Table:
        table = Table(title=title, title_justify="left", box=None, header_style="bold", pad_edge=False)
        for h in self.headers:
            table.add_column(h, overflow="fold")
        for r in self.rows:
            table.add_row(*(Text(c) for c in r))  # literal: "[a-z0-9]" or "map[string]string" is not markup
        return table

    def records(self) -> list[dict[str, str]]:
        """The rows as dicts keyed by header (for JSON, notebooks and tests)."""
        return [dict(zip(self.headers, r, strict=True)) for r in self.rows]


def age(timestamp: str | None, now: int) -> str:
    """The age of an RFC 3339 timestamp on the lab's simulated clock (``now`` in lab seconds)."""
    if not timestamp:
        return NONE
    try:
        return human_duration(now - parse_time(timestamp))
    except ValueError:
        return NONE


_SET_REQUIREMENT = re.compile(r"([^\s,!=()]+)\s+(in|notin)\s+\(([^()]*)\)")


def _requirements(text: str) -> list[str]:
    """Split a selector at the commas outside parentheses (``a in (x,y),b`` → two requirements)."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    return [*parts, cur]


def parse_selector(text: str) -> dict[str, Any]:
    """``-l`` syntax → a LabelSelector: ``k=v``, ``k==v``, ``k!=v``, ``k``, ``!k``, ``k in (a,b)``, ``k notin (a)``.

    The lab's one label-selector parser (the CLI's ``-l`` and ``kratix-lab serve``'s ``labelSelector``), the
    grammar of ``k8s.io/apimachinery/pkg/labels/selector.go`` (``Parse``); matching is
    ``model.objects.matches_selector``.
    """
    match: dict[str, str] = {}
    exprs: list[dict[str, Any]] = []
    for part in (p.strip() for p in _requirements(text)):
        if not part:
            raise ValueError(f"invalid label selector {text!r}: empty requirement")
        if m := _SET_REQUIREMENT.fullmatch(part):
            values = [v.strip() for v in m.group(3).split(",") if v.strip()]
            if not values:
                raise ValueError(f"invalid label selector {text!r}: {part!r} has no values")
            exprs.append({"key": m.group(1), "operator": "In" if m.group(2) == "in" else "NotIn", "values": values})
        elif "(" in part or ")" in part:
            raise ValueError(f"invalid label selector {text!r}: cannot parse {part!r}")
        elif "!=" in part:
            key, _, value = part.partition("!=")
            exprs.append({"key": key.strip(), "operator": "NotIn", "values": [value.strip()]})
        elif "=" in part:
            key, _, value = part.partition("==") if "==" in part else part.partition("=")
            match[key.strip()] = value.strip()
        elif part.startswith("!"):
            exprs.append({"key": part[1:].strip(), "operator": "DoesNotExist"})
        else:
            exprs.append({"key": part, "operator": "Exists"})
    for key in [*match, *(e["key"] for e in exprs)]:
        if not re.fullmatch(r"([a-z0-9.-]+/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?", key):
            raise ValueError(f"invalid label selector {text!r}: bad key {key!r}")
    sel: dict[str, Any] = {}
    if match:
        sel["matchLabels"] = match
    if exprs:
        sel["matchExpressions"] = exprs
    return sel


def object_name(obj: dict[str, Any]) -> str:
    """``-o name``: ``kind[.group]/name`` (``pod/x``, ``application.argoproj.io/media``)."""
    gvk = GVK.of(obj)
    kind = gvk.kind.lower() + (f".{gvk.group}" if gvk.group else "")
    return f"{kind}/{obj['metadata']['name']}"


def as_list(objs: list[dict[str, Any]]) -> dict[str, Any]:
    """Several objects as kubectl prints them with ``-o yaml|json``: a ``v1`` List."""
    return {"apiVersion": "v1", "kind": "List", "items": objs, "metadata": {"resourceVersion": ""}}


def _short(rev: str | None, n: int = 7) -> str:
    if not rev:
        return ""
    return rev[:n] if re.fullmatch(r"[0-9a-f]{40}", rev) else rev


def _cond(obj: dict[str, Any], ctype: str, key: str = "message") -> str:
    return str((get_condition(obj, ctype) or {}).get(key, ""))


def pod_status(pod: dict[str, Any]) -> str:
    """The STATUS column of ``kubectl get pods`` (the printer's reason logic, simplified)."""
    st = pod.get("status") or {}
    reason = st.get("reason") or st.get("phase") or "Pending"
    running = False
    init = _init_status(pod)
    if init:  # a failed or unfinished init container names the STATUS, as printPod's init loop does
        return "Terminating" if (pod.get("metadata") or {}).get("deletionTimestamp") else init
    for cs in reversed(st.get("containerStatuses") or []):
        state = cs.get("state") or {}
        if (state.get("waiting") or {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif (state.get("terminated") or {}).get("reason"):
            reason = state["terminated"]["reason"]
        elif state.get("terminated"):
            t = state["terminated"]
            reason = f"Signal:{t['signal']}" if t.get("signal") else f"ExitCode:{t.get('exitCode', 0)}"
        elif cs.get("ready") and state.get("running"):
            running = True
    if reason == "Completed" and running:
        reason = "Running"
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        reason = "Terminating"
    return reason


def _init_status(pod: dict[str, Any]) -> str:
    """``Init:<reason>`` / ``Init:ExitCode:<n>`` / ``Init:<done>/<total>`` while init containers have not
    all completed (kubernetes pkg/printers/internalversion/printers.go ``printPod``, its
    InitContainerStatuses loop; restartable sidecars are not modelled); "" once they have."""
    statuses = (pod.get("status") or {}).get("initContainerStatuses") or []
    total = len((pod.get("spec") or {}).get("initContainers") or [])
    for i, cs in enumerate(statuses):
        state = cs.get("state") or {}
        term, waiting = state.get("terminated"), state.get("waiting") or {}
        if term and term.get("exitCode", 0) == 0:
            continue
        if term:
            if term.get("reason"):
                return f"Init:{term['reason']}"
            return f"Init:Signal:{term['signal']}" if term.get("signal") else f"Init:ExitCode:{term.get('exitCode')}"
        if waiting.get("reason") and waiting["reason"] != "PodInitializing":
            return f"Init:{waiting['reason']}"
        return f"Init:{i}/{total}"
    return ""


def pod_ready(pod: dict[str, Any]) -> str:
    total = len((pod.get("spec") or {}).get("containers") or [])
    ready = sum(1 for cs in (pod.get("status") or {}).get("containerStatuses") or [] if cs.get("ready"))
    return f"{ready}/{total}"


def _pod_restarts(pod: dict[str, Any], now: int) -> str:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    restarts = sum(int(cs.get("restartCount") or 0) for cs in statuses)
    finished = [
        t for cs in statuses if (t := (((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt")))
    ]
    if restarts and finished:
        return f"{restarts} ({age(max(finished), now)} ago)"
    return str(restarts)


def workload_ready(obj: dict[str, Any]) -> str:
    want = (obj.get("spec") or {}).get("replicas", 1)
    return f"{(obj.get('status') or {}).get('readyReplicas', 0) or 0}/{want}"


def _images(obj: dict[str, Any]) -> tuple[str, str]:
    spec = (((obj.get("spec") or {}).get("template") or {}).get("spec")) or {}
    if obj.get("kind") == "CronJob":
        spec = (
            ((((obj.get("spec") or {}).get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec")
        ) or {}
    cs = spec.get("containers") or []
    return ",".join(c.get("name", "") for c in cs) or NONE, ",".join(c.get("image", "") for c in cs) or NONE


def _labels(obj: dict[str, Any]) -> str:
    labels = labels_of(obj)  # sorted by key, as kubectl formats a label set
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or NONE


# ---- columns per kind ---------------------------------------------------------------------------
# ``kubectl get``'s columns after NAMESPACE and NAME: (headers, cells), the ``-o wide`` ones appended when ``wide``.

Columns = tuple[list[str], list[str]]


def request_columns(obj: dict[str, Any], now: int, wide: bool, promise: Callable[[], str | None]) -> Columns:
    """A Kratix request: the printer columns Kratix adds to its CRD (``promise`` names its Promise, asked only
    when ``wide``)."""
    st = obj.get("status") or {}
    created = age((obj.get("metadata") or {}).get("creationTimestamp"), now)
    h = ["MESSAGE", "STATUS", "AGE"]
    c = [str(st.get("message", "")), _cond(obj, "Reconciled"), created]
    if wide:
        h += ["PROMISE", "GENERATION", "OBSERVED GENERATION"]
        c += [
            promise() or NONE,
            str(obj["metadata"].get("generation", "")),
            str(st.get("observedGeneration", NONE)),
        ]
    return h, c


def _pod_columns(
    obj: dict[str, Any], st: dict[str, Any], spec: dict[str, Any], created: str, now: int, wide: bool
) -> Columns:
    h = ["READY", "STATUS", "RESTARTS", "AGE"]
    c = [pod_ready(obj), pod_status(obj), _pod_restarts(obj, now), created]
    if wide:
        h += ["IP", "NODE"]
        c += [st.get("podIP") or NONE, spec.get("nodeName") or NONE]
    return h, c


def _workload_columns(
    obj: dict[str, Any], st: dict[str, Any], spec: dict[str, Any], created: str, now: int, wide: bool
) -> Columns:
    h, c = ["READY", "AGE"], [workload_ready(obj), created]
    if wide:
        h += ["CONTAINERS", "IMAGES"]
        c += list(_images(obj))
    return h, c


def _application_columns(
    obj: dict[str, Any], st: dict[str, Any], spec: dict[str, Any], created: str, now: int, wide: bool
) -> Columns:
    sync, health = st.get("sync") or {}, st.get("health") or {}
    # the Application CRD's printer columns: Revision and Project have priority 10 (wide only)
    # (argo-cd manifests/crds/application-crd.yaml, additionalPrinterColumns)
    h = ["SYNC STATUS", "HEALTH STATUS"]
    c = [sync.get("status", "Unknown"), health.get("status", "Unknown")]
    if wide:
        src = spec.get("source") or {}
        h += ["REVISION", "PROJECT", "SOURCE", "DESTINATION"]
        c += [
            _short(sync.get("revision")),
            spec.get("project", ""),
            f"{src.get('repoURL', '')} {src.get('chart') or src.get('path') or ''}".strip(),
            (spec.get("destination") or {}).get("namespace", ""),
        ]
    return h, c


def _work_columns(
    obj: dict[str, Any], st: dict[str, Any], spec: dict[str, Any], created: str, now: int, wide: bool
) -> Columns:
    h, c = ["STATUS"], [_cond(obj, "Ready")]
    if wide:
        h += ["PROMISE", "RESOURCE", "AGE"]
        c += [spec.get("promiseName", ""), spec.get("resourceName", ""), created]
    return h, c


def _work_placement_columns(
    obj: dict[str, Any], st: dict[str, Any], spec: dict[str, Any], created: str, now: int, wide: bool
) -> Columns:
    h, c = ["DESTINATION", "VERSION"], [spec.get("targetDestinationName", ""), _short(st.get("versionID"))]
    if wide:
        h += ["WRITE SUCCEEDED", "AGE"]
        c += [_cond(obj, "WriteSucceeded", "status"), created]
    return h, c


def _job_columns(
    obj: dict[str, Any], st: dict[str, Any], spec: dict[str, Any], created: str, now: int, wide: bool
) -> Columns:
    completions = spec.get("completions", 1)
    h, c = ["COMPLETIONS", "AGE"], [f"{st.get('succeeded', 0) or 0}/{completions}", created]
    if wide:
        start, end = st.get("startTime"), st.get("completionTime")
        duration = human_duration(parse_time(end) - parse_time(start)) if start and end else ""
        status = (
            "Failed"
            if _cond(obj, "Failed", "status") == "True"
            else "Complete"
            if _cond(obj, "Complete", "status") == "True"
            else "Running"
        )
        h += ["STATUS", "DURATION", "CONTAINERS", "IMAGES"]
        c += [status, duration, *_images(obj)]
    return h, c


def _destination_columns(
    obj: dict[str, Any], st: dict[str, Any], spec: dict[str, Any], created: str, now: int, wide: bool
) -> Columns:
    return ["LABELS", "AGE"], [_labels(obj), created]


def _namespace_columns(
    obj: dict[str, Any], st: dict[str, Any], spec: dict[str, Any], created: str, now: int, wide: bool
) -> Columns:
    return ["STATUS", "AGE"], ["Terminating" if obj["metadata"].get("deletionTimestamp") else "Active", created]


def _default_columns(
    obj: dict[str, Any], st: dict[str, Any], spec: dict[str, Any], created: str, now: int, wide: bool
) -> Columns:
    h, c = ["AGE"], [created]
    if wide:
        h.append("LABELS")
        c.append(_labels(obj))
    return h, c


KindColumns = Callable[[dict[str, Any], dict[str, Any], dict[str, Any], str, int, bool], Columns]
# kind -> its columns (obj, status, spec, its AGE, now, wide); a kind not listed shows AGE (and LABELS when wide)
KIND_COLUMNS: dict[str, KindColumns] = {
    "Pod": _pod_columns,
    "Deployment": _workload_columns,
    "StatefulSet": _workload_columns,
    "ReplicaSet": _workload_columns,
    "Application": _application_columns,
    "Work": _work_columns,
    "WorkPlacement": _work_placement_columns,
    "Job": _job_columns,
    "Destination": _destination_columns,
    "Namespace": _namespace_columns,
}


def kind_columns(obj: dict[str, Any], now: int, wide: bool) -> Columns:
    """(headers, cells) after NAMESPACE and NAME for an object that is not a Kratix request, by its kind."""
    columns = KIND_COLUMNS.get(str(obj.get("kind")), _default_columns)
    created = age((obj.get("metadata") or {}).get("creationTimestamp"), now)
    return columns(obj, obj.get("status") or {}, obj.get("spec") or {}, created, now, wide)


def conditions_table(obj: dict[str, Any], now: int) -> TableData:
    rows = [
        [
            str(c.get("type", "")),
            str(c.get("status", "")),
            str(c.get("reason", "")),
            str(c.get("message", "")),
            age(c.get("lastTransitionTime"), now),
        ]
        for c in (obj.get("status") or {}).get("conditions") or []
    ]
    return TableData(["TYPE", "STATUS", "REASON", "MESSAGE", "AGE"], rows)


def _last_seen(e: dict[str, Any], now: int) -> str:
    last = age(e["lastTimestamp"], now)
    if e.get("count", 1) > 1:
        return f"{last} (x{e['count']} over {age(e['firstTimestamp'], now)})"
    return last


def events_table(events: list[dict[str, Any]], now: int, *, show_namespace: bool) -> TableData:
    """``kubectl events``: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE (oldest first)."""
    ordered = sorted(enumerate(events), key=lambda ie: (parse_time(ie[1]["lastTimestamp"]), ie[0]))
    rows = []
    for _, e in ordered:
        inv = e["involvedObject"]
        row = [_last_seen(e, now), e["type"], e["reason"], f"{inv['kind'].lower()}/{inv['name']}", e["message"]]
        rows.append(([inv.get("namespace") or ""] if show_namespace else []) + row)
    return TableData(
        (["NAMESPACE"] if show_namespace else []) + ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"], rows
    )
