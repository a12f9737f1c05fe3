"""The API server's ``Status`` error objects (``k8s.io/apimachinery/pkg/apis/meta/v1/types.go``, ``Status``).

Every error the facade answers is one of these, so kubectl prints ``Error from server (<Reason>): <message>``
and the Python client raises ``ApiException`` with the body.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An HTTP error answered as a ``Status`` object."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            out["details"] = self.details
        return out


def not_found(resource: str, name: str, group: str = "") -> ApiError:
    qualified = f"{resource}.{group}" if group else resource
    return ApiError(
        404,
        "NotFound",
        f'{qualified} "{name}" not found',
        details={"name": name, "group": group, "kind": resource},
    )


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def not_modelled(what: str, code: int = 405) -> ApiError:
    reason = {404: "NotFound", 405: "MethodNotAllowed", 415: "UnsupportedMediaType"}.get(code, "BadRequest")
    return ApiError(code, reason, f"{what} is not modelled by kratix-lab serve")


def success(details: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    if details:
        out["details"] = details
    return out
