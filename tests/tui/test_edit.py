"""`e` edits a request (issue 17.7): the create form prefilled from the request's file in the gitops repo,
validated the same way, a diff of the file before anything is written, committed through ``Lab.submit``.
The OOM fix — raise vcluster.resources.limits.memory — from the failing vCluster's detail."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input

from kratix_lab import Lab
from kratix_lab.model import load_documents
from tests.tui.tui_helpers import drive, screen_text, settle_ui
from tui.screens.confirm_edit import ConfirmEditScreen
from tui.screens.create import CreateScreen
from tui.screens.dashboard import DashboardScreen
from tui.screens.request_detail import RequestDetailScreen

MEDIA = "platform/vclusters/media.yaml"
MEMORY = "spec.vcluster.resources.limits.memory"


def in_git(path) -> dict:
    with Lab(path, create=False) as lab:
        content = lab.gitops_repo.read_files(MEDIA)[MEDIA].decode()
    return load_documents(content, MEDIA)[0].data


def test_the_oom_fix_through_e_from_the_failing_vclusters_detail(make_app, sample_lab_path):
    with Lab(sample_lab_path, create=False) as lab:
        lab.faults.inject("workload-oomkilled", namespace="vcluster-media", name="media-0")
        lab.settle()
        head = lab.gitops_repo.head()
        text_before = lab.gitops_repo.read_files(MEDIA)[MEDIA].decode()
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("enter")  # media: Degraded, first
        await settle_ui(pilot)
        detail = app.screen
        assert isinstance(detail, RequestDetailScreen) and detail.ref.name == "media"
        assert "pod-oomkilled" in [f.id for f in detail.snapshot.diagnosis.findings]
        await pilot.press("e")
        await settle_ui(pilot)
        form = app.screen
        assert isinstance(form, CreateScreen) and form.edit == "media"
        assert "Edit VClusterOrchestrator media" in screen_text(app)
        # prefilled from git, the name fixed, and the cursor in the field the fix names — on screen
        values = form.values()
        assert values["spec.name"] == "media" and values["spec.vcluster.preset"] == "prod"
        assert values["spec.integrations.argocd.clusterLabels"] == "team=platform"
        assert form.field_boxes()["metadata.name"].input.disabled
        memory = form.field_boxes()[MEMORY].input
        assert isinstance(memory, Input) and app.focused is memory
        form_area = form.query_one("#create-form").content_region
        for _ in range(30):  # the layout of the sections just built takes a few refreshes (more on a busy machine)
            if form_area.contains_region(memory.region):
                break
            await pilot.pause()
        assert form_area.contains_region(memory.region), "the focused field is on screen (issue 17.10)"
        # validated the same way as a new request: a bad quantity is refused at the field, nothing is written
        await pilot.press(*"lots")
        await pilot.press("ctrl+s")
        await settle_ui(pilot)
        assert isinstance(app.screen, CreateScreen) and form.field_boxes()[MEMORY].problems
        assert "↳ a number, then optionally a unit" in form.field_boxes()[MEMORY].problems[0]
        memory.value = "8Gi"  # the prod preset's limit is 4Gi
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle_ui(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmEditScreen)
        assert "+    resources:\n+      limits:\n+        memory: 8Gi\n" in confirm.diff
        assert f"--- a/{MEDIA}" in confirm.diff and "git diff" in screen_text(app)
        with Lab(sample_lab_path, create=False) as lab:
            assert lab.gitops_repo.head() == head, "nothing is written before the diff is confirmed"
        await pilot.press("y")
        await settle_ui(pilot)
        assert app.screen is detail, "back to the detail, which follows the new commit"
        request = in_git(sample_lab_path)
        assert request["spec"]["vcluster"]["resources"]["limits"]["memory"] == "8Gi"
        assert request["spec"]["exposure"]["hostname"] == "media.integratn.tech"  # the rest as it was
        with Lab(sample_lab_path, create=False) as lab:
            commit = lab.gitops_repo.show(lab.gitops_repo.head())
            assert commit.message.startswith("Update VClusterOrchestrator media") and MEDIA in commit.files
            text_after = lab.gitops_repo.read_files(MEDIA)[MEDIA].decode()
            # the file's heading comment stays; the namespace the form fills in is not added
            assert text_after.splitlines()[0] == text_before.splitlines()[0] and "namespace:" not in text_after
            lab.settle()  # Argo CD applies it; the orchestrator renders the new limit down to the StatefulSet
            sts = lab.get("StatefulSet", "media", "vcluster-media")
            limits = [c.get("resources", {}).get("limits", {}) for c in sts["spec"]["template"]["spec"]["containers"]]
            assert {"memory": "8Gi"}.items() <= limits[0].items(), limits

    drive(app, script)


def test_edit_without_a_change_or_cancelled_writes_nothing(make_app, sample_lab_path):
    with Lab(sample_lab_path, create=False) as lab:
        head = lab.gitops_repo.head()
    app = make_app()

    async def script(pilot: Pilot) -> None:
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("down", "e")  # sandbox, from the dashboard
        await settle_ui(pilot)
        form = app.screen
        assert isinstance(form, CreateScreen) and form.edit == "sandbox"
        await pilot.press("ctrl+s")  # unchanged: nothing to commit
        await settle_ui(pilot)
        assert isinstance(app.screen, CreateScreen)
        assert any("no change" in n.message for n in app._notifications)
        form.set_values({"spec.vcluster.replicas": "2"})
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle_ui(pilot)
        assert isinstance(app.screen, ConfirmEditScreen)
        await pilot.press("n")  # cancelled: back in the form, nothing written
        await settle_ui(pilot)
        assert isinstance(app.screen, CreateScreen)
        await pilot.press("escape")
        await settle_ui(pilot)
        assert isinstance(app.screen, DashboardScreen)

    drive(app, script)
    with Lab(sample_lab_path, create=False) as lab:
        assert lab.gitops_repo.head() == head


def test_read_only_cannot_edit(make_app):
    app = make_app(read_only=True)

    async def script(pilot: Pilot) -> None:
        await pilot.press("e")
        await settle_ui(pilot)
        assert isinstance(app.screen, DashboardScreen)

    drive(app, script)
