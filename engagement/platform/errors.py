"""The one base class for domain errors.

Services raise a subclass; the API maps it once
(``engagement.platform.api_conventions.exception_handler``)
to the documented error shape, and forms/admin show ``message`` (already translated) to staff.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the domain was broken; ``message`` is safe to show to the user."""

    code = "domain_error"
    status_code = 400

    def __init__(
        self, message: Any, *, code: str | None = None, fields: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(str(message))
        self.message = str(message)
        if code:
            self.code = code
        self.fields = fields or {}


class NotFound(DomainError):
    code = "not_found"
    status_code = 404


class Conflict(DomainError):
    code = "conflict"
    status_code = 409


class InvalidInput(DomainError):
    code = "invalid"
    status_code = 400
