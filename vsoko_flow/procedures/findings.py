"""Findings of internal audits (workflows/finding.yaml): несоответствие, замечание or область для
улучшения — the requirement and its source, what was found, the evidence, the severity — and
their life: immediate correction, causes («5 почему»), actions, effectiveness, closing.

A finding is an artefact whose parent is its audit. `requirement_key` recognises the same
requirement failing again: the checklist line's code when the finding comes from a checklist,
else the requirement's words with its source. A finding on a requirement that failed before
counts its occurrence (`recurrence`: 2 for the second time) and names the previous finding
(`repeat_of`); a previous finding whose actions are still being carried out or checked is
reopened, since the failure shows they did not work.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..engine.context import TransitionContext
from ..engine.definitions import WorkflowDefinition
from ..engine.fields import coerce_fields
from ..engine.registry import action, rule
from ..models import Artefact, AuditLine, Evidence, User
from .children import add_child, locked, move_by_system
from .common import text

FINDING_KIND = "finding"
FINDING_TYPES = {"nonconformity": "несоответствие", "remark": "замечание", "improvement": "область для улучшения"}
SEVERITIES = {"significant": "значительное", "minor": "незначительное"}
AREAS = {"results": "Качество образовательных результатов", "processes": "Качество образовательной деятельности",
         "conditions": "Качество условий"}
AREA_SHORT = {"results": "Результаты", "processes": "Процессы", "conditions": "Условия"}
CLOSED = "closed"
# A previous finding in these states is reopened when its requirement fails again.
REOPENED_ON_RECURRENCE = ("actions_in_progress", "effectiveness_check")
WHY_FIELDS = ("why_1", "why_2", "why_3", "why_4", "why_5")


class EvidenceMissing(Exception):
    """A finding without evidence; the message is for the user."""


NO_EVIDENCE = ("Несоответствие без доказательств не фиксируется: опишите, на чём основан вывод (документ, "
               "запись в журнале, наблюдение, опрос), или приложите файл к строке чек-листа")


def requirement_key(code: str, requirement: str, source: str) -> str:
    """The checklist line's code, else the requirement and its source in lower case without punctuation."""
    if code.strip():
        return f"code:{code.strip().upper()}"
    words = re.sub(r"[^\w]+", " ", f"{source} {requirement}".lower()).split()
    return "text:" + " ".join(words)[:500]


def finding_label(artefact_id: int, fields: dict[str, Any]) -> str:
    """«Несоответствие № 12 (значительное)»."""
    kind = FINDING_TYPES.get(fields.get("finding_type"), "несоответствие")
    severity = SEVERITIES.get(fields.get("severity"), "")
    return f"{kind[:1].upper()}{kind[1:]} № {artefact_id}" + (f" ({severity})" if severity else "")


# --------------------------------------------------------------------------- evidence


def has_evidence(session: Session, fields: dict[str, Any], finding_id: int | None) -> bool:
    """Evidence described, or files attached to its checklist line or to the finding itself."""
    if text(fields.get("evidence")).strip():
        return True
    line_id = fields.get("audit_line_id")
    if line_id:
        line = session.get(AuditLine, line_id)
        if line is not None and line.evidence_ids:
            return True
    if finding_id is None:
        return False
    return bool(session.scalar(select(func.count()).select_from(Evidence).where(Evidence.artefact_id == finding_id)))


@rule("finding_has_evidence", "У несоответствия есть доказательства (описание или файлы)", before_form=True)
def finding_has_evidence(ctx: TransitionContext) -> list[str]:
    return [] if has_evidence(ctx.session, {**ctx.artefact.fields, **ctx.updates}, ctx.artefact.id) else [NO_EVIDENCE]


# --------------------------------------------------------------------------- recording a finding


def record_finding(session: Session, definitions: dict[str, WorkflowDefinition], audit: Artefact, actor: User,
                   raw: dict[str, Any], today: dt.date, line: AuditLine | None = None) -> tuple[Artefact, list[str]]:
    """A finding of `audit` (from its checklist `line`, or written by hand), with its recurrence.

    Returns the finding and the Russian messages of what else happened (a previous finding
    reopened). Raises EvidenceMissing, or ValueError with per-field messages in `args[1]`."""
    definition = definitions[FINDING_KIND]
    values, errors = coerce_fields(definition.fields, raw, today)
    if errors:
        raise ValueError("Проверьте заполнение полей", errors)
    values["audit_line_id"] = line.id if line is not None else None
    if not has_evidence(session, values, None):
        raise EvidenceMissing(NO_EVIDENCE)
    key = requirement_key(line.code if line is not None else "", values["requirement"], values["requirement_source"])
    earlier = list(session.scalars(
        select(Artefact).where(Artefact.organisation_id == audit.organisation_id, Artefact.kind == FINDING_KIND,
                               Artefact.fields["requirement_key"].as_string() == key)
        .order_by(Artefact.id)))
    values.update(requirement_key=key, recurrence=len(earlier) + 1, repeat_of=earlier[-1].id if earlier else None,
                  plan_item_id=line.plan_item_id if line is not None else audit.fields.get("plan_item_id"),
                  audit_id=audit.id)
    title = f"{values['requirement'][:200]}"
    finding = add_child(session, definition, organisation_id=audit.organisation_id, actor=actor, title=title,
                        school_year=audit.school_year, fields=values, parent_id=audit.id)
    notes = []
    if earlier:
        notes += _reopen_previous(session, definitions, earlier[-1].id, finding, audit, actor)
    if line is not None:
        line.finding_id = finding.id
    return finding, notes


def _reopen_previous(session: Session, definitions: dict[str, WorkflowDefinition], previous_id: int,
                     finding: Artefact, audit: Artefact, actor: User) -> list[str]:
    previous = locked(session, previous_id)
    if previous.state not in REOPENED_ON_RECURRENCE:
        return []
    move_by_system(session, definitions, previous, "reopen", actor,
                   comment=f"Требование снова не выполнено: аудит № {audit.id}, несоответствие № {finding.id}",
                   fields={"recurred_in": finding.id})
    return [f"Предыдущее несоответствие № {previous.id} по этому требованию открыто повторно: его действия не "
            "устранили причину — назначьте новое действие"]


# --------------------------------------------------------------------------- correction and causes


@action("append_correction", "Записать немедленное исправление (коррекцию) в карточку несоответствия")
def append_correction(ctx: TransitionContext) -> None:
    corrections = list(ctx.value("corrections") or [])
    corrections.append({"text": ctx.submitted["correction"], "date": ctx.submitted["corrected_on"],
                        "by": ctx.actor.full_name})
    ctx.set_field("corrections", corrections)


@rule("causes_given", "Причины описаны: хотя бы один ответ «почему» или категория причины")
def causes_given(ctx: TransitionContext) -> list[str]:
    if any(text(ctx.value(name)).strip() for name in WHY_FIELDS) or ctx.value("cause_category"):
        return []
    return ["Опишите, почему возникло несоответствие: ответьте хотя бы на один вопрос «почему» "
            "или выберите категорию причины"]


def causes_of(fields: dict[str, Any]) -> list[str]:
    """The answers «почему» in order, as recorded."""
    return [text(fields.get(name)).strip() for name in WHY_FIELDS if text(fields.get(name)).strip()]


def findings_of(session: Session, audit_id: int) -> list[Artefact]:
    return list(session.scalars(select(Artefact).where(Artefact.parent_id == audit_id, Artefact.kind == FINDING_KIND)
                                .order_by(Artefact.id)))
