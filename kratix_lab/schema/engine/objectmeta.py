"""ObjectMeta: types (decoding into the Go struct) and the apimachinery validation rules."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kratix_lab.schema.engine.fields import FORBIDDEN, INVALID, REQUIRED, TOO_LONG, FieldError
from kratix_lab.schema.engine.nodes import _is_int, _join, json_type

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


_DNS1035_RE = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")


def is_dns1035_label(name: str) -> list[str]:
    """apimachinery ``IsDNS1035Label`` (NameIsDNS1035Label)."""
    errs = []
    if len(name) > 63:
        errs.append("must be no more than 63 characters")
    if not _DNS1035_RE.fullmatch(name):
        errs.append(
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
            "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
            "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
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
