"""What a diagnosis says: a Finding (what, where, since when, the fix), the Verdict and the Diagnosis; fixes
worded for the source's mode (lab or live)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kratix_lab.kube.health import HEALTHY
from kratix_lab.kube.times import ago, rfc3339
from kratix_lab.sources import Source
from kratix_lab.trace import TraceNode


@dataclass
class Finding:
    id: str
    severity: str  # error | warning
    stage: str
    object: str
    message: str
    fix: str
    since: int | None = None
    depth: int = 0
    evidence: dict[str, Any] = field(default_factory=dict)
    objects: list[str] = field(default_factory=list)  # every object a merged finding covers (``object`` is the first)
    keys: str = ""  # the fix as the dashboard does it, naming its keys ("press `l` …, then `r` …"); "" = ``fix``

    def covers(self, ref: str) -> bool:
        """Whether this finding is about the object ``ref`` (one of a merged finding's objects)."""
        return ref == self.object or ref in self.objects


@dataclass(frozen=True)
class Verdict:
    """A verdict in parts, so its duration is computed when it is shown: ``lead`` (``stuck at WorkPlacement``),
    ``since`` (when the problem began, lab seconds; None: no time to give) and ``rest`` (``: <reason> → <fix>``)."""

    lead: str
    since: int | None = None
    rest: str = ""

    def text(self, now: int | None = None) -> str:
        """``<lead> since <RFC 3339> (<duration at now>)<rest>``; without ``now``, the timestamp only (JSON,
        Markdown: text that stays true whenever it is read)."""
        if self.since is None:
            return self.lead + self.rest
        when = f" since {rfc3339(self.since)}" + (f" ({ago(self.since, now)})" if now is not None else "")
        return self.lead + when + self.rest

    @property
    def summary(self) -> str:
        """The verdict without its time: a fleet row's MESSAGE, beside the row's own SINCE column."""
        return self.lead + self.rest


@dataclass
class Diagnosis:
    ref: str
    trace: TraceNode
    findings: list[Finding]
    judged: Verdict
    now: int
    deleted: bool = False  # the request is gone after a clean delete (no findings, nothing left)

    @property
    def verdict(self) -> str:
        """The verdict as of the diagnosis (``now``), its duration included; ``verdict_at`` for a later moment."""
        return self.judged.text(self.now)

    def verdict_at(self, now: int) -> str:
        """The verdict with its duration as of ``now`` (the display's clock)."""
        return self.judged.text(now)

    @property
    def since(self) -> int | None:
        """When the verdict's problem began (lab seconds), or None."""
        return self.judged.since

    @property
    def healthy(self) -> bool:
        return not self.findings and self.trace.worst() == HEALTHY

    @property
    def dashboard_verdict(self) -> str:
        """The verdict as the dashboard shows it: the fix by the keys that do it when the top finding has them
        (``Finding.keys``: "press `l` …, then `r` …"), else the verdict itself (issue 17 item 6)."""
        top = self.findings[0] if self.findings else None
        if top is None or not self.verdict.endswith(f" → {top.fix}"):
            return self.verdict
        head = self.verdict[: -len(top.fix) - 3]
        if len(head) > VERDICT_HEAD:  # the reason gives way, the fix stays whole: a few lines at 80 columns
            head = head[: VERDICT_HEAD - 1].rstrip() + "…"
        return f"{head} → {top.keys or top.fix}"


VERDICT_HEAD = 200  # characters of "stuck at … since …: reason" the dashboard keeps before the fix


def _cmd_ref(node: TraceNode) -> str:
    ns = f" -n {node.namespace}" if node.namespace else ""
    return f"{node.kind.lower()}/{node.name}{ns}"  # KIND/NAME: the form every command takes (issue 10)


def mode(source: Source) -> str:
    """``lab`` or ``live``: where the user is, so a fix names commands that work there (issue 17 item 6). A source
    says so by its ``mode`` attribute (``LiveSource``: live); any other is the lab."""
    return "live" if getattr(source, "mode", "lab") == "live" else "lab"


def fix_for(source: Source, *, lab: str, live: str) -> str:
    """The fix as the user runs it: ``kratix-lab …`` commands in the lab, kubectl/git/argocd commands live."""
    return live if mode(source) == "live" else lab


def _gitops_file_fix(s: Source) -> str:
    """How to fix or remove a file in the gitops repo that Argo CD cannot read, where the user is."""
    return fix_for(
        s,
        lab="fix or remove the file the error names in the gitops repo (`kratix-lab validate FILE` shows the problem; "
        "`kratix-lab submit FILE` commits a fixed request, `kratix-lab delete KIND/NAME` removes one), then "
        "`kratix-lab settle`",
        live="fix or remove the file the error names in the gitops repo (`kratix-lab validate FILE` shows the "
        "problem), then `git commit` and `git push`",
    )
