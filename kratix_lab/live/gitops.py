"""GitOps writes in live mode: a request is created or deleted by a commit to the platform's gitops repo.

The platform team's own CLI writes ``<repo>/platform/vclusters/<name>.yaml`` and pushes with no fetch,
rebase or retry (``docs/live.md`` §2); here the push is ``fetch → rebase → retry`` (at most
``ATTEMPTS`` times) and never forced. The clone is a dedicated one under ``<cache>/gitops/`` that never
holds the user's own changes; commits go through the git CLI (``git commit``), so the user's identity,
hooks and commit signing apply. A rebase that conflicts (someone changed the same file) is aborted: the
error says so, nothing is pushed, and the commit is kept on a branch of the clone (nothing is lost).

The repo is found from the cluster (``locate``: the Application whose tracking annotation an existing
request carries) unless ``--gitops-repo`` names it; ``--repo URL=PATH_OR_URL`` maps its URL elsewhere.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kratix_lab.errors import AlreadyExists, Cause, Conflict, Invalid, NotFound, Unavailable
from kratix_lab.live.repos import default_cache_dir, norm_url
from kratix_lab.live.source import LiveSource
from kratix_lab.model import YamlError, dump, load_documents, namespace_of

ATTEMPTS = 3
GIT_ENV = {"GIT_TERMINAL_PROMPT": "0"}


class GitOpsError(Unavailable):
    """The gitops repo cannot be cloned, fetched or pushed; the message is git's reason."""


def _git(cwd: Path, *args: str) -> str:
    run = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **GIT_ENV}, timeout=120
    )
    if run.returncode != 0:
        raise subprocess.CalledProcessError(run.returncode, ["git", *args], run.stdout, run.stderr)
    return run.stdout


def _reason(e: subprocess.CalledProcessError) -> str:
    lines = [line.strip() for line in (e.stderr or e.stdout or "").splitlines() if line.strip()]
    return lines[-1] if lines else f"git {' '.join(e.cmd[1:3])} failed"


class GitOpsRepo:
    def __init__(
        self,
        remote: str,
        *,
        branch: str = "main",
        path: str = "platform/vclusters",
        cache_dir: str | os.PathLike[str] | None = None,
        before_push: Callable[[int], None] | None = None,
    ) -> None:
        self.remote, self.branch, self.path = remote, branch, path.strip("/")
        base = Path(cache_dir) if cache_dir else default_cache_dir()
        self.dir = base / "gitops" / hashlib.sha256(f"{norm_url(remote)}#{branch}".encode()).hexdigest()[:16]
        self.before_push = before_push  # a test seam: called before each push attempt
        self.attempts = 0

    def sync(self) -> None:
        """Clone (first time) or fetch, then put the work branch on the remote's head (a dedicated clone)."""
        try:
            if not (self.dir / ".git").is_dir():
                self.dir.parent.mkdir(parents=True, exist_ok=True)
                _git(self.dir.parent, "clone", "--no-tags", "--branch", self.branch, self.remote, str(self.dir))
            _git(self.dir, "fetch", "--no-tags", "origin", self.branch)
            _git(self.dir, "checkout", "-q", "-B", "kratix-lab/work", f"origin/{self.branch}")
        except subprocess.CalledProcessError as e:
            raise GitOpsError(f"gitops repo {self.remote} ({self.branch}): {_reason(e)}") from None

    def find(self, kind: str, name: str, namespace: str | None) -> str | None:
        """The repo path of the file under ``path`` that defines ``kind``/``name`` (names need not match files)."""
        root = self.dir / self.path
        for f in sorted(root.rglob("*.y*ml")) if root.is_dir() else []:
            try:
                docs = load_documents(f.read_text(), str(f))
            except (YamlError, UnicodeDecodeError):
                continue
            for d in docs:
                data = d.data if isinstance(d.data, dict) else {}
                meta = data.get("metadata") or {}
                if data.get("kind") == kind and meta.get("name") == name and namespace_of(data) in (None, namespace):
                    return str(f.relative_to(self.dir))
        return None

    def commit_and_push(self, message: str) -> str:
        """Commit what is staged (git CLI: identity, hooks, signing) and push: fetch-rebase-retry, never force."""
        try:
            _git(self.dir, "commit", "-q", "-m", message)
        except subprocess.CalledProcessError as e:
            raise GitOpsError(f"gitops repo {self.remote}: git commit failed: {_reason(e)}") from None
        for attempt in range(ATTEMPTS):
            self.attempts = attempt + 1
            if self.before_push is not None:
                self.before_push(attempt)
            try:
                _git(self.dir, "push", "-q", "origin", f"HEAD:refs/heads/{self.branch}")
                return _git(self.dir, "rev-parse", "HEAD").strip()
            except subprocess.CalledProcessError as e:
                if "rejected" not in (e.stderr or "") and "fetch first" not in (e.stderr or ""):
                    raise GitOpsError(f"gitops repo {self.remote}: git push failed: {_reason(e)}") from None
            try:
                _git(self.dir, "fetch", "--no-tags", "origin", self.branch)
                _git(self.dir, "rebase", "-q", f"origin/{self.branch}")
            except subprocess.CalledProcessError as e:
                kept = f"kratix-lab/unpushed-{self._head_short()}"
                subprocess.run(["git", "rebase", "--abort"], cwd=self.dir, capture_output=True, check=False)
                subprocess.run(["git", "branch", "-f", kept, "HEAD"], cwd=self.dir, capture_output=True, check=False)
                raise Conflict(
                    f"gitops repo {self.remote}: someone changed the same file on {self.branch} "
                    f"({_reason(e)}); nothing was pushed; your commit is kept on branch {kept} of {self.dir}"
                ) from None
        raise Conflict(f"gitops repo {self.remote}: the push was rejected {ATTEMPTS} times; nothing was forced")

    def _head_short(self) -> str:
        try:
            return _git(self.dir, "rev-parse", "--short", "HEAD").strip()
        except subprocess.CalledProcessError:
            return "head"


TRACKING = "argocd.argoproj.io/tracking-id"  # argo-cd common/common.go; format util/argo/resource_tracking.go


def locate(source: LiveSource, kind: str | None = None) -> tuple[str, str, str, str]:
    """The gitops repo the requests come from: (repo URL, branch, the app's source path, app name).

    An existing request's ``argocd.argoproj.io/tracking-id`` (``<app>:<group>/<kind>:<ns>/<name>``,
    ``<app>`` being ``<namespace>_<name>`` for apps outside the control-plane namespace) names the
    Application that applied it; its ``spec.source`` is the repo. Raises ``NotFound`` when no request is
    tracked (give ``--gitops-repo``)."""
    kinds = [p.crd for p in source.promises() if p.crd is not None]
    kinds.sort(key=lambda c: c.kind != kind)  # the kind being written first
    for crd in kinds:
        for obj in source.list(crd.kind, None, None, crd.group):
            tid = ((obj.get("metadata") or {}).get("annotations") or {}).get(TRACKING)
            if not tid or ":" not in tid:
                continue
            app = tid.split(":", 1)[0]
            ns, _, name = app.rpartition("_")
            found = source.get("Application", name, ns or "argocd", "argoproj.io")
            src = ((found or {}).get("spec") or {}).get("source") or {}
            if src.get("repoURL"):
                rev = src.get("targetRevision") or "HEAD"
                branch = "main" if rev in ("HEAD", "") else rev
                return src["repoURL"], branch, str(src.get("path") or ""), name
    raise NotFound(
        "no request on the cluster carries Argo CD's tracking annotation, so the gitops repo cannot be found: "
        "give --gitops-repo URL"
    )


def admit(source: LiveSource, obj: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The request checked against the cluster's CRD (its Promise's ``spec.api``, through the schema engine):
    (the CRD, the admitted object). Raises ``Invalid`` naming each field, before anything is written."""
    kind, name = obj.get("kind"), (obj.get("metadata") or {}).get("name")
    promise = next((p for p in source.promises() if p.crd and p.crd.kind == kind), None)
    if promise is None or promise.crd is None:
        raise Invalid(f"kind {kind!r}: no installed Promise on {source.name} serves it")
    admission = promise.crd.admit(obj)
    if not admission.ok:
        causes = [Cause("FieldValueInvalid", str(e).removeprefix(f"{e.path}: "), e.path) for e in admission.errors]
        raise Invalid(f"{kind} {name} is invalid: " + "; ".join(str(e) for e in admission.errors), causes=causes)
    return promise.crd, admission.object


def server_side_apply(source: LiveSource, obj: dict[str, Any]) -> dict[str, Any]:
    """``submit --apply``: the request admitted as ``create`` does, then applied to the cluster with one
    server-side apply (field manager ``kratix-lab``, never forced) instead of a commit to the gitops repo.
    The object is what the user wrote (defaults are the API server's to add). Returns the applied object."""
    if source.read_only:
        from kratix_lab.errors import Forbidden

        raise Forbidden("live mode is read-only: --apply writes the request to the cluster; add --write")
    crd, admitted = admit(source, obj)
    info = source.kinds().resolve(f"{crd.kind}.{crd.group}")
    return source.kube.apply_patch(info, str(obj["metadata"]["name"]), namespace_of(admitted), obj)


def create(source: LiveSource, obj: dict[str, Any], repo: GitOpsRepo) -> tuple[str, str]:
    """Admit ``obj`` with the cluster's CRD (its Promise's ``spec.api``, through the schema engine), check
    the name is free on the cluster and in the repo, commit ``<path>/<name>.yaml`` and push.
    Returns (commit SHA, repo path). An invalid request never reaches git."""
    if source.read_only:
        from kratix_lab.errors import Forbidden

        raise Forbidden("live mode is read-only: creating a request commits to the gitops repo; add --write")
    kind, name = obj.get("kind"), (obj.get("metadata") or {}).get("name")
    crd, admitted = admit(source, obj)
    ns = namespace_of(admitted)
    if source.get(str(kind), str(name), ns, crd.group) is not None:
        raise AlreadyExists(f"{kind} {name} already exists on {source.name}")
    repo.sync()
    if repo.find(str(kind), str(name), ns) is not None:
        raise AlreadyExists(
            f"{kind} {name} is already defined in the gitops repo ({repo.find(str(kind), str(name), ns)})"
        )
    rel = f"{repo.path}/{name}.yaml"
    target = repo.dir / rel
    if target.exists():
        raise AlreadyExists(f"{rel} already exists in the gitops repo (another request's file)")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(dump(obj))
    _git(repo.dir, "add", "--", rel)
    return repo.commit_and_push(f"Add {kind} {name}"), rel


def delete(source: LiveSource, kind: str, name: str, namespace: str | None, repo: GitOpsRepo) -> tuple[str, str]:
    """Remove the file that defines the request and push: Argo CD prunes it (if its app prunes)."""
    if source.read_only:
        from kratix_lab.errors import Forbidden

        raise Forbidden("live mode is read-only: deleting a request commits to the gitops repo; add --write")
    repo.sync()
    rel = repo.find(kind, name, namespace)
    if rel is None:
        raise NotFound(f"{kind} {name} is not defined under {repo.path} in the gitops repo {repo.remote}")
    _git(repo.dir, "rm", "-q", "--", rel)
    return repo.commit_and_push(f"Remove {kind} {name}"), rel


__all__ = ["ATTEMPTS", "GitOpsError", "GitOpsRepo", "admit", "create", "delete", "locate", "server_side_apply"]
