"""The district's own plan (roadmap) with the plans machinery: a row whose executor is «ОО» fans out on
approval to a control item in every school of the district, given to its director, in their «Мои задачи»,
reported and accepted in the school; the district sees each row's progress («1 из 3 школ»). Another
district's schools get nothing."""
from __future__ import annotations

import json

from sqlalchemy import select

from vsoko_flow.models import Artefact, ArtefactAssignee
from vsoko_flow.services import monitoring as service
from vsoko_flow.services.artefacts import create_artefact
from vsoko_flow.services.errors import NotFound
from vsoko_flow.services.plans import add_item, add_section
from vsoko_flow.services.tasks import my_tasks
from vsoko_flow.services.transitions import fire_transition

from .monitoring_seed import TEN_SCHOOLS, TODAY, YEAR, seed_district
from .web_helpers import login

import pytest


def _plan(rt, district) -> tuple[int, dict[str, int]]:
    author = district["methodologist"]
    plan_id = create_artefact(rt, author, district.id, "district_plan", title="Дорожная карта района по ВСОКО",
                              school_year=YEAR, fields={}, today=TODAY)
    section = add_section(rt, plan_id, author, "Нормативное обеспечение", version=None)
    rows = {}
    for key, activity, executors, logins in (
            ("schools", "Актуализировать Положение о ВСОКО", ["ОО"], []),
            ("district", "Провести семинар для заместителей директоров", [], ["cx_methodologist"])):
        change = add_item(rt, plan_id, author, version=None, section_id=section.id,
                          fields={"activity": activity, "result": "Выполнено"}, external_executors=executors,
                          responsible_logins=logins, deadline_text="Май")
        rows[key] = change.id
    return plan_id, rows


@pytest.fixture
def world(rt):
    x = seed_district(rt, TEN_SCHOOLS[:3], prefix="cx")
    y = seed_district(rt, TEN_SCHOOLS[3:4], prefix="cy")
    plan_id, rows = _plan(rt, x)
    fire_transition(rt, plan_id, "approve", x["head"],
                    fields={"order_date": TODAY.isoformat(), "order_number": "12-р"}, today=TODAY)
    return {"x": x, "y": y, "plan": plan_id, "rows": rows}


def _items(rt, plan_id: int) -> list[Artefact]:
    with rt.sessions() as session:
        return list(session.scalars(select(Artefact).where(Artefact.parent_id == plan_id).order_by(Artefact.id)))


def test_a_row_for_every_school_fans_out_to_each_director(rt, world):
    x, y, plan_id = world["x"], world["y"], world["plan"]
    items = _items(rt, plan_id)
    assert sorted(i.organisation_id for i in items) == sorted(x.profiles)  # the «ОО» row only, once per school
    assert all(i.kind == "control_item" and i.state == "planned" and i.due_date.month == 5 for i in items)
    assert all(i.fields["plan_item_id"] == world["rows"]["schools"] for i in items)
    with rt.sessions() as session:
        assignees = dict(session.execute(select(ArtefactAssignee.artefact_id, ArtefactAssignee.user_id)).all())
    assert {i.id: assignees[i.id] for i in items} == {i.id: x.directors[i.organisation_id] for i in items}
    # Nothing in another district.
    assert not [i for i in items if i.organisation_id in y.profiles]
    y_school = sorted(y.profiles)[0]
    tasks = my_tasks(rt, y.directors[y_school], y_school, today=TODAY)
    assert not [t for t in tasks["actions"] if t["kind"] == "control_item"]


def test_directors_close_their_item_and_the_district_sees_progress(rt, world):
    x, plan_id, rows = world["x"], world["plan"], world["rows"]
    progress = {r["id"]: r for r in service.district_plan_progress(rt, x["methodologist"], plan_id)["rows"]}
    assert (progress[rows["schools"]]["done"], progress[rows["schools"]]["total"]) == (0, 3)
    assert not progress[rows["district"]]["every_school"]
    first = sorted(x.profiles)[0]
    director = x.directors[first]
    tasks = my_tasks(rt, director, first, today=TODAY)
    mine = [t for t in tasks["actions"] if t["kind"] == "control_item"]
    assert len(mine) == 1 and "Актуализировать Положение" in mine[0]["title"]
    item_id = mine[0]["id"]
    fire_transition(rt, item_id, "report", director,
                    fields={"result": "Положение принято в новой редакции", "executed_on": TODAY.isoformat()},
                    today=TODAY)
    fire_transition(rt, item_id, "accept", director, fields={}, today=TODAY)
    progress = {r["id"]: r for r in service.district_plan_progress(rt, x["head"], plan_id)["rows"]}
    assert (progress[rows["schools"]]["done"], progress[rows["schools"]]["total"]) == (1, 3)


def test_only_the_district_sees_the_progress(rt, world, app):
    x, y, plan_id = world["x"], world["y"], world["plan"]
    for user_id in (y["methodologist"], x.directors[sorted(x.profiles)[0]], x["expert1"]):
        with pytest.raises(NotFound):
            service.district_plan_progress(rt, user_id, plan_id)
    client = app.test_client()
    login(client, "cx_methodologist")
    assert "Дорожная карта района по ВСОКО" in client.get("/monitoring/").get_data(as_text=True)
    page = client.get(f"/monitoring/plans/{plan_id}").get_data(as_text=True)
    assert "0 из 3 школ" in page and "исполняет район" in page
    other = app.test_client()
    login(other, "cy_methodologist")
    assert other.get(f"/monitoring/plans/{plan_id}").status_code == 404


def test_pages_of_the_plan_and_of_a_schools_item_open(rt, world, app):
    x, plan_id = world["x"], world["plan"]
    first = sorted(x.profiles)[0]
    item = next(i for i in _items(rt, plan_id) if i.organisation_id == first)
    director = app.test_client()
    login(director, "cx_dir1")
    page = director.get(f"/artefacts/{item.id}")
    assert page.status_code == 200 and "Актуализировать Положение" in page.get_data(as_text=True)
    assert director.get("/").status_code == 200
    assert director.get(f"/artefacts/{plan_id}").status_code == 404  # the district's document stays the district's
    methodologist = app.test_client()
    login(methodologist, "cx_methodologist")
    assert methodologist.get(f"/artefacts/{plan_id}").status_code == 200
    second = next(i for i in _items(rt, plan_id) if i.organisation_id != first)
    assert director.get(f"/artefacts/{second.id}").status_code == 404  # another school's item


def test_the_progress_by_api_and_command_line(rt, world, app, settings):
    from vsoko_flow.services.users import issue_token

    from .test_cli import run_vsoko

    x, plan_id, rows = world["x"], world["plan"], world["rows"]
    first = sorted(x.profiles)[0]
    item = next(i for i in _items(rt, plan_id) if i.organisation_id == first)
    fire_transition(rt, item.id, "report", x.directors[first],
                    fields={"result": "Принято", "executed_on": TODAY.isoformat()}, today=TODAY)
    fire_transition(rt, item.id, "accept", x.directors[first], fields={}, today=TODAY)
    client = app.test_client()
    answer = client.get(f"/api/v1/monitoring/district-plans/{plan_id}/progress",
                        headers={"Authorization": f"Bearer {issue_token(rt, 'cx_methodologist')}"})
    assert answer.status_code == 200
    body = answer.get_json()
    by_id = {row["id"]: row for row in body["rows"]}
    assert body["schools"] == 3
    assert (by_id[rows["schools"]]["done"], by_id[rows["schools"]]["total"], by_id[rows["schools"]]["every_school"]) \
        == (1, 3, True)
    assert not by_id[rows["district"]]["every_school"]
    # Another district's methodologist and a school's director: as if there were no such plan.
    for other in ("cy_methodologist", "cx_dir1"):
        refused = client.get(f"/api/v1/monitoring/district-plans/{plan_id}/progress",
                             headers={"Authorization": f"Bearer {issue_token(rt, other)}"})
        assert refused.status_code == 404 and "не найден" in refused.get_json()["message"]

    printed = run_vsoko(settings, "monitoring", "plan-progress", plan_id, "--as", "cx_head")
    assert printed.returncode == 0, printed.stderr
    assert "1 из 3 школ" in printed.stdout and "Актуализировать Положение о ВСОКО" in printed.stdout
    assert "исполняет район" in printed.stdout
    as_json = run_vsoko(settings, "monitoring", "plan-progress", plan_id, "--as", "cx_head", "--json")
    assert {row["id"]: row["done"] for row in json.loads(as_json.stdout)["rows"]}[rows["schools"]] == 1
    refused = run_vsoko(settings, "monitoring", "plan-progress", plan_id, "--as", "cy_head")
    assert refused.returncode == 1 and "не найден" in refused.stderr
