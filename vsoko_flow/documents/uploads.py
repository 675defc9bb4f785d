"""Checking uploaded .docx/.xlsx files before any parser sees them.

python-docx and openpyxl decompress whole zip members, parse XML with huge_tree, and openpyxl
expands every merged range into cells: a 5 KB workbook with one merge `A1:XFD1048576` took a
worker to 3 GB. So an upload is measured first, with readers that expand nothing:

- the zip: member count, each member's and the total unpacked size, compression ratio, member
  names (no `..`, no absolute paths);
- every part, streamed: no DOCTYPE in any encoding an XML parser reads (UTF-16 and UTF-32 too);
- the tables inside: for a workbook the rows, columns, cells, merged ranges (count and the cells
  they cover) and the `dimension` of every sheet, and the shared strings; for a Word document
  the rows, cells and column spans of its tables.

A file over a limit is refused with a Russian message naming the limit. The parsing that follows
runs in a limited process (`documents.sandbox`) as a second net.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Callable

from lxml import etree

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_MEMBERS = 1000  # a workbook with many sheets has many parts
MAX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_MEMBER_UNCOMPRESSED = 25 * 1024 * 1024
MAX_RATIO = 100
_CHUNK = 1024 * 1024
# «<!DOCTYPE» as bytes in every encoding an XML parser detects by itself: a byte search for the
# UTF-8 form alone is blind to a UTF-16 part.
_DOCTYPE = re.compile(b"|".join([rb"<!\s{0,40}DOCTYPE"] + [re.escape("<!DOCTYPE".encode(codec)) for codec in (
    "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")]), re.IGNORECASE)
_OVERLAP = 128
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
# Encodings in which «<!DOCTYPE» is the same bytes as in ASCII: a byte search finds it.
_ASCII_COMPATIBLE = re.compile(r"^(utf-?8|us-ascii|ascii|iso-?8859-\d+|latin-?\d|windows-125\d|cp125\d|koi8-[ru])$",
                               re.IGNORECASE)
# (leading bytes, codec): byte order marks first, then how «<?» looks without one.
_WIDE_ENCODINGS = (
    (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"),
    (b"<\x00\x00\x00", "utf-32-le"), (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00?\x00", "utf-16-le"), (b"\x00<\x00?", "utf-16-be"),
)


class UploadError(ValueError):
    """The file is refused; the message is for the user."""


@dataclass(frozen=True)
class OfficeFormat:
    """What a real file of the format has, and how messages name it."""

    main_part: str      # «word/document.xml»
    name: str           # «документ Word (.docx)»
    extension: str      # «.docx»
    whole: str          # «документа» — as in «нет основной части документа»
    name_accusative: str  # «документ Word» — as in «не удалось прочитать документ Word»


DOCX = OfficeFormat("word/document.xml", "документ Word (.docx)", ".docx", "документа", "документ Word")
XLSX = OfficeFormat("xl/workbook.xml", "книга Excel (.xlsx)", ".xlsx", "книги", "книгу Excel")


@dataclass(frozen=True)
class TableLimits:
    """How large the tables of an upload may be, measured before any parser expands them."""

    rows: int = 20_000            # the last row of a sheet, the rows of all tables of a document
    columns: int = 256            # the last column of a sheet, the grid columns of a table row
    cells: int = 200_000          # cells written, and cells a document's column spans make
    merged_ranges: int = 5_000
    merged_cells: int = 200_000   # the cells all merged ranges of a workbook cover
    shared_strings: int = 200_000


TABLE_LIMITS = TableLimits()


# --------------------------------------------------------------------------- the zip and its XML


def check_office_zip(data: bytes, office: OfficeFormat, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
    """Refuse what is not a safe Office file before any parser opens it."""
    if len(data) > max_bytes:
        raise UploadError(f"Файл больше {max_bytes // (1024 * 1024)} МБ")
    with open_office_zip(data, office) as archive:
        for member in archive.infolist():  # every member: a part's name or first bytes may lie
            if not member.is_dir() and declares_doctype(archive, member):
                raise UploadError("Файл содержит объявление DOCTYPE — такие документы не принимаются")


def open_office_zip(data: bytes, office: OfficeFormat) -> zipfile.ZipFile:
    """The upload as a zip whose members are all within the limits (names, count, sizes)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UploadError(f"Это не {office.name}: файл не открывается как {office.extension}") from None
    try:
        _check_members(archive, office)
    except BaseException:
        archive.close()
        raise
    return archive


def _check_members(archive: zipfile.ZipFile, office: OfficeFormat) -> None:
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise UploadError(f"В файле больше {MAX_MEMBERS} частей: это не похоже на обычный {office.name}")
    if office.main_part not in archive.namelist():
        raise UploadError(f"Это не {office.name}: нет основной части {office.whole}")
    total = 0
    for member in members:
        name = member.filename
        if name.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", name):
            raise UploadError("Файл содержит недопустимые пути внутри архива")
        total += member.file_size
        if member.file_size > MAX_MEMBER_UNCOMPRESSED:
            raise UploadError(f"Часть файла «{name[:80]}» после распаковки больше "
                              f"{MAX_MEMBER_UNCOMPRESSED // (1024 * 1024)} МБ (похоже на «zip-бомбу»)")
        if total > MAX_UNCOMPRESSED or member.file_size > MAX_RATIO * max(member.compress_size, 1) + 1_000_000:
            raise UploadError(f"Файл после распаковки слишком велик: больше {MAX_UNCOMPRESSED // (1024 * 1024)} МБ "
                              f"или сжат сильнее чем в {MAX_RATIO} раз (похоже на «zip-бомбу»)")


def is_xml_part(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    """Whether a member holds XML (by its first bytes, in any encoding), whatever its name says."""
    if member.is_dir():
        return False
    with archive.open(member) as stream:
        head = stream.read(4096)
    return _wide_encoding(head) is not None or head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def declares_doctype(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    """Whether the member holds a DOCTYPE in any encoding an XML parser reads (UTF-8, UTF-16, UTF-32,
    with or without a byte order mark), searched a megabyte at a time. A part that declares an
    encoding in which «<!DOCTYPE» is not one of those byte sequences (UTF-7, EBCDIC) is refused."""
    with archive.open(member) as stream:
        chunk = stream.read(_CHUNK)
        declared = _DECLARED_ENCODING.match(chunk.lstrip(b"\xef\xbb\xbf"))
        if declared and not _ASCII_COMPATIBLE.match(declared.group(1).decode("ascii")):
            raise UploadError(f"Часть файла «{member.filename[:80]}» записана в кодировке "
                              f"«{declared.group(1).decode('ascii')}» — такие файлы не принимаются")
        tail = b""
        while chunk:
            window = tail + chunk
            if _DOCTYPE.search(window):
                return True
            tail = window[-_OVERLAP:]
            chunk = stream.read(_CHUNK)
    return False


def _wide_encoding(head: bytes) -> str | None:
    return next((codec for start, codec in _WIDE_ENCODINGS if head.startswith(start)), None)


def safe_parser() -> etree.XMLParser:
    """An lxml parser that loads no DTD, expands no entity, reaches no network, builds no huge tree."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class _StartTarget:
    """An lxml parser target that hands each start tag to `on_start` and builds no tree."""

    def __init__(self, on_start: Callable[[str, dict], None]):
        self.start_tag = on_start

    def start(self, tag: str, attrib: dict) -> None:
        self.start_tag(tag.rpartition("}")[2], attrib)

    def close(self) -> None:
        return None


def stream_start_tags(archive: zipfile.ZipFile, member: zipfile.ZipInfo, on_start: Callable[[str, dict], None],
                      office: OfficeFormat) -> None:
    """Call `on_start(local name, attributes)` for every element of the part, keeping nothing in memory."""
    stream_part(archive, member, _StartTarget(on_start), office)


def stream_part(archive: zipfile.ZipFile, member: zipfile.ZipInfo, target: object, office: OfficeFormat) -> None:
    """Feed the part to an lxml parser target (its start/end/data methods), building no tree."""
    parser = etree.XMLParser(target=target, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(_CHUNK):
                parser.feed(chunk)
        parser.close()
    except etree.XMLSyntaxError:
        raise UploadError(f"Не удалось прочитать {office.name_accusative}: файл повреждён или это не "
                          f"{office.extension} (часть «{member.filename[:80]}»)") from None


# --------------------------------------------------------------------------- .xlsx


_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


def _cell_position(ref: str) -> tuple[int, int] | None:
    """«B12» → (12, 2)."""
    found = _CELL_REF.match(ref.strip())
    if not found:
        return None
    column = 0
    for letter in found.group(1).upper():
        column = column * 26 + ord(letter) - 64
    return int(found.group(2)), column


def _range_corners(ref: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    first, _, last = ref.strip().partition(":")
    start, end = _cell_position(first), _cell_position(last or first)
    if start is None or end is None:
        return None
    return (min(start[0], end[0]), min(start[1], end[1])), (max(start[0], end[0]), max(start[1], end[1]))


@dataclass
class _WorkbookMeasure:
    """Counts of a workbook's parts as they stream by; refuses at the first limit passed."""

    limits: TableLimits
    part: str = ""
    row: int = 0
    column: int = 0
    cells: int = 0
    merged: int = 0
    merged_cells: int = 0
    strings: int = 0

    def start_part(self, name: str) -> None:
        self.part, self.row, self.column = name, 0, 0

    def __call__(self, tag: str, attrib: dict) -> None:
        if tag == "c":
            self._cell(attrib.get("r") or "")
        elif tag == "row":
            self.row, self.column = _number(attrib.get("r"), self.row + 1), 0
            self._extent(self.row, 1)
        elif tag == "mergeCell":
            self._range(attrib.get("ref") or "", merged=True)
        elif tag == "dimension":
            self._range(attrib.get("ref") or "", merged=False)
        elif tag == "si":
            self.strings += 1
            if self.strings > self.limits.shared_strings:
                self._refuse(f"больше {self.limits.shared_strings} различных текстов ячеек")

    def _refuse(self, what: str) -> None:
        raise UploadError(f"Книга Excel слишком велика для плана: {what} (часть «{self.part[:80]}»)")

    def _extent(self, row: int, column: int) -> None:
        if row > self.limits.rows:
            self._refuse(f"строка {row}, а допустимо не больше {self.limits.rows} строк")
        if column > self.limits.columns:
            self._refuse(f"столбец № {column}, а допустимо не больше {self.limits.columns} столбцов")

    def _cell(self, ref: str) -> None:
        position = _cell_position(ref)
        row, self.column = position if position else (max(self.row, 1), self.column + 1)
        self._extent(row, self.column)
        self.cells += 1
        if self.cells > self.limits.cells:
            self._refuse(f"больше {self.limits.cells} заполненных ячеек")

    def _range(self, ref: str, merged: bool) -> None:
        corners = _range_corners(ref)
        if corners is None:
            return
        (top, left), (bottom, right) = corners
        self._extent(bottom, right)
        if merged:
            self.merged += 1
            self.merged_cells += (bottom - top + 1) * (right - left + 1)
            if self.merged > self.limits.merged_ranges:
                self._refuse(f"больше {self.limits.merged_ranges} объединённых диапазонов")
            if self.merged_cells > self.limits.merged_cells:
                self._refuse(f"объединённые диапазоны охватывают больше {self.limits.merged_cells} ячеек")


def _number(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def measure_xlsx(data: bytes, limits: TableLimits = TABLE_LIMITS) -> None:
    """Refuse a workbook whose sheets, cells, merged ranges or shared strings exceed `limits`.

    Every XML part is measured, whatever its name: openpyxl follows the workbook's relationships,
    which may point anywhere in the package."""
    measure = _WorkbookMeasure(limits)
    with open_office_zip(data, XLSX) as archive:
        for member in archive.infolist():
            if is_xml_part(archive, member):
                measure.start_part(member.filename)
                stream_start_tags(archive, member, measure, XLSX)


# --------------------------------------------------------------------------- .docx


_W_VAL = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val"


@dataclass
class _DocumentTablesMeasure:
    limits: TableLimits
    rows: int = 0
    row_columns: int = 0
    grid_cells: int = 0

    def __call__(self, tag: str, attrib: dict) -> None:
        if tag == "tr":
            self.rows += 1
            self.row_columns = 0
            if self.rows > self.limits.rows:
                raise UploadError(f"Таблицы документа слишком велики: больше {self.limits.rows} строк")
            return
        if tag == "tc":
            span = 1
        elif tag == "gridSpan":  # the cell itself counted one column already
            span = max(_number(attrib.get(_W_VAL), 1), 1) - 1
        elif tag == "gridBefore":
            span = max(_number(attrib.get(_W_VAL), 0), 0)
        else:
            return
        self.row_columns += span
        self.grid_cells += span
        if self.row_columns > self.limits.columns:
            raise UploadError(f"В строке таблицы документа больше {self.limits.columns} столбцов")
        if self.grid_cells > self.limits.cells:
            raise UploadError(f"Таблицы документа слишком велики: больше {self.limits.cells} ячеек")


def measure_docx_tables(data: bytes, limits: TableLimits = TABLE_LIMITS) -> None:
    """Refuse a document whose tables have too many rows, cells or spanned grid columns."""
    with open_office_zip(data, DOCX) as archive:
        stream_start_tags(archive, archive.getinfo(DOCX.main_part), _DocumentTablesMeasure(limits), DOCX)


def check_docx(data: bytes, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
    check_office_zip(data, DOCX, max_bytes)


def docx_numbered_lines(data: bytes) -> tuple[list[str], int]:
    """The paragraphs of a checked .docx with the numbers Word draws itself: a paragraph of an automatic
    list («1.», «1.1.» in numbering.xml) gets its number written in front, as it is printed; bullets and
    letters stay as text. Also returns how many tables the body holds (they are not part of the text).
    Read in a limited process."""
    from .sandbox import LimitExceeded, run_limited

    check_docx(data)
    measure_docx_tables(data)
    try:
        return run_limited(_paragraph_lines, data)
    except LimitExceeded as exc:
        raise UploadError(f"Документ не удалось прочитать в пределах ограничений ({exc.description})") from None


def _paragraph_lines(data: bytes) -> tuple[list[str], int]:
    from docx import Document

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
