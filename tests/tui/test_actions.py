"""The actions: delete (with what it removes), reconcile, logs, describe, YAML, help, `:` and the
command palette — and read-only mode, which hides every one that changes the lab."""

from __future__ import annotations

from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Button, Input

from kratix_lab import Lab
from kratix_lab.platform.kratix import MANUAL_RECONCILE
from kratix_lab.sources.lab import LabSource
from tests.tui.tui_helpers import assert_snapshot, drive, screen_text, settle_ui, stable
from tui.app import MUTATING_ACTIONS
from tui.screens.confirm_delete import ConfirmDeleteScreen
from tui.screens.dashboard import DashboardScreen
from tui.screens.help import HelpScreen
from tui.screens.kind_prompt import KindPromptScreen
from tui.screens.object_list import ObjectListScreen
from tui.screens.object_pages import DescribeScreen, LogsScreen, YamlScreen
from tui.screens.request_detail import RequestDetailScreen
from tui.widgets.object_table import ObjectTable
from tui.widgets.vcluster_table import VClusterTable

MUTATING_KEYS = {"c", "p", "n", "r", "ctrl+d"}


def command_titles(app) -> list[str]:
    return [c.title for c in app.get_system_commands(app.screen)]


def test_delete_lists_what_will_be_removed_then_removes_it(make_app, sample_lab_path):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("ctrl+d")  # media is selected
        await settle_ui(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmDeleteScreen)
        plan = dialog.plan
        titles = [title for title, _ in plan.sections]
        assert titles[:5] == ["sub-requests", "Works", "WorkPlacements", "state-repo files", "objects Argo CD prunes"]
        items = plan.items()
        assert "VClusterCore/platform-requests/media" in items
        assert "Application/argocd/media" in items and "Namespace/vcluster-media" in items
        assert any(i.startswith("clusters/the-cluster/resources/platform-requests/vcluster-core/media/") for i in items)
        assert "StatefulSet/vcluster-media/media" in items
        assert "Application/argocd/kratix-state-reconciler" not in items  # shared by every request: stays
        assert (
            plan.how
            == "removes platform/vclusters/media.yaml from the gitops repo; Argo CD (app platform) prunes the request"
        )
        text = screen_text(app)
        assert "Delete VClusterOrchestrator/platform-requests/media?" in text
        assert "This is a prod vCluster. Type media to delete it" in text  # issue 17 item 11
        assert_snapshot("confirm_delete", stable(text))
        await pilot.press("escape")  # cancel: nothing happens
        assert isinstance(app.screen, DashboardScreen)
        with Lab(sample_lab_path, create=False) as other:
            assert other.gitops_repo.read_files("platform/vclusters/media.yaml")
        await pilot.press("ctrl+d")
        await settle_ui(pilot)
        await pilot.press("y", "enter")  # one key does not delete a prod vCluster: "y" is typed, not the name
        await pilot.click("#confirm")
        await settle_ui(pilot)
        assert isinstance(app.screen, ConfirmDeleteScreen) and app.screen.query_one("#confirm").disabled
        app.screen.query_one("#confirm-name").value = ""
        await pilot.press(*"medi")
        assert app.screen.query_one("#confirm").disabled
        await pilot.press("a")
        assert not app.screen.query_one("#confirm").disabled
        await pilot.click("#confirm")
        await settle_ui(pilot)
        app.clock.flush()  # the delete ran on the clock's worker
        with Lab(sample_lab_path, create=False) as other:
            assert not other.gitops_repo.read_files("platform/vclusters/media.yaml")
            other.settle()
            source = LabSource(other)
            left = [i for i in items if "/" in i and not i.startswith("clusters/") and source.get(*_ref(i)) is not None]
            assert left == []
            assert not any(source.state_files(i) for i in items if i.startswith("clusters/"))
        await app.screen.load()
        await pilot.pause()
        assert [str(app.screen.query_one(VClusterTable).get_row_at(i)[0]) for i in range(1)] == ["sandbox"]
        assert app.screen.query_one(VClusterTable).row_count == 1
        app.open_request("VClusterOrchestrator", "media", "platform-requests")
        await settle_ui(pilot)
        assert "deleted: VClusterOrchestrator/platform-requests/media is gone" in screen_text(app)

    drive(app, script)


def test_a_dev_vcluster_is_deleted_with_one_key(make_app, sample_lab_path):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("down", "ctrl+d")  # sandbox: the dev preset
        await settle_ui(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmDeleteScreen) and dialog.plan.confirm_name is None
        assert "Delete (y)" in screen_text(app) and not dialog.query("#confirm-name")
        await pilot.press("y")
        await settle_ui(pilot)
        app.clock.flush()
        with Lab(sample_lab_path, create=False) as other:
            assert not other.gitops_repo.read_files("platform/vclusters/sandbox.yaml")

    drive(app, script)


def _ref(item: str) -> tuple[str, str, str | None]:
    parts = item.split("/")
    return (parts[0], parts[-1], parts[1] if len(parts) == 3 else None)


def test_reconcile_sets_kratix_manual_reconciliation(make_app, sample_lab_path):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("down", "r")  # sandbox
        await settle_ui(pilot)
        app.clock.flush()
        with Lab(sample_lab_path, create=False) as other:
            obj = other.get("VClusterOrchestrator", "sandbox", "platform-requests")
            assert obj["metadata"]["labels"][MANUAL_RECONCILE] == "true"
            assert MANUAL_RECONCILE not in (other.get("VClusterOrchestrator", "media")["metadata"].get("labels") or {})
        # on the detail screen, r reconciles the request the selected node belongs to
        app.open_request("VClusterOrchestrator", "media", "platform-requests")
        await settle_ui(pilot)
        await pilot.press("r")
        await settle_ui(pilot)
        app.clock.flush()
        with Lab(sample_lab_path, create=False) as other:
            assert other.get("VClusterOrchestrator", "media")["metadata"]["labels"][MANUAL_RECONCILE] == "true"

    drive(app, script)


def test_logs_describe_and_yaml_pages(make_app):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("l")
        await settle_ui(pilot)
        assert isinstance(app.screen, LogsScreen)
        assert app.screen.text and "==> kratix-vcluster-orchestrator-media" not in app.screen.text  # one pod
        assert "logs VClusterOrchestrator/platform-requests/media" in screen_text(app)
        await pilot.press("escape", "d")
        await settle_ui(pilot)
        assert isinstance(app.screen, DescribeScreen)
        assert app.screen.text.startswith("Name:         media\nNamespace:    platform-requests\n")
        assert "Promise:      vcluster-orchestrator" in app.screen.text
        await pilot.press("escape", "y")
        await settle_ui(pilot)
        assert isinstance(app.screen, YamlScreen)
        assert "kind: VClusterOrchestrator" in app.screen.text and "preset: prod" in app.screen.text
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)
        # a page whose object is gone says so
        from tui.jobs import ObjectRef

        app.show_yaml(ObjectRef("VClusterOrchestrator", "gone", "platform-requests"))
        await settle_ui(pilot)
        assert "VClusterOrchestrator/platform-requests/gone is not in the cluster" in screen_text(app)

    drive(app, script)


def test_help_lists_the_apps_own_keys_first_and_no_framework_keys(make_app):
    """Issue 17 item 11: the screen's keys, then the app's; Textual's own (focus, copy, ctrl+q) and widget class
    names are left out (the footer and ctrl+p show those)."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("question_mark")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        shown = [key for key, _, _ in help_screen.rows]
        assert shown[0] == "⏎" and set(shown) == {"⏎", "/", "!", "e", "s", "S", "l", "d", "y", "r", "^d", "esc"} | {
            "?",
            ":",
            "c",
            "p",
            "n",
            "q",
        }
        wheres = [where for _, _, where in help_screen.rows]
        assert wheres == sorted(wheres, key=lambda w: w != "this screen") and set(wheres) == {
            "this screen",
            "everywhere",
        }
        descriptions = {key: what for key, what, _ in help_screen.rows}
        assert descriptions["^d"] == "Delete" and descriptions["p"] == "Play/pause"
        await pilot.press("escape")
        # the detail screen's keys (its own and the tree's)
        await pilot.press("enter")
        await settle_ui(pilot)
        await pilot.press("question_mark")
        shown = {key for key, _, _ in app.screen.rows}
        assert {"esc", "l", "r", "^d", "1", "5", "z", "e", "+", "-"} <= shown

    drive(app, script)


def test_colon_jumps_to_a_kind(make_app):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("colon")
        await settle_ui(pilot)
        prompt = app.screen
        assert isinstance(prompt, KindPromptScreen)
        assert "VClusterOrchestrator" in prompt.kinds and "Pod" in prompt.kinds
        prompt.query_one(Input).value = "bogus"
        await pilot.press("enter")
        await settle_ui(pilot)
        assert 'the server doesn\'t have a resource type "bogus"' in screen_text(app)
        prompt.query_one(Input).value = ""
        await pilot.press(*"po", "enter")
        await settle_ui(pilot)
        listing = app.screen
        assert isinstance(listing, ObjectListScreen) and listing.kind.kind == "Pod"
        table = listing.query_one(ObjectTable)
        assert [str(c) for c in table.ordered_columns[0].label.plain.split()] == ["NAMESPACE"]
        names = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert "media-0" in names
        assert "pods (" in screen_text(app)
        assert listing.check_action("reconcile", ()) is False  # not a request kind
        await pilot.press("escape", "colon")
        await settle_ui(pilot)
        app.screen.query_one(Input).value = "vclusterorchestrators"  # a request kind: enter opens the trace
        await pilot.press("enter")
        await settle_ui(pilot)
        assert app.screen.kind.kind == "VClusterOrchestrator"
        await pilot.press("enter")
        await settle_ui(pilot)
        assert isinstance(app.screen, RequestDetailScreen) and app.screen.ref.name == "media"

    drive(app, script)


def test_the_command_palette_offers_the_actions(make_app):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        titles = command_titles(app)
        for title in ("Create vCluster", "Play the lab clock", "Step the lab once", "Jump to a kind", "Keys"):
            assert title in titles
        assert {"Trace media", "Reconcile media", "Delete media", "Logs of media"} <= set(titles)
        await pilot.press("ctrl+p")
        await settle_ui(pilot)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Step the lab")
        await settle_ui(pilot)
        await pilot.press("enter")
        await settle_ui(pilot)
        assert app.steps == 1

    drive(app, script)


def test_read_only_hides_every_mutating_action(make_app, sample_lab_path):
    app = make_app(read_only=True, play=True)

    async def script(pilot: Pilot) -> None:
        assert app.clock is None and not app.playing
        assert "read-only" in screen_text(app)
        keys = {b.binding.key for b in app.screen.active_bindings.values()}
        assert not (MUTATING_KEYS & keys)
        assert not {b.binding.action for b in app.screen.active_bindings.values()} & MUTATING_ACTIONS
        titles = command_titles(app)
        assert not [t for t in titles if t.startswith(("Create", "Play", "Pause", "Step", "Reconcile", "Delete"))]
        assert "Trace media" in titles and "Logs of media" in titles
        footer = screen_text(app).splitlines()[-1]
        assert "Reconcile" not in footer and "Delete" not in footer
        await pilot.press("r", "ctrl+d", "c", "n")
        await settle_ui(pilot)
        assert isinstance(app.screen, DashboardScreen)  # no dialog, no create screen
        with Lab(sample_lab_path, create=False) as other:
            assert MANUAL_RECONCILE not in (other.get("VClusterOrchestrator", "media")["metadata"].get("labels") or {})
            assert other.now() == "2026-01-01T00:01:30Z"
        # the detail screen too; and the help lists none of them
        await pilot.press("enter")
        await settle_ui(pilot)
        assert not {b.binding.key for b in app.screen.active_bindings.values()} & MUTATING_KEYS
        await pilot.press("question_mark")
        assert not {k for k, _, _ in app.screen.rows} & {"r", "e", "^d", "c", "p", "n"}
        await pilot.press("escape")
        assert not [t for t in command_titles(app) if t.startswith(("Reconcile", "Delete"))]
        # a delete dialog opened anyway offers no Delete button
        from kratix_lab.deletion import DeletePlan
        from tui.screens.confirm_delete import ConfirmDeleteScreen

        app.push_screen(ConfirmDeleteScreen(DeletePlan("X/y", "how")))
        await settle_ui(pilot)
        assert [b.id for b in app.screen.query(Button)] == ["cancel"]

    drive(app, script)


def test_open_request_is_what_the_create_screen_calls(make_app):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        app.open_request("VClusterOrchestrator", "sandbox", "platform-requests")
        await settle_ui(pilot)
        assert isinstance(app.screen, RequestDetailScreen)
        assert "VClusterOrchestrator/platform-requests/sandbox is Healthy" in screen_text(app)
        assert app.screen.check_action("create", ()) is True and "Create vCluster" in command_titles(app)
        # a request not (yet) in the cluster, and a kind no Promise serves, say so
        app.open_request("VClusterOrchestrator", "nope", "platform-requests")
        await settle_ui(pilot)
        assert "not in the cluster" in screen_text(app)
        app.open_request("NoSuchKind", "x", None)
        await settle_ui(pilot)
        assert "cannot trace NoSuchKind/x: no installed Promise serves kind" in screen_text(app)

    drive(app, script)
