"""Meetings of a school's bodies: their protocol journals, agenda, votes and decisions.

A meeting (`workflows/meeting.yaml`) is a plan whose sections are the agenda items and whose
items are the decisions: «Формулировка решения», «Ответственный», «Срок». The texts of the
protocol that are not decisions live in the meeting's fields (see `agenda_of`).

Each body keeps its own book of protocols, numbered per school year: the journal whose code
is the body's code (`BODIES`). A meeting held the same day as another question of the same
body (a plan adopted by the same педагогический совет) takes that meeting's number.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..deadlines.phrases import Schedule
from ..models import PlanItem, PlanSection
from . import journals
from .context import TransitionContext
from .fields import FieldError, parse_date, quoted
from .registry import ActionError, action, rule

VOTE_KEYS = ("votes_for", "votes_against", "votes_abstained")


@dataclass(frozen=True)
class Body:
    """A collegial body (or a meeting form) whose decisions the school records."""

    code: str
    title: str  # «Педагогический совет»
    genitive: str  # «педагогического совета»; «совещания при директоре» names the meeting itself
    event: str  # the meeting as a journal names it: «Заседание педагогического совета»
    journal_title: str
    votes: bool = True  # a совещание при директоре decides without a vote
    # The word before the genitive in «ПРОТОКОЛ заседания педагогического совета». A совещание
    # or a собрание is itself the meeting: «ПРОТОКОЛ совещания при директоре», not «заседания совещания».
    sitting: str = "заседания"

    def heading(self, genitive: str | None = None) -> str:
        """What follows «ПРОТОКОЛ» and «ВЫПИСКА ИЗ ПРОТОКОЛА»: «заседания педагогического совета»."""
        return " ".join(part for part in (self.sitting, genitive or self.genitive) if part)


BODIES: dict[str, Body] = {body.code: body for body in (
    Body("pedsovet", "Педагогический совет", "педагогического совета", "Заседание педагогического совета",
         "Протоколы педагогического совета"),
    Body("metodsovet", "Методический совет", "методического совета", "Заседание методического совета",
         "Протоколы методического совета"),
    Body("shmo", "Школьное методическое объединение", "школьного методического объединения",
         "Заседание школьного методического объединения", "Протоколы заседаний ШМО"),
    Body("director_meeting", "Совещание при директоре", "совещания при директоре", "Совещание при директоре",
         "Протоколы совещаний при директоре", votes=False, sitting=""),
    Body("parents_meeting", "Родительское собрание", "родительского собрания", "Родительское собрание",
         "Протоколы родительских собраний", sitting=""),
)}


def body_of(code: Any) -> Body | None:
    return BODIES.get(str(code or ""))


def body_genitive(ctx: TransitionContext) -> str:
    """The body as the protocol names it: the meeting's own wording, else the body's, else the council."""
    written = str(ctx.value("body_genitive") or "").strip()
    body = body_of(ctx.value("body"))
    return written or (body.genitive if body else "педагогического совета")


def protocol_heading(ctx: TransitionContext) -> str:
    """«заседания педагогического совета», «совещания при директоре», «общешкольного родительского собрания»."""
    body = body_of(ctx.value("body")) or BODIES["pedsovet"]
    return body.heading(body_genitive(ctx))


# --------------------------------------------------------------------------- the agenda


@dataclass
class Decision:
    text: str
    deadline_text: str
    responsible_text: str
    item: PlanItem | None = None  # None: a decision written in the agenda, not put on control


@dataclass
class AgendaItem:
    number: str
    title: str
    heard: Any  # str (paragraphs at new lines) or list of str, as stored
    spoke: Any
    decisions: list[Decision] = field(default_factory=list)
    votes: dict[str, int] | None = None
    section_id: int | None = None  # None: an agenda item without a decisions table
    recorded: dict[str, Any] = field(default_factory=dict)  # the stored entry, as written (for editing it)


def _int(value: Any) -> int | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _votes(entry: dict[str, Any], default: dict[str, int | None]) -> dict[str, int] | None:
    own = {key: _int(entry.get(key)) for key in VOTE_KEYS}
    chosen = own if own["votes_for"] is not None else default
    if chosen["votes_for"] is None:
        return None
    return {key: chosen[key] or 0 for key in VOTE_KEYS}


def _inline_decisions(entry: dict[str, Any]) -> list[Decision]:
    decisions = []
    for raw in entry.get("decisions") or []:
        raw = raw if isinstance(raw, dict) else {"text": str(raw)}
        decisions.append(Decision(str(raw.get("text") or ""), str(raw.get("deadline_text") or "").strip(),
                                  str(raw.get("responsible_text") or "").strip()))
    return decisions


def agenda_of(ctx: TransitionContext) -> list[AgendaItem]:
    """The meeting's agenda: its sections in order, each with its decisions, plus the texts in fields.

    ``agenda`` in the meeting's fields is a list, one entry per agenda item, in the order of
    the meeting's sections (the agenda items of its decisions table)::

        {title: «О подготовке к ВПР»,        # default: the section's title
         heard: «Иванову И.И., …» | [..],     # СЛУШАЛИ: str (paragraphs at new lines) or list
         spoke: [..],                         # ВЫСТУПИЛИ; may be empty
         votes_for: 21, votes_against: 0, votes_abstained: 2,   # default: the votes of «held»
         number: 1,                           # default: the position in the agenda
         decisions: [{text, deadline_text, responsible_text}]}  # see below

    Entries after the last section are agenda items without a decisions table («Разное»):
    their ``decisions`` are written into the protocol but not put on control. An agenda item
    has votes only when it has decisions (information heard is not voted on).
    """
    return read_agenda(ctx.session, ctx.artefact.id, ctx.value("agenda"),
                       {key: _int(ctx.value(key)) for key in VOTE_KEYS})


def read_agenda(session: Session, meeting_id: int, recorded: Any,
                default_votes: dict[str, int | None] | None = None) -> list[AgendaItem]:
    """`agenda_of` for a meeting's stored `agenda` (also outside a transition: its edit form)."""
    entries = [e if isinstance(e, dict) else {"title": str(e)} for e in (recorded or [])]
    sections = list(session.scalars(select(PlanSection).where(PlanSection.artefact_id == meeting_id)
                                    .order_by(PlanSection.position, PlanSection.id)))
    items = list(session.scalars(select(PlanItem).where(PlanItem.artefact_id == meeting_id)
                                 .order_by(PlanItem.position, PlanItem.id)))
    by_section: dict[int | None, list[PlanItem]] = {}
    for item in items:
        by_section.setdefault(item.section_id, []).append(item)
    default_votes = default_votes or dict.fromkeys(VOTE_KEYS)
    agenda = []
    for index in range(max(len(sections), len(entries))):
        entry = entries[index] if index < len(entries) else {}
        section = sections[index] if index < len(sections) else None
        if section is not None:
            rows = by_section.get(section.id, []) + (by_section.get(None, []) if index == 0 else [])
            decisions = [Decision(str(i.fields.get("activity") or ""), i.deadline_text, i.responsible_text, i)
                         for i in rows]
        else:
            decisions = _inline_decisions(entry)
        number = str(entry.get("number") or "").strip().rstrip(".") or str(index + 1)
        agenda.append(AgendaItem(
            number=number, title=str(entry.get("title") or (section.title if section else "")).strip(),
            heard=entry.get("heard") or "", spoke=entry.get("spoke") or "", decisions=decisions,
            votes=_votes(entry, default_votes) if decisions else None,
            section_id=section.id if section is not None else None, recorded=entry))
    return agenda


# --------------------------------------------------------------------------- rules


def _meeting_date(ctx: TransitionContext, date_field: str) -> dt.date | None:
    try:
        return ctx.date_value(date_field)
    except FieldError:
        return None


@rule("agenda_complete", "У каждого вопроса повестки есть формулировка, записано, кого слушали, "
      "и у каждого решения есть текст")
def agenda_complete(ctx: TransitionContext) -> list[str]:
    agenda = agenda_of(ctx)
    if not agenda:
        return ["В повестке нет ни одного вопроса"]
    untitled = [a.number for a in agenda if not a.title]
    unheard = [a.number for a in agenda if not a.heard]
    blank = [d.item.number or str(d.item.position + 1) for a in agenda for d in a.decisions
             if d.item is not None and not d.text.strip()]
    messages = []
    if untitled:
        messages.append(f"Не сформулированы вопросы повестки: {', '.join(untitled)}")
    if unheard:
        messages.append(f"Не записано, кого слушали (СЛУШАЛИ), по вопросам: {', '.join(unheard)}")
    if blank:
        messages.append(f"Нет формулировки решения в пунктах {', '.join(blank)}: впишите её")
    return messages


@rule("meeting_votes", "По каждому вопросу с решениями: голосов не больше присутствовавших, «за» — больше половины",
      required=("body_field",))
def meeting_votes(ctx: TransitionContext, body_field: str) -> list[str]:
    body = body_of(ctx.value(body_field))
    present = _int(ctx.value("present")) or 0
    if present <= 0:
        return ["Укажите число присутствовавших на заседании"]
    if body is not None and not body.votes:
        return []
    messages = []
    for item in agenda_of(ctx):
        if not item.decisions:
            continue
        if item.votes is None:
            messages.append(f"Вопрос {item.number}: укажите результаты голосования «за», «против», «воздержались»")
            continue
        total = sum(item.votes.values())
        if total > present:
            messages.append(f"Вопрос {item.number}: проголосовало {total}, а присутствовало {present} — "
                            "голосов не может быть больше, чем присутствовавших")
        elif item.votes["votes_for"] * 2 <= present:
            messages.append(f"Вопрос {item.number}: решение не принято — «за» {item.votes['votes_for']} "
                            f"из {present} присутствовавших, нужно больше половины")
    return messages


@rule("decisions_not_before_meeting", "Срок исполнения решения не раньше даты заседания", required=("date_field",))
def decisions_not_before_meeting(ctx: TransitionContext, date_field: str) -> list[str]:
    """«Октябрь» in a decision of February is not last October: the parser reads months in the
    school year, so such a deadline is shown to the secretary to be written out, never moved."""
    held = _meeting_date(ctx, date_field)
    if held is None:
        return []
    early = []
    for item in ctx.session.scalars(select(PlanItem).where(PlanItem.artefact_id == ctx.artefact.id)
                                    .order_by(PlanItem.position, PlanItem.id)):
        if not item.schedule:
            continue
        past = [d for d in Schedule.from_dict(item.schedule).due_dates if d < held]
        if past:
            early.append(f"{item.number or item.position + 1} ({min(past).strftime('%d.%m.%Y')})")
    if not early:
        return []
    return [f"Срок исполнения раньше даты заседания ({held.strftime('%d.%m.%Y')}) в решениях {', '.join(early)}: "
            "уточните срок, указав год (например, «октябрь 2024»)"]


# --------------------------------------------------------------------------- actions


@action("register_meeting_protocol",
        "Номер протокола из журнала органа, проводившего заседание (код журнала — код органа); "
        "в один день у органа одно заседание и один номер",
        required=("body_field", "number_field", "date_field"))
def register_meeting_protocol(ctx: TransitionContext, body_field: str, number_field: str, date_field: str) -> None:
    body = body_of(ctx.value(body_field))
    if body is None:
        raise ActionError(f"Не указан орган, проводивший заседание ({quoted(ctx.label_of(body_field))})")
    raw = ctx.value(date_field)
    if not raw:
        raise ActionError(f"Не указана дата «{ctx.label_of(date_field)}»")
    day = parse_date(raw)
    journal = journals.find_journal(ctx.session, ctx.artefact.organisation_id, body.code)
    ctx.set_field(number_field, ctx.numbers.reserve(journal, day, ctx.artefact.id, body.event, one_per_day=True))
