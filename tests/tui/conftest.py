"""Fixtures for the dashboard's tests: a settled lab with the sample vClusters, and an app factory.

``sample_lab_path`` is the lab to reuse (the create screen's tests may too): ``media`` (prod) and
``sandbox`` (dev, from ``dev.yaml``), settled once per session and copied for each test.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers import SAMPLES


@pytest.fixture(autouse=True)
def fleet_batches_of_a_known_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """The dashboard's fleet reads compute every row due at once here (``FleetReader``: batches sized by the worker's
    time per row would make how many rows one ``screen.load()`` brings depend on the machine's load); the streaming
    tests (test_dashboard_stream.py) choose their own sizes."""
    from tui.jobs import FleetReader

    monkeypatch.setattr(FleetReader, "BATCH_SECONDS", None)
    monkeypatch.setattr(FleetReader, "BATCH", 10_000)


@pytest.fixture(scope="session")
def sample_lab_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """media.yaml and dev.yaml submitted and settled once per session (per xdist worker)."""
    from kratix_lab.platform.lab import Lab

    path = tmp_path_factory.mktemp("sample-template") / "lab"
    with Lab(path) as lab:
        lab.submit(SAMPLES / "media.yaml")
        lab.submit(SAMPLES / "dev.yaml")
        assert lab.settle().quiescent
    return path


@pytest.fixture
def sample_lab_path(sample_lab_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the settled sample lab (a copied lab pushes to its own state remote)."""
    path = tmp_path / "lab"
    shutil.copytree(sample_lab_template, path)
    return path


@pytest.fixture
def make_app(sample_lab_path: Path) -> Iterator[Callable[..., object]]:
    """``make_app(read_only=False, play=False, workers="thread", refresh_every=0, **kw)``: a KratixLabApp
    on the sample lab. The clock is paused unless asked (tests step explicitly), screens refresh when
    the tests say so (and after each step) rather than every second, animations are off, and the
    reader and the clock are threads (cheaper to start than the processes the dashboard uses; one test
    runs those); they are closed and joined afterwards."""
    from tui.app import KratixLabApp

    apps: list[KratixLabApp] = []

    def make(
        *,
        read_only: bool = False,
        play: bool = False,
        workers: str = "thread",
        refresh_every: float = 0,
        **kwargs: object,
    ) -> KratixLabApp:
        app = KratixLabApp(
            sample_lab_path, read_only=read_only, play=play, workers=workers, refresh_every=refresh_every, **kwargs
        )  # type: ignore[arg-type]
        app.animation_level = "none"  # no tab underline glides to wait for
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close_workers(wait=True)
