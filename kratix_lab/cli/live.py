"""``doctor``: live mode's checks against a cluster (``kratix_lab.live.doctor``)."""

from __future__ import annotations

import argparse
from typing import Any

from kratix_lab.cli.common import EXIT_FINDINGS, EXIT_OK, CLIError, add, add_live


def cmd_doctor(args: argparse.Namespace) -> int:
    """Live mode's checks (kratix_lab.live.doctor): always a cluster (the current context by default)."""
    from kratix_lab.live.doctor import report
    from kratix_lab.live.repos import parse_overrides
    from kratix_lab.sources.factory import open_live

    if getattr(args, "lab", None):
        raise CLIError("doctor checks a cluster for live mode; --lab is not used")
    if args.request_timeout <= 0:
        raise CLIError(f"--request-timeout must be a positive number of seconds, got {args.request_timeout}")
    source = open_live(
        context=args.context,
        kubeconfig=args.kubeconfig,
        in_cluster=args.in_cluster,
        repos=parse_overrides(args.repo),
        cache_dir=args.cache_dir,
        timeout=args.request_timeout,
    )
    text, ok = report(source)  # type: ignore[arg-type]
    print(text, end="")
    return EXIT_OK if ok else EXIT_FINDINGS


def register(sub: Any) -> None:
    """``doctor``."""
    p = add(
        sub,
        "doctor",
        "live mode's checks: connectivity, served kinds, RBAC, state repo; prints the read-only ClusterRole",
        cmd_doctor,
    )
    add_live(p)
