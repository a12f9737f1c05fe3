"""Rules of the state repo + Argo CD stretch: a commit not synced, a failed sync, an invalid Application, a
comparison error (and the platform-wide findings those make)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kratix_lab.diagnose.model import Finding, _gitops_file_fix, fix_for, mode
from kratix_lab.diagnose.rules.registry import rule
from kratix_lab.kube.health import HEALTHY, MISSING
from kratix_lab.sources import PerObject, Source
from kratix_lab.trace import TraceNode


@rule("commit-not-synced", stages=("sync",))
def _not_synced(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if (
        n.stage != "sync"
        or n.health == HEALTHY
        or (n.evidence.get("conditions") and any(c.get("type", "").endswith("Error") for c in n.evidence["conditions"]))
    ):
        return
    if n.message.startswith("sync failed"):
        return
    automated = n.evidence.get("automated")
    if not automated:
        fix = _autosync_fix(s, n.name, f"enable automated sync on {n.name}", "or sync it by hand")
        keys = ""
    else:
        fix = fix_for(
            s,
            lab="Argo CD applies it at its next refresh: let the lab run (`kratix-lab settle`)",
            live=f"wait for Argo CD's next refresh, or `argocd app get {n.name} --refresh`",
        )
        keys = "Argo CD applies it at its next refresh: press `n` to step the lab clock, `p` to play it"
    yield Finding(
        "commit-not-synced",
        "error" if not automated else "warning",
        "sync",
        n.ref,
        n.message  # a request in git Argo CD does not apply: the node names it and the revision
        if n.evidence.get("resource")
        else f"commit {str(n.evidence.get('commit'))[:8]} is written but not applied: {n.message}",
        fix,
        n.since,
        depth,
        keys=keys if mode(s) == "lab" else "",
    )


def _autosync_fix(s: Source, app: str, what: str, instead: str) -> str:
    """How to turn automated sync (with prune and self-heal) on for an Argo CD Application, where the user is."""
    return fix_for(
        s,
        lab=f"{what}: `kratix-lab get application/{app} -n argocd -o yaml > app.yaml`, set spec.syncPolicy.automated "
        "to {prune: true, selfHeal: true}, `kratix-lab apply -f app.yaml`, `kratix-lab settle`",
        live=f"{what}: `kubectl patch application {app} -n argocd --type merge -p "
        '\'{"spec":{"syncPolicy":{"automated":{"prune":true,"selfHeal":true}}}}\'`, '
        f"{instead}: `argocd app sync {app}" + (" --prune`" if "prune" in instead else "`"),
    )


@rule("sync-failed", stages=("sync",))
def _sync_failed(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage == "sync" and n.message.startswith("sync failed"):
        yield Finding(
            "sync-failed",
            "error",
            "sync",
            n.ref,
            n.message,
            "fix the objects the API server refused (the message names them), e.g. an API version the cluster does not serve",
            n.since,
            depth,
        )


@rule("app-invalid-spec", stages=("sync", "helm"))
def _invalid_spec(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    if n.stage not in ("sync", "helm"):
        return
    app_conditions = n.evidence.get("conditions", [])
    if n.stage == "helm":
        app = s.get("Application", parents[-1].name if parents else n.name, "argocd", "argoproj.io")
        app_conditions = ((app or {}).get("status") or {}).get("conditions", [])
    for c in app_conditions:
        if c.get("type") == "InvalidSpecError":
            yield Finding(
                "app-invalid-spec",
                "error",
                n.stage,
                n.ref,
                f"Argo CD refuses the Application: {c.get('message')}",
                "create the AppProject it names, or allow its source repo / destination in the project "
                "(sourceRepos, destinations)",
                s.timestamp(c.get("lastTransitionTime")),
                depth,
            )


def comparison_errors(s: Source) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every Argo CD Application that cannot generate its manifests, with its ``ComparisonError`` condition
    (argo-cd controller/state.go: a file of the source the repo-server cannot unmarshal fails the whole
    comparison; the Application's live objects stay as last synced).

    A source that keeps derived values (``derived(key, compute)``: the fleet's snapshot,
    ``kratix_lab.sources.lab.LabSnapshot``, and the row engine's ``kratix_lab.fleet.deps.Recorder``, which computes
    it again only after an Application changed) scans its Applications once, not once per request of every row."""
    derived = getattr(s, "derived", None)
    parts = derived(COMPARISON_ERRORS_KEY, COMPARISON_ERRORS) if derived is not None else COMPARISON_ERRORS(s)
    return [pair for part in parts for pair in part]


def _comparison_errors_of(app: dict[str, Any]) -> tuple[tuple[dict[str, Any], dict[str, Any]], ...] | None:
    out = tuple(
        (app, c) for c in (app.get("status") or {}).get("conditions") or [] if c.get("type") == "ComparisonError"
    )
    return out or None


# (``PerObject``: after a change the fleet's row engine reads again only the Applications that changed)
COMPARISON_ERRORS = PerObject("Application", "argocd", "argoproj.io", _comparison_errors_of, ("ComparisonError",))
COMPARISON_ERRORS_KEY = "comparison_errors"


@rule("app-comparison-error", stages=("request",))
def _comparison_error(s: Source, n: TraceNode, parents: list[TraceNode], depth: int) -> Iterator[Finding]:
    """A request applied by an Application that can no longer compare git with the cluster: the request keeps
    running as last synced, but no change to it in git is applied until the file the error names is fixed."""
    if n.stage != "request" or n.health == MISSING:
        return
    for app, c in comparison_errors(s):
        applied = any(
            r.get("kind") == n.kind and r.get("name") == n.name and r.get("namespace") == n.namespace
            for r in (app.get("status") or {}).get("resources") or []
        )
        if applied:
            yield Finding(  # a warning: the request runs as last synced; its changes in git wait
                "app-comparison-error",
                "warning",
                "request",
                n.ref,
                f"Argo CD application {app['metadata']['name']}, which applies this request, cannot read git: "
                f"{c.get('message', '')}; changes to the request in git are not applied",
                _gitops_file_fix(s),
                s.timestamp(c.get("lastTransitionTime")),
                depth,
                {"application": app["metadata"]["name"]},
            )


def platform_findings(s: Source) -> list[Finding]:
    """Problems of the platform itself, outside any request's road: Applications that cannot compare
    (``diagnose --all`` lists them after the vClusters)."""
    return [
        Finding(
            "app-comparison-error",
            "error",
            "sync",
            f"Application/argocd/{app['metadata']['name']}",
            f"Argo CD application {app['metadata']['name']} cannot read git: {c.get('message', '')}; nothing it "
            "syncs is updated, and requests new in its files are not applied",
            _gitops_file_fix(s),
            s.timestamp(c.get("lastTransitionTime")),
        )
        for app, c in comparison_errors(s)
    ]
