"""Kubernetes timestamps (RFC 3339, seconds precision) as seconds on the lab's clock.

The clock counts seconds from ``EPOCH`` (the lab's simulated clock starts there; a live source uses
the same scale, so ages and "stuck for N minutes" read alike everywhere).
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)  # the simulated clock starts here


@functools.lru_cache(maxsize=4096)  # every write stamps the current second; strftime is slow
def rfc3339(seconds: int) -> str:
    return (EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


@functools.lru_cache(maxsize=16384)  # a trace parses the same timestamps on every refresh; strptime is slow
def parse_time(text: str) -> int:
    return int((datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) - EPOCH).total_seconds())
