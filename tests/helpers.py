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


# The validator as a script, started as every kratix-lab process starts (kratix_lab.startup): rfc3987-syntax hidden,
# saving 2-6 s of grammar compiling per run. Its output is the same: that package only backs jsonschema's "iri" and
# "iri-reference" format checkers, and the validator checks no formats (Draft7Validator without a format checker;
# kubernetes-validate passes none).
_AS_SCRIPT = (
    "import runpy, sys; from kratix_lab.startup import skip_slow_optional_imports; skip_slow_optional_imports(); "
    "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)


def run_validator(*paths: Path) -> subprocess.CompletedProcess:
    """Run the shared upstream-schema validator with the catalogue's Promises registered."""
    return subprocess.run(
        [sys.executable, "-c", _AS_SCRIPT, str(VALIDATOR), "--promises", str(CATALOGUE_DIR), *map(str, paths)],
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
