"""The `/` filter of a table: out of sight until asked for; typing narrows the rows at once. One line, on a layer of
its own (app.tcss), and always in the screen's layout: opening it moves it over the footer while it is typed into
(``-open:focus``; the footer underneath is left as it is: ``KeyFooter._covered``), over the line above the footer
once enter gives the keys back to the table with the filter kept (class ``-open``), and closing it moves it below
the screen's last line. Shown and hidden through ``display``, it was added to and taken from the layout, which
renumbered the drawing order of every other widget — Textual then drew the whole screen again, inside the key press
(``/`` and escape, ~25 ms of the UI thread at 1,000 vClusters; issue 15). Moved, only the line it leaves and the line
it takes are drawn again."""

from __future__ import annotations

from textual.widgets import Input

from tui.widgets.scroll_size import ScrollsInPlace


class FilterBar(ScrollsInPlace, Input):
    """Typing does not lay the screen out (``ScrollsInPlace``: Input's text growing changed its scrollable size).
    Closed, it takes no focus (never reached by tab) and the mouse cannot reach it."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            placeholder="filter: words that must all appear (enter: back to the table, esc: clear)", **kwargs
        )  # type: ignore[arg-type]
        self.can_focus = False  # closed

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def open(self) -> None:
        """Show the bar and focus it at once: ``Widget.focus()`` moves the focus later (``call_later``), after the
        keys already queued — a terminal delivers ``/c`` in one read — were handed to the table, so ``c`` opened
        the create form instead of filtering. ``Screen.set_focus`` moves it now, before the next key is handled."""
        self.can_focus = True
        self.add_class("-open")
        self.screen.set_focus(self)

    async def action_submit(self) -> None:
        """enter: back to the table below at once (``Screen.focus_next``; the screen's ``Submitted`` handler focusing
        it ran after the keys typed with enter — "enter down" in one read — had gone to the bar)."""
        await super().action_submit()
        self.screen.focus_next()

    def close(self) -> None:
        self.value = ""
        self.remove_class("-open")
        self.can_focus = False
