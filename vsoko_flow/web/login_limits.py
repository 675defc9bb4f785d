"""How many sign-in attempts are allowed, and to whom.

- Per address: 20 a minute. Per login: 5 a minute — but an attacker who guesses at a login must
  not lock its owner out: a browser where the person signed in before carries a signed «known
  device» cookie, and its attempts count in a bucket of their own. So the right password from a
  known device still works while the login is locked for everyone else.
- The counts live in the store of `VSOKO_RATELIMIT_STORAGE_URI`. The default `memory://` counts
  in each worker process separately: with 4 gunicorn workers «5 a minute» becomes 20. Several
  workers need a shared store (Redis, README «Deployment»); gunicorn.conf.py warns loudly at
  start-up when they do not have one.
"""
from __future__ import annotations

import secrets

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

DEVICE_COOKIE = "vsoko_device"
DEVICE_MAX_AGE = 180 * 24 * 3600
ADDRESS_LIMIT = "20 per minute"
LOGIN_LIMIT = "5 per minute"


def attempted_login() -> str:
    return (request.form.get("login") or "").strip().lower() or "-"


def login_bucket() -> str:
    """The per-login bucket of this attempt: the login's own, or that of a device it signed in on."""
    login = attempted_login()
    device = _known_device(login)
    return f"device:{device}" if device else f"login:{login}"


def remember_device(response: Response, login: str) -> Response:
    """After a successful sign-in: mark this browser as a known device of `login`."""
    nonce = _known_device(login.lower()) or secrets.token_urlsafe(16)
    response.set_cookie(DEVICE_COOKIE, _serializer().dumps({"login": login.lower(), "device": nonce}),
                        max_age=DEVICE_MAX_AGE, httponly=True, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


def _known_device(login: str) -> str | None:
    token = request.cookies.get(DEVICE_COOKIE)
    if not token:
        return None
    try:
        data = _serializer().loads(token, max_age=DEVICE_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("login") != login or not isinstance(data.get("device"), str):
        return None
    return data["device"]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="vsoko-known-device")


def shared_store_warning(storage_uri: str, workers: int) -> str | None:
    """The start-up warning when several workers would each count sign-in attempts on their own."""
    if workers <= 1 or not storage_uri.startswith("memory://"):
        return None
    line = "!" * 78
    return (f"\n{line}\nВНИМАНИЕ: {workers} рабочих процесса(ов) gunicorn, а ограничение попыток входа хранится в памяти "
            f"каждого процесса (VSOKO_RATELIMIT_STORAGE_URI={storage_uri}): «{LOGIN_LIMIT}» на логин "
            f"фактически становится в {workers} раз(а) больше.\nУкажите общее хранилище, например "
            f"VSOKO_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0 (README, «Deployment»).\n{line}")
