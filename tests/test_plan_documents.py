"""Plan documents through the real engine: the plan table (draft and approved), the order that
approves it, the execution report and the analytical справка; and the full meeting protocol.

A ВСОКО plan (seed 001 §7 columns) is written straight into the database, then driven by
`fire_transition`: send_to_council → adopt → approve (control items created) → executors
report and the deputy accepts, returns or cancels through the control_item workflow → close.
Every .docx produced is read back with python-docx.
"""
from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from sqlalchemy import event, select

from vsoko_flow.config import PROJECT_ROOT, Settings
from vsoko_flow.db import transaction
from vsoko_flow.deadlines.phrases import parse_deadline
from vsoko_flow.documents.render import TemplateCatalog, render_docx
from vsoko_flow.engine.context import TransitionContext
from vsoko_flow.procedures.common import base_context, lines, percent
from vsoko_flow.procedures.control import outcome
from vsoko_flow.procedures.meetings import meeting_protocol
from vsoko_flow.procedures.plans import analytic_report, column_spans, execution_report
from vsoko_flow.models import Artefact, ArtefactAssignee, Evidence, Membership, PlanItem, PlanSection, StoredDocument
from vsoko_flow.services.transitions import fire_transition

WIP_PLAN_WORKFLOW = Path("/tmp/wip/vsoko_plan.yaml")
ESIGN = "ДОКУМЕНТ ПОДПИСАН ЭЛЕКТРОННОЙ ПОДПИСЬЮ"
YEAR = "2024/2025"
TITLE = "План функционирования внутренней системы оценки качества образования"
FULL_TITLE = f"{TITLE} на {YEAR} учебный год"

COUNCIL_DAY = dt.date(2024, 8, 29)
ORDER_DAY = dt.date(2024, 8, 30)
REPORT_DAY = dt.date(2025, 6, 30)

# The demo people on control, as the printed plan names them.
CONTROLLED = {"deputy": "Иванова И.И.", "psychologist": "Орлова Е.А.", "teacher": "Кузнецов Д.О.",
              "mo_head": "Смирнов А.В."}
# (number, title, items: (number, object, criteria, indicators, responsible text, logins, external, deadline, format))
PLAN = [
    ("1.", "Качество образовательных результатов", [
        ("1.1", "Предметные результаты освоения ООП", "Статистические данные: качество обучения, успеваемость;\n"
         "Сравнительный анализ внешней и внутренней оценки", "Доля обучающихся, подтвердивших отметки по ВПР",
         "Заместитель директора по УВР", ["deputy"], [], "Декабрь, июнь", "Аналитическая справка"),
        ("1.2", "Готовность первоклассников к обучению", "Уровень готовности", "Доля первоклассников с высоким "
         "уровнем готовности", "Педагог-психолог", ["psychologist"], [], "Сентябрь", "Справка"),
        ("1.3", "Индивидуальные достижения обучающихся", "Участие в олимпиадах", "Количество призёров ВСОШ",
         "Учитель физики, ИМЦ", ["teacher"], ["ИМЦ"], "Согласно ВШК", "Статистический отчёт"),
    ]),
    ("2.", "Качество условий, обеспечивающих образовательную деятельность", [
        ("2.1", "Учебно-методические условия", "Обеспеченность учебниками", "Доля обучающихся, обеспеченных "
         "учебниками", "Учитель физики", ["teacher"], [], "Май", "Статистический отчёт"),
        ("2.2", "Кадровые условия", "Квалификация педагогов", "Доля педагогов с категорией",
         "Заместитель директора по УВР", ["deputy"], [], "Октябрь", "Аналитическая справка"),
        ("2.3", "Материально-технические условия", "Соответствие ФГОС", "Соблюдение санитарных норм & <правил>",
         "Педагог-психолог", ["psychologist"], [], "Апрель", "Анализ"),
    ]),
    ("3.", "Качество реализации образовательного процесса", [
        ("3.1", "Рабочие программы учебных предметов", "Соответствие ФГОС", "Выполнение рабочих программ",
         "Руководители МО", ["mo_head"], [], "В течение года", "Протокол МО"),
        ("3.2", "Удовлетворённость родителей", "Анкетирование", "Доля удовлетворённых родителей",
         "Педагог-психолог", ["psychologist"], [], "Август", "Анализ анкет"),
    ]),
]


# --------------------------------------------------------------------------- fixtures


def plan_workflow() -> Path | None:
    committed = PROJECT_ROOT / "workflows" / "vsoko_plan.yaml"
    if committed.exists():
        return committed
    return WIP_PLAN_WORKFLOW if WIP_PLAN_WORKFLOW.exists() else None


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    source = plan_workflow()
    if source is None:
        pytest.skip("the vsoko_plan workflow is not available")
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    for path in (PROJECT_ROOT / "workflows").glob("*.yaml"):
        shutil.copy(path, workflows / path.name)
    shutil.copy(source, workflows / "vsoko_plan.yaml")
    return Settings(database_url=database_url, instance_dir=tmp_path / "instance", workflows_dir=workflows,
                    templates_dir=PROJECT_ROOT / "document_templates", base_url="https://vsoko.example")


def create_plan(rt, school) -> int:
    """The plan straight into the database: an artefact with its sections and items."""
    with transaction(rt.sessions) as session:
        plan = Artefact(kind="vsoko_plan", organisation_id=school.id, title=TITLE, state="draft",
                        school_year=YEAR, fields={}, author_id=school["deputy"])
        session.add(plan)
        session.flush()
        position = 0
        for s_index, (number, title, items) in enumerate(PLAN):
            section = PlanSection(artefact_id=plan.id, position=s_index, number=number, title=title)
            session.add(section)
            session.flush()
            for item_number, obj, criteria, indicators, responsible, logins, external, deadline, fmt in items:
                session.add(PlanItem(
                    artefact_id=plan.id, section_id=section.id, position=position, number=item_number,
                    fields={"object": obj, "criteria": criteria, "indicators": indicators,
                            "responsible": responsible, "deadline": deadline, "document_format": fmt},
                    responsible_text=responsible, responsible_logins=logins, external_executors=external,
                    deadline_text=deadline, schedule=parse_deadline(deadline, YEAR).to_dict()))
                position += 1
        return plan.id


def fire(rt, artefact_id: int, trigger: str, actor: int, day: dt.date, comment: str = "", **fields):
    return fire_transition(rt, artefact_id, trigger, actor, fields=fields, comment=comment, today=day)


def control_items(rt, plan_id: int) -> dict[tuple[str, dt.date | None], int]:
    """Control item ids by (plan item number, due date)."""
    with rt.sessions() as session:
        children = session.scalars(select(Artefact).where(Artefact.parent_id == plan_id)).all()
        return {(child.fields["item_number"], child.due_date): child.id for child in children}


def report(rt, item_id: int, actor: int, day: dt.date, result: str, links: str = ""):
    fields = {"result": result, "executed_on": day.isoformat()}
    if links:
        fields["links"] = links
    return fire(rt, item_id, "report", actor, day, **fields)


def accept(rt, school, item_id: int, day: dt.date):
    return fire(rt, item_id, "accept", school["deputy"], day, assessment="Исполнено")


@pytest.fixture
def lived_plan(rt, school):
    """The plan through its whole year; returns the plan id, the documents and the control item ids."""
    plan_id = create_plan(rt, school)
    docs: dict[str, list[dict]] = {}

    def keep(fired):
        for d in fired.documents:
            docs.setdefault(d["file_name"], []).append(d)
        return fired

    sent = keep(fire(rt, plan_id, "send_to_council", school["deputy"], dt.date(2024, 8, 26)))
    adopted = keep(fire(rt, plan_id, "adopt", school["secretary"], COUNCIL_DAY,
                        protocol_date=COUNCIL_DAY.isoformat(), present=30, votes_for=28, votes_against=0,
                        votes_abstained=2))
    approved = keep(fire(rt, plan_id, "approve", school["director"], ORDER_DAY,
                         order_date=ORDER_DAY.isoformat(), responsible="deputy"))
    items = control_items(rt, plan_id)
    assert len(items) == 9

    # 1.1 (December): on time; 1.1 (June): cancelled.
    report(rt, items["1.1", dt.date(2024, 12, 31)], school["deputy"], dt.date(2024, 12, 20),
           "Проведён анализ результатов за I полугодие\nСправка рассмотрена на совещании")
    accept(rt, school, items["1.1", dt.date(2024, 12, 31)], dt.date(2024, 12, 23))
    fire(rt, items["1.1", dt.date(2025, 6, 30)], "cancel", school["deputy"], dt.date(2025, 6, 1),
         comment="Анализ перенесён в отчёт о самообследовании")
    # 1.2 (September): reported late, returned once, then accepted.
    report(rt, items["1.2", dt.date(2024, 9, 30)], school["psychologist"], dt.date(2024, 10, 3), "Диагностика")
    fire(rt, items["1.2", dt.date(2024, 9, 30)], "return_for_rework", school["deputy"], dt.date(2024, 10, 4),
         comment="Добавьте выводы")
    report(rt, items["1.2", dt.date(2024, 9, 30)], school["psychologist"], dt.date(2024, 10, 7),
           "Диагностика проведена, выводы сделаны")
    accept(rt, school, items["1.2", dt.date(2024, 9, 30)], dt.date(2024, 10, 8))
    # 1.3 (no date: «Согласно ВШК»): accepted.
    report(rt, items["1.3", None], school["teacher"], dt.date(2025, 3, 15), "Олимпиада проведена")
    accept(rt, school, items["1.3", None], dt.date(2025, 3, 16))
    # 2.1 (May): on time, with evidence; 2.2 (October): late; 2.3 (April): not executed.
    report(rt, items["2.1", dt.date(2025, 5, 31)], school["teacher"], dt.date(2025, 5, 20),
           "Обеспеченность учебниками 100 %",
           links="https://school29.example/uchebniki\nhttps://school29.example/otchet")
    accept(rt, school, items["2.1", dt.date(2025, 5, 31)], dt.date(2025, 5, 21))
    report(rt, items["2.2", dt.date(2024, 10, 31)], school["deputy"], dt.date(2024, 11, 12), "Аттестация")
    accept(rt, school, items["2.2", dt.date(2024, 10, 31)], dt.date(2024, 11, 13))
    # 3.1 («В течение года»): reported, awaiting acceptance; 3.2 (August): not due yet.
    report(rt, items["3.1", dt.date(2025, 8, 31)], school["mo_head"], dt.date(2025, 6, 20), "Программы выполнены")
    with transaction(rt.sessions) as session:
        for name in ("uchebniki.pdf", "spravka.docx"):
            session.add(Evidence(artefact_id=items["2.1", dt.date(2025, 5, 31)], file_name=name, content=b"x",
                                 sha256="0" * 64, size=1, uploaded_by=school["teacher"]))

    closed = keep(fire(rt, plan_id, "close", school["deputy"], REPORT_DAY, report_date=REPORT_DAY.isoformat()))
    assert closed.warnings, "the open control items are reported as a warning"
    return {"plan_id": plan_id, "sent": sent, "adopted": adopted, "approved": approved, "closed": closed,
            "items": items}


# --------------------------------------------------------------------------- reading .docx back


def by_template(rt, fired, template: str) -> bytes:
    with rt.sessions() as session:
        ids = [d["id"] for d in fired.documents]
        docs = session.scalars(select(StoredDocument).where(StoredDocument.id.in_(ids),
                                                            StoredDocument.template_name == template)).all()
        assert len(docs) == 1, template
        return docs[0].content


def paragraphs(data: bytes) -> list[str]:
    doc = Document(io.BytesIO(data))
    return ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in doc.element.body.iter(qn("w:p"))]


def cell_text(tc) -> str:
    return "\n".join("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in tc.iter(qn("w:p")))


def rows_of(data: bytes, first_header: str) -> list[list[tuple[str, int]]]:
    """The rows of the table whose first cell reads *first_header*: [(text, grid span)] per real cell."""
    doc = Document(io.BytesIO(data))
    for table in doc.tables:
        trs = table._tbl.tr_lst
        if trs and cell_text(trs[0].tc_lst[0]) == first_header:
            return [[(cell_text(tc), tc.grid_span) for tc in tr.tc_lst] for tr in trs]
    raise AssertionError(f"no table starting with {first_header!r}")


def texts(row: list[tuple[str, int]]) -> list[str]:
    return [text for text, _ in row]


def check_landscape(data: bytes) -> None:
    section = Document(io.BytesIO(data)).sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert section.page_width > section.page_height


# --------------------------------------------------------------------------- the plan table


def test_draft_plan_is_marked_project(rt, lived_plan):
    data = by_template(rt, lived_plan["sent"], "plan_table")
    check_landscape(data)
    text = paragraphs(data)
    assert "ПРОЕКТ" in text
    assert "УТВЕРЖДЁН" not in text and "СОГЛАСОВАНО" not in text and ESIGN not in text
    assert FULL_TITLE in text


def test_approved_plan_has_grifs_columns_sections_and_every_item(rt, lived_plan):
    data = by_template(rt, lived_plan["approved"], "plan_table")
    check_landscape(data)
    text = paragraphs(data)
    with rt.sessions() as session:
        plan = session.get(Artefact, lived_plan["plan_id"])
        order_number, protocol_number = plan.fields["order_number"], plan.fields["protocol_number"]
    assert order_number and protocol_number
    for expected in ["УТВЕРЖДЁН", "приказом МБОУ СОШ № 29", f"от 30.08.2024 № {order_number}",
                     "СОГЛАСОВАНО", "Педагогическим советом", f"(протокол от 29.08.2024 № {protocol_number})",
                     FULL_TITLE, "Проверить подлинность: https://vsoko.example/verify/"]:
        assert any(t.startswith(expected) for t in text), expected
    assert "ПРОЕКТ" not in text
    assert ESIGN not in text  # stored unsigned; the mark goes on the printed copy of a signed plan
    assert text.index("УТВЕРЖДЁН") < text.index(FULL_TITLE)

    rows = rows_of(data, "№ п/п")
    columns = rt.definition("vsoko_plan").columns
    assert texts(rows[0]) == ["№ п/п", *columns.values()]
    assert [span for _, span in rows[0]] == [3, *column_spans(list(columns))]
    expected_rows = []
    for number, title, items in PLAN:
        expected_rows.append([f"{number} {title}"])
        for item_number, obj, criteria, indicators, responsible, logins, _, deadline, fmt in items:
            # The people on control the written text does not name are printed with it.
            named = f"{responsible} ({', '.join(CONTROLLED[login] for login in logins)})"
            expected_rows.append([item_number, obj, criteria, indicators, named, deadline, fmt])
    assert [texts(row) for row in rows[1:]] == expected_rows
    for row in rows:
        assert sum(span for _, span in row) == 60  # every row fills the table's width
    section_rows = [row for row in rows[1:] if len(row) == 1]
    assert len(section_rows) == 3 and all(span == 60 for (_, span), in section_rows)
    # the section title is bold; a multi-line cell keeps its lines as paragraphs
    doc = Document(io.BytesIO(data))
    table = next(t for t in doc.tables if cell_text(t._tbl.tr_lst[0].tc_lst[0]) == "№ п/п")
    section_tc = table._tbl.tr_lst[1].tc_lst[0]
    assert all(r.find(qn("w:rPr")).find(qn("w:b")) is not None for r in section_tc.iter(qn("w:r")))
    criteria_tc = table._tbl.tr_lst[2].tc_lst[2]
    assert len(list(criteria_tc.iter(qn("w:p")))) == 2
    # the rows' text is in the style «Текст таблицы»: Times New Roman 12 pt (ГОСТ: smaller type in
    # tables), single spacing, no first-line indent — one definition an administrator can change
    style = doc.styles["Текст таблицы"]
    assert style.font.size.pt == 12 and style.base_style.name == "Normal"
    assert style.base_style.font.name == "Times New Roman"
    assert style.paragraph_format.first_line_indent == 0 and style.paragraph_format.line_spacing == 1.0
    item_paragraphs = [Paragraph(p, doc.part) for tr in table._tbl.tr_lst[2:] if len(tr.tc_lst) > 1
                       for p in tr.iter(qn("w:p"))]
    assert item_paragraphs and all(p.style.name == "Текст таблицы" for p in item_paragraphs)
    assert all(r.font.size is None and r.font.name is None for p in item_paragraphs for r in p.runs)
    # the heading row repeats on every page
    assert table._tbl.tr_lst[0].trPr.find(qn("w:tblHeader")) is not None


def test_approval_order_for_the_plan(rt, lived_plan):
    data = by_template(rt, lived_plan["approved"], "order_approval")
    text = paragraphs(data)
    with rt.sessions() as session:
        plan = session.get(Artefact, lived_plan["plan_id"])
        order_number, protocol_number = plan.fields["order_number"], plan.fields["protocol_number"]
    heading = ("Об утверждении Плана функционирования внутренней системы оценки качества образования "
               "на 2024/2025 учебный год")
    items = [
        f"1. Утвердить {FULL_TITLE} (приложение).",
        "2. Назначить ответственным за организацию исполнения плана заместителя директора по УВР Иванову И.И.",
        "3. Ответственным за пункты плана обеспечить их выполнение в установленные сроки и представлять "
        "отчёты об исполнении.",
        "4. Контроль за исполнением приказа оставляю за собой.",
    ]
    for expected in ["ПРИКАЗ", "30.08.2024", f"№ {order_number}", heading, *items,
                     f"Приложение: {FULL_TITLE}.", "Директор", "М.Б. Соколова"]:
        assert expected in text, expected
    assert ESIGN not in text
    preamble = next(t for t in text if t.startswith("В соответствии с"))
    assert "№ 273-ФЗ «Об образовании в Российской Федерации»" in preamble
    assert preamble.endswith(f"на основании решения педагогического совета (протокол от 29.08.2024 "
                             f"№ {protocol_number}), приказываю:")
    order = [text.index(t) for t in ["ПРИКАЗ", heading, preamble, items[0], items[3], "Директор"]]
    assert order == sorted(order)


# --------------------------------------------------------------------------- execution report


def test_execution_report_lists_every_control_item_with_status_and_mark(rt, lived_plan):
    data = by_template(rt, lived_plan["closed"], "execution_report")
    check_landscape(data)
    text = paragraphs(data)
    assert "ОТЧЁТ" in text
    assert ("об исполнении плана функционирования внутренней системы оценки качества образования "
            "на 2024/2025 учебный год") in text
    assert "30.06.2025" in text

    rows = rows_of(data, "№ п/п")
    assert texts(rows[0]) == ["№ п/п", "Пункт плана", "Срок", "Ответственный", "Статус", "Результат",
                              "Доказательства", "Отметка об исполнении"]
    body = [texts(row) for row in rows[1:]]
    dash = "—"
    assert body == [
        ["1. Качество образовательных результатов"],
        ["1", "1.1 Предметные результаты освоения ООП", "31.12.2024", "Иванова И.И.", "Принято",
         "Проведён анализ результатов за I полугодие\nСправка рассмотрена на совещании", dash, "в срок\n20.12.2024"],
        ["2", "1.1 Предметные результаты освоения ООП", "30.06.2025", "Иванова И.И.", "Отменено", dash, dash,
         "отменено\n"],
        ["3", "1.2 Готовность первоклассников к обучению", "30.09.2024", "Орлова Е.А.", "Принято",
         "Диагностика проведена, выводы сделаны", dash, "с опозданием\n07.10.2024"],
        ["4", "1.3 Индивидуальные достижения обучающихся", "по графику: Согласно ВШК", "Кузнецов Д.О.\nИМЦ",
         "Принято", "Олимпиада проведена", dash, "в срок\n15.03.2025"],
        ["2. Качество условий, обеспечивающих образовательную деятельность"],
        ["5", "2.1 Учебно-методические условия", "31.05.2025", "Кузнецов Д.О.", "Принято",
         "Обеспеченность учебниками 100 %",
         "материалов: 2\nhttps://school29.example/uchebniki\nhttps://school29.example/otchet", "в срок\n20.05.2025"],
        ["6", "2.2 Кадровые условия", "31.10.2024", "Иванова И.И.", "Принято", "Аттестация", dash,
         "с опозданием\n12.11.2024"],
        ["7", "2.3 Материально-технические условия", "30.04.2025", "Орлова Е.А.", "Запланировано", dash, dash,
         "не исполнено\n"],
        ["3. Качество реализации образовательного процесса"],
        ["8", "3.1 Рабочие программы учебных предметов", "31.08.2025", "Смирнов А.В.",
         "Исполнено — на проверке", "Программы выполнены", dash, "в срок\n20.06.2025"],
        ["9", "3.2 Удовлетворённость родителей", "31.08.2025", "Орлова Е.А.", "Запланировано", dash, dash,
         "срок не наступил\n"],
    ]
    assert ("Всего на контроле 9 пунктов; принято 5 (в срок — 3, с опозданием — 2); не исполнено — 1; "
            "отменено — 1.") in text
    assert "На дату отчёта не завершены: на проверке — 1, срок не наступил — 1." in text
    # signed by the deputy who closed the plan (no certificate on file: no mark)
    assert "Заместитель директора по УВР" in text and "И.И. Иванова" in text
    assert ESIGN not in text


def test_outcome_rules():
    due, report_day = dt.date(2025, 5, 31), dt.date(2025, 6, 30)
    assert outcome("accepted", due, dt.date(2025, 5, 31), report_day) == "on_time"
    assert outcome("accepted", due, dt.date(2025, 6, 1), report_day) == "late"
    assert outcome("accepted", None, dt.date(2025, 6, 1), report_day) == "on_time"
    assert outcome("reported", due, dt.date(2025, 6, 1), report_day) == "late"
    assert outcome("returned", due, dt.date(2025, 5, 1), report_day) == "not_executed"
    assert outcome("planned", due, None, report_day) == "not_executed"
    assert outcome("in_progress", None, None, report_day) == "not_executed"
    assert outcome("planned", report_day, None, report_day) == "not_due"
    assert outcome("cancelled", due, None, report_day) == "cancelled"


# --------------------------------------------------------------------------- analytic справка


def test_analytic_report_counts_and_percentages(rt, lived_plan):
    data = by_template(rt, lived_plan["closed"], "analytic_report")
    text = paragraphs(data)
    assert "АНАЛИТИЧЕСКАЯ СПРАВКА" in text
    assert ("по итогам исполнения плана функционирования внутренней системы оценки качества образования "
            "на 2024/2025 учебный год") in text
    assert any(t.startswith("На контроле по плану находилось 9 пунктов") and "в 3 разделах" in t for t in text)
    rows = rows_of(data, "Раздел плана")
    assert texts(rows[0]) == ["Раздел плана", "Всего пунктов", "Принято", "Принято в срок", "Принято позже срока",
                              "Не исполнено", "Отменено"]
    body = [texts(row) for row in rows[1:]]
    assert body == [
        ["1. Качество образовательных результатов", "4",
         "3\n75,0 %", "2\n50,0 %", "1\n25,0 %", "0\n0,0 %", "1\n25,0 %"],
        ["2. Качество условий, обеспечивающих образовательную деятельность", "3",
         "2\n66,7 %", "1\n33,3 %", "1\n33,3 %", "1\n33,3 %", "0\n0,0 %"],
        ["3. Качество реализации образовательного процесса", "2",
         "0\n0,0 %", "0\n0,0 %", "0\n0,0 %", "0\n0,0 %", "0\n0,0 %"],
        ["Итого", "9", "5\n55,6 %", "3\n33,3 %", "2\n22,2 %", "1\n11,1 %", "1\n11,1 %"],
    ]
    for sentence in [
        "Выполнено в срок 3 из 9 пунктов (33,3 %).",
        "Выполнено с опозданием — 2 (22,2 %), не исполнено — 1 (11,1 %), отменено — 1 (11,1 %).",
        "На дату отчёта не завершены: на проверке — 1, срок не наступил — 1.",
        "Не исполнены пункты плана: 2.3.",
    ]:
        assert sentence in text, sentence
    # signed by the deputy director who closed the plan
    assert "Заместитель директора по УВР" in text and "И.И. Иванова" in text
    assert text.index("Выводы") < text.index("Заместитель директора по УВР")


@pytest.mark.parametrize(("part", "whole", "expected"), [
    (2, 3, "66,7 %"), (7, 8, "87,5 %"), (42, 50, "84,0 %"), (1, 6, "16,7 %"), (1, 8, "12,5 %"),
    (0, 5, "0,0 %"), (5, 5, "100,0 %"), (0, 0, "—"),
])
def test_percent_has_one_decimal_and_a_comma(part, whole, expected):
    assert percent(part, whole) == expected


def test_column_spans_fill_the_grid_for_four_to_six_columns():
    for keys in (["object", "criteria", "indicators", "responsible", "deadline", "document_format"],
                 ["activity", "responsible", "result", "deadline"],
                 ["activity", "deadline", "executors", "expected_result"],
                 ["a", "b", "c", "d", "e"]):
        spans = column_spans(keys)
        assert sum(spans) == 57 and min(spans) >= 2
    spans = dict(zip(["activity", "responsible", "result", "deadline"],
                     column_spans(["activity", "responsible", "result", "deadline"])))
    assert spans["activity"] > spans["result"] > spans["responsible"] > spans["deadline"]


def test_cell_lines_drop_html_leftovers_but_keep_text_with_angle_brackets():
    assert lines("<p>Численность педагогов</p>\n<p>Доля педагогов</p>") == ["Численность педагогов", "Доля педагогов"]
    assert lines("Анализ<br>Справка") == ["Анализ", "Справка"]
    assert lines("Доля < 5 % & <правил>") == ["Доля < 5 % & <правил>"]
    assert lines("") == [""] and lines(None, "—") == ["—"]


# --------------------------------------------------------------------------- bounded queries


def _closing_context(session, rt, school, plan_id: int) -> TransitionContext:
    plan = session.get(Artefact, plan_id)
    definition = rt.definition("vsoko_plan")
    membership = session.scalars(select(Membership).where(Membership.user_id == school["deputy"])).one()
    return TransitionContext(
        session=session, artefact=plan, definition=definition, transition=definition.transitions["close"],
        actor=membership.user, membership=membership, submitted={"report_date": REPORT_DAY.isoformat()},
        comment="", today=REPORT_DAY, base_url="https://vsoko.example", definitions=rt.definitions)


def _count_queries(rt, source, ctx) -> int:
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(rt.engine, "before_cursor_execute", count)
    try:
        source(ctx, {"signer": {}})
    finally:
        event.remove(rt.engine, "before_cursor_execute", count)
    return len(statements)


def test_report_queries_do_not_grow_with_the_plan(rt, school, lived_plan):
    plan_id = lived_plan["plan_id"]
    counts = {}
    for size in ("small", "large"):
        if size == "large":
            with transaction(rt.sessions) as session:
                item = session.scalars(select(PlanItem).where(PlanItem.artefact_id == plan_id)).first()
                for n in range(40):
                    child = Artefact(kind="control_item", organisation_id=school.id, title=f"Доп. пункт {n}",
                                     state="accepted" if n % 2 else "planned", school_year=YEAR, parent_id=plan_id,
                                     due_date=dt.date(2025, 3, 1), fields={"plan_item_id": item.id,
                                                                         "executed_on": "2025-02-01"})
                    session.add(child)
                    session.flush()
                    session.add(ArtefactAssignee(artefact_id=child.id, user_id=school["teacher"]))
                    session.add(Evidence(artefact_id=child.id, file_name="a.pdf", sha256="0" * 64))
        with rt.sessions() as session:
            ctx = _closing_context(session, rt, school, plan_id)
            counts[size] = {name: _count_queries(rt, source, ctx)
                            for name, source in (("execution", execution_report), ("analytic", analytic_report))}
            rows = execution_report(ctx, {"signer": {}})[0]["rows"]
            assert len([r for r in rows if not r["section"]]) == (9 if size == "small" else 49)
    assert counts["small"] == counts["large"]
    assert counts["large"]["execution"] <= 8 and counts["large"]["analytic"] <= 6


# --------------------------------------------------------------------------- meeting protocol

PROTOCOL_FIELDS = {
    "body_genitive": "педагогического совета",
    "protocol_date": "2024-08-29",
    "protocol_number": "1",
    "present": 23,
    "chair": "director",
    "secretary": "secretary",
    "agenda": [
        {"title": "Об итогах работы школы за 2023/2024 учебный год.",
         "heard": "Соколову М.Б., директора, об итогах года.\nОтчёт прилагается.",
         "spoke": ["Иванова И.И. предложила утвердить анализ работы.", "Смирнов А.В. — о результатах ГИА."],
         "decisions": [
             {"text": "Признать работу школы удовлетворительной.", "deadline_text": "", "responsible_text": ""},
             {"text": "Разработать план мероприятий по повышению качества подготовки к ГИА.",
              "deadline_text": "до 20 сентября 2024", "responsible_text": "Заместитель директора по УВР"},
         ],
         "votes_for": 21, "votes_against": 0, "votes_abstained": 2},
        {"number": 2, "title": "О плане функционирования ВСОКО на 2024/2025 учебный год.",
         "heard": ["Иванову И.И., заместителя директора по УВР, о проекте плана."], "spoke": [],
         "decisions": [{"text": "Принять план & <приложение>.", "deadline_text": "Сентябрь",
                        "responsible_text": "Иванова И.И."}],
         "votes_for": 23, "votes_against": 0, "votes_abstained": 0},
        {"title": "Разное.", "heard": "Информация о графике дежурств.", "decisions": []},
    ],
}


def _protocol_context(rt, school) -> dict:
    with transaction(rt.sessions) as session:
        meeting = Artefact(kind="vsoko_plan", organisation_id=school.id, title="Заседание педагогического совета",
                           state="draft", school_year=YEAR, fields=PROTOCOL_FIELDS, author_id=school["secretary"])
        session.add(meeting)
        session.flush()
        definition = rt.definition("vsoko_plan")
        membership = session.scalars(select(Membership).where(Membership.user_id == school["secretary"])).one()
        ctx = TransitionContext(
            session=session, artefact=meeting, definition=definition, transition=definition.transitions["adopt"],
            actor=membership.user, membership=membership, submitted={}, comment="", today=COUNCIL_DAY,
            base_url="https://vsoko.example", definitions=rt.definitions)
        contexts = meeting_protocol(ctx, base_context(ctx))
    assert len(contexts) == 1
    return contexts[0]


def test_meeting_protocol_context_from_the_meeting_fields(rt, school):
    context = _protocol_context(rt, school)
    assert context["protocol_date"] == "29.08.2024" and context["protocol_number"] == "1"
    assert context["chair"] == "М.Б. Соколова" and context["secretary"] == "А.С. Петрова"
    assert context["signer"]["initials_surname"] == "М.Б. Соколова"
    assert "certificate" not in context["signer"]  # a certificate on file is not a signature
    first, second, third = context["agenda"]
    assert [a["number"] for a in context["agenda"]] == ["1", "2", "3"]
    assert first["heard"] == ["Соколову М.Б., директора, об итогах года.", "Отчёт прилагается."]
    assert [d["number"] for d in first["decisions"]] == ["1.1.", "1.2."]
    assert second["spoke"] == [] and second["has_votes"]
    assert third["has_votes"] is False and third["decisions"] == []


def test_meeting_protocol_document(rt, school):
    context = _protocol_context(rt, school)
    source = TemplateCatalog(PROJECT_ROOT / "document_templates").get("meeting_protocol")
    data = render_docx(source, {**context, "verify_url": "https://vsoko.example/verify/x"},
                       qr_payload="https://vsoko.example/verify/x")
    text = paragraphs(data)
    expected = [
        "ПРОТОКОЛ", "заседания педагогического совета", "29.08.2024", "№ 1", "г. Сургут",
        "Председатель — М.Б. Соколова", "Секретарь — А.С. Петрова", "Присутствовали: 23 человека",
        "ПОВЕСТКА ДНЯ:",
        "1. Об итогах работы школы за 2023/2024 учебный год.",
        "2. О плане функционирования ВСОКО на 2024/2025 учебный год.",
        "3. Разное.",
        "1. СЛУШАЛИ:", "Соколову М.Б., директора, об итогах года.", "Отчёт прилагается.",
        "ВЫСТУПИЛИ:", "Иванова И.И. предложила утвердить анализ работы.", "Смирнов А.В. — о результатах ГИА.",
        "РЕШИЛИ:", "1.1. Признать работу школы удовлетворительной.",
        "1.2. Разработать план мероприятий по повышению качества подготовки к ГИА.",
        "Срок: до 20 сентября 2024", "Ответственный: Заместитель директора по УВР",
        "Голосовали: «за» — 21, «против» — 0, «воздержались» — 2",
        "2. СЛУШАЛИ:", "Иванову И.И., заместителя директора по УВР, о проекте плана.",
        "2.1. Принять план & <приложение>.", "Срок: Сентябрь", "Ответственный: Иванова И.И.",
        "Голосовали: «за» — 23, «против» — 0, «воздержались» — 0",
        "3. СЛУШАЛИ:", "Информация о графике дежурств.",
        "Председатель", "Секретарь",
    ]
    assert ESIGN not in text
    for line in expected:
        assert line in text, line
    in_order = ["ПРОТОКОЛ", "29.08.2024", "Председатель — М.Б. Соколова", "ПОВЕСТКА ДНЯ:", "3. Разное.",
                "1. СЛУШАЛИ:", "2. СЛУШАЛИ:", "3. СЛУШАЛИ:", "Председатель", "Секретарь"]
    assert [text.index(t) for t in in_order] == sorted(text.index(t) for t in in_order)
    # СЛУШАЛИ / ВЫСТУПИЛИ / РЕШИЛИ / Голосовали follow each other within an agenda item
    assert text.index("1. СЛУШАЛИ:") < text.index("ВЫСТУПИЛИ:") < text.index("РЕШИЛИ:") < text.index("2. СЛУШАЛИ:")
    second = text[text.index("2. СЛУШАЛИ:"):text.index("3. СЛУШАЛИ:")]
    assert "ВЫСТУПИЛИ:" not in second and "РЕШИЛИ:" in second
    third = text[text.index("3. СЛУШАЛИ:"):]
    assert "РЕШИЛИ:" not in third and not any(t.startswith("Голосовали") for t in third)
    assert text.count("Срок: до 20 сентября 2024") == 1
    assert "М.Б. Соколова" in text and "А.С. Петрова" in text
