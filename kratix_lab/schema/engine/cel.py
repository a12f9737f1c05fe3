"""CEL (x-kubernetes-validations), evaluated with the ``common-expression-language`` package
(cel-rust bindings). Messages follow apiextensions-apiserver pkg/apiserver/schema/cel/validation.go
(validateExpressions, ruleMessageOrDefault, fieldErrorForReason).
"""

from __future__ import annotations

import functools
from typing import Any

from kratix_lab.schema.engine.cel_ext import FUNCTIONS as EXT_FUNCTIONS
from kratix_lab.schema.engine.cel_k8s import FUNCTIONS, _cel, library_error
from kratix_lab.schema.engine.fields import FORBIDDEN, INVALID, REQUIRED, FieldError
from kratix_lab.schema.engine.nodes import LIST_MAP_KEYS, LIST_TYPE, Schema, _additional, _items, _join, _props

VALIDATIONS = "x-kubernetes-validations"


@functools.lru_cache(maxsize=512)
def compile_rule(rule: str) -> Any:
    """Compile one rule; ``ValueError`` carries the parser's message (the CRD refuses the rule)."""
    return _cel().compile(rule)


# The Kubernetes CEL libraries (cel_k8s) and the strings/lists/sets/regex extensions (cel_ext): disjoint names.
_ALL_FUNCTIONS = {**FUNCTIONS, **EXT_FUNCTIONS}


@functools.lru_cache(maxsize=512)
def _functions_for(rule: str) -> dict[str, Any]:
    """The library functions ``rule`` can call: the package wraps every registered function each time a context
    is built (~1 µs each), so a context gets only those the compiled program names. ``x.f()`` is listed as
    ``f``; ``sets.contains(…)`` as the variable ``sets`` and the function ``contains``."""
    prog = compile_rule(rule)
    called, names = set(prog.functions()), set(prog.variables())
    return {
        name: fn
        for name, fn in _ALL_FUNCTIONS.items()
        if (name in called) or ("." in name and name.split(".", 1)[0] in names and name.split(".", 1)[1] in called)
    }


def _cel_context(variables: dict[str, Any], rule: str) -> Any:
    """The variables plus the Kubernetes CEL library functions (``cel_k8s.FUNCTIONS``, ``cel_ext.FUNCTIONS``)
    that ``rule`` calls."""
    return _cel().Context(variables, _functions_for(rule))


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


# k8s.io/apiserver pkg/apis/cel/config.go
# ``MaxEvaluatedMessageExpressionSizeBytes = 5 * 1024``
MAX_MESSAGE_EXPRESSION_BYTES = 5 * 1024


def _eval_error(e: Exception) -> str:
    """The evaluation error as validation.go words it (``no such key: k``, the library's own message)."""
    if isinstance(e, KeyError):
        return f"no such key: {e.args[0] if e.args else e}"
    return library_error(str(e)) or str(e)


def _message_expression(rule: dict[str, Any], variables: dict[str, Any]) -> str | None:
    """validation.go ``evalMessageExpression``: the trimmed string, or None (upstream logs the error and
    falls back to ``message``) when it fails, is not a string, is empty, too long or spans lines."""
    src = rule.get("messageExpression")
    if not isinstance(src, str) or not src.strip():
        return None
    try:
        result = compile_rule(src).execute(_cel_context(variables, src))
    except (KeyError, ValueError, TypeError, RuntimeError):
        return None
    if not isinstance(result, str):
        return None
    msg = result.strip()
    if not msg or len(msg.encode()) > MAX_MESSAGE_EXPRESSION_BYTES or "\n" in msg:
        return None
    return msg


def _optional(value: Any) -> Any:

    return _cel().OptionalValue.none() if value is None else _cel().OptionalValue.of(value)


def _validate_cel(x: Any, old: Any, s: Schema, path: str, out: list[FieldError]) -> None:
    """validation.go ``validate``/``validateExpressions``: each rule of this node, then the children with
    their correlated old values (``validateMap``: the same key; ``validateArray``: the list-map item with the
    same keys, nothing for other lists)."""
    if x is None or not _has_rules(s):
        return  # validation.go: only non-null values are validated
    rules = s.get(VALIDATIONS)
    if isinstance(rules, list) and rules:
        _validate_rules(x, old, s, rules, path, out)
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
            olds = _correlatable_items(s, old)
            for i, v in enumerate(x):
                _validate_cel(v, olds(v), items, f"{path}[{i}]", out)


def _correlatable_items(s: Schema, old: Any) -> Any:
    """validation.go ``makeMapList``: only ``x-kubernetes-list-type: map`` items correlate, by their keys."""
    keys = [k for k in s.get(LIST_MAP_KEYS) or [] if isinstance(k, str)]
    if s.get(LIST_TYPE) != "map" or not keys or not isinstance(old, list):
        return lambda v: None
    by_key = {}
    for o in old:
        if isinstance(o, dict):
            by_key.setdefault(repr([o.get(k) for k in keys]), o)
    return lambda v: by_key.get(repr([v.get(k) for k in keys])) if isinstance(v, dict) else None


def _validate_rules(x: Any, old: Any, s: Schema, rules: list[Any], path: str, out: list[FieldError]) -> None:
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
        optional_old = rule.get("optionalOldSelf") is True
        if uses_old and old is None and not optional_old:
            continue  # transition rules run only when there is a comparable old value
        variables: dict[str, Any] = {"self": x}
        if uses_old:
            variables["oldSelf"] = _optional(old) if optional_old else old
        try:
            result = prog.execute(_cel_context(variables, str(rule["rule"])))
        except (KeyError, ValueError, TypeError, RuntimeError) as e:  # the CEL runtime errors
            msg = _eval_error(e)
            if msg.startswith("no such overload"):
                msg = (
                    f"'{msg}': call arguments did not match a supported operator, function or macro signature "
                    f"for rule: {_rule_error_string(rule)}"
                )
            else:
                msg = f"{msg} evaluating rule: {_rule_error_string(rule)}"
            out.append(FieldError(path, INVALID, msg, stype))
            continue
        if result is True:
            continue
        if not uses_old and old is not None and old == x:
            # CRDValidationRatcheting (validation.go addErr / correlation.shouldRatchetError): an unchanged
            # value's failure is only a warning on update, so an object stored before the rule stays updatable
            continue
        fpath = _cel_field_path(path, str(rule.get("fieldPath") or ""))
        msg_vars = {"self": x, "oldSelf": old} if old is not None else {"self": x}
        detail = _message_expression(rule, msg_vars) or _rule_message(rule)
        reason = rule.get("reason")
        if reason == "FieldValueForbidden":
            out.append(FieldError(fpath, FORBIDDEN, detail))
        elif reason == "FieldValueRequired":
            out.append(FieldError(fpath, REQUIRED, detail))
        else:
            out.append(FieldError(fpath, INVALID, detail, value))
