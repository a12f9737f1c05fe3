"""The create form's fixes (issue 17.10) at 80×24: the focused field is always on screen, a name in use is
reported on spec.name (what the user typed; metadata.name follows it off screen), and the API server's regex
errors come with what they mean in plain words."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widget import Widget

from kratix_lab import Lab
from tests.tui.test_create import HostApp, error_text, type_into
from tests.tui.tui_helpers import drive, screen_text, settle_ui
from tui.screens.create import CreateScreen, FieldBox


def on_screen(widget: Widget) -> bool:
    """Is the whole widget inside the form's visible part (not scrolled away, not under the footer)?"""
    form = widget.screen.query_one("#create-form")
    visible = form.content_region
    region = widget.region
    return region.height > 0 and visible.contains_region(region)


def test_tab_through_the_whole_form_keeps_the_focused_field_on_screen(make_app):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("c")
        await settle_ui(pilot)
        screen = app.screen
        assert isinstance(screen, CreateScreen)
        await pilot.press("ctrl+o")  # every section open: the longest form
        await settle_ui(pilot)
        seen = 0
        for _ in range(60):
            await pilot.press("tab")
            await pilot.pause()
            focused = app.focused
            box = next((a for a in focused.ancestors_with_self if isinstance(a, FieldBox)), None) if focused else None
            if box is None:
                continue
            seen += 1
            assert on_screen(focused), f"{box.field.path}: focused at {focused.region}, off screen"
            assert on_screen(box.query_one(".field-label")), f"{box.field.path}: its label is off screen"
        assert seen >= 30
        # shift+tab back up: the same
        for _ in range(20):
            await pilot.press("shift+tab")
            await pilot.pause()
            if app.focused is not None and any(isinstance(a, FieldBox) for a in app.focused.ancestors_with_self):
                assert on_screen(app.focused)

    drive(app, script)


def test_a_name_in_use_is_reported_on_spec_name_with_metadata_name_left_empty(sample_lab_path):
    lab = Lab(sample_lab_path, create=False)
    app = HostApp(lab)

    async def script(pilot: Pilot) -> None:
        screen = app.screen
        await type_into(pilot, "spec.name", "media")  # the form opens on spec.name; metadata.name follows it
        assert 'VClusterOrchestrator "media" already exists' in error_text(screen, "spec.name")
        assert "metadata.name is filled from spec.name" in error_text(screen, "spec.name")
        assert error_text(screen, "metadata.name") == ""
        assert "already exists" in screen_text(app)  # where the user is looking, at 80×24
        # a name typed into metadata.name: the clash is that field's
        await type_into(pilot, "metadata.name", "sandbox")
        assert "already exists" in error_text(screen, "metadata.name")
        assert "already exists" not in error_text(screen, "spec.name")

    try:
        drive(app, script)
    finally:
        lab.close()


def test_regex_errors_get_plain_words_at_the_field(sample_lab_path):
    lab = Lab(sample_lab_path, create=False)
    app = HostApp(lab)

    async def script(pilot: Pilot) -> None:
        screen = app.screen
        await type_into(pilot, "spec.name", "Team_A")
        spec_name = error_text(screen, "spec.name")
        assert "should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'" in spec_name
        assert "↳ lowercase letters, digits and '-', starting and ending with a letter or digit" in spec_name
        # metadata.name (filled from spec.name) says the same: not repeated
        assert spec_name.count("Invalid value") == 1 and error_text(screen, "metadata.name") == ""
        assert "↳ lowercase letters, digits and '-'" in screen_text(app)
        await type_into(pilot, "spec.vcluster.resources.limits.memory", "2 GB")
        assert "↳ a number, then optionally a unit: 512Mi, 2Gi" in error_text(
            screen, "spec.vcluster.resources.limits.memory"
        )

    try:
        drive(app, script)
    finally:
        lab.close()


def test_a_problem_appearing_under_the_focused_field_is_scrolled_into_view(make_app):
    """Tabbing down leaves the focused input on the form's last visible line; the error that appears under it
    as the user types must come into view with it."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("c")
        await settle_ui(pilot)
        form = app.screen.query_one("#create-form")
        checked = 0
        for _ in range(12):
            await pilot.press("tab")
            await pilot.pause()
            focused = app.focused
            box = next((a for a in focused.ancestors_with_self if isinstance(a, FieldBox)), None) if focused else None
            if box is None or box.field.kind != "string" or box.value:
                continue
            await pilot.press(*"Not_Valid!")
            await settle_ui(pilot)
            error = box.query_one(".field-error")
            if not box.problems:
                continue
            checked += 1
            assert on_screen(focused), box.field.path
            assert form.content_region.contains_region(error.region), f"{box.field.path}: its error is off screen"
            await pilot.press(*["backspace"] * 10)
            await settle_ui(pilot)
        assert checked >= 2

    drive(app, script)


def test_a_field_focused_in_a_section_just_opened_is_scrolled_into_view(sample_lab_path):
    """A field in a closed section (built when it opens) focused at once — as a problem pointed at on submit, or
    the edit form opening in the field a fix names — is on screen, though it had no size when it got the focus."""
    lab = Lab(sample_lab_path, create=False)
    app = HostApp(lab)

    async def script(pilot: Pilot) -> None:
        screen = app.screen
        await settle_ui(pilot)
        for path in ("spec.vcluster.resources.limits.memory", "spec.vcluster.persistence.size"):
            box = await screen.reveal(path)
            box.input.focus()
            await settle_ui(pilot)
            for _ in range(30):  # the layout of the sections just built takes a few refreshes (more on a busy machine)
                if on_screen(box.input):
                    break
                await pilot.pause()
            form = screen.query_one("#create-form")
            assert on_screen(box.input), (
                f"{path}: focused at {box.input.region}, off screen (form shows {form.content_region}, scrolled {form.scroll_y}/{form.max_scroll_y})"
            )

    try:
        drive(app, script)
    finally:
        lab.close()
