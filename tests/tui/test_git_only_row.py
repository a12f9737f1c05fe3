"""The dashboard lists a request committed to git but never applied (issue 17 item 1): a Degraded row stuck at
Argo CD sync, first under problems-first order, and its detail names the Application and the fix."""

from __future__ import annotations

from textual.pilot import Pilot

from kratix_lab import Lab
from tests.helpers import SAMPLES
from tests.tui.tui_helpers import drive, screen_text, settle_ui
from tui.screens.request_detail import RequestDetailScreen
from tui.widgets.vcluster_table import VClusterTable


def rows(app) -> list[list[str]]:
    table = app.screen.query_one(VClusterTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def test_a_request_in_git_not_in_the_cluster_is_a_row_with_its_cause(make_app, sample_lab_path):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        assert "ghost" not in [r[0] for r in rows(app)]
        with Lab(sample_lab_path, create=False) as other:
            other.faults.inject("argocd-autosync-disabled", app="platform")
            (sample_lab_path / "ghost.yaml").write_text((SAMPLES / "dev.yaml").read_text().replace("sandbox", "ghost"))
            other.submit(sample_lab_path / "ghost.yaml")
            other.settle()
        await app.screen.load()
        await pilot.pause()
        ghost = rows(app)[0]  # problems first
        assert ghost[0] == "ghost" and ghost[3:5] == ["Argo CD sync", "✖ Degraded"], ghost
        assert ghost[6].startswith("stuck at Argo CD sync"), ghost
        assert "vClusters 3 · ✖ 1" in screen_text(app)
        table = app.screen.query_one(VClusterTable)
        assert table.cursor_row == 1  # the selected row (media) stays selected as the new row appears above it
        await pilot.press("up", "enter")
        await settle_ui(pilot)
        assert isinstance(app.screen, RequestDetailScreen)
        text = screen_text(app)
        assert "Application platform" in text and "automated sync is off" in text, text

    drive(app, script)
