"""Numbers follow position (issue 11, point 5): after ↑/↓, adding and deleting rows and sections the
plan reads 9.1, 9.2, 9.3 … in the order shown, and the person is told what was renumbered.

Plans are built here by hand or from small tables written for these tests (no seed text)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from vsoko_flow.models import Artefact, HistoryEntry, PlanItem, PlanSection
from vsoko_flow.services.artefacts import create_artefact
from vsoko_flow.services.control import plan_table
from vsoko_flow.services.errors import Unprocessable
from vsoko_flow.services.meetings import edit_agenda_texts
from vsoko_flow.services.plans import (
    add_item, add_section, commit_import, delete_item, delete_section, move_item, move_section, renumbering_message,
)

from .test_api import api  # noqa: F401 - fixture
from .web_helpers import login, post_form

YEAR = "2024/2025"
ACTIVITIES = ["Анкетирование родителей", "Мониторинг посещаемости", "Анализ результатов ВПР",
              "Проверка рабочих программ", "Самообследование", "Отчёт о самообследовании"]


def new_plan(rt, school, kind: str = "activity_plan") -> int:
    return create_artefact(rt, school["deputy"], school.id, kind, school_year=YEAR)


def row(rt, school, plan_id: int, section_id: int | None, text: str):
    return add_item(rt, plan_id, school["deputy"], version=None, section_id=section_id, fields={"activity": text},
                    responsible_logins=["deputy"], deadline_text="Май")


def section_nine(rt, school, rows: int = 5) -> tuple[int, int]:
    """A plan whose section «9» holds rows 9.1 … 9.N (the shape of the issue)."""
    plan_id = new_plan(rt, school)
    section = add_section(rt, plan_id, school["deputy"], "Оценка качества условий", version=None, number="9")
    for text in ACTIVITIES[:rows]:
        row(rt, school, plan_id, section.id, text)
    return plan_id, section.id


def shown(rt, school, plan_id: int) -> list[list[tuple[str, str]]]:
    """(number, activity) of every row, section by section, as the plan page shows them."""
    return [[(r["number"], r["cells"][0]["text"]) for r in s["items"]]
            for s in plan_table(rt, plan_id, school["deputy"])["sections"]]


def sections_shown(rt, school, plan_id: int) -> list[tuple[str, str]]:
    return [(s["number"], s["title"]) for s in plan_table(rt, plan_id, school["deputy"])["sections"]]


def ids(rt, plan_id: int) -> dict[str, int]:
    with rt.sessions() as session:
        return {i.fields["activity"]: i.id for i in session.scalars(select(PlanItem).where(PlanItem.artefact_id == plan_id))}


def csv_plan(rt, school, rows: list[list[str]]) -> int:
    """A plan imported from a small CSV written here: «№;Мероприятия;Ответственный;Срок»."""
    plan_id = new_plan(rt, school)
    lines = ["№;Мероприятия;Ответственный;Срок"] + [";".join(cells) for cells in rows]
    commit_import(rt, plan_id, school["deputy"], ("\n".join(lines) + "\n").encode("utf-8"), "plan.csv")
    return plan_id


def last_history(rt, plan_id: int) -> HistoryEntry:
    with rt.sessions() as session:
        return session.scalars(select(HistoryEntry).where(HistoryEntry.artefact_id == plan_id)
                               .order_by(HistoryEntry.sequence.desc())).first()


# --- Rows ----------------------------------------------------------------------------------------------

def test_a_row_moved_up_takes_the_number_of_its_place(rt, school):
    plan_id, _ = section_nine(rt, school)
    moved = ids(rt, plan_id)["Самообследование"]
    first = move_item(rt, plan_id, moved, school["deputy"], -1, version=None)
    second = move_item(rt, plan_id, moved, school["deputy"], -1, version=None)
    assert shown(rt, school, plan_id) == [[
        ("9.1", "Анкетирование родителей"), ("9.2", "Мониторинг посещаемости"), ("9.3", "Самообследование"),
        ("9.4", "Анализ результатов ВПР"), ("9.5", "Проверка рабочих программ")]]  # never 9.1, 9.2, 9.5, 9.3, 9.4
    assert (first.number, first.message) == ("9.4", "Пункты 9.4–9.5 перенумерованы.")
    assert (second.number, second.message) == ("9.3", "Пункты 9.3–9.4 перенумерованы.")
    entry = last_history(rt, plan_id)
    assert (entry.trigger, entry.fields["number"], entry.fields["new_number"]) == ("move_item", "9.4", "9.3")
    assert entry.fields["renumbering"] == [["9.4", "9.3"], ["9.3", "9.4"]]


def test_the_first_row_moved_up_stays_and_nothing_is_renumbered(rt, school):
    plan_id, _ = section_nine(rt, school, rows=2)
    change = move_item(rt, plan_id, ids(rt, plan_id)["Анкетирование родителей"], school["deputy"], -1, version=None)
    assert (change.renumbered, change.message) == ((), "")
    assert [n for n, _ in shown(rt, school, plan_id)[0]] == ["9.1", "9.2"]


def test_deleting_a_row_closes_the_gap_and_says_which_numbers_moved(rt, school):
    plan_id, _ = section_nine(rt, school, rows=6)
    change = delete_item(rt, plan_id, ids(rt, plan_id)["Анализ результатов ВПР"], school["deputy"], version=None)
    assert change.message == "Пункты 9.3–9.5 перенумерованы."
    assert [n for n, _ in shown(rt, school, plan_id)[0]] == ["9.1", "9.2", "9.3", "9.4", "9.5"]


def test_a_row_moved_across_a_section_border_is_numbered_in_its_new_section(rt, school):
    plan_id, nine = section_nine(rt, school, rows=3)
    ten = add_section(rt, plan_id, school["deputy"], "Оценка качества результатов", version=None)
    row(rt, school, plan_id, ten.id, "Самообследование")
    change = move_item(rt, plan_id, ids(rt, plan_id)["Анализ результатов ВПР"], school["deputy"], +1, version=None)
    assert sections_shown(rt, school, plan_id) == [("9", "Оценка качества условий"),
                                                   ("10", "Оценка качества результатов")]
    assert shown(rt, school, plan_id) == [
        [("9.1", "Анкетирование родителей"), ("9.2", "Мониторинг посещаемости")],
        [("10.1", "Анализ результатов ВПР"), ("10.2", "Самообследование")]]
    assert change.message == "Пункты 10.1–10.2 перенумерованы."


def test_in_a_plan_numbered_through_rows_follow_across_sections(rt, school):
    plan_id = csv_plan(rt, school, [
        ["Раздел А"], ["1", "Первое", "Иванова И.И.", "Сентябрь"], ["2", "Второе", "Иванова И.И.", "Май"],
        ["Раздел Б"], ["3", "Третье", "Иванова И.И.", "Май"], ["4", "Четвёртое", "Иванова И.И.", "Май"]])
    change = move_item(rt, plan_id, ids(rt, plan_id)["Третье"], school["deputy"], -1, version=None)
    assert shown(rt, school, plan_id) == [[("1", "Первое"), ("2", "Второе"), ("3", "Третье")], [("4", "Четвёртое")]]
    assert change.renumbered == ()  # the row changed section, its number did not
    deleted = delete_item(rt, plan_id, ids(rt, plan_id)["Первое"], school["deputy"], version=None)
    assert shown(rt, school, plan_id) == [[("1", "Второе"), ("2", "Третье")], [("3", "Четвёртое")]]
    assert deleted.message == "Пункты 1–3 перенумерованы."


def test_sections_that_start_again_at_one_keep_doing_so(rt, school):
    plan_id = csv_plan(rt, school, [
        ["Раздел А"], ["1", "Первое", "Иванова И.И.", "Май"], ["2", "Второе", "Иванова И.И.", "Май"],
        ["Раздел Б"], ["1", "Третье", "Иванова И.И.", "Май"], ["2", "Четвёртое", "Иванова И.И.", "Май"]])
    delete_item(rt, plan_id, ids(rt, plan_id)["Первое"], school["deputy"], version=None)
    added = row(rt, school, plan_id, plan_table(rt, plan_id, school["deputy"])["sections"][1]["id"], "Пятое")
    assert [[n for n, _ in section] for section in shown(rt, school, plan_id)] == [["1"], ["1", "2", "3"]]
    assert added.renumbered == ()


def test_a_schools_own_irregular_numbers_are_kept_as_written(rt, school):
    plan_id = csv_plan(rt, school, [
        ["1", "Первое", "Иванова И.И.", "Май"], ["1.1", "Подпункт первого", "Иванова И.И.", "Май"],
        ["2", "Второе", "Иванова И.И.", "Май"]])
    before = [n for section in shown(rt, school, plan_id) for n, _ in section]
    change = move_item(rt, plan_id, ids(rt, plan_id)["Второе"], school["deputy"], -1, version=None)
    assert change.renumbered == ()
    assert sorted(n for section in shown(rt, school, plan_id) for n, _ in section) == sorted(before)


# --- Sections --------------------------------------------------------------------------------------------

def three_sections(rt, school) -> tuple[int, list[int]]:
    plan_id = new_plan(rt, school)
    sections = []
    for title, texts in (("Условия", ACTIVITIES[:2]), ("Процессы", ACTIVITIES[2:3]), ("Результаты", ACTIVITIES[3:5])):
        section = add_section(rt, plan_id, school["deputy"], title, version=None)
        sections.append(section.id)
        for text in texts:
            row(rt, school, plan_id, section.id, text)
    return plan_id, sections


def test_a_section_moved_up_takes_its_rows_and_both_are_renumbered(rt, school):
    plan_id, (_, processes, results) = three_sections(rt, school)
    change = move_section(rt, plan_id, results, school["deputy"], -1, version=None)
    assert sections_shown(rt, school, plan_id) == [("1", "Условия"), ("2", "Результаты"), ("3", "Процессы")]
    assert shown(rt, school, plan_id) == [
        [("1.1", "Анкетирование родителей"), ("1.2", "Мониторинг посещаемости")],
        [("2.1", "Проверка рабочих программ"), ("2.2", "Самообследование")], [("3.1", "Анализ результатов ВПР")]]
    assert change.message == "Разделы 2–3 перенумерованы. Пункты 2.1–2.2, 3.1 перенумерованы."
    assert last_history(rt, plan_id).trigger == "move_section"


def test_an_empty_section_is_deleted_and_the_ones_after_close_the_gap(rt, school):
    plan_id, (conditions, _, results) = three_sections(rt, school)
    refused_before = shown(rt, school, plan_id), sections_shown(rt, school, plan_id)
    with pytest.raises(Unprocessable, match="не пуст .пунктов: 2.: сначала удалите его пункты"):
        delete_section(rt, plan_id, conditions, school["deputy"], version=None)
    assert (shown(rt, school, plan_id), sections_shown(rt, school, plan_id)) == refused_before
    empty = add_section(rt, plan_id, school["deputy"], "Пустой", version=None)
    move_section(rt, plan_id, empty.id, school["deputy"], -1, version=None)
    move_section(rt, plan_id, empty.id, school["deputy"], -1, version=None)
    assert sections_shown(rt, school, plan_id)[1] == ("2", "Пустой")
    change = delete_section(rt, plan_id, empty.id, school["deputy"], version=None)
    assert sections_shown(rt, school, plan_id) == [("1", "Условия"), ("2", "Процессы"), ("3", "Результаты")]
    assert [[n for n, _ in s] for s in shown(rt, school, plan_id)] == [["1.1", "1.2"], ["2.1"], ["3.1", "3.2"]]
    assert change.message == "Разделы 2–3 перенумерованы. Пункты 2.1, 3.1–3.2 перенумерованы."
    with rt.sessions() as session:
        assert session.get(PlanSection, empty.id) is None


def test_roman_sections_stay_roman_and_their_rows_arabic(rt, school):
    plan_id = new_plan(rt, school)
    first = add_section(rt, plan_id, school["deputy"], "Оценка условий", version=None, number="I")
    second = add_section(rt, plan_id, school["deputy"], "Оценка результатов", version=None, number="II")
    row(rt, school, plan_id, first.id, "Анкетирование родителей")
    row(rt, school, plan_id, second.id, "Анализ результатов ВПР")
    assert [[n for n, _ in s] for s in shown(rt, school, plan_id)] == [["1.1"], ["2.1"]]
    change = move_section(rt, plan_id, second.id, school["deputy"], -1, version=None)
    assert sections_shown(rt, school, plan_id) == [("I", "Оценка результатов"), ("II", "Оценка условий")]
    assert shown(rt, school, plan_id) == [[("1.1", "Анализ результатов ВПР")], [("2.1", "Анкетирование родителей")]]
    assert change.message == "Разделы I–II перенумерованы. Пункты 1.1, 2.1 перенумерованы."


def test_a_meetings_agenda_texts_move_with_their_question(rt, school):
    meeting_id = create_artefact(rt, school["secretary"], school.id, "meeting", school_year=YEAR,
                                 fields={"body": "pedsovet", "meeting_date": "2024-08-29"})
    first = add_section(rt, meeting_id, school["secretary"], "О плане на год", version=None)
    second = add_section(rt, meeting_id, school["secretary"], "О режиме работы", version=None)
    edit_agenda_texts(rt, meeting_id, school["secretary"], [
        {"title": "О плане на год", "heard": "Иванову И.И."}, {"title": "О режиме работы", "heard": "Соколову М.Б."}],
        version=None)
    move_section(rt, meeting_id, second.id, school["secretary"], -1, version=None)
    with rt.sessions() as session:
        agenda = session.get(Artefact, meeting_id).fields["agenda"]
    assert [(entry["title"], entry["heard"]) for entry in agenda] == [
        ("О режиме работы", "Соколову М.Б."), ("О плане на год", "Иванову И.И.")]
    delete_section(rt, meeting_id, first.id, school["secretary"], version=None)
    with rt.sessions() as session:
        agenda = session.get(Artefact, meeting_id).fields["agenda"]
    assert [entry["title"] for entry in agenda] == ["О режиме работы"]


def test_the_message_joins_runs_of_numbers():
    assert renumbering_message([("9.5", "9.4"), ("9.4", "9.5")]) == "Пункты 9.4–9.5 перенумерованы."
    assert renumbering_message([("3", "2")]) == "Пункт 2 перенумерован."
    assert renumbering_message([("1.2", "1.1"), ("2.3", "2.2"), ("2.4", "2.3")]) == \
        "Пункты 1.1, 2.2–2.3 перенумерованы."
    assert renumbering_message([]) == ""


# --- Web and API --------------------------------------------------------------------------------------------

def test_the_plan_page_moves_and_deletes_sections_and_says_what_was_renumbered(rt, school, app):
    plan_id, (_, processes, _) = three_sections(rt, school)
    deputy = app.test_client()
    login(deputy, "deputy")
    page = f"/artefacts/{plan_id}"
    version = plan_table(rt, plan_id, school["deputy"])["version"]
    moved = post_form(deputy, f"/plans/{plan_id}/sections/{processes}/move", {"direction": "up", "version": version},
                      form_page=page)
    assert moved.status_code == 302
    text = deputy.get(page).get_data(as_text=True)
    assert "Порядок разделов изменён. Разделы 1–2 перенумерованы. Пункты 1.1, 2.1–2.2 перенумерованы." in text
    version = plan_table(rt, plan_id, school["deputy"])["version"]
    refused = post_form(deputy, f"/plans/{plan_id}/sections/{processes}/delete", {"version": version}, form_page=page)
    assert refused.status_code == 422 and "не пуст" in refused.get_data(as_text=True)
    stale = post_form(deputy, f"/plans/{plan_id}/sections/{processes}/move", {"direction": "down", "version": 1},
                      form_page=page)
    assert stale.status_code == 409


def test_the_api_moves_sections_and_lists_the_numbers_that_changed(rt, school, api):
    plan_id, (conditions, _, results) = three_sections(rt, school)
    version = plan_table(rt, plan_id, school["deputy"])["version"]
    moved = api.ok("POST", f"/artefacts/{plan_id}/items/sections/{results}/move", "deputy",
                   json={"version": version, "direction": "up"})
    assert moved["version"] == version + 1 and moved["section_id"] == results
    assert {"from": "раздел 3", "to": "раздел 2"} in moved["renumbered"]
    assert moved["message"].startswith("Разделы 2–3 перенумерованы.")
    refused = api.error("DELETE", f"/artefacts/{plan_id}/items/sections/{conditions}?version={moved['version']}",
                        "deputy", 422)
    assert "не пуст" in refused["message"]
    empty = add_section(rt, plan_id, school["deputy"], "Пустой", version=None)
    gone = api.ok("DELETE", f"/artefacts/{plan_id}/items/sections/{empty.id}?version={empty.version}", "deputy")
    assert gone["renumbered"] == [] and gone["message"] == ""
