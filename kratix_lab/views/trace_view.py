"""Views of traces and diagnoses shared by every front end: a rich tree, JSON, Markdown, Mermaid.

The JSON schema (``kratix-lab.trace/v1``) is stable: ``{schema, ref, verdict, healthy, findings[],
trace}`` where a trace node is ``{kind, name, namespace, stage, health, message, since, evidence,
children[]}`` and ``since`` is RFC 3339 or null. A diagnosis has ``since`` (when its verdict's problem began)
and ``now`` (when it was read), both RFC 3339: JSON carries timestamps, never durations (its ``verdict`` text
names the time, not how long ago it was), so it stays true whenever it is read.
"""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from rich.tree import Tree

from kratix_lab.diagnose import Diagnosis, Finding
from kratix_lab.kube.health import HEALTHY, ORDER
from kratix_lab.kube.times import ago, rfc3339
from kratix_lab.trace import STAGE_TITLES, TraceNode

SCHEMA = "kratix-lab.trace/v1"
HEALTH_STYLE = {
    "Healthy": "green",
    "Progressing": "cyan",
    "Degraded": "bold red",
    "Missing": "yellow",
    "Suspended": "magenta",
    "Unknown": "dim",
    "Deleting": "yellow",
}
HEALTH_MARK = {
    "Healthy": "✔",
    "Progressing": "◌",
    "Degraded": "✖",
    "Missing": "?",
    "Suspended": "‖",
    "Unknown": "·",
    "Deleting": "⌫",
}


def node_json(node: TraceNode) -> dict[str, Any]:
    return {
        "kind": node.kind,
        "name": node.name,
        "namespace": node.namespace,
        "stage": node.stage,
        "health": node.health,
        "message": node.message,
        "since": rfc3339(node.since) if node.since is not None else None,
        "evidence": node.evidence,
        "children": [node_json(c) for c in node.children],
    }


def finding_json(f: Finding) -> dict[str, Any]:
    return {
        "id": f.id,
        "severity": f.severity,
        "stage": f.stage,
        "object": f.object,
        "message": f.message,
        "fix": f.fix,
        "since": rfc3339(f.since) if f.since is not None else None,
        "evidence": f.evidence,
    }


def diagnosis_json(d: Diagnosis) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "ref": d.ref,
        "verdict": d.judged.text(),
        "since": rfc3339(d.since) if d.since is not None else None,
        "healthy": d.healthy,
        "deleted": d.deleted,
        "now": rfc3339(d.now),
        "findings": [finding_json(f) for f in d.findings],
        "trace": node_json(d.trace),
    }


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def _label(node: TraceNode, wide: bool, now: int | None) -> Text:
    health, culprit = rollup(node)
    t = Text()
    t.append(f"{HEALTH_MARK.get(health, '·')} ", style=HEALTH_STYLE.get(health, ""))
    t.append(node.ref, style="bold")
    t.append(f"  [{STAGE_TITLES.get(node.stage, node.stage)}]", style="dim")
    t.append(f"  {health}", style=HEALTH_STYLE.get(health, ""))
    if culprit is not None:
        t.append(f" below ({culprit.ref}; the request itself: {node.health})", style=HEALTH_STYLE.get(health, ""))
    if node.since is not None and now is not None and node.health != "Healthy":
        t.append(f"  for {ago(node.since, now)}", style="dim")
    message = node.message if wide or len(node.message) <= 100 else node.message[:99] + "…"
    if message:
        t.append(f"  {message}")
    if wide:
        ev = {
            k: v
            for k, v in node.evidence.items()
            if k in ("versionID", "revision", "path", "sha", "destination", "images", "chart", "version", "file")
        }
        if ev:
            t.append("  " + " ".join(f"{k}={_plain(v)}" for k, v in ev.items()), style="dim")
        for line in node.evidence.get("logTail", [])[-5:] if node.health != "Healthy" else []:
            t.append(f"\n    | {line}", style="dim")
    return t


def _plain(value: Any) -> str:
    """An evidence value as a person reads it: a list as ``a,b``, a mapping as ``k=v,…`` (never a Python repr)."""
    if isinstance(value, list | tuple):
        return ",".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k}={_plain(v)}" for k, v in value.items())
    return str(value)


def trace_tree(node: TraceNode, *, wide: bool = False, now: int | None = None) -> Tree:
    """The trace as a rich tree (messages cut at 100 characters unless ``wide``)."""
    tree = Tree(_label(node, wide, now))

    def add(parent: Tree, n: TraceNode) -> None:
        for c in n.children:
            add(parent.add(_label(c, wide, now)), c)

    add(tree, node)
    return tree


# ---- the compact trace ---------------------------------------------------------------------------
# One line per resource, as `crossplane beta trace` and `kubectl tree` print one: a healthy delivery chain
# (Work → WorkPlacement → state-repo commit → Argo CD sync) is one line, "delivered @<sha>, synced", with what
# Argo CD applied below it; a request's health rolls up what is below it. `-o wide` (and the dashboard's
# enter/space on the line) shows the whole chain.

CHAIN = ("work", "placement", "commit", "sync")  # the stages a healthy chain folds, top down


def delivery_chain(node: TraceNode) -> list[TraceNode] | None:
    """The Work → WorkPlacement → commit → Argo CD sync nodes starting at ``node`` when each is Healthy and the
    only child of the one above (one destination); None when the chain is not whole and healthy."""
    chain = [node]
    while len(chain) < len(CHAIN):
        here = chain[-1]
        if here.stage != CHAIN[len(chain) - 1] or here.health != HEALTHY or len(here.children) != 1:
            return None
        chain.append(here.children[0])
    last = chain[-1]
    return chain if last.stage == CHAIN[-1] and last.health == HEALTHY else None


def compact(
    node: TraceNode,
    expanded: frozenset[str] | set[str] = frozenset(),
    chains: dict[str, list[TraceNode]] | None = None,
) -> TraceNode:
    """A copy of the trace with each healthy delivery chain folded into its Work's node: that node keeps the
    Work's kind, name and namespace (so the Work is what a front end shows for it) and has the synced
    Application's children; ``evidence["chain"]`` lists the folded nodes. Works whose ref is in ``expanded``
    stay whole (the dashboard's enter/space on the folded line). ``chains``, when given, gets each folded
    chain's nodes by the Work's ref (a front end that needs a node's real ancestors: its commit, its sync)."""
    chain = delivery_chain(node) if node.ref not in expanded else None
    if chain is None:
        return TraceNode(
            node.kind,
            node.name,
            node.namespace,
            node.stage,
            node.health,
            node.message,
            node.since,
            node.evidence,
            [compact(c, expanded, chains) for c in node.children],
        )
    if chains is not None:
        chains[node.ref] = chain
    work, _, commit, app = chain
    sha = str(commit.evidence.get("sha") or commit.name)
    return TraceNode(
        work.kind,
        work.name,
        work.namespace,
        work.stage,
        HEALTHY,
        f"delivered @{sha[:8]}, synced by {app.name}",
        app.since,
        {**work.evidence, "chain": [n.ref for n in chain], "sha": sha, "application": app.name},
        [compact(c, expanded, chains) for c in app.children],
    )


def is_folded(node: TraceNode) -> bool:
    """Is this node a folded delivery chain (``compact``)?"""
    return bool(node.evidence.get("chain"))


def rollup(node: TraceNode) -> tuple[str, TraceNode | None]:
    """The health a request shows: its own, or the worst below it when that is worse (a Healthy orchestrator
    over a Degraded VClusterCore is Degraded) — with the first node that has it. Other nodes show their own."""
    if node.stage != "request" or not node.children:
        return node.health, None
    worst: TraceNode | None = None
    for n, _ in node.walk():
        if worst is None or ORDER.get(n.health, 0) > ORDER.get(worst.health, 0):
            worst = n
    if worst is None or worst is node or ORDER.get(worst.health, 0) <= ORDER.get(node.health, 0):
        return node.health, None
    return worst.health, worst


def compact_label(node: TraceNode, now: int | None) -> Text:
    """One resource's line: mark, kind and name first (never cut), then the health and since when (not
    Healthy), then the message — what a narrow terminal cuts."""
    health, culprit = rollup(node)
    style = HEALTH_STYLE.get(health, "")
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append(f"{HEALTH_MARK.get(health, '·')} ", style=style)
    if is_folded(node):
        t.append(node.message, style=style)
        t.append(f"  ({node.kind} {node.name})", style="dim")
        return t
    t.append(node.kind, style="bold")
    t.append(f" {node.name}")  # namespaces: -o wide (the verdict above names the root's)
    if health != HEALTHY:
        t.append(f"  {health}", style=style)
        since = culprit.since if culprit is not None else node.since
        if since is not None and now is not None:
            t.append(f" {ago(since, now)}", style="dim")
        if culprit is not None:
            t.append(f"  below: {culprit.kind} {culprit.name}: {culprit.message}")
            return t
    if node.message:
        t.append(f"  {node.message}", style="" if health != HEALTHY else "dim")
    return t


def compact_lines(node: TraceNode, *, now: int | None = None, width: int | None = None) -> list[Text]:
    """The compact trace (``compact`` first) as lines with tree guides, each cut to ``width`` (None: not cut)."""
    out: list[Text] = []

    def visit(n: TraceNode, lead: str, last: bool, depth: int) -> None:
        guide = "" if depth == 0 else lead + ("└─ " if last else "├─ ")
        line = Text(guide, style="dim", no_wrap=True, overflow="ellipsis")
        line.append_text(compact_label(n, now))
        if width is not None:
            line.truncate(width, overflow="ellipsis")
        out.append(line)
        child_lead = "" if depth == 0 else lead + ("   " if last else "│  ")
        for i, c in enumerate(n.children):
            visit(c, child_lead, i == len(n.children) - 1, depth + 1)

    visit(node, "", True, 0)
    return out


def trace_compact(node: TraceNode, *, now: int | None = None, width: int | None = None) -> Text:
    """``kratix-lab trace``'s default output: one line per resource, healthy delivery chains folded."""
    return Text("\n", no_wrap=True).join(compact_lines(compact(node), now=now, width=width))


def finding_text(f: Finding, number: int, now: int | None = None) -> str:
    """One finding: its rule, stage and object, what is wrong, the fix, and the log lines it quotes; with ``now``
    (the display's clock), how long ago its problem began."""
    when = (
        f" since {rfc3339(f.since)}" + (f" ({ago(f.since, now)})" if now is not None else "")
        if f.since is not None
        else ""
    )
    lines = [
        f"{number}. [{f.severity}] {f.id} at {STAGE_TITLES.get(f.stage, f.stage)}{when}: {f.object}",
        f"   {f.message}",
        *([f"   objects: {', '.join(f.objects)}"] if f.objects else []),  # a merged finding (diagnose.merge_siblings)
        f"   fix: {f.fix}",
    ]
    lines += [f"   | {line}" for line in f.evidence.get("logTail", [])]
    return "\n".join(lines)


def diagnosis_text(d: Diagnosis, now: int | None = None) -> str:
    """The verdict and the findings, durations as of ``now`` (the display's clock; default: the diagnosis's)."""
    now = d.now if now is None else now
    lines = [d.verdict_at(now), ""]
    if not d.findings:
        lines.append("no findings")
    lines += [finding_text(f, i, now) for i, f in enumerate(d.findings, 1)]
    return "\n".join(lines) + "\n"


def diagnosis_markdown(d: Diagnosis) -> str:
    """Markdown for an incident note: verdict, findings with fixes, and the trace as a list."""
    out = [f"# {d.ref}", "", f"**Verdict:** {d.verdict_at(d.now)}", "", f"_as of {rfc3339(d.now)}_", ""]
    if d.findings:
        out += [
            "## Findings",
            "",
            "| # | severity | rule | stage | object | what | fix |",
            "|---|---|---|---|---|---|---|",
        ]
        for i, f in enumerate(d.findings, 1):
            cells = [
                str(i),
                f.severity,
                f"`{f.id}`",
                STAGE_TITLES.get(f.stage, f.stage),
                ", ".join(f"`{o}`" for o in f.objects or [f.object]),
                f.message,
                f.fix,
            ]
            out.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
        out.append("")
    out += ["## Trace", ""]
    for node, depth in d.trace.walk():
        out.append(
            f"{'  ' * depth}- **{node.health}** `{node.ref}` ({STAGE_TITLES.get(node.stage, node.stage)}): {node.message}"
        )
    return "\n".join(out) + "\n"


def trace_mermaid(node: TraceNode) -> str:
    """A Mermaid flowchart of the trace, coloured by health."""
    lines = ["flowchart TD"]
    ids: dict[int, str] = {}

    def nid(n: TraceNode) -> str:
        if id(n) not in ids:
            ids[id(n)] = f"n{len(ids)}"
        return ids[id(n)]

    def esc(text: str) -> str:
        return text.replace('"', "'").replace("\n", " ")

    for n, _ in node.walk():
        title = esc(f"{n.kind} {n.name}")
        lines.append(
            f'  {nid(n)}["{title}<br/><small>{STAGE_TITLES.get(n.stage, n.stage)}: {n.health}</small>"]:::{n.health.lower()}'
        )
    for n, _ in node.walk():
        for c in n.children:
            lines.append(f"  {nid(n)} --> {nid(c)}")
    lines += MERMAID_HEALTH_CLASSES
    return "\n".join(lines) + "\n"


# One fill per health, for every Mermaid diagram of a road (the trace's, the cookbook's role-level one).
MERMAID_HEALTH_CLASSES = [
    "  classDef healthy fill:#e6f4ea,stroke:#2e7d32",
    "  classDef progressing fill:#e3f2fd,stroke:#1565c0",
    "  classDef degraded fill:#fdecea,stroke:#c62828",
    "  classDef missing fill:#fff8e1,stroke:#f9a825",
    "  classDef suspended fill:#f3e5f5,stroke:#6a1b9a",
    "  classDef unknown fill:#eeeeee,stroke:#616161",
]
