"""The one error hierarchy of kratix-lab.

Every error the lab, the CLI and the front ends raise on purpose derives from ``KratixLabError``;
anything else reaching the CLI is a bug (exit 70 with a traceback hint). The classes follow the
API server's ``Status`` reasons (``k8s.io/apimachinery/pkg/apis/meta/v1/types.go``, ``StatusReason``):
``NotFound``, ``Invalid`` (with ``details.causes``), ``Conflict``/``AlreadyExists``, ``Forbidden``,
``ServiceUnavailable``. ``exit_code`` is what the CLI returns for each class:
0 ok, 1 refused/findings, 2 usage, not found, cannot run (see ``kratix_lab.cli.main``).

Existing classes across the package are rebased onto these (``store.NotFound`` is a ``NotFound``,
``catalogue.UnknownKind`` an ``UnknownKind`` …) and keep their builtin bases (``LookupError``,
``ValueError``) so ``except`` clauses written against those keep working.

This module imports nothing from kratix_lab: any layer may raise these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_BUG = 0, 1, 2, 70


@dataclass(frozen=True)
class Cause:
    """One entry of a Status's ``details.causes``: ``reason`` (e.g. ``FieldValueRequired``), message, field."""

    reason: str
    message: str
    field: str = ""

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message

    def to_dict(self) -> dict[str, str]:
        out = {"reason": self.reason, "message": self.message}
        if self.field:
            out["field"] = self.field
        return out


class KratixLabError(Exception):
    """Base of every deliberate kratix-lab error; the message says what failed and why."""

    reason: ClassVar[str] = "InternalError"  # the Status reason a Kubernetes API would answer with
    code: ClassVar[int] = 500  # the HTTP status code of that reason
    exit_code: ClassVar[int] = EXIT_ERROR


class UsageError(KratixLabError):
    """The command line or the input was not understood (exit 2)."""

    reason = "BadRequest"
    code = 400


class NotFound(KratixLabError, LookupError):
    """The named object, file, fault or Promise does not exist."""

    reason = "NotFound"
    code = 404


class UnknownKind(NotFound):
    """No resource type by that name is served (kubectl: ``the server doesn't have a resource type``)."""


class Invalid(KratixLabError, ValueError):
    """The input is not acceptable; ``causes`` name the fields, like the API server's ``details.causes``."""

    reason = "Invalid"
    code = 422

    def __init__(self, message: str = "", *args: object, causes: tuple[Cause, ...] | list[Cause] = ()) -> None:
        super().__init__(message, *args)
        self.causes: tuple[Cause, ...] = tuple(causes)


class Conflict(KratixLabError):
    """The write lost a race (stale resourceVersion) or contradicts the current state."""

    reason = "Conflict"
    code = 409
    exit_code = EXIT_FINDINGS


class AlreadyExists(Conflict):
    reason = "AlreadyExists"


class Refused(KratixLabError):
    """The platform refused the operation (admission, a policy): the user's input, not a bug (exit 1)."""

    reason = "Forbidden"
    code = 403
    exit_code = EXIT_FINDINGS


class Forbidden(Refused):
    """Not allowed for this identity (RBAC), or a write in read-only mode."""


class Unavailable(KratixLabError):
    """The platform cannot be reached or read (a damaged lab, an unreachable cluster, a missing tool)."""

    reason = "ServiceUnavailable"
    code = 503


__all__ = [
    "EXIT_BUG",
    "EXIT_ERROR",
    "EXIT_FINDINGS",
    "EXIT_OK",
    "AlreadyExists",
    "Cause",
    "Conflict",
    "Forbidden",
    "Invalid",
    "KratixLabError",
    "NotFound",
    "Refused",
    "Unavailable",
    "UnknownKind",
    "UsageError",
]
