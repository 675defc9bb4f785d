"""Every task closable (issue 9.5): ознакомление by each employee's acknowledgement or by the signed paper
sheet, размещение на сайте with its address and date, and — over every workflow file — each deadline a
workflow can create has a transition that closes it, available to the person it is put on."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from sqlalchemy import func, select

from vsoko_flow.deadlines.workdays import add_working_days
from vsoko_flow.models import Acquaintance, Artefact, Evidence
from vsoko_flow.procedures.acquaintance import DEADLINE_CLOSERS, acquaintance_progress
from vsoko_flow.services.errors import Forbidden, Unprocessable
from vsoko_flow.services.tasks import (
    ACKNOWLEDGEMENT_DEADLINE, ACKNOWLEDGEMENT_LABEL, DEADLINE_FIELDS, actionable_states, deadline_states,
    my_tasks,
)
from vsoko_flow.services.transitions import fire_transition

from .flows import ORDER_DAY, take_to_force
from .web_helpers import login, post_form

STAFF = ("director", "deputy", "secretary", "mo_head", "teacher", "psychologist")  # the observer signs nothing
SCAN = b"%PDF-1.4 signed acquaintance sheet\n"


def deadlines_of(rt, school, login: str, day: dt.date = ORDER_DAY) -> list[tuple[int, str]]:
    return [(d["artefact_id"], d["label"]) for d in my_tasks(rt, school[login], school.id, today=day)["deadlines"]]


def fire(rt, artefact_id: int, trigger: str, actor: int, day: dt.date = ORDER_DAY, files=None, **fields):
    return fire_transition(rt, artefact_id, trigger, actor, fields=fields, today=day, files=files)


def field(rt, artefact_id: int, name: str):
    with rt.sessions() as session:
        return session.get(Artefact, artefact_id).fields.get(name)


def test_every_employee_on_the_list_acknowledges_and_the_item_closes_when_all_have(rt, school):
    act, _ = take_to_force(rt, school)
    for login in STAFF:
        assert (act, ACKNOWLEDGEMENT_LABEL) in deadlines_of(rt, school, login), login
    assert (act, ACKNOWLEDGEMENT_LABEL) not in deadlines_of(rt, school, "observer")
    assert (act, DEADLINE_FIELDS["acquaintance_deadline"]) in deadlines_of(rt, school, "deputy")
    assert field(rt, act, "acquaintance_progress") == f"0 из {len(STAFF)}"

    fire(rt, act, "acknowledge", school["teacher"])
    assert (act, ACKNOWLEDGEMENT_LABEL) not in deadlines_of(rt, school, "teacher")
    assert field(rt, act, "acquaintance_progress") == f"1 из {len(STAFF)}"
    with pytest.raises(Unprocessable) as again:
        fire(rt, act, "acknowledge", school["teacher"])
    assert again.value.message.startswith("Вы уже ознакомились с актом ")
    with pytest.raises(Forbidden):  # an observer is not on the list and has no such action
        fire(rt, act, "acknowledge", school["observer"])
    with rt.sessions() as session:
        row = session.scalar(select(Acquaintance).where(Acquaintance.artefact_id == act,
                                                        Acquaintance.user_id == school["teacher"]))
        assert (row.method, row.acknowledged_at is not None) == ("system", True)

    for login in STAFF:
        if login != "teacher":
            fire(rt, act, "acknowledge", school[login])
    assert field(rt, act, "acquaintance_progress") == f"{len(STAFF)} из {len(STAFF)}"
    assert field(rt, act, "acquaintance_done") == ORDER_DAY.isoformat()
    assert (act, DEADLINE_FIELDS["acquaintance_deadline"]) not in deadlines_of(rt, school, "deputy")


def test_the_signed_paper_sheet_acknowledges_everyone_left(rt, school):
    act, _ = take_to_force(rt, school)
    fire(rt, act, "acknowledge", school["teacher"])
    with pytest.raises(Unprocessable) as no_file:
        fire(rt, act, "record_acquaintance_sheet", school["deputy"], sheet_date=ORDER_DAY.isoformat())
    assert "sheet_evidence_id" in no_file.value.details["fields"]
    with pytest.raises(Unprocessable) as not_responsible:
        fire(rt, act, "record_acquaintance_sheet", school["teacher"], files={"sheet_evidence_id": ("лист.pdf", SCAN)},
             sheet_date=ORDER_DAY.isoformat())
    assert "ответственный за ознакомление" in not_responsible.value.message
    with rt.sessions() as session:  # refused: the uploaded scan is not kept either
        assert session.scalar(select(func.count()).select_from(Evidence).where(Evidence.artefact_id == act)) == 0

    fire(rt, act, "record_acquaintance_sheet", school["deputy"], files={"sheet_evidence_id": ("лист.pdf", SCAN)},
         sheet_date=ORDER_DAY.isoformat())
    with rt.sessions() as session:
        rows = session.scalars(select(Acquaintance).where(Acquaintance.artefact_id == act)).all()
        assert {r.method for r in rows if r.user_id == school["teacher"]} == {"system"}
        assert {r.method for r in rows if r.user_id != school["teacher"]} == {"paper"}
        assert acquaintance_progress(session, act) == (len(STAFF), len(STAFF))
        evidence = session.scalar(select(Evidence).where(Evidence.artefact_id == act))
        assert (evidence.file_name, evidence.size) == ("лист.pdf", len(SCAN))
    assert field(rt, act, "acquaintance_done") == ORDER_DAY.isoformat()
    assert field(rt, act, "sheet_evidence_sha256") == evidence.sha256
    for login in STAFF:
        assert (act, ACKNOWLEDGEMENT_LABEL) not in deadlines_of(rt, school, login)


def test_publication_records_the_address_and_date_checked_against_ten_working_days(rt, school):
    act, _ = take_to_force(rt, school)
    deadline = add_working_days(ORDER_DAY, 10)
    assert (act, DEADLINE_FIELDS["publication_deadline"]) in deadlines_of(rt, school, "deputy")
    with pytest.raises(Unprocessable) as bad_address:
        fire(rt, act, "record_publication", school["deputy"], publication_url="сайт школы",
             published_on=ORDER_DAY.isoformat())
    assert bad_address.value.message.startswith("Укажите адрес страницы сайта")
    with pytest.raises(Unprocessable) as before_order:
        fire(rt, act, "record_publication", school["deputy"], publication_url="https://school29.ru/docs",
             published_on=(ORDER_DAY - dt.timedelta(days=1)).isoformat())
    assert "раньше даты приказа" in before_order.value.message
    late_day = deadline + dt.timedelta(days=3)
    fired = fire(rt, act, "record_publication", school["deputy"], day=late_day,
                 publication_url="https://school29.ru/docs/vsoko.pdf", published_on=late_day.isoformat())
    assert fired.warnings == [f"Акт размещён {late_day:%d.%m.%Y}, позже срока {deadline:%d.%m.%Y} (10 рабочих дней, "
                              "ч. 3 ст. 29 273-ФЗ): размещение будет записано с опозданием"]
    assert field(rt, act, "publication_url") == "https://school29.ru/docs/vsoko.pdf"
    assert (act, DEADLINE_FIELDS["publication_deadline"]) not in deadlines_of(rt, school, "deputy", late_day)
    with pytest.raises(Unprocessable) as twice:
        fire(rt, act, "record_publication", school["deputy"], day=late_day,
             publication_url="https://school29.ru/x", published_on=late_day.isoformat())
    assert twice.value.message.startswith("Размещение уже записано: https://school29.ru/docs/vsoko.pdf")


# --------------------------------------------------------------------------- every workflow


def _closing(definition, name: str, state: str) -> list[str]:
    """Triggers that close deadline `name` open in `state`: leave the states it is open in, or set its
    «…_done» field (an action that writes it)."""
    open_states = deadline_states(definition)[name]
    closing = []
    for trigger in definition.available_triggers(state):
        transition = definition.transitions[trigger]
        writes_done = any(DEADLINE_CLOSERS.get(step.name) == name for step in transition.actions)
        if transition.dest not in open_states or writes_done:
            closing.append(trigger)
    return closing


def test_every_deadline_of_every_workflow_has_a_transition_that_closes_it_for_its_assignee(rt):
    """The deadlines a workflow creates: fields set by its actions (open in the states they lead to), the
    acknowledgement of each employee on a list, and the due date of an item assigned to people."""
    checked = 0
    for kind, definition in rt.definitions.items():
        for name, states in deadline_states(definition).items():
            for state in states:
                closing = _closing(definition, name, state)
                # The person it is put on: the act's author or responsible — a deputy by default.
                assert any("deputy" in definition.transitions[t].roles for t in closing), (kind, name, state)
                if name == ACKNOWLEDGEMENT_DEADLINE:
                    # … and every employee on the list (any role but an observer) closes their own part.
                    for role in ("director", "deputy", "secretary", "working_group", "mo_head", "executor"):
                        assert role in definition.transitions["acknowledge"].roles, (kind, role)
                checked += 1
        final = {s for s, d in definition.states.items() if d.final}
        for state in definition.states:
            if state in final:
                continue
            # An item's due date stays open until a final state: from every other state some transition
            # moves it on, and a path of them reaches a final state.
            assert _reaches_final(definition, state, final), (kind, state)
            checked += 1
        assignee_states = actionable_states(definition, {"executor"})
        for state, triggers in assignee_states.items():
            assert triggers, (kind, state)
    assert checked > 30


def _reaches_final(definition, start: str, final: set[str]) -> bool:
    seen, todo = {start}, [start]
    while todo:
        state = todo.pop()
        if state in final:
            return True
        for trigger, transition in definition.transitions.items():
            if state in transition.sources and transition.dest not in seen:
                seen.add(transition.dest)
                todo.append(transition.dest)
    return not final  # a kind without final states (a standing register) has nothing to close


# --------------------------------------------------------------------------- pages


def version_shown(page) -> str:  # noqa: ANN001 - a response or its text
    text = page if isinstance(page, str) else page.get_data(as_text=True)
    return re.search(r'name="version" value="(\d+)"', text).group(1)


def test_an_employee_acknowledges_from_the_act_page_and_the_deputy_uploads_the_sheet(rt, school, app, client):
    act, _ = take_to_force(rt, school)
    login(client, "teacher")
    page = client.get(f"/artefacts/{act}")
    assert "Ознакомиться с актом" in page.get_data(as_text=True)
    done = post_form(client, f"/artefacts/{act}/fire/acknowledge", {"comment": "", "version": version_shown(page)},
                     form_page=f"/artefacts/{act}")
    assert done.status_code == 302
    with rt.sessions() as session:
        assert acquaintance_progress(session, act) == (1, len(STAFF))
    client = app.test_client()
    login(client, "deputy")
    page = client.get(f"/artefacts/{act}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    assert "1 из 6" in page
    uploaded = post_form(client, f"/artefacts/{act}/fire/record_acquaintance_sheet",
                         {"sheet_date": dt.date.today().isoformat(), "comment": "", "version": version_shown(page),
                          "sheet_evidence_id": (io.BytesIO(SCAN), "лист ознакомления.pdf")}, form_page=f"/artefacts/{act}")
    assert uploaded.status_code == 302, uploaded.get_data(as_text=True)[:2000]
    assert field(rt, act, "acquaintance_done")
