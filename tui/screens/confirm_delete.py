"""The delete confirmation: what the delete removes (sub-requests, Works, WorkPlacements, state-repo
files, the objects Argo CD prunes, the Helm release's workloads and pods), then Delete or Cancel."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from kratix_lab.deletion import DeletePlan


def plan_text(plan: DeletePlan) -> Text:
    t = Text()
    t.append(", ".join(f"{len(items)} {title}" for title, items in plan.sections) + "\n", style="bold")
    t.append(plan.how + "\n\n", style="italic")
    for title, items in plan.sections:
        t.append(f"{title} ({len(items)})\n", style="bold")
        for item in items:
            t.append(f"  {item}\n")
    return t


class ConfirmDeleteScreen(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Delete"),
        Binding("n,escape", "cancel", "Cancel"),
    ]

    def __init__(self, plan: DeletePlan) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-delete"):
            yield Static(Text(f"Delete {self.plan.ref}?", "bold red"), id="confirm-title")
            with VerticalScroll(id="confirm-plan"):
                yield Static(plan_text(self.plan), id="confirm-plan-text")
            with Horizontal(id="confirm-buttons"):
                if getattr(self.app, "allows", lambda action: True)("delete"):
                    yield Button("Delete (y)", variant="error", id="confirm")
                yield Button("Cancel (n)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#confirm-plan", VerticalScroll).border_title = "what will be removed"
        self.query_one("#cancel", Button).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "confirm":
            return getattr(self.app, "allows", lambda action: True)("delete")
        return True

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
