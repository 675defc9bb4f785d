"""Reminders reach a real SMTP server on loopback: one digest per person, the right items."""
from __future__ import annotations

import datetime as dt
import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar

from vsoko_flow.db import transaction
from vsoko_flow.engine.history import append_entry
from vsoko_flow.models import Artefact, ArtefactAssignee, User
from vsoko_flow.services.errors import NotFound, ServiceError
from vsoko_flow.services.reminders import SmtpSettings, calendar_feed, calendar_token, send_reminders

TODAY = dt.date(2025, 12, 20)


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, SmtpSettings(host="127.0.0.1", port=port, sender="ВСОКО <vsoko@school29.example>")
    controller.stop()


def control_item(rt, school, title: str, due: dt.date, logins: list[str], state: str = "planned") -> int:
    with transaction(rt.sessions) as session:
        item = Artefact(kind="control_item", organisation_id=school.id, title=title, state=state,
                        school_year="2025/2026", due_date=due, fields={})
        session.add(item)
        session.flush()
        for login in logins:
            session.add(ArtefactAssignee(artefact_id=item.id, user_id=school[login]))
        append_entry(session, item, None, "create", "")
        return item.id


def test_each_person_gets_one_digest_with_overdue_and_upcoming_items(rt, school, smtp_server):
    inbox, smtp = smtp_server
    control_item(rt, school, "Анализ результатов ВПР", TODAY - dt.timedelta(days=3), ["teacher", "mo_head"])
    control_item(rt, school, "Справка по итогам I полугодия", TODAY + dt.timedelta(days=5), ["teacher"])
    control_item(rt, school, "Мониторинг адаптации", TODAY + dt.timedelta(days=30), ["teacher"])
    control_item(rt, school, "Уже принято", TODAY - dt.timedelta(days=10), ["teacher"], state="accepted")
    report = send_reminders(rt, smtp, TODAY, days_ahead=7)

    assert report.sent == 2 and report.failed == []
    by_recipient = {tuple(rcpt): message for rcpt, message in inbox.messages}
    assert set(by_recipient) == {("teacher@school29.example",), ("mo_head@school29.example",)}
    teacher = by_recipient[("teacher@school29.example",)]
    body = teacher.get_content()
    assert teacher["Subject"] == "ВСОКО: просрочено 1, скоро срок 1"
    assert "Кузнецов Дмитрий Олегович" in teacher["To"]
    assert "до 17.12.2025 — Анализ результатов ВПР" in body
    assert "до 25.12.2025 — Справка по итогам I полугодия" in body
    assert "Мониторинг адаптации" not in body and "Уже принято" not in body
    assert "Справка по итогам" not in by_recipient[("mo_head@school29.example",)].get_content()


def test_unreachable_mail_server_is_a_clear_error(rt, school):
    control_item(rt, school, "Анализ", TODAY, ["teacher"])
    with pytest.raises(ServiceError, match="Не удалось отправить почту"):
        send_reminders(rt, SmtpSettings(host="127.0.0.1", port=1, timeout=2), TODAY)


def test_calendar_feed_lists_the_persons_deadlines(rt, school):
    control_item(rt, school, "Анализ результатов ВПР", TODAY + dt.timedelta(days=3), ["teacher"])
    control_item(rt, school, "Чужой пункт", TODAY + dt.timedelta(days=3), ["mo_head"])
    with rt.sessions() as session:
        token = calendar_token(rt, session.get(User, school["teacher"]))
    calendar = Calendar.from_ical(calendar_feed(rt, school["teacher"], token, TODAY))
    events = [c for c in calendar.walk("VEVENT")]
    assert [str(e["summary"]) for e in events] == ["Анализ результатов ВПР"]
    assert events[0].decoded("dtstart") == TODAY + dt.timedelta(days=3)
    with pytest.raises(NotFound):
        calendar_feed(rt, school["teacher"], "0" * 40, TODAY)
