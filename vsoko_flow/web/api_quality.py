"""JSON API of the quality cycle (under /api/v1, in the same OpenAPI document as api.py): an audit's
programme, checklist answers and findings; the school's ВСОКО figures of a year and the sources
of each figure. The audit's, finding's, plan's and check's transitions are fired with
POST /artefacts/{id}/transitions like any other; every artefact's links in the cycle are the
field `trace` of GET /artefacts/{id}.
"""
from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from ..services import audits as audit_service
from ..services import quality as quality_service
from ..services.artefacts import current_school_year
from ..services.clock import school_today
from .api import ARTEFACT_ID, Id, _rt, _text, registry
from .openapi import NO_NUL

TAG = "Внутренний аудит и анализ ВСОКО"
LINE_ID = {**ARTEFACT_ID, "line_id": "Номер строки чек-листа (id из GET /artefacts/{artefact_id}/audit)"}
Login = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[\w.@-]+$")]
SchoolYear = Annotated[str, Field(pattern=r"^[0-9]{4}/[0-9]{4}$", description="Учебный год, например 2024/2025")]
IsoDate = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", description="Дата ГГГГ-ММ-ДД")]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ProgrammeUpdate(_Request):
    """Программа аудита (пока аудит не назначен приказом)."""

    version: Id = Field(description="Версия аудита, которую видел клиент; устаревшая → 409, ничего не записано")
    checklist: Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[a-z][a-z0-9_]*$")] = Field(
        description="Код чек-листа (GET /artefacts/{id}/audit → checklists)")
    lead_auditor: Login = Field(description="Руководитель группы аудиторов (логин)")
    auditors: Annotated[list[Login], Field(max_length=20)] = []
    auditees: Annotated[list[Login], Field(max_length=50, description="Чья работа проверяется: аудитор не может "
                                                                      "быть среди них")] = []
    start_date: IsoDate
    end_date: IsoDate
    plan_item_id: Optional[Id] = Field(None, description="Пункт плана, по которому проводится аудит")


class LineAnswer(_Request):
    """Ответ на строку чек-листа (пока аудит проводится)."""

    answer: Literal["conforms", "partial", "nonconforming", "not_applicable"] = Field(
        description="соответствует / частично / не соответствует / не применимо")
    comment: _text(20_000) = Field("", description="Что обнаружено")
    plan_item_id: Optional[Id] = Field(None, description="Пункт плана, которого касается строка")
    linked_artefact_id: Optional[Id] = Field(None, description="Акт или документ системы, которого касается строка")


class FindingCreate(_Request):
    """Несоответствие, записанное вручную (не из строки чек-листа)."""

    finding_type: Literal["nonconformity", "remark", "improvement"]
    severity: Literal["significant", "minor"]
    area: Optional[Literal["results", "processes", "conditions"]] = Field(None, description="По умолчанию — направление аудита")
    requirement: _text(2000, min_length=1)
    requirement_source: _text(500, min_length=1)
    found: _text(5000, min_length=1)
    evidence: _text(5000) = Field("", description="Доказательства; без них несоответствие не фиксируется (422)")


class OverviewQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    organisation_id: Id
    school_year: Optional[SchoolYear] = Field(None, description="По умолчанию — текущий учебный год")


class SourcesQuery(OverviewQuery):
    key: Annotated[str, Field(min_length=1, max_length=200, pattern=NO_NUL)] = Field(
        description="Ключ показателя, например findings/results/significant (см. figures)")


class AuditLineOut(BaseModel):
    id: int
    position: int
    code: str
    section: str
    requirement: str
    source: str
    answer: str = Field(description="conforms, partial, nonconforming, not_applicable или пусто — нет ответа")
    comment: str
    plan_item_id: Optional[int]
    linked_artefact_id: Optional[int]
    evidence_ids: list[int]
    finding_id: Optional[int]


class AuditFindingOut(BaseModel):
    id: int
    title: str
    state: str
    finding_type: str
    severity: str
    recurrence: int
    line_id: Optional[int]


class AuditOut(BaseModel):
    id: int
    state: str
    version: int
    area: str
    checklist: str
    lead_auditor: str
    auditors: list[str]
    auditees: list[str]
    start_date: Optional[str]
    end_date: Optional[str]
    plan_item_id: Optional[int]
    lines: list[AuditLineOut]
    findings: list[AuditFindingOut]
    corrective_plan_id: Optional[int]
    checklists: list[str] = Field(description="Коды чек-листов школы")


class FindingRecorded(BaseModel):
    finding_id: int
    recurrence: int = Field(description="Который раз не выполнено это требование в школе (1 — впервые)")
    repeat_of: Optional[int] = Field(description="Предыдущее несоответствие по тому же требованию")
    notes: list[str] = Field(description="Что ещё произошло (например, предыдущее несоответствие открыто повторно)")


class Overview(BaseModel):
    school_year: str
    report_date: str
    figures: dict[str, int] = Field(description="Показатели года по ключам (см. описание GET /quality/sources)")


class SourceRow(BaseModel):
    id: int
    kind: str
    title: str
    state_label: str


class Sources(BaseModel):
    key: str
    count: int
    report_date: str
    rows: list[SourceRow] = Field(description="Документы, из которых сложился показатель (не больше 500)")


def _audit(artefact_id: int, user_id: int) -> dict:
    view = audit_service.audit_view(_rt(), artefact_id, user_id)
    programme = view["programme"]
    checklists = audit_service.checklist_list(_rt(), user_id, view["organisation_id"])
    return {
        "id": view["id"], "state": view["state"], "version": view["version"], "area": view["area"] or "",
        "checklist": programme["checklist"], "lead_auditor": programme["lead_auditor"],
        "auditors": programme["auditors"], "auditees": programme["auditees"],
        "start_date": programme["start_date"].isoformat() if programme["start_date"] else None,
        "end_date": programme["end_date"].isoformat() if programme["end_date"] else None,
        "plan_item_id": programme["plan_item_id"],
        "lines": [{**line, "plan_item_id": line["plan_item"]["id"] if line["plan_item"] else None,
                   "evidence_ids": [e["id"] for e in line["evidence"]]} for line in view["lines"]],
        "findings": view["findings"],
        "corrective_plan_id": view["corrective_plan"]["id"] if view["corrective_plan"] else None,
        "checklists": [c["code"] for c in checklists],
    }


@registry.operation("GET", "/artefacts/{artefact_id}/audit", summary="Аудит: программа, чек-лист, несоответствия",
                    tag=TAG, path_params=ARTEFACT_ID, response=AuditOut)
def get_audit(user_id: int, artefact_id: int):
    """Программа, строки чек-листа с ответами, доказательствами и несоответствиями. 404 — не аудит."""
    return _audit(artefact_id, user_id)


@registry.operation("PUT", "/artefacts/{artefact_id}/audit/programme", summary="Записать программу аудита", tag=TAG,
                    path_params=ARTEFACT_ID, body=ProgrammeUpdate, response=AuditOut, errors=(403, 409, 422))
def put_programme(user_id: int, artefact_id: int, body: ProgrammeUpdate):
    """Пока аудит — программа. 422 — неизвестный чек-лист, сотрудник или пункт плана, даты не по порядку,
    аудитор проверял бы собственную работу; 409 — версия устарела или аудит уже назначен. Ничего не записано."""
    audit_service.set_programme(_rt(), artefact_id, user_id, version=body.version, checklist=body.checklist,
                                lead_auditor=body.lead_auditor, auditors=body.auditors, auditees=body.auditees,
                                start_date=body.start_date, end_date=body.end_date, plan_item_id=body.plan_item_id)
    return _audit(artefact_id, user_id)


@registry.operation("PUT", "/artefacts/{artefact_id}/audit/lines/{line_id}", summary="Ответ на строку чек-листа",
                    tag=TAG, path_params=LINE_ID, body=LineAnswer, response=AuditOut, errors=(403, 409, 422))
def put_line(user_id: int, artefact_id: int, line_id: int, body: LineAnswer):
    """Отвечают аудиторы, пока аудит проводится. 409 — аудит не проводится; 403 — не аудитор."""
    audit_service.answer_line(_rt(), artefact_id, line_id, user_id, answer=body.answer, comment=body.comment,
                              plan_item_id=body.plan_item_id, linked_artefact_id=body.linked_artefact_id)
    return _audit(artefact_id, user_id)


@registry.operation("POST", "/artefacts/{artefact_id}/audit/lines/{line_id}/finding",
                    summary="Несоответствие по строке чек-листа (в один шаг)", tag=TAG, path_params=LINE_ID,
                    response=FindingRecorded, status=201, errors=(403, 409, 422))
def post_line_finding(user_id: int, artefact_id: int, line_id: int):
    """По строке с ответом «не соответствует» или «частично»: требование, источник и что обнаружено — из строки,
    доказательства — её файлы и ссылки (без них 422). Повтор требования считается (recurrence)."""
    return audit_service.finding_from_line(_rt(), artefact_id, line_id, user_id)


@registry.operation("POST", "/artefacts/{artefact_id}/audit/findings", summary="Несоответствие вручную", tag=TAG,
                    path_params=ARTEFACT_ID, body=FindingCreate, response=FindingRecorded, status=201,
                    errors=(403, 409, 422))
def post_finding(user_id: int, artefact_id: int, body: FindingCreate):
    """Пока аудит проводится; без доказательств — 422, ничего не записано."""
    fields = body.model_dump(exclude_none=True)
    return audit_service.add_finding(_rt(), artefact_id, user_id, fields)


@registry.operation("GET", "/quality/overview", summary="Показатели ВСОКО школы за учебный год", tag=TAG,
                    query=OverviewQuery, response=Overview, errors=(404,))
def get_overview(user_id: int, query: OverviewQuery):
    """Исполнение планов, аудиты и несоответствия, повторяемость, действия, результативность, решения советов —
    на сегодня. Источник каждого показателя — GET /quality/sources."""
    year = query.school_year or current_school_year(school_today(_rt().settings.timezone))
    data = quality_service.overview(_rt(), user_id, query.organisation_id, year)
    return {"school_year": year, "report_date": data["report_date"].isoformat(), "figures": data["figures"]}


@registry.operation("GET", "/quality/sources", summary="Из чего сложился показатель", tag=TAG, query=SourcesQuery,
                    response=Sources, errors=(404,))
def get_sources(user_id: int, query: SourcesQuery):
    """Ключи: plans/<исход>, plan/<id плана>/<исход>, plan/<id>/<id раздела>/<исход>, audits/all, findings/all,
    findings/<направление>/<значимость>, recurrence/first|repeat, actions/<исход>, checks/effective|partial|
    not_effective|pending|done, council/<исход>, council/meetings. Исходы: on_time, late, on_review, not_executed,
    not_due, cancelled, all."""
    year = query.school_year or current_school_year(school_today(_rt().settings.timezone))
    found = quality_service.figure_sources(_rt(), user_id, query.organisation_id, year, query.key)
    return {**found, "report_date": found["report_date"].isoformat()}
