"""pytest plugin for ``make soak``: prints how many trials of each kind ran and passed.

A trial is a test of tests/robustness/ whose id's parameters start with its kind (``[settle-3]``);
other tests there count under their function name.
"""

from __future__ import annotations

import collections
import re


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for outcome in ("passed", "failed", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if "tests/robustness/" not in nodeid or getattr(report, "when", "call") not in ("call", "setup"):
                continue
            if outcome == "passed" and report.when != "call":
                continue
            m = re.search(r"\[([a-z_]+)-\d+\]$", nodeid)
            kind = m.group(1) if m else nodeid.split("::")[-1].split("[")[0]
            counts[kind][outcome] += 1
    if not counts:
        return
    terminalreporter.write_sep("=", "robustness trials per kind")
    for kind in sorted(counts):
        c = counts[kind]
        terminalreporter.write_line(
            f"{kind:70} {sum(c.values()):5} trials  {c['passed']:5} passed  {c['failed'] + c['error']:3} failed"
        )
