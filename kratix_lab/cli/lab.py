"""``lab init|status|reset`` and the lab's clock: ``step``, ``settle``, ``run-for``."""

from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path
from typing import Any

from kratix_lab.cli.common import EXIT_FINDINGS, EXIT_OK, CLIError, _lab_path, _open, _show, add
from kratix_lab.platform.lab import Lab
from kratix_lab.views import lab_view as lv
from kratix_lab.words import plural


def _remove_lab(path: Path) -> str:
    """Delete a lab directory and return its seed: only a recognisable lab (a valid lab.json, the
    lab's parts, nothing else), so ``--force`` never takes other files with it."""
    from kratix_lab.platform.lab import LAB_PARTS, LabError, _read_marker

    marker = path / "lab.json"
    if not marker.is_file():
        raise CLIError(f"{path}: not a lab (no lab.json); refusing to delete it")
    try:
        seed = _read_marker(marker)
    except LabError as e:
        raise CLIError(f"{e}; refusing to delete {path} (delete it by hand if it is yours)") from None
    known = {"lab.json", ".lock", *LAB_PARTS, "store.sqlite-wal", "store.sqlite-shm", "store.sqlite-journal"}
    other = sorted(p.name for p in path.iterdir() if p.name not in known)
    if other:
        raise CLIError(
            f"{path}: holds files that are not part of a lab ({', '.join(other)}); refusing to delete it "
            f"(it would delete them with lab.json, {', '.join(LAB_PARTS)})"
        )
    shutil.rmtree(path)
    return seed


def cmd_lab_init(args: argparse.Namespace) -> int:
    path = _lab_path(args)
    seed = "kratix-lab"
    if (path / "lab.json").exists():
        if not args.force:
            raise CLIError(f"{path}: already a lab (re-create it with `lab init --force` or `lab reset --yes`)")
        seed = _remove_lab(path)
    elif path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise CLIError(f"{path}: exists, is not empty and is not a lab (no lab.json); choose another directory")
    eso = getattr(args, "external_secrets_version", None)
    with Lab(path, create=True, seed=seed, external_secrets_version=eso) as lab:
        print(f"created lab {path} (simulated time {lab.store.now()}, External Secrets {lab.external_secrets_version})")
    return EXIT_OK


def cmd_lab_reset(args: argparse.Namespace) -> int:
    path = _lab_path(args)
    if not (path / "lab.json").is_file():
        what = "not a lab (no lab.json); refusing to delete it" if path.exists() else "no lab here"
        raise CLIError(f"{path}: {what}")
    if not args.yes:
        raise CLIError(f"lab reset deletes {path} and everything in it; re-run with --yes to confirm")
    seed = _remove_lab(path)
    with Lab(path, create=True, seed=seed) as lab:
        print(f"reset lab {path} (simulated time {lab.store.now()})")
    return EXIT_OK


def cmd_lab_status(args: argparse.Namespace) -> int:
    with _open(args, reads_only=True) as lab:
        data = lv.status_data(lab)
    if args.output == "json":
        print(json.dumps(data, indent=2))
    else:
        print(lv.status_text(data), end="")
    return EXIT_OK


def cmd_step(args: argparse.Namespace) -> int:
    if args.count < 1:
        raise CLIError("N must be 1 or more")
    with _open(args) as lab:
        results = [lab.step() for _ in range(args.count)]
    _show(lv.steps_table(results))
    return EXIT_OK


def cmd_settle(args: argparse.Namespace) -> int:
    if args.max_steps < 1:
        raise CLIError("--max-steps must be 1 or more")
    with _open(args) as lab:
        r = lab.settle(max_steps=args.max_steps)
    state = "quiescent" if r.quiescent else "NOT quiescent (raise --max-steps, or look at `events` and `get`)"
    print(f"{plural(r.steps, 'step')}, {plural(r.writes, 'write')}; simulated time {r.time}; {state}")
    return EXIT_OK if r.quiescent else EXIT_FINDINGS


_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_duration(text: str) -> int:
    """``90s``, ``10m``, ``1h30m``, ``2d`` or plain seconds → seconds (more than zero)."""
    t = text.strip()
    if t.isdigit():
        seconds = int(t)
    else:
        m = _DURATION.fullmatch(t)
        if not t or m is None:
            raise CLIError(f"invalid duration {text!r} (examples: 90s, 10m, 1h30m, 2d)")
        d, h, mi, s = (int(g) if g else 0 for g in m.groups())
        seconds = ((d * 24 + h) * 60 + mi) * 60 + s
    if seconds <= 0:
        raise CLIError(f"invalid duration {text!r}: must be more than zero")
    return seconds


def cmd_run_for(args: argparse.Namespace) -> int:
    seconds = parse_duration(args.duration)
    with _open(args) as lab:
        r = lab.run_for(seconds)
    print(
        f"ran {lv.human_duration(seconds)}: {plural(r.steps, 'step')}, {plural(r.writes, 'write')}; "
        f"simulated time {r.time}"
    )
    return EXIT_OK


def register(sub: Any) -> None:
    """``lab init|status|reset``."""
    lab = sub.add_parser("lab", help="create, inspect or reset the embedded lab")
    labsub = lab.add_subparsers(dest="lab_command", required=True, metavar="ACTION")
    p = add(
        labsub,
        "init",
        "create the lab directory (Kratix, the state and gitops repos, Argo CD, the Promises)",
        cmd_lab_init,
    )
    p.add_argument("--force", action="store_true", help="re-create the lab if one is already there")
    p.add_argument(
        "--external-secrets-version",
        metavar="X.Y.Z",
        help="the External Secrets Operator the lab models (default 2.9.0: serves only external-secrets.io/v1; "
        "0.16.x serves v1 and v1beta1; before 0.16 only v1beta1)",
    )
    p = add(labsub, "status", "the lab at a glance: time, requests, Argo CD apps, faults, repo heads", cmd_lab_status)
    p.add_argument("-o", "--output", choices=["text", "json"], default="text")
    p = add(labsub, "reset", "delete the lab (only a directory holding lab.json) and create it afresh", cmd_lab_reset)
    p.add_argument("--yes", action="store_true", help="confirm: everything in the lab is deleted")


def register_clock(sub: Any) -> None:
    """``step``, ``settle``, ``run-for``."""
    p = add(
        sub,
        "step",
        "run N controller rounds (5 simulated seconds each); prints each controller's writes (a round after a quiet one is skipped until something is written or due)",
        cmd_step,
    )
    p.add_argument("count", metavar="N", type=int, nargs="?", default=1)
    p = add(sub, "settle", "step until nothing changes (exit 1 when not quiescent within --max-steps)", cmd_settle)
    p.add_argument("--max-steps", type=int, default=1000, metavar="N")
    p = add(
        sub, "run-for", "let simulated time pass, recurring work included (CronJobs, restarts, retries)", cmd_run_for
    )
    p.add_argument("duration", metavar="DURATION", help="e.g. 90s, 10m, 1h30m")
