"""explain: what ``kubectl explain`` shows, as data."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from kratix_lab.schema.crd import CRD, CRDError
from kratix_lab.schema.engine import (
    EMBEDDED,
    INT_OR_STRING,
    PRESERVE,
    Schema,
    go_quote,
)

_TYPE_NAME = "x-kratix-lab-type-name"  # marks the synthetic ObjectMeta node below

_API_CONVENTIONS = "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md"
_STANDARD_ROOT: dict[str, Schema] = {
    "apiVersion": {
        "type": "string",
        "description": "APIVersion defines the versioned schema of this representation of an object. Servers "
        "should convert recognized schemas to the latest internal value, and may reject unrecognized values. "
        f"More info: {_API_CONVENTIONS}#resources",
    },
    "kind": {
        "type": "string",
        "description": "Kind is a string value representing the REST resource this object represents. Servers "
        "may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. "
        f"More info: {_API_CONVENTIONS}#types-kinds",
    },
    "metadata": {
        "type": "object",
        _TYPE_NAME: "ObjectMeta",
        "description": f"Standard object's metadata. More info: {_API_CONVENTIONS}#metadata",
        "properties": {
            "name": {"type": "string", "description": "Name must be unique within a namespace."},
            "generateName": {
                "type": "string",
                "description": "GenerateName is an optional prefix, used by the server, to generate a unique "
                "name ONLY IF the Name field has not been provided.",
            },
            "namespace": {
                "type": "string",
                "description": "Namespace defines the space within which each name must be unique.",
            },
            "labels": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Map of string keys and values that can be used to organize and categorize "
                "(scope and select) objects.",
            },
            "annotations": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Annotations is an unstructured key value map stored with a resource that may be "
                "set by external tools to store and retrieve arbitrary metadata.",
            },
            "finalizers": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Must be empty before the object is deleted from the registry.",
            },
            "ownerReferences": {
                "type": "array",
                "items": {"type": "object"},
                "description": "List of objects depended by this object.",
            },
            "uid": {"type": "string", "description": "UID is the unique in time and space value for this object."},
            "resourceVersion": {
                "type": "string",
                "description": "An opaque value that represents the internal version of this object.",
            },
            "generation": {
                "type": "integer",
                "description": "A sequence number representing a specific generation of the desired state.",
            },
            "creationTimestamp": {
                "type": "string",
                "description": "CreationTimestamp is a timestamp representing the server time when this object "
                "was created.",
            },
            "deletionTimestamp": {
                "type": "string",
                "description": "DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted.",
            },
            "deletionGracePeriodSeconds": {
                "type": "integer",
                "description": "Number of seconds allowed for this object to gracefully terminate before it will "
                "be removed from the system.",
            },
            "managedFields": {
                "type": "array",
                "items": {"type": "object"},
                "description": "ManagedFields maps workflow-id and version to the set of fields that are managed "
                "by that workflow.",
            },
            "selfLink": {"type": "string", "description": "Deprecated: selfLink is a legacy read-only field."},
        },
    },
}


def _summary(description: str) -> str:
    """The first sentence (or line) of a description."""
    text = description.strip().split("\n\n")[0].replace("\n", " ").strip()
    for i, ch in enumerate(text):
        if ch == "." and (i + 1 == len(text) or text[i + 1] == " "):
            return text[: i + 1]
    return text


def type_name(s: Schema) -> str:
    """The type as kubectl explain prints it: string, []Object, map[string]string, IntOrString."""
    if isinstance(s.get(_TYPE_NAME), str):
        return s[_TYPE_NAME]
    if s.get(INT_OR_STRING) is True:
        return "IntOrString"
    t = s.get("type")
    if t == "array":
        items = s.get("items")
        return "[]" + (type_name(items) if isinstance(items, dict) else "")
    additional = s.get("additionalProperties")
    if t == "object" or (not t and (s.get("properties") or additional or s.get(PRESERVE) or s.get(EMBEDDED))):
        if isinstance(additional, dict) and not s.get("properties"):
            return "map[string]" + type_name(additional)
        return "Object"
    return t if isinstance(t, str) else ""


@dataclass(frozen=True)
class ExplainField:
    """One child field of an explained node."""

    name: str
    type: str
    required: bool = False
    description: str = ""
    default: Any = None
    enum: tuple[Any, ...] | None = None

    @property
    def summary(self) -> str:
        return _summary(self.description)


@dataclass(frozen=True)
class ExplainNode:
    """A field of a CRD's schema with its constraints and children, like ``kubectl explain``."""

    group: str
    version: str
    kind: str
    path: str  # "" for the root, else "spec.vcluster"
    name: str
    type: str
    description: str = ""
    required: bool = False
    default: Any = None
    enum: tuple[Any, ...] | None = None
    pattern: str | None = None
    format: str | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    min_length: int | None = None
    max_length: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    min_properties: int | None = None
    max_properties: int | None = None
    nullable: bool = False
    preserve_unknown_fields: bool = False
    fields: tuple[ExplainField, ...] = ()

    @property
    def summary(self) -> str:
        return _summary(self.description)


def _properties_of(s: Schema) -> tuple[dict[str, Schema], list[str]]:
    """Properties and required names of a node, looking through arrays to their items."""
    while s.get("type") == "array" and isinstance(s.get("items"), dict):
        s = s["items"]
    props = s.get("properties")
    required = s.get("required")
    return (props if isinstance(props, dict) else {}), (required if isinstance(required, list) else [])


def _root_properties(schema: Schema) -> dict[str, Schema]:
    """The root's fields as the API server publishes them: ``metadata`` is always ObjectMeta, whatever the CRD
    restricts of ``metadata.name``/``generateName`` (those restrictions are enforced at admission only;
    apiextensions-apiserver pkg/controller/openapi/builder/builder.go buildKubeNative sets the root's metadata to an
    ObjectMeta reference)."""
    props = dict(_properties_of(schema)[0])
    for k, standard in _STANDARD_ROOT.items():
        declared = props.get(k)
        if not isinstance(declared, dict) or k == "metadata":
            props[k] = standard
    return props


def explain(crd: CRD, version: str | None, field_path: str = "") -> ExplainNode:
    """Describe ``field_path`` (``"spec.vcluster"``; ``""`` is the root) of ``version`` (None: storage).

    The path may start with the resource name as kubectl's does (``vcluster.spec``); arrays are
    looked through to their items. An unknown field is a CRDError ``field "spec.foo" does not exist``.
    """
    version = version or crd.storage_version
    schema = crd.version(version).schema
    segments = [s.removesuffix("[]").removesuffix("[*]") for s in field_path.strip().strip(".").split(".") if s]
    root_props = _root_properties(schema)
    names = {crd.kind.lower(), crd.plural, crd.singular, *crd.short_names}
    if segments and segments[0].lower() in names and segments[0] not in root_props:
        segments = segments[1:]

    node, required, walked = schema, False, []
    for seg in segments:
        props, req = (root_props, _properties_of(schema)[1]) if not walked else _properties_of(node)
        if seg not in props:
            close = difflib.get_close_matches(seg, [k for k in props if isinstance(k, str)], n=1, cutoff=0.6)
            hint = f" (did you mean {go_quote('.'.join([*walked, close[0]]))}?)" if close else ""
            raise CRDError(crd.source, "", f"field {go_quote('.'.join([*walked, seg]))} does not exist{hint}")
        node, required = props[seg], seg in req
        walked.append(seg)

    if walked:
        child_props, child_required = _properties_of(node)
    else:
        child_props, child_required = root_props, _properties_of(schema)[1]
    fields = tuple(
        ExplainField(
            name=k,
            type=type_name(sub),
            required=k in child_required,
            description=str(sub.get("description") or ""),
            default=sub.get("default"),
            enum=tuple(sub["enum"]) if isinstance(sub.get("enum"), list) else None,
        )
        for k, sub in sorted(child_props.items())
        if isinstance(sub, dict)
    )

    def num(key: str) -> Any:
        v = node.get(key)
        return v if isinstance(v, int | float) and not isinstance(v, bool) else None

    return ExplainNode(
        group=crd.group,
        version=version,
        kind=crd.kind,
        path=".".join(walked),
        name=walked[-1] if walked else crd.kind,
        type=type_name(node) or ("Object" if not walked else ""),
        # the root: its own description, else the spec's (a Promise's CRD says what a request is there; kubectl
        # would print <empty>, which tells the reader nothing about the kind: issue 17 item 8)
        description=str(
            node.get("description") or (not walked and (root_props.get("spec") or {}).get("description")) or ""
        ),
        required=required,
        default=node.get("default"),
        enum=tuple(node["enum"]) if isinstance(node.get("enum"), list) else None,
        pattern=node.get("pattern") if isinstance(node.get("pattern"), str) else None,
        format=node.get("format") if isinstance(node.get("format"), str) else None,
        minimum=num("minimum"),
        maximum=num("maximum"),
        exclusive_minimum=node.get("exclusiveMinimum") is True,
        exclusive_maximum=node.get("exclusiveMaximum") is True,
        min_length=num("minLength"),
        max_length=num("maxLength"),
        min_items=num("minItems"),
        max_items=num("maxItems"),
        min_properties=num("minProperties"),
        max_properties=num("maxProperties"),
        nullable=node.get("nullable") is True,
        preserve_unknown_fields=node.get(PRESERVE) is True,
        fields=fields,
    )
