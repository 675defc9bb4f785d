"""Internal audits as people work on them: checklists of the school (edited by the deputy as new
versions), an audit's programme, the answers to its checklist with evidence, and findings — from
a checklist line in one click, or written by hand. Each write is one transaction and refuses
with a Russian message, writing nothing, when something is wrong.

The audit's transitions (order, start, act, approval, closing) are fired like any other
(services/transitions.py); the rules are in procedures/audits.py and procedures/findings.py.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import transaction
from ..engine.fields import FieldError, parse_date
from ..engine.history import append_entry
from ..models import Artefact, ArtefactAssignee, AuditLine, ChecklistVersion, Evidence, Membership, PlanItem, User
from ..procedures.audits import (
    ANSWERS, AUDIT_KIND, FAILED_ANSWERS, audit_lines, audit_team, checklists, independence_problems, plan_item_label,
    programme_of,
)
from ..procedures.findings import AREAS, FINDING_KIND, EvidenceMissing, record_finding
from .access import artefact_for, get_user, membership_in
from .control import checked_evidence_input, store_evidence
from .errors import Conflict, Forbidden, NotFound, Unprocessable
from .runtime import Runtime

# Who prepares audits and may act for the audit team.
MANAGING_ROLES = frozenset({"deputy", "director", "working_group"})
MAX_CHECKLIST_LINES = 300


# --- checklists ---------------------------------------------------------------------------------

def checklist_list(rt: Runtime, user_id: int, organisation_id: int) -> list[dict[str, Any]]:
    """The school's checklists, newest versions: code, title, area, version, lines."""
    with rt.sessions() as session:
        _member(session, user_id, organisation_id)
        return [_checklist_data(c) for c in checklists(session, organisation_id).values()]


def _checklist_data(checklist) -> dict[str, Any]:  # noqa: ANN001 - procedures.audits.Checklist
    return {"code": checklist.code, "title": checklist.title, "area": checklist.area,
            "area_label": AREAS.get(checklist.area, checklist.area), "version": checklist.version,
            "shipped": checklist.shipped, "lines": [dict(line) for line in checklist.lines]}


def checklist_as_text(lines: list[dict[str, str]]) -> str:
    """The form's text: «# Раздел» lines, then «КОД | требование | источник» lines."""
    out, section = [], None
    for line in lines:
        if line.get("section") != section:
            section = line.get("section")
            if section:
                out.append(f"# {section}")
        out.append(" | ".join((line.get("code", ""), line["text"], line.get("source", ""))))
    return "\n".join(out)


def parse_checklist_text(text: str, code: str) -> list[dict[str, str]]:
    """Lines of a checklist from the form's text; a Russian message (ValueError) for a wrong line."""
    lines, section, problems = [], "", []
    for number, raw in enumerate(text.splitlines(), start=1):
        raw = raw.strip()
        if not raw:
            continue
        if raw.startswith("#"):
            section = raw.lstrip("#").strip()
            continue
        parts = [part.strip() for part in raw.split("|")]
        if len(parts) == 1:
            parts = ["", parts[0], ""]
        if len(parts) == 2:
            parts.append("")
        line_code, requirement, source = parts[0], " | ".join(parts[1:-1]) if len(parts) > 3 else parts[1], parts[-1]
        if not requirement:
            problems.append(f"строка {number}: нет текста требования")
            continue
        lines.append({"code": line_code or f"{code.upper()}-{len(lines) + 1:02d}", "section": section,
                      "text": requirement, "source": source})
    if problems:
        raise ValueError("; ".join(problems[:10]))
    if not lines:
        raise ValueError("В чек-листе нет ни одного требования")
    if len(lines) > MAX_CHECKLIST_LINES:
        raise ValueError(f"Слишком много требований: не больше {MAX_CHECKLIST_LINES}")
    return lines


def save_checklist(rt: Runtime, user_id: int, organisation_id: int, code: str, *, title: str, area: str,
                   text: str) -> int:
    """A new version of the school's checklist (a new code starts at version 1); returns the version."""
    code = code.strip()
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,49}", code):
        raise Unprocessable("Код чек-листа — латинские буквы, цифры и «_», например «objectivity_2025»")
    if area not in AREAS:
        raise Unprocessable(f"Направление — одно из: {', '.join(AREAS.values())}")
    if not title.strip() or len(title) > 500:
        raise Unprocessable("Укажите название чек-листа (не длиннее 500 символов)")
    try:
        lines = parse_checklist_text(text, code)
    except ValueError as error:
        raise Unprocessable(f"Чек-лист не сохранён: {error}") from None
    with transaction(rt.sessions) as session:
        membership = _member(session, user_id, organisation_id)
        if not {"deputy", "director"} & set(membership.roles or []):
            raise Forbidden("Чек-листы изменяет заместитель директора или директор")
        current = checklists(session, organisation_id).get(code)
        version = (current.version + 1) if current else 1
        if current and [dict(line) for line in current.lines] == lines and current.title == title.strip():
            return current.version
        session.add(ChecklistVersion(organisation_id=organisation_id, code=code, version=version, title=title.strip(),
                                     area=area, lines=lines, created_by=user_id))
        return version


# --- the programme ---------------------------------------------------------------------------------

def _member(session: Session, user_id: int, organisation_id: int) -> Membership:
    membership = membership_in(session, user_id, organisation_id)
    if membership is None:
        raise NotFound("Организация не найдена")
    return membership


def _audit(session: Session, user_id: int, audit_id: int, lock: bool = False) -> tuple[Artefact, Membership]:
    audit, membership = artefact_for(session, user_id, audit_id, lock=lock)
    if audit.kind != AUDIT_KIND:
        raise NotFound(f"Аудит № {audit_id} не найден")
    return audit, membership


def _check_version(audit: Artefact, version: int | None) -> None:
    if version is not None and version != audit.version:
        raise Conflict(f"Аудит уже изменён (версия {audit.version}, у вас {version}): обновите страницу и повторите")


def _active_logins(session: Session, organisation_id: int, logins: list[str]) -> set[str]:
    if not logins:
        return set()
    return set(session.scalars(select(User.login).join(Membership).where(
        Membership.organisation_id == organisation_id, User.login.in_(logins), User.is_active.is_(True))))


def _date(value: Any, label: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        return parse_date(value).isoformat()
    except FieldError:
        raise Unprocessable(f"«{label}»: ожидается дата в виде ДД.ММ.ГГГГ",
                            details={"fields": {label: "ожидается дата"}}) from None


def set_programme(rt: Runtime, audit_id: int, user_id: int, *, version: int | None, checklist: str,
                  lead_auditor: str, auditors: list[str], auditees: list[str], start_date: Any, end_date: Any,
                  plan_item_id: int | None = None) -> int:
    """Write the audit's programme (while it is a programme); returns the audit's new version.

    Refused, writing nothing: an unknown checklist, person or plan row, dates out of order, and an
    auditor who would audit their own work."""
    with transaction(rt.sessions) as session:
        actor = get_user(session, user_id)
        audit, membership = _audit(session, user_id, audit_id, lock=True)
        _check_version(audit, version)
        definition = rt.definition(AUDIT_KIND)
        if audit.state != definition.initial:
            raise Conflict("Программу можно менять, пока аудит не назначен приказом")
        if not MANAGING_ROLES & set(membership.roles or []):
            raise Forbidden("Программу аудита составляет заместитель директора или рабочая группа")
        auditors = [login for login in dict.fromkeys(auditors) if login and login != lead_auditor]
        auditees = list(dict.fromkeys(login for login in auditees if login))
        problems = _programme_problems(session, audit, checklist, lead_auditor, auditors, auditees, plan_item_id)
        start, end = _date(start_date, "Начало аудита"), _date(end_date, "Окончание аудита")
        if start and end and end < start:
            problems["end_date"] = "Окончание аудита раньше его начала"
        if problems:
            raise Unprocessable("Программа не сохранена: " + "; ".join(problems.values()), details={"fields": problems})
        programme = {"checklist": checklist, "lead_auditor": lead_auditor, "auditors": auditors,
                     "auditees": auditees, "start_date": start, "end_date": end, "plan_item_id": plan_item_id}
        audit.fields = {**audit.fields, **programme}
        session.flush()
        independence = independence_problems(session, audit)
        if independence:
            raise Unprocessable(independence[0], details={"rules": independence})
        _set_team(session, audit)
        append_entry(session, audit, actor, "edit_programme", audit.state, fields=programme)
        session.flush()
        return audit.version


def _programme_problems(session: Session, audit: Artefact, checklist: str, lead: str, auditors: list[str],
                        auditees: list[str], plan_item_id: int | None) -> dict[str, str]:
    problems = {}
    if checklist not in checklists(session, audit.organisation_id):
        problems["checklist"] = f"нет чек-листа «{checklist}»: выберите из списка"
    people = [lead, *auditors, *auditees]
    known = _active_logins(session, audit.organisation_id, [p for p in people if p])
    if not lead:
        problems["lead_auditor"] = "выберите руководителя группы аудиторов"
    unknown = [login for login in people if login and login not in known]
    if unknown:
        problems["people"] = f"сотрудники не найдены в школе: {', '.join(unknown)}"
    if plan_item_id is not None and not _plan_item_of(session, audit.organisation_id, plan_item_id):
        problems["plan_item_id"] = f"пункт плана № {plan_item_id} не найден в этой школе"
    return problems


def _plan_item_of(session: Session, organisation_id: int, plan_item_id: int) -> PlanItem | None:
    item = session.get(PlanItem, plan_item_id)
    if item is None:
        return None
    plan = session.get(Artefact, item.artefact_id)
    return item if plan is not None and plan.organisation_id == organisation_id else None


def _set_team(session: Session, audit: Artefact) -> None:
    """The audit team are the audit's assignees: its steps are their tasks."""
    for assignee in session.scalars(select(ArtefactAssignee).where(ArtefactAssignee.artefact_id == audit.id)):
        session.delete(assignee)
    logins = audit_team(audit.fields)
    ids = dict(session.execute(select(User.login, User.id).where(User.login.in_(logins))).all()) if logins else {}
    session.add_all([ArtefactAssignee(artefact_id=audit.id, user_id=ids[login]) for login in logins if login in ids])


# --- answers, evidence, findings ------------------------------------------------------------------

def _line_for_work(session: Session, audit: Artefact, membership: Membership, user_id: int, line_id: int) -> AuditLine:
    if audit.state != "in_progress":
        raise Conflict("Чек-лист заполняется, пока аудит проводится (после «Начать аудит» и до акта)")
    user = session.get(User, user_id)
    if user.login not in audit_team(audit.fields) and not {"deputy", "director"} & set(membership.roles or []):
        raise Forbidden("Чек-лист заполняют аудиторы этого аудита")
    line = session.get(AuditLine, line_id)
    if line is None or line.audit_id != audit.id:
        raise NotFound(f"Строка чек-листа № {line_id} не найдена")
    return line


def answer_line(rt: Runtime, audit_id: int, line_id: int, user_id: int, *, answer: str, comment: str = "",
                plan_item_id: int | None = None, linked_artefact_id: int | None = None) -> dict[str, Any]:
    """Record the answer to one checklist line, with a comment and the plan row, act or document it concerns."""
    if answer not in ANSWERS:
        raise Unprocessable(f"Ответ — один из: {', '.join(ANSWERS.values())}",
                            details={"fields": {"answer": "неизвестный ответ"}})
    comment = (comment or "").strip()
    if len(comment) > 20_000:
        raise Unprocessable("Комментарий не длиннее 20 000 символов")
    with transaction(rt.sessions) as session:
        actor = get_user(session, user_id)
        audit, membership = _audit(session, user_id, audit_id, lock=True)
        line = _line_for_work(session, audit, membership, user_id, line_id)
        if line.finding_id and answer not in FAILED_ANSWERS:
            raise Conflict(f"По строке уже зафиксировано несоответствие № {line.finding_id}: ответ остаётся "
                           "«не соответствует» или «частично»")
        if plan_item_id is not None and not _plan_item_of(session, audit.organisation_id, plan_item_id):
            raise Unprocessable(f"Пункт плана № {plan_item_id} не найден в этой школе")
        if linked_artefact_id is not None:
            linked = session.get(Artefact, linked_artefact_id)
            if linked is None or linked.organisation_id != audit.organisation_id:
                raise Unprocessable(f"Документ № {linked_artefact_id} не найден в этой школе")
        line.answer, line.comment = answer, comment
        line.plan_item_id, line.linked_artefact_id = plan_item_id, linked_artefact_id
        line.answered_by, line.answered_at = actor.id, dt.datetime.now(dt.UTC).replace(tzinfo=None)
        if plan_item_id is not None:
            session.flush()
            independence = independence_problems(session, audit)
            if independence:
                raise Unprocessable(independence[0], details={"rules": independence})
        audit.updated_at = line.answered_at
        session.flush()
        append_entry(session, audit, actor, "answer_line", audit.state, fields={
            "line_id": line.id, "code": line.code, "answer": answer, "comment": comment,
            "plan_item_id": plan_item_id, "linked_artefact_id": linked_artefact_id})
        return {"line_id": line.id, "answer": answer, "version": audit.version}


def add_line_evidence(rt: Runtime, audit_id: int, line_id: int, user_id: int, *, data: bytes | None = None,
                      file_name: str = "", link_url: str = "") -> int:
    """A file or link for one checklist line (kept on the audit); returns the evidence id."""
    link_url = checked_evidence_input(data, link_url)
    with transaction(rt.sessions) as session:
        actor = get_user(session, user_id)
        audit, membership = _audit(session, user_id, audit_id, lock=True)
        line = _line_for_work(session, audit, membership, user_id, line_id)
        evidence = store_evidence(session, audit, actor, data, file_name, link_url, {"line_id": line.id})
        line.evidence_ids = [*line.evidence_ids, evidence.id]
        return evidence.id


# Defaults of a finding recorded in one click from a line, by the line's answer.
ONE_CLICK = {"nonconforming": {"finding_type": "nonconformity", "severity": "significant"},
             "partial": {"finding_type": "remark", "severity": "minor"}}


def finding_from_line(rt: Runtime, audit_id: int, line_id: int, user_id: int, today: dt.date | None = None,
                      **overrides: Any) -> dict[str, Any]:
    """Record a finding from a line answered «не соответствует» or «частично»: requirement, source and
    what was found come from the line; its files and links are the evidence."""
    today = today or rt.today()
    with transaction(rt.sessions) as session:
        actor = get_user(session, user_id)
        audit, membership = _audit(session, user_id, audit_id, lock=True)
        line = _line_for_work(session, audit, membership, user_id, line_id)
        if line.answer not in FAILED_ANSWERS:
            raise Conflict("Несоответствие фиксируется по строке с ответом «не соответствует» или «частично»")
        if line.finding_id:
            raise Conflict(f"По этой строке уже зафиксировано несоответствие № {line.finding_id}")
        if not line.comment.strip():
            raise Unprocessable("Опишите в комментарии к строке, что обнаружено, — это войдёт в несоответствие")
        raw = {**ONE_CLICK[line.answer], "area": audit.fields.get("area"), "requirement": line.requirement,
               "requirement_source": line.source or "Критерии аудита", "found": line.comment, **overrides}
        return _record(session, rt, audit, actor, raw, today, line)


def add_finding(rt: Runtime, audit_id: int, user_id: int, fields: dict[str, Any],
                today: dt.date | None = None) -> dict[str, Any]:
    """A finding written by hand on the audit's page (not tied to a checklist line)."""
    today = today or rt.today()
    with transaction(rt.sessions) as session:
        actor = get_user(session, user_id)
        audit, membership = _audit(session, user_id, audit_id, lock=True)
        if audit.state != "in_progress":
            raise Conflict("Несоответствия фиксируются, пока аудит проводится")
        if actor.login not in audit_team(audit.fields) and not {"deputy", "director"} & set(membership.roles or []):
            raise Forbidden("Несоответствия фиксируют аудиторы этого аудита")
        return _record(session, rt, audit, actor, {"area": audit.fields.get("area"), **fields}, today, None)


def _record(session: Session, rt: Runtime, audit: Artefact, actor: User, raw: dict[str, Any], today: dt.date,
            line: AuditLine | None) -> dict[str, Any]:
    try:
        finding, notes = record_finding(session, rt.definitions, audit, actor, raw, today, line)
    except EvidenceMissing as error:
        raise Unprocessable(str(error), details={"rules": [str(error)]}) from None
    except ValueError as error:
        raise Unprocessable(error.args[0], details={"fields": error.args[1]}) from None
    audit.updated_at = finding.created_at
    session.flush()
    append_entry(session, audit, actor, "record_finding", audit.state,
                 fields={"finding_id": finding.id, "line_id": line.id if line else None,
                         "recurrence": finding.fields["recurrence"]})
    return {"finding_id": finding.id, "recurrence": finding.fields["recurrence"],
            "repeat_of": finding.fields["repeat_of"], "notes": notes}


# --- what the audit's page and the API show ---------------------------------------------------------

def _labels(session: Session, organisation_id: int, logins: list[str]) -> dict[str, str]:
    from .tasks import member_label

    if not logins:
        return {}
    rows = session.execute(select(User, Membership).join(Membership, Membership.user_id == User.id).where(
        Membership.organisation_id == organisation_id, User.login.in_(logins)))
    return {user.login: member_label(user, membership) for user, membership in rows}


def audit_view(rt: Runtime, audit_id: int, user_id: int) -> dict[str, Any]:
    """The programme (names), the checklist lines with answers, evidence and findings, the findings,
    the corrective-action plan, and what the user may do now."""
    finding_definition = rt.definition(FINDING_KIND)
    with rt.sessions() as session:
        audit, membership = _audit(session, user_id, audit_id)
        programme = programme_of(audit.fields)
        people = _labels(session, audit.organisation_id,
                         [p for p in (programme["lead_auditor"], *programme["auditors"], *programme["auditees"]) if p])
        lines = audit_lines(session, audit.id)
        evidence_ids = sorted({i for line in lines for i in line.evidence_ids})
        evidence = {e.id: e for e in session.scalars(select(Evidence).where(Evidence.id.in_(evidence_ids)))} \
            if evidence_ids else {}
        findings = session.scalars(select(Artefact).where(Artefact.parent_id == audit.id, Artefact.kind == FINDING_KIND)
                                   .order_by(Artefact.id)).all()
        plan = session.scalars(select(Artefact).where(Artefact.parent_id == audit.id,
                                                      Artefact.kind == "corrective_plan").order_by(Artefact.id.desc())
                               ).first()
        login = session.scalar(select(User.login).where(User.id == user_id))
        roles = set(membership.roles or [])
        may_work = audit.state == "in_progress" and (login in audit_team(audit.fields) or bool({"deputy", "director"} & roles))
        return {
            "id": audit.id, "organisation_id": audit.organisation_id, "state": audit.state, "version": audit.version,
            "area": audit.fields.get("area"), "area_label": AREAS.get(audit.fields.get("area"), ""),
            "programme": {**programme, "start_date": programme["start_date"], "end_date": programme["end_date"],
                          "lead_label": people.get(programme["lead_auditor"], programme["lead_auditor"]),
                          "auditor_labels": [people.get(p, p) for p in programme["auditors"]],
                          "auditee_labels": [people.get(p, p) for p in programme["auditees"]],
                          "plan_item": plan_item_label(session, programme["plan_item_id"]),
                          "checklist_version": audit.fields.get("checklist_version")},
            "lines": [_line_data(session, line, evidence) for line in lines],
            "answered": sum(1 for line in lines if line.answer),
            "findings": [{"id": f.id, "title": f.title, "state": f.state,
                          "state_label": finding_definition.state_label(f.state),
                          "finding_type": f.fields.get("finding_type"), "severity": f.fields.get("severity"),
                          "recurrence": f.fields.get("recurrence", 1), "line_id": f.fields.get("audit_line_id")}
                         for f in findings],
            "corrective_plan": {"id": plan.id, "title": plan.title, "state": plan.state,
                                "state_label": rt.definition(plan.kind).state_label(plan.state)} if plan else None,
            "may_edit_programme": audit.state == "programme" and bool(MANAGING_ROLES & roles),
            "may_work": may_work,
        }


def _line_data(session: Session, line: AuditLine, evidence: dict[int, Evidence]) -> dict[str, Any]:
    return {"id": line.id, "position": line.position, "code": line.code, "section": line.section,
            "requirement": line.requirement, "source": line.source, "answer": line.answer,
            "answer_label": ANSWERS.get(line.answer, ""), "comment": line.comment,
            "plan_item": plan_item_label(session, line.plan_item_id), "linked_artefact_id": line.linked_artefact_id,
            "evidence": [{"id": e.id, "file_name": e.file_name, "link_url": e.link_url, "size": e.size}
                         for i in line.evidence_ids if (e := evidence.get(i)) is not None],
            "finding_id": line.finding_id, "may_record_finding": line.answer in FAILED_ANSWERS and not line.finding_id}


def plan_rows_for_audit(rt: Runtime, user_id: int, organisation_id: int, school_year: str,
                        limit: int = 500) -> list[dict[str, Any]]:
    """Rows of the school's plans of the year (approved or in execution) an audit may concern."""
    with rt.sessions() as session:
        _member(session, user_id, organisation_id)
        rows = session.execute(
            select(PlanItem.id, PlanItem.number, PlanItem.fields, Artefact.title)
            .join(Artefact, Artefact.id == PlanItem.artefact_id)
            .where(Artefact.organisation_id == organisation_id, Artefact.school_year == school_year,
                   Artefact.kind.in_(("vsoko_plan", "activity_plan", "roadmap")),
                   Artefact.state.in_(("execution", "closed")))
            .order_by(Artefact.id, PlanItem.position).limit(limit)).all()
        return [{"id": r.id, "label": f"{r.number} {(r.fields or {}).get('activity') or (r.fields or {}).get('object') or ''}"
                 f" — {r.title}"[:200]} for r in rows]
