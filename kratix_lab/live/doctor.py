"""``kratix-lab doctor``: can live mode read this platform? Connectivity, served kinds, RBAC, state repo.

The minimal read-only ClusterRole is what a trace and a diagnosis read (``kratix_lab.trace``,
``kratix_lab.diagnose``): Kratix's own kinds (``platform.kratix.io``), every Promise's request kind, Argo
CD's Applications and AppProjects, pipeline Jobs, Pods and their logs, Events, and the object kinds the
catalogue's pipelines write. Verbs get/list/watch only; no Secrets (a Secret in the state repo then reads
as an ``Unknown`` node naming the permission, never as Missing).

RBAC is checked by trying: one ``LIST ?limit=1`` per resource at the cluster scope (a 403 fails the
check) — no SelfSubjectAccessReview storm, and it works where SSAR is not served (``kratix-lab serve``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kratix_lab.errors import KratixLabError
from kratix_lab.live.kube import AccessDenied, LiveError, NotServed
from kratix_lab.live.source import KRATIX, LiveSource
from kratix_lab.model import dump

READ_VERBS = ["get", "list", "watch"]
READ_RULES: list[tuple[str, list[str]]] = [
    (KRATIX, ["promises", "destinations", "gitstatestores", "bucketstatestores", "works", "workplacements"]),
    ("argoproj.io", ["applications", "appprojects"]),
    ("batch", ["jobs", "cronjobs"]),
    ("", ["pods", "pods/log", "events", "namespaces", "configmaps", "serviceaccounts"]),
    ("apps", ["deployments", "statefulsets"]),
    ("rbac.authorization.k8s.io", ["roles", "rolebindings"]),
    ("external-secrets.io", ["externalsecrets"]),
]


def rules(source: LiveSource) -> list[tuple[str, list[str]]]:
    """READ_RULES plus one rule per request group the installed Promises serve."""
    out = [(g, list(r)) for g, r in READ_RULES]
    groups: dict[str, list[str]] = {}
    for p in source.promises():
        if p.crd is not None:
            info = source.kinds().get(p.crd.group, p.crd.kind)
            plural = info.plural if info else p.crd.kind.lower() + "s"
            groups.setdefault(p.crd.group, []).append(plural)
    out += [(g, sorted(set(r))) for g, r in sorted(groups.items())]
    return out


def cluster_role(source: LiveSource, name: str = "kratix-lab-reader") -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name},
        "rules": [{"apiGroups": [g], "resources": r, "verbs": READ_VERBS} for g, r in rules(source)],
    }


def write_rules(source: LiveSource) -> list[dict[str, Any]]:
    """The extra rules ``--write`` needs: ``patch`` on the request kinds (the reconcile label, ``submit --apply``)
    and ``create`` (a server-side apply that creates the object is authorised as a create too:
    k8s.io/apiserver pkg/endpoints/handlers/patch.go ``PatchResource``, ``createAuthorizerAttributes``)."""
    requests = rules(source)[len(READ_RULES) :]
    return [{"apiGroups": [g], "resources": r, "verbs": ["patch", "create"]} for g, r in requests]


def allowed_resources(role: dict[str, Any]) -> frozenset[str]:
    """``plural.group`` (``plural`` for core) of every resource the role names: serve's limited tokens."""
    out = set()
    for rule in role["rules"]:
        for g in rule["apiGroups"]:
            for r in rule["resources"]:
                out.add(f"{r}.{g}" if g else r)
    return frozenset(out)


@dataclass
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'pass' if self.ok else 'FAIL'}  {self.name}: {self.detail}"


def run(source: LiveSource) -> tuple[list[Check], dict[str, Any] | None]:
    """Every check, in order; the ClusterRole (None when the cluster could not be read at all)."""
    checks: list[Check] = []
    kube = source.kube
    try:
        kube.request("GET", "/version")
        checks.append(Check("connectivity", True, f"{kube.target.server} answers"))
    except LiveError as e:
        checks.append(Check("connectivity", False, str(e)))
        return checks, None
    try:
        reg = kube.registry()
    except KratixLabError as e:
        checks.append(Check("discovery", False, str(e)))
        return checks, None
    for group, kind in ((KRATIX, "Promise"), (KRATIX, "WorkPlacement"), ("argoproj.io", "Application")):
        k = reg.get(group, kind)
        checks.append(
            Check(
                f"served: {kind}",
                k is not None,
                f"{k.plural}.{group}/{k.version}" if k else f"{kind} ({group}) is not served: install its CRD",
            )
        )
    try:
        role = cluster_role(source)
    except KratixLabError as e:
        checks.append(Check("promises", False, str(e)))
        return checks, None
    for group, resources in rules(source):
        for plural in resources:
            name = f"{plural}.{group}" if group else plural
            if "/" in plural:
                continue  # a subresource: checked through its parent's logs when a trace reads them
            k = next((x for x in reg if x.group == group and x.plural == plural), None)
            if k is None:
                checks.append(Check(f"rbac: list {name}", True, "not served here (its nodes read as Unknown)"))
                continue
            try:
                kube.get_json(kube.path(k, None), {"limit": 1})
                checks.append(Check(f"rbac: list {name}", True, "allowed"))
            except AccessDenied as e:
                checks.append(Check(f"rbac: list {name}", False, f"forbidden ({e}); grant list on {name}"))
            except (NotServed, KratixLabError) as e:
                checks.append(Check(f"rbac: list {name}", False, str(e)))
    try:
        repos = source.state_repos()
    except KratixLabError as e:
        checks.append(Check("state repo", False, f"cannot list GitStateStores: {e}"))
        repos = []
    if not repos:
        checks.append(Check("state repo", False, "no GitStateStore with a url: trace reads WorkPlacements' files"))
    for r in repos:
        error = source.state_repo_error(r.url)
        checks.append(Check(f"state repo {r.url}", error is None, error or f"cloned at {r.path}"))
    return checks, role


def report(source: LiveSource) -> tuple[str, bool]:
    checks, role = run(source)
    lines = [f"platform: {source.name}", *(c.line() for c in checks)]
    if role is not None:
        lines += [
            "",
            "# The minimal read-only ClusterRole for live mode (bind it to your user or group):",
            dump(role).rstrip("\n"),
            "# For --write: `reconcile` and `submit --apply` also need patch (and create) on the request kinds (GitOps submit/delete need only",
            "# git access to the gitops repo, nothing on the cluster):",
            dump({"rules": write_rules(source)}).rstrip("\n"),
        ]
    return "\n".join(lines) + "\n", all(c.ok for c in checks)


__all__ = ["READ_RULES", "Check", "allowed_resources", "cluster_role", "report", "rules", "run", "write_rules"]
