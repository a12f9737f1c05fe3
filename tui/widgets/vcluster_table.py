"""The dashboard's table of vClusters: one row per VClusterOrchestrator, updated in place."""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Callable, Container
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, Row, RowKey

from kratix_lab.diagnose import VClusterStatus
from kratix_lab.kube.health import HEALTHY, ORDER
from kratix_lab.kube.times import ago
from kratix_lab.trace import STAGE_TITLES, STAGES
from kratix_lab.views.literal import literal
from kratix_lab.views.trace_view import HEALTH_MARK, HEALTH_STYLE
from tui.widgets.scroll_size import ScrollsInPlace

COLUMNS = [
    ("name", "NAME"),
    ("preset", "PRESET"),
    ("k8s", "K8S"),
    ("stage", "STAGE"),
    ("health", "HEALTH"),
    ("since", "SINCE"),
    ("message", "MESSAGE"),
]
DRAWN_AT_MOST = 20_000  # cells kept drawn (_render_cell), across rows cleared or removed: then forgotten at once
LINES_AT_MOST = 5_000  # rows' lines kept drawn (_render_line): then forgotten at once
DRAWN_WAYS = 3  # ways each cell is kept drawn (a filter narrows the columns; cleared, they are as wide as before)
MESSAGE_WIDTH = 90  # the full message is shown under the table for the selected row
# The two request columns' keys: their headers are the request kind's printer columns' names (PRESET and K8S for
# the VClusterOrchestrator: its CRD's additionalPrinterColumns, ``diagnose.fleet_columns``).
REQUEST_COLUMNS = ("preset", "k8s")


def column_labels(rows: list[VClusterStatus]) -> dict[str, str]:
    """Each column's header for these rows: the printer columns' names, upper-cased as kubectl prints them."""
    labels = dict(COLUMNS)
    names = next((r.columns for r in rows if r.columns), ())
    for key, name in zip(REQUEST_COLUMNS, names, strict=False):
        labels[key] = name.upper()
    return labels


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.lstrip("v").split(".") if p.isdigit())


# Sort keys per column; health sorts worst first, stage by how far the road got.
SORT_KEYS: dict[str, Callable[[VClusterStatus], Any]] = {
    "name": lambda s: (s.name, s.namespace),
    "preset": lambda s: (s.preset, s.name),
    "k8s": lambda s: (_version(s.k8s_version), s.name),
    "stage": lambda s: (STAGES.index(s.stage) if s.stage in STAGES else len(STAGES), s.name),
    "health": lambda s: (-ORDER.get(s.health, 0), s.name),
    "since": lambda s: (s.since if s.since is not None else -1, s.name),
    "message": lambda s: (s.message, s.name),
}


def row_key(s: VClusterStatus) -> str:
    return f"{s.namespace}/{s.name}"


def health_text(health: str) -> Text:
    return Text(f"{HEALTH_MARK.get(health, '·')} {health}", style=HEALTH_STYLE.get(health, ""))


SINCE = 5  # the SINCE cell's index: the one cell that changes with the lab's time alone


def since_cell(s: VClusterStatus, now: int) -> str:
    return ago(s.since, now)  # computed now, from the row's timestamp (issue 17 item 5)


def row_cells(s: VClusterStatus, now: int) -> list[Any]:
    since = since_cell(s, now)
    message = s.message if len(s.message) <= MESSAGE_WIDTH else s.message[: MESSAGE_WIDTH - 1] + "…"
    return [  # data shown literally (views/literal.py): never markup, control characters escaped
        literal(s.name, style="bold"),
        literal(s.preset),
        literal(s.k8s_version),
        STAGE_TITLES.get(s.stage, s.stage),
        health_text(s.health),
        since,
        literal(message),
    ]


def health_counts(rows: list[VClusterStatus]) -> list[tuple[str, int]]:
    """(mark, count) for each health other than Healthy that some row has, worst first: ``[("✖", 1), ("◌", 2)]``."""
    counts: dict[str, int] = {}
    for s in rows:
        if s.health != HEALTHY:
            counts[s.health] = counts.get(s.health, 0) + 1
    worst_first = sorted(counts, key=lambda h: (-ORDER.get(h, 0), h))
    return [(HEALTH_MARK.get(h, "·"), counts[h]) for h in worst_first]


def haystack(s: VClusterStatus) -> str:
    """What the `/` filter searches in a row: its columns, lower-cased."""
    return " ".join(
        [s.namespace, s.name, s.preset, s.k8s_version, s.stage, STAGE_TITLES.get(s.stage, ""), s.health, s.message]
    ).lower()


def matches(s: VClusterStatus, text: str, hay: str | None = None) -> bool:
    """The `/` filter: every word must appear in one of the row's columns (any case); ``hay``: the row's
    ``haystack`` when the caller kept it."""
    hay = haystack(s) if hay is None else hay
    return all(word in hay for word in text.lower().split())


def _kept_drawing(
    ways: dict[tuple[Any, ...], tuple[Any, Any]],
    how: tuple[Any, ...],
    source: Any,
    same: Callable[[Any, Any], bool],
    draw: Callable[[], Any],
) -> Any:
    """What ``draw()`` gives for ``source`` drawn ``how``, kept among the last ``DRAWN_WAYS`` ways it was drawn
    (``VClusterTable._render_cell`` and ``_render_line``): drawn again only when ``how`` is new or the kept drawing was
    made from something not ``same`` as ``source``."""
    drawn = ways.get(how)
    if drawn is not None and same(drawn[0], source):
        return drawn[1]
    out = draw()
    ways.pop(how, None)
    if len(ways) >= DRAWN_WAYS:
        del ways[next(iter(ways))]  # the oldest
    ways[how] = (source, out)
    return out


def _the_same_objects(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


class VClusterTable(ScrollsInPlace, DataTable):
    """The table's rows and columns changing (a filter keystroke) does not lay the screen out (``ScrollsInPlace``):
    its height is 1fr (app.tcss)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Trace")]  # shown in the footer
    _painting: dict[Any, Any] | None = None  # while render_lines paints: what every line shares

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self._keys: list[str] = []
        self._cells: dict[str, list[Any]] = {}
        self._widths: list[Counter[int]] = [Counter() for _ in COLUMNS]  # per column: how many cells of each width
        # (row, column) -> how it was drawn -> (the cell, its lines): see _render_cell
        self._drawn: dict[tuple[RowKey, ColumnKey], dict[tuple[Any, ...], tuple[Any, Any]]] = {}
        # (row, line of it) -> how it was drawn -> (its cells, the line): see _render_line
        self._lines: dict[tuple[RowKey, int], dict[tuple[Any, ...], tuple[tuple[Any, ...], Strip]]] = {}
        self._style_updates = 0  # notify_style_update calls: the cursor's look may have changed (focus)
        self._looked: tuple[Any, ...] | None = None  # how the table looked at its last restyle (``_look``)
        self._focus_shows: bool | None = None  # whether it looks otherwise with the focus (``watch_has_focus``)
        self._title_shown: str | None = None  # ``set_title``
        self._cells_set = False  # cells set since the table was last refreshed for them (_set_cell, _updated)
        self._measured: dict[int, tuple[Any, int]] = {}  # id of a cell -> (the cell, its width): _width
        # rows a ``show`` took out but was asked to keep (the `/` filter hides them): key -> (its Row, its cells by
        # column as DataTable keeps them, its cells as ``_cells`` keeps them, their widths)
        self._hidden: dict[str, tuple[Row, dict[ColumnKey, Any], list[Any], list[int]]] = {}
        self._row_widths: dict[str, list[int]] = {}  # row key -> its cells' widths, as counted in ``_widths``
        self._row_keys: dict[str, RowKey] = {}  # each row's RowKey, made once (``_arranged`` places every row anew)
        self._refit = False  # a width counted changed: the columns are fitted to the widths (``_fit_columns``)

    def on_mount(self) -> None:
        self._labels = dict(COLUMNS)
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    def label_columns(self, labels: dict[str, str]) -> None:
        """Headers for the request columns (the request kind's printer columns); rebuilt only when they change."""
        if labels == self._labels:
            return
        self._labels = dict(labels)
        self.clear(columns=True)
        for key, _ in COLUMNS:
            self.add_column(labels[key], key=key)

    @property
    def selected_key(self) -> str | None:
        if not self._keys or not (0 <= self.cursor_row < len(self._keys)):
            return None
        return self._keys[self.cursor_row]

    def show(self, rows: list[tuple[str, list[Any]]], keep: Container[str] = ()) -> None:
        """Show these rows in this order; the cursor stays on its vCluster. Cells that changed are updated in place, a
        row whose place changed (a sort by health, and its health changed) is moved, rows that leave are taken out and
        new ones added — all in one change to the table (``_arranged``). A row that leaves but is in ``keep`` (a row
        the `/` filter hides) is kept aside with its cells and shown again as it was when it comes back: clearing a
        filter on a thousand rows re-adds none of them. The columns are as wide as their widest cell shown."""
        keys = [k for k, _ in rows]
        if keys == self._keys:
            for key, cells in rows:
                self._update(key, cells)
            self._updated()
            return
        selected = self.selected_key
        if not self._arranged(rows, keys, keep):
            self._rebuild(rows, keys)
        if selected is not None and selected in self._cells:
            at = keys.index(selected)
            if self.cursor_row != at:
                self.move_cursor(row=at, animate=False)

    def _arranged(self, rows: list[tuple[str, list[Any]]], keys: list[str], keep: Container[str]) -> bool:
        """``show`` for rows that are not the ones shown, in one change to the table: DataTable's rows (``rows``,
        ``_data``) hold the rows shown, taken out and put in here, and their places (``_row_locations``, a two-way dict
        of row key and place) are given anew, once — where DataTable keeps its rows as this version does (False
        elsewhere: ``_rebuild``). Through its methods, remove_row renumbered every row below the one removed and laid
        the screen out, add_row set the cursor again and DataTable measured each new cell through the console when
        idle (~70 µs a cell): a filter cleared on 1,000 rows was ~60 ms of the UI thread, most of a key press."""
        locations, data, new_rows, to_measure = (
            getattr(self, name, None) for name in ("_row_locations", "_data", "_new_rows", "_updated_cells")
        )
        if not (hasattr(locations, "get_key") and isinstance(data, dict) and isinstance(new_rows, set)):
            return False
        if not isinstance(to_measure, set):
            return False
        new = dict(rows)
        shown_before = self.row_count
        hidden = self._hidden
        leaving = [k for k in self._keys if k not in new]
        if leaving and to_measure:  # cells left to measure: not those of rows leaving (as remove_row)
            gone = {RowKey(k) for k in leaving}
            to_measure.difference_update([c for c in to_measure if c.row_key in gone])
        leaving_widths = []
        for key in leaving:
            row_key = RowKey(key)
            row, cells, widths = self.rows.pop(row_key), self._cells.pop(key), self._row_widths.pop(key)
            new_rows.discard(row_key)
            if key in keep:
                hidden[key] = (row, data.pop(row_key), cells, widths)
            else:
                del data[row_key]
            leaving_widths.append(widths)
        for key in [k for k in hidden if k not in keep and k not in new]:  # gone from the fleet meanwhile
            del hidden[key]
        columns = [column.key for column in self.ordered_columns]
        added_widths: list[list[int]] = []
        back: list[tuple[str, list[Any]]] = []
        for key, cells in rows:
            if key in self._cells:
                self._update(key, cells)
                continue
            row_key = RowKey(key)
            kept = hidden.pop(key, None)
            if kept is not None:  # shown again as it was (its cells that changed meanwhile: below)
                self.rows[row_key], data[row_key], self._cells[key], widths = kept
                back.append((key, cells))
            else:
                data[row_key] = dict(zip(columns, cells, strict=True))
                self.rows[row_key] = Row(row_key, 1)
                self._cells[key] = list(cells)
                widths = [self._width(cell) for cell in cells]
            self._row_widths[key] = widths
            added_widths.append(widths)
        for i, counts in enumerate(self._widths):  # counted at once, column by column
            counts.update([widths[i] for widths in added_widths])
            counts.subtract(Counter([widths[i] for widths in leaving_widths]))
        for key, cells in back:
            self._update(key, cells)
        row_keys = self._row_keys
        if len(row_keys) > 2 * len(keys) + len(hidden) + 64:  # (the keys of rows gone from the fleet: not kept)
            row_keys = self._row_keys = {}
        self._row_locations = type(locations)(
            {(row_keys.get(k) or row_keys.setdefault(k, RowKey(k))): i for i, k in enumerate(keys)}
        )
        self._keys = keys
        self._update_count += 1
        self._require_update_dimensions = True  # the virtual size, on idle (``watch_virtual_size``)
        self.cursor_coordinate = self.cursor_coordinate  # kept on the table (add_row and remove_row do this)
        if self.hover_coordinate.row >= len(keys):
            self.hover_coordinate = self.hover_coordinate
        if shown_before == 0 and keys and self.columns and self.show_cursor and self.cursor_type != "none":
            self._highlight_cursor()  # a cursor where there was none: RowHighlighted, as add_row posts it
        self._refit = self._refit or bool(added_widths or leaving_widths)
        self._cells_set = True
        self._updated()
        self.check_idle()
        return True

    def _rebuild(self, rows: list[tuple[str, list[Any]]], keys: list[str]) -> None:
        """``show`` through DataTable's own methods (where it keeps its rows otherwise than ``_arranged`` knows): the
        table cleared and every row added again."""
        self.clear()
        for key, cells in rows:
            self.add_row(*cells, key=key)
            self._cells[key] = list(cells)
            self._row_widths[key] = [self._width(cell) for cell in cells]
        for i, counts in enumerate(self._widths):
            counts.update([self._row_widths[k][i] for k in keys])
        self._keys = keys
        self._refit = True
        self._updated()

    def _fit_columns(self) -> None:
        """Each column as wide as its widest cell shown (or its header), from the widths counted (``_widths``):
        DataTable measures a cell through the console (~70 µs), and every cell of its column when one gets narrower —
        70 ms for a thousand rows, the one vCluster Degraded turning Healthy (HEALTH narrows) or a filter hiding the
        widest message."""
        changed = False
        for i, (column, _) in enumerate(COLUMNS):
            col = self.columns.get(ColumnKey(column))
            if col is None:
                continue
            width = max(max((w for w, n in self._widths[i].items() if n > 0), default=0), col.label.cell_len)
            if col.content_width != width:
                col.content_width = width
                changed = True
        if changed:
            self._require_update_dimensions = True  # the virtual width, on idle
            self._update_count += 1  # the header's lines (DataTable's cache)
            self.refresh()
            self.check_idle()

    def _width(self, cell: Any) -> int:
        """A cell's width, measured once per cell object (the rows a filter brings back are the same cells)."""
        known = self._measured.get(id(cell))
        if known is not None and known[0] is cell:
            return known[1]
        if len(self._measured) > DRAWN_AT_MOST:
            self._measured = {}
        width = _width(cell)
        self._measured[id(cell)] = (cell, width)
        return width

    def _update(self, key: str, cells: list[Any]) -> None:
        """The row's cells that changed set (``_set_cell``), and their widths counted; the columns fitted to them
        when a width changed (``_updated``)."""
        old, widths = self._cells[key], self._row_widths[key]
        if cells == old:  # (most rows: the list compared in C, each cell by identity first)
            return
        for i, ((column, _), cell) in enumerate(zip(COLUMNS, cells, strict=True)):
            if cell is not old[i] and cell != old[i]:
                width = self._width(cell)
                if width != widths[i]:
                    counts = self._widths[i]
                    counts[widths[i]] -= 1
                    counts[width] += 1
                    widths[i] = width
                    self._refit = True
                self._set_cell(key, column, cell)
                old[i] = cell

    def _set_cell(self, key: str, column: str, cell: Any) -> None:
        """``update_cell``, but the table counted as changed and refreshed once for all the cells a ``show`` updates
        (``_updated``): the lab's clock moves every row's SINCE each second, and update_cell refreshed the table for
        each of them — a thousand refreshes, ~30 ms of the UI thread every second at 1,000 vClusters, in the way of
        any key pressed meanwhile. Where DataTable keeps its cells as this version does (``_data``); elsewhere
        through update_cell."""
        data = getattr(self, "_data", None)
        if not isinstance(data, dict):
            self.update_cell(key, column, cell, update_width=True)
            return
        data[RowKey(key)][ColumnKey(column)] = cell
        self._cells_set = True

    def _updated(self) -> None:
        """After ``_update``: the columns fitted to the widths (``_fit_columns``) when one changed, and the table's
        count of changes moved on and the table refreshed, once, for the cells set."""
        if self._refit:
            self._refit = False
            self._fit_columns()
        if self._cells_set:
            self._cells_set = False
            self._update_count += 1
            self.refresh()

    # ---- drawing ---------------------------------------------------------------------------------------------------

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> Any:
        """A cell's lines, drawn again only when the cell or how it is drawn changed. DataTable keys its own cache of
        drawn cells with a count of every change to the table: one SINCE cell updated by the lab's clock (every
        second, while it runs) had every visible cell drawn again through Rich — a fifth of a second's work at 1,000
        rows, in the way of any key pressed meanwhile. Here a cell is drawn again when its value is another object
        (the table keeps the very object given to ``add_row``/``update_cell``) or its place, width, row style, cursor
        or hover changed; a cursor or hover cell also when the table's styles were updated (focus: the cursor's
        colours). The last ``DRAWN_WAYS`` ways a cell was drawn are kept: a filter narrows the columns, and when it is
        cleared the cells come back as they were. Headers and row labels are DataTable's."""
        if row_index < 0 or column_index < 0:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        value = self._data[row_key][column_key]
        how = (
            row_index,  # the lines carry them (the mouse's meta)
            column_index,
            base_style,
            width,
            cursor,
            hover,
            self.show_cursor,
            self._show_hover_cursor,
            self.rows[row_key].height,
            self.cell_padding,
            self._style_updates if (cursor or hover) else 0,
        )
        ways = self._drawn.get((row_key, column_key))
        if ways is None:
            ways = self._drawn[(row_key, column_key)] = {}
        return _kept_drawing(
            ways,
            how,
            value,
            operator.is_,
            lambda: super(VClusterTable, self)._render_cell(row_index, column_index, base_style, width, cursor, hover),
        )

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        """A row's line, put together again only when one of its cells is another object or how it is drawn changed —
        its place, the columns' widths, the row's style (zebra stripes), the cursor or hover on it and, for the row
        they are on, the table's styles (focus: the cursor's colours). DataTable keys its cache of lines with the
        cursor's place, its count of changes and its focus: moving the cursor, the clock's SINCE cells and the focus
        going to the `/` bar or back each had every visible line put together again from its cells (~0.4 ms a line:
        a third of a key press's paint at 1,000 vClusters). Kept ``DRAWN_WAYS`` ways a line, as cells are: rows a
        filter hid come back where they were. The header, and tables with row labels, fixed columns or another
        cursor, are DataTable's."""
        try:
            row_key, line_no = self._get_offsets(y)
        except LookupError:
            return super()._render_line(y, x1, x2, base_style)
        if (
            row_key is self._header_row_key
            or self.cursor_type != "row"
            or self.fixed_columns
            or (self._labelled_row_exists and self.show_row_labels)
        ):
            return super()._render_line(y, x1, x2, base_style)
        row_index = self._row_locations.get(row_key)
        cursor = self.cursor_coordinate.row == row_index
        hover = self.hover_coordinate.row == row_index
        painting = self._painting if self._painting is not None else {}
        zebra = ("fixed", row_index) if row_index < self.fixed_rows else ("zebra", row_index % 2, base_style)
        row_style = painting.get(zebra)
        if row_style is None:
            row_style = painting[zebra] = self._get_row_style(row_index, base_style)
        widths = painting.get("widths")
        if widths is None:
            widths = painting["widths"] = tuple(column.get_render_width(self) for column in self.ordered_columns)
        how = (
            row_index,  # the line carries it (the mouse's meta)
            x1,
            x2,
            self.size.width,
            base_style,
            row_style,
            cursor,
            hover,
            self.show_cursor,
            self._show_hover_cursor,
            widths,
            self.cell_padding,
            self.rows[row_key].height,
            self._style_updates if (cursor or hover) else 0,
        )
        cells = tuple(self._data[row_key].values())
        ways = self._lines.get((row_key, line_no))
        if ways is None:
            if len(self._lines) > LINES_AT_MOST:
                self._lines = {}
            ways = self._lines[(row_key, line_no)] = {}
        return _kept_drawing(
            ways, how, cells, _the_same_objects, lambda: super(VClusterTable, self)._render_line(y, x1, x2, base_style)
        )

    def render_lines(self, crop: Region) -> list[Strip]:
        """The table's lines for one paint: what is the same for all of them — the table's style (``rich_style``, which
        Textual works out through every ancestor's styles for each line), the rows' zebra styles, the columns' widths
        — is worked out once for the paint (``_painting``) instead of once a line (a third of a line's cost when
        the line itself was kept: a filter cleared at 1,000 vClusters paints every line of the table)."""
        self._painting = {}
        try:
            return super().render_lines(crop)
        finally:
            self._painting = None

    @property
    def rich_style(self) -> Style:
        painting = self._painting
        if painting is None:
            return super().rich_style
        style = painting.get("rich_style")
        if style is None:
            style = painting["rich_style"] = super().rich_style
        return style  # type: ignore[no-any-return]

    def set_title(self, title: str) -> None:
        """``border_title = title``, drawing again only the top border's line, and nothing when it is the title shown:
        Textual's setter draws the whole table again, each time — every filter keystroke changes the title ("· filter:
        vc0") and every tick of the lab's clock set it (issue 15). A table not on screen yet takes it as ever."""
        if title == self._title_shown:
            return
        self._title_shown = title
        width = self.outer_size.width
        if not (self.is_mounted and width):
            self.border_title = title
            return
        self._border_title = self.render_str(title).expand_tabs(4).split()[0]  # (what the setter keeps)
        offset = self.content_offset
        self.refresh(Region(-offset.x, -offset.y, width, 1))  # (regions are given from the content's corner)

    def _on_focus(self, event: events.Focus) -> None:
        """``Widget._on_focus`` less its repaint of the whole table (``Widget`` refreshes a widget whenever it gains or
        loses the focus): the table looks the same with the focus as without (app.tcss), and `/` moving the focus to
        the filter bar and escape bringing it back had every line of the table drawn again inside the key press."""
        event.prevent_default()  # (the handlers of the classes below, Widget's, are not called)
        self.has_focus = True
        if self.parent is not None:
            self.parent.post_message(events.DescendantFocus(self))

    def _on_blur(self, event: events.Blur) -> None:
        """``Widget._on_blur`` less its repaint of the whole table (``_on_focus``)."""
        event.prevent_default()
        self.has_focus = False
        if self.parent is not None:
            self.parent.post_message(events.DescendantBlur(self))

    def watch_has_focus(self, has_focus: bool) -> None:
        """``Widget.watch_has_focus`` restyles the table whenever it gains or loses the focus: ~8 ms of the UI thread
        (DataTable's styles and its ten parts' — cursor, header, rows…) in each of `/` and escape at 1,000 vClusters
        (issue 15), for a table that looks the same with the focus as without (app.tcss). So the first change of focus
        restyles it and compares how it looks (``_look``) before and after; if the focus does not show, later changes
        leave its styles as they are — styles that a restyle would compute again, equal. Any other restyle that
        changes its look (a theme: ``notify_style_update``) has the next change of focus compare again."""
        if self._focus_shows is False:
            return
        before = self._look() if self.is_mounted else None
        super().watch_has_focus(has_focus)
        if before is not None:
            self._focus_shows = self._look() != before

    def notify_style_update(self) -> None:
        """After every restyle — the focus gained or lost among them — DataTable forgets what it drew and draws the
        whole table again; here only when how it looks changed (``_look``): the table looks the same with the focus
        as without (app.tcss), so `/` and escape draw none of its lines (issue 15)."""
        look = self._look()
        if look == self._looked:
            Widget.notify_style_update(self)  # (the style caches of every widget: not DataTable's, nor its repaint)
            return
        self._looked = look
        self._focus_shows = None  # (restyled otherwise: whether the focus shows is known no longer)
        self._style_updates += 1
        super().notify_style_update()

    def _look(self) -> tuple[Any, ...]:
        """What the table's lines are drawn from, of its styles: its own rules and its parts' (header, cursor, rows)
        as Textual applies them, and its background with its ancestors'."""
        parts = tuple((name, styles.get_render_rules()) for name, styles in sorted(self._component_styles.items()))
        return (self.styles.get_render_rules(), parts, self.background_colors)

    def clear(self, columns: bool = False) -> VClusterTable:
        """Cells and lines drawn are kept when rows are cleared (drawn again only if their place changed), not when
        the columns are; the rows shown and hidden are forgotten."""
        if columns or len(self._drawn) > DRAWN_AT_MOST:
            self._drawn = {}
        if columns:
            self._lines = {}
        self._keys, self._cells, self._hidden, self._row_widths = [], {}, {}, {}
        self._widths = [Counter() for _ in COLUMNS]
        return super().clear(columns)


def _width(cell: Any) -> int:
    return cell.cell_len if isinstance(cell, Text) else cell_len(str(cell))
