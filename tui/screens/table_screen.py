"""What the dashboard and the `:` lists share: a table with a `/` filter, and the actions on its selected row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on
from textual.message import Message
from textual.reactive import Reactive
from textual.widget import Widget
from textual.widgets import DataTable, Input

from tui import messages as msg
from tui.jobs import ObjectRef
from tui.screens.base import LabScreen
from tui.widgets.filter_bar import FilterBar


class TableScreen(LabScreen):
    """A subclass has ``table``, ``show()`` (redraws with ``filter_text``), ``selected_ref()`` and ``action_open``;
    ``noun`` names a row in "no … selected"."""

    noun = "object"
    filter_text = ""
    table: Any
    # Screen's, without its repaint of the whole screen at every change of focus (`/` and escape move it between the
    # table and the filter bar): the widgets that gain or lose the focus draw themselves again as their looks change
    # (issue 15: ~10 ms of the UI thread in each of those key presses at 80×24)
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    def selected_ref(self) -> ObjectRef | None:
        raise NotImplementedError

    def show(self) -> None:
        raise NotImplementedError

    def action_open(self) -> None:
        raise NotImplementedError

    # ---- the filter ------------------------------------------------------------------------------

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one(FilterBar)

    def action_filter(self) -> None:
        """``/`` is a priority binding: it runs when the app reads the key, before the keys read with it are handed
        to the focused widget — a terminal delivers ``/c`` in one read (tmux's send-keys does), and as an ordinary
        binding ``/`` ran only after ``c`` had gone to the table and from it to the app's ``c`` (the create form).
        The bar takes the focus at once (``FilterBar.open``), so the next keys are typed into it."""
        self.filter_bar.open()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "filter" and self.focused is self.filter_bar:
            return False  # typing in the filter: ``/`` is a character of it (the priority binding steps aside)
        return super().check_action(action, parameters)

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        text = event.value.strip()
        if text == self.filter_text:
            return  # the bar cleared by ``close_filter``, which has shown the rows already (or a space typed)
        self.filter_text = text
        self.show()

    @on(FilterBar.Submitted)
    def _filter_done(self) -> None:
        self.set_focus(self.table)  # (``Widget.focus()`` would draw the whole table again first: ``close_filter``)

    def close_filter(self) -> bool:
        """Clear and hide the filter; False when there was none to close."""
        bar = self.filter_bar
        if not (bar.is_open or self.filter_text):
            return False
        bar.close()
        self.filter_text = ""
        self.show()
        # the focus back on the table at once, as ``FilterBar.open`` moves it: ``Widget.focus()`` draws the whole widget
        # again first, every line of the table inside the key press (issue 15)
        self.set_focus(self.table)
        return True

    # ---- the selected row ------------------------------------------------------------------------

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_open()

    def _with_selected(self, fn: Callable[[ObjectRef], Any]) -> None:
        ref = self.selected_ref()
        if ref is None:
            self.notify(f"no {self.noun} selected", severity="warning")
            return
        fn(ref)

    def _post_for_selected(self, message: Callable[[ObjectRef], Message]) -> None:
        """Ask the app (a message: ``tui.messages``) to act on the selected row's object."""
        self._with_selected(lambda ref: self.post_message(message(ref)))

    def action_logs(self) -> None:
        self._post_for_selected(lambda ref: msg.ShowObject(ref, "logs"))

    def action_describe(self) -> None:
        self._post_for_selected(lambda ref: msg.ShowObject(ref, "describe"))

    def action_yaml(self) -> None:
        self._post_for_selected(lambda ref: msg.ShowObject(ref, "yaml"))

    def action_reconcile(self) -> None:
        self._post_for_selected(msg.Reconcile)

    def action_edit(self) -> None:
        self._post_for_selected(msg.EditRequest)

    def action_delete(self) -> None:
        self._post_for_selected(msg.Delete)
