"""The dashboard: every vCluster with the stage its road reached, its health, since when and why.

Rows come from the fleet's worker (``tui.jobs.read_fleet``), which keeps them incrementally: each read answers
with the rows a change reached, and the table updates those cells in place (a row moves when its place in the order
changed; sort, filter and the selected row stay), so it refreshes live without ever blocking a key press. The first
paint streams: the worker computes the rows in batches, each shown as it arrives — the title counts ``computing 120
of 1,000…`` — while the next is asked for at once, and the table is usable meanwhile.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from kratix_lab.kube.health import HEALTHY
from kratix_lab.views.literal import printable
from tui.jobs import FleetReader, FleetSnapshot, ObjectRef
from tui.messages import FleetShown, OpenRequest
from tui.screens.base import PaletteCommand
from tui.screens.table_screen import TableScreen
from tui.widgets.filter_bar import FilterBar
from tui.widgets.key_footer import KeyFooter
from tui.widgets.lab_header import LabHeader
from tui.widgets.vcluster_table import (
    SINCE,
    SORT_KEYS,
    VClusterTable,
    column_labels,
    haystack,
    health_counts,
    matches,
    row_cells,
    row_key,
    since_cell,
)

KIND = "VClusterOrchestrator"
SORT_ORDER = ["name", "stage", "health", "since", "preset", "k8s", "message"]


class DashboardScreen(TableScreen):
    noun = "vCluster"

    BINDINGS: ClassVar[list[BindingType]] = [
        # enter is the table's own binding (RowSelected below): a priority binding here ran before the table had
        # moved its cursor for the keys typed just before ("down down enter" opened the first row)
        Binding("enter", "open", "Trace"),
        Binding("slash", "filter", "Filter", key_display="/", priority=True),  # TableScreen.action_filter
        Binding("exclamation_mark", "problems", "Problems", key_display="!"),
        Binding("s", "sort", "Sort", show=False),  # health, worst first, is the default order (? lists s)
        Binding("S", "reverse", "Reverse sort", show=False),
        Binding("l", "logs", "Logs", show=False),  # the footer's room goes to `!` (? and ctrl+p list l and s)
        Binding("d", "describe", "Describe", show=False),
        Binding("y", "yaml", "YAML", show=False),
        Binding("e", "edit", "Edit", show=False),  # ? and ctrl+p list it (the footer is full at 80 columns)
        Binding("r", "reconcile", "Reconcile"),
        Binding("ctrl+d", "delete", "Delete"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    STREAM = True  # rows pending after a read: ask for the next batch at once (tests turn it off to stop mid-stream)
    # While the first paint streams in, the table takes the rows computed meanwhile at most this often (seconds); the
    # title's count moves with every batch. Any change to a DataTable draws its lines on screen again (its caches of
    # rows and lines are keyed by its count of updates; VClusterTable keeps the cells drawn): at 1,000 vClusters, a
    # batch every 0.3 s, before either, made the app's process draw for 9 of the 17 s the first paint took, on the
    # cores the rows are computed on.
    STREAM_SHOW_EVERY = 1.0

    def __init__(self) -> None:
        super().__init__()
        self.reader = FleetReader()
        self.snapshot: FleetSnapshot | None = None
        self.rows: list[Any] = []
        # row key -> (its row, its cells, the lab time SINCE was made for); SINCE is made again when the time moved
        self._cells: dict[str, tuple[Any, list[Any], int]] = {}
        self._hay: dict[str, tuple[Any, str]] = {}  # row key -> (its row, what the filter searches in it)
        self.sort_column = "health"  # problems first: worst health on top, then by name (issue 17.2)
        self.sort_reverse = False
        self.filter_text = ""
        self.problems_only = False  # `!`: only the vClusters that are not Healthy
        self.error: str | None = None
        self._shown_at = 0.0  # when show() last gave the table its rows (time.monotonic())
        self._counts = (0, 0)  # the rows it shows, of the rows read then (the title's "shown/total")
        self._shown_message: tuple[Any, ...] | None = None  # what the line under the table shows (``_message``)

    def compose(self) -> ComposeResult:
        yield LabHeader(id="lab-header")
        yield FilterBar(id="filter")
        yield VClusterTable(id="vclusters")
        yield Static("", id="selected-message")
        yield KeyFooter()

    @property
    def table(self) -> VClusterTable:
        return self.query_one(VClusterTable)

    def on_mount(self) -> None:
        self.table.focus()
        self._title()
        self.refresh_data()

    # ---- reading --------------------------------------------------------------------------

    async def load(self) -> None:
        """Read every vCluster's row (on the reader thread) and show it."""
        await self.read_and_show(self.reader.job(), self._loaded, self._failed, fleet=True)

    def _loaded(self, snapshot: FleetSnapshot) -> None:
        before, failed, self.error = self.snapshot, self.error is not None, None
        if before is None:
            self.lab_app.start_reader()  # the first rows are in: the reader's start no longer delays them
        self.rows = self.reader.take(snapshot)
        self.snapshot = snapshot
        if self.STREAM and not snapshot.complete:
            self._read_again = True  # the next batch at once (``refresh_data``'s loop)
        if snapshot.complete and (before is None or not before.complete):
            self.post_message(FleetShown())  # every row in: the app may build the detail screen ahead
        unchanged = snapshot.rows is None and not (snapshot.changed or snapshot.gone)
        if unchanged and before is not None and before.now == snapshot.now and before.pending == snapshot.pending:
            if failed:
                self._show_selected()
            return  # nothing to redraw: not even the time SINCE counts from moved
        if not snapshot.complete and self._counts[0] and time.monotonic() - self._shown_at < self.STREAM_SHOW_EVERY:
            self._title(*self._counts)  # streaming: the progress now, the rows with a later batch
            return
        self.show()

    def _failed(self, message: str) -> None:
        what = "the cluster" if self.lab_app.live else "the lab"
        self.error = f"cannot read {what}: {message}"
        self._message(Text(self.error, "bold red"))

    def show(self, *, to_top: bool = False) -> None:
        """Filter, sort and show the last snapshot; ``to_top`` (a new order or filter) puts the cursor on
        the first row and scrolls there, so what the new order puts first is what is seen."""
        snap = self.snapshot
        if snap is None:
            self._title()
            return
        text = self.filter_text
        rows = [
            s
            for s in self.rows
            if (not text or matches(s, text, self._haystack(s))) and not (self.problems_only and s.health == HEALTHY)
        ]
        rows.sort(key=SORT_KEYS[self.sort_column], reverse=self.sort_reverse)
        self.table.label_columns(column_labels(self.rows))
        if len(self._cells) > len(self.rows) or len(self._hay) > len(self.rows):  # rows gone from the fleet: theirs too
            kept = {row_key(s) for s in self.rows}
            self._cells = {k: v for k, v in self._cells.items() if k in kept}
            self._hay = {k: v for k, v in self._hay.items() if k in kept}
        # rows the filter or `!` hides are kept in the table, hidden (``keep``: the rows of the fleet), to come back as
        # they were when the filter is cleared
        self.table.show([(row_key(s), self._row_cells(s, snap.now)) for s in rows], keep=self._cells)
        self._shown_at, self._counts = time.monotonic(), (len(rows), len(self.rows))
        if to_top and rows:
            self.table.move_cursor(row=0, animate=False)
            self.table.scroll_home(animate=False)
        self._title(len(rows), len(self.rows))
        self._show_selected()

    def _row_cells(self, s: Any, now: int) -> list[Any]:
        """The row's cells, made again only for a row that changed — but SINCE, which the lab's time moves (made
        again when the time moved: a filter keystroke shows the rows of the same moment)."""
        key = row_key(s)
        kept = self._cells.get(key)
        if kept is None or kept[0] is not s:
            kept = self._cells[key] = (s, row_cells(s, now), now)
        elif kept[2] != now:
            since = since_cell(s, now)
            if since != kept[1][SINCE]:
                kept[1][SINCE] = since
            self._cells[key] = kept = (s, kept[1], now)
        return list(kept[1])

    def _haystack(self, s: Any) -> str:
        """The row's text the filter searches (``haystack``), made once per row."""
        key = row_key(s)
        kept = self._hay.get(key)
        if kept is None or kept[0] is not s:
            kept = self._hay[key] = (s, haystack(s))
        return kept[1]

    def _title(self, shown: int | None = None, total: int | None = None) -> None:
        """``vClusters 30 · ✖ 1 · ◌ 2 · sort: health ▲``: the fleet counted by health, worst first, so a
        problem is noticed whatever the order and wherever the cursor is (issue 17.2)."""
        label = column_labels(self.rows)[self.sort_column].lower()
        count = "" if total is None else (f" {shown}/{total}" if shown != total else f" {total}")
        title = f"vClusters{count}"
        snap = self.snapshot
        if snap is None and self.error is None:  # the fleet's worker is starting, or computing its first rows
            title += " · reading the fleet…"
        elif snap is not None and not snap.complete:  # the first paint is still streaming
            title += f" · computing {snap.done:,} of {snap.total or 0:,}…"
        if total is not None:
            title += "".join(f" · {mark} {n}" for mark, n in health_counts(self.rows))
        title += f" · sort: {label} {'▼' if self.sort_reverse else '▲'}"
        if self.problems_only:
            title += " · not healthy"
        if self.filter_text:
            title += f" · filter: {self.filter_text}"
        self.table.set_title(title)

    def _show_selected(self) -> None:
        status = self.selected_status()
        if status is None:
            empty = self.snapshot is not None and not self.rows
            self._message(Text("no vClusters yet: press c to create one" if empty else "", "dim"))
            return
        self._message(Text.assemble((f"{printable(status.name)}: ", "bold"), printable(status.message)))

    def _message(self, text: Text) -> None:
        """The line under the table (the selected row's whole message, or an error): changed only when its text
        changed, and the screen laid out only when its height changed (up to 3 lines). ``Static.update`` lays the
        screen out by default: that was a layout of the whole screen at every cursor move, every tick of the lab's
        clock and every filter keystroke (~10 ms of the UI thread at 1,000 vClusters, in every key press; issue 15)."""
        widget = self.query_one("#selected-message", Static)
        shown = (text.plain, str(text.style), tuple(text.spans))  # (Text's == leaves its style out)
        if shown == self._shown_message:
            return
        self._shown_message = shown
        widget.update(text, layout=False)
        height = widget.get_content_height(widget.container_size, self.app.size, widget.content_region.width)
        most = widget.styles.max_height
        if most is not None and most.is_cells:
            height = min(height, int(most.value))
        if not widget.size.width or height != widget.size.height:
            widget.refresh(layout=True)

    def selected_status(self) -> Any:
        key = self.table.selected_key
        if key is None or self.snapshot is None:
            return None
        return next((s for s in self.rows if row_key(s) == key), None)

    def selected_ref(self) -> ObjectRef | None:
        s = self.selected_status()
        return ObjectRef(KIND, s.name, s.namespace or None) if s is not None else None

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_selected()

    @on(DataTable.HeaderSelected)
    def _header(self, event: DataTable.HeaderSelected) -> None:
        column = str(event.column_key.value)
        if column == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = column, False
        self.show(to_top=True)

    # ---- filter and sort -------------------------------------------------------------------

    def action_clear_filter(self) -> None:
        if not self.close_filter() and self.problems_only:
            self.action_problems()

    def action_problems(self) -> None:
        """`!`: show only the vClusters that are not Healthy (again: all of them)."""
        self.problems_only = not self.problems_only
        self.show(to_top=True)

    def action_sort(self) -> None:
        i = SORT_ORDER.index(self.sort_column)
        self.sort_column = SORT_ORDER[(i + 1) % len(SORT_ORDER)]
        self.sort_reverse = False
        self.show(to_top=True)

    def action_reverse(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self.show(to_top=True)

    # ---- actions on the selected vCluster ----------------------------------------------------

    def action_open(self) -> None:
        self._post_for_selected(OpenRequest)

    def palette_commands(self) -> list[PaletteCommand]:
        ref = self.selected_ref()
        out: list[PaletteCommand] = [
            ("Filter vClusters", "narrow the table (/)", self.action_filter, "filter"),
            ("Show only the vClusters that are not Healthy", "or all of them again (!)", self.action_problems, "problems"),
            ("Sort vClusters by the next column", "name, stage, health, since, preset, k8s, message (s)", self.action_sort, "sort"),
        ]  # fmt: skip
        if ref is not None:
            out += [
                (f"Trace {ref.name}", "the request's road, verdict and findings (enter)", self.action_open, "open"),
                (f"Logs of {ref.name}", "the pipeline runs' logs (l)", self.action_logs, "logs"),
                (f"Describe {ref.name}", "kubectl describe (d)", self.action_describe, "describe"),
                (f"YAML of {ref.name}", "the request as stored (y)", self.action_yaml, "yaml"),
                (
                    f"Edit {ref.name}",
                    "the request in git, in the create form; a diff before the commit (e)",
                    self.action_edit,
                    "edit",
                ),
                (f"Reconcile {ref.name}", "run its workflows again (r)", self.action_reconcile, "reconcile"),
                (f"Delete {ref.name}", "shows what will be removed first (ctrl+d)", self.action_delete, "delete"),
            ]
        return out
