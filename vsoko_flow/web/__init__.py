"""The web application: server-rendered Russian pages and the JSON API, over `services`."""
from __future__ import annotations

import datetime as dt
import os

from flask import Flask, current_app, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from ..safe_text import CONTROL_MESSAGE, has_control_characters, without_invisible
from ..services.errors import ServiceError
from ..services.runtime import Runtime, settle_process
from .extensions import csrf, limiter, login_manager
from .logging_setup import configure_logging
from .session import abort_for

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                           "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def create_app(runtime: Runtime | None = None, config: dict | None = None) -> Flask:
    app = Flask(__name__)
    rt = runtime or Runtime.create()
    app.extensions["vsoko_runtime"] = rt
    app.config.update(_default_config(rt))
    app.config.update(config or {})
    # API bodies in readable UTF-8 («Документ не найден», not «\u0414\u043e…»); JSON is UTF-8 by RFC 8259.
    app.json.ensure_ascii = False
    configure_logging(app)
    _init_extensions(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    app.before_request(_clean_form_input)
    app.after_request(_security_headers)
    app.context_processor(_template_globals)
    if os.environ.get("VSOKO_BEHIND_PROXY") == "1":
        # Behind nginx: trust one proxy for the client address (rate limits) and the scheme (HSTS).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    return app


def prepare_worker(app: Flask) -> None:
    """Make a server process ready before its first request (gunicorn's `post_worker_init`, `vsoko serve`).

    The workflow definitions and the page templates are read and compiled now, not by the first
    person who opens a page (about a second). Then everything loaded so far — ~250 000 objects of
    libraries, definitions and templates that live as long as the process — is moved out of the
    cyclic collector's view (`gc.freeze`): otherwise each full collection walks all of them again
    (~110 ms, every few big pages, measured on a 2 000-row plan by benchmarks/scale.py)."""
    app.extensions["vsoko_runtime"].definitions  # noqa: B018 - a cached property: loaded here
    for name in app.jinja_env.list_templates(extensions=("html",)):
        app.jinja_env.get_template(name)
    settle_process()


def _default_config(rt: Runtime) -> dict:
    secure = rt.settings.base_url.startswith("https://")
    return {
        "SECRET_KEY": rt.settings.secret_key,
        "MAX_CONTENT_LENGTH": MAX_UPLOAD_BYTES,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_DURATION": dt.timedelta(days=14),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        "PERMANENT_SESSION_LIFETIME": dt.timedelta(hours=12),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "RATELIMIT_STORAGE_URI": os.environ.get("VSOKO_RATELIMIT_STORAGE_URI", "memory://"),
        # Redis away: count in memory meanwhile rather than refuse every sign-in with a 500.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_HEADERS_ENABLED": False,
    }


def _init_extensions(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Войдите, чтобы продолжить."
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    limiter.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from . import (  # noqa: F401 - api_quality registers its operations on api's blueprint
        acting, admin, api, api_monitoring, api_quality, artefacts, auth, calendar, documents, jobs, monitoring, plans,
        quality, signatures, tasks, tokens, verify,
    )

    for module in (auth, tasks, artefacts, documents, admin, tokens, verify, plans, calendar, quality, jobs, signatures,
                   acting, monitoring):
        app.register_blueprint(module.bp)
    csrf.exempt(api.bp)  # token-authenticated, no cookies
    app.register_blueprint(api.bp, url_prefix="/api/v1")

    @app.get("/favicon.ico")
    def favicon():
        # Browsers ask for /favicon.ico on pages without <head> (downloads, JSON): the same icon.
        return redirect(url_for("static", filename="favicon.svg"), 301)

    @app.get("/healthz")
    def healthz():
        try:
            with app.extensions["vsoko_runtime"].sessions() as session:
                session.execute(select(1))
        except SQLAlchemyError as exc:
            app.logger.warning("health check: the database does not answer", extra={"error": str(exc)[:300]})
            return jsonify(status="unavailable", message="База данных не отвечает"), 503
        return jsonify(status="ok")


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _register_error_handlers(app: Flask) -> None:
    from .api import api_error

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return _error_page(400, "Форма устарела или отправлена не со страницы системы. Обновите страницу и повторите.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if _wants_json():
            return api_error(error.code or 500, _russian_message(error), getattr(g, "service_error", None))
        return _error_page(error.code or 500, _russian_message(error))

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("unhandled error")
        message = "Внутренняя ошибка сервера. Действие не выполнено, данные не изменены."
        return api_error(500, message, None) if _wants_json() else _error_page(500, message)


_DEFAULT_MESSAGES = {
    400: "Неверный запрос.",
    401: "Нужно войти в систему.",
    403: "Недостаточно прав для этого действия.",
    404: "Страница не найдена.",
    405: "Этот метод запроса не поддерживается.",
    409: "Конфликт: документ уже изменён.",
    413: "Файл слишком большой: не более 10 МБ.",
    422: "Данные не прошли проверку.",
    429: "Слишком много запросов: подождите немного.",
}


def _russian_message(error: HTTPException) -> str:
    description = error.description or ""
    # Werkzeug's own English descriptions are replaced; our aborts carry Russian text.
    if description and any("а" <= ch.lower() <= "я" for ch in description):
        return description
    return _DEFAULT_MESSAGES.get(error.code or 500, "Ошибка.")


def _error_page(status: int, message: str):
    return render_template("error.html", status=status, message=message), status


# Form fields whose value is compared as typed, never shown: left exactly as sent.
_SECRET_FIELDS = frozenset({"password", "current", "new", "repeat", "csrf_token"})


def _clean_form_input() -> None:
    """Every form and query string: control characters refused with a Russian 400 page (a NUL
    reached PostgreSQL as a 500), invisible bidi and zero-width characters removed from what
    people typed and from uploaded file names. The JSON API checks its own models (web/api.py)."""
    named = [*request.args.items(multi=True), *request.form.items(multi=True),
             *((name, upload.filename or "") for name, upload in request.files.items(multi=True))]
    refused = sorted({name for name, value in named if has_control_characters(value)})
    if refused:
        # The API's errors name the fields, as its own validation does.
        abort_for(ServiceError(CONTROL_MESSAGE, {"fields": {name: "недопустимые управляющие символы"
                                                            for name in refused}}))
    if request.form:
        request.form = type(request.form)(
            (key, value if key in _SECRET_FIELDS else without_invisible(value))
            for key, value in request.form.items(multi=True))
    for upload in request.files.values():
        upload.filename = without_invisible(upload.filename or "")


def _security_headers(response):
    if not request.path.startswith("/static/"):
        # Signed-in pages and API answers hold a school's data: no browser or proxy keeps a copy.
        response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def _template_globals() -> dict:
    from .session import current_organisation_id

    organisation_id = None
    if current_user.is_authenticated and current_user.organisations:
        organisation_id = current_organisation_id()
    return {"current_organisation_id": organisation_id,
            "url_map_endpoints": {rule.endpoint for rule in current_app.url_map.iter_rules()}}
