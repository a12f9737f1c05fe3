"""The compact trace (issue 17.4): one line per resource, a healthy Work → WorkPlacement → commit → Argo CD chain
folded into "delivered @<sha>, synced", pods and StatefulSets named whole at 80 columns, a request's health rolled
up from below it; `trace -o wide` shows every node."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from kratix_lab.cli import main
from kratix_lab.diagnose import diagnose
from kratix_lab.platform.lab import Lab
from kratix_lab.sources.lab import LabSource
from kratix_lab.trace import TraceNode
from kratix_lab.views import trace_view as tv
from tests.helpers import SAMPLES


@pytest.fixture(scope="module")
def oom_lab(tmp_path_factory) -> Path:
    """media settled, then every vcluster-media workload OOM-killed: pods Degraded under a Healthy orchestrator."""
    path = tmp_path_factory.mktemp("compact") / "lab"
    with Lab(path) as lab:
        lab.submit(SAMPLES / "media.yaml")
        assert lab.settle().quiescent
        lab.faults.inject("workload-oomkilled", namespace="vcluster-media")
        lab.settle()
    return path


def plain(text) -> str:
    console = Console(width=400, file=io.StringIO(), color_system=None, record=True)
    console.print(text)
    return console.export_text()


def test_cli_trace_is_compact_by_default_and_wide_shows_every_node(oom_lab, capsys):
    assert main(["--lab", str(oom_lab), "trace", "vco/media"]) == 0
    compact = capsys.readouterr().out
    assert main(["--lab", str(oom_lab), "trace", "vco/media", "-o", "wide"]) == 0
    wide = capsys.readouterr().out
    lines = compact.splitlines()[1:]  # after the verdict
    # eight requests, seven with a healthy delivery chain (VClusterCoreDNS renders nothing on the host, so its Work
    # places nothing): one line each, none of its four nodes on a line of its own
    assert sum("delivered @" in line and ", synced by kratix-state-reconciler" in line for line in lines) == 7
    assert not any(re.search(r"[─ ] . (WorkPlacement|Commit) ", line) for line in lines)
    assert not any("Application kratix-state-reconciler" in line for line in lines)
    # the root rolls up: the orchestrator itself is Reconciled, its pods are not
    assert lines[0].startswith("✖ VClusterOrchestrator media  Degraded") and "below: Pod media-0" in lines[0]
    assert any("─ ✖ ArgocdApplication media  Degraded" in line for line in lines)  # a sub-request too
    assert any("✔ VClusterCore media" in line for line in lines)  # a healthy sub-request stays Healthy
    # wide: every node, refs with namespaces, the chain's nodes and their evidence
    assert "WorkPlacement/platform-requests/" in wide and "Commit/" in wide and "versionID=" in wide
    assert "Application/argocd/kratix-state-reconciler  [Argo CD sync]" in wide
    assert "Degraded below (Pod/vcluster-media/media-0; the request itself: Healthy)" in wide
    assert len(lines) < len(wide.splitlines()) - 20


def test_at_80_columns_pods_and_statefulsets_keep_their_names(oom_lab):
    with Lab.open_for_reading(oom_lab) as lab:
        d = diagnose(LabSource(lab, read_only=True), "VClusterOrchestrator", "media", None)
        pods = [n.name for n, _ in d.trace.walk() if n.kind == "Pod"]
        sets = [n.name for n, _ in d.trace.walk() if n.kind == "StatefulSet"]
    lines = [line.plain for line in tv.compact_lines(tv.compact(d.trace), now=d.now, width=80)]
    assert all(len(line) <= 80 for line in lines)
    assert len(pods) == 7 and sets == ["media", "media-etcd"]
    for name in pods:
        assert any(f"✖ Pod {name}  " in line or line.endswith(f"✖ Pod {name}") for line in lines), name
    for name in sets:
        assert any(f"◌ StatefulSet {name}  Progressing" in line for line in lines), name
    # one line per resource: the CLI's Text is the same lines
    assert plain(tv.trace_compact(d.trace, now=d.now, width=80)).splitlines() == lines


def node(kind, stage, health="Healthy", children=(), **evidence) -> TraceNode:
    return TraceNode(kind, kind.lower(), "ns", stage, health, f"{kind} says {health}", 0, evidence, list(children))


def chain(sync_health="Healthy", objects=()) -> TraceNode:
    app = node("Application", "sync", sync_health, objects)
    return node(
        "Work",
        "work",
        children=[
            node("WorkPlacement", "placement", children=[node("Commit", "commit", children=[app], sha="ab" * 20)])
        ],
    )


def test_only_a_whole_healthy_chain_folds_and_expanded_ones_stay_whole():
    obj = node("ConfigMap", "object")
    folded = tv.compact(node("VClusterCore", "request", children=[chain(objects=[obj])]))
    (line,) = folded.children
    assert tv.is_folded(line) and line.kind == "Work" and line.message == "delivered @abababab, synced by application"
    assert line.children[0].kind == "ConfigMap"
    assert line.evidence["chain"] == [
        "Work/ns/work",
        "WorkPlacement/ns/workplacement",
        "Commit/ns/commit",
        "Application/ns/application",
    ]
    # an OutOfSync application: the chain stays whole, so its failing node has a line of its own
    stuck = tv.compact(node("VClusterCore", "request", children=[chain("Degraded", [obj])]))
    assert not tv.is_folded(stuck.children[0])
    assert [n.kind for n, _ in stuck.walk()] == [
        "VClusterCore",
        "Work",
        "WorkPlacement",
        "Commit",
        "Application",
        "ConfigMap",
    ]
    # two destinations: not one chain
    work = chain()
    work.children.append(work.children[0])
    assert not tv.is_folded(tv.compact(work))
    # expanded on demand (the dashboard's enter)
    assert not tv.is_folded(tv.compact(chain(), expanded={"Work/ns/work"}))


def test_a_request_rolls_up_the_worst_below_it():
    pod = node("Pod", "pod", "Degraded")
    root = node("VClusterOrchestrator", "request", children=[node("VClusterCore", "request", children=[pod])])
    assert tv.rollup(root) == ("Degraded", pod)
    assert tv.rollup(root.children[0]) == ("Degraded", pod)
    assert tv.rollup(pod) == ("Degraded", None)
    healthy = node("VClusterOrchestrator", "request", children=[node("Job", "pipeline")])
    assert tv.rollup(healthy) == ("Healthy", None)
    progressing_over_degraded = node("X", "request", "Degraded", children=[node("Pod", "pod", "Progressing")])
    assert tv.rollup(progressing_over_degraded) == ("Degraded", None)  # its own is worse: no culprit
    label = tv.compact_label(root, now=30).plain
    assert label.startswith(
        "✖ VClusterOrchestrator vclusterorchestrator  Degraded 30s  below: Pod pod: Pod says Degraded"
    )
