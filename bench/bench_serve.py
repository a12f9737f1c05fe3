"""``kratix-lab serve`` budgets (issue 13), medians over repeats, ratios within one run.

The server is ``kratix-lab serve --paused`` in its own process, as a user runs it; this process is the client
(kubectl, HTTPS requests, the watch-latency reader) and a second Lab writer; the 50 held watches live in a third
process (so their reading does not take this process's GIL from the Lab it times).

- ``kubectl get vco -A`` within 1.5x the wall time of ``kubectl version`` against the same server;
- a list of every Pod <= 100 ms server time (until the response's headers, which the server sends once the whole
  body is built; the round trip with the TLS transfer of the body is printed beside it);
- a watch event reaches a client <= 100 ms after another process's Lab has committed the change (the reader
  stamps the event's arrival; measured from the end of the commit, and from the start of the write);
- 50 concurrent watches (every Pod, all namespaces, from the listed resourceVersion as kubectl and informers
  do) held while this process's Lab settles more vClusters: the per-vCluster settle cost with the watches open
  vs without (<= 1.2x), rounds alternating in ABBA order (the shared machine's drift cancels), medians.

The N-vCluster lab is built once and cached in /tmp/kratix-lab-bench/serve-<n> (100 take ~30-60 s to settle);
each run works on a copy (the runs add vClusters and ConfigMaps). `--rebuild` builds it again.

Run: `.venv/bin/python bench/bench_serve.py [--vclusters 100] [--repeat 5] [--watches 50] [--rounds 4]`.

Results are in the README's Benchmarks section. One settle of the sequence (round 3's second) is several times the
others with or without a server: the lab's own work at that point of its history, which the medians absorb.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lab import request

from kratix_lab.platform.lab import Lab

CACHE = Path("/tmp/kratix-lab-bench")


def settle_with(lab_dir: Path, first: int, n: int) -> float:
    """Apply vClusters ``first..first+n-1`` and settle: seconds per vCluster (as bench_lab counts them)."""
    lab = Lab(lab_dir)
    t = time.perf_counter()
    for i in range(first, first + n):
        lab.apply_object(request(i))
    lab.settle(max_steps=5000)
    lab.close()
    return (time.perf_counter() - t) / n


def lab_copy(n: int, into: Path, rebuild: bool) -> Path:
    """A copy of the cached settled n-vCluster lab (built first when missing)."""
    cached = CACHE / f"serve-{n}"
    if rebuild or not (cached / ".settled").exists():
        shutil.rmtree(cached, ignore_errors=True)
        t = time.perf_counter()
        settle_with(cached, 0, n)
        (cached / ".settled").write_text("settled\n")
        print(f"built and settled a {n}-vCluster lab in {time.perf_counter() - t:.1f} s ({cached})", flush=True)
    copy = into / "lab"
    shutil.copytree(cached, copy, symlinks=True)
    for cfg in copy.rglob("config"):  # git remotes name the cached lab's absolute path: point them at the copy
        if cfg.parent.name == ".git" or cfg.parent.name.endswith(".git"):
            text = cfg.read_text()
            if str(cached) in text:
                cfg.write_text(text.replace(str(cached), str(copy)))
    return copy


class Client:
    """HTTPS to the served lab with the kubeconfig's CA and token."""

    def __init__(self, kubeconfig: Path) -> None:
        cfg = yaml.safe_load(kubeconfig.read_text())
        self.kubeconfig = kubeconfig
        self.url = cfg["clusters"][0]["cluster"]["server"]
        self.token = cfg["users"][0]["user"]["token"]
        self.ctx = ssl.create_default_context(
            cadata=base64.b64decode(cfg["clusters"][0]["cluster"]["certificate-authority-data"]).decode()
        )

    def get(self, path: str, stream: bool = False):
        req = urllib.request.Request(self.url + path, headers={"Authorization": f"Bearer {self.token}"})
        r = urllib.request.urlopen(req, context=self.ctx, timeout=None if stream else 60)
        return r if stream else r.read()


class Served(Client):
    """``kratix-lab serve --paused`` in a child process."""

    def __init__(self, lab_dir: Path, kubeconfig: Path) -> None:
        cli = [sys.executable, "-m", "kratix_lab.cli"] if not shutil.which("kratix-lab") else ["kratix-lab"]
        self.proc = subprocess.Popen(
            [*cli, "--lab", str(lab_dir), "serve", "--paused", "--port", "0", "--kubeconfig", str(kubeconfig)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self.proc.stdout.readline()  # export KUBECONFIG=… once it serves
        if not line.startswith("export KUBECONFIG="):
            raise SystemExit(f"kratix-lab serve did not start: {line!r}")
        super().__init__(kubeconfig)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def _hang_up(stream) -> None:
    """End a watch under its reader: ``close()`` from another thread blocks while the reader holds the stream."""
    with contextlib.suppress(AttributeError, OSError):
        stream.fp.raw._sock.shutdown(socket.SHUT_RDWR)


def _drain(stream, counts: list[int], i: int) -> None:
    try:
        for _ in iter(stream.readline, b""):
            counts[i] += 1
    except (OSError, ValueError, AttributeError):
        pass  # closed under the reader


def hold_watches(kubeconfig: Path, n: int, rv: str) -> int:
    """The watchers' process: open n watches of every Pod from ``rv``, say so, drain until stdin closes."""
    client = Client(kubeconfig)
    streams = [client.get(f"/api/v1/pods?watch=1&resourceVersion={rv}", stream=True) for _ in range(n)]
    counts = [0] * n
    drains = [threading.Thread(target=_drain, args=(s, counts, i), daemon=True) for i, s in enumerate(streams)]
    for th in drains:
        th.start()
    print("holding", flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    for s in streams:
        _hang_up(s)
    for th in drains:
        th.join(10)
    print(f"events {sum(counts)}", flush=True)
    return 0


class Watchers:
    """n watches held by a child process."""

    def __init__(self, kubeconfig: Path, n: int, rv: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--hold-watches", str(n), "--kubeconfig", str(kubeconfig), "--rv", rv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if self.proc.stdout.readline().strip() != "holding":
            raise SystemExit("the watchers' process did not start")

    def stop(self) -> int:
        out, _ = self.proc.communicate(timeout=60)
        return int(out.split()[-1]) if out.strip() else -1


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def bench_kubectl(run: Served, d: Path, repeat: int, results: list[str]) -> None:
    kubectl = shutil.which("kubectl")
    if not kubectl:
        results.append("kubectl get vco -A / kubectl version: SKIPPED (kubectl is not installed)")
        return
    env = {**os.environ, "KUBECONFIG": str(run.kubeconfig), "KUBECACHEDIR": str(d / "cache")}
    rows = subprocess.run([kubectl, "get", "vco", "-A", "--no-headers"], env=env, capture_output=True, check=True)
    subprocess.run([kubectl, "version"], env=env, capture_output=True, check=True)  # warm discovery cache

    def wall(*a: str) -> float:
        t = time.perf_counter()
        subprocess.run([kubectl, *a], env=env, capture_output=True, check=True)
        return time.perf_counter() - t

    version, get = [], []
    for _ in range(repeat):  # interleaved: the machine's drift hits both alike
        version.append(wall("version"))
        get.append(wall("get", "vco", "-A"))
    v, g = statistics.median(version), statistics.median(get)
    results.append(
        f"kubectl get vco -A ({len(rows.stdout.splitlines())} rows) {g * 1000:.0f} ms / kubectl version "
        f"{v * 1000:.0f} ms = {g / v:.2f}x   budget <= 1.5x   {verdict(g / v <= 1.5)}"
    )
    print(results[-1], flush=True)


def bench_pod_list(run: Served, repeat: int, results: list[str]) -> None:
    """The server's time is until the response's headers: it builds the whole body before them (Content-Length);
    the round trip adds the TLS transfer of the body and this client's reading of it."""
    run.get("/api/v1/pods")  # warm
    server, trip = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        with run.get("/api/v1/pods", stream=True) as r:
            server.append(time.perf_counter() - t)
            body = r.read()
        trip.append(time.perf_counter() - t)
    pods = len(json.loads(body)["items"])
    med = statistics.median(server) * 1000
    results.append(
        f"list of every Pod ({pods} Pods, {len(body) / 1e6:.1f} MB): server time median {med:.1f} ms, max "
        f"{max(server) * 1000:.1f} ms (round trip with the transfer: median {statistics.median(trip) * 1000:.1f} ms)"
        f"   budget <= 100 ms   {verdict(med <= 100)}"
    )
    print(results[-1], flush=True)


def bench_watch_latency(run: Served, lab_dir: Path, repeat: int, results: list[str]) -> None:
    """One watch of ConfigMaps in ``default`` from the listed resourceVersion; another Lab creates one."""
    after_commit, after_call, lost = [], [], 0
    other = Lab(lab_dir)
    try:
        for i in range(repeat):
            rv = json.loads(run.get("/api/v1/namespaces/default/configmaps"))["metadata"]["resourceVersion"]
            stream = run.get(f"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={rv}", stream=True)
            name = f"bench-watch-{i}"
            arrived: list[float] = []
            got = threading.Event()

            def read(s=stream, want=name, out=arrived, ev=got) -> None:
                with contextlib.suppress(OSError, ValueError, AttributeError):
                    for line in iter(s.readline, b""):
                        if json.loads(line)["object"]["metadata"]["name"] == want:
                            out.append(time.perf_counter())
                            break
                ev.set()

            th = threading.Thread(target=read, daemon=True)
            th.start()
            time.sleep(0.05)  # the reader is waiting on the socket
            t0 = time.perf_counter()
            other.store.create(
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"}}
            )
            t1 = time.perf_counter()  # committed
            if not got.wait(10) or not arrived:
                lost += 1
            else:
                after_commit.append(max(0.0, arrived[0] - t1))
                after_call.append(arrived[0] - t0)
            _hang_up(stream)
            th.join(10)
            time.sleep(0.03)  # spread the commits over the poller's phase
    finally:
        other.close()
    if not after_commit:
        results.append(f"watch event after a commit: every one of {repeat} events lost   FAIL")
    else:
        med = statistics.median(after_commit) * 1000
        results.append(
            f"watch event after another process's commit ({len(after_commit)} events): median {med:.0f} ms, max "
            f"{max(after_commit) * 1000:.0f} ms (from the write call: median "
            f"{statistics.median(after_call) * 1000:.0f} ms){f', {lost} LOST' if lost else ''}   budget <= 100 ms   "
            f"{verdict(med <= 100 and not lost)}"
        )
    print(results[-1], flush=True)


def bench_held_watches(
    run: Served, lab_dir: Path, watches: int, rounds: int, per_round: int, results: list[str]
) -> None:
    base, loaded, events = [], [], 0
    for r in range(rounds):
        order = ("alone", "watched") if r % 2 == 0 else ("watched", "alone")
        for cond in order:
            first = 1000 + 100 * r + (0 if cond == "alone" else 50)
            if cond == "alone":
                base.append(settle_with(lab_dir, first, per_round))
                continue
            rv = json.loads(run.get("/api/v1/pods?limit=1"))["metadata"]["resourceVersion"]
            held = Watchers(run.kubeconfig, watches, rv)
            try:
                loaded.append(settle_with(lab_dir, first, per_round))
            finally:
                events += held.stop()
        print(f"  round {r + 1} ({order[0]} first): {base[-1]:.2f} s alone, {loaded[-1]:.2f} s watched", flush=True)
    b, w = statistics.median(base), statistics.median(loaded)
    results.append(
        f"settle per vCluster: {b:.2f} s alone, {w:.2f} s with {watches} watches held ({events} events delivered) "
        f"= {w / b:.2f}x   budget <= 1.2x   {verdict(w / b <= 1.2)}"
    )
    print(results[-1], flush=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vclusters", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--watches", type=int, default=50, help="watches held open in the settle part (0: skip it)")
    ap.add_argument("--rounds", type=int, default=4, help="rounds of the settle part (ABBA order)")
    ap.add_argument("--per-round", type=int, default=5, help="vClusters settled per round and condition")
    ap.add_argument("--rebuild", action="store_true", help="build the cached lab again")
    ap.add_argument("--hold-watches", type=int, help=argparse.SUPPRESS)  # the watchers' child process
    ap.add_argument("--kubeconfig", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--rv", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.hold_watches:
        return hold_watches(args.kubeconfig, args.hold_watches, args.rv)
    results: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        lab_dir = lab_copy(args.vclusters, d, args.rebuild)
        run = Served(lab_dir, d / "kubeconfig")
        try:
            bench_kubectl(run, d, args.repeat, results)
            bench_pod_list(run, args.repeat, results)
            bench_watch_latency(run, lab_dir, 2 * args.repeat, results)
            if args.watches:
                bench_held_watches(run, lab_dir, args.watches, args.rounds, args.per_round, results)
        finally:
            run.stop()
    print(f"\n{args.vclusters} vClusters, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs")
    for line in results:
        print(f"- {line}")
    return 0 if all("FAIL" not in line for line in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
