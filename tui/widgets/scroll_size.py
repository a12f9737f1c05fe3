"""A scrolling widget whose own size does not depend on what it holds: what it holds growing or shrinking (its
scrollable, "virtual" size) does not lay the screen out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.geometry import Size
from textual.reactive import Reactive

if TYPE_CHECKING:
    from textual.widget import Widget

    _Widget = Widget
else:
    _Widget = object  # a plain mixin: Textual takes a widget's CSS, component classes from its first DOMNode base


class ScrollsInPlace(_Widget):
    """Put first among a widget's bases (``class VClusterTable(ScrollsInPlace, DataTable)``). Textual's
    ``Widget.virtual_size`` lays the whole screen out when it changes (``layout=True``): every filter keystroke
    changed the dashboard table's rows and the filter bar's text, and each laid the screen out (issue 15: a key press
    on screen at once). Here a change of it updates what a layout would update for it — the scroll offsets kept
    inside it, the scrollbars' thumbs sized (a scrollbar that appears or goes still lays the screen out:
    ``show_vertical_scrollbar`` does) — and draws the scrollbars again, not the widget: what it holds changed, and
    that change drew it (a cleared filter's thousand rows back: ``VClusterTable._updated``); drawn again whole when
    DataTable measured its new size on idle, after the key press, it was drawn inside the next one (issue 15: ~8 ms
    of `/` at 1,000 vClusters). A scroll offset that no longer fits is moved, which draws it. A widget sized by what
    it holds (``width`` or ``height`` auto) is laid out as before."""

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False, repaint=False)

    def watch_virtual_size(self, size: Size) -> None:
        if self.styles.auto_dimensions:
            self.refresh(layout=True)
        elif self.is_mounted:
            self._scroll_update(size)
