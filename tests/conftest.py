"""Shared fixtures."""

from __future__ import annotations

import shutil

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
