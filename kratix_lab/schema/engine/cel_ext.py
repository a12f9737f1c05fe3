"""The CEL extension libraries the Kubernetes API server adds beyond its own (``cel_k8s``): strings, lists,
sets and regex, registered as host functions on the ``common-expression-language`` package (cel-rust), which
has none of them built in.

Upstream, function by function:

- cel-go ``ext/strings.go`` (commit ``14f6746a``; Kubernetes registers ``ext.Strings`` in
  staging/src/k8s.io/apiserver/pkg/cel/environment/base.go): ``charAt`` (:649-659), ``indexOf`` (:661-696),
  ``lastIndexOf`` (:698-744), ``lowerAscii`` (:746-755), ``replace`` (:757-763), ``split`` (:765-771),
  ``substring`` (:773-794), ``trim`` (:796-798, Go ``strings.TrimSpace``), ``upperAscii`` (:800-809),
  ``join`` (:819-846), ``strings.quote`` (:848-890) — the functions of ``ext.StringsVersion(2)``, which base.go
  registers from Kubernetes 1.29 (``reverse`` is version 3: not offered to CRD rules, so not here). Indexes count
  code points (Go runes), as upstream's ``[]rune(str)`` does.
- kubernetes ``staging/src/k8s.io/apiserver/pkg/cel/library/lists.go``: ``isSorted``, ``sum``, ``min``, ``max``,
  ``indexOf``, ``lastIndexOf`` on lists (``min``/``max`` of an empty list: ``min called on empty list``).
- cel-go ``ext/sets.go`` :201-233: ``sets.contains``, ``sets.equivalent``, ``sets.intersects`` (CEL equality:
  ``1 == 1.0`` but ``true != 1``).
- kubernetes ``library/regex.go``: ``find`` / ``findAll`` (Go ``regexp`` ``FindString`` / ``FindAllString``:
  an empty match right after the previous match is skipped; ``Illegal regex: …`` for a bad pattern).

Not provided: ``format`` (cel-go ext/formatting.go: a printf with CEL's own rules for every type; a rule that
uses it fails with ``Undefined variable or function: 'format'``), the cost estimator and cost budget (cel-rust
has none: see docs/upstream.md).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from kratix_lab.schema.engine.cel_k8s import CelLibError, NoSuchOverload
from kratix_lab.schema.engine.goregex import PatternError, compile_pattern

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class CelExtError(CelLibError):
    """An error an extension function returns (upstream ``fmt.Errorf`` / ``types.NewErr``)."""


def _nso() -> CelLibError:
    return NoSuchOverload()


def _str(v: Any) -> str:
    if not isinstance(v, str):
        raise _nso()
    return v


def _int(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise _nso()
    return v


def _list(v: Any) -> list[Any]:
    if not isinstance(v, list):
        raise _nso()
    return v


# ---- CEL equality and ordering ----------------------------------------------------------------------


def cel_equal(a: Any, b: Any) -> bool:
    """CEL's heterogeneous equality: numbers compare by value across int/uint/double; bool, string, bytes, null,
    lists and maps only equal their own kind (Python's ``True == 1`` is not CEL's)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(cel_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(cel_equal(a[k], b[k]) for k in a)
    if type(a) is not type(b):
        return False
    return bool(a == b)


def _order_class(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    for t, name in ((str, "string"), (bytes, "bytes"), (timedelta, "duration"), (datetime, "timestamp")):
        if isinstance(v, t):
            return name
    raise _nso()  # lists, maps, null: not comparable (traits.Comparer)


def _compare(a: Any, b: Any) -> int:
    """``traits.Comparer.Compare``: -1, 0, 1; values of different kinds are ``no such overload``."""
    if _order_class(a) != _order_class(b):
        raise _nso()
    return (a > b) - (a < b)


# ---- strings (cel-go ext/strings.go) --------------------------------------------------------------------


def _char_at(s: Any, i: Any) -> str:
    s, i = _str(s), _int(i)
    if i < 0 or i > len(s):
        raise CelExtError(f"index out of range: {i}")
    return s[i] if i < len(s) else ""


def _index_of_str(s: str, sub: Any, offset: Any = 0) -> int:
    sub, off = _str(sub), _int(offset)
    if off < 0:
        raise CelExtError(f"index out of range: {off}")
    if sub == "":
        return min(off, len(s))
    if off >= len(s):
        return -1
    return s.find(sub, off)


def _last_index_of_str(s: str, sub: Any, offset: Any = None) -> int:
    sub = _str(sub)
    if offset is None:
        if sub == "":
            return len(s)
        if len(s.encode()) < len(sub.encode()):
            return -1
        offset = len(s) - 1
    off = _int(offset)
    if off < 0:
        raise CelExtError(f"index out of range: {off}")
    if sub == "":
        return min(off, len(s))
    if off >= len(s):
        return -1
    return s.rfind(sub, 0, min(off, len(s) - len(sub)) + len(sub))


def _ascii(s: Any, upper: bool) -> str:
    s = _str(s)
    if upper:
        return "".join(c.upper() if "a" <= c <= "z" else c for c in s)
    return "".join(c.lower() if "A" <= c <= "Z" else c for c in s)


def _replace(s: Any, old: Any, new: Any, n: Any = -1) -> str:
    s, old, new, n = _str(s), _str(old), _str(new), _int(n)
    return s.replace(old, new, n if n >= 0 else -1)


def _split(s: Any, sep: Any, n: Any = -1) -> list[str]:
    """Go ``strings.Split`` / ``SplitN``: n == 0 gives no pieces, n < 0 all, an empty separator splits runes."""
    s, sep, n = _str(s), _str(sep), _int(n)
    if n == 0:
        return []
    if sep == "":
        chars = list(s)
        return chars if n < 0 or n >= len(chars) else [*chars[: n - 1], "".join(chars[n - 1 :])]
    return s.split(sep) if n < 0 else s.split(sep, n - 1)


def _substring(s: Any, start: Any, end: Any = None) -> str:
    s, start = _str(s), _int(start)
    if end is None:
        if start < 0 or start > len(s):
            raise CelExtError(f"index out of range: {start}")
        return s[start:]
    end = _int(end)
    if start > end:
        raise CelExtError(f"invalid substring range. start: {start}, end: {end}")
    for i in (start, end):
        if i < 0 or i > len(s):
            raise CelExtError(f"index out of range: {i}")
    return s[start:end]


# Go's unicode.IsSpace (strings.TrimSpace): ASCII \t \n \v \f \r and space, U+0085, U+00A0 and the White_Space
# characters of category Z; Python's str.strip() also strips U+001C-U+001F, which Go keeps.
_GO_SPACE = (
    "\t\n\v\f\r \u0085\u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
)


def _trim(s: Any) -> str:
    return _str(s).strip(_GO_SPACE)


def _join(items: Any, sep: Any = "") -> str:
    items, sep = _list(items), _str(sep)
    for v in items:
        if not isinstance(v, str):
            raise CelExtError(f"join: invalid input: {v}")
    return sep.join(items)


_QUOTE = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", "\\": "\\\\"}
_QUOTE['"'] = '\\"'


def _quote(s: Any) -> str:
    s = _str(s)
    return '"' + "".join(_QUOTE.get(c, "\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c) for c in s) + '"'


# ---- lists (kubernetes library/lists.go) -------------------------------------------------------------


def _is_sorted(items: Any) -> bool:
    items = _list(items)
    for a, b in itertools.pairwise(items):
        if _compare(a, b) == 1:
            return False
    if len(items) == 1:
        _order_class(items[0])
    return True


def _sum(items: Any) -> Any:
    items = _list(items)
    if not items:
        return 0
    kind = _order_class(items[0])
    if kind not in ("number", "duration") or isinstance(items[0], bool):
        raise _nso()
    acc = items[0]
    for v in items[1:]:
        if _order_class(v) != kind or isinstance(acc, float) != isinstance(v, float):
            raise _nso()  # list<int> or list<double>, not both (a type-checked list is homogeneous)
        acc = acc + v
        if isinstance(acc, int) and not INT64_MIN <= acc <= INT64_MAX:
            raise CelExtError("integer overflow")
    return acc


def _extreme(name: str, prefer: int) -> Callable[[Any], Any]:
    def fn(items: Any) -> Any:
        items = _list(items)
        if not items:
            raise CelExtError(f"{name} called on empty list")
        best = items[0]
        _order_class(best)
        for v in items[1:]:
            if _compare(best, v) == prefer:
                best = v
        return best

    return fn


def _index_of(target: Any, item: Any, *offset: Any) -> int:
    """``indexOf``: the strings extension on a string, the Kubernetes lists library on a list."""
    if isinstance(target, str):
        return _index_of_str(target, item, *offset)
    if offset:
        raise _nso()
    return next((i for i, v in enumerate(_list(target)) if cel_equal(v, item)), -1)


def _last_index_of(target: Any, item: Any, *offset: Any) -> int:
    if isinstance(target, str):
        return _last_index_of_str(target, item, *offset)
    if offset:
        raise _nso()
    items = _list(target)
    return next((i for i in range(len(items) - 1, -1, -1) if cel_equal(items[i], item)), -1)


# ---- sets (cel-go ext/sets.go) -------------------------------------------------------------------------


def _contains_all(items: Any, sub: Any) -> bool:
    items, sub = _list(items), _list(sub)
    return all(any(cel_equal(x, y) for x in items) for y in sub)


def _intersects(a: Any, b: Any) -> bool:
    a, b = _list(a), _list(b)
    return any(any(cel_equal(x, y) for y in b) for x in a)


# ---- regex (kubernetes library/regex.go) --------------------------------------------------------------


def _regex(pattern: Any) -> re.Pattern[str]:
    try:
        return compile_pattern(_str(pattern))
    except PatternError as e:
        raise CelExtError(f"Illegal regex: {e}") from None


def _find(s: Any, pattern: Any) -> str:
    m = _regex(pattern).search(_str(s))
    return m.group(0) if m else ""


def _find_all(s: Any, pattern: Any, n: Any = -1) -> list[str]:
    """Go ``Regexp.FindAllString`` (regexp.go ``allMatches``): an empty match that abuts the previous match is
    skipped; ``n`` >= 0 caps the count."""
    s, n, rx = _str(s), _int(n), _regex(pattern)
    out: list[str] = []
    pos, prev_end = 0, -1
    while pos <= len(s) and (n < 0 or len(out) < n):
        m = rx.search(s, pos)
        if m is None:
            break
        accept = True
        if m.end() == pos:  # an empty match at pos
            accept = m.start() != prev_end
            pos += 1
        else:
            pos = m.end()
        prev_end = m.end()
        if accept:
            out.append(m.group(0))
    return out


FUNCTIONS: dict[str, Callable[..., Any]] = {
    # strings
    "charAt": _char_at,
    "indexOf": _index_of,
    "lastIndexOf": _last_index_of,
    "lowerAscii": lambda s: _ascii(s, upper=False),
    "upperAscii": lambda s: _ascii(s, upper=True),
    "replace": _replace,
    "split": _split,
    "substring": _substring,
    "trim": _trim,
    "join": _join,
    "strings.quote": _quote,
    # lists
    "isSorted": _is_sorted,
    "sum": _sum,
    "min": _extreme("min", 1),
    "max": _extreme("max", -1),
    # sets
    "sets.contains": _contains_all,
    "sets.equivalent": lambda a, b: _contains_all(a, b) and _contains_all(b, a),
    "sets.intersects": _intersects,
    # regex
    "find": _find,
    "findAll": _find_all,
}
