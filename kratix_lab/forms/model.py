"""The form model: the fields and sections a Promise's API gives a request form (``form_for``), and the
vocabulary of how each field is entered."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from kratix_lab.errors import Invalid
from kratix_lab.model import dump
from kratix_lab.promise import Promise
from kratix_lab.render import DEFAULT_NAMESPACE
from kratix_lab.schema import CRD, explain
from kratix_lab.schema.engine import INT_OR_STRING
from kratix_lab.views.explain_view import constraints as constraint_lines

if TYPE_CHECKING:
    from kratix_lab.forms.checks import FormResult


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


# How a value is shown in a field's input (the placeholder's default; ``conversion.values_from_request``)


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
