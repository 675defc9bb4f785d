"""The whole life of a new edition of the Положение in a real browser, by three people."""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from docx import Document

from vsoko_flow.services.artefacts import show_artefact
from vsoko_flow.services.demo import DEMO_PASSWORD, DemoCalendar, load_demo

from .browser import browser, fire_in_browser, live_server, screenshot  # noqa: F401 - fixtures
from .flows import docx_text

NEW_EDITION = 3  # the demo's draft: a new edition of the Положение in force (№ 1; № 2 is the council meeting it was adopted at)


def sign_in(browser, server, login_name: str):  # noqa: F811
    page = browser.new_page(accept_downloads=True)
    page.goto(f"{server.url}/login")
    page.get_by_label("Логин").fill(login_name)
    page.get_by_label("Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(f"{server.url}/")
    return page


def fire(page, server, trigger: str, **fields: str) -> None:
    """Open the action's form on the artefact page, fill its fields and submit it."""
    page.goto(f"{server.url}/artefacts/{NEW_EDITION}")
    fire_in_browser(page, trigger, **fields)
    assert page.locator(".flash--success").count() == 1, page.content()[:3000]


def test_new_edition_lifecycle_in_the_browser(rt, live_server, browser):  # noqa: F811
    load_demo(rt)
    deputy = sign_in(browser, live_server, "deputy")
    screenshot(deputy, "01_tasks_deputy")
    deputy.goto(f"{live_server.url}/artefacts/")
    screenshot(deputy, "02_artefacts_list")
    # The demo lives in the present: this edition goes through its councils in the last days.
    today = dt.date.today()
    day = {name: (today - dt.timedelta(days=back)) for name, back in
           (("request", 10), ("students", 8), ("parents", 7), ("council", 3), ("order", 1))}
    fire(deputy, live_server, "send_for_opinions", request_date=day["request"].isoformat())
    fire(deputy, live_server, "record_opinion", opinion_body="student_council", opinion_date=day["students"].isoformat(),
         opinion_protocol_number="2", opinion_result="positive")
    fire(deputy, live_server, "record_opinion", opinion_body="parents_council", opinion_date=day["parents"].isoformat(),
         opinion_protocol_number="1", opinion_result="positive")
    fire(deputy, live_server, "send_to_council")
    screenshot(deputy, "03_artefact_in_council")

    secretary = sign_in(browser, live_server, "secretary")
    fire(secretary, live_server, "adopt", protocol_date=day["council"].isoformat(), present="38", votes_for="36",
         votes_against="0", votes_abstained="2")

    director = sign_in(browser, live_server, "director")
    screenshot(director, "04_tasks_director")
    fire(director, live_server, "approve", order_date=day["order"].isoformat(), responsible="deputy")
    director.goto(f"{live_server.url}/artefacts/{NEW_EDITION}")
    assert "Действует" in director.locator(".badge").first.inner_text()
    screenshot(director, "05_artefact_in_force")

    with director.expect_download() as download_info:
        director.locator("a", has_text=f"Приказ от {day['order']:%d.%m.%Y}").first.click()
    download = download_info.value
    assert download.suggested_filename.startswith(f"Приказ от {day['order']:%d.%m.%Y}")
    data = Path(download.path()).read_bytes()
    Document(io.BytesIO(data))  # a real .docx
    order = docx_text(data)
    assert "Об утверждении Положения о внутренней системе оценки качества образования" in order
    assert "Признать утратившим силу Положение" in order
    assert show_artefact(rt, 1, None)["state"] == "superseded"
    # the next order of its calendar year in the demo school's journal, after the demo's own orders of that
    # year: the edition in force (last spring) and this year's plan
    calendar = DemoCalendar(today)
    number = 1 + sum(1 for order in (calendar.act_day(4, 3), calendar.plan_approved) if order.year == day["order"].year)
    assert show_artefact(rt, NEW_EDITION, None)["fields"]["order_number"] == f"Ш29-13-{number}/5"
