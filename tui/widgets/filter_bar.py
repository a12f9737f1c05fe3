"""The `/` filter above a table: hidden until asked for; typing narrows the rows at once."""

from __future__ import annotations

from textual.widgets import Input


class FilterBar(Input):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            placeholder="filter: words that must all appear (enter: back to the table, esc: clear)", **kwargs
        )  # type: ignore[arg-type]

    def open(self) -> None:
        self.display = True
        self.focus()

    def close(self) -> None:
        self.value = ""
        self.display = False
