"""The "Create vCluster" screen (tui/screens/create.py) on an 80×24 terminal.

Two kinds of test: the screen in a small host app that offers what the dashboard offers a screen
(``lab``, ``read_only``, ``open_request``) for the form's details; and the real dashboard
(``KratixLabApp``) end to end: `c`, fill the form with keys and clicks, submit → a commit in the gitops
repo → the detail screen → the vCluster in the dashboard, Healthy once the lab has settled.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Select, Static, TextArea

from kratix_lab import Lab, forms
from kratix_lab.diagnose import fleet
from kratix_lab.model import load_one
from kratix_lab.platform.lab import LabError
from kratix_lab.sources.factory import PlatformSettings
from kratix_lab.sources.lab import LabSource
from tests.helpers import SUB_KINDS
from tests.tui.tui_helpers import drive, screen_text, settle_ui
from tui.lab_workers import make_worker
from tui.screens.create import CreateScreen, FieldBox, SectionView, section_id, widget_id

DEMO = "platform/vclusters/demo.yaml"


class HostApp(App):
    """What the dashboard offers a screen: workers reading and writing the lab (the screen never holds it),
    read-only mode and opening a request's detail. ``lab`` is the test's own handle on the same lab."""

    def __init__(self, lab: Lab, read_only: bool = False, promise: str = "vcluster-orchestrator") -> None:
        super().__init__()
        self.lab = lab
        self.read_only = read_only
        self.promise = promise
        self.opened: list[tuple[str, str, str | None]] = []
        settings = PlatformSettings(lab=str(lab.path))
        self.reader = make_worker("thread", settings, "reader", read_only=True)
        self.writer = make_worker("thread", settings, "writer", read_only=False)

    async def read(self, job: Any) -> Any:
        return await self.reader.run(job)

    async def write(self, job: Any) -> Any:
        return await self.writer.run(job)

    def on_mount(self) -> None:
        self.push_screen(CreateScreen(promise=self.promise))

    def on_unmount(self) -> None:
        self.reader.close(wait=True)
        self.writer.close(wait=True)

    def open_request(self, kind: str, name: str, namespace: str | None) -> None:
        self.opened.append((kind, name, namespace))


async def type_into(pilot: Pilot, path: str, text: str, *, keys: int = 1) -> None:
    """Open the field's sections, focus its input and enter ``text``: all but the last ``keys``
    characters are pasted in at once (an edit, as a paste is), the rest typed key by key."""
    await settle_ui(pilot)  # the form is read on the reader
    screen = pilot.app.screen
    box = await screen.reveal(path)
    box.input.focus()
    box.scroll_visible(animate=False)
    await pilot.pause()  # focused (an input selects its text on focus)
    head, tail = (text[:-keys], text[-keys:]) if keys else (text, "")
    if isinstance(box.input, TextArea):
        box.input.text = head
        box.input.move_cursor(box.input.document.end)
    else:
        box.input.value = head
        box.input.cursor_position = len(head)
    await pilot.press(*tail)
    await settle_ui(pilot)  # the validation runs on the reader


def error_text(screen: CreateScreen, path: str) -> str:
    box = screen.field_boxes().get(path)
    return "\n".join(box.problems) if box is not None else ""


def yaml_text(pane: Static) -> str:
    return pane.content.code  # the Syntax renderable the pane shows


def shown_keys(app: App) -> set[str]:
    return {key for key, b in app.active_bindings.items() if b.binding.show and b.enabled}


# ---- the screen in a host app ------------------------------------------------------------------


def test_the_form_its_preview_and_cancel(sample_lab_path):
    """Generated from the schema; the preview shows the request and its seven sub-requests; escape
    leaves with nothing written."""
    lab = Lab(sample_lab_path, create=False)
    head = lab.gitops_repo.head()
    app = HostApp(lab)

    async def script(pilot: Pilot) -> None:
        await settle_ui(pilot)  # ready: spec.name focused (and scrolled to)
        screen = pilot.app.screen
        assert isinstance(screen, CreateScreen) and screen.title == "Create vCluster"
        # metadata open, nested sections closed (and not built until opened)
        assert screen.query_one(f"#{section_id('metadata')}", SectionView).collapsed is False
        vcluster = screen.query_one(f"#{section_id('spec.vcluster')}", SectionView)
        assert vcluster.collapsed and not vcluster.filled
        assert "spec.vcluster.preset" not in screen.field_boxes()
        assert screen.query_one(f"#{widget_id('metadata.namespace')}", Input).placeholder == (
            "platform-requests (default)"
        )
        # opening a section by clicking its title builds it: selects for enums and booleans, YAML text areas
        screen.query_one("#create-form").scroll_to_widget(vcluster, animate=False, top=True)
        await pilot.pause()
        await pilot.click(f"#{section_id('spec.vcluster')} CollapsibleTitle")
        await pilot.pause()
        assert not vcluster.collapsed and vcluster.filled
        preset = screen.field_boxes()["spec.vcluster.preset"].input
        assert isinstance(preset, Select) and preset.is_blank()
        assert [str(o[0]) for o in preset._options[1:]] == ["dev", "prod"]
        assert isinstance(screen.field_boxes()["spec.vcluster.helmOverrides"].input, TextArea)
        version = screen.field_boxes()["spec.vcluster.k8sVersion"].input
        assert version.value == "" and version.placeholder == "v1.34.3 (default)"
        label = str(screen.field_boxes()["spec.vcluster.replicas"].query_one(".field-label", Static).render())
        assert label == "replicas  integer\nControl-plane replicas (overrides the preset).\nvalue: 1..5"
        enabled = (await screen.reveal("spec.vcluster.persistence.enabled")).input
        assert isinstance(enabled, Select) and [str(o[0]) for o in enabled._options[1:]] == ["true", "false"]
        # 80×24: the form scrolls; the footer shows the keys
        assert screen.query_one("#create-form").max_scroll_y > 0
        assert {"ctrl+s", "ctrl+r", "escape"} <= shown_keys(pilot.app)

        # the preview: the request as committed, with defaults, and the seven sub-requests with their YAML
        await type_into(pilot, "spec.name", "demo")
        await pilot.press("ctrl+r")
        await settle_ui(pilot)
        objects = screen.query_one("#preview-objects", OptionList)
        labels = [str(objects.get_option_at_index(i).prompt) for i in range(objects.option_count)]
        assert labels[0] == "VClusterOrchestrator/demo  the request, as committed"
        assert labels[1] == "  … as admitted (the schema's defaults applied)"
        assert sorted(label.split()[1].split("/")[0] for label in labels[2:]) == sorted(SUB_KINDS)
        assert str(screen.query_one("#preview-status", Static).render()) == (
            "7 sub-requests rendered by the vcluster-orchestrator pipeline"
        )
        pane = screen.query_one("#preview-yaml", Static)
        assert load_one(yaml_text(pane))["spec"] == {"name": "demo"}
        assert screen.focused is objects
        core = next(i for i, label in enumerate(labels) if "VClusterCore/" in label)
        await pilot.press(*["down"] * core)
        code = yaml_text(pane)
        assert code.startswith("# its pipeline writes: ConfigMap/demo-vcluster-values, Namespace/vcluster-demo\n")
        assert "kind: VClusterCore\n" in code

        # a form with problems previews nothing and lists them
        screen.query_one("#create-tabs").active = "form-tab"
        await type_into(pilot, "spec.name", "Demo!")
        await pilot.press("ctrl+r")
        await settle_ui(pilot)
        status = str(screen.query_one("#preview-status", Static).render())
        assert status.startswith("1 problem in the form; fix them to see what the pipelines render:\n")
        assert 'spec.name: Invalid value: "Demo!"' in status
        assert objects.option_count == 1

        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(pilot.app.screen, CreateScreen)

    try:
        drive(app, script)
        assert app.opened == []
        assert lab.gitops_repo.head() == head
    finally:
        lab.close()


def test_inline_validation_and_nothing_written_on_refusal(sample_lab_path, monkeypatch):
    lab = Lab(sample_lab_path, create=False)
    head = lab.gitops_repo.head()
    app = HostApp(lab)

    async def script(pilot: Pilot) -> None:
        screen = pilot.app.screen
        # a name in use shows at spec.name while typing (metadata.name follows it: issue 17.10)
        await type_into(pilot, "spec.name", "sandbox")
        assert error_text(screen, "spec.name").startswith(
            'metadata.name: VClusterOrchestrator "sandbox" already exists in namespace "platform-requests"'
        )
        await type_into(pilot, "spec.name", "demo")
        assert error_text(screen, "spec.name") == "" and error_text(screen, "metadata.name") == ""
        # conversion errors and the schema engine's own messages, at their fields, on change and blur
        await type_into(pilot, "spec.vcluster.replicas", "x")
        await pilot.press("tab")
        assert error_text(screen, "spec.vcluster.replicas") == "spec.vcluster.replicas: must be an integer, got 'x'"
        assert screen.field_boxes()["spec.vcluster.replicas"].has_class("-invalid")
        await type_into(pilot, "spec.vcluster.helmOverrides", "a: [1\n")
        assert error_text(screen, "spec.vcluster.helmOverrides").startswith(
            "spec.vcluster.helmOverrides:2:1: invalid YAML: did not find expected ',' or ']'"
        )
        # a field of a section not opened yet is not complained about before submit…
        await type_into(pilot, "spec.integrations.argocd.clusterLabels", "team")
        assert "spec.integrations.argocd.workloadRepo.repoURL" not in screen.field_boxes()
        assert error_text(screen, "spec.integrations.argocd.clusterLabels") == (
            "spec.integrations.argocd.clusterLabels: 'team' is not key=value (separate entries with commas)"
        )
        screen.set_values({"spec.integrations.argocd.workloadRepo.path": "apps/"})
        await pilot.press("ctrl+s")
        await settle_ui(pilot)
        # …submit shows every problem, opens its section and focuses the first; nothing is written
        assert isinstance(pilot.app.screen, CreateScreen) and app.opened == []
        assert error_text(screen, "spec.integrations.argocd.workloadRepo.repoURL") == (
            "spec.integrations.argocd.workloadRepo.repoURL: Required value"
        )
        assert not screen.query_one(f"#{section_id('spec.integrations.argocd.workloadRepo')}").collapsed
        assert screen.focused is screen.field_boxes()["spec.vcluster.replicas"].input
        assert len(screen.result.problems) == 4
        assert lab.gitops_repo.head() == head

        # fixed; the lab refusing the commit is shown, the screen stays, nothing is written
        screen.set_values(
            {
                "spec.vcluster.replicas": "",
                "spec.vcluster.helmOverrides": "",
                "spec.integrations.argocd.clusterLabels": "team=sre",
                "spec.integrations.argocd.workloadRepo.path": "",
            }
        )
        assert (await screen.validate()).ok

        def refuse(*args: Any, **kwargs: Any) -> str:
            raise LabError("the gitops repo is locked")

        monkeypatch.setattr(Lab, "submit", refuse)  # the writer's own Lab
        screen.query_one("#create-form").scroll_end(animate=False)
        await pilot.pause()
        await pilot.click("#submit")
        await pilot.pause()
        assert isinstance(pilot.app.screen, CreateScreen)
        assert str(screen.query_one("#form-problems", Static).render()) == "LabError: the gitops repo is locked"

    try:
        drive(app, script)
        assert app.opened == []
        assert lab.gitops_repo.head() == head
        assert lab.gitops_repo.read_files(DEMO) == {}
        assert lab.get("VClusterOrchestrator", "demo", "platform-requests") is None
    finally:
        lab.close()


def test_read_only_and_an_unknown_promise_are_refused(sample_lab_path):
    lab = Lab(sample_lab_path, create=False)
    app = HostApp(lab, read_only=True)

    async def script(pilot: Pilot) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, CreateScreen) and not screen.query(FieldBox)
        assert str(screen.query_one("#read-only", Static).render()).startswith(
            "Read-only mode: creating requests is disabled"
        )
        assert not {"ctrl+s", "ctrl+r"} & shown_keys(pilot.app)
        await pilot.press("ctrl+s", "escape")
        assert not isinstance(pilot.app.screen, CreateScreen)
        pilot.app.read_only = False
        await pilot.app.push_screen(CreateScreen(promise="no-such-promise"))
        await pilot.pause()
        assert str(pilot.app.screen.query_one("#read-only", Static).render()) == (
            "The lab has no Promise named 'no-such-promise': there is nothing to request. Escape goes back."
        )

    try:
        drive(app, script)
        assert app.opened == []
    finally:
        lab.close()


# ---- end to end in the dashboard -----------------------------------------------------------------


def test_create_valid_in_the_dashboard(make_app, sample_lab_path):
    """`c`, fill the form with keys and clicks, submit: committed, the detail screen follows it, and
    once the lab settles the new vCluster is Healthy in the dashboard."""
    from tui.screens.dashboard import DashboardScreen
    from tui.screens.request_detail import RequestDetailScreen

    app = make_app(refresh_every=0)  # the screens refresh after each step; no timer needed
    with Lab(sample_lab_path, create=False) as lab:
        head = lab.gitops_repo.head()

    async def script(pilot: Pilot) -> None:
        await pilot.press("c")
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, CreateScreen)
        await settle_ui(pilot)
        # typing starts in spec.name (it used to start nowhere: keys typed at once were lost)
        assert pilot.app.focused is screen.field_boxes()["spec.name"].input
        await pilot.press(*"cool")  # a `c` typed into the form stays in the form
        assert screen.field_boxes()["spec.name"].value == "cool"
        await type_into(pilot, "spec.vcluster.replicas", "2")
        preset = screen.field_boxes()["spec.vcluster.preset"].input
        preset.focus()
        await pilot.press("enter", "down", "down", "enter")  # open the select, past "dev (default)" and dev
        assert preset.value == "prod"
        await type_into(pilot, "spec.integrations.argocd.clusterLabels", "team=sre")
        assert not [b for b in screen.field_boxes().values() if b.problems]
        await pilot.press("ctrl+s")
        await settle_ui(pilot)

        detail = pilot.app.screen
        assert isinstance(detail, RequestDetailScreen)
        assert (detail.ref.kind, detail.ref.name, detail.ref.namespace) == (
            "VClusterOrchestrator",
            "cool",
            "platform-requests",
        )
        with Lab(sample_lab_path, create=False) as lab:
            committed = lab.gitops_repo.read_files("platform/vclusters/cool.yaml")["platform/vclusters/cool.yaml"]
            new_head = lab.gitops_repo.head()
        assert load_one(committed.decode()) == {
            "apiVersion": "platform.integratn.tech/v1alpha1",
            "kind": "VClusterOrchestrator",
            "metadata": {"name": "cool", "namespace": "platform-requests"},
            "spec": {
                "name": "cool",
                "vcluster": {"preset": "prod", "replicas": 2},
                "integrations": {"argocd": {"clusterLabels": {"team": "sre"}}},
            },
        }
        assert new_head != head
        assert "is not in the cluster" in screen_text(app)  # committed, not yet synced by Argo CD
        await pilot.press("n")  # one lab step: Argo CD applies it, Kratix starts its pipeline
        await settle_ui(pilot)
        assert "is not in the cluster" not in screen_text(app)

        with Lab(sample_lab_path, create=False) as lab:
            assert lab.settle().quiescent
        await pilot.press("escape")
        await settle_ui(pilot)
        assert isinstance(pilot.app.screen, DashboardScreen)
        pilot.app.refresh_screen()
        await settle_ui(pilot)
        table = pilot.app.screen.table
        row = next(
            [str(c) for c in table.get_row_at(i)]
            for i in range(table.row_count)
            if str(table.get_row_at(i)[0]) == "cool"
        )
        assert row[1:5] == ["prod", "v1.34.3", "pod", "✔ Healthy"]

    drive(app, script)
    with Lab(sample_lab_path, create=False) as lab:
        status = {row.name: row for row in fleet(LabSource(lab))}
    assert status["cool"].health == "Healthy", status["cool"].message


def test_create_invalid_in_the_dashboard_writes_nothing(make_app, sample_lab_path):
    from tui.screens.dashboard import DashboardScreen

    app = make_app(refresh_every=0)  # the screens refresh after each step; no timer needed
    with Lab(sample_lab_path, create=False) as lab:
        head = lab.gitops_repo.head()

    async def script(pilot: Pilot) -> None:
        await pilot.press("c")
        await pilot.pause()
        screen = pilot.app.screen
        await type_into(pilot, "spec.name", "demo")
        await type_into(pilot, "spec.vcluster.replicas", "9")
        await pilot.press("ctrl+s")
        await settle_ui(pilot)
        assert pilot.app.screen is screen
        assert error_text(screen, "spec.vcluster.replicas") == (
            "spec.vcluster.replicas: Invalid value: 9: spec.vcluster.replicas in body should be less than or equal to 5"
        )
        assert "less than or equal to 5" in screen_text(app)  # on screen, at the field
        await pilot.press("escape")
        await settle_ui(pilot)
        assert isinstance(pilot.app.screen, DashboardScreen)
        names = [str(pilot.app.screen.table.get_row_at(i)[0]) for i in range(pilot.app.screen.table.row_count)]
        assert names == ["media", "sandbox"]

    drive(app, script)
    with Lab(sample_lab_path, create=False) as lab:
        assert lab.gitops_repo.head() == head
        assert lab.gitops_repo.read_files(DEMO) == {}
        assert lab.get("VClusterOrchestrator", "demo", "platform-requests") is None


def test_read_only_dashboard_cannot_open_create(make_app):
    from tui.screens.dashboard import DashboardScreen

    app = make_app(read_only=True)

    async def script(pilot: Pilot) -> None:
        assert "c" not in shown_keys(pilot.app)
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(pilot.app.screen, DashboardScreen)

    drive(app, script)


def test_the_form_validates_and_submits_in_the_workers_never_on_the_ui_thread(make_app, sample_lab_path, monkeypatch):
    """Issue 10: the create form works through Source + Actions on the dashboard's workers — at every keystroke
    the UI thread neither runs ``forms.validate`` nor opens the lab's SQLite store (it holds no Lab at all)."""
    import sqlite3
    import threading

    calls: list[tuple[str, bool]] = []
    validate, connect = forms.validate, sqlite3.connect

    def recording_validate(*args: Any, **kwargs: Any) -> Any:
        calls.append(("validate", threading.current_thread() is threading.main_thread()))
        return validate(*args, **kwargs)

    def recording_connect(*args: Any, **kwargs: Any) -> Any:
        calls.append(("sqlite", threading.current_thread() is threading.main_thread()))
        return connect(*args, **kwargs)

    monkeypatch.setattr(forms, "validate", recording_validate)
    monkeypatch.setattr(sqlite3, "connect", recording_connect)
    app = make_app(refresh_every=0)

    async def script(pilot: Pilot) -> None:
        await pilot.press("c")
        await settle_ui(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, CreateScreen)
        await type_into(pilot, "spec.name", "sandbox")  # a name in use: the platform's answer, from the reader
        assert error_text(screen, "spec.name").startswith('metadata.name: VClusterOrchestrator "sandbox" already')
        await type_into(pilot, "spec.name", "fresh")
        assert error_text(screen, "spec.name") == ""
        await pilot.press("ctrl+s")
        await settle_ui(pilot)
        assert not isinstance(pilot.app.screen, CreateScreen)  # committed (on the writer): the detail follows

    drive(app, script)
    assert ("validate", False) in calls and ("sqlite", False) in calls  # the workers did the work…
    assert ("validate", True) not in calls and ("sqlite", True) not in calls, calls  # …the UI thread none of it
    with Lab(sample_lab_path, create=False) as lab:
        assert "platform/vclusters/fresh.yaml" in lab.gitops_repo.read_files("platform/vclusters/fresh.yaml")
