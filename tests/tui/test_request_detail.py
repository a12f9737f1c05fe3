"""A request's detail: the verdict, the trace tree, and the side pane's tabs for the selected node."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import TabbedContent

from kratix_lab import Lab
from tests.tui.tui_helpers import assert_snapshot, drive, screen_text, settle_ui, stable
from tui.screens.dashboard import DashboardScreen
from tui.screens.request_detail import RequestDetailScreen
from tui.widgets.trace_tree import TraceTree


async def open_media(pilot: Pilot) -> RequestDetailScreen:
    await pilot.press("enter")
    await settle_ui(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RequestDetailScreen)
    return screen


async def move_to(pilot: Pilot, kind: str, name_part: str = "") -> None:
    """Put the tree's cursor on the first shown node of ``kind`` (as clicking it would)."""
    tree = pilot.app.screen.query_one(TraceTree)
    for line in tree._tree_lines:
        entry = line.node.data
        if entry is not None and entry.node.kind == kind and name_part in entry.node.name:
            tree.move_cursor(line.node)
            await settle_ui(pilot)
            return
    raise AssertionError(f"no {kind} {name_part} in the shown tree")


def pane(screen: RequestDetailScreen, tab: str) -> str:
    return screen.details.texts[tab]


def test_a_detail_left_as_the_app_closes_is_not_blanked(make_app):
    """The kept detail is blanked a moment after it is left (``_blank_when_left``, a timer): when the app closes
    meanwhile its widgets are being removed, and the timer, due then, leaves it alone (it raised NoMatches once in CI,
    on a loaded machine, as the test that left it ended)."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = await open_media(pilot)
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen) and screen.kept
        await screen.details.query_one("#node-title").remove()  # as the app's closing removes the screen's widgets
        screen._blank_when_left()
        assert not screen._blank

    drive(app, script)


def test_enter_opens_the_trace_with_the_verdict_on_top(make_app):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = await open_media(pilot)
        lines = screen_text(app).splitlines()
        assert lines[1].strip().startswith("healthy: VClusterOrchestrator/platform-requests/media is Healthy")
        tree = screen.query_one(TraceTree)
        assert tree.selected.node.ref == "VClusterOrchestrator/platform-requests/media"
        # the road down to the sub-requests is open; the sub-requests themselves are not
        shown = [str(line.node.label) for line in tree._tree_lines]
        assert any("delivered @" in s for s in shown) and any("VClusterCore media" in s for s in shown)
        assert not any("Namespace vcluster-media" in s for s in shown)
        # the root's YAML, status and findings
        assert "kind: VClusterOrchestrator" in pane(screen, "tab-yaml")
        status = pane(screen, "tab-status")
        assert "health:  Healthy" in status and "Reconciled" in status and "conditions:" in status
        assert "no findings" in pane(screen, "tab-findings")
        assert_snapshot("request_detail", stable(screen_text(app)))
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)

    drive(app, script)


def test_moving_in_the_tree_shows_logs_repo_files_and_the_commit_diff(make_app):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = await open_media(pilot)
        tabs = screen.query_one(TabbedContent)
        await pilot.press("down")  # the orchestrator's pipeline run, right under the request
        await settle_ui(pilot)
        assert screen.query_one(TraceTree).selected.node.kind == "Job"
        assert "Healthy pipeline run: Job" in screen_text(app)  # the pane's title
        await pilot.press("3")
        assert tabs.active == "tab-logs"
        logs = pane(screen, "tab-logs")
        assert logs.strip() and "no logs" not in logs
        await move_to(pilot, "Work")  # the folded delivery chain: enter shows it whole (issue 17.4)
        await pilot.press("enter")
        await settle_ui(pilot)
        await move_to(pilot, "Commit")
        await pilot.press("4")
        assert tabs.active == "tab-repo"
        repo = pane(screen, "tab-repo")
        sha = screen.query_one(TraceTree).selected.node.evidence["sha"]
        assert f"commit {sha}" in repo and "Update from:" in repo
        assert "diff --git a/clusters/the-cluster/resources/platform-requests/vcluster-orchestrator/media/" in repo
        assert "+kind: VClusterCore" in repo  # the sub-requests the orchestrator wrote
        await pilot.press("1")
        assert "chart" not in pane(screen, "tab-yaml") and "sha:" in pane(screen, "tab-yaml")
        # a sub-request further down: its own node, its YAML
        await move_to(pilot, "VClusterCore")
        assert "kind: VClusterCore" in pane(screen, "tab-yaml")
        # a live object's repo tab names the file it came from
        await pilot.press("plus")  # expand everything (e edits the request)
        await move_to(pilot, "Namespace", "vcluster-media")
        await pilot.press("4")
        assert "vcluster-core" in pane(screen, "tab-repo") and "kind: Namespace" in pane(screen, "tab-repo")

    drive(app, script)


def test_the_detail_updates_as_the_request_progresses(make_app, sample_lab_path):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = await open_media(pilot)
        with Lab(sample_lab_path, create=False) as other:
            other.faults.inject("workload-crashloop", namespace="vcluster-media", name="media")
            other.run_for(120)
        await screen.load()
        await settle_ui(pilot)
        assert "stuck at pod" in screen_text(app)
        tree = screen.query_one(TraceTree)
        crashing = [
            line.node
            for line in tree._tree_lines
            if "CrashLoopBackOff" in str(line.node.label) or "Degraded" in str(line.node.label)
        ]
        assert crashing, "the way to the crashing pod is opened"
        assert tree.selected.node.ref == "VClusterOrchestrator/platform-requests/media"  # the cursor stayed

    drive(app, script)


def test_z_zooms_the_side_pane_then_the_tree_then_neither(make_app):
    """Issue 17 item 11: `z` zooms the tree too (a deep trace's names uncut at 80 columns)."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = await open_media(pilot)
        tree = screen.query_one(TraceTree)
        await pilot.press("z")
        assert screen.maximized is screen.details
        await pilot.press("z")
        await settle_ui(pilot)
        assert screen.maximized is tree and "VClusterOrchestrator media" in screen_text(app)
        await pilot.press("z")
        assert screen.maximized is None

    drive(app, script)


def test_the_trace_is_compact_rolls_up_and_opens_on_the_failing_node(make_app, sample_lab_path):
    """Issue 17.4: a healthy Work → WorkPlacement → commit → Argo CD chain is one line that enter or space
    unfolds; the root is Degraded when a pod below it is; the cursor starts on the failing pod."""
    with Lab(sample_lab_path, create=False) as lab:
        lab.faults.inject("workload-oomkilled", namespace="vcluster-media", name="media-0")
        lab.settle()
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = await open_media(pilot)  # media is first: Degraded
        tree = screen.query_one(TraceTree)
        assert screen.ref.name == "media"
        assert tree.selected.node.ref == "Pod/vcluster-media/media-0", tree.selected.node.ref
        labels = [str(line.node.label) for line in tree._tree_lines]
        assert labels[0].startswith("✖ VClusterOrchestrator media  Degraded below")
        assert any(label.startswith("✔ delivered @") for label in labels)
        assert not any("WorkPlacement" in label or "Commit" in label for label in labels)
        assert any(label.startswith("✖ Pod media-0  Degraded") for label in labels)
        assert "✖ Pod media-0" in screen_text(app)  # on screen at 80×24
        # enter on the orchestrator's folded chain: the Work, its WorkPlacement, the commit and the sync
        await move_to(pilot, "Work", "vcluster-orchestrator-media")
        await pilot.press("enter")
        await settle_ui(pilot)
        labels = [str(line.node.label) for line in tree._tree_lines]
        assert any(label.startswith("✔ Work vcluster-orchestrator-media") for label in labels)
        assert any(label.startswith("✔ WorkPlacement ") for label in labels)
        assert any(label.startswith("✔ Commit ") for label in labels)
        assert tree.selected.node.kind == "Work" and "tab-yaml" in screen.details.texts
        # space does the same on another folded chain (VClusterCore's, once its request is open)
        await move_to(pilot, "VClusterCore")
        await pilot.press("space")
        await settle_ui(pilot)
        await move_to(pilot, "Work", "vcluster-core-media")
        assert tree.selected.node.evidence.get("chain")
        await pilot.press("space")
        await settle_ui(pilot)
        await move_to(pilot, "WorkPlacement", "vcluster-core-media")

    drive(app, script)


def test_pods_and_statefulsets_keep_their_names_at_80_columns(make_app, sample_lab_path):
    """Issue 17.4: in the compact tree at 80×24 the failing pods' and their StatefulSets' names are whole; `z` `z`
    (the tree full screen) shows every name whole."""
    with Lab(sample_lab_path, create=False) as lab:
        lab.faults.inject("workload-oomkilled", namespace="vcluster-media")
        lab.settle()
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = await open_media(pilot)
        text = screen_text(app)
        assert "Findings ⚠" in text  # the side pane keeps its tabs whole
        for name in ("StatefulSet media ", "Pod media-0", "Pod media-2"):
            assert name in text, f"{name!r} cut:\n{text}"
        await move_to(pilot, "Pod", "media-etcd-2")  # below the first screen (the verdict keeps its fix whole)
        await settle_ui(pilot)
        text = screen_text(app)
        for name in ("StatefulSet media-etcd", "Pod media-etcd-2"):
            assert name in text, f"{name!r} cut:\n{text}"
        await pilot.press("z", "z")
        await settle_ui(pilot)
        assert screen.maximized is screen.tree
        assert screen.tree.size.width >= 76, "the zoomed tree takes the whole width (inside its border)"
        pods = [n.name for n, _ in screen.snapshot.diagnosis.trace.walk() if n.kind == "Pod"]
        shown = screen_text(app)
        assert [p for p in pods if f"Pod {p}" not in shown and "coredns" not in p] == []
        coredns = next(p for p in pods if "coredns" in p)
        assert f"Pod {coredns}" in shown, shown

    drive(app, script)
