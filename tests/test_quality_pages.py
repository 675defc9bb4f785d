"""The quality cycle in the web pages, the JSON API and the command line: the audit's programme and
checklist forms, a finding in one click, the pages of a finding, an action, a check and a review with
their links both ways, the school's ВСОКО page with its charts (real PNG) and the sources of a
figure, the checklist editor; the API's resources; `vsoko artefacts show ID --json` with the links."""
from __future__ import annotations

import json
import re

from sqlalchemy import select

from vsoko_flow.models import ChecklistVersion
from vsoko_flow.services.users import issue_token

from .quality_flows import (
    ACCEPTED, CHECKED, EXECUTED, EXECUTORS, YEAR, act_approved, analysed, approve_plan, artefact, audit_with_findings,
    check, children, corrective_plan, execute, lines_of, new_audit, ordered_and_started, programme,
)
from .test_cli import error_lines, run_vsoko
from .web_helpers import login, post_form

PNG = b"\x89PNG\r\n\x1a\n"


def _cycle_to_checks(rt, school):
    cycle = audit_with_findings(rt, school)
    act_approved(rt, school, cycle.audit_id)
    for finding_id in cycle.findings:
        analysed(rt, school, finding_id)
    plan = corrective_plan(rt, school, cycle)
    approve_plan(rt, school, plan)
    actions = children(rt, plan, "control_item")
    for action, who in zip(actions, EXECUTORS.values()):
        execute(rt, school, action.id, who, EXECUTED, ACCEPTED)
    checks = [children(rt, a.id, "effectiveness_check")[0] for a in actions]
    check(rt, school, checks[0].id, CHECKED, "effective")
    return cycle, plan, actions, checks


def test_pages_of_the_cycle_link_both_ways(rt, school, client):
    cycle, plan, actions, checks = _cycle_to_checks(rt, school)
    login(client, "deputy")
    audit_page = client.get(f"/artefacts/{cycle.audit_id}").get_data(as_text=True)
    assert "Программа аудита" in audit_page and "Чек-лист" in audit_page
    for finding_id in cycle.findings:
        assert f'href="/artefacts/{finding_id}"' in audit_page
    assert f'href="/artefacts/{plan}"' in audit_page
    assert f"/quality/charts/findings.png?audit={cycle.audit_id}" in audit_page

    finding_page = client.get(f"/artefacts/{cycle.findings[0]}").get_data(as_text=True)
    line = next(l for l in lines_of(rt, cycle.audit_id) if l.finding_id == cycle.findings[0])
    for link in (f'href="/artefacts/{cycle.audit_id}"', f'href="/artefacts/{cycle.audit_id}#line-{line.id}"',
                 f'href="/artefacts/{actions[0].id}"', f'href="/artefacts/{checks[0].id}"'):
        assert link in finding_page, link
    action_page = client.get(f"/artefacts/{actions[0].id}").get_data(as_text=True)
    assert f'href="/artefacts/{cycle.findings[0]}"' in action_page and f'href="/artefacts/{checks[0].id}"' in action_page
    check_page = client.get(f"/artefacts/{checks[1].id}").get_data(as_text=True)
    assert "Проверка результативности" in check_page and "Мирнов" not in check_page
    assert "Смирнов Алексей Викторович" in check_page  # the checker: the lead auditor

    chart = client.get(f"/quality/charts/findings.png?audit={cycle.audit_id}")
    assert chart.status_code == 200 and chart.mimetype == "image/png" and chart.data.startswith(PNG)


def test_school_page_figures_sources_and_settings(rt, school, client):
    cycle, plan, actions, checks = _cycle_to_checks(rt, school)
    login(client, "deputy")
    page = client.get(f"/quality/?year={YEAR}").get_data(as_text=True)
    assert "ВСОКО: 2024/2025 учебный год" in page
    for name in ("findings", "actions", "effectiveness", "recurrence"):
        assert f"/quality/charts/{name}.png?year=2024/2025" in page
        png = client.get(f"/quality/charts/{name}.png?year={YEAR}")
        assert png.status_code == 200 and png.data.startswith(PNG), name
    sources = client.get(f"/quality/sources?key=findings/results/significant&year={YEAR}").get_data(as_text=True)
    significant = [f for f in cycle.findings if artefact(rt, f).fields["severity"] == "significant"]
    assert f": {len(significant)}</h1>" in sources
    for finding_id in significant:
        assert f'href="/artefacts/{finding_id}"' in sources

    refused = post_form(client, "/quality/settings", {"effectiveness_days": "400"}, form_page="/quality/")
    assert refused.status_code == 302
    assert "от 0 до 365" in client.get("/quality/").get_data(as_text=True)
    post_form(client, "/quality/settings", {"effectiveness_days": "14"}, form_page="/quality/")
    settings_page = client.get("/quality/").get_data(as_text=True)
    assert 'value="14"' in settings_page and 'name="corrective_plan_council" value="on" checked' not in settings_page


def test_programme_answers_and_one_click_finding_in_the_browser_forms(rt, school, client, app):
    audit_id = new_audit(rt, school)
    login(client, "deputy")
    url = f"/quality/audits/{audit_id}/programme"
    version = artefact(rt, audit_id).version
    form = {"version": str(version), "checklist": "education_conditions", "lead_auditor": "psychologist",
            "auditees": ["psychologist"], "start_date": "2025-03-05", "end_date": "2025-03-20"}
    post_form(client, url, form, form_page=f"/artefacts/{audit_id}")
    page = client.get(f"/artefacts/{audit_id}").get_data(as_text=True)
    assert "Не сохранено: Аудитор Орлова Е.А. не может проверять собственную работу" in page
    assert artefact(rt, audit_id).version == version
    post_form(client, url, {**form, "lead_auditor": "mo_head"}, form_page=f"/artefacts/{audit_id}")
    assert artefact(rt, audit_id).fields["checklist"] == "education_conditions"
    ordered_and_started(rt, school, audit_id)
    first = lines_of(rt, audit_id)[0]
    client = app.test_client()
    login(client, "mo_head")
    post_form(client, f"/quality/audits/{audit_id}/lines/{first.id}",
              {"answer": "nonconforming", "comment": "Курсы прошли 12 из 20 педагогов",
               "link_url": "https://school29.example/kpk"}, form_page=f"/artefacts/{audit_id}")
    post_form(client, f"/quality/audits/{audit_id}/lines/{first.id}/finding", {}, form_page=f"/artefacts/{audit_id}")
    (finding,) = children(rt, audit_id, "finding")
    assert finding.fields["found"] == "Курсы прошли 12 из 20 педагогов" and finding.fields["area"] == "results"
    page = client.get(f"/artefacts/{audit_id}").get_data(as_text=True)
    assert "Несоответствие зафиксировано." in page and f"Несоответствие № {finding.id}" in page


def test_deputy_edits_a_checklist_as_a_new_version(rt, school, client, app):
    login(client, "deputy")
    page = client.get("/quality/checklists/vsoko_documents").get_data(as_text=True)
    assert "DOC-01 | Положение о ВСОКО принято педагогическим советом" in page
    text = "# Документы\nDOC-01 | Положение о ВСОКО утверждено | 273-ФЗ\nDOC-09 | План размещён на сайте | 273-ФЗ, ст. 29"
    bad = post_form(client, "/quality/checklists/vsoko_documents",
                    {"title": "Документы ВСОКО", "area": "processes", "text": "# Только раздел"})
    assert bad.status_code == 422 and "В чек-листе нет ни одного требования" in bad.get_data(as_text=True)
    post_form(client, "/quality/checklists/vsoko_documents", {"title": "Документы ВСОКО", "area": "processes", "text": text})
    with rt.sessions() as session:
        (saved,) = session.scalars(select(ChecklistVersion)).all()
        assert saved.version == 2 and [line["code"] for line in saved.lines] == ["DOC-01", "DOC-09"]
    teacher = app.test_client()
    login(teacher, "teacher")
    assert teacher.get("/quality/checklists/vsoko_documents").status_code == 403


def test_api_and_cli_of_the_cycle(rt, school, client, settings):
    cycle, plan, actions, checks = _cycle_to_checks(rt, school)
    headers = {"Authorization": f"Bearer {issue_token(rt, 'deputy', 'test')}"}
    audit = client.get(f"/api/v1/artefacts/{cycle.audit_id}/audit", headers=headers).get_json()
    assert audit["state"] == "corrections" and len(audit["findings"]) == 3 and len(audit["lines"]) == 7
    detail = client.get(f"/api/v1/artefacts/{checks[0].id}", headers=headers).get_json()
    assert {(t["relation"], t["id"]) for t in detail["trace"]} >= {("action", actions[0].id),
                                                                   ("finding", cycle.findings[0])}
    overview = client.get(f"/api/v1/quality/overview?organisation_id={school.id}&school_year={YEAR}",
                          headers=headers).get_json()
    assert overview["figures"]["findings/all"] == 3 and overview["figures"]["checks/effective"] == 1
    sources = client.get(f"/api/v1/quality/sources?organisation_id={school.id}&school_year={YEAR}&key=checks/effective",
                         headers=headers).get_json()
    assert [row["id"] for row in sources["rows"]] == [checks[0].id]

    second = new_audit(rt, school, "Условия")
    programme(rt, school, second)
    version = artefact(rt, second).version
    refused = client.put(f"/api/v1/artefacts/{second}/audit/programme", headers=headers, json={
        "version": version, "checklist": "education_conditions", "lead_auditor": "secretary", "auditees": ["secretary"],
        "start_date": "2025-03-05", "end_date": "2025-03-20"})
    assert refused.status_code == 422 and "собственную работу" in refused.get_json()["message"]
    assert artefact(rt, second).version == version

    shown = run_vsoko(settings, "artefacts", "show", cycle.findings[0], "--json")
    assert shown.returncode == 0, shown.stderr
    links = {(t["relation"], t["id"]) for t in json.loads(shown.stdout)["trace"]}
    assert ("audit", cycle.audit_id) in links and ("action", actions[0].id) in links
    text = run_vsoko(settings, "artefacts", "show", cycle.findings[0]).stdout
    assert re.search(rf"Аудит: № {cycle.audit_id} ", text) and f"Действие: № {actions[0].id} " in text


QUALITY_KINDS = ("audit", "finding", "corrective_plan", "effectiveness_check", "annual_review")


def test_workflows_check_diagram_and_openapi(rt, client, settings):
    checked = run_vsoko(settings, "workflows", "check")
    assert checked.returncode == 0, checked.stderr
    for name in ("audit.yaml", "finding.yaml", "corrective_plan.yaml", "effectiveness_check.yaml", "annual_review.yaml"):
        assert re.search(rf"^{name}: .*: в порядке$", checked.stdout, re.MULTILINE), name
    diagram = run_vsoko(settings, "workflows", "diagram", "finding").stdout
    assert 'state "Открыто повторно — нужно новое действие" as reopened' in diagram and "stateDiagram" in diagram
    document = client.get("/api/v1/openapi.json").get_json()
    assert set(QUALITY_KINDS) <= set(document["components"]["schemas"]["ArtefactCreate"]["properties"]["kind"]["enum"])
    assert {"/artefacts/{artefact_id}/audit", "/quality/overview", "/quality/sources"} <= set(document["paths"])
    assert "trace" in document["components"]["schemas"]["ArtefactDetail"]["properties"]


def test_from_every_state_of_the_cycle_someone_can_act(rt):
    """No artefact of the cycle waits in a non-final state that no role can leave (system moves aside)."""
    for kind in QUALITY_KINDS:
        definition = rt.definition(kind)
        for name, state in definition.states.items():
            if not state.final:
                assert definition.available_triggers(name), (kind, name)


def test_checks_and_audit_steps_are_tasks_of_their_people(rt, school):
    from vsoko_flow.services.tasks import my_tasks

    cycle, plan, actions, checks = _cycle_to_checks(rt, school)
    lead = my_tasks(rt, school["mo_head"], school.id, today=CHECKED)
    waiting = {(task["id"], t["trigger"]) for task in lead["actions"] for t in task["transitions"]}
    assert {(c.id, "record") for c in checks[1:]} <= waiting          # the checks given to the lead auditor
    due = {item["artefact_id"] for item in lead["deadlines"]}
    assert {c.id for c in checks[1:]} <= due
    executor = my_tasks(rt, school["teacher"], school.id, today=CHECKED)
    assert not {c.id for c in checks} & {task["id"] for task in executor["actions"]}
    deputy = my_tasks(rt, school["deputy"], school.id, today=CHECKED)
    assert (checks[0].id, "record") not in {(task["id"], t["trigger"]) for task in deputy["actions"]
                                            for t in task["transitions"]}


def test_quality_commands(rt, school, settings):
    cycle, plan, actions, checks = _cycle_to_checks(rt, school)
    shown = run_vsoko(settings, "quality", "overview", "--as", "deputy", "--org", school.id, "--year", YEAR)
    assert shown.returncode == 0 and "findings/all=3" in shown.stdout and "checks/effective=1" in shown.stdout
    sources = run_vsoko(settings, "quality", "sources", "checks/effective", "--as", "deputy", "--org", school.id,
                        "--year", YEAR)
    assert f"№ {checks[0].id} Проверка результативности действия" in sources.stdout
    audit_id = new_audit(rt, school, "Документы ВСОКО")
    refused = run_vsoko(settings, "quality", "programme", audit_id, "--as", "deputy", "--checklist", "vsoko_documents",
                        "--lead", "secretary", "--auditee", "secretary", "--start", "2025-03-05", "--end", "2025-03-06")
    assert error_lines(refused)[0] == "Ошибка: Аудитор Петрова А.С. не может проверять собственную работу: " \
        "указан(а) в программе как ответственный за проверяемую область. Назначьте другого аудитора или уточните, " \
        "чья работа проверяется"
    listed = run_vsoko(settings, "quality", "checklists", "--as", "deputy", "--org", school.id)
    assert "assessment_objectivity" in listed.stdout and "v1" in listed.stdout
