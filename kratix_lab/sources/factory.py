"""The composition root: where a platform is opened as a ``Source``.

Kept out of ``kratix_lab/sources/__init__.py`` so that trace and diagnose, which import the protocol,
never load the lab (the import contract in pyproject.toml).
"""

from __future__ import annotations

import os
from pathlib import Path

from kratix_lab.sources import Source


def open(lab: str | os.PathLike[str], *, read_only: bool = False, create: bool = False) -> Source:
    """The composition root: a ``Source`` for a platform. Today a lab directory (``LabSource``); a live
    cluster's source joins here later. Front ends that must stay platform-agnostic open sources through
    this function and never import ``kratix_lab.platform`` themselves (import-linter enforces it)."""
    from kratix_lab.platform.lab import Lab
    from kratix_lab.sources.lab import LabSource

    return LabSource(Lab(Path(lab), create=create), read_only=read_only)


def open_live(
    *,
    context: str | None = None,
    kubeconfig: str | os.PathLike[str] | None = None,
    in_cluster: bool = False,
    repos: dict[str, str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    timeout: float = 30.0,
    write: bool = False,
    watch: bool = False,
) -> Source:
    """A live cluster as a ``Source`` (``kratix_lab.live.source.LiveSource``, read-only unless ``write``): a kubeconfig
    context (the current one when None) or the in-cluster config; ``repos`` maps a state-repo URL to
    where to clone it from; ``watch``: a ``CachedSource`` (one watch per kind, started; ``stop()`` it). Raises
    ``kratix_lab.live.kube.LiveError`` naming what is wrong."""
    from kratix_lab.live.kube import Kube, load
    from kratix_lab.live.repos import StateRepos
    from kratix_lab.live.source import LiveSource

    api, target = load(kubeconfig=kubeconfig, context=context, in_cluster=in_cluster)
    if watch:  # list once, then watch (kratix_lab.live.cache): for commands that keep reading
        from kratix_lab.live.cache import CachedSource

        kube = Kube(api, target, timeout=timeout)
        return CachedSource(kube, StateRepos(cache_dir, repos), read_only=not write).start()
    return LiveSource(Kube(api, target, timeout=timeout), StateRepos(cache_dir, repos), read_only=not write)
