"""The quality cycle as the pages, the API and the command line read it: traceability links of any
artefact (plan row → audit → checklist line → finding → action → check → review, and back), the
school's ВСОКО overview of a year with its charts, the sources of every figure of a review, the
pages of a finding and of a check, and the school's settings of the cycle.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import transaction
from ..models import Artefact, AuditLine, CorrectiveSection, PlanItem, PlanSection, QualitySettings, User
from ..procedures.audits import AUDIT_KIND, plan_item_label
from ..procedures.control import CONTROL_KIND
from ..procedures.corrective import (
    ACTION_KINDS, CHECK_KIND, CORRECTIVE_KIND, RESULTS, action_items_of, checks_of, finding_of_action,
    section_findings, settings_of,
)
from ..procedures.findings import AREAS, FINDING_KIND, FINDING_TYPES, SEVERITIES, causes_of, finding_label
from ..procedures.review import CHARTS, PLAN_KINDS, Tally, tally_year
from .access import artefact_for, membership_in
from .errors import Forbidden, NotFound, Unprocessable
from .runtime import Runtime

REVIEW_KIND = "annual_review"
RELATIONS = {
    "plan_row": "Пункт плана", "plan": "План", "audit": "Аудит", "checklist_line": "Строка чек-листа",
    "finding": "Несоответствие", "corrective_plan": "План корректирующих мероприятий", "action": "Действие",
    "check": "Проверка результативности", "review": "Анализ ВСОКО", "repeat_of": "Повтор несоответствия",
    "repeated_by": "Повторно выявлено", "next_plan": "План на следующий год",
}
SETTINGS_ROLES = frozenset({"deputy", "director", "admin"})
MAX_LISTED = 500


# --- traceability -----------------------------------------------------------------------------------

def _link(relation: str, artefact: Artefact | None = None, *, title: str = "", artefact_id: int | None = None,
          anchor: str = "", row_id: int | None = None, state_label: str = "") -> dict[str, Any]:
    """One link: what it is, the page it opens (artefact and anchor) and the row it names."""
    return {"relation": relation, "relation_label": RELATIONS[relation],
            "id": row_id if row_id is not None else (artefact.id if artefact else artefact_id),
            "artefact_id": artefact.id if artefact else artefact_id, "anchor": anchor,
            "title": title or (artefact.title if artefact else ""), "state_label": state_label}


def trace_links(rt: Runtime, session: Session, artefact: Artefact) -> list[dict[str, Any]]:
    """The artefact's neighbours in the quality cycle, both ways (empty for kinds outside it)."""
    tracer = _TRACERS.get(artefact.kind)
    if tracer is None and artefact.kind in PLAN_KINDS:
        tracer = _plan_links
    links = tracer(rt, session, artefact) if tracer else []
    for link in links:
        if not link["state_label"] and link["relation"] not in ("plan_row", "checklist_line"):
            target = session.get(Artefact, link["artefact_id"])
            if target is not None:
                link["state_label"] = rt.definition(target.kind).state_label(target.state)
    return links


def _kind(session: Session, kind: str, **where: Any) -> list[Artefact]:
    query = select(Artefact).where(Artefact.kind == kind)
    for name, value in where.items():
        query = query.where(getattr(Artefact, name) == value)
    return list(session.scalars(query.order_by(Artefact.id)))


def _reviews(session: Session, artefact: Artefact) -> list[dict[str, Any]]:
    return [_link("review", r) for r in _kind(session, REVIEW_KIND, organisation_id=artefact.organisation_id,
                                              school_year=artefact.school_year) if r.state != "withdrawn"]


def _plan_row_link(session: Session, item_id: int | None) -> list[dict[str, Any]]:
    label = plan_item_label(session, item_id)
    if label is None:
        return []
    return [_link("plan_row", artefact_id=label["plan_id"], row_id=label["id"], anchor=f"item-{label['id']}",
                  title=f"{label['number']} {label['text']} («{label['plan_title']}»)")]


def _audit_links(rt: Runtime, session: Session, audit: Artefact) -> list[dict[str, Any]]:
    links = _plan_row_link(session, audit.fields.get("plan_item_id"))
    for line in session.scalars(select(AuditLine).where(AuditLine.audit_id == audit.id, AuditLine.plan_item_id.is_not(None))):
        links += [link for link in _plan_row_link(session, line.plan_item_id) if link["id"] not in {l["id"] for l in links}]
    links += [_link("finding", f, title=finding_label(f.id, f.fields) + ": " + f.title)
              for f in _kind(session, FINDING_KIND, parent_id=audit.id)]
    links += [_link("corrective_plan", p) for p in _kind(session, CORRECTIVE_KIND, parent_id=audit.id)]
    return links + _reviews(session, audit)


def _line_link(session: Session, line_id: int | None) -> list[dict[str, Any]]:
    line = session.get(AuditLine, line_id) if line_id else None
    if line is None:
        return []
    return [_link("checklist_line", artefact_id=line.audit_id, row_id=line.id, anchor=f"line-{line.id}",
                  title=f"{line.position + 1}. {line.requirement}")]


def _finding_links(rt: Runtime, session: Session, finding: Artefact) -> list[dict[str, Any]]:
    fields = finding.fields
    audit = session.get(Artefact, finding.parent_id) if finding.parent_id else None
    line = session.get(AuditLine, fields.get("audit_line_id")) if fields.get("audit_line_id") else None
    links = [_link("audit", audit)] if audit else []
    links += _plan_row_link(session, line.plan_item_id if line and line.plan_item_id else fields.get("plan_item_id"))
    links += _line_link(session, fields.get("audit_line_id"))
    if audit is not None:
        plans = _kind(session, CORRECTIVE_KIND, parent_id=audit.id)
    else:  # a finding of a district's expert card: its plan names it in a section
        plans = list(session.scalars(select(Artefact).join(PlanSection, PlanSection.artefact_id == Artefact.id)
                                     .join(CorrectiveSection, CorrectiveSection.section_id == PlanSection.id)
                                     .where(CorrectiveSection.finding_id == finding.id).order_by(Artefact.id)))
    links += [_link("corrective_plan", p) for p in plans]
    actions = action_items_of(session, finding.id)
    links += [_link("action", a) for a in actions]
    links += [_link("check", c) for c in checks_of(session, [a.id for a in actions])]
    if fields.get("repeat_of"):
        previous = session.get(Artefact, fields["repeat_of"])
        links += [_link("repeat_of", previous)] if previous else []
    links += [_link("repeated_by", a) for a in session.scalars(select(Artefact).where(
        Artefact.kind == FINDING_KIND, Artefact.organisation_id == finding.organisation_id,
        Artefact.fields["repeat_of"].as_integer() == finding.id))]
    return links + _reviews(session, finding)


def _corrective_links(rt: Runtime, session: Session, plan: Artefact) -> list[dict[str, Any]]:
    audit = session.get(Artefact, plan.parent_id) if plan.parent_id else None
    links = [_link("audit", audit)] if audit else []
    finding_ids = section_findings(session, plan.id).values()
    links += [_link("finding", f, title=finding_label(f.id, f.fields) + ": " + f.title)
              for f in session.scalars(select(Artefact).where(Artefact.id.in_(list(finding_ids))).order_by(Artefact.id))]
    links += [_link("action", a) for a in _kind(session, CONTROL_KIND, parent_id=plan.id)]
    return links + _reviews(session, plan)


def _action_links(rt: Runtime, session: Session, item: Artefact) -> list[dict[str, Any]]:
    parent = session.get(Artefact, item.parent_id) if item.parent_id else None
    if parent is None:
        return []
    if parent.kind != CORRECTIVE_KIND:  # a row of a plan: the audits that concern it
        row = item.fields.get("plan_item_id")
        return _plan_row_link(session, row) + _audits_of_rows(session, item.organisation_id, [row] if row else [])
    finding = finding_of_action(session, item)
    audit = session.get(Artefact, finding.parent_id) if finding and finding.parent_id else None
    links = [_link("corrective_plan", parent)] + ([_link("finding", finding)] if finding else [])
    links += [_link("audit", audit)] if audit else []
    links += [_link("check", c) for c in checks_of(session, [item.id])]
    return links + _reviews(session, item)


def _check_links(rt: Runtime, session: Session, check: Artefact) -> list[dict[str, Any]]:
    links = []
    for relation, key in (("action", "action_id"), ("finding", "finding_id"), ("audit", "audit_id")):
        target = session.get(Artefact, check.fields.get(key)) if check.fields.get(key) else None
        if target is not None:
            links.append(_link(relation, target))
    return links + _reviews(session, check)


def _audits_of_rows(session: Session, organisation_id: int, item_ids: list[int]) -> list[dict[str, Any]]:
    """Audits that carry out the rows `item_ids` (named in the audit or in a line of its checklist)."""
    if not item_ids:
        return []
    wanted = set(item_ids)
    by_line = set(session.scalars(select(AuditLine.audit_id).where(AuditLine.plan_item_id.in_(sorted(wanted)))))
    audits = [a for a in _kind(session, AUDIT_KIND, organisation_id=organisation_id)
              if a.fields.get("plan_item_id") in wanted or a.id in by_line]
    return [_link("audit", a) for a in audits]


def _audits_of_plan(session: Session, plan: Artefact) -> list[dict[str, Any]]:
    """Audits that carry out rows of the plan. The school's audits are few, a year's plan has 2 000
    rows: the rows are not listed, only those the audits name are looked up."""
    audits = _kind(session, AUDIT_KIND, organisation_id=plan.organisation_id)
    if not audits:
        return []
    named = {a.fields.get("plan_item_id") for a in audits if isinstance(a.fields.get("plan_item_id"), int)}
    ours = set(session.scalars(select(PlanItem.id).where(PlanItem.artefact_id == plan.id,
                                                         PlanItem.id.in_(sorted(named))))) if named else set()
    by_line = set(session.scalars(select(AuditLine.audit_id).join(PlanItem, PlanItem.id == AuditLine.plan_item_id)
                                  .where(PlanItem.artefact_id == plan.id)))
    return [_link("audit", a) for a in audits if a.fields.get("plan_item_id") in ours or a.id in by_line]


def _plan_links(rt: Runtime, session: Session, plan: Artefact) -> list[dict[str, Any]]:
    links = _audits_of_plan(session, plan)
    if plan.fields.get("drafted_from_review"):
        review = session.get(Artefact, plan.fields["drafted_from_review"])
        links += [_link("review", review)] if review else []
    return links + [link for link in _reviews(session, plan) if link["id"] != plan.fields.get("drafted_from_review")]


def _review_links(rt: Runtime, session: Session, review: Artefact) -> list[dict[str, Any]]:
    year = dict(organisation_id=review.organisation_id, school_year=review.school_year)
    links = [_link("plan", p) for kind in PLAN_KINDS for p in _kind(session, kind, **year)]
    links += [_link("audit", a) for a in _kind(session, AUDIT_KIND, **year)]
    if review.fields.get("next_plan_id"):
        nxt = session.get(Artefact, review.fields["next_plan_id"])
        links += [_link("next_plan", nxt)] if nxt else []
    return links


_TRACERS: dict[str, Callable[[Runtime, Session, Artefact], list[dict[str, Any]]]] = {
    AUDIT_KIND: _audit_links, FINDING_KIND: _finding_links, CORRECTIVE_KIND: _corrective_links,
    CONTROL_KIND: _action_links, CHECK_KIND: _check_links, REVIEW_KIND: _review_links,
}


# --- settings -----------------------------------------------------------------------------------------

def _membership(session: Session, user_id: int, organisation_id: int):  # noqa: ANN202
    membership = membership_in(session, user_id, organisation_id)
    if membership is None:
        raise NotFound("Организация не найдена")
    return membership


def quality_settings(rt: Runtime, user_id: int, organisation_id: int) -> dict[str, Any]:
    with rt.sessions() as session:
        membership = _membership(session, user_id, organisation_id)
        found = settings_of(session, organisation_id)
        return {"corrective_plan_council": found.corrective_plan_council,
                "effectiveness_days": found.effectiveness_days,
                "may_change": bool(SETTINGS_ROLES & set(membership.roles or []))}


def set_quality_settings(rt: Runtime, user_id: int, organisation_id: int, *, corrective_plan_council: bool,
                         effectiveness_days: int) -> None:
    if not isinstance(effectiveness_days, int) or not 0 <= effectiveness_days <= 365:
        raise Unprocessable("Срок проверки результативности — от 0 до 365 дней после приёмки действия",
                            details={"fields": {"effectiveness_days": "от 0 до 365"}})
    with transaction(rt.sessions) as session:
        membership = _membership(session, user_id, organisation_id)
        if not SETTINGS_ROLES & set(membership.roles or []):
            raise Forbidden("Настройки ВСОКО меняет заместитель директора или директор")
        found = session.get(QualitySettings, organisation_id)
        if found is None:
            found = QualitySettings(organisation_id=organisation_id)
            session.add(found)
        found.corrective_plan_council = bool(corrective_plan_council)
        found.effectiveness_days = effectiveness_days


# --- the school's ВСОКО of a year, and the sources of a figure ----------------------------------------------

def overview(rt: Runtime, user_id: int, organisation_id: int, school_year: str,
             today: dt.date | None = None) -> dict[str, Any]:
    """The year's figures as of today (with the audits and the reviews of the year)."""
    today = today or rt.today()
    with rt.sessions() as session:
        _membership(session, user_id, organisation_id)
        tally = tally_year(session, organisation_id, school_year, today)
        year = dict(organisation_id=organisation_id, school_year=school_year)
        audits = _kind(session, AUDIT_KIND, **year)
        reviews = _kind(session, REVIEW_KIND, **year)
        audit_definition = rt.definition(AUDIT_KIND)
        return {
            "school_year": school_year, "report_date": today, "figures": tally.figures(),
            "audits": [{"id": a.id, "title": a.title, "state": a.state,
                        "state_label": audit_definition.state_label(a.state),
                        "area_label": AREAS.get(a.fields.get("area"), "")} for a in audits],
            "reviews": [{"id": r.id, "title": r.title, "state_label": rt.definition(REVIEW_KIND).state_label(r.state)}
                        for r in reviews],
        }


def figure_sources(rt: Runtime, user_id: int, organisation_id: int, school_year: str, key: str,
                   report_date: dt.date | None = None) -> dict[str, Any]:
    """The rows one figure of the year counts (as of `report_date`): id, kind, title, state."""
    report_date = report_date or rt.today()
    with rt.sessions() as session:
        _membership(session, user_id, organisation_id)
        tally = tally_year(session, organisation_id, school_year, report_date)
        ids = tally.sources.get(key, [])
        rows = session.execute(select(Artefact.id, Artefact.kind, Artefact.title, Artefact.state, Artefact.due_date)
                               .where(Artefact.id.in_(ids[:MAX_LISTED])).order_by(Artefact.id)).all() if ids else []
        return {"key": key, "count": len(ids), "report_date": report_date, "school_year": school_year,
                "rows": [{"id": r.id, "kind": r.kind, "kind_title": rt.definition(r.kind).title, "title": r.title,
                          "state_label": rt.definition(r.kind).state_label(r.state), "due_date": r.due_date}
                         for r in rows]}


def review_view(rt: Runtime, review_id: int, user_id: int) -> dict[str, Any]:
    """A review's stored figures (as sent to the council) beside the same figures today."""
    with rt.sessions() as session:
        review, _ = artefact_for(session, user_id, review_id)
        if review.kind != REVIEW_KIND:
            raise NotFound(f"Анализ ВСОКО № {review_id} не найден")
        stored = dict(review.fields.get("figures") or {})
        report_date = dt.date.fromisoformat(review.fields["report_date"]) if review.fields.get("report_date") else None
        live = tally_year(session, review.organisation_id, review.school_year, report_date or rt.today()).figures()
        return {"id": review.id, "organisation_id": review.organisation_id, "school_year": review.school_year,
                "report_date": report_date, "computed": bool(stored), "figures": stored or live, "live": live,
                "titles": dict(review.fields.get("figure_titles") or {})}


# --- charts ---------------------------------------------------------------------------------------------

def chart_png(rt: Runtime, user_id: int, organisation_id: int, name: str, *, school_year: str | None = None,
              audit_id: int | None = None, review_id: int | None = None) -> bytes:
    """One chart of the year (or of one audit, or as a review stored it) as PNG."""
    if name not in CHARTS:
        raise NotFound(f"Диаграммы «{name}» нет")
    with rt.sessions() as session:
        _membership(session, user_id, organisation_id)
        if review_id is not None:
            review, _ = artefact_for(session, user_id, review_id)
            figures = dict(review.fields.get("figures") or {})
        elif audit_id is not None:
            audit, _ = artefact_for(session, user_id, audit_id)
            if audit.kind != AUDIT_KIND:
                raise NotFound(f"Аудит № {audit_id} не найден")
            figures = audit_figures(session, audit)
        else:
            figures = tally_year(session, organisation_id, school_year or "", rt.today()).figures()
    return CHARTS[name](figures)


def audit_figures(session: Session, audit: Artefact, today: dt.date | None = None) -> dict[str, int]:
    """The figures of one audit: its findings, its actions and their checks."""
    from ..procedures.review import item_outcome

    today = today or dt.date.today()
    tally = Tally(audit.school_year, today)
    findings = _kind(session, FINDING_KIND, parent_id=audit.id)
    for finding in findings:
        f = finding.fields
        tally.add(["findings/all", f"findings/{f.get('area')}/{f.get('severity')}",
                   f"recurrence/{'repeat' if int(f.get('recurrence') or 1) > 1 else 'first'}"], finding.id)
        actions = action_items_of(session, finding.id)
        for action in actions:
            tally.add([f"actions/{item_outcome(action.state, action.due_date, None, today)}", "actions/all"], action.id)
        for check in checks_of(session, [a.id for a in actions]):
            result = check.fields.get("result") if check.state == "checked" else None
            tally.add([f"checks/{result}" if result else "checks/pending"] + (["checks/done"] if result else []),
                      check.id)
    return tally.figures()


# --- a finding's and a check's pages ------------------------------------------------------------------------

def finding_view(rt: Runtime, finding_id: int, user_id: int) -> dict[str, Any]:
    control = rt.definition(CONTROL_KIND)
    with rt.sessions() as session:
        finding, _ = artefact_for(session, user_id, finding_id)
        if finding.kind != FINDING_KIND:
            raise NotFound(f"Несоответствие № {finding_id} не найдено")
        f = finding.fields
        actions = action_items_of(session, finding.id)
        checks = {c.parent_id: c for c in checks_of(session, [a.id for a in actions])}
        return {
            "id": finding.id, "label": finding_label(finding.id, f),
            "type_label": FINDING_TYPES.get(f.get("finding_type"), ""), "severity_label": SEVERITIES.get(f.get("severity"), ""),
            "area_label": AREAS.get(f.get("area"), ""), "recurrence": int(f.get("recurrence") or 1),
            "causes": causes_of(f), "root_cause": f.get("root_cause") or "", "corrections": list(f.get("corrections") or []),
            "actions": [{"id": a.id, "title": a.title, "state_label": control.state_label(a.state), "due_date": a.due_date,
                         "check": ({"id": checks[a.id].id, "result": RESULTS.get(checks[a.id].fields.get("result"), ""),
                                    "due_date": checks[a.id].due_date, "state": checks[a.id].state}
                                   if a.id in checks else None)} for a in actions],
            "action_kinds": ACTION_KINDS,
        }


def check_view(rt: Runtime, check_id: int, user_id: int) -> dict[str, Any]:
    with rt.sessions() as session:
        check, _ = artefact_for(session, user_id, check_id)
        if check.kind != CHECK_KIND:
            raise NotFound(f"Проверка № {check_id} не найдена")
        f = check.fields
        people = {u.id: u.full_name for u in session.scalars(select(User).where(
            User.id.in_([*(f.get("executor_ids") or []), f.get("acceptor_id") or 0])))}
        checker = session.scalar(select(User).where(User.login == f.get("checker"))) if f.get("checker") else None
        return {"id": check.id, "due_date": check.due_date, "accepted_on": f.get("accepted_on"),
                "executors": [people[i] for i in f.get("executor_ids") or [] if i in people],
                "acceptor": people.get(f.get("acceptor_id"), ""), "checker": checker.full_name if checker else "",
                "result": RESULTS.get(f.get("result"), "")}

