"""Downloading, previewing and (when LibreOffice is installed) PDF of stored documents."""
from __future__ import annotations


from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..services import tasks as task_service
from ..services.errors import ServiceError
from ..services.job_kinds import cached_document_pdf, request_document_pdf
from .session import abort_for, runtime, send_download

bp = Blueprint("documents", __name__, url_prefix="/documents")

# Characters RFC 5987 lets stand unencoded in filename*=, besides letters and digits.
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _document(document_id: int, with_content: bool = False) -> task_service.DocumentFile:
    try:
        return task_service.document_for(runtime(), document_id, current_user.id, with_content=with_content)
    except ServiceError as error:
        abort_for(error)


def _send(data: bytes, file_name: str, mimetype: str, document_id: int):
    return send_download(data, file_name, mimetype, f"document-{document_id}")


@bp.get("/<int:document_id>/download")
@login_required
def download(document_id: int):
    document = _document(document_id, with_content=True)
    return _send(document.content, document.file_name, DOCX_MIMETYPE, document.id)


@bp.get("/<int:document_id>/preview")
@login_required
def preview(document_id: int):
    document = _document(document_id, with_content=True)
    try:
        blocks = task_service.document_blocks(document.content)
    except Exception:  # noqa: BLE001 - a stored file python-docx cannot read is still downloadable
        blocks = None
    return render_template("document_preview.html", document=document, blocks=blocks,
                           pdf=pdf_functions() is not None)


def pdf_functions():
    """(pdf_available, document_pdf) from services.pdf, or None when PDF is not possible here."""
    try:
        from ..services.pdf import document_pdf, pdf_available
    except ImportError:
        return None
    try:
        return (pdf_available, document_pdf) if pdf_available() else None
    except Exception:  # noqa: BLE001 - a broken converter means no PDF, not a broken page
        return None


@bp.get("/<int:document_id>/pdf")
@login_required
def pdf(document_id: int):
    """The PDF when it is made; otherwise a job makes it and its page shows the progress: the
    conversion never runs inside a web request."""
    document = _document(document_id)  # the organisation check comes first
    if pdf_functions() is None:
        abort(404, "PDF недоступен: на сервере не установлен LibreOffice")
    try:
        made = cached_document_pdf(runtime(), document.id, current_user.id)
        if made is None:
            job_id = request_document_pdf(runtime(), document.id, current_user.id)
            return redirect(url_for("jobs.show", job_id=job_id))
    except ServiceError as error:
        abort_for(error)
    file_name, data = made
    return _send(data, file_name, "application/pdf", document.id)
