"""Every rule of engine/rules.py, fired through a real transition: the exact Russian message,
and a refused transition leaves the whole store as it was."""
from __future__ import annotations

import datetime as dt
import shutil
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterator

import pytest
from sqlalchemy import select

from vsoko_flow.db import transaction
from vsoko_flow.engine.context import TransitionContext
from vsoko_flow.engine.registry import RULES
from vsoko_flow.models import Artefact, HistoryEntry, JournalCounter, JournalEntry, Section, StoredDocument, User
from vsoko_flow.services.access import membership_in
from vsoko_flow.services.artefacts import create_artefact
from vsoko_flow.services.errors import Conflict, Forbidden, NotFound, ServiceError, Unprocessable
from vsoko_flow.services.organisations import create_organisation
from vsoko_flow.services.runtime import Runtime
from vsoko_flow.services.transitions import fire_transition
from vsoko_flow.services.users import add_membership, create_user

from .flows import (
    COUNCIL_DAY, ORDER_DAY, PARENTS_DAY, REQUEST_DAY, STUDENTS_DAY, approve, docx_text, fire, new_draft,
    record_opinions,
)

TITLE = "Положение о внутренней системе оценки качества образования"
NO_SECTIONS = "В тексте документа нет ни одного раздела: добавьте текст (разделы 1., 1.1., …) перед отправкой"
NO_OPINION_NEEDED = ("Этот акт не затрагивает права обучающихся или работников: учёт мнения советов не требуется, "
                     "направьте его сразу на педагогический совет")
SEND_FIRST = ("«Направить на учёт мнения советов» (директор, заместитель директора), затем «Записать мнение совета» "
              "(заместитель директора, секретарь педагогического совета)")
MISSING_BOTH = ("Не учтено мнение Совета обучающихся и Совета родителей: акт затрагивает права, которые они "
                f"представляют (ч. 3 ст. 30 273-ФЗ). Сначала направьте проект советам: {SEND_FIRST}")
MISSING_PARENTS = ("Не учтено мнение Совета родителей: акт затрагивает права, которые они представляют (ч. 3 ст. 30 "
                   "273-ФЗ). Запишите мнение, когда совет его представит: «Записать мнение совета» (заместитель "
                   "директора, секретарь педагогического совета)")
MISSING_UNION = ("Не учтено мнение первичной профсоюзной организации: акт затрагивает права, которые они "
                 f"представляют (ч. 3 ст. 30 273-ФЗ). Сначала направьте проект советам: {SEND_FIRST}")
LEGACY_MISSING = ("Не учтено мнение Совета обучающихся и Совета родителей: акт затрагивает права, которые они "
                  "представляют (ч. 3 ст. 30 273-ФЗ). Верните проект на доработку — «Вернуть на доработку» "
                  "(директор, заместитель директора, секретарь педагогического совета) — и направьте его советам: "
                  f"{SEND_FIRST}")
SEVERAL_RULES = "Нарушены правила оформления"
CHECK_FIELDS = "Проверьте заполнение полей"


# --------------------------------------------------------------------------- helpers

def store_snapshot(rt: Runtime) -> dict:
    """Everything a transition may write: artefacts, history, documents, journals, texts."""
    with rt.sessions() as session:
        def rows(query):
            return [tuple(row) for row in session.execute(query).all()]

        return {
            "artefacts": rows(select(Artefact.id, Artefact.state, Artefact.version, Artefact.fields, Artefact.title)
                              .order_by(Artefact.id)),
            "history": rows(select(HistoryEntry.artefact_id, HistoryEntry.sequence, HistoryEntry.hash)
                            .order_by(HistoryEntry.id)),
            "documents": rows(select(StoredDocument.id, StoredDocument.sha256).order_by(StoredDocument.id)),
            "counters": rows(select(JournalCounter.journal_id, JournalCounter.period_key, JournalCounter.last_number)
                             .order_by(JournalCounter.id)),
            "journal_entries": rows(select(JournalEntry.number, JournalEntry.artefact_id).order_by(JournalEntry.id)),
            "sections": rows(select(Section.artefact_id, Section.number, Section.text).order_by(Section.id)),
        }


def refused(rt: Runtime, artefact_id: int, trigger: str, actor_id: int, day: dt.date, *,
            error: type[ServiceError] = Unprocessable, version: int | None = None, comment: str = "",
            **fields) -> ServiceError:
    """Fire a transition that must fail with `error`; check that the store did not change at all."""
    before = store_snapshot(rt)
    with pytest.raises(error) as caught:
        fire_transition(rt, artefact_id, trigger, actor_id, version=version, fields=fields, comment=comment,
                        today=day)
    assert store_snapshot(rt) == before
    return caught.value


@contextmanager
def custom_runtime(settings, root: Path, edit_workflow: Callable[[str], str] | None = None,
                   templates: dict[str, tuple[bytes, str]] | None = None) -> Iterator[Runtime]:
    """A runtime on the same database with edited copies of workflows/ and document_templates/.

    `templates` maps a template name to (.docx bytes, side .yaml text) that replace or add it.
    """
    workflows = shutil.copytree(settings.workflows_dir, root / "workflows")
    templates_dir = shutil.copytree(settings.templates_dir, root / "document_templates")
    if edit_workflow is not None:
        path = workflows / "polozhenie.yaml"
        path.write_text(edit_workflow(path.read_text(encoding="utf-8")), encoding="utf-8")
    for name, (data, side) in (templates or {}).items():
        (templates_dir / f"{name}.docx").write_bytes(data)
        (templates_dir / f"{name}.yaml").write_text(side, encoding="utf-8")
    runtime = Runtime.create(replace(settings, workflows_dir=workflows, templates_dir=templates_dir))
    try:
        yield runtime
    finally:
        runtime.close()


def in_council_review(rt, school, title: str | None = None, supersedes: int | None = None) -> int:
    """A draft before the council; it touches nobody's rights, so no council opinion is needed."""
    artefact_id = new_draft(rt, school, title=title, supersedes=supersedes, affects_students=False)
    fire(rt, artefact_id, "send_to_council", school["deputy"], COUNCIL_DAY)
    return artefact_id


def adopted(rt, school, title: str | None = None, supersedes: int | None = None) -> int:
    artefact_id = in_council_review(rt, school, title, supersedes)
    fire(rt, artefact_id, "adopt", school["secretary"], COUNCIL_DAY, **votes(42, 40, 0, 2))
    return artefact_id


def votes(present, votes_for, against=0, abstained=0) -> dict:
    return {"protocol_date": COUNCIL_DAY.isoformat(), "present": present, "votes_for": votes_for,
            "votes_against": against, "votes_abstained": abstained}


def state_of(rt, artefact_id: int) -> str:
    with rt.sessions() as session:
        return session.get(Artefact, artefact_id).state


def version_of(rt, artefact_id: int) -> int:
    with rt.sessions() as session:
        return session.get(Artefact, artefact_id).version


# --------------------------------------------------------------------------- has_sections

def test_act_without_text_cannot_be_sent_for_opinions(rt, school):
    artefact_id = create_artefact(rt, school["deputy"], school.id, "polozhenie", today=REQUEST_DAY)
    error = refused(rt, artefact_id, "send_for_opinions", school["deputy"], REQUEST_DAY,
                    request_date=REQUEST_DAY.isoformat())
    assert error.status == 422
    assert error.message == NO_SECTIONS
    assert error.details["rules"] == [NO_SECTIONS]


def test_act_without_text_cannot_go_to_council_and_every_broken_rule_is_reported(rt, school):
    artefact_id = create_artefact(rt, school["deputy"], school.id, "polozhenie", today=REQUEST_DAY)
    error = refused(rt, artefact_id, "send_to_council", school["deputy"], COUNCIL_DAY)
    assert error.message == SEVERAL_RULES
    assert error.details["rules"] == [NO_SECTIONS, MISSING_BOTH]


def test_act_with_text_is_sent_for_opinions_with_a_five_working_day_deadline(rt, school):
    artefact_id = new_draft(rt, school)
    result = fire(rt, artefact_id, "send_for_opinions", school["deputy"], REQUEST_DAY,
                  request_date=REQUEST_DAY.isoformat())
    assert (result.from_state, result.to_state) == ("draft", "opinions")
    assert len(result.documents) == 2  # one request per council: students and parents
    with rt.sessions() as session:
        assert session.get(Artefact, artefact_id).fields["opinion_deadline"] == "2025-03-17"


# --------------------------------------------------------------------------- fields_present

def test_fields_present_names_the_empty_field_by_its_label(rt, school):
    artefact_id = new_draft(rt, school, edition_note="")
    with rt.sessions() as session:
        definition = rt.definition("polozhenie")
        ctx = TransitionContext(
            session=session, artefact=session.get(Artefact, artefact_id), definition=definition,
            transition=definition.transitions["send_to_council"], actor=session.get(User, school["deputy"]),
            membership=membership_in(session, school["deputy"], school.id), submitted={}, comment="",
            today=COUNCIL_DAY, base_url=rt.settings.base_url)
        check = RULES["fields_present"].func
        assert check(ctx, fields=["edition_note", "affects_students"]) == ["Заполните поле «Отметка о редакции»"]
        assert check(ctx, fields=["affects_students", "affects_staff"]) == []  # «нет» is a value, not a gap


def _require_edition_note(text: str) -> str:
    anchor = "      - {name: opinions_agreed, level: warning}\n"
    assert text.count(anchor) == 1
    return text.replace(anchor, anchor + "      - fields_present: {fields: [edition_note]}\n")


def test_workflow_requiring_edition_note_refuses_council_without_it(rt, school, settings, tmp_path):
    without_note = new_draft(rt, school, edition_note="", affects_students=False)
    with_note = new_draft(rt, school, title="Положение о рабочей группе по ВСОКО", affects_students=False)
    with custom_runtime(settings, tmp_path, edit_workflow=_require_edition_note) as custom:
        error = refused(custom, without_note, "send_to_council", school["deputy"], COUNCIL_DAY)
        assert error.message == "Заполните поле «Отметка о редакции»"
        assert error.details["rules"] == ["Заполните поле «Отметка о редакции»"]

        result = fire(custom, with_note, "send_to_council", school["deputy"], COUNCIL_DAY)
        assert result.to_state == "council_review"


# --------------------------------------------------------------------------- dates_not_in_future

def test_request_cannot_be_dated_after_today(rt, school):
    artefact_id = new_draft(rt, school)
    tomorrow = REQUEST_DAY + dt.timedelta(days=1)
    error = refused(rt, artefact_id, "send_for_opinions", school["deputy"], REQUEST_DAY,
                    request_date=tomorrow.isoformat())
    assert error.details["rules"] == [
        "«Дата направления проекта» (11.03.2025) не может быть позже сегодняшнего дня (10.03.2025)"]


def test_order_cannot_be_dated_after_today(rt, school):
    artefact_id = adopted(rt, school)
    error = refused(rt, artefact_id, "approve", school["director"], ORDER_DAY,
                    order_date="04.04.2025", responsible="deputy")
    assert error.message == "«Дата приказа» (04.04.2025) не может быть позже сегодняшнего дня (03.04.2025)"


def test_request_dated_today_is_accepted(rt, school):
    artefact_id = new_draft(rt, school)
    result = fire(rt, artefact_id, "send_for_opinions", school["deputy"], REQUEST_DAY, request_date="10.03.2025")
    assert result.to_state == "opinions"


# --------------------------------------------------------------------------- opinions_needed

def test_act_touching_nobodys_rights_is_not_sent_for_opinions(rt, school):
    artefact_id = new_draft(rt, school, affects_students=False, affects_staff=False)
    error = refused(rt, artefact_id, "send_for_opinions", school["deputy"], REQUEST_DAY,
                    request_date=REQUEST_DAY.isoformat())
    assert error.message == NO_OPINION_NEEDED
    assert error.details["rules"] == [NO_OPINION_NEEDED]


def test_act_touching_staff_rights_asks_only_the_trade_union(rt, school):
    artefact_id = new_draft(rt, school, affects_students="нет", affects_staff="да")
    result = fire(rt, artefact_id, "send_for_opinions", school["deputy"], REQUEST_DAY,
                  request_date=REQUEST_DAY.isoformat())
    assert len(result.documents) == 1
    with rt.sessions() as session:
        letter = session.get(StoredDocument, result.documents[0]["id"]).content
    assert "Председателю первичной профсоюзной организации" in docx_text(letter)


# --------------------------------------------------------------------------- opinions_recorded

def test_council_without_opinions_is_refused_and_says_to_send_the_draft_for_opinions_first(rt, school):
    """The dead end of issue 11: the council used to take the act and the secretary could then not adopt it."""
    artefact_id = new_draft(rt, school)
    error = refused(rt, artefact_id, "send_to_council", school["deputy"], COUNCIL_DAY)
    assert error.message == MISSING_BOTH and error.details["rules"] == [MISSING_BOTH]


def test_an_act_left_before_the_council_without_opinions_says_how_to_get_out(rt, school):
    """An act that reached the council without opinions before this rule (older data): the refusal of the
    adoption names the way out — back to the draft, then to the councils."""
    artefact_id = new_draft(rt, school)
    with transaction(rt.sessions) as session:
        session.get(Artefact, artefact_id).state = "council_review"
    error = refused(rt, artefact_id, "adopt", school["secretary"], COUNCIL_DAY, **votes(42, 40, 0, 2))
    assert error.message == LEGACY_MISSING and error.details["rules"] == [LEGACY_MISSING]
    fire_transition(rt, artefact_id, "return_to_draft", school["secretary"], comment="Нет мнений советов",
                    today=COUNCIL_DAY)
    record_opinions(rt, school, artefact_id)
    assert fire(rt, artefact_id, "send_to_council", school["deputy"], COUNCIL_DAY).to_state == "council_review"


def test_act_cannot_go_to_council_with_the_parents_council_missing(rt, school):
    artefact_id = new_draft(rt, school)
    fire(rt, artefact_id, "send_for_opinions", school["deputy"], REQUEST_DAY, request_date=REQUEST_DAY.isoformat())
    fire(rt, artefact_id, "record_opinion", school["secretary"], STUDENTS_DAY, opinion_body="student_council",
         opinion_date=STUDENTS_DAY.isoformat(), opinion_protocol_number="3", opinion_result="positive")
    error = refused(rt, artefact_id, "send_to_council", school["deputy"], COUNCIL_DAY)
    assert error.message == MISSING_PARENTS
    assert error.details["rules"] == [MISSING_PARENTS]


def test_act_touching_staff_cannot_go_to_council_without_the_trade_union(rt, school):
    artefact_id = new_draft(rt, school, affects_students=False, affects_staff=True)
    error = refused(rt, artefact_id, "send_to_council", school["deputy"], COUNCIL_DAY)
    assert error.details["rules"] == [MISSING_UNION]


def test_act_with_every_opinion_goes_to_council_without_warnings_and_is_adopted(rt, school):
    artefact_id = new_draft(rt, school)
    record_opinions(rt, school, artefact_id)
    sent = fire(rt, artefact_id, "send_to_council", school["deputy"], COUNCIL_DAY)
    assert sent.warnings == []
    result = fire(rt, artefact_id, "adopt", school["secretary"], COUNCIL_DAY, **votes(42, 40, 0, 2))
    assert result.to_state == "adopted"
    assert result.warnings == []


# --------------------------------------------------------------------------- opinion_after_request

def test_opinion_cannot_precede_the_request(rt, school):
    artefact_id = new_draft(rt, school)
    fire(rt, artefact_id, "send_for_opinions", school["deputy"], REQUEST_DAY, request_date=REQUEST_DAY.isoformat())
    error = refused(rt, artefact_id, "record_opinion", school["secretary"], STUDENTS_DAY,
                    opinion_body="student_council", opinion_date="07.03.2025", opinion_protocol_number="3",
                    opinion_result="positive")
    assert error.message == ("Дата мнения (07.03.2025) раньше даты направления проекта (10.03.2025): совет даёт "
                             "мнение на направленный ему проект — укажите дату его протокола, не раньше даты "
                             "направления")


def test_opinion_on_the_day_of_the_request_is_recorded(rt, school):
    artefact_id = new_draft(rt, school)
    fire(rt, artefact_id, "send_for_opinions", school["deputy"], REQUEST_DAY, request_date=REQUEST_DAY.isoformat())
    result = fire(rt, artefact_id, "record_opinion", school["secretary"], REQUEST_DAY, opinion_body="parents_council",
                  opinion_date=REQUEST_DAY.isoformat(), opinion_protocol_number="4", opinion_result="remarks",
                  opinion_remarks="Уточнить сроки")
    assert result.to_state == "opinions"
    with rt.sessions() as session:
        opinions = session.get(Artefact, artefact_id).fields["opinions"]
    assert opinions == {"parents_council": {"date": "2025-03-10", "protocol_number": "4", "result": "remarks",
                                            "remarks": "Уточнить сроки", "request_date": "2025-03-10"}}


def test_opinion_of_a_council_the_act_does_not_need_is_refused(rt, school):
    artefact_id = new_draft(rt, school)
    fire(rt, artefact_id, "send_for_opinions", school["deputy"], REQUEST_DAY, request_date=REQUEST_DAY.isoformat())
    error = refused(rt, artefact_id, "record_opinion", school["secretary"], STUDENTS_DAY, opinion_body="trade_union",
                    opinion_date=STUDENTS_DAY.isoformat(), opinion_protocol_number="1", opinion_result="positive")
    assert error.message == ("Мнение этого органа для данного акта не требуется: нужны мнения — Совет обучающихся, "
                             "Совет родителей")


# --------------------------------------------------------------------------- dates_in_legal_order

def test_order_cannot_precede_council_protocol(rt, school):
    artefact_id = adopted(rt, school)
    error = refused(rt, artefact_id, "approve", school["director"], ORDER_DAY,
                    order_date="30.03.2025", responsible="deputy")
    assert error.message == ("Дата приказа (30.03.2025) раньше даты протокола педагогического совета (31.03.2025): "
                             "директор утверждает только принятый советом акт")


def _opinions_given_in_may_2024(rt, school) -> int:
    """The real case of DOMAIN.md: the councils «agreed» on 16 and 17 May 2024."""
    artefact_id = create_artefact(rt, school["deputy"], school.id, "polozhenie", school_year="2023/2024",
                                  sections_text="1. Общие положения\n1.1. Текст.", today=dt.date(2024, 4, 1))
    fire(rt, artefact_id, "send_for_opinions", school["deputy"], dt.date(2024, 4, 1), request_date="01.04.2024")
    for body, day in (("student_council", dt.date(2024, 5, 16)), ("parents_council", dt.date(2024, 5, 17))):
        fire(rt, artefact_id, "record_opinion", school["secretary"], day, opinion_body=body,
             opinion_date=day.isoformat(), opinion_protocol_number="5", opinion_result="positive")
    fire(rt, artefact_id, "send_to_council", school["deputy"], dt.date(2024, 5, 17))
    return artefact_id


def test_council_cannot_adopt_before_the_councils_opinions(rt, school):
    artefact_id = _opinions_given_in_may_2024(rt, school)
    error = refused(rt, artefact_id, "adopt", school["secretary"], dt.date(2024, 5, 20),
                    **{**votes(30, 25), "protocol_date": "10.04.2024"})
    assert error.message == SEVERAL_RULES
    assert error.details["rules"] == [
        "Мнение Совета обучающихся получено 16.05.2024 — позже заседания педагогического совета (10.04.2024): "
        "акт нельзя принимать до учёта мнения",
        "Мнение Совета родителей получено 17.05.2024 — позже заседания педагогического совета (10.04.2024): "
        "акт нельзя принимать до учёта мнения",
    ]


def test_approval_of_12_april_cannot_precede_opinions_of_16_and_17_may(rt, school):
    artefact_id = _opinions_given_in_may_2024(rt, school)
    fire(rt, artefact_id, "adopt", school["secretary"], dt.date(2024, 5, 20),
         **{**votes(30, 25), "protocol_date": "20.05.2024"})
    error = refused(rt, artefact_id, "approve", school["director"], dt.date(2024, 5, 21),
                    order_date="12.04.2024", responsible="deputy")
    assert error.details["rules"] == [
        "Дата приказа (12.04.2024) раньше даты протокола педагогического совета (20.05.2024): "
        "директор утверждает только принятый советом акт",
        "Дата приказа (12.04.2024) раньше даты мнения Совета обучающихся (16.05.2024)",
        "Дата приказа (12.04.2024) раньше даты мнения Совета родителей (17.05.2024)",
    ]


def test_same_day_opinion_protocol_and_order_are_in_legal_order(rt, school):
    artefact_id = new_draft(rt, school)
    fire(rt, artefact_id, "send_for_opinions", school["deputy"], REQUEST_DAY, request_date=REQUEST_DAY.isoformat())
    for body in ("student_council", "parents_council"):
        fire(rt, artefact_id, "record_opinion", school["secretary"], PARENTS_DAY, opinion_body=body,
             opinion_date=PARENTS_DAY.isoformat(), opinion_protocol_number="4", opinion_result="positive")
    fire(rt, artefact_id, "send_to_council", school["deputy"], PARENTS_DAY)
    fire(rt, artefact_id, "adopt", school["secretary"], PARENTS_DAY,
         **{**votes(42, 40), "protocol_date": PARENTS_DAY.isoformat()})
    result = approve(rt, school, artefact_id, day=PARENTS_DAY)
    assert result.to_state == "in_force"


# --------------------------------------------------------------------------- council_vote

@pytest.mark.parametrize(("present", "votes_for", "against", "abstained", "message"), [
    (10, 8, 2, 1, "Проголосовало 11, а присутствовало 10: голосов не может быть больше, чем присутствовавших"),
    (10, 4, 6, 0, "Решение не принято: «за» 4 из 10 присутствовавших, нужно больше половины"),
    (10, 5, 5, 0, "Решение не принято: «за» 5 из 10 присутствовавших, нужно больше половины"),
    (11, 5, 0, 6, "Решение не принято: «за» 5 из 11 присутствовавших, нужно больше половины"),
], ids=["votes_exceed_present", "no_majority", "exactly_half_is_not_a_majority", "abstentions_count_as_present"])
def test_council_decision_needs_a_majority_of_those_present(rt, school, present, votes_for, against, abstained,
                                                            message):
    artefact_id = in_council_review(rt, school)
    error = refused(rt, artefact_id, "adopt", school["secretary"], COUNCIL_DAY,
                    **votes(present, votes_for, against, abstained))
    assert error.message == message
    assert error.details["rules"] == [message]


@pytest.mark.parametrize(("present", "votes_for", "against"), [(10, 6, 4), (11, 6, 0), (1, 1, 0)])
def test_more_than_half_of_those_present_adopts_the_act(rt, school, present, votes_for, against):
    artefact_id = in_council_review(rt, school)
    result = fire(rt, artefact_id, "adopt", school["secretary"], COUNCIL_DAY, **votes(present, votes_for, against))
    assert result.to_state == "adopted"
    with rt.sessions() as session:
        fields = session.get(Artefact, artefact_id).fields
    assert (fields["present"], fields["votes_for"], fields["protocol_number"]) == (present, votes_for, "1")


def test_meeting_with_nobody_present_is_refused_by_the_field(rt, school):
    artefact_id = in_council_review(rt, school)
    error = refused(rt, artefact_id, "adopt", school["secretary"], COUNCIL_DAY, **votes(0, 0))
    assert error.message == CHECK_FIELDS
    assert error.details == {"fields": {"present": "«Присутствовали»: число не может быть меньше 1"}}


def test_vote_field_messages_do_not_double_the_quotes(rt, school):
    """The labels of the vote fields are «За», «Против», «Воздержались»: a message must not print ««За»»."""
    artefact_id = in_council_review(rt, school)
    error = refused(rt, artefact_id, "adopt", school["secretary"], COUNCIL_DAY,
                    protocol_date=COUNCIL_DAY.isoformat(), present=10, votes_against=-1, votes_abstained=0)
    messages = error.details["fields"]
    assert set(messages) == {"votes_for", "votes_against"}
    assert not any("««" in text or "»»" in text for text in messages.values()), messages


# --------------------------------------------------------------------------- single_edition_in_force

def test_second_act_with_the_same_title_cannot_come_into_force_beside_the_first(rt, school):
    first_id = adopted(rt, school)
    approve(rt, school, first_id)
    second_id = adopted(rt, school, title="  ПОЛОЖЕНИЕ о внутренней   системе оценки качества образования ")
    error = refused(rt, second_id, "approve", school["director"], ORDER_DAY,
                    order_date=ORDER_DAY.isoformat(), responsible="deputy")
    assert error.message == (f"Уже действует «{TITLE}» (№ {first_id}) — акт того же вида; новая редакция должна "
                             "заменять действующую: создайте проект как новую редакцию действующего акта "
                             "(«Создать новую редакцию» на его странице)")
    assert state_of(rt, first_id) == "in_force"


def test_new_edition_comes_into_force_and_the_old_one_lapses(rt, school):
    first_id = adopted(rt, school)
    approve(rt, school, first_id)
    second_id = adopted(rt, school, supersedes=first_id)
    assert approve(rt, school, second_id).to_state == "in_force"
    assert state_of(rt, first_id) == "superseded"


# --------------------------------------------------------------------------- fields

def test_missing_required_field_is_named(rt, school):
    artefact_id = in_council_review(rt, school)
    fields = votes(42, 40)
    del fields["present"]
    error = refused(rt, artefact_id, "adopt", school["secretary"], COUNCIL_DAY, **fields)
    assert error.status == 422
    assert error.message == CHECK_FIELDS
    assert error.details == {"fields": {"present": "Заполните поле «Присутствовали»"}}


def test_thirty_first_of_february_is_not_a_date(rt, school):
    artefact_id = new_draft(rt, school)
    error = refused(rt, artefact_id, "send_for_opinions", school["deputy"], REQUEST_DAY, request_date="31.02.2025")
    assert error.details["fields"] == {
        "request_date": "«Дата направления проекта»: ожидается дата в виде ДД.ММ.ГГГГ, например 03.04.2025"}


def test_words_in_a_number_field_are_refused(rt, school):
    artefact_id = in_council_review(rt, school)
    error = refused(rt, artefact_id, "adopt", school["secretary"], COUNCIL_DAY,
                    **{**votes(42, 40), "present": "сорок два"})
    assert error.details["fields"] == {"present": "«Присутствовали»: ожидается целое число"}


def test_unknown_field_cannot_smuggle_a_state(rt, school):
    artefact_id = new_draft(rt, school)
    error = refused(rt, artefact_id, "send_to_council", school["deputy"], COUNCIL_DAY, state="in_force")
    assert error.details["fields"] == {"state": "это поле не предусмотрено для этого действия"}


def test_every_field_error_is_reported_at_once(rt, school):
    artefact_id = in_council_review(rt, school)
    error = refused(rt, artefact_id, "adopt", school["secretary"], COUNCIL_DAY,
                    protocol_date="32.03.2025", present="много", votes_for=40, votes_against=0, votes_abstained=2,
                    order_number="99")
    assert error.details["fields"] == {
        "protocol_date": "«Дата заседания (протокола)»: ожидается дата в виде ДД.ММ.ГГГГ, например 03.04.2025",
        "present": "«Присутствовали»: ожидается целое число",
        "order_number": "это поле не предусмотрено для этого действия",
    }


@pytest.mark.parametrize("comment", ["", "   \n "])
def test_return_to_draft_needs_a_comment(rt, school, comment):
    artefact_id = in_council_review(rt, school)
    error = refused(rt, artefact_id, "return_to_draft", school["secretary"], COUNCIL_DAY, comment=comment)
    assert error.details["fields"] == {"comment": "Укажите комментарий: для этого действия он обязателен"}


def test_return_to_draft_with_a_comment_keeps_it_in_history(rt, school):
    artefact_id = in_council_review(rt, school)
    result = fire_transition(rt, artefact_id, "return_to_draft", school["secretary"],
                             comment="  Уточнить раздел 4  ", today=COUNCIL_DAY)
    assert result.to_state == "draft"
    with rt.sessions() as session:
        last = session.scalars(select(HistoryEntry).where(HistoryEntry.artefact_id == artefact_id)
                               .order_by(HistoryEntry.sequence.desc())).first()
    assert (last.trigger, last.comment) == ("return_to_draft", "Уточнить раздел 4")


# --------------------------------------------------------------------------- who, when, which

def test_teacher_cannot_approve_by_order(rt, school):
    artefact_id = adopted(rt, school)
    error = refused(rt, artefact_id, "approve", school["teacher"], ORDER_DAY, error=Forbidden,
                    order_date=ORDER_DAY.isoformat(), responsible="deputy")
    assert error.status == 403
    assert error.message == "У вас нет права выполнять действие «Утвердить приказом директора» в этой организации"


def test_deputy_cannot_record_the_council_decision(rt, school):
    artefact_id = in_council_review(rt, school)
    error = refused(rt, artefact_id, "adopt", school["deputy"], COUNCIL_DAY, error=Forbidden, **votes(42, 40))
    assert error.message == ("У вас нет права выполнять действие «Записать решение педагогического совета "
                             "о принятии» в этой организации")


def test_stale_version_is_a_conflict(rt, school):
    artefact_id = new_draft(rt, school)
    fire(rt, artefact_id, "send_for_opinions", school["deputy"], REQUEST_DAY, request_date=REQUEST_DAY.isoformat())
    fire(rt, artefact_id, "record_opinion", school["secretary"], STUDENTS_DAY, opinion_body="student_council",
         opinion_date=STUDENTS_DAY.isoformat(), opinion_protocol_number="3", opinion_result="positive")
    seen = version_of(rt, artefact_id)
    fire(rt, artefact_id, "record_opinion", school["secretary"], PARENTS_DAY, opinion_body="parents_council",
         opinion_date=PARENTS_DAY.isoformat(), opinion_protocol_number="4", opinion_result="positive")
    error = refused(rt, artefact_id, "send_to_council", school["deputy"], COUNCIL_DAY, error=Conflict, version=seen)
    assert error.status == 409
    assert error.message == (f"Документ уже изменён (версия {seen + 1}, у вас {seen}): "
                             "обновите страницу и повторите действие")
    result = fire_transition(rt, artefact_id, "send_to_council", school["deputy"], version=seen + 1, today=COUNCIL_DAY)
    assert result.version == seen + 2


def test_approval_is_not_available_for_a_draft(rt, school):
    artefact_id = new_draft(rt, school)
    error = refused(rt, artefact_id, "approve", school["director"], ORDER_DAY, error=Conflict,
                    order_date=ORDER_DAY.isoformat(), responsible="deputy")
    assert error.status == 409
    assert error.message == "Действие «Утвердить приказом директора» недоступно: документ в состоянии «Проект»"


@pytest.mark.parametrize("trigger", ["supersede", "to_in_force", "delete"])
def test_system_and_unknown_triggers_cannot_be_fired(rt, school, trigger):
    artefact_id = new_draft(rt, school)
    error = refused(rt, artefact_id, trigger, school["director"], ORDER_DAY, error=Conflict)
    assert error.message == (f"Действие «{trigger}» не предусмотрено для документа вида "
                             "«Положение (локальный нормативный акт)»")


def test_withdrawn_act_cannot_be_sent_to_council(rt, school):
    artefact_id = new_draft(rt, school)
    fire_transition(rt, artefact_id, "withdraw", school["deputy"], comment="Заменён другим проектом", today=REQUEST_DAY)
    error = refused(rt, artefact_id, "send_to_council", school["deputy"], COUNCIL_DAY, error=Conflict)
    assert error.message == "Действие «Внести на педагогический совет» недоступно: документ в состоянии «Отозвано»"


def test_another_schools_director_cannot_see_or_fire_the_act(rt, school):
    artefact_id = new_draft(rt, school)
    with transaction(rt.sessions) as session:
        gymnasium = create_organisation(session, "school", "Муниципальное бюджетное общеобразовательное учреждение "
                                        "«Гимназия № 1»", "МБОУ Гимназия № 1", city="г. Сургут")
        stranger = create_user(session, "gym_director", "Белова", "Ольга", "Ивановна", "f")
        add_membership(session, stranger, gymnasium, ["director", "deputy", "secretary"], "Директор")
        stranger_id = stranger.id
    error = refused(rt, artefact_id, "send_for_opinions", stranger_id, REQUEST_DAY, error=NotFound,
                    request_date=REQUEST_DAY.isoformat())
    assert error.status == 404
    assert error.message == f"Документ № {artefact_id} не найден"
    missing = refused(rt, artefact_id + 1000, "send_for_opinions", stranger_id, REQUEST_DAY, error=NotFound)
    assert missing.message == f"Документ № {artefact_id + 1000} не найден"  # no difference: no existence leak


@pytest.mark.parametrize("login", ["nobody", "methodologist"], ids=["no_such_user", "member_of_the_district"])
def test_responsible_for_acquaintance_must_work_at_the_school(rt, school, login):
    """A required person who is not on the school's staff would silently drop the order's items."""
    artefact_id = adopted(rt, school)
    error = refused(rt, artefact_id, "approve", school["director"], ORDER_DAY,
                    order_date=ORDER_DAY.isoformat(), responsible=login)
    assert set(error.details["fields"]) == {"responsible"}
