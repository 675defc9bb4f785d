"""A demo school modelled on the seeds: people for every role, one Положение in force
(taken through its whole life by the engine itself) and its new edition in draft."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from ..db import transaction
from ..models import Organisation
from .artefacts import create_artefact
from .meetings import ensure_meeting_journals
from .organisations import add_journal, create_organisation
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


def database_is_empty(rt: Runtime) -> bool:
    with rt.sessions() as session:
        return not session.scalar(select(func.count()).select_from(Organisation))


def load_demo(rt: Runtime) -> dict[str, int]:
    """Create the demo school and its Положение; returns user ids by login."""
    school_id, users = create_demo_school(rt)
    _demo_polozhenie(rt, users, school_id)
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
        return school.id, users


def _demo_polozhenie(rt: Runtime, users: dict[str, int], school_id: int) -> None:
    text = POLOZHENIE_TEXT.read_text(encoding="utf-8")
    first = create_artefact(rt, users["deputy"], school_id, "polozhenie", school_year="2024/2025",
                            fields={"edition_note": ""}, sections_text=text, today=dt.date(2025, 3, 10))
    steps = [
        ("send_for_opinions", "deputy", "2025-03-10", {"request_date": "2025-03-10"}),
        ("record_opinion", "secretary", "2025-03-14", {
            "opinion_body": "student_council", "opinion_date": "2025-03-14",
            "opinion_protocol_number": "3", "opinion_result": "positive"}),
        ("record_opinion", "secretary", "2025-03-17", {
            "opinion_body": "parents_council", "opinion_date": "2025-03-17",
            "opinion_protocol_number": "4", "opinion_result": "positive"}),
        ("send_to_council", "deputy", "2025-03-18", {}),
        ("adopt", "secretary", "2025-03-31", {
            "protocol_date": "2025-03-31", "present": 42, "votes_for": 40, "votes_against": 0, "votes_abstained": 2}),
        ("approve", "director", "2025-04-03", {"order_date": "2025-04-03", "responsible": "deputy"}),
    ]
    for trigger, login, day, fields in steps:
        fire_transition(rt, first, trigger, users[login], fields=fields, today=dt.date.fromisoformat(day))
    create_artefact(rt, users["deputy"], school_id, "polozhenie", school_year="2025/2026", supersedes_id=first)
