"""Go formatting: the API server's messages are Go format strings; reproduce their verbs exactly.

``%q`` (``go_quote``), ``%v`` of numbers (``go_float``, ``go_number``) and ``json.Marshal``
(``go_json``), and ``render_value``, the value part of a ``field.Error``.
"""

from __future__ import annotations

import decimal
import math
from typing import Any

from kratix_lab.schema.engine.nodes import json_type

_GO_ESCAPES = {"\a": r"\a", "\b": r"\b", "\f": r"\f", "\n": r"\n", "\r": r"\r", "\t": r"\t", "\v": r"\v"}


def go_quote(s: str) -> str:
    """``strconv.Quote`` (Go's ``%q``): printable runes stay, others become Go escapes."""
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch.isprintable():
            out.append(ch)
        elif ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def _shortest_digits(f: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits of ``abs(f)`` and the decimal-point position."""
    d = decimal.Decimal(repr(abs(f))).normalize()
    _, digits, exponent = d.as_tuple()
    text = "".join(map(str, digits))
    assert isinstance(exponent, int)
    return text, len(text) + exponent


def go_float(f: float) -> str:
    """Go's ``%v`` for a float64 (``strconv.FormatFloat(f, 'g', -1, 64)``): 5, 1.5, 1e+06."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    sign = "-" if f < 0 else ""
    digits, dp = _shortest_digits(f)
    exp = dp - 1
    if exp < -4 or exp >= 6:  # shortest precision: %e decision uses precision 6
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if dp <= 0:
        return f"{sign}0.{'0' * -dp}{digits}"
    if dp >= len(digits):
        return f"{sign}{digits}{'0' * (dp - len(digits))}"
    return f"{sign}{digits[:dp]}.{digits[dp:]}"


def go_number(v: int | float) -> str:
    """Go's ``%v`` for an int64 or float64 value."""
    return str(v) if isinstance(v, int) else go_float(v)


def _go_json_float(f: float) -> str:
    """``encoding/json`` float64: plain digits unless tiny or huge, then ``1e-7`` / ``1e+21``."""
    if f == 0 or 1e-6 <= abs(f) < 1e21:
        digits, dp = _shortest_digits(f) if f else ("0", 1)
        sign = "-" if f < 0 else ""
        if dp <= 0:
            return f"{sign}0.{'0' * -dp}{digits}"
        if dp >= len(digits):
            return f"{sign}{digits}{'0' * (dp - len(digits))}"
        return f"{sign}{digits[:dp]}.{digits[dp:]}"
    digits, dp = _shortest_digits(f)
    exp = dp - 1
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{'-' if f < 0 else ''}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp)}"


_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _go_json_string(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch in _JSON_ESCAPES:
            out.append(_JSON_ESCAPES[ch])
        elif ord(ch) < 0x20 or ch in "<>&\u2028\u2029":  # Go escapes HTML-significant runes
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def go_json(v: Any) -> str:
    """``json.Marshal`` of a JSON-like value: sorted keys, no spaces, Go's float and HTML escapes."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _go_json_float(v)
    if isinstance(v, str):
        return _go_json_string(v)
    if isinstance(v, dict):
        items = sorted((str(k), val) for k, val in v.items())
        return "{" + ",".join(f"{_go_json_string(k)}:{go_json(val)}" for k, val in items) + "}"
    if isinstance(v, list | tuple):
        return "[" + ",".join(go_json(x) for x in v) + "]"
    return _go_json_string(str(v))


def render_value(v: Any) -> str:
    """A bad value as ``field.Error.ErrorBody`` prints it: ``%v`` for scalars, ``%q`` strings, JSON else."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return go_number(v)
    if isinstance(v, str):
        return (
            go_quote(v)
            if len(v) <= _SHOWN_MAX
            else go_quote(v[:_SHOWN_MAX]) + f"... ({len(v) - _SHOWN_MAX} more characters)"
        )
    if isinstance(v, dict | list) and _size_over(v, _SHOWN_MAX):
        return f"<{json_type(v)} of more than {_SHOWN_MAX} characters, omitted>"
    return go_json(v)


# A bad value is quoted up to this many characters (issue 18: a 50 MB value was echoed in full).
_SHOWN_MAX = 1024


def _size_over(v: Any, limit: int) -> bool:
    """Whether ``v``'s JSON is surely longer than ``limit``, without building it (it may be huge)."""
    budget, stack = limit, [v]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            budget -= 2 * len(x) + 2
            stack.extend(x.keys())
            stack.extend(x.values())
        elif isinstance(x, list):
            budget -= len(x) + 2
            stack.extend(x)
        else:
            budget -= len(x) + 2 if isinstance(x, str) else 4
        if budget < 0:
            return True
    return False
