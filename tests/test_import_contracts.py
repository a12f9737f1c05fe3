"""The import contracts (pyproject.toml [tool.importlinter]) hold, and they bite: a copy of the package whose
trace.py imports kratix_lab.platform fails lint-imports."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# lint-imports on a copy of the sources: the editable install's finder is removed so `kratix_lab` is the copy's.
_RUN = """
import sys
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in type(f).__module__ + getattr(f, "__name__", "")]
sys.path.insert(0, sys.argv[1])
for name in [m for m in sys.modules if m == "kratix_lab" or m.startswith(("kratix_lab.", "tui"))]:
    del sys.modules[name]
from importlinter.cli import lint_imports_command
lint_imports_command(["--config", sys.argv[1] + "/pyproject.toml", "--no-cache"])
"""


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _RUN, str(root)], cwd=root, capture_output=True, text=True, timeout=300, check=False
    )


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for pkg in ("kratix_lab", "tui"):
        shutil.copytree(ROOT / pkg, dst / pkg, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", dst / "pyproject.toml")
    return dst


def test_contracts_are_kept_and_a_trace_importing_the_lab_breaks_them(tmp_path):
    src = _copy(tmp_path)
    ok = _lint(src)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Contracts: 7 kept, 0 broken." in ok.stdout
    trace = src / "kratix_lab" / "trace.py"
    trace.write_text(trace.read_text() + "\nfrom kratix_lab.platform.lab import Lab  # noqa: E402\n")
    bad = _lint(src)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "kratix_lab.trace is not allowed to import kratix_lab.platform" in bad.stdout
    assert "BROKEN" in bad.stdout
