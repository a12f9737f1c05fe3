"""Secrets stay private (issue 18 item 15): the subprocess executor passes pipelines only Kratix's
variables and what the Promise sets; the lab directory and its store are private to their owner;
pipeline directories a killed process left (copies of requests) are removed by the next run."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time

from kratix_lab.pipeline import executors, runner
from kratix_lab.pipeline.executors import SubprocessExecutor
from kratix_lab.pipeline.runner import SCRATCH_PREFIX, clean_stale_scratch
from kratix_lab.platform.lab import Lab


def test_subprocess_executor_passes_no_caller_secrets(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "leaked")
    monkeypatch.setenv("KRATIX_SOMETHING_STALE", "stale")
    seen = {}

    def fake_run(argv, env, **kw):
        seen.update(env)
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(executors.subprocess, "run", fake_run)
    dirs = runner.PipelineDirs(tmp_path).create()
    container = {
        "name": "c",
        "image": "ghcr.io/syntasso/kratix-pipeline-utility:v0.0.1",
        "env": [{"name": "FROM_PROMISE", "value": "yes"}],
    }
    monkeypatch.setattr(executors, "is_catalogue_image", lambda image: True)
    monkeypatch.setattr(executors, "_catalogue_args", lambda c: [])
    SubprocessExecutor().run(container, dirs, {"KRATIX_WORKFLOW_ACTION": "configure"})
    assert "AWS_SECRET_ACCESS_KEY" not in seen and "KRATIX_SOMETHING_STALE" not in seen
    assert seen["FROM_PROMISE"] == "yes" and seen["KRATIX_WORKFLOW_ACTION"] == "configure"
    assert set(seen) <= {
        "PATH",
        "LANG",
        "PYTHONPATH",
        "FROM_PROMISE",
        "KRATIX_WORKFLOW_ACTION",
        "KRATIX_LAB_INPUT_DIR",
        "KRATIX_LAB_OUTPUT_DIR",
        "KRATIX_LAB_METADATA_DIR",
    }


def test_lab_directory_and_store_are_private(tmp_path):
    Lab(tmp_path / "lab").close()
    assert stat.S_IMODE((tmp_path / "lab").stat().st_mode) == 0o700
    for f in ("store.sqlite", "store.sqlite-wal", "store.sqlite-shm"):
        if (tmp_path / "lab" / f).exists():
            assert stat.S_IMODE((tmp_path / "lab" / f).stat().st_mode) == 0o600, f


def test_scratch_dirs_of_dead_processes_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    stale = tmp_path / f"{SCRATCH_PREFIX}{dead_pid}-abc123"
    live = tmp_path / f"{SCRATCH_PREFIX}{os.getpid()}-def456"
    old_unowned = tmp_path / f"{SCRATCH_PREFIX}x1y2z3q4"
    new_unowned = tmp_path / f"{SCRATCH_PREFIX}q4w5e6r7"
    for d in (stale, live, old_unowned, new_unowned):
        (d / "input").mkdir(parents=True)
        (d / "input" / "object.yaml").write_text("kind: Secret\n")
    hour_ago = time.time() - 7200
    os.utime(old_unowned, (hour_ago, hour_ago))
    removed = clean_stale_scratch(tmp_path)
    assert sorted(removed) == sorted([stale, old_unowned])
    assert live.exists() and new_unowned.exists() and not stale.exists() and not old_unowned.exists()
