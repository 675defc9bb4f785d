"""Creating artefacts, editing their text, and reading them as plain data for the CLI and API."""
from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload, undefer

from ..db import contains_text, transaction
from ..engine.fields import coerce_fields
from ..engine.history import append_entry
from ..models import Artefact, HistoryEntry, Membership, Section, StoredDocument, utcnow
from ..procedures.acting import roles_on
from ..procedures.acts import uses_act_types
from ..safe_text import without_invisible
from .act_types import act_type_for_new_act
from .access import DraftWords, artefact_for, editable_draft, get_user, membership_in
from .errors import Forbidden, NotFound, Unprocessable
from .quality import trace_links
from .clock import local_iso
from .runtime import Runtime
from .sections import ParsedSection, parse_sections, read_text_file, sections_as_text
from .transitions import offered_transitions


def current_school_year(today: dt.date) -> str:
    start = today.year if today.month >= 9 else today.year - 1
    return f"{start}/{start + 1}"


def create_artefact(rt: Runtime, actor_id: int, organisation_id: int, kind: str, *, title: str | None = None,
                    school_year: str | None = None, fields: dict[str, Any] | None = None,
                    supersedes_id: int | None = None, sections_text: str | None = None,
                    today: dt.date | None = None) -> int:
    """Create a draft; a new edition (`supersedes_id`) starts from the text of the edition in force."""
    with transaction(rt.sessions) as session:
        return add_artefact(session, rt, actor_id, organisation_id, kind, title=title, school_year=school_year,
                            fields=fields, supersedes_id=supersedes_id, sections_text=sections_text, today=today).id


def add_artefact(session: Session, rt: Runtime, actor_id: int, organisation_id: int, kind: str, *,
                 title: str | None = None, school_year: str | None = None, fields: dict[str, Any] | None = None,
                 supersedes_id: int | None = None, sections_text: str | None = None,
                 today: dt.date | None = None) -> Artefact:
    """The draft inside the caller's transaction (for use cases that create and fill it at once)."""
    today = today or rt.today()
    definition = rt.definition(kind)
    actor = get_user(session, actor_id)
    membership = membership_in(session, actor_id, organisation_id)
    if membership is None:
        raise NotFound("Организация не найдена")
    if not definition.create_roles.intersection(membership.roles or []):
        raise Forbidden(f"У вас нет права создавать документы вида «{definition.title}»")
    if membership.organisation.kind != definition.organisation_kind:
        where = "района (ИМЦ, ЦОКО)" if definition.organisation_kind == "district" else "школы"
        raise Unprocessable(f"Документ вида «{definition.title}» создаётся только в организации {where}")
    if definition.created_with_parent:
        raise Unprocessable(f"Документ вида «{definition.title}» создаётся со страницы документа, к которому "
                            "он относится (например, несоответствие — на странице аудита)")
    fields = dict(fields or {})
    chosen_act_type = fields.pop("act_type", None)  # a column of its own, not one of the kind's fields
    values, errors = coerce_fields(definition.fields, fields, today)
    if errors:
        raise Unprocessable("Проверьте заполнение полей", details={"fields": errors})
    previous = _superseded_edition(session, supersedes_id, organisation_id, kind)
    title = " ".join(without_invisible(title or (previous.title if previous else definition.default_title))
                     .split())[:1000]
    act_type = (act_type_for_new_act(session, organisation_id, chosen_act_type, title, previous)
                if uses_act_types(definition) else None)
    artefact = Artefact(
        kind=kind, organisation_id=organisation_id, state=definition.initial, title=title,
        school_year=school_year or current_school_year(today), fields=values,
        supersedes_id=previous.id if previous else None, author_id=actor.id,
        act_type_id=act_type.id if act_type else None,
    )
    session.add(artefact)
    session.flush()
    if sections_text:
        _replace_sections(artefact, sections_text)
    elif previous is not None:
        _replace_sections(artefact, sections_as_text(previous.sections))
    recorded = {"title": artefact.title, **values, "supersedes_id": artefact.supersedes_id}
    if act_type is not None:
        recorded["act_type"] = act_type.name
    append_entry(session, artefact, actor, "create", "", fields=recorded)
    return artefact


def _superseded_edition(session: Session, supersedes_id: int | None, organisation_id: int, kind: str) -> Artefact | None:
    if supersedes_id is None:
        return None
    previous = session.get(Artefact, supersedes_id)
    if previous is None or previous.organisation_id != organisation_id or previous.kind != kind:
        raise NotFound(f"Заменяемая редакция № {supersedes_id} не найдена")
    if previous.state != "in_force":
        raise Unprocessable("Новую редакцию можно создать только для действующего акта")
    return previous


def _replace_sections(artefact: Artefact, text: str) -> list[Section]:
    return _store_sections(artefact, parse_sections(text))


def _store_sections(artefact: Artefact, parsed: list[ParsedSection]) -> list[Section]:
    artefact.sections = [Section(position=i, number=p.number, text=p.text) for i, p in enumerate(parsed)]
    return artefact.sections


TEXT_WORDS = DraftWords("Документ", "Текст", "этот документ", "обновите и повторите")


def _editable_text(session: Session, rt: Runtime, artefact_id: int, actor_id: int, version: int | None,
                   lock: bool = True) -> Artefact:
    """The act whose text the person may change now; Conflict (stale version, past the draft) or Forbidden."""
    return editable_draft(session, rt.definition, actor_id, artefact_id, version, TEXT_WORDS, lock)[0]


def set_sections(rt: Runtime, artefact_id: int, actor_id: int, text: str, version: int | None = None) -> int:
    """Replace the act's text (only while it is editable); returns the new version."""
    return _write_sections(rt, artefact_id, actor_id, version, lambda: parse_sections(text), {})


def preview_sections_file(rt: Runtime, artefact_id: int, actor_id: int, data: bytes, file_name: str
                          ) -> dict[str, Any]:
    """How a .docx/.txt would become the act's text: sections, the lines left out above them, warnings.
    Writes nothing; refused exactly as saving would be (role, state)."""
    with rt.sessions() as session:
        _editable_text(session, rt, artefact_id, actor_id, None, lock=False)
    return read_text_file(data, file_name).to_dict()


def set_sections_from_file(rt: Runtime, artefact_id: int, actor_id: int, data: bytes, file_name: str,
                           version: int | None = None) -> int:
    """Replace the act's text with the one of a Word .docx (or .txt), read as the preview showed it."""
    return _write_sections(rt, artefact_id, actor_id, version, lambda: read_text_file(data, file_name).sections,
                           {"file_name": file_name, "file_sha256": hashlib.sha256(data).hexdigest()})


def _write_sections(rt: Runtime, artefact_id: int, actor_id: int, version: int | None, parse,  # noqa: ANN001
                    recorded: dict[str, Any]) -> int:
    with transaction(rt.sessions) as session:
        actor = get_user(session, actor_id)
        artefact = _editable_text(session, rt, artefact_id, actor_id, version)
        sections = _store_sections(artefact, parse())
        artefact.updated_at = utcnow()
        session.flush()
        append_entry(session, artefact, actor, "edit_sections", artefact.state, fields={
            "sections": len(sections),
            "text_sha256": hashlib.sha256(sections_as_text(sections).encode()).hexdigest(), **recorded,
        })
        return artefact.version


def _document_summary(doc: StoredDocument, timezone: str) -> dict[str, Any]:
    return {"id": doc.id, "public_id": doc.public_id, "title": doc.title, "file_name": doc.file_name,
            "template": doc.template_name, "sha256": doc.sha256, "size": doc.size,
            "registration_number": doc.registration_number,
            "registration_date": doc.registration_date.isoformat() if doc.registration_date else None,
            "history_sequence": doc.history_sequence, "created_at": local_iso(doc.created_at, timezone)}


def _history_summary(entry: HistoryEntry, timezone: str) -> dict[str, Any]:
    # Times in the school's zone with their offset (ISO 8601): «2026-12-04T22:15:00+03:00».
    return {"sequence": entry.sequence, "at": local_iso(entry.at, timezone), "actor": entry.actor_name,
            "trigger": entry.trigger, "from": entry.from_state, "to": entry.to_state, "comment": entry.comment,
            "fields": entry.fields, "documents": entry.document_hashes, "hash": entry.hash}


def artefact_summary(rt: Runtime, artefact: Artefact, membership: Membership | None = None,
                     roles: set[str] | None = None) -> dict[str, Any]:
    """Plain data of an artefact; with the member's `roles` that day, the transitions they may fire."""
    definition = rt.definition(artefact.kind)
    data = {
        "id": artefact.id, "kind": artefact.kind, "title": artefact.title, "state": artefact.state,
        "state_label": definition.state_label(artefact.state), "version": artefact.version,
        "organisation": {"id": artefact.organisation.id, "short_name": artefact.organisation.short_name},
        "school_year": artefact.school_year, "fields": artefact.fields, "supersedes_id": artefact.supersedes_id,
        "act_type_id": artefact.act_type_id,
        "parent_id": artefact.parent_id, "due_date": artefact.due_date.isoformat() if artefact.due_date else None,
        "created_at": local_iso(artefact.created_at, rt.settings.timezone),
        "updated_at": local_iso(artefact.updated_at, rt.settings.timezone),
    }
    if membership is not None:
        roles = set(membership.roles or []) if roles is None else roles
        data["available_transitions"] = [
            {"trigger": t, "label": definition.transitions[t].label}
            for t in definition.available_triggers(artefact.state) if definition.transitions[t].roles & roles
        ]
    return data


def show_artefact(rt: Runtime, artefact_id: int, user_id: int | None, today: dt.date | None = None,
                  history_limit: int | None = None, documents_limit: int | None = None) -> dict[str, Any]:
    """One artefact with everything its page shows; each available action says whether its rules already
    refuse it (`blocked`, with what to do instead) or warn (`warnings`) before a form is filled.

    With `history_limit` only the latest entries are read (`history_total` says how many there are,
    `visited_states` every state the chain passed through); with `documents_limit` the latest
    documents and those of the entries read. A page then costs the same with 5 or 5 000 entries."""
    with rt.sessions() as session:
        artefact, membership = artefact_for(session, user_id, artefact_id)
        data = artefact_summary(rt, artefact, membership)
        if membership is not None:
            data["available_transitions"] = offered_transitions(
                rt, session, artefact, get_user(session, user_id), membership, today)
        data["sections"] = [{"number": s.number, "text": s.text} for s in artefact.sections]
        data.update(_history_part(session, artefact.id, history_limit, rt.settings.timezone))
        data.update(_documents_part(session, artefact.id, documents_limit, data["history"], rt.settings.timezone))
        # Its neighbours in the quality cycle (audit, findings, actions, checks, reviews), both ways.
        data["trace"] = trace_links(rt, session, artefact)
        return data


def _history_part(session: Session, artefact_id: int, limit: int | None, timezone: str) -> dict[str, Any]:
    of_artefact = HistoryEntry.artefact_id == artefact_id
    if limit is None:
        entries = list(session.scalars(select(HistoryEntry).where(of_artefact).order_by(HistoryEntry.sequence)))
        visited = {e.to_state for e in entries} | {e.from_state for e in entries if e.from_state}
        return {"history": [_history_summary(e, timezone) for e in entries], "history_total": len(entries),
                "visited_states": sorted(visited)}
    latest = list(session.scalars(select(HistoryEntry).where(of_artefact)
                                  .order_by(HistoryEntry.sequence.desc()).limit(limit)))
    total = session.scalar(select(func.count()).select_from(HistoryEntry).where(of_artefact)) or 0
    visited = set()
    for from_state, to_state in session.execute(select(HistoryEntry.from_state, HistoryEntry.to_state)
                                                .where(of_artefact).distinct()):
        visited |= {to_state} | ({from_state} if from_state else set())
    return {"history": [_history_summary(e, timezone) for e in reversed(latest)], "history_total": total,
            "visited_states": sorted(visited)}


def _documents_part(session: Session, artefact_id: int, limit: int | None, history: list[dict[str, Any]],
                    timezone: str) -> dict[str, Any]:
    of_artefact = StoredDocument.artefact_id == artefact_id
    if limit is None:
        documents = list(session.scalars(select(StoredDocument).where(of_artefact).order_by(StoredDocument.id)))
        return {"documents": [_document_summary(d, timezone) for d in documents], "documents_total": len(documents)}
    latest = list(session.scalars(select(StoredDocument).where(of_artefact)
                                  .order_by(StoredDocument.id.desc()).limit(limit)))
    # … and those the history entries read link to, so that each entry shows its own documents.
    first_sequence = history[0]["sequence"] if history else None
    of_entries = list(session.scalars(select(StoredDocument).where(
        of_artefact, StoredDocument.history_sequence >= first_sequence))) if first_sequence is not None else []
    total = session.scalar(select(func.count()).select_from(StoredDocument).where(of_artefact)) or 0
    documents = sorted({d.id: d for d in latest + of_entries}.values(), key=lambda d: d.id)
    return {"documents": [_document_summary(d, timezone) for d in documents], "documents_total": total,
            "documents_latest": [d.id for d in latest]}


def list_artefacts(rt: Runtime, user_id: int | None, *, kind: str | None = None, state: str | None = None,
                   school_year: str | None = None, text: str | None = None, organisation_id: int | None = None,
                   limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """Artefacts of the organisations the user belongs to, newest first, with the total count."""
    with rt.sessions() as session:
        memberships = {m.organisation_id: m for m in session.scalars(
            select(Membership).where(Membership.user_id == user_id))} if user_id is not None else {}
        query = select(Artefact)
        if user_id is not None:
            org_ids = [organisation_id] if organisation_id in memberships else list(memberships)
            query = query.where(Artefact.organisation_id.in_(org_ids))
        elif organisation_id is not None:
            query = query.where(Artefact.organisation_id == organisation_id)
        if kind:
            query = query.where(Artefact.kind == kind)
        if state:
            query = query.where(Artefact.state == state)
        if school_year:
            query = query.where(Artefact.school_year == school_year)
        if text:
            query = query.where(contains_text(session, Artefact.title, text))
        total = session.scalar(select(func.count()).select_from(query.subquery()))
        rows = session.scalars(query.options(selectinload(Artefact.organisation))
                               .order_by(Artefact.id.desc()).limit(limit).offset(offset)).all()
        today = rt.today()
        roles = {org: roles_on(session, m, today) for org, m in memberships.items()}
        items = [artefact_summary(rt, a, memberships.get(a.organisation_id), roles.get(a.organisation_id))
                 for a in rows]
        return {"items": items, "total": total, "limit": limit, "offset": offset}


def artefact_documents(rt: Runtime, artefact_id: int, user_id: int | None) -> list[tuple[str, bytes]]:
    """(file name, bytes) of every stored document of the artefact, oldest first."""
    with rt.sessions() as session:
        artefact, _ = artefact_for(session, user_id, artefact_id)
        docs = session.scalars(select(StoredDocument).where(StoredDocument.artefact_id == artefact.id)
                               .options(undefer(StoredDocument.content)).order_by(StoredDocument.id)).all()
        return [(f"{d.history_sequence:02d}_{d.id}_{d.file_name}", d.content) for d in docs]
