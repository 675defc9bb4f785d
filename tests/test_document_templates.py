"""The .docx templates in document_templates/: valid, declared, renderable, safe."""

from __future__ import annotations

import copy
import re
import sys
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
import segno
import yaml
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "document_templates"
NAMES = [
    "polozhenie", "order_approval", "acquaintance_sheet", "opinion_request", "protocol_extract",
    "plan_table", "execution_report", "analytic_report", "meeting_protocol",
]
# A4 landscape: wide tables of plans and their execution reports.
LANDSCAPE = {"plan_table", "execution_report"}

ESIGN = "ДОКУМЕНТ ПОДПИСАН ЭЛЕКТРОННОЙ ПОДПИСЬЮ"
NASTY = "Рога & Копыта <ООО>"
VERIFY_URL = "https://vsoko.example.ru/verify/7f3a9c1e"


def env() -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(autoescape=True)


# --------------------------------------------------------------------------- contexts

def common() -> dict:
    return {
        "org_full_name": "Муниципальное бюджетное общеобразовательное учреждение "
        "«Средняя общеобразовательная школа № 29»",
        "org_short_name": "МБОУ СОШ № 29",
        "org_city": "г. Курск",
        "org_address": "305000, г. Курск, ул. Ленина, д. 29",
        "org_phone": "8 (4712) 51-00-29",
        "org_email": "school29@kursk.example",
        "verify_url": VERIFY_URL,
        "signer": {
            "position": "Директор",
            "initials_surname": "М.Б. Светлова",
        },
    }


SAMPLES: dict[str, dict] = {
    "polozhenie": {
        "is_draft": False,
        "title": "Положение о внутренней системе оценки качества образования",
        "edition_note": "(в новой редакции)",
        "council_grif": {
            "body_instrumental": "Педагогическим советом",
            "protocol_date": "31.03.2025",
            "protocol_number": "10",
        },
        "approval_grif": {"order_date": "03.04.2025", "order_number": "Ш29-13-291/5"},
        "opinions": [
            {"body_genitive": "Совета обучающихся", "protocol_date": "28.03.2025", "protocol_number": "3"},
            {"body_genitive": "Совета родителей", "protocol_date": "27.03.2025", "protocol_number": "4"},
        ],
        "sections": [
            {"number": "1.", "text": "Общие положения", "level": 1},
            {
                "number": "1.1.",
                "text": "Настоящее положение о внутренней системе оценки качества образования "
                "(далее – ВСОКО) разработано в соответствии с Федеральным законом от 29.12.2012 "
                "№ 273-ФЗ «Об образовании в Российской Федерации».",
                "level": 2,
            },
            {"number": "1.2.", "text": "Положение определяет цели, задачи и принципы ВСОКО.", "level": 2},
            {"number": "2.", "text": "Организация ВСОКО", "level": 1},
            {"number": "2.1.", "text": "Оценка качества образования проводится ежегодно.", "level": 2},
        ],
    },
    "order_approval": {
        "order_date": "03.04.2025",
        "order_number": "Ш29-13-291/5",
        "heading": "Об утверждении Положения о внутренней системе оценки качества образования",
        "preamble": "В соответствии с пунктом 13 части 3 статьи 28 Федерального закона от 29.12.2012 "
        "№ 273-ФЗ «Об образовании в Российской Федерации», с учётом мнения Совета обучающихся,",
        "items": [
            "Утвердить Положение о внутренней системе оценки качества образования (приложение).",
            "Назначить ответственным за функционирование ВСОКО заместителя директора по УВР "
            "Иванову И.И.",
            "Признать утратившим силу приказ от 01.09.2023 № Ш29-13-100/1.",
            "Контроль за исполнением приказа оставляю за собой.",
        ],
        "attachments": ["Положение о внутренней системе оценки качества образования на 12 л. в 1 экз."],
    },
    "acquaintance_sheet": {
        "subject": "с Положением о внутренней системе оценки качества образования, утверждённым "
        "приказом от 03.04.2025 № Ш29-13-291/5",
        "people": [
            {"n": 1, "name": "Иванова Ирина Игоревна", "position": "Заместитель директора по УВР"},
            {"n": 2, "name": "Петров Сергей Иванович", "position": "Учитель русского языка"},
            {"n": 3, "name": "Гриценко Ольга Петровна", "position": "Педагог-психолог"},
        ],
    },
    "opinion_request": {
        "request_date": "20.03.2025",
        "outgoing_number": "41",
        "executor": "Исп. Иванова И.И., тел. 8 (3462) 52-00-29",
        "addressee": "Председателю Совета обучающихся",
        "body_genitive": "Совета обучающихся",
        "act_title_genitive": "Положения о внутренней системе оценки качества образования",
        "response_deadline": "27.03.2025",
        "legal_basis": "частью 3 статьи 30 Федерального закона от 29.12.2012 № 273-ФЗ "
        "«Об образовании в Российской Федерации»",
    },
    "protocol_extract": {
        "protocol_heading": "заседания педагогического совета",
        "protocol_date": "31.03.2025",
        "protocol_number": "10",
        "chair": "М.Б. Светлова",
        "secretary": "О.П. Гриценко",
        "present": 23,
        "agenda_number": 2,
        "agenda_item": "О принятии Положения о внутренней системе оценки качества образования "
        "в новой редакции.",
        "heard": "Иванову И.И., заместителя директора по УВР, о проекте Положения.",
        "decision": "Принять Положение о внутренней системе оценки качества образования в новой "
        "редакции.",
        "votes_for": 21,
        "votes_against": 0,
        "votes_abstained": 2,
        "certifier": {"position": "Секретарь педагогического совета", "initials_surname": "О.П. Гриценко"},
        "certified_date": "01.04.2025",
    },
}


PLAN_COLUMNS = [
    ("object", "Объект/предмет ВСОКО", 11),
    ("criteria", "Критерии оценки качества образования", 11),
    ("indicators", "Показатели оценки качества образования", 13),
    ("responsible", "Ответственный", 8),
    ("deadline", "Сроки", 6),
    ("document_format", "Формат документа", 8),
]


def plan_item_row(number: str, *texts: str) -> dict:
    cells = [
        {"key": key, "text": text, "lines": text.split("\n") or [""], "span": span}
        for (key, _, span), text in zip(PLAN_COLUMNS, texts)
    ]
    return {"section": False, "number": number, "cells": cells}


def stat(count: int, percent: str) -> dict:
    return {"count": count, "percent": percent}


SAMPLES.update({
    "plan_table": {
        "plan_title": "План функционирования внутренней системы оценки качества образования "
        "на 2024/2025 учебный год",
        "is_draft": False,
        "council_grif": {
            "body_instrumental": "Педагогическим советом",
            "protocol_date": "29.08.2024",
            "protocol_number": "1",
        },
        "approval_grif": {"word": "УТВЕРЖДЁН", "order_date": "30.08.2024", "order_number": "Ш29-13-140/5"},
        "columns": [{"key": key, "title": title, "span": span} for key, title, span in PLAN_COLUMNS],
        "row_span": 60,
        "rows": [
            {"section": True, "number": "1.", "title": "Качество образовательных результатов",
             "text": "1. Качество образовательных результатов"},
            plan_item_row(
                "1.1", "Предметные результаты обучения",
                "Статистические данные: качество обучения, успеваемость;\nСравнительный анализ",
                "Доля обучающихся, подтвердивших промежуточную аттестацию", "Заместитель директора по УВР",
                "Декабрь, июнь", "Аналитическая справка",
            ),
            {"section": True, "number": "2.", "title": "Качество условий", "text": "2. Качество условий"},
            plan_item_row(
                "2.1", "Кадровые условия", "Соответствие требованиям ФГОС", "Доля педагогов с категорией",
                "Директор", "Согласно ВШК", "Статистический отчёт",
            ),
        ],
    },
    "execution_report": {
        "heading": "об исполнении плана функционирования внутренней системы оценки качества "
        "образования на 2024/2025 учебный год",
        "report_date": "30.06.2025",
        "rows": [
            {"section": True, "text": "1. Качество образовательных результатов"},
            {
                "section": False, "n": 1, "title": "1.1 Предметные результаты обучения",
                "due": "31.12.2024", "responsible": ["Иванова И.И."], "status": "Принято",
                "result": ["Проведён анализ", "Справка на совещании"], "evidence": ["материалов: 2"],
                "mark": "в срок", "executed_on": "20.12.2024",
            },
            {
                "section": False, "n": 2, "title": "1.2 Индивидуальные достижения",
                "due": "по графику: Согласно ВШК", "responsible": ["Кузнецов Д.О.", "ИМЦ"],
                "status": "Запланировано", "result": ["—"], "evidence": ["—"],
                "mark": "не исполнено", "executed_on": "",
            },
        ],
        "summary": ["Всего на контроле 2 пункта; принято 1 (в срок — 1, с опозданием — 0); "
                    "не исполнено — 1; отменено — 0."],
    },
    "analytic_report": {
        "heading": "по итогам исполнения плана функционирования внутренней системы оценки качества "
        "образования на 2024/2025 учебный год",
        "report_date": "30.06.2025",
        "intro": "На контроле по плану находилось 3 пункта (с учётом повторяющихся сроков исполнения) "
        "в 1 разделе.",
        "sections": [
            {"title": "1. Качество образовательных результатов", "total": 3,
             "accepted": stat(2, "66,7 %"), "on_time": stat(1, "33,3 %"), "late": stat(1, "33,3 %"),
             "not_executed": stat(1, "33,3 %"), "cancelled": stat(0, "0,0 %")},
        ],
        "totals": {"title": "Итого", "total": 3,
                   "accepted": stat(2, "66,7 %"), "on_time": stat(1, "33,3 %"), "late": stat(1, "33,3 %"),
                   "not_executed": stat(1, "33,3 %"), "cancelled": stat(0, "0,0 %")},
        "conclusions": ["Выполнено в срок 1 из 3 пунктов (33,3 %)."],
    },
    "meeting_protocol": {
        "protocol_heading": "заседания педагогического совета",
        "protocol_date": "29.08.2024",
        "protocol_number": "1",
        "present": 23,
        "chair": "М.Б. Светлова",
        "secretary": "А.С. Петрова",
        "agenda": [
            {
                "number": "1", "title": "О плане функционирования ВСОКО на 2024/2025 учебный год.",
                "heard": ["Иванову И.И., заместителя директора по УВР, о проекте плана."],
                "spoke": ["Смирнов А.В. предложил дополнить план."],
                "decisions": [{"number": "1.1.", "text": "Принять план.", "deadline_text": "",
                               "responsible_text": ""}],
                "has_votes": True, "votes_for": 21, "votes_against": 0, "votes_abstained": 2,
            },
        ],
    },
})


def context(name: str, **overrides) -> dict:
    ctx = common()
    ctx.update(copy.deepcopy(SAMPLES[name]))
    ctx.update(overrides)
    return ctx


# --------------------------------------------------------------------------- helpers


def qr_png(url: str) -> bytes:
    buffer = BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=10, border=4)
    return buffer.getvalue()


def render(name: str, ctx: dict) -> bytes:
    tpl = DocxTemplate(TEMPLATES / f"{name}.docx")
    full = dict(ctx)
    full["qr"] = InlineImage(tpl, BytesIO(qr_png(ctx["verify_url"])), width=Mm(22))
    tpl.render(full, env())
    out = BytesIO()
    tpl.save(out)
    return out.getvalue()


def paragraphs(docx_bytes: bytes) -> list[str]:
    """Text of every paragraph: body, table cells (nested, floating), in document order."""
    doc = Document(BytesIO(docx_bytes))
    texts = []
    for p in doc.element.body.iter(qn("w:p")):
        texts.append("".join(t.text or "" for t in p.iter(qn("w:t"))))
    return texts


def full_text(docx_bytes: bytes) -> str:
    return "\n".join(paragraphs(docx_bytes))


def side_file(name: str) -> dict:
    return yaml.safe_load((TEMPLATES / f"{name}.yaml").read_text(encoding="utf-8"))


def check_structure(docx_bytes: bytes) -> None:
    """What Word insists on and we cannot see without Word: every cell ends with a
    paragraph, the body ends with a paragraph, no template tags are left over."""
    doc = Document(BytesIO(docx_bytes))
    body = doc.element.body
    for tc in body.iter(qn("w:tc")):
        content = [child for child in tc if child.tag != qn("w:tcPr")]
        assert content and content[-1].tag == qn("w:p"), "a table cell must end with a paragraph"
    blocks = [child for child in body if child.tag != qn("w:sectPr")]
    assert blocks[-1].tag == qn("w:p")
    text = full_text(docx_bytes)
    for marker in ("{{", "}}", "{%", "%}"):
        assert marker not in text


# --------------------------------------------------------------------------- declarations


@pytest.mark.parametrize("name", NAMES)
def test_template_is_a_valid_docx(name):
    path = TEMPLATES / f"{name}.docx"
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        assert "word/document.xml" in zf.namelist()
    doc = Document(path)
    section = doc.sections[0]
    width, height = (Mm(297), Mm(210)) if name in LANDSCAPE else (Mm(210), Mm(297))
    assert abs(section.page_width - width) < Mm(1) and abs(section.page_height - height) < Mm(1)
    assert abs(section.left_margin - Mm(30)) < Mm(0.5)
    assert Mm(10) - Mm(0.5) <= section.right_margin <= Mm(15) + Mm(0.5)
    assert abs(section.top_margin - Mm(20)) < Mm(0.5)
    assert abs(section.bottom_margin - Mm(20)) < Mm(0.5)
    normal = doc.styles["Normal"].font
    assert normal.name == "Times New Roman"
    assert normal.size.pt == 14


@pytest.mark.parametrize("name", NAMES)
def test_side_file_declares_exactly_the_template_variables(name):
    meta = side_file(name)
    assert {"name", "title", "file_name", "variables"} <= set(meta) <= {
        "name", "title", "file_name", "variables", "signers", "sign_within_working_days"}
    assert meta["name"] == name
    assert meta["title"] and isinstance(meta["title"], str)
    used = DocxTemplate(TEMPLATES / f"{name}.docx").get_undeclared_template_variables(env())
    declared = set(meta["variables"])
    assert len(declared) == len(meta["variables"]), "duplicate variable"
    assert used <= declared
    assert declared <= used


@pytest.mark.parametrize("name", NAMES)
def test_side_file_name_renders_from_the_context(name):
    meta = side_file(name)
    file_name = ImmutableSandboxedEnvironment().from_string(meta["file_name"]).render(context(name))
    assert file_name.endswith(".docx")
    assert "{" not in file_name and file_name.strip() != ".docx"


def test_file_name_examples():
    sandbox = ImmutableSandboxedEnvironment()
    order = sandbox.from_string(side_file("order_approval")["file_name"]).render(context("order_approval"))
    assert order == "Приказ от 03.04.2025 № Ш29-13-291/5.docx"
    extract = sandbox.from_string(side_file("protocol_extract")["file_name"]).render(
        context("protocol_extract")
    )
    assert extract == "Выписка из протокола от 31.03.2025 № 10, вопрос 2.docx"  # the question it extracts


# --------------------------------------------------------------------------- rendering


@pytest.mark.parametrize("name", NAMES)
def test_renders_with_qr_image_and_verify_url(name):
    data = render(name, context(name))
    check_structure(data)
    text = full_text(data)
    assert context(name)["org_full_name"] in text
    assert f"Проверить подлинность: {VERIFY_URL}" in text
    with zipfile.ZipFile(BytesIO(data)) as zf:
        media = [n for n in zf.namelist() if n.startswith("word/media/")]
        assert media, "the QR image part is missing"
        assert zf.read(media[0])[:8] == b"\x89PNG\r\n\x1a\n"
        document_xml = zf.read("word/document.xml").decode("utf-8")
    assert "<w:drawing>" in document_xml or "<w:drawing " in document_xml
    # the picture is referenced from the document
    rels = Document(BytesIO(data)).part.rels.values()
    assert any(rel.reltype.endswith("/image") for rel in rels)


SIGNERS = {
    "polozhenie": ["director"], "order_approval": ["director"], "opinion_request": ["director"],
    "protocol_extract": ["certifier"], "plan_table": ["director"], "execution_report": ["actor"],
    "analytic_report": ["actor"], "meeting_protocol": ["chair", "secretary"], "acquaintance_sheet": [],
}


@pytest.mark.parametrize("name", NAMES)
def test_no_template_prints_an_esign_mark(name):
    """A certificate on file is not a signature: what a template renders never carries the mark,
    even when the data of a certificate is offered to it."""
    ctx = context(name)
    ctx["signer"] = {**ctx["signer"], "certificate": {"serial": "0090", "owner": "Светлова Марина Борисовна",
                                                      "valid_from": "27.08.2024", "valid_to": "20.11.2025"}}
    data = render(name, ctx)
    check_structure(data)
    text = full_text(data)
    assert ESIGN not in text and "Владелец:" not in text and "Сертификат:" not in text


@pytest.mark.parametrize("name", NAMES)
def test_each_signer_has_a_place_of_signature(name):
    """The side file names who signs, and the rendered document keeps a bookmark where each mark goes."""
    assert side_file(name).get("signers", []) == SIGNERS[name]
    with zipfile.ZipFile(BytesIO(render(name, context(name)))) as package:
        xml = package.read("word/document.xml").decode("utf-8")
    assert sorted(set(re.findall(r'w:name="vsoko_sign_(\w+)"', xml))) == sorted(SIGNERS[name])


def test_acquaintance_sheet_has_no_esign_mark():
    assert ESIGN not in full_text(render("acquaintance_sheet", context("acquaintance_sheet")))


@pytest.mark.parametrize("name", NAMES)
def test_special_characters_are_escaped_and_nothing_is_lost(name):
    data = render(name, context(name, org_full_name=f"ООО «{NASTY}»"))
    check_structure(data)
    texts = paragraphs(data)
    index = next(i for i, t in enumerate(texts) if NASTY in t)
    assert texts[index] == f"ООО «{NASTY}»"
    # the requisite right after the organisation name is still there
    following = [t for t in texts[index + 1 :] if t.strip()]
    expected_next = {
        "polozhenie": "СОГЛАСОВАНО",
        "order_approval": "ПРИКАЗ",
        "acquaintance_sheet": "ЛИСТ ОЗНАКОМЛЕНИЯ",
        "opinion_request": "305000, г. Курск, ул. Ленина, д. 29",
        "protocol_extract": "ВЫПИСКА ИЗ ПРОТОКОЛА",
        "plan_table": "СОГЛАСОВАНО",
        "execution_report": "ОТЧЁТ",
        "analytic_report": "АНАЛИТИЧЕСКАЯ СПРАВКА",
        "meeting_protocol": "ПРОТОКОЛ",
    }[name]
    assert following[0] == expected_next


def test_markup_in_a_value_is_text_not_formatting():
    evil = '</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>жирный'
    data = render("order_approval", context("order_approval", heading=evil))
    check_structure(data)
    assert evil in paragraphs(data)


# --------------------------------------------------------------------------- polozhenie


def test_polozhenie_grifs_title_and_sections():
    data = render("polozhenie", context("polozhenie"))
    texts = paragraphs(data)
    text = "\n".join(texts)
    for expected in [
        "СОГЛАСОВАНО",
        "Педагогическим советом",
        "МБОУ СОШ № 29",
        "(протокол от 31.03.2025 № 10)",
        "Принято с учётом мнения Совета обучающихся (протокол от 28.03.2025 № 3)",
        "Принято с учётом мнения Совета родителей (протокол от 27.03.2025 № 4)",
        "УТВЕРЖДЕНО",
        "приказом МБОУ СОШ № 29",
        "от 03.04.2025 № Ш29-13-291/5",
        "ПОЛОЖЕНИЕ",
        "о внутренней системе оценки качества образования",
        "(в новой редакции)",
        "1. Общие положения",
        "2. Организация ВСОКО",
        "2.1. Оценка качества образования проводится ежегодно.",
    ]:
        assert expected in texts, expected
    assert "ПРОЕКТ" not in texts
    # the place of the director's signature stands under the approval grif
    assert ESIGN not in texts
    with zipfile.ZipFile(BytesIO(data)) as package:
        xml = package.read("word/document.xml").decode("utf-8")
    assert xml.index("УТВЕРЖДЕНО") < xml.index('w:name="vsoko_sign_director"') < xml.index(">ПОЛОЖЕНИЕ<")
    assert text.count("Положение о внутренней") == 0  # the title is split: ПОЛОЖЕНИЕ / о …

    doc = Document(BytesIO(data))
    by_text = {p.text: p for p in doc.paragraphs}
    heading = by_text["1. Общие положения"]
    assert heading.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert all(run.bold for run in heading.runs if run.text.strip())
    clause = by_text["1.2. Положение определяет цели, задачи и принципы ВСОКО."]
    assert clause.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    assert abs(clause.paragraph_format.first_line_indent - Cm(1.25)) < Mm(0.5)
    title = by_text["ПОЛОЖЕНИЕ"]
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER and title.runs[0].bold


def test_polozhenie_draft_has_no_approval_grif():
    data = render(
        "polozhenie",
        context("polozhenie", is_draft=True, council_grif=None, opinions=[], edition_note=""),
    )
    check_structure(data)
    texts = paragraphs(data)
    assert "ПРОЕКТ" in texts
    assert "УТВЕРЖДЕНО" not in texts and "СОГЛАСОВАНО" not in texts
    assert ESIGN not in texts  # no approval, so no signature mark
    assert "(в новой редакции)" not in texts
    assert "о внутренней системе оценки качества образования" in texts


def test_polozhenie_without_approval_grif_and_lowercase_title():
    data = render(
        "polozhenie",
        context(
            "polozhenie",
            approval_grif=None,
            title="положение о рабочей группе по ВСОКО",
        ),
    )
    check_structure(data)
    texts = paragraphs(data)
    assert "УТВЕРЖДЕНО" not in texts and "ПРОЕКТ" not in texts and ESIGN not in texts
    assert "о рабочей группе по ВСОКО" in texts


# --------------------------------------------------------------------------- order


def test_order_requisites_items_and_attachment():
    data = render("order_approval", context("order_approval"))
    texts = paragraphs(data)
    for expected in [
        "ПРИКАЗ",
        "03.04.2025",
        "№ Ш29-13-291/5",
        "г. Курск",
        "Об утверждении Положения о внутренней системе оценки качества образования",
        "1. Утвердить Положение о внутренней системе оценки качества образования (приложение).",
        "2. Назначить ответственным за функционирование ВСОКО заместителя директора по УВР Иванову И.И.",
        "4. Контроль за исполнением приказа оставляю за собой.",
        "Приложение: Положение о внутренней системе оценки качества образования на 12 л. в 1 экз.",
        "Директор",
        "М.Б. Светлова",
    ]:
        assert expected in texts, expected
    preamble = next(t for t in texts if t.startswith("В соответствии с"))
    assert preamble.endswith("с учётом мнения Совета обучающихся, приказываю:")
    assert ",," not in preamble
    # ГОСТ order of requisites
    order = [texts.index(t) for t in ["ПРИКАЗ", "03.04.2025", "г. Курск", preamble, "Директор"]]
    assert order == sorted(order)
    assert texts.index("4. Контроль за исполнением приказа оставляю за собой.") < texts.index("Директор")


@pytest.mark.parametrize(
    "preamble",
    [
        "В соответствии с Уставом МБОУ СОШ № 29,",
        "В соответствии с Уставом МБОУ СОШ № 29",
        "В соответствии с Уставом МБОУ СОШ № 29.",
        "  В соответствии с Уставом МБОУ СОШ № 29 , ",
    ],
)
def test_order_preamble_reads_comma_prikazyvayu(preamble):
    texts = paragraphs(render("order_approval", context("order_approval", preamble=preamble)))
    assert "В соответствии с Уставом МБОУ СОШ № 29, приказываю:" in texts


def test_order_without_and_with_several_attachments():
    none = paragraphs(render("order_approval", context("order_approval", attachments=[])))
    assert not any(t.startswith("Приложение") for t in none)
    assert "4. Контроль за исполнением приказа оставляю за собой." in none

    several = paragraphs(
        render(
            "order_approval",
            context("order_approval", attachments=["Положение о ВСОКО на 12 л.", "План ВСОКО на 5 л."]),
        )
    )
    assert "Приложение:" in several
    assert "1. Положение о ВСОКО на 12 л." in several
    assert "2. План ВСОКО на 5 л." in several


def test_order_item_with_special_characters_keeps_next_item():
    items = [f"Заключить договор с {NASTY}.", "Контроль за исполнением приказа оставляю за собой."]
    texts = paragraphs(render("order_approval", context("order_approval", items=items)))
    assert f"1. Заключить договор с {NASTY}." in texts
    assert "2. Контроль за исполнением приказа оставляю за собой." in texts


def test_order_signature_block_names_the_signer():
    texts = paragraphs(render("order_approval", context("order_approval")))
    assert "Директор" in texts and "М.Б. Светлова" in texts


# --------------------------------------------------------------------------- acquaintance sheet


def test_acquaintance_sheet_table():
    ctx = context("acquaintance_sheet")
    data = render("acquaintance_sheet", ctx)
    texts = paragraphs(data)
    assert "ЛИСТ ОЗНАКОМЛЕНИЯ" in texts
    assert ctx["subject"] in texts
    doc = Document(BytesIO(data))
    sheet = next(t for t in doc.tables if t.rows[0].cells[0].text == "№")
    assert [c.text for c in sheet.rows[0].cells] == ["№", "Ф.И.О.", "Должность", "Дата", "Подпись"]
    assert len(sheet.rows) == 1 + len(ctx["people"])
    rows = [[c.text for c in row.cells] for row in sheet.rows[1:]]
    assert rows[0] == ["1", "Иванова Ирина Игоревна", "Заместитель директора по УВР", "", ""]
    assert rows[2] == ["3", "Гриценко Ольга Петровна", "Педагог-психолог", "", ""]


def test_acquaintance_sheet_with_nobody():
    data = render("acquaintance_sheet", context("acquaintance_sheet", people=[]))
    check_structure(data)
    doc = Document(BytesIO(data))
    sheet = next(t for t in doc.tables if t.rows[0].cells[0].text == "№")
    assert len(sheet.rows) == 1


# --------------------------------------------------------------------------- opinion request


def test_opinion_request_text():
    texts = paragraphs(render("opinion_request", context("opinion_request")))
    text = "\n".join(texts)
    assert "Председателю Совета обучающихся" in texts
    assert "20.03.2025 № 41" in texts  # the date and the outgoing number
    assert "О направлении проекта локального нормативного акта для учёта мнения" in texts
    assert (
        "В соответствии с частью 3 статьи 30 Федерального закона от 29.12.2012 № 273-ФЗ "
        "«Об образовании в Российской Федерации» направляем проект "
        "Положения о внутренней системе оценки качества образования для учёта мнения Совета обучающихся."
        in texts
    )
    assert "мотивированное мнение" in text and "в срок до 27.03.2025" in text
    assert "Приложение: проект Положения о внутренней системе оценки качества образования." in texts
    # Requisites of an outgoing letter (ГОСТ Р 7.0.97): the school's address, phone and e-mail, the
    # outgoing number with the date, and who prepared it.
    for requisite in ("305000, г. Курск, ул. Ленина, д. 29", "тел. 8 (4712) 51-00-29, e-mail: school29@kursk.example",
                      "20.03.2025 № 41", "Исп. Иванова И.И., тел. 8 (3462) 52-00-29"):
        assert requisite in texts, requisite


# --------------------------------------------------------------------------- protocol extract


def test_protocol_extract_text():
    texts = paragraphs(render("protocol_extract", context("protocol_extract")))
    for expected in [
        "ВЫПИСКА ИЗ ПРОТОКОЛА",
        "заседания педагогического совета",
        "31.03.2025",
        "№ 10",
        "г. Курск",
        "Председатель — М.Б. Светлова",
        "Секретарь — О.П. Гриценко",
        "Присутствовали: 23 человека",
        "ПОВЕСТКА ДНЯ:",
        "2. О принятии Положения о внутренней системе оценки качества образования в новой редакции.",
        "СЛУШАЛИ: Иванову И.И., заместителя директора по УВР, о проекте Положения.",
        "РЕШИЛИ: Принять Положение о внутренней системе оценки качества образования в новой редакции.",
        "Голосовали: «за» — 21, «против» — 0, «воздержались» — 2",
        "Верно",
        "Секретарь педагогического совета",
        "О.П. Гриценко",
        "01.04.2025",
    ]:
        assert expected in texts, expected
    assert texts.index("СЛУШАЛИ: Иванову И.И., заместителя директора по УВР, о проекте Положения.") < (
        texts.index("Верно")
    )


@pytest.mark.parametrize(
    ("present", "phrase"),
    [
        (1, "1 человек"),
        (2, "2 человека"),
        (4, "4 человека"),
        (5, "5 человек"),
        (12, "12 человек"),
        (21, "21 человек"),
        (22, "22 человека"),
        (25, "25 человек"),
        (113, "113 человек"),
    ],
)
def test_protocol_extract_people_count(present, phrase):
    texts = paragraphs(render("protocol_extract", context("protocol_extract", present=present)))
    assert f"Присутствовали: {phrase}" in texts


def test_protocol_extract_has_a_line_for_the_handwritten_signature():
    texts = paragraphs(render("protocol_extract", context("protocol_extract")))
    assert "Верно" in texts
    assert any(t.strip("_") == "" and "_" in t for t in texts)


# --------------------------------------------------------------------------- build script


def test_build_script_reproduces_the_committed_templates(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_templates", ROOT / "tools" / "build_templates.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "build_templates", module)
    spec.loader.exec_module(module)
    module.build_all(tmp_path)
    for name in NAMES:
        yaml_name = f"{name}.yaml"
        assert (tmp_path / yaml_name).read_text(encoding="utf-8") == (TEMPLATES / yaml_name).read_text(
            encoding="utf-8"
        ), f"{yaml_name} is out of date: run tools/build_templates.py"
        with zipfile.ZipFile(tmp_path / f"{name}.docx") as built, zipfile.ZipFile(
            TEMPLATES / f"{name}.docx"
        ) as committed:
            assert built.read("word/document.xml") == committed.read("word/document.xml"), (
                f"{name}.docx is out of date: run tools/build_templates.py"
            )
