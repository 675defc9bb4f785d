"""What a person works with: the actions waiting for them, their deadlines, the colleagues they
can name in a form, and the stored documents they may open.

Every function checks membership in the organisation first; every read is a bounded number
of queries, whatever the number of artefacts (filters in SQL, a limit on the rows).
"""
from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from docx import Document
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from sqlalchemy import String, and_, case, cast, collate, exists, func, literal, null, or_, select, union_all
from sqlalchemy.orm import Session, aliased, undefer

from ..documents.render import release_documents
from ..documents.russian import surname_initials
from ..engine.definitions import WorkflowDefinition
from ..models import Acquaintance, Artefact, ArtefactAssignee, Membership, Organisation, Signature, StoredDocument, User
from ..procedures.acting import task_roles_on
from .access import membership_in
from .errors import NotFound
from .runtime import Runtime
from .monitoring import monitoring_tasks
from .signatures import pending_for
from .transitions import OPTIONAL_STEPS

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


# The groups of «Мои задачи», in the order the page shows them.
GROUPS: tuple[tuple[str, str], ...] = (
    ("today", "Сегодня"), ("overdue", "Просрочено"), ("week", "На этой неделе"), ("later", "Позже"),
    ("none", "Без срока"),
)
GROUP_PREVIEW = 10      # cards of each group on the first view; «ещё N» opens the group
GROUP_PAGE = 25         # cards per page of one opened group
DOCUMENT_OPTIONS = 40   # documents offered in the filter (those with most tasks first)
DEADLINES_SHOWN = 10    # rows of the «Сроки» card
DEADLINE_COUNT_CAP = 1000  # the «Сроки» count stops here («1000+»): counting a year's items is not worth it


@dataclass(frozen=True)
class TaskFilter:
    """What the person narrowed «Мои задачи» to; every value comes from the page's own form."""

    school_year: str = ""          # "" — every year
    document_id: int | None = None  # a plan, meeting or act: itself and its control items
    action: str = ""               # a trigger («report», «accept»)
    group: str = ""                # one group opened and paged
    page: int = 1


def my_tasks(rt: Runtime, user_id: int, organisation_id: int, today: dt.date | None = None,
             horizon_days: int = DEADLINE_HORIZON_DAYS, limit: int = DEADLINES_SHOWN,
             filters: TaskFilter | None = None) -> dict[str, Any]:
    """The start page: artefacts waiting for the user's action grouped by their deadline, the
    documents waiting for their signature, and their deadlines due soon or overdue.

    A fixed number of queries whatever the number of items (counts per group, one ranked query
    for the cards, one for the filter's documents)."""
    today = today or rt.today()
    filters = filters or TaskFilter()
    with rt.sessions() as session:
        membership = _membership_or_404(session, user_id, organisation_id)
        login = session.scalar(select(User.login).where(User.id == user_id))
        uses_start = bool(session.scalar(select(Organisation.uses_start_step)
                                         .where(Organisation.id == organisation_id)))
        # An absent director's tasks go to the one acting for her that day (procedures/acting.py).
        roles = task_roles_on(session, membership, today)
        by_kind = _task_triggers(rt, roles, uses_start)
        action_kinds = _action_kinds(rt, by_kind)
        if filters.action:
            by_kind = _only_trigger(by_kind, filters.action)
        waiting = _waiting_actions(rt, session, organisation_id, user_id, by_kind, today, filters)
        deadlines, deadline_counts = _deadlines(rt, session, organisation_id, user_id, login, today,
                                                today + dt.timedelta(days=horizon_days), limit)
        signatures, signatures_total = pending_for(session, user_id, organisation_id, TASK_LIMIT)
        monitoring = monitoring_tasks(session, user_id, organisation_id, today)
        return {**waiting, "monitoring": monitoring, "action_kinds": action_kinds, "filters": filters,
                "deadlines": deadlines,
                "signatures": signatures, "signatures_total": signatures_total,
                "deadlines_total": deadline_counts[0], "overdue_total": deadline_counts[1],
                "deadlines_capped": deadline_counts[0] > DEADLINE_COUNT_CAP,
                "horizon_days": horizon_days, "today": today}


def _assigned_to(user_id: int):
    return exists().where(ArtefactAssignee.artefact_id == Artefact.id, ArtefactAssignee.user_id == user_id)


def _task_triggers(rt: Runtime, roles: set[str], uses_start: bool) -> dict[str, dict[str, list[tuple[str, bool]]]]:
    """Kind → state → (trigger, only for assignees) the person may fire; a step the school skips left out."""
    result = {}
    for kind, definition in rt.definitions.items():
        skipped = set() if uses_start else {OPTIONAL_STEPS.get(kind)}
        states = {state: [(t, only) for t, only in triggers if t not in skipped]
                  for state, triggers in actionable_states(definition, roles).items()}
        result[kind] = {state: triggers for state, triggers in states.items() if triggers}
    return result


def _only_trigger(by_kind: dict[str, dict[str, list[tuple[str, bool]]]], trigger: str
                  ) -> dict[str, dict[str, list[tuple[str, bool]]]]:
    return {kind: {state: [(t, only) for t, only in triggers if t == trigger]
                   for state, triggers in states.items() if any(t == trigger for t, _ in triggers)}
            for kind, states in by_kind.items()}


def _action_kinds(rt: Runtime, by_kind: dict[str, dict[str, list[tuple[str, bool]]]]) -> list[dict[str, str]]:
    """The kinds of action the person may be asked for, for the filter: one entry per trigger."""
    labels: dict[str, str] = {}
    for kind, states in by_kind.items():
        for triggers in states.values():
            for trigger, _ in triggers:
                labels.setdefault(trigger, rt.definitions[kind].transitions[trigger].label)
    return [{"trigger": trigger, "label": label} for trigger, label in sorted(labels.items(), key=lambda x: x[1])]


def _field_due(rt: Runtime):  # noqa: ANN202 - an SQL expression
    """The act deadline (an ISO string in the fields) open in the artefact's state, else NULL."""
    whens = [(and_(Artefact.kind == kind, Artefact.state.in_(sorted(states))), Artefact.fields[name].as_string())
             for kind, definition in rt.definitions.items() for name, states in deadline_states(definition).items()]
    return case(*whens, else_=null()) if whens else null()


def _due_expression(rt: Runtime, dialect: str):  # noqa: ANN202 - an SQL expression
    """An artefact's deadline as an ISO date string: its due date, else the act deadline open in its state.

    On PostgreSQL compared byte by byte (COLLATE "C"): ISO dates need no locale, and sorting a
    year's items under the database's locale costs more than the rest of the query."""
    due = func.coalesce(cast(Artefact.due_date, String), _field_due(rt))
    return collate(due, "C") if dialect == "postgresql" else due


# Groups as small numbers in SQL (cheap to partition and sort), keys on the page.
_GROUP_CODES = {key: code for code, (key, _) in enumerate(GROUPS)}


def _group_expression(rt: Runtime, today: dt.date):  # noqa: ANN202 - an SQL expression
    """The group's code: compared as dates where the item has a due date (most rows: no date
    formatting per comparison), as ISO strings for the act deadlines kept in fields."""
    week_end = today + dt.timedelta(days=6 - today.weekday())
    code = _GROUP_CODES

    def by(value, first, last):  # noqa: ANN001, ANN202 - an SQL expression and its bounds
        return case((value < first, code["overdue"]), (value == first, code["today"]),
                    (value <= last, code["week"]), else_=code["later"])

    field_due = _field_due(rt)
    return case((Artefact.due_date.is_not(None), by(Artefact.due_date, today, week_end)),
                (field_due.is_(None), code["none"]), else_=by(field_due, today.isoformat(), week_end.isoformat()))


def _candidates(by_kind: dict[str, dict[str, list[tuple[str, bool]]]], organisation_id: int, user_id: int,
                filters: TaskFilter, with_document: bool = True) -> list[Any] | None:
    """The WHERE clause of the person's tasks; None when no state of any kind waits for them."""
    # Not a correlated EXISTS: inside the OR, PostgreSQL would run it once per row of the school;
    # an uncorrelated IN is hashed once.
    assigned = Artefact.id.in_(select(ArtefactAssignee.artefact_id).where(ArtefactAssignee.user_id == user_id))
    conditions = []
    for kind, states in by_kind.items():
        anyone = [s for s, triggers in states.items() if any(not only for _, only in triggers)]
        assignees = [s for s, triggers in states.items() if s not in anyone]
        if anyone:
            conditions.append(and_(Artefact.kind == kind, Artefact.state.in_(anyone)))
        if assignees:
            conditions.append(and_(Artefact.kind == kind, Artefact.state.in_(assignees), assigned))
    if not conditions:
        return None
    where = [Artefact.organisation_id == organisation_id, or_(*conditions)]
    if filters.school_year:
        where.append(Artefact.school_year == filters.school_year)
    if with_document and filters.document_id:
        where.append(or_(Artefact.id == filters.document_id, Artefact.parent_id == filters.document_id))
    return where


def _waiting_actions(rt: Runtime, session: Session, organisation_id: int, user_id: int,
                     by_kind: dict[str, dict[str, list[tuple[str, bool]]]], today: dt.date,
                     filters: TaskFilter) -> dict[str, Any]:
    """Groups of cards (with counts), the cards shown, and the documents the filter offers."""
    where = _candidates(by_kind, organisation_id, user_id, filters)
    if where is None:
        empty = [{"key": key, "label": label, "count": 0, "items": [], "more": 0} for key, label in GROUPS]
        return {"groups": empty, "actions": [], "actions_total": 0, "documents": [], "pages": 1}
    due = _due_expression(rt, session.get_bind().dialect.name)
    group = _group_expression(rt, today)
    counted = select(group.label("grp")).where(*where).subquery()
    keys = {code: key for key, code in _GROUP_CODES.items()}
    counts = {keys[code]: n for code, n in session.execute(select(counted.c.grp, func.count())
                                                              .group_by(counted.c.grp)).all()}
    rows = _ranked_rows(session, where, due, group, user_id, filters)
    documents = _document_options(session, _candidates(by_kind, organisation_id, user_id, filters, False))
    cards: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        cards[keys[row.grp]].append(_card(rt, row, by_kind, today))
    groups = []
    for key, label in GROUPS:
        if filters.group and key != filters.group:
            continue
        shown = cards.get(key, [])
        groups.append({"key": key, "label": label, "count": counts.get(key, 0), "items": shown,
                       "more": max(counts.get(key, 0) - len(shown), 0) if not filters.group else 0})
    pages = max(1, -(-counts.get(filters.group, 0) // GROUP_PAGE)) if filters.group else 1
    return {"groups": groups, "actions": [card for g in groups for card in g["items"]],
            "actions_total": sum(counts.values()), "documents": documents, "pages": pages}


def _ranked_rows(session: Session, where: list[Any], due, group, user_id: int,  # noqa: ANN001
                 filters: TaskFilter) -> list[Any]:
    """The cards of each group, the earliest deadline first: the first GROUP_PREVIEW of every group,
    or one page of the opened group. One query (a window numbers the rows within their group)."""
    order = (due, Artefact.parent_id, Artefact.id)
    # Narrow rows are ranked (id, deadline, group); the cards' columns are read for the rows shown.
    ranked = (select(Artefact.id, due.label("due"), group.label("grp"),
                     func.row_number().over(partition_by=group, order_by=order).label("rank"))
              .where(*where).subquery())
    query = select(ranked.c.id, ranked.c.due, ranked.c.grp, ranked.c.rank)
    if filters.group:
        first = (max(filters.page, 1) - 1) * GROUP_PAGE
        query = query.where(ranked.c.grp == _GROUP_CODES[filters.group], ranked.c.rank > first,
                            ranked.c.rank <= first + GROUP_PAGE)
    else:
        query = query.where(ranked.c.rank <= GROUP_PREVIEW)
    shown = session.execute(query.order_by(ranked.c.grp, ranked.c.rank)).all()
    if not shown:
        return []
    # The cards' columns for the few rows shown: a second, small query by id (the planner cannot
    # tell how few rows the window leaves, and would join the whole school to find them).
    parent = aliased(Artefact)
    details = {row.id: row for row in session.execute(
        select(Artefact.id, Artefact.kind, Artefact.title, Artefact.state, Artefact.school_year, Artefact.parent_id,
               parent.title.label("parent_title"), parent.kind.label("parent_kind"),
               _assigned_to(user_id).label("assigned"))
        .outerjoin(parent, parent.id == Artefact.parent_id).where(Artefact.id.in_([row.id for row in shown])))}
    return [_ShownRow(**details[row.id]._asdict(), due=row.due, grp=row.grp) for row in shown]


@dataclass(frozen=True)
class _ShownRow:
    id: int
    kind: str
    title: str
    state: str
    school_year: str
    parent_id: int | None
    parent_title: str | None
    parent_kind: str | None
    assigned: bool
    due: Any
    grp: int


def _card(rt: Runtime, row: Any, by_kind: dict[str, dict[str, list[tuple[str, bool]]]], today: dt.date
          ) -> dict[str, Any]:
    definition = rt.definitions[row.kind]
    due_date = dt.date.fromisoformat(str(row.due)[:10]) if row.due else None
    return {
        "id": row.id, "kind": row.kind, "kind_title": definition.title, "title": row.title,
        "state": row.state, "state_label": definition.state_label(row.state), "school_year": row.school_year,
        "due": due_date, "days_left": (due_date - today).days if due_date else None,
        "overdue": due_date is not None and due_date < today,
        "document": {"id": row.parent_id, "title": row.parent_title,
                     "kind_title": rt.definitions[row.parent_kind].title if row.parent_kind in rt.definitions else ""}
        if row.parent_id else None,
        "transitions": [{"trigger": t, "label": definition.transitions[t].label,
                         "secondary": definition.transitions[t].comment_required}
                        for t, only_assignees in by_kind[row.kind].get(row.state, [])
                        if row.assigned or not only_assignees],
    }


def _document_options(session: Session, where: list[Any] | None) -> list[dict[str, Any]]:
    """The plans, meetings and acts the person has tasks in, the most tasks first (for the filter)."""
    if where is None:
        return []
    document_id = func.coalesce(Artefact.parent_id, Artefact.id)
    per_document = (select(document_id.label("document_id"), func.count().label("tasks"))
                    .where(*where).group_by(document_id).subquery())
    rows = session.execute(select(per_document.c.document_id, per_document.c.tasks, Artefact.title)
                           .join(Artefact, Artefact.id == per_document.c.document_id)
                           .order_by(per_document.c.tasks.desc(), per_document.c.document_id)
                           .limit(DOCUMENT_OPTIONS)).all()
    return [{"id": row.document_id, "title": row.title, "tasks": row.tasks} for row in rows]


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
    # (the earliest CAP of them, in date order, so that the due-date index can stop early)
    items = (due_rows("due_date", cast(Artefact.due_date, String), or_(*open_states), _assigned_to(user_id),
                      Artefact.due_date <= horizon).order_by(Artefact.due_date, Artefact.id)
             .limit(DEADLINE_COUNT_CAP + 1).subquery())
    parts.append(select(items))
    # … and the documents waiting for the user's signature by a date.
    parts.append(due_rows("signature", cast(Signature.due_date, String), Signature.signer_id == user_id,
                          Signature.state == "pending", Signature.due_date <= horizon)
                 .join(Signature, Signature.artefact_id == Artefact.id))
    union = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    # Counted up to a cap, the earliest first: a year of items costs no more than a thousand rows,
    # and the overdue ones (the earliest) are all in it unless there are more than the cap.
    found = (select(union).order_by(union.c.due, union.c.artefact_id, union.c.field)
             .limit(DEADLINE_COUNT_CAP + 1).subquery())
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
