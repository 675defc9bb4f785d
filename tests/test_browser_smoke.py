"""The browser opens the sign-in page and signs in (checks the browser set-up itself)."""
from __future__ import annotations

from vsoko_flow.services.demo import DEMO_PASSWORD, load_demo

from .browser import browser, live_server, screenshot  # noqa: F401 - fixtures


def test_sign_in_in_a_real_browser(rt, live_server, browser):  # noqa: F811
    load_demo(rt)
    page = browser.new_page()
    page.goto(f"{live_server.url}/")
    assert page.url.endswith("/login?next=%2F")
    screenshot(page, "login")
    page.get_by_label("Логин").fill("deputy")
    page.get_by_label("Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="Мои задачи").is_visible()
    screenshot(page, "tasks")
