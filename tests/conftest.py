"""Shared fixtures."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from kratix_lab.startup import skip_slow_optional_imports
from tests import suite_order
from tests.helpers import SAMPLES

skip_slow_optional_imports()  # seconds per xdist worker otherwise (kratix_lab.startup says why)
# the fleet's commands keep parsed YAML in the cache directory (kratix_lab.model.doccache): a test run's own, never
# the user's (inherited by the commands tests run as processes)
os.environ["KRATIX_LAB_CACHE_DIR"] = tempfile.mkdtemp(prefix="kratix-lab-test-cache-")


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


# ---- the slowest files first (tests/suite_order.py says why and how) -----------------------------------------------
_spent: dict[str, float] = {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items[:] = suite_order.slowest_first(items, suite_order.read_durations())


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if os.environ.get(suite_order.RECORD_ENV):
        path = suite_order.file_of(report.nodeid)
        _spent[path] = _spent.get(path, 0.0) + report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not os.environ.get(suite_order.RECORD_ENV) or hasattr(session.config, "workerinput") or not _spent:
        return  # an xdist worker's reports reach the controller, which writes
    suite_order.write_durations(suite_order.merged(suite_order.read_durations(), _spent))


@pytest.fixture
def counted_renders(monkeypatch) -> list[str]:
    """The releases the modelled `helm template` renders from now on (``platform.helm.render._render_chart``), in
    order: what a cache of renders saved is what is not in it."""
    from kratix_lab.platform.helm import render

    made: list[str] = []
    real = render._render_chart

    def counting(source, *args):
        made.append(source.release_name)
        return real(source, *args)

    monkeypatch.setattr(render, "_render_chart", counting)
    return made
