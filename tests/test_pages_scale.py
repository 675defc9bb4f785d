"""A year's plan on its page: rows paged with their sections' contents, control items paged and
filtered, the history latest first, paged and grouped («Изменено 35 пунктов плана: 1.2, 1.4, …»),
deadlines in words stored with the row — the page does not grow with the rows."""
from __future__ import annotations

import datetime as dt
import html
import re

from sqlalchemy import select

from vsoko_flow.db import transaction
from vsoko_flow.deadlines.phrases import parse_deadline
from vsoko_flow.engine.history import append_entry
from vsoko_flow.models import Artefact, ArtefactAssignee, PlanItem, PlanSection, User
from vsoko_flow.services.control import CONTROL_PAGE, PLAN_PAGE, plan_row_page
from vsoko_flow.services.plans import update_item

from .web_helpers import counted_queries, login

YEAR = "2026/2027"
DEADLINE = "Декабрь, май"


def big_plan(rt, school, rows: int, sections: int = 10, state: str = "draft") -> int:
    """A plan of `rows` rows in `sections` sections, written directly (the import is tested elsewhere)."""
    schedule = parse_deadline(DEADLINE, YEAR).to_dict()
    with transaction(rt.sessions) as session:
        plan = Artefact(kind="activity_plan", organisation_id=school.id, title="План мероприятий ВСОКО",
                        state=state, school_year=YEAR, fields={})
        session.add(plan)
        session.flush()
        parts = [PlanSection(artefact_id=plan.id, position=n, number=str(n + 1), title=f"Раздел {n + 1}")
                 for n in range(sections)]
        session.add_all(parts)
        session.flush()
        per_section = rows // sections
        session.add_all([PlanItem(artefact_id=plan.id, section_id=parts[n // per_section].id, position=n,
                                  number=f"{n // per_section + 1}.{n % per_section + 1}",
                                  fields={"activity": f"Мероприятие № {n + 1}", "result": "Справка"},
                                  responsible_text="Заместитель директора по УВР", responsible_logins=["deputy"],
                                  deadline_text=DEADLINE, schedule=schedule) for n in range(rows)])
        return plan.id


def control_items(rt, school, plan_id: int, count: int) -> list[int]:
    with transaction(rt.sessions) as session:
        items = [Artefact(kind="control_item", organisation_id=school.id, title=f"Пункт {n + 1}",
                          state="accepted" if n % 4 == 0 else "reported" if n % 4 == 1 else "planned",
                          school_year=YEAR, parent_id=plan_id, due_date=dt.date(2026, 9, 1) + dt.timedelta(days=n % 300),
                          fields={"item_number": str(n + 1)}) for n in range(count)]
        session.add_all(items)
        session.flush()
        session.add_all([ArtefactAssignee(artefact_id=i.id, user_id=school["teacher"]) for i in items])
        return [i.id for i in items]


def signed_in(app, name: str = "deputy"):
    client = app.test_client()
    login(client, name)
    return client


def page(client, url: str) -> tuple[str, int]:
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.get_data(as_text=True)), len(response.get_data())


def test_a_2000_row_plan_is_shown_a_page_at_a_time(rt, school, app):
    small = big_plan(rt, school, PLAN_PAGE)
    large = big_plan(rt, school, 2000)
    deputy = signed_in(app)

    _, small_size = page(deputy, f"/artefacts/{small}")
    first, large_size = page(deputy, f"/artefacts/{large}")
    # The first page of 2 000 rows weighs what a plan of one page does, plus the contents of 10 sections.
    assert large_size < small_size * 1.3, (small_size, large_size)
    assert len(re.findall(r'<tr id="item-\d+"', first)) == PLAN_PAGE
    assert "Страница 1 из 20" in first and "Пункты 1–100 из 2000" in first
    assert "Мероприятие № 100<" in first and "Мероприятие № 101<" not in first
    assert 'Пункты плана <span class="count">2000</span>' in first
    # The contents lead to every section's page; a section spanning pages says it continues.
    assert f'href="/artefacts/{large}?rows=3#section-' in first
    third, _ = page(deputy, f"/artefacts/{large}?rows=3")
    assert "Мероприятие № 201<" in third and "Мероприятие № 300<" in third
    assert "2. Раздел 2\n" in third and "(продолжение)" not in third
    second, _ = page(deputy, f"/artefacts/{large}?rows=2")
    assert "1. Раздел 1 <span class=\"muted small\">(продолжение)</span>" in second
    # The deadline in words is stored with the row, not worked out on every view.
    with rt.sessions() as session:
        stored = session.scalars(select(PlanItem.deadline_description).where(PlanItem.artefact_id == large)).first()
    assert stored.startswith("31.12.2026") and stored in first


def test_a_row_edited_on_a_later_page_returns_to_that_page(rt, school, app):
    plan_id = big_plan(rt, school, 300, sections=3)
    with rt.sessions() as session:
        row = session.scalars(select(PlanItem).where(PlanItem.artefact_id == plan_id, PlanItem.position == 250)).one()
    assert plan_row_page(rt, plan_id, school["deputy"], item_id=row.id) == 3
    update_item(rt, plan_id, row.id, school["deputy"], version=None, deadline_text="до 25 мая")
    with rt.sessions() as session:
        assert session.get(PlanItem, row.id).deadline_description.startswith("25.05.2027")
    deputy = signed_in(app)
    edit, _ = page(deputy, f"/plans/{plan_id}/items/{row.id}/edit")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', edit).group(1)
    version = re.search(r'name="version" value="(\d+)"', edit).group(1)
    response = deputy.post(f"/plans/{plan_id}/items/{row.id}/edit", data={
        "csrf_token": token, "version": version, "deadline_text": "до 20 мая", "responsible": "deputy",
        "field_activity": "Мероприятие № 251", "field_result": "Справка"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert response.headers["Location"].endswith(f"/artefacts/{plan_id}?rows=3#item-{row.id}")


def test_control_items_are_paged_and_filtered(rt, school, app):
    plan_id = big_plan(rt, school, 20, sections=2, state="execution")
    control_items(rt, school, plan_id, 2000)
    deputy = signed_in(app)
    first, size = page(deputy, f"/artefacts/{plan_id}")
    assert len(re.findall(r'<tr class="[^"]*">\s*<td class="nowrap">', first)) == CONTROL_PAGE
    assert 'Пункты на контроле <span class="count">2000</span>' in first
    assert "Принятые <span class=\"count\">500</span>" in first and "На проверке <span class=\"count\">500</span>" in first
    assert size < 200_000, size
    reported, _ = page(deputy, f"/artefacts/{plan_id}?control=reported&cpage=2")
    assert "Страница 2 из 10" in reported
    assert "Исполнено — на проверке" in reported and ">Принято<" not in reported
    nonsense, _ = page(deputy, f"/artefacts/{plan_id}?control=drop&cpage=-1&rows=x&history=abc")
    assert "Страница 1 из 40" in nonsense


def test_history_latest_first_paged_and_grouped_naming_rows(rt, school, app):
    plan_id = big_plan(rt, school, 60, sections=2)
    with transaction(rt.sessions) as session:
        plan = session.get(Artefact, plan_id)
        deputy_user = session.get(User, school["deputy"])
        append_entry(session, plan, deputy_user, "create", "")
        for n in range(35):
            append_entry(session, plan, deputy_user, "edit_item", "draft",
                         fields={"item_id": n, "number": f"1.{n + 1}", "deadline_text": DEADLINE})
        for trigger, before, after in (("send_to_council", "draft", "council_review"),
                                       ("adopt", "council_review", "adopted"), ("approve", "adopted", "execution")):
            plan.state = after
            append_entry(session, plan, deputy_user, trigger, before)
        for n in range(200):
            append_entry(session, plan, deputy_user, "return_to_draft", "execution", comment=f"Замечание № {n}")
    deputy = signed_in(app)
    with counted_queries(rt) as few:
        latest, size = page(deputy, f"/artefacts/{plan_id}")
    assert 'История <span class="count">239</span>' in latest
    assert "Показать ещё 100" in latest and "показаны последние 30 из 239" in latest
    assert latest.index("Замечание № 199") < latest.index("Замечание № 197")          # latest first
    assert "Изменено 35 пунктов плана" not in latest                                 # not among the latest 30
    everything, _ = page(deputy, f"/artefacts/{plan_id}?history=300")
    assert "Изменено 35 пунктов плана: 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 1.10, 1.11, 1.12 и ещё 23" \
        in everything
    assert "Изменён пункт плана: 1.35" in everything                                  # each entry names its row
    assert "Показать ещё" not in everything
    # The stepper still knows every state the chain went through, though only 30 entries were read.
    assert latest.count('class="step step--done"') == 3
    with transaction(rt.sessions) as session:
        plan = session.get(Artefact, plan_id)
        for n in range(1000):
            append_entry(session, plan, session.get(User, school["deputy"]), "return_to_draft", "execution")
    with counted_queries(rt) as many:
        _, larger = page(deputy, f"/artefacts/{plan_id}")
    assert many["n"] == few["n"]
    assert larger < size * 1.2, (size, larger)
