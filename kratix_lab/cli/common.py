"""What the command groups share: exit codes and errors, the console, opening the lab or a live cluster
as the command asks, and the arguments several groups add (``--lab``, namespaces, live mode, GitOps writes)."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console

from kratix_lab.catalogue import Catalogue
from kratix_lab.errors import NotFound, UsageError
from kratix_lab.kube.refs import ObjectRef
from kratix_lab.model import namespace_of
from kratix_lab.platform.lab import Lab, default_lab_dir
from kratix_lab.promise import Promise
from kratix_lab.promises import load_catalogue
from kratix_lab.views import lab_view as lv
from kratix_lab.views.literal import LiteralConsole, LiteralStream

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class CLIError(UsageError):
    """Reported as ``error: <message>`` with exit code 2."""


class NotFoundError(NotFound):
    """An object the command names does not exist: printed as is (kubectl's wording), exit code 1."""

    exit_code = EXIT_FINDINGS


def _console() -> Console:
    """The console for rich output: data printed literally (markup off, control characters escaped:
    ``views.literal``), writing to the real stdout (its own colour codes must not be escaped)."""
    out = sys.stdout.inner if isinstance(sys.stdout, LiteralStream) else sys.stdout
    tty = out.isatty()
    return LiteralConsole(
        file=out, highlight=False, soft_wrap=not tty, width=None if tty else 4096
    )  # piped: never crop


def _catalogue(args: argparse.Namespace) -> Catalogue:
    cat = Catalogue(dict(load_catalogue().promises))
    for p in args.promise or []:
        path = Path(p)
        files = sorted(path.rglob("promise.yaml")) if path.is_dir() else [path]
        if not files:
            raise CLIError(f"{path}: no promise.yaml found")
        for f in files:
            promise = Promise.from_file(f)
            if promise.name in cat.promises:
                print(f"note: Promise {promise.name} from {f} replaces the bundled one", file=sys.stderr)
                del cat.promises[promise.name]
            cat.add(promise)
    return cat


# ---- the embedded lab ----------------------------------------------------------------------------


def _lab_path(args: argparse.Namespace) -> Path:
    return Path(args.lab) if getattr(args, "lab", None) else default_lab_dir()


def _open(args: argparse.Namespace, *, reads_only: bool = False) -> Lab:
    """The lab of ``--lab``. A command that only reads (``reads_only``) also works on a lab the user may not
    write: it is then opened read-only (``Lab.open_for_reading``)."""
    path = _lab_path(args)
    if path.exists() and not path.is_dir():
        raise CLIError(f"{path}: not a directory, so not a lab")
    return Lab.open_for_reading(path) if reads_only else Lab(path, create=False)


# ---- live mode (kratix_lab.live): the same commands through a cluster's API -----------------------


def _live(args: argparse.Namespace) -> bool:
    """Live mode: a kubeconfig, a context or the in-cluster config was given (and no --lab)."""
    wanted = bool(
        getattr(args, "context", None) or getattr(args, "kubeconfig", None) or getattr(args, "in_cluster", False)
    )
    if wanted and getattr(args, "lab", None):
        raise CLIError("give --lab DIR (the embedded lab) or --context/--kubeconfig (a cluster), not both")
    return wanted


@contextlib.contextmanager
def _source(args: argparse.Namespace, cached: bool = False) -> Iterator[Any]:
    """The platform the command reads, as a Source: the lab, or a cluster in live mode (read-only; ``cached`` or
    ``--watch``: through the watch cache, each kind listed once — the fleet's commands, which also keep the YAML
    documents of the state repo's files they parse by content, ``kratix_lab.model.doccache``, in the cache directory:
    ``$KRATIX_LAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/kratix-lab``, else ``~/.cache/kratix-lab``)."""
    if not cached:
        yield from _platform(args, cached)
        return
    from kratix_lab.live.repos import default_cache_dir
    from kratix_lab.model import doccache

    doccache.open_cache(default_cache_dir())
    try:
        yield from _platform(args, cached)
    finally:
        doccache.close_cache()  # what this process parsed written (a forked share wrote its own)


def _platform(args: argparse.Namespace, cached: bool) -> Iterator[Any]:
    """``_source``'s platform, opened and closed."""
    if _live(args):
        from kratix_lab.sources.factory import PlatformSettings, open_live_from

        if args.request_timeout <= 0:
            raise CLIError(f"--request-timeout must be a positive number of seconds, got {args.request_timeout}")
        source = open_live_from(PlatformSettings.from_args(args), watch=cached or getattr(args, "watch", False))
        try:
            yield source
        finally:
            stop = getattr(source, "stop", None)
            if stop is not None:
                stop()
        return
    from kratix_lab.sources.lab import LabSource

    with _open(args, reads_only=True) as lab:
        yield LabSource(lab, read_only=True)


def _lab_or_live(args: argparse.Namespace) -> Any:
    """``get``/``describe``: the lab, or in live mode a cluster shaped as the lab views read one."""
    if _live(args):
        from kratix_lab.live.commands import LabShape

        cm = _source(args)
        source = cm.__enter__()
        _platform_line(args, source)
        return LabShape(source)
    return _open(args, reads_only=True)


def _platform_line(args: argparse.Namespace, source: Any) -> None:
    """Live mode's first line: which platform is read (stderr, so -o json stays one JSON document)."""
    if _live(args):
        mode = "read-only" if source.read_only else "writes allowed (--write)"
        print(f"platform: {source.name} (live, {mode})", file=sys.stderr)


def _show(table: lv.TableData) -> None:
    """Rich on a terminal, kubectl's aligned columns when piped."""
    if sys.stdout.isatty():
        _console().print(table.rich())
    else:
        print(table.plain(), end="")


def _find(lab: Lab, kind: lv.Kind, name: str, namespace: str | None) -> list[dict[str, Any]]:
    if not kind.namespaced or namespace:
        obj = lab.store.get(kind.kind, name, namespace if kind.namespaced else None, kind.group)
        return [obj] if obj is not None else []
    return [o for o in lab.store.list(kind.kind, group=kind.group) if o["metadata"]["name"] == name]


def _one(lab: Lab, kind: lv.Kind, name: str, namespace: str | None) -> dict[str, Any]:
    found = _find(lab, kind, name, namespace)
    if not found:
        raise NotFoundError(kind.not_found(name))
    if len(found) > 1:
        spaces = ", ".join(namespace_of(o) or "" for o in found)
        raise CLIError(f'{kind.kind} "{name}" exists in several namespaces ({spaces}); choose one with -n')
    return found[0]


def _refs(args: argparse.Namespace) -> list[ObjectRef]:
    """The objects a command names: ``KIND NAME [NAME…]`` or ``KIND/NAME [KIND/NAME…]`` (kubectl's rules)."""
    return ObjectRef.parse_args(args.refs, args.namespace)


# ---- the arguments several command groups add ----------------------------------------------------------


def lab_flag() -> argparse.ArgumentParser:
    """``--lab`` is also accepted after the command; SUPPRESS keeps a value given before it."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--lab", metavar="DIR", default=argparse.SUPPRESS, help="the lab directory")
    return common


def add(parent: Any, name: str, helptext: str, func: Any, **kw: Any) -> argparse.ArgumentParser:
    """A subcommand of ``parent`` (a subparsers action) that runs ``func`` and takes ``--lab`` after it too."""
    p = parent.add_parser(name, help=helptext, description=helptext, parents=[lab_flag()], **kw)
    p.set_defaults(func=func)
    return p


def add_namespace(p: argparse.ArgumentParser, all_namespaces: bool = False) -> None:
    """``-n`` (with ``all_namespaces``: ``-n`` or ``-A``, listing every namespace by default)."""
    if all_namespaces:
        g = p.add_mutually_exclusive_group()
        g.add_argument("-n", "--namespace", help="only this namespace (default: all, with a NAMESPACE column)")
        g.add_argument("-A", "--all-namespaces", action="store_true", help="every namespace")
    else:
        p.add_argument("-n", "--namespace", help="the object's namespace (needed only when the name is ambiguous)")


def add_live(p: argparse.ArgumentParser) -> None:
    """Live mode's flags: a cluster instead of the lab (``_live``, ``_source``)."""
    g = p.add_argument_group("live mode (a cluster instead of the lab; read-only)")
    g.add_argument("--context", metavar="NAME", help="read this kubeconfig context's cluster (live mode)")
    g.add_argument("--kubeconfig", metavar="FILE", help="the kubeconfig (default $KUBECONFIG, ~/.kube/config)")
    g.add_argument("--in-cluster", action="store_true", help="use the pod's service account (live mode)")
    g.add_argument(
        "--repo",
        action="append",
        metavar="URL=PATH_OR_URL",
        help="clone the state repo URL from PATH_OR_URL instead (a mirror, or a served lab's state.git)",
    )
    g.add_argument("--cache-dir", metavar="DIR", help="where state-repo clones live (default ~/.cache/kratix-lab)")
    g.add_argument(
        "--request-timeout", type=float, default=30.0, metavar="SECONDS", help="per API request (default 30)"
    )


def add_gitops(p: argparse.ArgumentParser) -> None:
    """Live mode's write flags: ``--write`` and the gitops repo a write commits to (``requests._gitops_repo``)."""
    g = p.add_argument_group("live mode writes (GitOps: commit and push to the gitops repo)")
    g.add_argument("--write", action="store_true", help="allow this write (live mode is read-only)")
    g.add_argument("--gitops-repo", metavar="URL", help="the repo Argo CD syncs the requests from")
    g.add_argument("--gitops-branch", default="main", metavar="BRANCH", help="default main")
    g.add_argument("--gitops-path", default="platform/vclusters", metavar="DIR", help="default platform/vclusters")


def add_refs(p: argparse.ArgumentParser) -> None:
    """The objects a command names (``_refs``)."""
    p.add_argument(
        "refs",
        metavar="KIND NAME [NAME…] | KIND/NAME [KIND/NAME…]",
        nargs="+",
        help="e.g. vco media, or vco/media pod/x (not mixed, as in kubectl)",
    )


def parent(add_args: Any) -> argparse.ArgumentParser:
    """A parser holding only what ``add_args`` adds: a ``parents=`` entry (the front ends' commands take them)."""
    p = argparse.ArgumentParser(add_help=False)
    add_args(p)
    return p
