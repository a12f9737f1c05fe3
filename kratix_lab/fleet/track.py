"""Read tracking for objects every row reads (issue 15): what a row read of a shared object, as facts.

An Argo CD Application such as ``kratix-state-reconciler`` is read by every row (the Application that syncs its
commit), and it changes whenever any request's commit is synced. Depending on the whole object would make one
change dirty every row; instead the row reads the object through proxies that record each fact it observed — a
key's value or absence, a dict's keys, a list's length, which element it took — and after the object changed the
row is recomputed only when one of its facts is no longer true (``Facts.hold``).

The proxies that record the facts are ``kratix_lab.fleet.proxies``; here are the facts and their checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Path = tuple[Any, ...]
MISSING = "<missing>"  # a key that is absent (a fact's value)
NOPATH = object()  # the path no longer leads anywhere: every fact on it fails
_UNSEEN = object()  # not yet in a ``broken`` memo
_FORWARD = object()  # a ``broken`` memo's key: whether a revision is an ancestor of the object's (``Facts._forward``)

# Leaves whose value is followed (TStr): passed to is_ancestor/timestamp by the trace, moving at every sync.
FOLLOWED: frozenset[Path] = frozenset(
    {
        ("status", "sync", "revision"),
        ("status", "operationState", "syncResult", "revision"),
        ("status", "operationState", "finishedAt"),
        ("status", "operationState", "startedAt"),
        ("status", "reconciledAt"),
    }
)


class Facts:
    """What one row observed of one object: ``(path, op, arg) -> value``; ``hold(obj)`` checks them on a new version.

    ``at``: the revisions (``REVISIONS``) of the version the facts are known to hold on — the one the row read
    (``saw``), then each newer one ``broken`` found them holding on. A fact that a commit was an ancestor of the
    revision then is still true when that revision is an ancestor of the new one (first-parent chains: what
    ``Source.is_ancestor`` answers is transitive), so it is not asked again: the state reconciler's sync moves its
    revision at every step, and every row holds such a fact for each commit of its own (at 1,000 vClusters ~9,000
    answers a refresh, a third of a change's time in the fleet's worker, now one or two per row)."""

    __slots__ = ("active", "at", "pending", "seen")

    def __init__(self) -> None:
        self.seen: dict[tuple[Path, str, Any], Any] = {}
        self.pending: list[tuple[str, Path, str, Any, Any]] = []
        self.active = True
        self.at: tuple[tuple[Path, str], ...] | None = ()  # None: read at two revisions (nothing assumed)

    def saw(self, obj: Any) -> None:
        """The row read ``obj`` (the version its facts are about): its revisions; a row that read two versions
        with different revisions (the object changed while the row was computed) assumes nothing of them."""
        if isinstance(obj, dict) and self.at is not None:
            now = revisions(obj)
            if not self.at:
                self.at = now
            elif now != self.at:
                self.at = None

    def add(self, path: Path, op: str, arg: Any, value: Any) -> None:
        if self.active:
            self.seen.setdefault((path, op, arg if type(arg) is not slice else _hashable(arg)), value)

    def formatted(self, text: str, path: Path, op: str, arg: Any, value: Any) -> None:
        """A followed value was turned into ``text`` (formatted, sliced): a fact only if ``text`` reaches the row's
        output (``settle``) — the trace formats the sync revision into messages that most rows never show."""
        if self.active:
            self.pending.append((text, path, op, _hashable(arg), value))

    def settle(self, output: str) -> None:
        """The row is computed and ``output`` is its text: the formatted values that appear in it become facts."""
        for text, path, op, arg, value in self.pending:
            if text in output:
                self.seen.setdefault((path, op, arg), value)
        self.pending = []
        self.active = False

    def hold(self, obj: Any, ancestor: Callable[[str, str], bool], timestamp: Callable[[str], int | None]) -> bool:
        """Whether every fact is still true of ``obj`` (the object's new version; None: it is gone)."""
        return self.broken(obj, ancestor, timestamp) is None

    def broken(
        self,
        obj: Any,
        ancestor: Callable[[str, str], bool],
        timestamp: Callable[[str], int | None],
        memo: dict[tuple[Path, str, Any], Any] | None = None,
    ) -> str | None:
        """The first fact no longer true of ``obj``, said as ``path op arg: was → now`` (None: they all hold).
        ``memo`` keeps each fact's value on ``obj`` for the next row's facts about the same version (every row reads
        the state reconciler's spec and status the same way)."""
        forward = self._forward(obj, ancestor, memo) if self.at else ()
        for fact, value in self.seen.items():
            if value is True and fact[1] == "ancestor" and fact[0] in forward:
                continue  # an ancestor of the revision it held on, which is an ancestor of this one
            if memo is None:
                now = _evaluate(obj, *fact, ancestor, timestamp)
            else:
                now = memo.get(fact, _UNSEEN)
                if now is _UNSEEN:
                    now = memo[fact] = _evaluate(obj, *fact, ancestor, timestamp)
            if now != value:
                path, op, arg = fact
                where = ".".join(str(p) for p in path) or "(object)"
                return f"{where} {op}{f' {arg!r}' if arg is not None else ''}: {value!r} → {'(gone)' if now is NOPATH else repr(now)}"
        if isinstance(obj, dict):
            self.at = revisions(obj)  # they all hold on this version
        return None

    def _forward(self, obj: Any, ancestor: Callable[[str, str], bool], memo: dict[Any, Any] | None) -> tuple[Path, ...]:
        """The revision paths whose revision on ``obj`` has the one the facts held on as an ancestor (or is it)."""
        out = []
        for path, old in self.at or ():
            new = _walk(obj, path)
            if not isinstance(new, str):
                continue
            if new != old:
                key = (_FORWARD, path, old)
                ok = memo.get(key) if memo is not None else None
                if ok is None:
                    ok = ancestor(old, new)
                    if memo is not None:
                        memo[key] = ok
                if not ok:
                    continue
            out.append(path)
        return tuple(out)


# The followed revisions whose facts are ancestries (``Facts.at``).
REVISIONS: tuple[Path, ...] = (("status", "sync", "revision"), ("status", "operationState", "syncResult", "revision"))


def revisions(obj: Any) -> tuple[tuple[Path, str], ...]:
    """``obj``'s revisions at ``REVISIONS`` (those that are strings)."""
    return tuple((path, v) for path in REVISIONS if isinstance(v := _walk(obj, path), str))


def _hashable(arg: Any) -> Any:
    if isinstance(arg, slice):
        return ("slice", arg.start, arg.stop, arg.step)
    return arg


def _marker(path: Path, value: Any) -> Any:
    if isinstance(value, dict):
        return "<dict>"
    if isinstance(value, list):
        return "<list>"
    if isinstance(value, str):
        return "<str>"
    return value


def _walk(obj: Any, path: Path) -> Any:
    cur = obj
    for step in path:
        in_dict = isinstance(cur, dict) and not isinstance(step, int) and step in cur
        if not in_dict and not (isinstance(cur, list) and isinstance(step, int) and 0 <= step < len(cur)):
            return NOPATH
        cur = cur[step]
    return cur


def _evaluate(
    obj: Any,
    path: Path,
    op: str,
    arg: Any,
    ancestor: Callable[[str, str], bool],
    timestamp: Callable[[str], int | None],
) -> Any:
    cur = _walk(obj, path)
    if op == "exists":
        return obj is not None
    if cur is NOPATH:
        return NOPATH
    if op == "get":
        if not isinstance(cur, dict):
            return NOPATH
        return _marker((*path, arg), cur[arg]) if arg in cur else MISSING
    if op == "item":
        if not isinstance(cur, list) or not 0 <= arg < len(cur):
            return NOPATH
        return _marker((*path, arg), cur[arg])
    if op == "keys":
        return tuple(cur) if isinstance(cur, dict) else NOPATH
    if op == "len":
        return len(cur) if isinstance(cur, dict | list | str) else NOPATH
    if op == "truthy":
        return bool(cur) if isinstance(cur, dict | list | str) else NOPATH
    if op == "whole":
        return cur
    # operations on a followed string, or on the timestamp parsed from it (op "ts:<op>")
    if not isinstance(cur, str):
        return NOPATH
    if op == "ts:present":
        return timestamp(cur) is not None
    if op.startswith("ts:"):
        t = timestamp(cur)
        return NOPATH if t is None else _int_op(t, op[3:], arg)
    return _str_op(cur, op, arg, ancestor)


def _str_op(s: str, op: str, arg: Any, ancestor: Callable[[str, str], bool]) -> Any:
    if op == "truthy":
        return bool(s)
    if op == "slice":
        return s[slice(arg[1], arg[2], arg[3])] if isinstance(arg, tuple) else s[arg]
    if op == "eq":
        return s == arg
    if op == "ancestor":
        return ancestor(arg, s)
    raise ValueError(op)


def _int_op(t: int, op: str, arg: Any) -> Any:
    if op == "whole":
        return t
    if op == "truthy":
        return bool(t)
    if op in _CMP:
        return _CMP[op](t, arg)
    raise ValueError(op)


_CMP: dict[str, Callable[[int, Any], bool]] = {
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
}
