"""Full-screen pages about one object — describe (`d`), YAML (`y`) and logs (`l`) — read on the reader
thread and kept current while open (logs follow their end)."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.console import RenderableType
from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from kratix_lab.sources import Actions, Source
from kratix_lab.views.literal import printable
from tui.screens.base import LabScreen
from tui.widgets.key_footer import KeyFooter
from tui.widgets.lab_header import LabHeader


class TextPageScreen(LabScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("g", "top", "Top", show=False),
        Binding("G", "bottom", "Bottom", show=False),
    ]
    LEXER: ClassVar[str | None] = None
    FOLLOW: ClassVar[bool] = False
    EMPTY: ClassVar[str] = "(empty)"

    def __init__(self, title: str, job: Callable[[Source, Actions], str]) -> None:
        super().__init__()
        self.page_title = title
        self.job = job
        self.text: str | None = None
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        yield LabHeader(id="lab-header")
        with VerticalScroll(id="page"):
            yield Static("reading…", id="page-text")
        yield KeyFooter()

    @property
    def page(self) -> VerticalScroll:
        return self.query_one("#page", VerticalScroll)

    @property
    def page_text(self) -> Static:
        return self.query_one("#page-text", Static)

    def on_mount(self) -> None:
        self.page.border_title = self.page_title
        self.page.focus()
        self.refresh_data()

    async def load(self) -> None:
        await self.read_and_show(self.job, self._loaded, self._failed)

    def _loaded(self, text: str) -> None:
        if text == self.text and self.error is None:
            return
        self.error, self.text = None, text
        self.page_text.update(self.render_text(text))
        if self.FOLLOW:
            self.page.scroll_end(animate=False)

    def _failed(self, message: str) -> None:  # the object is gone, or the platform cannot be read
        if self.error != message:
            self.error, self.text = message, None
            self.page_text.update(Text(message, "bold red"))

    def render_text(self, text: str) -> RenderableType:
        text = printable(text)  # data shown literally: control characters escaped (views/literal.py)
        if not text:
            return Text(self.EMPTY, "dim")
        if self.LEXER:
            return Syntax(text, self.LEXER, theme="ansi_dark", word_wrap=True, background_color="default")
        return Text(text)

    def action_back(self) -> None:
        self.dismiss()

    def action_top(self) -> None:
        self.page.scroll_home(animate=False)

    def action_bottom(self) -> None:
        self.page.scroll_end(animate=False)


class DescribeScreen(TextPageScreen):
    """``kubectl describe``: metadata, spec, status, conditions and events."""


class YamlScreen(TextPageScreen):
    """The object as stored."""

    LEXER = "yaml"


class LogsScreen(TextPageScreen):
    """Logs of a pod, a Job's pods or a request's pipeline runs; follows the end as lines arrive."""

    FOLLOW = True
    EMPTY = "no logs (yet): a request's logs come from its pipeline runs"
