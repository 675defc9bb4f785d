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
from ..documents.russian import lower_first, preposition_s
from ..engine.context import TransitionContext
from ..engine.history import append_entry
from ..engine.registry import ActionError, action, document_context, rule
from ..models import ActType, Artefact, Journal
from ..deadlines.workdays import add_working_days
from .acquaintance import acquaintance_staff
from .common import AGREEMENT, LAW_273, edition_note, digits, person, required_date, title_forms, words

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


# What a council may answer (record_opinion's «opinion_result»): agreement, agreement with remarks,
# or a motivated disagreement — the act may then be amended and sent again.
AGREED = ("positive", "remarks")
REJECTED = "rejected"


def recorded_opinions(ctx: TransitionContext) -> dict[str, dict[str, Any]]:
    """The latest opinion of every council (earlier ones stay in «opinion_history»)."""
    return dict(ctx.value("opinions") or {})


def pending_opinion_bodies(ctx: TransitionContext) -> list[str]:
    """The councils a request goes to: those without an opinion, or whose opinion was a disagreement.
    A council that agreed keeps its opinion when the amended act is sent again."""
    recorded = recorded_opinions(ctx)
    return [body for body in required_opinion_bodies(ctx)
            if body not in recorded or recorded[body].get("result") not in AGREED]


def _genitive_list(bodies: list[str]) -> str:
    names = [OPINION_BODIES[body]["gent"] for body in bodies]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " и " + names[-1]


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


@rule("has_sections", "В тексте акта есть хотя бы один раздел", before_form=True)
def has_sections(ctx: TransitionContext) -> list[str]:
    if ctx.artefact.sections:
        return []
    return ["В тексте документа нет ни одного раздела: добавьте текст (разделы 1., 1.1., …) перед отправкой"]


@rule("opinions_needed", "Есть советы, чьё мнение нужно получить (или получить заново после несогласия)",
      before_form=True)
def opinions_needed(ctx: TransitionContext) -> list[str]:
    if not required_opinion_bodies(ctx):
        return ["Этот акт не затрагивает права обучающихся или работников: учёт мнения советов не требуется, "
                "направьте его сразу на педагогический совет"]
    if pending_opinion_bodies(ctx):
        return []
    return ["Мнения всех советов уже получены и сохранены: направлять проект повторно не нужно — "
            f"внесите его на педагогический совет: {ctx.action_hint('send_to_council')}"]


@rule("opinions_recorded", "Мнения всех обязательных советов записаны (273-ФЗ ст. 30)", before_form=True)
def opinions_recorded(ctx: TransitionContext) -> list[str]:
    recorded = recorded_opinions(ctx)
    missing = [body for body in required_opinion_bodies(ctx) if body not in recorded]
    if not missing:
        return []
    what = (f"Не учтено мнение {_genitive_list(missing)}: акт затрагивает права, которые они представляют "
            "(ч. 3 ст. 30 273-ФЗ)")
    state = ctx.artefact.state
    if state == "opinions":  # the request went out: the answers are awaited
        return [f"{what}. Запишите мнение, когда совет его представит: {ctx.action_hint('record_opinion')}"]
    steps = f"{ctx.action_hint('send_for_opinions')}, затем {ctx.action_hint('record_opinion')}"
    if state == ctx.definition.initial:
        return [f"{what}. Сначала направьте проект советам: {steps}"]
    return [f"{what}. Верните проект на доработку — {ctx.action_hint('return_to_draft')} — и направьте его "
            f"советам: {steps}"]


@rule("opinions_agreed", "Ни один совет не выразил несогласия с проектом", before_form=True)
def opinions_agreed(ctx: TransitionContext) -> list[str]:
    recorded = recorded_opinions(ctx)
    rejected = [body for body in required_opinion_bodies(ctx) if recorded.get(body, {}).get("result") == REJECTED]
    if not rejected:
        return []
    reasons = "; ".join(f"{OPINION_BODIES[body]['nomn']}: {recorded[body].get('remarks') or 'без мотивов'}"
                        for body in rejected)
    return [f"Проект не согласован ({reasons}). Доработайте его — {ctx.action_hint('return_to_draft')}, исправьте "
            f"текст и снова {ctx.action_hint('send_for_opinions')}: проект уйдёт только не согласовавшим советам, "
            "полученные мнения сохранятся. Или внесите проект на педагогический совет с мотивированным "
            "несогласием: решение примет совет."]


@rule("opinion_reasons_given", "Несогласие и замечания совета записаны с мотивами")
def opinion_reasons_given(ctx: TransitionContext) -> list[str]:
    result = ctx.submitted.get("opinion_result")
    if result in ("remarks", REJECTED) and not (ctx.submitted.get("opinion_remarks") or "").strip():
        what = "мотивы несогласия" if result == REJECTED else "замечания"
        return [f"Укажите {what} совета в поле «Замечания совета»: мнение совета должно быть мотивированным"]
    return []


@rule("opinion_after_request", "Мнение совета дано не раньше направления проекта")
def opinion_after_request(ctx: TransitionContext) -> list[str]:
    requested, given = ctx.date_value("request_date"), ctx.date_value("opinion_date")
    if requested and given and given < requested:
        return [f"Дата мнения ({_d(given)}) раньше даты направления проекта ({_d(requested)}): совет даёт мнение "
                "на направленный ему проект — укажите дату его протокола, не раньше даты направления"]
    return []


def uses_act_types(definition) -> bool:  # noqa: ANN001 - a WorkflowDefinition
    """Acts held to «one edition in force» have a type from the school's nomenclature (номенклатура ЛНА)."""
    return any(step.name == "single_edition_in_force" for t in definition.transitions.values() for step in t.rules)


def _title_key(title: str) -> str:
    return re.sub(r"\s+", " ", title).strip().lower()


def _editions_in_force(ctx: TransitionContext) -> list[Artefact]:
    """The other acts in force of this act's type (by title only for an act stored without a type)."""
    artefact = ctx.artefact
    same_act = (Artefact.act_type_id == artefact.act_type_id if artefact.act_type_id is not None
                else lowered(ctx.session, Artefact.title) == _title_key(artefact.title))
    return ctx.session.scalars(
        select(Artefact).where(Artefact.organisation_id == artefact.organisation_id, Artefact.kind == artefact.kind,
                               Artefact.state == "in_force", Artefact.id != artefact.id, same_act)
        .execution_options(populate_existing=True)
    ).all()


def _clashes(ctx: TransitionContext) -> list[str]:
    return [
        f"Уже действует «{other.title}» (№ {other.id}) — акт того же вида; новая редакция должна заменять "
        "действующую: создайте проект как новую редакцию действующего акта («Создать новую редакцию» на его "
        "странице)"
        for other in _editions_in_force(ctx) if other.id != ctx.artefact.supersedes_id
    ]


@rule("single_edition_in_force", "Одновременно действует только одна редакция акта одного вида", before_form=True)
def single_edition_in_force(ctx: TransitionContext) -> list[str]:
    return _clashes(ctx)


# --------------------------------------------------------------------------- actions


@action("claim_edition_in_force", "Занять место действующей редакции акта этого вида (одно утверждение за раз)")
def claim_edition_in_force(ctx: TransitionContext) -> None:
    """Approvals of one act type take turns: the type's row is locked (PostgreSQL; SQLite's write lock is
    already held), then the check is made again — a concurrent approval that won is seen and refused
    with its title, never left to the database's unique index."""
    if ctx.artefact.act_type_id is not None:
        ctx.session.get(ActType, ctx.artefact.act_type_id, with_for_update=True, populate_existing=True)
    clashes = _clashes(ctx)
    if clashes:
        raise ActionError(clashes[0])


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
    # Written now, before the new edition becomes «in force»: the unique index sees one at a time.
    ctx.session.flush()
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


@action("record_opinion", "Записать мнение совета в карточку акта (прежние мнения остаются в истории мнений)")
def record_opinion(ctx: TransitionContext) -> None:
    body = ctx.submitted["opinion_body"]
    if body not in required_opinion_bodies(ctx):
        needed = ", ".join(OPINION_BODIES[b]["nomn"] for b in required_opinion_bodies(ctx))
        raise ActionError(f"Мнение этого органа для данного акта не требуется: нужны мнения — {needed}")
    opinion = {
        "date": ctx.submitted["opinion_date"],
        "protocol_number": ctx.submitted.get("opinion_protocol_number", ""),
        "result": ctx.submitted.get("opinion_result", "positive"),
        "remarks": ctx.submitted.get("opinion_remarks", ""),
        "request_date": ctx.value("request_date") or "",  # which sending of the act it answers
    }
    ctx.set_field("opinions", {**recorded_opinions(ctx), body: opinion})
    ctx.set_field("opinion_history", [*(ctx.value("opinion_history") or []), {"body": body, **opinion}])


OUTGOING_JOURNAL = "outgoing"
OUTGOING_JOURNAL_TITLE = "Журнал регистрации исходящих документов"


def outgoing_journal(ctx: TransitionContext) -> Journal:
    """The school's journal of outgoing letters, added the first time a letter is sent."""
    found = ctx.session.scalars(select(Journal).where(
        Journal.organisation_id == ctx.artefact.organisation_id, Journal.code == OUTGOING_JOURNAL)).first()
    if found is None:
        found = Journal(organisation_id=ctx.artefact.organisation_id, code=OUTGOING_JOURNAL,
                        title=OUTGOING_JOURNAL_TITLE, mask="{n}", period="calendar_year")
        ctx.session.add(found)
        ctx.session.flush()
    return found


@action("register_outgoing_letters", "Исходящий номер каждого письма совету из журнала исходящих документов",
        required=("date_field",))
def register_outgoing_letters(ctx: TransitionContext, date_field: str) -> None:
    journal = outgoing_journal(ctx)
    day = required_date(ctx, date_field)
    numbers = {body: ctx.numbers.reserve(journal, day, ctx.artefact.id,
                                         f"Письмо {OPINION_BODIES[body]['datv']} о направлении проекта")
               for body in pending_opinion_bodies(ctx)}
    ctx.set_field("outgoing_numbers", {**(ctx.value("outgoing_numbers") or {}), **numbers})


@action("await_opinions", "Советы, которым проект направлен заново, снова ждут ответа (их прежнее мнение — в истории)")
def await_opinions(ctx: TransitionContext) -> None:
    pending = set(pending_opinion_bodies(ctx))
    recorded = recorded_opinions(ctx)
    if pending & recorded.keys():
        ctx.set_field("opinions", {body: opinion for body, opinion in recorded.items() if body not in pending})


# --------------------------------------------------------------------------- documents


def opinion_lines(ctx: TransitionContext) -> list[dict[str, str]]:
    recorded = recorded_opinions(ctx)
    return [
        {"body_genitive": OPINION_BODIES[body]["gent"], "protocol_date": digits(recorded[body]["date"]),
         "protocol_number": recorded[body].get("protocol_number", "")}
        for body in required_opinion_bodies(ctx) if body in recorded
    ]


def _council_part(ctx: TransitionContext) -> dict[str, str]:
    """The grif by the act's type: the council adopts it («ПРИНЯТО на заседании педагогического совета» —
    as the Положение's own text says acts are «принимаются») or only agrees it («СОГЛАСОВАНО Педагогическим
    советом»)."""
    act_type = ctx.session.get(ActType, ctx.artefact.act_type_id) if ctx.artefact.act_type_id else None
    if act_type is not None and act_type.council_grif == "agreed":
        return {"word": "СОГЛАСОВАНО", "body_instrumental": "Педагогическим советом"}
    return {"word": "ПРИНЯТО", "body_instrumental": "на заседании педагогического совета"}


@document_context("act_text", "Текст акта с грифами согласования и утверждения")
def act_text(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    approved = bool(ctx.value("order_number"))
    protocol_number = ctx.value("protocol_number")
    context = {
        **base,
        "is_draft": not approved,
        "edition_note": edition_note(ctx),
        "council_grif": {
            **_council_part(ctx),
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


@document_context("acquaintance_sheet", "Лист ознакомления работников с актом")
def acquaintance_sheet(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    approved_word = {"neuter": "утверждённым", "masculine": "утверждённым", "feminine": "утверждённой"}[
        ctx.definition.grammatical_gender]
    subject = (f"с {title_forms(ctx)['ablt']}, {approved_word} приказом от "
               f"{digits(ctx.value('order_date'))} № {ctx.value('order_number')}")
    people = [
        {"n": index, "name": person(m)["surname_initials"], "position": m.position}
        for index, m in enumerate(acquaintance_staff(ctx), start=1)
    ]
    return [{**base, "subject": subject, "people": people}]


def executor_line(ctx: TransitionContext) -> str:
    """«Исп. Иванова И.И., тел. 8 (3462) 52-00-29»: who prepared the letter and how to reach them."""
    phone = ctx.artefact.organisation.phone
    name = person(ctx.membership)["surname_initials"]
    return f"Исп. {name}" + (f", тел. {phone}" if phone else "")


@document_context("opinion_requests", "Запросы мотивированного мнения советов — по одному на каждый совет")
def opinion_requests(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    titles = title_forms(ctx)
    contexts = []
    for body in pending_opinion_bodies(ctx):
        names = OPINION_BODIES[body]
        basis = ("статьёй 372 Трудового кодекса Российской Федерации" if body == "trade_union"
                 else f"частью 3 статьи 30 {LAW_273}")
        contexts.append({
            **base,
            "request_date": digits(ctx.value("request_date")),
            "outgoing_number": (ctx.value("outgoing_numbers") or {}).get(body, ""),
            "addressee": " ".join(part for part in (
                f"Председателю {lower_first(names['gent']) if body == 'trade_union' else names['gent']}",
                str(ctx.value(f"chair_{body}") or "").strip()) if part),
            "executor": executor_line(ctx),
            "body_genitive": names["gent"],
            "act_title_genitive": titles["gent"],
            "response_deadline": digits(ctx.value("opinion_deadline")),
            "legal_basis": basis,
            "legal_basis_preposition": preposition_s(basis),
        })
    return contexts
