"""Live fleet rows through ``kratix-lab serve`` (issue 15): a served lab of 100 / 300 / 1,000 vClusters read in live
mode through the watch cache (``kratix_lab.live.cache.CachedSource``) with ``FleetRows`` over its change feed — what
``kratix-lab status -w --kubeconfig …`` and ``diagnose --all`` do live.

Three processes, as in use: ``kratix-lab serve --paused`` (a subprocess) serves a copy of the cached lab; a writer
process opens the same lab and makes the changes (a request reconciled — its pipelines run again, its Works and the
state repo are rewritten, Argo CD syncs — then the lab stepped until it is quiet, one committed transaction per step);
this process keeps the rows. For every step that brings rows up to date, the row latency is the time from the
writer's commit (the change is visible in the API at most the watch hub's 20 ms poll later, so this bounds "after the
change is visible in the API" from above) to the end of the last ``FleetRows.refresh()`` that recomputed a row for
it; the refreshes are driven by the cache's events (no polling interval). Every five lab minutes the
kubeconfig-sync CronJob of every vCluster fires: those steps reach every row and are reported apart (they are a
fleet-wide change, not one request's).

Budgets (issue 15): row latency ≤ 500 ms p95 over ≥ 20 changes, ≤ 20 watch connections (counted at the server,
``/metrics``), no LIST after the first sync while rows are kept (0). Also printed: the time to the first full table
(the cache's lists + every row computed once) and the load average. Exit 1 when a budget is missed.

The labs are the benchmarks' cached ones (``bench_lab.cached_lab("fleet", n)``, /tmp/kratix-lab-bench/fleet-<n>),
never written (``--labs DIR`` reads them from another directory): each run serves a copy in a temporary directory, removed at the end (the server is stopped whatever
happens). A missing lab is built only with ``--build`` (300 takes ~2 min, 1,000 ~10 min).
Run: `.venv/bin/python bench/bench_live_fleet.py [--sizes 100,1000] [--changes 20] [--build]`.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing as mp
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_lab import BENCH_CACHE, cached_lab

ROOT = Path(__file__).resolve().parents[1]
BUDGET_P95_MS, BUDGET_WATCHES, BUDGET_RELISTS = 500.0, 20, 0


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def rss_mb() -> float:
    """This process's resident memory now (Linux ``/proc/self/statm``), in MB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def stats(values: list[float]) -> str:
    if not values:
        return "no samples"
    return f"median {statistics.median(values):7.0f} ms, p95 {p95(values):7.0f} ms, max {max(values):7.0f} ms (n={len(values)})"


# ---- the writer process: the lab's changes, committed, with the wall time of each commit --------------------------


def writer(path: str, conn: object) -> None:
    from kratix_lab.platform.lab import Lab

    lab = Lab(Path(path), create=False)
    try:
        while True:
            cmd = conn.recv()  # type: ignore[attr-defined]
            if cmd[0] == "stop":
                break
            if cmd[0] == "reconcile":
                lab.reconcile(cmd[1], cmd[2], cmd[3])
                conn.send((1, time.time()))  # type: ignore[attr-defined]
            elif cmd[0] == "step":
                total = lab.step().total
                conn.send((total, time.time()))  # type: ignore[attr-defined]
    finally:
        lab.close()


# ---- the server ---------------------------------------------------------------------------------------------------


def serve(lab: Path, kubeconfig: Path, log: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kratix_lab.cli",
            "serve",
            "--lab",
            str(lab),
            "--paused",
            "--kubeconfig",
            str(kubeconfig),
        ],
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # "export KUBECONFIG=…" once it serves
    if not line.startswith("export KUBECONFIG="):
        proc.kill()
        raise SystemExit(f"kratix-lab serve did not start: {line!r}\n{log.read_text()}")
    return proc


def metrics(src: object) -> tuple[int, dict[str, int]]:
    """The server's open watches and its LIST requests by resource (``GET /metrics``)."""
    status, text = src.kube.get_text("/metrics")  # type: ignore[attr-defined]
    if status != 200:
        raise SystemExit(f"/metrics: {status} {text[:200]}")
    watches, lists = 0, {}
    for m in re.finditer(r'^(\w+)\{verb="(\w+)",resource="([^"]+)"\} (\d+)$', text, re.M):
        name, verb, resource, n = m.group(1), m.group(2), m.group(3), int(m.group(4))
        if name == "apiserver_longrunning_requests":
            watches += n
        elif verb == "LIST":
            lists[resource] = n
    return watches, lists


def relists(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {r: n - before.get(r, 0) for r, n in after.items() if n > before.get(r, 0)}


# ---- one size -------------------------------------------------------------------------------------------------------


def bench(n: int, changes: int, build: bool, labs: Path = BENCH_CACHE) -> bool:
    from kratix_lab.fleet.rows import FleetRows
    from kratix_lab.platform.lab import STATE_URL
    from kratix_lab.sources.factory import open_live

    base = labs / f"fleet-{n}"
    if not (base / ".settled").exists():
        if not build or labs != BENCH_CACHE:
            print(f"{n:>5} vClusters  no settled lab at {base} (--build builds it)", flush=True)
            return True
        cached_lab("fleet", n)
    work = Path(tempfile.mkdtemp(prefix=f"bench-live-fleet-{n}-"))
    server: subprocess.Popen[str] | None = None
    proc: mp.Process | None = None
    src = None
    ok = True
    try:
        shutil.copytree(base, work / "lab", ignore=shutil.ignore_patterns(".lock"))
        server = serve(work / "lab", work / "kubeconfig", work / "serve.log")
        here, there = mp.Pipe()
        proc = mp.get_context("spawn").Process(target=writer, args=(str(work / "lab"), there), daemon=True)
        proc.start()

        before_mb = rss_mb()
        t = time.perf_counter()
        src = open_live(
            kubeconfig=work / "kubeconfig",
            repos={STATE_URL: str(work / "lab" / "state.git")},
            cache_dir=work / "cache",
            timeout=120,
            watch=True,
        )
        synced = time.perf_counter() - t
        cache_mb = rss_mb() - before_mb
        rows = FleetRows(src)
        first = rows.refresh()
        table = time.perf_counter() - t
        objects = sum(len(i.objects) for i in src.informers.values())
        print(
            f"{n:>5} vClusters  first full table {table * 1000:7.0f} ms ({synced * 1000:.0f} ms the cache's lists of "
            f"{objects} objects in {len(src.informers)} kinds, {len(first)} rows); this process {rss_mb():.0f} MB "
            f"resident (the cache alone: {cache_mb:.0f} MB)",
            flush=True,
        )
        deadline = time.monotonic() + 30
        while src.watch_connections() < len(src.informers) and time.monotonic() < deadline:
            time.sleep(0.05)
        watches, lists0 = metrics(src)

        woke = threading.Event()
        first_event: list[float] = []

        def on_change(kind: str, old: object, new: object) -> None:
            if not first_event:
                first_event.append(time.time())
            woke.set()

        src.listeners.append(on_change)
        one: list[float] = []  # steps of one request's change
        fleetwide: list[float] = []  # steps that reached every row (the CronJobs)
        delivery: list[float] = []  # commit → the cache's first event
        reached: list[int] = []
        cpu_one: list[float] = []  # CPU time of this thread in those refreshes: what a quiet machine would wait
        cpu_fleetwide: list[float] = []

        def follow(committed: float) -> None:
            """Refresh on the cache's events until none come for 0.5 s; one sample when a row was recomputed."""
            if not woke.wait(3.0):
                return
            delivery.append((first_event[0] - committed) * 1000)
            done, count, cpu = None, 0, 0.0
            while woke.wait(0.5):
                woke.clear()
                c = time.thread_time()
                rows.refresh()
                cpu += time.thread_time() - c
                if rows.recomputed:
                    done, count = time.time(), count + rows.recomputed
            if done is not None:
                latency = (done - committed) * 1000
                (fleetwide if count >= n else one).append(latency)
                (cpu_fleetwide if count >= n else cpu_one).append(cpu * 1000)
                reached.append(count)

        for k in range(changes):
            name = f"vc{(k * 7) % n:03d}"
            first_event.clear()
            woke.clear()
            here.send(("reconcile", "VClusterCore", name, "platform-requests"))
            _, committed = here.recv()
            follow(committed)
            quiet = 0
            for _ in range(12):
                first_event.clear()
                woke.clear()
                here.send(("step",))
                total, committed = here.recv()
                if total == 0:
                    quiet += 1
                    if quiet == 2:
                        break
                    continue
                quiet = 0
                follow(committed)
        # a second look after everything: the rows kept equal rows computed once from the cache
        time.sleep(1.0)
        rows.refresh()
        again = FleetRows(src, track=False).refresh()
        assert rows.rows() == again, "rows kept incrementally differ from rows computed again"
        watches_end, lists_end = metrics(src)
        more = relists(lists0, lists_end)
        kinds_relisted = {r: c for r, c in more.items() if r != "events"}
        informer_lists = sum(i.lists for i in src.informers.values()) - len(src.informers)
        load = os.getloadavg()
        print(f"{n:>5} vClusters  row latency, one request's change:   {stats(one)}")
        print(f"{n:>5} vClusters  row latency, fleet-wide (CronJobs):  {stats(fleetwide)}")
        print(f"{n:>5} vClusters  CPU of the refreshes, one request:   {stats(cpu_one)}")
        print(f"{n:>5} vClusters  commit → the cache's first event:    {stats(delivery)}")
        if reached:
            print(
                f"{n:>5} vClusters  rows recomputed per step: median {statistics.median(reached):g}, max {max(reached)}"
            )
        print(
            f"{n:>5} vClusters  watch connections at the server: {watches} after the sync, {watches_end} at the end "
            f"(cache: {len(src.informers)} informers); LIST after the sync: {sum(kinds_relisted.values())} of watched "
            f"kinds {kinds_relisted or ''}, {more.get('events', 0)} of events (field-selected, for rows in trouble); "
            f"informer re-lists {informer_lists}"
        )
        print(f"{n:>5} vClusters  this process {rss_mb():.0f} MB resident at the end", flush=True)
        print(f"{n:>5} vClusters  load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}", flush=True)
        checks = [
            (
                "row latency p95 (one request)",
                bool(one) and p95(one) <= BUDGET_P95_MS,
                f"{p95(one) if one else 0:.0f} ms ≤ {BUDGET_P95_MS:.0f} ms",
            ),
            (
                "watch connections",
                max(watches, watches_end) <= BUDGET_WATCHES,
                f"{max(watches, watches_end)} ≤ {BUDGET_WATCHES}",
            ),
            (
                "re-lists after the sync",
                sum(kinds_relisted.values()) + informer_lists <= BUDGET_RELISTS,
                f"{sum(kinds_relisted.values()) + informer_lists} ≤ {BUDGET_RELISTS}",
            ),
            ("samples", len(one) >= 20, f"{len(one)} ≥ 20"),
        ]
        for what, passed, detail in checks:
            print(f"{n:>5} vClusters  {'PASS' if passed else 'FAIL'}  {what}: {detail}", flush=True)
            ok = ok and passed
    finally:
        if src is not None:
            src.stop()
        if proc is not None:
            with_pipe = proc.is_alive()
            if with_pipe:
                with contextlib.suppress(OSError):
                    here.send(("stop",))
                proc.join(30)
            if proc.is_alive():
                proc.kill()
        if server is not None:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work, ignore_errors=True)
    return ok


def main() -> None:
    import signal

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # the server and the writer are stopped and the copy removed (``bench``'s finally)

    signal.signal(signal.SIGTERM, stop)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100,1000")
    ap.add_argument("--changes", type=int, default=20, help="requests reconciled, one after another")
    ap.add_argument("--build", action="store_true", help="build a missing cached lab (never rebuilds one)")
    ap.add_argument(
        "--labs",
        type=Path,
        default=BENCH_CACHE,
        help=f"where the settled labs fleet-<n> are (default {BENCH_CACHE}); each run serves a copy of one",
    )
    args = ap.parse_args()
    ok = True
    for n in (int(s) for s in args.sizes.split(",")):
        ok = bench(n, args.changes, args.build, args.labs) and ok
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
