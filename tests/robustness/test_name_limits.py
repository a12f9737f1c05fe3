"""Names as long as the API server allows but longer than a file name can be (issue 18 item 5):
``submit`` refuses them before committing, nothing is half-committed, and later commands work."""

from __future__ import annotations

import subprocess

import pytest

from kratix_lab.cli import main
from kratix_lab.model import dump, load_file
from kratix_lab.platform.gitrepo import GitPathError, GitRepo, Identity
from kratix_lab.platform.lab import AdmissionError
from tests.helpers import SAMPLES


@pytest.mark.parametrize("length", [251, 252, 253])
def test_submit_refuses_a_name_whose_gitops_file_cannot_exist_and_commits_nothing(lab, tmp_path, capsys, length):
    obj = load_file(SAMPLES / "argocd-project.yaml")[0].data
    obj["metadata"]["name"] = "a" * length
    before = lab.gitops_repo.head()
    f = tmp_path / "long.yaml"
    f.write_text(dump(obj))
    code = main(["--lab", str(lab.path), "submit", str(f)])
    err = capsys.readouterr().err
    assert code != 0 and "Too long" in err and "Traceback" not in err, err
    assert lab.gitops_repo.head() == before, "no commit made"
    with pytest.raises(AdmissionError):
        lab.submit(obj)
    assert lab.submit(SAMPLES / "media.yaml")  # the lab still works
    r = subprocess.run(["git", "status", "--porcelain"], cwd=lab.gitops_repo_path, capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == ""


def test_the_repository_refuses_a_path_no_checkout_could_hold(tmp_path):
    repo = GitRepo.init(tmp_path / "r")
    with pytest.raises(GitPathError, match="255"):
        repo.write_files({"d/" + "x" * 256: b"1"}, "m", Identity("a", "a@b"), 0)
    with pytest.raises(GitPathError):
        repo.replace_dir("d", {"y" * 300 + ".yaml": b"1"}, "m", Identity("a", "a@b"), 0)
    assert repo.head() is None
