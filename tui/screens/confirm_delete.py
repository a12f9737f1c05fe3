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
from textual.widgets import Button, Input, Static

from kratix_lab.deletion import DeletePlan
from tui.host import lab_app


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
            allowed = self.allowed
            if self.plan.confirm_name and allowed:
                # a production vCluster: its name typed, as GitHub asks for a repository's, not one key
                yield Static(
                    Text.assemble("This is a prod vCluster. Type ", (self.plan.confirm_name, "bold"), " to delete it:"),
                    id="confirm-name-prompt",
                )
                yield Input(placeholder=self.plan.confirm_name, id="confirm-name")
            with Horizontal(id="confirm-buttons"):
                if allowed:
                    label = "Delete" if self.plan.confirm_name else "Delete (y)"
                    yield Button(label, variant="error", id="confirm", disabled=bool(self.plan.confirm_name))
                yield Button("Cancel (n)" if not self.plan.confirm_name else "Cancel (esc)", id="cancel")

    @property
    def allowed(self) -> bool:
        """Whether the dashboard's mode allows a delete at all (read-only shows the plan, and Cancel)."""
        return lab_app(self).permissions.allows("delete")

    @property
    def name_input(self) -> Input | None:
        """Where a prod vCluster's name is typed (None: no name is asked for)."""
        inputs = self.query("#confirm-name").results(Input)
        return next(inputs, None)

    def on_mount(self) -> None:
        self.query_one("#confirm-plan", VerticalScroll).border_title = "what will be removed"
        name_input = self.name_input
        if self.plan.confirm_name and name_input is not None:
            name_input.focus()
        else:
            self.query_one("#cancel", Button).focus()

    def typed(self) -> bool:
        """Whether the delete may go ahead: no name asked for, or exactly the name typed."""
        if not self.plan.confirm_name:
            return True
        name_input = self.name_input
        return name_input is not None and name_input.value == self.plan.confirm_name

    @on(Input.Changed, "#confirm-name")
    def _name_changed(self) -> None:
        self.query_one("#confirm", Button).disabled = not self.typed()
        self.refresh_bindings()

    @on(Input.Submitted, "#confirm-name")
    def _name_submitted(self) -> None:
        if self.typed():
            self.dismiss(True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "confirm":
            return self.allowed and self.typed()
        return True

    def action_confirm(self) -> None:
        if self.typed():
            self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        if self.typed():
            self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(False)
