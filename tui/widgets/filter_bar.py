"""The `/` filter of a table: hidden until asked for; typing narrows the rows at once. One line, on a layer of its own
over the line above the footer (app.tcss): showing or hiding it moves no widget, so the table is neither laid out
nor drawn again whole for it (issue 15)."""

from __future__ import annotations

from textual.widgets import Input

from tui.widgets.scroll_size import ScrollsInPlace


class FilterBar(ScrollsInPlace, Input):
    """Typing does not lay the screen out (``ScrollsInPlace``: Input's text growing changed its scrollable size)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            placeholder="filter: words that must all appear (enter: back to the table, esc: clear)", **kwargs
        )  # type: ignore[arg-type]

    def open(self) -> None:
        """Show the bar and focus it at once: ``Widget.focus()`` moves the focus later (``call_later``), after the
        keys already queued — a terminal delivers ``/c`` in one read — were handed to the table, so ``c`` opened
        the create form instead of filtering. ``Screen.set_focus`` moves it now, before the next key is handled."""
        self.display = True
        self.screen.set_focus(self)

    async def action_submit(self) -> None:
        """enter: back to the table below at once (``Screen.focus_next``; the screen's ``Submitted`` handler focusing
        it ran after the keys typed with enter — "enter down" in one read — had gone to the bar)."""
        await super().action_submit()
        self.screen.focus_next()

    def close(self) -> None:
        self.value = ""
        self.display = False
