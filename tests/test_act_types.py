"""Acts by identity (issue 9.4, issue 10.2): «one edition in force» holds per act type from the school's
nomenclature (номенклатура ЛНА), whatever the acts are titled — also when approvals race on PostgreSQL."""
from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from vsoko_flow.db import transaction
from vsoko_flow.models import Artefact
from vsoko_flow.services.act_types import add_act_type, list_act_types, update_act_type
from vsoko_flow.services.errors import NotFound, ServiceError, Unprocessable
from vsoko_flow.services.organisations import create_organisation
from vsoko_flow.services.transitions import fire_transition

from .conftest import POSTGRES_URL
from .web_helpers import login, post_form
from .flows import ORDER_DAY, adopt, approve, new_draft, record_opinions

VSOKO = "Положение о внутренней системе оценки качества образования"


def type_id(rt, school, name: str) -> int:
    return next(t.id for t in list_act_types(rt, school.id) if t.name == name)


def adopted_act(rt, school, title: str, act_type: int | None = None, supersedes: int | None = None) -> int:
    fields = {"act_type": act_type} if act_type is not None else {}
    artefact_id = new_draft(rt, school, title=title, supersedes=supersedes, **fields)
    record_opinions(rt, school, artefact_id)
    adopt(rt, school, artefact_id)
    return artefact_id


def states(rt, *ids: int) -> list[str]:
    with rt.sessions() as session:
        return [session.get(Artefact, i).state for i in ids]


def test_a_school_starts_with_the_usual_nomenclature_the_vsoko_regulation_first(rt, school):
    types = list_act_types(rt, school.id)
    assert types[0].name == VSOKO
    assert types[0].council_grif == "adopted"
    assert {t.council_grif for t in types} == {"adopted", "agreed"}
    assert len({t.name for t in types}) == len(types)


def test_acts_of_one_type_titled_differently_are_one_act_the_second_must_supersede(rt, school):
    vsoko = type_id(rt, school, VSOKO)
    first = adopted_act(rt, school, "Положение о ВСОКО", act_type=vsoko)
    approve(rt, school, first)
    second = adopted_act(rt, school, "Положение о внутренней системе оценки качества образования (ВСОКО)",
                         act_type=vsoko)
    with pytest.raises(Unprocessable) as refused:
        approve(rt, school, second)
    assert refused.value.message.startswith(f"Уже действует «Положение о ВСОКО» (№ {first}) — акт того же вида")
    assert states(rt, first, second) == ["in_force", "adopted"]
    # The same act as a new edition of the one in force: it supersedes it.
    edition = adopted_act(rt, school, "Положение о ВСОКО (ВСОКО)", supersedes=first)
    assert approve(rt, school, edition).to_state == "in_force"
    assert states(rt, first, edition) == ["superseded", "in_force"]
    with rt.sessions() as session:
        assert session.get(Artefact, edition).act_type_id == vsoko


def test_acts_of_different_types_are_in_force_together(rt, school):
    first = adopted_act(rt, school, "Положение о ВСОКО", act_type=type_id(rt, school, VSOKO))
    other = adopted_act(rt, school, "Положение о ШМО", act_type=type_id(rt, school, "Положение о внутришкольном контроле"))
    approve(rt, school, first)
    approve(rt, school, other)
    assert states(rt, first, other) == ["in_force", "in_force"]
    in_force = {t.name: t.in_force for t in list_act_types(rt, school.id)}
    assert in_force[VSOKO] == "Положение о ВСОКО"
    assert in_force["Положение о внутришкольном контроле"] == "Положение о ШМО"


def test_an_act_without_a_chosen_type_takes_the_type_named_like_it(rt, school):
    """Through the API a type may be left out: the act then belongs to the type of its name (added to the
    nomenclature when new), so two acts titled alike stay one act."""
    first = new_draft(rt, school, title="Положение о внутренней системе оценки качества образования")
    added = new_draft(rt, school, title="Положение о школьной форме")
    expected = [type_id(rt, school, VSOKO), type_id(rt, school, "Положение о школьной форме")]
    with rt.sessions() as session:
        assert [session.get(Artefact, first).act_type_id, session.get(Artefact, added).act_type_id] == expected


def test_a_new_edition_keeps_the_type_of_the_one_it_replaces(rt, school):
    first = adopted_act(rt, school, "Положение о ВСОКО", act_type=type_id(rt, school, VSOKO))
    approve(rt, school, first)
    with pytest.raises(Unprocessable) as refused:
        new_draft(rt, school, supersedes=first, act_type=type_id(rt, school, "Положение о педагогическом совете"))
    assert refused.value.details["fields"] == {"act_type": "Вид акта новой редакции — вид заменяемой"}


def test_a_type_of_another_school_cannot_be_chosen(rt, school):
    with transaction(rt.sessions) as session:
        other = create_organisation(session, "school", "Другая школа", "Другая школа").id
    foreign = list_act_types(rt, other)[0].id
    with pytest.raises(Unprocessable) as refused:
        new_draft(rt, school, title="Положение", act_type=foreign)
    assert refused.value.details["fields"] == {"act_type": "Такого вида акта нет в номенклатуре"}
    with pytest.raises(NotFound):
        update_act_type(rt, school.id, foreign, name="Чужое", council_grif="adopted")


def test_the_nomenclature_is_edited_and_refuses_a_repeated_or_empty_name(rt, school):
    added = add_act_type(rt, school.id, name="  Положение   о  наставничестве ", council_grif="agreed")
    assert (added.name, added.council_grif) == ("Положение о наставничестве", "agreed")
    with pytest.raises(Unprocessable) as repeated:
        add_act_type(rt, school.id, name="положение о НАСТАВНИЧЕСТВЕ")
    assert repeated.value.message == "Вид акта «положение о НАСТАВНИЧЕСТВЕ» уже есть в номенклатуре"
    with pytest.raises(Unprocessable) as empty:
        add_act_type(rt, school.id, name=" \u200b ")
    assert empty.value.message == "Укажите название вида акта"
    with pytest.raises(Unprocessable):
        add_act_type(rt, school.id, name="Положение X", council_grif="signed")
    renamed = update_act_type(rt, school.id, added.id, name="Положение о наставничестве педагогов",
                              council_grif="adopted")
    assert (renamed.name, renamed.council_grif) == ("Положение о наставничестве педагогов", "adopted")
    with pytest.raises(Unprocessable):
        update_act_type(rt, school.id, added.id, name=VSOKO, council_grif="adopted")


def test_the_database_itself_refuses_two_editions_of_one_type_in_force(rt, school):
    """Whatever the code does: the partial unique index makes a second edition in force impossible."""
    vsoko = type_id(rt, school, VSOKO)
    first = adopted_act(rt, school, "Положение о ВСОКО", act_type=vsoko)
    approve(rt, school, first)
    second = adopted_act(rt, school, "Положение о ВСОКО (ВСОКО)", act_type=vsoko)
    with pytest.raises(IntegrityError):
        with transaction(rt.sessions) as session:
            session.execute(update(Artefact).where(Artefact.id == second).values(state="in_force"))
    assert states(rt, first, second) == ["in_force", "adopted"]


@pytest.mark.skipif(not POSTGRES_URL, reason="races of approvals need PostgreSQL (VSOKO_TEST_DATABASE_URL); "
                                             "SQLite serialises every write transaction")
def test_concurrent_approvals_of_one_act_type_leave_exactly_one_in_force(rt, school):
    vsoko = type_id(rt, school, VSOKO)
    acts = [adopted_act(rt, school, f"Положение о ВСОКО, вариант {n}", act_type=vsoko) for n in range(12)]
    barrier = threading.Barrier(len(acts))
    outcomes: dict[int, object] = {}

    def approve_one(artefact_id: int) -> None:
        barrier.wait()
        try:
            outcomes[artefact_id] = fire_transition(
                rt, artefact_id, "approve", school["director"], today=ORDER_DAY,
                fields={"order_date": ORDER_DAY.isoformat(), "responsible": "deputy"}).to_state
        except ServiceError as exc:
            outcomes[artefact_id] = exc

    threads = [threading.Thread(target=approve_one, args=(i,)) for i in acts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    winners = [i for i, outcome in outcomes.items() if outcome == "in_force"]
    refusals = [outcome for outcome in outcomes.values() if isinstance(outcome, ServiceError)]
    assert len(winners) == 1 and len(refusals) == len(acts) - 1, outcomes
    for refusal in refusals:
        assert refusal.status == 422
        assert refusal.message.startswith(f"Уже действует «Положение о ВСОКО, вариант {acts.index(winners[0])}» "
                                          f"(№ {winners[0]}) — акт того же вида"), refusal.message
    with rt.sessions() as session:
        in_force = session.scalars(select(Artefact.id).where(Artefact.act_type_id == vsoko,
                                                             Artefact.state == "in_force")).all()
        assert in_force == winners


# --------------------------------------------------------------------------- pages


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_the_administrator_edits_the_nomenclature_on_its_page(rt, school, client):
    login(client, "director")
    page = client.get("/admin/act-types")
    assert page.status_code == 200 and VSOKO in page_text(page)
    added = post_form(client, "/admin/act-types", {"name": "Положение о наставничестве", "council_grif": "agreed"})
    assert added.status_code == 303
    assert "Положение о наставничестве" in page_text(client.get("/admin/act-types"))
    repeated = post_form(client, "/admin/act-types", {"name": "ПОЛОЖЕНИЕ о наставничестве", "council_grif": "adopted"})
    assert repeated.status_code == 422 and "уже есть в номенклатуре" in page_text(repeated)
    mentoring = type_id(rt, school, "Положение о наставничестве")
    renamed = post_form(client, "/admin/act-types", {"act_type_id": str(mentoring), "name": "Положение о наставниках",
                                                     "council_grif": "adopted"})
    assert renamed.status_code == 303
    assert [(t.name, t.council_grif) for t in list_act_types(rt, school.id) if t.id == mentoring] == [
        ("Положение о наставниках", "adopted")]
    assert post_form(client, "/admin/act-types", {"act_type_id": "999999", "name": "X",
                                                  "council_grif": "adopted"}).status_code == 404


def test_a_deputy_cannot_edit_the_nomenclature(rt, school, client):
    login(client, "deputy")
    assert client.get("/admin/act-types").status_code == 403


def test_the_new_act_form_offers_the_nomenclature_the_vsoko_regulation_chosen(rt, school, client):
    login(client, "deputy")
    form = page_text(client.get("/artefacts/new?kind=polozhenie"))
    assert "Вид акта (номенклатура ЛНА)" in form
    vsoko = type_id(rt, school, VSOKO)
    assert re.search(rf'<option value="{vsoko}" selected>{VSOKO}</option>', form)
    created = post_form(client, "/artefacts/new", {"kind": "polozhenie", "title": "Положение о ВСОКО (ВСОКО)",
                                                   "school_year": "2024/2025", "act_type": str(vsoko),
                                                   "affects_students": "y"}, form_page="/artefacts/new?kind=polozhenie")
    assert created.status_code == 302, page_text(created)[:500]
    artefact_id = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    with rt.sessions() as session:
        assert session.get(Artefact, artefact_id).act_type_id == vsoko
    wrong = post_form(client, "/artefacts/new", {"kind": "polozhenie", "title": "Положение", "school_year": "2024/2025",
                                                 "act_type": "abc"}, form_page="/artefacts/new?kind=polozhenie")
    assert wrong.status_code == 422 and "Выберите вид акта из номенклатуры" in page_text(wrong)
