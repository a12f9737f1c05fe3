"""Every object of one kind (reached with `:`), as `kubectl get -A` shows it; enter opens a request's
trace, or describes any other object."""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from kratix_lab.views import lab_view as lv
from tui import messages as msg
from tui.jobs import ObjectListing, ObjectRef, read_objects
from tui.screens.base import PaletteCommand
from tui.screens.table_screen import TableScreen
from tui.widgets.filter_bar import FilterBar
from tui.widgets.key_footer import KeyFooter
from tui.widgets.lab_header import LabHeader
from tui.widgets.object_table import ObjectTable

REQUEST_ONLY = {"reconcile", "delete"}


class ObjectListScreen(TableScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        # enter is the table's own binding (RowSelected below): a priority binding here ran before the table had
        # moved its cursor for the keys typed just before ("down down enter" opened the first row)
        Binding("enter", "open", "Open"),
        Binding("escape", "back", "Back"),
        Binding("slash", "filter", "Filter", key_display="/", priority=True),  # TableScreen.action_filter
        Binding("d", "describe", "Describe"),
        Binding("y", "yaml", "YAML"),
        Binding("l", "logs", "Logs"),
        Binding("r", "reconcile", "Reconcile"),
        Binding("ctrl+d", "delete", "Delete"),
    ]

    def __init__(self, kind: lv.Kind) -> None:
        super().__init__()
        self.kind = kind
        self.noun = kind.kind
        self.data: ObjectListing | None = None  # the last listing with a table
        self.filter_text = ""

    @property
    def is_request_kind(self) -> bool:
        return self.kind.promise is not None

    def compose(self) -> ComposeResult:
        yield LabHeader(id="lab-header")
        yield FilterBar(id="filter")
        yield ObjectTable(id="objects")
        yield KeyFooter()

    @property
    def table(self) -> ObjectTable:
        return self.query_one(ObjectTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.refresh_data()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in REQUEST_ONLY and not self.is_request_kind:
            return False
        return super().check_action(action, parameters)

    async def load(self) -> None:
        last = self.data
        job = partial(read_objects, self.kind, last.token if last else None, last.computed_at if last else None)
        await self.read_and_show(job, self._loaded, self._failed)

    def _loaded(self, data: ObjectListing) -> None:
        if data.table is None and self.data is not None:  # unchanged
            self.data.token, self.data.computed_at = data.token, data.computed_at
            return
        self.data = data
        self.show()

    def _failed(self, message: str) -> None:
        self.notify(f"cannot list {self.kind.resource}: {message}", severity="error")

    def show(self) -> None:
        data = self.data
        if data is None or data.table is None:
            return
        words = self.filter_text.lower().split()
        table = lv.TableData(data.table.headers)
        keys = []
        for ref, row in zip(data.refs, data.table.rows, strict=True):
            if all(w in " ".join(row).lower() for w in words):
                table.rows.append(row)
                keys.append(f"{ref.namespace or ''}/{ref.name}")
        self.table.show(table, keys)
        count = f"{len(keys)}/{len(data.refs)}" if self.filter_text else str(len(data.refs))
        self.table.border_title = f"{self.kind.resource} ({count})" + (
            f" · filter: {self.filter_text}" if self.filter_text else ""
        )

    def selected_ref(self) -> ObjectRef | None:
        key = self.table.selected_key
        if key is None or self.data is None:
            return None
        return next((r for r in self.data.refs if f"{r.namespace or ''}/{r.name}" == key), None)

    # ---- actions ---------------------------------------------------------------------------

    def action_back(self) -> None:
        if not self.close_filter():
            self.dismiss()

    def action_open(self) -> None:
        if self.is_request_kind:
            self._post_for_selected(msg.OpenRequest)
        else:
            self._post_for_selected(lambda ref: msg.ShowObject(ref, "describe"))

    def palette_commands(self) -> list[PaletteCommand]:
        ref = self.selected_ref()
        if ref is None:
            return [(f"Filter {self.kind.resource}", "narrow the table (/)", self.action_filter, "filter")]
        return [
            (f"Filter {self.kind.resource}", "narrow the table (/)", self.action_filter, "filter"),
            (f"Describe {ref.name}", "kubectl describe (d)", self.action_describe, "describe"),
            (f"YAML of {ref.name}", "the object as stored (y)", self.action_yaml, "yaml"),
            (f"Logs of {ref.name}", "a pod's, a Job's or a request's pipeline logs (l)", self.action_logs, "logs"),
            (f"Reconcile {ref.name}", "run its workflows again (r)", self.action_reconcile, "reconcile"),
            (f"Delete {ref.name}", "shows what will be removed first (ctrl+d)", self.action_delete, "delete"),
        ]
