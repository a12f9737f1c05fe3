"""Hostile data on the dashboard (issue 18 item 11): Rich markup in data is text, never parsed (``[/]`` was a
``MarkupError`` that killed the dashboard, even ``--read-only``), and terminal control characters are escaped."""

from __future__ import annotations

from textual.pilot import Pilot

from kratix_lab import Lab
from tests.tui.tui_helpers import drive, screen_text, settle_ui
from tui.screens.request_detail import RequestDetailScreen

EVIL = {
    "apiVersion": "platform.integratn.tech/v1alpha1",
    "kind": "VClusterOrchestrator",
    "metadata": {
        "name": "evil",
        "namespace": "platform-requests",
        "annotations": {"note": "esc \x1b[31mRED\x1b[0m [bold]markup[/] and [/]"},
    },
    "spec": {
        "name": "evil",
        "vcluster": {"helmOverrides": {"[/]": "x", "k\x1b]0;title\x07": "y"}},
        "argocdApplication": {"targetRevision": "[/]"},
    },
}


def test_markup_and_escapes_in_data_show_literally_on_the_dashboard(make_app, sample_lab_path):
    with Lab(sample_lab_path) as lab:
        lab.submit(EVIL)
        lab.settle()
    app = make_app(read_only=True)

    async def script(pilot: Pilot) -> None:
        await settle_ui(pilot)
        text = screen_text(app)
        assert "evil" in text and "[/]" in text  # the message names chart vcluster [/], literally
        await pilot.press("home", "enter")  # evil sorts first
        await settle_ui(pilot)
        await settle_ui(pilot)
        assert isinstance(app.screen, RequestDetailScreen)
        detail = screen_text(app)
        assert "evil" in detail and "[/]" in detail
        assert "\x1b" not in detail and "\x07" not in detail

    drive(app, script)


def test_control_characters_in_data_are_escaped_on_the_describe_page(make_app, sample_lab_path):
    with Lab(sample_lab_path) as lab:
        lab.submit(EVIL)
        lab.settle()
    app = make_app(read_only=True)

    async def script(pilot: Pilot) -> None:
        await settle_ui(pilot)
        await pilot.press("colon", *"vco", "enter")
        await settle_ui(pilot)
        await pilot.press("home", "d")
        await settle_ui(pilot)
        page = screen_text(app)
        assert "Annotations" in page and "note: esc \\x1b[31mRED\\x1b[0m [bold]markup[/] and [/]" in page, page
        assert "\x1b" not in page and "\x07" not in page

    drive(app, script)
