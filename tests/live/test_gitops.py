"""GitOps create/delete in live mode against a local bare gitops repo with a concurrent pusher."""

from __future__ import annotations

import subprocess

import pytest

from kratix_lab.errors import AlreadyExists, Conflict, Forbidden, Invalid
from kratix_lab.live import gitops
from kratix_lab.model import load_file
from kratix_lab.sources.factory import open_live
from tests.helpers import SAMPLES
from tests.live.conftest import served


def git(cwd, *args):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def identity(monkeypatch):
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "Site Reliability")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "sre@example.com")


@pytest.fixture
def remote(tmp_path, identity):
    bare = tmp_path / "gitops.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "-q", str(bare), str(seed))
    (seed / "platform" / "vclusters").mkdir(parents=True)
    (seed / "platform" / "vclusters" / "README.md").write_text("requests\n")
    git(seed, "add", ".")
    git(seed, "commit", "-q", "-m", "seed")
    git(seed, "push", "-q", "origin", "HEAD:refs/heads/main")
    return bare


def other_push(tmp_path, bare, name, files):
    """Someone else pushes to the same branch."""
    other = tmp_path / name
    if not other.exists():
        git(tmp_path, "clone", "-q", str(bare), str(other))
    git(other, "pull", "-q", "origin", "main")
    for rel, text in files.items():
        (other / rel).parent.mkdir(parents=True, exist_ok=True)
        (other / rel).write_text(text)
    git(other, "add", ".")
    git(other, "commit", "-q", "-m", f"{name} pushes")
    git(other, "push", "-q", "origin", "HEAD:refs/heads/main")


def request(name):
    doc = load_file(SAMPLES / "dev.yaml")[0].data
    doc["metadata"]["name"] = doc["spec"]["name"] = name
    return doc


def test_create_and_delete_with_a_concurrent_pusher(lab, tmp_path, remote):
    path = lab.path
    lab.close()
    with served(path, tmp_path / "kubeconfig") as run:
        ro = open_live(kubeconfig=run.kubeconfig, cache_dir=tmp_path / "c")
        repo = gitops.GitOpsRepo(str(remote), cache_dir=tmp_path / "c")
        with pytest.raises(Forbidden, match="read-only: creating a request commits to the gitops repo; add --write"):
            gitops.create(ro, request("alpha"), repo)
        src = open_live(kubeconfig=run.kubeconfig, cache_dir=tmp_path / "c", write=True)

        # a push rejected because someone pushed first → fetch, rebase, retry succeeds
        repo.before_push = lambda attempt: (
            other_push(tmp_path, remote, "colleague", {"platform/vclusters/other.yaml": "x: 1\n"})
            if attempt == 0
            else None
        )
        sha, rel = gitops.create(src, request("alpha"), repo)
        assert repo.attempts == 2 and rel == "platform/vclusters/alpha.yaml"
        log = git(remote, "log", "--format=%H %s %an", "main").splitlines()
        assert log[0] == f"{sha} Add VClusterOrchestrator alpha Site Reliability"
        assert log[1].endswith("colleague pushes Site Reliability"), "the colleague's commit is kept, not forced over"
        assert "name: alpha" in git(remote, "show", f"main:{rel}")

        # the name is taken: on the cluster, or in the repo
        repo.before_push = None
        with pytest.raises(AlreadyExists, match="sandbox already exists on context kratix-lab"):
            gitops.create(src, request("sandbox"), repo)
        with pytest.raises(AlreadyExists, match="already defined in the gitops repo"):
            gitops.create(src, request("alpha"), repo)

        # an invalid request never reaches git
        bad = request("beta")
        bad["spec"]["vcluster"] = {"preset": "huge"}
        head = git(remote, "rev-parse", "main")
        with pytest.raises(Invalid, match=r'spec.vcluster.preset: Unsupported value: "huge"') as e:
            gitops.create(src, bad, repo)
        assert e.value.causes and e.value.causes[0].field == "spec.vcluster.preset"
        assert git(remote, "rev-parse", "main") == head

        # a conflicting edit of the same file → a clear error, nothing pushed, the commit kept
        repo.before_push = lambda attempt: (
            other_push(tmp_path, remote, "rival", {"platform/vclusters/gamma.yaml": "rival: true\n"})
            if attempt == 0
            else None
        )
        with pytest.raises(Conflict, match="someone changed the same file on main") as e:
            gitops.create(src, request("gamma"), repo)
        assert "nothing was pushed; your commit is kept on branch kratix-lab/unpushed-" in str(e.value)
        kept = str(e.value).split("kept on branch ")[1].split(" of ")[0]
        assert "name: gamma" in git(repo.dir, "show", f"{kept}:platform/vclusters/gamma.yaml")
        assert git(remote, "show", "main:platform/vclusters/gamma.yaml") == "rival: true\n"

        # delete removes the file that defines the request
        repo.before_push = None
        sha, rel = gitops.delete(src, "VClusterOrchestrator", "alpha", "platform-requests", repo)
        assert rel == "platform/vclusters/alpha.yaml"
        assert git(remote, "log", "-1", "--format=%H %s", "main").strip() == f"{sha} Remove VClusterOrchestrator alpha"
        assert "alpha.yaml" not in git(remote, "ls-tree", "-r", "--name-only", "main")


def test_cli_submit_and_delete_live(lab, tmp_path, remote, capsys):
    from kratix_lab.cli import main
    from kratix_lab.model import dump

    path = lab.path
    lab.close()
    f = tmp_path / "delta.yaml"
    f.write_text(dump(request("delta")))
    with served(path, tmp_path / "kubeconfig") as run:
        args = ["--kubeconfig", str(run.kubeconfig), "--cache-dir", str(tmp_path / "c"), "--gitops-repo", str(remote)]
        assert main(["submit", str(f), *args]) == 1
        assert "live mode is read-only: this commits to the gitops repo; add --write" in capsys.readouterr().err
        assert main(["submit", str(f), "--write", *args]) == 0
        out = capsys.readouterr().out
        assert out.endswith("  platform/vclusters/delta.yaml\n")
        assert out.split()[0] == git(remote, "rev-parse", "main").strip()
        assert main(["delete", "vco/delta", "-n", "platform-requests", "--write", *args]) == 0
        assert "removed platform/vclusters/delta.yaml" in capsys.readouterr().out
        assert main(["delete", "vco/delta", "-n", "platform-requests", "--write", *args]) == 2
        assert "not defined under platform/vclusters" in capsys.readouterr().err


def test_the_gitops_repo_is_found_from_argo_cds_tracking_annotation(lab, tmp_path, remote, capsys):
    from kratix_lab.cli import main
    from kratix_lab.model import dump
    from kratix_lab.platform.lab import GITOPS_URL

    path = lab.path
    lab.close()
    f = tmp_path / "eps.yaml"
    f.write_text(dump(request("eps")))
    with served(path, tmp_path / "kubeconfig") as run:
        src = open_live(kubeconfig=run.kubeconfig, cache_dir=tmp_path / "c")
        assert gitops.locate(src, "VClusterOrchestrator") == (GITOPS_URL, "main", "platform", "platform")
        # the located URL, cloned from a stand-in through --repo URL=PATH
        args = [
            "--kubeconfig",
            str(run.kubeconfig),
            "--cache-dir",
            str(tmp_path / "c"),
            "--repo",
            f"{GITOPS_URL}={remote}",
        ]
        assert main(["submit", str(f), "--write", *args]) == 0
        captured = capsys.readouterr()
        assert f"gitops repo: {GITOPS_URL} (main), from Argo CD application platform (path platform)" in captured.err
        assert "platform/vclusters/eps.yaml" in git(remote, "ls-tree", "-r", "--name-only", "main")


def test_a_request_pushed_to_the_served_labs_gitops_repo_appears_once_argo_cd_syncs(lab, tmp_path, identity, capsys):
    """Issue 14: GitOps create against the served lab itself — `submit --write` clones the lab's gitops repo (the
    URL Argo CD's tracking annotation names, mapped with --repo), commits with the user's git identity and pushes
    (the lab's gitops repo takes pushes: receive.denyCurrentBranch=updateInstead); the request is not in the cluster
    until the lab's Argo CD syncs the new revision, then it is — read through the API."""
    from kratix_lab.cli import main
    from kratix_lab.model import dump
    from kratix_lab.platform.lab import GITOPS_URL
    from tests.live.conftest import live_args, live_source

    path = lab.path
    lab.close()
    f = tmp_path / "pushed.yaml"
    f.write_text(dump(request("pushed")))
    with served(path, tmp_path / "kubeconfig") as run:
        args = [*live_args(run.kubeconfig, path, tmp_path / "c"), "--repo", f"{GITOPS_URL}={path / 'gitops'}"]
        assert main(["submit", str(f), "--write", *args]) == 0
        sha = capsys.readouterr().out.split()[0]
        src = live_source(run.kubeconfig, path, tmp_path / "c")
        group = "platform.integratn.tech"
        assert src.get("VClusterOrchestrator", "pushed", "platform-requests", group) is None, "not synced yet"
        assert git(path / "gitops", "log", "-1", "--format=%H %an") == f"{sha} Site Reliability\n"
        assert git(path / "gitops", "status", "--porcelain") == "", "the push updated the lab's checkout too"
        with run.api.lock:
            assert run.api.lab.settle().quiescent
        run.api.hub.poll()
        obj = src.get("VClusterOrchestrator", "pushed", "platform-requests", group)
        assert obj is not None and obj["spec"]["name"] == "pushed"
        app = src.get("Application", "platform", "argocd", "argoproj.io")
        assert app["status"]["sync"]["revision"] == sha


def test_the_lab_never_writes_over_a_pushed_commit(lab, tmp_path, identity):
    """A commit the lab made on a head that a push then moved is refused at flush (git's ref lock, then a
    compare-and-swap), never written over the push; the lab's next commit builds on the pushed one."""
    from kratix_lab.platform.gitrepo import GitRepo, Identity, RefMoved

    repo = lab.gitops_repo
    repo.accept_pushes()
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(lab.path / "gitops"), str(clone))
    repo.write_files({"platform/vclusters/lab.txt": b"lab\n"}, "lab commit", Identity("lab", "lab@x"), 0)
    (clone / "pushed.txt").write_text("pushed\n")
    git(clone, "add", ".")
    git(clone, "commit", "-q", "-m", "pushed")
    git(clone, "push", "-q", "origin", "HEAD:main")
    pushed = git(clone, "rev-parse", "HEAD").strip()
    with pytest.raises(RefMoved, match="moved to"):
        repo.flush()
    assert GitRepo(lab.path / "gitops").head() == pushed, "the push is kept"
    again = repo.write_files({"platform/vclusters/lab.txt": b"lab\n"}, "lab commit", Identity("lab", "lab@x"), 0)
    repo.sync_worktree()
    assert git(lab.path / "gitops", "rev-parse", "HEAD~1").strip() == pushed and again is not None
