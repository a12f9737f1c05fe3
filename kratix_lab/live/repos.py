"""State repos for live mode: bare gitpython clones in the user's cache directory.

A GitStateStore's ``url``/``branch`` (``kratix api/v1alpha1/gitstatestore_types.go``) names the repo Kratix
writes; each WorkPlacement's ``status.versionID`` is the SHA of the commit that wrote its files
(``workplacement_types.go``: "For Git StateStores, this is the SHA of the last applied commit"). Reads:

- one bare clone per URL under ``<cache>/repos/<sha256(url)[:16]>.git`` (``--single-branch``, no tags),
  credentials from the user's own git setup; prompting is off (``GIT_TERMINAL_PROMPT=0``) so nothing
  ever waits for a password;
- fetched when it is older than ``max_age`` (30 s) the first time a source uses it, and when a SHA it is
  asked about is missing (at most once every ``MISS_FETCH_SECONDS``, so a SHA that is really not there costs one
  fetch, and a source that keeps reading — ``status -w``'s watch cache — finds the commits pushed since it began);
- ``overrides`` map a URL to another location (a local mirror, or the lab's ``state.git`` when the
  platform is ``kratix-lab serve``): ``--repo URL=PATH_OR_URL``.

Commits never change, so file trees and ancestry are cached per SHA.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kratix_lab.errors import Unavailable
from kratix_lab.sources import CommitInfo

MAX_AGE = 30.0
# a SHA the clone lacks is fetched for, at most once in this many seconds: a long-running reader (the watch cache's
# rows) sees every commit the platform pushes after it started; a SHA that is really not there costs one fetch
MISS_FETCH_SECONDS = 2.0
GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": ""}


def norm_url(url: str) -> str:
    """``git@host:o/r(.git)`` ≡ ``https://host/o/r``: one clone per repo however it is spelled."""
    url = url.strip().rstrip("/").removesuffix(".git")
    if url.startswith("git@") and ":" in url:
        host, _, path = url[4:].partition(":")
        url = f"https://{host}/{path}"
    return url


def default_cache_dir() -> Path:
    base = os.environ.get("KRATIX_LAB_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    path = Path(base).expanduser()
    return path if os.environ.get("KRATIX_LAB_CACHE_DIR") else path / "kratix-lab"


class RepoUnavailable(Unavailable):
    """The state repo cannot be cloned or fetched; the message names the URL and git's reason."""


@dataclass
class StateRepo:
    url: str
    branch: str
    remote: str  # where it is fetched from (the URL, or its override)
    path: Path
    fetches: int = 0
    fetched_this_run: bool = False
    fetched_at: float = 0.0  # time.monotonic() of the last clone or fetch
    error: str | None = None
    _repo: Any = None
    _files: dict[tuple[str, str], dict[str, bytes]] = field(default_factory=dict)
    _chains: dict[str, set[str]] = field(default_factory=dict)
    _commits: dict[str, Any] = field(default_factory=dict)  # full SHA -> its commit (a row asks about one often)

    # ---- clone and fetch -------------------------------------------------------------------

    def _marker(self) -> Path:
        return self.path / "kratix-lab-fetched"

    def age(self) -> float | None:
        try:
            return time.time() - self._marker().stat().st_mtime
        except OSError:
            return None

    def ensure(self, max_age: float = MAX_AGE) -> Any:
        """The clone, cloned or fetched first when missing or older than ``max_age``."""
        import git

        if self._repo is not None:
            return self._repo
        if self.error:
            raise RepoUnavailable(self.error)
        if not (self.path / "HEAD").exists():
            self._clone()
        else:
            age = self.age()
            if age is None or age > max_age:
                self.fetch()
        self._repo = git.Repo(self.path)
        return self._repo

    def _clone(self) -> None:
        import git

        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + f".tmp{os.getpid()}")
        self.fetches += 1
        self.fetched_this_run = True
        self.fetched_at = time.monotonic()
        try:
            git.Repo.clone_from(
                self.remote,
                tmp,
                bare=True,
                multi_options=["--single-branch", f"--branch={self.branch}", "--no-tags"],
                env=GIT_ENV,
                kill_after_timeout=120,
            )
            os.replace(tmp, self.path)
        except (git.GitCommandError, OSError) as e:
            self.error = f"state repo {self.url}: cannot clone from {self.remote}: {_git_reason(e)}"
            raise RepoUnavailable(self.error) from None
        self._marker().touch()

    def fetch(self) -> None:
        import git

        self.fetches += 1
        self.fetched_this_run = True
        self.fetched_at = time.monotonic()
        try:
            git.Repo(self.path).git.fetch(
                self.remote,
                f"+refs/heads/{self.branch}:refs/heads/{self.branch}",
                "--prune",
                "--no-tags",
                env=GIT_ENV,
                kill_after_timeout=120,
            )
        except (git.GitCommandError, OSError) as e:
            self.error = f"state repo {self.url}: cannot fetch from {self.remote}: {_git_reason(e)}"
            raise RepoUnavailable(self.error) from None
        self._marker().touch()
        self._repo = None

    def _commit(self, sha: str) -> Any:
        """The commit object, fetching once when it is missing; None when it is not in the repo."""
        from gitdb.exc import BadName, BadObject

        known = self._commits.get(sha)
        if known is not None:
            return known
        repo = self.ensure()
        for attempt in (0, 1):
            try:
                commit = repo.commit(sha)
                if len(sha) == 40:  # a full SHA names one commit forever (a branch name moves): asked once
                    self._commits[sha] = commit
                return commit
            except (BadName, BadObject, ValueError):
                if attempt or time.monotonic() - self.fetched_at < MISS_FETCH_SECONDS:
                    return None
                self.fetch()
                repo = self.ensure()
        return None

    # ---- reads -----------------------------------------------------------------------------

    def head(self) -> str | None:
        repo = self.ensure()
        try:
            return str(repo.commit(f"refs/heads/{self.branch}").hexsha)
        except Exception:
            return None

    def has(self, sha: str) -> bool:
        return self._commit(sha) is not None

    def files(self, path: str, rev: str | None) -> dict[str, bytes]:
        """``{repo path: content}`` under ``path`` at ``rev`` (the branch head when None)."""
        sha = rev or self.head()
        if sha is None:
            return {}
        key = (path, sha)
        if key in self._files:
            return dict(self._files[key])
        commit = self._commit(sha)
        if commit is None:
            return {}
        prefix = path.strip("/")
        try:
            node = commit.tree / prefix if prefix else commit.tree
        except KeyError:
            out: dict[str, bytes] = {}
        else:
            if node.type == "blob":
                out = {prefix: node.data_stream.read()}
            else:
                out = {b.path: b.data_stream.read() for b in node.traverse() if b.type == "blob"}
        if rev is not None and len(rev) == 40:
            self._files[key] = out
        return dict(out)

    def commit_info(self, sha: str) -> CommitInfo | None:
        c = self._commit(sha)
        if c is None:
            return None
        date = datetime.fromtimestamp(c.authored_date, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return CommitInfo(
            c.hexsha,
            c.message.rstrip("\n"),
            f"{c.author.name} <{c.author.email}>",
            date,
            (),
            tuple(p.hexsha for p in c.parents),
        )

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """``ancestor`` is on ``descendant``'s first-parent chain (Kratix's state history is linear), as the
        lab answers it; each chain is walked once."""
        if ancestor == descendant:
            return True
        chain = self._chains.get(descendant)
        if chain is None:
            chain = set()
            c = self._commit(descendant)
            while c is not None and c.hexsha not in chain:
                chain.add(c.hexsha)
                c = c.parents[0] if c.parents else None
            self._chains[descendant] = chain
        return ancestor in chain


def _git_reason(e: BaseException) -> str:
    text = str(getattr(e, "stderr", "") or e).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("stderr:")]
    return (lines[-1] if lines else text).strip("'\" ")


class StateRepos:
    """The state repos of one platform, by normalised URL."""

    def __init__(
        self, cache_dir: str | os.PathLike[str] | None = None, overrides: dict[str, str] | None = None
    ) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.overrides = {norm_url(k): v for k, v in (overrides or {}).items()}
        self.repos: dict[str, StateRepo] = {}

    def repo(self, url: str, branch: str = "main") -> StateRepo:
        key = norm_url(url)
        if key not in self.repos:
            remote = self.overrides.get(key, url)
            digest = hashlib.sha256(f"{key}#{branch}#{remote}".encode()).hexdigest()[:16]
            self.repos[key] = StateRepo(url, branch, remote, self.cache_dir / "repos" / f"{digest}.git")
        return self.repos[key]

    @property
    def fetches(self) -> int:
        return sum(r.fetches for r in self.repos.values())


def parse_overrides(items: list[str] | None) -> dict[str, str]:
    """``--repo URL=PATH_OR_URL`` arguments → a dict; a malformed one is a usage error naming it."""
    from kratix_lab.errors import UsageError

    out = {}
    for item in items or []:
        url, sep, where = item.partition("=")
        if not sep or not url or not where:
            raise UsageError(f"--repo {item!r}: expected URL=PATH_OR_URL")
        out[url] = where
    return out


__all__ = ["MAX_AGE", "RepoUnavailable", "StateRepo", "StateRepos", "default_cache_dir", "norm_url", "parse_overrides"]
