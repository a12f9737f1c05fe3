"""The dashboard in live mode (issue 14) at 80×24, against ``kratix-lab serve``: the same fleet rows as the lab
dashboard shows for the same lab, a detail through the API, pages and `:` kinds, the header naming the cluster
(no lab clock, no clock keys), read-only unless ``--write`` — and with it, reconcile as the CLI does it (one merge
patch), through the same ``Actions``."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from textual.pilot import Pilot

from kratix_lab.platform.lab import STATE_URL
from kratix_lab.sources.factory import PlatformSettings
from tests.live.conftest import live_source, served
from tests.tui.tui_helpers import drive, screen_text, settle_ui
from tui.app import KratixLabApp
from tui.jobs import ObjectRef
from tui.screens.dashboard import DashboardScreen
from tui.screens.kind_prompt import KindPromptScreen
from tui.screens.object_list import ObjectListScreen
from tui.screens.object_pages import DescribeScreen, LogsScreen, YamlScreen
from tui.screens.request_detail import RequestDetailScreen
from tui.widgets.vcluster_table import VClusterTable

GROUP = "platform.integratn.tech"


def rows(app) -> list[list[str]]:
    table = app.screen.query_one(VClusterTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def shown_keys(app) -> set[str]:
    return {key for key, b in app.active_bindings.items() if b.binding.show and b.enabled}


def settings(run, lab_dir: Path, cache: Path, **kw) -> PlatformSettings:
    return PlatformSettings(
        kubeconfig=str(run.kubeconfig), repos=((STATE_URL, str(lab_dir / "state.git")),), cache_dir=str(cache), **kw
    )


def live_app(run, lab_dir: Path, cache: Path, **kw) -> KratixLabApp:
    """The dashboard on the served lab; ``app.said`` records every notification (toasts expire while a slow
    machine is still settling)."""
    write = kw.pop("write", False)
    app = KratixLabApp(settings(run, lab_dir, cache, write=write), play=False, workers="thread", refresh_every=0, **kw)
    app.animation_level = "none"
    app.said = []
    notify = app.notify

    def recorded(message, *args, **kwargs):
        app.said.append(message)
        return notify(message, *args, **kwargs)

    app.notify = recorded
    return app


@pytest.fixture
def lab_rows(make_app):
    """The lab dashboard's rows for the sample lab (read before it is served)."""
    app = make_app()
    seen: list[list[str]] = []

    async def script(pilot: Pilot) -> None:
        seen.extend(rows(app))

    drive(app, script)
    return seen


def test_the_live_fleet_equals_the_lab_fleet_and_a_detail_opens(sample_lab_path, tmp_path, lab_rows):
    with served(sample_lab_path, tmp_path / "kubeconfig") as run:
        app = live_app(run, sample_lab_path, tmp_path / "cache")

        async def script(pilot: Pilot) -> None:
            await settle_ui(pilot)
            assert isinstance(app.screen, DashboardScreen)
            assert rows(app) == lab_rows and len(lab_rows) == 2
            text = screen_text(app)
            header = text.splitlines()[0]
            # the header names the cluster (context and server) instead of the lab clock
            assert " read-only " in header and f"({run.url})"[:40] in header, header
            assert "paused" not in header and "playing" not in header and "2026-" not in header
            assert not {"p", "n"} & shown_keys(app)  # no clock keys in live mode
            assert not app.allows("toggle_clock") and not app.allows("step_clock")
            await pilot.press("enter")  # media, the first row
            await settle_ui(pilot)
            detail = app.screen
            assert isinstance(detail, RequestDetailScreen) and detail.ref.name == "media"
            assert detail.snapshot.diagnosis.ref == "VClusterOrchestrator/platform-requests/media"
            assert detail.snapshot.diagnosis.healthy, detail.snapshot.diagnosis.verdict
            assert "VClusterCore" in screen_text(app)  # the road, read through the API

        drive(app, script)
        app.close_workers(wait=True)


def test_live_pages_and_kinds_through_the_api(sample_lab_path, tmp_path):
    from kratix_lab.platform.lab import Lab
    from kratix_lab.sources.lab import LabSource
    from kratix_lab.sources.shape import SourceShape
    from kratix_lab.views import lab_view as lv

    with Lab(sample_lab_path, create=False) as lab:
        lab_obj = lab.get("VClusterOrchestrator", "media", "platform-requests")
        lab_describe = lv.describe_text(SourceShape(LabSource(lab)), lab_obj)
    ref = ObjectRef("VClusterOrchestrator", "media", "platform-requests")
    with served(sample_lab_path, tmp_path / "kubeconfig") as run:
        app = live_app(run, sample_lab_path, tmp_path / "cache")

        async def script(pilot: Pilot) -> None:
            await settle_ui(pilot)
            app.show_describe(ref)
            await settle_ui(pilot)
            page = app.screen
            assert isinstance(page, DescribeScreen) and page.error is None
            assert page.text.splitlines()[:3] == lab_describe.splitlines()[:3]  # the lab's describe, through the API
            await pilot.press("escape")
            app.show_yaml(ref)
            await settle_ui(pilot)
            assert isinstance(app.screen, YamlScreen) and "kind: VClusterOrchestrator" in app.screen.text
            await pilot.press("escape")
            app.show_logs(ref)  # the request's pipeline pods' logs
            await settle_ui(pilot)
            assert isinstance(app.screen, LogsScreen) and app.screen.error is None and app.screen.text
            await pilot.press("escape")
            await pilot.press("colon")
            await settle_ui(pilot)
            prompt = app.screen
            assert isinstance(prompt, KindPromptScreen) and {"VClusterOrchestrator", "Pod"} <= set(prompt.kinds)
            await pilot.press(*"vco", "enter")
            await settle_ui(pilot)
            listing = app.screen
            assert isinstance(listing, ObjectListScreen)
            assert listing.data is not None and {"media", "sandbox"} <= {r.name for r in listing.data.refs}
            assert listing.kind.kind == "VClusterOrchestrator" and listing.is_request_kind

        drive(app, script)
        app.close_workers(wait=True)


def test_a_read_only_live_dashboard_hides_and_refuses_actions_with_the_reason(sample_lab_path, tmp_path):
    with served(sample_lab_path, tmp_path / "kubeconfig") as run:
        app = live_app(run, sample_lab_path, tmp_path / "cache")
        src = live_source(run.kubeconfig, sample_lab_path, tmp_path / "cache")

        async def script(pilot: Pilot) -> None:
            await settle_ui(pilot)
            assert app.read_only and app.writer is None
            assert not {"c", "r", "ctrl+d", "e"} & shown_keys(app)
            await pilot.press("enter")
            await settle_ui(pilot)
            assert isinstance(app.screen, RequestDetailScreen)
            assert not {"r", "ctrl+d", "e"} & shown_keys(app)
            titles = [c.title for c in app.get_system_commands(app.screen)]
            assert not [t for t in titles if t.startswith(("Reconcile", "Delete", "Edit", "Create"))], titles
            # asked anyway (a key bound elsewhere, a script): refused with the reason, nothing sent
            app.reconcile(ref := app.screen.ref)
            app.delete(ref)
            await settle_ui(pilot)
            messages = app.said
            reason = "read-only: live mode changes nothing on the cluster unless the dashboard is started with --write"
            assert messages.count(reason) == 2, messages

        drive(app, script)
        app.close_workers(wait=True)
        obj = src.get("VClusterOrchestrator", "media", "platform-requests", GROUP)
        assert "kratix.io/manual-reconciliation" not in (obj["metadata"].get("labels") or {})


def test_write_reconcile_labels_the_request_in_the_served_lab(sample_lab_path, tmp_path):
    with served(sample_lab_path, tmp_path / "kubeconfig") as run:
        app = live_app(run, sample_lab_path, tmp_path / "cache", write=True)
        src = live_source(run.kubeconfig, sample_lab_path, tmp_path / "cache")

        async def script(pilot: Pilot) -> None:
            await settle_ui(pilot)
            header = screen_text(app).splitlines()[0]
            assert " live: writes allowed " in header and not app.read_only
            assert {"r", "ctrl+d"} <= shown_keys(app) and not {"p", "n"} & shown_keys(app)
            await pilot.press("down", "r")  # sandbox
            await settle_ui(pilot)
            messages = app.said
            assert (
                "vclusterorchestrator/sandbox labelled kratix.io/manual-reconciliation=true; "
                "Kratix re-runs its workflows" in messages
            ), messages

        drive(app, script)
        app.close_workers(wait=True)
        obj = src.get("VClusterOrchestrator", "sandbox", "platform-requests", GROUP)
        assert obj["metadata"]["labels"]["kratix.io/manual-reconciliation"] == "true"
        assert obj["metadata"]["labels"]["kratix.io/promise-name"] == "vcluster-orchestrator", "a merge patch"


def test_tui_live_flags_and_their_errors(tmp_path, capsys):
    """``kratix-lab tui --kubeconfig``: the same flags as the other live commands; a bad kubeconfig, a context
    not in it, --write without live mode, both --lab and --kubeconfig: one line, exit 2."""
    from kratix_lab.cli import main as cli_main
    from tui.app import main

    missing = tmp_path / "nope.yaml"
    assert cli_main(["tui", "--kubeconfig", str(missing)]) == 2
    assert (
        capsys.readouterr().err
        == f"error: kubeconfig {missing}: no such file (give --kubeconfig FILE, or set KUBECONFIG)\n"
    )
    assert cli_main(["tui", "--lab", str(tmp_path), "--kubeconfig", str(missing)]) == 2
    assert (
        "give --lab DIR (the embedded lab) or --context/--kubeconfig (a cluster), not both" in capsys.readouterr().err
    )
    assert cli_main(["tui", "--lab", str(tmp_path), "--write"]) == 2
    assert "--write is for live mode" in capsys.readouterr().err
    assert main(argparse.Namespace(lab=None, kubeconfig=str(missing), context="x", request_timeout=0.0)) == 2
    assert "--request-timeout must be a positive number of seconds, got 0" in capsys.readouterr().err


def test_write_delete_and_create_commit_to_the_gitops_repo(sample_lab_path, tmp_path, monkeypatch):
    """``--write``: ctrl+d shows what will be removed, then removes the request's file from the gitops repo the
    requests come from (found from Argo CD's tracking annotation — not the state repo the sub-requests come from);
    the create form validates against the cluster and commits through the same GitOps code as ``submit``."""
    import subprocess

    from kratix_lab.model import load_one
    from kratix_lab.platform.lab import GITOPS_URL
    from tests.tui.test_create import type_into
    from tui.screens.confirm_delete import ConfirmDeleteScreen
    from tui.screens.create import CreateScreen

    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "Site Reliability")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "sre@example.com")
    remote = tmp_path / "gitops.git"  # a stand-in for the platform's gitops repo: the lab's, as a bare repo
    subprocess.run(["git", "clone", "-q", "--bare", str(sample_lab_path / "gitops"), str(remote)], check=True)

    def files() -> list[str]:
        out = subprocess.run(
            ["git", "ls-tree", "-r", "--name-only", "main"], cwd=remote, capture_output=True, text=True
        )
        return out.stdout.split()

    with served(sample_lab_path, tmp_path / "kubeconfig") as run:
        app = KratixLabApp(
            PlatformSettings(
                kubeconfig=str(run.kubeconfig),
                repos=((STATE_URL, str(sample_lab_path / "state.git")), (GITOPS_URL, str(remote))),
                cache_dir=str(tmp_path / "cache"),
                write=True,
            ),
            play=False,
            workers="thread",
            refresh_every=0,
        )
        app.animation_level = "none"

        async def script(pilot: Pilot) -> None:
            await settle_ui(pilot)
            await pilot.press("down", "ctrl+d")  # sandbox
            await settle_ui(pilot)
            dialog = app.screen
            assert isinstance(dialog, ConfirmDeleteScreen), screen_text(app)
            assert dialog.plan.how.startswith(f"removes platform/vclusters/sandbox.yaml from the gitops repo {remote}")
            assert "VClusterCore/platform-requests/sandbox" in dialog.plan.items()
            await pilot.press("y")
            await settle_ui(pilot)
            app.writer.flush()
            assert "platform/vclusters/sandbox.yaml" not in files()

            await pilot.press("c")
            await settle_ui(pilot)
            form = app.screen
            assert isinstance(form, CreateScreen) and form.model is not None
            await type_into(pilot, "spec.name", "media")  # on the cluster already: refused at the field
            assert 'VClusterOrchestrator "media" already exists' in "\n".join(form.field_boxes()["spec.name"].problems)
            await type_into(pilot, "spec.name", "fresh")
            assert not form.field_boxes()["spec.name"].problems
            await pilot.press("ctrl+s")
            await settle_ui(pilot)
            assert not isinstance(app.screen, CreateScreen)
            assert "platform/vclusters/fresh.yaml" in files()

        drive(app, script)
        app.close_workers(wait=True)
    shown = subprocess.run(
        ["git", "show", "main:platform/vclusters/fresh.yaml"], cwd=remote, capture_output=True, text=True, check=True
    )
    assert load_one(shown.stdout)["spec"] == {"name": "fresh"}
