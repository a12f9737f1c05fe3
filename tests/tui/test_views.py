"""The kratix_lab helpers the dashboard is built on (no Textual here): a trace node's details
(kratix_lab.views.node_view), what a delete removes (kratix_lab.deletion), how a delete goes
(Lab.delete_route), and the change detection and caches that keep a refresh cheap."""

from __future__ import annotations

import pytest

from kratix_lab import Lab
from kratix_lab.deletion import delete_plan
from kratix_lab.diagnose import diagnose
from kratix_lab.model import load_documents
from kratix_lab.model.yamlio import YamlError
from kratix_lab.platform.lab import LabError
from kratix_lab.sources.lab import LabSource
from kratix_lab.trace import TraceNode, trace
from kratix_lab.views import node_view as nv


@pytest.fixture
def lab(sample_lab_path):
    with Lab(sample_lab_path, create=False) as lab:
        yield lab


def media(source: LabSource) -> TraceNode:
    return trace(source, "VClusterOrchestrator", "media", "platform-requests")


def first(root: TraceNode, kind: str, name_part: str = "") -> tuple[TraceNode, list[TraceNode]]:
    def visit(node: TraceNode, ancestors: list[TraceNode]):
        if node.kind == kind and name_part in node.name:
            return node, ancestors
        for c in node.children:
            found = visit(c, [*ancestors, node])
            if found:
                return found
        return None

    found = visit(root, [])
    assert found, f"no {kind} {name_part}"
    return found


# ---- node_view --------------------------------------------------------------------------------


def test_files_diff_is_gits_unified_diff():
    old = {"a.yaml": b"x: 1\ny: 2\n", "gone.yaml": b"z: 1\n", "same.yaml": b"s: 1\n"}
    new = {"a.yaml": b"x: 1\ny: 3\n", "new.yaml": b"n: 1\n", "same.yaml": b"s: 1\n"}
    assert nv.files_diff(old, new) == (
        "diff --git a/a.yaml b/a.yaml\n--- a/a.yaml\n+++ b/a.yaml\n@@ -1,2 +1,2 @@\n x: 1\n-y: 2\n+y: 3\n"
        "diff --git a/gone.yaml b/gone.yaml\ndeleted file\n--- a/gone.yaml\n+++ /dev/null\n@@ -1 +0,0 @@\n-z: 1\n"
        "diff --git a/new.yaml b/new.yaml\nnew file\n--- /dev/null\n+++ b/new.yaml\n@@ -0,0 +1 @@\n+n: 1\n"
    )
    assert nv.files_diff(old, old) == ""


def test_a_commits_diff_and_parents_through_the_source(lab):
    source = LabSource(lab)
    commit, _ = first(media(source), "Commit")
    sha, path = commit.evidence["sha"], commit.evidence["path"]
    info = source.state_commit(sha)
    assert len(info.parents) == 1 and len(info.parents[0]) == 40
    diff = nv.commit_diff(source, sha, path)
    assert diff.startswith(f"diff --git a/{path}/")
    assert "+kind: VClusterCore" in diff and "new file" in diff
    assert nv.commit_diff(source, "0" * 40, path) == ""


def test_node_repo_text_for_a_commit_a_request_and_a_synced_object(lab):
    source = LabSource(lab)
    root = media(source)
    commit, _ = first(root, "Commit")
    text = nv.node_repo_text(source, commit)
    assert text.startswith(f"commit {commit.evidence['sha']}\nAuthor: kratix <kratix@kratix.io>\n")
    assert f"files under {commit.evidence['path']}/:\n    " in text and "diff --git" in text
    assert "\n    vclustercore-media.yaml\n" in text  # names under the placement's path
    assert nv.node_repo_text(source, root) == text  # the request's own commit, not its sub-requests'
    ns, ancestors = first(root, "Namespace", "vcluster-media")
    only = nv.node_repo_text(source, ns, ancestors)
    assert "file:\n    clusters/" in only and "kind: Namespace" in only
    assert "kind: ConfigMap" not in only  # only the object's own file
    pod, ancestors = first(root, "Pod", "media-0")
    assert nv.node_repo_text(source, pod) == ""


def test_node_logs_yaml_status_and_findings(lab):
    source = LabSource(lab)
    root = media(source)
    job, _ = first(root, "Job")
    assert nv.node_logs(source, job) == lab.logs("Job", job.name, job.namespace)
    assert nv.node_logs(source, root) == lab.logs("VClusterOrchestrator", "media", "platform-requests")
    assert nv.node_logs(source, first(root, "Commit")[0]) == ""
    assert nv.node_yaml(source, root).startswith(
        "apiVersion: platform.integratn.tech/v1alpha1\nkind: VClusterOrchestrator\n"
    )
    assert "sha:" in nv.node_yaml(source, first(root, "Commit")[0])
    status = nv.node_status_text(source, root, source.now())
    assert status.startswith("VClusterOrchestrator/platform-requests/media\nstage:   request\nhealth:  Healthy\n")
    assert "TYPE" in status and "Reconciled" in status and "events:" in status
    d = diagnose(source, "VClusterOrchestrator", "media", "platform-requests")
    assert nv.node_findings_text(d, root, is_root=True) == f"{d.verdict}\n\nno findings\n"
    assert nv.node_findings_text(d, job) == f"no findings about {job.ref}\n"


# ---- what a delete removes ------------------------------------------------------------------------


def test_delete_plan_groups_what_goes_and_leaves_what_stays():
    root = TraceNode("VClusterOrchestrator", "x", "ns", "request", "Healthy")
    work = TraceNode("Work", "w", "ns", "work", "Healthy")
    wp = TraceNode("WorkPlacement", "wp", "ns", "placement", "Healthy")
    commit = TraceNode("Commit", "abc", None, "commit", "Healthy", evidence={"files": ["clusters/a.yaml"]})
    sync = TraceNode("Application", "kratix-state-reconciler", "argocd", "sync", "Healthy")
    sub = TraceNode("VClusterCore", "x", "ns", "request", "Healthy")
    gone = TraceNode("ConfigMap", "never-made", "ns", "object", "Missing")
    ns = TraceNode("Namespace", "vcluster-x", None, "object", "Healthy")
    root.children = [work]
    work.children = [wp]
    wp.children = [commit]
    commit.children = [sync]
    sync.children = [sub, gone, ns]
    plan = delete_plan(root, "how it goes")
    assert plan.sections == [
        ("sub-requests", ["VClusterCore/ns/x"]),
        ("Works", ["Work/ns/w"]),
        ("WorkPlacements", ["WorkPlacement/ns/wp"]),
        ("state-repo files", ["clusters/a.yaml"]),
        ("objects Argo CD prunes", ["Namespace/vcluster-x"]),
    ]
    assert plan.text().startswith(
        "Delete VClusterOrchestrator/ns/x\nhow it goes\n\nsub-requests (1):\n  VClusterCore/ns/x\n"
    )


def test_delete_route_through_the_gitops_repo_or_directly(lab):
    media_obj = lab.get("VClusterOrchestrator", "media", "platform-requests")
    assert lab.gitops_file(media_obj) == "platform/vclusters/media.yaml"
    assert lab.delete_route("VClusterOrchestrator", "media", "platform-requests").startswith(
        "removes platform/vclusters/media.yaml from the gitops repo"
    )
    lab.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "direct", "namespace": "default"}})
    assert lab.gitops_file(lab.get("ConfigMap", "direct", "default")) is None
    assert (
        lab.delete_route("ConfigMap", "direct", "default")
        == "deletes ConfigMap direct directly (it is not in the gitops repo)"
    )
    with pytest.raises(LabError, match='VClusterOrchestrator "nope" not found'):
        lab.delete_route("VClusterOrchestrator", "nope")
    assert lab.delete("ConfigMap", "direct", "default") == "configmap/direct deleted"


# ---- change detection and caches ----------------------------------------------------------------------


def test_change_token_moves_with_objects_faults_and_git_not_with_the_clock(lab, sample_lab_path):
    source = LabSource(lab)
    token = source.change_token()
    version = lab.store.version()
    with Lab(sample_lab_path, create=False) as other:
        assert other.step().total == 0  # a settled lab: only the clock moves
    assert source.change_token() == token and lab.store.version() == version
    with Lab(sample_lab_path, create=False) as other:
        other.reconcile("VClusterOrchestrator", "media", "platform-requests")
    assert lab.store.version()[0] > version[0]
    token = source.change_token()
    lab.faults.inject("argocd-autosync-disabled")
    assert source.change_token() != token
    token = source.change_token()
    lab.store.delete("Namespace", "default")  # a removal alone changes the count
    assert lab.store.version()[1] == token[1] - 1 and source.change_token() != token


def test_state_files_of_a_commit_are_kept_and_copied(lab):
    source = LabSource(lab)
    commit, _ = first(media(source), "Commit")
    files = source.state_files(commit.evidence["path"], commit.evidence["sha"])
    files.clear()
    assert source.state_files(commit.evidence["path"], commit.evidence["sha"])  # the kept copy is untouched
    head_before = source.state_files("clusters")
    lab.delete("VClusterOrchestrator", "sandbox", "platform-requests")
    lab.settle()
    assert source.state_files("clusters") != head_before  # a branch is read again, never kept


def test_yaml_parsed_once_is_copied_not_shared():
    text = "a:\n  b: [1, 2]\n"
    one = load_documents(text)[0].data
    one["a"]["b"].append(3)
    assert load_documents(text)[0].data == {"a": {"b": [1, 2]}}
    for _ in range(2):  # a bad text is an error every time
        with pytest.raises(YamlError):
            load_documents("a: [", "bad.yaml")
