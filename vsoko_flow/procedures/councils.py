"""Adoption of a document by the pedagogical council and its approval by the director's order:
the vote, the protocol number, the legal order of dates, and the extract from the protocol.
Acts and plans are adopted the same way (their `adopt` and `approve` transitions).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from ..documents.russian import Case, date_digits, lower_first, person_in_case
from ..engine import journals
from ..engine.context import TransitionContext
from ..engine.registry import action, document_context, rule
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
    ctx.set_field(number_field, ctx.numbers.reserve(found, required_date(ctx, date_field), ctx.artefact.id,
                                                    "Заседание педагогического совета", one_per_day=True))


@document_context("protocol_extract", "Выписка из протокола заседания педагогического совета")
def protocol_extract(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    titles = title_forms(ctx)
    _, _, pronoun = AGREEMENT[ctx.definition.grammatical_gender]
    author_member = author(ctx)
    author_names = person(author_member)
    chair = ctx.member(ctx.value("chair")) or ctx.member_with_role("director")
    secretary = person(ctx.membership)
    certifier_position = ("Секретарь педагогического совета" if "secretary" in (ctx.membership.roles or [])
                          else secretary["position"])
    heard = f"о проекте {titles['gent']}."
    if author_names["surname_initials"]:
        user = author_member.user
        heard = (f"{person_in_case(user.last_name, user.first_name, user.middle_name, user.gender, Case.ACCUSATIVE)}, "
                 f"{lower_first(author_names['position_accs'])}, {heard}")
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
        "agenda_item": f"О принятии {titles['gent']}.",
        "heard": heard,
        "decision": f"Принять {titles['nomn']} и рекомендовать директору утвердить {pronoun}.",
        "votes_for": ctx.value("votes_for"),
        "votes_against": ctx.value("votes_against") or 0,
        "votes_abstained": ctx.value("votes_abstained") or 0,
        "certifier": {"position": certifier_position, "initials_surname": secretary["initials_surname"]},
        "certified_date": date_digits(ctx.today),
        # The extract is certified («Верно») and signed by the secretary, not the director.
        "signer": signer(ctx.membership),
    }]
