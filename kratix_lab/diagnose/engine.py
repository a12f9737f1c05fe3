"""The engine: runs the rules over a request's trace (in order; symptoms below a blocking cause are dropped), merges
and ranks the findings, and words the verdict."""

from __future__ import annotations

from dataclasses import replace

from kratix_lab.diagnose.leftovers import leftovers
from kratix_lab.diagnose.model import Diagnosis, Finding, Verdict
from kratix_lab.diagnose.rules import rules_for
from kratix_lab.kube.health import HEALTHY, MISSING, PROGRESSING
from kratix_lab.kube.times import rfc3339
from kratix_lab.sources import Source
from kratix_lab.trace import STAGE_TITLES, UNREADABLE, TraceNode, resolve, trace
from kratix_lab.words import kinds

# ---- the diagnosis ---------------------------------------------------------------------------

BLOCKING = {"commit-not-synced", "sync-failed", "statestore-write-failed", "work-unscheduled"}
SYMPTOMS = {"request-missing", "object-missing"}


def diagnose(
    source: Source, kind: str, name: str, namespace: str | None = None, *, healthy_logs: bool = True
) -> Diagnosis:
    root = trace(source, kind, name, namespace, healthy_logs=healthy_logs)
    now = source.now()
    findings: list[Finding] = []

    # every node, depth first in the children's order (a stack, not a nested function calling itself: that is a
    # cycle, and the garbage of a fleet's every row would wait for the cyclic collector)
    todo: list[tuple[TraceNode, list[TraceNode], int, bool]] = [(root, [], 0, False)]
    while todo:
        node, parents, depth, blocked = todo.pop()
        for rule_id, fn in rules_for(node.stage):  # the rules that look at this stage, in order
            if blocked and rule_id in SYMPTOMS:
                continue  # missing objects below an unapplied commit are its symptoms, not causes
            try:
                found = list(fn(source, node, parents, depth))
            except UNREADABLE:  # live mode: what the rule reads is forbidden or not served (the trace says so)
                continue
            if found:  # (most rules find nothing: a fleet's rows run 150,000 of them)
                findings.extend(found)
                blocked = blocked or any(f.id in BLOCKING for f in found)
        todo.extend((c, [*parents, node], depth + 1, blocked) for c in reversed(node.children))
    if root.health == MISSING:
        left = leftovers(source, resolve(source, kind).promise, name)
        gone = _deleted_at(source, root)
        if gone is not None and not left:
            # a clean delete is an outcome, not a failure: the delete pipeline ran and nothing is left
            verdict_text = (
                f"deleted: {root.ref} is gone (its delete pipeline completed at {rfc3339(gone)}) "
                "and nothing labelled with it is left"
            )
            return Diagnosis(root.ref, root, [], Verdict(verdict_text), now, deleted=True)
        if left:  # it existed and was deleted: what it left behind is the problem, not its absence (issue 17.12)
            findings = [
                f
                for f in findings
                if not (
                    f.id == "request-missing" and f.object == root.ref and "; Argo CD application " not in f.message
                )
            ]
        findings.extend(left)
        if any(f.id in BLOCKING for f in findings):
            # in git, not applied: the Application that does not apply it is the cause (issue 17 item 1)
            findings = [f for f in findings if not (f.id == "request-missing" and f.object == root.ref)]
        elif not left and findings and findings[0].id == "request-missing":
            findings[0].message += "; nothing labelled with it is left in the cluster"
    seen: set[tuple[str, str]] = set()
    unique = []
    for f in findings:
        if (f.id, f.object) not in seen:
            seen.add((f.id, f.object))
            unique.append(f)
    unique = merge_siblings(unique)
    unique.sort(key=lambda f: (f.severity != "error", -f.depth))
    return Diagnosis(root.ref, root, unique, verdict(root, unique), now)


def unknown_request(source: Source, d: Diagnosis) -> str | None:
    """The NotFound message for a request that is nowhere — not in the cluster, not among the objects an Argo CD
    Application manages (git), with no events and nothing labelled with its name — with the closest names of
    that kind ("did you mean media?"); None when the request is known somewhere (issue 17 item 8: a typo in
    ``trace vco/medai`` is NotFound, not a Missing tree).

    Argo CD lists every object of its source in ``status.resources``, applied or not (argo-cd
    controller/state.go, ``CompareAppState``: a desired object without a live one is OutOfSync), so a request
    committed but never applied, or refused, is known there."""
    root = d.trace
    if root.stage != "request" or root.health != MISSING or d.deleted or d.findings[1:]:
        return None  # present, gone after a delete, or leaving leftovers behind
    if "; Argo CD application " in root.message:
        return None  # an Application failed to apply it or cannot read the file holding it
    names: set[str] = set()
    try:
        if source.events({"kind": root.kind, "metadata": {"name": root.name, "namespace": root.namespace}}):
            return None
        apps = source.list("Application", "argocd", group="argoproj.io")
        names |= {o["metadata"]["name"] for o in source.list(root.kind, group=resolve(source, root.kind).group)}
    except UNREADABLE:
        return None  # live mode without the rights to tell: the trace says what it could not read
    for app in apps:
        for r in (app.get("status") or {}).get("resources") or []:
            if r.get("kind") != root.kind:
                continue
            if r.get("name") == root.name and root.namespace in (None, r.get("namespace")):
                return None
            names.add(str(r.get("name")))
    where = f" in namespace {root.namespace}" if root.namespace else ""
    close = _close_names(root.name, names)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    return (
        f'{root.kind} "{root.name}" not found{where}: not in the cluster, not in any Argo CD Application\'s '
        f"source, no events{hint}"
    )


def _close_names(name: str, names: set[str]) -> list[str]:
    import difflib

    return difflib.get_close_matches(name, sorted(names), n=2, cutoff=0.6)


def merge_siblings(findings: list[Finding]) -> list[Finding]:
    """Identical findings — same rule, severity, stage and fix — on several objects are one finding listing the
    objects (issue 17 item 9): ``8 WorkPlacements: misplaced: …`` when the messages are the same too, else the
    count, the first message and how many others differ (``7 Pods: CrashLoopBackOff … (and 6 other messages like it)``;
    ``evidence["messages"]`` has them all): a verdict stays a few lines at 80 columns. The reader sees the problem and
    its fix once, and how far it reaches. ``objects`` and ``evidence["objects"]`` hold
    every object; ``since`` is the earliest."""
    groups: dict[tuple[str, ...], list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.id, f.severity, f.stage, f.fix), []).append(f)
    out = []
    for group in groups.values():
        first = group[0]
        if len(group) == 1:
            out.append(first)
            continue
        refs = [f.object for f in group]
        kind_set = {r.split("/", 1)[0] for r in refs}
        count = kinds(len(group), kind_set.pop() if len(kind_set) == 1 else "object")
        messages = list(dict.fromkeys(f.message for f in group))
        out.append(
            replace(
                first,
                message=f"{count}: {messages[0]}"
                + (f" (and {kinds(len(messages) - 1, 'other message')} like it)" if len(messages) > 1 else ""),
                since=min((f.since for f in group if f.since is not None), default=None),
                depth=max(f.depth for f in group),
                evidence={**first.evidence, "objects": refs, **({"messages": messages} if len(messages) > 1 else {})},
                objects=refs,
            )
        )
    return out


def _deleted_at(source: Source, root: TraceNode) -> int | None:
    """When a missing request's delete pipeline completed (from the events it left behind), else None."""
    try:
        events = source.events({"kind": root.kind, "metadata": {"name": root.name, "namespace": root.namespace}})
    except UNREADABLE:
        return None
    done = [e for e in events if e.get("reason") == "DeleteWorkflowCompleted"]
    if not done:
        return None
    return source.timestamp(done[-1].get("lastTimestamp") or done[-1].get("firstTimestamp"))


LEFTOVERS_SHOWN = 4


def verdict(root: TraceNode, findings: list[Finding]) -> Verdict:
    """Where the request is: the top finding (``stuck at``), else the deepest node not Healthy (``in progress
    at``), else ``healthy``; its ``since`` is that finding's or node's."""
    if findings and all(f.id == "leftovers-after-delete" for f in findings):
        refs = [o for f in findings for o in (f.objects or [f.object])]
        shown = ", ".join(refs[:LEFTOVERS_SHOWN]) + (
            f", and {len(refs) - LEFTOVERS_SHOWN} more" if len(refs) > LEFTOVERS_SHOWN else ""
        )
        fixes = list(dict.fromkeys(f.fix for f in findings))
        fix = fixes[0] if len(fixes) == 1 else f"{fixes[0]}; and {len(fixes) - 1} more (each finding names its own)"
        return Verdict(f"deleted, but {kinds(len(refs), 'object')} labelled with it remain ({shown}) → {fix}")
    if findings:
        top = findings[0]
        return Verdict(f"stuck at {STAGE_TITLES.get(top.stage, top.stage)}", top.since, f": {top.message} → {top.fix}")
    worst_node = max(((n, d) for n, d in root.walk() if n.health != HEALTHY), key=lambda nd: nd[1], default=None)
    if worst_node is None:
        return Verdict(f"healthy: {root.ref} is Healthy at every stage")
    node, _ = worst_node
    state = "in progress" if node.health == PROGRESSING else node.health
    return Verdict(
        f"{state} at {STAGE_TITLES.get(node.stage, node.stage)}", node.since, f": {node.ref}: {node.message}"
    )
