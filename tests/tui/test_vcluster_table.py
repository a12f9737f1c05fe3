"""VClusterTable.show at fleet size: a filter narrowing a thousand rows to a few and cleared again shows every row in
the order asked, each with its own cells, the columns as wide as their widest cell, the cursor on its vCluster."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.widgets.data_table import RowKey

import tui
from kratix_lab.diagnose import VClusterStatus
from tests.tui.tui_helpers import Layouts
from tui.widgets.vcluster_table import COLUMNS, SORT_KEYS, VClusterTable, row_cells, row_key


def statuses(n: int) -> list[VClusterStatus]:
    return [
        VClusterStatus(
            f"vc{i:04d}",
            "platform-requests",
            "small" if i % 3 else "a-larger-preset",
            "v1.30.2",
            "workloads",
            "Healthy" if i % 7 else "Progressing",
            100 + i,
            f"message of vc{i:04d}" + " and more" * (i % 5),
            ("Preset", "K8s"),
        )
        for i in range(n)
    ]


class TableApp(App[None]):
    CSS_PATH = str(Path(tui.__file__).parent / "app.tcss")  # the dashboard's: the table 1fr high

    def compose(self) -> ComposeResult:
        yield VClusterTable(id="vclusters")


def test_a_filter_cleared_shows_every_row_in_order_with_the_cursor_on_its_vcluster():
    rows = statuses(1000)
    cells = {row_key(s): row_cells(s, 5000) for s in rows}

    def shown(table: VClusterTable) -> list[str]:
        return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]

    async def main() -> None:
        app = TableApp()
        async with app.run_test(size=(80, 24)) as pilot:
            table = app.query_one(VClusterTable)
            by_health = sorted(rows, key=SORT_KEYS["health"])
            everything = [(row_key(s), list(cells[row_key(s)])) for s in by_health]
            table.show(everything)
            await pilot.pause()
            assert shown(table) == [s.name for s in by_health]
            table.move_cursor(row=[s.name for s in by_health].index("vc0042"), animate=False)
            few = [(k, c) for k, c in everything if "vc00" in k]  # 100 of 1,000: the table rebuilt
            table.show(few)
            await pilot.pause()
            assert (
                shown(table) == [k.split("/")[1] for k, _ in few] and table.selected_key == "platform-requests/vc0042"
            )
            by_name = sorted(rows, key=SORT_KEYS["name"])  # cleared, in another order: 900 rows added, all placed
            table.show([(row_key(s), list(cells[row_key(s)])) for s in by_name])
            await pilot.pause()
            assert shown(table) == [s.name for s in by_name]
            assert table.selected_key == "platform-requests/vc0042" and table.cursor_row == 42
            for i in (0, 500, 999):
                assert table.get_row_at(i) == cells[row_key(by_name[i])]
            for i, (column, _) in enumerate(COLUMNS):
                col = table.columns[column]  # type: ignore[index]
                widest = max(cell_len(str(c[i])) for c in cells.values())
                assert col.content_width == max(widest, col.label.cell_len), column

    asyncio.run(main())


def test_the_clock_moving_every_rows_since_refreshes_the_table_once_and_shows_each_new_cell(monkeypatch):
    """Every row's SINCE moved by the lab's clock (the same rows, new cells): the table is refreshed once for them all,
    not once per cell, and shows each row's new cells, its columns as wide as their widest cell."""
    rows = statuses(1000)

    async def main() -> None:
        app = TableApp()
        async with app.run_test(size=(80, 24)) as pilot:
            table = app.query_one(VClusterTable)
            table.show([(row_key(s), row_cells(s, 5000)) for s in rows])
            await pilot.pause()
            refreshes: list[object] = []
            real = table.refresh
            monkeypatch.setattr(table, "refresh", lambda *a, **k: refreshes.append(a) or real(*a, **k))
            later = [(row_key(s), row_cells(s, 5000 + 86_400 * 400)) for s in rows]  # SINCE: days
            table.show(later)
            assert len(refreshes) == 1
            await pilot.pause()
            for i in (0, 500, 999):
                assert table.get_row_at(i) == later[i][1]
            since = [column for column, _ in COLUMNS].index("since")
            col = table.columns[COLUMNS[since][0]]  # type: ignore[index]
            assert col.content_width == max(col.label.cell_len, *(cell_len(str(c[since])) for _, c in later))

    asyncio.run(main())


def test_a_filter_hides_rows_and_brings_them_back_as_they_were_without_a_layout(monkeypatch):
    """Rows a filter hides (``keep``) stay in the table aside: narrowing a thousand rows to a hundred and clearing
    the filter adds no row (the very Row objects and cells come back) and no widget asks the screen for a layout; the
    rows come back in the order asked, with the cells that changed while they were hidden, a row gone from the fleet
    meanwhile is forgotten, the cursor stays on its vCluster and each column is as wide as its widest cell shown."""
    rows = statuses(1000)
    keys = {row_key(s) for s in rows}
    cells = {row_key(s): row_cells(s, 5000) for s in rows}

    def shown(table: VClusterTable) -> list[str]:
        return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]

    def fitted(table: VClusterTable) -> None:
        for i, (column, _) in enumerate(COLUMNS):
            col = table.columns[column]  # type: ignore[index]
            widest = max(cell_len(str(table.get_row_at(r)[i])) for r in range(table.row_count))
            assert col.content_width == max(widest, col.label.cell_len), column

    async def main() -> None:
        app = TableApp()
        async with app.run_test(size=(80, 24)) as pilot:
            table = app.query_one(VClusterTable)
            by_health = sorted(rows, key=SORT_KEYS["health"])
            table.show([(row_key(s), list(cells[row_key(s)])) for s in by_health], keep=keys)
            await pilot.pause()
            table.move_cursor(row=[s.name for s in by_health].index("vc0042"), animate=False)
            await pilot.pause()
            before = {k: table.rows[RowKey(k)] for k in keys}
            added: list[object] = []
            monkeypatch.setattr(VClusterTable, "add_row", lambda *a, **k: added.append(a))
            layouts = Layouts(monkeypatch)

            few = [s for s in by_health if "vc00" in s.name]  # 100 of 1,000
            table.show([(row_key(s), list(cells[row_key(s)])) for s in few], keep=keys)
            await pilot.pause()
            assert shown(table) == [s.name for s in few] and table.selected_key == "platform-requests/vc0042"
            fitted(table)

            # while the filter hides them: a hidden row's message changes, another leaves the fleet, one is new
            changed = next(s for s in rows if s.name == "vc0500")
            changed = replace(changed, message="changed while hidden, " + "and longer " * 6)
            cells[row_key(changed)] = row_cells(changed, 5000)
            fleet = [changed if s.name == "vc0500" else s for s in rows if s.name != "vc0999"]
            newcomer = replace(rows[7], name="vc1000")
            fleet.append(newcomer)
            cells[row_key(newcomer)] = row_cells(newcomer, 5000)
            kept = {row_key(s) for s in fleet}
            table.show([(row_key(s), list(cells[row_key(s)])) for s in few], keep=kept)
            await pilot.pause()

            by_name = sorted(fleet, key=SORT_KEYS["name"])  # cleared, in another order
            table.show([(row_key(s), list(cells[row_key(s)])) for s in by_name], keep=kept)
            await pilot.pause()
            assert shown(table) == [s.name for s in by_name] and not table._hidden  # vc0999: forgotten
            assert table.selected_key == "platform-requests/vc0042" and table.cursor_row == 42
            assert table.get_row("platform-requests/vc0500") == cells[row_key(changed)]
            assert all(table.get_row_at(i) == cells[row_key(s)] for i, s in enumerate(by_name))
            assert all(table.rows[RowKey(k)] is row for k, row in before.items() if k in kept), "the very rows"
            fitted(table)
            assert added == [] and layouts.asked == []

    asyncio.run(main())
