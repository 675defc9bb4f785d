"""JSON API under /api/v1 (token auth). Filled in by the API work; errors are JSON everywhere."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

bp = Blueprint("api", __name__)

_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          409: "conflict", 413: "too_large", 422: "unprocessable", 429: "too_many_requests", 500: "internal"}


def api_error(status: int, message: str, service_error: Any = None):
    """The one JSON error shape: {"error": code, "message": Russian text, "details": …}."""
    code = getattr(service_error, "code", None) or _CODES.get(status, "error")
    details = getattr(service_error, "details", None)
    return jsonify(error=code, message=message, details=details), status
