"""The dashboard on the incremental row engine (issue 15): the fleet's worker keeps the rows (``tui.jobs.read_fleet``
over ``kratix_lab.fleet.rows.FleetRows``), the first paint streams in batches with its progress in the title and the
table usable meanwhile, a change recomputes only the rows it reaches, a new vCluster adds a row and a deleted one
removes it, sort, filter and the selected row survive every update, and the rows kept equal ``diagnose.fleet``."""

from __future__ import annotations

import asyncio
import shutil
import threading
from pathlib import Path

import pytest
from textual.pilot import Pilot

from kratix_lab import Lab
from kratix_lab.diagnose import fleet
from kratix_lab.fleet import rows as fleet_rows_module
from kratix_lab.model.yamlio import load_one
from kratix_lab.sources.lab import LabSource
from tests.helpers import SAMPLES
from tests.tui.tui_helpers import SIZE, screen_text, settle_ui
from tui.jobs import FleetReader, FleetSnapshot, read_fleet
from tui.screens.dashboard import DashboardScreen
from tui.screens.request_detail import RequestDetailScreen
from tui.widgets.filter_bar import FilterBar
from tui.widgets.vcluster_table import VClusterTable

NS = "platform-requests"
ALL = ["media", "sandbox", "team-a", "team-b"]


def team(name: str) -> dict:
    """A request like media.yaml named ``name`` (its own namespace and hostname)."""
    obj = load_one((SAMPLES / "media.yaml").read_text())
    obj["metadata"] = {"name": name, "namespace": NS}
    obj["spec"].update(name=name, targetNamespace=f"vcluster-{name}", projectName=f"vcluster-{name}")
    obj["spec"]["exposure"]["hostname"] = f"{name}.integratn.tech"
    return obj


@pytest.fixture(scope="module")
def four_lab_template(sample_lab_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample lab (media, sandbox) with team-a and team-b, settled."""
    path = tmp_path_factory.mktemp("four-template") / "lab"
    shutil.copytree(sample_lab_template, path)
    with Lab(path, create=False) as lab:
        lab.submit(team("team-a"))
        lab.submit(team("team-b"))
        assert lab.settle().quiescent
    return path


@pytest.fixture
def sample_lab_path(four_lab_template: Path, tmp_path: Path) -> Path:
    """make_app's lab here: a fresh copy of the four-vCluster lab."""
    path = tmp_path / "lab"
    shutil.copytree(four_lab_template, path)
    return path


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every row the fleet's worker computes, as (namespace, name), in order (the row engine's ``fleet_row``)."""
    seen: list[tuple[str, str]] = []
    real = fleet_rows_module.fleet_row

    def counting(source, rk, columns, ns, name, obj):
        seen.append((ns, name))
        return real(source, rk, columns, ns, name, obj)

    monkeypatch.setattr(fleet_rows_module, "fleet_row", counting)
    return seen


def table_names(app) -> list[str]:
    table = app.screen.query_one(VClusterTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


def scratch(path: Path) -> list:
    """The fleet's rows computed from scratch on another Lab instance."""
    with Lab(path, create=False) as lab:
        return fleet(LabSource(lab, read_only=True))


def run(app, script) -> None:
    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await script(pilot)

    asyncio.run(main())


async def until(pilot: Pilot, condition, what: str, rounds: int = 6000) -> None:
    """Let the app run until ``condition()`` holds (a bounded number of short pauses: a stuck dashboard fails the
    test after a minute or so; how fast it happens is the benchmark's business)."""
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError(f"never happened: {what}\n{screen_text(pilot.app)}")


def test_first_paint_streams_rows_in_batches_and_the_table_is_usable_before_the_last(
    make_app, sample_lab_path, computed, monkeypatch
):
    monkeypatch.setattr(FleetReader, "BATCH_ROWS", 1)  # one row per read
    monkeypatch.setattr(FleetReader, "BATCH_SECONDS", None)
    gate = threading.Event()
    real = fleet_rows_module.fleet_row

    def held_after_two(source, rk, columns, ns, name, obj):  # the third row waits until the test has looked
        if len(computed) >= 2:
            assert gate.wait(60), "the test never let the third row be computed"
        return real(source, rk, columns, ns, name, obj)

    monkeypatch.setattr(fleet_rows_module, "fleet_row", held_after_two)
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        try:
            await until(pilot, lambda: len(table_names(app)) == 2, "two rows on screen")
            assert table_names(app) == ["media", "sandbox"]
            assert "vClusters 2 · rows 2/4…" in screen_text(app)
            assert len(computed) == 2, computed  # two shown, the third waiting to be computed
            # usable meanwhile: move, filter, sort, open a detail and come back
            await pilot.press("down")
            assert screen.table.selected_key == f"{NS}/sandbox"
            assert "sandbox: healthy" in screen_text(app)
            await pilot.press("slash", *"med")
            assert table_names(app) == ["media"], screen_text(app)
            assert "vClusters 1/2 · rows 2/4… · sort: health ▲ · filter: med" in screen_text(app), screen_text(app)
            await pilot.press("escape")
            assert table_names(app) == ["media", "sandbox"] and not screen.query_one(FilterBar).display
            await pilot.press("S")  # reverse: sandbox first
            assert table_names(app) == ["sandbox", "media"]
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, RequestDetailScreen), "the detail open")
            assert app.screen.ref.name == "sandbox"
            await until(pilot, lambda: "sandbox" in screen_text(app) and "Healthy" in screen_text(app), "the trace")
            await pilot.press("escape")
            assert app.screen is screen
            assert "rows 2/4…" in screen_text(app), "the last rows are not in yet"
        finally:
            gate.set()
        await until(pilot, lambda: screen.snapshot is not None and screen.snapshot.complete, "every row")
        await settle_ui(pilot)
        assert table_names(app) == ["team-b", "team-a", "sandbox", "media"]  # the reversed order kept
        assert "rows" not in screen_text(app).splitlines()[2] and "vClusters 4 " in screen_text(app)
        assert sorted(computed) == [(NS, n) for n in ALL], "each row computed once"
        assert sorted(screen.rows, key=lambda s: s.name) == scratch(sample_lab_path)

    run(app, script)


def test_a_change_recomputes_only_its_row_and_sort_filter_and_selection_survive(make_app, sample_lab_path, computed):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await settle_ui(pilot)
        screen = app.screen
        assert table_names(app) == ALL and sorted(computed) == [(NS, n) for n in ALL]
        await pilot.press("slash", *"team", "enter")  # filter: the two teams, in health order (by name)
        await pilot.press("down")
        assert table_names(app) == ["team-a", "team-b"] and screen.table.selected_key == f"{NS}/team-b"
        computed.clear()
        with Lab(sample_lab_path, create=False) as other:
            other.faults.inject("pipeline-fails", promise="vcluster-core", request="team-b")
            other.reconcile("VClusterCore", "team-b", NS)
            other.settle()
        await screen.load()
        await pilot.pause()
        assert computed == [(NS, "team-b")], "the change reached one row"
        assert screen.snapshot.rows is None and [s.name for s in screen.snapshot.changed] == ["team-b"]
        assert screen.snapshot.computed == 1
        # worst first: team-b moved to the top, still selected; the filter and the order held
        assert table_names(app) == ["team-b", "team-a"]
        assert screen.table.selected_key == f"{NS}/team-b" and screen.table.cursor_row == 0
        assert screen.filter_text == "team" and screen.sort_column == "health"
        text = screen_text(app)
        assert "vClusters 2/4 · ✖ 1 · sort: health ▲ · filter: team" in text and "✖ Degraded" in text
        await pilot.press("down")  # select team-a, then sort by name reversed: a change keeps both
        await pilot.press(*"sssss", "S")
        assert screen.sort_column == "name" and table_names(app) == ["team-b", "team-a"]
        await pilot.press("down")
        assert screen.table.selected_key == f"{NS}/team-a"
        computed.clear()
        with Lab(sample_lab_path, create=False) as other:
            other.faults.clear("pipeline-fails")
            other.reconcile("VClusterCore", "team-b", NS)
            other.settle()
        await screen.load()
        await pilot.pause()
        assert computed == [(NS, "team-b")]
        assert table_names(app) == ["team-b", "team-a"] and screen.table.selected_key == f"{NS}/team-a"
        assert "✖" not in screen_text(app) and "sort: name ▼ · filter: team" in screen_text(app)
        computed.clear()
        await screen.load()  # nothing changed: nothing computed, nothing sent
        assert computed == [] and not screen.snapshot.recomputed
        assert sorted(screen.rows, key=lambda s: s.name) == scratch(sample_lab_path)

    run(app, script)


def test_a_new_vcluster_adds_a_row_and_a_deleted_one_removes_it(make_app, sample_lab_path, computed):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await settle_ui(pilot)
        screen = app.screen
        await pilot.press("down", "down")
        assert screen.table.selected_key == f"{NS}/team-a"
        computed.clear()
        with Lab(sample_lab_path, create=False) as other:
            other.submit(team("alpha"))
            other.settle()
        await screen.load()
        await pilot.pause()
        assert (NS, "alpha") in computed and len(computed) < 5, computed
        assert [s.name for s in screen.snapshot.changed if s.name == "alpha"] == ["alpha"]
        assert table_names(app) == ["alpha", *ALL] and "vClusters 5 " in screen_text(app)
        assert screen.table.selected_key == f"{NS}/team-a" and screen.table.cursor_row == 3
        computed.clear()
        with Lab(sample_lab_path, create=False) as other:
            other.delete("VClusterOrchestrator", "media", NS)
            other.settle()
        await screen.load()
        await pilot.pause()
        assert screen.snapshot.gone == [f"{NS}/media"], screen.snapshot
        assert table_names(app) == ["alpha", "sandbox", "team-a", "team-b"] and "vClusters 4 " in screen_text(app)
        assert screen.table.selected_key == f"{NS}/team-a" and screen.table.cursor_row == 2
        assert len(computed) < 4, computed
        assert sorted(screen.rows, key=lambda s: s.name) == scratch(sample_lab_path)

    run(app, script)


def test_a_reader_that_missed_an_answer_gets_every_row_again(sample_lab_path):
    """The token names the worker's last answer: a reader holding an older one (its answer lost, its screen
    closed) or another worker's gets every row, never a delta against rows it does not have."""
    with Lab(sample_lab_path, create=False) as lab:
        source, actions = LabSource(lab, read_only=True), None
        reader = FleetReader()
        first = read_fleet(None, None, None, source, actions)
        assert first.rows is not None and first.complete and first.done == first.total == 4
        reader.take(first)
        second = read_fleet(reader.token, None, None, source, actions)
        assert second.rows is None and not second.recomputed  # a delta: nothing changed
        assert second.token == first.token and second.computed == 0
        pod = lab.store.get("Pod", "sandbox-0", "vcluster-sandbox")
        for c in pod["status"]["conditions"]:
            if c["type"] == "Ready":
                c["status"] = "False"
        lab.store.update_status(pod)  # sandbox's pod is not ready any more: its row changes
        lost = read_fleet(second.token, None, None, source, actions)  # answered, but never taken by this reader
        assert lost.rows is None and [(s.name, s.health) for s in lost.changed] == [("sandbox", "Progressing")]
        assert lost.computed == 1 and lost.token != second.token
        again = read_fleet(reader.token, None, None, source, actions)  # the reader's token is an answer behind
        assert again.rows is not None and [s.name for s in again.rows] == ALL
        assert again.rows[1].health == "Progressing" and again.computed == 0
        assert read_fleet(("another worker", 1), None, None, source, actions).rows is not None
        # batches: at most one row per read, the progress counted, the rows so far sent once then only the new
        fresh = LabSource(lab, read_only=True)
        shown = FleetReader()
        snap = read_fleet(None, 1, None, fresh, actions)
        assert (snap.done, snap.total, [s.name for s in snap.rows or []]) == (1, 4, ["media"])
        shown.take(snap)
        snap = read_fleet(shown.token, 1, None, fresh, actions)
        assert (snap.done, snap.total, snap.rows, [s.name for s in snap.changed]) == (2, 4, None, ["sandbox"])
        assert sorted(shown.take(snap), key=lambda s: s.name) == again.rows[:2]
        while not snap.complete:
            snap = read_fleet(shown.token, 1, None, fresh, actions)
            shown.take(snap)
        assert sorted(shown.rows.values(), key=lambda s: s.name) == fleet(fresh)


def test_a_snapshot_built_by_hand_replaces_the_rows(make_app):
    """A FleetSnapshot with rows (as a fresh reader gets) replaces whatever the dashboard showed."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await settle_ui(pilot)
        screen = app.screen
        only = [s for s in screen.rows if s.name == "sandbox"]
        screen._loaded(FleetSnapshot(60, only, object(), 60))
        await pilot.pause()
        assert table_names(app) == ["sandbox"] and screen.reader.token is not None
        await screen.load()  # the worker does not know that token: every row again
        await pilot.pause()
        assert table_names(app) == ALL

    run(app, script)


def test_a_change_made_elsewhere_shows_by_itself_while_the_dashboard_runs(make_app, sample_lab_path, computed):
    """With refreshes on (as `kratix-lab tui` runs; the dashboard then asks for changed rows every 0.1 s), a pod
    made not ready by another process turns its row Progressing without anyone asking, one row computed."""
    app = make_app(refresh_every=1.0)

    async def script(pilot: Pilot) -> None:
        await until(pilot, lambda: app.screen.snapshot is not None and app.screen.snapshot.complete, "every row")
        table = app.screen.query_one(VClusterTable)
        computed.clear()
        with Lab(sample_lab_path, create=False) as other:
            pod = other.store.get("Pod", "team-a-0", "vcluster-team-a")
            for c in pod["status"]["conditions"]:
                if c["type"] == "Ready":
                    c["status"] = "False"
            other.store.update_status(pod)
        await until(pilot, lambda: "Progressing" in str(table.get_cell(f"{NS}/team-a", "health")), "team-a Progressing")
        assert table_names(app)[0] == "team-a" and computed == [(NS, "team-a")]

    run(app, script)


def test_before_the_first_row_the_title_says_the_fleet_is_being_read(make_app, computed, monkeypatch):
    gate, started = threading.Event(), threading.Event()
    real = fleet_rows_module.fleet_row

    def held(source, rk, columns, ns, name, obj):
        started.set()
        assert gate.wait(60), "the test never let the first row be computed"
        return real(source, rk, columns, ns, name, obj)

    monkeypatch.setattr(fleet_rows_module, "fleet_row", held)
    app = make_app()

    async def script(pilot: Pilot) -> None:
        try:
            await until(pilot, started.is_set, "the first row being computed")
            await pilot.pause()
            assert "vClusters · reading the fleet… · sort: health ▲" in screen_text(app)
            assert table_names(app) == []
        finally:
            gate.set()
        await until(pilot, lambda: app.screen.snapshot is not None and app.screen.snapshot.complete, "every row")
        await pilot.pause()
        assert "reading" not in screen_text(app) and table_names(app) == ALL

    run(app, script)
