"""What every lab controller is: one reconcile round over the store, and when it next has timed work."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from kratix_lab.platform.store import Store


@dataclass
class Context:
    """What a controller may use during one round."""

    store: Store
    lab_dir: Path
    faults: dict[str, dict[str, Any]] = field(default_factory=dict)  # active fault name -> its parameters
    lab: Any = None  # the Lab, for controllers that need its repos, Promises or executor

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
