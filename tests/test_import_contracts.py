"""The import contracts (pyproject.toml [tool.importlinter]) hold, and they bite: a copy of the package whose
trace.py imports kratix_lab.platform fails lint-imports; so does one whose dashboard (tui) or create form
(kratix_lab.forms) loads the lab, directly or through a module that does (only the composition root
kratix_lab.sources.factory may)."""

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
    assert "Contracts: 15 kept, 0 broken." in ok.stdout
    trace = src / "kratix_lab" / "trace" / "__init__.py"
    trace.write_text(trace.read_text() + "\nfrom kratix_lab.platform.lab import Lab  # noqa: E402\n")
    bad = _lint(src)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "kratix_lab.trace is not allowed to import kratix_lab.platform" in bad.stdout
    assert "BROKEN" in bad.stdout


def test_the_dashboard_and_the_form_loading_the_lab_break_the_contract(tmp_path):
    """tui and kratix_lab.forms reach a platform only through Source + Actions (issue 10): a job importing the
    lab, a screen importing LabSource (which loads the lab), or the form importing it at run time is refused."""
    src = _copy(tmp_path)
    jobs = src / "tui" / "jobs.py"
    jobs.write_text(jobs.read_text() + "\nfrom kratix_lab.platform.lab import Lab  # noqa: E402\n")
    screen = src / "tui" / "screens" / "object_pages.py"
    screen.write_text(screen.read_text() + "\nfrom kratix_lab.sources.lab import LabSource  # noqa: E402\n")
    form = src / "kratix_lab" / "forms" / "__init__.py"
    form.write_text(
        form.read_text() + "\n\ndef _lab():\n    from kratix_lab.platform.lab import Lab\n\n    return Lab\n"
    )
    bad = _lint(src)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    out = " ".join(bad.stdout.split())
    assert "the dashboard (tui) and the create form (kratix_lab.forms) never import the lab" in out
    assert "kratix_lab.forms is not allowed to import kratix_lab.platform" in out
    assert "tui is not allowed to import kratix_lab.platform" in out
    assert "- tui.jobs -> kratix_lab.platform.lab" in out
    assert "- tui.screens.object_pages -> kratix_lab.sources.lab" in out  # indirect: LabSource loads the lab
    assert "Contracts: 14 kept, 1 broken." in out


def test_the_recorded_source_and_the_faults_loading_the_lab_break_the_contracts(tmp_path):
    """The recorded source replays with no lab behind it (tests/test_sources.py), and Faults work over the Store
    (issue 10 item 5): either importing kratix_lab.platform.lab is refused."""
    src = _copy(tmp_path)
    for module in (("sources", "recorded.py"), ("platform", "faults.py")):
        path = src.joinpath("kratix_lab", *module)
        path.write_text(path.read_text() + "\nfrom kratix_lab.platform.lab import Lab  # noqa: E402\n")
    out = " ".join(_lint(src).stdout.split())
    assert "kratix_lab.sources.recorded is not allowed to import kratix_lab.platform" in out
    assert "kratix_lab.platform.faults is not allowed to import kratix_lab.platform.lab" in out
    assert "Contracts: 13 kept, 2 broken." in out


def test_the_fleet_modules_importing_upwards_break_their_layers(tmp_path):
    """The fleet package's modules import only those below them (rows > parallel | index | feeds > deps > proxies >
    track): the tracked facts importing the recorder, or the index importing the stream, is refused."""
    src = _copy(tmp_path)
    for module, line in (
        ("track.py", "from kratix_lab.fleet.deps import Deps  # noqa: E402"),
        ("index.py", "from kratix_lab.fleet.parallel import _Stream  # noqa: E402"),
    ):
        path = src / "kratix_lab" / "fleet" / module
        path.write_text(path.read_text() + f"\n{line}\n")
    out = " ".join(_lint(src).stdout.split())
    assert "fleet: rows > parallel, index, feeds > deps > proxies > track BROKEN" in out
    assert "kratix_lab.fleet.track -> kratix_lab.fleet.deps" in out
    assert "kratix_lab.fleet.index -> kratix_lab.fleet.parallel" in out
    assert "Contracts: 14 kept, 1 broken." in out
