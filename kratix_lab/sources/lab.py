"""The embedded lab as a Source."""

from __future__ import annotations

import builtins
import re
from datetime import UTC, datetime
from typing import Any

from kratix_lab.kube.registry import KindRegistry
from kratix_lab.kube.times import parse_time
from kratix_lab.model import namespace_of
from kratix_lab.platform.lab import Lab
from kratix_lab.sources import CommitInfo

_FULL_SHA = re.compile(r"[0-9a-f]{40}")
_FILES_KEPT = 8192  # (path, commit) entries: a 100-vCluster lab's trace of every request reads ~1,000


class LabSource:
    mode = "lab"  # fixes name kratix-lab commands (kratix_lab.diagnose.fix_for)

    def __init__(self, lab: Lab, read_only: bool = False):
        self.lab = lab
        self.read_only = read_only
        self.name = f"lab {lab.path}"
        self._ancestors: dict[str, set[str]] = {}
        self._files: dict[tuple[str, str], dict[str, bytes]] = {}  # what a commit holds never changes

    def get(
        self, kind: str, name: str, namespace: str | None = None, group: str | None = None
    ) -> dict[str, Any] | None:
        return self.lab.store.get(kind, name, namespace, group, readonly=True)  # trace never changes objects

    def list(
        self, kind: str, namespace: str | None = None, labels: dict[str, str] | None = None, group: str | None = None
    ) -> builtins.list[dict[str, Any]]:
        return self.lab.store.list(kind, namespace, labels or None, group, readonly=True)

    def events(self, obj: dict[str, Any]) -> builtins.list[dict[str, Any]]:
        return self.lab.store.events(obj.get("kind"), (obj.get("metadata") or {}).get("name"), namespace_of(obj))

    def logs(self, pod: dict[str, Any], tail: int | None = None, container: str | None = None) -> str:
        text = self.lab.store.logs(namespace_of(pod) or "", pod["metadata"]["name"], container)
        if tail is not None:
            lines = text.splitlines()[-tail:] if tail > 0 else []
            text = "".join(line + "\n" for line in lines)
        return text

    def now(self) -> int:
        return self.lab.store.now_seconds()

    def timestamp(self, text: str | None) -> int | None:
        if not text:
            return None
        try:
            return parse_time(text)
        except ValueError:
            return None

    def promises(self) -> builtins.list[Any]:
        return self.lab.promises()

    def kinds(self) -> KindRegistry:
        return self.lab.kinds()

    def change_token(self) -> tuple[Any, ...]:
        """Changes whenever the lab does (objects, the state repo, faults), never with the clock alone:
        a front end that polls redoes its work only when this differs from the last value."""
        return (*self.lab.store.version(), self.lab.state_remote.head(), self.lab.store.get_meta("faults"))

    def state_files(self, path: str, rev: str | None = None) -> dict[str, bytes]:
        if rev is None or not _FULL_SHA.fullmatch(rev):
            return self.lab.state_remote.read_files(path, rev or "main")  # a branch moves: never kept
        key = (path, rev)
        files = self._files.get(key)
        if files is None:
            files = self.lab.state_remote.read_files(path, rev)
            if len(self._files) >= _FILES_KEPT:
                self._files.pop(next(iter(self._files)))
            self._files[key] = files
        return dict(files)

    def state_head(self) -> str | None:
        return self.lab.state_remote.head()

    def state_commit(self, sha: str) -> CommitInfo | None:
        """The commit's message, author and date, read from the object (no diff: files come from trees)."""
        raw = self._raw_commit(sha)
        if raw is None:
            return None
        header, _, message = raw.partition("\n\n")
        author = next((line[7:] for line in header.splitlines() if line.startswith("author ")), "")
        who, _, stamp = author.rpartition(">")
        seconds = int(stamp.split()[0]) if stamp.strip() else 0
        date = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        parents = tuple(line[7:] for line in header.splitlines() if line.startswith("parent "))
        return CommitInfo(sha, message.rstrip("\n"), who + ">", date, (), parents)

    def _raw_commit(self, sha: str) -> str | None:
        raw = self.lab.state_remote.raw_object(sha)  # an unknown or unreadable commit is "not found" to a trace
        return raw.decode("utf-8", "replace") if raw is not None else None

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """Kratix's state history is linear: ``ancestor`` is on ``descendant``'s first-parent chain.

        The chain of each descendant is walked once and kept (commits never change).
        """
        if ancestor == descendant:
            return True
        chain = self._ancestors.get(descendant)
        if chain is None:
            chain, sha = set(), descendant
            while sha and sha not in chain:
                chain.add(sha)
                known = next((c for c in self._ancestors.values() if sha in c and c is not chain), None)
                if known is not None:
                    chain |= known
                    break
                raw = self._raw_commit(sha)
                if raw is None:
                    break
                parents = [line[7:] for line in raw.split("\n\n", 1)[0].splitlines() if line.startswith("parent ")]
                sha = parents[0] if parents else ""
            self._ancestors[descendant] = chain
        return ancestor in chain
