"""Editing an expert card from a page and the JSON API: each save is a new version, a campaign keeps its own;
bad input gives a Russian message and writes nothing; only the district's methodologists and head."""
from __future__ import annotations

from sqlalchemy import func, select

from vsoko_flow.models import MonitoringCampaign, MonitoringCard
from vsoko_flow.procedures import monitoring as domain
from vsoko_flow.services import monitoring as service
from vsoko_flow.services.api_tokens import create_token

from .monitoring_seed import TEN_SCHOOLS, TODAY, seed_district
from .web_helpers import login, post_form


def _versions(rt, district_id: int) -> list[tuple[str, int]]:
    with rt.sessions() as session:
        return sorted(session.execute(select(MonitoringCard.code, MonitoringCard.version)
                                      .where(MonitoringCard.organisation_id == district_id)).all())


def test_a_card_edited_on_its_page_is_a_new_version(rt, app):
    x = seed_district(rt, TEN_SCHOOLS[:1], prefix="ex")
    first = service.create_campaign(rt, x["methodologist"], x.id, today=TODAY)
    client = app.test_client()
    login(client, "ex_methodologist")
    assert f"/monitoring/districts/{x.id}/cards" in client.get("/monitoring/").get_data(as_text=True)
    url = f"/monitoring/districts/{x.id}/cards"
    page = client.get(url).get_data(as_text=True)
    assert "версия 1" in page and "code: K1" in page
    text = service.criteria_as_text(domain.shipped_card()["criteria"]).replace(
        "Положение о ВСОКО утверждено приказом и действует", "Положение о ВСОКО в действующей редакции утверждено")
    response = post_form(client, url, {"code": domain.DEFAULT_CARD, "title": "Локальные акты ВСОКО, 2026",
                                       "pass_mark": "65", "green_from": "90", "criteria": text})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "версия 2" in page and "в действующей редакции" in page and "Локальные акты ВСОКО, 2026" in page
    # The campaign created before keeps version 1; a new one takes version 2.
    second = service.create_campaign(rt, x["methodologist"], x.id, today=TODAY)
    with rt.sessions() as session:
        versions = [session.get(MonitoringCard, session.get(MonitoringCampaign, c).card_id).version
                    for c in (first, second)]
    assert versions == [1, 2]
    # Bad input: a Russian message, nothing written.
    before = _versions(rt, x.id)
    for bad, message in (({"criteria": "- code: A1\n  text: [не закрыто"}, "Критерии записаны с ошибкой"),
                         ({"criteria": "- code: A1\n  text: x\n  scale: 1-5"}, "шкала должна быть"),
                         ({"pass_mark": "девяносто"}, "целые проценты"),
                         ({"pass_mark": "95", "green_from": "90"}, "проходной не выше"),
                         ({"code": "код карты"}, "Код карты")):
        data = {"code": "new_card", "title": "Карта", "pass_mark": "60", "green_from": "85",
                "criteria": "- code: A1\n  text: Проверка\n  scale: yes_no\n", **bad}
        response = post_form(client, url, data)
        assert response.status_code == 302
        page = client.get(url).get_data(as_text=True)
        assert "flash--error" in page and message in page, message
    assert _versions(rt, x.id) == before
    # Another district's methodologist and an expert: not found.
    y = seed_district(rt, TEN_SCHOOLS[1:2], prefix="ey")
    other = app.test_client()
    login(other, "ey_methodologist")
    assert other.get(url).status_code == 404
    expert = app.test_client()
    login(expert, "ex_expert1")
    assert expert.get(url).status_code == 404
    assert y.id != x.id


def test_a_card_edited_through_the_api(rt, app):
    x = seed_district(rt, TEN_SCHOOLS[:1], prefix="ax")
    y = seed_district(rt, TEN_SCHOOLS[1:2], prefix="ay")
    headers = {"Authorization": f"Bearer {create_token(rt, x['methodologist'], 'карты')}"}
    api = f"/api/v1/monitoring/districts/{x.id}/cards"
    listed = app.test_client().get(api, headers=headers)
    assert listed.status_code == 200 and [c["version"] for c in listed.get_json()["cards"]] == [1]
    body = {"code": "self_report", "title": "Анализ отчётов о самообследовании", "pass_mark": 50, "green_from": 80,
            "criteria": [{"code": "S1", "text": "Отчёт размещён на сайте до 20 апреля", "scale": "yes_no"},
                         {"code": "S2", "text": "Доля показателей с анализом", "scale": "thresholds", "weight": 2,
                          "high": 90, "middle": 60}]}
    created = app.test_client().post(api, json=body, headers=headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert (created.get_json()["code"], created.get_json()["version"]) == ("self_report", 1)
    again = app.test_client().post(api, json={**body, "title": "Отчёты о самообследовании"}, headers=headers)
    assert again.get_json()["version"] == 2
    before = _versions(rt, x.id)
    bad = {**body, "criteria": [{"code": "S1", "text": "Порог", "scale": "thresholds", "high": 50, "middle": 80}]}
    refused = app.test_client().post(api, json=bad, headers=headers)
    assert refused.status_code == 422 and "Критерий S1" in refused.get_json()["message"]
    assert _versions(rt, x.id) == before
    other = {"Authorization": f"Bearer {create_token(rt, y['methodologist'], 'карты')}"}
    assert app.test_client().post(api, json=body, headers=other).status_code == 404
    assert app.test_client().get(api, headers=other).status_code == 404
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(MonitoringCard)
                              .where(MonitoringCard.organisation_id == y.id)) == 0
