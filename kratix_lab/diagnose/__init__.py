"""Diagnose a request: rules over its trace produce findings, and the verdict names the stuck stage.

A finding says what is wrong, where (stage and object), since when, the evidence, and the fix —
a command or a change. Deeper failures rank first (the first failing stage is the verdict):
``stuck at <stage> since <time> (<duration>): <reason> → <fix>``.

"Since" is when the problem began (``trace``: the lastTransitionTime of the condition that went bad, or the
first event of the failure; the object's creation only when nothing better exists). It is kept as a timestamp;
the duration beside it is computed when it is shown (``Verdict.text(now)``, ``kube.times.human_duration``),
never frozen into a message: a row read a minute later says a minute more (issue 17 item 5).

Where each part lives: ``model`` (Finding, Verdict, Diagnosis; fixes worded for lab or live), ``rules/`` (one module
per stretch of the road — ``kratix``, ``gitops``, ``workloads``, ``outputs`` — on the ``registry``), ``leftovers``
(what a deleted request left), ``engine`` (``diagnose``: the rules over the trace, the verdict) and ``fleet`` (one
row per vCluster).
"""

from kratix_lab.diagnose.engine import (
    BLOCKING,
    LEFTOVERS_SHOWN,
    SYMPTOMS,
    _close_names,
    _deleted_at,
    diagnose,
    merge_siblings,
    unknown_request,
    verdict,
)
from kratix_lab.diagnose.fleet import (
    DELETING,
    SUMMARY_ORDER,
    VClusterStatus,
    _git_only_row,
    all_healthy,
    fleet,
    fleet_columns,
    fleet_members,
    fleet_row,
    fleet_summary,
)
from kratix_lab.diagnose.leftovers import TRACKING_ID, _not_pruning, _prune_fix, leftovers
from kratix_lab.diagnose.model import VERDICT_HEAD, Diagnosis, Finding, Verdict, _cmd_ref, fix_for, mode
from kratix_lab.diagnose.rules import RULES, Rule, _request_of, rule
from kratix_lab.diagnose.rules.gitops import comparison_errors, platform_findings
from kratix_lab.diagnose.rules.outputs import REQUIRED_LABELS
from kratix_lab.kube.health import DEGRADED, HEALTHY, MISSING, PROGRESSING

__all__ = [
    "BLOCKING",
    "DEGRADED",
    "DELETING",
    "HEALTHY",
    "LEFTOVERS_SHOWN",
    "MISSING",
    "PROGRESSING",
    "REQUIRED_LABELS",
    "RULES",
    "SUMMARY_ORDER",
    "SYMPTOMS",
    "TRACKING_ID",
    "VERDICT_HEAD",
    "Diagnosis",
    "Finding",
    "Rule",
    "VClusterStatus",
    "Verdict",
    "_close_names",
    "_cmd_ref",
    "_deleted_at",
    "_git_only_row",
    "_not_pruning",
    "_prune_fix",
    "_request_of",
    "all_healthy",
    "comparison_errors",
    "diagnose",
    "fix_for",
    "fleet",
    "fleet_columns",
    "fleet_members",
    "fleet_row",
    "fleet_summary",
    "leftovers",
    "merge_siblings",
    "mode",
    "platform_findings",
    "rule",
    "unknown_request",
    "verdict",
]
