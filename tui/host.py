"""What a screen or a widget may read of the app hosting it — typed, never ``getattr(self.app, "…")``.

State flows down: ``KratixLabApp`` holds it in typed reactives (``live``, ``read_only``, ``playing``,
``lab_time``, ``faults``, ``platform_name``) and ``Permissions``, a frozen value that says which actions the
mode allows; a widget that shows them watches the reactives (``tui/widgets/lab_header.py``). Requests go up as
messages (``tui.messages``). The one call a screen makes on its host is a read or a write whose answer it needs
(``await lab_app(self).read(job)``): a message cannot return a value.

``LabHost`` is a Protocol — the part of ``KratixLabApp`` screens depend on — so a screen never imports the app
(which imports the screens) and a test can host a screen in a small app of its own (tests/tui/test_create.py's
``HostApp``). ``lab_app(node)`` is the typed getter, a ``cast`` as Posting's screens do
(darrenburns/posting ``src/posting/app.py`` 209: ``self.posting = cast("Posting", self.app)``); ``tui/app.py``
checks statically that ``KratixLabApp`` is a ``LabHost``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar, cast

from textual.dom import DOMNode

from tui.lab_workers import Job

T = TypeVar("T")

# Actions that change the platform: hidden (bindings, palette commands, buttons) in read-only mode.
MUTATING_ACTIONS = frozenset({"create", "edit", "reconcile", "delete", "toggle_clock", "step_clock"})

# Actions of the lab's clock: a live cluster has none (its controllers run by themselves).
CLOCK_ACTIONS = frozenset({"toggle_clock", "step_clock"})


@dataclass(frozen=True)
class Permissions:
    """Which actions the dashboard's mode allows: read-only hides every change, a live cluster has no clock."""

    read_only: bool = False
    has_clock: bool = True

    def allows(self, action: str) -> bool:
        if action in CLOCK_ACTIONS and not self.has_clock:
            return False
        return not (self.read_only and action in MUTATING_ACTIONS)


class LabHost(Protocol):
    """The app as screens and widgets see it: its state (read-only) and its reader and writer."""

    @property
    def live(self) -> bool:
        """A cluster (live mode), not the embedded lab."""

    @property
    def read_only(self) -> bool:
        """Nothing may be written (``--read-only``, or live mode without ``--write``)."""

    @property
    def permissions(self) -> Permissions: ...

    @property
    def playing(self) -> bool:
        """The lab's clock steps by itself."""

    @property
    def lab_time(self) -> str: ...

    @property
    def faults(self) -> tuple[str, ...]: ...

    @property
    def platform_name(self) -> str: ...

    @property
    def lab_path(self) -> Path | None: ...

    async def read(self, job: Job[T], *, fleet: bool = False) -> T:
        """Run a read on the reader (or the fleet's own) and return its answer; errors propagate."""
        ...

    async def write(self, job: Job[T]) -> T:
        """Run a change on the writer and return its answer; errors propagate (Forbidden when read-only)."""
        ...

    def start_reader(self) -> None:
        """Start the reader (its process, the platform opened) before a screen asks it to read."""
        ...


def lab_app(node: DOMNode) -> LabHost:
    """The app hosting ``node``, typed: the one way screens and widgets read the app's state."""
    return cast(LabHost, node.app)
