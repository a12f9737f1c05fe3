"""The dashboard at fleet scale (issue 15): the real app (``KratixLabApp``, headless at 80×24 through
``App.run_test``, its default process workers) on settled labs of 100, 300 and 1,000 vClusters, against the issue's
budgets, each printed with PASS/FAIL:

- first row on screen ≤ 1 s and every row on screen ≤ 15 s, from the app's start (its worker processes spawned,
  the lab opened, the rows computed in the fleet's worker and streamed to the table);
- after one request's state changes, its row right on screen ≤ 200 ms p95 (≥ ``--changes`` changes): request
  ``vcNNN`` is reconciled through the app (``r``: the writer's worker) and the lab stepped through the app (``n``)
  until the request is quiet; every write after which its row changed counts, timed from the moment the app knows
  the write is done (its ``refresh_screen``) to the row's new cells drawn;
- a key press reaching the screen ≤ 50 ms p95 while the lab clock runs (cursor moves, filter keystrokes, opening a
  detail and going back: ``Pilot.press``, which returns once the screen has processed and drawn it);
- memory: the app's process and its worker processes together ≤ 500 MB: the largest sum of their PSS, sampled twice
  a second from the start (the fleet's forked processes that stream the first rows in included); RSS printed beside.

The dashboard's workers keep the YAML documents of the state repo's files they parse, by content
(``kratix_lab.model.doccache``): each size starts with an empty cache (``--documents-kept``: as the run before left
it — a machine that read the lab before). The labs are copied first (the writer writes to them): ``--labs DIR`` holds settled labs ``DIR/fleet-<n>`` (default
/tmp/kratix-lab-bench, bench_fleet.py's), copied to ``--work`` (default /tmp/kratix-lab-bench-dashboard). The load
average is printed with every size, and the CPU time of the app's processes (the machine may be shared: wall figures
are noisy, CPU ones less so). ``--profile`` writes a cProfile of the fleet's worker computing one batch at each size.
Run: `.venv/bin/python bench/bench_dashboard.py [--sizes 100,300,1000] [--changes 20] [--keys 40] [--wait 600]`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import contextlib
import itertools

import psutil
from bench_lab import machine_speed

BUDGETS = {  # issue 15, for 1,000 vClusters
    "first row on screen": (1000.0, "ms"),
    "every row on screen": (15000.0, "ms"),
    "row on screen after a change (p95)": (200.0, "ms"),
    "key press on screen (p95)": (50.0, "ms"),
    "memory of the dashboard's processes": (500.0, "MB"),
}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] if ordered else float("nan")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


@dataclass
class Figures:
    n: int
    first_row: float = float("nan")
    every_row: float = float("nan")
    rows_at_wait: str = ""
    change_ms: list[float] = field(default_factory=list)
    change_worker: list[tuple[float, int]] = field(default_factory=list)  # the fleet worker's read: ms, rows computed
    key_ms: dict[str, list[float]] = field(default_factory=dict)
    key_cpu_ms: dict[str, list[float]] = field(default_factory=dict)  # the UI thread's CPU in each key's window
    key_log: list[tuple[float, float, str, str]] = field(default_factory=list)  # each press: wall, CPU, kind, key
    key_gc: list[tuple[float, float]] = field(default_factory=list)  # each press: the collector's ms (full, young)
    stream_key_ms: list[float] = field(default_factory=list)
    pss_mb: float = 0.0  # the largest sum of the processes' PSS seen (sampled twice a second: ``Memory``)
    pss_each: list[float] = field(default_factory=list)  # each process's PSS then
    pss_roles: list[str] = field(default_factory=list)  # which process each is (Memory.roles)
    pss_file: list[float] = field(default_factory=list)  # of each process's PSS then, the pages of files it maps
    rss_mb: float = 0.0  # the largest sum of their RSS seen (counting pages they share once in each)
    painted: bool = False  # the first paint is over: ``after_paint`` is sampled from then on
    after_paint: tuple[float, list[float], list[str]] = (0.0, [], [])  # the largest sum of PSS after it: each, roles
    cpu: dict[str, float] = field(default_factory=dict)
    loads: dict[str, str] = field(default_factory=dict)
    steps: int = 0
    cpu_each: list[float] = field(default_factory=list)  # each process's CPU seconds at the end of the first paint

    def remember(
        self, pss: list[float], rss: list[float], roles: list[str] | None = None, files: list[float] | None = None
    ) -> None:
        if sum(pss) > self.pss_mb:
            self.pss_mb, self.pss_each = sum(pss), pss
            self.pss_roles, self.pss_file = roles or [], files or []
        if self.painted and sum(pss) > self.after_paint[0]:
            self.after_paint = (sum(pss), pss, roles or [])
        self.rss_mb = max(self.rss_mb, sum(rss))


class Memory:
    """The memory of the app's processes, sampled every ``every`` seconds on a thread while the app runs — the forked
    processes that stream the first rows in live for seconds only — and kept at its largest (``Figures.remember``).

    Summed as PSS (``/proc/PID/smaps_rollup``): each page a process maps counted once in all, its share divided
    among the processes that map it — forked processes share their parent's pages until they change them, and every
    process the interpreter's and libraries' code. The sum of RSS counts a shared page once in each process; it is
    printed beside."""

    def __init__(self, fig: Figures, every: float = 0.5, app: Any = None) -> None:
        import threading

        self.fig, self.every, self.app = fig, every, app
        self._roles: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-memory", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.sample()
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def roles(self) -> dict[int, str]:
        """The app's worker processes by pid (their process pools' processes, as seen while they ran), to name each
        figure."""
        now: dict[int, list[str]] = {}
        for role in ("fleet", "reader", "writer"):
            worker = getattr(self.app, {"fleet": "fleet_reader"}.get(role, role), None)
            for pid in worker.pids() if worker is not None else []:
                now.setdefault(pid, []).append(role)
        self._roles.update({pid: "+".join(roles) for pid, roles in now.items()})  # the reader+writer share one
        return self._roles

    def sample(self) -> None:
        pss, rss, files, names = [], [], [], []
        roles = self.roles()
        me = os.getpid()
        for p in processes():
            try:
                fields = dict(
                    (line.split(":")[0], int(line.split()[1]) / 1024)
                    for line in Path(f"/proc/{p.pid}/smaps_rollup").read_text().splitlines()[1:]
                )
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile
            pss.append(fields.get("Pss", 0.0))
            rss.append(fields.get("Rss", 0.0))
            files.append(fields.get("Pss_File", 0.0))
            with contextlib.suppress(psutil.NoSuchProcess):
                parent = p.ppid()
                names.append(
                    "app"
                    if p.pid == me
                    else roles.get(p.pid)
                    or (f"{roles[parent]}'s fork" if parent in roles else _helper(p) if parent == me else "?")
                )
        self.fig.remember(pss, rss, names if len(names) == len(pss) else None, files)


def _helper(p: psutil.Process) -> str:
    """Which of multiprocessing's helpers a child of the app is: the forkserver the workers are forked from
    (``tui.lab_workers.worker_context``) or the resource tracker."""
    try:
        command = " ".join(p.cmdline())
    except psutil.Error:
        return "?"
    return "forkserver" if "forkserver" in command else "resource tracker" if "resource_tracker" in command else "?"


def processes() -> list[psutil.Process]:
    me = psutil.Process()
    return [me, *me.children(recursive=True)]


def cpu_each(since: dict[int, float] | None = None) -> list[float]:
    """Each process's CPU seconds (since ``since``: by pid, as this returned with ``by_pid``)."""
    return list(cpu_by_pid(since).values())


def cpu_by_pid(since: dict[int, float] | None = None) -> dict[int, float]:
    out = {}
    for p in processes():
        with contextlib.suppress(psutil.NoSuchProcess):
            out[p.pid] = _cpu(p) - (since or {}).get(p.pid, 0.0)
    return out


def _cpu(p: psutil.Process) -> float:
    """A process's CPU seconds, with those of its children that ended (the fleet's forked processes, once it has
    waited for them: they leave the process list, their CPU goes to their parent's count)."""
    t = p.cpu_times()
    return t.user + t.system + t.children_user + t.children_system


def cpu_seconds() -> float:
    total = 0.0
    for p in processes():
        with contextlib.suppress(psutil.NoSuchProcess):
            total += _cpu(p)
    return total


async def run_app(path: Path, n: int, args: argparse.Namespace) -> Figures:
    from kratix_lab.model.yamlio import load_one  # noqa: F401 - the app's imports, paid before the clock starts
    from tui import jobs
    from tui.app import KratixLabApp
    from tui.screens.dashboard import DashboardScreen
    from tui.screens.request_detail import RequestDetailScreen
    from tui.widgets.vcluster_table import VClusterTable

    fig = Figures(n)
    app = KratixLabApp(path, play=False, refresh_every=1.0, workers="process")
    app.animation_level = "none"
    start, cpu0, cpu0_each = time.perf_counter(), cpu_seconds(), cpu_by_pid()
    fig.loads["start"] = load()
    paint_prof = None
    if args.profile_paint:
        import cProfile

        paint_prof = cProfile.Profile()
        paint_prof.enable()
    memory = Memory(fig, app=app)
    memory.start()
    try:
        async with app.run_test(size=(80, 24)) as pilot:

            def table() -> VClusterTable:
                return app.screen.query_one(VClusterTable)

            # ---- first paint ----
            while not isinstance(app.screen, DashboardScreen) or table().row_count == 0:
                await asyncio.sleep(0.005)
            await pilot._wait_for_screen()
            fig.first_row = (time.perf_counter() - start) * 1000
            screen = app.screen
            assert isinstance(screen, DashboardScreen)
            # usable meanwhile: a cursor move while the rows stream in
            while True:
                snap = screen.snapshot
                if snap is not None and snap.complete and table().row_count == n:
                    break
                if time.perf_counter() - start > args.wait:
                    fig.rows_at_wait = f"{table().row_count}/{n} after {args.wait:.0f} s"
                    break
                t = time.perf_counter()
                await pilot.press(
                    "down" if len(fig.stream_key_ms) % 2 == 0 else "up"
                )  # Pilot.press: ≥ 40 ms (see key())
                fig.stream_key_ms.append((time.perf_counter() - t) * 1000)
                await asyncio.sleep(0.2)
            if not fig.rows_at_wait:
                fig.every_row = (time.perf_counter() - start) * 1000
            fig.cpu["first paint"] = cpu_seconds() - cpu0
            if paint_prof is not None:
                write_profile(paint_prof, f"/tmp/profile-dashboard-paint-{n}.txt")
            fig.cpu_each = cpu_each(cpu0_each)
            fig.loads["first paint"] = load()
            fig.painted = True

            # ---- a change of one request's state: its row on screen ----
            changes_start, cpu1 = time.perf_counter(), cpu_seconds()
            names = sorted(r.name for r in screen.rows)
            picks = [names[(i * 37) % len(names)] for i in range(len(names))]

            def cells(key: str) -> list[str] | None:
                try:
                    return [str(c) for c in table().get_row(key)]
                except Exception:
                    return None  # filtered out, or not in yet

            async def settled_refresh() -> None:
                """Wait until the dashboard's read after the last write is on screen."""
                while screen._reading:
                    await asyncio.sleep(0.002)
                await pilot._wait_for_screen()

            for name in picks:
                if len(fig.change_ms) >= args.changes or time.perf_counter() - changes_start > args.wait:
                    break
                key = f"platform-requests/{name}"
                ns, nm = key.split("/")
                ref = jobs.ObjectRef("VClusterOrchestrator", nm, ns)
                for i in range(args.steps_per_change + 1):
                    await settled_refresh()
                    before = cells(key)
                    # the write through the app's writer; ``written``: when the app knows it is done (and asks the screen
                    # to read again: ``KratixLabApp.act`` / ``step_lab`` call ``refresh_screen`` then)
                    if i == 0:
                        await app.act(jobs.reconcile(ref))
                        written = time.perf_counter()
                    else:
                        steps = app.steps
                        app.step_lab()
                        while app.steps == steps:
                            await asyncio.sleep(0.001)
                        written = time.perf_counter()
                        fig.steps += 1
                    # the screen polled until the read that follows the write is shown: the row changed, or the read ended
                    while True:
                        if cells(key) != before:
                            await pilot._wait_for_screen()  # the screen has processed it (and drawn it)
                            fig.change_ms.append((time.perf_counter() - written) * 1000)
                            snap = screen.snapshot
                            fig.change_worker.append((snap.seconds * 1000, snap.computed))
                            break
                        if not screen._reading:
                            await asyncio.sleep(0.02)
                            if not screen._reading and cells(key) == before:
                                break
                        await asyncio.sleep(0.001)
            fig.cpu["changes"] = cpu_seconds() - cpu1
            fig.loads["changes"] = load()

            # ---- key presses while the lab clock runs ----
            cpu2 = cpu_seconds()
            app.playing = True
            await asyncio.sleep(1.5)  # the clock steps every second

            async def key(name: str, done: Callable[[], bool], label: str = "") -> tuple[float, float]:
                """The time from the key sent (as a terminal's driver sends it) to its effect on screen: ``done()`` true
                and the screen's pending messages processed (``Pilot.press`` also waits for the process to idle — at least
                40 ms, up to seconds while the workers' pipes are busy — so it is not used to time). With it, the CPU
                time of the UI thread (the app runs on this thread's event loop) in the same window: what the press cost
                the app, less noisy than the wall time on a loaded machine (it counts whatever else the app did then —
                an answer from a worker landing — as the wall time does)."""
                kept = key_profiles.get(label or name) if args.profile_keys else None
                if args.profile_keys and kept is None:
                    import cProfile

                    kept = key_profiles[label or name] = cProfile.Profile()
                collected = list(COLLECTED)
                t, c = time.perf_counter(), time.thread_time()
                if kept is not None:
                    kept.enable()
                send(name)
                while not done():
                    await asyncio.sleep(0.0005)
                await pilot._wait_for_screen()
                if kept is not None:
                    kept.disable()
                fig.key_gc.append((COLLECTED[0] - collected[0], COLLECTED[1] - collected[1]))
                return (time.perf_counter() - t) * 1000, (time.thread_time() - c) * 1000

            def send(name: str) -> None:
                from textual import events

                char = {"slash": "/", "escape": "\x1b", "enter": "\r"}.get(name, name if len(name) == 1 else None)
                event = events.Key(name, char)
                event.set_sender(app)
                app._driver.send_message(event)  # type: ignore[union-attr]

            def timed(kind: str, ms: tuple[float, float], name: str = "") -> None:
                fig.key_ms.setdefault(kind, []).append(ms[0])
                fig.key_cpu_ms.setdefault(kind, []).append(ms[1])
                fig.key_log.append((ms[0], ms[1], kind, name))

            key_profiles: dict[str, Any] = {}  # --profile-keys: one cProfile per key, enabled while it is timed
            rounds = max(1, args.keys // 10)
            prof = None
            if args.profile_ui:
                import cProfile

                prof = cProfile.Profile()
                prof.enable()
            for r in range(rounds):
                for name in ("down", "down", "up"):
                    row = screen.table.cursor_row
                    step = 1 if name == "down" else -1
                    timed(
                        "move", await key(name, lambda row=row, step=step: screen.table.cursor_row == row + step), name
                    )
                timed("filter keystroke", await key("slash", lambda: screen.filter_bar.has_focus), "/")
                typed = ""
                for ch in "vc0":
                    typed += ch
                    timed("filter keystroke", await key(ch, lambda typed=typed: screen.filter_text == typed), ch)
                timed("filter keystroke", await key("escape", lambda: screen.filter_text == ""), "escape")
                await asyncio.sleep(0.2)
                timed("open detail", await key("enter", lambda: isinstance(app.screen, RequestDetailScreen)))
                await asyncio.sleep(0.3)
                timed("back", await key("escape", lambda: app.screen is screen, "back"))
                await asyncio.sleep(0.3 if r % 2 else 0.7)  # keys land at different phases of the clock's steps
            app.playing = False
            if prof is not None:
                write_profile(prof, f"/tmp/profile-dashboard-ui-{n}.txt")
            for name, kept in key_profiles.items():
                write_profile(kept, str(Path(args.work) / f"profile-keys-{n}-{name}.txt"), running=False)
                kept.dump_stats(str(Path(args.work) / f"profile-keys-{n}-{name}.prof"))
            fig.cpu["keys"] = cpu_seconds() - cpu2
            fig.loads["keys"] = load()
    finally:
        memory.stop()
    app.close_workers(wait=True)
    return fig


COLLECTED = [0.0, 0.0]  # ms this process's garbage collector has spent: full collections, young ones
_collecting: list[float] = []


def _count_collections(phase: str, info: dict[str, Any]) -> None:
    """``gc.callbacks``: the collector's time in this process (the app's UI thread: its workers are processes)."""
    if phase == "start":
        _collecting[:] = [time.perf_counter()]
    elif _collecting:
        COLLECTED[0 if info["generation"] == 2 else 1] += (time.perf_counter() - _collecting[0]) * 1000


gc.callbacks.append(_count_collections)


def write_profile(prof: Any, target: str, running: bool = True) -> None:
    import io
    import pstats

    if running:
        prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(30)
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(40)
    Path(target).write_text(out.getvalue())


def verdict(value: float, budget: float) -> str:
    return "PASS" if value == value and value <= budget else "FAIL"


def report(fig: Figures) -> None:
    n = fig.n
    keys = [v for vs in fig.key_ms.values() for v in vs]
    print(f"\n== {n} vClusters (load average at start {fig.loads.get('start')}) ==")
    lines = [
        ("first row on screen", fig.first_row, ""),
        ("every row on screen", fig.every_row, fig.rows_at_wait),
        ("row on screen after a change (p95)", p95(fig.change_ms), f"median {statistics.median(fig.change_ms):.0f} ms, n={len(fig.change_ms)}, {fig.steps} steps" if fig.change_ms else "no change seen"),
        ("key press on screen (p95)", p95(keys), f"median {statistics.median(keys):.1f} ms, n={len(keys)}" if keys else ""),
        ("memory of the dashboard's processes", fig.pss_mb, "largest sum of PSS seen (sampled twice a second): " + " + ".join(f"{m:.0f} {r}".strip() + (f" ({f:.0f} of files)" if f >= 1 else "") for m, r, f in itertools.zip_longest(fig.pss_each, fig.pss_roles, fig.pss_file, fillvalue="")) + f"; the largest sum of RSS: {fig.rss_mb:.0f} MB"),
    ]  # fmt: skip
    for label, value, note in lines:
        budget, unit = BUDGETS[label]
        print(f"{n:>5} {label:<38} {value:9.1f} {unit}  budget {budget:g} {unit}  {verdict(value, budget)}  {note}")
    for kind, values in fig.key_ms.items():
        cpu = fig.key_cpu_ms.get(kind, [])
        print(
            f"{n:>5}   keys: {kind:<22} median {statistics.median(values):7.1f} ms, p95 {p95(values):7.1f} ms, n={len(values)}"
            + (f"; UI thread's CPU median {statistics.median(cpu):5.1f} ms, p95 {p95(cpu):5.1f} ms, max {max(cpu):5.1f} ms" if cpu else "")
        )  # fmt: skip
    if fig.key_log:
        slowest = sorted(zip(fig.key_log, fig.key_gc, strict=True), reverse=True)[:6]
        print(
            f"{n:>5}   keys: the slowest presses (wall/UI CPU ms, the garbage collector's inside): "
            + ", ".join(f"{k} {name!r} {w:.0f}/{c:.0f} (gc {g + y:.0f})" for (w, c, k, name), (g, y) in slowest)
        )
        full = [g for g, _ in fig.key_gc if g > 0]
        print(
            f"{n:>5}   keys: the garbage collector inside the presses: {len(full)} of {len(fig.key_gc)} with a full "
            f"collection"
            + (f" (max {max(full):.0f} ms)" if full else "")
            + f", young ones {sum(y for _, y in fig.key_gc):.0f} ms in all"
        )
    if fig.change_worker:
        ms = [m for m, _ in fig.change_worker]
        rows = [r for _, r in fig.change_worker]
        print(
            f"{n:>5}   after a change, the fleet worker's read that showed it: median {statistics.median(ms):.0f} ms, p95 {p95(ms):.0f} ms; rows it computed: median {statistics.median(rows):.0f}, max {max(rows)}"
        )
    if fig.stream_key_ms:
        v = fig.stream_key_ms
        print(
            f"{n:>5}   keys while the rows stream in: median {statistics.median(v):.1f} ms, p95 {p95(v):.1f} ms, n={len(v)}"
        )
    if fig.after_paint[0]:
        total, each, roles = fig.after_paint
        print(
            f"{n:>5}   memory after the first paint (its forked processes gone; the clock's first rounds): largest "
            f"sum of PSS {total:.0f} MB: "
            + " + ".join(f"{m:.0f} {r}".strip() for m, r in itertools.zip_longest(each, roles, fillvalue=""))
        )
    print(f"{n:>5}   CPU of the app's processes: " + ", ".join(f"{k} {v:.1f} s" for k, v in fig.cpu.items()))
    print(
        f"{n:>5}   CPU of each at the end of the first paint (as above): "
        + " + ".join(f"{v:.1f}" for v in fig.cpu_each)
        + " s"
    )
    print(f"{n:>5}   load average: " + ", ".join(f"{k} {v}" for k, v in fig.loads.items()))


def profile_batch(path: Path, n: int, rows: int) -> None:
    """cProfile of the fleet's worker computing ``rows`` rows after its first (bench/profile-dashboard-<n>.txt)."""
    import cProfile
    import io
    import pstats

    from kratix_lab.sources.factory import PlatformSettings, open_platform
    from tui.jobs import read_fleet

    platform = open_platform(PlatformSettings(lab=str(path)), read_only=True)
    snap = read_fleet(None, 1, platform.source, platform.actions)
    prof = cProfile.Profile()
    t, c = time.perf_counter(), time.process_time()
    prof.enable()
    read_fleet(snap.token, rows, platform.source, platform.actions)
    prof.disable()
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(25)
    target = Path(f"/tmp/profile-dashboard-{n}.txt")
    target.write_text(out.getvalue())
    print(
        f"{n:>5}   profile: {rows} rows in {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU ({cpu / rows * 1000:.0f} ms a row) -> {target}"
    )
    platform.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,300,1000")
    ap.add_argument("--labs", default="/tmp/kratix-lab-bench")
    ap.add_argument("--work", default="/tmp/kratix-lab-bench-dashboard")
    ap.add_argument("--changes", type=int, default=20)
    ap.add_argument("--steps-per-change", type=int, default=6)
    ap.add_argument("--keys", type=int, default=40)
    ap.add_argument(
        "--wait", type=float, default=600.0, help="seconds at most for the first paint, and for the changes"
    )
    ap.add_argument("--profile", type=int, default=0, help="rows of a profiled batch of the fleet's worker (0: none)")
    ap.add_argument("--profile-ui", action="store_true", help="cProfile the app's process while the keys are pressed")
    ap.add_argument("--profile-paint", action="store_true", help="cProfile the app's process during the first paint")
    ap.add_argument(
        "--profile-keys",
        action="store_true",
        help="cProfile the app's process while each key press is timed, one profile per key (WORK/profile-keys-N-KEY.txt)",
    )
    ap.add_argument(
        "--documents-kept",
        action="store_true",
        help="the YAML documents of the state repo's files kept from an earlier run (default: each size starts with "
        "an empty document cache, as on a machine that never read the lab)",
    )
    args = ap.parse_args()
    work = Path(args.work)
    print(machine_speed(), flush=True)
    for n in (int(s) for s in args.sizes.split(",")):
        src = Path(args.labs) / f"fleet-{n}"
        if not (src / ".settled").exists():
            print(f"{src} is not a settled lab (bench/bench_fleet.py builds it)", file=sys.stderr)
            continue
        path = work / f"fleet-{n}"
        shutil.rmtree(path, ignore_errors=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(src, path, symlinks=True)
        # the dashboard's workers keep the documents they parse by content (kratix_lab.model.doccache)
        documents = work / f"documents-{n}"
        if not args.documents_kept:
            shutil.rmtree(documents, ignore_errors=True)
        os.environ["KRATIX_LAB_CACHE_DIR"] = str(documents)
        print(f"document cache: {documents} ({'kept from an earlier run' if args.documents_kept else 'empty'})")
        fig = asyncio.run(run_app(path, n, args))
        report(fig)
        if args.profile:
            profile_batch(path, n, args.profile)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
