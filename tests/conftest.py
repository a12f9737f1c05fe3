"""Shared fixtures."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def catalogue():
    from kratix_lab.promises import load_catalogue

    return load_catalogue()
