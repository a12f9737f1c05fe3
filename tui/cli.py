"""`kratix-lab tui`: registered through the ``kratix_lab.commands`` entry point (see pyproject.toml)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "tui",
        parents=parents,
        help="the SRE dashboard: every vCluster's road, trace, diagnose, create, reconcile, delete",
        description=(
            "Open the Textual dashboard on the lab (press ? inside for the keys) — or, with --context/--kubeconfig, "
            "on a cluster (live mode: read-only unless --write; create and delete commit to the gitops repo)."
        ),
    )
    p.add_argument("--read-only", action="store_true", help="hide every action that changes the platform")
    p.set_defaults(func=run, owns_terminal=True)


def run(args: argparse.Namespace) -> int:
    # Textual is imported only when the dashboard is asked for.
    from tui.app import main

    return main(args)
