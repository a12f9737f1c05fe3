"""Issue 17 item 5 on the dashboard at 80×24: a vCluster 40 lab-minutes old whose Destination lost its label a
minute ago shows about a minute in SINCE (not 41m), a row message without a duration frozen into it, and the
duration grows as the lab clock moves, computed when shown."""

from __future__ import annotations

import re

from textual.pilot import Pilot

from kratix_lab import Lab
from kratix_lab.kube.times import human_duration
from tests.tui.tui_helpers import drive, screen_text, settle_ui
from tui.widgets.vcluster_table import VClusterTable

FROZEN = re.compile(r"\(\d+[smhdy]\w*\)")


def rows(app) -> dict[str, list[str]]:
    table = app.screen.query_one(VClusterTable)
    return {str(r[0]): [str(c) for c in r] for r in (table.get_row_at(i) for i in range(table.row_count))}


def test_since_counts_from_the_fault_not_the_creation_and_grows_when_shown(make_app, sample_lab_path):
    with Lab(sample_lab_path, create=False) as lab:
        lab.run_for(40 * 60)  # both vClusters are now ~41 minutes old
        lab.faults.inject("destination-unlabelled")
        lab.reconcile("VClusterCore", "sandbox", "platform-requests")
        lab.run_for(60)
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.screen
        await screen.load()
        await settle_ui(pilot)
        sandbox, media = rows(app)["sandbox"], rows(app)["media"]
        # the Destination matches neither any more: both rows count from the fault (~1m), not from creation (41m)
        assert sandbox[3:6] == media[3:6] == ["WorkPlacement", "◌ Progressing", "55s"], (sandbox, media)
        first = sandbox[5]
        assert sandbox[6].startswith("stuck at WorkPlacement: ") and not FROZEN.search(sandbox[6]), sandbox[6]
        text = screen_text(app)
        assert f" {first} " in text and "stuck at WorkPlacement" in text  # on screen at 80×24

        with Lab(sample_lab_path, create=False) as other:
            other.run_for(5 * 60)  # the clock alone
        await screen.load()
        await settle_ui(pilot)
        later = rows(app)["sandbox"]
        assert later[5] == human_duration(int(first[:-1]) + 5 * 60), (
            first,
            later[5],
        )  # 5m55s: the same since, read later
        assert later[6] == sandbox[6], "the message does not change with the clock"

        await pilot.press("enter")  # the detail of the row under the cursor (problems first: sandbox)
        await settle_ui(pilot)
        detail = " ".join(line.strip("│ ") for line in screen_text(app).splitlines())
        assert re.search(r"stuck at WorkPlacement since 2026-01-01T00:4\d:\d\dZ \(" + later[5] + r"\)", detail), detail

    drive(app, script)
