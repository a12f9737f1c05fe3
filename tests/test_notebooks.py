"""The cookbook's shape, and proof that nbval really compares stored outputs (the notebooks themselves run as
tests through nbval: see addopts in pyproject.toml)."""

from __future__ import annotations

import os
import subprocess
import sys

import nbformat
import pytest

from kratix_lab.promises import CATALOGUE_PROMISES
from tests.helpers import ROOT

NOTEBOOKS = ROOT / "notebooks"
# the orchestrator (the request a developer writes) first, then the sub-Promises in the catalogue's order
PROMISES = [CATALOGUE_PROMISES[-1], *CATALOGUE_PROMISES[:-1]]
EXPECTED = [
    "00-tour.ipynb",
    *(f"{i:02d}-{name}.ipynb" for i, name in enumerate(PROMISES, start=1)),
    "09-new-promise.ipynb",
    "10-troubleshooting.ipynb",
    "11-kubectl.ipynb",
]
OUTLINE = ["Overview", "Prerequisites", "Summary", "Next"]


def _read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def test_the_cookbook_has_the_tour_every_promise_the_tutorial_and_troubleshooting():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_each_notebook_follows_the_outline_and_ends_with_assertions(name):
    nb = _read(name)
    headings = [
        line.lstrip("#").strip()
        for c in nb.cells
        if c.cell_type == "markdown"
        for line in c.source.splitlines()
        if line.startswith("## ")
    ]
    positions = [next((i for i, h in enumerate(headings) if h.startswith(want)), None) for want in OUTLINE]
    assert None not in positions, f"{name}: level-2 headings {headings} lack one of {OUTLINE}"
    assert positions == sorted(positions), f"{name}: outline out of order: {headings}"
    assert len(headings) >= 5, f"{name}: no sections between Prerequisites and Summary"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert "fresh_lab(" in "".join(c.source for c in code), f"{name}: must open its own lab (cookbook.fresh_lab)"
    assert all(c.execution_count is not None for c in code), f"{name}: outputs not stored (make notebooks-refresh)"
    checks = [c for c in code if "assert " in c.source]
    assert checks, f"{name}: no assertion cells"
    assert "assert " in code[-1].source, f"{name}: the last code cell must assert what must be true"
    assert nb.metadata.kernelspec.name == "python3"


def _checked_cell(nb: nbformat.NotebookNode) -> int:
    for i, c in enumerate(nb.cells):
        checked = c.cell_type == "code" and "NBVAL_IGNORE_OUTPUT" not in c.source and "NBVAL_SKIP" not in c.source
        if checked and any("text/plain" in o.get("data", {}) or o.get("output_type") == "stream" for o in c.outputs):
            return i
    raise AssertionError("no checked cell with a stored output")


def _run_nbval(tmp_path, nb: nbformat.NotebookNode) -> subprocess.CompletedProcess[str]:
    nbformat.write(nb, tmp_path / "probe.ipynb")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "--nbval",
            "--nbval-current-env",
            "probe.ipynb",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(NOTEBOOKS), str(ROOT)])},  # the kernel finds cookbook
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("changed", [False, True], ids=["stored-output-kept", "stored-output-changed"])
def test_nbval_fails_when_a_stored_output_of_a_checked_cell_changes(tmp_path, changed):
    """The real notebook, cut after its first checked cell: it passes as stored and fails once its output is edited."""
    nb = _read("03-vcluster-coredns.ipynb")
    i = _checked_cell(nb)
    nb.cells = nb.cells[: i + 1]
    if changed:
        out = next(o for o in nb.cells[i].outputs if "text/plain" in o.get("data", {}) or o.output_type == "stream")
        if out.output_type == "stream":
            out.text = out.text.replace("a", "b", 1) + "tampered\n"
        else:
            out.data["text/plain"] = out.data["text/plain"] + "tampered"
    proc = _run_nbval(tmp_path, nb)
    if changed:
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "tampered" in proc.stdout and "failed" in proc.stdout, proc.stdout
    else:
        assert proc.returncode == 0, proc.stdout + proc.stderr
