"""Trace and diagnose cost in a lab with many vClusters (budget: one request in a 100-vCluster lab ≤ 50 ms).

Run: `.venv/bin/python bench/bench_trace.py [--vclusters 100] [--repeat 20]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_lab import request

from kratix_lab.diagnose import diagnose
from kratix_lab.platform.lab import Lab
from kratix_lab.sources.lab import LabSource
from kratix_lab.trace import trace


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vclusters", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        lab = Lab(Path(d) / "lab")
        for i in range(args.vclusters):
            lab.submit(request(i))
        t = time.perf_counter()
        lab.settle()
        print(f"lab with {args.vclusters} vClusters settled in {time.perf_counter() - t:.1f} s")
        source = LabSource(lab)
        name = f"vc{args.vclusters // 2:03d}"
        trace(source, "VClusterOrchestrator", name, "platform-requests")  # warm: the first walk of the git history
        for label, fn in (
            ("trace", lambda: trace(source, "VClusterOrchestrator", name, "platform-requests")),
            ("diagnose", lambda: diagnose(source, "VClusterOrchestrator", name, "platform-requests")),
        ):
            times = []
            for _ in range(args.repeat):
                s = time.perf_counter()
                fn()
                times.append(time.perf_counter() - s)
            print(
                f"{label:>8} of one request in a {args.vclusters}-vCluster lab: median {statistics.median(times) * 1000:.1f} ms, "
                f"min {min(times) * 1000:.1f} ms, n={args.repeat} (budget 50 ms)"
            )


if __name__ == "__main__":
    main()
