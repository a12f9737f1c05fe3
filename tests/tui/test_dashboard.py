"""The dashboard on an 80×24 terminal: every vCluster, filter, sort, live refresh, the lab clock, and a
fault injected by another Lab instance showing up with its fix."""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import time
from pathlib import Path

from rich.text import Text
from textual import events
from textual.pilot import Pilot
from textual.widgets._footer import FooterKey
from textual.widgets.data_table import RowKey

from kratix_lab import Lab
from tests.tui.tui_helpers import UPDATE_ENV, Layouts, assert_snapshot, drive, screen_text, settle_ui, spy, stable
from tui.jobs import ObjectRef, read_trace
from tui.screens.dashboard import DashboardScreen
from tui.screens.request_detail import RequestDetailScreen
from tui.widgets.filter_bar import FilterBar
from tui.widgets.key_footer import KeyFooter, shown_keys
from tui.widgets.vcluster_table import VClusterTable


def rows(app) -> list[list[str]]:
    table = app.screen.query_one(VClusterTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def names(app) -> list[str]:
    return [r[0] for r in rows(app)]


def test_dashboard_lists_both_vclusters_with_stage_and_health(make_app):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        assert isinstance(app.screen, DashboardScreen)
        table = rows(app)
        assert [r[:6] for r in table] == [
            ["media", "prod", "v1.34.3", "pod", "✔ Healthy", "65s"],
            ["sandbox", "dev", "v1.34.3", "pod", "✔ Healthy", "65s"],
        ]
        assert table[0][6].startswith("healthy: VClusterOrchestrator/platform-requests/media")
        text = screen_text(app)
        assert "‖ paused" in text and "2026-01-01T00:01:30Z" in text and "vClusters 2 " in text
        # the selected row's whole message under the table
        assert "media: healthy: VClusterOrchestrator/platform-requests/media is Healthy at" in text

    drive(app, script)


def test_dashboard_snapshot_at_80x24_and_the_readme_screenshot(make_app, sample_lab_path, tmp_path, monkeypatch):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        text = stable(screen_text(app))
        assert len(text.splitlines()) == 24 and all(len(line) <= 80 for line in text.splitlines())
        assert_snapshot("dashboard", text)
        if os.environ.get(UPDATE_ENV):  # the README's picture, taken with the snapshots
            app.lab_path = Path(".lab")  # what the header shows after `kratix-lab --lab .lab tui`
            app.screen.query_one("#lab-header").refresh()
            await pilot.pause()
            from tests.helpers import ROOT

            (ROOT / "docs").mkdir(exist_ok=True)
            app.save_screenshot("dashboard.svg", str(ROOT / "docs"))

    drive(app, script)


def test_filter_narrows_and_escape_clears(make_app):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("slash", *"sa")
        assert names(app) == ["sandbox"]
        assert "filter: sa" in screen_text(app)
        header = screen_text(app).splitlines()[0]  # the filter box sits under the header, not over it (issue 17.11)
        assert "kratix-lab" in header and "2026-01-01T00:01:30Z" in header and "paused" in header
        await pilot.press("enter")  # back to the table, the filter stays
        assert app.screen.query_one(VClusterTable).has_focus and names(app) == ["sandbox"]
        await pilot.press("escape")
        assert names(app) == ["media", "sandbox"]
        bar = app.screen.query_one(FilterBar)
        await pilot.press("slash")
        bar.value = "prod healthy"  # every word must match
        await pilot.pause()
        assert names(app) == ["media"]
        bar.value = "nothing-like-this"
        await pilot.pause()
        assert names(app) == [] and "vClusters 0/2" in screen_text(app)
        await pilot.press("escape")
        assert names(app) == ["media", "sandbox"] and not bar.is_open
        await pilot.press("slash", "q", "n", "c")  # typed into the filter: not quit, step or create
        assert app.screen.filter_text == "qnc" and app.steps == 0 and isinstance(app.screen, DashboardScreen)

    drive(app, script)


def test_sort_by_key_and_by_clicking_a_header(make_app):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.screen
        assert "sort: health ▲" in screen_text(app)  # problems first by default (both Healthy: by name)
        for _ in range(5):  # health → since, preset, k8s, message → name
            await pilot.press("s")
        await pilot.press("S")  # reverse the name order
        assert names(app) == ["sandbox", "media"] and "sort: name ▼" in screen_text(app)
        await pilot.press("s")  # next column: stage (both at pod: by name)
        assert screen.sort_column == "stage" and names(app) == ["media", "sandbox"]
        for _ in range(3):
            await pilot.press("s")
        assert screen.sort_column == "preset" and names(app) == ["sandbox", "media"]  # dev < prod
        # a click on the NAME header sorts by name; a second click reverses
        await pilot.click(VClusterTable, offset=(3, 1))
        assert screen.sort_column == "name" and names(app) == ["media", "sandbox"]
        await pilot.click(VClusterTable, offset=(3, 1))
        assert names(app) == ["sandbox", "media"]

    drive(app, script)


def test_refresh_picks_up_changes_made_by_another_process(make_app, sample_lab_path):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.screen
        assert screen.reader.rows is not None
        await screen.load()
        assert not screen.snapshot.recomputed  # nothing changed: fleet() is not run again
        with Lab(sample_lab_path, create=False) as other:
            other.step()  # the clock alone: still not recomputed, but the time and SINCE move on
        await screen.load()
        await pilot.pause()
        assert not screen.snapshot.recomputed
        assert "2026-01-01T00:01:35Z" in screen_text(app) and rows(app)[0][5] == "70s"
        with Lab(sample_lab_path, create=False) as other:
            other.reconcile("VClusterOrchestrator", "sandbox", "platform-requests")
        await screen.load()
        assert screen.snapshot.recomputed

    drive(app, script)


def test_a_fault_injected_elsewhere_shows_as_a_failing_stage_with_its_fix(make_app, sample_lab_path):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        with Lab(sample_lab_path, create=False) as other:
            other.faults.inject("pipeline-fails", promise="vcluster-core", request="media")
            other.reconcile("VClusterCore", "media", "platform-requests")
            other.settle()
        await app.screen.load()
        await pilot.pause()
        media = rows(app)[0]
        assert media[:5] == ["media", "prod", "v1.34.3", "pipeline run", "✖ Degraded"]
        assert media[6].startswith("stuck at pipeline run: "), "the row's time is its SINCE column (17.5)"
        assert rows(app)[1][4] == "✔ Healthy"
        assert "⚠ pipeline-fails" in screen_text(app)  # the header shows the active fault
        assert "✖ Degraded" in screen_text(app), "the HEALTH column grows when a cell changes in place"
        await pilot.press("enter")
        await settle_ui(pilot)
        assert isinstance(app.screen, RequestDetailScreen)
        assert "stuck at pipeline run" in screen_text(app)
        await pilot.press("5")  # the Findings tab of the root: every finding with its fix
        await settle_ui(pilot)
        findings = app.screen.details.texts["tab-findings"]
        assert "pipeline-failed" in findings and "fix: read the logs" in findings
        assert "kratix-lab reconcile vclustercore/media -n platform-requests" in findings
        with Lab(sample_lab_path, create=False) as other:  # cleared elsewhere while the detail is open
            other.faults.clear("pipeline-fails")
        await app.screen.load()
        await pilot.pause()
        assert "⚠ pipeline-fails" not in screen_text(app), "the detail's header still shows the cleared fault"

    drive(app, script)


def test_keys_typed_quickly_before_enter_move_the_cursor_first(make_app):
    """enter used to be a priority binding that ran before the table had moved for the keys just before it:
    "down enter" typed at once opened the first vCluster."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await settle_ui(pilot)
        app.post_message(events.Key("down", None))
        app.post_message(events.Key("enter", "\r"))
        await settle_ui(pilot)
        assert isinstance(app.screen, RequestDetailScreen)
        assert app.screen.ref.name == "sandbox", app.screen.ref

    drive(app, script)


def test_the_lab_clock_plays_pauses_and_steps_in_worker_processes(make_app, sample_lab_path):
    app = make_app(play=True, tick=0.05, workers="process", refresh_every=0.5)  # as `kratix-lab tui` runs it

    async def script(pilot: Pilot) -> None:
        assert "▶ playing" in screen_text(app)
        while app.steps < 1 or not app.screen.rows:  # the clock's process steps the lab
            await pilot.pause(0.05)
        await pilot.press("p")
        assert not app.playing
        await settle_ui(pilot)
        assert "‖ paused" in screen_text(app)
        paused_at, steps = app.lab_time, app.steps
        for _ in range(5):
            await pilot.pause(0.05)
        assert app.steps == steps and app.lab_time == paused_at
        await pilot.press("n")  # one step while paused
        await settle_ui(pilot)
        assert app.steps == steps + 1
        with Lab(sample_lab_path, create=False) as other:
            assert other.now() == app.lab_time
            assert other.store.now_seconds() - 90 == 5 * app.steps  # settled at 00:01:30, 5 s a step
        await pilot.press("p")
        assert app.playing

    drive(app, script)


def test_a_detail_never_queues_behind_the_fleet(make_app):
    """The fleet recompute takes a second at 100 vClusters; it has its own reader, so opening a detail (or a log,
    a list) while one runs does not wait for it."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await settle_ui(pilot)
        gate = threading.Event()

        def slow_fleet(lab, source):  # stands in for a long fleet read
            gate.wait(30)

        blocked = app.fleet_reader.submit(slow_fleet)
        try:
            ref = ObjectRef("VClusterOrchestrator", "media", "platform-requests")
            snapshot = await asyncio.wait_for(app.read(read_trace(ref)), 20)
            assert snapshot.diagnosis.ref == "VClusterOrchestrator/platform-requests/media"
            assert not blocked.done(), "the fleet reader was still busy while the detail was read"
        finally:
            gate.set()

    drive(app, script)


def test_the_filter_bar_takes_no_room_from_the_table(make_app):
    """The `/` bar lies on a layer of its own (issue 15: opening or clearing the filter moves no widget, so the table
    is not laid out and drawn again whole for it) — over the footer while typed into, over the line above it once
    enter has given the keys back to the table (the footer's keys shown then): the table keeps its place and size,
    the typed text shows on the bar's line, and escape shows the rows once, the cursor still on its vCluster."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        table = screen.query_one(VClusterTable)
        region = table.region
        await pilot.press("down")  # the cursor on sandbox
        assert table.selected_key == "platform-requests/sandbox"
        await pilot.press("slash", *"sa")
        assert names(app) == ["sandbox"] and table.region == region
        lines = screen_text(app).splitlines()
        assert "sa" in lines[-1] and "filter: sa" in lines[1]  # the bar over the footer; the title says the filter
        assert "sandbox:" in lines[-3] and "every stage" in lines[-2]  # the selected row's message above it, as ever
        await pilot.press("enter")  # the keys back to the table: the bar over the message line, the footer's keys shown
        lines = screen_text(app).splitlines()
        assert "sa" in lines[-2] and "Trace" in lines[-1] and table.has_focus and table.region == region
        footer = screen.query_one(KeyFooter)
        assert screen.filter_bar.region.y == footer.region.y - 1
        await pilot.press("slash")  # typing again: over the footer
        assert screen.filter_bar.region.y == footer.region.y and "sa" in screen_text(app).splitlines()[-1]
        shows: list[str] = []
        show = screen.show
        screen.show = lambda **kw: (shows.append(screen.filter_text), show(**kw))[1]  # type: ignore[method-assign]
        await pilot.press("escape")
        await pilot.pause()
        assert shows == [""], shows  # once: the bar's own Changed("") finds the filter cleared already
        assert names(app) == ["media", "sandbox"] and table.region == region and not screen.filter_bar.is_open
        assert table.selected_key == "platform-requests/sandbox" and table.has_focus

    drive(app, script)


def test_opening_and_closing_the_filter_draws_no_line_of_the_table(make_app, monkeypatch):
    """Issue 15 (a key press on screen at once): `/` and escape move the focus to the bar and back, and the bar onto
    its line and off the screen — the table looks the same with the focus as without, and no widget's drawing order
    changes, so not one line of the table is drawn again (with the filter left empty: its rows are the same). Showing
    and hiding the bar had renumbered every widget's order (the whole screen drawn again), and a widget that gains or
    loses the focus is drawn again whole (``Widget._on_focus``/``_on_blur``)."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        table, bar = screen.table, screen.filter_bar
        await settle_ui(pilot)
        drawn: list[int] = []  # the lines drawn (Textual asks for the others from its cache of them)
        spy(monkeypatch, VClusterTable, "render_line", lambda self, y: drawn.append(y))
        await pilot.press("slash")
        await settle_ui(pilot)
        assert bar.has_focus and bar.is_open and not table.has_focus and drawn == []
        assert bar.display  # moved onto its line, never added to the layout (every widget's drawing order renumbered)
        assert "filter: words that must all appear" in screen_text(app).splitlines()[-1]  # the bar, over the footer
        await pilot.press("escape")
        await settle_ui(pilot)
        assert table.has_focus and not bar.is_open and bar.display and drawn == []
        assert "filter: words" not in screen_text(app)  # off the screen: the message under the table shows again
        assert bar not in screen.focus_chain  # closed, tab never reaches it
        await pilot.press("down")  # the table draws itself as ever
        await settle_ui(pilot)
        assert drawn and table.selected_key == "platform-requests/sandbox"

    drive(app, script)


def test_the_footer_under_the_filter_bar_is_left_as_it_was(make_app, monkeypatch):
    """Issue 15 (a key press on screen at once): typed into, the `/` bar lies over the footer, which keeps the table's
    keys out of sight — `/` and escape neither change, lay out nor draw a key of it (showing none and the same again
    had the footer laid out and drawn in both, ~15 ms of escape's ~50 at 1,000 vClusters). Once the focus leaves the
    bar the footer shows the keys of what has it: the table's after enter, the same again after escape; a detail
    screen pushed from a filtered table shows its own keys, and the dashboard's come back with it."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        footer = screen.query_one(KeyFooter)
        await settle_ui(pilot)
        table_keys = shown_keys(screen)
        assert footer._composed == table_keys and "Trace" in screen_text(app).splitlines()[-1]
        keys_before = list(footer.children)
        drawn: list[str] = []
        changed: list[object] = []
        spy(monkeypatch, FooterKey, "render_line", lambda self, y: drawn.append(self.key))
        monkeypatch.setattr(KeyFooter, "_change_in_place", lambda self, sc: changed.append(sc) or False)
        await pilot.press("slash", *"sa")
        await settle_ui(pilot)
        assert footer._composed == table_keys and shown_keys(screen) != table_keys  # the bar's keys: not shown
        await pilot.press("escape")
        await settle_ui(pilot)
        assert changed == [] and drawn == [] and list(footer.children) == keys_before
        assert footer._composed == shown_keys(screen) == table_keys and "Trace" in screen_text(app).splitlines()[-1]
        monkeypatch.undo()
        await pilot.press("slash", *"sa", "enter")  # the keys back to the table, the filter kept
        await settle_ui(pilot)
        assert footer._composed == shown_keys(screen) == table_keys and "Trace" in screen_text(app).splitlines()[-1]
        await pilot.press("slash", "enter")  # typed into again, then back to the table
        await pilot.press("enter")  # the selected row's detail: its own keys
        await settle_ui(pilot)
        assert isinstance(app.screen, RequestDetailScreen)
        await pilot.press("escape")
        await settle_ui(pilot)
        assert app.screen is screen and names(app) == ["sandbox"]
        assert footer._composed == shown_keys(screen) == table_keys and "Trace" in screen_text(app).splitlines()[-1]

    drive(app, script)


def test_a_filter_keystroke_asks_the_table_to_draw_itself_once(make_app, monkeypatch):
    """Issue 15: the rows a keystroke leaves ask the table to draw itself again, once (``VClusterTable._updated``);
    its scrollable size measured after (DataTable, on idle) draws its scrollbar only (``ScrollsInPlace``) — it drew
    the whole table a second time, inside the next key press."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        table = screen.table
        await pilot.press("slash")
        await settle_ui(pilot)
        whole: list[object] = []
        spy(monkeypatch, VClusterTable, "refresh", lambda self, *r, **k: None if r else whole.append(k))
        for key in "sand":  # the rows change once, two to one (the other keys leave them as they are)
            await pilot.press(key)
            await settle_ui(pilot)
        assert names(app) == ["sandbox"] and table.virtual_size.height == 2  # (the header and one row)
        assert len(whole) == 1, whole

    drive(app, script)


def test_the_focus_moving_restyles_the_table_only_where_it_shows(make_app, monkeypatch):
    """Issue 15: the table looks the same with the focus as without (app.tcss), so once a change of focus has shown
    that, `/` and escape leave its styles alone (``VClusterTable.watch_has_focus``; a restyle of DataTable and its
    parts was ~8 ms of each). Where a stylesheet makes the focus show, every change of focus restyles it as ever."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        table = screen.table
        await settle_ui(pilot)
        restyled: list[bool] = []
        spy(monkeypatch, VClusterTable, "update_node_styles", lambda self, *a, **k: restyled.append(self.has_focus))
        await pilot.press("slash")
        await settle_ui(pilot)
        await pilot.press("escape")
        await settle_ui(pilot)
        assert table.has_focus and restyled == [] and table._focus_shows is False
        app.stylesheet.add_source("#vclusters:focus { border: heavy red; }", read_from=("test", "focus shows"))
        app.refresh_css(animate=False)
        await settle_ui(pilot)
        assert table.styles.border.top[0] == "heavy" and table._focus_shows is None
        await pilot.press("slash")
        await settle_ui(pilot)
        assert restyled == [False] and table.styles.border.top[0] == "round" and table._focus_shows is True
        await pilot.press("escape")
        await settle_ui(pilot)
        assert restyled == [False, True] and table.styles.border.top[0] == "heavy"

    drive(app, script)


def test_filter_keystrokes_and_cursor_moves_lay_nothing_out_and_escape_adds_no_row(make_app, monkeypatch):
    """Issue 15 (a key press on screen at once): moving the cursor (the selected row's message under the table
    changes, not its height) and typing a filter (the bar's text grows, the table's rows change) lay nothing out;
    escape brings the rows the filter hid back as they were — no row added, the very rows — and only the bar is laid
    out: the footer under it keeps the table's keys (``KeyFooter._covered``). A message of another height is laid
    out."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        table = screen.table
        every = {key: table.rows[RowKey(key)] for key in table._keys}
        layouts = Layouts(monkeypatch)
        await pilot.press("down", "up")
        await settle_ui(pilot)
        assert table.selected_key == "platform-requests/media" and layouts.asked == []
        await pilot.press("slash")
        await settle_ui(pilot)
        assert set(layouts.asked) <= {"FilterBar", "ScrollBar"}  # the footer under the bar: left as it is
        layouts.asked.clear()
        await pilot.press(*"sand")
        await settle_ui(pilot)
        assert names(app) == ["sandbox"] and layouts.asked == []
        added: list[object] = []
        monkeypatch.setattr(VClusterTable, "add_row", lambda *a, **k: added.append(a))
        await pilot.press("escape")
        await settle_ui(pilot)
        assert names(app) == ["media", "sandbox"] and added == []
        assert all(table.rows[RowKey(key)] is row for key, row in every.items())
        assert set(layouts.asked) <= {"FilterBar", "ScrollBar"}
        layouts.asked.clear()
        message = screen.query_one("#selected-message")
        assert message.size.height == 2  # media's message at 80 columns
        screen._message(Text("a message of one line"))
        await settle_ui(pilot)
        assert "Static" in layouts.asked and message.size.height == 1

    drive(app, script)


def test_the_collector_leaves_alone_what_the_first_paint_made(make_app):
    """Once every row is in, what the app holds is frozen out of the garbage collector's walks (issue 15: a collection
    of the oldest generation walked it all, 80–100 ms of the UI thread at 1,000 vClusters, in a key press), the
    process's thresholds back; when the app ends, both are as they were."""
    gc.collect()
    thresholds = gc.get_threshold()
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.screen
        assert isinstance(screen, DashboardScreen) and screen.snapshot is not None and screen.snapshot.complete
        assert app._detail_screen is not None  # FleetShown came: the detail screen built ahead
        assert gc.get_freeze_count() > 0 and gc.get_threshold()[:2] == thresholds[:2]
        assert gc.get_threshold()[2] > 1_000_000  # full collections only when the keys pause (next test)

    drive(app, script)
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == thresholds


def test_young_collections_wait_while_keys_come(make_app):
    """Once every row is in, a key turns the collector off until no key came for ``KEYS_BURST_OVER`` seconds, or keys
    came for ``KEYS_BURST_AT_MOST`` seconds in a row (issue 15: escape showing a thousand rows again made dozens of
    young collections inside the press); the app's end turns it on again."""
    from tui import app as app_module

    app = make_app()

    async def script(pilot: Pilot) -> None:
        assert app._collected_at is not None and gc.isenabled()  # FleetShown came: the timers run
        await pilot.press("down")
        assert not gc.isenabled() and app._keys_since is not None
        app._collector_back()
        assert not gc.isenabled()  # a key a moment ago: still off
        await pilot.press("up")
        assert app._keys_since <= app.key_at  # (from the first key of the burst)
        app.key_at -= app_module.KEYS_BURST_OVER
        app._collector_back()
        assert gc.isenabled() and app._keys_since is None  # the keys paused
        await pilot.press("down")
        assert not gc.isenabled()
        app._keys_since -= app_module.KEYS_BURST_AT_MOST
        app._collector_back()
        assert gc.isenabled()  # keys all along: on again after KEYS_BURST_AT_MOST
        await pilot.press("up")
        assert not gc.isenabled()  # (the app ends with it off)

    drive(app, script)
    assert gc.isenabled()


def test_full_collections_wait_for_the_keys_to_pause(make_app, monkeypatch):
    """Once every row is in, the collector's full collections (40–130 ms of the UI thread at 1,000 vClusters, landing in
    whichever key press tipped Python's rule) run only when no key came for ``KEYS_PAUSED`` seconds, or when the last
    one is ``FULL_COLLECTION_AT_LATEST`` seconds old whatever the keys do (issue 15: a key press on screen at once)."""
    from tui import app as app_module

    app = make_app()
    collections: list[int] = []
    monkeypatch.setattr(app_module.gc, "collect", lambda *a: collections.append(1) or 0)

    async def script(pilot: Pilot) -> None:
        assert app._collected_at is not None  # FleetShown came: the timer runs
        collections.clear()  # (FleetShown's own, before it froze what the first paint made)
        await pilot.press("down")
        assert time.monotonic() - app.key_at < app_module.KEYS_PAUSED
        app._collect_when_idle()
        assert collections == []  # a key a moment ago: not now
        app.key_at -= app_module.KEYS_PAUSED
        app._collect_when_idle()
        assert collections == [1]  # the keys paused
        app.key_at = time.monotonic()
        app._collected_at = time.monotonic() - app_module.FULL_COLLECTION_AT_LATEST
        app._collect_when_idle()
        assert collections == [1, 1]  # keys all along, and the last one a minute old

    drive(app, script)
