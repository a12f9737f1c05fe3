"""A lab the user may not write, and an output directory that cannot be written (issue 18 item 14).

Reading commands work on a read-only lab (``Lab.open_for_reading``: no lock file, no repair, a read-only SQLite
connection) and writing ones fail with one line naming the path; ``render --out`` refuses a symbolic link, a file
in the path, a read-only or full filesystem with one line naming ``--out`` and the cause, leaving nothing behind.
The read-only-filesystem and full-disk cases use a private mount namespace (root and ``unshare``, as CI has);
elsewhere they skip saying so, and the in-process cases still run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from kratix_lab.cli import main
from kratix_lab.platform.lab import Lab, LabError
from tests.helpers import SAMPLES

READS = [
    ["get", "vco", "-A"],
    ["status"],
    ["trace", "vco/sandbox", "-n", "platform-requests"],
    ["diagnose", "vco/sandbox", "-n", "platform-requests"],
    ["describe", "vco/sandbox", "-n", "platform-requests"],
    ["events", "-A"],
    ["lab", "status"],
    ["repo", "log"],
]
WRITES = [["settle"], ["submit", str(SAMPLES / "media.yaml")], ["fault", "inject", "argocd-autosync-disabled"]]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("ro") / "lab"
    with Lab(path) as lab:
        lab.submit(SAMPLES / "dev.yaml")
        assert lab.settle().quiescent
    return path


@pytest.fixture
def lab_dir(template, tmp_path):
    shutil.copytree(template, tmp_path / "lab")
    return tmp_path / "lab"


def _snapshot(path):
    """Every file's size and mtime — except SQLite's -wal/-shm, which a reader creates where it may (WAL mode's
    shared memory; https://sqlite.org/wal.html#readonly): they hold no data of the lab."""
    return {
        p.relative_to(path): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in path.rglob("*")
        if p.is_file() and not p.name.endswith(("-wal", "-shm"))
    }


def test_a_lab_that_cannot_be_locked_is_read_read_only_and_left_untouched(lab_dir, capsys, monkeypatch):
    """The lock file is the first write; PermissionError there (another user's lab) opens it read-only."""

    def refused(self):
        raise PermissionError(13, "Permission denied", str(self.path / ".lock"))

    monkeypatch.setattr(Lab, "_lock", refused)
    before = _snapshot(lab_dir)
    for command in READS:
        assert main(["--lab", str(lab_dir), *command]) in (0, 1), command
    out = capsys.readouterr()
    assert "sandbox" in out.out and "Traceback" not in out.err
    for command in WRITES:
        assert main(["--lab", str(lab_dir), *command]) == 2, command
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and ".lock: Permission denied" in err, err
    assert _snapshot(lab_dir) == before


def test_read_only_never_writes_and_never_creates(lab_dir, tmp_path):
    before = _snapshot(lab_dir)
    with Lab(lab_dir, create=False, read_only=True) as lab:
        assert lab.get("VClusterOrchestrator", "sandbox", "platform-requests") is not None
    assert _snapshot(lab_dir) == before
    with pytest.raises(LabError, match="no lab here"):
        Lab(tmp_path / "nothing", create=True, read_only=True)
    assert not (tmp_path / "nothing").exists()


def _private_mount_available() -> str | None:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return "needs root and unshare for a private mount namespace (CI runs as root)"
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        return f"unshare -m is not permitted here: {probe.stderr.decode().strip()}"
    return None


def _cli(argv: list[str]) -> str:
    return " ".join(f"'{a}'" for a in [sys.executable, "-m", "kratix_lab.cli", *argv])


def _in_private_mount(setup: str, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """``kratix-lab ARGV`` after ``setup`` (mounts) in a mount namespace of its own: nothing leaks to the host."""
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", f"{setup} && exec {_cli(argv)}"], capture_output=True, text=True
    )


@pytest.mark.skipif(_private_mount_available() is not None, reason=str(_private_mount_available()))
def test_on_a_read_only_filesystem_reads_work_and_writes_are_one_line(lab_dir):
    ro = f"mount --bind '{lab_dir}' '{lab_dir}' && mount -o remount,bind,ro '{lab_dir}'"
    for command in READS:
        done = _in_private_mount(ro, ["--lab", str(lab_dir), *command])
        assert done.returncode in (0, 1) and "Traceback" not in done.stderr, (command, done.stderr)
        assert done.stdout.strip(), command
    for command in WRITES:
        done = _in_private_mount(ro, ["--lab", str(lab_dir), *command])
        assert done.returncode == 2 and done.stderr.strip() == f"error: {lab_dir}/.lock: Read-only file system"


def test_render_out_refuses_a_symbolic_link_and_a_file_in_the_path(tmp_path, capsys):
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    assert main(["render", str(SAMPLES / "dev.yaml"), "--out", str(dangling)]) == 2
    assert f"{dangling}: a symbolic link to {tmp_path / 'nowhere'}, which does not exist" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert main(["render", str(SAMPLES / "dev.yaml"), "--out", str(tmp_path / "file" / "sub")]) == 2
    assert f"{tmp_path / 'file'} is not a directory" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling", "file"]  # nothing left behind


@pytest.mark.skipif(_private_mount_available() is not None, reason=str(_private_mount_available()))
@pytest.mark.parametrize(
    ("mount", "message"),
    [
        (
            "mount --bind '{d}' '{d}' && mount -o remount,bind,ro '{d}'",
            "{d}/out: cannot create it: Read-only file system",
        ),
        (
            "mount -t tmpfs -o size=48k tmpfs '{d}'",
            "{d}/out: cannot write it: No space left on device; nothing was written",
        ),
    ],
    ids=["read-only", "full"],
)
def test_render_out_on_a_read_only_or_full_filesystem_is_one_line_and_leaves_nothing(tmp_path, mount, message):
    d = tmp_path / "mnt"
    d.mkdir()
    render = _cli(["render", str(SAMPLES / "media.yaml"), "--out", f"{d}/out"])
    script = f"{mount.format(d=d)} && {render} >/dev/null; echo rc=$? >&2; ls -A '{d}' >&2"
    err = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True).stderr
    assert message.format(d=d) in err, err
    assert err.strip().endswith("rc=2"), f"exit 2 and nothing left in the directory (ls printed nothing): {err}"
