"""The act's text from Word in the browser and the API (issue 11, point 9), with a preview of the
sections as they will be stored — like the plan import.

The Word files are built here: a title and grifs above the first section, Word's own multilevel
numbering (numbering.xml — the numbers are not in the text), a bulleted list inside a clause, a table.
No seed text."""
from __future__ import annotations

import io
import re

import pytest
from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from sqlalchemy import select

from vsoko_flow.models import Artefact, HistoryEntry
from vsoko_flow.services.artefacts import create_artefact, show_artefact
from vsoko_flow.services.errors import Unprocessable
from vsoko_flow.services.sections import read_text_file

from .test_api import api  # noqa: F401 - fixture
from .test_plan_pages import post_files
from .web_helpers import login

HEAD = ["УТВЕРЖДЕНО", "приказом директора", "ПОЛОЖЕНИЕ", "о внутренней системе оценки качества образования"]
# (level or None for a plain paragraph, text); level 0 → «1.», level 1 → «1.1.», "bullet" → a bulleted line
BODY = [
    (0, "Общие положения"),
    (1, "Положение устанавливает порядок оценки качества образования."),
    (1, "Оценка проводится по направлениям:"),
    ("bullet", "качество условий;"),
    ("bullet", "качество результатов."),
    (0, "Организация оценки"),
    (1, "Оценку проводит рабочая группа."),
    (None, "Состав группы утверждается приказом."),
    (1, "Результаты рассматривает педагогический совет."),
]
MULTILEVEL = f"""
<w:abstractNum {nsdecls('w')} w:abstractNumId="90">
  <w:multiLevelType w:val="multilevel"/>
  <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl>
  <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1.%2."/></w:lvl>
</w:abstractNum>"""
BULLETS = f"""
<w:abstractNum {nsdecls('w')} w:abstractNumId="91">
  <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/></w:lvl>
</w:abstractNum>"""


def word_file(body=BODY, head=HEAD, table: bool = True) -> bytes:
    """A Положение as schools write it in Word: the numbers of its sections are drawn by Word itself."""
    document = Document()
    numbering = document.part.numbering_part.element
    first_num = numbering.find(qn("w:num"))
    for xml in (MULTILEVEL, BULLETS):  # abstract lists go before the <w:num> elements
        first_num.addprevious(parse_xml(xml))
    for num_id, abstract in (("90", "90"), ("91", "91")):
        numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="{num_id}">'
                                   f'<w:abstractNumId w:val="{abstract}"/></w:num>'))
    for line in head:
        document.add_paragraph(line)
    for level, text in body:
        paragraph = document.add_paragraph(text)
        if level is not None:
            num_id, ilvl = ("91", 0) if level == "bullet" else ("90", level)
            paragraph._p.get_or_add_pPr().append(parse_xml(
                f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>'))
    if table:
        document.add_table(rows=2, cols=2).cell(0, 0).text = "Объект оценки"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def draft(rt, school) -> int:
    return create_artefact(rt, school["deputy"], school.id, "polozhenie", title="Положение о ВСОКО (проверка Word)",
                           sections_text="1. Прежний текст")


def numbers_and_texts(sections) -> list[tuple[str, str]]:
    return [(s["number"], s["text"]) for s in sections]


EXPECTED = [
    ("1.", "Общие положения"), ("1.1.", "Положение устанавливает порядок оценки качества образования."),
    ("1.2.", "Оценка проводится по направлениям:\nкачество условий;\nкачество результатов."),
    ("2.", "Организация оценки"), ("2.1.", "Оценку проводит рабочая группа.\nСостав группы утверждается приказом."),
    ("2.2.", "Результаты рассматривает педагогический совет.")]


def test_words_own_numbering_is_read_and_the_title_above_is_left_out():
    parsed = read_text_file(word_file(), "Положение.docx")
    assert numbers_and_texts(parsed.to_dict()["sections"]) == EXPECTED
    assert parsed.skipped == HEAD
    assert parsed.warnings == ["Таблиц в файле: 1 — они не входят в текст (план загружается отдельно, как план "
                               "функционирования ВСОКО)"]


def test_numbers_out_of_order_are_pointed_out():
    parsed = read_text_file("1. Общие положения\n1.1. Первый\n1.3. Третий\n3. Заключение\n".encode("cp1251"),
                            "текст.txt")
    assert parsed.warnings == ["После 1.1 идёт 1.3: проверьте нумерацию разделов",
                               "После 1.3 идёт 3: проверьте нумерацию разделов"]


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"%PDF-1.4", "Положение.pdf", "Загрузите текст как документ Word (.docx) или обычный текст (.txt)"),
    ("Просто текст без номеров".encode(), "текст.txt", "В файле нет ни одного раздела с номером"),
    (b"not a zip", "Положение.docx", "Это не документ Word (.docx)"),
])
def test_a_file_that_is_not_an_acts_text_is_refused_in_russian(data, name, message):
    with pytest.raises(Unprocessable, match=re.escape(message)):
        read_text_file(data, name)


def test_the_browser_shows_the_sections_first_and_stores_them_on_save(rt, school, client):
    artefact_id = draft(rt, school)
    login(client, "deputy")
    edit = f"/artefacts/{artefact_id}/sections"
    assert "Загрузить из Word" in client.get(edit).get_data(as_text=True)
    preview = post_files(client, f"{edit}/upload", {"file": (word_file(), "Положение о ВСОКО.docx")}, edit)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Предпросмотр текста из файла" in page
    assert "Оценка проводится по направлениям:" in page and "качество условий;" in page
    assert "о внутренней системе оценки качества образования" in page  # listed as left out
    assert [s["number"] for s in show_artefact(rt, artefact_id, school["deputy"])["sections"]] == ["1."]  # not yet

    hidden = dict(re.findall(r'<input type="hidden" name="([a-z_0-9]+)" value="([^"]*)"', page))
    saved = client.post(f"{edit}/upload/save", data=hidden)
    assert saved.status_code == 302 and saved.headers["Location"].endswith("#text")
    data = show_artefact(rt, artefact_id, school["deputy"])
    assert numbers_and_texts(data["sections"]) == EXPECTED
    with rt.sessions() as session:
        entry = session.scalars(select(HistoryEntry).where(HistoryEntry.artefact_id == artefact_id)
                                .order_by(HistoryEntry.sequence.desc())).first()
    assert (entry.trigger, entry.fields["file_name"], entry.fields["sections"]) == (
        "edit_sections", "Положение о ВСОКО.docx", 6)


def test_a_file_changed_after_the_preview_or_a_stale_version_stores_nothing(rt, school, client):
    artefact_id = draft(rt, school)
    login(client, "deputy")
    edit = f"/artefacts/{artefact_id}/sections"
    page = post_files(client, f"{edit}/upload", {"file": (word_file(), "Положение.docx")}, edit).get_data(as_text=True)
    hidden = dict(re.findall(r'<input type="hidden" name="([a-z_0-9]+)" value="([^"]*)"', page))
    forged = client.post(f"{edit}/upload/save", data={**hidden, "file_name": "Другой.docx"})
    assert forged.status_code == 422 and "изменён: загрузите его ещё раз" in forged.get_data(as_text=True)
    stale = client.post(f"{edit}/upload/save", data={**hidden, "version": "99"})
    assert stale.status_code == 409
    with rt.sessions() as session:
        assert [s.number for s in session.get(Artefact, artefact_id).sections] == ["1."]


def test_a_refused_file_is_said_on_the_text_page(rt, school, client):
    artefact_id = draft(rt, school)
    login(client, "deputy")
    edit = f"/artefacts/{artefact_id}/sections"
    refused = post_files(client, f"{edit}/upload", {"file": (b"%PDF-1.4", "скан.pdf")}, edit)
    assert refused.status_code == 422
    assert "Файл не принят: Загрузите текст как документ Word (.docx)" in refused.get_data(as_text=True)


def test_the_api_previews_and_stores_the_text_of_a_word_file(rt, school, api):
    artefact_id = draft(rt, school)
    version = show_artefact(rt, artefact_id, school["deputy"])["version"]
    files = {"file": (io.BytesIO(word_file()), "Положение.docx")}
    preview = api.ok("POST", f"/artefacts/{artefact_id}/sections/import?preview=true", "deputy", data=files)
    assert preview["preview"] is True and preview["version"] == version
    assert numbers_and_texts(preview["sections"]) == EXPECTED and preview["skipped"] == HEAD
    assert [s["number"] for s in show_artefact(rt, artefact_id, school["deputy"])["sections"]] == ["1."]
    stored = api.ok("POST", f"/artefacts/{artefact_id}/sections/import", "deputy",
                    data={"file": (io.BytesIO(word_file()), "Положение.docx"), "version": str(version)})
    assert stored["preview"] is False and stored["version"] == version + 1
    assert numbers_and_texts(show_artefact(rt, artefact_id, school["deputy"])["sections"]) == EXPECTED
    stale = api.error("POST", f"/artefacts/{artefact_id}/sections/import", "deputy", 409,
                      data={"file": (io.BytesIO(word_file()), "Положение.docx"), "version": str(version)})
    assert "Документ уже изменён" in stale["message"]
