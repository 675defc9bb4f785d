"""Plan tables as test data: rows as a school writes them, built into real files (.docx with
merged cells, .csv in windows-1251 or UTF-8 with BOM, .xlsx), imported, and checked row by row.

A `Table` is what a school's document holds: pieces of one Word table (a paragraph or a page
break between them), rows of cell texts, section rows written as one cell spanning the table,
and — in a decisions register — the meeting's cells merged down over its decisions. The
project's own tables are in `tests/data/plans.py`; `test_import_seeds` reads the same shapes
from the real documents when they are beside the project. The `check_*` functions are the
row-by-row checks both apply to every table in every format.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from docx import Document
from openpyxl import Workbook

from vsoko_flow.deadlines.phrases import parse_deadline
from vsoko_flow.imports import (
    TYPICAL_SCHOOL_POSITIONS,
    ImportedItem,
    ImportedPlan,
    PlanShape,
    Position,
    RowKind,
    parse_plan,
    parse_plans,
    read_table_file,
)

MAIN_HEADINGS = ("Мероприят", "Наименование", "Объект", "Формулировк")


@dataclass
class Row:
    line: int  # where the row stands in its source: a line of a seed dump, or the row's place in a table of ours
    cells: list[str]  # as written (may hold line breaks, and <p> tags a conversion left behind)
    spans: bool = False  # a section row: in Word, one cell spanning the whole table
    kind: RowKind | None = None  # what the importer must make of the row, where the data says it


@dataclass
class Table:
    key: str
    pieces: list[list[Row]]  # Word tables; a paragraph of text interrupts between pieces
    breaks: list[str] = field(default_factory=list)  # the paragraph before each piece after the first
    group_columns: int = 0  # a decisions register: columns merged down over a meeting's rows
    title: list[list[str]] = field(default_factory=list)  # a table of its own before the plan (.docx only)
    school_year: str = ""  # the year the plan is for, where the data says it

    @property
    def rows(self) -> list[Row]:
        return [row for piece in self.pieces for row in piece]

    @property
    def width(self) -> int:
        return max(len(row.cells) for row in self.rows)

    @property
    def header(self) -> list[str]:
        """The row of column headings (a title row may stand above it)."""
        first = self.pieces[0]
        return next((row.cells for row in first if any(w in text for text in row.cells for w in MAIN_HEADINGS)),
                    first[0].cells)

    def column(self, *words: str) -> int | None:
        return next((i for i, text in enumerate(self.header) if any(w in text for w in words)), None)

    def cell(self, row: Row, column: int | None) -> str:
        if column is None or column >= len(row.cells):
            return ""
        return plain(row.cells[column])


def plain(text: str) -> str:
    """What a cell says, without HTML leftovers and extra whitespace (written for the test)."""
    return " ".join(re.sub(r"<[^<>]+>", " ", text).split())


def flat(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------------------
# Building the files


def set_text(cell, text: str) -> None:
    paragraphs = text.split("\n")
    cell.text = paragraphs[0]
    for paragraph in paragraphs[1:]:
        cell.add_paragraph(paragraph)


def add_pieces(document, table: Table, *, spanning: bool = True) -> None:
    """The table's pieces as Word tables of `document`; `spanning=False` writes section rows cell by cell."""
    for piece_index, piece in enumerate(table.pieces):
        if piece_index:
            document.add_paragraph(table.breaks[piece_index - 1])
        word_table = document.add_table(rows=0, cols=table.width)
        for row in piece:
            cells = word_table.add_row().cells
            if row.spans and spanning:
                set_text(cells[0].merge(cells[-1]), next(text for text in row.cells if plain(text)))
            else:
                for cell, text in zip(cells, row.cells):
                    set_text(cell, text)
        if table.group_columns:
            merge_meetings(word_table, piece, table.group_columns)


def build_docx(table: Table) -> tuple[bytes, dict[tuple[int, int], int]]:
    """A Word file of the table (after its title table, if it has one) and where each row came from."""
    document = Document()
    first = 0
    if table.title:
        title = document.add_table(rows=0, cols=max(len(cells) for cells in table.title))
        for cells in table.title:
            for cell, text in zip(title.add_row().cells, cells):
                set_text(cell, text)
        document.add_paragraph("")
        first = 1
    add_pieces(document, table)
    sources = {(first + piece_index, row_index): row.line
               for piece_index, piece in enumerate(table.pieces) for row_index, row in enumerate(piece)}
    return saved(document), sources


def saved(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def merge_meetings(word_table, rows: list[Row], columns: int) -> None:
    """A decisions register: №, level and date of a meeting span all its decision rows (vMerge)."""
    starts = [index for index, row in enumerate(rows) if index and row.cells[0].strip()] + [len(rows)]
    for first, after in zip(starts, starts[1:]):
        if after - first > 1:
            for column in range(columns):
                word_table.cell(first, column).merge(word_table.cell(after - 1, column))


def grid(table: Table) -> list[list[str]]:
    """A CSV or a sheet is one grid: the paragraphs between the pieces go, every row as wide as the table."""
    return [row.cells + [""] * (table.width - len(row.cells)) for row in table.rows]


def one_grid_sources(table: Table) -> dict[tuple[int, int], int]:
    return {(0, row_index): row.line for row_index, row in enumerate(table.rows)}


def build_csv(table: Table, encoding: str, delimiter: str) -> tuple[bytes, dict[tuple[int, int], int]]:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(grid(table))
    return buffer.getvalue().encode(encoding), one_grid_sources(table)


def build_xlsx(table: Table) -> tuple[bytes, dict[tuple[int, int], int]]:
    """One sheet; a section row is one range merged across the sheet, as in Excel."""
    workbook = Workbook()
    sheet = workbook.active
    for number, (row, cells) in enumerate(zip(table.rows, grid(table)), start=1):
        sheet.append(cells)
        if row.spans:
            text = next(text for text in cells if plain(text))
            sheet.cell(number, 1).value = text
            for column in range(2, table.width + 1):
                sheet.cell(number, column).value = None
            sheet.merge_cells(start_row=number, start_column=1, end_row=number, end_column=table.width)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), one_grid_sources(table)


FORMATS = {
    "docx": build_docx,
    "csv-utf8-bom": lambda table: build_csv(table, "utf-8-sig", ","),
    "csv-cp1251": lambda table: build_csv(table, "cp1251", ";"),
}
ALL_FORMATS = {**FORMATS, "xlsx": build_xlsx}


def file_name(table: Table, form: str) -> str:
    return f"{table.key}.{form if form in ('docx', 'xlsx') else 'csv'}"


# ---------------------------------------------------------------------------
# Importing


@dataclass
class Imported:
    table: Table
    plan: ImportedPlan
    sources: dict[tuple[int, int], int]  # (table, row) in the file → the row's line
    row_count: int

    def line_of(self, item: ImportedItem) -> int:
        return self.sources[(item.source.table, item.source.row)]

    def item_at(self, line: int) -> ImportedItem:
        return next(item for item in self.plan.items if self.line_of(item) == line)

    def __getitem__(self, full_number: str) -> ImportedItem:
        """The item numbered «1.5» (section and item)."""
        return next(item for item in self.plan.items if item.full_number == full_number)

    def kinds(self) -> dict[int, RowKind]:
        return {self.sources[(o.source.table, o.source.row)]: o.kind for o in self.plan.row_accounting.outcomes}


def import_table(table: Table, form: str, school_year: str | None = None,
                 positions: Sequence[Position] = TYPICAL_SCHOOL_POSITIONS) -> Imported:
    """Build the file in `form` and import it for `school_year` (the table's own by default), afresh."""
    data, sources = ALL_FORMATS[form](table)
    tables = read_table_file(data, file_name(table, form))
    plan = parse_plan(tables, school_year or table.school_year, positions)
    return Imported(table, plan, sources, len(sources))


def dates(item: ImportedItem) -> list[tuple[str, str]]:
    return [(period["start"], period["end"]) for period in item.schedule["periods"]]


# ---------------------------------------------------------------------------
# The checks every imported table passes


def check_no_row_is_lost(imported: Imported) -> None:
    accounting = imported.plan.row_accounting
    assert accounting.balanced
    assert accounting.source_rows == imported.row_count
    assert {(o.source.table, o.source.row) for o in accounting.outcomes} == set(imported.sources)
    assert accounting.source_rows == (
        accounting.header_rows + accounting.section_rows + accounting.item_rows
        + accounting.continuation_rows + accounting.empty_rows
    )
    assert accounting.empty_rows == sum(1 for row in imported.table.rows if not any(map(plain, row.cells)))


Section = tuple[str | None, str, int, str, str]  # number, title start, item count, first and last item text start


def check_sections(plan: ImportedPlan, sections: list[Section]) -> None:
    actual = []
    for section in plan.sections:
        items = plan.items_of(section.index)
        actual.append((section.number, section.title, len(items), items[0].main_text, items[-1].main_text))
    assert len(actual) == len(sections), actual
    for got, want in zip(actual, sections):
        number, title, count, first, last = want
        assert got[0] == number and got[1].startswith(title) and got[2] == count, got
        assert got[3].startswith(first) and got[4].startswith(last), got
    assert len(plan.items) == sum(count for _, _, count, _, _ in sections)


def check_row_kinds(imported: Imported, sections: list[int], headers: list[int],
                    continuations: dict[int, list[int]]) -> None:
    """The section and header rows, and the continuation rows of each item, by their lines."""
    kinds = imported.kinds()
    assert sorted(line for line, kind in kinds.items() if kind is RowKind.SECTION) == sections
    assert sorted(line for line, kind in kinds.items() if kind is RowKind.HEADER) == headers
    found = {
        imported.line_of(item): [imported.sources[(ref.table, ref.row)] for ref in item.continuation_sources]
        for item in imported.plan.items if item.continuation_sources
    }
    assert found == continuations


def check_items_carry_their_rows(imported: Imported) -> None:
    """Row by row: main text, responsible and deadline are the row's cells (with its continuation lines)."""
    table, plan = imported.table, imported.plan
    main = table.column(*MAIN_HEADINGS)
    responsible = table.column("Ответствен", "Исполнител", "Учитель")
    deadline = table.column("Срок")
    by_line = {row.line: row for row in table.rows}
    previous_text = ""
    for item in plan.items:
        lines = [imported.line_of(item)] + [imported.sources[(r.table, r.row)] for r in item.continuation_sources]
        rows = [by_line[line] for line in lines]

        def joined(column: int | None) -> str:
            return " ".join(text for text in (table.cell(row, column) for row in rows) if text)

        if table.group_columns:  # the decision's own number opens its text
            text = re.sub(r"^\d+\.\s*", "", joined(main))
        else:  # an empty main cell under a filled one is the same object (a merged cell written out)
            text = joined(main) or previous_text
        assert flat(item.main_text) == text, lines
        previous_text = flat(item.main_text)
        if responsible is not None:
            assert flat(item.responsible) == joined(responsible), lines
        if deadline is not None:
            assert flat(item.deadline) == joined(deadline), lines
            assert item.schedule == parse_deadline(item.deadline, plan.school_year).to_dict()
            assert ("срок не указан" in item.warnings) == (not joined(deadline))
        else:
            assert item.schedule is None
        assert item.fingerprint and len({i.fingerprint for i in plan.items}) == len(plan.items)


def check_same_fingerprints(first: ImportedPlan, again: ImportedPlan) -> None:
    assert [item.fingerprint for item in again.items] == [item.fingerprint for item in first.items]
    assert again.fingerprint == first.fingerprint


def check_import_identically(plans: Sequence[ImportedPlan]) -> None:
    first = [(i.full_number, i.fields, i.extra, i.schedule, i.warnings) for i in plans[0].items]
    for other in plans[1:]:
        assert [(i.full_number, i.fields, i.extra, i.schedule, i.warnings) for i in other.items] == first


def check_a_document_holding_two_plans(functioning: Table, roadmap: Table,
                                       item_counts: list[int]) -> list[ImportedPlan]:
    """One Word document (a Положение's annexes) holding a plan of functioning in two pieces and a
    roadmap, a paragraph after each, section rows written cell by cell: two plans, each with its tables."""
    document = Document()
    for table in (functioning, roadmap):
        add_pieces(document, table, spanning=False)
        document.add_paragraph("План мероприятий («дорожная карта»)")
    data = saved(document)
    plans = parse_plans(read_table_file(data, "polozhenie.docx"), functioning.school_year)
    assert [plan.shape for plan in plans] == [PlanShape.FUNCTIONING, PlanShape.ROADMAP]
    assert [plan.table_indexes for plan in plans] == [(0, 1), (2,)]
    assert [len(plan.items) for plan in plans] == item_counts
    assert all(plan.row_accounting.balanced for plan in plans)
    second = parse_plan(read_table_file(data, "p.docx"), functioning.school_year, plan_index=1)
    assert second.shape is PlanShape.ROADMAP
    return plans
