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


def timestamp(text: str | None) -> int | None:
    """``Source.timestamp``: an RFC 3339 timestamp as seconds on the clock; None for no text or one that does not
    parse (a field a controller left empty or wrote in another form is "unknown", never an error)."""
    if not text:
        return None
    try:
        return parse_time(text)
    except ValueError:
        return None


def human_duration(seconds: int) -> str:
    """A duration as kubectl prints ages and "since" columns: ``45s``, ``3m10s``, ``45m``, ``2h30m``, ``20h``,
    ``5d``, ``2y30d`` — about two significant figures. The one duration format of the CLI, the dashboard and the
    notebooks; always computed when shown, from a stored timestamp, never kept in a message.

    kubernetes/apimachinery pkg/util/duration/duration.go:45-93 ``HumanDuration`` (commit eed236ce): below
    -1 s ``<invalid>``, -1 s counts as ``0s`` (clock skew), seconds up to 2 minutes, minutes and seconds up to
    10 minutes, minutes up to 3 hours, hours and minutes up to 8 hours, hours up to 48, days and hours up to 8
    days, days up to 2 years, then years and days up to 8 years, then years."""
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        s = seconds % 60
        return f"{minutes}m{s}s" if s else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h{m}m" if m else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d{h}h" if h else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        d = (hours // 24) % 365
        return f"{hours // 24 // 365}y{d}d" if d else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


def ago(since: int | None, now: int) -> str:
    """How long ago ``since`` was at ``now`` (lab seconds), as ``human_duration``; ``-`` when unknown."""
    return "-" if since is None else human_duration(max(0, now - since))
