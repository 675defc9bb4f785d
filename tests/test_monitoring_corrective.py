"""A school answers its published expert card with corrective actions of the quality cycle: each criterion
below the pass mark becomes a finding of the school (the card its source and evidence), the plan has a section
per finding, the card shows the link and the plan's state, and the next campaign's screen shows the school
acted. Only that school's director or deputy may start it; nothing is written on a refusal."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from vsoko_flow.db import transaction
from vsoko_flow.models import (
    Artefact, CorrectiveSection, MonitoringSchoolCard, Organisation, PlanSection, QualitySettings, User,
)
from vsoko_flow.services import monitoring as service
from vsoko_flow.services.api_tokens import create_token
from vsoko_flow.services.errors import Conflict, Forbidden, NotFound
from vsoko_flow.services.organisations import add_journal
from vsoko_flow.services.plans import add_item
from vsoko_flow.services.transitions import fire_transition

from .monitoring_seed import TEN_SCHOOLS, TODAY, seed_district
from .web_helpers import login, post_form

# K6 (0–2, weight 2) at 1 = 50 % and K7 (да/нет) «нет» are below the pass mark of 60 %; the rest full.
WEAK = {"K1": "yes", "K2": "yes", "K3": "yes", "K4": "95", "K5": "2", "K6": "1", "K7": "no"}
STRONG = {**WEAK, "K6": "2", "K7": "yes"}


def run_campaign(rt, district, answers_of, previous_id: int | None = None) -> int:
    campaign_id = service.create_campaign(rt, district["methodologist"], district.id, previous_id=previous_id,
                                          today=TODAY)
    fire_transition(rt, campaign_id, "approve", district["head"],
                    fields={"order_date": TODAY.isoformat(), "order_number": "7-р"}, today=TODAY)
    fire_transition(rt, campaign_id, "start_collection", district["methodologist"],
                    fields={"data_deadline": TODAY.isoformat()}, today=TODAY)
    fire_transition(rt, campaign_id, "start_assessment", district["methodologist"], today=TODAY)
    for school_id in sorted(district.profiles):
        service.save_card(rt, district["methodologist"], campaign_id, school_id,
                          {code: {"value": v, "comment": f"Эксперт: {code}"} for code, v in answers_of(school_id).items()},
                          submit=True, today=TODAY)
    fire_transition(rt, campaign_id, "publish", district["methodologist"], today=TODAY)
    return campaign_id


@pytest.fixture
def world(rt):
    x = seed_district(rt, TEN_SCHOOLS[:3], prefix="cx")
    y = seed_district(rt, TEN_SCHOOLS[3:4], prefix="cy")
    a, b, strong = sorted(x.profiles)
    campaign_id = run_campaign(rt, x, lambda school_id: STRONG if school_id == strong else WEAK)
    return {"x": x, "y": y, "a": a, "b": b, "strong": strong, "campaign": campaign_id}


def _counts(rt) -> tuple[int, int, int]:
    with rt.sessions() as session:
        return (session.scalar(select(func.count()).select_from(Artefact).where(Artefact.kind == "finding")),
                session.scalar(select(func.count()).select_from(Artefact).where(Artefact.kind == "corrective_plan")),
                session.scalar(select(func.count()).select_from(MonitoringSchoolCard)
                               .where(MonitoringSchoolCard.corrective_plan_id.is_not(None))))


def test_unmet_criteria_become_findings_of_the_school_in_a_corrective_plan(rt, world):
    x, a, campaign_id = world["x"], world["a"], world["campaign"]
    before = service.card_view(rt, x.directors[a], campaign_id, a, today=TODAY)
    assert before["unmet"] == ["K6", "K7"] and before["may_start_plan"] and before["corrective_plan"] is None

    plan_id = service.start_corrective_plan(rt, x.directors[a], campaign_id, a, today=TODAY)

    with rt.sessions() as session:
        plan = session.get(Artefact, plan_id)
        assert (plan.kind, plan.state, plan.organisation_id) == ("corrective_plan", "draft", a)
        sections = session.scalars(select(PlanSection).where(PlanSection.artefact_id == plan_id)
                                   .order_by(PlanSection.position)).all()
        links = dict(session.execute(select(CorrectiveSection.section_id, CorrectiveSection.finding_id)).all())
        findings = [session.get(Artefact, links[s.id]) for s in sections]
        assert [f.fields["monitoring_criterion"] for f in findings] == ["K6", "K7"]
        assert all(f.kind == "finding" and f.organisation_id == a and f.state == "open" for f in findings)
        k6, k7 = findings
        assert k6.fields["finding_type"] == "remark" and k6.fields["severity"] == "minor"  # 1 of 2: partly done
        assert k7.fields["finding_type"] == "nonconformity" and k7.fields["severity"] == "significant"
        assert "критерий K7" in k7.fields["requirement_source"] and f"№ {campaign_id}" in k7.fields["evidence"]
        assert k7.fields["found"].startswith("Эксперт: K7") and "0 из 1" in k7.fields["found"]
    after = service.card_view(rt, x.directors[a], campaign_id, a, today=TODAY)
    assert after["corrective_plan"]["id"] == plan_id and after["corrective_plan"]["state_label"] == "Проект"
    assert not after["may_start_plan"]
    # The district sees the plan's state on its screen; the other schools have none.
    rows = {r["school_id"]: r for r in service.results(rt, x["methodologist"], campaign_id, today=TODAY)["rows"]}
    assert rows[a]["plan"]["state"] == "draft" and rows[world["b"]]["plan"] is None
    # The finding's page links its plan (no audit above it).
    from vsoko_flow.services.quality import trace_links
    with rt.sessions() as session:
        links = trace_links(rt, session, session.get(Artefact, findings[1].id))
    assert [(l["relation"], l["artefact_id"]) for l in links if l["relation"] == "corrective_plan"] == [
        ("corrective_plan", plan_id)]
    # The findings go through the quality cycle like an audit's: evidence present, the analysis may start.
    fire_transition(rt, findings[0].id, "start_analysis", x.directors[a], today=TODAY)


def test_refusals_write_nothing(rt, world):
    x, y, a, b, campaign_id = world["x"], world["y"], world["a"], world["b"], world["campaign"]
    findings, plans, linked = _counts(rt)  # the seeded schools' own audits have findings already
    refusals = [(x["methodologist"], a, Forbidden), (x["expert1"], a, NotFound), (x.directors[b], a, NotFound),
                (y["methodologist"], a, NotFound), (y.directors[sorted(y.profiles)[0]], a, NotFound),
                (x.directors[world["strong"]], world["strong"], Conflict)]
    for user_id, school_id, error in refusals:
        with pytest.raises(error):
            service.start_corrective_plan(rt, user_id, campaign_id, school_id, today=TODAY)
    assert _counts(rt) == (findings, plans, linked) and linked == 0
    service.start_corrective_plan(rt, x.directors[a], campaign_id, a, today=TODAY)
    with pytest.raises(Conflict):  # one plan per card
        service.start_corrective_plan(rt, x.directors[a], campaign_id, a, today=TODAY)
    assert _counts(rt) == (findings + 2, plans + 1, 1)


def test_before_publication_no_plan(rt):
    x = seed_district(rt, TEN_SCHOOLS[:1], prefix="cz")
    school = sorted(x.profiles)[0]
    campaign_id = service.create_campaign(rt, x["methodologist"], x.id, today=TODAY)
    fire_transition(rt, campaign_id, "approve", x["head"],
                    fields={"order_date": TODAY.isoformat(), "order_number": "8-р"}, today=TODAY)
    before = _counts(rt)
    with pytest.raises(Conflict):
        service.start_corrective_plan(rt, x.directors[school], campaign_id, school, today=TODAY)
    assert _counts(rt) == before


def test_next_campaign_shows_the_school_acted_and_counts_recurrence(rt, world):
    x, a, b = world["x"], world["a"], world["b"]
    service.start_corrective_plan(rt, x.directors[a], world["campaign"], a, today=TODAY)
    second = run_campaign(rt, x, lambda school_id: WEAK, previous_id=world["campaign"])
    rows = {r["school_id"]: r for r in service.results(rt, x["methodologist"], second, today=TODAY)["rows"]}
    assert rows[a]["previous_plan"]["state_label"] == "Проект" and rows[b]["previous_plan"] is None
    plan_id = service.start_corrective_plan(rt, x.directors[a], second, a, today=TODAY)
    with rt.sessions() as session:
        again = session.scalars(select(Artefact).where(Artefact.kind == "finding", Artefact.organisation_id == a,
                                                       Artefact.fields["monitoring_campaign_id"].as_integer() == second)
                                .order_by(Artefact.id)).all()
        assert [f.fields["recurrence"] for f in again] == [2, 2] and all(f.fields["repeat_of"] for f in again)
    assert plan_id


def test_page_and_api(rt, world, app):
    x, a, b, campaign_id = world["x"], world["a"], world["b"], world["campaign"]
    client = app.test_client()
    login(client, "cx_dir1")
    card_url = f"/monitoring/{campaign_id}/schools/{a}"
    page = client.get(card_url).get_data(as_text=True)
    assert "Составить план корректирующих мероприятий" in page and "K6, K7" in page
    response = post_form(client, f"{card_url}/corrective-plan", {}, card_url)
    assert response.status_code == 302 and "/artefacts/" in response.headers["Location"]
    page = client.get(card_url).get_data(as_text=True)
    assert "план корректирующих мероприятий №" in page and "Составить план" not in page
    # Another school's director: the card does not exist for them.
    other = app.test_client()
    login(other, "cx_dir2")
    assert other.get(card_url).status_code == 404
    headers = {"Authorization": f"Bearer {create_token(rt, x.directors[b], 'проверка')}"}
    api = f"/api/v1/monitoring/campaigns/{campaign_id}/schools"
    assert app.test_client().post(f"{api}/{a}/corrective-plan", headers=headers).status_code == 404
    created = app.test_client().post(f"{api}/{b}/corrective-plan", headers=headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    card = app.test_client().get(f"{api}/{b}/card", headers=headers).get_json()
    assert card["corrective_plan"]["id"] == created.get_json()["plan_id"]
    assert app.test_client().post(f"{api}/{b}/corrective-plan", headers=headers).status_code == 409


def test_the_plan_goes_through_the_quality_cycle_to_control_items(rt, world):
    """From the card to approved actions on control, as after an audit (the school decided its council does
    not adopt corrective plans)."""
    x, a = world["x"], world["a"]
    director = x.directors[a]
    plan_id = service.start_corrective_plan(rt, director, world["campaign"], a, today=TODAY)
    with transaction(rt.sessions) as session:
        session.add(QualitySettings(organisation_id=a, corrective_plan_council=False, effectiveness_days=30))
        add_journal(session, session.get(Organisation, a), "orders", "Журнал приказов", "{n}-ОД")
    with rt.sessions() as session:
        sections = session.scalars(select(PlanSection).where(PlanSection.artefact_id == plan_id)).all()
        links = dict(session.execute(select(CorrectiveSection.section_id, CorrectiveSection.finding_id)).all())
        login_name = session.get(User, director).login
    for section in sections:
        finding_id = links[section.id]
        fire_transition(rt, finding_id, "start_analysis", director, today=TODAY)
        fire_transition(rt, finding_id, "record_causes", director, today=TODAY,
                        fields={"why_1": "Положение не пересматривалось после изменения закона",
                                "root_cause": "Нет порядка пересмотра локальных актов"})
        add_item(rt, plan_id, director, version=None, section_id=section.id,
                 fields={"action_kind": "Корректирующее действие", "activity": "Пересмотреть Положение о ВСОКО",
                         "result": "Положение в новой редакции"}, responsible_logins=[login_name], deadline_text="Май")
    fire_transition(rt, plan_id, "approve", director, today=TODAY,
                    fields={"order_date": TODAY.isoformat(), "responsible": login_name})
    with rt.sessions() as session:
        plan = session.get(Artefact, plan_id)
        assert plan.state == "execution"
        findings = [session.get(Artefact, links[s.id]) for s in sections]
        assert {f.state for f in findings} == {"actions_in_progress"}
        actions = session.scalars(select(Artefact).where(Artefact.parent_id == plan_id,
                                                         Artefact.kind == "control_item")).all()
        assert len(actions) == 2 and all(i.organisation_id == a for i in actions)
    card = service.card_view(rt, director, world["campaign"], a, today=TODAY)
    assert card["corrective_plan"]["state"] == "execution"
