"""`:` — jump to a kind, as k9s does: type a kind (any case, plural, short name such as `po`, `app`,
`es`), pick one from the list, and see every object of it. An unknown kind says so here."""

from __future__ import annotations

import contextlib
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, OptionList, Static

from kratix_lab.views import lab_view as lv
from tui.host import lab_app
from tui.jobs import read_kinds, read_resolve_kind


class KindPromptScreen(ModalScreen[lv.Kind | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "list", "Pick from the list", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.kinds: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="kind-prompt"):
            yield Input(placeholder="kind: pods, app, works, vclusterorchestrators…", id="kind-input")
            yield OptionList(id="kind-list")
            yield Static("", id="kind-error")

    @property
    def kind_input(self) -> Input:
        return self.query_one("#kind-input", Input)

    @property
    def kind_list(self) -> OptionList:
        return self.query_one("#kind-list", OptionList)

    @property
    def kind_error(self) -> Static:
        return self.query_one("#kind-error", Static)

    def on_mount(self) -> None:
        self.query_one("#kind-prompt", Vertical).border_title = ": jump to a kind"
        self.kind_input.focus()
        self.load_kinds()

    @property
    def _open(self) -> bool:
        return self.is_attached and self in self.app.screen_stack

    @work(exclusive=True, group="kinds")
    async def load_kinds(self) -> None:
        error = None
        try:
            kinds = await lab_app(self).read(read_kinds)
        except Exception as e:
            error = str(e)
        if not self._open:
            return
        with contextlib.suppress(NoMatches):  # closing meanwhile
            if error is not None:
                self.kind_error.update(Text(error, "bold red"))
                return
            self.kinds = kinds
            self.kind_input.suggester = SuggestFromList(self.kinds, case_sensitive=False)
            self._fill("")

    def _fill(self, text: str) -> None:
        options = self.kind_list
        options.clear_options()
        want = text.strip().lower()
        options.add_options([k for k in self.kinds if want in k.lower()])
        if options.option_count:
            options.highlighted = 0

    @on(Input.Changed, "#kind-input")
    def _typed(self, event: Input.Changed) -> None:
        self.kind_error.update("")
        self._fill(event.value)

    @on(Input.Submitted, "#kind-input")
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            options = self.kind_list
            if options.highlighted is None:
                return
            text = str(options.get_option_at_index(options.highlighted).prompt)
        self.choose(text)

    @on(OptionList.OptionSelected, "#kind-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.choose(str(event.option.prompt))

    @work(exclusive=True, group="resolve")
    async def choose(self, text: str) -> None:
        try:
            kind = await lab_app(self).read(read_resolve_kind(text))
        except Exception as e:  # UnknownKindError: the server's own wording
            if self._open:
                with contextlib.suppress(NoMatches):
                    self.kind_error.update(Text(str(e), "bold red"))
            return
        if self.is_active:
            self.dismiss(kind)

    def action_list(self) -> None:
        self.kind_list.focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
