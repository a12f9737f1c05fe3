"""A `kubectl get` table of one kind (columns from lab_view.get_table), updated in place."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from kratix_lab.views.kube_view import TableData


class ObjectTable(DataTable):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Open")]  # shown in the footer

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self._headers: list[str] = []
        self._rows: list[tuple[str, list[str]]] = []

    @property
    def selected_key(self) -> str | None:
        if not self._rows or not (0 <= self.cursor_row < len(self._rows)):
            return None
        return self._rows[self.cursor_row][0]

    def show(self, table: TableData, keys: list[str]) -> None:
        rows = list(zip(keys, table.rows, strict=True))
        if table.headers == self._headers and rows == self._rows:
            return
        selected = self.selected_key
        if table.headers != self._headers:
            self.clear(columns=True)
            for h in table.headers:
                self.add_column(h, key=h)
            self._headers = list(table.headers)
        else:
            self.clear()
        for key, cells in rows:
            self.add_row(*cells, key=key)
        self._rows = rows
        order = [k for k, _ in rows]
        if selected in order:
            self.move_cursor(row=order.index(selected), animate=False)
