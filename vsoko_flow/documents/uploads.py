"""Checking uploaded .docx files before any parser sees them.

python-docx decompresses whole zip members and parses XML with huge_tree: a zip bomb or a
DOCTYPE entity trick would go straight through. So the zip is inspected first.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_MEMBERS = 1000  # a workbook with many sheets has many parts
MAX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_RATIO = 100
_DOCTYPE = re.compile(rb"<!\s*DOCTYPE", re.IGNORECASE)


class UploadError(ValueError):
    """The file is refused; the message is for the user."""


@dataclass(frozen=True)
class OfficeFormat:
    """What a real file of the format has, and how messages name it."""

    main_part: str      # «word/document.xml»
    name: str           # «документ Word (.docx)»
    extension: str      # «.docx»
    whole: str          # «документа» — as in «нет основной части документа»


DOCX = OfficeFormat("word/document.xml", "документ Word (.docx)", ".docx", "документа")
XLSX = OfficeFormat("xl/workbook.xml", "книга Excel (.xlsx)", ".xlsx", "книги")


def check_office_zip(data: bytes, office: OfficeFormat, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
    """Refuse what is not a safe Office file before any parser opens it."""
    if len(data) > max_bytes:
        raise UploadError(f"Файл больше {max_bytes // (1024 * 1024)} МБ")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UploadError(f"Это не {office.name}: файл не открывается как {office.extension}") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise UploadError(f"В файле слишком много частей: это не похоже на обычный {office.name}")
        if office.main_part not in archive.namelist():
            raise UploadError(f"Это не {office.name}: нет основной части {office.whole}")
        total = 0
        for member in members:
            name = member.filename
            if name.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", name):
                raise UploadError("Файл содержит недопустимые пути внутри архива")
            total += member.file_size
            if total > MAX_UNCOMPRESSED or member.file_size > MAX_RATIO * max(member.compress_size, 1) + 1_000_000:
                raise UploadError("Файл после распаковки слишком велик (похоже на «zip-бомбу»)")
        for member in members:
            if member.filename.endswith((".xml", ".rels", ".vml")) and _DOCTYPE.search(archive.read(member)):
                raise UploadError("Файл содержит объявление DOCTYPE — такие документы не принимаются")


def check_docx(data: bytes, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
    check_office_zip(data, DOCX, max_bytes)


def docx_numbered_lines(data: bytes) -> tuple[list[str], int]:
    """The paragraphs of a checked .docx with the numbers Word draws itself: a paragraph of an automatic
    list («1.», «1.1.» in numbering.xml) gets its number written in front, as it is printed; bullets and
    letters stay as text. Also returns how many tables the body holds (they are not part of the text)."""
    from docx import Document

    check_docx(data)
    document = Document(io.BytesIO(data))
    levels = _numbering_levels(document)
    counters: dict[str, list[int]] = {}
    lines = []
    for paragraph in document.paragraphs:
        label = _list_label(paragraph, levels, counters)
        lines.append(f"{label} {paragraph.text}" if label and paragraph.text.strip() else paragraph.text)
    return lines, len(document.tables)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass(frozen=True)
class _Level:
    format: str  # «decimal», «bullet», «lowerLetter», …
    text: str  # «%1.%2.»
    start: int


def _numbering_levels(document) -> dict[str, tuple[str, dict[int, _Level]]]:  # noqa: ANN001 - python-docx Document
    """numId → (its abstract list, level → how the level is numbered)."""
    try:
        root = document.part.numbering_part.element
    except (KeyError, NotImplementedError, AttributeError):
        return {}
    abstract: dict[str, dict[int, _Level]] = {}
    for node in root.findall(f"{_W}abstractNum"):
        levels = {}
        for level in node.findall(f"{_W}lvl"):
            def value(tag: str, default: str) -> str:
                found = level.find(f"{_W}{tag}")
                return found.get(f"{_W}val", default) if found is not None else default
            start = value("start", "1")
            levels[int(level.get(f"{_W}ilvl", "0"))] = _Level(value("numFmt", "decimal"), value("lvlText", ""),
                                                             int(start) if start.isdigit() else 1)
        abstract[node.get(f"{_W}abstractNumId", "")] = levels
    numbers = {}
    for node in root.findall(f"{_W}num"):
        ref = node.find(f"{_W}abstractNumId")
        key = ref.get(f"{_W}val", "") if ref is not None else ""
        numbers[node.get(f"{_W}numId", "")] = (key, abstract.get(key, {}))
    return numbers


def _num_pr(paragraph):  # noqa: ANN001, ANN202 - python-docx objects
    """The paragraph's own list properties, or those of its style (numbered headings)."""
    for holder in (paragraph._p, getattr(paragraph.style, "element", None)):
        ppr = holder.find(f"{_W}pPr") if holder is not None else None
        num_pr = ppr.find(f"{_W}numPr") if ppr is not None else None
        if num_pr is not None:
            return num_pr
    return None


def _list_label(paragraph, levels: dict, counters: dict[str, list[int]]) -> str:  # noqa: ANN001
    num_pr = _num_pr(paragraph)
    if num_pr is None:
        return ""
    num_id = num_pr.find(f"{_W}numId")
    ilvl = num_pr.find(f"{_W}ilvl")
    key = num_id.get(f"{_W}val", "") if num_id is not None else ""
    depth = int(ilvl.get(f"{_W}val", "0")) if ilvl is not None and ilvl.get(f"{_W}val", "0").isdigit() else 0
    if key not in levels or key == "0":
        return ""
    abstract, formats = levels[key]
    level = formats.get(depth)
    if level is None or level.format != "decimal":
        return ""  # bullets, letters: part of the text, not a section number
    count = counters.setdefault(abstract, [])
    while len(count) <= depth:
        count.append(formats.get(len(count), level).start - 1)
    count[depth] += 1
    del count[depth + 1:]
    label = level.text
    for index, value in enumerate(count, start=1):
        label = label.replace(f"%{index}", str(value))
    return label if re.fullmatch(r"[\d.)]+", label) else ""
