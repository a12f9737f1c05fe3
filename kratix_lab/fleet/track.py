"""Read tracking for objects every row reads (issue 15): what a row read of a shared object, as facts.

An Argo CD Application such as ``kratix-state-reconciler`` is read by every row (the Application that syncs its
commit), and it changes whenever any request's commit is synced. Depending on the whole object would make one
change dirty every row; instead the row reads the object through proxies that record each fact it observed — a
key's value or absence, a dict's keys, a list's length, which element it took — and after the object changed the
row is recomputed only when one of its facts is no longer true (``Facts.hold``).

Two kinds of values move on every sync and are read by every row only to be compared or passed on:
``status.sync.revision`` (and ``operationState.syncResult.revision``) goes to ``Source.is_ancestor`` — the fact kept
is the answer (``ancestor``), not the SHA — and the sync times (``reconciledAt``, ``operationState.finishedAt``…)
become a node's ``since`` through ``Source.timestamp``; those come back as ``TStr``/``TInt``, which record what is
done with them: truth, a slice, a comparison, or — formatted, hashed or returned in a row — the whole value.

The proxies are copies (``dict``/``list``/``str``/``int`` subclasses), so code that reads them without a tracked
method (C-level reads) still sees the right values; such reads are listed in ``Facts`` as ``whole`` where Python
lets a subclass see them (``==``, ``repr``, ``hash``, formatting). Nothing changes them: the objects are the
source's shared, read-only ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
            self.seen.setdefault((path, op, _hashable(arg)), value)

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


def wrap(value: Any, facts: Facts, path: Path) -> Any:
    """``value`` (found at ``path``) as a tracking proxy; a plain leaf is returned as is (its fact is recorded by
    the container it was read from)."""
    if isinstance(value, dict):
        return TDict(value, facts, path)
    if isinstance(value, list):
        return TList(value, facts, path)
    if isinstance(value, str):
        return TStr(value, facts, path)
    return value


def plain(value: Any) -> Any:
    """A tracked value as the plain one (recording that it was used whole)."""
    if isinstance(value, TStr | TInt):
        value._facts.add(value._path, value._op("whole"), None, value._whole())
        return value._whole()
    if isinstance(value, TDict | TList):
        value._facts.add(value._path, "whole", None, _unwrap(value))
        return _unwrap(value)
    return value


def _unwrap(value: Any) -> Any:
    if isinstance(value, TStr):
        return str.__str__(value)
    if isinstance(value, TInt):
        return int(int.__int__(value))
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in dict.items(value)}
    if isinstance(value, list):
        return [_unwrap(v) for v in list.__iter__(value)]
    return value


class _Container:
    """What TDict and TList share: equal to (and shown as) the plain data they wrap; unhashable, as dict and list."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return bool(plain(self) == (_unwrap(other) if isinstance(other, TDict | TList) else other))

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = None  # type: ignore[assignment]  # as dict and list: unhashable

    def __repr__(self) -> str:
        return repr(plain(self))


class TDict(_Container, dict):  # type: ignore[type-arg]
    __slots__ = ("_facts", "_path")

    def __init__(self, data: dict[str, Any], facts: Facts, path: Path) -> None:
        dict.__init__(self, data)
        self._facts, self._path = facts, path

    def _leaf(self, key: Any, value: Any) -> Any:
        sub = (*self._path, key)
        self._facts.add(self._path, "get", key, _marker(sub, value))
        return wrap(value, self._facts, sub)

    def __getitem__(self, key: Any) -> Any:
        if not dict.__contains__(self, key):
            self._facts.add(self._path, "get", key, MISSING)
            raise KeyError(key)
        return self._leaf(key, dict.__getitem__(self, key))

    def get(self, key: Any, default: Any = None) -> Any:
        if not dict.__contains__(self, key):
            self._facts.add(self._path, "get", key, MISSING)
            return default
        return self._leaf(key, dict.__getitem__(self, key))

    def __contains__(self, key: object) -> bool:
        found = dict.__contains__(self, key)
        if not found:
            self._facts.add(self._path, "get", key, MISSING)
        else:
            self._leaf(key, dict.__getitem__(self, key))
        return found

    def _keys(self) -> tuple[Any, ...]:
        keys = tuple(dict.__iter__(self))
        self._facts.add(self._path, "keys", None, keys)
        return keys

    def __iter__(self) -> Iterator[Any]:
        return iter(self._keys())

    def keys(self) -> Any:
        return list(self._keys())

    def values(self) -> Any:
        return [self._leaf(k, dict.__getitem__(self, k)) for k in self._keys()]

    def items(self) -> Any:
        return [(k, self._leaf(k, dict.__getitem__(self, k))) for k in self._keys()]

    def __len__(self) -> int:
        n = dict.__len__(self)
        self._facts.add(self._path, "len", None, n)
        return n

    def __bool__(self) -> bool:
        n = dict.__len__(self) > 0
        self._facts.add(self._path, "truthy", None, n)
        return n

    def copy(self) -> dict[str, Any]:
        return plain(self)  # type: ignore[no-any-return]

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (dict, (plain(self),))

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a shared object read through the row engine is read-only")

    __setitem__ = __delitem__ = pop = popitem = setdefault = update = clear = _refuse


class TList(_Container, list):  # type: ignore[type-arg]
    __slots__ = ("_facts", "_path")

    def __init__(self, data: list[Any], facts: Facts, path: Path) -> None:
        list.__init__(self, data)
        self._facts, self._path = facts, path

    def _item(self, i: int) -> Any:
        value = list.__getitem__(self, i)
        sub = (*self._path, i)
        self._facts.add(self._path, "item", i, _marker(sub, value))
        return wrap(value, self._facts, sub)

    def _len(self) -> int:
        n = list.__len__(self)
        self._facts.add(self._path, "len", None, n)
        return n

    def __len__(self) -> int:
        return self._len()

    def __bool__(self) -> bool:
        n = list.__len__(self) > 0
        self._facts.add(self._path, "truthy", None, n)
        return n

    def __iter__(self) -> Iterator[Any]:
        n = self._len()
        return (self._item(i) for i in range(n))

    def __reversed__(self) -> Iterator[Any]:
        n = self._len()
        return (self._item(i) for i in reversed(range(n)))

    def __getitem__(self, index: Any) -> Any:
        n = self._len()
        if isinstance(index, slice):
            return [self._item(i) for i in range(*index.indices(n))]
        i = index + n if index < 0 else index
        if not 0 <= i < n:
            raise IndexError(index)
        return self._item(i)

    def __contains__(self, value: object) -> bool:
        return value in plain(self)

    def index(self, *args: Any) -> int:
        return plain(self).index(*args)  # type: ignore[no-any-return]

    def count(self, value: Any) -> int:
        return plain(self).count(value)  # type: ignore[no-any-return]

    def __add__(self, other: Any) -> Any:
        return plain(self) + list(other)

    def __radd__(self, other: Any) -> Any:
        return list(other) + plain(self)

    def copy(self) -> list[Any]:
        return plain(self)  # type: ignore[no-any-return]

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (list, (plain(self),))

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a shared object read through the row engine is read-only")

    __setitem__ = __delitem__ = append = extend = insert = pop = remove = sort = reverse = clear = _refuse


class _Followed:
    """What ``TStr`` and ``TInt`` share: where the value came from and which facts it records."""

    _facts: Facts
    _path: Path
    _prefix = ""

    def _op(self, op: str) -> str:
        return self._prefix + op

    def _whole(self) -> Any:
        raise NotImplementedError

    def _note(self, op: str, arg: Any, value: Any) -> Any:
        self._facts.add(self._path, self._op(op), arg, value)
        return value


_STR_SAFE = frozenset({"_facts", "_path", "_prefix", "_op", "_whole", "_note", "__class__", "__dict__"})


class TStr(_Followed, str):
    """A followed string (a revision, a sync time): truth, slices and comparisons are facts; any other use records
    the whole value."""

    def __new__(cls, value: str, facts: Facts, path: Path) -> TStr:
        obj = str.__new__(cls, value)
        obj._facts, obj._path = facts, path
        return obj

    def _whole(self) -> str:
        return str.__str__(self)

    def __bool__(self) -> bool:
        return bool(self._note("truthy", None, bool(self._whole())))

    def __len__(self) -> int:
        return int(self._note("len", None, len(self._whole())))

    def __getitem__(self, key: Any) -> str:
        value = self._whole()[key]
        self._facts.formatted(value, self._path, "slice", key, value)
        return value

    def __eq__(self, other: object) -> bool:
        other = str.__str__(other) if isinstance(other, str) else other
        return bool(self._note("eq", other, self._whole() == other))

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(plain(self))

    def __reduce_ex__(self, protocol: Any) -> Any:
        # a row sent to another process (the dashboard's fleet worker): the whole value, as a plain str
        return (str, (plain(self),))

    def __str__(self) -> str:
        # still followed (``str(revision)[:8]`` is a slice); "%s" copies it whole: pending until the output says
        self._facts.formatted(self._whole(), self._path, "whole", None, self._whole())
        return self

    def __contains__(self, part: object) -> bool:
        return part in plain(self)

    def __lt__(self, other: Any) -> bool:
        return plain(self) < plain(other)  # type: ignore[no-any-return]

    def __le__(self, other: Any) -> bool:
        return plain(self) <= plain(other)  # type: ignore[no-any-return]

    def __gt__(self, other: Any) -> bool:
        return plain(self) > plain(other)  # type: ignore[no-any-return]

    def __ge__(self, other: Any) -> bool:
        return plain(self) >= plain(other)  # type: ignore[no-any-return]

    def __iter__(self) -> Any:
        return iter(plain(self))

    def __mul__(self, n: Any) -> str:
        return plain(self) * n  # type: ignore[no-any-return]

    def __mod__(self, args: Any) -> str:
        return plain(self) % args  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return repr(plain(self))

    def __format__(self, spec: str) -> str:
        text = format(self._whole(), spec)
        self._facts.formatted(text, self._path, "whole", None, self._whole())
        return text

    def __add__(self, other: Any) -> str:
        text = self._whole() + other
        self._facts.formatted(self._whole(), self._path, "whole", None, self._whole())
        return text  # type: ignore[no-any-return]

    def __radd__(self, other: Any) -> str:
        text = other + self._whole()
        self._facts.formatted(self._whole(), self._path, "whole", None, self._whole())
        return text  # type: ignore[no-any-return]

    def __getattribute__(self, name: str) -> Any:
        if name in _STR_SAFE or (name.startswith("__") and name.endswith("__")):
            return object.__getattribute__(self, name)
        # any str method (startswith, split, rstrip…): on the whole value
        return getattr(plain(self), name)


class TInt(_Followed, int):
    """A time parsed from a followed string (``Source.timestamp``): comparisons and truth are facts on the string it
    came from; any other use (arithmetic, formatting, a row's ``since``) records the whole value."""

    _prefix = "ts:"

    def __new__(cls, value: int, facts: Facts, path: Path) -> TInt:
        obj = int.__new__(cls, value)
        obj._facts, obj._path = facts, path
        return obj

    def _whole(self) -> int:
        return int(int.__int__(self))

    def __bool__(self) -> bool:
        return bool(self._note("truthy", None, self._whole() != 0))

    def _cmp(self, op: str, other: Any) -> Any:
        other = plain(other)
        if not isinstance(other, int):
            return NotImplemented
        return self._note(op, other, _CMP[op](self._whole(), other))

    def __lt__(self, other: Any) -> Any:
        return self._cmp("lt", other)

    def __le__(self, other: Any) -> Any:
        return self._cmp("le", other)

    def __gt__(self, other: Any) -> Any:
        return self._cmp("gt", other)

    def __ge__(self, other: Any) -> Any:
        return self._cmp("ge", other)

    def __eq__(self, other: object) -> Any:
        return self._cmp("eq", other)

    def __ne__(self, other: object) -> Any:
        return self._cmp("ne", other)

    def __hash__(self) -> int:
        return hash(plain(self))

    def __str__(self) -> str:
        return self.__format__("")

    def __repr__(self) -> str:
        return repr(plain(self))

    def __format__(self, spec: str) -> str:
        text = format(self._whole(), spec)
        self._facts.formatted(text, self._path, "ts:whole", None, self._whole())
        return text

    def __int__(self) -> int:
        return plain(self)  # type: ignore[no-any-return]

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (int, (plain(self),))  # sent to another process: the whole value, as a plain int

    def __index__(self) -> int:
        return plain(self)  # type: ignore[no-any-return]

    def __float__(self) -> float:
        return float(plain(self))


def _arith(name: str) -> Callable[..., Any]:
    op = getattr(int, name)

    def method(self: TInt, *args: Any) -> Any:
        return op(plain(self), *(plain(a) for a in args))

    method.__name__ = name
    return method


for _name in (
    "__add__",
    "__radd__",
    "__sub__",
    "__rsub__",
    "__mul__",
    "__rmul__",
    "__floordiv__",
    "__rfloordiv__",
    "__truediv__",
    "__rtruediv__",
    "__mod__",
    "__rmod__",
    "__divmod__",
    "__rdivmod__",
    "__neg__",
    "__pos__",
    "__abs__",
    "__round__",
    "__trunc__",
    "__floor__",
    "__ceil__",
):
    setattr(TInt, _name, _arith(_name))


def followed_time(text: TStr, value: int | None) -> Any:
    """``Source.timestamp`` of a followed string: a ``TInt`` recording on that string (None stays None, as a fact)."""
    text._facts.add(text._path, "ts:present", None, value is not None)
    return None if value is None else TInt(value, text._facts, text._path)
