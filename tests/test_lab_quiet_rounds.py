"""A lab skips the rounds after a quiet one (``Lab._round``): while nothing was written and no timed work is due, no
controller runs. Skipping must change nothing — after any sequence of submits, deletes, faults, reconciles, gitops
commits, steps and runs, a lab that skips and one that runs every round hold the same objects, events, logs, meta
values and commits."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kratix_lab.platform.lab import GITOPS_IDENTITY, Lab
from tests.helpers import SAMPLES
from tests.test_fleet_incremental import GITOPS, OPS, apply

ORDER = {"objects": "1, 2, 3, 4", "events": "1", "logs": "1", "meta": "1", "removed": "1"}


def state(lab: Lab) -> dict[str, object]:
    """Everything a lab holds that a round could write: the store's tables and the repositories' heads."""
    conn = sqlite3.connect(lab.store.path)
    try:
        tables = {  # each ordered by its key
            table: conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall() for table, order in ORDER.items()
        }
    finally:
        conn.close()
    heads = {r.path.name: r.head() for r in (lab.gitops_repo, lab.state_remote, lab.state_repo)}
    return {**tables, "heads": heads}


def pair(base: Path, where: Path) -> tuple[Lab, Lab]:
    shutil.copytree(base, where / "skips")
    shutil.copytree(base, where / "runs")
    skips, runs = Lab(where / "skips", create=False), Lab(where / "runs", create=False)
    runs.skips_quiet_rounds = False
    return skips, runs


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(OPS, min_size=3, max_size=10))
def test_skipped_rounds_leave_the_lab_as_running_every_round_would(dev_lab_template, tmp_path_factory, ops):
    skips, runs = pair(dev_lab_template, tmp_path_factory.mktemp("quiet"))
    with skips, runs:
        for op in [*ops, ("step", 3)]:
            apply(skips, op)
            apply(runs, op)
            assert state(skips) == state(runs), op


def rounds_run(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the controllers as they reconcile, from now on."""
    ran: list[str] = []
    for c in lab.controllers:
        inner = c.reconcile
        monkeypatch.setattr(c, "reconcile", lambda ctx, inner=inner, name=c.name: ran.append(name) or inner(ctx))
    return ran


def test_an_idle_lab_skips_its_rounds_until_something_is_written(lab: Lab, monkeypatch):
    ran = rounds_run(lab, monkeypatch)
    lab.step()  # the settled lab: a quiet round, its timers taken
    assert len(ran) == len(lab.controllers)
    before = lab.store.now_seconds()
    for _ in range(3):
        assert lab.step().total == 0
    assert len(ran) == len(lab.controllers), "an idle lab's rounds are skipped"
    assert lab.store.now_seconds() == before + 3 * 5, "the clock moves on all the same"
    lab.submit(SAMPLES / "media.yaml")  # a write: the next round runs
    assert lab.step().total > 0
    assert len(ran) == 2 * len(lab.controllers)


def test_timed_work_ends_the_skipping(lab: Lab, monkeypatch):
    ran = rounds_run(lab, monkeypatch)
    lab.step()
    assert lab._quiet is not None
    due = lab._quiet.periodic
    assert due is not None, "the dev lab has recurring work (its CronJob)"
    while lab.store.now_seconds() + 5 < due:
        lab.step()
    assert len(ran) == len(lab.controllers)
    lab.step()  # the round at the due second runs
    assert len(ran) == 2 * len(lab.controllers)


@pytest.mark.parametrize("what", ["another process", "fault", "gitops"])
def test_a_write_elsewhere_a_fault_or_a_commit_ends_the_skipping(lab: Lab, monkeypatch, what: str):
    ran = rounds_run(lab, monkeypatch)
    lab.step()
    lab.step()
    assert len(ran) == len(lab.controllers)
    if what == "another process":  # another connection, as another process's would be
        with Lab(lab.path, create=False) as other:
            other.reconcile("VClusterCore", "sandbox", "platform-requests")
    elif what == "fault":
        lab.faults.inject("argocd-autosync-disabled")  # a meta value and an Application written
    else:  # a commit only (no store write): Argo CD reads the file and reports it cannot
        lab.gitops_repo.write_files(GITOPS["not-yaml"], "broken", GITOPS_IDENTITY, lab.store.now_seconds())
    lab.step()
    assert len(ran) == 2 * len(lab.controllers)


def test_a_skipped_round_says_so_and_the_steps_table_shows_it(lab: Lab):
    from kratix_lab.views.lab_view import steps_table

    first = lab.step()  # the settled lab: a quiet round, every controller ran
    assert not first.skipped and first.writes
    skipped = lab.step()
    assert skipped.skipped and skipped.total == 0 and not skipped.writes
    data = steps_table([skipped, first], first=7)
    assert data.headers == ["STEP", "TIME", *(c.upper() for c in first.writes), "TOTAL"]  # from a round that ran
    assert data.rows[0] == ["7", skipped.time, *("-" for _ in first.writes), "skipped"]
    assert data.rows[1][-1] == "0"
    assert steps_table([skipped]).headers == ["STEP", "TIME", "TOTAL"]
