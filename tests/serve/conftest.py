"""A served lab per test module: ``kratix_lab.serve.start`` on a free port, the lab clock running fast."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed on this machine")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from kratix_lab import serve
    from kratix_lab.platform.lab import Lab

    base = tmp_path_factory.mktemp("serve")
    Lab(base / "lab").close()
    run = serve.start(base / "lab", speed=60.0, kubeconfig=base / "kubeconfig")
    run.cache_dir = base / "kube-cache"  # type: ignore[attr-defined]
    try:
        yield run
    finally:
        run.stop()


@pytest.fixture(scope="module")
def kubectl(served):
    """Run the real kubectl against the served lab: returns CompletedProcess (text)."""
    env = {**os.environ, "KUBECONFIG": str(served.kubeconfig), "KUBECACHEDIR": str(served.cache_dir)}

    def run(
        *args: str, check: bool = True, timeout: float = 120, stdin: str | None = None
    ) -> subprocess.CompletedProcess:
        p = subprocess.run(
            [KUBECTL, *args], env=env, capture_output=True, text=True, timeout=timeout, input=stdin, check=False
        )
        if check and p.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
        return p

    run.env = env  # type: ignore[attr-defined]
    return run


REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "sample_requests"
