"""CRD structural schemas that behave like the Kubernetes API server on create.

``CRD.admit`` prunes, defaults and validates a custom resource exactly as apiextensions-apiserver
would, with the server's own error wording; ``explain`` is ``kubectl explain`` as data;
``crd_from_promise`` gives the CRD Kratix installs for a Promise.
"""

from kratix_lab.schema.crd import (
    CRD,
    Admission,
    CRDError,
    CRDVersion,
    ExplainField,
    ExplainNode,
    crd_from_promise,
    explain,
)
from kratix_lab.schema.engine import FieldError, default, prune, prune_nulls, validate

__all__ = [
    "CRD",
    "Admission",
    "CRDError",
    "CRDVersion",
    "ExplainField",
    "ExplainNode",
    "FieldError",
    "crd_from_promise",
    "default",
    "explain",
    "prune",
    "prune_nulls",
    "validate",
]
