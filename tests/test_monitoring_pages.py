"""The monitoring pages on the demo's district: a campaign made with «Новый документ» (no settings yet)
shows its screen, is approved by the head's order, gets an expert group from the screen's form; the
school's director answers the request from «Мои задачи»; bad input is a Russian message, never a 500."""
from __future__ import annotations

import datetime as dt
import re

from vsoko_flow.db import transaction
from vsoko_flow.models import Organisation, User
from vsoko_flow.services import monitoring as service
from vsoko_flow.services.artefacts import create_artefact
from vsoko_flow.services.transitions import fire_transition
from vsoko_flow.services.users import add_membership

from .web_helpers import login, post_form


def test_a_campaign_from_new_document_to_the_schools_answer(rt, school, app):
    with rt.sessions() as session:
        district_id = session.get(Organisation, school.id).parent_id
    with transaction(rt.sessions) as session:  # the psychologist of the school is also an expert of the district
        add_membership(session, session.get(User, school["psychologist"]), session.get(Organisation, district_id),
                       ["expert"], "Эксперт ЦОКО")
    today = dt.date.today()
    campaign = create_artefact(rt, school["methodologist"], district_id, "monitoring_campaign", today=today)
    methodologist = app.test_client()
    login(methodologist, "methodologist")
    page = methodologist.get(f"/monitoring/{campaign}")
    assert page.status_code == 200 and "Школы кампании закрепляются приказом" in page.get_data(as_text=True)

    fire_transition(rt, campaign, "approve", school["district_head"],
                    fields={"order_date": today.isoformat(), "order_number": "7-р"}, today=today)
    page = methodologist.get(f"/monitoring/{campaign}").get_data(as_text=True)
    assert "МБОУ СОШ № 29" in page and "Орлова Екатерина" in page
    refused = post_form(methodologist, f"/monitoring/{campaign}/groups", {"name": "Группа", "school_ids": [str(school.id)]},
                        form_page=f"/monitoring/{campaign}")
    assert refused.status_code == 302
    assert "хотя бы один эксперт" in methodologist.get(f"/monitoring/{campaign}").get_data(as_text=True)
    made = post_form(methodologist, f"/monitoring/{campaign}/groups",
                     {"name": "Группа 1", "experts": ["psychologist"], "school_ids": [str(school.id)]},
                     form_page=f"/monitoring/{campaign}")
    assert made.status_code == 302
    assert "Экспертная группа создана" in methodologist.get(f"/monitoring/{campaign}").get_data(as_text=True)

    fire_transition(rt, campaign, "start_collection", school["methodologist"],
                    fields={"data_deadline": today.isoformat()}, today=today)
    director = app.test_client()
    login(director, "director")
    tasks = director.get("/").get_data(as_text=True)
    assert "Ответить на запрос района" in tasks
    card_url = f"/monitoring/{campaign}/schools/{school.id}"
    request_id = service.card_view(rt, school["methodologist"], campaign, school.id)["requests"][0]["id"]
    bad = post_form(director, f"/monitoring/requests/{request_id}?campaign={campaign}&school={school.id}",
                    {"answer": "", "link": "ftp://x"}, form_page="/")
    assert bad.status_code == 302 and bad.headers["Location"].endswith(card_url)
    page = director.get(card_url).get_data(as_text=True)
    assert "Ссылка должна начинаться с https://" in page and "будут видны после их публикации" in page
    good = post_form(director, f"/monitoring/requests/{request_id}?campaign={campaign}&school={school.id}",
                     {"answer": "Отчёт о самообследовании на сайте", "link": "https://school29.example/self"},
                     form_page="/")
    assert good.status_code == 302
    assert "Ответить на запрос района" not in director.get("/").get_data(as_text=True)
    assert director.get(f"/monitoring/{campaign}").headers["Location"].endswith(card_url)  # its own card only
    assert "Отчёт о самообследовании на сайте" in director.get(card_url).get_data(as_text=True)


def test_bad_filters_and_ids_are_not_a_500(rt, school, app):
    with rt.sessions() as session:
        district_id = session.get(Organisation, school.id).parent_id
    campaign = create_artefact(rt, school["methodologist"], district_id, "monitoring_campaign")
    client = app.test_client()
    login(client, "methodologist")
    for url in (f"/monitoring/{campaign}?group=abc&zone=purple&criterion=%00", f"/monitoring/{campaign}?group=99999999999",
                "/monitoring/999999", f"/monitoring/{campaign}/schools/{school.id}", f"/monitoring/{campaign}/files/1"):
        assert client.get(url).status_code in (200, 400, 404), url  # 400: a NUL in the query, refused by the app


def test_the_api_forms_a_group_and_takes_a_schools_answer(rt, school, client):
    from vsoko_flow.services.api_tokens import create_token

    with rt.sessions() as session:
        district_id = session.get(Organisation, school.id).parent_id
    with transaction(rt.sessions) as session:
        add_membership(session, session.get(User, school["teacher"]), session.get(Organisation, district_id),
                       ["expert"], "Эксперт")
    today = dt.date.today()
    campaign = create_artefact(rt, school["methodologist"], district_id, "monitoring_campaign", today=today)
    fire_transition(rt, campaign, "approve", school["district_head"],
                    fields={"order_date": today.isoformat(), "order_number": "8-р"}, today=today)
    methodologist = {"Authorization": f"Bearer {create_token(rt, school['methodologist'])}"}
    director = {"Authorization": f"Bearer {create_token(rt, school['director'])}"}
    url = f"/api/v1/monitoring/campaigns/{campaign}/groups"
    assert client.post(url, headers=methodologist, json={"name": "Г", "experts": ["nobody"],
                                                          "school_ids": [school.id]}).status_code == 422
    assert client.post(url, headers=director, json={"name": "Г", "experts": ["teacher"],
                                                     "school_ids": [school.id]}).status_code == 403  # a school of it
    made = client.post(url, headers=methodologist, json={"name": "Г", "experts": ["teacher"], "school_ids": [school.id]})
    assert made.status_code == 201
    fire_transition(rt, campaign, "start_collection", school["methodologist"],
                    fields={"data_deadline": today.isoformat()}, today=today)
    card = client.get(f"/api/v1/monitoring/campaigns/{campaign}/schools/{school.id}/card", headers=director).get_json()
    assert card["results_hidden"] and len(card["requests"]) == 1
    answer_url = f"/api/v1/monitoring/requests/{card['requests'][0]['id']}/answer"
    assert client.post(answer_url, headers=director, json={"answer": ""}).status_code == 422
    assert client.post(answer_url, headers=methodologist, json={"answer": "Чужой"}).status_code == 404
    assert client.post(answer_url, headers=director, json={"answer": "Готово", "link": "https://s.example/x"}
                       ).status_code == 200
    card = client.get(f"/api/v1/monitoring/campaigns/{campaign}/schools/{school.id}/card", headers=director).get_json()
    assert card["requests"][0]["answer"] == "Готово"


def test_an_export_from_the_screen_shows_its_progress_and_its_file(rt, app):
    from vsoko_flow.services.jobs import run_job

    from .monitoring_seed import TEN_SCHOOLS, TODAY, seed_district

    district = seed_district(rt, TEN_SCHOOLS[:3], prefix="e")
    campaign = service.create_campaign(rt, district["methodologist"], district.id, today=TODAY)
    client = app.test_client()
    login(client, "e_methodologist")
    started = post_form(client, f"/monitoring/{campaign}/exports/xlsx", {}, form_page=f"/monitoring/{campaign}")
    assert started.status_code == 302 and "/jobs/" in started.headers["Location"]
    job_id = int(started.headers["Location"].rsplit("/", 1)[-1])
    assert "job__progress" in client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert run_job(rt, job_id) == "done"
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "Скачать: Результаты мониторинга" in page
    link = re.search(rf'href="(/monitoring/{campaign}/files/\d+)"', page).group(1)  # the campaign's own route
    download = client.get(link)
    assert download.status_code == 200 and download.data[:2] == b"PK"  # an .xlsx (a zip)


def test_the_command_line_shows_each_person_their_own(rt, settings):
    import json

    from vsoko_flow.services.jobs import job_view

    from .monitoring_seed import TEN_SCHOOLS, TODAY, seed_district
    from .test_cli import error_lines, run_vsoko

    district = seed_district(rt, TEN_SCHOOLS[:3], prefix="c")
    campaign = service.create_campaign(rt, district["methodologist"], district.id, today=TODAY)
    listed = run_vsoko(settings, "monitoring", "list", "--as", "c_methodologist")
    assert listed.returncode == 0 and "Мониторинг функционирования ВСОКО" in listed.stdout
    screen = run_vsoko(settings, "monitoring", "results", str(campaign), "--as", "c_methodologist", "--json")
    assert len(json.loads(screen.stdout)["rows"]) == 3
    assert "schools=3 assessed=0" in run_vsoko(settings, "monitoring", "results", str(campaign), "--as",
                                               "c_methodologist").stdout
    assert error_lines(run_vsoko(settings, "monitoring", "results", str(campaign), "--as", "c_dir1"))[0] == \
        "Ошибка: Кампания мониторинга № 1 не найдена".replace("№ 1", f"№ {campaign}")
    exported = run_vsoko(settings, "monitoring", "export", str(campaign), "xlsx", "--as", "c_methodologist")
    job_id = int(exported.stdout.split(":")[1].split("(")[0].strip())
    assert job_view(rt, job_id).kind == "monitoring_xlsx"
