"""A request form generated from a Promise's API: fields, conversions, validation, preview, submit.

The dashboard's "Create vCluster" screen (and any other front end) is a thin view of this module:
the form model says which fields there are (sections for nested objects, a kind per field that
says how it is entered, the schema's defaults, allowed values, constraints and descriptions);
``build_request`` turns what the user typed into a request object; ``validate`` admits it with
the schema engine and maps each of the API server's errors to the field it is about; ``preview``
runs the Promise's pipelines locally (the orchestrator's seven sub-requests); ``submit`` commits
it to the gitops repo only when nothing is wrong.

Entered values are text (what inputs hold). An empty value means "not set": the field is left out
of the request, so the schema's default (or the preset, or the pipeline) decides — the committed
request says only what the user chose. Maps are ``key=value, key=value``; lists ``a, b``;
free-form objects (``x-kubernetes-preserve-unknown-fields``) and lists of objects are YAML text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from kratix_lab.catalogue import Catalogue
from kratix_lab.errors import Invalid
from kratix_lab.model import YamlError, clone, dump, load_documents, name_of, namespace_of, ref
from kratix_lab.model.yamlio import MAX_REQUEST_BYTES, request_too_large
from kratix_lab.promise import Promise
from kratix_lab.render import DEFAULT_NAMESPACE, RequestError, render
from kratix_lab.schema import CRD, explain
from kratix_lab.schema.engine import INT_OR_STRING, to_json_like
from kratix_lab.views.explain_view import constraints as constraint_lines

if TYPE_CHECKING:
    from kratix_lab.sources import Platform, Source

# How a field is entered (and converted): the form's own vocabulary, one per input widget.
STRING = "string"
INTEGER = "integer"
NUMBER = "number"
BOOLEAN = "boolean"
ENUM = "enum"
INT_OR_STR = "int-or-string"
MAP = "map"  # map[string]<scalar>, entered as key=value, key=value
LIST = "list"  # []<scalar>, entered as a, b, c
YAML = "yaml"  # free-form objects, lists of objects, maps of objects: YAML text

_SCALAR_KINDS = {"string": STRING, "integer": INTEGER, "number": NUMBER, "boolean": BOOLEAN, "IntOrString": INT_OR_STR}
_INT_RE = re.compile(r"[+-]?[0-9]+")
# Metadata a request author sets; the rest of ObjectMeta belongs to the server.
_METADATA_FIELDS = ("name", "namespace", "labels", "annotations")


class FormError(Invalid):
    """The form cannot be used as asked (an unknown field, a Promise without an API)."""


class FormInvalid(FormError):
    """Submit refused: the form has problems; nothing was written."""

    def __init__(self, result: FormResult) -> None:
        self.result = result
        n = len(result.problems)
        super().__init__(
            f"{n} problem{'s' if n != 1 else ''}; nothing was written:\n" + "\n".join(map(str, result.problems))
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (FormInvalid, (self.result,))  # picklable with its result (the dashboard's worker processes)


# ------------------------------------------------------------------------------------------------
# The form model
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormField:
    """One input of the form: where it goes in the request and how it is entered."""

    path: str  # "spec.vcluster.replicas"
    keys: tuple[str, ...]  # the same path as keys: ("spec", "vcluster", "replicas")
    kind: str  # STRING, INTEGER, ... (how it is entered and converted)
    type: str  # the type as kubectl explain prints it: integer, map[string]string, IntOrString, Object
    required: bool = False
    default: Any = None
    allowed: tuple[Any, ...] | None = None
    description: str = ""
    constraints: tuple[str, ...] = ()
    value_kind: str | None = None  # ENUM: the kind of its values; MAP and LIST: the kind of the entries
    placeholder_text: str = ""  # what an empty input stands for

    @property
    def name(self) -> str:
        return self.keys[-1]

    @property
    def section(self) -> str:
        return self.path.rpartition(".")[0] if len(self.keys) > 1 else ""

    @property
    def placeholder(self) -> str:
        """What an empty input means: the default, or how to fill it in."""
        if self.placeholder_text:
            return self.placeholder_text
        if self.default is not None:
            return f"{format_value(self, self.default, one_line=True)} (default)"
        hint = {
            INTEGER: "integer",
            NUMBER: "number",
            INT_OR_STR: "number or quantity, e.g. 2 or 500m",
            MAP: "key=value, key=value",
            LIST: "item, item",
            YAML: "YAML",
        }.get(self.kind, "")
        bounds = next((c.split(": ", 1)[1] for c in self.constraints if c.startswith(("value:", "length:"))), "")
        if bounds and self.kind in (INTEGER, NUMBER):
            hint += f" {bounds}"
        lead = "required" if self.required else "optional"
        return f"{lead}, {hint}" if hint else lead

    @property
    def help(self) -> str:
        """The schema's description and every constraint, one line each (defaults are the placeholder)."""
        lines = [self.description.strip()] if self.description.strip() else []
        lines += [c for c in self.constraints if not c.startswith("default:")]
        return "\n".join(lines)


@dataclass(frozen=True)
class FormSection:
    """A nested object of the schema: its own fields and sections (collapsible in a UI)."""

    path: str
    keys: tuple[str, ...]
    description: str = ""
    required: bool = False
    default: Any = None
    fields: tuple[FormField, ...] = ()
    sections: tuple[FormSection, ...] = ()

    @property
    def name(self) -> str:
        return self.keys[-1]

    @property
    def title(self) -> str:
        return self.path

    def walk_fields(self) -> Iterator[FormField]:
        yield from self.fields
        for s in self.sections:
            yield from s.walk_fields()

    def walk_sections(self) -> Iterator[FormSection]:
        yield self
        for s in self.sections:
            yield from s.walk_sections()


@dataclass(frozen=True)
class FormModel:
    """The form of one Promise's request: metadata first, then the spec as the schema declares it."""

    promise: str
    crd: CRD
    version: str
    metadata: FormSection
    spec: FormSection

    @property
    def kind(self) -> str:
        return self.crd.kind

    @property
    def api_version(self) -> str:
        return f"{self.crd.group}/{self.version}"

    @property
    def sections(self) -> tuple[FormSection, FormSection]:
        return (self.metadata, self.spec)

    def fields(self) -> list[FormField]:
        return [f for s in self.sections for f in s.walk_fields()]

    def all_sections(self) -> list[FormSection]:
        return [x for s in self.sections for x in s.walk_sections()]

    def field(self, path: str) -> FormField:
        for f in self.fields():
            if f.path == path:
                return f
        raise FormError(f"no field {path!r} in the {self.kind} form")

    def owner_of(self, error_path: str) -> str:
        """The field (else the section, else "") an error at ``error_path`` belongs to.

        ``spec.integrations.argocd.clusterLabels.team`` belongs to the map field ``…clusterLabels``;
        ``spec.vcluster.helmOverrides.a.b`` to the YAML field; ``spec.destinations[0].server`` to
        ``spec.destinations``.
        """
        for candidates in (
            (f.path for f in self.fields()),
            (s.path for s in self.all_sections()),
        ):
            best = ""
            for p in candidates:
                if (error_path == p or error_path.startswith((p + ".", p + "["))) and len(p) > len(best):
                    best = p
            if best:
                return best
        return ""


def form_for(promise: Promise, version: str | None = None) -> FormModel:
    """The form of ``promise``'s request (its CRD's storage version unless ``version`` is given)."""
    crd = promise.crd
    if crd is None:
        raise FormError(
            f"Promise {promise.name} has no API (it only installs dependencies): there is nothing to request"
        )
    version = version or crd.storage_version
    schema = crd.version(version).schema
    spec_schema = (schema.get("properties") or {}).get("spec")
    meta_fields = []
    for key in _METADATA_FIELDS:
        if key == "namespace" and not crd.namespaced:
            continue
        f = _field(crd, version, ("metadata", key), {})
        if key == "name":
            f = replace(f, required=True)
            if isinstance(spec_schema, dict) and "name" in (spec_schema.get("properties") or {}):
                f = replace(f, placeholder_text="same as spec.name")
        elif key == "namespace":
            f = replace(f, default=DEFAULT_NAMESPACE)
        meta_fields.append(f)
    metadata = FormSection("metadata", ("metadata",), "The request's own name, namespace, labels and annotations.")
    metadata = replace(metadata, fields=tuple(meta_fields))
    if not isinstance(spec_schema, dict):
        spec = FormSection("spec", ("spec",))
    elif _is_section(spec_schema):
        spec = _section(crd, version, ("spec",), spec_schema)
    else:  # a free-form spec: one YAML field
        node = explain(crd, version, "spec")
        spec = FormSection(
            "spec", ("spec",), node.description, node.required, fields=(_field(crd, version, ("spec",), spec_schema),)
        )
    return FormModel(promise.name, crd, version, metadata, spec)


def _is_section(s: dict[str, Any]) -> bool:
    return s.get("type", "object") == "object" and isinstance(s.get("properties"), dict) and bool(s["properties"])


def _section(crd: CRD, version: str, keys: tuple[str, ...], s: dict[str, Any]) -> FormSection:
    node = explain(crd, version, ".".join(keys))
    fields, sections = [], []
    for key, sub in s["properties"].items():  # the order the schema declares them in
        if not isinstance(sub, dict):
            continue
        if _is_section(sub):
            sections.append(_section(crd, version, (*keys, key), sub))
        else:
            fields.append(_field(crd, version, (*keys, key), sub))
    return FormSection(
        ".".join(keys), keys, node.description, node.required, node.default, tuple(fields), tuple(sections)
    )


def _field(crd: CRD, version: str, keys: tuple[str, ...], s: dict[str, Any]) -> FormField:
    path = ".".join(keys)
    node = explain(crd, version, path)
    kind, value_kind = _kind_of(node.type, s, node.enum)
    return FormField(
        path=path,
        keys=keys,
        kind=kind,
        type=node.type,
        required=node.required,
        default=node.default,
        allowed=node.enum,
        description=node.description,
        constraints=tuple(c for c in constraint_lines(node) if not c.startswith("allowed values:")),
        value_kind=value_kind,
    )


def _kind_of(type_name: str, s: dict[str, Any], enum: tuple[Any, ...] | None) -> tuple[str, str | None]:
    if enum:
        base = _SCALAR_KINDS.get(type_name, STRING)
        return ENUM, base
    if type_name in _SCALAR_KINDS:
        return _SCALAR_KINDS[type_name], None
    if s.get(INT_OR_STRING) is True:
        return INT_OR_STR, None
    if type_name.startswith("map[string]") and type_name.removeprefix("map[string]") in _SCALAR_KINDS:
        return MAP, _SCALAR_KINDS[type_name.removeprefix("map[string]")]
    if type_name.startswith("[]") and type_name.removeprefix("[]") in _SCALAR_KINDS:
        return LIST, _SCALAR_KINDS[type_name.removeprefix("[]")]
    return YAML, None  # Object (free-form), []Object, map[string]Object, or anything else


# ------------------------------------------------------------------------------------------------
# Values → request
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the form: the field (or section, or "" for the whole form) it belongs to
    and the message, which starts with the path it is about."""

    field: str
    message: str

    def __str__(self) -> str:
        return self.message


class _Unset:
    pass


UNSET: Any = _Unset()


def is_empty(value: Any) -> bool:
    return value is None or value is UNSET or (isinstance(value, str) and not value.strip())


def convert(f: FormField, value: Any) -> Any:
    """One entered value as the request holds it; UNSET when empty; ValueError naming the field."""
    if is_empty(value):
        return UNSET
    if f.kind == YAML:
        return _convert_yaml(f, value)
    if f.kind == MAP:
        return _convert_map(f, value)
    if f.kind == LIST:
        return _convert_list(f, value)
    return _scalar(f.value_kind if f.kind == ENUM else f.kind, value, f.path)


def _scalar(kind: str | None, value: Any, where: str) -> Any:
    raw = value.strip() if isinstance(value, str) else value
    if kind == INTEGER:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and _INT_RE.fullmatch(raw):
            return int(raw)
        raise ValueError(f"{where}: must be an integer, got {_shown(value)}")
    if kind == NUMBER:
        if isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw):
            return raw
        if isinstance(raw, str):
            if _INT_RE.fullmatch(raw):
                return int(raw)
            try:
                number = float(raw)
            except ValueError:
                number = math.nan
            if math.isfinite(number) and not raw.lower().startswith(("+inf", "-inf", "inf", "nan")):
                return number
        raise ValueError(f"{where}: must be a number, got {_shown(value)}")
    if kind == BOOLEAN:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise ValueError(f"{where}: must be true or false, got {_shown(value)}")
    if kind == INT_OR_STR:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and _INT_RE.fullmatch(raw):
            return int(raw)
        if isinstance(value, str):
            return value
        raise ValueError(f"{where}: must be an integer or a string, got {_shown(value)}")
    # strings stay exactly as entered (byte for byte); only an all-blank entry means "not set"
    if isinstance(value, str):
        return value
    raise ValueError(f"{where}: must be text, got {_shown(value)}")


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) else f"{value!r} ({type(value).__name__})"


def _entries(text: str) -> list[str]:
    return [e.strip() for e in re.split(r"[,\n]", text) if e.strip()]


def _convert_map(f: FormField, value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _scalar(f.value_kind, v, f"{f.path}.{k}") for k, v in value.items()}
    if not isinstance(value, str):
        raise ValueError(f"{f.path}: must be key=value entries, got {_shown(value)}")
    out: dict[str, Any] = {}
    for entry in _entries(value):
        key, eq, val = entry.partition("=")
        key, val = key.strip(), val.strip()
        if not eq:
            raise ValueError(f"{f.path}: {entry!r} is not key=value (separate entries with commas)")
        if not key:
            raise ValueError(f"{f.path}: {entry!r} has an empty key")
        if key in out:
            raise ValueError(f"{f.path}: key {key!r} is given twice")
        out[key] = val if f.value_kind == STRING else _scalar(f.value_kind, val, f"{f.path}.{key}")
    return out if out else UNSET


def _convert_list(f: FormField, value: Any) -> Any:
    if isinstance(value, list | tuple):
        items = list(value)
    elif isinstance(value, str):
        items = _entries(value)
    else:
        raise ValueError(f"{f.path}: must be a comma-separated list, got {_shown(value)}")
    return [_scalar(f.value_kind, v, f"{f.path}[{i}]") for i, v in enumerate(items)] or UNSET


def _convert_yaml(f: FormField, value: Any) -> Any:
    if not isinstance(value, str):
        return clone(value)
    try:
        docs = load_documents(value, f.path)  # the one YAML loader: errors say <field>:<line>:<column>
    except YamlError as e:
        raise ValueError(str(e)) from None
    if not docs:
        return UNSET  # only comments or blank lines: not set
    if len(docs) > 1:
        lines = ", ".join(str(d.line) for d in docs)
        raise ValueError(f"{f.path}: {len(docs)} YAML documents (starting at lines {lines}); expected one")
    data = to_json_like(docs[0].data)  # as the API server holds it: timestamps as text, keys as strings
    _check_json(data, f.path)
    want_list = f.type.startswith("[]")
    if want_list and not isinstance(data, list):
        raise ValueError(f"{f.path}:{docs[0].line}: must be a YAML list (- item lines), got {_yaml_type(data)}")
    if not want_list and f.type != "" and not isinstance(data, dict):
        raise ValueError(f"{f.path}:{docs[0].line}: must be a YAML mapping (key: value lines), got {_yaml_type(data)}")
    return data


def _check_json(data: Any, where: str) -> None:
    """Refuse what JSON (and so a Kubernetes object) cannot hold, naming where it is."""
    if isinstance(data, dict):
        for k, v in data.items():
            _check_json(v, f"{where}.{k}")
    elif isinstance(data, list):
        for i, v in enumerate(data):
            _check_json(v, f"{where}[{i}]")
    elif isinstance(data, float) and not math.isfinite(data):
        raise ValueError(f"{where}: {data} is not a JSON number (a Kubernetes object cannot hold it)")
    elif not isinstance(data, str | int | float | bool | type(None)):
        raise ValueError(
            f"{where}: a YAML {type(data).__name__} value is not JSON (a Kubernetes object cannot hold it)"
        )


def _yaml_type(data: Any) -> str:
    if isinstance(data, dict):
        return "a mapping"
    if isinstance(data, list):
        return "a list"
    return f"the {type(data).__name__} {data!r}"


@dataclass
class Built:
    """A request built from entered values, with the conversion problems (fields left out)."""

    request: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)


def build_request(model: FormModel, values: Mapping[str, Any]) -> Built:
    """The request object for ``values`` (field path → entered value; missing or empty = not set).

    ``metadata.name`` left empty takes ``spec.name``; ``metadata.namespace`` left empty is
    ``platform-requests`` (where the platform's Argo CD app syncs requests to).
    """
    fields = {f.path: f for f in model.fields()}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise FormError(f"no field {unknown[0]!r} in the {model.kind} form (fields: {', '.join(fields)})")
    obj: dict[str, Any] = {"apiVersion": model.api_version, "kind": model.kind, "metadata": {}}
    problems = []
    sizes = {p: len(v) for p, v in values.items() if isinstance(v, str)}
    if sum(sizes.values()) > MAX_REQUEST_BYTES:  # the API server's body limit, refused before any parsing
        return Built(obj, [Problem(max(sizes, key=sizes.__getitem__), request_too_large())])
    for path, f in fields.items():
        try:
            v = convert(f, values.get(path))
        except ValueError as e:
            problems.append(Problem(path, str(e)))
            continue
        if v is not UNSET:
            _set(obj, f.keys, v)
    for section in model.all_sections():  # a required object left empty: its own required fields say what is missing
        parent = _get(obj, section.keys[:-1])
        if section.required and isinstance(parent, dict) and section.name not in parent:
            parent[section.name] = {}
    meta = obj["metadata"]
    spec_name = (obj.get("spec") or {}).get("name") if isinstance(obj.get("spec"), dict) else None
    if "name" not in meta and isinstance(spec_name, str) and "metadata.name" not in {p.field for p in problems}:
        meta["name"] = spec_name
    if model.crd.namespaced and "namespace" not in meta:
        meta["namespace"] = DEFAULT_NAMESPACE
    obj["metadata"] = {k: meta[k] for k in _METADATA_FIELDS if k in meta}  # the usual order
    return Built(obj, problems)


def _get(obj: Any, keys: tuple[str, ...]) -> Any:
    for k in keys:
        obj = obj.get(k) if isinstance(obj, dict) else None
    return obj


def _set(obj: dict[str, Any], keys: tuple[str, ...], value: Any) -> None:
    for k in keys[:-1]:
        obj = obj.setdefault(k, {})
    obj[keys[-1]] = value


def values_from_request(model: FormModel, obj: Mapping[str, Any]) -> dict[str, str]:
    """What the form's inputs hold for an existing request (the inverse of ``build_request``)."""
    out: dict[str, str] = {}
    for f in model.fields():
        node: Any = obj
        for k in f.keys:
            node = node.get(k, UNSET) if isinstance(node, Mapping) else UNSET
        if node is not UNSET and node is not None:
            out[f.path] = format_value(f, node)
    return out


def format_value(f: FormField, value: Any, *, one_line: bool = False) -> str:
    """A value as the form's input for ``f`` holds it."""
    if f.kind == MAP and isinstance(value, Mapping):
        return ", ".join(f"{k}={_text(v)}" for k, v in value.items())
    if f.kind == LIST and isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if f.kind == YAML or isinstance(value, dict | list):
        if one_line:
            return "{}" if value == {} else "[]" if value == [] else dump(value).strip().replace("\n", " ")
        return dump(value)
    return _text(value)


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


# ------------------------------------------------------------------------------------------------
# Validation: conversions, the schema engine, and (with a platform) names already in use
# ------------------------------------------------------------------------------------------------


@dataclass
class FormResult:
    """Everything known about the entered values: the request, what admission made of it, problems."""

    request: dict[str, Any]
    admitted: dict[str, Any] | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def kind(self) -> str:
        return str(self.request.get("kind", ""))

    @property
    def name(self) -> str:
        return name_of(self.request) or ""

    @property
    def namespace(self) -> str | None:
        return namespace_of(self.request)

    def by_field(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for p in self.problems:
            out.setdefault(p.field, []).append(p.message)
        return out

    def messages_for(self, path: str) -> list[str]:
        return [p.message for p in self.problems if p.field == path]

    @property
    def request_yaml(self) -> str:
        return dump(self.request)


def validate(
    model: FormModel, values: Mapping[str, Any], platform: Platform | None = None, *, editing: str | None = None
) -> FormResult:
    """Convert, admit with the schema engine, and — given a platform (``kratix_lab.sources.Platform``: the
    lab's or a live cluster's source and actions) — check the name is free there and that the platform
    admits it (``editing``: the name of the request being edited, which its own file and object do not take).

    Admission errors carry the API server's wording and are mapped to the field they are about
    (errors for a field whose value could not even be converted are not repeated).
    """
    built = build_request(model, values)
    result = FormResult(built.request, problems=list(built.problems))
    failed = {p.field for p in built.problems}
    admission = model.crd.admit(built.request)
    for e in admission.errors:
        owner = model.owner_of(e.path)
        if owner in failed and owner:
            continue
        result.problems.append(Problem(owner, str(e)))
    for p in admission.pruned:
        result.warnings.append(Problem(model.owner_of(p), f"{p}: unknown field, dropped by the API server"))
    if admission.ok and not built.problems:
        result.admitted = admission.object
    if platform is not None and not {"metadata.name", "metadata.namespace"} & {p.field for p in result.problems}:
        result.problems += in_use(model, platform, built.request, editing=editing)
        if result.ok:
            result.problems += _admission(platform, built.request)
    spec = built.request.get("spec")
    spec_name = spec.get("name") if isinstance(spec, dict) else None
    if is_empty(values.get("metadata.name")) and spec_name and name_of(built.request) == spec_name:
        result.problems = _on_spec_name(result.problems)
    result.problems = [_with_hint(p) for p in result.problems]
    if not result.ok:
        result.admitted = None
    order = {
        p: i for i, p in enumerate([""] + [f.path for f in model.fields()] + [x.path for x in model.all_sections()])
    }
    result.problems.sort(key=lambda p: order.get(p.field, len(order)))  # the form's order, top to bottom
    result.warnings.sort(key=lambda p: order.get(p.field, len(order)))
    return result


def _on_spec_name(problems: list[Problem]) -> list[Problem]:
    """``metadata.name`` left empty is filled from ``spec.name`` (``build_request``): its problems (a name in
    use, a name the API server refuses) are the user's ``spec.name``'s, shown where it was typed — once, when
    ``spec.name`` has its own message about the same value already."""
    own = any(p.field == "spec.name" for p in problems)
    out = []
    for p in problems:
        if p.field != "metadata.name":
            out.append(p)
        elif "Invalid value" in p.message and own:
            continue  # spec.name's own pattern error says it
        else:
            out.append(Problem("spec.name", f"{p.message} (metadata.name is filled from spec.name)"))
    return out


# The API server quotes a field's pattern (or a name rule's regex); beside it, what it means in plain words.
_PLAIN_WORDS = {
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?": "lowercase letters, digits and '-', starting and ending with a letter or digit",
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*": (
        "lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
    ),
    r"[a-z]([-a-z0-9]*[a-z0-9])?": (
        "lowercase letters, digits and '-', starting with a letter and ending with a letter or digit"
    ),
    r"[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?": "a number, then optionally a unit: 512Mi, 2Gi, 1.5G, 500m",
    r"([0-9]+(\.[0-9]+)?(ms|s|m|h))+": "a duration: a number and a unit (ms, s, m, h), e.g. 30s, 5m, 1h30m",
    r"((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])": (
        "an IPv4 address: four numbers 0-255 joined by '.', e.g. 10.96.0.10"
    ),
    r"https://": "a URL starting with https://",
    r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?": (
        "letters, digits, '-', '_' and '.', starting and ending with a letter or digit (or empty)"
    ),
}
_QUOTED_REGEX = re.compile(r"(?:should match|regex used for validation is) '([^']*)'")


def plain_words(message: str) -> str | None:
    """What the regex an API server message quotes means, in plain words (None: no regex, or one not known)."""
    m = _QUOTED_REGEX.search(message)
    if m is None:
        return None
    return _PLAIN_WORDS.get(m.group(1).removeprefix("^").removesuffix("$"))


def _with_hint(p: Problem) -> Problem:
    words = plain_words(p.message)
    return Problem(p.field, f"{p.message}\n↳ {words}") if words else p


def gitops_path(model: FormModel, obj: Mapping[str, Any], platform: Platform) -> str:
    """Where a submit commits the request in the platform's gitops repo (``Actions.gitops_path``)."""
    return platform.actions.gitops_path(model.kind, name_of(obj) or "", model.crd)


def in_use(
    model: FormModel, platform: Platform, obj: Mapping[str, Any], *, editing: str | None = None
) -> list[Problem]:
    """Names the request would take that the platform already has: submitting would replace another request.

    The gitops repo keeps one file per request name (whatever its namespace), so a name is in use
    when any request of the kind has it, or when its file is committed but not yet synced; and two
    requests with one ``spec.name`` would fight over one vCluster (release, namespace, Argo CD app).
    """
    name, ns = name_of(obj), namespace_of(obj)
    if not name:
        return []
    problems = []
    if editing is not None and name != editing:
        return [
            Problem(
                "metadata.name",
                f'metadata.name: an edit keeps the name "{editing}" (a new name is a new request: create it, then '
                "delete this one)",
            )
        ]
    requests = platform.source.list(model.kind, None, None, model.crd.group)
    existing = [o for o in requests if (o.get("metadata") or {}).get("name") == name]
    path = gitops_path(model, obj, platform)
    if editing is not None:  # its own object and file: what the edit replaces
        existing = []
    elif existing:
        o = existing[0]
        where = f' in namespace "{namespace_of(o)}"' if namespace_of(o) else ""
        gone = " (being deleted)" if (o.get("metadata") or {}).get("deletionTimestamp") else ""
        problems.append(
            Problem(
                "metadata.name",
                f'metadata.name: {model.kind} "{name}" already exists{where}{gone}; choose another name '
                f"(submitting would replace {path} in the gitops repo)",
            )
        )
    if editing is None and not existing and platform.actions.gitops_file(path, model.kind) is not None:
        problems.append(
            Problem(
                "metadata.name",
                f'metadata.name: {path} is already in the gitops repo (a {model.kind} "{name}" committed and not '
                "yet synced); choose another name",
            )
        )
    spec_name = (obj.get("spec") or {}).get("name") if isinstance(obj.get("spec"), Mapping) else None
    if isinstance(spec_name, str) and spec_name:
        for o in requests:
            if (o.get("spec") or {}).get("name") == spec_name and (o.get("metadata") or {}).get("name") != name:
                problems.append(
                    Problem(
                        "spec.name",
                        f'spec.name: "{spec_name}" is already requested by {model.kind} '
                        f'"{name_of(o)}" in namespace "{namespace_of(o)}"; choose another name',
                    )
                )
                break
    if ns and model.crd.namespaced and platform.source.get("Namespace", ns, None, "") is None:
        where = platform.actions.where
        problems.append(Problem("metadata.namespace", f'metadata.namespace: namespaces "{ns}" not found in {where}'))
    return problems


def _admission(platform: Platform, obj: dict[str, Any]) -> list[Problem]:
    """The platform's own admission (its installed Promise, served versions: ``Actions.admit``) as a
    form-level problem."""
    from kratix_lab.errors import KratixLabError

    try:
        platform.actions.admit(clone(obj))
    except KratixLabError as e:
        return [Problem("", str(e))]
    return []


# ------------------------------------------------------------------------------------------------
# Preview: the request and what its pipelines render
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewObject:
    """One object of the preview: a sub-request (with what its own pipeline writes) or another output."""

    kind: str
    name: str
    namespace: str | None
    yaml: str
    outputs: tuple[str, ...] = ()  # kind/name of what this sub-request's pipeline writes
    error: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass
class Preview:
    request_yaml: str  # what is committed
    admitted_yaml: str = ""  # with the schema's defaults applied
    sub_requests: list[PreviewObject] = field(default_factory=list)
    other_outputs: list[PreviewObject] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and all(s.error is None for s in self.sub_requests)


def preview(catalogue: Catalogue, request: dict[str, Any]) -> Preview:
    """Run the request's pipelines locally (``kratix_lab.render``): the orchestrator's sub-requests,
    each admitted and rendered in turn. Touches no lab; safe to run off the UI thread."""
    out = Preview(dump(request))
    try:
        node = render(catalogue, request)
    except RequestError as e:
        out.error = str(e)
        return out
    out.admitted_yaml = dump(node.request)
    if node.error:
        out.error = node.error
    child_refs = {c.ref: c for c in node.children}
    for o in node.outputs:
        child = child_refs.get(ref(o.obj))
        if child is None:
            out.other_outputs.append(_preview_object(o.obj))
            continue
        outputs = tuple(f"{x.obj.get('kind')}/{name_of(x.obj)}" for x in child.outputs)
        out.sub_requests.append(
            _preview_object(child.request, outputs=outputs, error="; ".join(child.errors()) or None)
        )
    return out


def _preview_object(obj: Mapping[str, Any], **extra: Any) -> PreviewObject:
    return PreviewObject(str(obj.get("kind", "")), name_of(obj) or "", namespace_of(obj), dump(obj), **extra)


# ------------------------------------------------------------------------------------------------
# Submit: the GitOps path
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    kind: str
    name: str
    namespace: str | None
    path: str  # in the gitops repo
    sha: str | None  # the commit


def submit(model: FormModel, values: Mapping[str, Any], platform: Platform, *, editing: str | None = None) -> Submitted:
    """Validate (conversions, schema, name free on the platform) and commit the request to the gitops repo
    (``Actions.submit``). ``editing``: the name of the request in git these values replace (committed as
    "Update …" with ``Actions.submit_text``, its comments kept).

    Raises FormInvalid — and writes nothing — when anything is wrong.
    """
    result = validate(model, values, platform, editing=editing)
    if not result.ok:
        raise FormInvalid(result)
    if editing is not None:
        found = request_in_git(model, platform, editing)
        if found is None:
            raise FormError(f"{model.kind} {editing} is not in the gitops repo any more: nothing to edit")
        text = edited_text(found, result.request)
        sha = platform.actions.submit_text(text, f"Update {model.kind} {editing}")
        return Submitted(result.kind, result.name, result.namespace, found.path, sha)
    sha = platform.actions.submit(result.request)
    return Submitted(result.kind, result.name, result.namespace, gitops_path(model, result.request, platform), sha)


# ------------------------------------------------------------------------------------------------
# Editing a request in git (the dashboard's `e`): the same form, prefilled; a diff before the commit
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InGit:
    """A request as the gitops repo holds it: its file, its text and the object."""

    path: str
    text: str
    request: dict[str, Any]


def request_in_git(model: FormModel, platform: Platform, name: str) -> InGit | None:
    """The request ``name`` of the form's kind as committed to the gitops repo (None: no such file). A file
    that is not one request of this kind is an error naming the file."""
    path = _git_path(model, name, platform)
    content = platform.actions.gitops_file(path, model.kind)
    if content is None:
        return None
    try:
        text = content.decode("utf-8")
        docs = [d.data for d in load_documents(text, path) if d.data is not None]
    except (UnicodeDecodeError, YamlError) as e:
        raise FormError(f"{path} in the gitops repo cannot be edited here: {e}") from None
    if len(docs) != 1 or not isinstance(docs[0], dict) or docs[0].get("kind") != model.kind:
        raise FormError(f"{path} in the gitops repo is not one {model.kind}: edit it in git")
    return InGit(path, text, docs[0])


def _git_path(model: FormModel, name: str, platform: Platform) -> str:
    """``Actions.gitops_path`` of the form's kind for ``name``."""
    return platform.actions.gitops_path(model.kind, name, model.crd)


def edit_values(model: FormModel, platform: Platform, name: str) -> dict[str, str]:
    """The form's values for the request ``name`` in git (raises FormError when it is not there)."""
    found = request_in_git(model, platform, name)
    if found is None:
        raise FormError(
            f"{model.kind} {name} is not in the gitops repo ({_git_path(model, name, platform)}): only requests "
            "committed there are edited here (one applied directly is changed with kubectl)"
        )
    return values_from_request(model, found.request)


def edited_text(found: InGit | None, request: Mapping[str, Any]) -> str:
    """The file an edit commits: the comment lines heading the file in git, then the request as the form built
    it — without the ``metadata.namespace`` the form fills in when the file left it to the default (the same
    request: ``Lab.submit`` defaults it too), so the diff shows what the user changed."""
    obj = clone(dict(request))
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    if found is not None:
        original = found.request.get("metadata") if isinstance(found.request.get("metadata"), dict) else {}
        if "namespace" not in original and meta.get("namespace") == DEFAULT_NAMESPACE:
            del meta["namespace"]
    head = []
    for line in (found.text if found is not None else "").splitlines(keepends=True):
        if not line.startswith("#"):
            break
        head.append(line if line.endswith("\n") else line + "\n")
    return "".join(head) + dump(obj)


def edit_diff(model: FormModel, platform: Platform, result: FormResult, name: str) -> str:
    """``git diff`` of the edit: the request's file in git against what the commit would write ("" when the
    edit changes nothing)."""
    import difflib

    found = request_in_git(model, platform, name)
    old = found.text if found is not None else ""
    path = _git_path(model, name, platform)
    new = edited_text(found, result.request)
    if old == new:
        return ""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}", n=2
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def catalogue_of(source: Source) -> Catalogue:
    """The platform's installed Promises (``Source.promises``) as a Catalogue (what ``preview`` renders with)."""
    return Catalogue({p.name: p for p in source.promises()})


__all__ = [
    "BOOLEAN",
    "ENUM",
    "INTEGER",
    "INT_OR_STR",
    "LIST",
    "MAP",
    "NUMBER",
    "STRING",
    "UNSET",
    "YAML",
    "Built",
    "FormError",
    "FormField",
    "FormInvalid",
    "FormModel",
    "FormResult",
    "FormSection",
    "Preview",
    "PreviewObject",
    "Problem",
    "Submitted",
    "build_request",
    "catalogue_of",
    "convert",
    "form_for",
    "format_value",
    "gitops_path",
    "in_use",
    "is_empty",
    "preview",
    "submit",
    "validate",
    "values_from_request",
]
