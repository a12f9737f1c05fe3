"""``LiveActions``: the ``Actions`` of a live cluster — the same code the CLI's live commands run.

``reconcile`` is ``kratix_lab.live.commands.reconcile`` (one merge patch of the manual-reconciliation
label); ``submit`` and ``delete`` are GitOps commits (``kratix_lab.live.gitops.create``/``delete``: admit
with the cluster's CRD, fetch-rebase-retry, never force) to the gitops repo named by ``--gitops-repo`` or
found from the Argo CD Application that applies the requests (``gitops.locate``). A cluster has no
``Clock``: its controllers run by themselves. Read-only (no ``--write``): every write is refused with the
reason, before anything is sent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from kratix_lab.errors import Forbidden, Invalid, KratixLabError, NotFound
from kratix_lab.live import commands, gitops
from kratix_lab.live.repos import norm_url
from kratix_lab.live.source import LiveSource
from kratix_lab.model import YamlError, load_documents, namespace_of

SYNC_SECONDS = 30.0  # a validation reads the gitops repo's clone at most this old (as the state repo's)


@dataclass(frozen=True)
class GitOpsSettings:
    """Where live writes commit: ``--gitops-repo`` (None: found from Argo CD), ``--gitops-branch``,
    ``--gitops-path``; ``repos`` maps a repo URL to where to clone it from (``--repo URL=PATH_OR_URL``)."""

    repo: str | None = None
    branch: str = "main"
    path: str = "platform/vclusters"
    repos: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    cache_dir: str | None = None


class LiveActions:
    where: str
    clock = None  # a cluster's controllers run by themselves

    def __init__(self, source: LiveSource, settings: GitOpsSettings | None = None) -> None:
        self.source = source
        self.settings = settings or GitOpsSettings()
        self.read_only = source.read_only
        self.where = source.name
        self._repos: dict[str | None, gitops.GitOpsRepo] = {}
        self._synced: dict[str, float] = {}

    # ---- the gitops repo -------------------------------------------------------------------

    def repo(self, kind: str | None) -> gitops.GitOpsRepo:
        """The clone of the gitops repo requests of ``kind`` come from (``--gitops-repo``, else the repo of the
        Argo CD Application that applied one: ``gitops.locate`` — per kind, since sub-requests come from the
        state repo), located once."""
        key = None if self.settings.repo else kind
        if key not in self._repos:
            s = self.settings
            url, branch = s.repo, s.branch
            if not url:
                url, found, _path, _app = gitops.locate(self.source, kind)
                branch = s.branch if s.branch != "main" else found
            remote = {norm_url(k): v for k, v in s.repos}.get(norm_url(url), url)
            self._repos[key] = gitops.GitOpsRepo(remote, branch=branch, path=s.path, cache_dir=s.cache_dir)
        return self._repos[key]

    def _fresh_repo(self, kind: str | None) -> gitops.GitOpsRepo:
        repo = self.repo(kind)
        if time.monotonic() - self._synced.get(repo.remote, 0.0) > SYNC_SECONDS:
            repo.sync()
            self._synced[repo.remote] = time.monotonic()
        return repo

    def _written(self, repo: gitops.GitOpsRepo) -> None:
        self._synced.pop(repo.remote, None)  # read it afresh next time

    def _writable(self, what: str) -> None:
        if self.read_only:
            raise Forbidden(f"live mode is read-only: {what}; add --write to allow writes")

    # ---- Actions ---------------------------------------------------------------------------

    def admit(self, obj: dict[str, Any]) -> None:
        gitops.admit(self.source, obj)

    def gitops_path(self, kind: str, name: str, crd: Any) -> str:
        return f"{self.settings.path.strip('/')}/{name}.yaml"

    def gitops_file(self, path: str, kind: str | None = None) -> bytes | None:
        """The file in the gitops repo's clone (fetched when older than ``SYNC_SECONDS``); None when there
        is none — or when the repo cannot be found or read (a create then says why, before it writes)."""
        try:
            target = self._fresh_repo(kind).dir / path
        except KratixLabError:
            return None
        return target.read_bytes() if target.is_file() else None

    def submit(self, request: dict[str, Any]) -> str | None:
        self._writable("creating a request commits to the gitops repo")
        repo = self.repo(str(request.get("kind") or ""))
        sha, _rel = gitops.create(self.source, request, repo)
        self._written(repo)
        return sha

    def submit_text(self, text: str, message: str) -> str | None:
        """An edited request's file: written where the repo defines it, committed and pushed (no force)."""
        self._writable("editing a request commits to the gitops repo")
        try:
            docs = [d.data for d in load_documents(text, "request") if isinstance(d.data, dict)]
        except YamlError as e:
            raise Invalid(f"the edited request is not YAML: {e}") from None
        if len(docs) != 1:
            raise Invalid("an edit commits exactly one request")
        obj = docs[0]
        kind, name = str(obj.get("kind")), str((obj.get("metadata") or {}).get("name"))
        gitops.admit(self.source, obj)
        repo = self.repo(kind)
        repo.sync()
        rel = repo.find(kind, name, namespace_of(obj)) or self.gitops_path(kind, name, None)
        (repo.dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo.dir / rel).write_text(text)
        gitops._git(repo.dir, "add", "--", rel)
        sha = repo.commit_and_push(message)
        self._written(repo)
        return sha

    def reconcile(self, kind: str, name: str, namespace: str | None) -> str:
        obj = commands.reconcile(self.source, kind, name, namespace)
        return f"{obj['kind'].lower()}/{name} labelled {commands.MANUAL_RECONCILE}=true; Kratix re-runs its workflows"

    def delete_route(self, kind: str, name: str, namespace: str | None) -> str:
        """Reads only (the gitops repo's clone): asked on a reader before the confirmation."""
        repo = self._fresh_repo(kind)
        rel = repo.find(kind, name, namespace)
        if rel is None:
            raise NotFound(f"{kind} {name} is not defined under {repo.path} in the gitops repo {repo.remote}")
        return f"removes {rel} from the gitops repo {repo.remote} ({repo.branch}); Argo CD prunes the request"

    def delete(self, kind: str, name: str, namespace: str | None) -> str:
        self._writable("deleting a request commits to the gitops repo")
        repo = self.repo(kind)
        sha, rel = gitops.delete(self.source, kind, name, namespace, repo)
        self._written(repo)
        return f"removed {rel} from the gitops repo ({sha[:8]}); Argo CD prunes it at its next sync"

    def close(self) -> None:
        return None


__all__ = ["GitOpsSettings", "LiveActions"]
