"""Field errors as apimachinery renders them, and the fields a resource root always keeps.

``FieldError`` is ``field.Error`` of k8s.io/apimachinery/pkg/util/validation/field: its ``str`` is
``field.Error.Error()`` word for word. ``META_FIELDS`` and ``OBJECT_META_FIELDS`` are shared by
pruning and the ObjectMeta rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kratix_lab.schema.engine.goformat import render_value

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
