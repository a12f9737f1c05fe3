"""``serve``: the lab as a Kubernetes API for kubectl and the kubernetes client (``kratix_lab.serve``)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kratix_lab.cli.common import EXIT_OK, CLIError, _lab_path, add


def cmd_serve(args: argparse.Namespace) -> int:
    from kratix_lab import serve  # cryptography and http.server only for this command

    if args.address not in ("127.0.0.1", "localhost", "::1") and not args.allow_remote:
        raise CLIError(
            f"--address {args.address}: serving beyond this machine needs --allow-remote (the token is the only guard)"
        )
    path = _lab_path(args)
    if not (path / "lab.json").exists():
        raise CLIError(f"{path}: no lab here (create one with `kratix-lab lab init`)")
    if args.address not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"warning: serving the lab on {args.address}: anyone who can reach it and has the token can change the lab",
            file=sys.stderr,
        )
    run = serve.start(
        path, address=args.address, port=args.port, kubeconfig=args.kubeconfig, speed=args.speed, paused=args.paused
    )
    clock = "paused (kratix-lab step/settle move it)" if args.paused else f"{args.speed:g} lab seconds per second"

    def announce() -> None:
        print(f"serving {path} at {run.url}; lab clock {clock}; Ctrl-C stops", file=sys.stderr)
        print(f"export KUBECONFIG={run.kubeconfig.resolve()}", flush=True)

    serve.serve_forever(run, announce)
    return EXIT_OK


def register(sub: Any) -> None:
    """``serve``."""
    p = add(sub, "serve", "serve the lab as a Kubernetes API for kubectl and the kubernetes client", cmd_serve)
    p.add_argument("--address", default="127.0.0.1", help="the address to bind (default 127.0.0.1)")
    p.add_argument("--allow-remote", action="store_true", help="allow an --address other than loopback")
    p.add_argument("--port", type=int, default=0, help="the port (default 0: any free port)")
    p.add_argument("--kubeconfig", metavar="FILE", help="where to write the kubeconfig (default DIR/kubeconfig)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--speed", type=float, default=1.0, metavar="X", help="lab seconds per wall second (default 1)")
    g.add_argument("--paused", action="store_true", help="the clock moves only with kratix-lab step/settle")
