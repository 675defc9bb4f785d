"""A plan's year in a real browser (Debian chromium via Playwright, no JavaScript of ours):
the deputy creates a plan and imports it from a Word file (the first section of the project's
activity plan), fixes the rows the system flagged, sends it to the council; the secretary
records the adoption; the director approves it by order; the psychologist sees her item on
«Мои задачи», attaches evidence and reports; the deputy accepts. A council meeting written by
hand: its agenda, a decision, the protocol. Screenshots of the main pages go to tests/artifacts/."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from sqlalchemy import select

from vsoko_flow.models import Artefact, Evidence
from vsoko_flow.services.artefacts import current_school_year
from vsoko_flow.services.demo import DEMO_PASSWORD

from .browser import browser, fire_in_browser, live_server, screenshot  # noqa: F401 - fixtures
from .flows import docx_text
from .test_meetings import control_items
from .test_plan_pages import plan_docx


def signed_in_page(browser, server, login_name: str):  # noqa: F811
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="ru-RU")
    page = context.new_page()
    page.goto(f"{server.url}/login")
    page.get_by_label("Логин").fill(login_name)
    page.get_by_label("Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(f"{server.url}/")
    return page


def fire(page, trigger: str, **fields) -> None:
    fire_in_browser(page, trigger, **fields)


def test_plan_year_in_the_browser(rt, school, live_server, browser, tmp_path):  # noqa: F811
    today = dt.date.today()
    plan_file = tmp_path / "План ВСОКО МОБУ СОШ № 2.docx"
    plan_file.write_bytes(plan_docx())

    # The deputy creates the plan and imports the school's Word file.
    deputy = signed_in_page(browser, live_server, "deputy")
    deputy.goto(f"{live_server.url}/artefacts/new?kind=activity_plan")
    deputy.get_by_role("button", name="Создать проект").click()
    deputy.wait_for_url(re.compile(r"/artefacts/\d+$"))
    plan_id = int(deputy.url.rsplit("/", 1)[-1])
    assert deputy.get_by_text("В плане пока нет пунктов.").is_visible()
    deputy.get_by_role("link", name="Импортировать из файла").click()
    deputy.get_by_label("Файл с таблицей плана").set_input_files(str(plan_file))
    deputy.get_by_role("button", name="Показать, как будет импортировано").click()
    deputy.wait_for_url(f"{live_server.url}/plans/{plan_id}/import")
    assert deputy.get_by_role("heading", name="Предпросмотр импорта").is_visible()
    assert deputy.get_by_text("строк в файле: 9 = заголовок 1 + разделы 1 + пункты 7").is_visible()
    assert deputy.get_by_text("номер восстановлен: S → 5").is_visible()
    screenshot(deputy, "plan_01_import_preview")
    with rt.sessions() as session:
        assert session.get(Artefact, plan_id).version == 1                 # the preview stored nothing
    deputy.get_by_role("button", name="Сохранить в план").first.click()
    deputy.wait_for_url(re.compile(rf"/artefacts/{plan_id}(#plan-items)?$"))
    assert deputy.get_by_text("Импортировано из «План ВСОКО МОБУ СОШ № 2.docx»: пунктов 7, разделов 1.").is_visible()

    # Two rows name a deputy for upbringing the school does not have: fix them.
    flagged = deputy.locator("#plan-flagged")
    assert flagged.get_by_role("link").count() == 4  # 1.1 and 1.5 (renumbered), 1.3 and 1.4 (no one responsible)
    screenshot(deputy, "plan_02_draft_with_flagged_rows")
    for number in ("1.3", "1.4"):
        flagged.get_by_role("link", name=f"Пункт {number}: исправить").click()
        assert deputy.get_by_text("ответственный не найден: «Заместитель директора по ВР»").is_visible()
        deputy.get_by_label("Иванова И.И. — Заместитель директора по УВР").check()
        if number == "1.3":
            deputy.get_by_label("Срок исполнения").fill("Декабрь, май")
            deputy.get_by_role("button", name="Проверить срок").click()
            assert deputy.locator("#deadline-understood").inner_text().startswith("Будет понято как: 31.12.")
            screenshot(deputy, "plan_03_edit_row")
        deputy.get_by_role("button", name="Сохранить").click()
        deputy.wait_for_url(re.compile(rf"/artefacts/{plan_id}#item-\d+$"))
        assert deputy.get_by_text(f"Пункт {number} сохранён.").is_visible()
    assert deputy.locator("#plan-flagged").get_by_role("link", name=re.compile("Пункт 1.[34]")).count() == 0
    fire(deputy, "send_to_council")
    assert deputy.get_by_text("Выполнено: «Внести на педагогический совет»").is_visible()

    # The secretary records the council's decision; the director approves by order.
    secretary = signed_in_page(browser, live_server, "secretary")
    secretary.goto(f"{live_server.url}/artefacts/{plan_id}")
    fire(secretary, "adopt", protocol_date=today.isoformat(), present="30", votes_for="29", votes_against="0",
         votes_abstained="1")
    assert secretary.get_by_text("Выполнено: «Записать решение педагогического совета о принятии»").is_visible()
    director = signed_in_page(browser, live_server, "director")
    director.goto(f"{live_server.url}/artefacts/{plan_id}")
    fire(director, "approve", order_date=today.isoformat(), responsible="deputy")
    assert director.get_by_text("Состояние: Исполняется").is_visible()
    assert director.locator("#control-items").get_by_role("link").count() >= 7
    screenshot(director, "plan_04_in_execution")

    # The psychologist (her position matches «Психолог») sees her item and reports with evidence.
    psychologist = signed_in_page(browser, live_server, "psychologist")
    item = psychologist.get_by_role("link", name=re.compile(r"^1\.5 Диагностика готовности первоклассников"))
    assert item.first.is_visible()
    assert psychologist.get_by_role("link", name="Подписаться на календарь сроков").is_visible()
    screenshot(psychologist, "plan_05_tasks_executor")
    item.first.click()
    assert psychologist.get_by_role("heading", name="Исполнение пункта").is_visible()
    evidence = tmp_path / "Справка по итогам диагностики первоклассников.txt"
    evidence.write_text("Диагностика проведена в 1-х классах: готовы к обучению 92 %.", encoding="utf-8")
    psychologist.get_by_label("Файл (справка, протокол, фото; до 10 МБ)").set_input_files(str(evidence))
    psychologist.get_by_role("button", name="Приложить материал").click()
    assert psychologist.get_by_text("Материал добавлен к пункту.").is_visible()
    assert psychologist.get_by_role("link", name="Справка по итогам диагностики первоклассников.txt").is_visible()
    fire(psychologist, "report", result="Диагностика проведена, справка приложена", executed_on=today.isoformat())
    assert psychologist.get_by_text("Состояние: Исполнено — на проверке").is_visible()
    screenshot(psychologist, "plan_06_control_item_reported")
    item_url = psychologist.url.split("#")[0]

    # The deputy accepts it; the plan counts it as accepted.
    deputy.goto(item_url)
    with deputy.expect_download() as download:
        deputy.get_by_role("link", name="Справка по итогам диагностики первоклассников.txt").click()
    assert download.value.suggested_filename == "Справка по итогам диагностики первоклассников.txt"
    fire(deputy, "accept", assessment="Исполнено в срок, выводы обоснованы")
    assert deputy.get_by_text("Состояние: Принято").is_visible()
    deputy.goto(f"{live_server.url}/artefacts/{plan_id}")
    assert deputy.locator("#control-items").get_by_text(re.compile(r"принято 1")).is_visible()
    screenshot(deputy, "plan_07_plan_page_after_acceptance")
    with rt.sessions() as session:
        assert session.scalar(select(Artefact.school_year).where(Artefact.id == plan_id)) == current_school_year(today)
        assert len(session.scalars(select(Evidence)).all()) == 1


def test_meeting_written_by_hand_in_the_browser(rt, school, live_server, browser, tmp_path):  # noqa: F811
    """The secretary records a council meeting from nothing: a question of the agenda, a decision
    added by hand, what was heard and the votes; «Записать решения заседания» writes the protocol,
    which lists СЛУШАЛИ and the decision."""
    today = dt.date.today()
    secretary = signed_in_page(browser, live_server, "secretary")
    secretary.goto(f"{live_server.url}/artefacts/new?kind=meeting")
    secretary.get_by_label("Орган (вид заседания)").select_option("pedsovet")
    secretary.get_by_label("Дата заседания").fill(today.isoformat())
    secretary.get_by_role("button", name="Создать проект").click()
    secretary.wait_for_url(re.compile(r"/artefacts/\d+$"))
    meeting_id = int(secretary.url.rsplit("/", 1)[-1])
    assert secretary.get_by_text("В повестке пока нет вопросов.").first.is_visible()

    # A question of the agenda, then a decision in it, written by hand.
    secretary.get_by_label("Новый вопрос повестки").fill("О подготовке к всероссийским проверочным работам")
    secretary.get_by_role("button", name="Добавить вопрос повестки").click()
    secretary.wait_for_url(re.compile(rf"/artefacts/{meeting_id}#section-\d+$"))
    assert secretary.get_by_text("Добавлен вопрос повестки «О подготовке к всероссийским проверочным работам»."
                                 ).is_visible()
    secretary.get_by_role("link", name="Добавить пункт: вопрос повестки 1. О подготовке").click()
    assert secretary.get_by_role("heading", name="Новое решение").is_visible()
    secretary.get_by_label("Формулировка решения").fill("Провести пробные работы в формате ВПР в 4-х классах")
    secretary.get_by_label("Срок", exact=True).fill("Май")
    secretary.get_by_label("Смирнов А.В. — Руководитель МО учителей математики").check()
    screenshot(secretary, "meeting_01_new_decision")
    secretary.get_by_role("button", name="Добавить решение").click()
    secretary.wait_for_url(re.compile(rf"/artefacts/{meeting_id}#item-\d+$"))
    assert secretary.get_by_text("Решение 1.1 добавлено.").is_visible()

    # «Повестка и ход заседания»: СЛУШАЛИ, ВЫСТУПИЛИ, votes.
    agenda = secretary.locator("#agenda")
    agenda.get_by_label("СЛУШАЛИ").fill("Иванову И.И., заместителя директора по УВР, — о графике ВПР.")
    agenda.get_by_label(re.compile("^ВЫСТУПИЛИ")).fill("Смирнов А.В. предложил провести пробные работы в марте.")
    agenda.get_by_label("«За»").fill("20")
    agenda.get_by_label("«Против»").fill("0")
    agenda.get_by_label("«Воздержались»").fill("1")
    agenda.get_by_role("button", name="Сохранить повестку").click()
    secretary.wait_for_url(re.compile(rf"/artefacts/{meeting_id}#agenda$"))
    assert secretary.get_by_text("Повестка и ход заседания сохранены.").is_visible()
    screenshot(secretary, "meeting_02_agenda_saved")

    fire(secretary, "hold", present="21", chair="director")
    assert secretary.get_by_text("Выполнено: «Записать решения заседания»").is_visible()
    screenshot(secretary, "meeting_03_held")
    with secretary.expect_download() as download:
        secretary.get_by_role("link", name=re.compile(r"^Скачать Протокол от")).click()
    protocol = docx_text(Path(download.value.path()).read_bytes())
    for line in ("ПРОТОКОЛ", "заседания педагогического совета", "1. СЛУШАЛИ:",
                 "Иванову И.И., заместителя директора по УВР, — о графике ВПР.", "ВЫСТУПИЛИ:", "РЕШИЛИ:",
                 "1.1. Провести пробные работы в формате ВПР в 4-х классах", "Ответственный: Смирнов А.В.",
                 "Голосовали: «за» — 20, «против» — 0, «воздержались» — 1"):
        assert line in protocol, line
    assert list(control_items(rt, meeting_id)) == ["1.1"]
