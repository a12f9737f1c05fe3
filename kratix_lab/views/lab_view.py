"""Views of the embedded lab: kubectl-like tables, describe, events, status, faults, steps and the
git history of the state and gitops repositories.

Every function returns plain data (a ``TableData``, a dict, a string) or a rich renderable, so the
CLI, the notebooks and the dashboard show the lab the same way. Nothing here writes to the lab.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text

from kratix_lab.errors import UnknownKind
from kratix_lab.kube.times import human_duration
from kratix_lab.model import GVK, get_condition, namespace_of
from kratix_lab.views.kube_view import (  # noqa: F401 (kube-generic printers, re-exported for lab_view callers)
    NONE,
    TableData,
    _cond,
    _images,
    _labels,
    _last_seen,
    _pod_restarts,
    _short,
    age,
    as_list,
    conditions_table,
    events_table,
    kind_columns,
    object_name,
    parse_selector,
    pod_ready,
    pod_status,
    request_columns,
    workload_ready,
)

if TYPE_CHECKING:
    from kratix_lab.platform.faults import Fault
    from kratix_lab.platform.gitrepo import Commit
    from kratix_lab.platform.lab import Lab, StepResult


# ---- tables ------------------------------------------------------------------------------------


# ---- time ----------------------------------------------------------------------------------------


# ---- kinds --------------------------------------------------------------------------------------


class UnknownKindError(UnknownKind):
    """The lab serves no resource type by that name."""


@dataclass(frozen=True)
class Kind:
    """A resource type resolved from what a user typed (kind, plural, singular or short name)."""

    kind: str
    group: str | None  # None: the lab knows the kind only from objects of any group
    namespaced: bool
    plural: str
    promise: str | None = None  # the Promise serving it when it is a Kratix request

    @property
    def resource(self) -> str:
        """``plural[.group]``, as the API server names a resource in its messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def not_found(self, name: str) -> str:
        return f'Error from server (NotFound): {self.resource} "{name}" not found'


def resolve_kind(lab: Lab, text: str) -> Kind:
    """``text`` (``pods``, ``po``, ``VClusterOrchestrator``, ``applications.argoproj.io`` …) → Kind.

    The lab's kind registry resolves it (``kratix_lab.kube.registry``: built-in, upstream and
    Promise-served kinds, by kind, plural, singular, short name or ``plural.group``) — the one resolver:
    the lab's admission refuses any other kind, so none is stored. Raises UnknownKindError.
    """
    if not text.strip():
        raise UnknownKindError(f'the server doesn\'t have a resource type "{text}"')
    try:
        info = lab.kinds().resolve(text)
    except UnknownKind as e:
        raise UnknownKindError(str(e)) from None
    promise = None
    if not info.builtin:
        promise = next(
            (p.name for p in lab.promises() if p.crd and (p.crd.group, p.crd.kind) == (info.group, info.kind)), None
        )
    return Kind(info.kind, info.group, info.namespaced, info.plural, promise)


def promise_of(lab: Lab, obj: dict[str, Any]) -> str | None:
    """The name of the Promise serving ``obj``'s kind, or None when it is not a Kratix request."""
    gvk = GVK.of(obj)
    for p in lab.promises():
        if p.crd is not None and (p.crd.group, p.crd.kind) == (gvk.group, gvk.kind):
            return p.name
    return None


# ---- get ------------------------------------------------------------------------------------------


def _columns(lab: Lab, obj: dict[str, Any], now: int, wide: bool) -> tuple[list[str], list[str]]:
    """(headers, cells) after NAMESPACE and NAME for one object: a Kratix request's printer columns, else its kind's
    (``kube_view.kind_columns``)."""
    if lab.crd_for(obj) is not None:  # a Kratix request: the printer columns Kratix adds to its CRD
        return request_columns(obj, now, wide, lambda: promise_of(lab, obj))
    return kind_columns(obj, now, wide)


def get_table(
    lab: Lab, objs: list[dict[str, Any]], *, show_namespace: bool, wide: bool = False, kind_prefix: bool = False
) -> TableData:
    """``kubectl get`` for objects of one kind: NAMESPACE (optional), NAME, then the kind's columns.

    ``kind_prefix`` names objects ``kind[.group]/name``, as kubectl does when listing several kinds.
    """
    now = lab.store.now_seconds()
    headers: list[str] = ["AGE"]
    rows = []
    for obj in objs:
        h, c = _columns(lab, obj, now, wide)
        headers = h
        name = object_name(obj) if kind_prefix else obj["metadata"]["name"]
        rows.append(([namespace_of(obj) or ""] if show_namespace else []) + [name, *c])
    return TableData((["NAMESPACE"] if show_namespace else []) + ["NAME", *headers], rows)


# ---- describe -------------------------------------------------------------------------------------

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_LONG = 512


_TITLES = {"uid": "UID", "ip": "IP", "url": "URL"}


def _title(key: str) -> str:
    """``targetNamespace`` → ``Target Namespace`` (kubectl describe's rendering of field names)."""
    if key in _TITLES:
        return _TITLES[key]
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", key):
        return key
    return " ".join(w[:1].upper() + w[1:] for w in _CAMEL.split(key))


def _scalar(value: Any) -> str:
    if value is None or value == {} or value == []:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    s = str(value)
    if len(s) > _LONG and "\n" not in s:
        return f"{s[:80]}… ({len(s)} characters)"
    return s


def _nested(v: Any) -> bool:
    return (isinstance(v, dict | list) and bool(v)) or (isinstance(v, str) and "\n" in v)


def _fields(value: Any, indent: int, lines: list[str]) -> None:
    """Nested fields as kubectl describe prints them: titled keys, values aligned per block."""
    pad = "  " * indent
    if isinstance(value, dict):
        _entries(value, pad, "", indent, lines)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                _entries(item, pad, "- ", indent, lines)
            elif isinstance(item, list):
                lines.append(f"{pad}-")
                _fields(item, indent + 1, lines)
            else:
                lines.append(f"{pad}{_scalar(item)}")
    else:
        lines.append(f"{pad}{_scalar(value)}")


def _entries(mapping: dict[str, Any], pad: str, marker: str, indent: int, lines: list[str]) -> None:
    width = max((len(_title(str(k))) + 1 for k, v in mapping.items() if not _nested(v)), default=0)
    child = indent + (2 if marker else 1)
    for i, (k, v) in enumerate(mapping.items()):
        lead = pad + (marker if i == 0 else " " * len(marker))
        title = _title(str(k)) + ":"
        if isinstance(v, dict | list) and v:
            lines.append(f"{lead}{title}")
            _fields(v, child, lines)
        elif isinstance(v, str) and "\n" in v:
            lines.append(f"{lead}{title}")
            text = v if len(v) <= 4 * _LONG else v[: 4 * _LONG] + f"\n… ({len(v)} characters)"
            lines.extend(f"{'  ' * child}{line}" for line in text.splitlines())
        else:
            lines.append(f"{lead}{title:<{width}}  {_scalar(v)}".rstrip())


def _map_lines(label: str, mapping: dict[str, Any], width: int, sep: str = "=") -> list[str]:
    if not mapping:
        return [f"{label:<{width}}{NONE}"]
    return [f"{(label if i == 0 else ''):<{width}}{k}{sep}{_scalar(v)}" for i, (k, v) in enumerate(mapping.items())]


def _event_source(e: dict[str, Any]) -> str:
    """The FROM column: the lab's events name their source; core/v1 Events carry ``source.component``."""
    src = e.get("source")
    return str(src.get("component", "")) if isinstance(src, dict) else str(src or "")


def describe_text(lab: Lab, obj: dict[str, Any]) -> str:
    """``kubectl describe``: metadata, spec, status, a conditions table and the object's events."""
    now = lab.store.now_seconds()
    m = obj.get("metadata") or {}
    w = 14
    lines = [f"{'Name:':<{w}}{m.get('name', '')}"]
    if m.get("namespace"):
        lines.append(f"{'Namespace:':<{w}}{m['namespace']}")
    lines += _map_lines("Labels:", m.get("labels") or {}, w)
    lines += _map_lines("Annotations:", m.get("annotations") or {}, w, ": ")
    lines += [f"{'API Version:':<{w}}{obj.get('apiVersion', '')}", f"{'Kind:':<{w}}{obj.get('kind', '')}"]
    crd = lab.crd_for(obj)
    if crd is not None:
        lines.append(f"{'Promise:':<{w}}{promise_of(lab, obj)}")
    created = m.get("creationTimestamp")
    meta_rest = {
        "creationTimestamp": f"{created} ({age(created, now)} ago)" if created else None,
        "deletionTimestamp": m.get("deletionTimestamp"),
        "finalizers": m.get("finalizers"),
        "generation": m.get("generation"),
        "ownerReferences": [f"{o.get('kind')}/{o.get('name')}" for o in m.get("ownerReferences") or []] or None,
        "resourceVersion": m.get("resourceVersion"),
        "uid": m.get("uid"),
    }
    lines.append("Metadata:")
    _fields({k: v for k, v in meta_rest.items() if v is not None}, 1, lines)
    for key in [k for k in obj if k not in ("apiVersion", "kind", "metadata", "status")]:
        value = obj[key]
        if isinstance(value, dict | list) and value:
            lines.append(f"{_title(key)}:")
            _fields(value, 1, lines)
        else:
            lines.append(f"{_title(key)}:  {_scalar(value)}")
    status = {k: v for k, v in (obj.get("status") or {}).items() if k != "conditions"}
    if status:
        lines.append("Status:")
        _fields(status, 1, lines)
    conds = conditions_table(obj, now)
    if conds.rows:
        lines.append("Conditions:")
        lines += ["  " + line for line in conds.plain().splitlines()]
    events = lab.store.events(obj.get("kind"), m.get("name"), m.get("namespace") or "")
    if events:
        lines.append("Events:")
        t = TableData(
            ["Type", "Reason", "Age", "From", "Message"],
            [[e["type"], e["reason"], _last_seen(e, now), _event_source(e), e["message"]] for e in events],
        )
        t.rows.insert(0, ["-" * len(h) for h in t.headers])
        lines += ["  " + line for line in t.plain().splitlines()]
    else:
        lines.append(f"{'Events:':<{w}}{NONE}")
    return "\n".join(lines) + "\n"


# ---- events ---------------------------------------------------------------------------------------


# ---- lab status -----------------------------------------------------------------------------------


def status_data(lab: Lab) -> dict[str, Any]:
    """What the lab holds, JSON-ready: time, requests by kind, Argo CD apps, faults, repo heads."""
    requests = []
    for p in lab.promises():
        if p.crd is None:
            continue
        objs = lab.store.list(p.crd.kind, group=p.crd.group)
        reconciled = sum(1 for o in objs if (get_condition(o, "Reconciled") or {}).get("status") == "True")
        requests.append({"kind": p.crd.kind, "promise": p.name, "total": len(objs), "reconciled": reconciled})
    apps = []
    for app in lab.store.list("Application", group="argoproj.io"):
        st = app.get("status") or {}
        apps.append(
            {
                "name": app["metadata"]["name"],
                "namespace": namespace_of(app),
                "sync": (st.get("sync") or {}).get("status", "Unknown"),
                "health": (st.get("health") or {}).get("status", "Unknown"),
                "revision": (st.get("sync") or {}).get("revision"),
            }
        )

    def head(repo: Any) -> dict[str, Any] | None:
        sha = repo.head()
        if sha is None:
            return None
        c = repo.show(sha)
        return {"sha": sha, "subject": c.message.splitlines()[0] if c.message else "", "date": c.date}

    now = lab.store.now_seconds()
    return {
        "lab": str(lab.path),
        "time": lab.store.now(),
        "elapsed": human_duration(now),
        "requests": requests,
        "applications": apps,
        "faults": lab.faults.active(),
        "stateRepo": head(lab.state_remote),
        "gitopsRepo": head(lab.gitops_repo),
    }


def status_text(data: dict[str, Any]) -> str:
    """``status_data`` as text: labelled lines, and the requests and Argo CD apps as tables."""

    def line(label: str, value: str) -> str:
        return f"{label + ':':<18}{value}"

    def head(h: dict[str, Any] | None) -> str:
        return f"{_short(h['sha'])} {h['subject']}" if h else "<no commits>"

    reqs = TableData(
        ["KIND", "PROMISE", "REQUESTS", "RECONCILED"],
        [[r["kind"], r["promise"], str(r["total"]), str(r["reconciled"])] for r in data["requests"]],
    )
    apps = TableData(
        ["NAME", "SYNC STATUS", "HEALTH STATUS", "REVISION"],
        [[a["name"], a["sync"], a["health"], _short(a["revision"])] for a in data["applications"]],
    )
    faults = data["faults"]
    lines = [
        line("lab", data["lab"]),
        line("simulated time", f"{data['time']} ({data['elapsed']} since the lab started)"),
        "requests:",
        *("  " + r for r in reqs.plain().splitlines()),
        "Argo CD applications:",
        *(("  " + a for a in apps.plain().splitlines()) if apps.rows else ["  <none>"]),
        line(
            "active faults", ", ".join(f"{n} ({_params(p)})" if _params(p) else n for n, p in faults.items()) or "none"
        ),
        line("state repo head", head(data["stateRepo"])),
        line("gitops repo head", head(data["gitopsRepo"])),
    ]
    return "\n".join(lines) + "\n"


def _params(p: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in p.items() if k != "restore")


# ---- faults ---------------------------------------------------------------------------------------


def faults_table(available: list[Fault], active: dict[str, dict[str, Any]]) -> TableData:
    rows = []
    for f in available:
        params = (
            ", ".join(
                f"{k}={v}" if v != "" else f"{k} (required)" if k in f.required else f"{k} (optional)"
                for k, v in f.params.items()
            )
            or NONE
        )
        state = f"active ({_params(active[f.name])})" if f.name in active else "-"
        rows.append([f.name, state, f.summary, params])
    return TableData(["NAME", "ACTIVE", "SUMMARY", "PARAMS (defaults)"], rows)


def faults_data(available: list[Fault], active: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "name": f.name,
            "summary": f.summary,
            "symptom": f.symptom,
            "params": dict(f.params),
            "required": list(f.required),
            "active": f.name in active,
            "activeParams": {k: v for k, v in active.get(f.name, {}).items() if k != "restore"} or None,
        }
        for f in available
    ]


# ---- stepping -------------------------------------------------------------------------------------


def steps_table(results: list[StepResult], first: int = 1) -> TableData:
    """One row per controller round: the time reached and the writes each controller made. A round skipped (no
    controller ran: nothing written since a quiet round, nothing due) shows "-" for each and "skipped" as its
    total."""
    controllers = next((list(r.writes) for r in results if not r.skipped), [])
    rows = [
        [str(first + i), r.time, *("-" for _ in controllers), "skipped"]
        if r.skipped
        else [str(first + i), r.time, *(str(r.writes.get(c, 0)) for c in controllers), str(r.total)]
        for i, r in enumerate(results)
    ]
    return TableData(["STEP", "TIME", *(c.upper() for c in controllers), "TOTAL"], rows)


# ---- repositories ---------------------------------------------------------------------------------


def _date(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso


def commit_rows(commits: list[Commit]) -> list[dict[str, Any]]:
    return [
        {
            "sha": c.sha,
            "short": c.sha[:7],
            "date": _date(c.date),
            "author": c.author,
            "subject": c.message.splitlines()[0] if c.message else "",
            "files": list(c.files),
        }
        for c in commits
    ]


def repo_log_text(commits: list[Commit], files: bool = True) -> str:
    """``git log --name-only``, one line per commit and its files indented below."""
    out = []
    for r in commit_rows(commits):
        out.append(f"{r['short']}  {r['date']}  {r['author']}  {r['subject']}")
        if files:
            out += [f"    {f}" for f in r["files"]]
    return "\n".join(out) + ("\n" if out else "")


def repo_log_rich(commits: list[Commit], files: bool = True) -> Text:
    """``repo_log_text`` with colour: short SHA yellow, subject bold, files dim."""
    t = Text()
    for r in commit_rows(commits):
        t.append(r["short"], style="yellow")
        t.append(f"  {r['date']}  {r['author']}  ")
        t.append(r["subject"], style="bold")
        t.append("\n")
        if files:
            for f in r["files"]:
                t.append(f"    {f}\n", style="dim")
    t.rstrip()
    return t


def commit_text(c: Commit) -> str:
    """``git show --name-only`` without the diff: header, message, changed files."""
    lines = [f"commit {c.sha}", f"Author: {c.author}", f"Date:   {_date(c.date)}", ""]
    lines += [f"    {line}" for line in c.message.splitlines()]
    lines += ["", f"{len(c.files)} file{'s' if len(c.files) != 1 else ''} changed:"]
    lines += [f"    {f}" for f in c.files]
    return "\n".join(lines) + "\n"
