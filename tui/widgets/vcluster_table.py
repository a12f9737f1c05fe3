"""The dashboard's table of vClusters: one row per VClusterOrchestrator, updated in place."""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Callable
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import CellKey, ColumnKey, DuplicateKey, Row, RowKey

from kratix_lab.diagnose import VClusterStatus
from kratix_lab.kube.health import HEALTHY, ORDER
from kratix_lab.kube.times import ago
from kratix_lab.trace import STAGE_TITLES, STAGES
from kratix_lab.views.literal import literal
from kratix_lab.views.trace_view import HEALTH_MARK, HEALTH_STYLE

COLUMNS = [
    ("name", "NAME"),
    ("preset", "PRESET"),
    ("k8s", "K8S"),
    ("stage", "STAGE"),
    ("health", "HEALTH"),
    ("since", "SINCE"),
    ("message", "MESSAGE"),
]
REBUILD_AFTER = 20  # more rows than this (and a quarter of them) leaving the table at once: it is rebuilt
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


class VClusterTable(DataTable):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Trace")]  # shown in the footer

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
        self._cells_set = False  # cells set since the table was last refreshed for them (_set_cell, _updated)
        self._measured: dict[int, tuple[Any, int]] = {}  # id of a cell -> (the cell, its width): _width

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
        self._keys, self._cells = [], {}
        self._widths = [Counter() for _ in COLUMNS]

    @property
    def selected_key(self) -> str | None:
        if not self._keys or not (0 <= self.cursor_row < len(self._keys)):
            return None
        return self._keys[self.cursor_row]

    def show(self, rows: list[tuple[str, list[Any]]]) -> None:
        """Show these rows in this order; the cursor stays on its vCluster. Cells that changed are updated in place,
        rows that left are removed and new ones added — the table is rebuilt only when most rows leave (as a filter
        keystroke may make them: removing one row renumbers every row below it) — and a row whose place changed (a
        sort by health, and its health changed) is moved by reordering the rows, not by adding them again."""
        keys = [k for k, _ in rows]
        if keys == self._keys:
            for key, cells in rows:
                self._update(key, cells)
            self._updated()
            return
        selected = self.selected_key
        new = dict(rows)
        leaving = [k for k in self._keys if k not in new]
        if len(leaving) > max(REBUILD_AFTER, len(self._keys) // 4):
            self.clear()
            self._keys, self._cells = [], {}
            self._widths = [Counter() for _ in COLUMNS]
        else:
            for key in leaving:
                self.remove_row(key)
                self._count(self._cells.pop(key), -1)
        order = [k for k in self._keys if k in new]  # the table's order now: the rows kept, then the ones added
        kept = len(order)
        added: list[tuple[str, list[Any]]] = []
        added_widths: list[list[int]] = []
        for key, cells in rows:
            if key in self._cells:
                self._update(key, cells)
            else:
                added.append((key, cells))
                self._cells[key] = list(cells)
                added_widths.append(self._widths_of(cells))
                order.append(key)
        for i, counts in enumerate(self._widths):  # the added rows' widths counted at once, column by column
            counts.update([widths[i] for widths in added_widths])
        self._updated()
        self._add_rows(added)
        self._widen(order[kept:])
        if order != keys:
            self._place(keys)
        self._keys = keys
        if leaving:
            self._shrink()
        if selected in new and self.cursor_row != keys.index(selected):
            self.move_cursor(row=keys.index(selected), animate=False)

    def _place(self, keys: list[str]) -> None:
        """Put the rows in the order of ``keys``: what ``DataTable.sort`` does — the rows' places given anew, one
        change — with the places known (sort called a key function on every row: a fifth of the rows a cleared filter
        brings back at 1,000 rows). Where DataTable keeps its rows' places as this version does (``_row_locations``, a
        two-way dict of row key and place); elsewhere through sort, by each row's place in ``keys``, the row known by
        its NAME cell (the table keeps the very cell object given to add_row or update_cell, as ``_cells`` does)."""
        locations = getattr(self, "_row_locations", None)
        if locations is None or not hasattr(locations, "get_key") or not isinstance(getattr(self, "_data", None), dict):
            place = {id(self._cells[k][0]): i for i, k in enumerate(keys)}
            self.sort("name", key=lambda cell: place[id(cell)])
            return
        self._row_locations = type(locations)({RowKey(k): i for i, k in enumerate(keys)})
        self._update_count += 1
        self.refresh()

    def _add_rows(self, rows: list[tuple[str, list[Any]]]) -> None:
        """Add these rows (one line each) below the others: what ``DataTable.add_row`` does for each, done once for
        all of them. add_row sets the cursor again for each row (its watchers run) and sorts the columns each time:
        ~0.1 ms a row, a third of the time a cleared filter took at 1,000 rows. Where DataTable keeps its rows as
        this version does (``_row_locations``, ``_data``, ``rows``, ``_new_rows``); elsewhere through add_row."""
        if not rows:
            return
        new_rows = getattr(self, "_new_rows", None)
        if not isinstance(new_rows, set) or not hasattr(self, "_row_locations") or not hasattr(self, "_data"):
            for key, cells in rows:
                self.add_row(*cells, key=key)
            return
        columns = [column.key for column in self.ordered_columns]
        first = self.row_count
        for i, (key, cells) in enumerate(rows):
            row_key = RowKey(key)
            if row_key in self._row_locations:
                raise DuplicateKey(f"The row key {row_key!r} already exists.")  # as add_row says it
            self._row_locations[row_key] = first + i
            self._data[row_key] = dict(zip(columns, cells, strict=True))
            self.rows[row_key] = Row(row_key, 1)
            new_rows.add(row_key)
        self._require_update_dimensions = True
        self.cursor_coordinate = self.cursor_coordinate
        if first == 0 and self.columns and self.show_cursor and self.cursor_type != "none":
            self._highlight_cursor()  # a cursor where there was none: RowHighlighted, as add_row posts it
        self._update_count += 1
        self.check_idle()

    def _widen(self, added: list[str]) -> None:
        """The rows just added widen the columns from the widths counted here (``cell_len``), instead of DataTable
        measuring each new cell through the console when idle (~70 µs a cell: half a second for the thousand rows a
        cleared filter brings back). Only where DataTable keeps its new rows as this version does (``_new_rows``, a
        set of the rows its idle handler measures); elsewhere it measures them itself."""
        new_rows = getattr(self, "_new_rows", None)
        if not added or not isinstance(new_rows, set):
            return
        new_rows.difference_update(RowKey(k) for k in added)
        for i, (column, _) in enumerate(COLUMNS):
            col = self.columns[ColumnKey(column)]
            widest = max((w for w, n in self._widths[i].items() if n > 0), default=0)
            col.content_width = max(col.content_width, widest)

    def _shrink(self) -> None:
        """After rows left (DataTable never narrows a column for that, nor for ``clear``): a column wider than any of
        its cells now is measured again, once (``update_cell(update_width=True)`` with a narrower cell measures the
        column's cells)."""
        if not self._keys:
            return
        first = self._keys[0]
        for i, (column, _) in enumerate(COLUMNS):
            col = self.columns[ColumnKey(column)]
            widest = max((w for w, n in self._widths[i].items() if n > 0), default=0)
            if max(widest, col.label.cell_len) < col.content_width:
                self.update_cell(first, column, self._cells[first][i], update_width=True)

    def _count(self, cells: list[Any], n: int) -> None:
        for counts, width in zip(self._widths, self._widths_of(cells), strict=True):
            counts[width] += n

    def _widths_of(self, cells: list[Any]) -> list[int]:
        """The cells' widths (``_width``), those measured before read at once."""
        measured = self._measured
        out = []
        for cell in cells:
            known = measured.get(id(cell))
            out.append(known[1] if known is not None and known[0] is cell else self._width(cell))
        return out

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
        old = self._cells[key]
        for i, ((column, _), cell) in enumerate(zip(COLUMNS, cells, strict=True)):
            if cell is not old[i] and cell != old[i]:
                # Widths: a wider cell widens its column ("✖ Degraded" is wider than "✔ Healthy"); DataTable measures
                # every cell of the column (a thousand) when a cell gets narrower, so that is asked only when the
                # column's widest cell was this one (the counts of each width say so), and the column may shrink.
                before, after, counts = self._width(old[i]), self._width(cell), self._widths[i]
                counts[before] -= 1
                counts[after] += 1
                width = self.columns[ColumnKey(column)].content_width
                resize = after > width or (before >= width and counts[before] == 0)
                self._set_cell(key, column, cell, resize)
                old[i] = cell

    def _set_cell(self, key: str, column: str, cell: Any, resize: bool) -> None:
        """``update_cell``, but the table counted as changed and refreshed once for all the cells a ``show`` updates
        (``_updated``): the lab's clock moves every row's SINCE each second, and update_cell refreshed the table for
        each of them — a thousand refreshes, ~30 ms of the UI thread every second at 1,000 vClusters, in the way of
        any key pressed meanwhile. Where DataTable keeps its cells and the ones to measure as this version does
        (``_data``, ``_updated_cells``); elsewhere through update_cell."""
        data, to_measure = getattr(self, "_data", None), getattr(self, "_updated_cells", None)
        if not isinstance(data, dict) or not isinstance(to_measure, set):
            self.update_cell(key, column, cell, update_width=resize)
            return
        row_key, column_key = RowKey(key), ColumnKey(column)
        data[row_key][column_key] = cell
        if resize:
            to_measure.add(CellKey(row_key, column_key))
            self._require_update_dimensions = True
        self._cells_set = True

    def _updated(self) -> None:
        """The cells ``_set_cell`` updated: the table's count of changes moved on and the table refreshed, once."""
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
        how = (
            row_index,  # the line carries it (the mouse's meta)
            x1,
            x2,
            self.size.width,
            base_style,
            self._get_row_style(row_index, base_style),
            cursor,
            hover,
            self.show_cursor,
            self._show_hover_cursor,
            tuple(column.get_render_width(self) for column in self.ordered_columns),
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

    def notify_style_update(self) -> None:
        self._style_updates += 1
        super().notify_style_update()

    def clear(self, columns: bool = False) -> VClusterTable:
        """Cells drawn are kept when rows are cleared (a filter keystroke rebuilds the table; the same cells come back
        when it is cleared — drawn again only if their place changed), not when the columns are."""
        if columns or len(self._drawn) > DRAWN_AT_MOST:
            self._drawn = {}
        if columns:
            self._lines = {}
        return super().clear(columns)


def _width(cell: Any) -> int:
    return cell.cell_len if isinstance(cell, Text) else cell_len(str(cell))
