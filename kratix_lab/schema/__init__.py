"""CRD structural schemas that behave like the Kubernetes API server on create.

``CRD.admit`` prunes, defaults and validates a custom resource exactly as apiextensions-apiserver
would, with the server's own error wording; ``explain`` is ``kubectl explain`` as data;
``crd_from_promise`` gives the CRD Kratix installs for a Promise.

Modules: ``crd`` (CRD, admission) with ``crd_loader`` (reading and checking a CRD document),
``explain``, ``builtin`` (the built-in kinds' metadata rules) and the ``engine`` package (prune,
default, validate, CEL, ObjectMeta rules).
"""

from kratix_lab.schema.crd import CRD, Admission, CRDError, CRDVersion, crd_from_promise
from kratix_lab.schema.engine import FieldError, default, prune, prune_nulls, validate
from kratix_lab.schema.explain import ExplainField, ExplainNode, explain

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
