"""«Новый документ» per kind (issue 11, point 8): each kind's form shows only its own fields with one
line on what the kind is for, and a field's help is shown as help — never as the label of a value."""
from __future__ import annotations

import datetime as dt
import html
import re
import shutil
from dataclasses import replace

import pytest

from vsoko_flow.engine.definitions import DefinitionError, load_definitions
from vsoko_flow.models import Artefact
from vsoko_flow.services.artefacts import create_artefact
from vsoko_flow.services.runtime import Runtime
from vsoko_flow.services.transitions import fire_transition

from .test_api import api  # noqa: F401 - fixture
from .web_helpers import csrf_token, login

PLAN_KINDS = ("activity_plan", "vsoko_plan", "roadmap")


def page_text(response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


@pytest.fixture
def deputy(client, school):
    login(client, "deputy")
    return client


def test_every_kind_says_in_one_line_what_it_is_for(rt):
    for definition in rt.definitions.values():
        assert definition.description and "\n" not in definition.description and len(definition.description) <= 300
    plans = [rt.definition(kind).description for kind in PLAN_KINDS]
    assert len(set(plans)) == 3
    assert "на учебный год" in rt.definition("activity_plan").description
    assert "Положению о ВСОКО" in rt.definition("vsoko_plan").description
    assert "на несколько лет" in rt.definition("roadmap").description


def test_a_workflow_without_a_description_or_with_a_hint_in_a_label_is_refused_at_load(settings, tmp_path):
    folder = shutil.copytree(settings.workflows_dir, tmp_path / "workflows")
    roadmap = folder / "roadmap.yaml"
    text = roadmap.read_text(encoding="utf-8")
    roadmap.write_text(re.sub(r"(?m)^description: .*\n", "", text), encoding="utf-8")
    plan = folder / "vsoko_plan.yaml"
    plan.write_text(plan.read_text(encoding="utf-8").replace(
        "label: Председатель, help: если не выбран — директор", "label: Председатель (по умолчанию директор)"),
        encoding="utf-8")
    with pytest.raises(DefinitionError) as refused:
        load_definitions(folder, settings.templates_dir)
    problems = refused.value.problems
    assert any(p.startswith("roadmap.yaml:") and "нет описания (description)" in p for p in problems), problems
    assert any(re.match(r"vsoko_plan\.yaml:\d+: поле «chair»: подсказку", p) for p in problems), problems


def test_the_api_lists_each_kind_with_its_description(rt, api):
    kinds = {w["kind"]: w["description"] for w in api.ok("GET", "/workflows", "deputy")["items"]}
    assert kinds == {kind: definition.description for kind, definition in rt.definitions.items()}


def test_the_choice_of_kind_explains_each_kind(deputy, rt):
    text = page_text(deputy.get("/artefacts/new"))
    for kind in ("polozhenie", "meeting", *PLAN_KINDS):
        definition = rt.definition(kind)
        assert definition.title in text and definition.description in text


@pytest.mark.parametrize("kind", [*PLAN_KINDS, "meeting"])
def test_a_plan_or_meeting_form_offers_no_edition_and_no_act_text(deputy, rt, kind):
    response = deputy.get(f"/artefacts/new?kind={kind}")
    text = page_text(response)
    assert response.status_code == 200
    assert rt.definition(kind).description in text
    assert "Новая редакция действующего акта" not in text and "Заменяет редакцию" not in text
    assert 'name="sections_text"' not in response.get_data(as_text=True) and "«1.1. …»" not in text
    assert "После создания импортируйте таблицу" in text
    if kind == "meeting":
        assert "Орган (вид заседания)" in text and "Дата заседания" in text


def test_the_act_form_offers_its_text_and_the_edition_it_replaces(deputy, rt):
    response = deputy.get("/artefacts/new?kind=polozhenie")
    text = page_text(response)
    assert "Новая редакция действующего акта" in text and 'name="sections_text"' in response.get_data(as_text=True)
    # The yes/no fields carry their explanation as help under the box, not in the label.
    assert "Затрагивает права обучающихся" in text
    assert "Нужен учёт мнения Совета обучающихся и Совета родителей" in text
    assert 'class="mono"' not in response.get_data(as_text=True)  # the act's text is prose, not code


def test_a_plan_posted_with_an_edition_or_a_text_gets_neither(deputy, rt, school):
    act = create_artefact(rt, school["deputy"], school.id, "polozhenie", sections_text="1. Общие положения")
    response = deputy.post("/artefacts/new", data={
        "csrf_token": csrf_token(deputy, "/artefacts/new?kind=activity_plan"), "kind": "activity_plan",
        "title": "", "school_year": "2025/2026", "supersedes_id": str(act), "sections_text": "1. Текст чужого вида"})
    assert response.status_code == 302
    plan_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    with rt.sessions() as session:
        plan = session.get(Artefact, plan_id)
        assert (plan.kind, plan.supersedes_id, plan.sections) == ("activity_plan", None, [])
    assert "Импортируйте таблицу из файла" in page_text(deputy.get(f"/artefacts/{plan_id}"))


def test_help_is_never_shown_as_the_label_of_a_value(deputy, rt, school):
    """«Председатель (по умолчанию директор)» used to label the chair in «Сведения»."""
    plan_id = create_artefact(rt, school["deputy"], school.id, "roadmap", school_year="2024/2025")
    with rt.sessions() as session:
        session.get(Artefact, plan_id)  # a plan that has been adopted with its chair
    from vsoko_flow.services.plans import add_item, add_section

    section = add_section(rt, plan_id, school["deputy"], "Мероприятия", version=None)
    add_item(rt, plan_id, school["deputy"], version=None, section_id=section.id, fields={"activity": "Семинар"},
             responsible_logins=["deputy"], deadline_text="Май")
    fire_transition(rt, plan_id, "send_to_council", school["deputy"], today=dt.date(2024, 8, 26))
    fire_transition(rt, plan_id, "adopt", school["secretary"], today=dt.date(2024, 8, 28), fields={
        "protocol_date": "2024-08-28", "present": 20, "votes_for": 18, "votes_against": 0, "votes_abstained": 2,
        "chair": "director"})
    text = page_text(deputy.get(f"/artefacts/{plan_id}"))
    assert "Председатель" in text and "Соколова" in text
    assert "по умолчанию" not in text
    for definition in rt.definitions.values():
        for spec in [*definition.fields, *(f for t in definition.transitions.values() for f in t.fields)]:
            assert "по умолчанию" not in spec.label and "если не" not in spec.label, (definition.kind, spec.name)
