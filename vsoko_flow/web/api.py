"""JSON API under /api/v1: token auth, artefacts, transitions, documents; its OpenAPI document is built from here.

Every operation is declared once with `registry.operation(...)` (see `openapi.py`): the pydantic
models named there validate the request, shape the response and become the schemas of
`GET /api/v1/openapi.json`. Views are thin: they call `services` and return plain data.
The API never reads or sets cookies; who is asking comes from `Authorization: Bearer <token>`.
"""
from __future__ import annotations

import hashlib
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Annotated, Any, Literal, Optional

from flask import Blueprint, current_app, jsonify, request, url_for
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from ..deadlines.phrases import Kind
from ..engine.definitions import WorkflowDefinition
from ..engine.fields import FIELD_TYPES, FieldSpec
from ..services import control as control_service
from ..services import plans as plan_service
from ..services.api_tokens import document_for, member_organisation_ids, user_id_for_token
from ..services.artefacts import (
    create_artefact, list_artefacts, preview_sections_file, set_sections, set_sections_from_file, show_artefact,
)
from ..services.errors import ServiceError, Unprocessable
from ..services.jobs import job_for
from ..services.meetings import MAX_AGENDA_ITEMS, clean_agenda, record_agenda
from ..services.runtime import Runtime
from ..safe_text import has_control_characters, without_invisible
from ..services.transitions import fire_transition
from .session import send_download
from .openapi import MAX_ID, NO_NUL, ApiRegistry, BadRequest, Unauthorized, UploadField, build_document

bp = Blueprint("api", __name__)

_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          409: "conflict", 413: "too_large", 422: "unprocessable", 429: "too_many_requests", 500: "internal"}

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_PAGE = 100
MAX_TEXT = 2_000_000  # characters of an act's text, as services.sections accepts


# The services speak to a person at a page («обновите страницу»); a program re-reads the resource.
_PAGE_WORDS = (
    ("обновите страницу и повторите действие", "получите документ заново (GET) и повторите запрос"),
    ("обновите страницу и повторите", "получите документ заново (GET) и повторите запрос"),
    ("обновите и повторите", "получите документ заново (GET) и повторите запрос"),
    ("обновите страницу", "получите документ заново (GET)"),
    ("Обновите страницу и повторите.", "Повторите запрос."),
)


def for_api(message: str) -> str:
    """A service's message as an API client should read it: no page to reload."""
    for page_words, api_words in _PAGE_WORDS:
        message = message.replace(page_words, api_words)
    return message


def api_error(status: int, message: str, service_error: Any = None):
    """The one JSON error shape: {"error": code, "message": Russian text, "details": …}."""
    message = for_api(message)
    code = getattr(service_error, "code", None) or _CODES.get(status, "error")
    details = getattr(service_error, "details", None)
    if details is not None and not isinstance(details, dict):
        details = {"value": details}
    response = jsonify(error=code, message=message, details=details)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="vsoko-flow"'
    return response, status


@bp.errorhandler(ServiceError)
def _service_error(error: ServiceError):
    return api_error(error.status, error.message, error)


def _rt() -> Runtime:
    return current_app.extensions["vsoko_runtime"]


def _authenticate() -> int:
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Нужен токен API в заголовке «Authorization: Bearer <токен>». "
                           "Токен создаётся на странице «Токены API».")
    user_id = user_id_for_token(_rt(), token.strip())
    if user_id is None:
        raise Unauthorized("Токен API недействителен или отозван")
    return user_id


registry = ApiRegistry(bp, _authenticate)

# ---------------------------------------------------------------- request models (strict: JSON types as documented)

def _plain_text(value: str) -> str:
    # PostgreSQL cannot store NUL in text, and control characters break documents' XML. Checked
    # here rather than as a schema `pattern`: a pattern on a long text makes schema tools compile
    # a regex of the whole length. Invisible bidi and zero-width characters are removed.
    if has_control_characters(value):
        raise ValueError("текст не может содержать управляющие символы (NUL \\u0000 и другие, кроме табуляции "
                         "и перевода строки)")
    return without_invisible(value)


def _text(max_length: int, min_length: int = 0) -> Any:
    """A JSON string of bounded length without control or invisible formatting characters."""
    return Annotated[str, Field(min_length=min_length, max_length=max_length), AfterValidator(_plain_text)]


Title = _text(1000)
Comment = _text(5000)
FieldText = _text(100_000)
ActText = _text(MAX_TEXT, min_length=1)
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,49}$")]
FieldName = Annotated[str, Field(min_length=1, max_length=100)]
FieldValue = Optional[FieldText | int | bool]
FieldValues = Annotated[dict[FieldName, FieldValue], Field(
    max_length=100, description="Значения полей по их именам (см. fields вида документа или действия в GET /workflows): "
                                "строка, целое число, true/false или null; даты — «ГГГГ-ММ-ДД» или «ДД.ММ.ГГГГ»")]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ArtefactCreate(_Request):
    """Новый проект документа (в начальном состоянии своего вида)."""

    kind: Code = Field(description="Вид документа: код из GET /workflows, например polozhenie")
    organisation_id: Id = Field(description="Организация, в которой у пользователя есть роль")
    title: Optional[Title] = Field(
        None, description="Название; по умолчанию — название вида (или заменяемой редакции)")
    school_year: Optional[Annotated[str, Field(pattern=r"^[0-9]{4}/[0-9]{4}$")]] = Field(
        None, description="Учебный год — два соседних года, например 2024/2025; по умолчанию — текущий")
    fields: FieldValues = {}
    supersedes_id: Optional[Id] = Field(
        None, description="Действующая редакция, которую заменит новая; её текст станет текстом проекта")
    sections_text: Optional[ActText] = Field(
        None, description="Текст акта: строки вида «1. Общие положения», «1.1. …»")

    @field_validator("school_year")
    @classmethod
    def _consecutive_years(cls, value: str | None) -> str | None:
        if value is not None and int(value[5:]) != int(value[:4]) + 1:
            raise ValueError("учебный год — два соседних года, например 2024/2025")
        return value


class TransitionRequest(_Request):
    """Выполнить действие над документом (переход его процесса)."""

    trigger: Code = Field(description="Код действия из available_transitions документа")
    version: Id = Field(description="Версия документа, которую видел клиент; устаревшая → 409, ничего не записано")
    comment: Comment = Field("", description="Комментарий (для некоторых действий обязателен)")
    fields: FieldValues = {}


class SectionsUpdate(_Request):
    """Заменить текст акта (только пока документ редактируемый)."""

    version: Id = Field(description="Версия документа, которую видел клиент; устаревшая → 409")
    text: ActText = Field(description="Текст акта: строки вида «1. Общие положения», «1.1. …»")


# --- plan rows, sections, import and a meeting's agenda

CellText = _text(100_000)
ColumnKey = Annotated[str, Field(min_length=1, max_length=50)]
ColumnTexts = Annotated[dict[ColumnKey, CellText], Field(
    max_length=20, description="Тексты по столбцам: ключ столбца (columns с text=true в GET …/items) → текст")]
Login = Annotated[str, Field(min_length=1, max_length=100)]
Logins = Annotated[list[Login], Field(max_length=100, description="Логины ответственных сотрудников организации")]
Executors = Annotated[list[_text(300, min_length=1)], Field(
    max_length=50, description="Внешние исполнители, например «ИМЦ», «ЦОКО»")]
DeadlineText = Annotated[_text(500), Field(description="Срок как в плане: «Декабрь, июнь», «до 20 апреля», "
                                                       "«Согласно ВШК»; читается в учебном году плана")]
PlanVersion = Annotated[Id, Field(description="Версия плана, которую видел клиент; устаревшая → 409, ничего не записано")]
AgendaText = _text(20_000)
AgendaLines = AgendaText | Annotated[list[AgendaText], Field(max_length=200)]
Votes = Optional[Annotated[int, Field(ge=0, le=100_000)]]


class ItemCreate(_Request):
    """Новый пункт плана (решение заседания) — в конце раздела, со следующим номером."""

    version: PlanVersion
    section_id: Optional[Id] = Field(None, description="Раздел (вопрос повестки); по умолчанию — последний")
    fields: ColumnTexts
    responsible_logins: Logins = []
    external_executors: Executors = []
    responsible_text: Optional[_text(2000)] = Field(
        None, description="«Ответственный», как его напечатать; по умолчанию — выбранные люди и внешние исполнители")
    deadline_text: DeadlineText = ""


class ItemUpdate(_Request):
    """Изменить пункт: только переданные поля; срок читается заново."""

    version: PlanVersion
    fields: Optional[ColumnTexts] = None
    responsible_logins: Optional[Logins] = None
    external_executors: Optional[Executors] = None
    deadline_text: Optional[DeadlineText] = None


class ItemMove(_Request):
    """Поменять пункт местами с соседним (через границу раздела — перейти в соседний раздел)."""

    version: PlanVersion
    direction: Literal["up", "down"] = Field(description="up — выше, down — ниже")


class VersionBody(_Request):
    version: PlanVersion


class SectionCreate(_Request):
    """Новый раздел в конце плана; у заседания — новый вопрос повестки."""

    version: PlanVersion
    title: _text(1000, min_length=1) = Field(description="Название раздела (формулировка вопроса повестки)")
    number: Optional[Annotated[str, Field(max_length=30, pattern=r"^[0-9A-Za-zА-Яа-яЁё.]*$")]] = Field(
        None, description="Номер раздела; по умолчанию — следующий после последнего")


class VersionQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    version: int = Field(ge=1, le=MAX_ID, description="Версия плана, которую видел клиент; устаревшая → 409")


class ImportQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    preview: bool = Field(False, description="true — только показать, как будут импортированы строки; "
                                             "ничего не сохраняется")


class ImportUpload(BaseModel):
    """Файл таблицы плана и версия плана (multipart/form-data)."""

    model_config = ConfigDict(extra="forbid")  # not strict: form values arrive as text

    file: UploadField = Field(description="Таблица плана: .docx, .xlsx, .csv или .tsv (UTF-8 или Windows-1251), "
                                          "не более 10 МБ")
    version: Optional[int] = Field(None, ge=1, le=MAX_ID,
                                   description="Версия плана; обязательна для импорта (без preview=true)")


class TextUpload(ImportUpload):
    """Текст акта из файла и версия документа, обязательная для сохранения (multipart/form-data)."""

    file: UploadField = Field(description="Документ Word (.docx) или текст (.txt, UTF-8 или Windows-1251), "
                                          "не более 10 МБ")


class AgendaDecision(_Request):
    text: AgendaText = ""
    deadline_text: _text(500) = ""
    responsible_text: _text(2000) = ""


class AgendaEntry(_Request):
    """Вопрос повестки: по порядку разделов заседания, затем вопросы без решений на контроле («Разное»)."""

    title: AgendaText = Field("", description="Формулировка вопроса; по умолчанию — название раздела")
    heard: AgendaLines = Field("", description="СЛУШАЛИ: текст (абзацы с новой строки) или список абзацев")
    spoke: AgendaLines = Field([], description="ВЫСТУПИЛИ: список выступлений или текст")
    votes_for: Votes = Field(None, description="Голосов «за» (по вопросу с решениями)")
    votes_against: Votes = None
    votes_abstained: Votes = None
    number: Optional[_text(10)] = Field(None, description="Номер вопроса; по умолчанию — по порядку")
    decisions: Annotated[list[AgendaDecision], Field(max_length=100, description=(
        "Решения вопроса без раздела (после последнего раздела): в протокол, не на контроль"))] = []


class AgendaUpdate(_Request):
    """Повестка заседания целиком: что слушали, кто выступил, итоги голосования по каждому вопросу."""

    version: PlanVersion
    agenda: Annotated[list[AgendaEntry], Field(max_length=MAX_AGENDA_ITEMS)]


class ArtefactQuery(BaseModel):
    """Query string of the list (values arrive as text and are converted)."""

    model_config = ConfigDict(extra="ignore")

    kind: Optional[Annotated[str, Field(max_length=50, pattern=NO_NUL)]] = Field(None, description="Вид документа")
    state: Optional[Annotated[str, Field(max_length=50, pattern=NO_NUL)]] = Field(None, description="Состояние")
    school_year: Optional[Annotated[str, Field(max_length=9, pattern=NO_NUL)]] = Field(
        None, description="Учебный год, например 2024/2025")
    q: Optional[Annotated[str, Field(max_length=200, pattern=NO_NUL)]] = Field(None, description="Часть названия")
    organisation_id: Optional[Id] = Field(
        None, description="Только эта организация (из тех, где у пользователя есть роль)")
    limit: int = Field(50, ge=1, le=MAX_PAGE, description=f"Размер страницы, не больше {MAX_PAGE}")
    offset: int = Field(0, ge=0, le=MAX_ID, description="Сколько документов пропустить")


# ---------------------------------------------------------------- response models

class ErrorDetails(BaseModel):
    model_config = ConfigDict(extra="allow")

    fields: Optional[dict[str, str]] = Field(None, description="Сообщения по полям")
    rules: Optional[list[str]] = Field(None, description="Сообщения нарушенных правил")
    warnings: Optional[list[str]] = Field(None, description="Предупреждения правил")


class Error(BaseModel):
    """Ошибка: код, сообщение на русском и подробности."""

    error: str = Field(description="Код ошибки: bad_request, unauthorized, forbidden, not_found, conflict, "
                                   "too_large, unprocessable")
    message: str = Field(description="Сообщение для человека, на русском")
    details: Optional[ErrorDetails]


class FieldInfo(BaseModel):
    name: str
    type: str = Field(description="Тип: " + ", ".join(FIELD_TYPES))
    label: str
    required: bool
    options: dict[str, str] = Field(description="Для type=choice: код → подпись")
    default: Optional[str | int | bool] = Field(description="Значение по умолчанию («today» — сегодняшняя дата)")
    min: Optional[int]
    max_length: int
    help: str


class AvailableTransition(BaseModel):
    trigger: str
    label: str
    fields: list[FieldInfo]
    comment_required: bool
    blocked: list[str] = Field(default_factory=list, description="Почему действие сейчас не выполнится и что "
                               "сделать вместо него (правила, не зависящие от полей формы); пусто — можно выполнять")
    warnings: list[str] = Field(default_factory=list, description="Предупреждения, о которых нужно знать до "
                                "выполнения действия")


class OrganisationRef(BaseModel):
    id: int
    short_name: str


class ArtefactSummary(BaseModel):
    id: int
    kind: str
    title: str
    state: str
    state_label: str
    version: int = Field(description="Версия для оптимистической блокировки: передаётся в действиях")
    organisation: OrganisationRef
    school_year: str
    fields: dict[str, Any]
    supersedes_id: Optional[int]
    act_type_id: Optional[int] = Field(None, description="Вид локального акта из номенклатуры ЛНА школы (для актов); "
                                                         "при создании — fields.act_type")
    parent_id: Optional[int] = Field(description="Для пункта на контроле — план или заседание, к которому он относится")
    due_date: Optional[str] = Field(description="Срок исполнения пункта на контроле (ГГГГ-ММ-ДД); null — нет даты")
    created_at: str = Field(description="Когда создан (ISO 8601 со смещением, время школы: 2026-12-04T22:15:00+03:00)")
    updated_at: str = Field(description="Когда изменён последний раз (ISO 8601 со смещением, время школы)")
    available_transitions: list[AvailableTransition] = Field(
        description="Действия, которые пользователь может выполнить сейчас (по его ролям)")


class Item(BaseModel):
    number: str
    text: str


class HistoryItem(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    sequence: int
    at: str
    actor: str
    trigger: str
    from_: str = Field(alias="from")
    to: str
    comment: str
    fields: dict[str, Any]
    documents: list[str] = Field(description="SHA-256 созданных файлов")
    hash: str = Field(description="Хеш записи, сцепленный с предыдущей")


class DocumentInfo(BaseModel):
    id: int
    public_id: str
    title: str
    file_name: str
    template: str
    sha256: str
    size: int
    registration_number: str
    registration_date: Optional[str]
    history_sequence: int
    created_at: str
    download_url: str = Field(description="Скачать .docx: GET по этому пути (с токеном)")


class TraceLink(BaseModel):
    """A neighbour of the artefact in the quality cycle: plan row → audit → checklist line → finding →
    action → check → review, and back."""

    relation: str = Field(description="plan_row, plan, audit, checklist_line, finding, corrective_plan, action, "
                                      "check, review, repeat_of, repeated_by, next_plan")
    relation_label: str
    id: int = Field(description="Номер документа; для plan_row — пункта плана, для checklist_line — строки чек-листа")
    artefact_id: int = Field(description="Документ, на странице которого находится связь (GET /artefacts/{id})")
    anchor: str = Field(description="Место на странице документа: item-<id>, line-<id> или пусто")
    title: str
    state_label: str


class ArtefactDetail(ArtefactSummary):
    items: list[Item] = Field(description="Разделы текста акта")
    history: list[HistoryItem]
    documents: list[DocumentInfo]
    trace: list[TraceLink] = Field(description="Связи в цикле качества (аудит, несоответствия, действия, проверки, "
                                               "анализ ВСОКО), в обе стороны")


class ArtefactPage(BaseModel):
    items: list[ArtefactSummary]
    total: int
    limit: int
    offset: int


class CreatedDocument(BaseModel):
    id: int
    public_id: str
    title: str
    file_name: str
    sha256: str
    history_sequence: int
    download_url: str


class TransitionResult(BaseModel):
    artefact_id: int
    trigger: str
    from_state: str
    state: str = Field(description="Новое состояние")
    version: int = Field(description="Новая версия документа")
    documents: list[CreatedDocument] = Field(description="Документы, созданные этим действием")
    warnings: list[str] = Field(description="Предупреждения правил (действие выполнено)")


class SchedulePeriod(BaseModel):
    start: str
    end: str
    due: str = Field(description="Срок исполнения — последний день периода (ГГГГ-ММ-ДД)")
    note: Optional[str]


class ScheduleOffset(BaseModel):
    days: int
    working: bool = Field(description="Рабочие дни производственного календаря")
    before: bool = Field(description="true: «за N дней до события»; false: N дней после него")


class ItemSchedule(BaseModel):
    """Как понят срок в учебном году плана."""

    kind: str = Field(description="Вид: " + ", ".join(k.value for k in Kind)
                      + " (linked — по другому графику или от события; text — не срок, причина в messages; "
                        "unresolved — не понят)")
    periods: list[SchedulePeriod]
    recurrence: Optional[str]
    text: str
    linked_to: Optional[str] = Field(description="Для kind=linked: другой график («ВШК») или событие, сроки не угадываются")
    messages: list[str]
    offset: Optional[ScheduleOffset] = Field(default=None, description="Для срока от события: сколько дней до или после")


class PlanRow(BaseModel):
    id: int
    number: str
    section_id: Optional[int]
    position: int
    fields: dict[str, str] = Field(description="Тексты ячеек по ключам столбцов, как в таблице (и столбцы файла "
                                               "без своего ключа)")
    responsible_text: str = Field(description="«Ответственный», как написано в таблице")
    responsible_logins: list[str]
    responsible_names: list[str] = Field(description="Ответственные сотрудники: «Фамилия И.О. — должность»")
    external_executors: list[str]
    deadline_text: str
    deadline_description: str = Field(description="Срок, как он понят: «31.12.2024; 30.06.2025»")
    deadline_resolved: bool
    schedule: Optional[ItemSchedule]
    warnings: list[str] = Field(description="Что требует внимания: срок не понят, ответственный не найден, …")
    carried_over: bool = Field(description="Перенесён как неисполненный из прошлого учебного года")


class ItemColumn(BaseModel):
    key: str
    heading: str
    text: bool = Field(description="true — текст столбца в fields; responsible и deadline — отдельными полями")


class PlanSectionRows(BaseModel):
    id: Optional[int] = Field(description="null — пункты вне разделов")
    number: str
    title: str
    items: list[PlanRow]


class PlanItems(BaseModel):
    artefact_id: int
    version: int = Field(description="Версия плана: передаётся в каждом изменении пунктов")
    editable: bool = Field(description="Пункты можно менять сейчас (проект и право пользователя)")
    columns: list[ItemColumn]
    sections: list[PlanSectionRows]
    items_total: int


class Renumbered(BaseModel):
    from_: str = Field(alias="from", description="Номер до изменения")
    to: str = Field(description="Номер после изменения")

    model_config = ConfigDict(populate_by_name=True)


class _Renumbering(BaseModel):
    renumbered: list[Renumbered] = Field(default_factory=list, description="Номера пунктов (и разделов: «раздел 2»), "
                                         "которые изменились: номера следуют порядку")
    message: str = Field(default="", description="Что перенумеровано, по-русски («Пункты 9.3–9.5 перенумерованы.»)")


class ItemChange(_Renumbering):
    artefact_id: int
    version: int = Field(description="Новая версия плана")
    item: PlanRow


class ItemDeleted(_Renumbering):
    artefact_id: int
    version: int = Field(description="Новая версия плана")
    deleted_item_id: int


class SectionAdded(BaseModel):
    artefact_id: int
    version: int = Field(description="Новая версия плана")
    section: PlanSectionRows


class SectionChanged(_Renumbering):
    artefact_id: int
    version: int = Field(description="Новая версия плана")
    section_id: int


class AgendaDecisionStored(BaseModel):
    text: str
    deadline_text: str
    responsible_text: str


class AgendaStored(BaseModel):
    title: str
    heard: str | list[str]
    spoke: str | list[str]
    votes_for: Optional[int] = None
    votes_against: Optional[int] = None
    votes_abstained: Optional[int] = None
    number: Optional[str] = None
    decisions: list[AgendaDecisionStored] = []


class AgendaResult(BaseModel):
    artefact_id: int
    version: int = Field(description="Новая версия заседания")
    agenda: list[AgendaStored] = Field(description="Повестка, как она сохранена")


class FileColumn(BaseModel):
    heading: str = Field(description="Заголовок столбца в файле")
    maps_to: str = Field(description="Столбец плана, в который он попадёт; пусто — не распознан")


class RowAccounting(BaseModel):
    source_rows: int
    header_rows: int
    section_rows: int
    item_rows: int
    continuation_rows: int
    empty_rows: int


class PreviewRow(BaseModel):
    number: str
    number_written: Optional[str] = Field(description="Номер, как в файле; null — в таблице нет номеров")
    fields: dict[str, str] = Field(description="Тексты по ключам столбцов плана")
    extra: dict[str, str] = Field(description="Столбцы файла без столбца плана: заголовок → текст")
    responsible_text: str
    responsible_logins: list[str]
    responsible_names: list[str]
    external_executors: list[str]
    unresolved: list[str] = Field(description="Части «Ответственного», не найденные среди сотрудников")
    deadline_text: str
    deadline_description: str
    deadline_resolved: bool
    schedule: Optional[ItemSchedule]
    warnings: list[str]
    duplicate: bool = Field(description="Такая строка уже есть в плане: второй раз не добавится")
    past_due: list[str] = Field(default_factory=list, description="Сроки пункта, которые уже прошли (ГГГГ-ММ-ДД): "
                                "после утверждения он сразу окажется просроченным")
    past_due_warning: str = Field(default="", description="То же словами (предупреждение предпросмотра, не "
                                  "сохраняется в пункте)")
    source_table: int = Field(description="Номер таблицы в файле, с 1")
    source_row: int = Field(description="Номер строки в таблице, с 1")


class PreviewSection(BaseModel):
    number: str
    title: str
    existing: bool = Field(description="Такой раздел уже есть в плане")
    items: list[PreviewRow]


class ImportPreview(BaseModel):
    shape: str
    school_year: str
    title: str
    file_columns: list[FileColumn]
    missing_columns: list[str] = Field(description="Столбцы плана, которых нет в файле")
    warnings: list[str]
    row_accounting: RowAccounting
    accounting_text: str = Field(description="«строк в файле: 9 = заголовок 1 + разделы 1 + пункты 7 + …»")
    flagged: int = Field(description="Сколько новых пунктов требуют внимания")
    past_due: int = Field(default=0, description="Сколько новых пунктов со сроком, который уже прошёл")
    number_only: int = Field(default=0, description="Сколько новых пунктов с предупреждением только о номере")
    sections: list[PreviewSection]


class ImportOutcome(BaseModel):
    preview: bool = Field(description="true — только предпросмотр: ничего не сохранено")
    version: int = Field(description="Версия плана (после импорта — новая)")
    file_name: str
    sha256: str = Field(description="SHA-256 файла, как в истории")
    items_added: int = Field(description="Добавлено пунктов (в предпросмотре — будет добавлено)")
    sections_added: int
    duplicates: int = Field(description="Строк, которые уже есть в плане и не добавлены")
    rows: Optional[ImportPreview] = Field(description="Предпросмотр каждой строки (только при preview=true)")


class StateInfo(BaseModel):
    name: str
    label: str
    final: bool


class WorkflowTransition(BaseModel):
    trigger: str
    label: str
    sources: list[str]
    dest: str
    roles: list[str]
    fields: list[FieldInfo]
    comment_required: bool
    system: bool = Field(description="Выполняется только самой системой")
    rules: list[str]
    documents: list[str] = Field(description="Шаблоны документов, которые создаёт действие")


class Workflow(BaseModel):
    kind: str
    title: str
    description: str = Field(description="Для чего этот вид документа — одна строка")
    default_title: str
    initial: str
    editable_states: list[str]
    create_roles: list[str]
    fields: list[FieldInfo]
    states: list[StateInfo]
    transitions: list[WorkflowTransition]


class WorkflowList(BaseModel):
    items: list[Workflow]


# ---------------------------------------------------------------- plain data for the models

def _field_info(spec: FieldSpec) -> dict[str, Any]:
    return {"name": spec.name, "type": spec.type, "label": spec.label, "required": spec.required,
            "options": spec.options, "default": spec.default, "min": spec.min, "max_length": spec.max_length,
            "help": spec.help}


def _workflow(definition: WorkflowDefinition) -> dict[str, Any]:
    return {
        "kind": definition.kind, "title": definition.title, "description": definition.description,
        "default_title": definition.default_title,
        "initial": definition.initial, "editable_states": sorted(definition.editable_states),
        "create_roles": sorted(definition.create_roles), "fields": [_field_info(f) for f in definition.fields],
        "states": [{"name": s.name, "label": s.label, "final": s.final} for s in definition.states.values()],
        "transitions": [{
            "trigger": t.trigger, "label": t.label, "sources": list(t.sources), "dest": t.dest,
            "roles": sorted(t.roles), "fields": [_field_info(f) for f in t.fields],
            "comment_required": t.comment_required, "system": t.system, "rules": [r.name for r in t.rules],
            "documents": [d.template for d in t.documents],
        } for t in definition.transitions.values()],
    }


def _with_transition_fields(data: dict[str, Any]) -> dict[str, Any]:
    definition = _rt().definition(data["kind"])
    data["available_transitions"] = [
        {**t, "fields": [_field_info(f) for f in definition.transitions[t["trigger"]].fields],
         "comment_required": definition.transitions[t["trigger"]].comment_required}
        for t in data.get("available_transitions", [])
    ]
    return data


def _download_url(document_id: int) -> str:
    return url_for("api.download_document", document_id=document_id)


def _detail(artefact_id: int, user_id: int) -> dict[str, Any]:
    data = _with_transition_fields(show_artefact(_rt(), artefact_id, user_id))
    data["items"] = data.pop("sections")
    for document in data["documents"]:
        document["download_url"] = _download_url(document["id"])
    return data


# ---------------------------------------------------------------- operations

ARTEFACT_ID = {"artefact_id": "Номер документа (артефакта)"}


@registry.operation("GET", "/workflows", summary="Виды документов и их процессы", tag="Процессы",
                    response=WorkflowList)
def list_workflows(user_id: int):
    """Все виды документов: состояния с подписями, действия с полями, ролями, правилами и документами."""
    return {"items": [_workflow(d) for d in _rt().definitions.values()]}


@registry.operation("GET", "/artefacts", summary="Список документов", tag="Документы", query=ArtefactQuery,
                    response=ArtefactPage)
def list_artefacts_view(user_id: int, query: ArtefactQuery):
    """Документы организаций пользователя, новые первыми, с фильтрами и постраничным выводом."""
    rt = _rt()
    if query.organisation_id is not None and query.organisation_id not in member_organisation_ids(rt, user_id):
        return {"items": [], "total": 0, "limit": query.limit, "offset": query.offset}
    page = list_artefacts(rt, user_id, kind=query.kind, state=query.state, school_year=query.school_year,
                          text=query.q, organisation_id=query.organisation_id, limit=query.limit, offset=query.offset)
    page["items"] = [_with_transition_fields(item) for item in page["items"]]
    return page


@registry.operation("POST", "/artefacts", summary="Создать проект документа", tag="Документы",
                    body=ArtefactCreate, response=ArtefactDetail, status=201, errors=(403, 404, 422),
                    response_headers={"Location": "Адрес нового документа в API"})
def create_artefact_view(user_id: int, body: ArtefactCreate):
    """Создаёт документ в начальном состоянии; новая редакция (supersedes_id) начинается с текста действующей."""
    rt = _rt()
    if body.kind not in rt.definitions:
        known = ", ".join(sorted(rt.definitions))
        raise Unprocessable(f"Неизвестный вид документа «{body.kind}»; известны: {known}",
                            details={"fields": {"kind": f"допустимые значения: {known}"}})
    artefact_id = create_artefact(rt, user_id, body.organisation_id, body.kind,
                                  title=(body.title or "").strip() or None, school_year=body.school_year,
                                  fields=body.fields, supersedes_id=body.supersedes_id,
                                  sections_text=body.sections_text)
    return _detail(artefact_id, user_id), {"Location": url_for("api.get_artefact", artefact_id=artefact_id)}


@registry.operation("GET", "/artefacts/{artefact_id}", summary="Документ целиком", tag="Документы",
                    path_params=ARTEFACT_ID, response=ArtefactDetail)
def get_artefact(user_id: int, artefact_id: int):
    """Состояние, версия, поля, разделы (items), доступные действия, история и файлы со ссылками на скачивание."""
    return _detail(artefact_id, user_id)


@registry.operation("POST", "/artefacts/{artefact_id}/transitions", summary="Выполнить действие",
                    tag="Документы", path_params=ARTEFACT_ID, body=TransitionRequest, response=TransitionResult,
                    errors=(403, 409, 422))
def fire_transition_view(user_id: int, artefact_id: int, body: TransitionRequest):
    """Одна транзакция: проверка версии, действия, роли, полей и правил; номера, документы, история — всё или ничего.

    409 — версия устарела или действие недоступно из текущего состояния; 403 — роль не позволяет;
    422 — поля (details.fields) или правила (details.rules). При любой ошибке ничего не записано.
    """
    fired = fire_transition(_rt(), artefact_id, body.trigger, user_id, version=body.version, fields=body.fields,
                            comment=body.comment)
    return {"artefact_id": fired.artefact_id, "trigger": fired.trigger, "from_state": fired.from_state,
            "state": fired.to_state, "version": fired.version, "warnings": fired.warnings,
            "documents": [{**d, "download_url": _download_url(d["id"])} for d in fired.documents]}


@registry.operation("PUT", "/artefacts/{artefact_id}/sections", summary="Заменить текст акта", tag="Документы",
                    path_params=ARTEFACT_ID, body=SectionsUpdate, response=ArtefactDetail, errors=(403, 409, 422))
def put_sections(user_id: int, artefact_id: int, body: SectionsUpdate):
    """Текст разбивается на разделы по номерам; 409 — версия устарела или документ уже не редактируется."""
    set_sections(_rt(), artefact_id, user_id, body.text, version=body.version)
    return _detail(artefact_id, user_id)


class TextSection(BaseModel):
    number: str
    text: str


class TextImport(BaseModel):
    preview: bool = Field(description="true — только предпросмотр: текст не изменён")
    version: int = Field(description="Версия документа (после сохранения — новая)")
    file_name: str
    sha256: str = Field(description="SHA-256 файла, как в истории")
    sections: list[TextSection] = Field(description="Разделы, как они будут (были) сохранены")
    skipped: list[str] = Field(description="Строки над первым разделом (название, грифы): в текст не входят")
    warnings: list[str] = Field(description="Что проверить: нумерация не по порядку, таблицы в файле")


@registry.operation("POST", "/artefacts/{artefact_id}/sections/import", summary="Текст акта из файла Word",
                    tag="Документы", path_params=ARTEFACT_ID, query=ImportQuery, form=TextUpload, response=TextImport,
                    errors=(403, 409, 422))
def import_sections(user_id: int, artefact_id: int, query: ImportQuery, form: TextUpload):
    """Разделы «1.», «1.1.» из .docx (в том числе с автоматической нумерацией Word) или .txt; строки над первым
    разделом не входят в текст. С preview=true — только показать; без него — заменить текст (нужна version).
    422 — файл не читается или в нём нет разделов; ничего не записано."""
    rt = _rt()
    file_name = control_service.safe_file_name(form.file.file_name)
    data = form.file.data
    if query.preview:
        parsed = preview_sections_file(rt, artefact_id, user_id, data, file_name)
        version = show_artefact(rt, artefact_id, user_id)["version"]
    else:
        if form.version is None:
            raise BadRequest("Для сохранения текста укажите версию документа (поле version)",
                             details={"fields": {"version": "обязательное поле (без preview=true)"}})
        parsed = preview_sections_file(rt, artefact_id, user_id, data, file_name)
        version = set_sections_from_file(rt, artefact_id, user_id, data, file_name, version=form.version)
    return {"preview": query.preview, "version": version, "file_name": file_name,
            "sha256": hashlib.sha256(data).hexdigest(), **parsed}


# ---------------------------------------------------------------- plan rows (plans, roadmaps, meetings' decisions)

ITEM_ID = {**ARTEFACT_ID, "item_id": "Номер пункта плана (id из GET /artefacts/{artefact_id}/items)"}
SECTION_ID = {**ARTEFACT_ID, "section_id": "Номер раздела плана (id из GET /artefacts/{artefact_id}/items)"}
ITEMS_TAG = "Пункты плана"


def _row(row: dict[str, Any]) -> dict[str, Any]:
    """A row of `control.plan_table` / `control.item_for_edit` (or of the import preview) for the API."""
    return {**row, "schedule": row["schedule"] or None,
            "fields": {key: str(value) for key, value in row["fields"].items()}}


def _renumbering(change: plan_service.RowChange) -> dict[str, Any]:
    return {"renumbered": [{"from": old, "to": new} for old, new in change.renumbered], "message": change.message}


def _section_rows(section: dict[str, Any]) -> dict[str, Any]:
    return {**section, "items": [_row(row) for row in section["items"]]}


def _item_change(artefact_id: int, user_id: int, item_id: int, version: int) -> dict[str, Any]:
    row = control_service.item_for_edit(_rt(), artefact_id, item_id, user_id)
    return {"artefact_id": artefact_id, "version": version, "item": _row(row)}


@registry.operation("GET", "/artefacts/{artefact_id}/items", summary="Пункты плана по разделам", tag=ITEMS_TAG,
                    path_params=ARTEFACT_ID, response=PlanItems)
def list_items(user_id: int, artefact_id: int):
    """Разделы (у заседания — вопросы повестки) с пунктами (решениями) по порядку: тексты столбцов,
    ответственные, сроки как написаны и как поняты, предупреждения. 404 — не план или чужая организация."""
    rt = _rt()
    table = control_service.plan_table(rt, artefact_id, user_id)
    access = control_service.plan_access(rt, artefact_id, user_id)
    own = set(plan_service.text_columns(rt.definition(access["kind"])))
    return {"artefact_id": artefact_id, "version": table["version"], "editable": access["may_edit"],
            "columns": [{"key": key, "heading": heading, "text": key in own}
                        for key, heading in table["columns"].items()],
            "sections": [_section_rows(section) for section in table["sections"]],
            "items_total": table["items_total"]}


@registry.operation("GET", "/artefacts/{artefact_id}/items/{item_id}", summary="Один пункт плана", tag=ITEMS_TAG,
                    path_params=ITEM_ID, response=PlanRow)
def get_item(user_id: int, artefact_id: int, item_id: int):
    """Пункт плана со всем, что показывает его форма."""
    return _row(control_service.item_for_edit(_rt(), artefact_id, item_id, user_id))


@registry.operation("POST", "/artefacts/{artefact_id}/items", summary="Добавить пункт", tag=ITEMS_TAG,
                    path_params=ARTEFACT_ID, body=ItemCreate, response=ItemChange, status=201,
                    errors=(403, 409, 422), response_headers={"Location": "Адрес нового пункта в API"})
def add_item_view(user_id: int, artefact_id: int, body: ItemCreate):
    """Пункт в конце раздела со следующим номером («1.8»); только в проекте. 409 — версия устарела или план
    не в проекте; 422 — нет текста, неизвестный столбец или сотрудник; 404 — раздел не этого плана."""
    change = plan_service.add_item(
        _rt(), artefact_id, user_id, version=body.version, section_id=body.section_id, fields=body.fields,
        responsible_logins=body.responsible_logins, external_executors=body.external_executors,
        deadline_text=body.deadline_text, responsible_text=body.responsible_text)
    return ({**_item_change(artefact_id, user_id, change.id, change.version), **_renumbering(change)},
            {"Location": url_for("api.get_item", artefact_id=artefact_id, item_id=change.id)})


@registry.operation("PATCH", "/artefacts/{artefact_id}/items/{item_id}", summary="Изменить пункт", tag=ITEMS_TAG,
                    path_params=ITEM_ID, body=ItemUpdate, response=ItemChange, errors=(403, 409, 422))
def update_item_view(user_id: int, artefact_id: int, item_id: int, body: ItemUpdate):
    """Тексты столбцов, ответственные, внешние исполнители, срок (читается заново); предупреждения пересчитываются."""
    version = plan_service.update_item(
        _rt(), artefact_id, item_id, user_id, version=body.version, fields=body.fields,
        responsible_logins=body.responsible_logins, external_executors=body.external_executors,
        deadline_text=body.deadline_text)
    return _item_change(artefact_id, user_id, item_id, version)


@registry.operation("DELETE", "/artefacts/{artefact_id}/items/{item_id}", summary="Удалить пункт", tag=ITEMS_TAG,
                    path_params=ITEM_ID, query=VersionQuery, response=ItemDeleted, errors=(403, 409, 422))
def delete_item_view(user_id: int, artefact_id: int, item_id: int, query: VersionQuery):
    """Только в проекте; номера следующих пунктов сдвигаются, текст удалённого остаётся в истории."""
    change = plan_service.delete_item(_rt(), artefact_id, item_id, user_id, version=query.version)
    return {"artefact_id": artefact_id, "version": change.version, "deleted_item_id": item_id,
            **_renumbering(change)}


@registry.operation("POST", "/artefacts/{artefact_id}/items/{item_id}/move", summary="Переместить пункт",
                    tag=ITEMS_TAG, path_params=ITEM_ID, body=ItemMove, response=ItemChange, errors=(403, 409, 422))
def move_item_view(user_id: int, artefact_id: int, item_id: int, body: ItemMove):
    """Выше или ниже соседнего пункта (у крайнего пункта раздела — в соседний раздел); номера следуют новому
    порядку, `renumbered` — какие номера изменились."""
    change = plan_service.move_item(_rt(), artefact_id, item_id, user_id, -1 if body.direction == "up" else 1,
                                    body.version)
    return {**_item_change(artefact_id, user_id, item_id, change.version), **_renumbering(change)}


@registry.operation("POST", "/artefacts/{artefact_id}/items/sections", summary="Добавить раздел (вопрос повестки)",
                    tag=ITEMS_TAG, path_params=ARTEFACT_ID, body=SectionCreate, response=SectionAdded, status=201,
                    errors=(403, 409, 422))
def add_section_view(user_id: int, artefact_id: int, body: SectionCreate):
    """Раздел в конце плана, со следующим номером; у заседания — новый вопрос повестки."""
    rt = _rt()
    change = plan_service.add_section(rt, artefact_id, user_id, body.title, version=body.version, number=body.number)
    section = next(s for s in control_service.plan_table(rt, artefact_id, user_id)["sections"] if s["id"] == change.id)
    return {"artefact_id": artefact_id, "version": change.version, "section": _section_rows(section)}


class NumbersAccepted(BaseModel):
    artefact_id: int
    version: int = Field(description="Новая версия плана")
    accepted: int = Field(description="У скольких пунктов сняты предупреждения о номере")


@registry.operation("POST", "/artefacts/{artefact_id}/items/accept-numbers",
                    summary="Принять все восстановленные номера", tag=ITEMS_TAG, path_params=ARTEFACT_ID,
                    body=VersionBody, response=NumbersAccepted, errors=(403, 409, 422))
def accept_numbers_view(user_id: int, artefact_id: int, body: VersionBody):
    """Снимает предупреждения «номер восстановлен» и «номер не по порядку» у всех пунктов сразу (остальные
    предупреждения остаются); 422 — таких пунктов нет."""
    change = plan_service.accept_restored_numbers(_rt(), artefact_id, user_id, version=body.version)
    return {"artefact_id": artefact_id, "version": change.version, "accepted": change.id}


@registry.operation("POST", "/artefacts/{artefact_id}/items/sections/{section_id}/move",
                    summary="Переместить раздел (вопрос повестки)", tag=ITEMS_TAG, path_params=SECTION_ID,
                    body=ItemMove, response=SectionChanged, errors=(403, 409, 422))
def move_section_view(user_id: int, artefact_id: int, section_id: int, body: ItemMove):
    """Выше или ниже соседнего раздела вместе с пунктами (у заседания — с записанным ходом обсуждения);
    разделы, пронумерованные по порядку (1, 2, … или I, II, …), и их пункты нумеруются заново."""
    change = plan_service.move_section(_rt(), artefact_id, section_id, user_id, -1 if body.direction == "up" else 1,
                                       body.version)
    return {"artefact_id": artefact_id, "version": change.version, "section_id": section_id, **_renumbering(change)}


@registry.operation("DELETE", "/artefacts/{artefact_id}/items/sections/{section_id}",
                    summary="Удалить пустой раздел (вопрос повестки)", tag=ITEMS_TAG, path_params=SECTION_ID,
                    query=VersionQuery, response=SectionChanged, errors=(403, 409, 422))
def delete_section_view(user_id: int, artefact_id: int, section_id: int, query: VersionQuery):
    """Только раздел без пунктов и только в проекте (422 — в разделе есть пункты); следующие разделы и их пункты
    нумеруются заново."""
    change = plan_service.delete_section(_rt(), artefact_id, section_id, user_id, version=query.version)
    return {"artefact_id": artefact_id, "version": change.version, "section_id": section_id, **_renumbering(change)}


@registry.operation("POST", "/artefacts/{artefact_id}/items/import", summary="Импорт пунктов из файла",
                    tag=ITEMS_TAG, path_params=ARTEFACT_ID, query=ImportQuery, form=ImportUpload,
                    response=ImportOutcome, errors=(403, 409, 422))
def import_items(user_id: int, artefact_id: int, query: ImportQuery, form: ImportUpload):
    """Таблица школы из Word, Excel или CSV: с preview=true — как будет сохранена каждая строка, ничего не
    записывается; без него — импорт (строки, которые уже есть в плане, второй раз не добавляются).
    422 — файл не читается как таблица (в том числе подозрительный архив), 413 — больше 10 МБ; ничего не записано."""
    rt = _rt()
    file_name = control_service.safe_file_name(form.file.file_name)
    data = form.file.data
    outcome = {"file_name": file_name, "sha256": hashlib.sha256(data).hexdigest()}
    if query.preview:
        preview = control_service.import_preview(rt, artefact_id, user_id, data, file_name)
        version = control_service.plan_access(rt, artefact_id, user_id)["version"]
        return {**outcome, "preview": True, "version": version, "items_added": preview["new_items"],
                "sections_added": preview["new_sections"], "duplicates": preview["duplicates"],
                "rows": _import_preview(preview)}
    if form.version is None:
        raise BadRequest("Для импорта укажите версию плана (поле version)",
                         details={"fields": {"version": "обязательное поле для импорта (без preview=true)"}})
    result = plan_service.commit_import(rt, artefact_id, user_id, data, file_name, version=form.version)
    return {**outcome, "preview": False, "version": result.version, "items_added": result.items_added,
            "sections_added": result.sections_added, "duplicates": result.duplicates, "rows": None}


def _import_preview(preview: dict[str, Any]) -> dict[str, Any]:
    def row(item: dict[str, Any]) -> dict[str, Any]:
        return {**item, "schedule": item["schedule"] or None,
                "fields": {cell["key"]: cell["text"] for cell in item["cells"]}, "extra": dict(item["extra"])}

    return {**preview, "sections": [{**s, "number": s["number"] or "", "items": [row(i) for i in s["items"]]}
                                    for s in preview["sections"]]}


@registry.operation("PUT", "/artefacts/{artefact_id}/agenda", summary="Повестка и ход заседания", tag=ITEMS_TAG,
                    path_params=ARTEFACT_ID, body=AgendaUpdate, response=AgendaResult, errors=(403, 409, 422))
def put_agenda(user_id: int, artefact_id: int, body: AgendaUpdate):
    """По каждому вопросу: формулировка, СЛУШАЛИ, ВЫСТУПИЛИ, голосование — до «Записать решения заседания».
    Вопросы идут по порядку разделов заседания. 404 — не заседание; 409 — версия устарела или решения записаны."""
    agenda = [entry.model_dump() for entry in body.agenda]
    version = record_agenda(_rt(), artefact_id, user_id, agenda, version=body.version)
    return {"artefact_id": artefact_id, "version": version, "agenda": clean_agenda(agenda)}


@registry.operation("GET", "/documents/{document_id}", summary="Скачать документ (.docx)", tag="Файлы",
                    path_params={"document_id": "Номер файла (id из documents документа)"}, media_type=DOCX,
                    response_headers={"Content-Disposition": "attachment; filename*=UTF-8''<имя файла>",
                                      "X-Document-SHA256": "SHA-256 файла, как в истории"})
def download_document(user_id: int, document_id: int):
    """Файл .docx как он был создан и сохранён (неизменяемый), с русским именем файла."""
    document = document_for(_rt(), user_id, document_id)
    response = send_download(document.content, document.file_name, DOCX, f"document-{document.id}")
    response.headers["X-Document-SHA256"] = document.sha256
    return response


class JobStatus(BaseModel):
    id: int
    kind: str = Field(description="pdf_copies, reminders, …")
    title: str
    state: Literal["queued", "running", "done", "failed"]
    total: int = Field(description="Сколько частей в задаче (документов, писем)")
    done: int = Field(description="Сколько частей сделано")
    percent: int
    result: dict[str, Any]
    error: str
    page_url: str = Field(description="Страница задачи с ходом выполнения")


@registry.operation("GET", "/jobs/{job_id}", summary="Фоновая задача: ход и результат", tag="Фоновые задачи",
                    path_params={"job_id": "Номер фоновой задачи"}, response=JobStatus)
def get_job(user_id: int, job_id: int):
    """Задача, поставленная пользователем или его организацией: сколько сделано, результат или ошибка."""
    job = job_for(_rt(), user_id, job_id)
    return {"id": job.id, "kind": job.kind, "title": job.title, "state": job.state, "total": job.total,
            "done": job.done, "percent": job.percent, "result": job.result, "error": job.error,
            "page_url": url_for("jobs.show", job_id=job.id)}


@registry.operation("GET", "/openapi.json", summary="Описание API (OpenAPI 3.1)", tag="Описание", auth=False)
def openapi_document():
    """Этот документ; строится из объявлений операций и моделей, которые проверяют запросы."""
    app = current_app._get_current_object()  # noqa: SLF001 - the app object, to cache per application
    document = app.extensions.get("vsoko_openapi")
    if document is None:
        document = app.extensions["vsoko_openapi"] = _build_openapi(_rt())
    return jsonify(document)


def _build_openapi(rt: Runtime) -> dict[str, Any]:
    kinds = sorted(rt.definitions)

    def only_known_kinds(document: dict[str, Any]) -> None:
        # The same list that create_artefact_view checks the kind against.
        document["components"]["schemas"]["ArtefactCreate"]["properties"]["kind"]["enum"] = kinds

    try:
        version = package_version("vsoko-flow")
    except PackageNotFoundError:
        version = "0.0.0"
    return build_document(
        registry, error_model=Error, title="vsoko-flow API", version=version, server_url="/api/v1",
        description="API системы ВСОКО: документы (артефакты), их процессы, действия и созданные файлы. "
                    "Авторизация — токен в заголовке Authorization: Bearer <токен>. Ошибки — JSON "
                    "{error, message, details}: 400 неверный запрос, 401 нет токена, 403 нет права, 404 не найдено "
                    "(и чужая организация), 409 конфликт версии или состояния, 413 слишком большой запрос, "
                    "422 не прошли проверку поля или правила.",
        extend=only_known_kinds)


from . import api_signatures  # noqa: E402,F401 - registers the signature operations on `registry`
