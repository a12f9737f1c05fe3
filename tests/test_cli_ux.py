"""The CLI as an SRE and a newcomer meet it (issue 17 items 3, 6, 8, 9): fleet output at 80 columns with a summary and
exit codes CI can gate on, fixes runnable where the user is, exact errors with hints, deduplicated findings."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from kratix_lab.cli import main
from kratix_lab.platform.lab import Lab
from tests.helpers import SAMPLES

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def cli(capsys, lab: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--lab", str(lab), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def fleet_lab(tmp_path_factory) -> Path:
    """sandbox (dev) and media (prod) settled, then sandbox's VClusterCore pipeline failing: one Healthy, one
    Degraded with a long verdict. Tests read it only."""
    path = tmp_path_factory.mktemp("ux") / "lab"
    with Lab(path) as lab:
        lab.submit(SAMPLES / "dev.yaml")
        lab.submit(SAMPLES / "media.yaml")
        assert lab.settle().quiescent
        lab.faults.inject("pipeline-fails", promise="vcluster-core")
        lab.reconcile("VClusterCore", "sandbox", "platform-requests")
        assert lab.settle().quiescent
    return path


@pytest.fixture
def terminal(monkeypatch, capsys):
    """stdout is a terminal of COLUMNS columns (as the CLI sees one: isatty, and Rich's width from $COLUMNS)."""

    def set_width(columns: int) -> None:
        monkeypatch.setenv("COLUMNS", str(columns))
        monkeypatch.setenv("NO_COLOR", "1")
        monkeypatch.setattr(sys.stdout, "isatty", lambda: True)

    return set_width


# ---- item 3: status and diagnose --all --------------------------------------------------------------------------


def test_status_on_an_80_column_terminal_keeps_name_and_health_whole(fleet_lab, capsys, terminal):
    terminal(80)
    code, out, _ = cli(capsys, fleet_lab, "status")
    lines = [ANSI.sub("", line).rstrip() for line in out.splitlines()]
    assert all(len(line) <= 80 for line in lines), lines
    header, *rows, summary = lines
    assert re.search(r"\bNAME\b", header) and "HEALTH" in header and "MESSAGE" in header
    by_name = {r.split()[1]: r for r in rows}
    assert set(by_name) == {"media", "sandbox"}, rows
    assert " Healthy " in by_name["media"] and " Degraded " in by_name["sandbox"]
    assert "…" in by_name["sandbox"], "the long verdict is cut, not NAME or HEALTH"
    assert summary == "2 vClusters: 1 Healthy, 1 Degraded"
    assert code == 1


def test_status_and_diagnose_all_exit_1_when_anything_is_not_healthy_with_a_summary(fleet_lab, capsys):
    code, out, _ = cli(capsys, fleet_lab, "status")
    assert code == 1 and out.splitlines()[-1] == "2 vClusters: 1 Healthy, 1 Degraded"
    code, out, _ = cli(capsys, fleet_lab, "status", "-o", "json")
    assert code == 1 and '"health": "Degraded"' in out
    code, out, _ = cli(capsys, fleet_lab, "diagnose", "--all")
    assert code == 1 and out.splitlines()[-1] == "2 vClusters: 1 Healthy, 1 Degraded"


def test_a_healthy_fleet_exits_0_with_its_summary(lab, capsys):
    code, out, _ = cli(capsys, lab.path, "status")
    assert code == 0 and out.splitlines()[-1] == "1 vCluster: 1 Healthy"
    code, out, _ = cli(capsys, lab.path, "diagnose", "--all")
    assert code == 0 and out.splitlines()[-1] == "1 vCluster: 1 Healthy"


def test_a_progressing_vcluster_fails_the_gate_too(lab, capsys):
    lab.submit(SAMPLES / "media.yaml")
    lab.step()  # committed and applied, not yet delivered: Progressing, no findings
    code, out, _ = cli(capsys, lab.path, "status")
    summary = out.splitlines()[-1]
    assert code == 1 and summary.startswith("2 vClusters: 1 Healthy, 1 "), summary
    code, out, _ = cli(capsys, lab.path, "diagnose", "--all")
    assert code == 1 and out.splitlines()[-1] == summary
