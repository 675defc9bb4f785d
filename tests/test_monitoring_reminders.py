"""The daily reminders job also reminds a school of a district's request it has not answered (overdue or due
soon): its director gets it in the same digest and calendar, with the link to the school's card; a school that
answered, and another district's schools, get nothing."""
from __future__ import annotations

import datetime as dt

from icalendar import Calendar
from sqlalchemy import select

from vsoko_flow.db import transaction
from vsoko_flow.models import MonitoringRequest, User
from vsoko_flow.services import monitoring as service
from vsoko_flow.services.reminders import calendar_feed, calendar_token
from vsoko_flow.services.transitions import fire_transition

from .monitoring_seed import TEN_SCHOOLS, TODAY, seed_district
from .test_reminders import send_reminders, smtp_server  # noqa: F401  (the loopback SMTP server fixture)

LATER = TODAY + dt.timedelta(days=5)


def _collecting(rt, district, deadline: dt.date) -> int:
    campaign_id = service.create_campaign(rt, district["methodologist"], district.id, today=TODAY)
    fire_transition(rt, campaign_id, "approve", district["head"],
                    fields={"order_date": TODAY.isoformat(), "order_number": "3-р"}, today=TODAY)
    fire_transition(rt, campaign_id, "start_collection", district["methodologist"],
                    fields={"data_deadline": deadline.isoformat()}, today=TODAY)
    return campaign_id


def _emails(rt, *districts) -> None:
    with transaction(rt.sessions) as session:
        for district in districts:
            for school_id, user_id in district.directors.items():
                session.get(User, user_id).email = f"dir{school_id}@schools.example"
            session.get(User, district["methodologist"]).email = f"m{district.id}@district.example"


def test_a_school_is_reminded_of_its_unanswered_request(rt, smtp_server):  # noqa: F811 - the fixture
    inbox, _ = smtp_server
    x = seed_district(rt, TEN_SCHOOLS[:2], prefix="rx")
    y = seed_district(rt, TEN_SCHOOLS[2:3], prefix="ry")
    _emails(rt, x, y)
    late_school, answering = sorted(x.profiles)
    campaign_id = _collecting(rt, x, TODAY + dt.timedelta(days=2))
    with rt.sessions() as session:
        request_of = dict(session.execute(select(MonitoringRequest.school_id, MonitoringRequest.id)
                                          .where(MonitoringRequest.campaign_id == campaign_id)).all())
    service.answer_request(rt, x.directors[answering], request_of[answering], "Отчёт размещён",
                           "https://school.example/self-report")
    # District Y's campaign is still a draft: no requests, nobody reminded there.
    service.create_campaign(rt, y["methodologist"], y.id, today=TODAY)

    report = send_reminders(rt, LATER, days_ahead=7)

    assert report.result["sent"] == 1 and len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == [f"dir{late_school}@schools.example"]
    body = message.get_content()
    assert message["Subject"].startswith("ВСОКО: просрочено 1")
    assert "Ответить на запрос района:" in body and f"/monitoring/{campaign_id}/schools/{late_school}" in body
    # The same request is in the director's calendar.
    with rt.sessions() as session:
        director = session.get(User, x.directors[late_school])
        token = calendar_token(rt, director)
    events = [e for e in Calendar.from_ical(calendar_feed(rt, director.id, token, LATER)).walk("VEVENT")]
    assert [str(e["uid"]) for e in events] == [f"monitoring-request-{request_of[late_school]}@vsoko-flow"]


def test_nothing_once_the_assessment_is_over(rt, smtp_server):  # noqa: F811
    inbox, _ = smtp_server
    x = seed_district(rt, TEN_SCHOOLS[:1], prefix="rz")
    _emails(rt, x)
    campaign_id = _collecting(rt, x, TODAY + dt.timedelta(days=1))
    fire_transition(rt, campaign_id, "start_assessment", x["methodologist"], today=TODAY)
    fire_transition(rt, campaign_id, "publish", x["methodologist"], today=TODAY)
    report = send_reminders(rt, LATER, days_ahead=7)
    assert report.result["sent"] == 0 and inbox.messages == []
