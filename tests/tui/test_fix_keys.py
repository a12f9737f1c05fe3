"""The fix where the user is (issue 17 item 6): the detail's verdict names the dashboard's keys and is never cut at
80×24."""

from __future__ import annotations

from textual.pilot import Pilot

from kratix_lab import Lab
from tests.tui.tui_helpers import drive, screen_text, settle_ui


def test_the_detail_verdict_names_the_keys_and_is_whole_at_80x24(make_app, sample_lab_path):
    with Lab(sample_lab_path, create=False) as lab:
        lab.faults.inject("pipeline-fails", promise="vcluster-core")
        lab.reconcile("VClusterCore", "sandbox", "platform-requests")
        assert lab.settle().quiescent
    app = make_app()

    async def script(pilot: Pilot) -> None:
        app.open_request("VClusterCore", "sandbox", "platform-requests")
        await settle_ui(pilot)
        text = " ".join(line.strip() for line in screen_text(app).splitlines())
        fix = "press `l` for the pipeline's logs, fix the request or the pipeline, then `r` to reconcile"
        assert "stuck at pipeline run since" in text and fix in text, text
        assert "kratix-lab logs" not in text.split(fix)[0][-300:], "the dashboard names keys, not commands"

    drive(app, script)
