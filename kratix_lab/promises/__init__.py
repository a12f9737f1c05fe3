"""The catalogue: the platform's eight Promises, each a folder with ``promise.yaml`` and ``pipeline.py``.

All pipelines ship in one image (``Dockerfile`` here); the container's ``args`` name the Promise.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

CATALOGUE_DIR = Path(__file__).resolve().parent

# Sub-Promises first, the orchestrator last: the order a platform team installs them in.
CATALOGUE_PROMISES = (
    "vcluster-core",
    "vcluster-coredns",
    "vcluster-kubeconfig-sync",
    "vcluster-kubeconfig-external-secret",
    "vcluster-argocd-cluster-registration",
    "argocd-project",
    "argocd-application",
    "vcluster-orchestrator",
)


def promise_path(name: str) -> Path:
    return CATALOGUE_DIR / name.replace("-", "_") / "promise.yaml"


@cache
def load_catalogue():
    """The bundled Promises as a ``Catalogue`` (parsed once per process)."""
    from kratix_lab.catalogue import Catalogue

    return Catalogue.from_paths([promise_path(n) for n in CATALOGUE_PROMISES])
