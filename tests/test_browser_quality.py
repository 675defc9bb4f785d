"""The quality cycle in a real browser (Debian chromium via Playwright), by the people who do it:
the deputy plans an internal audit, the director orders it, the lead auditor answers the
checklist and records three findings in one click each, the act is approved; the deputy records
the causes and writes the corrective-action plan, the council adopts it, the director approves
it; the executors report, the deputy accepts; the lead auditor checks the effectiveness — one
action «не эффективно» — the deputy plans a new action, it is executed and checked; the findings
and the audit close; the «Анализ ВСОКО» of the year is computed and every figure of it is
recomputed here from the raw rows. Screenshots of the main pages go to tests/artifacts/."""
from __future__ import annotations

import datetime as dt
import re

from vsoko_flow.services.artefacts import current_school_year

from .browser import browser, fire_in_browser, live_server, screenshot  # noqa: F401 - fixtures
from .quality_flows import FAILURES, artefact, children, lines_of
from .test_browser_plan import signed_in_page
from .test_quality_cycle import independent_figures

ACTIONS = {0: "secretary", 1: "teacher", 2: "psychologist"}


def open_artefact(page, server, artefact_id: int) -> None:
    page.goto(f"{server.url}/artefacts/{artefact_id}")


def fire(page, trigger: str, **fields) -> None:
    fire_in_browser(page, trigger, **fields)
    assert page.locator(".flash--success").first.is_visible(), page.locator(".form-errors").all_inner_texts()


def test_quality_cycle_in_the_browser(rt, school, live_server, browser):  # noqa: F811
    today = rt.today()  # the school's date: the forms and the rules use it (after 21:00 UTC it is tomorrow in Moscow)
    server = live_server
    deputy = signed_in_page(browser, server, "deputy")

    # The school checks effectiveness right after acceptance (a setting of its ВСОКО page).
    deputy.goto(f"{server.url}/quality/")
    deputy.get_by_label("Проверка результативности через, дней после приёмки действия").fill("0")
    deputy.get_by_role("button", name="Сохранить настройки").click()
    assert deputy.get_by_text("Настройки ВСОКО сохранены.").is_visible()

    # The deputy creates the audit and its programme.
    deputy.get_by_role("link", name="Новый аудит").click()
    deputy.get_by_label("Название").fill("Объективность оценочных процедур")
    deputy.get_by_label("Направление ВСОКО").select_option("results")
    deputy.get_by_label("Предмет и границы аудита").fill("ВПР и текущее оценивание в 4–8-х классах")
    deputy.get_by_label("Критерии аудита").fill("Положение о ВСОКО, п. 5.1, 5.3, 6.2")
    deputy.get_by_role("button", name="Создать проект").click()
    deputy.wait_for_url(re.compile(r"/artefacts/\d+$"))
    audit_id = int(deputy.url.rsplit("/", 1)[-1])
    programme = deputy.locator("#programme")
    programme.get_by_label("Чек-лист").select_option("assessment_objectivity")
    programme.get_by_label("Руководитель группы аудиторов").select_option("mo_head")
    programme.locator("#pr-aud-deputy").check()
    programme.locator("#pr-ee-secretary").check()
    programme.get_by_label("Начало аудита").fill(today.isoformat())
    programme.get_by_label("Окончание аудита").fill(today.isoformat())
    programme.get_by_role("button", name="Сохранить программу").click()
    assert deputy.get_by_text("Программа аудита сохранена.").is_visible()
    screenshot(deputy, "quality_01_audit_programme")

    director = signed_in_page(browser, server, "director")
    open_artefact(director, server, audit_id)
    fire(director, "order")
    assert director.get_by_text("Состояние: Назначен приказом").is_visible()

    # The lead auditor starts the audit, answers the checklist, records three findings in one click.
    lead = signed_in_page(browser, server, "mo_head")
    open_artefact(lead, server, audit_id)
    fire(lead, "start")
    for line in lines_of(rt, audit_id):
        row = lead.locator(f"#line-{line.id}")
        row.locator("summary", has_text="Ответить").click()
        answer, comment = FAILURES.get(line.position, ("conforms", ""))
        row.get_by_label("Ответ").select_option(answer)
        if comment:
            row.get_by_label("Комментарий (что обнаружено)").fill(comment)
            row.get_by_label("или ссылка на доказательство").fill(f"https://school29.example/audit/{line.code}")
        row.get_by_role("button", name="Сохранить ответ").click()
        assert lead.get_by_text("Ответ записан.").is_visible()
        if comment:
            lead.locator(f"#line-{line.id}").get_by_role("button", name=re.compile("Зафиксировать несоответствие")).click()
            assert lead.get_by_text("Несоответствие зафиксировано.").is_visible()
    findings = [f.id for f in children(rt, audit_id, "finding")]
    assert len(findings) == 3
    screenshot(lead, "quality_02_checklist_answered")
    fire(lead, "draft_act", conclusion="Выявлены три несоответствия; нужны корректирующие действия.")
    open_artefact(director, server, audit_id)
    fire(director, "approve_act")
    with director.expect_download() as download:
        director.get_by_role("link", name=re.compile(r"^Скачать Акт внутреннего аудита")).last.click()
    assert download.value.suggested_filename.startswith("Акт внутреннего аудита")

    # Causes of each finding, then the corrective-action plan with an action per finding.
    for finding_id in findings:
        open_artefact(deputy, server, finding_id)
        fire(deputy, "start_analysis")
        fire(deputy, "record_causes", why_1="Наблюдатели не назначались приказом", cause_category="documents",
             root_cause="Порядок не закреплён в локальном акте")
    screenshot(deputy, "quality_03_finding_with_causes")
    open_artefact(deputy, server, audit_id)
    fire(deputy, "plan_corrections")
    plan_id = children(rt, audit_id, "corrective_plan")[0].id
    open_artefact(deputy, server, plan_id)
    deadline = (today + dt.timedelta(days=10)).strftime("до %d.%m.%Y")
    for index, login in ACTIONS.items():
        deputy.get_by_role("link", name=re.compile(rf"^Добавить пункт: раздел {index + 1}\.")).click()
        deputy.get_by_label("Вид действия").fill("Корректирующее действие")
        deputy.get_by_label("Мероприятие").fill(f"Устранить причину несоответствия {index + 1}")
        deputy.get_by_label("Ожидаемый результат").fill("Требование выполняется")
        deputy.get_by_label("Срок", exact=True).fill(deadline)
        deputy.locator(f"input[name=responsible][value={login}]").check()
        deputy.get_by_role("button", name="Добавить пункт").click()
        deputy.wait_for_url(re.compile(rf"/artefacts/{plan_id}#item-\d+$"))
    fire(deputy, "send_to_council")
    secretary = signed_in_page(browser, server, "secretary")
    open_artefact(secretary, server, plan_id)
    fire(secretary, "adopt", protocol_date=today.isoformat(), present="30", votes_for="29", votes_against="0",
         votes_abstained="1")
    open_artefact(director, server, plan_id)
    fire(director, "approve", responsible="deputy")
    screenshot(director, "quality_04_corrective_plan_in_execution")

    # The executors report, the deputy accepts; the lead auditor checks effectiveness.
    actions = children(rt, plan_id, "control_item")
    pages = {"secretary": secretary}
    for action, login in zip(actions, ACTIONS.values()):
        page = pages.get(login) or signed_in_page(browser, server, login)
        pages[login] = page
        open_artefact(page, server, action.id)
        fire(page, "report", result="Сделано, подтверждающие документы в папке аудита")
        open_artefact(deputy, server, action.id)
        fire(deputy, "accept", assessment="Исполнено")
    checks = [children(rt, a.id, "effectiveness_check")[0].id for a in actions]
    for check_id, result in zip(checks, ("effective", "effective", "not_effective")):
        open_artefact(lead, server, check_id)
        fire(lead, "record", method="Сверка документов и опрос", evidence="Приказ, протоколы", result=result)
    screenshot(lead, "quality_05_check_not_effective")
    reopened = findings[2]
    assert artefact(rt, reopened).state == "reopened"

    # A new action for the reopened finding: executed, accepted, checked.
    open_artefact(deputy, server, reopened)
    fire(deputy, "plan_new_action", action_kind="preventive", activity="Закрепить порядок назначения наблюдателей",
         responsible="teacher", deadline=deadline, expected_result="Наблюдатели назначаются приказом")
    new_action = [a.id for a in children(rt, plan_id, "control_item") if a.id not in {x.id for x in actions}][0]
    teacher = pages["teacher"]
    open_artefact(teacher, server, new_action)
    fire(teacher, "report", result="Положение дополнено")
    open_artefact(deputy, server, new_action)
    fire(deputy, "accept")
    open_artefact(lead, server, children(rt, new_action, "effectiveness_check")[0].id)
    fire(lead, "record", method="Проверка приказов", evidence="Приказ о наблюдателях", result="effective")

    # Every finding closes, then the audit.
    for finding_id in findings:
        open_artefact(deputy, server, finding_id)
        fire(deputy, "close")
    open_artefact(deputy, server, audit_id)
    fire(deputy, "close")
    assert artefact(rt, audit_id).state == "closed"
    assert deputy.locator("#audit-charts img").count() == 4
    assert deputy.evaluate("[...document.querySelectorAll('#audit-charts img')].every(i => i.naturalWidth > 0)")
    screenshot(deputy, "quality_06_audit_closed_with_charts")

    # The yearly review: one decision, figures computed, each with its sources one click away.
    deputy.goto(f"{server.url}/quality/")
    deputy.get_by_role("link", name="Анализ ВСОКО за год").click()
    deputy.get_by_role("button", name="Создать проект").click()
    deputy.wait_for_url(re.compile(r"/artefacts/\d+$"))
    review_id = int(deputy.url.rsplit("/", 1)[-1])
    deputy.get_by_label("Новый раздел").fill("Меры по совершенствованию ВСОКО")
    deputy.get_by_role("button", name="Добавить раздел").click()
    deputy.get_by_role("link", name=re.compile(r"^Добавить пункт: раздел 1\.")).click()
    deputy.get_by_label("Мероприятие (решение по итогам анализа)").fill("Провести аудит назначения наблюдателей")
    deputy.get_by_label("Ожидаемый результат").fill("Акт аудита")
    deputy.get_by_label("Срок", exact=True).fill("Октябрь")
    deputy.locator("input[name=responsible][value=deputy]").check()
    deputy.get_by_role("button", name="Добавить пункт").click()
    fire(deputy, "send_to_council")
    figures = artefact(rt, review_id).fields["figures"]
    assert figures == independent_figures(rt, school.id, today, current_school_year(today))
    assert figures["findings/all"] == 3 and figures["checks/not_effective"] == 1 and figures["checks/effective"] == 3
    review = deputy.locator("#review")
    assert review.locator("img").count() == 4
    screenshot(deputy, "quality_07_review_figures")
    review.get_by_role("row", name=re.compile(r"^— не эффективно")).get_by_role("link").click()
    assert deputy.get_by_role("heading", name="не эффективно: 1").is_visible()
    assert deputy.get_by_role("link", name=re.compile(r"^Проверка результативности")).count() == 1
    screenshot(deputy, "quality_08_figure_sources")
    deputy.goto(f"{server.url}/quality/")
    assert deputy.evaluate("[...document.querySelectorAll('img.chart')].every(i => i.naturalWidth > 0)")
    screenshot(deputy, "quality_09_school_vsoko_page")
