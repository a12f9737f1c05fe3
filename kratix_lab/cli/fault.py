"""``fault list|inject|clear``: the lab's faults (``kratix_lab.platform.faults``)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from kratix_lab.cli.common import EXIT_OK, CLIError, _open, _show, add
from kratix_lab.views import lab_view as lv


def cmd_fault_list(args: argparse.Namespace) -> int:
    with _open(args, reads_only=True) as lab:
        available, active = lab.faults.available(), lab.faults.active()
    if args.output == "json":
        print(json.dumps(lv.faults_data(available, active), indent=2))
    else:
        _show(lv.faults_table(available, active))
    return EXIT_OK


def cmd_fault_inject(args: argparse.Namespace) -> int:
    params: dict[str, str] = {}
    for p in args.params:
        key, sep, value = p.partition("=")
        if not sep or not key:
            raise CLIError(f"{p!r}: expected key=value")
        params[key] = value
    with _open(args) as lab:
        full = lab.faults.inject(args.name, **params)
        symptom = next(f.symptom for f in lab.faults.available() if f.name == args.name)
    shown = ", ".join(f"{k}={v}" for k, v in full.items() if k != "restore")
    print(f"injected {args.name}" + (f" ({shown})" if shown else ""))
    print(f"expect: {symptom}; `kratix-lab settle` or `run-for` lets the platform act", file=sys.stderr)
    return EXIT_OK


def cmd_fault_clear(args: argparse.Namespace) -> int:
    if bool(args.name) == bool(args.all):
        raise CLIError("fault clear takes a fault NAME or --all (not both)")
    with _open(args) as lab:
        if args.all:
            names = list(lab.faults.active())
            lab.faults.clear_all()
            print(f"cleared {', '.join(names)}" if names else "no active faults")
        else:
            lab.faults.clear(args.name)
            print(f"cleared {args.name}")
    return EXIT_OK


def register(sub: Any) -> None:
    """``fault list|inject|clear``."""
    fault = sub.add_parser("fault", help="list, inject or clear the lab's faults")
    faultsub = fault.add_subparsers(dest="fault_command", required=True, metavar="ACTION")
    p = add(faultsub, "list", "every fault: summary, parameters with defaults, active or not", cmd_fault_list)
    p.add_argument("-o", "--output", choices=["table", "json"], default="table")
    p = add(faultsub, "inject", "inject a fault (unknown faults or parameters: exit 2)", cmd_fault_inject)
    p.add_argument("name", metavar="NAME")
    p.add_argument("params", metavar="key=value", nargs="*")
    p = add(faultsub, "clear", "clear an active fault, or all of them", cmd_fault_clear)
    p.add_argument("name", metavar="NAME", nargs="?")
    p.add_argument("--all", action="store_true")
