"""PDF renditions of stored documents, made by LibreOffice headless and cached by the file's SHA-256.

The product works without LibreOffice: `pdf_available()` says whether PDF links make sense.

Each worker process keeps one LibreOffice running (`PersistentOffice`: unoserver on loopback, run
by a Python that has LibreOffice's `uno` module — Debian's python3-uno), so a document costs its
conversion, not a LibreOffice start-up (about 1.3 s). It is started at the first conversion,
restarted when it has died, killed when a conversion exceeds the timeout; whenever it cannot be
used, a fresh `soffice` per document does the job. `VSOKO_PDF_PERSISTENT=0` turns it off.

A fresh `soffice` conversion runs in a fresh temporary directory with its own LibreOffice profile
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
import socket
import subprocess
import tempfile
import threading
import time
import xmlrpc.client
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
        pdf = OFFICE.convert(binary, data, timeout) if persistent_enabled() else None
        if pdf is not None:
            return _checked(pdf)
        with tempfile.TemporaryDirectory(prefix="vsoko-pdf-") as tmp:
            return _convert_in(Path(tmp), binary, data, timeout)
    finally:
        _slots.release()


def _checked(pdf: bytes) -> bytes:
    if not pdf.startswith(b"%PDF-") or len(pdf) < MIN_PDF_BYTES or b"%%EOF" not in pdf[-2048:]:
        raise _fail("LibreOffice создал неполный или повреждённый файл PDF")
    return pdf


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
    pdf = _checked(result.read_bytes())
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


# ----------------------------------------------------------------------------- one LibreOffice per worker

START_TIMEOUT = 60.0  # LibreOffice's first start with a new profile, on a busy machine
RETRY_AFTER = 60.0  # after a failed start, fresh soffice per document for this long


def persistent_enabled() -> bool:
    return os.environ.get("VSOKO_PDF_PERSISTENT", "1").strip().lower() not in ("0", "no", "false", "off")


def uno_python() -> str | None:
    """A Python that can `import uno` (LibreOffice's python3-uno): `VSOKO_UNO_PYTHON`, else the
    system's python3. None when there is none, or when unoserver is not installed."""
    try:
        import unoserver  # noqa: F401 - the package the server process runs
    except ImportError:
        return None
    candidate = shutil.which(os.environ.get("VSOKO_UNO_PYTHON", "").strip() or "/usr/bin/python3")
    if candidate is None:
        return None
    if candidate not in _uno_checked:
        probe = subprocess.run([candidate, "-c", "import uno"], capture_output=True, timeout=30, check=False)
        _uno_checked[candidate] = probe.returncode == 0
    return candidate if _uno_checked[candidate] else None


_uno_checked: dict[str, bool] = {}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PersistentOffice:
    """One LibreOffice of this process, driven through unoserver on loopback ports.

    `convert` returns None when it cannot be used (not installed, failed to start, died during
    the conversion twice): the caller then runs a fresh soffice. A conversion over the timeout kills
    it (the next one starts a new one) and is refused, as with a fresh soffice."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._owner = 0  # the pid that started it: a forked worker starts its own
        self._port = 0
        self._folder: Path | None = None
        self._failed_at = -RETRY_AFTER
        self._stopped_at_exit = 0  # the pid that registered `stop` to run at its exit

    def convert(self, binary: str, data: bytes, timeout: float) -> bytes | None:
        if not self._lock.acquire(timeout=timeout):
            return None
        try:
            for _attempt in range(2):  # a LibreOffice found dead during the call is started again at once
                if not self._running() and not self._start(binary):
                    return None
                pdf = self._call(data, timeout)
                if pdf is not None:
                    return pdf
            return None
        finally:
            self._lock.release()

    def _running(self) -> bool:
        return self._process is not None and self._owner == os.getpid() and self._process.poll() is None

    def _start(self, binary: str) -> bool:
        self.stop()
        python = uno_python()
        if python is None or time.monotonic() - self._failed_at < RETRY_AFTER:
            return False
        import unoserver

        self._folder = Path(tempfile.mkdtemp(prefix="vsoko-uno-"))
        self._port, uno_port = _free_port(), _free_port()
        command = [python, "-m", "unoserver.server", "--interface", "127.0.0.1", "--uno-interface", "127.0.0.1",
                   "--port", str(self._port), "--uno-port", str(uno_port), "--executable", binary,
                   "--user-installation", str(self._folder / "profile"), "--temp-dir", str(self._folder)]
        # Only the folder holding unoserver goes on the path of that Python, ahead of its own packages.
        environment = {**os.environ, "PYTHONPATH": str(Path(unoserver.__file__).resolve().parent.parent)}
        with open(self._folder / "unoserver.log", "wb") as output:
            self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                             env=environment, start_new_session=True)
        self._owner = os.getpid()
        if self._ready():
            if self._stopped_at_exit != os.getpid():
                atexit.register(self.stop)
                self._stopped_at_exit = os.getpid()
            return True
        log.warning("persistent LibreOffice did not start: %s", _tail(self._folder / "unoserver.log"))
        self.stop()
        self._failed_at = time.monotonic()
        return False

    def _ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and self._process.poll() is None:
            try:
                with xmlrpc.client.ServerProxy(f"http://127.0.0.1:{self._port}") as proxy:
                    proxy.info()
                return True
            except (OSError, xmlrpc.client.Error):
                time.sleep(0.2)
        return False

    def _call(self, data: bytes, timeout: float) -> bytes | None:
        from unoserver.client import UnoClient

        outcome: dict[str, object] = {}

        def run() -> None:
            try:
                outcome["pdf"] = UnoClient("127.0.0.1", str(self._port)).convert(indata=data, convert_to="pdf")
            except Exception as exc:  # noqa: BLE001 - any failure means: this LibreOffice is gone
                outcome["error"] = exc

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            self.stop()
            raise _fail(f"LibreOffice не ответил за {timeout:g} с, процесс остановлен")
        pdf = outcome.get("pdf")
        if isinstance(pdf, (bytes, bytearray)) and pdf:
            return bytes(pdf)
        log.warning("persistent LibreOffice failed, restarting it: %s", outcome.get("error"))
        self.stop()
        return None

    def stop(self) -> None:
        """Kill the server and its LibreOffice (one process group) and remove their folder."""
        if self._process is not None and self._owner == os.getpid():
            # The whole group, even when the server is already gone: its LibreOffice may outlive it.
            _kill_group(self._process.pid)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            if self._folder is not None:
                shutil.rmtree(self._folder, ignore_errors=True)
        self._process, self._folder = None, None


OFFICE = PersistentOffice()


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
