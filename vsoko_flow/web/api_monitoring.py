"""JSON API of the district monitoring (under /api/v1, in the same OpenAPI document): the results
screen of a campaign, a school's expert card (read and fill), the exports as jobs and their files.
The campaign's own steps are fired with POST /artefacts/{id}/transitions like any other artefact's.
Whoever may not see a campaign or a school in it gets 404, exactly as for one that does not exist."""
from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from ..services import monitoring as service
from .api import Id, _rt, _text, registry
from .session import send_download

TAG = "Мониторинг ВСОКО (район)"
CAMPAIGN_ID = {"campaign_id": "Номер кампании мониторинга (артефакт района)"}
SCHOOL = {**CAMPAIGN_ID, "school_id": "Номер школы (организации)"}
FILE = {**CAMPAIGN_ID, "file_id": "Номер файла кампании (из GET …/results → files)"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Code = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_.-]+$")]


class ResultsQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    group_id: Optional[Id] = Field(None, description="Только школы этой экспертной группы")
    zone: Optional[Literal["green", "yellow", "red"]] = Field(None, description="Только школы этой зоны")
    criterion: Optional[Code] = Field(None, description="Только школы, не набравшие максимум по критерию")


class CellOut(BaseModel):
    code: str
    score: Optional[float]
    zone: str = Field(description="green, yellow, red; пусто — карта не сдана")


class RowOut(BaseModel):
    school_id: int
    school: str
    group: str
    state: str = Field(description="pending, draft, returned")
    place: Optional[int]
    score: float
    percent: Optional[float]
    index: Optional[float] = Field(description="Результат относительно лучшей школы (= 100)")
    change: Optional[float] = Field(description="Изменение в процентных пунктах с прошлой кампании")
    zone: str
    late_requests: int
    cells: list[CellOut]
    plan: Optional[dict[str, Any]] = Field(None, description="План корректирующих мероприятий школы по этой карте")
    previous_plan: Optional[dict[str, Any]] = Field(None, description="Её план по карте прошлой кампании")


class FileOut(BaseModel):
    id: int
    kind: str = Field(description="xlsx, report, letter")
    file_name: str
    school_id: Optional[int]


class ResultsOut(BaseModel):
    campaign_id: int
    title: str
    state: str
    total: int
    assessed: int
    mean_percent: Optional[float]
    zones: dict[str, int]
    rows: list[RowOut]
    files: list[FileOut]


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    value: Annotated[str, Field(min_length=1, max_length=10, pattern=r"^(yes|no|[0-9]{1,3}([.,][0-9])?)$")] = Field(
        description="yes/no (да/нет), 0/1/2, или процент для шкалы 10/5/0")
    comment: _text(2000) = ""


class CardIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    answers: Annotated[dict[Code, AnswerIn], Field(max_length=100)] = Field(description="Код критерия → ответ")
    recommendations: _text(5000) = ""
    submit: bool = Field(False, description="Сдать карту: все критерии должны быть оценены")


class SuggestionOut(BaseModel):
    value: Optional[Any] = Field(description="Ответ, вычисленный системой; null — нет данных")
    text: str
    evidence: list[dict[str, Any]]


class CriterionOut(BaseModel):
    code: str
    text: str
    scale: str
    max: float
    answer: dict[str, Any]
    suggestion: Optional[SuggestionOut]


class RequestOut(BaseModel):
    id: int
    text: str
    due: str
    answer: str
    link: str
    overdue: bool


class CardOut(BaseModel):
    campaign_id: int
    school_id: int
    school_name: str
    state: str
    score: float
    max_score: float
    percent: float
    zone: str
    may_fill: bool
    results_hidden: bool = Field(description="Школа до публикации видит свои запросы, но не карту")
    unmet: list[str] = Field(description="Критерии ниже проходного балла (после сдачи карты)")
    corrective_plan: Optional[dict[str, Any]] = Field(description="План корректирующих мероприятий школы по карте")
    may_start_plan: bool
    criteria: list[CriterionOut]
    requests: list[RequestOut]


class PlanOut(BaseModel):
    plan_id: int = Field(description="План корректирующих мероприятий школы (артефакт corrective_plan)")


class CriterionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    code: Code
    text: _text(2000, min_length=1)
    scale: Literal["yes_no", "zero_two", "thresholds"] = Field(description="да/нет; 0–2; 10/5/0 по порогам")
    weight: Annotated[float, Field(gt=0, le=100)] = 1
    hint: _text(2000) = ""
    evidence: _text(2000) = ""
    auto: Optional[Code] = Field(None, description="Ответ, который система вычисляет сама (подсказка эксперту)")
    high: Optional[Annotated[float, Field(ge=0, le=100)]] = Field(None, description="10 баллов от, % (thresholds)")
    middle: Optional[Annotated[float, Field(ge=0, le=100)]] = Field(None, description="5 баллов от, % (thresholds)")


class CardVersionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    code: Code = Field(description="Код карты; новая версия той же карты или новая карта")
    title: _text(1000, min_length=1)
    pass_mark: Annotated[int, Field(ge=1, le=100)]
    green_from: Annotated[int, Field(ge=1, le=100)]
    criteria: Annotated[list[CriterionIn], Field(min_length=1, max_length=100)]


class CardVersionOut(BaseModel):
    id: int
    code: str
    version: int
    title: str
    pass_mark: int
    green_from: int
    criteria: list[dict[str, Any]]


class CardVersions(BaseModel):
    cards: list[CardVersionOut]


class ExportIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    what: Literal["xlsx", "report", "letters"]


class JobStarted(BaseModel):
    job_id: int = Field(description="Первая задача; следите за ходом: GET /jobs/{job_id}")
    job_ids: list[int] = Field(description="Все задачи выгрузки (письма идут частями по 25 школ)")


class GroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: _text(300, min_length=1)
    experts: Annotated[list[Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[\w.@-]+$")]],
                       Field(min_length=1, max_length=50)] = Field(description="Логины экспертов района")
    school_ids: Annotated[list[Id], Field(max_length=1000)] = Field(description="Школы кампании, которые проверяет группа")


class GroupCreated(BaseModel):
    group_id: int


class RequestAnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    answer: _text(5000) = ""
    link: Annotated[str, Field(max_length=2000, pattern=r"^(https?://\S+)?$")] = Field("", description="https://…")


class Answered(BaseModel):
    request_id: int


@registry.operation("POST", "/monitoring/campaigns/{campaign_id}/groups", summary="Экспертная группа кампании",
                    tag=TAG, path_params=CAMPAIGN_ID, body=GroupIn, response=GroupCreated, status=201,
                    errors=(403, 409, 422))
def post_group(user_id: int, campaign_id: int, body: GroupIn):
    """Методист района, до начала экспертизы: эксперты — работники района, школы — школы кампании (школа другой
    группы переходит в эту)."""
    return {"group_id": service.add_group(_rt(), user_id, campaign_id, body.name, body.experts, body.school_ids)}


@registry.operation("POST", "/monitoring/requests/{request_id}/answer", summary="Ответ школы на запрос района",
                    tag=TAG, path_params={"request_id": "Номер запроса (из GET …/card → requests)"}, body=RequestAnswerIn,
                    response=Answered, errors=(403, 409, 422))
def post_request_answer(user_id: int, request_id: int, body: RequestAnswerIn):
    """Директор или заместитель директора школы, пока идёт сбор данных или экспертиза. 422 — ни ответа, ни ссылки."""
    service.answer_request(_rt(), user_id, request_id, body.answer, body.link)
    return {"request_id": request_id}


@registry.operation("GET", "/monitoring/campaigns/{campaign_id}/results", summary="Экран результатов мониторинга",
                    tag=TAG, path_params=CAMPAIGN_ID, query=ResultsQuery, response=ResultsOut)
def get_results(user_id: int, campaign_id: int, query: ResultsQuery):
    """Школы × критерии с зонами, баллы, место, индекс (лучшая = 100), изменение с прошлой кампании. Району — все его
    школы, эксперту — школы его групп; школе — 404."""
    data = service.results(_rt(), user_id, campaign_id,
                           service.Filters(group_id=query.group_id, zone=query.zone, criterion=query.criterion))
    files = service.files_of(_rt(), user_id, campaign_id)
    return {**{k: data[k] for k in ("campaign_id", "title", "state", "total", "assessed", "mean_percent", "zones")},
            "rows": data["rows"], "files": files}


def _card(user_id: int, campaign_id: int, school_id: int) -> dict:
    view = service.card_view(_rt(), user_id, campaign_id, school_id)
    return {**view, "criteria": [{"code": c["code"], "text": c["text"], "scale": c["scale"], "max": c["max"],
                                  "answer": c["answer"], "suggestion": c["suggestion"]} for c in view["criteria"]],
            "requests": [{"id": r["id"], "text": r["text"], "due": r["due"].isoformat(), "answer": r["answer"],
                          "link": r["link"], "overdue": r["overdue"]} for r in view["requests"]]}


@registry.operation("GET", "/monitoring/campaigns/{campaign_id}/schools/{school_id}/card",
                    summary="Экспертная карта школы", tag=TAG, path_params=SCHOOL, response=CardOut)
def get_card(user_id: int, campaign_id: int, school_id: int):
    """Критерии, ответы эксперта и ответы, вычисленные системой (подсказки с доказательствами; школе не
    показываются). Школа видит свою карту после публикации результатов."""
    return _card(user_id, campaign_id, school_id)


@registry.operation("PUT", "/monitoring/campaigns/{campaign_id}/schools/{school_id}/card",
                    summary="Заполнить экспертную карту", tag=TAG, path_params=SCHOOL, body=CardIn, response=CardOut,
                    errors=(403, 409, 422))
def put_card(user_id: int, campaign_id: int, school_id: int, body: CardIn):
    """Пока идёт экспертиза: эксперт группы школы или методист. 422 — ответ не по шкале или (при submit) оценены не
    все критерии; 409 — не экспертиза или карта уже сдана. Ничего не записано при ошибке."""
    service.save_card(_rt(), user_id, campaign_id, school_id,
                      {code: answer.model_dump() for code, answer in body.answers.items()},
                      body.recommendations, submit=body.submit)
    return _card(user_id, campaign_id, school_id)


@registry.operation("POST", "/monitoring/campaigns/{campaign_id}/exports", summary="Выгрузка как фоновая задача",
                    tag=TAG, path_params=CAMPAIGN_ID, body=ExportIn, response=JobStarted, status=202,
                    errors=(403, 409))
def post_export(user_id: int, campaign_id: int, body: ExportIn):
    """xlsx — экран результатов в Excel; report — аналитическая справка; letters — письмо с рекомендациями каждой
    школе (после публикации). Только методист района."""
    job_ids = service.request_export(_rt(), user_id, campaign_id, body.what)
    return {"job_id": job_ids[0], "job_ids": job_ids}


@registry.operation("GET", "/monitoring/campaigns/{campaign_id}/files/{file_id}", summary="Скачать файл кампании",
                    tag=TAG, path_params=FILE, media_type=XLSX,
                    response_headers={"Content-Disposition": "attachment; filename*=UTF-8''<имя файла>"})
def get_file(user_id: int, campaign_id: int, file_id: int):
    """Справка и .xlsx — району; письмо — школе, которой оно адресовано (после публикации), и району."""
    name, data = service.file_for(_rt(), user_id, campaign_id, file_id)
    mimetype = XLSX if name.endswith(".xlsx") else "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    return send_download(data, name, mimetype, f"monitoring-{file_id}")



@registry.operation("POST", "/monitoring/campaigns/{campaign_id}/schools/{school_id}/corrective-plan",
                    summary="Ответ школы на карту: план корректирующих мероприятий", tag=TAG, path_params=SCHOOL,
                    response=PlanOut, status=201, errors=(403, 409))
def post_corrective_plan(user_id: int, campaign_id: int, school_id: int):
    """Директор или заместитель директора школы, после публикации результатов: каждый критерий ниже проходного балла
    становится несоответствием школы, по нему — раздел плана. 409 — результаты не опубликованы, план уже есть или все
    критерии выполнены; 403 — не школа. Ничего не записано при ошибке."""
    return {"plan_id": service.start_corrective_plan(_rt(), user_id, campaign_id, school_id)}


class ProgressRowOut(BaseModel):
    id: int
    number: str
    activity: str
    responsible: str
    deadline: str
    every_school: bool = Field(description="Пункт для всех школ района («ОО»): у каждой школы свой пункт на контроле")
    done: int = Field(description="Сколько школ закрыли свой пункт (принят или отменён)")
    total: int = Field(description="Сколько школ получили пункт")


class ProgressOut(BaseModel):
    id: int
    title: str
    state: str
    state_label: str
    schools: int = Field(description="Школ в районе")
    rows: list[ProgressRowOut]


@registry.operation("GET", "/monitoring/district-plans/{plan_id}/progress", summary="Исполнение плана района по школам",
                    tag=TAG, path_params={"plan_id": "Номер плана района (дорожной карты)"}, response=ProgressOut)
def get_district_plan_progress(user_id: int, plan_id: int):
    """Каждый пункт плана района; для пункта всем школам («ОО») — сколько школ его закрыли («12 из 30»). Методист и
    руководитель района; остальным — 404."""
    return service.district_plan_progress(_rt(), user_id, plan_id)


DISTRICT = {"district_id": "Номер района (организации вида district)"}


@registry.operation("GET", "/monitoring/districts/{district_id}/cards", summary="Экспертные карты района",
                    tag=TAG, path_params=DISTRICT, response=CardVersions)
def get_district_cards(user_id: int, district_id: int):
    """Последняя версия каждой карты района. Методист и руководитель района; остальным — 404."""
    return {"cards": service.district_cards(_rt(), user_id, district_id)}


@registry.operation("POST", "/monitoring/districts/{district_id}/cards", summary="Новая версия экспертной карты",
                    tag=TAG, path_params=DISTRICT, body=CardVersionIn, response=CardVersionOut, status=201,
                    errors=(422,))
def post_district_card(user_id: int, district_id: int, body: CardVersionIn):
    """Каждое сохранение — следующая версия карты с этим кодом; кампании оценивают по своей версии. 422 — шкала
    без порогов, повтор кода критерия, проходной балл выше зелёной зоны; ничего не записано."""
    criteria = [{k: v for k, v in c.model_dump().items() if v not in (None, "")} for c in body.criteria]
    card_id = service.new_card_version(_rt(), user_id, district_id, body.code, title=body.title, criteria=criteria,
                                       pass_mark=body.pass_mark, green_from=body.green_from)
    return next(c for c in service.district_cards(_rt(), user_id, district_id) if c["id"] == card_id)
