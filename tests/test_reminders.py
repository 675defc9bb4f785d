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
from vsoko_flow.services.jobs import job_view, run_job, submit
from vsoko_flow.services.reminders import SmtpSettings, calendar_feed, calendar_token

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
def smtp_server(monkeypatch):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    for name, value in (("HOST", "127.0.0.1"), ("PORT", str(port))):
        monkeypatch.setenv(f"VSOKO_SMTP_{name}", value)
    monkeypatch.setenv("VSOKO_MAIL_FROM", "ВСОКО <vsoko@school29.example>")
    yield inbox, SmtpSettings.from_env()
    controller.stop()


def send_reminders(rt, today: dt.date, days_ahead: int = 7):
    """The daily reminders job, run here to its end; its view (state, result)."""
    job_id = submit(rt, "reminders", {"today": today.isoformat(), "days": days_ahead})
    run_job(rt, job_id)
    return job_view(rt, job_id)


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
    report = send_reminders(rt, TODAY, days_ahead=7)

    assert report.result == {"sent": 2, "without_email": [], "failed": []} and len(inbox.messages) == 2
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


def test_a_digest_is_sent_once_even_when_the_job_is_handed_over_again(rt, school, smtp_server):
    inbox, _ = smtp_server
    control_item(rt, school, "Анализ результатов ВПР", TODAY, ["teacher"])
    job_id = submit(rt, "reminders", {"today": TODAY.isoformat(), "days": 7})
    assert run_job(rt, job_id) == "done" and len(inbox.messages) == 1
    assert run_job(rt, job_id) == "busy" and len(inbox.messages) == 1


def test_unreachable_mail_server_is_a_clear_error(rt, school, monkeypatch):
    control_item(rt, school, "Анализ", TODAY, ["teacher"])
    monkeypatch.setenv("VSOKO_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("VSOKO_SMTP_PORT", "1")
    job_id = submit(rt, "reminders", {"today": TODAY.isoformat(), "days": 7})
    with pytest.raises(ServiceError, match="Не удалось отправить почту"):
        run_job(rt, job_id)
    assert "Не удалось отправить почту через 127.0.0.1:1" in job_view(rt, job_id).error


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
