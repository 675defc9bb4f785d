"""Adoption of a document by the pedagogical council and its approval by the director's order:
the vote, the protocol number, the legal order of dates, and the extract from the protocol.
Acts and plans are adopted the same way (their `adopt` and `approve` transitions).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from ..documents.russian import Case, date_digits, lower_first, person_in_case
from ..engine import journals
from ..engine.context import TransitionContext
from ..engine.history import append_entry
from ..engine.registry import ActionError, action, document_context, rule
from ..models import Artefact, Journal
from .children import add_child
from .meetings import question_numbers
from .acts import opinion_dates
from .common import AGREEMENT, author, digits, person, required_date, signer, title_forms


def _d(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


@rule("dates_in_legal_order", "Дата приказа ≥ дата протокола совета ≥ даты мнений советов")
def dates_in_legal_order(ctx: TransitionContext) -> list[str]:
    messages = []
    protocol, order = ctx.date_value("protocol_date"), ctx.date_value("order_date")
    if protocol:
        for body, day in opinion_dates(ctx):
            if day > protocol:
                messages.append(
                    f"Мнение {body} получено {_d(day)} — позже заседания педагогического совета "
                    f"({_d(protocol)}): акт нельзя принимать до учёта мнения")
    if order and protocol and order < protocol:
        messages.append(
            f"Дата приказа ({_d(order)}) раньше даты протокола педагогического совета ({_d(protocol)}): "
            "директор утверждает только принятый советом акт")
    if order:
        for body, day in opinion_dates(ctx):
            if day > order:
                messages.append(f"Дата приказа ({_d(order)}) раньше даты мнения {body} ({_d(day)})")
    return messages


@rule("council_vote", "Голоса: за + против + воздержались ≤ присутствовали; «за» больше половины присутствовавших")
def council_vote(ctx: TransitionContext) -> list[str]:
    present = ctx.value("present") or 0
    votes = {key: ctx.value(key) or 0 for key in ("votes_for", "votes_against", "votes_abstained")}
    if present <= 0:
        return ["Укажите число присутствовавших на заседании"]
    total = sum(votes.values())
    if total > present:
        return [f"Проголосовало {total}, а присутствовало {present}: голосов не может быть больше, "
                "чем присутствовавших"]
    if votes["votes_for"] * 2 <= present:
        return [f"Решение не принято: «за» {votes['votes_for']} из {present} присутствовавших, "
                "нужно больше половины"]
    return []


@action("register_protocol", "Номер протокола заседания: тот же для всех вопросов одного заседания, иначе следующий",
        required=("journal", "number_field", "date_field"))
def register_protocol(ctx: TransitionContext, journal: str, number_field: str, date_field: str) -> None:
    found = journals.find_journal(ctx.session, ctx.artefact.organisation_id, journal)
    day = required_date(ctx, date_field)
    # One meeting, one protocol: the adoption is a question of the council's meeting of that day.
    # Adoptions of one council take turns (its journal row locked), so two of one day share one meeting.
    ctx.session.get(Journal, found.id, with_for_update=True, populate_existing=True)
    meeting = _meeting_of(ctx, journal, day)
    ctx.set_field("agenda_number", _question_number(ctx, meeting))
    ctx.set_field("meeting_id", meeting.id)
    ctx.set_field(number_field, ctx.numbers.reserve(found, day, ctx.artefact.id, "Заседание педагогического совета",
                                                    one_per_day=True,
                                                    typed=str(ctx.submitted.get("protocol_number_typed") or "")))
    adoptions = [a for a in meeting.fields.get("adoptions") or [] if a.get("artefact_id") != ctx.artefact.id]
    adoption = {"artefact_id": ctx.artefact.id, "kind": ctx.artefact.kind, "title": ctx.artefact.title,
                "number": ctx.value("agenda_number"), **adoption_words(ctx),
                **{key: ctx.value(key) or 0 for key in ("present", "votes_for", "votes_against", "votes_abstained")}}
    meeting.fields = {**meeting.fields, "adoptions": [*adoptions, adoption]}
    ctx.when_numbered(lambda: append_entry(
        ctx.session, meeting, ctx.actor, "add_adoption", meeting.state,
        comment=f"Вопрос {adoption['number']}: о принятии «{ctx.artefact.title}» (№ {ctx.artefact.id})",
        fields={**adoption, "protocol_number": ctx.value(number_field)}))


MEETING_KIND = "meeting"


def _meeting_of(ctx: TransitionContext, body: str, day: dt.date) -> Artefact:
    """The council's meeting of that day (the first recorded, not withdrawn), or a new one being prepared."""
    candidates = ctx.session.scalars(
        select(Artefact).where(Artefact.organisation_id == ctx.artefact.organisation_id,
                               Artefact.kind == MEETING_KIND, Artefact.state != "withdrawn",
                               Artefact.fields["body"].as_string() == body)
        .order_by(Artefact.id).with_for_update()).all()
    for meeting in candidates:
        if str(meeting.fields.get("meeting_date") or "")[:10] == day.isoformat():
            if meeting.state != ctx.definitions[MEETING_KIND].initial:
                raise ActionError(
                    f"Протокол заседания педагогического совета от {_d(day)} № {meeting.fields.get('protocol_number')} "
                    "уже оформлен, и в нём нет этого вопроса: один протокол на заседание не дополняется задним "
                    "числом. Проверьте дату заседания (или внесите вопрос на следующее заседание)")
            return meeting
    definition = ctx.definitions[MEETING_KIND]
    return add_child(ctx.session, definition, organisation_id=ctx.artefact.organisation_id, actor=ctx.actor,
                     title=f"Заседание педагогического совета {_d(day)}", school_year=ctx.artefact.school_year,
                     fields={"body": body, "meeting_date": day.isoformat()})


def _question_number(ctx: TransitionContext, meeting: Artefact) -> int:
    """The typed question number if it is free at this meeting, else the next one after every question
    the meeting already has (its own agenda and the acts adopted at it)."""
    taken = {str(n) for n in question_numbers(ctx.session, meeting, without=ctx.artefact.id)}
    typed = ctx.submitted.get("agenda_number")
    if typed:
        if str(typed) in taken:
            raise ActionError(f"Вопрос {typed} повестки заседания педагогического совета от "
                              f"{_d(dt.date.fromisoformat(meeting.fields['meeting_date']))} уже занят: укажите другой "
                              "номер вопроса или оставьте поле пустым — номер будет следующим")
        return int(typed)
    number = 1
    while str(number) in taken:
        number += 1
    return number


def adoption_words(ctx: TransitionContext) -> dict[str, str]:
    """The question, СЛУШАЛИ and РЕШИЛИ of an adoption — the same in the act's extract and in the protocol
    of the meeting it was adopted at."""
    titles = title_forms(ctx)
    _, _, pronoun = AGREEMENT[ctx.definition.grammatical_gender]
    author_member = author(ctx)
    author_names = person(author_member)
    heard = f"о проекте {titles['gent']}."
    if author_names["surname_initials"]:
        user = author_member.user
        heard = (f"{person_in_case(user.last_name, user.first_name, user.middle_name, user.gender, Case.ACCUSATIVE)}, "
                 f"{lower_first(author_names['position_accs'])}, {heard}")
    return {"agenda_item": f"О принятии {titles['gent']}.", "heard": heard,
            "decision": f"Принять {titles['nomn']} и рекомендовать директору утвердить {pronoun}."}


@document_context("protocol_extract", "Выписка из протокола заседания педагогического совета")
def protocol_extract(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    chair = ctx.member(ctx.value("chair")) or ctx.member_with_role("director")
    secretary = person(ctx.membership)
    certifier_position = ("Секретарь педагогического совета" if "secretary" in (ctx.membership.roles or [])
                          else secretary["position"])
    words = adoption_words(ctx)
    return [{
        **base,
        "body_genitive": "педагогического совета",
        "protocol_heading": "заседания педагогического совета",
        "protocol_date": digits(ctx.value("protocol_date")),
        "protocol_number": ctx.value("protocol_number"),
        "chair": person(chair)["initials_surname"],
        "secretary": secretary["initials_surname"],
        "present": ctx.value("present"),
        "agenda_number": ctx.value("agenda_number") or 1,
        "question_label": str(ctx.value("agenda_number") or 1),
        **words,
        "votes_for": ctx.value("votes_for"),
        "votes_against": ctx.value("votes_against") or 0,
        "votes_abstained": ctx.value("votes_abstained") or 0,
        "certifier": {"position": certifier_position, "initials_surname": secretary["initials_surname"]},
        "certified_date": date_digits(ctx.today),
        # The extract is certified («Верно») and signed by the secretary, not the director.
        "signer": signer(ctx.membership),
    }]
