"""Rendering .docx templates safely.

- The Jinja environment is sandboxed (no reaching Python internals from a template) and
  autoescapes (a value with «&» or «<» cannot break the document XML).
- The context holds plain values only; ORM objects never reach a template.
- docxtpl objects are not thread-safe: every render builds a fresh DocxTemplate from
  cached template bytes.
- A transition renders in two steps (`render_draft`, then `finish_draft`): values known only at
  its very end — registration numbers, the verification link and its QR code — are rendered as
  placeholders and filled in afterwards, so that the journal counter is locked only for the
  last, short step (see services/transitions.py).
- An organisation's uploaded template (`TemplateSource.uploaded`) is rendered in a separate
  process with memory, CPU, time and output limits (`documents.sandbox`): a template that passed
  its checks can still meet data that makes it explode (a long title through chained `replace`
  filters). The shipped templates render in-process.
"""
from __future__ import annotations

import gc
import hashlib
import io
import re
import uuid
import zipfile
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import segno
import yaml
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.part import XmlPart
from docx.oxml.ns import nsmap, qn
from docx.shared import Mm
from docx.text.paragraph import Paragraph
from docxtpl import DocxTemplate, InlineImage
from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from lxml import etree

from ..safe_text import without_invisible
from .sandbox import LimitExceeded, run_limited


DOCUMENT_ENV = ImmutableSandboxedEnvironment(autoescape=True)
# File names are not XML: rendered without escaping, then cleaned of path characters.
FILE_NAME_ENV = ImmutableSandboxedEnvironment(autoescape=False)
QR_WIDTH = Mm(22)
_UNSAFE_FILE_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')
# A placeholder is framed by private-use characters, which no real document contains, and
# holds the kinds of characters registration numbers are made of (Russian and Latin letters of
# both cases, digits, «-», «/», «\\», «.», a space): a template that changes the number — a case
# filter, a slice, a replace — changes the placeholder too, and `finish_draft` notices.
PLACEHOLDER_MARK = "\ue000"
_PLACEHOLDER_END = "\ue001"
_PLACEHOLDER_BODY = "Шш Ff-/.\\"
# The text nodes holding a placeholder: testing text nodes is 7× faster than testing each element's text
# (12 against 84 ms on a 2 000-row plan).
_TEXTS_WITH_PLACEHOLDER = etree.XPath(f"//text()[contains(., '{PLACEHOLDER_MARK}')]")
# A text run (<w:t>…</w:t>, never <w:tbl>, <w:tab/>) holding a character docxtpl's listing turns into a mark.
_LISTING_CHARACTER = re.compile(r"<w:t(?:\s[^>]*)?>[^<]*[\t\n\a\f]")
# What docxtpl renders besides the main part: only these can hold a placeholder.
_RENDERED_TYPES = frozenset({CT.WML_HEADER, CT.WML_FOOTER, CT.WML_FOOTNOTES, CT.OPC_CORE_PROPERTIES})
# What a rendered document may unpack to: it is parsed again (placeholders, previews), and a
# small .docx of highly repetitive XML could otherwise unpack to gigabytes.
MAX_RENDERED_UNPACKED = 16 * 1024 * 1024


class RenderError(Exception):
    """A template could not be rendered; the message is for the user."""


class _CompilingOnceEnvironment(ImmutableSandboxedEnvironment):
    """DOCUMENT_ENV's settings; each template text is compiled once and the result reused.

    Jinja's compile of a part's XML is about a third of a docxtpl render and depends only on
    the template. A compiled template is immutable and safe to render from several threads;
    the sandbox checks run while rendering, so they hold for every render."""

    def from_string(self, source, globals=None, template_class=None):  # noqa: A002, ANN001 - Jinja's signature
        if isinstance(source, str) and globals is None and template_class is None:
            return self._compiled(source)
        return super().from_string(source, globals, template_class)

    @lru_cache(maxsize=512)  # noqa: B019 - one module-level instance lives as long as the process
    def _compiled(self, source: str):  # noqa: ANN202
        return super().from_string(source)


_RENDER_ENV = _CompilingOnceEnvironment(autoescape=True)
# An instance for docxtpl's patch_xml, which reads nothing from its object.
_PATCHER = DocxTemplate(io.BytesIO())


@lru_cache(maxsize=512)
def _patched_xml(src_xml: str) -> str:
    return DocxTemplate.patch_xml(_PATCHER, src_xml)


class _PreparedDocxTemplate(DocxTemplate):
    """docxtpl whose clean-up of the template XML (the tags Word splits across runs, a dozen
    regular expressions over the text: another third of a render) is done once per template text.
    Still one fresh object per render: the object itself is not thread-safe."""

    def patch_xml(self, src_xml: str) -> str:
        return _patched_xml(src_xml)

    def resolve_listing(self, xml: str) -> str:
        # docxtpl turns tabs, line and page breaks typed in values into Word's own marks, calling
        # Python for every paragraph, run and text of the rendered part: a third of rendering a
        # 2 000-row plan. One search in C tells whether any text holds such a character at all.
        return super().resolve_listing(xml) if _LISTING_CHARACTER.search(xml) else xml

    def fix_tables(self, xml: str):  # noqa: ANN201 - an lxml element
        # docxtpl re-grids a table whose rows came out with more or fewer cells than its grid (a
        # column loop), visiting every cell of every row in Python. Most tables need nothing: the
        # same counts are taken here faster, and docxtpl's own pass runs only when one does.
        tree = etree.fromstring(xml, parser=etree.XMLParser(recover=True))
        return super().fix_tables(xml) if any(_needs_regrid(table) for table in tree.iter(_TBL)) else tree


_TBL, _TBL_GRID, _GRID_COL, _TR, _TC, _VAL = (qn(tag) for tag in ("w:tbl", "w:tblGrid", "w:gridCol", "w:tr", "w:tc",
                                                                   "w:val"))
_CELL_SPANS = etree.XPath("w:tc/w:tcPr[1]/w:gridSpan[1]", namespaces={"w": nsmap["w"]})


def _needs_regrid(table) -> bool:  # noqa: ANN001 - an lxml element
    """Whether docxtpl's fix_tables would change the table: a row (nested tables' rows included, as
    it counts them) with more cells than grid columns, or no row whose spans fill the grid."""
    grid = table.find(_TBL_GRID)
    if grid is None:
        return True  # let docxtpl report it as it does
    columns = len(grid.findall(_GRID_COL))
    widest = 0
    for row in table.iter(_TR):
        cells = len(row.findall(_TC))
        if cells > columns:
            return True
        spans = _CELL_SPANS(row)
        widest = max(widest, cells - len(spans) + sum(int(span.get(_VAL)) for span in spans))
    return widest < columns


@dataclass(frozen=True)
class Picture:
    """A picture for a document (a chart): PNG bytes and the width it is printed at.

    A plain value in the context like any other; the renderer turns it into docxtpl's
    InlineImage for the one DocxTemplate it renders (an InlineImage belongs to its template).
    Its text form — what the content hash of a document covers — is its SHA-256."""

    png: bytes
    width_mm: float

    def __str__(self) -> str:
        return f"picture:{hashlib.sha256(self.png).hexdigest()}:{self.width_mm}"


# Values that hold nothing to replace: the walks below do not call themselves for them (a 2 000-row
# plan's context has 57 000 values, 47 000 of them plain text).
_PLAIN = frozenset({str, int, float, bool, type(None)})


def _with_pictures(template: DocxTemplate, value: Any) -> Any:
    """The context with every Picture (at any depth) replaced by an InlineImage of this template."""
    if isinstance(value, Picture):
        return InlineImage(template, io.BytesIO(value.png), width=Mm(value.width_mm))
    if isinstance(value, dict):
        return {k: v if type(v) in _PLAIN else _with_pictures(template, v) for k, v in value.items()}
    if isinstance(value, list):
        return [v if type(v) in _PLAIN else _with_pictures(template, v) for v in value]
    return value


@dataclass(frozen=True)
class TemplateSource:
    name: str
    title: str
    file_name: str
    variables: frozenset[str]
    data: bytes
    sha256: str
    uploaded: bool = False  # an organisation's own version: rendered in a limited process
    # Who signs the document, by registered signatory name, each in the place its bookmark marks
    # (documents/marks.py); empty: nobody signs it in the system (an acquaintance sheet).
    signers: tuple[str, ...] = ()
    sign_within_working_days: int | None = None


def load_template(docx_path: Path) -> TemplateSource:
    side = yaml.safe_load(docx_path.with_suffix(".yaml").read_text(encoding="utf-8")) or {}
    data = docx_path.read_bytes()
    return TemplateSource(
        name=docx_path.stem, title=str(side.get("title", docx_path.stem)),
        file_name=str(side.get("file_name", f"{docx_path.stem}.docx")),
        variables=frozenset(side.get("variables") or ()), data=data, sha256=hashlib.sha256(data).hexdigest(),
        signers=tuple(str(name) for name in side.get("signers") or ()),
        sign_within_working_days=side.get("sign_within_working_days"),
    )


class TemplateCatalog:
    """The templates of `document_templates/`, read once; bytes cached, never DocxTemplate objects."""

    def __init__(self, templates_dir: Path):
        self.templates_dir = templates_dir
        self._cache: dict[str, TemplateSource] = {}

    def get(self, name: str) -> TemplateSource:
        if name not in self._cache:
            path = self.templates_dir / f"{name}.docx"
            if not path.exists() or not path.with_suffix(".yaml").exists():
                raise RenderError(f"Шаблон документа «{name}» не найден")
            self._cache[name] = load_template(path)
        return self._cache[name]

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.templates_dir.glob("*.docx") if p.with_suffix(".yaml").exists())


class PlaceholderLost(RenderError):
    """The template changed a placeholder (e.g. with a filter), so it cannot be filled in."""


def placeholder(index: int) -> str:
    """A stand-in for a value filled in by `finish_draft`."""
    return f"{PLACEHOLDER_MARK}{_PLACEHOLDER_BODY}{index}{_PLACEHOLDER_END}"


def fill_placeholders(value: Any, replacements: dict[str, str]) -> Any:
    """The same plain value (str, list, dict) with every placeholder replaced."""
    if isinstance(value, str):
        if PLACEHOLDER_MARK in value:
            for key, text in replacements.items():
                value = value.replace(key, text)
        return value
    if isinstance(value, list):
        return [v if type(v) in _PLAIN and (type(v) is not str or PLACEHOLDER_MARK not in v)
                else fill_placeholders(v, replacements) for v in value]
    if isinstance(value, dict):
        return {k: v if type(v) in _PLAIN and (type(v) is not str or PLACEHOLDER_MARK not in v)
                else fill_placeholders(v, replacements) for k, v in value.items()}
    return value


def qr_png(payload: str) -> bytes:
    buffer = io.BytesIO()
    # A fixed mask skips segno's search over all eight (≈30 ms in pure Python per code);
    # any mask is valid for readers, the search only polishes the pattern.
    segno.make(payload, error="m", mask=4, micro=False).save(buffer, kind="png", scale=4, border=4)
    return buffer.getvalue()


# The picture a draft carries where its QR code will be; unique to this process, so it is never
# mistaken for a picture of the template itself.
_PENDING_QR_PNG = qr_png(f"https://vsoko-flow.invalid/pending/{uuid.uuid4().hex}")


@dataclass
class Draft:
    """A rendered document not saved yet: its placeholders are still to be filled in."""
    source: TemplateSource
    template: DocxTemplate


def render_draft(source: TemplateSource, context: dict[str, Any], with_qr: bool = False) -> Draft:
    """Render the template with a plain-value context that may hold placeholders."""
    if source.uploaded:
        data = _isolated(source, _draft_bytes, source, context, _PENDING_QR_PNG if with_qr else None)
        template = _PreparedDocxTemplate(io.BytesIO(data))
        template.init_docx()
        template.is_rendered = True  # saving it keeps what is loaded, placeholders filled in
        return Draft(source, template)
    template = _PreparedDocxTemplate(io.BytesIO(source.data))
    full_context = _with_pictures(template, context)
    if with_qr:
        full_context["qr"] = InlineImage(template, io.BytesIO(_PENDING_QR_PNG), width=QR_WIDTH)
    _render(source, template, full_context)
    return Draft(source, template)


def finish_draft(draft: Draft, replacements: dict[str, str], qr_payload: str | None = None) -> bytes:
    """Fill in the placeholders and the QR code of `qr_payload`; return the .docx bytes."""
    main = draft.template.docx.part
    parts = list(main.package.iter_parts())
    for part in parts:
        if part is main or part.content_type in _RENDERED_TYPES:
            _fill_part(draft.source, part, replacements)
    if qr_payload:
        _swap_picture(parts, _PENDING_QR_PNG, qr_png(qr_payload))
    return _save(draft.template)


def render_docx(source: TemplateSource, context: dict[str, Any], qr_payload: str | None = None) -> bytes:
    """Render the template with a plain-value context in one step; return the .docx bytes."""
    if source.uploaded:
        return _isolated(source, _docx_bytes, source, context, qr_payload)
    template = _PreparedDocxTemplate(io.BytesIO(source.data))
    full_context = _with_pictures(template, context)
    if qr_payload:
        full_context["qr"] = InlineImage(template, io.BytesIO(qr_png(qr_payload)), width=QR_WIDTH)
    _render(source, template, full_context)
    return _save(template)


def _isolated(source: TemplateSource, function, *args: Any) -> bytes:  # noqa: ANN001 - a module-level function
    try:
        return run_limited(function, *args)
    except LimitExceeded as exc:
        raise RenderError(f"Шаблон «{source.name}» организации не уложился в ограничения при формировании документа "
                          f"({exc.description}): документ не сформирован. Упростите шаблон или вернитесь к "
                          "поставляемому") from None


def _draft_bytes(source: TemplateSource, context: dict[str, Any], pending_qr: bytes | None) -> bytes:
    """(In the limited process.) A draft with placeholders, saved; the QR stand-in is the caller's."""
    template = _PreparedDocxTemplate(io.BytesIO(source.data))
    full_context = dict(context)
    if pending_qr is not None:
        full_context["qr"] = InlineImage(template, io.BytesIO(pending_qr), width=QR_WIDTH)
    _render(source, template, full_context)
    return checked_rendered_size(_save(template), source.name)


def _docx_bytes(source: TemplateSource, context: dict[str, Any], qr_payload: str | None) -> bytes:
    """(In the limited process.) `render_docx` of an uploaded template."""
    return checked_rendered_size(render_docx(replace(source, uploaded=False), context, qr_payload), source.name)


def checked_rendered_size(data: bytes, name: str = "") -> bytes:
    """The rendered .docx, unless it unpacks to more than MAX_RENDERED_UNPACKED."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        unpacked = sum(member.file_size for member in archive.infolist())
    if unpacked > MAX_RENDERED_UNPACKED:
        raise RenderError(f"{f'Шаблон «{name}»' if name else 'Шаблон'} даёт слишком большой документ: больше "
                          f"{MAX_RENDERED_UNPACKED // (1024 * 1024)} МБ после распаковки")
    return data


def release_documents() -> None:
    """Free the .docx packages just rendered or read, now rather than some time later.

    python-docx leaves every package it opens in reference cycles (parts and their package
    refer to each other, and `iter_parts`, which saving uses, keeps every part in a closure), so
    the XML trees — megabytes of memory outside Python's heap — wait for the cyclic collector.
    The collector counts Python objects, sees few, and rarely runs its oldest generation: a process
    approving acts grew from 234 to 486 MB over 150 approvals. Collecting the two young
    generations after the work (1–2 ms) keeps it flat."""
    gc.collect(1)


SIGNATURE_BOOKMARK_PREFIX = "vsoko_sign_"


def keep_signature_with_text(document) -> None:  # noqa: ANN001 - a python-docx Document
    """«Keep with next» on the last paragraph of text before each signature block and the empty lines
    between them, and on the block's own lines: the signature never stands alone on the last page
    (ГОСТ Р 7.0.97). Done after rendering, when loops are expanded: only the list's last item is kept."""
    body = document.element.body
    for table in body.iterchildren(qn("w:tbl")):
        names = [b.get(qn("w:name")) or "" for b in table.iter(qn("w:bookmarkStart"))]
        if not any(name.startswith(SIGNATURE_BOOKMARK_PREFIX) for name in names):
            continue
        for element in table.iter(qn("w:p")):
            Paragraph(element, document).paragraph_format.keep_with_next = True
        element = table.getprevious()
        while element is not None and element.tag == qn("w:p"):
            paragraph = Paragraph(element, document)
            paragraph.paragraph_format.keep_with_next = True
            if paragraph.text.strip():
                break
            element = element.getprevious()


def _render(source: TemplateSource, template: DocxTemplate, context: dict[str, Any]) -> None:
    try:
        template.render(context, _RENDER_ENV)
    except SecurityError:
        raise RenderError(f"Шаблон «{source.name}» пытается выполнить недопустимое действие и отклонён") from None
    except TemplateError as exc:
        raise RenderError(f"Шаблон «{source.name}» содержит ошибку: {exc}") from None
    except MemoryError:
        raise  # an uploaded template in its limited process: the limit is named by the caller
    except Exception as exc:  # noqa: BLE001 - a template expression may raise anything (1/0, "a" + 1)
        raise RenderError(f"Шаблон «{source.name}» не удалось заполнить: ошибка в выражении шаблона "
                          f"({type(exc).__name__}: {exc})") from None
    keep_signature_with_text(template.docx)


def _save(template: DocxTemplate) -> bytes:
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def _fill_part(source: TemplateSource, part, replacements: dict[str, str]) -> None:  # noqa: ANN001 - a docx part
    """Replace placeholders in the text of one rendered part (body, header, footer, properties, footnotes)."""
    if isinstance(part, XmlPart):
        found = _TEXTS_WITH_PLACEHOLDER(part.element)
        if any(text.is_tail for text in found):  # after an element, not inside one: not where values go
            raise PlaceholderLost(f"Шаблон «{source.name}» изменяет номер документа или ссылку проверки")
        for element in [text.getparent() for text in found]:
            element.text = fill_placeholders(element.text, replacements)
            if PLACEHOLDER_MARK in element.text:
                raise PlaceholderLost(f"Шаблон «{source.name}» изменяет номер документа или ссылку проверки")
    elif part.content_type == CT.WML_FOOTNOTES and PLACEHOLDER_MARK.encode() in part.blob:
        # docxtpl keeps rendered footnotes as bytes, not as a tree.
        text = fill_placeholders(part.blob.decode("utf-8"), {k: escape(v) for k, v in replacements.items()})
        if PLACEHOLDER_MARK in text:
            raise PlaceholderLost(f"Шаблон «{source.name}» изменяет номер документа или ссылку проверки")
        part._blob = text.encode("utf-8")  # noqa: SLF001 - where docxtpl itself puts rendered footnotes


def _swap_picture(parts: list, old: bytes, new: bytes) -> None:
    # python-docx writes an image part's `_blob` on save; the picture keeps its place and size
    # (both are square QR codes drawn at QR_WIDTH).
    for part in parts:
        if part.content_type.startswith("image/") and part.blob == old:
            part._blob = new  # noqa: SLF001


@lru_cache(maxsize=256)
def _file_name_template(expression: str):
    return FILE_NAME_ENV.from_string(expression)


def render_file_name(source: TemplateSource, context: dict[str, Any]) -> str:
    try:
        name = _file_name_template(source.file_name).render(context)
    except (TemplateError, SecurityError):
        name = f"{source.title}.docx"
    # «№ Ш29-13-1/5» keeps its shape as «Ш29-13-1-5»; other path characters become spaces.
    name = _UNSAFE_FILE_CHARS.sub(" ", without_invisible(name).replace("/", "-").replace("\\", "-")).strip().strip(".")
    name = re.sub(r"\s+", " ", name)[:180]
    return name if name.lower().endswith(".docx") else f"{name}.docx"
