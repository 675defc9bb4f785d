"""Every table of the five seed documents, built into .docx and .csv from the seed files themselves
at test time, imports with no row lost: sections, items, responsible and deadlines row by row.

The seed dumps write a table row as one line of tab-separated cells (seeds 000, 001, 002, 004)
or, in seed 003, one cell per line with a leading tab and blank lines between rows.  The
helpers below find those tables, rebuild them as real files (section rows as a merged row
spanning the table; seed 003's meeting cells merged vertically, as in the original), import
the files, and compare the result with expectations written here from reading the seeds.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from functools import cache

import pytest
from docx import Document

from vsoko_flow.config import PROJECT_ROOT
from vsoko_flow.deadlines.phrases import parse_deadline
from vsoko_flow.imports import (
    TYPICAL_SCHOOL_POSITIONS,
    ImportedItem,
    ImportedPlan,
    PlanShape,
    RowKind,
    parse_plan,
    parse_plans,
    read_table_file,
)

SEEDS = PROJECT_ROOT.parent / "shared" / "seeds"
HEADING_WORDS = ("Мероприят", "Наименование", "Объект", "Формулировк", "Ответствен", "Срок")
MAIN_HEADINGS = ("Мероприят", "Наименование", "Объект", "Формулировк")


# ---------------------------------------------------------------------------
# Finding the tables in the seed dumps


@dataclass
class SeedRow:
    line: int  # 1-based line of the seed file where the row starts
    cells: list[str]  # as written in the seed (may hold line breaks and <p> tags)


@dataclass
class SeedTable:
    key: str
    seed: str
    pieces: list[list[SeedRow]]  # Word tables; a paragraph of text interrupts between pieces
    breaks: list[str] = field(default_factory=list)
    group_columns: int = 0  # seed 003: columns merged vertically over a meeting's rows

    @property
    def rows(self) -> list[SeedRow]:
        return [row for piece in self.pieces for row in piece]

    @property
    def width(self) -> int:
        return max(len(row.cells) for row in self.rows)

    @property
    def header(self) -> list[str]:
        return self.pieces[0][0].cells

    def column(self, *words: str) -> int | None:
        return next((i for i, text in enumerate(self.header) if any(w in text for w in words)), None)

    def cell(self, row: SeedRow, column: int | None) -> str:
        if column is None or column >= len(row.cells):
            return ""
        return plain(row.cells[column])


def plain(text: str) -> str:
    """What a cell says, without HTML leftovers and extra whitespace (written for the test)."""
    return " ".join(re.sub(r"<[^<>]+>", " ", text).split())


def seed_lines(name: str) -> list[str]:
    return (SEEDS / name).read_text(encoding="utf-8").splitlines()


def grid_tables(name: str) -> list[SeedTable]:
    """Runs of tab-separated lines; blank lines inside a run are empty rows, a paragraph ends a run."""
    runs: list[tuple[list[SeedRow], str | None]] = []
    current: list[SeedRow] = []
    blanks: list[SeedRow] = []
    for number, line in enumerate(seed_lines(name), start=1):
        if "\t" in line:
            current += blanks + [SeedRow(number, line.split("\t"))]
            blanks = []
        elif not line.strip():
            if current:
                blanks.append(SeedRow(number, []))
        elif current:
            runs.append((current, line.strip()))
            current, blanks = [], []
    if current:
        runs.append((current, None))
    tables: list[SeedTable] = []
    previous_break: str | None = None
    for rows, following in runs:
        if any(word in text for text in rows[0].cells for word in HEADING_WORDS):
            tables.append(SeedTable(f"{name[:3]}-{len(tables) + 1}", name, [rows]))
        else:  # no header: the same table goes on after a paragraph
            tables[-1].pieces.append(rows)
            tables[-1].breaks.append(previous_break or "")
        previous_break = following
    return tables


def vertical_tables(name: str) -> list[SeedTable]:
    """Seed 003: a cell per line («\\t<text>»), rows separated by blank lines."""
    lines = seed_lines(name)
    starts = [index for index, line in enumerate(lines) if line == "\t№"]
    tables = []
    for number, start in enumerate(starts):
        stop = starts[number + 1] if number + 1 < len(starts) else len(lines)
        last = max(index for index in range(start, stop) if "\t" in lines[index])
        blocks: list[SeedRow] = []
        after_blank = True
        for index in range(start, last + 1):
            line = lines[index]
            if "\t" in line:
                text = line.split("\t", 1)[1]
                if after_blank:
                    blocks.append(SeedRow(index + 1, [text]))
                else:
                    blocks[-1].cells.append(text)
                after_blank = False
            elif line.strip():  # another paragraph of the same cell
                blocks[-1].cells[-1] += "\n" + line.strip()
                after_blank = False
            else:
                after_blank = True
        width = len(blocks[0].cells)
        for block in blocks:  # a row whose merged meeting cells were dumped as one empty line
            block.cells = [""] * (width - len(block.cells)) + block.cells
        table = SeedTable(f"{name[:3]}-{number + 1}", name, [blocks])
        table.group_columns = table.column(*MAIN_HEADINGS)
        tables.append(table)
    return tables


@cache
def seed_tables() -> dict[str, SeedTable]:
    found = {}
    for path in sorted(SEEDS.glob("*.txt")):
        lines = [line for line in seed_lines(path.name) if "\t" in line]
        vertical = all(len(line.split("\t")) == 2 and not line.split("\t")[0].strip() for line in lines)
        for table in vertical_tables(path.name) if vertical else grid_tables(path.name):
            found[table.key] = table
    return found


# ---------------------------------------------------------------------------
# Building the files


def is_section_row(table: SeedTable, row: SeedRow) -> bool:
    """One text, in the number or main column, starting with a capital or a number (written for the test)."""
    filled = [(index, plain(text)) for index, text in enumerate(row.cells) if plain(text)]
    main = table.column(*MAIN_HEADINGS) or 0
    return (
        len(filled) == 1 and filled[0][0] <= main and not table.group_columns
        and (filled[0][1][0].isupper() or filled[0][1][0].isdigit())
    )


def set_text(cell, text: str) -> None:
    paragraphs = text.split("\n")
    cell.text = paragraphs[0]
    for paragraph in paragraphs[1:]:
        cell.add_paragraph(paragraph)


def build_docx(table: SeedTable) -> tuple[bytes, dict[tuple[int, int], int]]:
    document = Document()
    sources: dict[tuple[int, int], int] = {}
    for piece_index, piece in enumerate(table.pieces):
        if piece_index:
            document.add_paragraph(table.breaks[piece_index - 1])
        word_table = document.add_table(rows=0, cols=table.width)
        for row_index, row in enumerate(piece):
            cells = word_table.add_row().cells
            if is_section_row(table, row):
                merged = cells[0].merge(cells[-1])
                set_text(merged, next(text for text in row.cells if plain(text)))
            else:
                for column, text in enumerate(row.cells):
                    set_text(cells[column], text)
            sources[(piece_index, row_index)] = row.line
        if table.group_columns:
            merge_meetings(word_table, piece, table.group_columns)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue(), sources


def merge_meetings(word_table, rows: list[SeedRow], columns: int) -> None:
    """Seed 003: №, level and date of a meeting span all its decision rows (vMerge)."""
    starts = [index for index, row in enumerate(rows) if index and row.cells[0].strip()] + [len(rows)]
    for first, after in zip(starts, starts[1:]):
        if after - first > 1:
            for column in range(columns):
                word_table.cell(first, column).merge(word_table.cell(after - 1, column))


def build_csv(table: SeedTable, encoding: str, delimiter: str) -> tuple[bytes, dict[tuple[int, int], int]]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    sources = {}
    for row_index, row in enumerate(table.rows):  # a CSV is one grid: the paragraphs between pieces go
        writer.writerow(row.cells + [""] * (table.width - len(row.cells)))
        sources[(0, row_index)] = row.line
    return buffer.getvalue().encode(encoding), sources


FORMATS = {
    "docx": lambda table: build_docx(table),
    "csv-utf8-bom": lambda table: build_csv(table, "utf-8-sig", ","),
    "csv-cp1251": lambda table: build_csv(table, "cp1251", ";"),
}


@dataclass
class Imported:
    table: SeedTable
    plan: ImportedPlan
    sources: dict[tuple[int, int], int]  # (table, row) in the file → seed line
    row_count: int

    def line_of(self, item: ImportedItem) -> int:
        return self.sources[(item.source.table, item.source.row)]

    def item_at(self, line: int) -> ImportedItem:
        return next(item for item in self.plan.items if self.line_of(item) == line)

    def kinds(self) -> dict[int, RowKind]:
        return {self.sources[(o.source.table, o.source.row)]: o.kind for o in self.plan.row_accounting.outcomes}


def read_seed(key: str, form: str) -> Imported:
    """Build the file from the seed and import it (afresh on every call)."""
    table = seed_tables()[key]
    data, sources = FORMATS[form](table)
    extension = "docx" if form == "docx" else "csv"
    tables = read_table_file(data, f"{key}.{extension}")
    plan = parse_plan(tables, EXPECTED[key].school_year, TYPICAL_SCHOOL_POSITIONS)
    return Imported(table, plan, sources, len(sources))


import_seed = cache(read_seed)  # the tests only read what an import gives


# ---------------------------------------------------------------------------
# What the seeds say (read by hand)


@dataclass
class Expected:
    school_year: str
    shape: PlanShape
    # (section number, title start, item count, first item text start, last item text start)
    sections: list[tuple[str | None, str, int, str, str]]
    section_lines: list[int] = field(default_factory=list)
    continuation_lines: dict[int, list[int]] = field(default_factory=dict)  # item line → its continuation lines
    header_lines: list[int] = field(default_factory=list)


EXPECTED: dict[str, Expected] = {
    "000-1": Expected(
        "2023/2024", PlanShape.ACTIVITY,
        [
            ("1", "Организационно-технологическое сопровождение мониторинга", 7,
             "Мониторинг учебных достижений", "Диагностика образовательных потребностей"),
            ("2", "Оценка образовательных процессов, условий и результатов", 8,
             "Мониторинговые исследования результатов ГИА", "Удовлетворенность родителей"),
            ("3", "Контроль в сфере образования", 2, "Контроль разработки рабочих программ",
             "Контроль ведения документации"),
            ("4", "Оценка качества профессионализма работников", 2, "Совершенствование механизмов",
             "Участие в профессиональных конкурсах"),
            ("5", "Методическое сопровождение становления", 3, "Совершенствование механизмов",
             "Изучение и внедрение передового опыта"),
            ("6", "Организационно — методическое сопровождение оценочных процедур", 10,
             "Организационно методическое и технологическое", "Ресурсное обеспечение воспитания"),
            ("7", "Оценка качества здоровьесберегающей деятельности", 2, "Динамика формирования ценности",
             "Динамика показателей здоровья"),
            ("8", "Оценка безопасности пребывания детей в школе", 4, "Оценка условий состояния",
             "Системность работы по обеспечению пожарной"),
            ("9", "Оценка качества работы с одаренными детьми", 3, "Количество участников предметных",
             "Участие в научных конференциях"),
            ("10", "Сформированность личностных и социальных компетенций", 5,
             "Участие в научно исследовательских", "Распределение выпускников"),
            ("11", "Организация ГИА", 1, "Организационно-методическое и технологическое",
             "Организационно-методическое и технологическое"),
            ("12", "Организация деятельности по ведению портфолио", 2, "Использование федеральных показателей",
             "Использование показателей оценки учебной"),
            ("13", "Информационно — статистическая деятельность", 1, "Создание базы данных", "Создание базы данных"),
            ("14", "Обеспечение внутренних и внешних пользователей", 1, "Размещение на сайте школы",
             "Размещение на сайте школы"),
        ],
        section_lines=[13, 22, 32, 35, 38, 42, 55, 58, 63, 67, 74, 76, 79, 83],
        continuation_lines={80: [82]},
        header_lines=[12],
    ),
    "001-1": Expected(
        "2024/2025", PlanShape.FUNCTIONING,
        [
            (None, "Качество образовательных результатов", 6, "Планируемые результаты", "Поступление выпускников"),
            (None, "Качество организации и осуществления образовательной деятельности", 3,
             "Основные общеобразовательные программы", "Профилактика учебной неуспешности"),
            (None, "Качество условий, обеспечивающих образовательную деятельность", 6,
             "Материально-технические условия", "Кадровые условия"),
        ],
        section_lines=[226, 245, 251],
        continuation_lines={231: [232, 233, 234, 235, 236], 237: [241, 242], 243: [244], 248: [250]},
        header_lines=[225],
    ),
    "001-2": Expected(
        "2024/2025", PlanShape.ROADMAP,
        [
            (None, "", 6, "Организационное сопровождение подготовки", "Участие в региональном семинаре"),
            ("2", "Организационное обеспечение проведения мероприятий, оценочных процедур", 12,
             "Организационно-техническое, технологическое", "Формирование, ведение, контроль"),
        ],
        section_lines=[271],
        continuation_lines={281: [283]},
        header_lines=[263],
    ),
    "002-1": Expected(
        "2019/2020", PlanShape.ROADMAP,
        [(None, "Формирование нормативно-правового обеспечения", 10, "Решение о создании", "Анализ ВСОКО")],
        section_lines=[7],
        continuation_lines={13: [15]},
        header_lines=[6],
    ),
    "003-1": Expected(
        "2023/2024", PlanShape.DECISIONS,
        [
            ("1", "Педагогический совет, Август 2023", 3, "Доработать и включить", "Разработать и организовать"),
            ("2", "Методический совет", 3, "Оказать методическую помощь", "Скорректировать план курсовой"),
            ("3", "Заседание ШМО учителей начальных классов", 3, "Рассмотреть наличие рабочих программ",
             "Рассмотреть возможность участия"),
            ("4", "Совещание при директоре, Август 2023", 2, "Сбор данных об оснащенности",
             "Разработать систему контрольно"),
            ("5", "Общешкольное родительское собрание, Ноябрь 2023", 1, "Особенности проведения ВПР",
             "Особенности проведения ВПР"),
            ("6", "Заседание ШМО учителей предметов естественно-математического", 2,
             "Организовать дополнительные занятия", ""),
            ("7", "Педагогический совет, Февраль 2024г", 6, "Назначить ответственного",
             "Провести анализ результатов ВПР, мониторинговых"),
            ("8", "Педагогический совет, Май 2024г", 2, "Провести разъяснительную работу",
             "Провести анализ результатов ВПР и РМО"),
        ],
        header_lines=[6],
    ),
    "003-2": Expected(
        "2023/2024", PlanShape.MEASURES,
        [("1", "2023-2024", 10, "Использование в качестве подготовки", "Необходимо совершенствовать формы")],
        header_lines=[200],
    ),
    "004-1": Expected(
        "2022/2023", PlanShape.ROADMAP,
        [
            ("1", "Проведение информационно-разъяснительной работы", 4, "Совещание с заместителями",
             "Совещание с заместителями"),
            ("2", "Мониторинг внутренней системы оценки качества образования", 12,
             "Утверждение положения о мониторинге", "Обновление положения о СОКО"),
        ],
        section_lines=[22, 27],
        header_lines=[21, 30, 41],
    ),
}
ALL = [(key, form) for key in EXPECTED for form in FORMATS]


def test_every_seed_table_is_found_and_expected():
    found = seed_tables()
    assert sorted(found) == sorted(EXPECTED)
    assert [len(table.pieces) for table in found.values()] == [1, 2, 1, 1, 1, 1, 1]
    assert found["001-1"].breaks == ["Статистические отчеты"]  # a paragraph the dump left inside the table


@pytest.fixture(scope="module", params=ALL, ids=[f"{key}-{form}" for key, form in ALL])
def imported(request) -> Imported:
    return import_seed(*request.param)


# ---------------------------------------------------------------------------
# Whole tables


def test_no_row_is_lost(imported: Imported):
    accounting = imported.plan.row_accounting
    assert accounting.balanced
    assert accounting.source_rows == imported.row_count
    assert {(o.source.table, o.source.row) for o in accounting.outcomes} == set(imported.sources)
    assert accounting.source_rows == (
        accounting.header_rows + accounting.section_rows + accounting.item_rows
        + accounting.continuation_rows + accounting.empty_rows
    )
    blank = [line for line, row in zip(imported.sources.values(), imported.table.rows) if not any(row.cells)]
    assert accounting.empty_rows == len(blank)


def test_shape_sections_and_item_counts(imported: Imported):
    expected = EXPECTED[imported.table.key]
    plan = imported.plan
    assert plan.shape is expected.shape
    actual = []
    for section in plan.sections:
        items = plan.items_of(section.index)
        actual.append((section.number, section.title, len(items), items[0].main_text, items[-1].main_text))
    assert len(actual) == len(expected.sections)
    for got, want in zip(actual, expected.sections):
        number, title, count, first, last = want
        assert got[0] == number and got[1].startswith(title) and got[2] == count, got
        assert got[3].startswith(first) and got[4].startswith(last), got
    assert len(plan.items) == sum(count for _, _, count, _, _ in expected.sections)


def test_row_kinds_match_the_seed_lines(imported: Imported):
    expected = EXPECTED[imported.table.key]
    kinds = imported.kinds()
    assert sorted(line for line, kind in kinds.items() if kind is RowKind.SECTION) == expected.section_lines
    assert sorted(line for line, kind in kinds.items() if kind is RowKind.HEADER) == expected.header_lines
    continuations = {
        imported.line_of(item): [imported.sources[(ref.table, ref.row)] for ref in item.continuation_sources]
        for item in imported.plan.items if item.continuation_sources
    }
    assert continuations == expected.continuation_lines


def test_every_item_carries_its_seed_row(imported: Imported):
    """Row by row: main text, responsible and deadline are the seed's cells (with continuation lines)."""
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
            expected_schedule = parse_deadline(item.deadline, plan.school_year).to_dict()
            assert item.schedule == expected_schedule
            assert ("срок не указан" in item.warnings) == (not joined(deadline))
        else:
            assert item.schedule is None
        assert item.fingerprint and len({i.fingerprint for i in plan.items}) == len(plan.items)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_same_file_imports_to_the_same_fingerprints(imported: Imported):
    again = read_seed(imported.table.key, "docx")
    assert [item.fingerprint for item in again.plan.items] == [item.fingerprint for item in imported.plan.items]
    assert again.plan.fingerprint == imported.plan.fingerprint


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_docx_and_csv_import_identically(key):
    plans = [import_seed(key, form).plan for form in FORMATS]
    first = [(i.full_number, i.fields, i.extra, i.schedule, i.warnings) for i in plans[0].items]
    for other in plans[1:]:
        assert [(i.full_number, i.fields, i.extra, i.schedule, i.warnings) for i in other.items] == first


# ---------------------------------------------------------------------------
# Particular rows


def dates(item: ImportedItem) -> list[tuple[str, str]]:
    return [(period["start"], period["end"]) for period in item.schedule["periods"]]


@pytest.mark.parametrize("form", FORMATS)
def test_seed_000_numbers_missing_and_mangled_are_repaired(form):
    imported = import_seed("000-1", form)
    repaired = {
        imported.line_of(item): (item.number_written, item.full_number)
        for item in imported.plan.items if any(w.startswith("номер восстановлен") for w in item.warnings)
    }
    assert repaired == {
        14: ("", "1.1"), 18: ("S", "1.5"), 23: ("", "2.1"), 33: ("", "3.1"), 39: ("", "5.1"),
        56: ("", "7.1"), 59: ("", "8.1"), 68: ("", "10.1"), 75: ("", "11.1"), 77: ("", "12.1"),
    }
    five = imported.item_at(18)
    assert five.warnings[0] == "номер восстановлен: S → 5"
    assert five.responsible == "Психолог" and dates(five) == [("2023-09-01", "2023-09-30")]
    assert imported.item_at(14).warnings[0] == "номер восстановлен: (пусто) → 1"
    assert [item.full_number for item in imported.plan.items_of(0)] == [f"1.{n}" for n in range(1, 8)]
    assert [item.number for item in imported.plan.items_of(5)] == [str(n) for n in range(1, 11)]


@pytest.mark.parametrize("form", FORMATS)
def test_seed_000_rows(form):
    imported = import_seed("000-1", form)
    both = imported.item_at(20)
    assert [part["position_keys"] for part in both.responsible_match["parts"]] == [["deputy_uvr"], ["psychologist"]]
    assert imported.item_at(14).schedule["kind"] == "linked" and imported.item_at(14).schedule["linked_to"] == "ВШК"
    assert imported.item_at(23).schedule["linked_to"] == "ГИА"
    assert imported.item_at(36).schedule["kind"] == "linked"  # «НСОТ» stays text
    assert dates(imported.item_at(31)) == [("2024-03-01", "2024-03-31")]  # «Март» of 2023/24
    assert imported.item_at(37).schedule["kind"] == "continuous"
    assert dates(imported.item_at(37)) == [("2023-09-01", "2024-08-31")]
    truncated = imported.item_at(33)
    assert truncated.responsible == "Заместитель директора по"
    assert any(w.startswith("ответственный записан не полностью") for w in truncated.warnings)
    assert imported.item_at(31).responsible_match["groups"] == ["Администрация"]
    assert imported.item_at(64).responsible_match["position_keys"] == ["deputy_uvr"]  # «Зам по УВР»
    base = imported.item_at(80)
    assert base.main_text.endswith("5. Мониторинг обеспеченности учебниками 6.Мониторинг условий реализации ФГОС")
    assert dates(imported.item_at(84)) == [("2024-05-01", "2024-05-31")]


@pytest.mark.parametrize("form", FORMATS)
def test_seed_001_functioning_plan(form):
    imported = import_seed("001-1", form)
    first = imported.item_at(227)
    assert first.fields["responsible"] == "Заместители директора по УВР, руководители МО"
    assert dates(first) == [("2024-12-01", "2024-12-31"), ("2025-06-01", "2025-06-30")]
    assert first.fields["document_format"] == "Статистико-аналитическая справка"
    projects = imported.item_at(229)
    assert [p["note"] for p in projects.schedule["periods"]] == ["9-е классы", "10-е классы"]
    assert dates(projects) == [("2025-02-01", "2025-02-28"), ("2025-05-01", "2025-05-31")]
    gia = imported.item_at(231)
    assert gia.fields["criteria"].count("\n") == 5  # five extra indicator lines, one item
    assert gia.fields["criteria"].endswith("Доля участников, набравших балл ниже минимального (ЕГЭ)")
    split = imported.item_at(237)  # a row cut by a page break
    assert split.main_text == (
        "Индивидуальные достижения обучающихся на конкурсах, соревнованиях, олимпиадах"
        " (работа с одаренными обучающимися)"
    )
    assert split.fields["responsible"] == "Заместители директора по УВР, по ВВВР, методисты"
    assert "ответственный не найден: «по ВВВР»" in split.warnings
    assert dates(imported.item_at(248)) == [("2024-09-01", "2025-05-31")]
    assert "<p>" not in imported.item_at(248).fields["indicators"]
    assert imported.plan.sections[2].title == "Качество условий, обеспечивающих образовательную деятельность"
    staff = [imported.item_at(line) for line in (254, 256, 257, 258)]
    assert [item.main_text for item in staff] == ["Кадровые условия"] * 4
    assert [item.responsible for item in staff] == [
        "Заместитель директора по УВР", "Методист", "Заместитель директора по УВР", "Заместитель директора по УВР"
    ]
    assert "объект оценки не указан — взят из строки выше" in staff[1].warnings
    assert [item.full_number for item in imported.plan.items_of(2)] == [f"3.{n}" for n in range(1, 7)]
    assert len(dates(imported.item_at(253))) == 3  # «Сентябрь, январь, май»


@pytest.mark.parametrize("form", FORMATS)
def test_seed_001_roadmap(form):
    imported = import_seed("001-2", form)
    yearly = imported.item_at(264)
    assert yearly.schedule["kind"] == "recurring" and yearly.schedule["periods"][-1]["due"] == "2024-11-30"
    assert imported.item_at(267).schedule["kind"] == "recurring"
    assert dates(imported.item_at(270)) == [("2024-12-01", "2024-12-31")]
    assert imported.item_at(270).number_written == "6." and imported.item_at(270).number == "6"
    assert imported.item_at(273).schedule["kind"] == "linked"
    assert "срок не распознан" in imported.item_at(274).warnings[0]
    assert "срок не указан" in imported.item_at(276).warnings
    assert dates(imported.item_at(281)) == [("2024-12-01", "2025-01-31")]
    assert imported.item_at(281).responsible.endswith("педагогических сообществ ОУ для проведения аудита")
    assert imported.item_at(284).schedule["linked_to"] == "график проведения"
    assert [item.number for item in imported.plan.items_of(1)] == [f"2.{n}" for n in range(1, 13)]
    assert not any(w.startswith("номер") for item in imported.plan.items for w in item.warnings)


@pytest.mark.parametrize("form", FORMATS)
def test_seed_002_plan_of_introduction(form):
    imported = import_seed("002-1", form)
    six = imported.item_at(13)
    assert "квалификации педагогов и заместителей директора ОО" in six.main_text
    assert six.main_text.endswith("реализации программы развития системы профориентационной работы")
    assert dates(imported.item_at(8)) == [("2020-01-01", "2020-01-31")]
    assert dates(imported.item_at(12)) == [("2020-01-01", "2020-03-31")]
    assert imported.item_at(12).responsible_match["position_keys"] == ["working_group", "director"]
    long = imported.item_at(17)
    assert dates(long) == [("2020-05-01", "2025-05-31")]
    assert any(w.startswith("срок: ") for w in long.warnings)  # beyond the 2019/2020 school year
    assert any(w.startswith("ответственный неоднозначен") for w in imported.item_at(9).warnings)


@pytest.mark.parametrize("form", FORMATS)
def test_seed_003_decisions(form):
    imported = import_seed("003-1", form)
    plan = imported.plan
    first = plan.items[0]
    assert (first.number_written, first.full_number) == ("1.", "1.1")
    assert first.fields["body"] == "Педагогический совет" and first.fields["meeting_date"] == "Август 2023"
    assert dates(first) == [("2023-10-01", "2023-12-31")]
    assert dates(plan.items[1]) == [("2023-09-01", "2023-11-30")]  # «Сентябрь- ноябрь2023г»
    assert plan.items[3].fields["body"] == "Методический совет" and plan.items[3].fields["meeting_date"] == ""
    kims = imported.item_at(74)
    assert kims.deadline == "Сентябрь-октябрь 2023г" and dates(kims) == [("2023-09-01", "2023-10-31")]
    assert "ответственный не указан" in kims.warnings
    many = imported.item_at(110)
    assert many.responsible == "Зам.директора по УВР Руководители ШМО, учителя-предметники, классные руководители"
    assert [p["kind"] for p in many.responsible_match["parts"]] == ["position", "group", "group", "group"]
    empty = plan.items_of(5)[1]
    assert empty.number == "2" and empty.main_text == "" and "не указан текст мероприятия" in empty.warnings
    assert imported.item_at(164).schedule["kind"] == "continuous"
    assert dates(plan.items[-1]) == [("2024-06-01", "2024-08-31")]
    assert [item.full_number for item in plan.items_of(6)] == [f"7.{n}" for n in range(1, 7)]


@pytest.mark.parametrize("form", FORMATS)
def test_seed_003_measures(form):
    plan = import_seed("003-2", form).plan
    assert [item.number for item in plan.items] == [str(n) for n in range(1, 11)]
    assert plan.items[0].fields["grade"] == "3,4" and plan.items[0].fields["school_year"] == "2023-2024"
    assert plan.items[2].responsible == "Зам.директора по УВР Учителя -предметники"
    assert "В таблице нет столбца «Срок»: сроки нужно указать вручную" in plan.warnings


@pytest.mark.parametrize("form", FORMATS)
def test_seed_004_district_plan(form):
    imported = import_seed("004-1", form)
    assert dates(imported.item_at(28)) == [("2023-01-20", "2023-01-20")]
    assert dates(imported.item_at(34)) == [("2023-04-10", "2023-04-10"), ("2023-04-20", "2023-04-20")]
    assert dates(imported.item_at(35)) == [("2023-04-01", "2023-05-31")]
    assert dates(imported.item_at(42)) == [("2023-05-01", "2023-07-31")]
    assert imported.item_at(23).responsible_match["external"] == ["АР", "ИМЦ", "ЦОКО"]
    assert imported.item_at(34).responsible_match["external"] == ["ИМЦ", "ЦОКО", "ОО"]
    assert imported.item_at(32).responsible_match["unresolved"] == ["ПреОО"]
    assert [item.number_written for item in imported.plan.items][:2] == ["1.1.", "1.2."]
    assert [item.number for item in imported.plan.items][-1] == "2.12"


def test_seed_001_whole_document_holds_two_plans():
    document = Document()
    for table in (seed_tables()["001-1"], seed_tables()["001-2"]):
        for piece_index, piece in enumerate(table.pieces):
            if piece_index:
                document.add_paragraph(table.breaks[piece_index - 1])
            word_table = document.add_table(rows=0, cols=table.width)
            for row in piece:
                for cell, text in zip(word_table.add_row().cells, row.cells):
                    set_text(cell, text)
        document.add_paragraph("План мероприятий («дорожная карта»)")
    buffer = io.BytesIO()
    document.save(buffer)
    plans = parse_plans(read_table_file(buffer.getvalue(), "polozhenie.docx"), "2024/2025")
    assert [plan.shape for plan in plans] == [PlanShape.FUNCTIONING, PlanShape.ROADMAP]
    assert [plan.table_indexes for plan in plans] == [(0, 1), (2,)]
    assert [len(plan.items) for plan in plans] == [15, 18]
    assert all(plan.row_accounting.balanced for plan in plans)
    second = parse_plan(read_table_file(buffer.getvalue(), "p.docx"), "2024/2025", plan_index=1)
    assert second.shape is PlanShape.ROADMAP
