"""The whole life of a new edition of the Положение in a real browser, by three people."""
from __future__ import annotations

import io
from pathlib import Path

from docx import Document

from vsoko_flow.services.artefacts import show_artefact
from vsoko_flow.services.demo import DEMO_PASSWORD, load_demo

from .browser import browser, fire_in_browser, live_server, screenshot  # noqa: F401 - fixtures
from .flows import docx_text

NEW_EDITION = 2  # the demo's draft: a new edition of the Положение in force (№ 1)


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
    fire(deputy, live_server, "send_for_opinions", request_date="2025-09-01")
    fire(deputy, live_server, "record_opinion", opinion_body="student_council", opinion_date="2025-09-04",
         opinion_protocol_number="2", opinion_result="positive")
    fire(deputy, live_server, "record_opinion", opinion_body="parents_council", opinion_date="2025-09-05",
         opinion_protocol_number="1", opinion_result="positive")
    fire(deputy, live_server, "send_to_council")
    screenshot(deputy, "03_artefact_in_council")

    secretary = sign_in(browser, live_server, "secretary")
    fire(secretary, live_server, "adopt", protocol_date="2025-09-10", present="38", votes_for="36",
         votes_against="0", votes_abstained="2")

    director = sign_in(browser, live_server, "director")
    screenshot(director, "04_tasks_director")
    fire(director, live_server, "approve", order_date="2025-09-15", responsible="deputy")
    director.goto(f"{live_server.url}/artefacts/{NEW_EDITION}")
    assert "Действует" in director.locator(".badge").first.inner_text()
    screenshot(director, "05_artefact_in_force")

    with director.expect_download() as download_info:
        director.locator("a", has_text="Приказ от 15.09.2025").first.click()
    download = download_info.value
    assert download.suggested_filename.startswith("Приказ от 15.09.2025")
    data = Path(download.path()).read_bytes()
    Document(io.BytesIO(data))  # a real .docx
    order = docx_text(data)
    assert "Об утверждении Положения о внутренней системе оценки качества образования" in order
    assert "Признать утратившим силу Положение" in order
    assert show_artefact(rt, 1, None)["state"] == "superseded"
    # the second order of 2025 in the demo school's journal (the first approved edition № 1)
    assert show_artefact(rt, NEW_EDITION, None)["fields"]["order_number"] == "Ш29-13-2/5"
