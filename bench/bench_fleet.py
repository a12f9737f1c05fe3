"""Fleet rows at 100, 300 and 1,000 vClusters (issue 15): ``kratix-lab status`` cold — a new process, every row
computed once — against its budget (≤ 5 s at 1,000 vClusters), and the cost of bringing ``status``'s rows up to date
after one request's state changes: every row computed again (``diagnose.fleet``, what ``status -w`` and the dashboard
did) against only the rows the change reached (``kratix_lab.fleet.rows.FleetRows``).

Cold: ``--cold`` runs of ``python -m kratix_lab.cli --lab LAB status`` and of ``… diagnose --all`` (piped), after
one run that found no parsed YAML document kept (``kratix_lab.model.doccache``, in a cache directory of the benchmark's
own: that first run parses the state repo's files and keeps them, and is printed apart), their median wall time and the median CPU time of the process and what it waited for (a cold ``status`` computes its rows in
two processes on a machine with two cores or more: ``FleetRows(workers=…)``; git), with the machine's load average
(the benchmark says how busy the machine was; the budget is for a quiet one), at 100, 300 and 1,000 vClusters: the
cost curve. PASS/FAIL is printed against 5 s wall at 1,000 vClusters. The package's bytecode is compiled first, as
``pip install`` does.

A "change" is one lab step while one request moves: request ``vcNNN`` is reconciled (its pipelines run again, its
Works and the state repo are rewritten, Argo CD's state reconciler syncs) and the lab is stepped until it is quiet;
the rows are brought up to date after every step that changed something. Medians and p95 over every such step
(at least ``--changes`` requests, one run); the full recomputation is timed on the first ``--full`` of those steps
(it costs the same whatever changed). The rows kept are checked against the full ones after every timed step.
Every five lab minutes (`*/5 * * * *`) the kubeconfig-sync CronJob of every vCluster fires at once: each row's own objects change,
so those steps reach every row; they are counted, and the steps without them are summed up apart. The incremental
figures are taken at ``--incremental`` sizes (a full recomputation of 1,000 rows per step takes minutes).

``--against DIR`` (a checkout of another commit, e.g. ``git worktree add DIR main``): the cold first runs of this
tree and of DIR's ``kratix_lab``, alternated in pairs, and the median of the pairs' differences (on a busy machine
the runs of one tree minutes apart differ by more than a change does; a pair's two runs see the same load).

Labs are built once and cached in /tmp/kratix-lab-bench/fleet-<n> (a 100-vCluster lab takes ~30 s to settle, 300
~2 min, 1,000 ~25 min; the time is printed); `--rebuild` builds them again; ``--labs DIR`` reads settled labs
``DIR/fleet-<n>`` instead. The runs never open the cached (or given) lab itself: each size is copied to a temporary
directory first and written out (``os.sync``: else the runs share the disk with the copy's writeback; ``status``
opens a lab as its user does — SQLite writes its WAL files beside the store — and the
changes step it), so the cache stays as built while other benchmarks read it.
Run: `.venv/bin/python bench/bench_fleet.py [--sizes 100,300,1000] [--cold 3] [--incremental 100,300] [--changes 20]
[--full 20] [--labs DIR] [--rebuild] [--against DIR]`.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_lab import cached_lab, machine_speed

from kratix_lab.diagnose import fleet
from kratix_lab.fleet.rows import FleetRows
from kratix_lab.platform.lab import Lab
from kratix_lab.sources.lab import LabSource

ROOT = Path(__file__).resolve().parents[1]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def stats(values: list[float]) -> str:
    return f"median {statistics.median(values):8.1f} ms, p95 {p95(values):8.1f} ms (n={len(values)})"


COLD_BUDGET = 5.0  # seconds, ``kratix-lab status`` cold at 1,000 vClusters (issue 15)


COMMANDS = {"status": ["status"], "diagnose --all": ["diagnose", "--all"]}


def status_cold(
    path: Path, command: str = "status", cache: Path | None = None, tree: Path = ROOT
) -> tuple[float, float]:
    """``kratix-lab status`` (or ``diagnose --all``) as a user runs it: a new process, every row computed, output
    piped; (wall, CPU) seconds — the CPU of the process and of what it waited for (its worker process, git). ``cache``:
    the cache directory (``KRATIX_LAB_CACHE_DIR``: the YAML documents it keeps, ``kratix_lab.model.doccache``); ``tree``:
    the checkout whose ``kratix_lab`` runs (``--against``)."""
    env = dict(os.environ) | ({"KRATIX_LAB_CACHE_DIR": str(cache)} if cache is not None else {})
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "kratix_lab.cli", "--lab", str(path), *COMMANDS[command]],
        capture_output=True,
        text=True,
        cwd=tree,
        check=False,
        env=env,
    )
    elapsed = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"status failed ({proc.returncode}): {proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def cold(n: int, path: Path, runs: int, command: str = "status") -> None:
    """``runs`` cold runs with the parsed documents of the state repo's files kept from a first run (a cache directory
    of the benchmark's own, emptied first: that first run, which parses them all and keeps them, is printed apart)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="bench-fleet-cache-") as cache:
        at = load()
        first = status_cold(path, command, Path(cache))
        print(
            f"{n:>4} vClusters  kratix-lab {command:<14} cold, no document kept yet: wall {first[0]:6.2f} s, "
            f"CPU {first[1]:6.2f} s ({at} → {load()})"
            + (
                f"  {'PASS' if first[0] <= COLD_BUDGET else 'FAIL'} (budget {COLD_BUDGET:g} s wall)"
                if n >= 1000
                else ""
            ),
            flush=True,
        )
        at = load()
        times = [status_cold(path, command, Path(cache)) for _ in range(runs)]
    wall = statistics.median(t[0] for t in times)
    cpu = statistics.median(t[1] for t in times)
    verdict = ""
    if n >= 1000:
        verdict = f"  {'PASS' if wall <= COLD_BUDGET else 'FAIL'} (budget {COLD_BUDGET:g} s wall at 1,000)"
    print(
        f"{n:>4} vClusters  kratix-lab {command:<14} cold, documents kept: wall median {wall:6.2f} s, CPU median {cpu:6.2f} s "
        f"({cpu / n * 1000:5.1f} ms CPU a row; walls {', '.join(f'{t[0]:.1f}' for t in times)} s; {at} → {load()})"
        f"{verdict}",
        flush=True,
    )


def against(n: int, path: Path, runs: int, other: Path, command: str = "status") -> None:
    """First runs (no document kept) of this tree and of ``other`` (a checkout of another commit: its ``kratix_lab``
    runs), alternated — this, other; other, this; … — each pair at the same moment: on a busy machine the wall and
    even the CPU of runs minutes apart differ by more than a change does, a pair's difference far less."""
    import tempfile

    here: list[tuple[float, float]] = []
    there: list[tuple[float, float]] = []
    for r in range(runs):
        order = [(ROOT, here), (other, there)] if r % 2 == 0 else [(other, there), (ROOT, here)]
        for tree, into in order:
            with tempfile.TemporaryDirectory(prefix="bench-fleet-cache-") as cache:
                into.append(status_cold(path, command, Path(cache), tree))
        print(
            f"{n:>4} vClusters  kratix-lab {command:<14} first run, this tree: wall {here[-1][0]:6.2f} s, CPU "
            f"{here[-1][1]:6.2f} s; {other}: wall {there[-1][0]:6.2f} s, CPU {there[-1][1]:6.2f} s ({load()})",
            flush=True,
        )
    wall = statistics.median(a[0] - b[0] for a, b in zip(here, there, strict=True))
    cpu = statistics.median(a[1] - b[1] for a, b in zip(here, there, strict=True))
    print(
        f"{n:>4} vClusters  kratix-lab {command:<14} first run, this tree minus {other}: median of the pairs' "
        f"differences wall {wall:+6.2f} s, CPU {cpu:+6.2f} s ({runs} pairs)",
        flush=True,
    )


def compiled(*roots: Path) -> None:
    """The package's bytecode written once, as ``pip install`` does (a cold run measures the lab read, not Python
    compiling kratix_lab: where PYTHONDONTWRITEBYTECODE is set, every run would compile it again)."""
    import compileall

    for root in roots:
        compileall.compile_dir(str(root / "kratix_lab"), quiet=1)


def bench(n: int, work: Path, changes: int, full_samples: int) -> None:
    """The changes, stepped in ``work`` (a copy of the settled lab)."""
    incremental: list[float] = []
    full: list[float] = []
    reached: list[int] = []
    with Lab(work, create=False) as lab:
        source = LabSource(lab)
        t = time.perf_counter()
        rows = FleetRows(source)
        rows.refresh()
        first = time.perf_counter() - t
        print(f"{n:>4} vClusters  rows, first computation recording reads:   {first * 1000:8.0f} ms", flush=True)
        for k in range(changes):
            lab.reconcile("VClusterCore", f"vc{(k * 7) % n:03d}", "platform-requests")
            quiet = 0
            for _ in range(12):
                if lab.step().total == 0:
                    quiet += 1
                    if quiet == 2:
                        break
                    continue
                quiet = 0
                t = time.perf_counter()
                kept = rows.refresh()
                incremental.append((time.perf_counter() - t) * 1000)
                reached.append(rows.recomputed)
                if len(full) < full_samples:
                    t = time.perf_counter()
                    again = fleet(source)
                    full.append((time.perf_counter() - t) * 1000)
                    assert kept == again, f"rows kept differ from rows computed again after change {k}"
        assert rows.refresh() == fleet(source)
    print(f"{n:>4} vClusters  after a change, every row again:           {stats(full)}")
    print(f"{n:>4} vClusters  after a change, the rows it reached:       {stats(incremental)}")
    # the kubeconfig-sync CronJob of every vCluster fires in the same lab minute: every row's own CronJob changed
    few = [t for t, r in zip(incremental, reached, strict=True) if r < n // 2]
    print(f"{n:>4} vClusters    steps where no CronJob fleet-wide fired:  {stats(few)}")
    print(
        f"{n:>4} vClusters  rows reached per change: median {statistics.median(reached):g}, max {max(reached)}; "
        f"{len(reached) - len(few)} of {len(reached)} steps reached every row (the CronJobs) "
        f"({changes} requests reconciled)",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100,300,1000")
    ap.add_argument("--cold", type=int, default=3, help="cold runs of kratix-lab status per size (their medians)")
    ap.add_argument("--no-diagnose", action="store_true", help="time status only, not diagnose --all as well")
    ap.add_argument("--incremental", default="100,300", help="sizes also measured after changes ('' for none)")
    ap.add_argument("--changes", type=int, default=20, help="requests reconciled, one after another")
    ap.add_argument("--full", type=int, default=20, help="steps on which every row is also computed again")
    ap.add_argument("--labs", type=Path, help="read settled labs DIR/fleet-<n> (copies) instead of the cache")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument(
        "--against",
        type=Path,
        help="a checkout of another commit: --cold first runs of this tree and of it, alternated in pairs",
    )
    args = ap.parse_args()
    incremental = {int(s) for s in args.incremental.split(",") if s}
    print(f"{os.cpu_count()} CPUs, {load()}; {machine_speed()}", flush=True)
    if args.cold > 0:
        compiled(ROOT, *([args.against] if args.against else []))
    for n in (int(s) for s in args.sizes.split(",")):
        base = args.labs / f"fleet-{n}" if args.labs else cached_lab("fleet", n, args.rebuild)
        if not (base / "store.sqlite").exists():
            raise SystemExit(f"{base}: no lab there")
        if args.cold <= 0 and n not in incremental:
            continue
        with tempfile.TemporaryDirectory(prefix=f"bench-fleet-{n}-") as tmp:
            work = Path(tmp) / f"fleet-{n}"
            shutil.copytree(base, work)  # (never the cache itself: see the module's docstring)
            started = time.perf_counter()
            os.sync()  # the copy's ~800 MB (at 1,000) written out first: else the runs share the disk with its writeback
            print(f"{n:>4} vClusters  the lab copied, written out in {time.perf_counter() - started:.1f} s", flush=True)
            if args.cold > 0:
                for command in ["status"] if args.no_diagnose else list(COMMANDS):
                    if args.against:
                        against(n, work, args.cold, args.against, command)
                    else:
                        cold(n, work, args.cold, command)
            if n in incremental:
                bench(n, work, args.changes, args.full)


if __name__ == "__main__":
    main()
