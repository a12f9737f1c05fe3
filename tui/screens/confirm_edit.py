"""The edit's last step: the diff of the request's file in the gitops repo (what the commit changes), then
Commit or Cancel — nothing is written before `y`."""

from __future__ import annotations

from typing import ClassVar

from rich.syntax import Syntax
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmEditScreen(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Commit"),
        Binding("n,escape", "cancel", "Cancel"),
    ]

    DEFAULT_CSS = """
    ConfirmEditScreen { align: center middle; }
    ConfirmEditScreen #confirm-edit { width: 90%; height: 90%; border: thick $primary; padding: 0 1; }
    ConfirmEditScreen #confirm-edit-diff { height: 1fr; border: round $primary; }
    ConfirmEditScreen #confirm-edit-buttons { height: auto; }
    ConfirmEditScreen #confirm-edit-buttons Button { margin-right: 2; }
    """

    def __init__(self, title: str, diff: str) -> None:
        super().__init__()
        self.title_text = title
        self.diff = diff

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-edit"):
            yield Static(Text(self.title_text, "bold"), id="confirm-edit-title")
            with VerticalScroll(id="confirm-edit-diff"):
                yield Static(Syntax(self.diff, "diff", theme="ansi_dark", word_wrap=True), id="confirm-edit-text")
            with Horizontal(id="confirm-edit-buttons"):
                yield Button("Commit (y)", variant="primary", id="confirm")
                yield Button("Cancel (n)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#confirm-edit-diff", VerticalScroll).border_title = "git diff"
        self.query_one("#confirm", Button).focus()

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(False)
