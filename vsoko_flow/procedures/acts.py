"""Local normative acts (Положение о ВСОКО and its editions): the councils' opinions they need,
one edition in force, and their documents — the request for an opinion, the act with its
grifs, the approval order and the acquaintance sheet (workflows/polozhenie.yaml).
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select

from ..db import lowered
from ..documents.russian import lower_first
from ..engine.context import TransitionContext
from ..engine.history import append_entry
from ..engine.registry import ActionError, action, document_context, rule
from ..models import Artefact, Membership
from ..deadlines.workdays import add_working_days
from .common import AGREEMENT, LAW_273, digits, person, required_date, title_forms, words

# Which councils' opinion an act needs, by what it touches (273-ФЗ ст. 30 ч. 3–4).
OPINION_BODIES: dict[str, dict[str, str]] = {
    "student_council": {"nomn": "Совет обучающихся", "gent": "Совета обучающихся", "datv": "Совету обучающихся"},
    "parents_council": {"nomn": "Совет родителей", "gent": "Совета родителей", "datv": "Совету родителей"},
    "trade_union": {
        "nomn": "Первичная профсоюзная организация",
        "gent": "первичной профсоюзной организации",
        "datv": "Первичной профсоюзной организации",
    },
}


def required_opinion_bodies(ctx: TransitionContext) -> list[str]:
    bodies = []
    if ctx.value("affects_students"):
        bodies += ["student_council", "parents_council"]
    if ctx.value("affects_staff"):
        bodies.append("trade_union")
    return bodies


def recorded_opinions(ctx: TransitionContext) -> dict[str, dict[str, Any]]:
    return dict(ctx.value("opinions") or {})


def opinion_dates(ctx: TransitionContext) -> list[tuple[str, dt.date]]:
    """(council in the genitive, date of its opinion) of every required opinion recorded."""
    recorded = recorded_opinions(ctx)
    return [
        (OPINION_BODIES[body]["gent"], dt.date.fromisoformat(recorded[body]["date"]))
        for body in required_opinion_bodies(ctx) if body in recorded
    ]


def _d(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


# --------------------------------------------------------------------------- rules


@rule("has_sections", "В тексте акта есть хотя бы один раздел")
def has_sections(ctx: TransitionContext) -> list[str]:
    if ctx.artefact.sections:
        return []
    return ["В тексте документа нет ни одного раздела: добавьте текст (разделы 1., 1.1., …) перед отправкой"]


@rule("opinions_needed", "Акт затрагивает права, требующие учёта мнения советов")
def opinions_needed(ctx: TransitionContext) -> list[str]:
    if required_opinion_bodies(ctx):
        return []
    return ["Этот акт не затрагивает права обучающихся или работников: учёт мнения советов не требуется, "
            "направьте его сразу на педагогический совет"]


@rule("opinions_recorded", "Мнения всех обязательных советов записаны (273-ФЗ ст. 30)")
def opinions_recorded(ctx: TransitionContext) -> list[str]:
    recorded = recorded_opinions(ctx)
    return [
        f"Не учтено мнение: {OPINION_BODIES[body]['gent']} — акт затрагивает их права "
        "(ч. 3 ст. 30 273-ФЗ); запишите мнение до принятия"
        for body in required_opinion_bodies(ctx) if body not in recorded
    ]


@rule("opinion_after_request", "Мнение совета дано не раньше направления проекта")
def opinion_after_request(ctx: TransitionContext) -> list[str]:
    requested, given = ctx.date_value("request_date"), ctx.date_value("opinion_date")
    if requested and given and given < requested:
        return [f"Дата мнения ({_d(given)}) раньше даты направления проекта ({_d(requested)})"]
    return []


def _title_key(title: str) -> str:
    return re.sub(r"\s+", " ", title).strip().lower()


@rule("single_edition_in_force", "Одновременно действует только одна редакция акта")
def single_edition_in_force(ctx: TransitionContext) -> list[str]:
    artefact = ctx.artefact
    # Titles are compared in SQL (case-insensitively, also for Russian on SQLite): a school may
    # have hundreds of acts in force, and only those with this title matter.
    clashing = ctx.session.scalars(
        select(Artefact).where(
            Artefact.organisation_id == artefact.organisation_id, Artefact.kind == artefact.kind,
            Artefact.state == "in_force", Artefact.id != artefact.id,
            lowered(ctx.session, Artefact.title) == _title_key(artefact.title))
    ).all()
    return [
        f"Уже действует «{other.title}» (№ {other.id}); новая редакция должна заменять её — "
        "создайте проект как новую редакцию действующего акта"
        for other in clashing if other.id != artefact.supersedes_id
    ]


# --------------------------------------------------------------------------- actions


@action("supersede_previous", "Признать утратившей силу редакцию, которую заменяет новая")
def supersede_previous(ctx: TransitionContext) -> None:
    if ctx.artefact.supersedes_id is None:
        return
    previous = ctx.session.get(Artefact, ctx.artefact.supersedes_id, with_for_update=True, populate_existing=True)
    if previous is None or previous.organisation_id != ctx.artefact.organisation_id:
        raise ActionError("Заменяемая редакция не найдена в этой организации")
    if previous.state != "in_force":
        raise ActionError(f"Заменяемая редакция «{previous.title}» уже не действует")
    ctx.notes["superseded"] = {
        "title": previous.title,
        "order_date": previous.fields.get("order_date"),
        "order_number": previous.fields.get("order_number"),
    }
    from_state = previous.state
    previous.state = ctx.definition.transitions["supersede"].dest
    # Its history names the new order's number, which is issued at the end of the transition.
    ctx.when_numbered(lambda: append_entry(
        ctx.session, previous, ctx.actor, "supersede", from_state, comment=f"Заменено новой редакцией № {ctx.artefact.id}",
        fields={"superseded_by": ctx.artefact.id, "order_date": ctx.value("order_date"),
                "order_number": ctx.value("order_number")}))


@action("set_deadlines", "Сроки ознакомления и размещения на сайте в рабочих днях",
        required=("from",), optional=("acquaintance_working_days", "publication_working_days"))
def set_deadlines(ctx: TransitionContext, acquaintance_working_days: int = 5,
                  publication_working_days: int = 10, **params) -> None:
    start = required_date(ctx, params["from"])
    ctx.set_field("acquaintance_deadline", add_working_days(start, acquaintance_working_days).isoformat())
    ctx.set_field("publication_deadline", add_working_days(start, publication_working_days).isoformat())


@action("record_opinion", "Записать мнение совета в карточку акта")
def record_opinion(ctx: TransitionContext) -> None:
    body = ctx.submitted["opinion_body"]
    if body not in required_opinion_bodies(ctx):
        raise ActionError("Мнение этого органа для данного акта не требуется")
    opinions = recorded_opinions(ctx)
    opinions[body] = {
        "date": ctx.submitted["opinion_date"],
        "protocol_number": ctx.submitted.get("opinion_protocol_number", ""),
        "result": ctx.submitted.get("opinion_result", "positive"),
        "remarks": ctx.submitted.get("opinion_remarks", ""),
    }
    ctx.set_field("opinions", opinions)


# --------------------------------------------------------------------------- documents


def opinion_lines(ctx: TransitionContext) -> list[dict[str, str]]:
    recorded = recorded_opinions(ctx)
    return [
        {"body_genitive": OPINION_BODIES[body]["gent"], "protocol_date": digits(recorded[body]["date"]),
         "protocol_number": recorded[body].get("protocol_number", "")}
        for body in required_opinion_bodies(ctx) if body in recorded
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
            "protocol_date": digits(ctx.value("protocol_date")),
            "protocol_number": protocol_number,
        } if protocol_number else None,
        "approval_grif": {
            "word": ctx.definition.approval_grif_word,
            "order_date": digits(ctx.value("order_date")),
            "order_number": ctx.value("order_number"),
        } if approved else None,
        "opinions": opinion_lines(ctx),
        "sections": [{"number": s.number, "text": s.text, "level": s.level} for s in ctx.artefact.sections],
    }
    return [context]


def _order_items(ctx: TransitionContext, titles: dict[str, str], responsible: dict[str, str]) -> list[str]:
    approved_word, lapsed_word, _ = AGREEMENT[ctx.definition.grammatical_gender]
    effective = ctx.value("effective_date") or ctx.value("order_date")
    items = [
        f"Утвердить {titles['nomn']} (приложение).",
        f"Ввести в действие {titles['nomn']} с {words(effective)}",
    ]
    superseded = ctx.notes.get("superseded")
    if superseded:
        items.append(
            f"Признать {lapsed_word} силу {superseded['title']}, {approved_word} приказом "
            f"от {digits(superseded['order_date'])} № {superseded['order_number']}.")
    if responsible["datv"]:
        items.append(
            f"{responsible['datv']} ознакомить работников с {titles['ablt']} под подпись "
            f"в срок до {digits(ctx.value('acquaintance_deadline'))}.")
        items.append(
            f"Назначить ответственным за размещение {titles['gent']} на официальном сайте "
            f"{ctx.artefact.organisation.short_name} {responsible['accs']} "
            f"в срок до {digits(ctx.value('publication_deadline'))}.")
    items.append("Контроль за исполнением приказа оставляю за собой.")
    return items


def _preamble(ctx: TransitionContext) -> str:
    parts = [f"В соответствии с частью 1 статьи 30 {LAW_273}"]
    if ctx.value("protocol_number"):
        parts.append(f"на основании решения педагогического совета (протокол от "
                     f"{digits(ctx.value('protocol_date'))} № {ctx.value('protocol_number')})")
    opinions = opinion_lines(ctx)
    if opinions:
        parts.append("с учётом мнения " + ", ".join(
            f"{o['body_genitive']} (протокол от {o['protocol_date']} № {o['protocol_number']})" for o in opinions))
    return ", ".join(parts) + ","


@document_context("approval_order", "Приказ об утверждении акта")
def approval_order(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    titles = title_forms(ctx)
    responsible = person(ctx.member(ctx.value("responsible")))
    return [{
        **base,
        "order_date": digits(ctx.value("order_date")),
        "order_date_words": words(ctx.value("order_date")),
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
    subject = (f"с {title_forms(ctx)['ablt']}, {approved_word} приказом от "
               f"{digits(ctx.value('order_date'))} № {ctx.value('order_number')}")
    people = [
        {"n": index, "name": person(m)["surname_initials"], "position": m.position}
        for index, m in enumerate(_staff(ctx), start=1)
    ]
    return [{**base, "subject": subject, "people": people}]


@document_context("opinion_requests", "Запросы мотивированного мнения советов — по одному на каждый совет")
def opinion_requests(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    titles = title_forms(ctx)
    contexts = []
    for body in required_opinion_bodies(ctx):
        names = OPINION_BODIES[body]
        basis = ("статьёй 372 Трудового кодекса Российской Федерации" if body == "trade_union"
                 else f"частью 3 статьи 30 {LAW_273}")
        contexts.append({
            **base,
            "request_date": digits(ctx.value("request_date")),
            "addressee": f"Председателю {lower_first(names['gent']) if body == 'trade_union' else names['gent']}",
            "body_genitive": names["gent"],
            "act_title_genitive": titles["gent"],
            "response_deadline": digits(ctx.value("opinion_deadline")),
            "legal_basis": basis,
        })
    return contexts
