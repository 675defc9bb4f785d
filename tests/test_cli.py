"""The real `vsoko` console script, run as a process against the test database."""
from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.shared import Cm
from PIL import Image
from sqlalchemy import select

from vsoko_flow.config import PROJECT_ROOT
from vsoko_flow.models import Artefact, HistoryEntry, StoredDocument
from vsoko_flow.services import template_upload
from vsoko_flow.services.artefacts import create_artefact, show_artefact
from vsoko_flow.services.users import user_by_token

from .flows import COUNCIL_DAY, REQUEST_DAY, docx_text, fire, new_draft, write
from .test_rules import NO_SECTIONS, store_snapshot

VSOKO = Path(sys.executable).with_name("vsoko")
SHORT_TEXT = ("1. Общие положения\n1.1. Положение определяет порядок работы рабочей группы.\n"
              "2. Заключение\n2.1. Вступает в силу с даты приказа.")


def run_vsoko(settings, *args, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the installed console script with the test database and folders."""
    env = {**os.environ, **(env_extra or {}), "VSOKO_DATABASE_URL": settings.database_url,
           "VSOKO_INSTANCE_DIR": str(settings.instance_dir), "VSOKO_WORKFLOWS_DIR": str(settings.workflows_dir),
           "VSOKO_TEMPLATES_DIR": str(settings.templates_dir), "VSOKO_BASE_URL": settings.base_url}
    return subprocess.run([str(VSOKO), *map(str, args)], capture_output=True, text=True, env=env, timeout=60,
                          check=False)


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    """A refused command: exit 1, no traceback, one «Ошибка:» line then detail lines; returns all lines."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert lines and lines[0].startswith("Ошибка: ")
    assert all(line.startswith("  - ") for line in lines[1:]), lines
    return lines


def docx_bytes(*paragraphs: str) -> bytes:
    document = Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def rezipped(data: bytes, replace: dict[str, bytes]) -> bytes:
    """The same .docx with some members replaced or added (deflated)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            if member.filename not in replace:
                target.writestr(member, source.read(member))
        for name, content in replace.items():
            target.writestr(name, content)
    return out.getvalue()


# --------------------------------------------------------------------------- reading

def test_artefacts_list_json_gives_scripts_every_act(rt, school, settings):
    first = new_draft(rt, school)
    second = new_draft(rt, school, title="Положение о рабочей группе по ВСОКО")
    result = run_vsoko(settings, "artefacts", "list", "--json")
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)
    assert [item["id"] for item in items] == [second, first]
    for item in items:
        assert {"id", "kind", "title", "state", "version", "organisation", "school_year", "fields"} <= item.keys()
    assert items[0]["title"] == "Положение о рабочей группе по ВСОКО"
    assert (items[1]["kind"], items[1]["state"], items[1]["version"]) == ("polozhenie", "draft", 1)
    assert items[1]["organisation"] == {"id": school.id, "short_name": "МБОУ СОШ № 29"}
    assert items[1]["school_year"] == "2024/2025"
    assert items[1]["fields"]["affects_students"] is True


def test_artefacts_show_json_lists_the_documents(rt, school, settings):
    artefact_id = new_draft(rt, school)
    fired = fire(rt, artefact_id, "send_for_opinions", school["deputy"], REQUEST_DAY,
                 request_date=REQUEST_DAY.isoformat())
    result = run_vsoko(settings, "artefacts", "show", artefact_id, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"id", "kind", "title", "state", "version", "organisation", "school_year", "fields",
            "documents"} <= data.keys()
    assert (data["id"], data["state"], data["version"]) == (artefact_id, "opinions", 2)
    assert data["fields"]["request_date"] == "2025-03-10"
    assert [(d["id"], d["sha256"]) for d in data["documents"]] == [(d["id"], d["sha256"]) for d in fired.documents]


# --------------------------------------------------------------------------- acting

def test_fire_moves_the_act_and_prints_the_new_state(rt, school, settings):
    artefact_id = new_draft(rt, school)
    result = run_vsoko(settings, "artefacts", "fire", artefact_id, "send_for_opinions", "--as", "deputy",
                       "--field", "request_date=10.03.2025", "--version", "1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Готово: «Проект» → «На учёте мнения советов», версия 2."
    assert len([line for line in lines if line.startswith("  документ [")]) == 2
    data = show_artefact(rt, artefact_id, school["deputy"])
    assert (data["state"], data["version"], len(data["documents"])) == ("opinions", 2, 2)
    assert data["history"][-1]["actor"] == "Иванова Ирина Игоревна"


def emblem_png() -> io.BytesIO:
    """A school's emblem as a photo-like PNG of 1.7 MB (noise does not compress)."""
    picture = io.BytesIO()
    Image.frombytes("RGB", (760, 760), random.Random(29).randbytes(760 * 760 * 3)).save(picture, "PNG")
    picture.seek(0)
    return picture


def test_fire_renders_the_school_own_template_within_the_limits(rt, school, settings):
    """The console script imports much more than a web worker (charts: matplotlib, numpy) before its
    limited process starts; the school's own template still renders there, as in a web worker."""
    marker = "Редакция шаблона школы, отрисованная из консоли"
    template = Document(str(PROJECT_ROOT / "document_templates" / "polozhenie.docx"))
    template.paragraphs[0].insert_paragraph_before(marker).add_run().add_picture(emblem_png(), width=Cm(3))
    buffer = io.BytesIO()
    template.save(buffer)
    version = template_upload.upload_template(rt, school.id, school["director"], "polozhenie", buffer.getvalue(),
                                              "Положение школы.docx")
    template_upload.accept_version(rt, school.id, "polozhenie", version.id)
    artefact_id = new_draft(rt, school, affects_students=False)
    result = run_vsoko(settings, "artefacts", "fire", artefact_id, "send_to_council", "--as", "deputy")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Готово: «Проект» → ")
    with rt.sessions() as session:
        contents = session.scalars(select(StoredDocument.content).where(StoredDocument.artefact_id == artefact_id))
        assert any(marker in docx_text(content) for content in contents)


def _in_council_review(rt, school) -> int:
    artefact_id = new_draft(rt, school, affects_students=False)
    fire(rt, artefact_id, "send_to_council", school["deputy"], COUNCIL_DAY)
    return artefact_id


@pytest.mark.parametrize(("args", "first_line", "details"), [
    (("adopt", "--as", "teacher", "--field", "present=42"),
     "Ошибка: У вас нет права выполнять действие «Записать решение педагогического совета о принятии» "
     "в этой организации", []),
    (("adopt", "--as", "secretary", "--field", "present=42"),
     "Ошибка: Проверьте заполнение полей",
     ["Заполните поле «Дата заседания (протокола)»", "Заполните поле", "Заполните поле", "Заполните поле"]),
    (("adopt", "--as", "secretary", "--field", "present=сорок", "--field", "quorum=да"),
     "Ошибка: Проверьте заполнение полей",
     ["это поле не предусмотрено для этого действия", "Заполните поле «Дата заседания (протокола)»",
      "«Присутствовали»: ожидается целое число", "Заполните поле", "Заполните поле", "Заполните поле"]),
    (("adopt", "--as", "nobody"), "Ошибка: Пользователь «nobody» не найден", []),
], ids=["wrong_role", "missing_fields", "bad_and_unknown_fields", "unknown_user"])
def test_refused_command_prints_one_russian_error(rt, school, settings, args, first_line, details):
    artefact_id = _in_council_review(rt, school)
    before = store_snapshot(rt)
    lines = error_lines(run_vsoko(settings, "artefacts", "fire", artefact_id, *args))
    assert lines[0] == first_line
    assert len(lines[1:]) == len(details), lines
    for line, expected in zip(lines[1:], details):
        assert line.startswith(f"  - {expected}"), (line, expected)
    assert store_snapshot(rt) == before


def test_refused_rule_is_not_repeated(rt, school, settings):
    artefact_id = create_artefact(rt, school["deputy"], school.id, "polozhenie", today=REQUEST_DAY,
                                  fields={"affects_students": False})  # no text, no opinions needed
    result = run_vsoko(settings, "artefacts", "fire", artefact_id, "send_to_council", "--as", "deputy")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines == [f"Ошибка: {NO_SECTIONS}"]  # the one broken rule is the message itself


@pytest.mark.parametrize("command", [("fire", "9999", "send_to_council", "--as", "deputy"), ("show", "9999", "--json")],
                         ids=["fire", "show"])
def test_unknown_artefact_is_one_error_line(school, settings, command):
    lines = error_lines(run_vsoko(settings, "artefacts", *command))
    assert lines == ["Ошибка: Документ № 9999 не найден"]


# --------------------------------------------------------------------------- documents, workflows, users

def test_documents_export_writes_docx_files_word_can_open(rt, school, settings, tmp_path):
    artefact_id = new_draft(rt, school)
    fire(rt, artefact_id, "send_for_opinions", school["deputy"], REQUEST_DAY, request_date=REQUEST_DAY.isoformat())
    out = tmp_path / "export"
    result = run_vsoko(settings, "documents", "export", artefact_id, "--out", out)
    assert result.returncode == 0, result.stderr
    files = sorted(out.glob("*.docx"))
    assert len(files) == 2
    texts = [docx_text(path.read_bytes()) for path in files]
    assert any("Председателю Совета обучающихся" in text for text in texts)
    assert any("Председателю Совета родителей" in text for text in texts)
    with rt.sessions() as session:
        stored = {d.content for d in session.scalars(select(StoredDocument)
                                                     .where(StoredDocument.artefact_id == artefact_id))}
    assert {path.read_bytes() for path in files} == stored


def test_workflows_check_accepts_the_shipped_workflows(settings):
    result = run_vsoko(settings, "workflows", "check")
    assert result.returncode == 0, result.stderr
    # Ознакомление (by each employee or the signed sheet) and размещение on the site are transitions too.
    assert ("polozhenie.yaml: «Положение (локальный нормативный акт)» — 7 состояний, 11 переходов: в порядке"
            in result.stdout)


def test_workflows_diagram_is_mermaid_with_russian_labels(settings):
    result = run_vsoko(settings, "workflows", "diagram", "polozhenie")
    assert result.returncode == 0, result.stderr
    assert "stateDiagram" in result.stdout
    assert 'state "Проект" as draft' in result.stdout
    assert 'state "Действует" as in_force' in result.stdout
    assert "adopted --> in_force: Утвердить приказом директора" in result.stdout


def test_users_token_prints_a_working_token(rt, school, settings):
    result = run_vsoko(settings, "users", "token", "secretary", "--name", "скрипт отчётов")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert len(token) >= 40 and "\n" not in token
    with rt.sessions() as session:
        assert user_by_token(session, token).login == "secretary"
        assert user_by_token(session, token + "x") is None


# --------------------------------------------------------------------------- texts of acts

def test_create_reads_sections_from_a_text_file(rt, school, settings, tmp_path):
    text_file = write(tmp_path / "Положение.txt", SHORT_TEXT.encode("utf-8"))
    result = run_vsoko(settings, "artefacts", "create", "--as", "deputy", "--org", school.id,
                       "--title", "Положение о рабочей группе по ВСОКО", "--school-year", "2025/2026",
                       "--field", "affects_staff=да", "--sections-file", text_file)
    assert result.returncode == 0, result.stderr
    data = show_artefact(rt, int(result.stdout.strip()), school["deputy"])
    assert (data["title"], data["state"], data["school_year"]) == (
        "Положение о рабочей группе по ВСОКО", "draft", "2025/2026")
    assert data["fields"]["affects_staff"] is True
    assert [s["number"] for s in data["sections"]] == ["1.", "1.1.", "2.", "2.1."]
    assert data["sections"][1]["text"] == "Положение определяет порядок работы рабочей группы."


def test_sections_are_replaced_from_a_word_file(rt, school, settings, tmp_path):
    artefact_id = new_draft(rt, school)
    word_file = write(tmp_path / "Новый текст.docx",
                      docx_bytes("1. Назначение", "1.1. Положение устанавливает порядок оценки.",
                                 "продолжение пункта 1.1", "2. Ответственность"))
    result = run_vsoko(settings, "artefacts", "sections", artefact_id, "--as", "deputy", "--file", word_file,
                       "--version", "1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Текст сохранён, версия 2."
    data = show_artefact(rt, artefact_id, school["deputy"])
    assert [(s["number"], s["text"]) for s in data["sections"]] == [
        ("1.", "Назначение"), ("1.1.", "Положение устанавливает порядок оценки.\nпродолжение пункта 1.1"),
        ("2.", "Ответственность")]
    assert data["history"][-1]["trigger"] == "edit_sections"


def _not_a_docx() -> bytes:
    return "1. Общие положения\n1.1. Это текст, а не документ Word.".encode("utf-8")


def _zip_bomb() -> bytes:
    # A member of 51 MB of spaces deflates to about 50 KB.
    return rezipped(docx_bytes("1. Общие положения"), {"word/padding.xml": b" " * (51 * 1024 * 1024)})


def _xxe() -> bytes:
    data = docx_bytes("1. Общие положения")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        body = archive.read("word/document.xml").decode("utf-8")
    declaration, rest = body.split("?>", 1)
    evil = (f'{declaration}?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            + rest.replace("1. Общие положения", "1. &xxe;"))
    return rezipped(data, {"word/document.xml": evil.encode("utf-8")})


@pytest.mark.parametrize(("make", "message"), [
    (_not_a_docx, "Ошибка: Это не документ Word (.docx): файл не открывается как .docx"),
    (_zip_bomb, "Ошибка: Часть файла «word/padding.xml» после распаковки больше 25 МБ (похоже на «zip-бомбу»)"),
    (_xxe, "Ошибка: Файл содержит объявление DOCTYPE — такие документы не принимаются"),
], ids=["not_a_docx", "zip_bomb", "xxe_doctype"])
def test_hostile_word_file_is_refused_and_changes_nothing(rt, school, settings, tmp_path, make, message):
    artefact_id = new_draft(rt, school)
    hostile = write(tmp_path / "Положение.docx", make())
    before = store_snapshot(rt)
    lines = error_lines(run_vsoko(settings, "artefacts", "sections", artefact_id, "--as", "deputy",
                                  "--file", hostile))
    assert lines == [message]
    assert store_snapshot(rt) == before


def test_hostile_word_file_creates_no_act(rt, school, settings, tmp_path):
    hostile = write(tmp_path / "Положение.docx", _xxe())
    lines = error_lines(run_vsoko(settings, "artefacts", "create", "--as", "deputy", "--org", school.id,
                                  "--sections-file", hostile))
    assert lines == ["Ошибка: Файл содержит объявление DOCTYPE — такие документы не принимаются"]
    with rt.sessions() as session:
        assert session.scalars(select(Artefact)).all() == []
        assert session.scalars(select(HistoryEntry)).all() == []


def test_remind_without_a_date_takes_the_schools_date_not_the_servers(rt, settings):
    """Two schools' zones 26 hours apart always have different dates, so at least one of them differs
    from the server's: each job is dated by its own zone."""
    from vsoko_flow.models import Job
    from vsoko_flow.services.clock import school_today

    for zone in ("Etc/GMT-14", "Etc/GMT+12"):  # UTC+14 (Kiritimati) and UTC−12
        result = run_vsoko(settings, "remind", "--queue-only",
                           env_extra={"VSOKO_TIMEZONE": zone, "VSOKO_SMTP_HOST": "127.0.0.1"})
        assert result.returncode == 0, result.stderr
        job_id = int(result.stdout.split("job_id=")[1].split()[0])
        with rt.sessions() as session:
            assert session.get(Job, job_id).params["today"] == school_today(zone).isoformat(), zone
