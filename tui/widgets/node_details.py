"""The side pane of a request's detail: for the selected trace node, its YAML, status and conditions,
pipeline logs, state-repo files with the commit's diff, and the findings with their fixes."""

from __future__ import annotations

from typing import ClassVar

from rich.console import RenderableType
from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import ScrollableContainer, Vertical
from textual.widgets import Static, TabbedContent, TabPane

from kratix_lab.views.literal import printable
from tui.jobs import NodeDetail

TABS = [
    ("tab-yaml", "YAML"),
    ("tab-status", "Status"),
    ("tab-logs", "Logs"),
    ("tab-repo", "Repo"),
    ("tab-findings", "Findings"),
]


def syntax(text: str, lexer: str) -> Syntax:
    return Syntax(text, lexer, theme="ansi_dark", word_wrap=False, background_color="default")


def highlighted(text: str, lexer: str) -> Text:
    """``syntax(text, lexer)`` highlighted once, as the Text it renders (``Syntax.__rich_console__`` without line
    numbers, wrapping or a line range). A Syntax given to a Static is highlighted and rendered through Rich, every
    line of it, each time the pane is drawn — the YAML of a request, every time its detail is shown: most of the
    time a detail's first paint took. A Text is turned into Textual's own content once."""
    ends_on_newline = text.endswith("\n")
    out = syntax(text, lexer).highlight(text if ends_on_newline else text + "\n")
    if not ends_on_newline:
        out.remove_suffix("\n")
    out.expand_tabs(4)  # Syntax's tab_size
    return out


def findings_text(text: str) -> Text:
    out = Text()
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("fix:"):
            out.append(line + "\n", style="bold green")
        elif "[error]" in line:
            out.append(line + "\n", style="bold red")
        elif "[warning]" in line:
            out.append(line + "\n", style="bold yellow")
        elif stripped.startswith("|"):
            out.append(line + "\n", style="dim")
        else:
            out.append(line + "\n")
    return out


class NodeDetails(Vertical):
    ALLOW_MAXIMIZE: ClassVar[bool | None] = True  # `z` on the detail screen: the pane full screen

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.texts: dict[str, str] = {tab_id: "" for tab_id, _ in TABS}  # what each tab shows, as text
        self._shown: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="node-title")
        with TabbedContent(id="node-tabs"):
            for tab_id, title in TABS:
                # YAML, logs and diffs keep their lines (scroll sideways); findings are prose and wrap
                with TabPane(title, id=tab_id), ScrollableContainer(classes="pane-scroll"):
                    yield Static(
                        "", id=f"{tab_id}-text", classes="pane-text" + (" -wrap" if tab_id == "tab-findings" else "")
                    )

    def text_of(self, tab_id: str) -> Static:
        return self.query_one(f"#{tab_id}-text", Static)

    def show(self, title: RenderableType, detail: NodeDetail) -> None:
        """Show a node's detail; a tab whose text did not change is left alone (no re-highlighting)."""
        texts = {
            "tab-yaml": detail.yaml,
            "tab-status": detail.status,
            "tab-logs": detail.logs,
            "tab-repo": detail.repo,
            "tab-findings": detail.findings,
        }
        self.query_one("#node-title", Static).update(title)
        for tab_id, text in texts.items():
            if self._shown.get(tab_id) != text:
                self.text_of(tab_id).update(self._render_tab(tab_id, text))
        self._shown = dict(texts)
        self.texts = texts
        self._findings_label("Findings ⚠" if detail.has_findings else "Findings")

    def _findings_label(self, label: str) -> None:
        """Relabel the Findings tab when its label changes (Textual redraws the tabs' underline for every relabel)."""
        tab = self.query_one(TabbedContent).get_tab("tab-findings")
        if tab.label_text != label:
            tab.label = label

    @staticmethod
    def _render_tab(tab_id: str, text: str) -> RenderableType:
        text = printable(text)  # data shown literally: control characters escaped (views/literal.py)
        if tab_id == "tab-yaml":
            return highlighted(text, "yaml")
        if tab_id == "tab-status":
            return Text(text)
        if tab_id == "tab-logs":
            return Text(text) if text else Text("no logs: select a pipeline run, a pod or a request", "dim")
        if tab_id == "tab-repo":
            if not text:
                return Text("nothing in the state repo: select a request, a Work, a WorkPlacement or a commit", "dim")
            return highlighted(text, "diff")
        return findings_text(text)

    def clear(self) -> None:
        """Empty, as a new pane on its first tab: for another request (``RequestDetailScreen.show_request``)."""
        self.query_one("#node-title", Static).update("")
        for tab_id, _ in TABS:
            if self._shown.get(tab_id, "") != "" or self.texts.get(tab_id):
                self.text_of(tab_id).update("")
        self.texts = {tab_id: "" for tab_id, _ in TABS}
        self._shown = {}
        self._findings_label("Findings")
        tabs = self.query_one(TabbedContent)
        if tabs.active != TABS[0][0]:
            tabs.active = TABS[0][0]
        for pane in self.query(ScrollableContainer):
            pane.scroll_home(animate=False)

    def show_error(self, message: str) -> None:
        self.texts = {tab_id: message for tab_id, _ in TABS}
        self._shown = {}
        for tab_id, _ in TABS:
            self.text_of(tab_id).update(Text(message, "bold red"))
