"""A district of schools in different states of their ВСОКО, written straight into the database (the
engine's own history chain, no documents rendered) so that a district of 300 is quick to build.

Each school follows a `Profile`: what its Положение, plan, council decisions and audits look like.
`expected_*` recompute from the profile alone — not from the database — what the district's
monitoring must find; the tests compare the system's automatic answers and reports with them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from vsoko_flow.db import transaction
from vsoko_flow.engine.history import append_entry
from vsoko_flow.models import Artefact, Membership, Organisation, User
from vsoko_flow.services.organisations import create_organisation
from vsoko_flow.services.demo import DEMO_PASSWORD
from vsoko_flow.services.users import add_membership, create_user, hash_password

TODAY = dt.date(2025, 3, 20)
YEAR = "2024/2025"
PROTOCOL_DAY = dt.date(2024, 8, 28)
ORDER_DAY = dt.date(2024, 8, 30)


@dataclass(frozen=True)
class Profile:
    """One school's ВСОКО: Положение in force or not, opinions before the council or after, the plan's
    rows (on time / late / overdue), the council's decisions, audits and their findings."""

    name: str
    polozhenie_in_force: bool = True
    opinions_late: bool = False
    plan_approved: bool = True
    rows_on_time: int = 10
    rows_late: int = 0
    rows_overdue: int = 0
    rows_not_due: int = 2
    decisions_on_time: int = 3
    decisions_late: int = 0
    decisions_overdue: int = 0
    audits: int = 1
    findings_closed: int = 1
    findings_open: int = 0


TEN_SCHOOLS = [
    Profile("МБОУ СОШ № 1 (образцовая)"),
    Profile("МБОУ СОШ № 2 (без Положения)", polozhenie_in_force=False),
    Profile("МБОУ СОШ № 3 (мнения после педсовета)", opinions_late=True),
    Profile("МБОУ СОШ № 4 (просрочены пункты плана)", rows_on_time=6, rows_overdue=4),
    Profile("МБОУ СОШ № 5 (открытое несоответствие)", findings_open=2),
    Profile("МБОУ СОШ № 6 (план не утверждён)", plan_approved=False),
    Profile("МБОУ СОШ № 7 (пункты с опозданием)", rows_on_time=8, rows_late=2),
    Profile("МБОУ СОШ № 8 (решения не исполнены)", decisions_on_time=0, decisions_overdue=3),
    Profile("МБОУ СОШ № 9 (без аудитов)", audits=0, findings_closed=0),
    Profile("МБОУ СОШ № 10 (всё понемногу)", rows_on_time=7, rows_late=1, rows_overdue=2, decisions_on_time=1,
            decisions_late=1, decisions_overdue=1, findings_open=1),
]


@dataclass
class SeededDistrict:
    id: int
    users: dict[str, int]
    schools: dict[str, int] = field(default_factory=dict)  # profile name → school id
    profiles: dict[int, Profile] = field(default_factory=dict)  # school id → profile
    directors: dict[int, int] = field(default_factory=dict)  # school id → director's user id

    def __getitem__(self, login: str) -> int:
        return self.users[login]


_PASSWORD_HASH: list[str] = []


def _password_hash() -> str:
    """One argon2 hash of the demo password for every seeded person (hashing is slow on purpose)."""
    if not _PASSWORD_HASH:
        _PASSWORD_HASH.append(hash_password(DEMO_PASSWORD))
    return _PASSWORD_HASH[0]


def seed_district(rt, profiles: list[Profile], prefix: str = "d1", experts: int = 2) -> SeededDistrict:
    with transaction(rt.sessions) as session:
        district = create_organisation(session, "district", f"Комитет по образованию ({prefix})",
                                       f"Комитет по образованию {prefix}", city="г. Санкт-Петербург")
        seeded = SeededDistrict(district.id, {})
        people = [("methodologist", ["methodologist"], "Методист ИМЦ"),
                  ("head", ["district_admin"], "Председатель комитета")]
        people += [(f"expert{n}", ["expert"], "Эксперт ЦОКО") for n in range(1, experts + 1)]
        for login, roles, position in people:
            user = create_user(session, f"{prefix}_{login}", "Сергеева", "Мария", "Львовна", "f")
            user.password_hash = _password_hash()
            add_membership(session, user, district, roles, position)
            seeded.users[login] = user.id
        system = session.get(User, seeded.users["methodologist"])
        for number, profile in enumerate(profiles, 1):
            school = create_organisation(session, "school", f"Муниципальное бюджетное общеобразовательное учреждение "
                                         f"{profile.name}", profile.name, city="г. Санкт-Петербург",
                                         parent_id=district.id)
            director = create_user(session, f"{prefix}_dir{number}", "Павлова", "Нина", "Олеговна", "f")
            director.password_hash = _password_hash()
            add_membership(session, director, school, ["director"], "Директор")
            seeded.schools[profile.name] = school.id
            seeded.profiles[school.id] = profile
            seeded.directors[school.id] = director.id
            _school_data(session, school, profile, system)
    return seeded


def _add(session, actor, school, kind: str, state: str, title: str, *, parent=None, due=None, fields=None,
         history: list[tuple[str, dict]] = ()) -> Artefact:
    artefact = Artefact(kind=kind, organisation_id=school.id, title=title, state=state, school_year=YEAR,
                        fields=fields or {}, parent_id=parent.id if parent else None, due_date=due)
    session.add(artefact)
    session.flush()
    append_entry(session, artefact, actor, "create", "", fields={"title": title})
    for trigger, values in history:
        append_entry(session, artefact, actor, trigger, "in_progress", fields=values)
    return artefact


def _school_data(session, school: Organisation, profile: Profile, actor: User) -> None:
    opinion_day = PROTOCOL_DAY + dt.timedelta(days=3) if profile.opinions_late else PROTOCOL_DAY - dt.timedelta(days=10)
    _add(session, actor, school, "polozhenie", "in_force" if profile.polozhenie_in_force else "draft",
         "Положение о внутренней системе оценки качества образования",
         fields={"protocol_date": PROTOCOL_DAY.isoformat(), "order_date": ORDER_DAY.isoformat(), "order_number": "12-од",
                 "opinions": {"student_council": {"date": opinion_day.isoformat()},
                              "parents_council": {"date": (PROTOCOL_DAY - dt.timedelta(days=12)).isoformat()}}})
    plan = _add(session, actor, school, "vsoko_plan", "execution" if profile.plan_approved else "draft",
                "План функционирования ВСОКО", fields={"order_date": ORDER_DAY.isoformat()})
    _rows(session, actor, school, plan, profile.rows_on_time, profile.rows_late, profile.rows_overdue,
          profile.rows_not_due)
    meeting = _add(session, actor, school, "meeting", "held", "Педагогический совет")
    _rows(session, actor, school, meeting, profile.decisions_on_time, profile.decisions_late,
          profile.decisions_overdue, 0)
    for n in range(profile.audits):
        _add(session, actor, school, "audit", "closed" if not profile.findings_open else "corrections",
             f"Внутренний аудит {n + 1}")
    for n in range(profile.findings_closed if profile.audits else 0):
        _add(session, actor, school, "finding", "closed", f"Несоответствие {n + 1}")
    for n in range(profile.findings_open if profile.audits else 0):
        _add(session, actor, school, "finding", "actions_in_progress", f"Открытое несоответствие {n + 1}")


def _rows(session, actor, school, parent, on_time: int, late: int, overdue: int, not_due: int) -> None:
    """Control items of a plan or a meeting: accepted on time, accepted late, overdue, not yet due."""
    due = dt.date(2025, 1, 20)
    for _ in range(on_time):
        _add(session, actor, school, "control_item", "accepted", "Пункт", parent=parent, due=due,
             history=[("report", {"executed_on": (due - dt.timedelta(days=2)).isoformat()})])
    for _ in range(late):
        _add(session, actor, school, "control_item", "accepted", "Пункт", parent=parent, due=due,
             history=[("report", {"executed_on": (due + dt.timedelta(days=5)).isoformat()})])
    for _ in range(overdue):
        _add(session, actor, school, "control_item", "in_progress", "Пункт", parent=parent, due=due)
    for _ in range(not_due):
        _add(session, actor, school, "control_item", "planned", "Пункт", parent=parent, due=dt.date(2025, 5, 25))


# --------------------------------------------------------------------------- what must be found


def expected_answers(profile: Profile) -> dict[str, object]:
    """The automatic answer of each criterion of the shipped card, from the profile alone."""
    due_rows = profile.rows_on_time + profile.rows_late + profile.rows_overdue
    due_decisions = profile.decisions_on_time + profile.decisions_late + profile.decisions_overdue
    if not due_decisions:
        council = None
    elif profile.decisions_on_time == due_decisions:
        council = "2"
    else:
        council = "1" if profile.decisions_on_time or profile.decisions_late else "0"
    audits = "0" if not profile.audits else ("1" if profile.findings_open else "2")
    return {
        "K1": "yes" if profile.polozhenie_in_force else "no",
        "K2": None if not profile.polozhenie_in_force else ("no" if profile.opinions_late else "yes"),
        "K3": "yes" if profile.plan_approved else "no",
        "K4": (round(profile.rows_on_time * 100 / due_rows, 1) if due_rows else None) if profile.plan_approved else None,
        "K5": council,
        "K6": audits,
        "K7": None,
    }


# The shipped card's scales, written out again here: (weight, scale, high, middle).
CARD = {"K1": (2, "yes_no"), "K2": (1, "yes_no"), "K3": (1, "yes_no"), "K4": (1, "thresholds", 90, 70),
        "K5": (1, "zero_two"), "K6": (2, "zero_two"), "K7": (1, "yes_no")}


def expected_points(code: str, value) -> float:
    weight, scale, *limits = CARD[code]
    if scale == "yes_no":
        return weight * (1 if value == "yes" else 0)
    if scale == "zero_two":
        return weight * int(value)
    high, middle = limits
    return weight * (10 if float(value) >= high else 5 if float(value) >= middle else 0)


def expected_max() -> float:
    return sum(w * {"yes_no": 1, "zero_two": 2, "thresholds": 10}[s] for w, s, *_ in CARD.values())


def membership_of(session, user_id: int, organisation_id: int) -> Membership | None:
    return session.query(Membership).filter_by(user_id=user_id, organisation_id=organisation_id).first()
