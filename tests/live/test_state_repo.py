"""The state repo in live mode: found from WorkPlacement → Destination → GitStateStore, read from a bare
clone; when it cannot be read, the WorkPlacement's own files stand in and the commit node says so."""

from __future__ import annotations

from kratix_lab.diagnose import diagnose
from kratix_lab.platform.lab import STATE_URL
from kratix_lab.sources.factory import open_live
from kratix_lab.sources.lab import LabSource
from kratix_lab.trace import trace
from tests.live.conftest import live_source, served


def _commits(root):
    return {n.name: n for n, _ in root.walk() if n.stage == "commit"}


def test_the_repo_is_located_from_the_cluster_and_cloned_bare(lab, tmp_path):
    path = lab.path
    lab.close()
    with served(path, tmp_path / "kubeconfig") as run:
        src = live_source(run.kubeconfig, path, tmp_path / "cache")
        trace(src, "vco", "sandbox", "platform-requests")
        (repo,) = src.repos.repos.values()
        assert repo.url == STATE_URL and repo.branch == "main", "the GitStateStore's spec.url and branch"
        assert repo.path.parent == tmp_path / "cache" / "repos" and (repo.path / "HEAD").is_file()
        assert not (repo.path / ".git").exists(), "a bare clone"


def test_unreadable_repo_falls_back_to_the_workplacement_files(lab, tmp_path):
    expected = _commits(trace(LabSource(lab), "vco", "sandbox", "platform-requests"))
    path = lab.path
    lab.close()
    with served(path, tmp_path / "kubeconfig") as run:
        src = open_live(
            kubeconfig=run.kubeconfig, repos={STATE_URL: str(tmp_path / "no-such-repo")}, cache_dir=tmp_path / "c"
        )
        root = trace(src, "vco", "sandbox", "platform-requests")
        commits = _commits(root)
        assert commits.keys() == expected.keys() and commits
        for name, node in commits.items():
            assert node.health == "Unknown", node.message
            assert node.evidence["filesFrom"] == "WorkPlacement"
            assert node.evidence["files"] == expected[name].evidence["files"], "the same files, from the placement"
            assert node.message.startswith(f"state repo {STATE_URL}: cannot clone from {tmp_path / 'no-such-repo'}")
            assert "read from the WorkPlacement's spec.workloads instead" in node.message
            (sync,) = node.children
            assert sync.health in ("Healthy", "Unknown") and sync.health != "Missing"
        d = diagnose(src, "VClusterOrchestrator", "sandbox", "platform-requests")
        assert not [f for f in d.findings if f.stage in ("commit", "sync")], [f.id for f in d.findings]
