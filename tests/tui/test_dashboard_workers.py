"""The dashboard's fleet worker stays a process (issue 15): a fleet row never carries a followed value out of the
row engine, and an answer that cannot be unpickled is that job's error, not a broken worker.

The bug: after a vCluster's pod went not ready and ready again, its row's ``health`` was a ``TStr`` (the row engine's
followed string, read whole from its Application's status). It pickled in the worker process but did not unpickle
in the app's (``TStr.__new__`` takes facts and a path), so the executor's result thread failed, the pool broke,
the worker was started again twice and then replaced by a thread in the app's process (bench_dashboard printed
"fleet: a thread")."""

from __future__ import annotations

import asyncio
import pickle
from dataclasses import fields
from pathlib import Path

import pytest

from kratix_lab import Lab
from kratix_lab.sources.factory import PlatformSettings, open_platform
from tui.jobs import read_fleet
from tui.lab_workers import LabProcess, WorkerError


def set_pod_ready(lab: Lab, name: str, ready: bool) -> None:
    """Mark the vCluster's pod (not) ready in one write, as another process would (bench_dashboard's changer)."""
    pod = lab.store.get("Pod", f"{name}-0", f"vcluster-{name}")
    for c in pod["status"]["conditions"]:
        if c["type"] == "Ready":
            c["status"] = "True" if ready else "False"
    lab.store.update_status(pod)


def plain_fields(row: object) -> dict[str, type]:
    """Each field of a row whose value is not of a plain type (str, int, tuple, None), with its type."""
    return {
        f.name: type(v) for f in fields(row) if type(v := getattr(row, f.name)) not in (str, int, tuple, type(None))
    }  # type: ignore[arg-type]


def test_fleet_rows_stay_plain_through_a_pod_going_unready_and_ready(sample_lab_path: Path) -> None:
    """Every row of every answer (the first and each delta) has plain fields and survives a pickle round trip,
    while a pod goes not ready, ready again and the lab steps on (the health then comes from the Application)."""
    platform = open_platform(PlatformSettings(lab=str(sample_lab_path)), read_only=True)
    try:
        snap = read_fleet(None, None, None, platform.source, platform.actions)
        assert snap.rows and {r.name for r in snap.rows} == {"media", "sandbox"}
        answers = [snap]
        with Lab(sample_lab_path, create=False) as lab:
            for ready in (False, True, False, True):
                set_pod_ready(lab, "media", ready)
                answers.append(snap := read_fleet(snap.token, None, None, platform.source, platform.actions))
                for _ in range(3):
                    lab.step()
                    answers.append(snap := read_fleet(snap.token, None, None, platform.source, platform.actions))
        rows = [r for a in answers for r in [*(a.rows or []), *a.changed]]
        assert any(r.name == "media" and r.health != "Healthy" for r in rows)  # the change reached the row
        assert [(r.name, plain_fields(r)) for r in rows if plain_fields(r)] == []
        for a in answers:
            assert pickle.loads(pickle.dumps(a)) == a
    finally:
        platform.close()


class OneWay(str):
    """A string that pickles but does not unpickle (as the row engine's ``TStr``: its constructor takes more)."""

    def __new__(cls, value: str, note: str) -> OneWay:
        obj = str.__new__(cls, value)
        obj.note = note
        return obj


def one_way_answer(source: object, actions: object) -> str:
    return OneWay("Healthy", "a fact")


def platform_time(source: object, actions: object) -> int:
    return source.now()  # type: ignore[attr-defined]


def test_an_answer_that_cannot_travel_back_is_the_jobs_error_and_the_worker_stays_a_process(
    sample_lab_path: Path,
) -> None:
    """Before: the pool broke at each such answer (BrokenProcessPool), was restarted twice and then became a
    thread in the app's process. Now the job fails with an error naming it and the same process answers on."""
    worker = LabProcess(PlatformSettings(lab=str(sample_lab_path)), "fleet", read_only=True)

    async def run() -> None:
        before = await worker.run(platform_time)
        pids = set(worker._executor._processes)  # type: ignore[attr-defined]
        for _ in range(LabProcess.RESTARTS + 1):
            with pytest.raises(WorkerError, match="one_way_answer cannot travel back.*TypeError"):
                await worker.run(one_way_answer)
        assert await worker.run(platform_time) == before
        assert worker.fallback is None and worker._restarts == 0
        assert set(worker._executor._processes) == pids  # type: ignore[attr-defined]

    try:
        asyncio.run(run())
    finally:
        worker.close(wait=True)


# ---- keys typed right after `/` (a terminal delivers "/c" in one read; tmux send-keys "/c" did) ----------------


@pytest.mark.parametrize("typed", ["c", "d", "med"])
def test_keys_typed_at_once_after_slash_go_to_the_filter(make_app, typed: str) -> None:
    """``/`` and the next keys queued together: each key reaches the filter, never a binding of the table or the
    app (``c`` opened the CREATE form, ``d`` a describe page — Textual's ``focus()`` moves the focus later, after
    keys already queued were handed to the table)."""
    from textual import events

    from tests.tui.tui_helpers import drive, screen_text, settle_ui
    from tui.screens.dashboard import DashboardScreen
    from tui.widgets.filter_bar import FilterBar

    app = make_app()

    async def script(pilot) -> None:
        await settle_ui(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        for key, char in [("slash", "/"), *((c, c) for c in typed)]:  # posted as the driver posts a read's keys
            app.post_message(events.Key(key, char))
        await settle_ui(pilot)
        assert app.screen is screen, f"a key left the dashboard for {type(app.screen).__name__}"
        bar = screen.query_one(FilterBar)
        assert bar.has_focus and bar.value == typed and screen.filter_text == typed, screen_text(app)
        app.post_message(events.Key("slash", "/"))  # in the filter, `/` is a character (the binding steps aside)
        await settle_ui(pilot)
        assert bar.value == typed + "/" and bar.has_focus, screen_text(app)

    drive(app, script)
