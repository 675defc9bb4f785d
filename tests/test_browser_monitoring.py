"""District monitoring in a real browser (Debian chromium via Playwright): an expert finds the card on
«Мои задачи», sees the system's suggestions with their evidence, fills the card and hands it in; the
methodologist opens the results screen (the heat map) and filters it. Screenshots at 1366 and 390 px
go to tests/artifacts/."""
from __future__ import annotations

from vsoko_flow.services import monitoring as service
from vsoko_flow.services.demo import DEMO_PASSWORD
from vsoko_flow.services.transitions import fire_transition

from .browser import browser, live_server, screenshot  # noqa: F401 - fixtures
from .monitoring_seed import TEN_SCHOOLS, TODAY, seed_district
from .test_monitoring import launch

EXPERT_ANSWERS = {"K1": "yes", "K2": "no", "K3": "yes", "K5": "1", "K6": "2", "K7": "no"}


def signed_in(browser, server, login_name: str, width: int = 1366):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="ru-RU")
    page = context.new_page()
    page.goto(f"{server.url}/login")
    page.get_by_label("Логин").fill(login_name)
    page.get_by_label("Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(f"{server.url}/")
    return page


def test_an_expert_fills_a_card_and_the_methodologist_reads_the_screen(rt, live_server, browser):  # noqa: F811
    district = seed_district(rt, TEN_SCHOOLS)
    campaign = launch(rt, district)
    fire_transition(rt, campaign, "start_assessment", district["methodologist"], today=TODAY)

    expert = signed_in(browser, live_server, "d1_expert1")
    expert.get_by_role("link", name="Заполнить экспертную карту: МБОУ СОШ № 1 (образцовая)", exact=False).click()
    assert expert.get_by_role("heading", name="Экспертная карта: МБОУ СОШ № 1 (образцовая)").is_visible()
    assert expert.locator(".suggestion").count() == 7  # every criterion has its automatic answer shown
    k1 = expert.locator(".suggestion[data-code=K1]")
    assert "Действует, утверждено приказом от 30.08.2024" in k1.inner_text()
    k1.get_by_role("link").click()  # the evidence, one click away, read-only
    assert expert.get_by_role("heading", name="Положение о внутренней системе оценки качества образования").is_visible()
    assert "только чтение" in expert.locator(".meta").inner_text()
    expert.go_back()
    for code, value in EXPERT_ANSWERS.items():
        expert.locator(f"input[name=value_{code}][value='{value}']").check()
    expert.locator("input[name=value_K4]").fill("92")
    expert.locator("input[name=comment_K2]").fill("Мнение совета родителей получено после педсовета")
    expert.get_by_label("Рекомендации школе").fill("Получать мнения советов до заседания педсовета")
    screenshot(expert, "monitoring_card_filling_1366")
    expert.get_by_role("button", name="Сдать карту").click()
    assert expert.get_by_text("Карта сдана.").is_visible()
    result = expert.locator("section[aria-labelledby=result-heading]").inner_text()
    assert "Баллы: 18 из 21 (85,7 %)" in result and "зелёная" in result  # 2+0+1+10+1+4+0 of 21

    # The other cards are filled through the service; the results are published.
    for school_id in sorted(district.profiles)[1:]:
        service.save_card(rt, district["methodologist"], campaign, school_id,
                          {code: {"value": v} for code, v in {**EXPERT_ANSWERS, "K4": "50"}.items()}, submit=True)
    fire_transition(rt, campaign, "publish", district["methodologist"], today=TODAY)

    for width in (1366, 390):
        page = signed_in(browser, live_server, "d1_methodologist", width)
        page.get_by_role("link", name="Мониторинг").first.click()
        page.get_by_role("link", name="Мониторинг функционирования ВСОКО", exact=False).click()
        assert page.get_by_role("heading", name="Экран с результатами мониторинга").is_visible()
        assert page.locator("#heatmap tbody tr").count() == 10
        assert page.locator("#heatmap tbody tr").first.locator(".heat__school").inner_text().startswith(
            "МБОУ СОШ № 1 (образцовая)")
        screenshot(page, f"monitoring_screen_{width}")
    page.get_by_label("Зона").select_option("green")
    page.get_by_role("button", name="Показать").click()
    assert page.locator("#heatmap tbody tr").count() == 1  # 85,7 % is green
    page.get_by_label("Зона").select_option("red")
    page.get_by_role("button", name="Показать").click()
    assert page.locator("#heatmap tbody tr").count() == 9  # 8 of 21 = 38,1 %
    page.get_by_label("Зона").select_option("green")
    page.get_by_role("button", name="Показать").click()
    page.locator("#heatmap a", has_text="МБОУ СОШ № 1").click()  # drill-down to the card
    assert page.get_by_text("Получать мнения советов до заседания педсовета").is_visible()
