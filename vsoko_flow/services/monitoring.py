"""District monitoring as the pages, the API and the jobs use it: who sees which campaign and which
school (`Viewer`), setting a campaign up (schools, expert groups), the schools' answers to requests,
the expert cards, the results screen, the evidence an expert opens, and the files the jobs make.

Isolation is decided in one place, `viewer_of`:
- the district's methodologists and its head see every school of the campaign (their district only);
- an expert sees only the schools of the groups they are in, only within that campaign, read-only
  (they write nothing but the cards of those schools);
- a school sees only itself: its requests, and its card and letter once the results are published;
- anyone else gets «не найдено», exactly like a campaign that does not exist.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ..db import transaction
from ..engine.registry import ActionError
from ..models import (
    Artefact, Membership, MonitoringCampaign, MonitoringCard, MonitoringFile, MonitoringGroup, MonitoringRequest,
    MonitoringSchoolCard, Organisation, StoredDocument, User, utcnow,
)
from ..procedures import monitoring as domain
from .access import get_user
from .artefacts import add_artefact
from .errors import Conflict, Forbidden, NotFound, Unprocessable
from .runtime import Runtime

DISTRICT_ROLES = frozenset({"methodologist", "district_admin"})
EXPERT_ROLE = "expert"
SCHOOL_ANSWER_ROLES = frozenset({"director", "deputy", "working_group"})
SETUP_STATES = ("draft", "approved")
GROUP_STATES = ("draft", "approved", "data_collection")
CARD_CODE = re.compile(r"[A-Za-z0-9_.-]{1,50}")


# --------------------------------------------------------------------------- who sees what


@dataclass(frozen=True)
class Viewer:
    """A person's view of one campaign: as the district, as an expert, or as a school."""

    user_id: int
    campaign_id: int
    district_id: int
    role: str  # district, expert, school
    school_ids: frozenset[int]  # the schools this person may see in the campaign
    group_ids: frozenset[int] = frozenset()

    @property
    def is_district(self) -> bool:
        return self.role == "district"

    def school(self, school_id: int) -> None:
        if school_id not in self.school_ids:
            raise NotFound("Школа в этой кампании не найдена")


def _not_found(campaign_id: int) -> NotFound:
    return NotFound(f"Кампания мониторинга № {campaign_id} не найдена")


def campaign_artefact(session: Session, campaign_id: int) -> Artefact:
    artefact = session.get(Artefact, campaign_id)
    if artefact is None or artefact.kind != domain.CAMPAIGN_KIND:
        raise _not_found(campaign_id)
    return artefact


def viewer_of(session: Session, user_id: int, campaign_id: int) -> Viewer:
    artefact = campaign_artefact(session, campaign_id)
    get_user(session, user_id)
    district_id = artefact.organisation_id
    memberships = list(session.scalars(select(Membership).where(Membership.user_id == user_id)))
    district_roles = set(next((m.roles or [] for m in memberships if m.organisation_id == district_id), []))
    schools = set(session.scalars(select(MonitoringSchoolCard.school_id)
                                  .where(MonitoringSchoolCard.campaign_id == campaign_id)))
    if district_roles & DISTRICT_ROLES:
        return Viewer(user_id, campaign_id, district_id, "district", frozenset(schools))
    if EXPERT_ROLE in district_roles:
        groups = [g for g in session.scalars(select(MonitoringGroup).where(MonitoringGroup.campaign_id == campaign_id))
                  if user_id in (g.expert_ids or [])]
        if groups:
            group_ids = frozenset(g.id for g in groups)
            mine = set(session.scalars(select(MonitoringSchoolCard.school_id).where(
                MonitoringSchoolCard.campaign_id == campaign_id, MonitoringSchoolCard.group_id.in_(group_ids))))
            return Viewer(user_id, campaign_id, district_id, "expert", frozenset(mine), group_ids)
    own = {m.organisation_id for m in memberships} & schools
    if own and artefact.state != "draft":
        return Viewer(user_id, campaign_id, district_id, "school", frozenset(own))
    raise _not_found(campaign_id)


def user_districts(session: Session, user_id: int) -> dict[int, set[str]]:
    """District id → the user's roles there."""
    rows = session.execute(select(Membership.organisation_id, Membership.roles).join(
        Organisation, Organisation.id == Membership.organisation_id)
        .where(Membership.user_id == user_id, Organisation.kind == "district")).all()
    return {org_id: set(roles or []) for org_id, roles in rows}


def campaigns_for(rt: Runtime, user_id: int) -> list[dict[str, Any]]:
    """Every campaign the person may open, newest first, with how they see it."""
    with rt.sessions() as session:
        districts = user_districts(session, user_id)
        own_schools = set(session.scalars(select(Membership.organisation_id).where(Membership.user_id == user_id)))
        candidates = list(session.scalars(select(Artefact).where(Artefact.kind == domain.CAMPAIGN_KIND).where(
            Artefact.organisation_id.in_(districts.keys()) | Artefact.id.in_(
                select(MonitoringSchoolCard.campaign_id).where(MonitoringSchoolCard.school_id.in_(own_schools))))
            .order_by(Artefact.id.desc()).limit(200)))
        result = []
        for artefact in candidates:
            try:
                viewer = viewer_of(session, user_id, artefact.id)
            except NotFound:
                continue
            result.append({"id": artefact.id, "title": artefact.title, "state": artefact.state,
                           "state_label": rt.definition(artefact.kind).state_label(artefact.state),
                           "role": viewer.role, "schools": len(viewer.school_ids)})
        return result


# --------------------------------------------------------------------------- setting a campaign up


def create_campaign(rt: Runtime, user_id: int, district_id: int, *, title: str | None = None,
                    card_code: str = domain.DEFAULT_CARD, school_ids: list[int] | None = None,
                    previous_id: int | None = None, today: dt.date | None = None) -> int:
    """A campaign in draft: the district's newest version of the card, the chosen schools (default: all)."""
    with transaction(rt.sessions) as session:
        artefact = add_artefact(session, rt, user_id, district_id, domain.CAMPAIGN_KIND, title=title,
                                fields={"card_code": card_code}, today=today)
        try:
            card = domain.newest_card(session, district_id, card_code, created_by=user_id)
        except domain.CardError as error:
            raise Unprocessable(str(error)) from None
        schools = {s.id for s in domain.district_schools(session, district_id)}
        chosen = set(school_ids) if school_ids else schools
        if not chosen <= schools:
            raise Unprocessable("Можно выбрать только школы своего района")
        if previous_id is not None:
            previous = session.get(Artefact, previous_id)
            if previous is None or previous.kind != domain.CAMPAIGN_KIND or previous.organisation_id != district_id:
                raise Unprocessable("Предыдущая кампания должна быть кампанией этого же района")
        session.add(MonitoringCampaign(artefact_id=artefact.id, district_id=district_id, card_id=card.id,
                                       previous_id=previous_id))
        for school_id in sorted(chosen):
            session.add(MonitoringSchoolCard(campaign_id=artefact.id, school_id=school_id))
        return artefact.id


def add_group(rt: Runtime, user_id: int, campaign_id: int, name: str, expert_logins: list[str],
              school_ids: list[int]) -> int:
    """An expert group and the schools it checks (a school checked by another group moves to this one)."""
    name = " ".join((name or "").split())[:300]
    if not name:
        raise Unprocessable("Укажите название экспертной группы")
    with transaction(rt.sessions) as session:
        viewer = viewer_of(session, user_id, campaign_id)
        if not viewer.is_district:
            raise Forbidden("Экспертные группы формирует методист района")
        if campaign_artefact(session, campaign_id).state not in GROUP_STATES:
            raise Conflict("Группы можно менять до начала экспертизы")
        experts = _district_experts(session, viewer.district_id, expert_logins)
        for school_id in school_ids:
            viewer.school(school_id)
        group = MonitoringGroup(campaign_id=campaign_id, name=name, expert_ids=sorted(experts))
        session.add(group)
        session.flush()
        for card in session.scalars(select(MonitoringSchoolCard).where(
                MonitoringSchoolCard.campaign_id == campaign_id, MonitoringSchoolCard.school_id.in_(school_ids))):
            card.group_id = group.id
        return group.id


def _district_experts(session: Session, district_id: int, logins: list[str]) -> set[int]:
    if not logins:
        raise Unprocessable("В группе должен быть хотя бы один эксперт")
    found = dict(session.execute(select(User.login, User.id).join(Membership, Membership.user_id == User.id).where(
        Membership.organisation_id == district_id, User.login.in_(logins), User.is_active)).all())
    missing = [login for login in logins if login not in found]
    if missing:
        raise Unprocessable(f"Не найдены среди работников района: {', '.join(missing)}")
    return set(found.values())


def district_experts(rt: Runtime, user_id: int, campaign_id: int) -> list[dict[str, Any]]:
    """The district's people with the role «expert», for the group form."""
    with rt.sessions() as session:
        viewer = viewer_of(session, user_id, campaign_id)
        if not viewer.is_district:
            raise Forbidden("Экспертные группы формирует методист района")
        rows = session.execute(select(User.login, User.last_name, User.first_name, Membership.roles).join(
            Membership, Membership.user_id == User.id).where(Membership.organisation_id == viewer.district_id,
                                                             User.is_active).order_by(User.last_name)).all()
        return [{"login": r.login, "name": f"{r.last_name} {r.first_name}"} for r in rows
                if EXPERT_ROLE in (r.roles or [])]


def groups_of(session: Session, campaign_id: int) -> list[MonitoringGroup]:
    return list(session.scalars(select(MonitoringGroup).where(MonitoringGroup.campaign_id == campaign_id)
                                .order_by(MonitoringGroup.id)))


# --------------------------------------------------------------------------- requests to schools


def answer_request(rt: Runtime, user_id: int, request_id: int, answer: str, link: str = "") -> None:
    answer = " ".join((answer or "").split())[:5000]
    link = (link or "").strip()[:2000]
    if not answer and not link:
        raise Unprocessable("Напишите ответ или дайте ссылку на документ")
    if link and not link.startswith(("https://", "http://")):
        raise Unprocessable("Ссылка должна начинаться с https:// или http://")
    with transaction(rt.sessions) as session:
        request = session.get(MonitoringRequest, request_id)
        membership = None if request is None else session.scalars(select(Membership).where(
            Membership.user_id == user_id, Membership.organisation_id == request.school_id)).first()
        if request is None or membership is None:
            raise NotFound(f"Запрос № {request_id} не найден")
        if not SCHOOL_ANSWER_ROLES & set(membership.roles or []):
            raise Forbidden("Отвечает на запрос директор или заместитель директора")
        if campaign_artefact(session, request.campaign_id).state not in ("data_collection", "assessment"):
            raise Conflict("Сбор данных по этой кампании закончен")
        request.answer, request.answer_link = answer, link
        request.answered_by, request.answered_at = user_id, utcnow()


def monitoring_tasks(session: Session, user_id: int, organisation_id: int, today: dt.date) -> list[dict[str, Any]]:
    """«Мои задачи»: a school's open requests (overdue ones flagged), an expert's cards to fill."""
    membership = session.scalars(select(Membership).where(Membership.user_id == user_id,
                                                          Membership.organisation_id == organisation_id)).first()
    if membership is None:
        return []
    roles = set(membership.roles or [])
    tasks = []
    if roles & SCHOOL_ANSWER_ROLES:
        for request, title in session.execute(select(MonitoringRequest, Artefact.title).join(
                Artefact, Artefact.id == MonitoringRequest.campaign_id).where(
                MonitoringRequest.school_id == organisation_id, MonitoringRequest.answered_at.is_(None),
                Artefact.state.in_(("data_collection", "assessment"))).order_by(MonitoringRequest.due_date).limit(20)):
            tasks.append({"kind": "request", "campaign_id": request.campaign_id, "school_id": organisation_id,
                          "label": f"Ответить на запрос района: {title}", "due": request.due_date,
                          "overdue": request.due_date < today})
    if EXPERT_ROLE in roles:
        groups = [g.id for g in session.scalars(select(MonitoringGroup).join(
            Artefact, Artefact.id == MonitoringGroup.campaign_id).where(
            Artefact.organisation_id == organisation_id, Artefact.state == "assessment")) if user_id in g.expert_ids]
        for card, title, school in session.execute(select(MonitoringSchoolCard, Artefact.title, Organisation.short_name)
                                                   .join(Artefact, Artefact.id == MonitoringSchoolCard.campaign_id)
                                                   .join(Organisation, Organisation.id == MonitoringSchoolCard.school_id)
                                                   .where(MonitoringSchoolCard.group_id.in_(groups),
                                                          MonitoringSchoolCard.state != "returned").limit(50)):
            tasks.append({"kind": "card", "campaign_id": card.campaign_id, "school_id": card.school_id,
                          "label": f"Заполнить экспертную карту: {school} ({title})", "due": None, "overdue": False})
    return tasks


# --------------------------------------------------------------------------- the expert card of a school


def _card_version(session: Session, campaign_id: int) -> MonitoringCard:
    campaign = session.get(MonitoringCampaign, campaign_id)
    if campaign is None:
        raise NotFound("У кампании нет экспертной карты")
    return session.get(MonitoringCard, campaign.card_id)


def card_view(rt: Runtime, user_id: int, campaign_id: int, school_id: int, today: dt.date | None = None
              ) -> dict[str, Any]:
    """A school's card: criteria, answers, the automatic answers with their evidence (not for the school
    itself — it sees the result), and whether this person may fill it now."""
    today = today or dt.date.today()
    with rt.sessions() as session:
        viewer = viewer_of(session, user_id, campaign_id)
        viewer.school(school_id)
        artefact = campaign_artefact(session, campaign_id)
        # Before publication a school sees its requests, not its card: the experts' work is not final.
        hidden = viewer.role == "school" and artefact.state not in domain.PUBLISHED_STATES
        card = _card_version(session, campaign_id)
        row = _school_card(session, campaign_id, school_id)
        if hidden:
            row = MonitoringSchoolCard(campaign_id=campaign_id, school_id=school_id, state="pending", answers={},
                                       score=0.0, max_score=0.0, percent=0.0, zone="", recommendations="")
        school = session.get(Organisation, school_id)
        unmet = [c["code"] for c in domain.unmet_criteria(card, row.answers or {})] if row.state == "returned" else []
        plan = _plan_link(rt, session, row.corrective_plan_id) if not hidden else None
        may_plan = (viewer.role == "school" and artefact.state in domain.PUBLISHED_STATES and bool(unmet)
                    and (plan is None or plan["state"] == "withdrawn") and bool(PLAN_ROLES & set(session.scalars(
                        select(Membership.roles).where(Membership.user_id == user_id,
                                                       Membership.organisation_id == school_id)).first() or [])))
        hints = domain.suggestions(session, school_id, today, artefact.school_year) if viewer.role != "school" else {}
        requests = list(session.scalars(select(MonitoringRequest).where(
            MonitoringRequest.campaign_id == campaign_id, MonitoringRequest.school_id == school_id)))
        criteria = []
        for criterion in card.criteria:
            answer = (row.answers or {}).get(criterion["code"], {})
            suggestion = hints.get(criterion.get("auto") or "")
            criteria.append({**criterion, "scale_label": domain.SCALES[criterion["scale"]],
                             "max": domain.criterion_max(criterion), "answer": answer,
                             "answer_label": domain.value_label(criterion, answer.get("value")),
                             "suggestion": suggestion.as_dict() if suggestion else None,
                             "suggestion_label": domain.value_label(criterion, suggestion.value) if suggestion else ""})
        return {"campaign_id": campaign_id, "campaign_title": artefact.title, "campaign_state": artefact.state,
                "school_id": school_id, "school_name": school.short_name, "card_title": card.title,
                "card_version": card.version, "pass_mark": card.pass_mark, "green_from": card.green_from,
                "state": row.state, "score": row.score, "max_score": row.max_score or sum(c["max"] for c in criteria),
                "percent": row.percent, "zone": row.zone, "zone_label": domain.ZONES.get(row.zone, "не оценено"),
                "recommendations": row.recommendations, "criteria": criteria, "viewer": viewer.role,
                "may_fill": _may_fill(viewer, artefact, row), "results_hidden": hidden,
                "unmet": unmet, "corrective_plan": plan, "may_start_plan": may_plan,
                "requests": [{"id": r.id, "text": r.text, "due": r.due_date, "answer": r.answer, "link": r.answer_link,
                              "answered_at": r.answered_at, "overdue": r.answered_at is None and r.due_date < today}
                             for r in requests]}


def _school_card(session: Session, campaign_id: int, school_id: int, lock: bool = False) -> MonitoringSchoolCard:
    query = select(MonitoringSchoolCard).where(MonitoringSchoolCard.campaign_id == campaign_id,
                                               MonitoringSchoolCard.school_id == school_id)
    row = session.scalars(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound("Школа в этой кампании не найдена")
    return row


def _may_fill(viewer: Viewer, artefact: Artefact, row: MonitoringSchoolCard) -> bool:
    return artefact.state == "assessment" and viewer.role in ("district", "expert") and row.state != "returned"


def save_card(rt: Runtime, user_id: int, campaign_id: int, school_id: int, answers: dict[str, dict[str, Any]],
              recommendations: str = "", submit: bool = False, today: dt.date | None = None) -> dict[str, Any]:
    """Write the expert's answers (each scored on its scale) and, with `submit`, hand the card in: then
    every criterion must be answered. Nothing is written when an answer does not fit its scale."""
    today = today or dt.date.today()
    with transaction(rt.sessions) as session:
        viewer = viewer_of(session, user_id, campaign_id)
        viewer.school(school_id)
        artefact = campaign_artefact(session, campaign_id)
        row = _school_card(session, campaign_id, school_id, lock=True)
        if viewer.role == "school":
            raise Forbidden("Карту заполняет эксперт района")
        if artefact.state != "assessment":
            raise Conflict("Карты заполняются, пока идёт экспертиза")
        if row.state == "returned":
            raise Conflict("Карта уже сдана")
        card = _card_version(session, campaign_id)
        unknown = set(answers) - {c["code"] for c in card.criteria}
        if unknown:
            raise Unprocessable(f"В карте нет критериев: {', '.join(sorted(unknown))}")
        try:
            scored = domain.scored_answers(card, answers,
                                           domain.suggestions(session, school_id, today, artefact.school_year))
        except domain.CardError as error:
            raise Unprocessable(str(error)) from None
        if submit:
            missing = [c["code"] for c in card.criteria if c["code"] not in scored]
            if missing:
                raise Unprocessable(f"Чтобы сдать карту, оцените все критерии; не оценены: {', '.join(missing)}")
        totals = domain.card_totals(card, scored)
        row.answers, row.recommendations = scored, " ".join((recommendations or "").split())[:5000]
        row.score, row.max_score, row.percent, row.zone = totals.score, totals.max_score, totals.percent, totals.zone
        row.filled_by = user_id
        row.state = "returned" if submit else "draft"
        if submit:
            row.returned_at = utcnow()
        return {"state": row.state, "score": totals.score, "max_score": totals.max_score, "percent": totals.percent,
                "zone": totals.zone}


PLAN_ROLES = frozenset({"director", "deputy"})


def start_corrective_plan(rt: Runtime, user_id: int, campaign_id: int, school_id: int,
                          today: dt.date | None = None) -> int:
    """The school answers its published card with a corrective-action plan (its director or deputy): each
    criterion below the pass mark becomes a finding of the school, and the plan has a section for each.
    Nothing is written on a refusal."""
    today = today or dt.date.today()
    with transaction(rt.sessions) as session:
        viewer = viewer_of(session, user_id, campaign_id)
        viewer.school(school_id)
        if viewer.role != "school":
            raise Forbidden("План корректирующих мероприятий по карте составляет сама школа")
        roles = set(session.scalars(select(Membership.roles).where(
            Membership.user_id == user_id, Membership.organisation_id == school_id)).first() or [])
        if not roles & PLAN_ROLES:
            raise Forbidden("План корректирующих мероприятий начинает директор или заместитель директора")
        artefact = campaign_artefact(session, campaign_id)
        if artefact.state not in domain.PUBLISHED_STATES:
            raise Conflict("План составляется по опубликованным результатам мониторинга")
        row = _school_card(session, campaign_id, school_id, lock=True)
        plan = session.get(Artefact, row.corrective_plan_id) if row.corrective_plan_id else None
        if plan is not None and plan.state != "withdrawn":
            raise Conflict(f"По этой карте уже составляется план корректирующих мероприятий № {plan.id}")
        card = _card_version(session, campaign_id)
        if row.state != "returned" or not domain.unmet_criteria(card, row.answers or {}):
            raise Conflict("Все критерии карты выполнены на проходной балл — корректирующие мероприятия не нужны")
        plan = domain.answer_card_with_plan(session, rt.definitions, artefact, card, row,
                                            get_user(session, user_id), today)
        return plan.id


def _plan_link(rt: Runtime, session: Session, plan_id: int | None) -> dict[str, Any] | None:
    plan = session.get(Artefact, plan_id) if plan_id else None
    if plan is None:
        return None
    return {"id": plan.id, "title": plan.title, "state": plan.state,
            "state_label": rt.definition(plan.kind).state_label(plan.state)}


def card_document(rt: Runtime, user_id: int, campaign_id: int, school_id: int) -> tuple[str, bytes]:
    """The school's filled expert card as a .docx (made when asked: one small document)."""
    from ..documents.render import render_docx

    view = card_view(rt, user_id, campaign_id, school_id)
    if view["results_hidden"] or view["state"] != "returned":
        raise Conflict("Карта ещё не сдана экспертом")
    with rt.sessions() as session:
        district = session.get(Organisation, viewer_of(session, user_id, campaign_id).district_id)
        row = _school_card(session, campaign_id, school_id)
        expert = session.get(User, row.filled_by) if row.filled_by else None
    from ..documents.russian import initials_surname

    rows = [{"code": c["code"], "text": c["text"], "scale": c["scale_label"], "answer": c["answer_label"],
             "points": domain.number_text(c["answer"].get("score")), "comment": c["answer"].get("comment", "")}
            for c in view["criteria"]]
    url = f"{rt.settings.base_url}/monitoring/{campaign_id}/schools/{school_id}"
    context = {"org_full_name": district.full_name, "heading": view["card_title"], "school_name": view["school_name"],
               "filled_on": row.returned_at.strftime("%d.%m.%Y") if row.returned_at else "", "rows": rows,
               "total": f"{domain.number_text(view['score'])} из {domain.number_text(view['max_score'])} "
                        f"({domain.number_text(view['percent'])} %)",
               "zone": view["zone_label"], "pass_mark": f"{view['pass_mark']} %",
               "expert": initials_surname(expert.last_name, expert.first_name, expert.middle_name) if expert else "",
               "verify_url": url}
    data = render_docx(rt.templates.get("monitoring_card"), context, qr_payload=url)
    return f"Экспертная карта {view['school_name'][:150]}.docx", data


def new_card_version(rt: Runtime, user_id: int, district_id: int, code: str, *, title: str, criteria: list[dict],
                     pass_mark: int, green_from: int) -> int:
    """The district's next version of a card (a methodologist's edit); campaigns keep the version they had."""
    with transaction(rt.sessions) as session:
        if not user_districts(session, user_id).get(district_id, set()) & DISTRICT_ROLES:
            raise NotFound("Район не найден")
        if not CARD_CODE.fullmatch(code or ""):
            raise Unprocessable("Код карты — латинские буквы, цифры, «_», «-» или «.», не длиннее 50 знаков")
        if not isinstance(criteria, list) or not all(isinstance(c, dict) for c in criteria):
            raise Unprocessable("Критерии — список, у каждого код, текст и шкала")
        try:
            domain.validate_criteria(criteria)
        except domain.CardError as error:
            raise Unprocessable(str(error)) from None
        if not 0 < pass_mark <= green_from <= 100:
            raise Unprocessable("Проходной балл и начало зелёной зоны — проценты, проходной не выше зелёной зоны")
        title = " ".join((title or "").split())
        if not title:
            raise Unprocessable("Укажите название карты")
        current = domain.newest_card(session, district_id, code, created_by=user_id) \
            if (domain.CARDS_DIR / f"{code}.yaml").is_file() else None
        last = session.scalar(select(func.max(MonitoringCard.version)).where(
            MonitoringCard.organisation_id == district_id, MonitoringCard.code == code)) or 0
        card = MonitoringCard(organisation_id=district_id, code=code, version=max(last, current.version if current else 0) + 1,
                              title=title, pass_mark=pass_mark, green_from=green_from, criteria=criteria,
                              created_by=user_id)
        session.add(card)
        session.flush()
        return card.id


def _card_data(card: MonitoringCard) -> dict[str, Any]:
    return {"id": card.id, "code": card.code, "version": card.version, "title": card.title,
            "pass_mark": card.pass_mark, "green_from": card.green_from, "criteria": card.criteria,
            "created_at": card.created_at}


def criteria_from_text(text: str) -> list[dict[str, Any]]:
    """The criteria as the page writes them (YAML, as in monitoring_cards/*.yaml); Unprocessable with the
    line of a mistake."""
    import yaml  # noqa: PLC0415 - only the card editor reads YAML typed by a person

    try:
        data = yaml.safe_load(text or "")
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (строка {mark.line + 1})" if mark is not None else ""
        raise Unprocessable(f"Критерии записаны с ошибкой{where}: проверьте отступы и двоеточия") from None
    if not isinstance(data, list) or not all(isinstance(c, dict) for c in data):
        raise Unprocessable("Критерии — список: каждый начинается с «- code: …» и содержит text и scale")
    return data


def criteria_as_text(criteria: list[dict[str, Any]]) -> str:
    import yaml  # noqa: PLC0415

    return yaml.safe_dump(criteria, allow_unicode=True, sort_keys=False, width=120)


def district_cards(rt: Runtime, user_id: int, district_id: int) -> list[dict[str, Any]]:
    """The newest version of each card of the district (the shipped card is always there), for its
    methodologists and head; anyone else: not found."""
    with transaction(rt.sessions) as session:
        if not user_districts(session, user_id).get(district_id, set()) & DISTRICT_ROLES:
            raise NotFound("Район не найден")
        domain.newest_card(session, district_id, domain.DEFAULT_CARD, created_by=user_id)
        codes = sorted(set(session.scalars(select(MonitoringCard.code).where(
            MonitoringCard.organisation_id == district_id))))
        return [_card_data(domain.newest_card(session, district_id, code)) for code in codes]


def managed_districts(rt: Runtime, user_id: int) -> list[dict[str, Any]]:
    """The districts where the person is a methodologist or the head (they edit the cards and plans)."""
    with rt.sessions() as session:
        ids = [d for d, roles in user_districts(session, user_id).items() if roles & DISTRICT_ROLES]
        return [{"id": o.id, "name": o.short_name} for o in session.scalars(
            select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.short_name))]


# --------------------------------------------------------------------------- evidence an expert opens


def evidence_view(rt: Runtime, user_id: int, campaign_id: int, school_id: int, artefact_id: int) -> dict[str, Any]:
    """A school's document, read-only, for whoever sees the school in this campaign (not the school's pages:
    an expert is not a member of the school)."""
    with rt.sessions() as session:
        viewer = viewer_of(session, user_id, campaign_id)
        viewer.school(school_id)
        artefact = session.get(Artefact, artefact_id)
        if artefact is None or artefact.organisation_id != school_id:
            raise NotFound(f"Документ № {artefact_id} не найден")
        definition = rt.definition(artefact.kind)
        documents = session.execute(select(StoredDocument.id, StoredDocument.title, StoredDocument.file_name,
                                           StoredDocument.registration_number, StoredDocument.created_at)
                                    .where(StoredDocument.artefact_id == artefact_id)
                                    .order_by(StoredDocument.id)).all()
        fields = {spec.label: (artefact.fields or {}).get(spec.name) for t in definition.transitions.values()
                  for spec in t.fields if (artefact.fields or {}).get(spec.name) not in (None, "", [], {})
                  and spec.type in ("date", "str", "int", "text", "choice")}
        return {"id": artefact.id, "title": artefact.title, "kind_title": definition.title,
                "state_label": definition.state_label(artefact.state), "school_year": artefact.school_year,
                "fields": fields, "documents": [dict(d._mapping) for d in documents],
                "campaign_id": campaign_id, "school_id": school_id}


def evidence_document(rt: Runtime, user_id: int, campaign_id: int, school_id: int, document_id: int
                      ) -> tuple[str, bytes]:
    with rt.sessions() as session:
        viewer = viewer_of(session, user_id, campaign_id)
        viewer.school(school_id)
        document = session.get(StoredDocument, document_id)
        if document is None or document.organisation_id != school_id:
            raise NotFound(f"Документ № {document_id} не найден")
        return document.file_name, document.content


# --------------------------------------------------------------------------- the results screen


@dataclass(frozen=True)
class Filters:
    group_id: int | None = None
    zone: str | None = None
    criterion: str | None = None


def results(rt: Runtime, user_id: int, campaign_id: int, filters: Filters = Filters(), today: dt.date | None = None
            ) -> dict[str, Any]:
    """Schools × criteria with zones, totals, ranking (best = 100), change since the previous campaign and
    the schools late with their data. A fixed number of queries, whatever the number of schools."""
    today = today or dt.date.today()
    with rt.sessions() as session:
        viewer = viewer_of(session, user_id, campaign_id)
        if viewer.role == "school":
            raise NotFound("Экран результатов района школе не показывается")
        return results_in(session, rt, viewer, filters, today)


def results_in(session: Session, rt: Runtime, viewer: Viewer, filters: Filters, today: dt.date) -> dict[str, Any]:
    campaign_id = viewer.campaign_id
    artefact = campaign_artefact(session, campaign_id)
    settings = session.get(MonitoringCampaign, campaign_id)
    if settings is not None:
        card, previous_id = session.get(MonitoringCard, settings.card_id), settings.previous_id
    else:  # a draft made by «Новый документ»: its card and schools are fixed by the order
        try:
            card, previous_id = domain.card_for(session, artefact), None
        except ActionError as error:
            raise Unprocessable(str(error)) from None
    groups = {g.id: g.name for g in groups_of(session, campaign_id)}
    plans = aliased(Artefact)
    rows = session.execute(select(MonitoringSchoolCard, Organisation.short_name, plans.state).join(
        Organisation, Organisation.id == MonitoringSchoolCard.school_id)
        .outerjoin(plans, plans.id == MonitoringSchoolCard.corrective_plan_id)
        .where(MonitoringSchoolCard.campaign_id == campaign_id,
               MonitoringSchoolCard.school_id.in_(viewer.school_ids))).all()
    late = dict(session.execute(select(MonitoringRequest.school_id, func.count()).where(
        MonitoringRequest.campaign_id == campaign_id, MonitoringRequest.answered_at.is_(None),
        MonitoringRequest.due_date < today).group_by(MonitoringRequest.school_id)).all())
    previous, previous_plans = {}, {}
    plan_label = rt.definition(domain.CORRECTIVE_KIND)
    if previous_id is not None:
        for school_id, percent, plan_id, plan_state in session.execute(select(
                MonitoringSchoolCard.school_id, MonitoringSchoolCard.percent, MonitoringSchoolCard.corrective_plan_id,
                plans.state).outerjoin(plans, plans.id == MonitoringSchoolCard.corrective_plan_id).where(
                MonitoringSchoolCard.campaign_id == previous_id, MonitoringSchoolCard.state == "returned")):
            previous[school_id] = percent
            if plan_id is not None:
                previous_plans[school_id] = {"id": plan_id, "state": plan_state,
                                             "state_label": plan_label.state_label(plan_state)}
    maxima = {c["code"]: domain.criterion_max(c) for c in card.criteria}
    assessed = [card_row.percent for card_row, _, _ in rows if card_row.state == "returned"]
    best = max(assessed, default=0.0)
    table = []
    for card_row, name, plan_state in rows:
        returned = card_row.state == "returned"
        answers = card_row.answers or {}
        cells = [{"code": code, "score": answers.get(code, {}).get("score"),
                  "zone": domain.cell_zone(answers.get(code, {}).get("score"), maximum) if returned else ""}
                 for code, maximum in maxima.items()]
        before = previous.get(card_row.school_id)
        table.append({"school_id": card_row.school_id, "school": name, "group_id": card_row.group_id,
                      "group": groups.get(card_row.group_id, "методист района"), "state": card_row.state,
                      "returned": returned, "score": card_row.score, "percent": card_row.percent if returned else None,
                      "zone": card_row.zone if returned else "", "cells": cells,
                      "index": round(card_row.percent * 100 / best, 1) if returned and best else None,
                      "change": round(card_row.percent - before, 1) if returned and before is not None else None,
                      "late_requests": late.get(card_row.school_id, 0),
                      "plan": {"id": card_row.corrective_plan_id, "state": plan_state,
                               "state_label": plan_label.state_label(plan_state)} if card_row.corrective_plan_id else None,
                      "previous_plan": previous_plans.get(card_row.school_id)})
    table.sort(key=lambda r: (-(r["percent"] if r["percent"] is not None else -1), r["school"]))
    place = 0
    for row in table:
        if row["returned"]:
            place += 1
            row["place"] = place
        else:
            row["place"] = None
    shown = [r for r in table if _passes(r, filters)]
    zone_counts = {zone: sum(1 for r in table if r["zone"] == zone) for zone in domain.ZONES}
    criteria_stats = []
    for criterion in card.criteria:
        scores = [c["score"] for r in table if r["returned"] for c in r["cells"] if c["code"] == criterion["code"]]
        maximum = maxima[criterion["code"]]
        mean = round(sum(s or 0 for s in scores) * 100 / (maximum * len(scores)), 1) if scores and maximum else None
        criteria_stats.append({"code": criterion["code"], "text": criterion["text"], "mean": mean,
                               "zero": sum(1 for s in scores if not s)})
    return {"campaign_id": campaign_id, "title": artefact.title, "state": artefact.state,
            "state_label": rt.definition(artefact.kind).state_label(artefact.state), "viewer": viewer.role,
            "card": {"title": card.title, "version": card.version, "pass_mark": card.pass_mark,
                     "green_from": card.green_from, "criteria": card.criteria},
            "groups": groups, "rows": shown, "total": len(table), "zones": zone_counts,
            "assessed": len(assessed), "mean_percent": round(sum(assessed) / len(assessed), 1) if assessed else None,
            "criteria": criteria_stats, "has_previous": previous_id is not None,
            "may_form_groups": viewer.is_district and artefact.state in GROUP_STATES,
            "late_schools": sum(1 for r in table if r["late_requests"]), "filters": filters}


def _passes(row: dict[str, Any], filters: Filters) -> bool:
    if filters.group_id is not None and row["group_id"] != filters.group_id:
        return False
    if filters.zone and row["zone"] != filters.zone:
        return False
    if filters.criterion:
        cell = next((c for c in row["cells"] if c["code"] == filters.criterion), None)
        if cell is None or cell["zone"] == "green":
            return False  # the criterion filter shows the schools that did not score it fully
    return True


# --------------------------------------------------------------------------- files made by jobs


def files_of(rt: Runtime, user_id: int, campaign_id: int) -> list[dict[str, Any]]:
    with rt.sessions() as session:
        viewer = viewer_of(session, user_id, campaign_id)
        query = select(MonitoringFile.id, MonitoringFile.kind, MonitoringFile.file_name, MonitoringFile.school_id,
                       MonitoringFile.size, MonitoringFile.created_at).where(MonitoringFile.campaign_id == campaign_id)
        rows = [dict(r._mapping) for r in session.execute(query.order_by(MonitoringFile.id.desc()).limit(1000))]
        return [r for r in rows if _may_download(viewer, r["school_id"])]


def _may_download(viewer: Viewer, school_id: int | None) -> bool:
    if viewer.is_district:
        return True
    if school_id is None:
        return False  # the district's own summaries: not for a school, not for an expert of some schools
    return school_id in viewer.school_ids and viewer.role in ("school", "expert")


def file_for(rt: Runtime, user_id: int, campaign_id: int, file_id: int) -> tuple[str, bytes]:
    with rt.sessions() as session:
        viewer = viewer_of(session, user_id, campaign_id)
        row = session.get(MonitoringFile, file_id)
        if row is None or row.campaign_id != campaign_id or not _may_download(viewer, row.school_id):
            raise NotFound(f"Файл № {file_id} не найден")
        if viewer.role == "school" and campaign_artefact(session, campaign_id).state not in domain.PUBLISHED_STATES:
            raise NotFound(f"Файл № {file_id} не найден")
        return row.file_name, row.content


def store_file(session: Session, campaign_id: int, kind: str, file_name: str, data: bytes, *,
               school_id: int | None = None, job_id: int | None = None, unit_key: str = "") -> MonitoringFile:
    row = MonitoringFile(campaign_id=campaign_id, school_id=school_id, kind=kind, job_id=job_id, unit_key=unit_key,
                         file_name=file_name, sha256=hashlib.sha256(data).hexdigest(), size=len(data), content=data)
    session.add(row)
    return row


EXPORT_KINDS = {"xlsx": "monitoring_xlsx", "report": "monitoring_report", "letters": "monitoring_letters"}
# The letters go out as several jobs of this many schools: job workers on several machines share them
# (small enough that two workers finish at about the same time).
LETTERS_PER_JOB = 25


def request_export(rt: Runtime, user_id: int, campaign_id: int, what: str) -> list[int]:
    """Jobs making the .xlsx, the справка or the letters (never inside a web request); their ids."""
    from .jobs import submit

    if what not in EXPORT_KINDS:
        raise Unprocessable("Выгрузка: xlsx, report (справка) или letters (письма школам)")
    with rt.sessions() as session:
        viewer = viewer_of(session, user_id, campaign_id)
        if not viewer.is_district:
            raise Forbidden("Выгрузки района делает методист района")
        artefact = campaign_artefact(session, campaign_id)
        if what == "letters" and artefact.state not in domain.PUBLISHED_STATES:
            raise Conflict("Письма школам готовятся после публикации результатов")
        district_id = viewer.district_id
        schools = sorted(session.scalars(select(MonitoringSchoolCard.school_id).where(
            MonitoringSchoolCard.campaign_id == campaign_id, MonitoringSchoolCard.state == "returned")))
    params = {"campaign_id": campaign_id, "user_id": user_id}
    if what != "letters":
        return [submit(rt, EXPORT_KINDS[what], params, organisation_id=district_id, requested_by=user_id)]
    batches = [schools[i:i + LETTERS_PER_JOB] for i in range(0, len(schools), LETTERS_PER_JOB)] or [[]]
    return [submit(rt, "monitoring_letters", {**params, "school_ids": batch}, organisation_id=district_id,
                   requested_by=user_id, title=f"Письма школам по итогам мониторинга ({n} из {len(batches)})")
            for n, batch in enumerate(batches, 1)]


# --------------------------------------------------------------------------- the district's plans and their rows in the schools


def district_plans(rt: Runtime, user_id: int) -> list[dict[str, Any]]:
    """The plans and roadmaps of the districts where the person is a methodologist or the head."""
    with rt.sessions() as session:
        mine = [d for d, roles in user_districts(session, user_id).items() if roles & DISTRICT_ROLES]
        plans = session.scalars(select(Artefact).where(Artefact.kind == domain.DISTRICT_PLAN_KIND,
                                                       Artefact.organisation_id.in_(mine))
                                .order_by(Artefact.id.desc()).limit(200))
        return [{"id": p.id, "title": p.title, "state": p.state,
                 "state_label": rt.definition(p.kind).state_label(p.state)} for p in plans]


def district_plan_progress(rt: Runtime, user_id: int, plan_id: int) -> dict[str, Any]:
    """Each row of a district plan and, for a row given to every school («ОО»), how many schools have
    finished it («12 из 30 школ»). Only the district's methodologists and head; anyone else: not found."""
    from ..models import PlanItem  # noqa: PLC0415 - plan rows, read only here

    with rt.sessions() as session:
        plan = session.get(Artefact, plan_id)
        if plan is None or plan.kind != domain.DISTRICT_PLAN_KIND or not (
                user_districts(session, user_id).get(plan.organisation_id, set()) & DISTRICT_ROLES):
            raise NotFound(f"План района № {plan_id} не найден")
        schools = domain.district_schools(session, plan.organisation_id)
        progress = domain.row_progress(session, plan_id, [s.id for s in schools])
        items = session.scalars(select(PlanItem).where(PlanItem.artefact_id == plan_id)
                                .order_by(PlanItem.position, PlanItem.id)).all()
        rows = []
        for item in items:
            found = progress.get(item.id)
            rows.append({"id": item.id, "number": item.number, "activity": item.fields.get("activity", ""),
                         "responsible": item.responsible_text, "deadline": item.deadline_text,
                         "every_school": domain.for_every_school(item),
                         "done": found["done"] if found else 0, "total": found["total"] if found else 0})
        return {"id": plan.id, "title": plan.title, "state": plan.state,
                "state_label": rt.definition(plan.kind).state_label(plan.state), "schools": len(schools), "rows": rows}
