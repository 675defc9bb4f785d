"""Artefacts that one artefact's action creates or moves: a child with its first history entry,
and a move of another artefact by one of its system transitions.

One place for both, so that a faster way of writing many children at once (a bulk insert with
their first history entries) replaces one function. Used by the quality cycle: findings of an
audit, its corrective-action plan, effectiveness checks of accepted actions, next year's plan.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from ..engine.definitions import WorkflowDefinition
from ..engine.history import append_entry
from ..engine.registry import ActionError
from ..models import Artefact, User


def add_child(session: Session, definition: WorkflowDefinition, *, organisation_id: int, actor: User,
              title: str, school_year: str, fields: dict[str, Any], parent_id: int | None = None,
              due_date: dt.date | None = None, history_fields: dict[str, Any] | None = None) -> Artefact:
    """A new artefact in its kind's initial state, flushed (it has an id), with its «create» entry."""
    child = Artefact(kind=definition.kind, organisation_id=organisation_id, state=definition.initial,
                     title=" ".join(title.split())[:1000], school_year=school_year, fields=fields,
                     parent_id=parent_id, due_date=due_date, author_id=actor.id)
    session.add(child)
    session.flush()
    append_entry(session, child, actor, "create", "",
                 fields=history_fields if history_fields is not None else {"title": child.title, **fields})
    return child


def locked(session: Session, artefact_id: int) -> Artefact:
    """Another artefact, row-locked until commit (changes of this session flushed first)."""
    session.flush()
    found = session.get(Artefact, artefact_id, with_for_update=True, populate_existing=True)
    if found is None:
        raise ActionError(f"Документ № {artefact_id} не найден")
    return found


def move_by_system(session: Session, definitions: dict[str, WorkflowDefinition], artefact: Artefact,
                   trigger: str, actor: User, comment: str = "", fields: dict[str, Any] | None = None) -> bool:
    """Fire a system transition of another artefact (the caller holds its row lock): state and one
    history entry. False, and nothing written, when the artefact is not in a source state."""
    definition = definitions[artefact.kind]
    transition = definition.transitions[trigger]
    if artefact.state not in transition.sources:
        return False
    from_state = artefact.state
    artefact.state = transition.dest
    append_entry(session, artefact, actor, trigger, from_state, comment=comment, fields=fields or {})
    return True
