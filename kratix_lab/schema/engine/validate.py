"""Validation (kube-openapi SchemaValidator + embedded resources + list-type sets and maps)."""

from __future__ import annotations

from typing import Any

from kratix_lab.schema.engine.cel import _validate_cel
from kratix_lab.schema.engine.fields import DUPLICATE, INVALID, REQUIRED, TOO_LONG, TOO_MANY, UNSUPPORTED, FieldError
from kratix_lab.schema.engine.formats import format_error
from kratix_lab.schema.engine.goformat import go_float, go_json, go_number, go_quote
from kratix_lab.schema.engine.goregex import PatternError, compile_pattern
from kratix_lab.schema.engine.nodes import (
    EMBEDDED,
    LIST_MAP_KEYS,
    LIST_TYPE,
    Schema,
    _additional,
    _is_int,
    _is_json_integer,
    _is_number,
    _items,
    _join,
    _props,
    _type_ok,
    _types,
    json_type,
)
from kratix_lab.schema.engine.objectmeta import validate_embedded_resource


def validate(obj: Any, schema: Schema | None, path: str = "", *, old: Any = None) -> list[FieldError]:
    """Every schema error of ``obj``, node checks before children, children in document order.

    The OpenAPI errors come first, then the ``x-kubernetes-validations`` (CEL) errors, as the
    custom-resource strategy appends the CEL validator's list after the schema validator's.
    ``old`` is the stored object on an update: rules that use ``oldSelf`` run only then, and a value equal
    to its correlated stored value is ratcheted (its errors are not reported; see ``_validate``).
    """
    out: list[FieldError] = []
    if isinstance(schema, dict):
        _validate(obj, schema, path, out, _MISSING if old is None else old)
        _validate_cel(obj, old, schema, path, out)
    return out


_MISSING: Any = object()  # no correlated old value


def _validate(x: Any, s: Schema, path: str, out: list[FieldError], old: Any = _MISSING) -> None:
    """One node and its subtree. On an update (``old`` correlated), CRDValidationRatcheting: the errors of a
    node whose value deep-equals its old value are dropped, subtree included (apiextensions-apiserver
    pkg/apiserver/validation/ratcheting.go ``ratchetingValueValidator.Validate``: a result is ratcheted when
    ``CachedDeepEqual``; children correlate by property, list-map items by key, other untyped lists by index,
    ``set``/``atomic`` items not at all: ``correlateOldValueForChildAtNewIndex``)."""
    if old is _MISSING:
        _validate_node(x, s, path, out, old)
        return
    local: list[FieldError] = []
    _validate_node(x, s, path, local, old)
    if local and not _json_equal(x, old):
        out.extend(local)


def _old_item(s: Schema, x: list[Any], old: Any) -> Any:
    """ratcheting.go ``correlateOldValueForChildAtNewIndex``, as a function of the new index."""
    if not isinstance(old, list):
        return lambda i: _MISSING
    list_type = s.get(LIST_TYPE)
    if list_type == "map":
        keys = [k for k in s.get(LIST_MAP_KEYS) or [] if isinstance(k, str)]
        by_key = {}
        for o in old:
            if isinstance(o, dict):
                by_key.setdefault(go_json([o.get(k) for k in keys]), o)

        def by_map_key(i: int) -> Any:
            v = x[i]
            return by_key.get(go_json([v.get(k) for k in keys]), _MISSING) if isinstance(v, dict) else _MISSING

        return by_map_key
    if list_type in ("set", "atomic"):
        return lambda i: _MISSING
    return lambda i: old[i] if i < len(old) else _MISSING


def _validate_node(x: Any, s: Schema, path: str, out: list[FieldError], old: Any) -> None:
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
        _check_format(x, s, types, path, out)
    elif _is_number(x):
        _check_number(x, s, path, out)
    elif isinstance(x, list):
        _check_array(x, s, path, out)
    _check_enum(x, s, path, out)
    if isinstance(x, dict):
        _check_object(x, s, path, out, old)
    elif isinstance(x, list):
        items = _items(s)
        if items is not None:
            old_at = _old_item(s, x, old) if old is not _MISSING else (lambda i: _MISSING)
            for i, v in enumerate(x):
                _validate(v, items, f"{path}[{i}]", out, old_at(i))


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


def _check_format(x: str, s: Schema, types: list[str], path: str, out: list[FieldError]) -> None:
    """A supported string ``format`` (engine/formats.py), after the string checks as go-openapi's
    SchemaValidator orders its validators; the error is ``errors.InvalidType``."""
    fmt = s.get("format")
    if isinstance(fmt, str) and fmt and types in ([], ["string"]) and format_error(x, fmt):
        out.append(FieldError(path, INVALID, f"{path} in body must be of type {fmt}: {go_quote(x)}", x))


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


def _check_object(x: dict[str, Any], s: Schema, path: str, out: list[FieldError], old: Any = _MISSING) -> None:
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
    olds = old if isinstance(old, dict) else {}
    for k, v in x.items():
        if k in props:
            _validate(v, props[k], _join(path, k), out, olds.get(k, _MISSING))
        elif additional is not None:
            _validate(v, additional, _join(path, k), out, olds.get(k, _MISSING))
