"""kill -9 at random points of ``settle``, ``submit`` and ``delete``, and concurrent writers: afterwards
every repository passes ``git fsck --strict``, the state remote clones over git's protocol, SQLite's
integrity check passes, and the lab settles to the tree an undisturbed lab reaches (issue 18, "What
to build"). ``make test`` runs a few trials per kind; ``make soak`` (KRATIX_LAB_SOAK) many more.
Kill points are drawn from a seeded generator, so a failing trial id reproduces."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from kratix_lab.platform.lab import Lab
from tests.helpers import ROOT, SAMPLES
from tests.robustness.faultlib import assert_intact, snapshot, trials

ORCH = ("VClusterOrchestrator", "sandbox", "platform-requests")


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


@pytest.fixture(scope="module")
def labs(tmp_path_factory):
    """An empty lab, the dev vCluster settled (the undisturbed outcome), and the same after deleting it."""
    base = tmp_path_factory.mktemp("kill")
    Lab(base / "empty").close()
    shutil.copytree(base / "empty", base / "settled")
    lab = Lab(base / "settled", create=False)
    lab.submit(SAMPLES / "dev.yaml")
    assert lab.settle().quiescent
    settled = snapshot(lab)
    lab.close()
    shutil.copytree(base / "settled", base / "deleted")
    lab = Lab(base / "deleted", create=False)
    lab.delete(*ORCH)
    assert lab.settle().quiescent
    deleted = snapshot(lab)
    lab.close()
    return base, settled, deleted


def _kill_at(proc: subprocess.Popen, delay: float) -> None:
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)


SCRIPTS = {
    "settle": "lab.submit({dev!r})\nprint('ready', flush=True)\nlab.settle()",
    "submit": "print('ready', flush=True)\nlab.submit({dev!r})\nlab.settle()",
    "delete": "print('ready', flush=True)\nlab.delete('VClusterOrchestrator', 'sandbox', 'platform-requests')\nlab.settle()",
}


@pytest.mark.parametrize(
    "kind,trial", [(k, i) for k in ("settle", "submit", "delete") for i in range(trials(1, 25))], ids=str
)
def test_kill_9(labs, tmp_path, kind, trial):
    base, settled, deleted = labs
    path = tmp_path / "victim"
    shutil.copytree(base / ("settled" if kind == "delete" else "empty"), path)
    delay = random.Random(f"{kind}-{trial}").uniform(0.0, 1.5)
    code = f"from kratix_lab.platform.lab import Lab\nlab = Lab({str(path)!r}, create=False)\n"
    _kill_at(run_py(code + SCRIPTS[kind].format(dev=str(SAMPLES / "dev.yaml"))), delay)

    lab = Lab(path, create=False)
    assert_intact(path, tmp_path)
    if kind == "submit":
        lab.submit(SAMPLES / "dev.yaml")  # the user runs it again; the same request commits nothing new
    if kind == "delete" and lab.get(*ORCH) is not None and lab.gitops_file(lab.get(*ORCH)) is not None:
        lab.delete(*ORCH)
    assert lab.settle().quiescent
    assert_intact(path, tmp_path)
    assert snapshot(lab) == (deleted if kind == "delete" else settled)
    lab.close()


@pytest.mark.parametrize("kind,trial", [("concurrent", i) for i in range(trials(1, 5))], ids=str)
def test_concurrent_writers(labs, tmp_path, kind, trial):
    """Three processes at once: one submits and settles, one settles, one reads and steps."""
    base, settled, _ = labs
    path = tmp_path / "lab"
    shutil.copytree(base / "empty", path)
    head = f"from kratix_lab.platform.lab import Lab\nlab = Lab({str(path)!r}, create=False)\n"
    procs = [
        run_py(head + f"lab.submit({str(SAMPLES / 'dev.yaml')!r})\nlab.settle()"),
        run_py(head + "for _ in range(10):\n    lab.step()\n"),
        run_py(head + "for _ in range(10):\n    lab.list('WorkPlacement'); lab.state_remote.log(); lab.step()\n"),
    ]
    for p in procs:
        _out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    lab = Lab(path, create=False)
    assert lab.settle().quiescent
    assert_intact(path, tmp_path)
    assert snapshot(lab) == settled
    lab.close()
