"""The embedded lab as a Source."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kratix_lab.model import namespace_of
from kratix_lab.platform.lab import Lab
from kratix_lab.platform.store import parse_time
from kratix_lab.sources import CommitInfo


class LabSource:
    def __init__(self, lab: Lab, read_only: bool = False):
        self.lab = lab
        self.read_only = read_only
        self.name = f"lab {lab.path}"
        self._ancestors: dict[str, set[str]] = {}

    def get(
        self, kind: str, name: str, namespace: str | None = None, group: str | None = None
    ) -> dict[str, Any] | None:
        return self.lab.store.get(kind, name, namespace, group, readonly=True)  # trace never changes objects

    def list(
        self, kind: str, namespace: str | None = None, labels: dict[str, str] | None = None, group: str | None = None
    ) -> list[dict[str, Any]]:
        return self.lab.store.list(kind, namespace, labels or None, group, readonly=True)

    def events(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        return self.lab.store.events(obj.get("kind"), (obj.get("metadata") or {}).get("name"), namespace_of(obj))

    def logs(self, pod: dict[str, Any], tail: int | None = None) -> str:
        text = self.lab.store.logs(namespace_of(pod) or "", pod["metadata"]["name"])
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

    def promises(self) -> list[Any]:
        return self.lab.promises()

    def state_files(self, path: str, rev: str | None = None) -> dict[str, bytes]:
        return self.lab.state_remote.read_files(path, rev or "main")

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
        return CommitInfo(sha, message.rstrip("\n"), who + ">", date, ())

    def _raw_commit(self, sha: str) -> str | None:
        try:
            return self.lab.state_remote._read(bytes.fromhex(sha)).decode("utf-8", "replace")
        except Exception:  # an unknown or unreadable commit is "not found" to a trace
            return None

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
