"""Paths and helpers shared by the tests (imported as ``tests.helpers``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SAMPLES = ROOT / "sample_requests"
VALIDATOR = SHARED / "checks" / "validate_manifests.py"
CATALOGUE_DIR = ROOT / "kratix_lab" / "promises"

needs_shared = pytest.mark.skipif(
    not VALIDATOR.exists(), reason=f"{SHARED} is absent: the upstream schemas and validator live there"
)


def run_validator(*paths: Path) -> subprocess.CompletedProcess:
    """Run the shared upstream-schema validator with the catalogue's Promises registered."""
    return subprocess.run(
        [sys.executable, str(VALIDATOR), "--promises", str(CATALOGUE_DIR), *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )


# The orchestrator's seven sub-requests (the seed's six plus ArgocdProject).
SUB_KINDS = [
    "VClusterCore",
    "VClusterCoreDNS",
    "VClusterKubeconfigSync",
    "VClusterKubeconfigExternalSecret",
    "VClusterArgocdClusterRegistration",
    "ArgocdProject",
    "ArgocdApplication",
]
