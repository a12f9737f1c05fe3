"""The structural-schema engine: prune, default and validate a custom resource like the API server.

The functions here mirror, one for one, the passes apiextensions-apiserver runs when a custom
resource is created (``pkg/apiserver/schema/pruning``, ``.../defaulting``, ``.../objectmeta``,
``.../listtype`` and kube-openapi's schema validator), so a Promise author sees here exactly what a
cluster would say. Messages are built with Go's formatting rules (``%q``, ``%v``, ``json.Marshal``)
because people paste them into searches: they must read like the real thing.

Schemas are plain dicts (the ``openAPIV3Schema`` of a CRD version); objects are plain JSON-like
dicts. Paths are written the way the API server writes them: ``spec.items[2].name``, map values as
``spec.labels.team``; the empty path is the object root.

Where each pass lives: ``prune``, ``defaulting``, ``validate`` (the OpenAPI checks, list types,
embedded resources) with ``cel`` (``x-kubernetes-validations``) and ``objectmeta`` (the ObjectMeta
types and apimachinery's name/label/annotation rules); what they share: ``fields`` (``FieldError``),
``nodes`` (schema nodes, JSON typing), ``goformat`` (Go's ``%q``/``%v``/``json.Marshal``),
``goregex`` (Go regexps on Python's re) and ``normalise`` (YAML input as the server decodes it).
This package re-exports their public names: ``from kratix_lab.schema.engine import validate``.
"""

from kratix_lab.schema.engine.cel import VALIDATIONS, compile_rule
from kratix_lab.schema.engine.defaulting import default
from kratix_lab.schema.engine.fields import (
    DUPLICATE,
    FORBIDDEN,
    INVALID,
    META_FIELDS,
    OBJECT_META_FIELDS,
    OMIT_VALUE,
    REQUIRED,
    TOO_LONG,
    TOO_MANY,
    UNSUPPORTED,
    FieldError,
)
from kratix_lab.schema.engine.goformat import go_float, go_json, go_number, go_quote, render_value
from kratix_lab.schema.engine.goregex import PatternError, compile_pattern
from kratix_lab.schema.engine.nodes import (
    EMBEDDED,
    INT_OR_STRING,
    LIST_MAP_KEYS,
    LIST_TYPE,
    PRESERVE,
    Schema,
    json_type,
)
from kratix_lab.schema.engine.normalise import to_json_like
from kratix_lab.schema.engine.objectmeta import (
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_qualified_name,
    is_valid_label_value,
    name_is_dns_subdomain,
    name_is_path_segment,
    object_meta_type_errors,
    validate_embedded_resource,
    validate_object_meta,
)
from kratix_lab.schema.engine.prune import prune, prune_nulls, prune_object_meta
from kratix_lab.schema.engine.validate import validate

__all__ = [
    "DUPLICATE",
    "EMBEDDED",
    "FORBIDDEN",
    "INT_OR_STRING",
    "INVALID",
    "LIST_MAP_KEYS",
    "LIST_TYPE",
    "META_FIELDS",
    "OBJECT_META_FIELDS",
    "OMIT_VALUE",
    "PRESERVE",
    "REQUIRED",
    "TOO_LONG",
    "TOO_MANY",
    "UNSUPPORTED",
    "VALIDATIONS",
    "FieldError",
    "PatternError",
    "Schema",
    "compile_pattern",
    "compile_rule",
    "default",
    "go_float",
    "go_json",
    "go_number",
    "go_quote",
    "is_dns1035_label",
    "is_dns1123_label",
    "is_dns1123_subdomain",
    "is_qualified_name",
    "is_valid_label_value",
    "json_type",
    "name_is_dns_subdomain",
    "name_is_path_segment",
    "object_meta_type_errors",
    "prune",
    "prune_nulls",
    "prune_object_meta",
    "render_value",
    "to_json_like",
    "validate",
    "validate_embedded_resource",
    "validate_object_meta",
]
