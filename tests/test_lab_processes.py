"""Several processes on one lab, and a process killed mid-settle: nothing lost, nothing half-written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from kratix_lab.model import get_condition
from kratix_lab.platform.lab import Lab
from tests.helpers import ROOT, SAMPLES

# As every kratix-lab process starts (the CLI, the pipeline entry point, the dashboard's workers): else the first step
# compiles rfc3987-syntax's grammars for seconds (kratix_lab.startup), and a kill meant to land inside settle lands
# inside that import instead.
STARTUP = "from kratix_lab.startup import skip_slow_optional_imports\nskip_slow_optional_imports()\n"


def run_py(code: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", STARTUP + textwrap.dedent(code)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def snapshot(lab: Lab) -> dict:
    """What a settled lab is, independent of timing: objects, their readiness, and the state repo's files."""
    objects = sorted(
        (o["kind"], o["metadata"].get("namespace") or "", o["metadata"]["name"])
        for o in lab.store.list()
        if o["kind"] not in ("Job", "Pod") or not o["metadata"]["name"].startswith("kratix-")
    )
    reconciled = sorted(
        o["metadata"]["name"] + "/" + o["kind"]
        for o in lab.store.list()
        if (get_condition(o, "Reconciled") or {}).get("status") == "True"
    )
    tree = subprocess.run(
        ["git", "ls-tree", "-r", "HEAD"], cwd=lab.state_remote_path, capture_output=True, text=True, check=True
    ).stdout
    return {"objects": objects, "reconciled": reconciled, "tree": tree}


def test_two_processes_submit_and_step_one_lab(tmp_path):
    path = tmp_path / "lab"
    Lab(path).close()
    procs = [
        run_py(
            f"""
            from kratix_lab.platform.lab import Lab
            lab = Lab({str(path)!r}, create=False)
            lab.submit({str(SAMPLES / sample)!r})
            for _ in range(12):
                lab.step()
            """
        )
        for sample in ("media.yaml", "dev.yaml")
    ]
    for p in procs:
        _out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    lab = Lab(path, create=False)
    assert lab.settle().quiescent
    for name in ("media", "sandbox"):
        orch = lab.get("VClusterOrchestrator", name, "platform-requests")
        assert (get_condition(orch, "Reconciled") or {}).get("status") == "True", name
    log = subprocess.run(["git", "log", "--format=%s"], cwd=lab.gitops_repo_path, capture_output=True, text=True).stdout
    assert "Add VClusterOrchestrator media" in log and "Add VClusterOrchestrator sandbox" in log


@pytest.fixture(scope="module")
def media_settled(tmp_path_factory) -> dict:
    """What an undisturbed lab with ``media`` settles to: made once, compared with by every kill trial."""
    reference = Lab(tmp_path_factory.mktemp("reference") / "lab")
    reference.submit(SAMPLES / "media.yaml")
    assert reference.settle().quiescent
    expected = snapshot(reference)
    reference.close()
    return expected


@pytest.mark.parametrize("kill_after", [0.15, 0.4, 0.8])
def test_killed_mid_settle_reopens_consistent_and_settles_the_same(tmp_path, kill_after, media_settled):
    expected = media_settled

    path = tmp_path / "victim"
    Lab(path).close()
    proc = run_py(
        f"""
        from kratix_lab.platform.lab import Lab
        lab = Lab({str(path)!r}, create=False)
        lab.submit({str(SAMPLES / "media.yaml")!r})
        print("submitted", flush=True)
        lab.settle()
        """
    )
    assert proc.stdout.readline().strip() == "submitted"
    time.sleep(kill_after)  # somewhere inside settle: pipelines, git writes or Argo CD syncs
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)

    lab = Lab(path, create=False)
    subprocess.run(["git", "fsck", "--strict"], cwd=lab.state_remote_path, check=True, capture_output=True)
    assert lab.settle().quiescent
    assert snapshot(lab) == expected
