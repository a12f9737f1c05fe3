"""The rule registry: each rule looks at one trace node (with its parents) and yields findings; ``RULES`` keeps
them in the order they run."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from kratix_lab.diagnose.model import Finding
from kratix_lab.sources import Source
from kratix_lab.trace import TraceNode

Rule = Callable[[Source, TraceNode, list[TraceNode], int], Iterator[Finding]]
RULES: list[tuple[str, Rule]] = []


def rule(rule_id: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        RULES.append((rule_id, fn))
        return fn

    return register


def _request_of(parents: list[TraceNode]) -> TraceNode | None:
    return next((p for p in reversed(parents) if p.stage == "request"), None)
