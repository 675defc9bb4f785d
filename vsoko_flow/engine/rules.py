"""Built-in rules (guards). Each returns Russian messages; an empty list means the rule holds."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from ..db import lowered
from ..models import Artefact, ArtefactAssignee
from .context import OPINION_BODIES, TransitionContext
from .fields import quoted
from .registry import rule


def _d(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


@rule("has_sections", "В тексте акта есть хотя бы один раздел")
def has_sections(ctx: TransitionContext) -> list[str]:
    if ctx.artefact.sections:
        return []
    return ["В тексте документа нет ни одного раздела: добавьте текст (разделы 1., 1.1., …) перед отправкой"]


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


@rule("opinions_needed", "Акт затрагивает права, требующие учёта мнения советов")
def opinions_needed(ctx: TransitionContext) -> list[str]:
    if ctx.required_opinion_bodies():
        return []
    return ["Этот акт не затрагивает права обучающихся или работников: учёт мнения советов не требуется, "
            "направьте его сразу на педагогический совет"]


@rule("opinions_recorded", "Мнения всех обязательных советов записаны (273-ФЗ ст. 30)")
def opinions_recorded(ctx: TransitionContext) -> list[str]:
    recorded = ctx.recorded_opinions()
    return [
        f"Не учтено мнение: {OPINION_BODIES[body]['gent']} — акт затрагивает их права "
        "(ч. 3 ст. 30 273-ФЗ); запишите мнение до принятия"
        for body in ctx.required_opinion_bodies() if body not in recorded
    ]


@rule("opinion_after_request", "Мнение совета дано не раньше направления проекта")
def opinion_after_request(ctx: TransitionContext) -> list[str]:
    requested, given = ctx.date_value("request_date"), ctx.date_value("opinion_date")
    if requested and given and given < requested:
        return [f"Дата мнения ({_d(given)}) раньше даты направления проекта ({_d(requested)})"]
    return []


def _opinion_dates(ctx: TransitionContext) -> list[tuple[str, dt.date]]:
    recorded = ctx.recorded_opinions()
    return [
        (OPINION_BODIES[body]["gent"], dt.date.fromisoformat(recorded[body]["date"]))
        for body in ctx.required_opinion_bodies() if body in recorded
    ]


@rule("dates_in_legal_order", "Дата приказа ≥ дата протокола совета ≥ даты мнений советов")
def dates_in_legal_order(ctx: TransitionContext) -> list[str]:
    messages = []
    protocol, order = ctx.date_value("protocol_date"), ctx.date_value("order_date")
    if protocol:
        for body, day in _opinion_dates(ctx):
            if day > protocol:
                messages.append(
                    f"Мнение {body} получено {_d(day)} — позже заседания педагогического совета "
                    f"({_d(protocol)}): акт нельзя принимать до учёта мнения")
    if order and protocol and order < protocol:
        messages.append(
            f"Дата приказа ({_d(order)}) раньше даты протокола педагогического совета ({_d(protocol)}): "
            "директор утверждает только принятый советом акт")
    if order:
        for body, day in _opinion_dates(ctx):
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


@rule("actor_is_assignee", "Отчитывается исполнитель пункта (или руководитель, который может действовать за него)")
def actor_is_assignee(ctx: TransitionContext) -> list[str]:
    if {"deputy", "director"} & set(ctx.membership.roles or []):
        return []
    assigned = ctx.session.scalars(select(ArtefactAssignee.user_id).where(
        ArtefactAssignee.artefact_id == ctx.artefact.id)).all()
    if ctx.actor.id in assigned:
        return []
    return ["Вы не назначены исполнителем этого пункта: отчитаться может исполнитель или заместитель директора"]
