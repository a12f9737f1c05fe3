"""The first line of a request's detail: where the request is and, if stuck, since when, why and what to do."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from kratix_lab.diagnose import Diagnosis
from kratix_lab.views.literal import literal


def verdict_text(d: Diagnosis) -> Text:
    if d.healthy:
        style = "bold green"
    elif getattr(d, "deleted", False):  # a clean delete: gone, nothing left behind
        style = "bold"
    elif d.findings and d.findings[0].severity == "error":
        style = "bold red"
    elif d.findings:
        style = "bold yellow"
    else:
        style = "bold cyan"
    return literal(getattr(d, "dashboard_verdict", d.verdict), style=style)  # the fix by its keys (17.6)


class VerdictLine(Static):
    def show(self, d: Diagnosis) -> None:
        self.update(verdict_text(d))
