"""A ВСОКО activity plan's whole year: the school's own Word table (the project's activity plan,
`tests/data/plans.py`, built into a .docx with its title table above) imported, its flagged rows
fixed, sent to the council, adopted, approved by order, executed item by item through the
control_item workflow, and closed with the execution report and the analytical справка — every
step through the same engine.
"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.data.plans import ACTIVITY
from tests.flows import docx_text
from tests.plan_files import build_docx
from vsoko_flow.procedures.common import percent
from vsoko_flow.models import Artefact, HistoryEntry, PlanItem, PlanSection, StoredDocument
from vsoko_flow.services.artefacts import create_artefact
from vsoko_flow.services.errors import Unprocessable
from vsoko_flow.services.plans import commit_import, move_item, preview_import, update_item
from vsoko_flow.services.transitions import fire_transition
from vsoko_flow.services.verify import verify_store

YEAR = "2023/2024"
TITLE = "План внутренней системы оценки качества образования"
FULL_TITLE = f"{TITLE} на {YEAR} учебный год"
SENT_DAY = dt.date(2023, 8, 25)
COUNCIL_DAY = dt.date(2023, 8, 30)
ORDER_DAY = dt.date(2023, 8, 31)
REPORT_DAY = dt.date(2024, 9, 2)
# Rows whose «Ответственный» names nobody of the demo school: «Заместитель директора по ВР»
# (the demo school has one deputy, for УВР) and «Библиотечная служба».
FLAGGED = ["1.3", "1.4", "2.6", "2.7", "6.2", "6.3"]
CUT = ["3.1"]  # «Заместитель директора по»: cut short, flagged, never matched to a deputy


def plan_docx() -> bytes:
    return build_docx(ACTIVITY)[0]


def fire(rt, artefact_id: int, trigger: str, actor: int, day: dt.date, comment: str = "", **fields):
    return fire_transition(rt, artefact_id, trigger, actor, fields=fields, comment=comment, today=day)


def plan_items(rt, plan_id: int) -> dict[str, PlanItem]:
    with rt.sessions() as session:
        items = session.scalars(select(PlanItem).where(PlanItem.artefact_id == plan_id).order_by(PlanItem.position))
        return {item.number: item for item in items}


def control_items(rt, plan_id: int) -> dict[tuple[str, dt.date | None], Artefact]:
    with rt.sessions() as session:
        children = session.scalars(select(Artefact).where(Artefact.parent_id == plan_id)).all()
        session.expunge_all()
        return {(child.fields["item_number"], child.due_date): child for child in children}


def document(rt, fired, template: str) -> list[str]:
    with rt.sessions() as session:
        (content,) = session.scalars(select(StoredDocument.content).where(
            StoredDocument.id.in_([d["id"] for d in fired.documents]), StoredDocument.template_name == template))
    return [line.strip() for line in docx_text(content).splitlines() if line.strip()]


def new_plan(rt, school) -> int:
    return create_artefact(rt, school["deputy"], school.id, "activity_plan", school_year=YEAR, today=SENT_DAY)


def imported_plan(rt, school) -> int:
    plan_id = new_plan(rt, school)
    commit_import(rt, plan_id, school["deputy"], plan_docx(), "План ВСОКО 2023-2024.docx")
    return plan_id


def fix_flagged_rows(rt, school, plan_id: int) -> None:
    items = plan_items(rt, plan_id)
    for number in FLAGGED + CUT:
        logins = ["teacher"] if number in ("6.2", "6.3") else ["deputy"]  # the physics teacher runs the library
        update_item(rt, plan_id, items[number].id, school["deputy"], version=None, responsible_logins=logins)
    # The deputy also decides to survey twice and to watch 2.7 every quarter.
    update_item(rt, plan_id, items["2.6"].id, school["deputy"], version=None, deadline_text="Ноябрь, апрель",
                responsible_logins=["psychologist"])
    update_item(rt, plan_id, items["2.7"].id, school["deputy"], version=None, deadline_text="Ежеквартально")


def occurrences(item: PlanItem) -> int:
    return len(item.schedule.get("periods") or []) or 1


# --------------------------------------------------------------------------- the year


@pytest.fixture
def year(rt, school):
    """The plan through its whole year; returns the plan id, the fired transitions and the control items."""
    plan_id = imported_plan(rt, school)
    fix_flagged_rows(rt, school, plan_id)
    fired = {"sent": fire(rt, plan_id, "send_to_council", school["deputy"], SENT_DAY)}
    fired["adopted"] = fire(rt, plan_id, "adopt", school["secretary"], COUNCIL_DAY,
                            protocol_date=COUNCIL_DAY.isoformat(), present=32, votes_for=30, votes_against=0,
                            votes_abstained=2)
    fired["approved"] = fire(rt, plan_id, "approve", school["director"], ORDER_DAY,
                             order_date=ORDER_DAY.isoformat(), responsible="deputy")
    items = control_items(rt, plan_id)
    psychologist, deputy, director = school["psychologist"], school["deputy"], school["director"]
    diagnostics = items["1.5", dt.date(2023, 9, 30)].id
    # 1.5: the psychologist reports, the deputy returns it with a comment, it is reported again and accepted.
    fire(rt, diagnostics, "report", psychologist, dt.date(2023, 9, 25), result="Диагностика проведена",
         executed_on="2023-09-25")
    fire(rt, diagnostics, "return_for_rework", deputy, dt.date(2023, 9, 26),
         comment="Приложите сводную таблицу результатов по классам")
    fire(rt, diagnostics, "report", psychologist, dt.date(2023, 9, 29),
         result="Диагностика проведена; сводная таблица по 1-м классам приложена", executed_on="2023-09-29",
         links="https://school29.example/diagnostika-1")
    fire(rt, diagnostics, "accept", deputy, dt.date(2023, 10, 2), assessment="Исполнено в срок")
    # 1.7 (October): reported late and accepted.
    fire(rt, items["1.7", dt.date(2023, 10, 31)].id, "report", deputy, dt.date(2023, 11, 15),
         result="Анкетирование девятиклассников проведено", executed_on="2023-11-15")
    fire(rt, items["1.7", dt.date(2023, 10, 31)].id, "accept", director, dt.date(2023, 11, 16))
    # 2.6 twice a year: November accepted, April cancelled with a reason.
    fire(rt, items["2.6", dt.date(2023, 11, 30)].id, "report", psychologist, dt.date(2023, 11, 28),
         result="Анкетирование учащихся 5–11 классов проведено", executed_on="2023-11-28")
    fire(rt, items["2.6", dt.date(2023, 11, 30)].id, "accept", deputy, dt.date(2023, 11, 29))
    fire(rt, items["2.6", dt.date(2024, 4, 30)].id, "cancel", deputy, dt.date(2024, 4, 1),
         comment="Повторное анкетирование заменено региональным мониторингом")
    # 1.1 («Согласно ВШК», no due date) and 8.1 (May) accepted.
    fire(rt, items["1.1", None].id, "report", deputy, dt.date(2024, 3, 20), result="Мониторинг по графику ВШК",
         executed_on="2024-03-20")
    fire(rt, items["1.1", None].id, "accept", director, dt.date(2024, 3, 21))
    fire(rt, items["8.1", dt.date(2024, 5, 31)].id, "report", director, dt.date(2024, 5, 20),
         result="Публичный доклад размещён на сайте", executed_on="2024-05-20")
    fire(rt, items["8.1", dt.date(2024, 5, 31)].id, "accept", deputy, dt.date(2024, 5, 21))
    fired["closed"] = fire(rt, plan_id, "close", deputy, REPORT_DAY, report_date=REPORT_DAY.isoformat())
    return {"plan_id": plan_id, "fired": fired, "items": items}


def test_import_shows_every_row_and_flags_the_rows_to_fix(rt, school):
    plan_id = new_plan(rt, school)
    preview = preview_import(rt, plan_id, school["deputy"], plan_docx(), "План.docx")
    assert preview["shape"] == "activity" and len(preview["items"]) == 28 and len(preview["sections"]) == 8
    assert plan_items(rt, plan_id) == {}  # the preview writes nothing
    commit_import(rt, plan_id, school["deputy"], plan_docx(), "План.docx")
    items = plan_items(rt, plan_id)
    assert len(items) == 28
    flagged = [number for number, item in items.items()
               if any(w.startswith("ответственный не найден") for w in item.warnings)]
    assert flagged == FLAGGED
    assert items["1.5"].warnings == ["номер восстановлен: S → 5"]
    assert items["1.5"].responsible_logins == ["psychologist"]
    assert items["1.6"].responsible_logins == ["deputy", "psychologist"]  # «Заместитель директора по УВР психолог»
    assert items["2.8"].responsible_logins == ["deputy", "director"]  # «Администрация»
    assert items["1.1"].schedule["kind"] == "linked" and items["1.1"].schedule["linked_to"] == "ВШК"
    with pytest.raises(Unprocessable) as failure:
        fire(rt, plan_id, "send_to_council", school["deputy"], SENT_DAY)
    assert items["3.1"].responsible_logins == [] and items["3.1"].warnings[-1].startswith(
        "ответственный записан не полностью: «Заместитель директора по»")
    unresolved = sorted(FLAGGED + CUT, key=lambda number: items[number].position)
    assert failure.value.details["rules"] == [
        f"Не определён ответственный в пунктах {', '.join(unresolved)}: выберите сотрудника или внешнего исполнителя"]


def test_fixed_rows_are_clean_and_a_second_import_adds_nothing(rt, school):
    plan_id = imported_plan(rt, school)
    fix_flagged_rows(rt, school, plan_id)
    items = plan_items(rt, plan_id)
    assert all(items[number].warnings == [] for number in FLAGGED)
    assert items["2.6"].schedule["kind"] == "dates" and items["2.7"].schedule["kind"] == "recurring"
    again = commit_import(rt, plan_id, school["deputy"], plan_docx(), "План ВСОКО 2023-2024.docx")
    assert (again.items_added, again.sections_added, again.duplicates) == (0, 0, 28)
    after = plan_items(rt, plan_id)
    assert len(after) == 28 and after["2.6"].deadline_text == "Ноябрь, апрель"
    assert after["6.2"].responsible_logins == ["teacher"]
    with rt.sessions() as session:
        assert len(session.scalars(select(PlanSection).where(PlanSection.artefact_id == plan_id)).all()) == 8


def test_approval_puts_every_occurrence_on_control(rt, school, year):
    items = plan_items(rt, year["plan_id"])
    controls = year["items"]
    assert len(controls) == sum(occurrences(item) for item in items.values()) == 35
    assert sorted(due for (number, due) in controls if number == "2.7") == [
        dt.date(2023, 9, 30), dt.date(2023, 12, 31), dt.date(2024, 3, 31), dt.date(2024, 6, 30)]
    assert sorted(due for (number, due) in controls if number == "2.6") == [dt.date(2023, 11, 30), dt.date(2024, 4, 30)]
    linked = [number for number, item in items.items() if item.schedule["kind"] == "linked"]
    assert sorted(number for number, due in controls if due is None) == sorted(linked)
    assert len(linked) == 11  # «Согласно ВШК», «По итогам ГИА», «НСОТ», «На основании единого графика …»
    assert controls["6.1", dt.date(2024, 8, 31)].fields["deadline_text"] == "В течение года"
    assert controls["5.1", dt.date(2024, 8, 31)].fields["deadline_text"] == "В течение учебного года"
    assert sorted(due for (number, due) in controls if number == "6.2") == [
        dt.date(2023, 9, 30), dt.date(2024, 1, 31), dt.date(2024, 5, 31)]


def test_plan_document_and_order(rt, school, year):
    with rt.sessions() as session:
        plan = session.get(Artefact, year["plan_id"])
        assert plan.state == "closed"
        order_number, protocol_number = plan.fields["order_number"], plan.fields["protocol_number"]
    assert (order_number, protocol_number) == ("Ш29-13-1/5", "1")
    draft = document(rt, year["fired"]["sent"], "plan_table")
    assert "ПРОЕКТ" in draft and "УТВЕРЖДЁН" not in draft
    approved = document(rt, year["fired"]["approved"], "plan_table")
    for line in ["УТВЕРЖДЁН", "приказом МБОУ СОШ № 29", "от 31.08.2023 № Ш29-13-1/5", "СОГЛАСОВАНО",
                 "Педагогическим советом", "(протокол от 30.08.2023 № 1)", FULL_TITLE]:
        assert any(text.startswith(line) for text in approved), line
    assert "ПРОЕКТ" not in approved
    assert "1.5" in approved and "Диагностика готовности первоклассников к обучению в школе" in approved
    order = document(rt, year["fired"]["approved"], "order_approval")
    assert "ПРИКАЗ" in order and f"Об утверждении Плана внутренней системы оценки качества образования на {YEAR} " \
                                 "учебный год" in order
    assert "2. Назначить ответственным за организацию исполнения плана заместителя директора по УВР Иванову И.И." \
        in order


def test_control_items_live_through_the_engine(rt, school, year):
    items = year["items"]
    with rt.sessions() as session:
        states = dict(session.execute(select(Artefact.id, Artefact.state).where(
            Artefact.parent_id == year["plan_id"])).all())
        diagnostics = session.execute(select(HistoryEntry.trigger, HistoryEntry.to_state, HistoryEntry.comment)
                                      .where(HistoryEntry.artefact_id == items["1.5", dt.date(2023, 9, 30)].id)
                                      .order_by(HistoryEntry.sequence)).all()
    assert [tuple(entry) for entry in diagnostics] == [
        ("create", "planned", ""), ("report", "reported", ""),
        ("return_for_rework", "returned", "Приложите сводную таблицу результатов по классам"),
        ("report", "reported", ""), ("accept", "accepted", ""),
    ]
    assert sorted(states.values()).count("accepted") == 5
    assert states[items["2.6", dt.date(2024, 4, 30)].id] == "cancelled"
    assert list(states.values()).count("planned") == 35 - 6


def test_execution_report_and_spravka(rt, school, year):
    report = document(rt, year["fired"]["closed"], "execution_report")
    assert f"об исполнении плана внутренней системы оценки качества образования на {YEAR} учебный год" in report
    assert report.count("Принято") == 5 and report.count("Отменено") == 1
    assert report.count("в срок") == 4 and report.count("с опозданием") == 1
    assert report.count("не исполнено") == 29 and report.count("отменено") == 1
    assert "по графику: Согласно ВШК" in report  # a linked item keeps its words
    assert ("Всего на контроле 35 пунктов; принято 5 (в срок — 4, с опозданием — 1); не исполнено — 29; "
            "отменено — 1.") in report
    spravka = document(rt, year["fired"]["closed"], "analytic_report")
    assert any(t.startswith("На контроле по плану находилось 35 пунктов") and "в 8 разделах" in t for t in spravka)
    assert f"Выполнено в срок 4 из 35 пунктов ({percent(4, 35)})." in spravka
    assert percent(4, 35) == "11,4 %" and percent(29, 35) == "82,9 %"
    assert "Выполнено с опозданием — 1 (2,9 %), не исполнено — 29 (82,9 %), отменено — 1 (2,9 %)." in spravka
    # The section «1.» had 7 items on control: 1.1 and 1.5 accepted on time, 1.7 late.
    first = spravka.index("1 Организационное обеспечение оценки качества образования")
    assert spravka[first + 1:first + 12] == ["7", "3", "42,9 %", "2", "28,6 %", "1", "14,3 %", "4", "57,1 %",
                                             "0", "0,0 %"]
    total = spravka.index("Итого")
    assert spravka[total + 1:total + 12] == ["35", "5", "14,3 %", "4", "11,4 %", "1", "2,9 %", "29", "82,9 %",
                                             "1", "2,9 %"]


def test_every_state_change_has_a_history_entry_and_the_store_verifies(rt, school, year):
    with rt.sessions() as session:
        triggers = session.scalars(select(HistoryEntry.trigger).where(HistoryEntry.artefact_id == year["plan_id"])
                                   .order_by(HistoryEntry.sequence)).all()
        children = session.scalars(select(Artefact).where(Artefact.parent_id == year["plan_id"])).all()
        for child in children:
            last = session.scalars(select(HistoryEntry).where(HistoryEntry.artefact_id == child.id)
                                   .order_by(HistoryEntry.sequence.desc()).limit(1)).one()
            assert last.to_state == child.state
    assert triggers == ["create", "import_items", *["edit_item"] * (len(FLAGGED + CUT) + 2),
                        "send_to_council", "adopt", "approve", "close"]
    report = verify_store(rt)
    assert report.ok, report.problems
    # The plan, its control items and the council's meeting it was adopted at (one meeting, one protocol).
    assert (report.artefacts, report.documents) == (1 + 35 + 1, 1 + 1 + 2 + 2)


# --------------------------------------------------------------------------- reordering


def test_moving_the_last_item_of_a_section_down_leaves_its_neighbour_in_place(rt, school):
    plan_id = imported_plan(rt, school)
    items = plan_items(rt, plan_id)
    last_of_first, first_of_second = items["1.7"], items["2.1"]
    move_item(rt, plan_id, last_of_first.id, school["deputy"], +1, version=None)
    with rt.sessions() as session:
        moved = session.get(PlanItem, last_of_first.id)
        neighbour = session.get(PlanItem, first_of_second.id)
        assert moved.section_id == first_of_second.section_id  # 1.7 now opens section 2 …
        assert neighbour.section_id == first_of_second.section_id  # … and 2.1 stays in section 2
        assert moved.position < neighbour.position
