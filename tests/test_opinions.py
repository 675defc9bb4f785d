"""The councils' opinions on an act (issue 11, point 6): a motivated disagreement («не согласовано»)
with its reasons, the act amended and sent again only to the councils that disagreed — the opinions
already given are kept — and no action offered that the next step would refuse.

The act's text is written here for the tests (no seed text)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from vsoko_flow.models import Artefact, StoredDocument
from vsoko_flow.services.artefacts import create_artefact, set_sections, show_artefact
from vsoko_flow.services.errors import Unprocessable
from vsoko_flow.services.transitions import fire_transition

from .flows import docx_text
from .test_api import api  # noqa: F401 - fixture
from .web_helpers import login

TEXT = ("1. Общие положения\n1.1. Положение определяет порядок оценки качества образования в школе.\n"
        "2. Сроки\n2.1. Оценочные процедуры проводятся по графику, утверждённому директором.")
AMENDED = TEXT + "\n2.2. График доводится до родителей не позднее чем за две недели."
REQUEST, STUDENTS, PARENTS, AMENDED_DAY, RESENT, PARENTS_AGAIN, COUNCIL, ORDER = (
    dt.date(2025, 3, 3), dt.date(2025, 3, 5), dt.date(2025, 3, 6), dt.date(2025, 3, 7), dt.date(2025, 3, 10),
    dt.date(2025, 3, 12), dt.date(2025, 3, 20), dt.date(2025, 3, 24))
DISAGREEMENT = "Сроки доведения графика до родителей не указаны"


def draft(rt, school, **fields) -> int:
    return create_artefact(rt, school["deputy"], school.id, "polozhenie", title="Положение о ВСОКО (проверка мнений)",
                           school_year="2024/2025", fields=fields, sections_text=TEXT, today=REQUEST)


def fire(rt, artefact_id: int, trigger: str, who: int, day: dt.date, comment: str = "", **fields):
    return fire_transition(rt, artefact_id, trigger, who, fields=fields, comment=comment, today=day)


def opinion(rt, school, artefact_id: int, body: str, day: dt.date, number: str, result: str, remarks: str = ""):
    return fire(rt, artefact_id, "record_opinion", school["secretary"], day, opinion_body=body,
                opinion_date=day.isoformat(), opinion_protocol_number=number, opinion_result=result,
                opinion_remarks=remarks)


def offered(rt, artefact_id: int, user_id: int) -> dict[str, dict]:
    return {t["trigger"]: t for t in show_artefact(rt, artefact_id, user_id)["available_transitions"]}


def fields_of(rt, artefact_id: int) -> dict:
    with rt.sessions() as session:
        return dict(session.get(Artefact, artefact_id).fields)


def disagreed(rt, school) -> int:
    """Sent to both councils: the students agree, the parents disagree with their reasons."""
    artefact_id = draft(rt, school)
    fire(rt, artefact_id, "send_for_opinions", school["deputy"], REQUEST, request_date=REQUEST.isoformat())
    opinion(rt, school, artefact_id, "student_council", STUDENTS, "3", "positive")
    opinion(rt, school, artefact_id, "parents_council", PARENTS, "4", "rejected", DISAGREEMENT)
    return artefact_id


def test_a_draft_offers_the_council_only_after_the_opinions_and_says_so_before_any_form(rt, school):
    artefact_id = draft(rt, school)
    actions = offered(rt, artefact_id, school["deputy"])
    assert actions["send_for_opinions"]["blocked"] == []
    assert actions["send_to_council"]["blocked"] == [
        "Не учтено мнение Совета обучающихся и Совета родителей: акт затрагивает права, которые они представляют "
        "(ч. 3 ст. 30 273-ФЗ). Сначала направьте проект советам: «Направить на учёт мнения советов» (директор, "
        "заместитель директора), затем «Записать мнение совета» (заместитель директора, секретарь педагогического "
        "совета)"]
    nobody_asked = draft(rt, school, affects_students=False)
    actions = offered(rt, nobody_asked, school["deputy"])
    assert actions["send_to_council"]["blocked"] == []
    assert actions["send_for_opinions"]["blocked"][0].endswith("направьте его сразу на педагогический совет")


def test_a_disagreement_needs_its_reasons(rt, school):
    artefact_id = draft(rt, school)
    fire(rt, artefact_id, "send_for_opinions", school["deputy"], REQUEST, request_date=REQUEST.isoformat())
    with pytest.raises(Unprocessable) as refused:
        opinion(rt, school, artefact_id, "parents_council", PARENTS, "4", "rejected")
    assert refused.value.message == ("Укажите мотивы несогласия совета в поле «Замечания совета»: мнение совета "
                                     "должно быть мотивированным")
    assert "opinions" not in fields_of(rt, artefact_id)


def test_a_disagreement_is_recorded_and_warned_about_before_the_council(rt, school):
    artefact_id = disagreed(rt, school)
    recorded = fields_of(rt, artefact_id)["opinions"]
    assert recorded["parents_council"]["result"] == "rejected"
    assert recorded["parents_council"]["remarks"] == DISAGREEMENT
    council = offered(rt, artefact_id, school["deputy"])["send_to_council"]
    assert council["blocked"] == []
    assert council["warnings"] == [
        f"Проект не согласован (Совет родителей: {DISAGREEMENT}). Доработайте его — «Вернуть на доработку» "
        "(директор, заместитель директора, секретарь педагогического совета), исправьте текст и снова «Направить "
        "на учёт мнения советов» (директор, заместитель директора): проект уйдёт только не согласовавшим советам, "
        "полученные мнения сохранятся. Или внесите проект на педагогический совет с мотивированным несогласием: "
        "решение примет совет."]


def test_the_amended_act_goes_again_only_to_the_council_that_disagreed_and_keeps_the_other_opinion(rt, school):
    artefact_id = disagreed(rt, school)
    fire(rt, artefact_id, "return_to_draft", school["deputy"], AMENDED_DAY, comment="Учесть мнение Совета родителей")
    set_sections(rt, artefact_id, school["deputy"], AMENDED)
    resent = fire(rt, artefact_id, "send_for_opinions", school["deputy"], RESENT, request_date=RESENT.isoformat())
    assert len(resent.documents) == 1  # one request: to the parents' council only
    with rt.sessions() as session:
        letter = docx_text(session.get(StoredDocument, resent.documents[0]["id"]).content)
    assert "Председателю Совета родителей" in letter and "Совета обучающихся" not in letter
    fields = fields_of(rt, artefact_id)
    assert list(fields["opinions"]) == ["student_council"]  # the parents' new answer is awaited
    assert [(o["body"], o["result"]) for o in fields["opinion_history"]] == [
        ("student_council", "positive"), ("parents_council", "rejected")]
    assert offered(rt, artefact_id, school["deputy"])["send_to_council"]["blocked"]  # not before the parents answer

    opinion(rt, school, artefact_id, "parents_council", PARENTS_AGAIN, "5", "positive")
    assert offered(rt, artefact_id, school["deputy"])["send_to_council"] == {
        "trigger": "send_to_council", "label": "Внести на педагогический совет", "blocked": [], "warnings": []}
    fire(rt, artefact_id, "send_to_council", school["deputy"], COUNCIL)
    fire(rt, artefact_id, "adopt", school["secretary"], COUNCIL, protocol_date=COUNCIL.isoformat(), present=30,
         votes_for=28, votes_against=0, votes_abstained=2)
    approved = fire(rt, artefact_id, "approve", school["director"], ORDER, order_date=ORDER.isoformat(),
                    responsible="deputy")
    with rt.sessions() as session:
        order = docx_text(session.scalars(select(StoredDocument).where(
            StoredDocument.id.in_([d["id"] for d in approved.documents]),
            StoredDocument.template_name == "order_approval")).one().content)
    assert ("с учётом мнения Совета обучающихся (протокол от 05.03.2025 № 3), Совета родителей (протокол от "
            "12.03.2025 № 5)") in order
    history = fields_of(rt, artefact_id)["opinion_history"]
    assert [(o["body"], o["result"], o["request_date"]) for o in history] == [
        ("student_council", "positive", "2025-03-03"), ("parents_council", "rejected", "2025-03-03"),
        ("parents_council", "positive", "2025-03-10")]


def test_an_act_whose_councils_all_agreed_is_not_sent_to_them_again(rt, school):
    artefact_id = draft(rt, school)
    fire(rt, artefact_id, "send_for_opinions", school["deputy"], REQUEST, request_date=REQUEST.isoformat())
    opinion(rt, school, artefact_id, "student_council", STUDENTS, "3", "positive")
    opinion(rt, school, artefact_id, "parents_council", PARENTS, "4", "remarks", "Уточнить сроки")
    fire(rt, artefact_id, "return_to_draft", school["deputy"], AMENDED_DAY, comment="Опечатка в разделе 2")
    actions = offered(rt, artefact_id, school["deputy"])
    assert actions["send_for_opinions"]["blocked"] == [
        "Мнения всех советов уже получены и сохранены: направлять проект повторно не нужно — внесите его на "
        "педагогический совет: «Внести на педагогический совет» (директор, заместитель директора)"]
    assert actions["send_to_council"]["blocked"] == []


def test_the_page_shows_an_unavailable_action_with_its_reason_and_no_button(rt, school, client):
    artefact_id = draft(rt, school)
    login(client, "deputy")
    page = client.get(f"/artefacts/{artefact_id}").get_data(as_text=True)
    council = page[page.index('id="t-send_to_council"'):]
    council = council[:council.index("</details>")]
    assert "пока недоступно" in council and "Сначала направьте проект советам" in council
    assert "<form" not in council and "<button" not in council
    asked = page[page.index('id="t-send_for_opinions"'):]
    assert "<button" in asked[:asked.index("</details>")]


def test_the_page_lists_every_opinion_given_and_the_warning_before_the_council(rt, school, client):
    artefact_id = disagreed(rt, school)
    login(client, "deputy")
    page = client.get(f"/artefacts/{artefact_id}").get_data(as_text=True)
    assert "Не согласовано (мотивированное несогласие)" in page and DISAGREEMENT in page
    council = page[page.index('id="t-send_to_council"'):]
    council = council[:council.index("</details>")]
    assert "Перед выполнением:" in council and "Проект не согласован" in council and "<button" in council


def test_the_api_says_which_actions_are_blocked_and_why(rt, school, api):
    artefact_id = draft(rt, school)
    body = api.ok("GET", f"/artefacts/{artefact_id}", "deputy")
    actions = {t["trigger"]: t for t in body["available_transitions"]}
    assert actions["send_to_council"]["blocked"][0].startswith("Не учтено мнение Совета обучающихся")
    assert actions["send_for_opinions"]["blocked"] == [] and actions["send_for_opinions"]["warnings"] == []
    refused = api.error("POST", f"/artefacts/{artefact_id}/transitions", "deputy", 422, json={
        "trigger": "send_to_council", "version": body["version"], "comment": "", "fields": {}})
    assert refused["details"]["rules"] == actions["send_to_council"]["blocked"]
