"""nbval runs every notebook here as a test; ``11-kubectl`` runs the real kubectl, so where it is not installed
that notebook's cells are skipped, saying so (issue 13)."""

from __future__ import annotations

import shutil

import pytest

NEEDS_KUBECTL = {"11-kubectl.ipynb"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if shutil.which("kubectl"):
        return
    skip = pytest.mark.skip(reason="kubectl is not installed on this machine: 11-kubectl runs the real kubectl")
    for item in items:
        if item.path.name in NEEDS_KUBECTL:
            item.add_marker(skip)
