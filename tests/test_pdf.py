"""PDF renditions: LibreOffice headless, its own profile per conversion, a timeout, a checked output, a cache.

Only the real-conversion tests need LibreOffice (they skip, saying so, where it is not
installed); everything else drives fake `soffice` scripts through `VSOKO_SOFFICE`.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.flows import take_to_force
from vsoko_flow.db import transaction
from vsoko_flow.models import DocumentPdf, StoredDocument
from vsoko_flow.services import pdf
from vsoko_flow.services.errors import NotFound
from vsoko_flow.services.organisations import create_organisation
from vsoko_flow.services.users import add_membership, create_user

FAKE_PDF = b"%PDF-1.4\n" + b"% fake pdf made by a test double\n" * 40 + b"%%EOF\n"


# ----------------------------------------------------------------------------- helpers


def real_soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def fake_soffice(directory: Path, body: str) -> Path:
    """An executable `soffice` stand-in; `body` runs with `args` (argv[1:]), `outdir`, `source`, `log`."""
    script = directory / "fake-soffice"
    script.write_text(f"#!{sys.executable}\n" + textwrap.dedent("""\
        import json, os, pathlib, subprocess, sys, time
        args = sys.argv[1:]
        log = pathlib.Path(__file__).with_name("calls.jsonl")
        with log.open("a") as f:
            f.write(json.dumps(args) + "\\n")
        outdir = pathlib.Path(args[args.index("--outdir") + 1])
        source = pathlib.Path(args[-1])
        """) + textwrap.dedent(body), encoding="utf-8")
    script.chmod(0o755)
    return script


def fake_calls(script: Path) -> list[list[str]]:
    log = script.with_name("calls.jsonl")
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


WRITES_PDF = f"(outdir / (source.stem + '.pdf')).write_bytes({FAKE_PDF!r})\n"


@pytest.fixture
def use_fake(monkeypatch, tmp_path):
    """Point VSOKO_SOFFICE at a fake script with the given body; returns the script."""
    def install(body: str) -> Path:
        directory = tmp_path / f"fake{len(list(tmp_path.glob('fake*')))}"
        directory.mkdir()
        script = fake_soffice(directory, body)
        monkeypatch.setenv("VSOKO_SOFFICE", str(script))
        monkeypatch.setenv("VSOKO_PDF_PERSISTENT", "0")  # these test the fresh soffice per document
        return script
    return install


@pytest.fixture
def documents(rt, school) -> dict[str, int]:
    """The Положение taken into force: template name → id of its newest stored document."""
    take_to_force(rt, school)
    with rt.sessions() as session:
        rows = session.execute(select(StoredDocument.template_name, StoredDocument.id).order_by(StoredDocument.id))
        return {name: document_id for name, document_id in rows}


def pdf_rows(rt) -> int:
    with rt.sessions() as session:
        return session.scalar(select(func.count()).select_from(DocumentPdf))


def alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper counts as dead)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def pdf_text(data: bytes, directory: Path) -> str | None:
    if shutil.which("pdftotext") is None:
        return None
    path = directory / "check.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def count_conversions(monkeypatch) -> list[int]:
    """Wrap the converter document_pdf calls; returns the list that grows by one per conversion."""
    calls: list[int] = []
    original = pdf.convert_docx_to_pdf

    def counting(data: bytes, timeout: float = pdf.DEFAULT_TIMEOUT) -> bytes:
        calls.append(len(data))
        return original(data, timeout=timeout)

    monkeypatch.setattr(pdf, "convert_docx_to_pdf", counting)
    return calls


# ----------------------------------------------------------------------------- real LibreOffice


@pytest.fixture
def libreoffice(monkeypatch) -> str:
    monkeypatch.delenv("VSOKO_SOFFICE", raising=False)
    binary = real_soffice()
    if binary is None:
        print("LibreOffice не установлен: проверка настоящего преобразования в PDF пропущена")
        pytest.skip("LibreOffice не установлен")
    return binary


def test_real_conversion_of_a_stored_order_gives_a_pdf_and_the_second_call_uses_the_cache(
        rt, school, documents, libreoffice, monkeypatch, tmp_path):
    assert pdf.pdf_available()
    conversions = count_conversions(monkeypatch)

    name, data = pdf.document_pdf(rt, documents["order_approval"], school["director"])

    assert name == "Приказ от 03.04.2025 № Ш29-13-1-5.pdf"
    assert data.startswith(b"%PDF-") and len(data) > 5000
    text = pdf_text(data, tmp_path)
    if text is not None:
        assert "ПРИКАЗ" in text
        assert "Об утверждении Положения о внутренней системе оценки качества" in text
        assert "Ш29-13-1/5" in text
    assert conversions == [conversions[0]] and pdf_rows(rt) == 1

    again_name, again = pdf.document_pdf(rt, documents["order_approval"], school["deputy"])

    assert (again_name, again) == (name, data)
    assert len(conversions) == 1, "the second download must come from the cache"
    assert pdf_rows(rt) == 1
    with rt.sessions() as session:
        stored = session.scalars(select(StoredDocument).where(StoredDocument.id == documents["order_approval"])).one()
        cached = session.get(DocumentPdf, stored.sha256)
        assert cached.size == len(data) and cached.content == data


def test_real_parallel_conversions_do_not_share_a_profile(rt, school, documents, libreoffice, tmp_path):
    ids = [documents["order_approval"], documents["polozhenie"], documents["acquaintance_sheet"]]
    results: dict[int, object] = {}

    def convert(document_id: int) -> None:
        try:
            results[document_id] = pdf.document_pdf(rt, document_id, school["director"])
        except Exception as exc:  # reported below
            results[document_id] = exc

    threads = [threading.Thread(target=convert, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert all(isinstance(results.get(i), tuple) for i in ids), results
    assert all(results[i][1].startswith(b"%PDF-") for i in ids)
    assert pdf_rows(rt) == 3
    text = pdf_text(results[documents["polozhenie"]][1], tmp_path)
    if text is not None:
        assert "Общие положения" in text


@pytest.fixture
def persistent_office(libreoffice):
    if pdf.uno_python() is None:
        print("нет Python с модулем uno (python3-uno) или пакета unoserver: постоянный LibreOffice не проверен")
        pytest.skip("python3-uno или unoserver не установлены")
    pdf.OFFICE.stop()
    yield pdf.OFFICE
    pdf.OFFICE.stop()


def office_pids(office) -> set[int]:
    """The server and its LibreOffice: every process of its group."""
    group = office._process.pid
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] not in ("Z", "X"):
            found.add(int(stat.parent.name))
    return found


def test_one_libreoffice_serves_every_conversion_and_is_restarted_when_it_dies(
        rt, school, documents, persistent_office, tmp_path):
    with rt.sessions() as session:
        contents = [session.get(StoredDocument, documents[name]).content for name in ("order_approval", "polozhenie")]
    first = pdf.convert_docx_to_pdf(contents[0])
    started = persistent_office._process.pid
    processes = office_pids(persistent_office)
    assert len(processes) >= 2  # unoserver and soffice.bin
    second = pdf.convert_docx_to_pdf(contents[1])
    assert persistent_office._process.pid == started and office_pids(persistent_office) == processes
    assert first.startswith(b"%PDF-") and second.startswith(b"%PDF-")
    text = pdf_text(second, tmp_path)
    if text is not None:
        assert "Общие положения" in text
    os.killpg(started, 9)  # LibreOffice and its server die
    again = pdf.convert_docx_to_pdf(contents[0])
    assert again.startswith(b"%PDF-")
    assert persistent_office._process.pid != started and not any(alive(pid) for pid in processes)


def test_a_libreoffice_left_behind_by_its_dead_server_is_stopped_too(rt, school, documents, persistent_office):
    with rt.sessions() as session:
        content = session.get(StoredDocument, documents["polozhenie"]).content
    pdf.convert_docx_to_pdf(content)
    server = persistent_office._process.pid
    processes = office_pids(persistent_office)
    os.kill(server, 9)  # only the server dies; its LibreOffice would stay
    persistent_office._process.wait(timeout=30)
    assert pdf.convert_docx_to_pdf(content).startswith(b"%PDF-")
    assert persistent_office._process.pid != server
    assert not any(alive(pid) for pid in processes)


def test_a_conversion_over_the_timeout_stops_the_persistent_libreoffice(rt, school, documents, persistent_office):
    with rt.sessions() as session:
        content = session.get(StoredDocument, documents["polozhenie"]).content
    pdf.convert_docx_to_pdf(content)
    processes = office_pids(persistent_office)
    with pytest.raises(pdf.PdfError, match="не ответил за 0.01 с"):
        pdf.convert_docx_to_pdf(content, timeout=0.01)
    assert not persistent_office._running()
    assert not any(alive(pid) for pid in processes)
    assert pdf.convert_docx_to_pdf(content).startswith(b"%PDF-")  # the next one starts a new LibreOffice


# ----------------------------------------------------------------------------- fake soffice scripts


def test_each_conversion_gets_a_fresh_profile_and_the_expected_arguments(use_fake):
    script = use_fake(WRITES_PDF)

    assert pdf.convert_docx_to_pdf(b"first") == FAKE_PDF
    assert pdf.convert_docx_to_pdf(b"second") == FAKE_PDF

    first, second = fake_calls(script)
    for args in (first, second):
        assert args[args.index("--convert-to") + 1] == "pdf"
        assert {"--headless", "--norestore"} <= set(args)
        assert "--outdir" in args and args[-1].endswith(".docx")
    profiles = [next(a for a in args if a.startswith("-env:UserInstallation=file:///")) for args in (first, second)]
    assert profiles[0] != profiles[1], "parallel conversions sharing one profile fail silently"
    for args in (first, second):
        workdir = Path(args[-1]).parent
        assert not workdir.exists(), "the temporary directory is removed after the conversion"


def test_the_second_download_comes_from_the_cache(rt, school, documents, use_fake):
    script = use_fake(WRITES_PDF)

    name, data = pdf.document_pdf(rt, documents["protocol_extract"], school["secretary"])
    again = pdf.document_pdf(rt, documents["protocol_extract"], school["teacher"])

    assert name == "Выписка из протокола от 31.03.2025 № 1, вопрос 1.pdf"  # the extract names its question
    assert data == FAKE_PDF and again == (name, data)
    assert len(fake_calls(script)) == 1
    assert pdf_rows(rt) == 1


def test_conversion_runs_outside_any_database_transaction(rt, school, documents, use_fake, monkeypatch):
    use_fake(WRITES_PDF)
    checked_out: list[int] = []
    original = pdf.convert_docx_to_pdf

    def spying(data: bytes, timeout: float = pdf.DEFAULT_TIMEOUT) -> bytes:
        checked_out.append(rt.engine.pool.checkedout())
        return original(data, timeout=timeout)

    monkeypatch.setattr(pdf, "convert_docx_to_pdf", spying)
    pdf.document_pdf(rt, documents["order_approval"], school["director"])

    assert checked_out == [0], "no database connection (so no transaction or lock) is held while converting"


def test_a_concurrent_insert_of_the_same_pdf_is_a_success(rt, school, documents, use_fake, monkeypatch):
    use_fake(WRITES_PDF)
    with rt.sessions() as session:
        sha256 = session.get(StoredDocument, documents["order_approval"]).sha256
    original = pdf.convert_docx_to_pdf

    def another_worker_finishes_first(data: bytes, timeout: float = pdf.DEFAULT_TIMEOUT) -> bytes:
        result = original(data, timeout=timeout)
        pdf.store_pdf(rt, sha256, FAKE_PDF + b"% the other worker\n")
        return result

    monkeypatch.setattr(pdf, "convert_docx_to_pdf", another_worker_finishes_first)
    name, data = pdf.document_pdf(rt, documents["order_approval"], school["director"])

    assert data.startswith(b"%PDF-")
    assert pdf_rows(rt) == 1


def test_a_hanging_libreoffice_is_killed_with_its_whole_process_group(rt, school, documents, use_fake, tmp_path):
    pids = tmp_path / "pids.json"
    use_fake(f"""
        child = subprocess.Popen(["sleep", "120"])   # stays in the group, like soffice.bin under oosplash
        pathlib.Path({str(pids)!r}).write_text(json.dumps([os.getpid(), child.pid]))
        time.sleep(120)
        """)

    with pytest.raises(pdf.PdfError) as raised:
        pdf.document_pdf(rt, documents["order_approval"], school["director"], timeout=2)

    error = raised.value
    assert error.status == 503
    assert error.message.startswith("Не удалось преобразовать документ в PDF: ")
    assert "не ответил за 2 с" in error.message
    leader, grandchild = json.loads(pids.read_text())
    deadline = time.monotonic() + 10
    while (alive(leader) or alive(grandchild)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(leader) and not alive(grandchild), "every process of the conversion is killed"
    assert pdf_rows(rt) == 0


def test_libreoffice_exiting_0_without_a_pdf_is_an_error(rt, school, documents, use_fake):
    use_fake("sys.exit(0)\n")

    with pytest.raises(pdf.PdfError) as raised:
        pdf.document_pdf(rt, documents["order_approval"], school["director"])

    assert raised.value.message == "Не удалось преобразовать документ в PDF: LibreOffice не создал файл PDF"
    assert pdf_rows(rt) == 0


@pytest.mark.parametrize("output, reason", [
    (b"<html>not a pdf</html>" * 100, "неполный или повреждённый"),
    (FAKE_PDF[:300], "неполный или повреждённый"),                    # too short to be a document
    (FAKE_PDF[:-7] + b"% cut off here", "неполный или повреждённый"),  # truncated: no %%EOF
], ids=["not_a_pdf", "trivial", "truncated"])
def test_a_bad_output_file_is_refused(use_fake, output, reason):
    use_fake(f"(outdir / (source.stem + '.pdf')).write_bytes({output!r})\n")

    with pytest.raises(pdf.PdfError) as raised:
        pdf.convert_docx_to_pdf(b"docx")

    assert reason in raised.value.message


def test_a_failing_libreoffice_reports_its_exit_code_and_output(use_fake):
    use_fake("print('Error: source file could not be loaded'); sys.exit(81)\n")

    with pytest.raises(pdf.PdfError) as raised:
        pdf.convert_docx_to_pdf(b"docx")

    assert raised.value.message == ("Не удалось преобразовать документ в PDF: LibreOffice завершился с кодом 81 "
                                    "(Error: source file could not be loaded)")


def test_pdf_is_unavailable_when_vsoko_soffice_points_to_a_missing_file(monkeypatch, tmp_path, use_fake):
    monkeypatch.setenv("VSOKO_SOFFICE", str(tmp_path / "no-such-soffice"))

    assert pdf.pdf_available() is False
    with pytest.raises(pdf.PdfError) as raised:
        pdf.convert_docx_to_pdf(b"docx")
    assert raised.value.message == "Не удалось преобразовать документ в PDF: LibreOffice не установлен на сервере"
    assert raised.value.status == 503

    use_fake(WRITES_PDF)
    assert pdf.pdf_available() is True


def test_another_organisations_document_is_not_found(rt, school, documents, use_fake):
    script = use_fake(WRITES_PDF)
    with transaction(rt.sessions) as session:
        gymnasium = create_organisation(session, "school", "Муниципальное бюджетное общеобразовательное учреждение "
                                        "«Гимназия № 1»", "МБОУ Гимназия № 1", city="г. Сургут")
        stranger = create_user(session, "gym_director", "Белова", "Ольга", "Ивановна", "f")
        add_membership(session, stranger, gymnasium, ["director"], "Директор")
        stranger_id = stranger.id
    order_id = documents["order_approval"]

    for user_id in (stranger_id, school["methodologist"]):  # another school; the district above it
        with pytest.raises(NotFound) as raised:
            pdf.document_pdf(rt, order_id, user_id)
        assert raised.value.message == f"Документ № {order_id} не найден"
    with pytest.raises(NotFound) as missing:
        pdf.document_pdf(rt, order_id + 1000, stranger_id)
    assert missing.value.message == f"Документ № {order_id + 1000} не найден"  # no existence leak

    assert fake_calls(script) == [] and pdf_rows(rt) == 0


def test_warm_pdfs_converts_only_documents_without_a_pdf(rt, school, documents, use_fake):
    script = use_fake(WRITES_PDF)
    with rt.sessions() as session:
        total = session.scalar(select(func.count(func.distinct(StoredDocument.sha256))))
    pdf.document_pdf(rt, documents["order_approval"], school["director"])

    assert pdf.warm_pdfs(rt, limit=3) == 3
    assert pdf.warm_pdfs(rt, limit=100) == total - 4
    assert pdf.warm_pdfs(rt, limit=100) == 0
    assert len(fake_calls(script)) == total and pdf_rows(rt) == total


def test_warm_pdfs_skips_a_failing_document_and_needs_libreoffice(rt, school, documents, use_fake, monkeypatch,
                                                                  tmp_path):
    use_fake("sys.exit(0)\n")
    assert pdf.warm_pdfs(rt, limit=5) == 0 and pdf_rows(rt) == 0

    monkeypatch.setenv("VSOKO_SOFFICE", str(tmp_path / "missing"))
    with pytest.raises(pdf.PdfError):
        pdf.warm_pdfs(rt, limit=5)


def test_pdf_file_name_replaces_only_the_extension():
    assert pdf.pdf_file_name("Приказ от 03.04.2025 № 5.docx") == "Приказ от 03.04.2025 № 5.pdf"
    assert pdf.pdf_file_name("Лист.DOCX") == "Лист.pdf"
    assert pdf.pdf_file_name("без расширения") == "без расширения.pdf"
