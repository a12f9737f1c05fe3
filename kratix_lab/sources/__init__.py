"""The Source seam: what trace, diagnose and the front ends may ask of a platform.

Two implementations answer the same questions the same way: ``LabSource`` (the embedded lab) and,
later, a live-cluster source (the Kubernetes API plus a clone of the state repo). Every question
is a label-selected list or a get — never a scan of every object — so a trace costs a bounded
number of API requests on a real cluster.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from kratix_lab.kube.registry import KindRegistry


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    message: str
    author: str
    date: str
    files: tuple[str, ...]
    parents: tuple[str, ...] = ()


class Source(Protocol):
    """Read access to a platform (and, where allowed, actions)."""

    name: str
    read_only: bool

    def get(
        self, kind: str, name: str, namespace: str | None = None, group: str | None = None
    ) -> dict[str, Any] | None: ...

    def list(
        self, kind: str, namespace: str | None = None, labels: dict[str, str] | None = None, group: str | None = None
    ) -> builtins.list[dict[str, Any]]: ...

    def events(self, obj: dict[str, Any]) -> builtins.list[dict[str, Any]]: ...

    def logs(self, pod: dict[str, Any], tail: int | None = None, container: str | None = None) -> str:
        """The pod's log (every container's, in order, or only ``container``'s); the last ``tail`` lines."""
        ...

    def kinds(self) -> KindRegistry:
        """The kinds the platform serves (``kratix_lab.kube.registry``): the one resolver of what users type."""
        ...

    def change_token(self) -> Any:
        """A value that changes whenever the platform does (never with the clock alone): a front end
        that polls redoes its work only when it differs from the last one."""
        ...

    def now(self) -> int:
        """Seconds on the platform's clock (the lab's simulated one, or the wall clock)."""
        ...

    def timestamp(self, text: str | None) -> int | None:
        """An RFC 3339 timestamp as seconds on the same clock as ``now()``."""
        ...

    def promises(self) -> builtins.list[Any]: ...

    def state_files(self, path: str, rev: str | None = None) -> dict[str, bytes]: ...

    def state_head(self) -> str | None: ...

    def state_commit(self, sha: str) -> CommitInfo | None: ...

    def is_ancestor(self, ancestor: str, descendant: str) -> bool: ...
