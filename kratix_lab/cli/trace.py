"""``trace`` and ``diagnose``: one request along the road, its findings and verdict (``diagnose --all``: the
fleet)."""

from __future__ import annotations

import argparse
import time
from typing import Any

from rich.text import Text

from kratix_lab.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    CLIError,
    _console,
    _live,
    _platform_line,
    _source,
    add,
    add_live,
    add_namespace,
)
from kratix_lab.errors import NotFound
from kratix_lab.kube.refs import ObjectRef
from kratix_lab.kube.times import rfc3339


def _trace_ref(args: argparse.Namespace) -> tuple[str, str, str | None]:
    ref = ObjectRef.parse_one(args.refs, args.namespace, namespace_form=True)
    return ref.kind, ref.name, ref.namespace or args.namespace


def _known(source: Any, d: Any) -> Any:
    """``d`` unless its request is nowhere (a typo): then NotFound, exit 2, with the closest names."""
    from kratix_lab.diagnose import unknown_request

    message = unknown_request(source, d)
    if message is not None:
        raise NotFound(message)
    return d


def cmd_trace(args: argparse.Namespace) -> int:
    from kratix_lab.diagnose import diagnose
    from kratix_lab.views import trace_view as tv

    kind, name, namespace = _trace_ref(args)
    with _source(args) as source:
        _platform_line(args, source)

        first = _known(source, diagnose(source, kind, name, namespace))
        # --watch only reads: in the lab, time moves only when something steps it (issue 17 item 8)
        started = None if _live(args) or not args.watch else source.now()

        def render(d: Any = None) -> Any:
            d = d or diagnose(source, kind, name, namespace)
            if args.output == "json":
                return tv.to_json(tv.diagnosis_json(d))
            if args.output == "md":
                return tv.diagnosis_markdown(d)
            if args.output == "mermaid":
                return tv.trace_mermaid(d.trace)
            from rich.console import Group

            if args.output == "wide":  # every node of the road, whole messages
                parts = [Text(d.verdict, style="bold"), tv.trace_tree(d.trace, wide=True, now=d.now)]
            else:
                # the default: one line per resource, healthy delivery chains folded, cut to a terminal's width
                console = _console()
                width = console.width if console.is_terminal else None
                parts = [Text(d.verdict, style="bold"), tv.trace_compact(d.trace, now=d.now, width=width)]
            if started is not None and d.now == started:
                parts.append(Text(_clock_note(args, d.now), style="yellow"))
            return Group(*parts)

        if not args.watch:
            out = render(first)
            if isinstance(out, str):
                print(out, end="")
            else:
                _console().print(out)
            return EXIT_OK
        from rich.live import Live

        with Live(render(first), console=_console(), refresh_per_second=2) as live:
            try:
                for _ in range(args.watch_count or 10**9):
                    time.sleep(args.interval)
                    live.update(render())
            except KeyboardInterrupt:
                pass
    return EXIT_OK


def _clock_note(args: argparse.Namespace, now: int) -> str:
    """What ``trace --watch`` says while the lab's simulated clock stands still: watching steps nothing."""
    lab = f"--lab {args.lab} " if getattr(args, "lab", None) else ""
    return (
        f"the lab clock is not running (it has stood at {rfc3339(now)} since the watch began; watching steps "
        f"nothing): run it from another shell with `kratix-lab {lab}serve` (its clock runs), `kratix-lab {lab}tui` "
        f"(p plays), or step it: `kratix-lab {lab}settle`, `kratix-lab {lab}run-for 5m`"
    )


def cmd_diagnose(args: argparse.Namespace) -> int:
    from kratix_lab.diagnose import all_healthy, diagnose, fleet_summary, platform_findings
    from kratix_lab.fleet.parallel import one_shot_workers
    from kratix_lab.fleet.rows import FleetRows
    from kratix_lab.views import trace_view as tv

    rows: list[Any] = []
    with _source(args, cached=args.all) as source:
        _platform_line(args, source)
        if args.all:
            if args.refs:
                raise CLIError("give KIND/NAME or --all, not both")
            # each vCluster diagnosed once (from one bulk read, on the cores), its row from that diagnosis; the
            # platform's findings below read the same bulk read (the lab's snapshot: its Applications parsed once)
            snapshot = getattr(source, "snapshot", None)
            source = snapshot() if snapshot is not None else source
            fleet_rows = FleetRows(source, track=False, workers=one_shot_workers())
            rows, results = fleet_rows.refresh(), fleet_rows.diagnoses()
        else:
            if not args.refs:
                raise CLIError("give KIND/NAME (or KIND NAME), or --all")
            kind, name, namespace = _trace_ref(args)
            results = [_known(source, diagnose(source, kind, name, namespace))]
        # --all: the platform's own problems too (an Application that cannot read git stops every request in it)
        platform = platform_findings(source) if args.all else []
    if args.output == "json":
        data = [tv.diagnosis_json(d) for d in results] + [tv.finding_json(f) for f in platform]
        print(tv.to_json(data if args.all else tv.diagnosis_json(results[0])))
    elif args.output == "md":
        print("\n".join(tv.diagnosis_markdown(d) for d in results), end="")
        for f in platform:
            print(f"\n# {f.object}\n\n**{f.id}:** {f.message} → {f.fix}")
    else:
        for d in results:
            if args.all:
                print(f"== {d.ref}")
            print(tv.diagnosis_text(d), end="")
        for i, f in enumerate(platform, 1):
            if i == 1:
                print("== the platform's Argo CD applications")
            print(tv.finding_text(f, i))
        if args.all:  # the last line: the fleet by health (issue 17 item 3)
            extra = f"; {len(platform)} platform finding{'s' if len(platform) != 1 else ''}" if platform else ""
            print(fleet_summary(rows) + extra)
    if args.all:  # exit 1 when anything is not Healthy, so CI can gate on it
        return EXIT_OK if all_healthy(rows) and not platform else EXIT_FINDINGS
    return EXIT_OK if all(not d.findings for d in results) and not platform else EXIT_FINDINGS


def register(sub: Any) -> None:
    """``trace``, ``diagnose``."""
    p = add(
        sub,
        "trace",
        "follow a request along the road: pipelines, Works, state-repo commit, Argo CD, Helm, pods",
        cmd_trace,
    )
    p.add_argument("refs", metavar="KIND/NAME", nargs="+", help="e.g. vco/media or vco media (or KIND/NAMESPACE/NAME)")
    add_namespace(p)
    p.add_argument(
        "-o",
        "--output",
        choices=["tree", "wide", "json", "md", "mermaid"],
        default="tree",
        help="tree (default): one line per resource, a healthy Work → WorkPlacement → commit → Argo CD chain "
        "folded into one; wide: every node with its whole message and evidence",
    )
    p.add_argument("--watch", action="store_true", help="redraw as the lab changes (Ctrl-C to stop)")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between redraws with --watch")
    p.add_argument("--watch-count", type=int, default=0, help=argparse.SUPPRESS)
    add_live(p)

    p = add(
        sub,
        "diagnose",
        "findings and the verdict: where a request is stuck, since when, why, and the fix (exit 1 on findings)",
        cmd_diagnose,
    )
    p.set_defaults(ends_the_process=True)  # (``kratix_lab.cli._end_now``)
    p.add_argument("refs", metavar="KIND/NAME", nargs="*", help="e.g. vco/media or vco media")
    p.add_argument("--all", action="store_true", help="every vCluster")
    add_namespace(p)
    p.add_argument("-o", "--output", choices=["text", "json", "md"], default="text")
    add_live(p)
