"""What is due for whom, one digest e-mail per person (the `reminders` job: `vsoko remind`, for cron), and .ics feeds."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import smtplib
from collections import defaultdict
from dataclasses import dataclass, field
from email.message import EmailMessage
from email import policy
from email.headerregistry import Address

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from ..documents.russian import date_digits
from ..procedures.control import CONTROL_KIND, FINAL_CONTROL_STATES
from ..models import Artefact, ArtefactAssignee, Membership, MonitoringRequest, User
from .errors import NotFound, ServiceError
from .runtime import Runtime


@dataclass(frozen=True)
class DueItem:
    artefact_id: int
    title: str
    due_date: dt.date
    state_label: str
    parent_title: str
    overdue: bool
    # Where the person acts on it when that is not the artefact's page (a district's request to a school),
    # and the calendar's id of the event.
    path: str = ""
    uid: str = ""

    @property
    def link_path(self) -> str:
        return self.path or f"/artefacts/{self.artefact_id}"

    @property
    def event_uid(self) -> str:
        return self.uid or f"control-{self.artefact_id}"


@dataclass
class Digest:
    user_id: int
    name: str
    email: str
    items: list[DueItem] = field(default_factory=list)

    @property
    def overdue(self) -> list[DueItem]:
        return [i for i in self.items if i.overdue]

    @property
    def upcoming(self) -> list[DueItem]:
        return [i for i in self.items if not i.overdue]


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    user: str = ""
    password: str = ""
    starttls: bool = False
    ssl: bool = False
    sender: str = "vsoko-flow <noreply@localhost>"
    timeout: float = 30

    @classmethod
    def from_env(cls) -> "SmtpSettings":
        host = os.environ.get("VSOKO_SMTP_HOST", "")
        if not host:
            raise ServiceError("Не настроена почта: задайте VSOKO_SMTP_HOST (и при необходимости VSOKO_SMTP_PORT, "
                               "VSOKO_SMTP_USER, VSOKO_SMTP_PASSWORD, VSOKO_SMTP_STARTTLS=1, VSOKO_MAIL_FROM)")
        return cls(host=host, port=int(os.environ.get("VSOKO_SMTP_PORT", "25")),
                   user=os.environ.get("VSOKO_SMTP_USER", ""), password=os.environ.get("VSOKO_SMTP_PASSWORD", ""),
                   starttls=os.environ.get("VSOKO_SMTP_STARTTLS") == "1", ssl=os.environ.get("VSOKO_SMTP_SSL") == "1",
                   sender=os.environ.get("VSOKO_MAIL_FROM", cls.sender))


def due_items(session: Session, rt: Runtime, today: dt.date, days_ahead: int,
              user_id: int | None = None) -> dict[int, list[DueItem]]:
    """Open control items due within `days_ahead` days (or overdue), by assigned user — one query."""
    parent = aliased(Artefact)
    query = (select(ArtefactAssignee.user_id, Artefact, parent.title)
             .join(Artefact, Artefact.id == ArtefactAssignee.artefact_id)
             .outerjoin(parent, parent.id == Artefact.parent_id)
             .where(Artefact.kind == CONTROL_KIND, Artefact.state.not_in(FINAL_CONTROL_STATES),
                    Artefact.due_date.is_not(None), Artefact.due_date <= today + dt.timedelta(days=days_ahead),
                    ArtefactAssignee.user_id.is_not(None))
             .order_by(Artefact.due_date, Artefact.id))
    if user_id is not None:
        query = query.where(ArtefactAssignee.user_id == user_id)
    definition = rt.definition(CONTROL_KIND)
    result: dict[int, list[DueItem]] = defaultdict(list)
    for assignee_id, item, parent_title in session.execute(query):
        result[assignee_id].append(DueItem(item.id, item.title, item.due_date, definition.state_label(item.state),
                                           parent_title or "", item.due_date < today))
    for assignee_id, item in monitoring_requests_due(session, today, days_ahead, user_id):
        result[assignee_id].append(item)
        result[assignee_id].sort(key=lambda i: i.due_date)  # stable: control items keep their order
    return dict(result)


def monitoring_requests_due(session: Session, today: dt.date, days_ahead: int,
                            user_id: int | None = None) -> list[tuple[int, DueItem]]:
    """A district's requests a school has not answered, due within `days_ahead` days (or overdue), for the
    school's people who answer them (director, deputies, working group) — one query."""
    from .monitoring import SCHOOL_ANSWER_ROLES  # noqa: PLC0415 - the district's monitoring, read only here

    query = (select(MonitoringRequest, Artefact.title, Membership.user_id, Membership.roles)
             .join(Artefact, Artefact.id == MonitoringRequest.campaign_id)
             .join(Membership, Membership.organisation_id == MonitoringRequest.school_id)
             .where(MonitoringRequest.answered_at.is_(None), Artefact.state.in_(("data_collection", "assessment")),
                    MonitoringRequest.due_date <= today + dt.timedelta(days=days_ahead))
             .order_by(MonitoringRequest.due_date, MonitoringRequest.id))
    if user_id is not None:
        query = query.where(Membership.user_id == user_id)
    found = []
    for request, campaign_title, member_id, roles in session.execute(query):
        if not set(roles or []) & SCHOOL_ANSWER_ROLES:
            continue
        found.append((member_id, DueItem(
            request.campaign_id, f"Ответить на запрос района: {campaign_title}", request.due_date,
            "запрос района без ответа", "мониторинг ВСОКО", request.due_date < today,
            path=f"/monitoring/{request.campaign_id}/schools/{request.school_id}",
            uid=f"monitoring-request-{request.id}")))
    return found


def build_digests(rt: Runtime, today: dt.date, days_ahead: int = 7) -> list[Digest]:
    with rt.sessions() as session:
        by_user = due_items(session, rt, today, days_ahead)
        users = session.scalars(select(User).where(User.id.in_(by_user), User.is_active.is_(True))).all()
        return [Digest(u.id, u.full_name, u.email, by_user[u.id]) for u in sorted(users, key=lambda u: u.full_name)]


def digest_message(digest: Digest, sender: str, base_url: str, today: dt.date) -> EmailMessage:
    # Long lines rather than folded encoded words: Russian names split mid-word by folding come
    # back with a space inside in some readers (CPython's own parser among them).
    message = EmailMessage(policy=policy.SMTP.clone(max_line_length=200))
    message["From"] = sender
    message["To"] = Address(display_name=digest.name, addr_spec=digest.email)
    overdue, upcoming = digest.overdue, digest.upcoming
    message["Subject"] = (f"ВСОКО: просрочено {len(overdue)}, скоро срок {len(upcoming)}" if overdue
                          else f"ВСОКО: скоро срок — {len(upcoming)}")
    lines = [f"Здравствуйте, {digest.name}!", "", f"Сводка на {date_digits(today)}."]
    for heading, items in (("Просрочено:", overdue), ("Срок в ближайшие дни:", upcoming)):
        if items:
            lines += ["", heading]
            lines += [f"  • до {date_digits(i.due_date)} — {i.title}"
                      f"{f' ({i.parent_title})' if i.parent_title else ''} [{i.state_label}]\n"
                      f"    {base_url}{i.link_path}" for i in items]
    lines += ["", "Отчитаться об исполнении можно на странице пункта.", "", "— vsoko-flow"]
    message.set_content("\n".join(lines))
    return message


def send_digest_to(rt: Runtime, smtp: SmtpSettings, user_id: int, today: dt.date, days_ahead: int = 7
                   ) -> dict[str, object]:
    """One person's digest, sent on its own connection (a unit of the `reminders` job)."""
    with rt.sessions() as session:
        items = due_items(session, rt, today, days_ahead, user_id=user_id).get(user_id, [])
        user = session.get(User, user_id)
    if user is None or not user.is_active or not items:
        return {"sent": False}
    digest = Digest(user.id, user.full_name, user.email, items)
    if not digest.email:
        return {"without_email": True, "name": digest.name}
    try:
        with _connect(smtp) as connection:
            connection.send_message(digest_message(digest, smtp.sender, rt.settings.base_url, today))
    except smtplib.SMTPRecipientsRefused as exc:
        return {"failed": f"{digest.name} <{digest.email}>: адрес отклонён сервером ({exc})"}
    except (OSError, smtplib.SMTPException) as exc:
        raise ServiceError(f"Не удалось отправить почту через {smtp.host}:{smtp.port}: {exc}") from None
    return {"sent": True}


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    connection = (smtplib.SMTP_SSL if smtp.ssl else smtplib.SMTP)(smtp.host, smtp.port, timeout=smtp.timeout)
    if smtp.starttls:
        connection.starttls()
    if smtp.user:
        connection.login(smtp.user, smtp.password)
    return connection


def calendar_token(rt: Runtime, user: User) -> str:
    """A secret for the user's .ics address; it changes with the password (session token)."""
    key = rt.settings.secret_key.encode()
    return hmac.new(key, f"calendar:{user.id}:{user.session_token}".encode(), hashlib.sha256).hexdigest()[:40]


def calendar_feed(rt: Runtime, user_id: int, token: str, today: dt.date) -> bytes:
    """The user's open deadlines as an iCalendar feed (all-day events)."""
    with rt.sessions() as session:
        user = session.get(User, user_id)
        if user is None or not user.is_active or not hmac.compare_digest(calendar_token(rt, user), token):
            raise NotFound("Календарь не найден")
        items = due_items(session, rt, today, days_ahead=3660, user_id=user_id).get(user_id, [])
    calendar = Calendar()
    calendar.add("prodid", "-//vsoko-flow//ВСОКО//RU")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "ВСОКО: мои сроки")
    for item in items:
        event = Event()
        event.add("uid", f"{item.event_uid}@vsoko-flow")
        event.add("summary", f"{'Просрочено: ' if item.overdue else ''}{item.title}")
        event.add("dtstart", item.due_date)
        event.add("dtend", item.due_date + dt.timedelta(days=1))
        event.add("description", f"{item.parent_title}\n{item.state_label}\n{rt.settings.base_url}{item.link_path}")
        event.add("url", f"{rt.settings.base_url}{item.link_path}")
        calendar.add_component(event)
    return calendar.to_ical()
