"""CEL (x-kubernetes-validations), evaluated with the ``common-expression-language`` package
(cel-rust bindings). Messages follow apiextensions-apiserver pkg/apiserver/schema/cel/validation.go
(validateExpressions, ruleMessageOrDefault, fieldErrorForReason).
"""

from __future__ import annotations

import functools
from typing import Any

from kratix_lab.schema.engine.fields import FORBIDDEN, INVALID, REQUIRED, FieldError
from kratix_lab.schema.engine.nodes import Schema, _additional, _items, _join, _props

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
