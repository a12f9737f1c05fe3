"""What one node of a trace holds, as text for a side pane, a notebook or a report: the object's
YAML, its status (conditions and events), its pipeline logs, the state-repo files it came from or
wrote with the commit's diff, and the findings about it with their fixes.

Everything is read through a Source, so a live cluster answers the same way as the lab.
"""

from __future__ import annotations

import difflib
from typing import Any

from kratix_lab.diagnose import Diagnosis, Finding
from kratix_lab.kube.times import ago, rfc3339
from kratix_lab.model import dump
from kratix_lab.sources import Source
from kratix_lab.trace import STAGE_TITLES, TraceNode
from kratix_lab.views.kube_view import conditions_table, events_table
from kratix_lab.views.trace_view import finding_text

# Trace nodes that stand for no stored object (a git commit, the Helm source) or an unknown one.
_NOT_OBJECTS = {"Commit", "HelmRelease", "File"}
_EVIDENCE_HIDDEN = {"conditions", "logTail", "values", "pipelines"}


def stands_for_object(node: TraceNode) -> bool:
    """Does the node name a stored object (not a commit, a Helm source, or an unknown Application)?"""
    return node.kind not in _NOT_OBJECTS and node.name not in ("", "?")


def node_object(source: Source, node: TraceNode) -> dict[str, Any] | None:
    """The stored object a trace node stands for, or None (commits, Helm sources, missing objects)."""
    if not stands_for_object(node):
        return None
    return source.get(node.kind, node.name, node.namespace)


def node_yaml(source: Source, node: TraceNode) -> str:
    """The object's YAML; for a node without an object, what the trace knows of it."""
    obj = node_object(source, node)
    if obj is not None:
        return dump(obj)
    if node.kind == "HelmRelease":
        return dump({"chart": node.evidence.get("chart"), "version": node.evidence.get("version"), **node.evidence})
    return dump({"kind": node.kind, "name": node.name, "namespace": node.namespace, "evidence": node.evidence})


def node_status_text(source: Source, node: TraceNode, now: int) -> str:
    """Health, full message, since when, the evidence, the conditions table and the object's events."""
    since = f"{rfc3339(node.since)} ({ago(node.since, now)} ago)" if node.since is not None else "-"
    lines = [
        f"{node.ref}",
        f"stage:   {STAGE_TITLES.get(node.stage, node.stage)}",
        f"health:  {node.health}",
        f"since:   {since}",
        f"message: {node.message}",
    ]
    evidence = {k: v for k, v in node.evidence.items() if k not in _EVIDENCE_HIDDEN and v not in (None, [], {}, "")}
    if evidence:
        lines += ["", "evidence:"] + ["  " + line for line in dump(evidence).splitlines()]
    obj = node_object(source, node)
    if obj is not None:
        conds = conditions_table(obj, now)
        lines += ["", "conditions:"]
        lines += ["  " + line for line in conds.plain().splitlines()] if conds.rows else ["  <none>"]
        events = source.events(obj)
        lines += ["", "events:"]
        if events:
            lines += ["  " + line for line in events_table(events, now, show_namespace=False).plain().splitlines()]
        else:
            lines.append("  <none>")
    elif node.evidence.get("conditions"):
        conds = conditions_table({"status": {"conditions": node.evidence["conditions"]}}, now)
        lines += ["", "conditions:", *("  " + line for line in conds.plain().splitlines())]
    return "\n".join(lines) + "\n"


def node_logs(source: Source, node: TraceNode) -> str:
    """Logs of the node's pods: a pipeline run's, a request's pipeline runs (newest last), a pod's,
    or a workload's pods. Empty when the node has no pods."""
    pods: list[dict[str, Any]] = []
    if node.stage == "pipeline":
        pods = source.list("Pod", node.namespace, {"job-name": node.name})
    elif node.stage == "request":
        for run in (c for c in node.children if c.stage == "pipeline"):
            pods += source.list("Pod", run.namespace, {"job-name": run.name})
    elif node.stage == "pod":
        pod = source.get("Pod", node.name, node.namespace)
        pods = [pod] if pod is not None else []
    elif node.stage == "workload":
        for c in node.children:
            pod = source.get("Pod", c.name, c.namespace) if c.stage == "pod" else None
            if pod is not None:
                pods.append(pod)
    pods.sort(key=lambda p: (p["metadata"].get("creationTimestamp", ""), p["metadata"]["name"]))
    parts = []
    for p in pods:
        text = source.logs(p)
        header = f"==> {p['metadata']['name']} <==\n" if len(pods) > 1 else ""
        parts.append(header + (text if text.endswith("\n") or not text else text + "\n"))
    return "".join(parts)


def files_diff(old: dict[str, bytes], new: dict[str, bytes]) -> str:
    """``git diff`` of two sets of files (``{path: content}``): unified hunks with git's headers."""
    out: list[str] = []
    for path in sorted(set(old) | set(new)):
        a, b = old.get(path), new.get(path)
        if a == b:
            continue
        out.append(f"diff --git a/{path} b/{path}")
        if a is None:
            out.append("new file")
        elif b is None:
            out.append("deleted file")
        a_lines = (a or b"").decode("utf-8", "replace").splitlines()
        b_lines = (b or b"").decode("utf-8", "replace").splitlines()
        out += difflib.unified_diff(
            a_lines,
            b_lines,
            f"a/{path}" if a is not None else "/dev/null",
            f"b/{path}" if b is not None else "/dev/null",
            lineterm="",
        )
    return "\n".join(out) + ("\n" if out else "")


def commit_diff(source: Source, sha: str, path: str) -> str:
    """What a state-repo commit changed under ``path`` (against its first parent)."""
    info = source.state_commit(sha)
    if info is None:
        return ""
    before = source.state_files(path, info.parents[0]) if info.parents else {}
    return files_diff(before, source.state_files(path, sha))


def _commit_nodes(node: TraceNode) -> list[TraceNode]:
    """Commit nodes in ``node``'s own part of the tree (not inside the sub-requests it rendered)."""
    if node.stage == "commit":
        return [node]
    found = []
    for c in node.children:
        if c.stage != "request":
            found += _commit_nodes(c)
    return found


def node_repo_text(source: Source, node: TraceNode, ancestors: list[TraceNode] | None = None) -> str:
    """The state-repo side of a node: each commit it wrote (or, for a synced object, the commit its
    file came from), the files under the placement's path and the commit's diff. Empty when the node
    has no part in the state repo."""
    commits = _commit_nodes(node)
    only_file = node.evidence.get("file") if node.stage in ("object", "request") and ancestors else None
    if not commits and ancestors:
        commits = [a for a in reversed(ancestors) if a.stage == "commit"][:1]
    out = []
    for c in commits:
        sha, path = c.evidence.get("sha", ""), c.evidence.get("path", "")
        info = source.state_commit(sha)
        if info is None:
            out.append(f"commit {sha}: not in the state repo\n")
            continue
        files = source.state_files(path, sha)
        if only_file:
            files = {k: v for k, v in files.items() if k == only_file}
        diff = commit_diff(source, sha, path)
        if only_file:
            diff = _only(diff, only_file)
        lines = [f"commit {info.sha}", f"Author: {info.author}", f"Date:   {info.date}", ""]
        lines += [f"    {line}" for line in info.message.splitlines()]
        lines += ["", f"files under {path}/:" if not only_file else "file:"]
        lines += [f"    {f.removeprefix(path + '/') if not only_file else f}" for f in sorted(files)] or ["    <none>"]
        lines += ["", "diff:" if diff else "diff: <no change under this path>"]
        text = "\n".join(lines) + "\n" + diff
        for f in sorted(files):  # the files the diff does not show whole
            if f"\nnew file\n--- /dev/null\n+++ b/{f}\n" not in "\n" + diff:
                text += f"\n--- {f} at {info.sha[:8]} ---\n" + files[f].decode("utf-8", "replace")
        out.append(text)
    return "\n".join(out)


def _only(diff: str, path: str) -> str:
    """The part of a ``files_diff`` about one file."""
    blocks = diff.split("diff --git ")
    keep = [b for b in blocks if b.startswith(f"a/{path} b/{path}")]
    return "".join("diff --git " + b for b in keep)


def node_findings(diagnosis: Diagnosis, node: TraceNode, *, is_root: bool = False) -> list[Finding]:
    """The findings about this node (every finding for the root of the trace)."""
    if is_root:
        return list(diagnosis.findings)
    return [f for f in diagnosis.findings if f.covers(node.ref)]


def node_findings_text(diagnosis: Diagnosis, node: TraceNode, *, is_root: bool = False, now: int | None = None) -> str:
    """The findings about ``node``, durations as of ``now`` (the display's clock; default: the diagnosis's)."""
    now = diagnosis.now if now is None else now
    found = node_findings(diagnosis, node, is_root=is_root)
    if not found:
        return f"no findings about {node.ref}\n" if not is_root else f"{diagnosis.verdict_at(now)}\n\nno findings\n"
    head = [diagnosis.verdict_at(now), ""] if is_root else []
    return "\n".join(head + [finding_text(f, i, now) for i, f in enumerate(found, 1)]) + "\n"
