"""PDF renditions of stored documents, made by LibreOffice headless and cached by the file's SHA-256.

The product works without LibreOffice: `pdf_available()` says whether PDF links make sense.
Each conversion runs in a fresh temporary directory with its own LibreOffice profile
(conversions sharing one profile fail silently when they run in parallel), in its own process
group that is killed as a whole on timeout, and its output is checked before anyone sees it.
Conversions never run inside a database transaction: the .docx is read in one short session,
converted, and the PDF is stored in another; a concurrent insert of the same PDF is a success.
"""
from __future__ import annotations

import atexit
import hashlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..db import transaction
from ..models import DocumentPdf, StoredDocument
from .access import get_user, membership_in
from .errors import NotFound, ServiceError
from .runtime import Runtime
from .signatures import print_copy_of

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 60.0
MIN_PDF_BYTES = 512
# LibreOffice needs ~200 MB per conversion: at most this many at once in one process.
MAX_PARALLEL = max(1, int(os.environ.get("VSOKO_PDF_PARALLEL", "2") or 2))
_slots = threading.BoundedSemaphore(MAX_PARALLEL)


class PdfError(ServiceError):
    """The PDF could not be made (LibreOffice missing, timed out, or produced no valid PDF)."""

    status = 503
    code = "pdf_unavailable"


def soffice_path() -> str | None:
    """The LibreOffice binary: `VSOKO_SOFFICE` if set (a path or a command name), else `soffice`/`libreoffice`."""
    configured = os.environ.get("VSOKO_SOFFICE", "").strip()
    if configured:
        return shutil.which(configured)
    return shutil.which("soffice") or shutil.which("libreoffice")


def pdf_available() -> bool:
    """Whether documents can be offered as PDF on this machine."""
    return soffice_path() is not None


def _fail(reason: str) -> PdfError:
    return PdfError(f"Не удалось преобразовать документ в PDF: {reason}")


# ----------------------------------------------------------------------------- profile seed
# A fresh profile costs LibreOffice about a second to create. After the first successful
# conversion in a process its profile is kept as a seed, and each later conversion gets its
# own copy of it: still one profile per conversion, without the start-up cost.

_seed_lock = threading.Lock()
_seed: tuple[int, Path] | None = None  # (pid that made it, directory)


def _current_seed() -> Path | None:
    seed = _seed
    if seed is None or seed[0] != os.getpid() or not seed[1].is_dir():
        return None  # after a fork the parent's seed belongs to the parent
    return seed[1]


def _prepare_profile(profile: Path) -> None:
    seed = _current_seed()
    if seed is None:
        return
    try:
        shutil.copytree(seed, profile, ignore=shutil.ignore_patterns(".lock", "*.log"))
    except OSError:
        shutil.rmtree(profile, ignore_errors=True)  # LibreOffice makes a new one


def _remember_profile(profile: Path) -> None:
    global _seed
    if _current_seed() is not None or not profile.is_dir():
        return
    with _seed_lock:
        if _current_seed() is not None:
            return
        target = Path(tempfile.mkdtemp(prefix="vsoko-lo-seed-")) / "profile"
        try:
            shutil.copytree(profile, target, ignore=shutil.ignore_patterns(".lock", "*.log"))
        except OSError:
            shutil.rmtree(target.parent, ignore_errors=True)
            return
        _seed = (os.getpid(), target)
        atexit.register(_drop_seed, os.getpid(), target.parent)


def _drop_seed(pid: int, directory: Path) -> None:
    if os.getpid() == pid:
        shutil.rmtree(directory, ignore_errors=True)


# ----------------------------------------------------------------------------- conversion


def convert_docx_to_pdf(data: bytes, timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """Convert .docx bytes to PDF bytes with LibreOffice headless; raises PdfError with a Russian message."""
    binary = soffice_path()
    if binary is None:
        raise _fail("LibreOffice не установлен на сервере")
    if not _slots.acquire(timeout=timeout):
        raise _fail("сервер занят другими преобразованиями, повторите позже")
    try:
        with tempfile.TemporaryDirectory(prefix="vsoko-pdf-") as tmp:
            return _convert_in(Path(tmp), binary, data, timeout)
    finally:
        _slots.release()


def _convert_in(workdir: Path, binary: str, data: bytes, timeout: float) -> bytes:
    source = workdir / "document.docx"
    source.write_bytes(data)
    profile, outdir = workdir / "profile", workdir / "out"
    outdir.mkdir()
    _prepare_profile(profile)
    command = [binary, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--invisible", "--norestore",
               "--nologo", "--nodefault", "--nolockcheck", "--convert-to", "pdf", "--outdir", str(outdir), str(source)]
    # Output goes to a file, not a pipe: a stray grandchild holding a pipe open cannot hang us.
    with open(workdir / "soffice.log", "wb") as output:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                   cwd=workdir, start_new_session=True)
        try:
            finished = _wait_unreaped(process, timeout)
        finally:
            # The leader is not reaped yet, so its group id cannot belong to anyone else: kill the
            # whole group (soffice → oosplash → soffice.bin), whether it hung or left something behind.
            _kill_group(process.pid)
            returncode = process.wait()
    if not finished:
        raise _fail(f"LibreOffice не ответил за {timeout:g} с, процесс остановлен")
    log_text = _tail(workdir / "soffice.log")
    result = outdir / "document.pdf"
    if returncode != 0:
        raise _fail(f"LibreOffice завершился с кодом {returncode}" + (f" ({log_text})" if log_text else ""))
    if not result.is_file():
        raise _fail("LibreOffice не создал файл PDF" + (f" ({log_text})" if log_text else ""))
    pdf = result.read_bytes()
    if not pdf.startswith(b"%PDF-") or len(pdf) < MIN_PDF_BYTES or b"%%EOF" not in pdf[-2048:]:
        raise _fail("LibreOffice создал неполный или повреждённый файл PDF")
    _remember_profile(profile)
    return pdf


def _wait_unreaped(process: subprocess.Popen, timeout: float) -> bool:
    """Wait until the process exits, without reaping it; False on timeout."""
    if not hasattr(os, "waitid"):
        try:
            process.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        try:
            if os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return True
        except ChildProcessError:
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(delay, remaining))
        delay = min(delay * 2, 0.05)


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(path: Path, limit: int = 300) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    lines = [line.strip() for line in text.splitlines() if line.strip() and "javaldx" not in line]
    return " ".join(lines)[-limit:]


# ----------------------------------------------------------------------------- cached PDFs


def pdf_file_name(docx_name: str) -> str:
    """«Приказ от 03.04.2025 № 5.docx» → «Приказ от 03.04.2025 № 5.pdf»."""
    stem = docx_name[:-5] if docx_name.lower().endswith(".docx") else docx_name
    return f"{stem}.pdf"


def document_pdf(rt: Runtime, document_id: int, user_id: int | None, timeout: float = DEFAULT_TIMEOUT
                 ) -> tuple[str, bytes]:
    """(file name, PDF bytes) of a stored document, from the cache or converted now and cached.

    The PDF is made from the copy for printing: the stored .docx with the marks of the signatures
    made (services/signatures.py), cached by that copy's SHA-256 — a new signature, a new PDF.

    The user must be a member of the document's organisation; otherwise the document is
    reported as missing (NotFound), exactly like other reads. `user_id=None` is the server
    operator at the command line.
    """
    with rt.sessions() as session:
        document = session.get(StoredDocument, document_id)
        if user_id is not None:
            get_user(session, user_id)
            if document is not None and membership_in(session, user_id, document.organisation_id) is None:
                document = None
        if document is None:
            raise NotFound(f"Документ № {document_id} не найден")
        docx = print_copy_of(session, document, rt.settings.timezone)
        name, sha256 = pdf_file_name(document.file_name), hashlib.sha256(docx).hexdigest()
        cached = _cached_pdf(session, sha256)
        if cached is not None:
            return name, cached
    # The session is closed: LibreOffice runs outside any transaction or lock.
    pdf = convert_docx_to_pdf(docx, timeout=timeout)
    store_pdf(rt, sha256, pdf)
    return name, pdf


def _cached_pdf(session, sha256: str) -> bytes | None:
    return session.scalars(select(DocumentPdf.content).where(DocumentPdf.sha256 == sha256)).first()


def store_pdf(rt: Runtime, sha256: str, pdf: bytes) -> None:
    """Insert the cache row; another worker having stored the same document's PDF first is fine."""
    try:
        with transaction(rt.sessions) as session:
            session.add(DocumentPdf(sha256=sha256, content=pdf, size=len(pdf)))
    except IntegrityError:
        with rt.sessions() as session:
            if session.get(DocumentPdf, sha256) is None:
                raise


def warm_pdfs(rt: Runtime, limit: int = 50, timeout: float = DEFAULT_TIMEOUT) -> int:
    """Convert up to `limit` stored documents that have no PDF yet (newest first); returns how many were made.

    For a cron job or `vsoko pdf warm`. A document that fails is logged and skipped; without
    LibreOffice it raises PdfError at once.
    """
    if not pdf_available():
        raise _fail("LibreOffice не установлен на сервере")
    newest = func.max(StoredDocument.id)
    with rt.sessions() as session:
        missing = session.execute(
            select(newest, StoredDocument.sha256)
            .where(~select(DocumentPdf.sha256).where(DocumentPdf.sha256 == StoredDocument.sha256).exists())
            .group_by(StoredDocument.sha256).order_by(newest.desc()).limit(limit)
        ).all()
    done: set[str] = set()
    for document_id, sha256 in missing:
        with rt.sessions() as session:
            if _cached_pdf(session, sha256) is not None:
                continue  # made meanwhile by a download
            docx = session.scalars(select(StoredDocument.content).where(StoredDocument.id == document_id)).first()
        if docx is None:
            continue
        try:
            store_pdf(rt, sha256, convert_docx_to_pdf(docx, timeout=timeout))
        except PdfError as exc:
            log.warning("PDF for document %s not made: %s", document_id, exc.message)
            continue
        done.add(sha256)
    return len(done)
