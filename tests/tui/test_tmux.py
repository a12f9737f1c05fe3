"""The dashboard in a real terminal: `kratix-lab --lab LAB tui` in a detached 80×24 tmux session
(its own tmux server), driven with send-keys and read with capture-pane."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

TMUX = shutil.which("tmux")
pytestmark = pytest.mark.skipif(
    TMUX is None, reason="tmux is not installed (`apt-get install -y tmux`; .ci/run installs it)"
)


class Terminal:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        out = subprocess.run([TMUX, "-L", self.socket, *args], capture_output=True, text=True, check=True)
        return out.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "tui")

    def wait_for(self, *texts: str, timeout: float = 60) -> str:
        """Poll the pane until every text shows (a real terminal has no pilot to wait on)."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if all(t in screen for t in texts):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{texts} did not appear within {timeout} s; the screen:\n{screen}")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "tui", *keys)


def test_dashboard_detail_and_quit_in_tmux(sample_lab_path: Path, tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "kratix-lab"
    # the socket is this run's own (a server left by an earlier run under the same name would refuse the session)
    term = Terminal(f"kratix-lab-test-{os.getpid()}-{tmp_path.name}")
    command = f"{exe} --lab {sample_lab_path} tui; echo EXIT=$?; sleep 60"
    term.tmux("new-session", "-d", "-s", "tui", "-x", "80", "-y", "24", command)
    try:
        screen = term.wait_for("vClusters 2 ", "sandbox", "▶ playing")
        lines = screen.splitlines()
        assert len(lines) <= 24 and all(len(line) <= 80 for line in lines)
        assert "media    prod" in screen and "✔ Healthy" in screen
        term.keys("Enter")
        term.wait_for(
            "healthy: VClusterOrchestrator/platform-requests/media",
            "YAML",
            "Findings",
            "▼ ✔ VClusterOrchestrator media",
        )
        term.keys("Escape")
        term.wait_for("vClusters 2 ")
        term.keys("q")
        term.wait_for("EXIT=0")
    finally:
        subprocess.run([TMUX, "-L", term.socket, "kill-server"], capture_output=True, check=False)
