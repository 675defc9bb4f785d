"""No dead ends (issue 11, point 6): every state of every workflow in workflows/*.yaml, walked on the
real engine and database, leaves someone an action that will go through.

The walk knows no kind of document. It creates a document of each kind, gives it what the kind's
rules ask for (a text for `has_sections`, a section and a row for a kind with table columns, the
agenda texts for `agenda_complete`), and fires every action offered to the demo school's people
from every state it reaches, with plausible values for the action's fields. In every state it
reaches that is not final it checks that some person has an action that is a task (something
waiting for someone, not only «Вернуть»/«Отозвать») and that no rule refuses before the form is
filled; and that an action shown as «пока недоступно» is really refused when fired anyway, with the
same reasons. A state left only by the system (an act in force, superseded by its next edition)
waits for another document, not for a person. Every declared state must be reached, so a kind added
tomorrow is walked the same way — if it needs content the walk cannot give, the test says which
state it could not reach and why.

Some kinds are made from other documents and moved by them (a finding is recorded on an audit's
checklist line; its corrective actions start when the plan of corrections is approved). For those
a Preparation (tests/walk_preparations.py) says how a person makes one, what a state asks a person
to fill in (the checklist answered), and which steps of the other documents move it on; the walk
takes those steps as it takes people's actions.
"""
from __future__ import annotations

import datetime as dt
import itertools
import re
import shutil
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from sqlalchemy import delete

from vsoko_flow.db import transaction
from vsoko_flow.engine.definitions import TransitionDef, WorkflowDefinition
from vsoko_flow.models import JournalCounter, JournalEntry, Organisation
from vsoko_flow.engine.fields import FieldSpec
from vsoko_flow.services.artefacts import create_artefact, set_sections, show_artefact
from vsoko_flow.services.errors import ServiceError, Unprocessable
from vsoko_flow.services.meetings import edit_agenda_texts
from vsoko_flow.services.plans import add_item, add_section
from vsoko_flow.services.runtime import Runtime
from vsoko_flow.services.transitions import fire_transition

from .walk_preparations import PREPARATIONS, Preparation, state_of

FIRST_DAY = dt.date(2024, 10, 1)
SCHOOL_YEAR = "2024/2025"
TEXT = "1. Общие положения\n1.1. Текст, написанный для проверки.\n2. Заключительные положения\n2.1. Вступает в силу."
# Values a careful person types, by field name; other fields get a value of their type.
PLAUSIBLE: dict[str, Any] = {"present": 20, "votes_for": 15, "votes_against": 3, "votes_abstained": 2,
                             # Left empty, as most secretaries do: the question and protocol numbers are
                             # the meeting's next (a walk adopts many documents at one meeting).
                             "agenda_number": None, "protocol_number_typed": "",
                             "why_1": "Порядок не был закреплён локальным актом",
                             "root_cause": "Обязанность не закреплена ни в одном локальном акте школы",
                             "deadline": "Май"}
PEOPLE = ("deputy", "director", "secretary", "mo_head", "teacher", "psychologist", "observer", "methodologist",
          "district_head")
MAX_PATH = 12


@dataclass(frozen=True)
class Step:
    trigger: str
    option: str = ""  # the value of the first choice field, for an action that keeps the state
    actor: str = ""   # the login who fires it: the first of those it is offered to for whom it goes through
    external: bool = False  # a step of another document (the Preparation's), not an action on this one


@dataclass
class Walk:
    kind: str
    reached: dict[str, tuple[Step, ...]] = field(default_factory=dict)
    dead_ends: list[str] = field(default_factory=list)
    blocked_but_fired: list[str] = field(default_factory=list)
    refusals: dict[str, list[str]] = field(default_factory=dict)  # state → why actions were refused there

    def problems(self, definition: WorkflowDefinition) -> list[str]:
        """A state entered only by the system (an edition superseded by the next one's order) is reached
        by another document, not by this walk."""
        by_people = {t.dest for t in definition.transitions.values() if not t.system}
        unreached = [f"{self.kind}: состояние «{name}» не достигнуто; отказы по пути: {self.refusals or 'нет'}"
                     for name in definition.states if name not in self.reached and name in by_people]
        return self.dead_ends + self.blocked_but_fired + unreached


def value_of(spec: FieldSpec, day: dt.date) -> Any:
    if spec.name in PLAUSIBLE:
        return PLAUSIBLE[spec.name]
    return {"date": day.isoformat(), "int": max(spec.min or 0, 1), "str": "1", "text": "Текст для проверки",
            "bool": bool(spec.default), "choice": next(iter(spec.options), ""), "member": "deputy"}[spec.type]


def actor_for(transition: TransitionDef | None, roles: dict[str, set[str]], definition: WorkflowDefinition) -> str:
    wanted = transition.roles if transition else definition.create_roles
    return next(login for login in PEOPLE if roles[login] & wanted)


class Walker:
    """Creates documents of one kind and replays paths of actions on them."""

    def __init__(self, rt: Runtime, school, definition: WorkflowDefinition, creation: dict[str, Any],
                 preparation: Preparation | None = None):
        self.rt, self.school, self.definition, self.creation = rt, school, definition, creation
        self.preparation = preparation
        with rt.sessions() as session:
            from vsoko_flow.services.access import membership_in

            members = {login: membership_in(session, school[login], school.id) for login in PEOPLE}
        # The people of the organisation that holds the kind (a school's staff, or a district's).
        self.people = tuple(login for login in PEOPLE if members[login] is not None)
        self.roles = {login: set(members[login].roles if members[login] else ()) for login in PEOPLE}
        self.rules = {step.name for t in definition.transitions.values() for step in t.rules}
        self.created = 0

    def fresh(self) -> tuple[int, dt.date]:
        """A new document of the kind, with the content its rules ask for, and the day it was made."""
        if self.preparation is not None:
            artefact_id, day = self.preparation.make(self.rt, self.school)
            self._fill(artefact_id, self.definition.initial, day)
            return artefact_id, day
        creator = self.school[actor_for(None, self.roles, self.definition)]
        self.created += 1  # every replay its own act (and act type): one edition in force per type
        artefact_id = create_artefact(self.rt, creator, self.school.id, self.definition.kind,
                                      title=f"{self.definition.default_title} (проверка {next(_TITLES)})",
                                      school_year=SCHOOL_YEAR, fields=self.creation, today=FIRST_DAY)
        if "has_sections" in self.rules:
            set_sections(self.rt, artefact_id, creator, TEXT)
        if self.definition.columns:
            section = add_section(self.rt, artefact_id, creator, "Раздел, написанный для проверки", version=None)
            main = next(key for key in self.definition.columns if key not in ("responsible", "deadline"))
            add_item(self.rt, artefact_id, creator, version=None, section_id=section.id,
                     fields={main: "Мероприятие для проверки"}, deadline_text="Май",
                     # a district's plan: a row for every school («ОО»), which its approval fans out
                     **({"responsible_logins": ["deputy"]} if "deputy" in self.people else {"external_executors": ["ОО"]}))
        if "agenda_complete" in self.rules:
            edit_agenda_texts(self.rt, artefact_id, creator,
                              [{"title": "Вопрос для проверки", "heard": "Иванову И.И."}])
        return artefact_id, FIRST_DAY

    def _fill(self, artefact_id: int, state: str, day: dt.date) -> None:
        """What a person fills in on entering `state` before anyone can act (a checklist's answers)."""
        fill = self.preparation.content.get(state) if self.preparation else None
        if fill is not None:
            fill(self.rt, self.school, artefact_id, day)

    def values(self, transition: TransitionDef, option: str, day: dt.date) -> dict[str, Any]:
        values = {spec.name: value_of(spec, day) for spec in transition.fields if spec.required or spec.name in PLAUSIBLE}
        choice = next((spec for spec in transition.fields if spec.type == "choice"), None)
        if choice is not None and option:
            values[choice.name] = option
        return values

    def fire(self, artefact_id: int, step: Step, day: dt.date) -> tuple[str, dt.date]:
        """Take the step on the document: the state it is in afterwards and the day the step was taken."""
        if step.external:
            moved_on = self.preparation.external[step.trigger].move(self.rt, self.school, artefact_id, day)
            return state_of(self.rt, artefact_id), moved_on
        transition = self.definition.transitions[step.trigger]
        actor = self.school[step.actor or actor_for(transition, self.roles, self.definition)]
        result = fire_transition(self.rt, artefact_id, step.trigger, actor,
                                 fields=self.values(transition, step.option, day),
                                 comment="Комментарий для проверки" if transition.comment_required else "", today=day)
        return result.to_state, day

    def replay(self, path: tuple[Step, ...]) -> tuple[int, dt.date]:
        clear_journals(self.rt)
        artefact_id, day = self.fresh()
        for step in path:
            state_before = state_of(self.rt, artefact_id)
            state, day = self.fire(artefact_id, step, day + dt.timedelta(days=1))
            if state != state_before:
                self._fill(artefact_id, state, day)
        return artefact_id, day

    def offered(self, artefact_id: int, day: dt.date) -> dict[str, list[dict[str, Any]]]:
        return {login: show_artefact(self.rt, artefact_id, self.school[login], today=day)["available_transitions"]
                for login in self.people}

    def options(self, transition: TransitionDef) -> list[str]:
        """An action that keeps the state is tried with every option of its first choice (each council)."""
        if transition.dest not in transition.sources:
            return [""]
        choice = next((spec for spec in transition.fields if spec.type == "choice"), None)
        return list(choice.options) if choice else [""]

    def externals(self, state: str) -> list[Step]:
        """The other documents' steps that move a document of this kind on from `state`."""
        if self.preparation is None:
            return []
        return [Step(name, external=True) for name, move in self.preparation.external.items()
                if move.from_state == state]


def holder(rt: Runtime, school, definition: WorkflowDefinition):
    """The organisation a kind's documents live in: the demo school, or the district above it."""
    if definition.organisation_kind == "school":
        return school
    with rt.sessions() as session:
        from vsoko_flow.models import Organisation

        return replace(school, id=session.get(Organisation, school.id).parent_id)


_TITLES = itertools.count(1)  # unique across the walks of every scenario


def clear_journals(rt: Runtime) -> None:
    """Each replay is one document's own history on its own days; journals are kept in date order
    (tests/test_journal_order.py), so the numbers of earlier, unrelated replays — some on later days —
    are cleared, as if each replay were the journal's first record."""
    with transaction(rt.sessions) as session:
        session.execute(delete(JournalEntry))
        session.execute(delete(JournalCounter))


def walk(rt: Runtime, school, definition: WorkflowDefinition, creation: dict[str, Any],
         preparation: Preparation | None = None) -> Walk:
    walker = Walker(rt, holder(rt, school, definition), definition, creation, preparation)
    result = Walk(definition.kind, reached={definition.initial: ()})
    queue: list[tuple[str, tuple[Step, ...]]] = [(definition.initial, ())]
    seen: set[tuple[str, frozenset[Step]]] = {(definition.initial, frozenset())}
    while queue:
        state, path = queue.pop(0)
        artefact_id, day = walker.replay(path)
        offered = walker.offered(artefact_id, day)
        _check_state(result, definition, state, path, offered, waits_on=bool(walker.externals(state)))
        for step, blocked in [*_people_steps(walker, offered), *((s, {"": []}) for s in walker.externals(state))]:
            target, chosen, refusal = _try(walker, path, step, blocked)
            if refusal:
                result.refusals.setdefault(state, []).append(f"{step.trigger}{f'/{step.option}' if step.option else ''}: "
                                                             f"{refusal}")
            if target is not None and blocked[chosen.actor]:
                label = definition.transitions[step.trigger].label
                result.blocked_but_fired.append(f"{definition.kind}: «{label}» показано {chosen.actor} как недоступное "
                                                f"в «{state}» ({blocked[chosen.actor]}), но выполнилось")
            if target is None or len(path) >= MAX_PATH:
                continue
            key = (target, frozenset((*path, chosen)))
            if key not in seen and (target not in result.reached or target == state):
                seen.add(key)
                result.reached.setdefault(target, (*path, chosen))
                queue.append((target, (*path, chosen)))
    return result


def _people_steps(walker: Walker, offered: dict[str, list[dict[str, Any]]]) -> list[tuple[Step, dict[str, list[str]]]]:
    """Every action offered to someone (each option of an action that keeps the state), with what was
    announced to each person it is offered to as refusing it."""
    steps = []
    for trigger in dict.fromkeys(t["trigger"] for actions in offered.values() for t in actions):
        transition = walker.definition.transitions[trigger]
        blocked = {login: t["blocked"] for login, actions in offered.items() for t in actions if t["trigger"] == trigger}
        steps += [(Step(trigger, option), blocked) for option in walker.options(transition)]
    return steps


def _try(walker: Walker, path: tuple[Step, ...], step: Step,
         blocked: dict[str, list[str]]) -> tuple[str | None, Step, str]:
    """Fire `step` after `path` on a fresh document by the people it is offered to as open, in turn, until
    it goes through; and by the first person it is announced to as refused, for whom it must be refused
    for the reasons announced. The state reached and the step as taken (with its actor), or why not."""
    open_to = [login for login in blocked if not blocked[login]]
    refused_to = [login for login in blocked if blocked[login]][:1]
    reached, taken_by, refusal = None, step, ""
    for login in [*open_to, *refused_to]:
        if reached is not None and login in open_to:
            continue
        taken = replace(step, actor=login)
        artefact_id, day = walker.replay(path)
        try:
            state = walker.fire(artefact_id, taken, day + dt.timedelta(days=1))[0]
        except Unprocessable as error:
            rules = (error.details or {}).get("rules") if isinstance(error.details, dict) else None
            if blocked[login]:  # refused as announced, for the reasons announced
                assert _same_documents(blocked[login]) <= _same_documents(rules or [error.message]), (taken, error)
            refusal = refusal or error.message
            continue
        except ServiceError as error:
            refusal = refusal or error.message
            continue
        if blocked[login] or reached is None:
            reached, taken_by = state, taken
    return reached, taken_by, "" if reached is not None else refusal


def _same_documents(reasons: list[str]) -> set[str]:
    """Reasons with document numbers and clock times taken out: each try is on a fresh document (and its
    own findings), and a reason may name the time of a step («ознакомлен в 23:50») a minute apart."""
    return {re.sub(r"\b\d{1,2}:\d{2}\b", "…:…", re.sub(r"№ \d+", "№ …", reason)) for reason in reasons}


def _check_state(result: Walk, definition: WorkflowDefinition, state: str, path: tuple[Step, ...],
                 offered: dict[str, list[dict[str, Any]]], waits_on: bool = False) -> None:
    if definition.states[state].final:
        assert not any(offered.values()), (definition.kind, state, offered)  # nothing to do in a final state
        return
    # Actions that keep the state (an employee acknowledging an act in force) are things done in it, not ways on.
    left_by_system = all(t.system for t in definition.transitions.values() if state in t.sources and t.dest != state)
    if left_by_system:  # e.g. an act in force: superseded by its next edition, not by a person
        return
    tasks = [(login, t["label"]) for login, actions in offered.items() for t in actions
             if definition.transitions[t["trigger"]].task and not t["blocked"]]
    if not tasks and definition.states[state].waits_for and waits_on:
        return  # it says on its page what it waits for, and the walk takes that other document's steps
    if not tasks:
        reasons = sorted({reason for actions in offered.values() for t in actions for reason in t["blocked"]})
        result.dead_ends.append(f"{definition.kind}: в состоянии «{definition.state_label(state)}» (путь: "
                                f"{[s.trigger for s in path]}) ни у кого нет выполнимого действия; отказы: {reasons}")


def scenarios(definition: WorkflowDefinition) -> list[dict[str, Any]]:
    """The kind's required fields, and one variant per yes/no field (an act touching students or not)."""
    base = {spec.name: value_of(spec, FIRST_DAY) for spec in definition.fields if spec.required}
    variants = [base]
    for spec in definition.fields:
        if spec.type == "bool":
            variants.append({**base, spec.name: not bool(spec.default)})
    return variants


def all_kinds(rt: Runtime) -> list[str]:
    return sorted(rt.definitions)


@pytest.mark.parametrize("kind", ["activity_plan", "annual_review", "audit", "control_item", "corrective_plan",
                                  "effectiveness_check", "finding", "meeting", "polozhenie", "roadmap", "vsoko_plan",
                                  "district_plan", "monitoring_campaign"])
def test_every_known_kind_is_in_the_workflows_folder(rt, kind):
    """The walk below takes the kinds from the folder: these are the ones there today (others are walked too)."""
    assert kind in all_kinds(rt)


def test_every_state_of_every_workflow_leaves_someone_an_action(rt, school):
    # A school that uses every optional step («Взять в работу»): otherwise the states behind them
    # are never offered, so never reached.
    with transaction(rt.sessions) as session:
        session.get(Organisation, school.id).uses_start_step = True
    problems: list[str] = []
    walked = []
    for kind in all_kinds(rt):
        definition = rt.definition(kind)
        reached: set[str] = set()
        ways = [({}, p) for p in PREPARATIONS[kind]] if kind in PREPARATIONS else [(c, None) for c in scenarios(definition)]
        for creation, preparation in ways:
            result = walk(rt, school, definition, creation, preparation)
            reached |= set(result.reached)
            problems += result.dead_ends + result.blocked_but_fired
            last = result
        problems += [p for p in replace(last, reached=dict.fromkeys(reached, ())).problems(definition)
                     if "не достигнуто" in p]
        walked.append(kind)
    assert walked == all_kinds(rt)
    assert problems == []


def test_the_walk_finds_the_dead_end_of_issue_11(rt, school, settings, tmp_path):
    """The walk is not a test that cannot fail: with «Внести на педагогический совет» allowed from a draft
    whose councils were never asked (as it was), it finds the state nobody can leave forward."""
    workflows = shutil.copytree(settings.workflows_dir, tmp_path / "workflows")
    path = workflows / "polozhenie.yaml"
    text = path.read_text(encoding="utf-8")
    anchor = "      - opinions_recorded              # the council's adoption needs them: refused here, not there\n"
    assert text.count(anchor) == 1
    path.write_text(text.replace(anchor, "      - {name: opinions_recorded, level: warning}\n"), encoding="utf-8")
    old = Runtime.create(replace(settings, workflows_dir=workflows))
    try:
        result = walk(old, school, old.definition("polozhenie"), {})
    finally:
        old.close()
    assert len(result.dead_ends) == 1
    assert "«На рассмотрении педагогического совета» (путь: ['send_to_council'])" in result.dead_ends[0]
    assert "Верните проект на доработку — «Вернуть на доработку»" in result.dead_ends[0]
