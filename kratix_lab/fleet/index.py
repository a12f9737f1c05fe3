"""What the fleet's rows read, by what was read (issue 15): ``_Index`` finds the rows a change reaches (looked up,
never searched for), ``_Canon`` keeps one object for each equal key, path and query the rows keep (the memory
budget). ``kratix_lab.fleet.rows.FleetRows`` keeps both; names with a leading underscore are the fleet package's own.
"""

from __future__ import annotations

import builtins
import sys
from typing import Any

from kratix_lab.fleet.deps import Deps, Key, Query


class _Canon:
    """One object for each equal key, path and query the rows keep (issue 15's memory budget): a thousand rows
    record the same paths of the state reconciler, the same namespaces, kinds and label pairs — and rows streamed in
    from forked processes arrive unpickled, each chunk with copies of its own. At 1,000 vClusters the rows' records
    held 32 MB of tuples and 18 MB of strings of which 7.5 and 7.6 were distinct. ``deps(d)`` makes ``d``'s keys
    these shared ones in place (equal values: what the rows compare is unchanged)."""

    def __init__(self, limit: int = 1 << 18) -> None:  # (1,000 vClusters' rows keep ~140,000: no sweep while alive)
        self._kept: dict[Any, Any] = {}
        self.limit = limit

    def __len__(self) -> int:
        return len(self._kept)

    def sweep(self) -> None:
        """Forget what no row keeps any more (the keys of objects gone, a CronJob's pods): when the table outgrew
        ``limit``, after which the limit is twice what is left — a long run with churn stays within twice what is
        alive. Newest first: a tuple is kept after its parts, so a dead tuple's parts are free when looked at."""
        kept = self._kept
        for key in builtins.list(reversed(kept)):
            # held by the table alone: its value's reference and the call's; a tuple or query is its own key too,
            # and this loop's list and variable hold it
            if sys.getrefcount(kept[key]) <= (_ONLY_TABLE + 3 if kept[key] is key else _ONLY_TABLE):
                del kept[key]
        self.limit = max(self.limit, 2 * len(kept))

    def value(self, v: Any) -> Any:
        """``v`` as kept: a string interned, a tuple of shared values kept once; anything else as it is."""
        t = type(v)
        if t is str:
            return sys.intern(v)
        if t is tuple:
            try:
                hit = self._kept.get(v)
            except TypeError:  # a tuple holding something unhashable: not shared
                return v
            if hit is None:  # (kept as its own key: the tuple given may hold copies of what is shared)
                hit = tuple(self.value(x) for x in v)
                self._kept[hit] = hit
            return hit
        if t is Query:
            hit = self._kept.get(v)
            if hit is None:
                hit = Query(self.value(v.kind), self.value(v.group), self.value(v.namespace), self.value(v.labels))
                self._kept[hit] = hit
            return hit
        return v

    def _seen(self, seen: dict[Any, Any]) -> dict[Any, Any]:
        """A row's facts about a shared object, one dict for every row that observed the same (most rows read the
        GitStateStore and the Destination alike). Never changed once the row is computed (``Facts.settle``)."""
        try:
            key = (_FACTS, hash(tuple(seen.items())))  # (the hash only: the dict is kept, not a copy of its items)
        except TypeError:  # a value that cannot be hashed: kept apart, its parts shared
            return {self.value(fact): self.value(value) for fact, value in seen.items()}
        hit = self._kept.get(key)
        if hit is not None and hit == seen:
            return hit  # type: ignore[no-any-return]
        seen = {self.value(fact): self.value(value) for fact, value in seen.items()}
        if hit is None:
            self._kept[key] = seen
        return seen

    def deps(self, d: Deps) -> None:
        if len(self._kept) > self.limit:
            self.sweep()
        v = self.value
        d.objects = {v(k): rv for k, rv in d.objects.items()}  # (resourceVersions: each its own)
        d.queries = [v(q) for q in d.queries]
        d.shared = {v(k): facts for k, facts in d.shared.items()}
        for facts in d.shared.values():
            facts.seen = self._seen(facts.seen)
            facts.at = v(facts.at)
        for record in d.shared_lists:
            record.query = v(record.query)
            record.taken = {i: v(k) for i, k in record.taken.items()}
        d.events = {v(k): fp for k, fp in d.events.items()}
        d.logs = {v(k) for k in d.logs}
        d.files = {v(k): fp for k, fp in d.files.items()}
        d.derived = {v(k): fp for k, fp in d.derived.items()}


_FACTS = object()  # the tag of a facts dict's key in ``_Canon``'s table (no key a row reads is equal to it)
_ONLY_TABLE = 2  # sys.getrefcount(table[key]) of a value only ``_Canon``'s table holds: its reference, the call's


def _rows_of(held: Any) -> Any:
    """The rows an ``_Index`` entry holds: one row is kept as itself (a one-row set for every object of every row
    was 55,000 sets at 1,000 vClusters, ~12 MB), more as a set."""
    return () if held is None else (held,) if type(held) is tuple else held


class _Index:
    """What each row read, by what was read: the rows a change reaches are looked up, never searched for.

    ``objects`` (an object got or listed by its key), ``shared`` (facts about an object every row reads),
    ``queries`` (a label-selected list, by kind, namespace and its first label: an object that joins the list
    has that label), ``shared_lists`` (a list of a shared kind walked, by kind), ``derived`` (a value computed for
    every row), ``logs`` (a pod's log), ``repo`` (the state head or a branch's files), ``events`` (rows that read
    events: read again at each refresh). Each of ``objects``, ``shared``, ``shared_lists``, ``derived`` and ``logs``
    maps what was read to the row that read it, or to a set when more than one did (``_rows_of`` gives them alike)."""

    def __init__(self) -> None:
        self.objects: dict[Key, Any] = {}
        self.shared: dict[Key, Any] = {}
        self.queries: dict[tuple[str, str | None, tuple[str, str] | None], dict[tuple[str, str], builtins.list[Query]]]
        self.queries = {}
        self.query_kinds: dict[str, int] = {}  # kind -> queries of it in the index
        self.shared_lists: dict[str, Any] = {}
        self.derived: dict[str, Any] = {}
        self.logs: dict[tuple[str, str], Any] = {}
        self.repo: set[tuple[str, str]] = set()
        self.events: set[tuple[str, str]] = set()

    @staticmethod
    def _query_key(q: Query) -> tuple[str, str | None, tuple[str, str] | None]:
        return (q.kind, q.namespace, q.labels[0] if q.labels else None)

    def _sets(self, d: Deps) -> Any:
        yield self.objects, d.objects
        yield self.shared, d.shared
        yield self.shared_lists, {r.query.kind for r in d.shared_lists}
        yield self.derived, d.derived
        yield self.logs, d.logs

    def add(self, row: tuple[str, str], d: Deps) -> None:
        for index, keys in self._sets(d):
            for k in keys:
                held = index.get(k)
                if held is None:
                    index[k] = row
                elif type(held) is tuple:
                    if held != row:
                        index[k] = {held, row}
                else:
                    held.add(row)
        for q in d.queries:
            self.queries.setdefault(self._query_key(q), {}).setdefault(row, []).append(q)
            self.query_kinds[q.kind] = self.query_kinds.get(q.kind, 0) + 1
        if d.head or d.files:
            self.repo.add(row)
        if d.events:
            self.events.add(row)

    def remove(self, row: tuple[str, str], d: Deps) -> None:
        for index, keys in self._sets(d):
            for k in keys:
                held = index.get(k)
                if held is None:
                    continue
                if type(held) is tuple:
                    if held == row:
                        del index[k]
                    continue
                held.discard(row)
                if len(held) == 1:
                    index[k] = next(iter(held))
        for q in d.queries:
            qk = self._query_key(q)
            by_row = self.queries.get(qk)
            if by_row is not None and by_row.pop(row, None) is not None and not by_row:
                del self.queries[qk]
            self.query_kinds[q.kind] -= 1
            if not self.query_kinds[q.kind]:
                del self.query_kinds[q.kind]
        self.repo.discard(row)
        self.events.discard(row)

    def listing(self, obj: dict[str, Any], key: Key) -> set[tuple[str, str]]:
        """The rows that listed a selection ``obj`` now belongs to."""
        kind, ns, _ = key
        labels = (obj.get("metadata") or {}).get("labels") or {}
        firsts: builtins.list[tuple[str, str] | None] = [None]
        if isinstance(labels, dict):
            firsts += [(k, v) for k, v in labels.items() if isinstance(k, str) and isinstance(v, str)]
        rows: set[tuple[str, str]] = set()
        for first in firsts:
            for namespace in (ns, None):
                for row, queries in self.queries.get((kind, namespace, first), {}).items():
                    if row not in rows and any(q.matches(obj) for q in queries):
                        rows.add(row)
        return rows
