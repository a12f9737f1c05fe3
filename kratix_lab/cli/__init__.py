"""The ``kratix-lab`` command: the platform engineer's front end (thin: logic lives in the package).

Each command group is a module that registers its own subcommands (``register(sub)``); this module builds
the parser from them, in the order ``--help`` lists the commands, and runs one command:

- ``catalogue``: promises, explain, validate, render (no lab needed)
- ``lab``: lab init|status|reset, and the clock: step, settle, run-for
- ``requests``: apply, submit, delete, reconcile (live: through the gitops repo)
- ``trace``: trace, diagnose; ``status``: status (-w)
- ``kubectl``: get, describe, logs, events
- ``live``: doctor; ``serve``: serve; ``fault``: fault list|inject|clear; ``repo``: repo log|show|files
- ``common``: what they share (exit codes, errors, the console, opening the lab or a cluster, shared arguments)

Front ends (the Textual dashboard) add theirs through the ``kratix_lab.commands`` entry points.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kratix_lab import __version__
from kratix_lab.cli import catalogue, fault, kubectl, lab, live, repo, requests, serve, status, trace
from kratix_lab.cli.common import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    CLIError,
    NotFoundError,
    add_gitops,
    add_live,
    lab_flag,
    parent,
)
from kratix_lab.cli.lab import parse_duration
from kratix_lab.errors import EXIT_BUG, KratixLabError
from kratix_lab.startup import skip_slow_optional_imports, tune_gc
from kratix_lab.views.literal import LiteralStream

EPILOG = """\
exit codes:
  0  fine
  1  the platform said no: a request refused by the API server (admission; its message is
     printed), an object that does not exist (NotFound), a lab that did not settle, a failing
     pipeline (render), a write that lost a race (Conflict); diagnose's findings; status and
     diagnose --all when any vCluster is not Healthy
  2  the command could not run: bad arguments, an unreadable file, an unknown kind, fault,
     fault parameter or revision, no lab at --lab, a request trace/diagnose finds nowhere (with
     the closest names), or any other lab failure

The lab commands work on the lab directory given by --lab (default: $KRATIX_LAB_DIR, else
~/.local/share/kratix-lab/default); create it with `kratix-lab lab init`.
"""


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The command line's parser; the front ends' commands (``_add_front_ends``) only when ``argv`` (else the
    process's arguments) does not name a command of kratix_lab's own: finding them imports ``importlib.metadata`` and
    reads every installed package's entry points (0.08 s of every command's start, issue 15)."""
    own = _parser(front_ends=False)
    given = _command_of(sys.argv[1:] if argv is None else argv)
    sub = next(a for a in own._actions if isinstance(a, argparse._SubParsersAction))
    return own if given in sub.choices else _parser(front_ends=True)


def _command_of(tokens: list[str]) -> str | None:
    """The command ``tokens`` name (the first that is neither an option nor the value of ``--promise``/``--lab``, or of
    an abbreviation of theirs, as argparse reads them); None without one (``--help``)."""
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == "--":
            return tokens[i + 1] if i + 1 < len(tokens) else None
        if token.startswith("-"):
            takes = len(token) > 2 and "=" not in token and any(o.startswith(token) for o in ("--promise", "--lab"))
            i += 2 if takes else 1
            continue
        return token
    return None


def _parser(front_ends: bool) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="kratix-lab",
        description="Render, run and trace the Kratix request road: Promises, pipelines, state repo, Argo CD, Helm, pods.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--version", action="version", version=f"kratix-lab {__version__}")
    ap.add_argument(
        "--promise",
        action="append",
        metavar="PATH",
        help="extra Promise file or directory (searched for promise.yaml) besides the bundled catalogue",
    )
    ap.add_argument(
        "--lab",
        metavar="DIR",
        help="the lab directory (default: $KRATIX_LAB_DIR, else ~/.local/share/kratix-lab/default)",
    )
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    # each group adds its own subcommands; this order is the one --help lists them in
    catalogue.register(sub)
    if front_ends:
        _add_front_ends(sub, [lab_flag(), parent(add_live), parent(add_gitops)])
    lab.register(sub)
    requests.register(sub)
    trace.register(sub)
    status.register(sub)
    live.register(sub)
    requests.register_reconcile(sub)
    kubectl.register(sub)
    lab.register_clock(sub)
    serve.register(sub)
    fault.register(sub)
    repo.register(sub)
    return ap


def _add_front_ends(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Front ends (the Textual dashboard) add their own commands through the ``kratix_lab.commands``
    entry point group, so kratix_lab never imports them: ``register(subparsers, parents)`` — ``parents``:
    ``--lab``, then live mode's flags and its GitOps write flags (the same as the other live commands')."""
    from importlib.metadata import entry_points

    for ep in sorted(entry_points(group="kratix_lab.commands"), key=lambda e: e.name):
        ep.load()(sub, parents)


def main(argv: list[str] | None = None) -> int:
    """Run one command; the exit code follows the error's class (``kratix_lab.errors``).

    0 ok; 1 refused or findings (admission, conflicts, kubectl's NotFound of a named object);
    2 usage, not found, invalid input, cannot run. Any other exception is a bug: its traceback is
    printed with a request to report it, and the exit code is 70 (EX_SOFTWARE).
    """
    skip_slow_optional_imports()
    args = build_parser(argv).parse_args(argv)
    if getattr(args, "owns_terminal", False):  # the dashboard draws the screen itself (its workers tune_gc)
        return _run(args)
    tune_gc()
    # Everything else prints data from objects and repos: control characters in it are escaped, never sent to
    # the terminal (issue 18 item 11; views/literal.py).
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = LiteralStream(out), LiteralStream(err)
    try:
        code = _run(args)
    finally:
        sys.stdout, sys.stderr = out, err
    if argv is None and getattr(args, "ends_the_process", False):
        _end_now(code)
    return code


def _end_now(code: int) -> None:
    """End the process as soon as a one-shot command (``status``, ``diagnose``: ``ends_the_process``) is done, run
    from the command line (``argv`` None; a caller of ``main([...])`` gets the code back): the output flushed, the
    other non-daemon threads joined and the exit handlers run (the document cache's writes, the forked processes'
    ends) as at a normal exit, then ``os._exit`` — without Python's finalization freeing what a fleet's rows read
    one object at a time (a cold ``status`` of 1,000 vClusters holds hundreds of megabytes of parsed objects:
    0.3-1 s of its wall time, issue 15; mypy ends the same way)."""
    import atexit
    import contextlib
    import os
    import threading

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # (a pipe closed by the reader: nothing more to say)
            stream.flush()
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    os._exit(code)


def _run(args: argparse.Namespace) -> int:
    try:
        return args.func(args)
    except NotFoundError as e:
        print(e, file=sys.stderr)
        return e.exit_code
    except KratixLabError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except OSError as e:  # a damaged, unwritable or full lab or output: one line naming the path
        where = f"{e.filename}: " if e.filename else ""
        print(f"error: {where}{e.strerror or e}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as e:
        import traceback

        traceback.print_exc(file=sys.stderr)
        print(
            f"error: internal error ({type(e).__name__}: {e}); this is a kratix-lab bug: please report it "
            "with the command you ran and the traceback above",
            file=sys.stderr,
        )
        return EXIT_BUG


__all__ = [
    "EXIT_ERROR",
    "EXIT_FINDINGS",
    "EXIT_OK",
    "CLIError",
    "NotFoundError",
    "build_parser",
    "main",
    "parse_duration",
]
