"""Lab benchmark: vClusters from submit to every pod Ready (in-process executor).

Budgets (design.md): one `media` ≤ 0.5 s wall; 100 vClusters ≤ 30 s, cost linear in vClusters.
Reports medians over repeats; each repeat uses a fresh lab (its creation is timed separately).
``--controllers`` also shows where the rounds' time went: seconds in each controller's reconcile,
summed over the rounds of the first run of each size.
Run: `.venv/bin/python bench/bench_lab.py [--sizes 1,10,50,100] [--repeat 3] [--controllers]`.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from kratix_lab.model import get_condition, load_one
from kratix_lab.platform.lab import Lab

ROOT = Path(__file__).resolve().parents[1]


BENCH_CACHE = Path("/tmp/kratix-lab-bench")


def cached_lab(prefix: str, n: int, rebuild: bool = False) -> Path:
    """An n-vCluster lab (``request(0..n-1)``, settled), built once and kept in /tmp/kratix-lab-bench/<prefix>-<n>
    for the benchmarks that read a big lab (``--rebuild`` builds it again); the build time is printed."""
    path = BENCH_CACHE / f"{prefix}-{n}"
    marker = path / ".settled"
    if rebuild or not marker.exists():
        shutil.rmtree(path, ignore_errors=True)
        t = time.perf_counter()
        with Lab(path) as lab:
            for i in range(n):
                lab.submit(request(i))
            assert lab.settle().quiescent
        marker.write_text("settled\n")
        print(f"built and settled a {n}-vCluster lab in {time.perf_counter() - t:.1f} s ({path})", flush=True)
    return path


def request(i: int) -> dict:
    media = load_one((ROOT / "sample_requests" / "media.yaml").read_text())
    name = f"vc{i:03d}"
    media["metadata"] = {"name": name, "namespace": "platform-requests"}
    media["spec"].update(name=name, targetNamespace=f"vcluster-{name}", projectName=f"vcluster-{name}")
    media["spec"]["exposure"]["hostname"] = f"{name}.integratn.tech"
    return media


def all_ready(lab: Lab, n: int) -> bool:
    pods = [p for p in lab.list("Pod") if p["metadata"]["namespace"].startswith("vcluster-")]
    ready = [p for p in pods if (get_condition(p, "Ready") or {}).get("status") == "True"]
    apps = [a for a in lab.list("Application", "argocd") if a["status"].get("health", {}).get("status") == "Healthy"]
    return len(pods) == len(ready) and len(apps) == n + 2


def time_controllers(lab: Lab, spent: collections.Counter[str]) -> None:
    """Add the seconds each controller's reconcile takes from now on to ``spent`` (wrapped in place)."""
    for c in lab.controllers:

        def reconcile(ctx, inner=c.reconcile, name=c.name):
            t = time.perf_counter()
            try:
                return inner(ctx)
            finally:
                spent[name] += time.perf_counter() - t

        c.reconcile = reconcile


def run(n: int, spent: collections.Counter[str] | None = None) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        lab = Lab(Path(d) / "lab")
        if spent is not None:
            time_controllers(lab, spent)
        t1 = time.perf_counter()
        for i in range(n):
            lab.submit(request(i) if n > 1 else ROOT / "sample_requests" / "media.yaml")
        result = lab.settle()
        t2 = time.perf_counter()
        assert result.quiescent and all_ready(lab, n), "not every pod is Ready"
        lab.close()
        return t1 - t0, t2 - t1, result.steps


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1,10,50,100")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--controllers", action="store_true", help="also show the seconds spent in each controller")
    args = ap.parse_args()
    import kratix_lab.pipeline.entrypoint  # noqa: F401 - warm imports: kratix-sdk pulls in the kubernetes client once

    run(1)  # warm-up: first renders compile the chart schema and import the pipeline modules

    base = None
    for n in (int(x) for x in args.sizes.split(",")):
        repeats = args.repeat if n <= 10 else 1
        spent: collections.Counter[str] = collections.Counter()
        runs = [run(n, spent if i == 0 and args.controllers else None) for i in range(repeats)]
        med = statistics.median(r[1] for r in runs)
        base = base or med / n
        print(
            f"{n:>4} vClusters: submit→all pods Ready median {med:.2f} s ({med / n * 1000:.0f} ms each, "
            f"{med / n / base:.2f}× the per-vCluster cost of the first size), lab creation "
            f"{statistics.median(r[0] for r in runs) * 1000:.0f} ms, {runs[0][2]} steps, n={repeats}"
        )
        if spent:
            rest = runs[0][1] - sum(spent.values())
            parts = [f"{name} {seconds:.2f} s" for name, seconds in spent.most_common()]
            print(f"      {', '.join(parts)}, submits and the rest {rest:.2f} s")


if __name__ == "__main__":
    main()
