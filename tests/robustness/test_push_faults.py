"""Failed pushes and full disks never corrupt the state repository (issue 18 items 1 and 2).

Faults are injected at the write call (``os.link``/``shutil.copyfile``/``os.replace`` into
``state.git``), which is how an unwritable remote or ``ENOSPC`` shows itself to the writer; as root
the sandbox cannot make a directory unwritable by permissions.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess

import pytest

from kratix_lab.model import get_condition
from kratix_lab.platform import gitrepo
from kratix_lab.platform.lab import Lab
from tests.helpers import SAMPLES
from tests.robustness.faultlib import assert_intact, snapshot


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    lab = Lab(tmp_path_factory.mktemp("ref") / "lab")
    lab.submit(SAMPLES / "dev.yaml")
    assert lab.settle().quiescent
    snap = snapshot(lab)
    lab.close()
    return snap


def _fail_into(monkeypatch, target, exc, *, partial=False):
    """Writes (link, copy, rename) of files into ``target`` raise ``exc``; with ``partial`` a copy first
    writes a 0-byte file, as a write that hit ENOSPC leaves."""
    target = str(target)
    real_link, real_copy, real_replace = os.link, shutil.copyfile, os.replace

    def inside(p):
        return str(p).startswith(target)

    def link(src, dst, *a, **k):
        if inside(dst):
            raise OSError(errno.EXDEV, "cross-device link")  # force the copy path
        return real_link(src, dst, *a, **k)

    def copy(src, dst, *a, **k):
        if inside(dst):
            if partial:
                open(dst, "wb").close()
            raise exc
        return real_copy(src, dst, *a, **k)

    def replace(src, dst, *a, **k):
        if inside(dst) and not partial:
            raise exc
        return real_replace(src, dst, *a, **k)

    monkeypatch.setattr(gitrepo.os, "link", link)
    monkeypatch.setattr(gitrepo.shutil, "copyfile", copy)
    monkeypatch.setattr(gitrepo.os, "replace", replace)


@pytest.mark.parametrize(
    "exc,partial",
    [
        (PermissionError(errno.EACCES, "Permission denied"), False),
        (OSError(errno.ENOSPC, "No space left on device"), True),
    ],
    ids=["unwritable-remote", "disk-full"],
)
def test_failed_push_is_a_rejected_push_and_the_next_settle_converges(tmp_path, monkeypatch, reference, exc, partial):
    path = tmp_path / "lab"
    lab = Lab(path)
    lab.submit(SAMPLES / "dev.yaml")
    with monkeypatch.context() as m:
        _fail_into(m, path / "state.git", exc, partial=partial)
        lab.settle(max_steps=40)  # never a crash: the placements report the failed write
        failed = [
            wp
            for wp in lab.list("WorkPlacement")
            if (get_condition(wp, "WriteSucceeded") or {}).get("reason")
            == "WorkloadsFailedWrite"  # workplacement_types.go
        ]
        assert failed, "the failed push is reported on the placements"
        assert "failed to push to the state store" in get_condition(failed[0], "WriteSucceeded")["message"]
    assert not list((path / "state.git" / "objects" / "pack").glob("tmp_*")), "no partial file stays"
    lab.close()
    lab = Lab(path, create=False)  # another process, as after a restart
    assert lab.settle().quiescent
    assert_intact(path, tmp_path)
    assert snapshot(lab) == reference


def test_objects_written_by_a_killed_process_are_pushed_by_the_next(tmp_path, reference):
    """Objects in the writer's clone that an earlier process wrote but never copied (it was killed
    between the two) reach the remote with the next push, before its ref moves."""
    path = tmp_path / "lab"
    lab = Lab(path)
    lab.submit(SAMPLES / "dev.yaml")
    real_push = gitrepo.GitRepo.push

    class Killed(BaseException):  # like SIGKILL: the round's SQLite transaction never commits
        pass

    def killed_after_flush(self, *a, **k):
        self.flush()  # the objects are in state/ ...
        raise Killed  # ... and the process dies before copying them

    gitrepo.GitRepo.push = killed_after_flush
    try:
        with pytest.raises(Killed):
            lab.settle(max_steps=30)
    finally:
        gitrepo.GitRepo.push = real_push
    assert lab.state_repo.head() != lab.state_remote.head()
    lab.close()
    lab = Lab(path, create=False)
    assert lab.settle().quiescent
    assert_intact(path, tmp_path)
    assert snapshot(lab) == reference


def test_a_zero_byte_pack_left_by_a_full_disk_is_set_aside_on_open(tmp_path, reference):
    path = tmp_path / "lab"
    lab = Lab(path)
    lab.submit(SAMPLES / "dev.yaml")
    assert lab.settle().quiescent
    lab.close()
    pack_dir = path / "state.git" / "objects" / "pack"
    (pack_dir / ("pack-" + "0" * 40 + ".pack")).write_bytes(b"")  # what ENOSPC left before the fix
    (pack_dir / ("pack-" + "1" * 40 + ".pack")).write_bytes(b"PACK")
    (pack_dir / ("pack-" + "1" * 40 + ".idx")).write_bytes(b"")
    lab = Lab(path, create=False)
    assert lab.settle().quiescent
    assert lab.submit(SAMPLES / "media.yaml")
    assert lab.settle().quiescent
    assert_intact(path, tmp_path)
    assert sorted(p.name for p in pack_dir.glob("*.damaged")) == [
        "pack-" + "0" * 40 + ".pack.damaged",
        "pack-" + "1" * 40 + ".idx.damaged",
        "pack-" + "1" * 40 + ".pack.damaged",
    ]
    r = subprocess.run(["git", "log", "--oneline"], cwd=path / "state.git", capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout
