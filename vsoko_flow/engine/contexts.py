"""Document data sources: plain-value contexts for templates, registered by name.

A workflow names a source next to each template (`context: approval_order`), so a new
artefact kind reuses these without Python. Everything here returns str/int/bool/list/dict.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from ..documents.russian import (
    Case, date_digits, date_words, decline_phrase, initials_surname, lower_first, person_in_case, surname_initials,
)
from ..models import Membership
from .context import OPINION_BODIES, TransitionContext
from .registry import document_context

LAW_273 = "Федерального закона от 29.12.2012 № 273-ФЗ «Об образовании в Российской Федерации»"
# Participles agreeing with the act's grammatical gender: (утверждённое, утратившим).
_AGREEMENT = {
    "neuter": ("утверждённое", "утратившим", "его"),
    "masculine": ("утверждённый", "утратившим", "его"),
    "feminine": ("утверждённую", "утратившей", "её"),
}


def _digits(iso: str | None) -> str:
    return date_digits(dt.date.fromisoformat(iso)) if iso else ""


def _words(iso: str | None) -> str:
    return date_words(dt.date.fromisoformat(iso)) if iso else ""


def person(membership: Membership | None) -> dict[str, str]:
    """Name and position of a member in the forms documents need."""
    if membership is None:
        return {"initials_surname": "", "surname_initials": "", "full_name": "", "position": "",
                "position_gent": "", "position_datv": "", "position_accs": "", "accs": "", "datv": ""}
    user = membership.user
    names = (user.last_name, user.first_name, user.middle_name)
    return {
        "initials_surname": initials_surname(*names),
        "surname_initials": surname_initials(*names),
        "full_name": user.full_name,
        "position": membership.position,
        "position_gent": membership.position_in("gent"),
        "position_datv": membership.position_in("datv"),
        "position_accs": membership.position_in("accs"),
        # «заместителя директора по УВР Иванову И.И.» — as an order names an executor.
        "accs": f"{lower_first(membership.position_in('accs'))} "
                f"{person_in_case(*names, user.gender, Case.ACCUSATIVE)}".strip(),
        "datv": f"{membership.position_in('datv')} {person_in_case(*names, user.gender, Case.DATIVE)}".strip(),
    }


def _certificate_valid(membership: Membership, on: dt.date) -> bool:
    starts, ends = membership.cert_valid_from, membership.cert_valid_to
    return bool(membership.cert_serial) and (starts is None or starts <= on) and (ends is None or on <= ends)


def signer(membership: Membership | None, signed_on: dt.date | None = None) -> dict[str, Any]:
    """Signer block; the e-signature mark only when a certificate valid on the signing date is on file."""
    data = person(membership)
    certificate = None
    if signed_on is not None and membership is not None and _certificate_valid(membership, signed_on):
        certificate = {
            "serial": membership.cert_serial,
            "owner": membership.cert_owner or membership.user.full_name,
            "valid_from": date_digits(membership.cert_valid_from) if membership.cert_valid_from else "",
            "valid_to": date_digits(membership.cert_valid_to) if membership.cert_valid_to else "",
        }
    return {"position": data["position"], "initials_surname": data["initials_surname"], "certificate": certificate}


def _author(ctx: TransitionContext) -> Membership | None:
    if ctx.artefact.author_id is None:
        return None
    return ctx.session.scalars(select(Membership).where(
        Membership.organisation_id == ctx.artefact.organisation_id, Membership.user_id == ctx.artefact.author_id)
    ).first()


def base_context(ctx: TransitionContext) -> dict[str, Any]:
    org = ctx.artefact.organisation
    return {
        "org_full_name": org.full_name,
        "org_short_name": org.short_name,
        "org_city": org.city,
        "org_address": org.address,
        "title": ctx.artefact.title,
        "school_year": ctx.artefact.school_year,
        "signer": signer(ctx.member_with_role("director"), signed_on=ctx.today),
    }


def _title_forms(ctx: TransitionContext) -> dict[str, str]:
    title = ctx.artefact.title
    note = ctx.value("edition_note") or ""
    suffix = f" {note}" if note else ""
    return {
        "nomn": title + suffix,
        "gent": decline_phrase(title, Case.GENITIVE, animate=False) + suffix,
        "ablt": decline_phrase(title, Case.INSTRUMENTAL, animate=False) + suffix,
    }


def _opinion_lines(ctx: TransitionContext) -> list[dict[str, str]]:
    recorded = ctx.recorded_opinions()
    return [
        {"body_genitive": OPINION_BODIES[body]["gent"], "protocol_date": _digits(recorded[body]["date"]),
         "protocol_number": recorded[body].get("protocol_number", "")}
        for body in ctx.required_opinion_bodies() if body in recorded
    ]


@document_context("act_text", "Текст акта с грифами согласования и утверждения")
def act_text(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    approved = bool(ctx.value("order_number"))
    protocol_number = ctx.value("protocol_number")
    context = {
        **base,
        "is_draft": not approved,
        "edition_note": ctx.value("edition_note") or "",
        "council_grif": {
            "body_instrumental": "Педагогическим советом",
            "protocol_date": _digits(ctx.value("protocol_date")),
            "protocol_number": protocol_number,
        } if protocol_number else None,
        "approval_grif": {
            "word": ctx.definition.approval_grif_word,
            "order_date": _digits(ctx.value("order_date")),
            "order_number": ctx.value("order_number"),
        } if approved else None,
        "opinions": _opinion_lines(ctx),
        "sections": [{"number": s.number, "text": s.text, "level": s.level} for s in ctx.artefact.sections],
    }
    if not approved:
        context["signer"] = {**base["signer"], "certificate": None}
    return [context]


def _order_items(ctx: TransitionContext, titles: dict[str, str], responsible: dict[str, str]) -> list[str]:
    approved_word, lapsed_word, _ = _AGREEMENT[ctx.definition.grammatical_gender]
    effective = ctx.value("effective_date") or ctx.value("order_date")
    items = [
        f"Утвердить {titles['nomn']} (приложение).",
        f"Ввести в действие {titles['nomn']} с {_words(effective)}",
    ]
    superseded = ctx.notes.get("superseded")
    if superseded:
        items.append(
            f"Признать {lapsed_word} силу {superseded['title']}, {approved_word} приказом "
            f"от {_digits(superseded['order_date'])} № {superseded['order_number']}.")
    if responsible["datv"]:
        items.append(
            f"{responsible['datv']} ознакомить работников с {titles['ablt']} под подпись "
            f"в срок до {_digits(ctx.value('acquaintance_deadline'))}.")
        items.append(
            f"Назначить ответственным за размещение {titles['gent']} на официальном сайте "
            f"{ctx.artefact.organisation.short_name} {responsible['accs']} "
            f"в срок до {_digits(ctx.value('publication_deadline'))}.")
    items.append("Контроль за исполнением приказа оставляю за собой.")
    return items


def _preamble(ctx: TransitionContext) -> str:
    parts = [f"В соответствии с частью 1 статьи 30 {LAW_273}"]
    if ctx.value("protocol_number"):
        parts.append(f"на основании решения педагогического совета (протокол от "
                     f"{_digits(ctx.value('protocol_date'))} № {ctx.value('protocol_number')})")
    opinions = _opinion_lines(ctx)
    if opinions:
        parts.append("с учётом мнения " + ", ".join(
            f"{o['body_genitive']} (протокол от {o['protocol_date']} № {o['protocol_number']})" for o in opinions))
    return ", ".join(parts) + ","


@document_context("approval_order", "Приказ об утверждении акта")
def approval_order(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    titles = _title_forms(ctx)
    responsible = person(ctx.member(ctx.value("responsible")))
    return [{
        **base,
        "order_date": _digits(ctx.value("order_date")),
        "order_date_words": _words(ctx.value("order_date")),
        "order_number": ctx.value("order_number"),
        "heading": f"Об утверждении {titles['gent']}",
        "preamble": _preamble(ctx),
        "items": _order_items(ctx, titles, responsible),
        "attachments": [f"{titles['nomn']}."],
    }]


def _staff(ctx: TransitionContext) -> list[Membership]:
    """Who signs the acquaintance sheet: the active workers (not observers or district staff)."""
    return [m for m in ctx.staff() if m.user.is_active and set(m.roles or []) - {"observer", "methodologist"}]


@document_context("acquaintance_sheet", "Лист ознакомления работников с актом")
def acquaintance_sheet(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    approved_word = {"neuter": "утверждённым", "masculine": "утверждённым", "feminine": "утверждённой"}[
        ctx.definition.grammatical_gender]
    subject = (f"с {_title_forms(ctx)['ablt']}, {approved_word} приказом от "
               f"{_digits(ctx.value('order_date'))} № {ctx.value('order_number')}")
    people = [
        {"n": index, "name": person(m)["surname_initials"], "position": m.position}
        for index, m in enumerate(_staff(ctx), start=1)
    ]
    return [{**base, "subject": subject, "people": people}]


@document_context("opinion_requests", "Запросы мотивированного мнения советов — по одному на каждый совет")
def opinion_requests(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    titles = _title_forms(ctx)
    contexts = []
    for body in ctx.required_opinion_bodies():
        names = OPINION_BODIES[body]
        basis = ("статьёй 372 Трудового кодекса Российской Федерации" if body == "trade_union"
                 else f"частью 3 статьи 30 {LAW_273}")
        contexts.append({
            **base,
            "request_date": _digits(ctx.value("request_date")),
            "addressee": f"Председателю {lower_first(names['gent']) if body == 'trade_union' else names['gent']}",
            "body_genitive": names["gent"],
            "act_title_genitive": titles["gent"],
            "response_deadline": _digits(ctx.value("opinion_deadline")),
            "legal_basis": basis,
        })
    return contexts


@document_context("protocol_extract", "Выписка из протокола заседания педагогического совета")
def protocol_extract(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    titles = _title_forms(ctx)
    _, _, pronoun = _AGREEMENT[ctx.definition.grammatical_gender]
    author = person(_author(ctx))
    chair = ctx.member(ctx.value("chair")) or ctx.member_with_role("director")
    secretary = person(ctx.membership)
    certifier_position = ("Секретарь педагогического совета" if "secretary" in (ctx.membership.roles or [])
                          else secretary["position"])
    heard = f"о проекте {titles['gent']}."
    if author["surname_initials"]:
        user = _author(ctx).user
        heard = (f"{person_in_case(user.last_name, user.first_name, user.middle_name, user.gender, Case.ACCUSATIVE)}, "
                 f"{lower_first(author['position_accs'])}, {heard}")
    return [{
        **base,
        "body_genitive": "педагогического совета",
        "protocol_heading": "заседания педагогического совета",
        "protocol_date": _digits(ctx.value("protocol_date")),
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
        "signer": signer(ctx.membership, signed_on=ctx.today),
    }]
