"""What rules, actions and document sources see while a transition is being fired."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager

from ..models import Artefact, Membership, User
from ..models.organisation import ROLES
from ..documents.render import fill_placeholders
from .definitions import TransitionDef, WorkflowDefinition
from .fields import parse_date
from .journals import NumberReservations

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
    # Registration numbers: placeholders until `issue_numbers` at the end of the transition.
    numbers: NumberReservations = field(default_factory=NumberReservations)
    _when_numbered: list[Callable[[], None]] = field(default_factory=list, init=False, repr=False)
    _staff: list[Membership] | None = field(default=None, init=False, repr=False)
    # Rows the rules, actions and documents of one transition all read (a plan's 2 000 rows):
    # loaded once, see procedures/control.py `plan_items`.
    loaded: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def when_numbered(self, step: Callable[[], None]) -> None:
        """Run `step` once the numbers are issued: for writes that must hold the real numbers."""
        self._when_numbered.append(step)

    def issue_numbers(self) -> dict[str, str]:
        """Issue the reserved numbers (locking their journals' counters), put them in place of the
        placeholders in `updates`, and run the steps that waited for them; placeholder → number."""
        numbers = self.numbers.issue(self.session)
        if numbers:
            self.updates = fill_placeholders(self.updates, numbers)
        for step in self._when_numbered:
            step()
        self._when_numbered.clear()
        return numbers

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

    def action_hint(self, trigger: str) -> str:
        """«<label of the transition>» (<the roles that may fire it>): how a rule's message names the action
        to take instead, and who may take it — both read from the workflow file."""
        transition = self.definition.transitions.get(trigger)
        if transition is None:
            return f"«{trigger}»"
        who = ", ".join(ROLES[role][:1].lower() + ROLES[role][1:] for role in ROLES if role in transition.roles)
        return f"«{transition.label}» ({who})" if who else f"«{transition.label}»"

    def label_of(self, name: str) -> str:
        for spec in (*self.transition.fields, *self.definition.fields):
            if spec.name == name:
                return spec.label
        return name

    def staff(self) -> list[Membership]:
        """The organisation's memberships with their users (active or not), in alphabetical order of
        the people; loaded once per transition, since several documents name the same people."""
        if self._staff is None:
            self._staff = list(self.session.scalars(
                select(Membership).join(Membership.user).options(contains_eager(Membership.user))
                .where(Membership.organisation_id == self.artefact.organisation_id)
                .order_by(User.last_name, User.first_name, Membership.id)))
        return self._staff

    def member(self, login: str | None) -> Membership | None:
        if not login:
            return None
        return next((m for m in self.staff() if m.user.login == login), None)

    def member_with_role(self, role: str) -> Membership | None:
        """The longest-standing active member with the role."""
        holders = [m for m in self.staff() if m.user.is_active and role in (m.roles or [])]
        return min(holders, key=lambda m: m.id, default=None)
