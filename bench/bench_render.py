"""Render benchmark: the seed's media request through all eight pipelines, in-process and subprocess.

Reports medians (and the cold first render, which pays for importing the SDK's kubernetes client).
Run: `make bench` or `.venv/bin/python bench/bench_render.py [--repeat N]`.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()

    t0 = time.perf_counter()
    from kratix_lab.pipeline.executors import SubprocessExecutor
    from kratix_lab.promises import load_catalogue
    from kratix_lab.render import read_request, render

    catalogue = load_catalogue()
    request = read_request(ROOT / "sample_requests" / "media.yaml")
    t1 = time.perf_counter()
    node = render(catalogue, request)
    t2 = time.perf_counter()
    assert node.ok, node.errors()
    pipelines = sum(1 for _ in node.walk())
    print(f"cold: imports+catalogue {1000 * (t1 - t0):.0f} ms, first render {1000 * (t2 - t1):.0f} ms")

    def measure(label: str, repeat: int, **kw) -> None:
        times = []
        for _ in range(repeat):
            s = time.perf_counter()
            n = render(catalogue, request, **kw)
            times.append(time.perf_counter() - s)
            assert n.ok
        med = statistics.median(times)
        print(
            f"{label:>11}: median {1000 * med:.1f} ms per media render ({pipelines} pipelines, "
            f"{1000 * med / pipelines:.1f} ms each), min {1000 * min(times):.1f} ms, n={repeat}"
        )

    measure("in-process", args.repeat)
    measure("subprocess", max(3, args.repeat // 5), executor=SubprocessExecutor())


if __name__ == "__main__":
    main()
