"""Council and meeting decisions: every meeting of a school's decisions register (the project's
register of 2023/2024, `tests/data/plans.py`) comes in as a meeting record, is held (protocol
numbered in its body's journal, every decision put on control), and its decisions are executed,
returned, accepted, cancelled and found overdue.

The decisions table is built into a .docx by the test: one table per meeting, with the header of the
register and that meeting's rows, its № cell renumbered 1 as in the meeting's own table. The
register gives the month of each meeting; the day is chosen here.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import pytest
from sqlalchemy import select

from tests.data.plans import DECISIONS
from tests.flows import docx_text
from tests.plan_files import Table, build_docx
from vsoko_flow.db import transaction
from vsoko_flow.models import (
    Artefact, ArtefactAssignee, HistoryEntry, Journal, Organisation, PlanItem, StoredDocument, User,
)
from vsoko_flow.services.errors import Conflict, Unprocessable
from vsoko_flow.services.meetings import create_meeting, decisions_status, ensure_meeting_journals, record_agenda
from vsoko_flow.services.plans import commit_import, preview_import, update_item
from vsoko_flow.services.reminders import due_items
from vsoko_flow.services.transitions import fire_transition
from vsoko_flow.services.verify import verify_store

YEAR = "2023/2024"


@dataclass(frozen=True)
class Row:
    """A decision as the register writes it, and as it must be understood."""

    text: str  # the beginning of the decision text
    deadline: str
    periods: list[tuple[str, str]]  # (start, end) of each occurrence; [] when there is no date
    responsible: str
    logins: list[str]  # the demo school's people the responsible text names


@dataclass(frozen=True)
class Meeting:
    group: str  # the register's № of the meeting
    level: str  # «Уровень» as written
    body: str
    day: dt.date
    rows: list[Row]
    body_genitive: str | None = None


WHOLE_YEAR = [("2023-09-01", "2024-08-31")]
DEPUTY = "Зам.директора по УВР"
# Read by hand from the register. The demo school (services/demo.py): «Заместитель директора по
# УВР» — deputy; «Руководитель МО учителей математики» — mo_head; teachers («учителя-предметники»)
# — secretary (русский язык) and teacher (физика); «Администрация» — the director and the deputy.
# It has no «классный руководитель» position.
MEETINGS = [
    Meeting("1", "Педагогический совет", "pedsovet", dt.date(2023, 8, 30), [
        Row("Включить в программу развития школы раздел", "Октябрь-декабрь 2023г",
            [("2023-10-01", "2023-12-31")], DEPUTY, ["deputy"]),
        Row("Составить школьный график оценочных процедур", "Сентябрь- ноябрь2023г",
            [("2023-09-01", "2023-11-30")], DEPUTY, ["deputy"]),
        Row("Организовать сбор и хранение данных о результатах", "В течение года", WHOLE_YEAR, DEPUTY, ["deputy"]),
    ]),
    Meeting("2", "Методический совет", "metodsovet", dt.date(2023, 8, 31), [
        Row("Провести для педагогов практикум", "В течение года", WHOLE_YEAR, DEPUTY, ["deputy"]),
        Row("Включить в план внутришкольного контроля", "Октябрь-ноябрь 2023", [("2023-10-01", "2023-11-30")],
            DEPUTY, ["deputy"]),
        Row("Уточнить план курсовой подготовки учителей", "Октябрь-ноябрь 2023г", [("2023-10-01", "2023-11-30")],
            DEPUTY, ["deputy"]),
    ]),
    Meeting("3", "Заседание ШМО учителей начальных классов", "shmo", dt.date(2023, 9, 15), [
        Row("Проверить соответствие рабочих программ", "Сентябрь 2023г",
            [("2023-09-01", "2023-09-30")], "Руководители ШМО, классные руководители, учителя-предметники",
            ["mo_head", "secretary", "teacher"]),
        Row("Согласовать контрольные работы по предметам", "Сентябрь-октябрь 2023г",
            [("2023-09-01", "2023-10-31")], "", []),
        Row("Участвовать в региональной диагностике читательской грамотности (ЦОКО)", "В течение года", WHOLE_YEAR,
            "", []),
    ], body_genitive="школьного методического объединения учителей начальных классов"),
    Meeting("4", "Совещание при директоре", "director_meeting", dt.date(2023, 8, 28), [
        Row("Собрать сведения об оснащении кабинетов", "", [], "Администрация", ["deputy", "director"]),
        Row("Подготовить порядок проведения контрольных работ", "", [], "", []),
    ]),
    Meeting("5", "Общешкольное родительское собрание", "parents_meeting", dt.date(2023, 11, 16), [
        Row("О порядке проведения ВПР в 4-х классах", "", [], "Администрация", ["deputy", "director"]),
    ], body_genitive="общешкольного родительского собрания"),
    Meeting("6", "Заседание ШМО учителей естественно-математического цикла", "shmo", dt.date(2023, 11, 24), [
        Row("Организовать консультации для обучающихся", "В течение года", WHOLE_YEAR,
            "Зам.директора по УВР Руководители ШМО, учителя-предметники, классные руководители",
            ["deputy", "mo_head", "secretary", "teacher"]),
        Row("", "", [], "", []),  # the register's empty «2.» row
    ]),
    Meeting("7", "Педагогический совет", "pedsovet", dt.date(2024, 2, 15), [
        Row("Назначить школьного координатора ВПР на 2023-2024 учебный год", "Март 2024г",
            [("2024-03-01", "2024-03-31")], DEPUTY, ["deputy"]),
        Row("Составить план подготовки к ВПР по предметам", "Март 2024г",
            [("2024-03-01", "2024-03-31")], DEPUTY, ["deputy"]),
        Row("Провести собрания с родителями о целях и порядке ВПР.", "Февраль-март 2024г",
            [("2024-02-01", "2024-03-31")], DEPUTY, ["deputy"]),
        Row("Для подготовки к ВПР составить план-график работ по предметам", "октябрь",
            [("2023-10-01", "2023-10-31")], "Зам.директора по УВР руководители ШМО, кл.руководители",
            ["deputy", "mo_head"]),
        Row("Сообщать родителям обучающихся о результатах", "Постоянно по мере поступления", WHOLE_YEAR,
            "Классные руководители", []),
        Row("Обсуждать результаты ВПР и диагностик на заседаниях ШМО.",
            "Постоянно по мере поступления", WHOLE_YEAR, "Зам.директора по УВР учителя-предметники",
            ["deputy", "secretary", "teacher"]),
    ]),
    Meeting("8", "Педагогический совет", "pedsovet", dt.date(2024, 5, 30), [
        Row("Провести разъяснительную работу с родителями и учителями", "", [], DEPUTY, ["deputy"]),
        Row("Подготовить анализ результатов ВПР и региональных мониторингов", "Июнь-август 2024г",
            [("2024-06-01", "2024-08-31")], DEPUTY, ["deputy"]),
    ]),
]
BY_GROUP = {meeting.group: meeting for meeting in MEETINGS}


# --------------------------------------------------------------------------- building the files


def meeting_table(group: str) -> Table:
    """The register's header and one meeting's rows, its № renumbered 1 (the meeting's own table)."""
    header, *rows = DECISIONS.rows
    starts = [index for index, row in enumerate(rows) if row.cells[0].strip()]
    first = next(index for index in starts if rows[index].cells[0].strip() == group)
    after = next((index for index in starts if index > first), len(rows))
    own = [replace(row, cells=list(row.cells)) for row in rows[first:after]]
    own[0].cells[0] = "1"
    return Table(f"meeting-{group}", [[header, *own]], group_columns=DECISIONS.group_columns,
                 school_year=DECISIONS.school_year)


def meeting_docx(group: str) -> bytes:
    return build_docx(meeting_table(group))[0]


# --------------------------------------------------------------------------- fixtures and helpers


@pytest.fixture
def journals(rt, school) -> list[str]:
    """Every body's protocol journal (the demo school may already have some); returns their codes."""
    with transaction(rt.sessions) as session:
        organisation = session.get(Organisation, school.id)
        ensure_meeting_journals(session, organisation)
        assert ensure_meeting_journals(session, organisation) == []  # a second call adds nothing
        return sorted(session.scalars(select(Journal.code).where(Journal.organisation_id == school.id)))


def new_meeting(rt, school, meeting: Meeting, actor: str = "secretary") -> int:
    # The August meetings open the school year 2023/2024 that their decisions are about.
    return create_meeting(rt, school[actor], school.id, meeting.body, meeting.day, body_genitive=meeting.body_genitive,
                          school_year=YEAR, today=meeting.day)


def imported_meeting(rt, school, group: str, actor: str = "secretary") -> int:
    meeting_id = new_meeting(rt, school, BY_GROUP[group], actor)
    commit_import(rt, meeting_id, school[actor], meeting_docx(group), f"Решения {group}.docx")
    return meeting_id


def decisions(rt, meeting_id: int) -> list[PlanItem]:
    with rt.sessions() as session:
        return list(session.scalars(select(PlanItem).where(PlanItem.artefact_id == meeting_id)
                                    .order_by(PlanItem.position)))


def fire(rt, artefact_id: int, trigger: str, actor: int, day: dt.date, comment: str = "", **fields):
    return fire_transition(rt, artefact_id, trigger, actor, fields=fields, comment=comment, today=day)


def control_items(rt, meeting_id: int) -> dict[str, Artefact]:
    """The meeting's control items by decision number («1.4»), each with its assignees' logins."""
    with rt.sessions() as session:
        children = session.scalars(select(Artefact).where(Artefact.parent_id == meeting_id)).all()
        logins = session.execute(select(ArtefactAssignee.artefact_id, User.login).join(User).where(
            ArtefactAssignee.artefact_id.in_([c.id for c in children]))).all()
        for child in children:
            child.logins = sorted(login for artefact_id, login in logins if artefact_id == child.id)
        session.expunge_all()
        return {child.fields["item_number"]: child for child in children}


def documents(rt, artefact_id: int, template: str) -> list[bytes]:
    with rt.sessions() as session:
        return [d.content for d in session.scalars(select(StoredDocument).where(
            StoredDocument.artefact_id == artefact_id, StoredDocument.template_name == template)
            .order_by(StoredDocument.id))]


def lines(data: bytes) -> list[str]:
    return [line.strip() for line in docx_text(data).splitlines() if line.strip()]


def rule_messages(failure: pytest.ExceptionInfo) -> list[str]:
    details = failure.value.details or {}
    return details.get("rules") or [failure.value.message]


# --------------------------------------------------------------------------- the register, row by row


def test_every_meeting_of_the_register_imports_row_by_row(rt, school, journals):
    assert journals == ["director_meeting", "metodsovet", "orders", "parents_meeting", "pedsovet", "shmo"]
    for meeting in MEETINGS:
        meeting_id = imported_meeting(rt, school, meeting.group)
        stored = decisions(rt, meeting_id)
        assert len(stored) == len(meeting.rows), meeting.level
        for number, (row, item) in enumerate(zip(meeting.rows, stored), start=1):
            where = f"{meeting.level} {meeting.day}: {number}"
            assert item.number == f"1.{number}", where
            assert item.fields["activity"].startswith(row.text), where
            assert item.fields["body"].startswith(meeting.level), where
            assert item.deadline_text == row.deadline, where
            assert [(p["start"], p["end"]) for p in item.schedule.get("periods", [])] == row.periods, where
            assert item.responsible_text == row.responsible, where
            assert item.responsible_logins == row.logins, where
    with rt.sessions() as session:
        bodies = session.scalars(select(Artefact.fields["body"].as_string()).where(Artefact.kind == "meeting")
                                 .order_by(Artefact.id)).all()
    assert bodies == [meeting.body for meeting in MEETINGS]


def test_register_rows_keep_their_words_and_flags(rt, school, journals):
    """The register's own words are kept; what it leaves out or mangles is flagged, never guessed."""
    shmo = decisions(rt, imported_meeting(rt, school, "6"))
    first, empty = shmo
    # One cell of the register holds three decisions: kept as written, in one decision.
    assert "2. Провести встречи с родителями по итогам ВПР." in first.fields["activity"]
    assert first.fields["activity"].rstrip().endswith("задания на функциональную грамотность.")
    assert "ответственный не найден: «классные руководители»" in first.warnings
    assert {"не указан текст мероприятия", "срок не указан", "ответственный не указан"} <= set(empty.warnings)
    director = decisions(rt, imported_meeting(rt, school, "4", actor="deputy"))
    assert [item.warnings for item in director] == [["срок не указан"], ["срок не указан", "ответственный не указан"]]


def test_an_empty_decision_row_must_be_written_before_the_meeting_is_held(rt, school, journals):
    meeting_id = imported_meeting(rt, school, "6")
    first, empty = decisions(rt, meeting_id)
    update_item(rt, meeting_id, empty.id, school["secretary"], version=None, deadline_text="Декабрь",
                responsible_logins=["mo_head"])
    record_agenda(rt, meeting_id, school["secretary"], [{**AGENDA[0], "title": "Об итогах ВПР и региональных "
                                                         "обследований"}])
    with pytest.raises(Unprocessable) as failure:
        hold(rt, school, meeting_id, day=dt.date(2023, 11, 24))
    assert rule_messages(failure) == ["Нет формулировки решения в пунктах 1.2: впишите её"]
    update_item(rt, meeting_id, empty.id, school["secretary"], version=None,
                fields={"activity": "Провести пробные работы в формате ВПР"})
    assert hold(rt, school, meeting_id, day=dt.date(2023, 11, 24)).to_state == "held"


def test_preview_stores_nothing_and_the_same_file_twice_adds_nothing(rt, school, journals):
    meeting_id = new_meeting(rt, school, BY_GROUP["7"])
    data = meeting_docx("7")
    preview = preview_import(rt, meeting_id, school["secretary"], data, "Решения.docx")
    assert preview["shape"] == "decisions" and len(preview["items"]) == 6
    assert preview["sections"][0]["fields"] == {"body": "Педагогический совет", "meeting_date": "Февраль 2024г"}
    assert decisions(rt, meeting_id) == []
    first = commit_import(rt, meeting_id, school["secretary"], data, "Решения.docx")
    again = commit_import(rt, meeting_id, school["secretary"], data, "Решения.docx")
    assert (first.items_added, first.sections_added) == (6, 1)
    assert (again.items_added, again.sections_added, again.duplicates) == (0, 0, 6)
    assert len(decisions(rt, meeting_id)) == 6


# --------------------------------------------------------------------------- holding the meeting

COUNCIL_DAY = dt.date(2024, 2, 15)
AGENDA = [{
    "title": "О подготовке к проведению всероссийских проверочных работ в 2024 году",
    "heard": "Иванову И.И., заместителя директора по УВР, — о порядке проведения ВПР и региональных "
             "мониторингов.\nСправка прилагается.",
    "spoke": ["Смирнов А.В., руководитель МО учителей математики, предложил провести пробные работы в марте."],
    "votes_for": 20, "votes_against": 0, "votes_abstained": 1,
}]


def fix_rows(rt, school, meeting_id: int) -> None:
    """What the secretary fixes after the import: a deadline read in the past, an executor not found."""
    items = {item.number: item for item in decisions(rt, meeting_id)}
    update_item(rt, meeting_id, items["1.4"].id, school["secretary"], version=None, deadline_text="Октябрь 2024")
    update_item(rt, meeting_id, items["1.5"].id, school["secretary"], version=None, responsible_logins=["teacher"])


def hold(rt, school, meeting_id: int, day: dt.date = COUNCIL_DAY, **fields):
    values = {"present": 21, "chair": "director", "secretary": "secretary", **fields}
    return fire(rt, meeting_id, "hold", school["secretary"], day, **values)


@pytest.fixture
def held(rt, school, journals):
    """Meeting 7 of the register (педагогический совет, February 2024) imported, fixed and held."""
    meeting_id = imported_meeting(rt, school, "7")
    fix_rows(rt, school, meeting_id)
    record_agenda(rt, meeting_id, school["secretary"], AGENDA)
    fired = hold(rt, school, meeting_id)
    return meeting_id, fired


def test_meeting_cannot_be_held_until_its_rows_and_agenda_are_complete(rt, school, journals):
    meeting_id = imported_meeting(rt, school, "7")
    with pytest.raises(Unprocessable) as failure:
        hold(rt, school, meeting_id)
    messages = rule_messages(failure)
    assert "Не определён ответственный в пунктах 1.5: выберите сотрудника или внешнего исполнителя" in messages
    assert "Не записано, кого слушали (СЛУШАЛИ), по вопросам: 1" in messages
    assert ("Срок исполнения раньше даты заседания (15.02.2024) в решениях 1.4 (31.10.2023): уточните срок, "
            "указав год (например, «октябрь 2024»)") in messages
    assert "Вопрос 1: укажите результаты голосования «за», «против», «воздержались»" in messages
    fix_rows(rt, school, meeting_id)
    record_agenda(rt, meeting_id, school["secretary"], [{**AGENDA[0], "votes_for": 10, "votes_abstained": 11}])
    with pytest.raises(Unprocessable) as failure:
        hold(rt, school, meeting_id)
    assert rule_messages(failure) == [
        "Вопрос 1: решение не принято — «за» 10 из 21 присутствовавших, нужно больше половины"]
    with pytest.raises(Unprocessable) as failure:
        hold(rt, school, meeting_id, present=20)
    assert rule_messages(failure) == [
        "Вопрос 1: проголосовало 21, а присутствовало 20 — голосов не может быть больше, чем присутствовавших"]
    with rt.sessions() as session:
        assert session.get(Artefact, meeting_id).state == "draft"
        assert session.scalars(select(Artefact).where(Artefact.parent_id == meeting_id)).all() == []


def test_held_meeting_puts_every_decision_on_control(rt, school, held):
    meeting_id, fired = held
    assert fired.to_state == "held"
    with rt.sessions() as session:
        meeting = session.get(Artefact, meeting_id)
        assert meeting.fields["protocol_number"] == "1" and meeting.fields["control_items"] == 6
    items = control_items(rt, meeting_id)
    assert {number: (item.due_date, item.logins) for number, item in items.items()} == {
        "1.1": (dt.date(2024, 3, 31), ["deputy"]),
        "1.2": (dt.date(2024, 3, 31), ["deputy"]),
        "1.3": (dt.date(2024, 3, 31), ["deputy"]),
        "1.4": (dt.date(2024, 10, 31), ["deputy", "mo_head"]),
        "1.5": (dt.date(2024, 8, 31), ["teacher"]),
        "1.6": (dt.date(2024, 8, 31), ["deputy", "secretary", "teacher"]),
    }
    assert all(item.state == "planned" and item.school_year == YEAR for item in items.values())
    assert items["1.1"].title == "1.1 Назначить школьного координатора ВПР на 2023-2024 учебный год."
    assert items["1.5"].fields["responsible_text"] == "Классные руководители"


def test_one_occurrence_per_deadline_date(rt, school, journals):
    """Meeting 8: a decision «май, июнь» is controlled twice, «Июнь-август 2024г» once."""
    meeting_id = imported_meeting(rt, school, "8")
    first = decisions(rt, meeting_id)[0]
    update_item(rt, meeting_id, first.id, school["secretary"], version=None, deadline_text="май, июнь")
    record_agenda(rt, meeting_id, school["secretary"], [{**AGENDA[0], "title": "Об итогах ВПР"}])
    hold(rt, school, meeting_id, day=dt.date(2024, 5, 30))
    with rt.sessions() as session:
        dues = sorted((c.fields["item_number"], c.due_date) for c in session.scalars(
            select(Artefact).where(Artefact.parent_id == meeting_id)))
    assert dues == [("1.1", dt.date(2024, 5, 31)), ("1.1", dt.date(2024, 6, 30)), ("1.2", dt.date(2024, 8, 31))]


def test_protocol_document(rt, school, held):
    meeting_id, fired = held
    assert [d["file_name"] for d in fired.documents][0] == "Протокол от 15.02.2024 № 1.docx"
    (protocol,) = documents(rt, meeting_id, "meeting_protocol")
    text = lines(protocol)
    expected = [
        "ПРОТОКОЛ", "заседания педагогического совета", "15.02.2024", "№ 1",
        "Председатель — М.Б. Соколова", "Секретарь — А.С. Петрова", "Присутствовали: 21 человек",
        "ПОВЕСТКА ДНЯ:", "1. О подготовке к проведению всероссийских проверочных работ в 2024 году",
        "1. СЛУШАЛИ:", "Иванову И.И., заместителя директора по УВР, — о порядке проведения ВПР и региональных "
        "мониторингов.", "Справка прилагается.",
        "ВЫСТУПИЛИ:", AGENDA[0]["spoke"][0],
        "РЕШИЛИ:",
        "1.1. Назначить школьного координатора ВПР на 2023-2024 учебный год.", "Срок: Март 2024г",
        "1.4. Для подготовки к ВПР составить план-график работ по предметам и провести пробные работы в формате ВПР.",
        "Срок: Октябрь 2024", "Ответственные: Зам.директора по УВР руководители ШМО, кл.руководители",
        "1.5. Сообщать родителям обучающихся о результатах оценочных процедур.",
        "Ответственный: Классные руководители",
        "1.6. Обсуждать результаты ВПР и диагностик на заседаниях ШМО.",
        "Ответственный: Зам.директора по УВР учителя-предметники",
        "Голосовали: «за» — 20, «против» — 0, «воздержались» — 1",
    ]
    for line in expected:
        assert line in text, line
    # The chair's certificate is valid from 27.08.2024: a protocol of February 2024 is signed by hand.
    assert "ДОКУМЕНТ ПОДПИСАН ЭЛЕКТРОННОЙ ПОДПИСЬЮ" not in text
    order = ["ПОВЕСТКА ДНЯ:", "1. СЛУШАЛИ:", "ВЫСТУПИЛИ:", "РЕШИЛИ:", "Голосовали: «за» — 20, «против» — 0, "
             "«воздержались» — 1"]
    assert [text.index(t) for t in order] == sorted(text.index(t) for t in order)
    assert [t.split(" ", 1)[0] for t in text if t[:4] in {f"1.{n}." for n in range(1, 7)}] == [
        "1.1.", "1.2.", "1.3.", "1.4.", "1.5.", "1.6."]
    assert text.count("Срок: Март 2024г") == 2 and text.count("Срок: Постоянно по мере поступления") == 2


def test_one_extract_per_decision(rt, school, held):
    meeting_id, fired = held
    extracts = documents(rt, meeting_id, "protocol_extract")
    assert len(extracts) == 6
    fourth = lines(extracts[3])
    for line in [
        "ВЫПИСКА ИЗ ПРОТОКОЛА", "заседания педагогического совета", "15.02.2024", "№ 1",
        "1. О подготовке к проведению всероссийских проверочных работ в 2024 году.",
        "Голосовали: «за» — 20, «против» — 0, «воздержались» — 1", "Верно",
        "Секретарь педагогического совета", "А.С. Петрова",
    ]:
        assert line in fourth, line
    decided = next(line for line in fourth if line.startswith("РЕШИЛИ:"))
    assert decided.startswith("РЕШИЛИ: 1.4. Для подготовки к ВПР составить план-график")
    assert decided.endswith("Срок — Октябрь 2024. Ответственные — Зам.директора по УВР руководители ШМО, "
                            "кл.руководители.")
    assert not any("1.3." in line for line in fourth)


def test_decisions_are_controlled_reported_returned_accepted_cancelled(rt, school, held):
    meeting_id, _ = held
    items = control_items(rt, meeting_id)
    # Someone who is not an executor of the decision cannot report it.
    with pytest.raises(Unprocessable) as failure:
        fire(rt, items["1.4"].id, "report", school["psychologist"], dt.date(2024, 3, 1), result="Сделано",
             executed_on="2024-03-01")
    assert "Вы не назначены исполнителем этого пункта" in rule_messages(failure)[0]
    # 1.1: reported by the deputy and accepted.
    fire(rt, items["1.1"].id, "report", school["deputy"], dt.date(2024, 3, 4),
         result="Приказом от 04.03.2024 № 45 назначен ответственный", executed_on="2024-03-04")
    fire(rt, items["1.1"].id, "accept", school["deputy"], dt.date(2024, 3, 5), assessment="Исполнено в срок")
    # 1.4: the head of the MO reports, the deputy returns it with a comment, it is reported again and accepted.
    fire(rt, items["1.4"].id, "start", school["mo_head"], dt.date(2024, 9, 2))
    fire(rt, items["1.4"].id, "report", school["mo_head"], dt.date(2024, 9, 20), result="План-график составлен",
         executed_on="2024-09-20")
    fire(rt, items["1.4"].id, "return_for_rework", school["deputy"], dt.date(2024, 9, 23),
         comment="Добавьте в план-график региональные мониторинги")
    fire(rt, items["1.4"].id, "report", school["mo_head"], dt.date(2024, 9, 27),
         result="План-график дополнен региональными мониторингами", executed_on="2024-09-27",
         links="https://school29.example/vpr/plan-grafik")
    fire(rt, items["1.4"].id, "accept", school["deputy"], dt.date(2024, 9, 30))
    # 1.3: cancelled with a reason.
    with pytest.raises(Unprocessable):
        fire(rt, items["1.3"].id, "cancel", school["deputy"], dt.date(2024, 2, 20))  # no reason given
    fire(rt, items["1.3"].id, "cancel", school["deputy"], dt.date(2024, 2, 20),
         comment="Разъяснительная работа проведена на общешкольном родительском собрании")
    states = {number: item.state for number, item in control_items(rt, meeting_id).items()}
    assert states == {"1.1": "accepted", "1.2": "planned", "1.3": "cancelled", "1.4": "accepted",
                      "1.5": "planned", "1.6": "planned"}
    with rt.sessions() as session:
        history = session.execute(select(HistoryEntry.trigger, HistoryEntry.from_state, HistoryEntry.to_state,
                                         HistoryEntry.comment).where(HistoryEntry.artefact_id == items["1.4"].id)
                                  .order_by(HistoryEntry.sequence)).all()
    assert [tuple(h) for h in history] == [
        ("create", "", "planned", ""), ("start", "planned", "in_progress", ""),
        ("report", "in_progress", "reported", ""),
        ("return_for_rework", "reported", "returned", "Добавьте в план-график региональные мониторинги"),
        ("report", "returned", "reported", ""), ("accept", "reported", "accepted", ""),
    ]


def accept_first_cancel_third(rt, school, meeting_id: int) -> dict[str, Artefact]:
    """1.1 reported and accepted in time, 1.3 cancelled; the rest left as they are."""
    items = control_items(rt, meeting_id)
    fire(rt, items["1.1"].id, "report", school["deputy"], dt.date(2024, 3, 4), result="Назначен",
         executed_on="2024-03-04")
    fire(rt, items["1.1"].id, "accept", school["deputy"], dt.date(2024, 3, 5))
    fire(rt, items["1.3"].id, "cancel", school["deputy"], dt.date(2024, 3, 6), comment="Отменено решением педсовета")
    return items


def test_overdue_decisions(rt, school, held):
    """Overdue: due before today and neither accepted nor cancelled."""
    meeting_id, _ = held
    items = accept_first_cancel_third(rt, school, meeting_id)
    fire(rt, items["1.2"].id, "report", school["deputy"], dt.date(2024, 3, 29), result="План разработан",
         executed_on="2024-03-29")  # reported, not yet accepted: still overdue after its date
    on_first_of_april = {row["number"]: row["overdue"] for row in
                         decisions_status(rt, meeting_id, school["deputy"], dt.date(2024, 4, 1))}
    assert on_first_of_april == {"1.1": False, "1.2": True, "1.3": False, "1.4": False, "1.5": False, "1.6": False}
    on_last_of_march = decisions_status(rt, meeting_id, school["deputy"], dt.date(2024, 3, 31))
    assert not any(row["overdue"] for row in on_last_of_march)  # due today is not overdue yet
    in_september = {row["number"] for row in decisions_status(rt, meeting_id, school["deputy"], dt.date(2024, 9, 1))
                    if row["overdue"]}
    assert in_september == {"1.2", "1.5", "1.6"}
    # The reminders see the same: the teacher's overdue decisions on 1 September 2024.
    with rt.sessions() as session:
        teacher = due_items(session, rt, dt.date(2024, 9, 1), 0, user_id=school["teacher"])[school["teacher"]]
    assert sorted(i.title[:3] for i in teacher if i.overdue) == ["1.5", "1.6"]


def test_closing_reports_every_decision(rt, school, held):
    meeting_id, _ = held
    accept_first_cancel_third(rt, school, meeting_id)
    closed = fire(rt, meeting_id, "close", school["deputy"], dt.date(2024, 9, 2), report_date="2024-09-02")
    assert closed.to_state == "closed"
    assert closed.warnings == ["Не закрыто пунктов на контроле: 4; в отчёте они будут показаны как неисполненные"]
    (report,) = documents(rt, meeting_id, "execution_report")
    text = lines(report)
    assert "об исполнении решений педагогического совета (протокол от 15.02.2024 № 1)" in text
    # The report's section rows are the agenda items, not the register's «Педагогический совет, Февраль 2024г».
    assert "1. О подготовке к проведению всероссийских проверочных работ в 2024 году" in text
    assert not any("Февраль 2024г" in line for line in text)
    assert text.count("Принято") == 1 and text.count("Отменено") == 1 and text.count("в срок") == 1
    assert text.count("не исполнено") == 3 and text.count("срок не наступил") == 1  # 1.4 is due 31.10.2024
    assert any(line.startswith("Всего на контроле 6 пунктов; принято 1 (в срок — 1") for line in text)
    report_check = verify_store(rt)
    assert report_check.ok, report_check.problems


def test_every_state_change_is_in_the_history(rt, school, held):
    meeting_id, fired = held
    with rt.sessions() as session:
        triggers = session.scalars(select(HistoryEntry.trigger).where(HistoryEntry.artefact_id == meeting_id)
                                   .order_by(HistoryEntry.sequence)).all()
        hold_entry = session.scalars(select(HistoryEntry).where(HistoryEntry.artefact_id == meeting_id,
                                                                HistoryEntry.trigger == "hold")).one()
    assert triggers == ["create", "import_items", "edit_item", "edit_item", "edit_agenda", "hold"]
    assert len(hold_entry.document_hashes) == 7 and hold_entry.fields["protocol_number"] == "1"
    assert verify_store(rt).ok


# --------------------------------------------------------------------------- journals and bodies


def test_each_body_numbers_its_own_protocols(rt, school, journals):
    """The pedsovet and the metodsovet meeting the same day both have protocol № 1; the next
    pedsovet has № 2; a second record of the same pedsovet meeting shares its number."""
    numbers = {}
    for key, body, day in (("ped-1", "pedsovet", dt.date(2023, 9, 20)), ("met-1", "metodsovet", dt.date(2023, 9, 20)),
                           ("ped-2", "pedsovet", dt.date(2023, 11, 1)), ("ped-2b", "pedsovet", dt.date(2023, 11, 1))):
        meeting = Meeting("7", "Педагогический совет", body, day, [])
        meeting_id = new_meeting(rt, school, meeting)
        commit_import(rt, meeting_id, school["secretary"], meeting_docx("1"), "Решения.docx")
        record_agenda(rt, meeting_id, school["secretary"], AGENDA)
        hold(rt, school, meeting_id, day=day)
        with rt.sessions() as session:
            numbers[key] = session.get(Artefact, meeting_id).fields["protocol_number"]
    assert numbers == {"ped-1": "1", "met-1": "1", "ped-2": "2", "ped-2b": "2"}


def test_a_body_without_its_journal_is_told_what_to_add(rt, school):
    with transaction(rt.sessions) as session:  # a school that keeps no book of the methodological council
        for journal in session.scalars(select(Journal).where(Journal.organisation_id == school.id,
                                                             Journal.code == "metodsovet")):
            session.delete(journal)
    meeting_id = create_meeting(rt, school["secretary"], school.id, "metodsovet", dt.date(2023, 9, 20),
                                today=dt.date(2023, 9, 20))
    commit_import(rt, meeting_id, school["secretary"], meeting_docx("2"), "Решения.docx")
    record_agenda(rt, meeting_id, school["secretary"], AGENDA)
    with pytest.raises(Unprocessable) as failure:
        hold(rt, school, meeting_id, day=dt.date(2023, 9, 20))
    assert failure.value.message == ("В организации не заведён журнал регистрации «metodsovet»: "
                                     "добавьте его в настройках")
    with rt.sessions() as session:
        assert session.get(Artefact, meeting_id).state == "draft"
        assert session.scalars(select(Journal).where(Journal.code == "metodsovet")).all() == []


def test_a_directors_meeting_decides_without_votes_and_has_no_extracts(rt, school, journals):
    meeting_id = imported_meeting(rt, school, "4", actor="deputy")
    first, second = decisions(rt, meeting_id)
    update_item(rt, meeting_id, first.id, school["deputy"], version=None, deadline_text="Сентябрь")
    update_item(rt, meeting_id, second.id, school["deputy"], version=None, deadline_text="Октябрь",
                responsible_logins=["deputy"])
    record_agenda(rt, meeting_id, school["deputy"], [{"title": "О системе оценочных процедур",
                                                      "heard": "Соколову М.Б., директора"}])
    fired = fire(rt, meeting_id, "hold", school["deputy"], dt.date(2023, 8, 28), present=6)
    assert [d["file_name"] for d in fired.documents] == ["Протокол от 28.08.2023 № 1.docx"]
    text = lines(documents(rt, meeting_id, "meeting_protocol")[0])
    assert text[text.index("ПРОТОКОЛ") + 1] == "совещания при директоре"
    assert not any(line.startswith("Голосовали") for line in text)
    # A row whose responsible was chosen after the import names the person chosen.
    assert "Ответственный: Иванова И.И." in text


@pytest.mark.parametrize("body, written, heading", [
    ("pedsovet", None, "заседания педагогического совета"),
    ("director_meeting", None, "совещания при директоре"),
    ("parents_meeting", None, "родительского собрания"),
    ("parents_meeting", "общешкольного родительского собрания", "общешкольного родительского собрания"),
    ("shmo", "школьного методического объединения учителей начальных классов",
     "заседания школьного методического объединения учителей начальных классов"),
])
def test_protocol_heading_names_each_body_in_good_russian(rt, school, journals, body, written, heading):
    """«ПРОТОКОЛ совещания при директоре», never «заседания совещания»: read back from the stored .docx."""
    day = dt.date(2023, 8, 30)
    meeting_id = new_meeting(rt, school, Meeting("1", "", body, day, [], body_genitive=written))
    commit_import(rt, meeting_id, school["secretary"], meeting_docx("1"), "Решения.docx")
    record_agenda(rt, meeting_id, school["secretary"], AGENDA)
    hold(rt, school, meeting_id, day=day)
    protocol = lines(documents(rt, meeting_id, "meeting_protocol")[0])
    assert protocol[protocol.index("ПРОТОКОЛ") + 1] == heading
    extracts = documents(rt, meeting_id, "protocol_extract")
    assert extracts
    for extract in extracts:
        text = lines(extract)
        assert text[text.index("ВЫПИСКА ИЗ ПРОТОКОЛА") + 1] == heading
    assert not any("заседания совещания" in line or "заседания родительского" in line for line in protocol)


def test_agenda_is_checked_and_kept_only_in_draft(rt, school, held):
    meeting_id, _ = held
    with pytest.raises(Unprocessable) as failure:
        record_agenda(rt, meeting_id, school["secretary"], [{"title": "x", "votes_for": -1, "colour": "red"}])
    assert failure.value.details == {"agenda": ["вопрос 1: неизвестные поля colour",
                                                "вопрос 1: ожидается целое неотрицательное число"]}
    with pytest.raises(Conflict):
        record_agenda(rt, meeting_id, school["secretary"], AGENDA)
