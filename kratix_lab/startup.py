"""What a kratix-lab process does first (the CLI, the pipeline entry point, notebook kernels, the tests; the
dashboard's worker processes also tune the garbage collector: ``tune_gc``).

jsonschema (the lab's Helm values check and, through kubernetes-validate, the pipeline SDK's client) imports
rfc3987-syntax whenever it is installed — Jupyter's jupyter-events brings it — and that import compiles ~40
Lark grammars: 3.5–6 s per process, for the "iri" format checks kratix-lab never makes (formats are not
enforced, see the README's schema section). Hidden before jsonschema is first imported, jsonschema behaves
as when the package is absent: it skips those two format checkers. A process that already imported
jsonschema is left alone.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

# The cyclic garbage collector's thresholds in a process that reads a lab: a young generation of 50,000 allocations
# (Python's default: 700) and the older ones collected half as often as Python's (20, not 10; a full collection also
# waits until a quarter of what it would walk is new, Python's own rule). Measured at 1,000 vClusters (300 rows):
# (50,000, 10, 10) left the bulk read of the first row at 1.4 s of CPU, (50,000, 20, 20) 1.0 s, as never collecting.
GC_THRESHOLDS = (50_000, 20, 20)


def skip_slow_optional_imports() -> None:
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)


def tune_gc() -> None:
    """Let the collector run less often in a process that parses a lab's objects (the CLI, the dashboard's workers).

    What the lab reads is trees of dicts and lists decoded from JSON, with no cycles; but every few hundred of them
    made trigger a collection that walks the young objects, and the older generations' collections walk what the
    process holds (a thousand vClusters: millions of objects). Measured at 1,000 vClusters: a quarter of a fleet
    row's CPU (11.3 → 8.4 ms) and of a lab's first step. Cycles are still collected, less often."""
    gc.set_threshold(*GC_THRESHOLDS)


_libc: Any = None


def give_back_free_memory() -> None:
    """Give the C allocator's free memory back to the system (glibc's ``malloc_trim``; nothing elsewhere).

    Python hands objects over 512 bytes (a big map's table, a long string: a JSON body, a Manifests' text) to the C
    allocator, which keeps what they freed for later rather than return it, so a process that once read a whole lab
    keeps that high-water mark. Measured in the dashboard's clock at 1,000 vClusters after its first round: 30 MB
    given back in ~5 ms. For a long-lived process between two jobs (``tui.lab_workers``)."""
    global _libc
    if _libc is None:
        try:
            import ctypes

            _libc = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _libc = False
    if _libc:
        _libc(0)
