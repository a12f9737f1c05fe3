"""``status -w`` (issue 15): the table, then a row for each vCluster that changes, as ``kubectl get -w`` — in the
lab (its change token) and live (the watch cache, against ``kratix-lab serve``); SIGTERM stops it like Ctrl-C."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time

from kratix_lab.platform.lab import STATE_URL, Lab


def spawn(*args: str) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kratix_lab.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return proc, lines


def next_line(lines: queue.Queue[str], containing: str, seconds: float = 60.0) -> str:
    """The next output line with ``containing`` (a bound on the test's run, not a speed assertion)."""
    deadline = time.monotonic() + seconds
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        seen.append(line)
        if containing in line:
            return line
    raise AssertionError(f"no line with {containing!r} within {seconds:g}s; got {seen}")


def stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=30)


def test_status_watch_in_the_lab_prints_the_row_that_changed(lab):
    path = lab.path
    lab.close()
    proc, lines = spawn("--lab", str(path), "status", "-w", "-o", "json")
    try:
        first = json.loads(next_line(lines, '"sandbox"'))
        assert first["health"] == "Healthy"
        with Lab(path, create=False) as other:
            other.faults.inject("pipeline-fails", promise="vcluster-core")
            other.reconcile("VClusterCore", "sandbox", "platform-requests")
            other.settle()
        changed = json.loads(next_line(lines, '"Degraded"'))
        assert (changed["name"], changed["stage"]) == ("sandbox", "pipeline")
    finally:
        code = stop(proc)
    assert code == 1, proc.stderr.read() if proc.stderr else ""


def test_status_watch_live_follows_the_served_lab_through_its_watch_cache(lab, tmp_path):
    from tests.live.conftest import served

    path = lab.path
    lab.close()
    with served(path, tmp_path / "kubeconfig") as run:
        args = ["--kubeconfig", str(run.kubeconfig), "--repo", f"{STATE_URL}={path / 'state.git'}"]
        proc, lines = spawn("status", "-w", *args, "--cache-dir", str(tmp_path / "c"))
        try:
            assert "Healthy" in next_line(lines, "sandbox")
            with run.api.lock:
                run.api.lab.faults.inject("pipeline-fails", promise="vcluster-core")
                run.api.lab.reconcile("VClusterCore", "sandbox", "platform-requests")
                run.api.lab.settle()
            run.api.hub.poll()
            # the watch may show a state between (the request Pending while its pipeline runs): each change is a line
            line = next_line(lines, "pipeline run")
            assert "sandbox" in line and "Degraded" in line
        finally:
            code = stop(proc)
        assert code == 1
        assert "platform: context kratix-lab" in (proc.stderr.read() if proc.stderr else "")
