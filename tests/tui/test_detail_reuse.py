"""A key press reaches the screen at once (issue 15): the detail screen is shown before its trace is read and fills in
when the reader answers; one detail screen is kept and shows the next request, never what it showed before — even
when the earlier request's answer comes late; going back leaves the dashboard as it was; the footer is composed again
only when its keys change; the table's cells drawn from its cache are the cells drawn afresh."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import Any

from textual.pilot import Pilot

from tests.tui.tui_helpers import drive, screen_text, settle_ui
from tui import jobs
from tui.screens.dashboard import DashboardScreen
from tui.screens.request_detail import RequestDetailScreen
from tui.widgets.key_footer import KeyFooter
from tui.widgets.trace_tree import TraceTree
from tui.widgets.vcluster_table import VClusterTable


class HeldTraces:
    """The app's reader, with the traces of the requests named in ``held`` kept back until ``release(name)``."""

    def __init__(self, app: Any, *names: str) -> None:
        self.gates = {name: asyncio.Event() for name in names}
        self.answered: list[str] = []
        run = app.reader.run

        async def held_run(job: Any) -> Any:
            name = job.args[0].name if isinstance(job, partial) and job.func is jobs._read_trace else None
            if name in self.gates:
                await self.gates[name].wait()
            try:
                return await run(job)
            finally:
                if name is not None:
                    self.answered.append(name)

        app.reader.run = held_run

    def release(self, name: str) -> None:
        self.gates[name].set()


async def until(pilot: Pilot, done: Callable[[], bool]) -> None:
    """Let the app run until ``done()`` (the reader's thread answers when it answers: no sleeps asserted on)."""
    for _ in range(2000):
        if done():
            await pilot.pause()
            return
        await pilot.pause(0.005)
    raise AssertionError("the app never got there")


def detail_of(app: Any) -> RequestDetailScreen:
    screen = app.screen
    assert isinstance(screen, RequestDetailScreen)
    return screen


async def open_first(pilot: Pilot) -> tuple[DashboardScreen, RequestDetailScreen]:
    """From the dashboard: the first row's detail opened and read (the dashboard, the detail)."""
    dashboard = pilot.app.screen
    assert isinstance(dashboard, DashboardScreen)
    await pilot.press("enter")
    await settle_ui(pilot)
    return dashboard, detail_of(pilot.app)


def tree_names(screen: RequestDetailScreen) -> list[str]:
    return [line.node.data.node.name for line in screen.query_one(TraceTree)._tree_lines if line.node.data is not None]


def test_the_detail_is_on_screen_before_its_trace_then_fills_in(make_app):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        ahead = app._detail_screen  # built off screen when the dashboard's first paint was done: it read nothing
        assert ahead is not None and ahead.is_mounted and ahead.snapshot is None and not ahead.shows_request
        held = HeldTraces(app, "media")
        await pilot.press("enter")  # media: the first row (both are healthy; by name)
        await pilot.pause()
        detail = detail_of(app)
        assert detail is ahead and detail.ref.name == "media"
        assert "reading the trace…" in screen_text(app) and detail.tree.border_title == detail.ref.title
        assert detail.snapshot is None and tree_names(detail) == []
        held.release("media")
        await settle_ui(pilot)
        assert "healthy: VClusterOrchestrator/platform-requests/media is Healthy" in screen_text(app)
        assert tree_names(detail)[0] == "media" and "name: media" in detail.details.texts["tab-yaml"]

    drive(app, script)


def test_the_next_detail_shows_its_request_never_the_one_before_even_answered_late(make_app):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        # media's detail, read and shown whole, on another tab, zoomed, the cursor moved: then back
        dashboard, first = await open_first(pilot)
        await pilot.press("down", "3", "z")
        await settle_ui(pilot)
        assert first.maximized is not None and first.query_one(TraceTree).cursor_line > 0
        await pilot.press("escape")  # Textual's escape on a zoomed screen: the zoom first
        await settle_ui(pilot)
        if app.screen is first:
            await pilot.press("escape")
            await settle_ui(pilot)
        assert app.screen is dashboard and first.is_attached  # kept, not removed

        # media again, its trace held back; back at once, then sandbox: the same screen, which must show sandbox only
        held = HeldTraces(app, "media", "sandbox")
        await pilot.press("enter")
        await pilot.pause()
        assert detail_of(app) is first and "reading the trace…" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        detail = detail_of(app)
        assert detail is first and detail.ref.name == "sandbox"
        text = screen_text(app)
        assert "reading the trace…" in text and "media" not in text  # nothing left of media's detail
        assert "▶ trace" in text  # the tree as a new screen's
        assert detail.maximized is None and detail.details.texts["tab-yaml"] == ""
        assert detail.query_one("#node-tabs").active == "tab-yaml"  # a new screen's first tab

        # media's answer comes now, late: dropped
        held.release("media")
        await until(pilot, lambda: "media" in held.answered)
        assert detail.snapshot is None and "media" not in screen_text(app) and tree_names(detail) == []

        # sandbox's answer: shown
        held.release("sandbox")
        await settle_ui(pilot)
        assert detail.snapshot is not None and detail.snapshot.diagnosis.trace.name == "sandbox"
        assert tree_names(detail)[0] == "sandbox" and "media" not in tree_names(detail)
        assert "VClusterOrchestrator/platform-requests/sandbox" in screen_text(app)
        assert "name: sandbox" in detail.details.texts["tab-yaml"]
        assert "media" not in screen_text(app)

        # and back: the dashboard as it was, sandbox still selected
        await pilot.press("escape")
        await settle_ui(pilot)
        assert app.screen is dashboard and dashboard.table.selected_key == "platform-requests/sandbox"

    drive(app, script)


def test_a_detail_opened_over_the_kept_one_is_a_screen_of_its_own(make_app):
    """The create form over a detail, submitted: the new request's detail goes on top of the kept one."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("enter")
        await settle_ui(pilot)
        kept = detail_of(app)
        app.open_request("VClusterOrchestrator", "sandbox", "platform-requests")
        await settle_ui(pilot)
        on_top = detail_of(app)
        assert on_top is not kept and on_top.ref.name == "sandbox" and kept.ref.name == "media"
        assert "VClusterOrchestrator/platform-requests/sandbox" in screen_text(app)
        await pilot.press("escape")
        await settle_ui(pilot)
        assert app.screen is kept and "VClusterOrchestrator/platform-requests/media" in screen_text(app)

    drive(app, script)


def test_the_footer_changes_its_keys_in_place_as_a_new_footer_would_show_them(make_app):
    """KeyFooter keeps its key widgets when the keys are the same, and changes them in place otherwise: the footer
    then reads as Textual's Footer composed afresh for the same keys (the filter bar focused, then the table again;
    read-only: no mutating actions)."""
    app = make_app()

    def footer_line() -> str:
        return screen_text(app).splitlines()[-1]

    async def afresh(footer: KeyFooter) -> str:
        before = set(footer.children)
        footer.call_later(footer.recompose)  # composed afresh by Textual's Footer, in the footer's own context
        await settle_ui(pilot_of[0])
        assert footer.children and not before & set(footer.children)  # new key widgets
        return footer_line()

    pilot_of: list[Pilot] = []

    async def script(pilot: Pilot) -> None:
        pilot_of.append(pilot)
        footer = app.screen.query_one(KeyFooter)
        keys = list(footer.children)
        text = footer_line()
        assert keys and "⏎ Trace" in text and "r Reconcile" in text
        app.screen.refresh_bindings()  # as going back to the dashboard does: the same keys
        await settle_ui(pilot)
        assert list(footer.children) == keys and footer_line() == text
        for change in ("slash", "escape", "read-only"):
            if change == "read-only":
                app.read_only = True  # the mutating actions leave the footer
            else:
                await pilot.press(change)
            await settle_ui(pilot)
            shown = footer_line()
            assert shown == await afresh(footer), change
            if change == "slash":
                assert "⏎ Trace" not in shown  # the filter bar's keys (Textual's Footer shows the same)
            if change == "escape":
                assert shown == text
            if change == "read-only":
                assert "Reconcile" not in shown and "Delete" not in shown

    drive(app, script)


def test_the_table_draws_from_its_cache_what_it_would_draw_afresh(make_app):
    """Cells drawn from VClusterTable's cache (kept across DataTable's changes) equal cells drawn with no cache: after
    a cell's update, the cursor's moves, the focus leaving and coming back, a filter and the rows reordered."""
    app = make_app()

    def lines(table: VClusterTable) -> list[list[tuple[str, Any]]]:
        return [[(seg.text, seg.style) for seg in table.render_line(y)] for y in range(table.size.height)]

    def afresh(table: VClusterTable) -> list[list[tuple[str, Any]]]:
        table._drawn.clear()
        table._lines.clear()
        table._clear_caches()
        return lines(table)

    async def script(pilot: Pilot) -> None:
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        table = screen.table
        seen = lines(table)
        assert seen == afresh(table)
        table.update_cell("platform-requests/media", "message", "changed in place")
        await pilot.pause()
        seen = lines(table)
        assert any("changed in place" in "".join(t for t, _ in line) for line in seen)
        assert seen == afresh(table)
        for keys in (["down"], ["up"], ["slash"], ["escape"], ["slash", "s", "a", "n"], ["escape"], ["S"]):
            await pilot.press(*keys)
            await settle_ui(pilot)
            assert lines(table) == afresh(table), keys

    drive(app, script)


def test_a_row_is_put_together_again_only_when_it_or_how_it_is_drawn_changed(make_app):
    """VClusterTable's lines kept (``_render_line``): the focus going to the `/` bar and back changes nothing of the
    table's look (tui/app.tcss: the cursor keeps its colours), so every row — the cursor's too — is drawn from what was
    kept, the very lines, both ways; a row whose cell changed, or to which the cursor moved, afresh."""
    app = make_app()

    def strips(table: VClusterTable) -> dict[str, Any]:
        return {key: table.render_line(table.header_height + i) for i, key in enumerate(table._keys)}

    async def script(pilot: Pilot) -> None:
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        table = screen.table
        assert table.has_focus and table.cursor_row == 0
        cursor_key, other = table._keys[0], table._keys[1]
        before = strips(table)
        await pilot.press("slash")  # the table's focus to the bar
        await settle_ui(pilot)
        assert not table.has_focus
        blurred = strips(table)
        assert all(blurred[k] is before[k] for k in before), "every row's very line, the cursor's too"
        await pilot.press("escape")  # the focus back
        await settle_ui(pilot)
        assert table.has_focus
        again = strips(table)
        assert all(again[k] is before[k] for k in before)
        await pilot.press("down")  # the cursor moves: both rows drawn again
        await settle_ui(pilot)
        moved = strips(table)
        assert moved[cursor_key] is not before[cursor_key] and moved[other] is not before[other]
        assert moved[cursor_key].text == before[cursor_key].text
        table.update_cell(cursor_key, "message", "changed in place")
        await pilot.pause()
        changed = strips(table)
        assert changed[cursor_key] is not moved[cursor_key] and "changed in place" in changed[cursor_key].text
        assert changed[other] is moved[other]

    drive(app, script)


def test_the_kept_detail_left_is_cleared_off_screen_and_shows_the_next_request_only(make_app):
    """Left for the dashboard, the kept detail is cleared a moment later off screen (and laid out there): what was read
    for its request and answers after is dropped, and the next request opened in it shows that request only."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        dashboard, detail = await open_first(pilot)
        assert detail.ref.name == "media" and tree_names(detail)[0] == "media"
        await pilot.press("down", "3")
        await settle_ui(pilot)
        held = HeldTraces(app, "media", "sandbox")
        detail.refresh_data()  # a read of media in flight when the screen is left, answered after it was cleared
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is dashboard and detail._blank)
        assert detail.is_attached and detail.snapshot is None and not detail.shows_request
        assert tree_names(detail) == [] and detail.details.texts["tab-yaml"] == ""
        assert detail.query_one("#node-tabs").active == "tab-yaml"
        held.release("media")
        await until(pilot, lambda: "media" in held.answered)
        await settle_ui(pilot)
        assert tree_names(detail) == [] and detail.snapshot is None

        await pilot.press("down", "enter")  # sandbox, in the same screen
        await pilot.pause()
        assert detail_of(app) is detail and detail.ref.name == "sandbox"
        text = screen_text(app)
        assert "reading the trace…" in text and "media" not in text and "▶ trace" in text
        assert detail.tree.border_title == detail.ref.title
        held.release("sandbox")
        await settle_ui(pilot)
        assert tree_names(detail)[0] == "sandbox" and "media" not in tree_names(detail)
        assert "name: sandbox" in detail.details.texts["tab-yaml"] and "media" not in screen_text(app)

    drive(app, script)


def test_the_kept_detail_is_laid_out_off_screen_once_built_and_every_part_mounted(make_app, monkeypatch):
    """Built ahead when the first paint is done, the kept detail is laid out and drawn off screen as soon as every
    part of it is mounted (the first `enter` only paints) — and never before its tabs have their underline: a
    layout sends them a Resize, where Textual's Tabs reads its Underline (a NoMatches then ended the app)."""
    from textual.widgets import Tabs
    from textual.widgets._tabs import Underline

    layouts: list[bool] = []  # for each layout of a detail screen off screen: whether every part was mounted
    real = RequestDetailScreen._refresh_layout

    def spy(self: RequestDetailScreen, *args: Any, **kw: Any) -> Any:
        if self not in self.app.screen_stack:
            layouts.append(self._parts_mounted())
        return real(self, *args, **kw)

    monkeypatch.setattr(RequestDetailScreen, "_refresh_layout", spy)
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await until(pilot, lambda: app._detail_screen is not None and bool(layouts))
        assert all(layouts), "laid out off screen before every part was mounted"
        kept = app._detail_screen
        assert kept is not None and kept._parts_mounted()
        # a row of tabs without its underline (as while the tabs mount their parts): not laid out
        underline = kept.query(Tabs).first().query_one(Underline)
        await underline.remove()
        assert not kept._parts_mounted()
        before = len(layouts)
        await kept.lay_out_off_screen()
        assert len(layouts) == before

    drive(app, script)
