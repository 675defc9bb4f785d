"""The public verification page behind the QR code of every document (no login)."""
from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

from flask import Blueprint, make_response, render_template, request

from ..documents.russian import date_words
from ..services.verification import AUTHENTIC, HASH_REQUIRED, NOT_FOUND, normalise_public_id, verify_document
from .extensions import limiter
from .session import runtime

bp = Blueprint("verify", __name__, url_prefix="/verify")

# One budget per address for both views: enough for people, not for enumeration.
_rate_limit = limiter.shared_limit("60 per minute", scope="verify",
                                   error_message="Слишком много проверок с этого адреса: подождите минуту")


@bp.get("/")
@_rate_limit
def index():
    """The form: a document id (or the whole QR link) and a SHA-256; empty → just the form."""
    raw_id = (request.args.get("id") or "").strip()
    presented = (request.args.get("h") or "").strip()
    if not raw_id:
        return _page(None, "", presented)
    public_id, presented = _split_link(raw_id, presented)
    return _check(public_id, presented)


@bp.get("/<path:public_id>")
@_rate_limit
def check(public_id: str):
    return _check(public_id, (request.args.get("h") or "").strip())


def _check(public_id: str, presented: str):
    answer = verify_document(runtime(), public_id, presented)
    status = 404 if answer["result"] == NOT_FOUND else 200
    # After an answer the form is for the next check; after a refusal or an id alone, the id stays.
    shown_id = "" if answer["authentic"] else (normalise_public_id(public_id) or "")
    return _page(answer, shown_id, ""), status


def _split_link(value: str, presented: str) -> tuple[str, str]:
    """Accept the whole link from the QR code pasted into the id field."""
    if "/verify/" not in value:
        return value, presented
    parts = urlsplit(value)
    public_id = parts.path.rstrip("/").rsplit("/", 1)[-1]
    if not presented:
        presented = (parse_qs(parts.query).get("h") or [""])[0]
    return public_id, presented


def _page(answer: dict | None, public_id: str, presented: str):
    document = dict(answer["document"]) if answer and answer["document"] else None
    if document:
        for key in ("registration_date", "created_date"):
            document[key + "_text"] = date_words(dt.date.fromisoformat(document[key])) if document[key] else ""
    response = make_response(render_template(
        "verify.html", answer=answer, document=document, public_id=public_id, presented=presented,
        AUTHENTIC=AUTHENTIC, HASH_REQUIRED=HASH_REQUIRED, NOT_FOUND=NOT_FOUND))
    # The act's state changes (a new edition supersedes it): never serve a stale answer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
