"""The composition root: where a platform is opened as a ``Source``.

Kept out of ``kratix_lab/sources/__init__.py`` so that trace and diagnose, which import the protocol,
never load the lab (the import contract in pyproject.toml).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kratix_lab.sources import Platform, Source


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


@dataclass(frozen=True)
class PlatformSettings:
    """How to open a platform, as plain (picklable) values: a worker process opens its own from these.

    ``lab``: a lab directory; else live mode — ``context``/``kubeconfig`` (or ``in_cluster``), ``repos``
    (state/gitops repo URL → where to clone it from), ``cache_dir``, ``timeout`` (per API request),
    ``write`` (live writes allowed) and where GitOps writes commit (``gitops_*``, as ``submit`` takes them);
    ``watch``: read through the watch cache (``CachedSource``: each kind listed once, then watched; its events are the
    change feed of ``kratix_lab.fleet``) — for a reader that keeps reading, as the dashboard's fleet worker;
    ``compact``: a lab keeps its parsed objects' equal parts once (``Store.keep_compact``) — for a process that holds
    a whole lab for long, as the dashboard's clock (a third of the memory, a fifth more CPU a body decoded);
    ``kept_from``: a lab keeps parsed only the bodies of that many bytes of JSON or more (``Store.keep_big_only``) —
    for a process that reads each object seldom, as the dashboard's fleet worker.
    """

    lab: str | None = None
    context: str | None = None
    kubeconfig: str | None = None
    in_cluster: bool = False
    repos: tuple[tuple[str, str], ...] = ()
    cache_dir: str | None = None
    timeout: float = 30.0
    write: bool = False
    gitops_repo: str | None = None
    gitops_branch: str = "main"
    gitops_path: str = "platform/vclusters"
    watch: bool = False
    compact: bool = False
    kept_from: int = 0

    @property
    def live(self) -> bool:
        return self.lab is None

    @classmethod
    def from_args(cls, args: Any, default_lab: str | os.PathLike[str] | None = None) -> PlatformSettings:
        """From the CLI's flags (``--lab``, or live mode's ``--context``/``--kubeconfig``/``--in-cluster``,
        ``--repo``, ``--cache-dir``, ``--request-timeout``, ``--write``, ``--gitops-*``). Without live flags,
        the lab of ``--lab`` or ``default_lab`` (the default lab directory when None). Raises ``UsageError`` for a bad combination."""
        from kratix_lab.errors import UsageError

        live = bool(
            getattr(args, "context", None) or getattr(args, "kubeconfig", None) or getattr(args, "in_cluster", False)
        )
        lab = getattr(args, "lab", None)
        if live and lab:
            raise UsageError("give --lab DIR (the embedded lab) or --context/--kubeconfig (a cluster), not both")
        if not live:
            if getattr(args, "write", False):
                raise UsageError("--write is for live mode (--context/--kubeconfig); the lab is writable already")
            if not lab and default_lab is None:
                from kratix_lab.platform.lab import default_lab_dir

                default_lab = default_lab_dir()
            return cls(lab=str(lab or default_lab))
        from kratix_lab.live.repos import parse_overrides

        timeout = float(getattr(args, "request_timeout", 30.0))
        if timeout <= 0:
            raise UsageError(f"--request-timeout must be a positive number of seconds, got {timeout:g}")
        return cls(
            context=getattr(args, "context", None),
            kubeconfig=str(args.kubeconfig) if getattr(args, "kubeconfig", None) else None,
            in_cluster=bool(getattr(args, "in_cluster", False)),
            repos=tuple(parse_overrides(getattr(args, "repo", None)).items()),
            cache_dir=str(args.cache_dir) if getattr(args, "cache_dir", None) else None,
            timeout=timeout,
            write=bool(getattr(args, "write", False)),
            gitops_repo=getattr(args, "gitops_repo", None),
            gitops_branch=getattr(args, "gitops_branch", None) or "main",
            gitops_path=getattr(args, "gitops_path", None) or "platform/vclusters",
        )


def open_live_from(settings: PlatformSettings, *, read_only: bool = False, watch: bool = False) -> Source:
    """The cluster ``settings`` name, as ``open_live`` opens it (writable only with ``settings.write`` and not
    ``read_only``; ``watch``: through the watch cache)."""
    return open_live(
        context=settings.context,
        kubeconfig=settings.kubeconfig,
        in_cluster=settings.in_cluster,
        repos=dict(settings.repos),
        cache_dir=settings.cache_dir,
        timeout=settings.timeout,
        write=settings.write and not read_only,
        watch=watch,
    )


def open_platform(settings: PlatformSettings, *, read_only: bool = False) -> Platform:
    """The composition root for front ends: a ``Platform`` (its ``Source`` and ``Actions``) from settings.

    A lab directory opens as the lab (read-only: ``Lab.open_for_reading``, every write refused); a live
    cluster as ``LiveSource`` + ``LiveActions``, writable only with ``settings.write`` and not ``read_only``.
    Raises the lab's or the cluster's error naming what is wrong (a missing lab, a bad kubeconfig …). With
    ``settings.watch`` the source is a started ``CachedSource``: whoever closes the platform ``stop()``s it."""
    if not settings.live:
        from kratix_lab.platform.lab import Lab
        from kratix_lab.sources.lab import lab_platform

        path = Path(str(settings.lab))
        lab = Lab.open_for_reading(path) if read_only else Lab(path, create=False)
        if settings.compact:
            lab.store.keep_compact()
        if settings.kept_from:
            lab.store.keep_big_only(settings.kept_from)
        return lab_platform(lab, read_only=read_only)
    from kratix_lab.live.actions import GitOpsSettings, LiveActions

    source = open_live_from(settings, read_only=read_only, watch=settings.watch)
    gitops = GitOpsSettings(
        settings.gitops_repo, settings.gitops_branch, settings.gitops_path, settings.repos, settings.cache_dir
    )
    return Platform(source, LiveActions(source, gitops))  # type: ignore[arg-type]
