"""A request's detail: the verdict on top, the trace tree on the left (health-coloured) and, for the
selected node, a side pane with its YAML, status, logs, state-repo files and diff, and findings.
Everything updates as the request progresses.

The screen is on screen at once (``reading the trace…``) and fills in when the reader's answer comes. The app keeps
one instance installed and shows the next request in it (``show_request``): building a screen of tabs costs Textual
about a tenth of a second, and so does removing one when it is dismissed. Each request shown in it is a generation:
an answer read for an earlier one (it may come late: the reader was busy) is dropped, never shown."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.widgets import TabbedContent, Tree

from kratix_lab.trace import STAGE_TITLES, TraceNode
from kratix_lab.views.trace_view import HEALTH_STYLE
from tui import messages as msg
from tui.jobs import (
    NodeDetail,
    ObjectRef,
    TraceSnapshot,
    node_ref,
    read_node_detail,
    read_node_logs,
    read_node_text,
    read_trace,
)
from tui.screens.base import LabScreen, PaletteCommand
from tui.widgets.key_footer import KeyFooter
from tui.widgets.lab_header import LabHeader
from tui.widgets.node_details import TABS, NodeDetails
from tui.widgets.trace_tree import TraceEntry, TraceTree
from tui.widgets.verdict_line import VerdictLine


class RequestDetailScreen(LabScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("e", "edit", "Edit"),
        Binding("l", "logs", "Logs", show=False),  # the footer's room goes to e (the Logs tab is 3)
        Binding("d", "describe", "Describe", show=False),
        Binding("y", "yaml", "YAML", show=False),
        Binding("r", "reconcile", "Reconcile"),
        Binding("ctrl+d", "delete", "Delete"),
        Binding("z", "zoom", "Zoom: side pane, tree, both", show=False),
        *(Binding(str(i), f"tab('{tab_id}')", f"{title} tab", show=False) for i, (tab_id, title) in enumerate(TABS, 1)),
    ]

    def __init__(self, ref: ObjectRef) -> None:
        super().__init__()
        self.ref = ref
        self.snapshot: TraceSnapshot | None = None
        self.error: str | None = None
        self.generation = 0  # the requests shown in this screen so far, less one (``show_request``)
        # False while built ahead, before its first ``show_request`` (``blank``), and once left (``_blank_when_left``)
        self.shows_request = True
        self._blank = False  # cleared off screen: nothing of a request shown (``blank``, ``_blank_when_left``)

    @classmethod
    def blank(cls) -> RequestDetailScreen:
        """A detail screen built ahead (``KratixLabApp.build_detail_ahead``): it reads nothing until
        ``show_request``."""
        screen = cls(ObjectRef("", ""))
        screen.shows_request = False
        screen._blank = True
        return screen

    def show_request(self, ref: ObjectRef) -> None:
        """Show ``ref`` in this screen (kept installed by the app, off the stack now): everything of the request shown
        before is cleared — as in a new screen — and what is read for it from now on is dropped (``generation``).
        The screen reads ``ref`` when it is shown again (``on_screen_resume``). Cleared already when it was left
        (``_blank_when_left``): only the tree's title is the new request's, so showing it lays nothing out."""
        self.generation += 1
        self.shows_request = True
        self.ref = ref
        self.snapshot = None
        self.error = None
        if not self._blank:
            self._clear()
        self._blank = False
        self.tree.border_title = ref.title
        self.tree.focus()

    def _clear(self) -> None:
        """Everything of the request shown before gone: the screen as a new one looks before its first answer."""
        if self.maximized is not None:
            self.minimize()
        self.verdict.update("reading the trace…")
        self.tree.clear_trace("")
        self.details.clear()

    def on_screen_suspend(self) -> None:
        """Left for the dashboard (not for a screen above it: a page, the create form): cleared a moment later, off
        screen (``_blank_when_left``)."""
        if self.kept and self not in self.app.screen_stack:
            self.set_timer(self.BLANK_AFTER, self._blank_when_left, name="blank the kept detail")

    BLANK_AFTER = 0.2  # seconds after the screen was left (`escape`'s paint done)
    kept = False  # the app's kept detail (``KratixLabApp.open_request``), installed: left, it stays mounted

    def _blank_when_left(self) -> None:
        """Clear the screen of the request it showed, off screen, and lay it out and draw it there (what opening the
        next detail did inside the `enter`: a layout and a paint of what was cleared, ~10–20 ms of the UI thread).
        What was read for that request and answers later is dropped (``generation``); a screen shown again meanwhile
        is left alone (``show_request`` clears it)."""
        if self._blank or not self.is_attached or self in self.app.screen_stack or self._pruning:
            return
        self.generation += 1
        self.shows_request = False
        self.snapshot = None
        self.error = None
        try:
            self._clear()
        except NoMatches:  # the app is closing: its widgets are being removed (the timer was due meanwhile)
            return
        self._blank = True
        # a worker: the screen handles the layout its widgets ask for meanwhile (not while this timer's callback runs)
        self.run_worker(self.lay_out_off_screen(), group="off-screen", exclusive=True)

    def lay_out_ahead(self) -> None:
        """Built ahead (``KratixLabApp.build_detail_ahead``): laid out and drawn off screen once every part is mounted,
        so that the first `enter` only paints (~55 → ~15 ms of the UI thread at 1,000 vClusters, issue 15)."""
        self.run_worker(self._lay_out_when_mounted(), group="off-screen", exclusive=True)

    async def _lay_out_when_mounted(self) -> None:
        for _ in range(40):  # (2 s at most: a screen that never gets there is laid out when shown, as it was)
            if not self.is_attached or self in self.app.screen_stack:
                return
            if self._parts_mounted():
                await self.lay_out_off_screen()
                return
            await asyncio.sleep(0.05)

    def _parts_mounted(self) -> bool:
        """Whether every widget is mounted and every row of tabs has its underline: a layout sends each widget
        whose size changed a Resize, and Textual's ``Tabs`` reads its ``Underline`` there (``Tabs._on_resize`` →
        ``_highlight_active``: ``query_one(Underline)``, an error that ends the app while it is not mounted yet — the
        tabs mount their parts after the screen is mounted; seen once in CI under load)."""
        from textual.widgets import Tabs
        from textual.widgets._tabs import Underline

        return all(w.is_mounted for w in self.walk_children()) and all(
            any(u.is_mounted for u in tabs.query(Underline)) for tabs in self.query(Tabs)
        )

    async def lay_out_off_screen(self) -> None:
        """Lay the screen out at the app's size and draw its widgets while it is not shown, so that showing it is a
        paint of what they drew (``Screen._on_screen_resume`` lays out a screen of another size than the app's, and
        the screen's timer what changed while it was away). Through Textual's own steps (``Screen._refresh_layout``,
        the compositor's render), which have no public call; again while what the last layout set off (its Resize and
        Show events, the tabs mounting their panes, a pane scrolled home) asks for another."""
        for _ in range(4):
            await asyncio.sleep(0.05)
            if not self.is_attached or self in self.app.screen_stack:
                return  # shown meanwhile (it lays itself out), or the app is closing
            if not self._parts_mounted():  # (what the last layout set off mounts parts: their turn first)
                continue
            self._refresh_layout(self.app.size)
            self._layout_required = False
            self._compositor.render_update(full=True)
            self._dirty_widgets.clear()
            await asyncio.sleep(0.05)
            if not (self._layout_required or self._dirty_widgets):
                return

    def compose(self) -> ComposeResult:
        yield LabHeader(id="lab-header")
        yield VerdictLine("reading the trace…", id="verdict")
        with Horizontal(id="detail-body"):
            yield TraceTree(id="trace-tree")
            yield NodeDetails(id="node-details")
        yield KeyFooter()

    @property
    def tree(self) -> TraceTree:
        return self.query_one(TraceTree)

    @property
    def details(self) -> NodeDetails:
        return self.query_one(NodeDetails)

    @property
    def verdict(self) -> VerdictLine:
        return self.query_one(VerdictLine)

    def on_mount(self) -> None:
        self._css_update_count = self.app._css_update_count  # styled as it mounted: with the app's CSS now
        self.tree.focus()
        if self.shows_request:
            self.tree.border_title = self.ref.title
            self.refresh_data()

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        """Shown again (``show_request``): its nodes' styles are applied again only when the app's CSS changed
        meanwhile (a theme chosen in the palette), as Textual does for a screen of another mode
        (``App._css_update_count``); else pushing it restyled its ~45 nodes, a third of opening a detail. Runs
        before ``Screen._on_screen_resume`` (the handlers run down the class's MRO)."""
        if self._css_update_count == self.app._css_update_count:
            event.refresh_styles = False
        self._css_update_count = self.app._css_update_count

    # ---- reading --------------------------------------------------------------------------

    async def load(self) -> None:
        """Diagnose the request (on the reader), show the verdict and tree, then the selected node. An answer for a
        request this screen no longer shows (``show_request`` meanwhile) is dropped."""
        if not self.shows_request:
            return
        generation = self.generation

        def loaded(snapshot: TraceSnapshot) -> None:
            if generation == self.generation:
                self._loaded(snapshot)

        def failed(message: str) -> None:
            if generation == self.generation:
                self._failed(message)

        await self.read_and_show(read_trace(self.ref), loaded, failed)
        if self.snapshot is None or self.is_gone or generation != self.generation:
            return
        trace = self.snapshot.diagnosis.trace
        try:
            entry = self._current(self.tree.selected or TraceEntry(trace, (trace.ref,)))
        except NoMatches:  # closing
            return
        await self.load_detail(entry)

    def _loaded(self, snapshot: TraceSnapshot) -> None:
        self.error = None
        self.snapshot = snapshot
        self.verdict.show(snapshot.diagnosis)
        d = snapshot.diagnosis
        self.tree.show(d.trace, snapshot.now, failing=d.findings[0].object if d.findings else None)

    def _failed(self, message: str) -> None:  # an unknown kind, an unreadable lab
        self.error = message
        self.verdict.update(Text(f"cannot trace {self.ref.title}: {message}", "bold red"))

    def _current(self, entry: TraceEntry) -> TraceEntry:
        """The entry at the same place in the latest trace (the tree may not have moved its cursor yet)."""
        return self.tree.entry_at(entry.path) or entry

    @on(Tree.NodeHighlighted, "#trace-tree")
    def _highlighted(self, event: Tree.NodeHighlighted) -> None:
        if event.node.data is not None:
            self.load_node(event.node.data)

    @work(exclusive=True, group="node")
    async def load_node(self, entry: TraceEntry) -> None:
        await self.load_detail(entry)

    async def load_detail(self, entry: TraceEntry) -> None:
        if self.snapshot is None or entry.path[0] != self.snapshot.diagnosis.trace.ref:
            return  # a node of a request shown before in this screen (``show_request``)
        node = entry.node
        generation = self.generation

        def show(detail: NodeDetail) -> None:
            if generation != self.generation:
                return  # read for the request shown before
            current = self.tree.selected
            if current is not None and current.path != entry.path:
                return  # the cursor moved on while this was read: that node's read shows
            title = Text.assemble(
                (node.health, HEALTH_STYLE.get(node.health, "")),
                f" {STAGE_TITLES.get(node.stage, node.stage)}: ",
                (f"{node.kind} {node.name}", "bold"),
                no_wrap=True,
                overflow="ellipsis",
            )
            self.details.show(title, detail)

        await self.read_and_show(
            read_node_detail(self.snapshot.diagnosis, node, entry.ancestors),
            show,
            lambda message: (
                self.details.show_error(f"cannot read {node.ref}: {message}") if generation == self.generation else None
            ),
        )

    # ---- actions ---------------------------------------------------------------------------

    def selected_node(self) -> TraceNode:
        entry = self.tree.selected
        if entry is not None:
            return entry.node
        if self.snapshot is not None:
            return self.snapshot.diagnosis.trace
        return TraceNode(self.ref.kind, self.ref.name, self.ref.namespace, "request", "Unknown")

    def selected_request(self) -> ObjectRef:
        """The request the selected node belongs to (a sub-request, or this request)."""
        entry = self.tree.selected
        if entry is not None:
            for node in [entry.node, *reversed(entry.ancestors)]:
                if node.stage == "request":
                    return ObjectRef(node.kind, node.name, node.namespace)
        return self.ref

    def action_back(self) -> None:
        self.dismiss()

    def action_zoom(self) -> None:
        """`z` cycles: the side pane full screen (long YAML and logs in 80 columns), then the tree (a deep trace's
        names uncut), then both side by side again."""
        tree = self.tree
        if self.maximized is None:
            self.maximize(self.details, container=False)
        elif self.maximized is self.details:
            self.minimize()
            self.maximize(tree, container=False)
        else:
            self.minimize()

    def action_tab(self, tab_id: str) -> None:
        self.query_one(TabbedContent).active = tab_id

    def action_logs(self) -> None:
        node = self.selected_node()
        self.post_message(msg.ShowPage("logs", f"logs {node.ref}", read_node_logs(node)))

    def action_describe(self) -> None:
        node = self.selected_node()
        ref = node_ref(node)
        if ref is not None:
            self.post_message(msg.ShowObject(ref, "describe"))
        else:
            self.post_message(msg.ShowPage("describe", f"describe {node.ref}", read_node_text(node)))

    def action_yaml(self) -> None:
        node = self.selected_node()
        ref = node_ref(node)
        if ref is None:
            self.action_tab("tab-yaml")
            return
        self.post_message(msg.ShowObject(ref, "yaml"))

    def action_reconcile(self) -> None:
        self.post_message(msg.Reconcile(self.selected_request()))

    def action_edit(self) -> None:
        """`e`: edit this request in git, starting in the field the findings' fixes name (the OOM fix:
        vcluster.resources.limits.memory)."""
        fixes = tuple(f.fix for f in self.snapshot.diagnosis.findings) if self.snapshot is not None else ()
        self.post_message(msg.EditRequest(self.ref, fixes))

    def action_delete(self) -> None:
        self.post_message(msg.Delete(self.ref))

    def palette_commands(self) -> list[PaletteCommand]:
        node = self.selected_node()
        req = self.selected_request()
        return [
            (f"Logs of {node.kind} {node.name}", "pipeline runs and pods (l)", self.action_logs, "logs"),
            (f"Describe {node.kind} {node.name}", "kubectl describe (d)", self.action_describe, "describe"),
            (f"YAML of {node.kind} {node.name}", "the object as stored (y)", self.action_yaml, "yaml"),
            (f"Edit {self.ref.kind} {self.ref.name}", "the request in git; a diff before the commit (e)", self.action_edit, "edit"),
            (f"Reconcile {req.kind} {req.name}", "run its workflows again (r)", self.action_reconcile, "reconcile"),
            (f"Delete {self.ref.kind} {self.ref.name}", "shows what will be removed first (ctrl+d)", self.action_delete, "delete"),
            *((f"Show the {title} tab", f"side pane ({i})", lambda t=tab_id: self.action_tab(t), "tab") for i, (tab_id, title) in enumerate(TABS, 1)),
        ]  # fmt: skip
