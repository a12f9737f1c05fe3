"""What a deleted request left behind, and why Argo CD did not prune it."""

from __future__ import annotations

from typing import Any

from kratix_lab.diagnose.model import Finding, fix_for
from kratix_lab.sources import Source
from kratix_lab.trace import UNREADABLE

TRACKING_ID = "argocd.argoproj.io/tracking-id"


def _not_pruning(source: Source, obj: dict[str, Any]) -> str | None:
    """The Argo CD Application that manages ``obj`` (its tracking id, ``<app>:<group>/<kind>:<ns>/<name>``) when it
    does not prune automatically, else None. Argo CD deletes an object that left git only when a sync prunes:
    automated sync with ``prune: true`` (argo-cd controller/appcontroller.go:2352-2364, "nothing to do but prune,
    and automated prune is off"; docs/user-guide/auto_sync.md "Automatic Pruning"), or a manual sync with prune."""
    meta = obj.get("metadata") or {}
    tracking = (meta.get("annotations") or {}).get(TRACKING_ID) or ""
    app_name = tracking.split(":", 1)[0]
    if not app_name:
        return None
    try:
        app = source.get("Application", app_name, "argocd", "argoproj.io")
    except UNREADABLE:
        return None
    if app is None:
        return None
    automated = ((app.get("spec") or {}).get("syncPolicy") or {}).get("automated")
    if automated is None or automated.get("enabled") is False or not automated.get("prune"):
        return app_name
    return None


def _prune_fix(source: Source, app: str) -> str:
    why = f"Argo CD application {app} does not prune what left git (no automated sync with prune)"
    return fix_for(
        source,
        lab=f"{why}: turn it on — `kratix-lab get application/{app} -n argocd -o yaml > app.yaml`, set "
        "spec.syncPolicy.automated to {prune: true, selfHeal: true}, `kratix-lab apply -f app.yaml`, "
        "`kratix-lab settle` — and Argo CD prunes them",
        live=f"{why}: turn it on — `kubectl patch application {app} -n argocd --type merge -p "
        '\'{"spec":{"syncPolicy":{"automated":{"prune":true,"selfHeal":true}}}}\'` — or prune once: '
        f"`argocd app sync {app} --prune`",
    )


def leftovers(source: Source, promise: str, name: str) -> list[Finding]:
    """Objects still labelled with a deleted request's name (label-selected lists of the usual kinds). The fix names
    the cause when there is one to see: the Argo CD Application managing them does not prune."""
    out = []
    for kind, group in (
        ("Namespace", ""),
        ("ConfigMap", ""),
        ("CronJob", "batch"),
        ("ExternalSecret", "external-secrets.io"),
        ("Application", "argoproj.io"),
        ("AppProject", "argoproj.io"),
    ):
        try:
            objs = source.list(kind, None, {"kratix.io/resource-name": name}, group=group)
        except UNREADABLE:  # live mode: a kind this identity may not list, or the cluster does not serve
            continue
        for obj in objs:
            ns = obj["metadata"].get("namespace")
            app = _not_pruning(source, obj)
            fix = (
                _prune_fix(source, app)
                if app
                else fix_for(
                    source,
                    lab="check the delete pipeline's logs and Argo CD's prune; remove it by hand: "
                    f"`kratix-lab delete {kind.lower()}/{obj['metadata']['name']}{f' -n {ns}' if ns else ''}`",
                    live="check the delete pipeline's logs and Argo CD's prune; remove it by hand: "
                    f"`kubectl delete {kind.lower()} -l kratix.io/resource-name={name}{f' -n {ns}' if ns else ''}`",
                )
            )
            out.append(
                Finding(
                    "leftovers-after-delete",
                    "error",
                    "object",
                    f"{kind}/{ns or ''}/{obj['metadata']['name']}".replace("//", "/"),
                    f"{kind} {obj['metadata']['name']} still exists though {name} is gone "
                    f"(labelled by {obj['metadata'].get('labels', {}).get('kratix.io/promise-name')})",
                    fix,
                    None,
                    0,
                    {"application": app} if app else {},
                )
            )
    return out
