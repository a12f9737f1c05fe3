"""The embedded lab as a Source."""

from __future__ import annotations

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

    def get(
        self, kind: str, name: str, namespace: str | None = None, group: str | None = None
    ) -> dict[str, Any] | None:
        return self.lab.store.get(kind, name, namespace, group)

    def list(
        self, kind: str, namespace: str | None = None, labels: dict[str, str] | None = None, group: str | None = None
    ) -> list[dict[str, Any]]:
        return self.lab.store.list(kind, namespace, labels or None, group)

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
        try:
            c = self.lab.state_remote.show(sha)
        except Exception:  # an unknown or unreadable commit is "not found" to a trace
            return None
        return CommitInfo(c.sha, c.message, c.author, c.date, c.files)

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """Kratix's state history is linear: walk first parents from ``descendant``."""
        try:
            return self.lab.state_remote._descends_from(descendant, ancestor)
        except Exception:  # a commit this clone does not have is not an ancestor
            return False
