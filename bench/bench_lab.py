"""Lab benchmark: vClusters from submit to every pod Ready (in-process executor).

Budgets (design.md): one `media` ≤ 0.5 s wall; 100 vClusters ≤ 30 s, cost linear in vClusters.
Reports medians over repeats; each repeat uses a fresh lab (its creation is timed separately).
Run: `.venv/bin/python bench/bench_lab.py [--sizes 1,10,50,100] [--repeat 3]`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from kratix_lab.model import get_condition, load_one
from kratix_lab.platform.lab import Lab

ROOT = Path(__file__).resolve().parents[1]


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


def run(n: int) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        lab = Lab(Path(d) / "lab")
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
    args = ap.parse_args()
    import kratix_lab.pipeline.entrypoint  # noqa: F401 - warm imports: kratix-sdk pulls in the kubernetes client once

    run(1)  # warm-up: first renders compile the chart schema and import the pipeline modules

    base = None
    for n in (int(x) for x in args.sizes.split(",")):
        repeats = args.repeat if n <= 10 else 1
        runs = [run(n) for _ in range(repeats)]
        med = statistics.median(r[1] for r in runs)
        base = base or med / n
        print(
            f"{n:>4} vClusters: submit→all pods Ready median {med:.2f} s ({med / n * 1000:.0f} ms each, "
            f"{med / n / base:.2f}× the per-vCluster cost of the first size), lab creation "
            f"{statistics.median(r[0] for r in runs) * 1000:.0f} ms, {runs[0][2]} steps, n={repeats}"
        )


if __name__ == "__main__":
    main()
