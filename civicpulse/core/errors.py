"""Domain errors: one shape ({code, message, detail}) for the API, pages and CLI alike.

`code` is stable and machine-readable; `message` is translated for the person reading it.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status = 400
    default_code = "invalid"

    def __init__(self, message: Any, *, code: str | None = None, detail: Any = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code or self.default_code
        self.detail = detail

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self.message), "detail": self.detail}


class ValidationFailed(DomainError):
    status = 422
    default_code = "validation_failed"


class NotFound(DomainError):
    """Raised for missing and forbidden objects alike, so ids cannot be probed."""

    status = 404
    default_code = "not_found"

    def __init__(self, message: Any = None, **kwargs: Any) -> None:
        super().__init__(message or _("Not found."), **kwargs)


class Forbidden(DomainError):
    """For actions on objects the user may see but not change (e.g. approving one's own draft)."""

    status = 403
    default_code = "forbidden"


class Conflict(DomainError):
    status = 409
    default_code = "conflict"
