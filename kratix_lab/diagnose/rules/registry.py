"""The rule registry: each rule looks at one trace node (with its parents) and yields findings; ``RULES`` keeps
them in the order they run, and ``rules_for(stage)`` the ones that look at a node of that stage."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from kratix_lab.diagnose.model import Finding
from kratix_lab.sources import Source
from kratix_lab.trace import TraceNode

Rule = Callable[[Source, TraceNode, list[TraceNode], int], Iterator[Finding]]
RULES: list[tuple[str, Rule]] = []
STAGES: dict[Rule, frozenset[str]] = {}  # the stages a rule looks at (given to ``rule``); absent: every stage
_BY_STAGE: dict[str, list[tuple[str, Rule]]] = {}


def rule(rule_id: str, stages: tuple[str, ...] | None = None) -> Callable[[Rule], Rule]:
    """Register a rule, to run after those registered before it. ``stages``: the trace stages (``STAGES`` of
    ``kratix_lab.trace``) whose nodes it looks at — it yields nothing and reads nothing on any other node (its first
    test is on ``n.stage``; ``tests/test_diagnose.py`` tries it on every other stage), so diagnose does not call it
    there: a fleet's trace has ~60 nodes, most of them objects and pods, and twenty rules each."""

    def register(fn: Rule) -> Rule:
        RULES.append((rule_id, fn))
        if stages is not None:
            STAGES[fn] = frozenset(stages)
        _BY_STAGE.clear()
        return fn

    return register


def rules_for(stage: str) -> list[tuple[str, Rule]]:
    """The rules that look at a node of ``stage``, in their running order."""
    found = _BY_STAGE.get(stage)
    if found is None:
        found = _BY_STAGE[stage] = [(i, fn) for i, fn in RULES if fn not in STAGES or stage in STAGES[fn]]
    return found


def _request_of(parents: list[TraceNode]) -> TraceNode | None:
    return next((p for p in reversed(parents) if p.stage == "request"), None)
