"""A demo school that lives in the present: people for every role, a Положение in force since last
spring (taken through its whole life by the engine itself) with its new edition in draft, and the
plan of this school year in execution — the rows of past weeks done and accepted, one overdue by a
few days, some due this week, the rest ahead.

Every date is computed from the day the demo is loaded (`DemoCalendar`), so a newcomer's first
screen is a realistic school on any day, not a wall of red from the year the demo was written.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from ..db import transaction
from ..deadlines.school_year import SchoolYear
from ..models import Artefact, Organisation
from .artefacts import create_artefact
from .meetings import ensure_meeting_journals
from .organisations import add_journal, create_organisation
from .plans import add_item, add_section
from .runtime import Runtime
from .transitions import fire_transition
from .users import add_membership, create_user, hash_password

DEMO_PASSWORD = "vsoko-demo-2025"
POLOZHENIE_TEXT = Path(__file__).resolve().parent.parent / "demo" / "polozhenie_vsoko.txt"

# login, last, first, middle, gender, roles, position
DEMO_PEOPLE = [
    ("director", "Соколова", "Марина", "Борисовна", "f", ["director", "admin"], "Директор"),
    ("deputy", "Иванова", "Ирина", "Игоревна", "f", ["deputy", "working_group"], "Заместитель директора по УВР"),
    ("secretary", "Петрова", "Анна", "Сергеевна", "f", ["secretary", "executor"], "Учитель русского языка и литературы"),
    ("mo_head", "Смирнов", "Алексей", "Викторович", "m", ["mo_head", "executor"], "Руководитель МО учителей математики"),
    ("teacher", "Кузнецов", "Дмитрий", "Олегович", "m", ["executor"], "Учитель физики"),
    ("psychologist", "Орлова", "Екатерина", "Андреевна", "f", ["executor"], "Педагог-психолог"),
    ("observer", "Фёдоров", "Павел", "Николаевич", "m", ["observer"], "Председатель Управляющего совета"),
]

# The plan of the year: (section, activity, responsible login, days from today to the deadline, done).
# None — a row without a date: kept as text or linked to another schedule. The overdue row is the
# one the demo means to show in red; the rows of past weeks are reported and accepted.
OVERDUE_DAYS = 3
DEMO_PLAN = [
    ("Качество образовательных результатов", "Анализ результатов входных контрольных работ", "mo_head",
     -OVERDUE_DAYS, False),
    ("Качество образовательных результатов", "Мониторинг успеваемости по итогам месяца", "deputy", 4, False),
    ("Качество образовательных результатов", "Аналитическая справка о качестве образовательных результатов",
     "deputy", 30, False),
    ("Качество образовательной деятельности", "Анкетирование родителей об удовлетворённости качеством образования",
     "psychologist", -40, True),
    ("Качество образовательной деятельности", "Посещение уроков физики молодого специалиста", "teacher", 2, False),
    ("Качество образовательной деятельности", "Внутришкольный контроль преподавания предметов", "deputy",
     "Согласно ВШК", False),
    ("Качество условий", "Мониторинг адаптации обучающихся 1-х и 5-х классов", "psychologist", -20, True),
    ("Качество условий", "Обновление раздела ВСОКО на сайте школы", "secretary", "по мере необходимости", False),
    ("Качество условий", "Педагогический совет по итогам полугодия", "director", 60, False),
]


@dataclass(frozen=True)
class DemoCalendar:
    """The demo's dates, all from `today`: the Положение went through its councils and the director's
    order last spring; this year's plan was approved before its first deadline."""

    today: dt.date

    @property
    def school_year(self) -> SchoolYear:
        return SchoolYear.containing(self.today)

    @property
    def spring(self) -> int:
        """The last spring that is over: this year's from May on, else the year before's."""
        return self.today.year if self.today >= dt.date(self.today.year, 5, 1) else self.today.year - 1

    def act_day(self, month: int, day: int) -> dt.date:
        return dt.date(self.spring, month, day)

    @property
    def act_school_year(self) -> str:
        return SchoolYear.containing(self.act_day(3, 10)).label

    @property
    def plan_approved(self) -> dt.date:
        """Before the school year began, and before the earliest row of the plan."""
        earliest = min(days for *_, days, _done in DEMO_PLAN if isinstance(days, int))
        return min(self.school_year.start - dt.timedelta(days=3), self.today + dt.timedelta(days=earliest - 10))

    def due(self, days: int) -> dt.date:
        return self.today + dt.timedelta(days=days)


def database_is_empty(rt: Runtime) -> bool:
    with rt.sessions() as session:
        return not session.scalar(select(func.count()).select_from(Organisation))


def load_demo(rt: Runtime, today: dt.date | None = None) -> dict[str, int]:
    """Create the demo school, its Положение and its plan of the year; returns user ids by login."""
    calendar = DemoCalendar(today or rt.today())
    school_id, users = create_demo_school(rt)
    _demo_polozhenie(rt, users, school_id, calendar)
    _demo_plan(rt, users, school_id, calendar)
    return users


def create_demo_school(rt: Runtime) -> tuple[int, dict[str, int]]:
    """The district, the school with its journals and one person for every role."""
    with transaction(rt.sessions) as session:
        district = create_organisation(session, "district", "Департамент образования Администрации города Сургута",
                                       "Департамент образования", city="г. Сургут")
        school = create_organisation(
            session, "school", "Муниципальное бюджетное общеобразовательное учреждение "
            "средняя общеобразовательная школа № 29", "МБОУ СОШ № 29", city="г. Сургут",
            address="628400, Ханты-Мансийский автономный округ – Югра, г. Сургут, ул. Школьная, д. 1",
            parent_id=district.id)
        school.phone, school.email = "8 (3462) 52-00-29", "school29@surgut.example"
        add_journal(session, school, "orders", "Журнал регистрации приказов по основной деятельности",
                    mask="Ш29-13-{n}/5", period="calendar_year")
        add_journal(session, school, "pedsovet", "Протоколы педагогического совета", mask="{n}", period="school_year")
        ensure_meeting_journals(session, school)
        users = {}
        # One argon2 hash for the shared demo password: hashing is deliberately slow.
        demo_hash = hash_password(DEMO_PASSWORD)
        for login, last, first, middle, gender, roles, position in DEMO_PEOPLE:
            user = create_user(session, login, last, first, middle, gender, email=f"{login}@school29.example")
            user.password_hash = demo_hash
            certificate = {}
            if login == "director":
                certificate = {"cert_serial": "01DA3F5C7E9B2A4D6F8E0C1B3A5D7F9E21", "cert_owner": "Соколова Марина Борисовна",
                               "cert_valid_from": dt.date(2024, 8, 27), "cert_valid_to": dt.date(2027, 8, 26)}
            add_membership(session, user, school, roles, position, **certificate)
            users[login] = user.id
        methodologist = create_user(session, "methodologist", "Никитина", "Ольга", "Петровна", "f")
        methodologist.password_hash = demo_hash
        add_membership(session, methodologist, district, ["methodologist"], "Методист ИМЦ")
        users["methodologist"] = methodologist.id
        head = create_user(session, "district_head", "Голубева", "Татьяна", "Юрьевна", "f")
        head.password_hash = demo_hash
        add_membership(session, head, district, ["district_admin"], "Директор департамента образования")
        users["district_head"] = head.id
        return school.id, users


def _demo_polozhenie(rt: Runtime, users: dict[str, int], school_id: int, calendar: DemoCalendar) -> None:
    text = POLOZHENIE_TEXT.read_text(encoding="utf-8")
    day = calendar.act_day
    first = create_artefact(rt, users["deputy"], school_id, "polozhenie", school_year=calendar.act_school_year,
                            fields={"edition_note": ""}, sections_text=text, today=day(3, 10))
    steps = [
        ("send_for_opinions", "deputy", day(3, 10), {"request_date": day(3, 10).isoformat()}),
        ("record_opinion", "secretary", day(3, 14), {
            "opinion_body": "student_council", "opinion_date": day(3, 14).isoformat(),
            "opinion_protocol_number": "3", "opinion_result": "positive"}),
        ("record_opinion", "secretary", day(3, 17), {
            "opinion_body": "parents_council", "opinion_date": day(3, 17).isoformat(),
            "opinion_protocol_number": "4", "opinion_result": "positive"}),
        ("send_to_council", "deputy", day(3, 18), {}),
        ("adopt", "secretary", day(3, 31), {
            "protocol_date": day(3, 31).isoformat(), "present": 42, "votes_for": 40, "votes_against": 0,
            "votes_abstained": 2}),
        ("approve", "director", day(4, 3), {"order_date": day(4, 3).isoformat(), "responsible": "deputy"}),
    ]
    for trigger, login, when, fields in steps:
        fire_transition(rt, first, trigger, users[login], fields=fields, today=when)
    create_artefact(rt, users["deputy"], school_id, "polozhenie", school_year=calendar.school_year.label,
                    supersedes_id=first, today=calendar.today)


def _demo_plan(rt: Runtime, users: dict[str, int], school_id: int, calendar: DemoCalendar) -> int:
    """This school year's plan of activities, approved and in execution; the rows of past weeks done."""
    approved = calendar.plan_approved
    plan_id = create_artefact(rt, users["deputy"], school_id, "activity_plan", school_year=calendar.school_year.label,
                              today=approved - dt.timedelta(days=5))
    sections: dict[str, int] = {}
    for title, activity, login, when, _done in DEMO_PLAN:
        if title not in sections:
            sections[title] = add_section(rt, plan_id, users["deputy"], title, version=None).id
        deadline = f"до {calendar.due(when):%d.%m.%Y}" if isinstance(when, int) else when
        add_item(rt, plan_id, users["deputy"], version=None, section_id=sections[title], deadline_text=deadline,
                 fields={"activity": activity, "result": "Аналитическая справка"}, responsible_logins=[login])
    steps = [
        ("send_to_council", "deputy", approved - dt.timedelta(days=4), {}),
        ("adopt", "secretary", approved - dt.timedelta(days=2), {
            "protocol_date": (approved - dt.timedelta(days=2)).isoformat(), "present": 38, "votes_for": 36,
            "votes_against": 0, "votes_abstained": 2}),
        ("approve", "director", approved, {"order_date": approved.isoformat(), "responsible": "deputy"}),
    ]
    for trigger, login, when, fields in steps:
        fire_transition(rt, plan_id, trigger, users[login], fields=fields, today=when)
    _report_done_rows(rt, users, plan_id, calendar)
    return plan_id


def _report_done_rows(rt: Runtime, users: dict[str, int], plan_id: int, calendar: DemoCalendar) -> None:
    """The rows of past weeks: reported by their executor a day before the deadline, accepted the next day."""
    done = {activity: (login, calendar.due(when)) for _s, activity, login, when, finished in DEMO_PLAN if finished}
    with rt.sessions() as session:
        items = [(item.id, item.title) for item in session.scalars(
            select(Artefact).where(Artefact.parent_id == plan_id).order_by(Artefact.id))]
    for item_id, title in items:
        activity = title.split(" ", 1)[-1]
        if activity not in done:
            continue
        login, due = done[activity]
        fire_transition(rt, item_id, "report", users[login], today=due - dt.timedelta(days=1), fields={
            "result": "Проведено, справка приложена к протоколу совещания при директоре",
            "executed_on": (due - dt.timedelta(days=1)).isoformat()})
        fire_transition(rt, item_id, "accept", users["deputy"], today=due, fields={"assessment": "Исполнено в срок"})
