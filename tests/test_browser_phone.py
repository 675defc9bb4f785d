"""Phone widths: every page usable at 360–390 px without sideways scrolling (tables scroll in their
own box or become cards); screenshots at 1366 and 390 px of «Мои задачи» with a 60-row plan in
execution, the plan page and the documents list (tests/artifacts/phone_*.png)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from vsoko_flow.db import transaction
from vsoko_flow.deadlines.phrases import parse_deadline
from vsoko_flow.models import Artefact, ArtefactAssignee, Organisation, PlanItem, PlanSection
from vsoko_flow.services.artefacts import current_school_year
from vsoko_flow.services.demo import DEMO_PASSWORD, load_demo

from .browser import browser, live_server, screenshot  # noqa: F401 - fixtures

WIDE, PHONE, NARROW = 1366, 390, 360
ROWS = 60


def plan_in_execution(rt, users: dict[str, int]) -> int:
    """A 60-row plan of this school year in execution: one control item per row, due from three weeks
    ago to the end of the year, given to the deputy, the teacher and the psychologist in turn."""
    today = dt.date.today()
    year = current_school_year(today)
    with transaction(rt.sessions) as session:
        school_id = session.scalar(select(Organisation.id).where(Organisation.kind == "school"))
        plan = Artefact(kind="activity_plan", organisation_id=school_id, state="execution", school_year=year,
                        title="План мероприятий ВСОКО (60 пунктов) с длинным названием, как его пишут в школах",
                        fields={})
        session.add(plan)
        session.flush()
        sections = [PlanSection(artefact_id=plan.id, position=n, number=str(n + 1),
                                title=f"Оценка качества образовательных результатов обучающихся, часть {n + 1}")
                    for n in range(3)]
        session.add_all(sections)
        session.flush()
        people = ["deputy", "teacher", "psychologist"]
        for n in range(ROWS):
            number = f"{n // 20 + 1}.{n % 20 + 1}"
            login = people[n % 3]
            activity = (f"Мониторинг предметных результатов (ВПР, контрольные работы) по параллели {n % 11 + 1} "
                        "классов с анализом на заседании методического объединения")
            session.add(PlanItem(artefact_id=plan.id, section_id=sections[n // 20].id, position=n, number=number,
                                 fields={"activity": activity, "result": "Аналитическая справка, протокол ШМО"},
                                 responsible_text="Заместитель директора по УВР", responsible_logins=[login],
                                 deadline_text="Декабрь, май", schedule=parse_deadline("Декабрь, май", year).to_dict()))
            item = Artefact(kind="control_item", organisation_id=school_id, state="planned", school_year=year,
                            parent_id=plan.id, title=f"{number} {activity}",
                            due_date=today + dt.timedelta(days=n * 4 - 21), fields={"item_number": number})
            session.add(item)
            session.flush()
            session.add(ArtefactAssignee(artefact_id=item.id, user_id=users[login]))
        return plan.id


def signed_in(browser, server, login: str, width: int):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="ru-RU")
    page = context.new_page()
    page.goto(f"{server.url}/login")
    page.get_by_label("Логин").fill(login)
    page.get_by_label("Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(f"{server.url}/")
    return page


def overflow(page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


# The outermost elements that stick out of the window (their own box scrolls otherwise): for the message.
CULPRITS = """() => {
  const out = [];
  for (const e of document.body.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    if (r.right > window.innerWidth + 1 && !(e.parentElement && e.parentElement.getBoundingClientRect().right
        > window.innerWidth + 1)) {
      out.push(e.tagName.toLowerCase() + '.' + [...e.classList].join('.') + ' ' + Math.round(r.right));
    }
  }
  return out.slice(0, 4);
}"""


def test_screenshots_at_1366_and_390(rt, live_server, browser):  # noqa: F811
    users = load_demo(rt)
    plan_id = plan_in_execution(rt, users)
    for width in (WIDE, PHONE):
        page = signed_in(browser, live_server, "deputy", width)
        assert page.get_by_role("heading", name="Мои задачи").is_visible()
        assert page.locator("#group-overdue-heading").is_visible()
        assert page.get_by_text("Показать ещё").first.is_visible()
        assert overflow(page) <= 0, f"«Мои задачи» at {width} px"
        screenshot(page, f"phone_tasks_{width}")
        page.goto(f"{live_server.url}/artefacts/{plan_id}")
        assert page.get_by_role("heading", name="Пункты на контроле").is_visible()
        assert overflow(page) <= 0, f"the plan page at {width} px"
        screenshot(page, f"phone_plan_{width}")
        page.goto(f"{live_server.url}/artefacts/")
        assert overflow(page) <= 0, f"the documents list at {width} px"
        screenshot(page, f"phone_documents_{width}")
        page.context.close()


def test_no_page_is_wider_than_a_phone(rt, live_server, browser):  # noqa: F811
    users = load_demo(rt)
    plan_id = plan_in_execution(rt, users)
    with rt.sessions() as session:
        ids = dict(session.execute(select(Artefact.kind, Artefact.id).order_by(Artefact.id)).all())
        item_id = session.scalar(select(Artefact.id).where(Artefact.parent_id == plan_id).limit(1))
    pages = {
        "deputy": ["/", "/artefacts/", f"/artefacts/{plan_id}", f"/artefacts/{plan_id}?rows=1&control=overdue",
                   f"/artefacts/{ids['polozhenie']}", f"/artefacts/{item_id}", "/artefacts/new",
                   "/artefacts/new?kind=polozhenie", "/artefacts/new?kind=activity_plan", "/quality/", "/tokens/",
                   f"/plans/{plan_id}/import"],
        "director": ["/", "/admin/", "/admin/organisation", "/admin/journals", "/admin/users", "/admin/templates",
                     "/admin/acting"],
        "teacher": ["/", f"/artefacts/{item_id}"],
    }
    too_wide = []
    for width in (PHONE, NARROW):
        for login, urls in pages.items():
            page = signed_in(browser, live_server, login, width)
            for url in urls:
                response = page.goto(f"{live_server.url}{url}")
                assert response is not None and response.status < 400, (url, response and response.status)
                extra = overflow(page)
                if extra > 0:
                    too_wide.append(f"{url} ({login}, {width} px): шире окна на {extra} px: "
                                    + ", ".join(page.evaluate(CULPRITS)))
            page.context.close()
    assert not too_wide, "\n".join(too_wide)
