"""What rules, actions and document sources see while a transition is being fired."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Artefact, Membership, User
from .definitions import TransitionDef, WorkflowDefinition
from .fields import parse_date

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


@dataclass
class TransitionContext:
    session: Session
    artefact: Artefact
    definition: WorkflowDefinition
    transition: TransitionDef
    actor: User
    membership: Membership
    submitted: dict[str, Any]
    comment: str
    today: dt.date
    base_url: str
    # Every workflow definition, for actions that create artefacts of another kind.
    definitions: dict[str, WorkflowDefinition] = field(default_factory=dict)
    # Fields the transition's actions set; merged into the artefact's fields at the end.
    updates: dict[str, Any] = field(default_factory=dict)
    # Facts actions leave for the documents (e.g. which edition was superseded).
    notes: dict[str, Any] = field(default_factory=dict)

    def value(self, name: str) -> Any:
        for source in (self.updates, self.submitted, self.artefact.fields):
            if name in source:
                return source[name]
        return None

    def date_value(self, name: str) -> dt.date | None:
        raw = self.value(name)
        return parse_date(raw) if raw else None

    def set_field(self, name: str, value: Any) -> None:
        self.updates[name] = value

    def label_of(self, name: str) -> str:
        for spec in (*self.transition.fields, *self.definition.fields):
            if spec.name == name:
                return spec.label
        return name

    def required_opinion_bodies(self) -> list[str]:
        bodies = []
        if self.value("affects_students"):
            bodies += ["student_council", "parents_council"]
        if self.value("affects_staff"):
            bodies.append("trade_union")
        return bodies

    def recorded_opinions(self) -> dict[str, dict[str, Any]]:
        return dict(self.value("opinions") or {})

    def member(self, login: str | None) -> Membership | None:
        if not login:
            return None
        return self.session.scalars(
            select(Membership).join(User).where(
                Membership.organisation_id == self.artefact.organisation_id, User.login == login)
        ).first()

    def member_with_role(self, role: str) -> Membership | None:
        memberships = self.session.scalars(
            select(Membership).join(User).where(Membership.organisation_id == self.artefact.organisation_id,
                                                User.is_active.is_(True))
            .order_by(Membership.id)
        ).all()
        return next((m for m in memberships if role in (m.roles or [])), None)
