"""Signing a document: the page of one signature (simple — the password again; qualified — the .sig
file; or declining), and the copy of a document to print, with the marks of its signatures."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..documents.gost_cms import MAX_CMS_BYTES
from ..services import signatures as signature_service
from ..services.errors import Conflict, ServiceError, Unprocessable
from .documents import DOCX_MIMETYPE
from .extensions import limiter
from .session import abort_for, runtime, send_download

bp = Blueprint("signatures", __name__)

# Re-entering a password is a login: the same brute-force budget, per person.
PASSWORD_ATTEMPTS = "5 per minute"


def _signature(signature_id: int) -> dict:
    try:
        return signature_service.signature_for(runtime(), signature_id, current_user.id)
    except ServiceError as error:
        abort_for(error)


def _page(signature_id: int, status: int = 200, error: str | None = None, form: str | None = None):
    signature = _signature(signature_id)
    return render_template("signature.html", signature=signature, error=error, failed_form=form,
                           max_sig_kb=MAX_CMS_BYTES // 1024), status


@bp.get("/signatures/<int:signature_id>")
@login_required
def show(signature_id: int):
    return _page(signature_id)


def _signed(signature_id: int, call, form: str, *args):
    """Run a signing use case; a refusal stays on the page with its Russian message, nothing stored."""
    try:
        result = call(runtime(), signature_id, current_user.id, *args)
    except (Unprocessable, Conflict) as error:
        return _page(signature_id, error.status, error.message, form)
    except ServiceError as error:
        abort_for(error)
    if result["state"] == signature_service.SIGNED:
        flash(f"Документ «{result['document']['title']}» подписан: {result['kind_label']}.", "success")
    else:
        flash(f"Вы отказались подписать «{result['document']['title']}».", "info")
    return redirect(url_for("artefacts.show", artefact_id=result["artefact_id"], _anchor="docs-heading"))


def _user_key() -> str:
    return f"sign:{current_user.id}"


@bp.post("/signatures/<int:signature_id>/simple")
@login_required
def sign_simple(signature_id: int):
    with limiter.limit(PASSWORD_ATTEMPTS, key_func=_user_key, scope="sign_password",
                       error_message="Слишком много попыток ввести пароль: подождите минуту"):
        return _signed(signature_id, signature_service.sign_simple, "simple", request.form.get("password", ""))


@bp.post("/signatures/<int:signature_id>/qualified")
@login_required
def sign_qualified(signature_id: int):
    upload = request.files.get("file")
    data = upload.read(MAX_CMS_BYTES + 1) if upload is not None else b""
    if not data:
        return _page(signature_id, 422, "Выберите файл подписи (.sig), сделанный вашей программой для КЭП", "qualified")
    return _signed(signature_id, signature_service.sign_qualified, "qualified", data)


@bp.post("/signatures/<int:signature_id>/decline")
@login_required
def decline(signature_id: int):
    return _signed(signature_id, signature_service.decline, "decline", request.form.get("reason", ""))


@bp.get("/documents/<int:document_id>/print")
@login_required
def print_copy(document_id: int):
    """The .docx «для печати»: the stored document with the marks of the signatures made."""
    try:
        file_name, data = signature_service.print_copy(runtime(), document_id, current_user.id)
    except ServiceError as error:
        abort_for(error)
    return send_download(data, file_name, DOCX_MIMETYPE, f"document-{document_id}-print")
