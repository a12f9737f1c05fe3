"""The kratix-lab SRE dashboard: every vCluster's road at a glance, where a request is stuck and why,
and the actions an SRE takes (create, reconcile, delete) — a thin front end over kratix_lab.

Workers: the UI (this app, and ``app.lab`` for screens that act right away), a reader (every
refresh: fleet, trace, diagnose, pages) and, in lab mode, the lab clock (steps and the actions, so
they never race a step). Each owns its own Lab; the reader and the clock are processes of their own
by default (see ``tui.lab_workers``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen

from kratix_lab import Lab
from kratix_lab.platform.lab import LabError, default_lab_dir
from tui import jobs
from tui.jobs import ObjectRef
from tui.lab_workers import Job, LabWorker, make_worker

T = TypeVar("T")

# Actions that change the lab: hidden (bindings, palette commands, buttons) in read-only mode.
MUTATING_ACTIONS = frozenset({"create", "edit", "reconcile", "delete", "toggle_clock", "step_clock"})


class KratixLabApp(App[int]):
    """``KratixLabApp(lab_path, read_only=False, play=True)``: the dashboard on one lab directory."""

    TITLE = "kratix-lab"
    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("colon", "jump", "Kind", key_display=":"),
        Binding("c", "create", "Create"),
        Binding("p", "toggle_clock", "Play/pause"),
        Binding("n", "step_clock", "Step"),
    ]

    lab_time: reactive[str] = reactive("")
    playing: reactive[bool] = reactive(False)
    faults: reactive[tuple[str, ...]] = reactive(())

    def __init__(
        self,
        lab_path: str | Path,
        *,
        read_only: bool = False,
        play: bool = True,
        tick: float = 1.0,
        refresh_every: float = 1.0,
        workers: str = "process",
    ) -> None:
        super().__init__()
        self.lab_path = Path(lab_path)
        self.read_only = read_only
        self.tick = tick
        self.refresh_every = refresh_every
        # The lab on the UI thread: for screens that act at once (the create screen submits with it).
        self.lab = Lab.open_for_reading(self.lab_path) if read_only else Lab(self.lab_path, create=False)
        self.reader = make_worker(workers, self.lab_path, "reader", read_only=True)
        # The dashboard's fleet (a second per change at 100 vClusters) reads apart, so a detail, a log or a
        # list opened meanwhile never queues behind it.
        self.fleet_reader = make_worker(workers, self.lab_path, "fleet", read_only=True)
        self.clock: LabWorker | None = (
            None if read_only else make_worker(workers, self.lab_path, "clock", read_only=False)
        )
        self._stepping = False
        self.steps = 0  # steps this app has taken (the clock's and `n`)
        self.set_reactive(KratixLabApp.playing, play and not read_only)
        self.set_reactive(KratixLabApp.lab_time, self.lab.now())

    # ---- lifecycle -------------------------------------------------------------------------

    def on_mount(self) -> None:
        from tui.screens.dashboard import DashboardScreen

        self.push_screen(DashboardScreen())
        if self.clock is not None and self.tick > 0:
            self.set_interval(self.tick, self._clock_tick, name="lab clock")
        if self.refresh_every > 0:
            self.set_interval(self.refresh_every, self.refresh_screen, name="refresh")

    def on_unmount(self) -> None:
        self.close_workers()

    def close_workers(self, *, wait: bool = False) -> None:
        self.reader.close(wait=wait)
        self.fleet_reader.close(wait=wait)
        if self.clock is not None:
            self.clock.close(wait=wait)
        self.lab.close()

    def show_lab_state(self) -> None:
        """The header's lab time and active faults, read once here after every read and step (two meta rows:
        cheap on the UI thread), whichever screen is shown and whoever changed them."""
        self.lab_time = self.lab.now()
        self.faults = tuple(sorted(self.lab.faults.active()))

    # ---- reading and acting, off the UI thread ---------------------------------------------

    async def read(self, job: Job[T], *, fleet: bool = False) -> T:
        """Run a read on the reader, or the fleet's own reader (exceptions propagate to the caller)."""
        return await (self.fleet_reader if fleet else self.reader).run(job)

    async def act(self, job: Job[T], done: str | Callable[[T], str] | None = None) -> T | None:
        """Run a change on the clock's worker (never racing a step); report the outcome or the error."""
        if self.clock is None:
            self.notify("read-only: this dashboard does not change the lab", severity="warning")
            return None
        try:
            result = await self.clock.run(job)
        except Exception as e:  # the lab's own message (not found, conflict, a bad request…)
            self.notify(str(e), title="failed", severity="error", timeout=8)
            return None
        if done is not None:
            self.notify(done(result) if callable(done) else done)
        self.refresh_screen()
        return result

    def refresh_screen(self) -> None:
        """Ask the visible screen to read the lab again (it skips the work when nothing changed)."""
        refresh = getattr(self.screen, "refresh_data", None)
        if refresh is not None:
            refresh()

    # ---- the lab clock ---------------------------------------------------------------------

    def _clock_tick(self) -> None:
        if self.playing and not self._stepping:
            self.step_lab()

    @work(exclusive=True, group="lab-clock")
    async def step_lab(self) -> None:
        if self.clock is None or self._stepping:
            return
        self._stepping = True
        try:
            await self.clock.run(jobs.step)
        except Exception as e:
            self.playing = False
            self.notify(f"the lab clock stopped: {e}", severity="error", timeout=10)
            return
        finally:
            self._stepping = False
        self.steps += 1
        self.show_lab_state()
        self.refresh_screen()

    def action_toggle_clock(self) -> None:
        self.playing = not self.playing
        self.notify("lab clock playing" if self.playing else "lab clock paused", timeout=2)

    def action_step_clock(self) -> None:
        self.step_lab()

    # ---- navigation ------------------------------------------------------------------------

    def open_request(self, kind: str, name: str, namespace: str | None) -> None:
        """Open a request's detail screen (the create screen calls this after submitting)."""
        from tui.screens.request_detail import RequestDetailScreen

        self.push_screen(RequestDetailScreen(ObjectRef(kind, name, namespace)))

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_jump(self) -> None:
        from tui.screens.kind_prompt import KindPromptScreen
        from tui.screens.object_list import ObjectListScreen

        def chosen(kind: Any) -> None:
            if kind is not None:
                self.push_screen(ObjectListScreen(kind))

        if not isinstance(self.screen, KindPromptScreen):
            self.push_screen(KindPromptScreen(), chosen)

    def action_create(self) -> None:
        try:
            from tui.screens.create import CreateScreen
        except ImportError as e:
            self.notify(f"the create screen is not available: {e}", severity="error")
            return
        self.push_screen(CreateScreen())

    def edit_request(self, ref: ObjectRef, focus_hints: tuple[str, ...] = ()) -> None:
        """`e` (as k9s): the create form prefilled from the request's file in the gitops repo; the same
        validation, a diff of the file, then a commit through ``Lab.submit``. ``focus_hints``: texts naming the
        field to start in (the findings' fixes)."""
        if not self.allows("edit"):
            self.notify("read-only: this dashboard does not change the lab", severity="warning")
            return
        from tui.screens.create import CreateScreen

        promise = next((p.name for p in self.lab.promises() if p.crd is not None and p.crd.kind == ref.kind), None)
        if promise is None:
            self.notify(f"{ref.kind} is not a request of an installed Promise: nothing to edit", severity="warning")
            return
        self.push_screen(CreateScreen(promise, edit=ref.name, focus_hints=focus_hints))

    def show_describe(self, ref: ObjectRef) -> None:
        from tui.screens.object_pages import DescribeScreen

        self.push_screen(DescribeScreen(f"describe {ref.title}", jobs.read_describe(ref)))

    def show_yaml(self, ref: ObjectRef) -> None:
        from tui.screens.object_pages import YamlScreen

        self.push_screen(YamlScreen(f"YAML {ref.title}", jobs.read_yaml(ref)))

    def show_logs(self, ref: ObjectRef) -> None:
        from tui.screens.object_pages import LogsScreen

        self.push_screen(LogsScreen(f"logs {ref.title}", jobs.read_logs(ref)))

    # ---- actions on a request ----------------------------------------------------------------

    def reconcile(self, ref: ObjectRef) -> None:
        self.run_worker(
            self.act(
                jobs.reconcile(ref), f"reconcile requested: Kratix runs {ref.title}'s workflows again on the next step"
            ),
            group="actions",
        )

    def delete(self, ref: ObjectRef) -> None:
        """Show what a delete removes; delete (through the gitops repo) only when confirmed."""
        self.run_worker(self._confirm_delete(ref), group="actions")

    async def _confirm_delete(self, ref: ObjectRef) -> None:
        from tui.screens.confirm_delete import ConfirmDeleteScreen

        try:
            plan = await self.read(jobs.read_delete_plan(ref))
        except Exception as e:
            self.notify(str(e), title=f"cannot delete {ref.title}", severity="error", timeout=8)
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.run_worker(
                    self.act(jobs.delete(ref), lambda message: message),
                    group="actions",
                )

        self.push_screen(ConfirmDeleteScreen(plan), confirmed)

    # ---- read-only mode and the command palette --------------------------------------------

    def allows(self, action: str) -> bool:
        return not (self.read_only and action in MUTATING_ACTIONS)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.allows(action)

    def watch_playing(self) -> None:
        self.refresh_bindings()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        commands: list[tuple[str, str, Callable[[], Any], str]] = [
            ("Create vCluster", "a form from the Promise's schema; commits the request to the gitops repo", self.action_create, "create"),
            ("Pause the lab clock" if self.playing else "Play the lab clock", "the lab steps by itself while playing", self.action_toggle_clock, "toggle_clock"),
            ("Step the lab once", "one controller round (the clock moves 5 s)", self.action_step_clock, "step_clock"),
            ("Jump to a kind", "list the objects of any kind (like k9s's :)", self.action_jump, "jump"),
            ("Keys", "every key of this screen", self.action_help, "help"),
        ]  # fmt: skip
        for title, help_text, callback, action in commands:
            if self.allows(action):
                yield SystemCommand(title, help_text, callback)
        for title, help_text, callback, action in getattr(screen, "palette_commands", lambda: [])():
            if self.allows(action) and screen.check_action(action, ()) is not False:
                yield SystemCommand(title, help_text, callback)


def main(args: argparse.Namespace) -> int:
    """``kratix-lab tui``: 0 when quit, 2 when the lab cannot be opened (the message says why)."""
    path = Path(args.lab) if getattr(args, "lab", None) else default_lab_dir()
    read_only = bool(getattr(args, "read_only", False))
    try:
        (Lab.open_for_reading(path) if read_only else Lab(path, create=False)).close()
    except LabError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"error: {path}: cannot open the lab: {e.strerror or e}", file=sys.stderr)
        return 2
    app = KratixLabApp(path, read_only=read_only)
    app.run()
    return app.return_code or 0
