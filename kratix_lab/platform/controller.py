"""What every lab controller is: one reconcile round over the store, and when it next has timed work."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kratix_lab.platform.store import Store

if TYPE_CHECKING:
    from kratix_lab.platform.gitrepo import GitRepo
    from kratix_lab.promise import Promise


class LabServices(Protocol):
    """What of the Lab a controller may use (its repos, Promises, admission and pipeline executor) — the Lab
    implements it; a controller never sees the rest of it."""

    state_repo: GitRepo
    state_remote: GitRepo
    vcluster_schema: Path | None

    def promises(self) -> list[Promise]: ...
    def repo_for(self, url: str) -> GitRepo | None: ...
    def cluster_scoped(self, obj: dict[str, Any]) -> bool: ...
    def admit(self, obj: dict[str, Any], dry_run: bool = False) -> dict[str, Any]: ...
    def apply_object(
        self,
        obj: dict[str, Any],
        manager: str = "kratix-lab",
        previous: dict[str, Any] | None = None,
        admitted: bool = False,
    ) -> str: ...
    def executor_for(self, promise: Promise, ctx: Context) -> Any: ...  # a pipeline.executors.Executor


@dataclass
class Context:
    """What a controller may use during one round."""

    store: Store
    lab_dir: Path
    faults: dict[str, dict[str, Any]] = field(default_factory=dict)  # active fault name -> its parameters
    lab: LabServices | None = None  # None only for a controller tried alone (tests); the lab always sets it

    def fault(self, name: str) -> dict[str, Any] | None:
        return self.faults.get(name)


class Controller(Protocol):
    name: str

    def reconcile(self, ctx: Context) -> int:
        """One round: act on what changed; return how many writes were made (0 = nothing to do)."""
        ...

    def next_due(self, ctx: Context) -> int | None:
        """The simulated second at which timed work is next due (a pod turning Ready), or None."""
        ...
