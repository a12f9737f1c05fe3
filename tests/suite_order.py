"""The slowest test files first under ``pytest -n 2`` (tests/conftest.py's hooks call these).

``--dist loadfile`` hands whole files to the two workers in collection order (``--no-loadscope-reorder``,
pyproject.toml), so the files that take longest go out first and the short ones fill the end: no worker is left
alone with a long file at the end (longest-processing-time-first). ``tests/durations.json`` holds each file's
seconds (setup, call and teardown of its tests, summed, on the worker that ran it). Files it does not name (new
ones) run too, before the ones it names, in their collection order: one of them may be slow, and at the start it
cannot hold up the end. Refresh it with ``KRATIX_LAB_RECORD_DURATIONS=1 make test`` (README, Development): a run of
some files updates theirs, and files that no longer exist are dropped. ``KRATIX_LAB_DURATIONS=PATH`` reads and
writes another record (tests/test_suite_order.py uses it).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

ROOT = Path(__file__).parent.parent
DURATIONS = Path(os.environ.get("KRATIX_LAB_DURATIONS") or Path(__file__).with_name("durations.json"))
RECORD_ENV = "KRATIX_LAB_RECORD_DURATIONS"


class HasNodeId(Protocol):
    nodeid: str


Item = TypeVar("Item", bound=HasNodeId)


def file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def read_durations(path: Path = DURATIONS) -> dict[str, float]:
    """The recorded seconds per file; nothing (every file keeps its collection order) if the file is missing or
    is not a JSON object of numbers."""
    try:
        data = json.loads(path.read_text())
        return {str(k): float(v) for k, v in data.items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def slowest_first(items: Sequence[Item], seconds: Mapping[str, float]) -> list[Item]:
    """The same items: files not recorded first, then files by recorded seconds, most first; stable, so a file's
    tests keep their order and files with equal seconds (or none) keep theirs."""
    return sorted(items, key=lambda item: -seconds.get(file_of(item.nodeid), math.inf))


def merged(recorded: Mapping[str, float], spent: Mapping[str, float], root: Path = ROOT) -> dict[str, float]:
    """``recorded`` updated with this run's ``spent`` seconds, files that no longer exist under ``root`` dropped,
    most seconds first."""
    seconds = {**recorded, **{path: round(s, 1) for path, s in spent.items()}}
    kept: Iterable[tuple[str, float]] = ((p, s) for p, s in seconds.items() if (root / p).is_file())
    return dict(sorted(kept, key=lambda kv: (-kv[1], kv[0])))


def write_durations(seconds: Mapping[str, float], path: Path = DURATIONS) -> None:
    path.write_text(json.dumps(dict(seconds), indent=1) + "\n")
