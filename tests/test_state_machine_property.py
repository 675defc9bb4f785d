"""Random sequences of triggers, actors and fields never break the invariants:
every state is declared, at most one edition of an act is in force, journals have no
gaps or duplicates, and every history chain verifies."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from hypothesis import HealthCheck, event, settings as hypothesis_settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import select

from vsoko_flow.models import Artefact, JournalEntry
from vsoko_flow.services.artefacts import create_artefact
from vsoko_flow.services.demo import create_demo_school
from vsoko_flow.services.errors import ServiceError
from vsoko_flow.services.runtime import Runtime
from vsoko_flow.services.transitions import fire_transition
from vsoko_flow.services.verify import verify_store

from .conftest import POSTGRES_URL

TEXT = "1. Общие положения\n1.1. Текст положения.\n2. Заключительные положения\n2.1. Вступает в силу с даты приказа."
ACTORS = ["director", "deputy", "secretary", "teacher", "observer"]
TRIGGERS = ["send_for_opinions", "record_opinion", "send_to_council", "return_to_draft", "adopt", "approve",
            "withdraw", "supersede", "to_in_force", "no_such_trigger"]
TITLES = ["Положение о ВСОКО", "Положение о рабочей группе"]
DAYS = st.dates(min_value=dt.date(2025, 3, 1), max_value=dt.date(2025, 6, 30))
TODAY = dt.date(2025, 5, 1)

FIELD_VALUES = st.fixed_dictionaries({}, optional={
    "request_date": DAYS.map(dt.date.isoformat),
    "opinion_body": st.sampled_from(["student_council", "parents_council", "trade_union", "nobody"]),
    "opinion_date": DAYS.map(dt.date.isoformat),
    "opinion_protocol_number": st.sampled_from(["1", "2", ""]),
    "opinion_result": st.sampled_from(["positive", "remarks"]),
    "protocol_date": DAYS.map(dt.date.isoformat),
    "present": st.integers(-1, 30),
    "votes_for": st.integers(0, 30),
    "votes_against": st.integers(0, 5),
    "votes_abstained": st.integers(0, 5),
    "order_date": DAYS.map(dt.date.isoformat),
    "responsible": st.sampled_from(["deputy", "nobody", "teacher"]),
})


# Values a careful user would type, so that random lives also reach «Действует» and beyond.
PLAUSIBLE = {
    "send_for_opinions": {"request_date": "2025-03-10"},
    "record_opinion": {"opinion_body": "student_council", "opinion_date": "2025-03-14",
                       "opinion_protocol_number": "3", "opinion_result": "positive"},
    "adopt": {"protocol_date": "2025-03-31", "present": 20, "votes_for": 15, "votes_against": 3,
              "votes_abstained": 2},
    "approve": {"order_date": "2025-04-03", "responsible": "deputy"},
}
REACHED: set[str] = set()


class PolozhenieLife(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.rt: Runtime | None = None

    @initialize()
    def open_school(self):
        self.rt = Runtime.create(self.settings_factory())
        self.school_id, self.users = create_demo_school(self.rt)
        self.ids: list[int] = []

    @rule(title=st.sampled_from(TITLES), students=st.booleans(), supersede=st.booleans())
    def draft(self, title, students, supersede):
        in_force = self._ids_in_state("in_force", title)
        try:
            artefact_id = create_artefact(
                self.rt, self.users["deputy"], self.school_id, "polozhenie", title=title,
                fields={"affects_students": students}, sections_text=None if (supersede and in_force) else TEXT,
                supersedes_id=in_force[0] if (supersede and in_force) else None, today=TODAY)
        except ServiceError:
            return
        self.ids.append(artefact_id)

    @rule(data=st.data(), randomness=st.integers(0, 3), stale=st.integers(0, 9))
    def fire(self, data, randomness, stale):
        if not self.ids:
            return
        artefact_id = data.draw(st.sampled_from(self.ids))
        with self.rt.sessions() as session:
            artefact = session.get(Artefact, artefact_id)
            version, state = artefact.version, artefact.state
        if randomness:  # three times in four a plausible step, else anything at all
            trigger, actor, fields = self._plausible_step(data, state)
        else:
            trigger = data.draw(st.sampled_from(TRIGGERS))
            actor = data.draw(st.sampled_from(ACTORS))
            fields = data.draw(FIELD_VALUES)
        try:
            result = fire_transition(self.rt, artefact_id, trigger, self.users[actor],
                                     version=version - 1 if stale == 0 else version, fields=fields, comment="проверка",
                                     today=TODAY)
        except ServiceError as refusal:
            event(f"refused: {type(refusal).__name__}")
            return
        event(f"fired: {trigger} → {result.to_state}")
        REACHED.add(result.to_state)

    def _plausible_step(self, data, state: str) -> tuple[str, str, dict]:
        """What a careful user would do next: an available trigger, a person allowed to fire it."""
        definition = self.rt.definition("polozhenie")
        triggers = definition.available_triggers(state) or ["send_to_council"]
        trigger = data.draw(st.sampled_from(triggers))
        allowed = definition.transitions[trigger].roles
        roles = {"director": "director", "deputy": "deputy", "secretary": "secretary"}
        actor = next((login for login, role in roles.items() if role in allowed), "teacher")
        fields = dict(PLAUSIBLE.get(trigger, {}))
        if trigger == "record_opinion":
            fields["opinion_body"] = data.draw(st.sampled_from(["student_council", "parents_council"]))
        return trigger, actor, fields

    def _ids_in_state(self, state: str, title: str) -> list[int]:
        with self.rt.sessions() as session:
            return list(session.scalars(select(Artefact.id).where(Artefact.state == state, Artefact.title == title)))

    @invariant()
    def states_are_declared_and_one_edition_is_in_force(self):
        if self.rt is None:
            return
        definition = self.rt.definition("polozhenie")
        with self.rt.sessions() as session:
            artefacts = session.scalars(select(Artefact)).all()
        assert {a.state for a in artefacts} <= set(definition.states)
        for title in TITLES:
            assert len([a for a in artefacts if a.state == "in_force" and a.title == title]) <= 1

    @invariant()
    def journals_have_no_gaps_or_duplicates(self):
        if self.rt is None:
            return
        sequences = defaultdict(list)
        with self.rt.sessions() as session:
            for entry in session.scalars(select(JournalEntry)):
                sequences[(entry.journal_id, entry.period_key)].append(entry.sequence)
        for numbers in sequences.values():
            assert sorted(numbers) == list(range(1, len(numbers) + 1))

    @invariant()
    def history_chains_verify(self):
        if self.rt is None:
            return
        report = verify_store(self.rt)
        assert report.ok, report.problems

    def teardown(self):
        if self.rt is not None:
            self.rt.close()


def test_random_lives_keep_the_invariants(settings, database_url, migrated_database, tmp_path):
    import shutil

    from sqlalchemy import create_engine, text

    from vsoko_flow.models import Base

    counter = iter(range(10**6))

    def fresh_settings():
        if POSTGRES_URL:
            engine = create_engine(POSTGRES_URL)
            tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            with engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            engine.dispose()
            return settings
        path = tmp_path / f"example_{next(counter)}.sqlite3"
        shutil.copy(migrated_database, path)
        return settings.__class__(**{**settings.__dict__, "database_url": f"sqlite:///{path}"})

    PolozhenieLife.settings_factory = staticmethod(fresh_settings)
    test_case = PolozhenieLife.TestCase
    test_case.settings = hypothesis_settings(max_examples=25, stateful_step_count=25, deadline=None,
                                             derandomize=True, suppress_health_check=list(HealthCheck))
    test_case().runTest()
    # The random lives really went through the workflow, not only through refusals.
    assert {"opinions", "council_review", "adopted", "in_force"} <= REACHED, REACHED
