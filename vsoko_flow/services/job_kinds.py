"""The kinds of background job the product runs (see services/jobs.py for how a job runs).

- `pdf_copies` — PDF copies of stored documents that have none yet (a unit: one document's bytes,
  by their SHA-256; the same bytes have one PDF);
- `reminders` — the daily digest e-mail (a unit: one person; a person is written to once per job).
- the district monitoring's letters, справка and .xlsx — see services/monitoring_jobs.py.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import DocumentPdf, Job, JobUnit, StoredDocument
from .access import membership_in
from .errors import NotFound
from .jobs import JobHandler, job_handler, submit
from .runtime import Runtime

DEFAULT_PDF_LIMIT = 50


# --------------------------------------------------------------------------- PDF copies


def _documents_without_pdf(rt: Runtime, job: Job) -> list[str]:
    if job.params.get("document_id"):
        with rt.sessions() as session:
            document = session.get(StoredDocument, job.params["document_id"])
            return [document.sha256] if document is not None else []
    limit = int(job.params.get("limit") or DEFAULT_PDF_LIMIT)
    newest = func.max(StoredDocument.id)
    with rt.sessions() as session:
        query = (select(StoredDocument.sha256)
                 .where(~select(DocumentPdf.sha256).where(DocumentPdf.sha256 == StoredDocument.sha256).exists())
                 .group_by(StoredDocument.sha256).order_by(newest.desc()).limit(limit))
        return list(session.scalars(query))


def _convert(rt: Runtime, job: Job, sha256: str) -> bytes | None:
    from .pdf import convert_docx_to_pdf

    with rt.sessions() as session:
        if session.get(DocumentPdf, sha256) is not None:
            return None  # made meanwhile by a download
        docx = session.scalars(select(StoredDocument.content).where(StoredDocument.sha256 == sha256).limit(1)).first()
    return convert_docx_to_pdf(docx) if docx is not None else None


def _store_pdf(rt: Runtime, session: Session, job: Job, sha256: str, pdf: bytes | None) -> dict[str, Any]:
    if pdf is None or session.get(DocumentPdf, sha256) is not None:
        return {"made": False}
    session.add(DocumentPdf(sha256=sha256, content=pdf, size=len(pdf)))
    return {"made": True}


def _pdf_summary(rt: Runtime, session: Session, job: Job) -> dict[str, Any]:
    made = sum(1 for unit in session.scalars(select(JobUnit).where(JobUnit.job_id == job.id)) if unit.result.get("made"))
    summary: dict[str, Any] = {"converted": made}
    if job.params.get("document_id"):
        summary["document_id"] = job.params["document_id"]
    return summary


PDF_COPIES = job_handler(JobHandler("pdf_copies", "Копии документов в PDF", _documents_without_pdf, _store_pdf,
                                    work=_convert, finish=_pdf_summary))


def cached_document_pdf(rt: Runtime, document_id: int, user_id: int) -> tuple[str, bytes] | None:
    """(file name, PDF) of a document the user may read, when its PDF is made; None when not yet.
    A document of another organisation is «не найден», like every other read."""
    from .pdf import pdf_file_name

    with rt.sessions() as session:
        document = _readable_document(session, document_id, user_id)
        pdf = session.scalars(select(DocumentPdf.content).where(DocumentPdf.sha256 == document.sha256)).first()
        return (pdf_file_name(document.file_name), pdf) if pdf is not None else None


def request_document_pdf(rt: Runtime, document_id: int, user_id: int) -> int:
    """A job making the PDF of one document (the web never converts inside a request); its id."""
    with rt.sessions() as session:
        document = _readable_document(session, document_id, user_id)
        organisation_id, title = document.organisation_id, f"PDF: {document.file_name}"
    return submit(rt, "pdf_copies", {"document_id": document_id}, organisation_id=organisation_id,
                  requested_by=user_id, title=title)


def _readable_document(session: Session, document_id: int, user_id: int) -> StoredDocument:
    document = session.get(StoredDocument, document_id)
    if document is None or membership_in(session, user_id, document.organisation_id) is None:
        raise NotFound(f"Документ № {document_id} не найден")
    return document


# --------------------------------------------------------------------------- reminders


def _people_with_deadlines(rt: Runtime, job: Job) -> list[str]:
    from .reminders import build_digests

    today, days = dt.date.fromisoformat(job.params["today"]), int(job.params.get("days", 7))
    return [str(digest.user_id) for digest in build_digests(rt, today, days)]


def _send_digest(rt: Runtime, job: Job, user_key: str) -> dict[str, Any]:
    from .reminders import SmtpSettings, send_digest_to

    today, days = dt.date.fromisoformat(job.params["today"]), int(job.params.get("days", 7))
    return send_digest_to(rt, SmtpSettings.from_env(), int(user_key), today, days)


def _record_digest(rt: Runtime, session: Session, job: Job, user_key: str, outcome: dict[str, Any]) -> dict[str, Any]:
    return outcome


def _reminder_summary(rt: Runtime, session: Session, job: Job) -> dict[str, Any]:
    outcomes = [unit.result for unit in session.scalars(select(JobUnit).where(JobUnit.job_id == job.id))]
    return {"sent": sum(1 for o in outcomes if o.get("sent")),
            "without_email": [o["name"] for o in outcomes if o.get("without_email")],
            "failed": [o["failed"] for o in outcomes if o.get("failed")]}


REMINDERS = job_handler(JobHandler("reminders", "Напоминания о сроках по почте", _people_with_deadlines,
                                   _record_digest, work=_send_digest, finish=_reminder_summary))
from . import monitoring_jobs  # noqa: E402,F401  (registers the district monitoring jobs)
