"""The dashboard at fleet scale (issue 15), at 80×24: the first paint streams (rows appear batch by batch with a
progress count in the title, and the table is usable meanwhile: filter, open a detail), the fleet's worker keeps its
rows incrementally (one change recomputes one row; a new vCluster adds a row, a deleted one removes it), and sort,
filter and the selected row survive the updates.

Deterministic: the tests turn the dashboard's streaming off (``DashboardScreen.STREAM``) and ask for each batch
themselves (``screen.load()``), with batches of a known size (``FleetReader.FIRST_BATCH``/``BATCH``, not sized by
time: ``BATCH_SECONDS`` None); nothing here
waits on a wall-clock refresh (``refresh_every=0``)."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets.data_table import ColumnKey

from kratix_lab import Lab
from kratix_lab.model.yamlio import load_one
from tests.helpers import SAMPLES
from tests.tui.tui_helpers import drive, screen_text, settle_ui
from tui import jobs
from tui.jobs import FleetReader
from tui.screens.dashboard import DashboardScreen
from tui.screens.request_detail import RequestDetailScreen
from tui.widgets.vcluster_table import COLUMNS, VClusterTable

COLUMN_INDEX = {key: i for i, (key, _) in enumerate(COLUMNS)}

MORE = ["team-a", "team-b", "team-c"]  # submitted beside media and sandbox: a fleet of five


def names(app) -> list[str]:
    table = app.screen.query_one(VClusterTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


def cells(app) -> dict[str, list[str]]:
    table = app.screen.query_one(VClusterTable)
    return {str(r[0]): [str(c) for c in r] for r in (table.get_row_at(i) for i in range(table.row_count))}


def request(name: str) -> dict:
    obj = load_one((SAMPLES / "dev.yaml").read_text())
    obj["metadata"]["name"] = obj["spec"]["name"] = name
    return obj


def submit(path, *names: str, settle: bool = True) -> None:
    with Lab(path, create=False) as lab:
        for name in names:
            lab.submit(request(name))
        if settle:
            lab.settle()


def engine(app) -> object:
    """The ``FleetRows`` the fleet's worker keeps for this app (a thread worker: in this process)."""
    source = app.fleet_reader._opened.platform.source
    return jobs.fleet_of(source).rows


@pytest.fixture
def batches(monkeypatch):
    """Streaming off, batches of one row first and two after: each ``load()`` shows the next batch."""
    monkeypatch.setattr(DashboardScreen, "STREAM", False)
    monkeypatch.setattr(DashboardScreen, "STREAM_SHOW_EVERY", 0.0)
    monkeypatch.setattr(FleetReader, "FIRST_BATCH", 1)
    monkeypatch.setattr(FleetReader, "BATCH", 2)
    monkeypatch.setattr(FleetReader, "BATCH_SECONDS", None)


def test_the_first_paint_streams_and_the_table_is_usable_before_the_last_row(make_app, sample_lab_path, batches):
    submit(sample_lab_path, *MORE)
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        snap = screen.snapshot
        # the mount's read and the screen's resume: one or two batches, never the whole fleet
        assert snap is not None and snap.total == 5 and 1 <= snap.done < 5, snap
        assert len(names(app)) == snap.done
        assert f"computing {snap.done} of 5…" in screen_text(app)
        while screen.snapshot.done < 3:
            await screen.load()
        await pilot.pause()
        assert len(names(app)) == 3 and "computing 3 of 5…" in screen_text(app)

        # usable mid-stream: the filter narrows what is in, and survives the next batch
        await pilot.press("slash", *"team", "enter")
        shown = names(app)
        assert shown and all(n.startswith("team-") for n in shown)
        await screen.load()  # 5 of 5
        await pilot.pause()
        assert names(app) == MORE and "computing" not in screen_text(app)
        assert "vClusters 3/5" in screen_text(app) and "filter: team" in screen_text(app)

        # a detail opens from the filtered table
        await pilot.press("down", "enter")
        await settle_ui(pilot)
        assert isinstance(app.screen, RequestDetailScreen) and app.screen.ref.name == "team-b"

    drive(app, script)


def test_while_streaming_the_table_takes_new_rows_at_most_so_often_and_the_last_batch_at_once(
    make_app, sample_lab_path, batches, monkeypatch
):
    """Each update of the table redraws every cell on screen: mid-stream, a batch read within ``STREAM_SHOW_EVERY``
    of the last update moves the title's count only; the rows come with a later batch, the last one at once."""
    monkeypatch.setattr(DashboardScreen, "STREAM_SHOW_EVERY", 3600.0)
    submit(sample_lab_path, *MORE)
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.screen
        on_table = len(names(app))
        assert on_table >= 1
        while screen.snapshot.done < 3:
            await screen.load()
        await pilot.pause()
        assert len(names(app)) == on_table  # not yet on the table…
        assert "computing 3 of 5…" in screen_text(app)  # …but counted
        await pilot.press("down")  # usable meanwhile
        await screen.load()  # the last batch: shown at once
        await pilot.pause()
        assert sorted(names(app)) == sorted(["media", "sandbox", *MORE]) and "computing" not in screen_text(app)

    drive(app, script)


def test_a_detail_opens_mid_stream(make_app, sample_lab_path, batches):
    submit(sample_lab_path, *MORE)
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.screen
        assert not screen.snapshot.complete
        first = screen.table.selected_key
        assert first is not None
        await pilot.press("enter")
        await settle_ui(pilot)
        assert isinstance(app.screen, RequestDetailScreen)
        assert f"{app.screen.ref.namespace}/{app.screen.ref.name}" == first
        await pilot.press("escape")
        await settle_ui(pilot)
        assert app.screen is screen and screen.table.selected_key == first  # back: the same row selected

    drive(app, script)


def test_streaming_on_fills_the_table_without_being_asked(make_app, sample_lab_path, monkeypatch):
    """With streaming on (the default), the screen asks for each batch as the last arrives: one refresh fills it."""
    monkeypatch.setattr(FleetReader, "FIRST_BATCH", 1)
    monkeypatch.setattr(FleetReader, "BATCH", 1)
    monkeypatch.setattr(FleetReader, "BATCH_SECONDS", None)
    submit(sample_lab_path, *MORE)
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await settle_ui(pilot)
        assert app.screen.snapshot.complete and sorted(names(app)) == sorted(["media", "sandbox", *MORE])
        assert "computing" not in screen_text(app)

    drive(app, script)


def test_one_change_recomputes_only_its_row(make_app, sample_lab_path):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.screen
        rows = engine(app)
        await screen.load()
        assert rows.recomputed == 0 and not screen.snapshot.recomputed  # nothing changed: nothing computed
        with Lab(sample_lab_path, create=False) as other:
            other.faults.inject("pipeline-fails", promise="vcluster-core", request="media")
            other.reconcile("VClusterCore", "media", "platform-requests")
        touched: set[tuple[str, str]] = set()
        for _ in range(8):
            with Lab(sample_lab_path, create=False) as other:
                other.step()
            await screen.load()
            touched |= set(rows.changed)
            assert not screen.snapshot.rows, "an update carries the rows that changed, not every row"
        await pilot.pause()
        assert touched == {("platform-requests", "media")}, rows.why
        assert cells(app)["media"][4] == "✖ Degraded" and cells(app)["sandbox"][4] == "✔ Healthy"

    drive(app, script)


def test_a_new_vcluster_adds_a_row_and_a_deleted_one_removes_it(make_app, sample_lab_path):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.screen
        rows = engine(app)
        assert names(app) == ["media", "sandbox"]
        submit(sample_lab_path, "team-a")
        await screen.load()
        await pilot.pause()
        assert ("platform-requests", "team-a") in rows.changed
        assert sorted(names(app)) == ["media", "sandbox", "team-a"]
        # the answer carries the new row only: rows computed again to the same result do not travel
        assert [s.name for s in screen.snapshot.changed] == ["team-a"] and screen.snapshot.rows is None
        with Lab(sample_lab_path, create=False) as other:
            other.delete("VClusterOrchestrator", "sandbox", "platform-requests")
            other.settle()
        await screen.load()
        await pilot.pause()
        assert "sandbox" not in names(app) and sorted(names(app)) == ["media", "team-a"]
        assert "platform-requests/sandbox" in screen.snapshot.gone or "sandbox" not in screen.reader.rows
        assert "vClusters 2 " in screen_text(app)

    drive(app, script)


def test_sort_filter_and_selection_survive_updates(make_app, sample_lab_path):
    submit(sample_lab_path, *MORE)
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.screen
        await settle_ui(pilot)
        assert screen.snapshot.complete
        # sort by health (the default): every row is where its health and name put it; select team-c
        keys = [screen.table._keys[i] for i in range(len(names(app)))]
        screen.table.move_cursor(row=keys.index("platform-requests/team-c"), animate=False)
        await pilot.pause()
        assert screen.table.selected_key == "platform-requests/team-c"
        before = names(app)

        # sandbox turns Degraded: under the health sort it moves to the top; team-c stays selected
        with Lab(sample_lab_path, create=False) as other:
            other.faults.inject("pipeline-fails", promise="vcluster-core", request="sandbox")
            other.reconcile("VClusterCore", "sandbox", "platform-requests")
            other.run_for(60)
        await screen.load()
        await pilot.pause()
        assert cells(app)["sandbox"][4] == "✖ Degraded"
        after = names(app)
        assert after[0] == "sandbox" and after != before and sorted(after) == sorted(before)
        assert screen.table.selected_key == "platform-requests/team-c", "the selected row stays selected"
        assert screen.sort_column == "health" and "sort: health ▲" in screen_text(app)

        # a filter, then the fault cleared: the filter and the selection stay, the rows update under them
        await pilot.press("slash", *"team", "enter")
        assert names(app) == MORE
        screen.table.move_cursor(row=1, animate=False)
        await pilot.pause()
        with Lab(sample_lab_path, create=False) as other:
            other.faults.clear("pipeline-fails")
            other.reconcile("VClusterCore", "sandbox", "platform-requests")
            other.run_for(300)
        await screen.load()
        await pilot.pause()
        assert names(app) == MORE and screen.filter_text == "team" and "filter: team" in screen_text(app)
        assert screen.table.selected_key == "platform-requests/team-b"
        await pilot.press("escape")  # the filter cleared: every row again, team-b still selected
        assert sorted(names(app)) == sorted(before) and cells(app)["sandbox"][4] != "✖ Degraded"
        assert screen.table.selected_key == "platform-requests/team-b"
        # the HEALTH and STAGE columns grew for "✖ Degraded" at "pipeline run", and shrink back once no cell needs it
        await pilot.pause()
        for column in ("health", "stage"):
            widest = max(len(row[COLUMN_INDEX[column]]) for row in cells(app).values())
            assert screen.table.columns[ColumnKey(column)].content_width == max(widest, len(column)), column

    drive(app, script)


def test_a_new_vcluster_computes_only_its_own_row(make_app, sample_lab_path):
    """A new vCluster adds an Application every row could list: only its own row is computed (the engine indexes
    what each row read; diagnose's scan of every Application is computed once for all rows)."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        rows = engine(app)
        submit(sample_lab_path, "team-a")
        await app.screen.load()
        assert rows.changed == [("platform-requests", "team-a")], rows.why

    drive(app, script)


def test_a_row_carrying_a_followed_value_still_travels_back_from_the_worker_process():
    """A field the engine followed (``track.TStr``, taken whole into a row) travels to the app's process as a plain
    str (it pickles as its value), and ``read_fleet`` answers with plain values anyway: one such row cannot break
    the fleet's worker process."""
    import pickle

    from kratix_lab.diagnose import VClusterStatus
    from kratix_lab.fleet.proxies import wrap
    from kratix_lab.fleet.track import Facts

    health = wrap({"health": "Degraded"}, Facts(), ())["health"]
    row = VClusterStatus("a", "platform-requests", "prod", "v1.34.3", "pod", health, 5, "stuck")
    assert type(pickle.loads(pickle.dumps(row)).health) is str
    plain = pickle.loads(pickle.dumps(jobs._plain_row(row)))
    assert plain == row and type(plain.health) is str


def test_a_filter_typed_at_once_mid_stream_filters_and_opens_nothing(make_app, sample_lab_path, batches):
    """``/c`` arriving in one read of the terminal (tmux's send-keys, a fast typist) while the rows stream in: ``c``
    is typed into the filter, not handed to the app's ``c`` (the create form)."""
    from textual import events

    submit(sample_lab_path, *MORE)
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.screen
        assert not screen.snapshot.complete
        for key, char in (("slash", "/"), ("c", "c")):
            app.post_message(events.Key(key, char))
        await settle_ui(pilot)
        assert app.screen is screen and screen.filter_text == "c", (app.screen, screen.filter_text)
        while not screen.snapshot.complete:
            await screen.load()
        await pilot.pause()
        assert len(names(app)) == 5 and "filter: c" in screen_text(app)  # every row has a "c" (VClusterOrchestrator)

    drive(app, script)


def test_enter_then_down_typed_at_once_leaves_the_filter_and_moves_the_cursor(make_app, sample_lab_path):
    from textual import events

    submit(sample_lab_path, *MORE)
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.screen
        await pilot.press("slash", *"team")
        for key, char in (("enter", "\r"), ("down", None)):
            app.post_message(events.Key(key, char))
        await settle_ui(pilot)
        assert screen.filter_text == "team" and screen.table.has_focus
        assert screen.table.cursor_row == 1, screen.table.cursor_row

    drive(app, script)


def test_the_reader_starts_once_the_first_rows_are_in(make_app, sample_lab_path, monkeypatch):
    """Three processes importing and opening the lab at once on two cores delayed the first row: the reader (details,
    lists, logs) is started by the dashboard's first answer, once, not at the app's start."""
    from tui.app import KratixLabApp

    started: list[int] = []
    real = KratixLabApp.start_reader

    def start_reader(self) -> None:
        started.append(self.screen.query_one(VClusterTable).row_count)
        real(self)

    monkeypatch.setattr(KratixLabApp, "start_reader", start_reader)
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await app.screen.load()
        await app.screen.load()
        await settle_ui(pilot)
        assert len(started) == 1
        app.reader.flush(10)
        assert app.reader._opened.platform is not None  # opened before any screen asked it to read

    drive(app, script)
