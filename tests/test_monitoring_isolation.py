"""Isolation of the district monitoring, for every pair of roles, on the pages, the JSON API, the
downloads and the exports: school A vs school B, an expert vs a school not assigned to them, district
X vs district Y. What may not be seen answers 404 — exactly like what does not exist."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from vsoko_flow.models import Artefact, MonitoringFile
from vsoko_flow.services import monitoring as service
from vsoko_flow.services.api_tokens import create_token
from vsoko_flow.services.jobs import run_job
from vsoko_flow.services.transitions import fire_transition

from .monitoring_seed import TEN_SCHOOLS, TODAY, seed_district
from .web_helpers import login, post_form

ANSWERS = {"K1": "yes", "K2": "yes", "K3": "yes", "K4": "95", "K5": "2", "K6": "1", "K7": "no"}


@pytest.fixture
def world(rt):
    """District X (4 schools, two expert groups), district Y (2 schools), each with a published campaign, the
    letters and the справка made; the polozhenie of school A is the evidence an expert may open."""
    x = seed_district(rt, TEN_SCHOOLS[:4], prefix="x")
    y = seed_district(rt, TEN_SCHOOLS[4:6], prefix="y")
    campaigns = {}
    for district, prefix in ((x, "x"), (y, "y")):
        ids = sorted(district.profiles)
        campaign_id = service.create_campaign(rt, district["methodologist"], district.id, today=TODAY)
        service.add_group(rt, district["methodologist"], campaign_id, "Группа 1", [f"{prefix}_expert1"], ids[:2])
        if len(ids) > 2:
            service.add_group(rt, district["methodologist"], campaign_id, "Группа 2", [f"{prefix}_expert2"], ids[2:])
        fire_transition(rt, campaign_id, "approve", district["head"],
                        fields={"order_date": TODAY.isoformat(), "order_number": "1-р"}, today=TODAY)
        fire_transition(rt, campaign_id, "start_collection", district["methodologist"],
                        fields={"data_deadline": TODAY.isoformat()}, today=TODAY)
        fire_transition(rt, campaign_id, "start_assessment", district["methodologist"], today=TODAY)
        for school_id in ids:
            service.save_card(rt, district["methodologist"], campaign_id, school_id,
                              {code: {"value": v} for code, v in ANSWERS.items()}, submit=True, today=TODAY)
        fire_transition(rt, campaign_id, "publish", district["methodologist"], today=TODAY)
        for what in ("letters", "report", "xlsx"):
            for job_id in service.request_export(rt, district["methodologist"], campaign_id, what):
                assert run_job(rt, job_id) == "done"
        campaigns[prefix] = campaign_id
    with rt.sessions() as session:
        files = {(f.campaign_id, f.kind, f.school_id): f.id for f in session.scalars(select(MonitoringFile))}
        a = sorted(x.profiles)[0]
        polozhenie = session.scalars(select(Artefact.id).where(Artefact.organisation_id == a,
                                                               Artefact.kind == "polozhenie")).one()
    return {"x": x, "y": y, "campaigns": campaigns, "files": files, "polozhenie_a": polozhenie}


def _people(world):
    """(who, user id, what they may see of district X's campaign: the schools, the справка and .xlsx)."""
    x, y = world["x"], world["y"]
    a, b, c, d = sorted(x.profiles)
    return {
        "methodologist X": (x["methodologist"], {a, b, c, d}, True),
        "expert 1 of X (schools A, B)": (x["expert1"], {a, b}, False),
        "expert 2 of X (schools C, D)": (x["expert2"], {c, d}, False),
        "director of school A": (x.directors[a], {a}, False),
        "director of school B": (x.directors[b], {b}, False),
        "methodologist Y": (y["methodologist"], set(), False),
        "expert of Y": (y["expert1"], set(), False),
        "director of a school of Y": (y.directors[sorted(y.profiles)[0]], set(), False),
    }


def test_services_show_each_role_only_its_own(rt, world):
    campaign = world["campaigns"]["x"]
    x_schools = sorted(world["x"].profiles)
    for who, (user_id, schools, district_files) in _people(world).items():
        for school_id in x_schools:
            if school_id in schools:
                assert service.card_view(rt, user_id, campaign, school_id, TODAY)["school_id"] == school_id, who
            else:
                with pytest.raises(service.NotFound):
                    service.card_view(rt, user_id, campaign, school_id, TODAY)
        letters = {f["school_id"] for f in service.files_of(rt, user_id, campaign)} if schools else set()
        assert letters == (schools | {None} if district_files else schools), who
        if not schools:
            with pytest.raises(service.NotFound):
                service.results(rt, user_id, campaign)
        if schools and not district_files and len(schools) > 1:  # an expert: the screen holds only their schools
            assert {r["school_id"] for r in service.results(rt, user_id, campaign)["rows"]} == schools, who


def test_an_expert_is_read_only_and_only_within_the_campaign(rt, world):
    x = world["x"]
    a, b, c, _ = sorted(x.profiles)
    campaign = world["campaigns"]["x"]
    with pytest.raises(service.NotFound):  # another district's campaign, with no group of theirs
        service.card_view(rt, x["expert1"], world["campaigns"]["y"], sorted(world["y"].profiles)[0], TODAY)
    with pytest.raises(service.NotFound):
        service.evidence_view(rt, x["expert2"], campaign, a, world["polozhenie_a"])
    assert service.evidence_view(rt, x["expert1"], campaign, a, world["polozhenie_a"])["id"] == world["polozhenie_a"]
    with pytest.raises(service.NotFound):  # school A's document through school B's card
        service.evidence_view(rt, x["expert1"], campaign, b, world["polozhenie_a"])
    with pytest.raises(service.Forbidden):
        service.request_export(rt, x["expert1"], campaign, "xlsx")
    with pytest.raises(service.Forbidden):
        service.add_group(rt, x["expert1"], campaign, "Своя группа", ["x_expert1"], [c])


def test_pages_and_downloads_answer_404_to_whoever_may_not_see(rt, world, app):
    campaign = world["campaigns"]["x"]
    x_schools = sorted(world["x"].profiles)
    logins = {"methodologist X": "x_methodologist", "expert 1 of X (schools A, B)": "x_expert1",
              "expert 2 of X (schools C, D)": "x_expert2", "director of school A": "x_dir1",
              "director of school B": "x_dir2", "methodologist Y": "y_methodologist", "expert of Y": "y_expert1",
              "director of a school of Y": "y_dir1"}
    for who, (user_id, schools, district_files) in _people(world).items():
        client = app.test_client()
        login(client, logins[who])
        screen = client.get(f"/monitoring/{campaign}")
        if not schools:
            assert screen.status_code == 404, who
        elif len(schools) == 1:  # a school is taken to its own card
            assert screen.status_code == 302 and screen.headers["Location"].endswith(f"/schools/{min(schools)}"), who
        else:
            assert screen.status_code == 200, who
            page = screen.get_data(as_text=True)
            assert page.count('class="heat__school"') == len(schools), who
        chart = client.get(f"/monitoring/{campaign}/charts/zones.png")
        assert chart.status_code == (200 if len(schools) > 1 or district_files else 404), (who, "chart")
        for school_id in x_schools:
            status = client.get(f"/monitoring/{campaign}/schools/{school_id}").status_code
            assert status == (200 if school_id in schools else 404), (who, school_id)
            letter = world["files"][(campaign, "letter", school_id)]
            status = client.get(f"/monitoring/{campaign}/files/{letter}").status_code
            assert status == (200 if school_id in schools else 404), (who, "letter", school_id)
        for kind in ("report", "xlsx"):
            status = client.get(f"/monitoring/{campaign}/files/{world['files'][(campaign, kind, None)]}").status_code
            assert status == (200 if district_files else 404), (who, kind)
        evidence = client.get(f"/monitoring/{campaign}/schools/{x_schools[0]}/evidence/{world['polozhenie_a']}")
        assert evidence.status_code == (200 if x_schools[0] in schools else 404), (who, "evidence")
        export = post_form(client, f"/monitoring/{campaign}/exports/xlsx", {}, form_page="/monitoring/")
        assert export.status_code == (302 if district_files else 404 if not schools else 403), (who, "export")


def test_the_api_answers_like_the_pages(rt, world, client):
    campaign = world["campaigns"]["x"]
    x_schools = sorted(world["x"].profiles)
    for who, (user_id, schools, district_files) in _people(world).items():
        headers = {"Authorization": f"Bearer {create_token(rt, user_id, 'проверка')}"}
        results = client.get(f"/api/v1/monitoring/campaigns/{campaign}/results", headers=headers)
        if not schools or (len(schools) == 1 and not district_files):
            assert results.status_code == 404, who
        else:
            assert {r["school_id"] for r in results.get_json()["rows"]} == schools, who
        for school_id in x_schools:
            card = client.get(f"/api/v1/monitoring/campaigns/{campaign}/schools/{school_id}/card", headers=headers)
            assert card.status_code == (200 if school_id in schools else 404), (who, school_id)
            letter = world["files"][(campaign, "letter", school_id)]
            download = client.get(f"/api/v1/monitoring/campaigns/{campaign}/files/{letter}", headers=headers)
            assert download.status_code == (200 if school_id in schools else 404), (who, "letter", school_id)
            write = client.put(f"/api/v1/monitoring/campaigns/{campaign}/schools/{school_id}/card", headers=headers,
                               json={"answers": {"K1": {"value": "no"}}})
            # Published: nobody writes any more; who may not see the school still learns nothing.
            expected = 404 if school_id not in schools else 403 if who.startswith("director") else 409
            assert write.status_code == expected, (who, school_id)
        xlsx = world["files"][(campaign, "xlsx", None)]
        download = client.get(f"/api/v1/monitoring/campaigns/{campaign}/files/{xlsx}", headers=headers)
        assert download.status_code == (200 if district_files else 404), (who, "xlsx")
        export = client.post(f"/api/v1/monitoring/campaigns/{campaign}/exports", headers=headers, json={"what": "report"})
        assert export.status_code == (202 if district_files else 404 if not schools else 403), (who, "export")


def test_a_school_sees_nothing_of_its_card_before_publication(rt):
    x = seed_district(rt, TEN_SCHOOLS[:2], prefix="z")
    campaign = service.create_campaign(rt, x["methodologist"], x.id, today=TODAY)
    a = sorted(x.profiles)[0]
    with pytest.raises(service.NotFound):  # a draft campaign is the district's own
        service.card_view(rt, x.directors[a], campaign, a, TODAY)
    fire_transition(rt, campaign, "approve", x["head"], fields={"order_date": TODAY.isoformat(), "order_number": "2"},
                    today=TODAY)
    fire_transition(rt, campaign, "start_collection", x["methodologist"],
                    fields={"data_deadline": (TODAY + dt.timedelta(days=3)).isoformat()}, today=TODAY)
    view = service.card_view(rt, x.directors[a], campaign, a, TODAY)  # its requests, not its card
    assert view["results_hidden"] and len(view["requests"]) == 1
    assert all(c["suggestion"] is None and not c["answer"] for c in view["criteria"])
    with pytest.raises(service.NotFound):
        service.card_view(rt, x.directors[a], campaign, sorted(x.profiles)[1], TODAY)
    tasks = service.monitoring_tasks  # the request waits on the director's «Мои задачи»
    with rt.sessions() as session:
        waiting = tasks(session, x.directors[a], a, TODAY + dt.timedelta(days=4))
    assert len(waiting) == 1 and waiting[0]["overdue"] and waiting[0]["kind"] == "request"
