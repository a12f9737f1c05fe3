"""What every full screen of the dashboard shares: read-only mode hides the mutating actions, the app
asks the visible screen to refresh, and the screen offers its actions to the command palette.

A screen reads the app's state through ``lab_app`` (typed: ``tui.host.LabHost``) and asks the app to navigate or
act by posting a message (``tui.messages``); it never calls the app for either."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

from textual import work
from textual.css.query import NoMatches
from textual.screen import Screen

from tui.host import LabHost, lab_app
from tui.lab_workers import Job

T = TypeVar("T")

# (title, help, callback, action name): the action name decides whether read-only mode hides it.
PaletteCommand = tuple[str, str, Callable[[], Any], str]


class LabScreen(Screen):
    @property
    def lab_app(self) -> LabHost:
        """The app hosting this screen, typed: its state (reactives) and its reader and writer."""
        return lab_app(self)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.lab_app.permissions.allows(action)

    @property
    def is_gone(self) -> bool:
        """True after an await when the screen was closed meanwhile: its widgets may be gone, so a read
        that finishes late must not touch them."""
        return not self.is_attached or self not in self.app.screen_stack

    async def read_and_show(
        self, job: Job[T], show: Callable[[T], None], fail: Callable[[str], None], *, fleet: bool = False
    ) -> None:
        """Run a read on the reader, then ``show`` its result (or ``fail`` with the error's message).

        A screen closed while the read ran is left alone: its widgets may be gone already (they are
        removed before the screen is), which is also why a NoMatches here means "closing", not a bug.
        """
        error: str | None = None
        try:
            result = await self.lab_app.read(job, fleet=fleet)
        except Exception as e:  # the platform's own message: not found, unknown kind, unreadable lab, no cluster
            error = str(e)
        if self.is_gone:
            return
        with contextlib.suppress(NoMatches):
            if error is not None:
                fail(error)
            else:
                show(result)

    _reading = False
    _read_again = False

    def refresh_data(self) -> None:
        """Read the platform again (the app calls this on every tick and after every step). One read at a
        time: asked while one runs, the screen reads once more when it ends — reads never pile up
        behind a slow one (a 100-vCluster fleet takes a second)."""
        if self._reading:
            self._read_again = True
            return
        self._reading = True
        self._read_until_current()

    @work(exclusive=True, group="refresh")
    async def _read_until_current(self) -> None:
        try:
            while True:
                self._read_again = False
                await self.load()
                if not self._read_again or self.is_gone:
                    return
        finally:
            self._reading = False

    async def load(self) -> None:
        """Read what the screen shows and show it (screens that show the platform implement this)."""

    def palette_commands(self) -> list[PaletteCommand]:
        return []

    def on_screen_resume(self) -> None:
        self.refresh_bindings()
        self.refresh_data()
