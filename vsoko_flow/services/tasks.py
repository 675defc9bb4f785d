"""What a person works with: the actions waiting for them, their deadlines, the colleagues they
can name in a form, and the stored documents they may open.

Every function checks membership in the organisation first; every read is a bounded number
of queries, whatever the number of artefacts (filters in SQL, a limit on the rows).
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from docx import Document
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from sqlalchemy import String, and_, case, cast, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, undefer

from ..documents.render import release_documents
from ..documents.russian import surname_initials
from ..engine.definitions import WorkflowDefinition
from ..models import Acquaintance, Artefact, ArtefactAssignee, Membership, Signature, StoredDocument, User
from ..procedures.acting import task_roles_on
from .access import membership_in
from .errors import NotFound
from .runtime import Runtime
from .signatures import pending_for

DEADLINE_HORIZON_DAYS = 14
TASK_LIMIT = 50

# The act deadlines that actions store in an artefact's fields, and what each asks of a person.
DEADLINE_FIELDS: dict[str, str] = {
    "opinion_deadline": "Получить мотивированное мнение советов",
    "acquaintance_deadline": "Ознакомить работников с актом под роспись",
    "publication_deadline": "Разместить акт на сайте школы",
}
# A deadline is closed once its artefact has the field «<name without _deadline>_done» (the date it was
# done): ознакомление and размещение are closed by their own actions in the state they are open in.
DEADLINE_DONE_SUFFIX = "_done"
# Rules that let only the item's assignees act (see procedures/control.py).
ASSIGNEE_RULES = frozenset({"actor_is_assignee"})
DUE_DATE_LABEL = "Исполнить пункт"
SIGNATURE_LABEL = "Подписать документ"
ACKNOWLEDGEMENT_LABEL = "Ознакомиться с актом под подпись"
_OTHER_DEADLINES = {"signature": SIGNATURE_LABEL, "acknowledgement": ACKNOWLEDGEMENT_LABEL}
# The deadline of each employee on an act's лист ознакомления (procedures/acquaintance.py).
ACKNOWLEDGEMENT_DEADLINE = "acquaintance_deadline"
# Which deadline fields each registered action sets (the response deadline names its field).
_ACTION_DEADLINES = {"set_deadlines": ("acquaintance_deadline", "publication_deadline")}


def _membership_or_404(session: Session, user_id: int, organisation_id: int) -> Membership:
    membership = membership_in(session, user_id, organisation_id)
    if membership is None:
        raise NotFound("Организация не найдена")
    return membership


# --- «Мои задачи» -------------------------------------------------------------------------------

def actionable_states(definition: WorkflowDefinition, roles: set[str]) -> dict[str, list[tuple[str, bool]]]:
    """State → (trigger, only for assignees) the roles may fire there; system transitions excluded.

    A transition guarded by an assignee rule is somebody's task only on the items assigned to
    them: a deputy may act for an executor, but every planned item is not her task.
    """
    result: dict[str, list[tuple[str, bool]]] = {}
    for state in definition.states:
        triggers = [(t, any(step.name in ASSIGNEE_RULES for step in definition.transitions[t].rules))
                    for t in definition.available_triggers(state)
                    if definition.transitions[t].roles & roles and definition.transitions[t].task]
        if triggers:
            result[state] = triggers
    return result


def done_field(deadline_field: str) -> str:
    """«acquaintance_deadline» → «acquaintance_done»: the field whose value closes the deadline."""
    return deadline_field.removesuffix("_deadline") + DEADLINE_DONE_SUFFIX


def deadline_states(definition: WorkflowDefinition) -> dict[str, frozenset[str]]:
    """Deadline field → the states in which it is open: where the transition that sets it leads.

    Read from the workflow file, so the opinion deadline stops counting once the act leaves
    «на учёте мнения», and the acquaintance deadline once it is no longer in force.
    """
    found: dict[str, set[str]] = {}
    for transition in definition.transitions.values():
        for step in transition.actions:
            names = _ACTION_DEADLINES.get(step.name, ())
            if step.name == "set_response_deadline":
                names = (step.params.get("field", ""),)
            for name in names:
                if name in DEADLINE_FIELDS:
                    found.setdefault(name, set()).add(transition.dest)
    return {name: frozenset(states) for name, states in found.items()}


def my_tasks(rt: Runtime, user_id: int, organisation_id: int, today: dt.date | None = None,
             horizon_days: int = DEADLINE_HORIZON_DAYS, limit: int = TASK_LIMIT) -> dict[str, Any]:
    """The start page: artefacts waiting for the user's action, and their deadlines due soon or overdue."""
    today = today or dt.date.today()
    with rt.sessions() as session:
        membership = _membership_or_404(session, user_id, organisation_id)
        login = session.scalar(select(User.login).where(User.id == user_id))
        # An absent director's tasks go to the one acting for her that day (procedures/acting.py).
        roles = task_roles_on(session, membership, today)
        actions, actions_total = _waiting_actions(rt, session, organisation_id, user_id, roles, limit)
        deadlines, deadline_counts = _deadlines(rt, session, organisation_id, user_id, login, today,
                                                today + dt.timedelta(days=horizon_days), limit)
        signatures, signatures_total = pending_for(session, user_id, organisation_id, limit)
        return {"actions": actions, "actions_total": actions_total, "deadlines": deadlines,
                "signatures": signatures, "signatures_total": signatures_total,
                "deadlines_total": deadline_counts[0], "overdue_total": deadline_counts[1],
                "horizon_days": horizon_days, "today": today}


def _assigned_to(user_id: int):
    return exists().where(ArtefactAssignee.artefact_id == Artefact.id, ArtefactAssignee.user_id == user_id)


def _waiting_actions(rt: Runtime, session: Session, organisation_id: int, user_id: int, roles: set[str],
                     limit: int) -> tuple[list[dict[str, Any]], int]:
    by_kind = {kind: actionable_states(definition, roles) for kind, definition in rt.definitions.items()}
    assigned = _assigned_to(user_id)
    conditions = []
    for kind, states in by_kind.items():
        anyone = [s for s, triggers in states.items() if any(not only for _, only in triggers)]
        assignees = [s for s, triggers in states.items() if s not in anyone]
        if anyone:
            conditions.append(and_(Artefact.kind == kind, Artefact.state.in_(anyone)))
        if assignees:
            conditions.append(and_(Artefact.kind == kind, Artefact.state.in_(assignees), assigned))
    if not conditions:
        return [], 0
    where = (Artefact.organisation_id == organisation_id, or_(*conditions))
    total = session.scalar(select(func.count()).select_from(Artefact).where(*where)) or 0
    rows = session.execute(
        select(Artefact.id, Artefact.kind, Artefact.title, Artefact.state, Artefact.school_year, Artefact.updated_at,
               assigned.label("assigned"))
        .where(*where).order_by(Artefact.updated_at.desc(), Artefact.id.desc()).limit(limit)).all()
    groups = []
    for row in rows:
        definition = rt.definitions[row.kind]
        groups.append({
            "id": row.id, "kind": row.kind, "kind_title": definition.title, "title": row.title,
            "state": row.state, "state_label": definition.state_label(row.state), "school_year": row.school_year,
            "updated_at": row.updated_at,
            "transitions": [{"trigger": t, "label": definition.transitions[t].label,
                             "secondary": definition.transitions[t].comment_required}
                            for t, only_assignees in by_kind[row.kind][row.state] if row.assigned or not only_assignees],
        })
    return groups, total


def _deadlines(rt: Runtime, session: Session, organisation_id: int, user_id: int, login: str | None,
               today: dt.date, horizon: dt.date, limit: int) -> tuple[list[dict[str, Any]], tuple[int, int]]:
    mine = or_(Artefact.author_id == user_id, Artefact.fields["responsible"].as_string() == (login or ""))
    def due_rows(field: str, due, *where):  # noqa: ANN001, ANN202 - SQL expressions
        return (select(Artefact.id.label("artefact_id"), Artefact.kind.label("kind"), Artefact.title.label("title"),
                       Artefact.state.label("state"), literal(field, String).label("field"), due.label("due"))
                .where(Artefact.organisation_id == organisation_id, due.is_not(None), *where))

    # Act deadlines kept in fields (ISO strings compare as dates), for the author or the responsible …
    parts = [due_rows(name, Artefact.fields[name].as_string(), Artefact.kind == kind,
                      Artefact.state.in_(sorted(states)), mine, Artefact.fields[name].as_string() <= horizon.isoformat(),
                      Artefact.fields[done_field(name)].as_string().is_(None))
             for kind, definition in rt.definitions.items() for name, states in deadline_states(definition).items()]
    # … the acts the user has to acknowledge, by the acquaintance deadline …
    acknowledgement_kinds = [and_(Artefact.kind == kind, Artefact.state.in_(sorted(states)))
                             for kind, definition in rt.definitions.items()
                             for name, states in deadline_states(definition).items() if name == ACKNOWLEDGEMENT_DEADLINE]
    if acknowledgement_kinds:
        due = Artefact.fields[ACKNOWLEDGEMENT_DEADLINE].as_string()
        parts.append(due_rows("acknowledgement", due, or_(*acknowledgement_kinds), due <= horizon.isoformat())
                     .join(Acquaintance, and_(Acquaintance.artefact_id == Artefact.id, Acquaintance.user_id == user_id,
                                              Acquaintance.acknowledged_at.is_(None))))
    # … and due dates of open items assigned to the user.
    open_states = [and_(Artefact.kind == kind, Artefact.state.not_in(_final_states(definition)))
                   for kind, definition in rt.definitions.items()]
    parts.append(due_rows("due_date", cast(Artefact.due_date, String), or_(*open_states), _assigned_to(user_id),
                          Artefact.due_date <= horizon))
    # … and the documents waiting for the user's signature by a date.
    parts.append(due_rows("signature", cast(Signature.due_date, String), Signature.signer_id == user_id,
                          Signature.state == "pending", Signature.due_date <= horizon)
                 .join(Signature, Signature.artefact_id == Artefact.id))
    found = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    # The totals ride along on every row (window functions): the union is evaluated once.
    total = func.count().over().label("total")
    overdue = func.sum(case((found.c.due < today.isoformat(), 1), else_=0)).over().label("overdue")
    rows = session.execute(select(found, total, overdue)
                           .order_by(found.c.due, found.c.artefact_id, found.c.field).limit(limit)).all()
    counts = (rows[0].total, rows[0].overdue) if rows else (0, 0)
    items = []
    for row in rows:
        due = dt.date.fromisoformat(str(row.due)[:10])
        definition = rt.definitions[row.kind]
        items.append({"artefact_id": row.artefact_id, "title": row.title, "kind_title": definition.title,
                      "state_label": definition.state_label(row.state), "field": row.field,
                      "label": DEADLINE_FIELDS.get(row.field) or _OTHER_DEADLINES.get(row.field, DUE_DATE_LABEL), "due": due, "days_left": (due - today).days,
                      "overdue": due < today})
    return items, (int(counts[0]), int(counts[1]))


def _final_states(definition: WorkflowDefinition) -> list[str]:
    return [name for name, state in definition.states.items() if state.final]


# --- People and editions a form offers -----------------------------------------------------------

def member_label(user: User, membership: Membership) -> str:
    """«Иванова И.И. — Заместитель директора по УВР»."""
    name = surname_initials(user.last_name, user.first_name, user.middle_name)
    return f"{name} — {membership.position}" if membership.position else name


def organisation_members(rt: Runtime, user_id: int, organisation_id: int) -> list[dict[str, Any]]:
    """Active members of the organisation, by surname: login, label, roles."""
    with rt.sessions() as session:
        _membership_or_404(session, user_id, organisation_id)
        rows = session.execute(
            select(User, Membership).join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == organisation_id, User.is_active.is_(True))
            .order_by(User.last_name, User.first_name, User.id)).all()
        return [{"login": user.login, "label": member_label(user, membership), "full_name": user.full_name,
                 "roles": list(membership.roles or [])} for user, membership in rows]


def in_force_editions(rt: Runtime, user_id: int, organisation_id: int, kind: str, limit: int = 200
                      ) -> list[dict[str, Any]]:
    """Acts of this kind in force now: the editions a new draft may replace."""
    with rt.sessions() as session:
        _membership_or_404(session, user_id, organisation_id)
        rows = session.execute(
            select(Artefact.id, Artefact.title, Artefact.school_year, Artefact.fields)
            .where(Artefact.organisation_id == organisation_id, Artefact.kind == kind, Artefact.state == "in_force")
            .order_by(Artefact.id.desc()).limit(limit)).all()
        return [{"id": r.id, "title": r.title, "school_year": r.school_year,
                 "order_number": (r.fields or {}).get("order_number"), "order_date": (r.fields or {}).get("order_date")}
                for r in rows]


def school_years(rt: Runtime, user_id: int, organisation_id: int) -> list[str]:
    """School years that occur among the organisation's artefacts, newest first."""
    with rt.sessions() as session:
        _membership_or_404(session, user_id, organisation_id)
        years = session.scalars(select(Artefact.school_year).where(Artefact.organisation_id == organisation_id)
                                .distinct().order_by(Artefact.school_year.desc())).all()
        return [year for year in years if year]


# --- Stored documents ---------------------------------------------------------------------------

@dataclass(frozen=True)
class DocumentFile:
    id: int
    artefact_id: int
    title: str
    file_name: str
    size: int
    sha256: str
    created_at: dt.datetime
    content: bytes | None = None


def document_for(rt: Runtime, document_id: int, user_id: int, with_content: bool = False) -> DocumentFile:
    """A stored document the user may open; another organisation's document is reported as missing."""
    with rt.sessions() as session:
        query = select(StoredDocument).where(StoredDocument.id == document_id)
        if with_content:
            query = query.options(undefer(StoredDocument.content))
        document = session.scalars(query).first()
        if document is None or membership_in(session, user_id, document.organisation_id) is None:
            raise NotFound(f"Документ № {document_id} не найден")
        return DocumentFile(id=document.id, artefact_id=document.artefact_id, title=document.title,
                            file_name=document.file_name, size=document.size, sha256=document.sha256,
                            created_at=document.created_at, content=document.content if with_content else None)


def document_blocks(content: bytes) -> list[dict[str, Any]]:
    """The body of a .docx as plain blocks in order: paragraphs and tables (cell texts)."""
    blocks = _blocks(Document(io.BytesIO(content)))
    release_documents()
    return blocks


def _blocks(document) -> list[dict[str, Any]]:  # noqa: ANN001 - a python-docx Document
    blocks: list[dict[str, Any]] = []
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            paragraph = Paragraph(child, document)
            blocks.append(_paragraph_block(paragraph))
        elif child.tag == qn("w:tbl"):
            blocks.append({"type": "table", "rows": _table_rows(Table(child, document))})
    return blocks


def _paragraph_block(paragraph: Paragraph) -> dict[str, Any]:
    text = paragraph.text
    runs = [run for run in paragraph.runs if run.text.strip()]
    bold = bool(runs) and all(run.bold or (run.bold is None and _style_bold(paragraph)) for run in runs)
    alignment = paragraph.alignment
    align = {1: "center", 2: "right", 3: "justify"}.get(int(alignment) if alignment is not None else 0, "left")
    return {"type": "paragraph", "text": text, "bold": bold, "align": align}


def _style_bold(paragraph: Paragraph) -> bool:
    style = paragraph.style
    return bool(style is not None and style.font is not None and style.font.bold)


def _table_rows(table: Table) -> list[list[str]]:
    rows = []
    for row in table.rows:
        cells, previous = [], None
        for cell in row.cells:
            # A horizontally merged cell is returned once per grid column: show it once.
            if previous is not None and cell._tc is previous:
                continue
            previous = cell._tc
            cells.append("\n".join(p.text for p in cell.paragraphs).strip())
        rows.append(cells)
    return rows
