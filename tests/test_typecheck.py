"""The type checker of `make test` (mypy, strict on the seam: pyproject.toml [tool.mypy]) passes, and the
package ships py.typed so users of kratix_lab get its types."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_py_typed_is_shipped():
    assert (ROOT / "kratix_lab" / "py.typed").is_file()
    assert '"kratix_lab" = ["py.typed"]' in (ROOT / "pyproject.toml").read_text()


def test_mypy_strict_on_the_seam():
    pytest.importorskip("mypy")
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Success" in run.stdout
