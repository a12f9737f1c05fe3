"""Dashboard refresh cost at 1, 10 and 100 vClusters: reading the rows (``diagnose.fleet`` through the
dashboard's FleetReader) and updating the table (the real DashboardScreen, headless, 80×24).

A refresh happens every second and after every step of the lab clock; it runs on the reader thread,
so the UI never waits for it. It recomputes the rows only when the lab changed (objects, the state
repo, faults) — a settled lab's refresh is the "unchanged" line.

Labs are built once and cached in /tmp/kratix-lab-bench/dashboard-<n> (a 100-vCluster lab takes
~20-35 s to settle); `--rebuild` builds them again.
Run: `.venv/bin/python bench/bench_dashboard.py [--sizes 1,10,100] [--repeat 10] [--rebuild]`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_lab import cached_lab

from kratix_lab.platform.lab import Lab
from kratix_lab.sources.lab import LabActions, LabSource
from tui.jobs import FleetReader


def median_ms(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, min(times) * 1000


def bench_reads(path: Path, n: int, repeat: int) -> None:
    with Lab(path, create=False) as lab:
        source, actions = LabSource(lab, read_only=True), LabActions(lab, read_only=True)  # a job's (source, actions)
        t = time.perf_counter()
        FleetReader().job()(source, actions)
        cold = (time.perf_counter() - t) * 1000
        med, low = median_ms(lambda: FleetReader().job()(source, actions), repeat)  # a changed lab: fleet() again
        reader = FleetReader()
        reader.take(reader.job()(source, actions))
        same, same_low = median_ms(lambda: reader.take(reader.job()(source, actions)), repeat)  # nothing changed
    print(f"{n:>4} vClusters  rows, first read (cold caches): {cold:8.1f} ms")
    print(f"{n:>4} vClusters  rows, lab changed:              {med:8.1f} ms median (min {low:.1f}, n={repeat})")
    print(f"{n:>4} vClusters  rows, lab unchanged:            {same:8.1f} ms median (min {same_low:.1f}, n={repeat})")


def bench_table(path: Path, n: int, repeat: int) -> None:
    from tui.app import KratixLabApp
    from tui.screens.dashboard import DashboardScreen

    async def run() -> None:
        app = KratixLabApp(path, play=False, refresh_every=0)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = app.screen
            assert isinstance(screen, DashboardScreen)
            await screen.load()
            await pilot.pause()
            assert screen.query_one("#vclusters").row_count == n
            rebuilds, drawn, updates, loads = [], [], [], []
            for _ in range(repeat):
                screen.sort_reverse = not screen.sort_reverse  # another row order: the table is rebuilt
                t = time.perf_counter()
                screen.show()
                rebuilds.append(time.perf_counter() - t)
                await pilot.pause()
                drawn.append(time.perf_counter() - t)
                t = time.perf_counter()
                screen.show()  # the same rows: cells compared, nothing to change
                updates.append(time.perf_counter() - t)
                await pilot.pause()
                screen.reader = FleetReader()  # a whole refresh as after a change: read in the reader process + show
                t = time.perf_counter()
                await screen.load()
                await pilot.pause()
                loads.append(time.perf_counter() - t)
        app.close_workers(wait=True)

        def line(label: str, times: list[float]) -> str:
            return f"{n:>4} vClusters  {label:<34}{statistics.median(times) * 1000:8.1f} ms median (min {min(times) * 1000:.1f}, n={repeat})"

        print(line("table rebuilt:", rebuilds))
        print(line("table rebuilt and drawn:", drawn))
        print(line("table unchanged (cells compared):", updates))
        print(line("whole refresh (changed lab):", loads))

    asyncio.run(run())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1,10,100")
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()
    for n in (int(s) for s in args.sizes.split(",")):
        path = cached_lab("dashboard", n, args.rebuild)
        bench_reads(path, n, args.repeat)
        bench_table(path, n, args.repeat)


if __name__ == "__main__":
    main()
