"""An organisation's own version of a document template: checked, test-rendered, versioned.

An uploaded .docx is hostile until proven otherwise. It is accepted only after every step:

1. size ≤ 2 МБ and not empty;
2. the zip is inspected before any parser sees it (`documents.uploads.check_docx`: member
   count, uncompressed sizes, compression ratio, `..`/absolute names, no DOCTYPE in any XML
   part, read in its own encoding — UTF-16 and UTF-32 too), plus what a template may not carry
   into official documents: macros, embedded objects, ActiveX and links to external resources —
   every relationship part is parsed as XML, and a `TargetMode` other than Internal (however
   quoted or spaced) or a target that is an address refuses the file, except web hyperlinks;
3. from here on everything runs in a separate process with memory, CPU, time and output limits
   (`documents.sandbox`), so that no template can take the worker down; a refusal names the
   limit. It opens with python-docx/docxtpl;
4. every Jinja part docxtpl renders (body, headers, footers, footnotes, document properties)
   parses, and holds only what a document template needs: substitutions, `if` and `for`
   over the document's lists, a few harmless filters. No reaching Python internals, no calls,
   no `set`/`macro`/`include`, no multiplication (the cheap ways to exhaust memory);
5. it uses only the variables the shipped template declares;
6. a test render in the sandbox with a realistic context (two variants: everything filled,
   and the optional parts empty) succeeds.

Only then is it stored — inactive. The test render of a stored version (its preview) is kept
per template version and sample data, never made again on each view of its page. Every later
render of an accepted version — in each transition — is limited the same way (documents/render.py).

The administrator looks at the test render and accepts it;
accepting activates that version and deactivates the others. Nothing lives in the web
session, so any worker can serve any step. Reverting deactivates every version: the shipped
template is used again.
"""
from __future__ import annotations

import copy
import datetime as dt
import hashlib
import io
import json
import re
import threading
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Iterator
from urllib.parse import urlsplit

from docx import Document
from docx.oxml.ns import qn
from docxtpl import DocxTemplate, InlineImage
from jinja2 import TemplateError, TemplateSyntaxError, UndefinedError, nodes
from jinja2.sandbox import SecurityError
from lxml import etree
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db import transaction
from ..documents.render import (
    DOCUMENT_ENV, QR_WIDTH, RenderError, TemplateSource, checked_rendered_size, qr_png,
)
from ..documents.russian import initials_surname
from ..safe_text import without_invisible
from ..documents.sandbox import LimitExceeded, Limits, run_limited
from ..documents.uploads import (
    DOCX, UploadError, check_docx, is_xml_part, open_office_zip, safe_parser, stream_part,
)
from ..models import Membership, Organisation, OrganisationTemplate, StoredDocument, User
from .errors import Conflict, NotFound, Unprocessable
from .runtime import Runtime

MAX_TEMPLATE_BYTES = 2 * 1024 * 1024
MAX_VERSIONS_PER_TEMPLATE = 50
MAX_LOOP_DEPTH = 2
PREVIEW_LINES = 300
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

INTERNALS_MESSAGE = "Шаблон пытается обратиться к внутренним объектам Python и отклонён"

# Filters a document template may use. Everything that can grow a value without bound
# (center, indent, wordwrap, format, batch, map with any filter) or switch escaping off
# (safe) is left out; join and replace take only short literal arguments.
ALLOWED_FILTERS = frozenset({
    "abs", "capitalize", "count", "d", "default", "e", "escape", "first", "float", "int", "join", "last",
    "length", "list", "lower", "max", "min", "rejectattr", "replace", "reverse", "round", "selectattr", "sort",
    "string", "striptags", "sum", "title", "trim", "truncate", "unique", "upper", "wordcount",
})
_LITERAL_ARGUMENT_FILTERS = {"join", "replace"}
_MAX_LITERAL_ARGUMENT = 100
_NUMBER_FILTERS = frozenset({"int", "float", "length", "count", "round", "abs"})
_ITERABLE_FILTERS = frozenset({"list", "reverse", "sort", "unique", "selectattr", "rejectattr"})

# Node types a document template is made of; anything else is refused by name.
_ALLOWED_NODES = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.If, nodes.For, nodes.Name, nodes.Const,
    nodes.Getattr, nodes.Getitem, nodes.Slice, nodes.Filter, nodes.Test, nodes.CondExpr, nodes.And, nodes.Or,
    nodes.Not, nodes.Neg, nodes.Pos, nodes.Compare, nodes.Operand, nodes.Concat, nodes.Add, nodes.Sub,
    nodes.Div, nodes.FloorDiv, nodes.Mod, nodes.List, nodes.Tuple, nodes.Dict, nodes.Pair, nodes.Keyword,
)
_CONSTRUCT_NAMES = {
    nodes.Call: "вызов функции или метода",
    nodes.Mul: "умножение",
    nodes.Pow: "возведение в степень",
    nodes.Assign: "присваивание {% set %}",
    nodes.AssignBlock: "присваивание {% set %}",
    nodes.Macro: "макрос {% macro %}",
    nodes.CallBlock: "блок {% call %}",
    nodes.FilterBlock: "блок {% filter %}",
    nodes.With: "блок {% with %}",
    nodes.Include: "подключение другого шаблона {% include %}",
    nodes.Import: "подключение другого шаблона {% import %}",
    nodes.FromImport: "подключение другого шаблона {% from … import %}",
    nodes.Extends: "наследование шаблона {% extends %}",
    nodes.Block: "блок {% block %}",
    nodes.Scope: "блок области видимости",
    nodes.EvalContextModifier: "переключение экранирования {% autoescape %}",
    nodes.ScopedEvalContextModifier: "переключение экранирования {% autoescape %}",
}

# The limits of a template's checks and test renders (and, in documents/render.py, of every
# render of an accepted version).
TEMPLATE_LIMITS = Limits()
PREVIEW_CACHE_SIZE = 32
# Macros, ActiveX, OLE objects and executables never reach official documents. (Word's own
# printerSettings*.bin and the .xlsx data behind a chart are ordinary parts and pass.)
_ACTIVE_CONTENT = re.compile(r"vbaproject|vbadata|(^|/)activex/|^word/embeddings/.*\.bin$"
                             r"|\.(exe|dll|js|vbs|bat|cmd|ps1|scr|jar|xlsm|docm|pptm|xlam|dotm)$")
_HYPERLINK_TYPE = "/relationships/hyperlink"
_WEB_SCHEMES = ("http", "https", "mailto")
_ADDRESS = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|\\\\|//)", re.IGNORECASE)  # «file:», «http:», «\\host», «//host»
EXTERNAL_MESSAGE = ("Шаблон ссылается на внешние ресурсы (связанный шаблон, рисунок или объект из сети или с другого "
                    "компьютера): в официальные документы они не переносятся. Уберите связи и сохраните файл заново")
_PARAGRAPH_START = re.compile(r"<w:p([ >])")
_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


class TemplateRefused(Unprocessable):
    """The uploaded template is not accepted; the message says why, in Russian."""

    code = "template_refused"


@dataclass(frozen=True)
class TemplateVersion:
    id: int
    name: str
    version: int
    original_file_name: str
    sha256: str
    size: int
    is_active: bool
    created_at: dt.datetime
    uploaded_by: str
    documents_count: int

    @property
    def deletable(self) -> bool:
        """A version may be deleted while nothing was ever rendered from it and it is not in use."""
        return not self.is_active and self.documents_count == 0


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    title: str
    file_name: str
    variables: tuple[str, ...]
    shipped_sha256: str
    versions: tuple[TemplateVersion, ...]

    @property
    def active(self) -> TemplateVersion | None:
        return next((v for v in self.versions if v.is_active), None)


# --------------------------------------------------------------------------- sample contexts

SAMPLE_VERIFY_URL = "https://vsoko.example/verify/0123456789abcdef0123456789abcdef?h=test"
_SAMPLE_TITLE = "Положение о внутренней системе оценки качества образования"

# What each shipped template receives in a real transition, with realistic values; the
# organisation's own requisites and director replace the org_* and signer values.
SAMPLES: dict[str, dict[str, Any]] = {
    "polozhenie": {
        "is_draft": False,
        "title": _SAMPLE_TITLE,
        "edition_note": "(в новой редакции)",
        "council_grif": {"word": "ПРИНЯТО", "body_instrumental": "на заседании педагогического совета",
                         "protocol_date": "31.03.2025", "protocol_number": "10"},
        "approval_grif": {"order_date": "03.04.2025", "order_number": "Ш29-13-291/5"},
        "opinions": [
            {"body_genitive": "Совета обучающихся", "protocol_date": "14.03.2025", "protocol_number": "3"},
            {"body_genitive": "Совета родителей", "protocol_date": "17.03.2025", "protocol_number": "4"},
        ],
        "sections": [
            {"number": "1.", "text": "Общие положения", "level": 1},
            {"number": "1.1.", "text": "Настоящее положение о внутренней системе оценки качества образования "
                                       "(далее – ВСОКО) разработано в соответствии с Федеральным законом от "
                                       "29.12.2012 № 273-ФЗ «Об образовании в Российской Федерации».", "level": 2},
            {"number": "1.2.", "text": "Положение определяет цели, задачи и принципы ВСОКО.", "level": 2},
            {"number": "2.", "text": "Организация ВСОКО", "level": 1},
            {"number": "2.1.", "text": "Оценка качества образования проводится ежегодно.", "level": 2},
        ],
    },
    "order_approval": {
        "order_date": "03.04.2025",
        "order_number": "Ш29-13-291/5",
        "heading": f"Об утверждении {_SAMPLE_TITLE.replace('Положение', 'Положения', 1)}",
        "preamble": "В соответствии с пунктом 13 части 3 статьи 28 Федерального закона от 29.12.2012 № 273-ФЗ "
                    "«Об образовании в Российской Федерации», с учётом мнения Совета обучающихся и Совета родителей",
        "items": [
            f"Утвердить {_SAMPLE_TITLE} (приложение).",
            "Назначить ответственным за ознакомление работников и размещение Положения на официальном сайте "
            "заместителя директора по УВР Иванову И.И.",
            "Контроль за исполнением приказа оставляю за собой.",
        ],
        "attachments": [f"{_SAMPLE_TITLE} на 12 л. в 1 экз."],
    },
    "acquaintance_sheet": {
        "subject": "с Положением о внутренней системе оценки качества образования, утверждённым приказом "
                   "от 03.04.2025 № Ш29-13-291/5",
        "people": [
            {"n": 1, "name": "Иванова Ирина Игоревна", "position": "Заместитель директора по УВР"},
            {"n": 2, "name": "Кузнецов Дмитрий Олегович", "position": "Учитель физики"},
            {"n": 3, "name": "Орлова Екатерина Андреевна", "position": "Педагог-психолог"},
        ],
    },
    "opinion_request": {
        "request_date": "10.03.2025",
        "outgoing_number": "17",
        "executor": "Исп. Иванова И.И., тел. 8 (3462) 52-00-29",
        "addressee": "Председателю Совета обучающихся",
        "body_genitive": "Совета обучающихся",
        "act_title_genitive": "Положения о внутренней системе оценки качества образования",
        "response_deadline": "17.03.2025",
        "legal_basis": "частью 3 статьи 30 Федерального закона от 29.12.2012 № 273-ФЗ "
                       "«Об образовании в Российской Федерации»",
        "legal_basis_preposition": "с",
    },
    "protocol_extract": {
        "protocol_heading": "заседания педагогического совета",
        "protocol_date": "31.03.2025",
        "protocol_number": "10",
        "chair": "М.Б. Соколова",
        "secretary": "А.С. Петрова",
        "present": 42,
        "agenda_number": 1,
        "agenda_item": "О принятии Положения о внутренней системе оценки качества образования в новой редакции.",
        "heard": "Иванову И.И., заместителя директора по УВР, о проекте Положения.",
        "decision": "Принять Положение о внутренней системе оценки качества образования в новой редакции.",
        "votes_for": 40,
        "votes_against": 0,
        "votes_abstained": 2,
        "certifier": {"position": "Секретарь педагогического совета", "initials_surname": "А.С. Петрова"},
        "certified_date": "01.04.2025",
    },
}

# The same documents with every optional part empty: a template must render both ways.
_MINIMAL_OVERRIDES: dict[str, dict[str, Any]] = {
    "polozhenie": {"is_draft": True, "edition_note": "", "council_grif": None, "approval_grif": None,
                   "opinions": []},
    "order_approval": {"attachments": []},
    "acquaintance_sheet": {"people": []},
}


def sample_contexts(source: TemplateSource, organisation: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Contexts for the test render: [everything filled, optional parts empty].

    `organisation` may carry org_full_name, org_short_name, org_city, org_address and a
    signer {position, initials_surname}; sample values fill the rest. A
    template without a sample (a kind added later) gets a readable placeholder per variable.
    """
    organisation = organisation or {}
    signer = dict(organisation.get("signer") or {"position": "Директор", "initials_surname": "М.Б. Соколова"})
    base = {
        "org_full_name": "Муниципальное бюджетное общеобразовательное учреждение "
                         "средняя общеобразовательная школа № 29",
        "org_short_name": "МБОУ СОШ № 29",
        "org_city": "г. Сургут",
        "org_address": "628400, г. Сургут, ул. Школьная, д. 1",
        "org_phone": "8 (3462) 52-00-29",
        "org_email": "school29@surgut.example",
        "verify_url": SAMPLE_VERIFY_URL,
        **{k: v for k, v in organisation.items() if k != "signer" and v},
    }
    if source.name in SAMPLES:
        specific = copy.deepcopy(SAMPLES[source.name])
    else:
        specific = {name: f"«{name}»" for name in sorted(source.variables)}
    full = {**base, **specific, "signer": signer}
    minimal = {**full, **copy.deepcopy(_MINIMAL_OVERRIDES.get(source.name, {}))}
    allowed = set(source.variables) | {"verify_url"}
    return [{k: v for k, v in ctx.items() if k in allowed} for ctx in (full, minimal)]


def _organisation_sample(session: Session, organisation_id: int) -> dict[str, Any]:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("Организация не найдена")
    data: dict[str, Any] = {"org_full_name": organisation.full_name, "org_short_name": organisation.short_name,
                            "org_city": organisation.city, "org_address": organisation.address,
                            "org_phone": organisation.phone, "org_email": organisation.email}
    for membership in session.scalars(select(Membership).join(User).where(
            Membership.organisation_id == organisation_id, User.is_active.is_(True)).order_by(Membership.id)):
        if "director" in (membership.roles or []):
            user = membership.user
            data["signer"] = {"position": membership.position or "Директор",
                              "initials_surname": initials_surname(user.last_name, user.first_name, user.middle_name)}
            break
    return data


# --------------------------------------------------------------------------- the checks


def check_template(source: TemplateSource, data: bytes, contexts: list[dict[str, Any]] | None = None) -> bytes:
    """Run every check on an uploaded version of `source`; return the test render (.docx bytes).

    Raises TemplateRefused with a Russian message naming the problem. Pure: no database.
    The package is checked here, by streaming; what parses or runs the template runs in a
    limited process.
    """
    _check_size(data)
    try:
        check_docx(data)
    except UploadError as exc:
        raise TemplateRefused(str(exc)) from None
    _check_package(data)
    return _limited(_checked_render, source, data, contexts or sample_contexts(source))


def _limited(function, *args: Any) -> Any:  # noqa: ANN001 - a module-level function
    try:
        return run_limited(function, *args, limits=TEMPLATE_LIMITS)
    except LimitExceeded as exc:
        raise TemplateRefused(
            f"Шаблон не уложился в ограничения тестовой отрисовки ({exc.description}). Упростите его: меньше "
            "циклов и цепочек фильтров (replace, join), — и загрузите снова", details={"limit": exc.limit}) from None


def _checked_render(source: TemplateSource, data: bytes, contexts: list[dict[str, Any]]) -> bytes:
    """(In the limited process.) Parse every Jinja part, check its constructs and variables, test-render."""
    template = _open(data)
    parts = list(_jinja_parts(template))
    trees = [(label, _parse(label, text)) for label, text in parts]
    for _label, tree in trees:  # reaching internals is named as such, before anything else
        _check_internals(tree)
    list_variables = frozenset(k for k, v in contexts[0].items() if isinstance(v, (list, tuple)))
    unknown: set[str] = set()
    for label, tree in trees:
        unknown |= _check_constructs(label, tree, source.variables, list_variables if source.name in SAMPLES else None)
    try:
        unknown |= set(template.get_undeclared_template_variables(DOCUMENT_ENV)) - set(source.variables)
    except SecurityError:
        raise TemplateRefused(INTERNALS_MESSAGE) from None
    except Exception as exc:  # noqa: BLE001 - a hostile file may fail in any way; the user gets a message
        raise TemplateRefused(f"Шаблон не удалось разобрать: {_describe(exc)}") from None
    if unknown:
        raise TemplateRefused(
            f"В шаблоне есть неизвестные переменные: {', '.join(sorted(unknown))}. "
            f"Шаблон «{source.title}» может использовать только: {', '.join(sorted(source.variables))}",
            details={"unknown_variables": sorted(unknown)})
    rendered = [test_render(data, context) for context in contexts]
    for document in rendered:
        _refuse_esign_mark(document)
    return rendered[0]


# The mark of an e-signature is the system's to place, on the printed copy of a signed document.
_ESIGN_MARK = re.compile(r"подписан\w*\s+(?:простой\s+|квалифицированной\s+)?электронной\s+подписью", re.IGNORECASE)


def _refuse_esign_mark(document: bytes) -> None:
    for paragraph in Document(io.BytesIO(document)).element.body.iter(qn("w:p")):
        text = "".join(t.text or "" for t in paragraph.iter(qn("w:t")))
        if _ESIGN_MARK.search(text):
            raise TemplateRefused("Шаблон печатает отметку об электронной подписи («" + text.strip()[:80] + "»). "
                                  "Её ставит система — на копию для печати и только когда документ подписан: "
                                  "удалите отметку из шаблона")


def _check_size(data: bytes) -> None:
    if not data:
        raise TemplateRefused("Файл пустой: выберите документ Word (.docx)")
    if len(data) > MAX_TEMPLATE_BYTES:
        raise TemplateRefused(f"Файл шаблона слишком большой: {len(data) / 1024 / 1024:.1f} МБ, допустимо не более "
                              f"{MAX_TEMPLATE_BYTES // (1024 * 1024)} МБ")


def _check_package(data: bytes) -> None:
    """What check_docx leaves to us: active content, macro-enabled types, external links."""
    try:
        with open_office_zip(data, DOCX) as archive:
            for member in archive.infolist():
                lower = member.filename.lower()
                if _ACTIVE_CONTENT.search(lower):
                    raise TemplateRefused("Шаблон содержит макросы или внедрённые объекты — такие файлы не принимаются")
                if not is_xml_part(archive, member):  # check_docx refused a DOCTYPE in any member
                    continue
                if lower == "[content_types].xml" and "macroenabled" in _xml_text(archive, member).lower():
                    raise TemplateRefused("Шаблон содержит макросы (.docm) — сохраните его как обычный документ .docx")
                if lower.endswith(".rels"):
                    _check_relationships(archive, member)
                elif lower.startswith("word/"):
                    _check_fields(archive, member)
    except UploadError as exc:
        raise TemplateRefused(str(exc)) from None


def _xml_text(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> str:
    """A small XML part as text, in its own encoding."""
    return etree.tostring(_parse_part(archive, member), encoding="unicode")


def _parse_part(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> etree._Element:
    try:
        return etree.fromstring(archive.read(member), safe_parser())
    except etree.XMLSyntaxError:
        raise TemplateRefused(f"Файл не открывается как документ Word (.docx): часть «{member.filename[:80]}» "
                              "повреждена") from None


# Word fields that fetch a file when the document is opened or updated: the same leak as an
# external relationship (INCLUDEPICTURE "\\\\host\\x.png" sends the reader's credentials to the host).
_REMOTE_FIELD = re.compile(r"^\s*(INCLUDEPICTURE|INCLUDETEXT|LINK|DDE|DDEAUTO|IMPORT)\b", re.IGNORECASE)
_W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class _FieldInstructions:
    """An lxml parser target collecting a Word part's field instructions: w:fldSimple/@w:instr, and
    the w:instrText runs between a field's begin and its separator (Word splits them freely)."""

    def __init__(self) -> None:
        self.instructions: list[str] = []
        self._open: list[list[str] | None] = []  # one per field begun; None once its instruction ended
        self._in_text = False

    def start(self, tag: str, attrib: dict) -> None:
        local = tag.rpartition("}")[2]
        if local == "fldSimple":
            self.instructions.append(attrib.get(f"{_W_NS}instr", ""))
        elif local == "instrText":
            self._in_text = True
        elif local == "fldChar":
            kind = attrib.get(f"{_W_NS}fldCharType")
            if kind == "begin":
                self._open.append([])
            elif kind in ("separate", "end") and self._open:
                parts = self._open[-1] if kind == "separate" else self._open.pop()
                if parts is not None:
                    self.instructions.append("".join(parts))
                if kind == "separate":
                    self._open[-1] = None

    def end(self, tag: str) -> None:
        if tag.endswith("}instrText"):
            self._in_text = False

    def data(self, text: str) -> None:
        if self._in_text and self._open and self._open[-1] is not None:
            self._open[-1].append(text)

    def close(self) -> None:
        return None


def _check_fields(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    fields = _FieldInstructions()
    stream_part(archive, member, fields, DOCX)
    for instruction in fields.instructions:
        found = _REMOTE_FIELD.match(instruction)
        if found:
            raise TemplateRefused(f"Шаблон содержит поле Word {found.group(1).upper()}, которое загружает внешний файл: "
                                  "в официальные документы такие поля не переносятся. Удалите поле и сохраните файл заново")


def _check_relationships(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    """Every relationship read as XML: an external target — however the attribute is quoted,
    spaced or encoded — is refused, except a hyperlink to a web page or an e-mail address."""
    for relationship in _parse_part(archive, member).iter("{*}Relationship"):
        mode = (relationship.get("TargetMode") or "internal").strip().lower()
        target = (relationship.get("Target") or "").strip()
        if mode == "internal" and not _ADDRESS.match(target):
            continue
        is_hyperlink = (relationship.get("Type") or "").strip().endswith(_HYPERLINK_TYPE)
        if is_hyperlink and urlsplit(target).scheme.lower() in _WEB_SCHEMES:
            continue
        raise TemplateRefused(EXTERNAL_MESSAGE)


def _open(data: bytes) -> DocxTemplate:
    template = DocxTemplate(io.BytesIO(data))
    try:
        template.init_docx()
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds on a broken package
        raise TemplateRefused(f"Файл не открывается как документ Word (.docx): {_describe(exc)}") from None
    return template


def _jinja_parts(template: DocxTemplate) -> Iterator[tuple[str, str]]:
    """The Jinja source of every part docxtpl renders, patched as docxtpl patches it."""
    try:
        yield "основной текст", _lines(template.patch_xml(template.get_xml()))
        for uri, label in ((template.HEADER_URI, "верхний колонтитул"), (template.FOOTER_URI, "нижний колонтитул")):
            for _rel, part in template.get_headers_footers(uri):
                yield label, _lines(template.patch_xml(template.get_part_xml(part)))
        for part in template.docx.part.package.parts:
            if part.content_type.endswith(".footnotes+xml"):
                blob = part.blob.decode("utf-8") if isinstance(part.blob, bytes) else part.blob
                yield "сноски", _lines(template.patch_xml(blob))
        properties = template.docx.core_properties
        for prop in ("author", "comments", "identifier", "language", "subject", "title"):
            yield "свойства документа", getattr(properties, prop) or ""
    except TemplateRefused:
        raise
    except Exception as exc:  # noqa: BLE001
        raise TemplateRefused(f"Файл не открывается как документ Word (.docx): {_describe(exc)}") from None


def _lines(xml: str) -> str:
    # As docxtpl renders it: one paragraph per line, so an error's line number finds its paragraph.
    return _PARAGRAPH_START.sub(r"\n<w:p\1", xml)


def _parse(label: str, text: str) -> nodes.Template:
    try:
        return DOCUMENT_ENV.parse(text)
    except TemplateSyntaxError as exc:
        raise TemplateRefused(f"Ошибка в шаблоне ({label}{_near(text, exc.lineno)}): {_russian(exc)}") from None
    except SecurityError:
        raise TemplateRefused(INTERNALS_MESSAGE) from None


def _near(text: str, lineno: int | None) -> str:
    if not lineno:
        return ""
    lines = text.splitlines()
    if not 0 < lineno <= len(lines):
        return ""
    words = _SPACES.sub(" ", _TAGS.sub("", lines[lineno - 1])).strip()
    if not words:
        return ""
    return f", в абзаце «{words[:80]}{'…' if len(words) > 80 else ''}»"


def _check_internals(tree: nodes.Template) -> None:
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        key = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        if isinstance(key, str) and key.startswith("_"):
            raise TemplateRefused(INTERNALS_MESSAGE)
    for node in tree.find_all(nodes.Filter):
        if node.name == "attr":
            raise TemplateRefused(INTERNALS_MESSAGE)


def _check_constructs(label: str, tree: nodes.Template, declared: frozenset[str],
                      list_variables: frozenset[str] | None) -> set[str]:
    """Refuse what a document template does not need; return the unknown variable names."""
    unknown: set[str] = set()

    def refuse(what: str) -> None:
        raise TemplateRefused(
            f"В шаблоне ({label}) недопустимая конструкция: {what}. Шаблон документа может содержать только "
            "подстановки {{ … }}, условия {% if %} и циклы {% for %} по спискам документа")

    def visit(node: nodes.Node, depth: int, local: frozenset[str]) -> None:
        if not isinstance(node, _ALLOWED_NODES):
            refuse(_CONSTRUCT_NAMES.get(type(node), f"«{type(node).__name__}»"))
        if isinstance(node, nodes.For):
            if depth + 1 > MAX_LOOP_DEPTH:
                refuse(f"циклы {{% for %}} вложены глубже {MAX_LOOP_DEPTH} уровней")
            if node.recursive:
                refuse("рекурсивный цикл")
            _check_loop_source(node.iter, list_variables, refuse)
            visit(node.iter, depth, local)
            inner = local | {n.name for n in node.target.find_all(nodes.Name)} | \
                ({node.target.name} if isinstance(node.target, nodes.Name) else set()) | {"loop"}
            for child in (*node.body, *node.else_):
                visit(child, depth + 1, frozenset(inner))
            if node.test is not None:
                visit(node.test, depth + 1, frozenset(inner))
            return
        if isinstance(node, nodes.Name):
            if node.ctx == "load" and node.name not in local and node.name not in declared:
                unknown.add(node.name)
            return
        if isinstance(node, nodes.Filter):
            if node.name not in ALLOWED_FILTERS:
                refuse(f"фильтр «{node.name}» (допустимы: {', '.join(sorted(ALLOWED_FILTERS))})")
            if node.name in _LITERAL_ARGUMENT_FILTERS:
                for argument in (*node.args, *(k.value for k in node.kwargs)):
                    if not (isinstance(argument, nodes.Const) and isinstance(argument.value, (str, int))
                            and len(str(argument.value)) <= _MAX_LITERAL_ARGUMENT
                            and (node.name != "replace" or argument.value != "")):
                        refuse(f"у фильтра «{node.name}» аргументы могут быть только короткими строками в кавычках")
                if node.dyn_args is not None or node.dyn_kwargs is not None:
                    refuse(f"у фильтра «{node.name}» аргументы могут быть только короткими строками в кавычках")
        if isinstance(node, nodes.Mod) and not _is_number(node.left):
            refuse("оператор % допустим только для чисел, например «present|int % 10»")
        for child in node.iter_child_nodes():
            visit(child, depth, local)

    visit(tree, 0, frozenset())
    return unknown


def _is_number(node: nodes.Expr) -> bool:
    if isinstance(node, nodes.Const):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    if isinstance(node, (nodes.Neg, nodes.Pos)):
        return _is_number(node.node)
    return isinstance(node, nodes.Filter) and node.name in _NUMBER_FILTERS


def _check_loop_source(node: nodes.Expr, list_variables: frozenset[str] | None, refuse) -> None:
    """Loops run over the document's lists (or a literal list), never over a text's letters."""
    while isinstance(node, nodes.Filter) and node.name in _ITERABLE_FILTERS:
        node = node.node
    if isinstance(node, (nodes.List, nodes.Tuple)):
        return
    if isinstance(node, nodes.Name) and (list_variables is None or node.name in list_variables):
        return
    names = ", ".join(sorted(list_variables or ())) or "списки документа"
    refuse(f"цикл {{% for %}} не по списку документа (циклы допустимы по: {names})")


def test_render(data: bytes, context: dict[str, Any]) -> bytes:
    """Render in the sandbox exactly as a transition would (QR code included); refuse on any failure."""
    template = DocxTemplate(io.BytesIO(data))
    full_context = dict(context)
    try:
        full_context["qr"] = InlineImage(template, io.BytesIO(qr_png(context.get("verify_url") or SAMPLE_VERIFY_URL)),
                                         width=QR_WIDTH)
        template.render(full_context, DOCUMENT_ENV)
        out = io.BytesIO()
        template.save(out)
        rendered = checked_rendered_size(out.getvalue())
        Document(io.BytesIO(rendered))  # the result must itself be a readable document
    except SecurityError:
        raise TemplateRefused(INTERNALS_MESSAGE) from None
    except TemplateSyntaxError as exc:
        raise TemplateRefused(f"Ошибка в шаблоне: {_russian(exc)}") from None
    except TemplateError as exc:
        raise TemplateRefused(f"Тестовая отрисовка шаблона не удалась: {_russian(exc)}") from None
    except RecursionError:
        raise TemplateRefused("Тестовая отрисовка шаблона не удалась: слишком глубокая вложенность") from None
    except RenderError as exc:
        raise TemplateRefused(f"Тестовая отрисовка шаблона не удалась: {exc}") from None
    except MemoryError:
        raise  # the limited process reports the memory limit
    except Exception as exc:  # noqa: BLE001 - a template may fail in any way; the user gets a message
        raise TemplateRefused(f"Тестовая отрисовка шаблона не удалась: {_describe(exc)}") from None
    return rendered


_JINJA_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"unexpected end of template, expected 'end of print statement'", re.I),
     "подстановка {{ … }} не закрыта: не хватает «}}»"),
    (re.compile(r"unexpected end of template.*looking for the following tags: (.+?)\. "
                r"The innermost block that needs to be closed is '(\w+)'", re.I | re.S),
     "блок {% \\2 %} не закрыт: не хватает {% end\\2 %}"),
    (re.compile(r"unexpected end of template", re.I), "шаблон обрывается: не закрыт тег или подстановка"),
    (re.compile(r"Encountered unknown tag '(\w+)'\. Jinja was looking for the following tags: (.+?)\. "
                r"The innermost block that needs to be closed is '(\w+)'", re.I | re.S),
     "неожиданный тег «\\1»: сначала нужно закрыть блок {% \\3 %}"),
    (re.compile(r"Encountered unknown tag '(end\w+|else|elif)'", re.I),
     "лишний тег «\\1»: для него нет открывающего {% if %} или {% for %}"),
    (re.compile(r"Encountered unknown tag '(\w+)'", re.I), "неизвестный тег «\\1»"),
    (re.compile(r"expected token 'end of print statement', got '(.+?)'", re.I),
     "после выражения ожидалось «}}», а стоит «\\1»"),
    (re.compile(r"expected token 'end of statement block', got '(.+?)'", re.I),
     "после выражения ожидалось «%}», а стоит «\\1»"),
    (re.compile(r"expected token '(.+?)', got '(.+?)'", re.I), "ожидалось «\\1», а стоит «\\2»"),
    (re.compile(r"unexpected '(.+?)'", re.I), "лишний или неожиданный символ «\\1»"),
    (re.compile(r"unexpected char '(.+?)'", re.I), "недопустимый символ «\\1»"),
    (re.compile(r"Expected an expression, got '(.+?)'", re.I), "не хватает выражения (перед «\\1»)"),
    (re.compile(r"tag name expected", re.I), "после «{%» не указано имя тега"),
    (re.compile(r"'(\w+)' is undefined", re.I), "переменная «\\1» не задана"),
    (re.compile(r"'.+?' has no attribute '(.+?)'", re.I), "у значения нет поля «\\1»"),
    (re.compile(r"no filter named '(.+?)'", re.I), "неизвестный фильтр «\\1»"),
    (re.compile(r"no test named '(.+?)'", re.I), "неизвестная проверка «\\1»"),
]


_TOKEN_NAMES = {"end of statement block": "%}", "end of print statement": "}}", "end of template": "конец шаблона"}


def _russian(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    for pattern, russian in _JINJA_MESSAGES:
        found = pattern.search(message)
        if found:
            text = found.expand(russian)
            for token, symbol in _TOKEN_NAMES.items():
                text = text.replace(f"«{token}»", f"«{symbol}»")
            return text
    return f"ошибка шаблона ({message})"


def _describe(exc: Exception) -> str:
    if isinstance(exc, ZeroDivisionError):
        return "деление на ноль"
    if isinstance(exc, TypeError):
        return "операция над значениями несовместимых типов (например, текст и число)"
    if isinstance(exc, (UndefinedError, TemplateError)):
        return _russian(exc)
    if isinstance(exc, (KeyError, IndexError)):
        return "обращение к несуществующему элементу"
    if isinstance(exc, MemoryError):
        return "документ получается слишком большим"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def preview_lines(docx: bytes, limit: int = PREVIEW_LINES) -> list[str]:
    """The text of a rendered document, paragraph by paragraph (tables, headers, footers too)."""
    document = Document(io.BytesIO(docx))
    lines: list[str] = []
    for section in document.sections[:1]:
        for paragraph in section.header.paragraphs:
            if paragraph.text.strip():
                lines.append(paragraph.text)
    for paragraph in document.element.body.iter(qn("w:p")):
        lines.append("".join(t.text or "" for t in paragraph.iter(qn("w:t"))))
    for section in document.sections[:1]:
        for paragraph in section.footer.paragraphs:
            if paragraph.text.strip():
                lines.append(paragraph.text)
    # Collapse runs of empty paragraphs: they are spacing, not content.
    collapsed: list[str] = []
    for line in lines:
        if line.strip() or (collapsed and collapsed[-1].strip()):
            collapsed.append(line)
    return collapsed[:limit]


# --------------------------------------------------------------------------- use cases


def _shipped(rt: Runtime, name: str) -> TemplateSource:
    if name not in rt.templates.names():
        raise NotFound(f"Шаблон «{name}» не найден")
    try:
        return rt.templates.get(name)
    except RenderError as exc:
        raise NotFound(str(exc)) from None


def _versions(session: Session, organisation_id: int, name: str | None = None) -> list[TemplateVersion]:
    query = (select(OrganisationTemplate.id, OrganisationTemplate.name, OrganisationTemplate.version,
                    OrganisationTemplate.original_file_name, OrganisationTemplate.sha256,
                    func.length(OrganisationTemplate.content).label("size"), OrganisationTemplate.is_active,
                    OrganisationTemplate.created_at, User.last_name, User.first_name, User.middle_name)
             .outerjoin(User, User.id == OrganisationTemplate.uploaded_by)
             .where(OrganisationTemplate.organisation_id == organisation_id)
             .order_by(OrganisationTemplate.name, OrganisationTemplate.version.desc()))
    if name is not None:
        query = query.where(OrganisationTemplate.name == name)
    rows = session.execute(query).all()
    counts = dict(session.execute(
        select(StoredDocument.template_sha256, func.count()).where(
            StoredDocument.organisation_id == organisation_id,
            StoredDocument.template_sha256.in_({row.sha256 for row in rows}))
        .group_by(StoredDocument.template_sha256)).all()) if rows else {}
    return [TemplateVersion(
        id=row.id, name=row.name, version=row.version, original_file_name=row.original_file_name,
        sha256=row.sha256, size=row.size or 0, is_active=row.is_active, created_at=row.created_at,
        uploaded_by=" ".join(p for p in (row.last_name, row.first_name, row.middle_name) if p),
        documents_count=counts.get(row.sha256, 0)) for row in rows]


def _info(source: TemplateSource, versions: list[TemplateVersion]) -> TemplateInfo:
    return TemplateInfo(name=source.name, title=source.title, file_name=source.file_name,
                        variables=tuple(sorted(source.variables)), shipped_sha256=source.sha256,
                        versions=tuple(versions))


def list_templates(rt: Runtime, organisation_id: int) -> list[TemplateInfo]:
    """Every shipped template with the organisation's versions of it."""
    with rt.sessions() as session:
        versions = _versions(session, organisation_id)
    by_name: dict[str, list[TemplateVersion]] = {}
    for version in versions:
        by_name.setdefault(version.name, []).append(version)
    return [_info(rt.templates.get(name), by_name.get(name, [])) for name in rt.templates.names()]


def template_info(rt: Runtime, organisation_id: int, name: str) -> TemplateInfo:
    source = _shipped(rt, name)
    with rt.sessions() as session:
        return _info(source, _versions(session, organisation_id, name))


def _version_row(session: Session, organisation_id: int, name: str, version_id: int) -> OrganisationTemplate:
    row = session.get(OrganisationTemplate, version_id)
    # Another organisation's version is reported exactly like a missing one.
    if row is None or row.organisation_id != organisation_id or row.name != name:
        raise NotFound("Версия шаблона не найдена")
    return row


def get_version(rt: Runtime, organisation_id: int, name: str, version_id: int) -> TemplateVersion:
    _shipped(rt, name)
    with rt.sessions() as session:
        _version_row(session, organisation_id, name, version_id)
        return next(v for v in _versions(session, organisation_id, name) if v.id == version_id)


def upload_template(rt: Runtime, organisation_id: int, user_id: int | None, name: str, data: bytes,
                    file_name: str = "") -> TemplateVersion:
    """Check an uploaded version; if it passes, store it inactive (to be accepted after review).

    Nothing is written when any check fails. The same bytes as an existing version are not
    stored twice: that version is returned.
    """
    source = _shipped(rt, name)
    with rt.sessions() as session:
        organisation = _organisation_sample(session, organisation_id)
    check_template(source, data, sample_contexts(source, organisation))
    sha256 = hashlib.sha256(data).hexdigest()
    original = _clean_file_name(file_name) or f"{name}.docx"
    for _attempt in range(3):
        try:
            with transaction(rt.sessions) as session:
                existing = session.scalars(select(OrganisationTemplate.id).where(
                    OrganisationTemplate.organisation_id == organisation_id, OrganisationTemplate.name == name,
                    OrganisationTemplate.sha256 == sha256)).first()
                if existing is not None:
                    version_id = existing
                else:
                    count, latest = session.execute(
                        select(func.count(), func.max(OrganisationTemplate.version)).where(
                            OrganisationTemplate.organisation_id == organisation_id,
                            OrganisationTemplate.name == name)).one()
                    if count >= MAX_VERSIONS_PER_TEMPLATE:
                        raise TemplateRefused(f"У шаблона уже {count} версий: удалите неиспользуемые и повторите")
                    row = OrganisationTemplate(organisation_id=organisation_id, name=name, version=(latest or 0) + 1,
                                               original_file_name=original, content=data, sha256=sha256,
                                               uploaded_by=user_id, is_active=False)
                    session.add(row)
                    session.flush()
                    version_id = row.id
            return get_version(rt, organisation_id, name, version_id)
        except IntegrityError:
            continue  # another upload took the same version number at the same moment
    raise Conflict("Одновременно загружается другая версия этого шаблона: повторите через минуту")


def _clean_file_name(file_name: str) -> str:
    # Kept as data only (never a path): the last path component, without control characters.
    base = re.split(r"[\\/]", file_name or "")[-1]
    base = "".join(ch for ch in without_invisible(base) if ch.isprintable()).strip()
    return base[:200]


def version_content(rt: Runtime, organisation_id: int, name: str, version_id: int) -> tuple[bytes, str]:
    """The uploaded file as stored, and a file name to download it under."""
    _shipped(rt, name)
    with rt.sessions() as session:
        row = _version_row(session, organisation_id, name, version_id)
        return row.content, row.original_file_name or f"{name}.docx"


def render_version(rt: Runtime, organisation_id: int, name: str, version_id: int) -> tuple[bytes, str]:
    """The test render of a stored version with the organisation's sample data, and its file name."""
    source = _shipped(rt, name)
    rendered, _lines, version = _version_preview(rt, source, organisation_id, version_id)
    return rendered, f"Проверка — {source.title} (версия {version}).docx"


def preview_version(rt: Runtime, organisation_id: int, name: str, version_id: int) -> list[str]:
    """The text of the test render of a stored version, paragraph by paragraph."""
    return _version_preview(rt, _shipped(rt, name), organisation_id, version_id)[1]


def _version_preview(rt: Runtime, source: TemplateSource, organisation_id: int, version_id: int
                     ) -> tuple[bytes, list[str], int]:
    with rt.sessions() as session:
        row = _version_row(session, organisation_id, source.name, version_id)
        data, sha256, version = row.content, row.sha256, row.version
        organisation = _organisation_sample(session, organisation_id)
    rendered, lines = _cached_preview(data, sha256, sample_contexts(source, organisation)[0])
    return rendered, lines, version


# The test render of each version, by the version's hash and the sample data: made once per
# process, not on each view of the version's page (a template may take seconds within its limits).
_previews: OrderedDict[tuple[str, str], tuple[bytes, list[str]] | TemplateRefused] = OrderedDict()
_previews_lock = threading.Lock()


def _cached_preview(data: bytes, sha256: str, context: dict[str, Any]) -> tuple[bytes, list[str]]:
    key = (sha256, hashlib.sha256(json.dumps(context, sort_keys=True, ensure_ascii=False).encode()).hexdigest())
    with _previews_lock:
        found = _previews.get(key)
        if found is not None:
            _previews.move_to_end(key)
    if found is None:
        try:
            found = _limited(_preview, data, context)
        except TemplateRefused as refused:
            found = refused  # a refusal is remembered too: it would cost the same again
        with _previews_lock:
            _previews[key] = found
            while len(_previews) > PREVIEW_CACHE_SIZE:
                _previews.popitem(last=False)
    if isinstance(found, TemplateRefused):
        raise TemplateRefused(found.message, found.details)
    return found


def _preview(data: bytes, context: dict[str, Any]) -> tuple[bytes, list[str]]:
    """(In the limited process.) The test render and its text."""
    rendered = test_render(data, context)
    return rendered, preview_lines(rendered)


def accept_version(rt: Runtime, organisation_id: int, name: str, version_id: int) -> TemplateVersion:
    """Make a stored version the one new documents use; every other version is deactivated.

    The checks run again first: the rules or the shipped template's variables may have
    changed since the file was uploaded.
    """
    source = _shipped(rt, name)
    with rt.sessions() as session:
        row = _version_row(session, organisation_id, name, version_id)
        data = row.content
        organisation = _organisation_sample(session, organisation_id)
    check_template(source, data, sample_contexts(source, organisation))
    with transaction(rt.sessions) as session:
        row = _version_row(session, organisation_id, name, version_id)
        session.execute(update(OrganisationTemplate).where(
            OrganisationTemplate.organisation_id == organisation_id, OrganisationTemplate.name == name,
            OrganisationTemplate.id != row.id).values(is_active=False))
        row.is_active = True
    return get_version(rt, organisation_id, name, version_id)


def delete_version(rt: Runtime, organisation_id: int, name: str, version_id: int) -> None:
    """Delete a version nothing was rendered from (a checked upload that was not accepted)."""
    _shipped(rt, name)
    with transaction(rt.sessions) as session:
        row = _version_row(session, organisation_id, name, version_id)
        if row.is_active:
            raise Unprocessable("Эта версия сейчас действует: сначала вернитесь к поставляемому шаблону "
                                "или примите другую версию")
        used = session.scalar(select(func.count()).select_from(StoredDocument).where(
            StoredDocument.organisation_id == organisation_id, StoredDocument.template_sha256 == row.sha256))
        if used:
            raise Unprocessable(f"По этой версии уже сформированы документы ({used}): она хранится для истории "
                                "и не удаляется")
        session.delete(row)


def revert_to_shipped(rt: Runtime, organisation_id: int, name: str) -> int:
    """Deactivate every version of the template: new documents use the shipped one. Returns how many were active."""
    _shipped(rt, name)
    with transaction(rt.sessions) as session:
        result = session.execute(update(OrganisationTemplate).where(
            OrganisationTemplate.organisation_id == organisation_id, OrganisationTemplate.name == name,
            OrganisationTemplate.is_active.is_(True)).values(is_active=False))
        return result.rowcount or 0


def shipped_content(rt: Runtime, name: str) -> tuple[bytes, str]:
    """The shipped template file, to download and edit in Word."""
    source = _shipped(rt, name)
    return source.data, f"{source.title} (шаблон).docx"



_VARIABLE_NOTE = re.compile(r"^#\s{2,}(\w+)(?::\s*(.*))?$")
_SIGNER = ("подписант: {position, initials_surname} — должность («Директор», «И.о. директора») и имя; отметку об "
           "электронной подписи шаблон не печатает — её ставит система на копию для печати подписанного документа")
# What the variables of the shipped templates hold, for the people who edit templates.
VARIABLE_HELP: dict[str, str] = {
    "org_full_name": "полное наименование организации",
    "org_short_name": "сокращённое наименование («МБОУ СОШ № 29»)",
    "org_city": "место составления, как печатается («г. Сургут»)",
    "org_address": "почтовый адрес организации",
    "org_phone": "телефон организации («8 (3462) 52-00-29»), может быть пустым",
    "org_email": "электронная почта организации, может быть пустой",
    "verify_url": "адрес страницы проверки подлинности документа",
    "qr": "QR-код проверки подлинности (картинка)",
    "signer": _SIGNER,
    "is_draft": "истина для проекта: «ПРОЕКТ» вверху и без грифа утверждения",
    "draft_date": "дата проекта («от 10.03.2025» под словом «ПРОЕКТ»)",
    "title": "название акта: «Положение о …»",
    "edition_note": "«(в новой редакции)» или пусто",
    "council_grif": "гриф совета: нет или {word («ПРИНЯТО» / «СОГЛАСОВАНО»), body_instrumental, protocol_date, "
                    "protocol_number}",
    "approval_grif": "гриф утверждения: нет или {order_date, order_number}",
    "opinions": "учтённые мнения советов: список {body_genitive, protocol_date, protocol_number}",
    "sections": "разделы и пункты: список {number «1.»/«1.1.», text, level 1 или 2}",
    "order_date": "дата приказа (ДД.ММ.ГГГГ)",
    "order_number": "регистрационный номер приказа",
    "heading": "заголовок к тексту: «Об утверждении …», без точки",
    "preamble": "преамбула «В соответствии с …»; «, приказываю:» добавляет шаблон",
    "items": "пункты приказа (список предложений)",
    "attachments": "приложения (список названий, может быть пустым)",
    "subject": "с чем знакомят: «с Положением о …, утверждённым приказом от … № …»",
    "people": "кого знакомят: список {n, name, position}",
    "request_date": "дата письма",
    "addressee": "адресат в дательном падеже («Председателю Совета обучающихся»)",
    "outgoing_number": "исходящий номер письма из журнала исходящих документов",
    "executor": "отметка об исполнителе: «Исп. Иванова И.И., тел. 8 (3462) 52-00-29»",
    "body_genitive": "орган в родительном падеже («Совета обучающихся», «педагогического совета»)",
    "protocol_heading": "после «ПРОТОКОЛ»: «заседания педагогического совета», «совещания при директоре», "
                        "«родительского собрания»",
    "act_title_genitive": "название акта в родительном падеже («Положения о …»)",
    "response_deadline": "срок ответа (ДД.ММ.ГГГГ)",
    "legal_basis": "основание в творительном падеже, после «В соответствии с»",
    "legal_basis_preposition": "«с» или «со» перед основанием («со статьёй 372»)",
    "protocol_date": "дата протокола",
    "protocol_number": "номер протокола",
    "chair": "председатель (И.О. Фамилия)",
    "secretary": "секретарь (И.О. Фамилия)",
    "present": "число присутствовавших",
    "agenda_number": "номер вопроса повестки",
    "agenda_item": "вопрос повестки дня",
    "heard": "СЛУШАЛИ: кого и о чём",
    "decision": "РЕШИЛИ: текст решения",
    "votes_for": "голосов «за»",
    "votes_against": "голосов «против»",
    "votes_abstained": "«воздержались»",
    "certifier": "кто заверяет выписку «Верно»: {position, initials_surname}",
    "certified_date": "дата заверения",
}


def variable_notes(rt: Runtime, name: str) -> dict[str, str]:
    """What each variable of a shipped template holds, from the comments of its side file."""
    source = _shipped(rt, name)
    notes = {variable: "" for variable in sorted(source.variables)}
    side = rt.settings.templates_dir / f"{name}.yaml"
    try:
        lines = side.read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    for line in lines:
        found = _VARIABLE_NOTE.match(line)
        if found and found.group(1) in notes:
            notes[found.group(1)] = (found.group(2) or "").strip()
    for variable in notes:
        notes[variable] = VARIABLE_HELP.get(variable) or notes[variable]
    return notes
