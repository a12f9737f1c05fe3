"""Driving the dashboard in tests: run a pilot script, read the screen as text, wait for the reads."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from rich.console import Console
from textual import messages
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.worker import WorkerCancelled, WorkerFailed

SIZE = (80, 24)
SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE_ENV = "KRATIX_LAB_UPDATE_SNAPSHOTS"


def drive(app: App, script: Callable[[Pilot], Awaitable[None]], size: tuple[int, int] = SIZE) -> None:
    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await settle_ui(pilot)
            await script(pilot)

    asyncio.run(main())


async def settle_ui(pilot: Pilot) -> None:
    """Let pending reads finish and the screen catch up (no sleeps: workers and refreshes)."""
    for _ in range(3):
        for worker in list(pilot.app.workers):
            with contextlib.suppress(WorkerCancelled, WorkerFailed):  # an exclusive read replaced by a newer one
                await worker.wait()
        await pilot.pause()


def screen_text(app: App) -> str:
    """The screen as plain text, as a terminal shows it (what the text snapshots compare)."""
    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), record=True, color_system=None, legacy_windows=False
    )
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


def stable(text: str) -> str:
    """The screen text without what differs between runs: the lab's temporary path in the header."""
    lines = text.splitlines()
    if lines:
        lines[0] = re.sub(r" lab \S+", " lab <LAB>", lines[0]).rstrip()
    return "\n".join(line.rstrip() for line in lines) + "\n"


def assert_snapshot(name: str, text: str) -> None:
    """Compare with tests/tui/snapshots/<name>.txt; ``KRATIX_LAB_UPDATE_SNAPSHOTS=1`` rewrites it."""
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get(UPDATE_ENV) or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if not os.environ.get(UPDATE_ENV):
            raise AssertionError(f"{path} did not exist and was written: check it, then run again")
        return
    expected = path.read_text()
    assert text == expected, f"{name}: the screen differs from {path} (rerun with {UPDATE_ENV}=1 to accept)\n{text}"


def spy(monkeypatch: pytest.MonkeyPatch, cls: type, name: str, note: Callable[..., object]) -> None:
    """``cls.name`` calls ``note(self, *args, **kwargs)`` first, then does what it did."""
    real = getattr(cls, name)

    def spied(self: object, *args: object, **kwargs: object) -> object:
        note(self, *args, **kwargs)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(cls, name, spied)


class Layouts:
    """The layouts widgets ask the screen for (``messages.Layout``, handled by ``Screen._on_layout``): who asked."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.asked: list[str] = []
        real = Screen._on_layout

        async def on_layout(screen: Screen, message: messages.Layout) -> None:
            self.asked.append(type(message.widget).__name__)
            await real(screen, message)

        monkeypatch.setattr(Screen, "_on_layout", on_layout)
