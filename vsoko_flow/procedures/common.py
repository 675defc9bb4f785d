"""What every kind of document uses: generic rules and actions, and the pieces of document data
(people, signers, dates, titles, text cells) that the sources of each domain build on.

Everything the document helpers return is a plain value (str/int/bool/list/dict): templates
never see ORM objects.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select

from ..deadlines.workdays import add_working_days
from ..documents.russian import (
    Case, date_digits, date_words, decline_phrase, initials_surname, lower_first, person_in_case, surname_initials,
)
from ..engine import journals
from ..engine.context import TransitionContext
from ..engine.fields import FieldError, parse_date, quoted
from ..engine.registry import ActionError, action, rule
from ..models import Membership
from .acting import director_signer

LAW_273 = "Федерального закона от 29.12.2012 № 273-ФЗ «Об образовании в Российской Федерации»"
EMPTY = "—"
# A few HTML leftovers of imported cells («<p>…</p>», «<br>») become line breaks.
_HTML_BREAK = re.compile(r"<\s*br\s*/?\s*>|<\s*/\s*(?:p|div)\s*>", re.IGNORECASE)
_HTML_TAG = re.compile(r"<\s*/?\s*(?:p|div|span|b|i|u|strong|em)(?:\s[^<>]*)?/?\s*>", re.IGNORECASE)


def _d(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


# --------------------------------------------------------------------------- rules


@rule("fields_present", "Указанные поля артефакта заполнены", required=("fields",))
def fields_present(ctx: TransitionContext, fields: list[str]) -> list[str]:
    return [f"Заполните поле {quoted(ctx.label_of(name))}" for name in fields if ctx.value(name) in (None, "", [])]


@rule("dates_not_in_future", "Даты не позже сегодняшнего дня", required=("fields",))
def dates_not_in_future(ctx: TransitionContext, fields: list[str]) -> list[str]:
    messages = []
    for name in fields:
        day = ctx.date_value(name)
        if day and day > ctx.today:
            messages.append(f"{quoted(ctx.label_of(name))} ({_d(day)}) не может быть позже сегодняшнего дня ({_d(ctx.today)})")
    return messages


# --------------------------------------------------------------------------- actions


def required_date(ctx: TransitionContext, name: str) -> dt.date:
    day = ctx.date_value(name)
    if day is None:
        raise ActionError(f"Не указана дата «{ctx.label_of(name)}»")
    return day


@action("assign_number", "Присвоить следующий номер журнала регистрации",
        required=("journal", "number_field", "date_field"))
def assign_number(ctx: TransitionContext, journal: str, number_field: str, date_field: str) -> None:
    found = journals.find_journal(ctx.session, ctx.artefact.organisation_id, journal)
    ctx.set_field(number_field, ctx.numbers.reserve(found, required_date(ctx, date_field), ctx.artefact.id,
                                                    ctx.artefact.title))


@action("set_response_deadline", "Срок ответа в рабочих днях (ст. 372 ТК РФ: 5 рабочих дней)",
        required=("from", "working_days", "field"))
def set_response_deadline(ctx: TransitionContext, working_days: int, field: str, **params) -> None:
    start = required_date(ctx, params["from"])
    ctx.set_field(field, add_working_days(start, working_days).isoformat())


# --------------------------------------------------------------------------- values in documents


def text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def lines(value: Any, empty: str = "") -> list[str]:
    """A cell's text as paragraphs: one per line, HTML leftovers removed; never an empty list."""
    if isinstance(value, (list, tuple)):
        raw = "\n".join(text(v) for v in value)
    else:
        raw = text(value)
    raw = _HTML_TAG.sub("", _HTML_BREAK.sub("\n", raw))
    found = [" ".join(line.split()) for line in raw.splitlines()]
    found = [line for line in found if line]
    return found or [empty]


def sentence(value: str) -> str:
    """End with one full stop: a name ending in initials («Иванову И.И.») already has it."""
    value = value.rstrip()
    return value if value.endswith(".") else value + "."


def as_date(value: Any) -> dt.date | None:
    if not value:
        return None
    try:
        return parse_date(value)
    except FieldError:
        return None


def date_text(value: Any) -> str:
    """«31.03.2025» for a date (ISO or written), else the value as it is."""
    day = as_date(value)
    return date_digits(day) if day else text(value)


def digits(iso: str | None) -> str:
    return date_digits(dt.date.fromisoformat(iso)) if iso else ""


def words(value: Any) -> str:
    day = as_date(value)
    return date_words(day) if day else ""


def plural(n: int, forms: tuple[str, str, str]) -> str:
    """«1 пункт», «2 пункта», «5 пунктов»."""
    if n % 10 == 1 and n % 100 != 11:
        return forms[0]
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return forms[1]
    return forms[2]


def of_items(n: int) -> str:
    """After «из»: «из 1 пункта», «из 21 пункта», «из 50 пунктов»."""
    return "пункта" if n % 10 == 1 and n % 100 != 11 else "пунктов"


def percent(part: int, whole: int) -> str:
    """«66,7 %»: one decimal, rounded half up, Russian decimal comma; «—» when there is no whole."""
    if not whole:
        return EMPTY
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{value} %".replace(".", ",")


# --------------------------------------------------------------------------- people


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


def signer(membership: Membership | None, signed_on: dt.date | None = None) -> dict[str, str]:
    """The signature block: position and «И.О. Фамилия». Never an e-signature mark: a document is
    stored unsigned, and the mark of a signature actually made goes on the copy shown and printed
    (services/signatures.py, documents/marks.py). `signed_on` is ignored: it is accepted only so
    that sources written before signatures existed keep working."""
    del signed_on
    data = person(membership)
    return {"position": data["position"], "initials_surname": data["initials_surname"]}


def author(ctx: TransitionContext) -> Membership | None:
    """The membership of the person who created the artefact, in its organisation."""
    if ctx.artefact.author_id is None:
        return None
    return ctx.session.scalars(select(Membership).where(
        Membership.organisation_id == ctx.artefact.organisation_id, Membership.user_id == ctx.artefact.author_id)
    ).first()


def member_or_text(ctx: TransitionContext, value: Any) -> tuple[Membership | None, str]:
    """A login of a member → that member and «И.О. Фамилия»; anything else is a name as written."""
    written = text(value).strip()
    if not written:
        return None, ""
    member = ctx.member(written) if re.fullmatch(r"[\w.@+-]{1,100}", written) else None
    if member is None:
        return None, written
    user = member.user
    return member, initials_surname(user.last_name, user.first_name, user.middle_name)


# --------------------------------------------------------------------------- the document's frame


def base_context(ctx: TransitionContext) -> dict[str, Any]:
    """What every document of a transition starts from: the organisation, the title, the director."""
    org = ctx.artefact.organisation
    return {
        "org_full_name": org.full_name,
        "org_short_name": org.short_name,
        "org_city": org.city,
        "org_address": org.address,
        "org_phone": org.phone,
        "org_email": org.email,
        "title": ctx.artefact.title,
        "school_year": ctx.artefact.school_year,
        "signer": director_block(ctx),
        # A draft is dated too: the day it was produced (printed under «ПРОЕКТ»).
        "draft_date": date_digits(ctx.today),
    }


def unsigned(context: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """A draft's context. Kept for sources written when a template printed the mark itself: no
    context carries a certificate any more, and a draft (``is_draft``) is never sent for signature."""
    del base
    return context


def director_block(ctx: TransitionContext) -> dict[str, str]:
    """The director's signature block — «И.о. директора» and the acting person's name while the
    director's duties are assigned to another (procedures/acting.py)."""
    found = director_signer(ctx)
    if found is None:
        return signer(None)
    return {"position": found.capacity, "initials_surname": found.initials_surname}


# Participles agreeing with the artefact's grammatical gender: (утверждённое, утратившим, его).
AGREEMENT = {
    "neuter": ("утверждённое", "утратившим", "его"),
    "masculine": ("утверждённый", "утратившим", "его"),
    "feminine": ("утверждённую", "утратившей", "её"),
}


def edition_note(ctx: TransitionContext) -> str:
    """«(в новой редакции)» only on an edition that supersedes another: a brand-new act has no old one."""
    return (ctx.value("edition_note") or "") if ctx.artefact.supersedes_id else ""


def title_forms(ctx: TransitionContext) -> dict[str, str]:
    """The artefact's title with its edition note in the nominative, genitive and instrumental."""
    title = ctx.artefact.title
    note = edition_note(ctx)
    suffix = f" {note}" if note else ""
    return {
        "nomn": title + suffix,
        "gent": decline_phrase(title, Case.GENITIVE, animate=False) + suffix,
        "ablt": decline_phrase(title, Case.INSTRUMENTAL, animate=False) + suffix,
    }
