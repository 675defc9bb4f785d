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
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..deadlines.phrases import Schedule
from ..documents.russian import date_digits, surname_initials
from ..engine import journals
from ..engine.context import TransitionContext
from ..engine.fields import FieldError, parse_date, quoted
from ..engine.registry import ActionError, action, document_context, rule
from ..models import Membership, PlanItem, PlanSection, User
from .common import date_text, lines, member_or_text, person, sentence, signer, text
from .control import execution_report_context

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
    adoption_of: int | None = None  # an act adopted at this meeting (procedures/councils.py): its id


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
                       {key: _int(ctx.value(key)) for key in VOTE_KEYS}, ctx.value("adoptions"))


def _adoption_items(adoptions: Any) -> list[AgendaItem]:
    """The acts adopted at the meeting (procedures/councils.py), each the question it was adopted as —
    with the very words and votes of its own extract."""
    items = []
    for adoption in adoptions or []:
        votes = {key: _int(adoption.get(key)) or 0 for key in VOTE_KEYS}
        decision = Decision(str(adoption.get("decision") or f"Принять {adoption.get('title', '')}."), "", "")
        items.append(AgendaItem(number=str(adoption.get("number")), title=str(adoption.get("agenda_item") or ""),
                                heard=adoption.get("heard") or "", spoke="", decisions=[decision], votes=votes,
                                adoption_of=adoption.get("artefact_id"), recorded=adoption))
    return items


def _number_key(item: AgendaItem) -> tuple[int, str]:
    return (int(item.number), "") if item.number.isdigit() else (10**6, item.number)


def question_numbers(session: Session, meeting, without: int | None = None) -> list[str]:  # noqa: ANN001 - Artefact
    """The numbers of the meeting's questions: its own agenda and the acts adopted at it."""
    adoptions = [a for a in meeting.fields.get("adoptions") or [] if a.get("artefact_id") != without]
    return [item.number for item in read_agenda(session, meeting.id, meeting.fields.get("agenda"), None, adoptions)]


def read_agenda(session: Session, meeting_id: int, recorded: Any,
                default_votes: dict[str, int | None] | None = None, adoptions: Any = None) -> list[AgendaItem]:
    """`agenda_of` for a meeting's stored `agenda` (also outside a transition: its edit form).

    The acts adopted at the meeting keep the question numbers they were adopted as; the meeting's own
    questions without a written number take the free numbers around them, and the agenda is in order."""
    adopted = _adoption_items(adoptions)
    taken = {item.number for item in adopted}
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
        number = str(entry.get("number") or "").strip().rstrip(".")
        if not number:
            free = len(agenda) + 1
            while str(free) in taken or any(a.number == str(free) for a in agenda):
                free += 1
            number = str(free)
        agenda.append(AgendaItem(
            number=number, title=str(entry.get("title") or (section.title if section else "")).strip(),
            heard=entry.get("heard") or "", spoke=entry.get("spoke") or "", decisions=decisions,
            votes=_votes(entry, default_votes) if decisions else None,
            section_id=section.id if section is not None else None, recorded=entry))
    return sorted(agenda + adopted, key=_number_key) if adopted else agenda


# --------------------------------------------------------------------------- rules


def _meeting_date(ctx: TransitionContext, date_field: str) -> dt.date | None:
    try:
        return ctx.date_value(date_field)
    except FieldError:
        return None


@rule("agenda_complete", "У каждого вопроса повестки есть формулировка, записано, кого слушали, "
      "и у каждого решения есть текст", before_form=True)
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


# --------------------------------------------------------------------------- documents
#
# meeting_protocol (template meeting_protocol.docx) — a meeting (workflows/meeting.yaml) or any
# artefact with these fields (values submitted with the transition override them)::
#
#     body:            «pedsovet» (a code of BODIES) — gives body_genitive and protocol_heading
#                      («заседания педагогического совета», «совещания при директоре»)
#     body_genitive:   «школьного методического объединения учителей начальных классов» (overrides)
#     protocol_date:   ISO «2025-03-31» or «31.03.2025» (default: meeting_date)
#     protocol_number: «10»
#     present:         23
#     chair:           a member's login or a name as text (default: the director)
#     secretary:       a member's login or a name as text (default: whoever fires the transition)
#     votes_for, votes_against, votes_abstained: the votes of every agenda item with decisions
#                      that has none of its own
#     agenda:          per agenda item texts, see agenda_of
#
# The agenda items are the meeting's sections (PlanSection) in order, and their decisions the
# section's items (PlanItem): text (``activity``), deadline and responsible as written (a row
# whose responsible was chosen after the import names the people chosen). Agenda items are
# numbered by position («1», «2») unless an entry gives its number; decisions «1.1.», «1.2.»
# after their agenda item.
#
# decision_extracts (template protocol_extract.docx): one «Выписка из протокола» per decision
# of an agenda item that was voted on, certified «Верно» by the meeting's secretary.
#
# meeting_execution_report (template execution_report.docx): the execution report of the
# meeting's decisions, headed «об исполнении решений педагогического совета (протокол от … № …)».


def _responsible_names(ctx: TransitionContext, agenda: list[AgendaItem]) -> dict[str, str]:
    """«Фамилия И.О.» of every login named by a decision — one query for the whole protocol."""
    logins = sorted({login for a in agenda for d in a.decisions if d.item is not None
                     for login in d.item.responsible_logins or []})
    if not logins:
        return {}
    rows = ctx.session.execute(select(User.login, User.last_name, User.first_name, User.middle_name).join(Membership)
                               .where(Membership.organisation_id == ctx.artefact.organisation_id,
                                      User.login.in_(logins)))
    return {login: surname_initials(last, first or "", middle or "") for login, last, first, middle in rows}


def _decision_responsible(decision: Decision, names: dict[str, str]) -> str:
    """As written; a row whose responsible was chosen after the import names the people chosen."""
    if decision.responsible_text.strip() or decision.item is None:
        return decision.responsible_text.strip()
    people = [names[login] for login in decision.item.responsible_logins or [] if login in names]
    return ", ".join(people + list(decision.item.external_executors or []))


def responsible_label(people: str) -> str:
    """«Ответственный» before one person, «Ответственные» before several («Петрова А.А., Смирнов А.В.»)."""
    several = len([p for p in re.split(r"[,;\n]| и ", people or "") if p.strip()]) > 1
    return "Ответственные" if several else "Ответственный"


def _agenda_context(item: AgendaItem, names: dict[str, str]) -> dict[str, Any]:
    decisions = [{
        "number": f"{item.number}.{j}.",
        "text": " ".join(lines(decision.text)),
        "deadline_text": " ".join(lines(decision.deadline_text)),
        "responsible_text": " ".join(lines(_decision_responsible(decision, names))),
        "responsible_label": responsible_label(_decision_responsible(decision, names)),
    } for j, decision in enumerate(item.decisions, start=1)]
    votes = item.votes or {}
    return {
        "number": item.number,
        "title": " ".join(lines(item.title)),
        "heard": [line for line in lines(item.heard) if line],
        "spoke": [line for line in lines(item.spoke) if line],
        "decisions": decisions,
        "has_votes": item.votes is not None,
        "votes_for": votes.get("votes_for", 0),
        "votes_against": votes.get("votes_against", 0),
        "votes_abstained": votes.get("votes_abstained", 0),
    }


def protocol_people(ctx: TransitionContext) -> dict[str, Any]:
    """Chair (default: the director), secretary (default: whoever records), date, number, present."""
    chair_member, chair = member_or_text(ctx, ctx.value("chair"))
    if not chair:
        chair_member = ctx.member_with_role("director")
        chair = person(chair_member)["initials_surname"]
    secretary_member, secretary = member_or_text(ctx, ctx.value("secretary"))
    if not secretary:
        secretary_member, secretary = ctx.membership, person(ctx.membership)["initials_surname"]
    return {
        "body_genitive": body_genitive(ctx),
        "protocol_heading": protocol_heading(ctx),
        "protocol_date": date_text(ctx.value("protocol_date") or ctx.value("meeting_date")),
        "protocol_number": text(ctx.value("protocol_number")),
        "present": _int(ctx.value("present")) or 0,
        "chair": chair,
        "secretary": secretary,
        "chair_member": chair_member,
        "secretary_member": secretary_member,
    }


@document_context("meeting_protocol", "Протокол заседания: повестка, слушали, выступили, решили, голосование")
def meeting_protocol(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    people = protocol_people(ctx)
    agenda = agenda_of(ctx)
    names = _responsible_names(ctx, agenda)
    return [{
        **base,
        **{key: value for key, value in people.items() if not key.endswith("_member")},
        "agenda": [_agenda_context(item, names) for item in agenda],
        "signer": signer(people["chair_member"]),
    }]


def _decision_sentence(decision: dict[str, str]) -> str:
    """«1.2. Разработать план… Срок — март 2024 г. Ответственный — Зам. директора по УВР.»"""
    parts = [sentence(f"{decision['number']} {decision['text']}")]
    if decision["deadline_text"]:
        parts.append(sentence(f"Срок — {decision['deadline_text']}"))
    if decision["responsible_text"]:
        parts.append(sentence(f"{decision['responsible_label']} — {decision['responsible_text']}"))
    return " ".join(parts)


@document_context("decision_extracts", "Выписки из протокола: по одной на каждое решение, принятое голосованием")
def decision_extracts(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    """One extract per decision, for its executors: the agenda item with its original number, what
    was heard, that decision and the votes. Certified «Верно» by the meeting's secretary.
    Decisions taken without a vote (совещание при директоре) have no extracts: the form prints votes."""
    people = protocol_people(ctx)
    agenda = agenda_of(ctx)
    names = _responsible_names(ctx, agenda)
    certifier_member = people["secretary_member"] or ctx.membership
    certifier = person(certifier_member)
    fixed = {key: value for key, value in people.items() if not key.endswith("_member")}
    extracts = []
    for item in agenda:
        if item.votes is None or item.adoption_of is not None:  # an adopted act has its own extract
            continue
        agenda_context = _agenda_context(item, names)
        several = len(agenda_context["decisions"]) > 1
        for index, decision in enumerate(agenda_context["decisions"], start=1):
            extracts.append({
                **base,
                **fixed,
                "agenda_number": item.number,
                # Its file name tells the question (and the decision, when a question has several).
                "question_label": f"{item.number}, решение {index}" if several else item.number,
                "agenda_item": sentence(agenda_context["title"]) if agenda_context["title"] else "",
                "heard": " ".join(agenda_context["heard"]),
                "decision": _decision_sentence(decision),
                "votes_for": agenda_context["votes_for"],
                "votes_against": agenda_context["votes_against"],
                "votes_abstained": agenda_context["votes_abstained"],
                "certifier": {"position": f"Секретарь {people['body_genitive']}",
                              "initials_surname": certifier["initials_surname"] or people["secretary"]},
                "certified_date": date_digits(ctx.today),
                "signer": signer(certifier_member),
            })
    return extracts


@document_context("meeting_execution_report", "Отчёт об исполнении решений заседания: каждое решение со статусом")
def meeting_execution_report(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    """The plan's execution report, headed by the meeting («об исполнении решений педагогического
    совета (протокол от 15.02.2024 № 5)»), its section rows being the agenda items."""
    protocol = f"протокол от {date_text(ctx.value('protocol_date') or ctx.value('meeting_date'))}"
    if ctx.value("protocol_number"):
        protocol += f" № {text(ctx.value('protocol_number'))}"
    agenda = {item.section_id: " ".join(lines(f"{item.number}. {item.title}")) for item in agenda_of(ctx)
              if item.section_id is not None}
    return [execution_report_context(ctx, base, f"об исполнении решений {body_genitive(ctx)} ({protocol})", agenda)]
