"""Problems first (issue 17.2): the dashboard's title counts the fleet by health, the default order puts
the unhealthy vClusters on top, a new order scrolls to the top, and `!` shows only those not Healthy. At
80×24 with 30 vClusters a Degraded one is on screen (or at least counted in the title) whatever the order."""

from __future__ import annotations

from textual.pilot import Pilot

from kratix_lab import Lab
from kratix_lab.diagnose import VClusterStatus
from tests.tui.tui_helpers import assert_snapshot, drive, screen_text, settle_ui, stable
from tui.jobs import FleetSnapshot
from tui.widgets.vcluster_table import VClusterTable


def names(app) -> list[str]:
    table = app.screen.query_one(VClusterTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


def visible_names(app) -> list[str]:
    """The names of the rows the 80×24 screen shows."""
    return [line.split()[1] for line in screen_text(app).splitlines()[3:] if line.startswith("│ ") and line.split()[1:]]


def fleet_of_30() -> list[VClusterStatus]:
    """30 vClusters: 27 Healthy, "zz-broken" Degraded (last by name), two Progressing."""
    rows = []
    for i in range(27):
        rows.append(
            VClusterStatus(f"team-{i:02d}", "platform-requests", "dev", "v1.34.3", "pod", "Healthy", 0, "healthy")
        )
    rows.append(
        VClusterStatus("zz-broken", "platform-requests", "prod", "v1.34.3", "pod", "Degraded", 10, "stuck at pod")
    )
    rows.append(VClusterStatus("new-a", "platform-requests", "dev", "v1.34.3", "sync", "Progressing", 50, "syncing"))
    rows.append(VClusterStatus("new-b", "platform-requests", "dev", "v1.34.3", "work", "Progressing", 50, "waiting"))
    return rows


def with_fleet(app, rows: list[VClusterStatus]) -> None:
    """Show these rows as if the reader had computed them (the table's behaviour, not the lab's, is tested)."""
    screen = app.screen
    screen.reader.rows = None
    screen._loaded(FleetSnapshot(60, rows, object(), 60))


def test_thirty_vclusters_at_80x24_put_the_degraded_one_on_screen_and_count_it(make_app):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        with_fleet(app, fleet_of_30())
        await pilot.pause()
        text = screen_text(app)
        assert "vClusters 30 · ✖ 1 · ◌ 2 · sort: health ▲" in text
        shown = visible_names(app)
        assert shown[:3] == ["zz-broken", "new-a", "new-b"], shown  # worst first, then by name
        assert len(shown) < 30  # the table scrolls: the point is that the problem is not below the fold
        assert_snapshot("dashboard_30_problems_first", stable(text))

        # another order: the degraded row may leave the screen, but the title still counts it, and the new
        # order is shown from its top
        app.screen.table.move_cursor(row=29, animate=False)  # the cursor at the bottom, the table scrolled down
        await pilot.pause()
        assert app.screen.table.scroll_y > 0
        await pilot.press("s", "s", "s", "s", "s")  # health → since, preset, k8s, message → name (the cycle wraps)
        assert app.screen.sort_column == "name"
        assert app.screen.table.cursor_row == 0 and app.screen.table.scroll_y == 0
        assert visible_names(app)[0] == "new-a"
        assert "zz-broken" not in visible_names(app) and "✖ 1" in screen_text(app)

        # `!`: only the vClusters that are not Healthy; again (or esc): all of them
        await pilot.press("exclamation_mark")
        assert sorted(names(app)) == ["new-a", "new-b", "zz-broken"]
        assert "vClusters 3/30 · ✖ 1 · ◌ 2" in screen_text(app) and "not healthy" in screen_text(app)
        await pilot.press("exclamation_mark")
        assert len(names(app)) == 30
        await pilot.press("exclamation_mark", "escape")
        assert len(names(app)) == 30 and "not healthy" not in screen_text(app)

    drive(app, script)


def test_a_healthy_fleet_has_no_counts_and_reverse_scrolls_to_the_top(make_app):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        rows = [r for r in fleet_of_30() if r.health == "Healthy"]
        with_fleet(app, rows)
        await pilot.pause()
        assert "vClusters 27 · sort: health ▲" in screen_text(app)
        app.screen.table.move_cursor(row=26, animate=False)
        await pilot.pause()
        await pilot.press("S")  # reverse: from the top again
        assert app.screen.table.cursor_row == 0 and app.screen.table.scroll_y == 0
        assert names(app)[0] == "team-26"

    drive(app, script)


def test_a_vcluster_degraded_in_the_lab_moves_to_the_top_and_is_counted(make_app, sample_lab_path):
    """End to end: a pipeline fault on sandbox (second by name) puts it first, counted in the title."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        assert names(app) == ["media", "sandbox"] and "vClusters 2 · sort: health ▲" in screen_text(app)
        with Lab(sample_lab_path, create=False) as other:
            other.faults.inject("pipeline-fails", promise="vcluster-core", request="sandbox")
            other.reconcile("VClusterCore", "sandbox", "platform-requests")
            other.settle()
        await app.screen.load()
        await settle_ui(pilot)
        assert names(app) == ["sandbox", "media"]
        assert "vClusters 2 · ✖ 1 · sort: health ▲" in screen_text(app)
        await pilot.press("exclamation_mark")
        assert names(app) == ["sandbox"]

    drive(app, script)
