"""The structural-schema engine: prune, default and validate a custom resource like the API server.

The functions here mirror, one for one, the passes apiextensions-apiserver runs when a custom
resource is created (``pkg/apiserver/schema/pruning``, ``.../defaulting``, ``.../objectmeta``,
``.../listtype`` and kube-openapi's schema validator), so a Promise author sees here exactly what a
cluster would say. Messages are built with Go's formatting rules (``%q``, ``%v``, ``json.Marshal``)
because people paste them into searches: they must read like the real thing.

Schemas are plain dicts (the ``openAPIV3Schema`` of a CRD version); objects are plain JSON-like
dicts. Paths are written the way the API server writes them: ``spec.items[2].name``, map values as
``spec.labels.team``; the empty path is the object root.
"""

from __future__ import annotations

import copy
import datetime as _dt
import decimal
import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kratix_lab.errors import Invalid

Schema = dict[str, Any]

# field.ErrorType.String() of k8s.io/apimachinery/pkg/util/validation/field.
REQUIRED = "Required value"
INVALID = "Invalid value"
UNSUPPORTED = "Unsupported value"
DUPLICATE = "Duplicate value"
FORBIDDEN = "Forbidden"
TOO_LONG = "Too long"
TOO_MANY = "Too many"

# Error types whose rendering omits the bad value (field.Error.ErrorBody).
_VALUELESS = frozenset({REQUIRED, FORBIDDEN, TOO_LONG, "Too short", "Internal error"})

PRESERVE = "x-kubernetes-preserve-unknown-fields"
EMBEDDED = "x-kubernetes-embedded-resource"
INT_OR_STRING = "x-kubernetes-int-or-string"
LIST_TYPE = "x-kubernetes-list-type"
LIST_MAP_KEYS = "x-kubernetes-list-map-keys"

# apiVersion, kind and metadata are never pruned at a resource root or in an embedded resource.
META_FIELDS = frozenset({"apiVersion", "kind", "metadata"})

# The JSON fields of metav1.ObjectMeta; anything else under metadata is dropped when the server
# decodes it into that struct (and reported as an unknown field).
OBJECT_META_FIELDS = frozenset(
    {
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    }
)


class _OmitValue:
    """``field.OmitValueType{}``: the error prints its type without a value (CEL errors on objects/arrays)."""

    def __repr__(self) -> str:
        return "OMIT_VALUE"


OMIT_VALUE = _OmitValue()


@dataclass(frozen=True)
class FieldError:
    """One field-level error, rendered exactly like ``field.Error.Error()`` of apimachinery."""

    path: str
    type: str
    detail: str = ""
    value: Any = None

    def __str__(self) -> str:
        valueless = self.type in _VALUELESS or self.value is OMIT_VALUE
        body = self.type if valueless else f"{self.type}: {render_value(self.value)}"
        if self.detail:
            body += f": {self.detail}"
        # A nil *field.Path renders as "<nil>"; the API server shows that for root-level errors.
        return f"{self.path or '<nil>'}: {body}"


# --------------------------------------------------------------------------------------------
# Go formatting: the API server's messages are Go format strings; reproduce their verbs exactly.
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# JSON typing.
# --------------------------------------------------------------------------------------------


def json_type(v: Any) -> str:
    """The JSON type name kube-openapi reports for a Go value decoded from JSON."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, dict):
        return "object"
    if isinstance(v, list | tuple):
        return "array"
    return "string"


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_json_integer(f: float) -> bool:
    """swag.IsFloat64AJSONInteger: integral, allowing a relative error of 1e-9."""
    if math.isnan(f) or math.isinf(f):
        return False
    if f == math.trunc(f):
        return True
    g = float(round(f))
    return abs(f - g) / min(abs(f) + abs(g), 1.7976931348623157e308) < 1e-9


def _types(s: Schema) -> list[str]:
    """Allowed JSON types of a node; int-or-string becomes ["integer", "string"] as upstream does."""
    if s.get(INT_OR_STRING) is True:
        return ["integer", "string"]
    t = s.get("type")
    if isinstance(t, str) and t:
        return [t]
    if isinstance(t, list):
        return [x for x in t if isinstance(x, str)]
    return []


def _type_ok(v: Any, types: list[str]) -> bool:
    t = json_type(v)
    if t in types:
        return True
    if t == "number" and "integer" in types and _is_json_integer(v):
        return True
    return t == "integer" and "number" in types


def _props(s: Schema | None) -> dict[str, Schema]:
    p = s.get("properties") if isinstance(s, dict) else None
    return p if isinstance(p, dict) else {}


def _items(s: Schema | None) -> Schema | None:
    i = s.get("items") if isinstance(s, dict) else None
    return i if isinstance(i, dict) else None


def _additional(s: Schema | None) -> tuple[bool, Schema | None]:
    """(additionalProperties is set, its schema). ``true`` is set but has no schema."""
    a = s.get("additionalProperties") if isinstance(s, dict) else None
    if isinstance(a, dict):
        return True, a
    return (a is True), None


def _field_schema(key: str, s: Schema | None) -> Schema | None:
    if not isinstance(s, dict):
        return None
    props = _props(s)
    if key in props:
        return props[key]
    return _additional(s)[1]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# --------------------------------------------------------------------------------------------
# Go regular expressions (RE2) run with Python's re.
# --------------------------------------------------------------------------------------------

_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}


class PatternError(Invalid):
    """A ``pattern`` that Go's regexp package would refuse (or that we cannot run faithfully)."""


def _translate_go_regex(p: str) -> str:
    """Rewrite RE2 syntax into the equivalent Python ``re`` syntax, refusing Perl-only features.

    Differences handled: ``$`` and ``\\z`` mean end of text in Go (Python's ``$`` also matches
    before a final newline), ``[[:alpha:]]`` classes, ``\\Q...\\E`` quoting and ``(?<name>``.
    Lookarounds and backreferences are valid Python but not RE2, so they are refused like Go does.
    """
    for bad in ("(?=", "(?!", "(?<=", "(?<!"):
        if bad in p:
            raise PatternError(f"error parsing regexp: invalid or unsupported Perl syntax: `{bad}`")
    multiline = bool(re.match(r"\(\?[a-zA-Z]*m", p))
    out: list[str] = []
    i, n = 0, len(p)
    while i < n:
        c = p[i]
        if c == "\\":
            if i + 1 >= n:
                raise PatternError("error parsing regexp: trailing backslash at end of expression: ``")
            nxt = p[i + 1]
            if nxt == "z":
                out.append(r"\Z")
            elif nxt == "Z" or (nxt.isdigit() and nxt != "0"):
                raise PatternError(f"error parsing regexp: invalid escape sequence: `\\{nxt}`")
            elif nxt in "pP":
                raise PatternError(f"unicode class `\\{nxt}` is not supported by kratix-lab")
            elif nxt == "Q":
                end = p.find(r"\E", i + 2)
                literal = p[i + 2 :] if end < 0 else p[i + 2 : end]
                out.append(re.escape(literal))
                i = n if end < 0 else end + 2
                continue
            else:
                out.append(c + nxt)
            i += 2
        elif c == "[":
            j = i + 1
            cls = ["["]
            if j < n and p[j] == "^":
                cls.append("^")
                j += 1
            if j < n and p[j] == "]":
                cls.append("\\]")
                j += 1
            while j < n and p[j] != "]":
                if p[j] == "\\" and j + 1 < n:
                    cls.append(p[j : j + 2])
                    j += 2
                elif p.startswith("[:", j):
                    end = p.find(":]", j + 2)
                    name = p[j + 2 : end] if end > 0 else ""
                    negate = name.startswith("^")
                    chars = _POSIX_CLASSES.get(name.lstrip("^"))
                    if chars is None or negate:
                        raise PatternError(f"error parsing regexp: invalid character class range: `{p[j : end + 2]}`")
                    cls.append(chars)
                    j = end + 2
                elif p[j] == "[":
                    cls.append("\\[")
                    j += 1
                else:
                    cls.append(p[j])
                    j += 1
            if j >= n:
                raise PatternError(f"error parsing regexp: missing closing ]: `{p[i:]}`")
            cls.append("]")
            out.append("".join(cls))
            i = j + 1
        elif c == "$" and not multiline:
            out.append(r"\Z")
            i += 1
        elif p.startswith("(?<", i) and i + 3 < n and p[i + 3] not in "=!":
            out.append("(?P<")
            i += 3
        else:
            out.append(c)
            i += 1
    return "".join(out)


@functools.lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A schema ``pattern`` compiled with RE2 semantics (ASCII ``\\d``, ``\\w``, ``\\s``, ``\\b``)."""
    try:
        return re.compile(_translate_go_regex(pattern), re.ASCII)
    except re.error as e:
        raise PatternError(f"error parsing regexp: {e}") from None


# --------------------------------------------------------------------------------------------
# Pruning (structuralpruning.Prune) and ObjectMeta coercion.
# --------------------------------------------------------------------------------------------


def prune(obj: Any, schema: Schema | None, path: str = "", *, is_resource_root: bool | None = None) -> list[str]:
    """Remove, in place, fields the schema does not specify; returns their paths in document order.

    Like ``structuralpruning.PruneWithOptions``: a resource root (``path == ""`` unless told
    otherwise) and every ``x-kubernetes-embedded-resource`` keep apiVersion/kind/metadata, whose
    metadata is instead coerced to ObjectMeta (unknown metadata fields are dropped and reported);
    ``x-kubernetes-preserve-unknown-fields`` stops pruning below a node except under declared
    properties; ``additionalProperties`` keeps every key and prunes its value with that schema.
    """
    out: list[str] = []
    root = (path == "") if is_resource_root is None else is_resource_root
    _prune(obj, schema, path, out, embedded_root=root)
    return out


def _prune(x: Any, s: Schema | None, path: str, out: list[str], *, embedded_root: bool = False) -> None:
    if isinstance(s, dict) and s.get(PRESERVE) is True:
        _skip_prune(x, s, path, out, embedded_root=embedded_root)
        return
    if isinstance(x, dict):
        if s is None:
            for k in list(x):
                out.append(_join(path, k))
                del x[k]
            return
        embedded = embedded_root or s.get(EMBEDDED) is True
        props = _props(s)
        has_additional, additional = _additional(s)
        for k in list(x):
            if embedded and k in META_FIELDS:
                if k == "metadata" and isinstance(x[k], dict):
                    out.extend(prune_object_meta(x[k], _join(path, k)))
                continue
            if k in props:
                _prune(x[k], props[k], _join(path, k), out)
            elif has_additional:
                _prune(x[k], additional, _join(path, k), out)
            else:
                out.append(_join(path, k))
                del x[k]
    elif isinstance(x, list):
        items = _items(s)
        for i, v in enumerate(x):
            _prune(v, items, f"{path}[{i}]", out)


def _skip_prune(x: Any, s: Schema, path: str, out: list[str], *, embedded_root: bool = False) -> None:
    """Under preserve-unknown-fields: keep unknown keys but still prune inside declared ones."""
    if isinstance(x, dict):
        embedded = embedded_root or s.get(EMBEDDED) is True
        props = _props(s)
        has_additional, additional = _additional(s)
        for k in list(x):
            if embedded and k in META_FIELDS:
                if k == "metadata" and isinstance(x[k], dict):
                    out.extend(prune_object_meta(x[k], _join(path, k)))
                continue
            if k in props:
                _prune(x[k], props[k], _join(path, k), out)
            elif has_additional:
                _prune(x[k], additional, _join(path, k), out)
    elif isinstance(x, list):
        items = _items(s)
        if items is not None:
            for i, v in enumerate(x):
                _skip_prune(v, items, f"{path}[{i}]", out)


def prune_object_meta(meta: dict[str, Any], path: str = "metadata") -> list[str]:
    """Decode ``meta`` the way it passes through metav1.ObjectMeta: unknown fields are dropped
    (and returned), and empty or null known fields vanish (ObjectMeta fields are all omitempty)."""
    pruned = []
    for k in list(meta):
        v = meta[k]
        if k not in OBJECT_META_FIELDS:
            pruned.append(_join(path, k))
            del meta[k]
        elif v is None or (v == _META_ZERO.get(k, object()) and type(v) is type(_META_ZERO[k])):
            del meta[k]
    return pruned


# The zero value of each ObjectMeta field: encoding/json omits it (every field is omitempty).
_META_ZERO: dict[str, Any] = {
    **dict.fromkeys(("name", "generateName", "namespace", "selfLink", "uid", "resourceVersion"), ""),
    "generation": 0,
    "labels": {},
    "annotations": {},
    "finalizers": [],
    "ownerReferences": [],
    "managedFields": [],
}


def prune_nulls(obj: Any, schema: Schema | None) -> Any:
    """``PruneNonNullableNullsWithoutDefaults``: drop nulls of fields that are neither nullable nor
    defaulted (a null with a default is replaced by the default later). Returns ``obj``."""
    if isinstance(obj, dict):
        for k in list(obj):
            sub = _field_schema(k, schema)
            v = obj[k]
            if v is None and sub is not None and sub.get("nullable") is not True and sub.get("default") is None:
                del obj[k]
            else:
                prune_nulls(v, sub)
    elif isinstance(obj, list):
        items = _items(schema)
        for v in obj:
            prune_nulls(v, items)
    return obj


# --------------------------------------------------------------------------------------------
# Defaulting (structuraldefaulting.Default).
# --------------------------------------------------------------------------------------------


def default(obj: Any, schema: Schema | None) -> Any:
    """Apply ``default`` values in place and return ``obj``.

    A property's default is set when the property is absent (or null but not nullable) and its
    parent object is present; the walk then continues into every present child, including the
    defaults just set, so an object default is itself defaulted. Absent parents are not created.
    """
    if not isinstance(schema, dict):
        return obj
    if isinstance(obj, dict):
        props = _props(schema)
        for k, p in props.items():
            d = p.get("default")
            if d is None:
                continue
            if k not in obj or (obj[k] is None and p.get("nullable") is not True):
                obj[k] = copy.deepcopy(d)
        has_additional, additional = _additional(schema)
        for k in list(obj):
            if k in props:
                default(obj[k], props[k])
            elif has_additional:
                if obj[k] is None and additional is not None and additional.get("nullable") is not True:
                    obj[k] = copy.deepcopy(additional.get("default"))
                default(obj[k], additional)
    elif isinstance(obj, list):
        items = _items(schema)
        for i in range(len(obj)):
            if obj[i] is None and items is not None and items.get("nullable") is not True:
                obj[i] = copy.deepcopy(items.get("default"))
            default(obj[i], items)
    return obj


# --------------------------------------------------------------------------------------------
# Validation (kube-openapi SchemaValidator + embedded resources + list-type sets and maps).
# --------------------------------------------------------------------------------------------


def validate(obj: Any, schema: Schema | None, path: str = "", *, old: Any = None) -> list[FieldError]:
    """Every schema error of ``obj``, node checks before children, children in document order.

    The OpenAPI errors come first, then the ``x-kubernetes-validations`` (CEL) errors, as the
    custom-resource strategy appends the CEL validator's list after the schema validator's.
    ``old`` is the stored object on an update: rules that use ``oldSelf`` run only then.
    """
    out: list[FieldError] = []
    if isinstance(schema, dict):
        _validate(obj, schema, path, out)
        _validate_cel(obj, old, schema, path, out)
    return out


# --------------------------------------------------------------------------------------------
# CEL (x-kubernetes-validations), evaluated with the ``common-expression-language`` package
# (cel-rust bindings). Messages follow apiextensions-apiserver pkg/apiserver/schema/cel/validation.go
# (validateExpressions, ruleMessageOrDefault, fieldErrorForReason).
# --------------------------------------------------------------------------------------------

VALIDATIONS = "x-kubernetes-validations"


@functools.lru_cache(maxsize=1)
def _cel() -> Any:
    """The package's native module. ``import cel`` also imports its command-line tool (~0.2 s, which
    the first admission would pay); the extension alone loads in ~10 ms."""
    import importlib.machinery
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("cel")
    for where in (spec.submodule_search_locations or []) if spec else []:
        for so in sorted(Path(where).glob("cel.*.so")) + sorted(Path(where).glob("cel.*.pyd")):
            loader = importlib.machinery.ExtensionFileLoader("cel.cel", str(so))
            mspec = importlib.util.spec_from_file_location("cel.cel", so, loader=loader)
            if mspec is not None:
                mod = importlib.util.module_from_spec(mspec)
                loader.exec_module(mod)
                return mod
    import cel  # pragma: no cover - layouts without a separate extension file

    return cel  # pragma: no cover


@functools.lru_cache(maxsize=512)
def compile_rule(rule: str) -> Any:
    """Compile one rule; ``ValueError`` carries the parser's message (the CRD refuses the rule)."""
    return _cel().compile(rule)


def _is_url(s: str) -> bool:
    """k8s ``isURL`` (apiserver pkg/cel/library/urls.go): ``url.ParseRequestURI`` succeeds."""
    import urllib.parse

    if not s or s.startswith("#") or " " in s:
        return False
    u = urllib.parse.urlsplit(s)
    return s.startswith("/") or (bool(u.scheme) and (bool(u.netloc) or bool(u.path) or s.endswith(":")))


def _cel_context(variables: dict[str, Any]) -> Any:
    ctx = _cel().Context(variables)
    ctx.add_function("isURL", _is_url)
    return ctx


def _rule_message(rule: dict[str, Any]) -> str:
    msg = str(rule.get("message") or "").strip()
    return msg or f"failed rule: {str(rule.get('rule') or '').strip()}"


def _rule_error_string(rule: dict[str, Any]) -> str:
    return str(rule.get("message") or "").strip() or str(rule.get("rule") or "").strip()


def _cel_field_path(path: str, fp: str) -> str:
    fp = fp.strip()
    if not fp:
        return path
    if fp.startswith("."):
        fp = fp[1:]
    return f"{path}.{fp}" if path else fp


_HAS_RULES: dict[int, tuple[Schema, bool]] = {}


def _has_rules(s: Schema) -> bool:
    """Whether ``s`` or a schema below it carries rules (cached per schema object: most carry none)."""
    hit = _HAS_RULES.get(id(s))
    if hit is not None and hit[0] is s:
        return hit[1]
    subs = [*_props(s).values(), _items(s), _additional(s)[1]]
    found = bool(s.get(VALIDATIONS)) or any(isinstance(c, dict) and _has_rules(c) for c in subs)
    _HAS_RULES[id(s)] = (s, found)
    return found


def _validate_cel(x: Any, old: Any, s: Schema, path: str, out: list[FieldError]) -> None:
    if x is None or not _has_rules(s):
        return  # validation.go: only non-null values are validated
    rules = s.get(VALIDATIONS)
    if isinstance(rules, list) and rules:
        stype = s.get("type") if isinstance(s.get("type"), str) else ""
        # the schema's type is the error's value, as the API server prints it: `spec.source: Invalid value: "object":
        # …` (validation.go passes sts.Type; seen e.g. in grafana/k6-operator#697's kubectl output)
        value: Any = stype
        for rule in rules:
            if not isinstance(rule, dict) or not str(rule.get("rule") or "").strip():
                continue
            try:
                prog = compile_rule(str(rule["rule"]))
            except ValueError as e:
                out.append(FieldError(path, INVALID, f"rule compile error: {e}", stype))
                continue
            uses_old = "oldSelf" in prog.variables()
            if uses_old and old is None:
                continue  # transition rules run only when there is a comparable old value
            variables = {"self": x, "oldSelf": old} if uses_old else {"self": x}
            try:
                result = prog.execute(_cel_context(variables))
            except (KeyError, ValueError, TypeError, RuntimeError) as e:  # the CEL runtime errors
                detail = e.args[0] if isinstance(e, KeyError) and e.args else e
                msg = f"no such key: {detail}" if isinstance(e, KeyError) else str(e)
                out.append(FieldError(path, INVALID, f"{msg} evaluating rule: {_rule_error_string(rule)}", stype))
                continue
            if result is True:
                continue
            fpath = _cel_field_path(path, str(rule.get("fieldPath") or ""))
            reason = rule.get("reason")
            if reason == "FieldValueForbidden":
                out.append(FieldError(fpath, FORBIDDEN, _rule_message(rule)))
            elif reason == "FieldValueRequired":
                out.append(FieldError(fpath, REQUIRED, _rule_message(rule)))
            else:
                out.append(FieldError(fpath, INVALID, _rule_message(rule), value))
    if isinstance(x, dict):
        props = _props(s)
        _, additional = _additional(s)
        for k, v in x.items():
            child = props.get(k, additional)
            if isinstance(child, dict):
                ov = old.get(k) if isinstance(old, dict) else None
                _validate_cel(v, ov, child, _join(path, k), out)
    elif isinstance(x, list):
        items = _items(s)
        if isinstance(items, dict):
            for i, v in enumerate(x):
                _validate_cel(v, None, items, f"{path}[{i}]", out)


def _validate(x: Any, s: Schema, path: str, out: list[FieldError]) -> None:
    types = _types(s)
    if x is None:
        if types and s.get("nullable") is not True:
            msg = f"{path} in body must be of type {','.join(types)}: {go_quote('null')}"
            out.append(FieldError(path, INVALID, msg, "null"))
        _check_enum(x, s, path, out)
        return
    if types and not _type_ok(x, types):
        t = json_type(x)
        out.append(FieldError(path, INVALID, f"{path} in body must be of type {','.join(types)}: {go_quote(t)}", t))
    _check_junctors(x, s, path, out)
    if isinstance(x, str):
        _check_string(x, s, path, out)
    elif _is_number(x):
        _check_number(x, s, path, out)
    elif isinstance(x, list):
        _check_array(x, s, path, out)
    _check_enum(x, s, path, out)
    if isinstance(x, dict):
        _check_object(x, s, path, out)
    elif isinstance(x, list):
        items = _items(s)
        if items is not None:
            for i, v in enumerate(x):
                _validate(v, items, f"{path}[{i}]", out)


def _check_junctors(x: Any, s: Schema, path: str, out: list[FieldError]) -> None:
    """anyOf / oneOf / allOf / not, with go-openapi's messages. Of failing branches the one with
    the fewest errors is reported (go-openapi picks the one with the most passing checks)."""
    q = go_quote(path)
    any_of = s.get("anyOf")
    if isinstance(any_of, list) and any_of:
        failures = []
        for sub in any_of:
            r = validate(x, sub, path)
            if not r:
                break
            failures.append(r)
        else:
            out.append(FieldError(path, INVALID, f"{q} must validate at least one schema (anyOf)", ""))
            out.extend(min(failures, key=len))
    one_of = s.get("oneOf")
    if isinstance(one_of, list) and one_of:
        valid, best = 0, None
        for sub in one_of:
            r = validate(x, sub, path)
            if not r:
                valid += 1
                best = None
            elif valid == 0 and (best is None or len(r) < len(best)):
                best = r
        if valid != 1:
            found = "Found none valid" if valid == 0 else f"Found {valid} valid alternatives"
            out.append(FieldError(path, INVALID, f"{q} must validate one and only one schema (oneOf). {found}", ""))
            out.extend(best or [])
    all_of = s.get("allOf")
    if isinstance(all_of, list) and all_of:
        passed = 0
        for sub in all_of:
            r = validate(x, sub, path)
            passed += not r
            out.extend(r)
        if passed != len(all_of):
            extra = ". None validated" if passed == 0 else ""
            out.append(FieldError(path, INVALID, f"{q} must validate all the schemas (allOf){extra}", ""))
    not_ = s.get("not")
    if isinstance(not_, dict) and not validate(x, not_, path):
        out.append(FieldError(path, INVALID, f"{q} must not validate the schema (not)", ""))


def _check_string(x: str, s: Schema, path: str, out: list[FieldError]) -> None:
    """maxLength, minLength, pattern: like go-openapi, only the first failing check is reported."""
    max_len = s.get("maxLength")
    if _is_int(max_len) and len(x) > max_len:
        unit = "byte" if max_len == 1 else "bytes"
        out.append(FieldError(path, TOO_LONG, f"may not be more than {max_len} {unit}", x))
        return
    min_len = s.get("minLength")
    if _is_int(min_len) and len(x) < min_len:
        out.append(FieldError(path, INVALID, f"{path} in body should be at least {min_len} chars long", x))
        return
    pattern = s.get("pattern")
    if isinstance(pattern, str) and pattern:
        try:
            matched = compile_pattern(pattern).search(x) is not None
        except PatternError as e:
            out.append(
                FieldError(path, INVALID, f"{path} in body should match '{pattern}, but pattern is invalid: {e}'", x)
            )
            return
        if not matched:
            out.append(FieldError(path, INVALID, f"{path} in body should match '{pattern}'", x))


def _check_number(x: int | float, s: Schema, path: str, out: list[FieldError]) -> None:
    """multipleOf, minimum, maximum. An int is compared with the bound truncated to an int64 and
    the message shows that int, as go-openapi's ``*NativeType`` helpers do."""
    factor = s.get("multipleOf")
    if _is_number(factor):
        if isinstance(x, int) and int(factor) != 0:
            f_int = int(factor)
            if f_int < 0:
                out.append(
                    FieldError(path, INVALID, f"factor MultipleOf declared for {path} must be positive: {f_int}", f_int)
                )
            elif x % f_int:
                out.append(FieldError(path, INVALID, f"{path} in body should be a multiple of {f_int}", x))
        else:
            fl = float(factor)
            if fl < 0:
                out.append(
                    FieldError(
                        path, INVALID, f"factor MultipleOf declared for {path} must be positive: {go_float(fl)}", fl
                    )
                )
            elif fl > 0 and not _is_json_integer((1 / fl * x) if fl < 1 else (x / fl)):
                out.append(FieldError(path, INVALID, f"{path} in body should be a multiple of {go_float(fl)}", x))
    for key, exclusive_key, lower in (("minimum", "exclusiveMinimum", True), ("maximum", "exclusiveMaximum", False)):
        bound = s.get(key)
        if not _is_number(bound):
            continue
        exclusive = s.get(exclusive_key) is True
        b: int | float = int(bound) if isinstance(x, int) else float(bound)
        if lower:
            bad = x <= b if exclusive else x < b
            word = "greater than" if exclusive else "greater than or equal to"
        else:
            bad = x >= b if exclusive else x > b
            word = "less than" if exclusive else "less than or equal to"
        if bad:
            out.append(FieldError(path, INVALID, f"{path} in body should be {word} {go_number(b)}", x))


def _check_array(x: list[Any], s: Schema, path: str, out: list[FieldError]) -> None:
    min_items = s.get("minItems")
    if _is_int(min_items) and len(x) < min_items:
        out.append(FieldError(path, INVALID, f"{path} in body should have at least {min_items} items", len(x)))
    max_items = s.get("maxItems")
    if _is_int(max_items) and len(x) > max_items:
        unit = "item" if max_items == 1 else "items"
        out.append(FieldError(path, TOO_MANY, f"must have at most {max_items} {unit}", len(x)))
    if s.get("uniqueItems") is True and _first_duplicates(x):
        out.append(FieldError(path, INVALID, f"{path} in body shouldn't contain duplicates", ""))
    list_type = s.get(LIST_TYPE)
    if list_type == "set":
        for i in _first_duplicates(x):
            out.append(FieldError(f"{path}[{i}]", DUPLICATE, "", x[i]))
    elif list_type == "map":
        _check_list_map(x, s, path, out)


def _identity(v: Any) -> tuple[str, Any]:
    """Equality as Go sees values in a map key (type and value) or, for compounds, their JSON."""
    if isinstance(v, dict | list):
        return ("json", go_json(v))
    return (type(v).__name__, v)


def _first_duplicates(values: list[Any]) -> list[int]:
    """Index of the second appearance of each value that appears more than once (listtype)."""
    seen: dict[tuple[str, Any], int] = {}
    dups = []
    for i, v in enumerate(values):
        key = _identity(v)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] == 2:
            dups.append(i)
    return dups


def _check_list_map(x: list[Any], s: Schema, path: str, out: list[FieldError]) -> None:
    for i, v in enumerate(x):
        if v is not None and not isinstance(v, dict):
            out.append(FieldError(f"{path}[{i}]", INVALID, "must be an object for an array of list-type map", v))
            return
    keys = [k for k in s.get(LIST_MAP_KEYS) or [] if isinstance(k, str)]
    if len(x) <= 1 or not keys:
        return
    entries = [{k: v[k] for k in keys if k in v} if isinstance(v, dict) else {} for v in x]
    for i in _first_duplicates(entries):
        out.append(FieldError(f"{path}[{i}]", DUPLICATE, "", entries[i]))


def _check_enum(x: Any, s: Schema, path: str, out: list[FieldError]) -> None:
    enum = s.get("enum")
    if not isinstance(enum, list) or not enum:
        return
    if any(_json_equal(x, e) for e in enum):
        return
    quoted = ", ".join(go_quote(e if isinstance(e, str) else go_json(e)) for e in enum)
    out.append(FieldError(path, UNSUPPORTED, f"supported values: {quoted}", x))


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(p, q) for p, q in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _check_object(x: dict[str, Any], s: Schema, path: str, out: list[FieldError]) -> None:
    n = len(x)
    min_props = s.get("minProperties")
    if _is_int(min_props) and n < min_props:
        out.append(FieldError(path, INVALID, f"{path} in body should have at least {min_props} properties", n))
        return  # go-openapi stops validating this object here
    max_props = s.get("maxProperties")
    if _is_int(max_props) and n > max_props:
        unit = "item" if max_props == 1 else "items"
        out.append(FieldError(path, TOO_MANY, f"must have at most {max_props} {unit}", n))
        return
    for k in s.get("required") or []:
        if isinstance(k, str) and k not in x:
            out.append(FieldError(_join(path, k), REQUIRED))
    if s.get(EMBEDDED) is True:
        out.extend(validate_embedded_resource(x, path))
    props = _props(s)
    _, additional = _additional(s)
    for k, v in x.items():
        if k in props:
            _validate(v, props[k], _join(path, k), out)
        elif additional is not None:
            _validate(v, additional, _join(path, k), out)


# --------------------------------------------------------------------------------------------
# ObjectMeta: types (decoding into the Go struct) and the apimachinery validation rules.
# --------------------------------------------------------------------------------------------

_DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = _DNS1123_LABEL + "(\\." + _DNS1123_LABEL + ")*"
_QUALIFIED_NAME = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE = "(" + _QUALIFIED_NAME + ")?"
_DNS1123_LABEL_RE = re.compile(f"^{_DNS1123_LABEL}$")
_DNS1123_SUBDOMAIN_RE = re.compile(f"^{_DNS1123_SUBDOMAIN}$")
_QUALIFIED_NAME_RE = re.compile(f"^{_QUALIFIED_NAME}$")
_LABEL_VALUE_RE = re.compile(f"^{_LABEL_VALUE}$")
_ANNOTATIONS_LIMIT = 256 * 1024


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    """validation.RegexError, double spaces before "or" included (it is what the server prints)."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    shown = " or ".join(f"'{e}', " for e in examples)
    return f"{msg} (e.g. {shown}regex used for validation is '{fmt}')"


def _max_len_error(n: int) -> str:
    return f"must be no more than {n} characters"


def is_dns1123_subdomain(value: str) -> list[str]:
    """validation.IsDNS1123Subdomain: the rule for custom resource names."""
    errs = []
    if len(value.encode()) > 253:
        errs.append(_max_len_error(253))
    if not _DNS1123_SUBDOMAIN_RE.match(value):
        errs.append(
            _regex_error(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                "and must start and end with an alphanumeric character",
                _DNS1123_SUBDOMAIN,
                "example.com",
            )
        )
    return errs


def is_dns1123_label(value: str) -> list[str]:
    """validation.IsDNS1123Label: the rule for namespace names."""
    errs = []
    if len(value.encode()) > 63:
        errs.append(_max_len_error(63))
    if not _DNS1123_LABEL_RE.match(value):
        if _DNS1123_SUBDOMAIN_RE.match(value):
            errs.append("must not contain dots")
        else:
            errs.append(
                _regex_error(
                    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                    "and must start and end with an alphanumeric character",
                    _DNS1123_LABEL,
                    "my-name",
                    "123-abc",
                )
            )
    return errs


def is_qualified_name(value: str) -> list[str]:
    """validation.IsQualifiedName: label and annotation keys (``prefix/name``)."""
    errs: list[str] = []
    msg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + m for m in is_dns1123_subdomain(prefix))
    else:
        return [
            "a qualified name "
            + _regex_error(msg, _QUALIFIED_NAME, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name.encode()) > 63:
        errs.append("name part " + _max_len_error(63))
    if not _QUALIFIED_NAME_RE.match(name):
        errs.append("name part " + _regex_error(msg, _QUALIFIED_NAME, "MyName", "my.name", "123-abc"))
    return errs


def is_valid_label_value(value: str) -> list[str]:
    errs = []
    if len(value.encode()) > 63:
        errs.append(_max_len_error(63))
    if not _LABEL_VALUE_RE.match(value):
        errs.append(
            _regex_error(
                "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                "and must start and end with an alphanumeric character",
                _LABEL_VALUE,
                "MyValue",
                "my_value",
                "12345",
            )
        )
    return errs


def name_is_dns_subdomain(name: str, prefix: bool) -> list[str]:
    """apimachinery NameIsDNSSubdomain; a generateName prefix may end in '-'."""
    if prefix and len(name) > 1 and name.endswith("-"):
        name = name[:-2] + "a"  # maskTrailingDash, replacing two characters as upstream does
    return is_dns1123_subdomain(name)


def name_is_path_segment(name: str, prefix: bool) -> list[str]:
    """path.ValidatePathSegmentName: the (loose) rule for embedded resources' names."""
    if not prefix and name in (".", ".."):
        return [f"may not be '{name}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in name]


_GO_JSON_KIND = {"object": "object", "array": "array", "string": "string", "boolean": "bool", "null": "null"}

_META_STRING_FIELDS = ("name", "generateName", "namespace", "selfLink", "uid", "resourceVersion")


def _unmarshal_error(path: str, v: Any, field: str, go_type: str) -> FieldError:
    kind = _GO_JSON_KIND.get(json_type(v), "number")
    return FieldError(
        path, INVALID, f"json: cannot unmarshal {kind} into Go struct field ObjectMeta.{field} of type {go_type}", v
    )


def object_meta_type_errors(meta: Any, path: str = "metadata") -> list[FieldError]:
    """Values that cannot be decoded into metav1.ObjectMeta (a label that is a number, ...)."""
    if not isinstance(meta, dict):
        kind = _GO_JSON_KIND.get(json_type(meta), "number")
        return [FieldError(path, INVALID, f"json: cannot unmarshal {kind} into Go value of type v1.ObjectMeta", meta)]
    errs = []
    for k, v in meta.items():
        p = _join(path, k)
        if v is None:
            continue
        if k in _META_STRING_FIELDS and not isinstance(v, str):
            errs.append(_unmarshal_error(p, v, k, "string"))
        elif k in ("generation", "deletionGracePeriodSeconds") and not _is_int(v):
            errs.append(_unmarshal_error(p, v, k, "int64"))
        elif k in ("creationTimestamp", "deletionTimestamp") and not isinstance(v, str):
            errs.append(_unmarshal_error(p, v, k, "v1.Time"))
        elif k in ("labels", "annotations"):
            if not isinstance(v, dict):
                errs.append(_unmarshal_error(p, v, k, "map[string]string"))
            else:
                errs.extend(
                    _unmarshal_error(_join(p, lk), lv, k, "string") for lk, lv in v.items() if not isinstance(lv, str)
                )
        elif k == "finalizers":
            if not isinstance(v, list):
                errs.append(_unmarshal_error(p, v, k, "[]string"))
            else:
                errs.extend(
                    _unmarshal_error(f"{p}[{i}]", f, k, "string") for i, f in enumerate(v) if not isinstance(f, str)
                )
        elif k in ("ownerReferences", "managedFields"):
            go_type = "v1.OwnerReference" if k == "ownerReferences" else "v1.ManagedFieldsEntry"
            if not isinstance(v, list):
                errs.append(_unmarshal_error(p, v, k, f"[]{go_type}"))
            else:
                errs.extend(
                    _unmarshal_error(f"{p}[{i}]", e, k, go_type) for i, e in enumerate(v) if not isinstance(e, dict)
                )
    return errs


def validate_object_meta(
    meta: dict[str, Any],
    path: str = "metadata",
    *,
    name_fn: Callable[[str, bool], list[str]] = name_is_dns_subdomain,
    namespaced: bool = True,
) -> list[FieldError]:
    """``ValidateObjectMetaAccessor``: generateName, name, namespace, generation, labels, annotations.

    A missing namespace is not an error here: on create the server takes it from the request, so
    the caller decides. ``namespaced=False`` makes a namespace Forbidden (as for cluster scope).
    """
    errs: list[FieldError] = []
    generate_name = meta.get("generateName")
    if isinstance(generate_name, str) and generate_name:
        errs.extend(
            FieldError(_join(path, "generateName"), INVALID, m, generate_name) for m in name_fn(generate_name, True)
        )
    name = meta.get("name")
    if not name:
        if not generate_name:  # the server generates a name from generateName before validating
            errs.append(FieldError(_join(path, "name"), REQUIRED, "name or generateName is required"))
    elif isinstance(name, str):
        errs.extend(FieldError(_join(path, "name"), INVALID, m, name) for m in name_fn(name, False))
    namespace = meta.get("namespace")
    if isinstance(namespace, str) and namespace:
        if not namespaced:
            errs.append(FieldError(_join(path, "namespace"), FORBIDDEN, "not allowed on this type"))
        else:
            errs.extend(
                FieldError(_join(path, "namespace"), INVALID, m, namespace) for m in is_dns1123_label(namespace)
            )
    generation = meta.get("generation")
    if _is_int(generation) and generation < 0:
        errs.append(FieldError(_join(path, "generation"), INVALID, "must be greater than or equal to 0", generation))
    labels = meta.get("labels")
    if isinstance(labels, dict):
        lpath = _join(path, "labels")
        for k, v in labels.items():
            errs.extend(FieldError(lpath, INVALID, m, k) for m in is_qualified_name(str(k)))
            if isinstance(v, str):
                errs.extend(FieldError(lpath, INVALID, m, v) for m in is_valid_label_value(v))
    annotations = meta.get("annotations")
    if isinstance(annotations, dict):
        apath = _join(path, "annotations")
        for k in annotations:
            errs.extend(FieldError(apath, INVALID, m, k) for m in is_qualified_name(str(k).lower()))
        size = sum(len(str(k).encode()) + len(v.encode()) for k, v in annotations.items() if isinstance(v, str))
        if size > _ANNOTATIONS_LIMIT:
            errs.append(FieldError(apath, TOO_LONG, f"may not be more than {_ANNOTATIONS_LIMIT} bytes", ""))
    return errs


def _parse_group_version_error(gv: str) -> str | None:
    if gv in ("", "/") or gv.count("/") <= 1:
        return None
    return f"unexpected GroupVersion string: {gv}"


def validate_embedded_resource(x: dict[str, Any], path: str) -> list[FieldError]:
    """schemaobjectmeta's validateEmbeddedResource: apiVersion and kind required, metadata valid."""
    errs = []
    for k in ("apiVersion", "kind"):
        if k not in x:
            errs.append(FieldError(_join(path, k), REQUIRED, "must not be empty"))
    for k, v in x.items():
        p = _join(path, k)
        if k in ("apiVersion", "kind"):
            if not isinstance(v, str):
                errs.append(FieldError(p, INVALID, "must be a string", v))
            elif not v:
                errs.append(FieldError(p, INVALID, "must not be empty", v))
            elif k == "apiVersion" and (problem := _parse_group_version_error(v)):
                errs.append(FieldError(p, INVALID, problem, v))
        elif k == "metadata":
            type_errs = object_meta_type_errors(v, p)
            errs.extend(type_errs)
            if isinstance(v, dict) and not type_errs:
                meta = dict(v)
                meta.setdefault("name", "fakename")  # upstream fakes a name: it is not required here
                if not meta["name"]:
                    meta["name"] = "fakename"
                errs.extend(
                    validate_object_meta(meta, p, name_fn=name_is_path_segment, namespaced=bool(meta.get("namespace")))
                )
    return errs


# --------------------------------------------------------------------------------------------
# Input normalisation: what kubectl's YAML-to-JSON conversion and the server's JSON decoding do.
# --------------------------------------------------------------------------------------------


def _json_key(k: Any) -> str:
    if isinstance(k, bool):
        return "true" if k else "false"
    if k is None:
        return "null"
    if isinstance(k, float):
        return go_float(k)
    return str(k)


def to_json_like(v: Any) -> Any:
    """A deep copy of a YAML-loaded value as the server would hold it after decoding JSON.

    YAML timestamps become their ISO text (kubectl sends them as strings), non-string keys become
    strings, tuples become lists and integral floats become ints (``1.0`` is sent as ``1``).
    """
    if isinstance(v, dict):
        return {_json_key(k): to_json_like(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [to_json_like(x) for x in v]
    if isinstance(v, float) and v.is_integer() and -(2**63) <= v < 2**63:
        return int(v)
    if isinstance(v, _dt.datetime | _dt.date):
        return v.isoformat()
    return v
