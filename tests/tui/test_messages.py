"""Messages up, state down (issue 11): each message a screen posts (tui/messages.py) reaches the app's handler
and does what the app did when screens called it; the header watches the app's typed reactives; and no screen
or widget calls the app or reads its state by a string (an AST check over tui/screens and tui/widgets)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from textual.message import Message
from textual.pilot import Pilot

from kratix_lab import Lab
from kratix_lab.platform.kratix import MANUAL_RECONCILE
from tests.tui.tui_helpers import drive, screen_text, settle_ui
from tui import messages as msg
from tui.host import LabHost, Permissions
from tui.jobs import ObjectRef
from tui.screens.confirm_delete import ConfirmDeleteScreen
from tui.screens.confirm_edit import ConfirmEditScreen
from tui.screens.create import CreateScreen
from tui.screens.dashboard import DashboardScreen
from tui.screens.object_pages import DescribeScreen, LogsScreen, YamlScreen
from tui.screens.request_detail import RequestDetailScreen

TUI = Path(__file__).resolve().parents[2] / "tui"
MEDIA = ObjectRef("VClusterOrchestrator", "media", "platform-requests")
SANDBOX = ObjectRef("VClusterOrchestrator", "sandbox", "platform-requests")


def _hello(source: object, actions: object) -> str:
    return "hello from a job"


def test_each_message_reaches_its_handler(make_app, sample_lab_path):
    """Posted from the visible screen (as its keys do), each message bubbles to the app, whose @on handler
    pushes the screen or runs the action."""
    app = make_app()
    seen: set[type] = set()

    async def post(pilot: Pilot, message: Message) -> None:
        seen.add(type(message))
        app.screen.post_message(message)
        await settle_ui(pilot)

    async def back(pilot: Pilot) -> None:
        await pilot.press("escape")
        await settle_ui(pilot)
        assert isinstance(app.screen, DashboardScreen)

    async def script(pilot: Pilot) -> None:
        assert isinstance(app.screen, DashboardScreen)
        ahead = app._detail_screen  # built when the dashboard's first paint was done (FleetShown, posted by it)
        assert ahead is not None and ahead.is_mounted and ahead not in app.screen_stack
        await post(pilot, msg.FleetShown())  # again: nothing more is built
        assert app._detail_screen is ahead and app.screen_stack[-1] is not ahead
        await post(pilot, msg.OpenRequest(MEDIA))
        assert isinstance(app.screen, RequestDetailScreen) and app.screen.ref == MEDIA and app.screen is ahead
        await back(pilot)

        for page, screen_type, title in [
            ("describe", DescribeScreen, "describe VClusterOrchestrator/platform-requests/media"),
            ("yaml", YamlScreen, "YAML VClusterOrchestrator/platform-requests/media"),
            ("logs", LogsScreen, "logs VClusterOrchestrator/platform-requests/media"),
        ]:
            await post(pilot, msg.ShowObject(MEDIA, page))
            assert type(app.screen) is screen_type and app.screen.page_title == title
            assert app.screen.text  # read through the reader
            await back(pilot)

        await post(pilot, msg.ShowPage("logs", "logs of a pipeline run", _hello))
        assert isinstance(app.screen, LogsScreen) and app.screen.text == "hello from a job"
        assert "logs of a pipeline run" in screen_text(app)
        await back(pilot)

        await post(pilot, msg.Reconcile(SANDBOX))
        app.clock.flush()  # the reconcile ran on the writer
        with Lab(sample_lab_path, create=False) as other:
            assert (
                other.get("VClusterOrchestrator", "sandbox", "platform-requests")["metadata"]["labels"][
                    MANUAL_RECONCILE
                ]
                == "true"
            )
            assert MANUAL_RECONCILE not in (other.get("VClusterOrchestrator", "media")["metadata"].get("labels") or {})

        await post(pilot, msg.Delete(SANDBOX))
        assert (
            isinstance(app.screen, ConfirmDeleteScreen)
            and app.screen.plan.ref == "VClusterOrchestrator/platform-requests/sandbox"
        )
        await back(pilot)  # cancelled: nothing deleted
        with Lab(sample_lab_path, create=False) as other:
            assert other.gitops_repo.read_files("platform/vclusters/sandbox.yaml")

        hints = ("raise vcluster.resources.limits.memory",)
        await post(pilot, msg.EditRequest(MEDIA, hints))
        assert isinstance(app.screen, CreateScreen)
        assert app.screen.edit == "media" and app.screen.focus_hints == hints
        await back(pilot)

        answers: list[bool] = []
        for key, answer in [("y", True), ("n", False)]:
            await post(pilot, msg.ConfirmEdit("Commit this?", "-a\n+b\n", answers.append))
            assert isinstance(app.screen, ConfirmEditScreen) and app.screen.diff == "-a\n+b\n"
            await pilot.press(key)
            await settle_ui(pilot)
            assert isinstance(app.screen, DashboardScreen) and answers[-1] is answer
        assert answers == [True, False]

        assert seen == set(msg.ALL)  # every message the app handles was posted above

    drive(app, script)


def test_read_only_state_flows_down_to_the_header_and_the_handlers(make_app):
    """``read_only`` is a reactive: the header watches it, ``permissions`` follows it, and the handlers of the
    messages that change something refuse (as the keys are hidden)."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        assert app.permissions == Permissions(read_only=False, has_clock=True)
        assert " read-only " not in screen_text(app).splitlines()[0]
        app.read_only = True
        await pilot.pause()
        assert " read-only " in screen_text(app).splitlines()[0]  # the header watched the reactive
        assert app.permissions == Permissions(read_only=True, has_clock=True)
        assert app.screen.check_action("reconcile", ()) is False and app.screen.check_action("logs", ()) is True
        app.screen.post_message(msg.EditRequest(MEDIA))
        await settle_ui(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert any(n.message.startswith("read-only: ") for n in app._notifications)

    drive(app, script)


def test_permissions():
    lab, read_only, live = Permissions(), Permissions(read_only=True), Permissions(has_clock=False)
    assert all(lab.allows(a) for a in ("create", "edit", "reconcile", "delete", "toggle_clock", "logs"))
    assert not any(read_only.allows(a) for a in ("create", "edit", "reconcile", "delete", "toggle_clock"))
    assert read_only.allows("logs") and read_only.allows("jump")
    assert live.allows("reconcile") and not live.allows("step_clock") and not live.allows("toggle_clock")


# ---- the rule: screens and widgets post messages and read typed state ------------------------------------------

# What a screen may still touch on ``self.app``: Textual's own machinery, never this app's methods or state.
FRAMEWORK = frozenset(
    {
        "batch_update",
        "call_from_thread",
        "focused",
        "animator",
        "screen_stack",
        "_css_update_count",  # Textual's count of CSS changes (themes): RequestDetailScreen compares it as Textual does
        "COMMAND_PALETTE_BINDING",  # what Textual's Footer reads to show its keys (KeyFooter)
        "ENABLE_COMMAND_PALETTE",
        "get_key_display",
        "size",  # the terminal's size: RequestDetailScreen is laid out off screen at it (``lay_out_off_screen``)
    }
)
HOST = frozenset(name for name in vars(LabHost) if not name.startswith("_"))


def violations(source: str, filename: str = "<source>") -> list[str]:
    """Every place ``source`` calls the app or reads its state other than through messages and ``lab_app``:
    ``getattr``/``hasattr`` on an app, ``….app.X`` outside Textual's machinery, ``lab_app….X`` outside LabHost."""
    out = []
    for node in ast.walk(ast.parse(source, filename)):
        where = f"{filename}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "hasattr"):
            target = node.args[0] if node.args else None
            if isinstance(target, ast.Attribute) and target.attr in ("app", "lab_app"):
                out.append(f"{where}: {node.func.id}() on the app: read a typed reactive through lab_app")
        on_app = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) and node.value.attr == "app"
        if on_app and node.attr not in FRAMEWORK:
            out.append(f"{where}: .app.{node.attr}: post a message (tui.messages) or read lab_app")
        if isinstance(node, ast.Attribute):
            host = node.value
            is_host = (isinstance(host, ast.Attribute) and host.attr == "lab_app") or (
                isinstance(host, ast.Call) and isinstance(host.func, ast.Name) and host.func.id == "lab_app"
            )
            if is_host and node.attr not in HOST:
                out.append(f"{where}: lab_app.{node.attr} is not part of tui.host.LabHost")
    return out


@pytest.mark.parametrize(
    "bad",
    [
        "self.app.open_request(ref.kind, ref.name, ref.namespace)",
        "self.app.pop_screen()",
        "self.app.push_screen(LogsScreen(title, job))",
        "x = getattr(self.app, 'live', False)",
        "allowed = getattr(self.app, 'allows', lambda action: True)('delete')",
        "if self.app.read_only: pass",
        "await self.app.read(job)",
        "self.lab_app.reconcile(ref)",
        "lab_app(self).show_yaml(ref)",
    ],
)
def test_the_rule_catches_an_app_call_or_a_string_read(bad):
    assert violations(bad), bad


def test_the_rule_allows_messages_typed_state_and_textuals_machinery():
    ok = """
self.post_message(msg.OpenRequest(ref))
self.dismiss(None)
what = "the cluster" if self.lab_app.live else "the lab"
allowed = lab_app(self).permissions.allows("delete")
result = await self.lab_app.read(job, fleet=True)
with self.app.batch_update():
    pass
focused = self.app.focused
self.app.call_from_thread(self._show_preview, preview)
"""
    assert violations(ok) == []


def test_no_screen_or_widget_calls_the_app_or_reads_it_by_a_string():
    files = sorted([*(TUI / "screens").glob("*.py"), *(TUI / "widgets").glob("*.py")])
    assert len(files) > 15
    found = [v for path in files for v in violations(path.read_text(), str(path.relative_to(TUI.parent)))]
    assert found == []
