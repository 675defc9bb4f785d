"""Meetings: their protocol journals, creating one, writing its agenda, and its decisions under control.

The decisions table itself is imported and edited by `services.plans` (a meeting is a plan
whose sections are agenda items); the meeting is recorded by firing «hold» (workflows/meeting.yaml).

Journals: each body keeps its own book of protocols, numbered per school year, and the action
`register_meeting_protocol` takes the journal whose code is the body's code. The педагогический
совет uses the `pedsovet` journal that plans and Положения are adopted in, so a plan adopted at
a council meeting and that meeting's record share one protocol number.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import transaction
from ..documents.russian import date_digits
from ..procedures.control import CONTROL_KIND, FINAL_CONTROL_STATES
from ..engine.history import append_entry
from ..procedures.meetings import BODIES, VOTE_KEYS, body_of, read_agenda
from ..models import Artefact, ArtefactAssignee, Journal, Organisation, User, utcnow
from .access import artefact_for, get_user
from .artefacts import create_artefact, current_school_year
from .errors import Conflict, Forbidden, NotFound, Unprocessable
from .organisations import add_journal
from .runtime import Runtime

MEETING_KIND = "meeting"
MAX_AGENDA_ITEMS = 100
MAX_TEXT = 20_000
_TEXT_KEYS = ("title", "heard", "spoke")
_DECISION_KEYS = ("text", "deadline_text", "responsible_text")


def ensure_meeting_journals(session: Session, organisation: Organisation) -> list[Journal]:
    """Add the protocol journal of every body the organisation does not have yet; returns those added."""
    existing = set(session.scalars(select(Journal.code).where(Journal.organisation_id == organisation.id)))
    return [add_journal(session, organisation, body.code, body.journal_title, mask="{n}", period="school_year")
            for body in BODIES.values() if body.code not in existing]


def create_meeting(rt: Runtime, user_id: int, organisation_id: int, body: str, meeting_date: dt.date, *,
                   body_genitive: str | None = None, school_year: str | None = None,
                   today: dt.date | None = None) -> int:
    """A draft meeting, titled «Заседание педагогического совета 15.02.2024».

    Its decisions' deadlines are read in `school_year` — by default the school year of the
    meeting's date; the August council, which plans the coming year, passes that year."""
    found = body_of(body)
    if found is None:
        raise Unprocessable(f"Неизвестный орган «{body}»; допустимы: {', '.join(BODIES)}")
    heading = body_genitive.strip() if body_genitive else found.genitive
    # «Заседание школьного методического объединения …»; a совещание or a собрание keeps its own
    # name («Родительское собрание …»): «Заседание родительского собрания» is not Russian.
    named = f"Заседание {heading}" if body_genitive and found.sitting else found.event
    title = f"{named} {date_digits(meeting_date)}"
    fields: dict[str, Any] = {"body": found.code, "meeting_date": meeting_date.isoformat()}
    if body_genitive:
        fields["body_genitive"] = heading
    return create_artefact(rt, user_id, organisation_id, MEETING_KIND, title=title,
                           school_year=school_year or current_school_year(meeting_date), fields=fields, today=today)


def _text_value(value: Any, where: str, errors: list[str], *, lines: bool) -> Any:
    if value is None:
        return "" if not lines else []
    if isinstance(value, str) and len(value) <= MAX_TEXT:
        return value.strip()
    if (lines and isinstance(value, list) and all(isinstance(v, str) for v in value)
            and sum(map(len, value)) <= MAX_TEXT):
        return [v.strip() for v in value if v.strip()]
    errors.append(f"{where}: ожидается текст{' или список строк' if lines else ''} не длиннее {MAX_TEXT} символов")
    return None


def _vote_value(value: Any, where: str, errors: list[str]) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
        errors.append(f"{where}: ожидается целое неотрицательное число")
        return None
    return int(value)


def _decisions(raw: Any, where: str, errors: list[str]) -> list[dict[str, str]]:
    if not isinstance(raw, list) or not all(isinstance(d, dict) for d in raw):
        errors.append(f"{where}: решения — список записей {{text, deadline_text, responsible_text}}")
        return []
    return [{key: _text_value(d.get(key), where, errors, lines=False) or "" for key in _DECISION_KEYS} for d in raw]


def clean_agenda(agenda: Any) -> list[dict[str, Any]]:
    """Check the per-agenda-item texts (shape: procedures.meetings.agenda_of); raise Unprocessable listing problems."""
    if not isinstance(agenda, list) or len(agenda) > MAX_AGENDA_ITEMS:
        raise Unprocessable(f"Повестка — список вопросов (не больше {MAX_AGENDA_ITEMS})")
    errors: list[str] = []
    cleaned = []
    for index, entry in enumerate(agenda, start=1):
        where = f"вопрос {index}"
        if not isinstance(entry, dict):
            errors.append(f"{where}: ожидается запись с полями title, heard, spoke, votes_for, …")
            continue
        unknown = sorted(entry.keys() - {*_TEXT_KEYS, *VOTE_KEYS, "number", "decisions"})
        if unknown:
            errors.append(f"{where}: неизвестные поля {', '.join(unknown)}")
        item: dict[str, Any] = {"title": _text_value(entry.get("title"), where, errors, lines=False)}
        for key in ("heard", "spoke"):
            item[key] = _text_value(entry.get(key), where, errors, lines=True)
        for key in VOTE_KEYS:
            vote = _vote_value(entry.get(key), where, errors)
            if vote is not None:
                item[key] = vote
        if entry.get("number") not in (None, ""):
            item["number"] = str(entry["number"]).strip()[:10]
        if entry.get("decisions"):
            item["decisions"] = _decisions(entry["decisions"], where, errors)
        cleaned.append(item)
    if errors:
        raise Unprocessable("Проверьте повестку заседания", details={"agenda": errors})
    return cleaned


def record_agenda(rt: Runtime, meeting_id: int, user_id: int, agenda: list[dict[str, Any]],
                  version: int | None = None) -> int:
    """Write what was heard, who spoke and the votes per agenda item (before «hold»); returns the new version."""
    cleaned = clean_agenda(agenda)
    return _write_agenda(rt, meeting_id, user_id, version, lambda stored: cleaned)


def edit_agenda_texts(rt: Runtime, meeting_id: int, user_id: int, texts: list[dict[str, Any]],
                      version: int | None = None) -> int:
    """What the agenda form edits — per agenda item its title, СЛУШАЛИ, ВЫСТУПИЛИ and votes — over
    the stored agenda: numbers and decisions written into it stay. Returns the new version."""
    cleaned = clean_agenda(texts)
    return _write_agenda(rt, meeting_id, user_id, version, lambda stored: _texts_over(stored, cleaned))


def _texts_over(stored: Any, texts: list[dict[str, Any]]) -> list[Any]:
    stored = stored if isinstance(stored, list) else []
    kept = [{key: old[key] for key in ("number", "decisions") if key in old} if isinstance(old, dict) else {}
            for old in stored]
    merged = [{**(kept[index] if index < len(kept) else {}), **entry} for index, entry in enumerate(texts)]
    return merged + stored[len(texts):]


def agenda_for_editing(rt: Runtime, meeting_id: int, user_id: int) -> list[dict[str, Any]]:
    """Per agenda item (the meeting's sections, then questions without decisions) what its form shows:
    title, СЛУШАЛИ as text, ВЫСТУПИЛИ one per line, the votes as written, how many decisions."""
    with rt.sessions() as session:
        meeting, _ = artefact_for(session, user_id, meeting_id)
        if meeting.kind != MEETING_KIND:
            raise NotFound(f"Заседание № {meeting_id} не найдено")
        agenda = read_agenda(session, meeting.id, (meeting.fields or {}).get("agenda"))
    return [{
        "number": item.number, "title": item.title, "heard": _as_text(item.heard), "spoke": _as_text(item.spoke),
        **{key: "" if item.recorded.get(key) is None else str(item.recorded[key]) for key in VOTE_KEYS},
        "decisions": len(item.decisions), "section_id": item.section_id,
    } for item in agenda]


def _as_text(value: Any) -> str:
    """Paragraphs (or lines) stored as a list or as text, as a textarea shows them."""
    return "\n".join(str(line) for line in value) if isinstance(value, list) else str(value or "")


def _write_agenda(rt: Runtime, meeting_id: int, user_id: int, version: int | None,
                  agenda_from: Callable[[Any], list[dict[str, Any]]]) -> int:
    with transaction(rt.sessions) as session:
        actor = get_user(session, user_id)
        meeting, membership = artefact_for(session, user_id, meeting_id, lock=True)
        definition = rt.definition(meeting.kind)
        if meeting.kind != MEETING_KIND:
            raise NotFound(f"Заседание № {meeting_id} не найдено")
        if version is not None and version != meeting.version:
            raise Conflict(f"Запись о заседании уже изменена (версия {meeting.version}, у вас {version}): "
                           "обновите страницу")
        if meeting.state not in definition.editable_states:
            raise Conflict("Повестку можно менять, пока решения заседания не записаны")
        if not definition.create_roles.intersection(membership.roles or []):
            raise Forbidden("У вас нет права вести протокол этого заседания")
        agenda = agenda_from(meeting.fields.get("agenda"))
        meeting.fields = {**meeting.fields, "agenda": agenda}
        meeting.updated_at = utcnow()
        session.flush()
        append_entry(session, meeting, actor, "edit_agenda", meeting.state, fields={"agenda": agenda})
        return meeting.version


def decisions_status(rt: Runtime, meeting_id: int, user_id: int, today: dt.date | None = None) -> list[dict[str, Any]]:
    """The meeting's (or a plan's) control items in due order: state, due date, executors, overdue.

    Overdue: the due date has passed (before `today`) and the item is neither accepted nor cancelled.
    """
    today = today or rt.today()
    with rt.sessions() as session:
        parent, _ = artefact_for(session, user_id, meeting_id)
        definition = rt.definition(CONTROL_KIND)
        children = session.scalars(select(Artefact).where(Artefact.parent_id == parent.id,
                                                          Artefact.kind == CONTROL_KIND)).all()
        people: dict[int, list[str]] = {}
        for artefact_id, login, last, first, middle, external in session.execute(
                select(ArtefactAssignee.artefact_id, User.login, User.last_name, User.first_name, User.middle_name,
                       ArtefactAssignee.external_name)
                .outerjoin(User, User.id == ArtefactAssignee.user_id)
                .where(ArtefactAssignee.artefact_id.in_([c.id for c in children]))
                .order_by(ArtefactAssignee.id)):
            people.setdefault(artefact_id, []).append(login or external)
        rows = [{
            "id": child.id, "number": child.fields.get("item_number", ""), "title": child.title,
            "due_date": child.due_date, "state": child.state, "state_label": definition.state_label(child.state),
            "assignees": people.get(child.id, []),
            "overdue": (child.due_date is not None and child.due_date < today
                        and child.state not in FINAL_CONTROL_STATES),
        } for child in children]
        return sorted(rows, key=lambda r: (r["due_date"] or dt.date.max, r["id"]))
