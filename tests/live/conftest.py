"""Live mode against ``kratix-lab serve``: a lab is served (paused, so nothing moves while both sources
read it) and read through ``LiveSource`` over the real ``kubernetes`` client."""

from __future__ import annotations

import contextlib
from pathlib import Path

from kratix_lab.platform.lab import STATE_URL


@contextlib.contextmanager
def served(lab_dir: Path, kubeconfig: Path):
    from kratix_lab import serve

    run = serve.start(lab_dir, paused=True, kubeconfig=kubeconfig)
    try:
        yield run
    finally:
        run.stop()


def live_source(kubeconfig: Path, lab_dir: Path, cache: Path, timeout: float = 20.0):
    """A LiveSource on the served lab; the lab's state repo URL is cloned from its state.git."""
    from kratix_lab.sources.factory import open_live

    return open_live(
        kubeconfig=kubeconfig, repos={STATE_URL: str(lab_dir / "state.git")}, cache_dir=cache, timeout=timeout
    )


def live_args(kubeconfig: Path, lab_dir: Path, cache: Path) -> list[str]:
    return [
        "--kubeconfig",
        str(kubeconfig),
        "--repo",
        f"{STATE_URL}={lab_dir / 'state.git'}",
        "--cache-dir",
        str(cache),
    ]
