"""«Мои задачи» for a school year: groups by deadline, order by deadline, filters, counts, «ещё N»,
the deadline on every card, and a page that does not grow with the number of items."""
from __future__ import annotations

import datetime as dt
import html
import re

from vsoko_flow.db import transaction
from vsoko_flow.models import Artefact, ArtefactAssignee
from vsoko_flow.services.tasks import GROUP_PAGE, GROUP_PREVIEW, TaskFilter, my_tasks

from .web_helpers import counted_queries, login

TODAY = dt.date(2026, 12, 2)          # a Wednesday: «на этой неделе» runs to Sunday 06.12
YEAR = "2026/2027"


def plan_with_items(rt, school, dues: list[dt.date | None], title: str = "План мероприятий ВСОКО",
                    assignee: str = "teacher", state: str = "planned", year: str = YEAR) -> tuple[int, list[int]]:
    """A plan in execution and its control items (numbered «1.1», «1.2», … in the order given)."""
    with transaction(rt.sessions) as session:
        plan = Artefact(kind="activity_plan", organisation_id=school.id, title=title, state="execution",
                        school_year=year, fields={})
        session.add(plan)
        session.flush()
        items = [Artefact(kind="control_item", organisation_id=school.id, title=f"1.{n + 1} Мероприятие {n + 1}",
                          state=state, school_year=year, parent_id=plan.id, due_date=due,
                          fields={"item_number": f"1.{n + 1}"}) for n, due in enumerate(dues)]
        session.add_all(items)
        session.flush()
        session.add_all([ArtefactAssignee(artefact_id=item.id, user_id=school[assignee]) for item in items])
        return plan.id, [item.id for item in items]


def signed_in(app, name: str):
    client = app.test_client()
    login(client, name)
    return client


def page_of(client, url: str = "/") -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.get_data(as_text=True))


def test_groups_in_order_with_counts_and_cards_ordered_by_deadline(rt, school):
    day = dt.timedelta(days=1)
    # Created in an order unlike the deadlines': the page must not follow ids.
    _, ids = plan_with_items(rt, school, [TODAY + 30 * day, None, TODAY - 3 * day, TODAY, TODAY + 2 * day,
                                          TODAY - 10 * day, TODAY + 4 * day, TODAY + 5 * day])
    tasks = my_tasks(rt, school["teacher"], school.id, today=TODAY)

    groups = {g["key"]: g for g in tasks["groups"]}
    assert [g["key"] for g in tasks["groups"]] == ["today", "overdue", "week", "later", "none"]
    assert [g["label"] for g in tasks["groups"]] == ["Сегодня", "Просрочено", "На этой неделе", "Позже", "Без срока"]
    assert {k: g["count"] for k, g in groups.items()} == {"today": 1, "overdue": 2, "week": 2, "later": 2, "none": 1}
    assert tasks["actions_total"] == 8
    assert [c["id"] for c in groups["overdue"]["items"]] == [ids[5], ids[2]]        # the oldest first
    assert [c["id"] for c in groups["week"]["items"]] == [ids[4], ids[6]]           # 04.12, 06.12 (Sunday)
    assert [c["id"] for c in groups["later"]["items"]] == [ids[7], ids[0]]          # 07.12 is next week
    assert groups["overdue"]["items"][0]["days_left"] == -10 and groups["overdue"]["items"][0]["overdue"]
    assert groups["none"]["items"][0]["due"] is None
    for card in tasks["actions"]:
        assert card["document"]["title"] == "План мероприятий ВСОКО"
        # The school does not use «Взять в работу» (the default): only the report is asked for.
        assert [t["trigger"] for t in card["transitions"]] == ["report"]


def test_more_than_a_preview_shows_more_and_opens_the_group_paged(rt, school, app):
    overdue = [TODAY - dt.timedelta(days=100 - n) for n in range(GROUP_PREVIEW + GROUP_PAGE + 3)]
    _, ids = plan_with_items(rt, school, overdue)
    teacher = signed_in(app, "teacher")

    page = page_of(teacher)
    assert len(re.findall(r'class="task task--overdue"', page)) == GROUP_PREVIEW
    assert f"Показать ещё {len(ids) - GROUP_PREVIEW}" in page
    assert 'href="/?group=overdue"' in page

    first = page_of(teacher, "/?group=overdue")
    assert len(re.findall(r'class="task task--overdue"', first)) == GROUP_PAGE
    assert "Страница 1 из 2" in first and "Дальше →" in first
    last = page_of(teacher, "/?group=overdue&page=2")
    shown = [int(n) for n in re.findall(r'<a class="task__title" href="/artefacts/(\d+)"', last)]
    assert shown == ids[GROUP_PAGE:]                                   # the rest, still by deadline
    # Values no form sends are ignored, not a 500.
    assert teacher.get("/?group=nonsense&page=-3&year=x&document=abc&action=DROP").status_code == 200


def test_filters_by_document_action_and_school_year(rt, school, app):
    plan_a, items_a = plan_with_items(rt, school, [TODAY + dt.timedelta(days=3)] * 3, title="План А")
    plan_b, items_b = plan_with_items(rt, school, [TODAY - dt.timedelta(days=3)] * 2, title="План Б",
                                      state="reported", year="2025/2026")
    deputy = my_tasks(rt, school["deputy"], school.id, today=TODAY)
    documents = {d["title"]: d["tasks"] for d in deputy["documents"]}
    assert documents["План Б"] == 3              # the deputy accepts both reported items and may close the plan
    assert {a["trigger"] for a in deputy["action_kinds"]} >= {"accept", "return_for_rework"}

    only_b = my_tasks(rt, school["deputy"], school.id, today=TODAY, filters=TaskFilter(document_id=plan_b))
    assert {c["id"] for c in only_b["actions"]} == {plan_b, *items_b}
    accept = my_tasks(rt, school["deputy"], school.id, today=TODAY, filters=TaskFilter(action="accept"))
    assert {c["id"] for c in accept["actions"]} == set(items_b)
    assert all([t["trigger"] for t in c["transitions"]] == ["accept"] for c in accept["actions"])
    teacher = my_tasks(rt, school["teacher"], school.id, today=TODAY, filters=TaskFilter(school_year=YEAR))
    assert {c["id"] for c in teacher["actions"]} == set(items_a)
    last_year = my_tasks(rt, school["teacher"], school.id, today=TODAY, filters=TaskFilter(school_year="2025/2026"))
    assert last_year["actions"] == []

    client = signed_in(app, "deputy")
    page = page_of(client, f"/?document={plan_b}&action=accept")
    assert "Принять исполнение" in page and f'<option value="{plan_b}" selected>' in page
    assert page_of(client, "/?year=2019/2020").count("По этому отбору задач нет.") == 1


def test_every_card_shows_its_deadline(rt, school, app):
    plan_with_items(rt, school, [TODAY - dt.timedelta(days=2), None, dt.date(2027, 5, 20)])
    page = page_of(signed_in(app, "teacher"))
    cards = re.findall(r'<li class="task[^"]*">(.*?)</li>\s*(?=<li class="task|</ul>)', page, re.S)
    assert len(cards) == 3
    assert all('class="task__due"' in card for card in cards)
    assert "Срок: <strong>20.05.2027</strong>" in page
    assert "Без срока" in page


def test_the_page_costs_the_same_queries_and_size_with_ten_or_a_thousand_items(rt, school, app):
    teacher = signed_in(app, "teacher")
    plan_with_items(rt, school, [dt.date.today() + dt.timedelta(days=n % 200 - 50) for n in range(10)])
    teacher.get("/")
    with counted_queries(rt) as few:
        small = teacher.get("/").get_data()
    plan_with_items(rt, school, [dt.date.today() + dt.timedelta(days=n % 200 - 50) for n in range(1000)])
    with counted_queries(rt) as many:
        large = teacher.get("/").get_data()
    assert many["n"] == few["n"]
    # Five groups of at most GROUP_PREVIEW cards: the page stops growing.
    assert len(large) < 80_000, len(large)


def test_the_school_chooses_whether_executors_take_items_into_work(rt, school, app):
    """«Взять в работу» is a step the school opts into on «Реквизиты» (Администрирование)."""
    from vsoko_flow.models import Membership, Organisation
    from vsoko_flow.services.admin import organisation_view

    with transaction(rt.sessions) as session:
        director = session.query(Membership).filter_by(user_id=school["director"], organisation_id=school.id).one()
        director.roles = [*director.roles, "admin"]
    _, ids = plan_with_items(rt, school, [TODAY + dt.timedelta(days=1)])
    director = signed_in(app, "director")
    form = page_of(director, "/admin/organisation")
    assert "Исполнители отмечают «Взять в работу» перед отчётом" in form
    assert not organisation_view(rt, school.id).uses_start_step
    teacher = signed_in(app, "teacher")
    item_page = page_of(teacher, f"/artefacts/{ids[0]}")
    # The item's own page follows the school's choice as «Мои задачи» does.
    assert "Отчитаться об исполнении" in item_page and "Взять в работу" not in item_page
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    saved = director.post("/admin/organisation", data={
        "csrf_token": token, "full_name": "Средняя школа № 1", "short_name": "СОШ № 1", "address": "", "city": "",
        "uses_start_step": "y"})
    assert saved.status_code == 303
    with rt.sessions() as session:
        assert session.get(Organisation, school.id).uses_start_step is True
    card = my_tasks(rt, school["teacher"], school.id, today=TODAY)["actions"][0]
    assert card["id"] == ids[0] and [t["trigger"] for t in card["transitions"]] == ["start", "report"]
    item_page = page_of(teacher, f"/artefacts/{ids[0]}")
    assert "Взять в работу" in item_page and "Отчитаться об исполнении" in item_page


def test_the_deadline_count_is_bounded(rt, school, app):
    from vsoko_flow.services.tasks import DEADLINE_COUNT_CAP

    plan_with_items(rt, school, [TODAY - dt.timedelta(days=1 + n % 90) for n in range(DEADLINE_COUNT_CAP + 200)])
    tasks = my_tasks(rt, school["teacher"], school.id, today=TODAY)
    assert tasks["deadlines_capped"] and tasks["deadlines_total"] == DEADLINE_COUNT_CAP + 1
    assert len(tasks["deadlines"]) == 10 and tasks["deadlines"][0]["days_left"] == -90      # the oldest first
    assert {g["key"]: g["count"] for g in tasks["groups"]}["overdue"] == DEADLINE_COUNT_CAP + 200  # cards: exact
    page = page_of(signed_in(app, "teacher"))
    assert 'Сроки <span class="count">1000+</span>' in page and "Показаны 10 из более 1000." in page
