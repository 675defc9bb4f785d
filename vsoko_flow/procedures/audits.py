"""Internal audits (workflows/audit.yaml): the programme, the checklist, the order, the act.

The programme is kept in the audit's fields (`PROGRAMME_FIELDS`, written by
services.quality.set_programme): the checklist's code, the lead auditor and the auditors, the
people whose work is audited (`auditees`: whoever answers for the audited area), the planned
dates and the plan row the audit carries out. The order copies the newest version of the
checklist into the audit's own lines (AuditLine), so later edits of the checklist do not
change an audit under way.

Checklists are YAML files in `checklists/` (the shipped versions, `version: 1`) and the
school's own later versions in the table `checklist_versions`, edited by the deputy director.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import PROJECT_ROOT
from ..documents.russian import date_digits
from ..engine.context import TransitionContext
from ..engine.registry import ActionError, action, document_context, rule
from ..models import Artefact, AuditLine, ChecklistVersion, Journal, Membership, PlanItem, User
from .children import add_child
from .common import LAW_273, as_date, digits, lines, person, required_date, sentence, text, unsigned, words
from .findings import AREAS, FINDING_TYPES, SEVERITIES, findings_of

AUDIT_KIND = "audit"
CORRECTIVE_KIND = "corrective_plan"
ANSWERS = {"conforms": "соответствует", "partial": "частично", "nonconforming": "не соответствует",
           "not_applicable": "не применимо"}
# Answers from which a finding is recorded in one click.
FAILED_ANSWERS = ("partial", "nonconforming")
PROGRAMME_FIELDS = ("checklist", "lead_auditor", "auditors", "auditees", "start_date", "end_date", "plan_item_id")
ACT_JOURNAL = ("audit_acts", "Журнал регистрации актов внутренних аудитов")
CHECKLISTS_DIR = Path(os.environ.get("VSOKO_CHECKLISTS_DIR", PROJECT_ROOT / "checklists"))


def _d(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def no_mark(context: dict[str, Any]) -> dict[str, Any]:
    """The documents of the quality cycle carry the signer's name, never an e-signature mark: a mark is
    printed only for a signature the system holds (signing these documents is not part of the cycle)."""
    return unsigned(context, {"signer": context["signer"]})


# --------------------------------------------------------------------------- checklists


@dataclass(frozen=True)
class Checklist:
    code: str
    version: int
    title: str
    area: str
    lines: tuple[dict[str, str], ...]
    shipped: bool


@lru_cache(maxsize=4)
def _shipped(folder: str) -> dict[str, Checklist]:
    found = {}
    for path in sorted(Path(folder).glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        lines = tuple({"code": str(line.get("code", "")), "section": str(line.get("section", "")),
                       "text": str(line["text"]), "source": str(line.get("source", ""))}
                      for line in data.get("lines") or [])
        found[str(data["code"])] = Checklist(str(data["code"]), int(data.get("version", 1)), str(data["title"]),
                                             str(data.get("area", "processes")), lines, True)
    return found


def shipped_checklists() -> dict[str, Checklist]:
    return _shipped(str(CHECKLISTS_DIR))


def checklists(session: Session, organisation_id: int) -> dict[str, Checklist]:
    """The newest version of every checklist the school has: its own edits over the shipped ones."""
    found = dict(shipped_checklists())
    for row in session.scalars(select(ChecklistVersion).where(ChecklistVersion.organisation_id == organisation_id)
                               .order_by(ChecklistVersion.code, ChecklistVersion.version)):
        found[row.code] = Checklist(row.code, row.version, row.title, row.area,
                                    tuple(dict(line) for line in row.lines), False)
    return found


# --------------------------------------------------------------------------- the programme


def programme_of(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "checklist": text(fields.get("checklist")), "lead_auditor": text(fields.get("lead_auditor")),
        "auditors": list(fields.get("auditors") or []), "auditees": list(fields.get("auditees") or []),
        "start_date": as_date(fields.get("start_date")), "end_date": as_date(fields.get("end_date")),
        "plan_item_id": fields.get("plan_item_id"),
    }


def audit_team(fields: dict[str, Any]) -> list[str]:
    """The lead auditor first, then the other auditors (logins)."""
    programme = programme_of(fields)
    team = [programme["lead_auditor"]] if programme["lead_auditor"] else []
    return team + [login for login in programme["auditors"] if login not in team]


def audited_people(session: Session, audit: Artefact) -> dict[str, str]:
    """Login → why they answer for the audited area: named in the programme, or responsible for a
    plan row the audit (or a line of its checklist) concerns."""
    programme = programme_of(audit.fields)
    reasons = {login: "указан(а) в программе как ответственный за проверяемую область"
               for login in programme["auditees"]}
    item_ids = set(session.scalars(select(AuditLine.plan_item_id).where(
        AuditLine.audit_id == audit.id, AuditLine.plan_item_id.is_not(None))))
    if programme["plan_item_id"]:
        item_ids.add(programme["plan_item_id"])
    for item in session.scalars(select(PlanItem).where(PlanItem.id.in_(sorted(item_ids)))) if item_ids else ():
        for login in item.responsible_logins or []:
            reasons.setdefault(login, f"отвечает за пункт {item.number or item.id} плана")
    return reasons


def _names(session: Session, organisation_id: int, logins: list[str]) -> dict[str, Membership]:
    if not logins:
        return {}
    rows = session.scalars(select(Membership).join(User).where(
        Membership.organisation_id == organisation_id, User.login.in_(logins)))
    return {m.user.login: m for m in rows}


def independence_problems(session: Session, audit: Artefact) -> list[str]:
    """An auditor may not audit their own area of responsibility (ГОСТ Р ИСО 19011, принцип независимости)."""
    audited = audited_people(session, audit)
    team = audit_team(audit.fields)
    members = _names(session, audit.organisation_id, team)
    problems = []
    for login in team:
        if login in audited:
            name = person(members.get(login))["surname_initials"] or login
            problems.append(f"Аудитор {name} не может проверять собственную работу: {audited[login]}. "
                            "Назначьте другого аудитора или уточните, чья работа проверяется")
    return problems


@rule("programme_complete", "Программа аудита заполнена: чек-лист, руководитель группы, проверяемые, даты", before_form=True)
def programme_complete(ctx: TransitionContext) -> list[str]:
    programme = programme_of(ctx.artefact.fields)
    missing = []
    if not programme["checklist"]:
        missing.append("чек-лист")
    if not programme["lead_auditor"]:
        missing.append("руководитель группы аудиторов")
    if not programme["auditees"] and not programme["plan_item_id"]:
        missing.append("чья работа проверяется (ответственные за область или пункт плана)")
    if not programme["start_date"] or not programme["end_date"]:
        missing.append("даты проведения")
    if not missing:
        return []
    return [f"В программе аудита не указано: {', '.join(missing)}. Заполните программу на странице аудита"]


@rule("auditors_independent", "Аудиторы не проверяют собственную работу", before_form=True)
def auditors_independent(ctx: TransitionContext) -> list[str]:
    return independence_problems(ctx.session, ctx.artefact)


def _dated(ctx: TransitionContext) -> list[tuple[str, dt.date]]:
    """The audit's dates that are known, in the order they must follow."""
    programme = programme_of(ctx.artefact.fields)
    chain = [("Дата приказа", ctx.date_value("order_date")),
             ("Начало аудита", ctx.date_value("started_on") or programme["start_date"]),
             ("Дата акта", ctx.date_value("act_date")),
             ("Дата утверждения акта", ctx.date_value("act_approved_on"))]
    return [(label, day) for label, day in chain if day is not None]


@rule("audit_dates_in_order", "Даты по порядку: приказ ≤ начало аудита ≤ акт ≤ утверждение акта")
def audit_dates_in_order(ctx: TransitionContext) -> list[str]:
    messages = []
    programme = programme_of(ctx.artefact.fields)
    if programme["start_date"] and programme["end_date"] and programme["end_date"] < programme["start_date"]:
        messages.append(f"Окончание аудита по программе ({_d(programme['end_date'])}) раньше его начала "
                        f"({_d(programme['start_date'])}): исправьте даты в программе")
    dated = _dated(ctx)
    for (first, early), (second, late) in zip(dated, dated[1:]):
        if late < early:
            messages.append(f"{second} ({_d(late)}) раньше, чем {first.lower()} ({_d(early)}): аудит идёт по "
                            "порядку «приказ → начало → акт → утверждение»; исправьте дату")
    return messages


# --------------------------------------------------------------------------- the checklist under way


def audit_lines(session: Session, audit_id: int) -> list[AuditLine]:
    return list(session.scalars(select(AuditLine).where(AuditLine.audit_id == audit_id)
                                .order_by(AuditLine.position, AuditLine.id)))


@action("load_checklist", "Перенести в аудит строки выбранного чек-листа (его последнюю версию)")
def load_checklist(ctx: TransitionContext) -> None:
    code = programme_of(ctx.artefact.fields)["checklist"]
    checklist = checklists(ctx.session, ctx.artefact.organisation_id).get(code)
    if checklist is None:
        raise ActionError(f"Чек-лист «{code}» не найден: выберите чек-лист в программе аудита")
    if audit_lines(ctx.session, ctx.artefact.id):
        return
    ctx.session.add_all([AuditLine(audit_id=ctx.artefact.id, position=i, code=line["code"], section=line["section"],
                                   requirement=line["text"], source=line["source"])
                         for i, line in enumerate(checklist.lines)])
    ctx.set_field("checklist_version", checklist.version)
    ctx.set_field("checklist_title", checklist.title)


@rule("checklist_answered", "На все вопросы чек-листа даны ответы; по ответам «не соответствует» зафиксированы несоответствия", before_form=True)
def checklist_answered(ctx: TransitionContext) -> list[str]:
    lines_ = audit_lines(ctx.session, ctx.artefact.id)
    unanswered = [str(i + 1) for i, line in enumerate(lines_) if not line.answer]
    unrecorded = [str(i + 1) for i, line in enumerate(lines_) if line.answer == "nonconforming" and not line.finding_id]
    messages = []
    if not lines_:
        messages.append("В аудите нет строк чек-листа: аудит назначается приказом с выбранным чек-листом")
    if unanswered:
        messages.append(f"Нет ответа в строках чек-листа: {', '.join(unanswered)}")
    if unrecorded:
        messages.append(f"По строкам с ответом «не соответствует» не зафиксированы несоответствия: "
                        f"{', '.join(unrecorded)} — нажмите «Зафиксировать несоответствие» в строке")
    return messages


@rule("findings_recorded", "У аудита есть несоответствия, по которым нужен план", before_form=True)
def findings_recorded(ctx: TransitionContext) -> list[str]:
    if findings_of(ctx.session, ctx.artefact.id):
        return []
    return ["Аудит не выявил несоответствий: план корректирующих мероприятий не нужен, закройте аудит"]


@rule("audit_findings_closed", "Аудит закрывается, только когда закрыты все его несоответствия", before_form=True)
def audit_findings_closed(ctx: TransitionContext) -> list[str]:
    open_ones = [f for f in findings_of(ctx.session, ctx.artefact.id) if f.state != "closed"]
    if not open_ones:
        return []
    definition = ctx.definitions["finding"]
    listed = "; ".join(f"№ {f.id} — {definition.state_label(f.state).lower()}" for f in open_ones[:10])
    return [f"Аудит нельзя закрыть: не закрыты несоответствия ({len(open_ones)}): {listed}. Несоответствие "
            "закрывается после проверки результативности его действий"]


# --------------------------------------------------------------------------- actions of the act


def _act_journal(session: Session, organisation_id: int) -> Journal:
    code, title = ACT_JOURNAL
    found = session.scalars(select(Journal).where(Journal.organisation_id == organisation_id,
                                                  Journal.code == code)).first()
    if found is None:
        found = Journal(organisation_id=organisation_id, code=code, title=title, mask="{n}", period="school_year")
        session.add(found)
        session.flush()
    return found


@action("number_audit_act", "Номер акта аудита из журнала актов внутренних аудитов (по учебному году)")
def number_audit_act(ctx: TransitionContext) -> None:
    journal = _act_journal(ctx.session, ctx.artefact.organisation_id)
    ctx.set_field("act_number", ctx.numbers.reserve(journal, required_date(ctx, "act_approved_on"), ctx.artefact.id,
                                                    f"Акт внутреннего аудита «{ctx.artefact.title}»"))


@action("create_corrective_plan", "Создать план корректирующих мероприятий: по разделу на каждое несоответствие")
def create_corrective_plan(ctx: TransitionContext) -> None:
    from ..models import CorrectiveSection, PlanSection  # noqa: PLC0415 - plan tables, used only here

    live = ctx.session.scalars(select(Artefact.id).where(
        Artefact.parent_id == ctx.artefact.id, Artefact.kind == CORRECTIVE_KIND, Artefact.state != "withdrawn")).first()
    if live is not None:
        raise ActionError(f"У аудита уже есть план корректирующих мероприятий № {live}: дополните его "
                          "(новое действие — на странице несоответствия) или отзовите проект")
    findings = findings_of(ctx.session, ctx.artefact.id)
    definition = ctx.definitions[CORRECTIVE_KIND]
    title = f"{definition.default_title} «{ctx.artefact.title}»"
    plan = add_child(ctx.session, definition, organisation_id=ctx.artefact.organisation_id, actor=ctx.actor,
                     title=title, school_year=ctx.artefact.school_year, fields={"audit_id": ctx.artefact.id},
                     parent_id=ctx.artefact.id)
    sections = [PlanSection(artefact_id=plan.id, position=i, number=str(i + 1), title=_section_title(finding))
                for i, finding in enumerate(findings)]
    ctx.session.add_all(sections)
    ctx.session.flush()
    ctx.session.add_all([CorrectiveSection(section_id=s.id, finding_id=f.id) for s, f in zip(sections, findings)])
    ctx.set_field("corrective_plan_id", plan.id)


def _section_title(finding: Artefact) -> str:
    fields = finding.fields
    kind = FINDING_TYPES.get(fields.get("finding_type"), "несоответствие")
    return f"{kind[:1].upper()}{kind[1:]} № {finding.id}: {text(fields.get('requirement'))}"[:1000]


# --------------------------------------------------------------------------- documents


def _people(ctx: TransitionContext, logins: list[str]) -> list[dict[str, str]]:
    return [person(ctx.member(login)) for login in logins if ctx.member(login) is not None]


def plan_item_label(session: Session, item_id: int | None) -> dict[str, Any] | None:
    """A plan row as links and documents name it: its plan, number, text and responsible."""
    item = session.get(PlanItem, item_id) if item_id else None
    if item is None:
        return None
    plan = session.get(Artefact, item.artefact_id)
    what = item.fields.get("activity") or item.fields.get("object") or item.fields.get("indicators") or ""
    return {"id": item.id, "plan_id": plan.id, "plan_title": plan.title, "number": item.number,
            "text": str(what)[:300], "responsible": item.responsible_text}


def _plan_row_text(session: Session, plan_item_id: Any) -> str:
    label = plan_item_label(session, plan_item_id)
    return f"пункт {label['number']} плана «{label['plan_title']}»: {label['text']}".strip() if label else ""


def programme_rows(ctx: TransitionContext) -> list[dict[str, Any]]:
    """The programme as «what — value» rows of the appendix to the order."""
    fields = ctx.artefact.fields
    programme = programme_of(fields)
    checklist = checklists(ctx.session, ctx.artefact.organisation_id).get(programme["checklist"])
    team = _people(ctx, audit_team(fields))
    rows = [
        ("Направление ВСОКО", AREAS.get(fields.get("area"), "")),
        ("Предмет и границы аудита", text(fields.get("scope"))),
        ("Критерии аудита", text(fields.get("criteria"))),
        ("Чек-лист", f"{checklist.title} (версия {checklist.version})" if checklist else programme["checklist"]),
        ("Руководитель группы аудиторов", f"{team[0]['surname_initials']}, {team[0]['position']}" if team else ""),
        ("Аудиторы", "\n".join(f"{p['surname_initials']}, {p['position']}" for p in team[1:]) or "—"),
        ("Чья работа проверяется", "\n".join(f"{p['surname_initials']}, {p['position']}"
                                             for p in _people(ctx, programme["auditees"])) or "—"),
        ("Сроки проведения", f"с {date_digits(programme['start_date'])} по {date_digits(programme['end_date'])}"
         if programme["start_date"] and programme["end_date"] else ""),
        ("Пункт плана", _plan_row_text(ctx.session, programme["plan_item_id"]) or "—"),
    ]
    return [{"title": title, "lines": lines(value, "—")} for title, value in rows]


@document_context("audit_order", "Приказ о проведении внутреннего аудита с программой аудита в приложении")
def audit_order(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    programme = programme_of(ctx.artefact.fields)
    team = _people(ctx, audit_team(ctx.artefact.fields))
    lead = team[0] if team else person(None)
    period = (f"с {date_digits(programme['start_date'])} по {date_digits(programme['end_date'])}"
              if programme["start_date"] and programme["end_date"] else "")
    area = AREAS.get(ctx.artefact.fields.get("area"), "").lower()
    items = [sentence(f"Провести внутренний аудит «{ctx.artefact.title}» (направление: {area}) {period} "
                      "по программе (приложение)"),
             sentence(f"Назначить руководителем группы аудиторов {lead['accs']}")]
    if len(team) > 1:
        items.append(sentence("Включить в группу аудиторов " + ", ".join(p["accs"] for p in team[1:])))
    items += [
        sentence(f"Руководителю группы аудиторов представить акт внутреннего аудита на утверждение "
                 f"в срок до {date_digits(programme['end_date'])}") if programme["end_date"] else
        "Руководителю группы аудиторов представить акт внутреннего аудита на утверждение.",
        "Работникам, чья деятельность проверяется, предоставить аудиторам необходимые документы и сведения.",
        "Контроль за исполнением приказа оставляю за собой.",
    ]
    return [no_mark({
        **base,
        "order_date": digits(ctx.value("order_date")),
        "order_date_words": words(ctx.value("order_date")),
        "order_number": text(ctx.value("order_number")),
        "heading": "О проведении внутреннего аудита",
        "preamble": f"В соответствии с пунктом 13 части 3 статьи 28 {LAW_273}, Положением о внутренней "
                    "системе оценки качества образования,",
        "items": items,
        "attachments": ["Программа внутреннего аудита."],
        "programme": programme_rows(ctx),
    })]


def _answer_counts(lines_: list[AuditLine]) -> dict[str, int]:
    counts = {key: 0 for key in ANSWERS}
    for line in lines_:
        if line.answer in counts:
            counts[line.answer] += 1
    return counts


@document_context("audit_checklist", "Чек-лист аудита с ответами, комментариями и ссылками на доказательства")
def audit_checklist(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    lines_ = audit_lines(ctx.session, ctx.artefact.id)
    rows, section = [], None
    for n, line in enumerate(lines_, start=1):
        if line.section != section:
            section = line.section
            if section:
                rows.append({"section": True, "text": section})
        rows.append({"section": False, "n": n, "requirement": line.requirement, "source": line.source or "—",
                     "answer": ANSWERS.get(line.answer, "—"), "comment": lines(line.comment, "—"),
                     "evidence": f"файлов: {len(line.evidence_ids)}" if line.evidence_ids else "—",
                     "finding": f"№ {line.finding_id}" if line.finding_id else "—"})
    team = _people(ctx, audit_team(ctx.artefact.fields))
    checklist_title = text(ctx.artefact.fields.get("checklist_title")) or programme_of(ctx.artefact.fields)["checklist"]
    return [{
        **base,
        "heading": f"{checklist_title} (версия {ctx.artefact.fields.get('checklist_version', 1)})",
        "audit_title": ctx.artefact.title,
        "filled_on": digits(ctx.value("act_date")),
        "rows": rows,
        "auditors": [{"position": p["position"], "initials_surname": p["initials_surname"]} for p in team],
    }]


def _finding_rows(ctx: TransitionContext) -> list[dict[str, Any]]:
    rows = []
    for n, finding in enumerate(findings_of(ctx.session, ctx.artefact.id), start=1):
        fields = finding.fields
        recurrence = int(fields.get("recurrence") or 1)
        rows.append({
            "n": n, "number": finding.id,
            "kind": FINDING_TYPES.get(fields.get("finding_type"), ""),
            "requirement": lines(f"{text(fields.get('requirement'))} ({text(fields.get('requirement_source'))})"),
            "found": lines(fields.get("found"), "—"),
            "evidence": lines(fields.get("evidence"), "см. материалы к строке чек-листа"),
            "severity": SEVERITIES.get(fields.get("severity"), ""),
            "recurrence": f"повторно ({recurrence}-й раз)" if recurrence > 1 else "впервые",
        })
    return rows


@document_context("audit_act", "Акт внутреннего аудита: основание, группа, результаты чек-листа, таблица несоответствий")
def audit_act(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    fields = ctx.artefact.fields
    programme = programme_of(fields)
    lines_ = audit_lines(ctx.session, ctx.artefact.id)
    counts = _answer_counts(lines_)
    findings = _finding_rows(ctx)
    team = _people(ctx, audit_team(fields))
    approved = bool(ctx.value("act_number"))
    summary = (f"Проверено требований: {len(lines_)}; соответствует — {counts['conforms']}, частично — "
               f"{counts['partial']}, не соответствует — {counts['nonconforming']}, не применимо — "
               f"{counts['not_applicable']}. Зафиксировано несоответствий, замечаний и областей для улучшения: "
               f"{len(findings)}.")
    basis = (f"приказ от {digits(ctx.value('order_date'))} № {text(ctx.value('order_number'))}"
             if ctx.value("order_number") else "")
    context = {
        **base,
        "is_draft": not approved,
        "act_number": text(ctx.value("act_number")),
        "act_date": digits(ctx.value("act_date")),
        "approval": {"date": digits(ctx.value("act_approved_on"))} if approved else None,
        "audit_title": ctx.artefact.title,
        "basis": basis,
        "period": (f"с {date_digits(as_date(ctx.value('started_on')) or programme['start_date'])} по "
                   f"{digits(ctx.value('act_date'))}") if ctx.value("act_date") else "",
        "area": AREAS.get(fields.get("area"), ""),
        "scope": lines(fields.get("scope"), "—"),
        "criteria": lines(fields.get("criteria"), "—"),
        "team": [{"position": p["position"], "initials_surname": p["initials_surname"]} for p in team],
        "summary": summary,
        "findings": findings,
        "conclusion": lines(ctx.value("conclusion"), "—"),
    }
    return [no_mark(context)]
