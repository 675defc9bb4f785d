"""Built-in actions. They run inside the transition's transaction, before the state changes."""
from __future__ import annotations

from ..deadlines.workdays import add_working_days
from ..models import Artefact
from . import journals
from .context import TransitionContext
from .history import append_entry
from .registry import ActionError, action


def _required_date(ctx: TransitionContext, name: str):
    day = ctx.date_value(name)
    if day is None:
        raise ActionError(f"Не указана дата «{ctx.label_of(name)}»")
    return day


@action("assign_number", "Присвоить следующий номер журнала регистрации",
        required=("journal", "number_field", "date_field"))
def assign_number(ctx: TransitionContext, journal: str, number_field: str, date_field: str) -> None:
    found = journals.find_journal(ctx.session, ctx.artefact.organisation_id, journal)
    ctx.set_field(number_field, ctx.numbers.reserve(found, _required_date(ctx, date_field), ctx.artefact.id,
                                                    ctx.artefact.title))


@action("register_protocol", "Номер протокола заседания: тот же для всех вопросов одного заседания, иначе следующий",
        required=("journal", "number_field", "date_field"))
def register_protocol(ctx: TransitionContext, journal: str, number_field: str, date_field: str) -> None:
    found = journals.find_journal(ctx.session, ctx.artefact.organisation_id, journal)
    ctx.set_field(number_field, ctx.numbers.reserve(found, _required_date(ctx, date_field), ctx.artefact.id,
                                                    "Заседание педагогического совета", one_per_day=True))


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
    start = _required_date(ctx, params["from"])
    ctx.set_field("acquaintance_deadline", add_working_days(start, acquaintance_working_days).isoformat())
    ctx.set_field("publication_deadline", add_working_days(start, publication_working_days).isoformat())


@action("set_response_deadline", "Срок ответа в рабочих днях (ст. 372 ТК РФ: 5 рабочих дней)",
        required=("from", "working_days", "field"))
def set_response_deadline(ctx: TransitionContext, working_days: int, field: str, **params) -> None:
    start = _required_date(ctx, params["from"])
    ctx.set_field(field, add_working_days(start, working_days).isoformat())


@action("record_opinion", "Записать мнение совета в карточку акта")
def record_opinion(ctx: TransitionContext) -> None:
    body = ctx.submitted["opinion_body"]
    if body not in ctx.required_opinion_bodies():
        raise ActionError("Мнение этого органа для данного акта не требуется")
    opinions = ctx.recorded_opinions()
    opinions[body] = {
        "date": ctx.submitted["opinion_date"],
        "protocol_number": ctx.submitted.get("opinion_protocol_number", ""),
        "result": ctx.submitted.get("opinion_result", "positive"),
        "remarks": ctx.submitted.get("opinion_remarks", ""),
    }
    ctx.set_field("opinions", opinions)
