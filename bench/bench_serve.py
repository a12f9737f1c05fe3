"""``kratix-lab serve`` budgets (issue 13), medians over repeats, ratios within one run.

- ``kubectl get vco -A`` within 1.5x the wall time of ``kubectl version`` against the same server;
- a list of every Pod <= 100 ms server time (measured as one HTTPS round trip from this process);
- a watch event reaches a client <= 100 ms after another process's Lab commits the change;
- 50 concurrent watches held while the lab settles more vClusters: the per-vCluster settle cost with
  the watches open vs without (<= 1.2x).

Run: `.venv/bin/python bench/bench_serve.py [--vclusters 100] [--repeat 5] [--watches 50]` (default 10 vClusters,
no watches part: with 20 watches open the settle did not finish in a first run — under investigation).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
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

from kratix_lab import serve
from kratix_lab.platform.lab import Lab


def _ctx(run: serve.Running) -> ssl.SSLContext:
    cfg = yaml.safe_load(run.kubeconfig.read_text())
    return ssl.create_default_context(
        cadata=base64.b64decode(cfg["clusters"][0]["cluster"]["certificate-authority-data"]).decode()
    )


def _get(run, ctx, path, stream=False):
    req = urllib.request.Request(run.url + path, headers={"Authorization": f"Bearer {run.token}"})
    r = urllib.request.urlopen(req, context=ctx, timeout=None if stream else 60)
    return r if stream else r.read()


def settle_with(lab_dir: Path, first: int, n: int) -> float:
    lab = Lab(lab_dir)
    t = time.perf_counter()
    for i in range(first, first + n):
        lab.apply_object(request(i))
    lab.settle(max_steps=5000)
    lab.close()
    return (time.perf_counter() - t) / n


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vclusters", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument(
        "--watches",
        type=int,
        default=0,
        help="N>0: also the settle cost with N watches open (hung in a first run; see the report)",
    )
    args = ap.parse_args()
    kubectl = shutil.which("kubectl")
    with tempfile.TemporaryDirectory() as d:
        lab_dir = Path(d) / "lab"
        t = time.perf_counter()
        settle_with(lab_dir, 0, args.vclusters)
        print(f"lab with {args.vclusters} vClusters settled in {time.perf_counter() - t:.1f} s")
        run = serve.start(lab_dir, paused=True, kubeconfig=Path(d) / "kubeconfig")
        ctx = _ctx(run)
        try:
            if kubectl:
                env = {**os.environ, "KUBECONFIG": str(run.kubeconfig), "KUBECACHEDIR": str(Path(d) / "cache")}
                subprocess.run([kubectl, "get", "vco", "-A"], env=env, capture_output=True, check=True)  # warm cache

                def wall(*a):
                    t = time.perf_counter()
                    subprocess.run([kubectl, *a], env=env, capture_output=True, check=True)
                    return time.perf_counter() - t

                version = statistics.median(wall("version") for _ in range(args.repeat))
                get = statistics.median(wall("get", "vco", "-A") for _ in range(args.repeat))
                print(
                    f"kubectl version {version * 1000:.0f} ms, get vco -A {get * 1000:.0f} ms: ratio {get / version:.2f} (budget 1.5)"
                )
            else:
                print("kubectl not installed: the kubectl ratio is skipped")
            samples = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                body = _get(run, ctx, "/api/v1/pods")
                samples.append(time.perf_counter() - t)
            pods = len(json.loads(body)["items"])
            print(f"list of every Pod ({pods}): median {statistics.median(samples) * 1000:.1f} ms (budget 100)")

            latencies = []
            other = Lab(lab_dir)
            for i in range(args.repeat):
                rv = json.loads(_get(run, ctx, "/api/v1/namespaces/default/configmaps"))["metadata"]["resourceVersion"]
                stream = _get(
                    run, ctx, f"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={rv}", stream=True
                )
                got = threading.Event()

                def read(s=stream, ev=got):
                    s.readline()
                    ev.set()

                th = threading.Thread(target=read, daemon=True)
                th.start()
                t = time.perf_counter()
                other.store.create(
                    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"bench{i}", "namespace": "default"}}
                )
                got.wait(10)
                latencies.append(time.perf_counter() - t)
                stream.close()
            other.close()
            print(
                f"watch event after a commit in another process: median {statistics.median(latencies) * 1000:.0f} ms (budget 100)"
            )

            if not args.watches:
                return 0
            base = settle_with(lab_dir, 1000, 3)
            streams = [_get(run, ctx, "/api/v1/pods?watch=1", stream=True) for _ in range(args.watches)]
            drains = [
                threading.Thread(target=lambda s=s: [None for _ in iter(s.readline, b"")], daemon=True) for s in streams
            ]
            for th in drains:
                th.start()
            loaded = settle_with(lab_dir, 2000, 3)
            for s in streams:
                s.close()
            print(
                f"settle per vCluster: {base:.2f} s alone, {loaded:.2f} s with {args.watches} watches: ratio {loaded / base:.2f} (budget 1.2)"
            )
        finally:
            run.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
