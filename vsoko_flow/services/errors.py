"""Errors of use cases. Each carries a Russian message for people and an HTTP-like status."""
from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: Any = None):
        super().__init__(message)
        self.message = message
        self.details = details

    def __reduce__(self):
        # Keeps the details when the error crosses a process boundary (documents/sandbox.py).
        return type(self), (self.message, self.details)


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    """A stale version, or a transition that is not available from the current state."""

    status = 409
    code = "conflict"


class Unprocessable(ServiceError):
    """Missing or malformed fields, or a failed rule."""

    status = 422
    code = "unprocessable"
