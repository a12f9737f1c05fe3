"""`?`: every key of the screen it was opened from — generated from the live bindings (the app's, the
screen's and the focused widget's, with read-only mode applied), so it cannot drift from them."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


def _own(node: object, key: str, action: str) -> bool:
    """Whether a class of this app (``tui.*``) declares the binding on ``node``: Textual's own (focus moves,
    copy, ctrl+q, the palette) are left out of the help — the footer and ctrl+p show those."""
    for cls in type(node).__mro__:
        for b in cls.__dict__.get("BINDINGS", []):
            keys, act = (b.key, b.action) if isinstance(b, Binding) else (b[0], b[1])
            if act == action and key in [k.strip() for k in keys.split(",")]:
                return cls.__module__.split(".")[0] == "tui"
    return False


def key_rows(app: App, screen: Screen) -> list[tuple[str, str, str]]:
    """(key, what it does, where it works) for every active binding of ``screen`` that this app declares: the
    screen's and its widgets' keys first ("this screen"), then the app's ("everywhere")."""
    rows = []
    for key, active in screen.active_bindings.items():
        binding = active.binding
        node = active.node
        if not _own(node, key, binding.action):
            continue
        where = "everywhere" if node is app else "this screen"
        what = binding.description or binding.action.replace("_", " ")
        rows.append((binding.key_display or app.get_key_display(binding) or key, what, where))
    order = {"this screen": 0, "everywhere": 1}
    return sorted(rows, key=lambda r: order.get(r[2], 2))  # stable: each group keeps the bindings' order


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "close", "Close")]

    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self.for_screen = screen
        self.rows = key_rows(screen.app, screen)

    def compose(self) -> ComposeResult:
        table = Table(box=None, pad_edge=False, show_header=True, header_style="bold", expand=True)
        table.add_column("KEY", style="bold cyan", no_wrap=True)
        table.add_column("ACTION")
        table.add_column("WHERE", style="dim", no_wrap=True)
        for row in self.rows:
            table.add_row(*row)
        with Vertical(id="help"):
            with VerticalScroll(id="help-keys"):
                yield Static(table, id="help-table")
            yield Static("esc closes · ctrl+p: every action by name", id="help-hint")

    def on_mount(self) -> None:
        keys = self.query_one("#help-keys", VerticalScroll)
        keys.border_title = f"keys: {type(self.for_screen).__name__.removesuffix('Screen')}"
        keys.focus()

    def action_close(self) -> None:
        self.dismiss(None)
