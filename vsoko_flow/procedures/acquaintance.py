"""What an approved act asks after its order, each closable by the person it is put on:

- ознакомление под подпись (ТК РФ ст. 22): every employee on the лист ознакомления gets a task and
  acknowledges in the system (date and time recorded), or the deputy uploads the signed paper sheet;
  the order's item closes when everybody has («14 из 37» meanwhile);
- размещение на сайте (273-ФЗ ст. 29): the address and the date of publication, checked against the
  10 working days the order gave.

Each deadline an action sets is closed by a `<name>_done` field (tasks.DEADLINE_DONE_SUFFIX).
"""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from ..engine.context import TransitionContext
from ..engine.registry import ActionError, action, rule
from ..models import Acquaintance, Evidence, Membership, utcnow

HEADS = frozenset({"deputy", "director"})
# Which action closes which deadline (by writing its «…_done» field) — read by the test that proves every
# deadline of every workflow closable (tests/test_closable_tasks.py).
DEADLINE_CLOSERS: dict[str, str] = {
    "record_acknowledgement": "acquaintance_deadline",   # when the last employee acknowledges
    "record_acquaintance_sheet": "acquaintance_deadline",
    "record_publication": "publication_deadline",
}


def _d(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def acquaintance_staff(ctx: TransitionContext) -> list[Membership]:
    """Who signs the acquaintance sheet: the active workers (not observers or district staff)."""
    return [m for m in ctx.staff() if m.user.is_active and set(m.roles or []) - {"observer", "methodologist"}]


def acquaintance_progress(session, artefact_id: int) -> tuple[int, int]:  # noqa: ANN001 - a Session
    """(acknowledged, on the list) of an act."""
    done, total = session.execute(
        select(func.count(Acquaintance.acknowledged_at), func.count(Acquaintance.id))
        .where(Acquaintance.artefact_id == artefact_id)).one()
    return int(done), int(total)


def _pending_row(ctx: TransitionContext) -> Acquaintance | None:
    return ctx.session.scalar(select(Acquaintance).where(
        Acquaintance.artefact_id == ctx.artefact.id, Acquaintance.user_id == ctx.actor.id))


def _is_responsible_or_head(ctx: TransitionContext) -> bool:
    return ctx.actor.login == ctx.value("responsible") or bool(HEADS & set(ctx.membership.roles or []))


# --------------------------------------------------------------------------- rules


@rule("awaiting_acknowledgement", "Сотрудник есть в листе ознакомления и ещё не ознакомился", before_form=True)
def awaiting_acknowledgement(ctx: TransitionContext) -> list[str]:
    row = _pending_row(ctx)
    if row is None:
        return ["Вас нет в листе ознакомления с этим актом: знакомятся работники, которые были в штате в день "
                "приказа"]
    if row.acknowledged_at is not None:
        how = "по подписанному листу" if row.method == "paper" else "в системе"
        return [f"Вы уже ознакомились с актом {row.acknowledged_at.strftime('%d.%m.%Y в %H:%M')} ({how})"]
    return []


@rule("acquaintance_open", "Ознакомление работников ещё не завершено; записывает ответственный или заместитель",
      before_form=True)
def acquaintance_open(ctx: TransitionContext) -> list[str]:
    done = ctx.artefact.fields.get("acquaintance_done")
    if done:
        return [f"Все работники уже ознакомлены ({_d(dt.date.fromisoformat(done))})"]
    if not _is_responsible_or_head(ctx):
        return ["Подписанный лист ознакомления загружает ответственный за ознакомление, заместитель директора "
                "или директор"]
    return []


@rule("sheet_uploaded", "Подписанный лист ознакомления загружен к акту")
def sheet_uploaded(ctx: TransitionContext) -> list[str]:
    evidence_id = ctx.submitted.get("sheet_evidence_id")
    evidence = ctx.session.get(Evidence, evidence_id) if evidence_id else None
    if evidence is None or evidence.artefact_id != ctx.artefact.id or not evidence.sha256:
        return ["Загрузите скан подписанного листа ознакомления (PDF или изображение) — без него ознакомление "
                "на бумаге не записывается"]
    return []


@rule("publication_open", "Размещение на сайте ещё не записано; записывает ответственный или заместитель",
      before_form=True)
def publication_open(ctx: TransitionContext) -> list[str]:
    stored = ctx.artefact.fields  # what was recorded, not what this form says
    if stored.get("publication_done"):
        return [f"Размещение уже записано: {stored.get('publication_url')} "
                f"({_d(dt.date.fromisoformat(stored['publication_done']))})"]
    if not _is_responsible_or_head(ctx):
        return ["Размещение на сайте записывает ответственный за размещение, заместитель директора или директор"]
    return []


_URL = re.compile(r"^https?://[^\s/]+\.[^\s]+$", re.IGNORECASE)


@rule("publication_address", "Адрес страницы на сайте — ссылка http(s)")
def publication_address(ctx: TransitionContext) -> list[str]:
    url = (ctx.submitted.get("publication_url") or "").strip()
    if not _URL.match(url):
        return ["Укажите адрес страницы сайта, где размещён акт, полностью: https://школа.рф/svedeniya/dokumenty"]
    return []


@rule("published_after_order", "Акт размещён не раньше приказа о его утверждении")
def published_after_order(ctx: TransitionContext) -> list[str]:
    published, order_date = ctx.date_value("published_on"), ctx.date_value("order_date")
    if published and order_date and published < order_date:
        return [f"Дата размещения ({_d(published)}) раньше даты приказа ({_d(order_date)}): акт размещают после "
                "утверждения — укажите дату, когда он появился на сайте"]
    return []


@rule("published_in_time", "Акт размещён на сайте в течение 10 рабочих дней (ст. 29 273-ФЗ)")
def published_in_time(ctx: TransitionContext) -> list[str]:
    published, deadline = ctx.date_value("published_on"), ctx.date_value("publication_deadline")
    if published and deadline and published > deadline:
        return [f"Акт размещён {_d(published)}, позже срока {_d(deadline)} (10 рабочих дней, ч. 3 ст. 29 273-ФЗ): "
                "размещение будет записано с опозданием"]
    return []


# --------------------------------------------------------------------------- actions


@action("open_acquaintance", "Лист ознакомления: каждый работник получает задачу ознакомиться с актом")
def open_acquaintance(ctx: TransitionContext) -> None:
    staff = acquaintance_staff(ctx)
    ctx.session.add_all(Acquaintance(artefact_id=ctx.artefact.id, user_id=m.user_id, position=m.position)
                        for m in staff)
    ctx.session.flush()
    ctx.set_field("acquaintance_progress", f"0 из {len(staff)}")


def _close_acquaintance_when_complete(ctx: TransitionContext) -> None:
    done, total = acquaintance_progress(ctx.session, ctx.artefact.id)
    ctx.set_field("acquaintance_progress", f"{done} из {total}")
    if done == total:
        ctx.set_field("acquaintance_done", ctx.today.isoformat())


@action("record_acknowledgement", "Записать, что сотрудник ознакомился с актом (дата и время)")
def record_acknowledgement(ctx: TransitionContext) -> None:
    row = _pending_row(ctx)
    if row is None or row.acknowledged_at is not None:  # the rule said so; a race may have changed it
        raise ActionError("Вы уже ознакомились с этим актом или вас нет в листе ознакомления")
    row.acknowledged_at, row.method = utcnow(), "system"
    ctx.session.flush()
    ctx.set_field("acknowledged_by", ctx.actor.login)
    _close_acquaintance_when_complete(ctx)


@action("record_acquaintance_sheet", "Все, кто ещё не ознакомился в системе, ознакомлены по подписанному листу")
def record_acquaintance_sheet(ctx: TransitionContext) -> None:
    signed_at = dt.datetime.combine(ctx.date_value("sheet_date") or ctx.today, dt.time())
    rows = ctx.session.scalars(select(Acquaintance).where(Acquaintance.artefact_id == ctx.artefact.id,
                                                          Acquaintance.acknowledged_at.is_(None))).all()
    for row in rows:
        row.acknowledged_at, row.method, row.evidence_id = signed_at, "paper", ctx.submitted["sheet_evidence_id"]
    ctx.session.flush()
    _close_acquaintance_when_complete(ctx)


@action("record_publication", "Записать адрес и дату размещения акта на сайте")
def record_publication(ctx: TransitionContext) -> None:
    ctx.set_field("publication_url", ctx.submitted["publication_url"].strip())
    ctx.set_field("publication_done", ctx.submitted["published_on"])
