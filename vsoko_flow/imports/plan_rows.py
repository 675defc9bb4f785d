"""Plans read from raw tables: header, columns, sections, items and continuation lines.

`parse_plan(tables, school_year)` finds the header row by its Russian headings, maps the
columns to canonical keys and walks the rows.  Every non-empty row of the plan's tables
becomes exactly one of:

* **header** — the header row, a header repeated on a new page, or a title row above it;
* **section** — a row with one text only (one cell, a cell spanning the row, or every cell
  equal) that is not the tail of the item above: «1. Организационно-…», «Качество условий…»;
* **item** — a row that starts a new plan item;
* **continuation** — a row that adds lines to the item above: the number and the main text
  are empty and the row has nothing of its own to be controlled (seed 001's extra indicator
  lines), or its text continues a sentence cut by a page break (it starts in lower case).

A row whose main text is empty but which has its own responsible or deadline is a new item
with the main text of the item above (a vertically merged cell written out as empty cells).
Item numbers are checked against the sequence: an empty or mangled number («S», «l», «О»,
«2,1») is replaced by the expected one with a warning; trailing dots («1.1.») are only style.
Tables whose № column numbers meetings or years (seed 003: «№ | Уровень | Дата | Формулировка
решения | …») are *grouped*: a filled group cell starts a section and the items take their
numbers from the beginning of their text («1. Доработать…»).

`ImportedPlan.row_accounting` lists the outcome of every source row, so no row can be lost:
source rows = header + section + item + continuation + empty rows.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from vsoko_flow.deadlines.phrases import Kind, parse_deadline
from vsoko_flow.deadlines.school_year import SchoolYear
from vsoko_flow.imports.responsible import Person, Position, resolve_responsible
from vsoko_flow.imports.tables import RawRow, RawTable, TableImportError

HEADER_NOT_FOUND = (
    "Не найдена строка заголовков: ожидаются столбцы вроде «Мероприятия», «Ответственный», «Срок»"
)
HEADER_SCAN_ROWS = 20


class PlanShape(StrEnum):
    FUNCTIONING = "functioning"  # seed 001 §7: object, criteria, indicators, responsible, deadline, format
    ACTIVITY = "activity"  # seed 000: activity, responsible, indicator/result, deadline
    ROADMAP = "roadmap"  # seeds 001, 002, 004: activity, deadline, executors, expected result
    DECISIONS = "decisions"  # seed 003: body, date, decision, deadline, responsible
    MEASURES = "measures"  # seed 003: school year, measure, class, subject, teacher


class RowKind(StrEnum):
    HEADER = "header"
    SECTION = "section"
    ITEM = "item"
    CONTINUATION = "continuation"
    EMPTY = "empty"


# Canonical column keys and the headings that name them.  Order matters: the first rule
# that matches wins («Действия по реализации мероприятий (исполнители)» names executors).
_HEADING_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (key, re.compile(pattern))
    for key, pattern in (
        ("number", r"^(?:№|n|no|номер)(?: ?п ?/ ?п| пункта| п\.? ?п\.?)?$|^п ?/ ?п$"),
        ("responsible", r"ответствен|исполнител|^учител"),
        ("deadline", r"^сроки?\b|\bсроки?\b|^дата исполнения|^период(?:ичность)? (?:проведения|исполнения)"),
        ("object", r"объект|предмет всоко"),
        ("criteria", r"критери"),
        ("indicators", r"показател"),
        ("document_format", r"формат|^форма (?:документа|отчет|представлен)|^(?:вид |итоговый )?документ"),
        ("result", r"результат|индикатор"),
        ("body", r"^уровень|орган\b|^вид (?:совещания|заседания)|коллегиальн"),
        ("meeting_date", r"^дата(?: (?:проведения|заседания|совещания))?$"),
        ("school_year", r"учебный год"),
        ("grade", r"^класс(?:ы)?$|^параллел"),
        ("subject", r"^(?:учебный )?предмет(?:ы)?$"),
        ("activity", r"мероприяти|содержание (?:деятельности|работы)|формулировк|решени|наименование"
                     r"|^вид(?:ы)? (?:деятельности|работ)|направлени|^задач|^действи|^работ"),
    )
)
FIELD_KEYS = tuple(key for key, _ in _HEADING_RULES)
_MAIN_KEYS = ("activity", "object")
_GROUP_KEYS = ("body", "meeting_date", "school_year")
_MAIN_LABEL = {"activity": "текст мероприятия", "object": "объект оценки"}

_NUMBER = re.compile(r"^\d{1,3}(?:\.\d{1,3}){0,3}$")
_MANGLED = str.maketrans({
    "S": "5", "s": "5", "l": "1", "I": "1", "i": "1", "|": "1", "!": "1",
    "О": "0", "O": "0", "о": "0", "o": "0", "З": "3", "з": "3", "б": "6", "Б": "6", ",": ".",
})
_SECTION_NUMBER = re.compile(
    r"^(?:(?P<number>\d{1,2}(?:\.\d{1,2})*)(?:\.\s*|\)\s*|\s+)|(?P<roman>[IVXLІХ]{1,7})(?:\.\s*|\)\s*))"
    r"(?P<title>[^\d\s.].*)$"
)
_TEXT_NUMBER = re.compile(r"^(?P<number>\d{1,3})\s*[.)](?:\s+|$)(?P<rest>.*)$")
_SHORT_WORDS = frozenset({"по", "в", "во", "и", "с", "со", "на", "для", "к", "о", "об", "от", "из", "при", "за"})


@dataclass(frozen=True)
class Column:
    index: int
    heading: str
    key: str | None  # None: no canonical key; the values go to `extra` under the heading

    @property
    def label(self) -> str:
        return self.heading or f"столбец {self.index + 1}"


@dataclass(frozen=True)
class SourceRef:
    table: int
    row: int

    def to_dict(self) -> dict[str, int]:
        return {"table": self.table, "row": self.row}


@dataclass
class ImportedSection:
    index: int
    number: str | None
    title: str
    origin: str  # "row" (a section row), "group" (group cells of a grouped table), "implicit"
    source: SourceRef | None
    fields: dict[str, str] = field(default_factory=dict)  # group values: body, meeting_date, …

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "number": self.number, "title": self.title, "origin": self.origin,
                "source": self.source.to_dict() if self.source else None, "fields": dict(self.fields)}


@dataclass
class ImportedItem:
    index: int
    section_index: int
    number: str  # as repaired: «5», «2.12»
    number_written: str | None  # as in the file; None when the table has no number for it
    fields: dict[str, str]  # canonical key → text (continuation lines joined with "\n")
    main_key: str  # "activity", or "object" in a plan of functioning
    extra: dict[str, str]  # heading → text, for columns without a canonical key
    source: SourceRef
    section_number: str | None = None
    section_title: str = ""
    full_number: str = ""
    continuation_sources: list[SourceRef] = field(default_factory=list)
    schedule: dict[str, Any] | None = None
    responsible_match: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    fingerprint: str = ""

    @property
    def main_text(self) -> str:
        """What the item is: the activity (or the object of assessment)."""
        return self.fields.get(self.main_key, "")

    @property
    def responsible(self) -> str:
        return self.fields.get("responsible", "")

    @property
    def deadline(self) -> str:
        return self.fields.get("deadline", "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index, "section_index": self.section_index, "section_number": self.section_number,
            "section_title": self.section_title, "number": self.number, "number_written": self.number_written,
            "full_number": self.full_number, "main_key": self.main_key, "fields": dict(self.fields),
            "extra": dict(self.extra),
            "schedule": self.schedule, "responsible_match": self.responsible_match,
            "warnings": list(self.warnings), "source": self.source.to_dict(),
            "continuation_sources": [ref.to_dict() for ref in self.continuation_sources],
            "fingerprint": self.fingerprint,
        }


@dataclass(frozen=True)
class RowOutcome:
    source: SourceRef
    kind: RowKind
    section: int | None = None  # index of the section the row made or belongs to
    item: int | None = None  # index of the item the row made or continued


@dataclass(frozen=True)
class RowAccounting:
    source_rows: int
    header_rows: int
    section_rows: int
    item_rows: int
    continuation_rows: int
    empty_rows: int
    outcomes: tuple[RowOutcome, ...]

    @property
    def balanced(self) -> bool:
        """Every source row is accounted for exactly once."""
        classified = self.header_rows + self.section_rows + self.item_rows + self.continuation_rows + self.empty_rows
        sources = {outcome.source for outcome in self.outcomes}
        return classified == self.source_rows == len(self.outcomes) == len(sources)

    def to_dict(self) -> dict[str, Any]:
        return {"source_rows": self.source_rows, "header_rows": self.header_rows,
                "section_rows": self.section_rows, "item_rows": self.item_rows,
                "continuation_rows": self.continuation_rows, "empty_rows": self.empty_rows,
                "balanced": self.balanced}


@dataclass
class ImportedPlan:
    shape: PlanShape
    school_year: str
    columns: tuple[Column, ...]
    sections: list[ImportedSection]
    items: list[ImportedItem]
    row_accounting: RowAccounting
    table_indexes: tuple[int, ...]  # the source tables that make this plan
    title: str = ""  # rows above the header inside the table
    warnings: list[str] = field(default_factory=list)
    fingerprint: str = ""

    def items_of(self, section_index: int) -> list[ImportedItem]:
        return [item for item in self.items if item.section_index == section_index]

    def to_dict(self) -> dict[str, Any]:
        return {
            "shape": str(self.shape), "school_year": self.school_year, "title": self.title,
            "columns": [{"index": c.index, "heading": c.heading, "key": c.key} for c in self.columns],
            "sections": [section.to_dict() for section in self.sections],
            "items": [item.to_dict() for item in self.items],
            "row_accounting": self.row_accounting.to_dict(), "table_indexes": list(self.table_indexes),
            "warnings": list(self.warnings), "fingerprint": self.fingerprint,
        }


# ---------------------------------------------------------------------------
# Public functions


def parse_plans(
    tables: Sequence[RawTable], school_year: str | SchoolYear, positions: Sequence[Position] | None = None,
    people: Sequence[Person] = (),
) -> list[ImportedPlan]:
    """Every plan in the tables: a table with a header, with the headerless tables that continue it."""
    year = school_year if isinstance(school_year, SchoolYear) else SchoolYear.parse(school_year)
    groups: list[tuple[_Header, list[RawTable]]] = []
    ignored: list[RawTable] = []
    for table in tables:
        header = _find_header(table)
        if header is not None:
            groups.append((header, [table]))
        elif groups and groups[-1][1][-1].column_count == table.column_count and _is_next(groups[-1][1], table):
            groups[-1][1].append(table)  # Word splits a table at a paragraph or a page; the header stays above
        else:
            ignored.append(table)
    if not groups:
        raise TableImportError(HEADER_NOT_FOUND)
    plans = [_PlanBuilder(header, members, year, positions, people).build() for header, members in groups]
    for table in ignored:
        filled = sum(1 for row in table.rows if not row.is_empty)
        plans[0].warnings.append(
            f"Таблица «{table.name}» без строки заголовков не импортирована (заполненных строк: {filled})"
        )
    if len(plans) > 1:
        for number, plan in enumerate(plans):
            others = ", ".join(str(other.table_indexes[0] + 1) for other in plans if other is not plan)
            plan.warnings.append(
                f"Таблиц-планов в файле: {len(plans)}; эта — №{number + 1}, другие начинаются в таблицах {others}"
            )
    return plans


def parse_plan(
    tables: Sequence[RawTable],
    school_year: str | SchoolYear,
    positions: Sequence[Position] | None = None,
    *,
    plan_index: int = 0,
    people: Sequence[Person] = (),
) -> ImportedPlan:
    """The plan in the tables (the first one, or `plan_index`, when the file holds several); «Ответственный»
    is matched to `positions` and, by name, to `people`."""
    plans = parse_plans(tables, school_year, positions, people)
    if not 0 <= plan_index < len(plans):
        raise TableImportError(f"Таблиц-планов в файле: {len(plans)}, а запрошена №{plan_index + 1}")
    return plans[plan_index]


def heading_key(text: str) -> str | None:
    """The canonical key a column heading names, or None."""
    words = _normal_heading(text)
    if not words:
        return None
    for key, pattern in _HEADING_RULES:
        if pattern.search(words):
            return key
    return None


_ROMAN_DIGITS = {"I": 1, "V": 5, "X": 10, "L": 50}
_ROMAN = re.compile(r"^(?=[IVXL])L?X{0,3}(?:IX|IV|V?I{0,3})$")


def roman_value(text: str) -> int | None:
    """«IV» → 4, «XII» → 12 (Latin capitals, as section numbers are written); None for anything else."""
    letters = (text or "").strip().rstrip(".").upper().translate(str.maketrans("ІХ", "IX"))
    if not letters or not _ROMAN.match(letters):
        return None
    values = [_ROMAN_DIGITS[letter] for letter in letters]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def _roman_written(text: str | None) -> str | None:
    """«II», «II.» in a number cell: the section number as written (Latin letters); None otherwise."""
    cleaned = (text or "").strip().rstrip(".)").translate(str.maketrans("ІХ", "IX"))
    return cleaned if cleaned.isupper() and roman_value(cleaned) else None  # «l» is a mangled «1», not fifty


def section_prefix(number: str | None) -> str | None:
    """The prefix of a section's rows: «2» for «2», «2» for «II» (rows are numbered 2.1, 2.2 under «II.»)."""
    value = roman_value(number or "")
    return str(value) if value else number


def item_fingerprint(section_number: str | None, section_title: str, number: str, text: str) -> str:
    """Stable across imports of the same file: section, number and text, normalised."""
    basis = "\x1f".join((section_number or "", _normal_text(section_title), number, _normal_text(text)))
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------
# Header


@dataclass(frozen=True)
class _Header:
    table_index: int
    row_index: int
    columns: tuple[Column, ...]

    def column(self, key: str) -> int | None:
        return next((column.index for column in self.columns if column.key == key), None)

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(column.key for column in self.columns if column.key)


def _normal_heading(text: str) -> str:
    words = text.lower().replace("ё", "е")
    words = re.sub(r"[^\w№/ ]+", " ", words)
    return " ".join(words.split())


def _normal_text(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.lower().replace("ё", "е")).split())


def _header_keys(row: RawRow) -> list[str | None]:
    return [heading_key(text) for text in row.cells]


def _looks_like_header(keys: list[str | None]) -> bool:
    found = {key for key in keys if key}
    return len(found) >= 2 and bool(found & set(_MAIN_KEYS))


def _find_header(table: RawTable) -> _Header | None:
    best: tuple[int, int] | None = None  # (score, row)
    for row in table.rows[:HEADER_SCAN_ROWS]:
        keys = _header_keys(row)
        if not _looks_like_header(keys):
            continue
        score = len({key for key in keys if key})
        if best is None or score > best[0]:
            best = (score, row.index)
    if best is None:
        return None
    row = table.rows[best[1]]
    columns = _map_columns(row, table)
    return _Header(table.index, row.index, columns)


def _map_columns(header: RawRow, table: RawTable) -> tuple[Column, ...]:
    used: set[str] = set()
    columns = []
    for index, text in enumerate(header.cells):
        key = heading_key(text)
        if key in used:
            key = None  # a second column with the same meaning keeps its own heading
        if key:
            used.add(key)
        columns.append(Column(index, text, key))
    if "number" not in used:
        guessed = _guess_number_column(table, header.index, columns)
        if guessed is not None:
            columns[guessed] = Column(guessed, columns[guessed].heading, "number")
    return tuple(columns)


def _guess_number_column(table: RawTable, header_row: int, columns: list[Column]) -> int | None:
    """A column without a heading whose values are mostly item numbers (seed 000)."""
    for column in columns:
        if column.heading or column.key:
            continue
        values = [row.cells[column.index] for row in table.rows[header_row + 1:] if row.cells[column.index]]
        numbers = sum(1 for value in values if _number_like(value))
        if values and numbers * 2 >= len(values):
            return column.index
    return None


def _number_like(text: str) -> bool:
    cleaned = text.strip().lstrip("№").strip().rstrip(".)").replace(" ", "")
    return bool(cleaned) and len(cleaned) <= 12 and bool(_NUMBER.match(cleaned.translate(_MANGLED)))


def _is_next(members: list[RawTable], table: RawTable) -> bool:
    return table.index == members[-1].index + 1 and table.source == members[-1].source


# ---------------------------------------------------------------------------
# Walking the rows


class _PlanBuilder:
    def __init__(
        self, header: _Header, tables: list[RawTable], school_year: SchoolYear, positions: Sequence[Position] | None,
        people: Sequence[Person] = (),
    ) -> None:
        self.header = header
        self.tables = tables
        self.school_year = school_year
        self.positions = positions
        self.people = tuple(people)
        self.columns = header.columns
        self.number_col = header.column("number")
        self.main_key = next((key for key in _MAIN_KEYS if key in header.keys), "activity")
        self.main_col = header.column(self.main_key)
        self.group_cols = [column.index for column in self.columns if column.key in _GROUP_KEYS]
        self.grouped = bool(self.group_cols) and self.number_col is not None
        self.hierarchical = self._numbers_are_hierarchical()
        self.sections: list[ImportedSection] = []
        self.items: list[ImportedItem] = []
        self.items_by_section: dict[int, list[ImportedItem]] = {}
        self.outcomes: list[RowOutcome] = []
        self.title_lines: list[str] = []
        self.warnings: list[str] = []

    # --- the walk

    def build(self) -> ImportedPlan:
        header_keys = _header_keys(self.tables[0].rows[self.header.row_index])
        for table in self.tables:
            first = self.header.row_index if table.index == self.header.table_index else -1
            for row in table.rows:
                ref = SourceRef(table.index, row.index)
                if row.index < first:
                    self._record(ref, RowKind.HEADER if not row.is_empty else RowKind.EMPTY)
                    if not row.is_empty:
                        self.title_lines.append(" ".join(dict.fromkeys(text for text in row.cells if text)))
                elif row.index == first or (not row.is_empty and _same_header(row, header_keys)):
                    self._record(ref, RowKind.HEADER)
                elif row.is_empty:
                    self._record(ref, RowKind.EMPTY)
                elif self.grouped:
                    self._grouped_row(row, ref)
                else:
                    self._row(row, ref)
        return self._finish()

    def _row(self, row: RawRow, ref: SourceRef) -> None:
        texts = [(index, text) for index, text in enumerate(row.cells) if text]
        number, main = row.cell(self.number_col), row.cell(self.main_col)
        if _roman_written(number) and main and len(texts) == 2 and not self._has_own_control(row):
            self._new_section(f"{_roman_written(number)}. {main}", ref)  # «I | Оценка качества …»
            return
        current = self.items[-1] if self.items and self.items[-1].section_index == self._section_index() else None
        if len({text for _, text in texts}) == 1:
            index, text = texts[0]
            spanning = len(texts) > 1 or any(row.merged_left[index + 1:])
            if index == self.number_col and not spanning and _number_like(text):
                self._new_item(row, ref)
            elif current and not spanning and _starts_lower(text):
                self._continue(current, row, ref)
            elif current and not spanning and index not in (self.number_col, self.main_col):
                self._continue(current, row, ref)
            else:
                self._new_section(text, ref)
            return
        if not number and not main:
            if current is None:
                self._new_item(row, ref)
            elif row.is_merged_up(self.main_col) and self._has_own_control(row):
                self._new_item(row, ref)  # the main cell is merged with the one above
            elif any(_starts_lower(text) for _, text in texts) or not self._has_own_control(row):
                self._continue(current, row, ref)
            else:
                self._new_item(row, ref, inherit_from=current)
        elif not number and current and _starts_lower(main):
            self._continue(current, row, ref)
        else:
            self._new_item(row, ref)

    def _grouped_row(self, row: RawRow, ref: SourceRef) -> None:
        group_cells = [self.number_col, *self.group_cols]
        group_texts = [row.cells[index] for index in group_cells if row.cells[index] and not row.merged_up[index]]
        rest = [
            (index, text) for index, text in enumerate(row.cells) if text and index not in group_cells
        ]
        if group_texts:
            self._new_group(row, ref, item_follows=bool(rest))
            if rest:  # the group row also holds the group's first item
                self._new_item(row, ref)
            return
        texts = [(index, text) for index, text in enumerate(row.cells) if text]
        spanning = len({text for _, text in texts}) == 1 and (
            len(texts) > 1 or any(row.merged_left[texts[0][0] + 1:])
        )
        current = self.items[-1] if self.items and self.items[-1].section_index == self._section_index() else None
        main = row.cell(self.main_col)
        if spanning:
            self._new_section(texts[0][1], ref)
        elif current and not _TEXT_NUMBER.match(main) and (
            _starts_lower(main) or (not main and (any(_starts_lower(t) for _, t in texts)
                                                 or not self._has_own_control(row)))
        ):
            self._continue(current, row, ref)
        else:
            self._new_item(row, ref)

    # --- sections

    def _section_index(self) -> int | None:
        return self.sections[-1].index if self.sections else None

    def _new_section(self, text: str, ref: SourceRef) -> None:
        match = _SECTION_NUMBER.match(text)
        number = (match.group("number") or _roman_written(match.group("roman"))) if match else None
        title = match.group("title").strip() if match and number else text
        self.sections.append(ImportedSection(len(self.sections), number, title, "row", ref))
        self._record(ref, RowKind.SECTION, section=self.sections[-1].index)

    def _new_group(self, row: RawRow, ref: SourceRef, *, item_follows: bool) -> None:
        written = row.cell(self.number_col)
        previous = next((s.number for s in reversed(self.sections) if s.origin == "group" and s.number), None)
        expected = _next_number(previous, None, hierarchical=False)
        number, warning = _repair_number(written, expected)
        values = {self.columns[index].key or self.columns[index].label: row.cells[index] for index in self.group_cols}
        title = ", ".join(value for value in values.values() if value) or f"№ {number}"
        section = ImportedSection(len(self.sections), number, title, "group", ref, values)
        self.sections.append(section)
        if warning:
            self.warnings.append(f"Группа «{title}»: {warning}")
        if not item_follows:
            self._record(ref, RowKind.SECTION, section=section.index)

    def _ensure_section(self) -> ImportedSection:
        if not self.sections:
            self.sections.append(ImportedSection(0, None, "", "implicit", None))
        return self.sections[-1]

    # --- items

    def _new_item(
        self,
        row: RawRow,
        ref: SourceRef,
        *,
        inherit_from: ImportedItem | None = None,
    ) -> None:
        """A new item; `inherit_from` lends its main text when the row has none (a guess: warned)."""
        section = self._ensure_section()
        siblings = self.items_by_section.setdefault(section.index, [])
        fields: dict[str, str] = {}
        extra: dict[str, str] = {}
        for column in self.columns:
            text = row.cells[column.index]
            if column.key == "number" or (self.grouped and column.index in self.group_cols):
                continue
            if column.key:
                fields[column.key] = text
            elif text:
                extra[column.label] = text
        warnings: list[str] = []
        number, written = self._item_number(row, fields, siblings, section, warnings)
        merged = siblings[-1] if siblings and row.is_merged_up(self.main_col) else None
        if (merged or inherit_from) is not None and not fields.get(self.main_key):
            fields[self.main_key] = (merged or inherit_from).fields.get(self.main_key, "")
            if merged is None:  # an empty cell, not a merged one: say so
                warnings.append(f"{_MAIN_LABEL[self.main_key]} не указан — взят из строки выше")
        if self.grouped:
            fields.update({key: value for key, value in section.fields.items() if key in _GROUP_KEYS})
        if not fields.get(self.main_key):
            warnings.append(f"не указан {_MAIN_LABEL[self.main_key]}")
        item = ImportedItem(
            index=len(self.items), section_index=section.index, number=number, number_written=written,
            fields=fields, main_key=self.main_key, extra=extra, source=ref, warnings=warnings,
        )
        self.items.append(item)
        siblings.append(item)
        self._record(ref, RowKind.ITEM, section=section.index, item=item.index)

    def _item_number(
        self,
        row: RawRow,
        fields: dict[str, str],
        siblings: list[ImportedItem],
        section: ImportedSection,
        warnings: list[str],
    ) -> tuple[str, str | None]:
        previous = siblings[-1].number if siblings else None
        expected = _next_number(previous, section_prefix(section.number), hierarchical=self.hierarchical)
        if self.grouped:
            match = _TEXT_NUMBER.match(fields.get(self.main_key, ""))
            if match is None:
                return expected, None
            fields[self.main_key] = match.group("rest").strip()
            written = match.group(0)[: match.start("rest")].strip()
            number, warning = _repair_number(written, expected)
            if warning:
                warnings.append(warning)
            return number, written
        if self.number_col is None:
            return expected, None
        written = row.cells[self.number_col]
        number, warning = _repair_number(written, expected)
        if warning:
            warnings.append(warning)
        return number, written

    def _continue(self, item: ImportedItem, row: RawRow, ref: SourceRef) -> None:
        for column in self.columns:
            text = row.cells[column.index]
            if not text:
                continue
            key = self.main_key if column.key == "number" else column.key  # a line written from the first column
            if key:
                item.fields[key] = _glue(item.fields.get(key, ""), text)
            else:
                item.extra[column.label] = _glue(item.extra.get(column.label, ""), text)
        item.continuation_sources.append(ref)
        self._record(ref, RowKind.CONTINUATION, section=item.section_index, item=item.index)

    def _has_own_control(self, row: RawRow) -> bool:
        """The row names its own responsible or deadline: something to control on its own."""
        return any(
            row.cells[column.index] for column in self.columns if column.key in ("responsible", "deadline")
        )

    def _numbers_are_hierarchical(self) -> bool:
        if self.number_col is None or self.grouped:
            return False
        dotted = plain = 0
        for table in self.tables:
            for row in table.rows:
                text = row.cell(self.number_col)
                if _number_like(text):
                    cleaned = text.strip().rstrip(".)").translate(_MANGLED)
                    dotted, plain = (dotted + 1, plain) if "." in cleaned else (dotted, plain + 1)
        return dotted > plain

    def _record(self, ref: SourceRef, kind: RowKind, *, section: int | None = None, item: int | None = None) -> None:
        self.outcomes.append(RowOutcome(ref, kind, section, item))

    # --- finishing

    def _finish(self) -> ImportedPlan:
        keys = {column.key for column in self.columns}
        seen: dict[str, int] = {}
        for item in self.items:
            section = self.sections[item.section_index]
            item.section_number, item.section_title = section.number, section.title
            item.full_number = _full_number(section, item, self.sections)
            self._schedule(item, "deadline" in keys)
            self._responsible(item, "responsible" in keys)
            base = item_fingerprint(section.number, section.title, item.number, item.main_text)
            seen[base] = seen.get(base, 0) + 1
            item.fingerprint = base if seen[base] == 1 else item_fingerprint(
                section.number, section.title, f"{item.number}#{seen[base]}", item.main_text
            )
        if "deadline" not in keys:
            self.warnings.append("В таблице нет столбца «Срок»: сроки нужно указать вручную")
        if "responsible" not in keys:
            self.warnings.append("В таблице нет столбца «Ответственный»: ответственных нужно указать вручную")
        for section in self.sections:
            if section.origin == "row" and not self.items_by_section.get(section.index):
                self.warnings.append(f"Раздел «{section.title}» без мероприятий")
        counts = {kind: sum(1 for outcome in self.outcomes if outcome.kind is kind) for kind in RowKind}
        accounting = RowAccounting(
            source_rows=sum(len(table.rows) for table in self.tables),
            header_rows=counts[RowKind.HEADER], section_rows=counts[RowKind.SECTION],
            item_rows=counts[RowKind.ITEM], continuation_rows=counts[RowKind.CONTINUATION],
            empty_rows=counts[RowKind.EMPTY], outcomes=tuple(self.outcomes),
        )
        plan = ImportedPlan(
            shape=self._shape(keys), school_year=self.school_year.label, columns=self.columns,
            sections=self.sections, items=self.items, row_accounting=accounting,
            table_indexes=tuple(table.index for table in self.tables), title=" ".join(self.title_lines),
            warnings=self.warnings,
        )
        plan.fingerprint = hashlib.sha256("\n".join(item.fingerprint for item in self.items).encode()).hexdigest()
        return plan

    def _schedule(self, item: ImportedItem, has_column: bool) -> None:
        if not has_column:
            return
        text = item.fields.get("deadline", "")
        schedule = parse_deadline(text, self.school_year)
        item.schedule = schedule.to_dict()
        if not text:
            item.warnings.append("срок не указан")
        elif schedule.kind is Kind.UNRESOLVED:
            item.warnings.append(f"срок не распознан: «{text}»")
        else:
            item.warnings.extend(f"срок: {message}" for message in schedule.attention)

    def _responsible(self, item: ImportedItem, has_column: bool) -> None:
        if not has_column:
            return
        text = item.fields.get("responsible", "")
        if not text:
            item.warnings.append("ответственный не указан")
            return
        if self.positions is None:
            return
        match = resolve_responsible(text, self.positions, self.people)
        item.responsible_match = match.to_dict()
        item.warnings.extend(match.warnings)

    def _shape(self, keys: set[str | None]) -> PlanShape:
        if keys & {"body", "meeting_date"}:
            return PlanShape.DECISIONS
        if keys & {"object", "criteria", "indicators"}:
            return PlanShape.FUNCTIONING
        if keys & {"school_year", "grade", "subject"}:
            return PlanShape.MEASURES
        result = next((c.heading for c in self.columns if c.key == "result"), "")
        if "индикатор" in result.lower():
            return PlanShape.ACTIVITY
        return PlanShape.ROADMAP


# ---------------------------------------------------------------------------
# Small helpers


def _same_header(row: RawRow, header_keys: list[str | None]) -> bool:
    """A header repeated on a later page: every filled cell names the same column as the header."""
    matched = 0
    for index, text in enumerate(row.cells):
        if not text:
            continue
        key = heading_key(text)
        if key is None or index >= len(header_keys) or header_keys[index] != key:
            return False
        matched += 1
    return matched >= 2


def _starts_lower(text: str) -> bool:
    """Text cut by a page break goes on in lower case: «обеспеченности учебниками…»."""
    for char in text:
        if char.isalpha():
            return char.islower()
        if char.isdigit():
            return False
    return False


def _glue(previous: str, addition: str) -> str:
    """Join a continuation: a cut sentence goes on after a space, a new line after a line break."""
    if not previous:
        return addition
    last_word = previous.rsplit(None, 1)[-1].lower()
    if _starts_lower(addition) or previous.endswith((",", "-", "–", "(")) or last_word in _SHORT_WORDS:
        return f"{previous} {addition}"
    return f"{previous}\n{addition}"


def _next_number(previous: str | None, section_number: str | None, *, hierarchical: bool) -> str:
    if previous:
        head, _, last = previous.rpartition(".")
        return f"{head}.{int(last) + 1}" if head else str(int(last) + 1)
    if hierarchical and section_number:
        return f"{section_number}.1"
    return "1"


def _repair_number(written: str, expected: str) -> tuple[str, str | None]:
    """The item number as it should be, and a warning when it had to be repaired."""
    raw = written.strip()
    if not raw:
        return expected, f"номер восстановлен: (пусто) → {expected}"
    cleaned = raw.lstrip("№").strip().rstrip(".)").replace(" ", "")
    if _NUMBER.match(cleaned):
        if cleaned != expected:
            return cleaned, f"номер не по порядку: ожидался {expected}, указан {cleaned}"
        return cleaned, None
    mapped = cleaned.translate(_MANGLED)
    number = mapped if _NUMBER.match(mapped) and mapped == expected else expected
    return number, f"номер восстановлен: {raw} → {number}"


def _full_number(section: ImportedSection, item: ImportedItem, sections: list[ImportedSection]) -> str:
    """«1.5» for item 5 of section 1; sections without numbers count by their order."""
    if "." in item.number:
        return item.number
    if section.number:
        return f"{section_prefix(section.number)}.{item.number}"
    if item.number_written is None and section.origin != "implicit":  # the numbers are ours
        ordinal = 1 + sum(1 for other in sections[: section.index] if other.origin == section.origin)
        return f"{ordinal}.{item.number}"
    return item.number
