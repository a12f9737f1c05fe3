"""``status``: every vCluster's row and the fleet's summary; ``status -w`` as ``kubectl get -w``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from kratix_lab.cli.common import EXIT_FINDINGS, EXIT_OK, _console, _platform_line, _source, add, add_live
from kratix_lab.kube.times import ago, rfc3339


def cmd_status(args: argparse.Namespace) -> int:
    """Every vCluster's row, then a one-line summary; exit 1 when any vCluster is not Healthy (issue 17 item 3)."""
    from kratix_lab.diagnose import all_healthy, fleet_summary
    from kratix_lab.fleet.parallel import one_shot_workers
    from kratix_lab.fleet.rows import FleetRows

    with _source(args, cached=True) as source:
        _platform_line(args, source)
        watch = getattr(args, "watch", False)
        # -w: kept incrementally (kratix_lab.fleet.rows; a big fleet's first rows computed by forked processes); else
        # every row once, from one bulk read, on the cores (the rows alone: no diagnosis kept, ``diagnose --all``'s)
        fleet_rows = FleetRows(source, track=watch, workers=one_shot_workers(), diagnoses=False)
        rows = fleet_rows.refresh()
        now = source.now()
        if watch:
            return _watch_status(args, source, rows, now, fleet_rows)
    code = EXIT_OK if all_healthy(rows) else EXIT_FINDINGS
    if args.output == "json":
        print(json.dumps([_status_json(r) for r in rows], indent=2))
        return code
    if not rows:
        print("No vClusters found.", file=sys.stderr)
        return code
    _print_status(rows, now, _console(), args.output == "wide")
    print(fleet_summary(rows))
    return code


STATUS_COLUMNS = ["NAMESPACE", "NAME", "PRESET", "K8S", "STAGE", "HEALTH", "SINCE", "MESSAGE"]


def _status_json(r: Any) -> dict[str, Any]:
    return r.__dict__ | {"since": rfc3339(r.since) if r.since is not None else None}


def _print_status(
    rows: list[Any], now: int, console: Any, wide: bool, widths: list[int | None] | None = None
) -> list[int | None]:
    """The rows as ``status`` prints them (``widths`` given: no header, those widths — ``status -w``'s updates)."""
    from kratix_lab.trace import STAGE_TITLES

    cells = [
        [
            r.namespace,
            r.name,
            r.preset,
            r.k8s_version,
            STAGE_TITLES.get(r.stage, r.stage),
            r.health,
            ago(r.since, now),  # computed when shown, from the row's timestamp
            r.message if wide or console.is_terminal or len(r.message) <= 80 else r.message[:79] + "…",
        ]
        for r in rows
    ]
    header = widths is None
    if widths is None:
        widths = _status_widths(STATUS_COLUMNS, cells, console.width if console.is_terminal and not wide else None)
    heads = dict(
        zip(("PRESET", "K8S"), (n.upper() for n in next((r.columns for r in rows if r.columns), ())), strict=False)
    )
    titles = [heads.get(c, c) for c in STATUS_COLUMNS]
    if not console.is_terminal and all(w is None for w in widths) and _plain_cells([titles, *cells]):
        _print_plain(titles if header else None, cells, console)  # piped: what the table prints, made directly
        return widths
    from rich.table import Table  # (imported when drawn: a piped status never draws one)

    table = Table(box=None, pad_edge=False, show_edge=False, show_header=header)
    # PRESET and K8S are the request kind's printer columns (diagnose.fleet_columns): headed by their names
    for title, w in zip(titles, widths, strict=True):
        table.add_column(title, overflow="fold" if wide else "ellipsis", no_wrap=not wide, width=w)
    for cell in cells:
        table.add_row(*cell)
    console.print(table)
    return widths


_PLAIN_WIDTH = 4096  # the piped console's width (common._console): a wider table is left to Rich


def _plain_cells(lines: list[list[str]]) -> bool:
    """Whether Rich would print these cells as they are, each one cell per character on one line (printable ASCII:
    no wide characters, no newlines, nothing to escape) and the table within the piped console's width."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return sum(widths) + 2 * (len(widths) - 1) <= _PLAIN_WIDTH and all(
        cell.isascii() and cell.isprintable() for line in lines for cell in line
    )


def _print_plain(titles: list[str] | None, cells: list[list[str]], console: Any) -> None:
    """``status``'s table as Rich prints it piped (no box, no edge padding, two spaces between columns, every cell
    padded to its column's width) — made directly: Rich measures every cell of every row, which for a thousand
    vClusters takes longer than computing their rows (issue 15). ``tests/test_status_watch.py`` compares the two."""
    lines = ([titles] if titles is not None else []) + cells
    widths = [max(len(line[i]) for line in lines) for i in range(len(STATUS_COLUMNS))]
    out = console.file
    for line in lines:
        out.write("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) + "\n")
    out.flush()


def _watch_status(args: argparse.Namespace, source: Any, rows: list[Any], now: int, fleet_rows: Any) -> int:
    """``status -w``, as ``kubectl get -w``: the table, then a row for each vCluster whose stage, health or
    message changes (``-o json``: one JSON object per line). The fleet is computed again when the platform
    changed — the lab's change token, or live a change the watch cache saw (``kratix_lab.live.cache``: one watch
    per kind, no polling of the API) — or a minute of lab time passed; Ctrl-C stops it (exit 0, or 1 when the
    last rows were not all Healthy)."""
    import signal
    import threading
    import time

    from kratix_lab.diagnose import all_healthy

    console, wide = _console(), args.output == "wide"

    def show(changed: list[Any], at: int, widths: list[int | None] | None) -> list[int | None] | None:
        if args.output == "json":
            for r in changed:
                print(json.dumps(_status_json(r)), flush=True)
            return widths
        if changed or widths is None:
            widths = _print_status(changed, at, console, wide, widths)
        return widths

    def shown(r: Any) -> tuple[str, str, str]:
        return (r.stage, r.health, r.message)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)  # as Ctrl-C (a parent that ignores SIGINT: a CI runner, xdist)
    last = {(r.namespace, r.name): shown(r) for r in rows}
    widths = show(rows, now, None)
    token, computed = source.change_token(), now
    wait = getattr(source, "wait_change", None)  # live: the watch cache wakes us at a change (issue 15)
    try:
        while True:
            wait(0.5) if wait is not None else time.sleep(0.5)
            new_token, now = source.change_token(), source.now()
            if new_token == token and now - computed < 60:
                continue
            token, computed = new_token, now
            rows = fleet_rows.refresh()
            seen = {(r.namespace, r.name): shown(r) for r in rows}
            widths = show([r for r in rows if last.get((r.namespace, r.name)) != shown(r)], now, widths)
            for ns, name in sorted(last.keys() - seen.keys()):
                print(
                    json.dumps({"namespace": ns, "name": name, "gone": True})
                    if args.output == "json"
                    else f"{ns}  {name}  (gone)",
                    flush=True,
                )
            last = seen
    except KeyboardInterrupt:
        return EXIT_OK if all_healthy(rows) else EXIT_FINDINGS


# ``status`` on a terminal: MESSAGE gives way first (down to MIN), then these columns (each to its minimum); NAME
# and HEALTH keep their width (issue 17 item 3; kubectl's wide columns are the ones that wrap, never NAME).
_STATUS_SHRINK = (("MESSAGE", 20), ("NAMESPACE", 6), ("STAGE", 6), ("K8S", 4), ("PRESET", 4), ("MESSAGE", 1))


def _status_widths(cols: list[str], cells: list[list[str]], width: int | None) -> list[int | None]:
    """Each column's width for ``status``: natural when piped (``width`` None) or when the table fits; else
    shrunk in ``_STATUS_SHRINK``'s order until it fits ``width`` (two spaces between columns)."""
    natural = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    if width is None:
        return [None] * len(cols)
    widths = list(natural)
    for name, least in _STATUS_SHRINK:
        excess = sum(widths) + 2 * (len(cols) - 1) - width
        if excess <= 0:
            break
        i = cols.index(name)
        widths[i] = max(least, widths[i] - excess)
    return list(widths)


def register(sub: Any) -> None:
    """``status``."""
    p = add(sub, "status", "every vCluster: preset, stage reached, health, since, verdict", cmd_status)
    p.set_defaults(ends_the_process=True)  # (``kratix_lab.cli._end_now``)
    p.add_argument("-o", "--output", choices=["table", "wide", "json"], default="table")
    p.add_argument(
        "-w", "--watch", action="store_true", help="keep printing the vClusters that change (live: a watch cache)"
    )
    add_live(p)
