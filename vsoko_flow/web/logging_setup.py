"""Structured logs: one JSON object per line (for journald, Loki or a plain file)."""
from __future__ import annotations

import json
import logging
import time

from flask import Flask, g, has_request_context, request
from flask_login import current_user


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context():
            data["method"] = request.method
            data["path"] = request.path
            if current_user and getattr(current_user, "is_authenticated", False):
                data["user"] = current_user.login
        for key in ("status", "duration_ms"):
            if hasattr(record, key):
                data[key] = getattr(record, key)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def configure_logging(app: Flask) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    app.logger.handlers = [handler]
    app.logger.setLevel(logging.INFO)
    app.logger.propagate = False
    request_log = logging.getLogger("vsoko.requests")
    request_log.handlers = [handler]
    request_log.setLevel(logging.INFO)
    request_log.propagate = False

    @app.before_request
    def _start_timer():
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        started = g.get("request_started")
        if started is not None and not request.path.startswith("/static/"):
            request_log.info("request", extra={"status": response.status_code,
                                               "duration_ms": round((time.perf_counter() - started) * 1000, 1)})
        return response
