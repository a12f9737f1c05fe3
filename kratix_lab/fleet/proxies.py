"""The proxies a row reads a shared object through (issue 15): each records what it observed as a fact about the
object (``kratix_lab.fleet.track.Facts``).

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

from kratix_lab.fleet.track import _CMP, MISSING, Facts, Path, _marker

_NOT_YET = object()  # a key ``TDict._kids`` has not made a value for


def wrap(value: Any, facts: Facts, path: Path) -> Any:
    """``value`` (found at ``path``) as a tracking proxy; a plain leaf is returned as is (its fact is recorded by
    the container it was read from)."""
    t = type(value)  # (the exact types first: a row reads hundreds of parts of shared objects)
    if t is dict:
        return TDict(value, facts, path)
    if t is str:
        return TStr(value, facts, path)
    if t is list:
        return TList(value, facts, path)
    if isinstance(value, dict):
        return TDict(value, facts, path)
    if isinstance(value, list):
        return TList(value, facts, path)
    if isinstance(value, str):
        return TStr(value, facts, path)
    return value


def plain(value: Any) -> Any:
    """A tracked value as the plain one (recording that it was used whole)."""
    t = type(value)
    if t is TStr:
        text = str.__str__(value)
        value._facts.add(value._path, "whole", None, text)
        return text
    if t is TInt:
        number = int(int.__int__(value))
        value._facts.add(value._path, "ts:whole", None, number)
        return number
    if t is TDict or t is TList:
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
    """A map of a shared object. What it gives for a key is made once (``_kids``): a row reads the same parts of the
    state reconciler's Application for each of its commits, and a part read again records no new fact."""

    __slots__ = ("_facts", "_kids", "_path")

    def __init__(self, data: dict[str, Any], facts: Facts, path: Path) -> None:
        dict.__init__(self, data)
        self._facts, self._path = facts, path
        self._kids: dict[Any, Any] = {}

    def _leaf(self, key: Any, value: Any) -> Any:
        kids = self._kids
        kid = kids.get(key, _NOT_YET)
        if kid is not _NOT_YET:
            return kid
        # (``wrap`` and ``_marker`` inlined for the plain types: the row engine's most frequent read)
        path, facts = self._path, self._facts
        sub = (*path, key)
        t = type(value)
        marker: Any
        proxy: Any
        if t is str:
            marker, proxy = "<str>", TStr(value, facts, sub)
        elif t is dict:
            marker, proxy = "<dict>", TDict(value, facts, sub)
        elif t is list:
            marker, proxy = "<list>", TList(value, facts, sub)
        else:
            marker, proxy = _marker(sub, value), wrap(value, facts, sub)
        if facts.active:  # (``Facts.add``: a key is never a slice)
            facts.seen.setdefault((path, "get", key), marker)
        kids[key] = proxy
        return proxy

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
    """A list of a shared object; what it gives at an index is made once (``_kids``), as ``TDict``'s parts."""

    __slots__ = ("_facts", "_kids", "_path")

    def __init__(self, data: list[Any], facts: Facts, path: Path) -> None:
        list.__init__(self, data)
        self._facts, self._path = facts, path
        self._kids: dict[int, Any] = {}

    def _item(self, i: int) -> Any:
        kids = self._kids
        kid = kids.get(i, _NOT_YET)
        if kid is not _NOT_YET:
            return kid
        value = list.__getitem__(self, i)
        sub = (*self._path, i)
        self._facts.add(self._path, "item", i, _marker(sub, value))
        kid = kids[i] = wrap(value, self._facts, sub)
        return kid

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

    def _whole(self) -> Any:
        raise NotImplementedError

    def _note(self, op: str, arg: Any, value: Any) -> Any:
        self._facts.add(self._path, self._prefix + op, arg, value)
        return value


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


def _on_whole(name: str) -> Callable[..., Any]:
    """A ``str`` method of a ``TStr`` (startswith, split, rstrip…): called on the whole value, recorded so."""

    def method(self: TStr, *args: Any, **kwargs: Any) -> Any:
        return getattr(plain(self), name)(*args, **kwargs)

    method.__name__ = name
    return method


for _name in dir(str):  # every public method (a class attribute: read at C speed, where ``__getattribute__`` was
    if not _name.startswith("_") and _name not in TStr.__dict__:  # a Python call at every attribute of a TStr)
        setattr(TStr, _name, _on_whole(_name))


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
