"""The kratix-lab SRE dashboard: every vCluster's road at a glance, where a request is stuck and why,
and the actions an SRE takes (create, reconcile, delete) — a thin front end over kratix_lab.

The platform is the embedded lab or, in live mode (``--context``/``--kubeconfig``), a cluster; the app
reads and changes it only through ``kratix_lab.sources.Source`` and ``Actions`` — never a ``Lab`` —
in workers: a reader (every refresh: trace, diagnose, pages, the create form's validation), the fleet's
own reader, and the writer (reconcile, delete, create; in the lab also the clock's steps, so actions
never race a step). Each opens its own platform from picklable ``PlatformSettings``; by default the fleet's
reader is a process of its own and the reader and the writer share another, each on a thread of its own (see
``tui.lab_workers``). The UI thread reads nothing itself.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual import events, on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen

from kratix_lab.errors import KratixLabError
from kratix_lab.sources import BIG_BODY
from kratix_lab.sources.factory import PlatformSettings, open_platform
from kratix_lab.startup import tune_gc
from tui import jobs
from tui import messages as msg
from tui.host import CLOCK_ACTIONS, MUTATING_ACTIONS, LabHost, Permissions
from tui.jobs import ObjectRef
from tui.lab_workers import WORKER_NICENESS, Header, Job, LabWorker, WorkerHost, make_worker, noop
from tui.screens.base import LabScreen

if TYPE_CHECKING:
    from kratix_lab.forms import Submitted
    from tui.screens.request_detail import RequestDetailScreen

T = TypeVar("T")

__all__ = ["CLOCK_ACTIONS", "LIVE_REFRESH", "MUTATING_ACTIONS", "KratixLabApp", "main"]

LIVE_REFRESH = 5.0  # seconds between two reads of a cluster (k9s polls every 2 s; a fleet costs more)
# The collector's full collections, once every row is in (``_on_fleet_shown``), run when the keys have paused: never by
# themselves (Python's rule would start one in whichever key press made the object that tipped it: 40–130 ms of the
# UI thread at 1,000 vClusters, the slowest key presses), but every ``FULL_COLLECTION_EVERY`` seconds when no key came
# for ``KEYS_PAUSED`` seconds, and after ``FULL_COLLECTION_AT_LATEST`` seconds whatever the keys do.
FULL_COLLECTION_EVERY = 10.0
KEYS_PAUSED = 1.0
FULL_COLLECTION_AT_LATEST = 60.0
# The young collections too wait while keys come one after another (issue 15): with Python's thresholds one runs every
# 700 objects made, and a key that shows a thousand rows again (escape clearing a filter) makes tens of thousands —
# 4–12 ms of dozens of small collections inside the press at 1,000 vClusters. From a key on, the collector is off until
# no key came for ``KEYS_BURST_OVER`` seconds (checked every ``KEYS_BURST_CHECK``), and at most ``KEYS_BURST_AT_MOST``
# seconds in a row (a key held down); reference counting frees what holds no cycle meanwhile, as ever.
KEYS_BURST_OVER = 0.5
KEYS_BURST_CHECK = 0.25
KEYS_BURST_AT_MOST = 5.0
_NEVER_BY_ITSELF = 1 << 30  # the oldest generation's threshold: collections of the younger ones before one by itself


class KratixLabApp(App[int]):
    """``KratixLabApp(platform, read_only=False, play=True)``: the dashboard on one platform — a lab
    directory (a path) or ``PlatformSettings`` (a lab, or a cluster in live mode)."""

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

    # The app's state, read by screens and widgets through ``tui.host.lab_app`` (typed, see ``LabHost``) and
    # watched by those that show it (the header).
    live: reactive[bool] = reactive(False)
    read_only: reactive[bool] = reactive(False)
    lab_time: reactive[str] = reactive("")
    playing: reactive[bool] = reactive(False)
    faults: reactive[tuple[str, ...]] = reactive(())
    platform_name: reactive[str] = reactive("")

    def __init__(
        self,
        platform: PlatformSettings | str | Path,
        *,
        read_only: bool = False,
        play: bool = True,
        tick: float = 1.0,
        refresh_every: float = 1.0,
        workers: str = "process",
    ) -> None:
        super().__init__()
        self.settings = platform if isinstance(platform, PlatformSettings) else PlatformSettings(lab=str(platform))
        self.set_reactive(KratixLabApp.live, self.settings.live)
        self.lab_path: Path | None = None if self.live else Path(str(self.settings.lab))
        # live mode is read-only unless started with --write
        self.set_reactive(KratixLabApp.read_only, read_only or (self.live and not self.settings.write))
        self.has_clock = not self.live
        self.tick = tick
        self.refresh_every = refresh_every
        # the reader and the writer yield the CPU to the UI (a key press drawn first); the fleet's reader does not.
        # In the lab, the reader and the clock keep what they parse compact (each repeated part once: issue 15's
        # memory budget; a body they decode costs about twice the CPU, off the UI); the fleet's reader does not (how
        # soon a changed row is on screen is its time).
        kept_settings = self.settings if self.settings.live else replace(self.settings, compact=True)
        # The reader and the writer share one process (``WorkerHost``: each on a thread of its own, at the host's
        # niceness), beside which the reader costs little — in the lab the writer is the clock, which holds the whole
        # lab parsed.
        self.host = WorkerHost(WORKER_NICENESS)
        self.reader = make_worker(workers, kept_settings, "reader", read_only=True, host=self.host)
        # The dashboard's fleet (a second per change at 100 vClusters) reads apart, so a detail, a log or a
        # list opened meanwhile never queues behind it.
        # Live, it reads through the watch cache (each kind listed once, then watched): its events tell the fleet's
        # rows what changed, and only the rows they reach are computed again (tui.jobs.read_fleet).
        # In the lab it keeps parsed only the big bodies (the state reconciler's Application, which every row reads):
        # the members' read parses every request and Application, and each is read again only by its own row.
        fleet_settings = (
            replace(self.settings, watch=True) if self.settings.live else replace(self.settings, kept_from=BIG_BODY)
        )
        self.fleet_reader = make_worker(workers, fleet_settings, "fleet", read_only=True)
        self.fleet_reader.submit(jobs.warm_fleet)  # its start overlaps the app's (the first row sooner)
        # Every change (and, in the lab, every step of its clock) on one worker of its own. A lab's clock steps every
        # controller over every object: it holds the whole lab parsed (compact, as the reader).
        self.writer: LabWorker | None = (
            None if self.read_only else make_worker(workers, kept_settings, "writer", read_only=False, host=self.host)
        )
        for worker in (self.reader, self.fleet_reader, self.writer):
            if worker is not None:
                worker.on_header = self._show_header
        self._detail_screen: RequestDetailScreen | None = None  # kept installed: open_request
        self._gc_thresholds = gc.get_threshold()  # the process's, restored when the app ends (``on_mount``)
        self._stepping = False
        self.steps = 0  # steps this app has taken (the clock's and `n`)
        self.key_at = 0.0  # when the last key was read (time.monotonic())
        self._collected_at: float | None = None  # the last full collection (``_collect_when_idle``); None: not yet
        self._keys_since: float | None = None  # the collector off since then, keys coming (``_collector_back``)
        self.set_reactive(KratixLabApp.playing, play and not self.read_only and self.has_clock)

    @property
    def clock(self) -> LabWorker | None:
        """The writer's worker, where the lab's clock steps (None when read-only)."""
        return self.writer

    # ---- lifecycle -------------------------------------------------------------------------

    def on_mount(self) -> None:
        from tui.screens.dashboard import DashboardScreen

        # The UI thread's garbage collector (issue 15: a key press on screen at once). A collection of the oldest
        # generation walked everything the app holds — Textual's widgets and caches, a thousand vClusters' rows and
        # cells — in one block of 80–100 ms at 1,000 vClusters, landing in whichever key press allocated the object
        # that triggered it. While the first paint streams in, collections are rarer (the workers' thresholds:
        # ``tune_gc``); once it is done, what is alive is frozen out of the collector's sight (``_on_fleet_shown``;
        # freed by reference counting as ever) and Python's thresholds are back for the young collections; a full
        # one, which walks what came after, runs only when the keys have paused (``_collect_when_idle``). Undone when
        # the app ends (it may share its process: the tests, the benchmark).
        tune_gc()

        self.push_screen(DashboardScreen())
        self.run_worker(self._read_platform_name(), group="platform-name")
        if self.clock is not None and self.has_clock and self.tick > 0:
            self.set_interval(self.tick, self._clock_tick, name="lab clock")
        if self.refresh_every > 0:
            self.set_interval(self.refresh_every, self.refresh_screen, name="refresh")

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self.key_at = time.monotonic()
            if self._collected_at is not None and self._keys_since is None and gc.isenabled():
                gc.disable()  # keys coming: the young collections wait for them to pause (``KEYS_BURST_OVER``)
                self._keys_since = self.key_at
        await super().on_event(event)

    def _collector_back(self, *, ending: bool = False) -> None:
        """The collector on again once no key came for ``KEYS_BURST_OVER`` seconds, or after ``KEYS_BURST_AT_MOST``
        seconds of keys (a timer's, every ``KEYS_BURST_CHECK`` seconds), or as the app ends (``ending``)."""
        if self._keys_since is None:
            return
        now = time.monotonic()
        if ending or now - self.key_at >= KEYS_BURST_OVER or now - self._keys_since >= KEYS_BURST_AT_MOST:
            self._keys_since = None
            gc.enable()

    def _collect_when_idle(self) -> None:
        """A full collection when no key came for ``KEYS_PAUSED`` seconds, or the last one is
        ``FULL_COLLECTION_AT_LATEST`` seconds old (a timer's, every ``FULL_COLLECTION_EVERY`` seconds)."""
        now = time.monotonic()
        last = self._collected_at if self._collected_at is not None else now
        if now - self.key_at < KEYS_PAUSED and now - last < FULL_COLLECTION_AT_LATEST:
            return
        gc.collect()
        self._collected_at = now

    def on_unmount(self) -> None:
        self.close_workers()
        self._collector_back(ending=True)
        gc.unfreeze()
        gc.set_threshold(*self._gc_thresholds)

    def close_workers(self, *, wait: bool = False) -> None:
        self.reader.close(wait=wait)
        self.fleet_reader.close(wait=wait)
        if self.writer is not None:
            self.writer.close(wait=wait)

    def _show_header(self, header: Header) -> None:
        """The header's lab time and active faults, as the worker read them after its last job (two meta
        rows, read in the worker), whichever screen is shown and whoever changed them."""
        self.lab_time = header.time
        self.faults = header.faults

    async def _read_platform_name(self) -> None:
        """The platform's name for the header, read by the fleet's worker (the reader starts later: ``start_reader``)."""
        try:
            self.platform_name = await self.read(jobs.read_platform_name, fleet=True)
        except Exception as e:  # an unreachable cluster: every screen's read says so too
            self.platform_name = f"{self.settings.context or 'live'}: {e}" if self.live else ""

    def start_reader(self) -> None:
        """Start the reader's process and open the platform there, before the first detail, list or log asks: the
        dashboard calls this once its first rows are on screen. Three processes importing and opening the platform
        at once on two cores delayed the first row (by half a second at 1,000 vClusters). Started by any read before."""
        self.reader.submit(noop)

    # ---- reading and acting, off the UI thread ---------------------------------------------

    async def read(self, job: Job[T], *, fleet: bool = False) -> T:
        """Run a read on the reader, or the fleet's own reader (exceptions propagate to the caller)."""
        return await (self.fleet_reader if fleet else self.reader).run(job)

    async def write(self, job: Job[T]) -> T:
        """Run a change on the writer's worker and return its result (exceptions propagate: the caller shows
        them where they belong, e.g. the create form's problems panel)."""
        if self.writer is None:
            from kratix_lab.errors import Forbidden

            raise Forbidden(self.read_only_reason)
        return await self.writer.run(job)

    @property
    def read_only_reason(self) -> str:
        if self.live and not self.settings.write:
            return "read-only: live mode changes nothing on the cluster unless the dashboard is started with --write"
        return "read-only: this dashboard does not change the lab"

    async def act(self, job: Job[T], done: str | Callable[[T], str] | None = None) -> T | None:
        """Run a change on the writer's worker (never racing a step); report the outcome or the error."""
        if self.writer is None:
            self.notify(self.read_only_reason, severity="warning")
            return None
        try:
            result = await self.writer.run(job)
        except Exception as e:  # the platform's own message (not found, conflict, a bad request…)
            self.notify(str(e), title="failed", severity="error", timeout=8)
            return None
        if done is not None:
            self.notify(done(result) if callable(done) else done)
        self.refresh_screen()
        return result

    def refresh_screen(self) -> None:
        """Ask the visible screen to read the platform again (it skips the work when nothing changed). None while
        the app quits (a step that ends then finds no screen)."""
        stack = self.screen_stack
        if stack and isinstance(stack[-1], LabScreen):
            stack[-1].refresh_data()

    # ---- the lab clock ---------------------------------------------------------------------

    def _clock_tick(self) -> None:
        if self.playing and not self._stepping:
            self.step_lab()

    @work(exclusive=True, group="lab-clock")
    async def step_lab(self) -> None:
        if self.clock is None or not self.has_clock or self._stepping:
            return
        self._stepping = True
        try:
            await self.clock.run(jobs.step)
        except Exception as e:
            self.playing = False
            if self.clock.closing:  # the app is quitting: the step was cut off, nothing to say
                return
            self.notify(f"the lab clock stopped: {e}", severity="error", timeout=10)
            return
        finally:
            self._stepping = False
        self.steps += 1
        self.refresh_screen()

    def action_toggle_clock(self) -> None:
        self.playing = not self.playing
        self.notify("lab clock playing" if self.playing else "lab clock paused", timeout=2)

    def action_step_clock(self) -> None:
        self.step_lab()

    # ---- navigation ------------------------------------------------------------------------

    def open_request(self, kind: str, name: str, namespace: str | None) -> None:
        """Open a request's detail screen (``OpenRequest``: enter on a row, or after a create). One detail screen is
        kept installed (built ahead: ``build_detail_ahead``) and shows the next request
        (``RequestDetailScreen.show_request``): building one costs Textual a tenth of a second, and removing one as
        much. A detail opened while that one is on the stack (from the create form above it), or before it is built,
        is a screen of its own."""
        from tui.screens.request_detail import RequestDetailScreen

        ref = ObjectRef(kind, name, namespace)
        kept = self._detail_screen
        if kept is not None and kept.is_mounted and kept not in self.screen_stack:
            kept.show_request(ref)
            self.push_screen(kept)
            return
        screen = RequestDetailScreen(ref)
        if kept is None:
            self._keep_detail(screen)
        self.push_screen(screen)

    def build_detail_ahead(self) -> None:
        """Build the detail screen that ``open_request`` shows requests in, off screen, once (``FleetShown``: when
        the dashboard's first paint is done, so it never delays a row)."""
        from tui.screens.request_detail import RequestDetailScreen

        if self._detail_screen is None:
            screen = RequestDetailScreen.blank()
            self._keep_detail(screen)
            # compose and mount it now, not shown: what push_screen does first for a screen that is not running
            # (App._get_screen; Textual has no public call for it); then laid out off screen once every part of it is
            # mounted (``lay_out_ahead``: its tabs mount their parts after the screen is mounted)
            self._get_screen(screen)
            screen.lay_out_ahead()

    def _keep_detail(self, screen: RequestDetailScreen) -> None:
        self._detail_screen = screen
        screen.kept = True
        self.install_screen(screen, name="request-detail")

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
        self.push_screen(CreateScreen(), self._form_done)

    def _form_done(self, done: Submitted | None, *, edited: bool = False) -> None:
        """The create form dismissed with its commit (None: cancelled): open the request's detail — or, for an
        edit started from that detail (now on top again), read it again so it follows the new commit."""
        from tui.screens.request_detail import RequestDetailScreen

        if done is None:
            return
        below = self.screen
        if edited and isinstance(below, RequestDetailScreen) and below.ref.name == done.name:
            below.refresh_data()
            return
        self.open_request(done.kind, done.name, done.namespace)

    def edit_request(self, ref: ObjectRef, focus_hints: tuple[str, ...] = ()) -> None:
        """`e` (as k9s): the create form prefilled from the request's file in the gitops repo; the same
        validation, a diff of the file, then a commit (``Actions.submit_text``). ``focus_hints``: texts naming
        the field to start in (the findings' fixes)."""
        if not self.allows("edit"):
            self.notify(self.read_only_reason, severity="warning")
            return
        self.run_worker(self._edit_request(ref, focus_hints), group="actions")

    async def _edit_request(self, ref: ObjectRef, focus_hints: tuple[str, ...]) -> None:
        from tui.screens.create import CreateScreen

        try:
            promise = await self.read(jobs.read_request_promise(ref.kind))
        except Exception as e:
            self.notify(str(e), title=f"cannot edit {ref.title}", severity="error", timeout=8)
            return
        if promise is None:
            self.notify(f"{ref.kind} is not a request of an installed Promise: nothing to edit", severity="warning")
            return
        self.push_screen(
            CreateScreen(promise, edit=ref.name, focus_hints=focus_hints),
            lambda done: self._form_done(done, edited=True),
        )

    def show_describe(self, ref: ObjectRef) -> None:
        self.show_page("describe", f"describe {ref.title}", jobs.read_describe(ref))

    def show_yaml(self, ref: ObjectRef) -> None:
        self.show_page("yaml", f"YAML {ref.title}", jobs.read_yaml(ref))

    def show_logs(self, ref: ObjectRef) -> None:
        self.show_page("logs", f"logs {ref.title}", jobs.read_logs(ref))

    def show_page(self, page: msg.Page, title: str, job: Job[str]) -> None:
        """A full-screen page of text read by ``job``, kept current while open (logs follow their end)."""
        from tui.screens.object_pages import DescribeScreen, LogsScreen, YamlScreen

        screen = {"describe": DescribeScreen, "yaml": YamlScreen, "logs": LogsScreen}[page]
        self.push_screen(screen(title, job))

    # ---- actions on a request ----------------------------------------------------------------

    def reconcile(self, ref: ObjectRef) -> None:
        self.run_worker(self.act(jobs.reconcile(ref), str), group="actions")  # the platform's own message

    def delete(self, ref: ObjectRef) -> None:
        """Show what a delete removes; delete (through the gitops repo) only when confirmed."""
        self.run_worker(self._confirm_delete(ref), group="actions")

    async def _confirm_delete(self, ref: ObjectRef) -> None:
        from tui.screens.confirm_delete import ConfirmDeleteScreen

        if self.writer is None:
            self.notify(self.read_only_reason, severity="warning")
            return
        try:
            plan = await self.read(jobs.read_delete_plan(ref))
        except Exception as e:
            self.notify(str(e), title=f"cannot delete {ref.title}", severity="error", timeout=8)
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.run_worker(self.act(jobs.delete(ref), str), group="actions")

        self.push_screen(ConfirmDeleteScreen(plan), confirmed)

    # ---- messages from the screens (tui.messages): what they ask, the app does ---------------

    @on(msg.OpenRequest)
    def _on_open_request(self, message: msg.OpenRequest) -> None:
        self.open_request(message.ref.kind, message.ref.name, message.ref.namespace)

    @on(msg.FleetShown)
    def _on_fleet_shown(self, message: msg.FleetShown) -> None:
        self.build_detail_ahead()
        gc.collect()  # the first paint's garbage (rare collections while it streamed) is not frozen with the rest
        gc.freeze()  # every row in: what is alive now stays out of the collector's walks (``on_mount``)
        young, older, _ = self._gc_thresholds
        gc.set_threshold(young, older, _NEVER_BY_ITSELF)  # full collections when the keys pause (``on_mount``)
        if self._collected_at is None:
            self._collected_at = time.monotonic()
            self.set_interval(FULL_COLLECTION_EVERY, self._collect_when_idle, name="full collections")
            self.set_interval(KEYS_BURST_CHECK, self._collector_back, name="young collections")

    @on(msg.ShowObject)
    def _on_show_object(self, message: msg.ShowObject) -> None:
        {"describe": self.show_describe, "yaml": self.show_yaml, "logs": self.show_logs}[message.page](message.ref)

    @on(msg.ShowPage)
    def _on_show_page(self, message: msg.ShowPage) -> None:
        self.show_page(message.page, message.title, message.job)

    @on(msg.Reconcile)
    def _on_reconcile(self, message: msg.Reconcile) -> None:
        self.reconcile(message.ref)

    @on(msg.Delete)
    def _on_delete(self, message: msg.Delete) -> None:
        self.delete(message.ref)

    @on(msg.EditRequest)
    def _on_edit_request(self, message: msg.EditRequest) -> None:
        self.edit_request(message.ref, message.focus_hints)

    @on(msg.ConfirmEdit)
    def _on_confirm_edit(self, message: msg.ConfirmEdit) -> None:
        from tui.screens.confirm_edit import ConfirmEditScreen

        self.push_screen(ConfirmEditScreen(message.title, message.diff), lambda yes: message.answer(bool(yes)))

    # ---- read-only mode and the command palette --------------------------------------------

    @property
    def permissions(self) -> Permissions:
        """Which actions this dashboard's mode allows (read-only, and whether there is a clock)."""
        return Permissions(read_only=self.read_only, has_clock=self.has_clock)

    def allows(self, action: str) -> bool:
        return self.permissions.allows(action)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.allows(action)

    def watch_playing(self) -> None:
        self.refresh_bindings()

    def watch_read_only(self) -> None:
        self.refresh_bindings()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
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
        palette_commands = screen.palette_commands() if isinstance(screen, LabScreen) else []
        for title, help_text, callback, action in palette_commands:
            if self.allows(action) and screen.check_action(action, ()) is not False:
                yield SystemCommand(title, help_text, callback)


if TYPE_CHECKING:

    def _is_a_lab_host(app: KratixLabApp) -> LabHost:
        return app  # mypy checks that the app is what screens and widgets read (tui.host.LabHost)


def main(args: argparse.Namespace) -> int:
    """``kratix-lab tui``: 0 when quit, 2 when the platform cannot be opened (the message says why).

    The lab of ``--lab`` (or the default one), or in live mode the cluster of ``--context``/``--kubeconfig``
    (read-only unless ``--write``; writes go through GitOps as ``submit``/``delete`` do)."""
    try:
        settings = PlatformSettings.from_args(args)
    except KratixLabError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    read_only = bool(getattr(args, "read_only", False)) or (settings.live and not settings.write)
    try:
        platform = open_platform(settings, read_only=read_only)
    except KratixLabError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"error: {settings.lab}: cannot open the lab: {e.strerror or e}", file=sys.stderr)
        return 2
    try:
        if settings.live:
            platform.source.promises()  # reachable, and allowed to read Promises: else one line, exit 2
            mode = "read-only" if read_only else "writes allowed (--write)"
            print(f"platform: {platform.source.name} (live, {mode})", file=sys.stderr)
    except KratixLabError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        platform.close()
    # a cluster is polled every LIVE_REFRESH seconds (each refresh is a few API requests per vCluster)
    app = KratixLabApp(settings, read_only=read_only, refresh_every=LIVE_REFRESH if settings.live else 1.0)
    app.run()
    return app.return_code or 0
