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
"""
from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from vsoko_flow.engine.definitions import TransitionDef, WorkflowDefinition
from vsoko_flow.engine.fields import FieldSpec
from vsoko_flow.services.artefacts import create_artefact, set_sections, show_artefact
from vsoko_flow.services.errors import ServiceError, Unprocessable
from vsoko_flow.services.meetings import edit_agenda_texts
from vsoko_flow.services.plans import add_item, add_section
from vsoko_flow.services.runtime import Runtime
from vsoko_flow.services.transitions import fire_transition

FIRST_DAY = dt.date(2024, 10, 1)
SCHOOL_YEAR = "2024/2025"
TEXT = "1. Общие положения\n1.1. Текст, написанный для проверки.\n2. Заключительные положения\n2.1. Вступает в силу."
# Values a careful person types, by field name; other fields get a value of their type.
PLAUSIBLE: dict[str, Any] = {"present": 20, "votes_for": 15, "votes_against": 3, "votes_abstained": 2,
                             "agenda_number": 1}
PEOPLE = ("deputy", "director", "secretary", "mo_head", "teacher", "psychologist", "observer")
MAX_PATH = 12


@dataclass(frozen=True)
class Step:
    trigger: str
    option: str = ""  # the value of the first choice field, for an action that keeps the state


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

    def __init__(self, rt: Runtime, school, definition: WorkflowDefinition, creation: dict[str, Any]):
        self.rt, self.school, self.definition, self.creation = rt, school, definition, creation
        with rt.sessions() as session:
            from vsoko_flow.services.access import membership_in

            self.roles = {login: set(membership_in(session, school[login], school.id).roles) for login in PEOPLE}
        self.rules = {step.name for t in definition.transitions.values() for step in t.rules}
        self.created = 0

    def fresh(self) -> int:
        """A new document of the kind, with the content its rules ask for."""
        creator = self.school[actor_for(None, self.roles, self.definition)]
        self.created += 1  # every walk its own act: one edition in force per title
        artefact_id = create_artefact(self.rt, creator, self.school.id, self.definition.kind,
                                      title=f"{self.definition.default_title} (проверка {self.created})",
                                      school_year=SCHOOL_YEAR, fields=self.creation, today=FIRST_DAY)
        if "has_sections" in self.rules:
            set_sections(self.rt, artefact_id, creator, TEXT)
        if self.definition.columns:
            section = add_section(self.rt, artefact_id, creator, "Раздел, написанный для проверки", version=None)
            main = next(key for key in self.definition.columns if key not in ("responsible", "deadline"))
            add_item(self.rt, artefact_id, creator, version=None, section_id=section.id,
                     fields={main: "Мероприятие для проверки"}, responsible_logins=["deputy"], deadline_text="Май")
        if "agenda_complete" in self.rules:
            edit_agenda_texts(self.rt, artefact_id, creator,
                              [{"title": "Вопрос для проверки", "heard": "Иванову И.И."}])
        return artefact_id

    def values(self, transition: TransitionDef, option: str, day: dt.date) -> dict[str, Any]:
        values = {spec.name: value_of(spec, day) for spec in transition.fields if spec.required or spec.name in PLAUSIBLE}
        choice = next((spec for spec in transition.fields if spec.type == "choice"), None)
        if choice is not None and option:
            values[choice.name] = option
        return values

    def fire(self, artefact_id: int, step: Step, day: dt.date):
        transition = self.definition.transitions[step.trigger]
        actor = self.school[actor_for(transition, self.roles, self.definition)]
        return fire_transition(self.rt, artefact_id, step.trigger, actor, fields=self.values(transition, step.option, day),
                               comment="Комментарий для проверки" if transition.comment_required else "", today=day)

    def replay(self, path: tuple[Step, ...]) -> tuple[int, dt.date]:
        artefact_id = self.fresh()
        day = FIRST_DAY
        for step in path:
            day += dt.timedelta(days=1)
            self.fire(artefact_id, step, day)
        return artefact_id, day

    def offered(self, artefact_id: int, day: dt.date) -> dict[str, list[dict[str, Any]]]:
        return {login: show_artefact(self.rt, artefact_id, self.school[login], today=day)["available_transitions"]
                for login in PEOPLE}

    def options(self, transition: TransitionDef) -> list[str]:
        """An action that keeps the state is tried with every option of its first choice (each council)."""
        if transition.dest not in transition.sources:
            return [""]
        choice = next((spec for spec in transition.fields if spec.type == "choice"), None)
        return list(choice.options) if choice else [""]


def walk(rt: Runtime, school, definition: WorkflowDefinition, creation: dict[str, Any]) -> Walk:
    walker = Walker(rt, school, definition, creation)
    result = Walk(definition.kind, reached={definition.initial: ()})
    queue: list[tuple[str, tuple[Step, ...]]] = [(definition.initial, ())]
    seen: set[tuple[str, frozenset[Step]]] = {(definition.initial, frozenset())}
    while queue:
        state, path = queue.pop(0)
        artefact_id, day = walker.replay(path)
        offered = walker.offered(artefact_id, day)
        _check_state(result, definition, state, path, offered)
        for trigger in dict.fromkeys(t["trigger"] for actions in offered.values() for t in actions):
            transition = definition.transitions[trigger]
            blocked = next(t["blocked"] for actions in offered.values() for t in actions if t["trigger"] == trigger)
            for option in walker.options(transition):
                step = Step(trigger, option)
                target, refusal = _try(walker, path, step, blocked)
                if refusal:
                    result.refusals.setdefault(state, []).append(f"{trigger}{f'/{option}' if option else ''}: {refusal}")
                if blocked and target is not None:
                    result.blocked_but_fired.append(f"{definition.kind}: «{transition.label}» показано как недоступное "
                                                    f"в «{state}» ({blocked}), но выполнилось")
                if target is None or len(path) >= MAX_PATH:
                    continue
                key = (target, frozenset((*path, step)))
                if key not in seen and (target not in result.reached or target == state):
                    seen.add(key)
                    result.reached.setdefault(target, (*path, step))
                    queue.append((target, (*path, step)))
    return result


def _try(walker: Walker, path: tuple[Step, ...], step: Step, blocked: list[str]) -> tuple[str | None, str]:
    """Fire `step` after `path` on a fresh document: the state reached, or why it was refused."""
    artefact_id, day = walker.replay(path)
    try:
        return walker.fire(artefact_id, step, day + dt.timedelta(days=1)).to_state, ""
    except Unprocessable as error:
        rules = (error.details or {}).get("rules") if isinstance(error.details, dict) else None
        if blocked:  # refused as announced, for the reasons announced
            assert set(blocked) <= set(rules or [error.message]), (step, blocked, error.message, error.details)
        return None, error.message
    except ServiceError as error:
        return None, error.message


def _check_state(result: Walk, definition: WorkflowDefinition, state: str, path: tuple[Step, ...],
                 offered: dict[str, list[dict[str, Any]]]) -> None:
    if definition.states[state].final:
        assert not any(offered.values()), (definition.kind, state, offered)  # nothing to do in a final state
        return
    # Actions that keep the state (an employee acknowledging an act in force) are things done in it, not ways on.
    left_by_system = all(t.system for t in definition.transitions.values() if state in t.sources and t.dest != state)
    if left_by_system:  # e.g. an act in force: superseded by its next edition, not by a person
        return
    tasks = [(login, t["label"]) for login, actions in offered.items() for t in actions
             if definition.transitions[t["trigger"]].task and not t["blocked"]]
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


@pytest.mark.parametrize("kind", ["activity_plan", "control_item", "meeting", "polozhenie", "roadmap", "vsoko_plan"])
def test_every_known_kind_is_in_the_workflows_folder(rt, kind):
    """The walk below takes the kinds from the folder: these are the ones there today (others are walked too)."""
    assert kind in all_kinds(rt)


def test_every_state_of_every_workflow_leaves_someone_an_action(rt, school):
    problems: list[str] = []
    walked = []
    for kind in all_kinds(rt):
        definition = rt.definition(kind)
        reached: set[str] = set()
        for creation in scenarios(definition):
            result = walk(rt, school, definition, creation)
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
