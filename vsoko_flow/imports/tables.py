"""Uploaded tables (.docx, .xlsx, .csv/.tsv) read into grids of clean cell strings.

Every file is checked before a parser sees it: size first, then the zip container of
.docx/.xlsx (member count, unpacked sizes, compression ratio, member names, DOCTYPE) and the
extent of its tables, measured by streaming the XML without expanding anything — rows, columns,
cells, merged ranges and the cells they cover (`documents.uploads`) — or the bytes of a CSV
(encoding, binary garbage, rows and columns counted as they are read). Only then does
python-docx or openpyxl read the file, in a separate process with memory and time limits
(`documents.sandbox`). A refused file raises `TableImportError` whose message is for the user,
in Russian, naming the limit.

Merged cells are kept visible instead of being copied: a horizontally merged cell (Word's
gridSpan, an Excel merged range) gives its text once, in its first column, and the columns it
covers are marked ``merged_left``; a vertically merged cell (Word's vMerge, a taller Excel
range) keeps its text in the first row and the rows below are marked ``merged_up``.
"""
from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath

from vsoko_flow.safe_text import without_invisible
from vsoko_flow.documents.sandbox import LimitExceeded, run_limited
from vsoko_flow.documents.uploads import (
    DOCX, XLSX, TABLE_LIMITS, UploadError, check_office_zip, measure_docx_tables, measure_xlsx,
)

MAX_IMPORT_BYTES = 10 * 1024 * 1024
MAX_TABLE_ROWS = 5000
MAX_TABLE_COLUMNS = 64
MAX_CELL_CHARS = 100_000
# A sheet or CSV may have empty margins and a header above the table itself.
MAX_SOURCE_ROWS = TABLE_LIMITS.rows
MAX_SOURCE_COLUMNS = TABLE_LIMITS.columns

SUPPORTED_EXTENSIONS = (".docx", ".xlsx", ".csv", ".tsv")
_HEADER_HINT = "загрузите таблицу .docx, .xlsx или .csv"


class TableImportError(UploadError):
    """The upload cannot be read as a table; the message is for the user."""


@dataclass(frozen=True)
class RawRow:
    """One row of a source table, padded to the table's width."""

    index: int  # position in the source table, from 0
    cells: tuple[str, ...]
    merged_left: tuple[bool, ...]  # the cell continues a horizontally merged cell on its left
    merged_up: tuple[bool, ...]  # the cell continues a vertically merged cell above it

    @property
    def is_empty(self) -> bool:
        return not any(self.cells)

    def cell(self, column: int | None) -> str:
        if column is None or column >= len(self.cells):
            return ""
        return self.cells[column]

    def is_merged_up(self, column: int | None) -> bool:
        return column is not None and column < len(self.merged_up) and self.merged_up[column]


@dataclass(frozen=True)
class RawTable:
    """A rectangular grid of cleaned cell texts, as found in the upload."""

    index: int  # order in the file, from 0
    source: str  # "docx", "xlsx", "csv" or "memory"
    name: str  # for messages: «таблица 2», a sheet name, a file name
    rows: tuple[RawRow, ...]
    column_count: int

    @classmethod
    def from_texts(
        cls, grid: Iterable[Sequence[str | None]], *, index: int = 0, source: str = "memory", name: str = ""
    ) -> RawTable:
        """A table from plain rows of texts (cleaned here); nothing is marked merged."""
        return _build_table(
            [[(clean_cell(text or ""), False, False) for text in row] for row in grid],
            index=index, source=source, name=name or f"таблица {index + 1}",
        )


def read_table_file(data: bytes, file_name: str) -> list[RawTable]:
    """Every non-empty table of an uploaded .docx, .xlsx, .csv or .tsv file, in order."""
    extension = PurePath(file_name or "").suffix.lower()
    if extension in (".doc", ".xls", ".rtf", ".odt", ".ods"):
        raise TableImportError(
            f"Формат «{extension}» не поддерживается: откройте файл и сохраните его как .docx, .xlsx или .csv"
        )
    if extension not in SUPPORTED_EXTENSIONS:
        shown = extension or "без расширения"
        raise TableImportError(f"Формат файла «{shown}» не поддерживается: {_HEADER_HINT}")
    if len(data) > MAX_IMPORT_BYTES:
        raise TableImportError(f"Файл больше {MAX_IMPORT_BYTES // (1024 * 1024)} МБ")
    if not data:
        raise TableImportError("Файл пуст")
    if extension == ".docx":
        tables = _read_office(data, DOCX, measure_docx_tables, _read_docx)
    elif extension == ".xlsx":
        tables = _read_office(data, XLSX, measure_xlsx, _read_xlsx)
    else:
        tables = _read_delimited(data, file_name, tab=extension == ".tsv")
    tables = [table for table in tables if any(not row.is_empty for row in table.rows)]
    if not tables:
        raise TableImportError("Таблица пуста: в файле нет ни одной заполненной строки таблицы")
    return tables


def _read_office(data: bytes, office, measure, read) -> list[RawTable]:  # noqa: ANN001 - format and two functions
    """Check and measure the file here; let `read` parse it in a limited process."""
    try:
        check_office_zip(data, office, MAX_IMPORT_BYTES)
        measure(data)
    except UploadError as exc:
        raise TableImportError(str(exc)) from None
    try:
        return run_limited(read, data)
    except LimitExceeded as exc:
        raise TableImportError(f"Файл не удалось прочитать в пределах ограничений ({exc.description}): "
                               "сохраните в нём только таблицу плана и загрузите снова") from None


# ---------------------------------------------------------------------------
# Cell text


_BREAK_TAGS = re.compile(r"<\s*(?:br|/?p|/?div|/?li|/?tr)(?:\s[^<>]*)?/?\s*>", re.IGNORECASE)
_OTHER_TAGS = re.compile(r"<\s*/?\s*[a-z][a-z0-9]*(?:\s[^<>]*)?/?\s*>", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


def clean_cell(text: str) -> str:
    """Plain text of a cell: HTML leftovers removed, all whitespace (line breaks too) single spaces."""
    if "<" in text:
        text = _BREAK_TAGS.sub(" ", text)
        text = _OTHER_TAGS.sub("", text)  # Latin tag names only: «<ООО>» is text and stays
    if "&" in text:
        text = html.unescape(text)
    text = without_invisible(text)
    return _WHITESPACE.sub(" ", text).strip()


def _build_table(
    grid: list[list[tuple[str, bool, bool]]], *, index: int, source: str, name: str
) -> RawTable:
    """Pad rows to the widest one and drop empty columns at the right edge."""
    while grid and not any(text for text, _, _ in grid[-1]):
        grid.pop()
    if len(grid) > MAX_TABLE_ROWS:
        raise TableImportError(f"Таблица «{name}» слишком велика: больше {MAX_TABLE_ROWS} строк")
    width = max((len(row) for row in grid), default=0)
    while width and not any(len(row) >= width and row[width - 1][0] for row in grid):
        width -= 1
    if width > MAX_TABLE_COLUMNS:
        raise TableImportError(f"В таблице «{name}» слишком много столбцов: больше {MAX_TABLE_COLUMNS}")
    rows = []
    for number, row in enumerate(grid):
        padded = (row + [("", False, False)] * width)[:width]
        for text, _, _ in padded:
            if len(text) > MAX_CELL_CHARS:
                raise TableImportError(f"В таблице «{name}» слишком длинная ячейка (строка {number + 1})")
        rows.append(RawRow(
            index=number,
            cells=tuple(text for text, _, _ in padded),
            merged_left=tuple(left for _, left, _ in padded),
            merged_up=tuple(up for _, _, up in padded),
        ))
    return RawTable(index=index, source=source, name=name, rows=tuple(rows), column_count=width)


# ---------------------------------------------------------------------------
# .docx


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TBL, _TR, _TC, _P, _T, _TAB, _BR, _CR, _R = (
    f"{_W}{tag}" for tag in ("tbl", "tr", "tc", "p", "t", "tab", "br", "cr", "r")
)
_VAL = f"{_W}val"
_TR_PR, _TC_PR, _GRID_BEFORE, _GRID_SPAN, _V_MERGE, _H_MERGE = (
    f"{_W}{tag}" for tag in ("trPr", "tcPr", "gridBefore", "gridSpan", "vMerge", "hMerge")
)


def _read_docx(data: bytes) -> list[RawTable]:
    """(In the limited process.) The top-level tables of a checked and measured document."""
    from docx import Document

    try:
        body = Document(io.BytesIO(data)).element.body
    except Exception:  # python-docx raises many kinds on a damaged package
        raise TableImportError("Не удалось прочитать документ Word: файл повреждён или это не .docx") from None
    top_level = [tbl for tbl in body.iter(_TBL) if next(tbl.iterancestors(_TBL), None) is None]
    if not top_level:
        raise TableImportError("В документе нет таблиц: план должен быть оформлен таблицей")
    return [
        _build_table(_docx_grid(tbl), index=number, source="docx", name=f"таблица {number + 1}")
        for number, tbl in enumerate(top_level)
    ]


def _docx_grid(tbl) -> list[list[tuple[str, bool, bool]]]:
    """The table's layout grid read straight from the XML (python-docx's cell API is quadratic)."""
    grid: list[list[tuple[str, bool, bool]]] = []
    for tr in tbl.iterchildren(_TR):
        row: list[tuple[str, bool, bool]] = [("", False, False)] * _grid_number(tr.find(_TR_PR), _GRID_BEFORE, 0)
        for tc in tr.iterchildren(_TC):
            properties = tc.find(_TC_PR)
            if _continues(properties, _V_MERGE):
                cell = ("", False, True)
            elif _continues(properties, _H_MERGE):  # Word 97 style horizontal merge
                cell = ("", True, False)
            else:
                cell = (clean_cell(_docx_cell_text(tc)), False, False)
            row.append(cell)
            row.extend([("", True, cell[2])] * (_grid_number(properties, _GRID_SPAN, 1) - 1))
        grid.append(row)
    return grid


def _continues(properties, merge_tag: str) -> bool:
    merge = None if properties is None else properties.find(merge_tag)
    return merge is not None and merge.get(_VAL, "continue") == "continue"


def _grid_number(properties, tag: str, default: int) -> int:
    found = None if properties is None else properties.find(tag)
    try:
        value = int(found.get(_VAL)) if found is not None else default
    except (TypeError, ValueError):
        return default
    return min(max(value, default), MAX_TABLE_COLUMNS + 1)  # a hostile span cannot blow the row up


def _docx_cell_text(tc) -> str:
    """Text of a cell in document order: paragraphs (nested tables too), tabs and breaks as spaces."""
    parts: list[str] = []
    for element in tc.iter(_P, _T, _TAB, _BR, _CR):
        tag = element.tag
        if tag == _T:
            parts.append(element.text or "")
        elif tag == _P:
            parts.append("\n")
        elif element.getparent().tag == _R:  # w:tab also defines tab stops in w:pPr
            parts.append(" ")
    return "".join(parts)


# ---------------------------------------------------------------------------
# .xlsx


def _read_xlsx(data: bytes) -> list[RawTable]:
    """(In the limited process.) Every filled sheet of a checked and measured workbook."""
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
            workbook = load_workbook(io.BytesIO(data), read_only=False, data_only=True, keep_links=False)
    except Exception:  # openpyxl raises many kinds on a damaged workbook
        raise TableImportError("Не удалось прочитать книгу Excel: файл повреждён или это не .xlsx") from None
    tables = []
    for sheet in workbook.worksheets:
        if sheet.max_row > MAX_SOURCE_ROWS or sheet.max_column > MAX_SOURCE_COLUMNS:
            raise TableImportError(f"Лист «{sheet.title}» слишком велик для плана")
        grid = _sheet_grid(sheet)
        if any(text for row in grid for text, _, _ in row):
            tables.append(_build_table(grid, index=len(tables), source="xlsx", name=f"лист «{sheet.title}»"))
    if not tables:
        raise TableImportError("В книге нет заполненных листов")
    return tables


def _sheet_grid(sheet) -> list[list[tuple[str, bool, bool]]]:
    grid = [
        [(clean_cell(_excel_text(value)), False, False) for value in values]
        for values in sheet.iter_rows(values_only=True)
    ]
    for merged in sheet.merged_cells.ranges:
        for row in range(merged.min_row, min(merged.max_row, len(grid)) + 1):
            for column in range(merged.min_col, merged.max_col + 1):
                if (row, column) == (merged.min_row, merged.min_col) or column > len(grid[row - 1]):
                    continue
                grid[row - 1][column - 1] = ("", row == merged.min_row, row > merged.min_row)
    return grid


def _excel_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Да" if value else "Нет"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y") if value.time() == dt.time() else value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    return str(value)


# ---------------------------------------------------------------------------
# .csv / .tsv


_DELIMITERS = (";", "\t", ",")  # preference on a tie: Russian Excel writes «;»
_SNIFF_LINES = 50


def _read_delimited(data: bytes, file_name: str, *, tab: bool) -> list[RawTable]:
    text = _decode(data)
    delimiter = "\t" if tab else _guess_delimiter(text)
    name = PurePath(file_name).name or "CSV"
    grid = []
    try:  # csv's own field limit (128 KiB) stops a runaway quote; MAX_CELL_CHARS is checked below
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            # Counted before any cell is built: 10 MB of «;» would be ten million cells.
            if len(grid) >= MAX_SOURCE_ROWS:
                raise TableImportError(f"Таблица «{name}» слишком велика: больше {MAX_SOURCE_ROWS} строк")
            if len(row) > MAX_SOURCE_COLUMNS:
                raise TableImportError(f"В таблице «{name}» слишком много столбцов: больше {MAX_SOURCE_COLUMNS}")
            grid.append([(clean_cell(value), False, False) for value in row])
    except csv.Error:
        raise TableImportError("Не удалось разобрать CSV: проверьте кавычки и разделители") from None
    return [_build_table(grid, index=0, source="csv", name=name)]


_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1251; binary data is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates: tuple[str, ...] = ("utf-16",)  # Excel's «Текст Юникод»
    else:
        controls = len(_CONTROL_BYTES.findall(data))
        if b"\x00" in data or controls > max(2, len(data) // 200):
            raise TableImportError("Файл не похож на текстовую таблицу CSV: в нём двоичные данные")
        candidates = ("utf-8-sig",) if data.startswith(b"\xef\xbb\xbf") else ("utf-8", "cp1251")
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableImportError(
        "Не удалось определить кодировку файла: сохраните таблицу в CSV (UTF-8) или в кодировке Windows-1251"
    )


def _guess_delimiter(text: str) -> str:
    """The delimiter that splits the most lines into the same number (>1) of fields."""
    sample_lines = [line for line in text.splitlines() if line.strip()][:_SNIFF_LINES]
    sample = "\n".join(sample_lines)
    best, best_score = _DELIMITERS[0], (-1, -1)
    for delimiter in _DELIMITERS:
        try:
            counts = [len(row) for row in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)]
        except csv.Error:
            continue
        counts = [count for count in counts if count > 1]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        score = (counts.count(mode), mode)
        if score > best_score:
            best, best_score = delimiter, score
    return best
