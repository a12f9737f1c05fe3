"""``FleetRows.refresh(limit=N)`` (issue 15, the dashboard's streaming first paint): at most N rows computed per
refresh, the rest ``pending`` and computed first by the next refresh, changes seen meanwhile honoured; and without a
change feed (a token that moves at every call, as a direct ``LiveSource``'s) a pass ends instead of starting over."""

from __future__ import annotations

from typing import Any

import pytest

from kratix_lab.diagnose import fleet
from kratix_lab.fleet.rows import FleetRows
from kratix_lab.model.yamlio import load_one
from kratix_lab.sources.lab import LabSource
from tests.helpers import SAMPLES


def request(name: str) -> dict[str, Any]:
    obj = load_one((SAMPLES / "dev.yaml").read_text())
    obj["metadata"]["name"] = obj["spec"]["name"] = name
    return obj


@pytest.fixture
def five(lab):
    """The dev lab's sandbox, media and three more dev vClusters, settled."""
    lab.submit(SAMPLES / "media.yaml")
    for name in ("team-a", "team-b", "team-c"):
        lab.submit(request(name))
    lab.settle()
    return lab


def test_a_limited_refresh_computes_n_rows_and_the_next_ones_continue(five):
    source = LabSource(five)
    rows = FleetRows(source)
    rows.refresh(limit=2)
    assert rows.recomputed == 2 and len(rows.entries) == 2 and rows.total == 5 and rows.pending == 3
    rows.refresh(limit=2)
    assert rows.recomputed == 2 and len(rows.entries) == 4 and rows.pending == 1
    assert rows.refresh(limit=2) == fleet(source) and rows.recomputed == 1 and rows.pending == 0
    assert rows.refresh(limit=2) == fleet(source) and rows.recomputed == 0  # nothing changed: nothing computed
    with pytest.raises(ValueError, match="limit must be at least 1"):
        rows.refresh(limit=0)


def test_a_change_to_a_row_already_computed_is_honoured_mid_stream(five):
    source = LabSource(five)
    rows = FleetRows(source)
    rows.refresh(limit=2)
    first = sorted(rows.entries)[0]  # computed by the first batch
    five.faults.inject("pipeline-fails", promise="vcluster-core", request=first[1])
    five.reconcile("VClusterCore", first[1], first[0])
    for _ in range(6):
        five.step()
    while True:
        rows.refresh(limit=2)
        if not rows.pending:
            break
    assert rows.rows() == fleet(source), rows.why
    assert next(r for r in rows.rows() if (r.namespace, r.name) == first).health == "Degraded"


def test_pending_rows_are_computed_before_new_changes_can_starve_them(five):
    source = LabSource(five)
    rows = FleetRows(source)
    rows.refresh(limit=1)
    left = list(rows._due)  # the rows due, in the order they will be computed
    rows.refresh(limit=1)
    assert rows.changed == left[:1]  # the oldest pending row first


class _NoFeed:
    """The lab without a change feed, its token moving at every call (a direct ``LiveSource``'s does)."""

    lab = None
    listeners = None

    def __init__(self, source: LabSource) -> None:
        self._s, self._n = source, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s, name)

    def change_token(self) -> int:
        self._n += 1
        return self._n


def test_without_a_feed_a_limited_pass_ends(five):
    source = _NoFeed(LabSource(five))
    rows = FleetRows(source)
    assert rows.feed is None
    computed = []
    for _ in range(10):
        rows.refresh(limit=2)
        computed.append(rows.recomputed)
        if not rows.pending:
            break
    assert computed == [2, 2, 1] and len(rows.entries) == 5
    rows.refresh(limit=2)  # the token moved since the pass began: a new pass, in batches again
    assert rows.recomputed == 2 and rows.pending == 3
