"""Shared fixtures."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from kratix_lab.startup import skip_slow_optional_imports
from tests.helpers import SAMPLES

skip_slow_optional_imports()  # seconds per xdist worker otherwise (kratix_lab.startup says why)


@pytest.fixture(scope="session")
def catalogue():
    from kratix_lab.promises import load_catalogue

    return load_catalogue()


@pytest.fixture(scope="module")
def dev_lab_template(tmp_path_factory):
    """A lab with the dev-preset vCluster settled once per module; tests get their own copy."""
    from kratix_lab.platform.lab import Lab

    path = tmp_path_factory.mktemp("template") / "lab"
    lab = Lab(path)
    lab.submit(SAMPLES / "dev.yaml")
    assert lab.settle().quiescent
    lab.close()
    return path


@pytest.fixture
def lab(dev_lab_template, tmp_path):
    """A fresh copy of the settled dev lab (a copied lab pushes to its own state remote)."""
    from kratix_lab.platform.lab import Lab

    shutil.copytree(dev_lab_template, tmp_path / "lab")
    lab = Lab(tmp_path / "lab", create=False)
    yield lab
    lab.close()


# ---- the slowest files first -------------------------------------------------------------------------------------
# `pytest -n 2` hands out whole files (`--dist loadfile`) in collection order (`--no-loadscope-reorder`, pyproject):
# the files that took longest start first and the short ones fill the end, so no worker is left alone with a long
# file at the end (longest-processing-time-first). tests/durations.json holds each file's seconds (setup, call and
# teardown of its tests, summed); refresh it with `KRATIX_LAB_RECORD_DURATIONS=1 make test` (a run of some files
# updates theirs). Files it does not name keep their order, after the ones it does.
DURATIONS = Path(__file__).with_name("durations.json")
RECORD_ENV = "KRATIX_LAB_RECORD_DURATIONS"
_spent: dict[str, float] = {}


def _file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def _recorded() -> dict[str, float]:
    try:
        return {str(k): float(v) for k, v in json.loads(DURATIONS.read_text()).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    seconds = _recorded()
    items.sort(key=lambda item: -seconds.get(_file_of(item.nodeid), 0.0))  # stable: a file's own order is kept


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if os.environ.get(RECORD_ENV):
        _spent[_file_of(report.nodeid)] = _spent.get(_file_of(report.nodeid), 0.0) + report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not os.environ.get(RECORD_ENV) or hasattr(session.config, "workerinput") or not _spent:
        return  # an xdist worker's reports reach the controller, which writes
    seconds = {**_recorded(), **{path: round(s, 1) for path, s in _spent.items()}}
    DURATIONS.write_text(json.dumps(dict(sorted(seconds.items(), key=lambda kv: (-kv[1], kv[0]))), indent=1) + "\n")
