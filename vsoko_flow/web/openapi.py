"""Declaring JSON API operations once: the declaration validates requests and responses and writes OpenAPI.

Each view of the API is registered with `ApiRegistry.operation(...)`, naming the pydantic
models of its query string, its JSON body and its response, the error statuses it may answer
and whether it needs a token. The same declaration

* parses and validates the request (a body or query that does not fit → 400 with per-field
  Russian messages), so a view receives typed, bounded values; a body is JSON (`body=`) or
  multipart/form-data with files (`form=`: a model whose `UploadField`s are the files);
* serialises the view's result through the response model, so what is sent is what is
  documented;
* produces the OpenAPI 3.1 document (`build_document`): paths, parameters with types and
  bounds, request and response schemas (pydantic's JSON Schema), the error responses and the
  bearer security scheme.

Nothing here knows about artefacts: `api.py` declares the operations.
"""
from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass, field
from typing import Annotated, Any, Callable

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, ValidationError, WithJsonSchema
from pydantic.json_schema import GenerateJsonSchema, models_json_schema
from werkzeug.datastructures import FileStorage

from ..services.errors import NotFound, ServiceError

MAX_ID = 2**31 - 1  # every id is a 32-bit integer in SQLite and PostgreSQL alike
NO_NUL = r"^[^\x00]*$"  # PostgreSQL refuses NUL in text; say so in the schema and refuse it early
SCHEMA_REF = "#/components/schemas/{model}"
JSON = "application/json"
MULTIPART = "multipart/form-data"


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart/form-data request: the name it was sent with (data, never a path)
    and its bytes."""

    file_name: str
    data: bytes


# A file in a `form=` model; OpenAPI shows it as a binary string, the way upload tools expect.
UploadField = Annotated[UploadedFile, WithJsonSchema({"type": "string", "format": "binary"})]


class BadRequest(ServiceError):
    """The request does not have the documented shape (malformed JSON, wrong types, out of bounds)."""

    status = 400
    code = "bad_request"


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"


ERROR_DESCRIPTIONS = {
    400: "Неверный запрос: не JSON, неверные типы или границы значений (details.fields — по полям)",
    401: "Нет токена или токен недействителен (заголовок Authorization: Bearer <токен>)",
    403: "Роль пользователя в организации не позволяет это действие",
    404: "Не найдено (в том числе документ другой организации)",
    409: "Конфликт: версия устарела или действие недоступно из текущего состояния; ничего не записано",
    413: "Тело запроса слишком большое",
    422: "Не прошли проверку поля (details.fields) или правила (details.rules)",
    429: "Слишком много попыток за минуту: подождите и повторите",
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str                     # OpenAPI style, relative to the blueprint: /artefacts/{artefact_id}
    endpoint: str
    summary: str
    description: str
    tag: str
    query: type[BaseModel] | None
    body: type[BaseModel] | None
    form: type[BaseModel] | None  # a multipart/form-data body, instead of a JSON one
    response: type[BaseModel] | None
    status: int
    errors: tuple[int, ...]
    auth: bool
    path_params: dict[str, str] = field(default_factory=dict)
    media_type: str = JSON        # of the successful response
    response_headers: dict[str, str] = field(default_factory=dict)


class ApiRegistry:
    """The operations of one blueprint, and the wrapper that enforces their declarations."""

    def __init__(self, blueprint: Blueprint, authenticate: Callable[[], int]):
        self.blueprint = blueprint
        self.authenticate = authenticate
        self.operations: list[Operation] = []

    def operation(self, method: str, path: str, *, summary: str, tag: str, description: str = "",
                  query: type[BaseModel] | None = None, body: type[BaseModel] | None = None,
                  form: type[BaseModel] | None = None,
                  response: type[BaseModel] | None = None, status: int = 200, errors: tuple[int, ...] = (),
                  auth: bool = True, path_params: dict[str, str] | None = None, media_type: str = JSON,
                  response_headers: dict[str, str] | None = None) -> Callable:
        path_params = path_params or {}
        if set(re.findall(r"{(\w+)}", path)) != set(path_params):
            raise ValueError(f"{method} {path}: describe every path parameter")
        if body is not None and form is not None:
            raise ValueError(f"{method} {path}: a body is JSON or a form, not both")
        has_body = body is not None or form is not None
        errors = tuple(sorted(set(errors) | ({401} if auth else set()) | ({400} if query or has_body else set())
                              | ({404} if path_params else set()) | ({413} if has_body else set())))

        def decorator(view: Callable) -> Callable:
            op = Operation(method=method.upper(), path=path, endpoint=view.__name__, summary=summary,
                           description=description or (view.__doc__ or "").strip(), tag=tag, query=query, body=body,
                           form=form, response=response, status=status, errors=errors, auth=auth,
                           path_params=path_params, media_type=media_type, response_headers=response_headers or {})
            self.operations.append(op)

            @functools.wraps(view)
            def handler(**ids: int):
                kwargs: dict[str, Any] = dict(ids)
                if auth:
                    kwargs["user_id"] = self.authenticate()
                for name, value in ids.items():
                    if not 1 <= value <= MAX_ID:
                        raise NotFound(f"Объект № {value} не найден")
                if query is not None:
                    kwargs["query"] = parse_query(query)
                if body is not None:
                    kwargs["body"] = parse_body(body)
                if form is not None:
                    kwargs["form"] = parse_form(form)
                result = view(**kwargs)
                if isinstance(result, Response):
                    return result
                headers = {}
                if isinstance(result, tuple):
                    result, headers = result
                payload = response.model_validate(result).model_dump(mode="json", by_alias=True) if response else result
                return jsonify(payload), status, headers

            flask_path = re.sub(r"{(\w+)}", r"<int:\1>", path)
            self.blueprint.add_url_rule(flask_path, endpoint=view.__name__, view_func=handler, methods=[op.method])
            return handler

        return decorator


# ---------------------------------------------------------------- request parsing

def parse_body(model: type[BaseModel]) -> BaseModel:
    raw = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
    if not raw.strip():
        raise BadRequest("Тело запроса пустое: ожидается JSON-объект", details={"fields": {"body": "ожидается JSON-объект"}})
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        raise _bad_request(exc) from None


def parse_form(model: type[BaseModel]) -> BaseModel:
    """A multipart/form-data body: every part by its name (files as `UploadedFile`), each at most once."""
    if request.mimetype != MULTIPART:
        raise BadRequest("Ожидается тело multipart/form-data: файл и поля формы",
                         details={"fields": {"body": "ожидается multipart/form-data"}})
    form, files = request.form, request.files  # 413 past MAX_CONTENT_LENGTH, 400 for a broken body
    values: dict[str, Any] = {}
    for name in dict.fromkeys([*form, *files]):  # every part sent, so that an unknown one is refused
        given = [*form.getlist(name), *files.getlist(name)]
        if len(given) > 1:
            raise BadRequest(f"Поле «{name}» указано несколько раз", details={"fields": {name: "указано несколько раз"}})
        value = given[0]
        values[name] = UploadedFile(value.filename or "", value.read()) if isinstance(value, FileStorage) else value
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise _bad_request(exc) from None


def parse_query(model: type[BaseModel]) -> BaseModel:
    declared = set(model.model_fields)
    values: dict[str, str] = {}
    for name in declared:
        given = request.args.getlist(name)
        if len(given) > 1:
            raise BadRequest(f"Параметр «{name}» указан несколько раз",
                             details={"fields": {name: "параметр указан несколько раз"}})
        if given:
            values[name] = given[0]
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise _bad_request(exc) from None


_UNION_TAGS = {"str", "int", "bool", "none", "constrained-str", "float", "dict", "list"}


def _bad_request(exc: ValidationError) -> BadRequest:
    errors = exc.errors(include_url=False)
    if any(e["type"] == "json_invalid" for e in errors):
        reason = next(e for e in errors if e["type"] == "json_invalid")["ctx"].get("error", "")
        return BadRequest(f"Тело запроса — не корректный JSON ({reason})",
                          details={"fields": {"body": "ожидается корректный JSON в кодировке UTF-8"}})
    fields: dict[str, str] = {}
    for error in errors:
        key = ".".join(str(part) for part in error["loc"] if part not in _UNION_TAGS) or "body"
        message = _russian(error)
        if key in fields and fields[key] != message:
            message = "недопустимый тип или значение"
        fields[key] = message
    summary = "; ".join(f"{key}: {message}" for key, message in list(fields.items())[:5])
    return BadRequest(f"Неверный запрос — {summary}", details={"fields": fields})


_PATTERN_HINTS = {
    NO_NUL: "текст не может содержать символ NUL (\\u0000)",
}
_MESSAGES = {
    "missing": "обязательное поле",
    "extra_forbidden": "такого поля нет",
    "int_type": "ожидается целое число",
    "int_parsing": "ожидается целое число",
    "int_from_float": "ожидается целое число",
    "string_type": "ожидается строка",
    "bool_type": "ожидается true или false",
    "bool_parsing": "ожидается true или false",
    "dict_type": "ожидается объект",
    "model_type": "ожидается JSON-объект",
    "model_attributes_type": "ожидается JSON-объект",
    "list_type": "ожидается массив",
    "none_required": "ожидается null",
    "dataclass_type": "ожидается файл (часть формы с именем файла)",
    "dataclass_exact_type": "ожидается файл (часть формы с именем файла)",
}


def _russian(error: dict[str, Any]) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind == "greater_than_equal":
        return f"не меньше {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"не больше {ctx.get('le')}"
    if kind == "string_too_short":
        return "не может быть пустым" if ctx.get("min_length") == 1 else f"не короче {ctx.get('min_length')} символов"
    if kind == "string_too_long":
        return f"не длиннее {ctx.get('max_length')} символов"
    if kind == "too_long":
        return f"не больше {ctx.get('max_length')} элементов"
    if kind == "string_pattern_mismatch":
        return _PATTERN_HINTS.get(ctx.get("pattern"), "недопустимый формат значения")
    if kind == "value_error":
        return str(ctx.get("error", "недопустимое значение"))
    return "недопустимое значение"


# ---------------------------------------------------------------- the OpenAPI document

class _SchemaGenerator(GenerateJsonSchema):
    """pydantic's JSON Schema without the auto-generated per-property titles (descriptions say it)."""

    def field_title_should_be_set(self, schema) -> bool:  # noqa: ANN001 - pydantic-core schema
        return False


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`int | None = None` in a query model is simply «not given» on the wire."""
    options = schema.get("anyOf")
    if options and any(o.get("type") == "null" for o in options):
        rest = [o for o in options if o.get("type") != "null"]
        merged = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
        if len(rest) == 1:
            merged.update(rest[0])
        else:
            merged["anyOf"] = rest
        return merged
    return {k: v for k, v in schema.items() if not (k == "default" and v is None)}


def _error_response(status: int, schema: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = {"description": ERROR_DESCRIPTIONS[status], "content": {JSON: {"schema": schema}}}
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"description": "Bearer", "required": True,
                                                    "schema": {"type": "string"}}}
    return response


def build_document(registry: ApiRegistry, *, error_model: type[BaseModel], title: str, version: str,
                   description: str, server_url: str, extend: Callable[[dict[str, Any]], None] | None = None
                   ) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every declared operation."""
    models: list[tuple[type[BaseModel], str]] = [(error_model, "serialization")]
    for op in registry.operations:
        for request_model in (op.body, op.form):
            if request_model is not None:
                models.append((request_model, "validation"))
        if op.response is not None:
            models.append((op.response, "serialization"))
    models = list(dict.fromkeys(models))
    refs, definitions = models_json_schema(models, ref_template=SCHEMA_REF, schema_generator=_SchemaGenerator)
    schemas = definitions.get("$defs", {})

    paths: dict[str, dict[str, Any]] = {}
    for op in registry.operations:
        item: dict[str, Any] = {"operationId": op.endpoint, "summary": op.summary, "tags": [op.tag]}
        if op.description:
            item["description"] = op.description
        if not op.auth:
            item["security"] = []
        parameters = [{"name": name, "in": "path", "required": True, "description": text,
                       "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
                      for name, text in op.path_params.items()]
        if op.query is not None:
            query_schema = op.query.model_json_schema(ref_template=SCHEMA_REF, schema_generator=_SchemaGenerator)
            required = set(query_schema.get("required", []))
            for name, prop in query_schema["properties"].items():
                prop = _without_null(copy.deepcopy(prop))
                parameter = {"name": name, "in": "query", "required": name in required, "schema": prop}
                if "description" in prop:
                    parameter["description"] = prop.pop("description")
                parameters.append(parameter)
        if parameters:
            item["parameters"] = parameters
        if op.body is not None:
            item["requestBody"] = {"required": True, "content": {JSON: {"schema": refs[(op.body, "validation")]}}}
        if op.form is not None:
            item["requestBody"] = {"required": True, "content": {MULTIPART: {"schema": refs[(op.form, "validation")]}}}
        success: dict[str, Any] = {"description": "Успешно"}
        if op.media_type == JSON:
            schema = refs[(op.response, "serialization")] if op.response is not None else {"type": "object"}
            success["content"] = {JSON: {"schema": schema}}
        else:
            success["content"] = {op.media_type: {"schema": {"type": "string", "format": "binary"}}}
        if op.response_headers:
            success["headers"] = {name: {"description": text, "required": True, "schema": {"type": "string"}}
                                  for name, text in op.response_headers.items()}
        responses = {str(op.status): success}
        responses.update({str(status): {"$ref": f"#/components/responses/E{status}"} for status in op.errors})
        item["responses"] = responses
        paths.setdefault(op.path, {})[op.method.lower()] = item

    used_errors = sorted({status for op in registry.operations for status in op.errors})
    document = {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "servers": [{"url": server_url}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": {f"E{status}": _error_response(status, refs[(error_model, "serialization")])
                          for status in used_errors},
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "Токен API: создаётся на странице «Токены API» (/tokens/) или командой "
                               "`vsoko users token LOGIN`; передаётся в заголовке Authorization: Bearer <токен>"}},
        },
    }
    if extend is not None:
        extend(document)
    return document
